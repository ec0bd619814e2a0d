"""Shared fixtures: run the real program (or any program) under recording Pulumi mocks."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from eks_platform.args.versions import TODAY_VARIABLE
from eks_platform.offline import StackRun, load_stack_config, run_program, run_stack
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import RecordingMonitor, Registration

PROJECT_DIR = Path(__file__).resolve().parent.parent
PINNED_TODAY = "2026-11-30"
"""The day every test judges Kubernetes support windows on (never the clock: 1.34 leaves
standard support on 2026-12-02, 1.35 on 2027-03-27)."""


NO_EGRESS_NEEDED = {
    "loadBalancerController": {"enabled": False},
    "workload": {"enabled": False},
    "metricsServer": False,
}
"""What a natMode none stack must leave out: everything whose image is outside ECR."""


def pytest_configure(config: pytest.Config) -> None:
    """Pins the package's notion of today before any test module is imported (some plan at
    import), for this process and every command the tests start."""
    os.environ[TODAY_VARIABLE] = PINNED_TODAY


@pytest.fixture
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture
def run_dev() -> Callable[..., StackRun]:
    """Run ``__main__.py`` as the dev stack, with config overrides (``natMode="per_az"``)."""

    def run(stack: str = "dev", **overrides: Any) -> StackRun:
        return run_stack(PROJECT_DIR, stack, overrides)

    return run


@pytest.fixture
def run_with_stack_config() -> Callable[..., StackRun]:
    """Run any ``program`` with a stack's config and overrides, under recording mocks."""

    def run(program: Callable[[], Any], stack: str = "dev", **overrides: Any) -> StackRun:
        return run_program(program, load_stack_config(PROJECT_DIR, stack, overrides))

    return run


@pytest.fixture
def run_bad() -> Callable[[dict[str, Any]], tuple[str, list[Registration]]]:
    """Run the dev stack with bad ``overrides``: the error message and what got registered."""

    def run(overrides: dict[str, Any]) -> tuple[str, list[Registration]]:
        monitor = RecordingMonitor(PlatformMocks(overrides.get("aws:region", "us-west-2")))
        with pytest.raises(pulumi.RunError) as caught:
            run_stack(PROJECT_DIR, "dev", overrides, monitor=monitor)
        registered = [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
        return str(caught.value), registered

    return run
