"""Creating, editing and deleting messages, shared by channel routes, interaction callbacks and
webhook follow-ups (they differ in who is the author and which mention defaults apply)."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

from .errors import REQUEST_ENTITY_TOO_LARGE, DiscordError
from .state import (
    DEFAULT_UPLOAD_LIMIT,
    EPHEMERAL,
    Attachment,
    Channel,
    Message,
    Perm,
    User,
    channel_permissions,
    compute_mentions,
    iso_now,
)

if TYPE_CHECKING:
    from .server import ApiRequest, Emulator


REGULAR_PARSE = ("users", "roles", "everyone")
WEBHOOK_PARSE = ("users",)  # interactions and webhooks only parse user mentions by default

# Flags an app may set itself (SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2).
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


class Messages:
    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        self.world = emulator.world
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.nonce_window = 5 * 60.0  # "the past few minutes"

    # -- building blocks -------------------------------------------------------------------------

    def upload_limit(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return DEFAULT_UPLOAD_LIMIT
        return self.world.guilds[channel.guild_id].upload_limit

    def attachments_from(
        self, api: ApiRequest, payload: dict[str, Any], channel: Channel
    ) -> list[Attachment]:
        """Turn ``files[n]`` parts into stored attachments, refusing any above the upload limit."""
        meta = {str(a.get("id")): a for a in payload.get("attachments") or [] if isinstance(a, dict)}
        limit = self.upload_limit(channel)
        result = []
        for upload in api.files:
            if len(upload.data) > limit:
                raise DiscordError(413, REQUEST_ENTITY_TOO_LARGE, "Request entity too large")
            index = upload.field.removeprefix("files[").removesuffix("]")
            info = meta.get(index, {})
            filename = info.get("filename") or upload.filename
            content_type = upload.content_type
            if not content_type or content_type == "application/octet-stream":
                content_type = mimetypes.guess_type(filename)[0] or content_type
            att_id = self.em.ids.next()
            attachment = Attachment(
                att_id,
                filename,
                upload.data,
                self.em.attachment_url(att_id, filename),
                content_type,
                info.get("description"),
            )
            self.world.attachments[att_id] = attachment
            result.append(attachment)
        return result

    def author_permissions(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return Perm.ALL & ~Perm.MENTION_EVERYONE
        guild = self.world.guilds[channel.guild_id]
        return channel_permissions(guild, channel, guild.members[self.em.bot_user.id])

    # -- create / edit / delete ------------------------------------------------------------------

    def find_by_nonce(self, author: User, channel: Channel, nonce: str | int) -> Message | None:
        hit = self._nonces.get((author.id, channel.id, str(nonce)))
        if hit is None or self.em.now() - hit[1] > self.nonce_window:
            return None
        return self.world.channel_messages(channel.id).get(hit[0])

    def create(
        self,
        channel: Channel,
        author: User,
        payload: dict[str, Any],
        attachments: list[Attachment],
        *,
        default_parse: tuple[str, ...] = REGULAR_PARSE,
        webhook_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        extra_flags: int = 0,
        msg_type: int = 0,
        dispatch: bool = True,
    ) -> Message:
        guild = self.world.guilds.get(channel.guild_id) if channel.guild_id else None
        perms = self.author_permissions(channel)
        content = payload.get("content") or ""
        mentions = compute_mentions(
            self.world, guild, content, payload.get("allowed_mentions"), perms, default_parse=default_parse
        )
        embeds = list(payload.get("embeds") or [])
        if guild is not None and webhook_id is None and not perms & Perm.EMBED_LINKS:
            # A bot without Embed Links gets its message through with the embeds left out.
            embeds = []
        message = Message(
            id=self.em.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=content,
            embeds=[{**e, "type": "rich"} for e in embeds],
            components=list(payload.get("components") or []),
            attachments=attachments,
            flags=(int(payload.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags,
            nonce=payload.get("nonce"),
            mentions=mentions.users,
            mention_roles=mentions.roles,
            mention_everyone=mentions.everyone,
            pinged=mentions.pinged,
            webhook_id=webhook_id,
            application_id=self.em.application_id if webhook_id else None,
            interaction_metadata=interaction_metadata,
            type=msg_type,
        )
        ref = payload.get("message_reference")
        if ref and ref.get("message_id"):
            replied = self.world.channel_messages(channel.id).get(int(ref["message_id"]))
            if replied is not None:
                message.type = 19
                message.message_reference = {
                    "type": 0,
                    "message_id": str(replied.id),
                    "channel_id": str(channel.id),
                    **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
                }
                allowed = payload.get("allowed_mentions")
                if allowed is None or allowed.get("replied_user"):
                    message.pinged.add(replied.author.id)
        if message.nonce is not None:
            self._nonces[(author.id, channel.id, str(message.nonce))] = (message.id, self.em.now())
        self.world.channel_messages(channel.id)[message.id] = message
        if not message.ephemeral:
            channel.last_message_id = message.id
        if dispatch:
            self.dispatch("MESSAGE_CREATE", message)
        return message

    def edit(self, message: Message, payload: dict[str, Any], new_attachments: list[Attachment]) -> Message:
        channel = self.world.channels[message.channel_id]
        guild = self.world.guilds.get(channel.guild_id) if channel.guild_id else None
        if "content" in payload:
            message.content = payload["content"] or ""
            default = WEBHOOK_PARSE if message.webhook_id else REGULAR_PARSE
            mentions = compute_mentions(
                self.world,
                guild,
                message.content,
                payload.get("allowed_mentions"),
                self.author_permissions(channel),
                default_parse=default,
            )
            message.mentions, message.mention_roles = mentions.users, mentions.roles
            message.mention_everyone, message.pinged = mentions.everyone, mentions.pinged
        if "embeds" in payload:
            message.embeds = [{**e, "type": "rich"} for e in payload["embeds"] or []]
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if payload.get("flags") is not None:
            keep = message.flags & EPHEMERAL  # ephemerality cannot change after sending
            message.flags = (int(payload["flags"]) & SETTABLE_FLAGS & ~EPHEMERAL) | keep
        if "attachments" in payload:
            kept = {str(a.get("id")) for a in payload["attachments"] or [] if isinstance(a, dict)}
            message.attachments = [a for a in message.attachments if str(a.id) in kept]
        message.attachments.extend(new_attachments)
        message.flags &= ~(1 << 7)  # an edit ends the "thinking..." state of a deferred reply
        message.edited_timestamp = iso_now()
        self.dispatch("MESSAGE_UPDATE", message)
        return message

    def delete(self, message: Message) -> None:
        self.world.channel_messages(message.channel_id).pop(message.id, None)
        if message.ephemeral:
            return
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        self.em.gateway.dispatch(
            "MESSAGE_DELETE", data, intent=self.em.gateway.message_intent(message.guild_id)
        )

    def dispatch(self, event: str, message: Message) -> None:
        # Ephemeral messages exist only for the invoking user; bots never receive them.
        if message.ephemeral:
            return
        data = message.to_json(self.world)
        if event == "MESSAGE_CREATE" and message.guild_id:
            member = self.world.guilds[message.guild_id].members.get(message.author.id)
            if member is not None:
                data["member"] = member.to_json(with_user=False)
        self.em.gateway.dispatch(
            event,
            data,
            intent=self.em.gateway.message_intent(message.guild_id),
            redacted=self._without_content(message, data),
        )

    def _without_content(self, message: Message, data: dict[str, Any]) -> dict[str, Any] | None:
        """What a session without MESSAGE_CONTENT sees (events/gateway, privileged intents)."""
        if (
            message.guild_id is None
            or message.author.id == self.em.bot_user.id
            or self.em.bot_user.id in message.mentions
        ):
            return None
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
