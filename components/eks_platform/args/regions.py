"""AWS regions: which exist, which partition each belongs to, which need opting in.

Source: botocore ``botocore/data/endpoints.json`` at commit f6c17390 (2026-08-07), the
``partitions[].regions`` blocks (34 regions in ``aws``; none added after ap-southeast-6 by that
date). Opt-in: the AWS Account Management guide ("manage-acct-regions"): regions launched after
2019-03-20 are disabled until an account enables them; cross-checked against the 17
"commercial non-opt-in regions" of awslabs/amazon-eks-ami ``get-ecr-uri.sh`` (branch al2).
Regions announced after 2026-08-07 are missing until this table is updated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    partition: str
    opt_in: bool = False


_AWS_DEFAULT = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "sa-east-1": "South America (Sao Paulo)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-north-1": "Europe (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}
_AWS_OPT_IN = {
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "me-south-1": "Middle East (Bahrain)",
    "af-south-1": "Africa (Cape Town)",
    "eu-south-1": "Europe (Milan)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "me-central-1": "Middle East (UAE)",
    "eu-central-2": "Europe (Zurich)",
    "eu-south-2": "Europe (Spain)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "il-central-1": "Israel (Tel Aviv)",
    "ca-west-1": "Canada West (Calgary)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "mx-central-1": "Mexico (Central)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
}
_OTHER_PARTITIONS = {
    "cn-north-1": ("China (Beijing)", "aws-cn"),
    "cn-northwest-1": ("China (Ningxia)", "aws-cn"),
    "us-gov-west-1": ("AWS GovCloud (US-West)", "aws-us-gov"),
    "us-gov-east-1": ("AWS GovCloud (US-East)", "aws-us-gov"),
    "us-iso-east-1": ("US ISO East", "aws-iso"),
    "us-iso-west-1": ("US ISO WEST", "aws-iso"),
    "us-isob-east-1": ("US ISOB East (Ohio)", "aws-iso-b"),
    "us-isob-west-1": ("US ISOB West", "aws-iso-b"),
    "eu-isoe-west-1": ("EU ISOE West", "aws-iso-e"),
    "us-isof-east-1": ("US ISOF EAST", "aws-iso-f"),
    "us-isof-south-1": ("US ISOF SOUTH", "aws-iso-f"),
    "eusc-de-east-1": ("AWS European Sovereign Cloud (Germany)", "aws-eusc"),
}

REGIONS: dict[str, Region] = {
    **{code: Region(code, name, "aws") for code, name in _AWS_DEFAULT.items()},
    **{code: Region(code, name, "aws", opt_in=True) for code, name in _AWS_OPT_IN.items()},
    **{code: Region(code, name, part) for code, (name, part) in _OTHER_PARTITIONS.items()},
}
"""Every region botocore knew on 2026-08-07, by code."""

SUPPORTED_REGIONS = sorted(code for code, region in REGIONS.items() if region.partition == "aws")
"""The regions this platform deploys to: the aws partition."""

ELB_ALIAS_ZONE_REGIONS = frozenset(SUPPORTED_REGIONS) - {"ap-east-2", "ap-southeast-6"}
"""Regions whose load balancers' Route 53 zone the provider knows: an alias record to an ALB or
NLB looks it up with ``aws.lb.getHostedZoneId``, a static table that fails with "unsupported AWS
Region" for any other region. Source: terraform-provider-aws
``internal/service/elbv2/hosted_zone_id_data_source.go`` (``hostedZoneIDPerRegionALBMap`` and
``...NLBMap``, the same regions), the newest version of the file readable here (read
2026-11-30; found by content in the stored index, which names no commit for it; it imports
aws-sdk-go-base/v2, so it is from the v5 line or later, and knows ap-southeast-5,
ap-southeast-7 and mx-central-1, launched in 2024-2025): ap-east-2 and ap-southeast-6 are not
in it. Older commits read (01c08000, cc0fff0e) lack more. The provider pinned by
requirements.txt (pulumi-aws 7.51.1) may be newer and know them: not verified."""
