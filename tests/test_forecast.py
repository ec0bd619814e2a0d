"""The change forecast: update in place, replace or delete, why, and what it disrupts."""

from __future__ import annotations

import json

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.offline.change.diff import diff_plans
from eks_platform.offline.change.forecast import (
    NODE_CLASS_TYPE,
    NODE_POOL_TYPE,
    karpenter_drift,
    replace_on,
)
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.report.plan import build_plan

MODES = [
    {},
    {"natMode": "per_az"},
    {"natMode": "none", **NO_EGRESS_NEEDED},
    {"computeMode": "karpenter"},
    {"computeMode": "auto", "nodeGroups": []},
    {"fargateProfiles": [{"name": "batch", "selectors": [{"namespace": "batch"}]}]},
]


def test_the_replacement_table_covers_every_type_the_program_creates(run_dev):
    for overrides in MODES:
        for registration in with_modelled(run_dev(**overrides).registrations):
            if registration.custom and not registration.type.startswith("pulumi:providers:"):
                assert replace_on(registration.type) is not None, registration.type


@pytest.fixture
def base(run_dev, tmp_path):
    path = tmp_path / "base.json"
    path.write_text(json.dumps(build_plan(run_dev()).to_json(), default=str))
    return str(path)


def forecast_of(capsys, base, *overrides):
    args = [item for override in overrides for item in ("--set", override)]
    code = plan_main(["dev", *args, "--diff-against", base, "--format", "json"])
    diff = json.loads(capsys.readouterr().out)
    return code, {c["urn"].rsplit("::", 1)[-1]: c for c in diff["forecast"]}


def test_a_new_vpc_range_replaces_the_vpc_and_what_hangs_off_it(capsys, base):
    code, changes = forecast_of(capsys, base, "vpcCidr=10.1.0.0/16")
    assert code == 4  # the VPC: CI can stop on it
    vpc = changes["eks-platform-dev-network-vpc"]
    assert vpc["action"] == "replace" and vpc["critical"]
    assert "cidrBlock changed (forces replacement)" in vpc["reasons"]
    assert "EKS cannot move a cluster to another VPC" in vpc["disruption"]
    # The mocks keep ids: followed through vpcId, which forces replacement.
    table = changes["eks-platform-dev-network-private"]
    assert table["action"] == "replace"
    assert "vpcId comes from eks-platform-dev-network-vpc, which is replaced" in table["reasons"][0]
    group = changes["eks-platform-dev-compute-spot-arm"]
    assert group["action"] == "replace" and "subnetIds comes from" in group["reasons"][0]
    assert group["disruption"] == "every node of the group is drained and replaced"
    assert group["seconds"] > 400


def test_instance_types_replace_the_node_group_not_the_cluster(capsys, base):
    code, changes = forecast_of(
        capsys,
        base,
        'nodeGroups=[{"name":"spot-arm","instanceTypes":["t4g.large"],"capacityType":"SPOT","amiType":"AL2023_ARM_64_STANDARD","minSize":1,"desiredSize":2,"maxSize":4,"diskSizeGib":20}]',
    )
    assert code == 1
    group = changes["eks-platform-dev-compute-spot-arm"]
    assert group["action"] == "replace" and group["reasons"] == [
        "instanceTypes changed (forces replacement)"
    ]
    assert not any(c["critical"] for c in changes.values())


def test_renaming_the_cluster_replaces_the_cluster_and_its_log_group_only(capsys, base):
    code, changes = forecast_of(capsys, base, "clusterName=payments")
    assert code == 4
    replaced = sorted(name for name, c in changes.items() if c["action"] == "replace")
    assert "eks-platform-dev-control-plane-eks-eksCluster" in replaced
    assert "eks-platform-dev-control-plane-logs" in replaced
    assert not any("network" in name for name in replaced)  # the VPC stays


def test_an_in_place_change_is_an_update(capsys, base):
    code, changes = forecast_of(capsys, base, "clusterLogRetentionDays=60")
    assert code == 1
    assert changes["eks-platform-dev-control-plane-logs"]["action"] == "update"


def test_the_text_forecast_names_the_action_and_why(capsys, base):
    assert plan_main(["dev", "--set", "natMode=single", "--diff-against", base]) == 1
    out = capsys.readouterr().out
    assert "What a real update would do" in out and "create" in out and "delete" in out


def _record(provider: str) -> dict:
    return {"urn": "u::record", "type": "aws:route53/record:Record", "provider": provider,
            "inputs": {"name": "app.example.com"}, "dependencies": []}  # fmt: skip


def _provider(name: str, region: str) -> dict:
    return {"urn": f"p::{name}", "type": "pulumi:providers:aws", "provider": "",
            "inputs": {"region": region}, "dependencies": []}  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "action"),
    [
        (("a", "us-east-1"), ("b", "eu-west-1"), "replace"),  # another region's provider
        (("a", "us-east-1"), ("b", "us-east-1"), "update"),  # same config: DiffConfig keeps it
        (("default_7_50_0", "us-east-1"), ("default_7_51_1", "us-east-1"), "update"),
        (("default_7_51_1", "us-east-1"), ("b", "eu-west-1"), "replace"),  # either side default
        (("a", "us-east-1"), ("default_7_51_1", "eu-west-1"), "replace"),
    ],
)
def test_moving_to_another_regions_provider_replaces(before, after, action):
    """pulumi step_generator.go providerChanged: a provider whose config differs replaces."""
    old_provider, new_provider = _provider(*before), _provider(*after)
    old = {"resources": [old_provider, _record(f"p::{before[0]}::id1")]}
    new = {"resources": [new_provider, _record(f"p::{after[0]}::id2")]}
    diff = diff_plans(old, new)
    assert diff.changed["u::record"] == ["(provider)"]
    (change,) = [c for c in diff.forecast if c.urn == "u::record"]
    assert change.action == action


def test_a_provider_missing_from_the_plan_is_left_to_the_input_diff():
    old = {"resources": [_record("p::gone::id1")]}
    new = {"resources": [_provider("b", "eu-west-1"), _record("p::b::id2")]}
    (change,) = [c for c in diff_plans(old, new).forecast if c.urn == "u::record"]
    assert change.action == "update"


ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def test_a_natmode_switch_moves_each_association_in_place(capsys, run_dev, tmp_path):
    """per_az -> single: the subnets' associations change routeTableId (in place, through
    ReplaceRouteTableAssociation); no association is created while the old one still holds its
    subnet (Resource.AlreadyAssociated)."""
    base = tmp_path / "per_az.json"
    base.write_text(json.dumps(build_plan(run_dev(natMode="per_az")).to_json(), default=str))
    _, changes = forecast_of(capsys, str(base), "natMode=single")
    associations = {name: c for name, c in changes.items() if c["type"] == ASSOCIATION}
    assert sorted(associations) == [
        "eks-platform-dev-network-private-us-west-2a-rta",
        "eks-platform-dev-network-private-us-west-2b-rta",
    ]
    for change in associations.values():
        assert change["action"] == "update"
        assert "routeTableId changed" in change["reasons"]
    # The S3 endpoint follows the tables in place; nothing is replaced by the switch.
    assert changes["eks-platform-dev-network-s3"]["action"] == "update"
    assert [name for name, c in changes.items() if c["action"] == "replace"] == []


def _as_before_0_6(plan: dict) -> dict:
    """A plan of the same stack as 0.5.0 recorded it: each association its table's child,
    named <table>-<zone> (the mocks' URN scheme: the parent's type, then the type)."""
    by_urn = {r["urn"]: r for r in plan["resources"]}
    renamed = {}
    for r in plan["resources"]:
        if r["type"] != ASSOCIATION:
            continue
        table = next(u for u in r["property_dependencies"]["routeTableId"])
        zone = by_urn[r["parent"]]["inputs"]["availabilityZone"]
        renamed[r["urn"]] = (
            (
                f"urn:pulumi:dev::eks-platform::aws:ec2/routeTable:RouteTable${ASSOCIATION}::"
                f"{by_urn[table]['name']}-{zone}"
            ),
            table,
        )

    def old(r: dict) -> dict:
        if r["urn"] not in renamed:
            return {**r, "dependencies": [renamed.get(u, (u,))[0] for u in r["dependencies"]]}
        urn, table = renamed[r["urn"]]
        return {**r, "urn": urn, "name": urn.rsplit("::", 1)[-1], "parent": table, "aliases": []}

    return {**plan, "resources": [old(r) for r in plan["resources"]]}


@pytest.mark.parametrize("mode", ["single", "per_az"])
def test_a_stack_of_0_5_takes_its_associations_over_through_their_aliases(run_dev, mode):
    """The forecast follows aliases: an old URN a new resource answers to is that resource,
    updated in place or left alone, never created and deleted."""
    per_az = build_plan(run_dev(natMode="per_az")).to_json()
    current = build_plan(run_dev(natMode=mode)).to_json()
    diff = diff_plans(_as_before_0_6(per_az), current)
    touched = [c for c in diff.forecast if c.type == ASSOCIATION]
    assert [c.action for c in touched] == ["update"] * (2 if mode == "single" else 0)
    for change in touched:
        assert "routeTableId changed" in change.reasons
        assert change.reasons[-1].endswith("(alias)")
    assert not [u for u in diff.added + diff.removed if ASSOCIATION in u]
    # Without its aliases, the same plan would add each association before removing the old one.
    bare = {**current, "resources": [{**r, "aliases": []} for r in current["resources"]]}
    naive = diff_plans(_as_before_0_6(per_az), bare)
    assert len([u for u in naive.added if ASSOCIATION in u]) == 4


# --- issue 23, point 13: Karpenter drift is a disruption of an in-place update --------------------


@pytest.fixture
def karpenter_base(run_dev, tmp_path):
    path = tmp_path / "karpenter.json"
    plan = build_plan(run_dev(computeMode="karpenter", gpu={"nodePool": True}))
    path.write_text(json.dumps(plan.to_json(), default=str))
    return str(path)


def test_new_tags_replace_every_karpenter_node(capsys, karpenter_base):
    """spec.tags is in the EC2NodeClass hash (karpenter v1.14.1 pkg/apis/v1/ec2nodeclass.go)."""
    code, changes = forecast_of(
        capsys,
        karpenter_base,
        "computeMode=karpenter",
        'gpu={"nodePool": true}',
        'tags={"team": "payments"}',
    )
    assert code == 1
    for name in (
        "eks-platform-dev-karpenter-node-class",
        "eks-platform-dev-karpenter-gpu-node-class",
    ):
        change = changes[name]
        assert change["action"] == "update" and "spec.tags.team changed" in change["reasons"]
        assert change["disruption"].startswith("replaces every Karpenter node of the class")
    # A tag on AWS resources only is not a node disruption.
    assert not changes["eks-platform-dev-karpenter-interruptions"]["disruption"]


def test_a_new_node_ami_and_new_requirements_name_the_nodes_they_replace(capsys, karpenter_base):
    code, changes = forecast_of(
        capsys,
        karpenter_base,
        "computeMode=karpenter",
        'gpu={"nodePool": true}',
        'karpenter={"amiAlias": "al2023@v20260724", "capacityTypes": ["on-demand"]}',
    )
    assert code == 1
    ami = changes["eks-platform-dev-karpenter-node-class"]["disruption"]
    assert "replaces every Karpenter node of the class once the AMI it selects changes" in ami
    pool = changes["eks-platform-dev-karpenter-node-pool"]["disruption"]
    assert pool.startswith("replaces the pool's nodes that no longer meet its requirements")


@pytest.mark.parametrize(
    ("kind", "keys", "expected"),
    [
        ("NodePool", ["spec.template.spec.nodeClassRef.name"], "replaces every Karpenter node"),
        ("NodePool", ["spec.template.metadata.labels.team"], "replaces every Karpenter node"),
        ("NodePool", ["spec.limits.cpu", "spec.weight"], ""),
        ("EC2NodeClass", ["spec.blockDeviceMappings[0].ebs.volumeSize"], "replaces every"),
        ("EC2NodeClass", ["spec.metadataOptions.httpPutResponseHopLimit"], "replaces every"),
        # hash:"ignore" on the field, but Hash() adds AMIFamily() (ec2nodeclass.go:597-610)
        ("EC2NodeClass", ["spec.amiFamily"], "replaces every"),
        (
            "EC2NodeClass",
            ["spec.subnetSelectorTerms[0].id"],
            "replaces the Karpenter nodes in subnets",
        ),
    ],
)
def test_which_karpenter_fields_drift_nodes(kind, keys, expected):
    token = {"NodePool": NODE_POOL_TYPE, "EC2NodeClass": NODE_CLASS_TYPE}[kind]
    found = karpenter_drift(token, keys)
    assert found.startswith(expected) if expected else found == ""


def test_a_launch_template_change_rolls_the_node_group_that_takes_its_latest_version(capsys, base):
    """A managed group takes its template's latest_version: any template update (here new
    tags on its volumes) is a new version, and UpdateNodegroupVersion drains and replaces every
    node (terraform-provider-aws node_group.go); the mocks keep the version, so the forecast
    follows the template. Negative control: a change that touches no template rolls nothing."""
    code, changes = forecast_of(capsys, base, 'tags={"team": "payments"}')
    assert code == 1
    groups = {n: c for n, c in changes.items() if c["type"] == "aws:eks/nodeGroup:NodeGroup"}
    assert groups
    for change in groups.values():
        assert change["action"] == "update"
        assert any(r.startswith("launchTemplate.version comes from") for r in change["reasons"])
        assert change["disruption"].startswith("every node of the group is drained and replaced")
        assert change["seconds"] > 0
    _, changes = forecast_of(capsys, base, "clusterLogRetentionDays=90")
    assert changes  # the log group's retention
    assert not [c for c in changes.values() if c["type"] == "aws:eks/nodeGroup:NodeGroup"]


def test_removing_a_karpenter_pool_says_its_nodes_go(capsys, karpenter_base):
    _, changes = forecast_of(capsys, karpenter_base, "computeMode=karpenter")
    pool = changes["eks-platform-dev-gpu-node-pool"]
    assert pool["action"] == "delete"
    assert pool["disruption"].startswith("Karpenter drains and terminates every node of the pool")


# --- review: a tags change must not replace the NAT instance (delete before replace) ----------


@pytest.fixture
def instance_base(run_dev, tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(build_plan(run_dev(natMode="instance")).to_json(), default=str))
    return path


def test_new_tags_leave_the_nat_instance_running(capsys, instance_base):
    _, changes = forecast_of(capsys, str(instance_base), "natMode=instance", 'tags={"team": "a"}')
    instance = changes["eks-platform-dev-network-nat-instance-instance"]
    assert instance["action"] == "update"
    assert changes["eks-platform-dev-network-nat-instance-lt"]["reasons"] == ["tags.team changed"]


def test_a_new_template_version_replaces_the_nat_instance(capsys, instance_base):
    """Control: the instance pins the template's latest version, so new template content (here
    a base whose volume was 10 GiB) replaces it (terraform-provider-aws ec2_instance.go)."""
    plan = json.loads(instance_base.read_text())
    for resource in plan["resources"]:
        if resource["name"] == "eks-platform-dev-network-nat-instance-lt":
            resource["inputs"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] = 10
    instance_base.write_text(json.dumps(plan))
    _, changes = forecast_of(capsys, str(instance_base), "natMode=instance")
    instance = changes["eks-platform-dev-network-nat-instance-instance"]
    assert instance["action"] == "replace"
    assert instance["reasons"] == [
        "launchTemplate.version: eks-platform-dev-network-nat-instance-lt gets a new version "
        "(forces replacement)"
    ]
    assert "egress through the NAT instance stops" in instance["disruption"]


def _insights_group(resource: dict) -> bool:
    name = str((resource.get("inputs") or {}).get("name", ""))
    return name.startswith("/aws/containerinsights/")


def _base_plan(run_dev, tmp_path, name: str, drop_insights: bool, **overrides) -> str:
    plan = build_plan(run_dev(**overrides)).to_json()
    if drop_insights:  # a stack from before 0.6.0: the add-on ran, the groups were not ours
        plan["resources"] = [r for r in plan["resources"] if not _insights_group(r)]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(plan, default=str))
    return str(path)


def test_insights_groups_the_add_on_already_made_are_said_to_need_adopting(
    capsys, run_dev, tmp_path
):
    held = _base_plan(run_dev, tmp_path, "held", True, observability=True)
    _, changes = forecast_of(capsys, held, "observability=true")
    created = [c for n, c in changes.items() if "-insights-" in n]
    assert len(created) == 4 and all(c["action"] == "create" for c in created)
    assert all("created it in AWS already" in c["reasons"][-1] for c in created)
    # Negative control: a base that never ran the add-on has nothing in AWS to adopt.
    fresh = _base_plan(run_dev, tmp_path, "fresh", False)
    _, changes = forecast_of(capsys, fresh, "observability=true")
    created = [c for n, c in changes.items() if "-insights-" in n]
    assert len(created) == 4
    assert not any("created it in AWS already" in r for c in created for r in c["reasons"])
