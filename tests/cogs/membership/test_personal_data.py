"""A member's own data, end to end: /verify my-data gives all of it, /verify forget-me erases all
of it, for members and for people who never applied alike."""

from __future__ import annotations

import json

import pytest

from bot.services.membership import EXPIRY_KIND, REMINDER_KIND, SWEEP_KIND
from tests.cogs.conftest import BotHarness
from tests.cogs.membership.support import Inbox, apply, enter_code, join, row_of, set_up

pytestmark = pytest.mark.e2e


async def test_my_data_is_everything_stored_about_the_member_as_a_private_file(
    cisip: BotHarness, mail: Inbox
) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    lu, welcome = await join(cisip, server, "lu")
    await enter_code(
        cisip, lu, await apply(cisip, lu, welcome, email="lu@example.org"), mail.last_code("lu@example.org")
    )
    other, welcome = await join(cisip, server, "other")
    await apply(cisip, other, welcome, email="other@example.org")
    await d.slash(lu, "report subscribe")

    reply = await d.slash(lu, "verify my-data")

    assert reply.ephemeral
    assert "your membership application" in reply.content and "your report subscription" in reply.content
    [(name, data)] = reply.files
    assert name == f"cisip-data-{lu.id}.json"
    document = json.loads(data)
    assert document["user_id"] == str(lu.id) and document["server_id"] == str(d.guild.id)
    assert document["data"]["membership"]["email"] == "lu@example.org"
    assert document["data"]["membership"]["status"] == "pending"
    assert document["data"]["reports"]["subscription"]["active"] is True
    assert "other@example.org" not in data.decode()


async def test_someone_who_never_applied_can_erase_their_subscription(cisip: BotHarness) -> None:
    d = cisip.discord
    await set_up(cisip)
    kim = d.add_member("kim")
    await d.slash(kim, "report subscribe")
    assert await cisip.bot.services.reports.subscribers(d.guild.id) == {kim.id}

    asked = await d.slash(kim, "verify forget-me")
    assert "your report subscription" in asked.content
    assert "membership application" not in asked.content
    done = await d.click(kim, asked, label="Erase my data")

    assert done.content == "Your data is erased."
    assert await cisip.bot.services.reports.subscribers(d.guild.id) == set()
    assert await row_of(cisip, kim) is None
    again = await d.slash(kim, "verify forget-me")
    assert again.content == "The bot stores nothing about you here to erase."


async def test_staff_erase_a_subscriber_who_never_applied(cisip: BotHarness) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    kim = d.add_member("kim")
    await d.slash(kim, "report subscribe")

    forgot = await d.slash(server.staff, "members forget", user=kim)

    assert forgot.content == f"The personal data of <@{kim.id}> is erased."
    assert await cisip.bot.services.reports.subscribers(d.guild.id) == set()
    nothing = await d.slash(server.staff, "members forget", user=kim)
    assert nothing.content == f"The bot stores nothing about <@{kim.id}> here to erase."


async def test_unloading_membership_removes_its_job_handlers(cisip: BotHarness) -> None:
    kinds = {REMINDER_KIND, EXPIRY_KIND, SWEEP_KIND}
    assert kinds <= set(cisip.bot.scheduler.kinds)

    await cisip.bot.unload_extension("cogs.membership")
    assert kinds.isdisjoint(cisip.bot.scheduler.kinds)
    assert cisip.bot.tree.get_command("verify") is None

    await cisip.bot.load_extension("cogs.membership")
    assert kinds <= set(cisip.bot.scheduler.kinds)
