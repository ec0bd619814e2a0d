"""The stack program end to end, offline: both shipped stacks, outputs, and the plan command."""

from __future__ import annotations

import pulumi
import pytest

from eks_platform.offline.cli import main as plan_main


@pytest.mark.parametrize(
    ("stack", "region", "zones", "nats", "nat_instances"),
    [("dev", "us-west-2", 2, 0, 1), ("prod", "ap-northeast-2", 3, 3, 0)],
)
def test_shipped_stacks_run_through_main(run_dev, stack, region, zones, nats, nat_instances):
    run = run_dev(stack)
    assert run.config.region == region
    assert run.outputs["region"] == region
    assert run.outputs["clusterName"] == f"eks-platform-{stack}"
    assert len(run.outputs["availabilityZones"]) == zones
    assert all(zone.startswith(region) for zone in run.outputs["availabilityZones"])
    assert len(run.outputs["privateSubnetIds"]) == zones
    assert len(run.outputs["publicSubnetIds"]) == zones
    assert run.outputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").resource_id
    assert len(run.by_type("aws:ec2/natGateway:NatGateway")) == nats
    assert len(run.by_type("eks-platform:index:NatInstance")) == nat_instances


def test_stacks_differ_as_documented(run_dev):
    dev, prod = run_dev("dev"), run_dev("prod")
    assert dev.outputs["region"] != prod.outputs["region"]
    assert len(prod.registrations) > len(dev.registrations)


def test_bad_config_stops_the_program_before_any_resource(run_dev):
    with pytest.raises(pulumi.RunError) as caught:
        run_dev(natMode="double", vpcCidr="8.8.0.0/16")
    message = str(caught.value)
    assert "2 problem(s)" in message
    assert "eks-platform:natMode = 'double'" in message
    assert "eks-platform:vpcCidr = '8.8.0.0/16'" in message


def test_plan_command_prints_the_tree_and_a_count(project_dir, capsys):
    assert plan_main(["dev", "--project-dir", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert "stack dev (us-west-2)" in out
    assert "eks-platform:index:Network" in out
    assert "aws:ec2/vpc:Vpc" in out
    assert "76 resources (65 cloud resources, 11 components; 4 of them modelled" in out


def test_plan_command_reports_bad_config_without_traceback(project_dir, capsys):
    code = plan_main(["dev", "--project-dir", str(project_dir), "--set", "natMode=double"])
    err = capsys.readouterr().err
    assert code == 2
    assert "eks-platform:natMode = 'double'" in err
    assert "Traceback" not in err


def test_plan_command_unknown_stack(project_dir, capsys):
    assert plan_main(["staging", "--project-dir", str(project_dir)]) == 2
    assert "no stack 'staging'" in capsys.readouterr().err
