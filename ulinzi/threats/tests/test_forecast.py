"""Early-warning forecast (ulinzi.threats.forecast): baselines, metrics, features and
explanations on small panels whose numbers are worked out by hand."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import average_precision_score

from ulinzi.threats.forecast import (
    BASELINES,
    DRIVER_GROUPS,
    FEATURES,
    RANK_DRIVER_GROUPS,
    RANK_FEATURES,
    RANKINGS,
    Model,
    Panel,
    _raw_features,  # every origin at once, as fit reads them
    average_precision,
    backtest,
    baseline_forecast,
    cell_centre,
    features,
    fit,
    grid_cell,
    grid_cells_in_box,
    grid_neighbours,
    month_index,
    month_label,
    mse_log1p,
    panel_from_events,
    predict,
    top_capture,
)

JAN_2020 = month_index(2020, 1)
T = JAN_2020 + 12  # 2021-01: the origin of the hand-worked forecasts
TARGET = T + 1  # 2021-02

# Three areas, 14 months (columns 0-13 = 2020-01 .. 2021-02). A and B are neighbours.
#               0  1  2  3  4  5  6  7  8  9 10 11  12 13
FATALITIES = [
    [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 12, 5],  # A
    [0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # B
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],  # C
]
EVENTS = [
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 1],  # A
    [0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # B
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],  # C
]


def hand_panel() -> Panel:
    return Panel(("A", "B", "C"), JAN_2020, FATALITIES, EVENTS, ((1,), (0,), ()))


def synthetic_panel(seed: int = 7, units: int = 30, months: int = 72) -> Panel:
    """Areas with persistent, spatially related violence on a line of neighbours."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(0.5, 1.0, size=units)
    rate = np.outer(level, 1 + 0.5 * np.sin(np.arange(months) / 5.0))
    events = rng.poisson(rate)
    fatalities = events * rng.integers(1, 6, size=events.shape)
    neighbours = tuple(tuple(j for j in (i - 1, i + 1) if 0 <= j < units) for i in range(units))
    return Panel(tuple(f"u{i}" for i in range(units)), JAN_2020, fatalities, events, neighbours)


# --------------------------------------------------------------------------- months and grid


def test_month_numbers_and_labels() -> None:
    assert month_index(2019, 12) == 2019 * 12 + 11
    assert month_index(date(2019, 12, 31)) == month_index(2019, 12)
    assert month_index(2020, 1) == month_index(2019, 12) + 1
    assert month_label(month_index(2015, 3)) == "2015-03"
    with pytest.raises(ValueError, match="month must be 1-12"):
        month_index(2019, 13)


def test_grid_cell_follows_prio_grid_numbering() -> None:
    # Bangui: UCDP GED gives priogrid_gid 135758 (row 188, column 397).
    assert grid_cell(4.366667, 18.583333) == "135758"
    assert grid_cell(-89.9, -179.9) == "1"  # south-west corner of the world
    assert grid_cell(-89.9, -179.4) == "2"  # next cell east
    assert grid_cell(-89.4, -179.9) == "721"  # next row north
    assert grid_cell(90.0, 180.0) == str(360 * 720)  # edges fall in the last row and column
    assert grid_cell(0.0, 0.0) == str(180 * 720 + 360 + 1)  # an edge belongs to the cell NE
    assert cell_centre("135758") == (4.25, 18.75)
    assert grid_cell(*cell_centre("135758")) == "135758"


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, -181.0), (math.nan, 0.0)])
def test_grid_cell_rejects_bad_coordinates(lat: float, lon: float) -> None:
    with pytest.raises(ValueError, match="bad coordinates"):
        grid_cell(lat, lon)


def test_grid_neighbours_queen_contiguity() -> None:
    centre = grid_cell(4.25, 18.75)
    block = [grid_cell(4.25 + 0.5 * dr, 18.75 + 0.5 * dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    far = grid_cell(10.25, 25.25)
    cells = [*block, far]
    neighbours = grid_neighbours(cells)
    middle = cells.index(centre)
    assert len(neighbours[middle]) == 8  # the centre touches all 8 others
    assert len(neighbours[0]) == 3  # a corner: two sides and the centre
    assert len(neighbours[1]) == 5  # an edge cell
    assert neighbours[cells.index(far)] == ()
    for i, row in enumerate(neighbours):  # symmetric
        assert all(i in neighbours[j] for j in row)
    # columns wrap around at 180 degrees
    west, east = grid_cell(0.25, -179.75), grid_cell(0.25, 179.75)
    assert grid_neighbours([west, east]) == ((1,), (0,))
    with pytest.raises(ValueError, match="listed twice"):
        grid_neighbours([west, west])
    with pytest.raises(ValueError, match="bad grid cell id"):
        grid_neighbours(["0"])


def test_grid_cells_in_box() -> None:
    cells = grid_cells_in_box(2.0, 11.0, 14.0, 27.5)
    assert len(cells) == 18 * 27  # centres 2.25 .. 10.75 N, 14.25 .. 27.25 E
    assert grid_cell(4.366667, 18.583333) in cells


# --------------------------------------------------------------------------- panel


def test_panel_from_events_counts_fatal_events_only() -> None:
    months = range(JAN_2020, JAN_2020 + 3)
    panel = panel_from_events(
        [
            ("a", date(2020, 1, 5), 3),
            ("a", date(2020, 1, 20), 2),
            ("a", JAN_2020 + 1, 0),  # no fatality: not a fatal event
            ("b", JAN_2020 + 2, 7),
            ("b", date(2019, 12, 31), 50),  # before the months: skipped
            ("b", JAN_2020 + 3, 50),  # after: skipped
        ],
        ["a", "b", "c"],
        months,
        {"a": ["b"], "c": []},
    )
    assert panel.units == ("a", "b", "c")
    assert panel.months == months
    assert panel.fatalities.tolist() == [[5, 0, 0], [0, 0, 7], [0, 0, 0]]
    assert panel.events.tolist() == [[2, 0, 0], [0, 0, 1], [0, 0, 0]]
    assert panel.neighbours == ((1,), (0,), ())  # made symmetric
    assert not panel.fatalities.flags.writeable
    # Neighbours as index lists, e.g. from grid_neighbours; also made symmetric.
    by_index = panel_from_events([], ["a", "b", "c"], months, [(), (2,), ()])
    assert by_index.neighbours == ((), (2,), (1,))


@pytest.mark.parametrize(
    ("records", "neighbours", "message"),
    [
        ([("x", JAN_2020, 1)], None, "unknown unit 'x'"),
        ([("a", JAN_2020, -1)], None, "bad fatalities"),
        ([], {"a": ["x"]}, "unknown neighbour 'x'"),
        ([], {"x": ["a"]}, "neighbours of unknown unit 'x'"),
        ([], [(1,), (5,)], "bad neighbour index 5"),
        ([], [(1,)], "1 neighbour lists for 2 units"),
    ],
)
def test_panel_from_events_rejects_bad_input(
    records: list[tuple[str, int, float]], neighbours: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        panel_from_events(records, ["a", "b"], range(JAN_2020, JAN_2020 + 2), neighbours)


def test_panel_rejects_bad_arrays() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Panel(("a",), JAN_2020, [[-1.0]], [[0.0]])
    with pytest.raises(ValueError, match="must have shape"):
        Panel(("a", "b"), JAN_2020, [[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="unique"):
        Panel(("a", "a"), JAN_2020, [[1.0], [1.0]], [[1.0], [1.0]])
    with pytest.raises(ValueError, match="bad neighbour index"):
        Panel(("a",), JAN_2020, [[1.0]], [[1.0]], ((0,),))
    with pytest.raises(ValueError, match="lists a neighbour twice"):
        Panel(("a", "b"), JAN_2020, [[1.0], [1.0]], [[1.0], [1.0]], ((1, 1), (0,)))
    with pytest.raises(ValueError, match="differ in shape"):
        Panel(("a",), JAN_2020, [[1.0, 2.0]], [[1.0]])


# --------------------------------------------------------------------------- features


def test_features_at_the_origin_by_hand() -> None:
    x, names = features(hand_panel(), T)
    assert names == list(FEATURES)
    a, b, c = (dict(zip(names, row, strict=True)) for row in x)
    # A at 2021-01 (column 12): 12 fatalities that month, 6 + 12 = 18 in columns 10-12
    # and in columns 1-12 (the 9 of column 0 is outside the 12 months).
    assert a["fatalities_1"] == pytest.approx(math.log1p(12))
    assert a["fatalities_3"] == pytest.approx(math.log1p(18))
    assert a["fatalities_12"] == pytest.approx(math.log1p(18))
    assert a["events_3"] == pytest.approx(math.log1p(5))  # 2 + 3
    assert a["events_12"] == pytest.approx(math.log1p(5))
    # A's neighbour B: nothing in the last 3 months, 12 fatalities in column 2.
    assert a["neighbours_1"] == 0 and a["neighbours_3"] == 0
    assert a["neighbours_12"] == pytest.approx(math.log1p(12))
    assert b["neighbours_1"] == pytest.approx(math.log1p(12))  # B's neighbour is A
    assert c["neighbours_12"] == 0  # C has no neighbour
    # Recency: A had a fatal event in the latest month, B's last was 10 months ago, C never.
    assert a["recency"] == 1.0
    assert b["recency"] == pytest.approx(2 ** (-10 / 6))
    assert c["recency"] == 0.0
    # Long-run mean over the 13 months 2020-01 .. 2021-01: (9 + 6 + 12) / 13.
    assert a["long_run"] == pytest.approx(math.log1p(27 / 13))
    # The target is February: angle 2 pi / 12.
    assert a["season_sin"] == pytest.approx(0.5)
    assert a["season_cos"] == pytest.approx(math.sqrt(3) / 2)


def test_no_leakage_changing_the_future_changes_nothing() -> None:
    panel = synthetic_panel()
    t = JAN_2020 + 40
    rng = np.random.default_rng(1)
    future_f = np.array(panel.fatalities)
    future_e = np.array(panel.events)
    cut = panel.column(t) + 1
    future_f[:, cut:] = rng.integers(0, 500, size=future_f[:, cut:].shape)
    future_e[:, cut:] = rng.integers(0, 50, size=future_e[:, cut:].shape)
    changed = Panel(panel.units, panel.first_month, future_f, future_e, panel.neighbours)
    assert np.array_equal(features(panel, t)[0], features(changed, t)[0])
    assert np.array_equal(features(panel, t, horizon=3)[0], features(changed, t, horizon=3)[0])
    # The fit up to t reads outcomes up to t only; so do the forecasts made at t.
    before, after = fit(panel, t), fit(changed, t)
    for key in ("fatalities_coef", "events_coef", "probability_coef", "mean"):
        assert np.allclose(getattr(before, key), getattr(after, key), rtol=1e-9, atol=1e-12)
    assert [f.probability for f in predict(before, panel, t)] == pytest.approx(
        [f.probability for f in predict(after, changed, t)], rel=1e-9
    )


def test_features_of_one_origin_match_those_of_all_origins() -> None:
    # fit reads the features of every origin at once, predict those of one origin.
    panel = synthetic_panel(units=6, months=30)
    every = _raw_features(panel, 2)
    for t in panel.months:
        x, _ = features(panel, t, horizon=2)
        assert np.allclose(x, every.x[:, panel.column(t), :], rtol=1e-12, atol=1e-12)


def test_features_reject_months_outside_the_panel() -> None:
    with pytest.raises(ValueError, match="outside the panel"):
        features(hand_panel(), JAN_2020 + 14)
    with pytest.raises(ValueError, match="horizon must be"):
        features(hand_panel(), T, horizon=0)


# --------------------------------------------------------------------------- baselines


def test_baselines_by_hand() -> None:
    panel = hand_panel()
    # last_month: column 12. mean_6: columns 7-12. mean_12: columns 1-12 (not column 0).
    f, e = baseline_forecast(panel, T, 1)
    assert f.tolist() == [12, 0, 0] and e.tolist() == [3, 0, 0]
    f, e = baseline_forecast(panel, T, 6)
    assert f.tolist() == pytest.approx([18 / 6, 0, 0])  # A: 6 + 12
    assert e.tolist() == pytest.approx([5 / 6, 0, 0])  # A: 2 + 3 events
    f, e = baseline_forecast(panel, T, 12)
    assert f.tolist() == pytest.approx([18 / 12, 12 / 12, 0])
    assert e.tolist() == pytest.approx([5 / 12, 8 / 12, 0])
    # Months before the panel's start count as zero.
    f, _ = baseline_forecast(panel, JAN_2020, 12)
    assert f.tolist() == pytest.approx([9 / 12, 0, 0])


def test_backtest_scores_the_baselines_as_on_paper() -> None:
    # One target month, 2021-02 (column 13): actual fatalities A 5, B 0, C 2;
    # fatal events A 1, B 0, C 1, so A and C are positive.
    result = backtest(hand_panel(), TARGET, TARGET)
    assert (result["targets"], result["forecasts"], result["fatal_events"]) == (1, 3, 2.0)
    assert result["positive_share"] == pytest.approx(2 / 3)
    last, mean6, mean12 = (result["methods"][name] for name in BASELINES)
    ln = math.log
    # MSE of log1p, forecasts vs (5, 0, 2):
    #   last_month (12, 0, 0): (ln 13 - ln 6)^2 + 0 + (ln 1 - ln 3)^2 = 0.5978 + 1.2069, / 3
    assert last["mse_log1p"] == pytest.approx((ln(13 / 6) ** 2 + ln(3) ** 2) / 3)
    #   mean_6 (3, 0, 0): (ln 4 - ln 6)^2 + (ln 3)^2 = 0.1644 + 1.2069, / 3 = 0.4571
    assert mean6["mse_log1p"] == pytest.approx((ln(4 / 6) ** 2 + ln(3) ** 2) / 3)
    #   mean_12 (1.5, 1, 0): (ln 2.5 - ln 6)^2 + (ln 2)^2 + (ln 3)^2 = 2.4539, / 3 = 0.8180
    assert mean12["mse_log1p"] == pytest.approx((ln(2.5 / 6) ** 2 + ln(2) ** 2 + ln(3) ** 2) / 3)
    # Average precision. last_month and mean_6 score A above the tied B and C:
    #   A (positive): precision 1, recall 1/2; then B and C together: precision 2/3,
    #   recall 1. AP = 1/2 * 1 + 1/2 * 2/3 = 0.8333.
    assert last["average_precision"] == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert mean6["average_precision"] == pytest.approx(0.5 + 0.5 * 2 / 3)
    #   mean_12 ranks B (8/12, negative), A (5/12), C (0): precision 1/2 at A, 2/3 at C.
    #   AP = 1/2 * 1/2 + 1/2 * 2/3 = 0.5833.
    assert mean12["average_precision"] == pytest.approx(0.5 * 0.5 + 0.5 * 2 / 3)
    # Top 5% of 3 areas = 1 area. last_month and mean_6 keep A: 1 of the 2 fatal events;
    # mean_12 keeps B: none.
    assert last["top5_capture"] == pytest.approx(0.5)
    assert mean6["top5_capture"] == pytest.approx(0.5)
    assert mean12["top5_capture"] == 0.0
    assert set(result["methods"]) == {"ulinzi", *BASELINES}


# --------------------------------------------------------------------------- metrics


def test_mse_log1p_by_hand() -> None:
    # Only the second area is off: (ln 2 - ln 1)^2 / 3 = 0.4805 / 3.
    assert mse_log1p([0, 1, 3], [0, 0, 3]) == pytest.approx(math.log(2) ** 2 / 3)
    assert mse_log1p([5.0], [5.0]) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        mse_log1p([-1.0], [0.0])
    with pytest.raises(ValueError, match="same size"):
        mse_log1p([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        mse_log1p([math.nan], [1.0])


def test_average_precision_by_hand_and_as_sklearn() -> None:
    # Ranked 0.9 (+), 0.8 (-), 0.7 (+), 0.6 (-): precision 1 at the first positive,
    # 2/3 at the second. AP = (1 + 2/3) / 2.
    assert average_precision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == pytest.approx(5 / 6)
    # All tied: one threshold, precision = the share of positives.
    assert average_precision([1, 1, 1, 1], [1, 0, 0, 0]) == pytest.approx(0.25)
    assert math.isnan(average_precision([0.5, 0.2], [0, 0]))
    rng = np.random.default_rng(3)
    for _ in range(5):
        scores = rng.integers(0, 6, size=200).astype(float)  # many ties
        truth = rng.random(200) < 0.2 + 0.1 * scores
        assert average_precision(scores, truth) == pytest.approx(
            average_precision_score(truth, scores)
        )
    with pytest.raises(ValueError, match="same size"):
        average_precision([0.1], [1, 0])


def test_top_capture_by_hand() -> None:
    # 20 areas: the top 5% is 1 area; 21 areas: 1.05, rounded up to 2.
    outcome = [0.0] * 19 + [4.0]
    scores = list(range(20))
    assert top_capture(scores, outcome) == (4.0, 4.0)
    assert top_capture([*scores, -1], [*outcome, 1.0]) == (4.0, 5.0)
    # Ties at the cut share the places left: 4 areas, top 50% = 2 places. Score 5 takes
    # one; the two areas tied at 3 share the other: (2 + 0) / 2 = 1. Captured 1 + 1 of 7.
    assert top_capture([5, 3, 3, 1], [1, 2, 0, 4], share=0.5) == (2.0, 7.0)
    # All tied: each of 3 areas counts for 1/3 of the single place.
    captured, total = top_capture([0, 0, 0], [1, 0, 1])
    assert captured == pytest.approx(2 / 3) and total == 2.0
    # The order of the areas never matters.
    assert top_capture([3, 5, 1, 3], [0, 1, 4, 2], share=0.5) == (2.0, 7.0)
    with pytest.raises(ValueError, match="share"):
        top_capture([1.0], [1.0], share=0.0)


# --------------------------------------------------------------------------- model


def test_drivers_add_up_to_the_forecast() -> None:
    panel = synthetic_panel()
    t = panel.last_month - 1
    model = fit(panel, t)
    forecasts = predict(model, panel, t)
    assert len(forecasts) == len(panel.units)
    groups = set(DRIVER_GROUPS)
    for f in forecasts:
        assert (f.origin, f.target) == (t, t + 1)
        assert {d.name for d in f.drivers} == groups
        total = f.base + sum(d.contribution for d in f.drivers)
        assert total == pytest.approx(f.log1p_fatalities, abs=1e-9)
        assert f.expected_fatalities == pytest.approx(max(0.0, math.expm1(total)))
        logit = f.probability_base + sum(d.contribution for d in f.probability_drivers)
        assert f.probability == pytest.approx(1 / (1 + math.exp(-logit)), abs=1e-12)
        sizes = [abs(d.contribution) for d in f.drivers]
        assert sizes == sorted(sizes, reverse=True)
        assert 0 <= f.probability <= 1 and f.expected_events >= 0
        assert len(f.explanation()) == 3
    # The violent areas come first when ranked by probability.
    by_probability = sorted(forecasts, key=lambda f: -f.probability)
    recent = panel.events[:, panel.column(t) - 2 : panel.column(t) + 1].sum(axis=1)
    top = [panel.units.index(f.unit) for f in by_probability[:5]]
    assert recent[top].mean() > recent.mean()


def test_rank_score_drivers_add_up_and_use_persistence_only() -> None:
    panel = synthetic_panel()
    t = panel.last_month - 1
    model = fit(panel, t, rank_weight=1.0)
    forecasts = predict(model, panel, t)
    for f in forecasts:
        assert {d.name for d in f.rank_drivers} == set(RANK_DRIVER_GROUPS)
        total = f.rank_base + sum(d.contribution for d in f.rank_drivers)
        assert math.log(f.rank_score) == pytest.approx(total, abs=1e-9)
        sizes = [abs(d.contribution) for d in f.rank_drivers]
        assert sizes == sorted(sizes, reverse=True)
        assert len(f.rank_explanation()) == 2
        assert f.rank_drivers[0].text().endswith(")")
    # Areas with more fatal events in the last 12 months rank higher, all else aside.
    twelve = panel.events[:, panel.column(t) - 11 : panel.column(t) + 1].sum(axis=1)
    ranked = np.argsort([-f.rank_score for f in forecasts])
    assert twelve[ranked[:5]].mean() > twelve.mean()
    # Without explanations the scores are the same and the drivers empty.
    quick = predict(model, panel, t, explain=False)
    assert [f.rank_score for f in quick] == [f.rank_score for f in forecasts]
    assert all(f.rank_drivers == () for f in quick)


def test_ranking_model_is_a_weighted_poisson_regression_as_sklearn() -> None:
    # The same fit by scikit-learn: the persistence columns standardised with the
    # rows' weights, each row weighted by (1 + events of the last 12 months) ** 1;
    # sklearn's penalty is on the weighted mean loss, ours on the sum: alpha = l2 / sum(w).
    panel = synthetic_panel()
    t = panel.last_month
    model = fit(panel, t, rank_weight=1.0)
    raw = _raw_features(panel, 1, last=t - 1)
    a, b = panel.column(panel.first_month + 11), panel.column(t - 1) + 1
    x = raw.x[:, a:b, :].reshape(-1, len(FEATURES))
    y = panel.events[:, a + 1 : b + 1].reshape(-1)
    columns = [FEATURES.index(name) for name in RANK_FEATURES]
    weight = 1.0 + np.expm1(x[:, FEATURES.index("events_12")])
    weight *= weight.size / weight.sum()
    xr = x[:, columns]
    mean = weight @ xr / weight.sum()
    scale = np.sqrt(weight @ (xr - mean) ** 2 / weight.sum())
    reference = PoissonRegressor(alpha=1.0 / weight.sum(), tol=1e-12, max_iter=10_000)
    reference.fit((xr - mean) / scale, y, sample_weight=weight)
    assert model.rank_coef == pytest.approx(reference.coef_ / scale, rel=1e-4, abs=1e-6)
    # The intercept is the prediction at the other models' training mean.
    centre = model.mean[columns]
    expected = reference.intercept_ + (reference.coef_ / scale) @ (centre - mean)
    assert model.rank_intercept == pytest.approx(expected, abs=1e-5)


def test_explanation_words_by_hand() -> None:
    panel = hand_panel()
    model = fit(panel, T, min_history=1)
    a, b, c = predict(model, panel, T)
    label = {d.name: d.label for d in a.drivers}
    assert label["fatalities"] == (
        "12 fatalities last month, 18 in the last 3 months, 18 in the last 12 months"
    )
    assert label["events"] == (
        "3 fatal events last month, 5 in the last 3 months, 5 in the last 12 months"
    )
    assert (
        label["neighbours"]
        == "neighbours: 0 fatalities last month, 0 in the last 3 months, 12 in the last 12 months"
    )
    assert label["season"] == "season: forecast for February"
    assert label["long_run"] == "long-run average of 2.1 fatalities a month"  # 27 / 13
    events_b = next(d for d in b.drivers if d.name == "events")
    assert events_b.label == (
        "0 fatal events last month, 0 in the last 3 months, 8 in the last 12 months, "
        "the last one 10 months ago"
    )
    assert events_b.values == (0.0, 0.0, 8.0, 10.0)
    assert next(d.label for d in c.drivers if d.name == "events") == "no fatal event on record"
    assert next(d.label for d in c.drivers if d.name == "fatalities") == (
        "no fatalities in the last 12 months"
    )
    text = a.drivers[0].text()
    sign = "+" if a.drivers[0].contribution >= 0 else "\u2212"
    assert text.endswith(f"({sign}{abs(a.drivers[0].contribution):.2f})")


def test_fit_and_backtest_are_deterministic() -> None:
    panel = synthetic_panel()
    t = panel.last_month - 1
    one, two = fit(panel, t, half_life=24.0), fit(panel, t, half_life=24.0)
    assert one.as_dict() == two.as_dict()
    start, end = panel.last_month - 5, panel.last_month
    first = backtest(panel, start, end)
    second = backtest(panel, start, end)
    first.pop("fit_s"), second.pop("fit_s")
    assert first == second
    assert first["refits"] == 6
    assert backtest(panel, start, end, refit_every=12)["refits"] == 1


def test_a_warm_start_that_overflows_falls_back_to_a_cold_start() -> None:
    # A backtest starts each fit from the previous one; on sparse data those coefficients
    # can be huge and overflow on the new rows. The fit then starts again from the
    # constant and reaches the same optimum as a cold start.
    from ulinzi.threats.forecast import _glm

    rng = np.random.default_rng(3)
    z = rng.normal(size=(200, 3))
    y = rng.poisson(np.exp(0.5 * z[:, 0] - 1.0)).astype(np.float64)
    weight = np.ones(200)
    cold = _glm("poisson", z, y, weight, 1.0)
    for start in ((np.array([800.0, -900.0, 700.0]), 50.0), (cold[0] + 0.1, cold[1] - 0.1)):
        coef, intercept = _glm("poisson", z, y, weight, 1.0, start)
        assert coef == pytest.approx(cold[0], abs=1e-6)
        assert intercept == pytest.approx(cold[1], abs=1e-6)
    logistic = _glm("logistic", z, (y > 0).astype(np.float64), weight, 1.0)
    coef, intercept = _glm(
        "logistic", z, (y > 0).astype(np.float64), weight, 1.0, (np.full(3, 1e200), 1e200)
    )
    assert coef == pytest.approx(logistic[0], abs=1e-6)
    assert intercept == pytest.approx(logistic[1], abs=1e-6)


def test_backtest_refits_match_fresh_fits() -> None:
    # A backtest starts each refit from the previous model; the optimum is the same, so
    # its pooled scores equal those of a fresh fit and forecast for every target month.
    panel = synthetic_panel()
    start, end = panel.last_month - 3, panel.last_month
    forecast, probability, actual, positive = [], [], [], []
    captured = total = 0.0
    for target in range(start, end + 1):
        model = fit(panel, target - 1, rank_weight=1.0)
        forecasts = predict(model, panel, target - 1, explain=False)
        for f in forecasts:
            forecast.append(f.expected_fatalities)
            probability.append(f.probability)
        actual.extend(panel.fatalities[:, panel.column(target)])
        positive.extend(panel.events[:, panel.column(target)] > 0)
        kept, events = top_capture(
            [f.rank_score for f in forecasts], panel.events[:, panel.column(target)]
        )
        captured, total = captured + kept, total + events
    result = backtest(panel, start, end, rank_weight=1.0)
    ours = result["methods"]["ulinzi"]
    assert set(result["top5_capture_by"]) == set(RANKINGS)
    assert ours["top5_capture"] == result["top5_capture_by"]["rank_score"]
    assert ours["top5_capture"] == pytest.approx(captured / total, rel=1e-9)
    assert ours["mse_log1p"] == pytest.approx(mse_log1p(forecast, actual), rel=1e-9)
    assert ours["average_precision"] == pytest.approx(
        average_precision(probability, positive), rel=1e-9
    )


def test_model_round_trips_through_a_dict() -> None:
    panel = synthetic_panel()
    t = panel.last_month
    model = fit(panel, t)
    again = Model.from_dict(model.as_dict())
    assert [f.probability for f in predict(model, panel, t)] == [
        f.probability for f in predict(again, panel, t)
    ]
    assert [f.rank_score for f in predict(model, panel, t)] == [
        f.rank_score for f in predict(again, panel, t)
    ]
    broken = model.as_dict()
    broken["names"] = ["something_else"]
    with pytest.raises(ValueError, match="other features"):
        Model.from_dict(broken)
    older = model.as_dict()
    del older["rank_coef"]
    with pytest.raises(ValueError, match="no ranking model"):
        Model.from_dict(older)


def test_a_panel_without_any_event_still_fits() -> None:
    quiet = Panel(("a", "b"), JAN_2020, np.zeros((2, 20)), np.zeros((2, 20)))
    model = fit(quiet, JAN_2020 + 19)
    forecasts = predict(model, quiet, JAN_2020 + 19)
    assert all(f.probability < 0.05 and f.expected_fatalities == 0 for f in forecasts)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"until_month": JAN_2020 + 5}, "no training data"),
        ({"until_month": JAN_2020 + 40}, "outside the panel"),
        ({"until_month": T, "horizon": 0}, "horizon must be"),
        ({"until_month": T, "alpha": 0.0}, "alpha and l2 must be positive"),
        ({"until_month": T, "window": 0}, "window must be"),
        ({"until_month": T, "half_life": -1.0}, "half_life must be positive"),
        ({"until_month": T, "rank_weight": -1.0}, "rank_weight must be"),
    ],
)
def test_fit_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit(hand_panel(), **kwargs)


def test_backtest_rejects_bad_ranges() -> None:
    panel = hand_panel()
    with pytest.raises(ValueError, match="to_month must not be before"):
        backtest(panel, TARGET, T)
    with pytest.raises(ValueError, match="rank_by must be one of"):
        backtest(panel, TARGET, TARGET, rank_by="votes")
    with pytest.raises(ValueError, match="outside the panel"):
        backtest(panel, TARGET, TARGET + 1)
