"""No input breaks the bot: every option of every registered command, every form it opens and every
button it shows get hostile values, as a member and as staff, through the emulator, on SQLite and
on PostgreSQL. See ``arena.py`` for what each interaction must satisfy.

The commands are read from what the bot registered, so a new command or option is covered without
writing a test. Hypothesis runs once per command (``EXAMPLES`` examples each, derandomized so that
CI is repeatable): what one command draws never depends on the world, only on the command, which
is what Hypothesis needs to replay a choice. ``bench/hostile_bench.py`` runs many more examples,
with fresh randomness.

Hypothesis runs a test synchronously and keeps its state per thread, while the bot and the emulator
run on the test's event loop: each command's examples run in a worker thread, and every value the
arena draws on the loop is drawn in that thread (``ThreadedDraws``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import queue
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture.engine import HealthCheckState

from bot.config import Settings
from bot.scheduler import MovableClock
from tests.cogs.conftest import START, BotHarness, bot_settings
from tests.conftest import database_url_for
from tests.fakediscord.dsl import FakeDiscord
from tests.hostile.arena import Arena, CommandSpec

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "2"))  # per command
RANDOM = os.environ.get("HOSTILE_RANDOM") == "1"  # bench/hostile_bench.py: fresh values every run
VERBOSE = bool(os.environ.get("HOSTILE_VERBOSE"))


@pytest.fixture(autouse=True)
def linear_draw_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hypothesis sums the draw times of its first examples by concatenating one list per draw,
    again for each row of a timing report it builds even when that health check is suppressed:
    cubic in the number of ``st.data()`` draws, and an example here draws hundreds. The same sum,
    in linear time."""

    def total_draw_time(state: HealthCheckState) -> float:
        return math.fsum(time for times in state.draw_times.values() for time in times)

    monkeypatch.setattr(HealthCheckState, "total_draw_time", property(total_draw_time))
    yield


@pytest.fixture
async def arena(fake_discord: FakeDiscord, backend: str, tmp_path: Path) -> AsyncIterator[Arena]:
    base = bot_settings(fake_discord, tmp_path)
    url = await database_url_for(backend, tmp_path)
    settings = Settings(
        discord_token=base.discord_token,
        database_url=url,
        data_dir=base.data_dir,
        discord_api_base_url=base.discord_api_base_url,
        discord_gateway_url=base.discord_gateway_url,
    )
    harness = BotHarness(fake_discord, settings, MovableClock(START))
    await harness.start()
    arena = Arena(harness)
    try:
        await arena.build()
        yield arena
    finally:
        arena.close()
        await harness.stop()


class _Cut(Exception):
    """Raised on the loop when Hypothesis stopped the example during a draw (it ran out of
    choices, or the test is over): the walk stops there."""


class ThreadedDraws:
    """``st.DataObject.draw`` for code on the event loop, drawn in Hypothesis's thread."""

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[st.SearchStrategy[Any], str] | None] = queue.Queue()
        self.answers: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def draw(self, strategy: st.SearchStrategy[Any], label: str = "value") -> Any:
        # Blocks the loop for the draw only (microseconds): nothing on it may run meanwhile anyway.
        self.requests.put((strategy, label))
        ok, value = self.answers.get()
        if not ok:
            raise _Cut
        return value

    def serve(self, data: st.DataObject, walk: Future[None]) -> None:
        """In Hypothesis's thread: draw what the walk asks for until it is over, then report how it
        ended (its failure, or Hypothesis's own stop signal from a draw)."""
        walk.add_done_callback(lambda _: self.requests.put(None))
        stopped: BaseException | None = None
        while (request := self.requests.get()) is not None:
            strategy, label = request
            try:
                self.answers.put((True, data.draw(strategy, label=label)))
            except BaseException as stop:  # Hypothesis's StopTest and friends: the example ends
                stopped = stopped or stop
                self.answers.put((False, None))
        if stopped is not None:
            raise stopped
        walk.result()


def run_examples(
    loop: asyncio.AbstractEventLoop, walk: Callable[[ThreadedDraws], Awaitable[None]], spec: CommandSpec
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # the world carries on between examples: no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def examples_of_one_command(data: st.DataObject) -> None:
        draws = ThreadedDraws()

        async def walk_with_draws() -> None:
            with contextlib.suppress(_Cut):
                await walk(draws)

        draws.serve(data, cast(Future[None], asyncio.run_coroutine_threadsafe(walk_with_draws(), loop)))

    examples_of_one_command()


async def test_no_input_breaks_the_bot(arena: Arena) -> None:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    for spec in arena.commands:

        async def walk(draws: ThreadedDraws, spec: CommandSpec = spec) -> None:
            data = cast(st.DataObject, draws)
            await arena.settle()
            await arena.command(data, spec, arena.actor_for(data, spec))
            await arena.press_posted(data)
            for option in spec.autocompleted:
                typist = data.draw(st.sampled_from(arena.actors), label="value")
                await arena.autocomplete(data, spec, typist, option)
            await arena.cisip.bot.services.user_locales.flush()
            await arena.check_database()
            arena.check_log("the example's background work")

        before = time.perf_counter()
        await asyncio.to_thread(run_examples, loop, walk, spec)
        if VERBOSE:
            print(f"{spec.path}: {time.perf_counter() - before:.2f} s", flush=True)
    if VERBOSE:  # bench/hostile_bench.py reads this line
        print(
            f"{arena.interactions} interactions, {len(arena.log.refused)} refused, "
            f"{len(arena.commands)} commands, {time.perf_counter() - started:.1f} s",
            flush=True,
        )
