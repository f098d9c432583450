"""Twilio-style and Africa's Talking-style gateways end to end: the channel's credentials
go with every send, the gateway's id for the message is kept from its answer, and its
status callbacks (recorded payloads) mark the message delivered or failed."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain, transports
from ulinzi.messaging.models import Channel, EarlyReceipt, Message
from ulinzi.messaging.tests.gateway import fake_gateway

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).parent / "payloads"
FORM = "application/x-www-form-urlencoded"


def add_channel(url: str, preset: str, *extra: str) -> tuple[Channel, dict[str, Any]]:
    out = StringIO()
    call_command("channel_add", preset, "--send-url", url, "--preset", preset, *extra, stdout=out)
    return Channel.objects.get(name=preset), json.loads(out.getvalue())


def queue_one(channel: Channel, number: str) -> Message:
    with transaction.atomic():
        reporter = domain.reporter_for_number(number)
        message = domain.queue_message(
            reporter, "Misheni: tumepokea ujumbe wenu.", purpose="acknowledgement", channel=channel
        )
    assert message is not None
    return message


def claim_one(channel: Channel, number: str) -> Message:
    """A message queued and claimed by a worker: being sent, its gateway id not yet known."""
    queue_one(channel, number)
    claimed = domain.claim_next()
    assert claimed is not None and claimed.status == "sending"
    return claimed


def send_one(channel: Channel, number: str) -> Message:
    message = queue_one(channel, number)
    call_command("worker", once=True, stdout=StringIO(), stderr=StringIO())
    message.refresh_from_db()
    return message


def post(url: str, payload: str) -> Any:
    return Client().post(url, (PAYLOADS / payload).read_bytes(), content_type=FORM)


@pytest.mark.parametrize(
    ("preset", "credentials", "answer", "number", "delivered", "failed", "gateway_id"),
    [
        (
            "twilio",
            ["--send-user", "AC0a1b2c3d4e5f60718293a4b5c6d7e8f9:secret-token"],
            "twilio_send_answer.json",
            "+243991112233",
            "twilio_status.form",
            "twilio_status_undelivered.form",
            "SM9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a",
        ),
        (
            "africastalking",
            ["--send-header", "apiKey: atsk_1234abcd"],
            "africastalking_send_answer.json",
            "+243815556677",
            "africastalking_delivery.form",
            "africastalking_delivery_failed.form",
            "ATXid_7e1f0c2b9d8a4c3e",
        ),
    ],
)
def test_a_gateways_credentials_its_id_and_its_receipts(
    preset: str,
    credentials: list[str],
    answer: str,
    number: str,
    delivered: str,
    failed: str,
    gateway_id: str,
) -> None:
    with fake_gateway() as gateway:
        gateway.answer = (PAYLOADS / answer).read_bytes()
        channel, printed = add_channel(gateway.url, preset, *credentials)
        message = send_one(channel, number)
        # Header names are case-insensitive (urllib sends "Apikey").
        headers = {k.casefold(): v for k, v in gateway.requests[0]["headers"].items()}
    if preset == "twilio":
        user, password = base64.b64decode(headers["authorization"].split()[1]).decode().split(":")
        assert (user, password) == ("AC0a1b2c3d4e5f60718293a4b5c6d7e8f9", "secret-token")
    else:
        assert headers["apikey"] == "atsk_1234abcd" and headers["accept"] == "application/json"
    assert (message.status, message.gateway_id) == ("sent", gateway_id)
    # The listing shows where to send receipts, and the credentials' names, never their values.
    assert printed["send"]["headers"] == sorted(channel.send_headers())
    assert b"atsk_" not in bytes(channel.send_credentials)  # kept encrypted
    assert "secret-token" not in json.dumps(printed) and "atsk_" not in json.dumps(printed)
    status_url = printed["inbound_urls"]["status"]
    assert status_url.endswith(f"/channels/ext/{channel.uuid}/status?token={channel.secret}")
    path = status_url.removeprefix("http://127.0.0.1:8000")

    response = post(path, delivered)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "message_id": message.pk, "state": "delivered"}
    message.refresh_from_db()
    assert message.status == "delivered" and message.delivered_at is not None
    assert AuditEntry.objects.filter(action="messaging.update_status").count() == 1
    # A failure reported after delivery does not undo it.
    assert post(path, failed).json()["state"] == "delivered"


def test_a_failure_receipt_and_bad_receipts() -> None:
    with fake_gateway() as gateway:
        gateway.answer = (PAYLOADS / "twilio_send_answer.json").read_bytes()
        channel, printed = add_channel(gateway.url, "twilio", "--send-user", "AC1:tok")
        message = send_one(channel, "+243991112233")
    path = printed["inbound_urls"]["status"].removeprefix("http://127.0.0.1:8000")
    response = post(path, "twilio_status_undelivered.form")
    assert response.json()["state"] == "failed"
    before = AuditEntry.objects.count()
    for body, error in [
        ({"MessageSid": "SM000", "MessageStatus": "delivered"}, "no outbound message 'SM000'"),
        ({"MessageSid": message.gateway_id, "MessageStatus": "eaten"}, "'eaten' is unknown"),
        ({"MessageSid": message.gateway_id}, "the status is missing"),
        ({"MessageStatus": "delivered"}, "id (the message's id) is missing"),
        # Ulinzi's own id is not the gateway's: this channel's receipts name the gateway's.
        ({"MessageSid": str(message.pk), "MessageStatus": "delivered"}, "no outbound message"),
    ]:
        refused = Client().post(path, body)
        assert refused.status_code == 400 and error in refused.json()["detail"], body
    assert AuditEntry.objects.count() == before
    message.refresh_from_db()
    assert message.status == "failed"
    # "queued" or "sending" say the message is on its way: nothing changes.
    still = Client().post(path, {"MessageSid": message.gateway_id, "MessageStatus": "sending"})
    assert still.status_code == 200 and still.json()["state"] == "failed"


def test_the_contracts_own_receipts_name_ulinzis_id() -> None:
    """A RapidPro-style channel keeps no gateway id: ``/delivered`` and ``/status`` take
    the id Ulinzi sent in ``{{id}}``."""
    with fake_gateway() as gateway:
        channel = domain.create_channel(actor="test", name="ext", send_url=gateway.url)
        message = send_one(channel, "+243971234567")
    assert message.gateway_id is None
    token = f"?token={channel.secret}"
    sent = Client().post(
        f"/channels/ext/{channel.uuid}/status{token}", {"id": message.pk, "status": "Sent"}
    )
    assert sent.json()["state"] == "sent"
    done = Client().post(f"/channels/ext/{channel.uuid}/delivered{token}", {"id": message.pk})
    assert done.json()["state"] == "delivered"
    bad = Client().post(f"/channels/ext/{channel.uuid}/delivered{token}", {"id": "12x"})
    assert bad.status_code == 400


def test_the_gateway_id_is_read_along_its_path() -> None:
    at = (PAYLOADS / "africastalking_send_answer.json").read_text()
    assert transports.gateway_id_in(at, "SMSMessageData.Recipients.0.messageId") == (
        "ATXid_7e1f0c2b9d8a4c3e"
    )
    assert transports.gateway_id_in(at, "SMSMessageData.Recipients.1.messageId") is None
    assert transports.gateway_id_in(at, "SMSMessageData.Message.x") is None
    assert transports.gateway_id_in("not json", "sid") is None
    assert transports.gateway_id_in('{"sid": 42}', "sid") == "42"
    assert transports.gateway_id_in('{"sid": true}', "sid") is None
    assert transports.gateway_id_in('{"sid": {"a": 1}}', "sid") is None
    assert transports.gateway_id_in('{"sid": ""}', "sid") is None
    unnamed = at.replace('"ATXid_7e1f0c2b9d8a4c3e"', '"None"')
    assert transports.gateway_id_in(unnamed, "SMSMessageData.Recipients.0.messageId") is None
    # A recipient refused inside a 201 answer is a failed send, retried like any.
    refused = at.replace('"statusCode": 101', '"statusCode": 403').replace(
        '"status": "Success"', '"status": "InvalidPhoneNumber"'
    )
    with pytest.raises(transports.SendFailed, match="403 InvalidPhoneNumber"):
        transports.gateway_id_in(refused, "SMSMessageData.Recipients.0.messageId")


def test_a_message_without_a_gateway_id_is_named_by_ulinzis_and_an_id_must_be_one() -> None:
    with fake_gateway() as gateway:
        gateway.answer = b'{"status": "queued"}'  # no sid in the answer
        channel, printed = add_channel(gateway.url, "twilio", "--send-user", "AC1:tok")
        first = send_one(channel, "+243991112233")
        gateway.answer = (PAYLOADS / "twilio_send_answer.json").read_bytes()
        second = send_one(channel, "+243991112244")
    assert first.gateway_id is None and second.gateway_id is not None
    path = printed["inbound_urls"]["status"].removeprefix("http://127.0.0.1:8000")
    named = Client().post(path, {"MessageSid": first.pk, "MessageStatus": "canceled"})
    assert named.json() == {"status": "ok", "message_id": first.pk, "state": "failed"}
    # The other has the gateway's id: Ulinzi's number does not name it.
    refused = Client().post(path, {"MessageSid": second.pk, "MessageStatus": "delivered"})
    assert refused.status_code == 400
    # Two messages given the same id by a confused gateway: neither is guessed.
    Message.objects.filter(pk=first.pk).update(gateway_id=second.gateway_id)
    both = Client().post(path, {"MessageSid": second.gateway_id, "MessageStatus": "delivered"})
    assert both.status_code == 400 and "more than one" in both.json()["detail"]
    second.refresh_from_db()
    assert second.status == "sent"


def test_an_unexpected_error_while_sending_is_a_failed_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever goes wrong with one message, the worker goes on with the others."""
    with fake_gateway() as gateway:
        channel = domain.create_channel(actor="test", name="ext", send_url=gateway.url)
        real = transports.send
        calls: list[int] = []

        def send(message: Message, to: str) -> str | None:
            calls.append(message.pk)
            if len(calls) == 1:
                raise UnicodeEncodeError("latin-1", "\u201d", 0, 1, "ordinal not in range")
            return real(message, to)

        monkeypatch.setattr(transports, "send", send)
        with transaction.atomic():
            for number in ("+243991112233", "+243991112244"):
                domain.queue_message(
                    domain.reporter_for_number(number), "Ujumbe", purpose="ack", channel=channel
                )
        call_command("worker", once=True, stdout=StringIO(), stderr=StringIO())
    statuses = dict(Message.objects.filter(direction="out").values_list("pk", "status"))
    assert statuses == {calls[0]: "queued", calls[1]: "sent"}
    assert "UnicodeEncodeError" in Message.objects.get(pk=calls[0]).last_error


def test_credentials_that_could_break_a_request_are_refused() -> None:
    for header, error in [
        ("X-Key: a\r\nInjected: 1", "must be one line"),
        ("Content-Type: text/plain", "is not a header name a channel may set"),
        ("Bad Header: x", "is not a header name a channel may set"),
        ("apiKey: \u201dkey\u201d", "one line of printable ASCII characters"),
        ("no colon", "write it 'Name: value'"),
    ]:
        with pytest.raises(CommandError, match=error):
            call_command(
                "channel_add",
                "gw",
                "--send-url",
                "http://127.0.0.1:9/send",
                "--send-header",
                header,
                stdout=StringIO(),
            )
    with pytest.raises(CommandError, match="USER:PASSWORD"):
        call_command(
            "channel_add",
            "gw",
            "--send-url",
            "http://x/",
            "--send-user",
            "nocolon",
            stdout=StringIO(),
        )
    assert not Channel.objects.exists()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    preset=st.sampled_from(["ext", "twilio"]),
    message_id=st.one_of(
        st.none(), st.just("0"), st.text(max_size=30), st.integers(-5, 10**20).map(str)
    ),
    word=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(sorted(domain.STATUS_WORDS))),
)
def test_no_receipt_breaks_the_status_callback(preset: str, message_id: Any, word: Any) -> None:
    channel = Channel.objects.filter(name=preset).first()
    if channel is None:
        channel, _printed = add_channel("http://127.0.0.1:9/send", preset)
        with transaction.atomic():
            sent = domain.queue_message(
                domain.reporter_for_number("+243991112233"),
                "Ujumbe",
                purpose="ack",
                channel=channel,
            )
        assert sent is not None
        Message.objects.filter(pk=sent.pk).update(status="sent", gateway_id="SM1")
    # Now and then the id of the message there is.
    mine = Message.objects.get(channel=channel, direction="out")
    if message_id == "0":
        message_id = mine.gateway_id or str(mine.pk)
    fields = {channel.field_id: message_id, channel.field_status: word}
    data = {k: v for k, v in fields.items() if v is not None}
    before = AuditEntry.objects.count()
    response = Client().post(f"/channels/ext/{channel.uuid}/status?token={channel.secret}", data)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["detail"] and AuditEntry.objects.count() == before


def test_a_recipient_refused_inside_an_accepted_request_is_retried() -> None:
    answer = (PAYLOADS / "africastalking_send_answer.json").read_text()
    refused = answer.replace('"statusCode": 101', '"statusCode": 406').replace(
        '"status": "Success"', '"status": "UserInBlacklist"'
    )
    with fake_gateway() as gateway:
        gateway.answer = refused.encode()
        channel, _printed = add_channel(gateway.url, "africastalking", "--send-header", "apiKey: k")
        message = send_one(channel, "+243815556677")
    assert message.status == "queued" and message.attempts == 1
    assert "406 UserInBlacklist" in message.last_error


def test_a_receipt_posted_before_the_worker_wrote_the_id_down_is_kept_and_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fast gateway posts the delivery receipt while the worker, holding its answer to
    the send, has not yet recorded the gateway's id: the receipt is kept (202), then
    applied when the id is written; none is lost, none applied twice."""
    channel, printed = add_channel("http://127.0.0.1:9/send", "twilio", "--send-user", "AC1:t")
    path = printed["inbound_urls"]["status"].removeprefix("http://127.0.0.1:8000")
    answers: list[Any] = []

    def gateway_answers_after_its_receipts(message: Message, number: str) -> str:
        for word in ("sent", "delivered"):
            answers.append(Client().post(path, {"MessageSid": "SM77", "MessageStatus": word}))
        return "SM77"

    monkeypatch.setattr(transports, "send", gateway_answers_after_its_receipts)
    message = send_one(channel, "+243991112233")
    assert [(a.status_code, a.json()["state"]) for a in answers] == [(202, "kept")] * 2
    assert (message.status, message.gateway_id) == ("delivered", "SM77")
    assert message.delivered_at is not None
    changes = AuditEntry.objects.filter(action="messaging.update_status", subject_id=message.pk)
    assert [e.after["status"] for e in changes.order_by("id")] == ["delivered"]
    assert not EarlyReceipt.objects.exists()
    # Now the id is known: a receipt is applied at once, and nothing is kept.
    again = Client().post(path, {"MessageSid": "SM77", "MessageStatus": "failed"})
    assert again.status_code == 200 and again.json()["state"] == "delivered"
    assert not EarlyReceipt.objects.exists()


def test_an_unknown_id_is_kept_only_while_a_send_is_in_flight_and_not_for_long() -> None:
    channel, printed = add_channel("http://127.0.0.1:9/send", "twilio", "--send-user", "AC1:t")
    path = printed["inbound_urls"]["status"].removeprefix("http://127.0.0.1:8000")

    def receipt(gateway_id: str) -> int:
        answer = Client().post(path, {"MessageSid": gateway_id, "MessageStatus": "delivered"})
        return int(answer.status_code)

    # Nothing of this channel is being sent: an id nobody gave is refused.
    assert receipt("SM1") == 400
    claimed = claim_one(channel, "+243991112233")
    assert receipt("SM2") == 202
    # Not without end: past EARLY_RECEIPTS_MAX waiting, an unknown id is refused.
    with mock.patch.object(domain, "EARLY_RECEIPTS_MAX", 1):
        assert receipt("SM2b") == 400
    assert EarlyReceipt.objects.count() == 1
    # The send failed without an answer (it may have reached the gateway): for a while
    # a receipt may still come before the retry writes the id down.
    domain.record_failure(claimed, "timed out")
    assert receipt("SM3") == 202
    Message.objects.filter(pk=claimed.pk).update(
        claimed_at=timezone.now() - domain.RECENT_ATTEMPT - timedelta(minutes=1)
    )
    assert receipt("SM4") == 400
    # The worker drops those kept a day whose id never came.
    EarlyReceipt.objects.filter(gateway_id="SM2").update(
        received_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    call_command("worker", once=True, stdout=StringIO(), stderr=StringIO())
    assert sorted(EarlyReceipt.objects.values_list("gateway_id", flat=True)) == ["SM3"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_db")
def test_a_receipt_racing_the_worker_that_writes_its_id_is_applied_once() -> None:
    """The worker writes the id down and commits between the receipt's first look and its
    look at what is in flight (the only send): the receipt is applied, not refused. On
    SQLite write transactions take turns, so this cannot happen there."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: writers are serialised by the database itself")
    channel, printed = add_channel("http://127.0.0.1:9/send", "twilio", "--send-user", "AC1:t")
    path = printed["inbound_urls"]["status"].removeprefix("http://127.0.0.1:8000")
    claimed = claim_one(channel, "+243991112233")
    raced: list[bool] = []

    def worker_commits_first() -> None:
        """Once, at the webhook's first step after its look-up found no such id."""
        if raced:
            return
        raced.append(True)

        def record() -> None:
            try:
                domain.record_sent(claimed, "SM9")
            finally:
                connection.close()

        worker = threading.Thread(target=record)
        worker.start()
        worker.join(10)

    lock, in_flight = Channel.objects.select_for_update, domain._in_flight

    def locking(*args: Any, **kwargs: Any) -> Any:
        worker_commits_first()
        return lock(*args, **kwargs)

    def looking(channel: Channel) -> bool:
        worker_commits_first()
        return in_flight(channel)

    with (
        mock.patch.object(Channel.objects, "select_for_update", locking),
        mock.patch.object(domain, "_in_flight", looking),
    ):
        answer = Client().post(path, {"MessageSid": "SM9", "MessageStatus": "delivered"})
    claimed.refresh_from_db()
    assert raced and answer.status_code in (200, 202), answer.content
    assert (claimed.status, claimed.gateway_id) == ("delivered", "SM9")
    assert not EarlyReceipt.objects.exists()
