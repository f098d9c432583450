"""In a real browser: log in, open the map, find a misspelled village, see it selected.

The ``page`` fixture fails the test if the page requests anything that is not on
this machine (a field base has no internet).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from ulinzi.test import log_in_browser

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


def log_in(page: Any, live_server: Any, username: str) -> None:
    log_in_browser(page, live_server.url, username)


def test_search_a_misspelled_village_and_see_it_on_the_map(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    log_in(page, live_server, "alice")
    assert "Duty officer" in page.inner_text("header")
    page.click("text=Map")
    page.wait_for_selector("#map[data-settlements-loaded]")
    assert int(page.get_attribute("#map", "data-settlements-loaded")) > 150
    # Provinces and territories are drawn from the app's own GeoJSON: no tile server.
    page.wait_for_selector("#map[data-territories-loaded][data-provinces-loaded]")
    assert page.get_attribute("#map", "data-provinces-loaded") == "26"
    assert page.get_attribute("#map", "data-territories-loaded") == "71"
    assert page.locator(".leaflet-tile").count() == 0

    page.fill("#map-q", "mbau centr")  # misspelled, lower case
    page.press("#map-q", "Enter")
    first = page.locator("#candidates button.candidate").first
    first.wait_for()
    assert first.get_attribute("data-name") == "Mbau Centre"
    assert "Oïcha" in first.inner_text()

    # Keyboard only: the down arrow reaches the first candidate, Enter selects it.
    page.focus("#map-q")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(".selected-place")
    assert page.get_attribute("#map", "data-selected-id") == first.get_attribute("data-id")
    assert "Mbau Centre" in page.inner_text("#selected")
    assert "Mbau Centre" in page.inner_text(".leaflet-popup-content")
    page.wait_for_timeout(600)  # let the zoom animation finish before the picture
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map-search.png"))


def test_finding_a_place_works_from_the_keyboard(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    log_in(page, live_server, "alice")
    response = page.goto(f"{live_server.url}/audit/")
    assert response.status == 403  # alice is not an administrator
    page.goto(f"{live_server.url}/places/search/")
    # The search box has the focus (autofocus, which the browser applies just after the
    # page loads): type and press Enter, no mouse.
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'q'", timeout=5000
    )
    page.keyboard.type("mbaw centre")
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.candidates button.candidate")
    assert (
        page.locator("ol.candidates button.candidate").first.get_attribute("data-name")
        == "Mbau Centre"
    )


def test_a_place_shown_on_the_map_from_its_address_is_searched_at_once(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    # A place's "show on the map" link gives the search in the address.
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/map/?q=mbau+centr")
    first = page.locator("#candidates button.candidate").first
    first.wait_for()
    assert first.get_attribute("data-name") == "Mbau Centre"


def test_the_maps_controls_speak_the_readers_language(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from ulinzi.test import make_user

    make_user("fatou", "duty_officer", whole_mission=True, language="fr")
    log_in(page, live_server, "fatou")
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector(".leaflet-control-zoom-in")
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Zoom avant"
    assert page.get_attribute(".leaflet-control-zoom-out", "aria-label") == "Zoom arrière"
    assert page.get_attribute(".leaflet-control-layers-toggle", "title") == "Couches"
    assert "interactive maps" not in page.inner_html(".leaflet-control-attribution")
    page.goto(f"{live_server.url}/alerts/")  # the duty board's map too
    page.wait_for_selector(".leaflet-control-zoom-in")
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Zoom avant"
