"""The lifecycle: each step timestamped, audited, in order; closing tells the reporters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import translation

from ulinzi.accounts.domain import issue_api_token
from ulinzi.alerts import domain
from ulinzi.alerts.forms import responders_of
from ulinzi.alerts.models import Alert, Report, Responder
from ulinzi.alerts.templatetags.alert_words import routing_reason
from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Message, Reporter
from ulinzi.places.models import Place
from ulinzi.test import make_user

pytestmark = pytest.mark.django_db


def sms_report(number: str, text: str, place: Place | None = None) -> Report:
    """A report by SMS from ``number`` (its reporter created if new)."""
    with transaction.atomic():
        reporter = messaging.reporter_for_number(number)
    return domain.receive_report(source="sms", text=text, reporter=reporter, place=place)


@pytest.fixture
def alert(personas: dict[str, Any]) -> Alert:
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    report = sms_report(
        "+243971234567",
        "Watu wenye silaha wameua watu Mbau usiku huu",
        Place.objects.get(kind="health_area", name="Mbau"),
    )
    return report.alert


@pytest.fixture
def company(personas: dict[str, Any]) -> Responder:
    return Responder.objects.create(
        name="NEPBATT company B", kind="mission_company", base=personas["beni"]
    )


def notified(actor: Any, alert: Alert, company: Responder) -> None:
    """Acknowledged, verified and ``company`` notified."""
    domain.acknowledge_alert(actor=actor, alert=alert)
    domain.verify_alert(actor=actor, alert=alert, result="verified")
    domain.notify_responders(actor=actor, alert=alert, responders=[company])


def test_the_whole_lifecycle_stamps_every_step_and_tells_the_reporter(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    alice = personas["alice"]
    domain.acknowledge_alert(actor=alice, alert=alert)
    domain.verify_alert(actor=alice, alert=alert, result="verified", note="confirmed by the chief")
    domain.notify_responders(actor=alice, alert=alert, responders=[company])
    domain.dispatch_response(actor=alice, alert=alert, responder=company, note="two vehicles")
    domain.mark_on_site(actor=alice, alert=alert)
    domain.close_alert(actor=alice, alert=alert, outcome="mitigated", feedback="Doria imefika.")
    alert.refresh_from_db()
    stamps = [
        alert.received_at,
        alert.acknowledged_at,
        alert.verified_at,
        alert.notified_at,
        alert.dispatched_at,
        alert.on_site_at,
        alert.closed_at,
        alert.feedback_sent_at,
    ]
    assert all(stamps) and stamps == sorted(stamps)
    assert (alert.status, alert.outcome) == ("closed", "mitigated")
    assert list(alert.steps.values_list("step", flat=True)) == [
        "received",
        "acknowledge",
        "verify",
        "notify_responders",
        "dispatch",
        "arrive",
        "close",
        "feedback_sent",
    ]
    feedback = Message.objects.get(purpose="feedback")
    assert (
        feedback.text
        == f"Kumb {alert.reference}: misheni imeshughulikia tahadhari yako. Asante. Doria imefika."
    )
    assert feedback.status == "queued"
    assert (
        AuditEntry.objects.filter(subject_type="alerts.alert", subject_id=str(alert.pk)).count()
        == 6
    )


def test_steps_out_of_order_are_refused_with_a_clear_error(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    alice = personas["alice"]
    with pytest.raises(
        domain.TransitionRefused,
        match=rf"{alert.reference} is received: it must be responders notified or response dispatched to dispatch$",
    ):
        domain.dispatch_response(actor=alice, alert=alert, responder=company)
    with pytest.raises(domain.TransitionRefused, match="must be received to acknowledge"):
        domain.acknowledge_alert(
            actor=alice, alert=domain.acknowledge_alert(actor=alice, alert=alert)
        )
    domain.verify_alert(actor=alice, alert=alert, result="false_alarm")
    with pytest.raises(domain.TransitionRefused, match="false alarm: close it as a false alarm"):
        domain.close_alert(actor=alice, alert=alert, outcome="prevented")
    domain.close_alert(actor=alice, alert=alert, outcome="false_alarm")
    with pytest.raises(domain.TransitionRefused, match="closed already"):
        domain.close_alert(actor=alice, alert=alert, outcome="prevented")
    with pytest.raises(domain.TransitionRefused, match="the outcome must be one of"):
        domain.close_alert(actor=alice, alert=alert, outcome="solved")


def test_merge_and_split_by_hand(personas: dict[str, Any], alert: Alert) -> None:
    other = domain.receive_report(
        source="hotline",
        text="Coups de feu à Goma",
        actor=personas["bob"],
        place=Place.objects.get(key="geonames:216281"),
    ).alert
    assert other.pk != alert.pk
    target = domain.merge_alerts(actor=personas["carol"], alert=other, into=alert)
    other.refresh_from_db()
    assert (other.status, other.outcome, other.merged_into_id) == ("closed", "duplicate", alert.pk)
    assert target.reports.count() == 2
    moved = target.reports.get(source="hotline")
    new = domain.split_report(actor=personas["carol"], report=moved)
    assert new.reports.get() == moved and alert.reports.count() == 1
    assert AuditEntry.objects.filter(action__in=["alerts.merge", "alerts.split"]).count() == 2


def test_the_api_walks_the_lifecycle_and_applies_scope(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    alice = Client(
        HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['alice'])}"
    )
    bob = Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['bob'])}")
    listed = alice.get("/api/v1/alerts", {"status": "received"}).json()
    assert [a["reference"] for a in listed] == [alert.reference]
    assert listed[0]["place"]["name"] == "Mbau" and listed[0]["reports"] == 1
    assert bob.get("/api/v1/alerts").json() == []  # Goma does not see Beni's alerts
    assert bob.get(f"/api/v1/alerts/{alert.pk}").status_code == 404
    assert bob.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 404
    url = f"/api/v1/alerts/{alert.pk}"
    assert alice.post(f"{url}/acknowledge").json()["status"] == "acknowledged"
    assert (
        alice.post(
            f"{url}/verify", {"result": "verified"}, content_type="application/json"
        ).status_code
        == 200
    )
    refused = alice.post(f"{url}/arrive", {}, content_type="application/json")
    assert refused.status_code == 409 and "must be response dispatched" in refused.json()["detail"]
    alice.post(f"{url}/notify", {"responder_ids": [company.pk]}, content_type="application/json")
    alice.post(f"{url}/dispatch", {"responder_id": company.pk}, content_type="application/json")
    alice.post(f"{url}/arrive", {}, content_type="application/json")
    closed = alice.post(
        f"{url}/close", {"outcome": "prevented"}, content_type="application/json"
    ).json()
    assert closed["status"] == "closed" and closed["times"]["feedback_sent_at"]
    assert [s["step"] for s in closed["timeline"]][-2:] == ["close", "feedback_sent"]
    assert closed["report_list"][0]["reporter"].startswith("R-")
    assert "971234567" not in str(closed)


def test_a_viewer_cannot_act_or_see_numbers(personas: dict[str, Any], alert: Alert) -> None:
    from ulinzi.test import make_user

    viewer = make_user("victor", "viewer", whole_mission=True)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=viewer)}")
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 403
    web = Client()
    web.force_login(viewer)
    page = web.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Show the number" not in page and "971234567" not in page
    report = alert.reports.get()
    assert (
        web.post(f"/alerts/{alert.pk}/reports/{report.pk}/number/", {"reason": "x"}).status_code
        == 403
    )


def test_merge_and_split_from_the_alert_page(personas: dict[str, Any], alert: Alert) -> None:
    # A separate incident in Beni's area, so Alice sees both.
    other = domain.receive_report(
        source="hotline",
        text="Enlèvement signalé hier soir",
        actor=personas["alice"],
        place=Place.objects.get(kind="village", name="Mbau Centre"),
        threat_type="arbitrary_arrest",
    ).alert
    assert other.pk != alert.pk
    web = Client()
    web.force_login(personas["alice"])
    refused = web.post(f"/alerts/{other.pk}/regroup/", {"into": "A-999999"}, follow=True)
    other.refresh_from_db()
    assert other.status == "received"  # no such alert: nothing merged
    # The refusal is a sentence on the page: it starts with a capital.
    assert ">No open alert with this reference in your area</li>" in refused.content.decode()
    web.post(f"/alerts/{other.pk}/regroup/", {"into": alert.reference})
    other.refresh_from_db()
    assert other.merged_into_id == alert.pk
    moved = alert.reports.get(source="hotline")
    response = web.post(f"/alerts/{alert.pk}/regroup/", {"report": str(moved.pk)})
    moved.refresh_from_db()
    assert moved.alert_id not in (alert.pk, other.pk)
    assert response.url == f"/alerts/{moved.alert_id}/"
    bob = Client()
    bob.force_login(personas["bob"])
    assert bob.post(f"/alerts/{alert.pk}/regroup/", {"into": "A-1"}).status_code == 404


def test_a_report_posted_about_another_area_is_recorded_but_not_shown(
    personas: dict[str, Any], alert: Alert
) -> None:
    bob = Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['bob'])}")
    answer = bob.post(
        "/api/v1/alerts",
        {"text": "Hommes armés à Mbau", "place_id": alert.place_id},
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()) == (
        202,
        {"detail": "Recorded and routed to the base responsible."},
    )
    assert alert.reports.count() == 2  # it joined Beni's alert, which Bob cannot see


def test_an_api_report_may_give_the_callers_number_like_the_hotline_form(
    personas: dict[str, Any], alert: Alert
) -> None:
    alice = Client(
        HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['alice'])}"
    )
    queued = Message.objects.filter(direction="out").count()
    bad = alice.post(
        "/api/v1/alerts",
        {"text": "Watu wenye silaha Mbau", "place_id": alert.place_id, "phone": "0971 23 45 xx"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {
        "where": "body.data.phone",
        "problem": "Value error, a phone number has no letters",
    }
    assert "0971" not in bad.content.decode()
    assert alert.reports.count() == 1 and Message.objects.filter(direction="out").count() == queued

    answer = alice.post(
        "/api/v1/alerts",
        {
            "text": "Watu wenye silaha Mbau usiku huu",
            "place_id": alert.place_id,
            "phone": "+243 99 765 4321",
            "source": "hotline",
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert "997654321" not in answer.content.decode()
    report = alert.reports.order_by("-id").first()
    assert report is not None and report.source == "hotline"
    assert report.reporter == messaging.find_reporter("0997654321")
    shown = [r for r in answer.json()["report_list"] if r["id"] == report.pk]
    assert shown[0]["reporter"] == report.reporter.pseudonym
    # The caller is told the mission has it, like a caller entered on the hotline form.
    acknowledged = Message.objects.get(direction="out", reporter=report.reporter)
    assert acknowledged.purpose == "acknowledgement" and alert.reference in acknowledged.text


def test_the_api_lists_alerts_a_page_at_a_time(personas: dict[str, Any], alert: Alert) -> None:
    from datetime import timedelta

    for hours in (5, 30):  # two older alerts at Beni
        Alert.objects.create(
            threat_type="looting",
            severity="low",
            summary=f"{hours} h ago",
            base=alert.base,
            received_at=alert.received_at - timedelta(hours=hours),
        )
    alice = Client(
        HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['alice'])}"
    )
    first = alice.get("/api/v1/alerts", {"limit": 2, "status": "received"})
    assert first["X-Total-Count"] == "3" and len(first.json()) == 2
    assert first.json()[0]["reference"] == alert.reference  # newest first
    link = first["Link"]
    assert link.startswith("</api/v1/alerts?") and link.endswith('>; rel="next"')
    assert "offset=2" in link and "status=received" in link
    second = alice.get(link[1 : link.index(">")])
    assert [a["reference"] for a in second.json()] == [
        Alert.objects.get(summary="30 h ago").reference
    ]
    assert "Link" not in second and second["X-Total-Count"] == "3"
    assert alice.get("/api/v1/alerts", {"limit": 501}).status_code == 422
    # An offset PostgreSQL cannot hold (the ISO format allows it) is read as UTC.
    odd = alice.get("/api/v1/alerts", {"since": "2000-01-01T00:00:00-19:40"})
    assert odd.status_code == 200 and odd["X-Total-Count"] == "3"


def test_a_report_posted_blank_or_with_a_nul_is_refused_and_nothing_stored(
    personas: dict[str, Any], alert: Alert
) -> None:
    bob = Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['bob'])}")
    for body, problem in (
        ({"text": "   "}, "the report has no text"),
        ({"text": "Hommes\x00 armés"}, "NUL"),
        ({"text": "Hommes armés", "place": "Mb\x00au"}, "NUL"),
    ):
        answer = bob.post("/api/v1/alerts", body, content_type="application/json")
        assert answer.status_code == 422, answer.content
        assert problem in answer.json()["errors"][0]["problem"]
    assert Report.objects.count() == 1 and alert.reports.count() == 1


def test_only_the_alerts_own_base_responders_can_be_sent(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    goma_unit = Responder.objects.create(
        name="Goma FIB platoon", kind="mission_company", base=personas["goma"]
    )
    alice = personas["alice"]
    domain.acknowledge_alert(actor=alice, alert=alert)
    domain.verify_alert(actor=alice, alert=alert, result="verified")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=alice)}")
    refused = api.post(
        f"/api/v1/alerts/{alert.pk}/notify",
        {"responder_ids": [goma_unit.pk]},
        content_type="application/json",
    )
    assert refused.status_code == 404 and "at this alert's base" in refused.json()["detail"]
    web = Client()
    web.force_login(alice)
    page = web.get(f"/alerts/{alert.pk}/").content.decode()
    assert "NEPBATT company B" in page and "Goma FIB platoon" not in page
    web.post(f"/alerts/{alert.pk}/notify/", {"responders": [goma_unit.pk]})
    alert.refresh_from_db()
    assert alert.status == "verified"


def test_a_number_is_revealed_on_the_alert_page_once_and_audited(
    personas: dict[str, Any], alert: Alert
) -> None:
    web = Client()
    web.force_login(personas["alice"])
    report = alert.reports.get()
    shown = web.post(f"/alerts/{alert.pk}/reports/{report.pk}/number/", {"reason": "call-back"})
    assert shown.status_code == 200 and "+243971234567" in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert (
        AuditEntry.objects.filter(action="messaging.reveal_phone", actor_label="alice").count() == 1
    )
    assert "+243971234567" not in web.get(f"/alerts/{alert.pk}/").content.decode()


def test_report_counts_are_not_multiplied_by_the_bases_users(
    personas: dict[str, Any], alert: Alert
) -> None:
    from ulinzi.test import make_user

    for name in ("b1", "b2", "b3"):
        make_user(name, "duty_officer", bases=[personas["beni"]])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor='t', user=personas['alice'])}")
    assert [a["reports"] for a in api.get("/api/v1/alerts").json()] == [1]


def test_a_report_that_fits_two_open_alerts_merges_them_into_the_older(
    personas: dict[str, Any],
) -> None:
    """An attack first reported from the wrong village, then from the right one by
    someone else: two alerts. The first reporter writes again from the right village,
    and fits both: they are one incident, merged into the older, with the reason on
    the report, the timeline and the audit."""
    from ulinzi.alerts.grouping import KM_PER_DEGREE

    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    with transaction.atomic():
        b = messaging.reporter_for_number("+243971234567")
        a = messaging.reporter_for_number("+243971234568")
    mbau = Place.objects.get(kind="village", name="Mbau Centre")
    wrong = min(
        (p for p in Place.objects.filter(kind="village").exclude(pk=mbau.pk)),
        key=lambda p: abs(
            KM_PER_DEGREE * ((p.lat - mbau.lat) ** 2 + (p.lon - mbau.lon) ** 2) ** 0.5 - 6.0
        ),
    )

    def sms(reporter: Any, text: str, place: Place) -> Any:
        return domain.receive_report(source="sms", text=text, reporter=reporter, place=place)

    first = sms(b, "ADF wameua watu 4 usiku", wrong).alert
    second = sms(a, "Tirs entendus vers Mbau Centre", mbau).alert
    assert second.pk != first.pk
    domain.acknowledge_alert(actor=personas["alice"], alert=second)
    third = sms(b, "ADF wameua watu 4 Mbau Centre usiku huu", mbau)
    assert third.alert_id == first.pk
    assert f"also fits {second.reference} with evidence" in third.grouping_reason
    assert third.grouping_reason.endswith(f"merged into {first.reference}")
    second.refresh_from_db()
    assert (second.status, second.outcome, second.merged_into_id) == (
        "closed",
        "duplicate",
        first.pk,
    )
    assert first.reports.count() == 3
    # The report's alert is as the merge left it: acknowledged, as the other one was.
    stored = Alert.objects.get(pk=first.pk)
    fields = ("status", "acknowledged_at", "severity", "threat_type", "place_id", "base_id")
    assert [getattr(third.alert, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert third.alert.status == "acknowledged" and third.alert.acknowledged_at is not None
    note = f"(report {third.pk})"
    assert first.steps.get(step="merged").note == f"1 report(s) from {second.reference} {note}"
    assert second.steps.get(step="merged").actor_label == "grouping"
    entry = AuditEntry.objects.get(action="alerts.merge")
    assert entry.actor_label == "grouping" and entry.after["why"] == f"report {third.pk}"
    # Nobody had acted on the older alert: it moves to where most of its reports are.
    first.refresh_from_db()
    assert (first.place, first.lat, first.lon) == (mbau, mbau.lat, mbau.lon)
    assert first.routing_reason == domain.route(mbau, mbau.lat, mbau.lon)[1]
    assert first.steps.get(step="relocated").note == (
        f"to Mbau Centre, where most of its reports are ({first.routing_reason})"
    )


def test_a_later_report_or_a_merge_raises_the_severity_and_never_lowers_it(
    personas: dict[str, Any], alert: Alert
) -> None:
    goma = Place.objects.get(key="geonames:216281")

    def report(text: str, severity: str) -> Alert:
        return domain.receive_report(
            source="hotline", text=text, actor=personas["bob"], place=goma, severity=severity
        ).alert

    calm = report("Coups de feu à Goma", "low")
    assert calm.severity == "low"
    grave = report("Coups de feu à Goma, des blessés", "high")
    assert grave.pk == calm.pk and Alert.objects.get(pk=calm.pk).severity == "high"
    again = report("Coups de feu à Goma, c'est calme maintenant", "low")
    assert again.pk == calm.pk and Alert.objects.get(pk=calm.pk).severity == "high"
    # Merging the critical alert of Mbau into it makes the alert kept critical.
    assert Alert.objects.get(pk=alert.pk).severity == "critical"
    kept = domain.merge_alerts(actor=personas["carol"], alert=alert, into=calm)
    assert kept.severity == "critical" and Alert.objects.get(pk=calm.pk).severity == "critical"


def test_a_graver_report_names_the_alert_unless_an_officer_named_it(
    personas: dict[str, Any],
) -> None:
    goma = Place.objects.get(key="geonames:216281")

    def report(text: str, threat: str, severity: str) -> Alert:
        return domain.receive_report(
            source="hotline",
            text=text,
            actor=personas["bob"],
            place=goma,
            threat_type=threat,
            severity=severity,
        ).alert

    first = report("Enlèvement de trois femmes à Goma", "abduction", "high")
    assert (first.threat_type, first.severity) == ("abduction", "high")
    # Two killed, a graver account of the same incident: the alert is a killing now.
    graver = report("Enlèvement à Goma, deux tués", "killing", "critical")
    assert graver.pk == first.pk
    assert (graver.threat_type, graver.severity) == ("killing", "critical")
    renamed = graver.steps.get(step="renamed")
    assert renamed.note == "abduction → killing (a later report)"
    # A milder account names nothing.
    milder = report("Pillage à Goma, ils sont partis", "looting_extortion", "medium")
    assert milder.pk == first.pk and Alert.objects.get(pk=first.pk).threat_type == "killing"
    # A correction of the severity alone does not stop the renaming...
    domain.correct_alert(actor=personas["bob"], alert=first, severity="high")
    hurt = report("Enlèvement à Goma, un blessé grave", "attack_on_civilians", "critical")
    assert (hurt.threat_type, hurt.severity) == ("attack_on_civilians", "critical")
    # ...but what a duty officer set by hand stays: a graver report raises the severity only.
    domain.correct_alert(
        actor=personas["bob"], alert=first, threat_type="abduction", severity="high"
    )
    again = report("Enlèvement à Goma: un otage tué", "killing", "critical")
    assert again.pk == first.pk
    assert (again.threat_type, again.severity) == ("abduction", "critical")


def test_responders_are_kept_per_base_and_only_the_available_are_offered(
    personas: dict[str, Any],
) -> None:
    beni, goma = personas["beni"], personas["goma"]
    unit = domain.save_responder(
        actor=personas["alice"], base=beni, name="  NEPBATT   company B ", kind="mission_company"
    )
    assert unit.name == "NEPBATT company B" and list(responders_of(beni)) == [unit]
    for name, kind, problem in (
        ("   ", "mission_company", "name"),
        ("nepbatt COMPANY b", "un_police", "already has"),
        ("Escort", "cavalry", "kind"),
    ):
        with pytest.raises(domain.TransitionRefused, match=problem):
            domain.save_responder(actor="t", base=beni, name=name, kind=kind)
    domain.save_responder(actor="t", base=goma, name="NEPBATT company B", kind="mission_company")
    down = domain.save_responder(
        actor="t", base=beni, name=unit.name, kind=unit.kind, active=False, responder=unit
    )
    assert not down.active and list(responders_of(beni)) == []
    changes = AuditEntry.objects.filter(action="alerts.save_responder", subject_id=str(unit.pk))
    assert [e.after["active"] for e in changes.order_by("id")] == [True, False]


def test_a_duty_officer_adds_and_stands_down_the_responders_of_their_base(
    personas: dict[str, Any],
) -> None:
    alice = Client()
    alice.force_login(personas["alice"])
    page = alice.get("/alerts/responders/")
    assert page.status_code == 200 and "No responder yet" in page.content.decode()
    added = alice.post(
        "/alerts/responders/", {"base": "beni", "name": "UNPOL Beni", "kind": "un_police"}
    )
    assert added.status_code == 302
    unit = Responder.objects.get(name="UNPOL Beni")
    assert unit.base == personas["beni"] and unit.active
    # Goma is not Alice's: she can neither add there nor stand its units down.
    refused = alice.post("/alerts/responders/", {"base": "goma", "name": "X", "kind": "un_police"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert not Responder.objects.filter(name="X").exists()
    # A name of blanks is no name: the page says so.
    blank = alice.post("/alerts/responders/", {"base": "beni", "name": "   ", "kind": "un_police"})
    assert blank.status_code == 400 and "Name: This field is required." in blank.content.decode()
    french = Client()
    french.force_login(make_user("amina", "duty_officer", bases=[personas["beni"]], language="fr"))
    vide = french.post("/alerts/responders/", {"base": "beni", "name": " ", "kind": "un_police"})
    assert "Nom : Ce champ est obligatoire." in vide.content.decode()  # French punctuation
    theirs = domain.save_responder(
        actor="t", base=personas["goma"], name="Goma company", kind="mission_company"
    )
    assert alice.post("/alerts/responders/", {"responder": theirs.pk}).status_code == 404
    assert "Goma company" not in alice.get("/alerts/responders/").content.decode()
    alice.post("/alerts/responders/", {"responder": unit.pk})
    unit.refresh_from_db()
    assert not unit.active
    twice = alice.post(
        "/alerts/responders/",
        {"base": "beni", "name": "unpol beni", "kind": "un_police"},
        follow=True,
    )
    assert "already has a responder called unpol beni" in twice.content.decode()
    viewer = Client()
    viewer.force_login(make_user("vera", "viewer", whole_mission=True))
    assert viewer.get("/alerts/responders/").status_code == 403


def test_a_duty_officer_corrects_triage_and_place_and_the_alert_is_routed_again(
    personas: dict[str, Any], alert: Alert
) -> None:
    alice = personas["alice"]
    assert (alert.threat_type, alert.base.code) == ("killing", "beni")
    for change, problem in (
        ({"threat_type": "dragons"}, "taxonomy"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"threat_type": "killing", "severity": alert.severity}, "Nothing to change"),
    ):
        with pytest.raises(domain.TransitionRefused, match=problem):
            domain.correct_alert(actor=alice, alert=alert, **change)
    fixed = domain.correct_alert(
        actor=alice, alert=alert, threat_type="armed_presence", severity="low", note="shots only"
    )
    assert (fixed.threat_type, fixed.severity) == ("armed_presence", "low")  # lower, by hand
    step = fixed.steps.get(step="corrected")
    assert step.note == (
        f"threat type killing → armed_presence; severity {alert.severity} → low. shots only"
    )
    entry = AuditEntry.objects.get(action="alerts.correct")
    assert entry.before["threat_type"] == "killing" and entry.after["severity"] == "low"
    goma = personas["goma_ville"].place
    moved = domain.correct_alert(actor=alice, alert=alert, place=goma)
    assert moved.place == goma and moved.base.code == "goma"
    assert "Goma" in moved.steps.filter(step="corrected").last().note
    domain.close_alert(actor=alice, alert=moved, outcome="false_alarm")
    with pytest.raises(domain.TransitionRefused, match="closed already"):
        domain.correct_alert(actor=alice, alert=moved, severity="high")


def test_verifying_or_closing_takes_a_choice_and_a_steps_address_leads_back(
    personas: dict[str, Any], alert: Alert
) -> None:
    """No result or outcome is chosen beforehand: a click on the button alone does
    nothing but ask for one. The address the refusal was shown at, opened again, is
    the alert's page, not an error."""
    client = Client()
    client.force_login(personas["alice"])
    domain.acknowledge_alert(actor=personas["alice"], alert=alert)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert re.search(r'<option value="" selected>— choose —</option>', page)
    verify = client.post(f"/alerts/{alert.pk}/verify/", {"note": ""})
    assert verify.status_code == 400
    assert "Choose what the verification found." in verify.content.decode()
    close = client.post(f"/alerts/{alert.pk}/close/", {"note": "done"})
    assert close.status_code == 400 and "Choose the outcome." in close.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.verified_at, alert.closed_at) == ("acknowledged", None, None)
    for step in ("verify", "close", "correct", "regroup"):
        again = client.get(f"/alerts/{alert.pk}/{step}/")
        assert (again.status_code, again["Location"]) == (302, f"/alerts/{alert.pk}/"), step


def test_the_hotline_asks_which_place_while_the_caller_is_on_the_line(
    personas: dict[str, Any],
) -> None:
    """GRID3 has several Majengo: the form says so, keeps what was typed, shows them to
    choose from, and records nothing; a choice records it there; "record it as said"
    records it unplaced and the caller is asked by SMS, as intake would."""
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    alice = Client()
    alice.force_login(personas["alice"])
    call = {"source": "hotline", "text": "Pillage au marché de Majengo", "place": "Majengo"}
    asked = alice.post("/alerts/new/", {**call, "phone": "0971234567"})
    assert asked.status_code == 400 and not Report.objects.exists()
    page = asked.content.decode()
    assert "Majengo may be several places: ask the caller which one" in page
    assert 'value="Pillage au marché de Majengo"' not in page  # a textarea keeps it inside
    assert "Pillage au marché de Majengo</textarea>" in page
    offered = [int(i) for i in re.findall(r'class="candidate" data-id="(\d+)"', page)]
    majengo = Place.objects.filter(pk__in=offered, name="Majengo")
    assert majengo.count() >= 2, offered
    assert 'name="keep_unclear"' in page
    chosen = majengo.last()
    alice.post("/alerts/new/", {**call, "place_id": chosen.pk}, follow=True)
    assert Report.objects.get().place == chosen
    alice.post("/alerts/new/", {**call, "phone": "0971234567", "keep_unclear": "on"})
    kept = Report.objects.latest("id")
    assert kept.place is None or kept.place.name == "Majengo"
    question = Message.objects.get(purpose="clarification")
    assert question.text.startswith("Quel Majengo? 1 "), question.text
    clear = alice.post("/alerts/new/", {**call, "place": "Mbau"})
    assert clear.status_code == 302  # a place that is clear is not asked about
    # A caller registered in Mbau's community: the Majengo near Mbau, as intake would take
    # it (the community tells the namesakes apart), without asking.
    with transaction.atomic():
        local = messaging.reporter_for_number("+243971234999")
    Reporter.objects.filter(pk=local.pk).update(community=personas["mbau"])
    known = alice.post("/alerts/new/", {**call, "phone": "+243971234999"})
    assert known.status_code == 302
    near = Report.objects.latest("id").place
    assert near is not None and near.name == "Majengo"
    assert domain.locate(call["text"], "Majengo", "Mbau").place_id == near.pk


def test_an_alert_with_no_place_is_said_so_and_placed_from_its_page(
    personas: dict[str, Any],
) -> None:
    """Entered at a base's hotline, a report whose place is unknown stays at that base
    (the first of its officer's), on their board, to be placed there; entered by someone
    with no base, it is on no base's board and the form says so."""
    alice, officer, nobody = Client(), Client(), Client()
    alice.force_login(personas["alice"])
    officer.force_login(make_user("dora", "duty_officer", whole_mission=True))
    nobody.force_login(make_user("ed", "duty_officer"))
    answer = nobody.post(
        "/alerts/new/", {"source": "hotline", "text": "Maison brûlée hier soir"}, follow=True
    )
    assert "its place is unknown, so no base has it" in answer.content.decode()
    elsewhere = Alert.objects.get()
    assert elsewhere.base is None
    answer = alice.post(
        "/alerts/new/", {"source": "hotline", "text": "Hommes armés vus ce matin"}, follow=True
    )
    alert = Alert.objects.exclude(pk=elsewhere.pk).get()
    assert alert.place is None and alert.base == personas["beni"]
    assert alert.routing_reason == "the place is unknown: kept at Beni, where it was entered"
    assert answer.redirect_chain[-1][0] == f"/alerts/{alert.pk}/"
    shown = answer.content.decode()
    assert f"Report recorded in {alert.reference}, but its place is unknown" in shown
    assert 'id="fix_place"' in shown
    with translation.override("fr"):
        assert routing_reason(alert.routing_reason) == (
            "le lieu est inconnu : gardée à Beni, où elle a été saisie"
        )
    page = officer.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Correct it" in page and 'id="fix_place"' in page
    nowhere = officer.post(
        f"/alerts/{alert.pk}/correct/",
        {
            "threat_type": alert.threat_type,
            "severity": alert.severity,
            "place": "Zzyxq",
            "note": "the chief called",
        },
    )
    # The page again, with what was typed and why it was not done.
    assert nowhere.status_code == 400
    said = nowhere.content.decode()
    assert "No place is called Zzyxq" in said and 'value="the chief called"' in said
    # Namesakes are asked about, not the first one taken (GRID3 has many Majengo).
    several = officer.post(
        f"/alerts/{alert.pk}/correct/",
        {"threat_type": alert.threat_type, "severity": alert.severity, "place": "Majengo"},
    )
    assert several.status_code == 400
    assert "Majengo may be several places; choose one, or give its id" in several.content.decode()
    alert.refresh_from_db()
    assert alert.place is None
    placed = officer.post(
        f"/alerts/{alert.pk}/correct/",
        {"threat_type": alert.threat_type, "severity": alert.severity, "place": "Mbau"},
        follow=True,
    )
    alert.refresh_from_db()
    assert alert.place is not None and alert.place.name == "Mbau", alert.routing_reason
    assert alert.base.code == "beni", alert.routing_reason
    assert f"{alert.reference} corrected." in placed.content.decode()
    # Now Beni's: Alice sees it, and a correction that sends it to Goma takes it from her.
    assert alice.get(f"/alerts/{alert.pk}/").status_code == 200
    away = alice.post(
        f"/alerts/{alert.pk}/correct/",
        {
            "threat_type": alert.threat_type,
            "severity": alert.severity,
            "place_id": personas["goma_ville"].place.pk,
        },
        follow=True,
    )
    assert "routed to Goma, outside your area" in away.content.decode()
    assert alice.get(f"/alerts/{alert.pk}/").status_code == 404


def test_a_step_refused_for_its_input_keeps_what_was_typed_and_names_the_field(
    personas: dict[str, Any], alert: Alert
) -> None:
    client = Client()
    client.force_login(personas["alice"])
    words = "Doria imefika " * 11  # 154 characters, for an SMS of at most 100
    response = client.post(
        f"/alerts/{alert.pk}/close/", {"outcome": "mitigated", "feedback_sw": words, "note": "n"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not done: Words for the reporters in Kiswahili (1): Ensure this value has" in page
    assert f'value="{words}"' in page  # what was typed is still there
    assert "<details open><summary>Close the alert" in page
    alert.refresh_from_db()
    assert alert.status == "received"
    assert not AuditEntry.objects.filter(action="alerts.close").exists()


def test_the_routing_reason_is_shown_in_the_readers_language(
    personas: dict[str, Any], alert: Alert
) -> None:
    from ulinzi.alerts.templatetags.alert_words import routing_reason

    assert alert.routing_reason == "Mbau is in the area of Beni"
    # So is why its report opened it (stored in English, with its figures).
    opened = "new alert: no open alert within 8 km and 12 h"
    alert.reports.update(grouping_reason=opened)
    client = Client()
    client.force_login(make_user("amani", "duty_officer", whole_mission=True, language="fr"))
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "(Mbau est dans la zone de Beni)" in page
    assert ": Mbau est dans la zone de Beni</li>" in page  # the timeline's first step
    assert "nouvelle alerte : aucune alerte ouverte à moins de 8 km et 12 h" in page
    assert opened not in page
    # Each form it is stored in; anything else as it is.
    from django.utils import translation

    with translation.override("fr"):
        assert routing_reason("nearest base (12 km)") == "base la plus proche (12 km)"
        assert routing_reason("no base is configured") == "aucune base n'est configurée"
        assert (
            routing_reason("no place given: kept at Beni, base of A-7")
            == "aucun lieu donné : gardée à Beni, base de A-7"
        )
        assert routing_reason("routed by hand") == "routed by hand"
    with translation.override("en"):
        assert routing_reason("nearest base (12 km)") == "nearest base (12 km)"
    translation.deactivate()  # the French reader's request left French on this thread


def test_an_alert_nobody_responded_to_is_not_closed_as_addressed(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    """ "Mitigated" from "acknowledged" would count in the figures as an alert addressed
    and tell the reporters the mission acted."""
    alice = personas["alice"]
    domain.acknowledge_alert(actor=alice, alert=alert)
    for outcome in ("prevented", "mitigated", "response_too_late"):
        with pytest.raises(domain.TransitionRefused, match="no responder was notified"):
            domain.close_alert(actor=alice, alert=alert, outcome=outcome)
    assert not Message.objects.filter(purpose="feedback").exists()
    domain.verify_alert(actor=alice, alert=alert, result="verified")
    domain.notify_responders(actor=alice, alert=alert, responders=[company])
    closed = domain.close_alert(actor=alice, alert=alert, outcome="mitigated")
    assert closed.status == "closed"


def test_a_responder_is_dispatched_once(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    alice = personas["alice"]
    notified(alice, alert, company)
    domain.dispatch_response(actor=alice, alert=alert, responder=company)
    with pytest.raises(domain.TransitionRefused, match="was dispatched to .* already"):
        domain.dispatch_response(actor=alice, alert=alert, responder=company)  # double click
    assert alert.dispatches.count() == 1 and alert.steps.filter(step="dispatch").count() == 1
    # The page offers the units not sent yet, apart from the step that follows.
    client = Client()
    client.force_login(alice)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "<legend>Responders on site</legend>" in page
    assert "<legend>Send another unit</legend>" in page
    assert f'value="{company.pk}"' not in page
    assert "Every unit of this base has been sent." in page


def test_merging_keeps_what_was_done_for_either_alert(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    """An alert dispatched to, merged into a newer one nobody acted on: the one incident
    is dispatched to, since the first report."""
    alice = personas["alice"]
    notified(alice, alert, company)
    domain.dispatch_response(actor=alice, alert=alert, responder=company)
    alert.refresh_from_db()
    newer = sms_report(  # put at Goma by mistake: a new alert there
        "+243971234999", "Risasi Mbau Centre", Place.objects.get(key="geonames:216281")
    ).alert
    assert newer.pk != alert.pk
    kept = domain.merge_alerts(actor=alice, alert=alert, into=newer)
    kept.refresh_from_db()
    assert kept.status == "dispatched"
    assert (kept.received_at, kept.acknowledged_at, kept.dispatched_at) == (
        alert.received_at,
        alert.acknowledged_at,
        alert.dispatched_at,
    )
    assert list(kept.dispatches.values_list("responder", flat=True)) == [company.pk]
    domain.mark_on_site(actor=alice, alert=kept)  # the work goes on where it was


def test_a_closed_alert_is_not_split_nor_moved_by_a_late_answer(
    personas: dict[str, Any], alert: Alert
) -> None:
    alice = personas["alice"]
    report = sms_report("+243971234568", "Watu wenye silaha wameua watu usiku huu")
    domain.merge_alerts(actor=alice, alert=report.alert, into=alert)
    report.refresh_from_db()
    domain.close_alert(actor=alice, alert=alert, outcome="no_response_possible")
    with pytest.raises(domain.TransitionRefused, match="closed already"):
        domain.split_report(actor=alice, report=report)
    # The reporter answers "where?" from before the close with a place far away.
    question = domain.Clarification.objects.create(
        report=report, options=[], asked_at=alert.received_at
    )
    goma = Place.objects.get(key="geonames:216281")
    domain._apply_answer(question, goma, "Goma", report.reporter)
    alert.refresh_from_db()
    assert alert.reports.count() == 2 and alert.status == "closed"
    assert alert.place.name == "Mbau" and Alert.objects.count() == 2  # the merged one


def test_a_report_split_off_without_a_place_stays_at_its_alerts_base(
    personas: dict[str, Any], alert: Alert
) -> None:
    report = sms_report("+243971234568", "Watu wenye silaha wameua watu usiku huu")
    domain.merge_alerts(actor=personas["alice"], alert=report.alert, into=alert)
    report.refresh_from_db()
    new = domain.split_report(actor=personas["alice"], report=report)
    assert new.place is None and new.base == personas["beni"] == alert.base
    assert new.routing_reason == f"no place given: kept at Beni, base of {alert.reference}"


def test_the_hotline_form_says_what_is_wrong_with_every_field(personas: dict[str, Any]) -> None:
    """A stale page or a tampered post (a source or a chosen place that is not one) is
    refused with the reason shown, and what was typed is kept."""
    client = Client()
    client.force_login(personas["alice"])
    page = client.post(
        "/alerts/new/",
        {"source": "telepathy", "text": "Hommes armés vus ce matin", "place_id": "abc"},
    )
    assert page.status_code == 400 and not Report.objects.exists()
    html = page.content.decode()
    assert "Select a valid choice. telepathy is not one of the available choices." in html
    assert "The place chosen: Enter a whole number." in html
    assert "Hommes armés vus ce matin" in html


def test_each_reporter_is_told_in_their_own_language(
    personas: dict[str, Any], alert: Alert, company: Responder
) -> None:
    """Two reporters of one incident, in Swahili and in French: the closing form asks for
    words in each language, and each reporter gets theirs."""
    french = sms_report(
        "+243971234999", "Des hommes armés ont tué deux personnes à Mbau cette nuit", alert.place
    ).reporter
    assert alert.reports.count() == 2
    client = Client()
    client.force_login(personas["alice"])
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Words for the reporters in Kiswahili (1)" in page
    assert "Words for the reporters in Français (1)" in page
    alice = personas["alice"]
    notified(alice, alert, company)
    closed = client.post(
        f"/alerts/{alert.pk}/close/",
        {
            "outcome": "mitigated",
            "feedback_sw": "Askari walifika.",
            "feedback_fr": "La patrouille est venue.",
        },
    )
    assert closed.status_code == 302
    said = {m.reporter_id: m.text for m in Message.objects.filter(purpose="feedback")}
    assert said[french.pk].endswith("La patrouille est venue.")
    assert "Askari" not in said[french.pk]
    [swahili] = [text for pk, text in said.items() if pk != french.pk]
    assert swahili.endswith("Askari walifika.") and swahili.startswith("Kumb ")


def test_a_false_alarm_merged_in_does_not_make_the_incident_one(
    personas: dict[str, Any], alert: Alert
) -> None:
    alice = personas["alice"]
    fragment = sms_report("+243971234998", "Risasi", Place.objects.get(key="geonames:216281")).alert
    domain.acknowledge_alert(actor=alice, alert=fragment)
    domain.verify_alert(actor=alice, alert=fragment, result="false_alarm")
    kept = domain.merge_alerts(actor=alice, alert=fragment, into=alert)
    kept.refresh_from_db()
    assert (kept.status, kept.verified_at) == ("acknowledged", None)
    domain.verify_alert(actor=alice, alert=kept, result="verified")  # judged on its own


def test_a_report_fitting_an_alert_closed_a_moment_ago_opens_one_and_says_why(
    personas: dict[str, Any], alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grouping chose the alert against the open alerts as they were; it was closed
    before the report was written: the report opens a new alert, and its reason says so."""
    from ulinzi.alerts import live

    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.CLOSED)
    monkeypatch.setattr(
        live,
        "decide",
        lambda *args: (alert.pk, f"0.1 km and 5 min from alert {alert.reference}", ()),
    )
    report = domain.receive_report(
        source="hotline",
        text="Watu wenye silaha bado wako Mbau",
        place=Place.objects.get(kind="health_area", name="Mbau"),
    )
    assert report.alert_id != alert.pk and report.alert.status == Alert.Status.RECEIVED
    assert report.grouping_reason == f"new alert: the alert it fits, {alert.reference}, was closed"
