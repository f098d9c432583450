"""Engagement: liaison staff and interpreters, focal points and their test messages,
meetings with their concerns and commitments, Joint Protection Teams, broadcasts and
keyword answers.

Every change goes through ``engagement.domain``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts.models import THREAT_TYPES, Alert
from ulinzi.messaging.models import Message, Reporter
from ulinzi.places.models import Base, Community, Place

SEXES = [("f", _("female")), ("m", _("male"))]


class StaffMember(models.Model):
    """A community liaison assistant or an interpreter."""

    class Role(models.TextChoices):
        CLA = "cla", _("community liaison assistant")
        INTERPRETER = "interpreter", _("interpreter")

    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    sex = models.CharField(_("sex"), max_length=1, choices=SEXES)
    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="staff")
    speaks = models.JSONField(_("languages spoken"), default=list)
    reads = models.JSONField(_("languages read"), default=list, blank=True)
    communities = models.ManyToManyField(Community, related_name="staff", blank=True)
    phone = models.BooleanField(_("has a phone"), default=True)
    radio = models.BooleanField(_("has a radio"), default=False)
    available = models.BooleanField(_("available"), default=True)
    availability = models.CharField(_("availability"), max_length=200, blank=True)

    class Meta:
        ordering = ["base", "name"]
        verbose_name = _("liaison staff member")

    def __str__(self) -> str:
        return self.name


class FocalPoint(models.Model):
    """A registered reporter who speaks for a community in the alert network."""

    class Role(models.TextChoices):
        CHIEF = "chief", _("village or quarter chief")
        WOMEN = "women", _("women's representative")
        YOUTH = "youth", _("youth representative")
        RELIGIOUS = "religious", _("religious leader")
        CAMP = "camp", _("camp committee")
        OTHER = "other", _("other")

    reporter = models.OneToOneField(Reporter, on_delete=models.PROTECT, related_name="focal_point")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="focal_points")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    language = models.CharField(_("language"), max_length=8)
    active = models.BooleanField(default=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community", "role"]

    def __str__(self) -> str:
        return f"{self.reporter} ({self.community})"


class NetworkTest(models.Model):
    """A test message to a focal point ("reply OK") and whether the reply came."""

    focal_point = models.ForeignKey(FocalPoint, on_delete=models.CASCADE, related_name="pings")
    message = models.ForeignKey(Message, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField()
    replied_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"test to {self.focal_point} at {self.sent_at}"


class Meeting(models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("meeting")
        CONSULTATION = "consultation", _("consultation")
        JPT = "jpt", _("Joint Protection Team visit")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    women = models.PositiveIntegerField(_("women"), default=0)
    men = models.PositiveIntegerField(_("men"), default=0)
    girls = models.PositiveIntegerField(_("girls"), default=0)
    boys = models.PositiveIntegerField(_("boys"), default=0)
    groups = models.CharField(_("groups present"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.community} {self.date}"


class Concern(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="concerns")
    threat_type = models.CharField(_("threat"), max_length=24, choices=THREAT_TYPES, blank=True)
    text = models.CharField(_("concern"), max_length=500)

    def __str__(self) -> str:
        return self.text


class Commitment(models.Model):
    """What the mission promised a community: who, what, by when; followed to closure."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        KEPT = "kept", _("kept")
        NOT_KEPT = "not_kept", _("not kept")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="commitments")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="commitments"
    )
    jpt = models.ForeignKey(
        "JptMission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commitments"
    )
    what = models.CharField(_("what"), max_length=500)
    due = models.DateField(_("by"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.CharField(_("what was done"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.what


class JptMission(models.Model):
    """A Joint Protection Team mission: civil affairs, human rights, child protection,
    military, police and partners visiting communities together."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", _("done")

    purpose = models.CharField(_("purpose"), max_length=300)
    hotspot = models.ForeignKey(
        "threats.Hotspot", null=True, blank=True, on_delete=models.PROTECT, related_name="jpts"
    )
    alerts = models.ManyToManyField(Alert, related_name="jpts", blank=True)
    communities = models.ManyToManyField(Community, related_name="jpts")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "-id"]

    def __str__(self) -> str:
        return self.purpose


class JptMember(models.Model):
    class Component(models.TextChoices):
        CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
        HUMAN_RIGHTS = "human_rights", _("human rights")
        CHILD_PROTECTION = "child_protection", _("child protection")
        MILITARY = "military", _("military")
        POLICE = "police", _("UN police")
        HUMANITARIAN = "humanitarian", _("humanitarian partner")

    mission = models.ForeignKey(JptMission, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=120)
    component = models.CharField(_("component"), max_length=20, choices=Component.choices)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_component_display()})"


class JptFinding(models.Model):
    mission = models.ForeignKey(JptMission, on_delete=models.CASCADE, related_name="findings")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("finding"))

    def __str__(self) -> str:
        return self.text[:60]


class Broadcast(models.Model):
    """A message to communities about the mission's role, activities and limits."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        QUEUED = "queued", _("queued")

    title = models.CharField(_("title"), max_length=160)
    texts = models.JSONField(_("text per language"), default=dict)
    areas = models.ManyToManyField(Place, related_name="+", blank=True)
    communities = models.ManyToManyField(Community, related_name="broadcasts", blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    roles = models.JSONField(_("focal point roles"), default=list, blank=True)
    send_at = models.DateTimeField(_("send at"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def purpose(self) -> str:
        return f"broadcast:{self.pk}"


class AutoReply(models.Model):
    """The answer to a keyword SMS (INFO, MANDAT, HABARI), per language."""

    keyword = models.CharField(_("keyword"), max_length=20)
    language = models.CharField(_("language"), max_length=8)
    text = models.CharField(_("answer"), max_length=480)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["keyword", "language"]
        constraints = [
            models.UniqueConstraint(fields=["keyword", "language"], name="auto_reply_unique")
        ]

    def __str__(self) -> str:
        return f"{self.keyword} ({self.language})"
