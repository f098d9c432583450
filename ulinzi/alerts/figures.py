"""Response figures computed from the alerts' own timestamps (no Django import):
never typed in by hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ADDRESSED_OUTCOMES = {"prevented", "mitigated", "response_too_late"}


@dataclass(frozen=True)
class AlertTimes:
    base: str
    month: str  # YYYY-MM
    threat_type: str
    status: str
    outcome: str
    received_at: datetime
    acknowledged_at: datetime | None
    dispatched_at: datetime | None
    on_site_at: datetime | None
    feedback_sent_at: datetime | None


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 60


def percentile(values: list[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (the usual spreadsheet method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(
    alerts: Iterable[AlertTimes], by: tuple[str, ...] = ("base", "month", "threat_type")
) -> list[dict[str, Any]]:
    """Per group: alerts, median and 90th percentile minutes to acknowledge, dispatch
    and arrive; the share addressed (closed with a response outcome, false alarms and
    duplicates left out of the denominator) and the share closed with feedback."""
    groups: dict[tuple[str, ...], list[AlertTimes]] = defaultdict(list)
    for alert in alerts:
        groups[tuple(getattr(alert, k) for k in by)].append(alert)
    rows = []
    for key, members in sorted(groups.items()):
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["alerts"] = len(members)
        for name, field in (
            ("acknowledge", "acknowledged_at"),
            ("dispatch", "dispatched_at"),
            ("arrive", "on_site_at"),
        ):
            values = [
                m for a in members if (m := _minutes(a.received_at, getattr(a, field))) is not None
            ]
            row[f"minutes_to_{name}_median"] = _round(percentile(values, 0.5))
            row[f"minutes_to_{name}_p90"] = _round(percentile(values, 0.9))
        genuine = [a for a in members if a.outcome not in ("false_alarm", "duplicate")]
        addressed = [a for a in genuine if a.outcome in ADDRESSED_OUTCOMES]
        closed = [a for a in members if a.status == "closed"]
        row["share_addressed"] = _round(len(addressed) / len(genuine), 3) if genuine else None
        row["share_closed_with_feedback"] = (
            _round(sum(1 for a in closed if a.feedback_sent_at) / len(closed), 3)
            if closed
            else None
        )
        rows.append(row)
    return rows


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
