"""The EKS control plane: cluster role, log group, ``pulumi_eks.Cluster``, access and addons."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from ..args.rules import principal_identity, principal_of
from .iam import (
    POD_IDENTITY_TRUST,
    AwsContext,
    ebs_kms_policy,
    pod_identity_addon,
    service_role,
    trust_policy,
)

AUTO_MODE_POLICIES = (
    "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"


@dataclass(frozen=True)
class ControlPlaneArgs:
    """What the control plane needs; plain values except the network ids and the key."""

    cluster_name: str
    """Physical cluster name (also names the log group /aws/eks/<name>/cluster)."""
    kubernetes_version: str
    """Kubernetes minor version."""
    upgrade_policy: str
    """STANDARD or EXTENDED."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster."""
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets for the control plane's network interfaces (private only)."""
    kms_key_arn: pulumi.Input[str]
    """Key for secrets envelope encryption and the log group."""
    endpoint_public_access: bool
    """Public API endpoint on or off (the private endpoint is always on)."""
    public_access_cidrs: Sequence[str]
    """Ranges allowed to reach the public endpoint."""
    log_types: Sequence[str]
    """Control-plane log types."""
    log_retention_days: int
    """Retention of the control-plane log group."""
    deletion_protection: bool
    """EKS deletion protection."""
    protect: bool = False
    """Pulumi protect on the cluster and its log group."""
    auto_mode: bool = False
    """EKS Auto Mode: AWS runs compute, networking, DNS and load balancing; no addons here."""
    admin_principal_arns: Sequence[str] = ()
    """IAM principals mapped to AmazonEKSClusterAdminPolicy."""
    read_only_principal_arns: Sequence[str] = ()
    """IAM principals mapped to AmazonEKSViewPolicy."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on every taggable resource."""
    outlived_by: Sequence[pulumi.Resource] = ()
    """Resources the cluster waits for and that are deleted only after it (the Container
    Insights log groups: every node is gone before them)."""
    addon_versions: dict[str, str] = field(default_factory=dict)
    """Version per add-on (vpc-cni, kube-proxy, coredns, eks-pod-identity-agent); missing ones
    are left to EKS (the newest at creation, never moved again)."""


def access_entries(admins: Sequence[str], readers: Sequence[str]) -> dict[str, eks.AccessEntryArgs]:
    """Access entries keyed by a stable name derived from the principal."""

    def entry(arn: str, policy: str) -> eks.AccessEntryArgs:
        partition = arn.split(":")[1]  # the principal's partition is the cluster's
        return eks.AccessEntryArgs(
            principal_arn=arn,
            access_policies={
                policy: eks.AccessPolicyAssociationArgs(
                    policy_arn=f"arn:{partition}:eks::aws:cluster-access-policy/{policy}",
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                )
            },
        )

    def key(kind: str, arn: str) -> str:
        return f"{kind}-" + re.sub(r"[^A-Za-z0-9-]", "-", arn.split(":", 5)[-1])

    entries = {key("admin", arn): entry(arn, ADMIN_POLICY) for arn in admins}
    entries.update({key("read-only", arn): entry(arn, VIEW_POLICY) for arn in readers})
    return entries


CREATOR_TAG = "eks-platform/created-by"
"""Cluster tag naming the IAM principal that created the cluster (EKS made it admin then)."""


def without_creator(principals: Sequence[str], creator: str | None) -> tuple[list[str], list[str]]:
    """``principals`` minus the cluster's creator, and what was dropped.

    pulumi-eks always sets ``bootstrapClusterCreatorAdminPermissions: true`` (nodejs/eks/cluster/
    cluster.ts:739 at v4.3.0), so EKS gives the creating identity an access entry with cluster
    admin; a second access entry for the same principal fails with ResourceInUseException
    (terraform-aws-eks #2968, #3293).
    """
    if not creator:
        return list(principals), []
    kept = [arn for arn in principals if principal_identity(arn) != principal_identity(creator)]
    return kept, [arn for arn in principals if arn not in kept]


def cluster_creator(cluster_name: str, opts: pulumi.InvokeOptions) -> str | None:
    """Who created (or is about to create) the cluster: the tag of an existing cluster, else the
    identity running this deployment. Stable across runs by other identities once created."""
    if cluster_name in (aws.eks.get_clusters(opts=opts).names or []):
        tags = aws.eks.get_cluster(name=cluster_name, opts=opts).tags or {}
        return tags.get(CREATOR_TAG)
    return principal_of(aws.get_caller_identity(opts=opts).arn)


class ControlPlane(pulumi.ComponentResource):
    """EKS cluster with private endpoint, audit logs, KMS secrets encryption and an OIDC provider.

    Addons: kube-proxy comes from pulumi-eks; this component adds ``eks-pod-identity-agent`` and
    ``vpc-cni`` with its permissions on a role of its own through EKS Pod Identity, so the node
    role does not carry AmazonEKS_CNI_Policy. CoreDNS is added with the first nodes (Compute).
    """

    cluster_name: pulumi.Output[str]
    kubeconfig_json: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    auto_mode_node_role_name: pulumi.Output[str]
    addons_ready: list[pulumi.Resource]

    def __init__(
        self,
        name: str,
        args: ControlPlaneArgs,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:ControlPlane", name, None, opts)
        tags = args.tags
        self._addon_versions = dict(args.addon_versions)
        creator = cluster_creator(args.cluster_name, pulumi.InvokeOptions(parent=self))
        admins, dropped_admins = without_creator(args.admin_principal_arns, creator)
        readers, dropped_readers = without_creator(args.read_only_principal_arns, creator)
        for arn in dropped_admins:
            pulumi.log.warn(
                f"adminPrincipalArns: {arn} creates the cluster, and EKS makes the creator cluster "
                "admin itself (pulumi-eks always bootstraps it); no second access entry is made",
                resource=self,
            )
        for arn in dropped_readers:
            pulumi.log.warn(
                f"readOnlyPrincipalArns: {arn} creates the cluster and is cluster admin through "
                "EKS's creator access entry, not read-only; no second access entry is made",
                resource=self,
            )

        cluster_role = service_role(
            f"{name}-cluster-role",
            assume_role_policy=trust_policy(
                "eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")
            ),
            # Auto Mode manages nodes, volumes, load balancers and networking with this role
            # (the policies pulumi-eks attaches to its own role in Auto Mode).
            managed_policies=[
                "AmazonEKSClusterPolicy",
                *(AUTO_MODE_POLICIES if args.auto_mode else ()),
            ],
            context=context,
            tags=tags,
            parent=self,
            description=f"EKS control plane of {args.cluster_name}",
        )
        # EKS uses the key through grants made with the cluster role (terraform-aws-eks attaches
        # the same statement; the key policy delegates to IAM policies of the account).
        kms_policy = aws.iam.RolePolicy(
            f"{name}-cluster-role-kms",
            role=cluster_role.role.id,
            policy=pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "kms:Encrypt",
                                    "kms:Decrypt",
                                    "kms:ListGrants",
                                    "kms:DescribeKey",
                                ],
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=cluster_role.role),
        )
        # Auto Mode runs the EBS driver under the cluster role: it encrypts volumes with the
        # platform key (the default gp3 class), which needs these grants (EKS user guide,
        # "Create a storage class").
        auto_mode_kms = (
            [
                aws.iam.RolePolicy(
                    f"{name}-cluster-role-ebs-kms",
                    role=cluster_role.role.id,
                    policy=pulumi.Output.from_input(args.kms_key_arn).apply(ebs_kms_policy),
                    opts=pulumi.ResourceOptions(parent=cluster_role.role),
                )
            ]
            if args.auto_mode
            else []
        )
        # Auto Mode's managed AmazonEKSLoadBalancingPolicy allows CreateLoadBalancer/
        # CreateTargetGroup/CreateListener/CreateRule/CreateSecurityGroup only with EKS's own tag
        # keys (`ForAllValues:StringEquals aws:TagKeys`), so a load balancer asked for with the
        # platform's tags (the sample app's tag annotations) is refused and never gets a
        # hostname. The statements below are the EKS user guide's for custom tags
        # (automode/auto-learn-iam.adoc, "Custom AWS tags for EKS Auto resources";
        # terraform-aws-eks v21 main.tf `enable_auto_mode_custom_tags`, on by default), limited
        # to what the platform tags in Auto Mode: load balancers and their security groups. It
        # sets no tags on Auto Mode nodes (the built-in NodeClass) or volumes (no tagSpecification
        # on the gp3 class), so the guide's Compute/Storage/Networking statements are left out.
        auto_mode_tags = (
            [
                aws.iam.RolePolicy(
                    f"{name}-cluster-role-custom-tags",
                    role=cluster_role.role.id,
                    policy=context.partition.apply(auto_mode_custom_tags_policy),
                    opts=pulumi.ResourceOptions(parent=cluster_role.role),
                )
            ]
            if args.auto_mode and tags
            else []
        )
        # After a destroy deletes the log group, EKS would create it again (without retention or
        # key) while the cluster is being deleted, and the next deploy fails on it; denied, as
        # terraform-aws-eks does (main.tf "cluster_deny_log_group"; issues #2486, #2763).
        deny_log_group = aws.iam.RolePolicy(
            f"{name}-cluster-role-deny-log-group",
            role=cluster_role.role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Deny", "Action": "logs:CreateLogGroup", "Resource": "*"}
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=cluster_role.role),
        )
        # Created before the cluster with its exact name, so EKS writes into a group with our
        # retention and key instead of creating one that never expires.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags={**tags, "Name": f"{name}-logs"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        cluster = eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            # pulumi-eks defaults to EXTENDED, which costs six times as much past standard support.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.upgrade_policy),
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            skip_default_node_group=True,
            # Managed node groups use the security group EKS creates for the cluster.
            skip_default_security_groups=True,
            service_role=cluster_role.role,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries(admins, readers),
            endpoint_private_access=True,
            endpoint_public_access=args.endpoint_public_access,
            public_access_cidrs=list(args.public_access_cidrs)
            if args.endpoint_public_access
            else None,
            enabled_cluster_log_types=list(args.log_types),
            encryption_config_key_arn=args.kms_key_arn,
            create_oidc_provider=True,
            # pulumi-eks creates its own vpc-cni addon unless this is true (nodejs/eks/cluster/
            # cluster.ts:1091-1092 at v4.3.0: `useDefaultVpcCni !== undefined ? !useDefaultVpcCni
            # : !autoMode.enabled`; the SDK docstring "defaults to true" is wrong). This component
            # creates the addon itself, on a Pod Identity role; a second one fails to create.
            use_default_vpc_cni=True,
            # pulumi-eks's own kube-proxy (and, in Auto Mode, CoreDNS) at the locked versions:
            # plain dicts, since the Python CoreDnsAddonOptionsArgs defaults enabled=True, which
            # would add a second CoreDNS beside Compute's (cluster.ts:1175-1185).
            kube_proxy_addon_options=_version_option(args.addon_versions, "kube-proxy"),
            coredns_addon_options=_version_option(args.addon_versions, "coredns")
            if args.auto_mode
            else None,
            deletion_protection=args.deletion_protection,
            # Built-in node pools (general-purpose, system) and a node role pulumi-eks creates.
            auto_mode=eks.AutoModeOptionsArgs(enabled=True) if args.auto_mode else None,
            tags=tags,
            # On the EKS cluster only: who EKS made admin at creation, read back on later runs.
            cluster_tags={CREATOR_TAG: creator} if creator else None,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # No data edge: EKS finds the log group and the role's policies by name.
                depends_on=[
                    log_group,
                    kms_policy,
                    deny_log_group,
                    *auto_mode_kms,
                    *auto_mode_tags,
                    *cluster_role.attachments,
                    *args.outlived_by,
                ],
            ),
        )

        self.kubeconfig_json = cluster.kubeconfig_json
        # pulumi-eks has no flat cluster-name output; deriving it from one of the cluster's
        # outputs makes everything keyed by the name wait for the cluster.
        self.cluster_name = cluster.kubeconfig_json.apply(lambda _: args.cluster_name)
        self.endpoint = cluster.kubeconfig_json.apply(_server_of)
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.auto_mode_node_role_name = cluster.auto_mode_node_role_name
        self.addons_ready = [] if args.auto_mode else self._addons(name, context, tags)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.oidc_provider_arn,
            }
        )

    def _addons(
        self, name: str, context: AwsContext, tags: dict[str, str]
    ) -> list[pulumi.Resource]:
        """Pod Identity agent, then the VPC CNI with its own role. Returns what nodes wait for."""
        pod_identity_agent = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=self.cluster_name,
            addon_name="eks-pod-identity-agent",
            addon_version=self._addon_versions.get("eks-pod-identity-agent"),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        cni_role = service_role(
            f"{name}-vpc-cni-role",
            assume_role_policy=POD_IDENTITY_TRUST,
            managed_policies=["AmazonEKS_CNI_Policy"],
            context=context,
            tags=tags,
            parent=self,
            description="VPC CNI (aws-node) through EKS Pod Identity",
        )
        # EKS documents Pod Identity for this addon (update-addon-role); not exercised against a
        # live cluster from this repository.
        vpc_cni = pod_identity_addon(
            f"{name}-vpc-cni",
            cluster_name=self.cluster_name,
            addon="vpc-cni",
            version=self._addon_versions.get("vpc-cni"),
            service_account="aws-node",
            role=cni_role,
            tags=tags,
            parent=self,
            depends_on=[pod_identity_agent],
        )
        return [pod_identity_agent, vpc_cni]


CLUSTER_TAG_CONDITION = {
    "StringEquals": {
        "aws:RequestTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}"
    }
}
"""Only for resources EKS tags as this cluster's: the cluster role's session carries the cluster's
name as a principal tag, and Auto Mode tags what it creates with it (AmazonEKSLoadBalancingPolicy
uses the same condition)."""


def auto_mode_custom_tags_policy(partition: str) -> str:
    """What Auto Mode's cluster role needs to create load balancers with user tags.

    The creates are the EKS user guide's "LoadBalancer" statement (auto-learn-iam.adoc, "Custom
    AWS tags"; terraform-aws-eks v21 main.tf, enable_auto_mode_custom_tags), with resource types
    instead of the guide's ``*`` (parliament's RESOURCE_STAR otherwise): each create is
    authorized against the types the Service Authorization Reference names for it
    (CreateLoadBalancer the load balancer, CreateTargetGroup the target group, CreateListener
    the load balancer, CreateRule the listener, CreateSecurityGroup the security group; its VPC
    part is in the managed policy), which the test checks action by action. Tagging at create time
    (``elasticloadbalancing:AddTags`` with a CreateAction, ``ec2:CreateTags`` on
    CreateSecurityGroup) is already in AmazonEKSLoadBalancingPolicy without a tag-key limit. The
    second statement lets a later change of ``tags`` reach load balancers and security groups
    that already carry this cluster's tag (the guide asks for permission to "create and modify"
    tags; its example covers only creates; that Auto Mode re-tags on an annotation change is
    assumed from the load balancer controller's behaviour, not verified against Auto Mode).
    """
    elb = f"arn:{partition}:elasticloadbalancing:*:*"
    load_balancing = [
        f"{elb}:loadbalancer/*",
        f"{elb}:targetgroup/*/*",
        f"{elb}:listener/*",
        f"{elb}:listener-rule/*",
    ]
    security_groups = f"arn:{partition}:ec2:*:*:security-group/*"
    owned = {
        "StringEquals": {
            "aws:ResourceTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}"
        }
    }
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "LoadBalancer",
                    "Effect": "Allow",
                    "Action": [
                        "elasticloadbalancing:CreateLoadBalancer",
                        "elasticloadbalancing:CreateTargetGroup",
                        "elasticloadbalancing:CreateListener",
                        "elasticloadbalancing:CreateRule",
                        "ec2:CreateSecurityGroup",
                    ],
                    "Resource": [*load_balancing, security_groups],
                    "Condition": CLUSTER_TAG_CONDITION,
                },
                {
                    "Sid": "LoadBalancerTagUpdates",
                    "Effect": "Allow",
                    "Action": [
                        "elasticloadbalancing:AddTags",
                        "elasticloadbalancing:RemoveTags",
                        "ec2:CreateTags",
                        "ec2:DeleteTags",
                    ],
                    "Resource": [*load_balancing, security_groups],
                    "Condition": owned,
                },
            ],
        }
    )


def _server_of(kubeconfig_json: str) -> str:
    """The API server URL inside a kubeconfig (pulumi-eks has no flat endpoint output)."""
    config = json.loads(kubeconfig_json) if kubeconfig_json else {}
    clusters = config.get("clusters") or [{}]
    return clusters[0].get("cluster", {}).get("server", "")


def _version_option(versions: dict[str, str], addon: str) -> Any:
    """``{"version": ...}`` for pulumi-eks's addon options, or None (its own default)."""
    return {"version": versions[addon]} if addon in versions else None
