"""The answers to a requesting community fit in one GSM-7 SMS in every language."""

from __future__ import annotations

import pytest

from ulinzi.lib.sms import sms_count
from ulinzi.patrols import texts

VALUES = {
    "ref": "P-1234",
    "place": "Kanyaruchinya",
    "reason": "la route est coupee par la riviere",  # 34 characters
    "days": "01/12, 03/12, 05/12",
    "done": "2",
    "planned": "3",
}


@pytest.mark.parametrize("language", ["en", "fr", "sw", "ln"])
@pytest.mark.parametrize("step", sorted(texts.ANSWERS))
@pytest.mark.parametrize("kind", sorted(texts.KINDS["en"]))
def test_every_answer_fits_one_sms(language: str, step: str, kind: str) -> None:
    if step == "received":
        text = texts.ANSWERS[step][language].format(place=VALUES["place"])
    else:
        text = texts.answer(step, language, kind=kind, **VALUES)
    assert "{" not in text and "}" not in text
    assert sms_count(text) == 1, (len(text), text)


def test_an_unknown_language_gets_french() -> None:
    assert texts.answer("accepted", "zz", ref="P-1", kind="night", place="Mbau").startswith(
        "Mission P-1: votre demande de patrouille de nuit à Mbau"
    )
