"""Administrators manage users' roles and scope from the command line, audited."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ulinzi.accounts.models import User
from ulinzi.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_user_is_scoped_to_a_base_and_an_area(personas: dict[str, Any]) -> None:
    out = StringIO()
    call_command("user_save", "fatou", role="liaison", base=["beni"], area=["CD6101"], stdout=out)
    assert out.getvalue().strip() == "fatou: liaison, beni, CD6101"
    fatou = User.objects.get(username="fatou")
    # Beni base covers Beni ville and Oïcha; the area adds Goma ville.
    assert {c.name for c in communities_of(fatou)} == {"Mbau", "Goma ville"}
    entry = AuditEntry.objects.filter(action="accounts.save_user", subject_label="fatou").get()
    assert (entry.actor_label, entry.after["bases"]) == ("command line", ["beni"])


def communities_of(user: User) -> list[Any]:
    from ulinzi.places.queries import communities_in

    return list(communities_in(user.scope()))


def test_unknown_bases_and_areas_are_refused(personas: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="no base with code nowhere"):
        call_command("user_save", "x", role="viewer", base=["nowhere"])
    with pytest.raises(CommandError, match="no admin area with P-code CD9999"):
        call_command("user_save", "x", role="viewer", area=["CD9999"])
    assert not User.objects.filter(username="x").exists()


def test_changing_only_the_role_keeps_the_scope_and_language(personas: dict[str, Any]) -> None:
    call_command(
        "user_save", "fatou", role="liaison", base=["beni"], language="fr", stdout=StringIO()
    )
    call_command("user_save", "fatou", role="patrol_planner", stdout=StringIO())
    fatou = User.objects.get(username="fatou")
    assert (fatou.role, fatou.language) == ("patrol_planner", "fr")
    assert list(fatou.bases.values_list("code", flat=True)) == ["beni"]
