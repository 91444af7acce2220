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


def catalog_files(language: str) -> list[Path]:
    files = sorted((LOCALES_DIR / language).glob("*.json"))
    single = LOCALES_DIR / f"{language}.json"
    return [single, *files] if single.is_file() else files


@cache
def catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    if language == DEFAULT_LANGUAGE:
        return merged
    for path in catalog_files(language):
        with path.open(encoding="utf-8") as fh:
            merged.update(json.load(fh))
    return merged


@cache
def available_languages() -> tuple[str, ...]:
    found = {p.stem for p in LOCALES_DIR.glob("*.json")}
    found |= {p.name for p in LOCALES_DIR.iterdir() if p.is_dir() and any(p.glob("*.json"))}
    return (DEFAULT_LANGUAGE, *sorted(found))


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
