from __future__ import annotations

import csv
import functools
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ulinzi.alerts import domain, forms, queries, sla
from ulinzi.alerts.figures import summarise
from ulinzi.alerts.models import SEVERITY_RANK, THREAT_TYPES, Alert, Report, Responder
from ulinzi.lib.phone import InvalidPhoneNumber
from ulinzi.lib.text import record_id
from ulinzi.messaging import domain as messaging
from ulinzi.places import queries as places
from ulinzi.places.models import Base, Place
from ulinzi.places.views import candidates as place_candidates


def _need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


BOARD_ROWS = 300  # alerts on the duty board at most


def _board_alerts(request: HttpRequest) -> tuple[QuerySet[Alert], dict[str, str]]:
    """The user's alerts that the board's filters (base, status; open ones by default)
    let through, and the filters as understood."""
    filters = {
        "base": request.GET.get("base", "").strip()[:40].replace("\x00", ""),
        "status": request.GET.get("status", "").strip()[:24],
    }
    if filters["status"] not in Alert.Status.values:
        filters["status"] = ""
    alerts = queries.filter_alerts(
        queries.alerts_for(request.user),
        base=filters["base"] or None,
        status=filters["status"] or None,
        open_only=not filters["status"],
    )
    return alerts, filters


def _board_rows(request: HttpRequest) -> tuple[list[dict[str, Any]], dict[str, str]]:
    alerts, filters = _board_alerts(request)
    now = timezone.now()
    rows = []
    # The most severe and oldest first, in the database: those beyond the board's rows
    # are the least urgent, never an old critical alert.
    rank = Case(*(When(severity=k, then=Value(v)) for k, v in SEVERITY_RANK.items()))
    for alert in alerts.order_by(rank, "received_at", "pk")[:BOARD_ROWS]:
        minutes, state = sla.timer(alert.status, {f: getattr(alert, f) for f in sla_fields()}, now)
        rows.append({"alert": alert, "minutes": minutes, "sla": state})
    rows.sort(key=lambda r: (SEVERITY_RANK[r["alert"].severity], r["alert"].received_at))
    return rows, filters


def sla_fields() -> list[str]:
    return ["received_at", "acknowledged_at", "verified_at", "notified_at", "dispatched_at"]


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The duty board: open alerts by severity and age, refreshed every 5 seconds."""
    rows, filters = _board_rows(request)
    context = {
        "rows": rows,
        # Not yet acknowledged: the page's title counts them and announces each new one.
        "waiting": [r["alert"].pk for r in rows if r["alert"].status == Alert.Status.RECEIVED],
        "filters": filters,
        "statuses": Alert.Status.choices,
        "bases": Base.objects.filter(alerts__in=queries.alerts_for(request.user))
        .distinct()
        .order_by("name"),
        "now": timezone.now(),
    }
    # The rows for the board's refresh and its filters (whose URL is the page's, so that
    # a reload keeps them); the whole page otherwise, also when htmx restores history.
    partial = request.htmx and not request.htmx.history_restore_request
    return render(request, "alerts/_board_rows.html" if partial else "alerts/board.html", context)


ACTIONS: dict[str, tuple[type, Any]] = {
    "acknowledge": (forms.NoteForm, lambda u, a, d: domain.acknowledge_alert(actor=u, alert=a)),
    "verify": (
        forms.VerifyForm,
        lambda u, a, d: domain.verify_alert(actor=u, alert=a, result=d["result"], note=d["note"]),
    ),
    "notify": (
        forms.NotifyForm,
        lambda u, a, d: domain.notify_responders(
            actor=u, alert=a, responders=list(d["responders"]), note=d["note"]
        ),
    ),
    "dispatch": (
        forms.DispatchForm,
        lambda u, a, d: domain.dispatch_response(
            actor=u, alert=a, responder=d["responder"], note=d["note"]
        ),
    ),
    "arrive": (
        forms.NoteForm,
        lambda u, a, d: domain.mark_on_site(actor=u, alert=a, note=d["note"]),
    ),
    "close": (
        forms.CloseForm,
        lambda u, a, d: domain.close_alert(
            actor=u,
            alert=a,
            outcome=d["outcome"],
            note=d["note"],
            feedback=d["feedback"],
            fatalities=d["fatalities"],
        ),
    ),
}


@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, queries.get_alert_for_user(request.user, pk))


# Several forms share the alert's page, and field names: each has its own ids.
FORM_IDS = {
    "verify": "verify_%s",
    "notify": "notify_%s",
    "dispatch": "dispatch_%s",
    "close": "close_%s",
    "note": "arrive_%s",
    "correct": "fix_%s",
}
# The page's form each action posts.
ACTION_FORMS = {"acknowledge": "note", "arrive": "note"}


def _detail(
    request: HttpRequest, alert: Alert, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The alert's page; ``bound``: a form posted with errors, shown as it was filled."""
    page_forms = {
        "verify": forms.VerifyForm(auto_id=FORM_IDS["verify"]),
        "notify": forms.NotifyForm(base=alert.base, auto_id=FORM_IDS["notify"]),
        "dispatch": forms.DispatchForm(base=alert.base, sent=alert, auto_id=FORM_IDS["dispatch"]),
        "close": forms.CloseForm(
            auto_id=FORM_IDS["close"], languages=queries.feedback_languages(alert)
        ),
        "note": forms.NoteForm(auto_id=FORM_IDS["note"]),
        "reveal": forms.RevealForm(),
        "correct": forms.CorrectForm(
            initial={"threat_type": alert.threat_type, "severity": alert.severity},
            auto_id=FORM_IDS["correct"],
        ),
        **(bound or {}),
    }
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "reports": queries.reports_of(alert),
            "asked": queries.places_asked_about(alert),
            "steps": alert.steps.all(),
            "forms": page_forms,
            "can_handle": request.user.can("alerts.handle"),  # type: ignore[union-attr]
            "can_reveal": request.user.can("reporter.reveal_phone"),  # type: ignore[union-attr]
        },
        status=status,
    )


def _back_on_get(view: Any) -> Any:
    """A step's address opened again (a reload after an error shown there, a bookmark,
    a new tab): the alert's page, not an empty "method not allowed"."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            return redirect("alerts:detail", pk=pk)
        return view(request, pk, *args, **kwargs)

    return require_http_methods(["GET", "POST"])(wrapper)


@_back_on_get
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _need(request, "alerts.handle")
    alert = queries.get_alert_for_user(request.user, pk)
    if action not in ACTIONS:
        raise Http404("No such step.")
    form_class, run = ACTIONS[action]
    key = ACTION_FORMS.get(action, action)
    with_base = form_class in (forms.NotifyForm, forms.DispatchForm)
    extra: dict[str, Any] = {"base": alert.base} if with_base else {}
    if form_class is forms.CloseForm:
        extra = {"languages": queries.feedback_languages(alert)}
    form = form_class(request.POST, auto_id=FORM_IDS[key], **extra)
    if not form.is_valid():
        return _not_done(request, alert, key, form)
    data = form.cleaned_data
    if isinstance(form, forms.CloseForm):
        data = {**data, "feedback": form.feedback()}
    try:
        run(request.user, alert, data)
    except domain.TransitionRefused as exc:
        messages.error(request, str(exc))
    return redirect("alerts:detail", pk=pk)


def _not_done(request: HttpRequest, alert: Alert, key: str, form: Any) -> HttpResponse:
    """The alert's page again, the form as it was filled, each error beside its field
    and all of them, by field, at the top."""
    said = [
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]
    messages.error(request, _("Not done: %(errors)s") % {"errors": " ".join(said)})
    return _detail(request, alert, {key: form}, status=400)


@_back_on_get
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Override the alert's threat type, severity or place (the place routes it again)."""
    _need(request, "alerts.handle")
    alert = queries.get_alert_for_user(request.user, pk)
    form = forms.CorrectForm(request.POST, auto_id=FORM_IDS["correct"])
    if not form.is_valid():
        return _not_done(request, alert, "correct", form)
    data = form.cleaned_data
    place, asked = None, data["place"].strip()
    if data["place_id"]:  # chosen in the place search
        place = places.matched_place(data["place_id"])
        if place is None:
            form.add_error("place", places.unclear_place(asked or f"#{data['place_id']}", []))
    elif asked:  # typed: namesakes are asked about, not the first one taken
        near = alert.place.name if alert.place is not None else None
        place, choices = places.pick_place(asked, hint=near)
        if place is None:
            form.add_error("place", places.unclear_place(asked, choices))
    if form.errors:
        return _not_done(request, alert, "correct", form)
    try:
        moved = domain.correct_alert(
            actor=request.user,
            alert=alert,
            threat_type=data["threat_type"],
            severity=data["severity"],
            place=place,
            note=data["note"],
        )
    except domain.TransitionRefused as exc:
        form.add_error(None, str(exc))
        return _not_done(request, alert, "correct", form)
    if not queries.alerts_for(request.user).filter(pk=pk).exists():
        messages.success(
            request,
            _("%(ref)s corrected and routed to %(base)s, outside your area.")
            % {"ref": moved.reference, "base": moved.base.name if moved.base else "-"},
        )
        return redirect("alerts:board")
    messages.success(request, _("%(ref)s corrected.") % {"ref": moved.reference})
    return redirect("alerts:detail", pk=pk)


@_back_on_get
def merge_or_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this alert into another (by reference), or split one report out of it."""
    _need(request, "alerts.handle")
    alert = queries.get_alert_for_user(request.user, pk)
    try:
        if "report" in request.POST:
            report = alert.reports.filter(pk=record_id(request.POST["report"])).first()
            if report is None:
                raise domain.TransitionRefused(_("no such report in this alert"))
            new = domain.split_report(actor=request.user, report=report)
            messages.success(
                request, _("Report moved to the new alert %(ref)s.") % {"ref": new.reference}
            )
            return redirect("alerts:detail", pk=new.pk)
        into_pk = record_id(request.POST.get("into", "").strip().upper().removeprefix("A-"))
        target = queries.alerts_for(request.user).filter(pk=into_pk).first()
        if target is None:
            raise domain.TransitionRefused(_("no open alert with this reference in your area"))
        domain.merge_alerts(actor=request.user, alert=alert, into=target)
        messages.success(request, _("Merged into %(ref)s.") % {"ref": target.reference})
        return redirect("alerts:detail", pk=target.pk)
    except domain.TransitionRefused as exc:
        messages.error(request, str(exc))
        return redirect("alerts:detail", pk=pk)


@sensitive_variables("number")
@require_POST
def reveal_number(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    """A call-back needs the number: shown once, on this page, and audited."""
    alert = queries.get_alert_for_user(request.user, pk)
    report = (
        alert.reports.select_related("reporter")
        .filter(pk=report_pk, reporter__isnull=False)
        .first()
    )
    form = forms.RevealForm(request.POST)
    if report is None or not form.is_valid():
        messages.error(request, _("Say why you need the number."))
        return redirect("alerts:detail", pk=pk)
    try:
        number = messaging.reveal_phone(
            actor=request.user, reporter=report.reporter, reason=form.cleaned_data["reason"]
        )  # type: ignore[arg-type]
    except messaging.RevealRefused as exc:
        raise PermissionDenied(str(exc))
    context = {
        "pseudonym": report.reporter.pseudonym,  # type: ignore[union-attr]
        "number": number,
        "back": "alerts:detail",
        "back_pk": alert.pk,
    }
    response = render(request, "alerts/number.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def hotline(request: HttpRequest) -> HttpResponse:
    """The hotline form: a CLA or duty officer enters a call on one screen."""
    _need(request, "alerts.enter")
    form = forms.HotlineForm(request.POST or None)
    shown: dict[str, Any] = {}  # the places to choose from, when the one said is unclear
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        place = Place.objects.filter(pk=data["place_id"]).first() if data.get("place_id") else None
        said = data["place"].strip()
        unclear = place is None and said and not data["keep_unclear"]
        if unclear and domain.asks_which_place(data["text"], said, data["phone"]):
            shown = _ask_the_caller_which(form, said)
        if not shown:
            recorded = _record_call(request, form, data, place)
            if recorded is not None:
                return recorded
    return render(
        request,
        "alerts/hotline.html",
        {"form": form, "sources": Report.Source, **shown},
        status=400 if form.is_bound and form.errors else 200,
    )


def _record_call(
    request: HttpRequest, form: forms.HotlineForm, data: dict[str, Any], place: Place | None
) -> HttpResponse | None:
    """Record the call: where to go next, or None when the number was refused (the form
    says why)."""
    try:
        report = domain.receive_entered(
            source=data["source"],
            text=data["text"],
            actor=request.user,
            phone=data["phone"],
            place=place,
            place_name=data["place"],
        )
    except InvalidPhoneNumber as exc:
        form.add_error("phone", str(exc))
        return None
    if queries.alerts_for(request.user).filter(pk=report.alert_id).exists():
        if report.alert.place_id is None:
            messages.warning(
                request,
                _("Report recorded in %(ref)s, but its place is unknown: place it here.")
                % {"ref": report.alert.reference},
            )
        else:
            messages.success(
                request, _("Report recorded in %(ref)s.") % {"ref": report.alert.reference}
            )
        return redirect("alerts:detail", pk=report.alert_id)
    if report.alert.base_id is None:
        messages.warning(
            request,
            _(
                "Report recorded in %(ref)s, but its place is unknown, so no base has "
                "it: a duty officer who sees the whole mission must place it."
            )
            % {"ref": report.alert.reference},
        )
    else:
        messages.success(request, _("Report recorded and routed to the base responsible."))
    return redirect("alerts:hotline")


def _ask_the_caller_which(form: forms.HotlineForm, said: str) -> dict[str, Any]:
    """The place said may be several (intake would ask the reporter "which?" by SMS) and
    the caller is on the line: the form says so; the places to choose from."""
    form.add_error(
        "place",
        _(
            "%(name)s may be several places: ask the caller which one and choose it below, "
            "or record it as said."
        )
        % {"name": said[:60]},
    )
    return place_candidates(said)


FIGURE_COLUMNS = [
    "base",
    "month",
    "threat_type",
    "alerts",
    "minutes_to_acknowledge_median",
    "minutes_to_acknowledge_p90",
    "minutes_to_dispatch_median",
    "minutes_to_dispatch_p90",
    "minutes_to_arrive_median",
    "minutes_to_arrive_p90",
    "share_addressed",
    "share_closed_with_feedback",
]


@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    """Response times and shares per base, month and threat type; as CSV with ?format=csv."""
    rows = summarise(queries.alert_times(request.user))
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="ulinzi-response-figures.csv"'
        writer = csv.writer(response)
        writer.writerow(FIGURE_COLUMNS)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in FIGURE_COLUMNS])
        return response
    # The file keeps the codes (for joining with other data); the page says the names.
    bases = dict(Base.objects.values_list("code", "name"))
    threats = dict(THREAT_TYPES)
    shown = [
        {
            **row,
            "base": bases.get(row["base"], row["base"]),
            "threat_type": threats.get(row["threat_type"], row["threat_type"]),
        }
        for row in rows
    ]
    return render(request, "alerts/figures.html", {"rows": shown})


@require_GET
def callbacks(request: HttpRequest) -> HttpResponse:
    """Missed calls waiting for someone to call back, oldest first."""
    _need(request, "reporter.reveal_phone")
    mine = queries.callbacks_for(request.user)
    tasks = mine.filter(done_at__isnull=True).order_by("created_at")
    done = mine.filter(done_at__isnull=False).select_related("done_by").order_by("-done_at")[:20]
    return render(
        request,
        "alerts/callbacks.html",
        {"tasks": tasks, "done": done, "form": forms.CallbackForm()},
    )


@require_http_methods(["GET", "POST"])
def responders(request: HttpRequest) -> HttpResponse:
    """The units each base's alerts can call on: add one, stand one down or back."""
    _need(request, "alerts.handle")
    bases = places.bases_for(request.user)  # whose responders the user keeps
    form = forms.ResponderForm(bases=bases)
    if request.method == "POST":
        known = Responder.objects.filter(base__in=bases)
        try:
            if "responder" in request.POST:  # stand down, or make available again
                pk = record_id(request.POST["responder"])
                unit = None if pk is None else known.filter(pk=pk).first()
                if unit is None:
                    raise Http404("No such responder at your bases.")
                domain.save_responder(
                    actor=request.user,
                    base=unit.base,
                    name=unit.name,
                    kind=unit.kind,
                    active=not unit.active,
                    responder=unit,
                )
                messages.success(request, _("%(name)s saved.") % {"name": unit.name})
                return redirect("alerts:responders")
            form = forms.ResponderForm(request.POST, bases=bases)
            if form.is_valid():
                unit = domain.save_responder(actor=request.user, **form.cleaned_data)
                messages.success(request, _("%(name)s added.") % {"name": unit.name})
                return redirect("alerts:responders")
        except domain.TransitionRefused as exc:
            messages.error(request, str(exc))
    units = Responder.objects.filter(base__in=bases).select_related("base")
    return render(
        request,
        "alerts/responders.html",
        {"form": form, "responders": units.order_by("base__name", "-active", "name")},
        status=400 if form.errors else 200,
    )


@sensitive_variables("number")
@require_POST
def callback_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _need(request, "reporter.reveal_phone")
    task = queries.callbacks_for(request.user).filter(pk=pk).first()
    if task is None or action not in ("number", "done"):
        raise Http404
    form = forms.CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you need the number, or what came of the call."))
        return redirect("alerts:callbacks")
    if action == "number":
        number = messaging.reveal_phone(
            actor=request.user, reporter=task.reporter, reason=form.cleaned_data["text"]
        )
        response = render(
            request,
            "alerts/number.html",
            {"pseudonym": task.reporter.pseudonym, "number": number, "back": "alerts:callbacks"},
        )
        response["Cache-Control"] = "no-store"
        return response
    try:
        domain.complete_callback(actor=request.user, task=task, note=form.cleaned_data["text"])
    except domain.TransitionRefused as exc:
        messages.error(request, str(exc))
    return redirect("alerts:callbacks")


@require_GET
def alerts_geojson(request: HttpRequest) -> HttpResponse:
    """The duty board's alerts (the user's area, the board's filters), for its map."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(a.lon, 5), round(a.lat, 5)]},
            "properties": {
                "id": a.pk,
                "ref": a.reference,
                "severity": a.severity,
                "threat": str(a.get_threat_type_display()),
                "status": str(a.get_status_display()),
                "url": reverse("alerts:detail", args=[a.pk]),
            },
        }
        for a in _board_alerts(request)[0][:500]
        if a.lat is not None and a.lon is not None
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
