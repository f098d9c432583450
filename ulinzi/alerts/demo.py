"""Demonstration alerts for ``make demo``: a few synthetic SMS, in the mission's languages,
sent through the demo channel's own intake path (stored, triaged, located, grouped, routed,
acknowledged), so that the duty board has something to show. Two of them report the same
attack at Mbau and make one alert. The numbers are made up (+243 990 000 0xx) and every
message is synthetic, not a real report.

Idempotent: each message carries a fixed gateway id, and the intake stores a message once
however many times it arrives, so a second run adds nothing."""

from __future__ import annotations

from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Channel

# (gateway id, sender, text)
MESSAGES = [
    ("demo-1", "+243990000001", "Watu wenye silaha wameingia Mbau usiku huu, risasi nyingi"),
    ("demo-2", "+243990000002", "ALERTE Mbau hommes armés, coups de feu près du marché"),
    ("demo-3", "+243990000003", "Armed men looted the shops in Oicha this morning"),
    ("demo-4", "+243990000004", "Bato ya bibundeli bakoti na Komanda, basali mobulu"),
    ("demo-5", "+243990000005", "Enlèvement de deux femmes à Kiwanja hier soir"),
    ("demo-6", "+243990000006", "TAHADHARI Mangina nyumba zimechomwa moto"),
]


def load_demo_alerts(channel: Channel) -> int:
    """Send the demonstration SMS to ``channel`` and process them; how many were new."""
    new = 0
    for gateway_id, sender, text in MESSAGES:
        received = messaging.receive_message(
            channel, sender=sender, text=text, gateway_id=gateway_id
        )
        new += received.created
    messaging.process_inbound()
    return new
