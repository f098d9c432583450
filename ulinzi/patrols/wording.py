"""The planner's explanations in the languages of the interface: ``planner.Words`` with
each English message translated by the message catalogue."""

from __future__ import annotations

from django.utils.dates import WEEKDAYS
from django.utils.translation import pgettext

from ulinzi.lib import wording
from ulinzi.patrols import planner


class Translated(wording.Translated, planner.Words):
    """The planner's words in the active language (``translation.override``)."""

    def day(self, day: int) -> str:
        return str(WEEKDAYS[day])

    def shift(self, shift: str) -> str:
        return pgettext("the shift of a team or a patrol", shift)
