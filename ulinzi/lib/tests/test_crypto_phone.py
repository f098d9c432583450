"""Reporters' numbers: encrypted, indexed without the number, shown as pseudonyms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulinzi.lib.crypto import DecryptionError, FieldCipher, blind_index, pseudonym
from ulinzi.lib.phone import InvalidPhoneNumber, normalise, typed_number

KEY = "11" * 32
OTHER_KEY = "22" * 32


def test_a_number_round_trips_and_each_ciphertext_differs() -> None:
    cipher = FieldCipher(KEY)
    one, two = (
        cipher.encrypt("+243971234567", "reporter.phone"),
        cipher.encrypt("+243971234567", "reporter.phone"),
    )
    assert one != two  # a fresh nonce each time: equal numbers do not look equal at rest
    assert b"243971234567" not in one
    assert cipher.decrypt(one, "reporter.phone") == "+243971234567"


def test_the_wrong_key_field_or_a_flipped_bit_cannot_decrypt() -> None:
    token = FieldCipher(KEY).encrypt("+243971234567", "reporter.phone")
    with pytest.raises(DecryptionError):
        FieldCipher(OTHER_KEY).decrypt(token, "reporter.phone")
    with pytest.raises(DecryptionError):
        FieldCipher(KEY).decrypt(token, "contact.phone")
    tampered = token[:-1] + bytes([token[-1] ^ 1])
    with pytest.raises(DecryptionError):
        FieldCipher(KEY).decrypt(tampered, "reporter.phone")
    with pytest.raises(DecryptionError):
        FieldCipher(KEY).decrypt(b"\x01short", "reporter.phone")


def test_blind_indexes_match_equal_numbers_only_and_depend_on_the_key() -> None:
    assert blind_index(KEY, "+243971234567") == blind_index(KEY, "+243971234567")
    assert blind_index(KEY, "+243971234567") != blind_index(KEY, "+243971234568")
    assert blind_index(KEY, "+243971234567") != blind_index(OTHER_KEY, "+243971234567")
    assert len(blind_index(KEY, "+243971234567")) == 64


def test_pseudonyms_are_short_readable_and_stable() -> None:
    label = pseudonym(KEY, "+243971234567")
    assert label == pseudonym(KEY, "+243971234567")
    assert label.startswith("R-") and len(label) == 11
    assert not set(label[2:].replace("-", "")) & set("ILOU")
    assert pseudonym(KEY, "+243971234568") != label


@pytest.mark.parametrize(
    "raw",
    [
        "+243 97 123 4567",
        "0971234567",
        "243971234567",
        "tel:+243971234567",
        "00243971234567",
        "+243-97-123-45-67",
    ],
)
def test_gateway_spellings_of_one_number_normalise_alike(raw: str) -> None:
    assert normalise(raw) == "+243971234567"


def test_numbers_of_neighbouring_countries_keep_their_code() -> None:
    assert normalise("+256 772 123456") == "+256772123456"  # Uganda
    assert normalise("250788123456") == "+250788123456"  # Rwanda, '+' dropped by the gateway


@pytest.mark.parametrize("raw", ["", "   ", "hello", "12", "+1", "9" * 40, "+24397\x001234567"])
def test_what_is_not_a_phone_number_is_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as refused:
        normalise(raw)
    assert str(refused.value)


@given(st.text(max_size=40))
def test_normalise_either_returns_e164_or_refuses(raw: str) -> None:
    try:
        number = normalise(raw)
    except InvalidPhoneNumber:
        return
    assert number.startswith("+") and number[1:].isdigit()


def test_a_typed_number_must_be_a_real_one() -> None:
    """What a gateway's sender may be (``normalise``) is broader than what a person
    should type in a form: letters and numbers of no known range are refused."""
    assert typed_number("0971 23 45 67") == "+243971234567"
    assert typed_number("+256 772 123456") == "+256772123456"
    for typo in ("0971 23 45 xx", "09712345", "+243 97 123 45"):
        assert normalise(typo)  # a gateway's sender would be taken...
        with pytest.raises(InvalidPhoneNumber):
            typed_number(typo)  # ...a form's number is not
