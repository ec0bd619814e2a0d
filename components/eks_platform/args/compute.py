"""Arguments of the compute: managed node groups and Fargate profiles."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from .rules import (
    DNS_LABEL_PATTERN,
    MAX_NODES_PER_GROUP,
    MODEL_CONFIG,
    NODE_GROUP_NAME_BUDGET,
    Count,
    check_labels,
    label_key_problem,
    label_value_problem,
    problem,
    resource_name,
)

CapacityType = Literal["ON_DEMAND", "SPOT"]
# EKS AMITypes (botocore data/eks/2017-11-01/service-2.json, shape AMITypes, lines 1106-1132);
# terraform-provider-aws validates ami_type against the SDK's enum (node_group.go, ami_type).
AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
]

# EC2 families with whole NVIDIA GPUs, and their GPU, as Karpenter v1.14.1's generated
# instance-type reference lists them (website/content/en/docs/reference/instance-types.md:
# instance-gpu-manufacturer nvidia, instance-gpu-count >= 1, instance-gpu-name). g5g is the one
# arm64 family. Left out: g4ad (AMD), g6f and gr6f (fractional L4: no whole nvidia.com/gpu to
# request), inf/trn (Neuron), dl1 (Gaudi). p3 (V100) is no longer in that reference: its GPU
# name is from the EC2 accelerated-computing specifications, not checked against an API here.
NVIDIA_GPU_MODELS = {
    "g4dn": "t4", "g5": "a10g", "g5g": "t4g", "g6": "l4", "g6e": "l40s", "gr6": "l4",
    "g7e": "rtx-pro-server-6000", "p3": "v100", "p3dn": "v100", "p4d": "a100", "p4de": "a100",
    "p5": "h100", "p5e": "h200", "p5en": "h200", "p6-b200": "b200", "p6-b300": "b300",
}  # fmt: skip
NVIDIA_GPU_FAMILIES = tuple(NVIDIA_GPU_MODELS)
TESLA_NAMED = ("t4", "v100", "a100")
"""GPUs the Cluster Autoscaler names nvidia-tesla-<GPU> (``accelerator_label_value``)."""
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
"""The Cluster Autoscaler treats a node carrying this label as a GPU node, and so waits for the
device plugin instead of adding nodes (kubernetes/autoscaler cluster-autoscaler-chart-9.59.0
cluster-autoscaler/cloudprovider/aws/aws_cloud_provider.go:50, utils/gpu/gpu.go:126-134; its AWS
README.md:272-286: value ``<gpu-type>``, which varies by instance type)."""
GPU_DISK_GIB = 80
"""Root volume of GPU nodes by default (CUDA and framework images take gigabytes; the AL2023
NVIDIA AMI's 20 GiB snapshot leaves little room): EKS Auto Mode's default node storage,
ephemeralStorage 80Gi (EKS user guide automode/create-node-class.adoc lines 89-91). An AWS
default for all Auto Mode nodes, not a GPU-specific requirement."""
GPU_NODE_CLASS = "gpu"
"""Name of the EC2NodeClass of Karpenter's GPU NodePool (its larger root volume)."""
GPU_TAINT_KEY = "nvidia.com/gpu"
NODE_DELETE_TIMEOUT = "30m"
"""How long a destroy waits for a NodePool or EC2NodeClass to go. pulumi-kubernetes deletes with
foreground propagation and waits until the object is gone, 10 minutes by default; a NodePool
is gone once Karpenter has drained and terminated every node it owns (NodeClaims carry
``blockOwnerDeletion``, karpenter core nodeclaimtemplate.go), a class once its finalizer saw the
last NodeClaim go (pkg/controllers/nodeclass/controller.go:214-226). Several nodes drained in
turn take longer than 10 minutes; a PodDisruptionBudget that never allows an eviction still
blocks the drain (no ``terminationGracePeriod``: it is in the NodePool hash and would replace
every node), and the destroy then fails safely after this timeout (README, destroy)."""
GPU_NODE_POOL = "gpu"
"""Name of the GPU NodePool (the plan prices it apart: idle, it holds no node)."""

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

LATEST_AMI_ALIAS = "al2023@latest"
AMI_ALIAS_PATTERN = re.compile(
    r"al2023@(latest|v20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01]))"
)
# The EKS AMIs' volumes: the AL2023 root snapshot (awslabs/amazon-eks-ami
# templates/al2023/variables-default.json, volume_size 20) and Bottlerocket's data volume
# (Karpenter concepts/nodeclasses.md defaults). Smaller block-device mappings are refused by EC2.
MIN_DISK_GIB = 20
NODE_GROUP_NAME_PATTERN = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,62}")
INSTANCE_TYPE_PATTERN = re.compile(
    r"(?P<family>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z-]*(-[a-z]+\d+)?)\.[a-z0-9]+"
)


@cache
def auto_mode_gpu_families() -> tuple[str, ...]:
    """NVIDIA GPU families EKS Auto Mode launches: its documented accelerated families
    (data/auto_mode_instance_families.json, with source and date) that have whole NVIDIA GPUs."""
    text = resources.files("eks_platform").joinpath("data", "auto_mode_instance_families.json")
    accelerated = set(json.loads(text.read_text())["accelerated"])
    return tuple(family for family in NVIDIA_GPU_FAMILIES if family in accelerated)


def accelerator_label_value(instance_types: list[str]) -> str:
    """The Cluster Autoscaler's ``<gpu-type>`` for a group: nvidia-<GPU> (nvidia-a10g) when all
    its types share one GPU, else nvidia."""
    models = {NVIDIA_GPU_MODELS.get(instance_family(t)) for t in instance_types}
    if len(models) != 1 or None in models:
        return "nvidia"
    model = models.pop()
    # The autoscaler's own names for the GPUs it lists (cluster-autoscaler-chart-9.59.0
    # cloudprovider/aws/aws_cloud_provider.go:56-65, availableGPUTypes): nvidia-tesla-<GPU> for
    # these; another value still marks a GPU node (utils/gpu/gpu.go NodeHasGpu) and is reported
    # as an unlisted type in its per-type metrics.
    return f"nvidia-tesla-{model}" if model in TESLA_NAMED else f"nvidia-{model}"


def instance_family(instance_type: str) -> str:
    """The family, as Karpenter's instance-family label spells it: g5 of g5.xlarge."""
    return instance_type.split(".", 1)[0]


def is_nvidia_gpu(instance_type: str) -> bool:
    return instance_family(instance_type) in NVIDIA_GPU_FAMILIES


def ami_architecture(ami_type: str) -> str:
    return "arm64" if "ARM_64" in ami_type else "x86_64"


def instance_architecture(instance_type: str) -> str | None:
    """arm64 for Graviton types (a 'g' among the attributes after the generation: t4g, c7gn,
    m6gd, im4gn; and a1), x86_64 otherwise (g5, m7i-flex, r7iz); None if malformed."""
    if instance_type.startswith("a1."):
        return "arm64"
    match = INSTANCE_TYPE_PATTERN.fullmatch(instance_type)
    if not match:
        return None
    return "arm64" if "g" in match.group("attributes") else "x86_64"


class TaintArgs(BaseModel):
    """A Kubernetes taint on every node of a group."""

    model_config = MODEL_CONFIG

    key: str
    """Taint key (label-key syntax)."""
    value: str = ""
    """Taint value (label-value syntax, may be empty)."""
    effect: TaintEffect
    """NoSchedule, PreferNoSchedule or NoExecute."""

    @field_validator("key")
    @classmethod
    def _key_syntax(cls, value: str) -> str:
        found = label_key_problem(value)
        if found:
            raise problem("{problem}", problem=found)
        if len(value) > 63:  # EKS API Taint: key and value each 1-63 characters, prefix included
            raise problem("EKS accepts taint keys of at most 63 characters, prefix included")
        return value

    @field_validator("value")
    @classmethod
    def _value_syntax(cls, value: str, info: ValidationInfo) -> str:
        found = label_value_problem(info.data.get("key", "value"), value)
        if found:
            raise problem("{problem}", problem=found)
        return value

    @property
    def eks_effect(self) -> str:
        """The EKS API spelling: NoSchedule -> NO_SCHEDULE."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.effect).upper()


GPU_TAINT = TaintArgs(key=GPU_TAINT_KEY, value="true", effect="NoSchedule")
"""On every GPU node (node groups unless they set their own on this key; the GPU NodePool):
only pods that ask for GPUs, and tolerate it, land on the most expensive nodes."""


def device_plugin_needed(compute_mode: str, groups: list[NodeGroupArgs], node_pool: bool) -> bool:
    """NVIDIA's device plugin is needed where AL2023 NVIDIA nodes may run: a node group's, or
    Karpenter's GPU NodePool's. Auto Mode runs its own."""
    if compute_mode == "auto":
        return False
    pool = compute_mode == "karpenter" and node_pool
    return pool or any(group.needs_device_plugin for group in groups)


class NodeGroupArgs(BaseModel):
    """One managed node group: sizing, instance types, AMI, labels and taints."""

    model_config = MODEL_CONFIG

    name: str
    """Node group name, unique within the cluster (also the value of the node label nodegroup)."""
    instance_types: list[str] = Field(default_factory=lambda: ["t4g.medium"], min_length=1)
    """EC2 instance types the group may launch (all of one CPU architecture)."""
    capacity_type: CapacityType = "ON_DEMAND"
    """ON_DEMAND or SPOT."""
    ami_type: AmiType = "AL2023_ARM_64_STANDARD"
    """EKS AMI type; its CPU architecture must match the instance types."""
    min_size: Count = Field(default=1, ge=0, le=MAX_NODES_PER_GROUP)
    """Minimum number of nodes."""
    desired_size: Count = Field(default=2, ge=0, le=MAX_NODES_PER_GROUP)
    """Number of nodes at creation."""
    max_size: Count = Field(default=3, ge=1, le=MAX_NODES_PER_GROUP)
    """Maximum number of nodes."""
    disk_size_gib: Count = Field(default=MIN_DISK_GIB, le=16384)
    """GiB of gp3, encrypted (root; data on Bottlerocket); at least 20 (the AMI); NVIDIA: 80."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes labels on every node."""
    taints: list[TaintArgs] = Field(default_factory=list)
    """Kubernetes taints on every node."""
    ami_release_version: str = ""
    """Pinned EKS AMI release of kubernetesVersion (1.35.3-20260724); empty: the latest."""
    autoscaled: bool = False
    """True when an autoscaler owns the node count: later deployments leave desiredSize alone."""

    @model_validator(mode="before")
    @classmethod
    def _gpu_sized_volume(cls, data: object) -> object:
        """An NVIDIA group without diskSizeGib gets GPU_DISK_GIB, not the AMI's 20."""
        if not isinstance(data, dict) or "diskSizeGib" in data or "disk_size_gib" in data:
            return data
        ami_type = data.get("amiType", data.get("ami_type"))
        if isinstance(ami_type, str) and ami_type.endswith("_NVIDIA"):
            return {**data, "disk_size_gib": GPU_DISK_GIB}
        return data

    @field_validator("name")
    @classmethod
    def _name_syntax(cls, value: str, info: ValidationInfo) -> str:
        value = resource_name(value, NODE_GROUP_NAME_PATTERN, 63)
        if value.endswith(("-", "_")):
            raise problem("must end with a letter or digit")
        component = (info.context or {}).get("component_name")
        if component and len(component) + len(value) > NODE_GROUP_NAME_BUDGET:
            # The physical name is '<component>-compute-<group>' plus Pulumi's 8 characters.
            raise problem(
                "is {length} characters; beside the platform name '{component}' a node group "
                "name may have at most {most} (its EKS name, '{component}-compute-<name>' and "
                "8 auto-naming characters, must fit in 63)",
                length=len(value),
                component=component,
                most=NODE_GROUP_NAME_BUDGET - len(component),
            )
        return value

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        malformed = [t for t in value if instance_architecture(t) is None]
        if malformed:
            raise problem("not EC2 instance types: {types}", types=", ".join(malformed))
        if len(set(value)) != len(value):
            raise problem("lists an instance type twice")
        return value

    @field_validator("ami_type")
    @classmethod
    def _architecture_matches(cls, value: str, info: ValidationInfo) -> str:
        wanted = ami_architecture(value)
        mismatched = [
            t for t in info.data.get("instance_types") or [] if instance_architecture(t) != wanted
        ]
        if mismatched:
            raise problem(
                "{ami} needs {arch} instances; {types} are not (Graviton types such as t4g, m7g "
                "need an ARM_64 AMI type)",
                ami=value,
                arch=wanted,
                types=", ".join(mismatched),
            )
        types = info.data.get("instance_types") or []
        gpu = [t for t in types if is_nvidia_gpu(t)]
        if value.endswith("_NVIDIA") and len(gpu) != len(types):
            raise problem(
                "{ami} is for NVIDIA GPU instances; {types} have none (GPU families: {families})",
                ami=value,
                types=", ".join(t for t in types if t not in gpu),
                families=", ".join(NVIDIA_GPU_FAMILIES),
            )
        if gpu and not value.endswith("_NVIDIA"):
            # CreateNodegroup: "If you specify a GPU instance type, make sure to also specify an
            # applicable GPU AMI type" (botocore eks service-2.json, instanceTypes).
            raise problem(
                "{types} have NVIDIA GPUs, which {ami} has no driver for; use {nvidia}",
                types=", ".join(gpu),
                ami=value,
                nvidia=value.removesuffix("_STANDARD") + "_NVIDIA",
            )
        return value

    @field_validator("desired_size")
    @classmethod
    def _desired_not_below_min(cls, value: int, info: ValidationInfo) -> int:
        min_size = info.data.get("min_size")
        if min_size is not None and value < min_size:
            raise problem("must be at least minSize ({min_size})", min_size=min_size)
        return value

    @field_validator("max_size")
    @classmethod
    def _max_not_below_others(cls, value: int, info: ValidationInfo) -> int:
        floor = max(info.data.get("min_size") or 0, info.data.get("desired_size") or 0)
        if value < floor:
            raise problem("must be at least minSize and desiredSize ({floor})", floor=floor)
        return value

    @field_validator("disk_size_gib")
    @classmethod
    def _disk_fits_the_snapshot(cls, value: int) -> int:
        if value < MIN_DISK_GIB:
            raise problem(
                "must be at least {minimum} GiB: the AL2023 root snapshot and the Bottlerocket "
                "data volume are {minimum} GiB, and EC2 refuses a smaller volume (the node "
                "group would end CREATE_FAILED)",
                minimum=MIN_DISK_GIB,
            )
        return value

    @field_validator("ami_release_version")
    @classmethod
    def _release_version(cls, value: str) -> str:
        # EKS AMI releases: <kubernetes version>-<YYYYMMDD> (awslabs/amazon-eks-ami tags).
        if value and not re.fullmatch(r"\d+\.\d+\.\d+-20\d{6}", value):
            raise problem("must be an EKS AMI release version such as 1.35.3-20260724")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return check_labels(value, node=True)

    @field_validator("taints")
    @classmethod
    def _unique_taints(cls, value: list[TaintArgs]) -> list[TaintArgs]:
        keys = [(taint.key, taint.effect) for taint in value]
        if len(set(keys)) != len(keys):
            raise problem("lists the same taint key and effect twice")
        return value

    @property
    def architecture(self) -> str:
        return ami_architecture(self.ami_type)

    @property
    def is_bottlerocket(self) -> bool:
        return self.ami_type.startswith("BOTTLEROCKET")

    @property
    def is_gpu(self) -> bool:
        """NVIDIA GPU nodes (an NVIDIA AMI type)."""
        return self.ami_type.endswith("_NVIDIA")

    @property
    def needs_device_plugin(self) -> bool:
        """AL2023 NVIDIA brings the driver and container toolkit, not the Kubernetes device
        plugin (amazon-eks-ami v20260724: no device plugin under templates/; EKS user guide
        ml-eks-optimized-ami.adoc: "you must apply the NVIDIA device plugin"). Bottlerocket's
        NVIDIA variants run it as a host service (bottlerocket QUICKSTART-EKS.md, "NVIDIA")."""
        return self.is_gpu and not self.is_bottlerocket


class FargateSelectorArgs(BaseModel):
    """Pods that run on Fargate: those in ``namespace`` carrying all of ``labels``."""

    model_config = MODEL_CONFIG

    namespace: str
    """Kubernetes namespace (DNS label)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Pod labels that must all match (at most 5)."""

    @field_validator("namespace")
    @classmethod
    def _namespace_syntax(cls, value: str) -> str:
        if len(value) > 63 or not DNS_LABEL_PATTERN.fullmatch(value):
            raise problem("must be a namespace name: 1-63 lowercase letters, digits and '-'")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 5:
            raise problem("at most 5 labels per selector (EKS limit)")
        return check_labels(value)


class FargateProfileArgs(BaseModel):
    """A Fargate profile: which pods run on Fargate, in the private subnets."""

    model_config = MODEL_CONFIG

    name: str
    """Profile name, unique within the cluster."""
    selectors: list[FargateSelectorArgs] = Field(min_length=1, max_length=5)
    """1-5 selectors; a pod matching any of them runs on Fargate."""

    @field_validator("name")
    @classmethod
    def _name_syntax(cls, value: str) -> str:
        return resource_name(value, NODE_GROUP_NAME_PATTERN, 63)


class KarpenterArgs(BaseModel):
    """Karpenter's default NodePool (computeMode karpenter)."""

    model_config = MODEL_CONFIG

    capacity_types: list[str] = Field(default_factory=lambda: ["spot", "on-demand"])
    """Capacity types Karpenter may buy: spot and/or on-demand."""
    architectures: list[str] = Field(default_factory=lambda: ["arm64", "amd64"])
    """CPU architectures of the nodes: arm64 (Graviton) and/or amd64."""
    cpu_limit: Count = Field(default=32, gt=0, le=100_000)
    """Most vCPUs the NodePool may run at once (a cost ceiling)."""
    memory_limit_gib: Count = Field(default=128, gt=0, le=1_000_000)
    """Most memory, in GiB, the NodePool may run at once."""
    ami_alias: str = LATEST_AMI_ALIAS
    """AMI of Karpenter's nodes: al2023@latest, or al2023@vYYYYMMDD (an awslabs/amazon-eks-ami
    release) to keep nodes until you move the pin; production stacks must pin one."""

    @field_validator("ami_alias")
    @classmethod
    def _ami_alias(cls, value: str) -> str:
        # The EC2NodeClass CRD (karpenter.k8s.aws_ec2nodeclasses.yaml at v1.14.1, lines 84-100)
        # only checks `family@anything` (max 30); a wrong version fails later at AMI discovery.
        # AL2023 releases are tagged vYYYYMMDD (awslabs/amazon-eks-ami). Bottlerocket is not
        # offered: its volumes need other block-device mappings than the node class sets.
        if not AMI_ALIAS_PATTERN.fullmatch(value):
            raise problem(
                "must be al2023@latest or al2023@vYYYYMMDD (an amazon-eks-ami release tag such "
                "as al2023@v20260724)"
            )
        return value

    @property
    def ami_pinned(self) -> bool:
        return self.ami_alias != LATEST_AMI_ALIAS

    @field_validator("capacity_types")
    @classmethod
    def _capacity_types(cls, value: list[str]) -> list[str]:
        return _subset(value, ("spot", "on-demand"), "capacity type")

    @field_validator("architectures")
    @classmethod
    def _architectures(cls, value: list[str]) -> list[str]:
        return _subset(value, ("arm64", "amd64"), "architecture")


def _subset(value: list[str], allowed: tuple[str, ...], what: str) -> list[str]:
    unknown = [item for item in value if item not in allowed]
    if unknown or not value:
        raise problem(
            "needs at least one {what} out of {allowed} (got {value})",
            what=what,
            allowed=", ".join(allowed),
            value=", ".join(value) or "none",
        )
    return value


class GpuArgs(BaseModel):
    """GPU capacity that costs nothing while idle (Karpenter and Auto Mode NodePools)."""

    model_config = MODEL_CONFIG

    node_pool: bool = False
    """computeMode karpenter or auto: a GPU NodePool whose nodes exist only while GPU pods do."""
    instance_families: list[str] = Field(default_factory=lambda: ["g6", "g6e", "g5", "g4dn"])
    """NVIDIA GPU instance families the GPU NodePool may launch."""
    capacity_types: list[str] = Field(default_factory=lambda: ["on-demand"])
    """Capacity types of the GPU NodePool: on-demand and/or spot."""
    max_gpus: Count = Field(default=4, ge=1, le=10_000)
    """Most GPUs the GPU NodePool may run at once (its limits on nvidia.com/gpu): a cost ceiling."""
    smoke_test: bool = False
    """A Job that requests one GPU and runs nvidia-smi; the deploy waits for it to succeed."""

    @field_validator("instance_families")
    @classmethod
    def _families(cls, value: list[str]) -> list[str]:
        unknown = [family for family in value if family not in NVIDIA_GPU_FAMILIES]
        if unknown or not value:
            raise problem(
                "must list NVIDIA GPU instance families ({families}); not GPU families: {unknown}",
                families=", ".join(NVIDIA_GPU_FAMILIES),
                unknown=", ".join(unknown) or "none given",
            )
        if len(set(value)) != len(value):
            raise problem("lists a family twice")
        return value

    @field_validator("capacity_types")
    @classmethod
    def _capacity_types(cls, value: list[str]) -> list[str]:
        return _subset(value, ("spot", "on-demand"), "capacity type")
