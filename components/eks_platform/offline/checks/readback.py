"""The second ``up`` is a no-op: what the provider reads back after an ``up`` against what the
program sets; a difference means every later ``up`` changes it again.

The state after an ``up`` is derived from the plan and ``data/readback.json`` (each row a Pulumi
type and input property, how the provider reads it back, and its source): a default planned when
the input is unset, a value normalised on read, a value read from another resource (the NAT
instance's ``sourceDestCheck`` from its interface), rules other resources add to a security
group, a field a controller changes. Where that read-back differs from what the program sets,
after the provider's own comparison (its DiffSuppressFunc or StateFunc, or policy equivalence)
and unless the registration's ``ignore_changes`` covers it, the next ``up`` plans a change:
finding ``next-up-changes``. Rows of kind ``kept`` record why a property cannot diff; they are
documentation and derive nothing.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any

from ..model.recorder import Registration
from .finding import Finding

CHECK = "next-up-changes"
REMOVAL_CHECK = "removal-keeps-value"


class _Missing:
    def __repr__(self) -> str:
        return "(unset)"


MISSING: Any = _Missing()
"""An input the program leaves unset."""


@cache
def readback_table() -> dict[str, Any]:
    text = resources.files("eks_platform").joinpath("offline", "data", "readback.json")
    return json.loads(text.read_text())


@cache
def _rows_by_type() -> dict[str, list[dict[str, Any]]]:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in readback_table()["rows"]:
        by_type[row["type"]].append(row)
    return dict(by_type)


@cache
def rows_for(type_token: str) -> list[dict[str, Any]]:
    """The table's rows for a type: its own and those of a pattern such as ``aws:*``."""
    found = list(_rows_by_type().get(type_token, []))
    for pattern, rows in _rows_by_type().items():
        if pattern.endswith("*") and type_token.startswith(pattern[:-1]):
            found += rows
    return found


def values_at(inputs: Any, path: str, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for each place ``path`` names (``a.b``; ``a[].b`` maps over a
    list), ``MISSING`` where a step is unset."""
    head, _, rest = path.partition(".")
    over_list = head.endswith("[]")
    key = head.removesuffix("[]")
    value = inputs.get(key, MISSING) if isinstance(inputs, dict) else MISSING
    here = f"{prefix}{key}"
    if over_list:
        for index, item in enumerate(value if isinstance(value, list) else []):
            if rest:
                yield from values_at(item, rest, f"{here}[{index}].")
            else:
                yield f"{here}[{index}]", item
        return
    if rest and value is not MISSING:
        yield from values_at(value, rest, f"{here}.")
    else:
        yield (f"{here}.{rest}" if rest else here), value


def ignored(registration: Registration, path: str) -> bool:
    """Whether ``ignore_changes`` covers ``path`` (the path itself or a parent of it)."""
    bare = re.sub(r"\[\d+\]", "", path)
    return any(
        candidate == ignore or candidate.startswith((f"{ignore}.", f"{ignore}["))
        for ignore in registration.ignore_changes
        for candidate in (path, bare)
    )


# Normalisers: what AWS or the provider makes of an input on read.


def _cidr(value: Any) -> Any:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        return value


def _json(value: Any) -> Any:
    try:
        return json.dumps(json.loads(value), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return value


ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def _aws_principal(principal: Any) -> Any:
    """An account ID becomes its root ARN (awspolicyequivalence stringPrincipalsEqual: 'Handle
    AWS converting account ID principal to root IAM user ARN')."""
    if isinstance(principal, str) and ACCOUNT_ID.match(principal):
        return f"arn:aws:iam::{principal}:root"
    if isinstance(principal, list):
        return [_aws_principal(p) for p in principal]
    if isinstance(principal, dict):
        return {key: _aws_principal(item) for key, item in principal.items()}
    return principal


def _one_as_scalar(value: Any) -> Any:
    """One-element string lists as a string ('as the AWS endpoints do', awspolicyequivalence
    PoliciesAreEquivalent's doc comment)."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    if isinstance(value, dict):
        return {key: _one_as_scalar(item) for key, item in value.items()}
    return value


def _policy(value: Any) -> Any:
    """A policy document as AWS may return it: compact, account IDs as root ARNs, one-element
    lists as strings. What IAM, KMS and SQS return beyond that is not modelled."""
    try:
        document = json.loads(value)
    except (TypeError, ValueError):
        return value
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        for key in ("Principal", "NotPrincipal"):
            if key in statement:
                statement[key] = _aws_principal(statement[key])
        for key in list(statement):
            statement[key] = _one_as_scalar(statement[key])
    return json.dumps(document, separators=(",", ":"))


def _oidc_url(value: Any) -> Any:
    return re.sub(r"^https?://", "", str(value)) if isinstance(value, str) else value


def _route53_name(value: Any) -> Any:
    return value.lower().removesuffix(".") if isinstance(value, str) else value


def _kms_key_id(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("arn:") and ":key/" in value:
        return value.split(":key/", 1)[1]
    return value


SG_PROTOCOLS = {"icmpv6": 58, "udp": 17, "tcp": 6, "icmp": 1}


def _sg_protocol(value: Any) -> Any:
    """terraform-provider-aws protocolForValue (ec2/vpc_security_group.go:1470-1500)."""
    protocol = str(value).lower()
    if protocol in ("-1", "all"):
        return "-1"
    if protocol in SG_PROTOCOLS:
        return protocol
    by_number = {str(number): name for name, number in SG_PROTOCOLS.items()}
    return by_number.get(protocol, protocol)


def _rstrip(value: Any) -> Any:
    return value.rstrip() if isinstance(value, str) else value


SEMVER = re.compile(r"^v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$")
A_VERSION_NUMBER = "<a version number>"
THE_RESOLVED_CHART_VERSION = "<the resolved chart version>"


def _helm_chart_version(value: Any) -> Any:
    """The chart's own version (Chart.yaml): an exact version without its ``v``; a range or an
    unset version reads back as whichever version Helm resolved."""
    match = SEMVER.match(str(value))
    return match.group(1) if match else THE_RESOLVED_CHART_VERSION


def _launch_template_version_number(value: Any) -> Any:
    return A_VERSION_NUMBER if value in ("$Latest", "$Default") else value


NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "cidr": _cidr,
    "json": _json,
    "policy": _policy,
    "oidc_url": _oidc_url,
    "route53_name": _route53_name,
    "kms_key_id": _kms_key_id,
    "sg_protocol": _sg_protocol,
    "rstrip": _rstrip,
    "helm_chart_version": _helm_chart_version,
    "launch_template_version_number": _launch_template_version_number,
}


# Policy equivalence: a port of hashicorp/awspolicyequivalence PoliciesAreEquivalent (what
# verify.SuppressEquivalentPolicyDiffs calls).


def _string_set(members: Any) -> list[str] | None:
    if members is None:
        return []
    if isinstance(members, str):
        return [members]
    if isinstance(members, list) and all(isinstance(m, str) for m in members):
        return list(members)
    return None  # a number or boolean: never equal, as in newStringSet


def _sets_equal(ours: Any, theirs: Any) -> bool:
    a, b = _string_set(ours), _string_set(theirs)
    return a is not None and b is not None and len(a) == len(b) and set(a) == set(b)


def _principal_map(principals: dict[str, Any]) -> dict[str, set[str] | None]:
    """Each principal kind's members as root ARNs (None: not strings); empty kinds dropped."""
    found: dict[str, set[str] | None] = {}
    for key, members in principals.items():
        strings = _string_set(members)
        if strings != []:
            found[key] = None if strings is None else {_aws_principal(m) for m in strings}
    return found


def _principals_equal(ours: Any, theirs: Any) -> bool:
    """stringPrincipalsEqual or mapPrincipalsEqual (duplicates within a kind not told apart)."""
    if ours is None or theirs is None:
        return ours is theirs
    if isinstance(ours, str) and isinstance(theirs, str):
        return _aws_principal(ours) == _aws_principal(theirs)
    if not (isinstance(ours, dict) and isinstance(theirs, dict)):
        return False
    a, b = _principal_map(ours), _principal_map(theirs)
    return a == b and None not in a.values()


def _conditions_equal(ours: Any, theirs: Any) -> bool:
    if (ours is None) != (theirs is None):
        return False
    ours, theirs = ours or {}, theirs or {}
    if set(ours) != set(theirs):
        return False
    for operator, block in ours.items():
        other = theirs[operator]
        if set(block) != set(other):
            return False
        if not all(_sets_equal(value, other[key]) for key, value in block.items()):
            return False
    return True


def _statements_equal(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    if ours.get("Sid", "") != theirs.get("Sid", ""):
        return False
    if str(ours.get("Effect", "")).lower() != str(theirs.get("Effect", "")).lower():
        return False
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if not _sets_equal(ours.get(key), theirs.get(key)):
            return False
    if not _conditions_equal(ours.get("Condition"), theirs.get("Condition")):
        return False
    return all(
        _principals_equal(ours.get(key), theirs.get(key)) for key in ("Principal", "NotPrincipal")
    )


def policies_equivalent(first: Any, second: Any) -> bool:
    try:
        documents = [json.loads(first), json.loads(second)]
    except (TypeError, ValueError):
        return False
    statements = []
    for document in documents:
        found = document.get("Statement")
        statements.append([found] if isinstance(found, dict) else list(found or []))
    a, b = documents
    if a.get("Version", "") != b.get("Version", "") or a.get("Id", "") != b.get("Id", ""):
        return False
    ours, theirs = statements
    return (
        len(ours) == len(theirs)
        and all(any(_statements_equal(s, t) for t in theirs) for s in ours)
        and all(any(_statements_equal(t, s) for s in ours) for t in theirs)
    )


def same(row: dict[str, Any], read_back: Any, planned: Any) -> bool:
    """The provider's comparison of the read-back state with the input."""
    rule = row["rule"]
    compare = rule.get("compare", "equal")
    if compare == "policy_equivalent":
        return _json(read_back) == _json(planned) or policies_equivalent(read_back, planned)
    if compare == "normalised":
        normalise = NORMALISERS[rule["normaliser"]]
        return normalise(read_back) == normalise(planned)
    return read_back == planned


# The checks.


def short_type(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _shown(value: Any) -> str:
    """A value as the message shows it (a whole float, as numbers arrive, without its .0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _finding(
    registration: Registration, path: str, read_back: Any, planned: Any, *, why: str, source: str
) -> Finding:
    return Finding(
        CHECK,
        f"the next `up` would change {short_type(registration.type)} {registration.name}.{path} "
        f"from {_shown(read_back)} to {_shown(planned)}, and every later `up` again: {why} "
        f"({source})",
        [registration.name],
    )


def _source_reference(row: dict[str, Any]) -> str:
    return str(row["source"]).split(";", 1)[0]


class _Context:
    """The plan a row is judged in: every registration, and each by its id."""

    def __init__(self, registrations: list[Registration]) -> None:
        self.registrations = registrations
        self.by_id = {r.resource_id: r for r in registrations if r.resource_id}


def _compared(
    row: dict[str, Any], registration: Registration, path: str, planned: Any, plan: _Context
) -> list[Finding]:
    """Kinds ``normalised`` and ``from_other_resource``: a read-back value, compared the
    provider's way."""
    rule, why = row["rule"], row["behaviour"]
    if rule["kind"] == "normalised":
        read_back = NORMALISERS[rule["normaliser"]](planned)
    else:
        link = next(iter(values_at(registration.inputs, rule["link"])))[1]
        other = plan.by_id.get(str(link)) if link is not MISSING else None
        if other is None or other.type != rule["other_type"]:
            return []
        read_back = other.inputs.get(rule["other_property"], rule["other_default"])
        why = f"{why}: {other.name} has {_shown(read_back)}"
    if same(row, read_back, planned):
        return []
    return [
        _finding(registration, path, read_back, planned, why=why, source=_source_reference(row))
    ]


def _aggregated(
    row: dict[str, Any], registration: Registration, path: str, plan: _Context
) -> list[Finding]:
    """Kind ``aggregated``: an inline list read back with what other resources add to it."""
    extras = [
        other
        for source in row["rule"]["sources"]
        for other in plan.registrations
        if other.type == source["type"]
        and other.inputs.get(source["link"]) == registration.resource_id
        and all(other.inputs.get(k) == v for k, v in source.get("match", {}).items())
    ]
    if not extras:
        return []
    names = ", ".join(sorted(e.name for e in extras))
    return [
        Finding(
            CHECK,
            f"the next `up` would change {short_type(registration.type)} {registration.name}."
            f"{path} from the inline list plus what {names} add{'s' if len(extras) == 1 else ''} "
            f"to the inline list alone, and the next `up` would add those back: "
            f"{row['behaviour']} ({_source_reference(row)})",
            sorted([registration.name, *(e.name for e in extras)]),
        )
    ]


def _asg_names(registration: Registration) -> set[str]:
    """The Auto Scaling groups of a node group, as the provider reads them (``resources``)."""
    return {
        str(group.get("name"))
        for resource in registration.outputs.get("resources") or []
        for group in (resource or {}).get("autoscalingGroups") or []
    }


def _claims(controller: Registration, registration: Registration) -> bool:
    """Whether a Cluster Autoscaler release resizes this node group: with auto-discovery every
    managed node group of the cluster (EKS tags each one's Auto Scaling group with
    k8s.io/cluster-autoscaler/enabled and /<cluster>); with ``autoscalingGroups`` (the chart's
    --nodes, 9.59.0 templates/deployment.yaml 73-81) only those named. Other controllers claim
    every resource of the row's type."""
    values = controller.inputs.get("values") or {}
    if "autoDiscovery" not in values and "autoscalingGroups" not in values:
        return True
    if (values.get("autoDiscovery") or {}).get("clusterName"):
        return True
    named = {str(group.get("name")) for group in values.get("autoscalingGroups") or []}
    return bool(named & _asg_names(registration))


def _from_controller(
    row: dict[str, Any], registration: Registration, path: str, planned: Any, plan: _Context
) -> list[Finding]:
    """Kind ``from_controller``: a value a controller the plan installs changes outside Pulumi."""
    wanted = row["rule"]["controller"]
    present = any(
        r.type == wanted["type"]
        and all(str(r.inputs.get(k, "")).endswith(v) for k, v in wanted.get("match", {}).items())
        and _claims(r, registration)
        for r in plan.registrations
    )
    if not present:
        return []
    read_back = "<what the controller set>"
    return [
        _finding(
            registration,
            path,
            read_back,
            planned,
            why=row["behaviour"],
            source=_source_reference(row),
        )
    ]


DERIVED_KINDS = ("normalised", "from_other_resource", "aggregated", "from_controller")
"""Rule kinds that derive a read-back to compare; ``kept``, ``default`` and ``tags`` read back
the input itself."""


def differences(registrations: list[Registration]) -> list[Finding]:
    """Every input whose read-back differs from what the program sets."""
    plan = _Context(registrations)
    findings: list[Finding] = []
    for registration in registrations:
        if not registration.custom:
            continue
        for row in rows_for(registration.type):
            kind = row["rule"]["kind"]
            if kind not in DERIVED_KINDS:
                continue
            for path, value in values_at(registration.inputs, row["property"]):
                planned = row["rule"].get("default", MISSING) if value is MISSING else value
                if planned is MISSING or ignored(registration, path):
                    continue
                if kind == "aggregated":
                    findings += _aggregated(row, registration, path, plan)
                elif kind == "from_controller":
                    findings += _from_controller(row, registration, path, planned, plan)
                else:
                    findings += _compared(row, registration, path, planned, plan)
    return findings


def tags_all(registration: Registration, registrations: list[Registration]) -> dict[str, str]:
    """What pulumi-aws computes as ``tagsAll``: the provider's ``defaultTags`` merged with the
    resource's ``tags`` (the resource's win). The provider is found by its URN in the
    registration's provider reference (``urn::id``)."""
    provider_urn = registration.provider.rsplit("::", 1)[0] if registration.provider else ""
    defaults: dict[str, str] = {}
    for other in registrations:
        if other.urn == provider_urn:
            configured = other.inputs.get("defaultTags") or {}
            if isinstance(configured, str):  # provider inputs travel JSON-encoded
                configured = json.loads(configured)
            defaults = dict(configured.get("tags") or {})
    return {**defaults, **dict(registration.inputs.get("tags") or {})}


def check(registrations: list[Registration]) -> list[Finding]:
    """Findings over one expanded plan (preflight, exit 3): ``next-up-changes``."""
    return differences(registrations)


def transition(
    base: dict[str, Any], current: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Finding]:
    """Findings of a change from plan JSON ``base`` to ``current`` (``changes``: the forecast,
    each as ``Change.to_json``), reported by the change forecast (exit 4).

    What only a change shows: an update that stops setting an Optional+Computed input (a row
    with ``optional_computed``). Terraform's SDK keeps the state's value for such an input once
    it is removed, so the provider plans nothing and AWS keeps the old setting
    (pulumi/pulumi-terraform-bridge#2152): ``removal-keeps-value``.

    Not here, on purpose: a perpetual diff the change introduces is a property of the current
    plan, and the preflight over it reports it (``check``); plan JSON carries neither
    ``ignore_changes`` nor resource ids, so this function could not judge read-back
    differences (or the NAT instance's write-through to its interface) without guessing."""
    old = {r["urn"]: r for r in base.get("resources", [])}
    new = {r["urn"]: r for r in current.get("resources", [])}
    findings = []
    for change in changes:
        if change.get("action") != "update":
            continue
        before, after = old.get(change["urn"]), new.get(change["urn"])
        if before is None or after is None:
            continue
        for row in rows_for(after["type"]):
            if not row.get("optional_computed") or row["property"].endswith("*"):
                continue
            kept = dict(values_at(after.get("inputs", {}), row["property"]))
            for path, value in values_at(before.get("inputs", {}), row["property"]):
                if value is MISSING or kept.get(path, MISSING) is not MISSING:
                    continue
                findings.append(
                    Finding(
                        REMOVAL_CHECK,
                        f"this change stops setting {short_type(after['type'])} "
                        f"{after['name']}.{path} (was {value!r}), but AWS keeps it: the provider "
                        f"plans nothing for a removed Optional+Computed input "
                        f"({_source_reference(row)}; pulumi/pulumi-terraform-bridge#2152); set "
                        f"the value you want instead",
                        [after["name"]],
                    )
                )
    return findings
