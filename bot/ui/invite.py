"""The link that adds the bot to a server, with the scopes and permissions its features need."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from bot.ui.permissions import invite_permissions

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")
GUILD_INSTALL = 0  # integration_type: installed to a server, not to a user


class NotABotToken(ValueError):
    """The token's first part is not the base64 of an application id."""


def application_id_from_token(token: str) -> int:
    """The application id a bot token carries: its first part is the id, in base64."""
    first = token.split(".", 1)[0]
    try:
        text = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise NotABotToken from exc
    if not text.isdigit() or not 15 <= len(text) <= 20:  # a snowflake
        raise NotABotToken
    return int(text)


def invite_url(application_id: int) -> str:
    """The authorization link that adds the bot to a server with every permission it asks for."""
    query = urlencode(
        {
            "client_id": application_id,
            "scope": " ".join(SCOPES),
            "permissions": invite_permissions().value,
            "integration_type": GUILD_INSTALL,
        }
    )
    return f"{AUTHORIZE_URL}?{query}"
