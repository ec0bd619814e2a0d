"""Pulumi components for an Amazon EKS platform: validated args, network, and an offline runner."""

from .args.cidr import CidrPlanError, ZoneSubnets, plan_subnets
from .args.config import (
    ConfigError,
    ConfigProblem,
    NodeGroupArgs,
    PlatformArgs,
    validate_platform_args,
)
from .parts.network import Network, NetworkArgs, NetworkRefs
from .platform import EksPlatform, common_tags, default_platform_name
from .stack_config import load_platform_args

__all__ = [
    "CidrPlanError",
    "ConfigError",
    "ConfigProblem",
    "EksPlatform",
    "Network",
    "NetworkArgs",
    "NetworkRefs",
    "NodeGroupArgs",
    "PlatformArgs",
    "ZoneSubnets",
    "common_tags",
    "default_platform_name",
    "load_platform_args",
    "plan_subnets",
    "validate_platform_args",
]
