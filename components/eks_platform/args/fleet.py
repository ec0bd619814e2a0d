"""Arguments of a fleet: one platform per region behind one name.

Each region's settings are a platform stack's keys (``vpcCidr``, ``nodeGroups``, ...) and are
validated by the same ``PlatformArgs`` rules; problems are keyed by region and reported all at
once, together with the fleet's own (overlapping VPC ranges, the global name).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import ConfigError, ConfigProblem, PlatformArgs, validate_platform_args
from .rules import COMPONENT_NAME_MAX, domain_problem, hosted_zone_problem, tags_problem

MAX_HEALTH_CHECK_TAGS = 10
"""Route 53 ChangeTagsForResource takes at most 10 tags (API reference, AddTags: 'Maximum
number of 10 items'); terraform-provider-aws sends a health check's tags in one call (helper
report, not re-read here)."""
HEALTH_CHECK_INTERVALS = (10, 30)
"""Route 53 RequestInterval: 10 (fast, priced higher) or 30 seconds (health_check.go,
request_interval IntInSlice{10, 30}); FailureThreshold 1-10 (botocore route53 service-2.json)."""
FLEET_KEYS = ("regions", "domain", "hostedZoneId", "tags", "healthCheckInterval",
              "healthCheckFailureThreshold", "drainRegions")  # fmt: skip


@dataclass(frozen=True)
class FleetArgs:
    """A validated fleet: the regions' platform arguments, in the order given, and the name."""

    regions: dict[str, PlatformArgs]
    """Region -> that region's platform arguments."""
    domain: str = ""
    """The one name for users (latency records to every region); empty: regional URLs only."""
    hosted_zone_id: str = ""
    """Route 53 hosted zone holding domain."""
    tags: Mapping[str, str] | None = None
    """Tags on every resource of every region: the AWS providers' default tags, and each
    platform's tags (so load balancers and nodes the clusters make carry them too)."""
    health_check_interval: int = 30
    """Seconds between Route 53 health checks of each region."""
    health_check_failure_threshold: int = 3
    """Failed checks in a row before a region stops receiving traffic."""
    drain_regions: tuple[str, ...] = ()
    """Regions the name no longer answers with (no latency record, no health check): traffic
    leaves them within the record's TTL, before they are removed or worked on."""


def platform_name(fleet: str, region: str) -> str:
    """The EksPlatform of ``region``: never from config beyond the region, so stable."""
    return f"{fleet}-{region}"


def _region_values(
    raw: Any,
    index: int,
    *,
    domain: str,
    zone: str,
    tags: Mapping[str, str],
    problems: list[ConfigProblem],
    ns: str,
) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("region"), str):
        problems.append(
            ConfigProblem(f"{ns}regions[{index}]", raw, "must be an object with a region")
        )
        return None
    values = {key: value for key, value in raw.items() if key != "region"}
    region = str(raw["region"])
    values["aws:region"] = region
    # The shared tags go on what each region's cluster makes too (load balancers, nodes), which
    # the providers' default tags do not reach; a region's own tags win.
    own = values.get("tags") or {}
    values["tags"] = {**tags, **own} if isinstance(own, Mapping) else own
    if domain:
        workload = values.get("workload") or {}
        if not isinstance(workload, Mapping):
            # The platform's own validation reports it (keyed regions[<region>].workload).
            return region, values
        workload = dict(workload)
        problems += [
            ConfigProblem(
                f"{ns}regions[{region}].workload.{key}",
                workload[key],
                "is the fleet's to set (its domain and hostedZoneId); leave it out",
            )
            for key in ("domain", "hostedZoneId", "sharedName")
            if key in workload
        ]
        workload.update(domain=domain, hostedZoneId=zone, sharedName=True)
        values["workload"] = workload
    return region, values


def validate_fleet_args(values: Mapping[str, Any], *, name: str, namespace: str = "") -> FleetArgs:
    """Every region's platform settings and the fleet's own keys; ``ConfigError`` lists all."""
    ns = f"{namespace}:" if namespace else ""
    problems: list[ConfigProblem] = [
        ConfigProblem(
            f"{ns}{key}", values[key], f"unknown key (known keys: {', '.join(FLEET_KEYS)})"
        )
        for key in values
        if key not in FLEET_KEYS
    ]
    domain = values.get("domain") or ""
    zone = values.get("hostedZoneId") or ""
    problems += _name_problems(domain, zone, ns)
    # Stack config arrives as text: "10" is 10 (as pydantic reads the platform's numbers).
    interval = _whole(values.get("healthCheckInterval", 30))
    if interval not in HEALTH_CHECK_INTERVALS or isinstance(interval, bool):
        problems.append(
            ConfigProblem(f"{ns}healthCheckInterval", interval, "must be 10 or 30 (seconds)")
        )
    threshold = _whole(values.get("healthCheckFailureThreshold", 3))
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= 10:
        problems.append(
            ConfigProblem(f"{ns}healthCheckFailureThreshold", threshold, "must be 1-10")
        )
    tags = values.get("tags", {})
    if found := _fleet_tags_problem(tags, bool(domain)):
        problems.append(ConfigProblem(f"{ns}tags", tags, found))
        tags = {}
    regions_raw = values.get("regions")
    regions: dict[str, PlatformArgs] = {}
    if not isinstance(regions_raw, list) or not regions_raw:
        problems.append(ConfigProblem(f"{ns}regions", regions_raw, "must list at least one region"))
        regions_raw = []
    listed = {r["region"] for r in regions_raw if isinstance(r, Mapping) and "region" in r}
    for index, raw in enumerate(regions_raw):
        found_values = _region_values(
            raw, index, domain=str(domain), zone=str(zone), tags=tags, problems=problems, ns=ns
        )
        if found_values is None:
            continue
        region, region_values = found_values
        key = f"{ns}regions[{region}]"
        if region in regions or any(p.key == key for p in problems):
            problems.append(ConfigProblem(key, region, "is listed twice; one platform per region"))
            continue
        component = platform_name(name, region)
        if len(component) > COMPONENT_NAME_MAX:
            problems.append(
                ConfigProblem(
                    "name", name, f"with '-{region}' is {len(component)} characters; platform "
                    f"names have at most {COMPONENT_NAME_MAX}: shorten the fleet's name",
                )
            )  # fmt: skip
            continue
        try:
            regions[region] = validate_platform_args(
                region_values, namespace=key, component_name=component
            )
        except ConfigError as error:
            problems += [_in_region(problem, key) for problem in error.problems]
    problems += _overlaps(regions, ns)
    drain = values.get("drainRegions") or []
    problems += _drain_problems(drain, listed, bool(domain), f"{ns}drainRegions")
    if domain:
        for region, args in regions.items():
            problems += _health_checkable(region, args, ns)
    if problems:
        raise ConfigError(problems)
    return FleetArgs(
        regions=regions,
        domain=str(domain),
        hosted_zone_id=str(zone),
        tags=dict(tags),
        health_check_interval=int(interval),
        health_check_failure_threshold=int(threshold),
        drain_regions=tuple(drain),
    )


def _health_checkable(region: str, args: PlatformArgs, ns: str) -> list[ConfigProblem]:
    """What would make a region fail its Route 53 health check whatever its health: the checkers
    come from the internet, from Route 53's own ranges, over HTTPS."""
    workload = args.workload
    key = f"{ns}regions[{region}].workload"
    if not workload.enabled or workload.scheme != "internet-facing":
        return [
            ConfigProblem(
                key,
                workload.model_dump(by_alias=True, include={"enabled", "scheme"}),
                "the fleet's name needs an enabled, internet-facing app in every region "
                "(Route 53 health checkers reach it from the internet)",
            )
        ]
    problems = []
    if workload.source_ranges:
        problems.append(
            ConfigProblem(
                f"{key}.sourceRanges",
                list(workload.source_ranges),
                "must be empty in a fleet with a name: the load balancer would drop Route 53's "
                "health checkers (their addresses are not in your ranges), every check would "
                "fail and the region would get no traffic",
            )
        )
    if "TLS13-1-3" in workload.tls.ssl_policy:
        problems.append(
            ConfigProblem(
                f"{key}.tls.sslPolicy",
                workload.tls.ssl_policy,
                "allows TLS 1.3 only; Route 53 HTTPS health checks need the endpoint to support "
                "TLS 1.0, 1.1 or 1.2 (Route 53 API reference, HealthCheckConfig, Type): use a "
                "TLS13-1-2 policy such as ELBSecurityPolicy-TLS13-1-2-2021-06",
            )
        )
    return problems


def _fleet_tags_problem(tags: Any, named: bool) -> str | None:
    """Tags for every resource; with a name, few enough for the health checks too."""
    if found := tags_problem(tags):
        return found
    if named and len({*tags, "Name"}) > MAX_HEALTH_CHECK_TAGS:
        return (
            f"has {len(tags)} tags; with domain at most {MAX_HEALTH_CHECK_TAGS - 1}: the health "
            f"checks carry them and Name, and Route 53 takes at most {MAX_HEALTH_CHECK_TAGS} "
            "tags in one call (API reference, ChangeTagsForResource, AddTags)"
        )
    return None


def _name_problems(domain: Any, zone: Any, ns: str) -> list[ConfigProblem]:
    """``domain`` and ``hostedZoneId``: well formed, and both or neither."""
    problems = []
    if domain and (found := domain_problem(str(domain))):
        problems.append(ConfigProblem(f"{ns}domain", domain, found))
    if domain and not zone:
        problems.append(ConfigProblem(f"{ns}hostedZoneId", zone, "is required with domain"))
    if zone and (found := hosted_zone_problem(str(zone))):
        problems.append(ConfigProblem(f"{ns}hostedZoneId", zone, found))
    if zone and not domain:
        problems.append(ConfigProblem(f"{ns}hostedZoneId", zone, "needs domain, the fleet's name"))
    return problems


def _drain_problems(drain: Any, regions: set[str], named: bool, key: str) -> list[ConfigProblem]:
    """Drained regions: some of the fleet's, with a name to drain them from, never all."""
    if not drain:
        return []
    if not isinstance(drain, list) or not all(isinstance(r, str) for r in drain):
        return [ConfigProblem(key, drain, "must list region names")]
    if not named:
        return [ConfigProblem(key, drain, "needs domain: without a name there is nothing to drain")]
    unknown = [r for r in drain if r not in regions]
    if unknown:
        return [ConfigProblem(key, drain, f"{', '.join(unknown)} not among the regions")]
    if regions and regions <= set(drain):
        return [ConfigProblem(key, drain, "drains every region: the name would answer nothing")]
    return []


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _in_region(problem: ConfigProblem, key: str) -> ConfigProblem:
    """'eks-fleet:regions[eu-west-1]:vpcCidr' reads as regions[eu-west-1].vpcCidr."""
    if problem.key == "aws:region":
        return ConfigProblem(f"{key}.region", problem.value, problem.message)
    return ConfigProblem(
        problem.key.replace(f"{key}:", f"{key}.", 1), problem.value, problem.message
    )


def _overlaps(regions: dict[str, PlatformArgs], ns: str) -> list[ConfigProblem]:
    """VPC ranges of different regions must not overlap: peering and transit gateways route only
    between disjoint ranges (VPC peering guide, 'overlapping CIDR blocks')."""
    created = [
        (region, ipaddress.ip_network(args.vpc_cidr))
        for region, args in regions.items()
        if not args.uses_existing_vpc
    ]
    problems = []
    for i, (region, network) in enumerate(created):
        for other, other_network in created[:i]:
            if network.overlaps(other_network):
                problems.append(
                    ConfigProblem(
                        f"{ns}regions[{region}].vpcCidr",
                        str(network),
                        f"overlaps {other}'s {other_network}: give each region its own range "
                        "(such as 10.0.0.0/16, 10.1.0.0/16, ...) so they can be peered later",
                    )
                )
    return problems
