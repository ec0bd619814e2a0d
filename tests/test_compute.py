"""Node groups, launch templates, Fargate profiles and CoreDNS under recording mocks."""

from __future__ import annotations

import json

import pytest

from eks_platform.args.compute import TaintArgs, instance_architecture

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_TEMPLATE = "eks-platform-dev-compute-spot-arm-lt"
FARGATE = "aws:eks/fargateProfile:FargateProfile"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

GPU_GROUP = {
    "name": "bottlerocket",
    "instanceTypes": ["m7i.large"],
    "amiType": "BOTTLEROCKET_x86_64",
    "diskSizeGib": 80,
    "labels": {"example.com/team": "data"},
    "taints": [{"key": "dedicated", "value": "data", "effect": "NoSchedule"}],
    "autoscaled": True,
}


def private_subnet_ids(run):
    """In zone order, as the network hands them on (registration order varies)."""
    subnets = [s for s in run.by_type("aws:ec2/subnet:Subnet") if "-private-" in s.name]
    return [s.resource_id for s in sorted(subnets, key=lambda s: s.inputs["availabilityZone"])]


def test_launch_template_requires_imdsv2_with_hop_limit_one(run_dev):
    template = run_dev().one(TEMPLATE, NODE_TEMPLATE)
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }


def test_launch_template_root_volume_is_encrypted_gp3(run_dev):
    (mapping,) = run_dev().one(TEMPLATE, NODE_TEMPLATE).inputs["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert mapping["ebs"] == {
        "volumeSize": 20,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }


def test_launch_template_has_no_ssh_key_user_data_or_public_ip(run_dev):
    inputs = run_dev().one(TEMPLATE, NODE_TEMPLATE).inputs
    assert "keyName" not in inputs
    assert "userData" not in inputs
    assert "networkInterfaces" not in inputs
    assert "iamInstanceProfile" not in inputs


def test_launch_template_propagates_tags(run_dev):
    specs = run_dev().one(TEMPLATE, NODE_TEMPLATE).inputs["tagSpecifications"]
    assert [s["resourceType"] for s in specs] == ["instance", "volume", "network-interface"]
    for spec in specs:
        assert spec["tags"]["project"] == "eks-platform"
        assert spec["tags"]["stack"] == "dev"
        assert spec["tags"]["Name"] == "eks-platform-dev-compute-spot-arm"


def test_dev_node_group(run_dev):
    run = run_dev()
    group = run.one(NODE_GROUP)
    inputs = group.inputs
    template = run.one(TEMPLATE, NODE_TEMPLATE)
    assert inputs["clusterName"] == "eks-platform-dev"
    assert run.one("eks:index:Cluster").urn in group.property_dependencies["clusterName"]
    assert inputs["subnetIds"] == private_subnet_ids(run)
    assert inputs["capacityType"] == "SPOT"
    assert inputs["instanceTypes"] == ["t4g.small", "t4g.medium"]
    assert inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert inputs["scalingConfig"] == {"minSize": 1, "desiredSize": 2, "maxSize": 4}
    assert inputs["updateConfig"] == {"maxUnavailablePercentage": 33}
    assert inputs["launchTemplate"] == {"id": template.resource_id, "version": "1"}
    assert inputs["labels"] == {"nodegroup": "spot-arm"}
    assert "remoteAccess" not in inputs
    assert "diskSize" not in inputs  # set in the launch template; EKS rejects both
    assert group.ignore_changes == []


def test_node_groups_wait_for_the_cni_and_the_role_policies(run_dev):
    run = run_dev()
    group = run.one(NODE_GROUP)
    cni = next(a for a in run.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni")
    assert cni.urn in group.dependencies
    node_role = next(r for r in run.by_type("aws:iam/role:Role") if r.name.endswith("-node-role"))
    attachments = [a for a in run.by_type(ATTACHMENT) if a.parent == node_role.urn]
    assert len(attachments) == 3
    assert all(a.urn in group.dependencies for a in attachments)
    assert group.inputs["nodeRoleArn"] == node_role.outputs["arn"]


def test_node_role_has_worker_ecr_read_only_and_ssm_policies(run_dev):
    run = run_dev()
    node_role = next(r for r in run.by_type("aws:iam/role:Role") if r.name.endswith("-node-role"))
    trust = json.loads(node_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    policies = sorted(
        a.inputs["policyArn"] for a in run.by_type(ATTACHMENT) if a.parent == node_role.urn
    )
    assert policies == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]


def test_bottlerocket_group_with_labels_taints_and_autoscaling(run_dev):
    # With an untainted group beside it: a tainted group alone leaves CoreDNS nowhere to run.
    run = run_dev(nodeGroups=[{"name": "system"}, GPU_GROUP])
    group = run.one(NODE_GROUP, "eks-platform-dev-compute-bottlerocket")
    assert group.inputs["amiType"] == "BOTTLEROCKET_x86_64"
    assert group.inputs["labels"] == {"nodegroup": "bottlerocket", "example.com/team": "data"}
    assert group.inputs["taints"] == [
        {"key": "dedicated", "value": "data", "effect": "NO_SCHEDULE"}
    ]
    assert group.ignore_changes == ["scalingConfig.desiredSize"]
    (mapping,) = run.one(TEMPLATE, "eks-platform-dev-compute-bottlerocket-lt").inputs[
        "blockDeviceMappings"
    ]
    assert mapping["deviceName"] == "/dev/xvdb"  # Bottlerocket's data volume
    assert mapping["ebs"]["volumeSize"] == 80


def test_one_template_and_group_per_config_entry(run_dev):
    run = run_dev(nodeGroups=[{"name": "a"}, {"name": "b", "instanceTypes": ["m7g.large"]}])
    groups = {g.name: g for g in run.by_type(NODE_GROUP)}
    assert set(groups) == {"eks-platform-dev-compute-a", "eks-platform-dev-compute-b"}
    templates = {t.name for t in run.by_type(TEMPLATE) if "-compute-" in t.name}
    assert templates == {"eks-platform-dev-compute-a-lt", "eks-platform-dev-compute-b-lt"}
    ids = {t.name: t.resource_id for t in run.by_type(TEMPLATE)}
    assert (
        groups["eks-platform-dev-compute-b"].inputs["launchTemplate"]["id"]
        == (ids["eks-platform-dev-compute-b-lt"])
    )


def test_prod_runs_an_on_demand_baseline_that_an_autoscaler_owns(run_dev):
    group = run_dev("prod").one(NODE_GROUP)
    assert group.inputs["capacityType"] == "ON_DEMAND"
    assert group.inputs["instanceTypes"] == ["m7g.large"]
    assert group.inputs["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 9}
    assert group.ignore_changes == ["scalingConfig.desiredSize"]


def test_coredns_waits_for_the_nodes(run_dev):
    run = run_dev(nodeGroups=[{"name": "a"}, {"name": "b"}])
    coredns = [a for a in run.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "coredns"]
    assert len(coredns) == 1
    assert all(group.urn in coredns[0].dependencies for group in run.by_type(NODE_GROUP))


PROFILES = [
    {"name": "batch", "selectors": [{"namespace": "batch"}]},
    {"name": "jobs", "selectors": [{"namespace": "jobs", "labels": {"runtime": "fargate"}}]},
]


def test_no_fargate_by_default(run_dev):
    run = run_dev()
    assert run.by_type(FARGATE) == []
    assert not [r for r in run.by_type("aws:iam/role:Role") if "fargate" in r.name]


def test_fargate_profiles_in_private_subnets_one_at_a_time(run_dev):
    run = run_dev(fargateProfiles=PROFILES)
    profiles = {p.inputs["fargateProfileName"]: p for p in run.by_type(FARGATE)}
    batch, jobs = profiles["batch"], profiles["jobs"]
    assert batch.inputs["fargateProfileName"] == "batch"
    assert batch.inputs["selectors"] == [{"namespace": "batch"}]
    assert jobs.inputs["selectors"] == [{"namespace": "jobs", "labels": {"runtime": "fargate"}}]
    for profile in (batch, jobs):
        assert profile.inputs["subnetIds"] == private_subnet_ids(run)
        assert profile.inputs["clusterName"] == "eks-platform-dev"
        assert profile.delete_before_replace is True
    assert batch.urn in jobs.dependencies
    coredns = [a for a in run.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "coredns"]
    assert batch.urn in coredns[0].dependencies


def test_fargate_pod_execution_role(run_dev):
    run = run_dev(fargateProfiles=PROFILES)
    (role,) = [
        r for r in run.by_type("aws:iam/role:Role") if r.name.endswith("-compute-fargate-role")
    ]
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {
            "aws:SourceArn": "arn:aws:eks:us-west-2:123456789012:fargateprofile/eks-platform-dev/*"
        }
    }
    attached = [a.inputs["policyArn"] for a in run.by_type(ATTACHMENT) if a.parent == role.urn]
    assert attached == ["arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"]
    for profile in run.by_type(FARGATE):
        assert profile.inputs["podExecutionRoleArn"] == role.outputs["arn"]


@pytest.mark.parametrize(
    ("instance_type", "architecture"),
    [
        ("t4g.medium", "arm64"),
        ("m7g.large", "arm64"),
        ("c7gn.xlarge", "arm64"),
        ("m6gd.large", "arm64"),
        ("im4gn.large", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("a1.large", "arm64"),
        ("m5.large", "x86_64"),
        ("g5.xlarge", "x86_64"),
        ("g4dn.xlarge", "x86_64"),
        ("m7i-flex.large", "x86_64"),
        ("r7iz.large", "x86_64"),
        ("t3.medium", "x86_64"),
        ("banana", None),
        ("m5", None),
    ],
)
def test_instance_architecture(instance_type, architecture):
    assert instance_architecture(instance_type) == architecture


@pytest.mark.parametrize(
    ("effect", "eks"),
    [
        ("NoSchedule", "NO_SCHEDULE"),
        ("PreferNoSchedule", "PREFER_NO_SCHEDULE"),
        ("NoExecute", "NO_EXECUTE"),
    ],
)
def test_taint_effect_spelling(effect, eks):
    assert TaintArgs(key="k", effect=effect).eks_effect == eks
