"""Upgrades move everything: add-ons pinned per Kubernetes minor (a lock table with sources),
node groups on the control plane's version, and `eks-platform-plan upgrade`."""

from __future__ import annotations

import json

import pytest

from eks_platform.args.addons import addon_lock, locked_minors
from eks_platform.args.versions import SUPPORT_WINDOWS
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.report.plan import build_plan

ADDON = "aws:eks/addon:Addon"


def addons(run):
    return {
        a.inputs["addonName"]: a.inputs.get("addonVersion")
        for a in with_modelled(run.registrations)
        if a.type == ADDON
    }


def test_the_lock_table_has_every_addon_for_every_supported_minor_with_a_source():
    for addon, minors in addon_lock().items():
        assert set(SUPPORT_WINDOWS) <= set(minors), addon
        for entry in minors.values():
            assert entry["version"].startswith("v") and "-eksbuild." in entry["version"]
            assert entry["source"] and entry["confidence"] in ("observed", "inferred", "published")
        if addon == "kube-proxy":  # kube-proxy builds are per minor
            assert all(
                addon_lock()[addon][m]["version"].startswith(f"v{m}.") for m in locked_minors(addon)
            )


@pytest.mark.parametrize("version", ["1.34", "1.35", "1.36"])
def test_every_addon_is_pinned_for_the_clusters_minor(run_dev, version):
    pinned = addons(run_dev(kubernetesVersion=version))
    assert pinned == {name: addon_lock()[name][version]["version"] for name in pinned}
    assert set(pinned) == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
    }


def test_auto_mode_pins_the_coredns_pulumi_eks_installs(run_dev):
    cluster = run_dev(computeMode="auto", nodeGroups=[]).one("eks:index:Cluster")
    assert cluster.inputs["corednsAddonOptions"] == {
        "version": addon_lock()["coredns"]["1.35"]["version"]
    }
    # A plain dict: the Python options class would default enabled=True and add a second CoreDNS.
    assert "enabled" not in cluster.inputs["corednsAddonOptions"]
    assert "corednsAddonOptions" not in run_dev().one("eks:index:Cluster").inputs


def test_an_addon_version_can_be_overridden(run_dev):
    pinned = addons(run_dev(addonVersions={"vpc-cni": "v1.23.2-eksbuild.1"}))
    assert pinned["vpc-cni"] == "v1.23.2-eksbuild.1"
    assert pinned["coredns"] == addon_lock()["coredns"]["1.35"]["version"]


def test_node_groups_follow_the_control_plane_and_can_pin_an_ami_release(run_dev):
    group = run_dev().one("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["version"] == "1.35" and "releaseVersion" not in group.inputs
    pinned = run_dev(nodeGroups=[{"name": "a", "amiReleaseVersion": "1.35.3-20260724"}])
    assert pinned.one("aws:eks/nodeGroup:NodeGroup").inputs["releaseVersion"] == "1.35.3-20260724"


def test_a_version_change_shows_in_the_forecast_as_updates(run_dev, tmp_path, capsys):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(build_plan(run_dev()).to_json(), default=str))
    code = plan_main(
        ["dev", "--set", "kubernetesVersion=1.36", "--diff-against", str(base), "--format", "json"]
    )
    assert code == 1
    forecast = {
        c["urn"].rsplit("::", 1)[-1]: c for c in json.loads(capsys.readouterr().out)["forecast"]
    }
    assert forecast["eks-platform-dev-control-plane-eks-eksCluster"]["action"] == "update"
    assert forecast["eks-platform-dev-compute-spot-arm"]["action"] == "update"
    # vpc-cni and the pod identity agent have one version for every minor: unchanged.
    for addon in ("compute-coredns", "control-plane-eks-kube-proxy"):
        change = forecast[f"eks-platform-dev-{addon}"]
        assert change["action"] == "update" and "addonVersion changed" in change["reasons"], addon


def upgrade(capsys, *args):
    code = plan_main(["upgrade", "dev", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_upgrade_goes_one_minor_at_a_time_and_moves_everything(capsys):
    code, out, _ = upgrade(
        capsys, "--set", "kubernetesVersion=1.34", "--to", "1.36", "--format", "json"
    )
    assert code == 0
    plan = json.loads(out)
    assert [(hop["from"], hop["to"]) for hop in plan["hops"]] == [
        ("1.34", "1.35"),
        ("1.35", "1.36"),
    ]
    for hop in plan["hops"]:
        kinds = [step["kind"] for step in hop["steps"]]
        targets = [step["target"] for step in hop["steps"]]
        # The gate, the control plane, the add-ons, the nodes, CoreDNS: never a node ahead of it.
        assert kinds[:2] == ["gate", "control-plane"] and targets[-1] == "coredns"
        assert kinds.index("node-group") > targets.index("kube-proxy")
        proxy = next(s for s in hop["steps"] if s["target"] == "kube-proxy")
        assert proxy["change"].endswith(addon_lock()["kube-proxy"][hop["to"]]["version"])
        assert hop["seconds"] >= 600
    assert any("one minor at a time" in rule for rule in plan["skew_rules"])
    assert plan["deadlines"][0].startswith("1.34: standard support ends 2026-12-02")


def test_karpenter_nodes_follow_their_alias(capsys):
    code, out, _ = upgrade(capsys, "--set", "computeMode=karpenter", "--to", "1.36")
    assert code == 0 and "al2023@latest: Karpenter replaces (drifts) every node" in out


def test_past_standard_support_the_upgrade_shows_what_it_saves(capsys, monkeypatch):
    monkeypatch.setenv("EKS_PLATFORM_TODAY", "2027-04-01")
    code, out, _ = upgrade(capsys, "--set", "upgradePolicy=EXTENDED", "--to", "1.36")
    assert code == 0
    assert "1.35 is in extended support since 2027-03-27: 438 USD a month" in out
    assert "saves 365 a month" in out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("1.35", "is not newer"),
        ("1.34", "kubernetesRollback"),
        ("1.33", "kubernetesRollback"),
        ("1.99", "not in the support calendar"),
    ],
)
def test_an_upgrade_that_cannot_be_planned_exits_2(capsys, target, message):
    code, _, err = upgrade(capsys, "--to", target)
    assert code == 2 and message in err
