"""The calendar's message form, the remove confirmation, and the lines of /calendar list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.fields import CALENDAR_MESSAGE
from bot.services.calendar import PLACEHOLDERS, BuiltinView, EntryView
from bot.ui.limits import (
    BUTTON_LABEL,
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_VALUE,
    INPUT_LABEL,
    MODAL_TITLE,
    PLACEHOLDER,
    fit,
    fit_embed,
)
from bot.ui.text import Translate, translator_for
from bot.ui.time import full_and_relative
from bot.ui.views import BotModal, BotView

if TYPE_CHECKING:
    from bot.client import CisipBot


def entry_line(t: Translate, view: EntryView) -> str:
    entry = view.entry
    where = f"<#{entry.channel_id}>" + (f" · <@&{entry.role_id}>" if entry.role_id else "")
    if view.next_at is not None:
        state = t("next {when}", when=full_and_relative(view.next_at))
    elif entry.last_year is not None and not entry.enabled:
        state = t("ended (last year {year})", year=entry.last_year)
    else:
        state = "⏸ " + t("paused")
    public = " · 🌐 " + t("public") if entry.public else ""
    return f"**{entry.name}** — {t(view.schedule.describe())} → {where} · {state}{public}"


def builtin_line(t: Translate, view: BuiltinView) -> str:
    mark = "✅" if view.enabled else "⏸"
    state = t("next {when}", when=full_and_relative(view.next_at)) if view.next_at else t("off")
    return f"{mark} **{t(view.cycle.label)}** (`{view.cycle.key}`) — {t(view.describe())} · {state}"


def whole_lines(lines: list[str], limit: int, more: Callable[[int], str]) -> str:
    """As many whole ``lines`` as fit in ``limit`` characters with, when some are left out, the
    line ``more(count)`` saying how many."""
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        left = len(lines) - index - 1
        # Room for this line, and for the "more" line should a later one not fit.
        reserve = len(more(left)) + 1 if left else 0
        if used + len(line) + 1 + reserve > limit:
            tail = more(len(lines) - index)
            return "\n".join([*shown, tail]) if used + len(tail) <= limit else "\n".join(shown)
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown)


def calendar_embed(
    t: Translate, server: str, entries: list[EntryView], builtins: list[BuiltinView]
) -> discord.Embed:
    """/calendar list: the announcements (as many whole lines as fit), then the built-in cycles."""
    lines = [entry_line(t, view) for view in entries]
    description = t("No announcements yet: add one with /calendar add.")
    if lines:
        description = whole_lines(
            lines, EMBED_DESCRIPTION, lambda count: t("…and {count:n} more.", count=count)
        )
    embed = discord.Embed(
        title=fit(t("Calendar of {server}", server=server), EMBED_TITLE),
        description=description,
        colour=discord.Colour.blurple(),
    )
    embed.add_field(
        name=t("Built-in cycles"),
        value=whole_lines(
            [builtin_line(t, b) for b in builtins],
            FIELD_VALUE,
            lambda count: t("…and {count:n} more.", count=count),
        ),
        inline=False,
    )
    embed.set_footer(text=t("Switch a built-in cycle with /calendar builtin."))
    return fit_embed(embed)


Save = Callable[["discord.Interaction[CisipBot]", str], Awaitable[None]]


class MessageModal(BotModal):
    """The announcement's message; what happens on submit is the caller's ``save``."""

    def __init__(self, t: Translate, title: str, default: str, save: Save) -> None:
        super().__init__(title=fit(title, MODAL_TITLE), timeout=900)
        self.save = save
        self.message: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            custom_id="message",
            label=fit(t("Message"), INPUT_LABEL),
            style=discord.TextStyle.paragraph,
            # A default longer than the form takes would make Discord refuse the whole form.
            default=fit(default, CALENDAR_MESSAGE.max_length),
            min_length=CALENDAR_MESSAGE.min_length,
            max_length=CALENDAR_MESSAGE.max_length,
            placeholder=fit(
                t("Placeholders: {names}", names=" ".join(f"{{{p}}}" for p in PLACEHOLDERS)), PLACEHOLDER
            ),
        )
        self.add_item(self.message)

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        await self.save(interaction, self.message.value)


class ConfirmRemove(BotView):
    """Remove or keep an entry; only the staff member who asked may press."""

    def __init__(self, t: Translate, user_id: int, name: str) -> None:
        super().__init__(timeout=120, owner_id=user_id)
        self.name = name
        self.remove.label = fit(t("Remove"), BUTTON_LABEL)
        self.keep.label = fit(t("Keep it"), BUTTON_LABEL)

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
            content=fit(t("Removed '{name}' from the calendar.", name=entry.name), CONTENT), view=None
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]) -> None:
        t = await translator_for(interaction)
        self.stop()
        await interaction.response.edit_message(
            content=fit(t("Nothing removed: '{name}' stays on the calendar.", name=self.name), CONTENT),
            view=None,
        )
