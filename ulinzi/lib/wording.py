"""The words of the pure modules (``lib.words``) in the active language."""

from __future__ import annotations

from django.utils.translation import gettext, ngettext

from ulinzi.lib.words import Words


class Translated(Words):
    """Each English message translated by the message catalogue of the active language
    (``translation.override``)."""

    def text(self, message: str, **values: object) -> str:
        said = str(gettext(message))
        return said % values if values else said

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        return str(ngettext(singular, plural, n)) % {"n": n, **values}
