"""An IAM identity-policy evaluator: does a set of policies allow one request?

Written here because no maintained Python library evaluates IAM policies with conditions:
parliament (pinned) lints documents and evaluates nothing; policyuniverse expands actions and
ARNs only; principalmapper (PMapper) simulates but is AGPL-3.0 and hands ``ForAnyValue:`` the
whole request instead of each value (principalmapper/querying/local_policy_simulation.py,
``_get_condition_match``), so it cannot judge ``aws:TagKeys``.

What it follows (IAM User Guide):

- reference_policies_evaluation-logic: within one account and identity-based policies only, an
  explicit Deny in any statement wins; else any Allow allows; else the request is implicitly
  denied. SCPs, permissions boundaries, session policies and resource policies are not modelled
  (the platform sets none on these roles; a key policy delegating to IAM is assumed, see
  parts/kms.py).
- reference_policies_elements_action / _notaction / _resource / _notresource: Action and
  NotAction match case-insensitively with ``*`` and ``?``; Resource and NotResource
  case-sensitively, ``*`` and ``?`` within the whole ARN; a statement with NotAction matches
  every action not listed.
- reference_policies_elements_condition_operators: all operators of a block and all keys of an
  operator must hold (AND); the values listed for one key are alternatives (OR). A key missing
  from the request makes every operator false except the negated ones (``...Not...``), which
  are true, ``...IfExists``, true, and ``Null``, which tests for just that. Key names are
  case-insensitive, values case-sensitive unless the operator says IgnoreCase.
- reference_policies_condition-single-vs-multi-valued-context-keys: ``ForAllValues:`` holds when
  every value of the request's (multi-valued) key matches some policy value, and so also when
  the key is missing or its set is empty; ``ForAnyValue:`` holds when at least one does, so
  never for a missing or empty key. A plain operator on a multi-valued key holds when any value
  matches (not a documented case; a policy should not rely on it).
- reference_policies_variables: ``${key}`` in a Resource or condition value is the request's
  value of that key; ``${*}``, ``${?}``, ``${$}`` are the literal characters; a variable whose key
  the request lacks makes that resource or condition value match nothing.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Context = Mapping[str, str | Sequence[str]]
"""Request context keys (any case) to one value or, for multi-valued keys, a list."""


@dataclass(frozen=True)
class Request:
    """One API call as IAM authorizes it."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)

    def describe(self) -> str:
        """Action, resource and context; service-specific copies of aws:ResourceTag left out."""
        keys = ", ".join(
            f"{k}={_show(v)}"
            for k, v in sorted(self.context.items())
            if k.startswith("aws:") or "ResourceTag/" not in k
        )
        return f"{self.action} on {self.resource}" + (f" with {keys}" if keys else "")


@dataclass(frozen=True)
class Policy:
    """One policy document and where it comes from (shown in findings)."""

    label: str
    document: Mapping[str, Any]

    @staticmethod
    def parse(label: str, document: str | Mapping[str, Any]) -> Policy:
        return Policy(label, json.loads(document) if isinstance(document, str) else document)

    def statements(self) -> list[Mapping[str, Any]]:
        found = self.document.get("Statement", [])
        return [found] if isinstance(found, Mapping) else list(found)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    allowed_by: list[str]
    """Labels of the Allow statements that match (``policy#index`` or ``policy#Sid``)."""
    denied_by: list[str]
    """Labels of the Deny statements that match: any one denies."""


def evaluate(policies: Iterable[Policy], request: Request) -> Decision:
    """Identity-based policy evaluation of one request (explicit deny > allow > implicit deny)."""
    context = {key.lower(): value for key, value in request.context.items()}
    allowed: list[str] = []
    denied: list[str] = []
    for policy in policies:
        for index, statement in enumerate(policy.statements()):
            if statement_matches(statement, request.action, request.resource, context):
                label = f"{policy.label}#{statement.get('Sid') or index}"
                (denied if statement.get("Effect") == "Deny" else allowed).append(label)
    return Decision(bool(allowed) and not denied, allowed, denied)


def statement_matches(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]
) -> bool:
    """Whether one statement applies to the request (``context`` keys lower-cased)."""
    if "Action" in statement:
        if not any(_like(a, action, case=False) for a in _listed(statement["Action"])):
            return False
    elif any(_like(a, action, case=False) for a in _listed(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(_resource_like(r, resource, context) for r in _listed(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        _resource_like(r, resource, context) for r in _listed(statement["NotResource"])
    ):
        return False
    return all(
        condition_holds(operator, key, wanted, context)
        for operator, keys in (statement.get("Condition") or {}).items()
        for key, wanted in keys.items()
    )


_COMPARE = {
    "StringEquals": ("string", False, False),
    "StringNotEquals": ("string", False, True),
    "StringEqualsIgnoreCase": ("string-ci", False, False),
    "StringNotEqualsIgnoreCase": ("string-ci", False, True),
    "StringLike": ("string", True, False),
    "StringNotLike": ("string", True, True),
    # ArnEquals behaves as ArnLike (IAM User Guide, condition operators, ARN: "ArnEquals,
    # ArnLike ... Case-sensitive matching of the ARN. Each of the six colon-delimited
    # components ... can include multi-character match wildcards").
    "ArnEquals": ("arn", True, False),
    "ArnLike": ("arn", True, False),
    "ArnNotEquals": ("arn", True, True),
    "ArnNotLike": ("arn", True, True),
    "Bool": ("bool", False, False),
    "NumericEquals": ("number", "==", False),
    "NumericNotEquals": ("number", "==", True),
    "NumericLessThan": ("number", "<", False),
    "NumericLessThanEquals": ("number", "<=", False),
    "NumericGreaterThan": ("number", ">", False),
    "NumericGreaterThanEquals": ("number", ">=", False),
    "IpAddress": ("ip", False, False),
    "NotIpAddress": ("ip", False, True),
    "DateEquals": ("date", "==", False),
    "DateNotEquals": ("date", "==", True),
    "DateLessThan": ("date", "<", False),
    "DateLessThanEquals": ("date", "<=", False),
    "DateGreaterThan": ("date", ">", False),
    "DateGreaterThanEquals": ("date", ">=", False),
}
"""Operator -> (kind, wildcard or numeric comparison, negated)."""


class UnsupportedOperatorError(ValueError):
    """A condition operator the evaluator does not model: refuse rather than guess."""


def condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, Any]) -> bool:
    """One ``operator: {key: wanted}`` condition against the request (keys lower-cased)."""
    qualifier, _, base = operator.rpartition(":")
    found = context.get(key.lower())
    present = found is not None
    if base == "Null":
        # "true": the key is absent (or null); "false": it is present (Null condition operator)
        return all(str(w).lower() == ("false" if present else "true") for w in _listed(wanted))
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base.removesuffix("IfExists")
    if base not in _COMPARE:
        raise UnsupportedOperatorError(operator)
    kind, mode, negated = _COMPARE[base]
    values = [_resolve(str(w), context) for w in _listed(wanted)]
    found_values = [str(v) for v in _listed(found)] if present else []

    def one(value: str) -> bool:
        hit = any(w is not None and _compare(kind, mode, w, value) for w in values)
        return not hit if negated else hit

    if if_exists and not present:
        return True  # ...IfExists: true when the key is absent, with or without a set qualifier
    if qualifier == "ForAllValues":
        return all(one(v) for v in found_values)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in found_values)
    if qualifier:
        raise UnsupportedOperatorError(operator)
    if not present:
        return if_exists or negated
    return any(one(v) for v in found_values)


def _compare(kind: str, mode: Any, wanted: str, value: str) -> bool:
    if not mode or kind not in ("string", "arn"):
        wanted = wanted.replace("\x00", "*").replace("\x01", "?")
    if kind == "string":
        return _like(wanted, value, case=True) if mode else wanted == value
    if kind == "string-ci":
        return wanted.lower() == value.lower()
    if kind == "arn":
        return _arn_like(wanted, value) if mode else wanted == value
    if kind == "bool":
        return wanted.lower() == value.lower()
    if kind == "ip":  # IpAddress: the value inside the CIDR given (a bare address is a /32)
        return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)
    # Numbers, or dates (ISO 8601 or epoch seconds) as seconds since the epoch.
    left, right = (
        (_when(value).timestamp(), _when(wanted).timestamp())
        if kind == "date"
        else (float(value), float(wanted))
    )
    return {"==": left == right, "<": left < right, "<=": left <= right, ">": left > right,
            ">=": left >= right}[mode]  # fmt: skip


def _when(text: str) -> datetime.datetime:
    if re.fullmatch(r"\d+", text):
        return datetime.datetime.fromtimestamp(int(text), tz=datetime.UTC)
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _arn_like(pattern: str, arn: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own (the resource part may
    hold colons of its own)."""
    wanted, found = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(found) == 6 and all(
        _like(w, f, case=True) for w, f in zip(wanted, found, strict=True)
    )


def _resource_like(pattern: str, resource: str, context: Mapping[str, Any]) -> bool:
    resolved = _resolve(pattern, context)
    return resolved is not None and _like(resolved, resource, case=True)


_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_LITERALS = {"*": "\x00", "?": "\x01", "$": "$"}


def _resolve(text: str, context: Mapping[str, Any]) -> str | None:
    """``text`` with policy variables filled in from the request; None if one is missing."""
    if "${" not in text:
        return text
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name in _LITERALS:
            return _LITERALS[name]
        value = context.get(name.lower())
        if value is None or isinstance(value, list | tuple):
            missing = True
            return ""
        return str(value)

    resolved = _VARIABLE.sub(fill, text)
    return None if missing else resolved


@lru_cache(maxsize=4096)
def _pattern(pattern: str, case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char == "\x00":
            parts.append(re.escape("*"))
        elif char == "\x01":
            parts.append(re.escape("?"))
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (0 if case else re.IGNORECASE))


def _like(pattern: str, value: str, *, case: bool) -> bool:
    if not any(c in pattern for c in "*?\x00\x01"):
        return pattern == value if case else pattern.lower() == value.lower()
    return _pattern(pattern, case).fullmatch(value) is not None


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _show(value: Any) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list | tuple) else str(value)
