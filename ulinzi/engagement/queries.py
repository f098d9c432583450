"""Reads for the engagement pages, through the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from ulinzi.alerts.models import Alert
from ulinzi.engagement import rules, summary
from ulinzi.engagement.models import Commitment, FocalPoint, NetworkTest, StaffMember
from ulinzi.places.models import Community
from ulinzi.places.queries import bases_for, communities_for


def staff_for(user: Any) -> QuerySet[StaffMember]:
    """The liaison staff a user may see: the whole mission's, or those of the user's
    bases and those who serve one of the user's communities."""
    members = StaffMember.objects.select_related("base").prefetch_related("communities")
    if user.scope().whole_mission:
        return members
    mine = Q(base__in=bases_for(user)) | Q(communities__in=communities_for(user))
    return members.filter(pk__in=StaffMember.objects.filter(mine).values("pk"))


def coverage_rows(user: Any) -> list[dict[str, Any]]:
    """Every (community, language) of the user's communities with who can serve it."""
    communities = list(communities_for(user))
    area_of_base: dict[int, set[int]] = {}
    staff = []
    for member in StaffMember.objects.prefetch_related("communities", "base__areas"):
        if member.base_id not in area_of_base:
            areas = {a.pk for a in member.base.areas.all()}
            area_of_base[member.base_id] = {
                c.pk
                for c in communities
                if c.place_id in areas or any(a in areas for a in c.place.ancestor_ids)
            }
        staff.append(
            rules.Staff(
                id=member.pk,
                sex=member.sex,
                speaks=frozenset(member.speaks),
                communities=frozenset(c.pk for c in member.communities.all()),
                base_communities=frozenset(area_of_base[member.base_id]),
                available=member.available,
            )
        )
    by_id = {c.pk: c for c in communities}
    gaps = rules.coverage(((c.pk, c.languages or []) for c in communities), staff)
    return [{"community": by_id[g.community], "gap": g} for g in gaps]


def network_health(user: Any, days: int, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    communities = communities_for(user)
    focal = list(
        FocalPoint.objects.filter(community__in=communities)
        .select_related("reporter", "community")
        .annotate(last_reply=Max("pings__replied_at"))
    )
    signals = [
        rules.Signal(
            focal_point=f.pk,
            community=f.community_id,
            registered_at=f.registered_at,
            last_seen_at=max(
                [t for t in (f.reporter.last_seen_at, f.last_reply) if t is not None],
                default=None,
            ),
            active=f.active,
        )
        for f in focal
    ]
    quiet, quiet_communities = rules.silent(signals, now, days)
    with_focal = {f.community_id for f in focal if f.active}
    pings = {
        p.focal_point_id: p
        for p in NetworkTest.objects.filter(focal_point__in=focal).order_by("sent_at")
    }
    return {
        "focal_points": [
            {"focal": f, "silent": f.pk in quiet, "last_test": pings.get(f.pk)} for f in focal
        ],
        "silent_communities": [c for c in communities if c.pk in quiet_communities],
        "without_focal_point": [c for c in communities if c.pk not in with_focal],
    }


def commitments_of(user: Any, today: dt.date) -> list[dict[str, Any]]:
    return [
        {"commitment": c, "state": rules.commitment_state(c.due, c.status, today)}
        for c in Commitment.objects.filter(owner=user, status=Commitment.Status.OPEN)
        .select_related("community")
        .order_by("due")
    ]


def overdue(user: Any, today: dt.date) -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(
            status=Commitment.Status.OPEN, due__lt=today, community__in=communities_for(user)
        )
        .select_related("community", "owner")
        .order_by("due")
    )


def you_said_we_did(community: Community, since: dt.date, language: str) -> summary.Facts:
    """The facts of a community's summary since a date: counts only."""
    from ulinzi.alerts.models import THREAT_TYPES
    from ulinzi.patrols.models import PatrolRequest

    place_q = community.place
    alerts = Alert.objects.filter(
        status=Alert.Status.CLOSED, closed_at__date__gte=since, merged_into__isnull=True
    ).exclude(outcome__in=[Alert.Outcome.FALSE_ALARM, Alert.Outcome.DUPLICATE])
    alerts = alerts.filter(place__in=_places_of(place_q))
    by_type: dict[str, int] = {}
    for threat_type in alerts.values_list("threat_type", flat=True):
        by_type[threat_type] = by_type.get(threat_type, 0) + 1
    requests = PatrolRequest.objects.filter(community=community, received_at__date__gte=since)
    done = requests.filter(outcome__in=["done", "partly_done"]).count()
    commitments = Commitment.objects.filter(community=community, created_at__date__gte=since)
    kept = list(commitments.filter(status=Commitment.Status.KEPT).values_list("what", flat=True))
    return summary.Facts(
        community=community.name,
        period=f"{since.isoformat()} / {timezone.localdate().isoformat()}",  # GSM-7 only
        alerts_by_type=by_type,
        type_labels={k: str(v) for k, v in THREAT_TYPES},
        patrol_requests=requests.count(),
        patrols_done=done,
        commitments_kept=kept,
        commitments_total=commitments.count(),
    )


def _places_of(place: Any) -> QuerySet[Any]:
    """The community's place and, for an area, the places inside it."""
    from django.db.models import Q

    from ulinzi.places.models import Place

    q = Q(pk=place.pk)
    for field in Place.ANCESTOR_FIELDS:
        q |= Q(**{f"{field}_id": place.pk})
    return Place.objects.filter(q)


def focal_point_reporters() -> list[int]:
    """The reporters who are active focal points (the retention purge keeps their
    numbers: the mission's broadcasts reach communities through them)."""
    return list(FocalPoint.objects.filter(active=True).values_list("reporter_id", flat=True))
