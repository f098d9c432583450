"""The retention policy and ``ulinzi purge``; ``ulinzi backup``."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from ulinzi.audit import retention
from ulinzi.audit.models import AuditEntry

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def test_the_policy_is_the_defaults_with_the_missions_own_days() -> None:
    days = retention.policy(retention.parse(" sms_texts=180, audit = 3650 ,"))
    assert days == {
        "reporter_numbers": 730,
        "sms_texts": 180,
        "callbacks": 365,
        "login_records": 90,
        "audit": 3650,
    }
    assert retention.cutoffs(NOW, days)["sms_texts"] == NOW - dt.timedelta(days=180)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("sms=10", "'sms' is not a record type: use one of reporter_numbers, sms_texts"),
        ("sms_texts", "'sms_texts': write record_type=days"),
        ("sms_texts=a year", "sms_texts: 'a year' is not a number of days"),
        ("sms_texts=7", "sms_texts: keep records at least 30 days, not 7"),
    ],
)
def test_a_bad_policy_is_refused_with_what_is_wrong(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        retention.policy(retention.parse(text))


def _purge(*args: str) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("purge", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _old_audit_entry(at: dt.datetime) -> None:
    """An entry written long ago (the log's triggers refuse to backdate one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (at, actor_label, action, subject_type, subject_id,"
            " subject_label) VALUES (%s, 'old', 'test.old', 'test', '1', 'old')",
            [at],
        )


@pytest.mark.django_db
def test_purge_removes_what_the_policy_no_longer_keeps_and_logs_it(
    personas: dict[str, Any],
) -> None:
    from axes.models import AccessLog

    from ulinzi.alerts import domain as alerts
    from ulinzi.alerts.models import CallbackTask
    from ulinzi.engagement.models import FocalPoint
    from ulinzi.messaging import domain as messaging
    from ulinzi.messaging.models import Message, Reporter

    channel = messaging.create_channel(actor="test", name="gateway", send_url="console:")
    long_ago = timezone.now() - dt.timedelta(days=800)
    with transaction.atomic():
        gone = messaging.reporter_for_number("+243971000001")
        focal = messaging.reporter_for_number("+243971000002")
        recent = messaging.reporter_for_number("+243971000003")
        FocalPoint.objects.create(
            reporter=focal, community=personas["mbau"], role="chief", language="sw"
        )
        waiting = messaging.queue_message(gone, "Kumb A-1: asante", purpose="closing")
        old_sms = messaging.receive_message(channel, sender="+243971000003", text="Risasi Mbau")
    Reporter.objects.filter(pk__in=[gone.pk, focal.pk]).update(
        last_seen_at=long_ago, created_at=long_ago
    )
    Message.objects.filter(pk=old_sms.message.pk).update(created_at=long_ago, processed_at=long_ago)
    unprocessed = messaging.receive_message(channel, sender="+243971000003", text="Tirs Beni")
    Message.objects.filter(pk=unprocessed.message.pk).update(created_at=long_ago)
    # Called in to the hotline today: in touch, though registered long ago.
    with transaction.atomic():
        caller = messaging.reporter_for_number("+243971000004")
    Reporter.objects.filter(pk=caller.pk).update(last_seen_at=long_ago, created_at=long_ago)
    caller.refresh_from_db()
    alerts.receive_report(source="hotline", text="Hommes armés à Mbau", reporter=caller)
    done = alerts.record_missed_call(recent)
    alerts.complete_callback(actor=personas["alice"], task=done, note="called, all is well")
    CallbackTask.objects.filter(pk=done.pk).update(done_at=long_ago)
    waiting_task = alerts.record_missed_call(gone)
    CallbackTask.objects.filter(pk=waiting_task.pk).update(created_at=long_ago)
    login = AccessLog.objects.create(username="alice", ip_address="10.0.0.9", user_agent="x")
    AccessLog.objects.filter(pk=login.pk).update(attempt_time=long_ago)
    _old_audit_entry(timezone.now() - dt.timedelta(days=2000))
    before = AuditEntry.objects.count()

    counted = {line["type"]: line["would_remove"] for line in _purge("--dry-run")}
    assert counted == {
        "reporter_numbers": 1,
        "sms_texts": 1,
        "callbacks": 1,
        "login_records": 1,
        "audit": 1,
    }
    assert AuditEntry.objects.count() == before  # a dry run changes nothing

    removed = {line["type"]: line["removed"] for line in _purge()}
    assert removed == counted
    gone.refresh_from_db()
    assert bytes(gone.phone_cipher) == b"" and messaging.is_erased(gone)
    assert gone.opted_out_at is not None and gone.pseudonym.startswith("R-")
    assert Message.objects.get(pk=waiting.pk).status == "suppressed"  # never sent now
    assert messaging.find_reporter("+243971000001") is None
    assert messaging.find_reporter("+243971000002") == focal  # focal points keep theirs
    assert messaging.find_reporter("+243971000004") == caller
    assert Message.objects.get(pk=old_sms.message.pk).text == ""
    assert Message.objects.get(pk=unprocessed.message.pk).text == "Tirs Beni"  # not yet read
    assert list(CallbackTask.objects.all()) == [waiting_task]
    assert not AccessLog.objects.exists()
    assert not AuditEntry.objects.filter(action="test.old").exists()
    logged = {
        e.subject_id: e.after["count"] for e in AuditEntry.objects.filter(action="audit.purge")
    }
    assert logged == removed
    assert _purge()[0]["removed"] == 0  # done once

    with pytest.raises(messaging.RevealRefused, match="erased under the retention policy"):
        messaging.reveal_phone(actor=personas["alice"], reporter=gone, reason="call-back")
    again = Client().post(
        f"/channels/ext/{channel.uuid}/receive?token={channel.secret}",
        {"from": "+243971000001", "text": "Tunaomba doria Mbau"},
    )
    assert again.status_code == 200  # the number writes again: a new reporter
    renewed = messaging.find_reporter("+243971000001")
    assert renewed is not None and renewed.pk != gone.pk and renewed.opted_out_at is None


def test_backup_copies_the_database_and_refuses_to_overwrite(tmp_path: Path) -> None:
    """SQLite: a fresh database file, backed up by the command as run from a shell; the
    copy passes SQLite's integrity check and holds the same tables and rows."""
    env = {
        **os.environ,
        "ULINZI_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    ulinzi = [sys.executable, "-m", "ulinzi"]
    subprocess.run([*ulinzi, "migrate", "-v0"], env=env, check=True, timeout=300)
    copy = tmp_path / "copy.sqlite3"
    done = subprocess.run(
        [*ulinzi, "backup", "--output", str(copy)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "path": str(copy),
        "bytes": copy.stat().st_size,
        "database": "sqlite",
    }
    assert "field.key" in done.stderr  # the reminder that the keys are needed
    assert copy.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(copy) as db, sqlite3.connect(tmp_path / "db.sqlite3") as live:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        query = "SELECT name, (SELECT 1) FROM sqlite_master WHERE type = 'table' ORDER BY name"
        assert db.execute(query).fetchall() == live.execute(query).fetchall()
        migrations = "SELECT count(*) FROM django_migrations"
        assert db.execute(migrations).fetchone() == live.execute(migrations).fetchone()
    again = subprocess.run(
        [*ulinzi, "backup", "--output", str(copy)], env=env, capture_output=True, text=True
    )
    assert again.returncode != 0 and "never overwrites" in again.stderr


@pytest.mark.django_db
def test_backup_of_the_database_in_use(tmp_path: Path) -> None:
    """PostgreSQL: pg_dump's archive lists the tables (pg_restore reads it). On SQLite the
    suite's in-memory database has no file to copy, and the command says so."""
    target = tmp_path / "ulinzi.dump"
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="no database file to back up"):
            call_command("backup", "--output", str(target), stdout=StringIO(), stderr=StringIO())
        assert not target.exists()
        return
    call_command("backup", "--output", str(target), stdout=StringIO(), stderr=StringIO())
    program = shutil.which("pg_restore")
    assert program is not None, "PostgreSQL's client programs are needed beside its server"
    listing = subprocess.run(
        [program, "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE public audit_auditentry" in listing
    assert AuditEntry.objects.filter(action="audit.backup").exists()
