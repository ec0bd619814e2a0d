"""``eks-platform-plan upgrade <stack> --to 1.36``: the steps of an upgrade, one minor at a time.

Per minor: the control plane, then the add-ons at that minor's locked versions, then the node
groups (Karpenter's nodes follow their AMI alias). It states the version-skew rules it relies on,
the support deadlines and the extended-support price avoided or incurred, and a duration per step
(update times in ``data/creation_times.json``, with their sources).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from ...args.addons import addon_lock, addon_version
from ...args.versions import SUPPORT_WINDOWS
from ..model.graph import creation_times
from ..model.pulumi_eks import with_modelled
from ..model.run import StackRun

HOURS_PER_MONTH = 730
STANDARD_USD_PER_HOUR, EXTENDED_USD_PER_HOUR = 0.10, 0.60  # AWS EKS pricing (FACTS.md §3)
SKEW_RULES = (
    "the control plane moves one minor at a time (EKS update-cluster: 'only one minor version "
    "at a time')",
    "nodes are never newer than the control plane: node groups move after it, in each step",
    "kubelet may be up to three minors older than the API server (Kubernetes 1.28+ skew "
    "policy), so nodes left behind by a failed step still work",
    "kube-proxy must not be newer than the API server: it moves with the add-ons, after the "
    "control plane",
)


class UpgradeError(ValueError):
    """The upgrade asked for cannot be planned (unknown, same, older or unsupported version)."""


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


@dataclass
class Step:
    kind: str
    """control-plane, addon, node-group, karpenter or fargate."""
    target: str
    change: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "change": self.change,
            "seconds": self.seconds,
        }


@dataclass
class Hop:
    from_version: str
    to_version: str
    steps: list[Step] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


@dataclass
class UpgradePlan:
    stack: str
    current: str
    target: str
    hops: list[Hop]
    deadlines: list[str]
    cost: list[str]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "from": self.current,
            "to": self.target,
            "skew_rules": list(SKEW_RULES),
            "hops": [
                {
                    "from": hop.from_version,
                    "to": hop.to_version,
                    "seconds": hop.seconds,
                    "steps": [step.to_json() for step in hop.steps],
                }
                for hop in self.hops
            ],
            "seconds": sum(hop.seconds for hop in self.hops),
            "deadlines": self.deadlines,
            "cost": self.cost,
            "notes": self.notes,
        }


def _updates() -> dict[str, Any]:
    return creation_times()["updates"]


def plan_upgrade(
    run: StackRun, target: str, overrides: dict[str, str], today: datetime.date
) -> UpgradePlan:
    """The steps from the stack's version to ``target``; ``overrides`` are its addonVersions."""
    registrations = with_modelled(run.registrations)
    clusters = [r for r in registrations if r.type == "eks:index:Cluster"]
    if not clusters:
        raise UpgradeError("the stack has no EKS cluster")
    if len(clusters) > 1:
        raise UpgradeError(
            f"the stack has {len(clusters)} clusters: plan one at a time (for a fleet's stack, "
            "with --region)"
        )
    cluster = clusters[0]
    current = str(cluster.inputs.get("version"))
    if target not in SUPPORT_WINDOWS:
        raise UpgradeError(
            f"Kubernetes {target} is not in the support calendar (known: {', '.join(SUPPORT_WINDOWS)})"
        )
    if _minor(target) <= _minor(current):
        raise UpgradeError(
            f"the stack is on {current}; {target} is not newer (EKS cannot downgrade a cluster)"
        )
    if today > SUPPORT_WINDOWS[target].end_of_extended:
        raise UpgradeError(
            f"Kubernetes {target} left extended support on {SUPPORT_WINDOWS[target].end_of_extended}"
        )
    groups = [r for r in registrations if r.type == "aws:eks/nodeGroup:NodeGroup"]
    node_classes = [
        r for r in registrations if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
    ]
    fargate = [r for r in registrations if r.type == "aws:eks/fargateProfile:FargateProfile"]
    updates = _updates()
    hops = []
    versions = [v for v in SUPPORT_WINDOWS if _minor(current) < _minor(v) <= _minor(target)]
    previous = current
    for version in sorted(versions, key=_minor):
        if _minor(version) != (_minor(previous)[0], _minor(previous)[1] + 1):
            raise UpgradeError(
                f"no calendar entry between {previous} and {version}: a minor would be skipped"
            )
        hop = Hop(previous, version)
        hop.steps.append(
            Step("control-plane", "cluster", f"kubernetesVersion {previous} -> {version}",
                 updates["control_plane_minor"]["seconds"])
        )  # fmt: skip
        for addon in sorted(addon_lock()):
            old = addon_version(addon, previous, overrides)
            new = addon_version(addon, version, overrides)
            kept = (
                " (addonVersions override kept: check it supports this minor)"
                if addon in overrides
                else ""
            )
            if old != new or kept:
                hop.steps.append(
                    Step("addon", addon, f"{old} -> {new}{kept}", updates["addon"]["seconds"])
                )
        for group in groups:
            desired = int((group.inputs.get("scalingConfig") or {}).get("desiredSize", 1))
            unavailable = max(1, desired * 33 // 100)  # updateConfig maxUnavailablePercentage 33
            batches = max(1, math.ceil(desired / unavailable))
            label = (group.inputs.get("labels") or {}).get("nodegroup", group.name)
            hop.steps.append(
                Step("node-group", label, f"version {previous} -> {version}, {desired} nodes in {batches} batches",
                     batches * updates["node_group_batch"]["seconds"])
            )  # fmt: skip
        for node_class in node_classes:
            alias = ((node_class.inputs.get("spec") or {}).get("amiSelectorTerms") or [{}])[0].get(
                "alias", ""
            )
            change = (
                "al2023@latest: Karpenter replaces its nodes with the new minor's AMI (drift)"
                if alias.endswith("@latest")
                else f"{alias} is pinned: move karpenter.amiAlias to an AMI release of {version}"
            )
            hop.steps.append(Step("karpenter", "EC2NodeClass", change, 0))
        if fargate:
            hop.steps.append(
                Step("fargate", "profiles", "pods get the new version when they restart", 0)
            )
        hops.append(hop)
        previous = version
    return UpgradePlan(
        stack=run.config.stack,
        current=current,
        target=target,
        hops=hops,
        deadlines=_deadlines(current, target),
        cost=_cost(current, target, today),
        notes=[
            "set kubernetesVersion one minor at a time and run `pulumi up` for each hop: the "
            "program moves the control plane, then the add-ons and node groups that follow it",
            f"durations: {updates['control_plane_minor']['source']}",
        ],
    )


def _deadlines(current: str, target: str) -> list[str]:
    return [
        f"{version}: standard support ends {SUPPORT_WINDOWS[version].end_of_standard}, extended "
        f"support {SUPPORT_WINDOWS[version].end_of_extended}"
        + (" (dates estimated)" if SUPPORT_WINDOWS[version].estimated else "")
        for version in (current, target)
    ]


def _cost(current: str, target: str, today: datetime.date) -> list[str]:
    standard = STANDARD_USD_PER_HOUR * HOURS_PER_MONTH
    extended = EXTENDED_USD_PER_HOUR * HOURS_PER_MONTH
    window = SUPPORT_WINDOWS[current]
    if today > window.end_of_standard:
        return [
            f"{current} is in extended support since {window.end_of_standard}: {extended:.0f} USD a "
            f"month for the control plane; on {target} it is {standard:.0f} (saves "
            f"{extended - standard:.0f} a month)"
        ]
    return [
        f"{current} stays in standard support until {window.end_of_standard} "
        f"({standard:.0f} USD a month); after that, extended support would cost {extended:.0f} "
        f"a month (with upgradePolicy EXTENDED). {target} is standard until "
        f"{SUPPORT_WINDOWS[target].end_of_standard}"
    ]


def render_upgrade(plan: UpgradePlan) -> list[str]:
    lines = [
        f"upgrade {plan.stack}: Kubernetes {plan.current} -> {plan.target}, one minor at a time"
    ]
    for hop in plan.hops:
        lines.append(f"{hop.from_version} -> {hop.to_version} (about {hop.seconds / 60:.0f} min)")
        lines += [
            f"  {step.kind:13} {step.target}: {step.change} ({step.seconds:g} s)"
            for step in hop.steps
        ]
    lines.append("checks: " + "; ".join(SKEW_RULES))
    lines += [f"support: {line}" for line in plan.deadlines]
    lines += [f"cost: {line}" for line in plan.cost]
    lines += [f"note: {line}" for line in plan.notes]
    return lines
