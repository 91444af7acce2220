"""Discord's size limits, and the one helper that fits text into the place it goes.

Text a person typed is bounded when it is stored (``bot.fields``), but it is echoed inside other
text (a refusal quoting a value, a DM quoting a cancel reason, a list of many titles) and Discord
refuses a whole message whose content or embed is one character too long. Everything that goes out
is fitted here: cut at a word where possible and marked with an ellipsis, never refused.

    await channel.send(fit(text, CONTENT))
    await channel.send(embed=fit_embed(embed))
"""

from __future__ import annotations

from typing import Any

import discord

# https://discord.com/developers/docs/resources/message#create-message and the component reference.
CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000
EMBEDS_TOTAL = 6000  # all embeds of one message together
BUTTON_LABEL = 80
SELECT_OPTION = 100  # a select option's label, value and description
CHOICE_NAME = 100  # an autocomplete choice's name and value
MODAL_TITLE = 45
INPUT_LABEL = 45
INPUT_VALUE = 4000
PLACEHOLDER = 150
NICKNAME = 32
AUDIT_REASON = 512

ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut (at a space when one is near the end)
    and ended with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """``embed`` with every part within its limit and the whole within 6,000 characters (the
    description gives way first, then the fields from the last). Changed in place; returned."""
    if embed.title:
        embed.title = fit(embed.title, EMBED_TITLE)
    if embed.description:
        embed.description = fit(embed.description, EMBED_DESCRIPTION)
    if embed.author.name:
        embed.set_author(
            name=fit(embed.author.name, AUTHOR), url=embed.author.url, icon_url=embed.author.icon_url
        )
    if embed.footer.text:
        embed.set_footer(text=fit(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    fields = embed.fields[:EMBED_FIELDS]
    embed.clear_fields()
    for field in fields:
        embed.add_field(
            name=fit(field.name or "\u200b", FIELD_NAME),
            value=fit(field.value or "\u200b", FIELD_VALUE),
            inline=bool(field.inline),
        )
    excess = len(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        embed.description = fit(embed.description, max(len(embed.description) - excess, 1))
        excess = len(embed) - EMBED_TOTAL
    while excess > 0 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        excess = len(embed) - EMBED_TOTAL
    return embed


def fit_message(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a send or edit with their content and embeds fitted."""
    content = kwargs.get("content")
    if isinstance(content, str):
        kwargs["content"] = fit(content, CONTENT)
    if isinstance(kwargs.get("embed"), discord.Embed):
        fit_embed(kwargs["embed"])
    embeds = kwargs.get("embeds")
    if isinstance(embeds, list):
        for embed in embeds:
            fit_embed(embed)
        while len(embeds) > 1 and sum(len(embed) for embed in embeds) > EMBEDS_TOTAL:
            embeds.pop()
    return kwargs
