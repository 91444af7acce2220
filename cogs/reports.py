"""Reports: /report publish, edit, withdraw, deliveries (staff); subscribe, unsubscribe, list,
latest, get (members). New reports are announced in the reports channel and sent by DM to every
subscriber exactly once, by the engine in ``bot.services.delivery``; this cog is its Discord side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.db.models_reports import Report
from bot.errors import DomainError, NotFound
from bot.i18n import DEFAULT_LANGUAGE, Listing, _, resolve_language
from bot.services.delivery import (
    DeliveryCounts,
    DeliveryEngine,
    EngineOptions,
    Outcome,
    PendingDelivery,
    SendResult,
)
from bot.services.reports import (
    LANGUAGES,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    VISIBILITIES,
    YEAR_MAX,
    YEAR_MIN,
    ReportService,
    StoredFile,
    check_url,
)
from bot.ui.checks import NotStaff, is_staff
from bot.ui.permissions import channel_problems
from bot.ui.replies import send_ephemeral
from bot.ui.text import Translate, member_language, server_translator, translate_in, translator_for
from bot.ui.time import timestamp
from bot.ui.views import BotView, PersistentButton

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

STAFF_COMMANDS = {"publish", "edit", "withdraw", "deliveries"}
PAGE_SIZE = 5
CANNOT_SEND_TO_USER = 50007
UNKNOWN_CHANNEL = 10003

LANGUAGE_CHOICES = [
    app_commands.Choice(name=locale_str(label), value=code) for code, label in LANGUAGES.items()
]
VISIBILITY_CHOICES = [
    app_commands.Choice(name=locale_str(label), value=code) for code, label in VISIBILITIES.items()
]


def service_of(bot: CisipBot) -> ReportService:
    cog = bot.get_cog("Reports")
    if not isinstance(cog, Reports):
        raise DomainError(_("Reports are not available right now."))
    return cog.service


def report_embed(t: Translate, report: Report) -> discord.Embed:
    embed = discord.Embed(
        title=f"{report.title} ({report.year})",
        description=report.summary,
        colour=discord.Colour.dark_teal(),
    )
    embed.add_field(name=t("Language"), value=t(LANGUAGES.get(report.language, report.language)))
    embed.add_field(name=t("Visibility"), value=t(VISIBILITIES.get(report.visibility, report.visibility)))
    embed.add_field(name=t("Published"), value=timestamp(report.created_at, "D"))
    return embed


def progress_text(t: Translate, title: str, counts: DeliveryCounts, *, final: bool) -> str:
    if final:
        return t(
            "**{title}**: delivery finished. Sent {sent:n} · DMs closed {closed:n} · failed {failed:n} · "
            "skipped {skipped:n}",
            title=title,
            sent=counts.sent,
            closed=counts.dms_closed,
            failed=counts.failed,
            skipped=counts.skipped,
        )
    return t(
        "**{title}**: delivered {sent:n} / {total:n} · {closed:n} DMs closed",
        title=title,
        sent=counts.sent,
        total=counts.total,
        closed=counts.dms_closed,
    )


def counts_embed(t: Translate, report: Report, counts: DeliveryCounts) -> discord.Embed:
    embed = discord.Embed(
        title=t("Deliveries of {title}", title=report.title), colour=discord.Colour.blurple()
    )
    for label, value in (
        (t("Subscribers"), counts.total),
        (t("Sent"), counts.sent),
        (t("DMs closed"), counts.dms_closed),
        (t("Failed"), counts.failed),
        (t("Skipped"), counts.skipped),
        (t("Waiting"), counts.pending),
    ):
        embed.add_field(name=label, value=t("{count:n}", count=value))
    state = t("in progress") if report.delivery_state == "running" else t("finished")
    embed.set_footer(text=t("Delivery {state}.", state=state))
    return embed


async def is_member(interaction: discord.Interaction[CisipBot]) -> bool:
    """May this user see members-only reports: staff, or the verified role (when one is set)."""
    if await is_staff(interaction):
        return True
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False
    verified = (await interaction.client.services.guild_settings.get(interaction.guild_id)).role("verified")
    return verified is None or any(role.id == verified for role in interaction.user.roles)


# -- persistent buttons ----------------------------------------------------------------------------


class SubscribeButton(
    PersistentButton[int],
    prefix="report:sub",
    style=discord.ButtonStyle.primary,
    emoji="📬",
    label=_("Subscribe"),
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        await subscribe_member(interaction, self.key)


class UnsubscribeButton(PersistentButton[int], prefix="report:unsub", label=_("Unsubscribe")):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        await unsubscribe_member(interaction, self.key)


class RetryButton(
    PersistentButton[int],
    prefix="report:retry",
    style=discord.ButtonStyle.danger,
    label=_("Retry the failed"),
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        report_id = self.key
        if interaction.guild is None or not await is_staff(interaction):
            raise NotStaff()
        bot = interaction.client
        cog = bot.get_cog("Reports")
        assert isinstance(cog, Reports)
        count = await cog.service.retry_failed(interaction.guild.id, report_id, interaction.user.id)
        report = await cog.service.get(interaction.guild.id, report_id)
        await bot.audit(interaction.guild, interaction.user, "report.retry", f"{report.title}: {count}")
        cog.start_delivery(report.id)
        t = await translator_for(interaction)
        await send_ephemeral(
            interaction,
            t(
                "Retrying {count:n} failed deliveries of {title}; I will DM you the progress.",
                count=count,
                title=report.title,
            ),
        )


async def subscribe_member(interaction: discord.Interaction[CisipBot], guild_id: int) -> None:
    t = await translator_for(interaction)
    service = service_of(interaction.client)
    dm_channel_id = None
    try:
        # Open the DM channel now and remember it: a new report then costs one request per member.
        dm_channel_id = (await interaction.user.create_dm()).id
    except discord.HTTPException as exc:
        log.info("could not open a DM channel with %s: %s", interaction.user.id, exc)
    new = await service.subscribe(guild_id, interaction.user.id, dm_channel_id)
    if new:
        message = t(
            "You are subscribed: new reports will come to you by DM. "
            "Make sure you allow DMs from server members."
        )
    else:
        message = t("You are already subscribed.")
    await send_ephemeral(interaction, message)


async def unsubscribe_member(interaction: discord.Interaction[CisipBot], guild_id: int) -> None:
    t = await translator_for(interaction)
    gone = await service_of(interaction.client).unsubscribe(guild_id, interaction.user.id)
    await send_ephemeral(
        interaction,
        t("You are unsubscribed: no more report DMs.") if gone else t("You were not subscribed."),
    )


# -- the Discord side of the delivery engine -------------------------------------------------------


class DiscordSender:
    """Implements ``bot.services.delivery.DmSender`` with discord.py."""

    subscribers_refresh = 2.0  # seconds: an unsubscription during a run takes effect this fast

    def __init__(self, cog: Reports, report: Report, guild: discord.Guild) -> None:
        self.cog = cog
        self.bot = cog.bot
        self.report = report
        self.guild = guild
        # The DM in each subscriber's language, built once per language (not once per member).
        self.messages: dict[str, tuple[discord.Embed, discord.ui.View]] = {}
        self.server_language = DEFAULT_LANGUAGE
        self.subscribers: set[int] = set()
        self.subscribers_at = 0.0
        self.verified_role: int | None = None
        self.staff_role: int | None = None
        self.progress_broken = False

    def _announcement_url(self) -> str | None:
        r = self.report
        if r.announcement_channel_id and r.announcement_message_id:
            return f"https://discord.com/channels/{r.guild_id}/{r.announcement_channel_id}/{r.announcement_message_id}"
        return None

    async def prepare(self) -> None:
        config = await self.bot.services.guild_settings.get(self.guild.id)
        self.verified_role = config.role("verified") if self.report.visibility == "members" else None
        self.staff_role = config.role("staff")
        self.server_language = resolve_language(config.language)

    async def language_of(self, user_id: int) -> str:
        """The member's last seen Discord language, else the server's (both cached per process)."""
        try:
            return await member_language(self.bot, user_id, self.guild.id)
        except Exception:  # the DM matters more than its language
            log.warning("report %s: no language for %s", self.report.id, user_id, exc_info=True)
            return self.server_language

    def message_in(self, language: str) -> tuple[discord.Embed, discord.ui.View]:
        """The report DM (embed, link button, Unsubscribe button) in ``language``."""
        if language not in self.messages:
            t = partial(translate_in, language)
            view = discord.ui.View(timeout=None)
            link = self.report.url or self._announcement_url()
            if link:
                label = t("Read the report") if self.report.url else t("Open the announcement")
                view.add_item(discord.ui.Button(label=label, url=link))
            view.add_item(UnsubscribeButton(self.guild.id, t("Unsubscribe")))
            view.stop()  # sent to thousands: no per-message listener is needed (the button is dynamic)
            self.messages[language] = (report_embed(t, self.report), view)
        return self.messages[language]

    async def skip_reason(self, user_id: int) -> str | None:
        member = self.guild.get_member(user_id)
        if member is None:
            return "left the server"
        if time.monotonic() - self.subscribers_at > self.subscribers_refresh:
            self.subscribers = await self.cog.service.subscribers(self.guild.id)
            self.subscribers_at = time.monotonic()
        if user_id not in self.subscribers:
            return "unsubscribed"
        if self.verified_role is not None and not any(
            role.id in (self.verified_role, self.staff_role) for role in member.roles
        ):
            return "not a verified member"
        return None

    async def send(self, delivery: PendingDelivery, nonce: str) -> SendResult:
        embed, view = self.message_in(await self.language_of(delivery.user_id))
        opened: int | None = None
        channel_id = delivery.dm_channel_id
        try:
            if channel_id is None:
                member = self.guild.get_member(delivery.user_id)
                if member is None:
                    return SendResult(Outcome.FAILED, error="left the server")
                channel_id = opened = (await member.create_dm()).id
            messageable = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
            try:
                message = await messageable.send(embed=embed, view=view, nonce=nonce)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_CHANNEL or opened is not None:
                    raise
                member = self.guild.get_member(delivery.user_id)
                if member is None:
                    return SendResult(Outcome.FAILED, error="left the server")
                channel_id = opened = (await member.create_dm()).id
                messageable = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
                message = await messageable.send(embed=embed, view=view, nonce=nonce)
        except discord.Forbidden as exc:
            if exc.code == CANNOT_SEND_TO_USER:
                return SendResult(Outcome.DMS_CLOSED, dm_channel_id=opened, error="50007")
            return SendResult(Outcome.FAILED, error=f"403 {exc.code}")
        except discord.DiscordServerError as exc:
            return SendResult(Outcome.SERVER_ERROR, error=f"{exc.status} {exc.code}")
        except discord.HTTPException as exc:
            if exc.status >= 500:
                return SendResult(Outcome.SERVER_ERROR, error=f"{exc.status} {exc.code}")
            return SendResult(Outcome.FAILED, error=f"{exc.status} {exc.code}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return SendResult(Outcome.SERVER_ERROR, error=type(exc).__name__)
        return SendResult(Outcome.SENT, message_id=message.id, dm_channel_id=opened)

    async def progress(self, counts: DeliveryCounts, *, final: bool) -> None:
        if self.progress_broken:
            return
        report = self.report
        # Looked up at each edit (cached): the publisher's last seen language, else the server's.
        language = self.server_language
        if report.progress_user_id is not None:
            language = await self.language_of(report.progress_user_id)
        text = progress_text(partial(translate_in, language), report.title, counts, final=final)
        try:
            if report.progress_channel_id and report.progress_message_id:
                channel = self.bot.get_partial_messageable(
                    report.progress_channel_id, type=discord.ChannelType.private
                )
                await channel.get_partial_message(report.progress_message_id).edit(content=text)
                return
            if report.progress_user_id is None:
                return
            user = self.bot.get_user(report.progress_user_id) or await self.bot.fetch_user(
                report.progress_user_id
            )
            message = await user.send(text)
            report.progress_channel_id, report.progress_message_id = message.channel.id, message.id
            await self.cog.service.set_progress_message(report.id, message.channel.id, message.id)
        except discord.HTTPException as exc:
            log.warning("report %s: no progress message for the publisher: %s", report.id, exc)
            self.progress_broken = True


# -- browsing --------------------------------------------------------------------------------------


class ReportListView(BotView):
    def __init__(self, t: Translate, guild_id: int, members: bool, total: int) -> None:
        super().__init__(timeout=600)
        self.t = t
        self.guild_id = guild_id
        self.members = members
        self.total = total
        self.page = 0
        self.previous.label = t("Previous")
        self.next.label = t("Next")
        self._update()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def _update(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def embed(self, bot: CisipBot) -> discord.Embed:
        reports, self.total = await service_of(bot).browse(
            self.guild_id, members=self.members, offset=self.page * PAGE_SIZE, limit=PAGE_SIZE
        )
        self._update()
        return list_embed(self.t, reports, self.page, self.pages)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]
    ) -> None:
        self.page = max(0, self.page - 1)
        await interaction.response.edit_message(embed=await self.embed(interaction.client), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await interaction.response.edit_message(embed=await self.embed(interaction.client), view=self)


def list_embed(t: Translate, reports: list[Report], page: int, pages: int) -> discord.Embed:
    embed = discord.Embed(title=t("CISIP reports"), colour=discord.Colour.dark_teal())
    if not reports:
        embed.description = t("No reports yet.")
    for report in reports:
        embed.add_field(
            name=f"{report.title} ({report.year})",
            value=f"{t(VISIBILITIES[report.visibility])} · {t(LANGUAGES[report.language])}\n"
            + (report.summary[:150] + ("…" if len(report.summary) > 150 else "")),
            inline=False,
        )
    embed.set_footer(
        text=t("Page {page:n} of {pages:n} · get one with /report get", page=page + 1, pages=pages)
    )
    return embed


# -- commands --------------------------------------------------------------------------------------


@app_commands.guild_only()
class ReportGroup(app_commands.Group):
    def __init__(self, cog: Reports) -> None:
        super().__init__(name="report", description=locale_str("CISIP reports: read, subscribe, publish"))
        self.cog = cog
        self.bot = cog.bot

    @property
    def service(self) -> ReportService:
        return self.cog.service

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        command = interaction.command
        if command is not None and command.name in STAFF_COMMANDS and not await is_staff(interaction):
            raise NotStaff()
        return True

    async def _report_choices(
        self, interaction: discord.Interaction[CisipBot], current: str, *, staff: bool
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        members = staff or await is_member(interaction)
        found = await self.service.search(
            interaction.guild_id, current, members=members, include_withdrawn=False
        )
        return [app_commands.Choice(name=f"{r.title} ({r.year})"[:100], value=str(r.id)) for r in found[:25]]

    async def staff_report_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._report_choices(interaction, current, staff=True)

    async def report_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._report_choices(interaction, current, staff=False)

    async def _report(self, guild_id: int, value: str) -> Report:
        if not value.isdigit():
            raise NotFound(_("There is no such report: pick one from the list."))
        return await self.service.get(guild_id, int(value))

    # -- staff ------------------------------------------------------------------------------------

    @app_commands.command(
        name="publish", description=locale_str("Publish a report and send it to subscribers")
    )
    @app_commands.describe(
        title=locale_str("The report's title"),
        year=locale_str("The year the report covers"),
        summary=locale_str("A few sentences about the report"),
        language=locale_str("The report's language"),
        file=locale_str("The report as a PDF"),
        url=locale_str("A web address where the report can be read"),
        visibility=locale_str("Who can get the report (default: members only)"),
    )
    @app_commands.choices(language=LANGUAGE_CHOICES, visibility=VISIBILITY_CHOICES)
    async def publish(
        self,
        interaction: discord.Interaction[CisipBot],
        title: app_commands.Range[str, 1, TITLE_MAX],
        year: app_commands.Range[int, YEAR_MIN, YEAR_MAX],
        summary: app_commands.Range[str, 1, SUMMARY_MAX],
        language: app_commands.Choice[str],
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, URL_MAX] | None = None,
        visibility: app_commands.Choice[str] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        config = await self.bot.services.guild_settings.get(guild.id)
        channel_id = config.channel("reports")
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise DomainError(_("Set the reports channel first with /setup channel."))
        problems = channel_problems(t, channel, guild.me, attach_files=file is not None)
        if problems:
            raise DomainError(
                _("I cannot post in {channel}: missing {problems}."),
                channel=channel.mention,
                problems=Listing.of(problems),
            )
        if file is None and url is None:
            raise DomainError(_("Attach the report as a PDF or give its URL."))
        link = check_url(url) if url is not None else None
        if file is not None:
            self.service.check_size(file.size)
            if file.size > guild.filesize_limit and link is None:
                raise DomainError(
                    _(
                        "The PDF is larger than this server's upload limit ({limit:n} MB), so members "
                        "could not download it here: give also a URL where it can be read."
                    ),
                    limit=round(guild.filesize_limit / (1024 * 1024), 1),
                )
        await interaction.response.defer(ephemeral=True, thinking=True)
        stored: StoredFile | None = None
        if file is not None:
            data = await file.read()
            stored = await asyncio.to_thread(self.service.store_pdf, data, file.filename)
        report, subscribers = await self.service.publish(
            guild.id,
            title=title,
            year=year,
            summary=summary,
            language=language.value,
            visibility=visibility.value if visibility else "members",
            publisher_id=interaction.user.id,
            file=stored,
            url=link,
        )
        try:
            await self.cog.announce(report, guild, channel)
        except discord.HTTPException as exc:
            log.warning("report %s: the announcement failed: %s", report.id, exc)
            await self.service.withdraw(guild.id, report.id)
            raise DomainError(
                _("I could not post the announcement in {channel}, so nothing was published: try again."),
                channel=channel.mention,
            ) from exc
        await self.bot.audit(guild, interaction.user, "report.publish", f"{report.title} ({report.year})")
        note = (
            t("This PDF was uploaded before: the stored copy is reused.")
            if stored is not None and stored.already_stored
            else None
        )
        if subscribers:
            self.cog.start_delivery(report.id)
            text = t(
                "Published {title} in {channel}. Sending it to {count:n} subscribers; "
                "I will DM you the progress.",
                title=report.title,
                channel=channel.mention,
                count=subscribers,
            )
        else:
            text = t(
                "Published {title} in {channel}. Nobody is subscribed yet, so no DMs are sent.",
                title=report.title,
                channel=channel.mention,
            )
        await interaction.followup.send("\n".join(filter(None, [text, note])), ephemeral=True)

    @app_commands.command(name="edit", description=locale_str("Correct a published report"))
    @app_commands.describe(
        report=locale_str("The report"),
        title=locale_str("The report's title"),
        year=locale_str("The year the report covers"),
        summary=locale_str("A few sentences about the report"),
        language=locale_str("The report's language"),
        url=locale_str("A web address where the report can be read"),
        visibility=locale_str("Who can get the report"),
    )
    @app_commands.choices(language=LANGUAGE_CHOICES, visibility=VISIBILITY_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction[CisipBot],
        report: str,
        title: app_commands.Range[str, 1, TITLE_MAX] | None = None,
        year: app_commands.Range[int, YEAR_MIN, YEAR_MAX] | None = None,
        summary: app_commands.Range[str, 1, SUMMARY_MAX] | None = None,
        language: app_commands.Choice[str] | None = None,
        url: app_commands.Range[str, 1, URL_MAX] | None = None,
        visibility: app_commands.Choice[str] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        found = await self._report(guild.id, report)
        updated = await self.service.edit(
            guild.id,
            found.id,
            title=title,
            year=year,
            summary=summary,
            language=language.value if language else None,
            visibility=visibility.value if visibility else None,
            url=check_url(url) if url is not None else None,
        )
        await self.cog.refresh_announcement(updated, guild, withdrawn=False)
        await self.bot.audit(guild, interaction.user, "report.edit", f"{updated.title} ({updated.year})")
        await interaction.response.send_message(
            t("{title} is updated.", title=updated.title), embed=report_embed(t, updated), ephemeral=True
        )

    @edit.autocomplete("report")
    async def edit_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.staff_report_autocomplete(interaction, current)

    @app_commands.command(
        name="withdraw", description=locale_str("Withdraw a report; undelivered DMs are not sent")
    )
    @app_commands.describe(report=locale_str("The report"))
    async def withdraw(self, interaction: discord.Interaction[CisipBot], report: str) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        found = await self._report(guild.id, report)
        if found.status == "published":
            await self.cog.stop_delivery(found.id)  # first, so no DM goes out after the withdrawal
        withdrawn, skipped = await self.service.withdraw(guild.id, found.id)
        await self.cog.refresh_announcement(withdrawn, guild, withdrawn=True)
        await self.bot.audit(
            guild, interaction.user, "report.withdraw", f"{withdrawn.title} ({withdrawn.year})"
        )
        await interaction.response.send_message(
            t(
                "{title} is withdrawn; {count:n} DMs not sent yet will not be.",
                title=withdrawn.title,
                count=skipped,
            ),
            ephemeral=True,
        )

    @withdraw.autocomplete("report")
    async def withdraw_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.staff_report_autocomplete(interaction, current)

    @app_commands.command(name="deliveries", description=locale_str("Show how a report's DMs went"))
    @app_commands.describe(report=locale_str("The report"))
    async def deliveries(self, interaction: discord.Interaction[CisipBot], report: str) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        found = await self._report(guild.id, report)
        counts = await self.service.counts(found.id)
        view = discord.ui.View(timeout=None)
        if counts.failed and found.status == "published" and found.delivery_state != "running":
            view.add_item(RetryButton(found.id, t("Retry the failed")))
        view.stop()
        await interaction.response.send_message(
            embed=counts_embed(t, found, counts), view=view, ephemeral=True
        )

    @deliveries.autocomplete("report")
    async def deliveries_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.staff_report_autocomplete(interaction, current)

    # -- members ----------------------------------------------------------------------------------

    @app_commands.command(name="subscribe", description=locale_str("Get new reports by DM"))
    async def subscribe(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild_id is not None
        await subscribe_member(interaction, interaction.guild_id)

    @app_commands.command(name="unsubscribe", description=locale_str("Stop getting new reports by DM"))
    async def unsubscribe(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild_id is not None
        await unsubscribe_member(interaction, interaction.guild_id)

    @app_commands.command(name="list", description=locale_str("Browse the published reports"))
    async def list_reports(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild_id is not None
        t = await translator_for(interaction)
        view = ReportListView(t, interaction.guild_id, await is_member(interaction), 0)
        embed = await view.embed(self.bot)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="latest", description=locale_str("Show the newest report"))
    async def latest(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild_id is not None
        t = await translator_for(interaction)
        reports, _total = await self.service.browse(
            interaction.guild_id, members=await is_member(interaction), limit=1
        )
        if not reports:
            raise NotFound(_("No report is published yet."))
        await self._deliver_privately(interaction, t, reports[0])

    @app_commands.command(name="get", description=locale_str("Get a report privately"))
    @app_commands.describe(report=locale_str("The report: type part of its title or its year"))
    async def get(self, interaction: discord.Interaction[CisipBot], report: str) -> None:
        assert interaction.guild_id is not None
        t = await translator_for(interaction)
        found = await self._report(interaction.guild_id, report)
        if found.status != "published" or (
            found.visibility == "members" and not await is_member(interaction)
        ):
            raise NotFound(_("There is no such report: pick one from the list."))
        await self._deliver_privately(interaction, t, found)

    @get.autocomplete("report")
    async def get_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.report_autocomplete(interaction, current)

    async def _deliver_privately(
        self, interaction: discord.Interaction[CisipBot], t: Translate, report: Report
    ) -> None:
        assert interaction.guild is not None
        embed = report_embed(t, report)
        view = discord.ui.View(timeout=None)
        if report.url:
            view.add_item(discord.ui.Button(label=t("Read the report"), url=report.url))
        view.stop()
        path = self.service.path_of(report.file_sha256) if report.file_sha256 else None
        limit = min(
            interaction.guild.filesize_limit, getattr(interaction, "attachment_size_limit", 0) or 1 << 62
        )
        if path is not None and report.file_size is not None and report.file_size <= limit and path.is_file():
            await interaction.response.send_message(
                embed=embed,
                view=view,
                file=discord.File(path, filename=report.file_name or "report.pdf"),
                ephemeral=True,
            )
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class Reports(commands.Cog):
    engine_options = EngineOptions()
    stop_timeout = 10.0  # seconds a stopping bot waits for the DMs in flight before cancelling

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.service = bot.services.reports
        self.runs: dict[int, asyncio.Task[None]] = {}
        self.engines: dict[int, DeliveryEngine] = {}
        self._resume_task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._resume_task = asyncio.create_task(self._resume(), name="reports-resume")

    async def cog_unload(self) -> None:
        if self._resume_task is not None:
            self._resume_task.cancel()
            await asyncio.gather(self._resume_task, return_exceptions=True)
        for engine in self.engines.values():
            engine.stop()  # all at once; then wait for each
        for report_id in list(self.runs):
            await self.stop_delivery(report_id)

    async def _resume(self) -> None:
        await self.bot.wait_until_ready()
        for report in await self.service.running():
            log.info("resuming the delivery of report %s", report.id)
            self.start_delivery(report.id)

    def start_delivery(self, report_id: int) -> None:
        if report_id in self.runs and not self.runs[report_id].done():
            return
        self.runs[report_id] = asyncio.create_task(
            self._deliver(report_id), name=f"report-{report_id}-delivery"
        )

    async def stop_delivery(self, report_id: int) -> None:
        """Stop a delivery cleanly (DMs in flight finish and are recorded), else cancel it."""
        task = self.runs.pop(report_id, None)
        engine = self.engines.pop(report_id, None)
        if task is None or task.done():
            return
        if engine is not None:
            engine.stop()
            done, _pending = await asyncio.wait({task}, timeout=self.stop_timeout)
            if done:
                return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def _deliver(self, report_id: int) -> None:
        try:
            report = await self.service.get_any(report_id)
            guild = self.bot.get_guild(report.guild_id) if report else None
            if report is None or guild is None:
                log.warning("report %s: its server is gone; delivery stays pending", report_id)
                return
            sender = DiscordSender(self, report, guild)
            await sender.prepare()
            engine = self.engines[report_id] = DeliveryEngine(self.service, self.engine_options)
            await engine.run(report_id, sender)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("report %s: delivery stopped; it resumes at the next start", report_id)
        finally:
            if self.runs.get(report_id) is asyncio.current_task():
                self.engines.pop(report_id, None)

    async def announce(self, report: Report, guild: discord.Guild, channel: discord.TextChannel) -> None:
        t = await server_translator(self.bot, guild.id)
        file = None
        if report.file_sha256 and report.file_size is not None and report.file_size <= guild.filesize_limit:
            file = discord.File(
                self.service.path_of(report.file_sha256), filename=report.file_name or "report.pdf"
            )
        content = t("A new CISIP report is out.")
        embed, view = report_embed(t, report), self.announcement_view(t, report)
        if file is not None:
            message = await channel.send(content, embed=embed, view=view, file=file)
        else:
            message = await channel.send(content, embed=embed, view=view)
        report.announcement_channel_id, report.announcement_message_id = channel.id, message.id
        await self.service.set_announcement(report.id, channel.id, message.id)

    def announcement_view(self, t: Translate, report: Report) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(SubscribeButton(report.guild_id, t("Subscribe")))
        if report.url:
            view.add_item(discord.ui.Button(label=t("Read the report"), url=report.url))
        return view

    async def refresh_announcement(self, report: Report, guild: discord.Guild, *, withdrawn: bool) -> None:
        if not (report.announcement_channel_id and report.announcement_message_id):
            return
        t = await server_translator(self.bot, guild.id)
        channel = self.bot.get_partial_messageable(report.announcement_channel_id, guild_id=guild.id)
        message = channel.get_partial_message(report.announcement_message_id)
        try:
            if withdrawn:
                await message.edit(
                    content=t("This report was withdrawn."), embed=None, attachments=[], view=None
                )
            else:
                await message.edit(embed=report_embed(t, report), view=self.announcement_view(t, report))
        except discord.HTTPException as exc:
            log.warning("report %s: could not update the announcement: %s", report.id, exc)


async def setup(bot: CisipBot) -> None:
    cog = Reports(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(ReportGroup(cog))
    bot.add_dynamic_items(SubscribeButton, UnsubscribeButton, RetryButton)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("report")
    bot.remove_dynamic_items(SubscribeButton, UnsubscribeButton, RetryButton)
