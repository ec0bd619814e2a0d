"""Observability (opt-in): the amazon-cloudwatch-observability EKS add-on, Container Insights
with enhanced observability and Fluent Bit logs, on its own Pod Identity role
(CloudWatchAgentServerPolicy, as the EKS user guide's Container Insights setup gives it to the
cloudwatch-agent service account). Not exercised against a live cluster here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from .iam import POD_IDENTITY_TRUST, AwsContext, pod_identity_addon, service_role

ADDON = "amazon-cloudwatch-observability"
SERVICE_ACCOUNT = "cloudwatch-agent"


@dataclass(frozen=True)
class ObservabilityArgs:
    """What the observability add-on needs."""

    cluster_name: pulumi.Input[str]
    """Cluster name, an output of the cluster."""
    addon_version: str | None = None
    """The add-on's version (the lock table's for the Kubernetes minor)."""
    workers_ready: Sequence[pulumi.Resource] = ()
    """Nodes: the agent runs on them."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on AWS resources."""


class Observability(pulumi.ComponentResource):
    """Container Insights and Fluent Bit logs to CloudWatch."""

    def __init__(
        self,
        name: str,
        args: ObservabilityArgs,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:Observability", name, None, opts)
        role = service_role(
            f"{name}-role",
            assume_role_policy=POD_IDENTITY_TRUST,
            managed_policies=["CloudWatchAgentServerPolicy"],
            context=context,
            tags=args.tags,
            parent=self,
            description="CloudWatch agent and Fluent Bit through EKS Pod Identity",
        )
        pod_identity_addon(
            f"{name}-addon",
            cluster_name=args.cluster_name,
            addon=ADDON,
            version=args.addon_version,
            service_account=SERVICE_ACCOUNT,
            role=role,
            tags=args.tags,
            parent=self,
            depends_on=args.workers_ready,
        )
        self.register_outputs({})
