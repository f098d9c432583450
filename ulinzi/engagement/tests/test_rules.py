"""The pure rules: coverage gaps, silence, commitment states, broadcast targets, and the
"you said, we did" summary."""

from __future__ import annotations

import datetime as dt

import pytest

from ulinzi.engagement import rules, summary
from ulinzi.lib.sms import sms_count

UTC = dt.UTC


def staff(
    i: int,
    sex: str,
    speaks: set[str],
    communities: set[int] = frozenset(),
    base: set[int] = frozenset(),
    available: bool = True,
) -> rules.Staff:  # type: ignore[assignment]
    return rules.Staff(
        i, sex, frozenset(speaks), frozenset(communities), frozenset(base), available
    )


def test_coverage_on_a_small_roster_with_known_answers() -> None:
    # Community 1 speaks sw and fr; community 2 speaks ln and sw; community 3 speaks kg.
    communities = [(1, ["sw", "fr"]), (2, ["ln", "sw"]), (3, ["kg"])]
    roster = [
        staff(10, "m", {"sw", "fr"}, communities={1}),  # a man covering 1
        staff(11, "f", {"fr"}, base={1, 2}),  # a woman at the base of 1 and 2
        staff(12, "f", {"ln"}, communities={2}, available=False),  # away: does not count
        staff(13, "m", {"ln", "sw"}, base={2}),
        staff(14, "f", {"kg"}, communities={9}),  # speaks kg but covers another community
    ]
    got = {
        (g.community, g.language): (g.staff, g.women, g.no_interpreter, g.no_female)
        for g in rules.coverage(communities, roster)
    }
    assert got == {
        (1, "sw"): (1, 0, False, True),  # only the man: no woman for Swahili at 1
        (1, "fr"): (2, 1, False, False),
        (2, "ln"): (1, 0, False, True),  # the woman who speaks Lingala is away
        (2, "sw"): (1, 0, False, True),
        (3, "kg"): (0, 0, True, True),  # nobody at all
    }
    # A language listed twice counts once.
    assert len(rules.coverage([(1, ["sw", "sw"])], roster)) == 1


def test_silence_with_a_fixed_clock() -> None:
    now = dt.datetime(2026, 11, 25, 12, tzinfo=UTC)
    day = dt.timedelta(days=1)
    signals = [
        rules.Signal(1, 100, now - 60 * day, now - 2 * day),  # heard two days ago
        rules.Signal(2, 100, now - 60 * day, now - 20 * day),  # quiet 20 days
        rules.Signal(3, 200, now - 60 * day, now - 15 * day),  # quiet 15 days
        rules.Signal(4, 200, now - 3 * day, None),  # registered 3 days ago, nothing yet
        rules.Signal(5, 300, now - 30 * day, None),  # registered a month ago, never heard
        rules.Signal(6, 400, now - 90 * day, now - 80 * day, active=False),  # retired
    ]
    quiet, communities = rules.silent(signals, now, days=14)
    assert quiet == {2, 3, 5}
    assert communities == {300}  # 100 and 200 each still have someone heard from
    quiet7, communities7 = rules.silent(signals, now, days=1)
    assert quiet7 == {1, 2, 3, 4, 5} and communities7 == {100, 200, 300}
    # Exactly at the limit is not yet silent.
    assert rules.silent([rules.Signal(7, 1, now - 30 * day, now - 14 * day)], now, 14) == (
        set(),
        set(),
    )
    with pytest.raises(ValueError, match="at least 1"):
        rules.silent(signals, now, 0)


def test_commitment_states() -> None:
    today = dt.date(2026, 11, 25)
    assert rules.commitment_state(dt.date(2026, 11, 24), "open", today) == "overdue"
    assert rules.commitment_state(today, "open", today) == "due_soon"
    assert rules.commitment_state(dt.date(2026, 12, 2), "open", today) == "due_soon"
    assert rules.commitment_state(dt.date(2026, 12, 3), "open", today) == "open"
    assert rules.commitment_state(dt.date(2026, 1, 1), "kept", today) == "kept"
    assert rules.commitment_state(dt.date(2026, 1, 1), "not_kept", today) == "not_kept"


def recipient(
    i: int,
    community: int | None,
    areas: set[int],
    language: str = "sw",
    role: str = "",
    opted_out: bool = False,
) -> rules.Recipient:
    return rules.Recipient(i, community, frozenset(areas), language, role, opted_out)


def test_targets_are_each_reached_once_and_never_after_stop() -> None:
    people = [
        recipient(1, 10, {100, 1000}),  # community 10, in territory 100
        recipient(2, 11, {101, 1000}, language="fr"),
        recipient(3, 12, {100, 1000}, role="women"),
        recipient(4, 10, {100, 1000}, opted_out=True),
        recipient(5, 13, {102, 1001}),  # another province
        recipient(1, 10, {100, 1000}),  # the same reporter twice in the input
    ]
    # Community 10 and territory 100 both match reporters 1 and 3: each once.
    assert rules.targets(people, communities=frozenset({10}), areas=frozenset({100})) == [1, 3]
    assert rules.targets(people, communities=frozenset(), areas=frozenset({1000})) == [1, 2, 3]
    assert rules.targets(
        people, communities=frozenset(), areas=frozenset({1000}), languages=frozenset({"fr"})
    ) == [2]
    assert rules.targets(
        people, communities=frozenset(), areas=frozenset({1000}), roles=frozenset({"women"})
    ) == [3]
    assert rules.targets(people, communities=frozenset(), areas=frozenset()) == []


def test_you_said_we_did_counts_and_hides_sensitive_kinds() -> None:
    facts = summary.Facts(
        community="Mbau",
        period="2026-09-01 / 2026-11-25",
        alerts_by_type={"killing": 2, "looting_extortion": 1, "sexual_violence": 1, "abduction": 2},
        type_labels={"killing": "killing", "looting_extortion": "looting"},
        patrol_requests=3,
        patrols_done=2,
        commitments_kept=["Night patrols on the Mbau-Kamango road"],
        commitments_total=2,
    )
    text = summary.text(facts, "en")
    assert text.splitlines()[0] == "Mbau: you said, we did (2026-09-01 / 2026-11-25)"
    assert "- 3 alert(s) handled (killing 2, looting 1)" in text
    assert "- 3 other protection concern(s) followed up" in text
    assert "sexual" not in text and "abduction" not in text
    assert "- 1 of 2 commitment(s) kept" in text and "Night patrols" in text
    sms = summary.sms(facts, "sw")
    assert sms.startswith("Mbau: mlisema, tulifanya")
    assert "Night patrols" not in sms  # the SMS leaves the commitments' wording out
    assert sms_count(sms) <= 2
    empty = summary.Facts(community="Sake", period="p")
    assert summary.sms(empty, "fr") == "Sake : vous avez dit, nous avons fait (p): rien à signaler."


def test_sms_parts_for_gsm_and_arabic() -> None:
    assert sms_count("a" * 160) == 1 and sms_count("a" * 161) == 2  # GSM-7: 160, then 153 a part
    assert sms_count("a" * 306) == 2 and sms_count("a" * 307) == 3
    arabic = "بعثة الأمم المتحدة تحمي المدنيين"  # UCS-2: 70 characters, then 67 a part
    assert sms_count(arabic) == 1
    assert sms_count("م" * 70) == 1 and sms_count("م" * 71) == 2 and sms_count("م" * 135) == 3
