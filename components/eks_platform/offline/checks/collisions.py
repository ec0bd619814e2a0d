"""Collisions: something AWS holds unique (a subnet's route table association, a name in its
scope, one access entry per principal…) claimed twice, in one plan (preflight) or by a
change, where Pulumi creates before it deletes (forecast).

What is unique, per type, is ``data/uniqueness.json`` (each row with its source). A resource's
*claims* are the values of a row's input fields, within the row's scope: the account, the
region of its AWS provider, or the cluster of its Kubernetes provider. Values the model cannot
know (``<…>`` placeholders of ``model.pulumi_eks``) claim nothing.

In a change, the engine's order decides (pulumi/pulumi ``pkg/resource/deploy``: creates and
updates in dependency order, a replacement's new resource created where the old one stood, and
every delete — of a removed resource or of the old side of a create-before-delete replacement —
deferred to the end of the update). So a create, or the new side of a replacement, whose claim
equals one a base resource holds until that end (it is deleted, or replaced without deleting
first, or deleted from the stack but retained in AWS) is refused. A replacement deletes first
when the program asks for it (``delete_before_replace`` in the plan) or its provider does: the
type's ``provider_deletes_first``; a bridged type whose auto-named input the program sets
explicitly (pulumi-terraform-bridge ``pkg/tfbridge/schema.go`` nameRequiresDeleteBeforeReplace,
``provider.go:1275-1276``); a Kubernetes object that keeps its name and namespace
(pulumi-kubernetes ``provider/pkg/provider/provider.go:1650-1662``; not a Helm release,
``helm_release.go:932``). A claim whose value comes from a resource the change creates or
replaces is a new value (the offline ids of a replaced resource stay the same; the real ones do
not), unless that value is the resource's fixed name.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..model.recorder import Registration
from .finding import Finding

NAME_CHECKS = ("duplicate-name", "duplicate-addon", "duplicate-access-entry")
"""Checks of the preflight (``preflight.duplicate_*``) that report their rows themselves."""
GENERIC_CHECK = "duplicate-key"
TRANSITION_CHECK = "collision"
AWS_PROVIDER = "pulumi:providers:aws"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_KEYS = {
    "aws:ec2/subnet:Subnet": [
        "vpcCidr", "availabilityZones", "availabilityZoneCount", "privateSubnetPrefixLength",
        "publicSubnetPrefixLength",
    ],
}  # fmt: skip
"""The config keys that set a type's claimed values (subnets: their ranges), for a finding's
``keys``; a collision of any other type is the platform's code (empty)."""
_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[]+)")


@cache
def uniqueness() -> dict[str, Any]:
    """``data/uniqueness.json``'s types: what each resource type holds unique."""
    text = resources.files("eks_platform").joinpath("offline", "data", "uniqueness.json")
    return json.loads(text.read_text())["types"]


@dataclass(frozen=True)
class Claim:
    """One key a resource holds: ``base`` is everything but an overlapping CIDR (``cidr``)."""

    resource: dict[str, Any]
    row: dict[str, Any]
    base: tuple[Any, ...]
    cidr: str | None
    fields: tuple[str, ...]
    """Top-level inputs the key's values come from."""

    @property
    def name(self) -> str:
        return str(self.resource["name"])

    def describe(self) -> str:
        values = [str(v) for v in self.base[4:] if v != ""]
        if self.cidr:
            values.append(self.cidr)
        return f"{self.row['what']} ({', '.join(values) or 'one per scope'})"

    def meets(self, other: Claim) -> bool:
        if self.base != other.base:
            return False
        if self.cidr is None or other.cidr is None:
            return True
        try:
            return ipaddress.ip_network(self.cidr).overlaps(ipaddress.ip_network(other.cidr))
        except ValueError:
            return self.cidr == other.cidr


def view(registration: Registration) -> dict[str, Any]:
    """A registration as the plan JSON describes a resource (what the claims read)."""
    return {
        "urn": registration.urn,
        "type": registration.type,
        "name": registration.name,
        "provider": registration.provider,
        "inputs": registration.inputs,
        "property_dependencies": registration.property_dependencies,
        "delete_before_replace": registration.delete_before_replace,
        "retain_on_delete": registration.retain_on_delete,
    }


def _path(path: str) -> tuple[list[str], bool, bool]:
    """Segments of a field path, whether it fans out over a list (``a[]``), whether optional."""
    optional = path.endswith("?")
    path = path.rstrip("?")
    each = path.endswith("[]")
    path = path.removesuffix("[]")
    return [m.group(1) or m.group(2) for m in _SEGMENT.finditer(path)], each, optional


def _get(inputs: Any, segments: list[str]) -> Any:
    for segment in segments:
        if not isinstance(inputs, dict):
            return None
        inputs = inputs.get(segment)
    return inputs


def _placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("<") and value.endswith(">")


def _partition(resource: dict[str, Any], row: dict[str, Any], plan: _Plan) -> tuple[str, str]:
    if row["in"] == "account":
        return ("account", "")
    ref = str(resource.get("provider") or "").rsplit("::", 1)[0]
    provider = plan.resources.get(ref)
    if row["in"] == "region" and (not ref or (provider and provider["type"] == AWS_PROVIDER)):
        region = ((provider or {}).get("inputs") or {}).get("region") or plan.region
        return ("region", str(region))
    return ("provider", ref)


def _matches(inputs: dict[str, Any], conditions: dict[str, Any]) -> bool:
    return all(_get(inputs, _path(path)[0]) == value for path, value in conditions.items())


def claims(resource: dict[str, Any], plan: _Plan) -> list[Claim]:
    """Every key ``resource`` (a plan JSON resource, or ``view`` of a registration) holds."""
    entry = uniqueness().get(resource["type"])
    if entry is None:
        return []
    inputs = resource.get("inputs") or {}
    found: list[Claim] = []
    for index, row in enumerate(entry["keys"]):
        if not _matches(inputs, row.get("when") or {}):
            continue
        if row.get("unless") and _matches(inputs, row["unless"]):
            continue
        columns: list[list[Any]] = []
        for field in row["fields"]:
            segments, each, optional = _path(field)
            value = _get(inputs, segments)
            values = list(value or []) if each else [value]
            if optional:
                values = ["" if v is None else v for v in values]
            if not values or any(v is None or (v == "" and not optional) for v in values):
                break
            if any(_placeholder(v) for v in values):
                break
            columns.append([json.dumps(v, sort_keys=True) if not isinstance(v, str) else v
                            for v in values])  # fmt: skip
        else:
            overlap = row.get("overlap")
            at = row["fields"].index(overlap) if overlap else -1
            tops = tuple(sorted({_path(f)[0][0] for f in row["fields"]}))
            for combination in _product(columns):
                cidr = combination[at] if at >= 0 else None
                rest = tuple(v for i, v in enumerate(combination) if i != at)
                base = (resource["type"], index, *_partition(resource, row, plan), *rest)
                found.append(Claim(resource, row, base, cidr, tops))
    return found


def _product(columns: list[list[Any]]) -> list[tuple[Any, ...]]:
    combinations: list[tuple[Any, ...]] = [()]
    for column in columns:
        combinations = [(*c, v) for c in combinations for v in column]
    return combinations


@dataclass
class _Plan:
    resources: dict[str, dict[str, Any]]
    region: str = ""


def _plan_of(registrations: Iterable[Registration]) -> tuple[list[dict[str, Any]], _Plan]:
    views = [view(r) for r in registrations]
    return views, _Plan({v["urn"]: v for v in views})


def duplicates(
    registrations: list[Registration], checks: Iterable[str]
) -> list[tuple[Claim, list[Registration]]]:
    """Keys of rows whose ``check`` is among ``checks`` claimed by more than one resource of
    one plan: the first claim and every registration claiming it, sorted by key."""
    wanted = set(checks)
    views, plan = _plan_of(registrations)
    by_urn = {r.urn: r for r in registrations}
    groups: dict[tuple[Any, ...], list[Claim]] = defaultdict(list)
    for resource in views:
        for claim in claims(resource, plan):
            if claim.row.get("check", GENERIC_CHECK) in wanted:
                groups[claim.base].append(claim)
    found = []
    for base, members in sorted(groups.items(), key=lambda item: str(item[0])):
        del base
        clashing = {
            m.resource["urn"]
            for m in members
            for other in members
            if other is not m and other.resource["urn"] != m.resource["urn"] and m.meets(other)
        }
        if len(clashing) > 1:
            first = next(m for m in members if m.resource["urn"] in clashing)
            found.append((first, [by_urn[urn] for urn in sorted(clashing)]))
    return found


def check(registrations: list[Registration]) -> list[Finding]:
    """Findings over one expanded plan (preflight, exit 3): two resources claiming one key of a
    row the preflight's name, add-on and access entry checks do not already report."""
    return [
        Finding(
            GENERIC_CHECK,
            f"two resources claim {claim.describe()}: {_consequence(claim.row)}",
            sorted(r.name for r in members),
        )
        for claim, members in duplicates(registrations, [GENERIC_CHECK])
    ]


def _consequence(row: dict[str, Any]) -> str:
    conflict = row.get("conflict", "refused")
    if conflict == "overwritten":
        return (
            f"the second overwrites the first, and deleting either removes both ({row['refused']})"
        )
    if conflict == "ambiguous":
        return row["refused"]
    return f"AWS refuses the second: {row['refused']}"


def deletes_first(current: dict[str, Any], base: dict[str, Any] | None = None) -> str | None:
    """Why a replacement of ``current`` (formerly ``base``) deletes the old resource first, or
    None when it creates the new one first (the engine's default)."""
    if current.get("delete_before_replace"):
        return "deleteBeforeReplace"
    entry = uniqueness().get(current["type"]) or {}
    if entry.get("provider_deletes_first"):
        return "its provider deletes first"
    inputs = current.get("inputs") or {}
    named = entry.get("autonamed")
    if named and inputs.get(named) not in (None, ""):
        return f"its {named} is set (the bridge deletes first)"
    if current["type"].startswith("kubernetes:") and current["type"] != HELM_RELEASE:
        meta = inputs.get("metadata") or {}
        before = ((base or {}).get("inputs") or {}).get("metadata") or {}
        if meta.get("name") and (meta.get("name"), meta.get("namespace")) == (
            before.get("name", meta.get("name")),
            before.get("namespace", meta.get("namespace")),
        ):
            return "a Kubernetes object that keeps its name (the provider deletes first)"
    return None


def _renewed(current: dict[str, dict[str, Any]], changes: list[dict[str, Any]]) -> set[str]:
    """URNs whose real ids (and what they name) are new after the change: created or replaced
    resources, a pulumi-eks component whose cluster is replaced, providers built from them."""
    renewed = {c["urn"] for c in changes if c["action"] in ("create", "replace")}
    renewed |= {
        current[urn].get("parent") or ""
        for urn in list(renewed)
        if urn in current and current[urn]["type"] == EKS_CLUSTER
    }
    for urn, resource in current.items():
        if resource["type"].startswith("pulumi:providers:") and any(
            set(urns) & renewed for urns in (resource.get("property_dependencies") or {}).values()
        ):
            renewed.add(urn)
    return renewed


def _fixed_names(resource: dict[str, Any]) -> set[str]:
    """The physical names a resource's inputs give it (a cluster's, a namespace's...)."""
    inputs = resource.get("inputs") or {}
    named = (uniqueness().get(resource["type"]) or {}).get("autonamed") or "name"
    values = {inputs.get("name"), inputs.get(named), (inputs.get("metadata") or {}).get("name")}
    return {v for v in values if isinstance(v, str) and v}


def _renewed_names(renewed: set[str], current: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Fixed physical name -> the renewed resources that carry it (a replaced cluster, namespace
    or role: what held a key inside or under it went with the old one)."""
    names: dict[str, set[str]] = defaultdict(set)
    for urn in renewed:
        for name in _fixed_names(current.get(urn) or {}):
            names[name].add(urn)
    return names


def _fresh(
    claim: Claim,
    renewed: set[str],
    names: dict[str, set[str]],
) -> bool:
    """Whether a claim's value is new after the change: it comes from (or names) a resource the
    change creates or replaces, other than the claiming resource itself, or lives in a cluster
    whose Kubernetes provider is renewed."""
    resource = claim.resource
    provider = str(resource.get("provider") or "").rsplit("::", 1)[0]
    if claim.row["in"] == "cluster" and provider in renewed:
        return True
    dependencies = resource.get("property_dependencies") or {}
    if any(set(dependencies.get(top) or []) & renewed for top in claim.fields):
        return True
    values = {str(v) for v in claim.base[4:]} | ({claim.cidr} if claim.cidr else set())
    return any(names.get(value, set()) - {resource["urn"]} for value in values)


def transition(
    base: dict[str, Any], current: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Finding]:
    """Findings of a change from plan JSON ``base`` to ``current`` (``changes``: the forecast,
    each as ``Change.to_json``), reported by the change forecast (exit 4). ``base`` has its
    aliased resources under their new URNs already (``change.forecast.follow_aliases``)."""
    old = {r["urn"]: r for r in base.get("resources", [])}
    new = {r["urn"]: r for r in current.get("resources", [])}
    actions = {c["urn"]: c["action"] for c in changes}
    old_plan = _Plan(old, str(base.get("region") or ""))
    new_plan = _Plan(new, str(current.get("region") or ""))
    held: dict[tuple[Any, ...], list[tuple[Claim, str]]] = defaultdict(list)
    for urn, resource in old.items():
        action = actions.get(urn)
        if action == "delete":
            how = (
                "keeps in AWS (retain_on_delete)"
                if resource.get("retain_on_delete")
                else ("deletes at the end of this update")
            )
        elif action == "replace" and not deletes_first(new[urn], resource):
            how = "replaces, deleting the old one at the end of this update"
        else:
            continue
        for claim in claims(resource, old_plan):
            held[claim.base].append((claim, how))
    if not held:
        return []
    renewed = _renewed(new, changes)
    names = _renewed_names(renewed, new)
    findings = []
    for urn, resource in sorted(new.items()):
        action = actions.get(urn)
        if action not in ("create", "replace"):
            continue
        for claim in claims(resource, new_plan):
            holders = [(h, how) for h, how in held.get(claim.base, []) if h.meets(claim)]
            if not holders or _fresh(claim, renewed, names):
                continue
            for holder, how in holders:
                findings.append(_finding(claim, action, holder, how))
    return findings


def _finding(claim: Claim, action: str, holder: Claim, how: str) -> Finding:
    row = claim.row
    same = holder.resource["urn"] == claim.resource["urn"]
    who = "its own old resource" if same else holder.name
    doing = "the replacement of" if action == "replace" else "creating"
    conflict = row.get("conflict", "refused")
    if conflict == "overwritten":
        effect = (
            f"{doing} {claim.name} takes over {claim.describe()} from {who}, which this update "
            f"{how}: that deletion removes it again ({row['refused']})"
        )
    elif conflict == "ambiguous":
        effect = f"{doing} {claim.name} adds a second {row['what']} beside {who}: {row['refused']}"
    else:
        effect = (
            f"AWS will refuse this: {doing} {claim.name} claims {claim.describe()}, still held "
            f"by {who}, which this update {how} (Pulumi creates first, deletes last): "
            f"{row['refused']}"
        )
    if same:
        fix = (
            f"set deleteBeforeReplace on {claim.name}, or let the provider name it (auto-naming "
            "adds a random suffix)"
        )
    else:
        fix = (
            f"alias {claim.name} to {holder.name} if it is the same object (no replacement), "
            "or set deleteBeforeReplace, give it a different physical name, or make the change "
            "in two updates (remove the old, then add the new)"
        )
    keys = CONFIG_KEYS.get(claim.resource["type"], [])
    return Finding(TRANSITION_CHECK, f"{effect}. Fix: {fix}", _names(claim, holder), keys)


def _names(claim: Claim, holder: Claim) -> list[str]:
    return list(dict.fromkeys([claim.name, holder.name]))
