"""The patrol tests plan next week (days past are not planned) and record its patrols as
if that week were over: the clock of recording is set to its Sunday."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ulinzi.patrols import domain


@pytest.fixture(autouse=True)
def recorded_after_next_week(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    sunday = domain.week_of(timezone.localdate()) + dt.timedelta(days=13)
    monkeypatch.setattr(domain, "today", lambda: sunday)
    return sunday
