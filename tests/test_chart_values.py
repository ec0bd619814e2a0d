"""Every Helm value the program sets is a key the pinned chart's values.yaml knows.

Reads the charts' values.yaml from ../shared/charts (data copied from each chart's repository at
the pinned version, outside this repository: chart sources are not committed); skipped where that
folder is not beside the checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eks_platform.offline.plan import build_plan

CHARTS = Path(__file__).resolve().parents[2] / "shared" / "charts"
FOLDERS = {  # chart as the program names it -> folder of the pinned version
    "aws-load-balancer-controller": "aws-load-balancer-controller-3.5.0",
    "oci://public.ecr.aws/karpenter/karpenter": "karpenter-1.14.1",
    "oci://public.ecr.aws/karpenter/karpenter-crd": "karpenter-crd-1.14.1",
    "oci://ghcr.io/stefanprodan/charts/podinfo": "podinfo-6.14.1",
    "metrics-server": "metrics-server-3.13.1",
    "cluster-autoscaler": "cluster-autoscaler-9.59.0",
    "nvidia-device-plugin": "nvidia-device-plugin-0.20.0",
}
# Maps whose contents the charts leave open (shared/charts/README.md, "Caveats").
FREE_FORM = {"podAnnotations", "nodeSelector", "tolerations", "affinity", "extraArgs", "env",
             "resources", "podDisruptionBudget", "settings", "securityContext",
             "podSecurityContext", "topologySpreadConstraints", "autoDiscovery"}  # fmt: skip
UNDECLARED = {"podinfo": {"fullnameOverride"}}  # read by templates, commented out in values.yaml

pytestmark = pytest.mark.skipif(
    not CHARTS.is_dir(), reason="../shared/charts is not beside the checkout"
)


def unknown_keys(values: dict, known: dict, path: str = "") -> list[str]:
    found = []
    for key, value in values.items():
        here = f"{path}.{key}" if path else key
        if key not in known:
            found.append(here)
        elif isinstance(value, dict) and isinstance(known[key], dict) and key not in FREE_FORM:
            found += unknown_keys(value, known[key], here)
    return found


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"computeMode": "karpenter", "karpenter": {"amiAlias": "al2023@v20260724"}},
        {"computeMode": "auto", "nodeGroups": []},
        {
            "computeMode": "karpenter",
            "karpenter": {"amiAlias": "al2023@v20260724"},
            "gpu": {"nodePool": True},
        },
    ],
)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_value_is_a_key_of_the_pinned_chart(run_dev, stack, overrides):
    plan = build_plan(run_dev(stack, **overrides))
    checked = 0
    for release in (r for r in plan.registrations if r.type == "kubernetes:helm.sh/v3:Release"):
        folder = FOLDERS[release.inputs["chart"]]
        known = yaml.safe_load((CHARTS / folder / "values.yaml").read_text()) or {}
        for extra in UNDECLARED.get(folder.rsplit("-", 1)[0], ()):
            known.setdefault(extra, None)
        assert unknown_keys(release.inputs.get("values") or {}, known) == [], folder
        checked += 1
    assert checked >= 2


def test_the_check_finds_a_key_the_chart_does_not_have():
    known = yaml.safe_load((CHARTS / "metrics-server-3.13.1" / "values.yaml").read_text())
    assert unknown_keys({"replicas": 2, "replicaCount": 2}, known) == ["replicaCount"]
