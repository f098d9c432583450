"""Writing the audit log. Called by every domain function inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from ulinzi.audit.models import AuditEntry

SYSTEM = "system"


def record(
    actor: Any,
    action: str,
    subject: models.Model | None = None,
    *,
    subject_type: str = "",
    subject_id: str = "",
    subject_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry.

    ``actor`` is a user, or None for the system (commands run without a user).
    Must run inside the caller's transaction so the change and its entry are
    written together or not at all.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction of the change")
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
        subject_label = subject_label or str(subject)[:200]
    user = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=user.get_username() if user else (str(actor) if actor else SYSTEM),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label[:200],
        before=before,
        after=after,
    )


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of ``fields`` as JSON-safe data, for before/after records."""
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            value = str(value)
        data[name] = value
    return data


def purge(before: Any, *, dry_run: bool = False) -> int:
    """Delete the audit entries written before ``before`` (the retention purge, the only
    deletion the log's triggers let through): how many."""
    from django.db import connection

    from ulinzi.audit.purge import purge_allowed

    if dry_run:
        return AuditEntry.objects.filter(at__lt=before).count()
    # Past the ORM's refusal too: a plain DELETE, which the triggers let through only
    # under the permit.
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with transaction.atomic(), purge_allowed(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [before])  # noqa: S608
        return int(cursor.rowcount)
