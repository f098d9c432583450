"""Reporters, SMS channels and messages (the inbox and the outbox).

An outbound message is a row written in the same transaction as the change that
caused it; the worker (``ulinzi worker``) sends it. Its status::

    queued ──claim──▶ sending ──gateway 2xx──▶ sent ──receipt──▶ delivered
      ▲                  │                       └──receipt──▶ failed
      └──retry (backoff)─┤
                         └──N tries──▶ dead
    (reporter opted out) ─▶ suppressed     (never sent)

An inbound message is ``received`` and stays so.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ulinzi.lib.crypto import FieldCipher
from ulinzi.places.models import Community

PHONE_FIELD = "reporter.phone"
CREDENTIALS_FIELD = "channel.send_credentials"


def cipher() -> FieldCipher:
    return FieldCipher(settings.FIELD_ENCRYPTION_KEY)


class Reporter(models.Model):
    """Someone who sends reports. The number is stored only encrypted; screens show the
    pseudonym; ``phone_index`` (a keyed HMAC) finds a reporter by number."""

    phone_cipher = models.BinaryField(_("phone number (encrypted)"))
    phone_index = models.CharField(max_length=64, unique=True)
    pseudonym = models.CharField(_("pseudonym"), max_length=16, db_index=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="reporters"
    )
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")

    def __str__(self) -> str:
        return self.pseudonym

    def phone(self) -> str:
        """The number in clear. Only ``messaging.domain`` calls this (sending, or an
        audited reveal)."""
        return cipher().decrypt(bytes(self.phone_cipher), PHONE_FIELD)


class Channel(models.Model):
    """A gateway that follows the generic external HTTP contract: it posts inbound
    messages and status callbacks to ``/channels/ext/<uuid>/…`` and receives outbound
    messages as a templated HTTP request."""

    class Auth(models.TextChoices):
        URL_TOKEN = "url_token", _("token in the URL")
        HMAC = "hmac", _("HMAC-SHA256 signature header")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80, unique=True)
    address = models.CharField(_("our number or short code"), max_length=32, blank=True)
    secret = models.CharField(max_length=64)
    auth = models.CharField(max_length=12, choices=Auth.choices, default=Auth.URL_TOKEN)
    # Names of the inbound form fields, for gateways that do not say from/text/date/id.
    field_from = models.CharField(max_length=40, default="from")
    field_text = models.CharField(max_length=40, default="text")
    field_date = models.CharField(max_length=40, default="date")
    field_id = models.CharField(max_length=40, default="id")
    # The field of a status callback (``/status``) that says what became of a message.
    field_status = models.CharField(max_length=40, default="status")
    # Outbound: "console:" prints instead of sending (the demo); otherwise an http(s) URL.
    send_url = models.CharField(_("send URL"), max_length=500)
    send_method = models.CharField(max_length=6, default="POST")
    send_body = models.TextField(
        blank=True,
        default="to={{to}}&text={{text}}&from={{from}}&id={{id}}",
        help_text=_("Template: {{to}}, {{text}}, {{from}}, {{id}}, {{key}} (idempotency key)"),
    )
    send_content_type = models.CharField(max_length=80, default="application/x-www-form-urlencoded")
    # Extra headers of every outbound request: the gateway's credentials (an API key, or
    # HTTP Basic), encrypted like reporters' numbers (``send_headers()`` reads them).
    # Never listed back: ``ulinzi channels`` shows their names only.
    send_credentials = models.BinaryField(blank=True, default=b"")
    # Where the gateway's answer to a send gives its own id for the message, as a path
    # into its JSON ("sid"; "SMSMessageData.Recipients.0.messageId"): status callbacks
    # then name the message by that id. Empty: they name it by Ulinzi's ({{id}}).
    send_id_path = models.CharField(max_length=120, blank=True)
    rate_per_minute = models.PositiveIntegerField(default=60)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SMS channel")
        verbose_name_plural = _("SMS channels")

    def __str__(self) -> str:
        return self.name

    def send_headers(self) -> dict[str, str]:
        """The headers of the gateway's credentials, in clear (for the worker)."""
        if not self.send_credentials:
            return {}
        headers: dict[str, str] = json.loads(
            cipher().decrypt(bytes(self.send_credentials), CREDENTIALS_FIELD)
        )
        return headers

    def set_send_headers(self, headers: dict[str, str]) -> None:
        self.send_credentials = (
            cipher().encrypt(json.dumps(headers), CREDENTIALS_FIELD) if headers else b""
        )


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("inbound")
        OUT = "out", _("outbound")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        DEAD = "dead", _("dead")
        SUPPRESSED = "suppressed", _("not sent: opted out")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    reporter = models.ForeignKey(
        Reporter, null=True, on_delete=models.PROTECT, related_name="messages"
    )
    text = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, db_index=True)
    # NULL, not "", when the gateway gives no id: the uniqueness below must skip it.
    gateway_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    gateway_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Outbox fields.
    purpose = models.CharField(max_length=40, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    parts = models.PositiveSmallIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The worker that claimed it ("host:pid:start"), so that a worker started again after
    # a crash gives back at once what the dead one had claimed and not sent.
    claimed_by = models.CharField(max_length=120, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # Inbound: when the worker turned the message into what it causes (a report, an
    # answer, an opt-out). Until then the message is stored, acknowledged to the
    # gateway, and waiting.
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A gateway retrying one SMS gives it the same id: one message, ever.
            models.UniqueConstraint(
                fields=["channel", "gateway_id"],
                condition=Q(direction="in", gateway_id__isnull=False),
                name="message_inbound_gateway_id_once",
            )
        ]
        indexes = [
            # With id, so that many messages due at the same moment (a broadcast) come
            # out in order from the index, without sorting them for every claim.
            models.Index(fields=["status", "next_attempt_at", "id"], name="outbox_due_order"),
            models.Index(fields=["channel", "claimed_at"], name="outbox_rate"),
            models.Index(fields=["direction", "processed_at", "id"], name="inbox_waiting"),
            models.Index(fields=["reporter", "created_at"], name="message_reporter_recent"),
            # A status callback names an outbound message by the gateway's id.
            models.Index(
                fields=["channel", "gateway_id"],
                condition=Q(direction="out", gateway_id__isnull=False),
                name="outbox_gateway_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.pk} {self.status}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "direction": self.direction,
            "status": self.status,
            "reporter": self.reporter.pseudonym if self.reporter else None,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


class EarlyReceipt(models.Model):
    """A gateway's status callback naming an id no message has yet: a fast gateway can
    post the receipt of a message before the worker, which has its answer, has written
    the message's gateway id down. Kept (only while a send of the channel is in flight)
    and applied when the id is written; gone after a day otherwise."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    gateway_id = models.CharField(max_length=100)
    status = models.CharField(max_length=12)  # a receipt: sent, delivered, failed
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "gateway_id"], name="early_receipt_id")]

    def __str__(self) -> str:
        return f"{self.gateway_id} {self.status}"
