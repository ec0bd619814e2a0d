"""Derived names: the longest accepted inputs give names AWS accepts in every mode, and one
character more is refused up front, naming the argument."""

from __future__ import annotations

from typing import cast

import pulumi
import pytest

from eks_platform import ConfigError, EksPlatform
from eks_platform.args.component import EksPlatformArgs
from eks_platform.args.rules import COMPONENT_NAME_MAX, NODE_GROUP_NAME_BUDGET, fitted_name
from eks_platform.offline import run_stack
from eks_platform.offline.checks.preflight import (
    AUTONAME_SUFFIX,
    NAME_LIMITS,
    names_too_long,
    physical_name,
)
from eks_platform.offline.model.pulumi_eks import with_modelled

LONGEST = "p" * COMPONENT_NAME_MAX
GROUP = "g" * (NODE_GROUP_NAME_BUDGET - COMPONENT_NAME_MAX)
PROFILE = {"name": "f" * 40, "selectors": [{"namespace": "batch"}]}
MODES = {
    "managed-fargate-nat-instance": {
        "node_groups": [{"name": GROUP}],
        "fargate_profiles": [PROFILE],
        "nat_mode": "instance",
    },
    "karpenter": {"node_groups": [{"name": GROUP}], "compute_mode": "karpenter"},
    "auto": {"compute_mode": "auto", "node_groups": []},
    "private": {
        "node_groups": [{"name": GROUP}],
        "nat_mode": "none",
        "workload": {"enabled": False},
        "load_balancer_controller": {"enabled": False},
        "metrics_server": False,
    },
}


def platform(name, args):
    return lambda: EksPlatform(name, cast("EksPlatformArgs", {"cluster_name": "c" * 100, **args}))


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_longest_accepted_inputs_give_names_aws_accepts(run_with_stack_config, mode):
    run = run_with_stack_config(platform(LONGEST, MODES[mode]))
    registrations = with_modelled(run.registrations)
    assert names_too_long(registrations) == []
    # The margin the limits leave, per type (what a new, longer suffix may use up).
    for registration in registrations:
        found = physical_name(registration)
        if found:
            length = len(found[0]) + (AUTONAME_SUFFIX if found[1] else 0)
            assert length <= NAME_LIMITS[registration.type][1], registration.name


def test_one_character_more_is_refused_before_anything_is_registered(run_with_stack_config):
    with pytest.raises(ConfigError) as caught:
        run_with_stack_config(platform(LONGEST + "p", MODES["karpenter"]))
    assert "name = 'ppp" in str(caught.value) and "must be 1-24 letters" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        run_with_stack_config(platform(LONGEST, {"node_groups": [{"name": GROUP + "g"}]}))
    message = str(caught.value)
    assert f"node_groups[0].name = '{GROUP}g': is 23 characters" in message
    assert "may have at most 22" in message


def test_the_stack_programs_platform_name_fits_whatever_the_stack_is_called():
    long_stack = "eks-platform-staging-eu-central-experimental"
    fitted = fitted_name(long_stack, COMPONENT_NAME_MAX)
    assert len(fitted) == COMPONENT_NAME_MAX and fitted == fitted_name(
        long_stack, COMPONENT_NAME_MAX
    )
    assert fitted.startswith("eks-platform-stag")
    assert fitted_name("eks-platform-dev.v2", 100) == "eks-platform-dev-v2"


def review_example(project_dir, tmp_path, stack, overrides):
    (tmp_path / "Pulumi.yaml").write_text((project_dir / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((project_dir / "__main__.py").read_text())
    (tmp_path / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: us-west-2\n")
    return run_stack(tmp_path, stack, overrides)


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("staging", {"computeMode": "karpenter"}),  # an event target id of 67 before
        ("dev", {"clusterName": "c" * 30}),  # IAM roles of 65 before
        ("staging-eu-central-experimental", {"computeMode": "auto", "nodeGroups": []}),
    ],
)
def test_the_reviews_examples_now_fit(project_dir, tmp_path, stack, overrides):
    run = review_example(project_dir, tmp_path, stack, overrides)
    assert names_too_long(with_modelled(run.registrations)) == []


def test_a_node_group_name_too_long_for_its_platform_is_refused(project_dir, tmp_path):
    """A node group named spot-arm-graviton-general-pool1 made a 64-character EKS name."""
    with pytest.raises(pulumi.RunError) as caught:
        review_example(
            project_dir,
            tmp_path,
            "dev",
            {"nodeGroups": [{"name": "spot-arm-graviton-general-pool1"}]},
        )
    assert "eks-platform:nodeGroups[0].name = 'spot-arm-graviton-general-pool1'" in str(
        caught.value
    )
    assert "may have at most 30" in str(caught.value)


def test_a_component_name_that_is_not_a_string_is_refused(run_with_stack_config):
    for bad in (None, 42, "", "has space", "-dash"):
        with pytest.raises(ConfigError) as caught:
            run_with_stack_config(lambda bad=bad: EksPlatform(bad, {}))  # type: ignore[arg-type]
        assert "name = " in str(caught.value), bad
    with pytest.raises(ConfigError) as caught:
        run_with_stack_config(lambda: EksPlatform("ok", None))  # type: ignore[arg-type]
    assert "args = None: must be a dict of EksPlatformArgs" in str(caught.value)


def test_config_error_is_raised_from_python(run_with_stack_config):
    """From the Python API the error is a ConfigError (a RunError only through the engine)."""
    caught: list[ConfigError] = []

    def program():
        try:
            EksPlatform("ok", {"node_groups": [{"name": "g", "min_size": -1}]})
        except ConfigError as error:
            caught.append(error)

    run_with_stack_config(program)
    (error,) = caught
    assert [p.key for p in error.problems] == ["node_groups[0].min_size"]


def test_a_stack_named_with_a_dot_plans_with_a_cluster_name_eks_accepts(project_dir, tmp_path):
    """A stack called dev.v2 was reported as a bad clusterName, a key the user never set."""
    run = review_example(project_dir, tmp_path, "dev.v2", {})
    assert run.outputs["clusterName"] == "eks-platform-dev-v2"


def test_two_platforms_may_not_share_a_cluster_name_in_one_region(run_with_stack_config):
    def program():
        EksPlatform("a", {"cluster_name": "shared"})
        EksPlatform("b", {"cluster_name": "shared"})

    with pytest.raises(ConfigError) as caught:
        run_with_stack_config(program)
    assert "cluster_name = 'shared': is already the cluster of EksPlatform 'a'" in str(caught.value)


def test_without_a_cluster_name_each_platform_gets_its_own(run_with_stack_config):
    def program():
        for name in ("a", "b"):
            pulumi.export(name, EksPlatform(name, {}).cluster_name)

    run = run_with_stack_config(program)
    assert run.outputs == {"a": "eks-platform-dev-a", "b": "eks-platform-dev-b"}


def test_a_region_other_than_the_providers_is_refused(run_with_stack_config):
    """The dev stack's provider deploys to us-west-2: subnets there, endpoints for another."""
    with pytest.raises(ConfigError) as caught:
        run_with_stack_config(lambda: EksPlatform("a", {"region": "eu-west-1"}))
    assert "region = 'eu-west-1': differs from the AWS provider's region (us-west-2)" in str(
        caught.value
    )


def test_values_that_are_not_json_are_refused_by_argument_name(run_with_stack_config):
    for bad, expected in (
        ({1, 2}, "a set is not a JSON value"),
        (2**70, "does not fit in 64 bits"),
    ):
        args = cast("EksPlatformArgs", {"workload": {"values": {"extra": bad}}})
        with pytest.raises(ConfigError) as caught:
            run_with_stack_config(lambda args=args: EksPlatform("a", args))
        assert "workload.values = " in str(caught.value) and expected in str(caught.value)
