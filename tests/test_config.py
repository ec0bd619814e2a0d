"""Every validation rule, the all-at-once report, defaults, and docs that match the model."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from eks_platform import ConfigError, PlatformArgs, validate_platform_args
from eks_platform.args.versions import (
    DEFAULT_KUBERNETES_VERSION,
    today,
    versions_in_standard_support,
)
from eks_platform.generate.docs import check_pulumi_yaml, check_readme, config_declarations
from eks_platform.platform import platform_warnings

US_WEST_2 = ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
EU_WEST_1 = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def problems(values: dict[str, Any], offered: list[str] | None = US_WEST_2) -> dict[str, str]:
    """key -> message of every problem reported for ``values`` (region us-west-2 unless given)."""
    with pytest.raises(ConfigError) as caught:
        validate_platform_args(
            {"aws:region": "us-west-2", **values}, namespace="eks-platform", offered_zones=offered
        )
    return {problem.key: problem.message for problem in caught.value.problems}


def valid(values: dict[str, Any], offered: list[str] | None = US_WEST_2) -> PlatformArgs:
    return validate_platform_args({"aws:region": "us-west-2", **values}, offered_zones=offered)


def test_defaults_make_a_dev_environment():
    args = valid({})
    assert args.vpc_cidr == "10.0.0.0/16"
    assert args.availability_zone_count == 3
    assert args.nat_mode == "single"
    assert args.flow_logs_retention_days == 90
    assert not args.uses_existing_vpc
    assert args.production is False


def test_stack_config_strings_are_coerced():
    args = valid(
        {
            "availabilityZoneCount": "2",
            "production": "true",
            "flowLogsRetentionDays": "365",
            "publicAccessCidrs": ["198.51.100.0/24"],
        }
    )
    assert (args.availability_zone_count, args.production, args.flow_logs_retention_days) == (
        2,
        True,
        365,
    )


def test_python_names_work_too():
    args = valid({"nat_mode": "per_az", "vpc_cidr": "10.1.0.0/16"})
    assert (args.nat_mode, args.vpc_cidr) == ("per_az", "10.1.0.0/16")


def test_unknown_key_is_rejected_with_a_suggestion():
    found = problems({"natMod": "single"})
    assert "eks-platform:natMod" in found
    assert "unknown key; did you mean natMode?" in found["eks-platform:natMod"]


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.0.0.1/16", "banana", "10.0.0.0"])
def test_malformed_vpc_cidr(cidr):
    assert "must be an IPv4 network" in problems({"vpcCidr": cidr})["eks-platform:vpcCidr"]


@pytest.mark.parametrize("cidr", ["8.8.0.0/16", "203.0.113.0/24", "169.254.0.0/16", "127.0.0.0/16"])
def test_public_vpc_cidr(cidr):
    assert "must lie in a private range" in problems({"vpcCidr": cidr})["eks-platform:vpcCidr"]


def test_vpc_cidr_prefix_outside_aws_limits():
    assert "between /16 and /28" in problems({"vpcCidr": "10.0.0.0/8"})["eks-platform:vpcCidr"]


def test_vpc_cidr_too_small_for_subnets():
    found = problems({"vpcCidr": "10.0.0.0/17", "availabilityZoneCount": 4})
    assert (
        "too small: 4 private /19 and 4 public /24 subnets need 33792 addresses"
        in found["eks-platform:vpcCidr"]
    )


def test_small_vpc_with_smaller_subnets_is_fine():
    assert (
        valid({"vpcCidr": "10.0.0.0/20", "privateSubnetPrefixLength": 22}).vpc_cidr == "10.0.0.0/20"
    )


def test_public_subnets_larger_than_private_rejected():
    found = problems({"privateSubnetPrefixLength": 24, "publicSubnetPrefixLength": 20})
    assert "must not be larger than private" in found["eks-platform:publicSubnetPrefixLength"]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_zone_count_out_of_range(count):
    assert (
        "between 2 and 4"
        in problems({"availabilityZoneCount": count})["eks-platform:availabilityZoneCount"]
    )


def test_zone_count_above_what_the_region_offers():
    found = problems({"aws:region": "eu-west-1", "availabilityZoneCount": 4}, offered=EU_WEST_1)
    message = found["eks-platform:availabilityZoneCount"]
    assert "eu-west-1 offers only 3 zones" in message and "eu-west-1c" in message


def test_explicit_zones_must_belong_to_the_region():
    found = problems({"availabilityZones": ["us-west-2a", "us-east-1b"]})
    assert "us-east-1b" in found["eks-platform:availabilityZones"]
    found = problems({"availabilityZones": ["us-west-2a", "us-west-2z"]})
    assert "us-west-2z" in found["eks-platform:availabilityZones"]


def test_explicit_zones_count_and_duplicates():
    assert (
        "between 2 and 4"
        in problems({"availabilityZones": ["us-west-2a"]})["eks-platform:availabilityZones"]
    )
    assert (
        "twice"
        in problems({"availabilityZones": ["us-west-2a", "us-west-2a"]})[
            "eks-platform:availabilityZones"
        ]
    )


def test_explicit_zones_override_the_count():
    args = valid({"availabilityZones": ["us-west-2b", "us-west-2d"], "availabilityZoneCount": 3})
    assert args.availability_zones == ["us-west-2b", "us-west-2d"]


def test_unknown_nat_mode():
    message = problems({"natMode": "double"})["eks-platform:natMode"]
    assert "'none', 'single', 'per_az' or 'instance'" in message


@pytest.mark.parametrize(
    "region",
    ["uswest2", "us-west", "US-WEST-2", "us_west_2", "moon-1", "mars-north-9", "us-west-9"],
)
def test_only_real_regions_are_accepted(region):
    message = problems({"aws:region": region}, offered=None)["aws:region"]
    assert message.startswith("is not an AWS region") and "us-west-2" in message


def test_a_near_miss_gets_a_suggestion_and_opt_in_regions_are_real():
    assert (
        "did you mean eu-west-1?"
        in problems({"aws:region": "eu-wset-1"}, offered=None)["aws:region"]
    )
    assert "aws:region" not in problems(
        {"aws:region": "mx-central-1", "natMode": "x"}, offered=None
    )


def test_missing_region():
    with pytest.raises(ConfigError) as caught:
        validate_platform_args({}, namespace="eks-platform")
    assert [(p.key, p.message) for p in caught.value.problems] == [("aws:region", "is required")]


def test_flow_log_retention_must_be_a_cloudwatch_value():
    message = problems({"flowLogsRetentionDays": 100})["eks-platform:flowLogsRetentionDays"]
    assert "must be one of 1, 3, 5" in message and "3653" in message


def test_bring_your_own_vpc_needs_subnet_lists():
    found = problems({"existingVpcId": "vpc-0123456789abcdef0"})
    assert "at least one public subnet" in found["eks-platform:existingPublicSubnetIds"]
    assert "at least two private subnets" in found["eks-platform:existingPrivateSubnetIds"]


def test_bring_your_own_vpc_needs_two_private_subnets():
    found = problems(
        {
            "existingVpcId": "vpc-0123456789abcdef0",
            "existingPublicSubnetIds": ["subnet-0000000a"],
            "existingPrivateSubnetIds": ["subnet-0000000b"],
        }
    )
    assert list(found) == ["eks-platform:existingPrivateSubnetIds"]


def test_bring_your_own_vpc_ids_are_checked():
    found = problems(
        {
            "existingVpcId": "vpc-12",
            "existingPrivateSubnetIds": ["subnet-0000000b", "sn-1"],
        }
    )
    assert "VPC id" in found["eks-platform:existingVpcId"]
    assert "not subnet ids: sn-1" in found["eks-platform:existingPrivateSubnetIds"]


def test_subnet_lists_without_vpc_id_rejected():
    found = problems({"existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"]})
    assert "only used together with existingVpcId" in found["eks-platform:existingPrivateSubnetIds"]


def test_subnet_listed_as_public_and_private_rejected():
    found = problems(
        {
            "existingVpcId": "vpc-0123456789abcdef0",
            "existingPublicSubnetIds": ["subnet-0000000a"],
            "existingPrivateSubnetIds": ["subnet-0000000a", "subnet-0000000b"],
        }
    )
    assert (
        "also listed as public: subnet-0000000a" in found["eks-platform:existingPrivateSubnetIds"]
    )


def test_bring_your_own_vpc_skips_network_checks():
    args = valid(
        {
            "existingVpcId": "vpc-0123456789abcdef0",
            "existingPublicSubnetIds": ["subnet-0000000a"],
            "existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"],
            "availabilityZoneCount": 9,
        }
    )
    assert args.uses_existing_vpc


def test_node_group_sizes_and_names():
    found = problems(
        {
            "nodeGroups": [
                {"name": "a", "minSize": 3, "desiredSize": 2, "maxSize": 1},
                {"name": "-bad", "capacityType": "CHEAP", "instanceTypes": []},
            ]
        }
    )
    assert "at least minSize (3)" in found["eks-platform:nodeGroups[0].desiredSize"]
    assert "at least minSize and desiredSize (3)" in found["eks-platform:nodeGroups[0].maxSize"]
    assert "starting with a letter" in found["eks-platform:nodeGroups[1].name"]
    assert "'ON_DEMAND' or 'SPOT'" in found["eks-platform:nodeGroups[1].capacityType"]
    assert "eks-platform:nodeGroups[1].instanceTypes" in found


def test_duplicate_node_group_names():
    found = problems({"nodeGroups": [{"name": "a"}, {"name": "a"}]})
    assert "duplicate node group names: a" in found["eks-platform:nodeGroups"]


def test_all_problems_are_reported_at_once():
    found = problems(
        {
            "natMode": "double",
            "vpcCidr": "8.8.0.0/16",
            "availabilityZoneCount": 7,
            "flowLogRetentionDays": 30,
            "clusterName": "-oops",
            "nodeGroups": [{"name": "a", "minSize": 2, "desiredSize": 1}],
        }
    )
    assert set(found) == {
        "eks-platform:natMode",
        "eks-platform:vpcCidr",
        "eks-platform:availabilityZoneCount",
        "eks-platform:flowLogRetentionDays",
        "eks-platform:clusterName",
        "eks-platform:nodeGroups[0].desiredSize",
    }


def test_error_message_names_key_value_and_what_is_allowed():
    with pytest.raises(ConfigError) as caught:
        validate_platform_args(
            {"aws:region": "us-west-2", "natMode": "double"}, namespace="eks-platform"
        )
    text = str(caught.value)
    assert "1 problem(s)" in text
    assert (
        "eks-platform:natMode = 'double': Input should be 'none', 'single', 'per_az' or 'instance'"
        in text
    )


def test_pulumi_yaml_declares_every_simple_key_as_the_model_does(project_dir):
    assert check_pulumi_yaml(project_dir / "Pulumi.yaml") == []
    declarations = config_declarations()
    assert declarations["natMode"] == {
        "type": "string",
        "default": "single",
        "description": PlatformArgs.model_fields["nat_mode"].description,
    }
    assert "nodeGroups" not in declarations  # a list of objects: no Pulumi simple type fits


def test_readme_config_table_matches_the_model(project_dir):
    assert check_readme(project_dir / "README.md") == []


def test_every_field_is_documented():
    for name, field in PlatformArgs.model_fields.items():
        assert field.description, name


# --- control plane ---------------------------------------------------------------------------

TODAY = datetime.date(2026, 11, 22)


def problems_on(values: dict[str, Any], today: datetime.date = TODAY) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        validate_platform_args(
            {"aws:region": "us-west-2", **values},
            namespace="eks-platform",
            offered_zones=US_WEST_2,
            today=today,
        )
    return {problem.key: problem.message for problem in caught.value.problems}


def test_default_version_is_in_standard_support_on_the_pinned_day():
    assert DEFAULT_KUBERNETES_VERSION in versions_in_standard_support(today())
    assert valid({}).kubernetes_version == DEFAULT_KUBERNETES_VERSION
    assert valid({}).upgrade_policy == "STANDARD"


@pytest.mark.parametrize("version", ["1.29", "1.40", "banana", "1.35.2"])
def test_versions_outside_the_documented_window_are_rejected(version):
    message = problems_on({"kubernetesVersion": version})["eks-platform:kubernetesVersion"]
    assert message.startswith("not a version in the documented support window")


def test_version_past_standard_support_needs_extended_policy():
    message = problems_on({"kubernetesVersion": "1.33"})["eks-platform:kubernetesVersion"]
    assert "standard support ended 2026-07-29" in message and "EXTENDED" in message
    args = validate_platform_args(
        {"aws:region": "us-west-2", "kubernetesVersion": "1.33", "upgradePolicy": "EXTENDED"},
        today=TODAY,
    )
    assert args.upgrade_policy == "EXTENDED"
    assert any("0.60" in warning for warning in platform_warnings(args))


def test_version_past_extended_support_is_rejected():
    found = problems_on(
        {"kubernetesVersion": "1.32", "upgradePolicy": "EXTENDED"}, today=datetime.date(2027, 4, 1)
    )
    assert "extended support ended 2027-03-23" in found["eks-platform:kubernetesVersion"]


def test_unknown_upgrade_policy():
    assert (
        "'STANDARD' or 'EXTENDED'"
        in problems_on({"upgradePolicy": "FOREVER"})["eks-platform:upgradePolicy"]
    )


def test_the_package_judges_versions_by_the_pinned_day_or_the_clock(monkeypatch):
    """Tests pin the day (conftest); deployments leave it unset and get the real date."""
    assert today() == datetime.date(2026, 11, 30)
    monkeypatch.delenv("EKS_PLATFORM_TODAY")
    assert today() == datetime.date.today()
    monkeypatch.setenv("EKS_PLATFORM_TODAY", "next tuesday")
    with pytest.raises(ValueError, match="must be a date such as 2026-11-30"):
        today()


def test_a_stack_past_standard_support_tells_the_user_what_to_do(monkeypatch, run_bad):
    """The program keeps judging by the date: on 2027-03-28 the default 1.35 is past standard."""
    monkeypatch.setenv("EKS_PLATFORM_TODAY", "2027-03-28")
    message, registered = run_bad({})
    assert registered == []
    assert "eks-platform:kubernetesVersion = '1.35': standard support ended 2027-03-27" in message
    assert "upgrade, or set upgradePolicy to EXTENDED" in message


def test_open_endpoint_rejected_in_production_and_warned_otherwise():
    found = problems_on({"production": True})
    assert "not allowed in production" in found["eks-platform:publicAccessCidrs"]
    warnings = platform_warnings(valid({}))
    assert any("reachable from any address" in warning for warning in warnings)
    restricted = valid({"production": True, "publicAccessCidrs": ["198.51.100.0/24"]})
    assert platform_warnings(restricted) == []
    private = valid({"production": True, "endpointPublicAccess": False})
    assert platform_warnings(private) == []


def test_public_access_cidrs_checked():
    found = problems_on({"publicAccessCidrs": ["198.51.100.0/33", "10.0.0.1/8"]})
    assert (
        "not IPv4 networks: 198.51.100.0/33, 10.0.0.1/8" in found["eks-platform:publicAccessCidrs"]
    )
    found = problems_on({"publicAccessCidrs": []})
    assert "at least one range" in found["eks-platform:publicAccessCidrs"]


def test_log_types_checked():
    found = problems_on({"clusterLogTypes": ["api", "kubelet"]})
    assert "eks-platform:clusterLogTypes[1]" in found
    found = problems_on({"clusterLogTypes": ["api", "api"]})
    assert "twice" in found["eks-platform:clusterLogTypes"]
    assert (
        "must be one of"
        in problems_on({"clusterLogRetentionDays": 10})["eks-platform:clusterLogRetentionDays"]
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sts::123456789012:assumed-role/admin/session",
        "arn:aws:iam::12345:role/admin",
        "admin",
        "arn:aws:iam::123456789012:group/admins",
    ],
)
def test_access_principals_must_be_iam_role_or_user_arns(arn):
    found = problems_on({"adminPrincipalArns": [arn]})
    assert "not IAM role or user ARNs" in found["eks-platform:adminPrincipalArns"]


def test_access_principal_in_both_lists_rejected():
    arn = "arn:aws:iam::123456789012:role/ops"
    found = problems_on({"adminPrincipalArns": [arn], "readOnlyPrincipalArns": [arn]})
    assert "also listed as admin" in found["eks-platform:readOnlyPrincipalArns"]


# --- node groups and Fargate -----------------------------------------------------------------


def group(**fields: Any) -> dict[str, Any]:
    return {"name": "g", **fields}


def test_at_least_one_node_group():
    assert "at least one node group" in problems_on({"nodeGroups": []})["eks-platform:nodeGroups"]


def test_node_group_capacity_ami_and_instance_types():
    found = problems_on(
        {
            "nodeGroups": [
                group(capacityType="RESERVED"),
                group(name="b", amiType="AL2_x86_64"),
                group(name="c", instanceTypes=["m5"]),
                group(name="d", maxSize=0, minSize=0, desiredSize=0),
            ]
        }
    )
    assert "'ON_DEMAND' or 'SPOT'" in found["eks-platform:nodeGroups[0].capacityType"]
    assert "AL2023_x86_64_STANDARD" in found["eks-platform:nodeGroups[1].amiType"]
    assert "not EC2 instance types: m5" in found["eks-platform:nodeGroups[2].instanceTypes"]
    assert "greater than or equal to 1" in found["eks-platform:nodeGroups[3].maxSize"]


def test_graviton_instances_need_an_arm_ami_and_the_reverse():
    found = problems_on(
        {
            "nodeGroups": [
                group(instanceTypes=["t4g.medium"], amiType="AL2023_x86_64_STANDARD"),
                group(
                    name="b", instanceTypes=["m5.large", "m7g.large"], amiType="BOTTLEROCKET_ARM_64"
                ),
            ]
        }
    )
    assert "needs x86_64 instances; t4g.medium" in found["eks-platform:nodeGroups[0].amiType"]
    assert "needs arm64 instances; m5.large" in found["eks-platform:nodeGroups[1].amiType"]


def test_node_group_labels_checked():
    found = problems_on(
        {
            "nodeGroups": [
                group(labels={"-bad": "x", "kubernetes.io/role": "x", "ok": "bad value!"}),
            ]
        }
    )
    message = found["eks-platform:nodeGroups[0].labels"]
    assert "'-bad'" in message
    assert "reserved" in message
    assert "ok='bad value!'" in message


def test_node_group_taints_checked():
    found = problems_on(
        {
            "nodeGroups": [
                group(
                    taints=[
                        {"key": "dedicated", "effect": "NoWay"},
                        {"key": "bad key", "effect": "NoSchedule"},
                        {"key": "k", "value": "x" * 64, "effect": "NoExecute"},
                    ]
                )
            ]
        }
    )
    assert (
        "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"
        in found["eks-platform:nodeGroups[0].taints[0].effect"]
    )
    assert "'bad key'" in found["eks-platform:nodeGroups[0].taints[1].key"]
    assert "value must be empty or 1-63" in found["eks-platform:nodeGroups[0].taints[2].value"]


def test_unknown_key_inside_a_node_group_lists_node_group_keys():
    found = problems_on({"nodeGroups": [group(instanceType="m5.large")]})
    message = found["eks-platform:nodeGroups[0].instanceType"]
    assert "did you mean instanceTypes?" in message
    assert "capacityType" in message


def test_fargate_profiles_checked():
    found = problems_on(
        {
            "fargateProfiles": [
                {"name": "a", "selectors": []},
                {"name": "b", "selectors": [{"namespace": "Bad_NS"}]},
                {
                    "name": "c",
                    "selectors": [{"namespace": "ok", "labels": {f"k{i}": "v" for i in range(6)}}],
                },
            ]
        }
    )
    assert "at least 1 item" in found["eks-platform:fargateProfiles[0].selectors"]
    assert "namespace name" in found["eks-platform:fargateProfiles[1].selectors[0].namespace"]
    assert "at most 5 labels" in found["eks-platform:fargateProfiles[2].selectors[0].labels"]


def test_duplicate_fargate_profile_names():
    profile = {"name": "a", "selectors": [{"namespace": "a"}]}
    found = problems_on({"fargateProfiles": [profile, profile]})
    assert "duplicate Fargate profile names: a" in found["eks-platform:fargateProfiles"]


# --- workload ----------------------------------------------------------------------------------


def test_workload_defaults():
    args = valid({})
    assert args.workload.enabled and args.load_balancer_controller.enabled
    assert args.workload.replicas == 2
    assert args.workload.selector == {"app.kubernetes.io/name": "podinfo"}


def test_workload_rules_all_at_once():
    found = problems_on(
        {
            "workload": {
                "replicas": 0,
                "scheme": "public",
                "sourceRanges": ["10.0.0.0/33", "banana"],
                "chart": "oci://Registry/Podinfo",
                "version": "^6.0",
                "namespace": "kube-system",
                "healthCheckPath": "healthz",
                "containerPort": 70000,
            },
            "loadBalancerController": {"replicas": 0, "enable": True},
        }
    )
    assert "greater than or equal to 1" in found["eks-platform:workload.replicas"]
    assert "'internet-facing' or 'internal'" in found["eks-platform:workload.scheme"]
    assert "not IP networks: 10.0.0.0/33, banana" in found["eks-platform:workload.sourceRanges"]
    assert "oci://<registry>/<path>/<chart>" in found["eks-platform:workload.chart"]
    assert "exact chart version" in found["eks-platform:workload.version"]
    assert "reserves" in found["eks-platform:workload.namespace"]
    assert "absolute HTTP path" in found["eks-platform:workload.healthCheckPath"]
    assert "eks-platform:workload.containerPort" in found
    assert "eks-platform:loadBalancerController.replicas" in found
    assert "did you mean enabled?" in found["eks-platform:loadBalancerController.enable"]


def test_chart_name_needs_an_https_repository_and_oci_none():
    found = problems_on({"workload": {"chart": "nginx", "podLabels": {"app": "web"}}})
    assert "https:// repository" in found["eks-platform:workload.repository"]
    found = problems_on({"workload": {"repository": "https://charts.example.com"}})
    assert "must be empty for an oci:// chart" in found["eks-platform:workload.repository"]


def test_other_charts_need_pod_labels():
    found = problems_on(
        {"workload": {"chart": "nginx", "repository": "https://charts.example.com"}}
    )
    assert "labels that select its pods" in found["eks-platform:workload.podLabels"]


def test_production_needs_two_replicas():
    found = problems_on(
        {"production": True, "endpointPublicAccess": False, "workload": {"replicas": 1}}
    )
    assert "at least 2" in found["eks-platform:workload"]
    args = valid(
        {
            "production": True,
            "endpointPublicAccess": False,
            "workload": {"enabled": False, "replicas": 1},
        }
    )
    assert not args.workload.enabled


# --- patterns match whole values ------------------------------------------------------------------

GOOD = {"name": "g", "instanceTypes": ["t4g.medium"]}
NEWLINE_CASES = {  # key as reported -> values with a valid value plus a trailing newline
    "clusterName": {"clusterName": "abc\n"},
    "aws:region": {"aws:region": "us-west-2\n"},
    "availabilityZones": {"availabilityZones": ["us-west-2a\n", "us-west-2b"]},
    "existingVpcId": {"existingVpcId": "vpc-0123456789abcdef0\n"},
    "adminPrincipalArns": {"adminPrincipalArns": ["arn:aws:iam::123456789012:role/ops\n"]},
    "nodeGroups[0].name": {"nodeGroups": [{**GOOD, "name": "g\n"}]},
    "nodeGroups[0].instanceTypes": {"nodeGroups": [{**GOOD, "instanceTypes": ["t4g.medium\n"]}]},
    "nodeGroups[0].labels": {"nodeGroups": [{**GOOD, "labels": {"team\n": "a"}}]},
    "workload.chart": {"workload": {"chart": "podinfo\n", "repository": "https://x.example"}},
    "workload.version": {"workload": {"version": "6.14.1\n"}},
    "workload.releaseName": {"workload": {"releaseName": "podinfo\n"}},
    "workload.namespace": {"workload": {"namespace": "apps\n"}},
    "workload.healthCheckPath": {"workload": {"healthCheckPath": "/healthz\n"}},
    "karpenter.amiAlias": {
        "computeMode": "karpenter",
        "karpenter": {"amiAlias": "al2023@latest\n"},
    },
}


@pytest.mark.parametrize("key", sorted(NEWLINE_CASES))
def test_a_trailing_newline_is_refused(key):
    found = problems_on(NEWLINE_CASES[key])
    full = key if ":" in key else f"eks-platform:{key}"
    assert full in found, found


def test_argument_patterns_are_only_ever_matched_whole():
    """`re.match` with `$` lets "abc\\n" through; the argument code uses fullmatch only."""
    root = Path(__file__).resolve().parents[1] / "components" / "eks_platform"
    for path in [*root.glob("args/*.py"), root / "stack_config.py"]:
        text = path.read_text()
        assert ".match(" not in text, path
        assert 're.compile(r"^' not in text and 're.compile(rf"^' not in text, path


def test_an_opt_in_region_is_warned_about():
    args = valid({"aws:region": "mx-central-1"}, offered=None)
    assert any("opt-in region" in w for w in platform_warnings(args))
    assert not any("opt-in" in w for w in platform_warnings(valid({})))
