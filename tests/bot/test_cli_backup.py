"""`cisip-bot db backup|restore`: a consistent copy while the bot writes, restored elsewhere; one-line
refusals with exit code 2; a PostgreSQL round trip through pg_dump / pg_restore."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.db.migrate import head_revision
from tests.bot.cli_harness import run
from tests.conftest import POSTGRES_URL, reset_postgres

pytestmark = pytest.mark.usefixtures("clean_environment")

HEAD = head_revision()


def one_line_refusal(err: str) -> str:
    assert err.startswith("cisip-bot: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def rows_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a stable order."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        return {table: sorted(connection.execute(f'SELECT * FROM "{table}"'), key=repr) for table in tables}
    finally:
        connection.close()


def live_database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cisip.sqlite3"


def writer(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def test_backup_while_the_bot_writes_then_restore_into_a_fresh_data_dir(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    live = live_database(tmp_path)
    # Committed rows, then a writer holding an open write transaction with rows not yet committed.
    holder = writer(live)
    holder.execute("CREATE TABLE probe (n INTEGER PRIMARY KEY)")
    holder.executemany("INSERT INTO probe VALUES (?)", [(n,) for n in range(1, 101)])
    holder.execute("BEGIN IMMEDIATE")
    holder.executemany("INSERT INTO probe VALUES (?)", [(n,) for n in range(101, 201)])
    holder.execute("UPDATE parks SET name = 'UNCOMMITTED'")

    code, out, err = run(capsys, "db", "backup", "first.sqlite3")
    assert code == 0, err
    size = (tmp_path / "first.sqlite3").stat().st_size
    assert (
        out
        == f"backed up the sqlite database to first.sqlite3 ({size / 1024:.1f} KB, schema revision {HEAD})\n"
    )
    holder.execute("ROLLBACK")
    committed = rows_of(live)
    assert rows_of(tmp_path / "first.sqlite3") == committed
    assert len(committed["probe"]) == 100 and len(committed["parks"]) == 166
    assert not (tmp_path / "first.sqlite3-wal").exists()  # one self-contained file

    # Another writer keeps committing while the next backup runs: the copy is one snapshot.
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        n = 1000
        while not stop.is_set():
            holder.execute("INSERT INTO probe VALUES (?)", (n,))
            written.append(n)
            n += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while len(written) < 50:
            threading.Event().wait(0.001)
        code, _out, err = run(capsys, "db", "backup", "second.sqlite3")
    finally:
        stop.set()
        thread.join()
        holder.close()
    assert code == 0, err
    copy = sqlite3.connect(tmp_path / "second.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copied = [n for (n,) in copy.execute("SELECT n FROM probe WHERE n >= 1000 ORDER BY n")]
    copy.close()
    assert len(copied) >= 50 and copied == list(range(1000, 1000 + len(copied)))  # a prefix: no gap

    # Restore into a fresh DATA_DIR: the same rows, at the same revision.
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "fresh"))
    code, out, err = run(capsys, "db", "restore", "first.sqlite3")
    assert code == 0, err
    assert out == f"restored first.sqlite3 into the sqlite database: schema revision {HEAD}, the newest\n"
    assert rows_of(tmp_path / "fresh" / "cisip.sqlite3") == committed
    assert run(capsys, "db", "current")[:2] == (0, f"{HEAD} (current)\n")


def test_an_existing_file_is_refused_unless_forced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "db", "upgrade")
    target = tmp_path / "backup.sqlite3"
    target.write_text("keep me")
    code, out, err = run(capsys, "db", "backup", str(target))
    assert (code, out) == (2, "")
    assert one_line_refusal(err) == (
        f"cisip-bot: {target} already exists: choose another name, or pass --force to replace it\n"
    )
    assert target.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []

    code, out, err = run(capsys, "db", "backup", "--force", str(target))
    assert code == 0, err
    assert rows_of(target) == rows_of(live_database(tmp_path))


def test_nothing_to_back_up_and_no_such_folder_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = run(capsys, "db", "backup", "b.sqlite3")
    assert code == 2
    assert "there is no database at" in one_line_refusal(err)
    run(capsys, "db", "upgrade")
    code, _out, err = run(capsys, "db", "backup", "missing/b.sqlite3")
    assert code == 2
    assert one_line_refusal(err) == "cisip-bot: the folder missing does not exist: create it first\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"id,name\n1,park\n", "is not an SQLite database"),
        (b"PGDMP\x01\x0e\x00" + bytes(100), "is not an SQLite database (it is a PostgreSQL dump"),
        (None, "is an SQLite database but not a cisip-bot backup (no alembic_version)"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_backup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes | None, expected: str
) -> None:
    run(capsys, "db", "upgrade")
    before = rows_of(live_database(tmp_path))
    source = tmp_path / "not-a-backup"
    if content is None:
        other = sqlite3.connect(source)
        other.execute("CREATE TABLE notes (body TEXT)")
        other.commit()
        other.close()
    else:
        source.write_bytes(content)
    code, out, err = run(capsys, "db", "restore", str(source))
    assert (code, out) == (2, "")
    assert expected in one_line_refusal(err)
    assert rows_of(live_database(tmp_path)) == before


def test_restore_is_refused_while_the_bot_has_the_database_open(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "db", "upgrade")
    run(capsys, "db", "backup", "b.sqlite3")
    bot = writer(live_database(tmp_path))
    bot.execute("DELETE FROM parks")  # committed after the backup
    bot.execute("SELECT count(*) FROM parks").fetchone()  # open and idle, as the bot's pool is
    try:
        code, out, err = run(capsys, "db", "restore", "b.sqlite3")
    finally:
        bot.close()
    assert (code, out) == (1, "")
    assert "is in use (is the bot running?): stop the bot first" in one_line_refusal(err)
    assert rows_of(live_database(tmp_path))["parks"] == []  # untouched

    code, _out, err = run(capsys, "db", "restore", "b.sqlite3")
    assert code == 0, err
    assert len(rows_of(live_database(tmp_path))["parks"]) == 166


def test_restoring_an_older_backup_says_to_upgrade(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "db", "upgrade", "0140_user_locales")[0] == 0
    run(capsys, "db", "backup", "old.sqlite3")
    run(capsys, "db", "upgrade")
    code, out, err = run(capsys, "db", "restore", "old.sqlite3")
    assert code == 0, err
    assert out == (
        "restored old.sqlite3 into the sqlite database: schema revision 0140_user_locales, "
        f"older than {HEAD}: run `cisip-bot db upgrade`\n"
    )
    assert run(capsys, "db", "current")[0] == 1


def test_without_pg_dump_postgresql_backup_says_what_to_install(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://cisip:secret@127.0.0.1:1/cisip")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code, out, err = run(capsys, "db", "backup", "b.dump")
    assert (code, out) == (2, "")
    assert one_line_refusal(err) == (
        "cisip-bot: pg_dump is not installed: install the PostgreSQL client "
        "(Debian/Ubuntu: `sudo apt install postgresql-client`), at least the server's version\n"
    )
    assert not (tmp_path / "b.dump").exists()


def test_the_password_goes_to_pg_dump_in_its_environment_never_on_its_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "$@" > "$(dirname "$0")/args"\n'
        'echo "$PGPASSWORD" > "$(dirname "$0")/password"\n'
        'for a in "$@"; do case "$a" in --file=*) echo PGDMP > "${a#--file=}";; esac; done\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DATABASE_URL", "postgresql://cisip:s3cret@db.example:6543/cisip")
    monkeypatch.setattr("bot.db.backup._postgres_revision", _no_revision)
    code, out, err = run(capsys, "db", "backup", "b.dump")
    assert code == 0, err
    assert out == "backed up the postgresql database to b.dump (6 bytes, no schema yet)\n"
    args = (bin_dir / "args").read_text()
    assert "s3cret" not in args
    assert args.startswith("--format=custom --file=")
    assert args.endswith(" --host=db.example --port=6543 --username=cisip --no-password --dbname=cisip\n")
    assert (bin_dir / "password").read_text() == "s3cret\n"


async def _no_revision(_url: str) -> None:
    return None


async def postgres_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    database = Database(url)
    try:
        async with database.session() as session:
            tables = (
                await session.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
                )
            ).all()
            return {
                table: sorted(
                    (tuple(row) for row in await session.execute(text(f'SELECT * FROM "{table}"'))), key=repr
                )
                for table in tables
            }
    finally:
        await database.dispose()


async def postgres_execute(url: str, statement: str) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            await session.execute(text(statement))
    finally:
        await database.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set: no PostgreSQL to back up")
@pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump / pg_restore are not on PATH (install postgresql-client)",
)
def test_postgresql_round_trip_through_pg_dump_and_pg_restore(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert POSTGRES_URL is not None
    url = normalise_database_url(POSTGRES_URL, tmp_path)
    asyncio.run(reset_postgres(url))
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    assert run(capsys, "db", "upgrade")[0] == 0
    before = asyncio.run(postgres_rows(url))
    assert len(before["parks"]) == 166

    code, out, err = run(capsys, "db", "backup", "cisip.dump")
    assert code == 0, err
    assert out.startswith("backed up the postgresql database to cisip.dump (")
    assert out.endswith(f", schema revision {HEAD})\n")
    assert (tmp_path / "cisip.dump").read_bytes().startswith(b"PGDMP")
    code, _out, err = run(capsys, "db", "backup", "cisip.dump")
    assert code == 2 and "already exists" in one_line_refusal(err)

    asyncio.run(postgres_execute(url, "DELETE FROM parks"))
    assert asyncio.run(postgres_rows(url))["parks"] == []
    code, out, err = run(capsys, "db", "restore", "cisip.dump")
    assert code == 0, err
    assert out == f"restored cisip.dump into the postgresql database: schema revision {HEAD}, the newest\n"
    assert asyncio.run(postgres_rows(url)) == before

    # An SQLite file is not a dump: one line, exit 2, the database untouched.
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "other.sqlite3"))
    assert run(capsys, "db", "upgrade")[0] == 0
    run(capsys, "db", "backup", "other.sqlite3.bak")
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    code, out, err = run(capsys, "db", "restore", "other.sqlite3.bak")
    assert (code, out) == (2, "")
    assert "is not a pg_dump custom-format file (it is an SQLite database" in one_line_refusal(err)
    assert asyncio.run(postgres_rows(url)) == before
