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


SMTP_OK = {
    "SMTP_HOST": "smtp.example.org",
    "MAIL_FROM": "verify@cisip.example.org",
    "SECRET_KEY": "0123456789abcdef0123",
}


def test_smtp_and_membership_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            **SMTP_OK,
            "SMTP_SECURITY": "TLS",
            "SMTP_USERNAME": "bot",
            "SMTP_PASSWORD": "hunter2-secret",
            "MEMBERSHIP_MONTHS": "6",
            "MEMBERSHIP_REMINDER_DAYS": "7, 30,1",
            "MEMBERSHIP_GRACE_DAYS": "0",
            "MEMBERSHIP_NICKNAMES": "yes",
        }
    )
    assert settings.smtp_configured
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "smtp.example.org",
        465,
        "tls",
    )
    assert settings.membership_months == 6
    assert settings.membership_reminder_days == (30, 7, 1)
    assert settings.membership_grace_days == 0
    assert settings.membership_nicknames is True
    assert "hunter2-secret" not in repr(settings)
    assert SMTP_OK["SECRET_KEY"] not in repr(settings)


def test_smtp_defaults() -> None:
    settings = Settings.from_env({})
    assert not settings.smtp_configured
    assert (settings.smtp_port, settings.smtp_security) == (587, "starttls")
    assert settings.membership_reminder_days == (30, 7)
    assert Settings.from_env({**SMTP_OK, "SMTP_SECURITY": "none", "SMTP_PORT": "2525"}).smtp_port == 2525


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY must be starttls, tls or none"),
        ({"SMTP_PORT": "99999"}, "SMTP_PORT must be a port number"),
        ({"MAIL_FROM": ""}, "SMTP_HOST is set but MAIL_FROM is not: set MAIL_FROM to the address"),
        ({"SECRET_KEY": ""}, "SMTP_HOST is set but SECRET_KEY is not: set SECRET_KEY to the output of"),
        ({"MAIL_FROM": "not an address"}, "MAIL_FROM must be the sender address"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 16 random characters"),
        ({"SMTP_USERNAME": "bot"}, "SMTP_USERNAME and SMTP_PASSWORD must be set together"),
        ({"MEMBERSHIP_MONTHS": "0"}, "MEMBERSHIP_MONTHS must be a whole number from 1 to 120"),
        ({"MEMBERSHIP_REMINDER_DAYS": "30,soon"}, "MEMBERSHIP_REMINDER_DAYS must be comma-separated"),
        ({"MEMBERSHIP_GRACE_DAYS": "-1"}, "MEMBERSHIP_GRACE_DAYS must be a whole number from 0 to 365"),
        ({"MEMBERSHIP_NICKNAMES": "maybe"}, "MEMBERSHIP_NICKNAMES must be true or false"),
    ],
)
def test_a_wrong_smtp_or_membership_variable_is_one_line(changes: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**SMTP_OK, **changes})
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)
    assert SMTP_OK["SECRET_KEY"] not in str(error.value)


def test_smtp_host_alone_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"SMTP_HOST": "localhost"})
    assert str(error.value) == (
        "SMTP_HOST is set but MAIL_FROM is not: set MAIL_FROM to the address verification emails come "
        "from (such as verify@cisip.org), or empty SMTP_HOST to skip email codes"
    )


def test_certificate_font_is_a_font_file_that_exists(tmp_path: Path) -> None:
    assert Settings.from_env({"CERTIFICATE_FONT": ""}).certificate_font is None  # Debian's default
    font = tmp_path / "cjk.ttf"
    font.write_bytes(b"\x00\x01\x00\x00")
    assert Settings.from_env({"CERTIFICATE_FONT": str(font)}).certificate_font == font
    with pytest.raises(ConfigError, match=r"CERTIFICATE_FONT names .*missing\.ttf'?, which is not a file"):
        Settings.from_env({"CERTIFICATE_FONT": str(tmp_path / "missing.ttf")})
    with pytest.raises(ConfigError, match=r"CERTIFICATE_FONT must be a \.ttf, \.otf or \.ttc"):
        Settings.from_env({"CERTIFICATE_FONT": str(tmp_path)})
