"""Issue 23 point 11: the app's name and certificate are checked against AWS before anything
registers (the hosted zone is public and holds the domain; a given certificate is the
caller's), for one platform and for a fleet; each check has a negative control."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from conftest import PROJECT_DIR

from eks_platform.offline import run_stack
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import RecordingMonitor

FLEET_DIR = Path(PROJECT_DIR) / "fleet"
ZONE = "Z0123456789ABC"
NAMED = {"workload": {"domain": "app.example.com", "hostedZoneId": ZONE}}
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def run(overrides, zones=None, project=PROJECT_DIR, stack="dev", region="us-west-2", caller=None):
    """The stack's error message (None when it deploys) and what it registered."""
    monitor = RecordingMonitor(PlatformMocks(region, hosted_zones=zones, caller_arn=caller))
    try:
        run_stack(project, stack, overrides, monitor=monitor)
    except pulumi.RunError as error:
        registered = [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
        return str(error), registered
    return None, monitor.registrations


def test_a_public_zone_holding_the_domain_passes():
    # The offline zone is the parent of the configured domain, public (mocks._zone_name).
    message, registered = run(NAMED)
    assert message is None
    assert any(r.type == "aws:acm/certificate:Certificate" for r in registered)
    message, _ = run(NAMED, zones={ZONE: ("app.example.com.", False)})  # the apex itself
    assert message is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (("example.com", True), "private hosted zone (example.com)"),
        (("example.org", False), "does not contain app.example.com"),
        (("pp.example.com", False), "does not contain app.example.com"),  # a suffix, not a parent
    ],
)
def test_a_zone_that_cannot_hold_the_name_is_refused_before_anything_registers(zone, expected):
    message, registered = run(NAMED, zones={ZONE: zone})
    assert message is not None
    assert f"workload.hosted_zone_id = '{ZONE}'" in message and expected in message
    assert registered == []


def test_a_certificate_of_another_account_is_refused():
    other = CERT.replace("123456789012", "210987654321")
    caller = "arn:aws:iam::123456789012:user/deployer"
    message, registered = run({"workload": {"tls": {"certificateArn": other}}}, caller=caller)
    assert message is not None
    assert "workload.tls.certificate_arn" in message and "account 210987654321" in message
    assert registered == []
    assert run({"workload": {"tls": {"certificateArn": CERT}}})[0] is None  # the caller's own


def test_a_certificate_of_another_region_is_refused():
    message, registered = run(
        {"workload": {"tls": {"certificateArn": CERT.replace("us-west-2", "eu-west-1")}}}
    )
    assert message is not None
    assert "can only use certificates of us-west-2" in message and registered == []


FLEET_NAME = {"domain": "app.example.com", "hostedZoneId": ZONE}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (("example.com", True), "private hosted zone"),
        (("example.net", False), "does not contain app.example.com"),
    ],
)
def test_a_fleets_zone_is_checked_before_any_region(zone, expected):
    message, registered = run(
        FLEET_NAME, zones={ZONE: zone}, project=FLEET_DIR, stack="global", region="us-east-1"
    )
    assert message is not None
    assert f"hostedZoneId = '{ZONE}'" in message and expected in message
    # Only the fleet component and its Route 53 provider, which asked: no region, no resource.
    types = sorted(r.type for r in registered)
    assert types == ["eks-platform:index:Fleet", "pulumi:providers:aws"]


def test_a_fleet_with_a_good_zone_deploys():
    message, _ = run(FLEET_NAME, project=FLEET_DIR, stack="global", region="us-east-1")
    assert message is None


def test_the_offline_plan_takes_the_account_from_a_configured_certificate():
    """Offline, the caller's account is unknown: a user's real certificate must not be refused
    as another account's (the mocks answer with the certificate's account)."""
    theirs = CERT.replace("123456789012", "111122223333")
    message, _ = run({"workload": {"tls": {"certificateArn": theirs}}})
    assert message is None


def test_every_preview_problem_is_reported_at_once():
    """The lookups at preview (certificate account, add-on versions, ...) collect their problems
    and raise once, like validation."""
    other = CERT.replace("123456789012", "210987654321")
    caller = "arn:aws:iam::123456789012:user/deployer"
    message, registered = run(
        {
            "workload": {"tls": {"certificateArn": other}},
            "addonVersions": {"coredns": "v9.9.9-eksbuild.1"},
        },
        caller=caller,
    )
    assert message is not None and "(2 problem(s))" in message
    assert "workload.tls.certificate_arn" in message and "addon_versions.coredns" in message
    assert registered == []


def test_auto_modes_coredns_version_is_checked_at_preview():
    """pulumi-eks adds CoreDNS in Auto Mode at the platform's version (control_plane.py)."""
    message, registered = run(
        {
            "computeMode": "auto",
            "nodeGroups": [],
            "addonVersions": {"coredns": "v9.9.9-eksbuild.1"},
        }
    )
    assert message is not None and "addon_versions.coredns = 'v9.9.9-eksbuild.1'" in message
    assert registered == []
