"""The feedback survey end to end: invitations when the workshop ends, answers through the form
(once, anonymous), one reminder three days later to those who have not answered (once, across a
restart), the staff's summary with chart and CSV, and the yearly series' note and card."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db.models_attendance import WorkshopFeedback
from tests.cogs.conftest import BotHarness
from tests.cogs.workshops.test_attendance import TITLE
from tests.cogs.workshops.test_workshops import END_UTC, START_UTC, World, field
from tests.fakediscord.state import Message

pytestmark = pytest.mark.e2e

THREE_DAYS = timedelta(days=3)


def invitations(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.content.startswith("Thank you for attending")]


def reminders(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.content.startswith("A reminder: how was")]


async def test_the_survey_from_the_end_to_the_reminder_and_the_summary(
    cisip: BotHarness, world: World
) -> None:
    d = cisip.discord
    await world.create(capacity=3, yearly=True)
    alice, bob, carol = world.member("alice"), world.member("bob"), world.member("carol")
    for member in (alice, bob, carol):
        await d.click(member, world.announcement(), label="Register")
    cisip.clock.set(START_UTC)
    for member in (alice, carol):  # bob never comes
        await d.slash(world.staff, "workshop-admin checkin", workshop="1", member=str(member.id))
    early = await d.slash(world.staff, "workshop-admin feedback", workshop="1")
    assert early.content == (
        f"No survey was sent for **{TITLE}** yet: it goes to attendees when the workshop ends."
    )

    await world.run_at(END_UTC + timedelta(seconds=1))
    await cisip.bot.scheduler.run_due()
    (invited,) = invitations(d.dms_to(alice))
    assert "Answers are anonymous" in invited.content
    assert len(invitations(d.dms_to(carol))) == 1 and invitations(d.dms_to(bob)) == []
    # The yearly series drafted next year's edition, with this year's attendance in its note.
    (note,) = [m.content for m in d.messages_in(world.audit) if "workshop.draft" in m.content]
    assert "This year's edition (#1): registered 3, waitlisted 0, attended 2, no-shows 1." in note

    form = await d.click(alice, invited, label="Answer the survey")
    assert form.modal is not None
    thanks = await d.submit_modal(
        alice,
        form.modal,
        {"content": "5", "organisation": "4", "relevance": "3", "comment": "=Great field trips"},
    )
    assert thanks.content == f"Thank you: your answers about **{TITLE}** are recorded, without your name."
    again = await d.click(alice, invited, label="Answer the survey")
    assert again.content == f"You have already answered the survey for **{TITLE}**. Thank you!"
    stranger = await d.click(bob, invited, label="Answer the survey")
    assert stranger.content == "This survey is only for those who attended the workshop."

    # Three days later: one reminder, to carol only, once across a restart.
    await world.run_at(END_UTC + THREE_DAYS + timedelta(seconds=2))
    await cisip.bot.scheduler.run_due()
    await cisip.restart()
    await cisip.bot.scheduler.run_due()
    (reminded,) = reminders(d.dms_to(carol))
    assert reminders(d.dms_to(alice)) == [] and reminders(d.dms_to(bob)) == []
    form = await d.click(carol, reminded, label="Answer the survey")
    await d.submit_modal(carol, form.modal, {"content": "4", "organisation": "2", "relevance": "5"})

    summary = await d.slash(world.staff, "workshop-admin feedback", workshop="1")
    assert summary.ephemeral
    assert summary.content.splitlines() == [
        f"Feedback on **{TITLE}**: answered 2 of 2 invited (100%).",
        "Content: 4.5 / 5",
        "Organisation: 3.0 / 5",
        "Relevance to your park: 4.0 / 5",
    ]
    files = dict(summary.files)
    assert files["workshop-1-feedback.png"].startswith(b"\x89PNG")
    rows = list(csv.reader(io.StringIO(files["workshop-1-feedback.csv"].decode("utf-8-sig"))))
    assert rows == [
        ["content", "organisation", "relevance", "comment"],
        ["4", "2", "5", ""],
        ["5", "4", "3", "'=Great field trips"],
    ]
    # Anonymous: no name or id in what staff get, none stored beside an answer.
    assert not any(str(m.id) in files["workshop-1-feedback.csv"].decode() for m in (alice, carol))
    async with cisip.bot.db.session() as session:
        columns = WorkshopFeedback.__table__.columns.keys()
        assert "user_id" not in columns and len((await session.scalars(select(WorkshopFeedback))).all()) == 2

    # Next year's draft shows staff this edition's attendance and ratings.
    draft = await d.slash(world.staff, "workshop info", workshop="2")
    assert field(draft.embeds[0], "Last edition (#1, staff only)") == (
        "registered 3 · waitlisted 0 · attended 2 · no-shows 1\n"
        "Ratings (answers: 2): Content 4.5 · Organisation 3.0 · Relevance to your park 4.0"
    )

    # Erasure: carol's invitation goes; the anonymous answers stay.
    exported = await cisip.bot.services.personal_data.export(d.guild.id, carol.id)
    assert exported["feedback"][0]["answered"] is True
    await cisip.bot.services.personal_data.erase(d.guild.id, carol.id)
    assert "feedback" not in await cisip.bot.services.personal_data.export(d.guild.id, carol.id)
    after = await d.slash(world.staff, "workshop-admin feedback", workshop="1")
    assert after.content.startswith(f"Feedback on **{TITLE}**: answered 1 of 1 invited (100%).")
