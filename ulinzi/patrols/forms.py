from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts.models import Alert, CallbackTask
from ulinzi.alerts.queries import alerts_named
from ulinzi.lib.formfields import DateInput, PhoneNumberField, TimeInput
from ulinzi.lib.languages import LANGUAGE_CHOICES
from ulinzi.patrols.models import SHIFTS, WEEKDAYS, Patrol, PatrolRequest
from ulinzi.patrols.texts import KINDS
from ulinzi.places.models import Base, Community, Place
from ulinzi.places.queries import matched_place, pick_place, unclear_place
from ulinzi.threats.models import Hotspot

# The languages patrol answers are written in.
LANGUAGES = [(code, name) for code, name in LANGUAGE_CHOICES if code in KINDS]


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
    place = forms.CharField(
        label=_("Place (empty: the community's own)"),
        help_text=_("Type a name and choose it among the places found, or give its id (#123)."),
        max_length=200,
        required=False,
    )
    place_id = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    route = forms.CharField(
        label=_("Route: the places after it, in order, separated by commas (route patrols)"),
        help_text=_("Names or ids, e.g. Mbau, Kokola, #7835."),
        max_length=400,
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
        label=_("Why, in the community's words"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    alerts = forms.CharField(
        label=_("Alerts behind the request (references, e.g. A-12, A-40)"),
        max_length=400,
        required=False,
    )
    hotspots = forms.ModelMultipleChoiceField(
        label=_("Hotspots behind the request"),
        queryset=Hotspot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    callback = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    phone = PhoneNumberField(
        label=_("Focal point's number, for the answers (optional)"),
        help_text=_(
            "Left empty, the answers go to whoever asked by SMS, else to the community's "
            "registered focal point."
        ),
        max_length=32,
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language of the answers"),
        choices=[("", _("the language of the person answered")), *LANGUAGES],
        required=False,
        help_text=_(
            "Left so, the answers go in the language of the number given, of the SMS "
            "request, or of the community's focal point."
        ),
    )

    def __init__(
        self,
        *args: Any,
        communities: Any = None,
        alerts: Any = None,
        hotspots: Any = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> None:
        """``communities``, ``alerts``, ``hotspots`` and ``callbacks``: those the user may
        see (nothing else is accepted)."""
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.visible_alerts = alerts if alerts is not None else Alert.objects.none()
        self.visible_callbacks = callbacks if callbacks is not None else CallbackTask.objects.none()
        if hotspots is not None:
            self.fields["hotspots"].queryset = hotspots  # type: ignore[attr-defined]
        if not self.fields["hotspots"].queryset.exists():  # type: ignore[attr-defined]
            del self.fields["hotspots"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        no_nul(data, self)
        community = data.get("community")
        near = community.place.name if community is not None else None
        place = self._place(data, near)
        data["place"] = place
        data["route_places"] = self._route(data.get("route") or "", near)
        data["alert_list"] = self._alerts(data.get("alerts") or "")
        data.setdefault("hotspots", [])
        data["callback_task"] = None
        if data.get("callback"):
            data["callback_task"] = self.visible_callbacks.filter(
                pk=data["callback"], done_at__isnull=True
            ).first()
            if data["callback_task"] is None:
                self.add_error(None, _("This call-back is done already, or not yours to handle."))
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The last day is before the first day."))
        if start and end and (end - start).days > 366:
            self.add_error(
                "valid_until", _("A request covers at most a year; record a new one after.")
            )
        return data

    def _place(self, data: dict[str, Any], near: str | None) -> Place | None:
        """The place chosen in the list (its id), else the one typed, else the
        community's own."""
        if data.get("place_id"):
            found = matched_place(data["place_id"])
            if found is None:
                self.add_error("place", _("No such place."))
            return found
        typed = data.get("place") or ""
        if not typed:
            community = data.get("community")
            return community.place if community is not None else None
        found, choices = pick_place(typed, hint=near)
        if found is None:
            self.add_error("place", unclear_place(typed, choices))
        return found

    def _route(self, text: str, near: str | None) -> list[Place]:
        points = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            found, choices = pick_place(part, hint=near)
            if found is None:
                self.add_error("route", unclear_place(part, choices))
            else:
                points.append(found)
        return points

    def _alerts(self, text: str) -> list[Alert]:
        found, errors = alerts_named(text, self.visible_alerts)
        for error in errors:
            self.add_error("alerts", error)
        return found


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
    request = forms.ModelChoiceField(queryset=PatrolRequest.objects.none())
    base = forms.ModelChoiceField(queryset=Base.objects.none(), to_field_name="code")
    day = forms.DateField(widget=DateInput)
    shift = forms.ChoiceField(choices=SHIFTS)

    def __init__(self, *args: Any, requests: Any, bases: Any, **kwargs: Any) -> None:
        """``requests`` and ``bases``: those the user plans for."""
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = requests  # type: ignore[attr-defined]
        self.fields["base"].queryset = bases  # type: ignore[attr-defined]


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


INCIDENT_MAX = 2000  # what a report of the alert network holds


class IncidentForm(forms.Form):
    text = forms.CharField(label=_("The incident"), max_length=INCIDENT_MAX, widget=forms.Textarea)


PATROL_STATUSES = Patrol.Status
