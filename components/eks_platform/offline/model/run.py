"""Running a Pulumi program for one stack under mocks, with that stack's config, and no CLI.

This mirrors what ``pulumi preview`` feeds a program: project config defaults from
``Pulumi.yaml``, overlaid by ``Pulumi.<stack>.yaml``, all values as strings (structured ones as
JSON). Encrypted (``secure:``) values cannot be read offline; they arrive as a placeholder,
marked secret.
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.sync_await import _sync_await
from rich.console import Console
from rich.text import Text

from .mocks import PlatformMocks
from .recorder import SECRET_MARKER, RecordingMonitor, Registration


def parse_override(text: str) -> tuple[str, str]:
    """``--set key=value`` (an argparse error, exit 2, without the ``=``)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def add_stack_arguments(parser: argparse.ArgumentParser, project_dir: Path) -> None:
    """The stack, its project folder and ``--set`` what-ifs (every plan subcommand)."""
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--project-dir", default=project_dir, type=Path, help="folder with Pulumi.yaml"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        type=parse_override,
        metavar="KEY=VALUE",
        help="override a config value (project keys without namespace; JSON for lists and maps)",
    )


EXIT_OK, EXIT_CHANGED, EXIT_ERROR, EXIT_PREFLIGHT, EXIT_CRITICAL = 0, 1, 2, 3, 4
"""Exit statuses of the plan commands (README "The offline plan")."""


class _Diff(Protocol):
    @property
    def has_changes(self) -> bool: ...

    @property
    def critical(self) -> bool: ...


def parse_plan_arguments(
    parser: argparse.ArgumentParser, arguments: Sequence[str] | None
) -> argparse.Namespace:
    """The options, refusing what cannot be printed (a diff has no Mermaid drawing)."""
    options = parser.parse_args(arguments)
    if options.diff_against and options.format == "mermaid":
        parser.error("--diff-against prints text or json, not mermaid")
    return options


def exit_status(
    findings: Sequence[object], report_only: bool, errors: Console, diff: _Diff | None = None
) -> int:
    """Preflight findings go to stderr (every format). The first that applies: 3 findings
    (unless ``report_only``), 4 a critical change, 1 other changes, 0."""
    for finding in findings:
        errors.print(Text.assemble(("preflight: ", "bold red"), str(finding)))
    if findings and not report_only:
        return EXIT_PREFLIGHT
    if diff is not None and diff.critical:
        return EXIT_CRITICAL
    return EXIT_CHANGED if diff is not None and diff.has_changes else EXIT_OK


def add_check_arguments(parser: argparse.ArgumentParser, base: str) -> None:
    """``--no-preflight`` and ``--diff-against`` (a saved ``base`` JSON or a git ref)."""
    parser.add_argument(
        "--no-preflight",
        action="store_true",
        help="report preflight findings without failing (exit 0 instead of 3)",
    )
    parser.add_argument(
        "--diff-against",
        metavar=f"{base.upper().replace(' ', '_')}_JSON_OR_GIT_REF",
        help=f"compare with a saved {base} JSON, or with the same planned at a git ref",
    )


class StackNotFoundError(FileNotFoundError):
    """There is no ``Pulumi.<stack>.yaml`` for the requested stack."""


@dataclass
class StackConfig:
    """A stack's effective config, as the program would receive it."""

    project: str
    stack: str
    values: dict[str, str]
    secret_keys: list[str]

    @property
    def region(self) -> str:
        return self.values.get("aws:region", "")


@dataclass
class StackRun:
    """Everything one offline run produced."""

    config: StackConfig
    registrations: list[Registration]
    outputs: dict[str, Any]
    """Stack outputs, resolved (secrets in the clear; see ``secret_outputs``)."""
    secret_outputs: set[str]

    def by_type(self, type_token: str) -> list[Registration]:
        """Registrations of one type, in registration order."""
        return [r for r in self.registrations if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registration:
        """The one registration of a type (and name); fails loudly if there is not exactly one."""
        found = [r for r in self.by_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_token} {name or ''}, found {len(found)}")
        return found[0]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    def descendants(self, ancestor: Registration) -> list[Registration]:
        """Everything registered below ``ancestor`` (children, their children, ...)."""
        by_urn = self.by_urn()

        def is_below(registration: Registration) -> bool:
            parent = by_urn.get(registration.parent)
            while parent is not None:
                if parent.urn == ancestor.urn:
                    return True
                parent = by_urn.get(parent.parent)
            return False

        return [r for r in self.registrations if is_below(r)]


def _config_string(value: Any) -> str:
    """Pulumi passes config to programs as strings; structured values as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_stack_config(
    project_dir: str | Path, stack: str, overrides: dict[str, Any] | None = None
) -> StackConfig:
    """Project defaults, then ``Pulumi.<stack>.yaml``, then ``overrides`` (``--set key=value``)."""
    project_dir = Path(project_dir)
    if not (project_dir / "Pulumi.yaml").is_file():
        raise StackNotFoundError(f"no Pulumi project in {project_dir} (Pulumi.yaml not found)")
    project_file = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    project = str(project_file["name"])
    merged: dict[str, Any] = {}
    for key, declaration in (project_file.get("config") or {}).items():
        if isinstance(declaration, dict):
            if "default" in declaration or "value" in declaration:
                merged[_full_key(project, key)] = declaration.get(
                    "value", declaration.get("default")
                )
        else:
            merged[_full_key(project, key)] = declaration

    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")
        )
        raise StackNotFoundError(
            f"no stack '{stack}' ({stack_path.name} not found; stacks: {', '.join(known)})"
        )
    stack_file = yaml.safe_load(stack_path.read_text()) or {}
    secret_keys = []
    for key, value in {**(stack_file.get("config") or {}), **(overrides or {})}.items():
        full = _full_key(project, key)
        encrypted = isinstance(value, dict) and set(value) == {"secure"}
        if encrypted:
            secret_keys.append(full)
        merged[full] = SECRET_MARKER if encrypted else value
    values = {key: _config_string(value) for key, value in merged.items()}
    return StackConfig(project, stack, values, secret_keys)


def run_program(
    program: Callable[[], Any],
    config: StackConfig,
    mocks: PlatformMocks | None = None,
    monitor: RecordingMonitor | None = None,
) -> StackRun:
    """Run ``program`` as stack ``config.stack`` under recording mocks and collect what it made.

    Pass a ``monitor`` to inspect what was registered even when the program fails.
    """
    monitor = monitor or RecordingMonitor(mocks or PlatformMocks(config.region))
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    # A fresh root stack per run, so consecutive runs in one process do not share outputs.
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        monitor.mocks, project=config.project, stack=config.stack, preview=False, monitor=monitor
    )
    exported: dict[str, pulumi.Output[Any]] = {}
    outputs: dict[str, Any] = {}

    def body() -> Any:
        program()
        stack = runtime_settings.get_root_resource()
        for name, value in (getattr(stack, "outputs", None) or {}).items():
            exported[name] = pulumi.Output.from_input(value)
        collected = [
            output.apply(lambda value, name=name: outputs.__setitem__(name, value))
            for name, output in exported.items()
        ]
        return pulumi.Output.all(*collected) if collected else None

    pulumi.runtime.test(body)()
    secret_outputs = {name for name, output in exported.items() if _sync_await(output.is_secret())}
    return StackRun(config, list(monitor.registrations), outputs, secret_outputs)


def run_stack(
    project_dir: str | Path,
    stack: str,
    overrides: dict[str, Any] | None = None,
    monitor: RecordingMonitor | None = None,
) -> StackRun:
    """Run the project's ``__main__.py`` for ``stack`` offline."""
    project_dir = Path(project_dir).resolve()
    config = load_stack_config(project_dir, stack, overrides)
    main = project_dir / "__main__.py"

    def program() -> None:
        sys.path.insert(0, str(project_dir))
        try:
            runpy.run_path(str(main), run_name="__main__")
        finally:
            sys.path.remove(str(project_dir))

    return run_program(program, config, monitor=monitor)
