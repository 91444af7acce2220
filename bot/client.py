"""The bot: a discord.py ``commands.Bot`` wired to the database, the scheduler and the cogs."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import pkgutil
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import metrics
from bot.config import Settings
from bot.db.database import Database
from bot.db.migrate import ensure_current
from bot.endpoints import parse_json_tolerantly, use_discord_endpoints
from bot.i18n import DEFAULT_LANGUAGE, Localizable
from bot.scheduler import Clock, JobContext, JobDeferred
from bot.services.command_sync import tree_hash
from bot.services.container import Services
from bot.services.personal_data import Erasure
from bot.ui.errors import handle_interaction_error
from bot.ui.limits import CONTENT, fit
from bot.ui.options import BadOption, check_options, may_run
from bot.ui.pacing import pace_requests
from bot.ui.replies import answer_if_unanswered, answer_no_choices
from bot.ui.text import CisipTranslator, localize_for_discord, server_translator

log = logging.getLogger(__name__)

# The bot never joins voice: do not warn at every start that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

COGS_PACKAGE = "cogs"
# Connections kept open to Discord's API and reused: a rush of a thousand answers queues for these
# rather than opening a thousand connections at once (discord.py's default has no limit).
HTTP_CONNECTIONS = 50


def discover_cogs() -> list[str]:
    """Every package (or module) in ``cogs`` is an extension; private ones start with '_'.

    Found on disk rather than imported: the core never imports a cog."""
    spec = importlib.util.find_spec(COGS_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return []
    return sorted(
        f"{COGS_PACKAGE}.{module.name}"
        for module in pkgutil.iter_modules(spec.submodule_search_locations)
        if not module.name.startswith("_")
    )


# A button or form nothing answered this long after it arrived (a view that expired, or lived in the
# memory of a process since restarted) gets a private "expired" answer rather than Discord's "This
# interaction failed". Later than any handler's own first answer (bot.ui.replies.ACKNOWLEDGE_AFTER),
# within Discord's 3 seconds.
UNANSWERED_AFTER = 2.4
# Seconds the work still running may take to finish when this process stops leading (close_at_once).
AT_ONCE_GRACE = 2.0


# discord.py names the tasks that run listeners, slash commands, view and persistent-button
# callbacks and modal submissions thus.
IN_FLIGHT_TASKS = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-dispatch-",
)


class CisipTree(app_commands.CommandTree["CisipBot"]):
    async def interaction_check(self, interaction: discord.Interaction[CisipBot], /) -> bool:
        """Every option is checked against the command's declaration before anything else runs
        (``bot.ui.options``): a refusal is answered by ``on_error``, or with no choices."""
        command = interaction.command
        if isinstance(command, app_commands.Command):
            try:
                check_options(interaction, command)
            except BadOption:
                if interaction.type is discord.InteractionType.autocomplete:
                    await answer_no_choices(interaction)
                    return False
                raise
            if interaction.type is discord.InteractionType.autocomplete and not await may_run(
                interaction, command
            ):
                # discord.py runs a command's checks only when it is invoked: a staff command's
                # suggestions (park names, titles, countries) would be offered to anyone.
                await answer_no_choices(interaction)
                return False
        return True

    async def _call(self, interaction: discord.Interaction[CisipBot]) -> None:
        started = time.perf_counter()
        try:
            await super()._call(interaction)
        finally:
            # discord.py only logs an autocomplete callback's failure: the member would wait for
            # choices that never come. They get none, at once.
            if interaction.type is discord.InteractionType.autocomplete:
                await answer_no_choices(interaction)
            command = interaction.command
            name = command.qualified_name if command is not None else "unknown"
            if interaction.type is discord.InteractionType.autocomplete:
                name += " (autocomplete)"
            metrics.observe_interaction(
                name, failed=interaction.command_failed, seconds=time.perf_counter() - started
            )

    async def on_error(
        self, interaction: discord.Interaction[CisipBot], error: app_commands.AppCommandError
    ) -> None:
        await handle_interaction_error(interaction, error)


class CisipBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        clock: Clock | None = None,
        force_sync: bool = False,
        shutdown_grace: float = 10.0,
        services: Services | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = True
        intents.guild_scheduled_events = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=CisipTree,
            help_command=None,
            owner_ids=set(settings.owner_ids),
        )
        self.settings = settings
        # Every service, reached as bot.services.<capability> (typed); cogs add only Discord. Given
        # when the web pages of this process share them (`cisip-bot run`).
        if services is not None:
            self.services, self.clock, self.db = services, services.clock, services.db
        else:
            self.clock = clock or Clock()
            self.db = database or Database(settings.database_url)
            self.services = Services.build(settings, self.db, self.clock)
        self.scheduler = self.services.scheduler
        self.started_at = self.clock.now()
        self.failed_extensions: dict[str, str] = {}
        self.force_sync = force_sync
        self.shutdown_grace = shutdown_grace
        self.synced_commands: bool | None = None
        self._audit_locks: dict[int, asyncio.Lock] = {}
        self._stopping: asyncio.Future[None] | None = None
        self._at_once = False
        self._was_ready = False
        use_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
        parse_json_tolerantly()

    # -- start-up -----------------------------------------------------------------------------

    async def login(self, token: str) -> None:
        self.http.connector = aiohttp.TCPConnector(limit=HTTP_CONNECTIONS)
        await super().login(token)

    async def setup_hook(self) -> None:
        await ensure_current(self.db)  # refuse to run on an old schema
        pace_requests(self.http)  # under Discord's global limit, whatever makes the requests
        await self.tree.set_translator(CisipTranslator())
        await self.load_cogs()  # cogs register their scheduled-job handlers and dynamic items
        await self.scheduler.start()
        self.synced_commands = await self.sync_commands(force=self.force_sync)

    async def load_cogs(self) -> None:
        for name in discover_cogs():
            try:
                await self.load_extension(name)
            except Exception as exc:
                # One broken cog must not take the others down with it.
                self.failed_extensions[name] = f"{type(exc).__name__}: {exc}"
                log.exception("could not load %s; the other cogs go on", name)
        log.debug("loaded %d cogs", len(self.extensions))  # a cog that failed says so at ERROR

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the command tree (to DEV_GUILD_ID when set) only when it changed since the last sync."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        translator = self.tree.translator
        assert translator is not None
        payload = [
            await command.get_translated_payload(self.tree, translator)
            for command in self.tree.get_commands(guild=guild)
        ]
        scope = str(guild.id) if guild else "global"
        digest = tree_hash(payload)
        if not force and await self.services.command_sync.is_current(scope, digest):
            log.info("application commands unchanged since the last sync (%s)", scope)
            return False
        await self.tree.sync(guild=guild)
        await self.services.command_sync.remember(scope, digest)
        log.info("synced %d application commands (%s)", len(payload), scope)
        return True

    async def on_interaction(self, interaction: discord.Interaction[CisipBot]) -> None:
        # Remembered at once in this process and written with others soon after: the reply never
        # waits for it, and a rush of first interactions costs a few transactions, not one each.
        self.services.user_locales.note(interaction.user.id, interaction.locale.value)
        if interaction.type in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            await asyncio.sleep(UNANSWERED_AFTER)
            await answer_if_unanswered(interaction)

    async def on_ready(self) -> None:
        assert self.user is not None
        # READY comes again after a reconnect Discord could not resume: that one was its WARNING line.
        level = logging.DEBUG if self._was_ready else logging.INFO
        self._was_ready = True
        log.log(level, "connected as %s (%s) to %d servers", self.user, self.user.id, len(self.guilds))

    async def close(self) -> None:
        """Stop once, however many ask (a SIGTERM and the end of ``async with bot`` both do): each
        caller waits for the same stop, so nothing is cut off half-way at exit."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def close_at_once(self) -> None:
        """Stop because this process no longer leads (``bot.leadership``): another may connect within
        seconds, so nothing more is claimed and the gateway is closed first; work still running gets
        ``AT_ONCE_GRACE`` seconds, then is cancelled (its rows are taken back by the next leader)."""
        self._at_once = True
        self.scheduler.stopping.set()
        await self.close()

    async def _stop(self) -> None:
        if self._at_once:
            await super().close()
            # Briefly: work that outlives this is cancelled (and its rows taken back by the next leader).
            self.shutdown_grace = min(self.shutdown_grace, AT_ONCE_GRACE)
            await self.finish_in_flight()
            await self.scheduler.stop(grace_seconds=AT_ONCE_GRACE)
        else:
            await self.finish_in_flight()
            await self.scheduler.stop()
            await super().close()
        await self.services.user_locales.flush()
        await self.db.dispose()

    async def finish_in_flight(self) -> None:
        """Let event handlers and commands still running finish (while Discord and the database are
        still there), then cancel the rest, so none is cut off holding a database connection."""
        current = asyncio.current_task()
        running = [
            task
            for task in asyncio.all_tasks()
            if task is not current and not task.done() and task.get_name().startswith(IN_FLIGHT_TASKS)
        ]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=self.shutdown_grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.info("stopped %d handlers that were still running at shutdown", len(late))

    # -- scheduled work -----------------------------------------------------------------------

    def register_job(
        self, kind: str, handler: Callable[[JobContext], Awaitable[None]], **options: Any
    ) -> None:
        """Register a scheduled-job handler that runs once the bot is connected (caches filled)."""

        async def when_ready(context: JobContext) -> None:
            if not self.is_ready():
                ready = asyncio.ensure_future(self.wait_until_ready())
                stopping = asyncio.ensure_future(self.scheduler.stopping.wait())
                await asyncio.wait({ready, stopping}, return_when=asyncio.FIRST_COMPLETED)
                ready.cancel()
                stopping.cancel()
                if not self.is_ready():
                    raise JobDeferred  # shutting down before we ever connected: run it next time
            await handler(context)

        self.scheduler.register(kind, when_ready, **options)

    def unregister_job(self, kind: str) -> None:
        """Forget a handler (a cog unloading): rows of ``kind`` wait until a handler is back."""
        self.scheduler.unregister(kind)

    # -- audit --------------------------------------------------------------------------------

    async def audit(
        self,
        guild: discord.Guild | None,
        actor: discord.abc.User | None,
        action: str,
        summary: str | Localizable,
    ) -> None:
        """Record a staff action, and post it to the server's audit channel when one is set.

        A ``Localizable`` summary (a ``Message``, a ``MonthDay``) is stored in English and posted in
        the server's language; a plain string (names, ids) is shown as given.
        """
        recorded = localize_for_discord(summary, DEFAULT_LANGUAGE)
        if guild is None:
            await self.services.audit.record(None, actor.id if actor else None, action, recorded)
            return
        # One server's lines are written and posted in the order staff acted.
        async with self._audit_locks.setdefault(guild.id, asyncio.Lock()):
            await self.services.audit.record(guild.id, actor.id if actor else None, action, recorded)
            await self._post_audit(guild, actor, action, summary)

    async def _post_audit(
        self, guild: discord.Guild, actor: discord.abc.User | None, action: str, summary: str | Localizable
    ) -> None:
        channel_id = (await self.services.guild_settings.get(guild.id)).channel("audit")
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return
        t = await server_translator(self, guild.id)
        who = actor.mention if actor else t("someone whose data was erased")
        try:
            await channel.send(
                fit(t("`{action}` by {who}: {summary}", action=action, who=who, summary=summary), CONTENT)
            )
        except discord.HTTPException as exc:
            log.warning("could not write to the audit channel of %s: %s", guild.id, exc)

    # -- personal data ------------------------------------------------------------------------

    async def erase_person(self, guild: discord.Guild, user_id: int) -> Erasure:
        """Erase everything every capability stores about ``user_id`` in ``guild`` (one transaction),
        then let each cog undo its Discord side (roles, queue cards, freed seats): its listener
        ``on_personal_data_erased(guild, erasure)`` is awaited, so all is done when this returns."""
        erasure = await self.services.personal_data.erase(guild.id, user_id)
        listeners = list(self.extra_events.get("on_personal_data_erased", ()))
        results = await asyncio.gather(
            *(listener(guild, erasure) for listener in listeners), return_exceptions=True
        )
        for listener, result in zip(listeners, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "%s could not finish erasing %s's data on Discord",
                    getattr(listener, "__qualname__", listener),
                    user_id,
                    exc_info=result,
                )
        return erasure
