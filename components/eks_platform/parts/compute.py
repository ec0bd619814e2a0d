"""Worker capacity: managed node groups on our launch templates, Fargate profiles, CoreDNS."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..args.compute import FargateProfileArgs, NodeGroupArgs
from .iam import AwsContext, service_role, trust_policy
from .iam import node_role as make_node_role


@dataclass(frozen=True)
class ComputeArgs:
    """What the compute needs from the rest of the platform."""

    cluster_name: pulumi.Input[str]
    """Cluster name, as an output of the cluster so that everything here waits for it."""
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Nodes and Fargate pods run in private subnets only."""
    node_groups: Sequence[NodeGroupArgs]
    """Managed node groups."""
    fargate_profiles: Sequence[FargateProfileArgs] = ()
    """Fargate profiles."""
    ready: Sequence[pulumi.Resource] = ()
    """Resources nodes must wait for (the CNI addon), with no data edge to them."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on every taggable resource, and propagated to instances and volumes."""
    kubernetes_version: str | None = None
    """The control plane's minor: node groups follow it (an upgrade moves them too)."""
    coredns_version: str | None = None
    """CoreDNS add-on version (the lock table's for the Kubernetes minor)."""


@dataclass(frozen=True)
class AutoscaledGroup:
    """A node group the Cluster Autoscaler may resize: its Auto Scaling group and bounds."""

    asg_name: pulumi.Output[str]
    """The Auto Scaling group EKS made for the node group."""
    min_size: int
    """The group's minimum."""
    max_size: int
    """The group's maximum."""


def launch_template_root_device(group: NodeGroupArgs) -> str:
    """Bottlerocket keeps containers on its second (data) volume; AL2023 on the root volume."""
    return "/dev/xvdb" if group.is_bottlerocket else "/dev/xvda"


class Compute(pulumi.ComponentResource):
    """Node role, one launch template and managed node group per group, Fargate profiles."""

    node_role_arn: pulumi.Output[str]
    node_groups: list[aws.eks.NodeGroup]
    workers_ready: list[pulumi.Resource]
    """Node groups, Fargate profiles and CoreDNS: what workloads wait for."""
    autoscaled_groups: list[AutoscaledGroup]
    """The Auto Scaling group of each node group marked ``autoscaled``, with its bounds."""

    def __init__(
        self,
        name: str,
        args: ComputeArgs,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:Compute", name, None, opts)
        self._name = name
        self._args = args
        node_role = make_node_role(
            f"{name}-node-role",
            context=context,
            tags=args.tags,
            parent=self,
            description="EKS managed node groups",
        )
        self.node_role_arn = node_role.role.arn
        self.node_groups = [
            self._node_group(group, node_role.role, [*node_role.attachments, *args.ready])
            for group in args.node_groups
        ]
        self.autoscaled_groups = [
            AutoscaledGroup(
                node_group.resources.apply(
                    lambda found: (found[0].autoscaling_groups or [])[0].name or ""
                ),
                group.min_size,
                group.max_size,
            )
            for node_group, group in zip(self.node_groups, args.node_groups, strict=True)
            if group.autoscaled
        ]
        profiles = self._fargate_profiles(context)

        # CoreDNS is a Deployment: created before any node it would wait DEGRADED until timeout
        # (FACTS.md §2), so it follows the node groups (and Fargate profiles).
        coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=args.cluster_name,
            addon_name="coredns",
            addon_version=args.coredns_version,
            # Explicit, as EKS Blueprints sets it, rather than relying on the addon's defaults:
            # CoreDNS must run on a system node group tainted CriticalAddonsOnly (Karpenter mode).
            configuration_values=json.dumps(
                {"tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}
            ),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.node_groups, *profiles]),
        )
        self.workers_ready = [*self.node_groups, *profiles, coredns]
        self.register_outputs({"nodeRoleArn": self.node_role_arn})

    def _node_group(
        self, group: NodeGroupArgs, role: aws.iam.Role, wait_for: list[pulumi.Resource]
    ) -> aws.eks.NodeGroup:
        name = f"{self._name}-{group.name}"
        tags = {**self._args.tags, "Name": name}
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"EKS node group {group.name}",
            update_default_version=True,
            # IMDSv2 only (CKV_AWS_79), hop limit 1 (CKV_AWS_341): pods cannot reach the node's
            # credentials; add-ons get theirs through Pod Identity instead.
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=launch_template_root_device(group),
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=group.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            # No SSH key, no user data (EKS merges its own bootstrap), no network interface
            # block: nodes get no public IP because the private subnets never map one.
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        ignore = ["scalingConfig.desiredSize"] if group.autoscaled else []
        return aws.eks.NodeGroup(
            name,
            cluster_name=self._args.cluster_name,
            node_role_arn=role.arn,
            subnet_ids=self._args.private_subnet_ids,
            ami_type=group.ami_type,
            # The group follows the control plane's minor; with a pinned AMI release it stays on
            # that release until the pin moves (UpdateNodegroupVersion either way).
            version=self._args.kubernetes_version,
            release_version=group.ami_release_version or None,
            capacity_type=group.capacity_type,
            instance_types=list(group.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=group.min_size,
                desired_size=group.desired_size,
                max_size=group.max_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"nodegroup": group.name, **group.labels},
            taints=[
                aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None, effect=t.eks_effect)
                for t in group.taints
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=wait_for, ignore_changes=ignore),
        )

    def _fargate_profiles(self, context: AwsContext) -> list[aws.eks.FargateProfile]:
        if not self._args.fargate_profiles:
            return []
        name = f"{self._name}-fargate"
        source_arn = pulumi.Output.all(
            context.partition, context.account_id, self._args.cluster_name
        ).apply(lambda v: f"arn:{v[0]}:eks:{context.region}:{v[1]}:fargateprofile/{v[2]}/*")
        role = service_role(
            # "<platform>-compute-fargate-role": short enough for IAM's 64 (args.rules).
            f"{name}-role",
            assume_role_policy=source_arn.apply(
                lambda arn: trust_policy(
                    "eks-fargate-pods.amazonaws.com",
                    condition={"ArnLike": {"aws:SourceArn": arn}},
                )
            ),
            managed_policies=["AmazonEKSFargatePodExecutionRolePolicy"],
            context=context,
            tags=self._args.tags,
            parent=self,
            description="Fargate pod execution",
        )
        profiles: list[aws.eks.FargateProfile] = []
        for profile in self._args.fargate_profiles:
            # EKS creates or deletes one Fargate profile at a time per cluster: chain them.
            previous = profiles[-1:] or role.attachments
            profiles.append(
                aws.eks.FargateProfile(
                    f"{name}-{profile.name}",
                    cluster_name=self._args.cluster_name,
                    fargate_profile_name=profile.name,
                    pod_execution_role_arn=role.role.arn,
                    subnet_ids=self._args.private_subnet_ids,
                    selectors=[
                        aws.eks.FargateProfileSelectorArgs(
                            namespace=s.namespace, labels=dict(s.labels) or None
                        )
                        for s in profile.selectors
                    ],
                    tags={**self._args.tags, "Name": f"{name}-{profile.name}"},
                    # Fixed physical name and immutable: the old one must go first.
                    opts=pulumi.ResourceOptions(
                        parent=self, depends_on=list(previous), delete_before_replace=True
                    ),
                )
            )
        return profiles
