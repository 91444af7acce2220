"""Validation rules of the emulator for application commands (bulk overwrite, PUT .../commands)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord import app_commands

from tests.emulator.form_errors import errors_at
from tests.emulator.form_errors import refusal as form_refusal
from tests.fakediscord.rules import validate_commands


def refusal(commands: Any) -> dict[str, Any]:
    return form_refusal(validate_commands, commands)


def opt(name: str = "text", type: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": f"The {name}", "type": type, **extra}


def cmd(name: str = "ping", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Check the bot", "type": 1, **extra}


# --------------------------------------------------------------------------- valid payloads


class FrenchTranslator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        if locale is not discord.Locale.french:
            return None
        if context.location.name.endswith("name"):
            return "fr-" + string.message.lower().replace(" ", "-")
        return string.message + " (FR)"


def build_tree() -> app_commands.CommandTree:
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    event = app_commands.Group(name="event", description="Manage park events")
    admin = app_commands.Group(name="admin", description="Event administration", parent=event)

    @event.command(name="create", description="Create an event")
    @app_commands.describe(title="Event title", when="Start time", kind="Format")
    @app_commands.choices(
        kind=[
            app_commands.Choice(name="Online", value="online"),
            app_commands.Choice(name="On site", value="site"),
        ]
    )
    async def create(
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        when: str,
        kind: app_commands.Choice[str],
        seats: app_commands.Range[int, 1, 500] = 50,
        fee: app_commands.Range[float, 0.0, 999.5] = 0.0,
        channel: discord.TextChannel | None = None,
        poster: discord.Attachment | None = None,
    ) -> None: ...

    @create.autocomplete("when")
    async def when_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return []

    @admin.command(name="purge", description="Remove a member's registrations")
    async def purge(interaction: discord.Interaction, member: discord.Member) -> None: ...

    tree.add_command(event)

    @tree.command(name="ping", description="Check the bot")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def ping(interaction: discord.Interaction) -> None: ...

    @tree.context_menu(name="Report Message")
    async def report(interaction: discord.Interaction, message: discord.Message) -> None: ...

    @tree.context_menu(name="Member Info")
    async def info(interaction: discord.Interaction, member: discord.Member) -> None: ...

    return tree


def test_discord_py_tree_payload_passes() -> None:
    tree = build_tree()
    validate_commands([command.to_dict(tree) for command in tree.get_commands()])


def test_discord_py_translated_tree_payload_passes() -> None:
    tree = build_tree()

    async def payload() -> list[dict[str, Any]]:
        await tree.set_translator(FrenchTranslator())
        assert tree.translator is not None
        return [await c.get_translated_payload(tree, tree.translator) for c in tree.get_commands()]

    commands = asyncio.run(payload())
    assert commands[0]["name_localizations"] == {"fr": "fr-event"}
    validate_commands(commands)


@pytest.mark.parametrize(
    "commands",
    [
        [],
        [cmd()],
        [cmd("événement"), cmd("हिन्दी"), cmd("ทดสอบ"), cmd("イベント"), cmd("o'clock-2_b")],
        [cmd(name_localizations={"de": "veranstaltung", "es-419": "evento", "zh-TW": "活動"})],
        [cmd(description_localizations={"en-GB": "Check the bot", "pt-BR": "Verificar o bot"})],
        [cmd(), {"name": "ping", "type": 2}, {"name": "ping", "type": 3}],
        [{"name": "Report This Message!", "type": 3, "name_localizations": {"fr": "Signaler Ce Message"}}],
        [cmd(options=[opt("a", required=True), opt("b", required=True), opt("c"), opt("d", required=False)])],
        [
            cmd(
                options=[
                    opt("n", 4, min_value=-(2**53) + 1, max_value=2**53 - 1),
                    opt("x", 10, min_value=0.5),
                ]
            )
        ],
        [cmd(options=[opt("s", min_length=0, max_length=6000), opt("c", 7, channel_types=[0, 5, 15, 16])])],
        [
            cmd(
                options=[
                    opt("n", 4, choices=[{"name": "One", "value": 1}]),
                    opt("f", 10, choices=[{"name": "Half", "value": 0.5}]),
                ]
            )
        ],
        [
            cmd(
                options=[
                    opt(
                        "s",
                        choices=[{"name": "Long", "value": "v" * 100, "name_localizations": {"ja": "長い"}}],
                    )
                ]
            )
        ],
        [cmd(options=[opt("s", autocomplete=True, choices=[])])],
        [cmd(options=[opt("g", 2, options=[opt("s", 1, options=[opt("x", required=True)])]), opt("t", 1)])],
        [cmd(f"c{i}") for i in range(100)] + [{"name": f"U{i}", "type": 2} for i in range(15)],
        [cmd(options=[opt(f"o{i}") for i in range(25)])],
        [cmd(options=[opt("s", choices=[{"name": f"c{i}", "value": str(i)} for i in range(25)])])],
    ],
)
def test_valid_commands_pass(commands: list[dict[str, Any]]) -> None:
    validate_commands(commands)


# --------------------------------------------------------------------------- refusals

NAME_32 = "Must be between 1 and 32 in length."
DESCRIPTION_100 = "Must be between 1 and 100 in length."
INVALID_NAME = ("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
TYPE_INVALID = "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"
# The 32 locales of the reference docs (developers/reference#locales).
DOC_LOCALES = (
    "id da de en-GB en-US es-ES es-419 fr hr it lt hu nl no pl pt-BR "
    "ro fi sv-SE vi tr cs el bg ru uk hi th zh-CN ja zh-TW ko"
)
LOCALES_MESSAGE = "Value must be one of (" + ", ".join(repr(x) for x in sorted(DOC_LOCALES.split(" "))) + ")."


@pytest.mark.parametrize(
    ("commands", "path", "code", "message"),
    [
        pytest.param([cmd("Ping")], [0, "name"], *INVALID_NAME, id="uppercase-name"),
        pytest.param([cmd("ping pong")], [0, "name"], *INVALID_NAME, id="space-in-name"),
        pytest.param([cmd("ping!")], [0, "name"], *INVALID_NAME, id="punctuation-in-name"),
        pytest.param([cmd("ÉVÉNEMENT")], [0, "name"], *INVALID_NAME, id="uppercase-accented-name"),
        pytest.param([cmd("p" * 33)], [0, "name"], "BASE_TYPE_BAD_LENGTH", NAME_32, id="name-too-long"),
        pytest.param([cmd("")], [0, "name"], "BASE_TYPE_BAD_LENGTH", NAME_32, id="name-empty"),
        pytest.param(
            [{"type": 1, "description": "x"}],
            [0, "name"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
            id="name-missing",
        ),
        pytest.param(
            [{"name": "U" * 33, "type": 2}],
            [0, "name"],
            "BASE_TYPE_BAD_LENGTH",
            NAME_32,
            id="user-command-name-too-long",
        ),
        pytest.param(
            [{"name": "ping", "type": 1}],
            [0, "description"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
            id="description-missing",
        ),
        pytest.param(
            [cmd(description="")],
            [0, "description"],
            "BASE_TYPE_BAD_LENGTH",
            DESCRIPTION_100,
            id="description-empty",
        ),
        pytest.param(
            [cmd(description="d" * 101)],
            [0, "description"],
            "BASE_TYPE_BAD_LENGTH",
            DESCRIPTION_100,
            id="description-too-long",
        ),
        pytest.param(
            [cmd(type=9)],
            [0, "type"],
            "BASE_TYPE_CHOICES",
            "Value must be one of (1, 2, 3, 4).",
            id="command-type",
        ),
        pytest.param(
            [cmd(options=[opt(f"o{i}") for i in range(26)])],
            [0, "options"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
            id="too-many-options",
        ),
        pytest.param(
            [cmd(options=[opt("g", 2, options=[opt(f"s{i}", 1) for i in range(26)])])],
            [0, "options", 0, "options"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
            id="too-many-subcommands",
        ),
        pytest.param(
            [cmd(options=[opt("a", required=True), opt("INVALID")])],
            [0, "options", 1, "name"],
            *INVALID_NAME,
            id="option-name",
        ),
        pytest.param(
            [cmd(options=[opt("a" * 33)])],
            [0, "options", 0, "name"],
            "BASE_TYPE_BAD_LENGTH",
            NAME_32,
            id="option-name-too-long",
        ),
        pytest.param(
            [cmd(options=[opt("a", description="")])],
            [0, "options", 0, "description"],
            "BASE_TYPE_BAD_LENGTH",
            DESCRIPTION_100,
            id="option-description-empty",
        ),
        pytest.param(
            [cmd(options=[opt("a", 12)])],
            [0, "options", 0, "type"],
            "BASE_TYPE_CHOICES",
            "Value must be one of (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11).",
            id="option-type",
        ),
        pytest.param(
            [cmd(options=[opt("g", 2, options=[opt("x", 3)])])],
            [0, "options", 0, "options", 0, "type"],
            TYPE_INVALID,
            "Sub-command groups may only contain sub-commands",
            id="group-holds-option",
        ),
        pytest.param(
            [cmd(options=[opt("g", 2, options=[opt("h", 2)])])],
            [0, "options", 0, "options", 0, "type"],
            TYPE_INVALID,
            "Sub-command groups may only contain sub-commands",
            id="group-holds-group",
        ),
        pytest.param(
            [cmd(options=[opt("s", 1, options=[opt("t", 1)])])],
            [0, "options", 0, "options", 0, "type"],
            TYPE_INVALID,
            "Sub-commands may not contain sub-commands or groups",
            id="subcommand-holds-subcommand",
        ),
        pytest.param(
            [cmd(options=[opt("s", 1), opt("x", 3)])],
            [0, "options"],
            TYPE_INVALID,
            "Sub-command and sub-command group option types are mutually exclusive to all other types",
            id="mixed-level",
        ),
        pytest.param(
            [cmd(options=[opt("a"), opt("b", required=True)])],
            [0, "options"],
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID_ORDER",
            "Required options must be placed before non-required options",
            id="required-after-optional",
        ),
        pytest.param(
            [cmd(options=[opt("s", 1, options=[opt("a", required=False), opt("b", required=True)])])],
            [0, "options", 0, "options"],
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID_ORDER",
            "Required options must be placed before non-required options",
            id="required-order-in-subcommand",
        ),
        pytest.param(
            [cmd(options=[opt("a"), opt("a", 4)])],
            [0, "options", 1, "name"],
            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "Option name a is already used in these options",
            id="duplicate-option-name",
        ),
        pytest.param(
            [cmd(options=[opt("s", choices=[{"name": f"c{i}", "value": str(i)} for i in range(26)])])],
            [0, "options", 0, "choices"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
            id="too-many-choices",
        ),
        pytest.param(
            [cmd(options=[opt("s", autocomplete=True, choices=[{"name": "a", "value": "a"}])])],
            [0, "options", 0, "autocomplete"],
            "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES_EXCLUSIVE",
            "Autocomplete cannot be enabled when choices are set",
            id="autocomplete-and-choices",
        ),
        pytest.param(
            [cmd(options=[opt("s", choices=[{"name": "", "value": "a"}])])],
            [0, "options", 0, "choices", 0, "name"],
            "BASE_TYPE_BAD_LENGTH",
            DESCRIPTION_100,
            id="choice-name-empty",
        ),
        pytest.param(
            [cmd(options=[opt("s", choices=[{"name": "n" * 101, "value": "a"}])])],
            [0, "options", 0, "choices", 0, "name"],
            "BASE_TYPE_BAD_LENGTH",
            DESCRIPTION_100,
            id="choice-name-too-long",
        ),
        pytest.param(
            [cmd(options=[opt("s", choices=[{"name": "n", "value": "v" * 101}])])],
            [0, "options", 0, "choices", 0, "value"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.",
            id="choice-value-too-long",
        ),
        pytest.param(
            [cmd(options=[opt("s", choices=[{"name": "n", "value": 5}])])],
            [0, "options", 0, "choices", 0, "value"],
            "STRING_TYPE_CONVERT",
            'Could not interpret "5" as string.',
            id="choice-value-not-string",
        ),
        pytest.param(
            [cmd(options=[opt("n", 4, choices=[{"name": "n", "value": "5"}])])],
            [0, "options", 0, "choices", 0, "value"],
            "NUMBER_TYPE_COERCE",
            'Value "5" is not int.',
            id="choice-value-not-int",
        ),
        pytest.param(
            [cmd(options=[opt("n", 4, choices=[{"name": "n", "value": 1.5}])])],
            [0, "options", 0, "choices", 0, "value"],
            "NUMBER_TYPE_COERCE",
            'Value "1.5" is not int.',
            id="choice-value-float-for-int",
        ),
        pytest.param(
            [cmd(options=[opt("n", 10, choices=[{"name": "n", "value": "x"}])])],
            [0, "options", 0, "choices", 0, "value"],
            "NUMBER_TYPE_COERCE",
            'Value "x" is not a valid number.',
            id="choice-value-not-number",
        ),
        pytest.param(
            [
                cmd(
                    options=[
                        opt("s", choices=[{"name": "n", "value": "v", "name_localizations": {"xx": "v"}}])
                    ]
                )
            ],
            [0, "options", 0, "choices", 0, "name_localizations", "xx"],
            "BASE_TYPE_CHOICES",
            LOCALES_MESSAGE,
            id="choice-localization-locale",
        ),
        pytest.param(
            [cmd(options=[opt("n", 4, min_value=10, max_value=5)])],
            [0, "options", 0, "max_value"],
            "NUMBER_TYPE_MIN",
            "value should be greater than or equal to 10.",
            id="min-value-above-max",
        ),
        pytest.param(
            [cmd(options=[opt("n", 4, min_value=1.5)])],
            [0, "options", 0, "min_value"],
            "NUMBER_TYPE_COERCE",
            'Value "1.5" is not int.',
            id="min-value-not-int",
        ),
        pytest.param(
            [cmd(options=[opt("s", min_length=6001)])],
            [0, "options", 0, "min_length"],
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 6000.",
            id="min-length-too-big",
        ),
        pytest.param(
            [cmd(options=[opt("s", min_length=-1)])],
            [0, "options", 0, "min_length"],
            "NUMBER_TYPE_MIN",
            "int value should be greater than or equal to 0.",
            id="min-length-negative",
        ),
        pytest.param(
            [cmd(options=[opt("s", max_length=0)])],
            [0, "options", 0, "max_length"],
            "NUMBER_TYPE_MIN",
            "int value should be greater than or equal to 1.",
            id="max-length-zero",
        ),
        pytest.param(
            [cmd(options=[opt("s", max_length=6001)])],
            [0, "options", 0, "max_length"],
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 6000.",
            id="max-length-too-big",
        ),
        pytest.param(
            [cmd(options=[opt("s", min_length=10, max_length=5)])],
            [0, "options", 0, "max_length"],
            "NUMBER_TYPE_MIN",
            "int value should be greater than or equal to 10.",
            id="min-length-above-max",
        ),
        pytest.param(
            [cmd(options=[opt("c", 7, channel_types=[0, 99])])],
            [0, "options", 0, "channel_types", 1],
            "BASE_TYPE_CHOICES",
            "Value must be one of (0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16).",
            id="channel-type",
        ),
        pytest.param(
            [cmd(), cmd()],
            [1, "name"],
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
            "Application command names must be unique",
            id="duplicate-command",
        ),
        pytest.param(
            [
                cmd("setup", name_localizations={"zh-CN": "设置"}),
                cmd("config", name_localizations={"zh-CN": "设置"}),
            ],
            [1, "name_localizations", "zh-CN"],
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
            "Name 设置 is already used here in zh-CN",
            id="duplicate-localized-command",
        ),
        pytest.param(
            [cmd("setup"), cmd("config", name_localizations={"fr": "setup"})],
            [1, "name_localizations", "fr"],
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
            "Name setup is already used here in fr",
            id="localized-command-equal-to-a-default-name",
        ),
        pytest.param(
            [
                cmd(
                    options=[
                        opt("name", name_localizations={"zh-CN": "名称"}),
                        opt("new_name", name_localizations={"zh-CN": "名称"}),
                    ]
                )
            ],
            [0, "options", 1, "name_localizations", "zh-CN"],
            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "Name 名称 is already used here in zh-CN",
            id="duplicate-localized-option",
        ),
        pytest.param(
            [{"name": "Info", "type": 2}, {"name": "Info", "type": 2}],
            [1, "name"],
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
            "Application command names must be unique",
            id="duplicate-user-command",
        ),
        pytest.param(
            [cmd(f"c{i}") for i in range(101)],
            [],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.",
            id="too-many-chat-input",
        ),
        pytest.param(
            [{"name": f"U{i}", "type": 2} for i in range(16)],
            [],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 15 or fewer in length.",
            id="too-many-user-commands",
        ),
        pytest.param(
            [cmd(name_localizations={"en": "ping"})],
            [0, "name_localizations", "en"],
            "BASE_TYPE_CHOICES",
            LOCALES_MESSAGE,
            id="name-locale-unknown",
        ),
        pytest.param(
            [cmd(name_localizations={"fr": "Ping"})],
            [0, "name_localizations", "fr"],
            *INVALID_NAME,
            id="localized-name-uppercase",
        ),
        pytest.param(
            [cmd(name_localizations={"fr": "p" * 33})],
            [0, "name_localizations", "fr"],
            "BASE_TYPE_BAD_LENGTH",
            NAME_32,
            id="localized-name-too-long",
        ),
        pytest.param(
            [cmd(description_localizations={"es": "hola"})],
            [0, "description_localizations", "es"],
            "BASE_TYPE_CHOICES",
            LOCALES_MESSAGE,
            id="description-locale-unknown",
        ),
        pytest.param(
            [cmd(description_localizations={"de": "d" * 101})],
            [0, "description_localizations", "de"],
            "BASE_TYPE_BAD_LENGTH",
            DESCRIPTION_100,
            id="localized-description-too-long",
        ),
        pytest.param(
            [cmd(options=[opt("a", name_localizations={"ja": "A"})])],
            [0, "options", 0, "name_localizations", "ja"],
            *INVALID_NAME,
            id="option-localized-name",
        ),
        pytest.param(
            [{"name": "Info", "type": 2, "options": [opt()]}],
            [0, "options"],
            TYPE_INVALID,
            "Only chat input commands may have options",
            id="context-menu-options",
        ),
        pytest.param(
            [cmd(contexts=[0, 3])],
            [0, "contexts", 1],
            "BASE_TYPE_CHOICES",
            "Value must be one of (0, 1, 2).",
            id="contexts",
        ),
        pytest.param(
            [cmd(default_member_permissions="admin")],
            [0, "default_member_permissions"],
            "NUMBER_TYPE_COERCE",
            'Value "admin" is not int.',
            id="default-member-permissions",
        ),
    ],
)
def test_invalid_commands_refused(
    commands: list[dict[str, Any]], path: list[str | int], code: str, message: str
) -> None:
    errors = refusal(commands)
    assert {"code": code, "message": message} in errors_at(errors, path)


def test_every_problem_is_reported_in_one_body() -> None:
    errors = refusal([cmd("Bad", options=[opt("a"), opt("b", required=True, description="")])])
    assert errors_at(errors, [0, "name"])[0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert (
        errors_at(errors, [0, "options"])[0]["code"] == "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID_ORDER"
    )
    assert errors_at(errors, [0, "options", 1, "description"])[0]["code"] == "BASE_TYPE_BAD_LENGTH"


def test_body_must_be_a_list() -> None:
    assert errors_at(refusal({"name": "ping"}), []) == [
        {"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}
    ]
