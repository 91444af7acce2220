"""Workshops end to end: create, announce, register, waitlist, reminders, cancel, bad input."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models_workshops import Workshop, WorkshopReminderDelivery
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.dsl import Reply
from tests.fakediscord.interactions import InteractionType
from tests.fakediscord.state import Member, Message

pytestmark = pytest.mark.e2e

# The harness starts the clock at 2027-03-01 09:00 UTC. 09:00 in Shanghai is 01:00 UTC.
START_UTC = datetime(2027, 4, 20, 1, 0, tzinfo=UTC)
END_UTC = datetime(2027, 4, 20, 9, 0, tzinfo=UTC)
FORM = {
    "title": "Science Park Management Workshop 2027",
    "starts": "2027-04-20 09:00",
    "ends": "20 Apr 2027 5pm",
    "location": "Tianjin, TEDA",
    "description": "Three days on running a science park.",
}


def field(embed: dict[str, Any], name: str) -> str:
    for item in embed.get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {[f['name'] for f in embed.get('fields', [])]}")


def ts(when: datetime, style: str = "F") -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


class World:
    def __init__(self, cisip: BotHarness) -> None:
        self.cisip = cisip
        d = cisip.discord
        self.staff = d.add_member("sam", roles=[d.add_role("Admins", permissions=Perm.MANAGE_GUILD)])
        self.verified = d.add_role("Verified")
        self.channel = d.add_channel("workshops")
        self.audit = d.add_channel("audit-log")

    async def configure(self) -> None:
        settings = self.cisip.bot.services.guild_settings
        guild_id = self.cisip.discord.guild.id
        await settings.set_channel(guild_id, "workshops", self.channel.id)
        await settings.set_channel(guild_id, "audit", self.audit.id)
        await settings.set_role(guild_id, "verified", self.verified.id)
        await settings.set_timezone(guild_id, "Asia/Shanghai")
        self.fast_edits()

    def fast_edits(self) -> None:
        cog: Any = self.cisip.bot.get_cog("Workshops")
        assert cog is not None  # loaded as an extension: its own copy of cogs.workshops
        cog.announcements.edit_interval = 0.0

    def member(self, name: str, **kwargs: Any) -> Member:
        return self.cisip.discord.add_member(name, roles=[self.verified], **kwargs)

    async def create(self, form: dict[str, str] | None = None, **options: Any) -> Any:
        opened = await self.cisip.discord.slash(
            self.staff, "workshop-admin create", **{"capacity": 2, **options}
        )
        assert opened.modal is not None, opened.content
        return await self.cisip.discord.submit_modal(self.staff, opened.modal, {**FORM, **(form or {})})

    def announcement(self) -> Message:
        return [m for m in self.cisip.discord.messages_in(self.channel) if m.embeds][-1]

    async def run_at(self, when: datetime) -> int:
        self.cisip.clock.set(when)
        return await self.cisip.bot.scheduler.run_due()

    async def unchecked(self, who: Member, command: str, **values: Any) -> Reply:
        """``/command`` with option values Discord itself would refuse (out of bounds, too long):
        a client can send them anyway, and the bot must answer them clearly."""
        d = self.cisip.discord
        channel = d.channel("general")
        stand_ins = {name: 1 if isinstance(value, int) else "1" for name, value in values.items()}
        data = d._command_data(command, channel, stand_ins, focused=None)
        for option in data["options"][0]["options"]:
            option["value"] = values.get(option["name"], option["value"])
        inter = d.em.interactions.create(InteractionType.APPLICATION_COMMAND, data, who.user, channel)
        return await d.wait_reply(inter, f"/{command}")

    async def workshops(self) -> int:
        async with self.cisip.bot.db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Workshop)) or 0)


async def eventually(check: Callable[[], Any], within: float = 3.0) -> None:
    """The announcement is edited after the member's reply: wait for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            assert check()
            return
        except AssertionError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.02)


def seats(world: World) -> str:
    return field(world.announcement().embeds[0], "Seats")


def dms(messages: list[Message], start: str) -> list[Message]:
    """The bot's DMs that start with ``start`` (other features DM members too, e.g. a welcome)."""
    return [m for m in messages if m.content.startswith(start)]


def reminders(messages: list[Message]) -> list[Message]:
    return dms(messages, "Reminder:")


async def test_a_workshop_from_announcement_to_cancellation(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    created = await world.create()
    assert created.ephemeral
    assert created.content.startswith("Workshop #1 created: Science Park Management Workshop 2027.")

    post = world.announcement()
    embed = post.embeds[0]
    assert embed["title"] == "Science Park Management Workshop 2027"
    assert embed["description"] == "Three days on running a science park."
    assert field(embed, "Starts") == f"{ts(START_UTC)} ({ts(START_UTC, 'R')})"
    assert field(embed, "Ends") == f"{ts(END_UTC)} ({ts(END_UTC, 'R')})"
    assert field(embed, "Location") == "Tianjin, TEDA"
    assert field(embed, "Seats") == "0 / 2"
    assert field(embed, "Registration deadline").startswith(ts(START_UTC))
    assert post.pinged == set()
    # The native event mirrors it.
    (event,) = d.guild.scheduled_events.values()
    assert event["name"] == FORM["title"] and event["entity_type"] == 3
    assert event["entity_metadata"]["location"] == "Tianjin, TEDA"
    assert event["scheduled_start_time"].startswith("2027-04-20T01:00")

    alice, bob, carol = world.member("alice"), world.member("bob"), world.member("carol")
    first = await d.click(alice, post, label="Register")
    assert first.ephemeral and first.content.startswith("You are registered for **Science Park")
    await d.click(bob, post, label="Register")
    third = await d.click(carol, post, label="Register")
    assert third.content.startswith("**Science Park Management Workshop 2027** is full: you are number 1")
    await eventually(lambda: seats(world) == "2 / 2 (1 on the waitlist)")

    mine = await d.slash(carol, "workshop mine")
    assert "waitlist, number 1" in mine.content

    await cisip.restart()  # buttons and rows survive; nothing is sent twice
    world.fast_edits()

    left = await d.click(bob, world.announcement(), label="Leave")
    assert left.content == "You left **Science Park Management Workshop 2027**."
    await eventually(lambda: len(dms(d.dms_to(carol), "Good news: a seat freed up")) == 1)
    await eventually(lambda: seats(world) == "2 / 2")

    # 7 days, 1 day and 1 hour before: each exactly once, to the registered only.
    for delta in (timedelta(days=7), timedelta(days=1), timedelta(hours=1)):
        await world.run_at(START_UTC - delta + timedelta(seconds=5))
        await cisip.bot.scheduler.run_due()
    await cisip.restart()
    await cisip.bot.scheduler.run_due()
    assert len(reminders(d.dms_to(alice))) == 3
    assert len(reminders(d.dms_to(carol))) == 3
    assert reminders(d.dms_to(bob)) == []
    assert all("late" not in m.content for m in reminders(d.dms_to(alice)))
    assert len(dms(d.messages_in(world.channel), "Workshop reminder: **Science Park")) == 3

    world.fast_edits()
    cancelled = await d.slash(world.staff, "workshop-admin cancel", workshop="1", reason="Venue flooded")
    assert cancelled.content == "Workshop #1 is cancelled. 2 of 2 registrants were told by direct message."
    for member in (alice, carol):
        (last,) = dms(d.dms_to(member), "**Science Park Management Workshop 2027** (")
        assert "is cancelled" in last.content and "Reason: Venue flooded" in last.content
    embed = world.announcement().embeds[0]
    assert embed["title"] == "CANCELLED: Science Park Management Workshop 2027"
    assert field(embed, "Cancelled") == "Venue flooded"
    assert world.announcement().components == []
    assert next(iter(d.guild.scheduled_events.values()))["status"] == 4


async def test_bad_input_is_refused_and_nothing_is_created(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    cases = [
        ({"ends": "2027-04-19 09:00"}, {}, "The workshop must end after it starts."),
        ({"starts": "2020-01-01 09:00"}, {}, "The start is in the past: choose a time still to come."),
        ({"starts": "tomorrow-ish"}, {}, "I cannot read 'tomorrow-ish' as a date and time."),
        ({}, {"deadline": "2027-04-21 09:00"}, "The registration deadline must be at or before the start."),
    ]
    for form, options, message in cases:
        reply = await world.create(form, **options)
        assert reply.ephemeral
        assert reply.content.startswith(message), reply.content
    option_cases: list[tuple[dict[str, Any], str]] = [
        ({"timezone": "Mars/Base"}, "Unknown time zone 'Mars/Base'"),
        ({"reminders": "soon"}, "'soon' is not a reminder offset"),
        ({"deadline": "soon"}, "I cannot read 'soon' as a date and time."),  # before the form opens
        ({"timezone": "\u200b"}, "The time zone cannot be empty."),
        ({"reminders": "\u2060\u200b"}, "The reminders cannot be empty."),
    ]
    for options, message in option_cases:
        reply = await d.slash(world.staff, "workshop-admin create", options={"capacity": 2, **options})
        assert reply.modal is None and reply.ephemeral
        assert reply.content.startswith(message), reply.content
    # Names made of nothing visible: zero-width characters, a direction override, Hangul filler.
    blank_forms: list[tuple[dict[str, str], str]] = [
        ({"title": "\u200b\u200b\u200b"}, "The title cannot be empty."),
        ({"title": "\u202e\u3164"}, "The title cannot be empty."),
        ({"location": "\u200d\ufeff"}, "The location cannot be empty."),
        ({"starts": "\u200b"}, "The date and time cannot be empty."),
    ]
    for form, message in blank_forms:
        reply = await world.create(form)
        assert reply.ephemeral and reply.content == message, reply.content
    # What Discord would refuse, sent anyway: answered by the option's own bounds.
    unchecked_cases: list[tuple[dict[str, Any], str]] = [
        ({"capacity": 0}, "The option `capacity` takes a number from 1 to 10,000."),
        ({"capacity": 10**30}, "The option `capacity` takes a number from 1 to 10,000."),
        ({"capacity": 2, "timezone": "x" * 6000}, "The option `timezone` takes at most 64 characters."),
        ({"capacity": 2, "deadline": "9" * 41}, "The option `deadline` takes at most 40 characters."),
        ({"capacity": 2, "reminders": "1d," * 34}, "The option `reminders` takes at most 100 characters."),
    ]
    for options, message in unchecked_cases:
        reply = await world.unchecked(world.staff, "workshop-admin create", **options)
        assert reply.modal is None and reply.ephemeral
        assert reply.content == message, reply.content
    assert await world.workshops() == 0
    assert d.messages_in(world.channel) == []


async def test_members_only_staff_only_and_the_deadline(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create(deadline="2027-04-10 18:00")
    stranger = d.add_member("stranger")
    refused = await d.click(stranger, world.announcement(), label="Register")
    assert refused.ephemeral
    assert refused.content == "This is for verified CISIP members: press Verify to become one."
    not_staff = await d.slash(world.member("alice"), "workshop-admin cancel", workshop="1")
    assert not_staff.content.startswith("Only CISIP staff can do this")

    cisip.clock.set(datetime(2027, 4, 10, 10, 1, tzinfo=UTC))  # 18:01 in Shanghai
    late = await d.click(world.member("bob"), world.announcement(), label="Register")
    assert late.content.startswith("Registration for this workshop closed on <t:")


async def test_without_manage_events_the_workshop_works_and_staff_are_told(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    d.edit_role(d.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    created = await world.create()
    assert "No Discord event was created: I need the Manage Events permission." in created.content
    assert d.guild.scheduled_events == {}
    ok = await d.click(world.member("alice"), world.announcement(), label="Register")
    assert ok.content.startswith("You are registered")


async def test_attendees_csv_and_role_ping(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    parks = d.add_role("Park managers", mentionable=True)
    await world.create(ping_role=parks)
    post = world.announcement()
    assert post.content == f"<@&{parks.id}>"
    assert post.mention_roles == [parks.id]
    alice = world.member("alice", nick="Alice Chen")
    await d.click(alice, post, label="Register")
    reply = await d.slash(world.staff, "workshop-admin attendees", workshop="1")
    (name, data) = reply.files[0]
    assert name == "workshop-1-attendees.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["name", "organization", "country", "registered at", "status"]
    assert rows[1][0] == "Alice Chen" and rows[1][4] == "registered"


async def test_reminder_late_while_down_is_sent_with_a_note_and_after_the_start_skipped(
    cisip: BotHarness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    d = cisip.discord
    await world.create(reminders="1d,1h")
    alice = world.member("alice")
    await d.click(alice, world.announcement(), label="Register")

    await world.run_at(START_UTC - timedelta(hours=20))  # the 1-day reminder, 4 hours late
    (late,) = reminders(d.dms_to(alice))
    assert "(This reminder is late: the bot was offline when it was due.)" in late.content

    with caplog.at_level(logging.WARNING):
        await world.run_at(START_UTC + timedelta(minutes=5))  # the 1-hour one: after the start
    assert len(reminders(d.dms_to(alice))) == 1
    assert any("already started" in r.getMessage() for r in caplog.records)


async def test_closed_dms_are_recorded_not_retried(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create(reminders="1d")
    shy = world.member("shy", dms_open=False)
    await d.click(shy, world.announcement(), label="Register")
    await world.run_at(START_UTC - timedelta(days=1) + timedelta(seconds=5))
    await world.run_at(START_UTC - timedelta(hours=2))
    async with cisip.bot.db.session() as session:
        statuses = (
            await session.scalars(
                select(WorkshopReminderDelivery.status).where(WorkshopReminderDelivery.user_id == shy.user.id)
            )
        ).all()
    assert statuses == ["dms_closed"]


async def test_a_reminder_across_a_daylight_saving_change(cisip: BotHarness, world: World) -> None:
    # Berlin moves to summer time on 28 March 2027. The workshop is at 09:00 on 29 March (07:00
    # UTC); its 7-day reminder is at 09:00 on 22 March, winter time: 08:00 UTC, not 07:00.
    d = cisip.discord
    await world.create(
        {"starts": "2027-03-29 09:00", "ends": "2027-03-29 17:00"},
        timezone="Europe/Berlin",
        reminders="7d,1h",
    )
    alice = world.member("alice")
    await d.click(alice, world.announcement(), label="Register")
    await world.run_at(datetime(2027, 3, 22, 7, 59, 0, tzinfo=UTC))
    assert reminders(d.dms_to(alice)) == []
    await world.run_at(datetime(2027, 3, 22, 8, 0, 5, tzinfo=UTC))
    assert len(reminders(d.dms_to(alice))) == 1
    await world.run_at(datetime(2027, 3, 29, 5, 59, 0, tzinfo=UTC))
    assert len(reminders(d.dms_to(alice))) == 1
    await world.run_at(datetime(2027, 3, 29, 6, 0, 5, tzinfo=UTC))  # 08:00 summer time
    assert len(reminders(d.dms_to(alice))) == 2


async def test_edit_moves_the_workshop_and_a_larger_capacity_promotes(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    await world.create(capacity=1)
    alice, bob = world.member("alice"), world.member("bob")
    await d.click(alice, world.announcement(), label="Register")
    await d.click(bob, world.announcement(), label="Register")

    opened = await d.slash(world.staff, "workshop-admin edit", workshop="1", capacity=2)
    assert opened.modal is not None
    assert opened.modal.inputs["starts"]["value"] == "2027-04-20 09:00"  # pre-filled, in the workshop's zone
    done = await d.submit_modal(
        world.staff, opened.modal, {"starts": "2027-04-21 09:00", "ends": "2027-04-21 17:00"}
    )
    assert done.content == "Workshop #1 updated."
    moved = START_UTC + timedelta(days=1)
    assert field(world.announcement().embeds[0], "Starts").startswith(ts(moved))
    await eventually(lambda: seats(world) == "2 / 2")
    await eventually(lambda: len(dms(d.dms_to(bob), "Good news: a seat freed up")) == 1)
    (event,) = d.guild.scheduled_events.values()
    assert event["scheduled_start_time"].startswith("2027-04-21T01:00")

    # Reminders follow the new start: a day later than the old ones.
    await world.run_at(moved - timedelta(days=7, seconds=-5))
    await world.run_at(START_UTC - timedelta(days=1, seconds=-5))  # the old 1-day mark: nothing
    assert len(reminders(d.dms_to(alice))) == 1
    await world.run_at(moved - timedelta(days=1, seconds=-5))
    await world.run_at(moved - timedelta(hours=1, seconds=-5))
    assert len(reminders(d.dms_to(alice))) == 3
    assert all("late" not in m.content for m in reminders(d.dms_to(alice)))


async def test_announce_list_info_and_mine(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    assert (await d.slash(world.member("alice"), "workshop list")).content == "No workshops are planned yet."
    await world.create()
    again = await d.slash(world.staff, "workshop-admin announce", workshop="1")
    assert again.content == "Announcement posted."
    assert len([m for m in d.messages_in(world.channel) if m.embeds]) == 2
    alice = d.member("alice")
    await d.click(alice, world.announcement(), label="Register")  # the new post's buttons work too

    listed = await d.slash(alice, "workshop list")
    assert listed.ephemeral and listed.embeds[0]["title"] == "Upcoming workshops"
    assert "seats 1 / 2" in listed.embeds[0]["fields"][0]["value"]
    info = await d.slash(alice, "workshop info", workshop="1")
    assert field(info.embeds[0], "Seats") == "1 / 2"
    mine = await d.slash(alice, "workshop mine")
    assert mine.content.startswith("• #1 **Science Park Management Workshop 2027**: <t:")
    assert (await d.autocomplete(alice, "workshop info", "workshop", "science"))[0]["value"] == "1"
    missing = await d.slash(alice, "workshop info", workshop="99")
    assert missing.ephemeral and missing.content == "No workshop matches '99'."


async def test_announcement_edits_are_coalesced(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create(capacity=5)
    cog: Any = cisip.bot.get_cog("Workshops")
    cog.announcements.edit_interval = 0.6
    route = "/channels/{channel_id}/messages/{message_id}"
    before = len(d.em.requests_to("PATCH", route))
    post = world.announcement()
    for name in ("m1", "m2", "m3", "m4"):
        await d.click(world.member(name), post, label="Register")
    await eventually(lambda: seats(world) == "4 / 5")
    await asyncio.sleep(0.7)
    assert len(d.em.requests_to("PATCH", route)) - before <= 2  # one at once, one for the rest


async def test_a_yearly_series_drafts_next_year_and_announces_the_call(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    created = await world.create(yearly=True)
    assert "yearly series" in created.content
    await world.run_at(END_UTC + timedelta(minutes=1))
    drafted = [m.content for m in d.messages_in(world.audit) if "workshop.draft" in m.content]
    assert len(drafted) == 1 and "drafted as workshop #2" in drafted[0]
    assert drafted[0].startswith(f"`workshop.draft` by <@{d.bot_member.id}>:")  # the bot drafted it
    assert "seats" not in (await d.slash(world.staff, "workshop list")).content  # drafts are not listed

    confirmed = await d.slash(world.staff, "workshop-admin confirm", workshop="2", call_weeks=4)
    next_start = START_UTC.replace(year=2028)
    call = next_start - timedelta(weeks=4)
    assert confirmed.content.startswith(f"Workshop #2 is confirmed for {ts(next_start)}")
    assert ts(call) in confirmed.content
    posts = len([m for m in d.messages_in(world.channel) if m.embeds])
    await world.run_at(call + timedelta(seconds=5))
    announcements = [m for m in d.messages_in(world.channel) if m.embeds]
    assert len(announcements) == posts + 1
    assert field(announcements[-1].embeds[0], "Starts").startswith(ts(next_start))


async def test_attendees_take_name_organization_and_country_from_verification(
    cisip: BotHarness, world: World
) -> None:
    from bot.db.models_members import Membership

    d = cisip.discord
    await world.create(capacity=1)
    wei, zoe = world.member("wei"), world.member("zoe")
    async with cisip.bot.db.transaction() as session:
        session.add(
            Membership(
                guild_id=d.guild.id,
                user_id=wei.user.id,
                status="approved",
                full_name="Li Wei",
                organization="=Zhongguancun Science Park",
                email="li.wei@example.org",
                country="China",
                member_type="park",
                applied_at=cisip.clock.now(),
            )
        )
    await d.click(wei, world.announcement(), label="Register")
    await d.click(zoe, world.announcement(), label="Register")
    reply = await d.slash(world.staff, "workshop-admin attendees", workshop="1")
    assert reply.content == "2 registrations for Science Park Management Workshop 2027."
    rows = list(csv.reader(io.StringIO(reply.files[0][1].decode("utf-8-sig"))))
    assert rows[1][:3] == ["Li Wei", "'=Zhongguancun Science Park", "China"]
    assert rows[1][4] == "registered"
    assert rows[2][0] == "zoe" and rows[2][1:3] == ["", ""] and rows[2][4] == "waitlisted"


async def test_a_reminder_sent_again_after_a_crash_reaches_the_member_once(cisip: BotHarness) -> None:
    # If the bot dies between sending a reminder DM and recording it, the scheduler runs the
    # reminder again; the DM's nonce makes Discord answer the resend with the first message.
    from bot.services.delivery import Outcome
    from bot.ui.dm import send_dm
    from cogs.workshops._notices import reminder_nonce

    alice = cisip.discord.add_member("alice")
    nonce = reminder_nonce(7, "1d", alice.user.id)
    assert len(nonce) <= 25 and nonce == reminder_nonce(7, "1d", alice.user.id)
    assert nonce != reminder_nonce(7, "1h", alice.user.id)

    assert await send_dm(
        cisip.bot, alice.user.id, "Reminder: the workshop starts tomorrow.", nonce=nonce
    ) is (Outcome.SENT)
    assert await send_dm(
        cisip.bot, alice.user.id, "Reminder: the workshop starts tomorrow.", nonce=nonce
    ) is (Outcome.SENT)

    reminders = [m for m in cisip.discord.dms_to(alice) if m.content.startswith("Reminder:")]
    assert len(reminders) == 1


async def test_a_role_that_could_not_be_pinged_is_refused_before_the_form(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    quiet = d.add_role("Quiet", mentionable=False)
    refused = await d.slash(world.staff, "workshop-admin create", capacity=2, ping_role=quiet)
    assert refused.modal is None and refused.ephemeral
    assert refused.content.startswith(f"I cannot ping <@&{quiet.id}> in <#{world.channel.id}>")
    everyone = await d.slash(
        world.staff, "workshop-admin create", capacity=2, ping_role=d.guild.roles[d.guild.id]
    )
    assert everyone.content == "The bot never pings @everyone: choose a role."

    # With Mention @everyone, @here and All Roles in the workshops channel the bot can ping it.
    d.set_permissions(world.channel, d.bot_role, allow=Perm.MENTION_EVERYONE)
    await world.create(ping_role=quiet)
    assert world.announcement().mention_roles == [quiet.id]


async def test_drafts_and_staff_options_are_shown_to_staff_only(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create(yearly=True)
    await world.run_at(END_UTC + timedelta(minutes=1))  # workshop #2 is drafted
    alice = world.member("alice")

    member_choices = await d.autocomplete(alice, "workshop info", "workshop", "science")
    assert [c["value"] for c in member_choices] == ["1"]
    staff_choices = await d.autocomplete(world.staff, "workshop info", "workshop", "science")
    assert [c["value"] for c in staff_choices] == ["2", "1"]
    assert (await d.slash(alice, "workshop info", workshop="2")).content == "No workshop matches '2'."
    draft = await d.slash(world.staff, "workshop info", workshop="2")
    assert draft.embeds[0]["title"] == "Science Park Management Workshop 2027" and draft.components == []

    # The options of staff commands offer nothing to members.
    assert await d.autocomplete(alice, "workshop-admin cancel", "workshop", "science") == []
    assert await d.autocomplete(alice, "workshop-admin create", "timezone", "Asia/Sh", capacity=2) == []
    assert await d.autocomplete(world.staff, "workshop-admin cancel", "workshop", "science") != []

    for typed in ("0", "99999999999999999999", "１２x"):
        refused = await d.slash(alice, "workshop info", workshop=typed)
        assert refused.content == f"No workshop matches '{typed}'.", typed


async def test_a_member_who_erases_their_data_gives_their_seat_to_the_waitlist(
    cisip: BotHarness, world: World
) -> None:
    from bot.db.models_members import Membership
    from bot.db.models_workshops import WorkshopRegistration

    d = cisip.discord
    await world.create(capacity=1)
    alice, bob = world.member("alice"), world.member("bob")
    async with cisip.bot.db.transaction() as session:  # an applicant: /verify forget-me erases them
        session.add(
            Membership(
                guild_id=d.guild.id,
                user_id=alice.user.id,
                status="approved",
                full_name="Alice Chen",
                organization="TEDA",
                email="alice@example.org",
                country="China",
                member_type="park",
                applied_at=cisip.clock.now(),
            )
        )
    await d.click(alice, world.announcement(), label="Register")
    await d.click(bob, world.announcement(), label="Register")
    await eventually(lambda: seats(world) == "1 / 1 (1 on the waitlist)")

    asked = await d.slash(alice, "verify forget-me")
    await d.click(alice, asked, label="Erase my data")

    await eventually(lambda: len(dms(d.dms_to(bob), "Good news: a seat freed up")) == 1)
    await eventually(lambda: seats(world) == "1 / 1")
    async with cisip.bot.db.session() as session:
        left = (
            await session.scalars(
                select(WorkshopRegistration.user_id).where(WorkshopRegistration.status == "registered")
            )
        ).all()
    assert left == [bob.user.id]
    assert "registered" in (await d.slash(bob, "workshop mine")).content


async def test_unloading_makes_the_waiting_edit_and_removes_the_handlers(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    await world.create(capacity=5)
    cog: Any = cisip.bot.get_cog("Workshops")
    cog.announcements.edit_interval = 60.0  # the post was just made: the next edit has to wait
    await d.click(world.member("alice"), world.announcement(), label="Register")
    await cisip.eventually(lambda: asyncio.sleep(0, 1 in cog.announcements._pending_edit))
    assert seats(world) == "0 / 5"

    await cisip.bot.unload_extension("cogs.workshops")
    assert seats(world) == "1 / 5"  # made at once rather than lost
    assert not [kind for kind in cisip.bot.scheduler.kinds if kind.startswith("workshop.")]
    assert cisip.bot.tree.get_command("workshop") is None
    assert cisip.bot.tree.get_command("workshop-admin") is None


async def test_a_ping_that_became_impossible_is_left_out_and_staff_are_told(
    cisip: BotHarness, world: World
) -> None:
    """The ping rule is asked where and when the announcement goes out, not only at creation."""
    d = cisip.discord
    parks = d.add_role("Park managers", mentionable=True)
    await world.create(ping_role=parks)
    d.edit_role(parks, mentionable=False)

    again = await d.slash(world.staff, "workshop-admin announce", workshop="1")

    post = world.announcement()
    assert post.content == "" and post.mention_roles == [] and post.pinged == set()
    assert again.content.startswith(f"I cannot ping <@&{parks.id}> in <#{world.channel.id}>")


async def test_the_workshop_option_takes_a_number_a_choice_or_a_title(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    await world.create()
    alice = world.member("alice")
    title = FORM["title"]
    for typed in ("1", "#1", "＃１", title, title.upper(), f"#1 {title} (2027-04-20)"):
        info = await d.slash(alice, "workshop info", workshop=typed)
        assert info.embeds and info.embeds[0]["title"] == title, (typed, info.content)

    # An oversized number, an id that does not exist, a title typed without picking that names
    # nothing: the same private answer, from every command with a workshop option.
    huge = "9" * 100
    commands: list[tuple[Member, str, dict[str, Any]]] = [
        (alice, "workshop info", {}),
        (world.staff, "workshop-admin edit", {}),
        (world.staff, "workshop-admin cancel", {"reason": "Rain"}),
        (world.staff, "workshop-admin attendees", {}),
        (world.staff, "workshop-admin announce", {}),
        (world.staff, "workshop-admin confirm", {"call_weeks": 4}),
    ]
    for who, command, extra in commands:
        for typed in (huge, "99", "Science Park"):
            reply = await d.slash(who, command, workshop=typed, **extra)
            assert reply.ephemeral and reply.modal is None
            assert reply.content == f"No workshop matches '{typed}'.", (command, typed, reply.content)
    # Longer than the option takes: Discord would refuse it; the bot does too.
    too_long = await world.unchecked(alice, "workshop info", workshop="9" * 6000)
    assert too_long.ephemeral and too_long.content == "The option `workshop` takes at most 120 characters."

    # Autocomplete answers an oversized number (with nothing), and a number with its workshop.
    assert await d.autocomplete(alice, "workshop info", "workshop", huge) == []
    (choice,) = await d.autocomplete(alice, "workshop info", "workshop", "#1")
    assert choice == {"name": f"#1 {title} (2027-04-20)", "value": "1"}
    # /workshop-admin's options suggest nothing to members, whatever they type.
    for command in ("edit", "cancel", "attendees", "announce", "confirm"):
        for typed in ("", "1", "science"):
            assert await d.autocomplete(alice, f"workshop-admin {command}", "workshop", typed) == [], command
        staff_choices = await d.autocomplete(world.staff, f"workshop-admin {command}", "workshop", "")
        assert [c["value"] for c in staff_choices] == ["1"], command
    async with cisip.bot.db.session() as session:
        assert (await session.get(Workshop, 1)).status == "scheduled"  # type: ignore[union-attr]


async def test_numbers_out_of_bounds_are_refused_by_their_option(cisip: BotHarness, world: World) -> None:
    d = cisip.discord
    await world.create(yearly=True)
    await world.run_at(END_UTC + timedelta(minutes=1))  # workshop #2 is drafted
    for weeks in (53, -1, 10**30):
        refused = await world.unchecked(world.staff, "workshop-admin confirm", workshop="2", call_weeks=weeks)
        assert refused.ephemeral
        assert refused.content == "The option `call_weeks` takes a number from 0 to 52.", refused.content
    refused = await world.unchecked(world.staff, "workshop-admin edit", workshop="2", capacity=10**30)
    assert refused.modal is None
    assert refused.content == "The option `capacity` takes a number from 1 to 10,000."
    confirmed = await d.slash(world.staff, "workshop-admin confirm", workshop="2", call_weeks=52)
    assert confirmed.content.startswith("Workshop #2 is confirmed for")


async def test_the_longest_texts_and_a_500_character_reason_reach_everyone(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    title = ("Science Park Management " * 5)[:100]
    longest = {
        "title": title,
        "location": "L" * 100,
        "description": ("Three days on running a science park. " * 30)[:1000],
    }
    created = await world.create(longest, reminders="1d")
    assert created.content == f"Workshop #1 created: {title.strip()}."
    alice = world.member("alice")
    await d.click(alice, world.announcement(), label="Register")
    await world.run_at(START_UTC - timedelta(days=1) + timedelta(seconds=5))
    assert len(reminders(d.dms_to(alice))) == 1
    assert len(dms(d.messages_in(world.channel), "Workshop reminder:")) == 1

    reason = ("Venue flooded, and the river is still rising. " * 11)[:500]
    cancelled = await d.slash(world.staff, "workshop-admin cancel", workshop="1", reason=reason)
    assert cancelled.content == "Workshop #1 is cancelled. 1 of 1 registrants were told by direct message."
    (told,) = dms(d.dms_to(alice), f"**{title.strip()}** (")
    assert told.content.endswith("Reason: " + reason.strip())
    await eventually(lambda: field(world.announcement().embeds[0], "Cancelled") == reason.strip())
    assert any("workshop.cancel" in m.content for m in d.messages_in(world.audit))


async def test_text_stored_before_the_limits_is_fitted_where_it_is_shown(
    cisip: BotHarness, world: World
) -> None:
    """Rows written before the input layer (or by hand) can hold more than a message takes: every
    place they are shown cuts them to fit instead of failing."""
    from sqlalchemy import update

    d = cisip.discord
    await world.create()
    alice = world.member("alice")
    await d.click(alice, world.announcement(), label="Register")
    async with cisip.bot.db.transaction() as session:
        await session.execute(
            update(Workshop).values(title="T " * 3000, location="L" * 3000, description="D " * 5000)
        )
    info = await d.slash(alice, "workshop info", workshop="1")
    assert len(info.embeds[0]["title"]) <= 256 and info.embeds[0]["title"].endswith("…")
    again = await d.slash(world.staff, "workshop-admin announce", workshop="1")
    assert again.content == "Announcement posted."
    mine = await d.slash(alice, "workshop mine")
    assert len(mine.content) <= 2000
    cancelled = await d.slash(world.staff, "workshop-admin cancel", workshop="1", reason="r" * 500)
    assert cancelled.content.startswith("Workshop #1 is cancelled. 1 of 1")
    await eventually(lambda: world.announcement().embeds[0]["title"].startswith("CANCELLED: T T"))


async def test_the_announcement_and_info_link_to_the_calendar_feed_at_a_public_address(
    cisip: BotHarness, world: World
) -> None:
    """With WEB_BASE_URL a public address, the announcement and /workshop info carry an Add to my
    calendar link to the workshop's .ics feed; at this host's default address (meaningless on a
    member's computer) there is none."""
    d = cisip.discord
    await world.create()
    alice = world.member("alice")

    def links(message: Any) -> list[str]:
        from tests.fakediscord.dsl import walk_components

        return [c["url"] for c in walk_components(message.components) if c.get("type") == 2 and c.get("url")]

    assert links(world.announcement()) == []
    assert links(await d.slash(alice, "workshop info", workshop="1")) == []
    cisip.settings = replace(cisip.settings, web_base_url="https://cisip.example.org")
    await cisip.restart()
    feed = "https://cisip.example.org/workshops/1.ics"
    assert links(await d.slash(alice, "workshop info", workshop="1")) == [feed]
    again = await d.slash(world.staff, "workshop-admin announce", workshop="1")
    assert again.content == "Announcement posted."
    assert links(world.announcement()) == [feed]
