"""Reading stack config into ``PlatformArgs``: the only place that knows about Pulumi config."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from .args.config import PlatformArgs
from .args.regions import SUPPORTED_REGIONS
from .platform import default_cluster_name, default_platform_name
from .zones import offered_zones, validated_with_zones


def project_config(namespace: str) -> dict[str, Any]:
    """Every stack config value in ``namespace``, keyed without it; JSON lists and maps decoded.

    Pulumi hands a program its config as strings (structured values JSON-encoded). There is no
    public call that lists all keys, which unknown-key detection needs, so this reads the same two
    sources ``pulumi.Config`` reads, with the same precedence: values set in-process, then the
    ``PULUMI_CONFIG`` environment the language host provides.
    """
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{namespace}:"
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        if not key.startswith(prefix):
            continue
        value: Any = raw
        if isinstance(raw, str) and raw[:1] in "[{":
            try:
                value = json.loads(raw)
            except (ValueError, RecursionError):
                # Not JSON, nested past the parser's depth, or a number past Python's digit
                # limit: left as text, so validation names the key and says what it expected.
                value = raw
        values[key[len(prefix) :]] = value
    return values


def load_platform_args() -> PlatformArgs:
    """Validated ``PlatformArgs`` for the current stack; raises ``ConfigError`` with every problem.

    Registers no resource. It calls ``aws:getAvailabilityZones`` (when the region is well formed)
    so that zone counts and names are checked against the region before anything is created.
    """
    namespace = pulumi.get_project()
    values = project_config(namespace)
    region = pulumi.Config("aws").get("region")
    if region is not None:
        values["aws:region"] = region
    offered = offered_zones() if region in SUPPORTED_REGIONS else None
    args = validated_with_zones(values, offered, namespace, default_platform_name())
    return args.model_copy(update={"cluster_name": args.cluster_name or default_cluster_name()})
