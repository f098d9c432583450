"""The audit log: written by every domain function, never changed, browsable by admins."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from ulinzi.audit import domain as audit
from ulinzi.audit.models import AuditEntry, AuditLogIsAppendOnly
from ulinzi.audit.purge import purge_allowed, set_purge_allowed
from ulinzi.test import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db: Any) -> AuditEntry:
    # An earlier transactional test on this connection may have left the flush permit on.
    set_purge_allowed(False)
    with transaction.atomic():
        return audit.record(
            "tester", "test.thing", subject_type="test", subject_id="1", after={"x": 1}
        )


def test_the_orm_refuses_to_change_or_delete_an_entry(entry: AuditEntry) -> None:
    entry.action = "test.rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.thing"


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_auditentry SET action = 'forged'", "DELETE FROM audit_auditentry"],
)
def test_the_database_refuses_sql_that_goes_around_the_orm(entry: AuditEntry, sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.thing"


def test_only_an_explicit_purge_permit_deletes_and_never_updates(entry: AuditEntry) -> None:
    with purge_allowed():
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE audit_auditentry SET action = 'forged'")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert not AuditEntry.objects.filter(pk=entry.pk).exists()


def test_record_refuses_to_run_outside_the_change_transaction(live_db: None) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record("tester", "test.thing")


def test_domain_functions_write_who_did_what(personas: dict[str, Any]) -> None:
    entry = AuditEntry.objects.filter(action="accounts.save_user", subject_label="alice").get()
    assert entry.actor_label == "test setup"
    assert entry.before is None
    assert entry.after["role"] == "duty_officer"
    assert entry.after["bases"] == ["beni"]


def test_administrators_browse_and_filter_the_log(personas: dict[str, Any]) -> None:
    unverified = Client()
    unverified.force_login(personas["adam"])
    # Adam is an administrator: without his second factor he is sent to it.
    assert unverified.get("/audit/").url.startswith("/accounts/otp/")
    adam = verified_client(personas["adam"])
    page = adam.get("/audit/", {"action": "save_community"}).content.decode()
    assert "places.save_community" in page
    assert "accounts.save_user" not in page

    assert "Mbau" in page and "Goma ville" in page
    alice = Client()
    alice.force_login(personas["alice"])
    assert alice.get("/audit/").status_code == 403
    carol = Client()
    carol.force_login(personas["carol"])  # whole mission, but not an administrator
    assert carol.get("/audit/").status_code == 403


def test_filters_with_odd_characters_do_not_break_the_page(personas: dict[str, Any]) -> None:
    adam = verified_client(personas["adam"])
    for params in (
        {"actor": "\x00"},
        {"since": "2026-02-30"},
        {"until": "not a date"},
        {"subject": "x" * 5000},
    ):
        assert adam.get("/audit/", params).status_code == 200
