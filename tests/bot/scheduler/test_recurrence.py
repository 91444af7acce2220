"""Recurring rules in IANA zones: daylight saving, 29 February, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import DomainError
from bot.scheduler.recurrence import CronRule, YearlyRule, rule_from_dict, search_zones, zone

BERLIN = ZoneInfo("Europe/Berlin")


def test_yearly_0900_berlin_is_0700_utc_in_summer_and_0800_in_winter() -> None:
    summer = YearlyRule(month=7, day=1, hour=9)
    winter = YearlyRule(month=1, day=15, hour=9)
    assert summer.next_after(datetime(2027, 1, 1, tzinfo=UTC), BERLIN) == datetime(
        2027, 7, 1, 7, 0, tzinfo=UTC
    )
    assert winter.next_after(datetime(2027, 1, 1, tzinfo=UTC), BERLIN) == datetime(
        2027, 1, 15, 8, 0, tzinfo=UTC
    )


def test_the_day_before_and_after_a_dst_change_keep_local_time() -> None:
    before = YearlyRule(month=3, day=27, hour=9).occurrence(2027, BERLIN)  # CET
    after = YearlyRule(month=3, day=29, hour=9).occurrence(2027, BERLIN)  # CEST (changed 28 March 2027)
    assert (before.hour, after.hour) == (8, 7)


def test_29_february_falls_on_28_february_in_other_years() -> None:
    rule = YearlyRule(month=2, day=29, hour=9)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert rule.occurrence(2027, shanghai) == datetime(2027, 2, 28, 1, 0, tzinfo=UTC)
    assert rule.occurrence(2028, shanghai) == datetime(2028, 2, 29, 1, 0, tzinfo=UTC)
    after_2027 = rule.next_after(datetime(2027, 2, 28, 1, 0, tzinfo=UTC), shanghai)
    assert after_2027 == datetime(2028, 2, 29, 1, 0, tzinfo=UTC)


def test_next_after_is_strictly_later() -> None:
    rule = YearlyRule(month=5, day=26, hour=10)
    shanghai = ZoneInfo("Asia/Shanghai")
    first = rule.next_after(datetime(2026, 11, 24, tzinfo=UTC), shanghai)
    assert first == datetime(2027, 5, 26, 2, 0, tzinfo=UTC)
    assert rule.next_after(first, shanghai) == datetime(2028, 5, 26, 2, 0, tzinfo=UTC)


def test_cron_rule_follows_the_zone_across_dst() -> None:
    rule = CronRule("0 9 * * *")
    assert rule.next_after(datetime(2027, 3, 27, 12, tzinfo=UTC), BERLIN) == datetime(
        2027, 3, 28, 7, tzinfo=UTC
    )
    assert rule.next_after(datetime(2027, 3, 26, 12, tzinfo=UTC), BERLIN) == datetime(
        2027, 3, 27, 8, tzinfo=UTC
    )


def test_rules_round_trip_through_their_stored_form() -> None:
    for rule in (YearlyRule(5, 26, 10, 30), CronRule("30 8 1 * *")):
        assert rule_from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: YearlyRule(month=2, day=31), "February has no day 31."),
        (lambda: YearlyRule(month=4, day=31), "April has no day 31."),
        (lambda: YearlyRule(month=13, day=1), "Month must be between 1 and 12, not 13."),
        (lambda: YearlyRule(month=1, day=1, hour=24), "Time must be between 00:00 and 23:59, not 24:00."),
        (lambda: CronRule("every day"), "'every day' is not a valid cron expression"),
        (lambda: zone("Mars/Olympus_Mons"), "Unknown time zone 'Mars/Olympus_Mons'"),
    ],
)
def test_bad_input_is_a_clear_domain_error(make: object, message: str) -> None:
    with pytest.raises(DomainError) as error:
        make()  # type: ignore[operator]
    assert str(error.value).startswith(message)


def test_zones_are_found_whatever_the_case_and_suggested() -> None:
    assert zone("asia/shanghai").key == "Asia/Shanghai"
    assert search_zones("shang")[0] == "Asia/Shanghai"
    assert search_zones("Europe/")[:2] == ["Europe/Amsterdam", "Europe/Andorra"]
    assert len(search_zones("a")) == 25
