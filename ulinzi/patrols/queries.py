"""Reads of patrol requests and communities within a user's area, for pages of any app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ulinzi.patrols.models import ROUTE_PLACES, PatrolRequest


def requests_for(user: Any) -> QuerySet[PatrolRequest]:
    """The patrol requests of communities in the user's area (every one for the mission)."""
    requests = PatrolRequest.objects.select_related("community", "place").prefetch_related(
        ROUTE_PLACES
    )
    scope = user.scope()
    if scope.whole_mission:
        return requests
    return requests.filter(scope.place_q("community__place__"))
