"""Reads of patrol requests and communities within a user's area, for pages of any app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ulinzi.patrols.models import ROUTE_PLACES, PatrolRequest
from ulinzi.places.models import Community


def requests_for(user: Any) -> QuerySet[PatrolRequest]:
    """The patrol requests of communities in the user's area (every one for the mission)."""
    requests = PatrolRequest.objects.select_related("community", "place").prefetch_related(
        ROUTE_PLACES
    )
    scope = user.scope()
    if scope.whole_mission:
        return requests
    return requests.filter(scope.place_q("community__place__"))


def communities_for(user: Any) -> QuerySet[Community]:
    """The communities in the user's area, by name."""
    scope = user.scope()
    communities = Community.objects.select_related("place").order_by("name")
    return communities if scope.whole_mission else communities.filter(scope.place_q("place__"))
