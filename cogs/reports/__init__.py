"""Reports: /report for members (subscribe, list, latest, get), /report-admin for staff (publish,
edit, withdraw, deliveries), the persistent Subscribe / Unsubscribe / Retry buttons, and the Discord
side of the DM fan-out. Every rule is in ``bot.services.reports``; the fan-out engine in
``bot.services.delivery``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.reports.commands import ReportAdminGroup, ReportGroup, Reports
from cogs.reports.views import PERSISTENT_BUTTONS

if TYPE_CHECKING:
    from bot.client import CisipBot


async def setup(bot: CisipBot) -> None:
    cog = Reports(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(ReportGroup(cog))
    bot.tree.add_command(ReportAdminGroup(cog))
    bot.add_dynamic_items(*PERSISTENT_BUTTONS)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("report")
    bot.tree.remove_command("report-admin")
    bot.remove_dynamic_items(*PERSISTENT_BUTTONS)
