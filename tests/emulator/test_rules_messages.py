"""Validation rules of the emulator for message bodies (create/edit, webhooks, callback data)."""

from __future__ import annotations

import datetime
from typing import Any

import discord
import pytest
from discord import ui

from tests.emulator.form_errors import errors_at
from tests.emulator.form_errors import refusal as form_refusal
from tests.fakediscord.errors import DiscordError
from tests.fakediscord.rules import validate_message


def refusal(payload: Any, **kwargs: Any) -> dict[str, Any]:
    return form_refusal(validate_message, payload, **kwargs)


def button(custom_id: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "OK", "custom_id": custom_id, **extra}


def link(url: str = "https://example.com", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 5, "label": "Open", "url": url, **extra}


def select(custom_id: str = "pick", n: int = 2, **extra: Any) -> dict[str, Any]:
    options = [{"label": f"Option {i}", "value": f"v{i}"} for i in range(n)]
    return {"type": 3, "custom_id": custom_id, "options": options, **extra}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def embed(**fields: Any) -> dict[str, Any]:
    return {"title": "Title", **fields}


# --------------------------------------------------------------------------- valid payloads


class EventView(ui.View):
    @ui.button(label="Register", style=discord.ButtonStyle.success)
    async def register(self, interaction: discord.Interaction, button: ui.Button) -> None: ...

    @ui.button(emoji="🗑️", style=discord.ButtonStyle.danger)
    async def cancel(self, interaction: discord.Interaction, button: ui.Button) -> None: ...

    @ui.select(
        options=[discord.SelectOption(label="Morning", value="am", description="9-12", emoji="🌅")]
        + [discord.SelectOption(label=f"Slot {i}", value=f"slot{i}") for i in range(24)],
        placeholder="Choose slots",
        min_values=0,
        max_values=3,
    )
    async def slots(self, interaction: discord.Interaction, select: ui.Select) -> None: ...

    @ui.select(cls=ui.ChannelSelect, channel_types=[discord.ChannelType.text, discord.ChannelType.forum])
    async def channel(self, interaction: discord.Interaction, select: ui.ChannelSelect) -> None: ...

    @ui.select(cls=ui.UserSelect, default_values=[discord.Object(id=1234)], max_values=5)
    async def people(self, interaction: discord.Interaction, select: ui.UserSelect) -> None: ...


def event_view() -> ui.View:
    view = EventView()
    view.add_item(ui.Button(label="Website", url="https://cisip.example.org/events?id=3"))
    return view


class EventLayout(ui.LayoutView):
    container = ui.Container(
        ui.TextDisplay("## Park day"),
        ui.Separator(),
        ui.Section(ui.TextDisplay("Join us"), accessory=ui.Button(label="Join", custom_id="join")),
        ui.Section(ui.TextDisplay("Map"), accessory=ui.Thumbnail("https://example.com/map.png")),
        ui.ActionRow(ui.Button(label="Later", custom_id="later")),
        ui.MediaGallery(discord.MediaGalleryItem("https://example.com/a.png")),
        ui.File("attachment://agenda.pdf"),
        accent_colour=0x2ECC71,
    )


def full_embed() -> discord.Embed:
    embed = discord.Embed(
        title="Annual meeting",
        description="Agenda and venue",
        url="https://cisip.example.org/meeting",
        colour=discord.Colour.blurple(),
        timestamp=datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC),
    )
    embed.set_author(
        name="CISIP", url="https://cisip.example.org", icon_url="https://cisip.example.org/i.png"
    )
    embed.set_footer(text="See you there", icon_url="attachment://logo.png")
    embed.set_image(url="attachment://venue.jpg")
    embed.set_thumbnail(url="https://cisip.example.org/t.png")
    for i in range(25):
        embed.add_field(name=f"Session {i}", value="Room A", inline=i % 2 == 0)
    return embed


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"content": "Hello"}, id="content"),
        pytest.param({"content": "x" * 2000}, id="content-at-limit"),
        pytest.param({"embeds": [full_embed().to_dict()]}, id="discord-py-embed"),
        pytest.param({"embeds": [discord.Embed(description="only").to_dict()] * 10}, id="ten-embeds"),
        pytest.param(
            {
                "embeds": [
                    embed(
                        title="t" * 256,
                        description="d" * 4096,
                        fields=[{"name": "n" * 256, "value": "v" * 1024}],
                    ),
                    embed(title=None, description="d" * 368),
                ]
            },
            id="embeds-at-6000",
        ),
        pytest.param({"embeds": [embed(title="  " + "t" * 256 + "  ")]}, id="title-trimmed"),
        pytest.param({"embeds": [embed(color=0), embed(color=0xFFFFFF)]}, id="colors"),
        pytest.param({"components": event_view().to_components()}, id="discord-py-view"),
        pytest.param(
            {"components": EventLayout().to_components(), "flags": 1 << 15}, id="discord-py-layout-view"
        ),
        pytest.param({"components": [row(*[button(f"b{i}") for i in range(5)])] * 1}, id="five-buttons"),
        pytest.param({"components": [row(button(f"r{i}")) for i in range(5)]}, id="five-rows"),
        pytest.param({"components": [row(select(n=25, min_values=0, max_values=25))]}, id="select-limits"),
        pytest.param(
            {"components": [row(link("discord://-/channels/1/2"), {"type": 2, "style": 6, "sku_id": "1"})]},
            id="link-and-premium",
        ),
        pytest.param({"components": [row(button(label=None, emoji={"name": "👍"}))]}, id="emoji-only-button"),
        pytest.param(
            {"content": "hi", "allowed_mentions": discord.AllowedMentions.none().to_dict()},
            id="mentions-none",
        ),
        pytest.param(
            {
                "content": "hi",
                "allowed_mentions": discord.AllowedMentions(users=[discord.Object(1)], roles=False).to_dict(),
            },
            id="mentions-users-list",
        ),
        pytest.param(
            {"content": "hi", "allowed_mentions": {"parse": ["users", "roles"], "users": []}},
            id="parse-empty-users",
        ),
        pytest.param({"content": "hi", "flags": 4 | 64 | 4096}, id="flags"),
        pytest.param(
            {"content": "hi", "tts": False, "nonce": "1234", "sticker_ids": ["1", "2", "3"]}, id="extras"
        ),
        pytest.param({"sticker_ids": ["5"]}, id="sticker-only"),
        pytest.param({"attachments": [{"id": 0, "filename": "a.png"}]}, id="attachment-only"),
        pytest.param({"message_reference": {"type": 1, "message_id": "1", "channel_id": "2"}}, id="forward"),
    ],
)
def test_valid_messages_pass(payload: dict[str, Any]) -> None:
    validate_message(payload)


@pytest.mark.parametrize(
    ("payload", "kwargs"),
    [
        ({}, {"creating": False}),
        ({"content": None, "embeds": []}, {"creating": False}),
        ({}, {"has_files": True}),
        ({"content": ""}, {"has_files": True}),
    ],
)
def test_empty_bodies_allowed_for_edits_and_uploads(payload: dict[str, Any], kwargs: dict[str, bool]) -> None:
    validate_message(payload, **kwargs)


@pytest.mark.parametrize(
    "payload", [{}, {"content": ""}, {"content": "   "}, {"embeds": [], "components": []}]
)
def test_empty_message_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(DiscordError) as info:
        validate_message(payload)
    assert (info.value.status, info.value.code, info.value.message) == (
        400,
        50006,
        "Cannot send an empty message",
    )


# --------------------------------------------------------------------------- refusals

REQUIRED = ("BASE_TYPE_REQUIRED", "This field is required")
WIDTH = ("COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
CUSTOM_ID_100 = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def max_len(n: int) -> tuple[str, str]:
    return ("BASE_TYPE_MAX_LENGTH", f"Must be {n} or fewer in length.")


def bad_len(lo: int, hi: int) -> tuple[str, str]:
    return ("BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")


E0 = ["embeds", 0]
C0 = ["components", 0, "components", 0]
BAD_FLAGS = (
    "MESSAGE_FLAGS_INVALID",
    "Only SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE "
    "and IS_COMPONENTS_V2 can be set",
)


@pytest.mark.parametrize(
    ("payload", "path", "error"),
    [
        # content
        pytest.param({"content": "x" * 2001}, ["content"], max_len(2000), id="content-too-long"),
        pytest.param(
            {"content": 5},
            ["content"],
            ("STRING_TYPE_CONVERT", 'Could not interpret "5" as string.'),
            id="content-not-string",
        ),
        # embeds
        pytest.param({"embeds": [embed()] * 11}, ["embeds"], max_len(10), id="too-many-embeds"),
        pytest.param({"embeds": [embed(title="t" * 257)]}, [*E0, "title"], max_len(256), id="embed-title"),
        pytest.param(
            {"embeds": [embed(description="d" * 4097)]},
            [*E0, "description"],
            max_len(4096),
            id="embed-description",
        ),
        pytest.param(
            {"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]},
            [*E0, "fields"],
            max_len(25),
            id="too-many-fields",
        ),
        pytest.param(
            {"embeds": [embed(fields=[{"name": "n" * 257, "value": "v"}])]},
            [*E0, "fields", 0, "name"],
            bad_len(1, 256),
            id="field-name-too-long",
        ),
        pytest.param(
            {"embeds": [embed(fields=[{"name": "n", "value": "v" * 1025}])]},
            [*E0, "fields", 0, "value"],
            bad_len(1, 1024),
            id="field-value-too-long",
        ),
        pytest.param(
            {"embeds": [embed(fields=[{"name": " ", "value": "v"}])]},
            [*E0, "fields", 0, "name"],
            REQUIRED,
            id="field-name-blank",
        ),
        pytest.param(
            {"embeds": [embed(fields=[{"name": "n"}])]},
            [*E0, "fields", 0, "value"],
            REQUIRED,
            id="field-value-missing",
        ),
        pytest.param(
            {"embeds": [embed(fields=[{"name": "n", "value": ""}])]},
            [*E0, "fields", 0, "value"],
            REQUIRED,
            id="field-value-empty",
        ),
        pytest.param(
            {"embeds": [embed(footer={"text": "f" * 2049})]},
            [*E0, "footer", "text"],
            max_len(2048),
            id="footer-text",
        ),
        pytest.param(
            {"embeds": [embed(footer={"icon_url": "https://a.b/i.png"})]},
            [*E0, "footer", "text"],
            REQUIRED,
            id="footer-without-text",
        ),
        pytest.param(
            {"embeds": [embed(author={"name": "a" * 257})]},
            [*E0, "author", "name"],
            max_len(256),
            id="author-name",
        ),
        pytest.param(
            {
                "embeds": [
                    embed(title=None, description="d" * 4000),
                    embed(title=None, description="d" * 2001),
                ]
            },
            ["embeds"],
            ("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
            id="embeds-total",
        ),
        pytest.param(
            {"embeds": [embed(color=0x1000000)]},
            [*E0, "color"],
            ("NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215."),
            id="color-too-big",
        ),
        pytest.param(
            {"embeds": [embed(color=-1)]},
            [*E0, "color"],
            ("NUMBER_TYPE_MIN", "int value should be greater than or equal to 0."),
            id="color-negative",
        ),
        pytest.param(
            {"embeds": [embed(url="not a url")]},
            [*E0, "url"],
            ("URL_TYPE_INVALID_URL", "Not a well formed URL."),
            id="url-malformed",
        ),
        pytest.param(
            {"embeds": [embed(url="ftp://example.com/x")]},
            [*E0, "url"],
            (
                "URL_TYPE_INVALID_SCHEME",
                "Scheme \"ftp\" is not supported. Scheme must be one of ('http', 'https').",
            ),
            id="url-scheme",
        ),
        pytest.param(
            {"embeds": [embed(image={"url": "example.com/a.png"})]},
            [*E0, "image", "url"],
            ("URL_TYPE_INVALID_URL", "Not a well formed URL."),
            id="image-url",
        ),
        pytest.param(
            {"embeds": [embed(thumbnail={})]}, [*E0, "thumbnail", "url"], REQUIRED, id="thumbnail-url-missing"
        ),
        pytest.param(
            {"embeds": [embed(timestamp="yesterday")]},
            [*E0, "timestamp"],
            ("DATE_TIME_TYPE_PARSE", 'Could not parse "yesterday". Should be ISO8601.'),
            id="timestamp",
        ),
        # action rows
        pytest.param(
            {"components": [row(button(f"r{i}")) for i in range(6)]},
            ["components"],
            max_len(5),
            id="too-many-rows",
        ),
        pytest.param(
            {"components": [row(*[button(f"b{i}") for i in range(6)])]},
            ["components", 0, "components"],
            bad_len(1, 5),
            id="six-buttons",
        ),
        pytest.param({"components": [row()]}, ["components", 0, "components"], bad_len(1, 5), id="empty-row"),
        pytest.param(
            {"components": [row(select(), button())]},
            ["components", 0, "components", 1],
            WIDTH,
            id="select-then-button",
        ),
        pytest.param(
            {"components": [row(button(), select())]},
            ["components", 0, "components", 1],
            WIDTH,
            id="button-then-select",
        ),
        pytest.param(
            {"components": [row(select("a"), select("b"))]},
            ["components", 0, "components", 1],
            WIDTH,
            id="two-selects",
        ),
        pytest.param(
            {"components": [button()]},
            ["components", 0],
            ("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1).'),
            id="button-outside-row",
        ),
        pytest.param(
            {"components": [{"type": 10, "content": "hi"}]},
            ["components", 0],
            ("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1).'),
            id="v2-without-flag",
        ),
        pytest.param(
            {"components": [row({"type": 4, "custom_id": "t", "style": 1, "label": "l"})]},
            C0,
            ("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).'),
            id="text-input-in-message",
        ),
        # buttons
        pytest.param(
            {"components": [row(button(style=7))]},
            [*C0, "style"],
            ("BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5, 6)."),
            id="button-style",
        ),
        pytest.param({"components": [row(link(url=None))]}, [*C0, "url"], REQUIRED, id="link-without-url"),
        pytest.param(
            {"components": [row(link(custom_id="x"))]},
            [*C0, "custom_id"],
            ("BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "Link buttons cannot have a custom id"),
            id="link-with-custom-id",
        ),
        pytest.param(
            {"components": [row(link("javascript:alert(1)"))]},
            [*C0, "url"],
            ("URL_TYPE_INVALID_URL", "Not a well formed URL."),
            id="link-url",
        ),
        pytest.param(
            {"components": [row(link("https://e.com/" + "x" * 500))]},
            [*C0, "url"],
            max_len(512),
            id="link-url-too-long",
        ),
        pytest.param(
            {"components": [row(button(custom_id=None))]},
            [*C0, "custom_id"],
            REQUIRED,
            id="button-without-custom-id",
        ),
        pytest.param(
            {"components": [row(button(url="https://e.com"))]},
            [*C0, "url"],
            ("BUTTON_COMPONENT_URL_NOT_ALLOWED", "Only link buttons can have a url"),
            id="button-with-url",
        ),
        pytest.param(
            {"components": [row({"type": 2, "style": 6})]},
            [*C0, "sku_id"],
            REQUIRED,
            id="premium-without-sku",
        ),
        pytest.param(
            {"components": [row(button("x" * 101))]},
            [*C0, "custom_id"],
            CUSTOM_ID_100,
            id="custom-id-too-long",
        ),
        pytest.param(
            {"components": [row(button(""))]}, [*C0, "custom_id"], CUSTOM_ID_100, id="custom-id-empty"
        ),
        pytest.param(
            {"components": [row(button("same")), row(select("same"))]},
            ["components", 1, "components", 0, "custom_id"],
            ("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
            id="duplicate-custom-id",
        ),
        pytest.param(
            {"components": [row(button(label="l" * 81))]}, [*C0, "label"], max_len(80), id="button-label"
        ),
        pytest.param(
            {"components": [row(button(label=None))]},
            C0,
            ("BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button must have a label or an emoji"),
            id="button-without-label-or-emoji",
        ),
        # selects
        pytest.param(
            {"components": [row(select(n=0))]}, [*C0, "options"], bad_len(1, 25), id="select-no-options"
        ),
        pytest.param(
            {"components": [row(select(n=26))]},
            [*C0, "options"],
            bad_len(1, 25),
            id="select-too-many-options",
        ),
        pytest.param(
            {"components": [row(select(options=None))]},
            [*C0, "options"],
            REQUIRED,
            id="select-options-missing",
        ),
        pytest.param(
            {"components": [row(select(options=[{"label": "l" * 101, "value": "v"}]))]},
            [*C0, "options", 0, "label"],
            bad_len(1, 100),
            id="option-label",
        ),
        pytest.param(
            {"components": [row(select(options=[{"label": "l", "value": "v" * 101}]))]},
            [*C0, "options", 0, "value"],
            bad_len(1, 100),
            id="option-value",
        ),
        pytest.param(
            {"components": [row(select(options=[{"label": "l", "value": "v", "description": "d" * 101}]))]},
            [*C0, "options", 0, "description"],
            max_len(100),
            id="option-description",
        ),
        pytest.param(
            {
                "components": [
                    row(select(options=[{"label": "a", "value": "v"}, {"label": "b", "value": "v"}]))
                ]
            },
            [*C0, "options", 1, "value"],
            ("SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Select component option values must be unique"),
            id="option-value-duplicated",
        ),
        pytest.param(
            {"components": [row(select(min_values=26))]},
            [*C0, "min_values"],
            ("NUMBER_TYPE_MAX", "int value should be less than or equal to 25."),
            id="min-values",
        ),
        pytest.param(
            {"components": [row(select(max_values=0))]},
            [*C0, "max_values"],
            ("NUMBER_TYPE_MIN", "int value should be greater than or equal to 1."),
            id="max-values",
        ),
        pytest.param(
            {"components": [row(select(min_values=3, max_values=2))]},
            [*C0, "min_values"],
            ("NUMBER_TYPE_MAX", "int value should be less than or equal to 2."),
            id="min-above-max",
        ),
        pytest.param(
            {"components": [row(select(placeholder="p" * 151))]},
            [*C0, "placeholder"],
            max_len(150),
            id="placeholder",
        ),
        pytest.param(
            {"components": [row({"type": 5, "custom_id": None})]},
            [*C0, "custom_id"],
            REQUIRED,
            id="user-select-custom-id",
        ),
        pytest.param(
            {"components": [row({"type": 8, "custom_id": "c", "channel_types": [42]})]},
            [*C0, "channel_types", 0],
            ("BASE_TYPE_CHOICES", "Value must be one of (0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16)."),
            id="channel-select-types",
        ),
        pytest.param(
            {
                "components": [
                    row({"type": 6, "custom_id": "r", "default_values": [{"id": "1", "type": "guild"}]})
                ]
            },
            [*C0, "default_values", 0, "type"],
            ("BASE_TYPE_CHOICES", "Value must be one of ('user', 'role', 'channel')."),
            id="default-value-type",
        ),
        # allowed mentions
        pytest.param(
            {"content": "hi", "allowed_mentions": {"parse": ["here"]}},
            ["allowed_mentions", "parse", 0],
            ("BASE_TYPE_CHOICES", "Value must be one of ('roles', 'users', 'everyone')."),
            id="parse-item",
        ),
        pytest.param(
            {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
            ["allowed_mentions"],
            (
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                'parse:["users"] and users: [ids...] are mutually exclusive.',
            ),
            id="parse-users-with-list",
        ),
        pytest.param(
            {"content": "hi", "allowed_mentions": {"parse": ["roles"], "roles": ["1"]}},
            ["allowed_mentions"],
            (
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                'parse:["roles"] and roles: [ids...] are mutually exclusive.',
            ),
            id="parse-roles-with-list",
        ),
        pytest.param(
            {"content": "hi", "allowed_mentions": {"users": [str(i) for i in range(101)]}},
            ["allowed_mentions", "users"],
            max_len(100),
            id="too-many-users",
        ),
        pytest.param(
            {"content": "hi", "allowed_mentions": {"users": ["abc"]}},
            ["allowed_mentions", "users", 0],
            ("NUMBER_TYPE_COERCE", 'Value "abc" is not snowflake.'),
            id="user-id",
        ),
        # flags and other fields
        pytest.param(
            {"content": "hi", "flags": 1 << 1},
            ["flags"],
            BAD_FLAGS,
            id="flag-not-sendable",
        ),
        pytest.param(
            {"content": "hi", "flags": 1 << 7},
            ["flags"],
            BAD_FLAGS,
            id="flag-loading",
        ),
        pytest.param({"content": "hi", "nonce": "n" * 26}, ["nonce"], max_len(25), id="nonce"),
        pytest.param({"sticker_ids": ["1", "2", "3", "4"]}, ["sticker_ids"], max_len(3), id="stickers"),
        # components v2
        pytest.param(
            {"content": "hi", "flags": 1 << 15, "components": [{"type": 10, "content": "x"}]},
            ["content"],
            (
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            ),
            id="v2-with-content",
        ),
        pytest.param(
            {"flags": 1 << 15, "components": [{"type": 10, "content": ""}]},
            ["components", 0, "content"],
            bad_len(1, 4000),
            id="v2-empty-text",
        ),
        pytest.param(
            {"flags": 1 << 15, "components": [{"type": 9, "components": [{"type": 10, "content": "x"}]}]},
            ["components", 0, "accessory"],
            REQUIRED,
            id="v2-section-accessory",
        ),
        pytest.param(
            {"flags": 1 << 15, "components": [{"type": 13, "file": {"url": "https://e.com/f.pdf"}}]},
            ["components", 0, "file", "url"],
            (
                "URL_TYPE_INVALID_SCHEME",
                "Scheme \"https\" is not supported. Scheme must be one of ('attachment').",
            ),
            id="v2-file-attachment-only",
        ),
        pytest.param(
            {
                "flags": 1 << 15,
                "components": [{"type": 17, "components": [{"type": 10, "content": "x"}] * 40}],
            },
            ["components"],
            (
                "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED",
                "The specified components exceed the maximum of 40 total components",
            ),
            id="v2-total",
        ),
    ],
)
def test_invalid_messages_refused(
    payload: dict[str, Any], path: list[str | int], error: tuple[str, str]
) -> None:
    code, message = error
    assert {"code": code, "message": message} in errors_at(refusal(payload), path)


def test_interaction_callback_paths_are_prefixed() -> None:
    errors = refusal({"content": "x" * 2001}, path_prefix=("data",))
    assert errors_at(errors, ["data", "content"]) == [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
    ]


def test_edits_are_validated_too() -> None:
    errors = refusal({"embeds": [embed(title="t" * 257)]}, creating=False)
    assert errors_at(errors, ["embeds", 0, "title"])[0]["code"] == "BASE_TYPE_MAX_LENGTH"
