"""metrics-server: resource metrics for ``kubectl top`` and HorizontalPodAutoscalers.

The official chart (kubernetes-sigs/metrics-server, chart 3.13.1 = metrics-server 0.8.1, the
newest chart release; values keys as in its values.yaml at tag metrics-server-helm-chart-3.13.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

CHART = "metrics-server"
CHART_VERSION = "3.13.1"
REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"


@dataclass(frozen=True)
class MetricsServerArgs:
    """What metrics-server needs."""

    workers_ready: Sequence[pulumi.Resource]
    """Node groups and CoreDNS: its pods need somewhere to run."""
    replicas: int = 2
    """Two, with a PodDisruptionBudget: HPAs keep their metrics through a node drain."""


class MetricsServer(pulumi.ComponentResource):
    """metrics-server in kube-system, on the system nodes, highly available."""

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: MetricsServerArgs,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:MetricsServer", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            namespace="kube-system",
            values={
                "replicas": args.replicas,
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                # A system component: may run on a system node group tainted CriticalAddonsOnly.
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                "resources": {
                    "requests": {"cpu": "100m", "memory": "200Mi"},
                    "limits": {"memory": "400Mi"},
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=list(args.workers_ready)
            ),
        )
        self.register_outputs({})
