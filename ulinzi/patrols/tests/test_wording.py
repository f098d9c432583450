"""The planner's explanations in French (patrols.wording.Translated).

The planner words every explanation through ``planner.Words``: in English it is the text
the plan keeps, and each message it uses has its French in the catalogue. Plans of
random instances, and of cases that reach the rarer sentences, are worded both ways.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from django.utils import translation

from ulinzi.patrols import planner
from ulinzi.patrols.planner import ENGLISH, Plan, Slot, greedy_plan, plan_week
from ulinzi.patrols.tests.test_planner import NORTH, SOUTH, base, random_instance, request
from ulinzi.patrols.wording import Translated

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
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


def _words_in(message: str) -> bool:
    """Whether a message has words, not placeholders and punctuation alone."""
    return bool(re.search("[a-z]", PLACEHOLDER.sub("", message)))


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
                assert Counter(FIGURE.findall(said)) == Counter(FIGURE.findall(english))
                assert not re.search(r"\b(requested|scheduled|team|free|given|on foot)\b", said)
    assert sentences > 100

    with translation.override("fr"):
        missing = [m for m in words.messages if translation.gettext(m) == m and _words_in(m)]
        missing += [
            f"{one} / {many}"
            for one, many in words.counted
            if translation.ngettext(one, many, 1) == one
            or translation.ngettext(one, many, 2) == many
        ]
    assert not missing, missing
    rare = _plans()[-1].explanations
    assert {"done", "far", "friday"} <= rare.keys(), rare
    assert "earlier in the week" in rare["done"][0] and "fixed by the officer" in rare["top"][1]


def _messages_of_the_planner() -> tuple[set[str], set[tuple[str, str]]]:
    """Every message the planner's source passes to ``w.text``, ``w.count`` or
    ``_fix_refused``, and the patrols of every kind."""
    tree = ast.parse(Path(planner.__file__).read_text())
    texts: set[str] = set()
    counts: set[tuple[str, str]] = {p for pair in planner._PATROLS.values() for p in pair}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_fix_refused"
        ):  # (request, base, slot, message[, plural])
            said = [ast.literal_eval(a) for a in node.args[3:5]]
            if len(said) == 1:
                texts.add(said[0])
            else:
                counts.add((said[0], said[1]))
            continue
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "w"
        ):
            continue
        if node.func.attr == "text":
            texts |= {
                c.value
                for c in ast.walk(node.args[0])
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
        elif node.func.attr == "count" and all(isinstance(a, ast.Constant) for a in node.args[:2]):
            one, many = (ast.literal_eval(a) for a in node.args[:2])
            counts.add((one, many))
    return texts, counts


def test_every_message_of_the_planner_has_its_french() -> None:
    texts, counts = _messages_of_the_planner()
    assert len(texts) > 20 and len(counts) > 20  # the parse found them
    texts |= {"and", "or"}  # Words.join
    with translation.override("fr"):
        missing = [m for m in texts if translation.gettext(m) == m and _words_in(m)]
        missing += [
            f"{one} / {many}"
            for one, many in counts
            if translation.ngettext(one, many, 1) == one
            or translation.ngettext(one, many, 2) == many
        ]
    assert not missing, missing


def test_days_and_shifts_in_french() -> None:
    with translation.override("fr"):
        words = Translated()
        assert [words.day(d) for d in (0, 6)] == ["lundi", "dimanche"]
        assert (words.shift("night"), words.shift("day")) == ("de nuit", "de jour")
        assert words.join(["Beni", "Oicha", "Mbau"], "or") == "Beni, Oicha ou Mbau"
