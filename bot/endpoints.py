"""Point discord.py at Discord, or at a Discord-compatible server such as the test emulator.

discord.py keeps its REST base and gateway address as class attributes, so this is process-wide.
"""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def use_discord_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Send every REST call to ``api_base_url`` and open the gateway at ``gateway_url``."""
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
