from __future__ import annotations

import base64
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.messaging import domain
from ulinzi.messaging.management.commands.channels import describe
from ulinzi.messaging.models import Channel

# Field names and outbound requests of common gateways, so that plugging one in is
# a matter of configuration.
PRESETS: dict[str, dict[str, Any]] = {
    "ext": {},
    # Twilio: status callbacks (StatusCallback set to the channel's /status URL) name a
    # message by the "sid" of the answer to its send; credentials: --send-user SID:TOKEN.
    "twilio": {
        "fields": {
            "from": "From",
            "text": "Body",
            "id": "MessageSid",
            "date": "DateSent",
            "status": "MessageStatus",
        },
        "send_body": "To={{to}}&From={{from}}&Body={{text}}",
        "send_id_path": "sid",
    },
    # Africa's Talking: delivery reports (to /status) name a message by the messageId of
    # its recipient in the answer; credentials: --send-header "apiKey: KEY" and the
    # account's username in --send-body.
    "africastalking": {
        "fields": {"from": "from", "text": "text", "id": "id", "date": "date", "status": "status"},
        "send_body": "username=ulinzi&to={{to}}&message={{text}}&from={{from}}",
        "send_id_path": "SMSMessageData.Recipients.0.messageId",
        "send_headers": {"Accept": "application/json"},
    },
    "relay": {
        "fields": {"from": "from", "text": "text", "id": "id", "date": "date"},
        "send_body": '{"to": "{{to}}", "text": "{{text}}", "id": "{{id}}", "key": "{{key}}"}',
        "send_content_type": "application/json",
    },
}


class Command(BaseCommand):
    help = "Create an SMS channel and print its inbound URLs (with the secret) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--send-url", required=True, help="http(s) URL of the gateway, or console:"
        )
        parser.add_argument("--preset", choices=sorted(PRESETS), default="ext")
        parser.add_argument("--address", default="", help="our number or short code")
        parser.add_argument("--auth", choices=[a.value for a in Channel.Auth], default="url_token")
        parser.add_argument("--method", default="POST", choices=["GET", "POST"])
        parser.add_argument(
            "--send-body",
            help="outbound body template ({{to}}, {{text}}, {{from}}, {{id}}, {{key}})",
        )
        parser.add_argument(
            "--send-header",
            action="append",
            default=[],
            metavar="'NAME: VALUE'",
            help="a header of every outbound request (the gateway's API key); repeatable",
        )
        parser.add_argument(
            "--send-user",
            metavar="USER:PASSWORD",
            help="HTTP Basic credentials of the gateway (Twilio: ACCOUNT_SID:AUTH_TOKEN)",
        )
        parser.add_argument(
            "--send-id-path",
            help="where the gateway's JSON answer gives its id for a message (a.b.0.c)",
        )
        parser.add_argument("--rate", type=int, default=60, help="messages per minute at most")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        preset = PRESETS[options["preset"]]
        if Channel.objects.filter(name=options["name"]).exists():
            raise CommandError(f"a channel named {options['name']!r} exists already")
        headers = dict(preset.get("send_headers", {}))
        for given in options["send_header"]:
            header, colon, value = given.partition(":")
            if not colon or not header.strip():
                raise CommandError(f"--send-header {given[:40]!r}: write it 'Name: value'")
            headers[header.strip()] = value.strip()
        if options["send_user"]:
            if ":" not in options["send_user"]:
                raise CommandError("--send-user: write it USER:PASSWORD")
            pair = base64.b64encode(options["send_user"].encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        id_path = options["send_id_path"]
        try:
            channel = domain.create_channel(
                actor="command line",
                name=options["name"],
                send_url=options["send_url"],
                address=options["address"],
                auth=options["auth"],
                fields=preset.get("fields"),
                send_method=options["method"],
                send_body=options["send_body"] or preset.get("send_body"),
                send_content_type=preset.get("send_content_type"),
                rate_per_minute=options["rate"],
                send_headers=headers,
                send_id_path=preset.get("send_id_path", "") if id_path is None else id_path,
            )
        except (ValueError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(messages))
        self.stdout.write(json.dumps(describe(channel, options["base_url"]), indent=2))
