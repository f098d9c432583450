"""The planner's explanations in the languages of the interface: ``planner.Words`` with
each English message translated by the message catalogue."""

from __future__ import annotations

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, ngettext, pgettext

from ulinzi.patrols.planner import Words


class Translated(Words):
    """Words in the active language (``translation.override``)."""

    def text(self, message: str, **values: object) -> str:
        said = gettext(message)
        return said % values if values else said

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        return ngettext(singular, plural, n) % {"n": n, **values}

    def day(self, day: int) -> str:
        return str(WEEKDAYS[day])

    def shift(self, shift: str) -> str:
        return pgettext("the shift of a team or a patrol", shift)
