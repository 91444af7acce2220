"""Validation rules of the emulator for interaction callbacks: autocomplete (8) and modal (9) data."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands, ui

from tests.emulator.form_errors import errors_at, refusal
from tests.fakediscord.errors import DiscordError
from tests.fakediscord.rules import validate_autocomplete, validate_message, validate_modal


def max_len(n: int) -> tuple[str, str]:
    return ("BASE_TYPE_MAX_LENGTH", f"Must be {n} or fewer in length.")


def bad_len(lo: int, hi: int) -> tuple[str, str]:
    return ("BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")


REQUIRED = ("BASE_TYPE_REQUIRED", "This field is required")


# --------------------------------------------------------------------------- autocomplete (type 8)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"choices": []}, id="empty"),
        pytest.param(
            {"choices": [app_commands.Choice(name="Park A", value="a").to_dict()]}, id="discord-py-choice"
        ),
        pytest.param({"choices": [{"name": f"n{i}", "value": i} for i in range(25)]}, id="25-int-choices"),
        pytest.param({"choices": [{"name": "n" * 100, "value": "v" * 100}]}, id="at-limits"),
        pytest.param({"choices": [{"name": "half", "value": 0.5}]}, id="number"),
        pytest.param(
            {"choices": [{"name": "a", "value": "a", "name_localizations": {"fr": "A"}}]}, id="localized"
        ),
    ],
)
def test_valid_autocomplete_passes(data: dict[str, Any]) -> None:
    validate_autocomplete(data)


@pytest.mark.parametrize(
    ("data", "path", "error"),
    [
        pytest.param(
            {"choices": [{"name": f"n{i}", "value": i} for i in range(26)]},
            ["data", "choices"],
            max_len(25),
            id="too-many",
        ),
        pytest.param({}, ["data", "choices"], REQUIRED, id="missing"),
        pytest.param(
            {"choices": [{"name": "", "value": "v"}]},
            ["data", "choices", 0, "name"],
            bad_len(1, 100),
            id="name-empty",
        ),
        pytest.param(
            {"choices": [{"name": "n" * 101, "value": "v"}]},
            ["data", "choices", 0, "name"],
            bad_len(1, 100),
            id="name-long",
        ),
        pytest.param(
            {"choices": [{"value": "v"}]}, ["data", "choices", 0, "name"], REQUIRED, id="name-missing"
        ),
        pytest.param(
            {"choices": [{"name": "n", "value": "v" * 101}]},
            ["data", "choices", 0, "value"],
            max_len(100),
            id="value-long",
        ),
        pytest.param(
            {"choices": [{"name": "n"}]}, ["data", "choices", 0, "value"], REQUIRED, id="value-missing"
        ),
        pytest.param(
            {"choices": [{"name": "n", "value": "v", "name_localizations": {"fr": ""}}]},
            ["data", "choices", 0, "name_localizations", "fr"],
            bad_len(1, 100),
            id="localized-name-empty",
        ),
    ],
)
def test_invalid_autocomplete_refused(data: Any, path: list[str | int], error: tuple[str, str]) -> None:
    code, message = error
    assert {"code": code, "message": message} in errors_at(refusal(validate_autocomplete, data), path)


# --------------------------------------------------------------------------- modal (type 9)


class FeedbackModal(ui.Modal, title="Park feedback"):
    name = ui.TextInput(label="Your name", max_length=45, placeholder="Jane Doe")
    body = ui.TextInput(
        label="Feedback",
        style=discord.TextStyle.paragraph,
        required=False,
        min_length=10,
        max_length=4000,
        default="x" * 20,
    )
    intro = ui.TextDisplay("Tell us how the visit went.")
    rating = ui.Label(
        text="Rating",
        description="From 1 to 5",
        component=ui.Select(options=[discord.SelectOption(label=str(i)) for i in range(1, 6)]),
    )
    email = ui.Label(text="E-mail", component=ui.TextInput(placeholder="name@example.org"))


def text_input(custom_id: str = "name", **extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": custom_id, "style": 1, "label": "Name", **extra}


def modal(*components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"title": "Feedback", "custom_id": "feedback", "components": list(components), **extra}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def label(component: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {"type": 18, "label": "Question", "component": component, **extra}


ROW0 = ["data", "components", 0, "components", 0]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(FeedbackModal().to_dict(), id="discord-py-modal"),
        pytest.param(modal(row(text_input())), id="one-row"),
        pytest.param(modal(*[row(text_input(f"t{i}")) for i in range(5)]), id="five-rows"),
        pytest.param(
            modal(
                row(
                    text_input(
                        "t" * 100,
                        style=2,
                        label="l" * 45,
                        min_length=0,
                        max_length=4000,
                        value="v" * 4000,
                        placeholder="p" * 100,
                    )
                ),
                title="t" * 45,
                custom_id="c" * 100,
            ),
            id="at-limits",
        ),
        pytest.param(modal(label(text_input(label=None), description="d" * 100)), id="label-text-input"),
        pytest.param(
            modal({"type": 10, "content": "Hello"}, label({"type": 19, "custom_id": "files"})),
            id="display-upload",
        ),
    ],
)
def test_valid_modals_pass(data: dict[str, Any]) -> None:
    validate_modal(data)


@pytest.mark.parametrize(
    ("data", "path", "error"),
    [
        pytest.param(
            modal(row(text_input()), title="t" * 46), ["data", "title"], bad_len(1, 45), id="title-long"
        ),
        pytest.param(modal(row(text_input()), title=""), ["data", "title"], bad_len(1, 45), id="title-empty"),
        pytest.param(modal(row(text_input()), title=None), ["data", "title"], REQUIRED, id="title-missing"),
        pytest.param(
            modal(row(text_input()), custom_id="c" * 101),
            ["data", "custom_id"],
            bad_len(1, 100),
            id="custom-id-long",
        ),
        pytest.param(
            modal(row(text_input()), custom_id=None), ["data", "custom_id"], REQUIRED, id="custom-id-missing"
        ),
        pytest.param(modal(), ["data", "components"], bad_len(1, 5), id="no-components"),
        pytest.param(
            modal(*[row(text_input(f"t{i}")) for i in range(6)]),
            ["data", "components"],
            bad_len(1, 5),
            id="six-rows",
        ),
        pytest.param(
            modal(row(text_input("a"), text_input("b"))),
            ["data", "components", 0, "components", 1],
            ("COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"),
            id="two-inputs-in-row",
        ),
        pytest.param(modal(row()), ["data", "components", 0, "components"], bad_len(1, 5), id="empty-row"),
        pytest.param(
            modal(row({"type": 2, "style": 1, "label": "b", "custom_id": "b"})),
            ROW0,
            ("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (4, 3, 5, 6, 7, 8).'),
            id="button-in-modal",
        ),
        pytest.param(
            modal(text_input()),
            ["data", "components", 0],
            ("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1, 18, 10).'),
            id="bare-text-input",
        ),
        pytest.param(
            modal(row(text_input("same")), row(text_input("same"))),
            ["data", "components", 1, "components", 0, "custom_id"],
            ("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
            id="duplicate-custom-id",
        ),
        pytest.param(
            modal(row(text_input("x" * 101))),
            [*ROW0, "custom_id"],
            bad_len(1, 100),
            id="input-custom-id-long",
        ),
        pytest.param(
            modal(row(text_input(None))), [*ROW0, "custom_id"], REQUIRED, id="input-custom-id-missing"
        ),
        pytest.param(
            modal(row(text_input(label="l" * 46))), [*ROW0, "label"], bad_len(1, 45), id="input-label-long"
        ),
        pytest.param(
            modal(row(text_input(label=None))), [*ROW0, "label"], REQUIRED, id="input-label-missing"
        ),
        pytest.param(
            modal(row(text_input(style=3))),
            [*ROW0, "style"],
            ("BASE_TYPE_CHOICES", "Value must be one of (1, 2)."),
            id="input-style",
        ),
        pytest.param(
            modal(row(text_input(min_length=4001))),
            [*ROW0, "min_length"],
            ("NUMBER_TYPE_MAX", "int value should be less than or equal to 4000."),
            id="min-length",
        ),
        pytest.param(
            modal(row(text_input(max_length=0))),
            [*ROW0, "max_length"],
            ("NUMBER_TYPE_MIN", "int value should be greater than or equal to 1."),
            id="max-length-zero",
        ),
        pytest.param(
            modal(row(text_input(max_length=4001))),
            [*ROW0, "max_length"],
            ("NUMBER_TYPE_MAX", "int value should be less than or equal to 4000."),
            id="max-length-big",
        ),
        pytest.param(
            modal(row(text_input(min_length=20, max_length=10))),
            [*ROW0, "min_length"],
            ("NUMBER_TYPE_MAX", "int value should be less than or equal to 10."),
            id="min-above-max",
        ),
        pytest.param(
            modal(row(text_input(value="v" * 4001))), [*ROW0, "value"], max_len(4000), id="value-long"
        ),
        pytest.param(
            modal(row(text_input(placeholder="p" * 101))),
            [*ROW0, "placeholder"],
            max_len(100),
            id="placeholder",
        ),
        pytest.param(
            modal(label(text_input(), label="l" * 46)),
            ["data", "components", 0, "label"],
            bad_len(1, 45),
            id="label-long",
        ),
        pytest.param(
            modal(label(text_input(), description="d" * 101)),
            ["data", "components", 0, "description"],
            max_len(100),
            id="label-description",
        ),
        pytest.param(
            modal(label(None)), ["data", "components", 0, "component"], REQUIRED, id="label-without-component"
        ),
        pytest.param(
            modal(label({"type": 2, "style": 1, "label": "b", "custom_id": "b"})),
            ["data", "components", 0, "component"],
            (
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (4, 3, 5, 6, 7, 8, 19, 21, 22, 23).',
            ),
            id="button-in-label",
        ),
        pytest.param(
            modal(
                label(
                    {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}], "disabled": True}
                )
            ),
            ["data", "components", 0, "component", "disabled"],
            ("COMPONENT_DISABLED_NOT_ALLOWED", "Modal components cannot be disabled"),
            id="disabled-select",
        ),
        pytest.param(
            modal({"type": 10, "content": ""}),
            ["data", "components", 0, "content"],
            bad_len(1, 4000),
            id="empty-text-display",
        ),
    ],
)
def test_invalid_modals_refused(data: Any, path: list[str | int], error: tuple[str, str]) -> None:
    code, message = error
    assert {"code": code, "message": message} in errors_at(refusal(validate_modal, data), path)


# ------------------------------------------------------------------- message callbacks (types 4 and 7)


def test_channel_message_callback_data_is_a_message() -> None:
    validate_message({"content": "Done", "flags": 64}, path_prefix=("data",))
    with pytest.raises(DiscordError) as info:
        validate_message({"embeds": [{"title": "t" * 257}]}, path_prefix=("data",))
    assert errors_at(info.value.errors or {}, ["data", "embeds", 0, "title"]) == [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}
    ]


def test_update_message_callback_may_be_partial() -> None:
    validate_message({"components": []}, creating=False, path_prefix=("data",))
