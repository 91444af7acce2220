"""Stopping the bot lets the work already running finish before the database closes."""

from __future__ import annotations

import asyncio

from tests.cogs.conftest import BotHarness

# The names discord.py 2.7 gives the tasks that run a listener, a slash command, a view button, a
# persistent (dynamic) button and a modal submission.
HANDLER_TASKS = [
    "discord.py: on_interaction",
    "CommandTree-invoker",
    "discord-ui-view-dispatch-1",
    "discord-ui-dynamic-item-RegisterButton-workshop:register:1",
    "discord-ui-modal-dispatch-1",
]


async def test_every_kind_of_running_handler_finishes_before_shutdown(cisip: BotHarness) -> None:
    finished: list[str] = []

    async def handler(name: str) -> None:
        await asyncio.sleep(0.05)  # still working when shutdown begins
        finished.append(name)

    tasks = [asyncio.create_task(handler(name), name=name) for name in HANDLER_TASKS]
    await cisip.bot.finish_in_flight()

    assert sorted(finished) == sorted(HANDLER_TASKS)
    assert not any(task.cancelled() for task in tasks)


async def test_a_handler_stuck_past_the_grace_is_cancelled(cisip: BotHarness) -> None:
    stuck = asyncio.create_task(asyncio.sleep(60), name="discord-ui-dynamic-item-Stuck-x:1")
    cisip.bot.shutdown_grace = 0.05
    await cisip.bot.finish_in_flight()
    assert stuck.cancelled()
