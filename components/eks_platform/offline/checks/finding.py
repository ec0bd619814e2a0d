"""A finding of a check: what AWS or Kubernetes would refuse or do, and the resources and
config keys behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    check: str
    message: str
    resources: list[str]
    """Logical names of the resources involved."""
    keys: list[str] = field(default_factory=list)
    """Config keys behind them (empty when the platform's own code is at fault)."""

    def __str__(self) -> str:
        keys = f" (config: {', '.join(self.keys)})" if self.keys else " (the platform's code)"
        return f"[{self.check}] {self.message}: {', '.join(self.resources)}{keys}"

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "message": self.message,
            "resources": self.resources,
            "keys": self.keys,
        }
