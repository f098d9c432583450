"""Early warning: next month's fatal violence per area, with the reasons (no Django import).

Each month, for every area of a *panel* (a territory, a 0.5-degree grid cell, a
country), the forecast says how many fatalities to expect next month, how many
fatal events, and the probability of at least one fatal event, and it says why:
the few facts about the area's recent past that moved the forecast most, each
with its share of the forecast ("neighbours: 30 fatalities last month, 45 in the
last 3 months, 52 in the last 12 months (+0.40)").

Panel
    :class:`Panel` holds, per area and calendar month, the number of fatalities
    and the number of fatal events, for consecutive months, and which areas
    are neighbours. Months are integers, ``year * 12 + month - 1``
    (:func:`month_index`), so that adding 1 is the next month. Build one from
    a list of events with :func:`panel_from_events`; for grid cells,
    :func:`grid_cell` names the PRIO-GRID cell of a point and
    :func:`grid_neighbours` finds the neighbouring cells. Neighbours of other
    areas (territories sharing a border) are given by the caller.

Features
    Known at the end of month *t* (the *origin*) and used to forecast month
    *t + horizon* (the *target*); nothing after *t* is ever read
    (:func:`features`, :data:`FEATURES`):

    * the area's own history: log(1 + x) of its fatalities in the latest month,
      in the last 3 and in the last 12 months, and of its fatal events in the
      latest month, the last 3 and the last 12 months;
    * the spatial lag: log(1 + x) of the fatalities of all its neighbours
      together in the latest month, the last 3 and the last 12 months (0 for an
      area without neighbours);
    * the time since its last fatal event, as a decay ``2 ** (-months / 6)``: 1
      when there was one in the latest month, 0.5 six months later, 0 when there
      was none since the panel starts;
    * its long-run level: log(1 + mean monthly fatalities) from the start of
      the panel to *t*;
    * the season: sine and cosine of the target's month of the year.

    Windows that reach back before the panel's first month count the missing
    months as zero; :func:`fit` trains only on origins with at least
    ``min_history`` months of data (12 by default) so that no window is cut.

Model
    Three linear models on the standardised features, each fitted on every
    (area, origin) pair of the training months at once, so that quiet areas
    learn from the history of violent ones:

    * a ridge regression of log(1 + next month's fatalities);
      ``expected_fatalities`` is ``exp(prediction) - 1``, the forecast brought
      back to a count: a "typical" value, lower than the arithmetic mean when
      outcomes are skewed (as they are), but the one that minimises the
      squared error of log(1 + x) it is scored on;
    * a Poisson regression (log link) of next month's number of fatal events;
      ``expected_events`` is ``exp(prediction)``, an estimate of the mean;
    * a logistic regression of "at least one fatal event next month";
      ``probability``;

    and, to rank areas for a watch list (:attr:`Forecast.rank_score`), a
    fourth, smaller one:

    * the *ranking model*, a Poisson regression of next month's number of
      fatal events on the area's persistence alone (:data:`RANK_FEATURES`:
      its fatal events in the three windows, the time since the last one,
      its long-run level); ``rank_score`` is its expected number of fatal
      events. Left out are the fatalities (one massacre makes a large,
      short-lived number), the neighbours and the season: on both tuning
      periods (see Backtest) the Poisson model with them picked the few areas
      where most fatal events happen less well than without them. Areas where
      fatal events keep happening are the likeliest to have them next month,
      and the ranking model says only that. Its training rows can be weighted
      in addition by ``(1 + the area's fatal events in the last 12 months) **
      rank_weight``, which fits it more closely where the top of the list is
      decided (``rank_weight`` 0, the default, adds no weight).

    The GLMs carry a small L2 penalty and are solved by Newton's method,
    the ridge by its normal equations: exact, deterministic NumPy solutions
    with no random state. Training rows can be weighted to favour recent
    months (``half_life``). Identical training rows (mostly areas with no
    event on record, in the same month of the year: most of a grid) are merged
    into one row carrying their summed weight, which leaves the fit unchanged
    and makes it many times faster: well under a second for 150,000
    area-months on a laptop.

Explanation
    The models are linear, so each forecast is exactly a base value (the
    prediction for an area whose features are the training average) plus one
    contribution per feature, ``coefficient * (value - training mean)``, on the
    model's own scale: log(1 + fatalities) for :attr:`Forecast.drivers`,
    log-odds for :attr:`Forecast.probability_drivers`. Related features are
    reported together as one driver whose contribution is their sum
    (:data:`DRIVER_GROUPS`): the area's fatalities in the three windows; its
    fatal events in the three windows with the time since the last one; its
    neighbours' fatalities; its long-run level; the season. Overlapping
    windows are strongly correlated, and a linear model often gives one of
    them a negative weight to correct another: shown apart they would read as
    reasons pulling against each other, summed they say what the area's
    recent violence does to the forecast. Drivers are sorted by absolute
    contribution, and :meth:`Forecast.explanation` writes the first three in
    words, e.g. "12 fatal events last month, 30 in the last 3 months, 41 in
    the last 12 months (+0.80)". A positive contribution means the fact
    raises the forecast compared with an average area-month of the training
    period, a negative one that it lowers it ("no fatal event in the last 12
    months, the last one 17 months ago (−0.02)"). The rank score is explained
    the same way, on the scale of log(rank score): ``log(rank_score) =
    rank_base + sum of the rank drivers`` (:attr:`Forecast.rank_drivers`,
    groups :data:`RANK_DRIVER_GROUPS`: the events and the long-run level,
    measured from the same training-average area-month),
    :meth:`Forecast.rank_explanation` in words.

Baselines
    :func:`baseline_forecast` with ``window`` = 1, 6 or 12 (``last_month``,
    ``mean_6``, ``mean_12``): the mean of the area's fatalities over the last
    1, 6 or 12 months is the forecast of next month's fatalities, and the mean
    of its fatal events over the same months is its score for "at least one
    fatal event" and its ranking for the top 5%.

Metrics (:func:`mse_log1p`, :func:`average_precision`, :func:`top_capture`)
    * ``mse_log1p``: mean over area-months of
      ``(log(1 + forecast) - log(1 + actual)) ** 2``, fatalities;
    * ``average_precision`` of the score (Ulinzi: the probability) for "at
      least one fatal event", pooled over all area-months: the mean, over the
      positive area-months, of the precision at their score, tied scores taken
      as one threshold (the same as ``sklearn.metrics.average_precision_score``);
    * ``top5_capture``: each target month, the areas are ranked by a
      forecast (Ulinzi: the rank score by default, or expected events,
      expected fatalities or probability, see :func:`backtest`; a baseline:
      its mean of fatal events) and the first 5% (rounded up, at least one)
      are kept; the figure is the share of all the target months' fatal
      events that fell in the kept areas. Areas tied at the cut share the
      remaining places equally (each counts for the fraction of places left
      over the number tied), so ties never depend on the order of the areas.
      The same rule applies to every method: the baselines' means tie often
      (many areas with one event in the window), Ulinzi's scores tie only
      for areas with identical histories (e.g. none on record).

Backtest
    :func:`backtest` makes the forecasts as they would have been made at the
    time (rolling origin): for every target month in the range, the model is
    refitted on the data up to the origin (every ``refit_every`` months; 1 by
    default), forecasts the target, and the forecasts of all target months are
    pooled and scored with the three baselines on the same area-months. Each
    refit starts Newton's method from the previous fit, which only saves
    iterations: the optimum is unique (a start that overflows on the new
    rows, as the huge coefficients of a fit on very sparse data can, is
    dropped for a cold start). Choose hyper-parameters (``half_life``,
    ``rank_weight``, the ranking) on one period and report another, later one,
    looked at once the choice is made. ``bench/forecast.py`` does so: it
    chooses on three 5-year windows of target months, 2000-2014 (CAR grid)
    and 1998-2012 (Africa countries), and reports 2015-2019 and 2013-2017.
    The ranking model's features were settled on the last of those windows
    (other features tried later on all three gained nothing beyond noise, see
    the bench's docstring): there, ranking the
    top 5% by the full Poisson model's expected events caught 0.59 of the
    fatal events (CAR) and 0.57 (Africa), by the persistence-only model 0.67
    and 0.58 (0.59 with ``rank_weight`` 1), against 0.60 and 0.59 for the
    best baseline (a 6-month mean, last month's count); adding the
    neighbours' fatalities to it cost 0.07 on CAR, and blending the Poisson
    model's expected events with a 6- or 12-month mean gained less (at most
    0.63 and 0.576).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from time import perf_counter
from typing import Any

import numpy as np
import numpy.typing as npt

from ulinzi.lib.words import ENGLISH, Words

__all__ = [
    "BASELINES",
    "DRIVER_GROUPS",
    "FEATURES",
    "RANKINGS",
    "RANK_DRIVER_GROUPS",
    "RANK_FEATURES",
    "Driver",
    "Forecast",
    "Model",
    "Panel",
    "average_precision",
    "backtest",
    "baseline_forecast",
    "cell_centre",
    "features",
    "fit",
    "grid_cell",
    "grid_cells_in_box",
    "grid_neighbours",
    "month_index",
    "month_label",
    "mse_log1p",
    "panel_from_events",
    "predict",
    "top_capture",
]

Array = npt.NDArray[np.float64]

#: The features, in the order of the columns of :func:`features`.
FEATURES: tuple[str, ...] = (
    "fatalities_1",
    "fatalities_3",
    "fatalities_12",
    "events_1",
    "events_3",
    "events_12",
    "neighbours_1",
    "neighbours_3",
    "neighbours_12",
    "recency",
    "long_run",
    "season_sin",
    "season_cos",
)

#: How the features are reported as drivers: each group's contributions are summed.
DRIVER_GROUPS: dict[str, tuple[str, ...]] = {
    "fatalities": ("fatalities_1", "fatalities_3", "fatalities_12"),
    "events": ("events_1", "events_3", "events_12", "recency"),
    "neighbours": ("neighbours_1", "neighbours_3", "neighbours_12"),
    "long_run": ("long_run",),
    "season": ("season_sin", "season_cos"),
}

#: The features of the ranking model (:attr:`Forecast.rank_score`): the area's persistence.
RANK_FEATURES: tuple[str, ...] = ("events_1", "events_3", "events_12", "recency", "long_run")

#: How the ranking model's features are reported as drivers (:attr:`Forecast.rank_drivers`).
RANK_DRIVER_GROUPS: dict[str, tuple[str, ...]] = {
    "events": ("events_1", "events_3", "events_12", "recency"),
    "long_run": ("long_run",),
}

#: The baselines scored by :func:`backtest`: name and window in months.
BASELINES: dict[str, int] = {"last_month": 1, "mean_6": 6, "mean_12": 12}

_RANK_COLUMNS = np.array([FEATURES.index(name) for name in RANK_FEATURES])
RECENCY_HALF_LIFE = 6.0  # months: the recency feature halves every 6 months without an event
TOP_SHARE = 0.05
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MINUS = "\u2212"

# --------------------------------------------------------------------------- months


def month_index(year: int | date, month: int | None = None) -> int:
    """The month number ``year * 12 + month - 1`` of a year and month (1-12) or of a date."""
    if isinstance(year, date):
        if month is not None:
            raise ValueError("give a date or a year and a month, not both")
        return year.year * 12 + year.month - 1
    if month is None or not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month!r}")
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """``YYYY-MM`` of a month number (the inverse of :func:`month_index`)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --------------------------------------------------------------------------- panel


@dataclass(frozen=True, eq=False)
class Panel:
    """Monthly counts per area.

    ``fatalities[i, k]`` and ``events[i, k]`` are the fatalities and the fatal
    events of area ``units[i]`` in month ``first_month + k``. ``neighbours[i]``
    lists the indices of the areas next to area ``i``, each once and without
    ``i`` itself; area ``i``'s spatial lag sums the areas listed for it, so the
    lists should be symmetric (:func:`panel_from_events` and
    :func:`grid_neighbours` make them so). Empty: no area has neighbours.
    The arrays are copied as float64 and made read-only.
    """

    units: tuple[str, ...]
    first_month: int
    fatalities: Array
    events: Array
    neighbours: tuple[tuple[int, ...], ...] = field(default=())

    def __post_init__(self) -> None:
        units = tuple(str(u) for u in self.units)
        if len(set(units)) != len(units):
            raise ValueError("Panel: unit ids must be unique")
        fatalities = _counts("fatalities", self.fatalities, len(units))
        events = _counts("events", self.events, len(units))
        if fatalities.shape != events.shape:
            raise ValueError(
                f"Panel: fatalities {fatalities.shape} and events {events.shape} differ in shape"
            )
        neighbours = tuple(tuple(int(j) for j in row) for row in self.neighbours)
        if not neighbours:
            neighbours = tuple(() for _ in units)
        if len(neighbours) != len(units):
            raise ValueError(f"Panel: {len(neighbours)} neighbour lists for {len(units)} units")
        for i, row in enumerate(neighbours):
            for j in row:
                if not 0 <= j < len(units) or j == i:
                    raise ValueError(f"Panel: unit {units[i]!r} has a bad neighbour index {j}")
            if len(set(row)) != len(row):
                raise ValueError(f"Panel: unit {units[i]!r} lists a neighbour twice")
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "first_month", int(self.first_month))
        object.__setattr__(self, "fatalities", fatalities)
        object.__setattr__(self, "events", events)
        object.__setattr__(self, "neighbours", neighbours)

    @property
    def months(self) -> range:
        """The month numbers of the columns."""
        return range(self.first_month, self.first_month + int(self.fatalities.shape[1]))

    @property
    def last_month(self) -> int:
        """The month number of the last column."""
        return self.first_month + int(self.fatalities.shape[1]) - 1

    def column(self, month: int) -> int:
        """The column of ``month``; ValueError if the panel does not cover it."""
        if month not in self.months:
            raise ValueError(
                f"month {month_label(month)} is outside the panel "
                f"({month_label(self.first_month)} to {month_label(self.last_month)})"
            )
        return month - self.first_month


def _counts(name: str, values: Any, n_units: int) -> Array:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != n_units or array.shape[1] == 0:
        raise ValueError(
            f"Panel: {name} must have shape (units={n_units}, months>0), got {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"Panel: {name} must be finite and non-negative")
    array.setflags(write=False)
    return array


def panel_from_events(
    records: Iterable[tuple[str, int | date, float]],
    units: Sequence[str],
    months: range,
    neighbours: Mapping[str, Iterable[str]] | Sequence[Iterable[int]] | None = None,
) -> Panel:
    """A :class:`Panel` from events ``(unit id, month number or date, fatalities)``.

    Every event with at least one fatality adds its fatalities to its unit's
    month and counts as one fatal event; events without fatalities are
    ignored. Events outside ``months`` (a ``range`` of consecutive month
    numbers, e.g. ``range(month_index(2015, 1), month_index(2019, 12) + 1)``)
    are skipped; an event of a unit not in ``units`` raises ValueError.
    ``neighbours`` maps a unit id to the ids next to it (territories sharing
    a border), or lists for each unit, in the order of ``units``, the indices
    of its neighbours (what :func:`grid_neighbours` returns). The relation is
    made symmetric; a unit missing from the mapping has no neighbours.
    """
    if months.step != 1 or len(months) == 0:
        raise ValueError("months must be a non-empty range of consecutive month numbers")
    ids = [str(u) for u in units]
    position = {u: i for i, u in enumerate(ids)}
    if len(position) != len(ids):
        raise ValueError("unit ids must be unique")
    fatalities = np.zeros((len(ids), len(months)))
    events = np.zeros((len(ids), len(months)))
    for unit, when, deaths in records:
        row = position.get(str(unit))
        if row is None:
            raise ValueError(f"event of unknown unit {unit!r}")
        month = month_index(when) if isinstance(when, date) else int(when)
        value = float(deaths)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"bad fatalities {deaths!r} for unit {unit!r}")
        if month not in months or value == 0:
            continue
        fatalities[row, month - months.start] += value
        events[row, month - months.start] += 1
    pairs: list[set[int]] = [set() for _ in ids]
    if isinstance(neighbours, Mapping):
        for unit, others in neighbours.items():
            if str(unit) not in position:
                raise ValueError(f"neighbours of unknown unit {unit!r}")
            i = position[str(unit)]
            for other in others:
                j = position.get(str(other))
                if j is None:
                    raise ValueError(f"unknown neighbour {other!r} of unit {unit!r}")
                if j != i:
                    pairs[i].add(j)
                    pairs[j].add(i)
    elif neighbours is not None:
        if len(neighbours) != len(ids):
            raise ValueError(f"{len(neighbours)} neighbour lists for {len(ids)} units")
        for i, indices in enumerate(neighbours):
            for j in indices:
                if not 0 <= int(j) < len(ids):
                    raise ValueError(f"unit {ids[i]!r} has a bad neighbour index {j}")
                if int(j) != i:
                    pairs[i].add(int(j))
                    pairs[int(j)].add(i)
    return Panel(
        units=tuple(ids),
        first_month=months.start,
        fatalities=fatalities,
        events=events,
        neighbours=tuple(tuple(sorted(p)) for p in pairs),
    )


# --------------------------------------------------------------------------- grid

GRID_STEP = 0.5
GRID_COLUMNS = 720
GRID_ROWS = 360


def _grid_row_col(lat: float, lon: float) -> tuple[int, int]:
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"bad coordinates lat={lat!r} lon={lon!r}")
    row = min(int(math.floor((lat + 90.0) / GRID_STEP)), GRID_ROWS - 1)
    col = min(int(math.floor((lon + 180.0) / GRID_STEP)), GRID_COLUMNS - 1)
    return row, col


def grid_cell(lat: float, lon: float) -> str:
    """The PRIO-GRID id of the 0.5-degree cell holding a point, as a string.

    PRIO-GRID numbers its cells row by row from the south-west corner of the
    world: ``gid = row * 720 + col + 1`` with ``row = floor((lat + 90) / 0.5)``
    (0 for the band 90-89.5 S) and ``col = floor((lon + 180) / 0.5)`` (0 for
    180-179.5 W). A point on a cell edge belongs to the cell north and east of
    it; latitude 90 and longitude 180 fall in the last row and column. These
    ids equal the ``priogrid_gid`` of every event of UCDP GED for the Central
    African Republic (e.g. Bangui, 4.37 N 18.58 E, is cell 135758).
    """
    row, col = _grid_row_col(float(lat), float(lon))
    return str(row * GRID_COLUMNS + col + 1)


def _gid_row_col(cell: str) -> tuple[int, int]:
    try:
        gid = int(cell)
    except (TypeError, ValueError):
        raise ValueError(f"bad grid cell id {cell!r}") from None
    if not 1 <= gid <= GRID_ROWS * GRID_COLUMNS:
        raise ValueError(f"bad grid cell id {cell!r}")
    return divmod(gid - 1, GRID_COLUMNS)


def cell_centre(cell: str) -> tuple[float, float]:
    """(latitude, longitude) of the centre of a PRIO-GRID cell."""
    row, col = _gid_row_col(cell)
    return (row + 0.5) * GRID_STEP - 90.0, (col + 0.5) * GRID_STEP - 180.0


def grid_cells_in_box(lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> list[str]:
    """The ids of every cell whose centre lies in the box, south to north, west to east."""
    if not (lat_min < lat_max and lon_min < lon_max):
        raise ValueError("the box needs lat_min < lat_max and lon_min < lon_max")
    cells: list[str] = []
    for row in range(GRID_ROWS):
        lat = (row + 0.5) * GRID_STEP - 90.0
        if not lat_min <= lat <= lat_max:
            continue
        for col in range(GRID_COLUMNS):
            lon = (col + 0.5) * GRID_STEP - 180.0
            if lon_min <= lon <= lon_max:
                cells.append(str(row * GRID_COLUMNS + col + 1))
    return cells


def grid_neighbours(cells: Sequence[str]) -> tuple[tuple[int, ...], ...]:
    """Queen contiguity among the given cells: for each cell, the indices (into
    ``cells``) of the up to 8 cells of the list that touch it by a side or a
    corner. Columns wrap around at 180 degrees; rows do not wrap at the poles."""
    where: dict[tuple[int, int], int] = {}
    for i, cell in enumerate(cells):
        key = _gid_row_col(cell)
        if key in where:
            raise ValueError(f"grid cell {cell!r} is listed twice")
        where[key] = i
    result: list[tuple[int, ...]] = []
    for cell in cells:
        row, col = _gid_row_col(cell)
        found = {
            where[(row + dr, (col + dc) % GRID_COLUMNS)]
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            if (dr or dc) and (row + dr, (col + dc) % GRID_COLUMNS) in where
        }
        result.append(tuple(sorted(found)))
    return tuple(result)


# --------------------------------------------------------------------------- features


def _neighbour_sums(panel: Panel, values: Array) -> Array:
    out = np.zeros_like(values)
    source = [i for i, row in enumerate(panel.neighbours) for _ in row]
    target = [j for row in panel.neighbours for j in row]
    if source:
        np.add.at(out, np.array(source), values[np.array(target)])
    return out


@dataclass(frozen=True, eq=False)
class _Raw:
    """Features at some origins of a panel, with the raw values the labels show."""

    x: Array  # (units, origins, features)
    shown: Array  # (units, origins, features): counts, months since, month of the year


def _raw_features(
    panel: Panel, horizon: int, last: int | None = None, only: int | None = None
) -> _Raw:
    """The features of every origin from the panel's first month to ``last`` (default:
    the panel's last month), or of the single origin ``only``.

    Only columns up to ``last`` (or ``only``) are read, so nothing after an
    origin can leak into its features.
    """
    if only is not None:
        last = only
    stop = panel.fatalities.shape[1] if last is None else panel.column(last) + 1
    f = panel.fatalities[:, :stop]
    e = panel.events[:, :stop]
    n_units = f.shape[0]
    k = np.arange(stop) if only is None else np.array([stop - 1])
    n_origins = k.size

    def cumulative(values: Array) -> Array:
        return np.concatenate([np.zeros((n_units, 1)), np.cumsum(values, axis=1)], axis=1)

    def window(sums: Array, size: int) -> Array:
        # the sum over the months k - size + 1 .. k, months before column 0 counting as zero
        return np.asarray(sums[:, k + 1] - sums[:, np.maximum(k + 1 - size, 0)], dtype=np.float64)

    nb_f = _neighbour_sums(panel, f)
    cum_f, cum_e, cum_nb = cumulative(f), cumulative(e), cumulative(nb_f)
    windows = {
        "fatalities_1": f[:, k],
        "fatalities_3": window(cum_f, 3),
        "fatalities_12": window(cum_f, 12),
        "events_1": e[:, k],
        "events_3": window(cum_e, 3),
        "events_12": window(cum_e, 12),
        "neighbours_1": nb_f[:, k],
        "neighbours_3": window(cum_nb, 3),
        "neighbours_12": window(cum_nb, 12),
    }
    all_months = np.arange(stop)
    last_event = np.maximum.accumulate(np.where(e > 0, all_months, -1), axis=1)[:, k]
    since = np.where(last_event >= 0, k - last_event, -1).astype(np.float64)
    recency = np.where(since >= 0, np.exp2(-np.maximum(since, 0) / RECENCY_HALF_LIFE), 0.0)
    long_run_mean = cum_f[:, k + 1] / (k + 1)
    target_month = (panel.first_month + k + horizon) % 12
    angle = 2 * np.pi * target_month / 12
    shape = (n_units, n_origins)
    x = np.empty((n_units, n_origins, len(FEATURES)))
    shown = np.empty_like(x)
    for j, name in enumerate(FEATURES):
        if name in windows:
            x[:, :, j] = np.log1p(windows[name])
            shown[:, :, j] = windows[name]
        elif name == "recency":
            x[:, :, j] = recency
            shown[:, :, j] = since
        elif name == "long_run":
            x[:, :, j] = np.log1p(long_run_mean)
            shown[:, :, j] = long_run_mean
        else:
            x[:, :, j] = np.broadcast_to(
                np.sin(angle) if name == "season_sin" else np.cos(angle), shape
            )
            shown[:, :, j] = np.broadcast_to(target_month + 1.0, shape)
    return _Raw(x=x, shown=shown)


def _check_horizon(horizon: int) -> int:
    if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
        raise ValueError(f"horizon must be a whole number of months >= 1, got {horizon!r}")
    return horizon


def features(panel: Panel, t: int, horizon: int = 1) -> tuple[Array, list[str]]:
    """The feature matrix (one row per unit, columns :data:`FEATURES`) known at the
    end of month ``t``, for forecasting month ``t + horizon``, and the column names.

    Reads only the panel's months up to ``t``.
    """
    _check_horizon(horizon)
    raw = _raw_features(panel, horizon, only=t)
    return np.ascontiguousarray(raw.x[:, 0, :]), list(FEATURES)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Driver:
    """One reason for a forecast: a group of features and their summed contribution.

    ``name`` is the group (:data:`DRIVER_GROUPS`): ``fatalities`` (the area's
    fatalities in the 1-, 3- and 12-month windows), ``events`` (its fatal
    events in the same windows and the time since the last one), ``neighbours``
    (the neighbours' fatalities in the three windows), ``long_run`` and
    ``season`` (sine and cosine). Grouping keeps overlapping, strongly related
    features from showing as reasons that pull against each other.
    ``features`` are the group's columns and ``values`` the facts in their own
    units, in the same order: counts for the windows, months since the last
    fatal event (-1 for never), mean fatalities a month, the target's month of
    the year (1-12) for both season columns. ``contribution`` is on the
    model's scale (log(1 + fatalities), or log-odds for probability drivers):
    the sum of ``coefficient * (value - training mean)`` over the group's
    features.
    """

    name: str
    label: str
    features: tuple[str, ...]
    values: tuple[float, ...]
    contribution: float

    def text(self) -> str:
        """``label (+0.80)``, with a true minus sign for negative contributions."""
        return _with_contribution(self.label, self.contribution)


@dataclass(frozen=True)
class Forecast:
    """The forecast of one unit for month ``target``, made at the end of month ``origin``."""

    unit: str
    origin: int
    target: int
    expected_fatalities: float  # exp(log1p_fatalities) - 1, never below 0
    expected_events: float  # the Poisson model's mean number of fatal events
    probability: float  # of at least one fatal event in the target month
    log1p_fatalities: float  # = base + sum of the drivers' contributions
    base: float  # the fatality model's prediction for the training-average features
    drivers: tuple[Driver, ...]  # by decreasing |contribution|
    probability_base: float  # log-odds at the training-average features
    probability_drivers: tuple[Driver, ...]  # on the log-odds scale
    # The ranking model's expected fatal events: sort a watch list by it (module docstring).
    rank_score: float = 0.0  # exp(rank_base + sum of the rank drivers' contributions)
    rank_base: float = 0.0  # log(rank_score) at the training-average features
    rank_drivers: tuple[Driver, ...] = ()  # on the log(rank_score) scale

    def explanation(self, n: int = 3) -> list[str]:
        """The ``n`` main drivers of the fatality forecast, in words."""
        return [d.text() for d in self.drivers[:n]]

    def rank_explanation(self, n: int = 2) -> list[str]:
        """The ``n`` main drivers of :attr:`rank_score`, in words (on the log scale)."""
        return [d.text() for d in self.rank_drivers[:n]]


@dataclass(frozen=True, eq=False)
class Model:
    """Three linear models on the same features (see the module docstring).

    Coefficients are per raw feature (already divided by the feature's
    standard deviation), so that a prediction is ``intercept + coef @ (x - mean)``.
    The ranking model's ``rank_coef`` are for :data:`RANK_FEATURES`, and its
    ``rank_intercept`` is its prediction at the same ``mean`` (those columns of
    it), so that its drivers are measured from the same average area-month.
    """

    names: tuple[str, ...]
    horizon: int
    trained_until: int  # the last month whose outcome was used
    rows: int  # training (unit, origin) pairs
    mean: Array
    fatalities_coef: Array
    fatalities_intercept: float
    events_coef: Array
    events_intercept: float
    probability_coef: Array
    probability_intercept: float
    alpha: float
    l2: float
    window: int | None = None
    half_life: float | None = None
    rank_coef: Array = field(default_factory=lambda: np.zeros(len(RANK_FEATURES)))
    rank_intercept: float = 0.0
    rank_weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (to store a fitted model)."""
        return {
            "names": list(self.names),
            "horizon": self.horizon,
            "trained_until": self.trained_until,
            "rows": self.rows,
            "mean": self.mean.tolist(),
            "fatalities_coef": self.fatalities_coef.tolist(),
            "fatalities_intercept": self.fatalities_intercept,
            "events_coef": self.events_coef.tolist(),
            "events_intercept": self.events_intercept,
            "probability_coef": self.probability_coef.tolist(),
            "probability_intercept": self.probability_intercept,
            "alpha": self.alpha,
            "l2": self.l2,
            "window": self.window,
            "half_life": self.half_life,
            "rank_coef": self.rank_coef.tolist(),
            "rank_intercept": self.rank_intercept,
            "rank_weight": self.rank_weight,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        names = tuple(str(n) for n in data["names"])
        if names != FEATURES:
            raise ValueError("the stored model was fitted on other features")
        arrays = {
            key: np.array(data[key], dtype=np.float64)
            for key in ("mean", "fatalities_coef", "events_coef", "probability_coef")
        }
        for key, value in arrays.items():
            if value.shape != (len(names),):
                raise ValueError(f"stored model: {key} has shape {value.shape}")
        if "rank_coef" not in data:
            raise ValueError("the stored model has no ranking model: fit it again")
        rank_coef = np.array(data["rank_coef"], dtype=np.float64)
        if rank_coef.shape != (len(RANK_FEATURES),):
            raise ValueError(f"stored model: rank_coef has shape {rank_coef.shape}")
        return cls(
            names=names,
            horizon=int(data["horizon"]),
            trained_until=int(data["trained_until"]),
            rows=int(data["rows"]),
            fatalities_intercept=float(data["fatalities_intercept"]),
            events_intercept=float(data["events_intercept"]),
            probability_intercept=float(data["probability_intercept"]),
            alpha=float(data["alpha"]),
            l2=float(data["l2"]),
            window=None if data.get("window") is None else int(data["window"]),
            half_life=None if data.get("half_life") is None else float(data["half_life"]),
            rank_coef=rank_coef,
            rank_intercept=float(data["rank_intercept"]),
            rank_weight=float(data["rank_weight"]),
            **arrays,
        )


def _standardise(x: Array, weight: Array) -> tuple[Array, Array, Array]:
    total = float(weight.sum())
    mean = weight @ x / total
    scale = np.sqrt(weight @ (x - mean) ** 2 / total)
    scale = np.where(scale > 1e-12, scale, 1.0)
    return (x - mean) / scale, mean, scale


def _ridge(z: Array, y: Array, weight: Array, alpha: float) -> tuple[Array, float]:
    """Weighted ridge regression on columns centred at their weighted mean:
    (coefficients, intercept = weighted mean of y)."""
    intercept = float(weight @ y / weight.sum())
    weighted = z * weight[:, None]
    gram = weighted.T @ z + alpha * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, weighted.T @ (y - intercept))
    return np.asarray(coef, dtype=np.float64), intercept


def _glm_loss(family: str, margin: Array, y: Array) -> Array:
    if family == "logistic":
        # log(1 + exp(m)) - y * m, computed stably
        return np.asarray(np.logaddexp(0.0, margin) - y * margin, dtype=np.float64)
    # Poisson deviance up to a constant: exp(m) - y * m (inf when exp overflows)
    with np.errstate(over="ignore"):
        return np.asarray(np.exp(margin) - y * margin, dtype=np.float64)


def _glm_mean(family: str, margin: Array) -> Array:
    if family == "logistic":
        return _sigmoid(margin)
    with np.errstate(over="ignore"):
        return np.asarray(np.exp(margin), dtype=np.float64)


def _glm(
    family: str,
    z: Array,
    y: Array,
    weight: Array,
    l2: float,
    start: tuple[Array, float] | None = None,
) -> tuple[Array, float]:
    """L2-penalised, weighted logistic or Poisson (log link) regression by Newton's
    method, the intercept not penalised. Minimises the weighted sum of the losses
    plus ``l2 / 2 * |coef| ** 2``; ``start`` (coefficients, intercept) only saves
    iterations, the optimum is unique."""
    n, p = z.shape
    total = float(weight.sum())
    rate = float(weight @ y) / total
    if family == "logistic" and not 0 < rate < 1:
        # One class only: a constant, smoothed rate; no feature can be learnt.
        positives = rate * total
        return np.zeros(p), math.log((positives + 0.5) / (total - positives + 0.5))
    if family == "poisson" and rate == 0:
        return np.zeros(p), math.log(0.5 / total)
    design = np.concatenate([np.ones((n, 1)), z], axis=1)
    penalty = np.full(p + 1, l2)
    penalty[0] = 0.0
    beta = np.zeros(p + 1)
    beta[0] = math.log(rate / (1 - rate)) if family == "logistic" else math.log(rate)

    def objective(b: Array) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # inf: rejected by the caller
            loss = weight @ _glm_loss(family, design @ b, y)
            return float(loss + 0.5 * float(b @ (penalty * b)))

    def newton(beta: Array) -> Array | None:
        """The optimum from ``beta``; None if the iterations overflow."""
        value = objective(beta)
        if not math.isfinite(value):
            return None
        for _ in range(100):
            mu = _glm_mean(family, design @ beta)
            gradient = design.T @ (weight * (mu - y)) + penalty * beta
            curvature = weight * (mu * (1.0 - mu) if family == "logistic" else mu)
            root = design * np.sqrt(curvature)[:, None]
            with np.errstate(over="ignore", invalid="ignore"):
                hessian = root.T @ root + np.diag(penalty)
            hessian[np.diag_indices_from(hessian)] += 1e-9
            if not (np.all(np.isfinite(hessian)) and np.all(np.isfinite(gradient))):
                return None
            try:
                step = np.linalg.solve(hessian, gradient)
            except np.linalg.LinAlgError:
                return None
            size = 1.0
            while True:
                candidate = beta - size * step
                new_value = objective(candidate)
                if new_value <= value + 1e-12 * max(1.0, abs(value)) or size < 1e-6:
                    break
                size /= 2
            if not new_value <= value + 1e-12 * max(1.0, abs(value)):
                break
            beta, improvement, value = candidate, value - new_value, new_value
            if float(np.max(np.abs(size * step))) < 1e-9 or improvement < 1e-12 * max(
                1.0, abs(value)
            ):
                break
        return beta

    found: Array | None = None
    if start is not None and np.all(np.isfinite(start[0])) and math.isfinite(start[1]):
        # A previous fit's coefficients can be huge on sparse data (rare events, nearly
        # separable) and overflow on the new rows: then start again from the constant.
        found = newton(np.concatenate([[start[1]], start[0]]))
    if found is None:
        found = newton(beta)
    if found is None:
        raise ArithmeticError(f"{family} regression: Newton's method overflowed")
    return np.asarray(found[1:], dtype=np.float64), float(found[0])


def _training_rows(
    panel: Panel,
    until_month: int,
    horizon: int,
    min_history: int,
    window: int | None,
    raw: _Raw | None = None,
) -> tuple[Array, Array, Array, Array]:
    """Features of every (unit, origin) with origin + horizon <= until_month, the log1p
    fatalities and the fatal events of their targets, and the age of each row in
    months (0 for the last origin). ``raw``: the panel's features if already
    computed (origins up to at least the last one; later columns are not read)."""
    last_origin = until_month - horizon
    first_origin = panel.first_month + min_history - 1
    if window is not None:
        first_origin = max(first_origin, last_origin - window + 1)
    if last_origin < first_origin:
        raise ValueError(
            f"no training data: forecasting {horizon} month(s) ahead with at least "
            f"{min_history} month(s) of history needs data from {month_label(panel.first_month)} "
            f"to at least {month_label(first_origin + horizon)}, training ends "
            f"{month_label(until_month)}"
        )
    if raw is None:
        raw = _raw_features(panel, horizon, last=last_origin)
    a, b = panel.column(first_origin), panel.column(last_origin) + 1
    n_units = len(panel.units)
    x = raw.x[:, a:b, :].reshape(-1, len(FEATURES))
    y_f = np.log1p(panel.fatalities[:, a + horizon : b + horizon]).reshape(-1)
    y_e = panel.events[:, a + horizon : b + horizon].reshape(-1)
    age = np.broadcast_to(np.arange(b - a - 1, -1, -1, dtype=np.float64), (n_units, b - a))
    return x, y_f, y_e, age.reshape(-1)


def fit(
    panel: Panel,
    until_month: int,
    horizon: int = 1,
    *,
    alpha: float = 1.0,
    l2: float = 1.0,
    min_history: int = 12,
    window: int | None = None,
    half_life: float | None = None,
    rank_weight: float = 0.0,
) -> Model:
    """Fit the three models on every (unit, origin) whose target month is at most
    ``until_month`` and whose origin has at least ``min_history`` months of data.

    ``alpha`` and ``l2`` are the ridge and GLM penalties on the standardised
    coefficients (on sums over rows, so they weigh less the more rows there
    are). ``window``, if given, keeps only the last ``window`` origins (a
    moving training period); ``half_life``, if given, weighs each row by
    ``2 ** (-age / half_life)``, its age in months counted from the last
    origin, so that recent months count more. The ranking model is fitted on
    the same rows, each weighted in addition by ``(1 + fatal events in its
    last 12 months) ** rank_weight`` (0: no extra weight).
    """
    _check_horizon(horizon)
    panel.column(until_month)
    if not alpha > 0 or not l2 > 0:
        raise ValueError("alpha and l2 must be positive")
    if min_history < 1:
        raise ValueError("min_history must be at least 1")
    if window is not None and window < 1:
        raise ValueError("window must be at least 1 month")
    if half_life is not None and not half_life > 0:
        raise ValueError("half_life must be positive")
    _check_rank_weight(rank_weight)
    return _fit(panel, until_month, horizon, alpha, l2, min_history, window, half_life, rank_weight)


def _check_rank_weight(rank_weight: float) -> float:
    if not (math.isfinite(rank_weight) and rank_weight >= 0):
        raise ValueError(f"rank_weight must be a number >= 0, got {rank_weight!r}")
    return float(rank_weight)


def _merge_duplicates(
    x: Array, y_f: Array, y_e: Array, weight: Array
) -> tuple[Array, Array, Array, Array]:
    """Identical rows (features and outcomes) as one row carrying their summed weight.

    Every loss here is a weighted sum over rows, so the fit is the same; a grid
    has many identical rows (areas with no event on record in the same month of
    the year), and merging them makes the fit many times faster.
    """
    table = np.ascontiguousarray(np.column_stack([x, y_f, y_e]))
    keys = table.view(np.dtype((np.void, table.dtype.itemsize * table.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    merged = np.bincount(inverse.reshape(-1), weights=weight, minlength=first.size)
    return x[first], y_f[first], y_e[first], np.asarray(merged, dtype=np.float64)


def _fit(
    panel: Panel,
    until_month: int,
    horizon: int,
    alpha: float,
    l2: float,
    min_history: int,
    window: int | None,
    half_life: float | None,
    rank_weight: float = 0.0,
    raw: _Raw | None = None,
    previous: Model | None = None,
) -> Model:
    """:func:`fit` without the checks; a backtest passes the panel's features,
    computed once, and its previous model as the GLMs' starting point."""
    x, y_f, y_e, age = _training_rows(panel, until_month, horizon, min_history, window, raw)
    rows = int(x.shape[0])
    if half_life is None:
        weight = np.ones_like(age)
    else:
        weight = np.exp2(-age / half_life)
        weight *= weight.size / weight.sum()
    rank_x = x[:, _RANK_COLUMNS]
    rank_w = weight * (1.0 + np.expm1(x[:, FEATURES.index("events_12")])) ** rank_weight
    rank_w *= rank_w.size / rank_w.sum()
    rank_y = y_e
    x, y_f, y_e, weight = _merge_duplicates(x, y_f, y_e, weight)
    z, mean, scale = _standardise(x, weight)
    e_start: tuple[Array, float] | None = None
    p_start: tuple[Array, float] | None = None
    if previous is not None:
        # The previous model's function, rewritten for this fit's standardisation.
        shift = mean - previous.mean
        e_start = (
            previous.events_coef * scale,
            previous.events_intercept + float(previous.events_coef @ shift),
        )
        p_start = (
            previous.probability_coef * scale,
            previous.probability_intercept + float(previous.probability_coef @ shift),
        )
    f_coef, f_intercept = _ridge(z, y_f, weight, alpha)
    e_coef, e_intercept = _glm("poisson", z, y_e, weight, l2, e_start)
    p_coef, p_intercept = _glm("logistic", z, (y_e > 0).astype(np.float64), weight, l2, p_start)
    r_coef, r_intercept = _rank_glm(rank_x, rank_y, rank_w, l2, mean[_RANK_COLUMNS], previous)
    return Model(
        names=FEATURES,
        horizon=horizon,
        trained_until=until_month,
        rows=rows,
        mean=mean,
        fatalities_coef=f_coef / scale,
        fatalities_intercept=f_intercept,
        events_coef=e_coef / scale,
        events_intercept=e_intercept,
        probability_coef=p_coef / scale,
        probability_intercept=p_intercept,
        alpha=float(alpha),
        l2=float(l2),
        window=window,
        half_life=half_life,
        rank_coef=r_coef,
        rank_intercept=r_intercept,
        rank_weight=float(rank_weight),
    )


def _rank_glm(
    x: Array, y_e: Array, weight: Array, l2: float, centre: Array, previous: Model | None
) -> tuple[Array, float]:
    """The ranking model: a Poisson regression of next month's fatal events on the
    :data:`RANK_FEATURES` columns ``x``, with the same penalty as the other GLM;
    (coefficients per raw feature, prediction at ``centre``)."""
    x, _, y_e, weight = _merge_duplicates(x, np.zeros_like(y_e), y_e, weight)
    z, mean, scale = _standardise(x, weight)
    start: tuple[Array, float] | None = None
    if previous is not None:
        start = (
            previous.rank_coef * scale,
            previous.rank_intercept
            + float(previous.rank_coef @ (mean - previous.mean[_RANK_COLUMNS])),
        )
    coef, intercept = _glm("poisson", z, y_e, weight, l2, start)
    coef = coef / scale
    return coef, intercept + float(coef @ (centre - mean))


def _windows(values: Sequence[float], w: Words, *, fatalities: bool) -> str:
    """Counts in the last 1, 3 and 12 months, in words."""
    last, three, twelve = (int(round(v)) for v in values[:3])
    counts = {"last": last, "three": three, "twelve": twelve}
    if fatalities:
        if twelve == 0:
            return w.text("no fatalities in the last 12 months")
        return w.count(
            "%(last)d fatality last month, %(three)d in the last 3 months, "
            "%(twelve)d in the last 12 months",
            "%(last)d fatalities last month, %(three)d in the last 3 months, "
            "%(twelve)d in the last 12 months",
            last,
            **counts,
        )
    if twelve == 0:
        return w.text("no fatal events in the last 12 months")
    return w.count(
        "%(last)d fatal event last month, %(three)d in the last 3 months, "
        "%(twelve)d in the last 12 months",
        "%(last)d fatal events last month, %(three)d in the last 3 months, "
        "%(twelve)d in the last 12 months",
        last,
        **counts,
    )


def driver_words(group: str, values: Sequence[float], w: Words = ENGLISH) -> str:
    """What a driver of :data:`DRIVER_GROUPS` stands for, from its values, worded by ``w``
    (:attr:`Driver.label` in English)."""
    if group == "fatalities":
        return _windows(values, w, fatalities=True)
    if group == "neighbours":
        return w.text("neighbours: %(facts)s", facts=_windows(values, w, fatalities=True))
    if group == "events":
        since = int(round(values[3]))
        if since < 0:
            return w.text("no fatal event on record")
        if since >= 12:
            return w.count(
                "no fatal event in the last 12 months, the last one %(n)d month ago",
                "no fatal event in the last 12 months, the last one %(n)d months ago",
                since,
            )
        text = _windows(values, w, fatalities=False)
        if since >= 1:
            text += w.count(
                ", the last one %(n)d month ago", ", the last one %(n)d months ago", since
            )
        return text
    if group == "long_run":
        mean = f"{values[0]:.1f}" if values[0] >= 1 else f"{values[0]:.2f}"
        return w.text("long-run average of %(mean)s fatalities a month", mean=w.figure(mean))
    if group == "season":
        month = w.text(_MONTH_NAMES[int(values[0]) - 1])
        return w.text("season: forecast for %(month)s", month=month)
    raise ValueError(f"no label for driver {group!r}")


def driver_text(
    group: str, values: Sequence[float], contribution: float, w: Words = ENGLISH
) -> str:
    """``words (+0.80)``: a driver and its contribution, with a true minus sign for a
    negative one."""
    return _with_contribution(driver_words(group, values, w), contribution, w)


def _with_contribution(said: str, contribution: float, w: Words = ENGLISH) -> str:
    sign = "+" if contribution >= 0 else _MINUS
    return f"{said} ({sign}{w.figure(f'{abs(contribution):.2f}')})"


def _drivers(
    contributions: Array, shown: Array, groups: Mapping[str, tuple[str, ...]] = DRIVER_GROUPS
) -> tuple[Driver, ...]:
    """Drivers from per-feature ``contributions`` (one per :data:`FEATURES` column)."""
    found: list[Driver] = []
    for group, columns in groups.items():
        index = [FEATURES.index(c) for c in columns]
        values = tuple(float(shown[j]) for j in index)
        total = float(sum(float(contributions[j]) for j in index))
        found.append(Driver(group, driver_words(group, values), columns, values, total))
    found.sort(key=lambda d: (-abs(d.contribution), d.name))
    return tuple(found)


def _scores(model: Model, x: Array) -> tuple[Array, Array, Array]:
    centred = x - model.mean
    return (
        model.fatalities_intercept + centred @ model.fatalities_coef,
        model.events_intercept + centred @ model.events_coef,
        model.probability_intercept + centred @ model.probability_coef,
    )


def _rank_log(model: Model, x: Array) -> Array:
    """log(rank score) of feature rows ``x`` (columns :data:`FEATURES`)."""
    centred = x[:, _RANK_COLUMNS] - model.mean[_RANK_COLUMNS]
    return np.asarray(model.rank_intercept + centred @ model.rank_coef, dtype=np.float64)


def _sigmoid(values: Array) -> Array:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * values)), dtype=np.float64)


def predict(model: Model, panel: Panel, t: int, *, explain: bool = True) -> list[Forecast]:
    """Forecasts for every unit of ``panel`` for month ``t + model.horizon``, from the
    data up to the end of month ``t``, in the panel's unit order.

    With ``explain=False`` the driver tuples are left empty (faster, for backtests).
    """
    raw = _raw_features(panel, model.horizon, only=t)
    x = raw.x[:, 0, :]
    shown = raw.shown[:, 0, :]
    log_f, log_e, logit = _scores(model, x)
    log_r = _rank_log(model, x)
    probability = _sigmoid(logit)
    centred = x - model.mean
    rank_coef = np.zeros(len(FEATURES))
    rank_coef[_RANK_COLUMNS] = model.rank_coef
    result: list[Forecast] = []
    for i, unit in enumerate(panel.units):
        drivers: tuple[Driver, ...] = ()
        p_drivers: tuple[Driver, ...] = ()
        r_drivers: tuple[Driver, ...] = ()
        if explain:
            drivers = _drivers(centred[i] * model.fatalities_coef, shown[i])
            p_drivers = _drivers(centred[i] * model.probability_coef, shown[i])
            r_drivers = _drivers(centred[i] * rank_coef, shown[i], RANK_DRIVER_GROUPS)
        result.append(
            Forecast(
                unit=unit,
                origin=t,
                target=t + model.horizon,
                expected_fatalities=max(0.0, math.expm1(float(log_f[i]))),
                expected_events=math.exp(min(float(log_e[i]), 700.0)),
                probability=float(probability[i]),
                log1p_fatalities=float(log_f[i]),
                base=model.fatalities_intercept,
                drivers=drivers,
                probability_base=model.probability_intercept,
                probability_drivers=p_drivers,
                rank_score=math.exp(min(float(log_r[i]), 700.0)),
                rank_base=model.rank_intercept,
                rank_drivers=r_drivers,
            )
        )
    return result


# --------------------------------------------------------------------------- baselines


def baseline_forecast(panel: Panel, t: int, window: int) -> tuple[Array, Array]:
    """(fatalities forecast, fatal-event score) per unit for next month: the means of the
    unit's fatalities and fatal events over the ``window`` months ending with ``t``
    (months before the panel's start count as zero)."""
    if window < 1:
        raise ValueError("window must be at least 1 month")
    column = panel.column(t)
    start = max(0, column - window + 1)
    f = panel.fatalities[:, start : column + 1].sum(axis=1) / window
    e = panel.events[:, start : column + 1].sum(axis=1) / window
    return np.asarray(f, dtype=np.float64), np.asarray(e, dtype=np.float64)


# --------------------------------------------------------------------------- metrics


def _vector(name: str, values: Any) -> Array:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers")
    return array


def mse_log1p(forecast: Any, actual: Any) -> float:
    """Mean of ``(log1p(forecast) - log1p(actual)) ** 2``; both non-negative, same length."""
    f, a = _vector("forecast", forecast), _vector("actual", actual)
    if f.shape != a.shape or f.size == 0:
        raise ValueError(f"forecast ({f.size}) and actual ({a.size}) must be non-empty, same size")
    if np.any(f < 0) or np.any(a < 0):
        raise ValueError("forecast and actual must be non-negative counts")
    return float(np.mean((np.log1p(f) - np.log1p(a)) ** 2))


def average_precision(scores: Any, positive: Any) -> float:
    """Average precision of ``scores`` for the boolean outcome ``positive``.

    Sum over the distinct scores, from the highest, of (recall gained) x
    (precision at that score), tied scores counting as one threshold: the same
    value as ``sklearn.metrics.average_precision_score``. NaN without any
    positive.
    """
    s = _vector("scores", scores)
    y = np.asarray(positive, dtype=bool).reshape(-1)
    if s.shape != y.shape or s.size == 0:
        raise ValueError(f"scores ({s.size}) and outcomes ({y.size}) must be non-empty, same size")
    total = int(y.sum())
    if total == 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    hits = np.cumsum(y)
    # the last position of each group of tied scores
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tp = hits[ends].astype(np.float64)
    precision = tp / (ends + 1)
    recall_gain = np.diff(np.r_[0.0, tp]) / total
    return float(np.sum(recall_gain * precision))


def top_capture(scores: Any, outcome: Any, share: float = TOP_SHARE) -> tuple[float, float]:
    """(captured, total): how much of ``outcome`` (e.g. next month's fatal events per
    area) falls in the ``share`` of areas with the highest ``scores``.

    ``k = max(1, ceil(share * areas))`` areas are kept. Areas tied with the k-th
    score share the places left equally: each counts for (places left) / (number
    tied) of its outcome, so the result does not depend on the order of the areas.
    """
    s, o = _vector("scores", scores), _vector("outcome", outcome)
    if s.shape != o.shape or s.size == 0:
        raise ValueError(f"scores ({s.size}) and outcome ({o.size}) must be non-empty, same size")
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    k = max(1, math.ceil(share * s.size - 1e-9))
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    left = k - int(above.sum())
    captured = float(o[above].sum()) + float(o[tied].sum()) * left / int(tied.sum())
    return captured, float(o.sum())


# --------------------------------------------------------------------------- backtest


#: What :func:`backtest` can rank Ulinzi's top 5% by (see its docstring).
RANKINGS = ("rank_score", "events", "fatalities", "probability")


def backtest(
    panel: Panel,
    from_month: int,
    to_month: int,
    horizon: int = 1,
    *,
    refit_every: int = 1,
    alpha: float = 1.0,
    l2: float = 1.0,
    min_history: int = 12,
    window: int | None = None,
    half_life: float | None = None,
    rank_weight: float = 0.0,
    rank_by: str = "rank_score",
) -> dict[str, Any]:
    """Rolling-origin backtest of the model and the baselines for the target months
    ``from_month .. to_month``.

    For each target month *m* the origin is *m - horizon*; the model is refitted
    on the data up to the origin (only outcomes up to *m - horizon*) when
    ``(m - from_month) % refit_every == 0``, else the last fit is reused. All
    methods forecast the same unit-months; the metrics pool them. Ulinzi's
    top 5% are its areas with the highest ``rank_score`` (``rank_by`` =
    ``"rank_score"``, the default), ``expected_events`` (``"events"``),
    ``expected_fatalities`` (``"fatalities"``) or ``probability``
    (``"probability"``), cut with the same tie rule as the baselines
    (:func:`top_capture`); the other options are passed to :func:`fit`.

    Returns ``{"methods": {name: {"mse_log1p", "average_precision",
    "top5_capture"}}, "targets": months, "forecasts": unit-months,
    "positive_share": share of unit-months with a fatal event, "fatal_events":
    total, "top5_capture_by": {ranking: Ulinzi's top5_capture with each of
    :data:`RANKINGS`}, "refits": n, "fit_s": median seconds per fit}``, methods
    ``ulinzi`` then :data:`BASELINES`.
    """
    _check_horizon(horizon)
    if to_month < from_month:
        raise ValueError("to_month must not be before from_month")
    if refit_every < 1:
        raise ValueError("refit_every must be at least 1")
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {', '.join(RANKINGS)}, got {rank_by!r}")
    _check_rank_weight(rank_weight)
    panel.column(from_month - horizon)
    panel.column(to_month)
    names = ["ulinzi", *BASELINES]
    fatalities: dict[str, list[Array]] = {n: [] for n in names}
    scores: dict[str, list[Array]] = {n: [] for n in names}
    captured = dict.fromkeys(names, 0.0)
    captured_by = dict.fromkeys(RANKINGS, 0.0)
    total_events = 0.0
    actual_f: list[Array] = []
    actual_e: list[Array] = []
    fit_times: list[float] = []
    raw = _raw_features(panel, horizon, last=to_month - horizon)
    model: Model | None = None
    for target in range(from_month, to_month + 1):
        origin = target - horizon
        if model is None or (target - from_month) % refit_every == 0:
            start = perf_counter()
            if model is None:  # the first fit, cold and with the checks of fit
                model = fit(
                    panel,
                    origin,
                    horizon,
                    alpha=alpha,
                    l2=l2,
                    min_history=min_history,
                    window=window,
                    half_life=half_life,
                    rank_weight=rank_weight,
                )
            else:  # later fits start from the previous one: the same optimum, sooner
                model = _fit(
                    panel,
                    origin,
                    horizon,
                    alpha,
                    l2,
                    min_history,
                    window,
                    half_life,
                    rank_weight,
                    raw,
                    model,
                )
            fit_times.append(perf_counter() - start)
        x_origin = raw.x[:, panel.column(origin), :]
        log_f, log_e, logit = _scores(model, x_origin)
        truth_f = panel.fatalities[:, panel.column(target)]
        truth_e = panel.events[:, panel.column(target)]
        actual_f.append(truth_f)
        actual_e.append(truth_e)
        total_events += float(truth_e.sum())
        # Rankings by monotone transforms of the three predictions.
        ranking = {
            "rank_score": _rank_log(model, x_origin),
            "events": log_e,
            "fatalities": log_f,
            "probability": logit,
        }
        for key, values in ranking.items():
            captured_by[key] += top_capture(values, truth_e)[0]
        forecasts = {"ulinzi": (np.maximum(np.expm1(log_f), 0.0), _sigmoid(logit))}
        for name, size in BASELINES.items():
            forecasts[name] = baseline_forecast(panel, origin, size)
        for name, (f, score) in forecasts.items():
            fatalities[name].append(f)
            scores[name].append(score)
            rank = ranking[rank_by] if name == "ulinzi" else score
            captured[name] += top_capture(rank, truth_e)[0]
    all_f = np.concatenate(actual_f)
    positive = np.concatenate(actual_e) > 0

    def share(value: float) -> float:
        return value / total_events if total_events else float("nan")

    methods = {
        name: {
            "mse_log1p": mse_log1p(np.concatenate(fatalities[name]), all_f),
            "average_precision": average_precision(np.concatenate(scores[name]), positive),
            "top5_capture": share(captured[name]),
        }
        for name in names
    }
    return {
        "methods": methods,
        "targets": to_month - from_month + 1,
        "forecasts": int(all_f.size),
        "positive_share": float(positive.mean()),
        "fatal_events": total_events,
        "top5_capture_by": {key: share(value) for key, value in captured_by.items()},
        "refits": len(fit_times),
        "fit_s": float(np.median(fit_times)),
    }
