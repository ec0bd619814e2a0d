"""Arguments of the Kubernetes side: the load balancer controller and the sample workload."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from .rules import (
    DNS_LABEL_PATTERN,
    INT32_MAX,
    MODEL_CONFIG,
    Count,
    certificate_arn_problem,
    check_labels,
    domain_problem,
    hosted_zone_problem,
    json_value_problem,
    malformed_networks,
    problem,
)

DEFAULT_CHART = "oci://ghcr.io/stefanprodan/charts/podinfo"
DEFAULT_CHART_VERSION = "6.14.1"

LoadBalancerScheme = Literal["internet-facing", "internal"]
Exposure = Literal["nlb", "alb"]

# ELB security policies for HTTPS and TLS listeners that negotiate TLS 1.2 and 1.3 only (Elastic
# Load Balancing user guide, "Security policies for your Application Load Balancer"; the 2025-09
# post-quantum names as listed there and by third-party rule pages, not checked against
# `aws elbv2 describe-ssl-policies`). An allow-list: the controller's default when none is
# given is ELBSecurityPolicy-2016-08 (TLS 1.0+; aws-load-balancer-controller v3.5.0
# pkg/config/controller_config.go:49), as is the API's; policies that still accept TLS 1.0 or
# 1.1 are refused. The default here is the policy the guide recommended before the PQ family.
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MODERN_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)

OCI_CHART_PATTERN = re.compile(r"oci://[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+")
CHART_NAME_PATTERN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
REPOSITORY_PATTERN = re.compile(r"https://[^\s/$.?#][^\s]*")
# Helm chart versions are SemVer 2.
SEMVER_PATTERN = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?"
)
HTTP_PATH_PATTERN = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


class LoadBalancerControllerArgs(BaseModel):
    """The AWS Load Balancer Controller (eks-charts chart, pinned)."""

    model_config = MODEL_CONFIG

    enabled: bool = True
    """Install it; when off, the sample Service asks the legacy in-tree controller for an NLB."""
    replicas: Count = Field(default=2, ge=1, le=10)
    """Controller replicas (two for a highly available webhook)."""


class TlsArgs(BaseModel):
    """HTTPS for the sample app's load balancer."""

    model_config = MODEL_CONFIG

    certificate_arn: str = ""
    """Existing ACM certificate (the stack's region) for HTTPS; empty: one made for domain."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """ELB security policy of the HTTPS listener (TLS 1.2 and 1.3 policies only)."""

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str, info: ValidationInfo) -> str:
        if value:
            region = (info.context or {}).get("region")
            found = certificate_arn_problem(value, region if isinstance(region, str) else None)
            if found:
                raise problem("{problem}", problem=found)
        return value

    @field_validator("ssl_policy")
    @classmethod
    def _modern_policy(cls, value: str) -> str:
        if value not in MODERN_SSL_POLICIES:
            raise problem(
                "must be an ELB security policy that allows only TLS 1.2 and 1.3: {allowed}",
                allowed=", ".join(MODERN_SSL_POLICIES),
            )
        return value


class WorkloadArgs(BaseModel):
    """The sample application: a Helm chart, exposed through a LoadBalancer Service."""

    model_config = MODEL_CONFIG

    enabled: bool = True
    """Deploy the sample application."""
    chart: str = DEFAULT_CHART
    """Chart: an oci:// reference, or a chart name together with repository."""
    repository: str = ""
    """https:// chart repository for a chart name; empty for oci:// charts."""
    version: str = DEFAULT_CHART_VERSION
    """Exact chart version (SemVer)."""
    namespace: str = "podinfo"
    """Namespace created for the app, labelled for Pod Security Admission restricted."""
    release_name: str = "podinfo"
    """Helm release name."""
    replicas: Count = Field(default=2, ge=1, le=INT32_MAX)
    """Pod replicas (at least 2 when production is true); the autoscaler's minimum."""
    max_replicas: Count = Field(default=6, ge=1, le=INT32_MAX)
    """Most replicas the HorizontalPodAutoscaler may scale the sample app to (podinfo only)."""
    values: dict[str, Any] = Field(default_factory=dict)
    """Extra chart values, merged over the platform's (hardening values: podinfo only)."""
    pod_labels: dict[str, str] = Field(default_factory=dict)
    """Labels selecting the app's pods (Service, PDB); podinfo's are derived from releaseName."""
    container_port: Count = Field(default=9898, ge=1, le=65535)
    """Port the pods listen on (the load balancer's target port)."""
    health_check_path: str = "/healthz"
    """HTTP path the load balancer health-checks on the pods."""
    scheme: LoadBalancerScheme = "internet-facing"
    """internet-facing or internal load balancer."""
    source_ranges: list[str] = Field(default_factory=list)
    """IPv4 client ranges let through the load balancer (loadBalancerSourceRanges); empty = all."""
    exposure: Exposure = "nlb"
    """nlb (a LoadBalancer Service) or alb (an Ingress: load balancer controller or Auto Mode)."""
    domain: str = ""
    """DNS name for the app (app.example.com): an ACM certificate, HTTPS and an alias record."""
    hosted_zone_id: str = ""
    """Route 53 public hosted zone (Z...) holding domain: validation and alias records go there."""
    tls: TlsArgs = Field(default_factory=TlsArgs)
    """HTTPS listener: an existing certificate and the TLS policy (see the TLS table)."""
    shared_name: bool = False
    """domain is shared by several platforms (a fleet): no alias here; validation record kept."""

    @field_validator("chart")
    @classmethod
    def _chart_reference(cls, value: str) -> str:
        if value.startswith("oci://"):
            if not OCI_CHART_PATTERN.fullmatch(value):
                raise problem("must be oci://<registry>/<path>/<chart> in lowercase")
        elif not CHART_NAME_PATTERN.fullmatch(value):
            raise problem("must be an oci:// reference or a chart name (lowercase, digits, '-')")
        return value

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str, info: ValidationInfo) -> str:
        chart = info.data.get("chart")
        if chart is None:
            return value
        if chart.startswith("oci://") and value:
            raise problem("must be empty for an oci:// chart (the reference includes it)")
        if not chart.startswith("oci://") and not REPOSITORY_PATTERN.fullmatch(value):
            raise problem("a chart name needs an https:// repository URL")
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not SEMVER_PATTERN.fullmatch(value):
            raise problem("must be an exact chart version such as 6.14.1 (no ranges)")
        return value

    @field_validator("namespace", "release_name")
    @classmethod
    def _dns_label(cls, value: str, info: ValidationInfo) -> str:
        if len(value) > 53 or not DNS_LABEL_PATTERN.fullmatch(value):
            raise problem("must be 1-53 lowercase letters, digits and '-'")
        # The release name also names the Service, whose name must start with a letter (RFC 1035
        # label; apimachinery ValidateServiceName).
        if info.field_name == "release_name" and not value[0].isalpha():
            raise problem("must start with a letter (it also names the Service, a DNS-1035 label)")
        if value in {"default", "kube-system", "kube-public", "kube-node-lease"}:
            raise problem("must not be a namespace Kubernetes reserves")
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _json_values(cls, value: Any) -> Any:
        found = json_value_problem(value) if isinstance(value, dict) else None
        if found:
            raise problem("must be JSON values for Helm: {problem}", problem=found)
        return value

    @field_validator("max_replicas")
    @classmethod
    def _max_not_below_min(cls, value: int, info: ValidationInfo) -> int:
        replicas = info.data.get("replicas")
        if replicas is not None and value < replicas:
            raise problem("must be at least replicas ({replicas})", replicas=replicas)
        return value

    @field_validator("pod_labels")
    @classmethod
    def _pod_labels(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        chart = info.data.get("chart")
        if not value and chart is not None and not _is_podinfo(chart):
            raise problem("a chart other than podinfo needs the labels that select its pods")
        return check_labels(value)

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not HTTP_PATH_PATTERN.fullmatch(value):
            raise problem("must be an absolute HTTP path such as /healthz")
        return value

    @field_validator("source_ranges")
    @classmethod
    def _source_ranges(cls, value: list[str]) -> list[str]:
        malformed = malformed_networks(value, ipv4_only=False)
        if malformed:
            raise problem("not IP networks: {cidrs}", cidrs=", ".join(malformed))
        # The platform's load balancers are IPv4 only (no dual-stack option, IPv4 VPC). The
        # controller refuses an IPv6 range on a non-dual-stack NLB ("unsupported v6 cidr",
        # aws-load-balancer-controller v3.5.0 pkg/service/model_build_managed_sg.go:157-160)
        # and leaves it out of an IPv4 ALB's security group (pkg/ingress/
        # model_build_managed_sg.go:91, pkg/ingress/model_build_listener.go:293-297); the in-tree
        # NLB (cloud-provider-aws pkg/providers/v1/aws_loadbalancer.go:1079) writes every range
        # as an IPv4 CidrIp, which EC2 refuses for an IPv6 one. Auto Mode's load balancing is
        # not public; it is assumed to behave like the controller it derives from.
        ipv6 = [cidr for cidr in value if ":" in cidr]
        if ipv6:
            raise problem(
                "IPv6 ranges {cidrs}: the load balancers are IPv4 only (not dual-stack), and an "
                "IPv6 source range breaks an NLB and is dropped by an ALB; IPv4 CIDRs only",
                cidrs=", ".join(ipv6),
            )
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        found = domain_problem(value) if value else None
        if found:
            raise problem("{problem}", problem=found)
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _hosted_zone(cls, value: str, info: ValidationInfo) -> str:
        found = hosted_zone_problem(value) if value else None
        if found:
            raise problem("{problem}", problem=found)
        domain = info.data.get("domain")
        if domain and not value:
            raise problem(
                "is required with workload.domain: the certificate's validation record and the "
                "alias to the load balancer go into this Route 53 hosted zone"
            )
        if value and domain == "":
            raise problem("needs workload.domain, the name to create in this zone")
        return value

    @property
    def load_balancer_type(self) -> str:
        """application (ALB) or network (NLB), as aws_lb_hosted_zone_id names them."""
        return "application" if self.exposure == "alb" else "network"

    @property
    def https(self) -> bool:
        """True when the load balancer listens for HTTPS (a certificate given or requested)."""
        return bool(self.tls.certificate_arn or self.domain)

    @property
    def is_podinfo(self) -> bool:
        """True for the shipped sample chart, whose values schema the platform knows."""
        return _is_podinfo(self.chart)

    @property
    def selector(self) -> dict[str, str]:
        """Labels of the app's pods: configured, or podinfo's (its fullname is the release name)."""
        return dict(self.pod_labels) or {"app.kubernetes.io/name": self.release_name}


def _is_podinfo(chart: str) -> bool:
    return chart == DEFAULT_CHART or chart.endswith("/podinfo") or chart == "podinfo"
