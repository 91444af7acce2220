"""The park directory: /park (search, info, list, stats), /park-admin (staff: add, edit, remove) and
its Share button.

Every rule is ``bot.services.parks``'s; this package parses the options, asks the service and
renders the answer (``commands``, ``views``, the statistics chart in ``chart``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.parks.commands import ParkAdminGroup, ParkGroup, Parks
from cogs.parks.views import ShareButton

if TYPE_CHECKING:
    from bot.client import CisipBot


async def setup(bot: CisipBot) -> None:
    await bot.add_cog(Parks(bot))  # seeds the directory before the commands answer
    bot.tree.add_command(ParkGroup(bot))
    bot.tree.add_command(ParkAdminGroup(bot))
    bot.add_dynamic_items(ShareButton)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("park")
    bot.tree.remove_command("park-admin")
    bot.remove_dynamic_items(ShareButton)
