"""How an outbound message leaves: the only code in Ulinzi that opens a connection.

Tests replace ``send`` at this one point (or point a channel at a fake gateway on
127.0.0.1); everything else stays real.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ulinzi.messaging.models import Message

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 15


class SendFailed(Exception):
    """The gateway did not take the message; the worker will retry."""


def render(template: str, values: dict[str, str], *, form: bool) -> str:
    """Fill ``{{name}}`` placeholders; values are URL-encoded in form bodies and URLs,
    JSON-escaped in JSON bodies (the template decides which by its content type)."""
    out = template
    for key, value in values.items():
        escaped = urllib.parse.quote(value, safe="") if form else json.dumps(value)[1:-1]
        out = out.replace("{{" + key + "}}", escaped)
    return out


def gateway_id_in(answer: str, path: str) -> str | None:
    """The gateway's own id for a message, read from its JSON answer along ``path``
    (keys and list indexes separated by dots: "SMSMessageData.Recipients.0.messageId");
    None when the answer is not JSON or has nothing there.

    Raises ``SendFailed`` when the entry holding the id refuses the message with an
    HTTP-like code (Africa's Talking answers 201 for the request, and ``"statusCode":
    403, "status": "InvalidPhoneNumber"`` for the recipient)."""
    try:
        found: Any = json.loads(answer)
    except ValueError:
        return None
    holder: Any = None
    for step in path.split("."):
        holder = found
        if isinstance(found, dict) and step in found:
            found = found[step]
        elif isinstance(found, list) and step.isdigit() and int(step) < len(found):
            found = found[int(step)]
        else:
            return None
    code = holder.get("statusCode") if isinstance(holder, dict) else None
    if isinstance(code, int) and not isinstance(code, bool) and code >= 400:
        said = str(holder.get("status", ""))[:60]
        raise SendFailed(f"gateway refused the message ({code} {said})".strip())
    if isinstance(found, bool) or not isinstance(found, str | int):
        return None
    text = str(found).strip()
    # Africa's Talking answers a recipient it refused with the id "None".
    if not text or "\x00" in text or text.casefold() in ("none", "null", "undefined"):
        return None
    return text[:100]


def send(message: Message, to: str) -> str | None:
    """Hand ``message`` to its channel's gateway, with the channel's credentials; return
    the gateway's own id for it when the channel says where its answer gives one
    (``Channel.send_id_path``), else None.

    Raises ``SendFailed`` for a refusal, a timeout or a network error.
    """
    channel = message.channel
    values = {
        "to": to,
        "text": message.text,
        "from": channel.address,
        "id": str(message.pk),
        "key": str(message.idempotency_key),
    }
    if channel.send_url == "console:":
        sys.stdout.write(f"[SMS to {message.reporter}] {message.text}\n")
        sys.stdout.flush()
        return None
    url = render(channel.send_url, values, form=True)
    form = "json" not in channel.send_content_type
    body = render(channel.send_body, values, form=form).encode() if channel.send_body else None
    method = channel.send_method.upper()
    if method == "GET":
        body = None
    request = urllib.request.Request(  # noqa: S310 (the URL scheme is checked at channel creation)
        url,
        data=body,
        method=method,
        headers={
            **channel.send_headers(),
            "Content-Type": channel.send_content_type,
            "Idempotency-Key": str(message.idempotency_key),
            "User-Agent": "Ulinzi",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = response.read(20_000).decode("utf-8", "replace")
            if not 200 <= response.status < 300:
                raise SendFailed(f"gateway answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"gateway answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason: Any = getattr(exc, "reason", exc)
        raise SendFailed(f"gateway unreachable: {reason}") from exc
    return gateway_id_in(answer, channel.send_id_path) if channel.send_id_path else None
