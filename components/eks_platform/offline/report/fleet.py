"""The offline plan of a fleet: per region and in total, the resources, monthly cost, Kubernetes
version and its end of standard support, the add-on versions, and preflight findings; JSON and
a Mermaid drawing of the regions behind the global name.

``eks-platform-plan fleet <stack> [--project-dir fleet] [--format text|json|mermaid]``
``eks-platform-plan fleet <stack> --set ... --diff-against fleet-plan.json|GIT_REF``: what a real
update would do, region by region (the change forecast of one platform, split by region).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...args.fleet import platform_name
from ...args.versions import SUPPORT_WINDOWS
from ..change.diff import (
    PLAN_ERRORS,
    BaseUnavailableError,
    PlanDiff,
    base_plan,
    diff_plans,
    render_diff,
)
from ..cost.estimate import estimate_cost
from ..model.recorder import Registration
from ..model.run import (
    EXIT_ERROR,
    StackRun,
    add_check_arguments,
    add_stack_arguments,
    exit_status,
    parse_plan_arguments,
    run_stack,
)
from .plan import build_plan

FLEET = "eks-platform:index:Fleet"


@dataclass
class RegionPlan:
    region: str
    resources: int
    monthly_usd: float
    unpriced: list[str]
    kubernetes_version: str
    end_of_standard_support: str
    addons: dict[str, str]
    url: str
    findings: list[str] = field(default_factory=list)


@dataclass
class FleetPlan:
    stack: str
    fleet: str
    """The Fleet component's name: regions' resources are named ``<fleet>-<region>...``."""
    domain: str
    regions: list[RegionPlan]
    global_resources: int
    resource_records: list[dict[str, Any]] = field(default_factory=list)
    """Every resource as in the plan JSON contract (what ``--diff-against`` compares)."""
    findings: list[str] = field(default_factory=list)
    """Preflight findings on resources of no region (the name's provider, the fleet itself)."""

    @property
    def monthly_usd(self) -> float:
        return round(sum(r.monthly_usd for r in self.regions), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "stack": self.stack,
            "fleet": self.fleet,
            "domain": self.domain,
            "regions": [r.__dict__ for r in self.regions],
            "total": {
                "resources": sum(r.resources for r in self.regions) + self.global_resources,
                "monthly_usd": self.monthly_usd,
                "findings": sum(len(r.findings) for r in self.regions) + len(self.findings),
            },
            "findings": self.findings,
            "resources": self.resource_records,
            "cost": {"monthly_usd": self.monthly_usd},
        }


def _region_of(name: str, fleet: str, regions: Sequence[str]) -> str | None:
    """Every resource of a region is named ``<fleet>-<region>...`` (the platform, its children,
    what pulumi-eks creates for its cluster, that region's provider, health check and latency
    record); anything else belongs to the fleet as a whole."""
    return next(
        (
            region
            for region in regions
            if name == platform_name(fleet, region)
            or name.startswith(f"{platform_name(fleet, region)}-")
        ),
        None,
    )


def region_run(run: StackRun, region: str) -> tuple[StackRun, dict[str, Any]]:
    """One region of a fleet's run as if it were a platform stack's: its resources, and its
    entry in ``regions`` (platform keys: ``addonVersions``, ``kubernetesRollback``, ...; for
    ``eks-platform-plan upgrade``)."""
    fleet = next(r for r in run.registrations if r.type == FLEET)  # callers check is_fleet
    regions = list(run.outputs.get("regions") or [])
    if region not in regions:
        raise LookupError(f"{region} is not a region of the fleet ({', '.join(regions)})")
    kept = [r for r in run.registrations if _region_of(r.name, fleet.name, regions) == region]
    entries = json.loads(run.config.values.get(f"{run.config.project}:regions") or "[]")
    entry = next((e for e in entries if isinstance(e, dict) and e.get("region") == region), {})
    return dataclasses.replace(run, registrations=kept), dict(entry)


def is_fleet(run: StackRun) -> bool:
    return any(r.type == FLEET for r in run.registrations)


def build_fleet_plan(run: StackRun) -> FleetPlan:
    """The stack's plan (with what pulumi-eks creates, as for one platform), split by region."""
    if not is_fleet(run):
        raise LookupError(
            f"stack {run.config.stack} of project {run.config.project} is not a fleet (no "
            f"{FLEET}): plan it with eks-platform-plan {run.config.stack}"
        )
    plan = build_plan(run)
    fleet = next(r for r in run.registrations if r.type == FLEET)
    regions = list(run.outputs.get("regions") or [])
    by_region: dict[str, list[Registration]] = {region: [] for region in regions}
    loose = 0
    for registration in plan.resources():
        region = _region_of(registration.name, fleet.name, regions)
        if region is None:
            loose += registration.type != FLEET
            continue
        by_region[region].append(registration)
    urls = run.outputs.get("regionalUrls") or {}
    plans = []
    for region, registrations in by_region.items():
        cost = estimate_cost(registrations, region)
        cluster = next((r for r in registrations if r.type == "eks:index:Cluster"), None)
        version = str((cluster.inputs if cluster else {}).get("version", ""))
        window = SUPPORT_WINDOWS.get(version)
        names = {r.name for r in registrations}
        plans.append(
            RegionPlan(
                region=region,
                resources=len(registrations),
                monthly_usd=cost.monthly_usd,
                unpriced=sorted({i.item for i in cost.items if not i.priced}),
                kubernetes_version=version,
                end_of_standard_support=str(window.end_of_standard) if window else "unknown",
                addons={
                    str(r.inputs.get("addonName")): str(r.inputs.get("addonVersion") or "default")
                    for r in registrations
                    if r.type == "aws:eks/addon:Addon"
                },
                url=str(urls.get(region, "")),
                findings=[str(f) for f in plan.findings if set(f.resources) & names],
            )
        )
    domain = str(run.outputs.get("url") or "").removeprefix("https://")
    regional = {r.name for registrations in by_region.values() for r in registrations}
    loose_findings = [str(f) for f in plan.findings if not set(f.resources) & regional]
    return FleetPlan(
        stack=run.config.stack,
        fleet=fleet.name,
        domain=domain,
        regions=plans,
        global_resources=loose,
        resource_records=plan.to_json()["resources"],
        findings=loose_findings,
    )


# --- the change forecast, per region ------------------------------------------------------------


@dataclass
class FleetDiff:
    regions: dict[str, PlanDiff]
    """Region (or ``global`` for what belongs to no region) -> its diff and forecast."""

    @property
    def has_changes(self) -> bool:
        return any(diff.has_changes for diff in self.regions.values())

    @property
    def critical(self) -> bool:
        return any(diff.critical for diff in self.regions.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "regions": {region: diff.to_json() for region, diff in self.regions.items()},
            "has_changes": self.has_changes,
            "critical": self.critical,
            "cost_delta_usd": round(sum(d.cost_delta_usd for d in self.regions.values()), 2),
        }


GLOBAL = "global"


def diff_fleets(base: dict[str, Any], current: dict[str, Any]) -> FleetDiff:
    """The diff and forecast of the whole fleet (a replacement is followed wherever it leads,
    as the name's records depend on every region's load balancer), then split by region; a
    region added or removed shows all its resources created or deleted."""
    regions_ok = isinstance(base.get("regions"), list) and all(
        isinstance(r, dict)
        and isinstance(r.get("region"), str)
        and isinstance(r.get("monthly_usd"), int | float)
        for r in base["regions"]
    )
    if not isinstance(base.get("fleet"), str) or not regions_ok:
        raise BaseUnavailableError(
            "the base is not a fleet plan JSON (eks-platform-plan fleet --format json, from "
            "this version on): it needs fleet, regions (each with region and monthly_usd) and "
            "resources"
        )
    whole = diff_plans(base, current)
    regions = list(
        dict.fromkeys(
            [r["region"] for r in current.get("regions", [])]
            + [r["region"] for r in base.get("regions", [])]
        )
    )
    cost = {
        side: {r["region"]: r["monthly_usd"] for r in document.get("regions", [])}
        for side, document in (("base", base), ("current", current))
    }

    def group(urn: str) -> str:
        name = urn.rsplit("::", 1)[-1]
        found = _region_of(name, current["fleet"], regions)
        return found or _region_of(name, base["fleet"], regions) or GLOBAL

    split = {
        region: PlanDiff(
            base_monthly_usd=cost["base"].get(region, 0.0),
            monthly_usd=cost["current"].get(region, 0.0),
        )
        for region in [*regions, GLOBAL]
    }
    for urn in whole.added:
        split[group(urn)].added.append(urn)
    for urn in whole.removed:
        split[group(urn)].removed.append(urn)
    for urn, keys in whole.changed.items():
        split[group(urn)].changed[urn] = keys
    for change in whole.forecast:
        split[group(change.urn)].forecast.append(change)
    for finding in whole.findings:  # the day-2 checks of the change: each critical (exit 4)
        split[group(finding.resources[0]) if finding.resources else GLOBAL].findings.append(finding)
    return FleetDiff({region: diff for region, diff in split.items() if diff.has_changes})


def render_fleet_diff(diff: FleetDiff, console: Console) -> None:
    if not diff.has_changes:
        console.print("no changes in any region")
        return
    for region, region_diff in diff.regions.items():
        console.rule(f"[bold]{region}[/bold]", align="left")
        render_diff(region_diff, console)


def to_mermaid(plan: FleetPlan) -> str:
    """Users -> the global name -> each region's load balancer, cluster and cost."""
    lines = ["flowchart LR", '    users(("users"))']
    entry = "users"
    if plan.domain:
        lines.append(f'    name["{plan.domain}<br/>Route 53 latency records"]')
        lines.append("    users --> name")
        entry = "name"
    for region in plan.regions:
        node = region.region.replace("-", "_")
        lines.append(
            f'    {node}["{region.region}<br/>EKS {region.kubernetes_version}, '
            f'{region.resources} resources<br/>{region.monthly_usd:,.2f} USD/month"]'
        )
        label = "lowest latency, healthy" if plan.domain else "regional URL"
        lines.append(f'    {entry} -->|"{label}"| {node}')
    return "\n".join(lines) + "\n"


def render_text(plan: FleetPlan, console: Console) -> None:
    table = Table(title=f"Fleet {plan.stack}: {plan.domain or 'no global name (regional URLs)'}")
    for column in ("region", "resources", "monthly USD", "Kubernetes", "standard support ends",
                   "add-ons", "preflight"):  # fmt: skip
        table.add_column(column)
    for region in plan.regions:
        table.add_row(
            region.region,
            str(region.resources),
            f"{region.monthly_usd:,.2f}",
            region.kubernetes_version,
            region.end_of_standard_support,
            ", ".join(f"{k} {v}" for k, v in sorted(region.addons.items())),
            str(len(region.findings)) if region.findings else "clean",
        )
    total = plan.to_json()["total"]
    table.add_row("total", str(total["resources"]), f"{plan.monthly_usd:,.2f}", "", "", "", "")
    console.print(table)
    for region in plan.regions:
        if region.unpriced:
            console.print(Text(f"{region.region} not priced: {', '.join(region.unpriced)}"))


def main(arguments: Sequence[str]) -> int:
    """Exit status as for one platform's plan: 0 done (with ``--diff-against``: no changes), 1
    changes, 2 error, 3 preflight findings, 4 a cluster, VPC, key or protected resource in any
    region would be replaced or deleted."""
    parser = argparse.ArgumentParser(prog="eks-platform-plan fleet", description=__doc__)
    add_stack_arguments(parser, Path("fleet"))
    parser.add_argument("--format", choices=("text", "json", "mermaid"), default="text")
    add_check_arguments(parser, "fleet plan")
    options = parse_plan_arguments(parser, arguments)
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    errors = Console(stderr=True, soft_wrap=True)
    diff: FleetDiff | None = None
    try:
        run = run_stack(options.project_dir, options.stack, dict(options.overrides))
        plan = build_fleet_plan(run)
        if options.diff_against:
            # --set is a what-if on this side only; the base is the fleet as it was.
            base = base_plan(options.diff_against, options.project_dir, options.stack, ("fleet",))
            diff = diff_fleets(base, plan.to_json())
    except (*PLAN_ERRORS, LookupError) as error:
        errors.print(Text.assemble(("error: ", "bold red"), str(error)))
        return EXIT_ERROR
    findings = [f"{region.region}: {f}" for region in plan.regions for f in region.findings]
    findings += [f"{GLOBAL}: {f}" for f in plan.findings]
    if diff is not None:
        if options.format == "json":
            # The new configuration's preflight findings beside the change's (exit 3).
            console.out(json.dumps({**diff.to_json(), "preflight": findings}, indent=2))
        else:
            render_fleet_diff(diff, console)
    elif options.format == "json":
        console.out(json.dumps(plan.to_json(), indent=2, default=str))
    elif options.format == "mermaid":
        console.out(to_mermaid(plan), end="")
    else:
        render_text(plan, console)
    return exit_status(findings, options.no_preflight, errors, diff)
