"""Issue 25: upgrades and rollbacks as EKS runs them. The preview refuses what EKS would refuse
(a rollback not asked for, a jump of two minors, an upgrade while node groups lag); the
forecast times the control plane and makes a jump or a decrease critical; the planner plans
from what the stack registers, gates each hop, and plans a rollback in EKS's order."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml
from conftest import PROJECT_DIR

from eks_platform.offline import run_stack
from eks_platform.offline.change.upgrade import ami_releases, pinned_release_problem
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.model.graph import creation_times
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import RecordingMonitor
from eks_platform.offline.report.plan import build_plan
from eks_platform.parts.cluster_autoscaler import IMAGE_TAGS

CLUSTER = "eks-platform-dev"
FARGATE = {"fargateProfiles": [{"name": "batch", "selectors": [{"namespace": "batch"}]}]}


def run_against(version, policy="STANDARD", groups=None, **overrides):
    """The dev stack's preview against a running cluster on ``version``: its error, or ''."""
    mocks = PlatformMocks(
        "us-west-2",
        existing_clusters={CLUSTER: {}},
        cluster_versions={CLUSTER: version},
        upgrade_policies={CLUSTER: policy},
        node_group_versions={CLUSTER: groups or {}},
    )
    try:
        run_stack(PROJECT_DIR, "dev", overrides, monitor=RecordingMonitor(mocks))
    except pulumi.RunError as error:
        return str(error)
    return ""


# --- 1. rollback: refused unless asked for, and then only as EKS allows ---------------------


def test_a_lower_version_than_the_running_cluster_needs_the_rollback_switch():
    found = run_against("1.36")  # the stack says 1.35
    assert "kubernetes_version = '1.35': is below 1.36" in found
    assert "kubernetesRollback" in found and "7 days" in found
    assert run_against("1.36", kubernetesRollback=True) == ""
    assert run_against("1.35") == ""  # negative control: the running version


def test_a_rollback_is_one_minor_and_to_extended_support_only_under_extended(monkeypatch):
    assert "2 minors below 1.36" in run_against(
        "1.36", kubernetesVersion="1.34", kubernetesRollback=True
    )
    monkeypatch.setenv("EKS_PLATFORM_TODAY", "2027-01-01")  # 1.34 past standard support
    rollback = {"kubernetesVersion": "1.34", "kubernetesRollback": True}
    found = run_against("1.35", upgradePolicy="EXTENDED", **rollback)
    assert "rolls back to it only once the cluster's upgrade policy is EXTENDED" in found
    assert run_against("1.35", "EXTENDED", upgradePolicy="EXTENDED", **rollback) == ""


def test_the_planner_refuses_a_lower_version_without_the_switch(capsys):
    code = plan_main(["upgrade", "dev", "--to", "1.34"])
    err = capsys.readouterr().err
    assert code == 2 and "kubernetesRollback" in err and "--set kubernetesRollback=true" in err


def rollback_plan(capsys, *args):
    code = plan_main(
        ["upgrade", "dev", "--set", "kubernetesRollback=true", "--format", "json", *args]
    )
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_a_rollback_runs_node_groups_then_add_ons_then_the_control_plane(capsys):
    plan = rollback_plan(capsys, "--to", "1.34")
    assert plan["rollback"] and [(h["from"], h["to"]) for h in plan["hops"]] == [("1.35", "1.34")]
    steps = plan["hops"][0]["steps"]
    kinds = [s["kind"] for s in steps]
    assert kinds.index("node-group") < kinds.index("addon") < kinds.index("control-plane")
    assert kinds[-1] == "control-plane" and steps[-1]["command"] == "pulumi up"
    group = steps[kinds.index("node-group")]
    assert group["command"].startswith("pulumi up --target ")
    assert "nodeGroup:NodeGroup::eks-platform-dev-compute-spot-arm" in group["command"]
    addons = steps[kinds.index("addon")]
    assert (
        "kube-proxy" in addons["target"]
        and "eks-platform-dev-control-plane-eks-kube-proxy" in (addons["command"])
    )
    assert "7 days" in steps[0]["change"] and "ROLLBACK_READINESS" in steps[0]["change"]


def test_a_rollback_deletes_fargate_pods_before_the_control_plane(capsys):
    profiles = json.dumps(FARGATE["fargateProfiles"])
    plan = rollback_plan(capsys, "--to", "1.34", "--set", f"fargateProfiles={profiles}")
    kinds = [s["kind"] for s in plan["hops"][0]["steps"]]
    assert kinds.index("fargate") < kinds.index("control-plane")


def test_a_rollback_to_extended_support_sets_the_policy_first(capsys, monkeypatch):
    monkeypatch.setenv("EKS_PLATFORM_TODAY", "2027-01-01")
    plan = rollback_plan(capsys, "--set", "upgradePolicy=EXTENDED", "--to", "1.34")
    first = plan["hops"][0]["steps"][1]
    assert first["kind"] == "gate" and "upgradePolicy EXTENDED" in first["change"]
    assert any("extended-support charges" in note for note in plan["notes"])
    # More than one minor down: EKS cannot.
    assert plan_main(["upgrade", "dev", "--set", "kubernetesRollback=true", "--to", "1.33"]) == 2


def test_a_fleet_region_rolls_back_with_its_own_switch(capsys):
    fleet = PROJECT_DIR / "fleet"
    config = yaml.safe_load((fleet / "Pulumi.global.yaml").read_text())["config"]
    entries = config["eks-fleet:regions"]
    command = ["upgrade", "global", "--project-dir", str(fleet), "--region", "eu-west-1"]
    assert plan_main([*command, "--to", "1.34"]) == 2
    assert "kubernetesRollback" in capsys.readouterr().err
    switched = [dict(e, kubernetesRollback=True) if e["region"] == "eu-west-1" else e
                for e in entries]  # fmt: skip
    sets = ["--set", f"regions={json.dumps(switched)}", "--format", "json"]
    assert plan_main([*command, *sets, "--to", "1.34"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["rollback"] and "--region eu-west-1" in plan["hops"][0]["steps"][0]["change"]


# --- 2. the forecast: node rolls, the control plane's time, refused version changes ---------


@pytest.fixture
def forecast_of(run_dev, tmp_path, capsys):
    def run(base_overrides, *settings):
        base = tmp_path / "base.json"
        base.write_text(json.dumps(build_plan(run_dev(**base_overrides)).to_json(), default=str))
        sets = [arg for key in settings for arg in ("--set", key)]
        for key, value in base_overrides.items():
            sets = ["--set", f"{key}={value}", *sets]
        code = plan_main(["dev", *sets, "--diff-against", str(base), "--format", "json"])
        document = json.loads(capsys.readouterr().out)
        return code, {c["urn"].rsplit("::", 1)[-1]: c for c in document["forecast"]}

    return run


CONTROL_PLANE = "eks-platform-dev-control-plane-eks-eksCluster"
NODE_GROUP = "eks-platform-dev-compute-spot-arm"


def test_a_minor_upgrade_takes_the_control_plane_time_and_rolls_the_nodes(forecast_of):
    code, changes = forecast_of({}, "kubernetesVersion=1.36")
    assert code == 1
    expected = creation_times()["updates"]["control_plane_minor"]["seconds"]
    assert changes[CONTROL_PLANE]["seconds"] == expected > 0
    assert not changes[CONTROL_PLANE]["critical"]
    assert changes[NODE_GROUP]["seconds"] > 0
    assert "drained and replaced" in changes[NODE_GROUP]["disruption"]


def test_a_release_version_or_disk_change_rolls_the_node_group(forecast_of):
    group = {"name": "spot-arm", "instanceTypes": ["t4g.small", "t4g.medium"],
             "capacityType": "SPOT", "amiType": "AL2023_ARM_64_STANDARD", "minSize": 1,
             "desiredSize": 2, "maxSize": 4, "diskSizeGib": 20}  # fmt: skip
    pinned = json.dumps([{**group, "amiReleaseVersion": "1.35.3-20260724"}])
    _, changes = forecast_of({}, f"nodeGroups={pinned}")
    assert "drained and replaced" in changes[NODE_GROUP]["disruption"]
    bigger = json.dumps([{**group, "diskSizeGib": 30}])
    _, changes = forecast_of({}, f"nodeGroups={bigger}")
    assert "gets a new version" in " ".join(changes[NODE_GROUP]["reasons"])
    assert changes[NODE_GROUP]["seconds"] > 0


@pytest.mark.parametrize(
    ("base", "to", "reason"),
    [("1.34", "1.36", "one minor at a time"), ("1.35", "1.34", "is a rollback")],
)
def test_a_two_minor_jump_or_a_decrease_is_critical(forecast_of, base, to, reason):
    code, changes = forecast_of({"kubernetesVersion": base}, f"kubernetesVersion={to}")
    assert code == 4
    assert changes[CONTROL_PLANE]["critical"]
    assert reason in " ".join(changes[CONTROL_PLANE]["reasons"])


# --- 3. Auto Mode: the add-ons it registers, and its nodes ---------------------------------


def upgrade_json(capsys, *args):
    code = plan_main(["upgrade", "dev", "--format", "json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_auto_mode_plans_its_registered_add_ons_and_says_eks_replaces_its_nodes(capsys):
    plan = upgrade_json(
        capsys, "--set", "computeMode=auto", "--set", "nodeGroups=[]", "--to", "1.36"
    )
    steps = plan["hops"][0]["steps"]
    targets = {s["target"] for s in steps if s["kind"] == "addon"}
    assert targets == {"coredns"}  # pulumi-eks adds only CoreDNS there; no kube-proxy
    auto = next(s for s in steps if s["kind"] == "auto-mode")
    assert "replaces every Auto Mode node" in auto["change"]
    assert steps.index(auto) > [s["kind"] for s in steps].index("control-plane")


# --- 4. Karpenter: a pinned alias drifts too, and may have no AMI for the next minor ---------


def test_a_pinned_alias_still_drifts_and_one_without_the_minor_blocks(capsys):
    built = upgrade_json(
        capsys, "--set", 'karpenter={"amiAlias": "al2023@v20260610"}',
        "--set", "computeMode=karpenter", "--to", "1.36",
    )  # fmt: skip
    assert not built["blockers"]
    change = next(s for s in built["hops"][0]["steps"] if s["kind"] == "karpenter")["change"]
    assert "still replaces (drifts) every node with that release built for 1.36" in change
    old = upgrade_json(
        capsys, "--set", 'karpenter={"amiAlias": "al2023@v20260505"}',
        "--set", "computeMode=karpenter", "--to", "1.36",
    )  # fmt: skip
    assert old["blockers"] and "not 1.36" in old["blockers"][0]
    kinds = [(s["kind"], s["target"]) for s in old["hops"][0]["steps"]]
    assert kinds.index(("gate", "EC2NodeClass")) < kinds.index(("control-plane", "cluster"))


def test_the_preview_refuses_a_pinned_release_with_no_ami_for_the_minor(run_bad, run_dev):
    karpenter = {"computeMode": "karpenter", "kubernetesVersion": "1.36"}
    message, registered = run_bad({**karpenter, "karpenter": {"amiAlias": "al2023@v20260505"}})
    assert "karpenter.ami_alias = 'al2023@v20260505': release v20260505 has no" in message
    assert "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/" in message
    assert registered == []  # before anything registers
    # Negative controls: a release built for 1.36, and one newer than the table.
    run_dev(**karpenter, karpenter={"amiAlias": "al2023@v20260610"})
    run_dev(**karpenter, karpenter={"amiAlias": "al2023@v20260724"})


def test_the_ami_release_table_has_a_source_per_row_and_knows_what_it_does_not():
    table = ami_releases()
    assert table["read"] and table["newest"] == max(table["releases"])
    assert all(row["source"] and row["minors"] for row in table["releases"].values())
    assert pinned_release_problem("al2023@v20260505", "1.36")
    assert pinned_release_problem("al2023@v20260505", "1.35") is None
    assert pinned_release_problem("al2023@v29991231", "1.36") is None  # unknown: checked by hand


# --- 5. hops: gates on node groups and Fargate, restarts between hops ------------------------


def test_each_hop_gates_on_nodes_and_restarts_fargate_pods(capsys):
    profiles = json.dumps(FARGATE["fargateProfiles"])
    plan = upgrade_json(
        capsys, "--set", "kubernetesVersion=1.34", "--set", f"fargateProfiles={profiles}",
        "--to", "1.36",
    )  # fmt: skip
    assert len(plan["hops"]) == 2
    for hop in plan["hops"]:
        gate, *rest = hop["steps"]
        assert gate["kind"] == "gate" and f"on {hop['from']}" in gate["change"]
        assert "Fargate" in gate["change"] and "spot-arm" in gate["change"]
        assert any(s["kind"] == "fargate" and "restart" in s["change"] for s in rest)


def test_the_preview_refuses_an_upgrade_while_node_groups_lag():
    behind = run_against("1.34", groups={"spot-arm": "1.33"}, kubernetesVersion="1.35")
    assert "node groups spot-arm (1.33) do not" in behind
    assert run_against("1.34", groups={"spot-arm": "1.34"}, kubernetesVersion="1.35") == ""
    assert "one minor at a time" in run_against("1.34", kubernetesVersion="1.36")


# --- 6. order and coverage: CoreDNS, the Cluster Autoscaler, the STANDARD policy -------------


def test_coredns_follows_the_node_groups_and_the_autoscaler_image_moves(capsys):
    code = plan_main(["upgrade", "prod", "--format", "json", "--to", "1.36"])
    plan = json.loads(capsys.readouterr().out)
    assert code == 0
    steps = plan["hops"][0]["steps"]
    kinds = [s["target"] if s["kind"] == "addon" else s["kind"] for s in steps]
    last_group = max(i for i, k in enumerate(kinds) if k == "node-group")
    assert kinds.index("coredns") > last_group
    autoscaler = next(s for s in steps if s["kind"] == "cluster-autoscaler")
    assert autoscaler["change"].startswith(f"image {IMAGE_TAGS['1.35']} -> {IMAGE_TAGS['1.36']}")
    assert any("upgradePolicy STANDARD" in note and "node groups" in note for note in plan["notes"])


def test_the_autoscaler_images_are_each_minors_newest_patch_not_dot_zero():
    assert IMAGE_TAGS == {"1.32": "v1.32.7", "1.33": "v1.33.6", "1.34": "v1.34.5",
                          "1.35": "v1.35.2", "1.36": "v1.36.1"}  # fmt: skip


# --- 7. the dev sample app survives a node roll ---------------------------------------------


def test_the_dev_app_keeps_a_pod_through_a_node_roll(run_dev):
    run = run_dev()
    release = next(
        r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "podinfo"
    )
    replicas = release.inputs["values"]["replicaCount"]
    budget = run.by_type("kubernetes:policy/v1:PodDisruptionBudget")[0].inputs["spec"]
    assert replicas - budget["maxUnavailable"] >= 1  # one pod stays while a node drains
    # Priced: the pods fit on the group's two nodes, so the estimate does not move.
    one = build_plan(run_dev(workload={"replicas": 1})).to_json()["cost"]["monthly_usd"]
    assert build_plan(run).to_json()["cost"]["monthly_usd"] == one


# --- 8. readiness: Upgrade Insights for the next minor --------------------------------------


def test_the_planner_points_to_upgrade_insights_for_the_next_minor(capsys):
    plan = upgrade_json(capsys, "--to", "1.36")
    gate = plan["hops"][0]["steps"][0]["change"]
    assert "aws eks list-insights --region us-west-2 --cluster-name eks-platform-dev" in gate
    assert '"categories": ["UPGRADE_READINESS"], "kubernetesVersions": ["1.36"]' in gate
    assert any("UPGRADE_READINESS" in note for note in plan["notes"])
