"""Gateways post inbound SMS to the channel's receive URL; a retried SMS is stored once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain, views
from ulinzi.messaging.management.commands.channel_add import PRESETS
from ulinzi.messaging.models import Channel, Message, Reporter

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).parent / "payloads"
FORM = "application/x-www-form-urlencoded"


def make_channel(preset: str = "ext", auth: str = "url_token", name: str | None = None) -> Channel:
    return domain.create_channel(
        actor="test",
        name=name or f"{preset}-{auth}",
        send_url="console:",
        auth=auth,
        fields=PRESETS[preset].get("fields"),
    )


def receive_url(channel: Channel, kind: str = "receive") -> str:
    return f"/channels/ext/{channel.uuid}/{kind}?token={channel.secret}"


def post(channel: Channel, data: dict[str, Any], kind: str = "receive") -> Any:
    return Client().post(receive_url(channel, kind), data)


@pytest.mark.parametrize(
    ("preset", "payload", "content_type", "number", "text"),
    [
        (
            "ext",
            "ext.form",
            FORM,
            "+243971234567",
            "ALERTE Kiwanja, hommes armés vus près du marché",
        ),
        (
            "twilio",
            "twilio.form",
            FORM,
            "+243991112233",
            "Watu wenye silaha wameingia Mbau sasa hivi",
        ),
        (
            "africastalking",
            "africastalking.form",
            FORM,
            "+243815556677",
            "Tahadhari Oicha risasi nyingi usiku",
        ),
        (
            "relay",
            "relay.json",
            "application/json",
            "+243977654321",
            "Bato ya bibundeli bakoti na Komanda, basali mobulu",
        ),
    ],
)
def test_each_gateway_format_is_received(
    preset: str, payload: str, content_type: str, number: str, text: str
) -> None:
    channel = make_channel(preset)
    body = (PAYLOADS / payload).read_bytes()
    response = Client().post(receive_url(channel), body, content_type=content_type)
    assert response.status_code == 200, response.content
    assert response.json()["duplicate"] is False
    message = Message.objects.get(pk=response.json()["message_id"])
    assert (message.direction, message.status, message.text) == ("in", "received", text)
    assert message.reporter.phone() == number
    assert message.gateway_id


def test_the_same_sms_posted_200_times_is_one_message() -> None:
    channel = make_channel()
    body = (PAYLOADS / "ext.form").read_bytes()
    answers = [
        Client().post(receive_url(channel), body, content_type=FORM).json() for _ in range(200)
    ]
    assert Message.objects.filter(direction="in").count() == 1
    assert {a["message_id"] for a in answers} == {answers[0]["message_id"]}
    assert [a["duplicate"] for a in answers].count(False) == 1
    # Its audit entry is written by the worker when it takes the message, once.
    assert not AuditEntry.objects.filter(action="messaging.receive_message").exists()
    assert domain.process_inbound() == 1 and domain.process_inbound() == 0
    entry = AuditEntry.objects.get(action="messaging.receive_message")
    stored = Message.objects.get(direction="in")
    assert entry.subject_id == str(stored.pk) and entry.actor_label == channel.name
    assert entry.after["received_at"] == stored.created_at.isoformat()


def test_a_copy_stored_by_a_concurrent_request_is_found_after_the_refused_insert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two copies of one SMS arrive together: both look and find nothing, the first
    commits, the database refuses the second's insert, and the second answers with the
    first's message, having written nothing."""
    channel = make_channel()
    first = post(channel, {"from": "0971234567", "text": "Risasi Mbau", "id": "gw-7"}).json()
    real = domain._reporter_and_copy

    def looked_too_early(*args: Any) -> Any:
        reporter, _copy = real(*args)
        return reporter, None

    monkeypatch.setattr(domain, "_reporter_and_copy", looked_too_early)
    again = post(channel, {"from": "0971234567", "text": "Risasi Mbau!", "id": "gw-7"}).json()
    assert again == {**first, "duplicate": True}
    assert Message.objects.filter(direction="in").count() == 1
    domain.process_inbound()
    assert AuditEntry.objects.filter(action="messaging.receive_message").count() == 1


@contextmanager
def held_open(work: Callable[[], Any]) -> Iterator[None]:
    """``work`` done in another connection's transaction, left open (its locks held)
    while the block runs; this connection waits at most 2 s for any lock meanwhile."""
    done, finish, failed = threading.Event(), threading.Event(), []

    def run() -> None:
        try:
            with transaction.atomic():
                work()
                done.set()
                finish.wait(20)
        except Exception as exc:  # noqa: BLE001 (reported by the test below)
            failed.append(exc)
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert done.wait(20) and not failed, failed
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        yield
    finally:
        finish.set()
        thread.join(20)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert not failed, failed


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_the_webhook_and_the_worker_never_wait_for_each_others_locks() -> None:
    """On PostgreSQL, a row that another row refers to is locked by the reference's
    foreign-key check (KEY SHARE, at commit): the locks this code takes on a sender or a
    channel (FOR NO KEY UPDATE) must not conflict with it. While the worker writes down
    a sent message (its channel locked), an SMS on that channel is stored; while the
    webhook stores a sender's SMS (the sender locked), the worker queues an answer to
    that sender. With FOR UPDATE either would wait (a 2 s lock timeout here). SQLite
    has one writer at a time by design (see ulinzi/lib/sqlite)."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: one writer at a time by design")
    channel = domain.create_channel(
        actor="test", name="twilio", send_url="console:", auth="url_token", send_id_path="sid"
    )
    post(channel, {"from": "0971234567", "text": "Risasi Mbau", "id": "gw-1"})
    reporter = Reporter.objects.get()
    with transaction.atomic():
        domain.queue_message(reporter, "Tumepokea.", purpose="acknowledgement", channel=channel)
    claimed = domain.claim_next()
    assert claimed is not None

    with held_open(lambda: domain.record_sent(claimed, "SM-1")):
        again = post(channel, {"from": "0971234567", "text": "Watu 3 wameuawa", "id": "gw-2"})
        assert again.status_code == 200, again.content

    def store() -> None:
        domain.receive_message(channel, sender="0971234567", text="Bado risasi", gateway_id="gw-3")

    with held_open(store), transaction.atomic():
        domain.queue_message(reporter, "Tumepokea tena.", purpose="acknowledgement")
    assert Message.objects.filter(direction="in").count() == 3
    assert Message.objects.filter(direction="out").count() == 2
    claimed.refresh_from_db()
    assert (claimed.status, claimed.gateway_id) == ("sent", "SM-1")


def test_a_resend_without_gateway_id_within_ten_minutes_is_the_same_message() -> None:
    channel = make_channel()
    first = post(channel, {"from": "0971234567", "text": "Risasi Mbau"}).json()
    again = post(channel, {"from": "+243 97 123 4567", "text": "Risasi Mbau"}).json()
    assert again == {**first, "duplicate": True}
    other = post(channel, {"from": "0971234567", "text": "Risasi Mbau tena"}).json()
    assert other["duplicate"] is False
    assert Reporter.objects.count() == 1


def test_the_same_text_after_the_window_or_on_another_channel_is_a_new_message() -> None:
    channel, other_channel = make_channel(), make_channel(name="second")
    first = post(channel, {"from": "0971234567", "text": "Risasi Mbau"}).json()
    # Stored 9 minutes ago: still a copy; 11 minutes ago: a new SMS with the same words.
    stored = Message.objects.filter(pk=first["message_id"])
    stored.update(
        created_at=stored.get().created_at - domain.DUPLICATE_WINDOW + timedelta(minutes=1)
    )
    assert post(channel, {"from": "0971234567", "text": "Risasi Mbau"}).json()["duplicate"] is True
    stored.update(created_at=stored.get().created_at - timedelta(minutes=2))
    later = post(channel, {"from": "0971234567", "text": "Risasi Mbau"}).json()
    assert later["duplicate"] is False and later["message_id"] != first["message_id"]
    elsewhere = post(other_channel, {"from": "0971234567", "text": "Risasi Mbau"}).json()
    assert elsewhere["duplicate"] is False
    # Another sender's identical text is theirs.
    assert post(channel, {"from": "0977654321", "text": "Risasi Mbau"}).json()["duplicate"] is False
    assert Message.objects.filter(direction="in").count() == 4


def test_a_wrong_secret_or_unknown_channel_is_refused_and_nothing_is_stored() -> None:
    channel = make_channel()
    data = {"from": "0971234567", "text": "Risasi Mbau"}
    wrong = Client().post(f"/channels/ext/{channel.uuid}/receive?token=nope", data)
    assert (wrong.status_code, wrong.json()["detail"]) == (403, "unknown channel or wrong secret")
    unknown = Client().post(
        f"/channels/ext/9b1d3c4e-0000-4000-8000-000000000000/receive?token={channel.secret}", data
    )
    assert unknown.status_code == 403
    assert Client().post("/channels/ext/not-a-uuid/receive", data).status_code == 403
    assert Client().get(receive_url(channel)).status_code == 405
    assert not Message.objects.exists() and not Reporter.objects.exists()


def test_a_channel_is_read_once_a_few_seconds_and_again_once_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The webhook reads a channel once for CHANNEL_KEPT_S seconds; saved in this
    process it is read again at once, changed elsewhere (no signal here) once the
    time has passed. Unknown channels are never kept."""
    channel = make_channel()
    clock = [1000.0]
    monkeypatch.setattr(views.time, "monotonic", lambda: clock[0])

    def reads(data: dict[str, str]) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            status = post(channel, data).status_code
        return status, sum('"messaging_channel"' in q["sql"] for q in queries)

    assert reads({"from": "0971234567", "text": "Risasi Mbau"}) == (200, 1)
    assert reads({"from": "0971234567", "text": "Risasi Kiwanja"}) == (200, 0)
    Channel.objects.filter(pk=channel.pk).update(active=False)  # as another process would
    clock[0] += views.CHANNEL_KEPT_S - 0.01
    assert reads({"from": "0971234567", "text": "Risasi Oicha"}) == (200, 0)
    clock[0] += 0.02
    assert reads({"from": "0971234567", "text": "Risasi Beni"}) == (403, 1)
    assert reads({"from": "0971234567", "text": "Risasi Beni"}) == (403, 1)
    channel.active = True
    channel.save()
    assert reads({"from": "0971234567", "text": "Risasi Beni"}) == (200, 1)
    channel.active = False
    channel.save()  # in this process: refused at once
    assert reads({"from": "0971234567", "text": "Risasi Mutwanga"}) == (403, 1)
    assert Message.objects.filter(direction="in").count() == 4


def test_an_hmac_channel_checks_the_signature_of_the_body() -> None:
    channel = make_channel(auth="hmac")
    body = json.dumps({"from": "0971234567", "text": "Risasi Mbau", "id": "x1"}).encode()
    signature = hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    url = f"/channels/ext/{channel.uuid}/receive"
    bad = Client().post(
        url, body, content_type="application/json", HTTP_X_ULINZI_SIGNATURE="sha256=00"
    )
    assert bad.status_code == 403
    good = Client().post(
        url, body, content_type="application/json", HTTP_X_ULINZI_SIGNATURE=f"sha256={signature}"
    )
    assert good.status_code == 200
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        ({"text": "Risasi Mbau"}, "from (the sender's number) is missing"),
        ({"from": "hello", "text": "Risasi Mbau"}, "from: this is not a phone number"),
        ({"from": "0971234567", "text": "   "}, "text is empty"),
        ({"from": "0971234567"}, "text is missing"),
        ({"from": "0971234567", "text": "x" * 10_000}, "text is longer than 2000 characters"),
        ({"from": "0971234567", "text": "Risasi\x00Mbau"}, "text contains a NUL character"),
        (
            {"from": "0971234567", "text": "Risasi", "date": "2099-01-01T00:00:00Z"},
            "date '2099-01-01T00:00:00Z' is in the future",
        ),
        (
            {"from": "0971234567", "text": "Risasi", "date": "yesterday"},
            "date 'yesterday' is not an ISO 8601 date and time after 2000",
        ),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(
    data: dict[str, str], detail: str
) -> None:
    channel = make_channel()
    response = post(channel, data)
    assert (response.status_code, response.json()) == (400, {"status": "error", "detail": detail})
    assert not Message.objects.exists() and not Reporter.objects.exists()


def test_invalid_utf8_and_oversized_bodies_are_refused() -> None:
    channel = make_channel()
    bad = Client().post(receive_url(channel), b"from=0971234567&text=\xff\xfe", content_type=FORM)
    assert bad.status_code == 400
    big = Client().post(receive_url(channel), b"text=" + b"a" * 70_000, content_type=FORM)
    assert big.status_code == 413
    assert not Message.objects.exists()


def test_reporters_numbers_are_only_stored_encrypted() -> None:
    channel = make_channel()
    post(channel, {"from": "+243971234567", "text": "Risasi Mbau"})
    reporter = Reporter.objects.get()
    assert reporter.pseudonym.startswith("R-")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM messaging_reporter")
        row = cursor.fetchone()
    assert "971234567" not in repr(row)
    assert not AuditEntry.objects.filter(after__icontains="971234567").exists()


def test_status_callbacks_and_opt_out() -> None:
    channel = make_channel()
    post(channel, {"from": "0971234567", "text": "Risasi Mbau"})
    reporter = Reporter.objects.get()
    from django.db import transaction

    with transaction.atomic():
        first = domain.queue_message(reporter, "Ujumbe umepokelewa", purpose="ack")
        second = domain.queue_message(reporter, "Jibu la pili", purpose="feedback")
    assert post(channel, {"id": str(first.pk)}, "sent").json()["state"] == "sent"
    assert post(channel, {"id": str(first.pk)}, "delivered").json()["state"] == "delivered"
    assert post(channel, {"id": "999999"}, "failed").status_code == 400
    missing = post(channel, {}, "stopped")
    assert missing.status_code == 400 and "from" in missing.json()["detail"]
    assert post(channel, {"from": "+243971234567"}, "stopped").json() == {"status": "ok"}
    reporter.refresh_from_db()
    second.refresh_from_db()
    assert reporter.opted_out_at is not None
    assert second.status == "suppressed"
    with transaction.atomic():
        later = domain.queue_message(reporter, "Habari", purpose="broadcast")
    assert later.status == "suppressed" and later.next_attempt_at is None
    # STOP again (the gateway, then the reporter, with a stale copy): the first time stays,
    # and only real changes are audited; START from a stale copy still opts in.
    stopped_at = reporter.opted_out_at
    stale = Reporter.objects.get(pk=reporter.pk)
    stale.opted_out_at = None
    domain.set_opt_out(stale, opted_out=True, source="reporter")
    assert stale.opted_out_at == stopped_at
    assert Reporter.objects.get(pk=reporter.pk).opted_out_at == stopped_at
    domain.set_opt_out(reporter, opted_out=False, source="reporter")
    domain.set_opt_out(stale, opted_out=False, source="reporter")
    assert Reporter.objects.get(pk=reporter.pk).opted_out_at is None
    changes = AuditEntry.objects.filter(
        subject_id=str(reporter.pk), action__startswith="messaging.opt_"
    )
    assert list(changes.order_by("id").values_list("action", flat=True)) == [
        "messaging.opt_out",
        "messaging.opt_in",
    ]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sender=st.one_of(
        st.none(), st.text(max_size=20), st.from_regex(r"\+2439[0-9]{8}", fullmatch=True)
    ),
    text=st.one_of(st.none(), st.text(max_size=300)),
    gateway_id=st.one_of(st.none(), st.text(max_size=30)),
    date=st.one_of(st.none(), st.text(max_size=30)),
)
def test_no_input_makes_the_webhook_fail_or_half_write(
    sender: Any, text: Any, gateway_id: Any, date: Any
) -> None:
    channel = Channel.objects.first() or make_channel()
    data = {
        k: v
        for k, v in {"from": sender, "text": text, "id": gateway_id, "date": date}.items()
        if v is not None
    }
    before = Message.objects.count()
    response = Client().post(receive_url(channel), data)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert Message.objects.count() == before
        assert response.json()["detail"]
