"""Process settings, read from the environment and `.env` (python-dotenv).

Every problem is reported as one line that names the variable and says how to fix it.
The token is never part of a message, a log line or ``repr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.logs import LOG_FORMATS, setup

DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$")
_SQLITE_PREFIXES = ("sqlite://", "sqlite+aiosqlite://")
_POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+asyncpg://")
# SMTP_SECURITY values and their usual ports.
SMTP_SECURITIES = {"starttls": 587, "tls": 465, "none": 25}
_MAIL_SHAPE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
# A host name, an IPv4 address or an IPv6 address (what WEB_HOST may listen on).
_HOST_SHAPE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]{2,45})$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(repr=False)
    database_url: str
    data_dir: Path
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"
    discord_api_base_url: str = DISCORD_API_BASE_URL
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    scheduler_grace_seconds: int = 86_400
    # Member verification: outgoing mail for one-time codes (all None = no email step).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_security: str = "starttls"
    mail_from: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    membership_months: int = 12
    membership_reminder_days: tuple[int, ...] = (30, 7)
    membership_grace_days: int = 7
    membership_nicknames: bool = False
    # Reports: the largest PDF /report-admin publish accepts (bytes).
    report_max_bytes: int = 25 * 1024 * 1024
    # The web pages (bot.web): where they listen (port 0: not served by `cisip-bot run`), the public
    # address used in links and feeds, whether anything but /healthz and /metrics is shown, which
    # server's workshops and reports they show, and the invitation link on the home page.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_base_url: str = "http://127.0.0.1:8080"
    web_public: bool = True
    web_guild_id: int | None = None
    web_discord_invite: str | None = None
    # Certificates of completion: a font file with Chinese (None: Debian's Noto Sans CJK or
    # WenQuanYi Zen Hei where installed).
    certificate_font: Path | None = None

    @property
    def public_web_base_url(self) -> str | None:
        """``web_base_url`` when others can reach it (links in Discord: calendar feeds), else None."""
        return public_address(self.web_base_url)

    @property
    def smtp_configured(self) -> bool:
        return self.smtp_host is not None

    @property
    def legacy_reports_dir(self) -> Path:
        """Where versions before report PDFs were kept in the database stored them (named by their
        SHA-256): read only to copy them into the database once (``ReportService.import_folder``)."""
        return self.data_dir / "reports"

    @property
    def database_backend(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

    def require_token(self) -> str:
        if not self.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: copy .env.example to .env and paste your bot token "
                "(Discord Developer Portal > your application > Bot > Reset Token) after DISCORD_TOKEN="
            )
        return self.discord_token

    def require_data_dir(self) -> None:
        """Raise ConfigError when DATA_DIR cannot hold the bot's files (it is made when needed)."""
        blocker = unusable_folder(self.data_dir)
        if blocker is not None:
            raise ConfigError(
                f"DATA_DIR {self.data_dir} cannot be used: {blocker}; "
                "set DATA_DIR in .env to a folder this user can write"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        token = get("DISCORD_TOKEN")
        if token is not None and not _TOKEN_SHAPE.match(token):
            raise ConfigError(
                "DISCORD_TOKEN does not look like a bot token (three parts separated by dots): "
                "copy it again from the Developer Portal's Bot page into .env"
            )

        data_dir = Path(get("DATA_DIR") or "data")
        database_url = normalise_database_url(get("DATABASE_URL"), data_dir)

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}")

        smtp_host = get("SMTP_HOST")
        smtp_security = (get("SMTP_SECURITY") or "starttls").lower()
        if smtp_security not in SMTP_SECURITIES:
            raise ConfigError(f"SMTP_SECURITY must be starttls, tls or none, not {smtp_security!r}")
        smtp_port = _port("SMTP_PORT", get("SMTP_PORT"), SMTP_SECURITIES[smtp_security])
        mail_from = get("MAIL_FROM")
        secret_key = get("SECRET_KEY")
        if smtp_host is not None:
            if mail_from is None:
                raise ConfigError(
                    "SMTP_HOST is set but MAIL_FROM is not: set MAIL_FROM to the address verification "
                    "emails come from (such as verify@cisip.org), or empty SMTP_HOST to skip email codes"
                )
            if secret_key is None:
                raise ConfigError(
                    "SMTP_HOST is set but SECRET_KEY is not: set SECRET_KEY to the output of "
                    "python -c 'import secrets; print(secrets.token_hex(32))'"
                )
            if not _MAIL_SHAPE.match(mail_from):
                raise ConfigError(
                    "MAIL_FROM must be the sender address of verification emails (such as "
                    f"verify@cisip.org) when SMTP_HOST is set, not {mail_from!r}"
                )
            if len(secret_key) < 16:
                raise ConfigError(
                    "SECRET_KEY must be at least 16 random characters when SMTP_HOST is set: "
                    "run python -c 'import secrets; print(secrets.token_hex(32))' and paste the result"
                )
        if (get("SMTP_USERNAME") is None) != (get("SMTP_PASSWORD") is None):
            raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD must be set together (or both left empty)")

        web_host = get("WEB_HOST") or "127.0.0.1"
        if not _HOST_SHAPE.match(web_host):
            raise ConfigError(
                f"WEB_HOST must be a host name or an IP address to listen on (such as 127.0.0.1 or 0.0.0.0), "
                f"not {web_host!r}"
            )
        web_port = _web_port(get("WEB_PORT"))
        default_base = (
            f"http://{'127.0.0.1' if web_host in ('0.0.0.0', '::') else web_host}:{web_port or 8080}"
        )
        web_base_url = _url("WEB_BASE_URL", get("WEB_BASE_URL"), ("http", "https"), default_base, web=True)
        invite = get("WEB_DISCORD_INVITE")
        if invite is not None:
            invite = _url("WEB_DISCORD_INVITE", invite, ("https",), "", web=True)
        certificate_font = _font_file(get("CERTIFICATE_FONT"))

        return cls(
            discord_token=token,
            database_url=database_url,
            data_dir=data_dir,
            dev_guild_id=_snowflake("DEV_GUILD_ID", get("DEV_GUILD_ID")),
            owner_ids=frozenset(_snowflake_list("OWNER_IDS", get("OWNER_IDS"))),
            log_level=log_level,
            log_format=log_format,
            discord_api_base_url=_url(
                "DISCORD_API_BASE_URL", get("DISCORD_API_BASE_URL"), ("http", "https"), DISCORD_API_BASE_URL
            ),
            discord_gateway_url=_url(
                "DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), ("ws", "wss"), DISCORD_GATEWAY_URL
            ),
            scheduler_grace_seconds=_positive_int(
                "SCHEDULER_GRACE_SECONDS", get("SCHEDULER_GRACE_SECONDS"), 86_400
            ),
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            smtp_security=smtp_security,
            mail_from=mail_from,
            secret_key=secret_key,
            membership_months=_bounded_int("MEMBERSHIP_MONTHS", get("MEMBERSHIP_MONTHS"), 12, 1, 120),
            membership_reminder_days=_day_list("MEMBERSHIP_REMINDER_DAYS", get("MEMBERSHIP_REMINDER_DAYS")),
            membership_grace_days=_bounded_int(
                "MEMBERSHIP_GRACE_DAYS", get("MEMBERSHIP_GRACE_DAYS"), 7, 0, 365
            ),
            membership_nicknames=_flag("MEMBERSHIP_NICKNAMES", get("MEMBERSHIP_NICKNAMES")),
            report_max_bytes=_bounded_int("REPORT_MAX_MB", get("REPORT_MAX_MB"), 25, 1, 500) * 1024 * 1024,
            web_host=web_host,
            web_port=web_port,
            web_base_url=web_base_url.rstrip("/"),
            web_public=_flag("WEB_PUBLIC", get("WEB_PUBLIC"), default=True),
            web_guild_id=_snowflake("WEB_GUILD_ID", get("WEB_GUILD_ID")),
            web_discord_invite=invite,
            certificate_font=certificate_font,
        )


LOCAL_HOSTS = (None, "localhost", "127.0.0.1", "::1", "0.0.0.0", "::")


def public_address(url: str | None) -> str | None:
    """``url`` (without a trailing slash) when others can reach it, else None: the default
    address of this host means nothing on a member's computer or on a printed certificate."""
    if not url or urlsplit(url).hostname in LOCAL_HOSTS:
        return None
    return url.rstrip("/")


FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def _font_file(raw: str | None) -> Path | None:
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if path.suffix.lower() not in FONT_SUFFIXES:
        raise ConfigError(
            f"CERTIFICATE_FONT must be a .ttf, .otf or .ttc font file with Chinese, not {raw!r}"
        )
    if not path.is_file():
        raise ConfigError(
            f"CERTIFICATE_FONT names {raw!r}, which is not a file: install Debian's fonts-noto-cjk "
            "and remove the setting, or give the path of a font with Chinese"
        )
    return path


def normalise_database_url(raw: str | None, data_dir: Path) -> str:
    """Turn DATABASE_URL into an async SQLAlchemy URL; the default is an SQLite file in data_dir."""
    if raw is None:
        return f"sqlite+aiosqlite:///{(data_dir / 'cisip.sqlite3').as_posix()}"
    if raw.startswith(_SQLITE_PREFIXES):
        return "sqlite+aiosqlite://" + raw.split("://", 1)[1]
    if raw.startswith(_POSTGRES_PREFIXES):
        return "postgresql+asyncpg://" + raw.split("://", 1)[1]
    scheme = raw.split("://", 1)[0] if "://" in raw else raw[:20]
    raise ConfigError(
        f"DATABASE_URL must start with sqlite:/// or postgresql:// (got {scheme!r}): "
        "remove it from .env to use the built-in SQLite file"
    )


def unusable_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot hold files written by this user, or be created, or None."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():  # a dangling link: mkdir would fail on it
            return f"{existing} is a broken symbolic link"
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable by this user"
    return None


def sqlite_path(database_url: str) -> Path | None:
    """The file behind an SQLite URL, or None for PostgreSQL or an in-memory database."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return None
    return Path(path.split("?", 1)[0])


def _snowflake(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 15 <= len(value) <= 21:
        raise ConfigError(
            f"{name} must be a Discord ID (15 to 21 digits; right-click > Copy ID with Developer Mode on), "
            f"not {value!r}"
        )
    return int(value)


def _snowflake_list(name: str, value: str | None) -> list[int]:
    if value is None:
        return []
    ids: list[int] = []
    for part in value.split(","):
        snowflake = _snowflake(name, part.strip())
        if snowflake is not None:
            ids.append(snowflake)
    return ids


def _url(name: str, value: str | None, schemes: tuple[str, ...], default: str, *, web: bool = False) -> str:
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc or any(ch.isspace() for ch in value):
        wanted = " or ".join(f"{s}://" for s in schemes)
        fix = (
            "the address readers use (such as https://cisip.example.org)"
            if web
            else "remove it to use Discord"
        )
        raise ConfigError(f"{name} must be a URL starting with {wanted}, not {value!r}; {fix}")
    return value


def _web_port(value: str | None) -> int:
    if value is None:
        return 8080
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise ConfigError(
            f"WEB_PORT must be a port number from 1 to 65535, or 0 to serve no web pages, not {value!r}"
        )
    return int(value)


def _positive_int(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) <= 0:
        raise ConfigError(f"{name} must be a whole number of seconds above 0, not {value!r}")
    return int(value)


def _port(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError(f"{name} must be a port number from 1 to 65535, not {value!r}")
    return int(value)


def _bounded_int(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _day_list(name: str, value: str | None) -> tuple[int, ...]:
    if value is None:
        return (30, 7)
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and 1 <= int(part) <= 365 for part in parts):
        raise ConfigError(
            f"{name} must be comma-separated days before expiry from 1 to 365 (such as 30,7), not {value!r}"
        )
    return tuple(sorted({int(part) for part in parts}, reverse=True))


def _flag(name: str, value: str | None, *, default: bool = False) -> bool:
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def configure_logging(settings: Settings) -> None:
    """Log to stderr at LOG_LEVEL as LOG_FORMAT lines (see bot.logs); no line ever holds a secret."""
    secrets = (
        settings.discord_token,
        settings.smtp_password,
        settings.secret_key,
        urlsplit(settings.database_url).password,
    )
    setup(settings.log_level, settings.log_format, [s for s in secrets if s])
