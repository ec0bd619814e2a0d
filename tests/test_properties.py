"""Generated configurations, for every key: each is either refused before anything is registered,
with every problem naming a config key, or planned into resources that an independent limits
checker (tests/limits.py) and the preflight find nothing wrong with. Never a traceback.

Seeded (derandomize) and bounded in examples so that the suite stays fast and repeatable.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits import refusals

from eks_platform.offline import run_stack
from eks_platform.offline.checks.preflight import preflight
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.pulumi_eks import with_modelled
from eks_platform.offline.model.recorder import RecordingMonitor, Registration

NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,30}[a-z0-9]", fullmatch=True),
    st.text(max_size=70),
    st.sampled_from(["spot-arm-graviton-general-pool1", "abc\n", "g-", "Bad_Name", "x" * 64]),
)
LABEL_KEYS = st.one_of(
    st.from_regex(
        r"[a-z]([a-z0-9.-]{0,20}[a-z0-9])?(/[a-z]([a-z0-9_.-]{0,20}[a-z0-9])?)?", fullmatch=True
    ),
    st.sampled_from(
        ["nodegroup", "kubernetes.io/role", "eks.amazonaws.com/x", "bad key", "a/" + "b" * 70]
    ),
)
LABEL_VALUES = st.one_of(
    st.from_regex(r"[a-z0-9]{0,12}", fullmatch=True), st.sampled_from(["-x", "y" * 64])
)
COUNTS = st.one_of(st.integers(-1, 12), st.integers(440, 460), st.sampled_from([2.0, 1.5, 2**40]))
GROUP = st.fixed_dictionaries(
    {"name": NAMES},
    optional={
        "instanceTypes": st.lists(
            st.sampled_from(["t4g.small", "t4g.medium", "m7g.large", "m5.large", "bogus"]),
            max_size=3,
        ),
        "capacityType": st.sampled_from(["ON_DEMAND", "SPOT", "RESERVED"]),
        "amiType": st.sampled_from(
            [
                "AL2023_ARM_64_STANDARD",
                "AL2023_x86_64_STANDARD",
                "BOTTLEROCKET_ARM_64",
                "AL2_x86_64",
            ]
        ),
        "minSize": COUNTS,
        "desiredSize": COUNTS,
        "maxSize": COUNTS,
        "diskSizeGib": st.one_of(st.integers(0, 40), st.sampled_from([16385, 20.5])),
        "labels": st.dictionaries(LABEL_KEYS, LABEL_VALUES, max_size=2),
        "taints": st.lists(
            st.fixed_dictionaries(
                {
                    "key": LABEL_KEYS,
                    "effect": st.sampled_from(["NoSchedule", "NoExecute", "NoWay"]),
                },
                optional={"value": LABEL_VALUES},
            ),
            max_size=2,
        ),
    },
)
CIDRS = st.sampled_from(
    ["0.0.0.0/0", "203.0.113.0/24", "0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/255.0.0.0", "banana"]
)
CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "aws:region": st.sampled_from(["us-west-2", "eu-west-1", "mars-north-9", "cn-north-1"]),
        "vpcCidr": st.sampled_from(
            ["10.0.0.0/16", "10.8.0.0/20", "10.0.0.0/255.255.0.0", "8.8.0.0/16", "172.16.0.0/12"]
        ),
        "availabilityZoneCount": st.integers(0, 5),
        "privateSubnetPrefixLength": st.integers(15, 29),
        "publicSubnetPrefixLength": st.integers(15, 29),
        "natMode": st.sampled_from(["none", "single", "per_az", "instance", "double"]),
        "kubernetesVersion": st.sampled_from(["1.33", "1.34", "1.35", "1.36", "1.40"]),
        "upgradePolicy": st.sampled_from(["STANDARD", "EXTENDED", "FOREVER"]),
        "clusterName": NAMES,
        "computeMode": st.sampled_from(["managed", "karpenter", "auto"]),
        "karpenter": st.fixed_dictionaries(
            {},
            optional={"amiAlias": st.sampled_from(["al2023@latest", "al2023@v20260724", "al2@v1"])},
        ),
        "nodeGroups": st.lists(GROUP, max_size=3),
        "fargateProfiles": st.lists(
            st.fixed_dictionaries({"name": NAMES, "selectors": st.just([{"namespace": "batch"}])}),
            max_size=1,
        ),
        "endpointPublicAccess": st.booleans(),
        "publicAccessCidrs": st.lists(CIDRS, max_size=3),
        "production": st.booleans(),
        "flowLogsRetentionDays": st.sampled_from([1, 30, 100, 365]),
        "workload": st.fixed_dictionaries(
            {},
            optional={
                "enabled": st.booleans(),
                "replicas": COUNTS,
                "releaseName": NAMES,
                "namespace": NAMES,
                "sourceRanges": st.lists(CIDRS, max_size=2),
            },
        ),
        "loadBalancerController": st.fixed_dictionaries(
            {}, optional={"enabled": st.booleans(), "replicas": COUNTS}
        ),
    },
)
# Mostly valid configurations, so that the planned path is exercised as much as the refused one.
SHORT_NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)


@st.composite
def valid_groups(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(0, 3))
    want = draw(st.integers(max(low, 1), 4))
    return {
        "name": draw(SHORT_NAMES),
        "instanceTypes": draw(st.sampled_from([["t4g.small"], ["m7g.large", "c7g.large"]])),
        "capacityType": draw(st.sampled_from(["ON_DEMAND", "SPOT"])),
        "minSize": low,
        "desiredSize": want,
        "maxSize": draw(st.integers(want, 450)),
        "diskSizeGib": draw(st.integers(20, 200)),
        "labels": draw(
            st.dictionaries(st.from_regex(r"[a-z]{1,10}", fullmatch=True), SHORT_NAMES, max_size=2)
        ),
    }


VALID_CONFIGS = st.fixed_dictionaries(
    {
        "natMode": st.sampled_from(["single", "per_az", "instance"]),
        "computeMode": st.sampled_from(["managed", "karpenter"]),
        "nodeGroups": st.lists(
            valid_groups(), min_size=1, max_size=3, unique_by=lambda g: g["name"]
        ),
    },
    optional={
        "vpcCidr": st.sampled_from(["10.0.0.0/16", "10.20.0.0/16", "172.16.0.0/16"]),
        "availabilityZoneCount": st.integers(2, 4),
        "clusterName": SHORT_NAMES,
        "publicAccessCidrs": st.lists(
            st.sampled_from(["203.0.113.0/24", "198.51.100.0/24"]), min_size=1, max_size=2
        ),
        "workload": st.fixed_dictionaries(
            {"replicas": st.integers(1, 4), "releaseName": SHORT_NAMES}
        ),
    },
)

SEEDED = settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROBLEM_LINE = re.compile(r"  - (eks-platform:[A-Za-z]|aws:region)[^ ]* = ")


def plan(overrides: dict[str, Any]) -> tuple[list, str | None]:
    region = overrides.get("aws:region", "us-west-2")
    monitor = RecordingMonitor(PlatformMocks(region if isinstance(region, str) else "us-west-2"))
    try:
        run = run_stack(".", "dev", overrides, monitor=monitor)
    except pulumi.RunError as error:
        return [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"], str(error)
    return with_modelled(run.registrations), None


@settings(SEEDED, max_examples=40)
@given(CONFIGS)
def test_a_configuration_is_refused_by_key_or_deploys_within_limits(overrides):
    registrations, error = plan(overrides)
    if error is not None:
        assert error.startswith("invalid platform configuration"), error
        problems = error.splitlines()[1:]
        assert problems and all(PROBLEM_LINE.match(line) for line in problems), error
        assert registrations == []  # refused before anything is registered
        return
    assert refusals(registrations) == []
    assert [str(finding) for finding in preflight(registrations)] == []


@settings(SEEDED, max_examples=20)
@given(VALID_CONFIGS)
def test_valid_configurations_plan_within_limits(overrides):
    registrations, error = plan(overrides)
    if error is not None:  # still possible (a zone count the region lacks): named by key
        assert all(PROBLEM_LINE.match(line) for line in error.splitlines()[1:]), error
        return
    assert refusals(registrations) == []
    assert [str(finding) for finding in preflight(registrations)] == []


def test_the_limits_checker_finds_what_it_should():
    """Negative controls: the independent checker trips on each kind of refusal."""

    def reg(type_token, name, inputs):
        return Registration(f"urn:{name}", type_token, name, True, "", "", [], {}, inputs)

    bad = [
        reg("aws:iam/role:Role", "r" * 57, {}),
        reg("aws:eks/nodeGroup:NodeGroup", "g", {"scalingConfig": {"minSize": 2, "desiredSize": 1, "maxSize": 3},
                                                "labels": {"bad key": "x"}, "taints": [{"key": "k" * 64}]}),
        reg("kubernetes:core/v1:Service", "s", {"metadata": {"name": "1app"}}),
        reg("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}),
        reg("aws:ec2/subnet:Subnet", "a", {"cidrBlock": "10.0.0.0/24"}),
        reg("aws:ec2/subnet:Subnet", "b", {"cidrBlock": "10.0.0.128/25"}),
        reg("aws:ec2/subnet:Subnet", "c", {"cidrBlock": "10.1.0.0/24"}),
    ]  # fmt: skip
    found = " | ".join(refusals(bad))
    for expected in ("name of 65 > 64", "scaling 2/1/3", "label bad key", "taint kkk",
                     "Service name '1app'", "a overlaps b", "outside the VPC"):  # fmt: skip
        assert expected in found, expected
