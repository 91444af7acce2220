"""What members are told by direct message (a seat freed up, a cancellation, a reminder), each in
the language the member last used, sent with the one DM helper (``bot.ui.dm.send_dm``)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from typing import TYPE_CHECKING

import discord

from bot.db.models_workshops import Workshop
from bot.services.certificates import Certificate
from bot.services.delivery import Outcome
from bot.ui.dm import send_dm
from bot.ui.limits import CONTENT, fit
from bot.ui.text import Translate, member_translator
from bot.ui.time import full_and_relative, timestamp

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


def promoted_text(t: Translate, workshop: Workshop) -> str:
    return t(
        "Good news: a seat freed up and you are now registered for **{title}**, {start}.",
        title=workshop.title,
        start=full_and_relative(workshop.starts_at),
    )


def cancel_text(t: Translate, workshop: Workshop) -> str:
    text = t("**{title}** ({start}) is cancelled.", title=workshop.title, start=timestamp(workshop.starts_at))
    if workshop.cancel_reason:
        text += "\n" + t("Reason: {reason}", reason=workshop.cancel_reason)
    return text


def reminder_text(t: Translate, workshop: Workshop, *, late: bool, in_channel: bool = False) -> str:
    """A reminder: the DM in the member's language, or the channel post in the server's."""
    fields = {
        "title": workshop.title,
        "start": full_and_relative(workshop.starts_at),
        "location": workshop.location,
    }
    if in_channel:
        text = t(
            "Workshop reminder: **{title}** starts {start} ({location}). "
            "Registered members get a direct message.",
            **fields,
        )
    else:
        text = t("Reminder: **{title}** starts {start} ({location}).", **fields)
    if late:
        text += "\n" + t("(This reminder is late: the bot was offline when it was due.)")
    return text


def reminder_nonce(workshop_id: int, offset: str, user_id: int) -> str:
    """One nonce per workshop, reminder offset and member (Discord allows 25 characters): a reminder
    sent again after a crash, before its delivery was recorded, reaches the member once."""
    digest = hashlib.sha256(f"{workshop_id}:{offset}:{user_id}".encode()).hexdigest()
    return f"wr{digest[:23]}"


async def tell_promoted(client: discord.Client, workshop: Workshop, user_id: int) -> Outcome:
    t = await member_translator(client, user_id, workshop.guild_id)
    return await send_dm(client, user_id, promoted_text(t, workshop))


async def tell_cancelled(client: discord.Client, workshop: Workshop, user_id: int) -> Outcome:
    t = await member_translator(client, user_id, workshop.guild_id)
    return await send_dm(client, user_id, cancel_text(t, workshop))


async def remind(
    client: discord.Client, workshop: Workshop, token: str, user_id: int, *, late: bool
) -> Outcome:
    t = await member_translator(client, user_id, workshop.guild_id)
    text = reminder_text(t, workshop, late=late)
    return await send_dm(client, user_id, text, nonce=reminder_nonce(workshop.id, token, user_id))


def certificate_text(t: Translate, certificate: Certificate, link: str | None) -> str:
    text = t(
        "Thank you for taking part in **{title}**. Here is your certificate of completion, number {number}.",
        title=certificate.workshop.title,
        number=certificate.number,
    )
    if link:
        text += "\n" + t("Anyone can check that it is genuine at {link}", link=link)
    return text


def certificate_nonce(number: str) -> str:
    """One nonce per certificate: sent again after a crash, it arrives once."""
    return "wc" + hashlib.sha256(number.encode()).hexdigest()[:23]


async def send_certificate(client: CisipBot, certificate: Certificate) -> Outcome:
    """The certificate by DM, as a PDF, in the member's language (the PDF is in both)."""
    service = client.services.certificates
    data = await asyncio.to_thread(service.pdf, certificate)
    t = await member_translator(client, certificate.user_id, certificate.workshop.guild_id)
    text = certificate_text(t, certificate, service.link(certificate.number))
    return await send_dm(
        client,
        certificate.user_id,
        fit(text, CONTENT),
        file=discord.File(io.BytesIO(data), filename=certificate.filename),
        nonce=certificate_nonce(certificate.number),
    )
