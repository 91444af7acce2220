"""The yearly calendar: /calendar (staff-defined yearly announcements and the built-in cycles) and
the scheduled posts of their occurrences.

What an occurrence says, where it goes and whom it pings is decided in ``bot.services.calendar``;
this package resolves those ids to Discord, checks what the bot may do there, and posts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.calendar import BUILTIN_KIND, ENTRY_KIND
from cogs.calendar.commands import Calendar, CalendarGroup
from cogs.calendar.jobs import CalendarJobs

if TYPE_CHECKING:
    from bot.client import CisipBot

JOB_KINDS = (ENTRY_KIND, BUILTIN_KIND)


async def setup(bot: CisipBot) -> None:
    await bot.add_cog(Calendar(bot))
    bot.tree.add_command(CalendarGroup(bot))
    jobs = CalendarJobs(bot)
    for kind in JOB_KINDS:
        bot.register_job(kind, jobs.deliver, on_missed=jobs.missed)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("calendar")
    for kind in JOB_KINDS:
        bot.unregister_job(kind)
