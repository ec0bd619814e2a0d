"""CrossGuard policies for the EKS platform (importable; the pack is built in __main__.py).

Each rule names the check it mirrors (checkov IDs, CIS Amazon EKS Benchmark items, EKS best
practices; FACTS.md §4). Rules read both what ``pulumi preview`` shows of the component
(``eks:index:Cluster`` inputs) and the AWS resources behind it (``aws:eks/cluster:Cluster``),
so they bite offline, where only the component is visible, and in real previews.
Mandatory rules guard security; advisory rules are cost and reliability hints.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

COMPONENT = "eks:index:Cluster"
EKS = "aws:eks/cluster:Cluster"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Kubernetes versions in EKS standard support on 2026-11-22 (components/eks_platform/args/versions.py).
DEFAULT_ALLOWED_VERSIONS = ["1.34", "1.35", "1.36"]
NAMESPACED_KINDS = ("Service", "PodDisruptionBudget", "Deployment", "ConfigMap", "Secret")

Props = Mapping[str, Any]
Check = Callable[[Props, Mapping[str, Any]], Iterable[str]]


def _config_defaults(schema: PolicyConfigSchema | None) -> dict[str, Any]:
    if schema is None:
        return {}
    return {key: spec["default"] for key, spec in schema.properties.items() if "default" in spec}


def rule(
    name: str,
    mirrors: str,
    description: str,
    level: EnforcementLevel,
    checks: dict[str, Check],
    config: dict[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy: per resource type, a check yielding one message per problem."""
    schema = PolicyConfigSchema(properties=config) if config else None

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        check = checks.get(args.resource_type)
        if check is None:
            return
        settings = {**_config_defaults(schema), **(args.get_config() or {})}
        for problem in check(args.props, settings):
            report(f"{problem} [{mirrors}]", args.urn)

    return ResourceValidationPolicy(
        name=name,
        description=f"{description} [{mirrors}]",
        validate=validate,
        enforcement_level=level,
        config_schema=schema,
    )


def stack_rule(
    name: str,
    mirrors: str,
    description: str,
    level: EnforcementLevel,
    check: Callable[[list[PolicyResource]], Iterable[tuple[str, str]]],
) -> StackValidationPolicy:
    """A stack policy: the check yields (message, urn) pairs over all resources."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for problem, urn in check(list(args.resources)):
            report(f"{problem} [{mirrors}]", urn)

    return StackValidationPolicy(
        name=name,
        description=f"{description} [{mirrors}]",
        validate=validate,
        enforcement_level=level,
    )


def _when(condition: bool, message: str) -> list[str]:
    return [message] if condition else []


def _policy_document(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = _policy_document(document).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the cluster --------------------------------------------------------------------------------


def _endpoint(props: Props, resource_type: str) -> tuple[bool, list[str], bool]:
    """(public access, public CIDRs, private access), with each API's defaults."""
    if resource_type == EKS:
        vpc = props.get("vpcConfig", {}) or {}
        return (
            vpc.get("endpointPublicAccess", True),
            vpc.get("publicAccessCidrs") or ["0.0.0.0/0"],
            vpc.get("endpointPrivateAccess", False),
        )
    return (
        props.get("endpointPublicAccess", True),
        props.get("publicAccessCidrs") or ["0.0.0.0/0"],
        props.get("endpointPrivateAccess", False),
    )


def _covers_all_ipv4(cidrs: list[str]) -> bool:
    """Judged by the addresses the ranges admit together, not by their spelling
    (0.0.0.0/1 and 128.0.0.0/1 are 0.0.0.0/0)."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.IPv4Network(str(cidr), strict=False))
        except ValueError:
            continue
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks)) == 2**32


def _open_endpoint(resource_type: str, production_only: bool) -> Check:
    def check(props: Props, _: Mapping[str, Any]) -> list[str]:
        public, cidrs, _private = _endpoint(props, resource_type)
        tags = props.get("tags") or props.get("clusterTags") or {}
        in_scope = tags.get("environment") == "production" or not production_only
        return _when(
            in_scope and public and _covers_all_ipv4(cidrs),
            "the public API endpoint is open to every IPv4 address (0.0.0.0/0)",
        )

    return check


def _private_endpoint(resource_type: str) -> Check:
    return lambda props, _: _when(
        not _endpoint(props, resource_type)[2], "the private API endpoint is off"
    )


def _log_types(key_path: tuple[str, ...]) -> Check:
    def check(props: Props, _: Mapping[str, Any]) -> list[str]:
        value: Any = props
        for key in key_path:
            value = (value or {}).get(key)
        missing = [t for t in LOG_TYPES if t not in (value or [])]
        return _when(bool(missing), f"control-plane log types missing: {', '.join(missing)}")

    return check


def _secrets_encrypted_component(props: Props, _: Mapping[str, Any]) -> list[str]:
    return _when(
        not props.get("encryptionConfigKeyArn"), "Kubernetes secrets are not KMS-encrypted"
    )


def _secrets_encrypted_eks(props: Props, _: Mapping[str, Any]) -> list[str]:
    config = props.get("encryptionConfig") or {}
    return _when(
        "secrets" not in (config.get("resources") or []), "Kubernetes secrets are not KMS-encrypted"
    )


def _auth_mode(mode: Any) -> list[str]:
    return _when(
        mode != "API",
        f"authentication mode {mode or 'CONFIG_MAP (default)'}; use API (access entries)",
    )


def _version(props: Props, config: Mapping[str, Any]) -> list[str]:
    version = props.get("version")
    allowed = config["allowedVersions"]
    return _when(
        version is not None and str(version) not in allowed,
        f"Kubernetes {version} is not in the allowed versions {allowed}",
    )


def _upgrade_policy(default: str) -> Check:
    def check(props: Props, config: Mapping[str, Any]) -> list[str]:
        support = (props.get("upgradePolicy") or {}).get("supportType", default)
        return _when(
            support == "EXTENDED" and not config["allowExtended"],
            "upgrade policy EXTENDED: six times the control-plane price past standard support",
        )

    return check


def _subnet_count(props: Props, _: Mapping[str, Any]) -> list[str]:
    subnets = (
        props.get("privateSubnetIds")
        or props.get("subnetIds")
        or (props.get("vpcConfig") or {}).get("subnetIds")
    )
    return _when(
        subnets is not None and len(subnets) < 2, "the cluster's subnets span fewer than two zones"
    )


# --- nodes --------------------------------------------------------------------------------------


def _metadata(props: Props) -> Mapping[str, Any]:
    return props.get("metadataOptions") or {}


def _imdsv2(props: Props, _: Mapping[str, Any]) -> list[str]:
    return _when(
        _metadata(props).get("httpTokens") != "required", "IMDSv2 is not required (httpTokens)"
    )


def _hop_limit(props: Props, config: Mapping[str, Any]) -> list[str]:
    hops = _metadata(props).get("httpPutResponseHopLimit")
    return _when(
        hops is None or hops > config["maxHopLimit"],
        f"IMDS hop limit {hops} exceeds {config['maxHopLimit']}: pods could reach node credentials",
    )


def _volumes_encrypted(props: Props, _: Mapping[str, Any]) -> list[str]:
    mappings = props.get("blockDeviceMappings") or []
    unencrypted = [
        m.get("deviceName", "?")
        for m in mappings
        if str((m.get("ebs") or {}).get("encrypted")).lower() != "true"
    ]
    return _when(bool(unencrypted), f"unencrypted volumes: {', '.join(unencrypted)}")


def _template_public_ip(props: Props, _: Mapping[str, Any]) -> list[str]:
    if (props.get("tags") or {}).get("eks-platform/role") == "nat-instance":
        return []  # accepted exception: a NAT instance forwards through its own public address
    interfaces = props.get("networkInterfaces") or []
    public = any(str(i.get("associatePublicIpAddress")).lower() == "true" for i in interfaces)
    return _when(public, "the launch template gives instances a public IP")


def _no_ssh(props: Props, _: Mapping[str, Any]) -> list[str]:
    remote = props.get("remoteAccess")
    return _when(
        bool(remote) and not (remote or {}).get("sourceSecurityGroupIds"),
        "SSH remote access open without source security groups",
    )


# --- network, logs, keys, IAM --------------------------------------------------------------------


def _log_retention(props: Props, _: Mapping[str, Any]) -> list[str]:
    days = props.get("retentionInDays")
    return _when(not days, "log group keeps logs forever (no retentionInDays)")


def _log_retention_long(props: Props, config: Mapping[str, Any]) -> list[str]:
    days = int(props.get("retentionInDays") or 0)
    return _when(
        0 < days < config["minRetentionDays"],
        f"retention {days} days < {config['minRetentionDays']}",
    )


def _wildcard_principal(props: Props, _: Mapping[str, Any]) -> list[str]:
    for statement in _statements(props.get("policy")):
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        if statement.get("Effect") == "Allow" and "*" in _as_list(aws):
            return ["key policy allows any principal ('*')"]
    return []


def _admin_wildcard(props: Props, _: Mapping[str, Any]) -> list[str]:
    for statement in _statements(props.get("policy")):
        if (
            statement.get("Effect") == "Allow"
            and "*" in _as_list(statement.get("Action"))
            and "*" in _as_list(statement.get("Resource"))
        ):
            return ["policy allows every action on every resource"]
    return []


def _node_class(props: Props, config: Mapping[str, Any]) -> list[str]:
    """Karpenter's EC2NodeClass carries the same IMDS and volume settings as a launch template."""
    spec = props.get("spec") or {}
    problems = _imdsv2(spec, config) + _hop_limit(spec, config)
    unencrypted = [
        m.get("deviceName", "?")
        for m in spec.get("blockDeviceMappings") or []
        if not (m.get("ebs") or {}).get("encrypted")
    ]
    return problems + _when(bool(unencrypted), f"unencrypted volumes: {', '.join(unencrypted)}")


# --- Kubernetes ---------------------------------------------------------------------------------


def _storage_class_encrypted(props: Props, _: Mapping[str, Any]) -> list[str]:
    parameters = props.get("parameters") or {}
    return _when(
        str(parameters.get("encrypted")).lower() != "true",
        'the StorageClass makes unencrypted volumes (parameters.encrypted is not "true")',
    )


def _namespace_not_default(props: Props, _: Mapping[str, Any]) -> list[str]:
    if props.get("kind") and props.get("kind") not in NAMESPACED_KINDS:
        return []
    namespace = (props.get("metadata") or {}).get("namespace") or props.get("namespace")
    return _when(namespace in (None, "", "default"), "workload in the default namespace")


def _pod_security(props: Props, _: Mapping[str, Any]) -> list[str]:
    labels = (props.get("metadata") or {}).get("labels") or {}
    level = labels.get("pod-security.kubernetes.io/enforce")
    return _when(
        level not in ("restricted", "baseline"), "namespace does not enforce a Pod Security level"
    )


def _source_ranges(props: Props, _: Mapping[str, Any]) -> list[str]:
    spec = props.get("spec") or {}
    annotations = (props.get("metadata") or {}).get("annotations") or {}
    scheme = annotations.get(
        "service.beta.kubernetes.io/aws-load-balancer-scheme", "internet-facing"
    )
    internal = annotations.get("service.beta.kubernetes.io/aws-load-balancer-internal") == "true"
    open_to_all = (
        spec.get("type") == "LoadBalancer" and scheme == "internet-facing" and not internal
    )
    return _when(
        open_to_all and not spec.get("loadBalancerSourceRanges"),
        "internet-facing load balancer without loadBalancerSourceRanges",
    )


# --- load balancers: TLS -------------------------------------------------------------------------

# ELB security policies that negotiate TLS 1.2 and 1.3 only, by name family (Elastic Load
# Balancing user guide, "Security policies"). ELBSecurityPolicy-2016-08, the API's and the load
# balancer controller's default, still accepts TLS 1.0.
MODERN_TLS_PREFIXES = (
    "ELBSecurityPolicy-TLS13-1-2-",
    "ELBSecurityPolicy-TLS13-1-3-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
)
ALB_ANNOTATION = "alb.ingress.kubernetes.io"
NLB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer"


def _modern(policy: Any) -> bool:
    return isinstance(policy, str) and policy.startswith(MODERN_TLS_PREFIXES)


def _annotations(props: Props) -> Mapping[str, Any]:
    return (props.get("metadata") or {}).get("annotations") or {}


def _listener_tls_policy(props: Props, _: Mapping[str, Any]) -> list[str]:
    secure = str(props.get("protocol", "")).upper() in ("HTTPS", "TLS")
    return _when(
        secure and not _modern(props.get("sslPolicy")),
        f"{props.get('protocol')} listener with TLS policy {props.get('sslPolicy')!r}, which "
        "allows TLS below 1.2 (or is left to the ELBSecurityPolicy-2016-08 default)",
    )


def _annotated_tls_policy(certificate: str, policy_key: str, what: str) -> Check:
    """An object the controller turns into a TLS listener: a certificate annotation without a
    modern policy annotation gets the controller's default, ELBSecurityPolicy-2016-08 (TLS 1.0+)."""

    def check(props: Props, _: Mapping[str, Any]) -> list[str]:
        annotations = _annotations(props)
        policy = annotations.get(policy_key)
        return _when(
            bool(annotations.get(certificate)) and not _modern(policy),
            f"{what} with {policy_key.rsplit('/', 1)[-1]} {policy!r}: the controller's default, "
            "ELBSecurityPolicy-2016-08, allows TLS 1.0",
        )

    return check


_ingress_tls_policy = _annotated_tls_policy(
    f"{ALB_ANNOTATION}/certificate-arn", f"{ALB_ANNOTATION}/ssl-policy", "HTTPS Ingress"
)
_service_tls_policy = _annotated_tls_policy(
    f"{NLB_ANNOTATION}-ssl-cert", f"{NLB_ANNOTATION}-ssl-negotiation-policy", "TLS Service"
)


def _listener_http_redirects(props: Props, _: Mapping[str, Any]) -> list[str]:
    if str(props.get("protocol", "")).upper() != "HTTP":
        return []
    actions = props.get("defaultActions") or []
    redirects = all(
        a.get("type") == "redirect"
        and str((a.get("redirect") or {}).get("protocol", "")).upper() == "HTTPS"
        for a in actions
    )
    return _when(not actions or not redirects, "HTTP listener that does not redirect to HTTPS")


def _ingress_http_redirects(props: Props, _: Mapping[str, Any]) -> list[str]:
    annotations = _annotations(props)
    if not annotations.get(f"{ALB_ANNOTATION}/certificate-arn"):
        return []
    try:
        ports = json.loads(annotations.get(f"{ALB_ANNOTATION}/listen-ports") or "[]")
    except (TypeError, ValueError):
        ports = []
    http = any("HTTP" in port for port in ports if isinstance(port, dict))
    return _when(
        http and not annotations.get(f"{ALB_ANNOTATION}/ssl-redirect"),
        "HTTPS Ingress that also serves plain HTTP (listen-ports has HTTP, no ssl-redirect)",
    )


# --- GPU capacity ---------------------------------------------------------------------------------

GPU_TAINT_KEY = "nvidia.com/gpu"


def _gpu_pool(props: Props) -> bool:
    """A NodePool for GPU nodes: it limits or requires GPUs (a requirement that excludes them,
    DoesNotExist or NotIn, as the platform's default pool has, does not count)."""
    spec = props.get("spec") or {}
    requirements = [
        r
        for r in ((spec.get("template") or {}).get("spec") or {}).get("requirements") or []
        if r.get("operator") not in ("DoesNotExist", "NotIn")
    ]
    gpu_keys = ("instance-gpu-count", "instance-gpu-manufacturer", "instance-gpu-name")
    return (
        GPU_TAINT_KEY in (spec.get("limits") or {})
        or any(str(r.get("key", "")).endswith(gpu_keys) for r in requirements)
        or any(
            str(r.get("key", "")).endswith("instance-family")
            and any(str(v)[:1] in ("g", "p") for v in r.get("values") or [])
            and all(str(v)[:1] in ("g", "p") for v in r.get("values") or [])
            for r in requirements
        )
    )


def _gpu_node_group_tainted(props: Props, _: Mapping[str, Any]) -> list[str]:
    gpu = str(props.get("amiType", "")).endswith("_NVIDIA")
    taints = [t.get("key") for t in props.get("taints") or []]
    return _when(
        gpu and GPU_TAINT_KEY not in taints,
        "GPU node group without an nvidia.com/gpu taint: any pod may fill the costliest nodes",
    )


def _gpu_node_pool(props: Props, _: Mapping[str, Any]) -> list[str]:
    if not _gpu_pool(props):
        return []
    spec = props.get("spec") or {}
    taints = [
        t.get("key") for t in ((spec.get("template") or {}).get("spec") or {}).get("taints") or []
    ]
    return [
        *_when(GPU_TAINT_KEY not in taints, "GPU NodePool without an nvidia.com/gpu taint"),
        *_when(
            GPU_TAINT_KEY not in (spec.get("limits") or {}),
            "GPU NodePool without limits on nvidia.com/gpu: no ceiling on GPU spend",
        ),
    ]


# --- stack-wide ---------------------------------------------------------------------------------


def _depends_on(resource: PolicyResource, key: str, other: PolicyResource) -> bool:
    return any(dep.urn == other.urn for dep in resource.property_dependencies.get(key, []))


def _vpcs_have_flow_logs(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    flow_logs = [r for r in resources if r.resource_type == "aws:ec2/flowLog:FlowLog"]
    for vpc in (r for r in resources if r.resource_type == "aws:ec2/vpc:Vpc"):
        if not any(_depends_on(log, "vpcId", vpc) for log in flow_logs):
            yield "VPC without flow logs", vpc.urn


def _vpc_ranges_disjoint(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """Across a fleet's regions: overlapping VPC ranges can never be peered or routed through a
    transit gateway (VPC peering guide, 'overlapping CIDR blocks')."""
    seen: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, PolicyResource]] = []
    for vpc in (r for r in resources if r.resource_type == "aws:ec2/vpc:Vpc"):
        try:
            network = ipaddress.ip_network(str(vpc.props.get("cidrBlock")))
        except ValueError:
            continue
        for other_network, other in seen:
            if network.overlaps(other_network):
                yield f"VPC range {network} overlaps {other.name}'s {other_network}", vpc.urn
        seen.append((network, vpc))


def _production_protected(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """Every production cluster (tag environment=production) is protected from deletion: a
    fleet's regions are all production or none is, and none may be lost to a stray destroy."""

    def protected(resource: PolicyResource | None) -> bool:
        # protect is inherited from the parent (pulumi-eks's cluster from its component).
        while resource is not None:
            if resource.opts and resource.opts.protect:
                return True
            resource = resource.parent
        return False

    for cluster in (r for r in resources if r.resource_type in (COMPONENT, EKS)):
        tags = cluster.props.get("tags") or {}
        if tags.get("environment") == "production" and not protected(cluster):
            yield "production cluster without protect", cluster.urn


def _regions_versions_aligned(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """A fleet's clusters stay within one Kubernetes minor of each other: one apart is a rolling
    upgrade in progress, more is a region left behind (and the upgrade of the newest region's
    manifests to the oldest's API is not tested)."""
    minors: list[tuple[int, PolicyResource]] = []
    for cluster in (r for r in resources if r.resource_type == COMPONENT):
        major, _, minor = str(cluster.props.get("version", "")).partition(".")
        if major == "1" and minor.isdigit():
            minors.append((int(minor), cluster))
    if len(minors) > 1:
        lowest, oldest = min(minors, key=lambda item: item[0])
        highest = max(minor for minor, _ in minors)
        if highest - lowest > 1:
            yield (
                f"{oldest.name} runs Kubernetes 1.{lowest}, {highest - lowest} minors behind 1.{highest}",
                oldest.urn,
            )


def _default_security_groups_empty(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    groups = [
        r
        for r in resources
        if r.resource_type == "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ]
    for group in groups:
        if group.props.get("ingress") or group.props.get("egress"):
            yield "default security group has rules", group.urn
    for vpc in (r for r in resources if r.resource_type == "aws:ec2/vpc:Vpc"):
        if not any(_depends_on(group, "vpcId", vpc) for group in groups):
            yield "VPC's default security group is not adopted and emptied", vpc.urn


def _node_groups_private(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    for group in (r for r in resources if r.resource_type == "aws:eks/nodeGroup:NodeGroup"):
        for subnet in group.property_dependencies.get("subnetIds", []):
            if subnet.resource_type != "aws:ec2/subnet:Subnet":
                continue
            tags = subnet.props.get("tags") or {}
            if subnet.props.get("mapPublicIpOnLaunch") or "kubernetes.io/role/elb" in tags:
                yield f"node group in public subnet {subnet.name}", group.urn


def _nat_per_zone(resources: list[PolicyResource]) -> Iterable[tuple[str, str]]:
    """Per VPC (a fleet has one per region): its NAT gateways against the zones of its public
    subnets. A resource without a VPC dependency (a fixture) counts towards one shared group."""

    def vpc_of(resource: PolicyResource, key: str) -> str:
        return next((dep.urn for dep in resource.property_dependencies.get(key, [])), "")

    public = [
        r
        for r in resources
        if r.resource_type == "aws:ec2/subnet:Subnet"
        and "kubernetes.io/role/elb" in (r.props.get("tags") or {})
    ]
    subnet_vpc = {subnet.urn: vpc_of(subnet, "vpcId") for subnet in public}
    nats = [r for r in resources if r.resource_type == "aws:ec2/natGateway:NatGateway"]
    for vpc in sorted(set(subnet_vpc.values())):
        zones = {s.props.get("availabilityZone") for s in public if subnet_vpc[s.urn] == vpc}
        mine = [n for n in nats if subnet_vpc.get(vpc_of(n, "subnetId"), "") == vpc]
        if mine and len(mine) < len(zones):
            yield (
                f"{len(mine)} NAT gateway(s) for {len(zones)} zones: a zone outage cuts egress",
                mine[0].urn,
            )


# --- the rules ----------------------------------------------------------------------------------

VERSIONS_CONFIG = {
    "allowedVersions": {
        "type": "array",
        "items": {"type": "string"},
        "default": DEFAULT_ALLOWED_VERSIONS,
    }
}

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    rule("eks-control-plane-logging", "CKV_AWS_37, CIS 2.1.1", "All five control-plane log types are on.", MANDATORY,
         {COMPONENT: _log_types(("enabledClusterLogTypes",)), EKS: _log_types(("enabledClusterLogTypes",))}),
    rule("eks-endpoint-not-open-in-production", "CKV_AWS_38, CIS 5.4.2",
         "Production clusters' public endpoints are limited to listed ranges.", MANDATORY,
         {COMPONENT: _open_endpoint(COMPONENT, True), EKS: _open_endpoint(EKS, True)}),
    rule("eks-endpoint-restricted", "CKV_AWS_38", "The public endpoint is limited to listed ranges.", ADVISORY,
         {COMPONENT: _open_endpoint(COMPONENT, False), EKS: _open_endpoint(EKS, False)}),
    rule("eks-private-endpoint", "CKV_AWS_39, CIS 5.4.1", "The private API endpoint is on.", MANDATORY,
         {COMPONENT: _private_endpoint(COMPONENT), EKS: _private_endpoint(EKS)}),
    rule("eks-secrets-encryption", "CKV_AWS_58, CIS 5.3.1", "Secrets are envelope-encrypted with KMS.", MANDATORY,
         {COMPONENT: _secrets_encrypted_component, EKS: _secrets_encrypted_eks}),
    rule("eks-access-entries", "CIS 4.1.7", "Access entries (authentication mode API), not aws-auth.", MANDATORY,
         {COMPONENT: lambda p, _: _auth_mode(p.get("authenticationMode")),
          EKS: lambda p, _: _auth_mode((p.get("accessConfig") or {}).get("authenticationMode"))}),
    rule("eks-supported-version", "CKV_AWS_339", "The Kubernetes version is in the allowed list.", MANDATORY,
         {COMPONENT: _version, EKS: _version}, VERSIONS_CONFIG),
    rule("eks-upgrade-policy", "EKS extended support pricing", "Upgrade policy STANDARD unless allowed.", ADVISORY,
         {COMPONENT: _upgrade_policy("EXTENDED"), EKS: _upgrade_policy("EXTENDED")},
         {"allowExtended": {"type": "boolean", "default": False}}),
    rule("eks-multi-az", "EKS best practices (reliability)", "The cluster spans at least two zones.", ADVISORY,
         {COMPONENT: _subnet_count, EKS: _subnet_count}),
    rule("kms-key-rotation", "CKV_AWS_7", "KMS keys rotate yearly.", MANDATORY,
         {"aws:kms/key:Key": lambda p, _: _when(not p.get("enableKeyRotation"), "key rotation is off")}),
    rule("kms-key-policy-principals", "CKV_AWS_33", "Key policies name their principals.", MANDATORY,
         {"aws:kms/key:Key": _wildcard_principal}),
    rule("imdsv2-required", "CKV_AWS_79", "Instance metadata requires IMDSv2 tokens.", MANDATORY,
         {LAUNCH_TEMPLATE: _imdsv2, "aws:ec2/instance:Instance": _imdsv2}),
    rule("imds-hop-limit", "CKV_AWS_341", "IMDS answers only the node itself (hop limit).", MANDATORY,
         {LAUNCH_TEMPLATE: _hop_limit}, {"maxHopLimit": {"type": "integer", "default": 1}}),
    rule("encrypted-volumes", "CKV_AWS_3, CKV_AWS_8", "Node volumes are encrypted.", MANDATORY,
         {LAUNCH_TEMPLATE: _volumes_encrypted,
          "aws:ebs/volume:Volume": lambda p, _: _when(not p.get("encrypted"), "unencrypted volume")}),
    rule("no-public-ip-on-nodes", "CKV_AWS_88, CIS 5.4.3", "Nodes get no public IP.", MANDATORY,
         {LAUNCH_TEMPLATE: _template_public_ip,
          COMPONENT: lambda p, _: _when(bool(p.get("nodeAssociatePublicIpAddress")), "nodes get public IPs")}),
    rule("subnet-no-public-ip-on-launch", "CKV_AWS_130", "Subnets do not map public IPs on launch.", MANDATORY,
         {"aws:ec2/subnet:Subnet": lambda p, _: _when(bool(p.get("mapPublicIpOnLaunch")), "subnet maps public IPs")}),
    rule("node-group-no-ssh", "CKV_AWS_100", "No SSH to nodes (SSM instead).", MANDATORY,
         {"aws:eks/nodeGroup:NodeGroup": _no_ssh}),
    rule("log-group-retention", "CKV_AWS_66", "Log groups have a retention.", MANDATORY,
         {"aws:cloudwatch/logGroup:LogGroup": _log_retention}),
    rule("log-group-retention-one-year", "CKV_AWS_338", "Log groups keep at least a year.", ADVISORY,
         {"aws:cloudwatch/logGroup:LogGroup": _log_retention_long},
         {"minRetentionDays": {"type": "integer", "default": 365}}),
    rule("log-group-encrypted", "CKV_AWS_158", "Log groups are KMS-encrypted.", MANDATORY,
         {"aws:cloudwatch/logGroup:LogGroup": lambda p, _: _when(not p.get("kmsKeyId"), "log group not KMS-encrypted")}),
    rule("karpenter-node-class-hardened", "CKV_AWS_79, CKV_AWS_341, CKV_AWS_3", "Karpenter's nodes: IMDSv2, hop limit, encrypted volumes.", MANDATORY,
         {"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": _node_class}, {"maxHopLimit": {"type": "integer", "default": 1}}),
    rule("sqs-queue-encrypted", "CKV_AWS_27", "SQS queues are encrypted at rest.", MANDATORY,
         {"aws:sqs/queue:Queue": lambda p, _: _when(not (p.get("sqsManagedSseEnabled") or p.get("kmsMasterKeyId")), "queue not encrypted")}),
    rule("iam-no-admin-wildcard", "least privilege", "No policy allows * on *.", MANDATORY,
         {"aws:iam/rolePolicy:RolePolicy": _admin_wildcard, "aws:iam/policy:Policy": _admin_wildcard}),
    rule("k8s-namespace-not-default", "CKV_K8S_21, CIS 4.5.2", "Workloads stay out of the default namespace.",
         MANDATORY,
         {"kubernetes:core/v1:Service": _namespace_not_default,
          "kubernetes:policy/v1:PodDisruptionBudget": _namespace_not_default,
          "kubernetes:apps/v1:Deployment": _namespace_not_default,
          "kubernetes:helm.sh/v3:Release": _namespace_not_default}),
    rule("k8s-storage-class-encrypted", "CKV_AWS_3 (EBS encryption), EKS best practices",
         "StorageClasses make encrypted volumes.", MANDATORY,
         {"kubernetes:storage.k8s.io/v1:StorageClass": _storage_class_encrypted}),
    rule("k8s-namespace-pod-security", "CIS 4.2.x (Pod Security Admission)",
         "Namespaces enforce a Pod Security level.", MANDATORY,
         {"kubernetes:core/v1:Namespace": _pod_security}),
    rule("k8s-service-source-ranges", "EKS best practices", "Internet-facing load balancers list client ranges.",
         ADVISORY, {"kubernetes:core/v1:Service": _source_ranges}),
    rule("lb-tls-policy-modern", "CKV_AWS_103", "HTTPS and TLS listeners allow TLS 1.2 and later only.",
         MANDATORY,
         {"aws:lb/listener:Listener": _listener_tls_policy, "aws:alb/listener:Listener": _listener_tls_policy,
          "kubernetes:networking.k8s.io/v1:Ingress": _ingress_tls_policy,
          "kubernetes:core/v1:Service": _service_tls_policy}),
    rule("lb-http-redirects-to-https", "CKV_AWS_2", "Plain HTTP listeners only redirect to HTTPS.", MANDATORY,
         {"aws:lb/listener:Listener": _listener_http_redirects, "aws:alb/listener:Listener": _listener_http_redirects,
          "kubernetes:networking.k8s.io/v1:Ingress": _ingress_http_redirects}),
    rule("gpu-capacity-guarded", "EKS best practices (cost: GPU nodes)",
         "GPU nodes are tainted nvidia.com/gpu and GPU NodePools are capped in GPUs.", ADVISORY,
         {"aws:eks/nodeGroup:NodeGroup": _gpu_node_group_tainted,
          "kubernetes:karpenter.sh/v1:NodePool": _gpu_node_pool}),
    stack_rule("vpc-flow-logs", "CKV2_AWS_11", "Every VPC has flow logs.", MANDATORY, _vpcs_have_flow_logs),
    stack_rule("default-security-group-empty", "CKV2_AWS_12", "Default security groups have no rules.", MANDATORY,
               _default_security_groups_empty),
    stack_rule("node-groups-in-private-subnets", "CIS 5.4.3", "Node groups run in private subnets.", MANDATORY,
               _node_groups_private),
    stack_rule("vpc-ranges-disjoint", "multi-region (peering, transit gateway)",
               "No two VPCs (a fleet's regions) have overlapping ranges.", MANDATORY, _vpc_ranges_disjoint),
    stack_rule("production-clusters-protected", "EKS best practices (reliability)",
               "Production clusters (every region of a production fleet) are protected.", MANDATORY,
               _production_protected),
    stack_rule("fleet-versions-aligned", "multi-region (rolling upgrades)",
               "A fleet's clusters are at most one Kubernetes minor apart.", ADVISORY, _regions_versions_aligned),
    stack_rule("nat-gateway-per-zone", "EKS best practices (reliability)", "One NAT gateway per zone.", ADVISORY,
               _nat_per_zone),
]  # fmt: skip
