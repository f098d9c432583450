"""The plain record the place matcher works on (no Django import).

The database (``places.models.Place``) and the pure gazetteer builder
(``places.gazetteer``) both produce these, so the matcher, its tests and its
benchmark never need a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds, from the largest area to the smallest settlement. Admin kinds are areas
# (they can be a hint or a scope); the others are points where people live.
ADMIN_KINDS = ("country", "province", "territory", "health_zone", "health_area")
SETTLEMENT_KINDS = ("town", "village", "camp", "quarter", "other")
KINDS = ADMIN_KINDS + SETTLEMENT_KINDS


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    id: int
    name: str
    kind: str
    lat: float | None
    lon: float | None
    alt_names: tuple[str, ...] = ()
    # Names and ids of the areas that contain the place, largest first:
    # (province, territory, health zone, health area) where known.
    admin_names: tuple[str, ...] = ()
    admin_ids: tuple[int, ...] = ()
    population: int | None = None
    pcode: str | None = None
    country: str = "CD"
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def admin_path(self) -> str:
        return " › ".join(self.admin_names)
