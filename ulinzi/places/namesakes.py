"""Telling namesakes apart in words a reporter knows.

"Which Kitsanga? 1 Oïcha 2 Oïcha 3 Oïcha" cannot be answered: three villages of that
name lie in Oïcha territory, and only their health areas (Maboya, Mambingi,
Kavakubi) differ. Each namesake is named here by its largest area that no other
namesake shares, as people do ("the Kitsanga of Beni", else "of Maboya"). A place that
shares every area with another gets no word here: the caller names it by a
neighbouring village instead. Standard library only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["telling_apart"]


def telling_apart(areas: Sequence[Sequence[str | None]]) -> list[str | None]:
    """For each namesake, the word that tells it from the others.

    ``areas[i]`` are the names of place ``i``'s areas from the largest to the smallest
    (territory, health zone, health area; None where it has none). Place ``i`` gets the
    name of its largest area that no other namesake is in and that is not another
    place's word; None when there is no such area. Names are compared without regard
    to case or surrounding spaces.
    """

    def key(name: str | None) -> str | None:
        return name.strip().casefold() if name and name.strip() else None

    depth = max((len(a) for a in areas), default=0)
    counts = [Counter(key(a[level]) for a in areas if level < len(a)) for level in range(depth)]
    words: list[str | None] = []
    for place in areas:
        words.append(
            next(
                (
                    name.strip()
                    for level, name in enumerate(place)
                    if name is not None and key(name) is not None and counts[level][key(name)] == 1
                ),
                None,
            )
        )
    # One word for two places (an area of one named like another's larger area) tells
    # neither apart.
    taken = Counter(key(w) for w in words if w is not None)
    return [w if w is not None and taken[key(w)] == 1 else None for w in words]
