"""No input makes a page of patrols, engagement or indicators fail or half-write: every
POST answers 302 (saved) or 400 (refused with the reason), never 500, and a refusal
writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulinzi.audit.models import AuditEntry
from ulinzi.test import make_user

pytestmark = pytest.mark.django_db

value = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"-?[0-9]{1,6}", fullmatch=True),
    st.sampled_from(["2026-12-01", "2026-13-45", "", "\x00", "06:00", "night", "fr", "1"]),
)
FORMS = {
    "/patrols/requests/new/": [
        "community",
        "kind",
        "place_id",
        "route",
        "weekdays",
        "shift",
        "start_time",
        "end_time",
        "valid_from",
        "valid_until",
        "per_week",
        "priority",
        "beneficiaries",
        "phone",
        "language",
    ],
    "/engagement/meetings/new/": [
        "community",
        "kind",
        "date",
        "women",
        "men",
        "concern_0_text",
        "commitment_0_what",
        "commitment_0_owner",
        "commitment_0_due",
    ],
    "/engagement/broadcasts/": [
        "title",
        "text_fr",
        "text_ar",
        "communities",
        "area_pcodes",
        "send_at",
    ],
    "/engagement/jpt/": ["purpose", "start", "end", "communities", "team", "alerts", "hotspot"],
    "/engagement/staff/": ["name", "role", "sex", "base", "speaks", "communities"],
    "/indicators/initiatives/": ["name", "objectives", "started", "communities", "indicators"],
}


def client_for(username: str, role: str) -> Client:
    from ulinzi.accounts.models import User

    user = User.objects.filter(username=username).first() or make_user(
        username, role, whole_mission=True
    )
    client = Client()
    client.force_login(user)
    return client


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    url=st.sampled_from(sorted(FORMS)),
    data=st.data(),
)
def test_no_form_input_breaks_a_page(personas: dict[str, Any], url: str, data: Any) -> None:
    role = {
        "/patrols/requests/new/": "patrol_planner",
        "/indicators/initiatives/": "me_officer",
    }.get(url, "liaison")
    client = client_for(f"fuzz-{role}", role)
    fields = data.draw(
        st.dictionaries(st.sampled_from(FORMS[url]), value, max_size=len(FORMS[url]))
    )
    before = AuditEntry.objects.count()
    response = client.post(url, fields)
    assert response.status_code in (302, 400), (url, fields, response.status_code)
    if response.status_code == 400:
        assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/patrols/requests/new/", "route"),
        ("/engagement/jpt/", "alerts"),
    ],
)
def test_digits_that_are_not_0_to_9_are_refused_in_words(
    personas: dict[str, Any], url: str, field: str
) -> None:
    """ "²" and "①" pass str.isdigit() but not int(): found by the fuzz test above."""
    role = "patrol_planner" if url.startswith("/patrols/") else "liaison"
    client = client_for(f"digits-{role}", role)
    for odd in ("²", "①", "4²"):
        before = AuditEntry.objects.count()
        response = client.post(url, {field: odd})
        assert response.status_code == 400, (url, odd, response.status_code)
        assert AuditEntry.objects.count() == before
