"""Why the database cannot be used, as one line with the reason and the fix.

``describe_database_error`` is the one place that reads an asyncpg, sqlite3 or OS error: ``cisip-bot
check`` prints its line, ``cisip-bot run``, ``db upgrade`` and the other commands stop with it. A
problem of the settings (a wrong password, a role or database that does not exist, a host name that
does not resolve, an SQLite file that cannot be written) is ``configuration`` (exit code 2); a
server that is down or does not answer is not (exit code 1: try again later).
"""

from __future__ import annotations

import errno
import getpass
import os
import socket
import sqlite3
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from bot.config import sqlite_path, unusable_folder

DEFAULT_PORT = 5432
E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class DatabaseProblem:
    message: str  # one line: what is wrong, then how to fix it; never the password
    configuration: bool  # the settings are wrong (exit 2), rather than the server unreachable (exit 1)

    @property
    def exit_code(self) -> int:
        return 2 if self.configuration else 1


def describe_database_error(exc: BaseException, url: str) -> DatabaseProblem:
    """The cause of ``exc``, raised while connecting to the database at ``url``, with its fix."""
    if url.startswith("sqlite"):
        return _sqlite_problem(exc, url)
    return _postgres_problem(exc, url)


def sqlite_file_problem(url: str) -> DatabaseProblem | None:
    """What keeps the bot from writing the SQLite file of ``url`` (the folder or the file itself)."""
    path = sqlite_path(url)
    if path is None:
        return None
    blocker = unusable_folder(path.parent)
    if blocker is not None:
        return DatabaseProblem(
            f"the folder {path.parent} of the SQLite file cannot be used: {blocker}; "
            "fix that, or set DATA_DIR (or DATABASE_URL) to a writable folder",
            configuration=True,
        )
    if path.is_dir():
        return DatabaseProblem(
            f"the SQLite file {path} is a folder: remove it, or set DATABASE_URL to a file path",
            configuration=True,
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return DatabaseProblem(
            f"the SQLite file {path} is not writable by this user: give it write access "
            f"(chown or chmod u+rw {path}), or set DATABASE_URL to another file",
            configuration=True,
        )
    return None


def _sqlite_problem(exc: BaseException, url: str) -> DatabaseProblem:
    found = sqlite_file_problem(url)
    if found is not None:
        return found
    cause = _find(exc, sqlite3.DatabaseError)
    text = str(cause).lower() if cause is not None else ""
    path = sqlite_path(url)
    if "not a database" in text or "malformed" in text:
        return DatabaseProblem(
            f"{path} is not an SQLite database ({cause}): restore it from a backup, or set "
            "DATABASE_URL to another file",
            configuration=True,
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseProblem(
            f"the SQLite file {path} is read-only: give the bot's user write access to it and to "
            f"its folder {path.parent if path else ''}",
            configuration=True,
        )
    return DatabaseProblem(f"the SQLite database failed: {_one_line(cause or exc)}", configuration=False)


def _postgres_problem(exc: BaseException, url: str) -> DatabaseProblem:
    parts = make_url(url)
    host = parts.host or "localhost"
    port = parts.port or DEFAULT_PORT
    where = f"{host}:{port}"
    user = parts.username or getpass.getuser()  # asyncpg's default too
    name = parts.database or ""

    if _find(exc, asyncpg.InvalidPasswordError) is not None:
        return DatabaseProblem(
            f'PostgreSQL at {where}: authentication failed for user "{user}": '
            "check the password in DATABASE_URL",
            configuration=True,
        )
    auth = _find(exc, asyncpg.InvalidAuthorizationSpecificationError)
    if auth is not None:
        if "does not exist" in str(auth):
            return DatabaseProblem(
                f'PostgreSQL at {where} has no role "{user}": create it '
                f"(sudo -u postgres createuser --pwprompt {user}) or fix the user in DATABASE_URL",
                configuration=True,
            )
        return DatabaseProblem(
            f'PostgreSQL at {where} does not let user "{user}" in ({_first_line(auth)}): '
            "allow it in pg_hba.conf, or fix the user in DATABASE_URL",
            configuration=True,
        )
    if _find(exc, asyncpg.InvalidCatalogNameError) is not None:
        port_option = f" -p {port}" if port != DEFAULT_PORT else ""
        return DatabaseProblem(
            f'PostgreSQL at {where} has no database "{name}": create it '
            f"(createdb -h {host}{port_option} -U {user} {name}) or fix the name in DATABASE_URL",
            configuration=True,
        )
    if _find(exc, socket.gaierror) is not None:
        return DatabaseProblem(
            f'the database host "{host}" was not found: check the host in DATABASE_URL',
            configuration=True,
        )
    refused = _find(exc, OSError)
    if isinstance(refused, ConnectionRefusedError) or (
        refused is not None and refused.errno == errno.ECONNREFUSED
    ):
        return DatabaseProblem(
            f"PostgreSQL at {where} refused the connection: is PostgreSQL running on {where}? "
            "Start it, or fix the host and port in DATABASE_URL",
            configuration=False,
        )
    if _find(exc, TimeoutError) is not None:
        return DatabaseProblem(
            f"PostgreSQL at {where} did not answer in time: check that it is running, that the host "
            "and port in DATABASE_URL are right and that no firewall is in the way",
            configuration=False,
        )
    if refused is not None:
        return DatabaseProblem(
            f"could not reach PostgreSQL at {where} ({_one_line(refused)}): check the network and "
            "the host in DATABASE_URL",
            configuration=False,
        )
    if _find(exc, asyncpg.TooManyConnectionsError) is not None:
        return DatabaseProblem(
            f"PostgreSQL at {where} has no free connection: try again later, or raise its max_connections",
            configuration=False,
        )
    if _find(exc, asyncpg.InsufficientPrivilegeError) is not None:
        return DatabaseProblem(
            f'user "{user}" may not use database "{name}" on {where}: make it the owner '
            f"(ALTER DATABASE {name} OWNER TO {user}) or grant it the privileges",
            configuration=True,
        )
    cause = _find(exc, asyncpg.PostgresError)
    return DatabaseProblem(
        f"PostgreSQL at {where} failed: {_one_line(cause or exc)}",
        configuration=False,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, the driver error SQLAlchemy wraps (``orig``) and their causes, each once."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        pending.extend(
            [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
        )
    return seen


def _find(exc: BaseException, kind: type[E]) -> E | None:
    for item in _chain(exc):
        if isinstance(item, kind):
            return item
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_first_line(exc)}"
