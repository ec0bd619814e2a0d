"""The offline plan: cost arithmetic, critical path, JSON contract, diff, Mermaid, secrets."""

from __future__ import annotations

import datetime
import json
import re
import subprocess

import networkx as nx
import pytest

from eks_platform.offline import run_stack
from eks_platform.offline.change.diff import changed_keys, diff_plans
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.cost.estimate import estimate_cost, spot_discount
from eks_platform.offline.model.graph import critical_path, resource_graph
from eks_platform.offline.model.recorder import Registration
from eks_platform.offline.report.mermaid import to_mermaid
from eks_platform.offline.report.plan import build_plan

TODAY = datetime.date(2026, 11, 22)


def reg(
    urn: str, type_: str, inputs: dict | None = None, deps: list[str] | None = None, **kw
) -> Registration:
    return Registration(
        urn=urn,
        type=type_,
        name=urn,
        custom=kw.pop("custom", True),
        parent=kw.pop("parent", ""),
        provider=kw.pop("provider", ""),
        dependencies=deps or [],
        property_dependencies={},
        raw_inputs=inputs or {},
        resource_id=kw.pop("resource_id", None),
    )


# --- cost -----------------------------------------------------------------------------------------

FIXTURE = [
    reg("cluster", "eks:index:Cluster", {"version": "1.35"}),
    reg("nat", "aws:ec2/natGateway:NatGateway"),
    reg("eip", "aws:ec2/eip:Eip"),
    reg("lt", "aws:ec2/launchTemplate:LaunchTemplate",
        {"blockDeviceMappings": [{"ebs": {"volumeSize": 20}}]}, resource_id="lt-1"),
    reg("spot", "aws:eks/nodeGroup:NodeGroup", {
        "scalingConfig": {"desiredSize": 2}, "instanceTypes": ["t4g.medium"],
        "capacityType": "SPOT", "launchTemplate": {"id": "lt-1"}}),
    reg("key", "aws:kms/key:Key"),
]  # fmt: skip


def test_cost_arithmetic_on_a_hand_computed_fixture():
    estimate = estimate_cost(FIXTURE, "us-east-1", TODAY)
    lines = {(i.item, i.resource): i.monthly_usd for i in estimate.items}
    assert lines[("eks_control_plane_standard", "cluster")] == 73.00  # 730 h x 0.10
    assert lines[("nat_gateway", "nat")] == 32.85  # 730 h x 0.045
    assert lines[("nat_gateway_data", "nat")] == 2.25  # 50 GB x 0.045
    assert lines[("public_ipv4", "eip")] == 3.65  # 730 h x 0.005
    assert lines[("ec2:t4g.medium", "spot")] == 22.08  # 2 x 730 h x 0.0336 x (1 - 0.55, t4g)
    assert lines[("ebs_gp3", "spot")] == 3.20  # 2 x 20 GB x 0.08
    assert lines[("kms_key", "key")] == 1.00
    assert estimate.monthly_usd == round(73 + 32.85 + 2.25 + 3.65 + 22.08 + 3.2 + 1, 2)
    assert estimate.warnings == []


def test_extended_support_is_priced_six_times_higher():
    old = [reg("cluster", "eks:index:Cluster", {"version": "1.33"})]
    (line,) = estimate_cost(old, "us-east-1", TODAY).items
    assert (line.item, line.monthly_usd) == ("eks_control_plane_extended", 438.0)


def test_unknown_instance_type_is_an_unpriced_line_with_a_warning():
    group = reg(
        "g",
        "aws:eks/nodeGroup:NodeGroup",
        {"scalingConfig": {"desiredSize": 3}, "instanceTypes": ["x9z.huge"]},
    )
    estimate = estimate_cost([group], "us-east-1", TODAY)
    (line,) = estimate.items
    assert line.monthly_usd is None and not line.priced and "UNPRICED" in line.note
    assert estimate.warnings == ["g: no price for ec2:x9z.huge in us-east-1"]
    assert estimate.to_json()["items"][0]["priced"] is False


def test_unknown_region_is_unpriced_not_zero():
    estimate = estimate_cost(FIXTURE, "sa-east-1", TODAY)
    assert all(item.monthly_usd is None for item in estimate.items)
    assert "no prices for region 'sa-east-1'" in estimate.warnings[0]


def test_fargate_pods_are_priced_from_their_requests():
    registrations = [
        reg("profile", "aws:eks/fargateProfile:FargateProfile",
            {"selectors": [{"namespace": "web"}]}),
        reg("app", "kubernetes:helm.sh/v3:Release", {
            "namespace": "web",
            "values": {"replicaCount": 2,
                       "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}}),
        reg("other", "kubernetes:helm.sh/v3:Release", {"namespace": "elsewhere", "values": {}}),
    ]  # fmt: skip
    lines = {i.item: i for i in estimate_cost(registrations, "us-east-1", TODAY).items}
    assert lines["fargate_vcpu"].monthly_usd == round(2 * 0.5 * 730 * 0.04048, 2)
    assert lines["fargate_memory"].monthly_usd == round(2 * 1 * 730 * 0.004445, 2)
    assert len(lines) == 2  # the release outside Fargate's namespaces is not priced here


def test_shipped_stacks_cost():
    dev = build_plan(run_stack(".", "dev"), TODAY)
    prod = build_plan(run_stack(".", "prod"), TODAY)
    assert dev.cost.warnings == [] and prod.cost.warnings == []
    assert 100 < dev.cost.monthly_usd < prod.cost.monthly_usd
    items = {i.item for i in prod.cost.items}
    assert {"eks_control_plane_standard", "nat_gateway", "ec2:m7g.large", "nlb", "kms_key"} <= items


# --- critical path ------------------------------------------------------------------------------


def test_critical_path_on_a_synthetic_graph():
    registrations = [
        reg("vpc", "aws:ec2/vpc:Vpc"),  # 15
        reg("subnet", "aws:ec2/subnet:Subnet", deps=["vpc"]),  # 5
        reg("key", "aws:kms/key:Key"),  # 20
        reg("cluster", "eks:index:Cluster", deps=["subnet", "key"]),  # 600
        reg("nat", "aws:ec2/natGateway:NatGateway", deps=["subnet"]),  # 110
        reg("group", "aws:eks/nodeGroup:NodeGroup", deps=["cluster"]),  # 120
    ]
    path = critical_path(resource_graph(registrations))
    assert path.seconds == 20 + 600 + 120
    # vpc+subnet and key both take 20 s; ties go to the larger URN, so the path is stable.
    assert path.path == ["vpc", "subnet", "cluster", "group"]
    assert path.floor_seconds == 15 + 5 + 600 + 120
    assert path.floor == ["network", "subnet", "control plane", "first node group"]
    assert path.ratio == round(740 / 740, 3)


def test_graph_edges_include_parents_and_providers():
    registrations = [
        reg("component", "my:index:Thing", custom=False),
        reg("provider", "pulumi:providers:kubernetes"),
        reg("child", "kubernetes:core/v1:Namespace", parent="component", provider="provider::id-1"),
    ]
    graph = resource_graph(registrations)
    assert set(graph.predecessors("child")) == {"component", "provider"}
    assert nx.is_directed_acyclic_graph(graph)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_are_within_five_percent_of_the_floor(stack):
    path = build_plan(run_stack(".", stack), TODAY).critical_path
    assert path.floor == [
        "network",
        "subnet",
        "control plane",
        "first node group",
        "controller",
        "app",
        "load balancer",
    ]
    assert path.ratio <= 1.05


# --- JSON contract, secrets ---------------------------------------------------------------------


def test_json_contract(capsys):
    assert plan_main(["dev", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert list(plan) == [
        "format_version",
        "stack",
        "project",
        "region",
        "resources",
        "outputs",
        "cost",
        "critical_path",
        "preflight",
    ]
    assert plan["preflight"] == []
    assert (plan["format_version"], plan["stack"], plan["region"]) == (1, "dev", "us-west-2")
    resource = plan["resources"][0]
    assert list(resource) == [
        "urn", "type", "name", "modelled", "parent", "provider", "dependencies",
        "property_dependencies", "protect", "retain_on_delete", "delete_before_replace",
        "ignore_changes", "aliases", "inputs",
    ]  # fmt: skip
    assert [r["urn"] for r in plan["resources"]] == sorted(r["urn"] for r in plan["resources"])
    assert set(plan["cost"]) >= {"monthly_usd", "items", "assumptions"}
    assert set(plan["critical_path"]) >= {"seconds", "floor_seconds", "path"}
    urns = {r["urn"] for r in plan["resources"]}
    assert set(plan["critical_path"]["path"]) <= urns


def test_json_is_stable_across_runs(capsys):
    plan_main(["prod", "--format", "json"])
    first = capsys.readouterr().out
    plan_main(["prod", "--format", "json"])
    assert capsys.readouterr().out == first


def test_secrets_never_appear_in_any_format(capsys):
    run = run_stack(".", "dev")
    kubeconfig = run.outputs["kubeconfig"]
    server = json.loads(kubeconfig)["clusters"][0]["cluster"]["certificate-authority-data"]
    for fmt in ("text", "json", "mermaid"):
        plan_main(["dev", "--format", fmt])
        out = capsys.readouterr().out
        assert kubeconfig not in out and server not in out, fmt
    plan_main(["dev", "--format", "json"])
    plan = json.loads(capsys.readouterr().out)
    assert plan["outputs"]["kubeconfig"] == "[secret]"
    provider = next(
        r
        for r in plan["resources"]
        if r["type"] == "pulumi:providers:kubernetes" and not r["modelled"]
    )
    assert provider["inputs"]["kubeconfig"] == "[secret]"


def test_text_format_shows_tree_cost_and_path(capsys):
    assert plan_main(["dev"]) == 0
    out = capsys.readouterr().out
    assert "eks:index:Cluster" in out and "k8s 1.35 STANDARD" in out
    assert "Monthly cost estimate (us-west-2)" in out and "total" in out
    assert "Deploy critical path" in out and "ratio 1.02" in out


# --- Mermaid --------------------------------------------------------------------------------------

NODE = re.compile(r'^(?P<id>[A-Za-z0-9_]+)(\["[^"]*"\]|\(\("[^"]*"\)\))$')
SUBGRAPH = re.compile(r'^subgraph (?P<id>[A-Za-z0-9_]+)\["[^"]*"\]$')
EDGE = re.compile(r"^(?P<a>[A-Za-z0-9_]+) (-->|-\. [a-z ]+ \.->) (?P<b>[A-Za-z0-9_]+)$")


def parse_flowchart(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """A strict reader for the subset of Mermaid flowchart syntax the generator emits."""
    lines = [line.strip() for line in text.strip().splitlines()]
    assert lines[0] == "flowchart LR"
    nodes: set[str] = set()
    edges: list[tuple[str, str]] = []
    depth = 0
    for line in lines[1:]:
        if line == "end":
            depth -= 1
            assert depth >= 0
        elif match := SUBGRAPH.match(line):
            nodes.add(match["id"])
            depth += 1
        elif match := NODE.match(line):
            assert match["id"] not in nodes, f"duplicate node {match['id']}"
            nodes.add(match["id"])
        elif match := EDGE.match(line):
            edges.append((match["a"], match["b"]))
        else:
            raise AssertionError(f"not flowchart syntax: {line!r}")
    assert depth == 0
    for a, b in edges:
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


def test_mermaid_is_a_flowchart_with_the_architecture(capsys):
    assert plan_main(["dev", "--format", "mermaid"]) == 0
    nodes, edges = parse_flowchart(capsys.readouterr().out)
    assert {
        "vpc",
        "public_tier",
        "private_tier",
        "control_plane",
        "compute",
        "kubernetes",
        "users",
    } <= nodes
    assert {"dev_network_nat_instance_instance", "dev_control_plane_eks", "dev_compute_spot_arm",
            "dev_lb_controller_release", "dev_app_release", "dev_app_service"} <= nodes  # fmt: skip
    assert ("users", "dev_app_service") in edges
    assert ("dev_app_service", "dev_app_release") in edges
    assert ("private_tier", "dev_network_nat_instance_instance") in edges
    assert ("dev_network_nat_instance_instance", "dev_network_igw") in edges


def test_mermaid_with_fargate_and_an_existing_vpc():
    run = run_stack(
        ".",
        "dev",
        {
            "existingVpcId": "vpc-0123456789abcdef0",
            "existingPublicSubnetIds": ["subnet-0000000a"],
            "existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"],
            "fargateProfiles": [{"name": "batch", "selectors": [{"namespace": "batch"}]}],
        },
    )
    nodes, _ = parse_flowchart(to_mermaid(build_plan(run, TODAY)))
    assert "existing_vpc" in nodes and "vpc" not in nodes
    assert "dev_compute_fargate_batch" in nodes


# --- diff -----------------------------------------------------------------------------------------


def test_changed_keys_are_dotted_paths():
    old = {"a": 1, "b": {"c": 2, "d": [1]}, "e": 3}
    new = {"a": 1, "b": {"c": 5, "d": [1, 2]}, "f": 4}
    assert changed_keys(old, new) == ["b.c", "b.d", "e", "f"]


def test_diff_cases():
    base = json.loads(json.dumps(build_plan(run_stack(".", "dev"), TODAY).to_json()))
    assert not diff_plans(base, base).has_changes
    per_az = build_plan(run_stack(".", "dev", {"natMode": "per_az"}), TODAY).to_json()
    diff = diff_plans(base, per_az)
    assert diff.has_changes
    assert any("nat-us-west-2b" in urn for urn in diff.added)
    assert any("network-private" in urn for urn in diff.removed)  # one private table becomes two
    assert diff.cost_delta_usd > 30
    bigger = build_plan(run_stack(".", "dev", {"clusterLogRetentionDays": 365}), TODAY).to_json()
    diff = diff_plans(base, bigger)
    assert (diff.added, diff.removed) == ([], [])
    ((urn, keys),) = diff.changed.items()
    assert urn.endswith("control-plane-logs") and keys == ["retentionInDays"]


def test_diff_against_a_file_sets_the_exit_status(tmp_path, capsys):
    plan_main(["dev", "--format", "json"])
    saved = tmp_path / "plan.json"
    saved.write_text(capsys.readouterr().out)
    assert plan_main(["dev", "--diff-against", str(saved)]) == 0
    assert "no changes" in capsys.readouterr().out
    assert plan_main(["dev", "--set", "natMode=per_az", "--diff-against", str(saved)]) == 1
    out = capsys.readouterr().out
    assert "+ add" in out and "monthly cost:" in out
    assert (
        plan_main(
            ["dev", "--set", "natMode=per_az", "--diff-against", str(saved), "--format", "json"]
        )
        == 1
    )
    diff = json.loads(capsys.readouterr().out)
    assert diff["has_changes"] is True and diff["cost_delta_usd"] > 0


def test_diff_against_a_git_ref(tmp_path, capsys):
    """Plans the base commit with its own code: a repository whose HEAD has natMode per_az."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", ".", str(repo)], check=True)
    subprocess.run(["cp", "-r", "components", str(repo)], check=True)  # the working tree's code
    for path in ("Pulumi.dev.yaml", "__main__.py", "Pulumi.yaml"):
        subprocess.run(["cp", path, str(repo / path)], check=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "base"], check=True)
    assert plan_main(["dev", "--project-dir", str(repo), "--diff-against", "HEAD"]) == 0
    capsys.readouterr()
    code = plan_main(
        ["dev", "--project-dir", str(repo), "--set", "natMode=single", "--diff-against", "HEAD"]
    )
    assert code == 1
    assert "- remove" in capsys.readouterr().out


def test_diff_against_something_that_is_neither(capsys):
    assert plan_main(["dev", "--diff-against", "no-such-ref-or-file"]) == 2
    assert "error:" in capsys.readouterr().err


def test_spot_discounts_are_per_family_with_a_conservative_default():
    assert spot_discount("t4g.small") == 0.55 and spot_discount("m5.large") == 0.55
    assert spot_discount("x9z.huge") == 0.5  # the default for families not observed


def test_log_storage_and_an_idle_load_balancer_are_priced_as_stated():
    group = reg(
        "logs",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/aws/eks/c/cluster", "retentionInDays": 90},
    )
    lines = {(i.item, i.resource): i for i in estimate_cost([group], "us-east-1", TODAY).items}
    assert (
        lines[("cloudwatch_logs_storage", "logs")].quantity == 5 * 3
    )  # 5 GB a month, 3 months kept
    assert lines[("cloudwatch_logs_storage", "logs")].monthly_usd == 0.45
