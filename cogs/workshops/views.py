"""The workshop card (announcement embed), the Register and Leave buttons, and the form.

A button press asks the service, answers the member and tells who was promoted; the announcement
itself is refreshed by the cog, which the service tells once per batch of decisions (and which
coalesces the edits).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord

from bot.config import Settings
from bot.db.models_workshops import Workshop
from bot.fields import WORKSHOP_DESCRIPTION, WORKSHOP_LOCATION, WORKSHOP_TIME, WORKSHOP_TITLE, TextField
from bot.i18n import _
from bot.services.dates import local_input
from bot.services.workshops import (
    CANCELLED,
    REGISTERED,
    SCHEDULED,
    FormOptions,
    Registration,
    Seats,
    WorkshopForm,
)
from bot.ui.checks import asker
from bot.ui.limits import BUTTON_LABEL, INPUT_LABEL, MODAL_TITLE, fit, fit_embed
from bot.ui.replies import decided, send_ephemeral
from bot.ui.text import Translate, translator_for
from bot.ui.time import full_and_relative
from bot.ui.views import BotModal, PersistentButton
from cogs.workshops._notices import tell_promoted
from cogs.workshops.checkin import here_button

if TYPE_CHECKING:
    from bot.client import CisipBot

# Dispatched (with the workshop id) when seats change outside a command: the cog refreshes the post.

FormSubmit = Callable[["discord.Interaction[CisipBot]", WorkshopForm], Awaitable[None]]


def announcement_embed(t: Translate, workshop: Workshop, seats: Seats) -> discord.Embed:
    """The workshop card, fitted into Discord's embed limits (a long cancel reason is cut, not
    refused with the whole edit)."""
    cancelled = workshop.status == CANCELLED
    title = t("CANCELLED: {title}", title=workshop.title) if cancelled else workshop.title
    embed = discord.Embed(
        title=title,
        description=workshop.description or None,
        colour=discord.Colour.red() if cancelled else discord.Colour.blurple(),
    )
    if cancelled:
        embed.add_field(
            name=t("Cancelled"),
            value=workshop.cancel_reason or t("This workshop will not take place."),
            inline=False,
        )
    embed.add_field(name=t("Starts"), value=full_and_relative(workshop.starts_at), inline=False)
    embed.add_field(name=t("Ends"), value=full_and_relative(workshop.ends_at), inline=False)
    embed.add_field(name=t("Location"), value=workshop.location)
    if seats.waitlisted:
        seats_text = t(
            "{taken:n} / {capacity:n} ({count:n} on the waitlist)",
            taken=seats.taken,
            capacity=seats.capacity,
            count=seats.waitlisted,
        )
    else:
        seats_text = t("{taken:n} / {capacity:n}", taken=seats.taken, capacity=seats.capacity)
    embed.add_field(name=t("Seats"), value=seats_text)
    embed.add_field(name=t("Registration deadline"), value=full_and_relative(workshop.deadline), inline=False)
    if workshop.members_only:
        footer = t("Workshop #{id} · times in your own time zone · verified members only", id=workshop.id)
    else:
        footer = t("Workshop #{id} · times in your own time zone", id=workshop.id)
    embed.set_footer(text=footer)
    return fit_embed(embed)


def list_embed(t: Translate, rows: list[tuple[Workshop, Seats]]) -> discord.Embed:
    """/workshop list: each upcoming workshop's start, place and seats taken."""
    embed = discord.Embed(title=t("Upcoming workshops"), colour=discord.Colour.blurple())
    for workshop, seats in rows:
        embed.add_field(
            name=f"#{workshop.id} {workshop.title}",
            value=t(
                "{start} · {location} · seats {taken:n} / {capacity:n}",
                start=full_and_relative(workshop.starts_at),
                location=workshop.location,
                taken=seats.taken,
                capacity=seats.capacity,
            ),
            inline=False,
        )
    return fit_embed(embed)


def mine_line(t: Translate, workshop: Workshop, status: str, position: int) -> str:
    """One line of /workshop mine: the workshop, its start, and the member's place."""
    fields = {"id": workshop.id, "title": workshop.title, "start": full_and_relative(workshop.starts_at)}
    if status == REGISTERED:
        return t("• #{id} **{title}**: {start} (registered)", **fields)
    return t("• #{id} **{title}**: {start} (waitlist, number {n:n})", n=position, **fields)


def registration_text(t: Translate, result: Registration) -> str:
    """What a member who pressed Register is told: a seat, a place on the waitlist, or where they
    already stand."""
    title = result.workshop.title
    if result.already:
        if result.status == REGISTERED:
            return t("You are already registered for **{title}**.", title=title)
        return t(
            "You are already on the waitlist for **{title}**, number {n:n}.", title=title, n=result.position
        )
    if result.status == REGISTERED:
        return t(
            "You are registered for **{title}**, {start}. You will get reminders by direct message.",
            title=title,
            start=full_and_relative(result.workshop.starts_at),
        )
    return t(
        "**{title}** is full: you are number {n:n} on the waitlist. "
        "You will get a direct message if a seat frees up.",
        title=title,
        n=result.position,
    )


class RegisterButton(
    PersistentButton[int], prefix="workshop:register", style=discord.ButtonStyle.success, label=_("Register")
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        # In line first (before anything can await), in the order Discord created the clicks.
        asked = interaction.client.services.workshops.register(
            self.key, asker(interaction), at=interaction.created_at, order=interaction.id
        )
        result = await decided(interaction, asked)
        t = await translator_for(interaction)
        await send_ephemeral(interaction, registration_text(t, result))


class LeaveButton(PersistentButton[int], prefix="workshop:leave", label=_("Leave")):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        asked = interaction.client.services.workshops.leave(
            self.key, interaction.user.id, order=interaction.id
        )
        result = await decided(interaction, asked)
        t = await translator_for(interaction)
        title = result.workshop.title
        await send_ephemeral(
            interaction,
            t("You left **{title}**.", title=title)
            if result.previous == REGISTERED
            else t("You left the waitlist of **{title}**.", title=title),
        )
        for user_id in result.promoted:
            await tell_promoted(interaction.client, result.workshop, user_id)


def calendar_feed(settings: Settings, workshop_id: int) -> str | None:
    """The workshop's calendar feed on the web pages, when they have a public address."""
    base = settings.public_web_base_url
    return f"{base}/workshops/{workshop_id}.ics" if base else None


def announcement_view(
    t: Translate, workshop: Workshop, *, here: bool = False, feed: str | None = None
) -> discord.ui.View | None:
    """Register and Leave while the workshop is open (and I'm here while check-in is, ``here``),
    and a link to its calendar feed (``feed``: a subscribed calendar follows every change);
    nothing once it is cancelled or ended."""
    if workshop.status != SCHEDULED:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(RegisterButton(workshop.id, t("Register")))
    view.add_item(LeaveButton(workshop.id, t("Leave")))
    if here:
        view.add_item(here_button(t, workshop))
    if feed is not None:
        view.add_item(discord.ui.Button(label=fit(t("Add to my calendar (.ics)"), BUTTON_LABEL), url=feed))
    return view


def text_input(
    custom_id: str, label: str, field: TextField, default: str | None, **kwargs: Any
) -> discord.ui.TextInput[Any]:
    """A form field with the bounds of its ``bot.fields`` declaration (the service checks them
    again); its label and pre-filled value fitted, since Discord refuses a whole form for either."""
    required = kwargs.pop("required", True)
    return discord.ui.TextInput(
        custom_id=custom_id,
        label=fit(label, INPUT_LABEL),
        min_length=field.min_length if required else None,
        max_length=field.max_length,
        required=required,
        default=fit(default, field.max_length) if default else None,
        **kwargs,
    )


class WorkshopModal(BotModal):
    """The form of /workshop-admin create and edit; ``submit`` gets what staff typed with the options."""

    def __init__(
        self,
        t: Translate,
        options: FormOptions,
        submit: FormSubmit,
        *,
        tz: ZoneInfo,
        workshop: Workshop | None = None,
    ) -> None:
        super().__init__(
            title=fit(t("Edit workshop") if workshop else t("New workshop"), MODAL_TITLE), timeout=900
        )
        self.options = options
        self.submit = submit
        self.title_input = text_input(
            "title", t("Title"), WORKSHOP_TITLE, workshop.title if workshop else None
        )
        self.starts_input = text_input(
            "starts",
            t("Starts (e.g. 2027-08-20 09:00)"),
            WORKSHOP_TIME,
            local_input(workshop.starts_at, tz) if workshop else None,
        )
        self.ends_input = text_input(
            "ends",
            t("Ends (e.g. 20 Aug 2027 5pm)"),
            WORKSHOP_TIME,
            local_input(workshop.ends_at, tz) if workshop else None,
        )
        self.location_input = text_input(
            "location", t("Location"), WORKSHOP_LOCATION, workshop.location if workshop else None
        )
        self.description_input = text_input(
            "description",
            t("Description"),
            WORKSHOP_DESCRIPTION,
            workshop.description if workshop else None,
            style=discord.TextStyle.paragraph,
            required=False,
        )
        for item in (
            self.title_input,
            self.starts_input,
            self.ends_input,
            self.location_input,
            self.description_input,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        form = self.options.form(
            title=self.title_input.value,
            starts=self.starts_input.value,
            ends=self.ends_input.value,
            location=self.location_input.value,
            description=self.description_input.value or "",
        )
        await self.submit(interaction, form)
