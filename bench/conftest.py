"""The benchmarks read real public data from ../shared/data (not shipped with Ulinzi).

Without it their smoke tests are skipped, with the reason; CI sets
ULINZI_REQUIRE_SHARED_DATA=1 so that a missing directory fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("ULINZI_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


@pytest.fixture(autouse=True)
def shared_data_present() -> None:
    if SHARED_DATA.is_dir():
        return
    message = f"the shared benchmark data is not at {SHARED_DATA}"
    if os.environ.get("ULINZI_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)
