"""Suite-wide fixtures: no outside network, a real gazetteer slice, personas, a browser."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise RuntimeError(
                f"a test tried to reach {host}: the app must never call the internet"
            )
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_outside_network() -> Iterator[None]:
    """Fail loudly if any code tries to reach anything but this machine."""
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def quick_argon2(request: pytest.FixtureRequest) -> None:
    """Still Argon2 (the stored hashes look as in production), with the cost turned down:
    the real cost is meant to be slow, and tests create many users. (Pure tests also run
    with ``-p no:django``, where there are no settings to change.)"""
    if request.config.pluginmanager.hasplugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["ulinzi.test.QuickArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def language_of_the_next_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A page asked for in a user's language leaves that language active on the thread:
    each test starts from the default, whatever the one before it showed."""
    yield
    if request.config.pluginmanager.hasplugin("django"):
        from django.utils import translation

        translation.deactivate()


@pytest.fixture(scope="session")
def grid3_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ulinzi.test import write_small_grid3

    return write_small_grid3(tmp_path_factory.mktemp("gazetteer"))


@pytest.fixture
def gazetteer(db: Any, grid3_slice: Path) -> None:
    """Real provinces, territories, towns and about 170 GRID3 settlements."""
    from ulinzi.test import load_small_gazetteer

    load_small_gazetteer(grid3_slice)


@pytest.fixture
def personas(gazetteer: None) -> dict[str, Any]:
    """Alice is duty officer at Beni, Bob at Goma; Carol, an analyst, sees the whole
    mission, and Adam is its administrator."""
    from ulinzi.places.models import Place
    from ulinzi.test import make_base, make_community, make_user

    beni = make_base("beni", "Beni", ["CD6109", "CD6107"])
    goma = make_base("goma", "Goma", ["CD6101", "CD6102"], lat=-1.67, lon=29.22)
    oicha_place = Place.objects.get(kind="health_area", name="Mbau")
    goma_place = Place.objects.get(key="geonames:216281")
    return {
        "beni": beni,
        "goma": goma,
        "mbau": make_community("Mbau", oicha_place),
        "goma_ville": make_community("Goma ville", goma_place),
        "alice": make_user("alice", "duty_officer", bases=[beni]),
        "bob": make_user("bob", "duty_officer", bases=[goma]),
        "carol": make_user("carol", "analyst", whole_mission=True),
        "adam": make_user("adam", "admin", whole_mission=True),
    }


# --- Browser tests -------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("ULINZI_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("ULINZI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (ULINZI_REQUIRE_BROWSER=1): {message}")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def live_db(transactional_db: Any) -> Iterator[None]:
    """A transactional database whose flush at the end may clear the audit log."""
    from ulinzi.audit.purge import set_purge_allowed

    set_purge_allowed(False)
    yield
    set_purge_allowed(True)  # pytest-django flushes every table after this test


@pytest.fixture
def page(browser: Any, live_db: None, live_server: Any) -> Iterator[Any]:
    """A page that refuses, and records, any request not made to this machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside: list[str] = []

    def guard(route: Any) -> None:
        from urllib.parse import urlparse

        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}")
            # A form shown again with its errors (400) or a page refused (403) is the
            # app's answer, which Chromium logs as a failed resource: not a script error.
            if msg.type == "error" and not re.search(r"status of 40[03]\b", msg.text)
            else None
        ),
    )
    yield tab
    context.close()
    assert outside == [], f"the page requested outside resources: {outside}"
    assert errors == [], f"the page logged errors: {errors}"


@pytest.fixture(autouse=True)
def standard_indicators(request: pytest.FixtureRequest) -> None:
    """The standard indicators come from a data migration, and tests that flush the
    database (live-server tests) remove them: every test that uses the database gets
    them back, as a real database has them."""
    uses = set(request.fixturenames)
    if not (request.node.get_closest_marker("django_db") or uses & {"db", "transactional_db"}):
        return
    if "transactional_db" not in uses:
        request.getfixturevalue("db")
    from ulinzi.indicators.models import Indicator
    from ulinzi.indicators.standard import create

    create(Indicator)
