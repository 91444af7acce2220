"""``cisip-bot db backup`` and ``db restore``: one file holding the whole database.

* SQLite: SQLite's online backup API. The copy is one consistent snapshot even while the bot
  runs and writes (WAL: the backup reads the last committed state, writers go on beside it); it is
  written to a temporary file beside FILE and renamed into place, so FILE is never half written.
  A restore copies the file in through the same API, and is refused while any process (the bot)
  has the database open.
* PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --no-owner``, with
  the URL's host, port, user and database as options and its password in ``PGPASSWORD``, never on
  a command line.

Every failure is a :class:`BackupError` whose message is one line for the operator, with the exit
code the command line should use (2: the operator's input, 1: the database or the system).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.config import sqlite_path
from bot.db.database import Database
from bot.db.migrate import current_revision, head_revision

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
IN_USE_TIMEOUT = 0.5  # seconds a restore waits for the database to be free before refusing


class BackupError(Exception):
    """A backup or restore that cannot be done; ``str()`` is one line for the operator."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    path: Path
    size: int
    revision: str | None


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def revision_note(revision: str | None) -> str:
    """What the operator should know about a restored database's schema revision."""
    head = head_revision()
    if revision == head:
        return f"schema revision {revision}, the newest"
    if revision is None:
        return "no schema revision: run `cisip-bot db upgrade`"
    return f"schema revision {revision}, older than {head}: run `cisip-bot db upgrade`"


# --- backup ----------------------------------------------------------------------------------


def backup(database_url: str, target: Path, *, force: bool = False) -> Outcome:
    _check_target(target, force)
    if database_url.startswith("postgresql"):
        return _backup_postgres(database_url, target)
    return _backup_sqlite(_sqlite_file(database_url), target)


def _check_target(target: Path, force: bool) -> None:
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give a file name for the backup", 2)
    if target.exists() and not force:
        raise BackupError(f"{target} already exists: choose another name, or pass --force to replace it", 2)
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist: create it first", 2)


def _sqlite_file(database_url: str) -> Path:
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError("the database is in memory: there is nothing on disk to back up or restore", 2)
    return path


def _backup_sqlite(source: Path, target: Path) -> Outcome:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}: check DATABASE_URL or DATA_DIR", 2)
    with _temporary_beside(target) as temporary:
        try:
            src = sqlite3.connect(_read_only(source), uri=True, timeout=30)
            try:
                dst = sqlite3.connect(temporary)
                try:
                    src.backup(dst)  # all pages in one step: one consistent snapshot
                    # A backup is one self-contained file: no write-ahead log beside it.
                    dst.execute("PRAGMA journal_mode=DELETE")
                    revision = _sqlite_revision(dst)
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise BackupError(f"could not back up {source}: {exc}") from exc
        temporary.replace(target)
    return Outcome(target, target.stat().st_size, revision)


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if not has_table:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _backup_postgres(database_url: str, target: Path) -> Outcome:
    url = make_url(database_url)
    pg_dump = _client("pg_dump")
    revision = asyncio.run(_postgres_revision(database_url))
    with _temporary_beside(target) as temporary:
        _run_client(
            [pg_dump, "--format=custom", f"--file={temporary}", *_connection_options(url)],
            url,
            "pg_dump",
        )
        temporary.replace(target)
    return Outcome(target, target.stat().st_size, revision)


# --- restore ---------------------------------------------------------------------------------


def restore(database_url: str, source: Path) -> Outcome:
    if not source.is_file():
        raise BackupError(f"{source} is not a file", 2)
    if database_url.startswith("postgresql"):
        return _restore_postgres(database_url, source)
    return _restore_sqlite(source, _sqlite_file(database_url))


def _restore_sqlite(source: Path, target: Path) -> Outcome:
    with source.open("rb") as file:
        header = file.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        hint = " (it is a PostgreSQL dump: restore it with DATABASE_URL set to PostgreSQL)"
        raise BackupError(
            f"{source} is not an SQLite database{hint if header.startswith(PG_DUMP_MAGIC) else ''}", 2
        )
    try:
        src = sqlite3.connect(_read_only(source), uri=True)
        try:
            revision = _sqlite_revision(src)
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source} is not a readable SQLite database ({exc})", 2) from exc
    if revision is None:
        raise BackupError(
            f"{source} is an SQLite database but not a cisip-bot backup (no alembic_version)", 2
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        dst = sqlite3.connect(target, timeout=IN_USE_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"could not open {target}: {exc}") from exc
    try:
        # Hold the database alone for the whole restore: any other open connection (a running
        # bot keeps some) makes this fail, and nobody can open it while the pages are copied.
        dst.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            dst.execute("BEGIN EXCLUSIVE")
            dst.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise BackupError(
                f"{target} is in use (is the bot running?): stop the bot first, e.g. "
                "`sudo systemctl stop cisip-bot`, then restore again"
            ) from exc
        src = sqlite3.connect(_read_only(source), uri=True)
        try:
            src.backup(dst)
        finally:
            src.close()
        dst.execute("PRAGMA journal_mode=WAL")  # as the bot keeps it
        restored = _sqlite_revision(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"could not restore into {target}: {exc}") from exc
    finally:
        dst.close()
    return Outcome(target, target.stat().st_size, restored)


def _restore_postgres(database_url: str, source: Path) -> Outcome:
    with source.open("rb") as file:
        header = file.read(len(SQLITE_MAGIC))
    if not header.startswith(PG_DUMP_MAGIC):
        hint = " (it is an SQLite database: restore it with DATABASE_URL unset or sqlite:///)"
        raise BackupError(
            f"{source} is not a pg_dump custom-format file{hint if header == SQLITE_MAGIC else ''}", 2
        )
    url = make_url(database_url)
    pg_restore = _client("pg_restore")
    _run_client(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing: a failed restore leaves the database as it was
            "--exit-on-error",
            *_connection_options(url),
            str(source),
        ],
        url,
        "pg_restore",
    )
    return Outcome(source, source.stat().st_size, asyncio.run(_postgres_revision(database_url)))


# --- shared ----------------------------------------------------------------------------------


def _client(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client "
            "(Debian/Ubuntu: `sudo apt install postgresql-client`), at least the server's version",
            2,
        )
    return found


def _connection_options(url: URL) -> list[str]:
    options: list[str] = []
    host = url.host or _query(url, "host")
    if host:
        options.append(f"--host={host}")
    if url.port:
        options.append(f"--port={url.port}")
    if url.username:
        options.append(f"--username={url.username}")
    options.append("--no-password")  # never prompt: the password comes from PGPASSWORD or ~/.pgpass
    if url.database:
        options.append(f"--dbname={url.database}")
    return options


def _query(url: URL, name: str) -> str | None:
    value = url.query.get(name)
    if isinstance(value, tuple):
        return value[0] if value else None
    return value


def _run_client(command: list[str], url: URL, name: str) -> None:
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = url.password
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"could not start {name}: {exc}") from exc
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {result.returncode}"
        raise BackupError(f"{name} failed: {reason.removeprefix(f'{name}: ')}")


async def _postgres_revision(database_url: str) -> str | None:
    database = Database(database_url)
    try:
        return await current_revision(database)
    except Exception as exc:
        raise BackupError(f"could not read the database: {type(exc).__name__}: {_first_line(exc)}") from exc
    finally:
        await database.dispose()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A fresh temporary path in target's folder (so the final rename is atomic), removed unless
    it was renamed into place."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    temporary = Path(name)
    temporary.unlink()  # sqlite3 and pg_dump create it themselves
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)
