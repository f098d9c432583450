"""Events and saved hotspots.

An ``Event`` is one incident as a source recorded it: a row of UCDP GED or ACLED, a
line of a simple CSV, or a verified, closed alert of Ulinzi's own network. Each is
linked to the nearest gazetteer settlement (within ``LINK_KM``), to the province and
territory that contain it, to the nearest community, and to its 0.5-degree grid cell,
so that the reporting matrix, the scan and the forecast group events without any
geometry at query time. ``week`` and ``month`` are stored for the same reason: the
matrix groups 100,000 events on plain indexed columns.

Events are written only by ``threats.domain``; their ``key`` (``ucdp:<id>``,
``acled:<id>``, ``<source>:<id>``, ``alert:<id>``) makes every import idempotent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts.models import THREAT_TYPES
from ulinzi.places.models import Community, Place

MATRIX_COLUMNS = ["threat_type", "month", "week", "date_start", "fatalities"]


class Event(models.Model):
    class DatePrecision(models.TextChoices):
        DAY = "day", _("exact day")
        WEEK = "week", _("within a week")
        MONTH = "month", _("within a month")
        YEAR = "year", _("within a year")
        LONGER = "longer", _("more than a year")

    key = models.CharField(_("source key"), max_length=120, unique=True)
    source = models.CharField(_("source"), max_length=40, db_index=True)
    source_id = models.CharField(_("id at the source"), max_length=80)
    date_start = models.DateField(_("date"), db_index=True)
    date_end = models.DateField(_("end date"))
    date_precision = models.CharField(
        _("date precision"), max_length=8, choices=DatePrecision.choices
    )
    # The week and month the event is dated to, for the matrix; None when its date is
    # coarser (an event known only to the month has no week, one known only to the
    # year neither): it is not counted by week or month in January or its first week.
    week = models.DateField(_("week (Monday)"), null=True, blank=True)
    month = models.DateField(_("month"), null=True, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    location_precision = models.PositiveSmallIntegerField(null=True, blank=True)
    threat_type = models.CharField(_("threat type"), max_length=24, choices=THREAT_TYPES)
    source_type = models.CharField(_("type at the source"), max_length=120, blank=True)
    fatalities = models.PositiveIntegerField(_("fatalities"), default=0)
    place_name = models.CharField(_("place as the source names it"), max_length=300, blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_km = models.FloatField(_("distance to the place (km)"), null=True, blank=True)
    province = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    territory = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    grid_cell = models.PositiveIntegerField(_("0.5-degree grid cell"), db_index=True)
    admin1 = models.CharField(max_length=120, blank=True)
    admin2 = models.CharField(max_length=120, blank=True)
    actors = models.CharField(_("actors"), max_length=400, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    alert = models.OneToOneField(
        "alerts.Alert", null=True, blank=True, on_delete=models.PROTECT, related_name="event"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date_start", "-id"]
        # One covering index per matrix level: the matrix's GROUP BY (area, threat
        # type, month or week) with its date filter reads only the index, in order.
        indexes = [
            models.Index(fields=[*level, *MATRIX_COLUMNS], name=f"event_matrix_{level[0][:4]}")
            for level in (["province"], ["territory"], ["community"])
        ] + [
            # The few events dated too coarsely for a week, which the matrix counts apart.
            models.Index(
                fields=["date_start"], condition=Q(week__isnull=True), name="event_coarse_date"
            )
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} {self.date_start}"

    @property
    def fatal(self) -> bool:
        return self.fatalities > 0


class Hotspot(models.Model):
    """A space-time cluster an analyst saved, as the reason for a patrol or a Joint
    Protection Team mission. The figures are those of the scan that found it."""

    name = models.CharField(_("name"), max_length=160)
    lat = models.FloatField(_("centre latitude"))
    lon = models.FloatField(_("centre longitude"))
    radius_km = models.FloatField(_("radius (km)"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    observed = models.PositiveIntegerField(_("events observed"))
    expected = models.FloatField(_("events expected"))
    llr = models.FloatField(_("log-likelihood ratio"))
    p_value = models.FloatField(_("p-value"))
    recurrence_days = models.FloatField(_("recurrence interval (days)"))
    scan_settings = models.JSONField(_("scan settings"), default=dict)
    events = models.ManyToManyField(Event, related_name="hotspots", blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at", "-id"]
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")

    def __str__(self) -> str:
        return self.name
