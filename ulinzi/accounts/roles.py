"""Roles and what each may do (no Django import).

A user has one role. Capabilities are checked with ``User.can()``; screens and API
endpoints name the capability they need, never the role, so a role can be widened
here without touching views.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DUTY_OFFICER = "duty_officer"
    LIAISON = "liaison"
    ANALYST = "analyst"
    PATROL_PLANNER = "patrol_planner"
    HUMAN_RIGHTS = "human_rights"
    ME_OFFICER = "me_officer"
    PUBLIC_INFORMATION = "public_information"
    VIEWER = "viewer"


# Every role may look at the gazetteer and the map of its area.
BASE_CAPABILITIES = frozenset({"places.view", "communities.view"})

CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {"audit.view", "gazetteer.manage", "bases.manage", "users.manage", "communities.manage"}
    ),
    Role.DUTY_OFFICER: frozenset(
        {
            "alerts.handle",
            "alerts.enter",
            "reporter.reveal_phone",
            "analysis.view",
            "patrols.view",
            "patrols.request",
            "patrols.record",
            "engagement.view",
            "indicators.view",
        }
    ),
    Role.LIAISON: frozenset(
        {
            "alerts.enter",
            "reporter.reveal_phone",
            "communities.manage",
            "patrols.view",
            "patrols.request",
            "engagement.view",
            "engagement.manage",
            "broadcasts.draft",
            "indicators.view",
        }
    ),
    Role.ANALYST: frozenset(
        {"analysis.view", "events.manage", "patrols.view", "engagement.view", "indicators.view"}
    ),
    Role.PATROL_PLANNER: frozenset(
        {
            "patrols.plan",
            "patrols.view",
            "patrols.request",
            "patrols.record",
            "analysis.view",
            "engagement.view",
            "indicators.view",
        }
    ),
    Role.HUMAN_RIGHTS: frozenset(
        {"cases.view", "cases.manage", "analysis.view", "engagement.view", "engagement.manage"}
    ),
    Role.ME_OFFICER: frozenset(
        {
            "surveys.manage",
            "indicators.manage",
            "indicators.view",
            "analysis.view",
            "patrols.view",
            "engagement.view",
        }
    ),
    Role.PUBLIC_INFORMATION: frozenset(
        {
            "broadcasts.manage",
            "broadcasts.draft",
            "broadcasts.approve",
            "engagement.view",
            "indicators.view",
        }
    ),
    Role.VIEWER: frozenset(),
}

# Roles whose accounts can reach restricted data: a password alone is not enough.
TOTP_REQUIRED = frozenset({Role.ADMIN, Role.HUMAN_RIGHTS})


def capabilities(role: str) -> frozenset[str]:
    try:
        return BASE_CAPABILITIES | CAPABILITIES[Role(role)]
    except ValueError:
        return frozenset()


def requires_totp(role: str) -> bool:
    return role in {r.value for r in TOTP_REQUIRED}
