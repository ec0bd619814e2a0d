"""The platform's typed, validated arguments.

``PlatformArgs`` is the one object every consumer builds: the stack program from Pulumi config
(see ``stack_config.load_platform_args``), other Python programs directly. Field names are
snake_case in Python and camelCase in stack config (``natMode``); each field's docstring is its
documentation (README table, ``Pulumi.yaml``).

Every rule is a field validator so that pydantic reports all problems in one pass. Rules that
look at two fields sit on the later field and read the earlier one from ``info.data`` (present
only when that field was valid, so one mistake is never reported twice). Rules that need the
region's availability zones read them from the validation context (``offered_zones``).
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from .addons import ADDON_VERSION_PATTERN, LOCKED_ADDONS, locked_minors
from .cidr import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN, CidrPlanError, plan_subnets
from .compute import (
    FargateProfileArgs,
    FargateSelectorArgs,
    GpuArgs,
    KarpenterArgs,
    NodeGroupArgs,
    TaintArgs,
    auto_mode_gpu_families,
    device_plugin_needed,
)
from .regions import ELB_ALIAS_ZONE_REGIONS, REGIONS, SUPPORTED_REGIONS
from .rules import (
    MODEL_CONFIG,
    Count,
    malformed_networks,
    open_to_internet,
    problem,
    resource_name,
    retention_days,
    tags_problem,
)
from .versions import DEFAULT_KUBERNETES_VERSION, today, version_problem
from .workload import LoadBalancerControllerArgs, TlsArgs, WorkloadArgs

if TYPE_CHECKING:
    from .component import EksPlatformArgs

NatMode = Literal["none", "single", "per_az", "instance"]
ComputeMode = Literal["managed", "karpenter", "auto"]

MIN_ZONES = 2
MAX_ZONES = 4

# RFC 1918 plus the RFC 6598 shared range, which EKS documents for VPC secondary CIDRs.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

ZONE_PATTERN = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9][0-9]?[a-z]")
VPC_ID_PATTERN = re.compile(r"vpc-[0-9a-f]{8}([0-9a-f]{9})?")
SUBNET_ID_PATTERN = re.compile(r"subnet-[0-9a-f]{8}([0-9a-f]{9})?")
# EKS CreateCluster: 1-100 letters, digits, hyphens and underscores, starting alphanumeric.
CLUSTER_NAME_PATTERN = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}")
# Access entries take IAM roles and users, not STS assumed-role session ARNs.
IAM_PRINCIPAL_PATTERN = re.compile(
    r"arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}"
)


CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
UpgradePolicy = Literal["STANDARD", "EXTENDED"]
ControlPlaneLogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _default_node_groups() -> list[NodeGroupArgs]:
    return [NodeGroupArgs(name="general")]


class PlatformArgs(BaseModel):
    """Everything the platform needs, validated; built from keyword arguments or stack config."""

    model_config = MODEL_CONFIG

    region: str = Field(alias="aws:region")
    """AWS region of the stack (stack config key ``aws:region``)."""
    production: bool = False
    """Marks the stack as production: an API endpoint open to 0.0.0.0/0 is rejected."""
    cluster_name: str = ""
    """Physical EKS cluster name; empty means project-stack (e.g. eks-platform-dev)."""

    existing_vpc_id: str = ""
    """Bring your own VPC: its id. When set, no network resources are created."""
    existing_public_subnet_ids: list[str] = Field(default_factory=list)
    """Bring your own VPC: public subnet ids (for internet-facing load balancers)."""
    existing_private_subnet_ids: list[str] = Field(default_factory=list)
    """Bring your own VPC: private subnet ids (nodes and pods), at least two in different zones."""

    availability_zones: list[str] = Field(default_factory=list)
    """Explicit zone names; empty means the first availabilityZoneCount zones of the region."""
    availability_zone_count: Count = 3
    """Number of zones to spread over (2-4) when availabilityZones is empty."""
    private_subnet_prefix_length: Count = 19
    """Prefix length of each private subnet; large, since pods take VPC addresses."""
    public_subnet_prefix_length: Count = 24
    """Prefix length of each public subnet."""
    vpc_cidr: str = "10.0.0.0/16"
    """VPC IPv4 range; must be private (RFC 1918 or 100.64.0.0/10)."""
    nat_mode: NatMode = "single"
    """Private egress: single NAT gateway, per_az (HA), instance (dev) or none (VPC endpoints)."""
    flow_logs_retention_days: Count = 90
    """Retention of the VPC flow log group, in days (a CloudWatch Logs retention value)."""

    upgrade_policy: UpgradePolicy = "STANDARD"
    """STANDARD, or EXTENDED to stay on a version past standard support (6x control-plane price)."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """Kubernetes minor version; must be in EKS support under upgradePolicy when deployed."""
    kubernetes_rollback: bool = False
    """Allow kubernetesVersion one minor below the running cluster's (an EKS rollback, 7 days)."""
    addon_versions: dict[str, str] = Field(default_factory=dict)
    """Add-on version overrides by name; the others follow the lock table for kubernetesVersion."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Extra tags (team, ...) on every AWS resource and load balancer, and nodes but Auto Mode's."""
    endpoint_public_access: bool = True
    """Whether the API server has a public endpoint (the private endpoint is always on)."""
    public_access_cidrs: list[str] = Field(default_factory=lambda: ["0.0.0.0/0"])
    """Ranges allowed to reach the public endpoint; 0.0.0.0/0 is rejected for production."""
    cluster_log_types: list[ControlPlaneLogType] = Field(
        default_factory=lambda: list(CONTROL_PLANE_LOG_TYPES)
    )
    """Control-plane log types sent to CloudWatch (default: all five)."""
    cluster_log_retention_days: Count = 90
    """Retention of the control-plane log group, in days (a CloudWatch Logs retention value)."""
    deletion_protection: bool = False
    """EKS deletion protection: the cluster cannot be deleted until it is turned off."""
    protect: bool = False
    """Pulumi protect on the cluster, KMS key, VPC and log groups: no accidental destroy."""
    admin_principal_arns: list[str] = Field(default_factory=list)
    """IAM role or user ARNs granted cluster admin (AmazonEKSClusterAdminPolicy)."""
    read_only_principal_arns: list[str] = Field(default_factory=list)
    """IAM role or user ARNs granted read-only access (AmazonEKSViewPolicy)."""

    compute_mode: ComputeMode = "managed"
    """managed (node groups), karpenter (node groups run Karpenter only) or auto (EKS Auto Mode)."""
    karpenter: KarpenterArgs | None = None
    """Karpenter's NodePool (computeMode karpenter only; defaults apply when left out)."""
    node_groups: list[NodeGroupArgs] = Field(default_factory=_default_node_groups)
    """Managed node groups (at least one; see the node group table)."""
    fargate_profiles: list[FargateProfileArgs] = Field(default_factory=list)
    """Fargate profiles (see the Fargate table); pods they select run on Fargate."""

    block_storage: bool = True
    """EBS CSI driver (Auto Mode has its own) and a default gp3 class encrypted with the key."""
    observability: bool = False
    """Container Insights and Fluent Bit logs to CloudWatch (opt-in; priced per node)."""
    observability_log_retention_days: Count = 30
    """Retention of the four Container Insights log groups, in days (CloudWatch Logs values)."""
    metrics_server: bool = True
    """metrics-server (kubectl top, HorizontalPodAutoscalers); the sample app scales on CPU."""
    load_balancer_controller: LoadBalancerControllerArgs = Field(
        default_factory=LoadBalancerControllerArgs
    )
    """AWS Load Balancer Controller: enabled, replicas (see the workload table)."""
    workload: WorkloadArgs = Field(default_factory=WorkloadArgs)
    """The sample app and its load balancer (see the workload table)."""
    gpu: GpuArgs = Field(default_factory=GpuArgs)
    """GPU capacity: a scale-to-zero GPU NodePool and a smoke test (see the GPU table)."""

    # --- single-field rules -------------------------------------------------------------------

    @field_validator("region")
    @classmethod
    def _region_syntax(cls, value: str) -> str:
        region = REGIONS.get(value)
        if region is None:
            guess = difflib.get_close_matches(value, SUPPORTED_REGIONS, n=1)
            raise problem(
                "is not an AWS region{guess} (regions of the aws partition: {known}; source: "
                "botocore endpoints.json of 2026-08-07)",
                guess=f"; did you mean {guess[0]}?" if guess else "",
                known=", ".join(SUPPORTED_REGIONS),
            )
        if region.partition != "aws":
            # Service principals, endpoint service names and ARNs differ there (amazonaws.com.cn,
            # cn.com.amazonaws.* endpoints, aws-cn/aws-us-gov ARNs), and nothing here has been
            # checked against those partitions: refused rather than deployed half right.
            raise problem(
                "is in the {partition} partition, which this platform does not support (service "
                "names, principals and prices differ there); use a region of the aws partition",
                partition=region.partition,
            )
        return value

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name_syntax(cls, value: str) -> str:
        return resource_name(value, CLUSTER_NAME_PATTERN, 100) if value else value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_private(cls, value: str, info: ValidationInfo) -> str:
        try:
            if "/" not in value:
                raise ValueError("no prefix length")
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise problem(
                "must be an IPv4 network such as 10.0.0.0/16 ({error})", error=str(error)
            ) from None
        if str(network) != value:  # a netmask or leading zeros: AWS gets what is written
            raise problem("must be written in CIDR notation: {network}", network=str(network))
        if not any(network.subnet_of(allowed) for allowed in PRIVATE_RANGES):
            raise problem(
                "must lie in a private range ({ranges})",
                ranges=", ".join(str(allowed) for allowed in PRIVATE_RANGES),
            )
        if not SUBNET_PREFIX_MIN <= network.prefixlen <= SUBNET_PREFIX_MAX:
            raise problem("prefix length must be between /16 and /28 (AWS VPC limits)")
        cls._check_subnets_fit(value, info)
        return value

    @staticmethod
    def _check_subnets_fit(vpc_cidr: str, info: ValidationInfo) -> None:
        """The subnets asked for (zones x tiers x sizes) fit into the VPC range."""
        data = info.data
        if data.get("existing_vpc_id"):
            return
        private_prefix = data.get("private_subnet_prefix_length")
        public_prefix = data.get("public_subnet_prefix_length")
        zone_count = len(data.get("availability_zones") or []) or data.get(
            "availability_zone_count"
        )
        if private_prefix is None or public_prefix is None or zone_count is None:
            return  # an earlier field is invalid and reported on its own
        try:
            plan_subnets(
                vpc_cidr, [f"zone-{i}" for i in range(zone_count)], private_prefix, public_prefix
            )
        except CidrPlanError as error:
            raise problem("too small: {error}", error=str(error)) from None

    @field_validator("private_subnet_prefix_length", "public_subnet_prefix_length")
    @classmethod
    def _subnet_prefix_range(cls, value: int) -> int:
        if not SUBNET_PREFIX_MIN <= value <= SUBNET_PREFIX_MAX:
            raise problem("must be between 16 and 28 (AWS subnet size limits)")
        return value

    @field_validator(
        "flow_logs_retention_days", "cluster_log_retention_days", "observability_log_retention_days"
    )
    @classmethod
    def _retention_allowed(cls, value: int) -> int:
        return retention_days(value)

    @field_validator("nat_mode")
    @classmethod
    def _nat_instance_not_in_production(cls, value: str, info: ValidationInfo) -> str:
        if value == "instance" and info.data.get("production"):
            raise problem(
                "instance is for non-production stacks (one instance in one zone); use per_az"
            )
        return value

    # --- bring your own VPC --------------------------------------------------------------------

    @field_validator("existing_vpc_id")
    @classmethod
    def _vpc_id_syntax(cls, value: str) -> str:
        if value and not VPC_ID_PATTERN.fullmatch(value):
            raise problem("must be a VPC id such as vpc-0123456789abcdef0")
        return value

    @field_validator("existing_public_subnet_ids", "existing_private_subnet_ids")
    @classmethod
    def _existing_subnets(cls, value: list[str], info: ValidationInfo) -> list[str]:
        malformed = [subnet for subnet in value if not SUBNET_ID_PATTERN.fullmatch(subnet)]
        if malformed:
            raise problem("not subnet ids: {ids}", ids=", ".join(malformed))
        if len(set(value)) != len(value):
            raise problem("lists a subnet twice")
        vpc_id = info.data.get("existing_vpc_id")
        if vpc_id is None:  # the VPC id itself was invalid and is reported already
            return value
        if not vpc_id and value:
            raise problem("is only used together with existingVpcId")
        if vpc_id:
            if info.field_name == "existing_private_subnet_ids":
                if len(value) < MIN_ZONES:
                    raise problem("needs at least two private subnets in different zones")
                overlap = set(value) & set(info.data.get("existing_public_subnet_ids") or [])
                if overlap:
                    raise problem("also listed as public: {ids}", ids=", ".join(sorted(overlap)))
            elif not value:
                raise problem("needs at least one public subnet when existingVpcId is set")
        return value

    # --- zones and the subnet plan (skipped for an existing VPC) --------------------------------

    @field_validator("availability_zones")
    @classmethod
    def _explicit_zones(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value or info.data.get("existing_vpc_id"):
            return value
        if not MIN_ZONES <= len(value) <= MAX_ZONES:
            raise problem("must list between 2 and 4 zones")
        if len(set(value)) != len(value):
            raise problem("lists a zone twice")
        region = info.data.get("region")
        offered = _offered_zones(info)
        foreign = [
            zone
            for zone in value
            if not ZONE_PATTERN.fullmatch(zone)
            or (region and not zone.startswith(region))
            or (offered is not None and zone not in offered)
        ]
        if foreign:
            allowed = ", ".join(offered) if offered else f"zones of {region}"
            raise problem(
                "not available zones of the region: {zones} (allowed: {allowed})",
                zones=", ".join(foreign),
                allowed=allowed,
            )
        return value

    @field_validator("availability_zone_count")
    @classmethod
    def _zone_count(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("existing_vpc_id") or info.data.get("availability_zones"):
            return value
        if not MIN_ZONES <= value <= MAX_ZONES:
            raise problem("must be between 2 and 4")
        offered = _offered_zones(info)
        if offered is not None and value > len(offered):
            raise problem(
                "{region} offers only {count} zones without opt-in ({zones})",
                region=info.data.get("region", "the region"),
                count=len(offered),
                zones=", ".join(offered),
            )
        return value

    @field_validator("public_subnet_prefix_length")
    @classmethod
    def _public_not_larger_than_private(cls, value: int, info: ValidationInfo) -> int:
        private_prefix = info.data.get("private_subnet_prefix_length")
        if private_prefix is not None and private_prefix > value:
            raise problem(
                "public subnets (/{public}) must not be larger than private ones (/{private}); "
                "pods take their addresses from the private subnets",
                public=value,
                private=private_prefix,
            )
        return value

    # --- control plane --------------------------------------------------------------------------

    @field_validator("kubernetes_version")
    @classmethod
    def _version_supported(cls, value: str, info: ValidationInfo) -> str:
        # upgradePolicy is declared first so that this rule can read it (a version past standard
        # support is fine under EXTENDED); the problem is the version's, so it is keyed there.
        policy = info.data.get("upgrade_policy", "STANDARD")
        found = version_problem(value, policy, _today(info))
        if found:
            raise problem("{problem}", problem=found)
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        found = tags_problem(value)
        if found:
            raise problem("{problem}", problem=found)
        return value

    @field_validator("addon_versions")
    @classmethod
    def _addon_versions(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        unknown = sorted(set(value) - set(LOCKED_ADDONS))
        if unknown:
            raise problem(
                "unknown add-ons {names} (known: {known})",
                names=", ".join(unknown),
                known=", ".join(LOCKED_ADDONS),
            )
        malformed = [f"{k}={v}" for k, v in value.items() if not ADDON_VERSION_PATTERN.fullmatch(v)]
        if malformed:
            raise problem(
                "not EKS add-on versions such as v1.22.4-eksbuild.3: {versions}",
                versions=", ".join(malformed),
            )
        version = info.data.get("kubernetes_version")
        unlocked = [a for a in LOCKED_ADDONS if a not in value and version not in locked_minors(a)]
        if version and unlocked:
            raise problem(
                "no locked version of {names} for Kubernetes {version}: give one here",
                names=", ".join(unlocked),
                version=version,
            )
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_access(cls, value: list[str], info: ValidationInfo) -> list[str]:
        malformed = malformed_networks(value, ipv4_only=True)
        if malformed:
            raise problem("not IPv4 networks: {cidrs}", cidrs=", ".join(malformed))
        if info.data.get("endpoint_public_access") and not value:
            raise problem("needs at least one range while endpointPublicAccess is true")
        open_to_all = open_to_internet(value) and info.data.get("endpoint_public_access")
        if open_to_all and info.data.get("production"):
            raise problem(
                "these ranges together cover every IPv4 address, which opens the API endpoint to "
                "the internet, not allowed in production; list your CI and VPN egress ranges or "
                "set endpointPublicAccess to false"
            )
        return value

    @field_validator("cluster_log_types")
    @classmethod
    def _unique_log_types(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise problem("lists a log type twice")
        return value

    @field_validator("admin_principal_arns", "read_only_principal_arns")
    @classmethod
    def _principals(cls, value: list[str], info: ValidationInfo) -> list[str]:
        malformed = [arn for arn in value if not IAM_PRINCIPAL_PATTERN.fullmatch(arn)]
        if malformed:
            raise problem(
                "not IAM role or user ARNs (arn:aws:iam::<account>:role/<name>): {arns}",
                arns=", ".join(malformed),
            )
        if len(set(value)) != len(value):
            raise problem("lists a principal twice")
        both = set(value) & set(info.data.get("admin_principal_arns") or [])
        if info.field_name == "read_only_principal_arns" and both:
            raise problem("also listed as admin: {arns}", arns=", ".join(sorted(both)))
        return value

    # --- compute ---------------------------------------------------------------------------------

    @field_validator("compute_mode")
    @classmethod
    def _compute_needs_egress(cls, value: str, info: ValidationInfo) -> str:
        if value == "karpenter" and _without_egress(info):
            raise problem(
                "karpenter needs internet egress: its controller image is on public.ecr.aws, "
                "which has no VPC endpoint, and natMode none gives the nodes no egress; use "
                "natMode single (or per_az, instance)"
            )
        if value == "auto" and _without_egress(info):
            # The private-cluster endpoints (args/endpoints.py) are reasoned for managed node
            # groups, whose bootstrap data carries the API endpoint and certificate. No source
            # was found that says what Auto Mode's managed instances call at boot without
            # egress (EKS user guide: private-clusters.adoc does not mention Auto Mode, nor do
            # the automode/ pages, auto-networking.adoc included; searched 2026-12), so the
            # combination is refused rather than shipped unverified.
            raise problem(
                "Auto Mode with natMode none is not supported: no AWS source says which VPC "
                "endpoints Auto Mode nodes need without internet egress; use computeMode managed "
                "(fixed-size node groups) or a natMode with egress (single, per_az, instance)"
            )
        return value

    @field_validator("karpenter")
    @classmethod
    def _karpenter_only_in_its_mode(
        cls, value: KarpenterArgs | None, info: ValidationInfo
    ) -> KarpenterArgs | None:
        mode = info.data.get("compute_mode")
        if value is not None and mode is not None and mode != "karpenter":
            raise problem(
                "is only used with computeMode karpenter (computeMode is {mode})", mode=mode
            )
        pinned = value is not None and value.ami_pinned
        if mode == "karpenter" and info.data.get("production") and not pinned:
            # al2023@latest replaces every node at each AMI release (Karpenter drift).
            raise problem(
                "production needs a pinned node AMI: set karpenter.amiAlias to al2023@vYYYYMMDD "
                "(a release of awslabs/amazon-eks-ami with AMIs for your Kubernetes version); "
                "al2023@latest replaces every node at each AMI release"
            )
        return value

    @field_validator("node_groups")
    @classmethod
    def _node_groups(cls, value: list[NodeGroupArgs], info: ValidationInfo) -> list[NodeGroupArgs]:
        mode = info.data.get("compute_mode")
        if mode == "auto":
            if value and value != _default_node_groups():
                raise problem("are not used with computeMode auto (Auto Mode brings its own nodes)")
            return []
        if not value:
            raise problem("needs at least one node group (CoreDNS and controllers run there)")
        _unique_names(value, "node group")
        version = info.data.get("kubernetes_version")
        skewed = [
            f"{g.name}: {g.ami_release_version}"
            for g in value
            if g.ami_release_version and not g.ami_release_version.startswith(f"{version}.")
        ]
        if version and skewed:
            # Nodes follow the control plane: a release of another minor is refused by EKS.
            raise problem(
                "AMI releases must be of Kubernetes {version}: {groups}",
                version=version,
                groups=", ".join(skewed),
            )
        if mode == "karpenter" and any(group.autoscaled for group in value[1:]):
            raise problem(
                "autoscaled groups besides the system group are not used with computeMode "
                "karpenter: Karpenter launches the capacity (the Cluster Autoscaler is for "
                "managed mode); drop autoscaled or the group"
            )
        hard = ("NoSchedule", "NoExecute")
        if all(any(taint.effect in hard for taint in group.taints) for group in value):
            raise problem(
                "every node group is tainted NoSchedule or NoExecute, so CoreDNS and the "
                "controllers have nowhere to run; leave at least one group untainted"
            )
        if sum(group.desired_size for group in value) == 0:
            raise problem(
                "no node group starts with a node (desiredSize 0 everywhere): CoreDNS would wait "
                "DEGRADED until its addon times out, and nothing scales the groups up"
            )
        return value

    @field_validator("node_groups")
    @classmethod
    def _autoscaler_needs_egress(
        cls, value: list[NodeGroupArgs], info: ValidationInfo
    ) -> list[NodeGroupArgs]:
        autoscaled = [g.name for g in value if g.autoscaled]
        if info.data.get("compute_mode") == "managed" and autoscaled and _without_egress(info):
            # EKS user guide, private clusters: the Cluster Autoscaler needs the autoscaling and
            # sts endpoints and --aws-use-static-instance-list=true; its image is on
            # registry.k8s.io (parts.cluster_autoscaler), like metrics-server's (refused too).
            raise problem(
                "autoscaled groups ({groups}) get the Cluster Autoscaler, whose image is on "
                "registry.k8s.io and whose autoscaling API has no endpoint in a private "
                "cluster: with natMode none nothing would scale them; set autoscaled to false "
                "(fixed sizes) or use a natMode with egress",
                groups=", ".join(autoscaled),
            )
        return value

    @field_validator("observability", "metrics_server")
    @classmethod
    def _battery_needs_egress(cls, value: bool, info: ValidationInfo) -> bool:
        if value and _without_egress(info):
            why = NEEDS_EGRESS[str(info.field_name)]
            raise problem("{why}; use a natMode with egress", why=why)
        return value

    @field_validator("load_balancer_controller")
    @classmethod
    def _controller_needs_egress(
        cls, value: LoadBalancerControllerArgs, info: ValidationInfo
    ) -> LoadBalancerControllerArgs:
        auto = info.data.get("compute_mode") == "auto"  # Auto Mode's own controller is AWS's
        if value.enabled and not auto and _without_egress(info):
            raise problem(
                "the controller's image is on public.ecr.aws, which has no VPC endpoint, and "
                "natMode none gives the nodes no egress: set loadBalancerController.enabled to "
                "false (the Service then gets the in-tree NLB) or use a natMode with egress"
            )
        return value

    @field_validator("workload")
    @classmethod
    def _workload_replicas(cls, value: WorkloadArgs, info: ValidationInfo) -> WorkloadArgs:
        if info.data.get("production") and value.enabled and value.replicas < 2:
            raise problem("production needs workload.replicas of at least 2 (one pod is an outage)")
        exposure = _exposure_problem(value, info)
        if exposure:
            raise problem("{problem}", problem=exposure)
        region = info.data.get("region")
        if value.enabled and value.domain and region and region not in ELB_ALIAS_ZONE_REGIONS:
            raise problem(
                "workload.domain needs an alias record to the load balancer, whose Route 53 zone "
                "the AWS provider looks up in a table without {region} (args/regions.py "
                "ELB_ALIAS_ZONE_REGIONS; the lookup fails with 'unsupported AWS Region'); leave "
                "domain empty here and point a CNAME at the appUrl output yourself",
                region=region,
            )
        if value.enabled and value.is_podinfo and _without_egress(info):
            raise problem(
                "the sample app's image is on ghcr.io, which nodes cannot reach with natMode "
                "none (only AWS services behind VPC endpoints are); set workload.enabled to "
                "false, use a chart whose images are in this region's ECR, or a natMode with egress"
            )
        return value

    @field_validator("fargate_profiles")
    @classmethod
    def _fargate_profiles(
        cls, value: list[FargateProfileArgs], info: ValidationInfo
    ) -> list[FargateProfileArgs]:
        if value and info.data.get("compute_mode") == "auto":
            raise problem("are not used with computeMode auto")
        _unique_names(value, "Fargate profile")
        return value

    @field_validator("gpu")
    @classmethod
    def _gpu(cls, value: GpuArgs, info: ValidationInfo) -> GpuArgs:
        mode = info.data.get("compute_mode")
        if value.node_pool and mode == "managed":
            raise problem(
                "gpu.nodePool needs computeMode karpenter or auto; with managed node groups, add "
                "a group with an NVIDIA amiType (such as AL2023_x86_64_NVIDIA) and minSize 0"
            )
        allowed = auto_mode_gpu_families()
        outside = [family for family in value.instance_families if family not in allowed]
        if value.node_pool and mode == "auto" and outside:
            # Auto Mode launches only the families its user guide lists (automode-learn-instances).
            raise problem(
                "gpu.instanceFamilies lists {outside}, which EKS Auto Mode does not launch (its "
                "GPU NodePool would never get a node); with computeMode auto use {allowed}",
                outside=", ".join(outside),
                allowed=", ".join(allowed),
            )
        groups = info.data.get("node_groups") or []
        gpu_groups = [g for g in groups if g.is_gpu] if mode != "auto" else []
        if value.smoke_test and not value.node_pool:
            running = [g for g in gpu_groups if g.desired_size > 0 or g.autoscaled]
            if not running:
                raise problem(
                    "gpu.smokeTest needs GPU capacity that can start: gpu.nodePool (karpenter, "
                    "auto), or a node group with an NVIDIA amiType and desiredSize of at least 1 "
                    "or autoscaled true"
                )
        plugin = device_plugin_needed(str(mode), groups, value.node_pool)
        if (plugin or value.smoke_test) and _without_egress(info):
            raise problem(
                "the NVIDIA device plugin and the smoke test's images are on nvcr.io, which "
                "nodes cannot reach with natMode none; use a natMode with egress"
            )
        return value

    # --- derived values --------------------------------------------------------------------------

    def component_args(self) -> EksPlatformArgs:
        """These arguments in the form ``EksPlatform`` takes (snake_case keys, plain values)."""
        return cast("EksPlatformArgs", self.model_dump())

    @property
    def uses_existing_vpc(self) -> bool:
        """True when the stack brings its own VPC."""
        return bool(self.existing_vpc_id)


NEEDS_EGRESS = {
    "observability": "the CloudWatch agent publishes to the monitoring API, which is not among "
    "the private cluster's endpoints",
    "metrics_server": "metrics-server's image is on registry.k8s.io, which nodes cannot reach "
    "with natMode none (set metricsServer to false)",
}
"""Batteries that cannot work in a private cluster (natMode none), and why."""


def _exposure_problem(workload: WorkloadArgs, info: ValidationInfo) -> str | None:
    """How the app is exposed needs something this stack does not have."""
    if not workload.enabled:
        return None
    controller = info.data.get("load_balancer_controller")
    auto = info.data.get("compute_mode") == "auto"
    in_tree = not auto and controller is not None and not controller.enabled
    if workload.exposure == "alb" and in_tree:
        return (
            "workload.exposure alb needs the AWS Load Balancer Controller (it turns the Ingress "
            "into an ALB): set loadBalancerController.enabled to true, or use computeMode auto"
        )
    if workload.https and in_tree:
        return (
            "HTTPS (workload.domain or workload.tls.certificateArn) needs the AWS Load Balancer "
            "Controller or computeMode auto; the in-tree NLB this stack would get has no TLS "
            "listener support here"
        )
    # A brought VPC's public subnets are the internet-facing load balancer's (platform.py
    # load_balancer_subnets); an ALB needs subnets in at least two zones (ELB
    # CreateLoadBalancer; controller v3.5.0 pkg/networking/subnet_resolver.go:502,
    # validateSubnetsMinimalCount). The private list always has two.
    public = info.data.get("existing_public_subnet_ids") or []
    if (
        workload.exposure == "alb"
        and workload.scheme == "internet-facing"
        and info.data.get("existing_vpc_id")
        and len(public) == 1
    ):
        return (
            f"an internet-facing ALB goes into existingPublicSubnetIds ({public[0]}) and needs "
            "public subnets in at least two zones: list two or more, or use exposure nlb or "
            "scheme internal"
        )
    return None


def _without_egress(info: ValidationInfo) -> bool:
    """natMode none on a VPC the platform creates: private subnets reach only VPC endpoints."""
    return info.data.get("nat_mode") == "none" and not info.data.get("existing_vpc_id")


def _unique_names(items: list[NodeGroupArgs] | list[FargateProfileArgs], what: str) -> None:
    names = [item.name for item in items]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise problem("duplicate {what} names: {names}", what=what, names=", ".join(duplicates))


def _today(info: ValidationInfo) -> datetime.date:
    """The day support windows are judged on: ``today`` in the context (tests), else the clock."""
    return (info.context or {}).get("today") or today()


def _offered_zones(info: ValidationInfo) -> list[str] | None:
    context = info.context or {}
    return context.get("offered_zones")


# --- reporting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    """One invalid setting: where it is, what it was and what is allowed."""

    key: str
    value: Any
    message: str

    def __str__(self) -> str:
        shown = repr(self.value)
        if len(shown) > 200:  # a huge value would bury the message
            shown = f"{shown[:160]}... ({len(shown)} characters)"
        return f"{self.key} = {shown}: {self.message}"


class ConfigError(ValueError):
    """Invalid platform arguments; ``problems`` lists every one found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid platform configuration ({len(problems)} problem(s)):\n{lines}")


_MISSING = "<not set>"


def _alias(part: Any) -> Any:
    """Pydantic locates errors in defaults by field name; config users know the camelCase key."""
    models = (PlatformArgs, NodeGroupArgs, FargateProfileArgs, TaintArgs, FargateSelectorArgs,
              WorkloadArgs, LoadBalancerControllerArgs, KarpenterArgs)  # fmt: skip
    for model in models:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is not None and field.alias:
            return field.alias
    return part


def _field_name(part: Any) -> Any:
    """The snake_case argument name for a config key (``nodeGroups`` -> ``node_groups``)."""
    models = (PlatformArgs, NodeGroupArgs, FargateProfileArgs, TaintArgs, FargateSelectorArgs,
              WorkloadArgs, LoadBalancerControllerArgs, KarpenterArgs)  # fmt: skip
    for model in models:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return name
    return part


def _key_path(location: tuple[Any, ...], namespace: str, snake: bool = False) -> str:
    path = ""
    for part in map(_field_name if snake else _alias, location):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if ":" in path.split(".")[0].split("[")[0]:
        return path
    return f"{namespace}:{path}" if namespace else path


def _model_at(location: tuple[Any, ...]) -> type[BaseModel]:
    """The model that owns the key at ``location`` (for listing its known keys)."""
    model: type[BaseModel] = PlatformArgs
    nested = {"nodeGroups": NodeGroupArgs, "fargateProfiles": FargateProfileArgs,
              "taints": TaintArgs, "selectors": FargateSelectorArgs, "workload": WorkloadArgs,
              "tls": TlsArgs, "gpu": GpuArgs,
              "loadBalancerController": LoadBalancerControllerArgs,
              "karpenter": KarpenterArgs}  # fmt: skip
    for part in location:
        model = nested.get(_alias(part), model)
    return model


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def problems_from_validation_error(
    error: ValidationError, namespace: str, snake: bool = False
) -> list[ConfigProblem]:
    """Turn pydantic's errors into ``ConfigProblem``s named by stack config key (``snake``: by
    Python argument name, as a caller of the component API spells them)."""
    problems = []
    for detail in error.errors(include_url=False):
        location = tuple(detail["loc"])
        value = detail.get("input", _MISSING)
        if isinstance(value, BaseModel):  # a default the user left out: show it as config reads
            value = value.model_dump(by_alias=True, mode="json")
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            known = _known_keys(_model_at(location[:-1]))
            guess = difflib.get_close_matches(str(location[-1]), known, n=1)
            message = "unknown key" + (f"; did you mean {guess[0]}?" if guess else "")
            message += f" (known keys: {', '.join(known)})"
        elif detail["type"] == "missing":
            value = _MISSING
            message = "is required"
        problems.append(ConfigProblem(_key_path(location, namespace, snake), value, message))
    return problems


def validate_platform_args(
    values: dict[str, Any],
    *,
    namespace: str = "",
    offered_zones: list[str] | None = None,
    today: datetime.date | None = None,
    component_name: str | None = None,
    snake_keys: bool = False,
) -> PlatformArgs:
    """Validate ``values`` (camelCase or snake_case keys); ``ConfigError`` lists all problems.

    ``offered_zones`` are the region's zones that need no opt-in; with them, zone counts and
    names are checked against the region. ``namespace`` (the project name) prefixes keys in
    messages. ``component_name`` (the EksPlatform's name) bounds the node group names, which
    logical names, and so physical ones, grow from.
    """
    try:
        context = {
            # The region is known before validation (certificates must be of it).
            "region": values.get("region") or values.get("aws:region"),
            "offered_zones": offered_zones,
            "today": today,
            "component_name": component_name,
        }
        return PlatformArgs.model_validate(values, context=context)
    except ValidationError as error:
        raise ConfigError(problems_from_validation_error(error, namespace, snake_keys)) from None
