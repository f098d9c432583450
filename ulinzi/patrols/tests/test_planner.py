"""The weekly patrol planner: constraints, optimality, fixed patrols, and true explanations."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import defaultdict
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from ulinzi.patrols.planner import (
    DAY_NAMES,
    FOOT_KM,
    FOOT_KMH,
    MAX_STOPS,
    ROAD_FACTOR,
    SHIFT_HOURS,
    SHIFTS,
    VEHICLE_KMH,
    BaseCapacity,
    Plan,
    Request,
    Route,
    Slot,
    covered_value,
    greedy_plan,
    haversine_km,
    plan_week,
    request_value,
)
from ulinzi.test import bench_module

BENI = (0.491, 29.473)
# Villages about 30 km from Beni in four directions, 40-60 km apart: too far apart for one
# patrol to visit two of them in a shift, so each request there takes a team of its own.
NORTH, SOUTH, EAST, WEST = (0.75, 29.47), (0.25, 29.47), (0.49, 29.75), (0.49, 29.20)


def base(
    id: str = "beni",
    name: str = "Beni",
    at: tuple[float, float] = BENI,
    day: int = 1,
    night: int = 1,
    max_km: float = 40.0,
    off: frozenset[int] = frozenset(),
    vehicles: int | None = None,
) -> BaseCapacity:
    return BaseCapacity(id, name, at[0], at[1], day, night, max_km, off, vehicles)


def request(
    id: str,
    community: str | None = None,
    slots: tuple[Slot, ...] = (Slot(1, "night"),),
    wanted: int | None = None,
    *,
    kind: str = "night",
    at: tuple[float, float] = (0.45, 29.45),
    priority: int = 3,
    risk: float = 0.2,
    people: int = 1000,
    weeks_unmet: int = 0,
    fixed: tuple[tuple[Slot, str], ...] = (),
    hours: float | None = None,
    window: tuple[float, float] | None = None,
) -> Request:
    return Request(
        id=id,
        community=community or id.capitalize(),
        kind=kind,
        points=(at,),
        slots=slots,
        wanted=len(slots) if wanted is None else wanted,
        priority=priority,
        risk=risk,
        beneficiaries=people,
        weeks_unmet=weeks_unmet,
        fixed=fixed,
        hours=hours,
        window=window,
    )


def km(b: BaseCapacity, r: Request) -> float:
    return max(haversine_km(b.lat, b.lon, lat, lon) for lat, lon in r.points)


def marginal(r: Request, n: int) -> float:
    """What the n-th patrol of r adds."""
    return covered_value(r, n) - covered_value(r, n - 1)


_ref = bench_module("_patrol_reference")
route_km, expected_patrol, stay = _ref.route_km, _ref.expected_patrol, _ref.stay


def stays(stops: list[Request]) -> float:
    return sum(stay(r) for r in stops)


def patrol_mode(b: BaseCapacity, stops: list[Request], shift: str) -> bool | None:
    """Whether a patrol visiting ``stops`` needs a vehicle; None when no patrol can."""
    found = expected_patrol(b, stops, shift)
    return None if found is None else found[0]


TOL = 1e-3  # route.starts are rounded to 1e-4 hours


def check_starts(route: Route, stops: list[Request]) -> None:
    """A patrol to several requests, one with hours asked for, says when each visit begins:
    within that request's hours, one after the other, in the hours the patrol is out."""
    axis = [_ref.hours_on_axis(r, route.slot.shift) for r in stops]
    if len(stops) == 1 or all(start < -1e3 for start, _ in axis):  # no hours asked for
        assert route.starts == ()
        return
    assert len(route.starts) == len(stops)
    kmh = VEHICLE_KMH if route.vehicle else FOOT_KMH
    length = [stay(r) + _ref.along_km(r) / kmh for r in stops]
    clock = list(route.starts)  # rounded to 4 decimals
    assert all(0 <= h < 24 for h in clock)
    # Clock hours back on one time line: the first request with hours asked for is visited
    # within them; the visits after it come later, those before it earlier.
    k0 = next(k for k, (start, _) in enumerate(axis) if start > -1e3)
    at = [0.0] * len(stops)
    at[k0] = clock[k0] + 24 * math.ceil((axis[k0][0] - clock[k0] - TOL) / 24)
    for k in range(k0 + 1, len(stops)):
        done = at[k - 1] + length[k - 1]
        at[k] = clock[k] + 24 * math.ceil((done - clock[k] - TOL) / 24)
    for k in range(k0 - 1, -1, -1):
        before = at[k + 1] - length[k]
        at[k] = clock[k] - 24 * math.ceil((clock[k] - before - TOL) / 24)
    for k, (start, end) in enumerate(axis):
        assert start - TOL <= at[k] and at[k] + length[k] <= end + TOL, (at, axis)
        if k:
            assert at[k] >= at[k - 1] + length[k - 1] - TOL
    assert at[-1] + length[-1] - at[0] <= route.hours + TOL


def check_constraints(plan: Plan, bases: list[BaseCapacity], requests: list[Request]) -> None:
    by_id = {r.id: r for r in requests}
    bases_by_id = {b.id: b for b in bases}
    use: dict[tuple[str, int, str], int] = defaultdict(int)
    cars: dict[tuple[str, int, str], int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    seen = set()
    for a in plan.assignments:
        r, b = by_id[a.request], bases_by_id[a.base]
        assert (a.request, a.slot) not in seen, "a slot covered twice"
        seen.add((a.request, a.slot))
        assert a.slot in r.slots or (a.slot, a.base) in r.fixed
        assert km(b, r) <= b.max_km + 1e-9
        assert a.km == pytest.approx(km(b, r), abs=1e-3)
        assert a.fixed == ((a.slot, a.base) in r.fixed)
        route = plan.routes[a.patrol]
        assert (route.base, route.slot) == (a.base, a.slot) and a.request in route.requests
        counts[r.id] += 1
    for route in plan.routes:
        b = bases_by_id[route.base]
        stops = [by_id[rid] for rid in route.requests]
        assert 1 <= len(stops) <= MAX_STOPS and len(set(route.requests)) == len(stops)
        expected = expected_patrol(b, stops, route.slot.shift)
        assert expected is not None, "not a possible patrol"
        assert route.vehicle == expected[0]
        assert route.km == pytest.approx(expected[1], abs=1e-2)
        assert route.hours == pytest.approx(expected[2], abs=1e-2)
        check_starts(route, stops)
        assert route.fixed == any((route.slot, b.id) in r.fixed for r in stops)
        use[(b.id, route.slot.day, route.slot.shift)] += 1
        cars[(b.id, route.slot.day, route.slot.shift)] += route.vehicle
    assert sum(len(route.requests) for route in plan.routes) == len(plan.assignments)
    for (bid, d, s), n in use.items():
        assert n <= bases_by_id[bid].teams(d, s), "capacity exceeded"
        assert cars[(bid, d, s)] <= bases_by_id[bid].vehicles_for(d, s), "vehicles exceeded"
        assert plan.use[(bid, d, s)] == n
        assert plan.vehicle_use[(bid, d, s)] == cars[(bid, d, s)]
    assert sum(plan.use.values()) == len(plan.routes)
    for r in requests:
        assert counts[r.id] == plan.scheduled[r.id]
        assert counts[r.id] <= max(r.wanted, len(r.fixed))
        for slot, bid in r.fixed:
            assert any(
                a.request == r.id and a.slot == slot and a.base == bid and a.fixed
                for a in plan.assignments
            ), "a fixed patrol is missing"
        assert (r.id in plan.explanations) == (counts[r.id] < r.wanted)
    for route in plan.routes:
        fixed_here = [x for x in route.requests if (route.slot, route.base) in by_id[x].fixed]
        assert len(fixed_here) <= 1, "two fixed patrols merged into one"
    value = sum(covered_value(r, counts[r.id]) for r in requests)
    assert plan.value == pytest.approx(value)


def _split(words: str, last: str) -> list[str]:
    head, _, tail = words.rpartition(f" {last} ")
    return [*head.split(", "), tail] if head else [tail]


def check_explanations(plan: Plan, bases: list[BaseCapacity], requests: list[Request]) -> None:
    """Every statement made is true of the plan."""
    by_name = {b.name: b for b in bases}
    by_id = {r.id: r for r in requests}
    at: dict[tuple[str, int, str], list[Route]] = defaultdict(list)
    for route in plan.routes:
        at[(route.base, route.slot.day, route.slot.shift)].append(route)
    for rid, reasons in plan.explanations.items():
        r = by_id[rid]
        n = plan.scheduled[rid]
        head = re.fullmatch(
            r"(.+) requested (\d+) (more )?(?:[\w-]+ )?patrols?"
            r"(?: \((\d+) earlier in the week\))?, (none|\d+) scheduled",
            reasons[0],
        )
        assert head, reasons[0]
        assert head[1] == r.community and int(head[2]) == r.wanted
        assert bool(head[3]) == bool(head[4]) == (r.done > 0)
        assert int(head[4] or 0) == r.done
        assert (0 if head[5] == "none" else int(head[5])) == n
        for reason in reasons[1:]:
            for part in reason.split("; "):
                check_statement(part, r, n, plan, by_name, by_id, at)


def check_statement(
    part: str,
    r: Request,
    n: int,
    plan: Plan,
    by_name: dict[str, BaseCapacity],
    by_id: dict[str, Request],
    at: dict[tuple[str, int, str], list[Route]],
) -> None:
    if m := re.fullmatch(
        r"no base within reach: the nearest, (.+), is ([\d.]+) km away \(limit ([\d.]+) km\)",
        part,
    ):
        nearest = by_name[m[1]]
        assert all(km(b, r) > b.max_km for b in by_name.values())
        assert km(nearest, r) == min(km(b, r) for b in by_name.values())
        digits = len(m[2].partition(".")[2])
        assert float(m[2]) == round(km(nearest, r), digits) >= float(m[3])
        assert float(m[3]) == round(nearest.max_km, digits)
    elif m := re.fullmatch(r"(.+) (?:is|are) unavailable on (.+)", part):
        for name in _split(m[1], "and"):
            for day in _split(m[2], "and"):
                assert DAY_NAMES.index(day) in by_name[name].unavailable_days
    elif m := re.fullmatch(r"(.+) (?:has|have) no (day|night) team", part):
        for name in _split(m[1], "and"):
            b = by_name[name]
            assert (b.day_teams if m[2] == "day" else b.night_teams) == 0
    elif m := re.fullmatch(
        r"every (day|night) team of (.+) is out on (.+) on patrols already recorded", part
    ):
        for name in _split(m[2], "and"):
            for day in _split(m[3], "and"):
                b = by_name[name]
                assert b.out_on_record(DAY_NAMES.index(day), m[1]) > 0
                assert b.teams(DAY_NAMES.index(day), m[1]) == 0
    elif m := re.fullmatch(
        r"no vehicle free on (.+?) at (.+?): every vehicle is out on patrols already recorded", part
    ):
        for name in _split(m[2], "or"):
            for day in _split(m[1], "and"):
                b, d = by_name[name], DAY_NAMES.index(day)
                assert km(b, r) > FOOT_KM, "could have gone on foot"
                assert any(
                    Slot(d, s) in r.slots
                    and b.teams(d, s) > 0
                    and b.vehicles_for(d, s) == 0
                    and b.out_on_record(d, s, vehicles=True) > 0
                    for s in SHIFTS
                )
    elif m := re.fullmatch(r"(.+) (?:has|have) no vehicle and (.+) is beyond 5 km on foot", part):
        assert m[2] == r.community
        for name in _split(m[1], "and"):
            assert by_name[name].vehicles == 0 and km(by_name[name], r) > FOOT_KM
    elif m := re.fullmatch(
        r"no (?:(day|night) team|(vehicle)) free on (.+?) at (.+?): (\d+) (day|night) "
        r"patrols?( by vehicle)?(.*)",
        part,
    ):
        shift, days = m[6], [DAY_NAMES.index(d) for d in _split(m[3], "and")]
        cars = m[2] is not None
        assert cars == (m[7] is not None) and (cars or m[1] == shift)
        full = [by_name[name] for name in _split(m[4], "or")]
        taken: list[Route] = []
        for d in days:
            assert Slot(d, shift) in r.slots and not any(
                a.request == r.id and a.slot == Slot(d, shift) for a in plan.assignments
            )
            for b in full:
                assert km(b, r) <= b.max_km
                assert b.teams(d, shift) > 0
                if cars:
                    assert km(b, r) > FOOT_KM, "could have gone on foot"
                    assert plan.use[(b.id, d, shift)] < b.teams(d, shift)
                    assert plan.vehicle_use[(b.id, d, shift)] == b.vehicles_for(d, shift)
                    taken.extend(x for x in at[(b.id, d, shift)] if x.vehicle)
                else:
                    assert plan.use[(b.id, d, shift)] == b.teams(d, shift), "said full, is not"
                    taken.extend(at[(b.id, d, shift)])
        assert int(m[5]) == len(taken)
        earlier = re.search(
            r", and (\d+) (?:teams?|vehicles?) out on patrols already recorded$", m[8]
        )
        out = sum(b.out_on_record(d, shift, vehicles=cars) for d in days for b in full)
        assert (int(earlier[1]) if earlier else 0) == out
        names = set(re.findall(r"\(([^()]+)\)", m[8])[0].replace(" and ", ", ").split(", "))
        communities = {by_id[rid].community for x in taken for rid in x.requests}
        assert {x for x in names if not re.fullmatch(r"\d+ more", x)} <= communities
        if "higher-value" in m[8] or "equal or higher" in m[8]:
            own = marginal(r, n + 1)
            for x in taken:
                if x.fixed:
                    continue
                worth = sum(marginal(by_id[rid], plan.scheduled[rid]) for rid in x.requests)
                assert worth >= own - 2e-3
                if "higher-value" in m[8] and "equal" not in m[8]:
                    assert worth > own - 1e-3
    elif m := re.fullmatch(r"a (day|night) team was still free on (.+) at (.+), but .+", part):
        assert plan.status != "optimal"
    elif re.fullmatch(r"only \d+ distinct slots? (?:was|were) asked for", part):
        assert len(set(r.slots)) < r.wanted
    elif part == "no slot was asked for":
        assert not r.slots
    else:
        raise AssertionError(f"unknown statement: {part!r}")


# --- the examples of the brief ------------------------------------------------------------


def test_capacity_full_names_the_requests_that_took_it() -> None:
    bases = [base(night=2), base("oicha", "Oicha COB", (0.70, 29.52), night=0)]
    requests = [
        request(
            "kibirizi",
            slots=(Slot(1, "night"), Slot(2, "night"), Slot(3, "night")),
            priority=4,
            at=NORTH,
        ),
        request("mbau", priority=5, risk=0.9, people=5000, at=SOUTH),
        request("mavivi", priority=1, risk=0.1, people=100, at=EAST),
    ]
    plan = plan_week(bases, requests)
    check_constraints(plan, bases, requests)
    check_explanations(plan, bases, requests)
    assert plan.status == "optimal"
    assert plan.use[("beni", 1, "night")] == 2
    assert plan.explanations["mavivi"] == (
        "Mavivi requested 1 night patrol, none scheduled",
        "Oicha COB has no night team; no night team free on Tuesday at Beni: 2 night patrols, "
        "both given to higher-value requests (Mbau, Kibirizi)",
    )


def test_partly_covered_request_says_how_many_of_how_many() -> None:
    bases = [base(night=1)]
    camp = request(
        "camp",
        "Kibirizi",
        tuple(Slot(d, "night") for d in range(3)),
        3,
        priority=2,
        people=50,
        at=NORTH,
    )
    others = [
        request(f"v{d}", f"Village{d}", (Slot(d, "night"),), priority=5, at=SOUTH) for d in (0, 1)
    ]
    plan = plan_week(bases, [camp, *others])
    assert plan.scheduled["camp"] == 1
    reasons = plan.explanations["camp"]
    assert reasons[0] == "Kibirizi requested 3 night patrols, 1 scheduled"
    assert reasons[1] == (
        "no night team free on Monday and Tuesday at Beni: 2 night patrols, "
        "both given to higher-value requests (Village0, Village1)"
    )
    check_explanations(plan, bases, [camp, *others])


def test_out_of_reach_names_the_nearest_base_its_distance_and_limit() -> None:
    oicha = base("oicha", "Oicha COB", (0.70, 29.52), max_km=40)
    beni = base(max_km=30)
    far = request("far", "Eringeti", kind="market", slots=(Slot(1, "day"),), at=(1.25, 29.60))
    assert 60 < haversine_km(oicha.lat, oicha.lon, *far.points[0]) < 64
    plan = plan_week([beni, oicha], [far])
    distance = round(haversine_km(oicha.lat, oicha.lon, *far.points[0]))
    assert plan.explanations["far"] == (
        "Eringeti requested 1 market patrol, none scheduled",
        f"no base within reach: the nearest, Oicha COB, is {distance} km away (limit 40 km)",
    )


def test_route_reach_is_decided_by_its_farthest_point() -> None:
    route = replace(
        request("road", kind="route", slots=(Slot(2, "day"),)),
        points=((0.50, 29.48), (0.90, 29.48)),
    )
    plan = plan_week([base(max_km=40)], [route])
    assert plan.scheduled["road"] == 0
    assert "no base within reach" in plan.explanations["road"][1]


def test_unavailable_base_is_said() -> None:
    bases = [base(off=frozenset({4}))]
    market = request("m", "Mbau", (Slot(4, "day"),), kind="market")
    plan = plan_week(bases, [market])
    assert plan.explanations["m"] == (
        "Mbau requested 1 market patrol, none scheduled",
        "Beni is unavailable on Friday",
    )


# --- patrols: several requests, vehicles, hours --------------------------------------------

NORTH_2 = (NORTH[0] + 0.027, NORTH[1])  # a village 3 km from NORTH


def test_one_patrol_covers_requests_near_each_other() -> None:
    bases = [base(day=1)]
    a = request("a", "Mbau", (Slot(1, "day"),), kind="market", at=NORTH)
    b = request("b", "Kibirizi", (Slot(1, "day"),), kind="water_point", at=NORTH_2)
    for plan in (plan_week(bases, [a, b]), greedy_plan(bases, [a, b])):
        assert plan.scheduled == {"a": 1, "b": 1} and plan.explanations == {}
        [route] = plan.routes
        assert sorted(route.requests) == ["a", "b"] and route.vehicle
        assert plan.use[("beni", 1, "day")] == 1
        check_constraints(plan, bases, [a, b])


def test_the_team_goes_where_it_covers_most_where_greedy_takes_the_top_request() -> None:
    bases = [base(day=1)]
    top = request("top", "Mbau", (Slot(1, "day"),), kind="market", priority=5, at=SOUTH)
    b = request("b", "Kibirizi", (Slot(1, "day"),), kind="market", priority=4, at=NORTH)
    c = request("c", "Mavivi", (Slot(1, "day"),), kind="market", priority=3, at=NORTH_2)
    requests = [top, b, c]
    assert request_value(top) > request_value(b) > request_value(c)
    assert request_value(b) + request_value(c) > request_value(top)
    greedy = greedy_plan(bases, requests)
    assert greedy.scheduled == {"top": 1, "b": 0, "c": 0}
    plan = plan_week(bases, requests)
    assert plan.status == "optimal"
    assert plan.scheduled == {"top": 0, "b": 1, "c": 1}
    assert plan.value == pytest.approx(request_value(b) + request_value(c))
    assert plan.greedy_value == pytest.approx(greedy.value) == pytest.approx(request_value(top))
    assert plan.explanations["top"] == (
        "Mbau requested 1 market patrol, none scheduled",
        "no day team free on Tuesday at Beni: 1 day patrol, given to higher-value requests "
        "(Kibirizi, Mavivi)",
    )
    for p in (plan, greedy):
        check_constraints(p, bases, requests)
        check_explanations(p, bases, requests)


def test_a_far_patrol_needs_a_vehicle_and_a_near_one_walks() -> None:
    bases = [base(day=3, vehicles=1)]  # a team is left, not a vehicle
    day = (Slot(1, "day"),)
    far = request("far", "Mbau", day, kind="market", priority=5, at=NORTH)
    other = request("other", "Kibirizi", day, kind="market", priority=3, at=SOUTH)
    near = request("near", "Mavivi", day, kind="market", priority=1, at=(0.50, 29.49), hours=5)
    requests = [far, other, near]
    for plan in (plan_week(bases, requests), greedy_plan(bases, requests)):
        assert {(r.requests, r.vehicle) for r in plan.routes} == {
            (("far",), True),
            (("near",), False),
        }
        assert plan.explanations["other"] == (
            "Kibirizi requested 1 market patrol, none scheduled",
            "no vehicle free on Tuesday at Beni: 1 day patrol by vehicle, given to a "
            "higher-value request (Mbau)",
        )
        check_constraints(plan, bases, requests)
        check_explanations(plan, bases, requests)


def test_a_base_without_vehicles_patrols_on_foot_only() -> None:
    bases = [base(day=2, vehicles=0)]
    far = request("far", "Mbau", (Slot(1, "day"),), kind="market", at=NORTH)
    near = request("near", "Mavivi", (Slot(1, "day"),), kind="market", at=(0.50, 29.49))
    plan = plan_week(bases, [far, near])
    assert [(r.requests, r.vehicle) for r in plan.routes] == [(("near",), False)]
    assert plan.explanations["far"] == (
        "Mbau requested 1 market patrol, none scheduled",
        "Beni has no vehicle and Mbau is beyond 5 km on foot",
    )
    check_explanations(plan, bases, [far, near])
    with pytest.raises(ValueError, match="beyond 5 km on foot, and Beni has no vehicle"):
        plan_week(bases, [replace(far, fixed=((Slot(1, "day"), "beni"),))])


def test_a_patrol_to_several_requests_fits_in_its_shift() -> None:
    bases = [base(day=1)]
    day = (Slot(1, "day"),)
    # Two firewood patrols of 4 hours each and the drive there and back: more than 9 hours.
    a = request("a", "Mbau", day, kind="firewood", priority=5, at=NORTH)
    b = request("b", "Kibirizi", day, kind="firewood", at=NORTH_2)
    assert route_km(bases[0], [a, b]) / VEHICLE_KMH + stays([a, b]) > SHIFT_HOURS["day"]
    plan = plan_week(bases, [a, b])
    assert plan.scheduled == {"a": 1, "b": 0}
    assert [r.requests for r in plan.routes] == [("a",)]
    # An hour each: one patrol covers both.
    short = [replace(a, hours=1.0), replace(b, hours=1.0)]
    plan = plan_week(bases, short)
    assert plan.scheduled == {"a": 1, "b": 1} and len(plan.routes) == 1
    assert plan.routes[0].hours == pytest.approx(plan.routes[0].km / VEHICLE_KMH + 2.0, abs=1e-3)
    check_constraints(plan, bases, short)


def test_a_patrol_to_several_requests_keeps_the_hours_each_asked_for() -> None:
    bases = [base(day=1)]
    day = (Slot(1, "day"),)
    # A water point from 06:00 to 07:00 (1 h 30 asked for, capped at its hour) and a market
    # from 06:00 to 08:00 (2 h): both want the morning's first hours, and one team cannot
    # be at both, although the two stays and the drive fit in the shift.
    water = request("w", "Mbau", day, kind="water_point", hours=1.0, at=NORTH, window=(6, 7))
    market = request("m", "Kibirizi", day, kind="market", at=NORTH_2, window=(6, 8), priority=5)
    assert route_km(bases[0], [water, market]) / VEHICLE_KMH + 3.0 < SHIFT_HOURS["day"]
    for plan in (plan_week(bases, [water, market]), greedy_plan(bases, [water, market])):
        assert plan.scheduled == {"w": 0, "m": 1}
        check_constraints(plan, bases, [water, market])
    # The market open until noon: the team goes to the water point first, then the market.
    late = replace(market, window=(6, 12))
    plan = plan_week(bases, [water, late])
    [route] = plan.routes
    assert route.requests == ("w", "m")
    drive = route.km / VEHICLE_KMH
    assert drive + 3.0 - 1e-6 <= route.hours <= SHIFT_HOURS["day"]
    between = ROAD_FACTOR * haversine_km(*NORTH, *NORTH_2) / VEHICLE_KMH
    assert route.starts == pytest.approx((6.0, 7.0 + between), abs=1e-3)
    check_constraints(plan, bases, [water, late])
    # Two hours at a camp from 22:00 to 02:00 and two at another from midnight to 04:00: one
    # team, the first camp first (midnight comes after 22:00 that night).
    night = (Slot(1, "night"),)
    camps = [
        request("c1", "Camp A", night, hours=2.0, at=NORTH, window=(22, 2)),
        request("c2", "Camp B", night, hours=2.0, at=NORTH_2, window=(0, 4)),
    ]
    plan = plan_week(bases, camps)
    [route] = plan.routes
    assert route.requests == ("c1", "c2") and plan.scheduled == {"c1": 1, "c2": 1}
    # As late as the second camp allows: no wait between them, back as soon as can be.
    assert route.starts == pytest.approx((24 - between, 2.0), abs=1e-3)
    check_constraints(plan, bases, camps)


def test_another_request_joins_a_fixed_patrol() -> None:
    bases = [base(night=1)]
    fixed = request(
        "low", "Mavivi", priority=1, fixed=((Slot(1, "night"), "beni"),), at=NORTH, hours=1
    )
    joins = request("high", "Mbau", priority=5, at=NORTH_2, hours=1)
    for plan in (plan_week(bases, [fixed, joins]), greedy_plan(bases, [fixed, joins])):
        [route] = plan.routes
        assert route.fixed and sorted(route.requests) == ["high", "low"]
        assert {(a.request, a.fixed) for a in plan.assignments} == {
            ("low", True),
            ("high", False),
        }
        check_constraints(plan, bases, [fixed, joins])


# --- value, starvation, spreading ---------------------------------------------------------


def test_request_value_is_monotone_and_starvation_is_capped() -> None:
    r = request("r")
    assert request_value(replace(r, priority=4)) > request_value(r)
    assert request_value(replace(r, risk=0.9)) > request_value(r)
    assert request_value(replace(r, beneficiaries=5000)) > request_value(r)
    boosts = [request_value(replace(r, weeks_unmet=w)) / request_value(r) for w in range(8)]
    assert boosts[:5] == pytest.approx([1.0, 1.5, 2.0, 2.5, 3.0])
    assert boosts[5:] == pytest.approx([3.0] * 3)
    assert covered_value(r, 2) == pytest.approx(request_value(r) * 1.9)


def test_a_request_unmet_for_weeks_wins_over_an_equal_one() -> None:
    bases = [base(night=1)]
    fresh = request("fresh", "Mbau", at=NORTH)
    starved = request("starved", "Kibirizi", weeks_unmet=3, at=SOUTH)
    for order in ([fresh, starved], [starved, fresh]):
        for planned in (plan_week(bases, order), greedy_plan(bases, order)):
            assert planned.scheduled == {"fresh": 0, "starved": 1}
    # Three weeks unmet (x2.5) also beats a request of priority 5 against 3.
    urgent, waiting = replace(fresh, priority=5), replace(starved, priority=3)
    assert request_value(urgent) < request_value(waiting)
    assert plan_week(bases, [urgent, waiting]).scheduled == {"fresh": 0, "starved": 1}


def test_equal_requests_share_rather_than_one_taking_all() -> None:
    bases = [base(day=1)]
    slots = (Slot(0, "day"), Slot(1, "day"))
    a = request("a", kind="firewood", slots=slots, at=NORTH)
    b = request("b", kind="firewood", slots=slots, at=SOUTH)
    plan = plan_week(bases, [a, b])
    assert plan.scheduled == {"a": 1, "b": 1}
    assert plan.value == pytest.approx(2 * request_value(a))


def test_the_nearer_base_gets_the_patrol() -> None:
    near = base("near", "Near", (0.46, 29.46))
    far = base("far", "Far", (0.60, 29.55))
    r = request("r", slots=(Slot(0, "day"),), kind="market")
    for plan in (plan_week([far, near], [r]), greedy_plan([far, near], [r])):
        assert [a.base for a in plan.assignments] == ["near"]


# --- fixed patrols ------------------------------------------------------------------------


def test_fixed_patrols_are_kept_and_use_capacity() -> None:
    bases = [base(night=1)]
    low = request("low", "Mavivi", priority=1, fixed=((Slot(1, "night"), "beni"),), at=NORTH)
    high = request("high", "Mbau", priority=5, at=SOUTH)
    for plan in (plan_week(bases, [low, high]), greedy_plan(bases, [low, high])):
        assert [(a.request, a.fixed) for a in plan.assignments] == [("low", True)]
        assert plan.explanations["high"][1] == (
            "no night team free on Tuesday at Beni: 1 night patrol, fixed by the officer (Mavivi)"
        )
        check_constraints(plan, bases, [low, high])


def test_teams_out_on_recorded_patrols_are_not_given_again() -> None:
    """``spent``: teams (and vehicles) already out in a shift on patrols recorded earlier
    in the week; the plan uses only what is left, and says so when a request misses out."""
    beni = replace(
        base(day=1, night=2, vehicles=2),
        spent=((1, "night", 1, 1), (3, "night", 2, 0)),
    )
    assert [beni.teams(d, "night") for d in (0, 1, 3)] == [2, 1, 0]
    assert [beni.vehicles_for(d, "night") for d in (0, 1, 3)] == [2, 1, 0]
    high = request("high", "Mbau", slots=(Slot(1, "night"),), priority=5, at=NORTH)
    low = request("low", "Mavivi", slots=(Slot(1, "night"), Slot(3, "night")), at=SOUTH)
    for make in (plan_week, greedy_plan):
        plan = make([beni], [high, low])
        check_constraints(plan, [beni], [high, low])
        assert sorted((a.request, a.slot) for a in plan.assignments) == [("high", Slot(1, "night"))]
        assert plan.explanations["low"][1:] == (
            "no night team free on Tuesday at Beni: 1 night patrol, given to a higher-value "
            "request (Mbau), and 1 team out on patrols already recorded",
            "every night team of Beni is out on Thursday on patrols already recorded",
        )


def test_a_fixed_patrol_on_a_slot_not_asked_for_is_planned() -> None:
    r = request("r", slots=(Slot(1, "night"),), wanted=1, fixed=((Slot(5, "night"), "beni"),))
    plan = plan_week([base(night=1)], [r])
    assert {(a.slot, a.fixed) for a in plan.assignments} == {(Slot(5, "night"), True)}
    assert plan.scheduled["r"] == 1


@pytest.mark.parametrize(
    ("fixed", "bases", "message"),
    [
        (((Slot(4, "day"), "beni"),), [base(off=frozenset({4}))], "Beni is unavailable on Friday"),
        (((Slot(1, "day"), "beni"),), [base(max_km=5)], "beyond its limit of 5 km"),
        (((Slot(1, "night"), "beni"),), [base(night=0)], "0 night team"),
        (((Slot(1, "day"), "bunia"),), [base()], "unknown base 'bunia'"),
        (((Slot(1, "day"), "beni"), (Slot(1, "day"), "beni")), [base(day=2)], "already fixed"),
        (((Slot(9, "day"), "beni"),), [base()], "is not a day 0-6"),
    ],
)
def test_an_impossible_fixed_patrol_raises(
    fixed: tuple[tuple[Slot, str], ...], bases: list[BaseCapacity], message: str
) -> None:
    r = request("r", "Kibirizi", fixed=fixed)
    for make in (plan_week, greedy_plan):
        with pytest.raises(ValueError, match=re.escape(message)) as raised:
            make(bases, [r])
        assert "request 'r' (Kibirizi)" in str(raised.value)
    # The page names a request as people know it.
    with pytest.raises(ValueError, match=re.escape(message)) as named:
        plan_week(bases, [replace(r, label="P-7")])
    assert str(named.value).startswith("P-7 (Kibirizi)")


def test_fixed_patrols_beyond_the_teams_raise() -> None:
    a = request("a", "Mbau", fixed=((Slot(1, "night"), "beni"),))
    b = request("b", "Mavivi", fixed=((Slot(1, "night"), "beni"),))
    with pytest.raises(ValueError, match=r"Mavivi.*Beni has 1 night team on Tuesday"):
        plan_week([base(night=1)], [a, b])


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="priority 0"):
        plan_week([base()], [request("r", priority=0)])
    with pytest.raises(ValueError, match="appears twice"):
        plan_week([base()], [request("r"), request("r")])


# --- solver status, fallback, determinism -------------------------------------------------


def test_greedy_fallback_when_the_solver_gives_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model: cp_model.UNKNOWN)
    bases = [base(night=1)]
    requests = [request("a", priority=5, at=NORTH), request("b", priority=1, at=SOUTH)]
    plan = plan_week(bases, requests)
    assert plan.status == "greedy"
    assert plan.scheduled == {"a": 1, "b": 0}
    assert plan.value == plan.greedy_value == greedy_plan(bases, requests).value
    check_explanations(plan, bases, requests)


def random_instance(
    seed: int, n_bases: int, n_requests: int
) -> tuple[list[BaseCapacity], list[Request]]:
    rng = random.Random(seed)
    bases = [
        base(
            f"b{i}",
            f"Base{i}",
            (0.5 + rng.uniform(-0.3, 0.3), 29.5 + rng.uniform(-0.3, 0.3)),
            day=rng.randint(0, 3),
            night=rng.randint(0, 2),
            max_km=rng.uniform(20, 50),
            off=frozenset(rng.sample(range(7), rng.randint(0, 1))),
        )
        for i in range(n_bases)
    ]
    requests = []
    for i in range(n_requests):
        shift = rng.choice(SHIFTS)
        slots = tuple(sorted(Slot(d, shift) for d in rng.sample(range(7), rng.randint(1, 4))))
        requests.append(
            request(
                f"r{i}",
                f"Village{i}",
                slots,
                rng.randint(1, len(slots)),
                at=(0.5 + rng.uniform(-0.4, 0.4), 29.5 + rng.uniform(-0.4, 0.4)),
                priority=rng.randint(1, 5),
                risk=round(rng.random(), 2),
                people=rng.randint(0, 20000),
                weeks_unmet=rng.choice((0, 0, 0, 1, 3)),
            )
        )
    return bases, requests


def test_same_seed_same_plan_and_at_least_greedy() -> None:
    bases, requests = random_instance(7, 5, 80)
    first = plan_week(bases, requests, seed=3)
    again = plan_week(bases, requests, seed=3)
    assert first.assignments == again.assignments
    assert plan_week(bases, requests, seed=3, workers=2).value == pytest.approx(first.value)
    assert first.explanations == again.explanations
    assert first.status == "optimal"
    assert first.bound == pytest.approx(first.value, abs=0.1)
    greedy = greedy_plan(bases, requests)
    assert first.value >= greedy.value - 1e-6
    assert first.greedy_value == pytest.approx(greedy.value)
    for plan in (first, greedy):
        check_constraints(plan, bases, requests)
        check_explanations(plan, bases, requests)


# --- properties on random small instances -------------------------------------------------


def coords(box: float = 0.2) -> st.SearchStrategy[tuple[float, float]]:
    """Places in a square of 2 * box degrees; some a few km apart, within walking distance."""
    return st.one_of(
        st.tuples(st.floats(0.5 - box, 0.5 + box), st.floats(29.5 - box, 29.5 + box)),
        st.tuples(st.floats(0.48, 0.52), st.floats(29.48, 29.52)),
    )


coord = coords()
slot = st.builds(Slot, st.integers(0, 2), st.sampled_from(SHIFTS))


@st.composite
def instances(
    draw: st.DrawFn,
    max_bases: int = 3,
    max_requests: int = 6,
    max_slots: int = 3,
    days: int = 3,
    max_teams: int = 2,
    box: float = 0.2,
) -> tuple[list[BaseCapacity], list[Request]]:
    coord = coords(box)
    slot = st.builds(Slot, st.integers(0, days - 1), st.sampled_from(SHIFTS))
    bases = [
        base(
            f"b{i}",
            f"Base{i}",
            draw(coord),
            day=draw(st.integers(0, max_teams)),
            night=draw(st.integers(0, max_teams)),
            max_km=draw(st.floats(10, 45)),
            off=draw(st.frozensets(st.integers(0, 2), max_size=1)),
            vehicles=draw(st.one_of(st.none(), st.integers(0, 2))),
        )
        for i in range(draw(st.integers(1, max_bases)))
    ]
    # Some teams already out on recorded patrols (a plan made again during the week).
    spent = st.tuples(st.integers(0, days - 1), st.sampled_from(SHIFTS), st.integers(1, 2))
    bases = [
        replace(
            b,
            spent=tuple(
                (d, s, t, draw(st.integers(0, t)))
                for d, s, t in draw(st.lists(spent, max_size=2, unique_by=lambda x: x[:2]))
            ),
        )
        for b in bases
    ]
    requests = []
    for i in range(draw(st.integers(1, max_requests))):
        slots = tuple(draw(st.lists(slot, min_size=1, max_size=max_slots, unique=True)))
        requests.append(
            replace(
                request(
                    f"r{i}",
                    f"Village{draw(st.integers(0, max_requests))}",
                    slots,
                    draw(st.integers(0, len(slots))),
                    kind=draw(st.sampled_from(["night", "market", "route", "other"])),
                    priority=draw(st.integers(1, 5)),
                    risk=draw(st.floats(0, 2)),
                    people=draw(st.integers(0, 50000)),
                    weeks_unmet=draw(st.integers(0, 5)),
                ),
                done=draw(st.integers(0, 2)),
                # Hours asked for, on the half hour, sometimes past midnight or shorter
                # than the stay, or the same hour twice (any time); none half the time.
                window=draw(
                    st.one_of(
                        st.none(),
                        st.tuples(st.integers(0, 47), st.integers(1, 20) | st.just(48)).map(
                            lambda w: (w[0] / 2, (w[0] + w[1]) / 2 % 24)
                        ),
                    )
                ),
                points=tuple(draw(st.lists(coord, min_size=1, max_size=2))),
            )
        )
    return bases, requests


def partitions(items: list[Request]) -> list[list[list[Request]]]:
    """Every way to split ``items`` into groups."""
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for split in partitions(rest):
        out.append([[first], *split])
        for k in range(len(split)):
            out.append([*split[:k], [first, *split[k]], *split[k + 1 :]])
    return out


def fits(b: BaseCapacity, slot: Slot, stops: list[Request]) -> bool:
    """Some split of ``stops`` into possible patrols fits the base's teams and vehicles."""
    for split in partitions(stops):
        modes = [patrol_mode(b, group, slot.shift) for group in split]
        if (
            None not in modes
            and all(len(group) <= MAX_STOPS for group in split)
            and len(split) <= b.teams(slot.day, slot.shift)
            and sum(m is True for m in modes) <= b.vehicles_for(slot.day, slot.shift)
        ):
            return True
    return False


def brute_force(bases: list[BaseCapacity], requests: list[Request]) -> float:
    """The best value over every assignment of every (request, slot) to nothing or a base,
    the requests a base covers in a slot split into patrols in every possible way."""
    pairs = [(r, s) for r in requests for s in set(r.slots)]
    options = [
        [None, *(b for b in bases if km(b, r) <= b.max_km and b.teams(s.day, s.shift) > 0)]
        for r, s in pairs
    ]
    best = 0.0
    for choice in itertools.product(*options):
        groups: dict[tuple[str, Slot], list[Request]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        for (r, s), b in zip(pairs, choice, strict=True):
            if b is not None:
                groups[(b.id, s)].append(r)
                counts[r.id] += 1
        if any(counts[r.id] > r.wanted for r in requests):
            continue
        value = sum(covered_value(r, counts[r.id]) for r in requests)
        if value <= best:
            continue
        by_id = {b.id: b for b in bases}
        if all(fits(by_id[bid], s, stops) for (bid, s), stops in groups.items()):
            best = value
    return best


@settings(max_examples=60, deadline=None)
@given(instances())
def test_every_constraint_holds_and_every_explanation_is_true(
    instance: tuple[list[BaseCapacity], list[Request]],
) -> None:
    bases, requests = instance
    plan = plan_week(bases, requests, time_limit_s=5)
    greedy = greedy_plan(bases, requests)
    assert plan.status == "optimal"
    assert plan.value >= greedy.value - 1e-2
    for p in (plan, greedy):
        check_constraints(p, bases, requests)
        check_explanations(p, bases, requests)


@settings(max_examples=60, deadline=None)
@given(instances(max_bases=2, max_requests=4, max_slots=2, days=1, max_teams=1, box=0.1))
def test_the_plan_is_the_brute_force_optimum(
    instance: tuple[list[BaseCapacity], list[Request]],
) -> None:
    bases, requests = instance
    plan = plan_week(bases, requests)
    # The solver optimises values rounded to 1/1000: equal up to that.
    assert plan.value == pytest.approx(brute_force(bases, requests), abs=1e-2)
    assert plan.value >= greedy_plan(bases, requests).value - 1e-2


@settings(max_examples=40, deadline=None)
@given(instances(max_requests=4), st.data())
def test_fixed_patrols_are_planned_or_refused_with_a_reason(
    instance: tuple[list[BaseCapacity], list[Request]], data: st.DataObject
) -> None:
    bases, requests = instance
    r = requests[0]
    fixed = tuple(
        data.draw(
            st.lists(
                st.tuples(slot, st.sampled_from([b.id for b in bases])), max_size=2, unique=True
            )
        )
    )
    requests = [replace(r, fixed=fixed), *requests[1:]]
    by_id = {b.id: b for b in bases}
    per_team: dict[tuple[str, int, str], int] = defaultdict(int)
    per_car: dict[tuple[str, int, str], int] = defaultdict(int)
    possible = len({s for s, _ in fixed}) == len(fixed)
    for s, bid in fixed:
        b = by_id[bid]
        per_team[(bid, s.day, s.shift)] += 1
        per_car[(bid, s.day, s.shift)] += km(b, r) > FOOT_KM
        possible &= km(b, r) <= b.max_km and per_team[(bid, s.day, s.shift)] <= b.teams(
            s.day, s.shift
        )
        possible &= per_car[(bid, s.day, s.shift)] <= b.vehicles_for(s.day, s.shift)
    if not possible:
        with pytest.raises(ValueError, match=re.escape(r.community)):
            plan_week(bases, requests)
        with pytest.raises(ValueError):
            greedy_plan(bases, requests)
        return
    for plan in (plan_week(bases, requests), greedy_plan(bases, requests)):
        check_constraints(plan, bases, requests)
        check_explanations(plan, bases, requests)


def test_empty_inputs_and_requests_asking_more_than_they_list() -> None:
    empty = plan_week([], [])
    assert (empty.assignments, empty.value, empty.status) == ((), 0.0, "optimal")
    nothing = request("n", "Mbau", slots=(), wanted=2, kind="other")
    twice = request("t", "Kibirizi", slots=(Slot(0, "day"), Slot(0, "day")), kind="water_point")
    plan = plan_week([base()], [nothing, twice])
    assert plan.explanations == {
        "n": ("Mbau requested 2 patrols, none scheduled", "no slot was asked for"),
        "t": (
            "Kibirizi requested 2 water-point patrols, 1 scheduled",
            "only 1 distinct slot was asked for",
        ),
    }
