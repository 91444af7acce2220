"""/calendar add ... public:true and /calendar edit public: end to end through the Discord emulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.models import AuditEntry
from bot.db.models_calendar import CalendarEntry
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

NOTE = "It is in the public calendar feed (/workshops.ics)."


def stamp(when: datetime, style: str = "F") -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def admin_of(cisip: BotHarness, locale: str = "en-US") -> Member:
    discord = cisip.discord
    return discord.add_member(
        "sam", locale=locale, roles=[discord.add_role("Admins", permissions=Perm.MANAGE_GUILD)]
    )


async def stored(cisip: BotHarness) -> list[CalendarEntry]:
    async with cisip.bot.db.session() as session:
        return list((await session.scalars(select(CalendarEntry).order_by(CalendarEntry.id))).all())


async def add(cisip: BotHarness, who: Member, **options: object) -> str:
    values: dict[str, object] = {
        "name": "Spring",
        "month": 3,
        "day": 15,
        "time": "09:00",
        "channel": "general",
    }
    reply = await cisip.discord.slash(who, "calendar add", options={**values, **options})
    assert reply.modal is not None, reply.content
    done = await cisip.discord.submit_modal(who, reply.modal, {"message": "Spring {year}"})
    assert done.ephemeral
    return done.content


async def test_staff_mark_an_entry_public_and_see_it_in_the_list_and_preview(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    general = discord.channel("general")
    due = datetime(2027, 3, 15, 9, tzinfo=UTC)

    answer = await add(cisip, admin, public=True)
    assert answer == (
        f"Added 'Spring': Mar 15 09:00 UTC in <#{general.id}>, next {stamp(due)} ({stamp(due, 'R')}).\n{NOTE}"
    )
    plain = await add(cisip, admin, name="Staff only", month=4)
    assert NOTE not in plain
    [spring, staff] = await stored(cisip)
    assert (spring.public, staff.public) == (True, False)

    listed = (await discord.slash(admin, "calendar list")).embeds[0]["description"]
    assert (
        f"**Spring** — Mar 15 09:00 UTC → <#{general.id}> · next {stamp(due)} ({stamp(due, 'R')}) · 🌐 public"
        in (listed)
    )
    assert "**Staff only**" in listed and listed.count("🌐 public") == 1

    preview = await discord.slash(admin, "calendar preview", name="Spring")
    assert preview.content == f"Preview of 'Spring' (next {stamp(due)}) in <#{general.id}>:\n{NOTE}"
    assert NOTE not in (await discord.slash(admin, "calendar preview", name="Staff only")).content


async def test_edit_public_switches_it_raises_the_sequence_and_is_audited(cisip: BotHarness) -> None:
    discord = cisip.discord
    admin = admin_of(cisip)
    await add(cisip, admin)
    [entry] = await stored(cisip)
    assert (entry.public, entry.sequence) == (False, 0)

    shown = await discord.slash(admin, "calendar edit", name="Spring", public=True)
    assert shown.content.startswith("Updated 'Spring': Mar 15 09:00 UTC, next ") and shown.content.endswith(
        NOTE
    )
    [entry] = await stored(cisip)
    assert (entry.public, entry.sequence) == (True, 1)

    hidden = await discord.slash(admin, "calendar edit", name="Spring", public=False)
    assert NOTE not in hidden.content
    unchanged = await discord.slash(admin, "calendar edit", name="Spring", time="10:00")
    assert NOTE not in unchanged.content
    [entry] = await stored(cisip)
    assert (entry.public, entry.sequence) == (False, 3)
    async with cisip.bot.db.session() as session:
        details = list(
            (
                await session.scalars(
                    select(AuditEntry.summary)
                    .where(AuditEntry.action == "calendar.edit")
                    .order_by(AuditEntry.id)
                )
            ).all()
        )
    assert details == ["Spring: public", "Spring: not public", "Spring: schedule"]


async def test_the_public_option_is_a_boolean_named_and_described_in_chinese(cisip: BotHarness) -> None:
    command = next(c for c in cisip.discord.commands() if c["name"] == "calendar")
    for sub in ("add", "edit"):
        options = next(s for s in command["options"] if s["name"] == sub)["options"]
        public = next(o for o in options if o["name"] == "public")
        assert public["type"] == 5 and not public.get("required")
        assert public["name_localizations"]["zh-CN"] == "公开"
        assert public["description_localizations"]["zh-CN"] == "在公开日历订阅 /workshops.ics 中显示"

    wang = admin_of(cisip, locale="zh-CN")
    await add(cisip, wang, public=True)
    listed = (await cisip.discord.slash(wang, "calendar list")).embeds[0]["description"]
    assert "🌐 公开" in listed
