"""Demonstration data for ``make demo``: the standard survey form, and one initiative
measured against the synthetic demonstration events. Idempotent."""

from __future__ import annotations

import datetime as dt

from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.places.models import Community

ACTOR = "demo setup"


def load_demo_indicators(today: dt.date | None = None) -> None:
    from ulinzi.surveys import domain as surveys
    from ulinzi.surveys.models import SurveyForm
    from ulinzi.surveys.views import STANDARD_FORM

    if not SurveyForm.objects.exists():
        surveys.upload_form(actor=ACTOR, content=STANDARD_FORM.read_bytes())
    if Initiative.objects.filter(name="Night patrols around Mbau and Oicha").exists():
        return
    today = today or dt.date.today()
    index = today.year * 12 + today.month - 1 - 5
    initiative = Initiative.objects.create(
        name="Night patrols around Mbau and Oicha",
        objectives="Fewer night attacks on the Mbau-Kamango road; communities feel safer at night.",
        started=dt.date(index // 12, index % 12 + 1, 1),
    )
    initiative.communities.set(Community.objects.filter(name__in=["Mbau", "Oicha"]))
    for code in ("events-per-10000", "safe-at-night"):
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is not None:
            InitiativeIndicator.objects.create(
                initiative=initiative,
                indicator=indicator,
                baseline=indicator.baseline,
                target=indicator.target,
            )
