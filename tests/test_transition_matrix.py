"""The transition matrix (issue 24 §1): configurations covering every setting that changes the
platform's shape, each planned once, and the changes between them forecast.

Settings (``FACTORS``): natMode x computeMode x exposure x zone count x each battery on/off
(block storage, observability, metrics-server, the load balancer controller, the Cluster
Autoscaler, the GPU NodePool, a Fargate profile) x Kubernetes minor x existing VPC. The full
product is tens of thousands of configurations, and planning one takes 0.2-0.4 s here, so the
matrix is a pairwise-covering set: every pair of values of two settings that the
configuration accepts appears in at least one configuration (greedy, seeded: the same set
every run). A pair no accepted configuration holds is checked to be refused up front, by a
ConfigError naming a setting's key. Every ordered pair of the covering configurations is then
a transition (all of them, not a subset), but for downgrades of the Kubernetes minor, which
EKS refuses; each must forecast no collision and no replacement beyond what its changed
settings explain (``EXPECTED``). The test prints how many configurations and transitions it
checked. Subnet ranges and zone names are not in the matrix: changing them is refused by the
forecast (tests/test_day2_collisions.py).
"""

from __future__ import annotations

import datetime
import itertools
import random
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_day2_collisions import as_of_0_5_0

from eks_platform.args.config import ConfigError, validate_platform_args
from eks_platform.offline import run_stack
from eks_platform.offline.change.diff import diff_plans
from eks_platform.offline.report.plan import build_plan

PROJECT_DIR = Path(__file__).resolve().parent.parent
TODAY = datetime.date(2026, 11, 30)  # conftest.PINNED_TODAY: 1.34 still in standard support
BATTERIES = ("blockStorage", "observability", "metricsServer", "lbController", "autoscaler", "gpu",
             "fargate")  # fmt: skip
FACTORS: dict[str, tuple[Any, ...]] = {
    "natMode": ("per_az", "single", "instance", "none"),
    "computeMode": ("managed", "karpenter", "auto"),
    "exposure": ("nlb", "alb", "internal", "off"),
    "zones": (2, 3),
    **{battery: (False, True) for battery in BATTERIES},
    "kubernetes": ("1.34", "1.35"),
    "existingVpc": (False, True),
}
BYO = {
    "existingVpcId": "vpc-0123456789abcdef0",
    "existingPublicSubnetIds": ["subnet-0000000a", "subnet-0000000d"],
    "existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"],
}
DEV_GROUP = {"name": "spot-arm", "instanceTypes": ["t4g.small", "t4g.medium"],
             "capacityType": "SPOT", "amiType": "AL2023_ARM_64_STANDARD", "minSize": 1,
             "desiredSize": 2, "maxSize": 4, "diskSizeGib": 20}  # fmt: skip

# What each setting's change may replace (types), and why; anything else replaced is a defect.
EXPECTED: dict[str, dict[str, str]] = {
    "zones": {
        # subnet_ids is ForceNew on aws_eks_node_group and aws_eks_fargate_profile
        # (offline/data/replacements.json).
        "aws:eks/nodeGroup:NodeGroup": "node groups span the private subnets: a zone more or "
        "less is a new subnetIds, which replaces them",
        "aws:eks/fargateProfile:FargateProfile": "so do Fargate profiles",
    },
    "existingVpc": {
        "aws:eks/nodeGroup:NodeGroup": "the node groups move to the other VPC's subnets",
        "aws:eks/fargateProfile:FargateProfile": "so do Fargate profiles",
        "aws:ec2/securityGroup:SecurityGroup": "security groups belong to a VPC",
        "aws:ec2/vpcEndpoint:VpcEndpoint": "endpoints belong to a VPC",
        "aws:ec2/networkInterface:NetworkInterface": "the NAT instance's interface is in a "
        "subnet of the VPC",
        "aws:ec2/instance:Instance": "the NAT instance follows its interface",
    },
    "computeMode": {
        # bootstrapSelfManagedAddons and kubernetesNetworkConfig are ForceNew (Auto Mode's
        # cluster starts without self-managed add-ons): the forecast marks it critical, exit 4.
        "aws:eks/cluster:Cluster": "to or from Auto Mode replaces the cluster (critical)",
        # clusterName is ForceNew on each of these: what lives in the cluster goes with it.
        "aws:eks/addon:Addon": "an add-on of the replaced cluster",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation": "of the replaced cluster",
        "aws:eks/accessEntry:AccessEntry": "of the replaced cluster",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "of the replaced cluster",
        "aws:eks/nodeGroup:NodeGroup": "a node group of the replaced cluster",
        "aws:eks/fargateProfile:FargateProfile": "a Fargate profile of the replaced cluster",
    },
}


def overrides(config: dict[str, Any]) -> dict[str, Any]:
    """The stack config overrides of one matrix configuration (on the dev stack)."""
    auto = config["computeMode"] == "auto"
    values: dict[str, Any] = {
        "natMode": config["natMode"],
        "computeMode": config["computeMode"],
        "availabilityZoneCount": config["zones"],
        "kubernetesVersion": config["kubernetes"],
        "blockStorage": config["blockStorage"],
        "observability": config["observability"],
        "metricsServer": config["metricsServer"],
        "loadBalancerController": {"enabled": config["lbController"]},
        "nodeGroups": [] if auto else [{**DEV_GROUP, "autoscaled": config["autoscaler"]}],
        "workload": {
            "enabled": config["exposure"] != "off",
            "replicas": 1,
            "exposure": "alb" if config["exposure"] == "alb" else "nlb",
            "scheme": "internal" if config["exposure"] == "internal" else "internet-facing",
        },
    }
    if config["gpu"]:
        values["gpu"] = {"nodePool": True}
    if config["fargate"]:
        values["fargateProfiles"] = [{"name": "batch", "selectors": [{"namespace": "batch"}]}]
    if config["existingVpc"]:
        values.update(BYO)
    return values


def refusal(config: dict[str, Any]) -> ConfigError | None:
    """The configuration's own validation (no program run): what it refuses up front."""
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    values = {key.removeprefix("eks-platform:"): value for key, value in stack.items()}
    try:
        validate_platform_args(
            {**values, **overrides(config)}, namespace="eks-platform", today=TODAY
        )
    except ConfigError as error:
        return error
    return None


KEYS = {"natMode": "natMode", "computeMode": "computeMode", "exposure": "workload",
        "zones": "availabilityZoneCount", "blockStorage": "blockStorage",
        "observability": "observability", "metricsServer": "metricsServer",
        "lbController": "loadBalancerController", "autoscaler": "nodeGroups", "gpu": "gpu",
        "fargate": "fargateProfiles", "kubernetes": "kubernetesVersion",
        "existingVpc": "existingVpcId"}  # fmt: skip
"""The config key each setting sets (what a refusal names)."""
SETTING_OF = {key: setting for setting, key in KEYS.items()}
BASE = {"natMode": "instance", "computeMode": "managed", "exposure": "nlb", "zones": 2,
        "blockStorage": True, "observability": False, "metricsServer": True,
        "lbController": True, "autoscaler": False, "gpu": False, "fargate": False,
        "kubernetes": "1.35",
        "existingVpc": False}  # fmt: skip
"""The dev stack's own settings: where the search for an accepted configuration starts."""

Pair = tuple[tuple[str, Any], tuple[str, Any]]


def _pairs(config: dict[str, Any]) -> set[Pair]:
    return set(itertools.combinations(sorted(config.items(), key=lambda kv: kv[0]), 2))


def _named(error: ConfigError) -> set[str]:
    """The settings a refusal names (by their keys)."""
    keys = {problem.key.split(":", 1)[-1].split(".", 1)[0] for problem in error.problems}
    return {SETTING_OF[key] for key in keys if key in SETTING_OF}


def accepted_with(pair: Pair) -> tuple[dict[str, Any] | None, ConfigError | None]:
    """An accepted configuration holding ``pair``, searched from the dev stack's settings by
    changing the settings each refusal names (not the pair's), or None and the first refusal."""
    (a, va), (b, vb) = pair
    start = {**BASE, a: va, b: vb}
    first = refusal(start)
    seen, queue = [start], [start]
    while queue and len(seen) < 400:
        config = queue.pop(0)
        error = refusal(config)
        if error is None:
            return config, None
        for setting in sorted(_named(error) - {a, b}):
            for value in FACTORS[setting]:
                changed = {**config, setting: value}
                if changed not in seen:
                    seen.append(changed)
                    queue.append(changed)
    return None, first


def covering_configurations() -> tuple[list[dict[str, Any]], list[tuple[Pair, ConfigError]]]:
    """A pairwise-covering set of accepted configurations (greedy, deterministic), and each
    pair of values no accepted configuration holds, with its refusal."""
    names = sorted(FACTORS)
    every = sorted(
        ((a, va), (b, vb))
        for a, b in itertools.combinations(names, 2)
        for va in FACTORS[a]
        for vb in FACTORS[b]
    )
    rng = random.Random(24)
    candidates = [
        config
        for config in ({name: rng.choice(FACTORS[name]) for name in names} for _ in range(600))
        if refusal(config) is None
    ]
    possible = set().union(*(_pairs(c) for c in candidates))
    refused = []
    for pair in every:
        if pair in possible:
            continue
        config, error = accepted_with(pair)
        if config is None:
            assert error is not None
            refused.append((pair, error))
        else:
            candidates.append(config)
            possible |= _pairs(config)
    chosen: list[dict[str, Any]] = []
    uncovered = set(possible)
    while uncovered:
        best = max(candidates, key=lambda c: len(_pairs(c) & uncovered))
        chosen.append(best)
        uncovered -= _pairs(best)
    return chosen, refused


def _plan(config: dict[str, Any]) -> dict[str, Any]:
    return build_plan(run_stack(PROJECT_DIR, "dev", overrides(config))).to_json()


@pytest.fixture(scope="module")
def matrix():
    started = time.perf_counter()
    configurations, refused_pairs = covering_configurations()
    plans = [_plan(config) for config in configurations]
    planned = time.perf_counter() - started
    return configurations, refused_pairs, plans, planned


@pytest.fixture(scope="module")
def neighbours():
    """The dev stack's settings and each one-setting change of them that is accepted: every
    setting's own transitions, each attributed to that setting alone."""
    changed = [
        {**BASE, setting: value}
        for setting, values in FACTORS.items()
        for value in values
        if value != BASE[setting] and refusal({**BASE, setting: value}) is None
    ]
    return [(config, _plan(config)) for config in [BASE, *changed]]


def test_pairs_never_accepted_are_refused_up_front_naming_the_key(matrix):
    """Each pair of values no accepted configuration holds is refused before anything is
    planned: a ConfigError naming the settings' keys (natMode none with a battery that needs
    egress, a GPU NodePool without Karpenter or Auto Mode...)."""
    _, refused, _, _ = matrix
    assert refused, "the matrix has combinations the configuration refuses"
    for ((a, va), (b, vb)), error in refused:
        keys = {problem.key for problem in error.problems}
        assert all(key.startswith("eks-platform:") for key in keys), str(error)
        assert _named(error), (a, va, b, vb, str(error))


def _changed(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [name for name in FACTORS if a[name] != b[name]]


def _problem(a: dict[str, Any], b: dict[str, Any], before: dict[str, Any], after: dict[str, Any]):
    """What is wrong with the transition from configuration ``a`` to ``b``: a finding of any
    day-2 check (collision, read-back, permissions, finalizers), and replacements none of the
    changed settings explain (None when nothing)."""
    changed = _changed(a, b)
    allowed = {t for setting in changed for t in EXPECTED.get(setting, {})}
    diff = diff_plans(before, after)
    collisions = [str(f) for f in diff.findings]
    unexpected = sorted(
        {
            f"{c.type} {c.name}: {'; '.join(c.reasons)}"
            for c in diff.forecast
            if c.action == "replace" and c.type not in allowed
        }
    )
    return (changed, collisions, unexpected) if collisions or unexpected else None


def test_every_transition_applies_without_collision_or_unexpected_replacement(
    matrix, neighbours, capsys
):
    configurations, refused_pairs, plans, planned = matrix
    started = time.perf_counter()
    pairs = [
        (a, b, plans[i], plans[j])
        for (i, a), (j, b) in itertools.permutations(enumerate(configurations), 2)
    ]
    (base, base_plan), *others = neighbours
    pairs += [(base, c, base_plan, p) for c, p in others]
    pairs += [(c, base, p, base_plan) for c, p in others]
    # EKS refuses a downgrade of the minor: the matrix upgrades n -> n+1 only.
    pairs = [pair for pair in pairs if pair[1]["kubernetes"] >= pair[0]["kubernetes"]]
    problems = [found for pair in pairs if (found := _problem(*pair))]
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\ntransition matrix: {len(configurations)} configurations (pairwise-covering, "
            f"{len(refused_pairs)} pairs refused up front) and {len(others)} one-setting "
            f"changes of dev; {len(pairs)} transitions; planning {planned:.1f} s, diffs "
            f"{elapsed:.1f} s"
        )
    assert problems == []


def test_the_matrix_finds_the_0_5_0_association_names(matrix):
    """Negative control of the matrix: with the associations named as in 0.5.0 (after their
    table), every transition between per_az (a table per zone) and another natMode on a
    created VPC is a collision; between single, instance and none (one private table) none."""
    configurations, _, plans, _ = matrix
    old = [as_of_0_5_0(plan) for plan in plans]
    tripped = quiet = 0
    for (i, a), (j, b) in itertools.permutations(enumerate(configurations), 2):
        if a["existingVpc"] or b["existingVpc"] or b["kubernetes"] < a["kubernetes"]:
            continue
        found = [f for f in diff_plans(old[i], old[j]).findings if f.check == "collision"]
        switch = (a["natMode"] == "per_az") != (b["natMode"] == "per_az")
        assert bool(found) == switch, (a["natMode"], b["natMode"], [str(f) for f in found])
        tripped += switch
        quiet += not switch
    assert tripped and quiet
