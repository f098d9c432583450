"""In a real browser: an SMS arrives through the webhook, appears on the duty board
without a reload, is handled from the keyboard to closing, and the reporter's feedback
SMS reaches the (fake) gateway."""

from __future__ import annotations

import urllib.parse
import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from ulinzi.alerts.models import Alert, Responder
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.tests.gateway import fake_gateway
from ulinzi.test import PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


def test_an_sms_is_handled_from_the_duty_board_to_the_reporters_feedback(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    Responder.objects.create(
        name="NEPBATT company B", kind="mission_company", base=personas["beni"]
    )
    with fake_gateway() as gateway:
        channel = messaging.create_channel(actor="test", name="gateway", send_url=gateway.url)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/alerts/")
        assert "No alert." in page.inner_text("#board")

        body = urllib.parse.urlencode(
            {
                "from": "+243971234567",
                "text": "Watu wenye silaha wameua watu wawili Mbau Centre usiku huu",
                "id": "gw-1",
            }
        ).encode()
        url = f"{live_server.url}/channels/ext/{channel.uuid}/receive?token={channel.secret}"
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=20) as answer:  # noqa: S310
            assert answer.status == 200
        assert messaging.process_inbound() == 1  # the worker's first step
        alert = Alert.objects.get()
        row = page.locator(f"tr[data-alert='{alert.pk}']")
        row.wait_for(timeout=12_000)  # the board refreshes itself every 5 seconds
        assert "Mbau" in row.inner_text() and "Beni" in row.inner_text()
        # The officer is told: the title counts it, the news line names it.
        assert page.title().startswith("(1) ")
        news = page.inner_text("#board-news")
        assert news.startswith("New alert: ") and alert.reference in news and "Mbau" in news
        assert "new" in (row.get_attribute("class") or "")
        # Its map, refreshed with it, over the app's own outlines (no tile server).
        page.wait_for_function("document.getElementById('alert-map').dataset.alerts === '1'")
        page.wait_for_function(
            "Number(document.getElementById('alert-map').dataset.territoriesLoaded) > 0"
        )
        assert page.locator("#alert-map .base-label", has_text="Beni").count() == 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "duty-board.png"))

        # Keyboard only: open the alert and take each step.
        row.locator("a").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/alerts/{alert.pk}/")
        page.get_by_role("button", name="Acknowledge").press("Enter")
        page.wait_for_selector("text=Record verification")
        page.select_option("#verify_result", "verified")
        page.get_by_role("button", name="Record verification").press("Enter")
        page.wait_for_selector("text=Notify responders")
        page.get_by_label("NEPBATT company B").check()
        page.get_by_role("button", name="Notify responders").press("Enter")
        page.wait_for_selector("button:has-text('Dispatch')")
        page.select_option("#dispatch_responder", label="NEPBATT company B")
        page.get_by_role("button", name="Dispatch").press("Enter")
        page.wait_for_selector("text=Responders on site")
        # Dispatch again, on site, close: forms side by side, each field with its own id.
        ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        page.get_by_role("button", name="Responders on site").press("Enter")
        page.wait_for_selector("details[open] #close_outcome")
        page.select_option("#close_outcome", "mitigated")
        page.fill("[id^=close_feedback_]", "Doria imefika.")
        page.get_by_role("button", name="Close and send feedback").press("Enter")
        page.wait_for_selector("text=feedback sent")
        page.screenshot(path=str(SCREENSHOTS / "alert-closed.png"), full_page=True)

        call_command("worker", once=True, stdout=StringIO(), stderr=StringIO())

        # A filter holds through the board's refreshes, and through a reload.
        page.goto(f"{live_server.url}/alerts/")
        assert "No alert." in page.inner_text("#board")
        page.select_option("select[name=status]", "closed")
        row.wait_for(timeout=5_000)
        assert "status=closed" in page.url
        with page.expect_response(
            lambda r: (
                "/alerts/?" in r.url
                and r.request.headers.get("hx-request") == "true"
                and "closed" in r.url
            )
        ):
            pass  # the next refresh asks for the closed alerts
        assert row.is_visible()
        page.reload()
        assert page.locator(f"tr[data-alert='{alert.pk}']").is_visible()
        assert page.input_value("select[name=status]") == "closed"
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == ("closed", "mitigated")
    texts = [urllib.parse.parse_qs(r["body"])["text"][0] for r in gateway.requests]
    assert texts == [
        f"Ujumbe umepokelewa, misheni imearifiwa. Kumb {alert.reference}",
        f"Kumb {alert.reference}: misheni imeshughulikia tahadhari yako. Asante. Doria imefika.",
    ]
    assert all(
        urllib.parse.parse_qs(r["body"])["to"] == ["+243971234567"] for r in gateway.requests
    )


def test_the_hotline_asks_which_place_and_it_is_chosen_from_the_keyboard(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    """A place said that may be several: the page comes back with the places first in
    the keyboard's way; Enter takes one, the caller's number is next, Enter records."""
    from ulinzi.alerts.models import Report
    from ulinzi.test import log_in_browser

    log_in_browser(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/alerts/new/")
    page.fill("#id_text", "Pillage au marché de Majengo ce matin")
    page.fill("#id_place", "Majengo")
    page.press("#id_place", "Tab")
    page.evaluate("document.getElementById('place-candidates').textContent = ''")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Majengo may be several places" in page.inner_text("form.hotline")
    assert not Report.objects.exists()
    focused = page.evaluate("document.activeElement.dataset.id")
    assert focused, "the first place to choose from has the focus"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_phone"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Report.objects.get().place_id == int(focused)
