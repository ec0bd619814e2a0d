"""The region's availability zones, and turning a zone count into zone names."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .config import PlatformArgs


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
