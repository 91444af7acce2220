"""/calendar end to end: staff define yearly announcements, the clock moves, they arrive once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.models import AuditEntry, ScheduledJob
from bot.db.models_calendar import CalendarEntry
from bot.services.calendar import BUILTIN_KIND, ENTRY_KIND
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e


def stamp(when: datetime, style: str = "F") -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def admin_of(cisip: BotHarness) -> Member:
    discord = cisip.discord
    return discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])


async def entry_count(cisip: BotHarness) -> int:
    async with cisip.bot.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(CalendarEntry)) or 0)


async def add(cisip: BotHarness, who: Member, message: str, **options: object) -> str:
    """Run /calendar add, fill the modal, return the bot's answer."""
    values: dict[str, object] = {
        "name": "Spring",
        "month": 3,
        "day": 15,
        "time": "09:00",
        "channel": "general",
    }
    values.update(options)
    reply = await cisip.discord.slash(who, "calendar add", options=values)
    assert reply.modal is not None, reply.content
    done = await cisip.discord.submit_modal(who, reply.modal, {"message": message} if message else {})
    assert done.ephemeral
    return done.content


async def run_until(cisip: BotHarness, when: datetime) -> None:
    cisip.clock.set(when)
    await cisip.bot.scheduler.run_due()


async def test_staff_add_an_announcement_and_it_arrives_once_on_the_day(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    general = cisip.discord.channel("general")
    due = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, winter time

    answer = await add(
        cisip, admin, "Spring in {server}, {year}: edition {edition}!", timezone="Europe/Berlin"
    )

    assert answer == (
        f"Added 'Spring': Mar 15 09:00 Europe/Berlin in <#{general.id}>, "
        f"next {stamp(due)} ({stamp(due, 'R')})."
    )
    listed = await cisip.discord.slash(admin, "calendar list")
    assert listed.ephemeral
    assert (
        f"**Spring** — Mar 15 09:00 Europe/Berlin → <#{general.id}> · next {stamp(due)}"
        in (listed.embeds[0]["description"])
    )

    await run_until(cisip, due - timedelta(seconds=1))
    assert cisip.discord.messages_in(general) == []
    await run_until(cisip, due + timedelta(seconds=5))
    await run_until(cisip, due + timedelta(hours=2))
    posted = [m.content for m in cisip.discord.messages_in(general)]
    assert posted == ["Spring in CISIP Test, 2027: edition 1!"]

    await run_until(cisip, datetime(2028, 3, 15, 8, 0, 30, tzinfo=UTC))
    posted = [m.content for m in cisip.discord.messages_in(general)]
    assert posted[-1] == "Spring in CISIP Test, 2028: edition 2!"
    assert len(posted) == 2


async def audit_actions(cisip: BotHarness) -> list[str]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


async def job_count(cisip: BotHarness) -> int:
    async with cisip.bot.db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(ScheduledJob).where(ScheduledJob.kind.like("calendar.%"))
            )
            or 0
        )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"month": 2, "day": 31}, "February has no day 31."),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus': use an IANA name"),
        ({"time": "25:00"}, "'25:00' is not a time of day: write it as HH:MM, for example 09:30."),
        ({"time": "noon"}, "'noon' is not a time of day"),
        ({"name": "   "}, "The name cannot be empty."),
        ({"name": "\u200b\u200b\u3164"}, "The name cannot be empty."),
        ({"time": "\u200b"}, "The time cannot be empty."),
    ],
)
async def test_bad_options_are_refused_before_the_form_and_nothing_is_saved(
    cisip: BotHarness, options: dict[str, object], expected: str
) -> None:
    values: dict[str, object] = {
        "name": "Spring",
        "month": 3,
        "day": 15,
        "time": "09:00",
        "channel": "general",
    }
    reply = await cisip.discord.slash(admin_of(cisip), "calendar add", options={**values, **options})
    assert reply.modal is None
    assert reply.ephemeral
    assert reply.content.startswith(expected)
    assert await entry_count(cisip) == 0
    assert await job_count(cisip) == 0


async def test_a_channel_the_bot_cannot_post_in_is_refused(cisip: BotHarness) -> None:
    discord = cisip.discord
    closed = discord.add_channel("closed")
    discord.set_permissions(closed, discord.bot_member, deny=Perm.SEND_MESSAGES)
    reply = await discord.slash(
        admin_of(cisip), "calendar add", name="X", month=1, day=1, time="09:00", channel=closed
    )
    assert reply.content == (
        f"I cannot post in <#{closed.id}>: missing Send Messages and Embed Links. "
        "Give me these permissions there and try again."
    )
    assert await entry_count(cisip) == 0


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Hello {name}!", "Unknown placeholder {name}: you can use {date}, {edition}, {server}, and {year}."),
        ("Hello {year", "The message has an unmatched brace. Placeholders look like {year}"),
        ("Hello {year:>8}", "'{year:>8}' is not a placeholder: write a bare name such as {year}."),
        ("Hello {year.real}", "'{year.real}' is not a placeholder"),
    ],
)
async def test_a_bad_message_is_refused_and_nothing_is_saved(
    cisip: BotHarness, message: str, expected: str
) -> None:
    assert (await add(cisip, admin_of(cisip), message)).startswith(expected)
    assert await entry_count(cisip) == 0
    assert await job_count(cisip) == 0


async def test_members_without_the_staff_role_are_refused(cisip: BotHarness) -> None:
    mallory = cisip.discord.add_member("mallory")
    reply = await cisip.discord.slash(mallory, "calendar list")
    assert reply.content.startswith("Only CISIP staff can do this")
    assert await cisip.discord.autocomplete(mallory, "calendar preview", "name", "") == []


async def test_a_duplicate_name_is_refused(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    await add(cisip, admin, "One")
    reply = await cisip.discord.slash(
        admin, "calendar add", name="spring", month=1, day=1, time="09:00", channel="general"
    )
    assert reply.content == "There is already a calendar entry called 'spring'."
    assert await entry_count(cisip) == 1


async def test_daylight_saving_time_keeps_the_local_time(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    await cisip.discord.slash(admin, "setup timezone", zone="Europe/Berlin")  # the default zone
    await add(cisip, admin, "Winter {year}", name="Winter", month=3, day=20, time="09:00")
    await add(cisip, admin, "Summer {year}", name="Summer", month=4, day=2, time="09:00")
    listed = (await cisip.discord.slash(admin, "calendar list")).embeds[0]["description"]
    winter, summer = datetime(2027, 3, 20, 8, tzinfo=UTC), datetime(2027, 4, 2, 7, tzinfo=UTC)
    assert (
        f"**Winter** — Mar 20 09:00 Europe/Berlin → <#{cisip.discord.channel('general').id}> · "
        f"next {stamp(winter)}" in listed
    )
    assert f"next {stamp(summer)}" in listed

    await run_until(cisip, winter)
    await run_until(cisip, summer - timedelta(minutes=30))  # 08:30 in Berlin: not yet
    assert [m.content for m in cisip.discord.messages_in("general")] == ["Winter 2027"]
    await run_until(cisip, summer)
    assert [m.content for m in cisip.discord.messages_in("general")] == ["Winter 2027", "Summer 2027"]


async def test_29_february_falls_on_28_february_in_other_years(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    await add(cisip, admin, "Leap {year}", name="Leap", month=2, day=29, time="12:00")
    await run_until(cisip, datetime(2028, 2, 29, 12, tzinfo=UTC))
    await run_until(cisip, datetime(2029, 2, 28, 12, tzinfo=UTC))
    assert [m.content for m in cisip.discord.messages_in("general")] == ["Leap 2028", "Leap 2029"]


async def test_the_role_is_the_only_mention_and_everyone_is_never_pinged(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    members = discord.add_role("Members", mentionable=True)
    alice = discord.add_member("alice", roles=[members])
    bob = discord.add_member("bob")
    await add(cisip, admin, "Hello @everyone and <@{}>!".replace("{}", str(bob.user.id)), role=members)
    await run_until(cisip, datetime(2027, 3, 15, 9, tzinfo=UTC))
    [message] = discord.messages_in("general")
    assert message.content.startswith(f"<@&{members.id}> Hello @everyone")
    assert message.pinged == {alice.user.id}


async def test_a_role_the_bot_cannot_ping_is_refused(cisip: BotHarness) -> None:
    discord = cisip.discord
    quiet = discord.add_role("Quiet")
    reply = await discord.slash(
        admin_of(cisip), "calendar add", name="X", month=1, day=1, time="09:00", channel="general", role=quiet
    )
    assert reply.content.startswith(f"I cannot ping <@&{quiet.id}> in <#{discord.channel('general').id}>")
    everyone = await discord.slash(
        admin_of(cisip),
        "calendar add",
        name="X",
        month=1,
        day=1,
        time="09:00",
        channel="general",
        role=discord.guild.everyone,
    )
    assert everyone.content == "The bot never pings @everyone: choose a role."
    assert await entry_count(cisip) == 0


async def test_a_role_an_integration_manages_is_refused_like_everywhere_else(cisip: BotHarness) -> None:
    """The one ping rule: the calendar used to accept the bot's own role (managed by Discord)."""
    discord = cisip.discord
    admin = admin_of(cisip)
    options = {"name": "X", "month": 1, "day": 1, "time": "09:00", "channel": "general"}
    reply = await discord.slash(admin, "calendar add", options={**options, "role": discord.bot_role})
    assert reply.modal is None
    assert reply.content == (
        f"<@&{discord.bot_role.id}> belongs to an integration and cannot be pinged: choose an ordinary role."
    )
    await add(cisip, admin, "Spring {year}")
    edited = await discord.slash(admin, "calendar edit", name="Spring", role=discord.bot_role)
    assert edited.content == reply.content
    assert [view.entry.role_id for view in await cisip.bot.services.calendar.entries(discord.guild.id)] == [
        None
    ]


async def test_pause_resume_and_remove_with_confirmation(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    await add(cisip, admin, "Spring {year}")
    assert await discord.autocomplete(admin, "calendar pause", "name", "spr") == [
        {"name": "Spring", "value": "Spring"}
    ]

    paused = await discord.slash(admin, "calendar pause", name="Spring")
    assert paused.content == "Paused 'Spring': it will not be posted until you resume it."
    assert "⏸ paused" in (await discord.slash(admin, "calendar list")).embeds[0]["description"]
    await run_until(cisip, datetime(2027, 3, 16, tzinfo=UTC))
    assert discord.messages_in("general") == []

    resumed = await discord.slash(admin, "calendar resume", name="Spring")
    nxt = datetime(2028, 3, 15, 9, tzinfo=UTC)
    assert resumed.content == f"Resumed 'Spring': next {stamp(nxt)} ({stamp(nxt, 'R')})."

    ask = await discord.slash(admin, "calendar remove", name="Spring")
    assert ask.content == "Remove 'Spring' from the calendar? This cannot be undone."
    kept = await discord.click(admin, ask, label="Keep it")
    assert kept.content == "Nothing removed: 'Spring' stays on the calendar."
    assert await entry_count(cisip) == 1

    ask = await discord.slash(admin, "calendar remove", name="Spring")
    done = await discord.click(admin, ask, label="Remove")
    assert done.content == "Removed 'Spring' from the calendar."
    assert await entry_count(cisip) == 0
    await run_until(cisip, datetime(2028, 3, 16, tzinfo=UTC))
    assert discord.messages_in("general") == []
    assert (await discord.slash(admin, "calendar pause", name="Spring")).content == (
        "No calendar entry matches 'Spring'."
    )
    assert await audit_actions(cisip) == [
        "calendar.add",
        "calendar.pause",
        "calendar.resume",
        "calendar.remove",
    ]


async def test_preview_is_private_and_run_now_posts_without_changing_the_schedule(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    members = discord.add_role("Members", mentionable=True)
    discord.add_member("alice", roles=[members])
    await add(cisip, admin, "Year {year}, edition {edition} on {date}", role=members)
    due = datetime(2027, 3, 15, 9, tzinfo=UTC)

    preview = await discord.slash(admin, "calendar preview", name="Spring")
    assert preview.ephemeral
    assert (
        preview.content == f"Preview of 'Spring' (next {stamp(due)}) in <#{discord.channel('general').id}>:"
    )
    assert preview.embeds[0]["description"] == f"<@&{members.id}> Year 2027, edition 1 on {stamp(due, 'D')}"
    assert preview.pinged == set()
    assert discord.messages_in("general") == []

    ran = await discord.slash(admin, "calendar run-now", name="Spring")
    assert ran.content == f"Posted 'Spring' in <#{discord.channel('general').id}>."
    [posted] = discord.messages_in("general")
    assert posted.content == preview.embeds[0]["description"]
    assert await cisip.bot.scheduler.next_occurrence(f"calendar:{discord.guild.id}:1") == due


async def test_edit_changes_the_time_and_the_message(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    await add(cisip, admin, "Old text")
    reply = await discord.slash(admin, "calendar edit", name="Spring", time="18:30", message=True)
    assert reply.modal is not None
    assert reply.modal.inputs["message"]["value"] == "Old text"
    done = await discord.submit_modal(admin, reply.modal, {"message": "New text {year}"})
    due = datetime(2027, 3, 15, 18, 30, tzinfo=UTC)
    assert done.content == f"Updated 'Spring': Mar 15 18:30 UTC, next {stamp(due)} ({stamp(due, 'R')})."
    bad = await discord.slash(admin, "calendar edit", name="Spring", month=4, day=31)
    assert bad.content == "April has no day 31."
    await run_until(cisip, datetime(2027, 3, 15, 9, 5, tzinfo=UTC))
    assert discord.messages_in("general") == []
    await run_until(cisip, due)
    assert [m.content for m in discord.messages_in("general")] == ["New text 2027"]


async def test_the_last_year_is_the_last_one_posted(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    refused = await discord.slash(
        admin, "calendar add", name="X", month=1, day=1, time="09:00", channel="general", last_year=2026
    )
    assert refused.modal is None
    assert refused.content == "The last year (2026) is before the next occurrence, in 2028."
    await add(cisip, admin, "Final {year}", last_year=2028)
    await run_until(cisip, datetime(2027, 3, 15, 9, tzinfo=UTC))
    await run_until(cisip, datetime(2028, 3, 15, 9, tzinfo=UTC))
    await run_until(cisip, datetime(2029, 3, 15, 9, tzinfo=UTC))
    assert [m.content for m in discord.messages_in("general")] == ["Final 2027", "Final 2028"]
    assert "ended (last year 2028)" in (await discord.slash(admin, "calendar list")).embeds[0]["description"]


async def test_missed_while_down_is_sent_late_within_grace_and_logged_beyond(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    await add(cisip, admin, "Spring {year}")
    due = datetime(2027, 3, 15, 9, tzinfo=UTC)

    await cisip.stop()
    cisip.clock.set(due + timedelta(hours=3))  # within the default 24-hour grace
    await cisip.start()
    await cisip.bot.scheduler.run_due()
    [late] = discord.messages_in("general")
    assert (
        late.content == f"Spring 2027\n\n-# Sent late: this was due {stamp(due)}, while the bot was offline."
    )

    await cisip.stop()
    cisip.clock.set(due.replace(year=2028) + timedelta(days=3))  # beyond the grace
    await cisip.start()
    await cisip.bot.scheduler.run_due()
    assert len(discord.messages_in("general")) == 1
    assert "calendar.missed" in await audit_actions(cisip)
    async with cisip.bot.db.session() as session:
        summary = await session.scalar(
            select(AuditEntry.summary).where(AuditEntry.action == "calendar.missed")
        )
    assert summary == (
        f"Spring due {stamp(due.replace(year=2028))} was not posted: "
        "the bot was offline for longer than the grace window"
    )
    nxt = await cisip.bot.scheduler.next_occurrence(f"calendar:{discord.guild.id}:1")
    assert nxt == due.replace(year=2029)


async def test_builtin_cycles_are_listed_off_and_switch_on_per_server(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    listed = await discord.slash(admin, "calendar list")
    cycles = listed.embeds[0]["fields"][0]["value"]
    assert "⏸ **Founding anniversary** (`anniversary`) — May 26 09:00 UTC · off" in cycles
    assert "`membership-renewal`" in cycles and "`workshop-call`" in cycles
    assert "`report-call`" in cycles and "`report-release`" in cycles

    refused = await discord.slash(admin, "calendar builtin", name="anniversary", enabled=True)
    assert (
        refused.content == "Set the Announcements channel with /setup channel first: this cycle posts there."
    )

    news = discord.add_channel("news")
    await discord.slash(admin, "setup channel", purpose="announcements", channel=news)
    on = await discord.slash(admin, "calendar builtin", name="anniversary", enabled=True, time="10:00")
    due = datetime(2027, 5, 26, 10, tzinfo=UTC)
    assert (
        on.content == "✅ **Founding anniversary** (`anniversary`) — May 26 10:00 UTC · "
        f"next {stamp(due)} ({stamp(due, 'R')})"
    )

    await run_until(cisip, due)
    [post] = discord.messages_in(news)
    assert post.content.startswith("🎉 Today CISIP turns 8! The initiative was launched on 26 May 2019.")

    off = await discord.slash(admin, "calendar builtin", name="anniversary", enabled=False)
    assert off.content.endswith("· off")
    await run_until(cisip, due.replace(year=2028))
    assert len(discord.messages_in(news)) == 1


async def test_the_renewal_sweep_is_a_daily_job_and_the_release_reminder_pings_staff(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    sweep = await discord.slash(admin, "calendar builtin", name="membership-renewal", enabled=True)
    first = datetime(2027, 3, 2, 3, tzinfo=UTC)
    assert sweep.content.endswith(f"03:00 UTC · next {stamp(first)} ({stamp(first, 'R')})")
    async with cisip.bot.db.session() as session:
        job = await session.scalar(select(ScheduledJob).where(ScheduledJob.kind == "membership.sweep"))
    assert job is not None and job.payload["guild_id"] == discord.guild.id and job.due_at == first

    staff = discord.add_role("Staff", mentionable=True)
    hana = discord.add_member("hana", roles=[staff])
    audit = discord.add_channel("audit-log")
    await discord.slash(admin, "setup role", purpose="staff", role=staff)
    await discord.slash(admin, "setup channel", purpose="audit", channel=audit)
    await discord.slash(admin, "calendar builtin", name="report-release", enabled=True)
    await run_until(cisip, datetime(2027, 12, 1, 9, tzinfo=UTC))
    reminder = [m for m in discord.messages_in(audit) if "Reminder for staff" in m.content]
    assert len(reminder) == 1
    assert reminder[0].content.startswith(f"<@&{staff.id}> ⏰ Reminder for staff: the 2027 Science Park")
    assert reminder[0].pinged == {hana.user.id}


async def test_a_deleted_channel_fails_the_occurrence_and_tells_staff(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    doomed = discord.add_channel("doomed")
    await add(cisip, admin, "Hello", channel=doomed)
    discord.set_permissions(doomed, discord.bot_member, deny=Perm.VIEW_CHANNEL)
    await run_until(cisip, datetime(2027, 3, 15, 9, tzinfo=UTC))
    assert discord.messages_in(doomed) == []
    async with cisip.bot.db.session() as session:
        failed = (await session.scalars(select(ScheduledJob).where(ScheduledJob.status == "failed"))).all()
        summary = await session.scalar(
            select(AuditEntry.summary).where(AuditEntry.action == "calendar.failed")
        )
    assert len(failed) == 1
    assert summary is not None and summary.startswith(f"Spring: I cannot post in <#{doomed.id}>")
    nxt = await cisip.bot.scheduler.next_occurrence(f"calendar:{discord.guild.id}:1")
    assert nxt == datetime(2028, 3, 15, 9, tzinfo=UTC)  # next year is still planned


async def test_staff_whose_discord_is_in_chinese_are_answered_in_chinese(cisip: BotHarness) -> None:
    discord = cisip.discord
    wang = discord.add_member(
        "wang", locale="zh-CN", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)]
    )
    reply = await discord.slash(
        wang, "calendar add", name="X", month=2, day=30, time="09:00", channel="general"
    )
    assert reply.content == "二月没有 30 日。"
    listed = await discord.slash(wang, "calendar list")
    assert listed.embeds[0]["title"] == "CISIP Test 的日历"
    assert listed.embeds[0]["description"] == "还没有公告：用 /calendar add 添加一个。"
    command = next(c for c in discord.commands() if c["name"] == "calendar")
    assert command["name_localizations"]["zh-CN"] == "日历"


async def test_time_zones_autocomplete_and_builtin_input_is_checked(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    choices = await discord.autocomplete(admin, "calendar add", "timezone", "shang")
    assert choices[0]["value"] == "Asia/Shanghai"
    bad = await discord.slash(admin, "calendar builtin", name="membership-renewal", enabled=True, time="3pm")
    assert bad.content == "'3pm' is not a time of day: write it as HH:MM, for example 09:30."
    zone = await discord.slash(
        admin, "calendar builtin", name="membership-renewal", enabled=True, timezone="X/Y"
    )
    assert zone.content.startswith("Unknown time zone 'X/Y'")
    day = await discord.slash(admin, "calendar builtin", name="report-call", enabled=False, month=2, day=30)
    assert day.content == "February has no day 30."
    assert await job_count(cisip) == 0


async def test_an_occurrence_run_again_after_a_crash_is_posted_once(cisip: BotHarness) -> None:
    # The scheduler runs a row again when the process that claimed it died before recording it;
    # the post carries the occurrence's nonce, so Discord answers the second send with the first.
    from bot.scheduler import JobContext
    from cogs.calendar.jobs import CalendarJobs

    admin = admin_of(cisip)
    general = cisip.discord.channel("general")
    await add(cisip, admin, "Spring is here")
    due = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
    cisip.clock.set(due)
    async with cisip.bot.db.session() as session:
        # Only the entry's job: the members' welcomes are scheduled rows too.
        job = (
            await session.scalars(
                select(ScheduledJob).where(ScheduledJob.status == "pending", ScheduledJob.kind == ENTRY_KIND)
            )
        ).one()
    context = JobContext(job.id, job.kind, job.payload, job.due_at, due, 1, False)
    jobs = CalendarJobs(cisip.bot)

    await jobs.deliver(context)
    await jobs.deliver(context)  # the same occurrence, run again

    assert [m.content for m in cisip.discord.messages_in(general)] == ["Spring is here"]


async def test_unloading_the_calendar_removes_its_commands_and_job_handlers(cisip: BotHarness) -> None:
    kinds = {ENTRY_KIND, BUILTIN_KIND}
    assert kinds <= set(cisip.bot.scheduler.kinds)

    await cisip.bot.unload_extension("cogs.calendar")
    assert kinds.isdisjoint(cisip.bot.scheduler.kinds)
    assert cisip.bot.tree.get_command("calendar") is None
    assert cisip.bot.get_cog("Calendar") is None

    await cisip.bot.load_extension("cogs.calendar")
    assert kinds <= set(cisip.bot.scheduler.kinds)
    assert cisip.bot.tree.get_command("calendar") is not None


async def test_moving_an_entry_checks_its_role_can_still_be_pinged_there(cisip: BotHarness) -> None:
    """A role pingable only where the bot may mention every role must not move, unchecked, to a
    channel where the post would silently ping nobody."""
    discord = cisip.discord
    admin = admin_of(cisip)
    quiet = discord.add_role("Quiet")  # not mentionable
    discord.add_channel("news")
    discord.set_permissions("general", discord.bot_role, allow=Perm.MENTION_EVERYONE)
    await add(cisip, admin, "Hello", role=quiet)

    moved = await discord.slash(admin, "calendar edit", name="Spring", channel="news")

    assert moved.content.startswith(f"I cannot ping <@&{quiet.id}> in <#{discord.channel('news').id}>")
    async with cisip.bot.db.session() as session:
        entry = await session.scalar(select(CalendarEntry))
    assert entry is not None and entry.channel_id == discord.channel("general").id
    dropped = await discord.slash(admin, "calendar edit", name="Spring", channel="news", no_role=True)
    assert dropped.content.startswith("Updated 'Spring'")
