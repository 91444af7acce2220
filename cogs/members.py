"""Staff commands for members: /members pending|info|approve|reject|revoke|export|forget and
/members org add|list|remove (registered organizations whose email domains are approved
automatically). Every command is for staff only, checked on the bot's side, and audited."""

from __future__ import annotations

import builtins
import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.errors import DomainError
from bot.i18n import Listing, Message, _
from bot.services.membership import MEMBER_TYPES, STATUS_LABELS
from bot.ui.checks import NotStaff, is_staff
from bot.ui.permissions import clauses, role_problems
from bot.ui.text import translator_for
from bot.ui.time import full_and_relative, timestamp
from cogs.verification import approve, erase, membership_line, reject, services, status_embed, take_roles

if TYPE_CHECKING:
    from bot.client import CisipBot


TYPE_CHOICES = [app_commands.Choice(name=locale_str(label), value=key) for key, label in MEMBER_TYPES.items()]


class StaffGroup(app_commands.Group):
    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        # default_permissions only hides the command; server admins can show it to anyone.
        if await is_staff(interaction):
            return True
        raise NotStaff()


class OrgGroup(StaffGroup):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(
            name="org", description=locale_str("Member organizations (approved by email domain)")
        )
        self.bot = bot

    @app_commands.command(name="add", description=locale_str("Register a member organization"))
    @app_commands.describe(
        name=locale_str("The organization's name"),
        domain=locale_str("Its email domain, such as tsinghua.edu.cn"),
        park=locale_str("The park of the directory it runs (its identifier)"),
    )
    async def add(
        self,
        interaction: discord.Interaction[CisipBot],
        name: app_commands.Range[str, 2, 100],
        domain: app_commands.Range[str, 4, 253],
        park: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        org = await services(self.bot).memberships.add_organization(interaction.guild.id, name, domain, park)
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.org-add",
            f"{org.name} (@{org.domain})" + (f", park {org.park_slug}" if org.park_slug else ""),
        )
        await interaction.response.send_message(
            t(
                "{name} is registered: members with a verified @{domain} email are approved automatically.",
                name=org.name,
                domain=org.domain,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="list", description=locale_str("List the member organizations"))
    async def list(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        orgs = await services(self.bot).memberships.organizations(interaction.guild.id)
        if not orgs:
            await interaction.response.send_message(
                t("No member organizations yet: add one with /members org add."), ephemeral=True
            )
            return
        lines = [
            t("• **{name}** @{domain} (park: {park})", name=org.name, domain=org.domain, park=org.park_slug)
            if org.park_slug
            else t("• **{name}** @{domain}", name=org.name, domain=org.domain)
            for org in orgs
        ]
        embed = discord.Embed(title=t("Member organizations"), colour=discord.Colour.blurple())
        embed.description = "\n".join(lines)[:4000]
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="remove", description=locale_str("Remove a member organization"))
    @app_commands.describe(domain=locale_str("Its email domain"))
    async def remove(
        self, interaction: discord.Interaction[CisipBot], domain: app_commands.Range[str, 1, 253]
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        org = await services(self.bot).memberships.remove_organization(interaction.guild.id, domain)
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
        orgs = await services(self.bot).memberships.organizations(interaction.guild_id)
        needle = current.lower()
        return [
            app_commands.Choice(name=f"{org.name} (@{org.domain})"[:100], value=org.domain)
            for org in orgs
            if needle in org.domain or needle in org.name.lower()
        ][:25]


@app_commands.guild_only()
@app_commands.default_permissions(manage_roles=True)
class MembersGroup(StaffGroup):
    def __init__(self, bot: CisipBot) -> None:
        super().__init__(name="members", description=locale_str("Review and manage CISIP members"))
        self.bot = bot
        self.add_command(OrgGroup(bot))

    @app_commands.command(name="pending", description=locale_str("Applications waiting for review"))
    async def pending(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        rows, total = await services(self.bot).memberships.pending(interaction.guild.id)
        if not rows:
            await interaction.response.send_message(t("No applications are waiting."), ephemeral=True)
            return
        lines = [
            t(
                "• <@{user}>: {name}, {organization} ({status}, {applied})",
                user=row.user_id,
                name=row.full_name,
                organization=row.organization,
                status=t(STATUS_LABELS[row.status]),
                applied=timestamp(row.applied_at, "R"),
            )
            for row in rows
        ]
        embed = discord.Embed(
            title=t("Applications waiting: {count:n}", count=total), colour=discord.Colour.gold()
        )
        embed.description = "\n".join(lines)[:4000]
        if total > len(rows):
            embed.set_footer(text=t("The oldest {shown:n} are shown.", shown=len(rows)))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="info", description=locale_str("Show a member's application and membership"))
    @app_commands.describe(user=locale_str("The member"))
    async def info(self, interaction: discord.Interaction[CisipBot], user: discord.User) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await services(self.bot).memberships.require(interaction.guild.id, user.id)
        embed = status_embed(t, row)
        embed.title = t("Membership of {name}", name=row.full_name)
        embed.add_field(name=t("Applied"), value=full_and_relative(row.applied_at), inline=False)
        if row.decided_by is not None:
            embed.add_field(name=t("Decided by"), value=f"<@{row.decided_by}>")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="approve", description=locale_str("Approve a member's application"))
    @app_commands.describe(user=locale_str("The member"))
    async def approve(self, interaction: discord.Interaction[CisipBot], user: discord.User) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await services(self.bot).memberships.require(interaction.guild.id, user.id)
        message = await approve(self.bot, interaction.guild, interaction.user, row.id, t)
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="reject", description=locale_str("Reject a member's application"))
    @app_commands.describe(user=locale_str("The member"), reason=locale_str("Why (sent to the member)"))
    async def reject(
        self,
        interaction: discord.Interaction[CisipBot],
        user: discord.User,
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await services(self.bot).memberships.require(interaction.guild.id, user.id)
        message = await reject(self.bot, interaction.guild, interaction.user, row.id, reason, t)
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="revoke", description=locale_str("End a verified membership now"))
    @app_commands.describe(user=locale_str("The member"), reason=locale_str("Why (kept in the audit log)"))
    async def revoke(
        self,
        interaction: discord.Interaction[CisipBot],
        user: discord.User,
        reason: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        row = await services(self.bot).memberships.revoke(
            interaction.guild.id, user.id, interaction.user.id, reason
        )
        await take_roles(self.bot, interaction.guild, user.id, f"CISIP membership #{row.id} revoked")
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.revoke",
            membership_line(user.id, row.id, row.reason),
        )
        await interaction.response.send_message(
            t("The membership of <@{user}> is revoked and the verified role removed.", user=user.id),
            ephemeral=True,
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
        await services(self.bot).memberships.set_type_role(
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
        months: app_commands.Range[int, 1, 120] | None = None,
        reminders: app_commands.Range[str, 1, 64] | None = None,
        grace_days: app_commands.Range[int, 0, 365] | None = None,
        nicknames: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        memberships = services(self.bot).memberships
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
            summary = ", ".join(f"{key}={value}" for key, value in changes.items() if value is not None)
            await self.bot.audit(interaction.guild, interaction.user, "members.settings", summary)
            note = t("Saved. Memberships approved or renewed from now on follow these settings.")
        embed = discord.Embed(title=t("Membership year"), colour=discord.Colour.blurple())
        embed.add_field(name=t("Length"), value=t("{months:n} months", months=policy.months))
        embed.add_field(
            name=t("Reminders"),
            value=t(
                Listing.of(
                    (Message.of(_("{days:n} days before"), days=d) for d in policy.reminder_days),
                    separator=_(", "),
                )
            )
            or t("none"),
        )
        embed.add_field(name=t("Grace after expiry"), value=t("{days:n} days", days=policy.grace.days))
        embed.add_field(name=t("Nicknames"), value=t("on") if policy.nicknames else t("off"))
        await interaction.response.send_message(note, embed=embed, ephemeral=True)

    @app_commands.command(name="export", description=locale_str("Download every membership as CSV"))
    async def export(self, interaction: discord.Interaction[CisipBot]) -> None:
        assert interaction.guild is not None
        t = await translator_for(interaction)
        data = await services(self.bot).memberships.export_csv(interaction.guild.id)
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
        number = await erase(self.bot, interaction.guild, user.id, "CISIP data erased by staff")
        await self.bot.audit(
            interaction.guild,
            interaction.user,
            "members.forget",
            Message.of(_("membership #{id} erased by staff"), id=number),
        )
        await interaction.response.send_message(
            t("The personal data of membership #{number} is erased.", number=number), ephemeral=True
        )


async def setup(bot: CisipBot) -> None:
    bot.tree.add_command(MembersGroup(bot))


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("members")
