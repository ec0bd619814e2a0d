"""The order ``pulumi destroy`` deletes a plan's resources in: the dependency graph reversed.

A resource is deleted only after everything that depends on it (data, ``depends_on``, parent
and provider edges, as ``graph.resource_graph`` records them), so deletion runs in waves: first
what nothing depends on, then what only those depended on, and so on. The engine deletes a wave
in parallel; the waves themselves are the guarantee the program's dependencies give.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..model.recorder import Registration


def destroy_waves(graph: nx.DiGraph) -> list[list[str]]:
    """URNs in deletion waves (each sorted), the first wave deleted first."""
    remaining = graph.copy()
    waves = []
    while remaining.number_of_nodes():
        wave = sorted(node for node in remaining if remaining.out_degree(node) == 0)
        waves.append(wave)
        remaining.remove_nodes_from(wave)
    return waves


def wave_of(graph: nx.DiGraph) -> dict[str, int]:
    """URN -> the wave it is deleted in (0 first)."""
    return {urn: index for index, wave in enumerate(destroy_waves(graph)) for urn in wave}


def destroy_order_json(graph: nx.DiGraph) -> list[list[dict[str, Any]]]:
    """Waves of cloud resources (components are bookkeeping), as the plan's JSON shows them."""
    waves = []
    for wave in destroy_waves(graph):
        registrations: list[Registration] = [graph.nodes[urn]["registration"] for urn in wave]
        shown = [{"type": r.type, "name": r.name} for r in registrations if r.custom]
        if shown:
            waves.append(shown)
    return waves
