"""The park directory: /park search, info, list and stats for everyone; add, edit and remove for staff."""

from __future__ import annotations

import asyncio
import io
import logging
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.errors import DomainError
from bot.i18n import DEFAULT_LANGUAGE, Country, Listing, _
from bot.services.parks import (
    FOCUS_VOCABULARY,
    REGIONS,
    LinkedMember,
    ParkDraft,
    ParkRecord,
    ParkService,
    country_name,
    flag,
    resolve_country,
    search_countries,
    split_list,
)
from bot.ui.charts import TOP_COUNTRIES, directory_chart, font_families
from bot.ui.checks import staff_only
from bot.ui.text import Translate, language_of, server_translator, translate_in, translator_for
from bot.ui.views import BotModal, BotView, PersistentButton

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

PAGE_SIZE = 15  # parks per page of /park list
MAX_LINKED = 20  # verified members shown on a card
FOCUS_EXAMPLE = ("ICT", "AI", "Biotechnology")  # the modal's placeholder, in the reader's language
REGION_CHOICES = [app_commands.Choice(name=locale_str(region), value=region) for region in REGIONS]
Render = Callable[[int], tuple[discord.Embed, str | None]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def park_card(
    t: Translate,
    park: ParkRecord,
    *,
    member: bool = False,
    linked: list[LinkedMember] | None = None,
) -> discord.Embed:
    """The info card of one park."""
    lines = []
    if member:
        lines.append("🏅 " + t("**CISIP member park**"))
    if park.local_name:
        lines.append(f"*{park.local_name}*")
    if park.description:
        lines.append(park.description)
    embed = discord.Embed(
        title=_clip(f"{flag(park.country)} {park.name}", 256),
        description=_clip("\n\n".join(lines), 4000) or None,
        url=park.website or None,
        colour=discord.Colour.gold() if member else discord.Colour.blue(),
    )
    embed.add_field(name=t("Country"), value=f"{flag(park.country)} {t(Country(park.country))}", inline=True)
    embed.add_field(name=t("City"), value=park.city or "—", inline=True)
    embed.add_field(name=t("Founded"), value=str(park.established or "—"), inline=True)
    embed.add_field(name=t("Region"), value=t(park.region), inline=True)
    embed.add_field(name=t("Focus"), value=t(Listing.labels(park.focus)) or "—", inline=True)
    if park.aliases:
        embed.add_field(name=t("Also known as"), value=_clip(", ".join(park.aliases), 1024), inline=False)
    if park.website:
        embed.add_field(name=t("Website"), value=_clip(park.website, 1024), inline=False)
    if park.source:
        embed.add_field(name=t("Source"), value=_clip(park.source, 1024), inline=False)
    if linked:
        shown = [f"<@{m.user_id}> ({m.organization})" for m in linked[:MAX_LINKED]]
        if len(linked) > MAX_LINKED:
            shown.append(t("and {count:n} more", count=len(linked) - MAX_LINKED))
        embed.add_field(name=t("Verified members"), value=_clip("\n".join(shown), 1024), inline=False)
    embed.set_footer(text=park.slug)
    return embed


def stats_chart(
    by_country: Counter[str], by_region: Counter[str], by_decade: Counter[int], language: str
) -> bytes:
    """The directory chart labelled in ``language`` if the installed fonts can draw it, else in English."""
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        t = partial(translate_in, lang)
        title = t("CISIP park directory: {count:n} parks", count=sum(by_country.values()))
        labels = (
            t("Parks per country (top {count:n})", count=TOP_COUNTRIES),
            t("Parks per region"),
            t("Parks per founding decade"),
        )
        countries = {code: country_name(code, lang) for code, _n in by_country.most_common(TOP_COUNTRIES)}
        regions = {region: t(region) for region in by_region}
        decades = {decade: t("{decade}s", decade=decade) for decade in by_decade}
        fonts = font_families([title, *labels, *countries.values(), *regions.values(), *decades.values()])
        if fonts is not None or lang == DEFAULT_LANGUAGE:
            break
    return directory_chart(
        by_country,
        by_region,
        by_decade,
        title=title,
        labels=labels,
        country_names=countries,
        region_names=regions,
        decade_names=decades,
        fonts=fonts,
    )


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
        cog = interaction.client.get_cog("Parks")
        if not isinstance(cog, Parks):
            raise DomainError("The park directory is not available right now.")
        park = cog.service.get(self.key)
        # A post in the channel: the server's language, whoever pressed the button.
        t = await server_translator(interaction.client, interaction.guild_id)
        card = await cog.card(t, park, interaction.guild_id)
        await interaction.response.send_message(
            t("{user} shared a park from the directory.", user=interaction.user.mention), embed=card
        )


class Pager(BotView):
    """Previous / Next through pages rendered on demand, with a Share button when a page is one park."""

    def __init__(self, t: Translate, owner_id: int, pages: int, render: Render) -> None:
        super().__init__(timeout=900)
        self.t, self.owner_id, self.pages, self.render, self.page = t, owner_id, pages, render, 0
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

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.owner_id

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(embed=self.show(self.page - 1), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(embed=self.show(self.page + 1), view=self)


class ParkModal(BotModal):
    """The text fields of a park; the structured ones come from the slash command's options."""

    def __init__(
        self,
        t: Translate,
        title: str,
        draft: ParkDraft,
        on_done: Callable[[discord.Interaction[CisipBot], ParkDraft], Any],
    ) -> None:
        super().__init__(title=_clip(title, 45), timeout=900)
        self.draft, self.on_done = draft, on_done
        self.name_input: discord.ui.TextInput[ParkModal] = discord.ui.TextInput(
            custom_id="park:name", label=t("Name (English)"), default=draft.name or None, max_length=200
        )
        self.local_input: discord.ui.TextInput[ParkModal] = discord.ui.TextInput(
            custom_id="park:local_name",
            label=t("Name in the local script"),
            default=draft.local_name or None,
            required=False,
            max_length=200,
        )
        self.aliases_input: discord.ui.TextInput[ParkModal] = discord.ui.TextInput(
            custom_id="park:aliases",
            label=t("Aliases, separated by ;"),
            default=draft.aliases or None,
            required=False,
            max_length=400,
            placeholder="ZGC; Z-Park",
        )
        self.focus_input: discord.ui.TextInput[ParkModal] = discord.ui.TextInput(
            custom_id="park:focus",
            label=t("Focus industries, separated by ;"),
            default="; ".join(t(f) for f in split_list(draft.focus)) or None,
            required=False,
            max_length=400,
            placeholder="; ".join(t(f) for f in FOCUS_EXAMPLE),
        )
        self.description_input: discord.ui.TextInput[ParkModal] = discord.ui.TextInput(
            custom_id="park:description",
            label=t("Description"),
            style=discord.TextStyle.paragraph,
            default=draft.description or None,
            required=False,
            max_length=1000,
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
    def __init__(self, t: Translate, cog: Parks, park: ParkRecord, owner_id: int) -> None:
        super().__init__(timeout=300)
        self.t, self.cog, self.park, self.owner_id = t, cog, park, owner_id
        self.confirm.label = t("Remove")
        self.cancel.label = t("Cancel")

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.owner_id

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[CisipBot], _button: discord.ui.Button[Any]
    ) -> None:
        park = await self.cog.service.remove(self.park.slug)
        await self.cog.bot.audit(
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


@app_commands.guild_only()
class ParkGroup(app_commands.Group):
    def __init__(self, cog: Parks) -> None:
        super().__init__(name="park", description=locale_str("Find science and technology parks"))
        self.cog = cog

    @property
    def service(self) -> ParkService:
        return self.cog.service

    # -- autocomplete ---------------------------------------------------------------------------

    async def park_names(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(
                name=_clip(f"{p.name} ({p.city or p.country})" if p.city else p.name, 100), value=p.slug
            )
            for p in self.service.autocomplete(current, 25)
        ]

    async def countries(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        language = await language_of(interaction)
        present = {p.country for p in self.service.records.values()}
        found = search_countries(current, language, limit=300)
        found.sort(key=lambda item: item[0] not in present)  # countries with parks first
        return [
            app_commands.Choice(name=_clip(f"{flag(code)} {name} ({code})", 100), value=code)
            for code, name in found[:25]
        ]

    async def focuses(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        t = await translator_for(interaction)
        q = current.casefold().strip()
        values = self.service.focus_values() or list(FOCUS_VOCABULARY)
        return [
            app_commands.Choice(name=t(f), value=f)
            for f in values
            if q in f.casefold() or q in t(f).casefold()
        ][:25]

    # -- members --------------------------------------------------------------------------------

    @app_commands.command(name="search", description=locale_str("Search the park directory"))
    @app_commands.describe(
        query=locale_str("Part of a name, an alias or a Chinese name; typos are fine"),
        country=locale_str("Only parks in this country"),
        region=locale_str("Only parks in this region"),
        focus=locale_str("Only parks with this focus industry"),
    )
    @app_commands.choices(region=REGION_CHOICES)
    async def search(
        self,
        interaction: discord.Interaction[CisipBot],
        query: str,
        country: str | None = None,
        region: app_commands.Choice[str] | None = None,
        focus: str | None = None,
    ) -> None:
        t = await translator_for(interaction)
        found = self.service.search(
            query, country=country, region=region.value if region else None, focus=focus, limit=25
        )
        cards: dict[int, discord.Embed] = {}
        members = {p.slug: await self.cog.is_member(interaction.guild_id, p) for p in found}

        def render(page: int) -> tuple[discord.Embed, str | None]:
            park = found[page]
            if page not in cards:
                cards[page] = park_card(t, park, member=members[park.slug])
                cards[page].set_footer(
                    text=t(
                        "Result {n:n} of {total:n} for '{query}'", n=page + 1, total=len(found), query=query
                    )
                )
            return cards[page], park.slug

        view = Pager(t, interaction.user.id, len(found), render)
        await interaction.response.send_message(embed=view.show(0), view=view, ephemeral=True)

    @search.autocomplete("country")
    async def search_country(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.countries(interaction, current)

    @search.autocomplete("focus")
    async def search_focus(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.focuses(interaction, current)

    @app_commands.command(name="info", description=locale_str("Show a park's card"))
    @app_commands.describe(name=locale_str("The park"))
    async def info(self, interaction: discord.Interaction[CisipBot], name: str) -> None:
        t = await translator_for(interaction)
        park = self.service.get(name)
        card = await self.cog.card(t, park, interaction.guild_id)
        view = BotView(timeout=900)
        view.add_item(ShareButton(park.slug, t("Share")))
        await interaction.response.send_message(embed=card, view=view, ephemeral=True)

    @info.autocomplete("name")
    async def info_name(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.park_names(interaction, current)

    @app_commands.command(name="list", description=locale_str("List the parks of a country or a region"))
    @app_commands.describe(country=locale_str("A country"), region=locale_str("A region"))
    @app_commands.choices(region=REGION_CHOICES)
    async def list_(
        self,
        interaction: discord.Interaction[CisipBot],
        country: str | None = None,
        region: app_commands.Choice[str] | None = None,
    ) -> None:
        t = await translator_for(interaction)
        if country is None and region is None:
            raise DomainError("Choose a country or a region to list.")
        code = resolve_country(country) if country is not None else None  # a code or a name, any language
        parks = self.service.in_place(code, region.value if region else None)
        titles = []
        if code is not None:
            titles.append(f"{flag(code)} {t(Country(code))}")
        if region is not None:
            titles.append(t(region.value))
        title = " · ".join(titles)
        if not parks:
            raise DomainError("The directory has no parks in {place} yet.", place=title)
        pages = (len(parks) + PAGE_SIZE - 1) // PAGE_SIZE

        def render(page: int) -> tuple[discord.Embed, str | None]:
            chunk = parks[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            lines = [
                f"{flag(p.country)} **{p.name}**"
                + (f" — {p.city}" if p.city else "")
                + (f" ({p.established})" if p.established else "")
                for p in chunk
            ]
            embed = discord.Embed(
                title=_clip(t("Parks in {place}", place=title), 256),
                description="\n".join(lines),
                colour=discord.Colour.blue(),
            )
            embed.set_footer(
                text=t(
                    "{count:n} parks · page {page:n} of {pages:n} · /park info shows a card",
                    count=len(parks),
                    page=page + 1,
                    pages=pages,
                )
            )
            return embed, None

        view = Pager(t, interaction.user.id, pages, render)
        await interaction.response.send_message(embed=view.show(0), view=view, ephemeral=True)

    @list_.autocomplete("country")
    async def list_country(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.countries(interaction, current)

    @app_commands.command(name="stats", description=locale_str("A chart of the directory"))
    async def stats(self, interaction: discord.Interaction[CisipBot]) -> None:
        t = await translator_for(interaction)
        by_country, by_region, by_decade = self.service.stats()
        if not by_country:
            raise DomainError("The directory is empty.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        png = await asyncio.to_thread(
            stats_chart, by_country, by_region, by_decade, await language_of(interaction)
        )
        await interaction.followup.send(
            t(
                "{parks:n} parks in {countries:n} countries and {regions:n} regions.",
                parks=sum(by_country.values()),
                countries=len(by_country),
                regions=len(by_region),
            ),
            file=discord.File(fp=io.BytesIO(png), filename="park-directory.png"),
            ephemeral=True,
        )

    # -- staff ----------------------------------------------------------------------------------

    @app_commands.command(name="add", description=locale_str("Staff: add a park to the directory"))
    @app_commands.describe(
        country=locale_str("The park's country"),
        region=locale_str("The park's region"),
        city=locale_str("The park's city"),
        established=locale_str("The year the park was founded"),
        website=locale_str("The park's website (https://...)"),
        source=locale_str("Where the facts come from (https://...)"),
        cisip_member=locale_str("Whether the park is a CISIP member"),
    )
    @app_commands.choices(region=REGION_CHOICES)
    @staff_only()
    async def add(
        self,
        interaction: discord.Interaction[CisipBot],
        country: str,
        region: app_commands.Choice[str],
        city: app_commands.Range[str, 1, 100] | None = None,
        established: app_commands.Range[int, 1900, 2100] | None = None,
        website: app_commands.Range[str, 1, 500] | None = None,
        source: app_commands.Range[str, 1, 500] | None = None,
        cisip_member: bool = False,
    ) -> None:
        t = await translator_for(interaction)
        draft = ParkDraft(
            name="",
            country=country,
            region=region.value,
            city=city or "",
            established=str(established or ""),
            website=website or "",
            source=source or "",
            cisip_member=cisip_member,
        )
        self.service.validate(ParkDraft(**{**draft.__dict__, "name": "-"}))  # refuse before the modal

        async def done(modal_interaction: discord.Interaction[CisipBot], filled: ParkDraft) -> None:
            park = await self.service.add(filled)
            await self.cog.bot.audit(
                modal_interaction.guild, modal_interaction.user, "park.add", f"{park.name} ({park.slug})"
            )
            card = await self.cog.card(t, park, modal_interaction.guild_id)
            await modal_interaction.response.send_message(
                t("{name} was added to the directory.", name=park.name), embed=card, ephemeral=True
            )

        await interaction.response.send_modal(ParkModal(t, t("Add a park"), draft, done))

    @add.autocomplete("country")
    async def add_country(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.countries(interaction, current)

    @app_commands.command(name="edit", description=locale_str("Staff: edit a park"))
    @app_commands.describe(
        name=locale_str("The park"),
        country=locale_str("The park's country"),
        region=locale_str("The park's region"),
        city=locale_str("The park's city"),
        established=locale_str("The year the park was founded"),
        website=locale_str("The park's website (https://...)"),
        source=locale_str("Where the facts come from (https://...)"),
        cisip_member=locale_str("Whether the park is a CISIP member"),
    )
    @app_commands.choices(region=REGION_CHOICES)
    @staff_only()
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        name: str,
        country: str | None = None,
        region: app_commands.Choice[str] | None = None,
        city: app_commands.Range[str, 1, 100] | None = None,
        established: app_commands.Range[int, 1900, 2100] | None = None,
        website: app_commands.Range[str, 1, 500] | None = None,
        source: app_commands.Range[str, 1, 500] | None = None,
        cisip_member: bool | None = None,
    ) -> None:
        t = await translator_for(interaction)
        park = self.service.get(name)
        draft = ParkDraft(
            slug=park.slug,
            name=park.name,
            local_name=park.local_name,
            aliases="; ".join(park.aliases),
            focus="; ".join(park.focus),
            description=park.description,
            country=country or park.country,
            region=region.value if region else park.region,
            city=city if city is not None else park.city,
            established=str(established or park.established or ""),
            website=website if website is not None else park.website,
            source=source if source is not None else park.source,
            cisip_member=park.cisip_member if cisip_member is None else cisip_member,
        )
        self.service.validate(ParkDraft(**draft.__dict__))  # refuse bad options before the modal

        async def done(modal_interaction: discord.Interaction[CisipBot], filled: ParkDraft) -> None:
            edited = await self.service.edit(park.slug, filled)
            await self.cog.bot.audit(
                modal_interaction.guild, modal_interaction.user, "park.edit", f"{edited.name} ({edited.slug})"
            )
            card = await self.cog.card(t, edited, modal_interaction.guild_id)
            await modal_interaction.response.send_message(
                t("{name} was updated.", name=edited.name), embed=card, ephemeral=True
            )

        await interaction.response.send_modal(ParkModal(t, t("Edit {name}", name=park.name), draft, done))

    @edit.autocomplete("name")
    async def edit_name(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.park_names(interaction, current)

    @edit.autocomplete("country")
    async def edit_country(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.countries(interaction, current)

    @app_commands.command(name="remove", description=locale_str("Staff: remove a park from the directory"))
    @app_commands.describe(name=locale_str("The park"))
    @staff_only()
    async def remove(self, interaction: discord.Interaction[CisipBot], name: str) -> None:
        t = await translator_for(interaction)
        park = self.service.get(name)
        card = await self.cog.card(t, park, interaction.guild_id)
        await interaction.response.send_message(
            t("Remove {name} from the directory?", name=park.name),
            embed=card,
            view=ConfirmRemove(t, self.cog, park, interaction.user.id),
            ephemeral=True,
        )

    @remove.autocomplete("name")
    async def remove_name(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.park_names(interaction, current)


class Parks(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.service = bot.services.parks

    async def cog_load(self) -> None:
        result = await self.service.seed()
        log.info(
            "park directory: %d parks (%d seeded, %d refreshed, %d kept as staff left them)",
            len(self.service.records),
            result.added,
            result.updated,
            result.kept,
        )

    async def is_member(self, guild_id: int | None, park: ParkRecord) -> bool:
        if guild_id is None:
            return park.cisip_member
        return await self.service.is_member_park(guild_id, park)

    async def card(self, t: Translate, park: ParkRecord, guild_id: int | None) -> discord.Embed:
        linked = await self.service.linked_members(guild_id, park.slug) if guild_id else []
        return park_card(t, park, member=await self.is_member(guild_id, park), linked=linked)


async def setup(bot: CisipBot) -> None:
    cog = Parks(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(ParkGroup(cog))
    bot.add_dynamic_items(ShareButton)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("park")
    bot.remove_dynamic_items(ShareButton)
