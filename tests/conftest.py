"""Shared fixtures: databases on every backend under test, and the Discord emulator's fixtures.

Database tests run on SQLite always and on PostgreSQL too when ``TEST_DATABASE_URL`` names one
(`.ci/run` sets it when a server answers on 127.0.0.1:5432). Each PostgreSQL test starts from an
empty ``public`` schema, so the suite refuses to start unless that database's name marks it as a
test database (``is_test_database_name``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path, PurePosixPath

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import normalise_database_url
from bot.db.database import Database
from bot.db.migrate import upgrade
from bot.logs import DISCORD_LOGGERS, QUIET_LOGGERS, StderrHandler

pytest_plugins = ["tests.fakediscord.pytest_plugin"]

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


def is_test_database_name(name: str) -> bool:
    """True when the name, split on ``_``, ``-`` and ``.``, has a part that is or starts with ``test``."""
    return any(part.lower().startswith("test") for part in re.split(r"[_.-]", name))


def database_guard_refusal(url: str) -> str | None:
    """Why the suite must not run on ``url`` (its schema is dropped by every test), or None."""
    try:
        database = make_url(url).database or ""
    except ArgumentError:
        return f"TEST_DATABASE_URL is not a database URL ({url.split('://', 1)[0][:20]!r}): fix or unset it"
    name = PurePosixPath(database).name
    if is_test_database_name(name):
        return None
    return (
        f"TEST_DATABASE_URL names database {name!r}, and the tests drop its public schema: "
        "use a database whose name marks it as one for tests (a part 'test...', e.g. cisip_test)"
    )


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_URL and (refusal := database_guard_refusal(POSTGRES_URL)):
        raise pytest.UsageError(refusal)


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def database_url_for(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
    assert POSTGRES_URL is not None
    url = normalise_database_url(POSTGRES_URL, tmp_path)
    await reset_postgres(url)
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def empty_database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(await database_url_for(backend, tmp_path))
    yield database
    await database.dispose()


@pytest.fixture
async def database(empty_database: Database) -> Database:
    await upgrade(empty_database)
    return empty_database


@pytest.fixture(autouse=True)
def environment_restored() -> Iterator[None]:
    """Commands run in-process read `.env` files with python-dotenv, which writes them into
    ``os.environ``: the next test starts with the environment it had before."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """Commands run in-process (`run`, `db upgrade`) configure logging; the next test starts without it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = [logging.getLogger(name) for name in (*QUIET_LOGGERS, *DISCORD_LOGGERS)]
    saved = [(logger.level, logger.filters[:]) for logger in loggers]
    yield
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler) and h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for logger, (logger_level, filters) in zip(loggers, saved, strict=True):
        logger.setLevel(logger_level)
        logger.filters[:] = filters
