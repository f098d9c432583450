"""Benchmark the reporting matrix with 100,000 events: its page and its API.

Run: ``.venv/bin/python bench/matrix.py [--quick] [--out PATH] [--database sqlite|postgres|both]``
(default: both when PostgreSQL answers at 127.0.0.1:5432; ``--quick``: 5,000 events on
SQLite, for the test suite, never writing bench/results/).

What runs (each database in a child process with a fresh ``ULINZI_VAR_DIR``; PostgreSQL
gets a fresh database ``ulinzi_bench_matrix``, dropped at the end)
    ``migrate``; the bundled provinces, territories and GeoNames towns through the
    gazetteer importer; a simple events CSV of N events written and loaded with
    ``import_events`` (so every event is linked to its nearest town, province,
    territory and grid cell exactly as in production; ``import_events_per_s``); one
    analyst who sees the whole mission and one duty officer scoped to a base with two
    territories.

The events (seeded)
    N events over 2019-01-01..2024-12-31 around the 118 bundled GeoNames towns of the
    eastern provinces and beyond (each event: a town drawn with weight sqrt(population),
    then Gaussian noise of 8 km), threat types drawn from a skewed distribution (killing
    25 %, armed clash 20 %, attack on civilians 15 %, abduction 10 %, ... other 2 %),
    fatalities 0 for 55 % of events, else 1 + a geometric count.

What is timed
    The full Django request (middleware, session, scope, query, layout, template or
    JSON) through ``django.test.Client`` in this process, for seven matrix views:
    the page by default (territory x month, the 12 months up to the latest event), by
    province x quarter over the six years, by territory x week, by community x month,
    filtered by threat type, the scoped duty officer's default page, and
    ``GET /api/v1/threats/matrix``. Each is requested 3 times to warm up and then
    ``REPS`` times; ``p95_ms`` is the worst of the seven 95th percentiles (the target:
    under 300 ms), ``p50_ms`` the median of the seven medians.

Baseline (same process, same database, same filters)
    The naive way to build the same matrix: fetch every event of the window
    (``values_list`` of area, threat type, date and fatalities) and count in Python,
    then the same layout - what a page that loads its events would cost. Its answer
    is checked equal to the fast one's.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _children as children
from _results import header, write_result

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "ulinzi_bench_matrix"
SEED = 11
TYPES = [
    ("killing", 25),
    ("armed_clash", 20),
    ("attack_on_civilians", 15),
    ("abduction", 10),
    ("looting_extortion", 8),
    ("arson_destruction", 6),
    ("armed_presence", 5),
    ("sexual_violence", 3),
    ("displacement", 3),
    ("threat_intimidation", 3),
    ("other", 2),
]


def generate(path: Path, n: int, towns: list[tuple[float, float, int]]) -> None:
    rng = random.Random(SEED)
    weights = [math.sqrt(max(p, 1000)) for _, _, p in towns]
    names, type_weights = zip(*TYPES, strict=True)
    start = dt.date(2019, 1, 1)
    days = (dt.date(2024, 12, 31) - start).days + 1
    lines = ["id,date,lat,lon,type,fatalities,place"]
    for i in range(n):
        lat, lon, _ = rng.choices(towns, weights)[0]
        lat += rng.gauss(0, 8 / 111)
        lon += rng.gauss(0, 8 / 111)
        day = start + dt.timedelta(days=rng.randrange(days))
        dead = 0 if rng.random() < 0.55 else 1 + int(rng.expovariate(0.4))
        kind = rng.choices(names, type_weights)[0]
        lines.append(f"b{i},{day},{lat:.5f},{lon:.5f},{kind},{dead},")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def child(n: int, reps: int) -> dict[str, Any]:
    """Runs inside a child process whose environment names the database."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ulinzi.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from ulinzi.places import domain as places
    from ulinzi.places.gazetteer import BUNDLED_DIR
    from ulinzi.places.models import Place
    from ulinzi.test import make_base, make_user
    from ulinzi.threats import queries
    from ulinzi.threats.domain import import_events
    from ulinzi.threats.matrix import build
    from ulinzi.threats.models import Event

    setup_test_environment()
    call_command("migrate", verbosity=0)
    for name, fmt in (
        ("cod_adm1_provinces.geojson.gz", "geojson"),
        ("cod_adm2_territoires.geojson.gz", "geojson"),
        ("geonames_cd_towns.tsv.gz", "geonames"),
    ):
        places.import_gazetteer(BUNDLED_DIR / name, fmt, actor="bench", country="CD")
    towns = list(
        Place.objects.filter(kind="town", lat__isnull=False).values_list("lat", "lon", "population")
    )
    towns = [(la, lo, p or 0) for la, lo, p in towns]
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "events.csv"
        generate(csv_path, n, towns)
        began = time.perf_counter()
        imported = import_events(csv_path, "csv", source="bench")
        import_s = time.perf_counter() - began
    assert imported.created == n, imported.summary()
    base = make_base("beni", "Beni", ["CD6109", "CD6107"])
    analyst = make_user("analyst", "analyst", whole_mission=True)
    officer = make_user("officer", "duty_officer", bases=[base])
    clients = {}
    for user in (analyst, officer):
        client = Client()
        client.force_login(user)
        clients[user.username] = client
    from ulinzi.accounts.domain import issue_api_token

    raw = issue_api_token(actor="bench", user=analyst)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    views = {
        "page_territory_month": (clients["analyst"], "/threats/", {}),
        "page_province_quarter_6y": (
            clients["analyst"],
            "/threats/",
            {"level": "province", "period": "quarter", "date_from": "2019-01-01"},
        ),
        "page_territory_week": (clients["analyst"], "/threats/", {"period": "week"}),
        "page_community_month": (clients["analyst"], "/threats/", {"level": "community"}),
        "page_killing_only": (clients["analyst"], "/threats/", {"threat_type": "killing"}),
        "page_scoped_officer": (clients["officer"], "/threats/", {}),
        "api_territory_month": (api, "/api/v1/threats/matrix", {}),
    }
    timings: dict[str, list[float]] = {}
    for name, (client, url, params) in views.items():
        for _ in range(3):
            response = client.get(url, params)
            assert response.status_code == 200, (name, response.status_code)
        samples = []
        for _ in range(reps):
            began = time.perf_counter()
            response = client.get(url, params)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        timings[name] = samples

    # The naive baseline: fetch the window's events and count them in Python.
    filters = queries.Filters()
    fast, first, last = queries.build_matrix(analyst, filters)
    naive_ms = []
    for _ in range(max(5, reps // 3)):
        began = time.perf_counter()
        counts: dict[tuple[Any, str, dt.date], list[int]] = {}
        for area, kind, month, dead in Event.objects.filter(
            date_start__gte=first, date_start__lte=last
        ).values_list("territory_id", "threat_type", "month", "fatalities"):
            cell = counts.setdefault((area, kind, month), [0, 0])
            cell[0] += 1
            cell[1] += dead
        names = dict(Place.objects.filter(kind="territory").values_list("pk", "name"))
        naive = build(
            ((a, t, d, c[0], c[1]) for (a, t, d), c in counts.items()),
            level="territory",
            period="month",
            first=first,
            last=last,
            names=names,
        )
        naive_ms.append((time.perf_counter() - began) * 1000)
    assert naive.events == fast.events and naive.column_events == fast.column_events
    fast_ms = []
    for _ in range(max(5, reps // 3)):
        began = time.perf_counter()
        queries.build_matrix(analyst, filters)
        fast_ms.append((time.perf_counter() - began) * 1000)
    return {
        "events": Event.objects.count(),
        "import_events_per_s": round(n / import_s, 1),
        "window_events": fast.events,
        "views": {
            k: {
                "p50_ms": round(statistics.median(v), 1),
                "p95_ms": round(percentile(v, 0.95), 1),
            }
            for k, v in timings.items()
        },
        "p95_ms": round(max(percentile(v, 0.95) for v in timings.values()), 1),
        "p50_ms": round(statistics.median(statistics.median(v) for v in timings.values()), 1),
        "query_and_layout_ms_median": round(statistics.median(fast_ms), 1),
        "naive_ms_median": round(statistics.median(naive_ms), 1),
    }


def main() -> int:
    ran = children.runs_per_database(__file__, child, PG_DB, __doc__.splitlines()[0])
    if ran is None:
        return 0
    args, n, reps, runs = ran
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {
        "name": "naive: fetch the window's events and count them in Python, same layout"
    }
    targets: dict[str, Any] = {}
    for db, run in runs.items():
        figures[f"{db}_events"] = run["events"]
        figures[f"{db}_p95_ms"] = run["p95_ms"]
        figures[f"{db}_p50_ms"] = run["p50_ms"]
        figures[f"{db}_query_and_layout_ms_median"] = run["query_and_layout_ms_median"]
        figures[f"{db}_import_events_per_s"] = run["import_events_per_s"]
        figures[f"{db}_window_events"] = run["window_events"]
        figures[f"{db}_views"] = run["views"]
        baseline[f"{db}_naive_ms_median"] = run["naive_ms_median"]
        targets[f"{db}_p95_ms"] = {
            "value": run["p95_ms"],
            "goal": "< 300",
            "met": run["p95_ms"] < 300,
        }
    result = {
        **header("matrix", " and ".join("postgresql" if d == "postgres" else d for d in runs)),
        "data": (
            f"{n:,} synthetic events (seeded) around the bundled GeoNames towns over "
            "2019-2024, imported through import_events and linked to the bundled COD-AB "
            f"provinces and territories; {reps} timed requests per view after 3 warm-ups"
            + (" (quick subset)" if args.quick else "")
        ),
        "figures": figures,
        "baseline": baseline,
        "targets": targets,
    }
    out = write_result("matrix", result, args.out, args.quick)
    summary = ", ".join(
        f"{db} p95 {run['p95_ms']} ms (naive count {run['naive_ms_median']} ms)"
        for db, run in runs.items()
    )
    print(f"matrix: {n:,} events, {summary} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
