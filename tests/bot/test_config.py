"""Settings from the environment: defaults, and one clear line for every wrong variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"


def test_defaults_use_an_sqlite_file_in_the_data_directory() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///data/cisip.sqlite3"
    assert settings.database_backend == "sqlite"
    assert settings.data_dir == Path("data")
    assert settings.discord_api_base_url == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.log_level == "INFO"
    assert settings.dev_guild_id is None
    assert settings.owner_ids == frozenset()


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/cisip",
            "DEV_GUILD_ID": "123456789012345678",
            "OWNER_IDS": "111111111111111111, 222222222222222222",
            "LOG_LEVEL": "debug",
            "DISCORD_API_BASE_URL": "http://127.0.0.1:8080/api/v10",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:8080/gateway",
            "SCHEDULER_GRACE_SECONDS": "3600",
        }
    )
    assert settings.require_token() == TOKEN
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/cisip"
    assert settings.database_backend == "postgresql"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.owner_ids == {111111111111111111, 222222222222222222}
    assert settings.log_level == "DEBUG"
    assert settings.discord_api_base_url == "http://127.0.0.1:8080/api/v10"
    assert settings.discord_gateway_url == "ws://127.0.0.1:8080/gateway"
    assert settings.scheduler_grace_seconds == 3600


def test_data_dir_moves_the_default_database() -> None:
    assert (
        Settings.from_env({"DATA_DIR": "/srv/cisip"}).database_url
        == "sqlite+aiosqlite:////srv/cisip/cisip.sqlite3"
    )


def test_missing_token_says_how_to_fix_it() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({}).require_token()
    message = str(error.value)
    assert "DISCORD_TOKEN" in message and "copy .env.example to .env" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DISCORD_TOKEN", "not a token", "DISCORD_TOKEN does not look like a bot token"),
        (
            "DATABASE_URL",
            "mysql://root@localhost/cisip",
            "DATABASE_URL must start with sqlite:/// or postgresql://",
        ),
        ("DEV_GUILD_ID", "my-server", "DEV_GUILD_ID must be a Discord ID"),
        ("DEV_GUILD_ID", "12", "DEV_GUILD_ID must be a Discord ID"),
        ("OWNER_IDS", "111111111111111111,bob", "OWNER_IDS must be a Discord ID"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        (
            "DISCORD_API_BASE_URL",
            "127.0.0.1:8080",
            "DISCORD_API_BASE_URL must be a URL starting with http://",
        ),
        (
            "DISCORD_GATEWAY_URL",
            "http://127.0.0.1/gw",
            "DISCORD_GATEWAY_URL must be a URL starting with ws://",
        ),
        ("SCHEDULER_GRACE_SECONDS", "-5", "SCHEDULER_GRACE_SECONDS must be a whole number"),
    ],
)
def test_a_wrong_variable_is_one_line_naming_it(variable: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({variable: value})
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_the_token_is_never_shown() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"DISCORD_TOKEN": TOKEN + " extra"})
    assert TOKEN not in str(error.value)
