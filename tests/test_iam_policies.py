"""Every IAM policy document the program writes, checked by parliament (offline) and for * on *.

parliament 1.6.4 analyses identity policies only. Findings it reports on documents of another
kind, or on AWS's own documented policy, are acknowledged below, each with its reason; anything
else fails the test.
"""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from eks_platform.offline import run_stack
from eks_platform.offline.checks.iam import Policy, Request, evaluate
from eks_platform.offline.checks.permissions import managed_policies

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


# --- Auto Mode: load balancers with the platform's tags (issue 23, point 3) ---------------------

# AmazonEKSLoadBalancingPolicy as stored with its version and date (offline/data/
# managed_policies.json): its creates allow EKS's own tag keys only (the same in every version
# seen, v2 to v10, whose August 2026 change adds the gateway.eks.amazonaws.com keys).
MANAGED_LOAD_BALANCING = managed_policies()["AmazonEKSLoadBalancingPolicy"]["document"]["Statement"]
CLUSTER = "eks-platform-dev"
ELB = "arn:aws:elasticloadbalancing:us-west-2:123456789012"
NLB_ARN = f"{ELB}:loadbalancer/net/k8s-podinfo/0a1b"
TG_ARN = f"{ELB}:targetgroup/k8s-podinfo/0c1d"
LISTENER_ARN = f"{ELB}:listener/net/k8s-podinfo/0a1b/2e"
SG_ARN = "arn:aws:ec2:us-west-2:123456789012:security-group/sg-0a1b"
EKS_TAGS = {
    "eks:eks-cluster-name": CLUSTER,
    "service.eks.amazonaws.com/stack": "podinfo/podinfo",
    "service.eks.amazonaws.com/resource": "LoadBalancer",
}


def allows(statements: list[dict], action: str, resource: str, request: dict[str, Any]) -> bool:
    """Whether the statements allow one request: the package's evaluator (offline/checks/iam.py,
    tested against AWS's documented evaluation logic in tests/test_iam_eval.py)."""
    policy = Policy("test", {"Version": "2012-10-17", "Statement": statements})
    return evaluate([policy], Request(action, resource, request)).allowed


def create_request(tags: dict[str, str], principal_cluster: str = CLUSTER) -> dict[str, Any]:
    """The request context of a create with tags, made by the cluster role's session."""
    return {
        "aws:PrincipalTag/eks:eks-cluster-name": principal_cluster,
        "aws:TagKeys": list(tags),
        **{f"aws:RequestTag/{key}": value for key, value in tags.items()},
    }


def test_the_request_model_follows_the_documented_evaluation():
    create = "elasticloadbalancing:CreateLoadBalancer"
    assert allows(MANAGED_LOAD_BALANCING, create, NLB_ARN, create_request(EKS_TAGS))
    # a missing request tag; a missing principal tag (the policy variable)
    untagged = create_request({"service.eks.amazonaws.com/stack": "a/b"})
    assert not allows(MANAGED_LOAD_BALANCING, create, NLB_ARN, untagged)
    no_principal = {"aws:RequestTag/eks:eks-cluster-name": CLUSTER}
    assert not allows(MANAGED_LOAD_BALANCING, create, NLB_ARN, no_principal)
    # ForAllValues over a missing key holds; another action does not match
    only_keys = {"ForAllValues:StringEquals": {"aws:TagKeys": ["x"]}}
    assert allows([{**MANAGED_LOAD_BALANCING[0], "Condition": only_keys}], create, NLB_ARN, {})
    delete = "elasticloadbalancing:DeleteLoadBalancer"
    assert not allows(MANAGED_LOAD_BALANCING, delete, NLB_ARN, create_request(EKS_TAGS))


def test_auto_mode_cluster_role_may_create_load_balancers_with_the_platform_tags(run_dev):
    run = run_dev(computeMode="auto", nodeGroups=[{"name": "general"}])
    annotations = run.one("kubernetes:core/v1:Service").inputs["metadata"]["annotations"]
    sent = annotations["service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"]
    platform_tags = dict(pair.split("=", 1) for pair in sent.split(","))
    assert platform_tags
    tags = {**platform_tags, **EKS_TAGS}
    policy = run.one(
        "aws:iam/rolePolicy:RolePolicy", "eks-platform-dev-control-plane-cluster-role-custom-tags"
    )
    role = next(r for r in run.by_type("aws:iam/role:Role") if r.name.endswith("-cluster-role"))
    assert policy.parent == role.urn and policy.inputs["role"] == role.resource_id
    # The cluster (and so every load balancer Auto Mode makes) waits for the statement.
    assert policy.urn in run.one("eks:index:Cluster").dependencies
    ours = json.loads(policy.inputs["policy"])["Statement"]
    with_ours = [*MANAGED_LOAD_BALANCING, *ours]
    for action, resource in [
        ("elasticloadbalancing:CreateLoadBalancer", NLB_ARN),
        ("elasticloadbalancing:CreateTargetGroup", TG_ARN),
        # authorized against the load balancer and the listener (Service Authorization Reference)
        ("elasticloadbalancing:CreateListener", NLB_ARN),
        ("elasticloadbalancing:CreateRule", LISTENER_ARN),
        ("ec2:CreateSecurityGroup", SG_ARN),
    ]:
        # negative control: the managed policy alone refuses the platform's tags
        assert not allows(MANAGED_LOAD_BALANCING, action, resource, create_request(tags)), action
        assert allows(with_ours, action, resource, create_request(tags)), action
        # scoped to this cluster: not for resources tagged as another cluster's
        other = {**tags, "eks:eks-cluster-name": "another"}
        assert not allows(with_ours, action, resource, create_request(other)), action
    # a later change of tags: only on resources that carry this cluster's tag
    owned = {
        "aws:PrincipalTag/eks:eks-cluster-name": CLUSTER,
        "aws:ResourceTag/eks:eks-cluster-name": CLUSTER,
    }
    foreign = {**owned, "aws:ResourceTag/eks:eks-cluster-name": "another"}
    assert allows(ours, "elasticloadbalancing:AddTags", NLB_ARN, owned)
    assert not allows(ours, "elasticloadbalancing:AddTags", NLB_ARN, foreign)
    findings = parliament.analyze_policy_string(policy.inputs["policy"]).findings
    assert findings == []
    # Without Auto Mode the role has no such statement.
    assert not [
        r for r in run_dev().by_type("aws:iam/rolePolicy:RolePolicy") if "custom-tags" in r.name
    ]
