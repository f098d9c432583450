"""The matrix layout (pure): periods, labels, folding months into quarters, trends."""

from __future__ import annotations

import datetime as dt

import pytest

from ulinzi.threats import matrix as mx

D = dt.date


def test_period_starts_and_labels() -> None:
    # 2024-01-03 is a Wednesday of ISO week 1; its Monday is 2024-01-01.
    assert mx.period_start(D(2024, 1, 3), "week") == D(2024, 1, 1)
    assert mx.period_label(D(2024, 1, 1), "week") == "2024-W01"
    # 2021-01-01 is a Friday of ISO week 53 of 2020.
    assert mx.period_label(mx.period_start(D(2021, 1, 1), "week"), "week") == "2020-W53"
    assert mx.period_start(D(2024, 8, 31), "month") == D(2024, 8, 1)
    assert mx.period_start(D(2024, 8, 31), "quarter") == D(2024, 7, 1)
    assert mx.period_label(D(2024, 7, 1), "quarter") == "2024-Q3"
    assert mx.period_end(D(2024, 2, 1), "month") == D(2024, 2, 29)
    assert mx.period_end(D(2024, 10, 1), "quarter") == D(2024, 12, 31)
    with pytest.raises(ValueError, match="period must be one of"):
        mx.period_start(D(2024, 1, 1), "fortnight")


def test_every_period_gets_a_column_even_without_events() -> None:
    starts = mx.periods_between(D(2023, 11, 15), D(2024, 2, 2), "month")
    assert starts == [D(2023, 11, 1), D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1)]
    assert mx.periods_between(D(2024, 2, 2), D(2023, 11, 15), "month") == []
    assert len(mx.periods_between(D(2000, 1, 1), D(2024, 1, 1), "month")) == mx.MAX_PERIODS


def test_trend_needs_a_change_beyond_poisson_noise() -> None:
    assert mx.trend([3]) == ""
    assert mx.trend([1, 2]) == "steady"  # 2 < 1 + 2*sqrt(1)
    assert mx.trend([2, 2, 2, 9]) == "up"  # 9 >= 2 + 2*sqrt(2) = 4.83
    assert mx.trend([2, 2, 2, 4]) == "steady"
    assert mx.trend([20, 20, 20, 10]) == "down"  # 10 <= 20 - 2*sqrt(20) = 11.06
    # Only the three periods before the last count.
    assert mx.trend([100, 0, 0, 0, 5]) == "up"  # mean 0 -> band 2
    # A week shown for 2 of its 7 days: 6 events is what 20 a week gives in 2 days.
    assert mx.trend([20, 20, 20, 6]) == "down"
    assert mx.trend([20, 20, 20, 6], last_share=2 / 7) == "steady"  # 5.7 +- 4.8
    assert mx.trend([20, 20, 20, 11], last_share=2 / 7) == "up"
    assert mx.shown_share(dt.date(2026, 11, 30), "week", dt.date(2026, 12, 1)) == 2 / 7
    assert mx.shown_share(dt.date(2026, 10, 1), "quarter", dt.date(2027, 1, 5)) == 1.0


def test_build_lays_out_counts_and_totals() -> None:
    counts = [
        (1, "killing", D(2024, 1, 1), 2, 5),
        (1, "killing", D(2024, 3, 1), 1, 1),
        (1, "abduction", D(2024, 2, 1), 4, 0),
        (2, "killing", D(2024, 2, 1), 3, 7),
        (None, "armed_clash", D(2024, 1, 1), 1, 2),
        (2, "killing", D(2023, 12, 1), 9, 9),  # before the window: left out
    ]
    m = mx.build(
        counts,
        level="territory",
        period="month",
        first=D(2024, 1, 1),
        last=D(2024, 3, 31),
        names={1: "Beni", 2: "Irumu"},
    )
    assert m.labels == ["2024-01", "2024-02", "2024-03"]
    assert [(r.area, r.threat_type) for r in m.rows] == [
        ("Beni", "abduction"),
        ("Beni", "killing"),
        ("Irumu", "killing"),
        ("(no area)", "armed_clash"),
    ]
    beni_killing = m.rows[1]
    assert [c.events for c in beni_killing.cells] == [2, 0, 1]
    assert [c.fatalities for c in beni_killing.cells] == [5, 0, 1]
    assert (beni_killing.events, beni_killing.fatalities) == (3, 6)
    assert m.column_events == [3, 7, 1]
    assert m.column_fatalities == [7, 7, 1]
    assert (m.events, m.fatalities) == (11, 15)
    assert sum(r.events for r in m.rows) == m.events


def test_quarters_fold_months() -> None:
    counts = [
        (1, "killing", D(2024, 1, 1), 1, 0),
        (1, "killing", D(2024, 2, 1), 2, 1),
        (1, "killing", D(2024, 3, 1), 3, 0),
        (1, "killing", D(2024, 4, 1), 4, 2),
    ]
    m = mx.build(
        counts,
        level="province",
        period="quarter",
        first=D(2024, 1, 1),
        last=D(2024, 6, 30),
        names={1: "Ituri"},
    )
    assert m.labels == ["2024-Q1", "2024-Q2"]
    assert [c.events for c in m.rows[0].cells] == [6, 4]
    assert [c.fatalities for c in m.rows[0].cells] == [1, 2]


def test_build_refuses_unknown_level() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        mx.build(
            [], level="village", period="month", first=D(2024, 1, 1), last=D(2024, 1, 31), names={}
        )


def test_a_last_period_is_cut_short_only_by_the_last_day_counted() -> None:
    """Three months of 6 events, then 3 in November, all by the 5th: over, November is
    steady; counted only up to its 5th (today, or the last day asked for), it is up."""
    counts = [
        (1, "killing", dt.date(2026, month, 1), n, 0)
        for month, n in ((8, 6), (9, 6), (10, 6), (11, 3))
    ]

    def arrow(until: dt.date | None) -> str:
        matrix = mx.build(
            counts,
            level="territory",
            period="month",
            first=dt.date(2026, 8, 1),
            last=dt.date(2026, 11, 5),  # the latest event's day
            names={1: "Beni"},
            counted_until=until,
        )
        return matrix.rows[0].trend

    assert arrow(None) == "steady"
    assert arrow(dt.date(2026, 12, 6)) == "steady"  # November is over
    assert arrow(dt.date(2026, 11, 5)) == "up"  # 3 in 5 days, against 1 expected
