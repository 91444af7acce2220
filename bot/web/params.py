"""Every parameter a URL can carry, checked before anything reads it: a value out of shape is a 4xx
answer naming the problem, never an exception deeper down (and never a path on disk)."""

from __future__ import annotations

import re
from typing import Any

from bot.fields import MAX_ID, PARK_QUERY
from bot.i18n import Bound, _
from bot.services.parks import COUNTRY_CODES, FOCUS_VOCABULARY, MAX_SLUG, REGIONS

MAX_PAGE = 10_000
_DIGITS = re.compile(r"[0-9]{1,19}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
RAW_QUERY_LIMIT = PARK_QUERY.max_length * 4  # characters read before cleaning (invisible ones go)


class BadParameter(Exception):
    """A parameter out of shape: answered with ``status`` and the translated message."""

    def __init__(self, status: int, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params


def page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadParameter(400, _("The page must be a whole number from 1 to {max}."), max=Bound(MAX_PAGE))
    return int(raw)


MAX_CERTIFICATE_NUMBER = 64  # longer cannot be one, whatever spaces and dashes it carries


def identifier(raw: str) -> int | None:
    """A workshop's or report's number from a URL; None when it cannot be one (answered 404)."""
    if not _DIGITS.fullmatch(raw):
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def slug(raw: str) -> str | None:
    """A park's slug from a URL; None when it cannot be one (answered 404)."""
    if len(raw) > MAX_SLUG or not _SLUG.fullmatch(raw):
        return None
    return raw


def query(raw: str | None) -> str | None:
    """The search typed (cleaned by the park service itself); None when there is none (an empty box,
    or spaces). Text with nothing visible in it (control characters) is refused by the service."""
    if raw is None or raw.strip(" ") == "":
        return None
    if len(raw) > RAW_QUERY_LIMIT:
        raise BadParameter(
            400,
            _("The search can be at most {max} characters long."),
            max=Bound(PARK_QUERY.max_length),
        )
    return raw


def country(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    code = raw.upper()
    if len(raw) != 2 or code not in COUNTRY_CODES:
        raise BadParameter(400, _("Unknown country: use a two-letter code such as CN."))
    return code


def region(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in REGIONS:
        raise BadParameter(400, _("Unknown region: pick one from the list."))
    return raw


def focus(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in FOCUS_VOCABULARY:
        raise BadParameter(400, _("Unknown focus industry: pick one from the list."))
    return raw
