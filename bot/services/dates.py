"""Forgiving but strict date-and-time input, read as wall-clock time in an IANA zone.

A small fixed set of formats rather than a natural-language parser: every accepted input has one
meaning ("03/04/2027" is refused, not guessed), it works offline and costs nothing to import.
Accepted, with any letter case and extra spaces or commas::

    2027-08-20 09:00      2027-08-20T09:00      2027/08/20 9:00
    20 Aug 2027 9am       20 August 2027 09:30  20 Aug 2027 9:30 pm
    Aug 20 2027 9am       August 20, 2027 14:00

A wall-clock time skipped by a spring-forward change is read with the offset from before the
change (as ``zoneinfo`` does); an ambiguous autumn time is its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.services.errors import DomainError

_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")
_TIMES = ("%H:%M", "%H:%M:%S", "%I%p", "%I:%M%p", "%H%M")
_FORMATS = tuple(f"{d} {t}" for d in _DATES for t in _TIMES)
EXAMPLES = "2027-08-20 09:00, 20 Aug 2027 9am"


def _normalise(text: str) -> str:
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
    raise DomainError(
        _("I cannot read '{text}' as a date and time. Write it like {examples}."),
        text=text[:60],
        examples=EXAMPLES,
    )


def local_input(when: datetime, tz: ZoneInfo) -> str:
    """``when`` as the text ``parse_local`` reads back, for pre-filled forms."""
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")
