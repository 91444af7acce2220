"""Embeds of /setup and /status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import discord

from bot.i18n import Listing, language_name
from bot.services.guild_settings import ASSIGNABLE_ROLES, CHANNEL_KINDS, ROLE_KINDS, GuildConfig
from bot.services.status import Health
from bot.ui.limits import EMBED_TITLE, fit, fit_embed
from bot.ui.permissions import (
    channel_problems,
    clauses,
    missing_server_permissions,
    permission_label,
    role_problems,
)
from bot.ui.text import Translate
from bot.ui.time import full_and_relative, timestamp
from cogs.admin._visibility import StaffVisibility

OK, WARN = "✅", "⚠️"


def settings_embed(
    t: Translate, guild: discord.Guild, config: GuildConfig, staff: StaffVisibility | None = None
) -> discord.Embed:
    """The server's settings, each with what the bot can or cannot do with it, and, when Discord
    told, whether the staff role's members see the staff commands."""
    me = guild.me
    embed = discord.Embed(
        title=fit(t("CISIP bot settings for {server}", server=guild.name), EMBED_TITLE),
        colour=discord.Colour.blurple(),
    )
    lines = []
    for kind, label in CHANNEL_KINDS.items():
        channel_id = config.channel(kind)
        channel = guild.get_channel(channel_id) if channel_id else None
        if channel_id is None:
            lines.append(f"• {t(label)}: {t('not set')}")
        elif channel is None:
            lines.append(f"{WARN} {t(label)}: {t('the channel was deleted')}")
        else:
            problems = channel_problems(t, channel, me)
            mark = f"{WARN} " + t("missing: {problems}", problems=Listing.of(problems)) if problems else OK
            lines.append(f"• {t(label)}: {channel.mention} {mark}")
    embed.add_field(name=t("Channels"), value="\n".join(lines), inline=False)
    lines = []
    for kind, label in ROLE_KINDS.items():
        role_id = config.role(kind)
        role = guild.get_role(role_id) if role_id else None
        if role_id is None:
            lines.append(f"• {t(label)}: {t('not set')}")
        elif role is None:
            lines.append(f"{WARN} {t(label)}: {t('the role was deleted')}")
        else:
            problems = role_problems(t, role, me, assignable=kind in ASSIGNABLE_ROLES)
            mark = f"{WARN} " + t("cannot manage: {problems}", problems=clauses(problems)) if problems else OK
            lines.append(f"• {t(label)}: {role.mention} {mark}")
    embed.add_field(name=t("Roles"), value="\n".join(lines), inline=False)
    if staff is not None:
        embed.add_field(name=t("Staff commands"), value=staff_commands_line(t, guild, staff), inline=False)
    lines = []
    for need in missing_server_permissions(me):
        text = (
            t(
                "missing {permission}: {enables}",
                permission=permission_label(need.attribute),
                enables=t(need.enables),
            )
            if need.required
            else t(
                "missing {permission} (optional): {enables}",
                permission=permission_label(need.attribute),
                enables=t(need.enables),
            )
        )
        lines.append(f"{WARN if need.required else '•'} {text}")
    embed.add_field(
        name=t("Server permissions"),
        value="\n".join(lines) if lines else f"{OK} " + t("the bot has every permission it asks for"),
        inline=False,
    )
    embed.add_field(name=t("Time zone"), value=config.timezone)
    embed.add_field(name=t("Language"), value=language_name(config.language))
    embed.set_footer(
        text=t("Change a setting with /setup channel, /setup role, /setup timezone or /setup language.")
    )
    return fit_embed(embed)


def staff_commands_line(t: Translate, guild: discord.Guild, staff: StaffVisibility) -> str:
    """Whether Discord shows the staff commands to the staff role, and the clicks that fix it."""
    role = staff.role.mention
    if not staff.hidden:
        return f"{OK} " + t("{role} can see every staff command", role=role)
    commands = Listing.of(staff.hidden)
    if staff.role.permissions.manage_guild or guild.default_role.permissions.manage_guild:
        fix = t(
            "Discord does not show {commands} to {role}: an overwrite denies them. To fix it: Server "
            "Settings > Integrations > {bot} > Manage, then click each of these commands and allow "
            "{role} under Roles & Members.",
            commands=commands,
            role=role,
            bot=guild.me.name,
        )
    else:
        fix = t(
            "Discord does not show {commands} to {role}: they need Manage Server. To fix it: Server "
            "Settings > Integrations > {bot} > Manage, then click each of these commands and allow "
            "{role} under Roles & Members (allowing it for the whole app is not enough).",
            commands=commands,
            role=role,
            bot=guild.me.name,
        )
    return f"{WARN} {fix}"


def status_embed(
    t: Translate, health: Health, started_at: datetime, latency: float, failed: Mapping[str, str]
) -> discord.Embed:
    """The bot's health: version, uptime, gateway latency, database, what is scheduled next."""
    healthy = health.database_ok and health.schema_current and not failed
    embed = discord.Embed(
        title=t("CISIP bot status"),
        colour=discord.Colour.green() if healthy else discord.Colour.orange(),
    )
    embed.add_field(name=t("Version"), value=health.version)
    embed.add_field(name=t("Up since"), value=full_and_relative(started_at))
    embed.add_field(
        name=t("Gateway latency"),
        value=t("{ms:n} ms", ms=round(latency * 1000))
        if latency == latency and latency < float("inf")
        else "—",
    )
    if health.database_ok:
        database = t(
            "{backend}, schema {revision} ({state}), {ms:n} ms",
            backend=health.database_backend,
            revision=health.schema_revision or "—",
            state=t("current") if health.schema_current else t("out of date"),
            ms=round(health.database_latency_ms or 0, 1),
        )
    else:
        database = f"{WARN} " + t("{backend} is not answering", backend=health.database_backend)
    embed.add_field(name=t("Database"), value=database, inline=False)
    if health.leader is not None:
        leader = t(
            "{host}, process {pid}, since {since}",
            host=health.leader.host,
            pid=str(health.leader.pid),
            since=timestamp(health.leader.since, "R") if health.leader.since else "—",
        )
        if health.this_process_leads:
            leader = t("{leader} (this process)", leader=leader)
        embed.add_field(name=t("Leader"), value=leader, inline=False)
    next_job = timestamp(health.next_job_at, "R") if health.next_job_at else t("nothing scheduled")
    embed.add_field(
        name=t("Scheduled"),
        value=t("{count:n} pending; next {next}", count=health.pending_jobs, next=next_job),
        inline=False,
    )
    if failed:
        embed.add_field(
            name=f"{WARN} " + t("Modules that failed to load"),
            value="\n".join(sorted(failed)),
            inline=False,
        )
    return fit_embed(embed)
