"""Finalizers on destroy (issue 24 section 4): every object whose deletion waits for a
controller is deleted while that controller, its identity and its network path still exist,
in a destroy and in an update that deletes both.

Negative controls: Karpenter's EC2NodeClass deleted before its NodePool, and the load balancer
controller deleted before the app's Service (each with the dependency the program sets taken
away), and the same for a change that deletes both.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import NO_EGRESS_NEEDED

from eks_platform.offline import run_stack
from eks_platform.offline.change.destroy import wave_of
from eks_platform.offline.change.diff import diff_plans
from eks_platform.offline.checks import finalizers
from eks_platform.offline.checks.preflight import preflight
from eks_platform.offline.model.graph import resource_graph
from eks_platform.offline.model.plan_json import registrations_from_plan
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import Registration
from eks_platform.offline.report.plan import build_plan

NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RELEASE = "kubernetes:helm.sh/v3:Release"
AUTO = {"computeMode": "auto", "nodeGroups": []}
CUSTOM_CHART = {
    "chart": "oci://example.com/charts/shop",
    "version": "1.0.0",
    "podLabels": {"a": "b"},
}

# Each shipped variant and the rows its objects must be recognised by (so that "no finding"
# is not vacuous).
VARIANTS: dict[str, tuple[dict[str, object], set[str]]] = {
    "dev": ({}, {"service-load-balancer-controller"}),
    "nat-single": ({"natMode": "single"}, {"service-load-balancer-controller"}),
    "nat-per-az": ({"natMode": "per_az"}, {"service-load-balancer-controller"}),
    "nat-none": ({"natMode": "none", **NO_EGRESS_NEEDED}, set()),
    "alb": ({"workload": {"exposure": "alb"}}, {"ingress-load-balancer-controller"}),
    "in-tree": ({"loadBalancerController": {"enabled": False}}, {"service-in-tree"}),
    "no-block-storage": ({"blockStorage": False}, {"service-load-balancer-controller"}),
    "karpenter": (
        {"computeMode": "karpenter"},
        {"service-load-balancer-controller", "karpenter-node-pool", "karpenter-ec2-node-class"},
    ),
    "karpenter-gpu-per-az": (
        {"computeMode": "karpenter", "gpu": {"nodePool": True}, "natMode": "per_az"},
        {"service-load-balancer-controller", "karpenter-node-pool", "karpenter-ec2-node-class"},
    ),
    "auto": (AUTO, {"service-auto-mode"}),
    "auto-alb-gpu": (
        {**AUTO, "workload": {"exposure": "alb"}, "gpu": {"nodePool": True}},
        {"ingress-auto-mode", "auto-mode-node-pool"},
    ),
    "custom-chart": (
        {"workload": CUSTOM_CHART},
        {
            "service-load-balancer-controller",  # the platform's Service
            # what the release is assumed to render
            "service-load-balancer-controller-annotation",
            "service-load-balancer-controller-external",
            "ingress-load-balancer-controller",
        },
    ),
    "podinfo-own-ingress": (
        {"workload": {"values": {"ingress": {"enabled": True, "className": "alb"}}}},
        {"service-load-balancer-controller", "ingress-load-balancer-controller"},
    ),
}


def expanded(run_dev, stack: str = "dev", **overrides) -> list[Registration]:
    return with_modelled(run_dev(stack, **overrides).registrations)


def rows(registrations: list[Registration]) -> set[str]:
    return {b.row["id"] for b in finalizers.bearers(finalizers.Index(registrations))}


def one(registrations: list[Registration], token: str, suffix: str = "") -> Registration:
    (found,) = [r for r in registrations if r.type == token and r.name.endswith(suffix)]
    return found


def without_dependency(registrations, resource: Registration, dropped: set[str]):
    """``registrations`` with ``resource`` no longer depending on the URNs in ``dropped``."""
    return [
        dataclasses.replace(
            r,
            dependencies=[d for d in r.dependencies if d not in dropped],
            property_dependencies={
                k: [u for u in v if u not in dropped] for k, v in r.property_dependencies.items()
            },
        )
        if r.urn == resource.urn
        else r
        for r in registrations
    ]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_shipped_variants_delete_each_object_before_what_its_finalizer_needs(run_dev, variant):
    overrides, expected = VARIANTS[variant]
    registrations = with_modelled(run_dev(**overrides).registrations)
    assert rows(registrations) == expected
    assert finalizers.check(registrations) == []


def test_prod_has_no_finding(run_dev):
    registrations = expanded(run_dev, "prod")
    assert rows(registrations) == {"service-load-balancer-controller"}
    assert finalizers.check(registrations) == []


def test_the_check_covers_what_the_destroy_order_test_asserts(run_dev):
    """tests/test_destroy.py checks these by wave; here they are what the check requires."""
    registrations = expanded(run_dev, computeMode="karpenter")
    index = finalizers.Index(registrations)
    needed: dict[str, set[str]] = {}
    for bearer in finalizers.bearers(index):
        _, _, pairs = finalizers.needs(bearer, index)
        needed[bearer.registration.name] = {index.by_urn[u].type for u, _ in pairs}
        needed[bearer.registration.name] |= {what for _, what in pairs}
    node_class = needed["eks-platform-dev-karpenter-node-class"]
    assert {
        "its controller",
        "its role's policy",
        "its Pod Identity association",
        "its node role's policy",
        "its nodes' access entry",
        "the Pod Identity agent",
        "its pods' network (add-on)",
        "aws:ec2/instance:Instance",  # the NAT instance
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
    } <= node_class
    assert "the node class it names" in needed["eks-platform-dev-karpenter-node-pool"]
    assert {"its controller", "aws:ec2/route:Route"} <= needed["eks-platform-dev-app-service"]


def test_negative_control_node_class_deleted_before_its_node_pool(run_dev):
    """The NodePool's depends_on on its EC2NodeClass (parts/karpenter.py) taken away: the class
    may go first, and its finalizer waits for NodeClaims nobody then terminates."""
    registrations = expanded(run_dev, computeMode="karpenter")
    pool = one(registrations, NODE_POOL, "-karpenter-node-pool")
    node_class = one(registrations, NODE_CLASS, "-karpenter-node-class")
    broken = without_dependency(registrations, pool, {node_class.urn})
    wave = wave_of(resource_graph(broken))
    assert wave[node_class.urn] <= wave[pool.urn]  # the destroy order really breaks
    (finding,) = finalizers.check(broken)
    assert finding.check == "finalizer-outlived"
    assert finding.resources == sorted([pool.name, node_class.name])
    assert (
        "the node class it names" in finding.message
        and "karpenter.sh/termination" in finding.message
    )
    assert finding in preflight(broken)  # in the preflight: exit 3


def test_negative_control_controller_deleted_before_the_apps_service(run_dev):
    registrations = expanded(run_dev)
    service = one(registrations, SERVICE, "-app-service")
    release = one(registrations, RELEASE, "-lb-controller-release")
    broken = without_dependency(registrations, service, {release.urn})
    (finding,) = finalizers.check(broken)
    assert release.name in finding.resources and service.name in finding.resources
    assert "service.k8s.aws/resources" in finding.message
    # The release was the Service's only way to its identity and network path: all named.
    assert "its role's policy" in finding.message and "its network path" in finding.message


def test_negative_control_nat_path_deleted_before_the_controller_ingress(run_dev):
    """The release as it was before it waited for the NAT path (tests/test_destroy.py's
    negative control): the ALB's Ingress is then deleted while its controller has no way out."""
    registrations = expanded(run_dev, workload={"exposure": "alb"})
    ingress = one(registrations, INGRESS, "-app-ingress")
    release = one(registrations, RELEASE, "-lb-controller-release")
    network = {r.urn for r in registrations if "-network-" in r.urn}
    (finding,) = finalizers.check(without_dependency(registrations, release, network))
    assert "its network path" in finding.message and "its controller" not in finding.message
    assert {ingress.name, "eks-platform-dev-network-private-default"} <= set(finding.resources)
    assert "eks-platform-dev-network-nat-instance-instance" in finding.resources


def test_a_class_without_its_controller_in_the_plan(run_dev):
    """An ALB Ingress whose controller is not in the plan: nothing would remove its finalizer."""
    registrations = expanded(run_dev, workload={"exposure": "alb"})
    release = one(registrations, RELEASE, "-lb-controller-release")
    # The class stays known (as if the controller were installed outside the plan and then
    # removed), the release is gone.
    ingress_class = {
        "urn": "urn:pulumi:dev::eks-platform::kubernetes:networking.k8s.io/v1:IngressClass::alb",
        "type": "kubernetes:networking.k8s.io/v1:IngressClass",
        "name": "alb",
    }
    alb_class = Registration(
        ingress_class["urn"],
        ingress_class["type"],
        ingress_class["name"],
        True,
        "",
        one(registrations, INGRESS).provider,  # in the same cluster
        [],
        {},
        {"metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb"}},
    )
    broken = [r for r in registrations if r.urn != release.urn] + [alb_class]
    (finding,) = finalizers.check(broken)
    assert "which this plan does not have" in finding.message
    assert finding.resources == ["eks-platform-dev-app-ingress"]


@pytest.mark.parametrize(
    ("load_balancer_type", "row"),
    [
        ("external", "service-load-balancer-controller-external"),  # with nlb-target-type ip
        ("nlb-ip", "service-load-balancer-controller-annotation"),
        ("nlb", "service-in-tree"),
    ],
)
def test_a_service_without_a_class_is_claimed_by_its_annotations(run_dev, load_balancer_type, row):
    """aws-load-balancer-controller v3.5.0 pkg/service/service_utils.go:47-77; cloud-provider-aws
    leaves nlb-ip and external to it (aws_loadbalancer.go:90-95)."""
    registrations = expanded(run_dev)
    service = one(registrations, SERVICE, "-app-service")
    inputs = json.loads(json.dumps(service.raw_inputs))
    del inputs["spec"]["loadBalancerClass"]
    annotations = inputs["metadata"]["annotations"]
    annotations["service.beta.kubernetes.io/aws-load-balancer-type"] = load_balancer_type
    edited = [
        dataclasses.replace(r, raw_inputs=inputs) if r is service else r for r in registrations
    ]
    assert rows(edited) == {row}
    assert finalizers.check(edited) == []


def test_a_chart_is_judged_by_what_it_renders(run_dev):
    """podinfo's own Ingress (workload.values) is the controller's: the release must go before
    the controller; a chart the table does not know is assumed to render one. The sample app's
    release depends on the controller (parts/sample_app.py); without it, both trip."""
    for workload in ({"values": {"ingress": {"enabled": True, "className": "alb"}}}, CUSTOM_CHART):
        registrations = expanded(run_dev, workload=workload)
        app = one(registrations, RELEASE, "-app-release")
        controller = one(registrations, RELEASE, "-lb-controller-release")
        (finding,) = finalizers.check(without_dependency(registrations, app, {controller.urn}))
        assert app.name in finding.resources and "release" in finding.message


def test_podinfo_with_its_service_off_renders_nothing_to_wait_for(run_dev):
    registrations = expanded(run_dev)
    app = one(registrations, RELEASE, "-app-release")
    assert finalizers._rendered(app) == []  # service.enabled False, ingress.enabled False


def _pvc(registrations: list[Registration], dependencies: list[str]) -> Registration:
    storage_class = one(registrations, "kubernetes:storage.k8s.io/v1:StorageClass")
    return Registration(
        "urn:pulumi:dev::eks-platform::kubernetes:core/v1:PersistentVolumeClaim::data",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "data",
        True,
        "",
        storage_class.provider,
        dependencies,
        {},
        {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}},
    )


def test_a_claim_on_the_default_class_needs_the_ebs_driver(run_dev):
    """The program creates no PVC; one on the default gp3 class (reclaimPolicy Delete) needs the
    EBS CSI add-on, its role and the network path."""
    registrations = expanded(run_dev)
    (finding,) = finalizers.check([*registrations, _pvc(registrations, [])])
    assert "aws-ebs-csi-driver" in finding.message
    assert "eks-platform-dev-storage-driver" in finding.resources
    assert "eks-platform-dev-storage-driver-role" in finding.resources
    egress = [
        r.urn
        for r in registrations
        if r.type
        in (
            "aws:ec2/route:Route",
            "aws:ec2/instance:Instance",
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/internetGateway:InternetGateway",
        )
    ]
    driver = one(registrations, "aws:eks/addon:Addon", "-storage-driver")
    pvc = _pvc(registrations, [driver.urn, *egress])
    assert finalizers.check([*registrations, pvc]) == []


def test_a_target_group_binding_is_the_controllers(run_dev):
    registrations = expanded(run_dev)
    binding = Registration(
        "urn:pulumi:dev::eks-platform::kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding::tgb",
        "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
        "tgb",
        True,
        "",
        one(registrations, SERVICE).provider,  # the cluster's Kubernetes provider
        [],
        {},
        {"metadata": {"name": "tgb"}},
    )
    (finding,) = finalizers.check([*registrations, binding])
    assert "elbv2.k8s.aws/resources" in finding.message
    assert "eks-platform-dev-lb-controller-release" in finding.resources


def test_every_row_has_a_source_and_the_table_a_date():
    data = finalizers.table()
    assert data["date"]
    for row in data["objects"]:
        assert row["source"] and row["finalizer"], row["id"]
        assert "controller" in row or "controller_by_provisioner" in row
    for name, controller in data["controllers"].items():
        assert controller["source"] and controller["network"] in ("vpc", "none"), name
    for name, chart in data["charts"].items():
        assert name == "about" or chart["source"]


# --- transitions ------------------------------------------------------------------------------


def plan_json(run_dev, **overrides) -> dict:
    return json.loads(json.dumps(build_plan(run_dev(**overrides)).to_json(), default=str))


def strip_dependencies(plan: dict, name_suffix: str, dropped_suffixes: tuple[str, ...]) -> dict:
    """``plan`` with the resource named ``*name_suffix`` no longer depending on resources named
    ``*<dropped suffix>`` (nor, through them, on anything: its dependencies are cut to the rest)."""
    edited = json.loads(json.dumps(plan))
    (resource,) = [r for r in edited["resources"] if r["name"].endswith(name_suffix)]
    resource["dependencies"] = [
        d for d in resource["dependencies"] if not d.endswith(dropped_suffixes)
    ]
    return edited


def test_karpenter_to_managed_deletes_pools_before_karpenter(run_dev):
    base, current = plan_json(run_dev, computeMode="karpenter"), plan_json(run_dev)
    diff = diff_plans(base, current)
    deleted = {c.urn.rsplit("::", 1)[-1] for c in diff.forecast if c.action == "delete"}
    assert {"eks-platform-dev-karpenter-node-pool", "eks-platform-dev-karpenter-release"} <= deleted
    assert [f for f in diff.findings if f.check.startswith("finalizer")] == []


def test_negative_control_a_change_deleting_a_pool_and_karpenter_unordered(run_dev):
    """The base as if the NodePool did not depend on the release nor its class: karpenter ->
    managed deletes all three, and the update may delete Karpenter first."""
    base = plan_json(run_dev, computeMode="karpenter")
    broken = strip_dependencies(
        base, "-karpenter-node-pool", ("-karpenter-release", "-karpenter-node-class")
    )
    diff = diff_plans(broken, plan_json(run_dev))
    (finding,) = [f for f in diff.findings if f.check == "finalizer-outlived-in-change"]
    assert {
        "eks-platform-dev-karpenter-node-pool",
        "eks-platform-dev-karpenter-release",
        "eks-platform-dev-karpenter-node-class",
    } <= set(finding.resources)
    assert diff.critical  # exit 4


def test_a_nat_switch_that_also_removes_the_service_keeps_its_path(run_dev):
    """natMode single -> none with the app and the controller off: the Service, the controller
    and the NAT gateway's route all go in one update; the base orders them."""
    base = plan_json(run_dev, natMode="single")
    current = plan_json(run_dev, natMode="none", **NO_EGRESS_NEEDED)
    diff = diff_plans(base, current)
    deleted = {c.urn.rsplit("::", 1)[-1] for c in diff.forecast if c.action == "delete"}
    assert "eks-platform-dev-app-service" in deleted
    assert any(name.endswith("-private-default") for name in deleted)
    assert [f for f in diff.findings if f.check.startswith("finalizer")] == []
    # Negative control: the controller's release in the base not depending on the network.
    edited = json.loads(json.dumps(base))
    for resource in edited["resources"]:
        if resource["name"].endswith(("-lb-controller-release", "-app-service")):
            resource["dependencies"] = [d for d in resource["dependencies"] if "-network-" not in d]
    (finding,) = [
        f for f in diff_plans(edited, current).findings if f.check == "finalizer-outlived-in-change"
    ]
    assert "eks-platform-dev-app-service" in finding.resources
    assert any(name.endswith("-private-default") for name in finding.resources)
    assert "its network path" in finding.message


def test_a_plan_read_back_gives_the_same_graph(run_dev):
    plan = build_plan(run_dev(computeMode="karpenter"))
    graph = resource_graph(registrations_from_plan(plan.to_json()))
    assert set(graph.edges) == set(plan.graph.edges)


def test_a_fleet_judges_each_region_by_its_own_controller_and_network(project_dir):
    """The fleet's global stack holds one platform per region: each Service is checked against
    its own cluster's controller, identity and NAT path, never another region's."""
    run = run_stack(project_dir / "fleet", "global", {})
    registrations = with_modelled(run.registrations)
    index = finalizers.Index(registrations)
    services = [b for b in finalizers.bearers(index) if b.registration.type == SERVICE]
    assert len(services) >= 2
    for bearer in services:
        region = bearer.registration.name.removesuffix("-app-service")
        _, controllers, needed = finalizers.needs(bearer, index)
        assert [c.name for c in controllers] == [f"{region}-lb-controller-release"]
        assert all(index.by_urn[u].name.startswith(f"{region}-") for u, _ in needed)
    assert finalizers.check(registrations) == []
    # Negative control: one region's Service no longer waiting for its controller.
    service = services[0].registration
    controller = one(
        registrations, RELEASE, service.name.replace("-app-service", "-lb-controller-release")
    )
    (finding,) = finalizers.check(without_dependency(registrations, service, {controller.urn}))
    assert service.name in finding.resources and controller.name in finding.resources


def test_every_chart_the_platform_installs_is_in_the_charts_table(run_dev):
    """The platform's own releases are rendered from the table, never assumed to hold load
    balancers (which would ask every release to wait for the controller)."""
    autoscaled = {"name": "general", "instanceTypes": ["m7g.large"], "autoscaled": True}
    charts = set()
    for overrides in (
        {"nodeGroups": [autoscaled]},
        {"computeMode": "karpenter", "gpu": {"nodePool": True}},
    ):
        for release in with_modelled(run_dev(**overrides).registrations):
            if release.type == RELEASE:
                charts.add(finalizers._chart_name(release))
    assert {"cluster-autoscaler", "karpenter", "nvidia-device-plugin", "podinfo"} <= charts
    assert charts <= set(finalizers.table()["charts"])


def test_a_claim_in_auto_mode_is_auto_modes(run_dev):
    """Auto Mode's class (provisioner ebs.csi.eks.amazonaws.com): EKS deletes the volume as the
    cluster role, which the claim depends on through the cluster."""
    registrations = expanded(run_dev, **AUTO)
    pvc = _pvc(registrations, [])
    index = finalizers.Index([*registrations, pvc])
    (bearer,) = [b for b in finalizers.bearers(index) if b.registration is pvc]
    name, controllers, _ = finalizers.needs(bearer, index)
    assert name == "eks-auto-mode" and [c.type for c in controllers] == ["aws:eks/cluster:Cluster"]
    assert finalizers.check([*registrations, pvc]) == []
