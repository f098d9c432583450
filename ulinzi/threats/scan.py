"""Is something unusual happening here, lately? The space-time permutation scan statistic.

This is the prospective space-time permutation scan statistic of Kulldorff,
Heffernan, Hartman, Assunção and Mostashari (2005, "A space-time permutation
scan statistic for disease outbreak detection", PLoS Medicine 2(3): e59), the
method behind SaTScan's daily syndromic surveillance. It needs only the place
and the day of each event (an attack, a killing, an abduction), no population
and no baseline: each place is compared with its own past, and each day with
what happened everywhere that day.

Events, locations, study period
    An event is a point (latitude, longitude) and a day, an integer day index
    that the caller derives from the date. A *location* is one exact
    (latitude, longitude) pair; several events can share it (a village, a
    geocoded place, a grid cell). The *study period* runs from ``start_day``
    (by default the first event's day) to ``end_day``, the analysis date;
    events outside it are ignored. ``N`` is the number of events in it.

Cylinders
    A candidate cluster is a *cylinder*: its base is a circle on the map, its
    height a time window. Circles are centred on each *centre* (by default
    every location; a caller can pass other points, places or grid cells) and
    grow location by location in order of great-circle distance (haversine,
    km): the circle of radius r holds every location at most r km from the
    centre. A circle is a *zone* while its radius is at most
    ``max_radius_km`` and it holds at most ``max_share`` of the ``N`` events
    (SaTScan's default is half). Locations at the same distance from a
    centre (within 1e-9 km) enter together: a set that would include one of
    them and not the other is not a circle and is not scanned.
    The analysis is *prospective*: only windows that are still going on are
    scanned, the last ``d`` days up to ``end_day`` for ``d`` from
    ``min_days`` to ``max_days`` (and never longer than the study period).
    Old clusters that have ended are of no interest to a duty officer.

Expected count under the permutation null
    With ``N_z`` the events in zone z over the whole study period and ``N_w``
    the events anywhere during window w, the expected count in the cylinder
    when place and time are independent is ``mu = N_z * N_w / N``. It adjusts
    for places that always report much (a town, a road with an army post)
    and for days when everybody reports much (a network that came back, a
    reporting campaign): only an *interaction* between place and time makes
    a cylinder stand out. No population or coverage figure is needed.

Generalised likelihood ratio
    With ``c`` events observed in the cylinder, the log likelihood ratio of
    the Poisson approximation is

        LLR = c ln(c / mu) + (N - c) ln((N - c) / (N - mu))   when c > mu,

    and 0 otherwise (only excesses are of interest); the second term is 0
    when ``c = N``. The *most likely cluster* is the cylinder with the
    highest LLR over all zones and windows (ties go to the lowest centre
    index, then the smaller circle, then the shorter window).

Monte Carlo p-value
    Under the null, which event happened on which day is exchangeable. Each
    replicate shuffles the days among the events (locations stay put, with
    ``numpy.random.default_rng(seed)`` and one ``rng.permutation(N)`` per
    replicate) and records the highest LLR over *all* cylinders: the maximum
    is what makes the test account for the many cylinders scanned. The
    p-value of a cluster with log likelihood ratio ``L`` is
    ``(1 + number of replicates with maximum >= L) / (replicates + 1)``; the
    smallest possible is ``1 / (replicates + 1)`` (0.001 with 999). The same
    seed gives the same result. With no replicate the p-values are NaN.
    The replicates scan the same alive windows as the data, and the
    p-value is that of today's analysis alone: no adjustment is made for
    the analyses of earlier days (an option of SaTScan, off by default);
    the recurrence interval below is how to read a daily series of them.

Recurrence interval
    The analysis is meant to be run again every day. The recurrence interval
    ``1 / p`` days, i.e. ``(replicates + 1) / rank``, is how often a cluster at
    least this strong would be signalled by chance alone by such daily
    analyses (SaTScan's definition for prospective analyses with a time unit
    of one day): 1,000 days means "about once in almost three years of daily
    runs if nothing were going on". It is more honest than a p-value for a
    test that is repeated every day.

Secondary clusters
    Following SaTScan's default "no geographical overlap": each centre keeps
    its best cylinder; these are ranked by LLR, and one is reported when it
    shares no location with a more likely reported cluster, up to
    ``max_clusters``. Only cylinders with an excess (LLR > 0) are reported.
    Each gets a p-value against the same distribution of replicate maxima
    (conservative for secondary clusters, as in SaTScan).

How it is computed fast
    The zone totals ``N_z`` and the window totals ``N_w`` do not change when
    days are shuffled (locations keep their events, the multiset of days is
    fixed), so ``mu`` and every term of the LLR that depends on it only are
    computed once; only ``c`` changes. The LLR is written
    ``T[c] - c * delta - K`` with ``T[c] = c ln(c/N) + (N - c) ln(1 - c/N)``
    a table over c, and ``delta = ln(mu / (N - mu))`` and
    ``K = N ln(1 - mu/N)`` computed once per cylinder: a replicate needs no
    logarithm. Per replicate, one ``bincount`` of the events that land in
    the last ``max_days`` days gives a day × location matrix, and a
    cumulative sum over days gives every window at once. Each centre's
    locations are sorted by distance once (``argsort``); laid end to end,
    centre after centre, one cumulative sum along them gives every circle of
    every centre at once (each centre's first entry is lowered by the
    previous centre's total so that the sum starts again from zero).
    After 19 replicates scanned in full, the lowest of their maxima becomes
    a threshold, and each cylinder gets the smallest count whose LLR would
    reach it (a binary search, once). Later replicates then compute the LLR
    only for the few cylinders at or above their count: if any is, the
    highest of them is the replicate's maximum exactly (every cylinder that
    could beat it was looked at); if none is, which happens to about one
    replicate in twenty, that replicate is scanned in full. The threshold is
    lowered by 1e-7 so that rounding can never hide a cylinder. Cylinders
    are processed in chunks of about a million to bound memory (24 bytes
    per cylinder are kept). Reported LLRs use the direct formula; p-values
    compare values computed the same way for the data and the replicates.
    On 10,000 events at 500 locations (about 9,000 circles × 30 windows),
    999 replicates take about 2 seconds on one core.

Pure module: numpy only, no Django import, so tests and the benchmark need no database.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_KM",
    "TIE_KM",
    "Cluster",
    "ScanResult",
    "ScanSettings",
    "haversine_km",
    "log_likelihood_ratio",
    "scan",
]

EARTH_RADIUS_KM = 6371.0088
TIE_KM = 1e-9  # locations this close in distance from a centre enter a circle together

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_CHUNK_CELLS = 1 << 20  # cylinders (window × row) handled at once
_WARM_UP = 19  # replicates scanned in full before the screen is set
_MARGIN = 1e-7  # the screen's floor is this far below its threshold (rounding, see above)
_CENTRE_BLOCK = 1 << 21  # centre × location distances computed at once


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """What is scanned and how many replicates are drawn (defaults: SaTScan-like daily use).

    ``max_radius_km``: largest circle radius. ``max_share``: largest share of
    the study period's events in a circle (0 < share <= 1). ``min_days`` /
    ``max_days``: shortest and longest time window, ending at ``end_day``.
    ``replicates``: Monte Carlo replicates (999 gives p-values down to
    0.001; 0 gives NaN p-values). ``seed`` (>= 0): of ``numpy.random.default_rng``.
    ``max_clusters``: most likely cluster plus secondary clusters reported.
    """

    max_radius_km: float = 25.0
    max_share: float = 0.5
    max_days: int = 30
    min_days: int = 1
    replicates: int = 999
    seed: int = 12345
    max_clusters: int = 10

    def __post_init__(self) -> None:
        radius = self.max_radius_km
        if isinstance(radius, bool) or not isinstance(radius, int | float):
            raise ValueError(f"max_radius_km must be a number, not {radius!r}")
        if not (math.isfinite(radius) and radius >= 0):
            raise ValueError(f"max_radius_km must be finite and >= 0, not {radius!r}")
        share = self.max_share
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise ValueError(f"max_share must be a number, not {share!r}")
        if not 0 < share <= 1:
            raise ValueError(f"max_share must be in (0, 1], not {share!r}")
        for name in ("max_days", "min_days", "replicates", "seed", "max_clusters"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name} must be an integer, not {value!r}")
        if self.min_days < 1:
            raise ValueError(f"min_days must be >= 1, not {self.min_days}")
        if self.max_days < self.min_days:
            raise ValueError(f"max_days ({self.max_days}) must be >= min_days ({self.min_days})")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, not {self.seed}")
        if self.replicates < 0:
            raise ValueError(f"replicates must be >= 0, not {self.replicates}")
        if self.max_clusters < 1:
            raise ValueError(f"max_clusters must be >= 1, not {self.max_clusters}")


@dataclass(frozen=True, slots=True)
class Cluster:
    """One reported cylinder: where, since when, how many, how unusual.

    ``centre`` indexes the centres (the distinct event locations sorted by
    latitude then longitude, or the caller's centres); ``lat``/``lon`` are
    its coordinates. ``radius_km`` is the distance to the farthest location
    inside. The window is ``start_day``..``end_day`` (inclusive). ``observed``
    events fell in the cylinder where ``expected`` were expected;
    ``members`` are their positions in the input arrays, ascending.
    """

    centre: int
    lat: float
    lon: float
    radius_km: float
    start_day: int
    end_day: int
    observed: int
    expected: float
    llr: float
    p_value: float
    recurrence_days: float
    members: tuple[int, ...]

    @property
    def days(self) -> int:
        return self.end_day - self.start_day + 1

    @property
    def ratio(self) -> float:
        """Observed over expected (the relative risk SaTScan reports for this model)."""
        return self.observed / self.expected if self.expected > 0 else math.inf


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The clusters, most likely first, and what was scanned.

    ``events``: events in the study period ``start_day``..``end_day``;
    ``locations``: distinct locations among them; ``centres``, ``zones``
    (circles scanned, over all centres) and ``windows`` (time windows per
    circle); ``replicate_max_llr``: the highest LLR of each replicate, in
    replicate order (computed as for the p-values: the rearranged formula,
    within about 1e-12 of the direct one).
    """

    clusters: tuple[Cluster, ...]
    start_day: int
    end_day: int
    events: int
    locations: int
    centres: int
    zones: int
    windows: int
    replicates: int
    replicate_max_llr: tuple[float, ...]

    @property
    def most_likely(self) -> Cluster | None:
        return self.clusters[0] if self.clusters else None


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def log_likelihood_ratio(c: int, mu: float, n: int) -> float:
    """The Poisson log likelihood ratio of ``c`` observed for ``mu`` expected among ``n``.

    0 unless ``c > mu``; the second term is 0 when ``c == n``.
    """
    if c <= mu:
        return 0.0
    value = c * math.log(c / mu)
    if n > c:
        value += (n - c) * math.log((n - c) / (n - mu))
    return value


def scan(
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    day: npt.ArrayLike,
    *,
    end_day: int,
    start_day: int | None = None,
    settings: ScanSettings | None = None,
    centres_lat: npt.ArrayLike | None = None,
    centres_lon: npt.ArrayLike | None = None,
) -> ScanResult:
    """Scan events (degrees, degrees, integer day index) for clusters alive on ``end_day``.

    Events after ``end_day`` or before ``start_day`` are ignored. Without
    ``centres_lat``/``centres_lon``, circles are centred on the distinct
    event locations. Raises ``ValueError`` on malformed input.
    """
    settings = settings if settings is not None else ScanSettings()
    lat_a, lon_a, day_a = _events(lat, lon, day)
    end = _integer("end_day", end_day)
    start = None if start_day is None else _integer("start_day", start_day)
    if start is not None and start > end:
        raise ValueError(f"start_day ({start}) must be <= end_day ({end})")
    given = _centres(centres_lat, centres_lon)

    keep = day_a <= end
    if start is not None:
        keep &= day_a >= start
    kept: IntArray = np.flatnonzero(keep)
    n = len(kept)
    if n == 0:
        return _empty(start if start is not None else end, end, 0, 0, given, settings)
    first = start if start is not None else int(day_a[kept].min())
    offset = (end - day_a[kept]).astype(np.intp)  # 0 on end_day
    max_days = min(settings.max_days, end - first + 1)

    loc, loc_lat, loc_lon = _locations(lat_a[kept], lon_a[kept])
    n_locations = len(loc_lat)
    centre_lat, centre_lon = (loc_lat, loc_lon) if given is None else given
    if max_days < settings.min_days:
        return _empty(first, end, n, n_locations, (centre_lat, centre_lon), settings)

    per_location = np.bincount(loc, minlength=n_locations)
    zones = _Zones.build(centre_lat, centre_lon, loc_lat, loc_lon, per_location, n, settings)
    windows: IntArray = np.arange(settings.min_days, max_days + 1)
    recent = np.bincount(offset[offset < max_days], minlength=max_days)
    per_window: IntArray = np.cumsum(recent)[windows - 1]  # N_w: events in the last d days
    counter = _Counter(loc, n_locations, max_days, settings.min_days)
    table = _llr_table(n)
    chunks = zones.chunks(per_window, n, table)

    # The data: each row's best window.
    counts = counter.windows(offset)
    row_best = np.zeros(zones.rows)
    row_window = np.zeros(zones.rows, dtype=np.intp)
    for chunk in chunks:
        llr = chunk.llr(counts)
        row_best[chunk.r0 : chunk.r1] = llr.max(axis=0)
        row_window[chunk.r0 : chunk.r1] = llr.argmax(axis=0)

    # The replicates: only which events land in the recent days changes.
    rng = np.random.default_rng(settings.seed)
    maxima = np.zeros(settings.replicates)
    floor = math.inf  # screened maxima below this are not trusted (no screen yet)
    for r in range(settings.replicates if chunks else 0):  # no circle: every maximum is 0
        counts = counter.windows(offset[rng.permutation(n)])
        best = max(chunk.screen(counts) for chunk in chunks) if floor < math.inf else -math.inf
        if best < floor:  # not screened, or no cylinder reached the threshold: look at them all
            best = max(chunk.max_llr(counts) for chunk in chunks)
        maxima[r] = best
        if r + 1 == _WARM_UP < settings.replicates:
            threshold = float(maxima[:_WARM_UP].min())
            if threshold > _MARGIN:
                floor = threshold - _MARGIN
                for chunk in chunks:
                    chunk.set_threshold(floor)

    clusters = _clusters(
        zones,
        row_best,
        row_window,
        windows,
        per_window,
        loc,
        offset,
        kept,
        end,
        maxima,
        settings,
        centre_lat,
        centre_lon,
    )
    return ScanResult(
        clusters=clusters,
        start_day=first,
        end_day=end,
        events=n,
        locations=n_locations,
        centres=len(centre_lat),
        zones=zones.count,
        windows=len(windows),
        replicates=settings.replicates,
        replicate_max_llr=tuple(float(v) for v in maxima),
    )


# --- Input -----------------------------------------------------------------------------------


def _integer(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer day index, not {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{name} must be an integer day index, not {value!r}") from None


def _coordinates(name: str, values: npt.ArrayLike, limit: float) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers in degrees") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not of shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(np.abs(array) > limit):
        raise ValueError(f"{name} must be finite degrees within ±{limit:g}")
    return array


def _events(
    lat: npt.ArrayLike, lon: npt.ArrayLike, day: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    lat_a = _coordinates("lat", lat, 90.0)
    lon_a = _coordinates("lon", lon, 180.0)
    raw = np.asarray(day)
    if raw.ndim != 1:
        raise ValueError(f"day must be one-dimensional, not of shape {raw.shape}")
    integral = raw.dtype.kind in "iu" or (
        raw.dtype.kind == "f" and bool(np.all(np.isfinite(raw) & (raw == np.round(raw))))
    )
    if not (integral or raw.size == 0):
        raise ValueError("day must hold integer day indexes (convert dates to days first)")
    day_a = raw.astype(np.int64)
    if not len(lat_a) == len(lon_a) == len(day_a):
        raise ValueError(
            f"lat, lon and day must have the same length, not {len(lat_a)}, {len(lon_a)}, "
            f"{len(day_a)}"
        )
    return lat_a, lon_a, day_a


def _centres(
    centres_lat: npt.ArrayLike | None, centres_lon: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray] | None:
    if centres_lat is None and centres_lon is None:
        return None
    if centres_lat is None or centres_lon is None:
        raise ValueError("give both centres_lat and centres_lon, or neither")
    c_lat = _coordinates("centres_lat", centres_lat, 90.0)
    c_lon = _coordinates("centres_lon", centres_lon, 180.0)
    if len(c_lat) != len(c_lon):
        raise ValueError(
            f"centres_lat and centres_lon must have the same length, not {len(c_lat)} and "
            f"{len(c_lon)}"
        )
    return c_lat, c_lon


def _locations(lat: FloatArray, lon: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Each event's location index; locations sorted by latitude, then longitude."""
    order = np.lexsort((lon, lat))
    s_lat, s_lon = lat[order], lon[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (s_lat[1:] != s_lat[:-1]) | (s_lon[1:] != s_lon[:-1])
    loc = np.empty(len(order), dtype=np.intp)
    loc[order] = np.cumsum(new) - 1
    return loc, s_lat[new], s_lon[new]


def _empty(
    start: int,
    end: int,
    n: int,
    n_locations: int,
    centres: tuple[FloatArray, FloatArray] | None,
    settings: ScanSettings,
) -> ScanResult:
    return ScanResult(
        clusters=(),
        start_day=start,
        end_day=end,
        events=n,
        locations=n_locations,
        centres=n_locations if centres is None else len(centres[0]),
        zones=0,
        windows=0,
        replicates=settings.replicates,
        replicate_max_llr=(),
    )


# --- Zones, windows and counts ---------------------------------------------------------------


def _llr_table(n: int) -> FloatArray:
    """``T[c] = c ln(c/N) + (N - c) ln(1 - c/N)`` for c = 0..N (0 at both ends)."""
    table = np.zeros(n + 1)
    inner = np.arange(1, n, dtype=np.float64)
    table[1:n] = inner * np.log(inner / n) + (n - inner) * np.log1p(-inner / n)
    return table


class _Counter:
    """Events per location in the last d days, for each scanned d, from a day per event."""

    __slots__ = ("loc", "max_days", "min_days", "n_locations")

    def __init__(self, loc: IntArray, n_locations: int, max_days: int, min_days: int) -> None:
        self.loc = loc
        self.n_locations = n_locations
        self.max_days = max_days
        self.min_days = min_days

    def windows(self, offset: IntArray) -> IntArray:
        """A (window, location) matrix: events at each location in the last d days."""
        recent = offset < self.max_days
        per_day = np.bincount(
            offset[recent] * self.n_locations + self.loc[recent],
            minlength=self.max_days * self.n_locations,
        ).reshape(self.max_days, self.n_locations)
        counts: IntArray = np.cumsum(per_day, axis=0)[self.min_days - 1 :]
        return counts


class _Chunk:
    """The rows of a run of consecutive centres, with the fixed terms of their LLR.

    Arrays of cylinders are (window, row). A *row* is one prefix of a centre's
    distance order (the nearest 1, 2, 3, ... locations); rows that are not
    zones (a tie with the next location) never count: their ``cmin`` is out
    of reach.
    """

    __slots__ = (
        "cmin",
        "cthr",
        "delta",
        "dtype",
        "konst",
        "per_window",
        "r0",
        "r1",
        "seg",
        "starts",
        "table",
        "total",
    )

    def __init__(
        self,
        r0: int,
        r1: int,
        seg: IntArray,
        starts: IntArray,
        dtype: type[np.int32] | type[np.int64],
        cmin: IntArray,
        delta: FloatArray,
        konst: FloatArray,
        table: FloatArray,
        total: IntArray,
        per_window: IntArray,
    ) -> None:
        self.r0, self.r1, self.seg, self.starts, self.dtype = r0, r1, seg, starts, dtype
        self.cmin, self.delta, self.konst, self.table = cmin, delta, konst, table
        self.total, self.per_window = total, per_window
        self.cthr = cmin

    def counts(self, windows: IntArray) -> IntArray:
        """Events in each cylinder: a cumulative sum along each centre's distance order.

        One cumulative sum over the whole chunk, with each centre's first row
        lowered by the total of the centre before it so that the sum starts
        again from zero there.
        """
        rows: IntArray = np.take(windows.astype(self.dtype, copy=False), self.seg, axis=1)
        if len(self.starts) > 1:
            # where a centre starts, the running sum holds the previous centre's total
            before = np.add.reduceat(rows, self.starts, axis=1)[:, :-1]
            rows[:, self.starts[1:]] -= before.astype(self.dtype)
        out: IntArray = np.cumsum(rows, axis=1, dtype=self.dtype)
        return out

    def values(self, c: IntArray) -> FloatArray:
        """``T[c] - c * delta - K``: the LLR where ``c >= cmin`` (meaningless elsewhere)."""
        out: FloatArray = np.take(self.table, c)
        out -= c * self.delta
        out -= self.konst
        return out

    def llr(self, windows: IntArray) -> FloatArray:
        c = self.counts(windows)
        out = self.values(c)
        out[c < self.cmin] = 0.0
        np.maximum(out, 0.0, out=out)
        return out

    def max_llr(self, windows: IntArray) -> float:
        c = self.counts(windows)
        return float(np.max(self.values(c), where=c >= self.cmin, initial=0.0))

    def screen(self, windows: IntArray) -> float:
        """The highest LLR among cylinders at or above their threshold count; -inf if none."""
        c = self.counts(windows)
        reached = c >= self.cthr
        if not reached.any():
            return -math.inf
        at = np.flatnonzero(reached)
        cc = c.ravel()[at]
        values = np.take(self.table, cc) - cc * self.delta.ravel()[at] - self.konst.ravel()[at]
        return float(values.max())

    def set_threshold(self, floor: float) -> None:
        """Smallest count whose LLR reaches ``floor``, per cylinder (out of reach if none).

        The LLR grows with c above mu, so a binary search between ``cmin`` and
        the most the cylinder can hold (``min(N_z, N_w)``) finds it.
        """
        n = len(self.table) - 1
        target = floor
        most = np.minimum(self.total[None, :], self.per_window[:, None])  # c <= N_z, N_w
        lo = self.cmin.astype(np.int64)
        hi = most + 1
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = np.minimum((lo + hi) // 2, n)
            ok = self.values(mid) >= target
            hi = np.where(active & ok, mid, hi)
            lo = np.where(active & ~ok, mid + 1, lo)
        out_of_reach = np.iinfo(self.dtype).max
        self.cthr = np.where(lo <= most, lo, out_of_reach).astype(self.dtype)


@dataclass(slots=True)
class _Zones:
    """Every row (prefix of a centre's distance order) up to each centre's largest zone.

    ``seg`` holds each centre's nearest locations in distance order, centre
    after centre; row ``i`` is the circle holding ``seg[i - size[i] + 1 : i + 1]``.
    """

    rows: int
    count: int  # rows that are zones
    seg: IntArray
    centre: IntArray
    size: IntArray
    radius: FloatArray
    total: npt.NDArray[np.int64]  # N_z
    zone: npt.NDArray[np.bool_]

    @classmethod
    def build(
        cls,
        centre_lat: FloatArray,
        centre_lon: FloatArray,
        loc_lat: FloatArray,
        loc_lon: FloatArray,
        per_location: IntArray,
        n: int,
        settings: ScanSettings,
    ) -> _Zones:
        n_locations = len(loc_lat)
        cap = settings.max_share * n
        block = max(1, _CENTRE_BLOCK // max(1, n_locations))
        parts: list[tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, IntArray]] = []
        for b0 in range(0, len(centre_lat), block):
            b1 = min(b0 + block, len(centre_lat))
            dist = haversine_km(
                centre_lat[b0:b1, None], centre_lon[b0:b1, None], loc_lat[None], loc_lon[None]
            )
            order = np.argsort(dist, axis=1, kind="stable")
            near = np.take_along_axis(dist, order, axis=1)
            total = np.cumsum(per_location[order], axis=1)
            ok = (near <= settings.max_radius_km + TIE_KM) & (total <= cap)
            ok[:, :-1] &= (near[:, 1:] - near[:, :-1]) > TIE_KM
            longest = np.where(ok.any(axis=1), n_locations - np.argmax(ok[:, ::-1], axis=1), 0)
            row = np.arange(n_locations)[None, :] < longest[:, None]
            centre = np.broadcast_to(np.arange(b0, b1)[:, None], row.shape)
            size = np.broadcast_to(np.arange(1, n_locations + 1)[None, :], row.shape)
            parts.append(
                (order[row], centre[row], size[row], near[row], total[row], ok[row].astype(np.intp))
            )
        if not parts:  # no centre
            parts.append((np.zeros(0, np.intp),) * 3 + (np.zeros(0),) + (np.zeros(0, np.intp),) * 2)
        zone = np.concatenate([p[5] for p in parts]).astype(bool)
        return cls(
            rows=len(zone),
            count=int(zone.sum()),
            seg=np.concatenate([p[0] for p in parts]).astype(np.intp),
            centre=np.concatenate([p[1] for p in parts]).astype(np.intp),
            size=np.concatenate([p[2] for p in parts]).astype(np.intp),
            radius=np.concatenate([p[3] for p in parts]).astype(np.float64),
            total=np.concatenate([p[4] for p in parts]).astype(np.int64),
            zone=zone,
        )

    def locations(self, row: int) -> IntArray:
        return self.seg[row - int(self.size[row]) + 1 : row + 1]

    def chunks(self, per_window: IntArray, n: int, table: FloatArray) -> list[_Chunk]:
        """Cut the rows into runs of whole centres of about ``_CHUNK_CELLS`` cylinders."""
        out: list[_Chunk] = []
        heads = np.flatnonzero(self.size == 1)
        budget = max(1, _CHUNK_CELLS // max(1, len(per_window)))
        h = 0
        while h < len(heads):
            r0 = int(heads[h])
            h += 1
            while h < len(heads) and heads[h] - r0 < budget:
                h += 1
            r1 = int(heads[h]) if h < len(heads) else self.rows
            seg = self.seg[r0:r1]
            starts = heads[(heads >= r0) & (heads < r1)] - r0
            # a running sum never exceeds N, nor falls below -N
            dtype: type[np.int32] | type[np.int64] = (
                np.int32 if n < np.iinfo(np.int32).max else np.int64
            )
            total = self.total[None, r0:r1]
            mu = (total * per_window[:, None]) / n
            alive = (mu > 0) & (mu < n) & self.zone[None, r0:r1]
            cmin: IntArray = np.where(alive, np.floor(mu) + 1, np.iinfo(dtype).max).astype(dtype)
            with np.errstate(divide="ignore", invalid="ignore"):
                delta = np.where(alive, np.log(mu / (n - mu)), 0.0)
                konst = np.where(alive, n * np.log1p(-mu / n), 0.0)
            out.append(
                _Chunk(
                    r0,
                    r1,
                    seg,
                    starts,
                    dtype,
                    cmin,
                    delta,
                    konst,
                    table,
                    total[0],
                    per_window,
                )
            )
        return out


# --- Reporting -------------------------------------------------------------------------------


def _clusters(
    zones: _Zones,
    row_best: FloatArray,
    row_window: IntArray,
    windows: IntArray,
    per_window: IntArray,
    loc: IntArray,
    offset: IntArray,
    kept: IntArray,
    end: int,
    maxima: FloatArray,
    settings: ScanSettings,
    centre_lat: FloatArray,
    centre_lon: FloatArray,
) -> tuple[Cluster, ...]:
    if zones.count == 0:
        return ()
    n = len(loc)
    # Each centre's best cylinder: the first row (smallest circle) reaching its maximum.
    # Rows that are not zones hold 0 and never come first when the maximum is positive.
    heads = np.flatnonzero(zones.size == 1)
    best = np.maximum.reduceat(row_best, heads)
    reaches = row_best == np.repeat(best, np.diff(np.r_[heads, zones.rows]))
    first = np.minimum.reduceat(np.where(reaches, np.arange(zones.rows), zones.rows), heads)
    alive = best > 0
    first, best = first[alive], best[alive]
    ranked = np.lexsort((zones.centre[first], -best))

    taken = np.zeros(int(loc.max()) + 1, dtype=bool)
    out: list[Cluster] = []
    for i in ranked:
        row = int(first[i])
        inside = zones.locations(row)
        if taken[inside].any():
            continue
        taken[inside] = True
        w = int(row_window[row])
        d = int(windows[w])
        expected = (int(zones.total[row]) * int(per_window[w])) / n
        in_zone = np.zeros(len(taken), dtype=bool)
        in_zone[inside] = True
        hit = in_zone[loc] & (offset < d)
        observed = int(hit.sum())
        if settings.replicates:
            rank = 1 + int(np.count_nonzero(maxima >= best[i]))
            p_value = rank / (settings.replicates + 1)
            recurrence = (settings.replicates + 1) / rank
        else:
            p_value = recurrence = math.nan
        centre = int(zones.centre[row])
        out.append(
            Cluster(
                centre=centre,
                lat=float(centre_lat[centre]),
                lon=float(centre_lon[centre]),
                radius_km=float(zones.radius[row]),
                start_day=end - d + 1,
                end_day=end,
                observed=observed,
                expected=expected,
                llr=log_likelihood_ratio(observed, expected, n),
                p_value=p_value,
                recurrence_days=recurrence,
                members=tuple(int(e) for e in kept[hit]),
            )
        )
        if len(out) == settings.max_clusters:
            break
    return tuple(out)
