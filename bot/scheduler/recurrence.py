"""Recurring rules: yearly dates and cron expressions, evaluated in an IANA time zone.

Occurrences are computed in local wall-clock time and converted to UTC, so "09:00 Europe/Berlin"
stays 09:00 in Berlin across daylight-saving changes. A yearly 29 February falls on 28 February in
years without one. A wall-clock time skipped by a spring-forward change runs at the same offset as
before the change (e.g. 02:30 becomes 03:30 local).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from apscheduler.triggers.cron import CronTrigger

from bot.errors import DomainError
from bot.i18n import Month, _

MONTH_DAYS_MAX = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name`` (any letter case), or a DomainError a user can act on."""
    found = _zone_names().get(name.strip().lower())
    if found is None:
        raise DomainError(
            _("Unknown time zone '{zone}': use an IANA name such as Asia/Shanghai or Europe/Berlin."),
            zone=name[:64],
        )
    return ZoneInfo(found)


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def search_zones(query: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: prefix matches first, then any containing the text."""
    needle = query.strip().lower().replace(" ", "_")
    names = sorted(_zone_names().values())
    if not needle:
        popular = ["UTC", "Asia/Shanghai", "Asia/Bangkok", "Asia/Singapore", "Europe/Moscow", "Europe/Berlin"]
        return popular[:limit]
    prefix = [n for n in names if n.lower().startswith(needle)]
    contains = [n for n in names if needle in n.lower() and n not in prefix]
    return (prefix + contains)[:limit]


@dataclass(frozen=True)
class YearlyRule:
    month: int
    day: int
    hour: int = 9
    minute: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise DomainError(_("Month must be between 1 and 12, not {month}."), month=self.month)
        if not 1 <= self.day <= MONTH_DAYS_MAX[self.month - 1]:
            raise DomainError(
                _("{month_name} has no day {day}."),
                month_name=Month(self.month),
                day=self.day,
            )
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise DomainError(
                _("Time must be between 00:00 and 23:59, not {hour}:{minute:02d}."),
                hour=self.hour,
                minute=self.minute,
            )

    def occurrence(self, year: int, tz: ZoneInfo) -> datetime:
        day = min(self.day, calendar.monthrange(year, self.month)[1])
        local = datetime(year, self.month, day, self.hour, self.minute, tzinfo=tz)
        return local.astimezone(UTC)

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        year = after.astimezone(tz).year - 1
        while True:
            candidate = self.occurrence(year, tz)
            if candidate > after:
                return candidate
            year += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "yearly",
            "month": self.month,
            "day": self.day,
            "hour": self.hour,
            "minute": self.minute,
        }


@dataclass(frozen=True)
class CronRule:
    """A five-field crontab expression (minute hour day month weekday)."""

    expression: str

    def __post_init__(self) -> None:
        try:
            CronTrigger.from_crontab(self.expression, timezone=UTC)
        except ValueError as exc:
            raise DomainError(
                _("'{expression}' is not a valid cron expression: {reason}"),
                expression=self.expression,
                reason=str(exc),
            ) from None

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        trigger = CronTrigger.from_crontab(self.expression, timezone=tz)
        # APScheduler's next fire time is "at or after"; nudge past ``after`` so it is strictly later.
        fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
        if fire is None:
            raise DomainError(_("'{expression}' never fires."), expression=self.expression)
        return fire.astimezone(UTC)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "cron", "expression": self.expression}


Rule = YearlyRule | CronRule


def rule_from_dict(data: dict[str, Any]) -> Rule:
    kind = data.get("type")
    if kind == "yearly":
        return YearlyRule(
            int(data["month"]), int(data["day"]), int(data.get("hour", 9)), int(data.get("minute", 0))
        )
    if kind == "cron":
        return CronRule(str(data["expression"]))
    raise ValueError(f"unknown recurrence type {kind!r}")
