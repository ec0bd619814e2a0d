"""The AWS Load Balancer Controller from eks-charts, its AWS permissions through Pod Identity.

It turns the sample app's Service (and later Ingresses) into load balancers: users -> NLB (public
subnets) -> pod IPs (private subnets).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .iam import POD_IDENTITY_TRUST, AwsContext, service_role

# eks-charts chart pinned together with the IAM policy in data/ (same release, v3.5.0).
CONTROLLER_CHART = "aws-load-balancer-controller"
CONTROLLER_CHART_VERSION = "3.5.0"
CONTROLLER_REPOSITORY = "https://aws.github.io/eks-charts"
CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
CONTROLLER_POLICY_FILE = "aws_load_balancer_controller_iam_policy.json"


def controller_policy() -> str:
    """The controller's documented IAM policy (see data/README.md for its source), minified."""
    text = resources.files("eks_platform").joinpath("data", CONTROLLER_POLICY_FILE).read_text()
    return json.dumps(json.loads(text), separators=(",", ":"))


@dataclass(frozen=True)
class ControllerArgs:
    """What the load balancer controller needs."""

    cluster_name: pulumi.Input[str]
    """Cluster name (an output of the cluster)."""
    region: str
    """Region; given to the controller so it never asks IMDS (hop limit 1)."""
    vpc_id: pulumi.Input[str]
    """VPC id; given to the controller for the same reason."""
    replicas: int
    """Controller replicas."""
    workers_ready: Sequence[pulumi.Resource]
    """Node groups and CoreDNS: the controller's pods need somewhere to run."""
    egress: Sequence[pulumi.Resource] = ()
    """NAT path and endpoints: on destroy the controller deletes the load balancer it made
    (AWS calls from its pods), so these must go only after it."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on the IAM role."""


class LoadBalancerController(pulumi.ComponentResource):
    """AWS Load Balancer Controller from eks-charts, its AWS permissions through Pod Identity."""

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: ControllerArgs,
        provider: k8s.Provider,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:LoadBalancerController", name, None, opts)
        role = service_role(
            f"{name}-role",
            assume_role_policy=POD_IDENTITY_TRUST,
            context=context,
            tags=args.tags,
            parent=self,
            description="AWS Load Balancer Controller through EKS Pod Identity",
        ).role
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=controller_policy(),
            opts=pulumi.ResourceOptions(parent=role),
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity",
            cluster_name=args.cluster_name,
            namespace="kube-system",
            service_account=CONTROLLER_SERVICE_ACCOUNT,
            role_arn=role.arn,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CONTROLLER_CHART,
            chart=CONTROLLER_CHART,
            version=CONTROLLER_CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CONTROLLER_REPOSITORY),
            namespace="kube-system",
            values={
                "clusterName": args.cluster_name,
                "region": args.region,
                "vpcId": args.vpc_id,
                "replicaCount": args.replicas,
                "serviceAccount": {"create": True, "name": CONTROLLER_SERVICE_ACCOUNT},
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                },
                "podDisruptionBudget": {"maxUnavailable": 1},
                # The Service mutator webhook (failurePolicy Fail) refuses every new Service
                # while the controller's pods are not ready, such as the Karpenter chart's
                # (aws-load-balancer-controller #4140). Nothing needs it: the platform's
                # Services set loadBalancerClass themselves (chart values.yaml 3.5.0, line 485).
                "enableServiceMutatorWebhook": False,
                # A system component: it may run on the system node group, which Karpenter mode
                # taints CriticalAddonsOnly (karpenter's chart tolerates it by default).
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                # Credentials must exist before the pods start; the pods need nodes and DNS.
                depends_on=[association, policy, *args.workers_ready, *args.egress],
            ),
        )
        self.register_outputs({})
