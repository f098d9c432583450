"""What a patrol visiting some requests should be, worked out apart from ``ulinzi.patrols.planner``.

The planner's rules (its module docstring) checked by brute force: every order of
the requests and every direction along each route, the road kilometres summed leg
by leg, and the schedule within each request's hours found by bisection on the
beginning of the first visit (the planner computes it backwards in one pass). Used
by the patrol benchmark and the planner's tests to check every patrol of a plan.
The leading underscore keeps ``make bench`` from running it as a benchmark.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ulinzi.patrols.planner import (
    DEFAULT_STAY_HOURS,
    FOOT_KM,
    FOOT_KMH,
    ROAD_FACTOR,
    SHIFT_HOURS,
    STAY_HOURS,
    VEHICLE_KMH,
    BaseCapacity,
    Request,
    haversine_km,
)

Way = tuple[float, list[float], list[Request]]  # road km, km into each stop then back, order


def farthest_km(b: BaseCapacity, r: Request) -> float:
    """Straight-line km from the base to the request's farthest point."""
    return max(haversine_km(b.lat, b.lon, lat, lon) for lat, lon in r.points)


def along_km(r: Request) -> float:
    """Road km along the request's own places (0 for one place)."""
    pts = r.points
    return ROAD_FACTOR * sum(haversine_km(*pts[k], *pts[k + 1]) for k in range(len(pts) - 1))


def ways(b: BaseCapacity, stops: Sequence[Request]) -> list[Way]:
    """Every way from the base through the requests and back."""
    out: list[Way] = []
    for order in itertools.permutations(stops):
        for backwards in itertools.product((False, True), repeat=len(order)):
            here, legs = (b.lat, b.lon), []
            for r, back in zip(order, backwards, strict=True):
                points = list(reversed(r.points)) if back else list(r.points)
                legs.append(ROAD_FACTOR * haversine_km(*here, *points[0]))
                here = points[-1]
            legs.append(ROAD_FACTOR * haversine_km(*here, b.lat, b.lon))
            out.append((sum(legs) + sum(along_km(r) for r in order), legs, list(order)))
    return out


def route_km(b: BaseCapacity, stops: Sequence[Request]) -> float:
    """The shortest road km through every request, every way tried."""
    return min(way[0] for way in ways(b, stops))


def stay(r: Request) -> float:
    return r.hours if r.hours is not None else STAY_HOURS.get(r.kind, DEFAULT_STAY_HOURS)


def hours_on_axis(r: Request, shift: str) -> tuple[float, float]:
    """The request's hours as increasing numbers for the shift: the end after the start
    (the next day if need be); at night, a window ending by noon is the morning after's
    (01:00-04:00 after 22:00). The same hour twice: any time."""
    if r.window is None or r.window[0] % 24 == r.window[1] % 24:
        return (-1e4, 1e4)
    start, end = r.window
    end += 24 * (end <= start)
    shift_by = 24 if shift == "night" and end <= 12 else 0
    return start + shift_by, end + shift_by


def time_out(
    order: Sequence[Request], legs: Sequence[float], kmh: float, shift: str
) -> float | None:
    """Hours from leaving the base to coming back when visiting the requests in this order,
    each within its hours (waiting when early); None when that cannot be. The latest
    beginning of the first visit that makes no visit end too late is found by bisection
    (the later it begins, the less the others wait)."""
    visits = [(*hours_on_axis(r, shift), stay(r) + along_km(r) / kmh) for r in order]

    def last_end(first: float) -> float | None:
        at = first
        for k, (start, end, length) in enumerate(visits):
            at = max(at + legs[k] / kmh, start) if k else at
            if at + length > end + 1e-9:
                return None
            at += length
        return at

    lo, hi = visits[0][0], visits[0][1] - visits[0][2]
    if hi < lo - 1e-9 or last_end(lo) is None:
        return None
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if last_end(mid) is not None else (lo, mid)
    end = last_end(lo)
    assert end is not None
    return end + legs[-1] / kmh - (lo - legs[0] / kmh)


def expected_patrol(
    b: BaseCapacity, stops: Sequence[Request], shift: str
) -> tuple[bool, float, float] | None:
    """(needs a vehicle, road km, hours out) of the patrol from ``b`` visiting ``stops``: on
    foot when it can, by the shortest way that fits in the shift within every request's
    hours; None when no patrol can."""
    if any(farthest_km(b, r) > b.max_km for r in stops):
        return None
    on_foot = all(farthest_km(b, r) <= FOOT_KM for r in stops)
    if len(stops) == 1:
        if not on_foot and b.vehicles == 0:
            return None
        km = route_km(b, stops)
        kmh = FOOT_KMH if on_foot else VEHICLE_KMH
        return not on_foot, km, km / kmh + stay(stops[0])
    modes = [(False, FOOT_KMH)] if on_foot else []
    modes += [(True, VEHICLE_KMH)] if b.vehicles != 0 else []
    for vehicle, kmh in modes:
        fitting = []
        for km, legs, order in ways(b, stops):
            hours = time_out(order, legs, kmh, shift)
            if hours is not None and hours <= SHIFT_HOURS[shift] + 1e-6:
                fitting.append((km, hours))
        if fitting:
            # Ways as short as the shortest (a place-to-place loop the other way round):
            # the one that is out the fewest hours.
            shortest = min(km for km, _ in fitting)
            return vehicle, shortest, min(h for km, h in fitting if km <= shortest + 1e-6)
    return None
