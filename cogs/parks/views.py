"""What /park shows: the park card, the list page, the pager, the Share button, the park form and the
remove confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.fields import PARK_ALIASES, PARK_DESCRIPTION, PARK_FOCUS, PARK_LOCAL_NAME, PARK_NAME, TextField
from bot.i18n import Country, Listing, _
from bot.services.parks import ParkCard, ParkDraft, ParkList, ParkRecord, flag, split_list
from bot.ui.limits import (
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_VALUE,
    INPUT_LABEL,
    MODAL_TITLE,
    PLACEHOLDER,
    fit,
    fit_embed,
)
from bot.ui.text import Translate, server_translator
from bot.ui.views import BotModal, BotView, PersistentButton

if TYPE_CHECKING:
    from bot.client import CisipBot

PAGE_SIZE = 15  # parks per page of /park list
MAX_LINKED = 20  # verified members shown on a card
FOCUS_EXAMPLE = ("ICT", "AI", "Biotechnology")  # the form's placeholder, in the reader's language
Render = Callable[[int], tuple[discord.Embed, str | None]]


def park_card(t: Translate, card: ParkCard) -> discord.Embed:
    """The info card of one park."""
    park = card.park
    lines = []
    if card.member:
        lines.append("🏅 " + t("**CISIP member park**"))
    if park.local_name:
        lines.append(f"*{park.local_name}*")
    if park.description:
        lines.append(park.description)
    embed = discord.Embed(
        title=fit(f"{flag(park.country)} {park.name}", EMBED_TITLE),
        description=fit("\n\n".join(lines), EMBED_DESCRIPTION) or None,
        url=park.website or None,
        colour=discord.Colour.gold() if card.member else discord.Colour.blue(),
    )
    embed.add_field(name=t("Country"), value=f"{flag(park.country)} {t(Country(park.country))}", inline=True)
    embed.add_field(name=t("City"), value=fit(park.city, FIELD_VALUE) or "—", inline=True)
    embed.add_field(name=t("Founded"), value=str(park.established or "—"), inline=True)
    embed.add_field(name=t("Region"), value=t(park.region), inline=True)
    embed.add_field(
        name=t("Focus"), value=fit(t(Listing.labels(park.focus)), FIELD_VALUE) or "—", inline=True
    )
    if park.aliases:
        embed.add_field(
            name=t("Also known as"), value=fit(", ".join(park.aliases), FIELD_VALUE), inline=False
        )
    if park.website:
        embed.add_field(name=t("Website"), value=fit(park.website, FIELD_VALUE), inline=False)
    if park.source:
        embed.add_field(name=t("Source"), value=fit(park.source, FIELD_VALUE), inline=False)
    if card.linked:
        shown = [f"<@{m.user_id}> ({m.organization})" for m in card.linked[:MAX_LINKED]]
        if len(card.linked) > MAX_LINKED:
            shown.append(t("and {count:n} more", count=len(card.linked) - MAX_LINKED))
        embed.add_field(name=t("Verified members"), value=fit("\n".join(shown), FIELD_VALUE), inline=False)
    embed.set_footer(text=park.slug)
    return fit_embed(embed)


def list_page(t: Translate, listing: ParkList, page: int) -> discord.Embed:
    """One page of /park list."""
    chunk = listing.parks[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [
        f"{flag(p.country)} **{p.name}**"
        + (f" — {p.city}" if p.city else "")
        + (f" ({p.established})" if p.established else "")
        for p in chunk
    ]
    embed = discord.Embed(
        title=fit(t("Parks in {place}", place=listing.place), EMBED_TITLE),
        description=fit("\n".join(lines), EMBED_DESCRIPTION),
        colour=discord.Colour.blue(),
    )
    embed.set_footer(
        text=t(
            "{count:n} parks · page {page:n} of {pages:n} · /park info shows a card",
            count=len(listing.parks),
            page=page + 1,
            pages=list_pages(listing),
        )
    )
    return fit_embed(embed)


def list_pages(listing: ParkList) -> int:
    return (len(listing.parks) + PAGE_SIZE - 1) // PAGE_SIZE


class ShareButton(
    PersistentButton[str],
    prefix="park:share",
    key="[a-z0-9-]+",
    key_type=str,
    style=discord.ButtonStyle.primary,
    label=_("Share"),
):
    """Post a park's card in the channel (works after a restart: the slug is in the custom id)."""

    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        parks = interaction.client.services.parks
        park = parks.get(self.key)
        # A post in the channel: the server's language, whoever pressed the button.
        t = await server_translator(interaction.client, interaction.guild_id)
        card = park_card(t, await parks.card(interaction.guild_id, park))
        await interaction.response.send_message(
            t("{user} shared a park from the directory.", user=interaction.user.mention), embed=card
        )


class Pager(BotView):
    """Previous / Next through pages rendered on demand, with a Share button when a page is one park."""

    def __init__(self, t: Translate, owner_id: int, pages: int, render: Render) -> None:
        super().__init__(timeout=900, owner_id=owner_id)
        self.t, self.pages, self.render, self.page = t, pages, render, 0
        self.previous.label = t("Previous")
        self.next.label = t("Next")
        self.share: ShareButton | None = None

    def show(self, page: int) -> discord.Embed:
        self.page = max(0, min(page, self.pages - 1))
        embed, slug = self.render(self.page)
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        if self.share is not None:
            self.remove_item(self.share)
            self.share = None
        if slug is not None:
            self.share = ShareButton(slug, self.t("Share"))
            self.add_item(self.share)
        if self.pages <= 1:
            self.remove_item(self.previous).remove_item(self.next)
        return embed

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(embed=self.show(self.page - 1), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(embed=self.show(self.page + 1), view=self)


def card_view(t: Translate, park: ParkRecord) -> BotView:
    """A card's buttons: Share."""
    view = BotView(timeout=900)
    view.add_item(ShareButton(park.slug, t("Share")))
    return view


def text_input(
    custom_id: str,
    label: str,
    field: TextField,
    default: str,
    *,
    required: bool = False,
    placeholder: str | None = None,
) -> discord.ui.TextInput[Any]:
    """A form field declared with its ``bot.fields`` bounds; a default that would not fit (Discord
    refuses the whole form) is cut, and the label and placeholder fitted."""
    return discord.ui.TextInput(
        custom_id=custom_id,
        label=fit(label, INPUT_LABEL),
        style=discord.TextStyle.paragraph if field.multiline else discord.TextStyle.short,
        default=fit(default, field.max_length) or None,
        required=required,
        min_length=field.min_length,
        max_length=field.max_length,
        placeholder=fit(placeholder, PLACEHOLDER) if placeholder else None,
    )


class ParkModal(BotModal):
    """The text fields of a park; the structured ones come from the slash command's options."""

    def __init__(
        self,
        t: Translate,
        title: str,
        draft: ParkDraft,
        on_done: Callable[[discord.Interaction[CisipBot], ParkDraft], Any],
    ) -> None:
        super().__init__(title=fit(title, MODAL_TITLE), timeout=900)
        self.draft, self.on_done = draft, on_done
        self.name_input = text_input("park:name", t("Name (English)"), PARK_NAME, draft.name, required=True)
        self.local_input = text_input(
            "park:local_name", t("Name in the local script"), PARK_LOCAL_NAME, draft.local_name
        )
        self.aliases_input = text_input(
            "park:aliases",
            t("Aliases, separated by ;"),
            PARK_ALIASES,
            draft.aliases,
            placeholder="ZGC; Z-Park",
        )
        self.focus_input = text_input(
            "park:focus",
            t("Focus industries, separated by ;"),
            PARK_FOCUS,
            "; ".join(t(f) for f in split_list(draft.focus)),
            placeholder="; ".join(t(f) for f in FOCUS_EXAMPLE),
        )
        self.description_input = text_input(
            "park:description", t("Description"), PARK_DESCRIPTION, draft.description
        )
        for item in (
            self.name_input,
            self.local_input,
            self.aliases_input,
            self.focus_input,
            self.description_input,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        self.draft.name = self.name_input.value
        self.draft.local_name = self.local_input.value
        self.draft.aliases = self.aliases_input.value
        self.draft.focus = self.focus_input.value
        self.draft.description = self.description_input.value
        await self.on_done(interaction, self.draft)


class ConfirmRemove(BotView):
    """Remove / Cancel under the card of a park staff asked to remove."""

    def __init__(self, t: Translate, park: ParkRecord, owner_id: int) -> None:
        super().__init__(timeout=300, owner_id=owner_id)
        self.t, self.park = t, park
        self.confirm.label = t("Remove")
        self.cancel.label = t("Cancel")

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[CisipBot], _button: discord.ui.Button[Any]
    ) -> None:
        park = await interaction.client.services.parks.remove(self.park.slug)
        await interaction.client.audit(
            interaction.guild, interaction.user, "park.remove", f"{park.name} ({park.slug})"
        )
        self.stop()
        await interaction.response.edit_message(
            content=self.t("{name} was removed from the directory.", name=park.name), embed=None, view=None
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[CisipBot], _button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.t("Nothing was removed."), embed=None, view=None)
