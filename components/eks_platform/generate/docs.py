"""Config documentation generated from ``PlatformArgs``: the ``Pulumi.yaml`` config block and the
README's config reference table. One source (the model and its field docstrings), so the three
cannot drift apart; ``--check`` fails when a file is stale, ``--write`` regenerates it.

    python -m eks_platform.generate.docs --check   # in CI (tests call the same functions)
    python -m eks_platform.generate.docs --write
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..args.config import PlatformArgs
from ..offline.model.run import run_stack
from ..offline.report.mermaid import to_mermaid
from ..offline.report.plan import Plan, build_plan

_SIMPLE_TYPES = {str: "string", int: "integer", bool: "boolean"}


def _pulumi_type(annotation: Any) -> dict[str, Any] | None:
    """The Pulumi.yaml type of a field, or None where Pulumi's simple types don't fit."""
    if annotation in _SIMPLE_TYPES:
        return {"type": _SIMPLE_TYPES[annotation]}
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if item in _SIMPLE_TYPES:
            return {"type": "array", "items": {"type": _SIMPLE_TYPES[item]}}
    if get_origin(annotation) is not None and all(isinstance(a, str) for a in get_args(annotation)):
        return {"type": "string"}  # a Literal of strings
    return None


def _default(field: FieldInfo) -> Any:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, list):
        return [
            item.model_dump(by_alias=True) if isinstance(item, BaseModel) else item
            for item in value
        ]
    return value


def project_fields() -> list[tuple[str, FieldInfo]]:
    """(config key, field) for every key in the project namespace (``aws:region`` excluded)."""
    return [
        (field.alias or name, field)
        for name, field in PlatformArgs.model_fields.items()
        if field.alias and ":" not in field.alias
    ]


def config_declarations() -> dict[str, dict[str, Any]]:
    """The ``config:`` block of Pulumi.yaml: every key whose type Pulumi can declare."""
    declarations: dict[str, dict[str, Any]] = {}
    for key, field in project_fields():
        declared = _pulumi_type(field.annotation)
        if declared is None:
            continue
        declarations[key] = {
            **declared,
            "default": _default(field),
            "description": field.description,
        }
    return declarations


def _type_label(field: FieldInfo) -> str:
    declared = _pulumi_type(field.annotation)
    if declared is None:
        return "list of objects" if get_origin(field.annotation) is list else "object"
    if declared["type"] == "array":
        return f"array of {declared['items']['type']}"
    args = get_args(field.annotation)
    if args and all(isinstance(a, str) for a in args):
        return " \\| ".join(f"`{a}`" for a in args)
    return declared["type"]


def config_table() -> str:
    """The README's config reference: every project key, its type, default and meaning."""
    rows = [
        "| key | type | default | description |",
        "|---|---|---|---|",
        "| `aws:region` | string | (required) | AWS region of the stack. |",
    ]
    for key, field in project_fields():
        default = json.dumps(_default(field), separators=(", ", ": "))
        structured = (
            "" if _pulumi_type(field.annotation) else " Structured: not declared in Pulumi.yaml."
        )
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{key}` | {_type_label(field)} | `{default}` | {description}{structured} |")
    return "\n".join(rows)


def check_pulumi_yaml(path: Path) -> list[str]:
    """Differences between Pulumi.yaml's config block and the model."""
    declared = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    expected = config_declarations()
    problems = []
    for key in sorted(set(declared) | set(expected)):
        if ":" in key:
            continue
        if declared.get(key) != expected.get(key):
            problems.append(
                f"{path.name}: config.{key} is {declared.get(key)!r}, "
                f"model says {expected.get(key)!r}"
            )
    return problems


def write_pulumi_yaml(path: Path) -> None:
    """Replace the config block of Pulumi.yaml, keeping everything above it."""
    text = path.read_text()
    head = text.split("\nconfig:", 1)[0].rstrip("\n")
    block = yaml.safe_dump({"config": config_declarations()}, sort_keys=False, width=100)
    path.write_text(f"{head}\n{block}")


def plan_summary(project_dir: Path) -> str:
    """Per shipped stack: resources, monthly estimate and first-deploy critical path."""
    rows = [
        "| stack | region | resources | monthly USD (estimate) | first deploy (critical path) "
        "| floor | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for stack in _stacks(project_dir):
        plan = _plan(project_dir, stack)
        path = plan.critical_path
        rows.append(
            f"| `{stack}` | {plan.region} | {len(plan.resources())} | {plan.cost.monthly_usd:,.2f} "
            f"| {path.seconds / 60:.1f} min | {path.floor_seconds / 60:.1f} min | {path.ratio} |"
        )
    return "\n".join(rows)


# The same workload (the dev stack) in each compute mode; Auto Mode brings its own nodes.
MODE_OVERRIDES: dict[str, dict[str, object]] = {
    "managed": {},
    "karpenter": {"computeMode": "karpenter"},
    "auto": {"computeMode": "auto", "nodeGroups": [{"name": "general"}]},
}


def mode_estimates(project_dir: Path) -> str:
    """Monthly estimate of the dev stack's workload in each compute mode."""
    rows = ["| computeMode | monthly USD (estimate) | not priced |", "|---|---|---|"]
    for mode, overrides in MODE_OVERRIDES.items():
        cost = _plan(project_dir, "dev", json.dumps(overrides, sort_keys=True)).cost
        unpriced = ", ".join(sorted({i.item for i in cost.items if not i.priced})) or "—"
        rows.append(f"| `{mode}` | {cost.monthly_usd:,.2f} | {unpriced} |")
    return "\n".join(rows)


def dev_diagram(project_dir: Path) -> str:
    return "```mermaid\n" + to_mermaid(_plan(project_dir, "dev")) + "```"


@cache
def _plan(project_dir: Path, stack: str, overrides: str = "{}") -> Plan:
    """Each stack (and ``overrides``, as JSON) planned once per process, however many README
    blocks use it: the dev stack's summary, diagram and managed-mode estimate share one run."""
    return build_plan(run_stack(project_dir, stack, json.loads(overrides)))


def _stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


# README blocks between <!-- NAME:begin ... --> and <!-- NAME:end -->, each regenerated whole.
README_BLOCKS: dict[str, Callable[[Path], str]] = {
    "config-table": lambda _: config_table(),
    "plan-summary": plan_summary,
    "mode-estimates": mode_estimates,
    "dev-diagram": dev_diagram,
}


def _block_span(text: str, name: str) -> tuple[int, int]:
    begin = text.index(f"<!-- {name}:begin")
    start = text.index("-->", begin) + len("-->")
    return start, text.index(f"<!-- {name}:end -->")


def check_readme(path: Path) -> list[str]:
    text = path.read_text()
    problems = []
    for name, generate in README_BLOCKS.items():
        start, end = _block_span(text, name)
        if text[start:end].strip() != generate(path.parent).strip():
            problems.append(
                f"{path.name}: {name} is stale; run python -m eks_platform.generate.docs --write"
            )
    return problems


def write_readme(path: Path) -> None:
    text = path.read_text()
    for name, generate in README_BLOCKS.items():
        start, end = _block_span(text, name)
        text = f"{text[:start]}\n{generate(path.parent)}\n{text[end:]}"
    path.write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--project-dir", type=Path, default=Path("."))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--check", action="store_true", help="fail when Pulumi.yaml or README.md is stale"
    )
    mode.add_argument("--write", action="store_true", help="regenerate them")
    options = parser.parse_args(argv)
    pulumi_yaml = options.project_dir / "Pulumi.yaml"
    readme = options.project_dir / "README.md"
    if options.write:
        write_pulumi_yaml(pulumi_yaml)
        write_readme(readme)
        return 0
    problems = check_pulumi_yaml(pulumi_yaml) + check_readme(readme)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
