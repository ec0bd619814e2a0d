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

import difflib
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from typing_extensions import LiteralString

from .cidr import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN, CidrPlanError, plan_subnets

NatMode = Literal["none", "single", "per_az"]
CapacityType = Literal["ON_DEMAND", "SPOT"]

MIN_ZONES = 2
MAX_ZONES = 4

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# RFC 1918 plus the RFC 6598 shared range, which EKS documents for VPC secondary CIDRs.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9][0-9]?$")
ZONE_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9][0-9]?[a-z]$")
VPC_ID_PATTERN = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
SUBNET_ID_PATTERN = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")
# EKS CreateCluster: 1-100 letters, digits, hyphens and underscores, starting alphanumeric.
CLUSTER_NAME_PATTERN = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
NODE_GROUP_NAME_PATTERN = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")


def _problem(message: LiteralString, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("platform_config", message, context or None)


def _resource_name(value: str, pattern: re.Pattern[str], max_length: int) -> str:
    if not pattern.match(value):
        raise _problem(
            "must be 1-{max_length} letters, digits, '-' or '_', starting with a letter or digit",
            max_length=max_length,
        )
    return value


_MODEL_CONFIG = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    extra="forbid",
    frozen=True,
    use_attribute_docstrings=True,
    # Defaults go through the validators too: the default zone count must fit the region, and
    # an existing VPC with its subnet lists left out must be reported.
    validate_default=True,
)


class NodeGroupArgs(BaseModel):
    """Sizing of one managed node group (validated now, built with the cluster)."""

    model_config = _MODEL_CONFIG

    name: str
    """Node group name, unique within the cluster."""
    instance_types: list[str] = Field(default_factory=lambda: ["t4g.medium"], min_length=1)
    """EC2 instance types the group may launch."""
    capacity_type: CapacityType = "ON_DEMAND"
    """ON_DEMAND or SPOT."""
    min_size: int = Field(default=1, ge=0)
    """Minimum number of nodes."""
    desired_size: int = Field(default=2, ge=0)
    """Number of nodes at creation."""
    max_size: int = Field(default=3, ge=1)
    """Maximum number of nodes."""
    disk_size_gib: int = Field(default=20, ge=8, le=16384)
    """Root volume size in GiB."""

    @field_validator("name")
    @classmethod
    def _name_syntax(cls, value: str) -> str:
        return _resource_name(value, NODE_GROUP_NAME_PATTERN, 63)

    @field_validator("desired_size")
    @classmethod
    def _desired_not_below_min(cls, value: int, info: ValidationInfo) -> int:
        min_size = info.data.get("min_size")
        if min_size is not None and value < min_size:
            raise _problem("must be at least minSize ({min_size})", min_size=min_size)
        return value

    @field_validator("max_size")
    @classmethod
    def _max_not_below_others(cls, value: int, info: ValidationInfo) -> int:
        floor = max(info.data.get("min_size") or 0, info.data.get("desired_size") or 0)
        if value < floor:
            raise _problem("must be at least minSize and desiredSize ({floor})", floor=floor)
        return value


def _default_node_groups() -> list[NodeGroupArgs]:
    return [NodeGroupArgs(name="general")]


class PlatformArgs(BaseModel):
    """Everything the platform needs, validated; built from keyword arguments or stack config."""

    model_config = _MODEL_CONFIG

    region: str = Field(alias="aws:region")
    """AWS region of the stack (stack config key ``aws:region``)."""
    production: bool = False
    """Marks the stack as production: stricter validation and protection in later components."""
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
    availability_zone_count: int = 3
    """Number of zones to spread over (2-4) when availabilityZones is empty."""
    private_subnet_prefix_length: int = 19
    """Prefix length of each private subnet; large, since pods take VPC addresses."""
    public_subnet_prefix_length: int = 24
    """Prefix length of each public subnet."""
    vpc_cidr: str = "10.0.0.0/16"
    """VPC IPv4 range; must be private (RFC 1918 or 100.64.0.0/10)."""
    nat_mode: NatMode = "single"
    """Egress for private subnets: none, single (one NAT gateway) or per_az (one per zone, HA)."""
    flow_logs_retention_days: int = 90
    """Retention of the VPC flow log group, in days (a CloudWatch Logs retention value)."""

    node_groups: list[NodeGroupArgs] = Field(default_factory=_default_node_groups)
    """Managed node groups; sizing is validated now, the groups are built with the cluster."""

    # --- single-field rules -------------------------------------------------------------------

    @field_validator("region")
    @classmethod
    def _region_syntax(cls, value: str) -> str:
        if not REGION_PATTERN.match(value):
            raise _problem("must be an AWS region name such as us-west-2")
        return value

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name_syntax(cls, value: str) -> str:
        return _resource_name(value, CLUSTER_NAME_PATTERN, 100) if value else value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_private(cls, value: str, info: ValidationInfo) -> str:
        try:
            if "/" not in value:
                raise ValueError("no prefix length")
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise _problem(
                "must be an IPv4 network such as 10.0.0.0/16 ({error})", error=str(error)
            ) from None
        if not any(network.subnet_of(allowed) for allowed in PRIVATE_RANGES):
            raise _problem(
                "must lie in a private range ({ranges})",
                ranges=", ".join(str(allowed) for allowed in PRIVATE_RANGES),
            )
        if not SUBNET_PREFIX_MIN <= network.prefixlen <= SUBNET_PREFIX_MAX:
            raise _problem("prefix length must be between /16 and /28 (AWS VPC limits)")
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
            raise _problem("too small: {error}", error=str(error)) from None

    @field_validator("private_subnet_prefix_length", "public_subnet_prefix_length")
    @classmethod
    def _subnet_prefix_range(cls, value: int) -> int:
        if not SUBNET_PREFIX_MIN <= value <= SUBNET_PREFIX_MAX:
            raise _problem("must be between 16 and 28 (AWS subnet size limits)")
        return value

    @field_validator("flow_logs_retention_days")
    @classmethod
    def _retention_allowed(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise _problem(
                "must be one of {allowed}",
                allowed=", ".join(str(days) for days in LOG_RETENTION_DAYS),
            )
        return value

    # --- bring your own VPC --------------------------------------------------------------------

    @field_validator("existing_vpc_id")
    @classmethod
    def _vpc_id_syntax(cls, value: str) -> str:
        if value and not VPC_ID_PATTERN.match(value):
            raise _problem("must be a VPC id such as vpc-0123456789abcdef0")
        return value

    @field_validator("existing_public_subnet_ids", "existing_private_subnet_ids")
    @classmethod
    def _existing_subnets(cls, value: list[str], info: ValidationInfo) -> list[str]:
        malformed = [subnet for subnet in value if not SUBNET_ID_PATTERN.match(subnet)]
        if malformed:
            raise _problem("not subnet ids: {ids}", ids=", ".join(malformed))
        if len(set(value)) != len(value):
            raise _problem("lists a subnet twice")
        vpc_id = info.data.get("existing_vpc_id")
        if vpc_id is None:  # the VPC id itself was invalid and is reported already
            return value
        if not vpc_id and value:
            raise _problem("is only used together with existingVpcId")
        if vpc_id:
            if info.field_name == "existing_private_subnet_ids":
                if len(value) < MIN_ZONES:
                    raise _problem("needs at least two private subnets in different zones")
                overlap = set(value) & set(info.data.get("existing_public_subnet_ids") or [])
                if overlap:
                    raise _problem("also listed as public: {ids}", ids=", ".join(sorted(overlap)))
            elif not value:
                raise _problem("needs at least one public subnet when existingVpcId is set")
        return value

    # --- zones and the subnet plan (skipped for an existing VPC) --------------------------------

    @field_validator("availability_zones")
    @classmethod
    def _explicit_zones(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value or info.data.get("existing_vpc_id"):
            return value
        if not MIN_ZONES <= len(value) <= MAX_ZONES:
            raise _problem("must list between 2 and 4 zones")
        if len(set(value)) != len(value):
            raise _problem("lists a zone twice")
        region = info.data.get("region")
        offered = _offered_zones(info)
        foreign = [
            zone
            for zone in value
            if not ZONE_PATTERN.match(zone)
            or (region and not zone.startswith(region))
            or (offered is not None and zone not in offered)
        ]
        if foreign:
            allowed = ", ".join(offered) if offered else f"zones of {region}"
            raise _problem(
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
            raise _problem("must be between 2 and 4")
        offered = _offered_zones(info)
        if offered is not None and value > len(offered):
            raise _problem(
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
            raise _problem(
                "public subnets (/{public}) must not be larger than private ones (/{private}); "
                "pods take their addresses from the private subnets",
                public=value,
                private=private_prefix,
            )
        return value

    @field_validator("node_groups")
    @classmethod
    def _unique_node_group_names(cls, value: list[NodeGroupArgs]) -> list[NodeGroupArgs]:
        names = [group.name for group in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise _problem("duplicate node group names: {names}", names=", ".join(duplicates))
        return value

    # --- derived values --------------------------------------------------------------------------

    @property
    def uses_existing_vpc(self) -> bool:
        """True when the stack brings its own VPC."""
        return bool(self.existing_vpc_id)


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
        return f"{self.key} = {self.value!r}: {self.message}"


class ConfigError(ValueError):
    """Invalid platform arguments; ``problems`` lists every one found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid platform configuration ({len(problems)} problem(s)):\n{lines}")


_MISSING = "<not set>"


def _alias(part: Any) -> Any:
    """Pydantic locates errors in defaults by field name; config users know the camelCase key."""
    for model in (PlatformArgs, NodeGroupArgs):
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is not None and field.alias:
            return field.alias
    return part


def _key_path(location: tuple[Any, ...], namespace: str) -> str:
    path = ""
    for part in map(_alias, location):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if ":" in path.split(".")[0].split("[")[0]:
        return path
    return f"{namespace}:{path}" if namespace else path


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def problems_from_validation_error(error: ValidationError, namespace: str) -> list[ConfigProblem]:
    """Turn pydantic's errors into ``ConfigProblem``s named by stack config key."""
    problems = []
    for detail in error.errors(include_url=False):
        location = tuple(detail["loc"])
        value = detail.get("input", _MISSING)
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            parent = (
                NodeGroupArgs if any(isinstance(part, int) for part in location) else PlatformArgs
            )
            known = _known_keys(parent)
            guess = difflib.get_close_matches(str(location[-1]), known, n=1)
            message = "unknown key" + (f"; did you mean {guess[0]}?" if guess else "")
            message += f" (known keys: {', '.join(known)})"
        elif detail["type"] == "missing":
            value = _MISSING
            message = "is required"
        problems.append(ConfigProblem(_key_path(location, namespace), value, message))
    return problems


def validate_platform_args(
    values: dict[str, Any],
    *,
    namespace: str = "",
    offered_zones: list[str] | None = None,
) -> PlatformArgs:
    """Validate ``values`` (camelCase or snake_case keys); ``ConfigError`` lists all problems.

    ``offered_zones`` are the region's zones that need no opt-in; with them, zone counts and
    names are checked against the region. ``namespace`` (the project name) prefixes keys in
    messages.
    """
    try:
        return PlatformArgs.model_validate(values, context={"offered_zones": offered_zones})
    except ValidationError as error:
        raise ConfigError(problems_from_validation_error(error, namespace)) from None
