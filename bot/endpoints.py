"""Point discord.py at Discord, or at a Discord-compatible server such as the test emulator.

discord.py keeps its REST base and gateway address as class attributes, and its JSON parser as a module
attribute, so this is process-wide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import discord.utils
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def use_discord_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Send every REST call to ``api_base_url`` and open the gateway at ``gateway_url``."""
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def _tolerant_json(text: bytes | bytearray | memoryview | str) -> Any:
    try:
        return _fast_json(text)
    except ValueError:
        # orjson refuses some valid JSON that the standard parser reads: a lone UTF-16 surrogate
        # escape ("\ud800") in a string, a number beyond a double. One such frame from the gateway
        # would otherwise end discord.py's connection loop, and the bot with it.
        return json.loads(bytes(text) if isinstance(text, memoryview) else text)


def _scrub(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD: valid UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _tolerant_dumps(value: Any) -> str:
    try:
        return _fast_dumps(value)
    except TypeError:
        # Text typed by a member can carry a lone surrogate, which is not UTF-8: echoed back in a
        # reply it would make the whole send fail.
        return _fast_dumps(_scrub(value))


def parse_json_tolerantly() -> None:
    """Let discord.py read and write JSON with orjson (fast), falling back for what orjson refuses.
    Process-wide, like the endpoints."""
    setattr(discord.utils, "_from_json", _tolerant_json)  # noqa: B010 (a module's private hook)
    setattr(discord.utils, "_to_json", _tolerant_dumps)  # noqa: B010


_fast_json: Callable[[Any], Any] = discord.utils._from_json
_fast_dumps: Callable[[Any], str] = discord.utils._to_json
