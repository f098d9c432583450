"""The rules of engagement work, as pure functions (no Django import).

Coverage gaps
    For each community and each language spoken there, the staff who can serve it are
    the *available* interpreters and liaison assistants who speak the language and
    either cover the community or work at a base whose area holds it. A gap is a
    (community, language) with nobody (``no_interpreter``) or with no woman
    (``no_female``): women's concerns are not heard through men alone.

Silence
    A focal point is silent when nothing came from them for ``days`` days (or ever, once
    registered that long ago); a community is silent when every active focal point of
    it is. A test message answered since counts as a sign of life.

Commitments
    A commitment is *due soon* within ``soon_days`` of its date, *overdue* after it,
    until kept or closed as not kept.

Broadcast targeting
    A recipient matches when their community is targeted, or their community lies in a
    targeted area; then the language and the focal-point role, when given, must match.
    Opted-out recipients never match. Each matching recipient is counted once, however
    many targets they match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    sex: str  # "f" or "m"
    speaks: frozenset[str]
    communities: frozenset[int]  # covered directly
    base_communities: frozenset[int]  # in the area of their base
    available: bool = True


@dataclass(frozen=True, slots=True)
class Gap:
    community: int
    language: str
    staff: int  # who can serve it
    women: int  # of whom women
    no_interpreter: bool
    no_female: bool


def coverage(communities: Iterable[tuple[int, Sequence[str]]], staff: Iterable[Staff]) -> list[Gap]:
    """One row per (community, language), gaps and covered alike, in input order."""
    people = [s for s in staff if s.available]
    rows = []
    for community, languages in communities:
        for language in dict.fromkeys(languages):
            able = [
                s
                for s in people
                if language in s.speaks
                and (community in s.communities or community in s.base_communities)
            ]
            women = sum(s.sex == "f" for s in able)
            rows.append(Gap(community, language, len(able), women, not able, women == 0))
    return rows


@dataclass(frozen=True, slots=True)
class Signal:
    focal_point: int
    community: int
    registered_at: dt.datetime
    last_seen_at: dt.datetime | None  # last message from them (a test reply included)
    active: bool = True


def silent(
    focal_points: Iterable[Signal], now: dt.datetime, days: int
) -> tuple[set[int], set[int]]:
    """(silent focal points, silent communities)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    limit = now - dt.timedelta(days=days)
    quiet: set[int] = set()
    heard: dict[int, bool] = {}
    for fp in focal_points:
        if not fp.active:
            continue
        latest = fp.last_seen_at or fp.registered_at
        is_quiet = latest < limit
        if is_quiet:
            quiet.add(fp.focal_point)
        heard[fp.community] = heard.get(fp.community, False) or not is_quiet
    return quiet, {c for c, alive in heard.items() if not alive}


def commitment_state(due: dt.date, status: str, today: dt.date, soon_days: int = 7) -> str:
    """``kept``, ``not_kept``, ``overdue``, ``due_soon`` or ``open``."""
    if status != "open":
        return status
    if today > due:
        return "overdue"
    if (due - today).days <= soon_days:
        return "due_soon"
    return "open"


@dataclass(frozen=True, slots=True)
class Recipient:
    reporter: int
    community: int | None
    areas: frozenset[int]  # the community's place and the areas that contain it
    language: str
    role: str
    opted_out: bool = False


def targets(
    recipients: Iterable[Recipient],
    *,
    communities: frozenset[int],
    areas: frozenset[int],
    languages: frozenset[str] = frozenset(),
    roles: frozenset[str] = frozenset(),
) -> list[int]:
    """The reporters a broadcast goes to, each once, in input order."""
    chosen: dict[int, None] = {}
    for r in recipients:
        if r.opted_out or r.reporter in chosen:
            continue
        where = (r.community is not None and r.community in communities) or bool(r.areas & areas)
        if not where:
            continue
        if languages and r.language not in languages:
            continue
        if roles and r.role not in roles:
            continue
        chosen[r.reporter] = None
    return list(chosen)
