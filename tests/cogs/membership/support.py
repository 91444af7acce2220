"""What the membership tests share: a local mail server, the bot wired to it, and the steps a
member takes (join, apply, enter the code)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any, TypeVar

from sqlalchemy import select

from bot.db.models import AuditEntry
from bot.db.models_members import Membership
from tests.cogs.conftest import BotHarness
from tests.fakediscord.dsl import Reply
from tests.fakediscord.state import Member, Message, iso_now

T = TypeVar("T")
APPLICATION = {
    "full_name": "Li Wei",
    "organization": "Zhongguancun Science Park",
    "email": "li.wei@zgc.example.cn",
    "country": "China",
    "member_type": "park",
}


# -- a local mail server ------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_code(self, address: str) -> str:
        mails = self.to(address)
        assert mails, f"no mail to {address}"
        text = text_part(mails[-1])
        found = re.search(r"\b(\d{6})\b", text)
        assert found, text
        return found.group(1)


def text_part(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- helpers ------------------------------------------------------------------------------------


async def eventually(probe: Callable[[], T | None], within: float = 5.0) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.02)


@dataclasses.dataclass
class Server:
    staff: Member
    verified: Any
    unverified: Any
    welcome: Any
    queue: Any
    audit: Any


async def set_up(cisip: BotHarness) -> Server:
    d = cisip.discord
    settings = cisip.bot.services.guild_settings
    gid = d.guild.id
    staff_role = d.add_role("CISIP Staff")
    server = Server(
        staff=d.add_member("sam", roles=[staff_role]),
        verified=d.add_role("Verified"),
        unverified=d.add_role("Unverified"),
        welcome=d.add_channel("welcome"),
        queue=d.add_channel("verification"),
        audit=d.add_channel("audit"),
    )
    await settings.set_role(gid, "staff", staff_role.id)
    await settings.set_role(gid, "verified", server.verified.id)
    await settings.set_role(gid, "unverified", server.unverified.id)
    await settings.set_channel(gid, "welcome", server.welcome.id)
    await settings.set_channel(gid, "verification", server.queue.id)
    await settings.set_channel(gid, "audit", server.audit.id)
    return server


async def join(cisip: BotHarness, server: Server, name: str, **kwargs: Any) -> tuple[Member, Message]:
    member = cisip.discord.add_member(name, **kwargs)
    welcome = await eventually(
        lambda: [m for m in cisip.discord.messages_in(server.welcome) if f"<@{member.id}>" in m.content]
    )
    return member, welcome[-1]


async def rejoin(cisip: BotHarness, member: Member) -> None:
    """The same user leaves and comes back."""
    d = cisip.discord
    d.remove_member(member)
    await asyncio.sleep(0.1)
    d.guild.members[member.id] = member
    member.role_ids = []
    member.joined_at = iso_now()  # as Discord says: this join's own time
    d.em.gateway.dispatch("GUILD_MEMBER_ADD", {**member.to_json(), "guild_id": str(d.guild.id)})


async def apply(cisip: BotHarness, member: Member, welcome: Message, **changes: str) -> Reply:
    opened = await cisip.discord.click(member, welcome, label="Verify")
    assert opened.modal is not None
    return await cisip.discord.submit_modal(member, opened.modal, {**APPLICATION, **changes})


async def enter_code(cisip: BotHarness, member: Member, reply: Reply, code: str) -> Reply:
    opened = await cisip.discord.click(member, reply, custom_id=f"verify:code:{cisip.discord.guild.id}")
    return await cisip.discord.submit_modal(member, opened.modal, {"code": code})


async def row_of(cisip: BotHarness, member: Member) -> Membership | None:
    async with cisip.bot.db.session() as session:
        return await session.scalar(select(Membership).where(Membership.user_id == member.id))


async def audit_actions(cisip: BotHarness) -> list[str]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


def queue_messages(cisip: BotHarness, server: Server) -> list[Message]:
    return cisip.discord.messages_in(server.queue)
