"""Demonstration alerts for ``make demo``: a few synthetic SMS, in the mission's languages,
sent through the demo channel's own intake path (stored, triaged, located, grouped, routed,
acknowledged), so that the duty board has something to show. Two of them report the same
attack at Mbau and make one alert. The numbers are made up (+243 990 000 0xx) and every
message is synthetic, not a real report.

Each base also gets the kinds of responders a mission base works with (made-up units,
named after the base), so that an alert can be taken through notification and dispatch.

Idempotent: each message carries a fixed gateway id, and the intake stores a message once
however many times it arrives, so a second run adds nothing."""

from __future__ import annotations

from ulinzi.alerts.domain import save_responder
from ulinzi.alerts.models import Responder
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Channel
from ulinzi.places.models import Base

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


# (name, kind); ``{base}`` is the base's name.
RESPONDERS = [
    ("{base} company", Responder.Kind.MISSION_COMPANY),
    ("UN police {base}", Responder.Kind.UN_POLICE),
    ("Police nationale {base}", Responder.Kind.PARTNER_POLICE),
    ("Administrator of {base}", Responder.Kind.LOCAL_AUTHORITY),
    ("Protection cluster referral", Responder.Kind.HUMANITARIAN),
]


def load_demo_responders() -> int:
    """The demonstration responders of every base that has none yet; how many were made."""
    made = 0
    for base in Base.objects.exclude(responders__isnull=False):
        for name, kind in RESPONDERS:
            save_responder(
                actor="demo-setup", base=base, name=name.format(base=base.name), kind=kind
            )
            made += 1
    return made
