"""Membership: verification (the Verify button, the form, the email code, the staff review queue),
the membership year (renewal reminders, expiry, rejoin), member organizations, and each member's
own data (/verify my-data and forget-me).

The rules are in ``bot.services.membership`` and ``bot.services.verification``; this package is
their Discord side: ``commands`` (/verify, /members), ``views`` (buttons, forms and the flows they
start), ``embeds`` (rendering), ``jobs`` (reminders, expiry, sweep), ``events`` (joins, erasure)
and ``_roles`` (giving and taking roles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.membership.commands import MembersGroup, VerifyGroup
from cogs.membership.events import Membership
from cogs.membership.jobs import MembershipJobs
from cogs.membership.views import PERSISTENT_ITEMS

if TYPE_CHECKING:
    from bot.client import CisipBot


async def setup(bot: CisipBot) -> None:
    MembershipJobs(bot).register()
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
    bot.tree.add_command(VerifyGroup(bot))
    bot.tree.add_command(MembersGroup(bot))
    await bot.add_cog(Membership(bot))


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("verify")
    bot.tree.remove_command("members")
    bot.remove_dynamic_items(*PERSISTENT_ITEMS)
    MembershipJobs(bot).unregister()
