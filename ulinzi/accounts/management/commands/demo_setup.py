"""Set up a demonstration Ulinzi: the real gazetteer, bases, communities and one user
per role. Safe to run again: it reuses what exists and loses nothing."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Case, IntegerField, Value, When

from ulinzi.accounts import domain as accounts
from ulinzi.accounts.models import User
from ulinzi.accounts.roles import Role, requires_totp
from ulinzi.alerts.models import Alert
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.management.commands.channels import describe
from ulinzi.messaging.models import Channel
from ulinzi.places import domain as places
from ulinzi.places.gazetteer import BUNDLED_DIR, BUNDLED_FILES
from ulinzi.places.models import Base, Place

ACTOR = "demo setup"
DEMO_CHANNEL = "Demo SMS (console)"

# code, name, kind, lat, lon, the P-codes of its area of responsibility
BASES = [
    ("goma", "Goma", "headquarters", -1.67409, 29.22845, ["CD6101", "CD6102", "CD6103", "CD6104"]),
    ("beni", "Beni", "field_office", 0.49113, 29.47306, ["CD6109", "CD6107", "CD6110", "CD6105"]),
    ("bunia", "Bunia", "field_office", 1.55941, 30.25224, ["CD54"]),
    (
        "bukavu",
        "Bukavu",
        "field_office",
        -2.49077,
        28.84281,
        ["CD6201", "CD6202", "CD6203", "CD6205", "CD6206", "CD6207", "CD6212"],
    ),
    ("uvira", "Uvira", "field_office", -3.39534, 29.13779, ["CD6208", "CD6210"]),
    ("cob-kiwanja", "Kiwanja COB", "company_base", -1.196, 29.449, ["CD6111"]),
    ("cob-sake", "Sake COB", "company_base", -1.57386, 29.04339, ["CD6103"]),
    ("cob-oicha", "Oicha COB", "company_base", 0.699, 29.517, ["CD6107"]),
    ("cob-baraka", "Baraka COB", "company_base", -4.105, 29.094, ["CD6210"]),
]

# community, a place name to find it at, the place's territory P-code, languages
COMMUNITIES = [
    ("Kiwanja", "Kiwanja", "CD6111", ["sw", "fr"]),
    ("Mbau", "Mbau", "CD6107", ["sw", "fr"]),
    ("Oicha", "Oicha", "CD6107", ["sw", "fr"]),
    ("Sake", "Sake", "CD6103", ["sw", "fr"]),
    ("Minova", "Minova", "CD6205", ["sw", "fr"]),
    ("Mangina", "Mangina", "CD6107", ["sw", "fr"]),
    ("Komanda", "Komanda", "CD5402", ["sw", "fr", "ln"]),
    ("Fataki", "Fataki", "CD5405", ["sw", "fr"]),
    ("Baraka", "Baraka", "CD6210", ["sw", "fr"]),
    ("Uvira centre", "Uvira", "CD6208", ["sw", "fr"]),
]

# Where each demonstration user works: whole mission, or these bases.
USER_SCOPE = {
    Role.ADMIN: None,
    Role.DUTY_OFFICER: ["goma", "cob-sake", "cob-kiwanja"],
    Role.LIAISON: ["beni", "cob-oicha"],
    Role.ANALYST: None,
    Role.PATROL_PLANNER: None,  # the weekly plan is the mission's
    Role.HUMAN_RIGHTS: None,
    Role.ME_OFFICER: None,
    Role.PUBLIC_INFORMATION: None,
    Role.VIEWER: ["bunia"],
}

KIND_PREFERENCE = ["town", "health_area", "health_zone", "village", "camp", "quarter", "other"]


def demo_password() -> str:
    """One password for every demo user, generated once and kept in var/."""
    path = settings.VAR_DIR / "demo-password.txt"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("ulinzi-" + secrets.token_urlsafe(9))
    return path.read_text().strip()


def find_place(name: str, territory_pcode: str) -> Place | None:
    territory = Place.objects.filter(pcode=territory_pcode).first()
    candidates = Place.objects.filter(name__iexact=name)
    if territory:
        candidates = candidates.filter(territory=territory) | candidates.filter(pk=territory.pk)
    order = Case(
        *[When(kind=k, then=Value(i)) for i, k in enumerate(KIND_PREFERENCE)],
        default=Value(99),
        output_field=IntegerField(),
    )
    return candidates.annotate(rank=order).order_by("rank", "id").first()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        for filename, fmt, country in BUNDLED_FILES:
            call_command(
                "import_gazetteer",
                str(BUNDLED_DIR / filename),
                fmt=fmt,
                country=country,
                stdout=self.stdout,
                stderr=self.stderr,
            )
        for code, name, kind, lat, lon, pcodes in BASES:
            areas = list(Place.objects.filter(pcode__in=pcodes))
            place = find_place(name.replace(" COB", ""), pcodes[0])
            places.save_base(
                actor=ACTOR,
                code=code,
                name=name,
                kind=kind,
                lat=lat,
                lon=lon,
                place=place,
                areas=areas,
            )
        made = 0
        for name, place_name, territory, languages in COMMUNITIES:
            place = find_place(place_name, territory)
            if place is not None:
                places.save_community(actor=ACTOR, name=name, place=place, languages=languages)
                made += 1
        from ulinzi.alerts.demo import load_demo_alerts, load_demo_responders
        from ulinzi.engagement.demo import load_demo_engagement
        from ulinzi.indicators.demo import load_demo_indicators
        from ulinzi.patrols.demo import load_demo_requests
        from ulinzi.threats.demo import load_demo_events

        events = load_demo_events()
        load_demo_engagement()  # first: the requests' answers go to its focal points
        load_demo_requests()
        load_demo_indicators()
        channel = Channel.objects.filter(name=DEMO_CHANNEL).first() or messaging.create_channel(
            actor=ACTOR, name=DEMO_CHANNEL, send_url="console:", address="+243800000000"
        )
        load_demo_alerts(channel)
        load_demo_responders()
        password = demo_password()
        for role, base_codes in USER_SCOPE.items():
            existing = User.objects.filter(username=role.value).first()
            accounts.save_user(
                actor=ACTOR,
                username=role.value,
                role=role.value,
                # Keep a password someone changed; set it only for new users.
                password=None if existing else password,
                check_password=False,
                whole_mission=base_codes is None,
                bases=list(Base.objects.filter(code__in=base_codes or [])),
                language=existing.language if existing else "en",
            )
        if options["quiet"]:
            return
        self.stdout.write(
            f"\nGazetteer: {Place.objects.count()} places; {Base.objects.count()} bases; "
            f"{made} communities; {events.created + events.updated + events.unchanged} "
            "synthetic demonstration events (threat matrix, hotspots, watch list); "
            f"{Alert.objects.count()} alerts from synthetic demonstration SMS (duty board)."
            f"\n\nOpen {options['base_url']}/ and log in as any of:"
        )
        for role, base_codes in USER_SCOPE.items():
            where = "whole mission" if base_codes is None else ", ".join(base_codes)
            extra = "  (sets up an authenticator app at first login)" if requires_totp(role) else ""
            self.stdout.write(f"  {role.value:<20} {where}{extra}")
        self.stdout.write(f"Password for every demo user: {password}")
        receive = describe(channel, options["base_url"])["inbound_urls"]["receive"]
        self.stdout.write(
            f"\nDemo SMS channel (outbound messages print on the worker's console):\n"
            f"  curl -d from=+243971234567 -d 'text=ALERTE Kiwanja, hommes armés' '{receive}'\n"
        )
