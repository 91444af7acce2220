"""Administration: /setup (the server's channels, roles, time zone and language) and /status.

Settings live in ``bot.services.guild_settings``; this package only asks Discord what the bot can
do with them (permissions, role hierarchy) and shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.admin.commands import Admin, SetupGroup

if TYPE_CHECKING:
    from bot.client import CisipBot


async def setup(bot: CisipBot) -> None:
    bot.tree.add_command(SetupGroup(bot))
    await bot.add_cog(Admin(bot))


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("setup")
