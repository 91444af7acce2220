"""Translations: every user-facing string goes through here.

Source strings are English and double as message ids (gettext style). Each other language is one
JSON catalog in ``bot/locales/`` named by its Discord locale code (``zh-CN.json``): adding a file adds
a language, with no code change. A string is picked by the interaction's locale, then the server's
language, then English.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "en"
# Keys for command, group and option names are namespaced so ordinary prose never becomes a name.
NAME_PREFIX = "name:"


def _(text: str) -> str:
    """Mark ``text`` for translation where it is defined; it is translated where it is shown."""
    return text


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{language}.json"
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        data: dict[str, str] = json.load(fh)
    return data


@cache
def available_languages() -> tuple[str, ...]:
    found = sorted(p.stem for p in LOCALES_DIR.glob("*.json"))
    return (DEFAULT_LANGUAGE, *found)


def resolve_language(*candidates: str | None) -> str:
    """The first candidate locale we have a catalog for ('zh-CN', or 'en-US' -> 'en'), else English."""
    languages = available_languages()
    for candidate in candidates:
        if not candidate:
            continue
        if candidate in languages:
            return candidate
        base = candidate.split("-", 1)[0]
        if base in languages:
            return base
    return DEFAULT_LANGUAGE


def translate(text: str, language: str | None = None, /, **params: Any) -> str:
    """``text`` in ``language`` (English when there is no translation), with ``{params}`` filled in."""
    translated = catalog(language).get(text, text) if language else text
    if not params:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError):
        log.warning("translation of %r into %s lost a placeholder; using English", text, language)
        return text.format(**params)


def language_name(code: str) -> str:
    names = {"en": "English", "zh-CN": "简体中文"}
    return names.get(code, code)
