"""What the process logs, and how: text or JSON lines on stderr, quiet libraries, no secrets.

* ``text`` (the default): ``2027-01-01 12:00:00,000 INFO     bot.client: connected as ...``
* ``json``: one object per line for log collectors: ``time`` (ISO 8601, UTC), ``level``,
  ``logger``, ``message``, and ``exc`` (the formatted traceback) when there is one.

discord.py logs every gateway reconnect at ERROR with a full traceback; :class:`DiscordNoise` makes it
one WARNING line that says why. Lines that say nothing (Alembic's and APScheduler's chatter,
discord.py's "logging in using static token") are left to ``LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
REDACTED = "[redacted]"

# Libraries whose INFO lines say nothing an operator needs: Alembic ("Context impl SQLiteImpl.",
# "Running upgrade ...", the bot logs one summary line instead), APScheduler (every job run).
# discord.http logs request bodies at DEBUG. All of them speak again at LOG_LEVEL=DEBUG.
QUIET_LOGGERS = ("alembic", "apscheduler", "discord.http")
# discord.py's loggers that DiscordNoise rewrites (a filter on a logger sees only its own records).
DISCORD_LOGGERS = ("discord.client", "discord.gateway", "discord.shard")

# discord.py messages (their format string, before arguments) that are part of a reconnect and
# carry a traceback: one WARNING line each, with the exception's class and message.
_RECONNECTS = (
    "Attempting a reconnect",  # discord.client and discord.shard
    "An error occurred while stopping the gateway",  # discord.gateway, a heartbeat timeout
    "Failed to connect for shard_id",  # discord.shard
)
# discord.py INFO lines that say nothing the bot's own lines do not ("connected as ..."), or that
# would make a reconnect more than one line.
_TO_DEBUG = (
    "logging in using static token",
    "Shard ID %s has connected to Gateway",
    "Shard ID %s has successfully RESUMED",
    "Shard ID %s session has been invalidated",
)


def _relevel(record: logging.LogRecord, level: int) -> bool:
    """Give ``record`` another level; whether its logger still lets it through at that level."""
    record.levelno, record.levelname = level, logging.getLevelName(level)
    return logging.getLogger(record.name).isEnabledFor(level)


def reason(exc_info: object) -> str:
    """``ConnectionClosed: Shard ID None WebSocket closed with 1006``: class and first line only."""
    if not isinstance(exc_info, tuple) or len(exc_info) != 3 or exc_info[1] is None:
        return "no reason given"
    exc = exc_info[1]
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class DiscordNoise(logging.Filter):
    """A reconnect is one WARNING line with its reason and no traceback; empty INFO lines go to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        template = record.msg if isinstance(record.msg, str) else ""
        if template.startswith(_RECONNECTS):
            record.msg = f"{record.getMessage().rstrip('. ')} ({reason(record.exc_info)})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            return _relevel(record, logging.WARNING)
        if record.levelno == logging.INFO and template.startswith(_TO_DEBUG):
            return _relevel(record, logging.DEBUG)
        return True


class _Redacting(logging.Formatter):
    """Never writes a secret (the token, passwords), whatever a library puts into a record."""

    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.render(record))

    def render(self, record: logging.LogRecord) -> str:
        return super().format(record)


class TextFormatter(_Redacting):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets, TEXT_FORMAT)


class JsonFormatter(_Redacting):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, and exc when present."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets)

    def render(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """The one handler :func:`setup` installs (found again, and replaced, by a second call)."""


def setup(level: str, log_format: str = "text", secrets: Iterable[str] = ()) -> None:
    """Log at ``level`` to stderr as ``log_format`` lines, never writing any of ``secrets``."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    handler = StderrHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if log_format == "json" else TextFormatter(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.NOTSET if level == "DEBUG" else logging.WARNING
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    for name in DISCORD_LOGGERS:
        logger = logging.getLogger(name)
        for old_filter in [f for f in logger.filters if isinstance(f, DiscordNoise)]:
            logger.removeFilter(old_filter)
        logger.addFilter(DiscordNoise())
