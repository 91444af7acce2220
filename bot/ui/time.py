"""Times as Discord timestamps, which every reader's client shows in their own zone and language."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

TimestampStyle = Literal["t", "T", "d", "D", "f", "F", "R"]


def timestamp(when: datetime, style: TimestampStyle = "F") -> str:
    if when.tzinfo is None:
        raise ValueError("timestamp() needs an aware datetime")
    return f"<t:{int(when.timestamp())}:{style}>"


def full_and_relative(when: datetime) -> str:
    """'<t:...:F> (<t:...:R>)': the date and time, and 'in 3 days'."""
    return f"{timestamp(when, 'F')} ({timestamp(when, 'R')})"


def discord_moment(when: datetime, style: str, language: str) -> str:
    """How a moment in a message (``{deadline:D}``) reads in Discord: a timestamp every reader
    sees in their own time zone (``FR``: the full date and time, then the relative time)."""
    if style == "FR":
        return full_and_relative(when)
    return timestamp(when, style if style in ("t", "T", "d", "D", "f", "F", "R") else "F")  # type: ignore[arg-type]
