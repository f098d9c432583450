"""Every change to engagement records: staff, focal points and their tests, meetings,
commitments, Joint Protection Teams, broadcasts and keyword answers.

Each function runs in one transaction and writes its audit entry in it; SMS go
through the outbox in that transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from ulinzi.alerts.models import Alert
from ulinzi.alerts.signals import info_keyword, ok_reply
from ulinzi.audit import domain as audit
from ulinzi.engagement import rules
from ulinzi.engagement.models import (
    AutoReply,
    Broadcast,
    Commitment,
    Concern,
    FocalPoint,
    JptFinding,
    JptMember,
    JptMission,
    Meeting,
    NetworkTest,
    StaffMember,
)
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Reporter
from ulinzi.places.models import Base, Community, Place

PING_TEXT = {
    "fr": "Test de la mission: répondez OK",
    "sw": "Jaribio kutoka misheni: jibu OK",
    "ln": "Meko ya mission: zongisa OK",
    "en": "Test from the mission: reply OK",
}
PING_DAYS = 7  # an OK later than this after a test does not count as its reply


class Refused(Exception):
    """The change is not allowed in this state."""


def save_staff(
    *,
    actor: Any,
    name: str,
    role: str,
    sex: str,
    base: Base,
    speaks: Sequence[str],
    reads: Sequence[str] = (),
    communities: Sequence[Community] = (),
    phone: bool = True,
    radio: bool = False,
    available: bool = True,
    availability: str = "",
    member: StaffMember | None = None,
) -> StaffMember:
    if role not in StaffMember.Role.values or sex not in ("f", "m"):
        raise ValueError(_("Unknown role or sex."))
    languages = sorted({code.strip().lower() for code in speaks if code.strip()})
    if not languages:
        raise ValueError(_("Give at least one language spoken."))
    with transaction.atomic():
        member = member or StaffMember()
        member.name, member.role, member.sex, member.base = name.strip()[:120], role, sex, base
        member.speaks = languages
        member.reads = sorted({code.strip().lower() for code in reads if code.strip()})
        member.phone, member.radio = phone, radio
        member.available, member.availability = available, availability[:200]
        member.save()
        member.communities.set(communities)
        audit.record(
            actor,
            "engagement.save_staff",
            member,
            after={"role": role, "sex": sex, "base": base.code, "speaks": languages},
        )
    return member


def register_focal_point(
    *, actor: Any, phone: str, community: Community, role: str, language: str
) -> FocalPoint:
    """A community's focal point: their number (encrypted), their role and language."""
    if role not in FocalPoint.Role.values:
        raise ValueError(_("Unknown role."))
    with transaction.atomic():
        reporter = messaging.reporter_for_number(phone)
        reporter.community, reporter.language = community, language
        reporter.save(update_fields=["community", "language"])
        focal, _created = FocalPoint.objects.update_or_create(
            reporter=reporter,
            defaults={"community": community, "role": role, "language": language, "active": True},
        )
        audit.record(
            actor,
            "engagement.register_focal_point",
            focal,
            after={"community": community.name, "role": role, "language": language},
        )
    return focal


def send_tests(*, actor: Any, focal_points: Sequence[FocalPoint]) -> list[NetworkTest]:
    """A test message to each focal point; their OK is tracked."""
    pings = []
    with transaction.atomic():
        for focal in focal_points:
            text = PING_TEXT.get(focal.language, PING_TEXT["fr"])
            message = messaging.queue_message(
                focal.reporter, text, purpose="network_test", actor=actor
            )
            pings.append(
                NetworkTest.objects.create(
                    focal_point=focal,
                    message=message,
                    sent_at=timezone.now(),
                    sent_by=actor if getattr(actor, "pk", None) else None,
                )
            )
        audit.record(
            actor,
            "engagement.send_tests",
            subject_type="engagement.focalpoint",
            after={"focal_points": [f.pk for f in focal_points]},
        )
    return pings


@receiver(ok_reply)
def record_ok(sender: Any, reporter: Reporter, **kwargs: Any) -> NetworkTest | None:
    """An "OK" answers the latest unanswered test to this reporter, if recent."""
    since = timezone.now() - dt.timedelta(days=PING_DAYS)
    ping = (
        NetworkTest.objects.filter(
            focal_point__reporter=reporter, replied_at__isnull=True, sent_at__gte=since
        )
        .order_by("-sent_at")
        .first()
    )
    if ping is None:
        return None
    ping.replied_at = timezone.now()
    ping.save(update_fields=["replied_at"])
    audit.record("network", "engagement.test_reply", ping, after={"reporter": reporter.pseudonym})
    return ping


@receiver(info_keyword)
def answer_keyword(sender: Any, message: Any, keyword: str, language: str, **kwargs: Any) -> None:
    """INFO, MANDAT, HABARI...: the answer the public information officer keeps, in the
    keyword's language (else the reporter's, else any)."""
    reporter = message.reporter
    answers = AutoReply.objects.filter(keyword=keyword, active=True)
    reply = (
        answers.filter(language=language).first()
        or answers.filter(language=reporter.language).first()
        or answers.first()
    )
    if reply is None:
        return
    messaging.queue_message(
        reporter,
        reply.text,
        purpose="auto_reply",
        channel=message.channel,
        actor=message.channel.name,
    )


def save_auto_reply(*, actor: Any, keyword: str, language: str, text: str) -> AutoReply:
    keyword = keyword.strip().upper()
    if not keyword or not text.strip():
        raise ValueError(_("Give the keyword and its answer."))
    with transaction.atomic():
        reply, _created = AutoReply.objects.update_or_create(
            keyword=keyword,
            language=language,
            defaults={"text": text.strip()[:480], "active": True},
        )
        audit.record(
            actor,
            "engagement.save_auto_reply",
            reply,
            after={"keyword": keyword, "text": reply.text},
        )
    return reply


# --- Meetings and commitments -------------------------------------------------


def record_meeting(
    *,
    actor: Any,
    community: Community,
    kind: str,
    date: dt.date,
    place: Place | None = None,
    women: int = 0,
    men: int = 0,
    girls: int = 0,
    boys: int = 0,
    groups: str = "",
    notes: str = "",
    concerns: Sequence[tuple[str, str]] = (),
    commitments: Sequence[tuple[Any, str, dt.date]] = (),
) -> Meeting:
    """A meeting with the concerns raised (threat type, words) and the commitments made
    (owner, what, by when)."""
    if min(women, men, girls, boys) < 0:
        raise ValueError(_("Participants cannot be negative."))
    with transaction.atomic():
        meeting = Meeting.objects.create(
            community=community,
            kind=kind,
            date=date,
            place=place or community.place,
            women=women,
            men=men,
            girls=girls,
            boys=boys,
            groups=groups[:300],
            notes=notes,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        for threat_type, text in concerns:
            Concern.objects.create(meeting=meeting, threat_type=threat_type, text=text[:500])
        for owner, what, due in commitments:
            Commitment.objects.create(
                community=community, meeting=meeting, owner=owner, what=what[:500], due=due
            )
        audit.record(
            actor,
            "engagement.record_meeting",
            meeting,
            after={
                "community": community.name,
                "date": date.isoformat(),
                "participants": [women, men, girls, boys],
                "concerns": len(concerns),
                "commitments": len(commitments),
            },
        )
    return meeting


def close_commitment(*, actor: Any, commitment: Commitment, kept: bool, note: str) -> Commitment:
    if len(note.strip()) < 3:
        raise Refused(_("Say what was done."))
    with transaction.atomic():
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if locked.status != Commitment.Status.OPEN:
            raise Refused(_("This commitment is closed already."))
        locked.status = Commitment.Status.KEPT if kept else Commitment.Status.NOT_KEPT
        locked.closed_at, locked.closing_note = timezone.now(), note.strip()[:500]
        locked.save(update_fields=["status", "closed_at", "closing_note"])
        audit.record(actor, "engagement.close_commitment", locked, after={"status": locked.status})
    return locked


# --- Joint Protection Teams ---------------------------------------------------


def plan_jpt(
    *,
    actor: Any,
    purpose: str,
    start: dt.date,
    end: dt.date,
    communities: Sequence[Community],
    members: Sequence[tuple[str, str]],
    hotspot: Any = None,
    alerts: Sequence[Alert] = (),
) -> JptMission:
    if end < start:
        raise ValueError(_("The mission ends before it starts."))
    if not communities:
        raise ValueError(_("Choose the communities to visit."))
    if not members or any(c not in JptMember.Component.values for _n, c in members):
        raise ValueError(_("Give the team, each member with a component."))
    with transaction.atomic():
        mission = JptMission.objects.create(
            purpose=purpose[:300],
            start=start,
            end=end,
            hotspot=hotspot,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        mission.communities.set(communities)
        mission.alerts.set(alerts)
        for name, component in members:
            JptMember.objects.create(mission=mission, name=name[:120], component=component)
        audit.record(
            actor,
            "engagement.plan_jpt",
            mission,
            after={
                "purpose": mission.purpose,
                "communities": [c.name for c in communities],
                "team": [c for _n, c in members],
            },
        )
    return mission


def record_finding(
    *,
    actor: Any,
    mission: JptMission,
    community: Community,
    finding: str,
    recommendations: Sequence[tuple[Any, str, dt.date]] = (),
) -> JptFinding:
    """What the team found in one community, and its recommendations (each with an
    owner and a date, followed like any commitment)."""
    if not mission.communities.filter(pk=community.pk).exists():
        raise Refused(_("This community is not on the mission's itinerary."))
    with transaction.atomic():
        found = JptFinding.objects.create(mission=mission, community=community, text=finding)
        for owner, what, due in recommendations:
            Commitment.objects.create(
                community=community, jpt=mission, owner=owner, what=what[:500], due=due
            )
        audit.record(
            actor,
            "engagement.record_finding",
            found,
            after={"community": community.name, "recommendations": len(recommendations)},
        )
    return found


def complete_jpt(*, actor: Any, mission: JptMission) -> JptMission:
    with transaction.atomic():
        mission.status = JptMission.Status.DONE
        mission.save(update_fields=["status"])
        audit.record(actor, "engagement.complete_jpt", mission)
    return mission


# --- Broadcasts ------------------------------------------------------------------


def save_broadcast(
    *,
    actor: Any,
    title: str,
    texts: dict[str, str],
    send_at: dt.datetime,
    communities: Sequence[Community] = (),
    areas: Sequence[Place] = (),
    languages: Sequence[str] = (),
    roles: Sequence[str] = (),
    broadcast: Broadcast | None = None,
) -> Broadcast:
    texts = {k: v.strip() for k, v in texts.items() if v and v.strip()}
    if not texts:
        raise ValueError(_("Write the message in at least one language."))
    if not communities and not areas:
        raise ValueError(_("Choose the communities or areas to reach."))
    with transaction.atomic():
        if broadcast is not None and broadcast.status != Broadcast.Status.DRAFT:
            raise Refused(_("An approved broadcast cannot be changed."))
        broadcast = broadcast or Broadcast(created_by=actor if getattr(actor, "pk", None) else None)
        broadcast.title, broadcast.texts, broadcast.send_at = title[:160], texts, send_at
        broadcast.languages, broadcast.roles = list(languages), list(roles)
        broadcast.save()
        broadcast.communities.set(communities)
        broadcast.areas.set(areas)
        audit.record(
            actor,
            "engagement.save_broadcast",
            broadcast,
            after={"title": broadcast.title, "languages": sorted(texts)},
        )
    return broadcast


def recipients(broadcast: Broadcast) -> list[tuple[int, bool, str]]:
    """(reporter id, opted out, language) of each reporter the broadcast reaches, once."""
    people = Reporter.objects.filter(community__isnull=False).values_list(
        "pk",
        "community_id",
        "community__place_id",
        "community__place__province_id",
        "community__place__territory_id",
        "community__place__health_zone_id",
        "community__place__health_area_id",
        "language",
        "focal_point__role",
        "opted_out_at",
    )
    found = []
    language_of: dict[int, str] = {}
    opted: dict[int, bool] = {}
    for pk, community, place, *chain, language, role, opted_out in people.iterator(chunk_size=5000):
        language_of[pk], opted[pk] = language or "", opted_out is not None
        found.append(
            rules.Recipient(
                reporter=pk,
                community=community,
                areas=frozenset(a for a in (place, *chain) if a),
                language=language or "",
                role=role or "",
                opted_out=False,  # counted, then suppressed by the outbox
            )
        )
    chosen = rules.targets(
        found,
        communities=frozenset(broadcast.communities.values_list("pk", flat=True)),
        areas=frozenset(broadcast.areas.values_list("pk", flat=True)),
        languages=frozenset(broadcast.languages),
        roles=frozenset(broadcast.roles),
    )
    return [(pk, opted[pk], language_of[pk]) for pk in chosen]


def approve_broadcast(*, actor: Any, broadcast: Broadcast) -> dict[str, int]:
    """The public information officer's approval: every recipient's message is put in
    the outbox for ``send_at`` (the worker sends at the channel's rate); opted-out
    recipients get nothing."""
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status != Broadcast.Status.DRAFT:
            raise Refused(_("This broadcast is approved already."))
        default = next(iter(locked.texts.values()))
        messages = [
            (pk, opted_out, locked.texts.get(language) or locked.texts.get("fr") or default)
            for pk, opted_out, language in recipients(locked)
        ]
        counts = messaging.queue_many(
            messages, purpose=locked.purpose, send_at=locked.send_at, actor=actor
        )
        now = timezone.now()
        locked.status = Broadcast.Status.QUEUED
        locked.approved_by = actor if getattr(actor, "pk", None) else None
        locked.approved_at = locked.queued_at = now
        locked.recipients = len(messages)
        locked.save()
        audit.record(actor, "engagement.approve_broadcast", locked, after=counts)
    return counts
