"""The space-time permutation scan (ulinzi.threats.scan): hand-worked examples, agreement
with the straightforward loops of bench/_scan_reference.py, recovery of a planted
cluster, and the edges.

Places are on the equator, where 0.1 degree of longitude is 11.12 km.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ulinzi.test import bench_module
from ulinzi.threats.scan import (
    Cluster,
    ScanResult,
    ScanSettings,
    haversine_km,
    log_likelihood_ratio,
    scan,
)

A, B, C = (0.0, 0.0), (0.0, 0.1), (0.0, 1.0)  # B is 11.12 km east of A, C 111 km


reference_scan = bench_module("_scan_reference").reference_scan


def events(*rows: tuple[tuple[float, float], int]) -> tuple[list[float], list[float], list[int]]:
    return [p[0] for p, _ in rows], [p[1] for p, _ in rows], [d for _, d in rows]


# Ten events at three locations, analysed on day 9.
#   index: 0  1  2  3 | 4  5 | 6  7  8  9
#   place: A  A  A  A | B  B | C  C  C  C
#   day:   9  9  8  2 | 9  5 | 0  1  3  4
TEN = events(
    (A, 9), (A, 9), (A, 8), (A, 2), (B, 9), (B, 5), (C, 0), (C, 1), (C, 3), (C, 4)
)  # fmt: skip
HAND = ScanSettings(max_radius_km=20, max_days=3, replicates=0)


def test_hand_worked_example() -> None:
    # N = 10; N_A = 4, N_B = 2, N_C = 4. Circles (at most 20 km, at most 5 events):
    #   centre A: {A} (N_z 4); {A, B} has 6 events > 5 -> no. Centre B: {B} (2); {B, A} no.
    #   centre C: {C} (4); B is 100 km away -> no.  Three zones.
    # Windows ending on day 9: d=1 [9, 9] N_w = 3 (A, A, B); d=2 [8, 9] N_w = 4; d=3 N_w = 4.
    # {A}: d=1 c=2, mu = 4*3/10 = 1.2: LLR = 2 ln(2/1.2) + 8 ln(8/8.8)   = 0.25917
    #      d=2 c=3, mu = 4*4/10 = 1.6: LLR = 3 ln(3/1.6) + 7 ln(7/8.4)   = 0.60958
    #      d=3 the same as d=2 (nothing on day 7): the shorter window is kept.
    # {B}: d=1 c=1, mu = 2*3/10 = 0.6: LLR = 1 ln(1/0.6) + 9 ln(9/9.4)   = 0.11946
    #      d=2 c=1, mu = 0.8:           LLR = ln(1.25) + 9 ln(9/9.2)       = 0.02533
    # {C}: c = 0 in every window: LLR 0, not reported.
    # Most likely: {A} on days 8-9; secondary: {B} on day 9 (no shared location).
    result = scan(*TEN, end_day=9, settings=HAND)
    assert (result.events, result.locations, result.centres) == (10, 3, 3)
    assert (result.zones, result.windows, result.start_day, result.end_day) == (3, 3, 0, 9)
    first, second = result.clusters
    assert (first.centre, first.lat, first.lon, first.radius_km) == (0, 0.0, 0.0, 0.0)
    assert (first.start_day, first.end_day, first.days) == (8, 9, 2)
    assert (first.observed, first.members) == (3, (0, 1, 2))
    assert first.expected == pytest.approx(1.6, abs=1e-12)
    assert first.llr == pytest.approx(3 * math.log(3 / 1.6) + 7 * math.log(7 / 8.4), abs=1e-12)
    assert first.ratio == pytest.approx(3 / 1.6)
    assert (second.centre, second.start_day, second.observed, second.members) == (1, 9, 1, (4,))
    assert second.expected == pytest.approx(0.6, abs=1e-12)
    assert second.llr == pytest.approx(math.log(1 / 0.6) + 9 * math.log(9 / 9.4), abs=1e-12)
    # no replicate: no p-value
    assert math.isnan(first.p_value) and math.isnan(first.recurrence_days)
    assert result.replicate_max_llr == ()


def test_share_and_radius_caps() -> None:
    # With at most 60% of the events, {A, B} (6 events, 11.12 km) is a zone:
    #   d=1 c=3, mu = 6*3/10 = 1.8: LLR = 3 ln(3/1.8) + 7 ln(7/8.2) = 0.42495
    #   d=2 c=4, mu = 6*4/10 = 2.4: LLR = 4 ln(4/2.4) + 6 ln(6/7.6) = 0.62503 > 0.60958 of {A}
    # It is reported from centre A; centre B's best is the same circle (overlap), C has none.
    result = scan(*TEN, end_day=9, settings=replace(HAND, max_share=0.6))
    assert result.zones == 5  # {A}, {A,B}, {B}, {B,A}, {C}
    (only,) = result.clusters
    assert (only.centre, only.start_day, only.observed, only.members) == (0, 8, 4, (0, 1, 2, 4))
    assert only.radius_km == pytest.approx(float(haversine_km(0, 0, 0, 0.1)))
    assert only.llr == pytest.approx(4 * math.log(4 / 2.4) + 6 * math.log(6 / 7.6), abs=1e-12)
    # ... but not within 5 km: back to the two single-location clusters.
    small = scan(*TEN, end_day=9, settings=replace(HAND, max_share=0.6, max_radius_km=5))
    assert [c.members for c in small.clusters] == [(0, 1, 2), (4,)]


def test_locations_at_the_same_distance_enter_a_circle_together() -> None:
    # Explicit centre (0, 0); E and W at 11.12 km on either side, F at 33 km.
    # Events: E days 5, 5; W days 5, 1; F days 0..5. N = 10, cap 5 events.
    # {E} alone is not a circle (W is as far), {E, W} is (N_z 4), {E, W, F} has 10 events.
    # Day 5: N_w = 4 (E, E, W, F); {E, W}: c = 3, mu = 4*4/10 = 1.6 -> 0.60958.
    # (Scanning {E} alone would have won: c = 2, mu = 0.8, LLR 0.7145.)
    e, w, f = (0.0, 0.1), (0.0, -0.1), (0.0, 0.3)
    lat, lon, day = events(
        (e, 5), (e, 5), (w, 5), (w, 1), (f, 0), (f, 1), (f, 2), (f, 3), (f, 4), (f, 5)
    )
    result = scan(
        lat,
        lon,
        day,
        end_day=5,
        settings=ScanSettings(max_radius_km=50, max_days=1, replicates=0),
        centres_lat=[0.0],
        centres_lon=[0.0],
    )
    assert (result.zones, result.centres) == (1, 1)
    (only,) = result.clusters
    assert (only.centre, only.lat, only.lon, only.members) == (0, 0.0, 0.0, (0, 1, 2))
    assert only.radius_km == pytest.approx(11.1195, abs=1e-3)
    assert only.llr == pytest.approx(3 * math.log(3 / 1.6) + 7 * math.log(7 / 8.4), abs=1e-12)


def test_log_likelihood_ratio() -> None:
    assert log_likelihood_ratio(2, 2.0, 10) == 0.0  # no excess
    assert log_likelihood_ratio(1, 1.5, 10) == 0.0  # a deficit is not a cluster
    assert log_likelihood_ratio(5, 2.5, 5) == pytest.approx(5 * math.log(2))  # c == N
    assert log_likelihood_ratio(3, 1.6, 10) == pytest.approx(
        3 * math.log(3 / 1.6) + 7 * math.log(7 / 8.4)
    )


# --- Agreement with the straightforward loops ------------------------------------------------


def random_events(
    seed: int, n: int, places: int, days: int = 60, grid: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if grid:  # exact ties in distance
        cells = rng.integers(0, 6, (places, 2))
        lat, lon = cells[:, 0] * 0.05, cells[:, 1] * 0.05
    else:
        lat, lon = rng.uniform(-1.0, -0.6, places), rng.uniform(29.0, 29.4, places)
    weight = rng.lognormal(0, 1, places)
    at = rng.choice(places, n, p=weight / weight.sum())
    return lat[at], lon[at], rng.integers(0, days, n)


def same(fast: ScanResult, slow: ScanResult) -> None:
    assert (fast.events, fast.locations, fast.zones, fast.windows) == (
        slow.events,
        slow.locations,
        slow.zones,
        slow.windows,
    )
    assert len(fast.clusters) == len(slow.clusters)
    for a, b in zip(fast.clusters, slow.clusters, strict=True):
        assert (a.centre, a.start_day, a.end_day, a.observed, a.members) == (
            b.centre,
            b.start_day,
            b.end_day,
            b.observed,
            b.members,
        )
        assert a.p_value == b.p_value or (math.isnan(a.p_value) and math.isnan(b.p_value))
        assert a.llr == pytest.approx(b.llr, abs=1e-9)
        assert a.expected == pytest.approx(b.expected, abs=1e-12)
        assert a.radius_km == pytest.approx(b.radius_km, abs=1e-6)
    assert np.allclose(fast.replicate_max_llr, slow.replicate_max_llr, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("seed", "n", "places", "grid", "extra"),
    [
        (1, 150, 25, False, {}),
        (2, 200, 30, True, {}),
        (3, 120, 20, False, {"start_day": 20, "max_share": 0.3}),
        (4, 180, 36, True, {"min_days": 3, "max_days": 10, "max_radius_km": 12}),
    ],
)
def test_same_as_the_reference(
    seed: int, n: int, places: int, grid: bool, extra: dict[str, Any]
) -> None:
    # 39 replicates: more than the 19 scanned in full before the screen starts
    options: dict[str, Any] = {"max_radius_km": 20, "max_days": 7, "replicates": 39, "seed": seed}
    options.update(extra)
    start = options.pop("start_day", None)
    settings = ScanSettings(**options)
    lat, lon, day = random_events(seed, n, places, grid=grid)
    fast = scan(lat, lon, day, end_day=55, start_day=start, settings=settings)
    slow = reference_scan(lat, lon, day, end_day=55, start_day=start, settings=settings)
    assert fast.clusters
    same(fast, slow)


def test_same_as_the_reference_with_given_centres() -> None:
    lat, lon, day = random_events(5, 160, 30)
    grid_lat, grid_lon = np.meshgrid(np.arange(-1.0, -0.55, 0.1), np.arange(29.0, 29.45, 0.1))
    settings = ScanSettings(max_radius_km=15, max_days=10, replicates=29, seed=3)
    kwargs = {"centres_lat": grid_lat.ravel(), "centres_lon": grid_lon.ravel()}
    fast = scan(lat, lon, day, end_day=59, settings=settings, **kwargs)
    slow = reference_scan(lat, lon, day, end_day=59, settings=settings, **kwargs)
    assert fast.centres == 25
    same(fast, slow)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 20)),
        min_size=0,
        max_size=40,
    ),
    end=st.integers(5, 22),
    max_days=st.integers(1, 8),
    share=st.sampled_from([0.2, 0.5, 1.0]),
    radius=st.sampled_from([0.0, 6.0, 15.0, 40.0]),
)
def test_same_as_the_reference_on_any_small_data(
    rows: list[tuple[int, int, int]], end: int, max_days: int, share: float, radius: float
) -> None:
    lat = [0.05 * r[0] for r in rows]
    lon = [0.05 * r[1] for r in rows]
    day = [r[2] for r in rows]
    settings = ScanSettings(
        max_radius_km=radius, max_share=share, max_days=max_days, replicates=24, seed=7
    )
    same(
        scan(lat, lon, day, end_day=end, settings=settings),
        reference_scan(lat, lon, day, end_day=end, settings=settings),
    )


# --- Planted clusters and no cluster ---------------------------------------------------------


def planted(seed: int, extra: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
    """400 events over 120 days at 80 places; ``extra`` more at the 3 places nearest to
    place 0 in the last 5 days. Returns the planted events' positions too."""
    lat, lon, day = random_events(seed, 400, 80, days=120)
    rng = np.random.default_rng(seed + 1000)
    places = np.unique(np.stack([lat, lon], axis=1), axis=0)
    near = np.argsort(haversine_km(places[0, 0], places[0, 1], places[:, 0], places[:, 1]))[:3]
    pick = places[near[rng.integers(0, 3, extra)]]
    added = set(range(len(lat), len(lat) + extra))
    return (
        np.r_[lat, pick[:, 0]],
        np.r_[lon, pick[:, 1]],
        np.r_[day, rng.integers(115, 120, extra)],
        added,
    )


def test_a_planted_cluster_is_found() -> None:
    lat, lon, day, added = planted(11, extra=12)
    result = scan(lat, lon, day, end_day=119, settings=ScanSettings(replicates=99))
    top = result.most_likely
    assert top is not None
    assert top.p_value < 0.05
    assert top.recurrence_days == pytest.approx(1 / top.p_value)
    inside = set(top.members)
    assert len(inside & added) >= 0.8 * len(added)  # most planted events are found
    assert len(inside & added) >= 0.6 * len(inside)  # and they are most of the cluster


def test_no_cluster_is_rarely_signalled() -> None:
    small = 0
    for seed in range(12):
        lat, lon, day = random_events(100 + seed, 300, 60, days=120)
        top = scan(lat, lon, day, end_day=119, settings=ScanSettings(replicates=49)).most_likely
        assert top is not None
        small += top.p_value < 0.05
    assert small <= 3


# --- Reproducibility and edges ---------------------------------------------------------------


def test_same_seed_same_result_other_seed_other_draws() -> None:
    lat, lon, day = random_events(21, 200, 40)
    settings = ScanSettings(replicates=49, seed=5)
    one = scan(lat, lon, day, end_day=59, settings=settings)
    assert scan(lat, lon, day, end_day=59, settings=settings) == one
    other = scan(lat, lon, day, end_day=59, settings=replace(settings, seed=6))
    assert other.replicate_max_llr != one.replicate_max_llr
    assert [c.llr for c in other.clusters] == [c.llr for c in one.clusters]  # same data


def test_p_values_are_ranks_among_the_replicates() -> None:
    lat, lon, day = random_events(22, 200, 40)
    result = scan(lat, lon, day, end_day=59, settings=ScanSettings(replicates=49))
    maxima = np.array(result.replicate_max_llr)
    assert len(maxima) == 49 and np.all(maxima >= 0)
    for cluster in result.clusters:
        rank = round(cluster.p_value * 50)
        assert cluster.p_value == rank / 50 and 1 <= rank <= 50
        assert cluster.recurrence_days == pytest.approx(50 / rank)
        assert rank == 1 + np.count_nonzero(maxima >= cluster.llr - 1e-9)
    assert [c.llr for c in result.clusters] == sorted(
        (c.llr for c in result.clusters), reverse=True
    )


def test_no_events() -> None:
    result = scan([], [], [], end_day=10)
    assert (result.clusters, result.events, result.zones, result.most_likely) == ((), 0, 0, None)


def test_one_event_and_one_place() -> None:
    # A single location holds every event: more than half of them, so no circle at all.
    assert scan([0.5], [29.0], [3], end_day=3).clusters == ()
    lat, lon, day = [0.5] * 6, [29.0] * 6, [1, 2, 3, 3, 3, 3]
    assert scan(lat, lon, day, end_day=3).zones == 0
    # Allowed to hold them all, it still has nothing unusual: c = N_w = mu.
    everything = scan(lat, lon, day, end_day=3, settings=ScanSettings(max_share=1.0))
    assert (everything.zones, everything.clusters) == (1, ())
    assert everything.replicate_max_llr == (0.0,) * 999


def test_no_centre() -> None:
    result = scan([0.1, 0.2], [29.0, 29.1], [5, 6], end_day=6, centres_lat=[], centres_lon=[])
    assert (result.centres, result.zones, result.clusters) == (0, 0, ())


def test_events_outside_the_study_period_are_ignored() -> None:
    lat, lon, day = (list(a) for a in random_events(23, 150, 25))
    settings = ScanSettings(replicates=29)
    base = scan(lat, lon, day, end_day=50, settings=settings)
    later = scan(
        lat + [lat[0]] * 5, lon + [lon[0]] * 5, day + [51] * 5, end_day=50, settings=settings
    )
    assert later == base
    assert all(day[i] <= 50 for c in base.clusters for i in c.members)
    period = scan(lat, lon, day, end_day=50, start_day=10, settings=settings)
    assert period.start_day == 10
    assert period.events == sum(10 <= d <= 50 for d in day)
    assert all(day[i] >= 10 for c in period.clusters for i in c.members)


def test_study_period_shorter_than_the_shortest_window() -> None:
    result = scan([0.1, 0.2], [29.0, 29.1], [5, 6], end_day=6, settings=ScanSettings(min_days=3))
    assert (result.events, result.windows, result.clusters) == (2, 0, ())


def test_days_may_be_integral_floats() -> None:
    as_int = scan(*TEN, end_day=9, settings=HAND)
    as_float = scan(TEN[0], TEN[1], [float(d) for d in TEN[2]], end_day=9, settings=HAND)
    assert [c.members for c in as_float.clusters] == [c.members for c in as_int.clusters]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_share": 0.0}, "max_share must be in"),
        ({"max_share": 1.5}, "max_share must be in"),
        ({"max_radius_km": -1.0}, "max_radius_km must be finite and >= 0"),
        ({"max_radius_km": math.nan}, "max_radius_km must be finite and >= 0"),
        ({"min_days": 0}, "min_days must be >= 1"),
        ({"max_days": 2, "min_days": 3}, r"max_days \(2\) must be >= min_days \(3\)"),
        ({"replicates": -1}, "replicates must be >= 0"),
        ({"max_clusters": 0}, "max_clusters must be >= 1"),
        ({"max_days": 2.5}, "max_days must be an integer"),
        ({"seed": True}, "seed must be an integer"),
    ],
)
def test_bad_settings(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScanSettings(**changes)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: scan([0.0], [0.0, 1.0], [1], end_day=1), "same length"),
        (lambda: scan([91.0], [0.0], [1], end_day=1), "lat must be finite degrees"),
        (lambda: scan([0.0], [math.inf], [1], end_day=1), "lon must be finite degrees"),
        (lambda: scan([0.0], [0.0], [1.5], end_day=1), "integer day indexes"),
        (lambda: scan([0.0], [0.0], ["2024-01-01"], end_day=1), "integer day indexes"),
        (lambda: scan([0.0], [0.0], [1], end_day=1.5), "end_day must be an integer"),  # type: ignore[arg-type]
        (lambda: scan([0.0], [0.0], [1], end_day=1, start_day=2), "start_day"),
        (lambda: scan([0.0], [0.0], [1], end_day=1, centres_lat=[0.0]), "both centres_lat"),
        (
            lambda: scan([0.0], [0.0], [1], end_day=1, centres_lat=[0.0], centres_lon=[1, 2]),
            "same length",
        ),
    ],
)
def test_bad_input(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_cluster_is_a_plain_value() -> None:
    cluster = Cluster(0, 0.0, 0.0, 0.0, 8, 9, 3, 0.0, 1.0, 0.5, 2.0, (1,))
    assert cluster.ratio == math.inf and cluster.days == 2
