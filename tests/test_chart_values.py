"""Every Helm value the program sets is a key the pinned chart's values.yaml knows.

Reads the charts' values.yaml from ../shared/charts (data copied from each chart's repository at
the pinned version, outside this repository: chart sources are not committed); skipped where that
folder is not beside the checkout.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from eks_platform.offline.report.plan import build_plan

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


# --- custom resources against the pinned CRDs (issue 23, point 7) ------------------------------

CRDS = {  # custom resource type -> CRD file of the pinned Karpenter release
    "kubernetes:karpenter.sh/v1:NodePool": "karpenter.sh_nodepools.yaml",
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": "karpenter.k8s.aws_ec2nodeclasses.yaml",
}
TYPES = {"string": str, "integer": (int, float), "boolean": bool, "object": dict, "array": list}


def scalar_problems(value, schema: dict, path: str) -> list[str]:
    """Type, enum, range and pattern (the recording mocks carry integers as whole floats)."""
    expected = (
        (int, str)
        if schema.get("x-kubernetes-int-or-string")
        else TYPES.get(schema.get("type", ""))
    )
    if expected and not isinstance(value, expected):
        return [f"{path}: {type(value).__name__}, not {schema['type']}"]
    if schema.get("type") == "integer" and value != int(value):
        return [f"{path}: {value} is not a whole number"]
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        found.append(f"{path}: {value} outside {schema.get('minimum')}-{schema.get('maximum')}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{path}: {value!r} does not match {schema['pattern']}")
    return found


def schema_problems(value, schema: dict, path: str = "spec") -> list[str]:
    """What the CRD's structural schema refuses: unknown fields, wrong types, values outside an
    enum, a range or a pattern, missing required fields (CEL rules are not evaluated)."""
    found = scalar_problems(value, schema, path)
    if found:
        return found
    if isinstance(value, dict):
        properties = schema.get("properties")
        found += [
            f"{path}.{key}: required" for key in schema.get("required", []) if key not in value
        ]
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                found += schema_problems(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                found += schema_problems(item, extra, f"{path}.{key}")
            elif properties is not None and extra is None:
                found.append(f"{path}.{key}: unknown field")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += schema_problems(item, schema["items"], f"{path}[{index}]")
    return found


def crd_spec_schema(token: str) -> dict:
    crd = yaml.safe_load((CHARTS / "karpenter-1.14.1" / "crds" / CRDS[token]).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]["properties"]["spec"]


@pytest.mark.parametrize("gpu", [{}, {"nodePool": True}])
def test_karpenters_custom_resources_fit_the_pinned_crds(run_dev, gpu):
    run = run_dev(computeMode="karpenter", gpu=gpu)
    checked = 0
    for resource in (r for r in run.registrations if r.type in CRDS):
        schema = crd_spec_schema(resource.type)
        assert schema_problems(resource.inputs["spec"], schema) == [], resource.name
        checked += 1
    assert checked == (4 if gpu else 2)


def test_the_crd_check_finds_what_karpenter_would_refuse():
    """Negative control: a weight above 100, an unknown operator and a misspelt field."""
    pool = {
        "weight": 101,
        "template": {"spec": {"nodeClassRef": {"group": "g", "kind": "k", "name": "n"},
                              "requirements": [{"key": "k", "operator": "Absent"}],
                              "expireAfer": "720h"}},
    }  # fmt: skip
    found = schema_problems(pool, crd_spec_schema("kubernetes:karpenter.sh/v1:NodePool"))
    assert any("weight: 101 outside 1-100" in f for f in found)
    assert any("operator: 'Absent' not in" in f for f in found)
    assert any("expireAfer: unknown field" in f for f in found)
