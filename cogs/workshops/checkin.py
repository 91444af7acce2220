"""Check-in: the I'm here button (on the announcement while check-in is open, and in /workshop
mine), the form for the venue code, and what staff and members are told. The rules (the window,
the code, the tries and the lockout) are the attendance service's."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.db.models_workshops import Workshop
from bot.errors import DomainError
from bot.fields import MAX_ID, TextField
from bot.i18n import _, half_width
from bot.services.attendance import CHECKIN_CODE, CheckIn, EditionFigures, Figures, VenueCode
from bot.ui.checks import is_staff
from bot.ui.limits import CHOICE_NAME, INPUT_LABEL, MODAL_TITLE, fit
from bot.ui.replies import send_ephemeral
from bot.ui.text import Translate, translator_for
from bot.ui.time import timestamp
from bot.ui.views import BotModal, PersistentButton

if TYPE_CHECKING:
    from bot.client import CisipBot


MEMBER_REFERENCE = TextField(_("member"), 100)
MemberText = app_commands.Range[str, MEMBER_REFERENCE.min_length, MEMBER_REFERENCE.max_length]
MAX_CHOICES = 25


def member_id(typed: str) -> int:
    """The member a staff option names: the id autocomplete sends, or a mention."""
    text = half_width(MEMBER_REFERENCE.clean(typed)).removeprefix("<@").removeprefix("!").removesuffix(">")
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    raise DomainError(
        _("No registered member matches '{value}'."), value=typed[: MEMBER_REFERENCE.max_length]
    )


async def member_names(bot: CisipBot, guild: discord.Guild, user_ids: list[int]) -> dict[int, str]:
    """Members as staff know them: the name given at verification, else the server's display name."""
    records = await bot.services.memberships.records(guild.id, user_ids)
    names: dict[int, str] = {}
    for user_id in user_ids:
        if user_id in records:
            names[user_id] = records[user_id][0]
        elif (member := guild.get_member(user_id)) is not None:
            names[user_id] = member.display_name
    return names


async def registered_autocomplete(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    """The registered members of the workshop chosen in the same command (staff only)."""
    if interaction.guild is None or not await is_staff(interaction):
        return []
    typed = str(getattr(interaction.namespace, "workshop", "") or "")
    try:
        workshop = await interaction.client.services.workshops.resolve(
            interaction.guild.id, typed, staff=True
        )
        user_ids = await interaction.client.services.attendance.registered(interaction.guild.id, workshop.id)
    except DomainError:
        return []
    names = await member_names(interaction.client, interaction.guild, user_ids)
    wanted = str(current).casefold().strip()
    return [
        app_commands.Choice(name=fit(names.get(user_id, str(user_id)), CHOICE_NAME), value=str(user_id))
        for user_id in user_ids
        if not wanted or wanted in names.get(user_id, str(user_id)).casefold()
    ][:MAX_CHOICES]


def day_text(day: date) -> str:
    return day.isoformat()


def checked_in_text(t: Translate, result: CheckIn) -> str:
    fields = {"title": result.workshop.title, "day": day_text(result.day)}
    if result.already:
        return t("You are already checked in for **{title}** on {day}.", **fields)
    return t("You are checked in for **{title}** on {day}. Welcome!", **fields)


def staff_checked_in_text(t: Translate, result: CheckIn, name: str) -> str:
    fields = {"title": result.workshop.title, "day": day_text(result.day), "name": name}
    if result.already:
        return t("{name} was already checked in for **{title}** on {day}.", **fields)
    return t("{name} is checked in for **{title}** on {day}.", **fields)


def venue_code_text(t: Translate, venue: VenueCode) -> str:
    return t(
        "Venue code for **{title}** on {day}: **{code}**\n"
        "Show it at the venue: members press I'm here and type it. It works until {until}.",
        title=venue.workshop.title,
        day=day_text(venue.day),
        code=venue.code,
        until=timestamp(venue.closes_at, "t"),
    )


def figures_line(t: Translate, figures: Figures) -> str:
    return t(
        "registered {registered:n} · waitlisted {waitlisted:n} · "
        "attended {attended:n} · no-shows {no_show:n}",
        registered=figures.registered,
        waitlisted=figures.waitlisted,
        attended=figures.attended,
        no_show=figures.no_show,
    )


def add_figures(t: Translate, embed: discord.Embed, figures: EditionFigures) -> None:
    """The staff's attendance figures on the workshop card: this edition, and its year."""
    embed.add_field(name=t("Attendance (staff only)"), value=figures_line(t, figures.edition), inline=False)
    embed.add_field(
        name=t(
            "All editions of {year} ({count:n})", year=str(figures.year_label), count=figures.year.editions
        ),
        value=figures_line(t, figures.year),
        inline=False,
    )


class CodeModal(BotModal):
    """The form of I'm here: the venue code."""

    def __init__(self, t: Translate, workshop_id: int) -> None:
        super().__init__(title=fit(t("Check in"), MODAL_TITLE), timeout=600)
        self.workshop_id = workshop_id
        self.code: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="code",
            label=fit(t("Venue code (shown at the venue)"), INPUT_LABEL),
            min_length=CHECKIN_CODE.min_length,
            max_length=CHECKIN_CODE.max_length,
        )
        self.add_item(self.code)

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        assert interaction.guild_id is not None
        result = await interaction.client.services.attendance.check_in_with_code(
            interaction.guild_id, self.workshop_id, interaction.user.id, self.code.value
        )
        t = await translator_for(interaction)
        await send_ephemeral(interaction, checked_in_text(t, result))


class HereButton(
    PersistentButton[int], prefix="workshop:here", style=discord.ButtonStyle.primary, label=_("I'm here")
):
    """Check in at the venue: says when check-in opens, or asks for the day's code."""

    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        t = await translator_for(interaction)
        if interaction.guild_id is None:
            await send_ephemeral(interaction, t("Use this button in the server."))
            return
        done = await interaction.client.services.attendance.before_code(
            interaction.guild_id, self.key, interaction.user.id
        )
        if done is not None:
            await send_ephemeral(interaction, checked_in_text(t, done))
            return
        await interaction.response.send_modal(CodeModal(t, self.key))


def here_button(t: Translate, workshop: Workshop, *, numbered: bool = False) -> HereButton:
    label = t("I'm here")
    return HereButton(workshop.id, f"{label} · #{workshop.id}" if numbered else label)
