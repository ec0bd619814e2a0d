"""``eks-platform-plan upgrade <stack> --to 1.36``: the steps of an upgrade, one minor at a time,
or of a rollback one minor down (``kubernetesRollback``).

Per minor: the gate EKS checks before it (node groups and Fargate nodes on the control plane's
minor, Upgrade Insights clear), the control plane, the add-ons the stack registers at that
minor's locked versions, the node groups, CoreDNS after them, the Cluster Autoscaler's image,
Karpenter's nodes (their AMI alias resolved for the new minor), Fargate pods restarted, Auto
Mode's nodes replaced by EKS. A rollback runs the other way round, in ``pulumi up --target``
steps. It states the version-skew rules it relies on, the support deadlines and the
extended-support price avoided or incurred, and a duration per step (update times in
``data/creation_times.json``, with their sources).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from ...args.addons import addon_version
from ...args.versions import ROLLBACK_RULES, SUPPORT_WINDOWS, minor_key, minors_apart
from ...parts.cluster_autoscaler import IMAGE_TAGS
from ..model.graph import creation_times
from ..model.mocks import ami_releases
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


@dataclass
class Step:
    kind: str
    """gate, control-plane, addon, node-group, cluster-autoscaler, karpenter, fargate or
    auto-mode."""
    target: str
    change: str
    seconds: float
    command: str = ""
    """How to run the step where one ``pulumi up`` cannot express the order (a rollback)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "change": self.change,
            "seconds": self.seconds,
            "command": self.command,
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
    rollback: bool = False
    blockers: list[str] = field(default_factory=list)
    """What stops a hop unless it is fixed first (a pinned AMI release with no AMI for the
    next minor)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "from": self.current,
            "to": self.target,
            "rollback": self.rollback,
            "blockers": self.blockers,
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


def pinned_release_problem(alias: str, version: str, previous: str = "") -> str | None:
    """Why a pinned ``al2023@vYYYYMMDD`` alias has no AMI for ``version``, or None (also when
    the release is newer than the table: then the plan says how to check). The release to
    move to is one built for both ``previous`` (where the nodes run until the hop) and
    ``version``."""
    release = alias.split("@", 1)[-1]
    entry = ami_releases()["releases"].get(release)
    if entry is None or version in entry["minors"]:
        return None
    both = {version, previous} - {""}
    built = [r for r, e in ami_releases()["releases"].items() if both <= set(e["minors"])]
    first = min(built) if built else None
    return (
        f"{alias}: release {release} was built for {', '.join(entry['minors'])}, not {version} "
        f"({entry['source']}); once the control plane is on {version} Karpenter finds no AMI "
        "for the alias and launches no node. Move karpenter.amiAlias to a release built for "
        "both minors" + (f" ({first} or newer)" if first else "") + " and deploy it before this hop"
    )


def _karpenter_step(alias: str, version: str, previous: str) -> Step:
    how = (
        "karpenter-provider-aws v1.14.1 pkg/providers/amifamily/al2023.go:39-79 reads the AMI "
        f"from SSM /aws/service/eks/optimized-ami/{version}/amazon-linux-2023/..., keyed by the "
        "cluster's minor"
    )
    if pinned_release_problem(alias, version, previous):
        change = (
            f"{alias} has no AMI for {version}: no node launches until the alias moves (the "
            "gate above)"
        )
    elif alias.endswith("@latest"):
        change = (
            f"{alias}: Karpenter replaces (drifts) every node with the newest AMI for {version} "
            f"({how})"
        )
    elif alias.split("@", 1)[-1] in ami_releases()["releases"]:
        change = (
            f"{alias} is pinned, yet Karpenter still replaces (drifts) every node with that "
            f"release built for {version} ({how})"
        )
    else:
        change = (
            f"{alias} is newer than the AMI release table ({ami_releases()['newest']}): "
            "Karpenter replaces every node with it built for "
            f"{version} if it exists; check: aws ssm get-parameters-by-path --path "
            f"/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/ --recursive "
            f"--query 'Parameters[].Name' | grep {alias.split('@', 1)[-1]} ({how})"
        )
    return Step("karpenter", "EC2NodeClass", change, 0)


def _urn_list(registrations: list[Any]) -> str:
    return " ".join(f"--target '{r.urn}'" for r in registrations)


@dataclass
class _Stack:
    """What an upgrade plan reads from the stack's registrations."""

    cluster_name: str
    region: str
    groups: list[Any]
    addons: list[Any]
    node_classes: list[Any]
    fargate: list[Any]
    autoscaler: list[Any]
    auto_mode: bool

    @classmethod
    def read(cls, registrations: list[Any], region: str) -> _Stack:
        def of(type_token: str) -> list[Any]:
            return [r for r in registrations if r.type == type_token]

        cluster = of("eks:index:Cluster")[0]
        modelled = of("aws:eks/cluster:Cluster")
        name = str((modelled[0].inputs.get("name") if modelled else "") or cluster.name)
        return cls(
            cluster_name=name,
            region=region,
            groups=of("aws:eks/nodeGroup:NodeGroup"),
            addons=sorted(of("aws:eks/addon:Addon"), key=lambda r: r.inputs["addonName"]),
            node_classes=of("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"),
            fargate=of("aws:eks/fargateProfile:FargateProfile"),
            autoscaler=[
                r
                for r in of("kubernetes:helm.sh/v3:Release")
                if r.inputs.get("name") == "cluster-autoscaler"
            ],
            auto_mode=bool((cluster.inputs.get("autoMode") or {}).get("enabled")),
        )

    def group_label(self, group: Any) -> str:
        return str((group.inputs.get("labels") or {}).get("nodegroup", group.name))

    def aliases(self) -> list[str]:
        return [
            ((n.inputs.get("spec") or {}).get("amiSelectorTerms") or [{}])[0].get("alias", "")
            for n in self.node_classes
        ]

    def namespaces(self) -> list[str]:
        return sorted(
            {
                str(selector.get("namespace"))
                for profile in self.fargate
                for selector in profile.inputs.get("selectors") or []
            }
        )

    def insights(self, category: str, version: str | None = None) -> str:
        versions = f', "kubernetesVersions": ["{version}"]' if version else ""
        return (
            f"aws eks list-insights --region {self.region} --cluster-name {self.cluster_name} "
            f'--filter \'{{"categories": ["{category}"]{versions}}}\''
        )


def _hop(stack: _Stack, previous: str, version: str, overrides: dict[str, str]) -> Hop:
    updates = _updates()
    hop = Hop(previous, version)
    nodes = ", ".join(stack.group_label(g) for g in stack.groups)
    fargate = (
        f"; Fargate nodes too: delete (or restart) pods on Fargate nodes older than {previous} "
        f"in {', '.join(stack.namespaces())}"
        if stack.fargate
        else ""
    )
    hop.steps.append(
        Step(
            "gate",
            "cluster",
            f"EKS starts the update only when managed node groups ({nodes or 'none'}) are on "
            f"{previous}{fargate} (update-cluster); and with Upgrade Insights for {version} "
            f"clear: {stack.insights('UPGRADE_READINESS', version)}",
            0,
        )
    )
    for alias in stack.aliases():
        if found := pinned_release_problem(alias, version, previous):
            hop.steps.append(Step("gate", "EC2NodeClass", found, 0))
    hop.steps.append(
        Step("control-plane", "cluster", f"kubernetesVersion {previous} -> {version}",
             updates["control_plane_minor"]["seconds"])
    )  # fmt: skip
    coredns: list[Step] = []
    for addon in stack.addons:
        name = str(addon.inputs["addonName"])
        old = addon_version(name, previous, overrides)
        new = addon_version(name, version, overrides)
        kept = (
            " (addonVersions override kept: check it supports this minor)"
            if name in overrides
            else ""
        )
        if old != new or kept:
            step = Step("addon", name, f"{old} -> {new}{kept}", updates["addon"]["seconds"])
            (coredns if name == "coredns" else hop.steps).append(step)
    for group in stack.groups:
        desired = int((group.inputs.get("scalingConfig") or {}).get("desiredSize", 1))
        unavailable = max(1, desired * 33 // 100)  # updateConfig maxUnavailablePercentage 33
        batches = max(1, math.ceil(desired / unavailable))
        hop.steps.append(
            Step("node-group", stack.group_label(group),
                 f"version {previous} -> {version}, {desired} nodes in {batches} batches",
                 batches * updates["node_group_batch"]["seconds"])
        )  # fmt: skip
    # CoreDNS after the nodes: its new pods land on nodes of the new minor.
    after = " (after the node groups)" if stack.groups else ""
    hop.steps += [Step(s.kind, s.target, s.change + after, s.seconds) for s in coredns]
    for release in stack.autoscaler:
        image = ((release.inputs.get("values") or {}).get("image") or {}).get("tag", "")
        hop.steps.append(
            Step("cluster-autoscaler", release.name,
                 f"image {IMAGE_TAGS.get(previous, image)} -> {IMAGE_TAGS[version]} (the "
                 "autoscaler's minor matches the cluster's: update-cluster)", 0)
        )  # fmt: skip
    hop.steps += [_karpenter_step(alias, version, previous) for alias in stack.aliases()]
    if stack.fargate:
        hop.steps.append(
            Step("fargate", "profiles",
                 f"restart the pods in {', '.join(stack.namespaces())} (kubectl rollout "
                 f"restart): only new Fargate pods run {version}, and the next hop needs them "
                 "there (update-cluster)", 0)
        )  # fmt: skip
    if stack.auto_mode:
        hop.steps.append(
            Step("auto-mode", "nodes",
                 f"EKS replaces every Auto Mode node with one of {version} after the control "
                 "plane update, observing PodDisruptionBudgets (EKS user guide, auto-upgrade); "
                 "its duration depends on the budgets and is not estimated",
                 0)
        )  # fmt: skip
    return hop


def _rollback_hop(stack: _Stack, current: str, target: str, overrides: dict[str, str]) -> Hop:
    """The rollback of the control plane from ``current`` to ``target`` (one minor), in the
    order EKS requires (user guide, rollback-cluster): node groups, add-ons, Fargate pods,
    then the control plane. One ``pulumi up`` would update the cluster first (the node groups
    depend on it), so the first steps are targeted updates."""
    updates = _updates()
    hop = Hop(current, target)
    hop.steps.append(
        Step("gate", "cluster",
             f"{ROLLBACK_RULES}; ERROR insights block it: "
             f"{stack.insights('ROLLBACK_READINESS')}", 0)
    )  # fmt: skip
    if stack.groups:
        hop.steps.append(
            Step("node-group", ", ".join(stack.group_label(g) for g in stack.groups),
                 f"version {current} -> {target} first (UpdateNodegroupVersion; EKS does not "
                 "roll node groups back itself)",
                 updates["node_group_batch"]["seconds"] * len(stack.groups),
                 f"pulumi up {_urn_list(stack.groups)}")
        )  # fmt: skip
    changed = [
        a
        for a in stack.addons
        if addon_version(a.inputs["addonName"], current, overrides)
        != addon_version(a.inputs["addonName"], target, overrides)
    ]
    if changed:
        names = ", ".join(str(a.inputs["addonName"]) for a in changed)
        hop.steps.append(
            Step("addon", names,
                 f"down to {target}'s locked versions before the control plane (EKS does not "
                 "roll add-ons back; kube-proxy must not be newer than the API server)",
                 updates["addon"]["seconds"] * len(changed), f"pulumi up {_urn_list(changed)}")
        )  # fmt: skip
    for alias in stack.aliases():
        hop.steps.append(
            Step("karpenter", "EC2NodeClass",
                 f"{alias}: Karpenter resolves AMIs for the control plane's minor, so its nodes "
                 f"stay on {current} until the rollback and trip the kubelet-skew insight "
                 "(ERROR); drain them (or scale their NodePools to zero) first (not verified)",
                 0)
        )  # fmt: skip
    if stack.fargate:
        hop.steps.append(
            Step("fargate", "profiles",
                 f"delete the pods on Fargate in {', '.join(stack.namespaces())}: Fargate is not "
                 f"rolled back, and pods on {current} block it (kubelet skew)", 0,
                 f"kubectl delete pods -n <namespace> --all  # for {', '.join(stack.namespaces())}")
        )  # fmt: skip
    if stack.auto_mode:
        hop.steps.append(
            Step("auto-mode", "nodes",
                 "EKS rolls Auto Mode nodes back itself, before the control plane "
                 "(rollback-cluster)", 0)
        )  # fmt: skip
    hop.steps.append(
        Step("control-plane", "cluster",
             f"kubernetesVersion {current} -> {target}: UpdateClusterVersion, a VersionRollback",
             updates["control_plane_minor"]["seconds"], "pulumi up")
    )  # fmt: skip
    return hop


def plan_upgrade(
    run: StackRun,
    target: str,
    overrides: dict[str, str],
    today: datetime.date,
    *,
    rollback: bool = False,
    region: str | None = None,
) -> UpgradePlan:
    """The steps from the stack's version to ``target``; ``overrides`` are its addonVersions;
    ``rollback`` is the stack's kubernetesRollback (a lower ``target`` needs it); ``region``
    a fleet's region (a platform stack's is its ``aws:region``)."""
    registrations = with_modelled(run.registrations)
    clusters = [r for r in registrations if r.type == "eks:index:Cluster"]
    if not clusters:
        raise UpgradeError("the stack has no EKS cluster")
    if len(clusters) > 1:
        raise UpgradeError(
            f"the stack has {len(clusters)} clusters: plan one at a time (for a fleet's stack, "
            "with --region)"
        )
    current = str(clusters[0].inputs.get("version"))
    if target not in SUPPORT_WINDOWS:
        raise UpgradeError(
            f"Kubernetes {target} is not in the support calendar (known: {', '.join(SUPPORT_WINDOWS)})"
        )
    if minor_key(target) == minor_key(current):
        raise UpgradeError(f"the stack is on {current}; {target} is not newer")
    if today > SUPPORT_WINDOWS[target].end_of_extended:
        raise UpgradeError(
            f"Kubernetes {target} left extended support on {SUPPORT_WINDOWS[target].end_of_extended}"
        )
    region = region or str(run.config.values.get("aws:region") or "<region>")
    stack = _Stack.read(registrations, region)
    updates = _updates()
    if minor_key(target) < minor_key(current):
        return _rollback_plan(
            run, stack, current, target, overrides, today=today, rollback=rollback
        )
    hops = []
    versions = [
        v for v in SUPPORT_WINDOWS if minor_key(current) < minor_key(v) <= minor_key(target)
    ]
    previous = current
    for version in sorted(versions, key=minor_key):
        if minor_key(version) != (minor_key(previous)[0], minor_key(previous)[1] + 1):
            raise UpgradeError(
                f"no calendar entry between {previous} and {version}: a minor would be skipped"
            )
        hops.append(_hop(stack, previous, version, overrides))
        previous = version
    blockers = [s.change for hop in hops for s in hop.steps if s.kind == "gate" and
                s.target == "EC2NodeClass"]  # fmt: skip
    return UpgradePlan(
        stack=run.config.stack,
        current=current,
        target=target,
        hops=hops,
        deadlines=_deadlines(current, target),
        cost=_cost(current, target, today),
        notes=[
            "set kubernetesVersion one minor at a time and run `pulumi up` for each hop: the "
            "program moves the control plane, then the add-ons and node groups that follow it; "
            "the preview refuses a jump of two minors and an upgrade while node groups lag",
            "before each hop, read Upgrade Insights (category UPGRADE_READINESS: deprecated "
            "APIs in use, add-on and kubelet skew) for the next minor and start only when none "
            "is ERROR (EKS user guide, cluster-insights); they refresh every 24 hours",
            STANDARD_POLICY_NOTE,
            f"durations: {updates['control_plane_minor']['source']}",
        ],
        blockers=blockers,
    )


STANDARD_POLICY_NOTE = (
    "upgradePolicy STANDARD: at the end of standard support EKS upgrades the control plane to "
    "the next minor itself, and only the control plane: managed node groups and the add-ons "
    "stay behind until the next `pulumi up` moves them (EKS user guide, "
    "disable-extended-support and kubernetes-versions, 'Are Amazon EKS managed node groups "
    "automatically updated ...? No'); the stack's kubernetesVersion then lags the cluster, "
    "and the preview refuses a deploy of the older minor as a rollback"
)


def _rollback_plan(
    run: StackRun,
    stack: _Stack,
    current: str,
    target: str,
    overrides: dict[str, str],
    *,
    today: datetime.date,
    rollback: bool,
) -> UpgradePlan:
    if not rollback:
        raise UpgradeError(
            f"the stack is on {current}; {target} is lower: a rollback. {ROLLBACK_RULES}. Ask "
            "for it with the config key kubernetesRollback (--set kubernetesRollback=true)"
        )
    if minors_apart(target, current) != 1:
        raise UpgradeError(f"{current} -> {target}: {ROLLBACK_RULES}")
    hop = _rollback_hop(stack, current, target, overrides)
    notes = [
        f"first `pulumi config set kubernetesVersion {target}` and `pulumi config set "
        "kubernetesRollback true`: every step runs with them; the targeted steps first (one `pulumi up` would update the control "
        "plane before the node groups, which EKS refuses), then a full `pulumi up`",
        "the rollback must start within 7 days of the in-place upgrade to "
        f"{current}; add-ons are not rolled back by EKS, Fargate is not rolled back (its pods "
        "relaunch on the older version when redeployed); --force on update-cluster-version "
        "skips the insights, not the 7-day window (rollback-cluster)",
    ]
    window = SUPPORT_WINDOWS[target]
    if today > window.end_of_standard:
        hop.steps.insert(
            1,
            Step("gate", "cluster",
                 f"{target} is in extended support since {window.end_of_standard}: deploy "
                 f"upgradePolicy EXTENDED with kubernetesVersion {current} first (the provider "
                 "calls UpdateClusterVersion before it changes the policy)", 0,
                 f"pulumi up --config upgradePolicy=EXTENDED  # kubernetesVersion {current}"),
        )  # fmt: skip
        notes.append(
            f"rolling back to {target} resumes extended-support charges (rollback-cluster)"
        )
    return UpgradePlan(
        stack=run.config.stack,
        current=current,
        target=target,
        hops=[hop],
        deadlines=_deadlines(current, target),
        cost=[],
        notes=notes,
        rollback=True,
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
    what = "rollback" if plan.rollback else "upgrade"
    how = "in this order" if plan.rollback else "one minor at a time"
    lines = [f"{what} {plan.stack}: Kubernetes {plan.current} -> {plan.target}, {how}"]
    lines += [f"blocked: {line}" for line in plan.blockers]
    for hop in plan.hops:
        lines.append(f"{hop.from_version} -> {hop.to_version} (about {hop.seconds / 60:.0f} min)")
        for step in hop.steps:
            lines.append(f"  {step.kind:13} {step.target}: {step.change} ({step.seconds:g} s)")
            if step.command:
                lines.append(f"  {'':13} run: {step.command}")
    lines.append("checks: " + "; ".join(SKEW_RULES))
    lines += [f"support: {line}" for line in plan.deadlines]
    lines += [f"cost: {line}" for line in plan.cost]
    lines += [f"note: {line}" for line in plan.notes]
    return lines
