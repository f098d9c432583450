from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.accounts import domain
from ulinzi.accounts.models import User
from ulinzi.accounts.roles import Role
from ulinzi.places.gazetteer import LEVELS
from ulinzi.places.models import Base, Place


class Command(BaseCommand):
    help = (
        "Create a user or change their role and scope: the whole mission, or bases "
        "(their areas of responsibility) and admin areas by P-code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument(
            "--base", action="append", default=[], help="base code; repeat for several"
        )
        parser.add_argument(
            "--area", action="append", default=[], help="admin area P-code; repeat for several"
        )
        parser.add_argument("--whole-mission", action="store_true")
        parser.add_argument(
            "--language", choices=["en", "fr"], help="default: unchanged (en for a new user)"
        )
        parser.add_argument("--set-password", action="store_true", help="ask for a new password")

    def handle(self, *args: Any, **options: Any) -> None:
        bases = list(Base.objects.filter(code__in=options["base"]))
        unknown = sorted(set(options["base"]) - {b.code for b in bases})
        if unknown:
            raise CommandError(f"no base with code {', '.join(unknown)}")
        areas = list(Place.objects.filter(pcode__in=options["area"], kind__in=LEVELS))
        unknown = sorted(set(options["area"]) - {a.pcode for a in areas if a.pcode})
        if unknown:
            raise CommandError(f"no admin area with P-code {', '.join(unknown)}")
        existing = User.objects.filter(username=options["username"]).first()
        scope_given = options["whole_mission"] or bases or areas
        if existing is not None and not scope_given:
            # Changing only the role (or password) keeps the user's scope.
            whole_mission = existing.whole_mission
            bases = list(existing.bases.all())
            areas = list(existing.areas.all())
        else:
            whole_mission = options["whole_mission"]
        if not (whole_mission or bases or areas):
            self.stderr.write(
                "warning: no base, area or --whole-mission: this user will see no community"
            )
        language = options["language"] or (existing.language if existing else "en")
        password = None
        if options["set_password"]:
            password = getpass.getpass("New password: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("the two passwords differ; nothing was changed")
        try:
            user = domain.save_user(
                actor="command line",
                username=options["username"],
                role=options["role"],
                password=password,
                whole_mission=whole_mission,
                bases=bases,
                areas=areas,
                language=language,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        scope = (
            "whole mission"
            if user.whole_mission
            else ", ".join([b.code for b in bases] + [a.pcode or "" for a in areas])
        )
        self.stdout.write(f"{user.username}: {user.role}, {scope or 'no scope'}")
