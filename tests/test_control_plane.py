"""The control plane under recording mocks: eks.Cluster inputs, KMS, log group, roles, addons."""

from __future__ import annotations

import json

import pulumi
import pytest
from conftest import PROJECT_DIR

from eks_platform.args.rules import principal_of
from eks_platform.offline import run_stack
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import RecordingMonitor
from eks_platform.parts.control_plane import without_creator

CLUSTER = "eks:index:Cluster"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ADMIN = "arn:aws:iam::123456789012:role/platform-admins"
READER = "arn:aws:iam::123456789012:user/auditor"


def role_named(run, suffix):
    (role,) = [r for r in run.by_type(ROLE) if r.name.endswith(suffix)]
    return role


def policies_of(run, role):
    return sorted(
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in run.by_type(ATTACHMENT)
        if a.inputs["role"] == role.outputs["name"]
    )


def principals(policy_json):
    return [statement["Principal"] for statement in json.loads(policy_json)["Statement"]]


def test_cluster_inputs_are_secure_by_default(run_dev):
    run = run_dev()
    cluster = run.one(CLUSTER)
    inputs = cluster.inputs
    assert inputs["name"] == "eks-platform-dev"
    assert inputs["version"] == "1.35"
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["authenticationMode"] == "API"
    assert inputs["endpointPrivateAccess"] is True
    assert inputs["endpointPublicAccess"] is True
    assert inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert inputs["encryptionConfigKeyArn"] == run.one("aws:kms/key:Key").outputs["arn"]
    assert inputs["createOidcProvider"] is True
    assert inputs["deletionProtection"] is False
    assert inputs["nodeAssociatePublicIpAddress"] is False
    assert inputs["serviceRole"] == role_named(run, "-cluster-role").resource_id


def test_cluster_uses_private_subnets_only(run_dev):
    run = run_dev()
    inputs = run.one(CLUSTER).inputs
    subnets = [s for s in run.by_type("aws:ec2/subnet:Subnet") if "-private-" in s.name]
    by_zone = sorted(subnets, key=lambda s: s.inputs["availabilityZone"])
    assert inputs["privateSubnetIds"] == [s.resource_id for s in by_zone]
    assert "publicSubnetIds" not in inputs
    assert "subnetIds" not in inputs
    assert inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").resource_id


def test_log_group_exists_first_with_the_cluster_name_retention_and_key(run_dev):
    run = run_dev(clusterLogRetentionDays=365)
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "eks-platform-dev-control-plane-logs")
    assert group.inputs["name"] == "/aws/eks/eks-platform-dev/cluster"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == run.one("aws:kms/key:Key").outputs["arn"]
    assert group.urn in run.one(CLUSTER).dependencies


def test_cluster_name_config_sets_physical_names(run_dev):
    run = run_dev(clusterName="payments")
    assert run.one(CLUSTER).inputs["name"] == "payments"
    assert run.outputs["clusterName"] == "payments"
    assert run.one("aws:kms/alias:Alias").inputs["name"] == "alias/payments"
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "eks-platform-dev-control-plane-logs")
    assert group.inputs["name"] == "/aws/eks/payments/cluster"


def test_stacks_named_after_their_cluster_by_0_2_0_move_over_through_an_alias(run_dev):
    """0.2.0 named the platform after clusterName; the engine aliases its children from this."""
    platform = run_dev(clusterName="payments").one("eks-platform:index:EksPlatform")
    assert platform.aliases == ["payments"]
    assert run_dev().one("eks-platform:index:EksPlatform").aliases == []  # the same name


def test_renaming_the_cluster_keeps_every_logical_name(run_dev):
    """Logical names come from the project and stack, never config: a new clusterName replaces
    the cluster (and what is named after it), not the VPC and the rest."""
    before = {(r.type, r.name) for r in run_dev().registrations}
    after = {(r.type, r.name) for r in run_dev(clusterName="payments").registrations}
    assert before == after


def test_kms_key_rotates_and_its_policy_has_no_wildcard_principal(run_dev):
    run = run_dev()
    key = run.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert run.one("aws:kms/alias:Alias").inputs["name"] == "alias/eks-platform-dev"
    found = principals(key.inputs["policy"])
    assert {"AWS": "arn:aws:iam::123456789012:root"} in found
    assert {"Service": "logs.us-west-2.amazonaws.com"} in found
    for principal in found:
        assert principal != "*"
        assert "*" not in principal.values()
    logs = json.loads(key.inputs["policy"])["Statement"][1]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-west-2:123456789012:log-group:*"
    )


def test_cluster_role_trusts_eks_and_may_use_the_key(run_dev):
    run = run_dev()
    role = role_named(run, "-cluster-role")
    assert principals(role.inputs["assumeRolePolicy"]) == [{"Service": "eks.amazonaws.com"}]
    assert policies_of(run, role) == ["AmazonEKSClusterPolicy"]
    kms = run.one(
        "aws:iam/rolePolicy:RolePolicy", "eks-platform-dev-control-plane-cluster-role-kms"
    )
    statement = json.loads(kms.inputs["policy"])["Statement"][0]
    assert statement["Resource"] == run.one("aws:kms/key:Key").outputs["arn"]
    assert "kms:CreateGrant" not in statement["Action"]
    deps = run.one(CLUSTER).dependencies
    assert kms.urn in deps
    assert all(a.urn in deps for a in run.by_type(ATTACHMENT) if a.parent == role.urn)


def test_access_entries_map_principals_to_eks_access_policies(run_dev):
    run = run_dev(adminPrincipalArns=[ADMIN], readOnlyPrincipalArns=[READER])
    entries = run.one(CLUSTER).inputs["accessEntries"]
    assert set(entries) == {"admin-role-platform-admins", "read-only-user-auditor"}
    admin = entries["admin-role-platform-admins"]
    assert admin["principalArn"] == ADMIN
    policy = admin["accessPolicies"]["AmazonEKSClusterAdminPolicy"]
    assert policy["policyArn"] == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert policy["accessScope"] == {"type": "cluster"}
    reader = entries["read-only-user-auditor"]["accessPolicies"]["AmazonEKSViewPolicy"]
    assert reader["policyArn"].endswith("/AmazonEKSViewPolicy")


def test_no_access_entries_by_default(run_dev):
    assert run_dev().one(CLUSTER).inputs.get("accessEntries", {}) == {}


def test_private_only_endpoint_sends_no_cidrs(run_dev):
    inputs = run_dev(endpointPublicAccess=False, publicAccessCidrs=[]).one(CLUSTER).inputs
    assert inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs


def test_open_endpoint_is_warned_about_outside_production(run_dev, caplog):
    run_dev()
    assert "reachable from any address" in caplog.text


def test_vpc_cni_gets_its_own_role_through_pod_identity(run_dev):
    run = run_dev()
    addons = {a.inputs["addonName"]: a for a in run.by_type(ADDON)}
    assert set(addons) == {"eks-pod-identity-agent", "vpc-cni", "coredns", "aws-ebs-csi-driver"}
    cni_role = role_named(run, "-vpc-cni-role")
    assert principals(cni_role.inputs["assumeRolePolicy"]) == [
        {"Service": "pods.eks.amazonaws.com"}
    ]
    assert json.loads(cni_role.inputs["assumeRolePolicy"])["Statement"][0]["Action"] == [
        "sts:AssumeRole",
        "sts:TagSession",
    ]
    assert policies_of(run, cni_role) == ["AmazonEKS_CNI_Policy"]
    association = addons["vpc-cni"].inputs["podIdentityAssociations"]
    assert association == [{"serviceAccount": "aws-node", "roleArn": cni_role.outputs["arn"]}]
    assert addons["eks-pod-identity-agent"].urn in addons["vpc-cni"].dependencies
    node_role = role_named(run, "-node-role")
    assert "AmazonEKS_CNI_Policy" not in policies_of(run, node_role)


def test_pulumi_eks_is_told_to_leave_the_vpc_cni_alone(run_dev):
    """pulumi-eks adds its own vpc-cni addon unless useDefaultVpcCni is true (cluster.ts)."""
    assert run_dev().one(CLUSTER).inputs["useDefaultVpcCni"] is True


def test_addons_wait_for_the_cluster(run_dev):
    run = run_dev()
    cluster = run.one(CLUSTER)
    for addon in run.by_type(ADDON):
        assert addon.inputs["clusterName"] == "eks-platform-dev"
        assert cluster.urn in addon.property_dependencies["clusterName"]


def test_stack_outputs(run_dev):
    run = run_dev()
    assert "kubeconfig" in run.secret_outputs
    assert run.outputs["kubeconfig"] == run.one(CLUSTER).outputs["kubeconfigJson"]
    assert json.loads(run.outputs["kubeconfig"])["users"][0]["user"]["exec"]["args"][3] == (
        "eks-platform-dev"
    )
    assert run.outputs["clusterEndpoint"].startswith("https://")
    assert run.outputs["clusterEndpoint"].endswith(".us-west-2.eks.amazonaws.com")
    assert run.outputs["oidcProviderArn"] == run.one(CLUSTER).outputs["oidcProviderArn"]
    assert run.outputs["nodeRoleArn"] == role_named(run, "-node-role").outputs["arn"]
    assert {"clusterName", "vpcId", "privateSubnetIds", "publicSubnetIds"} <= set(run.outputs)


def test_prod_is_protected_and_restricted(run_dev):
    prod = run_dev("prod").one(CLUSTER).inputs
    dev = run_dev("dev").one(CLUSTER).inputs
    assert prod["deletionProtection"] is True and dev["deletionProtection"] is False
    assert prod["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert dev["publicAccessCidrs"] == ["0.0.0.0/0"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_log_retention_per_stack(run_dev, stack):
    run = run_dev(stack)
    group = run.one("aws:cloudwatch/logGroup:LogGroup", f"eks-platform-{stack}-control-plane-logs")
    assert group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[stack]


# --- the creator's access entry -------------------------------------------------------------------

CI_ROLE = "arn:aws:iam::123456789012:role/ci/deployer"
CI_SESSION = "arn:aws:sts::123456789012:assumed-role/deployer/github-actions-42"


def run_as(caller_arn, existing_clusters=None, **overrides):
    mocks = PlatformMocks(
        "us-west-2", caller_arn=caller_arn, existing_clusters=existing_clusters or {}
    )
    return run_stack(PROJECT_DIR, "dev", overrides, monitor=RecordingMonitor(mocks))


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (CI_SESSION, "arn:aws:iam::123456789012:role/deployer"),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:federated-user/bob", None),
        ("not an arn", None),
    ],
)
def test_a_callers_arn_maps_to_its_role_or_user(caller, expected):
    assert principal_of(caller) == expected


def test_the_creator_is_matched_by_account_and_name_whatever_the_path():
    kept, dropped = without_creator([CI_ROLE, ADMIN], principal_of(CI_SESSION))
    assert kept == [ADMIN] and dropped == [CI_ROLE]
    other_account = "arn:aws:iam::210987654321:role/deployer"
    assert without_creator([other_account], principal_of(CI_SESSION)) == ([other_account], [])
    assert without_creator([CI_ROLE], None) == ([CI_ROLE], [])


def test_the_deploying_role_gets_no_second_access_entry(caplog):
    """EKS already made it admin (pulumi-eks bootstraps the creator): a second entry would fail."""
    run = run_as(CI_SESSION, adminPrincipalArns=[CI_ROLE, ADMIN])
    cluster = run.one(CLUSTER).inputs
    assert [e["principalArn"] for e in cluster["accessEntries"].values()] == [ADMIN]
    assert cluster["clusterTags"] == {
        "eks-platform/created-by": "arn:aws:iam::123456789012:role/deployer"
    }
    assert f"adminPrincipalArns: {CI_ROLE} creates the cluster" in caplog.text


def test_the_creator_is_read_back_from_an_existing_cluster(caplog):
    """A later deployment by someone else keeps the entries the first one made (no churn)."""
    tags = {"eks-platform/created-by": "arn:aws:iam::123456789012:role/deployer"}
    run = run_as(
        "arn:aws:iam::123456789012:user/alice",
        existing_clusters={"eks-platform-dev": tags},
        adminPrincipalArns=[CI_ROLE, "arn:aws:iam::123456789012:user/alice"],
    )
    cluster = run.one(CLUSTER).inputs
    principals_ = sorted(e["principalArn"] for e in cluster["accessEntries"].values())
    assert principals_ == ["arn:aws:iam::123456789012:user/alice"]
    assert cluster["clusterTags"] == tags


def test_a_cluster_without_the_tag_keeps_every_entry():
    run = run_as(
        CI_SESSION, existing_clusters={"eks-platform-dev": {}}, adminPrincipalArns=[CI_ROLE]
    )
    cluster = run.one(CLUSTER).inputs
    assert [e["principalArn"] for e in cluster["accessEntries"].values()] == [CI_ROLE]
    assert "clusterTags" not in cluster


def test_adding_a_zone_to_a_running_cluster_is_refused():
    """EKS changes a cluster's subnets only within the zones it was created in."""

    def with_cluster_in(zones):
        mocks = PlatformMocks(
            "us-west-2",
            existing_clusters={"eks-platform-dev": {}},
            cluster_zones={"eks-platform-dev": zones},
        )
        return RecordingMonitor(mocks)

    two = ["us-west-2a", "us-west-2b"]
    with pytest.raises(pulumi.RunError) as caught:  # the stack program turns it into RunError
        run_stack(PROJECT_DIR, "dev", {"availabilityZoneCount": 3}, monitor=with_cluster_in(two))
    message = str(caught.value)
    assert (
        "adds us-west-2c to cluster eks-platform-dev, created in us-west-2a, us-west-2b" in message
    )
    run_stack(PROJECT_DIR, "dev", {}, monitor=with_cluster_in(two))  # the same zones: fine
