from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ulinzi.alerts.queries import alerts_for
from ulinzi.engagement import domain, forms, queries, summary
from ulinzi.engagement.models import (
    AutoReply,
    Broadcast,
    Commitment,
    FocalPoint,
    JptMission,
)
from ulinzi.lib.sms import sms_count
from ulinzi.lib.text import record_id
from ulinzi.messaging.models import Message
from ulinzi.places.queries import bases_for

SILENT_DAYS = 14  # the default for "silent": no message in two weeks


def need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


def owners() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


@require_GET
def hub(request: HttpRequest) -> HttpResponse:
    need(request, "engagement.view")
    today = timezone.localdate()
    return render(
        request,
        "engagement/hub.html",
        {
            "communities": queries.communities_for(request.user),
            "mine": queries.commitments_of(request.user, today),
            "overdue": queries.overdue(request.user, today)[:50],
        },
    )


@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    need(request, "engagement.view")
    communities = queries.communities_for(request.user)
    form = forms.StaffForm(
        request.POST or None, communities=communities, bases=bases_for(request.user)
    )
    if request.method == "POST":
        need(request, "engagement.manage")
        if form.is_valid():
            data = form.cleaned_data
            domain.save_staff(actor=request.user, **data)
            messages.success(request, _("%(name)s saved.") % {"name": data["name"]})
            return redirect("engagement:staff")
    members = queries.staff_for(request.user)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "engagement/staff.html", {"form": form, "members": members}, status=status
    )


@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    """Each community's languages against the staff who can serve it."""
    need(request, "engagement.view")
    rows = queries.coverage_rows(request.user)
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["community", "language", "staff", "women", "no_interpreter", "no_female"])
        for row in rows:
            gap = row["gap"]
            writer.writerow(
                [
                    row["community"].name,
                    gap.language,
                    gap.staff,
                    gap.women,
                    int(gap.no_interpreter),
                    int(gap.no_female),
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="ulinzi-coverage-gaps.csv"'
        return response
    points = []
    for row in rows:
        place = row["community"].place
        if place.lat is None:
            continue
        gap = row["gap"]
        points.append(
            {
                "name": row["community"].name,
                "language": gap.language,
                "lat": place.lat,
                "lon": place.lon,
                "state": "none" if gap.no_interpreter else "no_female" if gap.no_female else "ok",
            }
        )
    return render(
        request,
        "engagement/coverage.html",
        {
            "rows": rows,
            "gaps": [r for r in rows if r["gap"].no_interpreter or r["gap"].no_female],
            "map_data": points,
        },
    )


@require_http_methods(["GET", "POST"])
def network(request: HttpRequest) -> HttpResponse:
    """Focal points per community, the silent ones, and test messages."""
    need(request, "engagement.view")
    try:
        days = max(1, min(365, int(request.GET.get("days", SILENT_DAYS))))
    except ValueError:
        days = SILENT_DAYS
    communities = queries.communities_for(request.user)
    form = forms.FocalPointForm(
        request.POST if request.POST.get("action") == "register" else None, communities=communities
    )
    if request.method == "POST":
        need(request, "engagement.manage")
        action = request.POST.get("action")
        if action == "register" and form.is_valid():
            data = form.cleaned_data
            domain.register_focal_point(actor=request.user, **data)  # the form checked the number
            messages.success(request, _("Focal point registered."))
            return redirect("engagement:network")
        elif action == "test":
            ids = [pk for pk in map(record_id, request.POST.getlist("focal_point")) if pk]
            chosen = list(
                FocalPoint.objects.filter(
                    pk__in=ids, community__in=communities, active=True
                ).select_related("reporter")
            )
            if not chosen:
                messages.error(request, _("Choose the focal points to test."))
            else:
                domain.send_tests(actor=request.user, focal_points=chosen)
                messages.success(
                    request, _("Test message queued for %(n)s focal point(s).") % {"n": len(chosen)}
                )
            return redirect(f"{request.path}?days={days}")
    health = queries.network_health(request.user, days)
    return render(request, "engagement/network.html", {"form": form, "days": days, **health})


@require_GET
def community(request: HttpRequest, pk: int) -> HttpResponse:
    """A community's history: meetings, concerns, commitments, alerts, patrol requests,
    and its "you said, we did"."""
    need(request, "engagement.view")
    found = queries.communities_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such community in your area.")
    from ulinzi.alerts.queries import alerts_for
    from ulinzi.patrols.models import PatrolRequest

    try:
        since = dt.date.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = timezone.localdate() - dt.timedelta(days=90)
    language = request.GET.get("lang") or (found.languages[0] if found.languages else "fr")
    facts = queries.you_said_we_did(found, since, language)
    alerts = alerts_for(request.user).filter(place__in=queries._places_of(found.place))[:50]
    return render(
        request,
        "engagement/community.html",
        {
            "community": found,
            "meetings": found.meetings.prefetch_related("concerns")[:50],
            "commitments": found.commitments.select_related("owner").order_by("status", "due"),
            "alerts": alerts,
            "requests": PatrolRequest.objects.filter(community=found)[:50],
            "focal_points": found.focal_points.select_related("reporter"),
            "since": since,
            "language": language,
            "summary_text": summary.text(facts, language),
            "summary_sms": summary.sms(facts, language),
            "sms_parts": sms_count(summary.sms(facts, language)),
            "print": request.GET.get("print") == "1",
        },
    )


@require_POST
def send_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the community's "you said, we did" to its focal points."""
    need(request, "engagement.manage")
    found = queries.communities_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such community in your area.")
    language = request.POST.get("lang") or "fr"
    try:
        since = dt.date.fromisoformat(request.POST.get("since", ""))
    except ValueError:
        since = timezone.localdate() - dt.timedelta(days=90)
    text = summary.sms(queries.you_said_we_did(found, since, language), language)
    from ulinzi.audit import domain as audit
    from ulinzi.messaging import domain as messaging

    with transaction.atomic():
        sent = 0
        for focal in found.focal_points.filter(active=True).select_related("reporter"):
            queued = messaging.queue_message(
                focal.reporter, text, purpose="you_said_we_did", actor=request.user
            )
            sent += queued is not None and queued.status == "queued"
        audit.record(request.user, "engagement.send_summary", found, after={"sent": sent})
    messages.success(request, _("Sent to %(n)s focal point(s).") % {"n": sent})
    return redirect("engagement:community", pk=found.pk)


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    need(request, "engagement.manage")
    form = forms.MeetingForm(
        request.POST or None, communities=queries.communities_for(request.user), owners=owners()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        meeting = domain.record_meeting(
            actor=request.user,
            community=data["community"],
            kind=data["kind"],
            date=data["date"],
            women=data["women"],
            men=data["men"],
            girls=data["girls"],
            boys=data["boys"],
            groups=data["groups"],
            notes=data["notes"],
            concerns=data["concerns"],
            commitments=data["commitments"],
        )
        messages.success(request, _("Meeting recorded."))
        return redirect("engagement:community", pk=meeting.community_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "engagement/meeting_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def commitments(request: HttpRequest) -> HttpResponse:
    need(request, "engagement.view")
    today = timezone.localdate()
    if request.method == "POST":
        raw = str(request.POST.get("commitment", ""))
        pk = record_id(raw)
        commitment = None if pk is None else Commitment.objects.filter(pk=pk).first()
        if commitment is None:
            raise Http404("No such commitment.")
        if commitment.owner_id != request.user.pk:
            need(request, "engagement.manage")
        form = forms.CloseCommitmentForm(request.POST)
        if form.is_valid():
            try:
                domain.close_commitment(
                    actor=request.user,
                    commitment=commitment,
                    kept=form.cleaned_data["kept"],
                    note=form.cleaned_data["note"],
                )
            except domain.Refused as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, _("Say what was done."))
        return redirect("engagement:commitments")
    return render(
        request,
        "engagement/commitments.html",
        {
            "mine": queries.commitments_of(request.user, today),
            "overdue": queries.overdue(request.user, today),
            "close_form": forms.CloseCommitmentForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def jpt_list(request: HttpRequest) -> HttpResponse:
    need(request, "engagement.view")
    communities = queries.communities_for(request.user)
    from ulinzi.threats.queries import hotspot_named, hotspots_for

    initial = {}
    # Opened from a saved hotspot: the mission starts from it.
    hotspot = hotspot_named(request.user, request.GET.get("hotspot", ""))
    if request.method == "GET" and hotspot is not None:
        initial = {"hotspot": hotspot.pk, "purpose": hotspot.name}
    form = forms.JptForm(
        request.POST or None,
        initial=initial,
        communities=communities,
        alerts=alerts_for(request.user),
        hotspots=hotspots_for(request.user),
    )
    if request.method == "POST":
        need(request, "engagement.manage")
        if form.is_valid():
            data = form.cleaned_data
            try:
                mission = domain.plan_jpt(
                    actor=request.user,
                    purpose=data["purpose"],
                    start=data["start"],
                    end=data["end"],
                    communities=list(data["communities"]),
                    members=data["members"],
                    hotspot=data["hotspot_found"],
                    alerts=data["alert_list"],
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("engagement:jpt", pk=mission.pk)
    missions = JptMission.objects.filter(communities__in=communities).distinct()
    status = 400 if request.method == "POST" else 200
    return render(
        request, "engagement/jpts.html", {"form": form, "missions": missions}, status=status
    )


def _mission(request: HttpRequest, pk: int) -> JptMission:
    mission = (
        JptMission.objects.filter(pk=pk, communities__in=queries.communities_for(request.user))
        .distinct()
        .first()
    )
    if mission is None:
        raise Http404("No such mission in your area.")
    return mission


@require_http_methods(["GET", "POST"])
def jpt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "engagement.view")
    mission = _mission(request, pk)
    form = forms.FindingForm(
        request.POST or None, communities=mission.communities.all(), owners=owners()
    )
    if request.method == "POST":
        need(request, "engagement.manage")
        if request.POST.get("action") == "complete":
            domain.complete_jpt(actor=request.user, mission=mission)
            return redirect("engagement:jpt", pk=mission.pk)
        if form.is_valid():
            data = form.cleaned_data
            recommendations = (
                [(data["owner"], data["recommendation"], data["due"])]
                if data["recommendation"]
                else []
            )
            domain.record_finding(
                actor=request.user,
                mission=mission,
                community=data["community"],
                finding=data["finding"],
                recommendations=recommendations,
            )
            messages.success(request, _("Finding recorded."))
            return redirect("engagement:jpt", pk=mission.pk)
    today = timezone.localdate()
    from ulinzi.engagement.rules import commitment_state

    recommendations = [
        {"item": c, "state": commitment_state(c.due, c.status, today)}
        for c in mission.recommendations.select_related("owner", "community")
    ]
    template = (
        "engagement/jpt_report.html" if request.GET.get("print") == "1" else "engagement/jpt.html"
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        template,
        {
            "mission": mission,
            "members": mission.members.all(),
            "findings": mission.findings.select_related("community"),
            "recommendations": recommendations,
            "form": form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def broadcasts(request: HttpRequest) -> HttpResponse:
    need(request, "broadcasts.draft")
    communities = queries.communities_for(request.user)
    form = forms.BroadcastForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        broadcast = domain.save_broadcast(
            actor=request.user,
            title=data["title"],
            texts=data["texts"],
            send_at=data["send_at"],
            communities=list(data["communities"]),
            areas=data["areas"],
            languages=data["languages"],
            roles=data["roles"],
        )
        return redirect("engagement:broadcast", pk=broadcast.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "engagement/broadcasts.html",
        {"form": form, "broadcasts": Broadcast.objects.all()[:100]},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def broadcast_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "broadcasts.draft")
    broadcast = Broadcast.objects.filter(pk=pk).first()
    if broadcast is None:
        raise Http404("No such broadcast.")
    if request.method == "POST":
        need(request, "broadcasts.approve")
        try:
            counts = domain.approve_broadcast(actor=request.user, broadcast=broadcast)
        except domain.Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Approved: %(queued)s message(s) queued, %(suppressed)s not sent (opted out).")
                % counts,
            )
        return redirect("engagement:broadcast", pk=broadcast.pk)
    preview = [
        {"language": code, "text": text, "parts": sms_count(text), "length": len(text)}
        for code, text in broadcast.texts.items()
    ]
    sent = Message.objects.filter(purpose=broadcast.purpose)
    figures = dict(sent.values_list("status").annotate(n=Count("id")).order_by())
    replies = 0
    if broadcast.queued_at:
        replies = Message.objects.filter(
            direction="in",
            created_at__gte=broadcast.queued_at,
            created_at__lte=broadcast.queued_at + dt.timedelta(days=7),
            reporter__in=sent.values("reporter"),
        ).count()
    recipients = (
        None if broadcast.status != Broadcast.Status.DRAFT else len(domain.recipients(broadcast))
    )
    return render(
        request,
        "engagement/broadcast.html",
        {
            "broadcast": broadcast,
            "preview": preview,
            "figures": figures,
            "replies": replies,
            "recipients": recipients,
            "can_approve": request.user.can("broadcasts.approve"),  # type: ignore[union-attr]
        },
    )


@require_http_methods(["GET", "POST"])
def auto_replies(request: HttpRequest) -> HttpResponse:
    need(request, "broadcasts.draft")
    form = forms.AutoReplyForm(request.POST or None)
    if request.method == "POST":
        need(request, "broadcasts.approve")
        if form.is_valid():
            try:
                domain.save_auto_reply(actor=request.user, **form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("engagement:auto_replies")
    rows = AutoReply.objects.all()
    for row in rows:
        row.parts = sms_count(row.text)  # type: ignore[attr-defined]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "engagement/auto_replies.html", {"form": form, "rows": rows}, status=status
    )
