"""``eks-platform-plan <stack>``: an offline plan (no CLI, no credentials).

    eks-platform-plan dev                              # tree, cost table, critical path
    eks-platform-plan dev --format json > plan.json    # the JSON contract
    eks-platform-plan dev --format mermaid             # architecture diagram
    eks-platform-plan dev --set natMode=per_az --diff-against plan.json   # or a git ref
    eks-platform-plan dev --destroy-order              # what `pulumi destroy` deletes, in waves
    eks-platform-plan upgrade dev --to 1.36            # the steps of an upgrade, minor by minor
    eks-platform-plan upgrade global --project-dir fleet --region eu-west-1 --to 1.36

Exit status: 0 done (with --diff-against: no changes), 1 changes found, 2 error, 3 the
preflight found something AWS would refuse (``--no-preflight`` reports it but exits 0), 4 the
change would replace or delete the cluster, the VPC, the KMS key or a protected resource, or a
day-2 check finds what the change would break (``checks.transitions``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from ..args.versions import today as judging_day
from .change.destroy import destroy_order_json
from .change.diff import PLAN_ERRORS, base_plan, diff_plans, render_diff
from .change.upgrade import UpgradeError, plan_upgrade, render_upgrade
from .cost.estimate import PRICES_VARIABLE
from .model.run import (
    EXIT_ERROR,
    EXIT_OK,
    add_check_arguments,
    add_stack_arguments,
    exit_status,
    parse_plan_arguments,
    run_stack,
)
from .report.fleet import is_fleet, region_run
from .report.fleet import main as fleet_main
from .report.mermaid import to_mermaid
from .report.plan import Plan, build_plan, render_text


class _UsePrices(argparse.Action):
    """``--prices FILE``: plan with that table (an argparse error, exit 2, if it is missing)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: Any, values: Any, _: Any = None
    ) -> None:
        path = Path(str(values))
        if not path.is_file():
            parser.error(f"no price table at {path}")
        os.environ[PRICES_VARIABLE] = str(path.resolve())
        setattr(namespace, self.dest, path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eks-platform-plan",
        description="Plan a stack offline: resources, cost, critical path, diagram, diff.",
    )
    add_stack_arguments(parser, Path("."))
    parser.add_argument("--format", choices=("text", "json", "mermaid"), default="text")
    parser.add_argument(
        "--prices",
        action=_UsePrices,
        metavar="FILE",
        help=(
            "plan with this price table (built by python -m "
            "eks_platform.offline.cost.refresh_prices)"
        ),
    )
    parser.add_argument(
        "--destroy-order",
        action="store_true",
        help="show the order `pulumi destroy` deletes the resources in (waves), not the plan",
    )
    add_check_arguments(parser, "plan")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The plan, or with ``upgrade`` first the steps of an upgrade."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["upgrade"]:
        return upgrade_main(arguments[1:])
    if arguments[:1] == ["fleet"]:
        return fleet_main(arguments[1:])
    return plan_main(arguments)


def plan_main(arguments: Sequence[str]) -> int:
    options = parse_plan_arguments(_parser(), arguments)
    # Wide enough for CI logs when not on a terminal; machine formats never wrap.
    width = None if sys.stdout.isatty() else 160
    console = Console(soft_wrap=options.format != "text", width=width)
    errors = Console(stderr=True, soft_wrap=True)
    # Values stay strings, as Pulumi passes config; JSON lists and maps are decoded where the
    # program reads its config (stack_config.project_config).
    overrides = dict(options.overrides)
    try:
        plan = build_plan(run_stack(options.project_dir, options.stack, overrides))
        if options.diff_against:
            # --set is a what-if on this side only; the base is the stack as it was.
            base = base_plan(options.diff_against, options.project_dir, options.stack)
            diff = diff_plans(base, plan.to_json())
            if options.format == "json":
                # The new configuration's preflight findings beside the change's (exit 3).
                document = {**diff.to_json(), "preflight": [f.to_json() for f in plan.findings]}
                console.out(json.dumps(document, indent=2))
            else:
                render_diff(diff, console)
            return exit_status(plan.findings, options.no_preflight, errors, diff)
    except PLAN_ERRORS as error:
        errors.print(Text.assemble(("error: ", "bold red"), str(error)))
        return EXIT_ERROR
    if options.destroy_order:
        _print_destroy_order(plan, options.format, console)
    elif options.format == "json":
        console.out(json.dumps(plan.to_json(), indent=2, default=str))
    elif options.format == "mermaid":
        console.out(to_mermaid(plan), end="")
    else:
        render_text(plan, console)
    return exit_status(plan.findings, options.no_preflight, errors)


def _print_destroy_order(plan: Plan, output_format: str, console: Console) -> None:
    waves = destroy_order_json(plan.graph)
    if output_format == "json":
        console.out(json.dumps({"stack": plan.stack, "waves": waves}, indent=2))
        return
    for number, wave in enumerate(waves, start=1):
        names = ", ".join(f"{r['name']} ({r['type'].rsplit(':', 1)[-1]})" for r in wave)
        console.print(Text(f"wave {number}: {names}"))


def entry() -> None:
    """Console entry point. Exits without interpreter teardown: the Pulumi SDK leaves per-thread
    event loops open, and their finalizers print noise ("Invalid file descriptor") at shutdown."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()


def upgrade_main(argv: Sequence[str]) -> int:
    """``eks-platform-plan upgrade <stack> --to <minor>``: exit 0, or 2 if it cannot be planned."""
    parser = argparse.ArgumentParser(
        prog="eks-platform-plan upgrade",
        description="The steps of a Kubernetes upgrade, one minor at a time, planned offline.",
    )
    add_stack_arguments(parser, Path("."))
    parser.add_argument("--to", required=True, help="target Kubernetes minor, such as 1.36")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--region", help="a fleet's region to upgrade (fleets upgrade one by one)")
    options = parser.parse_args(argv)
    console = Console(soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    overrides = dict(options.overrides)
    try:
        run = run_stack(options.project_dir, options.stack, overrides)
        if is_fleet(run) != bool(options.region):
            raise UpgradeError(
                "a fleet upgrades one region per update: give --region"
                if is_fleet(run)
                else "--region is for a fleet's stack (this is one platform)"
            )
        if options.region:
            run, entry = region_run(run, options.region)
            addon_overrides = dict(entry.get("addonVersions") or {})
            switch = entry.get("kubernetesRollback", False)
        else:
            configured = run.config.values.get(f"{run.config.project}:addonVersions", "{}")
            addon_overrides = json.loads(configured) if configured else {}
            switch = run.config.values.get(f"{run.config.project}:kubernetesRollback", "false")
        plan = plan_upgrade(
            run,
            options.to,
            addon_overrides,
            judging_day(),
            rollback=str(switch).lower() == "true",
            region=options.region,
        )
    except (*PLAN_ERRORS, UpgradeError, LookupError) as error:
        errors.print(Text.assemble(("error: ", "bold red"), str(error)))
        return EXIT_ERROR
    if options.format == "json":
        console.out(json.dumps(plan.to_json(), indent=2))
    else:
        for line in render_upgrade(plan):
            console.print(Text(line))
    return EXIT_OK
