"""The index of open alerts a process keeps between reports (``alerts.live``): it gives
the same centres as the plain index, is loaded once and then kept, is loaded again after
every change that grouping reads, and intake groups simultaneous reports one at a time."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from ulinzi.alerts import domain, live
from ulinzi.alerts.grouping import AlertIndex, ReportFacts, Thresholds
from ulinzi.alerts.models import Alert, Report
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Channel


def test_centres_are_those_of_the_plain_index() -> None:
    rng = random.Random(4)
    thresholds = Thresholds()
    for _ in range(30):
        plain, kept = AlertIndex(thresholds), live.LiveIndex(thresholds)
        for i in range(rng.randint(1, 40)):
            located = rng.random() > 0.15
            report = ReportFacts(
                id=i + 1,
                lat=0.5 + rng.gauss(0, 0.01) if located else None,
                lon=29.4 + rng.gauss(0, 0.01) if located else None,
                at=1_700_000_000.0 + rng.choice([0.0, 60.0, 120.0, rng.uniform(0, 3600)]),
                threat_type="armed_presence",
                text=f"hommes armés {i}",
                place_id=None,
                reporter_key=None,
            )
            alert = rng.randint(1, 3)
            plain.add(alert, report)
            kept.add(alert, report)
            for a in (1, 2, 3):
                assert kept.centre(a) == plain.centre(a)
        if 2 in kept and 3 in kept:  # a report that fitted both made them one
            assert [r.id for r in kept.merge(2, 3)] == [r.id for r in plain.merge(2, 3)]
            assert kept.centre(3) == plain.centre(3) and kept.centre(2) is None
        kept.close(1)
        plain.close(1)
        assert kept.centre(1) is None and plain.centre(1) is None


@pytest.fixture
def channel(personas: dict[str, Any]) -> Channel:
    live.forget()
    return messaging.create_channel(actor="test", name="gateway", send_url="console:")


def sms(channel: Channel, sender: str, text: str) -> None:
    data = {"from": sender, "text": text}
    response = Client().post(f"/channels/ext/{channel.uuid}/receive?token={channel.secret}", data)
    assert response.status_code == 200, response.content
    messaging.process_inbound()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The times the index was loaded from the database."""
    seen: list[float] = []
    real = domain._open_reports

    def counted(since: float) -> Any:
        seen.append(since)
        return real(since)

    monkeypatch.setattr(domain, "_open_reports", counted)
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_the_index_is_loaded_once_then_kept(
    channel: Channel, loads: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    routed: list[Any] = []
    real_route = domain.route
    monkeypatch.setattr(domain, "route", lambda *a: routed.append(a) or real_route(*a))
    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés, coups de feu")
    sms(channel, "+243971234568", "Risasi nyingi Mbau Centre sasa hivi, watu wenye silaha")
    sms(channel, "+243971234569", "ALERT Mbau Centre gunshots armed men")
    assert Alert.objects.count() == 1 and Report.objects.count() == 3
    assert len(loads) == 1
    assert len(routed) == 1  # only the report that opened the alert was routed


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_each_change_that_grouping_reads_makes_the_next_report_load_it_again(
    channel: Channel, personas: dict[str, Any], loads: list[float]
) -> None:
    alice = personas["alice"]
    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés, coups de feu")
    sms(channel, "+243971234568", "ALERTE Goma: des hommes armés ont tué deux personnes")
    first, second = Alert.objects.order_by("id")
    assert len(loads) == 1

    # Merged by hand: a new report of the first incident joins the alert it went into.
    domain.merge_alerts(actor=alice, alert=first, into=second)
    sms(channel, "+243971234569", "ALERT Mbau Centre gunshots armed men")
    assert len(loads) == 2
    assert Report.objects.order_by("-id").first().alert_id == second.pk  # type: ignore[union-attr]

    report = Report.objects.filter(alert=second).order_by("id").first()
    assert report is not None
    domain.split_report(actor=alice, report=report)
    sms(channel, "+243971234570", "Watu wenye silaha Mbau Centre usiku huu")
    assert len(loads) == 3

    domain.close_alert(actor=alice, alert=second, outcome="no_response_possible")
    sms(channel, "+243971234571", "Watu wenye silaha wameua watu Mbau Centre")
    assert len(loads) == 4
    assert Alert.objects.filter(status="closed").count() == 2


def watch_transactions(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    """For locating and grouping: whether each call ran inside a transaction."""
    inside: dict[str, list[bool]] = {}
    for module, name in ((domain, "locate"), (live, "decide")):
        real = getattr(module, name)

        def watched(*args: Any, _real: Any = real, _name: str = name) -> Any:
            inside.setdefault(_name, []).append(connection.in_atomic_block)
            return _real(*args)

        monkeypatch.setattr(module, name, watched)
    return inside


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_a_decision_prepared_before_a_change_is_taken_again_under_the_lock(
    channel: Channel, personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés, coups de feu")
    sms(channel, "+243971234568", "ALERTE Goma: des hommes armés ont tué deux personnes")
    first, second = Alert.objects.order_by("id")
    data = {"from": "+243971234569", "text": "ALERT Mbau Centre gunshots armed men"}
    url = f"/channels/ext/{channel.uuid}/receive?token={channel.secret}"
    assert Client().post(url, data).status_code == 200
    inside = watch_transactions(monkeypatch)
    real_prepare = domain.prepare_inbound

    def prepare_then_merge(**kwargs: Any) -> None:
        real_prepare(**kwargs)  # would join the first alert
        domain.merge_alerts(actor=personas["alice"], alert=first, into=second)

    messaging.inbound_waiting.disconnect(dispatch_uid="ulinzi-alerts-prepare")
    messaging.inbound_waiting.connect(prepare_then_merge, dispatch_uid="ulinzi-alerts-prepare")
    try:
        assert messaging.process_inbound() == 1
    finally:
        messaging.inbound_waiting.disconnect(dispatch_uid="ulinzi-alerts-prepare")
        messaging.inbound_waiting.connect(real_prepare, dispatch_uid="ulinzi-alerts-prepare")
    assert inside["decide"] == [False, True]  # prepared, then decided again
    assert Report.objects.order_by("-id").first().alert_id == second.pk  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_the_worker_understands_a_report_before_its_transaction(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = watch_transactions(monkeypatch)
    sms(channel, "+243971234567", "ALERTE Mbau Centre: des hommes armés ont tué deux personnes")
    assert inside == {"locate": [False], "decide": [False]}
    report = Report.objects.get()
    assert report.place is not None and report.place.name in ("Mbau", "Mbau Centre")
    assert report.threat_type == "killing"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_two_first_reports_at_the_same_instant_make_one_alert(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each decision is slowed down so that, without the lock, both would decide before
    either alert exists. (On SQLite a write transaction begins IMMEDIATE and holds the
    database's only write lock, so this cannot happen; and the suite's in-memory SQLite
    database refuses a second writing thread instead of making it wait.)"""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: writers are serialised by the database itself")
    real = live.decide

    def slow(*args: Any) -> Any:
        decided = real(*args)
        time.sleep(0.3)
        return decided

    monkeypatch.setattr(live, "decide", slow)
    with transaction.atomic():
        live.changed()  # the state row exists, as it does after the first report
    texts = [
        "ALERTE Mbau Centre: hommes armés, coups de feu",
        "Risasi nyingi Mbau Centre sasa hivi, watu wenye silaha",
    ]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def report(text: str) -> None:
        try:
            start.wait()
            domain.receive_report(source=Report.Source.HOTLINE, text=text)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert Report.objects.count() == 2
    assert Alert.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_grouping_is_told_the_name_of_each_reports_place(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grouping sees that a report placed at the next village names the alert's village."""
    asked: list[ReportFacts] = []
    real = live.decide

    def watched(token: str, thresholds: Thresholds, report: ReportFacts, load: Any) -> Any:
        asked.append(report)
        return real(token, thresholds, report, load)

    monkeypatch.setattr(live, "decide", watched)
    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés, coups de feu")
    report = Report.objects.get()
    assert report.place is not None
    assert [r.place_name for r in asked] == [report.place.name]
    [(alert_id, stored)] = list(domain._open_reports(0.0))
    assert (alert_id, stored.place_name) == (report.alert_id, report.place.name)
    assert domain._facts(report).place_name == report.place.name


@pytest.mark.django_db
def test_a_merge_made_by_a_report_is_learnt_by_the_kept_index(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A report that merges alerts does not cost a load of the whole index: the kept
    index makes the same merge once the transaction commits (and is dropped when it
    cannot, not holding an alert that was merged)."""
    live.forget()
    thresholds = Thresholds()

    def facts(pk: int, hours: float, reporter: str) -> ReportFacts:
        return ReportFacts(
            id=pk,
            lat=0.49 + pk * 0.001,
            lon=29.47,
            at=1_750_000_000.0 + hours * 3600.0,
            threat_type="killing",
            text="ADF wameua watu 4",
            place_id=None,
            reporter_key=reporter,
        )

    loads: list[float] = []

    def load(since: float) -> list[tuple[int, ReportFacts]]:
        loads.append(since)
        return [(1, facts(1, 0.0, "a")), (2, facts(2, 0.5, "b"))]

    live.decide("t1", thresholds, facts(3, 1.0, "b"), load)
    with django_capture_on_commit_callbacks(execute=True):
        live.joined("t1", "t2", 1, facts(3, 1.0, "b"), merged=(2,))
    kept = live._kept
    assert kept is not None and kept.token == "t2"
    assert 2 not in kept.index and sorted(m.id for m in kept.index._members[1]) == [1, 2, 3]
    live.decide("t2", thresholds, facts(4, 1.5, "c"), load)
    assert len(loads) == 1
    with django_capture_on_commit_callbacks(execute=True):
        live.joined("t2", "t3", 1, facts(4, 1.5, "c"), merged=(99,))
    assert live._kept is None
