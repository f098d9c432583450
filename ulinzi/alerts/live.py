"""The index of open alerts that a process keeps between reports.

Grouping compares a new report with the reports of the open alerts of the last
``max_hours`` (``grouping.AlertIndex``). Loading them from the database for every
report cost more than all the rest of intake together, and the more alerts were open
the more it cost. A process (the worker, a web process taking hotline reports) keeps
the index instead, with the token of the ``GroupingState`` it reflects:

* intake locks the state row (``lock``), reads its token, and uses the kept index only
  if it was built for that very token; otherwise it loads the index again;
* every change that grouping reads writes a new random token in its own transaction
  (``changed``): a new report, a clarified place, a closed, merged or split alert;
* after intake commits, the kept index learns the new report, any merge it made and
  the new token (``joined``), so the next report needs no load at all. A rolled-back report changes
  neither the token nor the index.

A token is random, never a counter, so that an index cannot be taken for another
database's (a restored backup, a test database rebuilt). The index is loaded again at
least every ``max_hours``, so that it never holds more than two windows of reports.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from ulinzi.alerts.grouping import AlertIndex, ReportFacts, Thresholds, _km
from ulinzi.alerts.models import GroupingState


class LiveIndex(AlertIndex):
    """An ``AlertIndex`` that keeps each alert's centre up to date as reports arrive.

    ``AlertIndex.centre`` counts, for every located report of the alert, the located
    reports within ``close_km``: quadratic in the alert's size, and recounted after
    every new report of it. An index that lives as long as the process sees alerts of
    hundreds of reports in a flood, so here each new report adds one to the counts of
    its close neighbours (linear) and the centre is the same report as the base class
    would choose.
    """

    def __init__(self, thresholds: Thresholds) -> None:
        super().__init__(thresholds)
        self._near: dict[int, list[int]] = {}  # alert id -> count per located member
        self._located: dict[int, list[ReportFacts]] = {}
        self._best: dict[int, ReportFacts] = {}

    def add(self, alert_id: int, report: ReportFacts) -> None:
        super().add(alert_id, report)
        self._count(alert_id, report)

    def _count(self, alert_id: int, report: ReportFacts) -> None:
        if not report.located:
            return
        located = self._located.setdefault(alert_id, [])
        counts = self._near.setdefault(alert_id, [])
        close_km = self.thresholds.close_km
        mine = 1
        for i, other in enumerate(located):
            if _km(report, other) <= close_km:
                counts[i] += 1
                mine += 1
        located.append(report)
        counts.append(mine)
        # Counts only grow, but any of them may now lead: one pass, without distances.
        best = min(range(len(located)), key=lambda i: (-counts[i], located[i].at, located[i].id))
        self._best[alert_id] = located[best]

    def centre(self, alert_id: int) -> ReportFacts | None:
        return self._best.get(alert_id) if alert_id in self._members else None

    def close(self, alert_id: int) -> None:
        super().close(alert_id)
        for kept in (self._near, self._located, self._best):
            kept.pop(alert_id, None)

    def merge(self, alert_id: int, into: int) -> list[ReportFacts]:
        moved = super().merge(alert_id, into)
        for kept in (self._near, self._located, self._best):
            kept.pop(alert_id, None)
            kept.pop(into, None)
        for report in self._members[into]:  # counted again, once (merges are rare)
            self._count(into, report)
        return moved


@dataclass
class _Kept:
    token: str
    thresholds: Thresholds
    built_at: float
    index: LiveIndex


_kept: _Kept | None = None
_guard = threading.Lock()


def _token(query: QuerySet[GroupingState, str]) -> str:
    """The state's token read by ``query``; the row is created first if it is missing (a
    new database, or one a test flushed)."""
    token = query.first()
    if token is None:
        GroupingState.objects.get_or_create(pk=1, defaults={"token": secrets.token_hex(16)})
        token = query.get()
    return token


def lock() -> str:
    """Lock the grouping state until the caller's transaction ends; its token."""
    return _token(
        GroupingState.objects.select_for_update().filter(pk=1).values_list("token", flat=True)
    )


def current() -> str:
    """The token of the grouping state now, without a lock (for work done in advance,
    checked again under the lock)."""
    return _token(GroupingState.objects.filter(pk=1).values_list("token", flat=True))


def advance(expected: str) -> str | None:
    """If the grouping state is still ``expected``, change it (in the caller's
    transaction, which keeps it locked) and return the new token; else None, and
    nothing is changed."""
    token = secrets.token_hex(16)
    updated = GroupingState.objects.filter(pk=1, token=expected).update(token=token)
    return token if updated else None


def changed() -> str:
    """Record, in the caller's transaction, that something grouping reads has changed.
    Indexes kept for the earlier state are loaded again before their next use."""
    token = secrets.token_hex(16)
    if not GroupingState.objects.filter(pk=1).update(token=token):
        GroupingState.objects.update_or_create(pk=1, defaults={"token": token})
    return token


def decide(
    token: str,
    thresholds: Thresholds,
    report: ReportFacts,
    load: Callable[[float], Iterable[tuple[int, ReportFacts]]],
) -> tuple[int | None, str, tuple[int, ...]]:
    """The open alert ``report`` belongs to (or None), why, and the other open alerts it
    brings together with it (to be merged into it), with the index kept for ``token``,
    or one built from ``load(since)`` (every report of an open alert received since that
    POSIX time, with its alert, oldest first)."""
    global _kept
    with _guard:
        kept = _kept
        if (
            kept is None
            or kept.token != token
            or kept.thresholds != thresholds
            or report.at - kept.built_at > thresholds.max_hours * 3600.0
        ):
            index = LiveIndex(thresholds)
            for alert_id, facts in load(report.at - thresholds.max_hours * 3600.0):
                index.add(alert_id, facts)
            kept = _kept = _Kept(token, thresholds, report.at, index)
        decision = kept.index.decide(report)
        return decision.alert_id, decision.reason, decision.merges


def joined(
    token_before: str,
    token_after: str,
    alert_id: int,
    report: ReportFacts,
    merged: tuple[int, ...] = (),
) -> None:
    """Once the caller's transaction commits, the index kept for ``token_before`` learns
    that ``report`` is in ``alert_id`` (and that the ``merged`` alerts went into it) and
    stands for ``token_after``."""

    def learn() -> None:
        global _kept
        with _guard:
            kept = _kept
            if kept is None or kept.token != token_before:
                return
            if merged and not all(a in kept.index for a in (alert_id, *merged)):
                _kept = None  # not what the merges changed: load it again
                return
            for other in merged:
                kept.index.merge(other, alert_id)
            kept.index.add(alert_id, report)
            kept.token = token_after

    transaction.on_commit(learn)


def forget() -> None:
    """Drop the kept index (tests; a process that wants a fresh load)."""
    global _kept
    with _guard:
        _kept = None
