"""Secrets stay secret everywhere they travel; stateful resources are protected in prod."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from eks_platform.offline import run_stack
from eks_platform.offline.model.recorder import _is_wrapped_secret, unwrap_secrets

PROTECTED_TYPES = {
    "eks:index:Cluster",
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",  # inherits protect from its parent, the key
    "aws:ec2/vpc:Vpc",
    "aws:cloudwatch/logGroup:LogGroup",
}


def strings(value: Any) -> list[str]:
    """Every string inside a value (maps, lists), and JSON strings' contents."""
    if isinstance(value, str):
        found = [value]
        if value[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):
                found += strings(json.loads(value))
        return found
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def plain_strings(value: Any) -> list[str]:
    """Strings outside any secret wrapper (a wrapped secret's contents are skipped)."""
    if _is_wrapped_secret(value):
        return []
    if isinstance(value, dict):
        return [s for item in value.values() for s in plain_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in plain_strings(item)]
    return strings(value)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_kubeconfig_is_a_secret_output(stack):
    run = run_stack(".", stack)
    assert "kubeconfig" in run.secret_outputs
    credential_like = {
        name for name in run.outputs if "kubeconfig" in name.lower() or "token" in name.lower()
    }
    assert credential_like <= run.secret_outputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_secret_value_leaks_in_plain_form(stack):
    """Each whole secret value (e.g. the kubeconfig) never appears outside a secret wrapper in
    any recorded input or plain output. (Its parts, such as the public endpoint URL, may.)"""
    run = run_stack(".", stack)
    secret_values = [run.outputs[name] for name in run.secret_outputs]
    for registration in run.registrations:
        secret_values += wrapped_values(registration.raw_inputs)
    secret_texts = [v if isinstance(v, str) else json.dumps(v) for v in secret_values]
    assert any("clusters" in text for text in secret_texts), (
        "expected the kubeconfig among the secrets"
    )
    exposed: list[tuple[str, str]] = []
    for registration in run.registrations:
        if registration.type == "eks:index:Cluster":
            continue  # the source of the kubeconfig (pulumi-eks marks its own output secret)
        exposed += [(registration.name, s) for s in plain_strings(registration.raw_inputs)]
    for name, value in run.outputs.items():
        if name not in run.secret_outputs:
            exposed += [(f"output {name}", s) for s in strings(value)]
    leaks = [where for where, text in exposed for secret in secret_texts if secret in text]
    assert leaks == []


def wrapped_values(value: Any) -> list[Any]:
    """The contents of every secret wrapper inside ``value``."""
    if _is_wrapped_secret(value):
        return [unwrap_secrets(value)[0]]
    if isinstance(value, dict):
        return [v for item in value.values() for v in wrapped_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in wrapped_values(item)]
    return []


def test_protection_on_in_prod_only():
    prod, dev = run_stack(".", "prod"), run_stack(".", "dev")
    for registration in prod.registrations:
        if registration.type in PROTECTED_TYPES:
            assert registration.protect, registration.name
    assert {r.type for r in prod.registrations if r.protect} == PROTECTED_TYPES
    assert [r.name for r in dev.registrations if r.protect] == []


def test_deletion_protection_on_in_prod_only():
    prod = run_stack(".", "prod").one("eks:index:Cluster").inputs
    dev = run_stack(".", "dev").one("eks:index:Cluster").inputs
    assert (prod["deletionProtection"], dev["deletionProtection"]) == (True, False)


def test_protect_can_be_turned_on_for_any_stack():
    run = run_stack(".", "dev", {"protect": True})
    assert {r.type for r in run.registrations if r.protect} == PROTECTED_TYPES
