"""Fixtures of the threat analysis tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("ULINZI_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data"
)


@pytest.fixture
def shared_events() -> Path:
    """The real event files of ../shared/data/events: skipped when absent, unless
    ULINZI_REQUIRE_SHARED_DATA=1 (then their absence fails)."""
    events = SHARED_DATA / "events"
    if events.is_dir():
        return events
    message = f"the shared event data is not at {events}"
    if os.environ.get("ULINZI_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)
