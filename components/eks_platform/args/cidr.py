"""Subnet CIDR planning for the platform VPC.

Layout, chosen so that adding an availability zone later never moves an existing subnet:
private subnets are carved from the bottom of the VPC range (zone 0 first), public subnets
from the top (zone 0 last block). The two tiers grow towards each other; the plan fails
when they would meet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

# AWS accepts IPv4 subnet sizes from /16 to /28.
SUBNET_PREFIX_MIN = 16
SUBNET_PREFIX_MAX = 28


class CidrPlanError(ValueError):
    """The requested subnets do not fit into the VPC range."""


@dataclass(frozen=True)
class ZoneSubnets:
    """The public and private subnet of one availability zone."""

    zone: str
    """Availability zone name, e.g. ``us-west-2a``."""
    public_cidr: str
    """Public subnet range (load balancers, NAT gateways)."""
    private_cidr: str
    """Private subnet range (nodes and pods)."""


def plan_subnets(
    vpc_cidr: str,
    zones: Sequence[str],
    private_prefix_length: int,
    public_prefix_length: int,
) -> list[ZoneSubnets]:
    """One public and one private subnet per zone, non-overlapping, inside ``vpc_cidr``."""
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    for label, prefix in (("private", private_prefix_length), ("public", public_prefix_length)):
        if prefix < vpc.prefixlen:
            raise CidrPlanError(f"{label} subnets (/{prefix}) are larger than the VPC {vpc_cidr}")
    count = len(zones)
    private_size = 2 ** (32 - private_prefix_length)
    public_size = 2 ** (32 - public_prefix_length)
    private_end = int(vpc.network_address) + count * private_size
    public_start = int(vpc.broadcast_address) + 1 - count * public_size
    if private_end > public_start:
        needed = count * (private_size + public_size)
        raise CidrPlanError(
            f"{count} private /{private_prefix_length} and {count} public /{public_prefix_length} "
            f"subnets need {needed} addresses; {vpc_cidr} has {vpc.num_addresses}"
        )
    plan = []
    for index, zone in enumerate(zones):
        private = ipaddress.IPv4Network(
            (int(vpc.network_address) + index * private_size, private_prefix_length)
        )
        public = ipaddress.IPv4Network(
            (int(vpc.broadcast_address) + 1 - (index + 1) * public_size, public_prefix_length)
        )
        plan.append(ZoneSubnets(zone=zone, public_cidr=str(public), private_cidr=str(private)))
    return plan
