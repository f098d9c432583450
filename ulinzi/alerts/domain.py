"""Every change to reports and alerts: intake, grouping, routing and the lifecycle.

Each function runs in one transaction, stamps its time, writes an ``AlertStep`` and an
audit entry, and queues any SMS through the outbox (never a network call here).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ulinzi.alerts import keywords, live, queries, texts
from ulinzi.alerts.figures import ADDRESSED_OUTCOMES
from ulinzi.alerts.grouping import ReportFacts, Thresholds
from ulinzi.alerts.models import (
    SEVERITY_RANK,
    THREAT_TYPE_LABELS,
    Alert,
    AlertStep,
    CallbackTask,
    Clarification,
    Dispatch,
    Report,
    Responder,
)
from ulinzi.alerts.place_phrases import GIVEN_MIN_SCORE, NOT_PLACES, choose, place_phrases
from ulinzi.alerts.signals import alert_closed, info_keyword, ok_reply, patrol_keyword
from ulinzi.audit import domain as audit
from ulinzi.lib.text import fold
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Message, Reporter
from ulinzi.places import queries as places
from ulinzi.places.models import Base, Place

S = Alert.Status

# The lifecycle: which step may follow which. Closing is allowed from any open status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "acknowledge": (S.RECEIVED,),
    "verify": (S.ACKNOWLEDGED,),
    "notify_responders": (S.VERIFIED, S.UNVERIFIED),
    "dispatch": (S.RESPONDERS_NOTIFIED, S.DISPATCHED),
    "arrive": (S.DISPATCHED,),
}
ACTION_NAMES = {
    "acknowledge": gettext_lazy("acknowledge"),
    "verify": gettext_lazy("verify"),
    "notify_responders": gettext_lazy("notify responders"),
    "dispatch": gettext_lazy("dispatch"),
    "arrive": gettext_lazy("mark on site"),
}
GROUPING = "grouping"  # the actor of merges that a report's evidence made
CLARIFY_BELOW = 0.6  # place confidence under which the reporter is asked which place
CLARIFY_WINDOW = timedelta(hours=6)


class TransitionRefused(ValueError):
    """The step does not follow from the alert's status; the message says why."""


@dataclass(frozen=True)
class Located:
    place_id: int | None
    name: str
    lat: float | None
    lon: float | None
    score: float
    text: str
    ambiguous: list[dict[str, Any]]


def _step(alert: Alert, step: str, actor: Any, note: str = "", at: datetime | None = None) -> None:
    label = actor.get_username() if getattr(actor, "pk", None) else str(actor or "system")
    AlertStep.objects.create(
        alert=alert, step=step, at=at or timezone.now(), actor_label=label, note=note[:500]
    )


# --- Understanding a report ---------------------------------------------------


def _triage(text: str) -> Any:
    from ulinzi.alerts.triage import Model, triage

    path = getattr(settings, "ULINZI_TRIAGE_MODEL", None)
    model = _cached_model(path, Model) if path else None
    return triage(text, model=model)


_models: dict[str, Any] = {}


def _cached_model(path: str, model_class: Any) -> Any:
    if path not in _models:
        _models[path] = model_class.load(path)
    return _models[path]


@dataclass(frozen=True)
class _Prepared:
    """What the worker worked out for a waiting message before its transaction began:
    the triage, the place and, against the open alerts as they were (``token``), the
    alert the report would join. The transaction uses the decision only if the state of
    grouping is still the same; otherwise it decides again, under the lock."""

    key: tuple[str, str | None]  # text, place given
    found: Any
    located: Located
    place: Place | None
    route: tuple[Base | None, str] | None  # worked out only when no alert was to be joined
    at: datetime
    token: str
    decision: tuple[int | None, str, tuple[int, ...]]


_prepared: OrderedDict[int, _Prepared] = OrderedDict()  # message id -> what was prepared
_prepared_lock = threading.Lock()


def _hint(reporter: Reporter | None) -> str | None:
    """The name of the reporter's community's place: it breaks ties between namesakes."""
    if reporter is None or reporter.community_id is None:
        return None
    return reporter.community.place.name


def _place(place_id: int | None) -> Place | None:
    return None if place_id is None else places.matched_place(place_id)


def _understand(
    text: str, place_hint: str | None, reporter: Reporter | None, place: Place | None = None
) -> tuple[Any, Located, Place | None]:
    """The report's triage, where it is (``place`` when given, else found in the text, the
    reporter's community breaking ties) and the place matched."""
    found = _triage(text)
    if place is not None:
        return (
            found,
            Located(place.pk, place.name, place.lat, place.lon, 1.0, place.name, []),
            place,
        )
    located = locate(text, place_hint, _hint(reporter))
    return found, located, _place(located.place_id)


def _take_prepared(message: Message | None) -> _Prepared | None:
    if message is None:
        return None
    with _prepared_lock:
        return _prepared.pop(message.pk, None)


@receiver(messaging.inbound_waiting, dispatch_uid="ulinzi-alerts-prepare")
def prepare_inbound(sender: Any, message: Message, **kwargs: Any) -> None:
    """Triage, locate and group the next waiting report before the worker's transaction
    (which on SQLite holds the database's only write lock), against the open alerts as
    they are now; route it too when it would open an alert."""
    _prepare(message)


def _prepare(message: Message) -> _Prepared | None:
    parsed = keywords.parse(message.text)
    reporter = message.reporter
    if reporter is None or parsed.kind not in ("alert", "free", "patrol"):
        return None
    text = _clean(message.text)
    place_hint = given_place(parsed)
    found, located, place = _understand(text, place_hint, reporter)
    now = _arrived(message)
    unsaved = Report(
        text=text,
        threat_type=found.threat_type,
        place=place,
        lat=located.lat,
        lon=located.lon,
        received_at=now,
        reporter=reporter,
    )
    token = live.current()
    decision = live.decide(token, grouping_thresholds(), _facts(unsaved), _open_reports)
    # Routing is for a new alert only; one that joins an alert needs none.
    routed = route(place, located.lat, located.lon) if decision[0] is None else None
    prepared = _Prepared((text, place_hint), found, located, place, routed, now, token, decision)
    with _prepared_lock:
        _prepared[message.pk] = prepared
        while len(_prepared) > 16:
            _prepared.popitem(last=False)
    return prepared


def given_place(parsed: keywords.Parsed) -> str | None:
    """The place an alert or a patrol request in the keyword form gives, if it may name
    one: the first word taken for lack of a separator is not a place when it is a number
    or a common word ("ALERTE deux morts à Mbau", "HATARI watu wenye silaha Mavivi",
    "DORIA usiku Mbau"); then the text is searched for the place, as for free text."""
    if parsed.kind not in ("alert", "patrol") or not parsed.place:
        return None
    if parsed.guessed and (
        any(c.isdigit() for c in parsed.place) or fold(parsed.place) in NOT_PLACES
    ):
        return None
    return parsed.place


def _arrived(message: Message | None) -> datetime:
    """When the account reached the mission: an SMS when Ulinzi stored it (the worker may
    have been busy or stopped since; response times count from then), else now."""
    if message is not None and message.created_at is not None:
        return message.created_at
    return timezone.now()


def _clean(text: str | None) -> str:
    """Text as stored: without NUL characters or surrounding spaces."""
    return (text or "").replace("\x00", "").strip()


def locate(text: str, place_hint: str | None, hint: str | None) -> Located:
    """Find the place a report speaks of: the keyword form's place when given and found,
    else the best-matching of the words that may name a place
    (:mod:`ulinzi.alerts.place_phrases`: "ALERTE ADF wameua watu Mbau" is at Mbau);
    ``hint`` (the reporter's community's place) breaks ties between namesakes."""
    current = places.matcher()

    def search(phrase: str) -> list[dict[str, Any]]:
        return places.search_places(phrase, hint=hint, limit=3, using=current)["candidates"]

    found = choose([place_hint], search, floor=GIVEN_MIN_SCORE) if place_hint else None
    if found is None:
        towards: list[str] = []  # where people flee to: only when nothing else is a place
        found = choose(place_phrases(text, towards=towards), search) or choose(towards, search)
    if found is None:
        return Located(None, "", None, None, 0.0, place_hint or "", [])
    phrase, candidates = found
    top = candidates[0]
    score = top["score"]
    ambiguous = [c for c in candidates if c["name"].casefold() == top["name"].casefold()]
    return Located(
        top["place_id"],
        top["name"],
        top["lat"],
        top["lon"],
        score,
        phrase,
        ambiguous if score < CLARIFY_BELOW and len(ambiguous) > 1 else [],
    )


def route(place: Place | None, lat: float | None, lon: float | None) -> tuple[Base | None, str]:
    """The base whose area of responsibility holds the place, else the nearest base."""
    # Only what routing reads: an area's boundary is large and never needed here.
    bases = list(Base.objects.only("id", "code", "name", "kind", "place_id", "lat", "lon"))
    if not bases:
        return None, "no base is configured"
    if place is not None:
        inside = {place.pk, *place.ancestor_ids}
        holding = set(
            Base.areas.through.objects.filter(place_id__in=inside).values_list("base_id", flat=True)
        )
        owners = [b for b in bases if b.pk in holding]
        if owners:
            chosen = min(owners, key=lambda b: _km(b.lat, b.lon, lat, lon))
            return chosen, f"{place.name} is in the area of {chosen.name}"
    if lat is None or lon is None:
        return None, "the place is unknown: no base chosen"
    nearest = min(bases, key=lambda b: _km(b.lat, b.lon, lat, lon))
    return nearest, f"nearest base ({_km(nearest.lat, nearest.lon, lat, lon):.0f} km)"


def _base_of(actor: Any) -> Base | None:
    """The base of a person who enters a report (the first of theirs by name): a report
    whose place nobody can find stays on a board they see, to be placed there, rather
    than on no board at all. None for the system and for people with no base."""
    if not getattr(actor, "pk", None) or not hasattr(actor, "bases"):
        return None
    return actor.bases.only("id", "code", "name").order_by("name").first()


def _km(lat1: float, lon1: float, lat2: float | None, lon2: float | None) -> float:
    if lat2 is None or lon2 is None:
        return math.inf
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def grouping_thresholds() -> Thresholds:
    """The mission's thresholds (settings.ULINZI_GROUPING) over the defaults."""
    return Thresholds(**getattr(settings, "ULINZI_GROUPING", {}))


def _open_reports(since: float) -> Iterator[tuple[int, ReportFacts]]:
    """Every report of an open alert received since ``since`` (POSIX time), oldest first,
    as plain rows: the index of open alerts is built from them."""
    rows = (
        Report.objects.filter(
            received_at__gte=datetime.fromtimestamp(since, tz=timezone.get_current_timezone()),
            alert__status__in=[s for s in S.values if s != S.CLOSED],
        )
        .order_by("received_at", "id")
        .values_list(
            "id",
            "alert_id",
            "lat",
            "lon",
            "received_at",
            "threat_type",
            "text",
            "place_id",
            "reporter__phone_index",
            "place__name",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        pk, alert_id, lat, lon, received, threat, text, place_id, reporter_key, name = row
        yield (
            alert_id,
            ReportFacts(
                id=pk,
                lat=lat,
                lon=lon,
                at=received.timestamp(),
                threat_type=threat,
                text=text,
                place_id=place_id,
                reporter_key=reporter_key,
                place_name=name,
            ),
        )


def _facts(report: Report) -> ReportFacts:
    return ReportFacts(
        id=report.pk or 0,
        lat=report.lat,
        lon=report.lon,
        at=report.received_at.timestamp(),
        threat_type=report.threat_type,
        text=report.text,
        place_id=report.place_id,
        reporter_key=report.reporter.phone_index if report.reporter else None,
        place_name=report.place.name if report.place is not None else None,
    )


# --- Intake -------------------------------------------------------------------


def receive_entered(
    *,
    source: str,
    text: str,
    actor: Any,
    phone: str = "",
    place: Place | None = None,
    place_name: str | None = None,
) -> Report:
    """An account a person enters (the hotline form, the API): the caller's number, when
    given, finds or makes their reporter, who is then answered as an SMS reporter is; a
    place picked from the gazetteer wins over the words typed for it. Raises
    ``InvalidPhoneNumber`` for a number that is not one, and nothing is written."""
    with transaction.atomic():
        reporter = messaging.reporter_for_number(phone) if phone else None
        return receive_report(
            source=source,
            text=text,
            actor=actor,
            reporter=reporter,
            place=place,
            place_hint=None if place else (place_name or None),
        )


def asks_which_place(text: str, place_name: str, phone: str = "") -> bool:
    """Whether intake would ask the reporter of this account "which?": the place said
    may be several, and the community of the caller (``phone``, when known) does not
    tell them apart. A person entering a call asks the caller now instead."""
    reporter = messaging.find_reporter(phone) if phone else None
    return bool(locate(_clean(text), place_name, _hint(reporter)).ambiguous)


def receive_report(
    *,
    source: str,
    text: str,
    actor: Any = None,
    reporter: Reporter | None = None,
    message: Message | None = None,
    place: Place | None = None,
    place_hint: str | None = None,
    threat_type: str | None = None,
    severity: str | None = None,
    taught: keywords.Parsed | None = None,
) -> Report:
    """Turn one account into a report, joined to the open alert of the same incident or
    to a new one, routed to a base. ``taught``: the SMS in a taught keyword form, whose
    keyword says the reporter's language when the text says little more ("ALERT
    Mavivi"); an alert sent that way is at least of medium severity.

    Side effects: an acknowledgement SMS to the reporter (outbox); a clarifying question
    when the place is ambiguous; AlertStep "received" for a new alert; audit entries.
    """
    text = _clean(text)
    if not text:
        raise ValueError("the report has no text")
    now = _arrived(message)
    prepared = _take_prepared(message)
    if prepared is not None and (prepared.key != (text, place_hint) or place or threat_type):
        prepared = None
    if prepared is not None:
        found, located, place_obj = prepared.found, prepared.located, prepared.place
        now = prepared.at
    else:
        found, located, place_obj = _understand(text, place_hint, reporter, place)
    # No savepoint when called inside a transaction (the worker's): if anything here
    # fails, the caller's transaction is undone as a whole.
    with transaction.atomic(savepoint=False):
        report = Report(
            source=source,
            message=message,
            reporter=reporter,
            entered_by=actor if getattr(actor, "pk", None) else None,
            text=text,
            language=_language(found, taught),
            threat_type=threat_type or found.threat_type,
            severity=severity or _taught_severity(found.severity, taught),
            triage={"because": found.because, "labels": found.labels, "predicted": found.predicted},
            place=place_obj,
            place_text=located.text[:200],
            place_score=round(located.score, 3),
            lat=located.lat,
            lon=located.lon,
            received_at=now,
        )
        # Reports are grouped one at a time: the state stays locked until commit. A
        # decision prepared in advance holds if the state has not changed since.
        token = live.advance(prepared.token) if prepared is not None else None
        if prepared is not None and token is not None:
            before, (alert_id, reason, merges) = prepared.token, prepared.decision
        else:
            before = live.lock()
            alert_id, reason, merges = live.decide(
                before, grouping_thresholds(), _facts(report), _open_reports
            )
            token = live.changed()
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first() if alert_id else None
        if alert is not None and alert.status == S.CLOSED:
            alert = None  # closed or merged a moment ago: the report starts a new alert
        if alert is None:
            if prepared is not None and prepared.route is not None:
                base, why = prepared.route
            else:
                base, why = route(place_obj, located.lat, located.lon)
            if base is None and (entering := _base_of(actor)) is not None:
                base, why = (
                    entering,
                    f"the place is unknown: kept at {entering.name}, where it was entered",
                )
            alert = Alert.objects.create(
                threat_type=report.threat_type,
                severity=report.severity,
                language=report.language,
                summary=text[:300],
                place=place_obj,
                lat=located.lat,
                lon=located.lon,
                base=base,
                routing_reason=why,
                received_at=now,
            )
            _step(alert, "received", actor or source, why, at=now)
            if alert_id is not None:  # grouping's own reason says why no alert was joined
                reason = f"new alert: the alert it fits, A-{alert_id}, was closed"
        else:  # a later report can raise the alert's severity, never lower it
            _raise_severity(alert, report.severity, report.threat_type, "a later report")
        report.alert = alert
        report.grouping_reason = reason[:300]
        report.save()
        merged = _bring_together(alert, merges, report) if alert.pk == alert_id else ()
        if merged:  # the state after the merges, which the kept index learns too
            token = live.changed()
        live.joined(before, token, alert.pk, _facts(report), merged)
        audit.record(
            actor or source,
            "alerts.receive_report",
            report,
            subject_label=f"report to {alert.reference}",
            after={
                "alert": alert.pk,
                "source": source,
                "threat_type": report.threat_type,
                "severity": report.severity,
                "grouping": reason[:200],
            },
        )
        if reporter is not None:
            if message is None:  # a hotline call or a report typed in: still in touch
                messaging.in_contact(reporter)
            language = texts.reply_language(report.language, reporter.language)
            messaging.queue_message(
                reporter,
                texts.pick(texts.ACKNOWLEDGEMENT, language).format(ref=alert.reference),
                purpose="acknowledgement",
                channel=message.channel if message else None,
                actor=actor or source,
            )
            if located.ambiguous:
                _ask_which_place(report, located, language)
            elif place_obj is None and message is not None:
                _ask_where(report, alert, language)
    return report


def _language(found: Any, taught: keywords.Parsed | None) -> str:
    """The language of a report: the keyword's when the rest says too little to tell
    (triage cannot say, or a few words and none of a threat: "ALERT Mavivi" and "ALERT
    Mbau Centre" are English, "ALERT Kiwanja" is not Swahili), else the one triage
    found ("ALERT Mbau: risasi nyingi" is Swahili). ``found``: the triage."""
    if taught is not None and taught.language is not None:
        little = len((taught.what or "").split()) < 3 and found.threat_type == "other"
        if found.language == "und" or little:
            return taught.language
    return str(found.language)


def _taught_severity(severity: str, taught: keywords.Parsed | None) -> str:
    """An alert sent in the keyword form is at least of medium severity: a focal point
    uses it to warn, even with no word of what happens ("ALERTE Mavivi")."""
    if taught is not None and taught.kind == "alert":
        return min(severity, "medium", key=SEVERITY_RANK.__getitem__)
    return severity


#: How a correction's note starts when it changed the threat type (it is said first):
#: a threat type set by hand is not renamed by a later report.
THREAT_CORRECTED = "threat type "


def _raise_severity(alert: Alert, severity: str, threat_type: str, source: str) -> None:
    """The alert is at least as severe as ``severity`` (it never becomes less severe);
    when a graver account (``source``: "report 12", "A-7") raises it, the alert is named
    after that account's threat (two killed is a killing, not the abduction first
    reported), on its timeline, unless a duty officer set the threat type by hand."""
    if SEVERITY_RANK[severity] >= SEVERITY_RANK[alert.severity]:
        return
    alert.severity = severity
    changed = ["severity"]
    set_by_hand = alert.steps.filter(step="corrected", note__startswith=THREAT_CORRECTED)
    if threat_type != alert.threat_type and not set_by_hand.exists():
        _step(alert, "renamed", GROUPING, f"{alert.threat_type} → {threat_type} ({source})")
        alert.threat_type = threat_type
        changed.append("threat_type")
    alert.save(update_fields=changed)


def _bring_together(alert: Alert, others: tuple[int, ...], report: Report) -> tuple[int, ...]:
    """The report fits other open alerts as well as the one it joined: they are one
    incident, merged into the older (``alert``), as a duty officer would, audited. The
    alerts merged."""
    if not others:
        return ()
    merged = []
    untouched = alert.status == S.RECEIVED  # before it takes on what was done for the others
    for other in Alert.objects.filter(pk__in=others).exclude(status=S.CLOSED).order_by("pk"):
        merge_alerts(actor=GROUPING, alert=other, into=alert, why=f"report {report.pk}")
        merged.append(other.pk)
    if merged:  # what the merges made of it: status, times, severity, threat
        alert.refresh_from_db()
    if merged and untouched:  # nobody had acted on it
        # The older alert may be the fragment put at the wrong village: it moves to where
        # most of its reports now are (a tie keeps its place).
        counts = Counter(alert.reports.exclude(place=None).values_list("place_id", flat=True))
        most = max(counts.values(), default=0)
        if most and counts.get(alert.place_id, 0) < most:
            # Not _place: that reads the matcher's cache, current only after a search.
            place = (
                Place.objects.defer("geometry", "details")
                .filter(pk=min(p for p, n in counts.items() if n == most))
                .first()
            )
            if place is not None:
                _move(alert, place)
                note = f"to {place.name}, where most of its reports are ({alert.routing_reason})"
                _step(alert, "relocated", GROUPING, note)
    return tuple(merged)


def _move(alert: Alert, place: Place) -> None:
    """The alert is at ``place`` now, routed again to the base for it."""
    base, why = route(place, place.lat, place.lon)
    alert.place, alert.lat, alert.lon, alert.base, alert.routing_reason = (
        place,
        place.lat,
        place.lon,
        base,
        why,
    )
    alert.save(update_fields=["place", "lat", "lon", "base", "routing_reason"])


def _ask_which_place(
    report: Report, located: Located, language: str, question: Clarification | None = None
) -> None:
    """Ask the reporter which of the namesakes ``located`` found they meant (``question``:
    the report's open question, which becomes this one)."""
    ids = [c["place_id"] for c in located.ambiguous[:4]]
    if question is None:
        Clarification.objects.create(report=report, options=ids, asked_at=timezone.now())
    else:
        question.options, question.asked_at, question.asked_again_at = ids, timezone.now(), None
        question.save(update_fields=["options", "asked_at", "asked_again_at"])
    messaging.queue_message(
        report.reporter,  # type: ignore[arg-type]
        texts.clarifying_question(language, located.name, list(_option_words(ids).values())),
        purpose="clarification",
        channel=report.message.channel if report.message else None,
    )


def _ask_where(report: Report, alert: Alert, language: str) -> None:
    """No place found in the report: its reporter is asked where (an open question with
    no options, answered by a reply that names a place)."""
    Clarification.objects.create(report=report, options=[], asked_at=timezone.now())
    messaging.queue_message(
        report.reporter,  # type: ignore[arg-type]
        texts.pick(texts.WHERE, language).format(ref=alert.reference),
        purpose="clarification",
        channel=report.message.channel if report.message else None,
    )


def _waiting_questions(reporter: Reporter, *, lock: bool = False) -> Any:
    """The reporter's questions still waiting for an answer, latest first."""
    questions = Clarification.objects.select_for_update() if lock else Clarification.objects
    return (
        questions.filter(
            report__reporter=reporter,
            answered_at__isnull=True,
            asked_at__gte=timezone.now() - CLARIFY_WINDOW,
        )
        .select_related("report", "report__alert")
        .order_by("-asked_at")
    )


def _latest(waiting: Any, *, numbered: bool) -> Clarification | None:
    """The first of ``waiting`` (``numbered``: the first "which?" question, the only kind
    a number answers)."""
    return next((q for q in waiting[:5] if q.options or not numbered), None)


def _open_question(
    reporter: Reporter, *, lock: bool = False, with_options: bool = False
) -> Clarification | None:
    """The reporter's latest question still waiting for an answer, if any (``with_options``:
    the latest "which?" question)."""
    return _latest(_waiting_questions(reporter, lock=lock), numbered=with_options)


#: A reply longer than this is a new report, not an answer.
REPLY_WORDS = 6


def _may_answer(text: str) -> bool:
    """Whether a free text could answer a question: short, and telling of no threat.
    "Risasi Mbau sasa" or "2 morts à Mbau" tell of something: a report of its own."""
    return len(text.split()) <= REPLY_WORDS and _triage(text).threat_type == "other"


def _answer_in_words(question: Clarification, message: Message) -> bool:
    """A short reply to the reporter's open ``question`` that is not a choice by number or
    by the word offered: one naming a place ("Mbau", "ni Kalunguta") puts the report
    there; one naming namesakes ("Majengo") is asked about in turn ("Which Majengo?");
    one naming no place ("sijui", "au marché") is kept on the alert's timeline for the
    duty officer and the question is asked again, once, as it is when a "which?" question
    is answered with namesakes again. False (a report of its own) when it names one place
    a "which?" question did not offer, or one not in the gazetteer any more."""
    reporter = message.reporter
    assert reporter is not None
    text = _clean(message.text)
    located = locate(text, None, _hint(reporter))
    offered = (None, *question.options)
    if question.options and located.place_id not in offered and not located.ambiguous:
        return False  # "Ils sont à Goma" to "Which Majengo?": a report of its own
    if located.place_id is None or (question.options and located.ambiguous):
        _step(question.report.alert, "reporter_replied", reporter.pseudonym, text)
        ask_again(message, question=question)
        return True
    if located.ambiguous:  # the question becomes "which Majengo?"
        _step(question.report.alert, "reporter_replied", reporter.pseudonym, text)
        _ask_which_place(
            question.report,
            located,
            texts.reply_language(question.report.language, reporter.language),
            question,
        )
        return True
    place = _place(located.place_id)
    if place is None:
        return False
    _apply_answer(question, place, located.text[:40], reporter)
    return True


def answer_clarification(reporter: Reporter, choice: int) -> Report | None:
    """Apply the reporter's answer ("2") to their latest open "which?" question, if it
    fits."""
    with transaction.atomic():
        question = _open_question(reporter, lock=True, with_options=True)
        return _answer_choice(question, choice, reporter) if question is not None else None


def _answer_choice(question: Clarification, choice: int, reporter: Reporter) -> Report | None:
    if not 1 <= choice <= len(question.options):
        return None
    place = Place.objects.filter(pk=question.options[choice - 1]).first()
    if place is None:
        return None
    return _apply_answer(question, place, str(choice), reporter)


def _apply_answer(question: Clarification, place: Place, answer: str, reporter: Reporter) -> Report:
    """The report of ``question`` is at ``place`` (the reporter said so); so is its
    alert, while it is that report's alone and in nobody's hands."""
    question.answered_at, question.answer = timezone.now(), answer
    question.save(update_fields=["answered_at", "answer"])
    report = question.report
    report.place, report.lat, report.lon, report.place_score = place, place.lat, place.lon, 1.0
    report.save(update_fields=["place", "lat", "lon", "place_score"])
    live.changed()
    alert = report.alert
    alone = alert.reports.count() == 1
    # A closed alert stays as it was closed: the answer is only on its timeline.
    open_ = alert.status != S.CLOSED
    # Grouped by the place it was first taken to be, a report that now lies farther from
    # every other report of its alert than any report is ever joined leaves for an alert
    # of its own, routed to the base of the place the reporter gave.
    leaves = open_ and not alone and _far_from_the_others(report)
    # Otherwise an alert without a place gets this one; one placed already moves only
    # while it is this report's alone and in nobody's hands.
    if open_ and not leaves and (alert.place_id is None or (alone and alert.status == S.RECEIVED)):
        _move(alert, place)
    _step(alert, "place_clarified", reporter.pseudonym, f"{place.name} (answer {answer})")
    audit.record(
        reporter.pseudonym, "alerts.answer_clarification", report, after={"place": place.pk}
    )
    if leaves:
        split_report(actor=GROUPING, report=report)
        report.refresh_from_db()
    return report


def _far_from_the_others(report: Report) -> bool:
    """Whether ``report`` lies beyond the grouping's reach from every other located
    report of its alert (nothing that far is ever grouped)."""
    if report.lat is None or report.lon is None:
        return False
    others = (
        report.alert.reports.exclude(pk=report.pk)
        .exclude(lat=None)
        .exclude(lon=None)
        .values_list("lat", "lon")
    )
    reach = grouping_thresholds().reach_km
    return bool(others) and all(_km(report.lat, report.lon, la, lo) > reach for la, lo in others)


def ask_again(
    message: Message, *, numbered: bool = False, question: Clarification | None = None
) -> None:
    """An answer that fits no open question ("3" when there were two choices, "sijui" to
    "where?"): the question is asked again, once (``question``, else the latest;
    ``numbered``: the latest "which?" question, the only kind a number answers); with no
    open question, nothing is sent."""
    reporter = message.reporter
    if reporter is None:
        return
    waiting = _waiting_questions(reporter).filter(asked_again_at__isnull=True)
    if question is not None:
        waiting = waiting.filter(pk=question.pk)
    question = _latest(waiting, numbered=numbered)
    if question is None:
        return
    language = texts.reply_language(question.report.language, reporter.language)
    with transaction.atomic():
        Clarification.objects.filter(pk=question.pk).update(asked_again_at=timezone.now())
        if question.options:
            words = _option_words(question.options)
            if len(words) < 2 or len(words) < len(question.options):
                return  # a place offered is gone from the gazetteer: the numbers would lie
            text = texts.clarifying_question(
                language,
                question.report.place_text or Place.objects.get(pk=question.options[0]).name,
                list(words.values()),
            )
        else:
            text = texts.pick(texts.WHERE, language).format(ref=question.report.alert.reference)
        messaging.queue_message(reporter, text, purpose="clarification", channel=message.channel)


def _option_words(ids: list[int]) -> dict[int, str]:
    """What the question calls each of the namesakes ``ids`` still in the gazetteer: the
    area (or neighbouring village) that tells it from the others."""
    by_id = {p.pk: p for p in Place.objects.filter(pk__in=ids)}
    offered = [by_id[i] for i in ids if i in by_id]
    return {p.pk: w for p, w in zip(offered, places.namesake_words(offered), strict=True)}


def record_missed_call(reporter: Reporter) -> CallbackTask:
    """A "beep": a call-back task, unless one is already waiting for this reporter."""
    with transaction.atomic():
        task = CallbackTask.objects.filter(reporter=reporter, done_at__isnull=True).first()
        if task is None:
            task = CallbackTask.objects.create(reporter=reporter)
            audit.record("hotline", "alerts.record_missed_call", task)
    return task


def complete_callback(*, actor: Any, task: CallbackTask, note: str) -> CallbackTask:
    """The reporter was called back (or could not be reached: say so in the note)."""
    note = _clean(note)
    if not note:
        raise TransitionRefused(_("say what came of the call"))
    with transaction.atomic():
        locked = CallbackTask.objects.select_for_update().get(pk=task.pk)
        if locked.done_at is not None:
            raise TransitionRefused(_("this call-back is done already"))
        # A task's own note (a patrol request by SMS) is kept before the outcome, shortened
        # if need be: the outcome is never cut.
        note = note[:300]
        room = 300 - len(note) - len(" — ")
        kept = locked.note if len(locked.note) <= room else locked.note[: max(room - 1, 0)] + "…"
        outcome = f"{kept} — {note}" if locked.note and room > 1 else note
        locked.done_at, locked.done_by, locked.note = timezone.now(), actor, outcome
        locked.save(update_fields=["done_at", "done_by", "note"])
        messaging.in_contact(locked.reporter)
        audit.record(actor, "alerts.complete_callback", locked, after={"note": note[:200]})
    return locked


@receiver(messaging.missed_call, dispatch_uid="ulinzi-alerts-missed-call")
def handle_missed_call(sender: Any, reporter: Reporter, channel: Any, **kwargs: Any) -> None:
    record_missed_call(reporter)


@receiver(messaging.message_received, dispatch_uid="ulinzi-alerts-inbound")
def handle_inbound(sender: Any, message: Message, created: bool, **kwargs: Any) -> None:
    """Every new inbound SMS: opt-out and opt-in words, answers to questions, patrol
    requests, reports (a patrol request that tells of a threat is a report too)."""
    if not created or message.reporter is None:
        return
    parsed = keywords.parse(message.text)
    if parsed.kind in ("stop", "start"):
        messaging.set_opt_out(
            message.reporter, opted_out=parsed.kind == "stop", source=message.channel.name
        )
        return
    if parsed.kind == "reply" and parsed.choice is not None:
        # A bare number is an answer or nothing: it never becomes an alert of its own.
        if answer_clarification(message.reporter, parsed.choice) is None:
            ask_again(message, numbered=True)
        return
    if parsed.kind == "info":
        info_keyword.send(
            sender=Message,
            message=message,
            keyword=parsed.keyword or "INFO",
            language=parsed.language or message.reporter.language,
        )
        return
    if parsed.kind == "ok":
        ok_reply.send(sender=Message, reporter=message.reporter)
        return
    if parsed.kind == "patrol":
        patrol_keyword.send(
            sender=Message,
            message=message,
            place=given_place(parsed),
            what=parsed.what or "",
            language=parsed.language or message.reporter.language,
        )
        # "Patrol needed at Mbau, ADF killed 3 people": the request, and a report of
        # what it tells, at the place it names (a patrol request alone waits for a
        # call-back).
        if not _tells_of_a_threat(message):
            return
    if parsed.kind == "free" and _answers_a_question(message):
        return
    receive_report(
        source=Report.Source.SMS,
        text=message.text,
        reporter=message.reporter,
        message=message,
        place_hint=given_place(parsed),
        actor=message.channel.name,
        taught=parsed if parsed.kind == "alert" else None,
    )


def _tells_of_a_threat(message: Message) -> bool:
    """Whether the SMS tells of a threat, by the triage worked out before the transaction
    (else now): it is kept for the report, or dropped when there will be none."""
    with _prepared_lock:
        prepared = _prepared.get(message.pk)
    prepared = prepared or _prepare(message)
    if prepared is None or prepared.found.threat_type == "other":
        _take_prepared(message)
        return False
    return True


_LEADING_CHOICE = re.compile(r"^\s*[(#]?([1-9])(?:[).:,-]|\s|$)")


def _answers_a_question(message: Message) -> bool:
    """A free-text SMS that answers the reporter's open question: "2 Rutshuru" or "ni
    Goma" to "Which Kiwanja? 1 ... 2 Goma", or a place's name to "where?". Applied (the
    question read once, locked, in the worker's transaction), and True. A long text, or
    one that tells of a threat, is a report even when it starts with a number."""
    reporter = message.reporter
    if reporter is None or not _may_answer(_clean(message.text)):
        return False
    with transaction.atomic(savepoint=False):  # no savepoint on the worker's hot path
        question = _open_question(reporter, lock=True)
        if question is None:
            return False
        if question.options:
            leading = _LEADING_CHOICE.match(message.text)
            choice = int(leading.group(1)) if leading else _choice_named(question, message.text)
            if choice and _answer_choice(question, choice, reporter) is not None:
                return True
        return _answer_in_words(question, message)


def _choice_named(question: Clarification, text: str) -> int:
    """The option a reply names by the area the question gave it ("Rutshuru" to "Which
    Kiwanja? 1 Rutshuru 2 Goma"), when it names exactly one; else 0."""
    offered = _option_words(question.options)
    said = f" {' '.join(fold(text).split())} "
    named = [
        n
        for n, pk in enumerate(question.options, start=1)
        if pk in offered and f" {' '.join(fold(offered[pk]).split())} " in said
    ]
    return named[0] if len(named) == 1 else 0


# --- The lifecycle --------------------------------------------------------------


def _advance(alert: Alert, action: str, actor: Any) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    allowed = TRANSITIONS[action]
    if locked.status not in allowed:
        names = _(" or ").join(str(Alert.Status(s).label) for s in allowed)
        raise TransitionRefused(
            _("%(ref)s is %(status)s: it must be %(allowed)s to %(action)s")
            % {
                "ref": locked.reference,
                "status": locked.get_status_display(),
                "allowed": names,
                "action": ACTION_NAMES[action],
            }
        )
    return locked


def _change(
    alert: Alert, actor: Any, action: str, status: str, stamp: str, note: str = ""
) -> Alert:
    before = alert.status
    now = timezone.now()
    alert.status = status
    setattr(alert, stamp, now)
    alert.save(update_fields=["status", stamp])
    _step(alert, action, actor, note, at=now)
    audit.record(
        actor,
        f"alerts.{action}",
        alert,
        before={"status": before},
        after={"status": status, "note": note[:200]},
    )
    return alert


def acknowledge_alert(*, actor: Any, alert: Alert) -> Alert:
    with transaction.atomic():
        locked = _advance(alert, "acknowledge", actor)
        return _change(locked, actor, "acknowledge", S.ACKNOWLEDGED, "acknowledged_at")


def verify_alert(*, actor: Any, alert: Alert, result: str, note: str = "") -> Alert:
    """``result``: verified, unverified (could not be confirmed, still acted on) or
    false_alarm (then close it with the outcome false_alarm)."""
    if result not in (S.VERIFIED, S.UNVERIFIED, S.FALSE_ALARM):
        raise TransitionRefused(
            "the verification result must be verified, unverified or false_alarm"
        )
    with transaction.atomic():
        locked = _advance(alert, "verify", actor)
        return _change(locked, actor, "verify", result, "verified_at", note)


def notify_responders(
    *, actor: Any, alert: Alert, responders: list[Responder], note: str = ""
) -> Alert:
    if not responders:
        raise TransitionRefused(_("choose at least one responder to notify"))
    with transaction.atomic():
        locked = _advance(alert, "notify_responders", actor)
        names = ", ".join(r.name for r in responders)
        return _change(
            locked,
            actor,
            "notify_responders",
            S.RESPONDERS_NOTIFIED,
            "notified_at",
            f"{names}. {note}".strip(),
        )


def dispatch_response(*, actor: Any, alert: Alert, responder: Responder, note: str = "") -> Alert:
    with transaction.atomic():
        locked = _advance(alert, "dispatch", actor)
        sent = Dispatch.objects.filter(alert=locked, responder=responder).first()
        if sent is not None:  # a double click, or two officers at once
            raise TransitionRefused(
                _("%(name)s was dispatched to %(ref)s already, at %(time)s")
                % {
                    "name": responder.name,
                    "ref": locked.reference,
                    "time": timezone.localtime(sent.at).strftime("%H:%M"),
                }
            )
        Dispatch.objects.create(
            alert=locked, responder=responder, at=timezone.now(), note=note[:300]
        )
        if locked.status == S.DISPATCHED:  # a second responder sent: keep the first time
            _step(locked, "dispatch", actor, f"{responder.name}. {note}".strip())
            audit.record(actor, "alerts.dispatch", locked, after={"responder": responder.pk})
            return locked
        return _change(
            locked,
            actor,
            "dispatch",
            S.DISPATCHED,
            "dispatched_at",
            f"{responder.name}. {note}".strip(),
        )


def mark_on_site(*, actor: Any, alert: Alert, note: str = "") -> Alert:
    with transaction.atomic():
        locked = _advance(alert, "arrive", actor)
        return _change(locked, actor, "arrive", S.ON_SITE, "on_site_at", note)


def correct_alert(
    *,
    actor: Any,
    alert: Alert,
    threat_type: str | None = None,
    severity: str | None = None,
    place: Place | None = None,
    note: str = "",
) -> Alert:
    """A duty officer overrides what triage and location decided: the threat type, the
    severity (lower too: a person's judgement, not a later report's), or the place, which
    routes the alert again to the base for it. Only what differs is changed; each change
    is on the timeline and audited with what it replaced."""
    if threat_type is not None and threat_type not in THREAT_TYPE_LABELS:
        raise TransitionRefused(_("Choose a threat type of the taxonomy."))
    if severity is not None and severity not in SEVERITY_RANK:
        raise TransitionRefused(_("Choose a severity: critical, high, medium or low."))
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("place", "base")
            .get(pk=alert.pk)
        )
        if locked.status == S.CLOSED:
            raise TransitionRefused(_("%(ref)s is closed already") % {"ref": locked.reference})
        before = audit.snapshot(locked, ["threat_type", "severity", "place", "base"])
        changes = []
        if threat_type is not None and threat_type != locked.threat_type:
            changes.append(f"{THREAT_CORRECTED}{locked.threat_type} → {threat_type}")
            locked.threat_type = threat_type
        if severity is not None and severity != locked.severity:
            changes.append(f"severity {locked.severity} → {severity}")
            locked.severity = severity
        if changes:
            locked.save(update_fields=["threat_type", "severity"])
        if place is not None and place.pk != locked.place_id:
            was = locked.place.name if locked.place is not None else "unknown"
            _move(locked, place)
            changes.append(f"place {was} → {place.name} ({locked.routing_reason})")
        if not changes:
            raise TransitionRefused(_("Nothing to change: it is so already."))
        text = "; ".join(changes) + (f". {_clean(note)}" if _clean(note) else "")
        _step(locked, "corrected", actor, text[:300])
        audit.record(
            actor,
            "alerts.correct",
            locked,
            before=before,
            after=audit.snapshot(locked, ["threat_type", "severity", "place", "base"])
            | {"note": _clean(note)[:200]},
        )
    return locked


def close_alert(
    *,
    actor: Any,
    alert: Alert,
    outcome: str,
    note: str = "",
    feedback: str | Mapping[str, str] = "",
    fatalities: int | None = None,
) -> Alert:
    """Close with an outcome, and send the reporters a closing message in their language
    (``feedback`` is added to it: what was done, in a few words; by language, the words
    for the reporters answered in each, see :func:`queries.reply_language`). ``fatalities``:
    the people killed, when known. Receivers of ``alert_closed`` run in the same
    transaction (a verified alert becomes an event of the threat analysis)."""
    if fatalities is not None and fatalities < 0:
        raise TransitionRefused(_("the number of people killed cannot be negative"))
    if outcome not in Alert.Outcome.values:
        raise TransitionRefused(
            _("the outcome must be one of %(values)s") % {"values": ", ".join(Alert.Outcome.values)}
        )
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status == S.CLOSED:
            raise TransitionRefused(_("%(ref)s is closed already") % {"ref": locked.reference})
        if locked.status == S.FALSE_ALARM and outcome != Alert.Outcome.FALSE_ALARM:
            # Otherwise a false alarm would count as an alert addressed in the figures.
            raise TransitionRefused(
                _("%(ref)s was found to be a false alarm: close it as a false alarm")
                % {"ref": locked.reference}
            )
        if (
            outcome in ADDRESSED_OUTCOMES
            and PROGRESS[locked.status] < PROGRESS[S.RESPONDERS_NOTIFIED]
        ):
            # The figures count these as alerts the mission addressed, and the reporters
            # are told it acted.
            raise TransitionRefused(
                _(
                    "%(ref)s is %(status)s: no responder was notified, so it cannot be "
                    "closed as “%(outcome)s”; close it as no response possible, a false "
                    "alarm or a duplicate"
                )
                % {
                    "ref": locked.reference,
                    "status": locked.get_status_display(),
                    "outcome": Alert.Outcome(outcome).label,
                }
            )
        locked.outcome, locked.closing_note = outcome, note
        locked.fatalities = fatalities
        locked.save(update_fields=["outcome", "closing_note", "fatalities"])
        live.changed()
        _change(
            locked,
            actor,
            "close",
            S.CLOSED,
            "closed_at",
            f"{Alert.Outcome(outcome).label}. {note}".strip(),
        )
        sent = 0
        for report in queries.reporters_to_answer(locked):
            language = queries.reply_language(report)
            words = feedback if isinstance(feedback, str) else feedback.get(language, "")
            text = (
                texts.pick(texts.CLOSING, language)
                .format(ref=locked.reference, note=words.strip())
                .strip()
            )
            queued = messaging.queue_message(
                report.reporter,  # type: ignore[arg-type]
                text,
                purpose="feedback",
                channel=report.message.channel if report.message else None,
                actor=actor,
            )
            sent += queued is not None and queued.status == "queued"
        if sent:
            locked.feedback_sent_at = timezone.now()
            locked.save(update_fields=["feedback_sent_at"])
            _step(locked, "feedback_sent", actor, f"{sent} reporter(s)")
        alert_closed.send(sender=Alert, alert=locked, actor=actor)
    return locked


def merge_alerts(*, actor: Any, alert: Alert, into: Alert, why: str = "") -> Alert:
    """Move every report of ``alert`` into ``into`` and close ``alert`` as a duplicate.
    ``why``: what showed they are one (a report that fits both), for the timeline."""
    if alert.pk == into.pk:
        raise TransitionRefused(_("an alert cannot be merged into itself"))
    with transaction.atomic():
        source = Alert.objects.select_for_update().get(pk=alert.pk)
        target = Alert.objects.select_for_update().get(pk=into.pk)
        if source.status == S.CLOSED or target.status == S.CLOSED:
            raise TransitionRefused(_("only open alerts can be merged"))
        live.changed()
        moved = Report.objects.filter(alert=source).update(
            alert=target, grouping_reason=f"merged from {source.reference}"
        )
        _carry_progress(source, target)
        source.merged_into, source.outcome, source.status, source.closed_at = (
            target,
            Alert.Outcome.DUPLICATE,
            S.CLOSED,
            timezone.now(),
        )
        source.save(update_fields=["merged_into", "outcome", "status", "closed_at"])
        # As grave as either said.
        _raise_severity(target, source.severity, source.threat_type, source.reference)
        because = f" ({why})" if why else ""
        _step(source, "merged", actor, f"into {target.reference}{because}")
        _step(target, "merged", actor, f"{moved} report(s) from {source.reference}{because}")
        audit.record(
            actor,
            "alerts.merge",
            target,
            after={"from": source.pk, "reports": moved} | ({"why": why} if why else {}),
        )
    return target


#: How far along the lifecycle each open status is (a verification result counts alike).
PROGRESS = {
    S.RECEIVED: 0,
    S.ACKNOWLEDGED: 1,
    S.FALSE_ALARM: 1,  # about one fragment: not said of the incident its reports join
    S.UNVERIFIED: 2,
    S.VERIFIED: 3,
    S.RESPONDERS_NOTIFIED: 4,
    S.DISPATCHED: 5,
    S.ON_SITE: 6,
}
STAMPS = ("acknowledged_at", "verified_at", "notified_at", "dispatched_at", "on_site_at")


def _carry_progress(source: Alert, target: Alert) -> None:
    """What was done about ``source`` counts for ``target``, the one incident they are:
    the further status, each step at the earliest time either reached it, the first
    report's time, and the responders dispatched."""
    status = S.ACKNOWLEDGED if source.status == S.FALSE_ALARM else source.status
    if PROGRESS[status] > PROGRESS[target.status]:
        target.status = status
    for stamp in ("received_at", *STAMPS):
        if stamp == "verified_at" and source.status == S.FALSE_ALARM:
            continue
        times = [t for t in (getattr(source, stamp), getattr(target, stamp)) if t is not None]
        setattr(target, stamp, min(times, default=None))
    target.save(update_fields=["status", "received_at", *STAMPS])
    Dispatch.objects.filter(alert=source).update(alert=target)


def split_report(*, actor: Any, report: Report) -> Alert:
    """Take a report out of its alert into a new alert of its own."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        old = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("base")
            .get(pk=report.alert_id)
        )
        if old.status == S.CLOSED:
            # A closed incident is not reopened (its reporters were told it was dealt with).
            raise TransitionRefused(_("%(ref)s is closed already") % {"ref": old.reference})
        if old.reports.count() < 2:
            raise TransitionRefused(_("the report is the only one of its alert"))
        base, why = route(report.place, report.lat, report.lon)
        if base is None and old.base is not None:  # no place of its own: it stays in view
            base, why = (
                old.base,
                f"no place given: kept at {old.base.name}, base of {old.reference}",
            )
        new = Alert.objects.create(
            threat_type=report.threat_type,
            severity=report.severity,
            language=report.language,
            summary=report.text[:300],
            place=report.place,
            lat=report.lat,
            lon=report.lon,
            base=base,
            routing_reason=why,
            received_at=report.received_at,
        )
        report.alert, report.grouping_reason = new, f"split from {old.reference}"
        live.changed()
        report.save(update_fields=["alert", "grouping_reason"])
        _step(new, "received", actor, f"split from {old.reference}")
        _step(old, "split", actor, f"report {report.pk} to {new.reference}")
        audit.record(actor, "alerts.split", new, after={"from": old.pk, "report": report.pk})
    return new


# --- Responders ------------------------------------------------------------------


def save_responder(
    *,
    actor: Any,
    base: Base,
    name: str,
    kind: str,
    active: bool = True,
    responder: Responder | None = None,
) -> Responder:
    """Add a unit a base's alerts can call on (``responder`` None), or change one: its
    name, kind, or whether it can be called on now (a unit stood down stays in the
    record of the alerts it answered). Audited."""
    name = " ".join(_clean(name).split())
    if not name:
        raise TransitionRefused(_("Give the responder a name."))
    if len(name) > 120:
        raise TransitionRefused(_("A responder's name has at most 120 characters."))
    if kind not in Responder.Kind.values:
        raise TransitionRefused(_("Choose what kind of responder it is."))
    with transaction.atomic():
        same = Responder.objects.filter(base=base, name__iexact=name)
        if responder is not None:
            same = same.exclude(pk=responder.pk)
        if same.exists():
            raise TransitionRefused(
                _("%(base)s already has a responder called %(name)s.")
                % {"base": base.name, "name": name}
            )
        if responder is None:
            saved, before = Responder(base=base), None
        else:
            saved = Responder.objects.select_for_update().get(pk=responder.pk)
            before = audit.snapshot(saved, ["name", "kind", "active"])
        saved.name, saved.kind, saved.active = name, kind, active
        saved.save()
        audit.record(
            actor,
            "alerts.save_responder",
            saved,
            subject_label=f"{saved.name} ({base.name})",
            before=before,
            after=audit.snapshot(saved, ["name", "kind", "active"]) | {"base": base.code},
        )
    return saved


# --- Retention (``ulinzi purge``) -------------------------------------------------


def purge_callbacks(before: datetime, *, dry_run: bool = False) -> int:
    """Delete the call-back tasks done before ``before`` (their notes tell of calls with
    reporters): how many."""
    done = CallbackTask.objects.filter(done_at__lt=before)
    if dry_run:
        return done.count()
    with transaction.atomic():
        return done.delete()[0]
