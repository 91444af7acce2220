"""The test-facing language: act as members, read what the bot did.

    alice = discord.add_member("alice", roles=["Verified"])
    reply = await discord.slash(alice, "setup channel", kind="welcome", channel=discord.channel("welcome"))
    await discord.click(alice, reply, label="Register")
    await discord.submit_modal(alice, reply.modal, {"email": "alice@example.org"})

Everything a real Discord client would refuse (unknown command or option, a value outside the
registered choices or bounds, a disabled button) raises ``AssertionError`` with the reason.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .command_permissions import CHANNEL, ROLE, USER
from .interactions import CallbackType, Interaction, InteractionType
from .server import Emulator
from .state import (
    EPHEMERAL,
    Attachment,
    Channel,
    ChannelType,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    channel_permissions,
)

Actor = Member | User
FileLike = tuple[str, bytes] | Path


class OptionType:
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


SELECT_TYPES = {3: "string", 5: "user", 6: "role", 7: "mentionable", 8: "channel"}


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, however deeply nested (action rows, sections, containers, labels)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            yield from walk_components([component["component"]])
        if isinstance(component.get("accessory"), dict):
            yield from walk_components([component["accessory"]])


@dataclass
class Modal:
    """A modal the bot opened (callback type 9)."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]
    origin: Interaction

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        """Fields a member can fill in, by custom_id."""
        return {
            c["custom_id"]: c for c in walk_components(self.components) if c.get("type") in (3, 4, 5, 6, 7, 8)
        }


class Reply:
    """What the bot answered to one interaction."""

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction

    def __repr__(self) -> str:
        return f"<Reply type={self.type} content={self.content!r} ephemeral={self.ephemeral}>"

    @property
    def type(self) -> int | None:
        return self.interaction.response_type

    @property
    def deferred(self) -> bool:
        return self.type in (CallbackType.DEFERRED_CHANNEL_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)

    @property
    def message(self) -> Message | None:
        """The message the member sees: the original response, else the latest follow-up."""
        inter = self.interaction
        if inter.original is not None:
            return inter.original
        return inter.followups[-1] if inter.followups else None

    @property
    def followups(self) -> list[Message]:
        return self.interaction.followups

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.message.components if self.message else []

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return self.message.files if self.message else []

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return self.message.ephemeral
        return bool(int((self.interaction.response_data or {}).get("flags") or 0) & EPHEMERAL)

    @property
    def pinged(self) -> set[int]:
        """Ids of the users this reply really notified."""
        return set(self.message.pinged) if self.message else set()

    @property
    def modal(self) -> Modal | None:
        if self.type != CallbackType.MODAL:
            return None
        data = self.interaction.response_data or {}
        return Modal(
            data.get("custom_id", ""), data.get("title", ""), data.get("components") or [], self.interaction
        )

    @property
    def choices(self) -> list[dict[str, Any]]:
        if self.type != CallbackType.AUTOCOMPLETE_RESULT:
            return []
        return list((self.interaction.response_data or {}).get("choices") or [])


class FakeDiscord:
    """A running emulator plus the verbs tests use. ``.em`` is the emulator itself."""

    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        self.reply_timeout = 5.0

    # -- pass-throughs -------------------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        return self.em.api_base_url

    @property
    def gateway_url(self) -> str:
        return self.em.gateway_url

    @property
    def token(self) -> str:
        return self.em.token

    @property
    def application_id(self) -> int:
        return self.em.application_id

    @property
    def bot_user(self) -> User:
        return self.em.bot_user

    @property
    def bot_member(self) -> Member:
        return self.em.bot_member

    @property
    def bot_role(self) -> Role:
        """The bot's highest role."""
        guild = self.guild
        return max((guild.roles[r] for r in self.bot_member.role_ids), key=lambda r: r.position)

    @property
    def guild(self) -> Any:
        return self.em.guild

    @property
    def owner(self) -> Member:
        return self.guild.members[self.guild.owner_id]

    @property
    def requests(self) -> list[Any]:
        return self.em.requests

    @property
    def ratelimits(self) -> Any:
        return self.em.ratelimits

    @property
    def faults(self) -> Any:
        return self.em.faults

    @property
    def gateway(self) -> Any:
        return self.em.gateway

    # -- finding things ------------------------------------------------------------------------------

    def channel(self, name: str) -> Channel:
        for channel in self.guild.channels.values():
            if channel.name == name:
                return channel
        raise AssertionError(
            f"no channel #{name}; channels: {[c.name for c in self.guild.channels.values()]}"
        )

    def role(self, name: str) -> Role:
        for role in self.guild.roles.values():
            if role.name == name:
                return role
        raise AssertionError(f"no role {name!r}; roles: {[r.name for r in self.guild.roles.values()]}")

    def member(self, name: str) -> Member:
        for member in self.guild.members.values():
            if member.user.username == name:
                return member
        raise AssertionError(f"no member {name!r}")

    def commands(self, *, guild_only: bool = False) -> list[dict[str, Any]]:
        """Commands the bot registered (guild commands first)."""
        found = list(self.em.commands.get(self.guild.id, []))
        return found if guild_only else found + self.em.commands.get(None, [])

    def messages_in(self, channel: Channel | str, *, include_ephemeral: bool = False) -> list[Message]:
        """Messages in a channel, oldest first (ephemeral ones only on request)."""
        if isinstance(channel, str):
            channel = self.channel(channel)
        found = sorted(self.em.world.channel_messages(channel.id).values(), key=lambda m: m.id)
        return [m for m in found if include_ephemeral or not m.ephemeral]

    def dm_channel(self, who: Actor) -> Channel:
        return self.em.dm_channel(_user(who))

    def dms_to(self, who: Actor) -> list[Message]:
        """What the bot sent this member in direct messages, oldest first."""
        return self.messages_in(self.dm_channel(who))

    def attachment_bytes(self, message: Message) -> list[tuple[str, bytes]]:
        return message.files

    # -- changing the world --------------------------------------------------------------------------

    def add_role(
        self,
        name: str,
        *,
        permissions: int = 0,
        mentionable: bool = False,
        above_bot: bool = False,
        position: int | None = None,
        color: int = 0,
    ) -> Role:
        """A new role, just above @everyone unless ``position`` or ``above_bot`` says otherwise."""
        if above_bot:
            position = self.bot_role.position + 1
        return self.em.add_role(
            name, permissions=permissions, position=position or 1, mentionable=mentionable, color=color
        )

    def edit_role(
        self, role: Role | str, *, permissions: int | None = None, mentionable: bool | None = None
    ) -> Role:
        role = self.role(role) if isinstance(role, str) else role
        if permissions is not None:
            role.permissions = permissions
        if mentionable is not None:
            role.mentionable = mentionable
        self.em.role_updated(role)
        return role

    def add_member(
        self,
        name: str,
        *,
        roles: list[str | Role] | None = None,
        dms_open: bool = True,
        nick: str | None = None,
        locale: str = "en-US",
    ) -> Member:
        """A new user who joins the guild (GUILD_MEMBER_ADD); unknown role names are created."""
        resolved = []
        for role in roles or []:
            if isinstance(role, Role):
                resolved.append(role)
                continue
            try:
                resolved.append(self.role(role))
            except AssertionError:
                resolved.append(self.add_role(role))
        return self.em.add_member(name, roles=resolved, dms_open=dms_open, nick=nick, locale=locale)

    def remove_member(self, member: Member) -> None:
        self.em.remove_member(member)

    def add_channel(
        self, name: str, *, type: int = ChannelType.GUILD_TEXT, topic: str | None = None
    ) -> Channel:
        return self.em.add_channel(name, type=type, topic=topic)

    def set_permissions(
        self, channel: Channel | str, target: Role | Member, *, allow: int = 0, deny: int = 0
    ) -> None:
        """A channel overwrite for a role (or @everyone: ``discord.guild.everyone``) or a member."""
        if isinstance(channel, str):
            channel = self.channel(channel)
        kind = 0 if isinstance(target, Role) else 1
        channel.overwrites[target.id] = Overwrite(target.id, kind, allow, deny)
        self.em.channel_updated(channel)

    def set_command_permission(
        self, target: Role | Member | Channel, allowed: bool | None, *, command: str | None = None
    ) -> None:
        """What an admin does in Server Settings > Integrations > the bot > Manage: allow (True) or
        deny (False) a role (``discord.guild.everyone`` for @everyone), a member or a channel, for one
        top-level command by name or, without ``command``, for the whole app; None removes it."""
        target_id = self.em.application_id if command is None else int(self._registered(command)["id"])
        kind = CHANNEL if isinstance(target, Channel) else ROLE if isinstance(target, Role) else USER
        self.em.command_permissions.set(self.guild.id, target_id, target.id, kind, allowed)

    def refuse_command_permissions(self, refused: bool = True) -> None:
        """Discord answers the app's reads of command permissions with 403 Missing Access."""
        self.em.command_permissions.refused = refused

    def _registered(self, name: str) -> dict[str, Any]:
        for scope in (self.guild.id, None):
            for candidate in self.em.commands.get(scope, []):
                if candidate["name"] == name and candidate.get("type", 1) == 1:
                    return candidate
        raise AssertionError(f"/{name} is not registered")

    def permissions_in(self, who: Member, channel: Channel | str) -> int:
        if isinstance(channel, str):
            channel = self.channel(channel)
        return channel_permissions(self.guild, channel, who)

    # -- acting as a member --------------------------------------------------------------------------

    async def slash(
        self,
        who: Actor,
        command: str,
        /,
        *,
        in_channel: Channel | None = None,
        wait_followup: bool = True,
        options: dict[str, Any] | None = None,
        **values: Any,
    ) -> Reply:
        """Run ``/command [group] [sub]`` with options; waits for the bot's (final) answer.

        ``options=`` takes values whose names clash with ``in_channel``/``options``.
        """
        channel = in_channel or self.channel("general")
        data = self._command_data(command, channel, {**values, **(options or {})}, focused=None)
        inter = self.em.interactions.create(InteractionType.APPLICATION_COMMAND, data, _user(who), channel)
        return await self.wait_reply(inter, f"/{command}", wait_followup=wait_followup)

    async def slash_unchecked(
        self, who: Actor, command: str, values: dict[str, Any], /, **changes: Any
    ) -> Reply:
        """``/command`` as a client that ignores the declaration would send it: ``values`` are built
        as ``slash`` builds them, then each option named in ``changes`` gets that raw value (``None``:
        its resolved object is left out of the interaction)."""
        channel = self.channel("general")
        data = self._command_data(command, channel, values, focused=None)
        node = data
        while node.get("options") and node["options"][0].get("type") in (1, 2):
            node = node["options"][0]
        for option in node["options"]:
            if option["name"] in changes:
                if changes[option["name"]] is None:
                    for kind in data.get("resolved", {}).values():
                        kind.pop(str(option["value"]), None)
                else:
                    option["value"] = changes[option["name"]]
        inter = self.em.interactions.create(InteractionType.APPLICATION_COMMAND, data, _user(who), channel)
        return await self.wait_reply(inter, f"/{command}")

    async def autocomplete(
        self,
        who: Actor,
        command: str,
        option: str,
        typed: str,
        /,
        *,
        in_channel: Channel | None = None,
        **values: Any,
    ) -> list[dict[str, Any]]:
        """Type ``typed`` into ``option`` of ``/command``; returns the choices the bot offered."""
        channel = in_channel or self.channel("general")
        data = self._command_data(command, channel, values, focused=(option, typed))
        inter = self.em.interactions.create(InteractionType.AUTOCOMPLETE, data, _user(who), channel)
        return (await self.wait_reply(inter, f"autocomplete /{command} {option}")).choices

    async def click(
        self,
        who: Actor,
        target: Reply | Message,
        *,
        label: str | None = None,
        custom_id: str | None = None,
        wait_followup: bool = True,
    ) -> Reply:
        """Press a button on a message (found by label or custom_id)."""
        message = _message_of(target)
        buttons = [c for c in walk_components(message.components) if c.get("type") == 2]
        found = [b for b in buttons if (label is None or b.get("label") == label)]
        found = [b for b in found if custom_id is None or b.get("custom_id") == custom_id]
        if not found:
            raise AssertionError(
                f"no button label={label!r} custom_id={custom_id!r}; buttons: "
                f"{[(b.get('label'), b.get('custom_id')) for b in buttons]}"
            )
        button = found[0]
        if button.get("disabled"):
            raise AssertionError(f"button {button.get('label')!r} is disabled")
        if button.get("style") in (5, 6) or "custom_id" not in button:
            raise AssertionError("link and premium buttons do not send interactions")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._component(who, message, data, f"button {button.get('label')!r}", wait_followup)

    async def select(
        self,
        who: Actor,
        target: Reply | Message,
        values: list[Any],
        *,
        custom_id: str | None = None,
        wait_followup: bool = True,
    ) -> Reply:
        """Pick ``values`` in a select menu: option values for string selects, members, roles or
        channels for entity selects."""
        message = _message_of(target)
        selects = [c for c in walk_components(message.components) if c.get("type") in SELECT_TYPES]
        if custom_id is not None:
            selects = [s for s in selects if s.get("custom_id") == custom_id]
        if not selects:
            raise AssertionError(f"no select menu custom_id={custom_id!r} on the message")
        menu = selects[0]
        data = self._select_data(menu, values)
        return await self._component(who, message, data, f"select {menu['custom_id']!r}", wait_followup)

    async def submit_modal(
        self, who: Actor, modal: Modal | None, values: dict[str, Any], *, wait_followup: bool = True
    ) -> Reply:
        """Fill in and submit a modal the bot opened; ``values`` maps input custom_id to value."""
        if modal is None:
            raise AssertionError("the bot did not open a modal")
        inputs = modal.inputs
        unknown = set(values) - set(inputs)
        if unknown:
            raise AssertionError(
                f"modal {modal.custom_id!r} has no inputs {sorted(unknown)}; has {sorted(inputs)}"
            )
        for custom_id, spec in inputs.items():
            if spec.get("type") == 4:
                value = str(values.get(custom_id, spec.get("value") or ""))
                if spec.get("required", True) and not value:
                    raise AssertionError(f"modal input {custom_id!r} is required")
                if value and not spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 4000):
                    raise AssertionError(f"modal input {custom_id!r}: length {len(value)} out of bounds")
        resolved: dict[str, dict[str, Any]] = {}

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            kind = component.get("type")
            out: dict[str, Any] = {"type": kind}
            if "id" in component:
                out["id"] = component["id"]
            if kind == 1:
                out["components"] = [submitted(c) for c in component.get("components") or []]
            elif kind == 18:
                out["component"] = submitted(component["component"])
            elif kind == 4:
                out.update(
                    custom_id=component["custom_id"],
                    value=str(values.get(component["custom_id"], component.get("value") or "")),
                )
            elif kind in SELECT_TYPES:
                picked = values.get(component["custom_id"], [])
                data = self._select_data(component, picked if isinstance(picked, list) else [picked])
                out.update(custom_id=component["custom_id"], values=data["values"])
                for key, entries in data.get("resolved", {}).items():
                    resolved.setdefault(key, {}).update(entries)
            return out

        data: dict[str, Any] = {
            "custom_id": modal.custom_id,
            "components": [submitted(c) for c in modal.components],
        }
        if resolved:
            data["resolved"] = resolved
        origin = modal.origin
        inter = self.em.interactions.create(
            InteractionType.MODAL_SUBMIT, data, _user(who), origin.channel, message=origin.message
        )
        return await self.wait_reply(inter, f"modal {modal.custom_id!r}", wait_followup=wait_followup)

    async def wait_reply(
        self,
        inter: Interaction,
        what: str = "interaction",
        within: float | None = None,
        *,
        wait_followup: bool = True,
    ) -> Reply:
        """Wait for the initial response and, after a defer, for the follow-up or edit
        (``wait_followup=False``: return as soon as the interaction is acknowledged)."""
        timeout = self.reply_timeout if within is None else within
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def done() -> bool:
            if not inter.acknowledged:
                return False
            if wait_followup and inter.response_type in (
                CallbackType.DEFERRED_CHANNEL_MESSAGE,
                CallbackType.DEFERRED_UPDATE_MESSAGE,
            ):
                return len(inter.events) > 1
            return True

        while not done():
            inter.changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"the bot did not answer {what} within {timeout}s{self._refusals(inter)}"
                )
            try:
                await asyncio.wait_for(inter.changed.wait(), remaining)
            except TimeoutError:
                continue
        return Reply(inter)

    def _refusals(self, inter: Interaction) -> str:
        refused = [
            f"{r.method} {r.path} -> {r.status}"
            for r in self.em.requests
            if r.status is not None and r.status >= 400 and (str(inter.id) in r.path or inter.token in r.path)
        ]
        state = "acknowledged, waiting for follow-up" if inter.acknowledged else "no response"
        return f" ({state}; refused calls: {refused})" if refused else f" ({state})"

    # -- gateway faults --------------------------------------------------------------------------------

    async def drop_connection(self) -> None:
        await self.em.gateway.drop()

    def send_reconnect(self) -> None:
        self.em.gateway.request_reconnect()

    def invalidate_session(self, resumable: bool = False) -> None:
        self.em.gateway.invalidate_session(resumable)

    async def wait_connected(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self.em.gateway.connected.wait(), within)

    # -- payload building ------------------------------------------------------------------------------

    async def _component(
        self, who: Actor, message: Message, data: dict[str, Any], what: str, wait_followup: bool
    ) -> Reply:
        channel = self.em.world.channels[message.channel_id]
        inter = self.em.interactions.create(
            InteractionType.MESSAGE_COMPONENT, data, _user(who), channel, message=message
        )
        return await self.wait_reply(inter, what, wait_followup=wait_followup)

    def _command_data(
        self,
        path: str,
        channel: Channel,
        values: dict[str, Any],
        *,
        focused: tuple[str, str] | None,
    ) -> dict[str, Any]:
        words = path.split()
        scopes: list[int | None] = [channel.guild_id, None] if channel.guild_id else [None]
        command = None
        for scope in scopes:
            for candidate in self.em.commands.get(scope, []):
                if candidate["name"] == words[0] and candidate.get("type", 1) == 1:
                    command = candidate
                    break
            if command:
                break
        if command is None:
            names = sorted(c["name"] for s in scopes for c in self.em.commands.get(s, []))
            raise AssertionError(f"/{words[0]} is not registered (registered: {names})")
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        defs = command.get("options") or []
        container = data
        for word in words[1:]:
            sub = next((o for o in defs if o["name"] == word and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(
                    f"/{path}: {word!r} is not a subcommand (has {[o['name'] for o in defs]})"
                )
            node: dict[str, Any] = {"name": word, "type": sub["type"], "options": []}
            container["options"] = [node]
            container, defs = node, sub.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise AssertionError(f"/{path} needs a subcommand: {[o['name'] for o in defs]}")
        resolved: dict[str, dict[str, Any]] = {}
        by_name = {o["name"]: o for o in defs}
        unknown = set(values) - set(by_name) - ({focused[0]} if focused else set())
        if unknown or (focused and focused[0] not in by_name):
            raise AssertionError(
                f"/{path} has no option {sorted(unknown or {focused[0]})}; has {sorted(by_name)}"
            )
        options = []
        for spec in defs:
            name = spec["name"]
            if focused and name == focused[0]:
                options.append({"name": name, "type": spec["type"], "value": focused[1], "focused": True})
            elif name in values:
                value = self._coerce(path, spec, values[name], channel, resolved)
                options.append({"name": name, "type": spec["type"], "value": value})
            elif spec.get("required") and not focused:
                raise AssertionError(f"/{path}: option {name!r} is required")
        container["options"] = options
        if resolved:
            data["resolved"] = resolved
        return data

    def _coerce(
        self, path: str, spec: dict[str, Any], value: Any, channel: Channel, resolved: dict[str, Any]
    ) -> Any:
        kind, name = spec["type"], spec["name"]
        where = f"/{path} {name}"
        try:
            if kind == OptionType.STRING:
                value = str(value)
                if not spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 6000):
                    raise AssertionError(f"{where}: length {len(value)} outside the registered bounds")
            elif kind == OptionType.INTEGER:
                value = int(value)
            elif kind == OptionType.NUMBER:
                value = float(value)
            elif kind == OptionType.BOOLEAN:
                if isinstance(value, str):
                    value = {"true": True, "false": False}[value.lower()]
                value = bool(value)
        except (ValueError, KeyError, TypeError) as exc:
            raise AssertionError(f"{where}: {value!r} is not a valid {_TYPE_NAMES[kind]}") from exc
        if kind in (OptionType.INTEGER, OptionType.NUMBER):
            low, high = spec.get("min_value"), spec.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise AssertionError(f"{where}: {value} outside [{low}, {high}]")
        if spec.get("choices") and value not in [c["value"] for c in spec["choices"]]:
            raise AssertionError(f"{where}: {value!r} is not one of {[c['value'] for c in spec['choices']]}")
        if kind == OptionType.USER or (kind == OptionType.MENTIONABLE and isinstance(value, Member | User)):
            return self._resolve_user(value, channel, resolved, where)
        if kind == OptionType.ROLE or (kind == OptionType.MENTIONABLE and isinstance(value, Role | str)):
            role = self.role(value) if isinstance(value, str) else value
            if not isinstance(role, Role):
                raise AssertionError(f"{where}: {value!r} is not a role")
            resolved.setdefault("roles", {})[str(role.id)] = role.to_json()
            return str(role.id)
        if kind == OptionType.CHANNEL:
            target = self.channel(value) if isinstance(value, str) else value
            if not isinstance(target, Channel):
                raise AssertionError(f"{where}: {value!r} is not a channel")
            allowed = spec.get("channel_types")
            if allowed and target.type not in allowed:
                raise AssertionError(f"{where}: channel type {target.type} not in {allowed}")
            self._resolve_channel(target, resolved)
            return str(target.id)
        if kind == OptionType.ATTACHMENT:
            attachment = self._upload(value)
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.to_json()
            return str(attachment.id)
        if kind == OptionType.MENTIONABLE:
            raise AssertionError(f"{where}: {value!r} is not a member, user or role")
        return value

    def _resolve_user(self, value: Any, channel: Channel, resolved: dict[str, Any], where: str) -> str:
        if isinstance(value, Member):
            user = value.user
        elif isinstance(value, User):
            user = value
        else:
            raise AssertionError(f"{where}: {value!r} is not a member or user")
        resolved.setdefault("users", {})[str(user.id)] = user.to_json()
        member = self.guild.members.get(user.id) if channel.guild_id else None
        if member is not None:
            perms = channel_permissions(self.guild, channel, member)
            resolved.setdefault("members", {})[str(user.id)] = {
                **member.to_json(with_user=False),
                "permissions": str(perms),
            }
        return str(user.id)

    def _resolve_channel(self, target: Channel, resolved: dict[str, Any]) -> None:
        perms = channel_permissions(self.guild, target, self.bot_member)
        resolved.setdefault("channels", {})[str(target.id)] = {
            **target.to_json(self.em.world),
            "permissions": str(perms),
        }

    def _upload(self, value: FileLike | Attachment) -> Attachment:
        if isinstance(value, Attachment):
            return value
        if isinstance(value, Path):
            filename, data = value.name, value.read_bytes()
        else:
            filename, data = value
        att_id = self.em.ids.next()
        attachment = Attachment(
            att_id,
            filename,
            data,
            self.em.attachment_url(att_id, filename),
            mimetypes.guess_type(filename)[0],
        )
        self.em.world.attachments[att_id] = attachment
        return attachment

    def _select_data(self, menu: dict[str, Any], values: list[Any]) -> dict[str, Any]:
        kind = menu["type"]
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise AssertionError(
                f"select {menu['custom_id']!r} takes {low}..{high} values, got {len(values)}"
            )
        data: dict[str, Any] = {"custom_id": menu["custom_id"], "component_type": kind}
        if kind == 3:
            offered = [o["value"] for o in menu.get("options") or []]
            bad = [v for v in values if v not in offered]
            if bad:
                raise AssertionError(f"select {menu['custom_id']!r} has no options {bad}; offers {offered}")
            data["values"] = list(values)
            return data
        resolved: dict[str, Any] = {}
        ids = []
        general = self.channel("general")
        for value in values:
            if isinstance(value, Member | User) and kind in (5, 7):
                ids.append(self._resolve_user(value, general, resolved, f"select {menu['custom_id']!r}"))
            elif isinstance(value, Role) and kind in (6, 7):
                resolved.setdefault("roles", {})[str(value.id)] = value.to_json()
                ids.append(str(value.id))
            elif isinstance(value, Channel) and kind == 8:
                self._resolve_channel(value, resolved)
                ids.append(str(value.id))
            else:
                raise AssertionError(f"{value!r} cannot be picked in a {SELECT_TYPES[kind]} select")
        data.update(values=ids, resolved=resolved)
        return data


_TYPE_NAMES = {3: "string", 4: "integer", 5: "boolean", 10: "number"}


def _user(who: Actor) -> User:
    return who.user if isinstance(who, Member) else who


def _message_of(target: Reply | Message) -> Message:
    message = target.message if isinstance(target, Reply) else target
    if message is None:
        raise AssertionError("that reply has no message to interact with")
    return message
