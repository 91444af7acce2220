"""/verify (a member's own membership and data) and /members (staff: review, manage, erase).

Parse what was given, call the membership service, render the answer. Every /members command is
for staff only, checked on the bot's side (``staff_only``), and audited.
"""

from __future__ import annotations

import builtins
import io
import json
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.errors import DomainError
from bot.fields import (
    DOMAIN,
    GRACE_DAYS,
    MEMBERSHIP_MONTHS,
    MEMBERSHIP_REMINDERS,
    ORGANIZATION,
    PARK_REFERENCE,
    STAFF_REASON,
)
from bot.i18n import Message, _
from bot.services.membership import MEMBER_TYPES
from bot.services.parks import ParkRecord
from bot.ui.checks import STAFF_DEFAULT_PERMISSIONS, is_staff, staff_only
from bot.ui.limits import CHOICE_NAME, fit
from bot.ui.permissions import clauses, role_problems
from bot.ui.references import Reference
from bot.ui.replies import send_ephemeral, think
from bot.ui.text import translator_for
from cogs.membership._roles import take_roles
from cogs.membership.embeds import (
    data_sections,
    membership_line,
    organizations_embed,
    pending_embed,
    policy_embed,
    staff_info_embed,
    status_embed,
)
from cogs.membership.views import (
    NOTHING_TO_ERASE,
    ForgetMeView,
    approve,
    code_view,
    erase,
    reject,
    verify_view,
)

if TYPE_CHECKING:
    from bot.client import CisipBot


TYPE_CHOICES = [app_commands.Choice(name=locale_str(label), value=key) for key, label in MEMBER_TYPES.items()]
MAX_CHOICES = 25


async def find_park(interaction: discord.Interaction[CisipBot], typed: str, staff: bool) -> ParkRecord:
    """The park an organization runs, found as every park option finds it (the directory's rule)."""
    return interaction.client.services.parks.find(typed)


async def suggest_parks(
    interaction: discord.Interaction[CisipBot], typed: str, staff: bool
) -> builtins.list[tuple[str, str]]:
    """The directory's own search: the parks whose names look like what is typed."""
    return [
        (f"{park.name} ({park.city})" if park.city else park.name, park.slug)
        for park in interaction.client.services.parks.autocomplete(typed, MAX_CHOICES)
    ]


# Staff only: /members is, and its autocomplete suggests nothing to anyone else.
ParkOption = app_commands.Transform[
    ParkRecord, Reference(PARK_REFERENCE, find_park, suggest_parks, staff_only=True)
]


# -- /verify: the member's own ------------------------------------------------------------------


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
        row = await self.bot.services.memberships.get(interaction.guild.id, interaction.user.id)
        if row is None:
            await interaction.response.send_message(
                t("You have not applied yet. Press Verify to become a CISIP member."),
                view=verify_view(t, interaction.guild.id),
                ephemeral=True,
            )
            return
        if self.bot.services.verification.waits_for_code(row):
            await interaction.response.send_message(
                embed=status_embed(t, row), view=code_view(t, interaction.guild.id), ephemeral=True
            )
            return
        await interaction.response.send_message(embed=status_embed(t, row), ephemeral=True)

    @app_commands.command(name="my-data", description=locale_str("Get everything the bot stores about you"))
    async def my_data(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        await think(interaction)  # every capability is asked
        personal_data = self.bot.services.personal_data
        document = await personal_data.document(interaction.guild.id, interaction.user.id)
        sections = list(document["data"])
        if not sections:
            await send_ephemeral(interaction, t("The bot stores nothing about you in this server."))
            return
        what = data_sections(t, sections)
        text = (
            t(
                "Everything the bot stores about you in this server, as a JSON file:\n{sections}\n"
                "Erase it with /verify forget-me.",
                sections=what,
            )
            if personal_data.erasable(sections)
            else t(
                "Everything the bot stores about you in this server, as a JSON file:\n{sections}\n"
                "It learns this again each time you use the bot, so there is nothing to erase.",
                sections=what,
            )
        )
        data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        await send_ephemeral(
            interaction,
            text,
            file=discord.File(io.BytesIO(data), filename=f"cisip-data-{interaction.user.id}.json"),
        )

    @app_commands.command(name="forget-me", description=locale_str("Erase your data"))
    async def forget_me(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        personal_data = self.bot.services.personal_data
        sections = list(await personal_data.export(interaction.guild.id, interaction.user.id))
        if not personal_data.erasable(sections):
            raise DomainError(NOTHING_TO_ERASE)
        await interaction.response.send_message(
            t(
                "This erases everything the bot stores about you in this server:\n{sections}\n"
                "Your verified role is removed with your membership. Staff keep only an anonymous line "
                "that data was erased. Continue?",
                sections=data_sections(t, sections),
            ),
            view=ForgetMeView(self.bot, interaction.guild, t, interaction.user.id),
            ephemeral=True,
        )


# -- /members: staff ----------------------------------------------------------------------------


@staff_only()
class OrgGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(
            name="org", description=locale_str("Member organizations (approved by email domain)")
        )
        self.bot = bot

    @app_commands.command(name="add", description=locale_str("Register a member organization"))
    @app_commands.describe(
        name=locale_str("The organization's name"),
        domain=locale_str("Its email domain, such as tsinghua.edu.cn"),
        park=locale_str("The park of the directory it runs"),
    )
    async def add(
        self,
        interaction: discord.Interaction[CisipBot],
        name: app_commands.Range[str, ORGANIZATION.min_length, ORGANIZATION.max_length],
        domain: app_commands.Range[str, DOMAIN.min_length, DOMAIN.max_length],
        park: ParkOption | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        org = await self.bot.services.memberships.add_organization(
            interaction.guild.id, name, domain, park.slug if park is not None else None
        )
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.org-add",
            f"{org.name} (@{org.domain})" + (f", park {org.park_slug}" if org.park_slug else ""),
        )
        text = t(
            "{name} is registered: members with a verified @{domain} email are approved automatically.",
            name=org.name,
            domain=org.domain,
        )
        if park is not None:  # say which park was found for what was typed
            text += " " + t("Its park in the directory: {park}.", park=park.name)
        await send_ephemeral(interaction, text)

    @app_commands.command(name="list", description=locale_str("List the member organizations"))
    async def list(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        orgs = await self.bot.services.memberships.organizations(interaction.guild.id)
        if not orgs:
            await interaction.response.send_message(
                t("No member organizations yet: add one with /members org add."), ephemeral=True
            )
            return
        await interaction.response.send_message(embed=organizations_embed(t, orgs), ephemeral=True)

    @app_commands.command(name="remove", description=locale_str("Remove a member organization"))
    @app_commands.describe(domain=locale_str("Its email domain"))
    async def remove(
        self,
        interaction: discord.Interaction[CisipBot],
        domain: app_commands.Range[str, DOMAIN.min_length, DOMAIN.max_length],
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        org = await self.bot.services.memberships.remove_organization(interaction.guild.id, domain)
        await self.bot.audit(
            interaction.guild, interaction.user, "members.org-remove", f"{org.name} (@{org.domain})"
        )
        await interaction.response.send_message(
            t("{name} (@{domain}) is no longer a member organization.", name=org.name, domain=org.domain),
            ephemeral=True,
        )

    @remove.autocomplete("domain")
    async def domain_autocomplete(
        self, interaction: discord.Interaction[CisipBot], current: str
    ) -> builtins.list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not await is_staff(interaction):
            return []
        orgs = await self.bot.services.memberships.organizations(interaction.guild_id)
        needle = current.lower()
        return [
            app_commands.Choice(name=fit(f"{org.name} (@{org.domain})", CHOICE_NAME), value=org.domain)
            for org in orgs
            # A choice's value is at most 100 characters: a longer domain can still be typed.
            if (needle in org.domain or needle in org.name.lower()) and len(org.domain) <= CHOICE_NAME
        ][:MAX_CHOICES]


@staff_only()
@app_commands.guild_only()
@app_commands.default_permissions(STAFF_DEFAULT_PERMISSIONS)
class MembersGroup(app_commands.Group):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="members", description=locale_str("Review and manage CISIP members"))
        self.bot = bot
        self.add_command(OrgGroup(bot))

    @app_commands.command(name="pending", description=locale_str("Applications waiting for review"))
    async def pending(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        rows, total = await self.bot.services.memberships.pending(interaction.guild.id)
        if not rows:
            await interaction.response.send_message(t("No applications are waiting."), ephemeral=True)
            return
        await interaction.response.send_message(embed=pending_embed(t, rows, total), ephemeral=True)

    @app_commands.command(name="info", description=locale_str("Show a member's application and membership"))
    @app_commands.describe(user=locale_str("The member"))
    async def info(self, interaction: discord.Interaction[CisipBot], user: discord.User) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await self.bot.services.memberships.require(interaction.guild.id, user.id)
        await interaction.response.send_message(embed=staff_info_embed(t, row), ephemeral=True)

    @app_commands.command(name="approve", description=locale_str("Approve a member's application"))
    @app_commands.describe(user=locale_str("The member"))
    async def approve(self, interaction: discord.Interaction[CisipBot], user: discord.User) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await self.bot.services.memberships.require(interaction.guild.id, user.id)
        await think(interaction)  # roles, a DM, the queue card and the audit line follow
        await send_ephemeral(
            interaction, await approve(self.bot, interaction.guild, interaction.user, row.id, t)
        )

    @app_commands.command(name="reject", description=locale_str("Reject a member's application"))
    @app_commands.describe(user=locale_str("The member"), reason=locale_str("Why (sent to the member)"))
    async def reject(
        self,
        interaction: discord.Interaction[CisipBot],
        user: discord.User,
        reason: app_commands.Range[str, STAFF_REASON.min_length, STAFF_REASON.max_length],
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await self.bot.services.memberships.require(interaction.guild.id, user.id)
        await think(interaction)  # a DM and the queue card follow
        await send_ephemeral(
            interaction, await reject(self.bot, interaction.guild, interaction.user, row.id, reason, t)
        )

    @app_commands.command(name="revoke", description=locale_str("End a verified membership now"))
    @app_commands.describe(user=locale_str("The member"), reason=locale_str("Why (kept in the audit log)"))
    async def revoke(
        self,
        interaction: discord.Interaction[CisipBot],
        user: discord.User,
        reason: app_commands.Range[str, STAFF_REASON.min_length, STAFF_REASON.max_length] | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await self.bot.services.memberships.revoke(
            interaction.guild.id, user.id, interaction.user.id, reason
        )
        await think(interaction)  # the roles are taken on Discord
        await take_roles(self.bot, interaction.guild, user.id, f"CISIP membership #{row.id} revoked")
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.revoke",
            membership_line(user.id, row.id, row.reason),
        )
        await send_ephemeral(
            interaction,
            t("The membership of <@{user}> is revoked and the verified role removed.", user=user.id),
        )

    @app_commands.command(
        name="type-role", description=locale_str("Set or clear the role given with a member type")
    )
    @app_commands.describe(
        member_type=locale_str("The member type"),
        role=locale_str("The role to give with it (leave empty to give none)"),
    )
    @app_commands.choices(member_type=TYPE_CHOICES)
    async def type_role(
        self,
        interaction: discord.Interaction[CisipBot],
        member_type: app_commands.Choice[str],
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        if role is not None:
            problems = role_problems(t, role, interaction.guild.me)
            if problems:
                raise DomainError(
                    _("I cannot use {role}: {problems}. Fix this and try again."),
                    role=role.mention,
                    problems=clauses(problems),
                )
        await self.bot.services.memberships.set_type_role(
            interaction.guild.id, member_type.value, role.id if role else None
        )
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.type-role",
            Message.of(
                _("{type} = {role}"),
                type=Message(MEMBER_TYPES[member_type.value]),
                role=f"@{role.name}" if role else Message(_("none")),
            ),
        )
        label = t(MEMBER_TYPES[member_type.value])
        await interaction.response.send_message(
            t("Approved members of type {type} now get {role}.", type=label, role=role.mention)
            if role
            else t("Members of type {type} get no extra role now.", type=label),
            ephemeral=True,
        )

    @app_commands.command(
        name="settings", description=locale_str("Show or change this server's membership year")
    )
    @app_commands.describe(
        months=locale_str("How many months a membership lasts"),
        reminders=locale_str("Reminder DMs, in days before expiry, such as 30,7"),
        grace_days=locale_str("Days after expiry before the verified role is removed"),
        nicknames=locale_str("Set approved members' nickname to 'Name · Organization'"),
    )
    async def settings(
        self,
        interaction: discord.Interaction[CisipBot],
        months: app_commands.Range[int, MEMBERSHIP_MONTHS.min_value, MEMBERSHIP_MONTHS.max_value]
        | None = None,
        reminders: app_commands.Range[str, MEMBERSHIP_REMINDERS.min_length, MEMBERSHIP_REMINDERS.max_length]
        | None = None,
        grace_days: app_commands.Range[int, GRACE_DAYS.min_value, GRACE_DAYS.max_value] | None = None,
        nicknames: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        memberships = self.bot.services.memberships
        changes = {"months": months, "reminders": reminders, "grace_days": grace_days, "nicknames": nicknames}
        if all(value is None for value in changes.values()):
            policy = await memberships.policy_for(interaction.guild.id)
            note = None
        else:
            policy = await memberships.set_policy(
                interaction.guild.id,
                months=months,
                reminder_days=reminders,
                grace_days=grace_days,
                nicknames=nicknames,
            )
            # What was kept, not what was typed: the service cleaned it.
            kept = {
                "months": policy.months,
                "reminders": ",".join(str(days) for days in policy.reminder_days),
                "grace_days": policy.grace.days,
                "nicknames": policy.nicknames,
            }
            summary = ", ".join(f"{key}={kept[key]}" for key, value in changes.items() if value is not None)
            await self.bot.audit(interaction.guild, interaction.user, "members.settings", summary)
            note = t("Saved. Memberships approved or renewed from now on follow these settings.")
        await interaction.response.send_message(note, embed=policy_embed(t, policy), ephemeral=True)

    @app_commands.command(name="export", description=locale_str("Download every membership as CSV"))
    async def export(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        data = await self.bot.services.memberships.export_csv(interaction.guild.id)
        await self.bot.audit(
            interaction.guild, interaction.user, "members.export", Message(_("a CSV of every membership"))
        )
        await interaction.response.send_message(
            t("Every membership of this server (personal data: keep it safe)."),
            file=discord.File(io.BytesIO(data), filename="cisip-members.csv"),
            ephemeral=True,
        )

    @app_commands.command(name="forget", description=locale_str("Erase a member's personal data"))
    @app_commands.describe(user=locale_str("The member"))
    async def forget(self, interaction: discord.Interaction[CisipBot], user: discord.User) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        await think(interaction)  # every capability erases, and undoes its part on Discord
        number = await erase(self.bot, interaction.guild, user.id, staff=True)
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.forget",
            Message.of(_("membership #{id} erased by staff"), id=number)
            if number is not None
            else Message(_("a member's data erased by staff")),
        )
        await send_ephemeral(
            interaction,
            t("The personal data of membership #{number} is erased.", number=number)
            if number is not None
            else t("The personal data of <@{user}> is erased.", user=user.id),
        )
