"""The resource graph of a recorded run, and the deploy critical path through it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import networkx as nx

from .recorder import Registration

STACK = "pulumi:pulumi:Stack"

# The chain no program can avoid between nothing and a serving app (FACTS.md §2).
FLOOR_STEPS = (
    ("network", lambda r: r.type == "aws:ec2/vpc:Vpc"),
    ("subnet", lambda r: r.type == "aws:ec2/subnet:Subnet"),
    ("control plane", lambda r: r.type == "eks:index:Cluster"),
    ("first node group", lambda r: r.type == "aws:eks/nodeGroup:NodeGroup"),
    ("controller", lambda r: r.type == "kubernetes:helm.sh/v3:Release" and _is_controller(r)),
    ("app", lambda r: r.type == "kubernetes:helm.sh/v3:Release" and not _is_controller(r)),
    ("load balancer", lambda r: _is_load_balancer(r)),  # noqa: PLW0108 - defined below
)


def _is_controller(registration: Registration) -> bool:
    return registration.inputs.get("chart") == "aws-load-balancer-controller"


def _is_load_balancer(registration: Registration) -> bool:
    """A LoadBalancer Service (an NLB) or an Ingress (an ALB): the controller makes either."""
    return registration.type == "kubernetes:networking.k8s.io/v1:Ingress" or (
        registration.type == "kubernetes:core/v1:Service"
        and registration.inputs.get("spec", {}).get("type") == "LoadBalancer"
    )


@cache
def creation_times() -> dict[str, Any]:
    text = (
        resources.files("eks_platform")
        .joinpath("offline", "data", "creation_times.json")
        .read_text()
    )
    return json.loads(text)


def creation_seconds(registration: Registration) -> float:
    """Typical creation time of one resource (components take none of their own)."""
    if registration.modelled:
        return 0.0  # inside its component's time (the cluster's 600 s covers what pulumi-eks makes)
    table = creation_times()
    if registration.type == "aws:eks/addon:Addon":
        entry = table["addons"].get(registration.inputs.get("addonName"), table["default"])
    elif registration.type in (
        "kubernetes:core/v1:Service",
        "kubernetes:networking.k8s.io/v1:Ingress",
    ):
        entry = table[
            "load_balancer_service" if _is_load_balancer(registration) else "other_service"
        ]
    elif registration.type in table["types"]:
        entry = table["types"][registration.type]
    elif not registration.custom:
        return 0.0
    else:
        entry = table["default"]
    return float(entry["seconds"])


def _provider_urn(reference: str) -> str:
    """A provider reference is ``<urn>::<id>``."""
    return reference.rsplit("::", 1)[0] if reference else ""


def resource_graph(registrations: list[Registration]) -> nx.DiGraph:
    """Nodes are URNs; an edge a -> b means b waits for a (data, depends_on, parent, provider)."""
    graph = nx.DiGraph()
    for registration in registrations:
        if registration.type == STACK:
            continue
        graph.add_node(
            registration.urn, registration=registration, seconds=creation_seconds(registration)
        )
    for registration in registrations:
        if registration.urn not in graph:
            continue
        prerequisites = {
            *registration.dependencies,
            *(urn for urns in registration.property_dependencies.values() for urn in urns),
            registration.parent,
            _provider_urn(registration.provider),
        }
        for prerequisite in prerequisites:
            if prerequisite in graph and prerequisite != registration.urn:
                graph.add_edge(prerequisite, registration.urn)
    _depend_on_modelled_children(graph, registrations)
    return graph


@dataclass
class CriticalPath:
    seconds: float
    """Longest chain of creation times through the graph."""
    floor_seconds: float
    """The unavoidable chain (network -> control plane -> nodes -> controller -> app -> LB)."""
    path: list[str] = field(default_factory=list)
    """URNs along the longest chain."""
    floor: list[str] = field(default_factory=list)
    """Which floor steps this stack has."""

    @property
    def ratio(self) -> float:
        return round(self.seconds / self.floor_seconds, 3) if self.floor_seconds else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "floor_seconds": self.floor_seconds,
            "ratio": self.ratio,
            "path": self.path,
            "floor": self.floor,
        }


def critical_path(graph: nx.DiGraph) -> CriticalPath:
    """Longest node-weighted path (a DAG: Pulumi rejects cycles)."""
    finish: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    for node in nx.topological_sort(graph):
        # Ties broken by URN so that the reported path does not depend on registration order.
        best = max(graph.predecessors(node), key=lambda p: (finish[p], p), default=None)
        finish[node] = graph.nodes[node]["seconds"] + (finish[best] if best else 0.0)
        previous[node] = best
    end = max(finish, key=lambda node: (finish[node], node), default=None)
    path: list[str] = []
    while end is not None:
        path.append(end)
        end = previous[end]
    registrations = [graph.nodes[node]["registration"] for node in graph.nodes]
    floor_seconds, floor = 0.0, []
    for label, matches in FLOOR_STEPS:
        found = [r for r in registrations if matches(r)]
        if found:
            floor_seconds += min(creation_seconds(r) for r in found)
            floor.append(label)
    return CriticalPath(
        seconds=max(finish.values(), default=0.0),
        floor_seconds=floor_seconds,
        path=list(reversed(path)),
        floor=floor,
    )


def _depend_on_modelled_children(graph: nx.DiGraph, registrations: list[Registration]) -> None:
    """What depends on a remote component depends on what it creates (as the SDK expands a
    local component into its children): the modelled children of ``eks:index:Cluster`` go
    before anything that uses the cluster in a deploy, and after it in a destroy."""
    modelled_by_root: dict[str, list[str]] = {}
    by_urn = {r.urn: r for r in registrations}
    for registration in registrations:
        if not registration.modelled:
            continue
        root = registration.parent
        while root in by_urn and by_urn[root].modelled:
            root = by_urn[root].parent
        modelled_by_root.setdefault(root, []).append(registration.urn)
    for root, children in modelled_by_root.items():
        inside = set(children)
        for dependent in [d for d in graph.successors(root) if d not in inside]:
            for child in children:
                graph.add_edge(child, dependent)
