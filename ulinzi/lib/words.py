"""How pure modules word what they explain (no Django import).

A pure module builds its sentences through a :class:`Words`: the default words them in
English, from English messages with ``%(name)s`` placeholders; ``lib.wording.Translated``
gives the same messages in the reader's language through the message catalogue, so that
a page can show in French what the module explains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Self

__all__ = ["ENGLISH", "Refused", "Said", "Words"]


class Words:
    """English words: each message as written, its values put in."""

    def text(self, message: str, **values: object) -> str:
        return message % values if values else message

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The message for ``n`` things (``%(n)d`` in it is ``n``)."""
        return (singular if n == 1 else plural) % {"n": n, **values}

    def figure(self, text: str) -> str:
        """A number as the module wrote it ("0.45", "p = 0.03"), with the reader's
        decimal mark."""
        return text

    def join(self, items: Sequence[str], last: str = "and") -> str:
        """``a, b and c``; ``last`` is "and" or "or"."""
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.text(last)} {items[-1]}"


ENGLISH = Words()


class Refused(ValueError):
    """Input a pure module refuses. ``str()`` says why in English; :meth:`said` in other
    words (``lib.wording.Translated``: the reader's language)."""

    def __init__(
        self, message: str | None = None, *, say: Callable[[Words], str] | None = None
    ) -> None:
        if say is None:  # the message as it is, in any words (e.g. a library's own)
            text = message or ""
            say = lambda w: text  # noqa: E731
        super().__init__(say(ENGLISH) if message is None else message)
        self._say = say

    def said(self, words: Words) -> str:
        return self._say(words)

    @classmethod
    def worded(cls, message: str, **values: object) -> Self:
        """Refused with an English ``message`` and its values."""
        return cls(say=lambda w: w.text(message, **values))


class Said(str):
    """English text that keeps its message and values (a :class:`Said` value too), so
    that it can be said in other words: a string wherever a string is expected."""

    message: str
    values: dict[str, object]

    def __new__(cls, message: str, **values: object) -> Self:
        said = super().__new__(cls, ENGLISH.text(message, **values))
        said.message, said.values = message, values
        return said

    def said(self, words: Words) -> str:
        return words.text(
            self.message,
            **{k: v.said(words) if isinstance(v, Said) else v for k, v in self.values.items()},
        )
