from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ulinzi.alerts.models import THREAT_TYPES
from ulinzi.lib.formfields import DateInput
from ulinzi.threats.queries import Filters

LEVEL_CHOICES = [
    ("province", _("province")),
    ("territory", _("territory")),
    ("community", _("community")),
]
PERIOD_CHOICES = [
    ("week", pgettext_lazy("period", "week")),
    ("month", pgettext_lazy("period", "month")),
    ("quarter", pgettext_lazy("period", "quarter")),
]


class MatrixForm(forms.Form):
    """The matrix's filters, from the query string. Every field is optional."""

    level = forms.ChoiceField(label=_("Places"), choices=LEVEL_CHOICES, required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    source = forms.CharField(label=_("Source"), max_length=40, required=False)
    threat_type = forms.ChoiceField(
        label=_("Threat"), choices=[("", _("all"))] + THREAT_TYPES, required=False
    )
    base = forms.SlugField(label=_("Base area"), max_length=40, required=False)
    # 0: the events linked to no area at the level chosen (queries.NO_AREA)
    area = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=0, max_value=2**63 - 1
    )
    # A matrix cell's events: only those dated to its week or month (queries.Filters)
    dated_to = forms.ChoiceField(
        choices=[("", ""), ("week", "week"), ("month", "month")],
        required=False,
        widget=forms.HiddenInput,
    )

    def clean_source(self) -> str:
        value: str = self.cleaned_data.get("source") or ""
        if "\x00" in value:
            raise forms.ValidationError(_("This field contains a character that is not allowed."))
        return value.strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day and not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
                self.add_error(name, _("Give a date between 1900 and 2100."))
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        return Filters(
            level=data.get("level") or "territory",
            period=data.get("period") or "month",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            source=data.get("source") or "",
            threat_type=data.get("threat_type") or "",
            base=data.get("base") or "",
            area=data.get("area"),
            dated_to=data.get("dated_to") or "",
        )


class ScanForm(forms.Form):
    SOURCES = [("both", _("events and alerts")), ("events", _("events")), ("alerts", _("alerts"))]

    date_to = forms.DateField(label=_("Analysis date"), required=False, widget=DateInput)
    max_days = forms.IntegerField(label=_("Longest window (days)"), min_value=1, max_value=365)
    max_radius_km = forms.FloatField(label=_("Largest radius (km)"), min_value=0.5, max_value=200)
    replicates = forms.IntegerField(label=_("Replicates"), min_value=9, max_value=9999)
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=2**31 - 1)
    events = forms.ChoiceField(label=_("Scan"), choices=SOURCES)
    threat_type = forms.ChoiceField(
        label=_("Threat"), choices=[("", _("all"))] + THREAT_TYPES, required=False
    )


class HotspotForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    note = forms.CharField(
        label=_("Why it matters"), max_length=2000, required=False, widget=forms.Textarea
    )
    # The cluster, named by what it holds (views._fingerprint).
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("name", "note"):
            if "\x00" in str(data.get(name) or ""):
                self.add_error(name, _("This field contains a character that is not allowed."))
        return data
