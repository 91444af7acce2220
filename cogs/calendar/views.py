"""The calendar's message form, the remove confirmation, and the lines of /calendar list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.services.calendar import MAX_TEMPLATE, PLACEHOLDERS, BuiltinView, EntryView
from bot.ui.text import Translate, translator_for
from bot.ui.time import full_and_relative
from bot.ui.views import BotModal, BotView

if TYPE_CHECKING:
    from bot.client import CisipBot

MAX_DESCRIPTION = 4000


def entry_line(t: Translate, view: EntryView) -> str:
    entry = view.entry
    where = f"<#{entry.channel_id}>" + (f" · <@&{entry.role_id}>" if entry.role_id else "")
    if view.next_at is not None:
        state = t("next {when}", when=full_and_relative(view.next_at))
    elif entry.last_year is not None and not entry.enabled:
        state = t("ended (last year {year})", year=entry.last_year)
    else:
        state = "⏸ " + t("paused")
    return f"**{entry.name}** — {t(view.schedule.describe())} → {where} · {state}"


def builtin_line(t: Translate, view: BuiltinView) -> str:
    mark = "✅" if view.enabled else "⏸"
    state = t("next {when}", when=full_and_relative(view.next_at)) if view.next_at else t("off")
    return f"{mark} **{t(view.cycle.label)}** (`{view.cycle.key}`) — {t(view.describe())} · {state}"


def calendar_embed(
    t: Translate, server: str, entries: list[EntryView], builtins: list[BuiltinView]
) -> discord.Embed:
    """/calendar list: the announcements (as many as fit), then the built-in cycles."""
    lines = [entry_line(t, view) for view in entries]
    description = t("No announcements yet: add one with /calendar add.")
    if lines:
        description, shown = "", 0
        for line in lines:
            if len(description) + len(line) > MAX_DESCRIPTION - 40:
                break
            description += line + "\n"
            shown += 1
        if shown < len(lines):
            description += t("…and {count:n} more.", count=len(lines) - shown)
    embed = discord.Embed(
        title=t("Calendar of {server}", server=server),
        description=description,
        colour=discord.Colour.blurple(),
    )
    embed.add_field(
        name=t("Built-in cycles"),
        value="\n".join(builtin_line(t, b) for b in builtins)[:1024],
        inline=False,
    )
    embed.set_footer(text=t("Switch a built-in cycle with /calendar builtin."))
    return embed


Save = Callable[["discord.Interaction[CisipBot]", str], Awaitable[None]]


class MessageModal(BotModal):
    """The announcement's message; what happens on submit is the caller's ``save``."""

    def __init__(self, t: Translate, title: str, default: str, save: Save) -> None:
        super().__init__(title=title[:45], timeout=900)
        self.save = save
        self.message: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            custom_id="message",
            label=t("Message")[:45],
            style=discord.TextStyle.paragraph,
            default=default,
            max_length=MAX_TEMPLATE,
            placeholder=t("Placeholders: {names}", names=" ".join(f"{{{p}}}" for p in PLACEHOLDERS))[:100],
        )
        self.add_item(self.message)

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        await self.save(interaction, self.message.value)


class ConfirmRemove(BotView):
    """Remove or keep an entry; only the staff member who asked may press."""

    def __init__(self, t: Translate, user_id: int, name: str) -> None:
        super().__init__(timeout=120, owner_id=user_id)
        self.name = name
        self.remove.label = t("Remove")
        self.keep.label = t("Keep it")

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def remove(
        self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        entry = await interaction.client.services.calendar.remove(interaction.guild.id, self.name)
        await interaction.client.audit(interaction.guild, interaction.user, "calendar.remove", entry.name)
        self.stop()
        await interaction.response.edit_message(
            content=t("Removed '{name}' from the calendar.", name=entry.name), view=None
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]) -> None:
        t = await translator_for(interaction)
        self.stop()
        await interaction.response.edit_message(
            content=t("Nothing removed: '{name}' stays on the calendar.", name=self.name), view=None
        )
