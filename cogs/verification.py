"""Member verification: welcome on join, the Verify button, the application and code modals, the
staff review queue (Approve / Reject / Ask for info), the membership year's reminders and expiry,
and /verify status and /verify forget-me.

Buttons are ``DynamicItem``s (their state is in the custom_id), so they keep working after a restart.
Emails appear only in private (ephemeral) replies and mails, never in channels or logs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.db.models_members import Membership
from bot.errors import DomainError
from bot.i18n import Message, _
from bot.scheduler import JobContext
from bot.services.membership import (
    APPROVED,
    CODE,
    EXPIRED,
    EXPIRY_KIND,
    MEMBER_TYPES,
    REJECTED,
    REMINDER_KIND,
    STATUS_LABELS,
    SWEEP_KIND,
    Erased,
    MembershipService,
    email_domain,
)
from bot.services.verification import Outcome, VerificationService, validate_application
from bot.ui.checks import NotStaff, is_staff
from bot.ui.permissions import clauses, role_problems
from bot.ui.text import Translate, language_of, member_translator, server_translator, translator_for
from bot.ui.time import full_and_relative, timestamp
from bot.ui.views import BotModal, BotView, PersistentButton, guarded

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


# -- services, one set per bot -----------------------------------------------------------------


@dataclass(frozen=True)
class MemberServices:
    memberships: MembershipService
    verification: VerificationService


def membership_line(user_id: int, membership_id: int, detail: str | None = None) -> Message:
    """An audit summary naming a membership (stored in English, posted in the server's language)."""
    if detail:
        return Message.of(
            _("<@{user}> (membership #{id}): {detail}"), user=user_id, id=membership_id, detail=detail
        )
    return Message.of(_("<@{user}> (membership #{id})"), user=user_id, id=membership_id)


def services(bot: CisipBot) -> MemberServices:
    return MemberServices(bot.services.memberships, bot.services.verification)


# -- small helpers ------------------------------------------------------------------------------


def masked(email: str) -> str:
    """``a***@example.org``: enough for the member to recognise, shown to them only."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def resolve_guild(bot: CisipBot, guild_id: int) -> discord.Guild:
    guild = bot.get_guild(guild_id)
    if guild is None:
        raise DomainError(_("I am no longer in that server."))
    return guild


def resolve_member(
    bot: CisipBot, guild_id: int, user: discord.abc.User
) -> tuple[discord.Guild, discord.Member]:
    guild = resolve_guild(bot, guild_id)
    member = guild.get_member(user.id)
    if member is None:
        raise DomainError(_("You are not a member of that server any more."))
    return guild, member


async def send_dm(
    user: discord.User | discord.Member, content: str, view: discord.ui.View | None = None
) -> bool:
    try:
        if view is not None:
            await user.send(content, view=view)
        else:
            await user.send(content)
    except discord.HTTPException as exc:
        log.info("could not DM user %s: %s", user.id, exc.status)
        return False
    return True


async def user_of(bot: CisipBot, user_id: int) -> discord.User | None:
    user = bot.get_user(user_id)
    if user is not None:
        return user
    try:
        return await bot.fetch_user(user_id)
    except discord.HTTPException:
        return None


def persistent_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


# -- roles --------------------------------------------------------------------------------------


DELETED_ROLE = {
    "verified": _("the verified member role was deleted (staff: /setup role)"),
    "unverified": _("the unverified role was deleted (staff: /setup role)"),
    "member type": _("the member-type role was deleted (staff: /members type-role)"),
}


async def role_problems_for(
    bot: CisipBot, guild: discord.Guild, t: Translate, member_type: str | None = None
) -> list[str]:
    """Everything that stops the bot from giving the verified role (and the member-type role, and
    taking the unverified one)."""
    config = await bot.services.guild_settings.get(guild.id)
    verified_id = config.role("verified")
    if verified_id is None:
        return [t("no verified member role is set (staff: /setup role)")]
    wanted = {kind: config.role(kind) for kind in ("verified", "unverified")}
    if member_type is not None:
        wanted["member type"] = (await services(bot).memberships.type_roles(guild.id)).get(member_type)
    problems: list[str] = []
    for kind, role_id in wanted.items():
        role = guild.get_role(role_id) if role_id else None
        if role_id is not None and role is None:
            problems.append(t(DELETED_ROLE[kind]))
        elif role is not None:
            problems.extend(p for p in role_problems(t, role, guild.me) if p not in problems)
    return problems


async def grant_roles(bot: CisipBot, guild: discord.Guild, row: Membership) -> None:
    member = guild.get_member(row.user_id)
    if member is None:
        return
    config = await bot.services.guild_settings.get(guild.id)
    type_role_id = (await services(bot).memberships.type_roles(guild.id)).get(row.member_type)
    reason = f"CISIP membership #{row.id} approved"
    give = [guild.get_role(config.role("verified") or 0), guild.get_role(type_role_id or 0)]
    to_add = [role for role in give if role is not None and role not in member.roles]
    if to_add:
        await member.add_roles(*to_add, reason=reason)
    unverified = guild.get_role(config.role("unverified") or 0)
    if unverified is not None and unverified in member.roles:
        await member.remove_roles(unverified, reason=reason)
    if (await services(bot).memberships.policy_for(guild.id)).nicknames:
        nick = f"{row.full_name} · {row.organization}"
        nick = nick if len(nick) <= 32 else nick[:31] + "…"
        try:
            await member.edit(nick=nick, reason=reason)
        except discord.HTTPException as exc:
            # The owner, or someone above the bot, cannot be renamed: the roles matter more.
            log.info("could not set the nickname of member %s: %s", member.id, exc.status)


async def grant_roles_safely(bot: CisipBot, guild: discord.Guild, row: Membership) -> bool:
    """``grant_roles``, but a refusal (the roles changed since the check) is logged, not raised."""
    try:
        await grant_roles(bot, guild, row)
    except discord.HTTPException as exc:
        log.warning("could not give the roles of membership #%s in %s: %s", row.id, guild.id, exc.status)
        return False
    return True


async def erase(bot: CisipBot, guild: discord.Guild, user_id: int, reason: str) -> int:
    """Erase a member's data, take their roles and delete their card from the staff queue."""
    erasure = await bot.erase_person(guild, user_id)
    erased = erasure.part(Erased)
    if erased is None:
        raise DomainError(_("There is no membership data to erase."))
    await take_roles(bot, guild, user_id, reason)
    channel = guild.get_channel(erased.queue_channel_id) if erased.queue_channel_id else None
    if isinstance(channel, discord.TextChannel) and erased.queue_message_id is not None:
        try:
            await channel.get_partial_message(erased.queue_message_id).delete()
        except discord.HTTPException as exc:
            log.info("could not delete queue card %s: %s", erased.queue_message_id, exc.status)
    return erased.number


async def take_roles(bot: CisipBot, guild: discord.Guild, user_id: int, reason: str) -> None:
    """Take the verified and member-type roles (and give the unverified role back)."""
    member = guild.get_member(user_id)
    if member is None:
        return
    config = await bot.services.guild_settings.get(guild.id)
    taken = {config.role("verified"), *(await services(bot).memberships.type_roles(guild.id)).values()}
    unverified = guild.get_role(config.role("unverified") or 0)
    try:
        to_remove = [role for role in member.roles if role.id in taken]
        if to_remove:
            await member.remove_roles(*to_remove, reason=reason)
        if unverified is not None and unverified not in member.roles:
            await member.add_roles(unverified, reason=reason)
    except discord.HTTPException as exc:
        log.warning("could not take the verified role from %s in %s: %s", user_id, guild.id, exc.status)


# -- the staff queue ----------------------------------------------------------------------------


def queue_embed(t: Translate, row: Membership, note: str | None = None) -> discord.Embed:
    embed = discord.Embed(title=t("Membership application"), colour=discord.Colour.gold())
    embed.add_field(name=t("Member"), value=f"<@{row.user_id}>")
    embed.add_field(name=t("Full name"), value=row.full_name)
    embed.add_field(name=t("Organization"), value=row.organization)
    embed.add_field(name=t("Country"), value=row.country)
    embed.add_field(name=t("Member type"), value=t(MEMBER_TYPES[row.member_type]))
    # The address itself is personal: the queue shows its domain only (/members info shows it).
    verified = t("verified by code") if row.email_verified else t("not verified")
    embed.add_field(
        name=t("Email domain"), value=t("@{domain} ({state})", domain=email_domain(row.email), state=verified)
    )
    embed.add_field(name=t("Applied"), value=timestamp(row.applied_at, "R"))
    if note:
        embed.add_field(name=t("Note"), value=note[:1024], inline=False)
    embed.set_footer(text=t("Application #{number}", number=row.id))
    return embed


def review_view(t: Translate, membership_id: int) -> discord.ui.View:
    return persistent_view(
        ReviewButton(membership_id, "approve", t("Approve")),
        ReviewButton(membership_id, "reject", t("Reject")),
        ReviewButton(membership_id, "ask", t("Ask for info")),
    )


async def post_to_queue(
    bot: CisipBot, guild: discord.Guild, row: Membership, note: str | None = None
) -> bool:
    """Post (or refresh) the application in the verification channel; False when there is none."""
    channel_id = (await bot.services.guild_settings.get(guild.id)).channel("verification")
    channel = guild.get_channel(channel_id) if channel_id else None
    if not isinstance(channel, discord.TextChannel):
        return False
    t = await server_translator(bot, guild.id)
    embed, view = queue_embed(t, row, note), review_view(t, row.id)
    if row.queue_message_id is not None and row.queue_channel_id == channel.id:
        try:
            await channel.get_partial_message(row.queue_message_id).edit(embed=embed, view=view)
            return True
        except discord.HTTPException:
            pass  # deleted: post it again
    try:
        message = await channel.send(embed=embed, view=view)
    except discord.HTTPException as exc:
        log.warning("could not post to the verification channel of %s: %s", guild.id, exc.status)
        return False
    await services(bot).memberships.set_queue_message(row.id, channel.id, message.id)
    return True


async def close_in_queue(bot: CisipBot, guild: discord.Guild, row: Membership, decision: str) -> None:
    if row.queue_channel_id is None or row.queue_message_id is None:
        return
    channel = guild.get_channel(row.queue_channel_id)
    if not isinstance(channel, discord.TextChannel):
        return
    t = await server_translator(bot, guild.id)
    embed = queue_embed(t, row)
    embed.colour = discord.Colour.green() if row.status == APPROVED else discord.Colour.red()
    embed.add_field(name=t("Decision"), value=decision[:1024], inline=False)
    try:
        await channel.get_partial_message(row.queue_message_id).edit(embed=embed, view=None)
    except discord.HTTPException as exc:
        log.info("could not update queue message %s: %s", row.queue_message_id, exc.status)


# -- decisions (shared by the queue buttons and /members) ---------------------------------------


async def approve(
    bot: CisipBot, guild: discord.Guild, actor: discord.abc.User, membership_id: int, t: Translate
) -> str:
    """Approve an application as staff; returns the message for the staff member."""
    current = await services(bot).memberships.get_by_id(membership_id)
    problems = await role_problems_for(bot, guild, t, current.member_type)
    if problems:
        raise DomainError(
            _("I cannot give the verified role: {problems}. Fix this and try again."),
            problems=clauses(problems),
        )
    if current.status == APPROVED and current.expires_at is not None:
        # Already approved (two staff pressed Approve, or the roles were refused before): roles again.
        if not await grant_roles_safely(bot, guild, current):
            raise DomainError(_("Discord refused to give the roles: check /setup show."))
        return t(
            "<@{user}> is already a verified member until {date}; their roles are in place.",
            user=current.user_id,
            date=timestamp(current.expires_at, "D"),
        )
    row = await services(bot).memberships.approve(membership_id, actor.id)
    granted = await finish_approval(bot, guild, row)
    st = await server_translator(bot, guild.id)
    await close_in_queue(bot, guild, row, st("Approved by {who}.", who=actor.mention))
    await bot.audit(guild, actor, "members.approve", membership_line(row.user_id, row.id))
    assert row.expires_at is not None
    message = t(
        "<@{user}> is now a verified member until {date}.",
        user=row.user_id,
        date=timestamp(row.expires_at, "D"),
    )
    if not granted:
        message += " " + t(
            "But Discord refused to give the roles: fix what /setup show reports, then run "
            "/members approve again to give them."
        )
    return message


async def finish_approval(bot: CisipBot, guild: discord.Guild, row: Membership) -> bool:
    """Roles, nickname and the member's DM once the membership is approved."""
    granted = await grant_roles_safely(bot, guild, row)
    user = await user_of(bot, row.user_id)
    if user is not None and row.expires_at is not None:
        t = await member_translator(bot, row.user_id, guild.id)
        await send_dm(
            user,
            t(
                "Welcome to CISIP! Your membership in {server} is approved until {date}.",
                server=guild.name,
                date=timestamp(row.expires_at, "D"),
            ),
        )
    return granted


async def reject(
    bot: CisipBot,
    guild: discord.Guild,
    actor: discord.abc.User,
    membership_id: int,
    reason: str,
    t: Translate,
) -> str:
    row = await services(bot).memberships.reject(membership_id, actor.id, reason)
    st = await server_translator(bot, guild.id)
    await close_in_queue(
        bot, guild, row, st("Rejected by {who}: {reason}", who=actor.mention, reason=row.reason)
    )
    await bot.audit(guild, actor, "members.reject", membership_line(row.user_id, row.id, row.reason))
    user = await user_of(bot, row.user_id)
    mt = await member_translator(bot, row.user_id, guild.id)
    told = user is not None and await send_dm(
        user,
        mt(
            "Your CISIP membership application in {server} was not approved: {reason}\n"
            "You can apply again with the Verify button.",
            server=guild.name,
            reason=row.reason,
        ),
        verify_view(mt, guild.id),
    )
    return (
        t("Application rejected; the member was told why.")
        if told
        else t("Application rejected. The member's DMs are closed, so they were not told.")
    )


# -- the member's side --------------------------------------------------------------------------


def verify_view(t: Translate, guild_id: int) -> discord.ui.View:
    return persistent_view(VerifyButton(guild_id, t("Verify")))


def code_view(t: Translate, guild_id: int) -> discord.ui.View:
    return persistent_view(
        CodeButton(guild_id, t("Enter code")), ResendCodeButton(guild_id, t("Resend code"))
    )


async def after_code_or_apply(
    bot: CisipBot, interaction: discord.Interaction[CisipBot], guild: discord.Guild, outcome: Outcome
) -> None:
    """Tell the member what happens next, and do it (auto-approval, the queue)."""
    t = await translator_for(interaction)
    row = outcome.membership
    if outcome.step == "code":
        await interaction.response.send_message(
            t(
                "We sent a 6-digit code to {email}. Press Enter code and type it in; it is valid for "
                "10 minutes. No mail? Check your spam folder or press Resend code.",
                email=masked(row.new_email or row.email),
            ),
            view=code_view(t, guild.id),
            ephemeral=True,
        )
        return
    if outcome.step == "renewed":
        problems = await role_problems_for(bot, guild, t, row.member_type)
        if not problems:
            await grant_roles_safely(bot, guild, row)
        assert row.expires_at is not None
        await interaction.response.send_message(
            t("Thank you! Your membership is renewed until {date}.", date=timestamp(row.expires_at, "D")),
            ephemeral=True,
        )
        return
    note = None
    if outcome.organization is not None:
        org = outcome.organization
        # What goes to the staff queue is in the server's language.
        st = await server_translator(bot, guild.id)
        problems = await role_problems_for(bot, guild, st, row.member_type)
        if not problems:
            approved = await services(bot).memberships.approve(row.id, None)
            await grant_roles_safely(bot, guild, approved)
            await close_in_queue(
                bot,
                guild,
                approved,
                st("Approved automatically: {org} is a member organization.", org=org.name),
            )
            await bot.audit(
                guild,
                guild.me,
                "members.auto-approve",
                Message.of(
                    _("<@{user}> (membership #{id}): @{domain} belongs to {org}"),
                    user=row.user_id,
                    id=row.id,
                    domain=org.domain,
                    org=org.name,
                ),
            )
            assert approved.expires_at is not None
            await interaction.response.send_message(
                t(
                    "Welcome! Your email belongs to {org}, a CISIP member organization: you are a verified "
                    "member until {date}.",
                    org=org.name,
                    date=timestamp(approved.expires_at, "D"),
                ),
                ephemeral=True,
            )
            return
        note = st(
            "The email belongs to {org}, but I could not approve automatically: {problems}.",
            org=org.name,
            problems=clauses(problems),
        )
    await post_to_queue(bot, guild, row, note)
    await interaction.response.send_message(
        t("Thank you! Staff will review your application; I will send you a DM when they decide."),
        ephemeral=True,
    )


class ApplicationModal(BotModal):
    def __init__(
        self, bot: CisipBot, guild: discord.Guild, t: Translate, current: Membership | None, *, renewing: bool
    ) -> None:
        title = t("Renew your CISIP membership") if renewing else t("Become a CISIP member")
        super().__init__(title=title, custom_id=f"verify:apply:{guild.id}")
        self.bot, self.guild, self.renewing = bot, guild, renewing

        def text(
            custom_id: str, label: str, low: int, high: int, default: str | None
        ) -> discord.ui.TextInput[Any]:
            field: discord.ui.TextInput[Any] = discord.ui.TextInput(
                custom_id=custom_id, min_length=low, max_length=high, default=default
            )
            self.add_item(discord.ui.Label(text=label, component=field))
            return field

        self.full_name = text("full_name", t("Full name"), 2, 100, current.full_name if current else None)
        self.organization = text(
            "organization", t("Organization"), 2, 100, current.organization if current else None
        )
        self.email = text("email", t("Work email"), 6, 254, current.email if current else None)
        self.country = text("country", t("Country"), 2, 60, current.country if current else None)
        self.member_type: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="member_type",
            options=[
                discord.SelectOption(
                    label=t(label), value=key, default=current is not None and current.member_type == key
                )
                for key, label in MEMBER_TYPES.items()
            ],
        )
        self.add_item(discord.ui.Label(text=t("Member type"), component=self.member_type))

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        services(self.bot).verification.count_submission(self.guild.id, interaction.user.id)
        application = validate_application(
            self.full_name.value,
            self.organization.value,
            self.email.value,
            self.country.value,
            self.member_type.values[0] if self.member_type.values else "",
        )
        outcome = await services(self.bot).verification.apply(
            self.guild.id,
            interaction.user.id,
            application,
            server_name=self.guild.name,
            renewing=self.renewing,
            # The member is the one submitting: their Discord's language now is the one last seen.
            language=await language_of(interaction),
        )
        await after_code_or_apply(self.bot, interaction, self.guild, outcome)


class CodeModal(BotModal):
    def __init__(self, bot: CisipBot, guild: discord.Guild, t: Translate) -> None:
        super().__init__(title=t("Enter your code"), custom_id=f"verify:code-modal:{guild.id}")
        self.bot, self.guild = bot, guild
        self.code: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="code", min_length=1, max_length=10, placeholder="123456"
        )
        self.add_item(discord.ui.Label(text=t("The 6-digit code from the email"), component=self.code))

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        outcome = await services(self.bot).verification.check_code(
            self.guild.id, interaction.user.id, self.code.value
        )
        await after_code_or_apply(self.bot, interaction, self.guild, outcome)


class VerifyButton(
    PersistentButton[int],
    prefix="verify:start",
    style=discord.ButtonStyle.success,
    emoji="✅",
    label=_("Verify"),
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        bot = interaction.client
        guild, member = resolve_member(bot, self.key, interaction.user)
        t = await translator_for(interaction)
        current = await services(bot).memberships.get(guild.id, member.id)
        if current is not None and current.status == APPROVED:
            assert current.expires_at is not None
            raise DomainError(
                _("You are already a verified member until {date}."), date=timestamp(current.expires_at, "D")
            )
        await interaction.response.send_modal(ApplicationModal(bot, guild, t, current, renewing=False))


class RenewButton(
    PersistentButton[int], prefix="verify:renew", style=discord.ButtonStyle.success, label=_("Renew")
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        bot = interaction.client
        guild, member = resolve_member(bot, self.key, interaction.user)
        current = await services(bot).memberships.get(guild.id, member.id)
        if current is None or current.status not in (APPROVED, EXPIRED):
            raise DomainError(_("There is no membership to renew: press Verify to apply."))
        t = await translator_for(interaction)
        await interaction.response.send_modal(ApplicationModal(bot, guild, t, current, renewing=True))


class CodeButton(
    PersistentButton[int], prefix="verify:code", style=discord.ButtonStyle.primary, label=_("Enter code")
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        bot = interaction.client
        guild, _member = resolve_member(bot, self.key, interaction.user)
        await interaction.response.send_modal(CodeModal(bot, guild, await translator_for(interaction)))


class ResendCodeButton(PersistentButton[int], prefix="verify:resend", label=_("Resend code")):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        bot = interaction.client
        guild, member = resolve_member(bot, self.key, interaction.user)
        t = await translator_for(interaction)
        row = await services(bot).verification.resend(
            guild.id, member.id, server_name=guild.name, language=await language_of(interaction)
        )
        await interaction.response.send_message(
            t("A new code is on its way to {email}.", email=masked(row.new_email or row.email)),
            view=code_view(t, guild.id),
            ephemeral=True,
        )


class ReasonModal(BotModal):
    """Reject (the reason is sent to the member) or ask for more information (the question is)."""

    def __init__(
        self, bot: CisipBot, guild: discord.Guild, t: Translate, membership_id: int, what: str
    ) -> None:
        title = t("Reject the application") if what == "reject" else t("Ask the member for information")
        super().__init__(title=title, custom_id=f"members:{what}-modal:{membership_id}")
        self.bot, self.guild, self.membership_id, self.what = bot, guild, membership_id, what
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="text", style=discord.TextStyle.paragraph, min_length=1, max_length=500
        )
        label = (
            t("Reason (sent to the member)") if what == "reject" else t("Your question (sent to the member)")
        )
        self.add_item(discord.ui.Label(text=label, component=self.text))

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        if not await is_staff(interaction):
            raise NotStaff()
        t = await translator_for(interaction)
        if self.what == "reject":
            message = await reject(
                self.bot, self.guild, interaction.user, self.membership_id, self.text.value, t
            )
        else:
            message = await ask_for_info(
                self.bot, self.guild, interaction.user, self.membership_id, self.text.value, t
            )
        await interaction.response.send_message(message, ephemeral=True)


async def ask_for_info(
    bot: CisipBot,
    guild: discord.Guild,
    actor: discord.abc.User,
    membership_id: int,
    question: str,
    t: Translate,
) -> str:
    question = question.strip()
    if not question:
        raise DomainError(_("Write the question for the member."))
    row = await services(bot).memberships.get_by_id(membership_id)
    mt = await member_translator(bot, row.user_id, guild.id)
    user = await user_of(bot, row.user_id)
    told = user is not None and await send_dm(
        user,
        mt(
            "CISIP staff in {server} need more information about your membership application:\n> {question}\n"
            "Press Verify to update your application.",
            server=guild.name,
            question=question[:500].replace("\n", "\n> "),
        ),
        verify_view(mt, guild.id),
    )
    await bot.audit(guild, actor, "members.ask", membership_line(row.user_id, row.id, question[:200]))
    return (
        t("Question sent to <@{user}>.", user=row.user_id)
        if told
        else t("I could not send the question: <@{user}> does not accept DMs.", user=row.user_id)
    )


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"members:(?P<what>approve|reject|ask):(?P<id>[0-9]+)",
):
    STYLES = {
        "approve": discord.ButtonStyle.success,
        "reject": discord.ButtonStyle.danger,
        "ask": discord.ButtonStyle.secondary,
    }

    def __init__(self, membership_id: int, what: str, label: str = "Approve") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=self.STYLES[what], custom_id=f"members:{what}:{membership_id}"
            )
        )
        self.membership_id, self.what = membership_id, what

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReviewButton:
        return cls(int(match["id"]), match["what"])

    @guarded
    async def callback(self, interaction: discord.Interaction[CisipBot]) -> None:
        if not await is_staff(interaction):
            raise NotStaff()
        bot, guild = interaction.client, interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        if self.what == "approve":
            await interaction.response.send_message(
                await approve(bot, guild, interaction.user, self.membership_id, t), ephemeral=True
            )
        else:
            await services(bot).memberships.get_by_id(self.membership_id)  # still there?
            await interaction.response.send_modal(ReasonModal(bot, guild, t, self.membership_id, self.what))


# -- /verify ------------------------------------------------------------------------------------


def status_embed(t: Translate, row: Membership) -> discord.Embed:
    embed = discord.Embed(title=t("Your CISIP membership"), colour=discord.Colour.blurple())
    embed.add_field(name=t("Status"), value=t(STATUS_LABELS[row.status]), inline=False)
    embed.add_field(name=t("Full name"), value=row.full_name)
    embed.add_field(name=t("Organization"), value=row.organization)
    embed.add_field(name=t("Email"), value=row.email)
    embed.add_field(name=t("Country"), value=row.country)
    embed.add_field(name=t("Member type"), value=t(MEMBER_TYPES[row.member_type]))
    if row.expires_at is not None and row.status in (APPROVED, EXPIRED):
        embed.add_field(name=t("Valid until"), value=full_and_relative(row.expires_at), inline=False)
    if row.status == REJECTED and row.reason:
        embed.add_field(name=t("Reason"), value=row.reason, inline=False)
    return embed


class ForgetMeView(BotView):
    def __init__(self, bot: CisipBot, guild: discord.Guild, t: Translate) -> None:
        super().__init__(timeout=120)
        self.bot, self.guild = bot, guild
        self.confirm.label = t("Erase my data")

    @discord.ui.button(label="Erase my data", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]
    ) -> None:
        t = await translator_for(interaction)
        number = await erase(self.bot, self.guild, interaction.user.id, "member erased their CISIP data")
        await self.bot.audit(
            self.guild,
            None,
            "members.forget-me",
            Message.of(_("membership #{id} erased at the member's request"), id=number),
        )
        await interaction.response.edit_message(
            content=t(
                "Your membership data is erased. You can apply again at any time with the Verify button."
            ),
            view=None,
        )


@app_commands.guild_only()
class VerifyGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="verify", description=locale_str("Your CISIP membership"))
        self.bot = bot

    @app_commands.command(
        name="status", description=locale_str("Show your membership and until when it is valid")
    )
    async def status(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await services(self.bot).memberships.get(interaction.guild.id, interaction.user.id)
        if row is None:
            await interaction.response.send_message(
                t("You have not applied yet. Press Verify to become a CISIP member."),
                view=verify_view(t, interaction.guild.id),
                ephemeral=True,
            )
            return
        waiting_for_code = row.status == CODE or (row.renewing and row.new_email is not None)
        if waiting_for_code:
            await interaction.response.send_message(
                embed=status_embed(t, row), view=code_view(t, interaction.guild.id), ephemeral=True
            )
            return
        await interaction.response.send_message(embed=status_embed(t, row), ephemeral=True)

    @app_commands.command(name="forget-me", description=locale_str("Erase your membership data"))
    async def forget_me(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await services(self.bot).memberships.get(interaction.guild.id, interaction.user.id)
        if row is None:
            raise DomainError(_("There is no membership data to erase."))
        await interaction.response.send_message(
            t(
                "This erases your name, organization, email and country, and removes your verified role. "
                "Staff keep only an anonymous line that data was erased. Continue?"
            ),
            view=ForgetMeView(self.bot, interaction.guild, t),
            ephemeral=True,
        )


# -- the cog: joins and scheduled work ----------------------------------------------------------


def welcome_text(t: Translate, guild: discord.Guild, member: discord.Member) -> str:
    return t(
        "Welcome to {server}, {member}! Press Verify to become a verified CISIP member in a minute.",
        server=guild.name,
        member=member.mention,
    )


class Verification(commands.Cog):
    def __init__(self, bot: CisipBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        bot, guild = self.bot, member.guild
        config = await bot.services.guild_settings.get(guild.id)
        t = await server_translator(bot, guild.id)
        # A member who used the bot before (here or in another server) is welcomed in their language.
        mt = await member_translator(bot, member.id, guild.id)
        row = await services(bot).memberships.get(guild.id, member.id)
        if row is not None and await services(bot).memberships.still_valid(row):
            problems = await role_problems_for(bot, guild, t, row.member_type)
            if problems:
                log.warning("cannot give member %s their role back in %s: %s", member.id, guild.id, problems)
            else:
                await grant_roles_safely(bot, guild, row)
            assert row.expires_at is not None
            await send_dm(
                member,
                mt(
                    "Welcome back to {server}! Your CISIP membership is valid until {date}.",
                    server=guild.name,
                    date=timestamp(row.expires_at, "D"),
                ),
            )
            return
        unverified = guild.get_role(config.role("unverified") or 0)
        if unverified is not None:
            problems = role_problems(t, unverified, guild.me)
            if problems:
                log.warning("cannot give the unverified role in %s: %s", guild.id, problems)
            else:
                try:
                    await member.add_roles(unverified, reason="joined; not verified yet")
                except discord.HTTPException as exc:
                    log.warning("could not give the unverified role in %s: %s", guild.id, exc.status)
        channel_id = config.channel("welcome")
        channel = guild.get_channel(channel_id) if channel_id else None
        if isinstance(channel, discord.TextChannel):
            try:
                await channel.send(welcome_text(t, guild, member), view=verify_view(t, guild.id))
            except discord.HTTPException as exc:
                log.warning("could not welcome in %s: %s", guild.id, exc.status)
        await send_dm(member, welcome_text(mt, guild, member), verify_view(mt, guild.id))

    async def remind(self, context: JobContext) -> None:
        row = await services(self.bot).memberships.due_reminder(
            int(context.payload["membership_id"]), int(context.payload["cycle"])
        )
        if row is None or row.expires_at is None:
            return
        guild = self.bot.get_guild(row.guild_id)
        user = await user_of(self.bot, row.user_id)
        if guild is None or user is None:
            return
        t = await member_translator(self.bot, row.user_id, guild.id)
        text = t(
            "Your CISIP membership in {server} ends {date}. Press Renew to confirm or update your details.",
            server=guild.name,
            date=full_and_relative(row.expires_at),
        )
        if context.late:
            text += "\n" + t("(This reminder is late: the bot was offline when it was due.)")
        await send_dm(user, text, persistent_view(RenewButton(guild.id, t("Renew"))))

    async def expire(self, context: JobContext) -> None:
        row = await services(self.bot).memberships.expire(
            int(context.payload["membership_id"]), int(context.payload["cycle"])
        )
        if row is None:
            return
        guild = self.bot.get_guild(row.guild_id)
        if guild is None:
            return
        await take_roles(self.bot, guild, row.user_id, f"CISIP membership #{row.id} expired")
        user = await user_of(self.bot, row.user_id)
        if user is not None:
            t = await member_translator(self.bot, row.user_id, guild.id)
            await send_dm(
                user,
                t(
                    "Your CISIP membership in {server} has ended, so your verified role was removed. "
                    "Press Renew to continue your membership.",
                    server=guild.name,
                ),
                persistent_view(RenewButton(guild.id, t("Renew"))),
            )
        await self.bot.audit(guild, guild.me, "members.expire", membership_line(row.user_id, row.id))

    async def sweep(self, context: JobContext) -> None:
        guild_id = context.payload.get("guild_id")
        count = await services(self.bot).memberships.sweep(int(guild_id) if guild_id is not None else None)
        log.info("membership sweep: %d active memberships have their reminders and expiry", count)


async def setup(bot: CisipBot) -> None:
    cog = Verification(bot)
    # A reminder days late is still worth sending (it says it is late); an expiry is never dropped.
    bot.register_job(REMINDER_KIND, cog.remind, grace=timedelta(days=3))
    bot.register_job(EXPIRY_KIND, cog.expire, grace=timedelta(days=3650))
    bot.register_job(SWEEP_KIND, cog.sweep)
    bot.add_dynamic_items(VerifyButton, RenewButton, CodeButton, ResendCodeButton, ReviewButton)
    bot.tree.add_command(VerifyGroup(bot))
    await bot.add_cog(cog)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("verify")
    bot.remove_dynamic_items(VerifyButton, RenewButton, CodeButton, ResendCodeButton, ReviewButton)
