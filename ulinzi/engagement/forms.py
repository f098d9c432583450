from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts.models import THREAT_TYPES, Alert
from ulinzi.alerts.queries import alerts_named
from ulinzi.engagement.models import FocalPoint, JptMember, Meeting, StaffMember
from ulinzi.lib.formfields import DateInput, DateTimeInput, PhoneNumberField
from ulinzi.lib.languages import LANGUAGE_CHOICES
from ulinzi.places.models import Base, Community
from ulinzi.threats.models import Hotspot


class CleanForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("This field contains a character that is not allowed."))
        return data


class StaffForm(CleanForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    role = forms.ChoiceField(label=_("Role"), choices=StaffMember.Role.choices)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("f", _("female")), ("m", _("male"))])
    base = forms.ModelChoiceField(label=_("Base"), queryset=Base.objects.order_by("name"))
    speaks = forms.MultipleChoiceField(
        label=_("Languages spoken"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    reads = forms.MultipleChoiceField(
        label=_("Languages read"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities covered"), queryset=Community.objects.none(), required=False
    )
    phone = forms.BooleanField(label=_("Has a phone"), required=False, initial=True)
    radio = forms.BooleanField(label=_("Has a radio"), required=False)
    available = forms.BooleanField(label=_("Available"), required=False, initial=True)
    availability = forms.CharField(label=_("Availability"), max_length=200, required=False)

    def __init__(
        self, *args: Any, communities: Any = None, bases: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["communities"].queryset = communities  # type: ignore[attr-defined]
        if bases is not None:
            self.fields["base"].queryset = bases  # type: ignore[attr-defined]


class FocalPointForm(CleanForm):
    phone = PhoneNumberField(label=_("Phone number"))
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=FocalPoint.Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities  # type: ignore[attr-defined]


CONCERN_ROWS = 3
COMMITMENT_ROWS = 3


class MeetingForm(CleanForm):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    women = forms.IntegerField(label=_("Women"), min_value=0, max_value=100000, initial=0)
    men = forms.IntegerField(label=_("Men"), min_value=0, max_value=100000, initial=0)
    girls = forms.IntegerField(label=_("Girls"), min_value=0, max_value=100000, initial=0)
    boys = forms.IntegerField(label=_("Boys"), min_value=0, max_value=100000, initial=0)
    groups = forms.CharField(label=_("Groups present"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea
    )

    def __init__(
        self, *args: Any, communities: Any = None, owners: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        types = [("", "—")] + THREAT_TYPES
        for i in range(CONCERN_ROWS):
            self.fields[f"concern_{i}_type"] = forms.ChoiceField(
                label=_("Concern %(n)s: threat") % {"n": i + 1}, choices=types, required=False
            )
            self.fields[f"concern_{i}_text"] = forms.CharField(
                label=_("Concern %(n)s: in their words") % {"n": i + 1},
                max_length=500,
                required=False,
            )
        for i in range(COMMITMENT_ROWS):
            self.fields[f"commitment_{i}_what"] = forms.CharField(
                label=_("Commitment %(n)s: what the mission will do") % {"n": i + 1},
                max_length=500,
                required=False,
            )
            self.fields[f"commitment_{i}_owner"] = forms.ModelChoiceField(
                label=_("Commitment %(n)s: who") % {"n": i + 1},
                queryset=owners,
                required=False,
            )
            self.fields[f"commitment_{i}_due"] = forms.DateField(
                label=_("Commitment %(n)s: by") % {"n": i + 1}, required=False, widget=DateInput
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        concerns = []
        for i in range(CONCERN_ROWS):
            text = (data.get(f"concern_{i}_text") or "").strip()
            if text:
                concerns.append((data.get(f"concern_{i}_type") or "", text))
        commitments = []
        for i in range(COMMITMENT_ROWS):
            what = (data.get(f"commitment_{i}_what") or "").strip()
            owner, due = data.get(f"commitment_{i}_owner"), data.get(f"commitment_{i}_due")
            if what and (owner is None or due is None):
                self.add_error(f"commitment_{i}_what", _("A commitment needs who and by when."))
            elif what:
                commitments.append((owner, what, due))
        data["concerns"], data["commitments"] = concerns, commitments
        return data


class CloseCommitmentForm(CleanForm):
    kept = forms.TypedChoiceField(
        label=_("Kept?"),
        choices=[("1", _("kept")), ("0", _("not kept"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("What was done"), max_length=500, min_length=3)


def _components() -> str:
    """The components a team member may come from, for the team field's help."""
    return gettext("Components: %(list)s") % {
        "list": ", ".join(c for c, _label in JptMember.Component.choices)
    }


class JptForm(CleanForm):
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("Until"), widget=DateInput)
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities to visit"), queryset=Community.objects.none()
    )
    hotspot = forms.IntegerField(
        label=_("Hotspot (id, optional)"), required=False, min_value=1, max_value=2**63 - 1
    )
    alerts = forms.CharField(
        label=_("Alerts (references such as A-12, separated by commas)"),
        max_length=300,
        required=False,
    )
    team = forms.CharField(
        label=_("Team: one member a line, 'name; component'"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=lazy(_components, str)(),  # in the reader's language, not the server's
    )

    def __init__(
        self,
        *args: Any,
        communities: Any = None,
        alerts: Any = None,
        hotspots: Any = None,
        **kwargs: Any,
    ) -> None:
        """``communities``, ``alerts`` and ``hotspots``: those the user may see."""
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["communities"].queryset = communities  # type: ignore[attr-defined]
        self.visible_alerts = alerts if alerts is not None else Alert.objects.none()
        self.visible_hotspots = hotspots if hotspots is not None else Hotspot.objects.none()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        members = []
        for n, line in enumerate((data.get("team") or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, component = line.partition(";")
            component = component.strip().lower().replace(" ", "_")
            if not name.strip() or component not in JptMember.Component.values:
                self.add_error(
                    "team",
                    _("Line %(n)s: write 'name; component' with a component from the list.")
                    % {"n": n},
                )
            else:
                members.append((name.strip(), component))
        data["members"] = members
        data["alert_list"], errors = alerts_named(data.get("alerts") or "", self.visible_alerts)
        for error in errors:
            self.add_error("alerts", error)
        data["hotspot_found"] = None
        if data.get("hotspot"):
            data["hotspot_found"] = self.visible_hotspots.filter(pk=data["hotspot"]).first()
            if data["hotspot_found"] is None:
                self.add_error("hotspot", _("No saved hotspot you can see has this id."))
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The mission ends before it starts."))
        return data


class FindingForm(CleanForm):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    finding = forms.CharField(
        label=_("What the team found"), widget=forms.Textarea, max_length=5000
    )
    recommendation = forms.CharField(label=_("Recommendation"), max_length=500, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)  # type: ignore[arg-type]
    due = forms.DateField(label=_("By"), required=False, widget=DateInput)

    def __init__(
        self, *args: Any, communities: Any = None, owners: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("recommendation") and (not data.get("owner") or not data.get("due")):
            self.add_error("recommendation", _("A recommendation needs an owner and a date."))
        return data


def broadcast_text(label: Any, rtl: bool = False) -> forms.CharField:
    """The broadcast's text in one language (optional: at least one is required)."""
    attrs = {"rows": 3, **({"dir": "rtl"} if rtl else {})}
    return forms.CharField(
        label=label, max_length=1000, required=False, widget=forms.Textarea(attrs=attrs)
    )


class BroadcastForm(CleanForm):
    title = forms.CharField(label=_("Title"), max_length=160)
    text_fr = broadcast_text(_("Text in French"))
    text_sw = broadcast_text(_("Text in Swahili"))
    text_ln = broadcast_text(_("Text in Lingala"))
    text_en = broadcast_text(_("Text in English"))
    text_ar = broadcast_text(_("Text in Arabic"), rtl=True)
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities"), queryset=Community.objects.none(), required=False
    )
    area_pcodes = forms.CharField(
        label=_("Areas (P-codes, separated by commas)"), max_length=300, required=False
    )
    languages = forms.MultipleChoiceField(
        label=_("Only these languages"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label=_("Only these focal points"),
        choices=FocalPoint.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    send_at = forms.DateTimeField(label=_("Send at"), widget=DateTimeInput)

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["communities"].queryset = communities  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        from ulinzi.places.models import Place

        data = super().clean()
        texts = {code: data.get(f"text_{code}") or "" for code in ("fr", "sw", "ln", "en", "ar")}
        data["texts"] = {k: v for k, v in texts.items() if v.strip()}
        if not data["texts"]:
            self.add_error("text_fr", _("Write the message in at least one language."))
        areas = []
        for code in (data.get("area_pcodes") or "").split(","):
            code = code.strip().upper()
            if code:
                place = Place.objects.filter(pcode=code).first()
                if place is None:
                    self.add_error(
                        "area_pcodes", _("No area has the P-code %(code)s.") % {"code": code}
                    )
                else:
                    areas.append(place)
        data["areas"] = areas
        if not areas and not data.get("communities"):
            self.add_error("communities", _("Choose the communities or areas to reach."))
        return data


class AutoReplyForm(CleanForm):
    keyword = forms.CharField(label=_("Keyword"), max_length=20)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    text = forms.CharField(
        label=_("Answer"), max_length=480, widget=forms.Textarea(attrs={"rows": 2})
    )
