"""Build the plan's price table from AWS's public Price List bulk offer files (no credentials).

    python -m eks_platform.offline.cost.refresh_prices --region us-east-1 --region eu-west-1 \\
        --out prices.json                       # downloads each service's regional offer file
    python -m eks_platform.offline.cost.refresh_prices --region eu-west-1 --offers ./offers \\
        --out prices.json                       # or reads <offers>/<OfferCode>/<region>.json
    ./scripts/plan dev --prices prices.json     # plan with it

Offer files: https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<OfferCode>/current/
<region>/index.json (AWS Price List bulk API). Each is read twice, streamed (ijson): once for the
products whose attributes match an item below, once for those products' on-demand terms, so the
EC2 file (hundreds of MB) is never held whole. Each entry of the table keeps its offer file, its
publication date and offer version. The matchers are written from the Price List's documented
format (products.<sku>.attributes, terms.OnDemand.<sku>.<term>.priceDimensions); the attribute
values they match were not checked against a live file here, only against the fixtures in
tests/fixtures/price_list, written in that format.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from .estimate import price_table

OFFER_URL = (
    "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"
)
Attributes = dict[str, str]


@dataclass(frozen=True)
class Rule:
    item: str
    """The price table's item (``ec2`` instance types go under ``ec2``)."""
    offer: str
    """Offer code of the file it is in."""
    matches: Callable[[Attributes], bool]
    unit: str


def _usage(suffix: str) -> Callable[[Attributes], bool]:
    return lambda a: a.get("usagetype", "").endswith(suffix)


def _load_balancer(kind: str, suffix: str) -> Callable[[Attributes], bool]:
    """Elastic Load Balancing offers of one kind (``Load Balancer-<kind>`` products)."""
    usage = _usage(suffix)
    return lambda a: a.get("productFamily") == f"Load Balancer-{kind}" and usage(a)


RULES = (
    Rule("eks_control_plane_standard", "AmazonEKS", _usage("AmazonEKS-Hours:perCluster"), "hour"),
    Rule(
        "eks_control_plane_extended", "AmazonEKS", _usage("AmazonEKS-Hours:extendedSupport"), "hour"
    ),
    Rule("nat_gateway", "AmazonEC2", _usage("NatGateway-Hours"), "hour"),
    Rule("nat_gateway_data", "AmazonEC2", _usage("NatGateway-Bytes"), "GB"),
    Rule(
        "ebs_gp3",
        "AmazonEC2",
        lambda a: a.get("volumeApiName") == "gp3" and "VolumeUsage" in a.get("usagetype", ""),
        "GB-month",
    ),
    Rule("public_ipv4", "AmazonVPC", _usage("PublicIPv4:InUseAddress"), "hour"),
    Rule("interface_endpoint", "AmazonVPC", _usage("VpcEndpoint-Hours"), "AZ-hour"),
    Rule("nlb", "AWSELB", _load_balancer("Network", "LoadBalancerUsage"), "hour"),
    Rule("nlb_lcu", "AWSELB", _load_balancer("Network", "LCUUsage"), "LCU-hour"),
    Rule("alb", "AWSELB", _load_balancer("Application", "LoadBalancerUsage"), "hour"),
    Rule("alb_lcu", "AWSELB", _load_balancer("Application", "LCUUsage"), "LCU-hour"),
    Rule("cloudwatch_logs_ingest", "AmazonCloudWatch", _usage("DataProcessing-Bytes"), "GB"),
    Rule("cloudwatch_logs_storage", "AmazonCloudWatch", _usage("TimedStorage-ByteHrs"), "GB-month"),
    Rule("kms_key", "awskms", _usage("KMS-Keys"), "key-month"),
    Rule("fargate_vcpu", "AmazonECS", _usage("Fargate-vCPU-Hours:perCPU"), "vCPU-hour"),
    Rule("fargate_memory", "AmazonECS", _usage("Fargate-GB-Hours"), "GB-hour"),
)


def per_type_rule(
    item: str, offer: str, types: Sequence[str], matches: Callable[[Attributes], bool]
) -> Rule:
    """A rule priced per instance type, for the types the table lists."""
    wanted = set(types)
    return Rule(item, offer, lambda a: a.get("instanceType") in wanted and matches(a), "hour")


def auto_mode_fee_rule(types: Sequence[str]) -> Rule:
    """EKS Auto Mode's management fee, per instance type (AmazonEKS offer, operation
    EKSAutoUsage; awslabs/eks-node-viewer pkg/aws/pricing.go reads the same)."""
    return per_type_rule(
        "eks_auto_mode_fee", "AmazonEKS", types,
        lambda a: "EKSAutoUsage" in (a.get("operation", "") + a.get("usagetype", "")),
    )  # fmt: skip


def ec2_rule(types: Sequence[str]) -> Rule:
    """Linux on-demand, shared tenancy, no pre-installed software, used capacity."""
    linux = {
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    return per_type_rule(
        "ec2", "AmazonEC2", types, lambda a: all(a.get(k) == v for k, v in linux.items())
    )


@contextmanager
def _open(source: str) -> Iterator[IO[bytes]]:
    if source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=120) as response:
            yield response
    else:
        with Path(source).open("rb") as handle:
            yield handle


def _metadata(source: str) -> dict[str, str]:
    with _open(source) as handle:
        found = {}
        for prefix, event, value in ijson.parse(handle):
            if event in ("string", "number") and prefix in (
                "version",
                "publicationDate",
                "offerCode",
            ):
                found[prefix] = str(value)
            if prefix == "products":  # metadata precedes the products
                break
        return found


def read_offer(source: str, rules: Sequence[Rule]) -> dict[str, dict[str, Any]]:
    """``rule item (or ec2:<type>)`` -> price entry, streaming ``source`` twice."""
    matched: dict[str, str] = {}
    with _open(source) as handle:
        for sku, product in ijson.kvitems(handle, "products"):
            attributes = {
                "productFamily": product.get("productFamily", ""),
                **product.get("attributes", {}),
            }
            for rule in rules:
                if rule.matches(attributes):
                    per_type = rule.item in ("ec2", "eks_auto_mode_fee")
                    key = f"{rule.item}:{attributes['instanceType']}" if per_type else rule.item
                    matched[sku] = key
    meta = _metadata(source)
    entries: dict[str, dict[str, Any]] = {}
    units = {rule.item: rule.unit for rule in rules}
    with _open(source) as handle:
        for sku, terms in ijson.kvitems(handle, "terms.OnDemand"):
            key = matched.get(sku)
            if key is None:
                continue
            for term in terms.values():
                for dimension in term.get("priceDimensions", {}).values():
                    usd = float(dimension["pricePerUnit"]["USD"])
                    if usd <= 0 and key in entries:
                        continue  # a free tier dimension beside the priced one
                    entries[key] = {
                        "usd": usd,
                        "unit": units[key.split(":", 1)[0]],
                        "source": f"AWS Price List {meta.get('offerCode', '?')} offer file",
                        "date": meta.get("publicationDate", "")[:10],
                        "offer_version": meta.get("version", ""),
                        "confidence": "published",
                    }
    return entries


def build_table(
    regions: Sequence[str], instance_types: Sequence[str], locate: Callable[[str, str], str]
) -> dict[str, Any]:
    """A price table (prices.json's format) for ``regions``; ``locate(offer, region)`` names the
    file or URL of an offer."""
    rules = (*RULES, ec2_rule(instance_types), auto_mode_fee_rule(instance_types))
    table: dict[str, Any] = {"regions": {}}
    for region in regions:
        prices: dict[str, Any] = {"ec2": {}, "eks_auto_mode_fee": {}}
        for offer in sorted({rule.offer for rule in rules}):
            found = read_offer(locate(offer, region), [r for r in rules if r.offer == offer])
            for key, entry in found.items():
                if ":" in key:
                    group, instance_type = key.split(":", 1)
                    prices[group][instance_type] = entry
                else:
                    prices[key] = entry
        prices.setdefault(
            "gateway_endpoint",
            {
                "usd": 0.0,
                "unit": "month",
                "source": "free (AWS PrivateLink pricing)",
                "date": "",
                "confidence": "published",
            },
        )
        table["regions"][region] = prices
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="refresh_prices",
        description="Build the plan's price table from AWS Price List offer files.",
    )
    parser.add_argument("--region", action="append", required=True)
    parser.add_argument(
        "--offers", type=Path, help="folder with <OfferCode>/<region>.json (else download)"
    )
    parser.add_argument(
        "--base",
        type=Path,
        help="table whose assumptions and Spot discounts to keep (default: the package's)",
    )
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args(argv)

    base = json.loads(options.base.read_text()) if options.base else price_table()
    types = sorted({t for region in base["regions"].values() for t in region.get("ec2", {})})

    def locate(offer: str, region: str) -> str:
        if options.offers:
            return str(options.offers / offer / f"{region}.json")
        return OFFER_URL.format(offer=offer, region=region)

    try:
        fresh = build_table(options.region, types, locate)
    except (OSError, ValueError, KeyError, ijson.JSONError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = {key: value for key, value in base.items() if key != "regions"}
    table["regions"] = fresh["regions"]
    dates = [
        e["date"]
        for r in fresh["regions"].values()
        for e in [*r.values(), *r["ec2"].values()]
        if e.get("date")
    ]
    table["date"] = min(dates) if dates else ""
    options.out.write_text(json.dumps(table, indent=1))
    print(f"{options.out}: {', '.join(options.region)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
