"""From an SMS to an alert: one incident, one alert, routed, acknowledged in the
reporter's language; bad places are asked about; STOP is honoured."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ulinzi.alerts import domain
from ulinzi.alerts.models import Alert, CallbackTask, Clarification, Report
from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Channel, Message, Reporter
from ulinzi.test import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(personas: dict[str, Any]) -> Channel:
    return messaging.create_channel(actor="test", name="gateway", send_url="console:")


def sms(channel: Channel, sender: str, text: str, gateway_id: str | None = None) -> Any:
    data = {"from": sender, "text": text} | ({"id": gateway_id} if gateway_id else {})
    response = Client().post(f"/channels/ext/{channel.uuid}/receive?token={channel.secret}", data)
    assert response.status_code == 200, response.content
    messaging.process_inbound()  # what the worker does next
    return response.json()


def outbox(purpose: str) -> list[str]:
    return list(
        Message.objects.filter(direction="out", purpose=purpose)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_an_sms_becomes_an_alert_routed_to_the_base_of_its_place(channel: Channel) -> None:
    sms(
        channel,
        "+243971234567",
        "ALERTE Mbau Centre: des hommes armés ont tué deux personnes cette nuit",
    )
    alert = Alert.objects.get()
    report = alert.reports.get()
    assert (report.source, report.language) == ("sms", "fr")
    # "Centre" is a generic word: the health area Mbau and its village Mbau Centre are
    # the same spot, half a kilometre apart.
    assert report.place.name in ("Mbau", "Mbau Centre")
    assert report.place.territory.pcode == "CD6107"
    assert (alert.base.code, alert.status, alert.threat_type) == ("beni", "received", "killing")
    assert alert.routing_reason == f"{report.place.name} is in the area of Beni"
    assert outbox("acknowledgement") == [
        f"Message reçu, la mission est informée. Réf {alert.reference}"
    ]


def test_the_acknowledgement_is_in_the_reporters_language(channel: Channel) -> None:
    sms(channel, "+243971234567", "Watu wenye silaha wameua watu watatu Mbau usiku huu")
    alert = Alert.objects.get()
    assert outbox("acknowledgement") == [
        f"Ujumbe umepokelewa, misheni imearifiwa. Kumb {alert.reference}"
    ]


def test_a_report_in_a_language_without_replies_is_answered_in_the_reporters_own(
    channel: Channel, personas: dict[str, Any]
) -> None:
    """Kinyarwanda is told apart but has no reply texts: the acknowledgement, the question
    of which place and the closing message all speak the reporter's own Swahili, the
    same for the three, not the default French."""
    reporter = messaging.reporter_for_number("+243971234567")
    Reporter.objects.filter(pk=reporter.pk).update(language="sw")  # as registered
    sms(channel, "+243971234567", "Abantu bitwaje intwaro bishe abantu batatu i Majengo")
    report = Report.objects.get()
    assert report.language == "rw"
    assert outbox("acknowledgement") == [
        f"Ujumbe umepokelewa, misheni imearifiwa. Kumb {report.alert.reference}"
    ]
    [question] = outbox("clarification")
    assert question.startswith("Majengo ipi? 1 ") and question.endswith(" au 3"), question
    domain.close_alert(actor=personas["alice"], alert=report.alert, outcome="no_response_possible")
    [closing] = outbox("feedback")
    assert closing.startswith(f"Kumb {report.alert.reference}: misheni "), closing


def test_many_reports_of_one_attack_make_one_alert(channel: Channel) -> None:
    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés, coups de feu")
    sms(channel, "+243971234568", "Risasi nyingi Mbau Centre sasa hivi, watu wenye silaha")
    sms(channel, "+243971234569", "ALERT Mbau Centre gunshots armed men")
    assert Alert.objects.count() == 1
    assert Report.objects.count() == 3
    assert len(outbox("acknowledgement")) == 3
    reasons = list(Report.objects.order_by("id").values_list("grouping_reason", flat=True))
    # The first says why it opened an alert; the others how close they are to it.
    assert reasons[0].startswith("new alert: no open alert within ")
    assert all("from alert A-" in r for r in reasons[1:]), reasons


def test_attacks_in_two_distant_places_make_two_alerts(channel: Channel) -> None:
    sms(channel, "+243971234567", "ALERTE Mbau Centre: des hommes armés ont tué deux personnes")
    sms(channel, "+243971234568", "ALERTE Goma: des hommes armés ont tué deux personnes")
    assert Alert.objects.count() == 2
    assert set(Alert.objects.values_list("base__code", flat=True)) == {"beni", "goma"}


def test_an_ambiguous_place_gets_a_clarifying_question_and_the_answer_is_applied(
    channel: Channel,
) -> None:
    sms(channel, "+243971234567", "ALERTE Majengo: hommes armés")
    report = Report.objects.get()
    question = Clarification.objects.get(report=report)
    [text] = outbox("clarification")
    assert text.startswith("Quel Majengo? 1 ")
    assert text.endswith("ou 2") or text.endswith("ou 3") or text.endswith("ou 4")
    # The alert's page says its place waits for the reporter's answer, and which places
    # were offered, each with its territory.
    officer = Client()
    officer.force_login(make_user("dora", "duty_officer", whole_mission=True))
    page = officer.get(f"/alerts/{report.alert_id}/").content.decode()
    assert "Place not confirmed: the reporter was asked which they meant" in page
    offered = page.split("has not answered yet:")[1].split("<small>")[0]
    assert offered.count("Majengo (") == len(question.options), offered
    sms(channel, "+243971234567", "9")  # more than the choices offered: asked again
    question.refresh_from_db()
    assert question.answered_at is None
    assert outbox("clarification") == [text, text]
    assert Report.objects.count() == 1  # a bare number never becomes an alert
    sms(channel, "+243971234567", "2 ndiyo hiyo")  # the number, then words: still an answer
    question.refresh_from_db()
    report.refresh_from_db()
    assert question.answer == "2"
    assert report.place_id == question.options[1]
    assert report.alert.steps.filter(step="place_clarified").exists()
    assert Report.objects.count() == 1
    page = officer.get(f"/alerts/{report.alert_id}/").content.decode()
    assert "Place not confirmed" not in page


def test_an_answer_that_puts_a_grouped_report_far_away_gives_it_its_own_alert(
    channel: Channel,
) -> None:
    """Two reports of "Majengo" are grouped at the Majengo first taken; one reporter
    then says which they meant, far from the other: that report leaves for an alert of
    its own at the place given, routed there. The other reporter's answer, the place
    first taken, keeps theirs where it is."""
    from ulinzi.alerts.domain import _km
    from ulinzi.places.models import Place

    sms(channel, "+243971234567", "ALERTE Majengo: hommes armés, coups de feu")
    sms(channel, "+243971234568", "ALERTE Majengo: coups de feu, hommes armés")
    first, second = Report.objects.order_by("pk")
    assert first.alert_id == second.alert_id and first.place_id == second.place_id
    alert = first.alert
    question = Clarification.objects.get(report=second)
    options = [Place.objects.get(pk=pk) for pk in question.options]
    n, far = next(
        (n, p)
        for n, p in enumerate(options, start=1)
        if _km(p.lat, p.lon, first.lat, first.lon) > 8
    )
    sms(channel, "+243971234568", str(n))
    second.refresh_from_db()
    assert second.place == far and second.alert_id != alert.pk
    assert second.alert.place == far and second.alert.status == "received"
    assert second.grouping_reason == f"split from {alert.reference}"
    assert [s.step for s in alert.steps.all()][-2:] == ["place_clarified", "split"]
    assert list(alert.reports.all()) == [first]
    # The first reporter confirms the Majengo first taken: nothing moves.
    mine = Clarification.objects.get(report=first)
    same = mine.options.index(first.place_id) + 1
    sms(channel, "+243971234567", str(same))
    first.refresh_from_db()
    assert first.alert_id == alert.pk and Alert.objects.count() == 2


def test_a_clarifying_question_is_answered_by_naming_the_area_it_gave(
    channel: Channel,
) -> None:
    from ulinzi.alerts import texts
    from ulinzi.places.models import Place

    sms(channel, "+243971234569", "ALERTE Majengo: hommes armés")
    question = Clarification.objects.get()
    words = domain._option_words(question.options)
    [asked] = outbox("clarification")
    assert asked == texts.clarifying_question("fr", "Majengo", list(words.values()))
    # GRID3's Majengo share territories: each is named by the area that tells it apart.
    assert len({w.casefold() for w in words.values()}) == len(question.options)
    n = len(question.options)
    last = Place.objects.get(pk=question.options[-1])
    area = words[last.pk]
    assert area in {a.name for a in (last.territory, last.health_zone, last.health_area) if a}
    sms(channel, "+243971234569", f"ni {area.upper()}")
    question.refresh_from_db()
    assert question.answer == str(n) and Report.objects.count() == 1
    assert question.report.place_id == question.options[n - 1]


def test_a_report_that_starts_with_a_number_or_names_an_option_is_not_an_answer(
    channel: Channel,
) -> None:
    """With a question open, "2 morts à Mbau" tells of two dead: a report, not choice 2;
    nor is a report that happens to name an area the question offered."""
    sms(channel, "+243971234569", "ALERTE Majengo: hommes armés")
    question = Clarification.objects.get()
    word = domain._option_words(question.options)[question.options[0]]
    sms(channel, "+243971234569", "2 morts à Mbau Centre cette nuit, des hommes armés")
    sms(channel, "+243971234569", f"Tirs entendus vers {word} ce soir, la population fuit")
    question.refresh_from_db()
    assert (question.answered_at, question.answer) == (None, "")
    assert Report.objects.count() == 3
    assert Report.objects.order_by("pk").last().threat_type == "armed_clash"


def test_a_report_with_no_place_asks_where_and_a_reply_naming_one_places_it(
    channel: Channel, personas: dict[str, Any]
) -> None:
    from ulinzi.alerts import texts

    sms(channel, "+243971234567", "Watu wenye silaha wameua watu wawili usiku huu")
    report = Report.objects.get()
    alert = report.alert
    assert (alert.place, alert.base) == (None, None)
    [asked] = outbox("clarification")
    assert asked == texts.WHERE["sw"].format(ref=alert.reference)
    # A short reply that tells of something else is a report of its own, not the answer.
    sms(channel, "+243971234567", "Risasi Mbau sasa")
    assert Report.objects.count() == 2
    sms(channel, "+243971234567", "ni Mbau")
    assert Report.objects.count() == 2  # the answer is no report
    report.refresh_from_db()
    alert.refresh_from_db()
    assert report.place is not None and report.place.name == "Mbau"
    assert alert.place == report.place and alert.base == personas["beni"]
    assert alert.steps.filter(step="place_clarified").exists()
    assert report.clarification.answered_at is not None


def test_a_place_in_the_keyword_form_must_be_one_and_else_the_text_is_read(
    channel: Channel, personas: dict[str, Any]
) -> None:
    sms(channel, "+243971234567", "ALERTE Zzyxqville hommes armés")
    nowhere = Report.objects.get()
    assert nowhere.place is None  # not Kikwit, 1,200 km away
    assert len(outbox("clarification")) == 1
    sms(channel, "+243971234568", "ALERTE ADF wameua watu wawili Mbau")
    found = Report.objects.exclude(pk=nowhere.pk).get()
    assert found.place is not None and found.place.name == "Mbau"
    assert found.alert.base == personas["beni"]


def test_a_keyword_alert_without_separator_finds_its_place_in_the_text(
    channel: Channel, personas: dict[str, Any]
) -> None:
    """The first word after the keyword is taken for the place only when it may be one:
    "deux", "2", "il", "watu" are not villages (they were matched to Deux Cents, Cite 2,
    Yilo and Uwautu, and routed to other bases)."""
    texts_sent = [
        "ALERTE deux morts à Mbau Centre",
        "Alerte 2 morts Mbau Centre",
        "ALERTE il y a des tirs à Mbau Centre",
        "HATARI watu wenye silaha Mbau Centre",
    ]
    for n, text in enumerate(texts_sent):
        sms(channel, f"+24397123450{n}", text)
    places = {r.place.name for r in Report.objects.select_related("place")}
    assert places <= {"Mbau", "Mbau Centre"} and Report.objects.count() == len(texts_sent)
    assert set(Alert.objects.values_list("base__code", flat=True)) == {"beni"}


def test_a_bare_keyword_alert_is_answered_in_the_keywords_language_and_not_low(
    channel: Channel,
) -> None:
    from ulinzi.alerts import texts

    sms(channel, "+243971234567", "ALERT Mbau Centre")
    alert = Alert.objects.get()
    assert alert.severity == "medium"  # a focal point's warning, even with no detail
    assert outbox("acknowledgement") == [texts.ACKNOWLEDGEMENT["en"].format(ref=alert.reference)]
    assert alert.reports.get().language == "en"


def test_a_patrol_request_that_tells_of_a_killing_is_an_alert_too(channel: Channel) -> None:
    sms(channel, "+243971234567", "Patrol needed at Mbau Centre, ADF killed 3 people last night")
    alert = Alert.objects.get()
    assert (alert.threat_type, alert.severity) == ("killing", "critical")
    assert CallbackTask.objects.get().note.startswith("Patrol request by SMS: Mbau Centre")
    assert len(outbox("patrol_answer")) == 1 and len(outbox("acknowledgement")) == 1
    sms(channel, "+243971234568", "DORIA Mbau Centre, usiku")  # a request alone: no alert
    assert Alert.objects.count() == 1 and CallbackTask.objects.count() == 2


def test_a_patrol_request_telling_of_a_threat_is_placed_where_it_asks_and_read_once(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The place the request names is where the report is, as for "ALERTE <place>", even
    when the text names another place too; and the SMS is triaged once, before the
    worker's transaction, not again under the lock."""
    calls: list[str] = []
    triage = domain._triage
    monkeypatch.setattr(domain, "_triage", lambda text: calls.append(text) or triage(text))
    told = "Mbau Centre, watu wenye silaha wameua watu wawili Oicha"
    sms(channel, "+243971234567", f"DORIA {told}")
    assert len(calls) == 1, calls
    sms(channel, "+243971234568", f"TAHADHARI {told}")
    asked, alerted = Report.objects.order_by("id")
    assert asked.threat_type == "killing" and asked.place is not None
    assert asked.place == alerted.place and asked.place.name.startswith("Mbau")


def test_a_reply_that_names_no_place_is_kept_and_the_question_asked_again(
    channel: Channel,
) -> None:
    """ "sijui" (I don't know) to "where?" is no new alert: the duty officer reads it on
    the alert's timeline, and the reporter is asked once more."""
    from ulinzi.alerts import texts

    sms(channel, "+243971234567", "Watu wenye silaha wameua watu wawili usiku huu")
    alert = Alert.objects.get()
    where = texts.WHERE["sw"].format(ref=alert.reference)
    sms(channel, "+243971234567", "sijui")
    sms(channel, "+243971234567", "Ndiyo")
    assert Report.objects.count() == 1 and Alert.objects.count() == 1
    assert list(alert.steps.filter(step="reporter_replied").values_list("note", flat=True)) == [
        "sijui",
        "Ndiyo",
    ]
    assert outbox("clarification") == [where, where]  # asked again once, not twice
    sms(channel, "+243971234567", "Mbau")  # the answer still places it
    alert.refresh_from_db()
    assert alert.place is not None and alert.place.name == "Mbau"


def test_an_answer_naming_namesakes_is_asked_about(channel: Channel) -> None:
    sms(channel, "+243971234567", "Watu wenye silaha wameua watu wawili usiku huu")
    report = Report.objects.get()
    sms(channel, "+243971234567", "Majengo")
    which = Clarification.objects.get(report=report)  # "where?" became "which Majengo?"
    assert len(which.options) > 1 and which.answered_at is None
    assert outbox("clarification")[-1].startswith("Majengo ipi? 1 ")
    assert report.alert.steps.filter(step="reporter_replied", note="Majengo").exists()
    sms(channel, "+243971234567", "mbili")  # two, in words
    which.refresh_from_db()
    report.refresh_from_db()
    assert which.answer == "2" and report.place_id == which.options[1]
    assert Report.objects.count() == 1


def test_a_number_answers_the_which_question_when_a_where_question_came_later(
    channel: Channel,
) -> None:
    sms(channel, "+243971234567", "ALERTE Majengo: hommes armés")
    which = Clarification.objects.get()
    sms(channel, "+243971234567", "Watu wenye silaha wameua watu wawili usiku huu")
    assert Clarification.objects.count() == 2  # then "where?" for the second report
    sms(channel, "+243971234567", "2")
    which.refresh_from_db()
    assert which.answer == "2"


def test_the_same_answer_to_a_second_question_is_not_taken_for_a_copy(channel: Channel) -> None:
    """ "1" to one question, then "1" to the next, within ten minutes: two answers."""
    sms(channel, "+243971234567", "ALERTE Majengo: hommes armés")
    sms(channel, "+243971234567", "1")
    sms(channel, "+243971234567", "ALERTE Majengo: coups de feu, maisons brûlées")
    sms(channel, "+243971234567", "1")
    assert [q.answer for q in Clarification.objects.order_by("pk")] == ["1", "1"]


def test_stop_start_stop_leaves_the_reporter_opted_out(channel: Channel) -> None:
    for word in ("STOP", "START", "STOP"):
        sms(channel, "+243971234567", word)
    reporter = messaging.find_reporter("+243971234567")
    assert reporter is not None and reporter.opted_out_at is not None


def test_a_gateway_resending_a_report_that_was_asked_about_makes_no_second_report(
    channel: Channel,
) -> None:
    """A gateway without ids resends "ALERTE Majengo …" after the question it caused was
    queued: still a copy (only a word or two said again after a question is new)."""
    for _ in range(2):
        sms(channel, "+243971234567", "ALERTE Majengo: hommes armés")
    assert Report.objects.count() == 1 and len(outbox("acknowledgement")) == 1


def test_a_place_a_which_question_did_not_offer_is_a_report_of_its_own(
    channel: Channel,
) -> None:
    sms(channel, "+243971234567", "ALERTE Majengo: hommes armés")
    question = Clarification.objects.get()
    alert = question.report.alert
    sms(channel, "+243971234567", "Ils sont à Goma")
    question.refresh_from_db()
    alert.refresh_from_db()
    assert question.answered_at is None and alert.base.code != "goma"
    assert Report.objects.count() == 2


def test_a_patrol_request_said_to_be_urgent_is_not_an_alert(channel: Channel) -> None:
    sms(channel, "+243971234567", "DORIA Mbau Centre sasa, tafadhali haraka")
    assert not Alert.objects.exists() and CallbackTask.objects.count() == 1


def test_a_short_keyword_alert_in_another_language_is_answered_in_that_language(
    channel: Channel,
) -> None:
    from ulinzi.alerts import texts

    sms(channel, "+243971234567", "ALERT Mbau Centre: risasi nyingi")
    alert = Alert.objects.get()
    assert outbox("acknowledgement") == [texts.ACKNOWLEDGEMENT["sw"].format(ref=alert.reference)]


def test_stop_is_honoured_everywhere(channel: Channel) -> None:
    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés")
    sms(channel, "+243971234567", "STOP")
    reporter = Report.objects.get().reporter
    assert reporter.opted_out_at is not None
    sms(channel, "+243971234567", "ALERTE Mbau Centre: encore des tirs")
    latest = Message.objects.filter(direction="out").order_by("-id").first()
    assert latest.status == "suppressed"
    assert Report.objects.count() == 2  # the report still counts; only the SMS back is withheld


def test_a_gateway_retry_does_not_create_a_second_report(channel: Channel) -> None:
    for _ in range(5):
        sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés", gateway_id="gw-1")
    assert (Report.objects.count(), len(outbox("acknowledgement"))) == (1, 1)


def test_a_missed_call_creates_one_call_back_task(channel: Channel) -> None:
    url = f"/channels/ext/{channel.uuid}/missed?token={channel.secret}"
    for _ in range(3):  # people beep again when nobody calls back
        response = Client().post(url, {"from": "+243971234567"})
        assert response.status_code == 200 and response.json()["reporter"].startswith("R-")
    task = CallbackTask.objects.get()
    assert task.done_at is None
    assert AuditEntry.objects.filter(action="alerts.record_missed_call").count() == 1
    assert Client().post(url, {"from": "not a number"}).status_code == 400


def test_a_liaison_assistant_calls_back_from_the_call_back_list(
    channel: Channel, personas: dict[str, Any]
) -> None:
    from ulinzi.test import make_user

    Client().post(
        f"/channels/ext/{channel.uuid}/missed?token={channel.secret}", {"from": "+243971234567"}
    )
    task = CallbackTask.objects.get()
    cla = Client()
    cla.force_login(make_user("lina", "liaison", whole_mission=True))
    page = cla.get("/alerts/callbacks/").content.decode()
    assert task.reporter.pseudonym in page and "971234567" not in page
    shown = cla.post(f"/alerts/callbacks/{task.pk}/number/", {"text": "call-back"})
    assert "+243971234567" in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert cla.post(f"/alerts/callbacks/{task.pk}/done/", {"text": ""}).status_code == 302
    task.refresh_from_db()
    assert task.done_at is None  # no note, not done
    cla.post(f"/alerts/callbacks/{task.pk}/done/", {"text": "no answer; SMS sent"})
    task.refresh_from_db()
    assert task.done_at is not None and task.note == "no answer; SMS sent"
    assert list(
        AuditEntry.objects.filter(action__in=["messaging.reveal_phone", "alerts.complete_callback"])
        .values_list("action", flat=True)
        .order_by("id")
    ) == [
        "messaging.reveal_phone",
        "alerts.complete_callback",
    ]
    assert cla.post(f"/alerts/callbacks/{task.pk}/anything/", {"text": "x"}).status_code == 404
    viewer = Client()
    viewer.force_login(make_user("victor", "viewer", whole_mission=True))
    assert viewer.get("/alerts/callbacks/").status_code == 403
    assert (
        viewer.post(f"/alerts/callbacks/{task.pk}/number/", {"text": "curious"}).status_code == 403
    )


def test_the_board_and_its_map_show_only_the_users_area(
    channel: Channel, personas: dict[str, Any]
) -> None:
    sms(channel, "+243971234567", "ALERTE Mbau Centre: des hommes armés ont tué deux personnes")
    alert = Alert.objects.get()
    alice, bob = Client(), Client()
    alice.force_login(personas["alice"])
    bob.force_login(personas["bob"])
    assert f'data-alert="{alert.pk}"' in alice.get("/alerts/").content.decode()
    assert f'data-alert="{alert.pk}"' not in bob.get("/alerts/").content.decode()
    assert [
        f["properties"]["ref"] for f in alice.get("/alerts/geo.geojson").json()["features"]
    ] == [alert.reference]
    assert bob.get("/alerts/geo.geojson").json()["features"] == []
    hidden = bob.get(f"/alerts/{alert.pk}/")
    # The app's own page, which says why, with its navigation (not a bare "Not Found").
    assert hidden.status_code == 404 and "records outside your bases and areas" in (
        hidden.content.decode()
    )
    assert 'href="/alerts/"' in hidden.content.decode()
    viewer = Client()
    viewer.force_login(make_user("vic", "viewer", whole_mission=True))
    refused = viewer.get("/alerts/callbacks/")
    assert refused.status_code == 403 and "Your role does not allow this." in (
        refused.content.decode()
    )
    assert bob.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    csv_text = bob.get("/alerts/figures/", {"format": "csv"}).content.decode()
    assert csv_text.splitlines()[1:] == []
    assert "beni" in alice.get("/alerts/figures/", {"format": "csv"}).content.decode()


def test_response_times_count_from_when_the_sms_arrived_not_when_it_was_processed(
    channel: Channel, personas: dict[str, Any]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    url = f"/channels/ext/{channel.uuid}/receive?token={channel.secret}"
    answer = Client().post(url, {"from": "+243971234567", "text": "ALERTE Mbau: hommes armés"})
    # The worker was stopped for two hours: the SMS waited, stored.
    arrived = timezone.now() - timedelta(hours=2)
    Message.objects.filter(pk=answer.json()["message_id"]).update(created_at=arrived)
    messaging.process_inbound()
    alert = Alert.objects.get()
    assert alert.received_at == arrived and alert.reports.get().received_at == arrived
    assert alert.steps.get(step="received").at == arrived


def test_a_full_board_keeps_the_most_severe_and_oldest(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ulinzi.alerts import views

    now = timezone.now()
    for hours, severity in ((3, "low"), (2, "low"), (1, "critical"), (0, "medium")):
        Alert.objects.create(
            threat_type="armed_presence",
            severity=severity,
            summary=f"{severity} {hours}",
            base=personas["beni"],
            received_at=now - timedelta(hours=hours),
        )
    monkeypatch.setattr(views, "BOARD_ROWS", 3)
    officer = Client()
    officer.force_login(personas["alice"])  # Beni's: a scoped read
    rows = officer.get("/alerts/", headers={"HX-Request": "true"}).content.decode()
    shown = {a.summary for a in Alert.objects.all() if f'data-alert="{a.pk}"' in rows}
    assert shown == {"critical 1", "medium 0", "low 3"}  # the newer low one waits


def test_the_boards_map_follows_the_boards_filters(
    channel: Channel, personas: dict[str, Any]
) -> None:
    sms(channel, "+243971234567", "ALERTE Mbau Centre: des hommes armés ont tué deux personnes")
    sms(channel, "+243971234568", "ALERTE Goma: des hommes armés ont tué deux personnes")
    beni_alert, goma_alert = Alert.objects.order_by("base__code")
    assert (beni_alert.base.code, goma_alert.base.code) == ("beni", "goma")
    domain.acknowledge_alert(actor="test", alert=goma_alert)
    from ulinzi.test import make_user

    officer = Client()
    officer.force_login(make_user("dora", "duty_officer", whole_mission=True))

    def on_map(**filters: str) -> list[str]:
        features = officer.get("/alerts/geo.geojson", filters).json()["features"]
        return sorted(f["properties"]["ref"] for f in features)

    def on_board(**filters: str) -> list[str]:
        rows = officer.get("/alerts/", filters, headers={"HX-Request": "true"}).content.decode()
        return sorted(
            a.reference for a in (beni_alert, goma_alert) if f'data-alert="{a.pk}"' in rows
        )

    for filters in (
        {},
        {"base": "beni"},
        {"base": "goma"},
        {"status": "acknowledged"},
        {"status": "closed"},
        {"base": "nowhere"},
    ):
        assert on_map(**filters) == on_board(**filters), filters
    assert on_map() == sorted([beni_alert.reference, goma_alert.reference])
    assert on_map(base="beni") == [beni_alert.reference]
    assert on_map(status="acknowledged") == [goma_alert.reference]
    assert on_map(status="closed") == []


def test_call_backs_follow_the_area_of_the_callers_alerts(
    channel: Channel, personas: dict[str, Any]
) -> None:
    from ulinzi.test import make_user

    sms(channel, "+243971234567", "ALERTE Mbau Centre: hommes armés")  # a Beni caller
    Client().post(
        f"/channels/ext/{channel.uuid}/missed?token={channel.secret}", {"from": "+243971234567"}
    )
    task = CallbackTask.objects.get()
    beni, goma = Client(), Client()
    beni.force_login(make_user("bea", "liaison", bases=[personas["beni"]]))
    goma.force_login(make_user("gus", "liaison", bases=[personas["goma"]]))
    assert task.reporter.pseudonym in beni.get("/alerts/callbacks/").content.decode()
    assert task.reporter.pseudonym not in goma.get("/alerts/callbacks/").content.decode()
    assert (
        goma.post(f"/alerts/callbacks/{task.pk}/number/", {"text": "call-back"}).status_code == 404
    )


def test_a_failure_while_processing_leaves_the_message_waiting_not_lost(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ulinzi.alerts import domain

    data = {"from": "+243971234567", "text": "ALERTE Mbau Centre: hommes armés"}
    response = Client().post(f"/channels/ext/{channel.uuid}/receive?token={channel.secret}", data)
    assert response.status_code == 200  # the gateway has its answer before any processing

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("the server died here")

    monkeypatch.setattr(domain, "receive_report", crash)
    with pytest.raises(RuntimeError):
        messaging.process_inbound()
    message = Message.objects.get(direction="in")
    assert message.processed_at is None
    assert not Report.objects.exists() and not Message.objects.filter(direction="out").exists()
    monkeypatch.undo()
    assert messaging.process_inbound() == 1
    assert messaging.process_inbound() == 0
    assert Report.objects.count() == 1 and len(outbox("acknowledgement")) == 1


def post(channel: Channel, sender: str, text: str) -> None:
    data = {"from": sender, "text": text}
    response = Client().post(f"/channels/ext/{channel.uuid}/receive?token={channel.secret}", data)
    assert response.status_code == 200, response.content


def test_a_batch_of_waiting_sms_is_read_once_and_each_processed_once(channel: Channel) -> None:
    """The worker reads up to 50 waiting SMS (with their senders) in one query; one that
    another worker processed since is skipped, not processed twice."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    texts = [
        "ALERTE Mbau Centre: hommes armés",
        "Risasi nyingi Mbau Centre sasa hivi",
        "STOP",
        "ALERT Goma gunshots armed men near the market",
    ]
    for n, text in enumerate(texts):
        post(channel, f"+24397123456{n % 3}", text)
    waiting = messaging._waiting(50)
    assert [m.text for m in waiting] == texts
    assert messaging._process(waiting[0]) is not None  # "another worker" took the first
    with CaptureQueriesContext(connection) as ctx:
        assert messaging.process_inbound() == 3
    reads = [q for q in ctx.captured_queries if 'ORDER BY "messaging_message"."id"' in q["sql"]]
    assert len(reads) == 2  # the three waiting, then none
    assert Report.objects.count() == 3 and len(outbox("acknowledgement")) == 3
    assert Message.objects.filter(direction="in", processed_at__isnull=True).count() == 0
    assert messaging._process(waiting[0]) is None  # never twice


def test_stop_and_start_in_one_batch_are_audited_as_they_happened(channel: Channel) -> None:
    """The worker's copy of the sender was read with the batch, before the STOP: the
    START that follows still records that the reporter had opted out."""
    for text in ("STOP", "START"):
        post(channel, "+243971234567", text)
    assert messaging.process_inbound() == 2
    entries = AuditEntry.objects.filter(action__startswith="messaging.opt_").order_by("id")
    assert [(e.action, e.before) for e in entries] == [
        ("messaging.opt_out", {"opted_out": False}),
        ("messaging.opt_in", {"opted_out": True}),
    ]
    assert Message.objects.get(direction="in", text="START").reporter.opted_out_at is None
