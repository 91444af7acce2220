"""Every value a person can type, declared once: how long it may be (its column is declared with the
same number), which numbers are allowed, and the one normaliser all typed text goes through before
any rule sees it.

Slash options and form fields declare these limits to Discord, and the bot checks them again itself
(a client can send anything):

    title: app_commands.Range[str, 1, REPORT_TITLE.max_length]   # what Discord is told
    title = REPORT_TITLE.clean(title)                            # what the service keeps

``clean`` makes text canonical (Unicode NFC, line breaks unified, control and format characters such
as zero-width spaces and direction overrides removed, whitespace trimmed) and then refuses what is
left if it is empty (nothing visible) or too long. What reaches the database is what people see.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.errors import DomainError
from bot.i18n import Bound, Message, _

# Letters (and digits, punctuation, symbols) that render as nothing: the fillers people paste to
# make a name look blank. They are kept inside text and do not count as something to see.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u034f\u180b\u180c\u180d")
# Joiners that shape emoji sequences and Persian or Indic words: kept between two visible characters.
JOINERS = frozenset("\u200c\u200d")
_VISIBLE_CATEGORIES = frozenset("LNPS")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _is_dropped(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: controls (NUL, escapes); Cf: format (zero-width, bidi overrides, BOM); Cs: lone surrogates,
    # which no database can store as UTF-8.
    return category in ("Cc", "Cf", "Cs")


def _has_visible(text: str) -> bool:
    return any(
        unicodedata.category(char)[0] in _VISIBLE_CATEGORIES and char not in BLANK_LOOKING for char in text
    )


def canonical_text(value: str, *, multiline: bool = False) -> str:
    """``value`` as it is kept: NFC, line breaks as ``\\n`` (or spaces when it is one line), control
    and format characters removed (joiners only when between two visible characters), runs of spaces
    made one, trimmed. Empty when nothing visible is left."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    kept: list[str] = []
    for index, char in enumerate(text):
        if char == "\n" or char == "\t":
            kept.append("\n" if multiline and char == "\n" else " ")
        elif char in JOINERS:
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if before and after and _has_visible(before) and _has_visible(after):
                kept.append(char)
        elif not _is_dropped(char):
            kept.append(char)
    cleaned = "".join(kept)
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in cleaned.split("\n")]
        cleaned = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    else:
        cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned if _has_visible(cleaned) else ""


@dataclass(frozen=True)
class TextField:
    """A piece of text a person types: a slash option, a form field or both."""

    label: str  # marked with _(): the field's name in messages ("title")
    max_length: int
    min_length: int = 1
    multiline: bool = False

    def clean(self, value: Any, *, required: bool = True) -> str:
        """``value`` made canonical; a DomainError naming the field when it is empty (and ``required``),
        too short or too long. An optional field left empty is ``""``."""
        text = canonical_text(value, multiline=self.multiline) if isinstance(value, str) else ""
        if not text:
            if required:
                raise DomainError(_("The {field} cannot be empty."), field=Message(self.label))
            return ""
        if len(text) > self.max_length:
            raise DomainError(
                _("The {field} can be at most {max:n} characters long, not {length:n}."),
                field=Message(self.label),
                max=self.max_length,
                length=len(text),
            )
        if len(text) < self.min_length:
            raise DomainError(
                _("The {field} must be at least {min:n} characters long."),
                field=Message(self.label),
                min=self.min_length,
            )
        return text

    def clean_optional(self, value: str | None) -> str | None:
        """``clean`` for a value that may be left out: None stays None (nothing given), and text with
        nothing visible in it is refused rather than taken for "nothing"."""
        return None if value is None else self.clean(value)


@dataclass(frozen=True)
class WholeNumber:
    """A whole number a person types, with its bounds."""

    label: str
    min_value: int
    max_value: int

    def check(self, value: Any) -> int:
        """``value`` when it is a whole number within the bounds, else a DomainError naming the field."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DomainError(_("The {field} must be a whole number."), field=Message(self.label))
        if not self.min_value <= value <= self.max_value:
            raise DomainError(
                _("The {field} must be from {min} to {max}."),
                field=Message(self.label),
                min=Bound(self.min_value),
                max=Bound(self.max_value),
            )
        if value != int(value):
            raise DomainError(_("The {field} must be a whole number."), field=Message(self.label))
        return int(value)


# Ids: every table's ids are signed 64-bit integers on both databases.
MAX_ID = 2**63 - 1

# -- the directory of parks ---------------------------------------------------------------------------
PARK_NAME = TextField(_("park name"), 200)
PARK_LOCAL_NAME = TextField(_("local name"), 200)
PARK_ALIASES = TextField(_("aliases"), 400)
PARK_FOCUS = TextField(_("focus industries"), 400)
PARK_CITY = TextField(_("city"), 100)
PARK_DESCRIPTION = TextField(_("description"), 1000, multiline=True)
PARK_QUERY = TextField(_("search"), 100)
PARK_REFERENCE = TextField(_("park"), 200)
COUNTRY_TEXT = TextField(_("country"), 60)
FOCUS_TEXT = TextField(_("focus industry"), 100)
WEB_ADDRESS = TextField(_("web address"), 500)
PARK_ESTABLISHED = WholeNumber(_("year founded"), 1900, 2100)
REGION_TEXT = TextField(_("region"), 64)

# -- workshops ----------------------------------------------------------------------------------------
WORKSHOP_TITLE = TextField(_("title"), 100)
WORKSHOP_LOCATION = TextField(_("location"), 100)
WORKSHOP_DESCRIPTION = TextField(_("description"), 1000, multiline=True)
WORKSHOP_REFERENCE = TextField(_("workshop"), WORKSHOP_TITLE.max_length + 20)
WORKSHOP_TIME = TextField(_("date and time"), 40)
WORKSHOP_REMINDERS = TextField(_("reminders"), 100)
CANCEL_REASON = TextField(_("reason"), 500, multiline=True)
CAPACITY = WholeNumber(_("capacity"), 1, 10_000)
CALL_WEEKS = WholeNumber(_("weeks of call for registrations"), 0, 52)

# -- reports ------------------------------------------------------------------------------------------
REPORT_TITLE = TextField(_("title"), 200)
REPORT_SUMMARY = TextField(_("summary"), 1500, multiline=True)
# A title as typed, or "#12 Title" as a suggestion shows it.
REPORT_REFERENCE = TextField(_("report"), REPORT_TITLE.max_length + 20)
REPORT_YEAR = WholeNumber(_("year"), 1990, 2100)
FILE_NAME = TextField(_("file name"), 200)

# -- the calendar -------------------------------------------------------------------------------------
CALENDAR_NAME = TextField(_("name"), 100)
CALENDAR_REFERENCE = TextField(_("calendar entry"), CALENDAR_NAME.max_length)
# Leaves room in Discord's 2,000 characters for a ping and a lateness note.
CALENDAR_MESSAGE = TextField(_("message"), 1800, multiline=True)
TIME_OF_DAY = TextField(_("time"), 10)
MONTH = WholeNumber(_("month"), 1, 12)
DAY = WholeNumber(_("day"), 1, 31)
LAST_YEAR = WholeNumber(_("last year"), 2000, 2200)

# -- members ------------------------------------------------------------------------------------------
FULL_NAME = TextField(_("name"), 100, min_length=2)
ORGANIZATION = TextField(_("organization"), 100, min_length=2)
APPLICANT_COUNTRY = TextField(_("country"), 60, min_length=2)
EMAIL = TextField(_("email address"), 254, min_length=3)
DOMAIN = TextField(_("domain"), 253, min_length=4)
STAFF_REASON = TextField(_("reason"), 500, multiline=True)
STAFF_QUESTION = TextField(_("question"), 500, multiline=True)  # Ask for info: sent to the member
VERIFICATION_CODE = TextField(_("code"), 10)
MEMBERSHIP_MONTHS = WholeNumber(_("months"), 1, 120)
GRACE_DAYS = WholeNumber(_("grace days"), 0, 365)
MEMBERSHIP_REMINDERS = TextField(_("reminders"), 64)

# -- settings -----------------------------------------------------------------------------------------
TIMEZONE = TextField(_("time zone"), 64)
# Discord ids of channels and roles, as the database can hold them.
CHANNEL_ID = WholeNumber(_("channel"), 1, MAX_ID)
ROLE_ID = WholeNumber(_("role"), 1, MAX_ID)
