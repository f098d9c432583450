"""The standard set of indicators every mission starts with (created by a data migration,
editable afterwards)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as N_

# code, name, numerator, denominator, params, factor, unit, disaggregation, target, polarity
STANDARD: list[tuple[Any, ...]] = [
    (
        "alerts-addressed",
        N_("Share of alerts addressed"),
        "alerts.addressed",
        "alerts.closed",
        {},
        100,
        "%",
        "",
        85,
        "higher",
    ),
    (
        "minutes-to-respond",
        N_("Median minutes to respond (first report to dispatch)"),
        "alerts.minutes_to_dispatch",
        "",
        {},
        1,
        N_("min"),
        "",
        60,
        "lower",
    ),
    (
        "alerts-feedback",
        N_("Share of alerts with feedback to the reporter"),
        "alerts.feedback",
        "alerts.closed",
        {},
        100,
        "%",
        "",
        90,
        "higher",
    ),
    (
        "patrol-requests-met",
        N_("Patrol requests met"),
        "patrols.requests_met",
        "patrols.requests_closed",
        {},
        100,
        "%",
        "",
        70,
        "higher",
    ),
    (
        "events-per-10000",
        N_("Events per 10,000 people"),
        "events.count",
        "population",
        {},
        10000,
        N_("per 10,000"),
        "",
        None,
        "lower",
    ),
    (
        "safe-at-night",
        N_("Share who feel safe at night, by sex"),
        "survey.share",
        "",
        {"question": "safe_night", "values": ["very_safe", "fairly_safe"]},
        100,
        "%",
        "sex",
        50,
        "higher",
    ),
    (
        "knows-how-to-alert",
        N_("Share who know how to raise an alert"),
        "survey.share",
        "",
        {"question": "knows_alert", "values": ["yes"]},
        100,
        "%",
        "sex",
        80,
        "higher",
    ),
    (
        "commitments-on-time",
        N_("Commitments kept on time"),
        "commitments.kept_on_time",
        "commitments.due",
        {},
        100,
        "%",
        "",
        80,
        "higher",
    ),
]


#: The standard names and units, by code: shown in the reader's language while unchanged.
WORDS: dict[str, tuple[str, str]] = {row[0]: (row[1], row[6]) for row in STANDARD}


def create(indicator_model: Any) -> int:
    """Create the standard indicators that do not exist yet; return how many were made."""
    made = 0
    for position, (
        code,
        name,
        top,
        bottom,
        params,
        factor,
        unit,
        by,
        target,
        polarity,
    ) in enumerate(STANDARD):
        _obj, created = indicator_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "numerator": top,
                "denominator": bottom,
                "params": params,
                "factor": factor,
                "unit": unit,
                "disaggregation": by,
                "target": target,
                "polarity": polarity,
                "position": position,
            },
        )
        made += created
    return made
