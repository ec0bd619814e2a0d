"""Kubernetes versions EKS supports, with their support windows.

Source: Amazon EKS Kubernetes release calendar
(docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), as summarised by
endoflife.date/amazon-eks (read 2026). Standard support lasts 14 months from the EKS release,
extended support 12 more months at six times the control-plane price (0.60 vs 0.10 USD/h).
Update this table when EKS releases a version; validation rejects versions not listed.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

DEFAULT_KUBERNETES_VERSION = "1.35"

TODAY_VARIABLE = "EKS_PLATFORM_TODAY"
"""Set to a date (2026-11-30) to judge support windows on that day instead of the clock's: for
tests and reproducible plans. Deployments leave it unset."""


def today() -> datetime.date:
    """The day support windows (and extended-support prices) are judged on."""
    pinned = os.environ.get(TODAY_VARIABLE)
    if not pinned:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(pinned)
    except ValueError:
        message = f"{TODAY_VARIABLE} must be a date such as 2026-11-30, got {pinned!r}"
        raise ValueError(message) from None


@dataclass(frozen=True)
class VersionWindow:
    version: str
    released: datetime.date
    end_of_standard: datetime.date
    end_of_extended: datetime.date
    estimated: bool = False
    """True where the dates were not confirmed from the calendar (derived from the release)."""


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


SUPPORT_WINDOWS: dict[str, VersionWindow] = {
    window.version: window
    for window in (
        VersionWindow("1.32", _date("2025-01-25"), _date("2026-03-23"), _date("2027-03-23")),
        VersionWindow("1.33", _date("2025-05-28"), _date("2026-07-29"), _date("2027-07-29")),
        VersionWindow("1.34", _date("2025-10-06"), _date("2026-12-02"), _date("2027-12-02")),
        VersionWindow("1.35", _date("2026-01-28"), _date("2027-03-27"), _date("2028-03-27")),
        # 1.36 appears as the newest version in the EKS user guide; its release date was not
        # confirmed here, so the window is release (June 2026, estimate) + 14 / + 26 months.
        VersionWindow(
            "1.36", _date("2026-06-30"), _date("2027-08-31"), _date("2028-08-31"), estimated=True
        ),
    )
}


def version_problem(version: str, support_type: str, today: datetime.date) -> str | None:
    """Why ``version`` cannot be used under ``support_type`` on ``today``, or None."""
    window = SUPPORT_WINDOWS.get(version)
    if window is None:
        return (
            f"not a version in the documented support window (known: {', '.join(SUPPORT_WINDOWS)})"
        )
    if today > window.end_of_extended:
        return f"extended support ended {window.end_of_extended}"
    if support_type == "STANDARD" and today > window.end_of_standard:
        return (
            f"standard support ended {window.end_of_standard}; upgrade, or set upgradePolicy to "
            "EXTENDED (six times the control-plane price)"
        )
    return None


def versions_in_standard_support(today: datetime.date) -> list[str]:
    return [w.version for w in SUPPORT_WINDOWS.values() if w.released <= today <= w.end_of_standard]


def minor_key(version: str) -> tuple[int, int]:
    """1.35 -> (1, 35)."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def minors_apart(running: str, wanted: str) -> int:
    """How many minors ``wanted`` is above (positive) or below (negative) ``running``."""
    (major_a, minor_a), (major_b, minor_b) = minor_key(running), minor_key(wanted)
    if major_a != major_b:
        raise ValueError(f"{running} and {wanted} are of different major versions")
    return minor_b - minor_a


ROLLBACK_RULES = (
    "EKS rolls a control plane back one minor only (N to N-1), within 7 days of the in-place "
    "upgrade that brought it to N; a cluster created at N cannot be rolled back (EKS user guide, "
    "rollback-cluster, Prerequisites)"
)


def version_change_problem(
    running: str,
    wanted: str,
    *,
    rollback: bool,
    running_policy: str,
    today: datetime.date,
) -> str | None:
    """Why EKS would refuse to move a running control plane from ``running`` to ``wanted``, or
    None. EKS updates one minor at a time (update-cluster) and rolls back one minor, only when
    asked (rollback-cluster); terraform-provider-aws updates ``version`` in place
    (internal/service/eks/cluster.go: Optional+Computed, no ForceNew; resourceClusterUpdate
    calls UpdateClusterVersion first, before the upgrade policy), so one ``pulumi up`` with a
    lower version calls UpdateClusterVersion before the node groups, which depend on the
    cluster: a rollback needs the steps ``eks-platform-plan upgrade`` prints."""
    apart = minors_apart(running, wanted) if running else 0
    if apart in (0, 1):
        return None
    if apart > 1:
        return (
            f"is {apart} minors above {running}, the version the running cluster has: EKS "
            "updates the control plane one minor at a time (UpdateClusterVersion refuses a "
            f"jump); deploy each minor in turn (eks-platform-plan upgrade <stack> --to {wanted})"
        )
    if not rollback:
        return (
            f"is below {running}, the version the running cluster has: that is a rollback. "
            f"{ROLLBACK_RULES}; the node groups and add-ons go first, and one `pulumi up` would "
            "update the control plane first and fail. Set kubernetesRollback to true to ask for "
            f"it and follow eks-platform-plan upgrade <stack> --to {wanted} --set "
            f"kubernetesRollback=true, or keep kubernetesVersion {running}"
        )
    if apart < -1:
        return f"is {-apart} minors below {running}: {ROLLBACK_RULES}"
    window = SUPPORT_WINDOWS.get(wanted)
    if window and today > window.end_of_standard and running_policy != "EXTENDED":
        return (
            f"is in extended support (standard support ended {window.end_of_standard}): EKS "
            "rolls back to it only once the cluster's upgrade policy is EXTENDED. First deploy "
            f"upgradePolicy EXTENDED with kubernetesVersion {running} (the provider would call "
            "UpdateClusterVersion before changing the policy), then roll back"
        )
    return None
