"""The generic external channel contract (RapidPro/courier "ext"):

``POST /channels/ext/<uuid>/receive`` (from, text, optional date and id),
``/sent``, ``/delivered``, ``/failed`` (id), ``/stopped`` (from), and Ulinzi's own
``/missed`` (from) for a missed call to the hotline. Field names are set
per channel. Each channel authenticates with its own secret: ``?token=<secret>`` in
the URL, or an ``X-Ulinzi-Signature: sha256=<hex HMAC of the body>`` header.

A server process keeps each active channel it has read for :data:`CHANNEL_KEPT_S`
seconds: reading it cost as much as storing the SMS. A channel saved or deleted in the
process is read again at once; one changed by another process (another server worker,
or by hand in the database), within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import uuid
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ulinzi.lib.phone import InvalidPhoneNumber, normalise
from ulinzi.messaging import domain
from ulinzi.messaging.models import Channel, Message

MAX_BODY = 64 * 1024


def _refuse(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"status": "error", "detail": detail}, status=status)


#: Seconds a process keeps an active channel it has read (see the module's docstring).
CHANNEL_KEPT_S = 5.0
_kept: dict[uuid.UUID, tuple[float, Channel]] = {}


@receiver([post_save, post_delete], sender=Channel)
def _forget_channels(**_kwargs: Any) -> None:
    _kept.clear()


def _active_channel(key: uuid.UUID) -> Channel | None:
    """The active channel ``key``, as read at most CHANNEL_KEPT_S ago. Only channels
    that exist are kept: a stream of made-up ids reaches the database every time, and
    never fills this process's memory."""
    now = time.monotonic()
    kept = _kept.get(key)
    if kept is not None and now - kept[0] < CHANNEL_KEPT_S:
        return kept[1]
    channel = Channel.objects.filter(uuid=key, active=True).first()
    if channel is None:
        _kept.pop(key, None)
    else:
        _kept[key] = (now, channel)
    return channel


def _channel(request: HttpRequest, channel_uuid: str) -> Channel | None:
    try:
        key = uuid.UUID(channel_uuid)
    except ValueError:
        return None
    channel = _active_channel(key)
    if channel is None:
        return None
    if channel.auth == Channel.Auth.HMAC:
        given = request.headers.get("X-Ulinzi-Signature", "").removeprefix("sha256=")
        expected = hmac.new(channel.secret.encode(), request.body, hashlib.sha256).hexdigest()
        return channel if hmac.compare_digest(given, expected) else None
    token = request.GET.get("token", "")
    return channel if hmac.compare_digest(token.encode(), channel.secret.encode()) else None


def _fields(request: HttpRequest) -> dict[str, Any] | None:
    if len(request.body) > MAX_BODY:
        return None
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None
    if request.content_type == "multipart/form-data":
        data = dict(request.POST.items())
        # Django replaces invalid UTF-8 with U+FFFD; refuse rather than store a corrupted SMS.
        return None if any("\ufffd" in v for v in data.values()) else data
    # Parsed here rather than through request.POST for the same reason.
    try:
        pairs = urllib.parse.parse_qsl(
            request.body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


def _endpoint(kind: str) -> Any:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest, channel_uuid: str) -> JsonResponse:
        if len(request.body) > MAX_BODY:
            return _refuse(413, f"the request is larger than {MAX_BODY // 1024} kB")
        channel = _channel(request, channel_uuid)
        if channel is None:
            return _refuse(403, "unknown channel or wrong secret")
        data = _fields(request)
        if data is None:
            return _refuse(400, "the body is not valid UTF-8 form data or a JSON object")
        try:
            if kind == "receive":
                received = domain.receive_message(
                    channel,
                    sender=data.get(channel.field_from),
                    text=data.get(channel.field_text),
                    gateway_id=data.get(channel.field_id),
                    date=data.get(channel.field_date),
                )
                return JsonResponse(
                    {
                        "status": "ok",
                        "message_id": received.message.pk,
                        "duplicate": not received.created,
                    }
                )
            if kind == "missed":
                reporter = domain.receive_missed_call(channel, sender=data.get(channel.field_from))
                return JsonResponse({"status": "ok", "reporter": reporter.pseudonym})
            if kind == "stopped":
                sender = data.get(channel.field_from)
                if not isinstance(sender, str) or not sender.strip():
                    return _refuse(400, "from (the number that opted out) is missing")
                reporter = domain.find_reporter(sender)
                # The same answer whether or not the number is known: the endpoint must
                # not tell anyone holding the secret who reports to the mission.
                if reporter is not None:
                    domain.set_opt_out(reporter, opted_out=True, source=channel.name)
                return JsonResponse({"status": "ok"})
            receipt = domain.status_of(data.get(channel.field_status)) if kind == "status" else kind
            message = domain.update_status(channel, data.get(channel.field_id, ""), receipt)
            if message is None:  # the worker has not written the id down yet: kept for it
                return JsonResponse(
                    {"status": "ok", "message_id": None, "state": "kept"}, status=202
                )
            return JsonResponse({"status": "ok", "message_id": message.pk, "state": message.status})
        except (domain.MessageRefused, InvalidPhoneNumber) as exc:
            return _refuse(400, str(exc))

    return view


receive = _endpoint("receive")
sent = _endpoint("sent")
delivered = _endpoint("delivered")
failed = _endpoint("failed")
status = _endpoint("status")  # one callback whose status field says which (Twilio-style)
stopped = _endpoint("stopped")
missed = _endpoint("missed")


@csrf_exempt
@require_POST
def bare_receive(request: HttpRequest, channel_uuid: str) -> JsonResponse:
    """The intake benchmark's baseline: authenticate, validate, insert one row, nothing
    else. Routed only when settings.ULINZI_BENCH_ENDPOINTS is on."""
    channel = _channel(request, channel_uuid)
    if channel is None:
        return _refuse(403, "unknown channel or wrong secret")
    data = _fields(request)
    if data is None:
        return _refuse(400, "the body is not valid UTF-8 form data or a JSON object")
    try:
        number = normalise(str(data.get(channel.field_from, "")))
        text = domain._clean_text(data.get(channel.field_text))
    except (domain.MessageRefused, InvalidPhoneNumber) as exc:
        return _refuse(400, str(exc))
    message = Message.objects.create(
        channel=channel,
        direction=Message.Direction.IN,
        text=f"{number} {text}",
        status=Message.Status.RECEIVED,
        processed_at=timezone.now(),  # nothing more to do: the worker must not take it
    )
    return JsonResponse({"status": "ok", "message_id": message.pk})
