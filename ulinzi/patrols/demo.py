"""Demonstration patrol requests for ``make demo``: a few communities ask for the kinds of
patrol the field knows (night patrols around a camp, a market day, firewood collection),
accepted, for the coming weeks. Idempotent: a community's request of a kind is made once."""

from __future__ import annotations

import datetime as dt

from ulinzi.patrols import domain
from ulinzi.patrols.models import PatrolRequest
from ulinzi.places.models import Base, Community

ACTOR = "demo setup"
# community, group, kind, shift, days, per week, priority, people, reason
REQUESTS = [
    (
        "Mbau",
        "Comité des déplacés",
        "night",
        "night",
        [0, 1, 2, 3, 4, 5, 6],
        4,
        5,
        6000,
        "Attaques nocturnes répétées sur la route Mbau-Kamango",
    ),
    (
        "Oicha",
        "Association des femmes",
        "firewood",
        "day",
        [1, 3, 5],
        2,
        4,
        1200,
        "Femmes agressées en allant chercher du bois",
    ),
    (
        "Mangina",
        "Comité du marché",
        "market",
        "day",
        [2],
        1,
        3,
        4000,
        "Racket sur la route du marché le mercredi",
    ),
    (
        "Komanda",
        "Chef de quartier",
        "night",
        "night",
        [4, 5],
        2,
        4,
        3000,
        "Hommes armés vus la nuit près de l'école",
    ),
    (
        "Kiwanja",
        "Jeunes du quartier",
        "route",
        "day",
        [0, 3],
        2,
        2,
        2500,
        "Barrières illégales sur la route",
    ),
    (
        "Fataki",
        "Comité du site de déplacés",
        "water_point",
        "day",
        [0, 2, 4],
        3,
        4,
        8000,
        "Enlèvements près du point d'eau",
    ),
]


def load_demo_requests(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    for base in Base.objects.filter(capacity__isnull=True):
        # Company bases cover their area by road: 70 km reach, two teams a shift.
        domain.save_capacity(
            actor=ACTOR, base=base, day_teams=2, night_teams=2, vehicles=3, max_km=70
        )
    start = today - dt.timedelta(days=today.weekday())
    made = 0
    for name, group, kind, shift, days, per_week, priority, people, reason in REQUESTS:
        community = Community.objects.filter(name=name).select_related("place").first()
        if (
            community is None
            or PatrolRequest.objects.filter(community=community, kind=kind).exists()
        ):
            continue
        request = domain.create_request(
            actor=ACTOR,
            community=community,
            group=group,
            kind=kind,
            place=community.place,
            weekdays=days,
            shift=shift,
            start_time=dt.time(19 if shift == "night" else 6),
            end_time=dt.time(5 if shift == "night" else 12),
            valid_from=start,
            valid_until=start + dt.timedelta(weeks=8),
            per_week=per_week,
            priority=priority,
            beneficiaries=people,
            reason=reason,
            language="fr",
        )
        if priority >= 3:
            domain.accept_request(actor=ACTOR, request=request)
        made += 1
    return made
