"""The outbox: written with the change, sent by the worker, retried, never lost or doubled."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain, transports
from ulinzi.messaging.models import Channel, Message, Reporter
from ulinzi.messaging.tests.gateway import fake_gateway

pytestmark = pytest.mark.django_db


def make_reporter(number: str = "+243971234567") -> Reporter:
    with transaction.atomic():
        return domain.reporter_for_number(number)


def make_channel(url: str, max_attempts: int = 3) -> Channel:
    channel = domain.create_channel(actor="test", name="gateway", send_url=url)
    Channel.objects.filter(pk=channel.pk).update(max_attempts=max_attempts)
    channel.refresh_from_db()
    return channel


def queue(reporter: Reporter, text: str = "Ujumbe umepokelewa. Ref A-12") -> Message:
    with transaction.atomic():
        message = domain.queue_message(reporter, text, purpose="ack")
    assert message is not None
    return message


def run_worker() -> str:
    out = StringIO()
    call_command("worker", once=True, stdout=out, stderr=out)
    return out.getvalue()


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_queueing_needs_the_transaction_of_the_change(live_db: None) -> None:
    with fake_gateway() as gateway:
        make_channel(gateway.url)
        reporter = make_reporter()
        with pytest.raises(RuntimeError, match="inside the transaction"):
            domain.queue_message(reporter, "Habari", purpose="ack")


def test_the_worker_sends_with_the_number_the_text_and_an_idempotency_key() -> None:
    with fake_gateway() as gateway:
        make_channel(gateway.url)
        message = queue(make_reporter())
        assert "1 message(s) handled" in run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    [request] = gateway.requests
    assert request["headers"]["Idempotency-Key"] == str(message.idempotency_key)
    assert "to=%2B243971234567" in request["body"]
    assert "text=Ujumbe%20umepokelewa.%20Ref%20A-12" in request["body"]
    assert f"id={message.pk}" in request["body"]


def test_a_failing_gateway_is_retried_with_backoff_then_the_message_is_dead() -> None:
    with fake_gateway() as gateway:
        gateway.script = ["error", "refused", "error"]
        make_channel(gateway.url, max_attempts=3)
        message = queue(make_reporter())
        run_worker()
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (
            "queued",
            1,
            "gateway answered 500",
        )
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=5)
        assert "0 message(s) handled" in run_worker()  # not due yet: nothing is sent
        make_due(message)
        run_worker()
        make_due(message)
        run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 3)
    assert len(gateway.requests) == 3
    assert len(set(gateway.keys())) == 1  # every try carried the same idempotency key
    assert AuditEntry.objects.filter(action="messaging.dead", subject_id=str(message.pk)).exists()


def test_garbage_from_the_gateway_with_a_2xx_counts_as_accepted() -> None:
    with fake_gateway() as gateway:
        gateway.script = ["garbage"]
        make_channel(gateway.url)
        message = queue(make_reporter())
        run_worker()
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_gateway_that_does_not_answer_in_time_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transports, "TIMEOUT_SECONDS", 0.5)
    with fake_gateway() as gateway:
        gateway.script = ["slow"]
        make_channel(gateway.url)
        message = queue(make_reporter())
        run_worker()
        message.refresh_from_db()
        assert message.status == "queued"
        assert "timed out" in message.last_error
        make_due(message)
        run_worker()
    message.refresh_from_db()
    assert message.status == "sent"


def test_an_unreachable_gateway_is_retried() -> None:
    channel = make_channel("http://127.0.0.1:9/send")  # the discard port: nothing listens
    message = queue(make_reporter())
    run_worker()
    message.refresh_from_db()
    assert message.status == "queued" and message.last_error.startswith("gateway unreachable")
    assert channel.pk == message.channel_id


def test_two_workers_never_claim_the_same_message() -> None:
    with fake_gateway() as gateway:
        make_channel(gateway.url)
        message = queue(make_reporter())
        first = domain.claim_next()
        second = domain.claim_next()
    assert first is not None and first.pk == message.pk
    assert second is None


def test_one_read_of_the_due_list_serves_many_claims() -> None:
    """The due messages and the channel's claims of the last minute are read once for
    up to twenty claims; each claim is still its own conditional UPDATE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with fake_gateway() as gateway:
        channel = make_channel(gateway.url)
        reporter = make_reporter()
        queued = [queue(reporter, f"Ujumbe {n}") for n in range(25)]
        claimer = domain.Claimer({channel.pk: 1000}, owner="w1")
        with CaptureQueriesContext(connection) as ctx:
            claimed = [claimer.claim() for _ in range(25)]
        assert claimer.claim() is None
    assert [m.pk for m in claimed if m] == [m.pk for m in queued]
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum(s.startswith("SELECT COUNT(*)") for s in sql) == 2  # once per read of 20
    assert sum(s.startswith("UPDATE") for s in sql) == 25
    # The copy in hand is the row claimed.
    stored = Message.objects.get(pk=claimed[0].pk)  # type: ignore[union-attr]
    assert (stored.status, stored.attempts, stored.claimed_by) == ("sending", 1, "w1")
    assert (claimed[0].status, claimed[0].attempts, claimed[0].claimed_by) == (  # type: ignore[union-attr]
        "sending",
        1,
        "w1",
    )


def test_the_worker_keeps_its_due_list_from_one_pass_to_the_next() -> None:
    """Draining the outbox with no SMS coming in (one send a pass), the worker still reads
    the due messages and the channel's rate once for twenty sends, not once a send."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with fake_gateway() as gateway:
        make_channel(gateway.url)
        reporter = make_reporter()
        for n in range(25):
            queue(reporter, f"Ujumbe {n}")
        with CaptureQueriesContext(connection) as ctx:
            assert "25 message(s) handled" in run_worker()
    assert len(gateway.requests) == 25
    counts = [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 2


def test_a_message_tried_by_another_worker_since_the_read_is_left_for_the_next() -> None:
    with fake_gateway() as gateway:
        make_channel(gateway.url)
        reporter = make_reporter()
        first, second = queue(reporter, "Ujumbe 1"), queue(reporter, "Ujumbe 2")
        slow = domain.Claimer(owner="slow")
        slow._read_due()
        # Meanwhile another worker claims the first, fails to send it and queues it again.
        other = domain.claim_next(owner="fast")
        assert other is not None and other.pk == first.pk
        domain.record_failure(other, "gateway answered 503")
        Message.objects.filter(pk=first.pk).update(next_attempt_at=None)
        taken = slow.claim()
        assert taken is not None and taken.pk == second.pk  # not the first: changed since
        again = domain.claim_next(owner="slow")
        assert again is not None and (again.pk, again.attempts) == (first.pk, 2)


def test_the_rate_limit_counts_the_claims_of_one_read() -> None:
    with fake_gateway() as gateway:
        channel = make_channel(gateway.url)
        reporter = make_reporter()
        for n in range(5):
            queue(reporter, f"Ujumbe {n}")
        claimer = domain.Claimer({channel.pk: 3})
        claims = [claimer.claim() for _ in range(5)]
    assert sum(c is not None for c in claims) == 3
    assert Message.objects.filter(status="queued").count() == 2


def test_a_claim_left_by_a_dead_worker_is_taken_back() -> None:
    with fake_gateway() as gateway:
        make_channel(gateway.url)
        message = queue(make_reporter())
        assert domain.claim_next() is not None  # this worker dies before sending
        Message.objects.filter(pk=message.pk).update(
            claimed_at=timezone.now() - timedelta(minutes=2)
        )
        run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(gateway.requests) == 1


def test_the_channel_rate_limit_holds_messages_back() -> None:
    with fake_gateway() as gateway:
        channel = make_channel(gateway.url)
        Channel.objects.filter(pk=channel.pk).update(rate_per_minute=2)
        reporter = make_reporter()
        for n in range(4):
            queue(reporter, f"Ujumbe {n}")
        run_worker()
    assert Message.objects.filter(direction="out", status="sent").count() == 2
    assert Message.objects.filter(direction="out", status="queued").count() == 2


def test_channel_commands_print_the_urls_to_paste_into_the_gateway() -> None:
    out = StringIO()
    call_command(
        "channel_add",
        "Vodacom relay",
        send_url="http://127.0.0.1:9999/send",
        preset="relay",
        stdout=out,
    )
    created = json.loads(out.getvalue())
    channel = Channel.objects.get(name="Vodacom relay")
    assert created["inbound_urls"]["receive"] == (
        f"http://127.0.0.1:8000/channels/ext/{channel.uuid}/receive?token={channel.secret}"
    )
    assert created["send"]["content_type"] == "application/json"
    listing = StringIO()
    call_command("channels", json=True, stdout=listing)
    assert [c["name"] for c in json.loads(listing.getvalue())] == ["Vodacom relay"]
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="send URL must start with http"):
        call_command("channel_add", "bad", send_url="ftp://x", stdout=StringIO())


def test_the_number_is_revealed_only_to_roles_that_call_back_and_each_reveal_is_audited(
    personas: dict[str, Any],
) -> None:
    from ulinzi.test import make_user

    reporter = make_reporter()
    number = domain.reveal_phone(actor=personas["alice"], reporter=reporter, reason="call-back")
    assert number == "+243971234567"
    entry = AuditEntry.objects.get(action="messaging.reveal_phone")
    assert (entry.actor_label, entry.after) == ("alice", {"reason": "call-back"})
    with pytest.raises(domain.RevealRefused, match="say why"):
        domain.reveal_phone(actor=personas["alice"], reporter=reporter, reason=" ")
    viewer = make_user("victor", "viewer", whole_mission=True)
    with pytest.raises(domain.RevealRefused, match="may not see"):
        domain.reveal_phone(actor=viewer, reporter=reporter, reason="curious")
    assert AuditEntry.objects.filter(action="messaging.reveal_phone").count() == 1


def test_a_message_back_in_the_queue_is_not_sent_once_the_reporter_opted_out() -> None:
    with fake_gateway() as gateway:
        gateway.script = ["error"]
        make_channel(gateway.url)
        reporter = make_reporter()
        message = queue(reporter)
        run_worker()  # fails: back in the queue
        domain.set_opt_out(reporter, opted_out=True, source="test")
        make_due(message)
        run_worker()
    message.refresh_from_db()
    assert message.status == "suppressed"
    assert len(gateway.requests) == 1


def test_a_worker_started_after_a_crash_sends_what_the_dead_one_had_claimed() -> None:
    import subprocess
    import sys

    with fake_gateway() as gateway:
        make_channel(gateway.url)
        reporter = make_reporter()
        orphan, kept = queue(reporter, "Ref A-1"), queue(reporter, "Ref A-2")
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        claimed = domain.claim_next(owner=domain.worker_identity(dead.pid))
        assert claimed is not None and claimed.pk == orphan.pk
        # A claim by a worker that is still running (this process) is left alone.
        other = domain.claim_next(owner=domain.worker_identity())
        assert other is not None and other.pk == kept.pk
        assert "1 message(s) handled" in run_worker()
    orphan.refresh_from_db()
    kept.refresh_from_db()
    assert (orphan.status, orphan.attempts) == ("sent", 2)
    assert kept.status == "sending"
    assert [r["headers"]["Idempotency-Key"] for r in gateway.requests] == [
        str(orphan.idempotency_key)
    ]


def test_a_message_is_spelled_to_take_one_sms_where_an_accent_would_take_two() -> None:
    """Words typed by a duty officer ("la situation est maîtrisée ...") go in GSM-7 when
    that saves an SMS: the reporter pays nothing, the gateway less."""
    with fake_gateway() as gateway:
        make_channel(gateway.url)
        typed = "Réf A-4: la mission a traité votre alerte. La situation est maîtrisée, "
        typed += "les familles peuvent rentrer."
        message = queue(make_reporter(), typed)
    assert message.text == typed.replace("maîtrisée", "maitrisée")
    assert message.parts == 1
    arabic = queue(make_reporter("+243971234568"), "تم استلام رسالتك وتم إبلاغ البعثة " * 3)
    assert arabic.text.startswith("تم استلام") and arabic.parts == 2  # as typed
