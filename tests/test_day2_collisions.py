"""Collisions (issue 24 §1): the uniqueness table covers every type the program creates; no
shipped configuration claims a key twice; and a change that creates something whose key a
resource deleted later still holds is found (negative controls: the 0.5.0 association names,
a fixed-identity resource replaced without deleteBeforeReplace)."""

from __future__ import annotations

import copy
import dataclasses
import time
from pathlib import Path

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.offline import run_stack
from eks_platform.offline.change.diff import diff_plans
from eks_platform.offline.checks import collisions
from eks_platform.offline.checks.preflight import NAME_LIMITS, preflight
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.report.plan import build_plan

FLEET_DIR = Path(__file__).resolve().parent.parent / "fleet"
ZONE = "Z0123456789ABC"
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
GPU_GROUP = {"name": "gpu", "instanceTypes": ["g6.xlarge"], "amiType": "AL2023_x86_64_NVIDIA",
             "minSize": 0, "desiredSize": 1, "maxSize": 2}  # fmt: skip
BYO = {
    "existingVpcId": "vpc-0123456789abcdef0",
    "existingPublicSubnetIds": ["subnet-0000000a", "subnet-0000000d"],
    "existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"],
}
VARIANTS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "nat-single": ("dev", {"natMode": "single"}),
    "nat-per-az": ("dev", {"natMode": "per_az", "availabilityZoneCount": 3}),
    "nat-none": ("dev", {"natMode": "none", **NO_EGRESS_NEEDED}),
    "karpenter-gpu": ("dev", {"computeMode": "karpenter",
                              "gpu": {"nodePool": True, "smokeTest": True}}),
    "auto-gpu-alb": ("dev", {"computeMode": "auto", "nodeGroups": [], "gpu": {"nodePool": True},
                             "workload": {"replicas": 1, "exposure": "alb"}}),
    "fargate-observability": ("dev", {"observability": True, "fargateProfiles": [
        {"name": "batch", "selectors": [{"namespace": "batch"}]}]}),
    "alb-domain": ("dev", {"workload": {"replicas": 1, "exposure": "alb",
                                        "domain": "app.example.com", "hostedZoneId": ZONE}}),
    "nlb-domain-tags": ("dev", {"tags": {"team": "platform"}, "workload": {
        "replicas": 1, "domain": "app.example.com", "hostedZoneId": ZONE}}),
    "internal-tls": ("dev", {"workload": {"replicas": 1, "scheme": "internal", "exposure": "alb",
                                          "tls": {"certificateArn": CERT}}}),
    "gpu-group-autoscaler": ("dev", {"nodeGroups": [GPU_GROUP, {"name": "a", "autoscaled": True}],
                                     "gpu": {"smokeTest": True}}),
    "existing-vpc": ("dev", {**BYO, "natMode": "single"}),
    "no-batteries": ("dev", {"blockStorage": False, "metricsServer": False,
                             "loadBalancerController": {"enabled": False}}),
    "access": ("dev", {"adminPrincipalArns": ["arn:aws:iam::123456789012:role/ops"],
                       "readOnlyPrincipalArns": ["arn:aws:iam::123456789012:role/audit"]}),
}  # fmt: skip


@pytest.fixture(scope="module")
def expanded_variants():
    project = Path(__file__).resolve().parent.parent
    runs = {
        name: with_modelled(run_stack(project, stack, overrides).registrations)
        for name, (stack, overrides) in VARIANTS.items()
    }
    fleet = {"domain": "app.example.com", "hostedZoneId": ZONE}
    runs["fleet"] = with_modelled(run_stack(FLEET_DIR, "global", fleet).registrations)
    return runs


def test_every_type_the_program_creates_has_a_row(expanded_variants):
    table = collisions.uniqueness()
    created = {r.type for regs in expanded_variants.values() for r in regs if r.custom}
    assert sorted(created - set(table)) == []
    for type_token, entry in table.items():
        assert entry["source"], type_token
        assert entry["keys"] or entry.get("none"), f"{type_token}: keys, or why nothing is unique"
        for row in entry["keys"]:
            assert row["source"] and row["refused"]
            assert row["in"] in ("account", "region", "cluster")
    # The rows the issue names are there.
    for type_token in (
        "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/eip:Eip",
        "aws:ec2/instance:Instance", "aws:iam/role:Role", "aws:kms/alias:Alias",
        "aws:eks/accessEntry:AccessEntry", "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:route53/record:Record", "kubernetes:helm.sh/v3:Release",
    ):  # fmt: skip
        assert table[type_token]["keys"], type_token
    default = table["kubernetes:storage.k8s.io/v1:StorageClass"]["keys"]
    assert any(row.get("conflict") == "ambiguous" for row in default)


def test_the_name_limits_come_from_the_table():
    assert NAME_LIMITS["aws:iam/role:Role"] == ("name", 64, "account")
    assert NAME_LIMITS["aws:eks/nodeGroup:NodeGroup"] == ("nodeGroupName", 63, "cluster")


def test_no_shipped_configuration_claims_a_key_twice(expanded_variants):
    for name, registrations in expanded_variants.items():
        assert [str(f) for f in preflight(registrations)] == [], name


def _one(registrations, type_token, suffix=""):
    return next(r for r in registrations if r.type == type_token and r.name.endswith(suffix))


def _twin(registration, **inputs):
    return dataclasses.replace(
        registration,
        urn=registration.urn + "-twin",
        name=registration.name + "-twin",
        raw_inputs={**registration.inputs, **inputs},
    )


def test_two_associations_of_one_subnet_are_found(expanded_variants):
    """Negative control of check(): a second association for a subnet, on another table."""
    registrations = expanded_variants["nat-single"]
    association = _one(registrations, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    twin = _twin(association, routeTableId="rtb-0other")
    (finding,) = collisions.check([*registrations, twin])
    assert finding.check == "duplicate-key"
    assert finding.resources == sorted([association.name, twin.name])
    assert "a subnet's route table association" in finding.message
    assert "Resource.AlreadyAssociated" in finding.message


def test_overlapping_subnets_and_a_second_pod_identity_are_found(expanded_variants):
    registrations = expanded_variants["dev"]
    subnet = _one(registrations, "aws:ec2/subnet:Subnet", "-private-us-west-2a")
    inside = _twin(subnet, cidrBlock="10.0.16.0/20")  # within 10.0.0.0/19
    (finding,) = collisions.check([*registrations, inside])
    assert "InvalidSubnet.Conflict" in finding.message
    association = _one(registrations, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    (finding,) = collisions.check([*registrations, _twin(association)])
    assert "one Pod Identity association per service account" in finding.message


# --- transitions ------------------------------------------------------------------------------

ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def _plan(run_dev, **overrides):
    return build_plan(run_dev(**overrides)).to_json()


def as_of_0_5_0(plan):
    """The plan as 0.5.0 named it: each association the child of its route table, named
    ``<table>-<zone>``, without the aliases that move them today."""
    plan = copy.deepcopy(plan)
    by_urn = {r["urn"]: r for r in plan["resources"]}
    for resource in plan["resources"]:
        if resource["type"] != ASSOCIATION:
            continue
        table = by_urn[resource["property_dependencies"]["routeTableId"][0]]
        subnet = by_urn[resource["property_dependencies"]["subnetId"][0]]
        zone = subnet["inputs"]["availabilityZone"]
        name = f"{table['name']}-{zone}"
        # The URN a child gets under the mocks: its parent's own type, "$", its type.
        head, _, _ = table["urn"].rpartition("::")
        prefix, _, chain = head.rpartition("::")
        resource.update(
            urn=f"{prefix}::{chain.rsplit('$', 1)[-1]}${ASSOCIATION}::{name}",
            name=name,
            parent=table["urn"],
            aliases=[],
        )
    return plan


def test_the_0_5_0_association_names_trip_on_a_nat_mode_switch(run_dev):
    """Negative control (a): 0.5.0 named an association after its table, so a natMode switch
    single -> per_az created each private subnet's new association (a new name, on the new
    table) while the old one, deleted only at the end, still held the subnet."""
    single, per_az = _plan(run_dev, natMode="single"), _plan(run_dev, natMode="per_az")
    diff = diff_plans(as_of_0_5_0(single), as_of_0_5_0(per_az))
    found = [f for f in diff.findings if f.check == "collision"]
    assert len(found) == 2  # the two private subnets of the dev stack
    finding = next(f for f in found if "us-west-2a" in f.resources[0])
    assert finding.resources == [
        "eks-platform-dev-network-private-us-west-2a-us-west-2a",
        "eks-platform-dev-network-private-us-west-2a",
    ]
    subnet = next(r for r in per_az["resources"] if r["name"].endswith("-private-us-west-2a")
                  and r["type"] == "aws:ec2/subnet:Subnet")  # fmt: skip
    subnet_id = next(
        r["inputs"]["subnetId"] for r in per_az["resources"]
        if r["type"] == ASSOCIATION and subnet["urn"] in r["property_dependencies"]["subnetId"]
    )  # fmt: skip
    assert f"a subnet's route table association ({subnet_id})" in finding.message
    assert "AWS will refuse this" in finding.message and "Resource.AlreadyAssociated" in (
        finding.message
    )
    assert "deletes at the end of this update" in finding.message
    assert "Fix: alias" in finding.message and "deleteBeforeReplace" in finding.message
    assert diff.critical
    # Today's names (one association per subnet, with aliases from the 0.5.0 names): nothing.
    assert diff_plans(single, per_az).findings == []
    assert diff_plans(as_of_0_5_0(single), per_az).findings == []


def test_the_nat_instance_replaced_without_deleting_first_trips(run_dev):
    """Negative control (b): the NAT instance holds its interface at device index 0; replaced
    (its launch template gets a new version), it is deleted first (the program's
    deleteBeforeReplace). Without it, the new instance would claim the interface the old one
    still holds."""
    base = _plan(run_dev)
    current = copy.deepcopy(base)
    template = next(r for r in current["resources"] if r["name"].endswith("-nat-instance-lt"))
    template["inputs"]["description"] = "NAT instance, changed"
    instance = next(r for r in current["resources"] if r["name"].endswith("-nat-instance-instance"))
    assert instance["delete_before_replace"] is True
    diff = diff_plans(base, current)
    assert [c.action for c in diff.forecast if c.urn == instance["urn"]] == ["replace"]
    assert diff.findings == []
    instance["delete_before_replace"] = False
    (finding,) = diff_plans(base, current).findings
    assert finding.resources == [instance["name"]]
    assert "the network interface at device index 0" in finding.message
    assert "its own old resource" in finding.message
    assert "InvalidNetworkInterface.InUse" in finding.message
    assert "Fix: set deleteBeforeReplace" in finding.message


def _replace(plan, urn):
    return [{"urn": urn, "type": next(r["type"] for r in plan["resources"] if r["urn"] == urn),
             "action": "replace"}]  # fmt: skip


def test_a_fixed_name_replaced_creating_first_trips_and_auto_names_do_not(run_dev):
    """Negative control (b): a Route 53 record's name is its DNS name, never auto-named
    (pulumi-aws resource_overrides.go), so a replacement creates the new record set while the
    old one exists. A fixed IAM role name is deleted first by the bridge; an auto-named role
    gets a new name."""
    named = {"replicas": 1, "domain": "app.example.com", "hostedZoneId": ZONE}
    plan = _plan(run_dev, workload=named)
    record = next(r for r in plan["resources"] if r["type"] == "aws:route53/record:Record"
                  and r["inputs"].get("type") == "A")  # fmt: skip
    (finding,) = collisions.transition(plan, plan, _replace(plan, record["urn"]))
    assert "a record set (name, type, set identifier) in a hosted zone" in finding.message
    assert "app.example.com" in finding.message and "InvalidChangeBatch" in finding.message
    record["delete_before_replace"] = True
    assert collisions.transition(plan, plan, _replace(plan, record["urn"])) == []
    role = next(r for r in plan["resources"] if r["type"] == "aws:iam/role:Role")
    assert "name" not in role["inputs"]  # auto-named: a new random suffix
    assert collisions.transition(plan, plan, _replace(plan, role["urn"])) == []
    role["inputs"]["name"] = "platform-role"  # fixed: the bridge deletes first
    assert collisions.transition(plan, plan, _replace(plan, role["urn"])) == []


def test_a_helm_release_moved_without_an_alias_trips(run_dev):
    """A release renamed in the program (a new URN) with the same Helm name and namespace: the
    new install meets the old release, uninstalled only at the end."""
    base = _plan(run_dev)
    current = copy.deepcopy(base)
    release = next(r for r in current["resources"] if r["name"].endswith("-app-release"))
    old_urn = release["urn"]
    release["urn"], release["name"] = old_urn + "-v2", release["name"] + "-v2"
    (finding,) = diff_plans(base, current).findings
    assert "a release name in a namespace (podinfo, podinfo)" in finding.message
    assert finding.resources == [release["name"], old_urn.rsplit("::", 1)[-1]]
    release["aliases"] = [old_urn]
    assert diff_plans(base, current).findings == []


def test_the_checks_cost(run_dev):
    """Reported, not asserted (no timed assertions): the check over the dev plan."""
    registrations = with_modelled(run_dev().registrations)
    start = time.perf_counter()
    for _ in range(20):
        collisions.check(registrations)
    print(f"collisions.check on dev: {(time.perf_counter() - start) / 20 * 1000:.1f} ms")


@pytest.mark.parametrize(
    "change",
    [{"privateSubnetPrefixLength": 20}, {"availabilityZones": ["us-west-2b", "us-west-2c"]}],
)
def test_resizing_or_moving_subnets_is_refused_by_the_forecast(run_dev, change):
    """A real limit the check finds: new subnet ranges (or zones) replace the subnets, and each
    new subnet is created while the old, overlapping one still exists (InvalidSubnet.Conflict).
    The forecast refuses it (exit 4), naming the keys; a zone count change keeps the ranges."""
    base = _plan(run_dev)
    diff = diff_plans(base, _plan(run_dev, **change))
    assert diff.findings and diff.critical
    for finding in diff.findings:
        assert "an address range in a VPC" in finding.message
        assert "InvalidSubnet.Conflict" in finding.message
        assert set(change) <= set(finding.keys)
    assert diff_plans(base, _plan(run_dev, availabilityZoneCount=3)).findings == []
