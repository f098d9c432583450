"""Phone numbers as gateways send them, to E.164 (no Django import)."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


def normalise(raw: str, default_region: str = "CD") -> str:
    """``+243971234567`` from '+243 97 123 4567', '0971234567', 'tel:243971234567'…

    Raises ``InvalidPhoneNumber`` with a reason a person understands.
    """
    text = (raw or "").strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if not text:
        raise InvalidPhoneNumber("the phone number is empty")
    if len(text) > 32 or "\x00" in text:
        raise InvalidPhoneNumber("this is not a phone number")
    digits = "".join(c for c in text if c.isdigit())
    if text[0] != "+" and digits.startswith("00"):
        text, digits = "+" + digits[2:], digits[2:]
    try:
        parsed = phonenumbers.parse(text, default_region)
        if not phonenumbers.is_possible_number(parsed) and text[0] != "+":
            # Some gateways drop the '+' of an international number.
            parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("this is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        # Never echo the value: error messages end up in logs and gateway responses.
        raise InvalidPhoneNumber("this does not have the length of a phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def typed_number(raw: str, default_region: str = "CD") -> str:
    """A number a person typed in a form, in E.164: stricter than what a gateway sends
    (``normalise``). No letters ("0971 23 45 xx" is a typo, not a vanity number), and
    a number of a known range of its country, so that answers are not sent into the
    void. Raises ``InvalidPhoneNumber``."""
    if any(c.isalpha() for c in (raw or "").strip().removeprefix("tel:")):
        raise InvalidPhoneNumber("a phone number has no letters")
    number = normalise(raw, default_region)
    if not phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
        raise InvalidPhoneNumber("this is not a valid phone number: check its digits")
    return number
