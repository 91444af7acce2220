"""The services of the bot a Discord object belongs to."""

from __future__ import annotations

import discord

from bot.services.container import Services


def services_of(client: discord.Client) -> Services:
    """``client.services``, typed: the one way a cog or a helper reaches a service."""
    services = getattr(client, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError(f"{type(client).__name__} carries no CISIP services")
    return services
