"""Benchmark the indicator dashboard for a mission with 100,000 alerts.

Run: ``.venv/bin/python bench/indicators.py [--quick] [--out PATH] [--database sqlite|postgres|both]``
(default: both when PostgreSQL answers at 127.0.0.1:5432; ``--quick``: 5,000 alerts on
SQLite, for the test suite, never writing bench/results/).

What runs (each database in a child process with a fresh ``ULINZI_VAR_DIR``; PostgreSQL
gets a fresh database ``ulinzi_bench_indicators``, dropped at the end)
    ``migrate`` (which ships the standard set of 8 indicators); the bundled provinces,
    territories and GeoNames towns through the gazetteer importer; four bases with their
    territories (Beni: Beni, Oicha, Butembo, Lubero; Goma: Goma, Nyiragongo, Rutshuru,
    Masisi; Bunia: Irumu, Djugu; Bukavu: Bukavu, Kabare, Uvira) made with ``make_base``;
    one community at each town of the eastern provinces (Ituri, Nord-Kivu, Sud-Kivu),
    with a population of 2,000-80,000; an M&E officer (role ``me_officer``) who sees the
    whole mission and a duty officer scoped to the Beni base.

The data (seeded, over the 2 years up to the moment the benchmark runs, so the
dashboard's 12 months are full)
    N alerts written with ``Alert.objects.bulk_create``, not through the alert lifecycle
    (``receive_report``, ``close_alert``...: far too slow for 100,000 alerts, and this
    benchmark only reads them). Each alert: a town of the eastern provinces drawn with
    weight sqrt(population), its position with 3 km of Gaussian noise, the base whose
    territories hold the town (else the nearest base), a threat type from a skewed
    distribution (killing 22 %, armed clash 18 %, attack on civilians 14 %, abduction
    10 %, ... other 2 %), a severity (critical 10 %, high 30 %, medium 40 %, low 20 %),
    received uniformly over the 2 years. 97 % are closed (received within the last 3 days:
    40 %), the others open at a stage from received to on site. Closed outcomes:
    prevented 18 %, mitigated 30 %, response too late 14 %, no response possible 16 %,
    false alarm 14 %, duplicate 8 %. Timestamps: acknowledged after a lognormal delay
    (median 8 min), verified and responders notified after it; dispatched (prevented,
    mitigated, too late, and a third of false alarms) after a lognormal delay (median
    50 min, about 1 in 10 over 3 h); on site 20-180 min later; closed hours to days
    later; feedback sent to the reporters for 85 % of closed alerts, 1-48 h after closing.
    N / 20 events (a CSV written and loaded with ``import_events``, linked to the
    gazetteer as in production) around the same towns; N / 250 patrol requests (at least
    100) closed as done 55 %, partly done 20 %, not done 25 %, and N / 330 commitments
    (at least 60), kept 60 % (three quarters by their date), not kept 15 %, open 25 %,
    both bulk-created at the communities. No survey round: the two survey indicators
    show "no data yet" (their estimator is benchmarked by bench/surveys.py).

What is timed
    ``GET /indicators/`` (all 8 indicators over the last 12 months: middleware, session,
    scope, queries, template) through ``django.test.Client`` with ``force_login``, for
    the M&E officer (whole mission) and the duty officer (Beni only); each 3 times to
    warm up and then ``REPS`` times. ``p95_ms`` is the worse of the two 95th
    percentiles (the target: under 500 ms), ``p50_ms`` the worse median.
    ``engine_ms_median``: the 8 ``engine.compute`` calls alone, for the M&E officer.
    The first run missed the target (SQLite: M&E officer p50 2,714 ms, p95 3,355 ms;
    duty officer p95 1,446 ms): each alert count was its own query, filtered and grouped
    by month with per-row date functions, and the median delay parsed every timestamp
    in Python. The engine now gets every alert count from one grouped query per
    indicator and the delays in minutes from the database.

Baseline (same process, same database, same users)
    The naive way, what the response-figures page does: load the user's alerts into
    Python with ``ulinzi.alerts.queries.alert_times`` (every alert of the user, as that
    page has no date window), keep those received in the dashboard's 12 months,
    ``summarise`` them by month, and count the engine's measures (genuine, closed,
    addressed, with feedback, median minutes to dispatch) from the same rows. The share
    addressed, the share with feedback and the median minutes to dispatch of every month
    are checked equal (to the dashboard's rounding) to the engine's, for both users.
    ``summarise`` uses other denominators (its share addressed is over every genuine alert,
    open ones included), so its shares are timed but not compared.
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
from collections import defaultdict
from pathlib import Path
from typing import Any

import _children as children
from _results import header, write_result

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "ulinzi_bench_indicators"
SEED = 23
DAYS = 730
EAST = ("CD54", "CD61", "CD62")  # Ituri, Nord-Kivu, Sud-Kivu
BASES = [
    ("beni", "Beni", ["CD6109", "CD6107", "CD6110", "CD6105"], 0.49, 29.47),
    ("goma", "Goma", ["CD6101", "CD6102", "CD6111", "CD6103"], -1.68, 29.22),
    ("bunia", "Bunia", ["CD5402", "CD5405"], 1.56, 30.25),
    ("bukavu", "Bukavu", ["CD6201", "CD6202", "CD6208"], -2.51, 28.86),
]
TYPES = [
    ("killing", 22),
    ("armed_clash", 18),
    ("attack_on_civilians", 14),
    ("abduction", 10),
    ("looting_extortion", 8),
    ("arson_destruction", 6),
    ("armed_presence", 6),
    ("threat_intimidation", 5),
    ("sexual_violence", 3),
    ("displacement", 3),
    ("child_recruitment", 3),
    ("other", 2),
]
SEVERITIES = [("critical", 10), ("high", 30), ("medium", 40), ("low", 20)]
OUTCOMES = [
    ("prevented", 18),
    ("mitigated", 30),
    ("response_too_late", 14),
    ("no_response_possible", 16),
    ("false_alarm", 14),
    ("duplicate", 8),
]
OPEN_STATUSES = ["received", "acknowledged", "verified", "responders_notified", "dispatched"]
OPEN_STATUSES += ["on_site"]
DISPATCHED = {"prevented", "mitigated", "response_too_late"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights)[0]


def make_alerts(
    n: int, towns: list[dict[str, Any]], base_of: dict[str, Any], now: dt.datetime
) -> list[Any]:
    from ulinzi.alerts.models import Alert

    rng = random.Random(SEED)
    weights = [math.sqrt(max(t["population"], 1000)) for t in towns]
    bases = list({b.pk: b for b in base_of.values()}.values())
    start = now - dt.timedelta(days=DAYS)
    minutes = dt.timedelta(minutes=1)
    alerts = []
    for i in range(n):
        town = rng.choices(towns, weights)[0]
        base = base_of.get(town["territory"]) or min(
            bases, key=lambda b: (b.lat - town["lat"]) ** 2 + (b.lon - town["lon"]) ** 2
        )
        received = start + dt.timedelta(seconds=rng.randrange(DAYS * 86400 - 3600))
        recent = received > now - dt.timedelta(days=3)
        closed = rng.random() >= (0.4 if recent else 0.02)
        outcome = pick(rng, OUTCOMES) if closed else ""
        status = "closed" if closed else rng.choice(OPEN_STATUSES)
        stage = 9 if closed else OPEN_STATUSES.index(status)
        alert = Alert(
            status=status,
            outcome=outcome,
            threat_type=pick(rng, TYPES),
            severity=pick(rng, SEVERITIES),
            language=rng.choice(["sw", "fr", "sw", "ln"]),
            summary=f"synthetic alert {i}",
            place_id=town["pk"],
            lat=round(town["lat"] + rng.gauss(0, 3 / 111), 5),
            lon=round(town["lon"] + rng.gauss(0, 3 / 111), 5),
            base=base,
            routing_reason="area of the base",
            received_at=received,
        )
        if stage >= 1:
            alert.acknowledged_at = received + rng.lognormvariate(math.log(8), 0.8) * minutes
        if stage >= 2:
            alert.verified_at = alert.acknowledged_at + rng.uniform(5, 40) * minutes
        if stage >= 3:
            alert.notified_at = alert.verified_at + rng.uniform(1, 10) * minutes
        if closed:
            dispatched = outcome in DISPATCHED or (
                outcome == "false_alarm" and rng.random() < 1 / 3
            )
        else:
            dispatched = stage >= 4
        if dispatched:
            alert.dispatched_at = received + rng.lognormvariate(math.log(50), 0.9) * minutes
            if closed or stage >= 5:
                alert.on_site_at = alert.dispatched_at + rng.uniform(20, 180) * minutes
        if closed:
            last = alert.on_site_at or alert.notified_at or alert.acknowledged_at or received
            alert.closed_at = last + rng.uniform(60, 4 * 24 * 60) * minutes
            if rng.random() < 0.85:
                alert.feedback_sent_at = alert.closed_at + rng.uniform(60, 48 * 60) * minutes
        alerts.append(alert)
    return alerts


def write_events(path: Path, n: int, towns: list[dict[str, Any]], today: dt.date) -> None:
    rng = random.Random(SEED + 1)
    weights = [math.sqrt(max(t["population"], 1000)) for t in towns]
    lines = ["id,date,lat,lon,type,fatalities,place"]
    for i in range(n):
        town = rng.choices(towns, weights)[0]
        lat = town["lat"] + rng.gauss(0, 8 / 111)
        lon = town["lon"] + rng.gauss(0, 8 / 111)
        day = today - dt.timedelta(days=rng.randrange(DAYS))
        dead = 0 if rng.random() < 0.55 else 1 + int(rng.expovariate(0.4))
        lines.append(f"i{i},{day},{lat:.5f},{lon:.5f},{pick(rng, TYPES)},{dead},")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_patrol_requests(n: int, communities: list[Any], now: dt.datetime) -> list[Any]:
    from ulinzi.patrols.models import PatrolRequest

    rng = random.Random(SEED + 2)
    kinds = [k for k, _ in PatrolRequest.Kind.choices]
    rows = []
    for i in range(n):
        community = rng.choice(communities)
        received = now - dt.timedelta(days=rng.randrange(30, DAYS), hours=rng.randrange(24))
        closed = min(received + dt.timedelta(days=rng.randrange(7, 90)), now)
        outcome = pick(rng, [("done", 55), ("partly_done", 20), ("not_done", 25)])
        rows.append(
            PatrolRequest(
                community=community,
                group=f"group {i % 40}",
                kind=rng.choice(kinds),
                place_id=community.place_id,
                weekdays=sorted(rng.sample(range(7), rng.randint(1, 4))),
                shift=rng.choice(["day", "night"]),
                start_time=dt.time(18) if rng.random() < 0.5 else dt.time(6),
                end_time=dt.time(23) if rng.random() < 0.5 else dt.time(11),
                valid_from=received.date(),
                valid_until=received.date() + dt.timedelta(days=60),
                per_week=rng.randint(1, 5),
                priority=rng.randint(1, 5),
                beneficiaries=rng.randrange(100, 5000),
                status=outcome,
                outcome=outcome,
                received_at=received,
                accepted_at=received + dt.timedelta(days=1),
                scheduled_at=received + dt.timedelta(days=2),
                closed_at=closed,
            )
        )
    return rows


def make_commitments(n: int, communities: list[Any], owner: Any, today: dt.date) -> list[Any]:
    from django.utils import timezone

    from ulinzi.engagement.models import Commitment

    rng = random.Random(SEED + 3)
    rows = []
    for i in range(n):
        due = today - dt.timedelta(days=rng.randrange(-60, DAYS))
        status = pick(rng, [("kept", 60), ("not_kept", 15), ("open", 25)])
        closed_at = None
        if status != "open":
            on_time = status == "kept" and rng.random() < 0.75
            shift = -rng.randrange(0, 10) if on_time else rng.randrange(1, 30)
            day = due + dt.timedelta(days=shift)
            closed_at = timezone.make_aware(dt.datetime.combine(day, dt.time(14)))
        rows.append(
            Commitment(
                community=rng.choice(communities),
                owner=owner,
                what=f"synthetic commitment {i}",
                due=due,
                status=status,
                closed_at=closed_at,
                closing_note="done" if status == "kept" else "",
            )
        )
    return rows


def naive_alert_figures(user: Any, months: list[str]) -> dict[str, dict[str, float | None]]:
    """What the response-figures page does, kept to the dashboard's months, plus the
    engine's measures counted from the same rows."""
    from ulinzi.alerts.figures import summarise
    from ulinzi.alerts.queries import alert_times
    from ulinzi.indicators.engine import ADDRESSED, NOT_GENUINE

    wanted = set(months)
    rows = [a for a in alert_times(user) if a.month in wanted]
    summarise(rows, by=("month",))
    closed: dict[str, int] = defaultdict(int)
    addressed: dict[str, int] = defaultdict(int)
    feedback: dict[str, int] = defaultdict(int)
    dispatch: dict[str, list[float]] = defaultdict(list)
    for a in rows:
        if a.outcome in NOT_GENUINE:
            continue
        if a.dispatched_at is not None:
            dispatch[a.month].append((a.dispatched_at - a.received_at).total_seconds() / 60)
        if a.status == "closed":
            closed[a.month] += 1
            addressed[a.month] += a.outcome in ADDRESSED
            feedback[a.month] += a.feedback_sent_at is not None
    return {
        "alerts-addressed": {
            m: round(addressed[m] / closed[m] * 100, 2) if closed[m] else None for m in months
        },
        "alerts-feedback": {
            m: round(feedback[m] / closed[m] * 100, 2) if closed[m] else None for m in months
        },
        "minutes-to-respond": {
            m: round(statistics.median(dispatch[m]), 1) if dispatch[m] else None for m in months
        },
    }


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ulinzi.settings")
    import django

    django.setup()


def populate(n: int) -> tuple[Any, Any, float]:
    """Migrate and write the data of the docstring: (M&E officer, duty officer,
    seconds the alerts' bulk_create took)."""
    from django.core.management import call_command
    from django.utils import timezone

    from ulinzi.alerts.models import Alert
    from ulinzi.engagement.models import Commitment
    from ulinzi.patrols.models import PatrolRequest
    from ulinzi.places import domain as places
    from ulinzi.places.gazetteer import BUNDLED_DIR
    from ulinzi.places.models import Place
    from ulinzi.test import make_base, make_user
    from ulinzi.threats.domain import import_events

    call_command("migrate", verbosity=0)
    for name, fmt in (
        ("cod_adm1_provinces.geojson.gz", "geojson"),
        ("cod_adm2_territoires.geojson.gz", "geojson"),
        ("geonames_cd_towns.tsv.gz", "geonames"),
    ):
        places.import_gazetteer(BUNDLED_DIR / name, fmt, actor="bench", country="CD")
    towns = [
        {"pk": pk, "name": nm, "lat": la, "lon": lo, "population": p or 0, "territory": t}
        for pk, nm, la, lo, p, t, prov in Place.objects.filter(
            kind="town", lat__isnull=False
        ).values_list(
            "pk", "name", "lat", "lon", "population", "territory__pcode", "province__pcode"
        )
        if (prov or "").startswith(EAST)
    ]
    assert len(towns) >= 10, len(towns)
    bases, base_of = [], {}
    for code, name, pcodes, lat, lon in BASES:
        bases.append(make_base(code, name, pcodes, lat=lat, lon=lon))
        base_of.update(dict.fromkeys(pcodes, bases[-1]))
    rng = random.Random(SEED + 4)
    communities = [
        places.save_community(
            actor="bench",
            name=f"{t['name']} centre",
            place=Place.objects.get(pk=t["pk"]),
            population=rng.randrange(2_000, 80_000),
            languages=["sw", "fr"],
        )
        for t in towns
    ]
    me = make_user("meo", "me_officer", whole_mission=True)
    duty = make_user("duty", "duty_officer", bases=[bases[0]])
    now = timezone.now()
    today = timezone.localdate()

    began = time.perf_counter()
    Alert.objects.bulk_create(make_alerts(n, towns, base_of, now), batch_size=2000)
    alerts_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "events.csv"
        write_events(csv_path, n // 20, towns, today)
        imported = import_events(csv_path, "csv", source="bench")
    assert imported.created == n // 20, imported.summary()
    PatrolRequest.objects.bulk_create(
        make_patrol_requests(max(100, n // 250), communities, now), batch_size=1000
    )
    Commitment.objects.bulk_create(
        make_commitments(max(60, n // 330), communities, me, today), batch_size=1000
    )

    return me, duty, alerts_s


def child(n: int, reps: int) -> dict[str, Any]:
    """Runs inside a child process whose environment names the database."""
    setup_django()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from ulinzi.alerts.models import Alert
    from ulinzi.engagement.models import Commitment
    from ulinzi.indicators import engine
    from ulinzi.indicators.models import Indicator
    from ulinzi.indicators.views import last_months
    from ulinzi.patrols.models import PatrolRequest
    from ulinzi.places.models import Community
    from ulinzi.threats.models import Event

    setup_test_environment()
    me, duty, alerts_s = populate(n)
    today = timezone.localdate()
    clients = {}
    for key, user in (("me_officer", me), ("duty_officer", duty)):
        client = Client()
        client.force_login(user)
        clients[key] = client
    timings: dict[str, list[float]] = {}
    for key, client in clients.items():
        for _ in range(3):
            response = client.get("/indicators/")
            assert response.status_code == 200, (key, response.status_code)
        samples = []
        for _ in range(reps):
            began = time.perf_counter()
            response = client.get("/indicators/")
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        timings[key] = samples

    months = last_months(today)
    indicators = list(Indicator.objects.filter(active=True))
    engine_ms = []
    for _ in range(max(5, reps // 3)):
        began = time.perf_counter()
        for indicator in indicators:
            engine.compute(indicator, me, months)
        engine_ms.append((time.perf_counter() - began) * 1000)

    # The naive baseline, checked against the engine for both users.
    naive_ms: dict[str, list[float]] = {}
    mismatches = []
    checked = 0
    for key, user in (("me_officer", me), ("duty_officer", duty)):
        user = type(user).objects.get(pk=user.pk)  # no cached scope
        naive_ms[key] = []
        for _ in range(max(3, reps // 8)):
            began = time.perf_counter()
            naive = naive_alert_figures(user, months)
            naive_ms[key].append((time.perf_counter() - began) * 1000)
        for code, expected in naive.items():
            got = engine.compute(Indicator.objects.get(code=code), user, months)
            for value in got:
                checked += 1
                want = expected[value.period]
                if not (
                    (want is None and value.value is None)
                    or (
                        want is not None
                        and value.value is not None
                        and abs(want - value.value) < 0.011
                    )
                ):
                    mismatches.append((key, code, value.period, value.value, want))
    assert not mismatches, mismatches[:10]

    window_from = dt.date(int(months[0][:4]), int(months[0][5:]), 1)
    window = Alert.objects.filter(received_at__date__gte=window_from)
    scoped = engine.scoped_alerts(duty).filter(received_at__date__gte=window_from)
    return {
        "alerts": Alert.objects.count(),
        "window_alerts": window.count(),
        "window_alerts_duty_officer": scoped.count(),
        "closed_share": round(Alert.objects.filter(status="closed").count() / n, 3),
        "events": Event.objects.count(),
        "patrol_requests": PatrolRequest.objects.count(),
        "commitments": Commitment.objects.count(),
        "communities": Community.objects.count(),
        "bulk_create_alerts_per_s": round(n / alerts_s, 1),
        "views": {
            k: {
                "p50_ms": round(statistics.median(v), 1),
                "p95_ms": round(percentile(v, 0.95), 1),
            }
            for k, v in timings.items()
        },
        "p95_ms": round(max(percentile(v, 0.95) for v in timings.values()), 1),
        "p50_ms": round(max(statistics.median(v) for v in timings.values()), 1),
        "engine_ms_median": round(statistics.median(engine_ms), 1),
        "naive_ms_median": {k: round(statistics.median(v), 1) for k, v in naive_ms.items()},
        "values_checked": checked,
        "mismatches": len(mismatches),
    }


def main() -> int:
    ran = children.runs_per_database(__file__, child, PG_DB, __doc__.splitlines()[0])
    if ran is None:
        return 0
    args, n, reps, runs = ran
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {
        "name": (
            "naive: alert_times (every alert of the user into Python), the window's rows "
            "summarised by month and the engine's alert measures counted in Python"
        )
    }
    targets: dict[str, Any] = {}
    for db, run in runs.items():
        for key in (
            "alerts",
            "window_alerts",
            "window_alerts_duty_officer",
            "closed_share",
            "events",
            "patrol_requests",
            "commitments",
            "communities",
            "bulk_create_alerts_per_s",
            "p95_ms",
            "p50_ms",
            "engine_ms_median",
            "views",
            "values_checked",
        ):
            figures[f"{db}_{key}"] = run[key]
        for who, ms in run["naive_ms_median"].items():
            baseline[f"{db}_{who}_naive_ms_median"] = ms
        baseline[f"{db}_agrees_with_engine"] = run["mismatches"] == 0
        targets[f"{db}_p95_ms"] = {
            "value": run["p95_ms"],
            "goal": "< 500",
            "met": run["p95_ms"] < 500,
        }
    result = {
        **header("indicators", " and ".join("postgresql" if d == "postgres" else d for d in runs)),
        "data": (
            f"{n:,} synthetic alerts (seeded, bulk-created) over the last 2 years around the "
            f"bundled GeoNames towns of Ituri, Nord-Kivu and Sud-Kivu, {n // 20:,} events "
            "imported through import_events, closed patrol requests and commitments at the "
            f"towns' communities, 4 bases; {reps} timed requests of /indicators/ per user "
            "after 3 warm-ups" + (" (quick subset)" if args.quick else "")
        ),
        "figures": figures,
        "baseline": baseline,
        "targets": targets,
    }
    out = write_result("indicators", result, args.out, args.quick)
    summary = ", ".join(
        f"{db} p95 {run['p95_ms']} ms (naive {run['naive_ms_median']['me_officer']} ms)"
        for db, run in runs.items()
    )
    print(f"indicators: {n:,} alerts, {summary} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
