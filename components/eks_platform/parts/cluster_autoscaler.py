"""Cluster Autoscaler for the managed node groups marked ``autoscaled`` (managed mode).

The official chart (kubernetes/autoscaler cluster-autoscaler/charts/cluster-autoscaler 9.59.0;
values keys as in its values.yaml at tag cluster-autoscaler-chart-9.59.0), its image matched to
the Kubernetes minor, given the Auto Scaling group of each autoscaled node group by name (not
auto-discovery, which takes every managed node group: EKS tags them all), AWS access
through Pod Identity with the autoscaler's documented policy, the write actions scoped to this
cluster's groups by tag (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md,
"Minimal IAM Permissions Policy").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .iam import POD_IDENTITY_TRUST, AwsContext, service_role

CHART = "cluster-autoscaler"
CHART_VERSION = "9.59.0"
REPOSITORY = "https://kubernetes.github.io/autoscaler"
SERVICE_ACCOUNT = "cluster-autoscaler"
# The autoscaler's minor must match the cluster's; each is the newest patch release of that
# minor among kubernetes/autoscaler's git tags cluster-autoscaler-<version> (read 2026-12-04
# from a mirror of 2026-08-22: 1.32.7 of 2026-02-13, the others of 2026-07-22; each tag's
# cluster-autoscaler/version/version.go says the same version). That the image
# registry.k8s.io/autoscaling/cluster-autoscaler carries each tag was not checked here.
IMAGE_TAGS = {"1.32": "v1.32.7", "1.33": "v1.33.6", "1.34": "v1.34.5", "1.35": "v1.35.2",
              "1.36": "v1.36.1"}  # fmt: skip


def autoscaler_policy(cluster_name: str) -> str:
    """Read everywhere; change only this cluster's Auto Scaling groups (by EKS's tag)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:SetDesiredCapacity",
                        "autoscaling:TerminateInstanceInAutoScalingGroup",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                        }
                    },
                },
            ],
        }
    )


@dataclass(frozen=True)
class ClusterAutoscalerArgs:
    """What the Cluster Autoscaler needs."""

    cluster_name: pulumi.Input[str]
    """Cluster name, an output of the cluster."""
    kubernetes_version: str
    """The cluster's minor: picks the autoscaler's image."""
    region: str
    """Region, given so it never asks IMDS (hop limit 1)."""
    autoscaling_groups: Sequence[tuple[pulumi.Input[str], int, int]] = ()
    """(Auto Scaling group name, min, max) of each node group marked ``autoscaled``: the only
    groups it may resize. Auto-discovery would take every managed node group of the cluster
    (EKS tags each one's Auto Scaling group with k8s.io/cluster-autoscaler/enabled and
    k8s.io/cluster-autoscaler/<cluster>), and the next ``up`` would set a fixed group's resized
    desiredSize back (checks.readback, next-up-changes)."""
    workers_ready: Sequence[pulumi.Resource] = ()
    """Node groups and CoreDNS."""
    egress: Sequence[pulumi.Resource] = ()
    """NAT path and endpoints (it calls AWS)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on the IAM role."""


class ClusterAutoscaler(pulumi.ComponentResource):
    """Scales the autoscaled managed node groups between their min and max sizes."""

    def __init__(
        self,
        name: str,
        args: ClusterAutoscalerArgs,
        provider: k8s.Provider,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:ClusterAutoscaler", name, None, opts)
        role = service_role(
            f"{name}-role",
            assume_role_policy=POD_IDENTITY_TRUST,
            context=context,
            tags=args.tags,
            parent=self,
            description="Cluster Autoscaler through EKS Pod Identity",
        ).role
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.from_input(args.cluster_name).apply(autoscaler_policy),
            opts=pulumi.ResourceOptions(parent=role),
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity",
            cluster_name=args.cluster_name,
            namespace="kube-system",
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            namespace="kube-system",
            values={
                "cloudProvider": "aws",
                "awsRegion": args.region,
                # --nodes=<min>:<max>:<name> per group (chart 9.59.0 templates/deployment.yaml
                # 73-81); no autoDiscovery, which would take every managed node group.
                "autoscalingGroups": [
                    {"name": asg_name, "minSize": low, "maxSize": high}
                    for asg_name, low, high in args.autoscaling_groups
                ],
                "image": {"tag": IMAGE_TAGS[args.kubernetes_version]},
                "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
                "extraArgs": {
                    # Spread similar groups across zones; pick the group that wastes least.
                    "balance-similar-node-groups": True,
                    "expander": "least-waste",
                    "skip-nodes-with-system-pods": True,
                },
                # Never evicted by its own scale-down; runs on the system nodes.
                "podAnnotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
                "priorityClassName": "system-cluster-critical",
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                "resources": {
                    "requests": {"cpu": "100m", "memory": "300Mi"},
                    "limits": {"memory": "600Mi"},
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[association, policy, *args.workers_ready, *args.egress],
            ),
        )
        self.register_outputs({})
