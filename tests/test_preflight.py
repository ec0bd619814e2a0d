"""The preflight: every shipped stack, compute mode and NAT mode passes, and each check trips on
a plan built to trip it (negative controls)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.args.addons import addon_lock
from eks_platform.args.endpoints import PRIVATE_CLUSTER_ENDPOINTS
from eks_platform.offline.checks.preflight import (
    NODE_JOIN_ENDPOINTS,
    SESSION_MANAGER_ENDPOINTS,
    Finding,
    duplicate_access_entries,
    duplicate_addons,
    duplicate_names,
    names_too_long,
    preflight,
    private_subnets_without_egress,
    private_subnets_without_session_manager,
    unknown_addon_versions,
    volumes_below_snapshot,
)
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import Registration

PRIVATE = NO_EGRESS_NEEDED
AUTO = {"computeMode": "auto", "nodeGroups": []}
FARGATE = {"fargateProfiles": [{"name": "batch", "selectors": [{"namespace": "batch"}]}]}
PINNED = {"computeMode": "karpenter", "karpenter": {"amiAlias": "al2023@v20260724"}}
CONFIGURATIONS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "dev-karpenter": ("dev", {"computeMode": "karpenter"}),
    "dev-auto": ("dev", AUTO),
    "dev-fargate": ("dev", FARGATE),
    "dev-nat-single": ("dev", {"natMode": "single"}),
    "dev-nat-per-az": ("dev", {"natMode": "per_az"}),
    "dev-nat-none": ("dev", {"natMode": "none", **PRIVATE}),
    "prod-karpenter": ("prod", PINNED),
    "prod-auto": ("prod", AUTO),
}  # fmt: skip


def expanded(run_dev, stack="dev", /, **overrides) -> list[Registration]:
    return with_modelled(run_dev(stack, **overrides).registrations)


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_every_shipped_configuration_passes(run_dev, name):
    stack, overrides = CONFIGURATIONS[name]
    assert [str(f) for f in preflight(expanded(run_dev, stack, **overrides))] == []


def _replace(registrations, registration, **inputs):
    changed = dataclasses.replace(registration, raw_inputs={**registration.inputs, **inputs})
    return [changed if r is registration else r for r in registrations]


def _one(registrations, type_token, suffix=""):
    return next(r for r in registrations if r.type == type_token and r.name.endswith(suffix))


def test_two_vpc_cni_addons_are_found(run_dev):
    """The defect behind this check: pulumi-eks adds vpc-cni unless useDefaultVpcCni is true."""
    registrations = run_dev().registrations
    cluster = _one(registrations, "eks:index:Cluster")
    without_switch = {k: v for k, v in cluster.inputs.items() if k != "useDefaultVpcCni"}
    broken = [
        dataclasses.replace(r, raw_inputs=without_switch) if r is cluster else r
        for r in registrations
    ]
    (finding,) = duplicate_addons(with_modelled(broken))
    assert "two 'vpc-cni' addons on cluster eks-platform-dev" in finding.message
    assert finding.resources == [
        "eks-platform-dev-control-plane-eks-vpc-cni",
        "eks-platform-dev-control-plane-vpc-cni",
    ]
    assert duplicate_addons(with_modelled(registrations)) == []


def test_an_access_entry_for_the_creator_is_found(run_dev):
    """EKS makes the creator an admin; listing it again fails (the program drops it itself)."""
    registrations = expanded(run_dev, adminPrincipalArns=["arn:aws:iam::123456789012:role/ops"])
    entry = _one(registrations, "aws:eks/accessEntry:AccessEntry")
    assert duplicate_access_entries(registrations) == []
    creator = "arn:aws:iam::123456789012:user/offline"  # the offline caller, tagged on the cluster
    (finding,) = duplicate_access_entries(_replace(registrations, entry, principalArn=creator))
    assert finding.check == "duplicate-access-entry"
    assert entry.name in finding.resources
    assert "eks-platform-dev-control-plane-eks-eksCluster" in finding.resources
    assert finding.keys == ["adminPrincipalArns", "readOnlyPrincipalArns"]


def test_two_resources_with_one_physical_name_are_found(run_dev):
    registrations = expanded(run_dev)
    log_group = _one(registrations, "aws:cloudwatch/logGroup:LogGroup", "-control-plane-logs")
    twin = dataclasses.replace(
        log_group, urn=log_group.urn + "-twin", name=log_group.name + "-twin"
    )
    (finding,) = duplicate_names([*registrations, twin])
    assert "LogGroups named '/aws/eks/eks-platform-dev/cluster'" in finding.message
    assert finding.keys == ["clusterName"]
    assert duplicate_names(registrations) == []


def test_iam_names_are_unique_per_account_across_regions(run_dev):
    registrations = expanded(run_dev)
    role = _one(registrations, "aws:iam/role:Role", "-cluster-role")
    named = dataclasses.replace(role, raw_inputs={**role.inputs, "name": "platform"})
    other_region = dataclasses.replace(
        named, urn=role.urn + "-b", name=role.name + "-b", provider="p2"
    )
    assert len(duplicate_names([named, other_region])) == 1


@pytest.mark.parametrize(
    ("type_token", "name", "inputs", "limit"),
    [
        ("aws:iam/role:Role", "r" * 57, {}, 64),  # 57 + 8
        ("aws:cloudwatch/eventTarget:EventTarget", "t" * 57, {}, 64),
        ("aws:sqs/queue:Queue", "q" * 73, {}, 80),
        ("aws:eks/nodeGroup:NodeGroup", "g" * 56, {}, 63),
        ("aws:eks/nodeGroup:NodeGroup", "g", {"nodeGroupName": "n" * 64}, 63),
        ("aws:eks/cluster:Cluster", "c", {"name": "c" * 101}, 100),
    ],
)
def test_names_over_their_limit_are_found(type_token, name, inputs, limit):
    over = Registration("urn:x", type_token, name, True, "", "", [], {}, inputs)
    (finding,) = names_too_long([over])
    assert f"the limit is {limit}" in finding.message
    shorter = (name[:-1], {k: v[:-1] for k, v in inputs.items()})
    fits = Registration("urn:y", type_token, shorter[0], True, "", "", [], {}, shorter[1])
    assert names_too_long([fits]) == []


def test_a_name_prefix_turns_auto_naming_off():
    prefixed = Registration(
        "u", "aws:iam/role:Role", "r" * 80, True, "", "", [], {}, {"namePrefix": "p"}
    )
    assert names_too_long([prefixed]) == []


def test_node_volumes_below_the_ami_snapshot_are_found(run_dev):
    registrations = expanded(run_dev)
    template = _one(registrations, "aws:ec2/launchTemplate:LaunchTemplate", "-spot-arm-lt")
    mapping = template.inputs["blockDeviceMappings"][0]
    small = [{**mapping, "ebs": {**mapping["ebs"], "volumeSize": 8}}]
    (finding,) = volumes_below_snapshot(
        _replace(registrations, template, blockDeviceMappings=small)
    )
    assert "a 8 GiB volume" in finding.message and finding.keys == ["nodeGroups[].diskSizeGib"]
    assert volumes_below_snapshot(registrations) == []
    karpenter = expanded(run_dev, computeMode="karpenter")
    node_class = _one(karpenter, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    spec = node_class.inputs["spec"]
    devices = [{**spec["blockDeviceMappings"][0], "ebs": {"volumeSize": "10Gi"}}]
    changed = _replace(karpenter, node_class, spec={**spec, "blockDeviceMappings": devices})
    assert len(volumes_below_snapshot(changed)) == 1


def test_private_subnets_need_a_route_or_every_endpoint(run_dev):
    private = expanded(run_dev, natMode="none", **PRIVATE)
    assert private_subnets_without_egress(private) == []
    assert private_subnets_without_session_manager(private) == []
    sts = _one(private, "aws:ec2/vpcEndpoint:VpcEndpoint", "-endpoints-sts")
    findings = private_subnets_without_egress([r for r in private if r is not sts])
    assert len(findings) == 2  # both private subnets of the dev stack
    assert all("no VPC endpoint for sts" in f.message and f.keys == ["natMode"] for f in findings)
    with_nat = expanded(run_dev, natMode="single")
    route = next(
        r for r in with_nat if r.type == "aws:ec2/route:Route" and "natGatewayId" in r.inputs
    )
    assert len(private_subnets_without_egress([r for r in with_nat if r is not route])) == 2


def test_the_plan_fails_with_its_own_exit_code_on_a_finding(monkeypatch, capsys, tmp_path):
    finding = Finding("duplicate-addon", "two 'vpc-cni' addons", ["a", "b"])
    monkeypatch.setattr(
        "eks_platform.offline.report.plan.preflight", lambda _registrations: [finding]
    )
    assert plan_main(["dev"]) == 3
    err = capsys.readouterr().err
    assert "preflight: [duplicate-addon] two 'vpc-cni' addons: a, b (the platform's code)" in err
    assert plan_main(["dev", "--no-preflight"]) == 0
    assert plan_main(["dev", "--format", "json"]) == 3
    # A forecast's JSON carries the new configuration's findings beside the change's.
    saved = tmp_path / "base.json"
    capsys.readouterr()
    assert plan_main(["dev", "--no-preflight", "--format", "json"]) == 0
    saved.write_text(capsys.readouterr().out)
    assert plan_main(["dev", "--diff-against", str(saved), "--format", "json"]) == 3
    assert json.loads(capsys.readouterr().out)["preflight"] == [finding.to_json()]


# --- add-on versions (issue 23 point 9) ---------------------------------------------------------


def test_an_addon_version_never_seen_offered_is_found_offline(run_dev, capsys):
    """Older than the newest offered (so the preview lookup lets it through) but not among the
    versions the lock table saw for 1.35: the preflight finds it, the plan exits 3."""
    pinned = {"addonVersions": {"coredns": "v1.13.1-eksbuild.1"}}
    findings = unknown_addon_versions(expanded(run_dev, **pinned))
    assert [(f.check, f.resources) for f in findings] == [
        ("addon-version-unknown", ["eks-platform-dev-compute-coredns"])
    ]
    assert "v1.13.2-eksbuild.31, v1.14.6-eksbuild.4" in findings[0].message
    assert plan_main(["dev", "--set", 'addonVersions={"coredns": "v1.13.1-eksbuild.1"}']) == 3
    assert "addon-version-unknown" in capsys.readouterr().err
    # Negative control: a version the table saw offered for 1.35 passes.
    seen = {"addonVersions": {"coredns": "v1.14.6-eksbuild.4"}}
    assert unknown_addon_versions(expanded(run_dev, **seen)) == []


def test_an_addon_version_newer_than_any_offered_is_refused_at_preview(run_bad):
    message, registered = run_bad({"addonVersions": {"vpc-cni": "v1.99.0-eksbuild.1"}})
    assert "addon_versions.vpc-cni = 'v1.99.0-eksbuild.1'" in message
    assert "newer than the newest EKS offers for Kubernetes 1.35 (v1.23.2-eksbuild.1)" in message
    assert registered == []


def test_every_locked_version_is_seen_and_coredns_and_kube_proxy_quote_their_source():
    """The preflight's list includes each pinned version; CoreDNS and kube-proxy, built per
    minor, cite a record that names the very build (the 1.36 entries cited sources that named
    other builds)."""
    for addon, minors in addon_lock().items():
        for minor, entry in minors.items():
            assert entry["version"] in entry["seen"], (addon, minor)
            if addon in ("coredns", "kube-proxy"):
                assert entry["version"] in entry["source"], (addon, minor)


def test_duplicate_names_see_the_container_insights_log_groups(run_dev):
    """Two platforms whose clusters share a name in a region would both create
    /aws/containerinsights/<cluster>/application: the name check sees those groups too."""
    registrations = expanded(run_dev, observability=True)
    group = _one(registrations, "aws:cloudwatch/logGroup:LogGroup", "-insights-application")
    twin = dataclasses.replace(group, name="other-application-logs", urn=group.urn + "-twin")
    findings = duplicate_names([*registrations, twin])
    assert [f.resources for f in findings] == [[group.name, "other-application-logs"]]
    assert "/aws/containerinsights/" in findings[0].message


# --- review: the preflight keeps its own list, and Session Manager is a finding of its own -----


def test_the_networks_endpoints_cover_what_the_preflight_asks_for():
    """Two lists on purpose (the check must not trust the code it checks); this keeps them from
    drifting apart silently."""
    assert set(NODE_JOIN_ENDPOINTS) | set(SESSION_MANAGER_ENDPOINTS) <= set(
        PRIVATE_CLUSTER_ENDPOINTS
    )


@pytest.mark.parametrize("service", [*NODE_JOIN_ENDPOINTS, "s3", "sqs"])
def test_each_endpoint_a_node_needs_to_join_trips_the_egress_check(run_dev, service):
    karpenter = service == "sqs"
    private = expanded(run_dev, natMode="none", **PRIVATE)
    if karpenter:  # a hand-made plan: Karpenter is refused with natMode none
        queue = Registration(
            urn="urn:pulumi:dev::eks-platform::aws:sqs/queue:Queue::q", type="aws:sqs/queue:Queue",
            name="q", custom=True, parent="", provider="", dependencies=[],
            property_dependencies={}, raw_inputs={},
        )  # fmt: skip
        private = [*private, queue]
    gone = [
        r
        for r in private
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"
        and str(r.inputs.get("serviceName")).endswith(f".{service}")
    ]
    assert len(gone) == (0 if karpenter else 1)
    kept = [r for r in private if r not in gone]
    findings = private_subnets_without_egress(kept)
    assert len(findings) == 2
    assert all(f"no VPC endpoint for {service}:" in f.message for f in findings)
    assert all("cannot pull images or join the cluster" in f.message for f in findings)
    assert private_subnets_without_session_manager(kept) == []


@pytest.mark.parametrize("service", SESSION_MANAGER_ENDPOINTS)
def test_a_missing_session_manager_endpoint_is_its_own_finding(run_dev, service):
    private = expanded(run_dev, natMode="none", **PRIVATE)
    kept = [
        r
        for r in private
        if not (
            r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"
            and str(r.inputs.get("serviceName")).endswith(f".{service}")
        )
    ]
    assert len(kept) == len(private) - 1
    assert private_subnets_without_egress(kept) == []  # nodes still join
    findings = private_subnets_without_session_manager(kept)
    assert [f.check for f in findings] == ["private-subnet-without-session-manager"] * 2
    assert all(f"no VPC endpoint for {service}:" in f.message for f in findings)
    assert all("join" in f.message and "Session Manager" in f.message for f in findings)
