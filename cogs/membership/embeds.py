"""What membership looks like in Discord: the staff queue card, the member's status card, staff
lists, and the lines written to the audit log. Rendering only; every embed is fitted into Discord's
limits (a staff reason or a long list must not make Discord refuse the card)."""

from __future__ import annotations

import discord

from bot.db.models_members import MemberOrganization, Membership
from bot.i18n import Listing, Message, _
from bot.services.membership import (
    APPROVED,
    EXPIRED,
    MEMBER_TYPES,
    REJECTED,
    STATUS_LABELS,
    MembershipPolicy,
    email_domain,
)
from bot.ui.limits import EMBED_DESCRIPTION, FIELD_VALUE, fit, fit_embed
from bot.ui.text import Translate
from bot.ui.time import full_and_relative, timestamp

# What /verify my-data and the erasure prompt call each capability's part of a person's data.
DATA_SECTIONS = {
    "membership": _("your membership application: name, organization, email, country, member type"),
    "workshops": _("your workshop registrations and the reminders you received"),
    "reports": _("your report subscription and the reports sent to you"),
    "calendar": _("the calendar announcements you added"),
    "language": _("the language your Discord showed when you last used the bot"),
    "audit_log": _("staff audit-log lines that name you (they stay, without your name)"),
}


def masked(email: str) -> str:
    """``a***@example.org``: enough for the member to recognise, shown to them only."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def membership_line(user_id: int, membership_id: int, detail: str | None = None) -> Message:
    """An audit summary naming a membership (stored in English, posted in the server's language)."""
    if detail:
        return Message.of(
            _("<@{user}> (membership #{id}): {detail}"), user=user_id, id=membership_id, detail=detail
        )
    return Message.of(_("<@{user}> (membership #{id})"), user=user_id, id=membership_id)


def welcome_text(t: Translate, guild: discord.Guild, member: discord.Member) -> str:
    return t(
        "Welcome to {server}, {member}! Press Verify to become a verified CISIP member in a minute.",
        server=guild.name,
        member=member.mention,
    )


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
        embed.add_field(name=t("Note"), value=fit(note, FIELD_VALUE), inline=False)
    embed.set_footer(text=t("Application #{number}", number=row.id))
    return fit_embed(embed)


def decided_queue_embed(t: Translate, row: Membership, decision: str) -> discord.Embed:
    embed = queue_embed(t, row)
    embed.colour = discord.Colour.green() if row.status == APPROVED else discord.Colour.red()
    embed.add_field(name=t("Decision"), value=fit(decision, FIELD_VALUE), inline=False)
    return fit_embed(embed)


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
    return fit_embed(embed)


def staff_info_embed(t: Translate, row: Membership) -> discord.Embed:
    embed = status_embed(t, row)
    embed.title = t("Membership of {name}", name=row.full_name)
    embed.add_field(name=t("Applied"), value=full_and_relative(row.applied_at), inline=False)
    if row.decided_by is not None:
        embed.add_field(name=t("Decided by"), value=f"<@{row.decided_by}>")
    return fit_embed(embed)


def pending_embed(t: Translate, rows: list[Membership], total: int) -> discord.Embed:
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
    embed.description = fit("\n".join(lines), EMBED_DESCRIPTION)
    if total > len(rows):
        embed.set_footer(text=t("The oldest {shown:n} are shown.", shown=len(rows)))
    return fit_embed(embed)


def organizations_embed(t: Translate, orgs: list[MemberOrganization]) -> discord.Embed:
    lines = [
        t("• **{name}** @{domain} (park: {park})", name=org.name, domain=org.domain, park=org.park_slug)
        if org.park_slug
        else t("• **{name}** @{domain}", name=org.name, domain=org.domain)
        for org in orgs
    ]
    embed = discord.Embed(title=t("Member organizations"), colour=discord.Colour.blurple())
    embed.description = fit("\n".join(lines), EMBED_DESCRIPTION)
    return fit_embed(embed)


def policy_embed(t: Translate, policy: MembershipPolicy) -> discord.Embed:
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
    return embed


def data_sections(t: Translate, sections: list[str]) -> str:
    """One bullet per kind of data kept about a person (the export's section names)."""
    return "\n".join(f"• {t(DATA_SECTIONS.get(name, name))}" for name in sections)
