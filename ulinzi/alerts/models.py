"""Reports, alerts and their lifecycle.

A **report** is one account from one source; an **alert** groups the reports of one
incident and is what duty officers handle. An alert's status::

    received ──▶ acknowledged ──▶ verified ─────┬──▶ responders_notified ──▶ dispatched ──▶ on_site
                                 unverified ───┘                                                │
                                 false_alarm                                                    │
    any status but closed ─────────────────────────── close (with an outcome) ──▶ closed ◀──────┘

Feedback to the reporters is its own timestamp (``feedback_sent_at``), queued on closing.
Every step is a domain function in ``alerts.domain`` that stamps its time, writes an
``AlertStep`` and an audit entry, and refuses the transitions not drawn here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts import taxonomy
from ulinzi.messaging.models import Message, Reporter
from ulinzi.places.models import Base, Place

THREAT_TYPE_LABELS = {
    "attack_on_civilians": _("attack on civilians"),
    "killing": _("killing"),
    "abduction": _("abduction"),
    "sexual_violence": _("sexual violence"),
    "looting_extortion": _("looting or extortion"),
    "arson_destruction": _("arson or destruction"),
    "armed_clash": _("armed clash"),
    "armed_presence": _("armed presence"),
    "threat_intimidation": _("threat or intimidation"),
    "child_recruitment": _("child recruitment"),
    "arbitrary_arrest": _("arbitrary arrest"),
    "displacement": _("displacement"),
    "explosive_hazard": _("explosive hazard"),
    "intercommunal_tension": _("intercommunal tension"),
    "other": _("other"),
}
THREAT_TYPES = [(code, THREAT_TYPE_LABELS[code]) for code in taxonomy.THREAT_TYPES]


class Severity(models.TextChoices):
    CRITICAL = "critical", _("critical")
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Responder(models.Model):
    """A unit that can act on an alert."""

    class Kind(models.TextChoices):
        MISSION_COMPANY = "mission_company", _("mission company")
        UN_POLICE = "un_police", _("UN police")
        PARTNER_POLICE = "partner_police", _("partner police")
        LOCAL_AUTHORITY = "local_authority", _("local authority")
        HUMANITARIAN = "humanitarian", _("humanitarian referral")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="responders")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["base", "name"]
        constraints = [
            models.UniqueConstraint(fields=["base", "name"], name="responder_unique_at_base")
        ]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        VERIFIED = "verified", _("verified")
        UNVERIFIED = "unverified", _("unverified")
        FALSE_ALARM = "false_alarm", _("false alarm")
        RESPONDERS_NOTIFIED = "responders_notified", _("responders notified")
        DISPATCHED = "dispatched", _("response dispatched")
        ON_SITE = "on_site", _("on site")
        CLOSED = "closed", _("closed")

    class Outcome(models.TextChoices):
        PREVENTED = "prevented", _("prevented")
        MITIGATED = "mitigated", _("mitigated")
        RESPONSE_TOO_LATE = "response_too_late", _("response too late")
        NO_RESPONSE_POSSIBLE = "no_response_possible", _("no response possible")
        FALSE_ALARM = "false_alarm", _("false alarm")
        DUPLICATE = "duplicate", _("duplicate")

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    threat_type = models.CharField(_("threat type"), max_length=24, choices=THREAT_TYPES)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    base = models.ForeignKey(
        Base, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    routing_reason = models.CharField(max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    received_at = models.DateTimeField(_("received"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    notified_at = models.DateTimeField(_("responders notified"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("response dispatched"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("on site"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    feedback_sent_at = models.DateTimeField(_("feedback sent"), null=True, blank=True)
    closing_note = models.TextField(blank=True)
    fatalities = models.PositiveIntegerField(_("people killed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="alert_open_recent")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"A-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class Report(models.Model):
    class Source(models.TextChoices):
        SMS = "sms", _("SMS")
        MISSED_CALL = "missed_call", _("missed call")
        HOTLINE = "hotline", _("hotline call")
        LIAISON = "liaison", _("liaison assistant")
        WEB = "web", _("web form")
        API = "api", _("API")
        PATROL = "patrol", _("seen on patrol")

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="reports")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="report"
    )
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    threat_type = models.CharField(_("threat type"), max_length=24, choices=THREAT_TYPES)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    triage = models.JSONField(default=dict, blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_text = models.CharField(max_length=200, blank=True)
    place_score = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    grouping_reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["received_at", "lat", "lon"], name="report_space_time")]

    def __str__(self) -> str:
        return f"report {self.pk} of {self.alert_id}"


STEP_LABELS = {
    "received": _("received"),
    "acknowledge": _("acknowledged"),
    "verify": _("verified"),
    "notify_responders": _("responders notified"),
    "dispatch": _("response dispatched"),
    "arrive": _("on site"),
    "close": _("closed"),
    "feedback_sent": _("feedback sent"),
    "place_clarified": _("place clarified by the reporter"),
    "reporter_replied": _("the reporter replied"),
    "merged": _("merged"),
    "split": _("split"),
    "relocated": _("moved to where its reports are"),
    "corrected": _("corrected by a duty officer"),
    "renamed": _("named after a graver report"),
}


class AlertStep(models.Model):
    """The timeline of an alert: every step, who took it, when."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(max_length=24)
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.step}"

    def label(self) -> str:
        return str(STEP_LABELS.get(self.step, self.step))


class Dispatch(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="dispatches")
    responder = models.ForeignKey(Responder, on_delete=models.PROTECT, related_name="dispatches")
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.responder} to {self.alert_id}"


class Clarification(models.Model):
    """A question sent back to the reporter when the place was unclear."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="clarification")
    options = models.JSONField(default=list)  # place ids, in the order offered
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=40, blank=True)
    asked_again_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"clarification of report {self.report_id}"


class CallbackTask(models.Model):
    """A missed call ("beep"): someone must call the reporter back."""

    reporter = models.ForeignKey(Reporter, on_delete=models.PROTECT, related_name="callbacks")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"call back {self.reporter}"


class GroupingState(models.Model):
    """One row, changed in the transaction of every change that grouping reads: a new
    report, a report's place clarified, an alert closed, merged or split.

    Its random ``token`` tells a process whether the index of open alerts it keeps in
    memory still holds (``alerts.live``). Intake locks the row while it decides, so that
    two reports of one incident arriving at the same instant are grouped one after the
    other and cannot both open an alert (on SQLite the write lock already does this).
    """

    token = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return f"grouping state {self.token}"
