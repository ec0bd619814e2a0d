"""Compute modes: managed node groups (default), Karpenter, EKS Auto Mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policy"))
from offline import evaluate

from eks_platform.offline.report.plan import build_plan

RELEASE = "kubernetes:helm.sh/v3:Release"
AUTO = {"computeMode": "auto", "nodeGroups": [{"name": "general"}]}


def releases(run):
    return {r.inputs["name"]: r for r in run.by_type(RELEASE)}


# --- Karpenter ---------------------------------------------------------------------------------


def test_karpenter_controller_runs_on_the_system_group_through_pod_identity(run_dev):
    run = run_dev(computeMode="karpenter")
    release = releases(run)["karpenter"]
    assert release.inputs["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert release.inputs["version"] == "1.14.1"
    values = release.inputs["values"]
    assert values["nodeSelector"] == {"nodegroup": "spot-arm"}  # the dev stack's node group
    assert values["settings"]["clusterName"] == "eks-platform-dev"
    queue = run.one("aws:sqs/queue:Queue")
    assert values["settings"]["interruptionQueue"] == queue.outputs["name"]
    association = run.one(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "eks-platform-dev-karpenter-pod-identity",
    )
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "kube-system",
        "karpenter",
    )
    assert association.urn in release.dependencies
    group = run.one("aws:eks/nodeGroup:NodeGroup")
    assert group.urn in release.dependencies


def test_karpenter_crds_come_from_their_own_chart_so_upgrades_upgrade_them(run_dev):
    """Helm never upgrades a chart's crds/ (Karpenter upgrade guide): karpenter-crd owns them."""
    run = run_dev(computeMode="karpenter")
    crds, controller = releases(run)["karpenter-crd"], releases(run)["karpenter"]
    assert crds.inputs["chart"] == "oci://public.ecr.aws/karpenter/karpenter-crd"
    assert crds.inputs["version"] == controller.inputs["version"] == "1.14.1"
    assert controller.inputs["skipCrds"] is True
    assert crds.urn in controller.dependencies


def test_karpenter_is_told_its_region(run_dev):
    """Hop limit 1 keeps pods from IMDS, where Karpenter would otherwise look (operator.go)."""
    values = releases(run_dev(computeMode="karpenter"))["karpenter"].inputs["values"]
    assert {"name": "AWS_REGION", "value": "us-west-2"} in values["controller"]["env"]


def test_karpenter_mode_keeps_other_pods_off_the_system_group(run_dev):
    run = run_dev(computeMode="karpenter")
    (group,) = run.by_type("aws:eks/nodeGroup:NodeGroup")
    assert {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"} in group.inputs[
        "taints"
    ]
    # What runs there tolerates it: the controller and the load balancer controller.
    toleration = {"key": "CriticalAddonsOnly", "operator": "Exists"}
    assert (
        toleration in releases(run)["aws-load-balancer-controller"].inputs["values"]["tolerations"]
    )
    coredns = next(
        a for a in run.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "coredns"
    )
    assert toleration in json.loads(coredns.inputs["configurationValues"])["tolerations"]
    # The app waits for the NodePool whose nodes it runs on.
    pool = run.one("kubernetes:karpenter.sh/v1:NodePool")
    assert pool.urn in releases(run)["podinfo"].dependencies
    managed = run_dev().one("aws:eks/nodeGroup:NodeGroup")
    assert not managed.inputs.get("taints")


def test_karpenter_ami_alias_is_latest_by_default_and_pinnable(run_dev):
    node_class = run_dev(computeMode="karpenter").one(
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
    )
    assert node_class.inputs["spec"]["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    pinned = run_dev(computeMode="karpenter", karpenter={"amiAlias": "al2023@v20260724"})
    spec = pinned.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass").inputs["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@v20260724"}]


def test_karpenter_nodes_have_their_own_role_and_an_ec2_linux_access_entry(run_dev):
    run = run_dev(computeMode="karpenter")
    role = run.one("aws:iam/role:Role", "eks-platform-dev-karpenter-node-role")
    entry = run.one("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX"
    assert entry.inputs["principalArn"] == role.outputs["arn"]
    node_class = run.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    assert node_class.inputs["spec"]["role"] == role.outputs["name"]


def test_karpenter_interruption_queue_and_rules(run_dev):
    run = run_dev(computeMode="karpenter")
    queue = run.one("aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    policy = json.loads(run.one("aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])
    assert policy["Statement"][0]["Principal"] == {
        "Service": ["events.amazonaws.com", "sqs.amazonaws.com"]
    }
    assert policy["Statement"][1]["Effect"] == "Deny"
    patterns = sorted(
        json.loads(r.inputs["eventPattern"])["detail-type"][0]
        for r in run.by_type("aws:cloudwatch/eventRule:EventRule")
    )
    assert patterns == [
        "AWS Health Event",
        "EC2 Capacity Reservation Instance Interruption Warning",  # issue 23, point 12
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Spot Instance Interruption Warning",
    ]
    sources = {json.loads(r.inputs["eventPattern"])["source"][0] for r in run.by_type(
        "aws:cloudwatch/eventRule:EventRule")}  # fmt: skip
    assert sources == {"aws.ec2", "aws.health"}
    targets = run.by_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == 5 and all(t.inputs["arn"] == queue.outputs["arn"] for t in targets)


def test_karpenter_controller_policies_are_karpenters_filled_in(run_dev):
    run = run_dev(computeMode="karpenter")
    policies = {
        p.name.rsplit("-", 1)[-1]: json.loads(p.inputs["policy"])
        for p in run.by_type("aws:iam/policy:Policy")
    }
    assert set(policies) == {
        "NodeLifecyclePolicy",
        "IAMIntegrationPolicy",
        "EKSIntegrationPolicy",
        "InterruptionPolicy",
        "ZonalShiftPolicy",
        "ResourceDiscoveryPolicy",
    }
    text = json.dumps(policies)
    assert "${" not in text
    assert "arn:aws:eks:us-west-2:123456789012:cluster/eks-platform-dev" in text
    node_role = run.one("aws:iam/role:Role", "eks-platform-dev-karpenter-node-role")
    assert node_role.outputs["arn"] in text
    assert run.one("aws:sqs/queue:Queue").outputs["arn"] in text


def test_node_class_and_pool(run_dev):
    run = run_dev(
        computeMode="karpenter",
        karpenter={
            "capacityTypes": ["spot"],
            "architectures": ["arm64"],
            "cpuLimit": 8,
            "memoryLimitGib": 32,
        },
    )
    release = releases(run)["karpenter"]
    node_class = run.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    pool = run.one("kubernetes:karpenter.sh/v1:NodePool")
    for custom in (node_class, pool):
        assert release.urn in custom.dependencies  # after the chart's CRDs
    spec = node_class.inputs["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "eks-platform-dev"}}]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert spec["blockDeviceMappings"][0]["ebs"]["encrypted"] is True
    pool_spec = pool.inputs["spec"]
    requirements = {
        r["key"]: r.get("values", r["operator"])
        for r in pool_spec["template"]["spec"]["requirements"]
    }
    assert requirements["karpenter.sh/capacity-type"] == ["spot"]
    assert requirements["kubernetes.io/arch"] == ["arm64"]
    assert pool_spec["limits"] == {"cpu": "8", "memory": "32Gi"}
    assert pool_spec["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"


def test_karpenter_defaults_allow_spot_and_on_demand_on_both_architectures(run_dev):
    pool = run_dev(computeMode="karpenter").one("kubernetes:karpenter.sh/v1:NodePool")
    requirements = {
        r["key"]: r.get("values", r["operator"])
        for r in pool.inputs["spec"]["template"]["spec"]["requirements"]
    }
    assert requirements["karpenter.sh/capacity-type"] == ["spot", "on-demand"]
    assert requirements["kubernetes.io/arch"] == ["arm64", "amd64"]


# --- Auto Mode ---------------------------------------------------------------------------------


def test_auto_mode_replaces_node_groups_addons_and_the_controller(run_dev):
    run = run_dev(**AUTO)
    cluster = run.one("eks:index:Cluster")
    assert cluster.inputs["autoMode"]["enabled"] is True
    assert run.by_type("aws:eks/nodeGroup:NodeGroup") == []
    assert run.by_type("aws:eks/addon:Addon") == []
    assert set(releases(run)) == {"podinfo", "metrics-server"}
    role = next(r for r in run.by_type("aws:iam/role:Role") if r.name.endswith("-cluster-role"))
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.parent == role.urn
    }
    assert attached == {
        "AmazonEKSClusterPolicy",
        "AmazonEKSComputePolicy",
        "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy",
        "AmazonEKSNetworkingPolicy",
    }


def test_auto_mode_app_is_still_reachable(run_dev):
    run = run_dev(**AUTO)
    service = run.one("kubernetes:core/v1:Service")
    assert service.inputs["spec"]["loadBalancerClass"] == "eks.amazonaws.com/nlb"
    assert (
        service.inputs["metadata"]["annotations"][
            "service.beta.kubernetes.io/aws-load-balancer-scheme"
        ]
        == "internet-facing"
    )
    assert run.outputs["appUrl"].startswith("http://")
    assert run.outputs["nodeRoleArn"].startswith("arn:aws:iam::123456789012:role/")


# --- validation, policy, cost ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"computeMode": "fleet"}, "computeMode", "'managed', 'karpenter' or 'auto'"),
        ({"karpenter": {"cpuLimit": 8}}, "karpenter", "only used with computeMode karpenter"),
        (
            {"computeMode": "karpenter", "karpenter": {"cpuLimit": 0}},
            "karpenter.cpuLimit",
            "greater than 0",
        ),
        (
            {"computeMode": "karpenter", "karpenter": {"memoryLimitGib": -1}},
            "karpenter.memoryLimitGib",
            "greater than 0",
        ),
        (
            {"computeMode": "karpenter", "karpenter": {"capacityTypes": []}},
            "karpenter.capacityTypes",
            "at least one capacity type",
        ),
        (
            {"computeMode": "karpenter", "karpenter": {"architectures": ["riscv"]}},
            "karpenter.architectures",
            "at least one architecture out of arm64, amd64",
        ),
        ({"computeMode": "auto"}, "nodeGroups", "not used with computeMode auto"),
        (
            {**AUTO, "fargateProfiles": [{"name": "p", "selectors": [{"namespace": "x"}]}]},
            "fargateProfiles",
            "not used with computeMode auto",
        ),
    ],
)
def test_mode_specific_validation(run_bad, overrides, key, message):
    text, registered = run_bad(overrides)
    assert registered == []
    assert f"eks-platform:{key} = " in text and message in text


@pytest.mark.parametrize(
    "overrides", [{"computeMode": "karpenter"}, AUTO], ids=["karpenter", "auto"]
)
def test_every_mode_passes_the_mandatory_policies(run_dev, overrides):
    violations = evaluate(run_dev(**overrides).registrations)
    assert [str(v) for v in violations if v.level == "mandatory"] == []


def test_dev_costs_at_most_130_usd_and_every_mode_is_estimated(run_dev):
    estimates = {
        mode: build_plan(run_dev(**overrides)).cost
        for mode, overrides in {
            "managed": {},
            "karpenter": {"computeMode": "karpenter"},
            "auto": AUTO,
        }.items()
    }
    assert estimates["managed"].monthly_usd <= 130
    assert estimates["managed"].warnings == []
    karpenter_items = {i.item for i in estimates["karpenter"].items}
    assert "ec2:t4g.medium" in karpenter_items  # nodes Karpenter launches, estimated
    auto = estimates["auto"]
    # The pool's real choice (amd64, on-demand, C/M/R of generation 5+: no t4g) and its fee.
    (node,) = [i for i in auto.items if i.item.startswith("ec2:") and i.resource.endswith("-eks")]
    assert node.item in ("ec2:m5.large", "ec2:m6i.large", "ec2:m7i.large")
    (fee,) = [i for i in auto.items if i.item.startswith("eks_auto_mode_fee:")]
    assert fee.priced and fee.unit_usd == round((node.unit_usd or 0) * 0.12, 5)
    assert auto.warnings == []


def test_karpenter_in_a_brought_vpc_selects_its_subnets_by_id(run_dev):
    """A brought VPC's subnets carry no karpenter.sh/discovery tag: the node class names them."""
    private = ["subnet-0000000b", "subnet-0000000c"]
    run = run_dev(
        computeMode="karpenter",
        existingVpcId="vpc-0123456789abcdef0",
        existingPublicSubnetIds=["subnet-0000000a"],
        existingPrivateSubnetIds=private,
    )
    spec = run.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass").inputs["spec"]
    assert spec["subnetSelectorTerms"] == [{"id": subnet} for subnet in private]
    created = run_dev(computeMode="karpenter").one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    assert created.inputs["spec"]["subnetSelectorTerms"] == [
        {"tags": {"karpenter.sh/discovery": "eks-platform-dev"}}
    ]
