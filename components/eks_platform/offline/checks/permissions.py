"""Controllers' permissions: the calls this configuration makes each controller or node identity
do, evaluated against that identity's policies."""

from __future__ import annotations

from typing import Any

from ..model.recorder import Registration
from .finding import Finding


def check(registrations: list[Registration]) -> list[Finding]:
    """Findings over one expanded plan (preflight, exit 3)."""
    del registrations
    return []


def transition(
    base: dict[str, Any], current: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Finding]:
    """Findings of a change from plan JSON ``base`` to ``current`` (``changes``: the forecast,
    each as ``Change.to_json``), reported by the change forecast (exit 4)."""
    del base, current, changes
    return []
