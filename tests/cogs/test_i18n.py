"""Every command reads naturally in each language we have a catalog for, end to end."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import i18n
from bot.i18n import DEFAULT_LANGUAGE, available_languages
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm

OTHER_LANGUAGES = [code for code in available_languages() if code != DEFAULT_LANGUAGE]
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


def _walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(path, object, has_description) for a command and everything under it."""
    yield path, node, True
    for option in node.get("options") or []:
        yield from _walk(option, f"{path} {option['name']}")
        if option.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            for choice in option.get("choices") or []:
                yield f"{path} {option['name']} [{choice['name']}]", choice, False


async def test_every_command_option_and_choice_is_localized(cisip: BotHarness) -> None:
    """What Discord received: a name and description in every language (the emulator already
    refused any name Discord would refuse, such as a duplicate or a capital letter)."""
    missing: list[str] = []
    for command in cisip.discord.commands():
        for path, node, has_description in _walk(command, command["name"]):
            for language in OTHER_LANGUAGES:
                if language not in (node.get("name_localizations") or {}):
                    missing.append(f"{language} name: /{path}")
                if has_description and language not in (node.get("description_localizations") or {}):
                    missing.append(f"{language} description: /{path}")
    assert not missing, f"{len(missing)} untranslated command texts:\n" + "\n".join(missing)


async def test_the_language_a_member_last_used_is_remembered_across_restarts(cisip: BotHarness) -> None:
    wang = cisip.discord.add_member("wang", locale="zh-CN")
    await cisip.discord.slash(wang, "status")

    async def remembered() -> bool:
        return await cisip.bot.services.user_locales.get(wang.id) == "zh-CN"

    await cisip.eventually(remembered)

    bot = await cisip.restart()
    assert await bot.services.user_locales.get(wang.id) == "zh-CN"


# A third language needs nothing but a catalog file. These few Russian strings stand in for a full
# catalog; anything they leave out falls back to English.
RUSSIAN = {
    "name:status": "статус",
    "Show the bot's health and what is scheduled next": "Состояние бота и ближайшие задачи",
    "CISIP bot status": "Состояние бота CISIP",
    "name:setup": "настройка",
    "Language set to {language}.": "Язык установлен: {language}.",
    "Slow down: try again in {seconds} seconds.": {
        "one": "Не так быстро: повторите через {seconds} секунду.",
        "few": "Не так быстро: повторите через {seconds} секунды.",
        "many": "Не так быстро: повторите через {seconds} секунд.",
        "other": "Не так быстро: повторите через {seconds} секунды.",
    },
}


@pytest.fixture
def russian_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped catalogs plus ``ru.json``, exactly as a translator would drop it in."""
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, locales)
    (locales / "ru.json").write_text(json.dumps(RUSSIAN, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    caches = (i18n._load, i18n.available_languages)
    for cached in caches:
        cached.cache_clear()
    yield
    monkeypatch.undo()
    for cached in caches:
        cached.cache_clear()


async def test_a_third_language_is_added_with_a_catalog_file_alone(
    cisip: BotHarness, russian_catalog: None
) -> None:
    discord = cisip.discord
    await cisip.restart()  # a new process reads the new catalog

    status = next(c for c in discord.commands() if c["name"] == "status")
    assert status["name_localizations"]["ru"] == "статус"
    assert status["description_localizations"]["ru"] == "Состояние бота и ближайшие задачи"
    setup = next(c for c in discord.commands() if c["name"] == "setup")
    language = next(o for o in setup["options"] if o["name"] == "language")
    assert "ru" in [choice["value"] for choice in language["options"][0]["choices"]]

    ivan = discord.add_member("ivan", locale="ru")
    reply = await discord.slash(ivan, "status")
    assert reply.embeds[0]["title"] == "Состояние бота CISIP"

    # The server's language can be set to it; a member whose Discord language we lack reads it too.
    admin = discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
    await discord.slash(admin, "setup language", language="ru")
    pierre = discord.add_member("pierre", locale="fr")
    reply = await discord.slash(pierre, "status")
    assert reply.embeds[0]["title"] == "Состояние бота CISIP"
    # A string the catalog leaves out reads in English rather than failing.
    assert any(field["name"] == "Version" for field in reply.embeds[0]["fields"])
    # Plural forms come from the catalog too, chosen by the number.
    slow_down = "Slow down: try again in {seconds} seconds."
    assert i18n.translate(slow_down, "ru", seconds=21).endswith("21 секунду.")
    assert i18n.translate(slow_down, "ru", seconds=5).endswith("5 секунд.")


async def test_a_discord_in_traditional_chinese_reads_the_simplified_catalog(cisip: BotHarness) -> None:
    park = next(c for c in cisip.discord.commands() if c["name"] == "park")
    assert park["name_localizations"]["zh-TW"] == park["name_localizations"]["zh-CN"] == "园区"

    lin = cisip.discord.add_member("lin", locale="zh-TW")
    status = await cisip.discord.slash(lin, "status")
    assert status.embeds[0]["title"] == "CISIP 机器人状态"
