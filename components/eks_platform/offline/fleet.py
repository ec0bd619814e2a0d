"""The offline plan of a fleet: per region and in total, the resources, monthly cost, Kubernetes
version and its end of standard support, the add-on versions, and preflight findings; JSON and
a Mermaid drawing of the regions behind the global name.

``eks-platform-plan fleet <stack> [--project-dir fleet] [--format text|json|mermaid]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..args.config import ConfigError
from ..args.fleet import platform_name
from ..args.versions import SUPPORT_WINDOWS
from .cost import estimate_cost
from .preflight import preflight
from .recorder import Registration
from .run import StackNotFoundError, StackRun, run_stack

FLEET = "eks-platform:index:Fleet"
EXIT_OK, EXIT_ERROR, EXIT_PREFLIGHT = 0, 2, 3


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
    domain: str
    regions: list[RegionPlan]
    global_resources: int

    @property
    def monthly_usd(self) -> float:
        return round(sum(r.monthly_usd for r in self.regions), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "stack": self.stack,
            "domain": self.domain,
            "regions": [r.__dict__ for r in self.regions],
            "total": {
                "resources": sum(r.resources for r in self.regions) + self.global_resources,
                "monthly_usd": self.monthly_usd,
                "findings": sum(len(r.findings) for r in self.regions),
            },
        }


def _region_of(registration: Registration, fleet: str, regions: list[str]) -> str | None:
    """Every resource of a region is named ``<fleet>-<region>...`` (the platform, its children,
    that region's provider, health check and latency record)."""
    return next(
        (
            region
            for region in sorted(regions, key=len, reverse=True)
            if registration.name == platform_name(fleet, region)
            or registration.name.startswith(f"{platform_name(fleet, region)}-")
        ),
        None,
    )


def build_fleet_plan(run: StackRun) -> FleetPlan:
    fleet = next(r for r in run.registrations if r.type == FLEET)
    regions = list(run.outputs.get("regions") or [])
    by_region: dict[str, list[Registration]] = {region: [] for region in regions}
    loose = 0
    for registration in run.registrations:
        region = _region_of(registration, fleet.name, regions)
        if region is None:
            loose += registration.type not in ("pulumi:pulumi:Stack", FLEET)
            continue
        by_region[region].append(registration)
    findings = preflight(run.registrations)
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
                findings=[str(f) for f in findings if set(f.resources) & names],
            )
        )
    domain = str(run.outputs.get("url") or "").removeprefix("https://")
    return FleetPlan(stack=run.config.stack, domain=domain, regions=plans, global_resources=loose)


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
    parser = argparse.ArgumentParser(prog="eks-platform-plan fleet", description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--project-dir", default="fleet")
    parser.add_argument("--format", choices=("text", "json", "mermaid"), default="text")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        type=lambda s: tuple(s.split("=", 1)), metavar="KEY=VALUE")  # fmt: skip
    options = parser.parse_args(arguments)
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        run = run_stack(options.project_dir, options.stack, dict(options.overrides))
        plan = build_fleet_plan(run)
    except (ConfigError, pulumi.RunError, StackNotFoundError) as error:
        errors.print(Text.assemble(("error: ", "bold red"), str(error)))
        return EXIT_ERROR
    if options.format == "json":
        console.out(json.dumps(plan.to_json(), indent=2, default=str))
    elif options.format == "mermaid":
        console.out(to_mermaid(plan), end="")
    else:
        render_text(plan, console)
    findings = [f for region in plan.regions for f in region.findings]
    for finding in findings:
        errors.print(Text.assemble(("preflight: ", "bold red"), finding))
    return EXIT_PREFLIGHT if findings else EXIT_OK
