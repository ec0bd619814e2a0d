"""EKS add-on versions: a lock table per Kubernetes minor (data/addon_versions.json, with its
sources and date), so a plan is the same offline every time, a version change shows in the
diff, and an upgrade of the cluster moves its add-ons with it."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

ADDON_VERSION_PATTERN = re.compile(r"v\d+\.\d+\.\d+-eksbuild\.\d+")


@cache
def addon_lock() -> dict[str, dict[str, dict[str, Any]]]:
    """add-on -> Kubernetes minor -> {version, basis, confidence, source}."""
    text = resources.files("eks_platform").joinpath("data", "addon_versions.json").read_text()
    return json.loads(text)["addons"]


LOCKED_ADDONS = tuple(sorted(addon_lock()))


def addon_version(addon: str, kubernetes_version: str, overrides: dict[str, str]) -> str:
    """The version to install: the override, else the lock table's for this minor."""
    if addon in overrides:
        return overrides[addon]
    return str(addon_lock()[addon][kubernetes_version]["version"])


def locked_minors(addon: str) -> list[str]:
    return sorted(addon_lock()[addon], key=lambda v: tuple(int(p) for p in v.split(".")))
