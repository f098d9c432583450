"""The weekly patrol plan: which requested patrol slots to cover, from which base (no Django import).

Communities ask the mission for patrols: a market patrol on Tuesday mornings, a
firewood patrol three days a week, night patrols around a camp. Each base has a
few teams per shift, cannot go farther than a set distance and is sometimes
unavailable for a whole day. Every week there are more slots asked for than
teams to cover them, so the planner chooses, and says why it left each request
out.

Slots
    A week is :data:`DAYS` days (0 = Monday) of two shifts (:data:`SHIFTS`). A
    *slot* is one (day, shift). A request lists the slots it asks for this week
    (duplicates count once) and ``wanted``, how many of them the community asks
    to be covered. A *patrol* is one slot of one request given to one base.

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
    plan is the sum over requests. The solver and the greedy baseline use
    exactly this function, and a plan's ``value`` is always computed with it
    (in floating point) from the plan's patrols.

Constraints
    * A slot of a request is covered at most once (by one base).
    * A request gets at most ``wanted`` patrols (or as many as the officer
      fixed, when that is more; never more than its distinct slots).
    * A base's patrols in one (day, shift) are at most its teams for that
      shift, and none on its unavailable days.
    * A base covers a request only if every point of the request (the place,
      or each place along a route) is within the base's ``max_km`` (great
      circle distance, haversine). A patrol's ``km`` is the distance from the
      base to the request's farthest point.
    * Patrols fixed by the officer (``Request.fixed``) are in the plan and
      use their base's capacity. A fixed patrol may be on a slot the request
      did not list. A fixed patrol that cannot be (unknown base, base out of
      reach or unavailable that day, more fixed patrols than teams, the same
      slot fixed twice) raises :class:`ValueError` naming it.

Solver
    :func:`plan_week` builds a CP-SAT model (OR-Tools): a boolean per
    (request, slot, base) that is possible, at most one per (request, slot),
    at most the teams left per (base, day, shift); per request, booleans
    ``y_1 >= y_2 >= ...`` for its 1st, 2nd... extra patrols, their sum equal
    to its patrols. The objective is the sum of each ``y_k`` times the value
    of that patrol, scaled by :data:`SCALE` (1000) and rounded to an integer
    (a thousandth of a value unit). The greedy plan is given as a hint. The
    search runs with ``workers`` workers and ``random_seed`` = ``seed``, in
    interleaved mode (deterministic: the same inputs and seed give the same
    plan, whatever the number of workers, as long as the solver finishes
    before the time limit), and stops at ``time_limit_s`` seconds. Status
    ``optimal`` means proven optimal for the rounded values; ``feasible``
    means the time limit came first (the best plan found, never worse than
    the greedy hint in the rounded values). If the solver returns no plan at all, the
    greedy plan is returned with status ``greedy``.

    The problem is a transportation problem with concave gains (a min-cost
    flow: request -> its slots -> (base, day, shift) teams), so its linear
    relaxation is integral and the LP alone proves the optimum. CP-SAT's
    presolve is turned off (its dual reductions weaken that relaxation: the
    bound then stalls a few percent above the optimum) and only its LP-based
    subsolvers run; 500 requests on 20 bases are solved to optimality in
    about half a second.

Travel
    Which base covers a slot does not change the value, so travel is not in
    the objective (a penalty would trade value for kilometres). Instead, once
    the covered slots are chosen, each (day, shift) is re-matched to the bases'
    free teams with the fewest total kilometres (an assignment problem, solved
    exactly with ``scipy.optimize.linear_sum_assignment``). The covered slots
    and the value stay the same; patrols go to the nearer base where
    capacity allows.

Greedy baseline
    :func:`greedy_plan` takes the fixed patrols, then repeatedly takes the
    request whose next patrol is worth the most (ties: input order), gives its
    first listed slot that some reachable base still has a team for to the
    nearest such base, and drops the request when none of its slots can be
    covered any more (capacity only goes down). It is what a planner does by
    hand, and the solver's hint.

Explanations
    Every request with fewer patrols than it wanted gets reasons, in words. The
    first says how many it asked and how many it got (``"Kibirizi requested 3
    night patrols, 1 scheduled"``). Then, when no base reaches it: the nearest
    base, its distance and its limit. Otherwise each uncovered slot is looked
    at against the bases that reach the request, and slots with the same
    situation are grouped (their days listed):

    * ``"Beni is unavailable on Friday"``;
    * ``"Beni has no night team"``;
    * ``"no night team free on Tuesday at Beni: 2 night patrols, both given
      to higher-value requests (Kibirizi, Mbau)"``: every team of that shift
      at those bases on those days is in the plan, and the communities named
      (up to 3, most valuable first) are those patrols'. "Higher value" is
      said only when each of those patrols adds more value to the plan than
      this request's next patrol would (the comparison the solver made, in
      its rounded units); "of equal or higher value" when some tie; patrols
      fixed by the officer are counted as such; if some planned patrol is
      worth less (possible only in a plan not proven optimal), no value claim
      is made. In an optimal plan a swap argument guarantees the claim: were a
      patrol there worth less, giving its team to this request would raise
      the value.
    * ``"a day team was still free on Friday at Oicha, but the solver
      stopped at its time limit ..."`` when the plan is not proven optimal
      and a team was left free.

    Every statement is computed from the plan returned, so it is true of it.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linear_sum_assignment

__all__ = [
    "DAYS",
    "DAY_NAMES",
    "DECAY",
    "SCALE",
    "SHIFTS",
    "Assignment",
    "BaseCapacity",
    "Plan",
    "Request",
    "Slot",
    "covered_value",
    "greedy_plan",
    "haversine_km",
    "plan_week",
    "request_value",
]

DAYS = 7  # a plan covers one week: day 0 = Monday .. 6 = Sunday
SHIFTS = ("day", "night")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The k-th covered slot of a request is worth DECAY ** (k - 1) of the first.
DECAY = 0.9
#: Value units per objective unit in the CP-SAT model (values rounded to 1/SCALE).
SCALE = 1000
EARTH_RADIUS_KM = 6371.0088

_KIND_WORDS = {
    "night": "night",
    "market": "market",
    "firewood": "firewood",
    "water_point": "water-point",
    "route": "route",
    "escort": "escort",
}


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

    def teams(self, day: int, shift: str) -> int:
        """Teams for one (day, shift): 0 on an unavailable day."""
        if day in self.unavailable_days:
            return 0
        return self.day_teams if shift == "day" else self.night_teams


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


@dataclass(frozen=True, slots=True)
class Assignment:
    request: str
    slot: Slot
    base: str
    km: float  # base to the farthest point of the request
    fixed: bool


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
    travel_km: float = 0.0  # sum of the patrols' km
    # (base id, day, shift) -> patrols planned, for every base and slot of the week
    use: dict[tuple[str, int, str], int] = field(default_factory=dict)


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


# --- the problem, checked and indexed -----------------------------------------------------


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
    fixed_use: dict[tuple[int, int, str], int]  # (base, day, shift) -> fixed patrols

    def reach(self, ri: int, bi: int) -> bool:
        return bool(self.km[ri, bi] <= self.bases[bi].max_km)

    def left(self, bi: int, day: int, shift: str) -> int:
        """Teams of a base for a (day, shift) not taken by fixed patrols."""
        return self.bases[bi].teams(day, shift) - self.fixed_use.get((bi, day, shift), 0)


def _check_slot(slot: Slot, where: str) -> None:
    if not (isinstance(slot.day, int) and 0 <= slot.day < DAYS) or slot.shift not in SHIFTS:
        raise ValueError(f"{where}: slot {slot!r} is not a day 0-6 and a shift in {SHIFTS}")


def _slot_words(slot: Slot) -> str:
    return f"{slot.shift} shift on {DAY_NAMES[slot.day]}"


def _problem(bases: Sequence[BaseCapacity], requests: Sequence[Request]) -> _Problem:
    base_index: dict[str, int] = {}
    for bi, b in enumerate(bases):
        if b.id in base_index:
            raise ValueError(f"base id {b.id!r} appears twice")
        if b.day_teams < 0 or b.night_teams < 0:
            raise ValueError(f"base {b.name} ({b.id}): team counts must be >= 0")
        if any(not 0 <= d < DAYS for d in b.unavailable_days):
            raise ValueError(f"base {b.name} ({b.id}): unavailable days must be 0-6")
        base_index[b.id] = bi
    seen: set[str] = set()
    for r in requests:
        where = f"request {r.id!r} ({r.community})"
        if r.id in seen:
            raise ValueError(f"request id {r.id!r} appears twice")
        seen.add(r.id)
        if not r.points:
            raise ValueError(f"{where}: it has no point")
        if not 1 <= r.priority <= 5:
            raise ValueError(f"{where}: priority {r.priority} is not 1-5")
        if r.wanted < 0 or r.risk < 0 or r.beneficiaries < 0 or r.weeks_unmet < 0:
            raise ValueError(f"{where}: wanted, risk, beneficiaries, weeks_unmet must be >= 0")
        for s in r.slots:
            _check_slot(s, where)

    n_req, n_base = len(requests), len(bases)
    km = np.zeros((n_req, n_base))
    if n_req and n_base:
        blat = np.radians([b.lat for b in bases])
        blon = np.radians([b.lon for b in bases])
        for ri, r in enumerate(requests):
            pts = np.radians(np.asarray(r.points, dtype=float).reshape(-1, 2))
            plat, plon = pts[:, :1], pts[:, 1:]
            a = (
                np.sin((blat - plat) / 2) ** 2
                + np.cos(plat) * np.cos(blat) * np.sin((blon - plon) / 2) ** 2
            )
            dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
            km[ri] = dist.max(axis=0)

    slots: list[list[Slot]] = []
    fixed: list[dict[Slot, int]] = []
    limit: list[int] = []
    unit: list[float] = []
    marginal: list[list[int]] = []
    fixed_use: dict[tuple[int, int, str], int] = defaultdict(int)
    for ri, r in enumerate(requests):
        where = f"request {r.id!r} ({r.community})"
        mine: dict[Slot, int] = {}
        for slot, base_id in r.fixed:
            _check_slot(slot, f"{where}, fixed patrol")
            if base_id not in base_index:
                raise ValueError(f"{where}: fixed patrol from unknown base {base_id!r}")
            bi = base_index[base_id]
            b = bases[bi]
            label = f"{where}: fixed patrol from {b.name} on the {_slot_words(slot)}"
            if slot in mine:
                raise ValueError(f"{label}: that slot is already fixed for this request")
            if km[ri, bi] > b.max_km:
                raise ValueError(
                    f"{label}: the request is {km[ri, bi]:.0f} km from {b.name}, "
                    f"beyond its limit of {b.max_km:.0f} km"
                )
            if slot.day in b.unavailable_days:
                raise ValueError(f"{label}: {b.name} is unavailable on {DAY_NAMES[slot.day]}")
            fixed_use[(bi, slot.day, slot.shift)] += 1
            if fixed_use[(bi, slot.day, slot.shift)] > b.teams(slot.day, slot.shift):
                raise ValueError(
                    f"{label}: {b.name} has {b.teams(slot.day, slot.shift)} {slot.shift} "
                    f"team(s) on {DAY_NAMES[slot.day]}, fewer than the patrols fixed there"
                )
            mine[slot] = bi
        distinct = sorted(set(r.slots) | set(mine))
        slots.append(distinct)
        fixed.append(mine)
        n_max = min(len(set(r.slots) | set(mine)), max(r.wanted, len(mine)))
        limit.append(n_max)
        v = request_value(r)
        unit.append(v)
        marginal.append([round(v * DECAY**k * SCALE) for k in range(n_max)])
    return _Problem(bases, requests, km, slots, fixed, limit, unit, marginal, dict(fixed_use))


# --- building a Plan ----------------------------------------------------------------------

_Chosen = dict[tuple[int, Slot], int]  # (request index, slot) -> base index


def _fixed_chosen(p: _Problem) -> _Chosen:
    return {(ri, s): bi for ri, mine in enumerate(p.fixed) for s, bi in mine.items()}


def _build_plan(
    p: _Problem,
    chosen: _Chosen,
    status: str,
    solve_s: float,
    *,
    greedy_value: float | None,
    bound: float | None = None,
    time_limit_s: float | None = None,
) -> Plan:
    counts = [0] * len(p.requests)
    use: dict[tuple[str, int, str], int] = {
        (b.id, d, s): 0 for b in p.bases for d in range(DAYS) for s in SHIFTS
    }
    assignments: list[Assignment] = []
    for (ri, slot), bi in sorted(chosen.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        counts[ri] += 1
        base = p.bases[bi]
        use[(base.id, slot.day, slot.shift)] += 1
        assignments.append(
            Assignment(
                request=p.requests[ri].id,
                slot=slot,
                base=base.id,
                km=round(float(p.km[ri, bi]), 3),
                fixed=slot in p.fixed[ri],
            )
        )
    value = sum((covered_value(r, counts[ri]) for ri, r in enumerate(p.requests)), 0.0)
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
        travel_km=round(sum((a.km for a in assignments), 0.0), 3),
        use=use,
    )
    plan.explanations.update(_explain(p, chosen, counts, plan))
    return plan


# --- greedy -------------------------------------------------------------------------------


def _greedy(p: _Problem) -> _Chosen:
    chosen = _fixed_chosen(p)
    left = {
        (bi, d, s): p.left(bi, d, s)
        for bi in range(len(p.bases))
        for d in range(DAYS)
        for s in SHIFTS
    }
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
        placed = False
        while open_slots[ri] and not placed:
            slot = open_slots[ri].pop(0)
            for bi in near[ri]:
                if left[(bi, slot.day, slot.shift)] > 0:
                    left[(bi, slot.day, slot.shift)] -= 1
                    chosen[(ri, slot)] = bi
                    counts[ri] += 1
                    placed = True
                    break
        if placed and counts[ri] < p.limit[ri] and open_slots[ri]:
            heapq.heappush(heap, (-p.marginal[ri][counts[ri]], ri))
    return chosen


def greedy_plan(bases: Sequence[BaseCapacity], requests: Sequence[Request]) -> Plan:
    """The baseline: the most valuable next patrol first, to the nearest base with a team left."""
    start = time.perf_counter()
    p = _problem(bases, requests)
    chosen = _greedy(p)
    return _build_plan(p, chosen, "greedy", time.perf_counter() - start, greedy_value=None)


# --- CP-SAT -------------------------------------------------------------------------------

_IGNORED_SUBSOLVERS = (
    "core",
    "no_lp",
    "quick_restart_no_lp",
    "graph_arc_lns",
    "graph_cst_lns",
    "graph_dec_lns",
    "graph_var_lns",
    "rnd_cst_lns",
    "rnd_var_lns",
)


def _nearest_bases(p: _Problem, chosen: _Chosen) -> _Chosen:
    """Re-match each (day, shift)'s chosen, not fixed, slots to free teams with least km."""
    by_slot: dict[Slot, list[int]] = defaultdict(list)
    for (ri, slot), _ in chosen.items():
        if slot not in p.fixed[ri]:
            by_slot[slot].append(ri)
    out = dict(chosen)
    for slot, ris in by_slot.items():
        ris.sort()
        teams = [
            bi
            for bi in range(len(p.bases))
            for _ in range(max(0, p.left(bi, slot.day, slot.shift)))
        ]
        cost = np.full((len(ris), len(teams)), 1e9)
        for i, ri in enumerate(ris):
            for j, bi in enumerate(teams):
                if p.reach(ri, bi):
                    cost[i, j] = p.km[ri, bi]
        rows, cols = linear_sum_assignment(cost)
        if len(rows) < len(ris) or cost[rows, cols].max(initial=0.0) >= 1e9:
            continue  # cannot happen for a feasible plan; keep the solver's bases
        for i, j in zip(rows, cols, strict=True):
            out[(ris[i], slot)] = teams[j]
    return out


def plan_week(
    bases: Sequence[BaseCapacity],
    requests: Sequence[Request],
    *,
    time_limit_s: float = 5.0,
    workers: int = 2,
    seed: int = 0,
) -> Plan:
    """Next week's plan: the most value within the bases' capacity, every gap explained."""
    start = time.perf_counter()
    p = _problem(bases, requests)
    greedy = _greedy(p)
    greedy_counts = [0] * len(requests)
    for ri, _ in greedy:
        greedy_counts[ri] += 1
    greedy_value = sum((covered_value(r, greedy_counts[ri]) for ri, r in enumerate(requests)), 0.0)

    model = cp_model.CpModel()
    x: dict[tuple[int, Slot, int], cp_model.IntVar] = {}
    per_slot: dict[tuple[int, Slot], list[cp_model.IntVar]] = defaultdict(list)
    per_team: dict[tuple[int, int, str], list[cp_model.IntVar]] = defaultdict(list)
    per_request: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for ri in range(len(requests)):
        if p.limit[ri] <= len(p.fixed[ri]):
            continue
        for slot in p.slots[ri]:
            if slot in p.fixed[ri]:
                continue
            for bi in range(len(bases)):
                if p.reach(ri, bi) and p.left(bi, slot.day, slot.shift) > 0:
                    var = model.new_bool_var(f"x_{ri}_{slot.day}{slot.shift[0]}_{bi}")
                    x[(ri, slot, bi)] = var
                    per_slot[(ri, slot)].append(var)
                    per_team[(bi, slot.day, slot.shift)].append(var)
                    per_request[ri].append(var)
    for vars_ in per_slot.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)
    for (bi, d, s), vars_ in per_team.items():
        if len(vars_) > p.left(bi, d, s):
            model.add(sum(vars_) <= p.left(bi, d, s))
    terms: list[tuple[cp_model.IntVar, int]] = []
    y_of: dict[int, list[cp_model.IntVar]] = {}
    slots_open: dict[int, int] = defaultdict(int)
    for ri, _ in per_slot:
        slots_open[ri] += 1
    for ri, vars_ in per_request.items():
        n_fixed = len(p.fixed[ri])
        extra = min(p.limit[ri] - n_fixed, slots_open[ri])
        ys = [model.new_bool_var(f"y_{ri}_{k}") for k in range(extra)]
        y_of[ri] = ys
        model.add(sum(vars_) == sum(ys))
        for k in range(1, extra):
            model.add_implication(ys[k], ys[k - 1])
        terms.extend((ys[k], p.marginal[ri][n_fixed + k]) for k in range(extra))
    model.maximize(sum(coef * var for var, coef in terms))

    greedy_extra = [0] * len(requests)
    for ri, slot in greedy:
        if slot not in p.fixed[ri]:
            greedy_extra[ri] += 1
    for (ri, slot, bi), var in x.items():
        model.add_hint(var, greedy.get((ri, slot)) == bi)
    for ri, ys in y_of.items():
        for k, var in enumerate(ys):
            model.add_hint(var, k < greedy_extra[ri])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # Interleaved search is deterministic whatever the number of workers.
    solver.parameters.interleave_search = True
    # The presolve's dual reductions weaken the (otherwise integral) linear relaxation: with
    # it the bound stalls a few percent above the optimum; without it the root LP proves it.
    solver.parameters.cp_model_presolve = False
    # What closes this model is the LP: leave out the subsolvers without one and the
    # neighbourhood searches, whose fixed time slices would only delay the proof.
    solver.parameters.ignore_subsolvers.extend(_IGNORED_SUBSOLVERS)
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
    chosen = _fixed_chosen(p)
    for (ri, slot, bi), var in x.items():
        if solver.boolean_value(var):
            chosen[(ri, slot)] = bi
    chosen = _nearest_bases(p, chosen)
    fixed_value = sum(covered_value(r, len(p.fixed[ri])) for ri, r in enumerate(requests))
    bound = fixed_value + solver.best_objective_bound / SCALE
    return _build_plan(
        p,
        chosen,
        "optimal" if code == cp_model.OPTIMAL else "feasible",
        time.perf_counter() - start,
        greedy_value=greedy_value,
        bound=bound,
        time_limit_s=time_limit_s,
    )


# --- explanations -------------------------------------------------------------------------


def _words(items: Sequence[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _explain(
    p: _Problem, chosen: _Chosen, counts: list[int], plan: Plan
) -> dict[str, tuple[str, ...]]:
    at: dict[tuple[int, int, str], list[int]] = defaultdict(list)  # team -> request indices
    for (ri, slot), bi in chosen.items():
        at[(bi, slot.day, slot.shift)].append(ri)

    out: dict[str, tuple[str, ...]] = {}
    for ri, r in enumerate(p.requests):
        if counts[ri] >= r.wanted:
            continue
        kind = _KIND_WORDS.get(r.kind)
        noun = f"{kind} patrol" if kind else "patrol"
        got = "none" if counts[ri] == 0 else str(counts[ri])
        reasons = [f"{r.community} requested {_plural(r.wanted, noun)}, {got} scheduled"]
        listed = len(set(r.slots))
        if listed == 0:
            reasons.append("no slot was asked for")
        elif listed < r.wanted:
            reasons.append(
                f"only {_plural(listed, 'distinct slot')} {'was' if listed == 1 else 'were'} "
                f"asked for"
            )
        reach = [bi for bi in range(len(p.bases)) if p.reach(ri, bi)]
        if not p.bases:
            reasons.append("no base is in the plan")
        elif not reach:
            nearest = min(range(len(p.bases)), key=lambda bi: (p.km[ri, bi], bi))
            b = p.bases[nearest]
            far, limit = float(p.km[ri, nearest]), b.max_km
            # As few digits as show the gap: never "40 km away (limit 40 km)".
            digits = next((k for k in range(3) if round(far, k) > round(limit, k)), 3)
            reasons.append(
                f"no base within reach: the nearest, {b.name}, is {far:.{digits}f} km away "
                f"(limit {limit:.{digits}f} km)"
            )
        elif counts[ri] < p.limit[ri]:
            reasons.extend(_slot_reasons(p, chosen, counts, ri, reach, at, plan))
        out[r.id] = tuple(reasons)
    return out


def _slot_reasons(
    p: _Problem,
    chosen: _Chosen,
    counts: list[int],
    ri: int,
    reach: list[int],
    at: dict[tuple[int, int, str], list[int]],
    plan: Plan,
) -> list[str]:
    own_next = p.marginal[ri][counts[ri]]
    # (shift, unavailable, no team, full, free) -> days
    groups: dict[
        tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]], list[int]
    ]
    groups = defaultdict(list)
    for slot in p.slots[ri]:
        if (ri, slot) in chosen:
            continue
        d, s = slot.day, slot.shift
        unavailable = tuple(bi for bi in reach if d in p.bases[bi].unavailable_days)
        rest = [bi for bi in reach if bi not in unavailable]
        no_team = tuple(bi for bi in rest if p.bases[bi].teams(d, s) == 0)
        staffed = [bi for bi in rest if bi not in no_team]
        full = tuple(bi for bi in staffed if len(at[(bi, d, s)]) >= p.bases[bi].teams(d, s))
        free = tuple(bi for bi in staffed if bi not in full)
        groups[(s, unavailable, no_team, full, free)].append(d)

    reasons: list[str] = []
    for (shift, unavailable, no_team, full, free), days in groups.items():
        days = sorted(set(days))
        day_words = _words([DAY_NAMES[d] for d in days])
        parts: list[str] = []
        if unavailable:
            names = [p.bases[bi].name for bi in unavailable]
            verb = "is" if len(names) == 1 else "are"
            parts.append(f"{_words(names)} {verb} unavailable on {day_words}")
        if no_team:
            names = [p.bases[bi].name for bi in no_team]
            verb = "has" if len(names) == 1 else "have"
            parts.append(f"{_words(names)} {verb} no {shift} team")
        if full:
            parts.append(_full_words(p, counts, own_next, shift, days, full, at))
        if free:
            names = [p.bases[bi].name for bi in free]
            limit = f"its {plan.time_limit_s:g} s " if plan.time_limit_s is not None else "its "
            stop = (
                f"but the solver stopped at {limit}time limit before proving the plan optimal"
                if plan.status == "feasible"
                else "but the plan did not use it"
            )
            parts.append(
                f"a {shift} team was still free on {day_words} at {_words(names, 'or')}, {stop}"
            )
        reasons.append("; ".join(parts))
    return reasons


def _full_words(
    p: _Problem,
    counts: list[int],
    own_next: int,
    shift: str,
    days: list[int],
    full: tuple[int, ...],
    at: dict[tuple[int, int, str], list[int]],
) -> str:
    day_words = _words([DAY_NAMES[d] for d in days])
    names = [p.bases[bi].name for bi in full]
    given: list[tuple[int, int]] = []  # (request, what removing its last patrol takes off)
    fixed: list[int] = []
    for d in days:
        for bi in full:
            for rj in at[(bi, d, shift)]:
                if Slot(d, shift) in p.fixed[rj]:
                    fixed.append(rj)
                else:
                    given.append((rj, p.marginal[rj][counts[rj] - 1]))
    n = len(given) + len(fixed)
    head = f"no {shift} team free on {day_words} at {_words(names, 'or')}: {_plural(n, shift + ' patrol')}"
    parts: list[str] = []
    if given:
        one = len(given) == 1
        if all(m > own_next for _, m in given):
            whom = "a higher-value request" if one else "higher-value requests"
        elif all(m >= own_next for _, m in given):
            whom = (
                "a request of equal or higher value" if one else "requests of equal or higher value"
            )
        else:
            whom = "another request" if one else "other requests"
        ranked = [rj for rj, _ in sorted(given, key=lambda t: (-t[1], t[0]))]
        parts.append(f"given to {whom} ({_communities(p, ranked)})")
    if fixed:
        parts.append(f"fixed by the officer ({_communities(p, sorted(fixed))})")
    if len(parts) == 1:
        every = "" if n == 1 else ("both " if n == 2 else "all ")
        return f"{head}, {every}{parts[0]}"
    return f"{head}: {len(given)} {parts[0]}, {len(fixed)} {parts[1]}"


def _communities(p: _Problem, ranked: list[int]) -> str:
    """Up to 3 distinct community names, in the given order, and how many more."""
    names: list[str] = []
    for rj in ranked:
        if p.requests[rj].community not in names:
            names.append(p.requests[rj].community)
    more = len(names) - 3
    return ", ".join(names[:3]) + (f" and {more} more" if more > 0 else "")
