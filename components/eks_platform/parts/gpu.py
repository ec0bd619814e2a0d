"""GPU capacity: the NVIDIA device plugin, a scale-to-zero GPU NodePool and a smoke test.

Which nodes need what (sources cited where used):
- AL2023 NVIDIA nodes (managed node groups; Karpenter's, whose ``al2023@latest`` alias picks the
  nvidia AMI variant for instance types with GPUs: karpenter-provider-aws v1.14.1
  pkg/providers/amifamily/types.go lines 86-99) carry the driver but not the device plugin,
  so the platform installs NVIDIA's chart and labels those nodes ``nvidia.com/gpu.present``,
  the label the chart's default node affinity selects (nvidia-device-plugin 0.20.0
  values.yaml lines 64-85; EKS and Karpenter set neither that nor the NFD label).
- Bottlerocket NVIDIA nodes run the plugin as a host service: not labelled, no DaemonSet pod.
- Auto Mode runs the plugin itself, invisibly (EKS user guide, auto-accelerated): nothing here.
Every GPU node is tainted ``nvidia.com/gpu=true:NoSchedule`` (Karpenter's GPU NodePool example,
docs/concepts/nodepools.md), which the chart already tolerates (values.yaml lines 86-93), and
labelled ``eks-platform/gpu=nvidia`` for workloads to select (the smoke test does).
Karpenter's GPU NodePool uses its own EC2NodeClass (a larger root volume) and a weight, so it is
tried before the default pool, which excludes accelerators (parts/karpenter.py NO_ACCELERATOR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from ..args.compute import (
    GPU_NODE_CLASS,
    GPU_NODE_POOL,
    GPU_TAINT,
    GPU_TAINT_KEY,
    NODE_DELETE_TIMEOUT,
    GpuArgs,
)
from ..args.rules import RESTRICTED_NAMESPACE_LABELS

DEVICE_PLUGIN_CHART = "nvidia-device-plugin"
DEVICE_PLUGIN_VERSION = "0.20.0"
DEVICE_PLUGIN_REPOSITORY = "https://nvidia.github.io/k8s-device-plugin"
PLUGIN_NODE_LABEL = "nvidia.com/gpu.present"
GPU_NODE_LABEL = "eks-platform/gpu"
# nvidia/cuda base images set NVIDIA_DRIVER_CAPABILITIES=compute,utility, so the container
# toolkit injects nvidia-smi. The tag is not checked against the registry from here.
SMOKE_TEST_IMAGE = "nvcr.io/nvidia/cuda:12.5.0-base-ubuntu22.04"
GPU_POOL_WEIGHT = 10
"""Karpenter tries NodePools by weight, then by name (karpenter core pkg/utils/nodepool/
nodepool.go:157-171): any weight above the default pool's none puts the GPU pool first. The CRD
allows 1-100 (karpenter.sh_nodepools.yaml)."""


def gpu_node_labels(device_plugin: bool) -> dict[str, str]:
    """Labels of a GPU node: the platform's, and the device plugin's selector where it runs."""
    labels = {GPU_NODE_LABEL: "nvidia"}
    if device_plugin:
        labels[PLUGIN_NODE_LABEL] = "true"
    return labels


def device_plugin_values() -> dict[str, Any]:
    """The chart's defaults select labelled nodes and tolerate the GPU taint; only resources
    and the fail-on-init behaviour are set (a node without a working GPU fails loudly)."""
    return {
        "failOnInitError": True,
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"memory": "128Mi"},
        },
    }


def gpu_node_pool(settings: GpuArgs, *, auto_mode: bool) -> dict[str, Any]:
    """A NodePool of GPU families only, tainted, capped in GPUs, emptied when idle.

    Karpenter: the GPU EC2NodeClass and ``karpenter.k8s.aws/instance-family``
    (pkg/apis/v1/labels.go line 150). Auto Mode: its built-in NodeClass ``default`` and the
    ``eks.amazonaws.com/`` keys (EKS user guide automode/create-node-pool.adoc, lines 43-70 and
    the supported-labels table). ``limits`` takes any resource name (karpenter.sh_nodepools.yaml
    v1.14.1, lines 168-178); WhenEmpty removes a node once its last GPU pod is gone.
    """
    prefix = "eks.amazonaws.com" if auto_mode else "karpenter.k8s.aws"
    node_class = (
        {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "default"}
        if auto_mode
        else {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": GPU_NODE_CLASS}
    )
    return {
        "weight": GPU_POOL_WEIGHT,
        "template": {
            "metadata": {"labels": gpu_node_labels(device_plugin=not auto_mode)},
            "spec": {
                "nodeClassRef": node_class,
                "requirements": [
                    {
                        "key": f"{prefix}/instance-family",
                        "operator": "In",
                        "values": list(settings.instance_families),
                    },
                    {
                        "key": "karpenter.sh/capacity-type",
                        "operator": "In",
                        "values": list(settings.capacity_types),
                    },
                ],
                "taints": [GPU_TAINT.model_dump()],
                "expireAfter": "720h",
            },
        },
        "limits": {"nvidia.com/gpu": str(settings.max_gpus)},
        "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "5m"},
    }


def smoke_test_job() -> dict[str, Any]:
    """A Job that takes one GPU and runs nvidia-smi, under the restricted profile, on a node of
    the platform's GPU capacity (its label and taint), never on whatever else has a GPU."""
    return {
        "backoffLimit": 1,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "nodeSelector": {GPU_NODE_LABEL: "nvidia"},
                "tolerations": [
                    {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}
                ],
                "containers": [
                    {
                        "name": "nvidia-smi",
                        "image": SMOKE_TEST_IMAGE,
                        "command": ["nvidia-smi"],
                        "imagePullPolicy": "Always",
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "64Mi"},
                            "limits": {"cpu": "500m", "memory": "256Mi", "nvidia.com/gpu": "1"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
            },
        },
    }


@dataclass(frozen=True)
class GpuComponentArgs:
    """What the GPU part needs from the platform."""

    settings: GpuArgs
    """NodePool and smoke-test settings."""
    device_plugin: bool
    """Install NVIDIA's device plugin (AL2023 NVIDIA nodes exist or may be launched)."""
    auto_mode: bool
    """Auto Mode: its own NodeClass and device plugin."""
    workers_ready: Sequence[pulumi.Resource]
    """Nodes and CoreDNS (and Karpenter's NodePool, whose CRDs and webhooks it brings)."""
    node_class: pulumi.Resource | None = None
    """Karpenter's GPU EC2NodeClass: the GPU NodePool depends on it, so a destroy deletes the
    pool (and its nodes) before the class, whose finalizer waits for them."""


class Gpu(pulumi.ComponentResource):
    """NVIDIA device plugin, GPU NodePool and the nvidia-smi smoke test, as configured."""

    def __init__(
        self,
        name: str,
        args: GpuComponentArgs,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:Gpu", name, None, opts)
        after = pulumi.ResourceOptions(
            parent=self, provider=provider, depends_on=list(args.workers_ready)
        )
        ready: list[pulumi.Resource] = list(args.workers_ready)
        if args.device_plugin:
            # kube-system: the DaemonSet mounts host paths (templates/daemonset-device-plugin.yml),
            # which Pod Security's baseline forbids, and the chart refuses the default namespace.
            ready.append(
                k8s.helm.v3.Release(
                    f"{name}-device-plugin",
                    name=DEVICE_PLUGIN_CHART,
                    chart=DEVICE_PLUGIN_CHART,
                    version=DEVICE_PLUGIN_VERSION,
                    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=DEVICE_PLUGIN_REPOSITORY),
                    namespace="kube-system",
                    values=device_plugin_values(),
                    opts=after,
                )
            )
        if args.settings.node_pool:
            ready.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-node-pool",
                    api_version="karpenter.sh/v1",
                    kind="NodePool",
                    metadata={"name": GPU_NODE_POOL},
                    spec=gpu_node_pool(args.settings, auto_mode=args.auto_mode),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        provider=provider,
                        depends_on=[
                            *args.workers_ready,
                            *([args.node_class] if args.node_class else []),
                        ],
                        custom_timeouts=pulumi.CustomTimeouts(delete=NODE_DELETE_TIMEOUT),
                    ),
                )
            )
        if args.settings.smoke_test:
            namespace = k8s.core.v1.Namespace(
                f"{name}-smoke-test-namespace",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name="gpu-smoke-test",
                    labels=RESTRICTED_NAMESPACE_LABELS,
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
            k8s.batch.v1.Job(
                f"{name}-smoke-test",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name="nvidia-smi",
                    namespace=namespace.metadata.apply(lambda m: m.name),
                    # A GPU node starts from zero first: allow 20 minutes, not the default 10.
                    annotations={
                        "pulumi.com/timeoutSeconds": "1200",
                        # The tag's digest could not be read offline; pin one after a first pull.
                        "checkov.io/skip1": "CKV_K8S_43=tag not resolvable to a digest offline",
                    },
                ),
                spec=cast("k8s.batch.v1.JobSpecArgsDict", smoke_test_job()),
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=ready),
            )
        self.register_outputs({})
