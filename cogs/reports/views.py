"""What reports look like on Discord: the report embed, the delivery counts and progress, the list
pager, and the persistent Subscribe / Unsubscribe / Retry buttons (which keep working after a
restart: their state is in their custom ids)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.db.models_reports import Report
from bot.i18n import _
from bot.services.delivery import DeliveryCounts
from bot.services.reports import LANGUAGES, VISIBILITIES, ReportService
from bot.ui.checks import NotStaff, require_staff
from bot.ui.limits import BUTTON_LABEL, CONTENT, fit, fit_embed
from bot.ui.replies import send_ephemeral
from bot.ui.text import Translate, translator_for
from bot.ui.time import timestamp
from bot.ui.views import BotView, PersistentButton

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)

PAGE_SIZE = 5
SUMMARY_PREVIEW = 150  # characters of each summary in the list


def report_embed(t: Translate, report: Report) -> discord.Embed:
    embed = discord.Embed(
        title=f"{report.title} ({report.year})",
        description=report.summary,
        colour=discord.Colour.dark_teal(),
    )
    embed.add_field(name=t("Language"), value=t(LANGUAGES.get(report.language, report.language)))
    embed.add_field(name=t("Visibility"), value=t(VISIBILITIES.get(report.visibility, report.visibility)))
    embed.add_field(name=t("Published"), value=timestamp(report.created_at, "D"))
    return fit_embed(embed)


def announcement_view(t: Translate, report: Report) -> discord.ui.View:
    """Under the announcement: Subscribe, and the report's link when it has one."""
    view = discord.ui.View(timeout=None)
    view.add_item(SubscribeButton(report.guild_id, fit(t("Subscribe"), BUTTON_LABEL)))
    if report.url:
        view.add_item(discord.ui.Button(label=fit(t("Read the report"), BUTTON_LABEL), url=report.url))
    return view


def announcement_url(report: Report) -> str | None:
    if report.announcement_channel_id and report.announcement_message_id:
        return (
            f"https://discord.com/channels/{report.guild_id}/"
            f"{report.announcement_channel_id}/{report.announcement_message_id}"
        )
    return None


def report_dm(t: Translate, report: Report) -> tuple[discord.Embed, discord.ui.View]:
    """The report DM: the embed, a link (the report's, else the announcement's) and Unsubscribe."""
    view = discord.ui.View(timeout=None)
    link = report.url or announcement_url(report)
    if link:
        label = t("Read the report") if report.url else t("Open the announcement")
        view.add_item(discord.ui.Button(label=fit(label, BUTTON_LABEL), url=link))
    view.add_item(UnsubscribeButton(report.guild_id, fit(t("Unsubscribe"), BUTTON_LABEL)))
    view.stop()  # sent to thousands: no per-message listener is needed (the button is dynamic)
    return report_embed(t, report), view


def private_report(t: Translate, report: Report) -> tuple[discord.Embed, discord.ui.View]:
    """A report fetched privately: the embed and, when it has one, the report's link."""
    view = discord.ui.View(timeout=None)
    if report.url:
        view.add_item(discord.ui.Button(label=fit(t("Read the report"), BUTTON_LABEL), url=report.url))
    view.stop()
    return report_embed(t, report), view


def progress_text(t: Translate, title: str, counts: DeliveryCounts, *, final: bool) -> str:
    """The publisher's progress DM, fitted to a message."""
    if final:
        text = t(
            "**{title}**: delivery finished. Sent {sent:n} · DMs closed {closed:n} · failed {failed:n} · "
            "skipped {skipped:n}",
            title=title,
            sent=counts.sent,
            closed=counts.dms_closed,
            failed=counts.failed,
            skipped=counts.skipped,
        )
    else:
        text = t(
            "**{title}**: delivered {sent:n} / {total:n} · {closed:n} DMs closed",
            title=title,
            sent=counts.sent,
            total=counts.total,
            closed=counts.dms_closed,
        )
    return fit(text, CONTENT)


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
    return fit_embed(embed)


def deliveries_view(t: Translate, report: Report, counts: DeliveryCounts) -> discord.ui.View:
    """Retry the failed, when some failed and the delivery is over."""
    view = discord.ui.View(timeout=None)
    if counts.failed and report.status == "published" and report.delivery_state != "running":
        view.add_item(RetryButton(report.id, fit(t("Retry the failed"), BUTTON_LABEL)))
    view.stop()
    return view


def list_embed(t: Translate, reports: list[Report], page: int, pages: int) -> discord.Embed:
    embed = discord.Embed(title=t("CISIP reports"), colour=discord.Colour.dark_teal())
    if not reports:
        embed.description = t("No reports yet.")
    for report in reports:
        embed.add_field(
            name=f"{report.title} ({report.year})",
            value=f"{t(VISIBILITIES[report.visibility])} · {t(LANGUAGES[report.language])}\n"
            + fit(report.summary, SUMMARY_PREVIEW),
            inline=False,
        )
    embed.set_footer(
        text=t("Page {page:n} of {pages:n} · get one with /report get", page=page + 1, pages=pages)
    )
    return fit_embed(embed)


class ReportListView(BotView):
    """The published reports a reader may get, five a page."""

    def __init__(self, t: Translate, service: ReportService, guild_id: int, members: bool) -> None:
        super().__init__(timeout=600)
        self.t = t
        self.service = service
        self.guild_id = guild_id
        self.members = members
        self.total = 0
        self.page = 0
        self.previous.label = fit(t("Previous"), BUTTON_LABEL)
        self.next.label = fit(t("Next"), BUTTON_LABEL)
        self._update()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def _update(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def embed(self) -> discord.Embed:
        reports, self.total = await self.service.browse(
            self.guild_id, members=self.members, offset=self.page * PAGE_SIZE, limit=PAGE_SIZE
        )
        self._update()
        return list_embed(self.t, reports, self.page, self.pages)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]
    ) -> None:
        self.page = max(0, self.page - 1)
        await interaction.response.edit_message(embed=await self.embed(), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await interaction.response.edit_message(embed=await self.embed(), view=self)


# -- persistent buttons ----------------------------------------------------------------------------


async def subscribe_member(interaction: discord.Interaction[CisipBot], guild_id: int) -> None:
    t = await translator_for(interaction)
    dm_channel_id = None
    try:
        # Open the DM channel now and remember it: a new report then costs one request per member.
        dm_channel_id = (await interaction.user.create_dm()).id
    except discord.HTTPException as exc:
        log.info("could not open a DM channel with %s: %s", interaction.user.id, exc)
    new = await interaction.client.services.reports.subscribe(guild_id, interaction.user.id, dm_channel_id)
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
    gone = await interaction.client.services.reports.unsubscribe(guild_id, interaction.user.id)
    await send_ephemeral(
        interaction,
        t("You are unsubscribed: no more report DMs.") if gone else t("You were not subscribed."),
    )


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
        guild = interaction.guild
        if guild is None:
            raise NotStaff()
        await require_staff(interaction)
        bot = interaction.client
        service = bot.services.reports
        count = await service.retry_failed(guild.id, self.key, interaction.user.id)
        report = await service.get(guild.id, self.key)
        await bot.audit(guild, interaction.user, "report.retry", f"{report.title}: {count}")
        t = await translator_for(interaction)
        await send_ephemeral(
            interaction,
            t(
                "Retrying {count:n} failed deliveries of {title}; I will DM you the progress.",
                count=count,
                title=report.title,
            ),
        )


PERSISTENT_BUTTONS = (SubscribeButton, UnsubscribeButton, RetryButton)
