"""Translations: every user-facing string goes through here.

Source strings are English and double as message ids (gettext style). Each other language is a
JSON catalog in ``bot/locales/`` named by its Discord locale code: one file (``ru.json``) or a folder
of files merged together (``zh-CN/core.json``, ``zh-CN/parks.json``, one per capability so that
translations sit beside the feature they belong to). Adding a catalog adds a language, with no
code change. A string is picked by the interaction's locale, then the server's language, then
English.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeGuard, runtime_checkable

import babel
from babel.dates import format_date, format_datetime, format_skeleton, format_time, get_month_names
from babel.lists import format_list
from babel.numbers import format_decimal

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "en"
# Keys for command, group and option names are namespaced so ordinary prose never becomes a name.
NAME_PREFIX = "name:"


def _(text: str) -> str:
    """Mark ``text`` for translation where it is defined; it is translated where it is shown."""
    return text


def catalog_files(language: str) -> list[Path]:
    files = sorted((LOCALES_DIR / language).glob("*.json"))
    single = LOCALES_DIR / f"{language}.json"
    return [single, *files] if single.is_file() else files


@cache
def _load(language: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A language's catalog: plain translations, and plural forms by CLDR category.

    A value may be an object such as ``{"one": "{count} day", "other": "{count} days"}``: the form
    is chosen by the first number in the message. English, the source language, needs a catalog
    only for such plural forms.
    """
    texts: dict[str, str] = {}
    plurals: dict[str, dict[str, str]] = {}
    for path in catalog_files(language):
        with path.open(encoding="utf-8") as fh:
            for source, value in json.load(fh).items():
                if isinstance(value, dict):
                    plurals[source] = value
                else:
                    texts[source] = value
    return texts, plurals


def catalog(language: str) -> dict[str, str]:
    """Plain translations: English source text -> text in ``language``."""
    return _load(language)[0]


def plural_catalog(language: str) -> dict[str, dict[str, str]]:
    """Translations with plural forms: English source text -> {CLDR category: text}."""
    return _load(language)[1]


@cache
def available_languages() -> tuple[str, ...]:
    found = {p.stem for p in LOCALES_DIR.glob("*.json")}
    found |= {p.name for p in LOCALES_DIR.iterdir() if p.is_dir() and any(p.glob("*.json"))}
    return (DEFAULT_LANGUAGE, *sorted(found - {DEFAULT_LANGUAGE}))


# What Chinese (and Japanese) input methods type in place of ASCII digits and punctuation.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９：，、；／－　", "0123456789:,,;/- ")


def half_width(text: str) -> str:
    """Typed input with an input method's full-width digits and punctuation made ASCII, so one
    parser reads every keyboard ('30，7' -> '30,7', '９：００' -> '9:00', 'ICT、AI' -> 'ICT,AI')."""
    return text.translate(_HALF_WIDTH)


def resolve_language(*candidates: str | None) -> str:
    """The first candidate locale we have a catalog for, else English.

    'en-US' -> 'en'; and another variant of the same language is closer than falling back to the
    next candidate: a Discord in Traditional Chinese ('zh-TW') reads the Simplified catalog.
    """
    languages = available_languages()
    for candidate in candidates:
        if not candidate:
            continue
        if candidate in languages:
            return candidate
        base = candidate.split("-", 1)[0]
        if base in languages:
            return base
        for language in languages:
            if language.split("-", 1)[0] == base:
                return language
    return DEFAULT_LANGUAGE


def translate(text: str | Localizable, language: str | None = None, /, **params: Any) -> str:
    """``text`` in ``language`` (English when there is no translation), with ``{params}`` filled in.

    A parameter that is :class:`Localizable` (a month, a country, a nested message) is rendered in
    the same language, and ``{count:n}`` formats a number the way the language writes it. ``text``
    may itself be one: a message a service composed without knowing who reads it.
    """
    language = language or DEFAULT_LANGUAGE
    if not isinstance(text, str):
        return text.localize(language)
    translated = catalog(language).get(text, text)
    forms = plural_catalog(language).get(text)
    if forms and params:
        translated = forms.get(plural_category(text, language, params)) or forms.get("other", translated)
    if not params:
        return translated
    if _plain(translated, params):
        return translated.format(**params)  # nothing to localize: str.format, in C
    try:
        return LocalizingFormatter(language).format(translated, **params)
    except (KeyError, IndexError, ValueError):
        log.warning("translation of %r into %s lost a placeholder; using English", text, language)
        return LocalizingFormatter(DEFAULT_LANGUAGE).format(text, **params)


@lru_cache(maxsize=4096)
def _fields(text: str) -> tuple[tuple[str, str, str | None], ...] | None:
    """The replacement fields of ``text`` (name, spec, conversion), or None when it cannot be parsed."""
    try:
        return tuple(
            (name, spec or "", conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        )
    except ValueError:
        return None


_PLAIN_TYPES = (str, int)


def _plain(text: str, params: dict[str, Any]) -> bool:
    """Whether ``text`` has only plain fields filled with plain values (no ``:n``, moment or
    localizable value): then ``str.format`` gives the same text, faster."""
    fields = _fields(text)
    if fields is None:
        return False
    for name, spec, conversion in fields:
        if spec or conversion or not name.isidentifier():
            return False
        value = params.get(name)
        if type(value) not in _PLAIN_TYPES:
            return False
    return True


def plural_category(text: str, language: str, params: dict[str, Any]) -> str:
    """The CLDR plural category ('one', 'few', 'many', 'other'...) of the first number in ``text``."""
    for _literal, name, _spec, _conversion in string.Formatter().parse(text):
        value = params.get(name) if name else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(babel_locale(language).plural_form(value))
    return "other"


class LocalizingFormatter(string.Formatter):
    """``str.format`` that renders localizable values, ``:n`` numbers and moments in one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, datetime):
            return render_moment(value, format_spec or "F", self.language)
        if is_localizable(value):
            return format(value.localize(self.language), format_spec)
        if format_spec == "n" and isinstance(value, int | float) and not isinstance(value, bool):
            return format_number(value, self.language)
        return super().format_field(value, format_spec)


# -- moments: services pass a datetime; whoever shows the text decides how it looks ---------------

# A moment's style, as in a placeholder's format spec ("{deadline:D}"): Discord's timestamp styles
# (t, T, d, D, f, F, R) and "FR", the full date and time followed by the relative time.
MOMENT_STYLES = frozenset({"t", "T", "d", "D", "f", "F", "R", "FR"})
MomentRenderer = Callable[[datetime, str, str], str]


def plain_moment(when: datetime, style: str, language: str) -> str:
    """A moment as text outside Discord (logs, mail): the date and time in UTC, in the language's way."""
    if when.tzinfo is None:
        raise ValueError("a moment must be an aware datetime")
    when, locale = when.astimezone(UTC), babel_locale(language)
    if style in ("d", "D"):
        return str(format_date(when, "short" if style == "d" else "medium", locale=locale))
    if style in ("t", "T"):
        return str(format_time(when, "short" if style == "t" else "medium", locale=locale)) + " UTC"
    text = str(format_datetime(when, "medium" if style == "f" else "long", locale=locale))
    return " ".join(text.replace("UTC", "").split()) + " UTC"


_moment_renderer: ContextVar[MomentRenderer] = ContextVar("moment_renderer", default=plain_moment)


def render_moment(when: datetime, style: str, language: str) -> str:
    if style not in MOMENT_STYLES:
        style = "F"
    return _moment_renderer.get()(when, style, language)


@contextmanager
def moments_as(renderer: MomentRenderer) -> Iterator[None]:
    """Render every moment translated inside this block with ``renderer`` (e.g. Discord timestamps)."""
    token = _moment_renderer.set(renderer)
    try:
        yield
    finally:
        _moment_renderer.reset(token)


# -- values that render in the reader's language (services pass them; they know no language) -----


@runtime_checkable
class Localizable(Protocol):
    def localize(self, language: str) -> str: ...


def is_localizable(value: object) -> TypeGuard[Localizable]:
    """``isinstance(value, Localizable)``, without a runtime protocol's slow check: every message
    parameter goes through here, thousands of times a second in a rush."""
    return callable(getattr(type(value), "localize", None))


@dataclass(frozen=True)
class Bound:
    """A limit in a message ("from 1900 to 2100", "from 1 to 10,000"): grouped like ``:n`` only from
    five digits on, so that years and small limits read as people write them."""

    value: int

    def localize(self, language: str) -> str:
        return str(self.value) if abs(self.value) < 10_000 else format_number(self.value, language)


@dataclass(frozen=True)
class Month:
    """A month's name on its own ("February", "二月")."""

    number: int

    def localize(self, language: str) -> str:
        return str(get_month_names("wide", context="stand-alone", locale=babel_locale(language))[self.number])


@dataclass(frozen=True)
class MonthDay:
    """A day of the year without a year ("15 Mar" / "Mar 15" / "3月15日", as the language writes it)."""

    month: int
    day: int

    def localize(self, language: str) -> str:
        # 2000 is a leap year, so 29 February can be shown.
        return str(format_skeleton("MMMd", date(2000, self.month, self.day), locale=babel_locale(language)))


@dataclass(frozen=True)
class Country:
    """A country's name from its ISO 3166-1 alpha-2 code."""

    code: str

    def localize(self, language: str) -> str:
        return country_name(self.code, language)


@dataclass(frozen=True)
class Message:
    """A message of its own (a label, a reason) translated with the text around it."""

    text: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, text: str, /, **params: Any) -> Message:
        return cls(text, tuple(params.items()))

    def localize(self, language: str) -> str:
        return translate(self.text, language, **dict(self.params))


@dataclass(frozen=True)
class Listing:
    """Items listed the way the reader's language lists them ("A, B, and C" / "甲、乙和丙").

    ``separator``: a source string joining clauses instead ("; " / "；"); ``bullets``: one item a
    line, for items that are sentences with lists of their own.
    """

    items: tuple[Any, ...]
    separator: str | None = None
    bullets: bool = False

    @classmethod
    def of(cls, items: Iterable[Any], *, separator: str | None = None, bullets: bool = False) -> Listing:
        return cls(tuple(items), separator, bullets)

    @classmethod
    def labels(cls, labels: Iterable[str]) -> Listing:
        """Source strings (regions, focus industries), each translated."""
        return cls(tuple(Message(label) for label in labels))

    def localize(self, language: str) -> str:
        texts = [item.localize(language) if is_localizable(item) else str(item) for item in self.items]
        if self.bullets:
            return "\n".join(f"• {text}" for text in texts)
        if self.separator is not None:
            return translate(self.separator, language).join(texts)
        return str(format_list(texts, locale=babel_locale(language))) if texts else ""


@cache
def babel_locale(language: str) -> babel.Locale:
    """The CLDR locale of a Discord locale code ('zh-CN', 'pt-BR', 'ru'); English when unknown."""
    try:
        return babel.Locale.parse(language.replace("-", "_"))
    except (ValueError, babel.UnknownLocaleError):
        return babel.Locale("en")


@lru_cache(maxsize=4096)
def format_number(value: float, language: str = DEFAULT_LANGUAGE) -> str:
    """12345 -> "12,345" (English, Chinese) or "12 345" (Russian)."""
    return str(format_decimal(value, locale=babel_locale(language)))


@cache
def country_name(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    names = babel_locale(language).territories
    return str(names.get(code) or babel.Locale("en").territories.get(code, code))


@cache
def language_name(code: str) -> str:
    """A language's own name for itself ("English", "中文 (简体, 中国)", "русский")."""
    return str(babel_locale(code).display_name or code)
