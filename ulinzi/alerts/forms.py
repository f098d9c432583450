from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ulinzi.alerts.models import SEVERITY_RANK, THREAT_TYPES, Alert, Report, Responder
from ulinzi.lib.formfields import PhoneNumberField
from ulinzi.lib.languages import LANGUAGE_NAMES
from ulinzi.places.models import Base


def responders_of(base: object) -> QuerySet[Responder]:
    """The units an alert of this base can call on: the base's own."""
    return Responder.objects.filter(active=True, base=base) if base else Responder.objects.none()


def _refuse_nul(form: forms.Form, *names: str) -> dict[str, Any]:
    """The form's cleaned data, with an error on each of ``names`` holding a NUL."""
    data = forms.Form.clean(form) or {}
    for name in names:
        if "\x00" in str(data.get(name) or ""):
            form.add_error(name, _("This field contains a character that is not allowed."))
    return data


class HotlineForm(forms.Form):
    """One screen, keyboard only: what happened, where, who called."""

    source = forms.ChoiceField(
        label=_("Received by"),
        choices=[
            (s, label) for s, label in Report.Source.choices if s in ("hotline", "liaison", "web")
        ],
        initial="hotline",
    )
    text = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
    )
    place_id = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    place = forms.CharField(label=_("Where"), max_length=200, required=False)
    phone = PhoneNumberField(label=_("Caller's number (optional)"), required=False)
    # Offered when the place said may be several: recorded as said, the caller (if a
    # number is given) is asked by SMS which one, and the alert is placed on the answer.
    keep_unclear = forms.BooleanField(
        label=_("Record it as said: the caller is asked by SMS which one"), required=False
    )

    def clean(self) -> dict[str, Any]:
        return _refuse_nul(self, "text", "place", "phone")


class VerifyForm(forms.Form):
    # No result is chosen beforehand: a click on "record" alone must not verify.
    result = forms.ChoiceField(
        label=_("Result"),
        error_messages={"required": _("Choose what the verification found.")},
        choices=[
            ("", _("— choose —")),
            (Alert.Status.VERIFIED, _("verified")),
            (Alert.Status.UNVERIFIED, _("could not be verified")),
            (Alert.Status.FALSE_ALARM, _("false alarm")),
        ],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class NotifyForm(forms.Form):
    responders = forms.ModelMultipleChoiceField(
        label=_("Responders"),
        queryset=Responder.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: object, base: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["responders"].queryset = responders_of(base)  # type: ignore[attr-defined]


class DispatchForm(forms.Form):
    responder = forms.ModelChoiceField(label=_("Responder"), queryset=Responder.objects.none())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(
        self, *args: object, base: object = None, sent: object = None, **kwargs: object
    ) -> None:
        """``sent``: an alert whose units already sent are not offered again (the page
        leaves them out; a posted form names any unit, and is told if it was sent)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        offered = responders_of(base)
        if sent is not None:
            offered = offered.exclude(dispatches__alert=sent)
        self.fields["responder"].queryset = offered  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CloseForm(forms.Form):
    """The outcome, and a few words for the reporters in each of their languages
    (``languages``: the languages the alert's reporters are answered in, with how many)."""

    # None chosen beforehand: the outcome is counted in the figures and told to reporters.
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        error_messages={"required": _("Choose the outcome.")},
        choices=[("", _("— choose —")), *Alert.Outcome.choices],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    fatalities = forms.IntegerField(
        label=_("People killed, if known"), min_value=0, max_value=100000, required=False
    )

    def __init__(self, *args: Any, languages: Sequence[tuple[str, int]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.languages = [language for language, _n in languages]
        for language, n in languages:
            self.fields[f"feedback_{language}"] = forms.CharField(
                label=_("Words for the reporters in %(language)s (%(n)s)")
                % {"language": LANGUAGE_NAMES.get(language, language), "n": n},
                max_length=100,
                required=False,
            )

    def feedback(self) -> dict[str, str]:
        """The words for the reporters, by language."""
        return {
            language: self.cleaned_data.get(f"feedback_{language}", "").strip()
            for language in self.languages
        }


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need the number?"), max_length=200)


class CallbackForm(forms.Form):
    text = forms.CharField(label=_("Reason, or what came of the call"), max_length=300)


class ResponderForm(forms.Form):
    """A unit a base's alerts can call on."""

    base = forms.ModelChoiceField(
        label=_("Base"), queryset=Base.objects.none(), to_field_name="code"
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Responder.Kind.choices)

    def __init__(self, *args: Any, bases: QuerySet[Base], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base"].queryset = bases  # type: ignore[attr-defined]
        if len(bases) == 1:  # the only base is the one meant
            self.fields["base"].empty_label = None  # type: ignore[attr-defined]


class CorrectForm(forms.Form):
    """What a duty officer overrides: threat type, severity, place (each left as it is
    when not changed)."""

    threat_type = forms.ChoiceField(label=_("Threat type"), choices=THREAT_TYPES)
    severity = forms.ChoiceField(label=_("Severity"), choices=[(s, _(s)) for s in SEVERITY_RANK])
    place_id = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    note = forms.CharField(label=_("Why"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        return _refuse_nul(self, "place", "note")
