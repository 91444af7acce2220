"""/park (search, info, list and stats, for everyone) and /park-admin (add, edit and remove, for staff,
hidden from members by ``STAFF_DEFAULT_PERMISSIONS``). Every rule (what matches, which parks count as
members, what may be listed or saved) is the park service's."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.fields import (
    COUNTRY_TEXT,
    FOCUS_TEXT,
    PARK_CITY,
    PARK_ESTABLISHED,
    PARK_QUERY,
    PARK_REFERENCE,
    WEB_ADDRESS,
    canonical_text,
)
from bot.services.park_chart import stats_chart
from bot.services.parks import REGIONS, ParkCard, ParkDraft, ParkRecord, ParkService, flag
from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, staff_only
from bot.ui.limits import CHOICE_NAME, fit, fit_embed
from bot.ui.references import Reference
from bot.ui.services import services_of
from bot.ui.text import Translate, language_of, translator_for
from cogs.parks.views import ConfirmRemove, Pager, ParkModal, card_view, list_page, list_pages, park_card

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

REGION_CHOICES = [app_commands.Choice(name=locale_str(region), value=region) for region in REGIONS]


async def find_park(interaction: discord.Interaction[CisipBot], typed: str, staff: bool) -> ParkRecord:
    """The park an option names (the service decides: a slug, a typed name, "No park matches")."""
    return services_of(interaction.client).parks.find(typed)


async def suggest_parks(
    interaction: discord.Interaction[CisipBot], typed: str, staff: bool
) -> list[tuple[str, str]]:
    return [
        (f"{park.name} ({park.city})" if park.city else park.name, park.slug)
        for park in services_of(interaction.client).parks.autocomplete(typed, 25)
    ]


# Every park option: what is typed is bounded by PARK_REFERENCE and looked up before the command
# runs; the staff commands' autocomplete answers nobody else.
ParkOption = app_commands.Transform[ParkRecord, Reference(PARK_REFERENCE, find_park, suggest_parks)]
StaffParkOption = app_commands.Transform[
    ParkRecord, Reference(PARK_REFERENCE, find_park, suggest_parks, staff_only=True)
]
# Every text option declares the length its field allows (bot.fields); the bot checks it again.
Query = app_commands.Range[str, PARK_QUERY.min_length, PARK_QUERY.max_length]
CountryText = app_commands.Range[str, COUNTRY_TEXT.min_length, COUNTRY_TEXT.max_length]
FocusText = app_commands.Range[str, FOCUS_TEXT.min_length, FOCUS_TEXT.max_length]
CityText = app_commands.Range[str, PARK_CITY.min_length, PARK_CITY.max_length]
WebAddress = app_commands.Range[str, WEB_ADDRESS.min_length, WEB_ADDRESS.max_length]
Year = app_commands.Range[int, PARK_ESTABLISHED.min_value, PARK_ESTABLISHED.max_value]


class Parks(commands.Cog):
    """Loads the directory (seeding it from the shipped bot/seed/parks.csv) when the extension loads."""

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        service = self.bot.services.parks
        result = await service.seed()
        # At INFO only when the shipped file changed the directory; every other start says nothing new.
        log.log(
            logging.INFO if result.added or result.updated else logging.DEBUG,
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


async def country_choices(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    """The countries a park option may name, in the reader's language (both groups' autocomplete)."""
    language = await language_of(interaction)
    return [
        app_commands.Choice(name=fit(f"{flag(code)} {name} ({code})", CHOICE_NAME), value=code)
        for code, name in services_of(interaction.client).parks.country_choices(current, language)
    ]


async def focus_choices(
    interaction: discord.Interaction[CisipBot], current: str
) -> list[app_commands.Choice[str]]:
    language = await language_of(interaction)
    return [
        app_commands.Choice(name=fit(name, CHOICE_NAME), value=fit(focus, CHOICE_NAME))
        for focus, name in services_of(interaction.client).parks.focus_choices(current, language)
    ]


@app_commands.guild_only()
class ParkGroup(app_commands.Group):
    """/park: the directory for everyone."""

    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="park", description=locale_str("Find science and technology parks"))
        self.bot = bot

    @property
    def service(self) -> ParkService:
        return self.bot.services.parks

    @app_commands.command(name="search", description=locale_str("Search the park directory"))
    @app_commands.describe(
        query=locale_str("Part of a name, an alias or a Chinese name; typos are fine"),
        country=locale_str("Only parks in this country"),
        region=locale_str("Only parks in this region"),
        focus=locale_str("Only parks with this focus industry"),
    )
    @app_commands.choices(region=REGION_CHOICES)
    @app_commands.autocomplete(country=country_choices, focus=focus_choices)
    async def search(
        self,
        interaction: discord.Interaction[CisipBot],
        query: Query,
        country: CountryText | None = None,
        region: app_commands.Choice[str] | None = None,
        focus: FocusText | None = None,
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
                card = park_card(t, ParkCard(park, member=members.includes(park)))
                card.set_footer(
                    text=t(
                        "Result {n:n} of {total:n} for '{query}'",
                        n=page + 1,
                        total=len(found),
                        query=canonical_text(query),  # as the service read it
                    )
                )
                cards[page] = fit_embed(card)
            return cards[page], park.slug

        view = Pager(t, interaction.user.id, len(found), render)
        await interaction.response.send_message(embed=view.show(0), view=view, ephemeral=True)

    @app_commands.command(name="info", description=locale_str("Show a park's card"))
    @app_commands.describe(name=locale_str("The park"))
    async def info(self, interaction: discord.Interaction[CisipBot], name: ParkOption) -> None:
        t = await translator_for(interaction)
        await interaction.response.send_message(
            embed=await card_of(interaction, t, name), view=card_view(t, name), ephemeral=True
        )

    @app_commands.command(name="list", description=locale_str("List the parks of a country or a region"))
    @app_commands.describe(country=locale_str("A country"), region=locale_str("A region"))
    @app_commands.choices(region=REGION_CHOICES)
    @app_commands.autocomplete(country=country_choices)
    async def list_(
        self,
        interaction: discord.Interaction[CisipBot],
        country: CountryText | None = None,
        region: app_commands.Choice[str] | None = None,
    ) -> None:
        t = await translator_for(interaction)
        listing = self.service.listing(country, region.value if region else None)
        view = Pager(
            t, interaction.user.id, list_pages(listing), lambda page: (list_page(t, listing, page), None)
        )
        await interaction.response.send_message(embed=view.show(0), view=view, ephemeral=True)

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


@staff_only()
@app_commands.guild_only()
@app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
class ParkAdminGroup(app_commands.Group):
    """/park-admin: staff curate the directory."""

    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="park-admin", description=locale_str("Staff: curate the park directory"))
        self.bot = bot

    @property
    def service(self) -> ParkService:
        return self.bot.services.parks

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
    @app_commands.autocomplete(country=country_choices)
    async def add(
        self,
        interaction: discord.Interaction[CisipBot],
        country: CountryText,
        region: app_commands.Choice[str],
        city: CityText | None = None,
        established: Year | None = None,
        website: WebAddress | None = None,
        source: WebAddress | None = None,
        cisip_member: bool = False,
    ) -> None:
        t = await translator_for(interaction)
        draft = self.service.with_options(  # refused before the form opens
            ParkDraft(name="", country="", region=""),
            country=country,
            region=region.value,
            city=city,
            established=established,
            website=website,
            source=source,
            cisip_member=cisip_member,
        )

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
    @app_commands.autocomplete(country=country_choices)
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        name: StaffParkOption,
        country: CountryText | None = None,
        region: app_commands.Choice[str] | None = None,
        city: CityText | None = None,
        established: Year | None = None,
        website: WebAddress | None = None,
        source: WebAddress | None = None,
        cisip_member: bool | None = None,
    ) -> None:
        t = await translator_for(interaction)
        park = name
        # The park as it is, with the options given changing their fields (refused before the form
        # opens).
        draft = self.service.with_options(
            ParkDraft.of(park),
            country=country,
            region=region.value if region else None,
            city=city,
            established=established,
            website=website,
            source=source,
            cisip_member=cisip_member,
        )

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

    @app_commands.command(name="remove", description=locale_str("Staff: remove a park from the directory"))
    @app_commands.describe(name=locale_str("The park"))
    async def remove(self, interaction: discord.Interaction[CisipBot], name: StaffParkOption) -> None:
        t = await translator_for(interaction)
        await interaction.response.send_message(
            t("Remove {name} from the directory?", name=name.name),
            embed=await card_of(interaction, t, name),
            view=ConfirmRemove(t, name, interaction.user.id),
            ephemeral=True,
        )
