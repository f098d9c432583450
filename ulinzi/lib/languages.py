"""The languages communities speak and are answered in, each by its own name."""

from __future__ import annotations

from typing import Final

#: Every language a person can be recorded as speaking, in the mission's usual order.
LANGUAGE_CHOICES: Final = [
    ("fr", "Français"),
    ("sw", "Kiswahili"),
    ("ln", "Lingala"),
    ("en", "English"),
    ("ar", "العربية"),
    ("kg", "Kikongo"),
    ("lu", "Tshiluba"),
    ("rw", "Kinyarwanda"),
]
LANGUAGE_NAMES: Final = dict(LANGUAGE_CHOICES)
