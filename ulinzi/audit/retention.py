"""The retention policy: how long each kind of record is kept before ``ulinzi purge``
removes it (standard library only).

Operational records (alerts, reports, events, patrols, surveys) are kept: they are the
mission's history. What identifies people, or was only needed for a while, is not:

=================  =======  ============================================================
record type        days     what the purge does
=================  =======  ============================================================
reporter_numbers   730      erases the phone number of a reporter the mission has not
                            been in touch with for that long (the pseudonym and the
                            reports stay; a new SMS from the number makes a new reporter)
sms_texts          365      empties the text of SMS in and out (a report keeps its own)
callbacks          365      deletes call-back tasks done that long ago, with their notes
login_records      90       deletes records of log-in attempts (user names, addresses)
audit              1825     deletes audit log entries (the only way past its triggers)
=================  =======  ============================================================

A mission sets its own with ``ULINZI_RETENTION="sms_texts=180,audit=3650"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["DEFAULTS", "RecordType", "cutoffs", "parse", "policy"]


@dataclass(frozen=True)
class RecordType:
    days: int
    what: str


DEFAULTS: dict[str, RecordType] = {
    "reporter_numbers": RecordType(730, "phone numbers of reporters not in touch for this long"),
    "sms_texts": RecordType(365, "texts of SMS in and out"),
    "callbacks": RecordType(365, "call-back tasks done this long ago"),
    "login_records": RecordType(90, "records of log-in attempts"),
    "audit": RecordType(1825, "audit log entries"),
}

#: Less than this would purge what is still at work (a call-back, a question's answer).
MIN_DAYS = 30


def parse(text: str) -> dict[str, int]:
    """``"sms_texts=180, audit=3650"`` as ``{"sms_texts": 180, "audit": 3650}``; a
    ValueError that says what is wrong otherwise."""
    found: dict[str, int] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"{item.strip()!r}: write record_type=days")
        if name not in DEFAULTS:
            raise ValueError(f"{name!r} is not a record type: use one of {', '.join(DEFAULTS)}")
        try:
            found[name] = int(value.strip())
        except ValueError:
            raise ValueError(f"{name}: {value.strip()!r} is not a number of days") from None
    return found


def policy(overrides: Mapping[str, int]) -> dict[str, int]:
    """Days to keep each record type: the defaults, with the mission's ``overrides``
    (unknown types or fewer than :data:`MIN_DAYS` days are refused)."""
    days = {name: kind.days for name, kind in DEFAULTS.items()}
    for name, value in overrides.items():
        if name not in DEFAULTS:
            raise ValueError(f"{name!r} is not a record type: use one of {', '.join(DEFAULTS)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < MIN_DAYS:
            raise ValueError(f"{name}: keep records at least {MIN_DAYS} days, not {value!r}")
        days[name] = value
    return days


def cutoffs(now: datetime, days: Mapping[str, int]) -> dict[str, datetime]:
    """For each record type, the moment before which its records go."""
    return {name: now - timedelta(days=n) for name, n in days.items()}
