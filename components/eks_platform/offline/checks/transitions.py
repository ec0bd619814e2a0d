"""The day-2 checks of a change, run by the change forecast (``change.diff``): each finding
makes the forecast critical (exit 4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import collisions, finalizers, permissions, readback
from .finding import Finding

TRANSITION_CHECKS: tuple[
    Callable[[dict[str, Any], dict[str, Any], list[dict[str, Any]]], list[Finding]], ...
] = (collisions.transition, readback.transition, permissions.transition, finalizers.transition)


def transition_findings(
    base: dict[str, Any], current: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Finding]:
    """Every finding of every day-2 check of one change."""
    return [f for check in TRANSITION_CHECKS for f in check(base, current, changes)]
