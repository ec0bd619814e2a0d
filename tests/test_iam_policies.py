"""Every IAM policy document the program writes, checked by parliament (offline) and for * on *.

parliament 1.6.4 analyses identity policies only. Findings it reports on documents of another
kind, or on AWS's own documented policy, are acknowledged below, each with its reason; anything
else fails the test.
"""

from __future__ import annotations

import json

import parliament
import pytest

from eks_platform.offline import run_stack

# (document kind, parliament issue) -> why it is accepted
ACKNOWLEDGED = {
    ("trust", "MALFORMED"): (
        "role trust policies have no Resource by definition (IAM rejects one); parliament reads "
        "every document as an identity policy. Trust policies are checked structurally below."
    ),
    ("key", "RESOURCE_STAR"): "in a key policy, Resource '*' means this key and nothing else",
    ("key", "UNKNOWN_CONDITION_FOR_ACTION"): (
        "kms:EncryptionContext:aws:logs:arn on kms:Describe* is the CloudWatch Logs key policy AWS "
        "documents (encrypt-log-data-kms); parliament's action table lacks the key for Describe*"
    ),
    ("key", "MISMATCHED_TYPE"): (
        "AWS documents ArnLike/ArnEquals for kms:EncryptionContext:aws:logs:arn; "
        "parliament types it String"
    ),
    ("controller", "RESOURCE_STAR"): (
        "the AWS Load Balancer Controller's documented policy (data/, unchanged): create calls "
        "cannot name resources that do not exist yet; tag conditions scope the rest"
    ),
    (
        "controller",
        "UNKNOWN_ACTION",
    ): "elasticloadbalancing:ModifyIpPools is newer than parliament's IAM data",
    ("controller", "UNKNOWN_CONDITION_FOR_ACTION"): (
        "elasticloadbalancing:CreateAction is newer than parliament's IAM data"
    ),
}


def documents(stack: str) -> list[tuple[str, str, str]]:
    """(resource name, kind, JSON) for every IAM policy document in the stack's plan."""
    found = []
    for registration in run_stack(".", stack).registrations:
        inputs = registration.inputs
        if registration.type == "aws:iam/role:Role":
            found.append((registration.name, "trust", inputs["assumeRolePolicy"]))
        elif registration.type == "aws:iam/rolePolicy:RolePolicy":
            kind = "controller" if "lb-controller" in registration.name else "identity"
            found.append((registration.name, kind, inputs["policy"]))
        elif registration.type == "aws:kms/key:Key":
            found.append((registration.name, "key", inputs["policy"]))
    return found


DEV = documents("dev")


def test_all_kinds_of_documents_are_checked():
    kinds = {kind for _, kind, _ in DEV}
    assert kinds == {"trust", "identity", "controller", "key"}
    assert len(DEV) >= 8


@pytest.mark.parametrize(("name", "kind", "document"), DEV, ids=[name for name, _, _ in DEV])
def test_parliament_finds_nothing_unacknowledged(name, kind, document):
    findings = [
        parliament.enhance_finding(f) for f in parliament.analyze_policy_string(document).findings
    ]
    unexplained = [
        f"{f.issue} ({f.severity}): {f.detail}"
        for f in findings
        if (kind, f.issue) not in ACKNOWLEDGED
    ]
    assert unexplained == []


@pytest.mark.parametrize(("name", "kind", "document"), DEV, ids=[name for name, _, _ in DEV])
def test_no_star_action_on_star_resource(name, kind, document):
    for statement in json.loads(document)["Statement"]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        assert not ("*" in actions and "*" in resources), (name, statement)


def test_trust_policies_name_one_service_and_no_wildcard():
    for name, kind, document in DEV:
        if kind != "trust":
            continue
        for statement in json.loads(document)["Statement"]:
            assert statement["Effect"] == "Allow"
            assert set(statement["Principal"]) == {"Service"}, name
            assert statement["Principal"]["Service"].endswith(".amazonaws.com"), name
            actions = statement["Action"]
            assert set(actions if isinstance(actions, list) else [actions]) <= {
                "sts:AssumeRole",
                "sts:TagSession",
            }


def test_our_own_identity_policies_are_clean_without_acknowledgements():
    own = [(name, document) for name, kind, document in DEV if kind == "identity"]
    assert own
    for name, document in own:
        assert parliament.analyze_policy_string(document).findings == [], name


def test_fargate_execution_role_trust_is_scoped_to_the_cluster():
    (document,) = [d for name, kind, d in documents_with_fargate() if "fargate-role" in name]
    condition = json.loads(document)["Statement"][0]["Condition"]
    assert condition["ArnLike"]["aws:SourceArn"].endswith(":fargateprofile/eks-platform-dev/*")


def documents_with_fargate() -> list[tuple[str, str, str]]:
    run = run_stack(
        ".", "dev", {"fargateProfiles": [{"name": "p", "selectors": [{"namespace": "batch"}]}]}
    )
    return [
        (r.name, "trust", r.inputs["assumeRolePolicy"])
        for r in run.registrations
        if r.type == "aws:iam/role:Role"
    ]
