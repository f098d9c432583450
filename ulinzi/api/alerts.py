from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator

from ulinzi.alerts import domain, queries
from ulinzi.alerts.models import THREAT_TYPES, Alert, Responder
from ulinzi.api.places import ERRORS, NO_NUL, Message, NoNul
from ulinzi.lib.phone import InvalidPhoneNumber, typed_number

router = Router(tags=["alerts"])
ThreatType = Literal[tuple(t for t, _ in THREAT_TYPES)]  # type: ignore[valid-type]
AlertStatus = Literal[tuple(Alert.Status.values)]  # type: ignore[valid-type]
Outcome = Literal[tuple(Alert.Outcome.values)]  # type: ignore[valid-type]


class PlaceRef(Schema):
    id: int | None
    name: str | None
    lat: float | None
    lon: float | None


class Timeline(Schema):
    received_at: datetime
    acknowledged_at: datetime | None
    verified_at: datetime | None
    notified_at: datetime | None
    dispatched_at: datetime | None
    on_site_at: datetime | None
    closed_at: datetime | None
    feedback_sent_at: datetime | None


class AlertOut(Schema):
    id: int
    reference: str
    status: str
    outcome: str
    threat_type: str
    severity: str
    summary: str
    place: PlaceRef
    base: str | None
    reports: int
    times: Timeline


class ReportOut(Schema):
    id: int
    source: str
    reporter: str | None = Field(None, description="the reporter's pseudonym, never the number")
    text: str
    language: str
    threat_type: str
    severity: str
    because: list[str]
    place_text: str
    received_at: datetime
    grouping_reason: str


class StepOut(Schema):
    step: str
    at: datetime
    actor: str
    note: str


class AlertDetailOut(AlertOut):
    report_list: list[ReportOut]
    timeline: list[StepOut]


def _in_utc(moment: datetime) -> datetime:
    """Any offset the ISO format allows (even -19:40) as UTC, which every database takes;
    a time without an offset is the mission's."""
    if moment.tzinfo is None:
        return timezone.make_aware(moment)
    return moment.astimezone(UTC)


class AlertFilters(Schema):
    status: AlertStatus | None = None  # type: ignore[valid-type]
    base: NoNul | None = Field(None, max_length=40, json_schema_extra=NO_NUL)
    threat_type: ThreatType | None = None  # type: ignore[valid-type]
    since: Annotated[datetime, AfterValidator(_in_utc)] | None = None
    limit: int = Field(500, ge=1, le=500, description="alerts per page, newest first")
    offset: int = Field(0, ge=0, le=10_000_000, description="alerts to skip")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the report has no text")
    return text


# Documented: some character that is not a space, and no NUL.
NOT_BLANK: dict[str, Any] = {"pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"}


def _typed_number(raw: str) -> str:
    """The caller's number in E.164, or a reason that does not repeat it."""
    try:
        return typed_number(raw)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


# "format": "phone" tells a client (and the API's fuzz test) that not every string of
# digits will do: the number must be one a network of its country can have.
Phone = Annotated[
    NoNul,
    Field(max_length=32, json_schema_extra={"format": "phone", "examples": ["+243971234567"]}),
    AfterValidator(_typed_number),
]


class ReportIn(Schema):
    text: Annotated[NoNul, AfterValidator(_not_blank)] = Field(
        ..., min_length=1, max_length=2000, json_schema_extra=NOT_BLANK
    )
    place_id: int | None = None
    place: NoNul | None = Field(None, max_length=200, json_schema_extra=NO_NUL)
    source: Literal["api", "hotline", "liaison", "web"] = Field(
        "api", description="how the account reached the mission (a partner system: api)"
    )
    phone: Phone | None = Field(
        None,
        description=(
            "the caller's number, if they gave it: stored encrypted and never returned; "
            "they get the acknowledgement and, when the alert is closed, the feedback by SMS"
        ),
    )


class NoteIn(Schema):
    note: NoNul = Field("", max_length=500, json_schema_extra=NO_NUL)


class VerifyIn(NoteIn):
    result: Literal["verified", "unverified", "false_alarm"]


class NotifyIn(NoteIn):
    responder_ids: list[int] = Field(..., min_length=1, max_length=20)


class DispatchIn(NoteIn):
    responder_id: int


class CloseIn(NoteIn):
    outcome: Outcome  # type: ignore[valid-type]
    feedback: NoNul = Field("", max_length=100, json_schema_extra=NO_NUL)
    fatalities: int | None = Field(None, ge=0, le=100000, description="people killed, if known")


def alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "reference": alert.reference,
        "status": alert.status,
        "outcome": alert.outcome,
        "threat_type": alert.threat_type,
        "severity": alert.severity,
        "summary": alert.summary,
        "place": {
            "id": alert.place_id,
            "name": alert.place.name if alert.place else None,
            "lat": alert.lat,
            "lon": alert.lon,
        },
        "base": alert.base.code if alert.base else None,
        "reports": getattr(alert, "report_count", None) or alert.reports.count(),
        "times": {f: getattr(alert, f) for f in Timeline.model_fields},
    }


def detail_out(alert: Alert) -> dict[str, Any]:
    return {
        **alert_out(alert),
        "report_list": [
            {
                "id": r.pk,
                "source": r.source,
                "reporter": r.reporter.pseudonym if r.reporter else None,
                "text": r.text,
                "language": r.language,
                "threat_type": r.threat_type,
                "severity": r.severity,
                "because": list(r.triage.get("because", [])),
                "place_text": r.place_text,
                "received_at": r.received_at,
                "grouping_reason": r.grouping_reason,
            }
            for r in queries.reports_of(alert)
        ],
        "timeline": [
            {"step": s.step, "at": s.at, "actor": s.actor_label, "note": s.note}
            for s in alert.steps.all()
        ],
    }


def _need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise HttpError(403, "Your role may not do this.")


def _act(request: HttpRequest, alert_id: int, action: Any, **kwargs: Any) -> Status[dict[str, Any]]:
    _need(request, "alerts.handle")
    alert = queries.get_alert_for_user(request.user, alert_id)
    try:
        action(actor=request.user, alert=alert, **kwargs)
    except domain.TransitionRefused as exc:
        raise HttpError(409, str(exc))
    return Status(200, detail_out(queries.get_alert_for_user(request.user, alert_id)))


def _responder(request: HttpRequest, pk: int, alert_id: int) -> Responder:
    alert = queries.get_alert_for_user(request.user, alert_id)
    responder = Responder.objects.filter(pk=pk, active=True, base_id=alert.base_id).first()
    if responder is None:
        raise HttpError(404, f"No active responder {pk} at this alert's base.")
    return responder


ACTION_ERRORS = {**ERRORS, 403: Message, 404: Message, 409: Message}


@router.get(
    "/alerts",
    response={200: list[AlertOut], **ERRORS},
    summary="Alerts in your area",
    description=(
        "Newest first, a page at a time (`limit`, `offset`): the header `X-Total-Count` "
        "says how many match, and `Link` gives the next page's address while there is one."
    ),
)
def list_alerts(
    request: HttpRequest, response: HttpResponse, filters: Query[AlertFilters]
) -> list[dict[str, Any]]:
    alerts = queries.filter_alerts(
        queries.alerts_for(request.user),
        status=filters.status,
        base=filters.base,
        threat_type=filters.threat_type,
        since=filters.since,
    ).order_by("-received_at", "-pk")
    total = alerts.count()
    page = alerts[filters.offset : filters.offset + filters.limit]
    response["X-Total-Count"] = str(total)
    if filters.offset + filters.limit < total:
        following = request.GET.copy()
        following["offset"] = str(filters.offset + filters.limit)
        following["limit"] = str(filters.limit)
        response["Link"] = f'<{request.path}?{following.urlencode()}>; rel="next"'
    return [alert_out(a) for a in page]


class FigureRow(Schema):
    base: str
    month: str
    threat_type: str
    alerts: int
    minutes_to_acknowledge_median: float | None
    minutes_to_acknowledge_p90: float | None
    minutes_to_dispatch_median: float | None
    minutes_to_dispatch_p90: float | None
    minutes_to_arrive_median: float | None
    minutes_to_arrive_p90: float | None
    share_addressed: float | None
    share_closed_with_feedback: float | None


@router.get(
    "/alerts/figures",
    response={200: list[FigureRow], **ERRORS},
    summary="Response figures per base, month and threat type",
)
def figures(request: HttpRequest) -> list[dict[str, Any]]:
    from ulinzi.alerts.figures import summarise

    return summarise(queries.alert_times(request.user))


@router.get(
    "/alerts/{alert_id}",
    response={200: AlertDetailOut, 404: Message, **ERRORS},
    summary="One alert with its reports and timeline",
)
def get_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    return detail_out(queries.get_alert_for_user(request.user, alert_id))


@router.post(
    "/alerts",
    response={201: AlertDetailOut, 202: Message, 403: Message, 404: Message, **ERRORS},
    summary="Report an incident (web or API)",
)
def create_report(request: HttpRequest, data: ReportIn) -> Status[dict[str, Any]]:
    _need(request, "alerts.enter")
    from ulinzi.places.models import Place

    place = Place.objects.filter(pk=data.place_id).first() if data.place_id else None
    if data.place_id and place is None:
        raise HttpError(404, f"No place {data.place_id}.")
    report = domain.receive_entered(
        source=data.source,
        text=data.text,
        actor=request.user,
        phone=data.phone or "",
        place=place,
        place_name=data.place,
    )
    if not queries.alerts_for(request.user).filter(pk=report.alert_id).exists():
        # Routed to a base outside the caller's area: say it was recorded, show nothing of it.
        if report.alert.base_id is None:
            return Status(
                202,
                {
                    "detail": "Recorded, but its place is unknown, so no base has it: a duty "
                    "officer who sees the whole mission must place it."
                },
            )
        return Status(202, {"detail": "Recorded and routed to the base responsible."})
    return Status(201, detail_out(queries.get_alert_for_user(request.user, report.alert_id)))


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertDetailOut, **ACTION_ERRORS})
def acknowledge(request: HttpRequest, alert_id: int) -> Status[dict[str, Any]]:
    return _act(request, alert_id, domain.acknowledge_alert)


@router.post("/alerts/{alert_id}/verify", response={200: AlertDetailOut, **ACTION_ERRORS})
def verify(request: HttpRequest, alert_id: int, data: VerifyIn) -> Status[dict[str, Any]]:
    return _act(request, alert_id, domain.verify_alert, result=data.result, note=data.note)


@router.post("/alerts/{alert_id}/notify", response={200: AlertDetailOut, **ACTION_ERRORS})
def notify(request: HttpRequest, alert_id: int, data: NotifyIn) -> Status[dict[str, Any]]:
    responders = [_responder(request, pk, alert_id) for pk in data.responder_ids]
    return _act(request, alert_id, domain.notify_responders, responders=responders, note=data.note)


@router.post("/alerts/{alert_id}/dispatch", response={200: AlertDetailOut, **ACTION_ERRORS})
def dispatch(request: HttpRequest, alert_id: int, data: DispatchIn) -> Status[dict[str, Any]]:
    return _act(
        request,
        alert_id,
        domain.dispatch_response,
        responder=_responder(request, data.responder_id, alert_id),
        note=data.note,
    )


@router.post("/alerts/{alert_id}/arrive", response={200: AlertDetailOut, **ACTION_ERRORS})
def arrive(request: HttpRequest, alert_id: int, data: NoteIn) -> Status[dict[str, Any]]:
    return _act(request, alert_id, domain.mark_on_site, note=data.note)


@router.post("/alerts/{alert_id}/close", response={200: AlertDetailOut, **ACTION_ERRORS})
def close(request: HttpRequest, alert_id: int, data: CloseIn) -> Status[dict[str, Any]]:
    return _act(
        request,
        alert_id,
        domain.close_alert,
        outcome=data.outcome,
        note=data.note,
        feedback=data.feedback,
        fatalities=data.fatalities,
    )
