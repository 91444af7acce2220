"""Interactions (interactions/receiving-and-responding): creation, the initial callback and the
webhook follow-up routes, with Discord's timing rules.

- exactly one initial response, within ``emulator.interaction_timeout`` seconds (3 s on Discord),
  else 404 10062 Unknown interaction; a second one is 400 40060;
- the token then works for follow-ups and @original for ``emulator.token_lifetime`` (15 min).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (
    INTERACTION_ALREADY_ACKNOWLEDGED,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    DiscordError,
    FormErrors,
)
from .messages import WEBHOOK_PARSE, Messages
from .state import LOADING, Channel, Member, Message, User, channel_permissions

if TYPE_CHECKING:
    from .server import ApiRequest, Emulator

from .rules import validate_autocomplete, validate_deferred, validate_message, validate_modal

UNKNOWN_WEBHOOK = 10015
INVALID_WEBHOOK_TOKEN = 50027


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


# Which callbacks each interaction type accepts (interaction response object, callback types).
ALLOWED_CALLBACKS: dict[int, set[int]] = {
    InteractionType.PING: {1},
    InteractionType.APPLICATION_COMMAND: {4, 5, 9},
    InteractionType.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    InteractionType.AUTOCOMPLETE: {8},
    InteractionType.MODAL_SUBMIT: {4, 5, 6, 7},
}


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    data: dict[str, Any]
    user: User
    member: Member | None
    channel: Channel
    created: float  # emulator clock
    created_wall: float  # perf_counter, for latency measurements
    message: Message | None = None  # the message a component sits on
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    responded_wall: float | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # "callback", "followup", "edit", "delete"
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    def note(self, event: str) -> None:
        self.events.append(event)
        self.changed.set()


class Interactions:
    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        self.messages: Messages = emulator.messages
        self.by_id: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}

    # -- creating ----------------------------------------------------------------------------------

    def create(
        self,
        type_: int,
        data: dict[str, Any],
        user: User,
        channel: Channel,
        *,
        message: Message | None = None,
    ) -> Interaction:
        """Make an interaction and send INTERACTION_CREATE to the bot."""
        world = self.em.world
        guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
        member = guild.members.get(user.id) if guild else None
        if guild is not None and member is None:
            raise AssertionError(f"{user.username} is not a member of {guild.name}")
        inter = Interaction(
            id=self.em.ids.next(),
            token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            type=type_,
            data=data,
            user=user,
            member=member,
            channel=channel,
            created=self.em.now(),
            created_wall=time.perf_counter(),
            message=message,
        )
        self.by_id[inter.id] = inter
        self.by_token[inter.token] = inter
        self.em.gateway.dispatch("INTERACTION_CREATE", self.payload(inter), intent=0)
        return inter

    def payload(self, inter: Interaction) -> dict[str, Any]:
        world = self.em.world
        channel = inter.channel
        guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
        body: dict[str, Any] = {
            "id": str(inter.id),
            "application_id": str(self.em.application_id),
            "type": inter.type,
            "data": inter.data,
            "channel_id": str(channel.id),
            "token": inter.token,
            "version": 1,
            "locale": inter.user.locale,
            "entitlements": [],
            "attachment_size_limit": self.messages.upload_limit(channel),
        }
        if guild is not None and inter.member is not None:
            user_perms = channel_permissions(guild, channel, inter.member)
            bot_perms = channel_permissions(guild, channel, self.em.bot_member)
            body.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                guild_locale=guild.preferred_locale,
                member={**inter.member.to_json(), "permissions": str(user_perms)},
                app_permissions=str(bot_perms),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
                channel={**channel.to_json(world), "permissions": str(user_perms)},
            )
        else:
            body.update(
                user=inter.user.to_json(),
                app_permissions=str((1 << 15) | (1 << 14) | (1 << 17) | (1 << 18)),
                authorizing_integration_owners={"0": "0"},
                context=1,
                channel=channel.to_json(world),
            )
        if inter.message is not None:
            body["message"] = inter.message.to_json(world)
        return body

    def metadata(self, inter: Interaction) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "id": str(inter.id),
            "type": inter.type,
            "user": inter.user.to_json(),
            "authorizing_integration_owners": {"0": str(inter.channel.guild_id or 0)},
        }
        if inter.type == InteractionType.APPLICATION_COMMAND:
            meta["name"] = inter.data.get("name")
        if inter.message is not None:
            meta["interacted_message_id"] = str(inter.message.id)
        return meta

    # -- lookups -----------------------------------------------------------------------------------

    def _by_token(self, application_id: str, token: str) -> Interaction:
        inter = self.by_token.get(token)
        if inter is None or application_id != str(self.em.application_id):
            raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        if self.em.now() - inter.created > self.em.token_lifetime:
            raise DiscordError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if not inter.acknowledged:
            raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return inter

    def _message(self, inter: Interaction, message_id: str) -> Message:
        if message_id == "@original":
            found = inter.original
        else:
            found = next(
                (m for m in [inter.original, *inter.followups] if m and str(m.id) == message_id), None
            )
        if found is None or found.id not in self.em.world.channel_messages(found.channel_id):
            raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
        return found

    # -- routes ------------------------------------------------------------------------------------

    async def callback(self, api: ApiRequest) -> Any:
        inter = self.by_id.get(int(api.params["interaction_id"]))
        if inter is None or inter.token != api.params["token"]:
            raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if inter.acknowledged:
            raise DiscordError(
                400, INTERACTION_ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        if self.em.now() - inter.created > self.em.interaction_timeout:
            raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        body = api.json or {}
        cb_type = body.get("type")
        data = body.get("data") or {}
        # 6 and 7 are "only valid for component-based interactions" (and modal submits); 7 needs
        # a message to update, while 6 only acknowledges, so a modal opened by a slash command may
        # still defer with it. Neither takes flags of its own: 6 has no data, 7 is a message edit.
        if cb_type not in ALLOWED_CALLBACKS.get(inter.type, set()) or (
            cb_type == CallbackType.UPDATE_MESSAGE and inter.message is None
        ):
            errors = FormErrors()
            errors.add(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")
            errors.raise_if_any()

        resource: dict[str, Any] = {"type": cb_type}
        if cb_type == CallbackType.CHANNEL_MESSAGE:
            validate_message(data, has_files=bool(api.files), path_prefix=("data",))
            attachments = self.messages.attachments_from(api, data, inter.channel)
            inter.original = self.messages.create(
                inter.channel,
                self.em.bot_user,
                data,
                attachments,
                default_parse=WEBHOOK_PARSE,
                webhook_id=self.em.application_id,
                interaction_metadata=self.metadata(inter),
                msg_type=20 if inter.type == InteractionType.APPLICATION_COMMAND else 0,
            )
        elif cb_type == CallbackType.DEFERRED_CHANNEL_MESSAGE:
            validate_deferred(body.get("data"))
            inter.original = self.messages.create(
                inter.channel,
                self.em.bot_user,
                {"content": "", "flags": int(data.get("flags") or 0)},
                [],
                webhook_id=self.em.application_id,
                interaction_metadata=self.metadata(inter),
                extra_flags=LOADING,
                msg_type=20 if inter.type == InteractionType.APPLICATION_COMMAND else 0,
            )
        elif cb_type == CallbackType.DEFERRED_UPDATE_MESSAGE:
            inter.original = inter.message
        elif cb_type == CallbackType.UPDATE_MESSAGE:
            validate_message(data, creating=False, path_prefix=("data",))
            assert inter.message is not None
            attachments = self.messages.attachments_from(api, data, inter.channel)
            inter.original = self.messages.edit(inter.message, data, attachments)
        elif cb_type == CallbackType.AUTOCOMPLETE_RESULT:
            validate_autocomplete(data)
        elif cb_type == CallbackType.MODAL:
            validate_modal(data)

        inter.response_type = cb_type
        inter.response_data = data
        inter.responded_wall = time.perf_counter()
        inter.note("callback")

        if api.query.get("with_response", "").lower() not in ("1", "true"):
            return None
        summary: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        if inter.original is not None and cb_type in (4, 5, 7):
            summary["response_message_id"] = str(inter.original.id)
            summary["response_message_loading"] = cb_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            summary["response_message_ephemeral"] = inter.original.ephemeral
            resource["message"] = inter.original.to_json(self.em.world)
        return {"interaction": summary, "resource": resource}

    async def create_followup(self, api: ApiRequest) -> Any:
        inter = self._by_token(api.params["application_id"], api.params["token"])
        payload = api.json or {}
        validate_message(payload, has_files=bool(api.files))
        attachments = self.messages.attachments_from(api, payload, inter.channel)
        original = inter.original
        if (
            inter.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.flags & LOADING
            and not inter.followups
        ):
            # Observed Discord behaviour: the first follow-up after a "thinking" defer fills in
            # that placeholder instead of posting a new message.
            message = self.messages.edit(original, {**payload, "flags": None}, attachments)
        else:
            message = self.messages.create(
                inter.channel,
                self.em.bot_user,
                payload,
                attachments,
                default_parse=WEBHOOK_PARSE,
                webhook_id=self.em.application_id,
                interaction_metadata=self.metadata(inter),
            )
        inter.followups.append(message)
        inter.note("followup")
        return message.to_json(self.em.world)

    async def get_message(self, api: ApiRequest) -> Any:
        inter = self._by_token(api.params["application_id"], api.params["token"])
        return self._message(inter, api.params["message_id"]).to_json(self.em.world)

    async def edit_message(self, api: ApiRequest) -> Any:
        inter = self._by_token(api.params["application_id"], api.params["token"])
        message = self._message(inter, api.params["message_id"])
        payload = api.json or {}
        validate_message(payload, creating=False)
        attachments = self.messages.attachments_from(api, payload, inter.channel)
        self.messages.edit(message, payload, attachments)
        inter.note("edit")
        return message.to_json(self.em.world)

    async def delete_message(self, api: ApiRequest) -> None:
        inter = self._by_token(api.params["application_id"], api.params["token"])
        message = self._message(inter, api.params["message_id"])
        self.messages.delete(message)
        inter.note("delete")
