"""The model of what pulumi_eks.Cluster creates, one condition at a time (pulumi-eks v4.3.0
nodejs/eks/cluster/cluster.ts; see eks_platform/offline/model/pulumi_eks.py for the lines)."""

from __future__ import annotations

import pytest

from eks_platform.offline.model.pulumi_eks import modelled_children, with_modelled
from eks_platform.offline.model.recorder import Registration

URN = "urn:pulumi:dev::p::eks-platform:index:ControlPlane$eks:index:Cluster::c"
OURS = {  # what ControlPlane passes (parts/control_plane.py)
    "name": "demo",
    "version": "1.35",
    "skipDefaultNodeGroup": True,
    "skipDefaultSecurityGroups": True,
    "authenticationMode": "API",
    "createOidcProvider": True,
    "useDefaultVpcCni": True,
    "encryptionConfigKeyArn": "arn:aws:kms:us-west-2:1:key/k",
    "endpointPrivateAccess": True,
    "endpointPublicAccess": False,
    "privateSubnetIds": ["subnet-a", "subnet-b"],
    "tags": {"environment": "production"},
}


def children(**changes) -> dict[str, Registration]:
    inputs = {**OURS, **changes}
    inputs = {key: value for key, value in inputs.items() if value is not None}
    cluster = Registration(URN, "eks:index:Cluster", "c", False, "", "", [], {}, inputs)
    return {f"{r.type} {r.name}": r for r in modelled_children(cluster)}


def addons(made: dict[str, Registration]) -> list[str]:
    return sorted(r.inputs["addonName"] for r in made.values() if r.type == "aws:eks/addon:Addon")


def test_our_inputs_give_the_cluster_kube_proxy_oidc_and_no_other_addon():
    made = children()
    assert addons(made) == ["kube-proxy"]
    cluster = made["aws:eks/cluster:Cluster c-eksCluster"]
    assert cluster.modelled and cluster.parent == URN
    assert cluster.urn.endswith("$eks:index:Cluster$aws:eks/cluster:Cluster::c-eksCluster")
    assert cluster.inputs["name"] == "demo"
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,  # always, when a mode is set
    }
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster.inputs["bootstrapSelfManagedAddons"] is True
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider c-oidcProvider" in made
    assert not any(r.type == "aws:ec2/securityGroup:SecurityGroup" for r in made.values())
    assert not any(r.type == "aws:iam/role:Role" for r in made.values())


def test_without_use_default_vpc_cni_pulumi_eks_adds_its_own_vpc_cni():
    """The defect of the last review: the Python docstring says this defaults to true."""
    made = children(useDefaultVpcCni=None)
    assert addons(made) == ["kube-proxy", "vpc-cni"]
    component = made["eks:index:VpcCniAddon c-vpc-cni"]
    assert made["aws:eks/addon:Addon c-vpc-cni"].parent == component.urn
    assert addons(children(useDefaultVpcCni=False)) == ["kube-proxy", "vpc-cni"]


def test_kube_proxy_can_be_switched_off():
    assert addons(children(kubeProxyAddonOptions={"enabled": False})) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"corednsAddonOptions": {"enabled": True}}, ["coredns"]),
        ({"corednsAddonOptions": {"configurationValues": {"replicaCount": 3}}}, ["coredns"]),
        ({"skipDefaultNodeGroup": None}, ["coredns"]),
        ({"fargate": True}, ["coredns"]),
        ({"fargate": True, "corednsAddonOptions": {"enabled": False}}, []),
    ],
)
def test_coredns_conditions(changes, expected):
    made = children(kubeProxyAddonOptions={"enabled": False}, **changes)
    assert addons(made) == expected


def test_auto_mode_has_a_node_role_and_coredns_but_no_kube_proxy_or_cni():
    made = children(autoMode={"enabled": True}, useDefaultVpcCni=None)
    assert addons(made) == ["coredns"]
    role = made["aws:iam/role:Role c-nodeRole-role"]
    assert role.parent == made["eks:index:ServiceRole c-nodeRole"].urn
    attachments = sorted(
        r.name
        for r in made.values()
        if r.type.endswith("rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attachments == ["c-nodeRole-22021ef5", "c-nodeRole-7b85ae6b"]  # sha1 of the ARNs
    cluster = made["aws:eks/cluster:Cluster c-eksCluster"].inputs
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["computeConfig"]["nodePools"] == ["general-purpose", "system"]
    assert (
        addons(children(autoMode={"enabled": True}, corednsAddonOptions={"enabled": False})) == []
    )


def test_default_node_group_brings_an_instance_role_and_its_access_entry():
    made = children(skipDefaultNodeGroup=None)
    assert "aws:iam/role:Role c-instanceRole-role" in made
    assert "aws:iam/instanceProfile:InstanceProfile c-instanceProfile" in made
    entry = made["aws:eks/accessEntry:AccessEntry c-defaultNodeGroupInstanceRole"]
    assert entry.inputs["type"] == "EC2_LINUX"
    assert "eks:index:NodeGroupV2 c" in made
    assert "eks:index:NodeGroupV2 c" not in children()


def test_default_security_groups_unless_skipped():
    made = children(skipDefaultSecurityGroups=None)
    groups = sorted(r.name for r in made.values() if r.type.endswith("securityGroup:SecurityGroup"))
    assert groups == ["c-eksClusterSecurityGroup", "c-nodeSecurityGroup"]
    rules = [r for r in made.values() if r.type.endswith("securityGroupRule:SecurityGroupRule")]
    assert len(rules) == 6
    assert not any(
        r.type.startswith("aws:ec2/") for r in children(autoMode={"enabled": True}).values()
    )


ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def test_access_entries_and_their_policy_associations():
    entries = {
        "admin-role-ops": {
            "principalArn": "arn:aws:iam::1:role/ops",
            "accessPolicies": {
                "AmazonEKSClusterAdminPolicy": {
                    "policyArn": ADMIN_POLICY,
                    "accessScope": {"type": "cluster"},
                }
            },
        }
    }
    made = children(accessEntries=entries)
    entry = made["aws:eks/accessEntry:AccessEntry c-admin-role-ops"]
    assert entry.inputs == {"clusterName": "demo", "principalArn": "arn:aws:iam::1:role/ops"}
    association = made[
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation "
        "c-admin-role-ops-AmazonEKSClusterAdminPolicy"
    ]
    assert association.parent == entry.urn
    assert not any(
        "accessEntry" in k for k in children(authenticationMode="CONFIG_MAP", accessEntries=entries)
    )


def test_the_program_expands_once_and_every_parent_exists(run_dev):
    registrations = with_modelled(run_dev().registrations)
    assert with_modelled(registrations) == registrations  # idempotent
    urns = {r.urn for r in registrations}
    modelled = [r for r in registrations if r.modelled]
    assert modelled and all(r.parent in urns for r in modelled)
    cluster = next(r for r in modelled if r.type == "aws:eks/cluster:Cluster")
    role = next(r for r in registrations if r.name.endswith("-control-plane-cluster-role"))
    assert cluster.inputs["roleArn"] == role.outputs["arn"]
    assert cluster.inputs["tags"]["eks-platform/created-by"].endswith(":user/offline")
