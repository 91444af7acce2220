"""WEB_* settings: defaults, and a wrong value is one line naming the variable and the fix."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings
from bot.web.core import WebConfig


def test_defaults_serve_on_localhost_8080_publicly() -> None:
    settings = Settings.from_env({})
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.web_base_url == "http://127.0.0.1:8080" and settings.web_public is True
    assert settings.web_guild_id is None and settings.web_discord_invite is None


def test_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "9000",
            "WEB_BASE_URL": "https://cisip.example.org/",
            "WEB_PUBLIC": "false",
            "WEB_GUILD_ID": "424242424242424242",
            "WEB_DISCORD_INVITE": "https://discord.gg/abc",
        }
    )
    assert (settings.web_host, settings.web_port, settings.web_public) == ("0.0.0.0", 9000, False)
    assert settings.web_base_url == "https://cisip.example.org"
    config = WebConfig.from_settings(settings)
    assert config.guild_id == 424242424242424242 and config.host == "cisip.example.org"
    assert config.absolute("/workshops.ics") == "https://cisip.example.org/workshops.ics"
    assert Settings.from_env({"WEB_HOST": "0.0.0.0"}).web_base_url == "http://127.0.0.1:8080"
    assert Settings.from_env({"WEB_PORT": "0"}).web_port == 0
    # The server's own id when none is given for the pages.
    dev = Settings.from_env({"DEV_GUILD_ID": "111111111111111111"})
    assert WebConfig.from_settings(dev).guild_id == 111111111111111111


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WEB_PORT", "http", "WEB_PORT must be a port number from 1 to 65535, or 0 to serve no web pages"),
        ("WEB_PORT", "70000", "WEB_PORT must be a port number"),
        ("WEB_HOST", "local host", "WEB_HOST must be a host name or an IP address"),
        ("WEB_BASE_URL", "cisip.example.org", "WEB_BASE_URL must be a URL starting with http:// or https://"),
        ("WEB_BASE_URL", "ftp://cisip.example.org", "the address readers use"),
        ("WEB_PUBLIC", "maybe", "WEB_PUBLIC must be true or false"),
        ("WEB_GUILD_ID", "abc", "WEB_GUILD_ID must be a Discord ID"),
        (
            "WEB_DISCORD_INVITE",
            "http://discord.gg/x",
            "WEB_DISCORD_INVITE must be a URL starting with https://",
        ),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({variable: value})
    message = str(error.value)
    assert says in message and "\n" not in message
