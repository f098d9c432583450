"""Benchmark the weekly patrol planner (ulinzi.patrols.planner): value over greedy, optimality, speed.

Run: ``.venv/bin/python bench/patrols.py [--quick] [--out PATH]``.

Generated instances (seeded, ``instance()``)
    Bases are the 20 towns of Nord-Kivu, Sud-Kivu and Ituri in the bundled
    gazetteer (``ulinzi.places.gazetteer.bundled_records``: Beni, Butembo,
    Katwa, Goma, Bunia, Bukavu, Uvira...), at their real coordinates; several
    are close together (Butembo and Katwa are 6 km apart, Goma and Sake 20),
    so their reach overlaps, as real company and temporary bases do. Each
    base draws 1-3 day teams, 0-2 night teams, a reach ``max_km`` uniform in
    30-60 km, with probability 0.3 one unavailable day, and 1-2 vehicles a
    shift (a company base keeps a few vehicles on the road; the others are
    in maintenance, on escorts or on logistics runs). A small instance takes
    one town at random and its two nearest towns.

    Communities are real villages and displaced-persons camps of the
    gazetteer within 40 km of a chosen base (uniformly, so areas with many
    villages get many requests); 30 % of requests come from a community that
    already made one. Kinds and slot patterns:

    * night (25 %): 3-7 consecutive night shifts from a random day, at a camp
      when there is one near (half the time); wanted: half of them up to all;
    * market (25 %): one day shift on a weekday (Monday-Saturday), wanted 1;
    * firewood (15 %): 2-3 day shifts on distinct days, wanted all;
    * water_point (10 %): 2-4 day shifts, wanted all or one fewer;
    * route (15 %) and escort (5 %): 1-2 day shifts, 2-4 points: the village,
      a real village 8-25 km away and 0-2 real villages nearest to points
      between them;
    * other (5 %): 1-2 shifts, day or night.

    Hours asked for (``HOURS``, drawn from a generator of their own so that the
    rest of an instance is what it was before hours were modelled): night
    19:00-05:00 (60 %), 18:00-23:00 (20 %) or 22:00-04:00 (20 %); market
    06:00-12:00 (70 %) or 10:00-16:00; firewood 06:00-11:00; water point
    06:00-08:00 or 16:00-18:00 (half each); route 07:00-15:00; escort
    07:00-13:00; other 08:00-16:00 by day, 19:00-05:00 by night. Each is at
    least as long as the kind's stay.

    Priority 1-5 with weights 10/20/30/25/15 %; risk Beta(0.6, 4) (mean 0.13,
    a few places high: a skewed forecast probability); beneficiaries
    lognormal (median about 1,100; camps five times more); weeks_unmet 0 for
    70 % of requests, else 1-4. Nothing in the generator looks at what the
    greedy baseline does: contention comes only from asking for more slots
    than there are teams (about 2.5 times more on the large instance), from
    vehicles and from overlapping reach.

Patrols (the planner's rules, ``ulinzi.patrols.planner``'s docstring)
    A patrol is one team of a base in one slot; it visits up to 3 requests of
    that slot, in the best order, and covers each. It goes on foot (4 km/h)
    when all its places are within 5 km of the base, otherwise it takes one
    of the base's vehicles (25 km/h); road km are 1.3 times straight-line
    km. With several requests it must fit in the shift (9 hours by day, 8 by
    night): travel plus the time it stays with each (night 3 h, market 2,
    firewood 4, water point 1.5, route 1 plus the route itself, escort 3,
    other 2), each visit within the hours its request asked for (the patrol
    waits when early). These figures and the hours above were set from how
    patrols are run, before any run of this benchmark with them, and are the
    same for the planner and greedy. Every patrol of every plan is checked
    against ``bench/_patrol_reference.py`` (every order and direction, the
    schedule found by bisection).

Figures
    ``large_*``: 20 bases x 500 requests, seeds 1-5. ``value_ratio`` is the
    planner's value over the greedy baseline's (same value function, same
    patrols) per seed, and the median; ``solve_s`` the planner's wall time
    (possible patrols, model, solve, travel matching, explanations) with
    ``time_limit_s`` as given, its status and ``bound``, the solver's proven
    upper bound on any plan's value. ``slots_covered`` counts (request,
    slot) pairs covered, ``patrols`` the teams sent out (``vehicle_patrols``
    those by vehicle), ``route_km_mean`` a patrol's mean road km.
    ``replan_s``: after fixing 3 patrols the first plan had left out (a team,
    and a vehicle beyond walking distance, of a reachable base that still
    had one for that slot), the wall time of the new plan.
    ``deterministic``: two runs with the same seed give the same patrols.
    ``large_value_ratio_median_without_hours``: the same instances with no
    hours asked for (a team's stays then follow one another at any time of
    the shift, as before hours were modelled).
    ``baseline.large_wall_s_max``: greedy's wall time.

    ``small_*``: 20 instances (seeds 101-120) of 3 bases x 25 requests. The
    planner with its default 5 s time limit against the proven optimum: the
    planner again with a 300 s limit and another seed, status checked to be
    ``optimal``. ``gap`` is 1 - value / optimum: worst and mean, for the
    planner and for greedy. Every plan is checked against the rules with a
    route length computed here, apart from the planner (every order tried).

Why the 10 % target is missed
    Choosing patrols that visit several requests makes the choice
    combinatorial (a set packing problem: greedy spends a team or a vehicle
    on the most valuable request alone where the same team could cover two
    or three requests of nearly the same value), and greedy falls further
    behind than under the earlier rules, where a patrol covered one request
    and vehicles were not counted (planner x1.025-1.047 over greedy on 5
    seeds). But greedy is allowed, as a planner by hand is, to add a
    request to any patrol already planned, and that takes most of the gain:
    on these instances the planner's value is 4-6 % above greedy's (see
    ``large_detail``), and the planner's plans are proven optimal, so no plan
    on these instances is 10 % better than greedy's. The hours each request
    asks for constrain both alike: with them the gain is 4.2-5.7 % on the 5
    seeds, without them 4.2-6.0 %. ``large_value_ratio``
    reports ``met: false`` rather than a generator or patrol rules tuned
    against greedy.

``--quick`` is a small version for the test suite (1 large seed of 10 bases x
150 requests, 4 small instances): its figures are not comparable.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _patrol_reference import expected_patrol  # noqa: E402
from _results import header, write_result  # noqa: E402 (bench/ is on sys.path when a script runs)

from ulinzi.patrols.planner import (  # noqa: E402
    DAYS,
    FOOT_KM,
    MAX_STOPS,
    BaseCapacity,
    Plan,
    Request,
    Slot,
    covered_value,
    greedy_plan,
    haversine_km,
    plan_week,
)
from ulinzi.places.gazetteer import bundled_records  # noqa: E402

PROVINCES = ("Nord-Kivu", "Sud-Kivu", "Ituri")
KINDS = (
    ("night", 0.25),
    ("market", 0.25),
    ("firewood", 0.15),
    ("water_point", 0.10),
    ("route", 0.15),
    ("escort", 0.05),
    ("other", 0.05),
)
#: The hours a request asks the patrol to be with it, by kind (clock hours, weight): a night
#: patrol for the whole night, the evening when people come back from the fields, or the
#: small hours; a market in the morning or from mid-morning; firewood collected from dawn
#: to late morning; a water point at dawn or in the late afternoon; a route or an escort
#: in daylight.
HOURS: dict[str, tuple[tuple[tuple[float, float], float], ...]] = {
    "night": (((19, 5), 0.6), ((18, 23), 0.2), ((22, 4), 0.2)),
    "market": (((6, 12), 0.7), ((10, 16), 0.3)),
    "firewood": (((6, 11), 1.0),),
    "water_point": (((6, 8), 0.5), ((16, 18), 0.5)),
    "route": (((7, 15), 1.0),),
    "escort": (((7, 13), 1.0),),
    "other_day": (((8, 16), 1.0),),
    "other_night": (((19, 5), 1.0),),
}
COMMUNITY_KM = 40.0
TIME_LIMIT_S = 8.0


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: str
    lat: float
    lon: float


class Places:
    """Towns (bases) and villages and camps (communities) of the eastern provinces."""

    def __init__(self) -> None:
        records = [
            Place(r.name, r.kind, r.lat, r.lon)
            for r in bundled_records()
            if r.lat is not None
            and r.lon is not None
            and (r.kind != "town" or r.admin_names[:1] in [(p,) for p in PROVINCES])
        ]
        self.towns = sorted((r for r in records if r.kind == "town"), key=lambda r: r.name)
        self.villages = [r for r in records if r.kind in ("village", "camp")]
        self.vlat = np.radians([v.lat for v in self.villages])
        self.vlon = np.radians([v.lon for v in self.villages])

    def km_from(self, lat: float, lon: float) -> np.ndarray:
        p, lam = math.radians(lat), math.radians(lon)
        a = (
            np.sin((self.vlat - p) / 2) ** 2
            + math.cos(p) * np.cos(self.vlat) * np.sin((self.vlon - lam) / 2) ** 2
        )
        result: np.ndarray = 2 * 6371.0088 * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        return result


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def instance(
    places: Places, seed: int, n_bases: int, n_requests: int
) -> tuple[list[BaseCapacity], list[Request]]:
    """One week's bases and requests, as documented in the module docstring."""
    rng = random.Random(seed)
    # The hours asked for are drawn apart, so that the rest of an instance is the same as
    # when hours were not modelled.
    hours_rng = random.Random(seed * 1_000_003 + 17)
    if n_bases >= len(places.towns):
        towns = list(places.towns)
    else:
        first = rng.choice(places.towns)
        towns = sorted(
            places.towns, key=lambda t: haversine_km(first.lat, first.lon, t.lat, t.lon)
        )[:n_bases]
    bases = []
    for t in towns:
        bases.append(
            BaseCapacity(
                id=t.name.lower(),
                name=t.name,
                lat=t.lat,
                lon=t.lon,
                day_teams=rng.randint(1, 3),
                night_teams=rng.randint(0, 2),
                max_km=round(rng.uniform(30, 60), 1),
                unavailable_days=frozenset({rng.randrange(DAYS)})
                if rng.random() < 0.3
                else frozenset(),
                vehicles=rng.randint(1, 2),
            )
        )
    near = np.zeros(len(places.villages), dtype=bool)
    for b in bases:
        near |= places.km_from(b.lat, b.lon) <= COMMUNITY_KM
    pool = [int(i) for i in np.flatnonzero(near)]
    camps = [i for i in pool if places.villages[i].kind == "camp"]
    used: list[int] = []
    requests = []
    for n in range(n_requests):
        kind = _pick(rng, KINDS)
        if kind == "night" and camps and rng.random() < 0.5:
            where = rng.choice(camps)
        elif used and rng.random() < 0.3:
            where = rng.choice(used)
        else:
            where = rng.choice(pool)
        used.append(where)
        village = places.villages[where]
        points = [(village.lat, village.lon)]
        if kind == "night":
            length = rng.randint(3, 7)
            start = rng.randrange(DAYS)
            slots = [Slot((start + k) % DAYS, "night") for k in range(length)]
            wanted = rng.randint(math.ceil(length / 2), length)
        elif kind == "market":
            slots, wanted = [Slot(rng.randrange(6), "day")], 1
        elif kind == "firewood":
            slots = [Slot(d, "day") for d in rng.sample(range(DAYS), rng.randint(2, 3))]
            wanted = len(slots)
        elif kind == "water_point":
            slots = [Slot(d, "day") for d in rng.sample(range(DAYS), rng.randint(2, 4))]
            wanted = len(slots) - rng.randint(0, 1)
        elif kind in ("route", "escort"):
            slots = [Slot(d, "day") for d in rng.sample(range(DAYS), rng.randint(1, 2))]
            wanted = len(slots)
            points.extend(_road(places, rng, where))
        else:
            shift = rng.choice(("day", "night"))
            slots = [Slot(d, shift) for d in rng.sample(range(DAYS), rng.randint(1, 2))]
            wanted = len(slots)
        table = HOURS[f"other_{slots[0].shift}" if kind == "other" else kind]
        window = hours_rng.choices([w for w, _ in table], [p for _, p in table])[0]
        people = int(math.exp(rng.gauss(7.0, 1.0)))
        if village.kind == "camp":
            people *= 5
        requests.append(
            Request(
                id=f"r{n}",
                community=village.name,
                kind=kind,
                points=tuple(points),
                slots=tuple(sorted(set(slots))),
                wanted=wanted,
                priority=int(_pick(rng, (("1", 10), ("2", 20), ("3", 30), ("4", 25), ("5", 15)))),
                risk=round(rng.betavariate(0.6, 4.0), 3),
                beneficiaries=people,
                weeks_unmet=0 if rng.random() < 0.7 else rng.randint(1, 4),
                window=window,
            )
        )
    return bases, requests


def _road(places: Places, rng: random.Random, where: int) -> list[tuple[float, float]]:
    """A real village 8-25 km away and 0-2 real villages nearest to points between."""
    start = places.villages[where]
    km = places.km_from(start.lat, start.lon)
    ends = np.flatnonzero((km >= 8) & (km <= 25))
    if not len(ends):
        return []
    end = places.villages[int(rng.choice(list(ends)))]
    points: list[tuple[float, float]] = []
    stops = rng.randint(0, 2)
    for k in range(1, stops + 1):
        f = k / (stops + 1)
        lat = start.lat + f * (end.lat - start.lat)
        lon = start.lon + f * (end.lon - start.lon)
        mid = places.villages[int(np.argmin(places.km_from(lat, lon)))]
        points.append((mid.lat, mid.lon))
    points.append((end.lat, end.lon))
    return points


def check(plan: Plan, bases: list[BaseCapacity], requests: list[Request]) -> None:
    """Every constraint holds and the value is the value function of the plan's patrols."""
    by_id = {r.id: r for r in requests}
    base_by_id = {b.id: b for b in bases}
    use: dict[tuple[str, int, str], int] = defaultdict(int)
    cars: dict[tuple[str, int, str], int] = defaultdict(int)
    seen: set[tuple[str, Slot]] = set()
    counts: dict[str, int] = defaultdict(int)
    for route in plan.routes:
        b = base_by_id[route.base]
        stops = [by_id[rid] for rid in route.requests]
        assert 1 <= len(stops) <= MAX_STOPS
        expected = expected_patrol(b, stops, route.slot.shift)
        assert expected is not None, "not a possible patrol"
        vehicle, km, hours = expected
        assert route.vehicle == vehicle
        assert abs(km - route.km) < 1e-2
        assert abs(hours - route.hours) < 1e-2
        use[(b.id, route.slot.day, route.slot.shift)] += 1
        cars[(b.id, route.slot.day, route.slot.shift)] += int(route.vehicle)
        for r in stops:
            assert (r.id, route.slot) not in seen
            seen.add((r.id, route.slot))
            assert route.slot in r.slots or (route.slot, b.id) in r.fixed
            counts[r.id] += 1
    assert len(seen) == len(plan.assignments)
    for (bid, d, s), n in use.items():
        assert n <= base_by_id[bid].teams(d, s)
        assert cars[(bid, d, s)] <= base_by_id[bid].vehicles_for(d, s)
    for r in requests:
        assert counts[r.id] <= max(r.wanted, len(r.fixed))
        for slot, bid in r.fixed:
            assert any(
                a.request == r.id and a.slot == slot and a.base == bid for a in plan.assignments
            )
    value = sum(covered_value(r, counts[r.id]) for r in requests)
    assert abs(value - plan.value) < 1e-6 * max(1.0, value)


def fix_three(plan: Plan, bases: list[BaseCapacity], requests: list[Request]) -> list[Request]:
    """The officer decides 3 patrols the plan left out, at a base with a team (and, beyond
    walking distance, a vehicle) for that slot, as a patrol of their own."""
    planned = {(a.request, a.slot) for a in plan.assignments}
    out = list(requests)
    fixed = 0
    extra: dict[tuple[str, int, str], int] = defaultdict(int)
    extra_cars: dict[tuple[str, int, str], int] = defaultdict(int)
    for i, r in enumerate(requests):
        if fixed == 3:
            break
        if plan.scheduled[r.id] >= r.wanted:
            continue
        for slot in r.slots:
            if (r.id, slot) in planned:
                continue
            for b in sorted(
                bases, key=lambda b: max(haversine_km(b.lat, b.lon, la, lo) for la, lo in r.points)
            ):
                far = max(haversine_km(b.lat, b.lon, la, lo) for la, lo in r.points)
                key = (b.id, slot.day, slot.shift)
                car = far > FOOT_KM
                if (
                    far <= b.max_km
                    and b.teams(slot.day, slot.shift) > extra[key]
                    and (not car or b.vehicles_for(slot.day, slot.shift) > extra_cars[key])
                ):
                    extra[key] += 1
                    extra_cars[key] += int(car)
                    out[i] = replace(r, fixed=((slot, b.id),))
                    fixed += 1
                    break
            if out[i] is not r:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few instances")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    args = parser.parse_args(argv)
    quick = args.quick

    large_bases, large_requests = (10, 150) if quick else (20, 500)
    large_seeds = [1] if quick else [1, 2, 3, 4, 5]
    small_seeds = list(range(101, 105)) if quick else list(range(101, 121))
    small_limit = 60.0 if quick else 300.0

    places = Places()
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {
        "name": "greedy_plan: the most valuable next request first, joining a planned patrol "
        "when its route allows, else a new patrol from the nearest base with a team (and a "
        "vehicle if needed) left (same value function, same patrols)"
    }

    # Large instances: value over greedy, wall time, re-plan, determinism.
    ratios, solve_times, replan_times, statuses, greedy_times = [], [], [], [], []
    ratios_anytime: list[float] = []
    asked, capacity, deterministic = [], [], True
    for seed in large_seeds:
        bases, requests = instance(places, seed, large_bases, large_requests)
        start = time.perf_counter()
        greedy = greedy_plan(bases, requests)
        greedy_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        plan = plan_week(bases, requests, time_limit_s=TIME_LIMIT_S, seed=seed)
        solve_times.append(time.perf_counter() - start)
        check(plan, bases, requests)
        check(greedy, bases, requests)
        assert abs(plan.greedy_value - greedy.value) < 1e-6 * greedy.value
        ratios.append(plan.value / greedy.value)
        statuses.append(plan.status)
        asked.append(sum(r.wanted for r in requests))
        capacity.append(
            sum(b.teams(d, s) for b in bases for d in range(DAYS) for s in ("day", "night"))
        )
        again = plan_week(bases, requests, time_limit_s=TIME_LIMIT_S, seed=seed)
        deterministic &= again.assignments == plan.assignments
        changed = fix_three(plan, bases, requests)
        start = time.perf_counter()
        replanned = plan_week(bases, changed, time_limit_s=TIME_LIMIT_S, seed=seed)
        replan_times.append(time.perf_counter() - start)
        check(replanned, bases, changed)
        # The same instance with no hours asked for (any time of the shift), as before hours
        # were modelled: how much the hours change greedy's shortfall.
        anytime = [replace(r, window=None) for r in requests]
        loose = plan_week(bases, anytime, time_limit_s=TIME_LIMIT_S, seed=seed)
        check(loose, bases, anytime)
        ratios_anytime.append(loose.value / loose.greedy_value)
        figures.setdefault("large_detail", []).append(
            {
                "seed": seed,
                "value": round(plan.value, 1),
                "greedy_value": round(greedy.value, 1),
                "value_ratio": round(plan.value / greedy.value, 4),
                "status": plan.status,
                "solve_s": round(solve_times[-1], 2),
                "bound": round(plan.bound or 0.0, 1),
                "slots_covered": len(plan.assignments),
                "greedy_slots_covered": len(greedy.assignments),
                "patrols": len(plan.routes),
                "greedy_patrols": len(greedy.routes),
                "vehicle_patrols": sum(r.vehicle for r in plan.routes),
                "greedy_vehicle_patrols": sum(r.vehicle for r in greedy.routes),
                "explained_requests": len(plan.explanations),
                "route_km_mean": round(plan.travel_km / max(1, len(plan.routes)), 1),
                "greedy_route_km_mean": round(greedy.travel_km / max(1, len(greedy.routes)), 1),
                "replan_s": round(replan_times[-1], 2),
                "replan_status": replanned.status,
                "replan_value_change": round(replanned.value / plan.value - 1, 4),
                "value_ratio_without_hours": round(ratios_anytime[-1], 4),
            }
        )
    ratio = statistics.median(ratios)
    wall = max(solve_times)
    figures["large_size"] = f"{large_bases} bases x {large_requests} requests"
    figures["large_slots_asked_per_team_slot"] = round(
        statistics.fmean(a / c for a, c in zip(asked, capacity, strict=True)), 2
    )
    figures["large_value_ratio_median"] = round(ratio, 4)
    figures["large_value_ratio_min"] = round(min(ratios), 4)
    figures["large_value_ratio_median_without_hours"] = round(statistics.median(ratios_anytime), 4)
    figures["large_solve_s_max"] = round(wall, 2)
    figures["large_time_limit_s"] = TIME_LIMIT_S
    figures["large_statuses"] = statuses
    figures["large_replan_s_max"] = round(max(replan_times), 2)
    figures["deterministic"] = deterministic
    baseline["large_wall_s_max"] = round(max(greedy_times), 3)

    # Small instances: against the proven optimum.
    gaps, greedy_gaps, small_times = [], [], []
    proven = True
    for seed in small_seeds:
        bases, requests = instance(places, seed, 3, 25)
        start = time.perf_counter()
        plan = plan_week(bases, requests, seed=seed)
        small_times.append(time.perf_counter() - start)
        best = plan_week(bases, requests, time_limit_s=small_limit, seed=seed + 1000)
        proven &= best.status == "optimal"
        check(plan, bases, requests)
        check(best, bases, requests)
        gaps.append(1 - plan.value / best.value)
        greedy_gaps.append(1 - plan.greedy_value / best.value)
    worst = max(gaps)
    figures["small_instances"] = len(small_seeds)
    figures["small_size"] = "3 bases x 25 requests"
    figures["small_optimum_proven"] = proven
    figures["small_gap_worst"] = float(f"{worst:.3g}")
    figures["small_gap_mean"] = float(f"{statistics.fmean(gaps):.3g}")
    figures["small_solve_s_max"] = round(max(small_times), 3)
    baseline["small_gap_worst"] = round(max(greedy_gaps), 4)
    baseline["small_gap_mean"] = round(statistics.fmean(greedy_gaps), 4)

    result: dict[str, Any] = {
        **header("patrols"),
        "data": (
            f"Generated, model in bench/patrols.py's docstring{' (quick subset)' if quick else ''}: "
            f"bases at real towns of Nord-Kivu, Sud-Kivu and Ituri (bundled gazetteer) with "
            f"1-3 day teams, 0-2 night teams, 1-2 vehicles a shift; communities at real "
            f"villages and camps within {COMMUNITY_KM:g} km, requests of 7 kinds with their "
            f"usual slot patterns; a patrol visits up to {MAX_STOPS} requests of one slot "
            f"within the shift's hours, on foot within {FOOT_KM:g} km of its base, else by "
            f"vehicle. Large: {large_bases} bases x {large_requests} requests, seeds "
            f"{large_seeds}, time limit {TIME_LIMIT_S:g} s, 1 worker. Small: "
            f"{len(small_seeds)} instances of 3 bases x 25 requests, default 5 s limit against "
            f"the optimum proven with a {small_limit:g} s limit."
        ),
        "figures": figures,
        "baseline": baseline,
        "targets": {
            "large_value_ratio": {
                "value": round(ratio, 4),
                "goal": ">= 1.10",
                "met": bool(ratio >= 1.10),
            },
            "large_solve_s": {"value": round(wall, 2), "goal": "< 10", "met": bool(wall < 10)},
            "small_gap_worst": {
                "value": float(f"{worst:.3g}"),
                "goal": "<= 0.01",
                "met": bool(worst <= 0.01 and proven),
            },
        },
    }
    out = write_result("patrols", result, args.out, quick)
    print(
        f"patrols: value x{ratio:.3f} over greedy ({large_bases} bases x {large_requests} "
        f"requests, {', '.join(statuses)}, {wall:.2f} s, limit {TIME_LIMIT_S:g} s), re-plan "
        f"{max(replan_times):.2f} s | small: gap to optimum worst {worst:.2%}, greedy "
        f"{max(greedy_gaps):.2%} -> {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
