"""Benchmark the early-warning forecast against three naive baselines (rolling origin).

Run: ``.venv/bin/python bench/forecast.py [--quick] [--out PATH]``.

Data (shared/data/events/, see its README)
    ``car``: a grid-month panel of the Central African Republic from
    ``ucdp_ged_car_1989_2019.csv`` (UCDP GED 23.1, CC BY 4.0). Units: the 486
    PRIO-GRID 0.5-degree cells whose centres lie in 2-11 N, 14-27.5 E, the
    country's bounding box (2.2-11.0 N, 14.4-27.5 E). The box also covers
    parts of Cameroon, Chad, Sudan, South Sudan, DR Congo and Congo, where
    the file has no events: those cells stay at zero for every method (they
    are easy negatives for all of them alike). Neighbours: queen contiguity
    (:func:`grid_neighbours`). Events kept: those whose month is known
    (``date_start`` and ``date_end`` in the same calendar month: every event
    with ``date_prec`` 1-3 and those of precision 4 within one month) and
    whose place is known to the second-order administrative unit or better
    (``where_prec`` <= 3; coarser events sit on a province or country
    centroid, which would put their deaths in the wrong cell). Fatalities:
    ``best``; a fatal event is an event with ``best`` > 0. Months 1989-01 to
    2019-12.

    ``africa``: a country-month panel of the 54 African countries of
    ``views_cm_africa_until_2017.csv`` (ViEWS 2020 competition outcomes from
    UCDP GED, CC BY-NC 4.0: measured here, never shipped). Fatalities: the sum
    of ``ged_best_sb``, ``ged_best_ns`` and ``ged_best_os``; events: the sum of
    the three ``ged_count_*``. Months 1989-01 to 2017-12 (``month_id`` 109 to
    456; 108 is padding); months without a row (South Sudan before July 2011)
    are zeros. No neighbours are given, so the spatial-lag features are zero
    and unused for this panel.

Periods: tuned on earlier periods, reported on a later one
    ``car``: hyper-parameters chosen on three windows of target months,
    2000-01 to 2004-12, 2005-01 to 2009-12 and 2010-01 to 2014-12, figures
    reported for 2015-01 to 2019-12. ``africa``: chosen on 1998-2002,
    2003-2007 and 2008-2012, reported for 2013-01 to 2017-12. The only
    hyper-parameters are the half-life of the training rows' weights (none,
    24, 60 or 120 months), the ranking model's extra weight on violent areas
    (``rank_weight`` 0, 0.5 or 1: rows weighted by (1 + the area's fatal
    events of the last 12 months) ** rank_weight) and the prediction used to
    rank the top 5% (the rank score, expected events, expected fatalities or
    probability). For each dataset the choice is the one that meets the most
    targets, counted over the three windows, then has the largest sum of
    margins (0.9 - MSE ratio, AP gain, top-5% gain) averaged over them; the
    reported period is never looked at to choose. Several windows, because
    the top 5% of 54 countries is three countries a month: on one 5-year
    window the top-5% difference between two rankings has a standard error
    of about 0.01 (paired bootstrap over months, africa), larger than most
    differences between the candidates. The model's form and features were
    settled on the 2010-2014 / 2008-2012 windows (a gradient-boosting model
    was no more accurate there, and its forecasts could not be explained
    exactly), and so was the ranking model's: a Poisson model of fatal
    events on the area's persistence alone (fatal events in the last 1, 3
    and 12 months, time since the last one, long-run level). On those
    windows it caught 0.66-0.67 (car) and 0.58-0.59 (africa) of the fatal
    events in its top 5%, against 0.58-0.59 and 0.57 for the full Poisson
    model and 0.60 and 0.59 for the best baseline; with the neighbours'
    fatalities added it caught 0.59-0.63 on car; blends of the full model's
    expected events with the 6- or 12-month mean (weights 0.25-0.75) caught
    at most 0.63 and 0.576, and the expected events of the next 3 months
    summed 0.59-0.60 and 0.57, so these were not kept.

    Tried later for the africa top 5% on the three windows (mean top-5%
    capture of the windows; best baseline per window 0.484, 0.496, 0.586, mean_6's
    mean 0.511): the ranking model as it is, 0.517-0.526 over the half-lives
    and weights 0 and 1 (0.526: half-life 24, weight 1, the former choice);
    weight 0.5, 0.524-0.528 (0.528 with half-life 60, the only combination
    ahead of the best baseline on all three windows, by 0.009, 0.004 and
    0.004); weights 1.5 and 2, 0.51 or worse (2 does not converge); the
    fatal events of the last 2, 6 or 24 months added as features,
    0.516-0.527 (on car the 24-month window cost 0.06); the long-run level
    in fatal events instead of fatalities, 0.513-0.524 (car: up to 0.04
    worse); a linear model on the count scale (non-negative least squares or
    identity-link Poisson on the 1-, 3-, 6-, 12- and 24-month means of fatal
    events), 0.517-0.525; exponentially weighted means of fatal events
    (half-lives 2-6 months), 0.505-0.521. None is clearly better than the
    ranking model (all within the noise above), so the ranking model was kept
    and only ``rank_weight`` 0.5 was added to the grid. On car the same
    variants were within 0.001 of the ranking model or worse. The top-5%
    figure itself was checked: the share of the target months' fatal events
    that fell in the 5% of areas ranked highest the month before (5% rounded
    up to whole areas), ties at the cut sharing the places left; the
    baselines and the model are ranked by the same rule, at the same
    origin, on the same area-months.

    Tried after the second look, each with its adoption rule written down
    before it was computed, on the tuning windows only (the held-out figures
    of these variants were never computed): adopt a variant only if, on the
    africa windows, its mean top-5% margin over the best baseline beats the
    current choice's (0.0054) by at least 0.005 and it is ahead on all three
    windows. (1) The ranking model fitted within months: a free level for
    each origin month, profiled out, i.e. the multinomial likelihood of where
    each month's fatal events fell among the areas, a listwise objective that
    learns only the order within a month: over the same half-lives and
    weights 0.516-0.524 (africa) and 0.696-0.701 (car), against 0.5275 and
    0.7058 for the current choices (``tuning_top5_tried``), so the selection
    rule picked it on neither. (2) No choice at all: the geometric mean of the twelve ranking
    models (half-lives times weights, itself one log-linear model with their
    mean coefficients): 0.524, margins +0.007, -0.001 and +0.001. (3) The
    chosen ranking blended with the 6-month mean of fatal events, (1 - a) *
    rank score + a * mean, a 0.25, 0.5 or 0.75: mean margins 0.003, 0.002
    and -0.006 (behind the best baseline on 2008-2012 by 0.011 to 0.026).
    None was adopted: model, choices and held-out figures are unchanged.

Backtest
    :func:`ulinzi.threats.forecast.backtest`, one month ahead: for each target
    month the model is refitted on all the data up to the month before (every
    month, from the previous fit as a starting point), and the forecasts of
    all target months are pooled. The baselines forecast the same
    area-months: ``last_month``, ``mean_6``, ``mean_12`` (the mean of the
    area's fatalities over the last 1, 6 or 12 months as next month's
    fatalities; the mean of its fatal events over the same months as its score
    for "at least one fatal event" and its ranking for the top 5%).

Figures (per dataset, prefix ``car_`` or ``africa_``; held-out period)
    ``mse_log1p``: mean squared error of log(1 + fatalities) over all
    area-months. ``average_precision``: of the probability (baselines: their
    score) for "at least one fatal event". ``top5_capture``: the share of the
    period's fatal events that fell, each month, in the 5% of areas ranked
    highest (rounded up: 25 of 486 cells, 3 of 54 countries; ties share the
    last places). ``fit_s``: wall time of one fit on the whole panel (median
    of 3). ``backtest_s``: the whole held-out backtest, all refits included.
    ``top5_capture_by``: the held-out top5_capture of each ranking, for the
    chosen half-life and rank weight (reported, not used to choose).
    ``tuning_*``: the same comparison on the tuning windows, for the chosen
    hyper-parameters, averaged over the windows
    (``tuning_top5_minus_best_baseline_by_window``: each window's);
    ``tuning_top5_tried``: the mean tuning top5_capture of every combination
    tried, ``tuning_top5_best_baseline`` the best baseline's.
    ``example``: the forecast for the month after the panel ends for the
    area with the highest probability, with its three main drivers
    (contributions on the log(1 + fatalities) scale); ``rank_example``: the
    area with the highest rank score, with its two drivers (on the scale of
    log(rank score)).

Reading the figures
    ``*_mse_vs_best_baseline`` 0.6 means the model's squared error of
    log(1 + fatalities) is 40% below that of the best of the three baselines
    (a different one may be best for each metric). ``*_ap_minus_best_baseline``
    and ``*_top5_minus_best_baseline`` are differences in average precision
    and in the share of fatal events captured: a ``top5_capture`` of 0.64 says
    that 64% of the period's fatal events happened, each month, in the 5% of
    areas ranked highest at the end of the month before. The held-out period
    was first scored once the model and its features had been settled on the
    2010-2014 / 2008-2012 windows. The model was not changed after that; the
    selection was, once: two earlier tuning windows per panel and
    ``rank_weight`` 0.5 were added, chosen on the tuning windows only (the
    held-out figures of the new candidates were not computed while choosing),
    and the bench was then run once. That second look is known to whoever
    reads the figures: the africa top-5% result below is not a fresh
    held-out test. The top-5%
    target is a hard one: in both panels most fatal events keep happening in
    the same few areas, so the area's mean over the last 6 or 12 months
    already ranks the top 5% well, and which window is best changes from one
    period to the next (car: mean_12 on the first two tuning windows, mean_6
    on the third, mean_12 on the reported period; africa: mean_6 on the first two tuning windows, last_month
    on the third, mean_6 on the reported period). On the tuning windows the
    chosen ranking (the rank score) was ahead of the best baseline by 0.07 on
    average (car: half-life none, rank_weight 0) and by 0.005 (africa:
    half-life 60, rank_weight 0.5). On the reported periods it is ahead by
    0.03 on car and behind mean_6 by 0.0005 on africa (0.5424 against
    0.5428, about 4 of 10,519 fatal events; the former choice, half-life 24
    and rank_weight 1 chosen on 2008-2012 alone, was behind by 0.002): that
    target is not met, by far less than the noise of a 54-country top 5%.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import header, write_result  # noqa: E402 (bench/ is on sys.path when a script runs)

from ulinzi.threats.forecast import (  # noqa: E402
    BASELINES,
    RANKINGS,
    Panel,
    backtest,
    fit,
    grid_cell,
    grid_cells_in_box,
    grid_neighbours,
    month_index,
    month_label,
    panel_from_events,
    predict,
)

CAR_BOX = (2.0, 11.0, 14.0, 27.5)  # centres of the cells: lat_min, lat_max, lon_min, lon_max
HALF_LIVES: tuple[float | None, ...] = (None, 24.0, 60.0, 120.0)
RANK_WEIGHTS: tuple[float, ...] = (0.0, 0.5, 1.0)
METRICS = ("mse_log1p", "average_precision", "top5_capture")
MSE_GOAL = 0.9


def shared_data() -> Path:
    env = os.environ.get("ULINZI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def car_panel(path: Path) -> tuple[Panel, int, int]:
    """The CAR grid-month panel, with the numbers of events read and kept."""
    cells = grid_cells_in_box(*CAR_BOX)
    records: list[tuple[str, date, float]] = []
    read = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            read += 1
            if row["date_start"][:7] != row["date_end"][:7] or int(row["where_prec"]) > 3:
                continue
            when = datetime.fromisoformat(row["date_start"][:10]).date()
            cell = grid_cell(float(row["latitude"]), float(row["longitude"]))
            records.append((cell, when, float(row["best"])))
    months = range(month_index(1989, 1), month_index(2019, 12) + 1)
    panel = panel_from_events(records, cells, months, grid_neighbours(cells))
    return panel, read, len(records)


def africa_panel(path: Path) -> Panel:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    countries = sorted({int(r["country_id"]) for r in rows})
    row_of = {c: i for i, c in enumerate(countries)}
    first, last = month_index(1989, 1), month_index(2017, 12)
    fatalities = np.zeros((len(countries), last - first + 1))
    events = np.zeros_like(fatalities)
    for r in rows:
        month = 1980 * 12 + int(r["month_id"]) - 1  # ViEWS month_id 1 = 1980-01
        if month < first:
            continue
        i, k = row_of[int(r["country_id"])], month - first
        fatalities[i, k] = sum(int(r[f"ged_best_{t}"]) for t in ("sb", "ns", "os"))
        events[i, k] = sum(int(r[f"ged_count_{t}"]) for t in ("sb", "ns", "os"))
    return Panel(tuple(str(c) for c in countries), first, fatalities, events)


def comparison(result: dict[str, Any]) -> dict[str, float]:
    """Ulinzi against the best baseline of each metric."""
    methods = result["methods"]
    best_mse = min(methods[b]["mse_log1p"] for b in BASELINES)
    best_ap = max(methods[b]["average_precision"] for b in BASELINES)
    best_top = max(methods[b]["top5_capture"] for b in BASELINES)
    ours = methods["ulinzi"]
    return {
        "mse_vs_best_baseline": ours["mse_log1p"] / best_mse,
        "ap_minus_best_baseline": ours["average_precision"] - best_ap,
        "top5_minus_best_baseline": ours["top5_capture"] - best_top,
    }


def margins(c: dict[str, float]) -> list[float]:
    return [
        MSE_GOAL - c["mse_vs_best_baseline"],
        c["ap_minus_best_baseline"],
        c["top5_minus_best_baseline"],
    ]


Choice = tuple[float | None, float, str]  # half-life, rank weight, ranking
Window = tuple[int, int]  # first and last target month
Span = tuple[int, int, int, int]  # first year and month, last year and month


def tune(
    panel: Panel, windows: Sequence[Window], half_lives: tuple[float | None, ...]
) -> tuple[Choice, list[dict[str, Any]], dict[str, float]]:
    """The (half-life, rank weight, ranking) that does best over the tuning windows, its
    result on each window, and the mean tuning top5_capture of every combination tried.

    Best: the most targets met, counted over all the windows, then the largest sum of
    margins averaged over the windows."""
    best: tuple[tuple[int, float], Choice, list[dict[str, Any]]] | None = None
    tried: dict[str, float] = {}
    for half_life in half_lives:
        for rank_weight in RANK_WEIGHTS:
            results = [
                backtest(panel, start, end, half_life=half_life, rank_weight=rank_weight)
                for start, end in windows
            ]
            for rank_by in RANKINGS:
                if rank_weight and rank_by != "rank_score":
                    continue  # the weight only changes the ranking model
                variants = []
                for result in results:
                    variant = dict(result)
                    variant["methods"] = {k: dict(v) for k, v in result["methods"].items()}
                    top5 = result["top5_capture_by"][rank_by]
                    variant["methods"]["ulinzi"]["top5_capture"] = top5
                    variants.append(variant)
                suffix = f" w{rank_weight:g}" if rank_by == "rank_score" else ""
                tried[f"{rank_by}{suffix} hl{half_life}"] = round(
                    statistics.fmean(v["methods"]["ulinzi"]["top5_capture"] for v in variants), 4
                )
                all_margins = [margins(comparison(v)) for v in variants]
                met = sum(x >= 0 for m in all_margins for x in m)
                key = (met, statistics.fmean(sum(m) for m in all_margins))
                if best is None or key > best[0]:
                    best = (key, (half_life, rank_weight, rank_by), variants)
    assert best is not None
    return best[1], best[2], tried


def median_time(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_dataset(
    prefix: str,
    panel: Panel,
    tuning: Sequence[Window],
    held_out: Window,
    half_lives: tuple[float | None, ...],
    repeat: int,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]:
    (half_life, rank_weight, rank_by), tuned, tried = tune(panel, tuning, half_lives)
    options: dict[str, Any] = {"half_life": half_life, "rank_weight": rank_weight}
    start = time.perf_counter()
    result = backtest(panel, *held_out, rank_by=rank_by, **options)
    backtest_s = time.perf_counter() - start
    fit_s = median_time(lambda: fit(panel, panel.last_month, **options), repeat)

    model = fit(panel, panel.last_month, **options)
    forecasts = predict(model, panel, panel.last_month)
    top = max(forecasts, key=lambda f: (f.probability, f.unit))
    example = (
        f"{top.unit} for {month_label(top.target)}: probability {top.probability:.2f}, "
        f"{top.expected_fatalities:.1f} fatalities, {top.expected_events:.1f} fatal events "
        f"expected; " + "; ".join(top.explanation())
    )
    first = max(forecasts, key=lambda f: (f.rank_score, f.unit))
    rank_example = (
        f"{first.unit} for {month_label(first.target)}: rank score {first.rank_score:.2f} "
        f"(base {first.rank_base:+.2f} on the log scale); " + "; ".join(first.rank_explanation())
    )
    best_tuning_baseline = statistics.fmean(
        max(t["methods"][b]["top5_capture"] for b in BASELINES) for t in tuned
    )
    by_window = [comparison(t) for t in tuned]
    t = {key: statistics.fmean(c[key] for c in by_window) for key in by_window[0]}

    ours = result["methods"]["ulinzi"]
    c = comparison(result)
    figures: dict[str, Any] = {f"{prefix}_{m}": round(ours[m], 4) for m in METRICS}
    figures.update(
        {
            f"{prefix}_fit_s": round(fit_s, 3),
            f"{prefix}_backtest_s": round(backtest_s, 1),
            f"{prefix}_refits": result["refits"],
            f"{prefix}_units": len(panel.units),
            f"{prefix}_area_months": result["forecasts"],
            f"{prefix}_positive_share": round(result["positive_share"], 4),
            f"{prefix}_fatal_events": int(result["fatal_events"]),
            f"{prefix}_half_life": half_life,
            f"{prefix}_rank_weight": rank_weight,
            f"{prefix}_rank_by": rank_by,
            f"{prefix}_top5_capture_by": {
                k: round(v, 4) for k, v in result["top5_capture_by"].items()
            },
            f"{prefix}_tuning_mse_vs_best_baseline": round(t["mse_vs_best_baseline"], 4),
            f"{prefix}_tuning_ap_minus_best_baseline": round(t["ap_minus_best_baseline"], 4),
            f"{prefix}_tuning_top5_minus_best_baseline": round(t["top5_minus_best_baseline"], 4),
            f"{prefix}_tuning_top5_best_baseline": round(best_tuning_baseline, 4),
            f"{prefix}_tuning_top5_minus_best_baseline_by_window": {
                f"{month_label(a)} to {month_label(b)}": round(w["top5_minus_best_baseline"], 4)
                for (a, b), w in zip(tuning, by_window, strict=True)
            },
            f"{prefix}_tuning_top5_tried": tried,
            f"{prefix}_example": example,
            f"{prefix}_rank_example": rank_example,
        }
    )
    baseline = {
        f"{prefix}_{b}_{m}": round(result["methods"][b][m], 4) for b in BASELINES for m in METRICS
    }
    targets = {
        f"{prefix}_mse_vs_best_baseline": {
            "value": round(c["mse_vs_best_baseline"], 4),
            "goal": f"<= {MSE_GOAL}",
            "met": bool(c["mse_vs_best_baseline"] <= MSE_GOAL),
        },
        f"{prefix}_ap_minus_best_baseline": {
            "value": round(c["ap_minus_best_baseline"], 4),
            "goal": ">= 0",
            "met": bool(c["ap_minus_best_baseline"] >= 0),
        },
        f"{prefix}_top5_minus_best_baseline": {
            "value": round(c["top5_minus_best_baseline"], 4),
            "goal": ">= 0",
            "met": bool(c["top5_minus_best_baseline"] >= 0),
        },
    }
    summary = (
        f"{prefix} MSE x{c['mse_vs_best_baseline']:.2f} of best baseline, "
        f"AP {ours['average_precision']:.3f} ({c['ap_minus_best_baseline']:+.3f}), "
        f"top5 {ours['top5_capture']:.3f} ({c['top5_minus_best_baseline']:+.3f}), "
        f"fit {fit_s:.2f} s"
    )
    return figures, baseline, targets, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one year per period, 1 repetition")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    args = parser.parse_args(argv)

    events = shared_data() / "events"
    car, read, kept = car_panel(events / "ucdp_ged_car_1989_2019.csv")
    africa = africa_panel(events / "views_cm_africa_until_2017.csv")
    periods: dict[str, tuple[tuple[Span, ...], Span]]
    if args.quick:
        periods = {
            "car": (((2014, 1, 2014, 12),), (2019, 1, 2019, 12)),
            "africa": (((2012, 1, 2012, 12),), (2017, 1, 2017, 12)),
        }
        half_lives: tuple[float | None, ...] = (None, 24.0)
    else:
        periods = {
            "car": (
                ((2000, 1, 2004, 12), (2005, 1, 2009, 12), (2010, 1, 2014, 12)),
                (2015, 1, 2019, 12),
            ),
            "africa": (
                ((1998, 1, 2002, 12), (2003, 1, 2007, 12), (2008, 1, 2012, 12)),
                (2013, 1, 2017, 12),
            ),
        }
        half_lives = HALF_LIVES
    repeat = 1 if args.quick else 3

    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {
        "name": "last_month / mean_6 / mean_12: mean fatalities of the last 1, 6, 12 months "
        "(score and top-5% ranking: mean fatal events of the same months)"
    }
    targets: dict[str, Any] = {}
    summaries: list[str] = []

    def window(p: Span) -> Window:
        return month_index(*p[:2]), month_index(*p[2:])

    for prefix, panel in (("car", car), ("africa", africa)):
        tuning, held_out = periods[prefix]
        f, b, t, s = run_dataset(
            prefix,
            panel,
            [window(w) for w in tuning],
            window(held_out),
            half_lives,
            repeat,
        )
        figures.update(f)
        baseline.update(b)
        targets.update(t)
        summaries.append(s)

    def span(p: Span) -> str:
        return f"{p[0]}-{p[1]:02d} to {p[2]}-{p[3]:02d}"

    def spans(ps: tuple[Span, ...]) -> str:
        return ", ".join(span(p) for p in ps)

    quick = " (quick subset: one year per period, two half-lives tried)" if args.quick else ""
    result: dict[str, Any] = {
        **header("forecast"),
        "data": (
            f"car: UCDP GED 23.1 events of the Central African Republic "
            f"(shared/data/events/ucdp_ged_car_1989_2019.csv, CC BY 4.0), {kept} of {read} kept "
            f"(month known, where_prec <= 3), on {len(car.units)} PRIO-GRID 0.5-degree cells of "
            f"the country's bounding box, queen neighbours, months 1989-01 to 2019-12; tuned on "
            f"targets {spans(periods['car'][0])}, reported on {span(periods['car'][1])}. africa: "
            f"ViEWS 2020 country-month UCDP outcomes for {len(africa.units)} African countries "
            f"(shared/data/events/views_cm_africa_until_2017.csv, CC BY-NC 4.0, measurement "
            f"only), all three violence types summed, no neighbours, months 1989-01 to 2017-12; "
            f"tuned on {spans(periods['africa'][0])}, reported on {span(periods['africa'][1])}. "
            f"Rolling origin, one month ahead, refitted every month; the three baselines "
            f"forecast the same area-months{quick}."
        ),
        "figures": figures,
        "baseline": baseline,
        "targets": targets,
    }
    out = write_result("forecast", result, args.out, args.quick)
    met = sum(t["met"] for t in targets.values())
    print(f"forecast: {' | '.join(summaries)} | targets met {met}/{len(targets)} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
