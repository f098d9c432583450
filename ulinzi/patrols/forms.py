from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ulinzi.lib.text import digits_only
from ulinzi.patrols.models import SHIFTS, WEEKDAYS, Patrol, PatrolRequest
from ulinzi.places.models import Base, Community, Place

LANGUAGES = [("fr", "Français"), ("sw", "Kiswahili"), ("ln", "Lingala"), ("en", "English")]


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


def no_nul(data: dict[str, Any], form: forms.Form) -> None:
    for name, value in data.items():
        if isinstance(value, str) and "\x00" in value:
            form.add_error(name, _("This field contains a character that is not allowed."))


class RequestForm(forms.Form):
    """One screen: who asks, for what, where, when, how urgent."""

    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    group = forms.CharField(
        label=_("Group asking (e.g. women's association, market committee)"),
        max_length=160,
        required=False,
    )
    kind = forms.ChoiceField(label=_("Kind of patrol"), choices=PatrolRequest.Kind.choices)
    place_id = forms.IntegerField(label=_("Place (gazetteer id)"), required=False)
    route = forms.CharField(
        label=_("Route: place ids in order, separated by commas (route patrols)"),
        max_length=200,
        required=False,
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    shift = forms.ChoiceField(label=_("Shift"), choices=SHIFTS)
    start_time = forms.TimeField(label=_("From"), widget=TimeInput)
    end_time = forms.TimeField(label=_("Until"), widget=TimeInput)
    valid_from = forms.DateField(label=_("First day"), widget=DateInput)
    valid_until = forms.DateField(label=_("Last day"), widget=DateInput)
    per_week = forms.IntegerField(label=_("Patrols a week"), min_value=1, max_value=14)
    priority = forms.IntegerField(
        label=_("Priority, as the community says (1 low - 5 urgent)"), min_value=1, max_value=5
    )
    beneficiaries = forms.IntegerField(
        label=_("People who benefit"), min_value=0, max_value=10_000_000, initial=0
    )
    reason = forms.CharField(
        label=_("Why (incidents, alerts)"), max_length=2000, required=False, widget=forms.Textarea
    )
    phone = forms.CharField(
        label=_("Focal point's number, for the answers (optional)"),
        help_text=_("Left empty, the answers go to the community's registered focal point."),
        max_length=32,
        required=False,
    )
    language = forms.ChoiceField(label=_("Language of the answers"), choices=LANGUAGES)

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        no_nul(data, self)
        community = data.get("community")
        place_id = data.get("place_id")
        place = Place.objects.filter(pk=place_id).first() if place_id else None
        if place is None and community is not None:
            place = community.place
        data["place"] = place
        points = []
        for part in (data.get("route") or "").split(","):
            part = part.strip()
            if not part:
                continue
            point = Place.objects.filter(pk=int(part)).first() if digits_only(part) else None
            if point is None:
                self.add_error("route", _("%(value)s is not a place id.") % {"value": part})
            else:
                points.append(point)
        data["route_places"] = points
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The last day is before the first day."))
        if start and end and (end - start).days > 366:
            self.add_error(
                "valid_until", _("A request covers at most a year; record a new one after.")
            )
        if place is None and "community" not in self.errors:
            self.add_error("place_id", _("No such place."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, in words the community understands"), max_length=300, min_length=5
    )


class InformedForm(forms.Form):
    how = forms.CharField(label=_("How was the community told?"), max_length=300, min_length=3)


class CapacityForm(forms.Form):
    day_teams = forms.IntegerField(label=_("Patrol teams by day"), min_value=0, max_value=50)
    night_teams = forms.IntegerField(label=_("Patrol teams by night"), min_value=0, max_value=50)
    vehicles = forms.IntegerField(label=_("Vehicles"), min_value=0, max_value=200)
    max_km = forms.FloatField(label=_("Farthest patrol (km)"), min_value=1, max_value=500)
    unavailable_days = forms.CharField(
        label=_("Unavailable days (YYYY-MM-DD, separated by commas)"),
        max_length=400,
        required=False,
    )

    def clean_unavailable_days(self) -> list[dt.date]:
        days = []
        for part in (self.cleaned_data.get("unavailable_days") or "").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                days.append(dt.date.fromisoformat(part))
            except ValueError:
                raise forms.ValidationError(
                    _("%(value)s is not a date (YYYY-MM-DD).") % {"value": part[:20]}
                )
        return days


class FixForm(forms.Form):
    request = forms.ModelChoiceField(queryset=PatrolRequest.objects.all())
    base = forms.ModelChoiceField(queryset=Base.objects.all(), to_field_name="code")
    day = forms.DateField(widget=DateInput)
    shift = forms.ChoiceField(choices=SHIFTS)


class RecordForm(forms.Form):
    conducted = forms.TypedChoiceField(
        label=_("Did the patrol go out?"),
        choices=[("1", _("yes")), ("0", _("no"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    not_conducted_reason = forms.CharField(label=_("If not, why"), max_length=300, required=False)
    started_at = forms.TimeField(label=_("Left at"), required=False, widget=TimeInput)
    ended_at = forms.TimeField(label=_("Back at"), required=False, widget=TimeInput)
    route_taken = forms.CharField(label=_("Route taken"), max_length=2000, required=False)
    met_women = forms.IntegerField(label=_("Women met"), min_value=0, max_value=100000, initial=0)
    met_men = forms.IntegerField(label=_("Men met"), min_value=0, max_value=100000, initial=0)
    met_girls = forms.IntegerField(label=_("Girls met"), min_value=0, max_value=100000, initial=0)
    met_boys = forms.IntegerField(label=_("Boys met"), min_value=0, max_value=100000, initial=0)
    authorities_met = forms.CharField(label=_("Authorities met"), max_length=300, required=False)
    observations = forms.CharField(
        label=_("What was observed"), max_length=4000, required=False, widget=forms.Textarea
    )
    concerns = forms.CharField(
        label=_("Concerns raised"), max_length=4000, required=False, widget=forms.Textarea
    )
    incidents = forms.CharField(
        label=_("Incidents seen"), max_length=4000, required=False, widget=forms.Textarea
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        no_nul(data, self)
        if (
            data.get("conducted") is False
            and len((data.get("not_conducted_reason") or "").strip()) < 3
        ):
            self.add_error("not_conducted_reason", _("Say why the patrol did not go out."))
        return data


class IncidentForm(forms.Form):
    text = forms.CharField(label=_("The incident"), max_length=2000, widget=forms.Textarea)


PATROL_STATUSES = Patrol.Status
