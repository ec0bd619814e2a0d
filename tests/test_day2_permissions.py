"""Controllers' permissions (offline/checks/permissions.py): every call the configuration makes a
controller or node identity do is allowed by that identity's policies in every shipped
configuration, and each kind of gap trips the check (negative controls: Auto Mode with tags and
without the custom-tag statement; a controller without its role, policy, key statement; an
explicit deny; a StorageClass tagging volumes beyond what Auto Mode's policy allows)."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.offline import run_stack
from eks_platform.offline.checks import permissions
from eks_platform.offline.checks.preflight import preflight
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import Registration
from eks_platform.offline.report.plan import build_plan

TAGS = {"tags": {"team": "payments", "cost-center": "4711"}}
AUTO = {"computeMode": "auto", "nodeGroups": []}
CONFIGURATIONS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "dev-tags": ("dev", TAGS),
    "dev-alb-tags": ("dev", {**TAGS, "workload": {"exposure": "alb"}}),
    "dev-karpenter-tags": ("dev", {"computeMode": "karpenter", **TAGS}),
    "dev-auto": ("dev", AUTO),
    "dev-auto-tags": ("dev", {**AUTO, **TAGS}),
    "dev-auto-alb-tags": ("dev", {**AUTO, **TAGS, "workload": {"exposure": "alb"}}),
    "dev-observability-tags": ("dev", {"observability": True, **TAGS}),
    "dev-nat-none": ("dev", {"natMode": "none", **NO_EGRESS_NEEDED}),
    "prod-karpenter": ("prod", {"computeMode": "karpenter",
                                "karpenter": {"amiAlias": "al2023@v20260724"}}),
    "prod-auto": ("prod", AUTO),
}  # fmt: skip
CUSTOM_TAGS = "-cluster-role-custom-tags"


_RUNS: dict[str, list[Registration]] = {}


def expanded(run_dev, stack="dev", /, **overrides) -> list[Registration]:
    """The expanded plan of a configuration, run once per module (tests copy, never change it)."""
    key = json.dumps([stack, overrides], sort_keys=True)
    if key not in _RUNS:
        _RUNS[key] = with_modelled(run_dev(stack, **overrides).registrations)
    return list(_RUNS[key])


def without(registrations: list[Registration], suffix: str) -> list[Registration]:
    kept = [r for r in registrations if not r.name.endswith(suffix)]
    assert len(kept) == len(registrations) - 1, suffix
    return kept


def replaced(registrations, registration, **inputs) -> list[Registration]:
    changed = dataclasses.replace(registration, raw_inputs={**registration.inputs, **inputs})
    return [changed if r is registration else r for r in registrations]


def plan_of(registrations: list[Registration]) -> permissions.Plan:
    return permissions.Plan([permissions.Resource.of(r) for r in registrations])


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_every_shipped_configuration_may_make_every_call(run_dev, name):
    stack, overrides = CONFIGURATIONS[name]
    assert [str(f) for f in permissions.check(expanded(run_dev, stack, **overrides))] == []


def test_a_fleet_is_checked_cluster_by_cluster(project_dir):
    """The fleet's stack holds a platform per region: each identity acts for its own cluster's
    load balancers, classes and key only (one region's driver never needs another's key)."""
    registrations = with_modelled(run_stack(project_dir / "fleet", "global").registrations)
    plan = plan_of(registrations)
    parts = permissions.clusters(plan)
    assert len(parts) == len(plan.by_type[permissions.EKS_COMPONENT]) >= 2
    assert {p.region for p in parts} == {
        str(r.inputs.get("region")) for r in plan.by_type["pulumi:providers:aws"]
    } - {""}
    assert permissions.check(registrations) == []
    # negative control: one region without its driver's key statement
    driver_kms = next(r for r in registrations if r.name.endswith("-storage-driver-kms"))
    region = driver_kms.name.split("-storage-")[0]
    found = permissions.check([r for r in registrations if r is not driver_kms])
    assert found and all(f.resources[0].startswith(region) for f in found)


def test_every_identity_of_the_table_is_found_in_some_configuration(run_dev):
    found: set[str] = set()
    for stack, overrides in CONFIGURATIONS.values():
        plan = plan_of(expanded(run_dev, stack, **overrides))
        found |= {i.kind for i in permissions.identities(plan) if i.role is not None}
    table = {row["identity"] for row in permissions.calls_table()["calls"]}
    assert table == found


def test_every_call_of_the_table_is_evaluated_in_some_configuration(run_dev):
    """Rows that never apply would check nothing: each is filled in by some shipped plan (but
    the certificate row, which needs a TLS certificate: test below)."""
    used: set[int] = set()
    for stack, overrides in CONFIGURATIONS.values():
        plan = plan_of(expanded(run_dev, stack, **overrides))
        base = permissions.base_variables(plan)
        for identity in permissions.identities(plan):
            for subject in permissions.subjects(plan, identity, base):
                used |= {id(row) for row, _ in permissions.requests(identity, subject)}
    unused = [
        (row["identity"], row["action"])
        for row in permissions.calls_table()["calls"]
        if id(row) not in used
    ]
    assert unused == [("load-balancer-controller", "acm:DescribeCertificate")]


def test_the_certificate_call_applies_with_a_certificate(run_dev):
    registrations = expanded(run_dev)
    service = next(r for r in registrations if r.type == "kubernetes:core/v1:Service")
    metadata = copy.deepcopy(service.inputs["metadata"])
    certificate = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b"
    metadata["annotations"][permissions.SERVICE_CERTIFICATE] = certificate
    plan = plan_of(replaced(registrations, service, metadata=metadata))
    subjects = permissions.load_balancers(plan, permissions.base_variables(plan))
    assert subjects[0].variables["certificate"] == certificate
    # and the controller's policy allows it
    assert permissions.findings(plan) == []


def test_every_row_has_a_source_and_every_managed_policy_a_version_and_date():
    table = permissions.calls_table()
    assert table["date"]
    assert all(row["source"] for row in table["calls"])
    tag_sets = {k: v for k, v in table["tag_sets"].items() if k != "about"}
    assert all(entry["source"] for entry in tag_sets.values())
    for name, stored in permissions.managed_policies().items():
        assert stored["version"].startswith("v") and stored["date"], name
        assert stored["arn"].endswith(f"/{name}") and stored["source"], name
        assert stored["document"]["Statement"], name


def test_every_aws_managed_policy_the_plans_attach_is_stored(run_dev):
    for stack, overrides in CONFIGURATIONS.values():
        plan = plan_of(expanded(run_dev, stack, **overrides))
        for identity in permissions.identities(plan):
            if identity.role is not None:
                assert permissions.role_policies(plan, identity.role)[1] == [], identity.kind


# --- negative controls ---------------------------------------------------------------------------


def test_auto_mode_with_tags_without_the_custom_tag_statement_is_refused(run_dev):
    """The issue's negative control: Auto Mode, platform tags on the load balancer, and the
    cluster role without ``<cp>-cluster-role-custom-tags``."""
    registrations = without(expanded(run_dev, **AUTO, **TAGS), CUSTOM_TAGS)
    found = permissions.check(registrations)
    creates = [f for f in found if "elasticloadbalancing:CreateLoadBalancer on" in f.message]
    assert creates, [str(f) for f in found]
    finding = creates[0]
    assert finding.check == permissions.CHECK
    assert finding.message.startswith("auto-mode-cluster-role (role ")
    assert "aws:RequestTag/team=payments" in finding.message
    assert "aws:TagKeys=[" in finding.message and "team" in finding.message
    # the statement that would allow it: the EKS user guide's, from the table's remedies
    assert "'Custom AWS tags' LoadBalancer statement#LoadBalancer" in finding.message
    # not AmazonEKSClusterPolicy: Auto Mode's calls are evaluated without it (table: principals)
    assert "AmazonEKSClusterPolicy" not in finding.message
    assert finding.keys == ["tags"]
    assert finding.resources == [
        "eks-platform-dev-control-plane-cluster-role",
        "eks-platform-dev-app-service",
    ]
    # every create of a load balancer's parts, and nothing without the platform tags
    actions = {f.message.split(": ", 1)[1].split(" on ")[0] for f in found}
    assert {
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:CreateListener",
        "ec2:CreateSecurityGroup",
    } <= actions
    assert all(f.keys == ["tags"] for f in found)
    # the preflight reports it too (exit 3)
    assert any(f.check == permissions.CHECK for f in preflight(registrations))


def test_auto_mode_needs_the_custom_tag_statement_for_the_common_tags_alone(run_dev):
    """The platform's common tags (managed-by, stack, ...) go on every load balancer even with
    no ``tags`` configured."""
    registrations = without(expanded(run_dev, **AUTO), CUSTOM_TAGS)
    found = permissions.check(registrations)
    assert any("aws:RequestTag/managed-by=pulumi" in f.message for f in found)


def test_a_controller_that_runs_without_its_role_is_found(run_dev):
    registrations = without(expanded(run_dev), "-lb-controller-pod-identity")
    (finding,) = permissions.check(registrations)
    assert finding.message.startswith("load-balancer-controller runs (")
    assert finding.resources == ["eks-platform-dev-lb-controller-release"]


def test_karpenter_without_its_iam_integration_policy_is_found(run_dev):
    registrations = without(
        expanded(run_dev, computeMode="karpenter"), "-IAMIntegrationPolicy-attachment"
    )
    messages = [f.message for f in permissions.check(registrations)]
    assert any("iam:PassRole on arn:aws:iam::123456789012:role/" in m for m in messages)
    assert any("iam:CreateInstanceProfile" in m for m in messages)
    # the policy that would allow it is named: the plan's own, now unattached
    assert any("eks-platform-dev-karpenter-IAMIntegrationPolicy#" in m for m in messages)


def test_the_ebs_driver_without_its_key_statement_may_not_encrypt_volumes(run_dev):
    registrations = without(expanded(run_dev), "-storage-driver-kms")
    found = permissions.check(registrations)
    grants = [f for f in found if "kms:CreateGrant on arn:aws:kms:" in f.message]
    assert grants and "kms:GrantIsForAWSResource=true" in grants[0].message
    assert grants[0].resources == [
        "eks-platform-dev-storage-driver-role",
        "eks-platform-dev-storage-gp3",
    ]


def test_an_explicit_deny_wins_and_is_named(run_dev):
    registrations = expanded(run_dev)
    deny = next(r for r in registrations if r.name.endswith("-lb-controller-policy"))
    document = json.loads(deny.inputs["policy"])
    document["Statement"].append(
        {"Sid": "NoNewLoadBalancers", "Effect": "Deny",
         "Action": "elasticloadbalancing:CreateLoadBalancer", "Resource": "*"}
    )  # fmt: skip
    found = permissions.check(replaced(registrations, deny, policy=json.dumps(document)))
    (finding,) = found
    assert "explicitly denied by eks-platform-dev-lb-controller-policy#NoNewLoadBalancers" in (
        finding.message
    )


def test_auto_mode_volumes_tagged_beyond_its_policy_are_refused(run_dev):
    """AmazonEKSBlockStoragePolicy allows CreateVolume only with EKS's own tag keys: a
    tagSpecification on Auto Mode's StorageClass would need a statement of its own."""
    registrations = expanded(run_dev, **AUTO, **TAGS)
    gp3 = next(r for r in registrations if r.type == permissions.STORAGE_CLASS)
    parameters = {**gp3.inputs["parameters"], "tagSpecification_1": "team=payments"}
    found = permissions.check(replaced(registrations, gp3, parameters=parameters))
    assert any(
        "ec2:CreateVolume on arn:aws:ec2:" in f.message and f.keys == ["tags"] for f in found
    ), [str(f) for f in found]


def test_unknown_managed_policies_are_named(run_dev):
    registrations = expanded(run_dev)
    attachment = next(r for r in registrations if r.name.endswith("-AmazonEKS_CNI_Policy"))
    changed = replaced(registrations, attachment, policyArn="arn:aws:iam::aws:policy/Other")
    found = permissions.check(changed)
    assert found and all("not in the table: Other" in f.message for f in found)


# --- transition ----------------------------------------------------------------------------------


def test_a_change_of_tags_that_a_policy_does_not_allow_is_found(run_dev):
    base = build_plan(run_dev(**AUTO)).to_json()
    current = build_plan(run_dev(**AUTO, **TAGS)).to_json()
    assert permissions.transition(base, current, []) == []
    current["resources"] = [r for r in current["resources"] if not r["name"].endswith(CUSTOM_TAGS)]
    found = permissions.transition(base, current, [])
    assert found and all(f.message.startswith("after this change: auto-mode") for f in found)
    assert all(f.keys == ["tags"] for f in found)
    # what the base already could not do is not the change's
    assert permissions.transition(current, current, []) == []


def test_the_plan_json_gives_the_same_identities_as_the_registrations(run_dev):
    run = run_dev(computeMode="karpenter")
    from_json = permissions.Plan(
        [permissions.Resource.from_json(r) for r in build_plan(run).to_json()["resources"]]
    )
    from_registrations = plan_of(with_modelled(run.registrations))
    kinds = sorted(
        (i.kind, i.role.name if i.role else "") for i in permissions.identities(from_json)
    )
    assert kinds == sorted(
        (i.kind, i.role.name if i.role else "") for i in permissions.identities(from_registrations)
    )


def test_a_policy_the_evaluator_cannot_judge_is_a_finding_not_a_crash(run_dev, monkeypatch):
    """An operator the evaluator does not model (or a value it cannot parse) is reported as
    not evaluated, naming the role, instead of stopping the plan with a traceback."""

    def cannot(*_args, **_kwargs):
        raise ValueError("BinaryEquals")

    monkeypatch.setattr(permissions, "evaluate", cannot)
    found = permissions.check(with_modelled(run_dev().registrations))
    assert found and all("could not be evaluated" in f.message for f in found)


def test_the_load_balancer_controller_may_open_the_cluster_security_group(run_dev):
    """Backend security group rules (on by default) go on the cluster security group, which
    carries no controller tag: only the policy's unconditioned Authorize/Revoke statement
    allows them. Negative control: that statement removed (found by the review)."""
    registrations = expanded(run_dev)
    assert permissions.check(registrations) == []
    policy = next(r for r in registrations if r.name.endswith("-lb-controller-policy"))
    document = json.loads(policy.inputs["policy"])
    document["Statement"] = [
        s for s in document["Statement"]
        if "Condition" in s or "ec2:AuthorizeSecurityGroupIngress" not in s["Action"]
    ]  # fmt: skip
    found = permissions.check(replaced(registrations, policy, policy=json.dumps(document)))
    assert found and all("security-group/sg-cluster" in f.message for f in found)
