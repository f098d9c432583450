"""Patrols communities ask for, what each base can do, the weekly plan and the record of
each patrol.

A ``PatrolRequest`` is a community's request (with its group, kind, place or route,
time window and priority as the community states it); it goes
``received → accepted | declined → scheduled → done | partly done | not done →
community informed``. A ``Patrol`` is one request's visit on one day and shift from one
base: proposed by a ``WeeklyPlan`` (or fixed by the officer), then recorded after it went
out (or did not). An ``Outing`` is one team of the base out in that day and shift, on
foot or by vehicle: it makes one or more of those visits, in order (``Patrol.stop``).
Every change goes through ``patrols.domain``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts.models import Alert
from ulinzi.messaging.models import Message, Reporter
from ulinzi.places.models import Base, Community, Place

SHIFTS = [("day", _("day")), ("night", _("night"))]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Capacity(models.Model):
    """What a base can do: teams per day and per night shift, its reach, its days off."""

    base = models.OneToOneField(Base, on_delete=models.CASCADE, related_name="capacity")
    day_teams = models.PositiveSmallIntegerField(_("patrol teams by day"), default=2)
    night_teams = models.PositiveSmallIntegerField(_("patrol teams by night"), default=1)
    vehicles = models.PositiveSmallIntegerField(_("vehicles"), default=2)
    max_km = models.FloatField(_("farthest patrol (km)"), default=40.0)
    unavailable_days = models.JSONField(_("unavailable days"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("base capacity")
        verbose_name_plural = _("base capacities")

    def __str__(self) -> str:
        return f"{self.base}: {self.day_teams} day / {self.night_teams} night"


class PatrolRequest(models.Model):
    class Kind(models.TextChoices):
        NIGHT = "night", _("night patrol")
        MARKET = "market", _("market patrol")
        FIREWOOD = "firewood", _("firewood patrol")
        WATER_POINT = "water_point", _("water point patrol")
        ROUTE = "route", _("route patrol")
        ESCORT = "escort", _("escort")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        SCHEDULED = "scheduled", _("scheduled")
        DONE = "done", _("done")
        PARTLY_DONE = "partly_done", _("partly done")
        NOT_DONE = "not_done", _("not done")
        INFORMED = "informed", _("community informed")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="patrol_requests"
    )
    group = models.CharField(_("group asking"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    route = models.ManyToManyField(Place, related_name="+", blank=True, through="RoutePoint")
    weekdays = models.JSONField(_("days"), default=list)
    shift = models.CharField(_("shift"), max_length=5, choices=SHIFTS)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    valid_from = models.DateField(_("first day"))
    valid_until = models.DateField(_("last day"))
    per_week = models.PositiveSmallIntegerField(_("patrols a week"))
    priority = models.PositiveSmallIntegerField(_("priority (1-5, as the community says)"))
    beneficiaries = models.PositiveIntegerField(_("people who benefit"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    alerts = models.ManyToManyField(Alert, related_name="patrol_requests", blank=True)
    hotspots = models.ManyToManyField("threats.Hotspot", related_name="patrol_requests", blank=True)
    focal_point = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.PROTECT, related_name="patrol_requests"
    )
    language = models.CharField(_("language of the answers"), max_length=8, default="fr")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    outcome = models.CharField(_("outcome"), max_length=12, blank=True)
    decline_reason = models.CharField(_("why declined"), max_length=300, blank=True)
    weeks_unmet = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(_("received"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    first_patrol_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    informed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("patrol request")
        verbose_name_plural = _("patrol requests")

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"P-{self.pk}"

    def route_places(self) -> list[Place]:
        """The route's places after the request's own, in order (``ROUTE_PLACES`` prefetches
        them for many requests)."""
        return [p.place for p in self.route_points.all()]


class RoutePoint(models.Model):
    request = models.ForeignKey(
        PatrolRequest, on_delete=models.CASCADE, related_name="route_points"
    )
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="route_point_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.place}"


class WeeklyPlan(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")

    week_start = models.DateField(_("week of"), unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    value = models.FloatField(default=0)
    greedy_value = models.FloatField(default=0)
    solver_status = models.CharField(max_length=12, blank=True)
    solve_s = models.FloatField(default=0)
    explanations = models.JSONField(default=dict)  # request id -> reasons, in English
    # The same in the interface's other languages: language -> request id -> reasons.
    said = models.JSONField(default=dict, blank=True)
    planned_at = models.DateTimeField()
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # What each request's community was told at the week's last approval: request id ->
    # the days announced (ISO dates), [] for a request left out (its week counted unmet).
    # A plan approved again after a re-plan tells only what changed.
    told = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"plan for the week of {self.week_start}"

    def solver_said(self) -> str:
        """How the planner ended, in the reader's language."""
        return str(SOLVER_STATUSES.get(self.solver_status, self.solver_status))


#: The planner's end (``planner.Plan.status``), in words.
SOLVER_STATUSES = {
    "optimal": _("proven optimal"),
    "feasible": _("the best found in the time allowed, not proven optimal"),
    "greedy": _("highest value first: the solver found no plan in the time allowed"),
}


class Outing(models.Model):
    """One team of a base out in one day and shift: it visits its patrols' requests in
    the order of ``Patrol.stop``, on foot or with one of the base's vehicles. A base's
    outings in one day and shift are at most its teams for that shift (and those by vehicle
    at most its vehicles), as the planner chose them; ``km`` and ``hours`` are the
    planned route's (road km base to base, travel plus stays), unknown (``None``) before
    the planner saw it."""

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="outings")
    plan = models.ForeignKey(
        WeeklyPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="outings"
    )
    day = models.DateField(_("day"), db_index=True)
    shift = models.CharField(_("shift"), max_length=5, choices=SHIFTS)
    by_vehicle = models.BooleanField(_("by vehicle"), default=False)
    km = models.FloatField(_("route (km)"), null=True, blank=True)
    hours = models.FloatField(_("hours out"), null=True, blank=True)
    # When a plan holding this outing was approved (the team was told to go); an outing on
    # a day past that was never approved, nor fixed, did not happen.
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        ordering = ["day", "shift", "base", "pk"]

    def __str__(self) -> str:
        how = "vehicle" if self.by_vehicle else "on foot"
        return f"{self.base} {self.day} {self.shift} ({how})"


class Patrol(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        CONDUCTED = "conducted", _("conducted")
        NOT_CONDUCTED = "not_conducted", _("not conducted")

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="patrols")
    request = models.ForeignKey(
        PatrolRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="patrols"
    )
    plan = models.ForeignKey(
        WeeklyPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="patrols"
    )
    # The team outing that makes this visit, and its place in the outing's route (0 first).
    outing = models.ForeignKey(Outing, on_delete=models.PROTECT, related_name="patrols")
    stop = models.PositiveSmallIntegerField(_("stop"), default=0)
    # When the team is due, for a visit of an outing to several requests, one of which
    # asked for hours: the planner's schedule (clock time; a night's small hours are the
    # morning after ``day``).
    due_at = models.TimeField(_("due at"), null=True, blank=True)
    day = models.DateField(_("day"), db_index=True)
    shift = models.CharField(_("shift"), max_length=5, choices=SHIFTS)
    kind = models.CharField(_("kind"), max_length=12, choices=PatrolRequest.Kind.choices)
    fixed = models.BooleanField(_("decided by the officer"), default=False)
    km = models.FloatField(_("distance from the base (km)"), default=0)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PLANNED)
    # The record, after the patrol.
    not_conducted_reason = models.CharField(_("why not"), max_length=300, blank=True)
    started_at = models.TimeField(_("left"), null=True, blank=True)
    ended_at = models.TimeField(_("back"), null=True, blank=True)
    route_taken = models.TextField(_("route taken"), blank=True)
    met_women = models.PositiveIntegerField(_("women met"), default=0)
    met_men = models.PositiveIntegerField(_("men met"), default=0)
    met_girls = models.PositiveIntegerField(_("girls met"), default=0)
    met_boys = models.PositiveIntegerField(_("boys met"), default=0)
    authorities_met = models.CharField(_("authorities met"), max_length=300, blank=True)
    observations = models.TextField(_("what was observed"), blank=True)
    concerns = models.TextField(_("concerns raised"), blank=True)
    incidents = models.TextField(_("incidents seen"), blank=True)
    incident_alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["day", "shift", "base"]

    def __str__(self) -> str:
        return f"{self.base} {self.day} {self.shift}"


class Answer(models.Model):
    """What the requesting community was told, and when (the SMS, when one went)."""

    request = models.ForeignKey(PatrolRequest, on_delete=models.CASCADE, related_name="answers")
    status = models.CharField(max_length=12)
    text = models.CharField(max_length=480)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.status}: {self.text}"


#: Prefetch of every request's route places, in order (see ``PatrolRequest.route_places``).
ROUTE_PLACES = models.Prefetch("route_points", queryset=RoutePoint.objects.select_related("place"))
