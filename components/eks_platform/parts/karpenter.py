"""Karpenter: node provisioning from a NodePool, with Spot interruption handling.

The controller runs on the system node group (so never on nodes it manages), gets its AWS
permissions through EKS Pod Identity (the policies of Karpenter's getting-started CloudFormation,
kept unchanged in data/), and reads EC2 interruption events from an encrypted SQS queue fed by
EventBridge. Its nodes use their own role, admitted to the cluster by an EC2_LINUX access entry.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args.compute import (
    GPU_DISK_GIB,
    GPU_NODE_CLASS,
    MIN_DISK_GIB,
    NODE_DELETE_TIMEOUT,
    KarpenterArgs,
)
from .iam import POD_IDENTITY_TRUST, AwsContext, service_role
from .iam import node_role as make_node_role

NODE_DELETE_TIMEOUTS = pulumi.CustomTimeouts(delete=NODE_DELETE_TIMEOUT)
"""Deleting a NodePool or EC2NodeClass drains nodes: ``args.compute.NODE_DELETE_TIMEOUT``."""

CHART = "oci://public.ecr.aws/karpenter/karpenter"
# CRDs from their own chart: Helm installs a chart's crds/ once and never upgrades them (Karpenter
# upgrade guide), so a version bump of the karpenter chart alone would leave old CRDs behind.
CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd"
CHART_VERSION = "1.14.1"  # the release the policies in data/ come from
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
POLICY_FILE = "karpenter_controller_policies.json"
# EventBridge detail types Karpenter acts on: the five rules of the getting-started
# CloudFormation (v1.14.1 website/content/en/docs/getting-started/getting-started-with-karpenter/
# cloudformation.yaml lines 410-463), each parsed by pkg/controllers/interruption/messages/*
# (capacityreservationinterruption/parser.go:42-43 for the fifth). The keys name the rules and
# their targets ("<platform>-karpenter-<key>-target"): short, so that both fit EventBridge's 64
# characters with Pulumi's suffix (args.rules.COMPONENT_NAME_MAX).
INTERRUPTION_EVENTS = {
    "spot": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "state": ("aws.ec2", "EC2 Instance State-change Notification"),
    "health": ("aws.health", "AWS Health Event"),
    "reservation": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}
# Karpenter's own test for "no accelerator": the standard (non-GPU) AMI is chosen for instance
# types where both labels do not exist (v1.14.1 pkg/providers/amifamily/types.go lines 86-99).
# It sets them from the EC2 API's GpuInfo, InferenceAcceleratorInfo and NeuronInfo
# (pkg/providers/instancetype/types.go lines 271-290; names in pkg/apis/v1/labels.go 162-166), so
# they cover NVIDIA, AMD, Gaudi, Inferentia and Trainium types alike (p, g, gr, dl, inf, trn).
NO_ACCELERATOR = [
    {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "DoesNotExist"},
    {"key": "karpenter.k8s.aws/instance-accelerator-count", "operator": "DoesNotExist"},
]


@cache
def policy_templates() -> dict[str, str]:
    """The controller's policy documents as Karpenter publishes them, by name."""
    data = json.loads(resources.files("eks_platform").joinpath("data", POLICY_FILE).read_text())
    return data["policies"]


def controller_policies(variables: dict[str, str]) -> dict[str, str]:
    """The controller's policy documents with CloudFormation's ${...} variables filled in."""
    filled = {}
    for name, template in policy_templates().items():
        text = template
        for key, value in variables.items():
            text = text.replace("${" + key + "}", value)
        filled[name] = json.dumps(json.loads(text), separators=(",", ":"))
    return filled


def node_class(
    role_name: str,
    cluster_name: str,
    ami_alias: str,
    subnet_ids: Sequence[str] = (),
    volume_gib: int = MIN_DISK_GIB,
) -> dict[str, Any]:
    """EC2NodeClass: AL2023, subnets (by id when given, else by the discovery tag the platform's
    network sets) and security groups by tag, IMDSv2 hop 1, encrypted gp3 of ``volume_gib``."""
    subnets = (
        [{"id": subnet} for subnet in subnet_ids]
        if subnet_ids
        else [{"tags": {"karpenter.sh/discovery": cluster_name}}]
    )
    return {
        "role": role_name,
        "amiSelectorTerms": [{"alias": ami_alias}],
        "subnetSelectorTerms": subnets,
        # EKS tags the cluster security group it creates with the cluster's name.
        "securityGroupSelectorTerms": [{"tags": {"aws:eks:cluster-name": cluster_name}}],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        },
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {"volumeSize": f"{volume_gib}Gi", "volumeType": "gp3", "encrypted": True},
            }
        ],
    }


def node_pool(settings: KarpenterArgs) -> dict[str, Any]:
    """NodePool: the capacity types and architectures allowed, no GPU or other accelerator
    (Karpenter would otherwise fall through to this pool once the GPU pool's limits are used up,
    karpenter core pkg/controllers/provisioning/scheduling/scheduler.go lines 706-721, and give a
    GPU pod a node without the GPU pool's taint and labels), consolidation, a cost ceiling."""

    def requirement(key: str, values: list[str]) -> dict[str, Any]:
        return {"key": key, "operator": "In", "values": values}

    return {
        "template": {
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": "default",
                },
                "requirements": [
                    requirement("karpenter.sh/capacity-type", list(settings.capacity_types)),
                    requirement("kubernetes.io/arch", list(settings.architectures)),
                    requirement("kubernetes.io/os", ["linux"]),
                    *NO_ACCELERATOR,
                ],
                "expireAfter": "720h",
            }
        },
        "limits": {"cpu": str(settings.cpu_limit), "memory": f"{settings.memory_limit_gib}Gi"},
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"},
    }


@dataclass(frozen=True)
class KarpenterComponentArgs:
    """What Karpenter needs from the platform."""

    cluster_name: pulumi.Input[str]
    """Cluster name, an output of the cluster."""
    settings: KarpenterArgs
    """NodePool settings."""
    system_node_group: str
    """Name of the node group the controller runs on."""
    workers_ready: Sequence[pulumi.Resource]
    """The system node group and CoreDNS."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on AWS resources (and, through the node class, on Karpenter's instances)."""
    egress: Sequence[pulumi.Resource] = ()
    """NAT path and endpoints: on destroy Karpenter terminates its nodes (AWS calls from its
    pods) after the NodePool goes, so these must go only after it."""
    subnet_ids: Sequence[str] = ()
    """Subnets for the nodes, by id: for a brought VPC, whose subnets carry no discovery tag."""
    gpu_node_class: bool = False
    """Also an EC2NodeClass for the GPU NodePool, with a larger root volume."""


class Karpenter(pulumi.ComponentResource):
    """Karpenter's roles, interruption queue and rules, Helm release, EC2NodeClass and NodePool."""

    node_role_arn: pulumi.Output[str]
    node_pool: k8s.apiextensions.CustomResource
    """The NodePool: workloads that run on Karpenter's nodes wait for it."""
    gpu_node_class: k8s.apiextensions.CustomResource | None
    """The GPU NodePool's EC2NodeClass, if asked for: that NodePool must depend on it."""

    def __init__(
        self,
        name: str,
        args: KarpenterComponentArgs,
        provider: k8s.Provider,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:Karpenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        node_role = make_node_role(
            f"{name}-node-role",
            context=context,
            tags=args.tags,
            parent=self,
            description="Nodes Karpenter launches",
        )
        # A node needs its role's policies from before it joins until after it is terminated:
        # the access entry and the node classes depend on them, so they exist first and, on
        # destroy, go only after the classes (whose finalizer waits for every NodeClaim).
        node_policies = list(node_role.attachments)
        access_entry = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=args.cluster_name,
            principal_arn=node_role.role.arn,
            type="EC2_LINUX",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_policies),
        )
        queue = aws.sqs.Queue(
            f"{name}-interruptions",
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags={**args.tags, "Name": f"{name}-interruptions"},
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruptions-policy",
            queue_url=queue.url,
            policy=queue.arn.apply(_queue_policy),
            opts=pulumi.ResourceOptions(parent=queue),
        )
        for rule_name, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{rule_name}",
                description=f"Karpenter: {detail_type}",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
                tags=args.tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule_name}-target",
                rule=rule.name,
                arn=queue.arn,
                opts=pulumi.ResourceOptions(parent=rule),
            )

        controller_role = service_role(
            f"{name}-controller-role",
            assume_role_policy=POD_IDENTITY_TRUST,
            context=context,
            tags=args.tags,
            parent=self,
            description="Karpenter controller through EKS Pod Identity",
        ).role
        documents = pulumi.Output.all(
            context.partition, context.account_id, args.cluster_name, node_role.role.arn, queue.arn
        ).apply(
            lambda v: controller_policies(
                {
                    "AWS::Partition": v[0],
                    "AWS::Region": context.region,
                    "AWS::AccountId": v[1],
                    "ClusterName": v[2],
                    "KarpenterNodeRole.Arn": v[3],
                    "KarpenterInterruptionQueue.Arn": v[4],
                }
            )
        )
        attachments = []
        for policy_name in policy_templates():
            policy = aws.iam.Policy(
                f"{name}-{policy_name}",
                description=f"Karpenter controller: {policy_name}",
                policy=documents.apply(lambda docs, key=policy_name: docs[key]),
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=controller_role),
            )
            attachments.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-{policy_name}-attachment",
                    role=controller_role.name,
                    policy_arn=policy.arn,
                    opts=pulumi.ResourceOptions(parent=controller_role),
                )
            )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity",
            cluster_name=args.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=controller_role.arn,
            tags=args.tags,
            opts=child,
        )
        crds = k8s.helm.v3.Release(
            f"{name}-crds",
            name="karpenter-crd",
            chart=CRD_CHART,
            version=CHART_VERSION,
            namespace=NAMESPACE,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name="karpenter",
            chart=CHART,
            version=CHART_VERSION,
            namespace=NAMESPACE,
            skip_crds=True,  # the karpenter-crd release above owns them
            values={
                "settings": {"clusterName": args.cluster_name, "interruptionQueue": queue.name},
                # Karpenter reads its region from AWS_REGION or IMDS (operator.go); with hop
                # limit 1 a pod cannot reach IMDS. Pod Identity injects no region variable.
                # Not exercised against a live cluster from this repository.
                "controller": {
                    "env": [{"name": "AWS_REGION", "value": context.region}],
                    "resources": {
                        "requests": {"cpu": "250m", "memory": "256Mi"},
                        "limits": {"cpu": "1", "memory": "1Gi"},
                    },
                },
                "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
                "replicas": 2,
                # Never on the nodes it manages: pinned to the system node group.
                "nodeSelector": {"nodegroup": args.system_node_group},
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[
                    crds,
                    association,
                    access_entry,
                    *attachments,
                    *args.workers_ready,
                    *args.egress,
                ],
            ),
        )
        # Destroy order (the reverse of these dependencies): the NodePools first, whose NodeClaims
        # the controller drains and terminates; then the EC2NodeClasses, whose finalizer waits for
        # every NodeClaim that uses them (karpenter v1.14.1 pkg/controllers/nodeclass/
        # controller.go:214-226) and then deletes instance profiles and launch templates through
        # the controller; then the controller (its identity, queue and egress after it) and the
        # node role's policies and access entry. Nothing orders a NodePool after its class
        # otherwise: the spec names the class by a plain string.
        class_opts = pulumi.ResourceOptions(
            parent=self,
            provider=provider,
            depends_on=[release, access_entry, *node_policies],
            custom_timeouts=NODE_DELETE_TIMEOUTS,
        )
        classes = {"default": MIN_DISK_GIB}
        if args.gpu_node_class:
            classes[GPU_NODE_CLASS] = GPU_DISK_GIB
        node_classes = {
            class_name: k8s.apiextensions.CustomResource(
                f"{name}-node-class"
                if class_name == "default"
                else f"{name}-{class_name}-node-class",
                api_version="karpenter.k8s.aws/v1",
                kind="EC2NodeClass",
                metadata={"name": class_name},
                spec=pulumi.Output.all(node_role.role.name, args.cluster_name).apply(
                    lambda v, gib=gib: {
                        **node_class(v[0], v[1], args.settings.ami_alias, args.subnet_ids, gib),
                        "tags": dict(args.tags),
                    }
                ),
                opts=class_opts,
            )
            for class_name, gib in classes.items()
        }
        self.gpu_node_class = node_classes.get(GPU_NODE_CLASS)
        self.node_pool = k8s.apiextensions.CustomResource(
            f"{name}-node-pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata={"name": "default"},
            spec=node_pool(args.settings),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[release, node_classes["default"]],
                custom_timeouts=NODE_DELETE_TIMEOUTS,
            ),
        )
        self.node_role_arn = node_role.role.arn
        self.register_outputs({"nodeRoleArn": self.node_role_arn})


def _queue_policy(queue_arn: str) -> str:
    """EventBridge (and SQS itself) may send; nothing may use plain HTTP."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                },
                {
                    "Sid": "DenyHTTP",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )
