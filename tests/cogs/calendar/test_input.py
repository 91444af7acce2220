"""/calendar against careless and hostile input, end to end: every option within its declared
bounds, the entry option resolved by the service, invisible text refused, what goes out within
Discord's limits, and run-now posting exactly what preview shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models_calendar import CalendarEntry
from bot.services.calendar import check_schedule
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

ENTRY_COMMANDS = ("edit", "pause", "resume", "remove", "preview", "run-now")


def stamp(when: datetime, style: str = "F") -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def admin_of(cisip: BotHarness) -> Member:
    discord = cisip.discord
    return discord.add_member("sam", roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)])


async def stored(cisip: BotHarness) -> list[CalendarEntry]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(CalendarEntry).order_by(CalendarEntry.id))).all())


async def entry_count(cisip: BotHarness) -> int:
    async with cisip.bot.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(CalendarEntry)) or 0)


async def add(cisip: BotHarness, who: Member, message: str, **options: Any) -> str:
    values: dict[str, Any] = {"name": "Spring", "month": 3, "day": 15, "time": "09:00", "channel": "general"}
    reply = await cisip.discord.slash(who, "calendar add", options={**values, **options})
    assert reply.modal is not None, reply.content
    done = await cisip.discord.submit_modal(who, reply.modal, {"message": message})
    return done.content


# -- options: declared bounds, checked again by the bot -----------------------------------------


async def test_every_calendar_option_declares_its_bounds(cisip: BotHarness) -> None:
    command = next(c for c in cisip.discord.commands() if c["name"] == "calendar")
    options = {
        (sub["name"], option["name"]): option
        for sub in command["options"]
        for option in sub.get("options", [])
    }
    for (sub, name), option in options.items():
        if option["type"] == 3 and "choices" not in option:
            assert option.get("min_length") == 1 and option.get("max_length"), (sub, name)
        if option["type"] == 4:
            assert "min_value" in option and "max_value" in option, (sub, name)
    assert options[("add", "name")]["max_length"] == 100
    assert options[("add", "time")]["max_length"] == 10
    assert options[("add", "timezone")]["max_length"] == 64
    assert (options[("add", "last_year")]["min_value"], options[("add", "last_year")]["max_value"]) == (
        2000,
        2200,
    )
    assert (options[("edit", "month")]["min_value"], options[("edit", "month")]["max_value"]) == (1, 12)
    assert (options[("builtin", "day")]["min_value"], options[("builtin", "day")]["max_value"]) == (1, 31)
    for sub in ENTRY_COMMANDS:
        assert options[(sub, "name")]["autocomplete"] and options[(sub, "name")]["max_length"] == 100


async def test_a_last_year_of_2_to_the_64_is_refused_before_anything_runs(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    values = {"name": "X", "month": 1, "day": 1, "time": "09:00", "channel": "general", "last_year": 2100}
    reply = await cisip.discord.slash_unchecked(admin, "calendar add", values, last_year=2**64)
    assert reply.ephemeral and reply.modal is None
    assert reply.content == "The option `last_year` takes a number from 2000 to 2200."
    await add(cisip, admin, "Hello")
    edited = await cisip.discord.slash_unchecked(
        admin, "calendar edit", {"name": "Spring", "last_year": 2100}, last_year=2**64
    )
    assert edited.content == "The option `last_year` takes a number from 2000 to 2200."
    [entry] = await stored(cisip)
    assert entry.last_year is None


async def test_a_role_missing_from_the_resolved_data_is_refused_and_nothing_is_saved(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    members = discord.add_role("Members", mentionable=True)
    values = {"name": "X", "month": 1, "day": 1, "time": "09:00", "channel": "general", "role": members}
    reply = await cisip.discord.slash_unchecked(admin, "calendar add", values, role=None)
    assert reply.ephemeral and reply.modal is None
    assert (
        reply.content
        == "Discord did not send the role picked for `role` (was it just deleted?): pick it again."
    )
    assert await entry_count(cisip) == 0


async def test_an_invisible_or_nul_name_is_refused_or_cleaned(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    values = {"name": "X", "month": 1, "day": 1, "time": "09:00", "channel": "general"}
    for name in ("\u200b\u200b\u200b", "\u202e\u2066", "\u3164"):
        reply = await cisip.discord.slash(admin, "calendar add", options={**values, "name": name})
        assert reply.modal is None and reply.content == "The name cannot be empty."
    due = datetime(2027, 3, 15, 9, tzinfo=UTC)
    assert await add(cisip, admin, "Hi\x00 {year}", name="Spr\x00ing\u200b") == (
        f"Added 'Spring': Mar 15 09:00 UTC in <#{cisip.discord.channel('general').id}>, "
        f"next {stamp(due)} ({stamp(due, 'R')})."
    )
    renamed = await cisip.discord.slash(admin, "calendar edit", name="Spring", new_name="\u200b")
    assert renamed.content == "The name cannot be empty."
    [entry] = await stored(cisip)
    assert (entry.name, entry.template) == ("Spring", "Hi {year}")


async def test_the_message_form_declares_its_bounds_and_a_hostile_message_is_refused(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    reply = await discord.slash(
        admin, "calendar add", name="Spring", month=3, day=15, time="09:00", channel="general"
    )
    assert reply.modal is not None
    field = reply.modal.inputs["message"]
    assert (field["min_length"], field["max_length"]) == (1, 1800)
    # A client that ignores the form's bounds, or sends nothing visible: refused, nothing saved.
    field["max_length"] = 6000
    too_long = await discord.submit_modal(admin, reply.modal, {"message": "x" * 6000})
    assert too_long.content == "The message can be at most 1,800 characters long, not 6,000."
    blank = await discord.submit_modal(admin, reply.modal, {"message": "\u200b\u3164\x00"})
    assert blank.content == "The message cannot be empty."
    assert await entry_count(cisip) == 0


# -- the entry option: resolved by the service ---------------------------------------------------


@pytest.mark.parametrize("command", ENTRY_COMMANDS)
@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("99999999999999999999999999999999999999", "99999999999999999999999999999999999999"),
        ("1", "1"),  # the entry's id is not its name
        ("Autumn", "Autumn"),
        ("\u200b\u200b", ""),
    ],
)
async def test_a_name_that_names_no_entry_answers_no_match_privately(
    cisip: BotHarness, command: str, typed: str, shown: str
) -> None:
    admin = admin_of(cisip)
    await add(cisip, admin, "Hello")
    reply = await cisip.discord.slash(admin, f"calendar {command}", name=typed)
    assert reply.ephemeral
    assert reply.content == f"No calendar entry matches '{shown}'."
    [entry] = await stored(cisip)
    assert (entry.name, entry.enabled) == ("Spring", True)
    assert cisip.discord.messages_in("general") == []


async def test_a_name_typed_without_picking_is_the_entry(cisip: BotHarness) -> None:
    admin = admin_of(cisip)
    await add(cisip, admin, "Hello")
    paused = await cisip.discord.slash(admin, "calendar pause", name="  sPRING\u200b ")
    assert paused.content == "Paused 'Spring': it will not be posted until you resume it."


async def test_staff_only_autocomplete_gives_a_member_nothing(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    await add(cisip, admin, "Hello")
    mallory = discord.add_member("mallory")
    for command in ENTRY_COMMANDS:
        assert await discord.autocomplete(mallory, f"calendar {command}", "name", "") == []
        assert await discord.autocomplete(admin, f"calendar {command}", "name", "spr") == [
            {"name": "Spring", "value": "Spring"}
        ]
    for command in ("add", "edit", "builtin"):
        assert await discord.autocomplete(mallory, f"calendar {command}", "timezone", "shang") == []
    assert (await discord.autocomplete(admin, "calendar builtin", "timezone", "shang"))[0]["value"] == (
        "Asia/Shanghai"
    )


# -- run-now posts exactly what preview shows ----------------------------------------------------


async def test_run_now_posts_exactly_what_preview_shows(cisip: BotHarness) -> None:
    """10 January has passed on 1 March 2027: the next occurrence is in 2028, the entry's first
    (edition 1). run-now used to render today instead (2027, edition 0, today's date)."""
    discord = cisip.discord
    admin = admin_of(cisip)
    members = discord.add_role("Members", mentionable=True)
    alice = discord.add_member("alice", roles=[members])
    await add(
        cisip,
        admin,
        "{server}: year {year}, edition {edition}, on {date}.",
        name="New year",
        month=1,
        day=10,
        role=members,
    )
    due = datetime(2028, 1, 10, 9, tzinfo=UTC)

    preview = await discord.slash(admin, "calendar preview", name="New year")
    shown = preview.embeds[0]["description"]
    assert shown == f"<@&{members.id}> CISIP Test: year 2028, edition 1, on {stamp(due, 'D')}."
    assert (
        preview.content == f"Preview of 'New year' (next {stamp(due)}) in <#{discord.channel('general').id}>:"
    )

    ran = await discord.slash(admin, "calendar run-now", name="New year")
    assert ran.ephemeral
    [posted] = discord.messages_in("general")
    assert posted.content == shown
    assert posted.pinged == {alice.user.id}

    # A paused entry previews and posts its next occurrence by its schedule, the same way.
    await discord.slash(admin, "calendar pause", name="New year")
    preview = await discord.slash(admin, "calendar preview", name="New year")
    await discord.slash(admin, "calendar run-now", name="New year")
    assert discord.messages_in("general")[-1].content == preview.embeds[0]["description"] == shown


# -- what goes out fits Discord's limits ---------------------------------------------------------


async def test_the_longest_message_with_a_ping_and_a_lateness_note_fits_and_previews_the_same(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    members = discord.add_role("Members", mentionable=True)
    # 1,800 characters that fill in to far more: the server's name 200 times.
    template = ("{server} " * 200)[:1799].rstrip() + "!"
    template = template + "x" * (1800 - len(template))
    assert len(template) == 1800
    await add(cisip, admin, template, role=members)

    preview = await discord.slash(admin, "calendar preview", name="Spring")
    await discord.slash(admin, "calendar run-now", name="Spring")
    [posted] = discord.messages_in("general")
    assert posted.content == preview.embeds[0]["description"]
    assert len(posted.content) <= 2000
    assert posted.content.startswith(f"<@&{members.id}> CISIP Test CISIP Test")
    assert posted.content.endswith("…")

    due = datetime(2027, 3, 15, 9, tzinfo=UTC)
    await cisip.stop()
    cisip.clock.set(due + timedelta(hours=3))  # late, within the grace window
    await cisip.start()
    await cisip.bot.scheduler.run_due()
    late = discord.messages_in("general")[-1]
    assert len(late.content) <= 2000
    assert late.content.startswith(f"<@&{members.id}> CISIP Test")
    assert late.content.endswith(f"\n\n-# Sent late: this was due {stamp(due)}, while the bot was offline.")


async def test_the_list_of_50_entries_with_long_names_fits_in_one_embed(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    members = discord.add_role("Members", mentionable=True)
    service = cisip.bot.services.calendar
    for n in range(50):
        await service.add(
            discord.guild.id,
            name=(f"{n:02d} " + "Anniversary of a very long name " * 4)[:99] + "!",
            schedule=check_schedule(n % 12 + 1, n % 28 + 1, "09:00", "America/Argentina/ComodRivadavia"),
            channel_id=discord.channel("general").id,
            role_id=members.id,
            template="x",
        )
    assert all(len(entry.name) == 100 for entry in await stored(cisip))

    listed = await discord.slash(admin, "calendar list")
    [embed] = listed.embeds
    assert len(embed["description"]) <= 4096
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    total += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total <= 6000
    lines = embed["description"].split("\n")
    shown = [line for line in lines if line.startswith("**")]
    assert 10 < len(shown) < 50
    assert lines[-1] == f"…and {50 - len(shown)} more."
    assert "membership-renewal" in embed["fields"][0]["value"]


async def test_a_long_server_name_and_entry_name_fit_the_form_and_the_replies(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    name = "N" * 100
    reply = await discord.slash(
        admin, "calendar add", name=name, month=3, day=15, time="09:00", channel="general"
    )
    assert reply.modal is not None and len(reply.modal.title) <= 45
    done = await discord.submit_modal(admin, reply.modal, {"message": "Hello"})
    assert done.content.startswith(f"Added '{name}'")
    edit = await discord.slash(admin, "calendar edit", name=name, message=True)
    assert edit.modal is not None and len(edit.modal.title) <= 45
    assert edit.modal.inputs["message"]["value"] == "Hello"
