"""Check-in end to end: the venue code, I'm here on the announcement and in /workshop mine, the
wrong-code lockout, staff check-in, attendance per day, the CSV and the staff's figures."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from tests.cogs.conftest import BotHarness
from tests.cogs.workshops.test_workshops import END_UTC, START_UTC, World, eventually, field, ts
from tests.fakediscord.dsl import Reply, walk_components
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

TITLE = "Science Park Management Workshop 2027"


def code_of(reply: Reply) -> str:
    found = re.search(r"\*\*([A-Z0-9]{6})\*\*", reply.content)
    assert found, reply.content
    return found.group(1)


def labels(message: object) -> list[str]:
    components = getattr(message, "components", [])
    return [c.get("label") for c in walk_components(components) if c.get("type") == 2]


async def here(world: World, who: Member, code: str | None) -> Reply:
    """Press I'm here on the announcement and type ``code`` if the form opens."""
    d = world.cisip.discord
    await eventually(lambda: "I'm here" in labels(world.announcement()))  # shown once the code is
    pressed = await d.click(who, world.announcement(), label="I'm here")
    if pressed.modal is None or code is None:
        return pressed
    return await d.submit_modal(who, pressed.modal, {"code": code})


async def test_check_in_with_the_venue_code_and_the_lockout(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create()
    alice, bob, carol = world.member("alice"), world.member("bob"), world.member("carol")
    for member in (alice, bob, carol):
        await d.click(member, world.announcement(), label="Register")  # carol waits

    # Before the window: I'm here (in /workshop mine) says when check-in opens.
    assert labels(world.announcement()) == ["Register", "Leave"]
    mine = await d.slash(alice, "workshop mine")
    early = await d.click(alice, mine, label="I'm here · #1")
    opens = START_UTC - timedelta(hours=1)
    assert early.content == f"Check-in for **{TITLE}** opens {ts(opens)} ({ts(opens, 'R')})."
    refused = await d.slash(world.staff, "workshop-admin checkin-code", workshop="1")
    assert refused.ephemeral and refused.content.startswith(f"Check-in for **{TITLE}** opens")

    # An hour before the start check-in opens: the announcement gets I'm here by itself.
    await world.run_at(START_UTC - timedelta(hours=1))
    await eventually(lambda: labels(world.announcement()) == ["Register", "Leave", "I'm here"])

    # 30 minutes before the start: staff reveal the code.
    cisip.clock.set(START_UTC - timedelta(minutes=30))
    revealed = await d.slash(world.staff, "workshop-admin checkin-code", workshop="1")
    assert revealed.ephemeral
    code = code_of(revealed)
    assert revealed.content.startswith(f"Venue code for **{TITLE}** on 2027-04-20: **{code}**")
    assert code_of(await d.slash(world.staff, "workshop-admin checkin-code", workshop="1")) == code
    await eventually(lambda: labels(world.announcement()) == ["Register", "Leave", "I'm here"])

    done = await here(world, alice, f" {code.lower()} ")
    assert done.ephemeral and done.content == f"You are checked in for **{TITLE}** on 2027-04-20. Welcome!"
    again = await here(world, alice, None)
    assert again.content == f"You are already checked in for **{TITLE}** on 2027-04-20."

    waiting = await here(world, carol, None)
    assert waiting.content == f"You are not registered for **{TITLE}**: only registered members can check in."

    # Wrong codes are counted; the fifth locks bob out for 15 minutes, even with the right code.
    wrong = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    for count in range(1, 5):
        answer = await here(world, bob, wrong)
        assert answer.content == f"That is not today's venue code (wrong tries: {count} of 5)."
    locked = await here(world, bob, wrong)
    until = START_UTC - timedelta(minutes=30) + timedelta(minutes=15)
    assert locked.content == f"Too many wrong codes: you can try again {ts(until, 'R')}."
    assert (await here(world, bob, None)).content == locked.content  # the form does not even open
    cisip.clock.set(until + timedelta(seconds=1))
    assert (await here(world, bob, code)).content.startswith(f"You are checked in for **{TITLE}**")

    # The staff's figures and the CSV.
    info = await d.slash(world.staff, "workshop info", workshop="1")
    embed = info.embeds[0]
    assert field(embed, "Attendance (staff only)") == "registered 2 · waitlisted 1 · attended 2 · no-shows 0"
    assert field(embed, "All editions of 2027 (1)") == "registered 2 · waitlisted 1 · attended 2 · no-shows 0"
    member_info = await d.slash(alice, "workshop info", workshop="1")
    assert "Attendance (staff only)" not in [f["name"] for f in member_info.embeds[0]["fields"]]
    sheet = await d.slash(world.staff, "workshop-admin attendees", workshop="1")
    rows = list(csv.reader(io.StringIO(sheet.files[0][1].decode("utf-8-sig"))))
    assert rows[0][-1] == "attended"
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        ("alice", "registered", "2027-04-20"),
        ("bob", "registered", "2027-04-20"),
        ("carol", "waitlisted", ""),
    ]

    # At the end check-in closes, and the announcement loses its buttons.
    await world.run_at(END_UTC + timedelta(seconds=1))
    assert world.announcement().components == []
    mine_after = await d.slash(bob, "workshop mine")
    assert mine_after.content.startswith("You are not registered for any upcoming workshop.\n")
    assert "I'm here" not in str(labels(mine_after))  # nothing to check in to; the certificate is there
    late = await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(carol.id))
    assert late.content == f"**{TITLE}** has ended: check-in is closed."


async def test_staff_check_in_and_attendance_per_day(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create({"ends": "2027-04-21 17:00"})  # two days, 09:00 to 17:00 in Shanghai
    alice, bob = world.member("alice"), world.member("bob", nick="Bob Li")
    stranger = world.member("stranger")
    for member in (alice, bob):
        await d.click(member, world.announcement(), label="Register")

    cisip.clock.set(START_UTC + timedelta(hours=1))
    # Staff's member option offers the registered only, by name; members are offered nothing.
    choices = await d.autocomplete(world.staff, "workshop-admin checkin", "member", "", workshop="1")
    assert [(c["name"], c["value"]) for c in choices] == [("alice", str(alice.id)), ("Bob Li", str(bob.id))]
    assert [
        c["name"]
        for c in await d.autocomplete(world.staff, "workshop-admin checkin", "member", "bob", workshop="1")
    ] == ["Bob Li"]
    assert await d.autocomplete(alice, "workshop-admin checkin", "member", "", workshop="1") == []

    first = await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(bob.id))
    assert first.ephemeral and first.content == f"Bob Li is checked in for **{TITLE}** on 2027-04-20."
    twice = await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(bob.id))
    assert twice.content == f"Bob Li was already checked in for **{TITLE}** on 2027-04-20."
    outsider = await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(stranger.id))
    assert outsider.content == (
        f"That member is not registered for **{TITLE}**: only registered members are checked in."
    )
    nonsense = await d.slash(world.staff, "workshop-admin checkin", workshop="1", member="someone")
    assert nonsense.content == "No registered member matches 'someone'."
    not_staff = await d.slash(alice, "workshop-admin checkin", workshop="1", member=str(alice.id))
    assert not_staff.content.startswith("Only CISIP staff can do this")
    day_one = code_of(await d.slash(world.staff, "workshop-admin checkin-code", workshop="1"))
    assert (await here(world, alice, day_one)).content.endswith("on 2027-04-20. Welcome!")

    # The next day: a new code, yesterday's is wrong; each day is its own attendance.
    await cisip.restart()
    world.fast_edits()
    cisip.clock.set(START_UTC + timedelta(days=1, minutes=5))
    day_two = code_of(await d.slash(world.staff, "workshop-admin checkin-code", workshop="1"))
    assert day_two != day_one
    stale = await here(world, alice, day_one)
    assert stale.content == "That is not today's venue code (wrong tries: 1 of 5)."
    assert (await here(world, alice, day_two)).content.endswith("on 2027-04-21. Welcome!")

    sheet = await d.slash(world.staff, "workshop-admin attendees", workshop="1")
    rows = list(csv.reader(io.StringIO(sheet.files[0][1].decode("utf-8-sig"))))
    assert [(r[0], r[5]) for r in rows[1:]] == [("alice", "2027-04-20; 2027-04-21"), ("Bob Li", "2027-04-20")]
    info = await d.slash(world.staff, "workshop info", workshop="1")
    assert field(info.embeds[0], "Attendance (staff only)") == (
        "registered 2 · waitlisted 0 · attended 2 · no-shows 0"
    )
    audit = [m.content for m in d.messages_in(world.audit)]
    assert any("workshop.checkin" in line for line in audit)


async def test_check_in_reads_in_chinese(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create()
    li = world.member("li", locale="zh-CN")
    await d.click(li, world.announcement(), label="Register")
    mine = await d.slash(li, "workshop mine")
    early = await d.click(li, mine, label="我已到场 · #1")
    opens = START_UTC - timedelta(hours=1)
    assert early.content == f"**{TITLE}** 的签到将于 {ts(opens)} ({ts(opens, 'R')}) 开放。"
    cisip.clock.set(START_UTC)
    code = code_of(await d.slash(world.staff, "workshop-admin checkin-code", workshop="1"))
    pressed = await d.click(li, mine, label="我已到场 · #1")
    assert pressed.modal is not None and pressed.modal.title == "签到"
    wrong = await d.submit_modal(li, pressed.modal, {"code": "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"})
    assert wrong.content == "这不是今天的现场签到码（错误次数：1 / 5）。"
    pressed = await d.click(li, mine, label="我已到场 · #1")
    done = await d.submit_modal(li, pressed.modal, {"code": code})
    assert done.content == f"您已签到 **{TITLE}**（2027-04-20）。欢迎！"
