"""Pulumi mocks that answer like AWS would, for the resource types and invokes the platform uses.

Outputs are deterministic (derived from type and name) so plans are stable across runs. An
invoke this module does not know raises instead of returning something made up.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"  # the example account id used throughout the AWS documentation

# Zones that need no opt-in, per region (EC2 DescribeAvailabilityZones, checked 2026).
REGION_ZONES: dict[str, list[str]] = {
    "us-east-1": ["a", "b", "c", "d", "e", "f"],
    "us-east-2": ["a", "b", "c"],
    "us-west-1": ["a", "c"],
    "us-west-2": ["a", "b", "c", "d"],
    "eu-west-1": ["a", "b", "c"],
    "eu-central-1": ["a", "b", "c"],
    "ap-northeast-1": ["a", "c", "d"],
    "ap-northeast-2": ["a", "b", "c", "d"],
    "ap-southeast-1": ["a", "b", "c"],
}

# Physical id prefixes EC2 uses, by Pulumi type token.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
}


_COMPASS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
            "northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}  # fmt: skip


def _zone_id_prefix(region: str) -> str:
    """AWS zone ids abbreviate the region: us-west-2 -> usw2, ap-northeast-2 -> apne2."""
    area, *middle, number = region.split("-")
    return area + "".join(_COMPASS.get(part, part[:1]) for part in middle) + number


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class PlatformMocks(pulumi.runtime.Mocks):
    """Answers for one stack in ``region``."""

    def __init__(self, region: str) -> None:
        self.region = region

    def zones(self) -> list[str]:
        """The region's zones; an unlisted, well-formed region gets three, like most regions."""
        letters = REGION_ZONES.get(self.region, ["a", "b", "c"])
        return [f"{self.region}{letter}" for letter in letters]

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = self.zones()
            return (
                {
                    "id": self.region,
                    "names": names,
                    "zoneIds": [
                        f"{_zone_id_prefix(self.region)}-az{i + 1}" for i in range(len(names))
                    ],
                    "groupNames": [self.region] * len(names),
                    "state": args.args.get("state"),
                },
                [],
            )
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:user/offline"
            return (
                {"accountId": ACCOUNT_ID, "arn": arn, "userId": "AIDAOFFLINE", "id": ACCOUNT_ID},
                [],
            )
        if args.token == "aws:index/getPartition:getPartition":
            return ({"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, [])
        if args.token == "aws:index/getRegion:getRegion":
            return ({"name": self.region, "region": self.region, "id": self.region}, [])
        raise NotImplementedError(f"no offline answer for invoke {args.token}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        state = dict(args.inputs)
        token, name = args.typ, args.name
        prefix = _ID_PREFIX.get(token)
        if prefix:
            resource_id = f"{prefix}-{_hex(token, name)}"
        elif token == "aws:cloudwatch/logGroup:LogGroup":
            resource_id = state.get("name") or f"{name}-{_hex(token, name, length=7)}"
            state["name"] = resource_id
            state["arn"] = f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{resource_id}"
        elif token == "aws:iam/role:Role":
            resource_id = state.get("name") or f"{name}-{_hex(token, name, length=7)}"
            state["name"] = resource_id
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{resource_id}"
            state["uniqueId"] = f"AROA{_hex(token, name, length=17).upper()}"
        elif token == "aws:iam/rolePolicy:RolePolicy":
            resource_id = f"{state.get('role')}:{state.get('name') or name}"
        else:
            resource_id = f"{name}-{_hex(token, name, length=8)}"

        if token == "aws:ec2/vpc:Vpc":
            state["defaultSecurityGroupId"] = f"sg-{_hex(token, name, 'sg')}"
            state["mainRouteTableId"] = f"rtb-{_hex(token, name, 'rtb')}"
            state["defaultNetworkAclId"] = f"acl-{_hex(token, name, 'acl')}"
        elif token == "aws:ec2/eip:Eip":
            state["allocationId"] = resource_id
            # TEST-NET-3 (RFC 5737): documentation addresses, never routable.
            state["publicIp"] = f"203.0.113.{int(_hex(name, length=2), 16) % 254 + 1}"
        elif token == "aws:ec2/vpcEndpoint:VpcEndpoint":
            state["prefixListId"] = f"pl-{_hex(token, name, length=8)}"
        if prefix and token.startswith("aws:ec2/"):
            kind = prefix if prefix != "sg" else "security-group"
            state.setdefault("arn", f"arn:aws:ec2:{self.region}:{ACCOUNT_ID}:{kind}/{resource_id}")
        return resource_id, state
