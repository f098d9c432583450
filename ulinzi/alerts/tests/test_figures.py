"""Response figures are computed from timestamps, per base, month and threat type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ulinzi.alerts.figures import AlertTimes, percentile, summarise

T0 = datetime(2026, 11, 3, 21, 0, tzinfo=UTC)


def times(
    ack: int | None,
    dispatch: int | None = None,
    arrive: int | None = None,
    outcome: str = "",
    feedback: bool = False,
    base: str = "beni",
) -> AlertTimes:
    def at(minutes: int | None) -> datetime | None:
        return None if minutes is None else T0 + timedelta(minutes=minutes)

    return AlertTimes(
        base=base,
        month="2026-11",
        threat_type="killing",
        status="closed" if outcome else "acknowledged",
        outcome=outcome,
        received_at=T0,
        acknowledged_at=at(ack),
        dispatched_at=at(dispatch),
        on_site_at=at(arrive),
        feedback_sent_at=at(200) if feedback else None,
    )


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([10, 20, 30, 40], 0.5) == 25
    assert percentile([10, 20, 30, 40], 0.9) == 37
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def test_medians_p90_and_shares_per_group() -> None:
    [beni, goma] = summarise(
        [
            times(4, 30, 90, outcome="mitigated", feedback=True),
            times(6, 50, 130, outcome="prevented", feedback=False),
            times(20, None, None, outcome="no_response_possible", feedback=True),
            times(2, None, None, outcome="false_alarm"),  # not a genuine alert: out of "addressed"
            times(None, base="goma"),
        ]
    )
    assert beni == {
        "base": "beni",
        "month": "2026-11",
        "threat_type": "killing",
        "alerts": 4,
        "minutes_to_acknowledge_median": 5.0,
        "minutes_to_acknowledge_p90": 15.8,
        "minutes_to_dispatch_median": 40.0,
        "minutes_to_dispatch_p90": 48.0,
        "minutes_to_arrive_median": 110.0,
        "minutes_to_arrive_p90": 126.0,
        "share_addressed": 0.667,
        "share_closed_with_feedback": 0.5,
    }
    assert goma["alerts"] == 1 and goma["minutes_to_acknowledge_median"] is None
    assert goma["share_closed_with_feedback"] is None
