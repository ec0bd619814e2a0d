"""The offline plan: what a stack creates, what it costs, how long a first deploy takes.

``build_plan`` turns a recorded run into a ``Plan``; the plan renders as text (rich), as JSON
(a stable, documented contract; see README "Plan JSON") or as a Mermaid architecture diagram.
Secret inputs and outputs appear as ``[secret]`` in every format.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..checks.preflight import Finding, preflight
from ..cost.estimate import CostEstimate, estimate_cost
from ..model.graph import STACK, CriticalPath, critical_path, resource_graph
from ..model.pulumi_eks import with_modelled
from ..model.recorder import Registration, redact_secrets
from ..model.run import StackRun

PLAN_FORMAT_VERSION = 1


@dataclass
class Plan:
    stack: str
    project: str
    region: str
    registrations: list[Registration]
    outputs: dict[str, Any]
    """Stack outputs, secrets redacted."""
    cost: CostEstimate
    critical_path: CriticalPath
    graph: nx.DiGraph
    findings: list[Finding]
    """What AWS would refuse (the preflight); empty when the plan would deploy."""

    def resources(self) -> list[Registration]:
        return sorted((r for r in self.registrations if r.type != STACK), key=lambda r: r.urn)

    def to_json(self) -> dict[str, Any]:
        """The plan contract (version 1): stable key order, resources sorted by URN."""
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "stack": self.stack,
            "project": self.project,
            "region": self.region,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "modelled": r.modelled,
                    "parent": r.parent,
                    "provider": r.provider,
                    "dependencies": sorted(self.graph.predecessors(r.urn)),
                    "property_dependencies": {
                        key: sorted(urns) for key, urns in sorted(r.property_dependencies.items())
                    },
                    "protect": r.protect,
                    "retain_on_delete": r.retain_on_delete,
                    "delete_before_replace": r.delete_before_replace,
                    "ignore_changes": sorted(r.ignore_changes),
                    "aliases": sorted(r.alias_urns),
                    "inputs": _sorted_keys(r.redacted_inputs),
                }
                for r in self.resources()
            ],
            "outputs": _sorted_keys(self.outputs),
            "cost": self.cost.to_json(),
            "critical_path": self.critical_path.to_json(),
            "preflight": [finding.to_json() for finding in self.findings],
        }


def _sorted_keys(value: Any) -> Any:
    """Maps with sorted keys, recursively: inputs arrive in whatever order they resolved."""
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def build_plan(run: StackRun, today: datetime.date | None = None) -> Plan:
    # What the program registered, plus what pulumi-eks creates from those inputs (modelled).
    registrations = with_modelled(run.registrations)
    graph = resource_graph(registrations)
    outputs = {
        name: "[secret]" if name in run.secret_outputs else redact_secrets(value)
        for name, value in sorted(run.outputs.items())
    }
    return Plan(
        stack=run.config.stack,
        project=run.config.project,
        region=run.config.region,
        registrations=registrations,
        outputs=outputs,
        cost=estimate_cost(registrations, run.config.region, today),
        critical_path=critical_path(graph),
        graph=graph,
        findings=preflight(registrations),
    )


# --- text ---------------------------------------------------------------------------------------


def _props(registration: Registration) -> str:
    """The few inputs a reviewer looks for, per type."""
    extract = _PROPERTIES.get(registration.type)
    return extract(registration.redacted_inputs) if extract else ""


def _scaling(i: dict[str, Any]) -> str:
    s = i.get("scalingConfig", {})
    types = ",".join(i.get("instanceTypes", []))
    sizes = f"{s.get('minSize')}/{s.get('desiredSize')}/{s.get('maxSize')}"
    return f"{i.get('capacityType', '')} {types} {sizes}"


def _service(i: dict[str, Any]) -> str:
    annotations = i.get("metadata", {}).get("annotations", {})
    scheme = annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "")
    return f"{i.get('spec', {}).get('type', '')} {scheme}".strip()


def _cluster(i: dict[str, Any]) -> str:
    cidrs = ",".join(i.get("publicAccessCidrs", []))
    endpoint = f"public endpoint {cidrs}" if i.get("endpointPublicAccess") else "private endpoint"
    return f"k8s {i.get('version')} {i.get('upgradePolicy', {}).get('supportType', '')}, {endpoint}"


_PROPERTIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "aws:ec2/vpc:Vpc": lambda i: i.get("cidrBlock", ""),
    "aws:ec2/subnet:Subnet": lambda i: f"{i.get('availabilityZone', '')} {i.get('cidrBlock', '')}",
    "eks:index:Cluster": _cluster,
    "aws:eks/cluster:Cluster": lambda i: _cluster({**i, **(i.get("vpcConfig") or {})}),
    "aws:eks/nodeGroup:NodeGroup": _scaling,
    "aws:ec2/launchTemplate:LaunchTemplate": lambda i: (
        f"IMDS {i.get('metadataOptions', {}).get('httpTokens')}, "
        f"hop {i.get('metadataOptions', {}).get('httpPutResponseHopLimit')}"
    ),
    "aws:eks/addon:Addon": lambda i: f"{i.get('addonName', '')} {i.get('addonVersion', '')}",
    "aws:eks/fargateProfile:FargateProfile": lambda i: ",".join(
        s.get("namespace", "") for s in i.get("selectors", [])
    ),
    "aws:cloudwatch/logGroup:LogGroup": lambda i: f"{i.get('retentionInDays')} days",
    "aws:kms/key:Key": lambda i: "rotation on" if i.get("enableKeyRotation") else "rotation OFF",
    "kubernetes:helm.sh/v3:Release": lambda i: (
        f"{i.get('chart')}@{i.get('version')} in {i.get('namespace')}"
    ),
    "kubernetes:core/v1:Service": _service,
}


def _tree(plan: Plan) -> Tree:
    children: dict[str, list[Registration]] = defaultdict(list)
    for registration in sorted(plan.registrations, key=lambda r: (r.type, r.name)):
        children[registration.parent].append(registration)
    tree = Tree(f"[bold]{plan.project}[/bold] stack [bold]{plan.stack}[/bold] ({plan.region})")

    def add(node: Tree, registration: Registration) -> None:
        label = Text.assemble(
            (registration.type, "" if registration.custom else "bold"),
            " ",
            (registration.name, "cyan"),
            (" (modelled)" if registration.modelled else "", "magenta"),
            ("  " + _props(registration), "dim"),
        )
        branch = node.add(label)
        for child in children[registration.urn]:
            add(branch, child)

    for root in children[""]:
        for child in children[root.urn]:
            add(tree, child)
    return tree


def _cost_table(plan: Plan) -> Table:
    table = Table(title=f"Monthly cost estimate ({plan.region})", title_justify="left")
    for column in ("item", "resource", "quantity", "unit USD", "monthly USD", "note"):
        justify = "right" if column in ("quantity", "unit USD", "monthly USD") else "left"
        table.add_column(column, justify=justify)
    for item in plan.cost.items:
        table.add_row(
            item.item,
            item.resource,
            f"{item.quantity:g} {item.unit}",
            "-" if item.unit_usd is None else f"{item.unit_usd:g}",
            "[red]unpriced[/red]" if item.monthly_usd is None else f"{item.monthly_usd:,.2f}",
            item.note,
        )
    table.add_section()
    table.add_row(
        "[bold]total[/bold]", "", "", "", f"[bold]{plan.cost.monthly_usd:,.2f}[/bold]", ""
    )
    return table


def _path_table(plan: Plan) -> Table:
    path = plan.critical_path
    table = Table(
        title=(
            f"Deploy critical path: {path.seconds / 60:.1f} min "
            f"(floor {path.floor_seconds / 60:.1f} min, ratio {path.ratio})"
        ),
        title_justify="left",
    )
    table.add_column("resource")
    table.add_column("type")
    table.add_column("seconds", justify="right")
    table.add_column("elapsed", justify="right")
    elapsed = 0.0
    for urn in path.path:
        node = plan.graph.nodes[urn]
        if not node["seconds"]:
            continue
        elapsed += node["seconds"]
        registration: Registration = node["registration"]
        table.add_row(registration.name, registration.type, f"{node['seconds']:g}", f"{elapsed:g}")
    return table


def render_text(plan: Plan, console: Console) -> None:
    resources = plan.resources()
    custom = sum(1 for r in resources if r.custom)
    console.print(_tree(plan))
    components = len(resources) - custom
    modelled = sum(1 for r in resources if r.modelled)
    console.print(
        f"{len(resources)} resources ({custom} cloud resources, {components} components; "
        f"{modelled} of them modelled from pulumi-eks's source)"
    )
    console.print()
    console.print(Group(_cost_table(plan)))
    for warning in plan.cost.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print("[dim]assumptions: " + "; ".join(plan.cost.assumptions) + "[/dim]")
    console.print()
    console.print(_path_table(plan))
    console.print()
    if plan.findings:
        console.print(f"[bold red]preflight: {len(plan.findings)} finding(s)[/bold red]")
        for finding in plan.findings:
            console.print(Text(f"  {finding}"))
    else:
        console.print("[green]preflight: nothing AWS would refuse was found[/green]")
