"""Synthetic demonstration events for ``make demo`` (source ``demo-synthetic``).

The real event data this project is tested on may not be redistributed with it, so
the demo makes up three years of events at the real settlements of seven eastern
territories, clearly labelled as synthetic: each territory has its own level of
violence that drifts from month to month (so that the past predicts the future, as
it does in real data), with more events in the dry seasons, and one village has a
burst of attacks in the last three weeks (so that the hotspot page has something to
find). The same day gives the same events; keys are ``demo-synthetic:<n>``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
from pathlib import Path

from ulinzi.places.models import Place
from ulinzi.threats.domain import ImportResult, import_events

SOURCE = "demo-synthetic"
SEED = 2024
# Territory name -> typical fatal and non-fatal events a month.
LEVELS = {
    "Beni": 14.0,
    "Oïcha": 6.0,
    "Lubero": 5.0,
    "Rutshuru": 8.0,
    "Masisi": 6.0,
    "Djugu": 10.0,
    "Irumu": 7.0,
}
TYPES = [
    ("killing", 30),
    ("attack_on_civilians", 20),
    ("abduction", 14),
    ("armed_clash", 12),
    ("looting_extortion", 10),
    ("arson_destruction", 6),
    ("armed_presence", 5),
    ("displacement", 3),
]
DRY_MONTHS = {1, 2, 6, 7, 8}


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def demo_rows(today: dt.date) -> list[str]:
    rng = random.Random(SEED)
    villages: dict[str, list[tuple[float, float, str]]] = {}
    for name in LEVELS:
        rows = list(
            Place.objects.filter(
                territory__name=name, kind__in=["village", "town"], lat__isnull=False
            )
            .order_by("key")
            .values_list("lat", "lon", "name")[:400]
        )
        if rows:
            villages[name] = rows
    lines = ["id,date,lat,lon,type,fatalities,place"]
    if not villages:
        return lines
    kinds, weights = zip(*TYPES, strict=True)
    first = dt.date(today.year - 3, today.month, 1)
    n = 0
    for territory, spots in villages.items():
        level = LEVELS[territory]
        month = first
        while month <= today:
            level = max(0.5, level * math.exp(rng.gauss(0, 0.25)))
            mean = level * (1.4 if month.month in DRY_MONTHS else 0.8)
            nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
            days = (min(nxt, today + dt.timedelta(days=1)) - month).days
            for _ in range(_poisson(rng, mean * days / 30)):
                lat, lon, name = rng.choice(spots[: max(20, len(spots) // 3)])
                day = month + dt.timedelta(days=rng.randrange(days))
                dead = 0 if rng.random() < 0.4 else 1 + int(rng.expovariate(0.35))
                kind = rng.choices(kinds, weights)[0]
                lines.append(f"{n},{day},{lat},{lon},{kind},{dead},{name}")
                n += 1
            month = nxt
    # A burst at one village of the first territory, in the last three weeks.
    lat, lon, name = next(iter(villages.values()))[7]
    for _ in range(12):
        day = today - dt.timedelta(days=rng.randrange(21))
        lines.append(f"{n},{day},{lat},{lon},attack_on_civilians,{rng.randrange(0, 4)},{name}")
        n += 1
    return lines


def load_demo_events(today: dt.date | None = None) -> ImportResult:
    lines = demo_rows(today or dt.date.today())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-events.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return import_events(path, "csv", source=SOURCE, actor="demo setup")
