"""A sample app: a Helm chart in a restricted namespace behind an NLB Service or an ALB Ingress.

Traffic: users -> NLB or ALB (public subnets) -> pod IPs (private subnets). The NLB is made by
the load balancer controller (or Auto Mode, or the in-tree cloud provider) from a Pulumi-managed
Service of type LoadBalancer; the ALB by the controller (IngressClass ``alb``, which its chart
creates: values.yaml 3.5.0 lines 144 and 172) or by Auto Mode (an IngressClass with controller
``eks.amazonaws.com/alb`` and an IngressClassParams, EKS user guide
automode/auto-configure-alb.adoc, "Step 1"/"Step 2") from an Ingress in front of a ClusterIP
Service.

Annotations are the controller's (docs/guide/ingress/annotations.md and
docs/guide/service/annotations.md of kubernetes-sigs/aws-load-balancer-controller). Auto Mode
reads the same ones except those its guide lists as unsupported (auto-configure-alb.adoc,
"Ingress annotations": ingress.class, group.name, waf/shield), none of which are used here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..args.rules import RESTRICTED_NAMESPACE_LABELS
from ..args.workload import WorkloadArgs

# How the sample Service gets its NLB: through the controller, EKS Auto Mode or the legacy
# in-tree cloud provider (loadBalancerClass None).
CONTROLLER_LOAD_BALANCER = "service.k8s.aws/nlb"
AUTO_MODE_LOAD_BALANCER = "eks.amazonaws.com/nlb"
IN_TREE_LOAD_BALANCER = None

# Ingress classes: the controller chart's (createIngressClassResource, ingressClass: alb), and
# the one this component makes for Auto Mode (its controller name, auto-configure-alb.adoc).
CONTROLLER_INGRESS_CLASS = "alb"
AUTO_MODE_INGRESS_CLASS = "eks-auto-alb"
AUTO_MODE_ALB_CONTROLLER = "eks.amazonaws.com/alb"
ALB = "alb.ingress.kubernetes.io"


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
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate for the HTTPS (ALB) or TLS (NLB) listener; None: plain HTTP."""
    subnet_ids: Sequence[str] = ()
    """Subnets the load balancer goes into (a brought VPC's, for its scheme); empty: the
    controller's own discovery (the platform's VPC tags its subnets for it)."""


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


def _tags(tags: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in tags.items())


# Without these, subnet discovery picks any subnet of the VPC tagged kubernetes.io/role/elb (or
# internal-elb), else any with a route to an internet gateway (controller v3.5.0
# pkg/networking/subnet_resolver.go:177-209; cloud-provider-aws findELBSubnets): in a brought
# VPC, not necessarily the subnets the stack names. The controller reads the Service annotation
# (pkg/service/model_build_load_balancer.go:438) and the Ingress one
# (pkg/ingress/model_build_load_balancer.go:212); the in-tree NLB reads the Service annotation
# too (cloud-provider-aws pkg/providers/v1/aws.go:1818-1823, since kubernetes#97431); Auto Mode
# documents the Service annotation (auto-configure-nlb.adoc) and, for an ALB, IngressClassParams
# `subnets.ids` (auto-configure-alb.adoc, "IngressClassParams" table).
SERVICE_SUBNETS = "service.beta.kubernetes.io/aws-load-balancer-subnets"
INGRESS_SUBNETS = f"{ALB}/subnets"


def service_annotations(
    workload: WorkloadArgs,
    load_balancer: str | None,
    tags: dict[str, str],
    certificate_arn: pulumi.Input[str] | None = None,
    subnet_ids: Sequence[str] = (),
) -> dict[str, pulumi.Input[str]]:
    """NLB with IP targets through the controller or Auto Mode; the legacy in-tree NLB else.
    With a certificate, the NLB listens for TLS on 443 only (an NLB cannot redirect HTTP).
    With ``subnet_ids``, the NLB goes into those subnets."""
    prefix = "service.beta.kubernetes.io/aws-load-balancer"
    subnets: dict[str, pulumi.Input[str]] = (
        {SERVICE_SUBNETS: ",".join(subnet_ids)} if subnet_ids else {}
    )
    if load_balancer is IN_TREE_LOAD_BALANCER:
        # The in-tree cloud provider registers instance targets; it has no scheme annotation.
        annotations: dict[str, pulumi.Input[str]] = {f"{prefix}-type": "nlb", **subnets}
        if workload.scheme == "internal":
            annotations[f"{prefix}-internal"] = "true"
        return annotations
    annotations = {
        **subnets,
        f"{prefix}-type": "external",
        f"{prefix}-nlb-target-type": "ip",
        f"{prefix}-scheme": workload.scheme,
        f"{prefix}-healthcheck-protocol": "http",
        f"{prefix}-healthcheck-port": "traffic-port",
        f"{prefix}-healthcheck-path": workload.health_check_path,
        f"{prefix}-additional-resource-tags": _tags(tags),
    }
    if certificate_arn is not None:
        # The controller's default negotiation policy is ELBSecurityPolicy-2016-08 (TLS 1.0+);
        # the platform sets its own. Auto Mode documents ssl-cert and ssl-ports
        # (auto-configure-nlb.adoc); that it honours ssl-negotiation-policy is not verified.
        annotations |= {
            f"{prefix}-ssl-cert": certificate_arn,
            f"{prefix}-ssl-ports": "443",
            f"{prefix}-ssl-negotiation-policy": workload.tls.ssl_policy,
        }
    return annotations


def ingress_annotations(
    workload: WorkloadArgs,
    tags: dict[str, str],
    certificate_arn: pulumi.Input[str] | None = None,
    *,
    auto_mode: bool = False,
    subnet_ids: Sequence[str] = (),
) -> dict[str, pulumi.Input[str]]:
    """An ALB with IP targets, health-checked on the app's path; with a certificate, HTTPS on
    443 under a TLS 1.2+ policy and HTTP on 80 only as a redirect to it. With ``subnet_ids``,
    the ALB goes into those subnets (in Auto Mode through the IngressClassParams instead)."""
    annotations: dict[str, pulumi.Input[str]] = {
        f"{ALB}/target-type": "ip",
        f"{ALB}/healthcheck-path": workload.health_check_path,
        f"{ALB}/healthcheck-port": "traffic-port",
        f"{ALB}/tags": _tags(tags),
        # Drop requests with invalid header fields (checkov CKV_AWS_131).
        f"{ALB}/load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
    }
    if not auto_mode:  # Auto Mode takes the scheme and subnets from the IngressClassParams
        annotations[f"{ALB}/scheme"] = workload.scheme
        if subnet_ids:
            annotations[INGRESS_SUBNETS] = ",".join(subnet_ids)
    if workload.source_ranges:
        annotations[f"{ALB}/inbound-cidrs"] = ",".join(workload.source_ranges)
    if certificate_arn is None:
        annotations[f"{ALB}/listen-ports"] = json.dumps([{"HTTP": 80}])
        return annotations
    return annotations | {
        f"{ALB}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        f"{ALB}/ssl-redirect": "443",
        f"{ALB}/certificate-arn": certificate_arn,
        f"{ALB}/ssl-policy": workload.tls.ssl_policy,
    }


def ingress_class_params_spec(scheme: str, subnet_ids: Sequence[str] = ()) -> dict[str, Any]:
    """Auto Mode's IngressClassParams: the ALB's scheme, and its subnets when given."""
    spec: dict[str, Any] = {"scheme": scheme}
    if subnet_ids:
        spec["subnets"] = {"ids": list(subnet_ids)}
    return spec


class SampleApp(pulumi.ComponentResource):
    """A Helm chart in its own restricted namespace, a PodDisruptionBudget, and an NLB Service
    or an ALB Ingress."""

    url: pulumi.Output[str]
    """http(s)://<load balancer DNS name> ('' until the load balancer exists)."""
    hostname: pulumi.Output[str]
    """The load balancer's DNS name."""

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
            # After the controller, so that a destroy deletes the release first: a chart may
            # render its own LoadBalancer Service or Ingress (workload.values, or a chart other
            # than podinfo), whose finalizer the controller removes (offline/checks/finalizers).
            opts=pulumi.ResourceOptions.merge(
                k8s_opts,
                pulumi.ResourceOptions(
                    depends_on=[
                        *args.workers_ready,
                        *([args.controller] if args.controller else []),
                    ]
                ),
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
        # Destroy order: the Service (NLB) or the Ingress (ALB) depends on the controller's
        # release, which depends on the node groups. Pulumi deletes in reverse, so it goes
        # first; the controller's finalizer on it deletes the load balancer and its target
        # groups (and the security-group rules it added) while the controller still runs. Only
        # then the controller, then the nodes. Nothing the controller made outlives it to block
        # deleting the subnets and the VPC. A certificate the listener uses is deleted after.
        alb = workload.exposure == "alb"
        waits_for: list[pulumi.Resource] = (
            [args.controller] if args.controller else list(args.workers_ready)
        )
        https = args.certificate_arn is not None
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=workload.release_name,
                namespace=namespace_name,
                annotations=None
                if alb
                else service_annotations(
                    workload, args.load_balancer, args.tags, args.certificate_arn, args.subnet_ids
                ),
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP" if alb else "LoadBalancer",
                load_balancer_class=None if alb else args.load_balancer,
                selector=workload.selector,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="https" if https and not alb else "http",
                        port=443 if https and not alb else 80,
                        target_port=workload.container_port,
                        protocol="TCP",
                    )
                ],
                load_balancer_source_ranges=None if alb else list(workload.source_ranges) or None,
            ),
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=waits_for)
            ),
        )
        status: pulumi.Output[Any] = service.status
        if alb:
            status = self._ingress(
                name,
                args=args,
                service=service,
                namespace=namespace_name,
                k8s_opts=k8s_opts,
                waits_for=waits_for,
            ).status
        self.hostname = status.apply(_hostname_of)
        scheme = "https" if https else "http"
        self.url = self.hostname.apply(lambda host: f"{scheme}://{host}" if host else "")
        self.register_outputs({"url": self.url, "hostname": self.hostname})

    def _ingress(
        self,
        name: str,
        *,
        args: SampleAppArgs,
        service: k8s.core.v1.Service,
        namespace: pulumi.Input[str | None],
        k8s_opts: pulumi.ResourceOptions,
        waits_for: Sequence[pulumi.Resource],
    ) -> k8s.networking.v1.Ingress:
        """The Ingress the controller or Auto Mode turns into an ALB (and its Auto Mode class)."""
        workload = args.workload
        auto = args.load_balancer == AUTO_MODE_LOAD_BALANCER
        ingress_class = CONTROLLER_INGRESS_CLASS
        if auto:
            # Auto Mode ships no IngressClass: one pointing at its controller, with parameters
            # in its own API group (auto-configure-alb.adoc, Steps 1 and 2). Cluster-scoped.
            params = k8s.apiextensions.CustomResource(
                f"{name}-ingress-class-params",
                api_version="eks.amazonaws.com/v1",
                kind="IngressClassParams",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=AUTO_MODE_INGRESS_CLASS),
                spec=ingress_class_params_spec(workload.scheme, args.subnet_ids),
                opts=pulumi.ResourceOptions.merge(
                    k8s_opts, pulumi.ResourceOptions(depends_on=waits_for)
                ),
            )
            ingress_class = AUTO_MODE_INGRESS_CLASS
            waits_for = [
                k8s.networking.v1.IngressClass(
                    f"{name}-ingress-class",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=AUTO_MODE_INGRESS_CLASS),
                    spec=k8s.networking.v1.IngressClassSpecArgs(
                        controller=AUTO_MODE_ALB_CONTROLLER,
                        parameters=k8s.networking.v1.IngressClassParametersReferenceArgs(
                            api_group="eks.amazonaws.com",
                            kind="IngressClassParams",
                            name=AUTO_MODE_INGRESS_CLASS,
                        ),
                    ),
                    opts=pulumi.ResourceOptions.merge(
                        k8s_opts, pulumi.ResourceOptions(depends_on=[params])
                    ),
                )
            ]
        return k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=workload.release_name,
                namespace=namespace,
                annotations=ingress_annotations(
                    workload,
                    args.tags,
                    args.certificate_arn,
                    auto_mode=auto,
                    subnet_ids=args.subnet_ids,
                ),
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=ingress_class,
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path="/",
                                    path_type="Prefix",
                                    backend=k8s.networking.v1.IngressBackendArgs(
                                        service=k8s.networking.v1.IngressServiceBackendArgs(
                                            name=service.metadata.apply(lambda m: m.name or ""),
                                            port=k8s.networking.v1.ServiceBackendPortArgs(
                                                number=80
                                            ),
                                        )
                                    ),
                                )
                            ]
                        )
                    )
                ],
            ),
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=waits_for)
            ),
        )


def _hostname_of(status: Any) -> str:
    """The DNS name of the Service's or Ingress's load balancer ('' until it has one)."""
    ingress = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    if not ingress:
        return ""
    return ingress[0].hostname or ingress[0].ip or ""
