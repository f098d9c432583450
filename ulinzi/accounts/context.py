from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def role(request: HttpRequest) -> dict[str, Any]:
    """What the navigation needs to show only what the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"can": {c.replace(".", "_"): True for c in _caps(user.role)}}


def _caps(role_name: str) -> frozenset[str]:
    from ulinzi.accounts.roles import capabilities

    return capabilities(role_name)
