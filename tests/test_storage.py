"""Block storage: the EBS CSI driver on its own Pod Identity role, a default encrypted gp3 class."""

from __future__ import annotations

import json
from dataclasses import replace

import pulumi
from conftest import NO_EGRESS_NEEDED, PROJECT_DIR

from eks_platform.offline import run_stack
from eks_platform.offline.checks import readback
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import RecordingMonitor
from eks_platform.offline.report.plan import build_plan

CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def driver(run):
    return next(
        a
        for a in run.by_type("aws:eks/addon:Addon")
        if a.inputs["addonName"] == "aws-ebs-csi-driver"
    )


def test_the_driver_runs_on_its_own_role_with_the_platform_key(run_dev):
    run = run_dev()
    addon = driver(run)
    role = run.one("aws:iam/role:Role", "eks-platform-dev-storage-driver-role")
    assert addon.inputs["podIdentityAssociations"] == [
        {"serviceAccount": "ebs-csi-controller-sa", "roleArn": role.outputs["arn"]}
    ]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "pods.eks.amazonaws.com"
    }
    attachment = run.one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "eks-platform-dev-storage-driver-role-AmazonEBSCSIDriverPolicy",
    )
    assert (
        attachment.inputs["policyArn"]
        == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    )
    key = run.one("aws:kms/key:Key").outputs["arn"]
    grants, data = json.loads(
        run.one("aws:iam/rolePolicy:RolePolicy", "eks-platform-dev-storage-driver-kms").inputs[
            "policy"
        ]
    )["Statement"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}} and grants[
        "Resource"
    ] == [key]
    assert "kms:GenerateDataKey*" in data["Action"] and data["Resource"] == [key]
    # Its controller pods need nodes: created after them, beside the app.
    assert run.one("aws:eks/nodeGroup:NodeGroup").urn in addon.dependencies


def test_one_default_class_gp3_encrypted_with_the_platform_key(run_dev):
    run = run_dev()
    (storage_class,) = run.by_type(CLASS)
    inputs = storage_class.inputs
    assert inputs["metadata"] == {
        "name": "gp3",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    }
    assert inputs["provisioner"] == "ebs.csi.aws.com"
    assert inputs["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": run.one("aws:kms/key:Key").outputs["arn"],
    }
    assert (inputs["volumeBindingMode"], inputs["allowVolumeExpansion"]) == (
        "WaitForFirstConsumer",
        True,
    )
    assert driver(run).urn in storage_class.dependencies


def test_auto_mode_gets_the_class_with_its_own_provisioner_and_no_driver(run_dev):
    run = run_dev(computeMode="auto", nodeGroups=[])
    assert [
        a
        for a in run.by_type("aws:eks/addon:Addon")
        if a.inputs["addonName"] == "aws-ebs-csi-driver"
    ] == []
    (storage_class,) = run.by_type(CLASS)
    assert storage_class.inputs["provisioner"] == "ebs.csi.eks.amazonaws.com"
    # Auto Mode encrypts with the cluster role: it gets the key's grants.
    assert run.one(
        "aws:iam/rolePolicy:RolePolicy", "eks-platform-dev-control-plane-cluster-role-ebs-kms"
    )


def test_block_storage_can_be_switched_off(run_dev):
    run = run_dev(blockStorage=False)
    assert run.by_type(CLASS) == []
    assert [r for r in run.registrations if "-storage-" in r.name] == []


# --- Cluster Autoscaler (managed mode, autoscaled groups) -------------------------------------------


def test_autoscaled_groups_get_the_cluster_autoscaler(run_dev):
    run = run_dev("prod")  # its node group is autoscaled
    release = next(
        r
        for r in run.by_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "cluster-autoscaler"
    )
    values = release.inputs["values"]
    assert (release.inputs["chart"], release.inputs["version"]) == ("cluster-autoscaler", "9.59.0")
    # Its one autoscaled group by Auto Scaling group name, not auto-discovery (every group).
    group = run.one("aws:eks/nodeGroup:NodeGroup")
    asg = group.outputs["resources"][0]["autoscalingGroups"][0]["name"]
    assert values["autoscalingGroups"] == [{"name": asg, "minSize": 3, "maxSize": 9}]
    assert "autoDiscovery" not in values
    assert values["awsRegion"] == "ap-northeast-2"  # no IMDS with hop limit 1
    assert values["image"] == {"tag": "v1.35.2"}  # the cluster's minor, newest patch
    assert values["extraArgs"]["balance-similar-node-groups"] is True
    policy = json.loads(
        run.one("aws:iam/rolePolicy:RolePolicy", "eks-platform-prod-autoscaler-policy").inputs[
            "policy"
        ]
    )
    write = policy["Statement"][1]
    assert write["Action"] == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert write["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/eks-platform-prod": "owned"}
    }
    association = run.one(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "eks-platform-prod-autoscaler-pod-identity",
    )
    assert association.inputs["serviceAccount"] == values["rbac"]["serviceAccount"]["name"]
    assert not [
        r for r in run_dev().registrations if "-autoscaler" in r.name
    ]  # dev: not autoscaled


def test_karpenter_mode_refuses_autoscaled_groups_besides_the_system_group(run_bad):
    groups = [{"name": "system"}, {"name": "extra", "autoscaled": True}]
    message, registered = run_bad({"computeMode": "karpenter", "nodeGroups": groups})
    assert registered == [] and "Karpenter launches the capacity" in message


# --- observability (opt-in) ---------------------------------------------------------------------


def test_observability_is_opt_in_on_its_own_role_and_priced(run_dev):
    assert not [r for r in run_dev().registrations if "-observability" in r.name]
    run = run_dev(observability=True)
    addon = run.one("aws:eks/addon:Addon", "eks-platform-dev-observability-addon")
    role = run.one("aws:iam/role:Role", "eks-platform-dev-observability-role")
    assert addon.inputs["addonName"] == "amazon-cloudwatch-observability"
    assert addon.inputs["podIdentityAssociations"] == [
        {"serviceAccount": "cloudwatch-agent", "roleArn": role.outputs["arn"]}
    ]
    plan = build_plan(run)
    items = {(i.item, i.resource): i for i in plan.cost.items}
    assert items[("container_insights_observations", "observability")].quantity == 2  # 2 nodes
    assert items[("cloudwatch_logs_ingest", "observability logs")].quantity == 4


def test_observability_needs_egress(run_bad):
    message, _ = run_bad({"natMode": "none", "observability": True, **NO_EGRESS_NEEDED})
    assert "eks-platform:observability = " in message and "monitoring API" in message


def test_observability_log_groups_exist_first_with_retention_and_the_key(run_dev):
    """Issue 23 point 6: Fluent Bit and the CloudWatch agent would create these groups without
    retention or key, and leave them after destroy; the platform owns them, the add-on waits."""
    run = run_dev(observability=True, observabilityLogRetentionDays=60)
    cluster = run.one("eks:index:Cluster").inputs["name"]
    key = run.one("aws:kms/key:Key").outputs["arn"]
    addon = run.one("aws:eks/addon:Addon", "eks-platform-dev-observability-addon")
    groups = {
        r.inputs["name"]: r
        for r in run.by_type("aws:cloudwatch/logGroup:LogGroup")
        if "/containerinsights/" in r.inputs.get("name", "")
    }
    assert sorted(groups) == [
        f"/aws/containerinsights/{cluster}/{kind}"
        for kind in ("application", "dataplane", "host", "performance")
    ]
    for group in groups.values():
        assert group.inputs["retentionInDays"] == 60
        assert group.inputs["kmsKeyId"] == key
        assert group.urn in addon.dependencies  # created before, deleted after the add-on
        # ... and after the cluster, so after every node (and its Fluent Bit) on destroy
        assert group.urn in run.one("eks:index:Cluster").dependencies


def test_observability_log_groups_are_refused_with_a_bad_retention(run_bad):
    message, registered = run_bad({"observability": True, "observabilityLogRetentionDays": 10})
    assert "eks-platform:observabilityLogRetentionDays = '10': must be one of" in message
    assert registered == []


def test_observability_alone_still_installs_the_addon(run_dev):
    """With every other in-cluster battery off, the add-on (and its log groups) still come."""
    run = run_dev(
        observability=True,
        metricsServer=False,
        blockStorage=False,
        loadBalancerController={"enabled": False},
        workload={"enabled": False},
    )
    assert run.one("aws:eks/addon:Addon", "eks-platform-dev-observability-addon")
    assert (
        len([r for r in run.by_type("aws:cloudwatch/logGroup:LogGroup") if "-insights-" in r.name])
        == 4
    )


def _observability_run(log_groups):
    """Error message (None when it deploys) and registrations of dev with observability on and
    these log groups already in the account."""
    monitor = RecordingMonitor(PlatformMocks("us-west-2", log_groups=log_groups))
    try:
        run_stack(PROJECT_DIR, "dev", {"observability": True}, monitor=monitor)
    except pulumi.RunError as error:
        return str(error), [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
    return None, monitor.registrations


def test_container_insights_groups_made_by_the_addon_are_refused_before_anything_registers():
    """Issue 23 point 6, the upgrade moment: a stack that ran the add-on before 0.6.0 has the
    groups already (its agents made them, untagged); creating them again would fail after the
    cluster is up. Its own groups (a second up) pass: the negative control."""
    cluster = "eks-platform-dev"
    host = f"/aws/containerinsights/{cluster}/host"
    message, registered = _observability_run({host: {}})
    assert message is not None and "- observability = True: log groups" in message
    assert f"log groups {host} exist without the platform's tags" in message
    assert (
        f"aws logs tag-resource --resource-arn arn:aws:logs:us-west-2:123456789012:log-group:{host} "
        "--tags managed-by=pulumi && pulumi import aws:cloudwatch/logGroup:LogGroup "
        f"eks-platform-dev-insights-host {host} --parent platform=urn:pulumi:dev::eks-platform::"
        "eks-platform:index:EksPlatform::eks-platform-dev" in message
    )
    assert registered == []
    # A renamed stack still knows its own groups: the managed-by tag decides.
    ours = {"project": "eks-platform", "stack": "renamed", "managed-by": "pulumi"}
    message, registered = _observability_run({host: ours, "/aws/containerinsights/x/host": {}})
    assert message is None and registered


def test_the_autoscaler_resizes_only_the_groups_marked_autoscaled(run_dev):
    fixed = {"name": "fixed", "minSize": 1, "desiredSize": 1, "maxSize": 3}
    run = run_dev(nodeGroups=[{"name": "elastic", "autoscaled": True}, fixed])
    release = next(
        r
        for r in run.by_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "cluster-autoscaler"
    )
    named = [group["name"] for group in release.inputs["values"]["autoscalingGroups"]]
    groups = {
        r.inputs["labels"]["nodegroup"]: r.outputs["resources"][0]["autoscalingGroups"][0]["name"]
        for r in run.by_type("aws:eks/nodeGroup:NodeGroup")
    }
    assert named == [groups["elastic"]]
    # The fixed group's size stays the program's: the read-back check agrees, and trips when
    # the release discovers every group (negative control).
    assert not readback.check(with_modelled(run.registrations))
    discovering = {**release.raw_inputs["values"], "autoDiscovery": {"clusterName": "x"}}
    broken = [
        replace(r, raw_inputs={**r.raw_inputs, "values": discovering}) if r is release else r
        for r in run.registrations
    ]
    found = readback.check(with_modelled(broken))
    assert [f.resources for f in found] == [[n] for n in sorted(
        r.name for r in run.by_type("aws:eks/nodeGroup:NodeGroup") if "fixed" in r.name
    )]  # fmt: skip
