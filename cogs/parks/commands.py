"""The /park group: search, info, list and stats for everyone; add, edit and remove for staff. Every
rule (what matches, which parks count as members, what may be listed or saved) is the park service's."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.services.parks import REGIONS, ParkCard, ParkDraft, ParkRecord, ParkService, flag
from bot.ui.checks import is_staff, staff_only
from bot.ui.text import Translate, language_of, translator_for
from cogs.parks.chart import stats_chart
from cogs.parks.views import (
    ConfirmRemove,
    Pager,
    ParkModal,
    card_view,
    clip,
    list_page,
    list_pages,
    park_card,
)

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

REGION_CHOICES = [app_commands.Choice(name=locale_str(region), value=region) for region in REGIONS]


class Parks(commands.Cog):
    """Loads the directory (seeding it from data/parks.csv) when the extension loads."""

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        service = self.bot.services.parks
        result = await service.seed()
        log.info(
            "park directory: %d parks (%d seeded, %d refreshed, %d kept as staff left them)",
            len(service.records),
            result.added,
            result.updated,
            result.kept,
        )


async def card_of(
    interaction: discord.Interaction[CisipBot], t: Translate, park: ParkRecord
) -> discord.Embed:
    """``park``'s card as this server shows it."""
    return park_card(t, await interaction.client.services.parks.card(interaction.guild_id, park))


@app_commands.guild_only()
class ParkGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="park", description=locale_str("Find science and technology parks"))
        self.bot = bot

    @property
    def service(self) -> ParkService:
        return self.bot.services.parks

    # -- autocomplete ---------------------------------------------------------------------------

    async def park_names(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(
                name=clip(f"{p.name} ({p.city or p.country})" if p.city else p.name, 100), value=p.slug
            )
            for p in self.service.autocomplete(current, 25)
        ]

    async def staff_park_names(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        # Autocomplete runs before any check: a staff command suggests nothing to anyone else.
        if not await is_staff(interaction):
            return []
        return await self.park_names(interaction, current)

    async def countries(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        language = await language_of(interaction)
        return [
            app_commands.Choice(name=clip(f"{flag(code)} {name} ({code})", 100), value=code)
            for code, name in self.service.country_choices(current, language)
        ]

    async def focuses(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        language = await language_of(interaction)
        return [
            app_commands.Choice(name=name, value=focus)
            for focus, name in self.service.focus_choices(current, language)
        ]

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
        members = await self.service.member_parks(interaction.guild_id)  # one lookup for every result
        cards: dict[int, discord.Embed] = {}

        def render(page: int) -> tuple[discord.Embed, str | None]:
            park = found[page]
            if page not in cards:
                cards[page] = park_card(t, ParkCard(park, member=members.includes(park)))
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
        await interaction.response.send_message(
            embed=await card_of(interaction, t, park), view=card_view(t, park), ephemeral=True
        )

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
        listing = self.service.listing(country, region.value if region else None)
        view = Pager(
            t, interaction.user.id, list_pages(listing), lambda page: (list_page(t, listing, page), None)
        )
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
        self.service.check_options(draft)  # refuse before the form opens

        async def done(modal_interaction: discord.Interaction[CisipBot], filled: ParkDraft) -> None:
            park = await self.service.add(filled)
            await self.bot.audit(
                modal_interaction.guild, modal_interaction.user, "park.add", f"{park.name} ({park.slug})"
            )
            await modal_interaction.response.send_message(
                t("{name} was added to the directory.", name=park.name),
                embed=await card_of(modal_interaction, t, park),
                ephemeral=True,
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
        # The park as it is, with the options given changing their fields.
        draft = ParkDraft.of(park)
        draft.country = country or draft.country
        draft.region = region.value if region else draft.region
        draft.city = city if city is not None else draft.city
        draft.established = str(established) if established else draft.established
        draft.website = website if website is not None else draft.website
        draft.source = source if source is not None else draft.source
        draft.cisip_member = draft.cisip_member if cisip_member is None else cisip_member
        self.service.check_options(draft)  # refuse bad options before the form opens

        async def done(modal_interaction: discord.Interaction[CisipBot], filled: ParkDraft) -> None:
            edited = await self.service.edit(park.slug, filled)
            await self.bot.audit(
                modal_interaction.guild, modal_interaction.user, "park.edit", f"{edited.name} ({edited.slug})"
            )
            await modal_interaction.response.send_message(
                t("{name} was updated.", name=edited.name),
                embed=await card_of(modal_interaction, t, edited),
                ephemeral=True,
            )

        await interaction.response.send_modal(ParkModal(t, t("Edit {name}", name=park.name), draft, done))

    @edit.autocomplete("name")
    async def edit_name(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.staff_park_names(interaction, current)

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
        await interaction.response.send_message(
            t("Remove {name} from the directory?", name=park.name),
            embed=await card_of(interaction, t, park),
            view=ConfirmRemove(t, park, interaction.user.id),
            ephemeral=True,
        )

    @remove.autocomplete("name")
    async def remove_name(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.staff_park_names(interaction, current)
