"""The command line: ``cisip-bot run | check | db upgrade | db current | parks import | parks export``.

Every failure is one line on stderr; bad arguments and bad configuration exit with code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import click
from dotenv import load_dotenv

from bot import __version__
from bot.config import ConfigError, Settings, configure_logging, sqlite_path

if TYPE_CHECKING:
    from bot.db.database import Database
    from bot.leadership import Leadership
    from bot.services.container import Services
    from bot.web.server import WebServer

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:  # not on Windows: the standard loop does the same, a little slower
    uvloop = None

log = logging.getLogger("bot")


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"cisip-bot: {message}", err=True)
    sys.exit(code)


def load_settings(env_file: Path | None) -> Settings:
    if env_file is not None:
        load_dotenv(env_file, override=False)
    else:
        load_dotenv(Path.cwd() / ".env", override=False)
    try:
        settings = Settings.from_env()
        settings.require_data_dir()
    except ConfigError as exc:
        fail(str(exc), 2)
    return settings


def run_async(coro: Coroutine[Any, Any, int], *, fast_loop: bool = False) -> int:
    try:
        if fast_loop and uvloop is not None:
            return uvloop.run(coro)
        return asyncio.run(coro)
    except KeyboardInterrupt:
        return 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cisip-bot")
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read settings from this file instead of ./.env.",
)
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None) -> None:
    """The CISIP community Discord bot."""
    ctx.obj = env_file


@cli.command()
@click.option("--force-sync", is_flag=True, help="Sync slash commands even if they did not change.")
@click.pass_obj
def run(env_file: Path | None, force_sync: bool) -> None:
    """Bring the database up to date, then connect to Discord."""
    settings = load_settings(env_file)
    try:
        token = settings.require_token()
    except ConfigError as exc:
        fail(str(exc), 2)
    configure_logging(settings)
    # The bot's own loop is uvloop where it is installed (Linux, macOS): a rush of interactions is
    # network work, which it does with a fraction of asyncio's overhead.
    sys.exit(run_async(_run(settings, token, force_sync), fast_loop=True))


async def _run(settings: Settings, token: str, force_sync: bool) -> int:
    from bot.db.database import Database
    from bot.db.migrate import current_revision, head_revision, upgrade
    from bot.leadership import AnotherProcessRuns, Leadership, SqliteLock
    from bot.scheduler import Clock
    from bot.services.container import Services

    loop = asyncio.get_running_loop()
    # SIGTERM before this process leads (a standby) ends the wait quietly.
    stop_requested = asyncio.Event()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop_requested.set)

    # SQLite: one process per file, or the second refuses at once (before touching the database).
    file_lock: SqliteLock | None = None
    if settings.database_backend == "sqlite" and (path := sqlite_path(settings.database_url)) is not None:
        file_lock = SqliteLock(path)
        try:
            file_lock.acquire()
        except AnotherProcessRuns as exc:
            fail(str(exc), 2)
        except OSError as exc:
            fail(f"cannot create the lock file {file_lock.path}: {_one_line(exc)}", 2)
    leadership: Leadership | None = None
    web: WebServer | None = None
    probes = _Probes()
    try:
        database = Database(settings.database_url)
        try:
            current = await current_revision(database)
        except Exception as exc:
            await database.dispose()
            _database_failure("could not bring the database up to date", exc, settings)
        behind = current != head_revision()
        if settings.database_backend == "postgresql":
            leadership = Leadership(settings.database_url)
        services = Services.build(settings, database, Clock())
        if behind and leadership is not None:
            # A newer version must not change the schema under an older leader still running on
            # it: it upgrades once it leads (the old leader gone), and serves pages from then on.
            log.info(
                "the schema (%s) is older than this version: it is upgraded when this process leads", current
            )
            if not await _wait_to_lead(leadership, stop_requested, settings):
                await database.dispose()
                return 0  # a standby asked to stop
        if behind:
            try:
                before, after = await upgrade(database)
            except Exception as exc:
                await database.dispose()
                _database_failure("could not bring the database up to date", exc, settings)
            log.info("database schema upgraded from %s to %s", before or "nothing", after)
        # One set of services for the bot and the web pages; the pages are served by the leader
        # and by a standby alike (they only read), from before this process leads.
        web = await _start_web(settings, services, "bot", probes) if settings.web_port else None
        if (
            leadership is not None
            and not leadership.leads
            and not await _wait_to_lead(leadership, stop_requested, settings)
        ):
            await database.dispose()
            return 0  # a standby asked to stop
        probes.leads = True
        return await _lead(settings, token, force_sync, database, leadership, services, probes)
    finally:
        if web is not None:
            await web.stop()
        if leadership is not None:
            await leadership.release()
        if file_lock is not None:
            file_lock.release()


async def _wait_to_lead(leadership: Leadership, stop_requested: asyncio.Event, settings: Settings) -> bool:
    """Hold the leader's lock (True), or stop waiting on SIGTERM (False). A standby says so once."""
    from bot.leadership import Leader

    def on_standby(leader: Leader | None) -> None:
        who = f"{leader.host} pid {leader.pid}" if leader else "nobody holds the lock yet"
        log.info("standby: waiting for the leader (%s)", who)

    waiting = asyncio.ensure_future(leadership.wait_to_lead(on_standby))
    stopping = asyncio.ensure_future(stop_requested.wait())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not waiting.done():
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await waiting
        return False
    if (exc := waiting.exception()) is not None:
        _database_failure("could not take the leader's lock", exc, settings)
    assert leadership.leader is not None
    log.info("leading: this process (%s) holds the leader's lock", leadership.leader.describe())
    return True


class _Probes:
    """What /healthz and /metrics ask of this process (bot.web.site.Runtime): the bot, once it runs."""

    def __init__(self) -> None:
        self.bot: Any = None
        self.leads = False

    def gateway(self) -> Any:
        from bot.web.site import Gateway

        bot = self.bot
        if bot is None:
            return None
        return Gateway(connected=bot.is_ready() and not bot.is_closed(), latency=bot.latency)


async def _start_web(
    settings: Settings, services: Services, role: str, probes: _Probes | None
) -> WebServer | None:
    """Serve the web pages on WEB_HOST:WEB_PORT in this event loop. When that address cannot be
    used, `cisip-bot web` stops with one line (exit code 2); `cisip-bot run` says so in one WARNING
    line and runs the bot without them (a leader and a standby on one host share one WEB_PORT)."""
    from bot.web.core import WebConfig
    from bot.web.server import WebServer
    from bot.web.site import Runtime

    runtime = Runtime(role=role)
    if probes is not None:
        runtime.gateway = probes.gateway
        runtime.leads = lambda: probes.leads
    server = WebServer(
        services, WebConfig.from_settings(settings), runtime, settings.web_host, settings.web_port
    )
    try:
        await server.start()
    except OSError as exc:
        problem = (
            f"cannot serve the web pages on {settings.web_host}:{settings.web_port} ({_one_line(exc)}): "
            "set WEB_PORT in .env to a free port, or WEB_PORT=0 for no web pages"
        )
        if role == "bot":
            log.warning("%s; the bot runs without them", problem)
            return None
        await services.db.dispose()
        fail(problem, 2)
    return server


async def _lead(
    settings: Settings,
    token: str,
    force_sync: bool,
    database: Database,
    leadership: Leadership | None,
    services: Services | None = None,
    probes: _Probes | None = None,
) -> int:
    """Run the bot as the leader: take back what the previous leader was running, then connect."""
    import aiohttp
    import discord

    from bot.client import CisipBot

    bot = CisipBot(settings, database=database, force_sync=force_sync, services=services)
    if probes is not None:
        probes.bot = bot
    try:
        # Holding the lock proves the previous leader is gone: its running rows go back at once.
        await bot.scheduler.reclaim_all_running()
    except Exception as exc:
        await database.dispose()
        _database_failure("could not take back the previous leader's scheduled work", exc, settings)
    lost: list[str] = []
    closing: list[asyncio.Future[None]] = []
    if leadership is not None:

        def on_lost(reason: str) -> None:
            lost.append(reason)
            log.error(
                "lost the leader's lock (%s): closing the gateway and the scheduler, then exiting "
                "so that another process leads",
                reason,
            )
            closing.append(asyncio.ensure_future(bot.close_at_once()))

        leadership.watch(on_lost)
    # SIGTERM (systemd, docker stop) closes the bot like Ctrl-C: scheduled work is put back in order.
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            await bot.start(token)
            # The gateway closes first, while the rest of the stop (the database last) still runs:
            # wait for all of it, or the loop's end would cut it off.
            await bot.close()
    except discord.LoginFailure:
        fail(
            "Discord refused DISCORD_TOKEN: reset the token on the Developer Portal's Bot page "
            "and paste it into .env"
        )
    except discord.PrivilegedIntentsRequired:
        fail(
            "Discord refused the Server Members intent: enable it on the Developer Portal's Bot page "
            "(Privileged Gateway Intents)"
        )
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound, discord.HTTPException) as exc:
        if lost:
            return 1
        fail(
            f"could not reach Discord at {settings.discord_api_base_url} ({_one_line(exc)}): "
            "check the network, or DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL in .env"
        )
    except Exception as exc:
        if lost:
            return 1
        log.exception("the bot stopped on an unexpected error")
        fail(f"the bot stopped on an unexpected error: {_one_line(exc)} (traceback in the log above)")
    return 1 if lost else 0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _database_failure(doing: str, exc: BaseException, settings: Settings) -> NoReturn:
    """One line naming why the database failed (bot.db.diagnose): exit 2 for bad settings, else 1."""
    from bot.db.diagnose import describe_database_error

    problem = describe_database_error(exc, settings.database_url)
    fail(f"{doing}: {problem.message}", problem.exit_code)


@cli.command("web")
@click.pass_obj
def web_command(env_file: Path | None) -> None:
    """Serve the web pages alone (no Discord connection; reads the database, never writes it)."""
    settings = load_settings(env_file)
    if not settings.web_port:
        fail("WEB_PORT is 0 (no web pages): set WEB_PORT in .env to the port to serve them on", 2)
    configure_logging(settings)
    sys.exit(run_async(_web(settings), fast_loop=True))


async def _web(settings: Settings) -> int:
    from bot.db.database import Database
    from bot.db.migrate import SchemaOutOfDate, ensure_current
    from bot.scheduler import Clock
    from bot.services.container import Services

    database = Database(settings.database_url)
    try:
        await ensure_current(database)  # the pages read the schema this code knows, or refuse
    except SchemaOutOfDate as exc:
        await database.dispose()
        fail(str(exc), 1)
    except Exception as exc:
        await database.dispose()
        _database_failure("could not read the database", exc, settings)
    services = Services.build(settings, database, Clock())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    server = await _start_web(settings, services, "web", None)
    assert server is not None  # `web` stops when it cannot listen
    try:
        await stop.wait()
    finally:
        await server.stop()
        await database.dispose()
    return 0


@cli.command()
@click.pass_obj
def check(env_file: Path | None) -> None:
    """Check the configuration, the database connection and the schema."""
    settings = load_settings(env_file)
    sys.exit(run_async(_check(settings)))


async def _check(settings: Settings) -> int:
    from bot.db.database import Database
    from bot.db.migrate import head_revision
    from bot.services.status import database_health

    problems = 0

    def report(ok: bool, message: str) -> None:
        nonlocal problems
        problems += not ok
        click.echo(f"{'ok  ' if ok else 'FAIL'} {message}")

    try:
        settings.require_token()
        report(True, "DISCORD_TOKEN is set")
    except ConfigError as exc:
        report(False, str(exc))
    database = Database(settings.database_url)
    try:
        problem, latency, revision = await database_health(database)
        report(
            problem is None,
            f"database ({database.backend}) "
            + (f"answers in {latency or 0:.1f} ms" if problem is None else f"fails: {problem.message}"),
        )
        if problem is None:
            head = head_revision()
            report(
                revision == head,
                f"schema is current ({head})"
                if revision == head
                else f"schema is at {revision or 'nothing'}, needs {head}: run `cisip-bot db upgrade`",
            )
            click.echo(f"     {await _leader_line(database)}")
    finally:
        await database.dispose()
    return 1 if problems else 0


async def _leader_line(database: Database) -> str:
    """Which process leads on this database (``bot.leadership``), for `cisip-bot check`."""
    from bot.services.status import current_leader, is_this_process

    try:
        leader = await current_leader(database)
    except Exception as exc:
        return f"leader: unknown ({_one_line(exc)})"
    if leader is None:
        return "leader: none (no `cisip-bot run` is connected to this database)"
    return f"leader: {leader.describe()}" + (" (this process)" if is_this_process(leader) else "")


@cli.command()
@click.pass_obj
def invite(env_file: Path | None) -> None:
    """Print the link that adds the bot to a server, and the permissions it asks for."""
    from bot.i18n import translate
    from bot.ui.invite import NotABotToken, application_id_from_token, invite_url
    from bot.ui.permissions import SERVER_PERMISSIONS, invite_permissions, permission_label

    settings = load_settings(env_file)
    try:
        application_id = application_id_from_token(settings.require_token())
    except ConfigError as exc:
        fail(str(exc), 2)
    except NotABotToken:
        fail(
            "DISCORD_TOKEN does not carry an application id: copy the bot token again from the "
            "Developer Portal's Bot page (Reset Token) into .env",
            2,
        )
    click.echo(invite_url(application_id))
    click.echo(f"\nScopes: bot, applications.commands. Permissions ({invite_permissions().value}):")
    for need in SERVER_PERMISSIONS:
        optional = "" if need.required else " (optional)"
        click.echo(f"  {translate(permission_label(need.attribute))}{optional}: {translate(need.enables)}")
    click.echo(
        "\nOptional permissions can be unticked on Discord's page. Then, in Server Settings > Roles, "
        "drag the bot's role above the verified, unverified and member-type roles, and run /setup show."
    )
    sys.exit(0)


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_obj
def db_upgrade(env_file: Path | None, revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    settings = load_settings(env_file)
    configure_logging(settings)
    sys.exit(run_async(_db_upgrade(settings, revision)))


async def _db_upgrade(settings: Settings, revision: str) -> int:
    from alembic.util import CommandError

    from bot.db.database import Database
    from bot.db.migrate import head_revision, upgrade
    from bot.scheduler import Clock
    from bot.services.parks import ParkService

    database = Database(settings.database_url)
    try:
        try:
            before, after = await upgrade(database, revision)
        except CommandError as exc:
            fail(_one_line(exc), 2)
        except Exception as exc:
            _database_failure("could not upgrade the database", exc, settings)
        if after == head_revision():
            # The shipped parks, by the rule the bot follows at every start (never undoing staff).
            try:
                await ParkService(database, Clock()).seed()
            except Exception as exc:
                fail(f"could not seed the park directory: {_one_line(exc)}")
    finally:
        await database.dispose()
    if before == after:
        click.echo(f"already at {after}")
    else:
        click.echo(f"upgraded from {before or 'an empty database'} to {after}")
    return 0


@db.command("current")
@click.pass_obj
def db_current(env_file: Path | None) -> None:
    """Print the database's schema revision and whether it is the newest."""
    settings = load_settings(env_file)
    sys.exit(run_async(_db_current(settings)))


async def _db_current(settings: Settings) -> int:
    from bot.db.database import Database
    from bot.db.migrate import current_revision, head_revision

    database = Database(settings.database_url)
    try:
        revision = await current_revision(database)
    except Exception as exc:
        _database_failure("could not read the database", exc, settings)
    finally:
        await database.dispose()
    head = head_revision()
    state = "current" if revision == head else f"out of date, newest is {head}"
    click.echo(f"{revision or 'empty'} ({state})")
    return 0 if revision == head else 1


@db.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_obj
def db_backup(env_file: Path | None, file: Path, force: bool) -> None:
    """Copy the database into FILE, safely while the bot runs (PostgreSQL: needs pg_dump)."""
    from bot.db.backup import BackupError, backup, human_size

    settings = load_settings(env_file)
    try:
        done = backup(settings.database_url, file, force=force)
    except BackupError as exc:
        fail(str(exc), exc.code)
    revision = f"schema revision {done.revision}" if done.revision else "no schema yet"
    database = f"the {settings.database_backend} database"
    click.echo(f"backed up {database} to {file} ({human_size(done.size)}, {revision})")
    sys.exit(0)


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def db_restore(env_file: Path | None, file: Path) -> None:
    """Replace the database with the backup in FILE (stop the bot first; PostgreSQL: needs pg_restore)."""
    from bot.db.backup import BackupError, restore, revision_note

    settings = load_settings(env_file)
    try:
        done = restore(settings.database_url, file)
    except BackupError as exc:
        fail(str(exc), exc.code)
    note = revision_note(done.revision)
    click.echo(f"restored {file} into the {settings.database_backend} database: {note}")
    sys.exit(0)


@cli.group()
def parks() -> None:
    """Park directory: import and export CSV files."""


@parks.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.pass_obj
def parks_import(env_file: Path | None, file: Path, dry_run: bool) -> None:
    """Add or replace the parks of FILE (columns as in bot/seed/parks.csv); all rows or none."""
    settings = load_settings(env_file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {_one_line(exc)}", 2)
    sys.exit(run_async(_parks_import(settings, file, text, dry_run)))


async def _parks_import(settings: Settings, file: Path, text: str, dry_run: bool) -> int:
    from rich.progress import Progress

    from bot.scheduler import Clock
    from bot.services.parks import read_csv

    rows = max(0, text.count("\n") - 1) or 1
    clock = Clock()
    with Progress(transient=True) as progress:
        task = progress.add_task("checking", total=rows)
        check = read_csv(text, clock.now().year, progress=lambda: progress.advance(task))
    if check.problems:
        for line, reason in check.problems:
            click.echo(f"{file}:{line}: {reason}", err=True)
        bad = len({line for line, _ in check.problems})
        fail(f"{file}: {bad} invalid row{'s' if bad != 1 else ''}; nothing was imported", 2)
    if dry_run:
        click.echo(f"{file}: {len(check.records)} parks are valid (dry run: nothing was written)")
        return 0
    database, service = await _park_service(settings, clock)
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=len(check.records))
            result = await service.import_records(check.records, progress=lambda: progress.advance(task))
    except Exception as exc:
        fail(f"could not import: {_one_line(exc)}; nothing was imported")
    finally:
        await database.dispose()
    click.echo(f"imported {file}: {result.added} added, {result.updated} replaced")
    return 0


@parks.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.pass_obj
def parks_export(env_file: Path | None, file: Path) -> None:
    """Write every park of the directory to FILE (CSV, the columns of bot/seed/parks.csv)."""
    settings = load_settings(env_file)
    exported: list[str] = []
    code = run_async(_parks_export(settings, exported))
    if code:
        sys.exit(code)
    text, count = exported
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {_one_line(exc)}", 2)
    click.echo(f"exported {count} parks to {file}")
    sys.exit(0)


async def _parks_export(settings: Settings, exported: list[str]) -> int:
    from bot.scheduler import Clock

    database, service = await _park_service(settings, Clock())
    try:
        await service.seed_once()  # a database `db upgrade` never seeded: the shipped parks
        exported.extend([await service.export_csv(), str(len(service.records))])
    except Exception as exc:
        fail(f"could not read the directory: {_one_line(exc)}")
    finally:
        await database.dispose()
    return 0


async def _park_service(settings: Settings, clock: Any) -> tuple[Any, Any]:
    from bot.db.database import Database
    from bot.db.migrate import ensure_current
    from bot.services.parks import ParkService

    database = Database(settings.database_url)
    try:
        await ensure_current(database)
    except Exception as exc:
        await database.dispose()
        fail(
            str(exc)
            if "cisip-bot db upgrade" in str(exc)
            else f"could not read the database: {_one_line(exc)}"
        )
    return database, ParkService(database, clock)


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's errors become one line and exit code 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="cisip-bot", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(0)
    except click.exceptions.Abort:
        fail("aborted", 1)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
