"""A plan JSON document (``report.plan.Plan.to_json``) read back as registrations, so that what
works on a recorded run (``graph.resource_graph``, the checks) works on a saved plan too."""

from __future__ import annotations

from typing import Any

from .recorder import Registration


def registrations_from_plan(document: dict[str, Any]) -> list[Registration]:
    """The plan's resources as registrations. A resource's ``dependencies`` in the plan are
    already every edge of its graph (data, ``depends_on``, parent, provider, and the modelled
    children of a remote component), so ``resource_graph`` over these rebuilds the plan's graph;
    inputs are the plan's (secrets redacted); outputs are not in a plan."""
    return [
        Registration(
            urn=str(resource["urn"]),
            type=str(resource["type"]),
            name=str(resource["name"]),
            custom=":index:" not in resource["type"],
            parent=str(resource.get("parent") or ""),
            provider=str(resource.get("provider") or ""),
            dependencies=list(resource.get("dependencies") or []),
            property_dependencies={
                key: list(urns)
                for key, urns in (resource.get("property_dependencies") or {}).items()
            },
            raw_inputs=dict(resource.get("inputs") or {}),
            protect=bool(resource.get("protect")),
            retain_on_delete=bool(resource.get("retain_on_delete")),
            alias_urns=list(resource.get("aliases") or []),
        )
        for resource in document.get("resources") or []
    ]
