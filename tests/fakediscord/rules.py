"""Payload-validation rules of the loopback Discord emulator.

Each public function checks one kind of request body the way Discord's API does and raises
:class:`~tests.fakediscord.errors.DiscordError` on a refusal (``400 / 50035 "Invalid Form Body"``
with Discord's nested ``errors`` object, or ``400 / 50006`` for an empty message); it returns
``None`` when the payload is acceptable.

The limits come from the official API reference (discord/discord-api-docs:
``interactions/application-commands``, ``resources/message``, ``components/reference``,
``interactions/receiving-and-responding``, ``reference#locales``, ``resources/channel``).
Error codes and messages follow what Discord answers where known; where the real code is not
documented a descriptive code in Discord's style is used.

``None`` values are treated as absent, because discord.py sends explicit ``null`` for many unset
fields (e.g. ``min_value`` of a fetched command option, ``label`` of a text input in a Label).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tests.fakediscord.errors import DiscordError, FormErrors

Path = list[str | int]

# --------------------------------------------------------------------------- constants

#: Locale codes accepted as keys of ``*_localizations`` (docs: reference#locales).
LOCALES: frozenset[str] = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu",
        "nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru",
        "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
    }
)  # fmt: skip

#: Channel types (docs: resources/channel#channel-object-channel-types).
CHANNEL_TYPES: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16})

# Application command types and option types.
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND, PRIMARY_ENTRY_POINT = 1, 2, 3, 4
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
NUMBER, ATTACHMENT = 10, 11
OPTION_TYPES = frozenset(range(1, 12))
MAX_COMMANDS_PER_TYPE = {CHAT_INPUT: 100, USER_COMMAND: 15, MESSAGE_COMMAND: 15, PRIMARY_ENTRY_POINT: 1}
MAX_SAFE_INTEGER = 2**53 - 1
#: Combined size of a command's names, descriptions and choice values (docs:
#: interactions/application-commands, "Slash commands can have a maximum of 8000 characters").
MAX_COMMAND_SIZE = 8000

# Message flags that may be set when sending (docs: resources/message#create-message, plus
# EPHEMERAL for interaction responses and follow-ups).
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2

# Component types (docs: components/reference#component-object-component-types).
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR = 9, 10, 11, 12, 13, 14
CONTAINER, LABEL, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 17, 18, 19, 21, 22, 23
SELECT_TYPES = frozenset({STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT})
BUTTON_STYLES = (1, 2, 3, 4, 5, 6)
LINK_STYLE, PREMIUM_STYLE = 5, 6
MAX_TOTAL_COMPONENTS_V2 = 40

EMBED_TOTAL_LIMIT = 6000
MAX_COLOR = 0xFFFFFF

# Error codes (Discord's where known).
REQUIRED = "BASE_TYPE_REQUIRED"
MAX_LENGTH = "BASE_TYPE_MAX_LENGTH"
BAD_LENGTH = "BASE_TYPE_BAD_LENGTH"
CHOICES = "BASE_TYPE_CHOICES"
INVALID_NAME = "APPLICATION_COMMAND_INVALID_NAME"
REQUIRED_ORDER = "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID_ORDER"
OPTIONS_TYPE_INVALID = "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"
OPTION_NAME_EXISTS = "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS"
DUPLICATE_COMMAND = "APPLICATION_COMMANDS_DUPLICATE_NAME"
COMMAND_TOO_LARGE = "APPLICATION_COMMAND_TOO_LARGE"
AUTOCOMPLETE_CHOICES = "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES_EXCLUSIVE"
CUSTOM_ID_DUPLICATED = "COMPONENT_CUSTOM_ID_DUPLICATED"
WIDTH_EXCEEDED = "COMPONENT_LAYOUT_WIDTH_EXCEEDED"
UNION_CHOICES = "UNION_TYPE_CHOICES"
EMBED_SIZE = "MAX_EMBED_SIZE_EXCEEDED"
PARSE_EXCLUSIVE = "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"
LEGACY_WITH_V2 = "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"

CANNOT_SEND_EMPTY_MESSAGE = 50006
FLAGS_MESSAGE = (
    "Only SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE "
    "and IS_COMPONENTS_V2 can be set"
)


# --------------------------------------------------------------------------- helpers


def _absent(value: Any) -> bool:
    return value is None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt_choices(choices: Sequence[Any]) -> str:
    return "Value must be one of (" + ", ".join(repr(c) for c in choices) + ")."


def _length_message(lo: int, hi: int) -> tuple[str, str]:
    if lo <= 0:
        return MAX_LENGTH, f"Must be {hi} or fewer in length."
    return BAD_LENGTH, f"Must be between {lo} and {hi} in length."


def _check_str(
    errs: FormErrors,
    path: Path,
    value: Any,
    *,
    max_len: int,
    min_len: int = 0,
    required: bool = False,
    strip: bool = False,
) -> str | None:
    """Check a string field; return it when it is a string, else ``None``."""
    if _absent(value):
        if required:
            errs.add(path, REQUIRED, "This field is required")
        return None
    if not isinstance(value, str):
        errs.add(path, "STRING_TYPE_CONVERT", f'Could not interpret "{value!r}" as string.')
        return None
    length = len(value.strip() if strip else value)
    if required and length == 0 and min_len > 0 and strip:
        errs.add(path, REQUIRED, "This field is required")
    elif length < min_len or length > max_len:
        errs.add(path, *_length_message(min_len, max_len))
    return value


def _check_int(
    errs: FormErrors, path: Path, value: Any, *, lo: int, hi: int, required: bool = False
) -> int | None:
    if _absent(value):
        if required:
            errs.add(path, REQUIRED, "This field is required")
        return None
    if not _is_int(value):
        errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        return None
    if value < lo:
        errs.add(path, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {lo}.")
    elif value > hi:
        errs.add(path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {hi}.")
    return value


def _check_list(
    errs: FormErrors, path: Path, value: Any, *, max_len: int, min_len: int = 0, required: bool = False
) -> list[Any]:
    """Check a list field; return its items (an empty list when it is absent or invalid)."""
    if _absent(value):
        if required:
            errs.add(path, REQUIRED, "This field is required")
        return []
    if not isinstance(value, list):
        errs.add(path, "LIST_TYPE_CONVERT", "Must be an array.")
        return []
    if len(value) < min_len or len(value) > max_len:
        errs.add(path, *_length_message(min_len, max_len))
    return value


def _check_choice(errs: FormErrors, path: Path, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices or isinstance(value, bool):
        errs.add(path, CHOICES, _fmt_choices(choices))


def _check_dict(errs: FormErrors, path: Path, value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    return None


def _check_url(
    errs: FormErrors,
    path: Path,
    value: Any,
    *,
    max_len: int = 2048,
    schemes: Sequence[str] = ("http", "https"),
    required: bool = False,
) -> None:
    url = _check_str(errs, path, value, max_len=max_len, required=required)
    if url is None or len(url) > max_len:
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        errs.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        return
    if parts.scheme == "attachment":
        well_formed = bool(parts.netloc or parts.path)
    else:
        well_formed = bool(parts.scheme and parts.netloc)
    if not well_formed or " " in url:
        errs.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        return
    if parts.scheme not in schemes:
        allowed = ", ".join(repr(s) for s in schemes)
        errs.add(
            path,
            "URL_TYPE_INVALID_SCHEME",
            f'Scheme "{parts.scheme}" is not supported. Scheme must be one of ({allowed}).',
        )


def _check_snowflake(errs: FormErrors, path: Path, value: Any) -> None:
    text = str(value) if _is_int(value) else value
    if not isinstance(text, str) or not text.isdigit() or int(text) >= 2**64:
        errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')


def _flag_bits(errs: FormErrors, path: Path, value: Any) -> int:
    if _absent(value):
        return 0
    if not _is_int(value):
        errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        return 0
    return value


# --------------------------------------------------------------------------- application commands


def _is_devanagari_or_thai(ch: str) -> bool:
    cp = ord(ch)
    return 0x0900 <= cp <= 0x097F or 0xA8E0 <= cp <= 0xA8FF or 0x0E00 <= cp <= 0x0E7F


def _valid_chat_input_name(name: str) -> bool:
    """``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` and lowercase where a lowercase form exists."""
    if not 1 <= len(name) <= 32:
        return False
    for ch in name:
        if ch in "-_'" or _is_devanagari_or_thai(ch):
            continue
        if unicodedata.category(ch)[0] not in "LN":
            return False
        if ch.lower() != ch:
            return False
    return True


def _check_name(errs: FormErrors, path: Path, value: Any, *, chat_input: bool) -> str | None:
    name = _check_str(errs, path, value, min_len=1, max_len=32, required=True)
    if name is None or not 1 <= len(name) <= 32:
        return name
    if chat_input and not _valid_chat_input_name(name):
        errs.add(path, INVALID_NAME, "Command name is invalid")
    return name


def _check_localized_duplicates(errs: FormErrors, path: Path, siblings: list[Any], code: str) -> None:
    """Two siblings may not read the same to a client in any locale (a localization, else the name).

    Discord refuses this; the docs do not give the error, so it is reported as the plain duplicate
    is. Duplicates of the default names alone are left to the plain check.
    """
    for locale in sorted(LOCALES):
        taken: dict[str, bool] = {}
        for index, sibling in enumerate(siblings):
            if not isinstance(sibling, dict) or not isinstance(sibling.get("name"), str):
                continue
            localizations = sibling.get("name_localizations")
            localized = isinstance(localizations, dict) and isinstance(localizations.get(locale), str)
            shown = localizations[locale] if localized else sibling["name"]
            if shown in taken and (localized or taken[shown]):
                errs.add(
                    [
                        *path,
                        index,
                        "name_localizations" if localized else "name",
                        *([locale] if localized else []),
                    ],
                    code,
                    f"Name {shown} is already used here in {locale}",
                )
            taken.setdefault(shown, localized)


def _check_localizations(errs: FormErrors, path: Path, value: Any, check_value: Any) -> None:
    if _absent(value):
        return
    mapping = _check_dict(errs, path, value)
    if mapping is None:
        return
    for locale, text in mapping.items():
        if locale not in LOCALES:
            errs.add([*path, locale], CHOICES, _fmt_choices(sorted(LOCALES)))
        else:
            check_value([*path, locale], text)


def _check_name_fields(errs: FormErrors, path: Path, obj: dict[str, Any], *, chat_input: bool) -> Any:
    name = _check_name(errs, [*path, "name"], obj.get("name"), chat_input=chat_input)
    _check_localizations(
        errs,
        [*path, "name_localizations"],
        obj.get("name_localizations"),
        lambda p, v: _check_name(errs, p, v, chat_input=chat_input),
    )
    return name


def _check_description_fields(errs: FormErrors, path: Path, obj: dict[str, Any]) -> None:
    _check_str(errs, [*path, "description"], obj.get("description"), min_len=1, max_len=100, required=True)
    _check_localizations(
        errs,
        [*path, "description_localizations"],
        obj.get("description_localizations"),
        lambda p, v: _check_str(errs, p, v, min_len=1, max_len=100, required=True),
    )


def _check_choice_value(errs: FormErrors, path: Path, value: Any, option_type: int) -> None:
    if _absent(value):
        errs.add(path, REQUIRED, "This field is required")
    elif option_type == STRING:
        _check_str(errs, path, value, max_len=100)
    elif option_type == INTEGER:
        if not _is_int(value):
            errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        else:
            _check_int(errs, path, value, lo=-MAX_SAFE_INTEGER, hi=MAX_SAFE_INTEGER)
    elif option_type == NUMBER:
        if not _is_number(value):
            errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not a valid number.')
        elif abs(value) > 2**53:
            errs.add(path, "NUMBER_TYPE_MAX", f"float value should be less than or equal to {2**53}.")


def _check_choices(errs: FormErrors, path: Path, choices: Any, option_type: int) -> list[Any]:
    items = _check_list(errs, path, choices, max_len=25)
    for index, choice in enumerate(items):
        cpath = [*path, index]
        if _check_dict(errs, cpath, choice) is None:
            continue
        _check_str(errs, [*cpath, "name"], choice.get("name"), min_len=1, max_len=100, required=True)
        _check_localizations(
            errs,
            [*cpath, "name_localizations"],
            choice.get("name_localizations"),
            lambda p, v: _check_str(errs, p, v, min_len=1, max_len=100, required=True),
        )
        _check_choice_value(errs, [*cpath, "value"], choice.get("value"), option_type)
    return items


def _check_bound(errs: FormErrors, path: Path, value: Any, option_type: int) -> float | None:
    if _absent(value):
        return None
    if option_type == INTEGER and not _is_int(value):
        errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        return None
    if not _is_number(value):
        errs.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not a valid number.')
        return None
    if abs(value) > 2**53:
        errs.add(path, "NUMBER_TYPE_MAX", f"value should be less than or equal to {2**53}.")
    return value


def _check_option(errs: FormErrors, path: Path, option: dict[str, Any], depth: int) -> None:
    option_type = option.get("type")
    _check_choice(errs, [*path, "type"], option_type, sorted(OPTION_TYPES))
    _check_name_fields(errs, path, option, chat_input=True)
    _check_description_fields(errs, path, option)

    if option_type in (SUB_COMMAND, SUB_COMMAND_GROUP):
        _check_options(errs, [*path, "options"], option.get("options"), depth=depth + 1, parent=option_type)
        return

    choices = _check_choices(errs, [*path, "choices"], option.get("choices"), option_type)
    if choices and option.get("autocomplete") is True:
        errs.add(
            [*path, "autocomplete"],
            AUTOCOMPLETE_CHOICES,
            "Autocomplete cannot be enabled when choices are set",
        )

    if option_type in (INTEGER, NUMBER):
        low = _check_bound(errs, [*path, "min_value"], option.get("min_value"), option_type)
        high = _check_bound(errs, [*path, "max_value"], option.get("max_value"), option_type)
        if low is not None and high is not None and low > high:
            errs.add(
                [*path, "max_value"], "NUMBER_TYPE_MIN", f"value should be greater than or equal to {low}."
            )
    if option_type == STRING:
        low = _check_int(errs, [*path, "min_length"], option.get("min_length"), lo=0, hi=6000)
        high = _check_int(errs, [*path, "max_length"], option.get("max_length"), lo=1, hi=6000)
        if low is not None and high is not None and 0 <= low <= 6000 and 1 <= high <= 6000 and low > high:
            errs.add(
                [*path, "max_length"],
                "NUMBER_TYPE_MIN",
                f"int value should be greater than or equal to {low}.",
            )
    channel_types = _check_list(
        errs, [*path, "channel_types"], option.get("channel_types"), max_len=len(CHANNEL_TYPES)
    )
    for index, channel_type in enumerate(channel_types):
        _check_choice(errs, [*path, "channel_types", index], channel_type, sorted(CHANNEL_TYPES))


def _check_options(errs: FormErrors, path: Path, options: Any, *, depth: int, parent: int | None) -> None:
    """Check one level of options; ``parent`` is the type of the option holding them (None: command)."""
    items = _check_list(errs, path, options, max_len=25)
    seen: set[str] = set()
    optional_seen = False
    order_reported = False
    kinds: set[bool] = set()
    _check_localized_duplicates(errs, path, items, OPTION_NAME_EXISTS)
    for index, option in enumerate(items):
        opath = [*path, index]
        if _check_dict(errs, opath, option) is None:
            continue
        option_type = option.get("type")
        is_sub = option_type in (SUB_COMMAND, SUB_COMMAND_GROUP)
        kinds.add(is_sub)
        if parent == SUB_COMMAND_GROUP and option_type != SUB_COMMAND:
            errs.add(
                [*opath, "type"], OPTIONS_TYPE_INVALID, "Sub-command groups may only contain sub-commands"
            )
        elif parent == SUB_COMMAND and is_sub:
            errs.add(
                [*opath, "type"], OPTIONS_TYPE_INVALID, "Sub-commands may not contain sub-commands or groups"
            )
        _check_option(errs, opath, option, depth)

        name = option.get("name")
        if isinstance(name, str):
            if name in seen:
                errs.add(
                    [*opath, "name"],
                    OPTION_NAME_EXISTS,
                    f"Option name {name} is already used in these options",
                )
            seen.add(name)
        if not is_sub:
            if option.get("required") is True:
                if optional_seen and not order_reported:
                    errs.add(
                        path, REQUIRED_ORDER, "Required options must be placed before non-required options"
                    )
                    order_reported = True
            else:
                optional_seen = True
    if len(kinds) > 1:
        errs.add(
            path,
            OPTIONS_TYPE_INVALID,
            "Sub-command and sub-command group option types are mutually exclusive to all other types",
        )


def _check_command(errs: FormErrors, path: Path, command: dict[str, Any]) -> None:
    command_type = command.get("type", CHAT_INPUT)
    if command_type is None:
        command_type = CHAT_INPUT
    _check_choice(errs, [*path, "type"], command_type, sorted(MAX_COMMANDS_PER_TYPE))
    chat_input = command_type == CHAT_INPUT
    _check_name_fields(errs, path, command, chat_input=chat_input)
    if chat_input:
        _check_description_fields(errs, path, command)
        _check_options(errs, [*path, "options"], command.get("options"), depth=0, parent=None)
    elif command.get("options"):
        errs.add([*path, "options"], OPTIONS_TYPE_INVALID, "Only chat input commands may have options")
    permissions = command.get("default_member_permissions")
    # Documented as a string; discord.py sends the integer value, which Discord accepts too.
    valid_permissions = (isinstance(permissions, str) and permissions.isdigit()) or (
        _is_int(permissions) and permissions >= 0
    )
    if not _absent(permissions) and not valid_permissions:
        errs.add(
            [*path, "default_member_permissions"], "NUMBER_TYPE_COERCE", f'Value "{permissions}" is not int.'
        )
    for key, allowed in (("contexts", (0, 1, 2)), ("integration_types", (0, 1))):
        for index, item in enumerate(_check_list(errs, [*path, key], command.get(key), max_len=len(allowed))):
            _check_choice(errs, [*path, key, index], item, allowed)


def _longest(obj: dict[str, Any], key: str) -> int:
    """Length of ``obj[key]`` or of its longest localization, whichever is longer."""
    lengths = [0]
    value = obj.get(key)
    if isinstance(value, str):
        lengths.append(len(value))
    localizations = obj.get(f"{key}_localizations")
    if isinstance(localizations, dict):
        lengths.extend(len(text) for text in localizations.values() if isinstance(text, str))
    return max(lengths)


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if _is_number(value):
        return len(str(value))
    return 0


def command_size(node: dict[str, Any]) -> int:
    """Characters a command (or option) counts towards Discord's 8000-character limit: name,
    description and value of the command, its options (sub-commands and groups included) and
    their choices; of each localized field only the longest text (default included) counts."""
    size = _longest(node, "name") + _longest(node, "description")
    choices = node.get("choices")
    for choice in choices if isinstance(choices, list) else []:
        if isinstance(choice, dict):
            size += _longest(choice, "name") + _value_size(choice.get("value"))
    options = node.get("options")
    for option in options if isinstance(options, list) else []:
        if isinstance(option, dict):
            size += command_size(option)
    return size


def validate_commands(commands: list[dict[str, Any]], *, path_prefix: Sequence[str | int] = ()) -> None:
    """Validate the body of a bulk overwrite (PUT .../commands) of global or guild commands."""
    errs = FormErrors()
    prefix: Path = list(path_prefix)
    if not isinstance(commands, list):
        errs.add(prefix, "LIST_TYPE_CONVERT", "Must be an array.")
        errs.raise_if_any()
        return
    seen: set[tuple[Any, str]] = set()
    counts: dict[Any, int] = {}
    for index, command in enumerate(commands):
        path = [*prefix, index]
        if _check_dict(errs, path, command) is None:
            continue
        _check_command(errs, path, command)
        if command_size(command) > MAX_COMMAND_SIZE:
            errs.add(path, COMMAND_TOO_LARGE, f"Command exceeds maximum size ({MAX_COMMAND_SIZE})")
        command_type = command.get("type") or CHAT_INPUT
        counts[command_type] = counts.get(command_type, 0) + 1
        name = command.get("name")
        if isinstance(name, str):
            if (command_type, name) in seen:
                errs.add([*path, "name"], DUPLICATE_COMMAND, "Application command names must be unique")
            seen.add((command_type, name))
    for command_type in counts:
        same_type = [
            c if isinstance(c, dict) and (c.get("type") or CHAT_INPUT) == command_type else None
            for c in commands
        ]
        _check_localized_duplicates(errs, prefix, same_type, DUPLICATE_COMMAND)
    for command_type, limit in MAX_COMMANDS_PER_TYPE.items():
        if counts.get(command_type, 0) > limit:
            errs.add(prefix, MAX_LENGTH, f"Must be {limit} or fewer in length.")
    errs.raise_if_any()


# --------------------------------------------------------------------------- embeds


_EMBED_COUNTED: tuple[tuple[str, ...], ...] = (
    ("title",),
    ("description",),
    ("footer", "text"),
    ("author", "name"),
)


def _embed_size(embed: dict[str, Any]) -> int:
    total = 0
    for keys in _EMBED_COUNTED:
        node: Any = embed
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            total += len(node.strip())
    for field in embed.get("fields") or []:
        if isinstance(field, dict):
            for key in ("name", "value"):
                if isinstance(field.get(key), str):
                    total += len(field[key].strip())
    return total


_MEDIA_SCHEMES = ("http", "https", "attachment")


def _check_embed(errs: FormErrors, path: Path, embed: dict[str, Any]) -> None:
    _check_str(errs, [*path, "title"], embed.get("title"), max_len=256, strip=True)
    _check_str(errs, [*path, "description"], embed.get("description"), max_len=4096, strip=True)
    _check_url(errs, [*path, "url"], embed.get("url"))
    _check_int(errs, [*path, "color"], embed.get("color"), lo=0, hi=MAX_COLOR)
    timestamp = embed.get("timestamp")
    if not _absent(timestamp):
        try:
            datetime.fromisoformat(str(timestamp))
        except ValueError:
            errs.add(
                [*path, "timestamp"],
                "DATE_TIME_TYPE_PARSE",
                f'Could not parse "{timestamp}". Should be ISO8601.',
            )
    for index, field in enumerate(_check_list(errs, [*path, "fields"], embed.get("fields"), max_len=25)):
        fpath = [*path, "fields", index]
        if _check_dict(errs, fpath, field) is None:
            continue
        _check_str(
            errs, [*fpath, "name"], field.get("name"), min_len=1, max_len=256, required=True, strip=True
        )
        _check_str(
            errs, [*fpath, "value"], field.get("value"), min_len=1, max_len=1024, required=True, strip=True
        )
    for key, text_key, limit, extra_urls in (
        ("footer", "text", 2048, ("icon_url",)),
        ("author", "name", 256, ("icon_url", "url")),
    ):
        part = embed.get(key)
        if _absent(part) or _check_dict(errs, [*path, key], part) is None:
            continue
        _check_str(errs, [*path, key, text_key], part.get(text_key), max_len=limit, required=True, strip=True)
        for url_key in extra_urls:
            schemes = ("http", "https") if url_key == "url" else _MEDIA_SCHEMES
            _check_url(errs, [*path, key, url_key], part.get(url_key), schemes=schemes)
    for key in ("image", "thumbnail"):
        part = embed.get(key)
        if _absent(part) or _check_dict(errs, [*path, key], part) is None:
            continue
        _check_url(errs, [*path, key, "url"], part.get("url"), schemes=_MEDIA_SCHEMES, required=True)


def _check_embeds(errs: FormErrors, path: Path, embeds: Any) -> None:
    items = _check_list(errs, path, embeds, max_len=10)
    total = 0
    for index, embed in enumerate(items):
        if _check_dict(errs, [*path, index], embed) is None:
            continue
        _check_embed(errs, [*path, index], embed)
        total += _embed_size(embed)
    if total > EMBED_TOTAL_LIMIT:
        errs.add(path, EMBED_SIZE, f"Embed size exceeds maximum size of {EMBED_TOTAL_LIMIT}")


# --------------------------------------------------------------------------- components


class _Components:
    """Walks a component tree, checking each component and custom_id uniqueness."""

    def __init__(self, errs: FormErrors, *, modal: bool = False) -> None:
        self.errs = errs
        self.modal = modal
        self.custom_ids: set[str] = set()
        self.total = 0

    def custom_id(self, path: Path, value: Any, *, required: bool = True) -> None:
        custom_id = _check_str(
            self.errs, [*path, "custom_id"], value, min_len=1, max_len=100, required=required
        )
        if custom_id is None:
            return
        if custom_id in self.custom_ids:
            self.errs.add(
                [*path, "custom_id"], CUSTOM_ID_DUPLICATED, "Component custom id cannot be duplicated"
            )
        self.custom_ids.add(custom_id)

    def component(self, path: Path, component: Any, allowed: Sequence[int]) -> int | None:
        """Check one component whose type must be among ``allowed``; return its type."""
        if _check_dict(self.errs, path, component) is None:
            return None
        self.total += 1
        kind = component.get("type")
        if kind not in allowed or isinstance(kind, bool):
            self.errs.add(
                path,
                UNION_CHOICES,
                'Value of field "type" must be one of (' + ", ".join(str(a) for a in allowed) + ").",
            )
            return None
        handler = {
            ACTION_ROW: self.action_row,
            BUTTON: self.button,
            TEXT_INPUT: self.text_input,
            SECTION: self.section,
            TEXT_DISPLAY: self.text_display,
            THUMBNAIL: self.thumbnail,
            MEDIA_GALLERY: self.media_gallery,
            FILE: self.file,
            SEPARATOR: self.separator,
            CONTAINER: self.container,
            LABEL: self.label,
        }.get(kind)
        if kind in SELECT_TYPES:
            self.select(path, component)
        elif handler is not None:
            handler(path, component)
        else:  # file upload, radio group, checkbox group, checkbox
            self.custom_id(path, component.get("custom_id"))
        return kind

    # layout ---------------------------------------------------------------

    def action_row(self, path: Path, row: dict[str, Any]) -> None:
        cpath = [*path, "components"]
        children = _check_list(self.errs, cpath, row.get("components"), min_len=1, max_len=5, required=True)
        if self.modal:
            allowed: Sequence[int] = (TEXT_INPUT, *sorted(SELECT_TYPES))
        else:
            allowed = (BUTTON, *sorted(SELECT_TYPES))
        width = 0
        for index, child in enumerate(children):
            kind = self.component([*cpath, index], child, allowed)
            if kind is None:
                continue
            width += 1 if kind == BUTTON else 5
            if width > 5:
                self.errs.add(
                    [*cpath, index], WIDTH_EXCEEDED, "The specified component exceeds the maximum width"
                )

    def section(self, path: Path, section: dict[str, Any]) -> None:
        cpath = [*path, "components"]
        children = _check_list(
            self.errs, cpath, section.get("components"), min_len=1, max_len=3, required=True
        )
        for index, child in enumerate(children):
            self.component([*cpath, index], child, (TEXT_DISPLAY,))
        accessory = section.get("accessory")
        if _absent(accessory):
            self.errs.add([*path, "accessory"], REQUIRED, "This field is required")
        else:
            self.component([*path, "accessory"], accessory, (BUTTON, THUMBNAIL))

    def container(self, path: Path, container: dict[str, Any]) -> None:
        cpath = [*path, "components"]
        children = _check_list(
            self.errs, cpath, container.get("components"), min_len=1, max_len=40, required=True
        )
        for index, child in enumerate(children):
            self.component(
                [*cpath, index], child, (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR)
            )
        _check_int(self.errs, [*path, "accent_color"], container.get("accent_color"), lo=0, hi=MAX_COLOR)

    def label(self, path: Path, label: dict[str, Any]) -> None:
        _check_str(self.errs, [*path, "label"], label.get("label"), min_len=1, max_len=45, required=True)
        _check_str(self.errs, [*path, "description"], label.get("description"), max_len=100)
        child = label.get("component")
        if _absent(child):
            self.errs.add([*path, "component"], REQUIRED, "This field is required")
            return
        allowed = (TEXT_INPUT, *sorted(SELECT_TYPES), FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX)
        self.component([*path, "component"], child, allowed)

    # content --------------------------------------------------------------

    def text_display(self, path: Path, display: dict[str, Any]) -> None:
        _check_str(
            self.errs, [*path, "content"], display.get("content"), min_len=1, max_len=4000, required=True
        )

    def _media(self, path: Path, media: Any, *, attachment_only: bool = False) -> None:
        if _absent(media):
            self.errs.add(path, REQUIRED, "This field is required")
            return
        if _check_dict(self.errs, path, media) is None:
            return
        schemes = ("attachment",) if attachment_only else _MEDIA_SCHEMES
        _check_url(self.errs, [*path, "url"], media.get("url"), schemes=schemes, required=True)

    def thumbnail(self, path: Path, thumbnail: dict[str, Any]) -> None:
        self._media([*path, "media"], thumbnail.get("media"))
        _check_str(self.errs, [*path, "description"], thumbnail.get("description"), max_len=1024)

    def media_gallery(self, path: Path, gallery: dict[str, Any]) -> None:
        ipath = [*path, "items"]
        for index, item in enumerate(
            _check_list(self.errs, ipath, gallery.get("items"), min_len=1, max_len=10, required=True)
        ):
            if _check_dict(self.errs, [*ipath, index], item) is None:
                continue
            self._media([*ipath, index, "media"], item.get("media"))
            _check_str(self.errs, [*ipath, index, "description"], item.get("description"), max_len=1024)

    def file(self, path: Path, file: dict[str, Any]) -> None:
        self._media([*path, "file"], file.get("file"), attachment_only=True)

    def separator(self, path: Path, separator: dict[str, Any]) -> None:
        spacing = separator.get("spacing")
        if not _absent(spacing):
            _check_choice(self.errs, [*path, "spacing"], spacing, (1, 2))

    # interactive ----------------------------------------------------------

    def button(self, path: Path, button: dict[str, Any]) -> None:
        errs = self.errs
        style = button.get("style")
        if style not in BUTTON_STYLES or isinstance(style, bool):
            errs.add([*path, "style"], CHOICES, _fmt_choices(BUTTON_STYLES))
            return
        label = _check_str(errs, [*path, "label"], button.get("label"), max_len=80)
        custom_id, url = button.get("custom_id"), button.get("url")
        if style == LINK_STYLE:
            if _absent(url):
                errs.add([*path, "url"], REQUIRED, "This field is required")
            else:
                _check_url(errs, [*path, "url"], url, max_len=512, schemes=("http", "https", "discord"))
            if not _absent(custom_id):
                errs.add(
                    [*path, "custom_id"],
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "Link buttons cannot have a custom id",
                )
        elif style == PREMIUM_STYLE:
            if _absent(button.get("sku_id")):
                errs.add([*path, "sku_id"], REQUIRED, "This field is required")
            for key in ("custom_id", "url", "label", "emoji"):
                if not _absent(button.get(key)):
                    errs.add(
                        [*path, key],
                        "BUTTON_COMPONENT_PREMIUM_FIELD_NOT_ALLOWED",
                        f"Premium buttons cannot have a {key}",
                    )
            return
        else:
            self.custom_id(path, custom_id)
            if not _absent(url):
                errs.add(
                    [*path, "url"], "BUTTON_COMPONENT_URL_NOT_ALLOWED", "Only link buttons can have a url"
                )
        if not label and _absent(button.get("emoji")):
            errs.add(
                path, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button must have a label or an emoji"
            )

    def select(self, path: Path, select: dict[str, Any]) -> None:
        errs = self.errs
        self.custom_id(path, select.get("custom_id"))
        _check_str(errs, [*path, "placeholder"], select.get("placeholder"), max_len=150)
        low = _check_int(errs, [*path, "min_values"], select.get("min_values"), lo=0, hi=25)
        high = _check_int(errs, [*path, "max_values"], select.get("max_values"), lo=1, hi=25)
        if low is not None and high is not None and 0 <= low <= 25 and 1 <= high <= 25 and low > high:
            errs.add(
                [*path, "min_values"], "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}."
            )
        if self.modal and select.get("disabled") is True:
            errs.add(
                [*path, "disabled"], "COMPONENT_DISABLED_NOT_ALLOWED", "Modal components cannot be disabled"
            )
        if select.get("type") == STRING_SELECT:
            opath = [*path, "options"]
            values: set[str] = set()
            for index, option in enumerate(
                _check_list(errs, opath, select.get("options"), min_len=1, max_len=25, required=True)
            ):
                if _check_dict(errs, [*opath, index], option) is None:
                    continue
                _check_str(
                    errs, [*opath, index, "label"], option.get("label"), min_len=1, max_len=100, required=True
                )
                value = _check_str(
                    errs, [*opath, index, "value"], option.get("value"), min_len=1, max_len=100, required=True
                )
                _check_str(errs, [*opath, index, "description"], option.get("description"), max_len=100)
                if value is not None:
                    if value in values:
                        errs.add(
                            [*opath, index, "value"],
                            "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                            "Select component option values must be unique",
                        )
                    values.add(value)
        if select.get("type") == CHANNEL_SELECT:
            tpath = [*path, "channel_types"]
            for index, kind in enumerate(_check_list(errs, tpath, select.get("channel_types"), max_len=16)):
                _check_choice(errs, [*tpath, index], kind, sorted(CHANNEL_TYPES))
        dpath = [*path, "default_values"]
        for index, default in enumerate(_check_list(errs, dpath, select.get("default_values"), max_len=25)):
            if _check_dict(errs, [*dpath, index], default) is None:
                continue
            _check_choice(errs, [*dpath, index, "type"], default.get("type"), ("user", "role", "channel"))
            _check_snowflake(errs, [*dpath, index, "id"], default.get("id"))

    def text_input(self, path: Path, text_input: dict[str, Any]) -> None:
        errs = self.errs
        self.custom_id(path, text_input.get("custom_id"))
        style = text_input.get("style")
        if style not in (1, 2) or isinstance(style, bool):
            errs.add([*path, "style"], CHOICES, _fmt_choices((1, 2)))
        label_required = path[-1] != "component"  # inside a Label the text input's own label is optional
        _check_str(
            errs, [*path, "label"], text_input.get("label"), min_len=1, max_len=45, required=label_required
        )
        low = _check_int(errs, [*path, "min_length"], text_input.get("min_length"), lo=0, hi=4000)
        high = _check_int(errs, [*path, "max_length"], text_input.get("max_length"), lo=1, hi=4000)
        if low is not None and high is not None and 0 <= low <= 4000 and 1 <= high <= 4000 and low > high:
            errs.add(
                [*path, "min_length"], "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}."
            )
        _check_str(errs, [*path, "value"], text_input.get("value"), max_len=4000)
        _check_str(errs, [*path, "placeholder"], text_input.get("placeholder"), max_len=100)


_V2_TOP_LEVEL = (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER)


def _check_message_components(errs: FormErrors, path: Path, components: Any, *, v2: bool) -> None:
    walker = _Components(errs)
    if v2:
        items = _check_list(errs, path, components, max_len=MAX_TOTAL_COMPONENTS_V2)
        for index, component in enumerate(items):
            walker.component([*path, index], component, _V2_TOP_LEVEL)
        if walker.total > MAX_TOTAL_COMPONENTS_V2:
            errs.add(
                path,
                "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED",
                f"The specified components exceed the maximum of {MAX_TOTAL_COMPONENTS_V2} total components",
            )
        return
    for index, component in enumerate(_check_list(errs, path, components, max_len=5)):
        walker.component([*path, index], component, (ACTION_ROW,))


# --------------------------------------------------------------------------- messages


def _check_allowed_mentions(errs: FormErrors, path: Path, mentions: Any) -> None:
    if _absent(mentions) or _check_dict(errs, path, mentions) is None:
        return
    kinds = ("roles", "users", "everyone")
    parse = _check_list(errs, [*path, "parse"], mentions.get("parse"), max_len=3)
    for index, item in enumerate(parse):
        _check_choice(errs, [*path, "parse", index], item, kinds)
    for key in ("users", "roles"):
        ids = _check_list(errs, [*path, key], mentions.get(key), max_len=100)
        for index, snowflake in enumerate(ids):
            _check_snowflake(errs, [*path, key, index], snowflake)
        if ids and key in parse:
            errs.add(
                path,
                PARSE_EXCLUSIVE,
                f'parse:["{key}"] and {key}: [ids...] are mutually exclusive.',
            )
    replied = mentions.get("replied_user")
    if not _absent(replied) and not isinstance(replied, bool):
        errs.add([*path, "replied_user"], "BASE_TYPE_BOOLEAN", "Must be either true or false.")


def _has_value(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def validate_message(
    payload: dict[str, Any],
    *,
    creating: bool = True,
    has_files: bool = False,
    path_prefix: Sequence[str | int] = (),
) -> None:
    """Validate a message body: create/edit message, webhook (follow-up) message, or the ``data``
    of an interaction callback of type 4 / 7.

    ``creating``: the message is new, so it must not be empty (``50006``).
    ``has_files``: the multipart request carries files, which count as content.
    ``path_prefix``: prepended to error paths (e.g. ``("data",)`` for interaction callbacks).
    """
    errs = FormErrors()
    prefix: Path = list(path_prefix)
    if not isinstance(payload, dict):
        errs.add(prefix, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        errs.raise_if_any()
        return

    flags = _flag_bits(errs, [*prefix, "flags"], payload.get("flags"))
    if flags & ~SENDABLE_FLAGS:
        errs.add([*prefix, "flags"], "MESSAGE_FLAGS_INVALID", FLAGS_MESSAGE)
    v2 = bool(flags & IS_COMPONENTS_V2)

    _check_str(errs, [*prefix, "content"], payload.get("content"), max_len=2000)
    _check_embeds(errs, [*prefix, "embeds"], payload.get("embeds"))
    if v2:
        for key in ("content", "embeds", "sticker_ids", "poll"):
            if _has_value(payload.get(key)):
                errs.add(
                    [*prefix, key],
                    LEGACY_WITH_V2,
                    f"The '{key}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
                )
    _check_message_components(errs, [*prefix, "components"], payload.get("components"), v2=v2)
    _check_allowed_mentions(errs, [*prefix, "allowed_mentions"], payload.get("allowed_mentions"))

    nonce = payload.get("nonce")
    if isinstance(nonce, str):
        _check_str(errs, [*prefix, "nonce"], nonce, max_len=25)
    stickers = _check_list(errs, [*prefix, "sticker_ids"], payload.get("sticker_ids"), max_len=3)
    for index, sticker in enumerate(stickers):
        _check_snowflake(errs, [*prefix, "sticker_ids", index], sticker)
    _check_list(errs, [*prefix, "attachments"], payload.get("attachments"), max_len=10)
    errs.raise_if_any()

    if creating:
        reference = payload.get("message_reference")
        forward = isinstance(reference, dict) and reference.get("type") == 1
        keys = (
            "content",
            "embeds",
            "components",
            "sticker_ids",
            "attachments",
            "poll",
            "shared_client_theme",
        )
        if not (has_files or forward or any(_has_value(payload.get(key)) for key in keys)):
            raise DiscordError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")


# --------------------------------------------------------------------------- interaction callbacks


DEFERRED_FLAGS_MESSAGE = "Only EPHEMERAL can be set when deferring a response"


def validate_deferred(data: Any, *, path_prefix: Sequence[str | int] = ("data",)) -> None:
    """Validate the ``data`` of a deferred channel message callback (type 5): "the only valid
    message flag you may use is EPHEMERAL" (interactions/receiving-and-responding, callback data);
    a Components V2 message must be made by editing the original response instead."""
    errs = FormErrors()
    prefix: Path = list(path_prefix)
    if _absent(data):
        return
    if _check_dict(errs, prefix, data) is not None:
        flags = _flag_bits(errs, [*prefix, "flags"], data.get("flags"))
        if flags & ~EPHEMERAL:
            errs.add([*prefix, "flags"], "MESSAGE_FLAGS_INVALID", DEFERRED_FLAGS_MESSAGE)
    errs.raise_if_any()


def validate_autocomplete(data: dict[str, Any], *, path_prefix: Sequence[str | int] = ("data",)) -> None:
    """Validate the ``data`` of an autocomplete result callback (type 8)."""
    errs = FormErrors()
    prefix: Path = list(path_prefix)
    if _check_dict(errs, prefix, data) is not None:
        path = [*prefix, "choices"]
        choices = _check_list(errs, path, data.get("choices"), max_len=25, required=True)
        for index, choice in enumerate(choices):
            cpath = [*path, index]
            if _check_dict(errs, cpath, choice) is None:
                continue
            _check_str(errs, [*cpath, "name"], choice.get("name"), min_len=1, max_len=100, required=True)
            _check_localizations(
                errs,
                [*cpath, "name_localizations"],
                choice.get("name_localizations"),
                lambda p, v: _check_str(errs, p, v, min_len=1, max_len=100, required=True),
            )
            value = choice.get("value")
            if isinstance(value, str):
                _check_str(errs, [*cpath, "value"], value, max_len=100)
            elif value is None:
                errs.add([*cpath, "value"], REQUIRED, "This field is required")
            elif not _is_number(value):
                errs.add([*cpath, "value"], "BASE_TYPE_BAD_TYPE", "Must be a string, integer or number.")
    errs.raise_if_any()


def validate_modal(data: dict[str, Any], *, path_prefix: Sequence[str | int] = ("data",)) -> None:
    """Validate the ``data`` of a modal callback (type 9): legacy action rows holding one text input
    (or select, as discord.py 2.7 still wraps them), Label (18) and Text Display (10) components."""
    errs = FormErrors()
    prefix: Path = list(path_prefix)
    if _check_dict(errs, prefix, data) is not None:
        _check_str(errs, [*prefix, "title"], data.get("title"), min_len=1, max_len=45, required=True)
        _check_str(errs, [*prefix, "custom_id"], data.get("custom_id"), min_len=1, max_len=100, required=True)
        walker = _Components(errs, modal=True)
        path = [*prefix, "components"]
        for index, component in enumerate(
            _check_list(errs, path, data.get("components"), min_len=1, max_len=5, required=True)
        ):
            walker.component([*path, index], component, (ACTION_ROW, LABEL, TEXT_DISPLAY))
    errs.raise_if_any()


# --------------------------------------------------------------------------- guild scheduled events

#: Body keys Create/Modify Guild Scheduled Event take (resources/guild-scheduled-event); anything
#: else in the body (``id``, ``guild_id``, ``creator_id``, ...) is ignored, never stored.
EVENT_CREATE_FIELDS = (
    "channel_id",
    "entity_metadata",
    "name",
    "privacy_level",
    "scheduled_start_time",
    "scheduled_end_time",
    "description",
    "entity_type",
    "image",
    "recurrence_rule",
)
EVENT_MODIFY_FIELDS = (*EVENT_CREATE_FIELDS, "status")
EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELED = 1, 2, 3, 4
#: Valid Guild Scheduled Event Status Transitions (staying put is not a transition).
EVENT_TRANSITIONS = {EVENT_SCHEDULED: {EVENT_ACTIVE, EVENT_CANCELED}, EVENT_ACTIVE: {EVENT_COMPLETED}}
STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3
GUILD_VOICE, GUILD_STAGE_VOICE = 2, 13
EVENT_SCHEDULE_PAST = "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
EVENT_END_BEFORE_START = "GUILD_SCHEDULED_EVENT_END_BEFORE_START"
EVENT_INVALID_STATUS = "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION"
#: JSON error code 180000 (topics/opcodes-and-status-codes).
CANNOT_UPDATE_FINISHED_EVENT = 180000


def parse_iso8601(value: Any) -> datetime | None:
    """An ISO8601 timestamp as an aware datetime (UTC when it names no offset), else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _check_time(errs: FormErrors, path: Path, value: Any) -> datetime | None:
    parsed = parse_iso8601(value)
    if parsed is None:
        errs.add(path, "DATE_TYPE_PARSE", f"Could not parse {value}. Should be ISO8601.")
    return parsed


def validate_scheduled_event(
    body: Any,
    current: dict[str, Any] | None = None,
    *,
    now: datetime,
    channel_type: Any = lambda channel_id: None,
) -> dict[str, Any]:
    """Validate a Create (``current`` is None) or Modify Guild Scheduled Event body and return
    the fields it sets (only the documented ones).

    - ``name`` 1-100, ``description`` at most 1000, ``privacy_level`` GUILD_ONLY (2): required
      on create;
    - ``scheduled_start_time`` required on create, not in the past when it is set on a
      SCHEDULED event; ``scheduled_end_time`` after the start;
    - field requirements by entity type: STAGE_INSTANCE / VOICE need a ``channel_id`` of a stage
      / voice channel; EXTERNAL needs ``entity_metadata.location`` (1-100) and an end time;
    - ``status`` follows SCHEDULED -> ACTIVE | CANCELED, ACTIVE -> COMPLETED; a COMPLETED or
      CANCELED event cannot be updated at all (``400 / 180000``).

    ``channel_type(channel_id)`` gives the type of a channel of the guild, or None when unknown.
    """
    creating = current is None
    if current is not None and current.get("status") in (EVENT_COMPLETED, EVENT_CANCELED):
        raise DiscordError(400, CANNOT_UPDATE_FINISHED_EVENT, "Cannot update a finished event")
    errs = FormErrors()
    if _check_dict(errs, [], body) is None:
        errs.raise_if_any()
    allowed = EVENT_CREATE_FIELDS if creating else EVENT_MODIFY_FIELDS
    changes = {key: body[key] for key in allowed if key in body}
    merged = {**(current or {}), **changes}

    if creating or "name" in changes:
        _check_str(errs, ["name"], merged.get("name"), min_len=1, max_len=100, required=True)
    if "description" in changes:
        _check_str(errs, ["description"], changes["description"], max_len=1000)
    if creating or "privacy_level" in changes:
        level = merged.get("privacy_level")
        if _absent(level):
            errs.add(["privacy_level"], REQUIRED, "This field is required")
        else:
            _check_choice(errs, ["privacy_level"], level, [2])

    start = parse_iso8601(merged.get("scheduled_start_time"))
    if creating or "scheduled_start_time" in changes:
        value = merged.get("scheduled_start_time")
        if _absent(value):
            errs.add(["scheduled_start_time"], REQUIRED, "This field is required")
        else:
            start = _check_time(errs, ["scheduled_start_time"], value)
            status = EVENT_SCHEDULED if current is None else current.get("status")
            if start is not None and status == EVENT_SCHEDULED and start < now:
                errs.add(["scheduled_start_time"], EVENT_SCHEDULE_PAST, "Cannot schedule event in the past.")
    end = None
    if not _absent(merged.get("scheduled_end_time")):
        if "scheduled_end_time" in changes:
            end = _check_time(errs, ["scheduled_end_time"], merged["scheduled_end_time"])
        else:
            end = parse_iso8601(merged["scheduled_end_time"])
        if end is not None and start is not None and end <= start:
            errs.add(
                ["scheduled_end_time"],
                EVENT_END_BEFORE_START,
                "Cannot schedule event to end before starting.",
            )

    kind = merged.get("entity_type")
    if _absent(kind):
        errs.add(["entity_type"], REQUIRED, "This field is required")
    elif kind not in (STAGE_INSTANCE, VOICE, EXTERNAL) or isinstance(kind, bool):
        errs.add(["entity_type"], CHOICES, _fmt_choices([STAGE_INSTANCE, VOICE, EXTERNAL]))
    elif kind == EXTERNAL:
        metadata = merged.get("entity_metadata")
        location = metadata.get("location") if isinstance(metadata, dict) else None
        _check_str(errs, ["entity_metadata", "location"], location, min_len=1, max_len=100, required=True)
        if _absent(merged.get("scheduled_end_time")):
            errs.add(["scheduled_end_time"], REQUIRED, "This field is required")
    else:
        channel_id = merged.get("channel_id")
        wanted = GUILD_STAGE_VOICE if kind == STAGE_INSTANCE else GUILD_VOICE
        if _absent(channel_id):
            errs.add(["channel_id"], REQUIRED, "This field is required")
        elif channel_type(channel_id) != wanted:
            errs.add(["channel_id"], "CHANNEL_TYPE_INVALID", "Channel is not a valid type for this event")

    if "status" in changes and current is not None:
        status, was = changes["status"], current.get("status")
        if not _is_int(status) or status not in (1, 2, 3, 4):
            errs.add(["status"], CHOICES, _fmt_choices([1, 2, 3, 4]))
        elif status != was and status not in EVENT_TRANSITIONS.get(was, set()):
            errs.add(["status"], EVENT_INVALID_STATUS, "Invalid Guild Scheduled Event Status Transition")
    errs.raise_if_any()
    return changes
