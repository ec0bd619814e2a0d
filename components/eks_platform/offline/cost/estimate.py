"""Monthly cost of a planned stack, from its recorded registrations and a price table.

Everything priced is read off the registrations (what the program would create), not off the
platform's config, so the estimate follows the code. Unknown instance types or regions give an
unpriced line and a warning, never a silent zero.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ...args.compute import GPU_NODE_POOL
from ...args.rules import CONTAINER_INSIGHTS_PREFIX, OBSERVABILITY_ADDON
from ...args.versions import SUPPORT_WINDOWS
from ...args.versions import today as judging_day
from ..model.recorder import Registration

LB = "service.beta.kubernetes.io/aws-load-balancer"
# Fargate rounds a pod up to its smallest configuration: 0.25 vCPU with 0.5 GB.
FARGATE_MIN_VCPU = 0.25
FARGATE_MIN_GB = 0.5


PRICES_VARIABLE = "EKS_PLATFORM_PRICES"
"""A price table file to plan with instead of the package's (``--prices``; refresh_prices)."""
STALE_AFTER_DAYS = 90


@cache
def _table(path: str) -> dict[str, Any]:
    if path:
        return json.loads(Path(path).read_text())
    text = resources.files("eks_platform").joinpath("offline", "data", "prices.json").read_text()
    return json.loads(text)


def price_table() -> dict[str, Any]:
    """The package's table, or the file ``EKS_PLATFORM_PRICES`` names."""
    return _table(os.environ.get(PRICES_VARIABLE, ""))


def table_warnings(today: datetime.date) -> list[str]:
    """Which table is in use, the regions it covers, and whether it is stale."""
    table = price_table()
    source = os.environ.get(PRICES_VARIABLE) or "the package's prices.json"
    warnings = []
    dated = table.get("date", "")
    try:
        age = (today - datetime.date.fromisoformat(dated)).days
    except ValueError:
        age = None
    if age is None or age > STALE_AFTER_DAYS:
        when = f"dated {dated}, {age} days old" if age is not None else "undated"
        warnings.append(
            f"price table {source} is {when} (covers {', '.join(sorted(table['regions']))}): "
            "refresh it with python -m eks_platform.offline.cost.refresh_prices"
        )
    return warnings


def assumption(name: str) -> Any:
    return price_table()["assumptions"][name]["value"]


@dataclass
class CostItem:
    """One line of the estimate."""

    item: str
    """Price-table item (e.g. nat_gateway, ec2:t4g.medium)."""
    resource: str
    """Logical name of the resource it comes from."""
    quantity: float
    unit: str
    unit_usd: float | None
    """None when unpriced."""
    monthly_usd: float | None
    """None when unpriced."""
    note: str = ""

    @property
    def priced(self) -> bool:
        return self.monthly_usd is not None


@dataclass
class CostEstimate:
    region: str
    items: list[CostItem] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def monthly_usd(self) -> float:
        """Sum of the priced lines (the unpriced ones are listed in ``warnings``)."""
        return round(sum(item.monthly_usd or 0.0 for item in self.items), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "monthly_usd": self.monthly_usd,
            "items": [{**asdict(item), "priced": item.priced} for item in self.items],
            "assumptions": self.assumptions,
            "warnings": self.warnings,
        }


class _Pricer:
    """Adds lines to an estimate, looking prices up for one region."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.prices = price_table()["regions"].get(region)
        self.hours = assumption("hours_per_month")
        self.estimate = CostEstimate(region)
        if self.prices is None:
            known = ", ".join(price_table()["regions"])
            self.estimate.warnings.append(
                f"no prices for region {region!r} (priced: {known}); every line is unpriced"
            )

    def unit_price(self, item: str) -> tuple[float | None, str]:
        if self.prices is None:
            return None, ""
        if item.startswith("eks_auto_mode_fee:"):
            instance_type = item.removeprefix("eks_auto_mode_fee:")
            listed = self.prices.get("eks_auto_mode_fee", {}).get(instance_type)
            if listed:  # a refreshed table has the price list's fee per type
                return listed["usd"], "" if listed["confidence"] == "published" else "estimate"
            # Else a share of the type's on-demand price (an estimate).
            usd, _ = self.unit_price(f"ec2:{instance_type}")
            share = float(assumption("auto_mode_fee_share"))
            return (None, "") if usd is None else (round(usd * share, 5), "estimate")
        if item.startswith("ec2:"):
            entry = self.prices["ec2"].get(item.removeprefix("ec2:"))
        else:
            entry = self.prices.get(item)
        if entry is None:
            return None, ""
        note = "" if entry["confidence"] == "published" else entry["confidence"]
        return entry["usd"], note

    def add(
        self,
        item: str,
        resource: str,
        quantity: float,
        unit: str,
        *,
        per_month_factor: float = 1.0,
        note: str = "",
    ) -> None:
        """``quantity`` of ``unit`` per month at the item's price x ``per_month_factor``."""
        usd, confidence = self.unit_price(item)
        notes = [text for text in (note, confidence) if text]
        if usd is None:
            if self.prices is not None:
                self.estimate.warnings.append(f"{resource}: no price for {item} in {self.region}")
            notes.append("UNPRICED")
            line = CostItem(item, resource, quantity, unit, None, None, "; ".join(notes))
        else:
            monthly = round(quantity * usd * per_month_factor, 2)
            line = CostItem(item, resource, quantity, unit, usd, monthly, "; ".join(notes))
        self.estimate.items.append(line)


def _control_plane(pricer: _Pricer, cluster: Registration, today: datetime.date) -> None:
    version = cluster.inputs.get("version")
    window = SUPPORT_WINDOWS.get(str(version))
    extended = window is not None and today > window.end_of_standard
    item = "eks_control_plane_extended" if extended else "eks_control_plane_standard"
    note = f"Kubernetes {version}, " + ("extended support" if extended else "standard support")
    pricer.add(item, cluster.name, pricer.hours, "hours", note=note)


def _launch_templates(registrations: list[Registration]) -> dict[str | None, Registration]:
    """Launch templates by id, as node groups and Auto Scaling groups reference them."""
    return {
        r.resource_id: r for r in registrations if r.type == "aws:ec2/launchTemplate:LaunchTemplate"
    }


def _volumes(pricer: _Pricer, template: Registration, count: int, resource: str) -> None:
    """gp3 volumes of ``count`` instances launched from ``template``."""
    for mapping in template.inputs.get("blockDeviceMappings", []):
        size = mapping.get("ebs", {}).get("volumeSize", 0)
        pricer.add("ebs_gp3", resource, count * size, "GB-months", note=f"{count} x {size} GiB")


def _node_groups(pricer: _Pricer, registrations: list[Registration]) -> None:
    templates = _launch_templates(registrations)
    for group in (r for r in registrations if r.type == "aws:eks/nodeGroup:NodeGroup"):
        inputs = group.inputs
        desired = int(inputs.get("scalingConfig", {}).get("desiredSize", 0))
        instance_type = (inputs.get("instanceTypes") or ["unknown"])[0]
        spot = inputs.get("capacityType") == "SPOT"
        pricer.add(
            f"ec2:{instance_type}",
            group.name,
            desired * pricer.hours,
            "instance-hours",
            per_month_factor=1 - spot_discount(instance_type) if spot else 1.0,
            note=f"{desired} x {instance_type}" + (", Spot" if spot else ", on-demand"),
        )
        template = templates.get(inputs.get("launchTemplate", {}).get("id"))
        if template is not None:
            _volumes(pricer, template, desired, group.name)


def _instances(pricer: _Pricer, registrations: list[Registration]) -> None:
    """Instances the program keeps running itself (the NAT instance), or through an Auto Scaling
    group: type, volumes and public IP from the instance or its launch template. An Elastic IP
    is priced as an Elastic IP."""
    templates = _launch_templates(registrations)
    for resource in registrations:
        if resource.type == "aws:autoscaling/group:Group":
            count = int(resource.inputs.get("desiredCapacity", resource.inputs.get("minSize", 0)))
        elif resource.type == "aws:ec2/instance:Instance":
            count = 1
        else:
            continue
        template = templates.get(resource.inputs.get("launchTemplate", {}).get("id"))
        template_inputs = template.inputs if template is not None else {}
        instance_type = resource.inputs.get("instanceType") or template_inputs.get(
            "instanceType", "unknown"
        )
        pricer.add(
            f"ec2:{instance_type}", resource.name, count * pricer.hours, "instance-hours",
            note=f"{count} x {instance_type}, on-demand",
        )  # fmt: skip
        if template is not None:
            _volumes(pricer, template, count, resource.name)
        interfaces = template_inputs.get("networkInterfaces", [])
        if any(str(i.get("associatePublicIpAddress")).lower() == "true" for i in interfaces):
            pricer.add("public_ipv4", resource.name, count * pricer.hours, "address-hours")


def _load_balancers(pricer: _Pricer, registrations: list[Registration], public_zones: int) -> None:
    """An NLB per LoadBalancer Service, an ALB per Ingress (each its own: no group.name), and a
    public IPv4 per zone for internet-facing ones. Auto Mode's Ingress takes its scheme from the
    IngressClassParams."""
    schemes = {
        str(p.inputs.get("metadata", {}).get("name")): p.inputs.get("spec", {}).get("scheme")
        for p in registrations
        if p.type == "kubernetes:eks.amazonaws.com/v1:IngressClassParams"
    }
    for balancer in registrations:
        spec = balancer.inputs.get("spec", {})
        annotations = balancer.inputs.get("metadata", {}).get("annotations", {})
        if balancer.type == "kubernetes:core/v1:Service" and spec.get("type") == "LoadBalancer":
            kind, note = "nlb", "Network Load Balancer"
            internal = (
                annotations.get(f"{LB}-scheme") == "internal"
                or annotations.get(f"{LB}-internal") == "true"
            )
        elif balancer.type == "kubernetes:networking.k8s.io/v1:Ingress":
            kind, note = "alb", "Application Load Balancer"
            scheme = annotations.get("alb.ingress.kubernetes.io/scheme") or schemes.get(
                str(spec.get("ingressClassName"))
            )
            # The controller's default scheme is internal (annotations.md, scheme).
            internal = scheme in (None, "internal")
        else:
            continue
        pricer.add(kind, balancer.name, pricer.hours, "hours", note=note)
        lcu = f"{kind}_lcu"
        pricer.add(lcu, balancer.name, assumption(lcu) * pricer.hours, "LCU-hours")
        if not internal:
            pricer.add(
                "public_ipv4",
                balancer.name,
                public_zones * pricer.hours,
                "address-hours",
                note=f"{public_zones} zones",
            )


def _health_checks(pricer: _Pricer, registrations: list[Registration]) -> None:
    """Route 53 health checks (a fleet's): a base price per check, plus each optional feature
    (HTTPS, the 10-second interval). Latency-record queries depend on traffic: not included."""
    for check in (r for r in registrations if r.type == "aws:route53/healthCheck:HealthCheck"):
        pricer.add("route53_health_check", check.name, 1, "months", note="AWS endpoint")
        options = [
            feature
            for feature, on in (
                ("HTTPS", str(check.inputs.get("type", "")).startswith("HTTPS")),
                ("10 s interval", check.inputs.get("requestInterval") == 10),
            )
            if on
        ]
        if options:
            pricer.add(
                "route53_health_check_option", check.name, len(options), "feature-months",
                note=", ".join(options),
            )  # fmt: skip


def _fargate_pods(pricer: _Pricer, registrations: list[Registration]) -> None:
    """Helm-released pods whose namespace a Fargate profile selects run (and bill) on Fargate."""
    namespaces = {
        selector.get("namespace")
        for profile in registrations
        if profile.type == "aws:eks/fargateProfile:FargateProfile"
        for selector in profile.inputs.get("selectors", [])
    }
    for release in (r for r in registrations if r.type == "kubernetes:helm.sh/v3:Release"):
        if release.inputs.get("namespace") not in namespaces:
            continue
        replicas, cpu, memory = _pod_requests(release)
        vcpu = max(FARGATE_MIN_VCPU, cpu)
        memory_gb = max(FARGATE_MIN_GB, memory)
        note = f"{replicas} pods x {vcpu} vCPU / {memory_gb} GB (requests, Fargate minimums)"
        pricer.add(
            "fargate_vcpu", release.name, replicas * vcpu * pricer.hours, "vCPU-hours", note=note
        )
        pricer.add("fargate_memory", release.name, replicas * memory_gb * pricer.hours, "GB-hours")


def _pod_requests(release: Registration) -> tuple[int, float, float]:
    """Replicas, and vCPU and GiB each pod requests, from a Helm release's values."""
    values = release.inputs.get("values", {})
    requests = values.get("resources", {}).get("requests", {})
    return (
        int(values.get("replicaCount", values.get("replicas", 1))),
        _cpu(requests.get("cpu", "0")),
        _memory_gb(requests.get("memory", "0")),
    )


def _requested(registrations: list[Registration]) -> tuple[float, float]:
    """vCPU and GiB the Helm-released pods request that may land on launched nodes (releases
    pinned by a nodeSelector, like Karpenter's own, stay on the node groups)."""
    cpu = memory = 0.0
    for release in (r for r in registrations if r.type == "kubernetes:helm.sh/v3:Release"):
        if release.inputs.get("values", {}).get("nodeSelector"):
            continue
        replicas, pod_cpu, pod_memory = _pod_requests(release)
        cpu += replicas * pod_cpu
        memory += replicas * pod_memory
    return cpu, memory


def _requirement(pool: Registration, key: str) -> list[str]:
    requirements = (
        pool.inputs.get("spec", {}).get("template", {}).get("spec", {}).get("requirements", [])
    )
    return next((r.get("values", []) for r in requirements if r.get("key") == key), [])


def spot_discount(instance_type: str) -> float:
    """The Spot discount of the type's family (t4g, m5, ...), or the conservative default."""
    table = price_table()["spot_discounts"]
    family = instance_type.split(".", 1)[0]
    return float(table["families"].get(family, table["default"]))


# Auto Mode's built-in general-purpose pool: amd64, on-demand, C/M/R of generation 5 or newer
# (EKS user guide "set-builtin-node-pools"). Memory of a .large by family letter.
AUTO_MODE_FAMILY = re.compile(r"[cmr]([5-9])[a-z]*")
LARGE_MEMORY_GIB = {"c": 4, "m": 8, "r": 16}


def _auto_mode_choice(pricer: _Pricer, cpu: float, memory: float) -> tuple[str, int]:
    """The cheapest .large the pool may launch that fits the pods (count x price), as the
    pool's own choice is modelled here: 2 vCPU each, memory by family."""
    headroom = float(assumption("launched_node_headroom"))
    best: tuple[float, str, int] | None = None
    for name in sorted((pricer.prices or {}).get("ec2", {})):
        family, size = name.split(".", 1)
        if size != "large" or not AUTO_MODE_FAMILY.fullmatch(family) or "g" in family[2:]:
            continue
        count = max(
            1,
            math.ceil(cpu * headroom / 2),
            math.ceil(memory * headroom / LARGE_MEMORY_GIB[family[0]]),
        )
        usd, _ = pricer.unit_price(f"ec2:{name}")
        if usd is not None and (best is None or count * usd < best[0]):
            best = (count * usd, name, count)
    return (best[1], best[2]) if best else ("m5.large", 1)


def _launched_nodes(pricer: _Pricer, registrations: list[Registration]) -> None:
    """Karpenter and Auto Mode launch nodes for pending pods; the plan cannot see them, so it
    prices enough for the requested pods plus headroom (an assumption, listed)."""
    nodepools = [r for r in registrations if r.type == "kubernetes:karpenter.sh/v1:NodePool"]
    pools = [p for p in nodepools if p.inputs.get("metadata", {}).get("name") != GPU_NODE_POOL]
    for gpu_pool in (p for p in nodepools if p not in pools):
        _idle_gpu_pool(pricer, gpu_pool)
    auto = [
        c
        for c in registrations
        if c.type == "eks:index:Cluster" and (c.inputs.get("autoMode") or {}).get("enabled")
    ]
    if not pools and not auto:
        return
    cpu, memory = _requested(registrations)
    headroom = assumption("launched_node_headroom")
    source = pools[0] if pools else auto[0]
    spot = bool(pools) and "spot" in _requirement(pools[0], "karpenter.sh/capacity-type")
    if pools:
        # t4g.medium / t3.medium: 2 vCPU, 4 GiB.
        count = max(1, math.ceil(cpu * headroom / 2), math.ceil(memory * headroom / 4))
        arm = "arm64" in _requirement(pools[0], "kubernetes.io/arch")
        instance_type = "t4g.medium" if arm else "t3.medium"
    else:
        instance_type, count = _auto_mode_choice(pricer, cpu, memory)
    note = f"{count} x {instance_type} for {cpu:g} vCPU / {memory:g} GiB requested (estimate)"
    pricer.add(
        f"ec2:{instance_type}", source.name, count * pricer.hours, "instance-hours",
        per_month_factor=(1 - spot_discount(instance_type)) if spot else 1.0,
        note=note + (", Spot" if spot else ", on-demand"),
    )  # fmt: skip
    pricer.add("ebs_gp3", source.name, count * 20, "GB-months", note=f"{count} x 20 GiB")
    if auto:
        pricer.add(
            f"eks_auto_mode_fee:{instance_type}", source.name, count * pricer.hours,
            "instance-hours", note="EKS Auto Mode management fee, a share of on-demand",
        )  # fmt: skip


def _idle_gpu_pool(pricer: _Pricer, pool: Registration) -> None:
    """A GPU NodePool holds no node while no GPU pod runs (WhenEmpty consolidation): it costs
    nothing idle. Shown at zero, with what one node of its first family costs per hour."""
    families = _requirement(pool, "karpenter.k8s.aws/instance-family") or _requirement(
        pool, "eks.amazonaws.com/instance-family"
    )
    smallest = f"{families[0]}.xlarge" if families else "g6.xlarge"
    usd, _ = pricer.unit_price(f"ec2:{smallest}")
    busy = f"{usd:.3f} USD per hour" if usd is not None else "not priced"
    pricer.add(
        f"ec2:{smallest}", pool.name, 0, "instance-hours",
        note=f"GPU NodePool, idle: no node until a GPU pod waits ({smallest}: {busy})",
    )  # fmt: skip


def _observability(pricer: _Pricer, registrations: list[Registration]) -> None:
    """Container Insights observations and Fluent Bit logs, per node at desiredSize (two nodes
    where none are Pulumi's: Karpenter's and Auto Mode's launched nodes), as assumptions."""
    if not any(
        r.type == "aws:eks/addon:Addon" and r.inputs.get("addonName") == OBSERVABILITY_ADDON
        for r in registrations
    ):
        return
    groups = [r for r in registrations if r.type == "aws:eks/nodeGroup:NodeGroup"]
    nodes = sum(int(g.inputs.get("scalingConfig", {}).get("desiredSize", 0)) for g in groups) or 2
    pricer.add(
        "container_insights_observations", "observability", nodes * assumption(
            "observations_per_node_millions"), "million observations", note=f"{nodes} nodes",
    )  # fmt: skip
    gb = nodes * assumption("observability_log_gb_per_node")
    pricer.add("cloudwatch_logs_ingest", "observability logs", gb, "GB", note="assumed volume")
    retention = [
        int(r.inputs.get("retentionInDays") or 365)
        for r in registrations
        if r.type == "aws:cloudwatch/logGroup:LogGroup"
        and str(r.inputs.get("name", "")).startswith(CONTAINER_INSIGHTS_PREFIX)
    ]
    if retention:  # the platform's groups (parts/observability.py), kept like the others
        months = min(12, max(1, max(retention) // 30))
        pricer.add(
            "cloudwatch_logs_storage", "observability logs", gb * months, "GB-months",
            note=f"{months} months kept",
        )  # fmt: skip


def _cpu(quantity: str) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text or 0)


def _memory_gb(quantity: str) -> float:
    text = str(quantity)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return math.ceil(float(text[: -len(suffix)]) * factor / 2**30 * 4) / 4
    return float(text or 0) / 2**30


def estimate_cost(
    registrations: list[Registration], region: str, today: datetime.date | None = None
) -> CostEstimate:
    """The monthly estimate for a recorded run in ``region``."""
    today = today or judging_day()
    pricer = _Pricer(region)
    pricer.estimate.warnings += table_warnings(today)
    by_type: dict[str, list[Registration]] = {}
    registrations = sorted(registrations, key=lambda r: r.urn)  # stable line order
    for registration in registrations:
        by_type.setdefault(registration.type, []).append(registration)

    # What AWS bills is the EKS cluster pulumi-eks creates (modelled); the component stands in
    # for it where the plan was not expanded.
    for cluster in by_type.get("aws:eks/cluster:Cluster") or by_type.get("eks:index:Cluster", []):
        _control_plane(pricer, cluster, today)
    for nat in by_type.get("aws:ec2/natGateway:NatGateway", []):
        pricer.add("nat_gateway", nat.name, pricer.hours, "hours")
        gb = assumption("nat_data_gb_per_gateway")
        pricer.add("nat_gateway_data", nat.name, gb, "GB", note="assumed traffic")
    for eip in by_type.get("aws:ec2/eip:Eip", []):
        pricer.add("public_ipv4", eip.name, pricer.hours, "address-hours")
    _node_groups(pricer, registrations)
    _instances(pricer, registrations)
    _launched_nodes(pricer, registrations)
    public_subnets = [
        s
        for s in by_type.get("aws:ec2/subnet:Subnet", [])
        if "kubernetes.io/role/elb" in s.inputs.get("tags", {})
    ]
    _load_balancers(pricer, registrations, len(public_subnets) or 2)
    _health_checks(pricer, registrations)
    _fargate_pods(pricer, registrations)
    _observability(pricer, registrations)
    for key in by_type.get("aws:kms/key:Key", []):
        rotates = key.inputs.get("enableKeyRotation")
        note = "year 1; 2 USD/month in year 2, 3 after (rotation)" if rotates else ""
        pricer.add("kms_key", key.name, 1, "keys", note=note)
    for group in by_type.get("aws:cloudwatch/logGroup:LogGroup", []):
        if str(group.inputs.get("name", "")).startswith(CONTAINER_INSIGHTS_PREFIX):
            continue  # priced per node with the add-on (_observability)
        control_plane = str(group.inputs.get("name", "")).startswith("/aws/eks/")
        gb = assumption("control_plane_log_gb" if control_plane else "flow_log_gb")
        pricer.add("cloudwatch_logs_ingest", group.name, gb, "GB", note="assumed volume")
        # Full at steady state: the retention's worth of ingest (capped at a year here).
        months = min(12, max(1, int(group.inputs.get("retentionInDays") or 365) // 30))
        pricer.add(
            "cloudwatch_logs_storage", group.name, gb * months, "GB-months",
            note=f"{months} months kept",
        )  # fmt: skip
    for endpoint in by_type.get("aws:ec2/vpcEndpoint:VpcEndpoint", []):
        if endpoint.inputs.get("vpcEndpointType") == "Interface":
            zones = len(endpoint.inputs.get("subnetIds", [])) or 1
            pricer.add("interface_endpoint", endpoint.name, zones * pricer.hours, "AZ-hours")
        else:
            pricer.add("gateway_endpoint", endpoint.name, 1, "months", note="free")

    estimate = pricer.estimate
    estimate.assumptions = [
        f"{name.replace('_', ' ')}: {entry['value']} ({entry['why']})"
        for name, entry in price_table()["assumptions"].items()
    ] + [
        f"prices: {os.environ.get(PRICES_VARIABLE) or 'the package table'} dated "
        f"{price_table().get('date', '?')}, regions {', '.join(sorted(price_table()['regions']))}",
        "Linux on-demand prices; node counts at desiredSize; EBS from launch templates",
        "not included: data transfer out, cross-AZ traffic, ECR storage, the rest of the account",
    ]
    return estimate
