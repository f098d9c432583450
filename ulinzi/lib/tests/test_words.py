"""How pure modules word what they explain (lib.words): English by default, any other
words through the same messages, a message within a message included."""

from __future__ import annotations

import pytest

from ulinzi.lib.words import ENGLISH, Refused, Said, Words


class Bracketed(Words):
    """Other words: every message said in brackets, so that what was said by them shows."""

    def text(self, message: str, **values: object) -> str:
        return f"[{super().text(message, **values)}]"


def test_english_words() -> None:
    assert ENGLISH.text("no value") == "no value"
    assert ENGLISH.text("%(n)s km", n="4.5") == "4.5 km"
    assert ENGLISH.count("%(n)d team", "%(n)d teams", 1) == "1 team"
    assert ENGLISH.count("%(n)d team", "%(n)d teams", 0) == "0 teams"
    assert ENGLISH.join(["Beni", "Oicha", "Mbau"], "or") == "Beni, Oicha or Mbau"
    assert ENGLISH.join(["Beni"]) == "Beni" and ENGLISH.join([]) == ""


def test_a_message_within_a_message_is_said_in_the_same_words() -> None:
    inner = Said("line %(line)s is empty", line="4")
    outer = Said("%(reason)s; submission %(id)s is left out", reason=inner, id="u-1")
    assert outer == "line 4 is empty; submission u-1 is left out"  # a string, in English
    assert outer.said(Bracketed()) == "[[line 4 is empty]; submission u-1 is left out]"


def test_a_refusal_says_why_in_english_and_in_other_words() -> None:
    with pytest.raises(ValueError, match="^No community is covered.$") as refused:
        raise Refused.worded("No community is covered.")
    assert isinstance(refused.value, Refused)
    assert refused.value.said(Bracketed()) == "[No community is covered.]"
