"""Fixtures of the tests of ``bot``."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No settings from the caller's environment, no ``.env``: the data folder in ``tmp_path``.
    Command-line test modules use it for every test (``pytestmark``)."""
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "DEV_GUILD_ID", "OWNER_IDS", "LOG_LEVEL", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path
