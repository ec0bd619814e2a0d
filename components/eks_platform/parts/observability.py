"""Observability (opt-in): the amazon-cloudwatch-observability EKS add-on, Container Insights
with enhanced observability and Fluent Bit logs, on its own Pod Identity role
(CloudWatchAgentServerPolicy, as the EKS user guide's Container Insights setup gives it to the
cloudwatch-agent service account). Not exercised against a live cluster here.

The add-on's Fluent Bit and CloudWatch agent write to log groups they create themselves when
missing (Fluent Bit ``auto_create_group true``; the agent's EMF exporter), with no retention
(the agent's ``log_retention: 0``) and no customer key, and nothing deletes them with the
cluster. So the platform creates them first, with a retention and the platform key, and the
cluster (and so every node and the add-on) waits for them; on destroy they go after the
cluster (``container_insights_log_groups``). Names, add-on 4.x
(chart amazon-cloudwatch-observability 4.5.0, aws-observability/helm-charts commit 70318c7,
``charts/amazon-cloudwatch-observability/values.yaml`` lines 144, 190, 237: Fluent Bit's
``log_group_name`` for application, dataplane and host; the chart sets no retention; the
agent's ``enhanced_container_insights`` config, lines 1330-1337, writes
``/aws/containerinsights/{ClusterName}/performance``: aws/amazon-cloudwatch-agent
``translator/translate/otel/exporter/awsemf/awsemf_default_kubernetes.yaml`` line 2). Chart
6.4.0 (commit 71a298f, values.yaml lines 156, 205, 266) writes the same three Fluent Bit groups.
Not created: ``/aws/application-signals/data`` (``awsemf_default_appsignals.yaml``), which the
agent writes only for instrumented applications and which is one group per region, shared by
every cluster there: a platform cannot own it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..args.rules import CONTAINER_INSIGHTS_PREFIX, OBSERVABILITY_ADDON
from .iam import POD_IDENTITY_TRUST, AwsContext, pod_identity_addon, service_role

ADDON = OBSERVABILITY_ADDON
SERVICE_ACCOUNT = "cloudwatch-agent"
LOG_GROUPS = ("application", "dataplane", "host", "performance")
"""``/aws/containerinsights/<cluster>/<kind>``: what add-on 4.x writes to (module docstring)."""


def container_insights_log_group(cluster_name: str, kind: str) -> str:
    """The physical name of one Container Insights log group of a cluster."""
    return f"{CONTAINER_INSIGHTS_PREFIX}{cluster_name}/{kind}"


OWNED_TAG = ("managed-by", "pulumi")
"""A Container Insights group carrying this tag is a Pulumi stack's (``platform.common_tags``
puts it on everything); the add-on's agents create theirs untagged. Not the project or stack
tags: a renamed stack must still recognise its own groups."""


def foreign_log_groups(
    cluster_name: str, invoke: pulumi.InvokeOptions | None
) -> list[tuple[str, str]]:
    """(name, ARN) of the cluster's Container Insights log groups that exist without
    ``OWNED_TAG``: made by the add-on's own agents (the platform created none before 0.6.0, and
    prod ships with ``observability: true``). CreateLogGroup on them fails with
    ResourceAlreadyExistsException, after the cluster and the nodes are up. Not adopted
    automatically: a resource's ``import`` option fails when the imported group's retention,
    key or tags differ from the program's (pulumi/pulumi pkg/resource/deploy/step.go, ImportStep:
    "inputs to import do not match the existing resource"), and an ignore that let it through
    would have to stay, so the settings would never reach the group. ``pulumi import`` (which
    takes the group as it is) and the tag adopt it; the next ``up`` sets retention, key and
    tags."""
    prefix = container_insights_log_group(cluster_name, "")
    existing = set(
        aws.cloudwatch.get_log_groups(log_group_name_prefix=prefix, opts=invoke).log_group_names
        or []
    )
    foreign = []
    for kind in LOG_GROUPS:
        group = container_insights_log_group(cluster_name, kind)
        if group not in existing:
            continue
        found = aws.cloudwatch.get_log_group(name=group, opts=invoke)
        key, value = OWNED_TAG
        if (found.tags or {}).get(key) != value:
            foreign.append((group, found.arn))
    return foreign


def container_insights_log_groups(
    name: str,
    *,
    cluster_name: str,
    kms_key_arn: pulumi.Input[str],
    retention_days: int,
    protect: bool,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> list[aws.cloudwatch.LogGroup]:
    """The four groups (``<name>-<kind>``), children of the platform itself: created before the
    cluster, which waits for them, so on destroy every node (managed, Karpenter's, Auto Mode's)
    and with them Fluent Bit and the agent are gone before the groups are deleted (a Fluent
    Bit still flushing would create a group again, ``auto_create_group true``). The platform is
    their parent, not the Observability component, so ``pulumi import --parent`` can name a
    parent that a stack from before 0.6.0 already has."""
    return [
        aws.cloudwatch.LogGroup(
            f"{name}-{kind}",
            name=container_insights_log_group(cluster_name, kind),
            retention_in_days=retention_days,
            kms_key_id=kms_key_arn,
            tags={**tags, "Name": f"{name}-{kind}"},
            opts=pulumi.ResourceOptions(parent=parent, protect=protect),
        )
        for kind in LOG_GROUPS
    ]


@dataclass(frozen=True)
class ObservabilityArgs:
    """What the observability add-on needs."""

    cluster_name: pulumi.Input[str]
    """Cluster name, an output of the cluster."""
    log_groups: Sequence[pulumi.Resource] = ()
    """The Container Insights log groups (``container_insights_log_groups``): the add-on waits
    for them."""
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
            # Its agents would create the groups without retention or key if they were missing.
            depends_on=[*args.workers_ready, *args.log_groups],
        )
        self.register_outputs({})
