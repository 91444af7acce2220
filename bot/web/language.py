"""Which language a page is written in: ``?lang=`` (remembered in a cookie), else the cookie, else the
reader's Accept-Language, else English. Languages are the bot's catalogs (``bot.i18n``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import DEFAULT_LANGUAGE, available_languages, language_name, resolve_language

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
_MAX_HEADER = 1000  # characters of Accept-Language read
_MAX_TAGS = 20


class UnknownLanguage(ValueError):
    """``?lang=`` names a language the site has no catalog for."""


@dataclass(frozen=True)
class Choice:
    language: str
    remember: bool  # set the cookie: the reader chose it with ?lang=


def accepted(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first ('zh-CN,zh;q=0.9,en;q=0.8')."""
    if not header:
        return []
    tags: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_TAGS]):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or not all(ch.isalnum() or ch == "-" for ch in tag) or len(tag) > 35:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if 0 < quality <= 1:
            tags.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(tags)]


def _normalised_tag(tag: str) -> str:
    """'zh-hans-cn' -> 'zh-Hans-CN': resolve_language compares the catalog names exactly."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part)
    return "-".join(out)


def choose(query_lang: str | None, cookie: str | None, header: str | None) -> Choice:
    languages = available_languages()
    if query_lang is not None:
        if query_lang not in languages:
            raise UnknownLanguage(query_lang)
        return Choice(query_lang, True)
    if cookie in languages:
        return Choice(cookie, False)
    for tag in accepted(header):
        found = resolve_language(_normalised_tag(tag))
        if found != DEFAULT_LANGUAGE or tag.lower().split("-", 1)[0] == DEFAULT_LANGUAGE:
            return Choice(found, False)
    return Choice(DEFAULT_LANGUAGE, False)


def switches() -> list[tuple[str, str]]:
    """(code, the language's own name) of every language the site speaks."""
    return [(code, _short_name(code)) for code in available_languages()]


def _short_name(code: str) -> str:
    name = language_name(code)
    return name.split(" (", 1)[0] if code != "zh-CN" else "简体中文"


def html_lang(code: str) -> str:
    return "zh-Hans" if code == "zh-CN" else code
