"""Comparing two plans (JSON contract): resources added, removed and changed, and the cost delta.

The base plan comes from a plan.json file or from a git ref, planned with that ref's own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import pulumi
from rich.console import Console
from rich.table import Table

from ...args.config import ConfigError
from ..checks.finding import Finding
from ..checks.transitions import transition_findings
from ..model.run import StackNotFoundError
from .forecast import Change, follow_aliases, forecast, provider_urn


class BaseUnavailableError(RuntimeError):
    """The plan to compare against could not be read or produced."""


PLAN_ERRORS = (ConfigError, pulumi.RunError, StackNotFoundError, BaseUnavailableError)
"""What a plan command reports as ``error: ...`` with exit 2 (never a traceback)."""


@dataclass
class PlanDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    """URN -> changed input keys (dotted paths)."""
    forecast: list[Change] = field(default_factory=list)
    """What a real update would do with each change (see ``forecast``)."""
    findings: list[Finding] = field(default_factory=list)
    """What the day-2 checks find in the change (``checks.transitions``): each is critical."""
    base_monthly_usd: float = 0.0
    monthly_usd: float = 0.0

    @property
    def cost_delta_usd(self) -> float:
        return round(self.monthly_usd - self.base_monthly_usd, 2)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed) or self.cost_delta_usd != 0

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": [{"urn": urn, "keys": keys} for urn, keys in self.changed.items()],
            "base_monthly_usd": self.base_monthly_usd,
            "monthly_usd": self.monthly_usd,
            "cost_delta_usd": self.cost_delta_usd,
            "has_changes": self.has_changes,
            "forecast": [change.to_json() for change in self.forecast],
            "findings": [finding.to_json() for finding in self.findings],
            "critical": self.critical,
        }

    @property
    def critical(self) -> bool:
        """A replacement or deletion of the cluster, the VPC, the key or a protected resource,
        or a finding of the day-2 checks."""
        return bool(self.findings) or any(change.critical for change in self.forecast)


def changed_keys(old: Any, new: Any, prefix: str = "", depth: int = 4) -> list[str]:
    """Dotted paths where ``old`` and ``new`` differ (lists compared whole)."""
    if old == new:
        return []
    if depth and isinstance(old, dict) and isinstance(new, dict):
        keys: list[str] = []
        for key in sorted(set(old) | set(new)):
            keys += changed_keys(old.get(key), new.get(key), f"{prefix}{key}.", depth - 1)
        return keys
    return [prefix.rstrip(".") or "(value)"]


def diff_plans(base: dict[str, Any], current: dict[str, Any]) -> PlanDiff:
    """What changed from ``base`` to ``current``, a resource taken over through an alias
    compared with its former self (see ``forecast.follow_aliases``)."""
    base, moved = follow_aliases(base, current)
    old = {r["urn"]: r for r in base.get("resources", [])}
    new = {r["urn"]: r for r in current.get("resources", [])}
    result = PlanDiff(
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        base_monthly_usd=base.get("cost", {}).get("monthly_usd", 0.0),
        monthly_usd=current.get("cost", {}).get("monthly_usd", 0.0),
    )
    for urn in sorted(set(old) & set(new)):
        keys = changed_keys(old[urn].get("inputs", {}), new[urn].get("inputs", {}))
        if old[urn].get("dependencies") != new[urn].get("dependencies"):
            keys.append("(dependencies)")
        if provider_urn(old[urn]) != provider_urn(new[urn]):
            keys.append("(provider)")
        if keys:
            result.changed[urn] = keys
    result.forecast = forecast(base, current, result.changed)
    result.findings = transition_findings(
        base, current, [change.to_json() for change in result.forecast]
    )
    formerly = {new_urn: old_urn for old_urn, new_urn in moved.items()}
    for change in result.forecast:
        if change.urn in formerly:
            change.reasons.append(f"was {formerly[change.urn].rsplit('::', 1)[-1]} (alias)")
    return result


def base_plan(
    against: str, project_dir: Path, stack: str, subcommand: Sequence[str] = ()
) -> dict[str, Any]:
    """The plan JSON to compare against: a file, or ``stack`` planned at git ref ``against``
    (with ``subcommand``, such as ``fleet``, before the stack)."""
    path = Path(against)
    if path.suffix == ".json" and not path.is_file():
        raise BaseUnavailableError(f"no plan JSON file at {against}")
    if path.is_file():
        try:
            document = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise BaseUnavailableError(f"{against} is not a plan JSON file: {error}") from None
    else:
        document = _plan_at_ref(against, project_dir, stack, subcommand)
    return checked_plan(document, against)


def checked_plan(document: Any, source: str) -> dict[str, Any]:
    """``document`` if it has what a diff reads: resources with a URN and a type, a cost."""
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list) or not all(
        isinstance(r, dict) and isinstance(r.get("urn"), str) and isinstance(r.get("type"), str)
        for r in resources
    ):
        raise BaseUnavailableError(
            f"{source} is not a plan JSON document (eks-platform-plan --format json): it needs "
            "resources, each with a urn and a type"
        )
    if not isinstance(document.get("cost", {}), dict):
        raise BaseUnavailableError(f"{source}: cost must be an object")
    return document


def _plan_at_ref(
    ref: str, project_dir: Path, stack: str, subcommand: Sequence[str]
) -> dict[str, Any]:
    top = _git(project_dir, "rev-parse", "--show-toplevel").decode().strip()
    prefix = _git(project_dir, "rev-parse", "--show-prefix").decode().strip()
    archive = _git(Path(top), "archive", "--format=tar", ref)
    with tempfile.TemporaryDirectory(prefix="plan-base-") as folder:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        base_dir = Path(folder) / prefix
        # The base is planned with its own code: its components/ first on the import path (beside
        # the project, or at the top of the repository for a project in a folder, like fleet/).
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [
                    str(base_dir / "components"),
                    str(Path(folder) / "components"),
                    os.environ.get("PYTHONPATH", ""),
                ]
            ),
        }
        command = [
            sys.executable,
            "-m",
            "eks_platform.offline",
            *subcommand,
            stack,
            "--project-dir",
            str(base_dir),
            "--format",
            "json",
        ]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        # 3: planned, with preflight findings (the base may have had what this change fixes).
        if result.returncode not in (0, 3):
            raise BaseUnavailableError(
                f"planning {stack} at {ref} failed (exit {result.returncode}): "
                + (result.stderr.strip().splitlines() or ["no output"])[-1]
            )
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError:
            raise BaseUnavailableError(
                f"{ref} produced no plan JSON (older than the plan command?)"
            ) from None


def _git(directory: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, check=False)
    if result.returncode != 0:
        raise BaseUnavailableError(f"git {' '.join(args)}: {result.stderr.decode().strip()}")
    return result.stdout


def render_diff(diff: PlanDiff, console: Console) -> None:
    if not diff.has_changes:
        console.print("no changes")
        return
    table = Table(title="Plan diff", title_justify="left")
    table.add_column("change")
    table.add_column("resource")
    table.add_column("inputs changed")
    for urn in diff.added:
        table.add_row(
            "[green]+ add[/green]", urn.split("::")[-1], urn.split("::")[-2].split("$")[-1]
        )
    for urn in diff.removed:
        table.add_row(
            "[red]- remove[/red]", urn.split("::")[-1], urn.split("::")[-2].split("$")[-1]
        )
    for urn, keys in diff.changed.items():
        table.add_row("[yellow]~ change[/yellow]", urn.split("::")[-1], ", ".join(keys))
    console.print(table)
    if diff.forecast:
        _render_forecast(diff, console)
    sign = "+" if diff.cost_delta_usd >= 0 else ""
    console.print(
        f"monthly cost: {diff.base_monthly_usd:,.2f} -> {diff.monthly_usd:,.2f} USD "
        f"({sign}{diff.cost_delta_usd:,.2f})"
    )


def _render_forecast(diff: PlanDiff, console: Console) -> None:
    for finding in diff.findings:
        console.print(f"[bold red]change:[/bold red] {finding}")
    table = Table(title="What a real update would do", title_justify="left")
    for column in ("action", "resource", "why", "disruption", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    style = {"replace": "bold red", "delete": "red", "create": "green", "update": "yellow"}
    for change in diff.forecast:
        action = change.action + (" !" if change.critical else "")
        table.add_row(
            f"[{style[change.action]}]{action}[/{style[change.action]}]",
            change.name,
            "; ".join(change.reasons),
            change.disruption,
            f"{change.seconds:g}",
        )
    console.print(table)
    if diff.critical:
        console.print(
            "[bold red]the cluster, the VPC, the key or a protected resource would be replaced "
            "or deleted, or a day-2 check found what AWS would refuse (exit 4)[/bold red]"
        )
