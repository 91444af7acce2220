"""Certificates and feedback on SQLite and PostgreSQL: numbers unique and unguessable, issued once
per member however many ask at once, the public check, the PDF's font; one answer per member
however many submissions race, ratings checked, and what is scheduled at the end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import ScheduledJob
from bot.db.models_attendance import WorkshopCertificate, WorkshopFeedback
from bot.errors import DomainError
from bot.scheduler import MovableClock
from bot.services.certificates import (
    NUMBER_ALPHABET,
    CertificateService,
    find_font,
    new_number,
    normalised_number,
)
from bot.services.container import Services
from bot.services.workshops import ENDED
from tests.bot.services.test_attendance import GUILD, START, clock, services, workshop_with

__all__ = ["clock", "services"]  # the fixtures, shared


def test_numbers_are_random_and_read_back_however_typed() -> None:
    numbers = {new_number() for _ in range(2000)}
    assert len(numbers) == 2000  # 80 random bits each
    number = next(iter(numbers))
    assert len(number) == len("CISIP-XXXX-XXXX-XXXX-XXXX")
    assert set(number.removeprefix("CISIP-").replace("-", "")) <= set(NUMBER_ALPHABET)
    assert normalised_number(number.lower().replace("-", " ")) == number
    assert normalised_number(number.removeprefix("CISIP-")) == number
    for wrong in ("", "CISIP-", number + "A", number.replace(number[-1], "0"), "<script>"):
        assert normalised_number(wrong) is None


def test_the_font_is_found_or_its_absence_said(tmp_path: Path) -> None:
    assert find_font(str(tmp_path / "missing.ttf")) is None
    found = find_font(None)
    if found is not None and found[0].suffix == ".ttc" and "Noto" in found[0].name:
        assert found[1] == 2  # Noto Sans CJK's Simplified Chinese face


async def test_certificates_once_per_member_with_unique_numbers(
    services: Services, clock: MovableClock
) -> None:
    workshop = await workshop_with(services, 10, 11, 12)
    clock.set(START + timedelta(hours=1))
    for user_id in (10, 11):
        await services.attendance.check_in_by_staff(GUILD, workshop.id, user_id)
    with pytest.raises(DomainError, match="did not check in"):
        await services.certificates.issue(GUILD, workshop.id, user_ids=[12])
    racing = [
        services.certificates.issue(GUILD, workshop.id, display_names={10: "Ana", 11: "Bo"}) for _ in range(6)
    ]
    results = await asyncio.gather(*racing)
    numbers = {c.user_id: c.number for batch in results for c in batch}
    assert all({c.user_id: c.number for c in batch} == numbers for batch in results)
    assert len(set(numbers.values())) == 2
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(WorkshopCertificate)) == 2
    found = await services.certificates.verify_certificate(numbers[10])
    assert found is not None and (found.name, found.workshop_title) == ("Ana", workshop.title)
    # A later day attended: issued again, the same number says more.
    clock.set(START + timedelta(days=1, hours=1))
    await services.attendance.check_in_by_staff(GUILD, workshop.id, 10)
    (again,) = await services.certificates.issue(GUILD, workshop.id, user_ids=[10])
    assert (again.number, again.days, again.minutes) == (numbers[10], 2, 960)
    assert await services.certificates.record_delivery(again.number, "sent")
    assert not await services.certificates.record_delivery(again.number, "sent")
    assert [c.user_id for c in await services.certificates.undelivered(workshop.id)] == [11]


async def test_a_missing_font_is_a_clear_refusal(
    services: Services, tmp_path: Path, clock: MovableClock
) -> None:
    workshop = await workshop_with(services, 10)
    clock.set(START)
    await services.attendance.check_in_by_staff(GUILD, workshop.id, 10)
    (certificate,) = await services.certificates.issue(GUILD, workshop.id)
    broken = CertificateService(
        services.db,
        services.clock,
        services.scheduler,
        attendance=services.attendance,
        memberships=services.memberships,
        font=str(tmp_path / "none.ttf"),
        web_base_url="http://127.0.0.1:8080",
    )
    assert broken.link(certificate.number) is None  # a local address is no link for paper
    with pytest.raises(DomainError, match="no font with Chinese"):
        broken.pdf(certificate)


async def test_the_end_schedules_certificates_and_feedback_once(
    services: Services, clock: MovableClock
) -> None:
    workshop = await workshop_with(services, 10)
    stamp = workshop.starts_at.isoformat()
    assert not await services.certificates.after_end(workshop.id, stamp)  # not ended yet
    clock.set(workshop.ends_at)
    assert await services.workshops.end(workshop.id, stamp) is not None
    for _ in range(2):
        assert await services.certificates.after_end(workshop.id, stamp)
        assert await services.feedback.after_end(workshop.id, stamp)
    async with services.db.session() as session:
        rows = (
            await session.execute(
                select(ScheduledJob.kind, ScheduledJob.due_at).where(ScheduledJob.status == "pending")
            )
        ).all()
    assert sorted(
        (kind, due)
        for kind, due in rows
        if kind not in ("workshop.reminder", "workshop.checkin", "workshop.ended")
    ) == [
        ("workshop.certificates", workshop.ends_at),
        ("workshop.feedback", workshop.ends_at),
        ("workshop.feedback-reminder", workshop.ends_at + timedelta(days=3)),
    ]
    assert (await services.workshops.get(GUILD, workshop.id)).status == ENDED


async def test_one_anonymous_answer_per_member(services: Services, clock: MovableClock) -> None:
    workshop = await workshop_with(services, 10, 11)
    clock.set(START)
    await services.attendance.check_in_by_staff(GUILD, workshop.id, 10)
    _, owed = await services.feedback.to_invite(workshop.id)
    assert owed == [10]
    with pytest.raises(DomainError, match="only for those who attended"):
        await services.feedback.answer(workshop.id, 11, {"content": 5, "organisation": 5, "relevance": 5}, "")
    for bad in (
        {"content": 5, "organisation": 5},
        {"content": 0, "organisation": 5, "relevance": 5},
        {"content": "x", "organisation": 1, "relevance": 1},
    ):
        with pytest.raises(DomainError):
            await services.feedback.answer(workshop.id, 10, bad, None)
    with pytest.raises(DomainError, match="at most 1,000 characters"):
        await services.feedback.answer(
            workshop.id, 10, {"content": 5, "organisation": 5, "relevance": 5}, "x" * 1001
        )
    racing = [
        services.feedback.answer(
            workshop.id, 10, {"content": n, "organisation": 3, "relevance": 4}, "\u200bgood\u0000"
        )
        for n in range(1, 6)
    ]
    results = await asyncio.gather(*racing, return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(
        isinstance(r, DomainError) and "already answered" in str(r.params) + r.message
        for r in results
        if isinstance(r, Exception)
    )
    async with services.db.session() as session:
        (answer,) = (await session.scalars(select(WorkshopFeedback))).all()
    assert answer.comment == "good"
    summary = await services.feedback.summary(GUILD, workshop.id)
    assert (summary.invited, summary.answered, summary.average("relevance")) == (1, 1, 4.0)
    assert (await services.feedback.to_remind(workshop.id))[1] == []  # answered: no reminder


async def test_a_late_invitation_gets_its_reminder_three_days_after_it(
    services: Services, clock: MovableClock
) -> None:
    workshop = await workshop_with(services, 10)
    clock.set(START)
    await services.attendance.check_in_by_staff(GUILD, workshop.id, 10)
    clock.set(workshop.ends_at + timedelta(days=4))  # the bot was down: invitation and reminder both due
    _, owed = await services.feedback.to_invite(workshop.id)
    assert owed == [10] and await services.feedback.record(workshop.id, 10, "sent")
    assert not await services.feedback.record(workshop.id, 10, "sent")  # recorded once
    assert (await services.feedback.to_remind(workshop.id))[1] == []  # not right after the invitation
    async with services.db.session() as session:
        later = await session.scalar(
            select(ScheduledJob.due_at).where(
                ScheduledJob.kind == "workshop.feedback-reminder", ScheduledJob.status == "pending"
            )
        )
    assert later == workshop.ends_at + timedelta(days=7)
    clock.set(later)
    assert (await services.feedback.to_remind(workshop.id))[1] == [10]
    assert await services.feedback.record(workshop.id, 10, "sent", reminder=True)
    assert (await services.feedback.to_remind(workshop.id))[1] == []
