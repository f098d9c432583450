"""Benchmark the space-time permutation scan (ulinzi.threats.scan): speed, agreement, power.

Run: ``.venv/bin/python bench/scan.py [--quick] [--out PATH]``.

Synthetic events (seeded, ``synthetic()``)
    500 locations drawn uniformly in a 2 x 2 degree box (0.5-2.5 N, 29-31 E,
    about 222 x 222 km, the size of a province such as Ituri), coordinates
    rounded to 4 decimals. Each location has a weight drawn from a
    lognormal(0, 1) (a few busy towns, many quiet villages). An event picks
    its location in proportion to the weights and its day uniformly over 365
    days (day 0-364); the analysis date is day 364. Place and day are
    independent, which is exactly the null hypothesis of the permutation
    model. Settings are the defaults: circles up to 25 km and 50 % of the
    events, windows of 1-30 days ending on day 364.

Speed and agreement
    On 1,000 and on 10,000 such events (seeds 1 and 2), the straightforward
    reference (``bench/_scan_reference.py``: loops over centres, circles and
    windows, each count a ``count_nonzero`` over all events) and
    ``ulinzi.threats.scan.scan`` run on the same data with the same seed and
    the same number of replicates (29: the reference takes about a second per
    replicate on 10,000 events, so 999 would take a quarter of an hour).
    ``identical``: same clusters (centre, window, observed count, member
    events) and bit-identical p-values, on both sizes. ``max_abs_llr_diff``:
    largest difference between the two implementations' LLRs (clusters and
    replicate maxima). ``speed_ratio_<n>``: the reference's wall time over
    the module's (median of 3), both with 29 replicates, setup included;
    ``*_ms_per_replicate`` divides those times by the 30 scans (the data and
    the replicates). ``wall_s_999_on_10000``: the module with 999 replicates
    on the 10,000 events, median of 3 runs, one process (numpy, no threads
    of its own).

Power and false alarms
    ``false_alarm_rate``: share of 100 null datasets (1,000 events each,
    seeds 1000-1099) whose most likely cluster has p < 0.05 with 199
    replicates; about 0.05 is expected (binomial standard error 0.022).
    ``power_<k>``: share of 100 datasets (seeds 2000-2099) with ``k``
    extra events planted, found. A planted cluster: a location picked in
    proportion to the weights (events happen where people are), every
    location within 10 km of it is the planted area, and ``k`` events are
    added at locations of the area picked uniformly, on days picked
    uniformly among the last 7 (358-364). Found = the most likely cluster
    has p < 0.05 and its circle shares a location with the planted area.
    ``planted_background_mean`` is the mean number of background events
    expected in the planted cylinder (area x last 7 days) before planting,
    so the relative risk in the cylinder is about (that + k) / that.
    ``power_<k>_members_planted`` is, over the clusters found, the mean
    share of their events that were planted; ``..._planted_inside`` the mean
    share of planted events inside the cluster.

Real data (context only)
    ``events/ucdp_ged_car_1989_2019.csv`` of the shared data (UCDP
    Georeferenced Event Dataset, Central African Republic, 1989-2019: one row
    per event, ``latitude``, ``longitude``, ``date_start``), analysed on
    2019-12-31 over the whole file, circles up to 50 km, windows of 1-365
    days, 999 replicates: the most likely cluster and the wall time.

``--quick`` is a small version for the test suite (smaller data, fewer
replicates and datasets): its figures are not comparable.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import header, write_result  # noqa: E402 (bench/ is on sys.path when a script runs)
from _scan_reference import reference_scan  # noqa: E402

from ulinzi.threats.scan import ScanResult, ScanSettings, haversine_km, scan  # noqa: E402

LOCATIONS = 500
DAYS = 365
END = DAYS - 1
PLANT_KM = 10.0
PLANT_DAYS = 7
UCDP_EPOCH = date(1989, 1, 1)


def shared_data() -> Path:
    env = os.environ.get("ULINZI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


class Places:
    """The locations of ``synthetic()``: coordinates and weights."""

    def __init__(self, rng: np.random.Generator, n: int = LOCATIONS) -> None:
        self.lat = np.round(rng.uniform(0.5, 2.5, n), 4)
        self.lon = np.round(rng.uniform(29.0, 31.0, n), 4)
        weight = rng.lognormal(0.0, 1.0, n)
        self.p = weight / weight.sum()


def synthetic(seed: int, n_events: int) -> tuple[Places, np.ndarray, np.ndarray, np.ndarray]:
    """Background events: location by weight, day uniform over ``DAYS``; no cluster."""
    rng = np.random.default_rng(seed)
    places = Places(rng)
    at = rng.choice(LOCATIONS, n_events, p=places.p)
    day = rng.integers(0, DAYS, n_events)
    return places, places.lat[at], places.lon[at], day


def plant(
    seed: int, n_events: int, extra: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, set[int], float]:
    """Background plus ``extra`` events near a location in the last ``PLANT_DAYS`` days.

    Returns the events, the planted area's location indices (into ``Places``),
    the planted events' positions and the expected background in the cylinder.
    """
    places, lat, lon, day = synthetic(seed, n_events)
    rng = np.random.default_rng(seed + 1)
    centre = rng.choice(LOCATIONS, p=places.p)
    dist = haversine_km(places.lat[centre], places.lon[centre], places.lat, places.lon)
    area = np.flatnonzero(dist <= PLANT_KM)
    background = n_events * places.p[area].sum() * PLANT_DAYS / DAYS
    at = area[rng.integers(0, len(area), extra)]
    added = set(range(n_events, n_events + extra))
    return (
        np.r_[lat, places.lat[at]],
        np.r_[lon, places.lon[at]],
        np.r_[day, rng.integers(DAYS - PLANT_DAYS, DAYS, extra)],
        np.stack([places.lat[area], places.lon[area]], axis=1),
        added,
        float(background),
    )


def agree(fast: ScanResult, slow: ScanResult) -> tuple[bool, float]:
    same = len(fast.clusters) == len(slow.clusters) and all(
        (a.centre, a.start_day, a.observed, a.members, a.p_value)
        == (b.centre, b.start_day, b.observed, b.members, b.p_value)
        for a, b in zip(fast.clusters, slow.clusters, strict=True)
    )
    diffs = [abs(a.llr - b.llr) for a, b in zip(fast.clusters, slow.clusters, strict=False)]
    diffs += [
        abs(a - b) for a, b in zip(fast.replicate_max_llr, slow.replicate_max_llr, strict=True)
    ]
    return same, max(diffs, default=0.0)


def timed(call: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def ucdp(replicates: int) -> dict[str, Any]:
    path = shared_data() / "events" / "ucdp_ged_car_1989_2019.csv"
    lat, lon, day = [], [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lat.append(float(row["latitude"]))
            lon.append(float(row["longitude"]))
            day.append((date.fromisoformat(row["date_start"][:10]) - UCDP_EPOCH).days)
    end = (date(2019, 12, 31) - UCDP_EPOCH).days
    settings = ScanSettings(max_radius_km=50, max_days=365, replicates=replicates)
    start = time.perf_counter()
    result = scan(lat, lon, day, end_day=end, settings=settings)
    wall = time.perf_counter() - start
    out: dict[str, Any] = {
        "ucdp_events": result.events,
        "ucdp_locations": result.locations,
        "ucdp_wall_s": round(wall, 2),
        "ucdp_clusters_p_below_0_05": sum(c.p_value < 0.05 for c in result.clusters),
    }
    top = result.most_likely
    if top is not None:
        out["ucdp_top_cluster"] = {
            "lat": top.lat,
            "lon": top.lon,
            "radius_km": round(top.radius_km, 1),
            "from": str(UCDP_EPOCH + timedelta(days=top.start_day)),
            "to": str(UCDP_EPOCH + timedelta(days=top.end_day)),
            "observed": top.observed,
            "expected": round(top.expected, 2),
            "llr": round(top.llr, 2),
            "p_value": top.p_value,
            "recurrence_days": round(top.recurrence_days, 1),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few replicates")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    args = parser.parse_args(argv)
    quick = args.quick

    sizes = (300, 1000) if quick else (1000, 10000)
    compared = 21 if quick else 29  # replicates of the side-by-side runs (> 19 warm-up)
    repeat = 1 if quick else 3
    null_sets, planted_sets = (10, 10) if quick else (100, 100)
    power_replicates = 49 if quick else 199
    strengths = (4, 8)
    power_events = 300 if quick else 1000

    # Speed and agreement.
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {
        "name": "bench/_scan_reference.py: loops over centres, circles and windows, every "
        "count recomputed over all events (same maths, same draws)"
    }
    identical = True
    max_diff = 0.0
    ratios: dict[int, float] = {}
    settings = ScanSettings(replicates=compared, seed=12345)
    for seed, n in enumerate(sizes, start=1):
        _, lat, lon, day = synthetic(seed, n)
        start = time.perf_counter()
        slow = reference_scan(lat, lon, day, end_day=END, settings=settings)
        slow_s = time.perf_counter() - start
        fast_s, fast = timed(
            lambda lat=lat, lon=lon, day=day: scan(lat, lon, day, end_day=END, settings=settings),
            repeat,
        )
        same, diff = agree(fast, slow)
        identical &= same
        max_diff = max(max_diff, diff)
        ratios[n] = slow_s / fast_s
        figures[f"speed_ratio_{n}"] = round(ratios[n], 1)
        figures[f"fast_ms_per_replicate_{n}"] = round(fast_s / (compared + 1) * 1000, 2)
        baseline[f"wall_s_{n}"] = round(slow_s, 2)
        baseline[f"ms_per_replicate_{n}"] = round(slow_s / (compared + 1) * 1000, 1)
        figures[f"zones_{n}"] = fast.zones
    baseline["replicates"] = compared
    figures["identical"] = identical
    figures["max_abs_llr_diff"] = float(f"{max_diff:.3g}")

    big = sizes[-1]
    _, lat, lon, day = synthetic(len(sizes), big)
    full = ScanSettings(replicates=999)
    wall_999, result = timed(lambda: scan(lat, lon, day, end_day=END, settings=full), repeat)
    figures[f"wall_s_999_on_{big}"] = round(wall_999, 2)
    figures[f"ms_per_replicate_999_on_{big}"] = round(wall_999 / 1000 * 1000, 2)
    top = result.most_likely
    figures[f"top_p_value_null_{big}"] = top.p_value if top is not None else None

    # Power and false alarms.
    power_settings = ScanSettings(replicates=power_replicates)
    start = time.perf_counter()
    alarms = 0
    for i in range(null_sets):
        _, lat, lon, day = synthetic(1000 + i, power_events)
        top = scan(lat, lon, day, end_day=END, settings=power_settings).most_likely
        alarms += top is not None and top.p_value < 0.05
    figures["false_alarm_rate"] = round(alarms / null_sets, 3)
    backgrounds: list[float] = []
    for k in strengths:
        found, members_planted, planted_inside = 0, [], []
        for i in range(planted_sets):
            lat, lon, day, area, added, background = plant(2000 + i, power_events, k)
            backgrounds.append(background)
            top = scan(lat, lon, day, end_day=END, settings=power_settings).most_likely
            if top is None or top.p_value >= 0.05:
                continue
            reach = haversine_km(top.lat, top.lon, area[:, 0], area[:, 1]) <= top.radius_km + 1e-6
            if not reach.any():
                continue
            found += 1
            inside = set(top.members)
            members_planted.append(len(inside & added) / len(inside))
            planted_inside.append(len(inside & added) / len(added))
        figures[f"power_{k}"] = round(found / planted_sets, 3)
        figures[f"power_{k}_members_planted"] = round(statistics.fmean(members_planted or [0]), 3)
        figures[f"power_{k}_planted_inside"] = round(statistics.fmean(planted_inside or [0]), 3)
    figures["planted_background_mean"] = round(statistics.fmean(backgrounds), 3)
    figures["power_wall_s"] = round(time.perf_counter() - start, 1)

    # Real data, for context.
    figures.update(ucdp(99 if quick else 999))

    ratio_small, ratio_big = ratios[sizes[0]], ratios[big]
    result_json: dict[str, Any] = {
        **header("scan"),
        "data": (
            f"Synthetic, model in bench/scan.py's docstring{' (quick subset)' if quick else ''}: "
            f"{LOCATIONS} locations in a 2x2 degree box with lognormal weights, events by weight "
            f"and uniform over {DAYS} days (no space-time interaction), analysis on day {END}, "
            f"circles <= 25 km and 50% of events, windows 1-30 days. Speed and agreement: "
            f"{sizes[0]} and {big} events, {compared} replicates on both sides (the reference "
            f"would take too long with 999), fast time median of {repeat}; then 999 replicates "
            f"on {big} events. Power: {null_sets} null datasets and {planted_sets} datasets per "
            f"strength of {power_events} events, {power_replicates} replicates each; planted "
            f"clusters of {' or '.join(map(str, strengths))} extra events within {PLANT_KM:g} km "
            f"in the last {PLANT_DAYS} days. Real data (context): shared/data/events/"
            f"ucdp_ged_car_1989_2019.csv (UCDP GED, Central African Republic), analysis on "
            f"2019-12-31, circles <= 50 km, windows 1-365 days."
        ),
        "figures": figures,
        "baseline": baseline,
        "targets": {
            f"speed_ratio_{sizes[0]}": {
                "value": round(ratio_small, 1),
                "goal": ">= 20",
                "met": bool(ratio_small >= 20),
            },
            f"speed_ratio_{big}": {
                "value": round(ratio_big, 1),
                "goal": ">= 20",
                "met": bool(ratio_big >= 20),
            },
            f"wall_s_999_on_{big}": {
                "value": round(wall_999, 2),
                "goal": "< 60",
                "met": bool(wall_999 < 60),
            },
            "identical": {"value": identical, "goal": "true", "met": identical},
        },
    }
    out = write_result("scan", result_json, args.out, quick)
    print(
        f"scan: speed x{ratio_small:.0f} ({sizes[0]} events) x{ratio_big:.0f} ({big}), "
        f"999 replicates on {big} events {wall_999:.1f} s, identical {identical} "
        f"(max LLR diff {max_diff:.1g}) | false alarms {figures['false_alarm_rate']:.2f}, "
        + ", ".join(f"power {k} extra {figures[f'power_{k}']:.2f}" for k in strengths)
        + f" | UCDP CAR {figures['ucdp_wall_s']:.1f} s -> {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
