"""Everyone at once, end to end: a rush of Register clicks, a double click, a flood of joins.

Clicks are dispatched without waiting for each answer (as Discord delivers them), and the test
then reads what each member was told and what the bot stored. Nothing here is timed: the figures
are bench/rush_bench.py's.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest

from tests.cogs.conftest import BotHarness
from tests.cogs.workshops.test_workshops import World
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.state import Message

pytestmark = pytest.mark.e2e

COMPONENT = 3


def register_id(post: Message) -> str:
    return next(
        b["custom_id"]
        for row in post.components
        for b in row["components"]
        if b.get("custom_id", "").startswith("workshop:register:")
    )


async def answered(inters: list[Interaction], within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while any(not i.acknowledged or (i.response_type == 5 and len(i.events) < 2) for i in inters):
        assert loop.time() < deadline, "some clicks were never answered"
        await asyncio.sleep(0.02)


def told(inter: Interaction) -> str:
    messages = [m for m in (inter.original, *inter.followups) if m is not None]
    return messages[-1].content if messages else ""


async def test_a_rush_seats_the_first_clickers_and_tells_each_their_true_place(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    await world.create(capacity=10)
    post = world.announcement()
    members = [world.member(f"m{n:02d}") for n in range(40)]
    custom_id = register_id(post)

    inters = [
        d.em.interactions.create(
            COMPONENT, {"custom_id": custom_id, "component_type": 2}, m.user, world.channel, message=post
        )
        for m in members
    ]
    await answered(inters)

    replies = [told(i) for i in inters]
    assert all("registered for" in r for r in replies[:10]), replies[:10]
    for n, reply in enumerate(replies[10:], start=1):
        assert re.search(rf"you are number {n} on the waitlist", reply), (n, reply)

    # The announcement ends up showing the count (its edits are coalesced).
    async def counted() -> bool:
        return seats_shown(world) == "10 / 10 (30 on the waitlist)"

    await cisip.eventually(counted)
    assert "Something went wrong" not in " ".join(replies)


def seats_shown(world: World) -> str:
    embed = world.announcement().embeds[0]
    return next(f["value"] for f in embed["fields"] if f["name"] == "Seats")


async def test_two_clicks_of_one_member_arriving_together(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create(capacity=2)
    post = world.announcement()
    alice = world.member("alice")
    custom_id = register_id(post)

    twice = [
        d.em.interactions.create(
            COMPONENT, {"custom_id": custom_id, "component_type": 2}, alice.user, world.channel, message=post
        )
        for _ in range(2)
    ]
    await answered(twice)

    replies = sorted(told(i) for i in twice)
    assert replies[0].startswith("You are already registered for **Science Park Management Workshop 2027**.")
    assert replies[1].startswith("You are registered for **Science Park Management Workshop 2027**")
    mine = await d.slash(alice, "workshop mine")
    assert mine.content.count("(registered)") == 1


async def test_a_flood_of_joins_welcomes_each_newcomer_once(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    welcome = d.add_channel("welcome")
    await cisip.bot.services.guild_settings.set_channel(d.guild.id, "welcome", welcome.id)
    newcomers = [d.add_member(f"new{n:03d}") for n in range(60)]  # all at once
    ids = {m.user.id for m in newcomers}

    def named() -> Counter[int]:
        found: Counter[int] = Counter()
        for message in d.messages_in(welcome):
            found.update(int(i) for i in re.findall(r"<@!?(\d+)>", message.content) if int(i) in ids)
        return found

    async def everyone_welcomed() -> bool:
        return set(named()) == ids

    await cisip.eventually(everyone_welcomed, within=20)
    assert set(named().values()) == {1}  # each newcomer named once
    assert len(d.messages_in(welcome)) < len(newcomers)  # together, not one post each
    assert all(m.pinged == set() for m in d.messages_in(welcome))  # named, never pinged
    dms = Counter(m.user.id for m in newcomers for _ in d.dms_to(m))
    assert max(dms.values(), default=0) <= 1  # a DM at most once (the flood's first ones)
