"""Shared fixtures: run the real program (or any program) under recording Pulumi mocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eks_platform.offline import StackRun, load_stack_config, run_program, run_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent


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
