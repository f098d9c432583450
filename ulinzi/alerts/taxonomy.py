"""The threat taxonomy and severities of the product brief (no Django import): one
list that triage, grouping, the models and the API share."""

from __future__ import annotations

THREAT_TYPES: tuple[str, ...] = (
    "attack_on_civilians",
    "killing",
    "abduction",
    "sexual_violence",
    "looting_extortion",
    "arson_destruction",
    "armed_clash",
    "armed_presence",
    "threat_intimidation",
    "child_recruitment",
    "arbitrary_arrest",
    "displacement",
    "explosive_hazard",
    "intercommunal_tension",
    "other",
)
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
