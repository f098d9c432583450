"""Patrol requests through their lifecycle, the weekly plan on the database, patrol
records, the answers to the community, the figures, and the whole path in a browser."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone, translation

from ulinzi.alerts.models import Report
from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Message
from ulinzi.patrols import domain, planner, texts
from ulinzi.patrols.models import Answer, Patrol, PatrolRequest, WeeklyPlan
from ulinzi.test import log_in_browser, make_user, verified_client

pytestmark = pytest.mark.django_db
# Next week's Monday: a plan is for days ahead (days past are not planned).
MONDAY = domain.week_of(timezone.localdate()) + dt.timedelta(days=7)
PHONE = "+243971112233"


@pytest.fixture
def channel(personas: dict[str, Any]) -> Any:
    return messaging.create_channel(actor="test", name="gateway", send_url="console:")


@pytest.fixture
def planner_user(personas: dict[str, Any]) -> Any:
    return make_user("paul", "patrol_planner", whole_mission=True)


def new_request(personas: dict[str, Any], **overrides: Any) -> PatrolRequest:
    values: dict[str, Any] = {
        "actor": "test",
        "community": personas["mbau"],
        "kind": "night",
        "place": personas["mbau"].place,
        "weekdays": [0, 2, 4],
        "shift": "night",
        "start_time": dt.time(19),
        "end_time": dt.time(5),
        "valid_from": MONDAY,
        "valid_until": MONDAY + dt.timedelta(days=13),
        "per_week": 3,
        "priority": 4,
        "beneficiaries": 3000,
        "group": "Women's association",
        "phone": PHONE,
        "language": "sw",
    }
    values.update(overrides)
    return domain.create_request(**values)


def only_beni_with_one_team(personas: dict[str, Any], planner_user: Any, **beni: Any) -> Any:
    """Beni with one team by day and one by night (or as ``beni`` says); Goma with none."""
    domain.save_capacity(
        actor=planner_user,
        base=personas["beni"],
        **{"day_teams": 1, "night_teams": 1, "vehicles": 1, "max_km": 80, **beni},
    )
    domain.save_capacity(
        actor=planner_user, base=personas["goma"], day_teams=0, night_teams=0, vehicles=0, max_km=10
    )
    return personas["beni"]


def sms_texts() -> list[str]:
    return list(
        Message.objects.filter(direction="out", purpose="patrol_answer")
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_lifecycle_answers_the_community_in_its_language(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    request = new_request(personas)
    assert request.status == "received" and request.focal_point is not None
    domain.accept_request(actor=planner_user, request=request)
    with pytest.raises(domain.TransitionRefused, match="cannot be accepted"):
        domain.accept_request(actor=planner_user, request=request)
    plan = domain.plan_week(actor=planner_user, week_start=MONDAY)
    patrols = list(Patrol.objects.filter(request=request))
    assert len(patrols) == 3 and {p.shift for p in patrols} == {"night"}
    assert {p.day.weekday() for p in patrols} == {0, 2, 4}
    domain.approve_plan(actor=planner_user, plan=plan)
    request.refresh_from_db()
    assert request.status == "scheduled" and request.weeks_unmet == 0
    with pytest.raises(domain.TransitionRefused, match="Record every patrol"):
        domain.close_request(actor=planner_user, request=request)
    for i, patrol in enumerate(patrols):
        if i < 2:
            domain.record_patrol(actor=planner_user, patrol=patrol, conducted=True, met_women=12)
        else:
            domain.record_patrol(
                actor=planner_user,
                patrol=patrol,
                conducted=False,
                not_conducted_reason="vehicle broke down",
            )
    closed = domain.close_request(actor=planner_user, request=request)
    assert closed.status == "informed" and closed.outcome == "partly_done"
    said = sms_texts()
    assert len(said) == 3
    assert said[0] == texts.answer(
        "accepted", "sw", ref=request.reference, kind="night", place="Mbau"
    )
    assert said[0].startswith(f"Misheni {request.reference}: ombi lenu la doria ya usiku")
    assert "imepangwa" in said[1]  # scheduled, with the dates
    assert said[2].startswith(f"Misheni {request.reference}: 2 kati ya 3")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "patrols.create_request",
        "patrols.accept_request",
        "patrols.plan_week",
        "patrols.approve_plan",
        "patrols.record_patrol",
        "patrols.close_request",
    } <= actions


def test_a_decline_carries_a_reason_and_nothing_goes_to_an_opted_out_number(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    request = new_request(personas, language="fr")
    with pytest.raises(domain.TransitionRefused, match="reason"):
        domain.decline_request(actor=planner_user, request=request, reason="no")
    messaging.set_opt_out(request.focal_point, opted_out=True, source="test")
    domain.decline_request(
        actor=planner_user, request=request, reason="la route est coupee par la riviere"
    )
    request.refresh_from_db()
    assert request.status == "declined" and request.informed_at is None
    answer = Answer.objects.get(request=request)
    assert "Raison: la route est coupee par la riviere" in answer.text
    assert answer.message is not None and answer.message.status == "suppressed"
    assert not Message.objects.filter(purpose="patrol_answer", status="queued").exists()


def test_without_a_number_the_answers_go_to_the_communitys_focal_point(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    from ulinzi.engagement import domain as engagement

    alone = new_request(personas, phone=None, language="")
    assert alone.focal_point is None  # Mbau has no focal point yet: nobody to tell
    chief = engagement.register_focal_point(
        actor="test", phone="+243971110001", community=personas["mbau"], role="chief", language="ln"
    )
    engagement.register_focal_point(
        actor="test", phone="+243971110002", community=personas["mbau"], role="women", language="fr"
    )
    request = new_request(personas, phone=None, language="")
    assert request.focal_point == chief.reporter and request.language == "ln"
    domain.decline_request(
        actor=planner_user, request=request, reason="the road is cut by the river"
    )
    sent = Message.objects.get(purpose="patrol_answer")
    assert sent.reporter == chief.reporter and sent.status == "queued"
    assert sent.text.startswith(f"Mission {request.reference}: tokoki kosala")
    # A long reason goes whole, in as many SMS parts as it takes; a longer one is refused.
    reason = "the bridge at Mbau is down and every team of the base escorts the vaccination"
    reason += " campaign all month; we will plan your night patrols again as soon as it ends"
    assert 150 < len(reason) <= 300
    other = new_request(personas, phone=None, language="fr")
    with pytest.raises(domain.TransitionRefused, match="300"):
        domain.decline_request(actor=planner_user, request=other, reason="x " * 151)
    domain.decline_request(actor=planner_user, request=other, reason=reason)
    last = Message.objects.filter(purpose="patrol_answer").latest("id")
    assert last.text.endswith(f"Raison: {reason}") and last.parts >= 2


def test_a_patrol_is_recorded_once_it_went_out_and_until_its_request_is_closed(
    personas: dict[str, Any], channel: Any, planner_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = new_request(personas)  # Monday, Wednesday, Friday nights, 19:00-05:00
    domain.accept_request(actor=planner_user, request=request)
    domain.approve_plan(
        actor=planner_user, plan=domain.plan_week(actor=planner_user, week_start=MONDAY)
    )
    monday, wednesday, friday = Patrol.objects.filter(request=request).order_by("day")
    monkeypatch.setattr(domain, "today", lambda: MONDAY + dt.timedelta(days=2))
    with pytest.raises(domain.TransitionRefused, match="has not gone out yet"):
        domain.record_patrol(actor=planner_user, patrol=friday, conducted=True)
    # Called off ahead of its day: that can be said at once.
    domain.record_patrol(
        actor=planner_user, patrol=friday, conducted=False, not_conducted_reason="no fuel"
    )
    # Recorded in any order, the first patrol is the earliest that went out, at its hour.
    domain.record_patrol(actor=planner_user, patrol=wednesday, conducted=True)
    domain.record_patrol(
        actor=planner_user, patrol=monday, conducted=True, started_at=dt.time(1, 30)
    )
    request.refresh_from_db()
    local = timezone.localtime(request.first_patrol_at)
    assert (local.date(), local.time()) == (MONDAY + dt.timedelta(days=1), dt.time(1, 30))
    closed = domain.close_request(actor=planner_user, request=request)
    assert closed.outcome == "partly_done"
    with pytest.raises(domain.TransitionRefused, match="is closed"):
        domain.record_patrol(
            actor=planner_user, patrol=friday, conducted=False, not_conducted_reason="rain"
        )


def test_closing_counts_what_the_community_asked_for_not_what_was_planned(
    personas: dict[str, Any], channel: Any, planner_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three night patrols a week asked for one week; Beni can go out only on the Monday.
    away = [MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=4)]
    only_beni_with_one_team(personas, planner_user, unavailable_days=away)
    request = new_request(personas, valid_until=MONDAY + dt.timedelta(days=6))
    assert domain.asked_for(request, MONDAY + dt.timedelta(days=30)) == 3
    assert domain.asked_for(request, MONDAY + dt.timedelta(days=2)) == 2  # Monday, Wednesday
    domain.accept_request(actor=planner_user, request=request)
    domain.approve_plan(
        actor=planner_user, plan=domain.plan_week(actor=planner_user, week_start=MONDAY)
    )
    (only,) = Patrol.objects.filter(request=request)
    domain.record_patrol(actor=planner_user, patrol=only, conducted=True)
    closed = domain.close_request(actor=planner_user, request=request)
    assert closed.outcome == "partly_done"
    assert sms_texts()[-1].startswith(f"Misheni {request.reference}: 1 kati ya 3 doria ya usiku")
    # Accepted and never scheduled: closed as not done only once its last day has passed.
    idle = new_request(personas, valid_until=MONDAY + dt.timedelta(days=6), phone=None)
    domain.accept_request(actor=planner_user, request=idle)
    monkeypatch.setattr(domain, "today", lambda: MONDAY + dt.timedelta(days=3))
    with pytest.raises(domain.TransitionRefused, match="has no patrol yet"):
        domain.close_request(actor=planner_user, request=idle)
    monkeypatch.setattr(domain, "today", lambda: MONDAY + dt.timedelta(days=7))
    assert domain.close_request(actor=planner_user, request=idle).outcome == "not_done"


def test_capacity_is_respected_and_the_left_out_request_is_explained(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    beni = only_beni_with_one_team(personas, planner_user)
    # Mbau is close enough to Beni for its one night team to hold two night patrols of
    # 3 hours there in one night (8 hours with the drive), not three.
    place = personas["mbau"].place
    assert planner.haversine_km(beni.lat, beni.lon, place.lat, place.lon) < 19
    strong = new_request(personas, priority=5, beneficiaries=8000, weekdays=[1], per_week=1)
    middle = new_request(personas, priority=3, beneficiaries=2000, weekdays=[1], per_week=1)
    weak = new_request(personas, priority=1, beneficiaries=50, weekdays=[1], per_week=1, phone=None)
    for r in (strong, middle, weak):
        domain.accept_request(actor=planner_user, request=r)
    plan = domain.plan_week(actor=planner_user, week_start=MONDAY)
    tuesday_nights = Patrol.objects.filter(day=MONDAY + dt.timedelta(days=1), shift="night")
    assert {p.request_id for p in tuesday_nights} == {strong.pk, middle.pk}
    assert {(p.base_id, p.shift) for p in tuesday_nights} == {(beni.pk, "night")}
    reasons = plan.explanations[str(weak.pk)]
    assert reasons[0] == "Mbau requested 1 night patrol, none scheduled"
    assert reasons[1] == (
        "no night team free on Tuesday at Beni: 1 night patrol, given to higher-value "
        "requests (Mbau)"
    )
    # A French-speaking planner reads them in French on the plan's page.
    assert plan.said["fr"][str(weak.pk)] == [
        "Mbau a demandé 1 patrouille de nuit, aucune programmée",
        "aucune équipe de nuit libre le mardi à Beni : 1 patrouille de nuit, attribuée à des "
        "demandes de plus grande valeur (Mbau)",
    ]
    french = verified_client(
        make_user("pierre", "patrol_planner", whole_mission=True, language="fr")
    )
    page = french.get("/patrols/plan/", {"week": MONDAY.isoformat()}).content.decode()
    assert "Mbau a demandé 1 patrouille de nuit, aucune programmée" in page
    assert "none scheduled" not in page
    assert plan.solver_status == "optimal" and "optimal (prouvé), " in page
    # Approving counts a week unmet for the left-out request: it rises next time.
    domain.approve_plan(actor=planner_user, plan=plan)
    weak.refresh_from_db()
    assert weak.weeks_unmet == 1 and weak.status == "accepted"


def test_a_plan_approved_again_tells_only_what_changed_and_counts_the_week_once(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    only_beni_with_one_team(personas, planner_user)
    strong = new_request(personas, priority=5, beneficiaries=8000, weekdays=[1], per_week=1)
    middle = new_request(
        personas, priority=3, beneficiaries=2000, weekdays=[1], per_week=1, language="fr"
    )
    weak = new_request(personas, priority=1, beneficiaries=50, weekdays=[1], per_week=1)
    for r in (strong, middle, weak):
        domain.accept_request(actor=planner_user, request=r)

    def approve_again() -> None:
        plan = domain.plan_week(actor=planner_user, week_start=MONDAY)
        domain.approve_plan(actor=planner_user, plan=plan)

    def unmet() -> list[int]:
        return [PatrolRequest.objects.get(pk=r.pk).weeks_unmet for r in (strong, middle, weak)]

    approve_again()
    scheduled = sms_texts()[3:]
    assert len(scheduled) == 2 and unmet() == [0, 0, 1]
    # Planned and approved again with nothing changed: nobody is told twice, and the
    # left-out request's week is not counted a second time.
    approve_again()
    assert sms_texts()[3:] == scheduled and unmet() == [0, 0, 1]
    # Beni loses its night team: the dates given to two communities no longer hold.
    only_beni_with_one_team(personas, planner_user, night_teams=0)
    approve_again()
    told = sms_texts()[5:]
    tuesday = (MONDAY + dt.timedelta(days=1)).strftime("%d/%m")
    assert told == [
        texts.answer(
            "cancelled", "sw", ref=strong.reference, kind="night", place="Mbau", days=tuesday
        ),
        texts.answer(
            "cancelled", "fr", ref=middle.reference, kind="night", place="Mbau", days=tuesday
        ),
    ]
    assert unmet() == [1, 1, 1]
    # The team is back: the two are scheduled again, told again, and met this week.
    only_beni_with_one_team(personas, planner_user)
    approve_again()
    again = sms_texts()[7:]
    assert len(again) == 2 and all("imepangwa" in t or "prévue" in t for t in again)
    assert unmet() == [0, 0, 1]
    plan = WeeklyPlan.objects.get(week_start=MONDAY)
    tuesday = (MONDAY + dt.timedelta(days=1)).isoformat()
    assert plan.told == {str(strong.pk): [tuesday], str(middle.pk): [tuesday], str(weak.pk): []}


def test_a_patrol_stays_no_longer_than_the_hours_asked_for(personas: dict[str, Any]) -> None:
    night = new_request(personas, phone=None)  # 19:00 to 05:00: a night patrol's 3 hours
    early = new_request(
        personas, kind="water_point", start_time=dt.time(6), end_time=dt.time(7), phone=None
    )
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert domain._planner_request(night, MONDAY, [], now, {}).hours == 3.0
    assert domain._planner_request(early, MONDAY, [], now, {}).hours == 1.0


def test_a_fixed_patrol_is_kept_and_planned_around(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    request = new_request(personas, weekdays=[0, 1, 2, 3, 4, 5, 6], per_week=2)
    domain.accept_request(actor=planner_user, request=request)
    saturday = MONDAY + dt.timedelta(days=5)
    domain.fix_patrol(
        actor=planner_user, request=request, base=personas["beni"], day=saturday, shift="night"
    )
    domain.plan_week(actor=planner_user, week_start=MONDAY)
    patrols = Patrol.objects.filter(request=request)
    assert patrols.count() == 2
    assert patrols.filter(day=saturday, fixed=True).exists()


def test_a_fix_the_plan_cannot_keep_names_the_request_as_people_know_it(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    only_beni_with_one_team(personas, planner_user)
    request = new_request(personas, weekdays=[0], per_week=1)
    domain.accept_request(actor=planner_user, request=request)
    goma = personas["goma"]
    domain.fix_patrol(actor=planner_user, request=request, base=goma, day=MONDAY, shift="night")
    said = rf"^{request.reference} \(Mbau\): fixed patrol from {goma.name} "
    with pytest.raises(ValueError, match=said):
        domain.plan_week(actor=planner_user, week_start=MONDAY)
    # In the planner's language.
    said = rf"^{request.reference} \(Mbau\) : patrouille fixée depuis {goma.name} pour le "
    with translation.override("fr"), pytest.raises(ValueError, match=said) as refused:
        domain.plan_week(actor=planner_user, week_start=MONDAY)
    assert "au-delà de sa limite" in str(refused.value) or "pas disponible" in str(refused.value)


def test_an_incident_seen_on_patrol_becomes_a_report(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    request = new_request(personas, weekdays=[0], per_week=1)
    domain.accept_request(actor=planner_user, request=request)
    domain.plan_week(actor=planner_user, week_start=MONDAY)
    patrol = Patrol.objects.get(request=request)
    seen = "Maisons brûlées à Mbau, hommes armés vus"
    Patrol.objects.filter(pk=patrol.pk).update(incidents=seen)
    client = verified_client(planner_user)
    # The record's "incidents seen" is what the report form offers to send.
    page = client.get(f"/patrols/{patrol.pk}/record/")
    assert page.context["incident_form"].initial["text"] == seen
    response = client.post(f"/patrols/{patrol.pk}/incident/", {"text": seen})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.source == Report.Source.PATROL and report.text == seen
    assert report.alert.place_id == request.place_id
    patrol.refresh_from_db()
    assert patrol.incident_alert_id == report.alert_id
    # Once reported, it is not offered again, and a second report is refused.
    page = client.get(f"/patrols/{patrol.pk}/record/").content.decode()
    assert f'/alerts/{report.alert_id}/">{report.alert.reference}</a>' in page
    assert f'action="/patrols/{patrol.pk}/incident/"' not in page
    again = client.post(f"/patrols/{patrol.pk}/incident/", {"text": "Encore des tirs"}, follow=True)
    assert "was reported already" in again.content.decode()
    assert Report.objects.count() == 1
    # Too short a description is a message, not a server error.
    Patrol.objects.filter(pk=patrol.pk).update(incident_alert=None)
    short = client.post(f"/patrols/{patrol.pk}/incident/", {"text": "x"}, follow=True)
    assert short.status_code == 200 and "Describe the incident." in short.content.decode()


def test_the_request_page_shows_the_days_asked_for_and_the_alerts_behind_it(
    personas: dict[str, Any], planner_user: Any
) -> None:
    from ulinzi.alerts import domain as alerts

    alert = alerts.receive_report(
        source="hotline", text="Hommes armés à Mbau", place=personas["mbau"].place
    ).alert
    request = new_request(personas, alerts=[alert], phone=None)
    page = verified_client(planner_user).get(f"/patrols/requests/{request.pk}/").content.decode()
    assert "Monday, Wednesday, Friday · night" in page
    assert f'<a href="/alerts/{alert.pk}/">{alert.reference}</a>' in page


def test_date_and_time_fields_start_filled_in_french_too(
    personas: dict[str, Any], planner_user: Any
) -> None:
    """A browser's date picker takes only 2026-12-07: a French 07/12/2026 shows empty."""
    planner_user.language = "fr"
    planner_user.save(update_fields=["language"])
    page = verified_client(planner_user).get("/patrols/requests/new/").content.decode()
    shown = re.search(r'type="date" name="valid_from" value="([^"]*)"', page)
    assert shown is not None, page
    assert dt.date.fromisoformat(shown[1]) >= timezone.localdate()  # not 20/12/2026
    assert 'type="time" name="start_time"' in page


def test_a_community_page_links_patrol_requests_only_for_roles_that_may_open_them(
    personas: dict[str, Any], planner_user: Any
) -> None:
    request = new_request(personas)
    url = f"/engagement/communities/{personas['mbau'].pk}/"
    link = f'href="/patrols/requests/{request.pk}/"'
    pio = verified_client(make_user("pio", "public_information", whole_mission=True))
    page = pio.get(url).content.decode()
    assert request.reference in page and link not in page
    assert pio.get(f"/patrols/requests/{request.pk}/").status_code == 403  # the premise
    liaison = verified_client(make_user("lia", "liaison", whole_mission=True))
    assert link in liaison.get(url).content.decode()


def test_pages_roles_and_bad_input(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    client = verified_client(planner_user)
    assert client.get("/patrols/").status_code == 200
    bad = client.post(
        "/patrols/requests/new/",
        {
            "community": personas["mbau"].pk,
            "kind": "market",
            "weekdays": ["1"],
            "shift": "day",
            "start_time": "06:00",
            "end_time": "12:00",
            "valid_from": "2026-12-20",
            "valid_until": "2026-12-01",
            "per_week": "1",
            "priority": "9",
            "beneficiaries": "10",
            "language": "fr",
        },
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "The last day is before the first day." in page
    assert not PatrolRequest.objects.exists()
    good = client.post(
        "/patrols/requests/new/",
        {
            "community": personas["mbau"].pk,
            "kind": "market",
            "weekdays": ["1"],
            "shift": "day",
            "start_time": "06:00",
            "end_time": "12:00",
            "valid_from": "2026-12-01",
            "valid_until": "2026-12-31",
            "per_week": "1",
            "priority": "3",
            "beneficiaries": "10",
            "language": "fr",
            "phone": "not a number",
        },
    )
    assert good.status_code == 400
    assert "This is not a valid phone number: check its digits." in good.content.decode()
    # A typo that a gateway's number rules would let through (letters read as digits, too
    # short for a DRC mobile) is refused in a form.
    for typo in ("0971 23 45 xx", "09712345"):
        refused = client.post(
            "/patrols/requests/new/", {**good.wsgi_request.POST.dict(), "phone": typo}
        )
        assert list(refused.context["form"].errors) == ["phone"], typo
    assert not PatrolRequest.objects.exists()
    viewer = verified_client(make_user("vera", "viewer", whole_mission=True))
    assert viewer.get("/patrols/").status_code == 403
    # Bob (Goma) does not see a request at Mbau (Beni's area).
    request = new_request(personas, phone=None)
    bob = verified_client(personas["bob"])
    assert bob.get(f"/patrols/requests/{request.pk}/").status_code == 404
    alice = verified_client(personas["alice"])
    assert alice.get(f"/patrols/requests/{request.pk}/").status_code == 200
    assert alice.post(f"/patrols/requests/{request.pk}/accept/").status_code == 403
    assert client.get("/patrols/figures/").status_code == 200
    assert client.get("/patrols/capacity/").status_code == 200
    wednesday = (MONDAY + dt.timedelta(days=2)).isoformat()
    assert client.get("/patrols/plan/", {"week": wednesday}).context["week"] == MONDAY


def test_a_planner_of_one_area_sees_and_fixes_only_its_bases_and_requests(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    mbau = new_request(personas, weekdays=[0], per_week=1, phone=None)
    goma = new_request(
        personas,
        community=personas["goma_ville"],
        place=personas["goma_ville"].place,
        weekdays=[0],
        per_week=1,
        phone=None,
    )
    for request in (mbau, goma):
        domain.accept_request(actor=planner_user, request=request)
    domain.plan_week(actor=planner_user, week_start=MONDAY)
    assert {p.base for p in Patrol.objects.all()} == {personas["beni"], personas["goma"]}
    pia = verified_client(make_user("pia", "patrol_planner", bases=[personas["beni"]]))
    page = pia.get("/patrols/plan/", {"week": MONDAY.isoformat()})
    assert [row["base"] for row in page.context["rows"]] == [personas["beni"]]
    assert page.context["considered"] == [mbau]
    assert personas["goma"] not in page.context["bases"]
    assert "Goma ville" not in page.content.decode()
    # The plan is the mission's: she neither runs, fixes nor approves it; nor removes
    # Goma's patrol.
    assert "Plan again" not in page.content.decode()
    fix = {"action": "fix", "week": MONDAY.isoformat(), "day": MONDAY.isoformat()}
    for values in ({"action": "run"}, {"action": "approve"}, {"request": mbau.pk, "base": "beni"}):
        answer = pia.post("/patrols/plan/", {**fix, **values, "shift": "night"}, follow=True)
        assert "a planner of the whole mission runs and approves it" in answer.content.decode()
    assert not Patrol.objects.filter(fixed=True).exists()
    assert WeeklyPlan.objects.get().status == "proposed"
    # Nor does a base whose area overlaps Beni's see Beni's patrols.
    from ulinzi.test import make_base

    oicha = make_base("cob-oicha", "Oicha COB", ["CD6107"])
    olga = verified_client(make_user("olga", "patrol_planner", bases=[oicha]))
    overlap = olga.get("/patrols/plan/", {"week": MONDAY.isoformat()})
    assert overlap.context["rows"] == []
    beni_patrol = Patrol.objects.get(base=personas["beni"])
    assert olga.get(f"/patrols/{beni_patrol.pk}/record/").status_code == 404
    goma_patrol = Patrol.objects.get(base=personas["goma"])
    removed = pia.post(
        "/patrols/plan/", {"action": "remove", "week": MONDAY.isoformat(), "patrol": goma_patrol.pk}
    )
    assert removed.status_code == 404
    # Before the week is planned, nothing is said to be met.
    later = (MONDAY + dt.timedelta(days=14)).isoformat()
    assert (
        "The week is not planned yet."
        in pia.get("/patrols/plan/", {"week": later}).content.decode()
    )


def test_the_record_form_shows_what_was_recorded_and_warns_of_a_patrol_ahead(
    personas: dict[str, Any], channel: Any, planner_user: Any, recorded_after_next_week: dt.date
) -> None:
    request = new_request(personas, weekdays=[0], per_week=1, phone=None)
    domain.accept_request(actor=planner_user, request=request)
    domain.plan_week(actor=planner_user, week_start=MONDAY)
    patrol = Patrol.objects.get()
    client = verified_client(planner_user)
    url = f"/patrols/{patrol.pk}/record/"
    assert client.get(url).context["form"].initial == {}
    saved = client.post(
        url,
        {
            "conducted": "1",
            "met_women": "25",
            "met_men": "3",
            "met_girls": "0",
            "met_boys": "0",
            "observations": "Calme",
            "started_at": "19:30",
        },
    )
    assert saved.status_code == 302
    assert Patrol.objects.get().started_at == dt.time(19, 30)
    page = client.get(url)
    initial = page.context["form"].initial
    assert (initial["conducted"], initial["met_women"], initial["observations"]) == (
        "1",
        25,
        "Calme",
    )
    assert "Recorded on " in page.content.decode() and not page.context["ahead"]
    # Saved again with the time left empty: the time is cleared, not kept.
    again = {k: v for k, v in page.context["form"].initial.items() if v not in (None, "")}
    client.post(url, {**again, "started_at": ""})
    assert Patrol.objects.get().started_at is None
    # A patrol of a day to come says so before anything is typed.
    Patrol.objects.filter(pk=patrol.pk).update(day=recorded_after_next_week + dt.timedelta(days=3))
    ahead = client.get(url)
    assert ahead.context["ahead"] and "record it once it has gone out" in ahead.content.decode()


def test_tonights_patrol_is_not_recorded_as_conducted_before_it_leaves(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    request = new_request(personas, weekdays=[0], per_week=1, phone=None)
    domain.accept_request(actor=planner_user, request=request)
    domain.plan_week(actor=planner_user, week_start=MONDAY)
    patrol = Patrol.objects.get()
    today = timezone.localdate()
    Patrol.objects.filter(pk=patrol.pk).update(day=today, shift="night")
    patrol.refresh_from_db()
    # Two hours from now, whatever the hour: tonight's patrol has not left.
    leaves = (timezone.localtime() + dt.timedelta(hours=2)).time().replace(second=0)
    with pytest.raises(domain.TransitionRefused, match="has not gone out yet: it leaves at"):
        domain.record_patrol(actor=planner_user, patrol=patrol, conducted=True, started_at=leaves)
    assert Patrol.objects.get().status == "planned"
    # That it will not go out can be said at any time.
    done = domain.record_patrol(
        actor=planner_user, patrol=patrol, conducted=False, not_conducted_reason="No fuel"
    )
    assert done.status == "not_conducted"


def test_figures_count_requests_patrols_and_answers(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    from ulinzi.patrols.figures import monthly

    request = new_request(personas, weekdays=[0], per_week=1)
    new_request(personas, phone=None)
    domain.accept_request(actor=planner_user, request=request)
    plan = domain.plan_week(actor=planner_user, week_start=MONDAY)
    domain.approve_plan(actor=planner_user, plan=plan)
    domain.record_patrol(actor=planner_user, patrol=Patrol.objects.get(), conducted=True)
    domain.close_request(actor=planner_user, request=request)
    rows = monthly(PatrolRequest.objects.all())
    requested = [r for r in rows if r["received"]]
    assert sum(r["received"] for r in requested) == 2
    assert sum(r["accepted"] for r in requested) == 1
    assert sum(r["met_full"] for r in requested) == 1
    assert sum(r["answered"] for r in requested) == 1
    assert sum(r["night_patrols"] for r in rows) == 1


@pytest.mark.browser
def test_request_plan_record_and_the_answer_at_the_gateway(
    page: Any, live_server: Any, personas: dict[str, Any], planner_user: Any
) -> None:
    import http.server
    import threading
    from urllib.parse import parse_qs

    received: list[str] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"id": "gw-1"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        messaging.create_channel(
            actor="test", name="gw", send_url=f"http://127.0.0.1:{server.server_port}/send"
        )
        log_in_browser(page, live_server.url, "paul")
        page.goto(f"{live_server.url}/patrols/requests/new/")
        page.select_option("#id_community", label="Mbau")
        page.select_option("#id_kind", "market")
        # The place from the gazetteer search, chosen with the keyboard.
        page.fill("#id_place", "Mbau Centre")
        page.wait_for_selector("#place-candidates button.candidate[data-name='Mbau Centre']")
        page.focus("#place-candidates button.candidate[data-name='Mbau Centre']")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "id_route"
        chosen = page.input_value("#id_place_id")
        assert chosen.isdigit()
        page.check("#id_weekdays_1")
        page.select_option("#id_shift", "day")
        page.fill("#id_start_time", "06:00")
        page.fill("#id_end_time", "12:00")
        page.fill("#id_valid_from", MONDAY.isoformat())
        page.fill("#id_valid_until", (MONDAY + dt.timedelta(days=27)).isoformat())
        page.fill("#id_per_week", "1")
        page.fill("#id_priority", "4")
        page.fill("#id_beneficiaries", "900")
        page.fill("#id_phone", PHONE)
        page.select_option("#id_language", "fr")
        page.click("text=Record the request")
        page.wait_for_selector("text=Accept")
        page.click("button:has-text('Accept')")
        page.goto(f"{live_server.url}/patrols/plan/?week={MONDAY.isoformat()}")
        page.click("button:has-text('Plan the week')")
        page.wait_for_selector("div.patrol")
        assert "Mbau" in page.inner_text("table.plan")
        page.click("button:has-text('Approve')")
        page.wait_for_selector("text=Plan approved")
        page.click("div.patrol a[title]")
        page.check("input[name=conducted][value='1']")
        page.fill("#id_met_women", "25")
        page.click("text=Save the record")
        page.wait_for_selector("text=Patrol recorded.")
        request = PatrolRequest.objects.get()
        assert request.status == "scheduled"
        assert request.place.pk == int(chosen) and request.place.name == "Mbau Centre"
        assert Patrol.objects.get().met_women == 25
        from django.core.management import call_command

        call_command("worker", "--once")
        assert len(received) == 2  # accepted, then scheduled with the date
        sent = [parse_qs(body)["text"][0] for body in received]
        assert sent[0].startswith(f"Mission {request.reference}: votre demande de patrouille")
        assert "est acceptée" in sent[0]
        tuesday = (MONDAY + dt.timedelta(days=1)).strftime("%d/%m")
        assert sent[1].endswith(f"prévue le {tuesday}.")
        assert all(parse_qs(body)["to"] == [PHONE] for body in received)
        assert WeeklyPlan.objects.get().status == "approved"
    finally:
        server.shutdown()


def test_a_patrol_request_by_sms_waits_for_a_call_back(personas: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    from ulinzi.alerts.models import Alert, CallbackTask
    from ulinzi.messaging.models import Channel

    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    channel = Channel.objects.get()
    response = Client().post(
        f"/channels/ext/{channel.uuid}/receive?token={channel.secret}",
        {"from": PHONE, "text": "DORIA Mbau, usiku wanawake wanaogopa", "id": "gw-77"},
    )
    assert response.status_code == 200
    call_command("worker", "--once", stdout=StringIO())
    task = CallbackTask.objects.get()
    assert task.note == "Patrol request by SMS: Mbau — usiku wanawake wanaogopa"
    assert not Alert.objects.exists()  # a request is not an alert
    reply = Message.objects.get(direction="out", purpose="patrol_answer")
    assert reply.text.startswith("Misheni: tumepokea ombi lenu la doria Mbau")
    # A caller never heard from before goes to the mission-wide call centre.
    liaison = verified_client(make_user("lia", "liaison", whole_mission=True))
    page = liaison.get("/alerts/callbacks/").content.decode()
    assert "Patrol request by SMS: Mbau" in page and "/patrols/requests/new/" in page
    # Without a place, the answer does not name an empty one.
    Client().post(
        f"/channels/ext/{channel.uuid}/receive?token={channel.secret}",
        {"from": "+243971112299", "text": "DORIA", "id": "gw-78"},
    )
    call_command("worker", "--once", stdout=StringIO())
    last = Message.objects.filter(direction="out", purpose="patrol_answer").latest("id")
    assert last.text == texts.ANSWERS["received_no_place"]["sw"]  # DORIA is Swahili


def test_risk_comes_from_the_forecast_when_there_are_events(
    personas: dict[str, Any], tmp_path: Any
) -> None:
    from django.core.cache import cache

    from ulinzi.threats import domain as threats
    from ulinzi.threats.early_warning import cached_forecast

    cache.clear()
    place = personas["mbau"].place
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert domain.forecast_risk() == {}
    assert domain._risk(place, now, {}) == 0.0  # no alert, no event nearby
    lines = ["id,date,lat,lon,type,fatalities,place"]
    for k in range(24):
        day = dt.date(2024 + k // 12, k % 12 + 1, 10)
        lines.append(f"m{k},{day},{place.lat},{place.lon},killing,{1 + k % 4},Mbau")
    path = tmp_path / "mbau.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    threats.import_events(path, "csv", source="t")
    forecast = domain.forecast_risk()
    expected = next(
        r["probability"] for r in cached_forecast() if int(r["id"]) == place.territory_id
    )
    assert forecast[place.territory_id] == expected
    assert domain._risk(place, now, forecast) == expected > 0.5


def test_without_a_forecast_risk_counts_recent_events_near_each_place(
    personas: dict[str, Any], tmp_path: Any
) -> None:
    """Events of the last 90 days within 10 km (a box) of a requested place raise its risk;
    older or farther ones do not; all places are counted in one pass, as one by one."""
    import math

    from ulinzi.threats import domain as threats

    mbau, goma = personas["mbau"].place, personas["goma_ville"].place
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    recent, old = dt.date(2026, 10, 1), dt.date(2026, 6, 1)
    rows = [
        ("near1", recent, mbau.lat, mbau.lon),
        ("near2", recent, mbau.lat + 0.05, mbau.lon - 0.05),  # 5-6 km away
        ("far", recent, mbau.lat + 0.2, mbau.lon),  # 22 km away
        ("old", old, mbau.lat, mbau.lon),  # more than 90 days before
    ]
    lines = ["id,date,lat,lon,type,fatalities,place"]
    lines += [f"{i},{d},{lat},{lon},looting,0,Mbau" for i, d, lat, lon in rows]
    path = tmp_path / "near.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    threats.import_events(path, "csv", source="t")
    risks = domain._risks([mbau, goma], now, {})
    assert risks == {mbau.pk: 1 - math.exp(-2 / 5), goma.pk: 0.0}
    assert domain._risk(mbau, now, {}) == risks[mbau.pk]
    # A territory with a forecast takes the forecast.
    assert domain._risks([mbau], now, {mbau.territory_id: 0.7}) == {mbau.pk: 0.7}


def test_a_declined_request_leaves_the_plan(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    """Accepted, put in next week's proposed plan, then declined: approving the plan
    sends no team there and tells the community no date."""
    request = new_request(personas)
    domain.accept_request(actor=planner_user, request=request)
    plan = domain.plan_week(actor=planner_user, week_start=MONDAY)
    assert Patrol.objects.filter(request=request).count() == 3
    domain.decline_request(actor=planner_user, request=request, reason="the road is cut")
    assert not Patrol.objects.filter(request=request).exists()
    domain.approve_plan(actor=planner_user, plan=plan)
    assert not plan.outings.exists()
    assert not Answer.objects.filter(request=request, status="scheduled").exists()


def test_a_patrol_removed_from_an_approved_plan_is_told_to_the_community(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    request = new_request(personas, weekdays=[0, 2], per_week=2)
    domain.accept_request(actor=planner_user, request=request)
    plan = domain.plan_week(actor=planner_user, week_start=MONDAY)
    domain.approve_plan(actor=planner_user, plan=plan)
    monday, wednesday = Patrol.objects.filter(request=request).order_by("day")
    domain.unfix_patrol(actor=planner_user, patrol=wednesday)
    plan.refresh_from_db()
    assert plan.status == "proposed"  # to approve again: until then nobody is told
    domain.approve_plan(actor=planner_user, plan=plan)
    days = MONDAY.strftime("%d/%m")
    assert sms_texts()[-1] == texts.answer(
        "scheduled", "sw", ref=request.reference, kind="night", place="Mbau", days=days
    )
    domain.unfix_patrol(actor=planner_user, patrol=monday)
    domain.approve_plan(actor=planner_user, plan=plan)
    assert sms_texts()[-1] == texts.answer(
        "cancelled", "sw", ref=request.reference, kind="night", place="Mbau", days=days
    )


def test_a_patrol_made_up_for_counts_once(
    personas: dict[str, Any], channel: Any, planner_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One patrol a week: Friday's did not go out, one on Wednesday made up for it; the
    request is done, 1 of 1, not "1 of 2"."""
    request = new_request(personas, weekdays=[4], per_week=1, valid_until=MONDAY + dt.timedelta(6))
    domain.accept_request(actor=planner_user, request=request)
    domain.approve_plan(
        actor=planner_user, plan=domain.plan_week(actor=planner_user, week_start=MONDAY)
    )
    [friday] = Patrol.objects.filter(request=request)
    domain.record_patrol(
        actor=planner_user, patrol=friday, conducted=False, not_conducted_reason="no fuel"
    )
    wednesday = domain.fix_patrol(
        actor=planner_user,
        request=request,
        base=personas["beni"],
        day=MONDAY + dt.timedelta(days=2),
        shift="night",
    )
    monkeypatch.setattr(domain, "today", lambda: MONDAY + dt.timedelta(days=6))
    domain.record_patrol(actor=planner_user, patrol=wednesday, conducted=True)
    closed = domain.close_request(actor=planner_user, request=request)
    assert closed.outcome == "done"
    assert sms_texts()[-1].startswith(f"Misheni {request.reference}: 1 kati ya 1 ")


def test_a_record_corrected_to_not_conducted_is_no_first_patrol(
    personas: dict[str, Any], channel: Any, planner_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = new_request(personas)
    domain.accept_request(actor=planner_user, request=request)
    domain.approve_plan(
        actor=planner_user, plan=domain.plan_week(actor=planner_user, week_start=MONDAY)
    )
    monday = Patrol.objects.filter(request=request).order_by("day").first()
    monkeypatch.setattr(domain, "today", lambda: MONDAY + dt.timedelta(days=3))
    domain.record_patrol(actor=planner_user, patrol=monday, conducted=True)
    request.refresh_from_db()
    assert request.first_patrol_at is not None
    domain.record_patrol(
        actor=planner_user, patrol=monday, conducted=False, not_conducted_reason="rain"
    )
    request.refresh_from_db()
    assert request.first_patrol_at is None


def test_an_answer_withheld_is_not_an_answer_and_months_are_the_missions(
    personas: dict[str, Any], channel: Any, planner_user: Any
) -> None:
    from ulinzi.patrols import figures

    request = new_request(personas)
    messaging.set_opt_out(request.focal_point, opted_out=True, source="test")
    domain.accept_request(actor=planner_user, request=request)
    assert Answer.objects.get(request=request, status="accepted").message.status == "suppressed"
    # Received at 00:30 on 1 December, mission time (22:30 on 30 November in UTC).
    first = timezone.make_aware(dt.datetime(2026, 12, 1, 0, 30))
    PatrolRequest.objects.filter(pk=request.pk).update(received_at=first)
    [row] = figures.monthly(PatrolRequest.objects.filter(pk=request.pk))
    assert (row["month"], row["answered"], row["share_answered"]) == ("2026-12", 0, 0.0)


def test_the_capacity_form_keeps_what_was_typed_on_an_error(
    personas: dict[str, Any], planner_user: Any
) -> None:
    client = verified_client(planner_user)
    typed = {
        "base": "beni",
        "beni-day_teams": "5",
        "beni-night_teams": "3",
        "beni-vehicles": "4",
        "beni-max_km": "80",
        "beni-unavailable_days": "2026-12-15, 2026-12-32",
    }
    page = client.post("/patrols/capacity/", typed)
    assert page.status_code == 400
    html = page.content.decode()
    assert 'value="5"' in html and "2026-12-32" in html and 'role="alert"' in html
    assert domain.capacity_of(personas["beni"])["day_teams"] != 5  # nothing saved
    for week in ("0001-01-01", "9999-12-31"):
        assert client.get("/patrols/plan/", {"week": week}).status_code == 200


def test_a_patrol_request_by_sms_is_not_answered_with_a_word_for_a_place(
    personas: dict[str, Any], channel: Any
) -> None:
    from django.test import Client

    url = f"/channels/ext/{channel.uuid}/receive?token={channel.secret}"
    for text in ("DORIA usiku Mbau", "PATROUILLE de nuit a Mbau svp"):
        assert Client().post(url, {"from": "+243971000777", "text": text}).status_code == 200
        messaging.process_inbound()
        assert "usiku" not in sms_texts()[-1] and " de." not in sms_texts()[-1]
