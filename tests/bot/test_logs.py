"""What an operator reads in the log: quiet start-ups, one line per reconnect, JSON for collectors."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings, configure_logging
from bot.db.migrate import head_revision

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"


def settings(**env: str) -> Settings:
    return Settings.from_env({"DISCORD_TOKEN": TOKEN, "DATA_DIR": "data", **env})


def reconnect_after(exc: BaseException, logger: str = "discord.client") -> None:
    """What discord.py's Client.connect does when the gateway connection drops."""
    try:
        raise exc
    except BaseException:
        logging.getLogger(logger).exception("Attempting a reconnect in %.2fs", 1.23)


def test_a_reconnect_is_one_warning_line_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings(LOG_LEVEL="INFO"))
    reconnect_after(OSError(104, "Connection reset by peer"))
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.endswith(
        " WARNING  discord.client: Attempting a reconnect in 1.23s"
        " (ConnectionResetError: [Errno 104] Connection reset by peer)\n"
    )
    assert "Traceback" not in err and "ERROR" not in err


def test_a_reconnect_in_json_has_no_traceback_either(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings(LOG_FORMAT="json"))
    reconnect_after(TimeoutError(), logger="discord.shard")
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["message"] == "Attempting a reconnect in 1.23s (TimeoutError)"
    assert "exc" not in entry


def test_a_reconnect_is_silent_at_log_level_error(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings(LOG_LEVEL="ERROR"))
    reconnect_after(OSError("network is unreachable"))
    logging.getLogger("discord.client").error("a real error")
    assert capsys.readouterr().err.splitlines()[0].endswith("ERROR    discord.client: a real error")


def test_empty_start_up_lines_wait_for_debug(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings())
    logging.getLogger("discord.client").info("logging in using static token")
    logging.getLogger("discord.gateway").info("Shard ID %s has successfully RESUMED session %s.", None, "x")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    logging.getLogger("apscheduler.scheduler").info("Scheduler started")
    logging.getLogger("bot.client").info("connected as CISIP Bot")
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["INFO     bot.client: connected as CISIP Bot"]
    configure_logging(settings(LOG_LEVEL="DEBUG"))
    logging.getLogger("discord.client").info("logging in using static token")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "DEBUG    discord.client: logging in using static token",
        "INFO     alembic.runtime.migration: Context impl SQLiteImpl.",
    ]


def test_json_lines_carry_time_level_logger_message_and_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(settings(LOG_FORMAT="JSON"))
    log = logging.getLogger("bot.test")
    log.info("héllo %s", "wörld")
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("could not divide")
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        ("INFO", "bot.test", "héllo wörld"),
        ("ERROR", "bot.test", "could not divide"),
    ]
    assert "exc" not in entries[0]
    assert entries[1]["exc"].startswith("Traceback") and "ZeroDivisionError" in entries[1]["exc"]
    for entry in entries:
        time = datetime.fromisoformat(entry["time"])
        assert time.utcoffset() == UTC.utcoffset(None)
        assert abs((datetime.now(UTC) - time).total_seconds()) < 60


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_token_is_never_written(capsys: pytest.CaptureFixture[str], log_format: str) -> None:
    configure_logging(settings(LOG_FORMAT=log_format, LOG_LEVEL="DEBUG"))
    logging.getLogger("discord.http").debug("headers: {'Authorization': 'Bot %s'}", TOKEN)
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        logging.getLogger("bot").exception("oops")
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert err.count("[redacted]") == 2  # in the first line, and in the exception's message


def test_log_format_is_text_by_default_and_checked() -> None:
    assert settings().log_format == "text"
    assert settings(LOG_FORMAT=" Json ").log_format == "json"
    with pytest.raises(ConfigError) as info:
        settings(LOG_FORMAT="xml")
    assert str(info.value) == "LOG_FORMAT must be text or json, not 'xml'"


def test_a_bad_log_format_stops_the_cli_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_FORMAT", "logfmt")
    with pytest.raises(SystemExit) as info:
        main(["db", "upgrade"])
    assert info.value.code == 2
    assert capsys.readouterr().err == "cisip-bot: LOG_FORMAT must be text or json, not 'logfmt'\n"


def cli(tmp_path: Path, data_dir: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environ.update({"DATA_DIR": str(tmp_path / data_dir), "LOG_LEVEL": "INFO", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_says_what_it_did_on_stdout_and_logs_nothing_at_info(tmp_path: Path) -> None:
    first = cli(tmp_path, "data", "db", "upgrade")
    assert (first.returncode, first.stdout, first.stderr) == (
        0,
        f"upgraded from an empty database to {head_revision()}\n",
        "",
    )
    again = cli(tmp_path, "data", "db", "upgrade")
    assert (again.returncode, again.stdout, again.stderr) == (0, f"already at {head_revision()}\n", "")
    # Alembic's own lines are there for whoever asks for them.
    debug = cli(tmp_path, "debug", "db", "upgrade", LOG_LEVEL="DEBUG")
    assert debug.returncode == 0
    assert "alembic.runtime.migration: Running upgrade  -> 0001" in debug.stderr
