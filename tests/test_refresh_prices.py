"""The price refresh: a table built from Price List offer files (fixtures in that format), and
planning with it (--prices), with a warning when the table in use is old."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.cost.refresh_prices import main as refresh_main

OFFERS = Path(__file__).resolve().parent / "fixtures" / "price_list"


def test_a_table_is_built_from_offer_files(tmp_path):
    out = tmp_path / "prices.json"
    assert refresh_main(["--region", "eu-west-1", "--offers", str(OFFERS), "--out", str(out)]) == 0
    table = json.loads(out.read_text())
    prices = table["regions"]["eu-west-1"]
    # Linux, shared tenancy, no software, used capacity: the Windows and Dedicated SKUs are out.
    assert prices["ec2"]["t4g.small"]["usd"] == 0.0184
    assert prices["ec2"]["m7g.large"]["usd"] == 0.0892
    assert prices["ebs_gp3"]["usd"] == 0.088  # not gp2
    assert prices["nlb"]["usd"] == 0.0252  # the network load balancer, not the application one
    assert prices["nat_gateway"]["usd"] == 0.048 and prices["kms_key"]["usd"] == 1.0
    assert prices["eks_control_plane_extended"]["usd"] == 0.6
    assert prices["eks_auto_mode_fee"]["m5.large"]["usd"] == 0.01284  # per type, from EKSAutoUsage
    entry = prices["fargate_vcpu"]
    assert (entry["date"], entry["offer_version"]) == ("2026-11-20", "20261120000000")
    assert entry["source"] == "AWS Price List AmazonECS offer file"
    assert table["date"] == "2026-11-20" and "spot_discounts" in table  # kept from the base


def test_a_missing_offer_file_exits_2(tmp_path, capsys):
    code = refresh_main(
        ["--region", "ap-south-1", "--offers", str(OFFERS), "--out", str(tmp_path / "p.json")]
    )
    assert code == 2 and "error:" in capsys.readouterr().err


@pytest.fixture
def no_price_override():
    """--prices sets the variable for the process: take it away again after the test."""
    os.environ.pop("EKS_PLATFORM_PRICES", None)
    yield
    os.environ.pop("EKS_PLATFORM_PRICES", None)


def test_planning_with_a_refreshed_table_and_its_age(
    tmp_path, capsys, monkeypatch, no_price_override
):
    out = tmp_path / "prices.json"
    refresh_main(
        ["--region", "us-west-2", "--offers", str(tmp_path), "--out", str(out)]
    )  # no files
    refresh_main(["--region", "eu-west-1", "--offers", str(OFFERS), "--out", str(out)])
    capsys.readouterr()
    monkeypatch.delenv("EKS_PLATFORM_PRICES", raising=False)
    assert (
        plan_main(
            ["dev", "--set", "aws:region=eu-west-1", "--prices", str(out), "--format", "json"]
        )
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert any(
        f"prices: {out}" in line and "eu-west-1" in line for line in plan["cost"]["assumptions"]
    )
    assert not any("price table" in w for w in plan["cost"]["warnings"])  # 10 days old
    monkeypatch.setenv("EKS_PLATFORM_TODAY", "2027-03-01")
    assert (
        plan_main(
            ["dev", "--set", "aws:region=eu-west-1", "--prices", str(out), "--format", "json"]
        )
        == 0
    )
    warnings = json.loads(capsys.readouterr().out)["cost"]["warnings"]
    assert any("is dated 2026-11-20, 101 days old (covers eu-west-1)" in w for w in warnings)


def test_auto_mode_fee_comes_from_the_price_list_when_the_table_has_it(
    tmp_path, capsys, no_price_override
):
    out = tmp_path / "prices.json"
    refresh_main(["--region", "eu-west-1", "--offers", str(OFFERS), "--out", str(out)])
    capsys.readouterr()
    args = [
        "dev",
        "--set",
        "aws:region=eu-west-1",
        "--set",
        "computeMode=auto",
        "--set",
        "nodeGroups=[]",
    ]
    assert plan_main([*args, "--prices", str(out), "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)["cost"]["items"]
    fee = next(i for i in items if i["item"].startswith("eks_auto_mode_fee:"))
    # The refreshed table priced only m5.large's fee: the pool's choice among what is priced.
    assert fee["item"] == "eks_auto_mode_fee:m5.large" and fee["unit_usd"] == 0.01284
