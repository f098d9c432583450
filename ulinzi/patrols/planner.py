"""The weekly patrol plan: which requested patrol slots to cover, by which patrols (no Django import).

Communities ask the mission for patrols: a market patrol on Tuesday mornings, a
firewood patrol three days a week, night patrols around a camp. Each base has a
few teams and vehicles per shift, cannot go farther than a set distance and is
sometimes unavailable for a whole day. Every week there are more slots asked
for than teams to cover them, so the planner chooses, and says why it left
each request out.

Slots
    A week is :data:`DAYS` days (0 = Monday) of two shifts (:data:`SHIFTS`). A
    *slot* is one (day, shift). A request lists the slots it asks for this week
    (duplicates count once) and ``wanted``, how many of them the community asks
    to be covered.

Patrols
    A *patrol* is one team of one base going out in one slot. It covers that
    slot for every request it visits: a team out on a Tuesday morning can pass
    the market of one village and the water point of the next before it comes
    back, as real patrols do. A patrol visits at most :data:`MAX_STOPS`
    requests, each one slot at most once. Its route leaves the base, visits
    the requests in the best order (a route request is driven or walked along
    its places, in either direction) and comes back; distances are great-circle
    kilometres times :data:`ROAD_FACTOR` (tracks are not straight). A patrol
    goes *on foot* when every place it visits is within :data:`FOOT_KM` of its
    base, at :data:`FOOT_KMH`; otherwise it needs one of the base's vehicles
    and drives at :data:`VEHICLE_KMH`. Its *hours* are its travel time plus the
    time it stays with each request (:data:`STAY_HOURS` by kind, or the
    request's own ``hours``). A patrol to one request is always possible
    within the base's reach (the reach is what the base declares a team can
    do in a shift); a patrol to several must fit in the shift
    (:data:`SHIFT_HOURS`). Adding a request to a patrol never makes its route
    shorter nor its schedule easier, so every part of a possible patrol is
    possible.

    Hours asked for: a request may give the hours of the day when the patrol
    should be with it (``Request.window``, clock hours: a water point from
    06:00 to 07:00, a market from 06:00 to 12:00, a camp from 19:00 to
    05:00). A patrol to several requests then needs a schedule: it leaves the
    base and reaches each request in turn, waiting when it is early; its time
    with each (the stay, plus the drive or walk along a route) must lie within
    that request's hours, and from leaving the base to coming back must fit
    in the shift. Among the orders (and directions along routes) that have
    such a schedule the planner takes the shortest, and the patrol's hours
    include the waits. A patrol to one request is always possible (the caller
    caps its stay at the hours asked for). A window whose end is not after its
    start ends the next day; for the night shift, a window that ends by noon
    is the morning after's (01:00-04:00 comes after 22:00); a window whose
    start and end are the same hour means any time.

Value
    One covered slot of request ``r`` is worth (:func:`request_value`)::

        priority * (0.5 + risk) * log2(2 + beneficiaries) * min(3, 1 + 0.5 * weeks_unmet)

    Priority (1-5) counts linearly; risk adds to a floor of 0.5 so that a
    place with no recent alert is still worth patrolling when the community
    asks; people count on a log scale (a camp of 20,000 is worth more than a
    hamlet of 50, but not 400 times more); the last factor is the *starvation
    rule*: each consecutive past week a request went with none of its slots
    covered multiplies its value by a further 0.5, up to 3 times (after 4
    weeks). A request left out for weeks therefore ends up ahead of an
    otherwise equal one and, in time, of requests up to three times as
    valuable. The value rises with every factor.

    The ``k``-th covered slot of a request is worth the slot value times
    ``0.9 ** (k - 1)`` (:data:`DECAY`): when two requests are otherwise equal
    the plan gives one patrol to each rather than two to one.
    :func:`covered_value` is the value of ``n`` covered slots; the value of a
    plan is the sum over requests (a patrol is worth what it adds to the
    requests it visits). The solver and the greedy baseline use exactly this
    function, and a plan's ``value`` is always computed with it (in floating
    point) from the plan's patrols.

Constraints
    * A slot of a request is covered at most once (by one patrol).
    * A request gets at most ``wanted`` patrols (or as many as the officer
      fixed, when that is more; never more than its distinct slots).
    * A base's patrols in one (day, shift) are at most its teams for that
      shift, those needing a vehicle at most its vehicles (``vehicles=None``:
      as many as its teams), and none on its unavailable days. Teams and
      vehicles already out on patrols recorded earlier in the week
      (``BaseCapacity.spent``) are not counted as free.
    * A base visits a request only if every point of the request (the place,
      or each place along a route) is within the base's ``max_km`` (great
      circle distance, haversine). An assignment's ``km`` is the distance from
      the base to the request's farthest point.
    * Patrols fixed by the officer (``Request.fixed``) are in the plan, each
      as one patrol of its base (other requests may join it when its route
      allows), and use their base's capacity. A fixed patrol may be on a slot
      the request did not list. A fixed patrol that cannot be (unknown base,
      base out of reach or unavailable that day, more fixed patrols than teams
      or, beyond walking distance, than vehicles, the same slot fixed twice)
      raises :class:`ValueError` naming it.

Solver
    :func:`plan_week` lists every possible patrol (base, slot, up to
    :data:`MAX_STOPS` requests: each request alone, then pairs and triples
    grown from possible pairs) and builds a CP-SAT model (OR-Tools): a boolean
    per patrol, at most one chosen patrol per (request, slot), at most the
    teams (and vehicles) per (base, day, shift), each fixed patrol chosen
    exactly once; per request, booleans ``y_1 >= y_2 >= ...`` for its 1st,
    2nd... patrol, their sum equal to its patrols. The objective is the sum of
    each ``y_k`` times the value of that patrol, scaled by :data:`SCALE` (1000)
    and rounded to an integer. The greedy plan is given as a hint. The search
    branches on the linear relaxation (one worker by default; with more,
    interleaved) with ``random_seed`` = ``seed``: the same inputs, seed and
    number of workers give the same plan, as long as the solver finishes
    before the time limit. It stops at ``time_limit_s`` seconds. Status
    ``optimal`` means proven optimal for the rounded values; ``feasible``
    means the time limit came first (the best plan found, never worse than
    the greedy hint in the rounded values). If the solver returns no plan at
    all, the greedy plan is returned with status ``greedy``.

    Choosing patrols that share a team is a set packing problem: its linear
    relaxation is not integral, and greedy can spend a team or a vehicle on
    the most valuable request alone where the same team could have covered
    two or three requests of nearly the same value each. On the bench's
    instances (``bench/patrols.py``: 20 bases x 500 requests) the solver
    proves its plan optimal in a few seconds, 4-6 % above greedy's.

Travel
    Which base sends a patrol does not change the value, so travel is not in
    the objective (a penalty would trade value for kilometres). Instead, once
    the patrols are chosen, each (day, shift)'s patrols are re-matched to the
    bases' free teams with the fewest total route kilometres (an assignment
    problem, solved exactly with ``scipy.optimize.linear_sum_assignment``,
    where a patrol needing a vehicle from a base only takes a team that has
    one). The covered slots and the value stay the same.

Greedy baseline
    :func:`greedy_plan` takes the fixed patrols, then repeatedly takes the
    request whose next patrol is worth the most (ties: input order). If one of
    its open slots has a patrol already planned that it can join (the route
    still fits the shift, one vehicle more is free if it now needs one), it
    joins the one that adds the fewest kilometres, in its first such slot;
    otherwise its first listed slot that some reachable base can still send a
    patrol to goes to the nearest such base, as a new patrol. It drops the
    request when none of its slots can be covered any more (capacity only goes
    down and patrols only fill up). It is what a planner does by hand, and the
    solver's hint.

Explanations
    Every request with fewer patrols than it wanted gets reasons, in words. The
    first says how many it asked and how many it got (``"Kibirizi requested 3
    night patrols, 1 scheduled"``; with ``Request.done`` patrols out earlier in
    the week, ``"Kibirizi requested 2 more night patrols (1 earlier in the week),
    none scheduled"``). Then, when no base reaches it: the nearest
    base, its distance and its limit. Otherwise each uncovered slot is looked
    at against the bases that reach the request, and slots with the same
    situation are grouped (their days listed):

    * ``"Beni is unavailable on Friday"``;
    * ``"Beni has no night team"``;
    * ``"every night team of Beni is out on Tuesday on patrols already
      recorded"`` (``BaseCapacity.spent``);
    * ``"Beni has no vehicle and Kibirizi is beyond 5 km on foot"``;
    * ``"no night team free on Tuesday at Beni: 2 night patrols, both given
      to higher-value requests (Kibirizi, Mbau)"``: every team of that shift
      at those bases on those days is out, and the communities named (up to
      3, most valuable first) are those patrols'. "Higher value" is said only
      when each of those patrols adds more value to the plan than this
      request's next patrol would (the comparison the solver made, in its
      rounded units; a patrol adds the value its requests would lose without
      it); "of equal or higher value" when some tie; patrols fixed by the
      officer are counted as such; otherwise no value claim is made. In an
      optimal plan a swap argument guarantees the claim where the swap is
      possible: were a patrol there worth less, sending its team to this
      request would raise the value;
    * ``"no vehicle free on Tuesday at Beni: 1 day patrol by vehicle, given to
      a higher-value request (Mbau)"``: teams were left but every vehicle was
      out, and this request is beyond walking distance;
    * ``"a day team was still free on Friday at Oicha, but the solver
      stopped at its time limit ..."`` when the plan is not proven optimal
      and a team (with a vehicle if needed) was left free.

    Every statement is computed from the plan returned, so it is true of it.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linear_sum_assignment

from ulinzi.lib import words

__all__ = [
    "DAYS",
    "DAY_NAMES",
    "DECAY",
    "DEFAULT_STAY_HOURS",
    "ENGLISH",
    "FOOT_KM",
    "FOOT_KMH",
    "MAX_STOPS",
    "ROAD_FACTOR",
    "SCALE",
    "SHIFTS",
    "SHIFT_HOURS",
    "STAY_HOURS",
    "VEHICLE_KMH",
    "Assignment",
    "BaseCapacity",
    "Plan",
    "Refused",
    "Request",
    "Route",
    "Slot",
    "Words",
    "covered_value",
    "greedy_plan",
    "haversine_km",
    "plan_week",
    "request_value",
    "stay_hours",
]

DAYS = 7  # a plan covers one week: day 0 = Monday .. 6 = Sunday
SHIFTS = ("day", "night")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The k-th covered slot of a request is worth DECAY ** (k - 1) of the first.
DECAY = 0.9
#: Value units per objective unit in the CP-SAT model (values rounded to 1/SCALE).
SCALE = 1000
EARTH_RADIUS_KM = 6371.0088
#: Hours a patrol may be out in each shift (from leaving the base to coming back). A day
#: patrol leaves after the morning briefing and is back before dark; a night patrol covers
#: the hours when attacks on camps and villages are most frequent.
SHIFT_HOURS = {"day": 9.0, "night": 8.0}
#: A patrol whose places are all this close to its base (straight line) may go on foot.
FOOT_KM = 5.0
FOOT_KMH = 4.0  # a section on foot, with its stops
VEHICLE_KMH = 25.0  # a vehicle on the dirt roads and tracks of the eastern provinces
#: Road or track kilometres per straight-line kilometre.
ROAD_FACTOR = 1.3
#: Most requests one patrol visits.
MAX_STOPS = 3
#: Hours a patrol stays with a request, by kind, when the request does not say: an escort
#: or a firewood patrol walks with the people for the morning, a night patrol holds a camp
#: for a few hours, a market or water point patrol is a show of presence and a talk with
#: the committee; a route patrol stops along the way (its travel along the route is counted
#: as travel).
STAY_HOURS = {
    "night": 3.0,
    "market": 2.0,
    "firewood": 4.0,
    "water_point": 1.5,
    "route": 1.0,
    "escort": 3.0,
}
DEFAULT_STAY_HOURS = 2.0


@dataclass(frozen=True, slots=True)
class BaseCapacity:
    id: str  # base code, e.g. "beni"
    name: str
    lat: float
    lon: float
    day_teams: int  # patrol teams available per day shift
    night_teams: int  # per night shift
    max_km: float  # farthest place a patrol from this base may go (straight line)
    unavailable_days: frozenset[int] = frozenset()  # days 0-6 with no patrol at all
    vehicles: int | None = None  # vehicles per shift; None: one for every team
    # (day, shift, teams, vehicles) already out on patrols recorded before this plan: they
    # are not the planner's to give.
    spent: tuple[tuple[int, str, int, int], ...] = ()

    def teams(self, day: int, shift: str) -> int:
        """Teams free for one (day, shift): 0 on an unavailable day."""
        if day in self.unavailable_days:
            return 0
        teams = self.day_teams if shift == "day" else self.night_teams
        return max(0, teams - self.out_on_record(day, shift))

    def out_on_record(self, day: int, shift: str, vehicles: bool = False) -> int:
        """Teams (or vehicles) out in one (day, shift) on patrols recorded before this
        plan."""
        return sum(v if vehicles else t for d, s, t, v in self.spent if (d, s) == (day, shift))

    def vehicles_for(self, day: int, shift: str) -> int:
        """Patrols of one (day, shift) that can have a vehicle (never more than its teams)."""
        teams = self.teams(day, shift)
        if self.vehicles is None:
            return teams
        return min(teams, max(0, self.vehicles - self.out_on_record(day, shift, vehicles=True)))


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    day: int  # 0-6
    shift: str  # "day" | "night"


@dataclass(frozen=True, slots=True)
class Request:
    id: str
    community: str  # its name, used in explanations
    kind: str  # night, market, firewood, water_point, route, escort, other
    points: tuple[tuple[float, float], ...]  # the place, or the route's places (lat, lon)
    slots: tuple[Slot, ...]  # the slots asked for this week
    wanted: int  # how many of those slots the community asks to be covered (<= len(slots))
    priority: int  # 1 (low) .. 5 (urgent), as the community states it
    risk: float  # >= 0: forecast probability or recent alerts, already normalised by the caller
    beneficiaries: int  # people who benefit (>= 0)
    weeks_unmet: int = 0  # consecutive past weeks with none of its slots covered
    fixed: tuple[tuple[Slot, str], ...] = ()  # (slot, base id) decided by the officer
    hours: float | None = None  # hours a patrol stays with it; None: STAY_HOURS of its kind
    done: int = 0  # patrols of the week already out (recorded, or on a day past): not in wanted
    window: tuple[float, float] | None = None  # clock hours to be with it (start, end); None: any
    label: str = ""  # how people know it ("P-12"), for messages; "" : "request <id>"


@dataclass(frozen=True, slots=True)
class Assignment:
    request: str
    slot: Slot
    base: str
    km: float  # base to the farthest point of the request
    fixed: bool
    patrol: int = 0  # index of the patrol (Plan.routes) that covers it


@dataclass(frozen=True, slots=True)
class Route:
    """One patrol: a team of a base, in one slot, visiting one or more requests."""

    base: str
    slot: Slot
    requests: tuple[str, ...]  # in the order visited
    km: float  # road kilometres, base to base
    hours: float  # travel plus stays
    vehicle: bool  # needs a vehicle (a place beyond FOOT_KM, or too long on foot)
    fixed: bool  # a patrol fixed by the officer (others may have joined it)
    # Clock hours (0-24) when the team begins each visit, in the order visited, when the
    # patrol visits several requests and one at least asked for hours; otherwise empty.
    starts: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    assignments: tuple[Assignment, ...]
    value: float  # total value covered (covered_value summed over requests)
    status: str  # "optimal", "feasible", "greedy" (solver gave nothing in time)
    solve_s: float
    explanations: dict[str, tuple[str, ...]]  # request id -> reasons (scheduled < wanted)
    scheduled: dict[str, int]  # request id -> slots planned
    greedy_value: float = 0.0  # value of the greedy plan on the same input
    bound: float | None = None  # solver's proven upper bound on the value (None for greedy)
    time_limit_s: float | None = None  # the solver's time limit (None for greedy)
    travel_km: float = 0.0  # sum of the patrols' road km
    # (base id, day, shift) -> patrols (teams out), for every base and slot of the week
    use: dict[tuple[str, int, str], int] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()  # the patrols; Assignment.patrol indexes them
    vehicle_use: dict[tuple[str, int, str], int] = field(default_factory=dict)
    # The explanations in other words: see Plan.explain.
    _explainer: Callable[[Words], dict[str, tuple[str, ...]]] | None = field(
        default=None, repr=False, compare=False
    )

    def explain(self, words: Words) -> dict[str, tuple[str, ...]]:
        """:attr:`explanations` worded by ``words`` (another language)."""
        return self._explainer(words) if self._explainer is not None else self.explanations


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def request_value(r: Request, weeks_boost: float = 0.5, cap: float = 3.0) -> float:
    """Value of one covered slot of ``r`` (its first; later ones decay by :data:`DECAY`).

    ``priority * (0.5 + risk) * log2(2 + beneficiaries) * min(cap, 1 + weeks_boost *
    weeks_unmet)``: non-decreasing in every input (strictly in priority and risk).
    """
    starvation = min(cap, 1.0 + weeks_boost * max(0, r.weeks_unmet))
    people = math.log2(2 + max(0, r.beneficiaries))
    return r.priority * (0.5 + max(0.0, r.risk)) * people * starvation


def covered_value(r: Request, n: int) -> float:
    """Value of ``n`` covered slots of ``r``: the first full, each next one DECAY times less."""
    return request_value(r) * sum(DECAY**k for k in range(n))


def stay_hours(r: Request) -> float:
    return r.hours if r.hours is not None else STAY_HOURS.get(r.kind, DEFAULT_STAY_HOURS)


def _great_circle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kilometres between every row of ``a`` and every row of ``b`` (lat, lon in degrees)."""
    la, lb = np.radians(a), np.radians(b)
    lat1, lon1 = la[:, :1], la[:, 1:2]
    lat2, lon2 = lb[:, 0][None, :], lb[:, 1][None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return out


# --- the problem, checked and indexed -----------------------------------------------------


_Way = tuple[float, tuple[int, ...], list[float]]  # road km, order, road km into each stop and back


@dataclass(frozen=True, slots=True)
class _Trip:
    """A possible patrol: its base, slot, requests (sorted), and how it goes."""

    base: int
    slot: Slot
    members: tuple[int, ...]
    order: tuple[int, ...]
    km: float
    hours: float
    vehicle: bool
    starts: tuple[float, ...] = ()  # when each visit begins (shift axis), for timed patrols


@dataclass(slots=True)
class _Problem:
    bases: Sequence[BaseCapacity]
    requests: Sequence[Request]
    km: np.ndarray  # requests x bases: base to the request's farthest point
    slots: list[list[Slot]]  # per request: distinct slots (listed + fixed), sorted
    fixed: list[dict[Slot, int]]  # per request: slot -> base index
    limit: list[int]  # per request: most patrols it may get
    unit: list[float]  # per request: request_value
    marginal: list[list[int]]  # per request: scaled value of its k-th patrol, k = 0..limit-1
    stay: list[float]  # per request: hours a patrol stays
    along: list[float]  # per request: road km along its route (0 for one place)
    ends: list[tuple[int, int]]  # per request: indices of its first and last point in `road`
    road: np.ndarray  # points x points: road km between request ends
    base_road: np.ndarray  # bases x points: road km from a base to a request end
    cache: dict[tuple[int, str, tuple[int, ...]], _Trip | None] = field(default_factory=dict)
    clocks: dict[tuple[int, str], tuple[float, float]] = field(default_factory=dict)

    def reach(self, ri: int, bi: int) -> bool:
        return bool(self.km[ri, bi] <= self.bases[bi].max_km)

    def on_foot(self, ri: int, bi: int) -> bool:
        return bool(self.km[ri, bi] <= FOOT_KM)

    def trip(self, bi: int, slot: Slot, members: Sequence[int]) -> _Trip | None:
        """The patrol from base ``bi`` in ``slot`` visiting ``members``, or None if impossible."""
        key = (bi, slot.shift, tuple(sorted(members)))
        if key in self.cache:
            found = self.cache[key]
            return None if found is None else _Trip(bi, slot, *_rest(found))
        made = self._trip(bi, slot, key[2])
        self.cache[key] = made
        return made

    def _trip(self, bi: int, slot: Slot, members: tuple[int, ...]) -> _Trip | None:
        if not members or len(members) > MAX_STOPS or len(set(members)) < len(members):
            return None
        if not all(self.reach(ri, bi) for ri in members):
            return None
        if len(members) > 1 and self._too_long(bi, slot, members):
            return None
        ways = self._ways(bi, members)
        if len(members) > 1 and any(self.clock(ri, slot.shift) != _ANY_TIME for ri in members):
            return self._timed_trip(bi, slot, members, ways)
        best_km, best_order = ways[0][0], ways[0][1]
        stays = sum(self.stay[ri] for ri in members)
        limit = SHIFT_HOURS[slot.shift]
        alone = len(members) == 1
        if all(self.on_foot(ri, bi) for ri in members):
            hours = best_km / FOOT_KMH + stays
            if alone or hours <= limit + 1e-9:
                return _Trip(bi, slot, members, best_order, best_km, hours, False)
        if self.bases[bi].vehicles == 0:
            return None
        hours = best_km / VEHICLE_KMH + stays
        if alone or hours <= limit + 1e-9:
            return _Trip(bi, slot, members, best_order, best_km, hours, True)
        return None

    def _too_long(self, bi: int, slot: Slot, members: tuple[int, ...]) -> bool:
        """Whether a patrol to these requests cannot fit in the shift whatever its way:
        their stays, and the longer of there and back to the farthest of them and their
        routes' own km, at the fastest the base can go, already take longer (a check before
        every way is tried)."""
        base_road = self.base_road
        far: float = max(min(base_road.item(bi, e) for e in self.ends[ri]) for ri in members)
        km = max(2 * far, sum(self.along[ri] for ri in members))
        kmh = VEHICLE_KMH if self.bases[bi].vehicles != 0 else FOOT_KMH
        stays = sum(self.stay[ri] for ri in members)
        return km / kmh + stays > SHIFT_HOURS[slot.shift] + 1e-9

    def _ways(self, bi: int, members: tuple[int, ...]) -> list[_Way]:
        """Every way from base ``bi`` through the requests and back (each order, a route
        request either way round), shortest first (ties: the order listed first)."""
        road, base_road = self.road, self.base_road
        along = sum(self.along[ri] for ri in members)
        ways = []
        for order in itertools.permutations(members):
            # A route request may be taken either way round; a place has one way.
            turns = [(False, True) if self.along[ri] > 0 else (False,) for ri in order]
            for backwards in itertools.product(*turns):
                legs, here = [], -1  # -1: the base
                for ri, back in zip(order, backwards, strict=True):
                    entry, exit_ = self.ends[ri][::-1] if back else self.ends[ri]
                    legs.append(base_road.item(bi, entry) if here < 0 else road.item(here, entry))
                    here = exit_
                legs.append(base_road.item(bi, here))
                ways.append((sum(legs) + along, order, legs))
        ways.sort(key=lambda way: way[0])
        return ways

    def _timed_trip(
        self, bi: int, slot: Slot, members: tuple[int, ...], ways: list[_Way]
    ) -> _Trip | None:
        """A patrol to several requests, one at least with hours asked for: the shortest
        of the ``ways`` with a schedule (see the module's docstring), on foot when it can,
        else by vehicle; None when there is none."""
        shift, limit = slot.shift, SHIFT_HOURS[slot.shift]
        stays = sum(self.stay[ri] for ri in members)
        modes = [(False, FOOT_KMH)] if all(self.on_foot(ri, bi) for ri in members) else []
        if self.bases[bi].vehicles != 0:
            modes.append((True, VEHICLE_KMH))
        for vehicle, kmh in modes:
            if ways[0][0] / kmh + stays > limit + 1e-9:
                continue  # too long even with no wait
            visit = {
                ri: (*self.clock(ri, shift), self.stay[ri] + self.along[ri] / kmh) for ri in members
            }
            best: _Trip | None = None
            for km, order, legs in ways:
                if best is not None and km > best.km + 1e-6:
                    break  # of the ways as short as the first that fits, the fewest hours
                plan = _schedule([visit[ri] for ri in order], [leg / kmh for leg in legs])
                if (
                    plan is not None
                    and plan[0] <= limit + 1e-9
                    and (best is None or plan[0] < best.hours - 1e-9)
                ):
                    best = _Trip(bi, slot, members, order, km, plan[0], vehicle, plan[1])
            if best is not None:
                return best
        return None

    def clock(self, ri: int, shift: str) -> tuple[float, float]:
        """Request ``ri``'s hours on the shift's axis (:func:`_clock`), computed once."""
        key = (ri, shift)
        if key not in self.clocks:
            self.clocks[key] = _clock(self.requests[ri].window, shift)
        return self.clocks[key]


_ANY_TIME = (-1e4, 1e4)


def _clock(window: tuple[float, float] | None, shift: str) -> tuple[float, float]:
    """A request's hours on one axis for the shift, (start, end) with end after start (a
    window whose end is not after its start ends the next day); for the night shift, a
    window that ends by noon is the next morning's. A window whose start and end are the
    same clock hour is the whole day: any time."""
    if window is None or window[0] % 24 == window[1] % 24:
        return _ANY_TIME
    start, end = float(window[0]), float(window[1])
    while end <= start:
        end += 24
    if shift == "night" and end <= 12:
        start, end = start + 24, end + 24
    return start, end


def _schedule(
    visits: Sequence[tuple[float, float, float]], travel: Sequence[float]
) -> tuple[float, tuple[float, ...]] | None:
    """Hours from leaving the base to coming back, and when each visit begins, for visits
    ``(start, end, hours)`` made in order with ``travel[k]`` hours before visit ``k`` and
    ``travel[-1]`` back to the base; None when no schedule keeps every visit within its
    hours (the patrol waits when early). Beginning the first visit as late as the others
    allow gives the shortest time out (the later visits then wait least): that latest
    beginning is found backwards, the schedule then forwards."""
    latest = [0.0] * len(visits)
    bound = math.inf
    for k in range(len(visits) - 1, -1, -1):
        start, end, hours = visits[k]
        latest[k] = min(end, bound) - hours
        if latest[k] < start - 1e-9:
            return None
        bound = latest[k] - travel[k]
    at, begins = latest[0], []
    for k, (start, _end, hours) in enumerate(visits):
        if k:
            at = max(at + travel[k], start)
        begins.append(at)
        at += hours
    return at + travel[-1] - (latest[0] - travel[0]), tuple(begins)


def _rest(
    t: _Trip,
) -> tuple[tuple[int, ...], tuple[int, ...], float, float, bool, tuple[float, ...]]:
    return t.members, t.order, t.km, t.hours, t.vehicle, t.starts


def _check_slot(slot: Slot, where: str) -> None:
    if not (isinstance(slot.day, int) and 0 <= slot.day < DAYS) or slot.shift not in SHIFTS:
        raise ValueError(f"{where}: slot {slot!r} is not a day 0-6 and a shift in {SHIFTS}")


def _named(r: Request) -> str:
    """A request as messages name it: as people know it ("P-12"), else by its id."""
    return r.label or f"request {r.id!r}"


def _problem(bases: Sequence[BaseCapacity], requests: Sequence[Request]) -> _Problem:
    base_index: dict[str, int] = {}
    for bi, b in enumerate(bases):
        if b.id in base_index:
            raise ValueError(f"base id {b.id!r} appears twice")
        if b.day_teams < 0 or b.night_teams < 0 or (b.vehicles is not None and b.vehicles < 0):
            raise ValueError(f"base {b.name} ({b.id}): team and vehicle counts must be >= 0")
        if any(not 0 <= d < DAYS for d in b.unavailable_days):
            raise ValueError(f"base {b.name} ({b.id}): unavailable days must be 0-6")
        base_index[b.id] = bi
    seen: set[str] = set()
    for r in requests:
        where = f"{_named(r)} ({r.community})"
        if r.id in seen:
            raise ValueError(f"request id {r.id!r} appears twice")
        seen.add(r.id)
        if not r.points:
            raise ValueError(f"{where}: it has no point")
        if not 1 <= r.priority <= 5:
            raise ValueError(f"{where}: priority {r.priority} is not 1-5")
        if min(r.wanted, r.risk, r.beneficiaries, r.weeks_unmet, r.done) < 0:
            raise ValueError(
                f"{where}: wanted, risk, beneficiaries, weeks_unmet, done must be >= 0"
            )
        if r.hours is not None and not 0 <= r.hours <= 24:
            raise ValueError(f"{where}: hours {r.hours} is not 0-24")
        if r.window is not None and (len(r.window) != 2 or not all(0 <= h <= 24 for h in r.window)):
            raise ValueError(f"{where}: window {r.window!r} is not two clock hours 0-24")
        for s in r.slots:
            _check_slot(s, where)

    n_req, n_base = len(requests), len(bases)
    km = np.zeros((n_req, n_base))
    ends: list[tuple[int, int]] = []
    along: list[float] = []
    end_points: list[tuple[float, float]] = []
    blocs = np.asarray([(b.lat, b.lon) for b in bases], dtype=float).reshape(-1, 2)
    for ri, r in enumerate(requests):
        pts = np.asarray(r.points, dtype=float).reshape(-1, 2)
        if n_base:
            km[ri] = _great_circle(pts, blocs).max(axis=0)
        legs = sum(haversine_km(*r.points[k], *r.points[k + 1]) for k in range(len(r.points) - 1))
        along.append(ROAD_FACTOR * legs)
        first = len(end_points)
        end_points.append(r.points[0])
        if len(r.points) > 1:
            end_points.append(r.points[-1])
        ends.append((first, len(end_points) - 1))
    ep = np.asarray(end_points, dtype=float).reshape(-1, 2)
    road = ROAD_FACTOR * _great_circle(ep, ep) if len(ep) else np.zeros((0, 0))
    if n_base and len(ep):
        base_road = ROAD_FACTOR * _great_circle(blocs, ep)
    else:
        base_road = np.zeros((n_base, len(ep)))

    p = _Problem(
        bases,
        requests,
        km,
        [],
        [],
        [],
        [],
        [],
        [stay_hours(r) for r in requests],
        along,
        ends,
        road,
        base_road,
    )
    fixed_use: dict[tuple[int, int, str], int] = defaultdict(int)
    fixed_vehicles: dict[tuple[int, int, str], int] = defaultdict(int)
    for ri, r in enumerate(requests):
        where = f"{_named(r)} ({r.community})"
        mine: dict[Slot, int] = {}
        for slot, base_id in r.fixed:
            _check_slot(slot, f"{where}, fixed patrol")
            if base_id not in base_index:
                raise ValueError(f"{where}: fixed patrol from unknown base {base_id!r}")
            bi = base_index[base_id]
            b = bases[bi]
            if slot in mine:
                raise _fix_refused(r, b, slot, "that slot is already fixed for this request")
            if km[ri, bi] > b.max_km:
                raise _fix_refused(
                    r,
                    b,
                    slot,
                    "the request is %(km)s km from %(base)s, beyond its limit of %(limit)s km",
                    km=f"{km[ri, bi]:.0f}",
                    limit=f"{b.max_km:.0f}",
                )
            if slot.day in b.unavailable_days:
                raise _fix_refused(r, b, slot, "%(base)s is unavailable on %(day)s")
            team = (bi, slot.day, slot.shift)
            fixed_use[team] += 1
            if fixed_use[team] > b.teams(slot.day, slot.shift):
                raise _fix_refused(
                    r,
                    b,
                    slot,
                    "%(base)s has %(n)d %(shift)s team on %(day)s, fewer than the patrols "
                    "fixed there",
                    "%(base)s has %(n)d %(shift)s teams on %(day)s, fewer than the patrols "
                    "fixed there",
                    n=b.teams(slot.day, slot.shift),
                )
            alone = p.trip(bi, slot, (ri,))
            if alone is None:
                raise _fix_refused(
                    r,
                    b,
                    slot,
                    "the request is %(km)s km from %(base)s, beyond %(foot)s km on foot, and "
                    "%(base)s has no vehicle",
                    km=f"{km[ri, bi]:.0f}",
                    foot=f"{FOOT_KM:g}",
                )
            if alone.vehicle:
                fixed_vehicles[team] += 1
                if fixed_vehicles[team] > b.vehicles_for(slot.day, slot.shift):
                    raise _fix_refused(
                        r,
                        b,
                        slot,
                        "%(base)s has %(n)d vehicle for the %(shift)s shift on %(day)s, fewer "
                        "than the fixed patrols beyond %(foot)s km",
                        "%(base)s has %(n)d vehicles for the %(shift)s shift on %(day)s, fewer "
                        "than the fixed patrols beyond %(foot)s km",
                        n=b.vehicles_for(slot.day, slot.shift),
                        foot=f"{FOOT_KM:g}",
                    )
            mine[slot] = bi
        distinct = sorted(set(r.slots) | set(mine))
        p.slots.append(distinct)
        p.fixed.append(mine)
        n_max = min(len(distinct), max(r.wanted, len(mine)))
        p.limit.append(n_max)
        v = request_value(r)
        p.unit.append(v)
        p.marginal.append([round(v * DECAY**k * SCALE) for k in range(n_max)])
    return p


# --- possible patrols ---------------------------------------------------------------------


def _open_slots(p: _Problem, ri: int) -> list[Slot]:
    """Slots a patrol may cover for request ``ri``: its fixed ones, and the others while it
    may get more patrols than those fixed."""
    if p.limit[ri] > len(p.fixed[ri]):
        return list(p.slots[ri])
    return sorted(p.fixed[ri])


def _allowed(p: _Problem, trip: _Trip) -> bool:
    """Vehicles exist for it; a fixed (request, slot) is only with its base, one per patrol."""
    d, s = trip.slot.day, trip.slot.shift
    if trip.vehicle and p.bases[trip.base].vehicles_for(d, s) <= 0:
        return False
    fixed_here = 0
    for ri in trip.members:
        bi = p.fixed[ri].get(trip.slot)
        if bi is not None:
            if bi != trip.base:
                return False
            fixed_here += 1
    return fixed_here <= 1


def _candidates(p: _Problem) -> list[_Trip]:
    """Every possible patrol: each request alone, then pairs and triples of requests."""
    asking: dict[Slot, list[int]] = defaultdict(list)
    for ri in range(len(p.requests)):
        for slot in _open_slots(p, ri):
            asking[slot].append(ri)
    out: list[_Trip] = []
    for slot in sorted(asking):
        d, s = slot.day, slot.shift
        limit = SHIFT_HOURS[s]
        for bi, b in enumerate(p.bases):
            if b.teams(d, s) <= 0:
                continue
            members: list[int] = []
            for ri in asking[slot]:
                if not p.reach(ri, bi):
                    continue
                alone = p.trip(bi, slot, (ri,))
                if alone is not None and _allowed(p, alone):
                    out.append(alone)
                    members.append(ri)
            if len(members) < 2 or MAX_STOPS < 2:
                continue
            # Pairs: the shortest way through two requests, for all pairs at once.
            idx = np.asarray(members)
            first = np.asarray([p.ends[ri][0] for ri in members])
            last = np.asarray([p.ends[ri][1] for ri in members])
            along = np.asarray([p.along[ri] for ri in members])
            stays = np.asarray([p.stay[ri] for ri in members])
            foot = p.km[idx, bi] <= FOOT_KM
            best = np.full((len(members), len(members)), np.inf)
            for a_in, a_out in ((first, last), (last, first)):
                for b_in, b_out in ((first, last), (last, first)):
                    km = (
                        p.base_road[bi, a_in][:, None]
                        + p.road[np.ix_(a_out, b_in)]
                        + p.base_road[bi, b_out][None, :]
                    )
                    best = np.minimum(best, np.minimum(km, km.T))
            best += along[:, None] + along[None, :]
            stay2 = stays[:, None] + stays[None, :]
            both_foot = foot[:, None] & foot[None, :]
            ok = both_foot & (best / FOOT_KMH + stay2 <= limit + 1e-6)
            if b.vehicles != 0:
                ok |= best / VEHICLE_KMH + stay2 <= limit + 1e-6
            ok = np.triu(ok, 1)
            pairs: dict[int, set[int]] = defaultdict(set)
            for i, j in zip(*np.nonzero(ok), strict=True):
                ri, rj = members[int(i)], members[int(j)]
                trip = p.trip(bi, slot, (ri, rj))
                if trip is not None and _allowed(p, trip):
                    out.append(trip)
                    pairs[ri].add(rj)
            if MAX_STOPS < 3:
                continue
            for ri in sorted(pairs):
                for rj in sorted(pairs[ri]):
                    for rk in sorted(pairs[ri] & pairs.get(rj, set())):
                        trip = p.trip(bi, slot, (ri, rj, rk))
                        if trip is not None and _allowed(p, trip):
                            out.append(trip)
    return out


# --- building a Plan ----------------------------------------------------------------------


def _fixed_trips(p: _Problem) -> list[_Trip]:
    out = []
    for ri, mine in enumerate(p.fixed):
        for slot, bi in mine.items():
            trip = p.trip(bi, slot, (ri,))
            assert trip is not None  # checked by _problem
            out.append(trip)
    return out


def _counts(p: _Problem, trips: Sequence[_Trip]) -> list[int]:
    counts = [0] * len(p.requests)
    for t in trips:
        for ri in t.members:
            counts[ri] += 1
    return counts


def _value(p: _Problem, trips: Sequence[_Trip]) -> float:
    counts = _counts(p, trips)
    return sum((covered_value(r, counts[ri]) for ri, r in enumerate(p.requests)), 0.0)


def _is_fixed(p: _Problem, t: _Trip) -> bool:
    return any(p.fixed[ri].get(t.slot) == t.base for ri in t.members)


def _build_plan(
    p: _Problem,
    trips: Sequence[_Trip],
    status: str,
    solve_s: float,
    *,
    greedy_value: float | None,
    bound: float | None = None,
    time_limit_s: float | None = None,
) -> Plan:
    counts = _counts(p, trips)
    use: dict[tuple[str, int, str], int] = {
        (b.id, d, s): 0 for b in p.bases for d in range(DAYS) for s in SHIFTS
    }
    vehicle_use = dict(use)
    ordered = sorted(trips, key=lambda t: (t.slot, t.base, t.order))
    routes: list[Route] = []
    assignments: list[Assignment] = []
    for k, t in enumerate(ordered):
        base = p.bases[t.base]
        use[(base.id, t.slot.day, t.slot.shift)] += 1
        vehicle_use[(base.id, t.slot.day, t.slot.shift)] += int(t.vehicle)
        routes.append(
            Route(
                base=base.id,
                slot=t.slot,
                requests=tuple(p.requests[ri].id for ri in t.order),
                km=round(t.km, 3),
                hours=round(t.hours, 3),
                vehicle=t.vehicle,
                fixed=_is_fixed(p, t),
                starts=tuple(round(h, 4) % 24 for h in t.starts),
            )
        )
        for ri in t.order:
            assignments.append(
                Assignment(
                    request=p.requests[ri].id,
                    slot=t.slot,
                    base=base.id,
                    km=round(float(p.km[ri, t.base]), 3),
                    fixed=p.fixed[ri].get(t.slot) == t.base,
                    patrol=k,
                )
            )
    value = _value(p, trips)
    plan = Plan(
        assignments=tuple(assignments),
        value=value,
        status=status,
        solve_s=solve_s,
        explanations={},
        scheduled={r.id: counts[ri] for ri, r in enumerate(p.requests)},
        greedy_value=value if greedy_value is None else greedy_value,
        bound=bound,
        time_limit_s=time_limit_s,
        travel_km=round(sum((t.km for t in ordered), 0.0), 3),
        use=use,
        routes=tuple(routes),
        vehicle_use=vehicle_use,
        _explainer=lambda words: _explain(p, ordered, counts, plan, words),
    )
    plan.explanations.update(_explain(p, ordered, counts, plan))
    return plan


# --- greedy -------------------------------------------------------------------------------


def _greedy(p: _Problem) -> list[_Trip]:
    trips = _fixed_trips(p)
    teams = {
        (bi, d, s): p.bases[bi].teams(d, s)
        for bi in range(len(p.bases))
        for d in range(DAYS)
        for s in SHIFTS
    }
    vehicles = {key: p.bases[key[0]].vehicles_for(key[1], key[2]) for key in teams}
    by_slot: dict[Slot, list[int]] = defaultdict(list)  # slot -> indices into trips
    for k, t in enumerate(trips):
        teams[(t.base, t.slot.day, t.slot.shift)] -= 1
        vehicles[(t.base, t.slot.day, t.slot.shift)] -= int(t.vehicle)
        by_slot[t.slot].append(k)
    near: list[list[int]] = []
    for ri in range(len(p.requests)):
        order = np.argsort(p.km[ri], kind="stable")
        near.append([int(bi) for bi in order if p.reach(ri, int(bi))])
    counts = [len(f) for f in p.fixed]
    open_slots = [[s for s in p.slots[ri] if s not in p.fixed[ri]] for ri in range(len(p.requests))]
    heap = [
        (-p.marginal[ri][counts[ri]], ri)
        for ri in range(len(p.requests))
        if counts[ri] < p.limit[ri] and near[ri] and open_slots[ri]
    ]
    heapq.heapify(heap)
    while heap:
        _, ri = heapq.heappop(heap)
        join: tuple[int, _Trip] | None = None  # (index of the trip joined, the trip after)
        new: _Trip | None = None
        dead: list[Slot] = []
        for slot in open_slots[ri]:
            d, s = slot.day, slot.shift
            best_added = math.inf
            for k in by_slot[slot]:
                t = trips[k]
                if len(t.members) >= MAX_STOPS or not p.reach(ri, t.base):
                    continue
                after = p.trip(t.base, slot, (*t.members, ri))
                if after is None or not _allowed(p, after):
                    continue
                if after.vehicle and not t.vehicle and vehicles[(t.base, d, s)] <= 0:
                    continue
                if after.km - t.km < best_added - 1e-9:
                    best_added, join = after.km - t.km, (k, after)
            if join is not None:
                break
            possible = False
            for bi in near[ri]:
                if teams[(bi, d, s)] <= 0:
                    continue
                alone = p.trip(bi, slot, (ri,))
                if alone is None or (alone.vehicle and vehicles[(bi, d, s)] <= 0):
                    continue
                possible = True
                if new is None:
                    new = alone
                break
            if not possible:
                dead.append(slot)
        if join is not None:
            k, after = join
            before = trips[k]
            trips[k] = after
            if after.vehicle and not before.vehicle:
                vehicles[(after.base, after.slot.day, after.slot.shift)] -= 1
            chosen = after.slot
        elif new is not None:
            key = (new.base, new.slot.day, new.slot.shift)
            teams[key] -= 1
            vehicles[key] -= int(new.vehicle)
            by_slot[new.slot].append(len(trips))
            trips.append(new)
            chosen = new.slot
        else:
            continue
        counts[ri] += 1
        open_slots[ri] = [s for s in open_slots[ri] if s != chosen and s not in dead]
        if counts[ri] < p.limit[ri] and open_slots[ri]:
            heapq.heappush(heap, (-p.marginal[ri][counts[ri]], ri))
    return trips


def greedy_plan(bases: Sequence[BaseCapacity], requests: Sequence[Request]) -> Plan:
    """The baseline: the most valuable next patrol first, joining a planned patrol when it
    can, else to the nearest base with a team (and a vehicle if needed) left."""
    start = time.perf_counter()
    p = _problem(bases, requests)
    trips = _greedy(p)
    return _build_plan(p, trips, "greedy", time.perf_counter() - start, greedy_value=None)


# --- CP-SAT -------------------------------------------------------------------------------


def _nearest_bases(p: _Problem, trips: list[_Trip]) -> list[_Trip]:
    """Re-send each (day, shift)'s patrols, not fixed, from the free teams with least km."""
    by_slot: dict[Slot, list[int]] = defaultdict(list)
    kept: list[_Trip] = []
    for k, t in enumerate(trips):
        if _is_fixed(p, t):
            kept.append(t)
        else:
            by_slot[t.slot].append(k)
    taken: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for t in kept:
        taken[(t.base, t.slot.day, t.slot.shift)][0] += 1
        taken[(t.base, t.slot.day, t.slot.shift)][1] += int(t.vehicle)
    out = list(kept)
    for slot in sorted(by_slot):
        d, s = slot.day, slot.shift
        mine = [trips[k] for k in by_slot[slot]]
        teams: list[tuple[int, bool]] = []  # (base, with a vehicle)
        for bi, b in enumerate(p.bases):
            n_teams = b.teams(d, s) - taken[(bi, d, s)][0]
            n_vehicles = min(n_teams, b.vehicles_for(d, s) - taken[(bi, d, s)][1])
            teams.extend([(bi, True)] * max(0, n_vehicles))
            teams.extend([(bi, False)] * max(0, n_teams - max(0, n_vehicles)))
        options: dict[tuple[int, int], _Trip] = {}
        cost = np.full((len(mine), len(teams)), 1e9)
        for i, t in enumerate(mine):
            for bi in {bi for bi, _ in teams}:
                other = t if bi == t.base else p.trip(bi, slot, t.members)
                if other is None or not _allowed(p, other):
                    continue
                options[(i, bi)] = other
                for j, (bj, car) in enumerate(teams):
                    if bj == bi and (car or not other.vehicle):
                        cost[i, j] = other.km
        rows, cols = linear_sum_assignment(cost)
        if len(rows) < len(mine) or cost[rows, cols].max(initial=0.0) >= 1e9:
            out.extend(mine)  # cannot happen for a feasible plan; keep the solver's bases
            continue
        for i, j in zip(rows, cols, strict=True):
            out.append(options[(int(i), teams[j][0])])
    return out


def plan_week(
    bases: Sequence[BaseCapacity],
    requests: Sequence[Request],
    *,
    time_limit_s: float = 5.0,
    workers: int = 1,
    seed: int = 0,
) -> Plan:
    """Next week's plan: the most value within the bases' capacity, every gap explained."""
    start = time.perf_counter()
    p = _problem(bases, requests)
    greedy = _greedy(p)
    greedy_value = _value(p, greedy)

    trips = _candidates(p)
    index: dict[tuple[int, Slot, tuple[int, ...]], int] = {}
    for k, t in enumerate(trips):
        index[(t.base, t.slot, t.members)] = k
    for t in greedy:  # the hint's patrols are possible patrols: make sure they are listed
        if (t.base, t.slot, t.members) not in index:
            index[(t.base, t.slot, t.members)] = len(trips)
            trips.append(t)

    model = cp_model.CpModel()
    z = [model.new_bool_var(f"z{k}") for k in range(len(trips))]
    per_slot: dict[tuple[int, Slot], list[int]] = defaultdict(list)
    per_team: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    per_request: dict[int, list[int]] = defaultdict(list)
    per_fixed: dict[tuple[int, Slot], list[int]] = defaultdict(list)
    for k, t in enumerate(trips):
        per_team[(t.base, t.slot.day, t.slot.shift)].append(k)
        for ri in t.members:
            per_slot[(ri, t.slot)].append(k)
            per_request[ri].append(k)
            if p.fixed[ri].get(t.slot) == t.base:
                per_fixed[(ri, t.slot)].append(k)
    for ks in per_slot.values():
        if len(ks) > 1:
            model.add_at_most_one(z[k] for k in ks)
    for ri, mine in enumerate(p.fixed):
        for slot in mine:
            model.add_exactly_one(z[k] for k in per_fixed[(ri, slot)])
    for (bi, d, s), ks in per_team.items():
        teams = p.bases[bi].teams(d, s)
        if len(ks) > teams:
            model.add(sum(z[k] for k in ks) <= teams)
        cars = [k for k in ks if trips[k].vehicle]
        if len(cars) > p.bases[bi].vehicles_for(d, s):
            model.add(sum(z[k] for k in cars) <= p.bases[bi].vehicles_for(d, s))
    terms: list[tuple[cp_model.IntVar, int]] = []
    y_of: dict[int, list[cp_model.IntVar]] = {}
    for ri, ks in per_request.items():
        n = min(p.limit[ri], len({trips[k].slot for k in ks}))
        ys = [model.new_bool_var(f"y_{ri}_{k}") for k in range(n)]
        y_of[ri] = ys
        model.add(sum(z[k] for k in ks) == sum(ys))
        for k in range(1, n):
            model.add_implication(ys[k], ys[k - 1])
        terms.extend((ys[k], p.marginal[ri][k]) for k in range(n))
    model.maximize(sum(coef * var for var, coef in terms))

    chosen_hint = {index[(t.base, t.slot, t.members)] for t in greedy}
    for k, var in enumerate(z):
        model.add_hint(var, k in chosen_hint)
    greedy_counts = _counts(p, greedy)
    for ri, ys in y_of.items():
        for k, var in enumerate(ys):
            model.add_hint(var, k < greedy_counts[ri])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.random_seed = seed
    # What finds and proves good plans here is the linear relaxation: branch on it (one
    # worker, LP-guided search, the stronger linearisation). A portfolio of two workers
    # found plans 1-5 % worse in the same time on the bench's instances.
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.search_branching = cp_model.LP_SEARCH
    solver.parameters.linearization_level = 2
    # Probing in the presolve took 1-3 s of the time on 20 bases x 500 requests and did
    # not shorten the search (measured on bench seeds 1-3, checked on seeds 11-14).
    solver.parameters.cp_model_probing_level = 0
    # Interleaved search is deterministic whatever the number of workers.
    solver.parameters.interleave_search = workers > 1
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _build_plan(
            p,
            greedy,
            "greedy",
            time.perf_counter() - start,
            greedy_value=greedy_value,
            time_limit_s=time_limit_s,
        )
    chosen = [t for k, t in enumerate(trips) if solver.boolean_value(z[k])]
    chosen = _nearest_bases(p, chosen)
    return _build_plan(
        p,
        chosen,
        "optimal" if code == cp_model.OPTIMAL else "feasible",
        time.perf_counter() - start,
        greedy_value=greedy_value,
        bound=solver.best_objective_bound / SCALE,
        time_limit_s=time_limit_s,
    )


# --- explanations -------------------------------------------------------------------------


class Words(words.Words):
    """How explanations are worded (``lib.words``): in English here, with the days and
    shifts; ``patrols.wording`` gives them in the reader's language."""

    def day(self, day: int) -> str:
        return DAY_NAMES[day]

    def shift(self, shift: str) -> str:
        """The shift as it qualifies a team or a patrol ("night" in "night team")."""
        return shift


ENGLISH = Words()


class Refused(words.Refused):
    """A patrol the officer fixed that the plan cannot keep (``lib.words.Refused``, worded
    with the planner's days and shifts)."""

    def __init__(self, *, say: Callable[[Words], str]) -> None:
        super().__init__(say(ENGLISH), say=say)  # type: ignore[arg-type]


def _fix_refused(
    r: Request,
    b: BaseCapacity,
    slot: Slot,
    message: str,
    plural: str | None = None,
    *,
    n: int = 0,
    **values: object,
) -> Refused:
    """Why request ``r``'s patrol fixed from base ``b`` in ``slot`` cannot be kept: its
    ``message`` (singular and ``plural`` when it counts ``n``) after the fix it refuses."""

    def say(w: Words) -> str:
        facts = {"base": b.name, "day": w.day(slot.day), "shift": w.shift(slot.shift)}
        head = w.text(
            "%(request)s (%(community)s): fixed patrol from %(base)s on the %(shift)s shift "
            "on %(day)s",
            request=_named(r),
            community=r.community,
            **facts,
        )
        if plural is None:
            why = w.text(message, **facts, **values)
        else:
            why = w.count(message, plural, n, **facts, **values)
        return w.text("%(fix)s: %(why)s", fix=head, why=why)

    return Refused(say=say)


# What a request asked for, by kind: (n patrols, n more patrols), each singular and plural.
_PATROLS: dict[str | None, tuple[tuple[str, str], tuple[str, str]]] = {
    "night": (
        ("%(n)d night patrol", "%(n)d night patrols"),
        ("%(n)d more night patrol", "%(n)d more night patrols"),
    ),
    "market": (
        ("%(n)d market patrol", "%(n)d market patrols"),
        ("%(n)d more market patrol", "%(n)d more market patrols"),
    ),
    "firewood": (
        ("%(n)d firewood patrol", "%(n)d firewood patrols"),
        ("%(n)d more firewood patrol", "%(n)d more firewood patrols"),
    ),
    "water_point": (
        ("%(n)d water-point patrol", "%(n)d water-point patrols"),
        ("%(n)d more water-point patrol", "%(n)d more water-point patrols"),
    ),
    "route": (
        ("%(n)d route patrol", "%(n)d route patrols"),
        ("%(n)d more route patrol", "%(n)d more route patrols"),
    ),
    "escort": (
        ("%(n)d escort patrol", "%(n)d escort patrols"),
        ("%(n)d more escort patrol", "%(n)d more escort patrols"),
    ),
    None: (("%(n)d patrol", "%(n)d patrols"), ("%(n)d more patrol", "%(n)d more patrols")),
}


# The patrols that took a team (False) or a vehicle (True), after what was not free.
_TAKEN: dict[bool, tuple[str, str]] = {
    False: ("%(head)s: %(n)d %(shift)s patrol", "%(head)s: %(n)d %(shift)s patrols"),
    True: (
        "%(head)s: %(n)d %(shift)s patrol by vehicle",
        "%(head)s: %(n)d %(shift)s patrols by vehicle",
    ),
}


def _explain(
    p: _Problem, trips: Sequence[_Trip], counts: list[int], plan: Plan, w: Words = ENGLISH
) -> dict[str, tuple[str, ...]]:
    at: dict[tuple[int, int, str], list[_Trip]] = defaultdict(list)  # team -> patrols
    covered: set[tuple[int, Slot]] = set()
    for t in trips:
        at[(t.base, t.slot.day, t.slot.shift)].append(t)
        covered.update((ri, t.slot) for ri in t.members)

    out: dict[str, tuple[str, ...]] = {}
    for ri, r in enumerate(p.requests):
        if counts[ri] >= r.wanted:
            continue
        some, more = _PATROLS.get(r.kind, _PATROLS[None])
        got = counts[ri]
        if r.done:
            asked = w.count(*more, r.wanted)
            said = (
                w.text(
                    "%(community)s requested %(patrols)s (%(done)d earlier in the week), "
                    "none scheduled",
                    community=r.community,
                    patrols=asked,
                    done=r.done,
                )
                if got == 0
                else w.count(
                    "%(community)s requested %(patrols)s (%(done)d earlier in the week), "
                    "%(n)d scheduled",
                    "%(community)s requested %(patrols)s (%(done)d earlier in the week), "
                    "%(n)d scheduled",
                    got,
                    community=r.community,
                    patrols=asked,
                    done=r.done,
                )
            )
        else:
            asked = w.count(*some, r.wanted)
            said = (
                w.text(
                    "%(community)s requested %(patrols)s, none scheduled",
                    community=r.community,
                    patrols=asked,
                )
                if got == 0
                else w.count(
                    "%(community)s requested %(patrols)s, %(n)d scheduled",
                    "%(community)s requested %(patrols)s, %(n)d scheduled",
                    got,
                    community=r.community,
                    patrols=asked,
                )
            )
        reasons = [said]
        listed = len(set(r.slots))
        if listed == 0:
            reasons.append(w.text("no slot was asked for"))
        elif listed < r.wanted:
            reasons.append(
                w.count(
                    "only %(n)d distinct slot was asked for",
                    "only %(n)d distinct slots were asked for",
                    listed,
                )
            )
        reach = [bi for bi in range(len(p.bases)) if p.reach(ri, bi)]
        if not p.bases:
            reasons.append(w.text("no base is in the plan"))
        elif not reach:
            nearest = min(range(len(p.bases)), key=lambda bi: (p.km[ri, bi], bi))
            b = p.bases[nearest]
            far, limit = float(p.km[ri, nearest]), b.max_km
            # As few digits as show the gap: never "40 km away (limit 40 km)".
            digits = next((k for k in range(3) if round(far, k) > round(limit, k)), 3)
            reasons.append(
                w.text(
                    "no base within reach: the nearest, %(base)s, is %(far)s km away "
                    "(limit %(limit)s km)",
                    base=b.name,
                    far=w.figure(f"{far:.{digits}f}"),
                    limit=w.figure(f"{limit:.{digits}f}"),
                )
            )
        elif counts[ri] < p.limit[ri]:
            reasons.extend(_slot_reasons(p, covered, counts, ri, reach, at, plan, w))
        out[r.id] = tuple(reasons)
    return out


_Bases = tuple[int, ...]  # base indices


def _slot_reasons(
    p: _Problem,
    covered: set[tuple[int, Slot]],
    counts: list[int],
    ri: int,
    reach: list[int],
    at: dict[tuple[int, int, str], list[_Trip]],
    plan: Plan,
    w: Words,
) -> list[str]:
    own_next = p.marginal[ri][counts[ri]]
    # (shift, unavailable, no team, all out on record, no vehicle, full, vehicles out, free)
    # -> days
    groups: dict[tuple[str, _Bases, _Bases, _Bases, _Bases, _Bases, _Bases, _Bases], list[int]]
    groups = defaultdict(list)
    for slot in p.slots[ri]:
        if (ri, slot) in covered:
            continue
        d, s = slot.day, slot.shift
        unavailable = tuple(bi for bi in reach if d in p.bases[bi].unavailable_days)
        rest = [bi for bi in reach if bi not in unavailable]
        none_left = [bi for bi in rest if p.bases[bi].teams(d, s) == 0]
        all_out = tuple(bi for bi in none_left if p.bases[bi].out_on_record(d, s))
        no_team = tuple(bi for bi in none_left if bi not in all_out)
        staffed = [bi for bi in rest if bi not in none_left]
        needs_car = {bi for bi in staffed if not p.on_foot(ri, bi)}
        no_car = tuple(bi for bi in staffed if bi in needs_car and p.bases[bi].vehicles == 0)
        staffed = [bi for bi in staffed if bi not in no_car]
        full = tuple(bi for bi in staffed if len(at[(bi, d, s)]) >= p.bases[bi].teams(d, s))
        cars_out = tuple(
            bi
            for bi in staffed
            if bi not in full
            and bi in needs_car
            and sum(t.vehicle for t in at[(bi, d, s)]) >= p.bases[bi].vehicles_for(d, s)
        )
        free = tuple(bi for bi in staffed if bi not in full and bi not in cars_out)
        groups[(s, unavailable, no_team, all_out, no_car, full, cars_out, free)].append(d)

    def names(bases: _Bases, last: str = "and") -> str:
        return w.join([p.bases[bi].name for bi in bases], last)

    reasons: list[str] = []
    for key, days in groups.items():
        shift, unavailable, no_team, all_out, no_car, full, cars_out, free = key
        days = sorted(set(days))
        said = {"days": w.join([w.day(d) for d in days]), "shift": w.shift(shift)}
        parts: list[str] = []
        if unavailable:
            parts.append(
                w.count(
                    "%(bases)s is unavailable on %(days)s",
                    "%(bases)s are unavailable on %(days)s",
                    len(unavailable),
                    bases=names(unavailable),
                    **said,
                )
            )
        if no_team:
            parts.append(
                w.count(
                    "%(bases)s has no %(shift)s team",
                    "%(bases)s have no %(shift)s team",
                    len(no_team),
                    bases=names(no_team),
                    **said,
                )
            )
        if all_out:
            parts.append(
                w.text(
                    "every %(shift)s team of %(bases)s is out on %(days)s on patrols "
                    "already recorded",
                    bases=names(all_out),
                    **said,
                )
            )
        if no_car:
            parts.append(
                w.count(
                    "%(bases)s has no vehicle and %(community)s is beyond %(km)s km on foot",
                    "%(bases)s have no vehicle and %(community)s is beyond %(km)s km on foot",
                    len(no_car),
                    bases=names(no_car),
                    community=p.requests[ri].community,
                    km=f"{FOOT_KM:g}",
                )
            )
        if full:
            head = w.text(
                "no %(shift)s team free on %(days)s at %(bases)s", bases=names(full, "or"), **said
            )
            taken = [t for d in days for bi in full for t in at[(bi, d, shift)]]
            parts.append(_taken_words(p, counts, own_next, head, shift, False, taken, w))
            earlier = sum(p.bases[bi].out_on_record(d, shift) for d in days for bi in full)
            if earlier:
                parts[-1] += w.count(
                    ", and %(n)d team out on patrols already recorded",
                    ", and %(n)d teams out on patrols already recorded",
                    earlier,
                )
        if cars_out:
            head = w.text(
                "no vehicle free on %(days)s at %(bases)s", bases=names(cars_out, "or"), **said
            )
            taken = [t for d in days for bi in cars_out for t in at[(bi, d, shift)] if t.vehicle]
            earlier = sum(
                p.bases[bi].out_on_record(d, shift, vehicles=True) for d in days for bi in cars_out
            )
            if not taken:  # every vehicle is out on patrols recorded before this plan
                parts.append(
                    w.text("%(head)s: every vehicle is out on patrols already recorded", head=head)
                )
            else:
                parts.append(_taken_words(p, counts, own_next, head, shift, True, taken, w))
                if earlier:
                    parts[-1] += w.count(
                        ", and %(n)d vehicle out on patrols already recorded",
                        ", and %(n)d vehicles out on patrols already recorded",
                        earlier,
                    )
        if free:
            if plan.status != "feasible":
                stop = w.text("but the plan did not use it")
            elif plan.time_limit_s is not None:
                stop = w.text(
                    "but the solver stopped at its %(limit)s s time limit before proving "
                    "the plan optimal",
                    limit=f"{plan.time_limit_s:g}",
                )
            else:
                stop = w.text(
                    "but the solver stopped at its time limit before proving the plan optimal"
                )
            parts.append(
                w.text(
                    "a %(shift)s team was still free on %(days)s at %(bases)s, %(stop)s",
                    bases=names(free, "or"),
                    stop=stop,
                    **said,
                )
            )
        reasons.append("; ".join(parts))
    return reasons


def _trip_worth(p: _Problem, counts: list[int], t: _Trip) -> int:
    """What the plan would lose without this patrol (scaled): each of its requests its last
    patrol's value."""
    return sum(p.marginal[rj][counts[rj] - 1] for rj in t.members)


def _taken_words(
    p: _Problem,
    counts: list[int],
    own_next: int,
    head: str,
    shift: str,
    by_vehicle: bool,
    taken: list[_Trip],
    w: Words,
) -> str:
    given = [t for t in taken if not _is_fixed(p, t)]
    fixed = [t for t in taken if _is_fixed(p, t)]
    n = len(taken)
    head = w.count(*_TAKEN[by_vehicle], n, head=head, shift=w.shift(shift))
    alone = not (given and fixed)
    parts: list[str] = []
    if given:
        one = sum(len(t.members) for t in given) == 1
        worth = [_trip_worth(p, counts, t) for t in given]
        if all(x > own_next for x in worth):
            whom = w.text("a higher-value request" if one else "higher-value requests")
        elif all(x >= own_next for x in worth):
            whom = w.text(
                "a request of equal or higher value" if one else "requests of equal or higher value"
            )
        else:
            whom = w.text("another request" if one else "other requests")
        ranked: list[int] = []
        for _x, t in sorted(zip(worth, given, strict=True), key=lambda wt: (-wt[0], wt[1].members)):
            ranked.extend(sorted(t.members, key=lambda rj: (-p.marginal[rj][counts[rj] - 1], rj)))
        parts.append(
            w.count(
                "given to %(whom)s (%(communities)s)",
                "given to %(whom)s (%(communities)s)",
                n if alone else len(given),
                whom=whom,
                communities=_communities(p, ranked, w),
            )
        )
    if fixed:
        names = sorted(rj for t in fixed for rj in t.members if p.fixed[rj].get(t.slot) == t.base)
        parts.append(
            w.count(
                "fixed by the officer (%(communities)s)",
                "fixed by the officer (%(communities)s)",
                n if alone else len(fixed),
                communities=_communities(p, names, w),
            )
        )
    if alone:
        if n == 1:
            return w.text("%(head)s, %(part)s", head=head, part=parts[0])
        if n == 2:
            return w.text("%(head)s, both %(part)s", head=head, part=parts[0])
        return w.text("%(head)s, all %(part)s", head=head, part=parts[0])
    return w.text(
        "%(head)s: %(given)d %(one)s, %(fixed)d %(other)s",
        head=head,
        given=len(given),
        one=parts[0],
        fixed=len(fixed),
        other=parts[1],
    )


def _communities(p: _Problem, ranked: list[int], w: Words) -> str:
    """Up to 3 distinct community names, in the given order, and how many more."""
    names: list[str] = []
    for rj in ranked:
        if p.requests[rj].community not in names:
            names.append(p.requests[rj].community)
    more = len(names) - 3
    shown = ", ".join(names[:3])
    return shown + (w.count(" and %(n)d more", " and %(n)d more", more) if more > 0 else "")
