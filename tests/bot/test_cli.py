"""The command line: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.db.migrate import head_revision
from tests.bot.cli_harness import run

pytestmark = pytest.mark.usefixtures("clean_environment")

HEAD = head_revision()

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"


def test_run_without_a_token_stops_at_once_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "run")
    assert code == 2
    assert err.count("\n") == 1
    assert "DISCORD_TOKEN is not set: copy .env.example to .env" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["launch"], "No such command 'launch'"),
        (["db", "migrate"], "No such command 'migrate'"),
        (["run", "--fast"], "No such option '--fast'"),
        (["--env-file", "missing.env", "check"], "does not exist"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, _out, err = run(capsys, *args)
    assert code == 2
    assert expected in err
    assert err.count("\n") == 1 and err.startswith("cisip-bot: ")


def test_bad_configuration_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    code, _out, err = run(capsys, "check")
    assert code == 2
    assert err == "cisip-bot: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'\n"


def test_db_upgrade_then_current_then_check(
    capsys: pytest.CaptureFixture[str], clean_environment: Path
) -> None:
    code, out, _ = run(capsys, "db", "current")
    assert (code, out) == (1, f"empty (out of date, newest is {HEAD})\n")

    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and out == f"upgraded from an empty database to {HEAD}\n"
    assert (clean_environment / "data" / "cisip.sqlite3").is_file()

    code, out, _ = run(capsys, "db", "upgrade")
    assert (code, out) == (0, f"already at {HEAD}\n")

    code, out, _ = run(capsys, "db", "current")
    assert (code, out) == (0, f"{HEAD} (current)\n")

    code, out, _ = run(capsys, "check")
    assert code == 1  # no token yet
    assert "FAIL DISCORD_TOKEN is not set" in out
    assert f"ok   schema is current ({HEAD})" in out


def test_check_passes_with_a_token_and_a_current_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "db", "upgrade")
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, _ = run(capsys, "check")
    assert code == 0, out
    assert TOKEN not in out


def test_check_reports_an_old_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert f"FAIL schema is at nothing, needs {HEAD}: run `cisip-bot db upgrade`" in out


def test_unknown_revision_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "db", "upgrade", "9999")
    assert code == 2
    assert err.startswith("cisip-bot: ") and err.count("\n") == 1


def test_env_file_is_read(capsys: pytest.CaptureFixture[str], clean_environment: Path) -> None:
    env = clean_environment / "custom.env"
    env.write_text("LOG_LEVEL=nonsense\n")
    code, _out, err = run(capsys, "--env-file", str(env), "check")
    assert code == 2 and "LOG_LEVEL must be one of" in err


def test_python_dash_m_bot_is_the_same_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("cisip-bot, version ")


def test_run_with_discord_unreachable_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_API_BASE_URL", "http://127.0.0.1:9/api/v10")  # nothing listens there
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")
    code, _out, err = run(capsys, "run")
    assert code == 1
    assert err.startswith("cisip-bot: could not reach Discord at http://127.0.0.1:9/api/v10 (")
    assert err.count("\n") == 1 and TOKEN not in err


@pytest.mark.parametrize("command", [["check"], ["run"], ["db", "upgrade"]])
def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    clean_environment: Path,
    command: list[str],
) -> None:
    (clean_environment / "data").write_text("a file where the folder should be")
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, err = run(capsys, *command)
    assert (code, out) == (2, "")
    assert err == (
        f"cisip-bot: DATA_DIR {clean_environment}/data cannot be used: {clean_environment}/data is a "
        "file, not a folder; set DATA_DIR in .env to a folder this user can write\n"
    )


def test_a_data_dir_under_a_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    (clean_environment / "notes.txt").write_text("")
    monkeypatch.setenv("DATA_DIR", str(clean_environment / "notes.txt" / "data"))
    code, _out, err = run(capsys, "check")
    assert code == 2
    assert err == (
        f"cisip-bot: DATA_DIR {clean_environment}/notes.txt/data cannot be used: "
        f"{clean_environment}/notes.txt is a file, not a folder; set DATA_DIR in .env to a folder this "
        "user can write\n"
    )


def test_a_data_dir_the_bot_cannot_write_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    locked = clean_environment / "locked"
    locked.mkdir()
    real_access = os.access
    # Root writes any folder whatever its mode, so the test stands in for an unprivileged user.
    monkeypatch.setattr("os.access", lambda path, mode: Path(path) != locked and real_access(path, mode))
    monkeypatch.setenv("DATA_DIR", str(locked / "data"))
    code, _out, err = run(capsys, "db", "upgrade")
    assert code == 2
    assert err == (
        f"cisip-bot: DATA_DIR {locked}/data cannot be used: {locked} is not writable by this user; "
        "set DATA_DIR in .env to a folder this user can write\n"
    )
    assert not (locked / "data").exists()
