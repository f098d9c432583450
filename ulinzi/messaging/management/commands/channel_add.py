from __future__ import annotations

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
    "twilio": {
        "fields": {"from": "From", "text": "Body", "id": "MessageSid", "date": "DateSent"},
        "send_body": "To={{to}}&From={{from}}&Body={{text}}",
    },
    "africastalking": {
        "fields": {"from": "from", "text": "text", "id": "id", "date": "date"},
        "send_body": "username=ulinzi&to={{to}}&message={{text}}&from={{from}}",
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
        parser.add_argument("--rate", type=int, default=60, help="messages per minute at most")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        preset = PRESETS[options["preset"]]
        if Channel.objects.filter(name=options["name"]).exists():
            raise CommandError(f"a channel named {options['name']!r} exists already")
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
            )
        except (ValueError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(messages))
        self.stdout.write(json.dumps(describe(channel, options["base_url"]), indent=2))
