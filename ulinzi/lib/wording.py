"""The words of the pure modules (``lib.words``) in the active language."""

from __future__ import annotations

import re

from django.utils.formats import get_format
from django.utils.translation import gettext, ngettext

from ulinzi.lib.words import Words

_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")


def with_decimal_mark(text: str) -> str:
    """``text`` with the decimal points of its numbers written as the active language
    writes them ("0,4 km" in French)."""
    mark = str(get_format("DECIMAL_SEPARATOR"))
    return text if mark == "." else _DECIMAL.sub(mark, text)


class Translated(Words):
    """Each English message translated by the message catalogue of the active language
    (``translation.override``), numbers with its decimal mark."""

    def text(self, message: str, **values: object) -> str:
        said = str(gettext(message))
        return said % values if values else said

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        return str(ngettext(singular, plural, n)) % {"n": n, **values}

    def figure(self, text: str) -> str:
        return with_decimal_mark(text)
