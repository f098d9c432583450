"""Demonstration data for ``make demo``: the standard survey form, four synthetic rounds
of the perception-of-safety survey (imported as a KoBo CSV export, through the same path
as a real one), and one initiative measured against the synthetic demonstration events
and those rounds. Idempotent. The answers are made up: they show the pages, not a
finding."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.places.models import Community

ACTOR = "demo setup"


def load_demo_indicators(today: dt.date | None = None) -> None:
    from ulinzi.surveys import domain as surveys
    from ulinzi.surveys.models import SurveyForm
    from ulinzi.surveys.views import STANDARD_FORM

    form = SurveyForm.objects.first()
    if form is None:
        form = surveys.upload_form(actor=ACTOR, content=STANDARD_FORM.read_bytes())
    if Initiative.objects.filter(name="Night patrols around Mbau and Oicha").exists():
        return
    today = today or dt.date.today()
    index = today.year * 12 + today.month - 1 - 5
    _survey_rounds(form, index, covered={"Mbau", "Oicha"})
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


def _survey_rounds(form: object, start: int, covered: set[str]) -> None:
    """Rounds ending 14, 8 and 2 months before the start and 3 months after: in the
    covered communities more people feel safe at night after the start."""
    from ulinzi.surveys import domain as surveys
    from ulinzi.surveys.models import SurveyRound

    rng = random.Random(2017)
    communities = list(Community.objects.order_by("name").values_list("name", flat=True))
    answered = ["very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe"]
    for offset in (-14, -8, -2, 3):
        month = start + offset
        end = dt.date(month // 12, month % 12 + 1, 20)
        title = f"Perception of safety, {end:%B %Y} (demonstration)"
        if SurveyRound.objects.filter(name=title).exists():
            continue
        survey = surveys.create_round(
            actor=ACTOR,
            name=title,
            form=form,  # type: ignore[arg-type]
            start=end - dt.timedelta(days=12),
            end=end,
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "_uuid",
                "_submission_time",
                "sex",
                "age_group",
                "community",
                "safe_day",
                "safe_night",
                "knows_alert",
            ]
        )
        for name in communities:
            lift = 0.3 if name in covered and offset > 0 else 0.0
            for k in range(rng.randint(22, 34)):
                night = rng.random() < 0.25 + lift + 0.01 * (offset + 14)
                writer.writerow(
                    [
                        f"demo-{month}-{name}-{k}",
                        f"{end:%Y-%m-%d}T10:00:00",
                        rng.choice(["female", "male"]),
                        rng.choice(["age_18_24", "age_25_34", "age_35_49", "age_50_plus"]),
                        name,
                        rng.choice(answered[:2] if rng.random() < 0.7 else answered[2:]),
                        rng.choice(answered[:2] if night else answered[2:]),
                        rng.choice(["yes", "yes", "no", "dk"]),
                    ]
                )
        export = io.BytesIO(out.getvalue().encode("utf-8"))
        export.name = "demo.csv"  # type: ignore[attr-defined]
        surveys.import_responses(actor=ACTOR, survey=survey, path=export)
