"""`pulumi destroy` order: nothing races the controllers that clean up after themselves.

The app Service goes while the load balancer controller runs and still reaches AWS; Karpenter's
NodePool goes while Karpenter runs and still reaches AWS; then the controllers, then the node
groups, then the NAT path, the subnets, the internet gateway and the VPC. Checked on the
dependency graph the plan builds (what Pulumi deletes in reverse), for every compute and NAT
mode.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.offline.change.destroy import wave_of
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.model.graph import resource_graph
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.report.plan import build_plan

PRIVATE = NO_EGRESS_NEEDED
MODES = {
    "managed-nat-instance": {},
    "managed-nat-single": {"natMode": "single"},
    "managed-nat-per-az": {"natMode": "per_az"},
    "karpenter": {"computeMode": "karpenter"},
    "auto": {"computeMode": "auto", "nodeGroups": []},
    "private": {"natMode": "none", **PRIVATE},
    "fargate": {"fargateProfiles": [{"name": "batch", "selectors": [{"namespace": "batch"}]}]},
}


def waves(run_dev, **overrides):
    plan = build_plan(run_dev(**overrides))
    wave = wave_of(plan.graph)
    return plan, lambda predicate: [wave[r.urn] for r in plan.registrations if predicate(r)]


def release(name):
    return lambda r: r.type == "kubernetes:helm.sh/v3:Release" and r.inputs.get("name") == name


def egress(r):
    """The NAT path and endpoints: default routes, NAT gateways and instances, endpoints, and
    the route table associations that put subnets on them (a subnet without one falls back to
    the VPC's main table, which has no way out)."""
    return r.type in (
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/instance:Instance",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
    ) or (r.type == "aws:ec2/route:Route" and r.inputs.get("destinationCidrBlock") == "0.0.0.0/0")


def of_type(token):
    return lambda r: r.type == token


@pytest.mark.parametrize("mode", sorted(MODES))
def test_destroy_lets_the_controllers_clean_up_before_their_network_goes(run_dev, mode):
    _, at = waves(run_dev, **MODES[mode])
    network_last = at(of_type("aws:ec2/subnet:Subnet")) + at(of_type("aws:ec2/vpc:Vpc"))
    network_last += at(of_type("aws:ec2/internetGateway:InternetGateway"))
    controller = at(release("aws-load-balancer-controller"))
    karpenter = at(release("karpenter"))
    service = at(lambda r: r.type == "kubernetes:core/v1:Service")
    groups = at(of_type("aws:eks/nodeGroup:NodeGroup"))
    if controller:
        assert max(service) < min(controller)  # the Service (its NLB) goes while it runs
        assert max(controller) < min(at(egress))  # ... and reaches AWS
        assert max(controller) < min(network_last)  # its load balancers' subnets stay
        assert max(controller) < min(groups or [99])  # and has nodes to run on
    if karpenter:
        pool = at(of_type("kubernetes:karpenter.sh/v1:NodePool"))
        assert max(pool) < min(karpenter) < min(at(egress))
        assert max(karpenter) < min(groups)
    assert max(at(egress) or [0]) < max(at(of_type("aws:ec2/vpc:Vpc")))
    assert max(at(lambda r: r.custom)) == max(
        at(of_type("aws:ec2/vpc:Vpc")) + at(of_type("aws:kms/key:Key"))
    )


def test_the_destroy_order_view_lists_waves(capsys):
    assert plan_main(["dev", "--destroy-order"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wave 1: ") and "eks-platform-dev-app-service (Service)" in out
    assert plan_main(["dev", "--destroy-order", "--format", "json"]) == 0
    view = json.loads(capsys.readouterr().out)
    names = [[r["name"] for r in wave] for wave in view["waves"]]
    first = next(i for i, wave in enumerate(names) if "eks-platform-dev-app-service" in wave)
    controller = next(
        i for i, wave in enumerate(names) if "eks-platform-dev-lb-controller-release" in wave
    )
    vpc = next(i for i, wave in enumerate(names) if "eks-platform-dev-network-vpc" in wave)
    assert first < controller < vpc


def test_the_cluster_role_may_not_recreate_its_log_group(run_dev):
    """EKS re-creates /aws/eks/<name>/cluster after a destroy deletes it unless denied."""
    run = run_dev()
    (policy,) = [
        p
        for p in run.by_type("aws:iam/rolePolicy:RolePolicy")
        if p.name.endswith("-cluster-role-deny-log-group")
    ]
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {"Effect": "Deny", "Action": "logs:CreateLogGroup", "Resource": "*"}
    ]
    assert policy.urn in run.one("eks:index:Cluster").dependencies


def test_without_the_egress_dependency_the_nat_path_would_go_first(run_dev):
    """Negative control: the release as it was (no dependency on the NAT path) loses the race."""
    run = run_dev()
    network = {r.urn for r in run.registrations if "-network-" in r.urn}
    stripped = [
        dataclasses.replace(r, dependencies=[d for d in r.dependencies if d not in network])
        if release("aws-load-balancer-controller")(r)
        else r
        for r in run.registrations
    ]
    registrations = with_modelled(stripped)
    wave = wave_of(resource_graph(registrations))
    controller = next(
        wave[r.urn] for r in registrations if release("aws-load-balancer-controller")(r)
    )
    assert min(wave[r.urn] for r in registrations if egress(r)) <= controller


def role_attachment_of(role_suffix):
    """RolePolicyAttachments of the role whose logical name ends with ``role_suffix``."""
    return lambda r: (
        r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        and (r.parent.rsplit("::", 1)[-1].endswith(role_suffix))
    )


@pytest.mark.parametrize("gpu", [False, True])
def test_a_karpenter_destroy_deletes_pools_then_classes_then_what_their_nodes_need(run_dev, gpu):
    """An EC2NodeClass's finalizer waits for every NodeClaim that uses it (karpenter v1.14.1
    pkg/controllers/nodeclass/controller.go:214-226): the NodePools go first (their NodeClaims
    terminated by the controller), then the classes, then the node role's policies, the node
    access entry, the controller, its identity, its queue and its egress."""
    overrides: dict[str, object] = {"computeMode": "karpenter"}
    if gpu:
        overrides["gpu"] = {"nodePool": True}
    plan, at = waves(run_dev, **overrides)
    wave = wave_of(plan.graph)
    pools = at(of_type("kubernetes:karpenter.sh/v1:NodePool"))
    classes = at(of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"))
    assert len(pools) == len(classes) == (2 if gpu else 1)
    class_wave = {
        r.inputs["metadata"]["name"]: wave[r.urn]
        for r in plan.registrations
        if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
    }
    for pool in plan.registrations:
        if pool.type == "kubernetes:karpenter.sh/v1:NodePool":
            used = pool.inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"]
            assert wave[pool.urn] < class_wave[used], pool.name  # each pool before its class
    node_policies = at(role_attachment_of("-karpenter-node-role"))
    assert len(node_policies) >= 3

    def karpenters(token):
        return at(lambda r: r.type == token and "-karpenter-" in r.name)

    needed = {
        "node role policies": node_policies,
        "node access entry": karpenters("aws:eks/accessEntry:AccessEntry"),
        "controller": at(release("karpenter")),
        "controller policies": at(role_attachment_of("-karpenter-controller-role")),
        "pod identity": karpenters("aws:eks/podIdentityAssociation:PodIdentityAssociation"),
        "queue": at(of_type("aws:sqs/queue:Queue")),
        "egress": at(egress),
    }
    for what, found in needed.items():
        assert found and max(classes) < min(found), what


@pytest.mark.parametrize("mode", ["karpenter", "auto"])
def test_node_pools_and_classes_wait_long_enough_to_drain_on_destroy(run_dev, mode):
    """pulumi-kubernetes waits 10 minutes for a deletion by default; a pool is gone only when
    Karpenter (or Auto Mode) has drained and terminated its nodes."""
    overrides: dict[str, object] = {"computeMode": mode, "gpu": {"nodePool": True}}
    if mode == "auto":
        overrides["nodeGroups"] = [{"name": "general"}]
    run = run_dev(**overrides)
    karpenter = [
        r
        for r in run.registrations
        if r.type
        in ("kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    ]
    assert len(karpenter) == (4 if mode == "karpenter" else 1)
    assert {r.delete_timeout for r in karpenter} == {"30m"}
