"""The second `up` is a no-op (issue 24 §2): the read-back table, the check over every shipped
configuration, its negative control (the NAT instance as it was before the fix), and a test per
group of rows that matters (a write-through, defaults, each normaliser, rules added by other
resources, a controller's changes, tags, the transition)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.offline import run_stack
from eks_platform.offline.change.diff import diff_plans
from eks_platform.offline.checks import readback
from eks_platform.offline.checks.preflight import preflight
from eks_platform.offline.checks.readback import (
    CHECK,
    NORMALISERS,
    REMOVAL_CHECK,
    check,
    policies_equivalent,
    readback_table,
    tags_all,
    transition,
)
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import Registration
from eks_platform.offline.report.plan import build_plan

FLEET_DIR = Path(__file__).resolve().parent.parent / "fleet"
INSTANCE = "aws:ec2/instance:Instance"
ENI = "aws:ec2/networkInterface:NetworkInterface"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
ADDON = "aws:eks/addon:Addon"
AUTO = {"computeMode": "auto", "nodeGroups": []}
SPOT = {"name": "spot-arm", "instanceTypes": ["t4g.small"], "amiType": "AL2023_ARM_64_STANDARD",
        "minSize": 1, "desiredSize": 2, "maxSize": 4}  # fmt: skip
GPU_GROUP = {"name": "gpu", "instanceTypes": ["g6.xlarge"], "amiType": "AL2023_x86_64_NVIDIA",
             "minSize": 0, "desiredSize": 0, "maxSize": 2}  # fmt: skip
ZONE = {"domain": "app.example.com", "hostedZoneId": "Z0123456789ABC"}
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
CONFIGURATIONS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "dev-karpenter": ("dev", {"computeMode": "karpenter"}),
    "dev-auto": ("dev", AUTO),
    "dev-nat-single": ("dev", {"natMode": "single"}),
    "dev-nat-per-az": ("dev", {"natMode": "per_az"}),
    "dev-nat-none": ("dev", {"natMode": "none", **NO_EGRESS_NEEDED}),
    "dev-observability": ("dev", {"observability": True}),
    "dev-no-block-storage": ("dev", {"blockStorage": False}),
    "dev-gpu-node-group": ("dev", {"nodeGroups": [SPOT, GPU_GROUP]}),
    "dev-alb-https-gpu-pool": ("dev", {"computeMode": "karpenter",
                                       "gpu": {"nodePool": True, "smokeTest": True},
                                       "workload": {"exposure": "alb", **ZONE}}),
    "dev-nlb-tls": ("dev", {"workload": {"exposure": "nlb", "tls": {"certificateArn": CERT},
                                         **ZONE}}),
    "prod-karpenter": ("prod", {"computeMode": "karpenter",
                                "karpenter": {"amiAlias": "al2023@v20260724"}}),
    "prod-auto": ("prod", AUTO),
}  # fmt: skip


def expanded(run_dev, stack="dev", /, **overrides) -> list[Registration]:
    return with_modelled(run_dev(stack, **overrides).registrations)


def _one(registrations, type_token, suffix=""):
    return next(r for r in registrations if r.type == type_token and r.name.endswith(suffix))


def _swap(registrations, old, new):
    return [new if r is old else r for r in registrations]


def _with_inputs(registrations, registration, **inputs):
    changed = dataclasses.replace(registration, raw_inputs={**registration.inputs, **inputs})
    return _swap(registrations, registration, changed), changed


# The shipped stacks and the negative control.


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_every_shipped_configuration_reads_back_what_it_sets(run_dev, name):
    stack, overrides = CONFIGURATIONS[name]
    assert [str(f) for f in check(expanded(run_dev, stack, **overrides))] == []


@pytest.mark.parametrize("overrides", [{}, ZONE])
def test_the_fleet_reads_back_what_it_sets(overrides):
    registrations = with_modelled(run_stack(FLEET_DIR, "global", overrides).registrations)
    assert [str(f) for f in check(registrations)] == []


def test_negative_control_the_nat_instance_before_its_fix(run_dev):
    """The NAT instance as on main before the fix (no ``ignore_changes``): the provider reads
    ``sourceDestCheck`` back from the interface (false) while its default is true; every update
    plans false -> true and writes it through to the interface (#44768)."""
    registrations = expanded(run_dev)
    instance = _one(registrations, INSTANCE)
    assert instance.ignore_changes == ["sourceDestCheck"]
    before_fix = dataclasses.replace(instance, ignore_changes=[])
    (finding,) = check(_swap(registrations, instance, before_fix))
    assert finding.check == CHECK
    assert finding.message.startswith(
        f"the next `up` would change Instance {instance.name}.sourceDestCheck from False to True"
    )
    assert "eks-platform-dev-network-nat-instance-eni has False" in finding.message
    assert "ModifyInstanceAttribute" in finding.message
    assert finding.resources == [instance.name]
    assert finding.keys == []  # the platform's code
    # ... and in the preflight (exit 3), beside nothing else
    assert [f.check for f in preflight(_swap(registrations, instance, before_fix))] == [CHECK]


def test_the_write_through_follows_the_interface(run_dev):
    """The read-back is the interface's own value: with the check left on there, the
    instance's default agrees and nothing changes."""
    registrations = expanded(run_dev)
    instance = _one(registrations, INSTANCE)
    registrations = _swap(registrations, instance, dataclasses.replace(instance, ignore_changes=[]))
    registrations, _ = _with_inputs(registrations, _one(registrations, ENI), sourceDestCheck=True)
    assert check(registrations) == []


# Normalisers: what the provider or AWS makes of an input, and whether it then diffs.


def test_a_cidr_that_is_not_a_network_address_reads_back_as_one(run_dev):
    registrations = expanded(run_dev)
    subnet = _one(registrations, "aws:ec2/subnet:Subnet", "private-us-west-2a")
    broken, _ = _with_inputs(registrations, subnet, cidrBlock="10.0.0.1/19")
    (finding,) = check(broken)
    assert ".cidrBlock from '10.0.0.0/19' to '10.0.0.1/19'" in finding.message
    # a route's destination is compared as a network (suppressEqualCIDRBlockDiffs): no diff
    route = _one(registrations, "aws:ec2/route:Route", "private-default")
    assert check(_with_inputs(registrations, route, destinationCidrBlock="0.0.0.0/0")[0]) == []
    assert NORMALISERS["cidr"]("10.0.0.1/19") == "10.0.0.0/19"


def test_security_group_protocols_are_normalised_on_both_sides(run_dev):
    registrations = expanded(run_dev)
    group = _one(registrations, SECURITY_GROUP, "nat-instance-sg")
    ingress = [{**group.inputs["ingress"][0], "protocol": "ALL"}]
    assert check(_with_inputs(registrations, group, ingress=ingress)[0]) == []
    assert [NORMALISERS["sg_protocol"](p) for p in ("all", "-1", "6", "TCP")] == [
        "-1",
        "-1",
        "tcp",
        "tcp",
    ]


def test_policies_are_compared_as_equivalent_documents():
    """The port of awspolicyequivalence: what keeps IAM's rewriting from diffing."""
    ours = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": ["sts:AssumeRole"]},
        {"Effect": "Deny", "Action": ["s3:A", "s3:B"], "Resource": "*"}]}  # fmt: skip
    aws = {"Version": "2012-10-17", "Statement": [
        {"Effect": "deny", "Action": ["s3:B", "s3:A"], "Resource": ["*"]},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "sts:AssumeRole"}]}  # fmt: skip
    assert policies_equivalent(json.dumps(ours), json.dumps(aws))
    other = {**aws, "Statement": [aws["Statement"][0]]}
    assert not policies_equivalent(json.dumps(ours), json.dumps(other))
    flag = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": True}}}]}  # fmt: skip
    # a JSON boolean is never equal, as in the Go library (newStringSet returns nil)
    assert not policies_equivalent(json.dumps(flag), json.dumps(flag))
    assert json.loads(NORMALISERS["policy"](json.dumps(ours)))["Statement"][0] == {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sts:AssumeRole",
    }


def test_a_trust_policy_rewritten_by_iam_does_not_diff_but_would_without_equivalence(
    run_dev, monkeypatch
):
    registrations = expanded(run_dev)
    role = _one(registrations, "aws:iam/role:Role", "compute-node-role")
    statement = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}}
    trust = {"Version": "2012-10-17", "Statement": [{**statement, "Action": ["sts:AssumeRole"]}]}
    rewritten, _ = _with_inputs(registrations, role, assumeRolePolicy=json.dumps(trust))
    assert check(rewritten) == []
    rows = [
        {**row, "rule": {**row["rule"], "compare": "equal"}}
        if row["property"] == "assumeRolePolicy"
        else row
        for row in readback_table()["rows"]
    ]
    monkeypatch.setattr(readback, "rows_for", lambda t: [r for r in rows if r["type"] == t])
    # compared as text, every role's one-element Action lists would diff, this one's ID too
    (finding,) = [f for f in check(rewritten) if f.resources == [role.name]]
    assert "arn:aws:iam::123456789012:root" in finding.message


def test_the_oidc_issuer_reads_back_without_its_scheme(run_dev):
    registrations = expanded(run_dev)
    provider = _one(registrations, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
    assert check(_with_inputs(registrations, provider, url=issuer)[0]) == []
    assert NORMALISERS["oidc_url"](issuer) == "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"


def test_a_kms_alias_target_reads_back_as_the_key_id(run_dev):
    registrations = expanded(run_dev)
    alias = _one(registrations, "aws:kms/alias:Alias")
    arn = f"arn:aws:kms:us-west-2:123456789012:key/{alias.inputs['targetKeyId']}"
    assert check(_with_inputs(registrations, alias, targetKeyId=arn)[0]) == []
    assert NORMALISERS["kms_key_id"](arn) == alias.inputs["targetKeyId"]


def test_route53_names_are_lower_case_without_the_trailing_dot():
    assert NORMALISERS["route53_name"]("App.Example.com.") == "app.example.com"
    record = Registration(
        "urn:r", "aws:route53/record:Record", "r", True, "", "", [], {},
        {"name": "App.Example.com.", "type": "A", "zoneId": "Z1",
         "aliases": [{"name": "dualstack.LB.elb.amazonaws.com.", "zoneId": "Z2"}]},
    )  # fmt: skip
    assert check([record]) == []


def test_a_node_group_on_latest_reads_back_a_version_number(run_dev):
    registrations = expanded(run_dev)
    group = _one(registrations, NODE_GROUP)
    template = {**group.inputs["launchTemplate"], "version": "$Latest"}
    (finding,) = check(_with_inputs(registrations, group, launchTemplate=template)[0])
    assert ".launchTemplate.version from '<a version number>' to '$Latest'" in finding.message


def test_a_chart_version_range_reads_back_as_the_resolved_version(run_dev):
    registrations = expanded(run_dev)
    release = _one(registrations, RELEASE, "metrics-server-release")
    for given in ("3.x", "v3.13.1"):
        (finding,) = check(_with_inputs(registrations, release, version=given)[0])
        assert f".version from '{NORMALISERS['helm_chart_version'](given)}' to '{given}'" in (
            finding.message
        )


def test_addon_configuration_values_are_compared_as_text(run_dev):
    registrations = expanded(run_dev)
    coredns = _one(registrations, ADDON, "-coredns")
    values = coredns.inputs["configurationValues"]
    assert check(_with_inputs(registrations, coredns, configurationValues=values + "\n")[0])
    assert check(_with_inputs(registrations, coredns, configurationValues=values)[0]) == []


# Read back with what other resources add, or what a controller sets.


def test_a_rule_resource_on_a_group_with_inline_rules_diffs(run_dev):
    registrations = expanded(run_dev)
    group = _one(registrations, SECURITY_GROUP, "nat-instance-sg")
    rule = Registration(
        "urn:rule", "aws:ec2/securityGroupRule:SecurityGroupRule", "extra-rule", True, "", "",
        [], {}, {"type": "ingress", "securityGroupId": group.resource_id, "protocol": "tcp",
                 "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]},
    )  # fmt: skip
    (finding,) = check([*registrations, rule])
    assert f"{group.name}.ingress from the inline list plus what extra-rule adds" in (
        finding.message
    )
    assert finding.resources == sorted([group.name, "extra-rule"])


def test_the_desired_size_is_the_cluster_autoscalers(run_dev):
    """prod runs the Cluster Autoscaler: without ignore_changes every `up` resets its size."""
    registrations = expanded(run_dev, "prod")
    group = _one(registrations, NODE_GROUP)
    assert group.ignore_changes == ["scalingConfig.desiredSize"]
    unignored = _swap(registrations, group, dataclasses.replace(group, ignore_changes=[]))
    (finding,) = check(unignored)
    assert ".scalingConfig.desiredSize from '<what the controller set>'" in finding.message
    dev = expanded(run_dev)  # no autoscaler: the size stays what Pulumi set
    group = _one(dev, NODE_GROUP)
    assert check(_swap(dev, group, dataclasses.replace(group, ignore_changes=[]))) == []


# Tags, defaults and the table itself.


def test_tags_all_merges_the_providers_default_tags():
    registrations = run_stack(FLEET_DIR, "global", {}).registrations
    vpc = next(r for r in registrations if r.type == "aws:ec2/vpc:Vpc")
    merged = tags_all(vpc, registrations)
    assert merged["team"] == "platform"  # fleet/Pulumi.global.yaml tags, as defaultTags
    assert merged["Name"] == vpc.inputs["tags"]["Name"]
    assert {k: merged[k] for k in vpc.inputs["tags"]} == vpc.inputs["tags"]


def test_a_default_is_what_an_unset_input_plans(run_dev):
    """The instance leaves sourceDestCheck unset: the default (true) is what it plans, so an
    interface with the check off is a difference, and one left at its default is not."""
    registrations = expanded(run_dev)
    instance = _one(registrations, INSTANCE)
    assert "sourceDestCheck" not in instance.inputs
    interface = _one(registrations, ENI)
    unignored = _swap(registrations, instance, dataclasses.replace(instance, ignore_changes=[]))
    at_default = dataclasses.replace(
        interface, raw_inputs={k: v for k, v in interface.inputs.items() if k != "sourceDestCheck"}
    )
    assert check(_swap(unignored, interface, at_default)) == []


def test_every_row_has_a_source_and_a_rule_the_check_knows():
    table = readback_table()
    assert table["date"] and table["source"]
    kinds = {"default", "kept", "normalised", "from_other_resource", "aggregated",
             "from_controller", "tags"}  # fmt: skip
    for row in table["rows"]:
        assert row["source"] and row["behaviour"], row
        assert row["rule"]["kind"] in kinds, row
        if row["rule"]["kind"] == "normalised":
            assert row["rule"]["normaliser"] in NORMALISERS, row
            assert row["rule"]["compare"] in ("equal", "normalised", "policy_equivalent"), row
    rows = {(r["type"], r["property"]) for r in table["rows"]}
    assert len(rows) == len(table["rows"]), "one row per type and property"


def test_every_type_the_plans_create_is_in_the_table(run_dev):
    """Each AWS type at least through its tags; each Kubernetes object through the provider's
    diff of the live object; each other type by its own rows."""
    types = {
        r.type
        for name in ("dev", "prod", "dev-alb-https-gpu-pool", "dev-nat-single")
        for r in expanded(run_dev, CONFIGURATIONS[name][0], **CONFIGURATIONS[name][1])
        if r.custom and not r.type.startswith("pulumi:providers:")
    }
    assert [t for t in sorted(types) if not readback.rows_for(t)] == []


# The transition: an Optional+Computed input the change stops setting.


def test_removing_an_optional_computed_input_keeps_it_in_aws(run_dev):
    base = build_plan(run_dev()).to_json()
    current = json.loads(json.dumps(base))
    coredns = next(r for r in current["resources"] if r["name"].endswith("-compute-coredns"))
    del coredns["inputs"]["configurationValues"]
    changes = [c.to_json() for c in diff_plans(base, current).forecast]
    assert any(c["urn"] == coredns["urn"] and c["action"] == "update" for c in changes)
    (finding,) = transition(base, current, changes)
    assert finding.check == REMOVAL_CHECK
    assert f"stops setting Addon {coredns['name']}.configurationValues" in finding.message
    assert "pulumi/pulumi-terraform-bridge#2152" in finding.message
    assert diff_plans(base, current).findings == [finding]  # through checks.transitions


def test_shipped_transitions_remove_nothing_the_provider_keeps(run_dev):
    plans = {
        name: build_plan(run_dev(*CONFIGURATIONS[name][:1], **CONFIGURATIONS[name][1])).to_json()
        for name in ("dev", "dev-karpenter", "dev-auto", "dev-nat-single")
    }
    for (base, old), (current, new) in itertools.permutations(plans.items(), 2):
        changes = [c.to_json() for c in diff_plans(old, new).forecast]
        assert transition(old, new, changes) == [], (base, current)
