"""The region's availability zones, and turning a zone count into zone names."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .args.config import PlatformArgs, validate_platform_args


def offered_zones(opts: pulumi.InvokeOptions | None = None) -> list[str]:
    """Zones of the provider's region that are available and need no opt-in (no Local Zones)."""
    result = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        opts=opts,
    )
    return sorted(result.names)


def with_resolved_zones(args: PlatformArgs, offered: list[str]) -> PlatformArgs:
    """``args`` with zone names: the given ones, or the first ``availability_zone_count``."""
    if args.uses_existing_vpc or args.availability_zones:
        return args
    return args.model_copy(update={"availability_zones": offered[: args.availability_zone_count]})


def validated_with_zones(
    values: dict[str, object],
    offered: list[str] | None,
    namespace: str = "",
    component_name: str | None = None,
    snake_keys: bool = False,
) -> PlatformArgs:
    """Validate against the region's ``offered`` zones (None: no lookup was made) and name the
    zones from that same list, so what was checked is what gets built."""
    args = validate_platform_args(
        values,
        namespace=namespace,
        offered_zones=offered,
        component_name=component_name,
        snake_keys=snake_keys,
    )
    return with_resolved_zones(args, offered or [])
