"""An independent checker of what AWS and Kubernetes accept, for the property-based tests.

Written from the limits themselves (AWS API references, Kubernetes apimachinery validation),
not from the package's validation or preflight: it must not share their mistakes. It reads a
plan's registrations (what the program registered plus what pulumi-eks creates) and returns
what a real deployment would be refused for.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from eks_platform.offline.model.recorder import Registration

SUFFIX = 8  # "-" and 7 characters of Pulumi's auto-naming
NAME_LIMITS = {  # type -> (name input, most characters)
    "aws:iam/role:Role": ("name", 64),
    "aws:iam/policy:Policy": ("name", 128),
    "aws:iam/instanceProfile:InstanceProfile": ("name", 128),
    "aws:cloudwatch/eventRule:EventRule": ("name", 64),
    "aws:cloudwatch/eventTarget:EventTarget": ("targetId", 64),
    "aws:sqs/queue:Queue": ("name", 80),
    "aws:eks/nodeGroup:NodeGroup": ("nodeGroupName", 63),
    "aws:eks/cluster:Cluster": ("name", 100),
}
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
MAX_NODES = 450


def _label_key_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if not (0 < len(name) <= 63 and QUALIFIED_NAME.fullmatch(name)):
        return False
    return not prefix or (
        len(prefix) <= 253 and all(DNS_1123_LABEL.fullmatch(p) for p in prefix.split("."))
    )


def _label_value_ok(value: str) -> bool:
    return value == "" or (len(value) <= 63 and bool(QUALIFIED_NAME.fullmatch(value)))


def _names(r: Registration) -> list[str]:
    limit = NAME_LIMITS.get(r.type)
    if limit is None:
        return []
    field, most = limit
    given = r.inputs.get(field)
    length = len(given) if isinstance(given, str) and given else len(r.name) + SUFFIX
    return [f"{r.type} {r.name}: name of {length} > {most}"] if length > most else []


def _node_group(r: Registration) -> list[str]:
    found = []
    scaling: dict[str, Any] = r.inputs.get("scalingConfig") or {}
    low, want, high = (scaling.get(k, 0) for k in ("minSize", "desiredSize", "maxSize"))
    if not (0 <= low <= want <= high <= MAX_NODES and high >= 1):
        found.append(f"{r.name}: scaling {low}/{want}/{high}")
    for key, value in (r.inputs.get("labels") or {}).items():
        if not (_label_key_ok(key) and _label_value_ok(str(value))):
            found.append(f"{r.name}: label {key}={value}")
    for taint in r.inputs.get("taints") or []:
        key, value = taint.get("key", ""), taint.get("value") or ""
        if not (_label_key_ok(key) and len(key) <= 63 and _label_value_ok(value)):
            found.append(f"{r.name}: taint {key}={value}")
    return found


def _kubernetes_names(r: Registration) -> list[str]:
    metadata = r.inputs.get("metadata") or {}
    name = metadata.get("name")
    if (
        r.type == "kubernetes:core/v1:Service"
        and name
        and not (len(name) <= 63 and DNS_1035_LABEL.fullmatch(name))
    ):
        return [f"Service name {name!r}"]
    if (
        r.type == "kubernetes:core/v1:Namespace"
        and name
        and not (len(name) <= 63 and DNS_1123_LABEL.fullmatch(name))
    ):
        return [f"Namespace name {name!r}"]
    return []


def _networks(registrations: list[Registration]) -> list[str]:
    found = []
    vpcs = [
        ipaddress.ip_network(r.inputs["cidrBlock"])
        for r in registrations
        if r.type == "aws:ec2/vpc:Vpc"
    ]
    subnets = [
        (r.name, ipaddress.ip_network(r.inputs["cidrBlock"]))
        for r in registrations
        if r.type == "aws:ec2/subnet:Subnet"
    ]
    for name, subnet in subnets:
        if vpcs and not any(subnet.subnet_of(vpc) for vpc in vpcs):  # type: ignore[arg-type]
            found.append(f"{name}: {subnet} outside the VPC")
        if not 16 <= subnet.prefixlen <= 28:
            found.append(f"{name}: /{subnet.prefixlen} subnet")
    for index, (name, subnet) in enumerate(subnets):
        for other_name, other in subnets[index + 1 :]:
            if subnet.overlaps(other):
                found.append(f"{name} overlaps {other_name}")
    return found


def refusals(registrations: list[Registration]) -> list[str]:
    """What AWS or Kubernetes would refuse in these registrations."""
    found = _networks(registrations)
    for r in registrations:
        found += _names(r) + _kubernetes_names(r)
        if r.type == "aws:eks/nodeGroup:NodeGroup":
            found += _node_group(r)
    return found
