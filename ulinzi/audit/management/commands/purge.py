from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from ulinzi.accounts import domain as accounts
from ulinzi.alerts import domain as alerts
from ulinzi.audit import domain as audit
from ulinzi.audit import retention
from ulinzi.engagement import queries as engagement
from ulinzi.messaging import domain as messaging


def _steps() -> dict[str, Callable[..., int]]:
    """Each record type's purge: ``(before, dry_run=...) -> how many``."""
    return {
        "reporter_numbers": lambda before, dry_run: messaging.erase_numbers(
            before, keep=engagement.focal_point_reporters(), dry_run=dry_run
        ),
        "sms_texts": messaging.erase_texts,
        "callbacks": alerts.purge_callbacks,
        "login_records": accounts.purge_login_records,
        "audit": audit.purge,
    }


class Command(BaseCommand):
    help = (
        "Remove what the retention policy no longer keeps (ULINZI_RETENTION over the "
        "defaults of ulinzi.audit.retention): one JSON line per record type with how many "
        "records went; each purge is written in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, remove nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        days = settings.ULINZI_RETENTION
        now = timezone.now()
        steps = _steps()
        for name, before in retention.cutoffs(now, days).items():
            # Each type in its own transaction: one that fails leaves the others done and
            # itself untouched, and the audit entry commits with what it says.
            with transaction.atomic():
                count = steps[name](before, dry_run=dry_run)
                if not dry_run:
                    audit.record(
                        None,
                        "audit.purge",
                        subject_type="retention",
                        subject_id=name,
                        subject_label=retention.DEFAULTS[name].what,
                        after={"days": days[name], "before": before.isoformat(), "count": count},
                    )
            line = {
                "type": name,
                "days": days[name],
                "before": before.isoformat(timespec="seconds"),
                "removed" if not dry_run else "would_remove": count,
            }
            self.stdout.write(json.dumps(line))
