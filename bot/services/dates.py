"""Forgiving but strict date-and-time input, read as wall-clock time in an IANA zone.

A small fixed set of formats rather than a natural-language parser: every accepted input has one
meaning ("03/04/2027" is refused, not guessed), it works offline and costs nothing to import.
Accepted, with any letter case and extra spaces or commas::

    2027-08-20 09:00      2027-08-20T09:00      2027/08/20 9:00
    20 Aug 2027 9am       20 August 2027 09:30  20 Aug 2027 9:30 pm
    Aug 20 2027 9am       August 20, 2027 14:00
    2027年8月20日 9:00    2027年8月20日 上午9点   2027年8月20日 下午5点半

A wall-clock time skipped by a spring-forward change is read with the offset from before the
change (as ``zoneinfo`` does); an ambiguous autumn time is its first occurrence.

What cannot be read is refused with the reason when there is one to give (a day the month does
not have, a date without a time, a day and month that could be either), in the reader's language.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.errors import DomainError
from bot.i18n import Message, Month, _, half_width

_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")
_TIMES = ("%H:%M", "%H:%M:%S", "%I%p", "%I:%M%p", "%H%M")
_FORMATS = tuple(f"{d} {t}" for d in _DATES for t in _TIMES)
EXAMPLES = _("2027-08-20 09:00 or 20 Aug 2027 9am")

_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_CJK_MORNING = re.compile(r"(?:上午|早上|凌晨)\s*(\d{1,2}(?::\d{2})?)")
_CJK_AFTERNOON = re.compile(r"(?:中午|下午|晚上)\s*(\d{1,2}(?::\d{2})?)")
# Dates a reader may type that strptime refuses without saying why.
_YEAR_FIRST = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b")
_DAY_FIRST = re.compile(r"^(\d{1,2}) ([a-z]+) (\d{4})\b", re.IGNORECASE)
_MONTH_FIRST = re.compile(r"^([a-z]+) (\d{1,2}) (\d{4})\b", re.IGNORECASE)
_NUMERIC_DAY_MONTH = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")


def _normalise_chinese(text: str) -> str:
    """'2027年8月20日 下午5点半' -> '2027-8-20 5:30pm'."""
    text = _CJK_DATE.sub(r"\1-\2-\3 ", half_width(text))
    text = re.sub(r"(\d{1,2})\s*[点时]\s*半", r"\1:30", text)
    text = re.sub(r"(\d{1,2})\s*[点时]\s*(\d{1,2})\s*分?", lambda m: f"{m[1]}:{int(m[2]):02d}", text)
    text = re.sub(r"(\d{1,2})\s*[点时]", r"\1:00", text)
    text = _CJK_MORNING.sub(r"\1am", text)
    return _CJK_AFTERNOON.sub(r"\1pm", text)


def _normalise(text: str) -> str:
    text = _normalise_chinese(text)
    text = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})[Tt]", r"\1 ", text.strip())
    text = text.replace(",", " ").strip()
    text = re.sub(r"\s+", " ", text)
    # "9 am" -> "9am", "9.30pm" -> "9:30pm"
    text = re.sub(r"(\d)\s*([aApP])\.?\s*([mM])\.?$", r"\1\2\3", text)
    text = re.sub(r"(\d{1,2})\.(\d{2})(?=[aApP]|$)", r"\1:\2", text)
    # strip ordinal suffixes: "20th Aug" -> "20 Aug"
    return re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", text, flags=re.IGNORECASE)


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """``text`` read as wall-clock time in ``tz``, returned as aware UTC; DomainError when unreadable."""
    cleaned = _normalise(text)
    for fmt in _FORMATS:
        try:
            naive = datetime.strptime(cleaned, fmt)  # noqa: DTZ007 (made aware just below)
        except ValueError:
            continue
        return naive.replace(tzinfo=tz).astimezone(UTC)
    raise _why_unreadable(text, cleaned)


def _month_number(word: str) -> int | None:
    for fmt in ("%b", "%B"):
        try:
            return datetime.strptime(word, fmt).month  # noqa: DTZ007 (only the month is used)
        except ValueError:
            continue
    return None


def _year_month_day(cleaned: str) -> tuple[int, int, int] | None:
    """The year, month and day ``cleaned`` starts with, whether or not that day exists."""
    if match := _YEAR_FIRST.match(cleaned):
        return int(match[1]), int(match[2]), int(match[3])
    if (match := _DAY_FIRST.match(cleaned)) and (month := _month_number(match[2])):
        return int(match[3]), month, int(match[1])
    if (match := _MONTH_FIRST.match(cleaned)) and (month := _month_number(match[1])):
        return int(match[3]), month, int(match[2])
    return None


def _why_unreadable(text: str, cleaned: str) -> DomainError:
    shown = text.strip()[:60]
    found = _year_month_day(cleaned)
    if found is not None:
        year, month, day = found
        if 1 <= month <= 12 and not 1 <= day <= calendar.monthrange(year, month)[1]:
            return DomainError(
                _("{month_name} {year} has no day {day}."), month_name=Month(month), year=year, day=day
            )
        if " " not in cleaned:
            return DomainError(
                _("'{text}' has a date but no time: add the time, like {example}."),
                text=shown,
                example=f"{shown} 09:00",
            )
    if _NUMERIC_DAY_MONTH.match(cleaned):
        return DomainError(
            _("'{text}' could be day/month or month/day: write the year first, like {examples}."),
            text=shown,
            examples=Message(EXAMPLES),
        )
    return DomainError(
        _("I cannot read '{text}' as a date and time. Write it like {examples}."),
        text=shown,
        examples=Message(EXAMPLES),
    )


def local_input(when: datetime, tz: ZoneInfo) -> str:
    """``when`` as the text ``parse_local`` reads back, for pre-filled forms."""
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")
