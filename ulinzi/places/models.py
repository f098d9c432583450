"""Gazetteer, communities and bases.

A ``Place`` is a gazetteer entry: an admin area (province, territory, health zone,
health area) or a settlement (town, village, camp, quarter). Each place points to
the areas that contain it, which is what area scope is checked against: a user
scoped to Beni territory sees every place whose ``territory`` is Beni.

Places are written only by ``places.domain`` (imports); their ``key`` is stable
across re-imports (``pcode:CD6109``, ``grid3:pnlp_…``, ``geonames:…``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ulinzi.places.records import PlaceRecord


class Place(models.Model):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("country")
        PROVINCE = "province", _("province")
        TERRITORY = "territory", _("territory")
        HEALTH_ZONE = "health_zone", _("health zone")
        HEALTH_AREA = "health_area", _("health area")
        TOWN = "town", _("town")
        VILLAGE = "village", _("village")
        CAMP = "camp", _("camp")
        QUARTER = "quarter", _("quarter")
        OTHER = "other", _("other")

    key = models.CharField(_("source key"), max_length=160, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    country = models.CharField(_("country"), max_length=2, default="CD")
    pcode = models.CharField(_("P-code"), max_length=20, null=True, blank=True, unique=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    alt_names = models.JSONField(_("alternate names"), default=list, blank=True)
    province = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    territory = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    health_zone = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    health_area = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    geometry = models.JSONField(_("boundary"), null=True, blank=True)
    details = models.JSONField(_("source details"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return self.name

    ANCESTOR_FIELDS = ("province", "territory", "health_zone", "health_area")

    @property
    def ancestor_ids(self) -> list[int]:
        return [i for i in (getattr(self, f"{f}_id") for f in self.ANCESTOR_FIELDS) if i]

    def admin_path(self, names: dict[int, str] | None = None) -> str:
        ancestors = self.ancestor_ids
        if names is None:
            names = dict(Place.objects.filter(pk__in=ancestors).values_list("pk", "name"))
        return " › ".join(names[i] for i in ancestors if i in names)

    def admin_pcode(self) -> str | None:
        """The place's own P-code, or that of the smallest admin area that has one."""
        if self.pcode:
            return self.pcode
        for field in ("territory", "province"):
            parent_id = getattr(self, f"{field}_id")
            if parent_id:
                code = Place.objects.filter(pk=parent_id).values_list("pcode", flat=True).first()
                if code:
                    return code
        return None

    def as_record(self, names: dict[int, str]) -> PlaceRecord:
        ancestors = self.ancestor_ids
        return PlaceRecord(
            id=self.pk,
            name=self.name,
            kind=self.kind,
            lat=self.lat,
            lon=self.lon,
            alt_names=tuple(self.alt_names or ()),
            admin_names=tuple(names[i] for i in ancestors if i in names),
            admin_ids=tuple(ancestors),
            population=self.population,
            pcode=self.pcode,
            country=self.country,
        )


class GazetteerState(models.Model):
    """One row: changed by every import, so matchers know to rebuild.

    The random ``token`` makes the state unique to this database's history: a counter
    alone can repeat (a restored backup, a test database rebuilt) while the places
    behind it differ, and a cached matcher would then answer with ids that do not exist.
    """

    version = models.PositiveIntegerField(default=0)
    token = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return f"gazetteer version {self.version}"


class Base(models.Model):
    """A mission location with responders and an area of responsibility."""

    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("headquarters")
        FIELD_OFFICE = "field_office", _("field office")
        COMPANY_BASE = "company_base", _("company operating base")
        TEAM_SITE = "team_site", _("team site")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", null=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    areas = models.ManyToManyField(
        Place, related_name="bases", verbose_name=_("area of responsibility"), blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("base")
        verbose_name_plural = _("bases")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A population the mission engages with, at a place."""

    name = models.CharField(_("name"), max_length=160)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="communities")
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [
            models.UniqueConstraint(fields=["name", "place"], name="community_unique_at_place")
        ]

    def __str__(self) -> str:
        return self.name
