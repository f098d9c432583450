"""Every change to reporters, channels and messages.

Only this module (and the worker it drives) talks to gateways, and never inside a
request or a transaction: a message to send is an outbox row; ``ulinzi worker`` sends it.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import socket
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.dispatch import Signal
from django.utils import timezone

from ulinzi.audit import domain as audit
from ulinzi.lib.crypto import blind_index, pseudonym
from ulinzi.lib.phone import InvalidPhoneNumber, normalise
from ulinzi.lib.sms import sms_count, spelled_to_fit
from ulinzi.lib.text import digits_only, record_id
from ulinzi.messaging.models import (
    PHONE_FIELD,
    Channel,
    EarlyReceipt,
    Message,
    Reporter,
    cipher,
)

# Sent by the worker inside the transaction that marks an inbound message processed, so
# that what the message causes (a report, an acknowledgement) is written with the mark or
# not at all, and a crash leaves the message waiting rather than half-handled.
# Arguments: message (Message), created (bool).
message_received = Signal()

# Sent by the worker before it takes the next inbound message, outside any transaction:
# listeners may prepare work that reads but writes nothing (understanding the text), so
# that the transaction that follows, which on SQLite holds the only write lock, is short.
# Arguments: message (Message, with its channel and reporter; not locked).
inbound_waiting = Signal()

# Sent inside the transaction of a missed call ("beep") from a reporter.
# Arguments: reporter (Reporter), channel (Channel).
missed_call = Signal()

MAX_TEXT = 2000  # characters; longer texts are refused, not cut
DUPLICATE_WINDOW = timedelta(minutes=10)
#: Outbound purposes that ask the reporter something: the same answer after a new
#: question is not a copy of the last one.
QUESTION_PURPOSES = ("clarification",)
#: Texts of at most this many words are answers or keywords (see _reporter_and_copy).
SHORT_REPLY_WORDS = 2
# A reporter's last_seen_at is kept to the minute (silence is counted in days): a
# sender of several messages a minute costs one write, not one per message.
LAST_SEEN_STEP = timedelta(minutes=1)
FUTURE_TOLERANCE = timedelta(minutes=10)
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 3600
# A send gives up after 15 s; a claim untouched for a minute belongs to a dead worker.
STALE_CLAIM = timedelta(minutes=1)
STALE_SWEEP = 10.0  # seconds between the worker's two looks for stale claims


class MessageRefused(ValueError):
    """Bad input at the edge: the message is not stored; the reason says why."""


class RevealRefused(PermissionError):
    pass


def find_reporter(number: str) -> Reporter | None:
    return Reporter.objects.filter(
        phone_index=blind_index(settings.BLIND_INDEX_KEY, normalise(number))
    ).first()


def reporter_for_number(raw: str) -> Reporter:
    """The reporter with this number, created (encrypted, pseudonymised) if new.

    Must run in a transaction; the row is locked so that one sender's messages are
    handled one at a time even on PostgreSQL. The lock (FOR NO KEY UPDATE, as every
    lock on a reporter or a channel here) excludes other locks on the row, not the
    foreign-key checks of rows that refer to it (KEY SHARE): the webhook never waits
    for a worker's transaction that queues an answer to this sender or on this
    channel, and the worker never waits for the webhook.
    """
    number = normalise(raw)
    index = blind_index(settings.BLIND_INDEX_KEY, number)
    reporter = Reporter.objects.select_for_update(no_key=True).filter(phone_index=index).first()
    return reporter if reporter is not None else _new_reporter(number, index)


def _new_reporter(number: str, index: str) -> Reporter:
    """Create the reporter of a number not seen before (the caller looked, under lock)."""
    try:
        with transaction.atomic():
            return Reporter.objects.create(
                phone_cipher=cipher().encrypt(number, PHONE_FIELD),
                phone_index=index,
                pseudonym=pseudonym(settings.BLIND_INDEX_KEY, number),
            )
    except IntegrityError:  # created by a concurrent request a moment ago
        return Reporter.objects.select_for_update(no_key=True).get(phone_index=index)


def _clean_text(text: Any, what: str = "text") -> str:
    if not isinstance(text, str):
        raise MessageRefused(f"{what} is missing")
    if "\x00" in text:
        raise MessageRefused(f"{what} contains a NUL character")
    text = text.strip()
    if not text:
        raise MessageRefused(f"{what} is empty")
    if len(text) > MAX_TEXT:
        raise MessageRefused(f"{what} is longer than {MAX_TEXT} characters")
    return text


def _parse_gateway_date(value: str | None) -> datetime | None:
    if not value:
        return None
    from django.utils.dateparse import parse_datetime

    try:
        parsed = parse_datetime(value.strip().replace(" ", "T", 1))
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, UTC)
            if parsed.astimezone(UTC).year < 2000:
                raise ValueError("too old")
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise MessageRefused(f"date {value[:40]!r} is not an ISO 8601 date and time after 2000")
    if parsed > timezone.now() + FUTURE_TOLERANCE:
        raise MessageRefused(f"date {value!r} is in the future")
    return parsed


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool


def receive_message(
    channel: Channel,
    *,
    sender: Any,
    text: Any,
    gateway_id: Any = None,
    date: Any = None,
) -> Received:
    """Store an inbound message once, however many times the gateway sends it.

    A retry is recognised by the gateway's id, or by the same sender and text within
    ten minutes (for a word or two, only when they sent nothing else and were asked
    nothing since: STOP, START, STOP is three messages; so is "1" to a question, then
    "1" to the next). Side effects: the reporter is created if new. The gateway gets its
    answer at once: the worker then processes the message (``process_inbound``) and
    writes its audit entry, so a slow step never makes a gateway time out and resend.
    """
    if not isinstance(sender, str):
        raise MessageRefused("from (the sender's number) is missing")
    try:
        number = normalise(sender)
    except InvalidPhoneNumber as exc:
        raise MessageRefused(f"from: {exc}") from exc
    body = _clean_text(text)
    gid = None
    if gateway_id not in (None, ""):
        gid = str(gateway_id).strip()[:100]
        if "\x00" in gid:
            raise MessageRefused("id contains a NUL character")
    sent_at = _parse_gateway_date(date if isinstance(date, str) else None)
    try:
        with transaction.atomic():
            reporter, copy = _reporter_and_copy(number, channel, body)
            if copy is not None:
                return Received(Message.objects.get(pk=copy), created=False)
            message = Message.objects.create(
                channel=channel,
                direction=Message.Direction.IN,
                reporter=reporter,
                text=body,
                status=Message.Status.RECEIVED,
                gateway_id=gid,
                gateway_date=sent_at,
            )
            in_contact(reporter)
    except IntegrityError:
        # The same gateway id: a retry (with another text, or after DUPLICATE_WINDOW), or
        # a copy committed by a concurrent request after the look-up. Rare, so the insert
        # has no savepoint of its own: the whole transaction is undone and nothing written.
        if gid is None:
            raise
        stored = Message.objects.filter(channel=channel, direction="in", gateway_id=gid).first()
        if stored is None:
            raise
        return Received(stored, created=False)
    return Received(message, created=True)


def process_inbound(limit: int = 1000, within_s: float | None = None) -> int:
    """Process waiting inbound messages, oldest first (at most ``limit``, and no more
    once ``within_s`` seconds have passed); how many were done. The waiting messages,
    their channels and senders are read once for up to 50 (for a few at first when time
    is bounded: such a round often ends after two or three)."""
    done = 0
    stop_at = None if within_s is None else time.monotonic() + within_s
    read = 50 if stop_at is None else 5
    while done < limit:
        before = done
        for message in _waiting(min(read, limit - done)):
            # Another worker may have taken some of them meanwhile: they are skipped.
            done += _process(message) is not None
            if stop_at is not None and time.monotonic() >= stop_at:
                return done
        if done == before:  # none waiting, or all in other workers' hands
            break
        read = min(50, read * 2)
    return done


def arriving(within_s: float) -> bool:
    """Whether an inbound message was stored within the last ``within_s`` seconds."""
    since = timezone.now() - timedelta(seconds=within_s)
    return Message.objects.filter(direction=Message.Direction.IN, created_at__gte=since).exists()


def _waiting(n: int) -> list[Message]:
    """The ``n`` oldest inbound messages not yet processed, with channel and sender (and
    the sender's community's place, without its outline)."""
    return list(
        Message.objects.filter(direction=Message.Direction.IN, processed_at__isnull=True)
        .select_related("channel", "reporter__community__place")
        .defer("reporter__community__place__geometry", "reporter__community__place__details")
        .order_by("id")[:n]
    )


def _process(message: Message) -> Message | None:
    """Process one waiting inbound message, exactly once.

    ``inbound_waiting`` is sent first, outside any transaction (the work that needs no
    lock is done there). Then the message is locked (other workers skip it on
    PostgreSQL; SQLite serialises writers), ``message_received`` is sent, and the
    message is marked processed, all in one transaction: if anything fails the message
    stays waiting for the next try. None when another worker had it first."""
    if not connection.in_atomic_block:
        inbound_waiting.send(sender=Message, message=message)
    with transaction.atomic():
        # The sender as stored now: the batch's copy may predate an earlier STOP of theirs.
        mine = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=message.pk, processed_at__isnull=True)
            .select_related("reporter")
            .only("pk", "reporter")
            .first()
        )
        if mine is None:
            return None
        message.reporter = mine.reporter
        _audit_received(message)
        message_received.send(sender=Message, message=message, created=True)
        Message.objects.filter(pk=message.pk).update(processed_at=timezone.now())
    return message


def _audit_received(message: Message) -> None:
    """The audit entry of a received SMS, written when the worker takes it (the webhook
    only stores the message, to answer the gateway at once; the message keeps the time
    it came)."""
    pseudonym = message.reporter.pseudonym if message.reporter else ""
    audit.record(
        message.channel.name,
        "messaging.receive_message",
        message,
        subject_label=f"SMS from {pseudonym}",
        after={
            "reporter": pseudonym,
            "channel": message.channel.name,
            "chars": len(message.text),
            "received_at": message.created_at.isoformat() if message.created_at else None,
        },
    )


def receive_missed_call(channel: Channel, *, sender: Any) -> Reporter:
    """A "beep" to the hotline: the reporter is known or created, and whoever listens
    to ``missed_call`` (the alert network) makes a call-back task."""
    if not isinstance(sender, str):
        raise MessageRefused("from (the caller's number) is missing")
    try:
        number = normalise(sender)
    except InvalidPhoneNumber as exc:
        raise MessageRefused(f"from: {exc}") from exc
    with transaction.atomic():
        reporter = reporter_for_number(number)
        in_contact(reporter)
        missed_call.send(sender=Reporter, reporter=reporter, channel=channel)
    return reporter


def _reporter_and_copy(number: str, channel: Channel, text: str) -> tuple[Reporter, int | None]:
    """The sender (locked, created if new) and the id of the copy of this text they sent
    within DUPLICATE_WINDOW, if there is one, in one query. A copy with the same gateway
    id is found by the insert that follows, which the database refuses.

    Every SMS the webhook takes asks this, so it is written in SQL: built by the ORM
    (a subquery and, for short texts, an EXISTS) the query cost more than the rest of
    the request's database work together."""
    index = blind_index(settings.BLIND_INDEX_KEY, number)
    since = connection.ops.adapt_datetimefield_value(timezone.now() - DUPLICATE_WINDOW)
    messages, reporters = Message._meta.db_table, Reporter._meta.db_table
    said_since, params = "", [channel.pk, Message.Direction.IN, text, since]
    if len(text.split()) <= SHORT_REPLY_WORDS:
        # A word or two said again (STOP, START, STOP; "1" to one question, then "1" to
        # the next) is a copy only if nothing else was said or asked since. A report is
        # a copy within the window whatever came after: the question it was asked is
        # what a gateway's retry follows.
        asked = ", ".join(["%s"] * len(QUESTION_PURPOSES))
        said_since = (
            f" AND NOT EXISTS (SELECT 1 FROM {messages} s"  # noqa: S608 (names, not values)
            " WHERE s.reporter_id = m.reporter_id"
            f" AND s.created_at > m.created_at AND (s.direction = %s OR s.purpose IN ({asked})))"
        )
        params += [Message.Direction.IN, *QUESTION_PURPOSES]
    lock = " FOR NO KEY UPDATE OF r" if connection.features.has_select_for_no_key_update else ""
    sql = (
        f"SELECT r.*, (SELECT m.id FROM {messages} m"  # noqa: S608 (names, not values)
        " WHERE m.reporter_id = r.id"
        " AND m.channel_id = %s AND m.direction = %s AND m.text = %s AND m.created_at >= %s"
        f"{said_since} ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS copy_id"
        f" FROM {reporters} r WHERE r.phone_index = %s{lock}"
    )
    known = next(iter(Reporter.objects.raw(sql, [*params, index])), None)
    if known is not None:
        return known, known.copy_id
    return _new_reporter(number, index), None  # new: no copy can exist


def in_contact(reporter: Reporter) -> None:
    """The mission was in touch with the reporter (an SMS, a missed call, a hotline call,
    a call-back, a request taken down): their number is still in use. Written at most
    once per LAST_SEEN_STEP."""
    now = timezone.now()
    if reporter.last_seen_at is None or now - reporter.last_seen_at >= LAST_SEEN_STEP:
        Reporter.objects.filter(pk=reporter.pk).update(last_seen_at=now)
        reporter.last_seen_at = now


def default_channel() -> Channel | None:
    return Channel.objects.filter(active=True).order_by("id").first()


def queue_message(
    reporter: Reporter,
    text: str,
    *,
    purpose: str,
    channel: Channel | None = None,
    actor: Any = None,
) -> Message | None:
    """Put a message to ``reporter`` in the outbox, in the caller's transaction.

    A reporter who opted out gets nothing: the row is kept as ``suppressed`` so the
    record shows what was not sent. Returns None when no channel exists at all.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("queue_message() must run inside the transaction of the change")
    channel = channel or default_channel()
    if channel is None:
        return None
    text = spelled_to_fit(_clean_text(text))  # one SMS, not two, for want of an "ê"
    suppressed = reporter.opted_out_at is not None
    message = Message.objects.create(
        channel=channel,
        direction=Message.Direction.OUT,
        reporter=reporter,
        text=text,
        purpose=purpose,
        parts=sms_count(text),
        status=Message.Status.SUPPRESSED if suppressed else Message.Status.QUEUED,
        next_attempt_at=None if suppressed else timezone.now(),
    )
    audit.record(
        actor or "system",
        "messaging.queue_message",
        message,
        subject_label=f"SMS to {reporter.pseudonym}",
        after={"purpose": purpose, "status": message.status, "parts": message.parts},
    )
    return message


def queue_many(
    messages: Sequence[tuple[int, bool, str]],
    *,
    purpose: str,
    channel: Channel | None = None,
    send_at: datetime | None = None,
    actor: Any = None,
) -> dict[str, int]:
    """Put many messages in the outbox at once (a broadcast), in the caller's transaction:
    ``(reporter id, opted out, text)`` each. Opted-out reporters get a ``suppressed`` row
    and nothing is sent. ``send_at``: not before this time. One audit entry for all."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("queue_many() must run inside the transaction of the change")
    channel = channel or default_channel()
    if channel is None:
        return {"queued": 0, "suppressed": 0}
    due = send_at or timezone.now()
    now = timezone.now()
    counts = {"queued": 0, "suppressed": 0}
    # One prepared INSERT run over all rows: the values that are the same for every row
    # are converted for the database once, not once per model instance (a broadcast to
    # 20,000 people is 20,000 rows).
    names = [
        "channel", "direction", "reporter", "text", "purpose", "parts", "status",
        "next_attempt_at", "idempotency_key", "created_at", "attempts", "last_error",
        "claimed_by",
    ]  # fmt: skip
    fields = [Message._meta.get_field(name) for name in names]
    prep = {f.name: f for f in fields}

    def db(name: str, value: Any) -> Any:
        return prep[name].get_db_prep_save(value, connection)

    queued, suppressed = (
        db("status", Message.Status.QUEUED),
        db("status", Message.Status.SUPPRESSED),
    )
    fixed = (db("channel", channel.pk), db("direction", Message.Direction.OUT))
    due_db, now_db = db("next_attempt_at", due), db("created_at", now)
    texts: dict[str, tuple[Any, Any]] = {}
    rows = []
    for reporter_id, opted_out, raw in messages:
        if raw not in texts:
            clean = spelled_to_fit(_clean_text(raw))
            texts[raw] = (db("text", clean), sms_count(clean))
        text, count = texts[raw]
        counts["suppressed" if opted_out else "queued"] += 1
        rows.append(
            (
                *fixed,
                reporter_id,
                text,
                purpose,
                count,
                suppressed if opted_out else queued,
                None if opted_out else due_db,
                db("idempotency_key", uuid.uuid4()),
                now_db,
                0,
                "",
                "",
            )
        )
    quote = connection.ops.quote_name
    # Table and column names come from the model, quoted; every value is a parameter.
    table = quote(Message._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
    if len(messages) >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # A large insert leaves PostgreSQL's statistics stale until autovacuum runs:
        # the worker's claims would plan as if the outbox were empty (about 9 times
        # slower with 100,000 waiting). Refresh them once the rows are committed.
        transaction.on_commit(_analyze_outbox)
    audit.record(
        actor or "system",
        "messaging.queue_many",
        subject_type="messaging.message",
        subject_label=purpose,
        after={**counts, "purpose": purpose, "send_at": due.isoformat()},
    )
    return counts


ANALYZE_AFTER = 1000


def _analyze_outbox() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")


def set_opt_out(reporter: Reporter, *, opted_out: bool, source: str) -> None:
    """Honour STOP (or START) from the reporter or the gateway, everywhere. The state is
    read under a lock: a STOP from one who has already stopped keeps the time of the
    first (and is not audited again), and the caller's copy of the reporter follows."""
    with transaction.atomic():
        stored = (
            Reporter.objects.select_for_update(no_key=True).only("opted_out_at").get(pk=reporter.pk)
        )
        before = stored.opted_out_at
        if (before is not None) == opted_out:
            reporter.opted_out_at = before
            return
        reporter.opted_out_at = timezone.now() if opted_out else None
        Reporter.objects.filter(pk=reporter.pk).update(opted_out_at=reporter.opted_out_at)
        if opted_out:
            Message.objects.filter(
                reporter=reporter, direction="out", status=Message.Status.QUEUED
            ).update(status=Message.Status.SUPPRESSED)
        audit.record(
            source,
            "messaging.opt_out" if opted_out else "messaging.opt_in",
            reporter,
            before={"opted_out": before is not None},
            after={"opted_out": opted_out},
        )


#: What gateways say of a message in a status callback (``/status``), as Ulinzi's
#: receipts: Twilio's MessageStatus, Africa's Talking's delivery report status, and
#: the contract's own words. "pending" changes nothing (still on its way).
STATUS_WORDS = {
    "queued": "pending",
    "accepted": "pending",
    "scheduled": "pending",
    "sending": "pending",
    "sent": "sent",
    "submitted": "sent",
    "buffered": "sent",
    "delivered": "delivered",
    "success": "delivered",
    "read": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "rejected": "failed",
    "canceled": "failed",
}


def status_of(word: Any) -> str:
    """The receipt a gateway's status word means (see ``STATUS_WORDS``)."""
    if not isinstance(word, str) or not word.strip():
        raise MessageRefused("the status is missing")
    found = STATUS_WORDS.get(word.strip().casefold())
    if found is None:
        raise MessageRefused(
            f"status {word.strip()[:40]!r} is unknown: use one of {', '.join(STATUS_WORDS)}"
        )
    return found


def update_status(channel: Channel, message_id: Any, status: str) -> Message | None:
    """A gateway's status callback (sent, delivered, failed; pending changes nothing) for
    one of our messages: named by the gateway's own id when the channel keeps it
    (``Channel.send_id_path``), else by Ulinzi's.

    None when the gateway's id is not known yet but a send of the channel is in flight:
    the gateway answered the worker and posted the receipt before the worker wrote the
    id down. The receipt is kept and applied when it does (``record_sent``)."""
    given = str(message_id).strip() if isinstance(message_id, str | int) else ""
    if not given or "\x00" in given:
        raise MessageRefused("id (the message's id) is missing")
    ours = record_id(given)
    if not channel.send_id_path and ours is None:
        raise MessageRefused("id must be the number of a message Ulinzi sent")
    mine = Message.objects.filter(channel=channel, direction=Message.Direction.OUT)
    with transaction.atomic():
        found = []
        if channel.send_id_path:
            found = list(mine.filter(gateway_id=given[:100]).select_for_update()[:2])
        if not found and ours is not None:
            # Ulinzi's own number: a channel without gateway ids, or (on one with them) a
            # message whose send got no id back.
            numbered = mine.filter(pk=ours)
            if channel.send_id_path:
                numbered = numbered.filter(gateway_id=None)
            found = list(numbered.select_for_update())
        if not found and channel.send_id_path:
            # Looked at again under the channel's lock, which the worker takes to look for
            # kept receipts once it has written an id down: either it sees this receipt,
            # or this sees the id (written a moment ago, by a send no longer in flight).
            Channel.objects.select_for_update(no_key=True).filter(pk=channel.pk).exists()
            found = list(mine.filter(gateway_id=given[:100]).select_for_update()[:2])
            if not found and _in_flight(channel):
                _keep_receipt(channel, given[:100], status)
                return None
        if len(found) != 1:
            what = "no outbound message" if not found else "more than one outbound message has"
            raise MessageRefused(f"{what} {given[:40]!r} on this channel")
        _apply_receipt(found[0], status, channel.name)
    return found[0]


def _apply_receipt(message: Message, status: str, actor: str) -> None:
    """What a receipt changes, in the caller's transaction, with ``message`` locked."""
    before = message.status
    if message.status in (Message.Status.SUPPRESSED, Message.Status.DEAD):
        return  # never sent by us: a late or forged receipt changes nothing
    if status == "delivered":
        message.status, message.delivered_at = Message.Status.DELIVERED, timezone.now()
    elif status == "sent" and message.status in (Message.Status.QUEUED, Message.Status.SENDING):
        message.status, message.sent_at = Message.Status.SENT, message.sent_at or timezone.now()
    elif status == "failed" and message.status != Message.Status.DELIVERED:
        message.status = Message.Status.FAILED
    message.save(update_fields=["status", "sent_at", "delivered_at"])
    if message.status != before:
        audit.record(
            actor,
            "messaging.update_status",
            message,
            before={"status": before},
            after={"status": message.status},
        )


#: How long a receipt naming an id not yet written down is kept.
EARLY_RECEIPT_KEPT = timedelta(days=1)


#: A send tried this recently and to be tried again may have reached the gateway.
RECENT_ATTEMPT = timedelta(minutes=15)


def _in_flight(channel: Channel) -> bool:
    """A message of the channel is being sent, or was a moment ago and may have reached
    the gateway (its answer lost: the retry, with the same idempotency key, gets the same
    id from a gateway that honours the key)."""
    recent = timezone.now() - RECENT_ATTEMPT
    return (
        Message.objects.filter(channel=channel, direction=Message.Direction.OUT)
        .filter(
            Q(status=Message.Status.SENDING)
            | Q(status=Message.Status.QUEUED, attempts__gt=0, claimed_at__gte=recent)
        )
        .exists()
    )


#: At most this many receipts of a channel wait for their ids: a gateway (or anyone
#: holding the channel's secret) posting unknown ids cannot fill the database.
EARLY_RECEIPTS_MAX = 1000


def _keep_receipt(channel: Channel, gateway_id: str, status: str) -> None:
    """Keep a receipt until its message's id is written down (see drop_old_receipts)."""
    if EarlyReceipt.objects.filter(channel=channel).count() >= EARLY_RECEIPTS_MAX:
        raise MessageRefused(
            f"no outbound message {gateway_id[:40]!r} on this channel, and "
            f"{EARLY_RECEIPTS_MAX} receipts already wait for ids not yet known"
        )
    EarlyReceipt.objects.create(channel=channel, gateway_id=gateway_id, status=status)


def drop_old_receipts() -> int:
    """Drop the receipts kept longer than EARLY_RECEIPT_KEPT: the id they named never
    came. The worker calls it every STALE_SWEEP seconds; it writes only when there are
    some. How many."""
    old = EarlyReceipt.objects.filter(received_at__lt=timezone.now() - EARLY_RECEIPT_KEPT)
    return old.delete()[0] if old.exists() else 0


def reveal_phone(*, actor: Any, reporter: Reporter, reason: str) -> str:
    """The reporter's number in clear, for a call-back. Only roles that call back may;
    every reveal is in the audit log, with its reason."""
    if not actor.can("reporter.reveal_phone"):
        raise RevealRefused("your role may not see reporters' numbers")
    if is_erased(reporter):
        raise RevealRefused("this reporter's number was erased under the retention policy")
    reason = (reason or "").strip()
    if not reason:
        raise RevealRefused("say why you need the number (for example: call-back)")
    with transaction.atomic():
        audit.record(actor, "messaging.reveal_phone", reporter, after={"reason": reason[:200]})
    return reporter.phone()


HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,60}")
HEADER_VALUE = re.compile(r"[\x20-\x7e]{0,2000}")
# Set by Ulinzi on every outbound request: a channel's headers may not replace them.
OWN_HEADERS = frozenset({"content-type", "idempotency-key", "user-agent", "content-length", "host"})


def create_channel(
    *,
    actor: Any,
    name: str,
    send_url: str,
    address: str = "",
    auth: str = Channel.Auth.URL_TOKEN,
    fields: dict[str, str] | None = None,
    send_method: str = "POST",
    send_body: str | None = None,
    send_content_type: str | None = None,
    rate_per_minute: int = 60,
    send_headers: dict[str, str] | None = None,
    send_id_path: str = "",
) -> Channel:
    """A new channel with its own random secret. ``send_headers``: the gateway's
    credentials, sent with every outbound request; ``send_id_path``: where the gateway's
    answer gives its id for a message (see ``Channel``)."""
    if not (send_url.startswith(("http://", "https://")) or send_url == "console:"):
        raise ValueError("send URL must start with http:// or https://, or be console:")
    headers = dict(send_headers or {})
    for header, value in headers.items():
        if not HEADER_NAME.fullmatch(header) or header.casefold() in OWN_HEADERS:
            raise ValueError(f"{header[:40]!r} is not a header name a channel may set")
        # Printable ASCII only: a pasted key with a curly quote or a no-break space
        # could not be sent at all, and a line break would add headers of its own.
        if not isinstance(value, str) or not HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"the value of header {header} must be one line of printable ASCII characters"
            )
    with transaction.atomic():
        channel = Channel(
            name=name,
            address=address,
            auth=auth,
            secret=secrets.token_urlsafe(24),
            send_url=send_url,
            send_method=send_method.upper(),
            rate_per_minute=rate_per_minute,
            send_id_path=send_id_path,
        )
        channel.set_send_headers(headers)
        for key, value in (fields or {}).items():
            setattr(channel, f"field_{key}", value)
        if send_body is not None:
            channel.send_body = send_body
        if send_content_type is not None:
            channel.send_content_type = send_content_type
        channel.full_clean()
        channel.save()
        audit.record(
            actor,
            "messaging.create_channel",
            channel,
            after={"name": name, "auth": auth, "send_headers": sorted(headers)},
        )
    return channel


# --- The worker's side of the outbox ---------------------------------------------


def worker_identity(pid: int | None = None) -> str:
    """``host:pid:start`` of a process (this one by default): the start time (in clock
    ticks since boot, from /proc where there is one) tells a live process from a new
    one that was given a dead one's pid."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def _process_start(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # Field 22, counted after the command name (which may hold spaces).
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _alive(identity: str) -> bool:
    host, _, rest = identity.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not digits_only(pid_text):
        return True  # another machine's worker: only its stale-claim delay can tell
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, under another user
    return _process_start(pid) == start


def release_stale_claims() -> int:
    """Give back the messages claimed more than STALE_CLAIM ago and still not sent (a
    worker that died mid-send, on any machine). The worker calls it when it starts and
    then every STALE_SWEEP seconds, not on every claim: it is a write. How many."""
    now = timezone.now()
    return Message.objects.filter(
        status=Message.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=Message.Status.QUEUED, next_attempt_at=now)


def release_dead_claims() -> int:
    """Give back the messages that workers of this machine claimed and did not finish
    before they died (a crash, a SIGKILL): they are queued again at once, with the same
    idempotency key, instead of waiting for STALE_CLAIM. How many were given back."""
    owners = set(
        Message.objects.filter(status=Message.Status.SENDING)
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [owner for owner in owners if not _alive(owner)]
    if not dead:
        return 0
    return Message.objects.filter(status=Message.Status.SENDING, claimed_by__in=dead).update(
        status=Message.Status.QUEUED, next_attempt_at=timezone.now()
    )


class Claimer:
    """Claims due messages for one worker, one at a time, so that two workers never send
    the same message: each claim is a conditional UPDATE that must change exactly one row.

    The list of due messages, and each channel's claims of the last minute (its rate
    limit), are read once for up to ``BATCH`` claims, not for every claim. Every query
    reads an index, so a claim costs the same with 100 or 100,000 messages waiting: the
    due ones are found on (status, next_attempt_at), a channel's claims on (channel,
    claimed_at), and a reporter who opted out after the message was queued is caught by
    the claim itself."""

    BATCH = 20

    def __init__(self, channel_rates: dict[int, int] | None = None, owner: str = "") -> None:
        self.rates = channel_rates
        self.owner = owner
        self.due: deque[Message] = deque()  # oldest due first
        self.left: dict[int, int] = {}  # channel -> claims left within its rate

    def claim(self) -> Message | None:
        """Claim the next due message, or None when none is due (or its channel is at its
        rate)."""
        fresh = False
        while True:
            while self.due:
                message = self.due.popleft()
                if self.rates is not None and self.left[message.channel_id] <= 0:
                    continue
                if self._take(message):
                    if self.rates is not None:
                        self.left[message.channel_id] -= 1
                    return message
            if fresh:
                return None
            self._read_due()
            fresh = True

    def _read_due(self) -> None:
        now = timezone.now()
        waiting = Message.objects.filter(
            direction=Message.Direction.OUT, status=Message.Status.QUEUED, channel__active=True
        ).select_related("channel", "reporter")
        # Two queries rather than one with OR, so that each can use the index.
        due = list(waiting.filter(next_attempt_at__isnull=True)[: self.BATCH])
        if len(due) < self.BATCH:
            due += list(
                waiting.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id")[
                    : self.BATCH - len(due)
                ]
            )
        self.due = deque(due)
        if self.rates is not None:
            self.left = {c: _rate_left(c, self.rates) for c in {m.channel_id for m in due}}

    def _take(self, message: Message) -> bool:
        """Claim a message read with the due list. The claim also requires its attempts
        to be as read, so that the copy in hand is the row claimed (a message another
        worker tried meanwhile is left for the next read)."""
        now = timezone.now()
        claimed = Message.objects.filter(
            pk=message.pk,
            status=Message.Status.QUEUED,
            attempts=message.attempts,
            reporter__opted_out_at__isnull=True,
        ).update(
            status=Message.Status.SENDING,
            claimed_at=now,
            claimed_by=self.owner,
            attempts=F("attempts") + 1,
        )
        if claimed == 1:
            message.status, message.claimed_at = Message.Status.SENDING, now
            message.claimed_by = self.owner
            message.attempts += 1
            return True
        # Not claimed: another worker took it, or its reporter has opted out since.
        Message.objects.filter(
            pk=message.pk, status=Message.Status.QUEUED, reporter__opted_out_at__isnull=False
        ).update(status=Message.Status.SUPPRESSED)
        return False


def claim_next(channel_rates: dict[int, int] | None = None, owner: str = "") -> Message | None:
    """Claim one due message (see :class:`Claimer`)."""
    return Claimer(channel_rates, owner).claim()


def _rate_left(channel_id: int, rates: dict[int, int]) -> int:
    """Claims the channel may still make within its rate per minute."""
    since = timezone.now() - timedelta(minutes=1)
    rate = rates.get(channel_id, 60)
    # Counting stops at the rate: whether there were 60 claims or 6,000 changes nothing.
    sent = Message.objects.filter(channel_id=channel_id, direction="out", claimed_at__gte=since)[
        :rate
    ].count()
    return rate - sent


def record_sent(message: Message, gateway_id: str | None = None) -> None:
    """The gateway took the message (and gave it ``gateway_id``, which its status
    callbacks will name)."""
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.SENT, sent_at=timezone.now(), last_error="", gateway_id=gateway_id
        )
        if updated:
            audit.record("worker", "messaging.sent", message, after={"attempts": message.attempts})
        if updated and gateway_id:
            _apply_early_receipts(message, gateway_id)


def _apply_early_receipts(message: Message, gateway_id: str) -> None:
    """The receipts the gateway posted for ``gateway_id`` before it was written down, in
    the order they came (in the caller's transaction)."""
    Channel.objects.select_for_update(no_key=True).filter(pk=message.channel_id).exists()
    early = list(
        EarlyReceipt.objects.filter(channel_id=message.channel_id, gateway_id=gateway_id[:100])
        .select_related("channel")
        .order_by("id")
    )
    if not early:
        return
    locked = Message.objects.select_for_update().get(pk=message.pk)
    for receipt in early:
        _apply_receipt(locked, receipt.status, receipt.channel.name)
    EarlyReceipt.objects.filter(pk__in=[r.pk for r in early]).delete()


def record_failure(message: Message, error: str) -> str:
    """Retry later with exponential backoff and jitter, or give up (``dead``)."""
    attempts = message.attempts
    if attempts >= message.channel.max_attempts:
        status, next_at = Message.Status.DEAD, None
    else:
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
        delay = delay * (0.5 + random.random())  # noqa: S311 (jitter, not security)
        status, next_at = Message.Status.QUEUED, timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=status, next_attempt_at=next_at, last_error=error[:300]
        )
        if status == Message.Status.DEAD:
            audit.record(
                "worker",
                "messaging.dead",
                message,
                after={"attempts": attempts, "error": error[:200]},
            )
    return status


# --- Retention (``ulinzi purge``) -------------------------------------------------

#: How an erased reporter's blind index starts: unique, and no number's HMAC.
ERASED = "erased:"


def is_erased(reporter: Reporter) -> bool:
    return reporter.phone_index.startswith(ERASED)


def erase_numbers(before: datetime, *, keep: Sequence[int] = (), dry_run: bool = False) -> int:
    """Erase the numbers of the reporters the mission has not been in touch with since
    ``before`` (their last SMS, missed call, hotline call or call-back, else when they
    were registered), except ``keep`` (the active focal
    points, who receive what the mission broadcasts); the messages still waiting to be
    sent to them are not sent. Their pseudonyms and reports stay; a new SMS from the
    number makes a new reporter; nothing more is sent to them (they count as opted out).
    How many were (or, ``dry_run``, would be) erased."""
    out_of_touch = Q(last_seen_at__lt=before) | Q(last_seen_at__isnull=True, created_at__lt=before)
    stale = (
        Reporter.objects.filter(out_of_touch)
        .exclude(phone_index__startswith=ERASED)
        .exclude(pk__in=list(keep))
    )
    ids = list(stale.values_list("pk", flat=True))
    if dry_run or not ids:
        return len(ids)
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            Message.objects.filter(
                reporter_id__in=batch,
                direction=Message.Direction.OUT,
                status__in=[Message.Status.QUEUED, Message.Status.SENDING, Message.Status.FAILED],
            ).update(status=Message.Status.SUPPRESSED, last_error="the number was erased")
            # Nothing can be sent to them any more: to every sender, they have opted out.
            # (Checked again: one who wrote a moment ago keeps their number.)
            Reporter.objects.filter(out_of_touch, pk__in=batch).update(
                phone_cipher=b"",
                phone_index=Concat(Value(ERASED), Cast("pk", CharField())),
                opted_out_at=Coalesce("opted_out_at", Value(timezone.now())),
            )
    return len(ids)


def erase_texts(before: datetime, *, dry_run: bool = False) -> int:
    """Empty the text of the SMS, in and out, stored before ``before`` and done with
    (processed, or sent, delivered, failed for good or not sent): how many."""
    old = (
        Message.objects.filter(created_at__lt=before)
        .exclude(text="")
        .exclude(direction=Message.Direction.IN, processed_at__isnull=True)
        .exclude(status__in=[Message.Status.QUEUED, Message.Status.SENDING])
    )
    if dry_run:
        return old.count()
    with transaction.atomic():
        return old.update(text="", last_error="")
