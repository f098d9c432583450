"""The indicator engine on the database: each standard indicator against a direct count,
the dashboard, and links back to the records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone, translation

from ulinzi.alerts import domain as alerts
from ulinzi.alerts.models import Alert
from ulinzi.indicators import engine
from ulinzi.indicators.models import Indicator
from ulinzi.messaging import domain as messaging
from ulinzi.places.models import Place
from ulinzi.test import make_user, verified_client

pytestmark = pytest.mark.django_db


def month() -> str:
    return engine.month_label(timezone.localdate())


def new_alert(personas: dict[str, Any], text: str, phone: str) -> Alert:
    with transaction.atomic():
        reporter = messaging.reporter_for_number(phone)
    return alerts.receive_report(
        source="sms",
        text=text,
        reporter=reporter,
        place=Place.objects.get(kind="health_area", name="Mbau"),
    ).alert


def test_the_standard_set_is_shipped(db: Any) -> None:
    import importlib

    from django.apps import apps

    Indicator.objects.all().delete()
    migration = importlib.import_module("ulinzi.indicators.migrations.0002_standard_indicators")
    migration.create(apps, None)
    codes = list(Indicator.objects.values_list("code", flat=True))
    assert codes == [
        "alerts-addressed",
        "minutes-to-respond",
        "alerts-feedback",
        "patrol-requests-met",
        "events-per-10000",
        "safe-at-night",
        "knows-how-to-alert",
        "commitments-on-time",
    ]


def test_alert_indicators_against_direct_counts(personas: dict[str, Any]) -> None:
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    alice = personas["alice"]
    texts = [
        "Watu wenye silaha wameua watu Mbau usiku huu",
        "Hommes armés ont brûlé des maisons à Kasindi",
        "Abduction of two girls near Oicha market",
    ]
    made = [new_alert(personas, t, f"+24397123000{i}") for i, t in enumerate(texts)]
    made = list({a.pk: a for a in made}.values())  # reports of one incident share an alert
    from ulinzi.alerts.models import Responder

    company = Responder.objects.create(name="Coy B", kind="mission_company", base=personas["beni"])
    first = made[0]
    alerts.acknowledge_alert(actor=alice, alert=first)
    alerts.verify_alert(actor=alice, alert=first, result="verified")
    alerts.notify_responders(actor=alice, alert=first, responders=[company])
    alerts.dispatch_response(actor=alice, alert=first, responder=company)
    alerts.close_alert(actor=alice, alert=first, outcome="mitigated")
    if len(made) > 1:
        alerts.acknowledge_alert(actor=alice, alert=made[1])
        alerts.close_alert(actor=alice, alert=made[1], outcome="false_alarm")
    carol = personas["carol"]
    months = [month()]
    addressed = engine.compute(Indicator.objects.get(code="alerts-addressed"), carol, months)[0]
    closed_genuine = Alert.objects.filter(status="closed").exclude(
        outcome__in=["false_alarm", "duplicate"]
    )
    assert addressed.denominator == closed_genuine.count() == 1
    assert addressed.numerator == 1 and addressed.value == 100.0
    feedback = engine.compute(Indicator.objects.get(code="alerts-feedback"), carol, months)[0]
    assert (
        feedback.numerator
        == Alert.objects.filter(status="closed", feedback_sent_at__isnull=False)
        .exclude(outcome="false_alarm")
        .count()
    )
    minutes = engine.compute(Indicator.objects.get(code="minutes-to-respond"), carol, months)[0]
    first.refresh_from_db()
    assert minutes.value == pytest.approx(
        round((first.dispatched_at - first.received_at).total_seconds() / 60, 1)
    )
    # Bob (Goma) sees none of Beni's alerts.
    assert (
        engine.compute(Indicator.objects.get(code="alerts-addressed"), personas["bob"], months)[
            0
        ].value
        is None
    )


def test_events_per_10000_and_commitments_on_time(personas: dict[str, Any], tmp_path: Any) -> None:
    from ulinzi.engagement import domain as engagement
    from ulinzi.places.models import Community
    from ulinzi.threats import domain as threats

    mbau = personas["mbau"]
    Community.objects.filter(pk=mbau.pk).update(population=20000)
    Community.objects.filter(pk=personas["goma_ville"].pk).update(population=5000)
    today = timezone.localdate()
    place = mbau.place
    path = tmp_path / "e.csv"
    path.write_text(
        "id,date,lat,lon,type,fatalities,place\n"
        + "".join(
            f"e{i},{today - dt.timedelta(days=i)},{place.lat},{place.lon},killing,1,Mbau\n"
            for i in range(min(5, today.day))
        )
    )
    threats.import_events(path, "csv", source="t")
    carol = personas["carol"]
    value = engine.compute(Indicator.objects.get(code="events-per-10000"), carol, [month()])[0]
    assert value.numerator == min(5, today.day) and value.denominator == 25000
    assert value.value == round(min(5, today.day) / 25000 * 10000, 2)
    lia = make_user("lia", "liaison", whole_mission=True)
    due = today - dt.timedelta(days=1)
    meeting = engagement.record_meeting(
        actor=lia,
        community=mbau,
        kind="meeting",
        date=due,
        commitments=[(lia, "on time", due), (lia, "late", due), (lia, "never", due)],
    )
    on_time, late, never = meeting.commitments.order_by("id")
    engagement.close_commitment(actor=lia, commitment=on_time, kept=True, note="fait")
    type(on_time).objects.filter(pk=on_time.pk).update(
        closed_at=timezone.make_aware(dt.datetime.combine(due, dt.time(9)))
    )
    engagement.close_commitment(actor=lia, commitment=late, kept=True, note="fait tard")
    kept = engine.compute(
        Indicator.objects.get(code="commitments-on-time"), carol, [engine.month_label(due)]
    )[0]
    assert (kept.numerator, kept.denominator) == (1, 3)  # the open overdue one counts as not kept
    assert kept.value == pytest.approx(33.33)


def test_the_dashboard(personas: dict[str, Any]) -> None:
    me = make_user("meo", "me_officer", whole_mission=True)
    client = verified_client(me)
    page = client.get("/indicators/")
    assert page.status_code == 200
    names = [r["indicator"].code for r in page.context["rows"]]
    assert names[0] == "alerts-addressed" and len(names) == 8
    assert (
        client.post(
            "/indicators/", {"code": "alerts-addressed", "target": "90", "baseline": "70"}
        ).status_code
        == 302
    )
    changed = Indicator.objects.get(code="alerts-addressed")
    assert (changed.target, changed.baseline) == (90.0, 70.0)
    client.post("/indicators/", {"code": "alerts-addressed", "target": "ninety"})
    assert Indicator.objects.get(code="alerts-addressed").target == 90.0
    analyst = verified_client(make_user("ana", "analyst", whole_mission=True))
    assert (
        analyst.post("/indicators/", {"code": "alerts-addressed", "target": "1"}).status_code == 403
    )
    viewer = verified_client(make_user("vera", "viewer", whole_mission=True))
    assert viewer.get("/indicators/").status_code == 403


def test_standard_names_are_in_the_readers_language_until_a_mission_renames_them(
    personas: dict[str, Any],
) -> None:
    from ulinzi.indicators.standard import WORDS

    french = verified_client(make_user("mireille", "me_officer", whole_mission=True, language="fr"))
    html = french.get("/indicators/").content.decode()
    assert "Part des alertes traitées" in html and "Share of alerts addressed" not in html
    assert "cible 60,0 min" in html  # a unit other than % after a space
    with translation.override("fr"):
        for indicator in Indicator.objects.all():  # every standard one has its French
            name, _unit = WORDS[indicator.code]
            assert indicator.label() != name, name
        assert Indicator.objects.get(code="events-per-10000").unit_suffix() == " pour 10 000"
        assert Indicator.objects.get(code="alerts-addressed").unit_suffix() == "%"
    # Renamed, a name is the mission's own, in every language.
    Indicator.objects.filter(code="alerts-addressed").update(name="Alertes traitées (Beni)")
    html = french.get("/indicators/").content.decode()
    assert "Alertes traitées (Beni)" in html and "Part des alertes traitées" not in html
    form = french.get("/indicators/initiatives/").content.decode()
    assert "Engagements tenus à temps" in form
