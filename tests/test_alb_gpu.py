"""Issue 16 under recording mocks: ALB exposure, HTTPS with a certificate and a name, and GPU
capacity (NVIDIA node groups, the device plugin, GPU NodePools, the smoke test)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from eks_platform.offline.cost.estimate import estimate_cost
from eks_platform.offline.report.plan import build_plan

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
RECORD = "aws:route53/record:Record"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ALB = "alb.ingress.kubernetes.io"
LB = "service.beta.kubernetes.io/aws-load-balancer"
ZONE = "Z0123456789ABC"
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
NAMED = {"exposure": "alb", "domain": "app.example.com", "hostedZoneId": ZONE}
GPU_GROUP = {
    "name": "gpu",
    "instanceTypes": ["g6.xlarge", "g5.xlarge"],
    "amiType": "AL2023_x86_64_NVIDIA",
    "minSize": 0,
    "desiredSize": 0,
    "maxSize": 2,
}


def releases(run):
    return {r.inputs["name"]: r for r in run.by_type(RELEASE)}


def test_alb_exposure_is_an_ingress_through_the_controller(run_dev):
    run = run_dev(workload={"exposure": "alb"})
    ingress = run.one(INGRESS)
    annotations = ingress.inputs["metadata"]["annotations"]
    assert ingress.inputs["spec"]["ingressClassName"] == "alb"  # the chart's IngressClass
    assert annotations[f"{ALB}/target-type"] == "ip"
    assert annotations[f"{ALB}/scheme"] == "internet-facing"
    assert annotations[f"{ALB}/healthcheck-path"] == "/healthz"
    assert json.loads(annotations[f"{ALB}/listen-ports"]) == [{"HTTP": 80}]
    assert f"{ALB}/certificate-arn" not in annotations
    service = run.one(SERVICE)
    assert service.inputs["spec"]["type"] == "ClusterIP"
    backend = ingress.inputs["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "podinfo", "port": {"number": 80}}
    # Destroy order: the Ingress goes while the controller still runs.
    controller = releases(run)["aws-load-balancer-controller"]
    assert controller.urn in ingress.dependencies
    assert run.outputs["appUrl"].startswith("http://k8s-podinfo-podinfo-")


def test_a_domain_gets_a_validated_certificate_https_and_an_alias(run_dev):
    run = run_dev(workload=NAMED)
    certificate = run.one(CERTIFICATE)
    assert certificate.inputs["domainName"] == "app.example.com"
    assert certificate.inputs["validationMethod"] == "DNS"
    records = {r.name.rsplit("-", 1)[-1]: r for r in run.by_type(RECORD)}
    validation_record = run.one(RECORD, "eks-platform-dev-certificate-validation-record")
    option = certificate.outputs["domainValidationOptions"][0]
    assert validation_record.inputs["zoneId"] == ZONE
    assert validation_record.inputs["name"] == option["resourceRecordName"]
    assert validation_record.inputs["records"] == [option["resourceRecordValue"]]
    validation = run.one(VALIDATION)
    assert validation.inputs["validationRecordFqdns"] == [validation_record.outputs["fqdn"]]
    # The listener takes the validated ARN: nothing uses a pending certificate.
    annotations = run.one(INGRESS).inputs["metadata"]["annotations"]
    assert annotations[f"{ALB}/certificate-arn"] == validation.outputs["certificateArn"]
    assert json.loads(annotations[f"{ALB}/listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert annotations[f"{ALB}/ssl-redirect"] == "443"
    assert annotations[f"{ALB}/ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    alias = records["record"]
    assert alias.inputs["name"] == "app.example.com"
    assert alias.inputs["type"] == "A"
    target = alias.inputs["aliases"][0]
    assert (
        target["name"]
        == run.one(INGRESS).outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    )
    assert target["evaluateTargetHealth"] is True
    assert run.outputs["appUrl"] == "https://app.example.com"
    assert run.outputs["appHostname"] == target["name"]


def test_an_existing_certificate_is_used_as_given(run_dev):
    run = run_dev(workload={"exposure": "alb", "tls": {"certificateArn": CERT}})
    assert run.by_type(CERTIFICATE) == []
    assert run.by_type(RECORD) == []
    annotations = run.one(INGRESS).inputs["metadata"]["annotations"]
    assert annotations[f"{ALB}/certificate-arn"] == CERT
    assert run.outputs["appUrl"].startswith("https://k8s-")


def test_nlb_with_a_certificate_listens_for_tls_on_443_only(run_dev):
    run = run_dev(
        workload={
            "tls": {"certificateArn": CERT, "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}
        }
    )
    service = run.one(SERVICE)
    annotations = service.inputs["metadata"]["annotations"]
    assert annotations[f"{LB}-ssl-cert"] == CERT
    assert annotations[f"{LB}-ssl-ports"] == "443"
    assert annotations[f"{LB}-ssl-negotiation-policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    assert [p["port"] for p in service.inputs["spec"]["ports"]] == [443]


def test_auto_mode_alb_uses_its_own_ingress_class_and_parameters(run_dev):
    run = run_dev(
        computeMode="auto",
        nodeGroups=[{"name": "general"}],
        workload={"exposure": "alb", "scheme": "internal"},
    )
    params = run.one("kubernetes:eks.amazonaws.com/v1:IngressClassParams")
    assert params.inputs["spec"] == {"scheme": "internal"}
    ingress_class = run.one("kubernetes:networking.k8s.io/v1:IngressClass")
    assert ingress_class.inputs["spec"]["controller"] == "eks.amazonaws.com/alb"
    assert ingress_class.inputs["spec"]["parameters"]["kind"] == "IngressClassParams"
    ingress = run.one(INGRESS)
    assert ingress.inputs["spec"]["ingressClassName"] == ingress_class.inputs["metadata"]["name"]
    assert f"{ALB}/scheme" not in ingress.inputs["metadata"]["annotations"]
    assert ingress_class.urn in ingress.dependencies
    assert "aws-load-balancer-controller" not in releases(run)


def test_the_plan_prices_an_alb_and_its_public_addresses(run_dev):
    plan = build_plan(run_dev(workload={"exposure": "alb"}))
    items = {(i.item, i.resource) for i in plan.cost.items}
    assert ("alb", "eks-platform-dev-app-ingress") in items
    assert ("alb_lcu", "eks-platform-dev-app-ingress") in items
    assert ("public_ipv4", "eks-platform-dev-app-ingress") in items
    assert not any(i.item == "nlb" for i in plan.cost.items)
    internal = build_plan(run_dev(workload={"exposure": "alb", "scheme": "internal"}))
    assert not any(i.item == "public_ipv4" and "ingress" in i.resource for i in internal.cost.items)


# --- GPU ----------------------------------------------------------------------------------------


def test_gpu_node_groups_are_tainted_labelled_and_get_the_device_plugin(run_dev):
    run = run_dev(nodeGroups=[{"name": "general"}, GPU_GROUP])
    group = run.one(NODE_GROUP, "eks-platform-dev-compute-gpu")
    assert group.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group.inputs["scalingConfig"]["minSize"] == 0
    assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in group.inputs[
        "taints"
    ]
    assert group.inputs["labels"]["nvidia.com/gpu.present"] == "true"
    assert group.inputs["labels"]["eks-platform/gpu"] == "nvidia"
    general = run.one(NODE_GROUP, "eks-platform-dev-compute-general")
    assert not general.inputs.get("taints")
    plugin = releases(run)["nvidia-device-plugin"]
    assert plugin.inputs["version"] == "0.20.0"
    assert plugin.inputs["repositoryOpts"] == {"repo": "https://nvidia.github.io/k8s-device-plugin"}
    assert plugin.inputs["namespace"] == "kube-system"


def test_bottlerocket_nvidia_runs_its_own_plugin(run_dev):
    run = run_dev(
        nodeGroups=[{"name": "general"}, {**GPU_GROUP, "amiType": "BOTTLEROCKET_x86_64_NVIDIA"}]
    )
    group = run.one(NODE_GROUP, "eks-platform-dev-compute-gpu")
    assert "nvidia.com/gpu.present" not in group.inputs["labels"]
    assert group.inputs["labels"]["eks-platform/gpu"] == "nvidia"
    assert "nvidia-device-plugin" not in releases(run)


def test_a_user_taint_on_the_gpu_key_is_kept(run_dev):
    taint = {"key": "nvidia.com/gpu", "value": "shared", "effect": "PreferNoSchedule"}
    run = run_dev(nodeGroups=[{"name": "general"}, {**GPU_GROUP, "taints": [taint]}])
    group = run.one(NODE_GROUP, "eks-platform-dev-compute-gpu")
    assert group.inputs["taints"] == [
        {"key": "nvidia.com/gpu", "value": "shared", "effect": "PREFER_NO_SCHEDULE"}
    ]


@pytest.mark.parametrize("mode", ["karpenter", "auto"])
def test_gpu_node_pool_scales_from_zero_and_is_capped(run_dev, mode):
    extra = {"nodeGroups": [{"name": "general"}]} if mode == "auto" else {}
    run = run_dev(computeMode=mode, gpu={"nodePool": True, "maxGpus": 2}, **extra)
    pool = next(p for p in run.by_type(NODE_POOL) if p.inputs["metadata"]["name"] == "gpu")
    spec = pool.inputs["spec"]
    prefix = "eks.amazonaws.com" if mode == "auto" else "karpenter.k8s.aws"
    requirement = {r["key"]: r["values"] for r in spec["template"]["spec"]["requirements"]}
    assert requirement[f"{prefix}/instance-family"] == ["g6", "g6e", "g5", "g4dn"]
    assert requirement["karpenter.sh/capacity-type"] == ["on-demand"]
    assert spec["template"]["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    ]
    assert spec["limits"] == {"nvidia.com/gpu": "2"}
    assert spec["disruption"]["consolidationPolicy"] == "WhenEmpty"
    # Auto Mode runs the device plugin itself; Karpenter's AL2023 nodes need the chart.
    assert ("nvidia-device-plugin" in releases(run)) is (mode == "karpenter")
    labels = spec["template"]["metadata"]["labels"]
    assert ("nvidia.com/gpu.present" in labels) is (mode == "karpenter")


def test_an_idle_gpu_pool_and_a_group_at_zero_cost_nothing(run_dev):
    base = build_plan(run_dev(computeMode="karpenter")).cost.monthly_usd
    pooled = build_plan(run_dev(computeMode="karpenter", gpu={"nodePool": True}))
    assert pooled.cost.monthly_usd == pytest.approx(base)
    idle = [i for i in pooled.cost.items if "GPU NodePool" in i.note]
    assert idle and all(i.monthly_usd == 0 for i in idle)
    managed = build_plan(run_dev()).cost.monthly_usd
    dev_groups = json.loads(run_dev().config.values["eks-platform:nodeGroups"])
    with_group = build_plan(run_dev(nodeGroups=[*dev_groups, GPU_GROUP]))
    assert with_group.cost.monthly_usd == pytest.approx(managed)


def test_a_running_gpu_group_is_priced(run_dev):
    run = run_dev(
        **{"aws:region": "us-east-1"},
        nodeGroups=[
            {"name": "general"},
            {**GPU_GROUP, "instanceTypes": ["g6.xlarge"], "desiredSize": 1},
        ],
    )
    items = [
        i for i in estimate_cost(run.registrations, "us-east-1").items if i.item == "ec2:g6.xlarge"
    ]
    assert items and items[0].priced
    assert items[0].monthly_usd == pytest.approx(0.8048 * 730, abs=0.01)


def test_smoke_test_requests_one_gpu_under_the_restricted_profile(run_dev):
    run = run_dev(computeMode="karpenter", gpu={"nodePool": True, "smokeTest": True})
    job = run.one("kubernetes:batch/v1:Job")
    pod = job.inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["nvidia-smi"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    namespace = run.one("kubernetes:core/v1:Namespace", "eks-platform-dev-gpu-smoke-test-namespace")
    assert (
        namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )
    pool = next(p for p in run.by_type(NODE_POOL) if p.inputs["metadata"]["name"] == "gpu")
    plugin = releases(run)["nvidia-device-plugin"]
    assert {pool.urn, plugin.urn} <= set(job.dependencies)


# --- issue 23: GPU pods only on GPU capacity ------------------------------------------------------

NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NO_ACCELERATOR = [
    {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "DoesNotExist"},
    {"key": "karpenter.k8s.aws/instance-accelerator-count", "operator": "DoesNotExist"},
]


def pools(run):
    return {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in run.by_type(NODE_POOL)}


def test_the_default_pool_never_launches_an_accelerator(run_dev):
    """Past the GPU pool's limits Karpenter falls through to the next pool (scheduler.go
    706-721): the default pool must offer no GPU (or Neuron, Gaudi) type to fall through to."""
    run = run_dev(computeMode="karpenter", gpu={"nodePool": True})
    requirements = pools(run)["default"]["template"]["spec"]["requirements"]
    assert all(r in requirements for r in NO_ACCELERATOR)
    assert not any(
        r in pools(run)["gpu"]["template"]["spec"]["requirements"] for r in NO_ACCELERATOR
    )


@pytest.mark.parametrize("mode", ["karpenter", "auto"])
def test_the_gpu_pool_is_tried_first_on_its_own_class(run_dev, mode):
    extra = {"nodeGroups": [{"name": "general"}]} if mode == "auto" else {}
    run = run_dev(computeMode=mode, gpu={"nodePool": True}, **extra)
    spec = pools(run)["gpu"]
    assert spec["weight"] > (pools(run).get("default", {}).get("weight") or 0)
    ref = spec["template"]["spec"]["nodeClassRef"]
    if mode == "auto":
        assert ref == {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "default"}
        assert not run.by_type(NODE_CLASS)
        return
    assert ref == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"}
    classes = {c.inputs["metadata"]["name"]: c for c in run.by_type(NODE_CLASS)}
    volume = {
        name: c.inputs["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"]
        for name, c in classes.items()
    }
    assert volume == {"default": "20Gi", "gpu": "80Gi"}
    gpu_pool = next(p for p in run.by_type(NODE_POOL) if p.inputs["metadata"]["name"] == "gpu")
    assert classes["gpu"].urn in gpu_pool.dependencies


@pytest.mark.parametrize(
    "overrides",
    [
        {"computeMode": "karpenter", "gpu": {"nodePool": True, "smokeTest": True}},
        {"computeMode": "auto", "nodeGroups": [], "gpu": {"nodePool": True, "smokeTest": True}},
        {
            "nodeGroups": [{"name": "general"}, {**GPU_GROUP, "desiredSize": 1}],
            "gpu": {"smokeTest": True},
        },
    ],
    ids=["karpenter", "auto", "managed"],
)
def test_the_smoke_test_lands_only_on_the_platforms_gpu_capacity(run_dev, overrides):
    """It has no other way to a GPU node of the right pool: a nodeSelector on the label every
    GPU pool and GPU node group carries, and the taint they all have."""
    run = run_dev(**overrides)
    pod = run.one("kubernetes:batch/v1:Job").inputs["spec"]["template"]["spec"]
    ((key, value),) = pod["nodeSelector"].items()
    if "gpu" in pools(run):
        assert pools(run)["gpu"]["template"]["metadata"]["labels"][key] == value
    else:
        assert run.one(NODE_GROUP, "eks-platform-dev-compute-gpu").inputs["labels"][key] == value


@pytest.mark.parametrize(
    ("types", "value"),
    [
        (["g6.xlarge", "g5.xlarge"], "nvidia"),
        (["g6.xlarge"], "nvidia-l4"),
        (["g4dn.xlarge"], "nvidia-tesla-t4"),  # the autoscaler's spelling
    ],
)
def test_managed_gpu_groups_carry_the_cluster_autoscalers_gpu_label(run_dev, types, value):
    """cluster-autoscaler aws_cloud_provider.go:50 and utils/gpu/gpu.go:126-134."""
    run = run_dev(nodeGroups=[{"name": "general"}, {**GPU_GROUP, "instanceTypes": types}])
    labels = run.one(NODE_GROUP, "eks-platform-dev-compute-gpu").inputs["labels"]
    assert labels["k8s.amazonaws.com/accelerator"] == value
    general = run.one(NODE_GROUP, "eks-platform-dev-compute-general").inputs["labels"]
    assert "k8s.amazonaws.com/accelerator" not in general


@pytest.mark.parametrize(("disk", "expected"), [(None, 80), (30, 30)])
def test_managed_gpu_groups_get_a_gpu_sized_volume_unless_set(run_dev, disk, expected):
    group = {**GPU_GROUP, **({"diskSizeGib": disk} if disk else {})}
    run = run_dev(nodeGroups=[{"name": "general"}, group])
    template = run.one("aws:ec2/launchTemplate:LaunchTemplate", "eks-platform-dev-compute-gpu-lt")
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == expected
    general = run.one(
        "aws:ec2/launchTemplate:LaunchTemplate", "eks-platform-dev-compute-general-lt"
    )
    assert general.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 20


# --- issue 23, point 14: Auto Mode launches only the families its user guide lists ----------------


def test_auto_mode_refuses_a_gpu_family_it_does_not_launch(run_bad):
    message, registered = run_bad(
        {
            "computeMode": "auto",
            "nodeGroups": [],
            "gpu": {"nodePool": True, "instanceFamilies": ["g5", "p3"]},
        }
    )
    assert registered == []
    assert "eks-platform:gpu = " in message and "gpu.instanceFamilies lists p3" in message
    assert "EKS Auto Mode does not launch" in message and "g4dn, g5, g5g, g6" in message


def test_the_same_family_is_accepted_where_karpenter_launches_it(run_dev):
    """Negative control: p3 is refused only for Auto Mode, and Auto Mode takes its own families."""
    run = run_dev(computeMode="karpenter", gpu={"nodePool": True, "instanceFamilies": ["p3"]})
    assert pools(run)["gpu"]["template"]["spec"]["requirements"][0]["values"] == ["p3"]
    data = resources.files("eks_platform").joinpath("data", "auto_mode_instance_families.json")
    accelerated = json.loads(data.read_text())["accelerated"]
    families = [f for f in ("g4dn", "g5", "g6", "gr6", "p3", "p5", "p6-b300") if f in accelerated]
    assert "p3" not in families and {"g6", "p5", "p6-b300"} <= set(families)
    auto = run_dev(
        computeMode="auto", nodeGroups=[], gpu={"nodePool": True, "instanceFamilies": families}
    )
    assert pools(auto)["gpu"]["template"]["spec"]["requirements"][0]["values"] == families
