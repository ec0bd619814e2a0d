"""Running the platform program offline: recording mocks, stack config loading, the plan command."""

from .model.mocks import ACCOUNT_ID, PlatformMocks
from .model.recorder import RecordingMonitor, Registration, redact_secrets
from .model.run import (
    StackConfig,
    StackNotFoundError,
    StackRun,
    load_stack_config,
    run_program,
    run_stack,
)

__all__ = [
    "ACCOUNT_ID",
    "PlatformMocks",
    "RecordingMonitor",
    "Registration",
    "StackConfig",
    "StackNotFoundError",
    "StackRun",
    "load_stack_config",
    "redact_secrets",
    "run_program",
    "run_stack",
]
