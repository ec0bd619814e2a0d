import ipaddress
import itertools

import pytest

from eks_platform import CidrPlanError, plan_subnets

CASES = [
    ("10.0.0.0/16", 2, 19, 24),
    ("10.0.0.0/16", 3, 19, 24),
    ("10.0.0.0/16", 4, 19, 24),
    ("10.20.0.0/18", 3, 21, 26),
    ("172.16.0.0/20", 2, 22, 24),
    ("192.168.0.0/24", 2, 26, 28),
]


@pytest.mark.parametrize(("vpc", "zones", "private", "public"), CASES)
def test_plan_is_inside_vpc_non_overlapping_and_one_per_zone_per_tier(vpc, zones, private, public):
    names = [f"us-west-2{letter}" for letter in "abcd"[:zones]]
    plan = plan_subnets(vpc, names, private, public)

    assert [zone.zone for zone in plan] == names
    networks = [
        ipaddress.IPv4Network(cidr) for z in plan for cidr in (z.private_cidr, z.public_cidr)
    ]
    assert len(networks) == 2 * zones
    vpc_net = ipaddress.IPv4Network(vpc)
    assert all(net.subnet_of(vpc_net) for net in networks)
    for first, second in itertools.combinations(networks, 2):
        assert not first.overlaps(second), (first, second)
    assert {ipaddress.IPv4Network(z.private_cidr).prefixlen for z in plan} == {private}
    assert {ipaddress.IPv4Network(z.public_cidr).prefixlen for z in plan} == {public}


def test_default_plan_layout():
    plan = plan_subnets("10.0.0.0/16", ["a", "b", "c"], 19, 24)
    assert [z.private_cidr for z in plan] == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert [z.public_cidr for z in plan] == ["10.0.255.0/24", "10.0.254.0/24", "10.0.253.0/24"]


def test_adding_a_zone_keeps_existing_subnets():
    three = plan_subnets("10.0.0.0/16", ["a", "b", "c"], 19, 24)
    four = plan_subnets("10.0.0.0/16", ["a", "b", "c", "d"], 19, 24)
    assert four[:3] == three


@pytest.mark.parametrize(
    ("vpc", "zones", "private", "public", "message"),
    [
        ("10.0.0.0/17", 4, 19, 24, "need 33792 addresses; 10.0.0.0/17 has 32768"),
        ("10.0.0.0/20", 2, 19, 24, "larger than the VPC"),
        ("10.0.0.0/24", 3, 26, 26, "need 384 addresses"),
    ],
)
def test_plan_that_does_not_fit_is_rejected(vpc, zones, private, public, message):
    with pytest.raises(CidrPlanError, match=message):
        plan_subnets(vpc, [f"z{i}" for i in range(zones)], private, public)


def test_exactly_full_vpc_is_accepted():
    plan = plan_subnets("10.0.0.0/24", ["a", "b"], 26, 26)
    assert [z.private_cidr for z in plan] == ["10.0.0.0/26", "10.0.0.64/26"]
    assert [z.public_cidr for z in plan] == ["10.0.0.192/26", "10.0.0.128/26"]
