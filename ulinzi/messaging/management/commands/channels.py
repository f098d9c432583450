from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from ulinzi.messaging.models import Channel


def describe(channel: Channel, base_url: str) -> dict[str, Any]:
    """Everything a gateway's configuration needs, secret included."""
    token = f"?token={channel.secret}" if channel.auth == Channel.Auth.URL_TOKEN else ""
    base = base_url.rstrip("/")
    urls = {
        kind: f"{base}{reverse(f'messaging:{kind}', args=[channel.uuid])}{token}"
        for kind in ("receive", "sent", "delivered", "failed", "status", "stopped", "missed")
    }
    return {
        "name": channel.name,
        "uuid": str(channel.uuid),
        "active": channel.active,
        "auth": channel.auth,
        "secret": channel.secret,
        "fields": {
            "from": channel.field_from,
            "text": channel.field_text,
            "date": channel.field_date,
            "id": channel.field_id,
            "status": channel.field_status,
        },
        "inbound_urls": urls,
        "send": {
            "url": channel.send_url,
            "method": channel.send_method,
            "body": channel.send_body,
            "content_type": channel.send_content_type,
            # The credentials' names only: their values stay in the database.
            "headers": sorted(channel.send_headers()),
            "id_path": channel.send_id_path,
        },
        "rate_per_minute": channel.rate_per_minute,
    }


class Command(BaseCommand):
    help = "List SMS channels with their full inbound URLs, secrets included."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON document")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        channels = [describe(c, options["base_url"]) for c in Channel.objects.order_by("id")]
        if options["json"]:
            self.stdout.write(json.dumps(channels, indent=2))
            return
        for c in channels:
            self.stdout.write(f"{c['name']} ({'active' if c['active'] else 'inactive'})")
            self.stdout.write(f"  receive: {c['inbound_urls']['receive']}")
