"""The home page: what Ulinzi is for the person logged in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ulinzi.engagement import queries as engagement
from ulinzi.places import queries

# What each role comes to Ulinzi for, in one paragraph.
ROLE_PURPOSE = {
    "admin": _(
        "You keep Ulinzi running: users and their roles and areas, bases, the gazetteer, "
        "SMS channels and the retention policy. Every change anyone makes is in the audit log."
    ),
    "duty_officer": _(
        "You watch the alerts that communities send by SMS, missed call and hotline, "
        "triage them, dispatch responders and record the response, so that every reporter "
        "hears back."
    ),
    "liaison": _(
        "You are the link with communities: you call reporters back, enter hotline calls, "
        "and record meetings and community requests in their language."
    ),
    "analyst": _(
        "You turn alerts and events into the reporting matrix, hotspots and early warning "
        "that tell patrols and Joint Protection Teams where the risk is."
    ),
    "patrol_planner": _(
        "You plan each week's patrols around what communities asked for, within your "
        "bases' capacity, and make sure every request gets an answer."
    ),
    "human_rights": _(
        "You keep the restricted verification case files of alleged abuses. Only "
        "aggregated figures leave them."
    ),
    "me_officer": _(
        "You measure whether people are safer: perception surveys, indicators and the "
        "impact of each initiative."
    ),
    "public_information": _(
        "You tell communities what the mission is, what it does and what it cannot do, "
        "in their languages, and answer their questions."
    ),
    "viewer": _("You can follow the situation in your area on the map and in the reports."),
}


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = user.scope()  # type: ignore[union-attr]
    bases = list(user.bases.all()) if not user.whole_mission else []  # type: ignore[union-attr]
    return render(
        request,
        "home.html",
        {
            "purpose": ROLE_PURPOSE.get(user.role, ""),  # type: ignore[union-attr]
            "user_bases": bases,
            "communities": queries.communities_in(scope).count(),
            "bases_visible": queries.bases_in(scope).count(),
            "commitments": [
                c
                for c in engagement.commitments_of(user, timezone.localdate())
                if c["state"] in ("overdue", "due_soon")
            ],
        },
    )
