"""In a real browser: the API's documentation page works with no internet (its script
and styles are the app's own, as every page's are)."""

from __future__ import annotations

from typing import Any

import pytest

from ulinzi.test import log_in_browser

pytestmark = pytest.mark.browser


def test_the_api_documentation_is_served_by_the_app(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    log_in_browser(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert "Ulinzi API" in page.inner_text(".swagger-ui .info")
