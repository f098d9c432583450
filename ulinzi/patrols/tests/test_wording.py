"""The planner's explanations in French (patrols.wording.Translated).

The planner words every explanation through ``planner.Words``: in English it is the text
the plan keeps, and each message it uses has its French in the catalogue. Plans of
random instances, and of cases that reach the rarer sentences, are worded both ways.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from django.utils import translation

from ulinzi.patrols import planner
from ulinzi.patrols.planner import ENGLISH, Plan, Slot, greedy_plan, plan_week
from ulinzi.patrols.tests.test_planner import NORTH, SOUTH, base, random_instance, request
from ulinzi.patrols.wording import Translated
from ulinzi.test import untranslated, worded_messages

FIGURE = re.compile(r"\d+(?:\.\d+)?")


class Recording(Translated):
    """Translated words that keep every message asked for."""

    def __init__(self) -> None:
        self.messages: set[str] = set()
        self.counted: set[tuple[str, str]] = set()

    def text(self, message: str, **values: object) -> str:
        self.messages.add(message)
        return super().text(message, **values)

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        self.counted.add((singular, plural))
        return super().count(singular, plural, n, **values)


def _plans() -> list[Plan]:
    plans = []
    for seed in range(1, 6):
        bases, requests = random_instance(seed, 5, 80)
        plans += [plan_week(bases, requests), greedy_plan(bases, requests)]
    # Rarer sentences: patrols done earlier in the week, a fixed patrol taking the team,
    # a request out of reach, fewer slots than wanted, a base unavailable.
    one = [base(night=1, off=frozenset({4}))]
    fixed = request("fixed", "Kibirizi", (Slot(1, "night"),), priority=1, at=NORTH)
    fixed = replace(fixed, fixed=((Slot(1, "night"), "beni"),))
    plans.append(
        plan_week(
            one,
            [
                fixed,
                request("top", "Mbau", (Slot(1, "night"),), priority=5, at=SOUTH),
                replace(request("done", "Mavivi", (Slot(2, "night"),), 3, at=SOUTH), done=1),
                request("far", "Eringeti", (Slot(3, "night"),), at=(1.6, 29.6)),
                request("friday", "Oicha", (Slot(4, "night"),), at=NORTH),
            ],
        )
    )
    return plans


def test_every_explanation_is_worded_alike_in_english_and_whole_in_french() -> None:
    words = Recording()
    sentences = 0
    for plan in _plans():
        assert plan.explain(ENGLISH) == plan.explanations
        with translation.override("fr"):
            french = plan.explain(words)
        assert french.keys() == plan.explanations.keys()
        for key, reasons in plan.explanations.items():
            for english, said in zip(reasons, french[key], strict=True):
                sentences += 1
                assert said != english
                # The same figures: counts, kilometres, days are words.
                assert not re.search(r"\d\.\d", said), said  # the decimal mark is a comma
                french_figures = FIGURE.findall(re.sub(r"(?<=\d),(?=\d)", ".", said))
                assert Counter(french_figures) == Counter(FIGURE.findall(english))
                assert not re.search(r"\b(requested|scheduled|team|free|given|on foot)\b", said)
    assert sentences > 100

    assert not untranslated(words.messages, words.counted)
    rare = _plans()[-1].explanations
    assert {"done", "far", "friday"} <= rare.keys(), rare
    assert "earlier in the week" in rare["done"][0] and "fixed by the officer" in rare["top"][1]


def test_every_message_of_the_planner_has_its_french() -> None:
    texts, counts = worded_messages(planner, {"_fix_refused": 3})
    counts |= {p for pair in planner._PATROLS.values() for p in pair}  # the patrols of each kind
    counts |= set(planner._TAKEN.values())
    assert len(texts) > 20 and len(counts) > 20  # the parse found them
    assert not untranslated(texts | {"and", "or"}, counts)  # (and, or: Words.join)


def test_days_and_shifts_in_french() -> None:
    with translation.override("fr"):
        words = Translated()
        assert [words.day(d) for d in (0, 6)] == ["lundi", "dimanche"]
        assert (words.shift("night"), words.shift("day")) == ("de nuit", "de jour")
        assert words.join(["Beni", "Oicha", "Mbau"], "or") == "Beni, Oicha ou Mbau"
