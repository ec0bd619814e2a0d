"""The component as a package: schema, TypedDict args, wheel contents, examples under mocks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import typing
import zipfile
from pathlib import Path

import pytest
import yaml

from eks_platform.args import component as component_args
from eks_platform.args.compute import (
    FargateProfileArgs,
    FargateSelectorArgs,
    GpuArgs,
    NodeGroupArgs,
    TaintArgs,
)
from eks_platform.args.config import PlatformArgs
from eks_platform.args.workload import LoadBalancerControllerArgs, TlsArgs, WorkloadArgs
from eks_platform.generate.schema import SCHEMA_FILE, component_schema, undocumented, version
from eks_platform.offline import run_stack
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import SECRET_MARKER, RecordingMonitor

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
EXAMPLES = ROOT / "examples"
MIRRORS = {
    component_args.EksPlatformArgs: PlatformArgs,
    component_args.NodeGroupInput: NodeGroupArgs,
    component_args.TaintInput: TaintArgs,
    component_args.FargateProfileInput: FargateProfileArgs,
    component_args.FargateSelectorInput: FargateSelectorArgs,
    component_args.WorkloadInput: WorkloadArgs,
    component_args.TlsInput: TlsArgs,
    component_args.GpuInput: GpuArgs,
    component_args.LoadBalancerControllerInput: LoadBalancerControllerArgs,
}


def test_committed_schema_matches_the_code():
    assert json.loads(SCHEMA_FILE.read_text()) == component_schema()


def test_every_input_output_and_type_property_is_described():
    schema = component_schema()
    assert undocumented(schema) == []
    resource = schema["resources"]["eks-platform:index:EksPlatform"]
    flat = {"clusterName", "kubeconfig", "oidcProviderArn", "vpcId", "privateSubnetIds",
            "publicSubnetIds", "nodeSecurityGroupId", "appUrl"}  # fmt: skip
    assert flat <= set(resource["properties"])
    assert "nodeGroups" in resource["inputProperties"]


@pytest.mark.parametrize("typed", list(MIRRORS), ids=lambda t: t.__name__)
def test_typed_dict_args_mirror_the_validated_model(typed):
    model = MIRRORS[typed]
    hints = typing.get_type_hints(typed)
    assert set(hints) == set(model.model_fields)
    schema = component_schema()
    token = "eks-platform:index:EksPlatform"
    if typed is component_args.EksPlatformArgs:
        properties = schema["resources"][token]["inputProperties"]
    else:
        properties = schema["types"][f"eks-platform:index:{typed.__name__}"]["properties"]
    for name, field in model.model_fields.items():
        camel = field.alias if field.alias and ":" not in field.alias else name
        assert properties[camel]["description"] == field.description, name


def test_plugin_files():
    plugin = yaml.safe_load((COMPONENTS / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    host = (COMPONENTS / "__main__.py").read_text()
    assert "component_provider_host([EksPlatform]" in host
    assert (COMPONENTS / "requirements.txt").read_text().strip().endswith(".")


def test_semantic_version_and_changelog():
    assert re.fullmatch(r"\d+\.\d+\.\d+", version())
    changelog = (COMPONENTS / "CHANGELOG.md").read_text()
    assert f"## {version()} " in changelog.split("\n## ")[0] + "\n## " + changelog.split("\n## ")[1]


def test_the_package_builds_a_wheel_with_its_data_files(tmp_path):
    source = tmp_path / "src"  # a copy: building leaves build/ and *.egg-info behind
    shutil.copytree(
        COMPONENTS, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "venv")
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("eks_platform-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "eks_platform/data/aws_load_balancer_controller_iam_policy.json",
        "eks_platform/offline/data/prices.json",
        "eks_platform/offline/data/creation_times.json",
        "eks_platform/args/component.py",
        "eks_platform/parts/sample_app.py",
        "eks_platform/generate/schema.py",
    ):
        assert needed in names


# --- examples -------------------------------------------------------------------------------------


def test_multi_region_example_puts_each_platform_in_its_providers_region():
    run = run_stack(EXAMPLES / "multi-region", "demo")
    providers = {r.name: r for r in run.registrations if r.type == "pulumi:providers:aws"}
    assert {p.inputs["region"] for p in providers.values()} == {"us-west-2", "ap-northeast-2"}
    regions = {"oregon": "us-west-2", "seoul": "ap-northeast-2"}
    for label, region in regions.items():
        provider_urn = providers[f"aws-{label}"].urn
        platform = run.one("eks-platform:index:EksPlatform", f"eks-{label}")
        aws_resources = [r for r in run.descendants(platform) if r.type.startswith("aws:")]
        assert len(aws_resources) > 30
        for resource in aws_resources:
            assert resource.provider.startswith(provider_urn + "::"), resource.name
        for subnet in (r for r in aws_resources if r.type == "aws:ec2/subnet:Subnet"):
            assert subnet.inputs["availabilityZone"].startswith(region)
        cluster = next(r for r in run.descendants(platform) if r.type == "eks:index:Cluster")
        assert cluster.providers["aws"].startswith(provider_urn + "::")
        assert run.outputs[f"{label}Region"] == region
        key = next(r for r in aws_resources if r.type == "aws:kms/key:Key")
        assert f"logs.{region}.amazonaws.com" in key.inputs["policy"]


def test_python_consumer_example_runs_under_mocks():
    run = run_stack(EXAMPLES / "python-consumer", "dev")
    assert run.outputs["clusterName"] == "team-payments"
    assert "kubeconfig" in run.secret_outputs
    assert len(run.by_type("aws:ec2/natGateway:NatGateway")) == 3  # per_az over the default 3 zones
    assert all(
        s.inputs["availabilityZone"].startswith("eu-west-1")
        for s in run.by_type("aws:ec2/subnet:Subnet")
    )
    requirements = (EXAMPLES / "python-consumer" / "requirements.txt").read_text()
    assert "../../components" in requirements  # a dependency, not a sys.path hack
    assert "sys.path" not in (EXAMPLES / "python-consumer" / "__main__.py").read_text()


def test_yaml_consumer_uses_only_schema_properties():
    program = yaml.safe_load((EXAMPLES / "yaml-consumer" / "Pulumi.yaml").read_text())
    schema = component_schema()
    resource = program["resources"]["platform"]
    assert (
        resource["type"] == "eks-platform:EksPlatform"
    )  # YAML's short form of eks-platform:index:EksPlatform
    inputs = schema["resources"]["eks-platform:index:EksPlatform"]["inputProperties"]
    assert set(resource["properties"]) <= set(inputs)
    node_group = schema["types"]["eks-platform:index:NodeGroupInput"]["properties"]
    for group in resource["properties"]["nodeGroups"]:
        assert set(group) <= set(node_group)
    outputs = schema["resources"]["eks-platform:index:EksPlatform"]["properties"]
    for expression in program["outputs"].values():
        assert expression.removeprefix("${platform.").removesuffix("}") in outputs


def test_stack_reference_consumer_reads_the_flat_outputs():
    platform = run_stack(ROOT, "dev")
    outputs = {**platform.outputs, "__secret__": sorted(platform.secret_outputs)}
    mocks = PlatformMocks("us-west-2", stack_outputs={"organization/eks-platform/dev": outputs})
    run = run_stack(EXAMPLES / "stack-reference-consumer", "dev", monitor=RecordingMonitor(mocks))
    provider = run.one("pulumi:providers:kubernetes")
    assert provider.redacted_inputs["kubeconfig"] == SECRET_MARKER
    assert provider.inputs["kubeconfig"] == platform.outputs["kubeconfig"]
    assert run.outputs["clusterName"] == "eks-platform-dev"
    assert run.outputs["privateSubnetIds"] == platform.outputs["privateSubnetIds"]
    assert run.outputs["namespace"] == "team-a"
