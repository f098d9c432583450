"""Indicators defined as data, and initiatives measured by them.

An ``Indicator`` names its numerator and denominator among the measures of
``indicators.engine.MEASURES`` (counts of alerts, patrol requests, events,
commitments, population, survey answers), a factor (100 for a percentage, 10,000 for a
rate per 10,000 people), a disaggregation, a target, a baseline and a polarity. The
engine computes it per month (or per survey round) in the user's area.

An ``Initiative`` ("firewood patrols around a camp", "new alert network in Beni
territory") records its objectives, the communities it covers, when it started, its
indicators with their baseline and target, and the comparison communities its impact
is estimated against.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ulinzi.places.models import Community


class Indicator(models.Model):
    class Polarity(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    numerator = models.CharField(_("numerator"), max_length=60)
    denominator = models.CharField(_("denominator"), max_length=60, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    factor = models.FloatField(_("factor"), default=100.0)
    unit = models.CharField(_("unit"), max_length=40, default="%")
    disaggregation = models.CharField(_("disaggregated by"), max_length=40, blank=True)
    target = models.FloatField(_("target"), null=True, blank=True)
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    polarity = models.CharField(max_length=6, choices=Polarity.choices, default=Polarity.HIGHER)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    def label(self) -> str:
        """The name in the reader's language while it is the standard one; as written once
        a mission has renamed it."""
        return self._said(self.name, 0)

    def unit_suffix(self) -> str:
        """What follows a value: ``%`` right after it, any other unit after a space."""
        return "%" if self.unit == "%" else f" {self._said(self.unit, 1)}"

    def _said(self, words: str, field: int) -> str:
        from ulinzi.indicators.standard import WORDS

        standard = WORDS.get(self.code)
        return gettext(words) if standard is not None and standard[field] == words else words


class Initiative(models.Model):
    name = models.CharField(_("name"), max_length=200)
    objectives = models.TextField(_("objectives"))
    communities = models.ManyToManyField(Community, related_name="initiatives")
    comparison = models.ManyToManyField(Community, related_name="+", blank=True)
    started = models.DateField(_("started"))
    indicators = models.ManyToManyField(Indicator, through="InitiativeIndicator")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started", "name"]

    def __str__(self) -> str:
        return self.name


class InitiativeIndicator(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT)
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    target = models.FloatField(_("target"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["initiative", "indicator"], name="initiative_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.indicator}"
