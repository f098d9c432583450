"""Form fields several apps' forms share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ulinzi.lib.phone import InvalidPhoneNumber, typed_number


class PhoneNumberField(forms.CharField):  # type: ignore[misc]
    """A phone number typed by a person: cleaned to E.164, or refused with a reason."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text: str = super().clean(value)
        if not text:
            return text
        if "\x00" in text:
            raise forms.ValidationError(_("This field contains a character that is not allowed."))
        try:
            return typed_number(text)
        except InvalidPhoneNumber:
            raise forms.ValidationError(
                _("This is not a valid phone number: check its digits.")
            ) from None


# The browser's own pickers. Their value is always written the ISO way, whatever the
# reader's language: a French "07/12/2026" is refused by the browser, and the field
# shows empty. (Django reads the ISO forms back in every language.)


class DateInput(forms.DateInput):  # type: ignore[misc]
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):  # type: ignore[misc]
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class DateTimeInput(forms.DateTimeInput):  # type: ignore[misc]
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
