"""Area scope: which places a user may see.

A scope is the whole mission, or a set of admin areas (given directly or as the
areas of responsibility of the user's bases). A place is in scope when it is one of
those areas or lies inside one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from ulinzi.places.models import Place


@dataclass(frozen=True)
class Scope:
    whole_mission: bool
    area_ids: frozenset[int] = frozenset()

    @classmethod
    def everything(cls) -> Scope:
        return cls(whole_mission=True)

    def place_q(self, prefix: str = "") -> Q:
        """A filter for places (``prefix`` = ``"place__"`` for a model with a place)."""
        if self.whole_mission:
            return Q()
        ids = list(self.area_ids)
        q = Q(**{f"{prefix}pk__in": ids}) if prefix == "" else Q(**{f"{prefix}id__in": ids})
        for field in Place.ANCESTOR_FIELDS:
            q |= Q(**{f"{prefix}{field}_id__in": ids})
        return q

    def contains(self, place: Place) -> bool:
        if self.whole_mission:
            return True
        return place.pk in self.area_ids or any(a in self.area_ids for a in place.ancestor_ids)
