"""Run the policy pack over a stack's offline plan: no CLI, no credentials.

    venv/bin/python policy/offline.py dev [--set key=value]
    venv/bin/python policy/offline.py global --project-dir fleet    # the whole fleet

Exits 1 when a mandatory rule is violated, 2 when the stack cannot be run (its config is
refused, it does not exist). The tests run it over every shipped stack and the fleet.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from guardrails import POLICIES
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError

from eks_platform.args.config import ConfigError
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import Registration
from eks_platform.offline.model.run import StackNotFoundError, add_stack_arguments, run_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str

    def __str__(self) -> str:
        return f"[{self.level}] {self.policy}: {self.urn.split('::')[-1]}: {self.message}"


def _options(registration: Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=registration.protect,
        ignore_changes=list(registration.ignore_changes),
        delete_before_replace=registration.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=registration.parent or None,
    )


def policy_resources(registrations: list[Registration]) -> list[PolicyResource]:
    """The registrations as the analyzer sees resources: inputs, parent and dependency links."""
    resources: dict[str, PolicyResource] = {}
    for registration in registrations:
        if registration.type == "pulumi:pulumi:Stack":
            continue
        resources[registration.urn] = PolicyResource(
            registration.type, registration.inputs, registration.urn, registration.name,
            _options(registration), None, None, [], {},
        )  # fmt: skip
    for registration in registrations:
        resource = resources.get(registration.urn)
        if resource is None:
            continue
        resource.parent = resources.get(registration.parent)
        resource.dependencies = [resources[u] for u in registration.dependencies if u in resources]
        resource.property_dependencies = {
            key: [resources[u] for u in urns if u in resources]
            for key, urns in registration.property_dependencies.items()
        }
    return list(resources.values())


def evaluate(
    registrations: list[Registration],
    config: dict[str, Any] | None = None,
    *,
    modelled: bool = True,
) -> list[Violation]:
    """Every violation of every policy, as `pulumi preview --policy-pack` would report them.

    The policies also see what pulumi-eks creates (modelled from its source): in a real preview
    the analyzer receives those resources too, so rules on ``aws:eks/cluster:Cluster`` bite.
    ``modelled=False`` checks exactly the registrations given (single-resource fixtures)."""
    resources = policy_resources(with_modelled(registrations) if modelled else registrations)
    violations: list[Violation] = []
    for policy in POLICIES:
        level = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
        settings = (config or {}).get(policy.name, {})

        def report(
            message: str, urn: str | None = None, name: str = policy.name, level: str = level
        ) -> None:
            violations.append(Violation(name, level, urn or "", message))

        try:
            if isinstance(policy, ResourceValidationPolicy):
                for resource in resources:
                    args = ResourceValidationArgs(
                        resource.resource_type, resource.props, resource.urn, resource.name,
                        resource.opts, None, settings,
                    )  # fmt: skip
                    for validate in (
                        policy.validate if isinstance(policy.validate, list) else [policy.validate]
                    ):
                        if validate:
                            validate(args, report)
            elif isinstance(policy, StackValidationPolicy) and policy.validate:
                policy.validate(StackValidationArgs(resources, settings), report)
        except _NotApplicableError:
            continue
    return violations


def main() -> int:
    """Exit 0 clean (advisories allowed), 1 a mandatory violation, 2 the stack cannot be run."""
    parser = argparse.ArgumentParser(description="Run the policy pack over a stack's offline plan.")
    add_stack_arguments(parser, PROJECT_DIR)
    options = parser.parse_args()
    try:
        run = run_stack(options.project_dir, options.stack, dict(options.overrides))
    except (ConfigError, pulumi.RunError, StackNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    violations = evaluate(run.registrations)
    for violation in violations:
        print(violation)
    mandatory = [v for v in violations if v.level == "mandatory"]
    advisory = len(violations) - len(mandatory)
    print(f"{len(POLICIES)} policies: {len(mandatory)} mandatory, {advisory} advisory violations")
    return 1 if mandatory else 0


if __name__ == "__main__":
    sys.exit(main())
