"""A database that cannot be used: `check`, `run` and `db upgrade` say why in one line, with the fix.

The PostgreSQL cases run against the server of TEST_DATABASE_URL (a missing database and a missing
role, both named with "test"); a refused connection, a silent server and an unknown host need no
server at all. A wrong password cannot be produced on a server that trusts local connections, so it
is checked on the real asyncpg exception, wrapped as SQLAlchemy wraps it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.db.diagnose import describe_database_error
from tests.bot.test_cli import TOKEN, run

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "LOG_LEVEL", "SMTP_HOST", "MAIL_FROM", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")
    return tmp_path


def server(user: str | None = None, database: str | None = None) -> tuple[str, str, int, str]:
    """A postgresql:// URL on the test server with another user or database, and its host, port, user."""
    assert POSTGRES_URL is not None
    url = make_url(POSTGRES_URL)
    url = url.set(username=user or url.username, database=database or url.database)
    return (
        url.set(drivername="postgresql").render_as_string(hide_password=False),
        url.host or "localhost",
        url.port or 5432,
        url.username or "",
    )


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@needs_postgres
def test_check_names_a_missing_database_and_how_to_create_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"cisip_test_missing_{os.getpid()}"
    url, host, port, user = server(database=name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, _ = run(capsys, "check")
    assert code == 1
    create = f"createdb -h {host}{f' -p {port}' if port != 5432 else ''} -U {user} {name}"
    assert (
        f'FAIL database (postgresql) fails: PostgreSQL at {host}:{port} has no database "{name}": '
        f"create it ({create}) or fix the name in DATABASE_URL\n"
    ) in out
    assert "schema" not in out


@needs_postgres
def test_db_upgrade_on_a_missing_database_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"cisip_test_missing_{os.getpid()}"
    monkeypatch.setenv("DATABASE_URL", server(database=name)[0])
    code, out, err = run(capsys, "db", "upgrade")
    assert (code, out) == (2, "")
    assert err.startswith("cisip-bot: could not upgrade the database: PostgreSQL at ")
    assert f'has no database "{name}": create it (createdb ' in err
    assert err.count("\n") == 1 and "Traceback" not in err


@needs_postgres
def test_check_and_run_name_a_missing_role(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    role = f"cisip_test_no_role_{os.getpid()}"
    _url, host, port, _user = server()
    monkeypatch.setenv("DATABASE_URL", server(user=role)[0])
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    expected = (
        f'PostgreSQL at {host}:{port} has no role "{role}": create it '
        f"(sudo -u postgres createuser --pwprompt {role}) or fix the user in DATABASE_URL"
    )
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert f"FAIL database (postgresql) fails: {expected}\n" in out

    code, out, err = run(capsys, "run")
    assert code == 2
    assert err == f"cisip-bot: could not bring the database up to date: {expected}\n"


def test_a_refused_connection_asks_whether_postgresql_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, unused_port: int
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://cisip:secret-pw@127.0.0.1:{unused_port}/cisip")
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    where = f"127.0.0.1:{unused_port}"
    expected = (
        f"PostgreSQL at {where} refused the connection: is PostgreSQL running on {where}? "
        "Start it, or fix the host and port in DATABASE_URL"
    )
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert f"FAIL database (postgresql) fails: {expected}\n" in out

    code, out, err = run(capsys, "db", "upgrade")
    assert (code, err) == (1, f"cisip-bot: could not upgrade the database: {expected}\n")

    code, out, err = run(capsys, "run")
    assert (code, err) == (1, f"cisip-bot: could not bring the database up to date: {expected}\n")
    assert "secret-pw" not in out + err


def test_a_server_that_never_answers_is_a_timeout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, silent_server: int
) -> None:
    monkeypatch.setattr("bot.db.database.POSTGRES_CONNECT_TIMEOUT", 0.5)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://cisip@127.0.0.1:{silent_server}/cisip")
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert (
        f"FAIL database (postgresql) fails: PostgreSQL at 127.0.0.1:{silent_server} did not answer in "
        "time: check that it is running, that the host and port in DATABASE_URL are right and that no "
        "firewall is in the way\n"
    ) in out


def test_an_unknown_host_is_bad_configuration(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://cisip@no-such-host.invalid:5432/cisip")
    code, _out, err = run(capsys, "db", "upgrade")
    assert code == 2
    assert err == (
        'cisip-bot: could not upgrade the database: the database host "no-such-host.invalid" '
        "was not found: check the host in DATABASE_URL\n"
    )


def wrapped(error: Exception) -> DBAPIError:
    """``error`` as SQLAlchemy's asyncpg dialect raises it from a failed connect."""
    try:
        try:
            raise error
        except Exception as cause:
            raise DBAPIError(None, None, cause) from cause
    except DBAPIError as raised:
        return raised


def test_a_wrong_password_says_to_check_the_password() -> None:
    error = wrapped(asyncpg.InvalidPasswordError('password authentication failed for user "cisip"'))
    problem = describe_database_error(error, "postgresql+asyncpg://cisip:wrong-pw@db.example.org/cisip")
    assert problem.message == (
        'PostgreSQL at db.example.org:5432: authentication failed for user "cisip": '
        "check the password in DATABASE_URL"
    )
    assert problem.exit_code == 2


def test_pg_hba_refusal_is_not_taken_for_a_missing_role() -> None:
    error = wrapped(
        asyncpg.InvalidAuthorizationSpecificationError(
            'no pg_hba.conf entry for host "10.0.0.5", user "cisip", database "cisip", no encryption'
        )
    )
    problem = describe_database_error(error, "postgresql+asyncpg://cisip:pw@db.example.org:6543/cisip")
    assert problem.message.startswith(
        'PostgreSQL at db.example.org:6543 does not let user "cisip" in (no pg_hba.conf entry'
    )
    assert problem.message.endswith("allow it in pg_hba.conf, or fix the user in DATABASE_URL")
    assert problem.exit_code == 2


def test_an_sqlite_file_behind_a_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    (clean_environment / "blocker").write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{clean_environment}/blocker/cisip.sqlite3")
    expected = (
        f"the folder {clean_environment}/blocker of the SQLite file cannot be used: "
        f"{clean_environment}/blocker is a file, not a folder; fix that, or set DATA_DIR "
        "(or DATABASE_URL) to a writable folder"
    )
    code, _out, err = run(capsys, "db", "upgrade")
    assert (code, err) == (2, f"cisip-bot: could not upgrade the database: {expected}\n")
    code, out, _ = run(capsys, "check")
    assert code == 1 and f"FAIL database (sqlite) fails: {expected}\n" in out


def test_an_sqlite_file_the_bot_cannot_write_fails_the_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    run(capsys, "db", "upgrade")
    database = clean_environment / "data" / "cisip.sqlite3"
    real_access = os.access
    # Root writes any file whatever its mode, so the test stands in for an unprivileged user.
    monkeypatch.setattr("os.access", lambda path, mode: Path(path) != database and real_access(path, mode))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert (
        f"FAIL database (sqlite) fails: the SQLite file {database} is not writable by this user: "
        f"give it write access (chown or chmod u+rw {database}), or set DATABASE_URL to another file\n"
    ) in out
