"""/report: members subscribe, list, fetch the latest or one report; /report-admin: staff publish,
edit, withdraw and follow deliveries (hidden from members by ``STAFF_DEFAULT_PERMISSIONS``, checked by
``staff_only``). Options are parsed, the reports service decides, the result is shown; the
announcement in the reports channel is posted and kept up to date here."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.db.models_reports import Report
from bot.errors import DomainError
from bot.fields import REPORT_REFERENCE, REPORT_SUMMARY, REPORT_TITLE, REPORT_YEAR, WEB_ADDRESS
from bot.i18n import Listing, _
from bot.services.personal_data import Erasure
from bot.services.reports import (
    LANGUAGES,
    VISIBILITIES,
    PdfFile,
    ReportsErased,
    ReportService,
    safe_filename,
)
from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, asker, staff_only
from bot.ui.limits import CONTENT, fit
from bot.ui.permissions import channel_problems
from bot.ui.references import Reference
from bot.ui.replies import send_ephemeral
from bot.ui.services import services_of
from bot.ui.text import Translate, server_translator, translator_for
from cogs.reports._delivery import DeliveryRunner
from cogs.reports.views import (
    ReportListView,
    announcement_view,
    counts_embed,
    deliveries_view,
    private_report,
    report_embed,
    subscribe_member,
    unsubscribe_member,
)

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

LANGUAGE_CHOICES = [
    app_commands.Choice(name=locale_str(label), value=code) for code, label in LANGUAGES.items()
]
VISIBILITY_CHOICES = [
    app_commands.Choice(name=locale_str(label), value=code) for code, label in VISIBILITIES.items()
]

Title = app_commands.Range[str, REPORT_TITLE.min_length, REPORT_TITLE.max_length]
Summary = app_commands.Range[str, REPORT_SUMMARY.min_length, REPORT_SUMMARY.max_length]
Year = app_commands.Range[int, REPORT_YEAR.min_value, REPORT_YEAR.max_value]
WebAddress = app_commands.Range[str, WEB_ADDRESS.min_length, WEB_ADDRESS.max_length]


def choices(reports: list[Report]) -> list[tuple[str, str]]:
    """Autocomplete's (label, value) pairs: the value is the id, which the service reads back."""
    return [(f"{report.title} ({report.year})", str(report.id)) for report in reports]


async def find_any(interaction: discord.Interaction[Any], typed: str, staff: bool) -> Report:
    """A staff command's report: any report of the server, withdrawn ones too."""
    return await services_of(interaction.client).reports.find(interaction.guild_id, typed)


async def suggest_any(
    interaction: discord.Interaction[Any], typed: str, staff: bool
) -> list[tuple[str, str]]:
    if interaction.guild_id is None:
        return []
    service = services_of(interaction.client).reports
    return choices(await service.search(interaction.guild_id, typed, members=True))


async def find_readable(interaction: discord.Interaction[Any], typed: str, staff: bool) -> Report:
    """A report the reader may get: published, and members-only ones through the member gate."""
    return await services_of(interaction.client).reports.readable(asker(interaction), typed)


async def suggest_readable(
    interaction: discord.Interaction[Any], typed: str, staff: bool
) -> list[tuple[str, str]]:
    service = services_of(interaction.client).reports
    return choices(await service.readable_choices(asker(interaction), typed))


# The report a staff command acts on (its autocomplete offers non-staff nothing), and the report a
# reader gets (they find only what they may read).
StaffReport = app_commands.Transform[
    Report, Reference(REPORT_REFERENCE, find_any, suggest_any, staff_only=True)
]
ReadableReport = app_commands.Transform[Report, Reference(REPORT_REFERENCE, find_readable, suggest_readable)]


class Reports(commands.Cog):
    """Holds the deliveries under way and posts the announcements."""

    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot
        self.service = bot.services.reports
        self.deliveries = DeliveryRunner(bot)

    async def cog_load(self) -> None:
        await self._import_old_files()
        self.deliveries.register()

    async def _import_old_files(self) -> None:
        """Once: the PDFs older versions kept in DATA_DIR/reports/ go into the database."""
        folder = self.bot.settings.legacy_reports_dir
        try:
            done = await self.service.import_folder(folder)
        except Exception:
            log.exception(
                "could not copy the report PDFs of %s into the database (next start retries)", folder
            )
            return
        if done.files:
            log.info("copied %d report PDFs of %s into the database", done.files, folder)
        if done.missing:
            log.warning(
                "%d reports name a PDF that is neither in the database nor in %s: start the bot once where "
                "that folder is, or publish them again",
                done.missing,
                folder,
            )
        for path in done.damaged:
            log.warning("left %s where it is: its content does not match its name", path)

    async def cog_unload(self) -> None:
        self.deliveries.unregister()
        await self.deliveries.close()

    @commands.Cog.listener()
    async def on_personal_data_erased(self, guild: discord.Guild, erasure: Erasure) -> None:
        # The rows are gone; a run under way re-reads its subscribers only every few seconds.
        if erasure.part(ReportsErased) is not None:
            self.deliveries.forget(guild.id, erasure.user_id)

    async def announce(self, report: Report, guild: discord.Guild, channel: discord.TextChannel) -> None:
        t = await server_translator(self.bot, guild.id)
        file = await self.attachment(report, guild.filesize_limit)
        content = fit(t("A new CISIP report is out."), CONTENT)
        embed, view = report_embed(t, report), announcement_view(t, report)
        if file is not None:
            message = await channel.send(content, embed=embed, view=view, file=file)
        else:
            message = await channel.send(content, embed=embed, view=view)
        report.announcement_channel_id, report.announcement_message_id = channel.id, message.id
        await self.service.set_announcement(report.id, channel.id, message.id)

    async def attachment(self, report: Report, limit: int) -> discord.File | None:
        """The report's PDF, from the database, when it has one and it fits ``limit`` bytes."""
        if report.file_size is None or report.file_size > limit:
            return None
        data = await self.service.pdf(report)
        if data is None:
            return None
        return discord.File(io.BytesIO(data), filename=report.file_name or "report.pdf")

    async def refresh_announcement(self, report: Report, guild: discord.Guild, *, withdrawn: bool) -> None:
        if not (report.announcement_channel_id and report.announcement_message_id):
            return
        t = await server_translator(self.bot, guild.id)
        channel = self.bot.get_partial_messageable(report.announcement_channel_id, guild_id=guild.id)
        message = channel.get_partial_message(report.announcement_message_id)
        try:
            if withdrawn:
                await message.edit(
                    content=fit(t("This report was withdrawn."), CONTENT),
                    embed=None,
                    attachments=[],
                    view=None,
                )
            else:
                await message.edit(embed=report_embed(t, report), view=announcement_view(t, report))
        except discord.HTTPException as exc:
            log.warning("report %s: could not update the announcement: %s", report.id, exc)


@staff_only()
@app_commands.guild_only()
@app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
class ReportAdminGroup(app_commands.Group):
    """/report-admin: staff publish reports and follow their deliveries."""

    def __init__(self, cog: Reports) -> None:
        super().__init__(
            name="report-admin", description=locale_str("Staff: publish reports and follow their deliveries")
        )
        self.cog = cog
        self.bot = cog.bot

    @property
    def service(self) -> ReportService:
        return self.cog.service

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
        title: Title,
        year: Year,
        summary: Summary,
        language: app_commands.Choice[str],
        file: discord.Attachment | None = None,
        url: WebAddress | None = None,
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
        self.service.check_report(
            title=title,
            year=year,
            summary=summary,
            language=language.value,
            visibility=visibility.value if visibility else None,
        )
        link = self.service.check_source(
            file_size=file.size if file is not None else None, url=url, upload_limit=guild.filesize_limit
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        pdf: PdfFile | None = None
        if file is not None:
            try:
                data = await file.read()
            except (discord.HTTPException, aiohttp.ClientError) as exc:
                # Discord no longer serves it (deleted, or its link expired): nothing is stored.
                raise DomainError(
                    _("I could not download {name} from Discord: attach it again."),
                    name=safe_filename(file.filename),
                ) from exc
            pdf = await asyncio.to_thread(self.service.check_pdf, data, file.filename)
        earlier = await self.service.uploaded_before(guild.id, pdf.sha256) if pdf is not None else None
        report, subscribers = await self.service.publish(
            guild.id,
            title=title,
            year=year,
            summary=summary,
            language=language.value,
            visibility=visibility.value if visibility else None,
            publisher_id=interaction.user.id,
            file=pdf,
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
        if subscribers:
            await self.service.start_delivery(report.id)  # its DMs link to the announcement, now posted
        await self.bot.audit(guild, interaction.user, "report.publish", f"{report.title} ({report.year})")
        note = (
            t(
                "This PDF was published before as {title} ({year}), which is withdrawn.",
                title=earlier.title,
                year=earlier.year,
            )
            if earlier is not None
            else None
        )
        if subscribers:
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
        await send_ephemeral(interaction, "\n".join(filter(None, [text, note])))

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
        report: StaffReport,
        title: Title | None = None,
        year: Year | None = None,
        summary: Summary | None = None,
        language: app_commands.Choice[str] | None = None,
        url: WebAddress | None = None,
        visibility: app_commands.Choice[str] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        updated = await self.service.edit(
            guild.id,
            report.id,
            title=title,
            year=year,
            summary=summary,
            language=language.value if language else None,
            visibility=visibility.value if visibility else None,
            url=url,
        )
        await self.cog.refresh_announcement(updated, guild, withdrawn=False)
        await self.bot.audit(guild, interaction.user, "report.edit", f"{updated.title} ({updated.year})")
        await send_ephemeral(
            interaction, t("{title} is updated.", title=updated.title), embed=report_embed(t, updated)
        )

    @app_commands.command(
        name="withdraw", description=locale_str("Withdraw a report; undelivered DMs are not sent")
    )
    @app_commands.describe(report=locale_str("The report"))
    async def withdraw(self, interaction: discord.Interaction[CisipBot], report: StaffReport) -> None:
        guild = interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        if report.status == "published":
            await self.cog.deliveries.stop(report.id)  # first, so no DM goes out after the withdrawal
        withdrawn, skipped = await self.service.withdraw(guild.id, report.id)
        await self.cog.refresh_announcement(withdrawn, guild, withdrawn=True)
        await self.bot.audit(
            guild, interaction.user, "report.withdraw", f"{withdrawn.title} ({withdrawn.year})"
        )
        await send_ephemeral(
            interaction,
            t(
                "{title} is withdrawn; {count:n} DMs not sent yet will not be.",
                title=withdrawn.title,
                count=skipped,
            ),
        )

    @app_commands.command(name="deliveries", description=locale_str("Show how a report's DMs went"))
    @app_commands.describe(report=locale_str("The report"))
    async def deliveries(self, interaction: discord.Interaction[CisipBot], report: StaffReport) -> None:
        t = await translator_for(interaction)
        counts = await self.service.counts(report.id)
        await send_ephemeral(
            interaction, embed=counts_embed(t, report, counts), view=deliveries_view(t, report, counts)
        )


@app_commands.guild_only()
class ReportGroup(app_commands.Group):
    """/report: members read and subscribe."""

    def __init__(self, cog: Reports) -> None:
        super().__init__(name="report", description=locale_str("CISIP reports: read and subscribe"))
        self.cog = cog

    @property
    def service(self) -> ReportService:
        return self.cog.service

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
        members = await self.service.reads_members_only(asker(interaction))
        view = ReportListView(t, self.service, interaction.guild_id, members)
        await send_ephemeral(interaction, embed=await view.embed(), view=view)

    @app_commands.command(name="latest", description=locale_str("Show the newest report"))
    async def latest(self, interaction: discord.Interaction[CisipBot]) -> None:
        t = await translator_for(interaction)
        await self._send_privately(interaction, t, await self.service.latest(asker(interaction)))

    @app_commands.command(name="get", description=locale_str("Get a report privately"))
    @app_commands.describe(report=locale_str("The report: type part of its title or its year"))
    async def get(self, interaction: discord.Interaction[CisipBot], report: ReadableReport) -> None:
        t = await translator_for(interaction)
        await self._send_privately(interaction, t, report)

    async def _send_privately(
        self, interaction: discord.Interaction[CisipBot], t: Translate, report: Report
    ) -> None:
        """The report as a private reply, with its PDF when it fits what the member may download."""
        assert interaction.guild is not None
        embed, view = private_report(t, report)
        limit = min(
            interaction.guild.filesize_limit, getattr(interaction, "attachment_size_limit", 0) or 1 << 62
        )
        file = await self.cog.attachment(report, limit)
        if file is not None:
            await send_ephemeral(interaction, embed=embed, view=view, file=file)
        else:
            await send_ephemeral(interaction, embed=embed, view=view)
