"""The buttons and forms of membership, and what pressing them starts.

Members: Verify (the application form), Enter code / Resend code, Renew. Staff: the review card's
Approve / Reject / Ask for info (the same decisions ``/members approve|reject`` take). Every button
is a ``DynamicItem`` (its state is in its custom_id), so it keeps working after a restart. Emails
appear only in private replies and mails, never in channels or logs. The rules (who may apply,
renew or be approved, what a code is worth) are the membership and verification services'.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.db.models_members import Membership
from bot.errors import DomainError
from bot.fields import (
    APPLICANT_COUNTRY,
    EMAIL,
    FULL_NAME,
    ORGANIZATION,
    STAFF_QUESTION,
    STAFF_REASON,
    VERIFICATION_CODE,
    TextField,
    canonical_text,
)
from bot.i18n import Message, _
from bot.services.delivery import Outcome
from bot.services.membership import MEMBER_TYPES, Erased
from bot.services.verification import Outcome as Step
from bot.services.verification import validate_application
from bot.ui.checks import require_staff
from bot.ui.dm import send_dm
from bot.ui.limits import INPUT_LABEL, MODAL_TITLE, fit
from bot.ui.permissions import clauses
from bot.ui.replies import send_ephemeral, think
from bot.ui.text import Translate, language_of, member_translator, server_translator, translator_for
from bot.ui.time import timestamp
from bot.ui.views import BotModal, BotView, PersistentButton, guarded, persistent_view
from cogs.membership._roles import grant_roles_safely, role_problems_for
from cogs.membership.embeds import decided_queue_embed, masked, membership_line, queue_embed

if TYPE_CHECKING:
    from bot.client import CisipBot

log = logging.getLogger(__name__)


def resolve_member(
    bot: CisipBot, guild_id: int, user: discord.abc.User
) -> tuple[discord.Guild, discord.Member]:
    """The server a button belongs to and the presser as its member (buttons also live in DMs)."""
    guild = bot.get_guild(guild_id)
    if guild is None:
        raise DomainError(_("I am no longer in that server."))
    member = guild.get_member(user.id)
    if member is None:
        raise DomainError(_("You are not a member of that server any more."))
    return guild, member


# -- the staff queue ----------------------------------------------------------------------------


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
    await bot.services.memberships.set_queue_message(row.id, channel.id, message.id)
    return True


async def close_in_queue(bot: CisipBot, guild: discord.Guild, row: Membership, decision: str) -> None:
    if row.queue_channel_id is None or row.queue_message_id is None:
        return
    channel = guild.get_channel(row.queue_channel_id)
    if not isinstance(channel, discord.TextChannel):
        return
    t = await server_translator(bot, guild.id)
    try:
        await channel.get_partial_message(row.queue_message_id).edit(
            embed=decided_queue_embed(t, row, decision), view=None
        )
    except discord.HTTPException as exc:
        log.info("could not update queue message %s: %s", row.queue_message_id, exc.status)


async def delete_queue_card(guild: discord.Guild, channel_id: int | None, message_id: int | None) -> None:
    channel = guild.get_channel(channel_id) if channel_id else None
    if isinstance(channel, discord.TextChannel) and message_id is not None:
        try:
            await channel.get_partial_message(message_id).delete()
        except discord.HTTPException as exc:
            log.info("could not delete queue card %s: %s", message_id, exc.status)


# -- decisions (the queue buttons and /members share them) --------------------------------------


async def approve(
    bot: CisipBot, guild: discord.Guild, actor: discord.abc.User, membership_id: int, t: Translate
) -> str:
    """Approve an application as staff; returns the message for the staff member."""
    current = await bot.services.memberships.get_by_id(membership_id)
    problems = await role_problems_for(bot, guild, t, current.member_type)
    if problems:
        raise DomainError(
            _("I cannot give the verified role: {problems}. Fix this and try again."),
            problems=clauses(problems),
        )
    approval = await bot.services.memberships.approve(membership_id, actor.id)
    row = approval.membership
    assert row.expires_at is not None
    if approval.already:
        # Two staff pressed Approve, or the roles were refused before: give the roles again.
        if not await grant_roles_safely(bot, guild, row):
            raise DomainError(_("Discord refused to give the roles: check /setup show."))
        return t(
            "<@{user}> is already a verified member until {date}; their roles are in place.",
            user=row.user_id,
            date=timestamp(row.expires_at, "D"),
        )
    granted = await finish_approval(bot, guild, row)
    st = await server_translator(bot, guild.id)
    await close_in_queue(bot, guild, row, st("Approved by {who}.", who=actor.mention))
    await bot.audit(guild, actor, "members.approve", membership_line(row.user_id, row.id))
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
    if row.expires_at is not None:
        t = await member_translator(bot, row.user_id, guild.id)
        await send_dm(
            bot,
            row.user_id,
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
    row = await bot.services.memberships.reject(membership_id, actor.id, reason)
    st = await server_translator(bot, guild.id)
    await close_in_queue(
        bot, guild, row, st("Rejected by {who}: {reason}", who=actor.mention, reason=row.reason)
    )
    await bot.audit(guild, actor, "members.reject", membership_line(row.user_id, row.id, row.reason))
    mt = await member_translator(bot, row.user_id, guild.id)
    told = await send_dm(
        bot,
        row.user_id,
        mt(
            "Your CISIP membership application in {server} was not approved: {reason}\n"
            "You can apply again with the Verify button.",
            server=guild.name,
            reason=row.reason,
        ),
        view=verify_view(mt, guild.id),
    )
    return (
        t("Application rejected; the member was told why.")
        if told is Outcome.SENT
        else t("Application rejected. The member's DMs are closed, so they were not told.")
    )


async def ask_for_info(
    bot: CisipBot,
    guild: discord.Guild,
    actor: discord.abc.User,
    membership_id: int,
    question: str,
    t: Translate,
) -> str:
    row, question = await bot.services.memberships.question_about(membership_id, question)
    mt = await member_translator(bot, row.user_id, guild.id)
    told = await send_dm(
        bot,
        row.user_id,
        mt(
            "CISIP staff in {server} need more information about your membership application:\n> {question}\n"
            "Press Verify to update your application.",
            server=guild.name,
            question=question.replace("\n", "\n> "),
        ),
        view=verify_view(mt, guild.id),
    )
    await bot.audit(guild, actor, "members.ask", membership_line(row.user_id, row.id, fit(question, 200)))
    return (
        t("Question sent to <@{user}>.", user=row.user_id)
        if told is Outcome.SENT
        else t("I could not send the question: <@{user}> does not accept DMs.", user=row.user_id)
    )


class ReasonModal(BotModal):
    """Reject (the reason is sent to the member) or ask for more information (the question is)."""

    def __init__(
        self, bot: CisipBot, guild: discord.Guild, t: Translate, membership_id: int, what: str
    ) -> None:
        title = t("Reject the application") if what == "reject" else t("Ask the member for information")
        super().__init__(title=fit(title, MODAL_TITLE), custom_id=f"members:{what}-modal:{membership_id}")
        self.bot, self.guild, self.membership_id, self.what = bot, guild, membership_id, what
        field = STAFF_REASON if what == "reject" else STAFF_QUESTION
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="text",
            style=discord.TextStyle.paragraph,
            min_length=field.min_length,
            max_length=field.max_length,
        )
        label = (
            t("Reason (sent to the member)") if what == "reject" else t("Your question (sent to the member)")
        )
        self.add_item(discord.ui.Label(text=fit(label, INPUT_LABEL), component=self.text))

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        await require_staff(interaction)
        t = await translator_for(interaction)
        await think(interaction)  # the decision DMs the member and edits the queue card
        if self.what == "reject":
            message = await reject(
                self.bot, self.guild, interaction.user, self.membership_id, self.text.value, t
            )
        else:
            message = await ask_for_info(
                self.bot, self.guild, interaction.user, self.membership_id, self.text.value, t
            )
        await send_ephemeral(interaction, message)


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
        await require_staff(interaction)
        bot, guild = interaction.client, interaction.guild
        assert guild is not None
        t = await translator_for(interaction)
        if self.what == "approve":
            await think(interaction)  # roles, a DM, the queue card and the audit line follow
            await send_ephemeral(
                interaction, await approve(bot, guild, interaction.user, self.membership_id, t)
            )
        else:
            await bot.services.memberships.get_by_id(self.membership_id)  # still there?
            await interaction.response.send_modal(ReasonModal(bot, guild, t, self.membership_id, self.what))


# -- the member's side --------------------------------------------------------------------------


def verify_view(t: Translate, guild_id: int) -> discord.ui.View:
    return persistent_view(VerifyButton(guild_id, t("Verify")))


def renew_view(t: Translate, guild_id: int) -> discord.ui.View:
    return persistent_view(RenewButton(guild_id, t("Renew")))


def code_view(t: Translate, guild_id: int) -> discord.ui.View:
    return persistent_view(
        CodeButton(guild_id, t("Enter code")), ResendCodeButton(guild_id, t("Resend code"))
    )


async def after_code_or_apply(
    bot: CisipBot, interaction: discord.Interaction[CisipBot], guild: discord.Guild, outcome: Step
) -> None:
    """Tell the member what happens next, and do it (auto-approval, the queue)."""
    t = await translator_for(interaction)
    row = outcome.membership
    if outcome.step == "code":
        await send_ephemeral(
            interaction,
            t(
                "We sent a 6-digit code to {email}. Press Enter code and type it in; it is valid for "
                "10 minutes. No mail? Check your spam folder or press Resend code.",
                email=masked(row.new_email or row.email),
            ),
            view=code_view(t, guild.id),
        )
        return
    if outcome.step == "renewed":
        problems = await role_problems_for(bot, guild, t, row.member_type)
        if not problems:
            await grant_roles_safely(bot, guild, row)
        assert row.expires_at is not None
        await send_ephemeral(
            interaction,
            t("Thank you! Your membership is renewed until {date}.", date=timestamp(row.expires_at, "D")),
        )
        return
    note = None
    if outcome.organization is not None:
        org = outcome.organization
        # What goes to the staff queue is in the server's language.
        st = await server_translator(bot, guild.id)
        problems = await role_problems_for(bot, guild, st, row.member_type)
        if not problems:
            approved = (await bot.services.memberships.approve(row.id, None)).membership
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
            await send_ephemeral(
                interaction,
                t(
                    "Welcome! Your email belongs to {org}, a CISIP member organization: you are a verified "
                    "member until {date}.",
                    org=org.name,
                    date=timestamp(approved.expires_at, "D"),
                ),
            )
            return
        note = st(
            "The email belongs to {org}, but I could not approve automatically: {problems}.",
            org=org.name,
            problems=clauses(problems),
        )
    await post_to_queue(bot, guild, row, note)
    await send_ephemeral(
        interaction,
        t("Thank you! Staff will review your application; I will send you a DM when they decide."),
    )


class ApplicationModal(BotModal):
    def __init__(
        self, bot: CisipBot, guild: discord.Guild, t: Translate, current: Membership | None, *, renewing: bool
    ) -> None:
        title = t("Renew your CISIP membership") if renewing else t("Become a CISIP member")
        super().__init__(title=fit(title, MODAL_TITLE), custom_id=f"verify:apply:{guild.id}")
        self.bot, self.guild, self.renewing = bot, guild, renewing

        def text(
            custom_id: str, label: str, spec: TextField, default: str | None
        ) -> discord.ui.TextInput[Any]:
            # What is on record, as the form may show it (Discord refuses a form whose default is
            # longer than its input allows).
            shown = fit(canonical_text(default), spec.max_length) if default else None
            field: discord.ui.TextInput[Any] = discord.ui.TextInput(
                custom_id=custom_id,
                min_length=spec.min_length,
                max_length=spec.max_length,
                default=shown or None,
            )
            self.add_item(discord.ui.Label(text=fit(label, INPUT_LABEL), component=field))
            return field

        self.full_name = text("full_name", t("Full name"), FULL_NAME, current.full_name if current else None)
        self.organization = text(
            "organization", t("Organization"), ORGANIZATION, current.organization if current else None
        )
        self.email = text("email", t("Work email"), EMAIL, current.email if current else None)
        self.country = text("country", t("Country"), APPLICANT_COUNTRY, current.country if current else None)
        self.member_type: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="member_type",
            options=[
                discord.SelectOption(
                    label=t(label), value=key, default=current is not None and current.member_type == key
                )
                for key, label in MEMBER_TYPES.items()
            ],
        )
        self.add_item(discord.ui.Label(text=fit(t("Member type"), INPUT_LABEL), component=self.member_type))

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        verification = self.bot.services.verification
        verification.count_submission(self.guild.id, interaction.user.id)
        application = validate_application(
            self.full_name.value,
            self.organization.value,
            self.email.value,
            self.country.value,
            self.member_type.values[0] if self.member_type.values else "",
        )
        await think(interaction)  # a code mail or the staff queue may take a while
        outcome = await verification.apply(
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
        super().__init__(
            title=fit(t("Enter your code"), MODAL_TITLE), custom_id=f"verify:code-modal:{guild.id}"
        )
        self.bot, self.guild = bot, guild
        self.code: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="code",
            min_length=VERIFICATION_CODE.min_length,
            max_length=VERIFICATION_CODE.max_length,
            placeholder="123456",
        )
        self.add_item(
            discord.ui.Label(text=fit(t("The 6-digit code from the email"), INPUT_LABEL), component=self.code)
        )

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        await think(interaction)  # an approval gives roles and posts to the queue
        outcome = await self.bot.services.verification.check_code(
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
        current = await bot.services.memberships.may_apply(guild.id, member.id)
        t = await translator_for(interaction)
        await interaction.response.send_modal(ApplicationModal(bot, guild, t, current, renewing=False))


class RenewButton(
    PersistentButton[int], prefix="verify:renew", style=discord.ButtonStyle.success, label=_("Renew")
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        bot = interaction.client
        guild, member = resolve_member(bot, self.key, interaction.user)
        current = await bot.services.memberships.may_renew(guild.id, member.id)
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
        row = await bot.services.verification.resend(
            guild.id, member.id, server_name=guild.name, language=await language_of(interaction)
        )
        await interaction.response.send_message(
            t("A new code is on its way to {email}.", email=masked(row.new_email or row.email)),
            view=code_view(t, guild.id),
            ephemeral=True,
        )


PERSISTENT_ITEMS = (VerifyButton, RenewButton, CodeButton, ResendCodeButton, ReviewButton)


# -- erasure --------------------------------------------------------------------------------------


class ForgetMeView(BotView):
    """Asks before a member erases their own data."""

    def __init__(self, bot: CisipBot, guild: discord.Guild, t: Translate, owner_id: int) -> None:
        super().__init__(timeout=120, owner_id=owner_id)
        self.bot, self.guild = bot, guild
        self.confirm.label = t("Erase my data")

    @discord.ui.button(label="Erase my data", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[CisipBot], button: discord.ui.Button[Any]
    ) -> None:
        t = await translator_for(interaction)
        await interaction.response.defer()  # every capability erases, and undoes its part on Discord
        erased = await erase(self.bot, self.guild, interaction.user.id)
        self.stop()
        await self.bot.audit(
            self.guild,
            None,
            "members.forget-me",
            Message.of(_("membership #{id} erased at the member's request"), id=erased)
            if erased is not None
            else Message(_("a member's data erased at their request")),
        )
        await interaction.edit_original_response(
            content=t(
                "Your membership data is erased. You can apply again at any time with the Verify button."
            )
            if erased is not None
            else t("Your data is erased."),
            view=None,
        )


NOTHING_TO_ERASE = _("The bot stores nothing about you here to erase.")


async def erase(bot: CisipBot, guild: discord.Guild, user_id: int, *, staff: bool = False) -> int | None:
    """Erase everything about ``user_id`` in ``guild`` (every capability, and their roles, queue card
    and seats on Discord); returns the erased membership's number, if they had one."""
    if not await bot.services.personal_data.holds_any(guild.id, user_id):
        if staff:
            raise DomainError(_("The bot stores nothing about <@{user}> here to erase."), user=user_id)
        raise DomainError(NOTHING_TO_ERASE)
    erasure = await bot.erase_person(guild, user_id)
    erased = erasure.part(Erased)
    return erased.number if erased is not None else None
