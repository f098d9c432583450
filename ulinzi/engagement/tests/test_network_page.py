"""The alert network page: who manages the network chooses focal points to test; the
others read the list, with nothing to tick."""

from __future__ import annotations

from typing import Any

import pytest

from ulinzi.engagement import domain
from ulinzi.test import make_user, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def liaison(personas: dict[str, Any]) -> Any:
    return make_user("lia", "liaison", whole_mission=True)


@pytest.fixture
def focal(personas: dict[str, Any], liaison: Any) -> Any:
    return domain.register_focal_point(
        actor=liaison,
        phone="+243970000111",
        community=personas["mbau"],
        role="women",
        language="sw",
    )


def table_of(response: Any) -> str:
    html = response.content.decode()
    return html[html.index('<table class="board">') : html.index("</table>")]


def test_who_cannot_send_tests_sees_the_focal_points_with_nothing_to_tick(
    personas: dict[str, Any], focal: Any
) -> None:
    officer = personas["alice"]  # a duty officer at Beni: sees the network, sends nothing
    assert officer.can("engagement.view") and not officer.can("engagement.manage")
    response = verified_client(officer).get("/engagement/network/")
    assert response.status_code == 200
    html = response.content.decode()
    assert focal.reporter.pseudonym in table_of(response)
    assert 'type="checkbox"' not in html and 'name="focal_point"' not in html
    assert 'value="test"' not in html and "Send a test message" not in html
    assert '<th><span class="visually-hidden">Choose</span></th>' not in html
    row = table_of(response).split("<tbody>")[1]
    assert row.count("<td>") == 6  # a cell per heading


def test_who_manages_the_network_ticks_focal_points_and_sends_a_test(
    personas: dict[str, Any], liaison: Any, focal: Any
) -> None:
    response = verified_client(liaison).get("/engagement/network/")
    html = response.content.decode()
    assert f'type="checkbox" name="focal_point" value="{focal.pk}"' in html
    assert '<input type="hidden" name="action" value="test">' in html
    assert "Send a test message (reply OK)" in html
    row = table_of(response).split("<tbody>")[1]
    assert row.count("<td>") == 7
