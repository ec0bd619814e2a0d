"""A sample app: a Helm chart in a restricted namespace behind an NLB Service.

Traffic: users -> NLB (public subnets) -> pod IPs (private subnets), the NLB made by the load
balancer controller (or Auto Mode, or the in-tree cloud provider) from a Pulumi-managed Service
of type LoadBalancer.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..args.workload import WorkloadArgs

# How the sample Service gets its NLB: through the controller, EKS Auto Mode or the legacy
# in-tree cloud provider (loadBalancerClass None).
CONTROLLER_LOAD_BALANCER = "service.k8s.aws/nlb"
AUTO_MODE_LOAD_BALANCER = "eks.amazonaws.com/nlb"
IN_TREE_LOAD_BALANCER = None

# Pod Security Admission: the namespace only admits pods meeting the restricted profile.
RESTRICTED_NAMESPACE_LABELS = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, recursing into maps (lists and scalars are replaced)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class SampleAppArgs:
    """What the sample app needs."""

    workload: WorkloadArgs
    """Chart, namespace, replicas, exposure."""
    workers_ready: Sequence[pulumi.Resource]
    """Node groups and CoreDNS."""
    controller: k8s.helm.v3.Release | None
    """The load balancer controller's release; None when the controller is switched off."""
    load_balancer: str | None = CONTROLLER_LOAD_BALANCER
    """The Service's loadBalancerClass (controller, Auto Mode) or None (in-tree)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags for the load balancer (through the controller)."""
    autoscaled: bool = False
    """Scale podinfo on CPU with its chart's HorizontalPodAutoscaler (needs metrics-server)."""


def podinfo_values(workload: WorkloadArgs, autoscaled: bool = False) -> dict[str, Any]:
    """Hardened values for the podinfo chart: restricted-profile pods, limits, zone spread."""
    security = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return {
        "fullnameOverride": workload.release_name,
        "replicaCount": workload.replicas,
        # The chart's own autoscaling/v2 HPA: replicaCount to maxReplicas on 70 % CPU of the
        # requests below (templates/hpa.yaml at podinfo 6.14.1; values keys hpa.*).
        "hpa": {"enabled": autoscaled, "maxReplicas": workload.max_replicas, "cpu": 70},
        "image": {"tag": workload.version, "pullPolicy": "IfNotPresent"},
        # The platform's Service (below) exposes the pods; the chart's own stays off.
        "service": {"enabled": False, "httpPort": workload.container_port},
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "250m", "memory": "128Mi"},
        },
        # A numeric non-root user: the image's USER is a name, which runAsNonRoot cannot check.
        # The image's files are world-readable (copied with default modes; not verified live).
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": security,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": workload.selector},
            }
        ],
    }


def service_annotations(
    workload: WorkloadArgs, load_balancer: str | None, tags: dict[str, str]
) -> dict[str, str]:
    """NLB with IP targets through the controller or Auto Mode; the legacy in-tree NLB else."""
    prefix = "service.beta.kubernetes.io/aws-load-balancer"
    if load_balancer is IN_TREE_LOAD_BALANCER:
        # The in-tree cloud provider registers instance targets; it has no scheme annotation.
        annotations = {f"{prefix}-type": "nlb"}
        if workload.scheme == "internal":
            annotations[f"{prefix}-internal"] = "true"
        return annotations
    return {
        f"{prefix}-type": "external",
        f"{prefix}-nlb-target-type": "ip",
        f"{prefix}-scheme": workload.scheme,
        f"{prefix}-healthcheck-protocol": "http",
        f"{prefix}-healthcheck-port": "traffic-port",
        f"{prefix}-healthcheck-path": workload.health_check_path,
        f"{prefix}-additional-resource-tags": ",".join(f"{k}={v}" for k, v in tags.items()),
    }


class SampleApp(pulumi.ComponentResource):
    """A Helm chart in its own restricted namespace, a PodDisruptionBudget and an NLB Service."""

    url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: SampleAppArgs,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:SampleApp", name, None, opts)
        workload = args.workload
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=workload.namespace, labels=RESTRICTED_NAMESPACE_LABELS
            ),
            opts=k8s_opts,
        )
        namespace_name = namespace.metadata.apply(lambda metadata: metadata.name)
        values = deep_merge(
            podinfo_values(workload, args.autoscaled) if workload.is_podinfo else {},
            workload.values,
        )
        k8s.helm.v3.Release(
            f"{name}-release",
            name=workload.release_name,
            chart=workload.chart,
            version=workload.version,
            repository_opts=(
                k8s.helm.v3.RepositoryOptsArgs(repo=workload.repository)
                if workload.repository
                else None
            ),
            namespace=namespace_name,
            values=values,
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=list(args.workers_ready))
            ),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=workload.release_name, namespace=namespace_name
            ),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=workload.selector),
            ),
            opts=k8s_opts,
        )
        # Destroy order: this Service depends on the controller's release, which depends on the
        # node groups. Pulumi deletes in reverse, so the Service goes first; the controller's
        # finalizer on it deletes the NLB and its target groups (and the security-group rules it
        # added) while the controller still runs. Only then the controller, then the nodes.
        # Nothing the controller made outlives it to block deleting the subnets and the VPC.
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=workload.release_name,
                namespace=namespace_name,
                annotations=service_annotations(workload, args.load_balancer, args.tags),
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="LoadBalancer",
                load_balancer_class=args.load_balancer,
                selector=workload.selector,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", port=80, target_port=workload.container_port, protocol="TCP"
                    )
                ],
                load_balancer_source_ranges=list(workload.source_ranges) or None,
            ),
            opts=pulumi.ResourceOptions.merge(
                k8s_opts,
                pulumi.ResourceOptions(
                    depends_on=[args.controller] if args.controller else list(args.workers_ready)
                ),
            ),
        )
        self.url = service.status.apply(_url_of)
        self.register_outputs({"url": self.url})


def _url_of(status: Any) -> str:
    """http://<hostname> of the Service's load balancer ('' until it has one)."""
    ingress = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    if not ingress:
        return ""
    return f"http://{ingress[0].hostname or ingress[0].ip}"
