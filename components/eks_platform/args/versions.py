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
