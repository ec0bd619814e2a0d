"""Checkov's kubernetes framework over the Kubernetes objects the program itself creates.

Checkov cannot read Pulumi programs, and its Helm framework silently disables itself without the
helm binary (FACTS.md §1), so the objects are rendered to YAML from their recorded inputs and
scanned as plain manifests, offline. Charts' own objects are the charts' business and are not
rendered here. A check skipped for one of our objects must be skipped in the program, with a
``checkov.io/skip<n>: <ID>=<reason>`` annotation next to the object.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_platform.offline import StackRun, run_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHARTS = "kubernetes:helm.sh/"
# checkov lives in a virtualenv of its own (requirements-checkov.txt; scripts/bootstrap makes it).
CHECKOV = Path(os.environ.get("CHECKOV_BIN", PROJECT_DIR / "venv-checkov" / "bin" / "checkov"))


def _integral(value: Any) -> Any:
    """Protobuf carries numbers as floats; Kubernetes wants 80, not 80.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def manifests(run: StackRun) -> list[dict[str, Any]]:
    """The program's own Kubernetes objects (not Helm releases), as manifests."""
    return [
        _integral(
            {
                key: r.inputs[key]
                for key in ("apiVersion", "kind", "metadata", "spec")
                if key in r.inputs
            }
        )
        for r in run.registrations
        if r.type.startswith("kubernetes:") and not r.type.startswith(CHARTS)
    ]


def scan(objects: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    assert CHECKOV.exists(), f"checkov not found at {CHECKOV}: run scripts/bootstrap"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(folder),
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
        # No network: no Bridgecrew mapping download, no version check.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        timeout=300,
    )
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


VARIANTS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "in-tree-internal": (
        "dev",
        {"loadBalancerController": {"enabled": False}, "workload": {"scheme": "internal"}},
    ),
    "alb-https-gpu": (
        "dev",
        {
            "computeMode": "karpenter",
            "gpu": {"nodePool": True, "smokeTest": True},
            "workload": {
                "exposure": "alb",
                "domain": "app.example.com",
                "hostedZoneId": "Z0123456789ABC",
            },
        },
    ),
}
KINDS = {"Namespace", "PodDisruptionBudget", "Service", "StorageClass"}
EXTRA_KINDS = {"alb-https-gpu": {"Ingress", "Job", "NodePool", "EC2NodeClass"}}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, tuple[list[dict[str, Any]], dict[str, Any]]]:
    found = {}
    for variant, (stack, overrides) in VARIANTS.items():
        objects = manifests(run_stack(PROJECT_DIR, stack, overrides))
        found[variant] = (objects, scan(objects, tmp_path_factory.mktemp(variant)))
    return found


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_program_objects_pass_checkov(reports, variant):
    objects, report = reports[variant]
    assert {o["kind"] for o in objects} == KINDS | EXTRA_KINDS.get(variant, set())
    summary = report["summary"]
    assert summary["resource_count"] == len(objects)
    assert summary["parsing_errors"] == 0
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert summary["passed"] > 0
    # A skip is allowed only where the object carries it, with its reason, next to the object.
    reasons = [
        value
        for o in objects
        for meta in (
            o.get("metadata") or {},
            ((o.get("spec") or {}).get("template") or {}).get("metadata") or {},
        )
        for key, value in (meta.get("annotations") or {}).items()
        if key.startswith("checkov.io/skip")
    ]
    assert all("=" in reason and reason.split("=", 1)[1] for reason in reasons)
    assert summary["skipped"] == len(reasons)


def test_the_scanner_finds_problems_offline(tmp_path):
    """A negative control: the same scan fails a Pod that breaks the rules, so a clean
    report above means something."""
    bad_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bad", "namespace": "default"},
        "spec": {
            "containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]
        },
    }
    report = scan([bad_pod], tmp_path)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV_K8S_16", "CKV_K8S_21", "CKV_K8S_14"} <= failed
