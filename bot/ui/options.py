"""The one gate every slash command's options pass before the command sees them.

Discord checks options against what the bot registered (types, choices, lengths, bounds, resolved
users and roles), but a client can send anything, and discord.py passes most of it on unchecked: a
role missing from the resolved data arrives as a bare ``discord.Object``, a 6,000-character string
as it is, 10**30 as a float. So the command tree checks every option against the command's own
declaration, the same one Discord was given, before anything else runs:

- the option exists, once, with the registered type, and every required one is there;
- a string is a string within its declared length (and one of its choices, if it has them);
- a number is a whole number (or a finite one) within its declared bounds;
- a user, role, channel or attachment is in the interaction's resolved data (and a channel of an
  allowed type).

Then every string option is made canonical text (``bot.fields.canonical_text``) before discord.py
reads it. A refusal is a clear private message naming the option. Autocomplete gets the same check
and answers nothing rather than failing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType as OptionType

from bot.fields import canonical_text
from bot.i18n import NAME_PREFIX, Bound, Message, _, catalog

_SNOWFLAKE_MAX = 2**64 - 1
_RESOLVED_KEYS = {
    OptionType.user: ("users",),
    OptionType.role: ("roles",),
    OptionType.channel: ("channels",),
    OptionType.attachment: ("attachments",),
    OptionType.mentionable: ("users", "roles"),
}
_WHAT = {
    OptionType.user: _("user"),
    OptionType.role: _("role"),
    OptionType.channel: _("channel"),
    OptionType.attachment: _("file"),
    OptionType.mentionable: _("user or role"),
}


@dataclass(frozen=True)
class OptionName:
    """An option's name as the reader's Discord shows it (``title``, ``标题``)."""

    name: str

    def localize(self, language: str) -> str:
        return f"`{catalog(language).get(NAME_PREFIX + self.name, self.name)}`"


class BadOption(app_commands.AppCommandError):
    """An option Discord would have refused; answered privately by the error handler."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def command_options(data: Mapping[str, Any]) -> list[Any]:
    """The options given to the invoked (sub)command, below any subcommand groups."""
    options = data.get("options") or []
    while isinstance(options, list) and options and isinstance(options[0], dict):
        if options[0].get("type") not in (1, 2):
            break
        options = options[0].get("options") or []
    return options if isinstance(options, list) else [None]


def check_options(
    interaction: discord.Interaction[Any], command: app_commands.Command[Any, ..., Any]
) -> None:
    """Raise :class:`BadOption` unless every option of this invocation is one Discord could send."""
    data: Mapping[str, Any] = interaction.data or {}
    resolved = data.get("resolved") or {}
    if not isinstance(resolved, dict):
        raise BadOption(_("Discord sent this command in a form I cannot read: try again."))
    autocomplete = interaction.type is discord.InteractionType.autocomplete
    parameters = {parameter.name: parameter for parameter in command.parameters}
    seen: set[str] = set()
    for option in command_options(data):
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            raise BadOption(_("Discord sent this command in a form I cannot read: try again."))
        name = option["name"]
        parameter = parameters.get(name)
        if parameter is None or name in seen:
            raise BadOption(
                _("This command has no option {option} (or got it twice)."), option=OptionName(name)
            )
        seen.add(name)
        if option.get("type") != parameter.type.value:
            raise BadOption(_("The option {option} got a value of the wrong kind."), option=OptionName(name))
        if "value" not in option:
            raise BadOption(_("The option {option} came without a value."), option=OptionName(name))
        if autocomplete and option.get("focused"):
            _check_typing(parameter, option["value"])
        else:
            _check_value(parameter, option["value"], resolved)
        if parameter.type is OptionType.string and isinstance(option["value"], str):
            # What the command (and its autocomplete) reads is canonical text: no NUL, no lone
            # surrogate, no zero-width padding; invisible-only text is "" for the rules to refuse.
            option["value"] = canonical_text(option["value"])
    if autocomplete and not any(
        isinstance(option, dict) and option.get("focused") for option in command_options(data)
    ):
        raise BadOption(_("Discord sent this command in a form I cannot read: try again."))
    if not autocomplete:
        for parameter in command.parameters:
            if parameter.required and parameter.name not in seen:
                raise BadOption(_("The option {option} is required."), option=OptionName(parameter.name))


async def may_run(
    interaction: discord.Interaction[Any], command: app_commands.Command[Any, ..., Any]
) -> bool:
    """Whether ``command``'s checks (its own and its groups') let this person run it: asked before
    an autocomplete answers, so a staff command suggests nothing to anyone else."""
    try:
        for group in (command.root_parent, command.parent):
            if group is not None and not await group.interaction_check(interaction):
                return False
        for check in command.checks:
            if not await discord.utils.maybe_coroutine(check, interaction):
                return False
    except app_commands.AppCommandError:
        return False
    return True


def _check_typing(parameter: app_commands.Parameter, value: Any) -> None:
    """What is being typed into an autocompleted option: text no longer than the option takes."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadOption(
            _("The option {option} got a value of the wrong kind."), option=OptionName(parameter.name)
        )
    if isinstance(value, str) and parameter.max_value is not None and len(value) > parameter.max_value:
        raise BadOption(
            _("The option {option} takes at most {max:n} characters."),
            option=OptionName(parameter.name),
            max=int(parameter.max_value),
        )


def _check_value(parameter: app_commands.Parameter, value: Any, resolved: Mapping[str, Any]) -> None:
    option = OptionName(parameter.name)
    kind = parameter.type
    wrong_kind = BadOption(_("The option {option} got a value of the wrong kind."), option=option)
    if kind is OptionType.string:
        if not isinstance(value, str):
            raise wrong_kind
        low, high = parameter.min_value, parameter.max_value
        if high is not None and len(value) > high:
            raise BadOption(
                _("The option {option} takes at most {max:n} characters."), option=option, max=int(high)
            )
        if low is not None and len(value) < low:
            raise BadOption(
                _("The option {option} needs at least {min:n} characters."), option=option, min=int(low)
            )
    elif kind in (OptionType.integer, OptionType.number):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong_kind
        if kind is OptionType.integer and (isinstance(value, float) and not value.is_integer()):
            raise BadOption(_("The option {option} takes a whole number."), option=option)
        _check_bounds(parameter, value)
    elif kind is OptionType.boolean:
        if not isinstance(value, bool):
            raise wrong_kind
    elif kind in _RESOLVED_KEYS:
        _check_resolved(parameter, value, resolved)
    if parameter.choices and value not in [choice.value for choice in parameter.choices]:
        raise BadOption(_("Pick the option {option} from its list."), option=option)


def _check_bounds(parameter: app_commands.Parameter, value: float) -> None:
    low, high = parameter.min_value, parameter.max_value
    out_of_bounds = (
        not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high)
    )
    if not out_of_bounds:
        return
    option = OptionName(parameter.name)
    if low is not None and high is not None:
        raise BadOption(
            _("The option {option} takes a number from {min} to {max}."),
            option=option,
            min=Bound(int(low)),
            max=Bound(int(high)),
        )
    if low is not None:
        raise BadOption(
            _("The option {option} takes a number from {min} up."), option=option, min=Bound(int(low))
        )
    if high is not None:
        raise BadOption(
            _("The option {option} takes a number up to {max}."), option=option, max=Bound(int(high))
        )
    raise BadOption(_("The option {option} takes a number."), option=option)


def _check_resolved(parameter: app_commands.Parameter, value: Any, resolved: Mapping[str, Any]) -> None:
    option = OptionName(parameter.name)
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or int(text) > _SNOWFLAKE_MAX:
        raise BadOption(_("The option {option} got a value of the wrong kind."), option=option)
    found = None
    for key in _RESOLVED_KEYS[parameter.type]:
        entries = resolved.get(key)
        if isinstance(entries, dict) and isinstance(entries.get(text), dict):
            found = entries[text]
            break
    if found is None:
        raise BadOption(
            _("Discord did not send the {what} picked for {option} (was it just deleted?): pick it again."),
            what=Message(_WHAT[parameter.type]),
            option=option,
        )
    if parameter.type is OptionType.channel and parameter.channel_types:
        allowed = {channel_type.value for channel_type in parameter.channel_types}
        if found.get("type") not in allowed:
            raise BadOption(_("That kind of channel cannot be used for {option}."), option=option)
