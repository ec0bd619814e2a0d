"""``eks-platform-plan <stack>``: what a stack would create, offline (no CLI, no credentials)."""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pulumi
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from ..config import ConfigError
from .recorder import Registration
from .run import StackNotFoundError, StackRun, run_stack


def _parse_override(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def resource_tree(run: StackRun) -> Tree:
    """The registrations as a tree by parent: type and name of each."""
    children: dict[str, list[Registration]] = defaultdict(list)
    # Sorted, not in registration order (which varies run to run with async resolution).
    for registration in sorted(run.registrations, key=lambda r: (r.type, r.name)):
        children[registration.parent].append(registration)

    def label(registration: Registration) -> str:
        style = "bold" if not registration.custom else ""
        text = f"{registration.type}  [cyan]{registration.name}[/cyan]"
        return f"[{style}]{text}[/{style}]" if style else text

    roots = children[""]
    tree = Tree(f"stack [bold]{run.config.stack}[/bold] ({run.config.region})")

    def add(node: Tree, registration: Registration) -> None:
        branch = node.add(label(registration))
        for child in children[registration.urn]:
            add(branch, child)

    for root in roots:
        for child in children[root.urn]:
            add(tree, child)
    return tree


def summary(run: StackRun) -> str:
    resources = [r for r in run.registrations if r.type != "pulumi:pulumi:Stack"]
    custom = sum(1 for r in resources if r.custom)
    components = len(resources) - custom
    return f"{len(resources)} resources ({custom} cloud resources, {components} components)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="eks-platform-plan",
        description="Run a stack's program under Pulumi mocks and show what it would create.",
    )
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--project-dir", default=".", type=Path, help="folder with Pulumi.yaml")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        type=_parse_override,
        metavar="KEY=VALUE",
        help="override a config value (project keys without namespace, e.g. natMode=per_az)",
    )
    options = parser.parse_args(argv)
    console = Console()
    error_console = Console(stderr=True, soft_wrap=True)
    try:
        run = run_stack(options.project_dir, options.stack, dict(options.overrides))
    except (ConfigError, pulumi.RunError, StackNotFoundError) as error:
        error_console.print(Text.assemble(("error: ", "bold red"), str(error)))
        return 2
    console.print(resource_tree(run))
    console.print(summary(run))
    return 0


def entry() -> None:
    """Console entry point. Exits without interpreter teardown: the Pulumi SDK leaves per-thread
    event loops open, and their finalizers print noise ("Invalid file descriptor") at shutdown."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
