"""Every user-facing string has a Simplified Chinese translation that keeps its placeholders."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest

from bot.i18n import (
    NAME_PREFIX,
    available_languages,
    babel_locale,
    catalog,
    plural_catalog,
    resolve_language,
    translate,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "cogs").rglob("*.py"))]
# Calls whose first argument is shown to users: the marker, the translators (the reader's ``t``,
# the server's ``st``, a member's ``mt``), domain errors.
TRANSLATED_CALLS = {"_", "t", "st", "mt", "locale_str", "DomainError", "NotFound", "PermissionDenied"}


def user_facing_strings() -> dict[str, str]:
    """Every string literal passed to a translated call, with where it was found."""
    found: dict[str, str] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            first = node.args[0]
            if name in TRANSLATED_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def placeholders(text: str) -> set[tuple[str, str]]:
    """Names with their format spec: a translation that drops ``:n`` would write numbers in English."""
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


STRINGS = user_facing_strings()


def test_the_extractor_finds_strings() -> None:
    assert len(STRINGS) > 50
    assert (
        "Only CISIP staff can do this: it needs the staff role set with /setup, or Manage Server." in STRINGS
    )


@pytest.mark.parametrize("language", [code for code in available_languages() if code != "en"])
def test_every_string_is_translated(language: str) -> None:
    known = catalog(language).keys() | plural_catalog(language).keys()
    missing = {text: where for text, where in STRINGS.items() if text not in known}
    assert not missing, f"{len(missing)} strings have no {language} translation:\n" + "\n".join(
        f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=lambda item: item[1])
    )


@pytest.mark.parametrize("language", [code for code in available_languages() if code != "en"])
def test_no_translation_outlives_its_string(language: str) -> None:
    """A catalog entry whose English source is gone is dead weight that hides renamed strings."""
    known = catalog(language).keys() | plural_catalog(language).keys()
    stale = sorted(text for text in known if not text.startswith(NAME_PREFIX) and text not in STRINGS)
    assert not stale, f"{language} translations of strings the bot no longer has: {stale}"


@pytest.mark.parametrize("language", [code for code in available_languages() if code != "en"])
def test_translations_keep_their_placeholders(language: str) -> None:
    forms = [*catalog(language).items()]
    plurals = plural_catalog(language).items()
    forms += [(source, form) for source, plural in plurals for form in plural.values()]
    broken = {
        source: target
        for source, target in forms
        if not source.startswith("name:") and placeholders(source) != placeholders(target)
    }
    assert not broken, f"{language} translations that lose or add a placeholder: {broken}"


def test_catalog_files_are_valid_json_objects_of_strings() -> None:
    for path in (ROOT / "bot" / "locales").rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        language = path.stem if path.parent.name == "locales" else path.parent.name
        categories = {*babel_locale(language).plural_form.tags, "other"}
        assert isinstance(data, dict), path
        for source, value in data.items():
            if isinstance(value, dict):  # plural forms, by the language's own CLDR categories
                assert "other" in value and set(value) <= categories, (path, source, sorted(categories))
                assert all(isinstance(form, str) for form in value.values()), (path, source)
            else:
                assert isinstance(value, str), (path, source)


def test_english_reads_one_and_many_naturally() -> None:
    english = plural_catalog("en")
    assert english, "bot/locales/en.json holds the English plural forms"
    for source, forms in english.items():
        assert source in STRINGS, f"{source!r} is not a string of the bot any more"
        names = [name for _, name, _, _ in string.Formatter().parse(source) if name]
        one, two = dict.fromkeys(names, 1), dict.fromkeys(names, 2)
        assert translate(source, "en", **one) == forms["one"].format(**one)
        assert translate(source, "en", **two) == forms["other"].format(**two)
    assert translate("Slow down: try again in {seconds} seconds.", "en", seconds=1) == (
        "Slow down: try again in 1 second."
    )


def test_language_resolution_falls_back_from_locale_to_server_to_english() -> None:
    assert resolve_language("zh-CN", "en") == "zh-CN"
    assert resolve_language("en-US", "zh-CN") == "en"
    assert resolve_language("fr", "zh-CN") == "zh-CN"  # no French: the server's language
    assert resolve_language("fr", None) == "en"
    assert resolve_language("zh-TW", "en") == "zh-CN"  # Traditional Chinese reads Simplified, not English
    assert resolve_language(None, None) == "en"


def test_translate_fills_placeholders_and_falls_back_to_english() -> None:
    assert (
        translate("Time zone set to {zone}.", "zh-CN", zone="Asia/Shanghai") == "时区已设为 Asia/Shanghai。"
    )
    assert translate("Time zone set to {zone}.", "en", zone="UTC") == "Time zone set to UTC."
    assert translate("A string nobody translated", "zh-CN") == "A string nobody translated"


def test_months_days_countries_and_numbers_follow_the_reader() -> None:
    from bot.i18n import Country, Message, Month, MonthDay

    assert (
        translate("{month_name} has no day {day}.", "zh-CN", month_name=Month(2), day=30)
        == "二月没有 30 日。"
    )
    assert translate("{month_name} has no day {day}.", "en", month_name=Month(2), day=30) == (
        "February has no day 30."
    )
    assert translate("{x}", "en", x=MonthDay(3, 15)) == "Mar 15"
    assert translate("{x}", "zh-CN", x=MonthDay(3, 15)) == "3月15日"
    assert translate("{x}", "zh-CN", x=Country("KZ")) == "哈萨克斯坦"
    assert (
        translate("{x}", "zh-CN", x=Message.of("Time zone set to {zone}.", zone="UTC")) == "时区已设为 UTC。"
    )
    # ``:n`` numbers are written the reader's way; plain ones (a year) are left alone.
    assert translate("{count:n} in {year}", "en", count=12345, year=2026) == "12,345 in 2026"
    assert translate("{count:n} in {year}", "ru", count=12345, year=2026) == "12\xa0345 in 2026"


def test_domain_errors_read_in_english_in_logs() -> None:
    from bot.errors import DomainError
    from bot.i18n import Month

    assert str(DomainError("{month_name} has no day {day}.", month_name=Month(2), day=30)) == (
        "February has no day 30."
    )


def test_a_string_in_several_catalog_files_reads_the_same_in_each() -> None:
    """Catalog files of a language are merged, so two values for one key would depend on file order
    (and a command's option named ``role`` must not be 身份组 in one command and 角色 in another)."""
    seen: dict[tuple[str, str], tuple[str, object]] = {}
    clashes = []
    for path in sorted((ROOT / "bot" / "locales").rglob("*/*.json")):
        for source, value in json.loads(path.read_text(encoding="utf-8")).items():
            key = (path.parent.name, source)
            if key in seen and seen[key][1] != value:
                clashes.append(f"{source!r}: {seen[key][0]} vs {path.name}")
            seen.setdefault(key, (path.name, value))
    assert not clashes, "\n".join(clashes)
