"""The straightforward space-time permutation scan that ``ulinzi.threats.scan`` must agree with.

Plain loops over centres, circles and time windows; every count is
recomputed by scanning all events (a boolean mask over the events per circle,
one per window, and a ``count_nonzero`` per cylinder): no cumulative sums, no
precomputed LLR terms. Same definitions as the module's docstring: same
locations (sorted by latitude, then longitude), same circles (ties within
``TIE_KM`` enter together, radius and share caps), same windows, same
direct LLR formula, same tie-breaking (first maximum in centre, circle, window
order), same secondary-cluster rule, and the same random draws
(``numpy.random.default_rng(seed)``, one ``rng.permutation(N)`` per replicate,
event i taking the day of event ``perm[i]``), so the p-values are identical.

It only shares the result classes with the module. The leading underscore
keeps ``make bench`` from running it as a benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ulinzi.threats.scan import (
    EARTH_RADIUS_KM,
    TIE_KM,
    Cluster,
    ScanResult,
    ScanSettings,
)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def llr(c: int, mu: float, n: int) -> float:
    if c <= mu:
        return 0.0
    value = c * math.log(c / mu)
    if n > c:
        value += (n - c) * math.log((n - c) / (n - mu))
    return value


def reference_scan(
    lat: Sequence[float] | np.ndarray,
    lon: Sequence[float] | np.ndarray,
    day: Sequence[int] | np.ndarray,
    *,
    end_day: int,
    start_day: int | None = None,
    settings: ScanSettings,
    centres_lat: Sequence[float] | np.ndarray | None = None,
    centres_lon: Sequence[float] | np.ndarray | None = None,
) -> ScanResult:
    kept = [
        i
        for i in range(len(day))
        if day[i] <= end_day and (start_day is None or day[i] >= start_day)
    ]
    n = len(kept)
    first = start_day if start_day is not None else min((day[i] for i in kept), default=end_day)
    places = sorted({(float(lat[i]), float(lon[i])) for i in kept})
    where = {p: j for j, p in enumerate(places)}
    ev_loc = np.array([where[(float(lat[i]), float(lon[i]))] for i in kept], dtype=int)
    ev_day = np.array([int(day[i]) for i in kept], dtype=int)
    if centres_lat is None or centres_lon is None:
        centres = places
    else:
        centres = [(float(a), float(b)) for a, b in zip(centres_lat, centres_lon, strict=True)]
    max_days = min(settings.max_days, end_day - first + 1)
    windows = list(range(settings.min_days, max_days + 1))
    if n == 0 or not windows:
        return ScanResult(
            (), first, end_day, n, len(places), len(centres), 0, 0, settings.replicates, ()
        )

    # Zones: (centre, locations inside, radius, mask of the events inside, N_z).
    zones: list[tuple[int, list[int], float, np.ndarray, int]] = []
    for ci, (clat, clon) in enumerate(centres):
        dist = [distance_km(clat, clon, plat, plon) for plat, plon in places]
        order = sorted(range(len(places)), key=lambda j: dist[j])
        for k in range(1, len(places) + 1):
            radius = dist[order[k - 1]]
            if radius > settings.max_radius_km + TIE_KM:
                break
            if k < len(places) and dist[order[k]] - radius <= TIE_KM:
                continue  # the next location is as far: not a circle
            inside = order[:k]
            mask = np.isin(ev_loc, inside)
            total = int(np.count_nonzero(mask))
            if total > settings.max_share * n:
                break
            zones.append((ci, inside, radius, mask, total))

    def evaluate(days: np.ndarray) -> list[tuple[float, int, int, int, float]]:
        """Per zone: best (llr, window length, observed, N_z, expected), first maximum."""
        in_window = [days >= end_day - d + 1 for d in windows]
        per_window = [int(np.count_nonzero(w)) for w in in_window]
        out = []
        for _, _, _, mask, total in zones:
            best = (0.0, windows[0], 0, total, 0.0)
            for w, d in enumerate(windows):
                c = int(np.count_nonzero(mask & in_window[w]))
                mu = (total * per_window[w]) / n
                value = llr(c, mu, n)
                if value > best[0]:
                    best = (value, d, c, total, mu)
            out.append(best)
        return out

    observed = evaluate(ev_day)
    rng = np.random.default_rng(settings.seed)
    maxima: list[float] = []
    for _ in range(settings.replicates):
        perm = rng.permutation(n)
        maxima.append(max((b[0] for b in evaluate(ev_day[perm])), default=0.0))

    # Each centre's best cylinder (first maximum), ranked by LLR then centre index.
    per_centre: dict[int, int] = {}
    for z, (ci, *_rest) in enumerate(zones):
        if ci not in per_centre or observed[z][0] > observed[per_centre[ci]][0]:
            per_centre[ci] = z
    candidates = sorted(
        ((observed[z][0], ci, z) for ci, z in per_centre.items() if observed[z][0] > 0),
        key=lambda t: (-t[0], t[1]),
    )
    taken: set[int] = set()
    clusters: list[Cluster] = []
    for value, ci, z in candidates:
        inside = zones[z][1]
        if taken & set(inside):
            continue
        taken |= set(inside)
        _, d, c, _, mu = observed[z]
        if settings.replicates:
            rank = 1 + sum(1 for m in maxima if m >= value)
            p_value = rank / (settings.replicates + 1)
            recurrence = (settings.replicates + 1) / rank
        else:
            p_value = recurrence = math.nan
        members = tuple(
            kept[e] for e in range(n) if ev_loc[e] in inside and ev_day[e] >= end_day - d + 1
        )
        clusters.append(
            Cluster(
                centre=ci,
                lat=centres[ci][0],
                lon=centres[ci][1],
                radius_km=zones[z][2],
                start_day=end_day - d + 1,
                end_day=end_day,
                observed=c,
                expected=mu,
                llr=value,
                p_value=p_value,
                recurrence_days=recurrence,
                members=members,
            )
        )
        if len(clusters) == settings.max_clusters:
            break
    return ScanResult(
        clusters=tuple(clusters),
        start_day=first,
        end_day=end_day,
        events=n,
        locations=len(places),
        centres=len(centres),
        zones=len(zones),
        windows=len(windows),
        replicates=settings.replicates,
        replicate_max_llr=tuple(maxima),
    )
