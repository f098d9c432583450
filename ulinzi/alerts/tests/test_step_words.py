"""The notes the alert network writes on a timeline, in the reader's language
(alert_words.step_note).

Notes are stored in English, the language of the audit log, with the figures, places and
references that decided. The alert's page says each note the domain writes in the
reader's language: the steps below are made by the domain's own functions, one of each
kind that writes a note of its own.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import translation

from ulinzi.alerts import domain
from ulinzi.alerts.grouping import KM_PER_DEGREE
from ulinzi.alerts.models import THREAT_TYPES, Alert, AlertStep, Clarification, Report, Responder
from ulinzi.alerts.templatetags.alert_words import step_note
from ulinzi.messaging import domain as messaging
from ulinzi.places.models import Place
from ulinzi.test import make_user

pytestmark = pytest.mark.django_db

WRITTEN = {
    "received",
    "renamed",
    "relocated",
    "place_clarified",
    "corrected",
    "feedback_sent",
    "merged",
    "split",
}
# English words of the notes that their French has none of (whole words).
ENGLISH = re.compile(
    r"\b(into|from|reports?|reporters?|where|most|answer|threat|severity|place|later|"
    r"area|nearest|unknown|killing|abduction|critical|high|low)\b"
)
FIGURES = re.compile(r"A-\d+|\d+")
COUNTED = re.compile(r"\b(\d+ report(?:er)?)\(s\)")
LABELS = dict(THREAT_TYPES)
TYPE_CODE = re.compile(r"\b(" + "|".join(sorted(LABELS, key=len, reverse=True)) + r")\b")


def _sms(reporter: Any, text: str, place: Place | None = None) -> Report:
    return domain.receive_report(source="sms", text=text, reporter=reporter, place=place)


def _timeline_of_every_kind(personas: dict[str, Any]) -> None:
    """Alerts whose timelines hold every note the domain writes."""
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    with transaction.atomic():
        one, two, three = (
            messaging.reporter_for_number(n)
            for n in ("+243971234567", "+243971234568", "+243971234569")
        )
    alice, bob = personas["alice"], personas["bob"]
    # An attack first placed in the wrong village, then reported from the right one: two
    # alerts, merged by the evidence of a third report, the older moved to Mbau Centre.
    mbau = Place.objects.get(kind="village", name="Mbau Centre")
    wrong = min(
        Place.objects.filter(kind="village").exclude(pk=mbau.pk),
        key=lambda p: abs(
            KM_PER_DEGREE * ((p.lat - mbau.lat) ** 2 + (p.lon - mbau.lon) ** 2) ** 0.5 - 6.0
        ),
    )
    first = _sms(one, "ADF wameua watu 4 usiku", wrong).alert
    second = _sms(two, "Tirs entendus vers Mbau Centre", mbau).alert
    domain.acknowledge_alert(actor=alice, alert=second)
    _sms(one, "ADF wameua watu 4 Mbau Centre usiku huu", mbau)
    # A graver account names the alert; a duty officer corrects it and moves it.
    goma = Place.objects.get(key="geonames:216281")

    def hotline(text: str, threat: str, severity: str) -> Alert:
        return domain.receive_report(
            source="hotline",
            text=text,
            actor=bob,
            place=goma,
            threat_type=threat,
            severity=severity,
        ).alert

    abduction = hotline("Enlèvement de trois femmes à Goma", "abduction", "high")
    hotline("Enlèvement à Goma, deux tués", "killing", "critical")
    domain.correct_alert(
        actor=alice, alert=abduction, threat_type="abduction", severity="low", note="calme"
    )
    domain.correct_alert(actor=alice, alert=abduction, place=mbau)
    # Merged by hand, then a report split off.
    domain.merge_alerts(actor=alice, alert=abduction, into=first, why="même incident")
    moved = Report.objects.get(alert=first, source="hotline", text__contains="deux tués")
    domain.split_report(actor=alice, report=moved)
    # A reporter says which Majengo.
    asked = _sms(three, "ALERTE Majengo: hommes armés")
    assert Clarification.objects.filter(report=asked).exists()
    domain.answer_clarification(three, 1)
    # Closed with feedback to the reporters.
    company = Responder.objects.create(name="Company B", kind="mission_company", base=first.base)
    domain.verify_alert(actor=alice, alert=first, result="verified")
    domain.notify_responders(actor=alice, alert=first, responders=[company])
    domain.dispatch_response(actor=alice, alert=first, responder=company)
    domain.mark_on_site(actor=alice, alert=first)
    domain.close_alert(actor=alice, alert=first, outcome="mitigated", feedback="Asante.")


def test_every_note_the_domain_writes_is_said_in_french(personas: dict[str, Any]) -> None:
    _timeline_of_every_kind(personas)
    steps = list(AlertStep.objects.exclude(note="").order_by("pk"))
    assert {s.step for s in steps} >= WRITTEN  # one of each kind, at least
    for step in steps:
        typed = step.step not in WRITTEN
        with translation.override("fr"):
            said = step_note(step)
        if typed:  # what a person wrote is shown as it is
            assert said == step.note
            continue
        assert said != step.note and not ENGLISH.search(said), (step.step, step.note, said)
        # The figures and references are kept, in their order.
        assert FIGURES.findall(said) == FIGURES.findall(step.note), (step.note, said)
        # In English: the same, threat types by their names, "report(s)" by the count.
        english = TYPE_CODE.sub(lambda c: str(LABELS[c[0]]), step.note)
        english = COUNTED.sub(lambda c: c[1] + ("" if c[1].startswith("1 ") else "s"), english)
        with translation.override("en"):
            assert step_note(step) == english


def test_the_timeline_of_the_alert_page_is_in_the_readers_language(
    personas: dict[str, Any],
) -> None:
    _timeline_of_every_kind(personas)
    kept = Alert.objects.filter(steps__step="feedback_sent").get()
    told = kept.steps.get(step="feedback_sent").note
    assert (
        told
        == f"{kept.reports.exclude(reporter=None).values('reporter').distinct().count()} reporter(s)"
    )
    by_hand = kept.steps.get(step="merged", note__endswith="(même incident)").note
    client = Client()
    client.force_login(make_user("amani", "duty_officer", whole_mission=True, language="fr"))
    page = client.get(f"/alerts/{kept.pk}/").content.decode()
    n = int(told.split()[0])
    assert f": {n} rapporteur{'s' if n > 1 else ''}</li>" in page
    moved = int(by_hand.split()[0])
    source = re.search(r"A-\d+", by_hand)[0]  # type: ignore[index]
    assert f": {moved} rapport{'s' if moved > 1 else ''} de {source} (même incident)</li>" in page
    assert "report(s)" not in page and "reporter(s)" not in page


def test_notes_of_unknown_forms_are_shown_as_they_are() -> None:
    with translation.override("fr"):
        for kind, note in (
            ("merged", "into B-7"),
            ("corrected", "rien"),
            ("renamed", "killing"),
            ("split", "report 3 to somewhere"),
            ("verify", "confirmed by the chief"),
        ):
            assert step_note(AlertStep(step=kind, note=note)) == note
