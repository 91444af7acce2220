"""Member verification end to end: the real bot, the loopback Discord and a local SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message as EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import AuditEntry, ScheduledJob
from bot.db.models_members import Membership
from bot.scheduler import MovableClock
from tests.cogs.conftest import START, BotHarness, bot_settings
from tests.cogs.membership.support import (
    APPLICATION,
    Inbox,
    apply,
    audit_actions,
    enter_code,
    eventually,
    join,
    queue_messages,
    rejoin,
    row_of,
    set_up,
    text_part,
)
from tests.fakediscord import Perm
from tests.fakediscord.dsl import FakeDiscord, Reply
from tests.fakediscord.state import Member, Message

pytestmark = pytest.mark.e2e

# -- the tests ----------------------------------------------------------------------------------


async def test_join_verify_by_code_then_staff_approve(
    cisip: BotHarness, mail: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    d = cisip.discord
    server = await set_up(cisip)
    alice, welcome = await join(cisip, server, "alice")

    # Join: the unverified role, a welcome with a Verify button (in the channel and by DM), no ping.
    assert server.unverified.id in alice.role_ids
    assert welcome.pinged == set()
    assert [b["label"] for b in welcome.components[0]["components"]] == ["Verify"]
    await eventually(lambda: [m for m in d.dms_to(alice) if "Press Verify" in m.content])

    sent = await apply(cisip, alice, welcome)
    assert sent.ephemeral
    assert sent.content.startswith("We sent a 6-digit code to l***@zgc.example.cn.")
    mails = mail.to("li.wei@zgc.example.cn")
    assert len(mails) == 1
    assert {p.get_content_type() for p in mails[0].walk()} >= {"text/plain", "text/html"}
    code = mail.last_code("li.wei@zgc.example.cn")
    row = await row_of(cisip, alice)
    assert row is not None and row.code_hash is not None and code not in row.code_hash

    done = await enter_code(cisip, alice, sent, code)
    assert done.content.startswith("Thank you! Staff will review your application")

    # The queue: an embed without the address, three buttons.
    [card] = queue_messages(cisip, server)
    embed = card.embeds[0]
    assert embed["title"] == "Membership application"
    assert "li.wei@" not in str(embed)
    assert "@zgc.example.cn (verified by code)" in str(embed)
    assert [b["label"] for b in card.components[0]["components"]] == ["Approve", "Reject", "Ask for info"]

    approved = await d.click(server.staff, card, label="Approve")
    assert approved.ephemeral
    assert approved.content.startswith(f"<@{alice.id}> is now a verified member until <t:")
    assert server.verified.id in alice.role_ids
    assert server.unverified.id not in alice.role_ids
    assert any(m.content.startswith("Welcome to CISIP! Your membership") for m in d.dms_to(alice))
    card = queue_messages(cisip, server)[0]
    assert card.components == []
    assert "Approved by" in str(card.embeds[0])
    assert "members.approve" in await audit_actions(cisip)
    assert all("li.wei" not in m.content for m in d.messages_in(server.audit))

    status = await d.slash(alice, "verify status")
    assert status.ephemeral
    assert "verified member" in str(status.embeds[0])
    # The address never reaches the bot's log (the test mail server's own log, mail.log, is not ours).
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert ours and not any("li.wei" in line for line in ours)


async def test_member_organization_email_is_approved_automatically(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    added = await d.slash(server.staff, "members org add", name="Zhongguancun", domain="zgc.example.cn")
    assert added.content.startswith("Zhongguancun is registered")
    listed = await d.slash(server.staff, "members org list")
    assert "@zgc.example.cn" in listed.embeds[0]["description"]

    bob, welcome = await join(cisip, server, "bob")
    sent = await apply(cisip, bob, welcome, email="bob@mail.zgc.example.cn")
    done = await enter_code(cisip, bob, sent, mail.last_code("bob@mail.zgc.example.cn"))

    assert done.content.startswith("Welcome! Your email belongs to Zhongguancun")
    assert server.verified.id in bob.role_ids
    assert queue_messages(cisip, server) == []
    assert "members.auto-approve" in await audit_actions(cisip)


async def test_wrong_code_five_times_locks_then_an_expired_code(cisip: BotHarness, mail: Inbox) -> None:
    server = await set_up(cisip)
    carol, welcome = await join(cisip, server, "carol")
    sent = await apply(cisip, carol, welcome, email="carol@example.org")
    right = mail.last_code("carol@example.org")
    wrong = "000000" if right != "000000" else "111111"

    for left in ("4 tries", "3 tries", "2 tries", "1 try"):
        reply = await enter_code(cisip, carol, sent, wrong)
        assert reply.ephemeral and reply.content == f"Wrong code: {left} left."
    locked = await enter_code(cisip, carol, sent, wrong)
    assert locked.content == "Wrong code 5 times: codes are locked for 15 minutes."
    still = await enter_code(cisip, carol, sent, right)
    assert still.content.startswith("Too many wrong codes: try again in")
    refused = await cisip.discord.click(carol, sent, label="Resend code")
    assert refused.content.startswith("Too many wrong codes")

    cisip.clock.advance(minutes=16)
    again = await cisip.discord.click(carol, sent, label="Resend code")
    assert again.content == "A new code is on its way to c***@example.org."
    assert len(mail.to("carol@example.org")) == 2
    too_soon = await cisip.discord.click(carol, sent, label="Resend code")
    assert too_soon.content.startswith("A code was sent moments ago")

    cisip.clock.advance(minutes=11)
    expired = await enter_code(cisip, carol, sent, mail.last_code("carol@example.org"))
    assert expired.content == "This code has expired: press Resend code to get a new one."
    row = await row_of(cisip, carol)
    assert row is not None and row.status == "code"
    status = await cisip.discord.slash(carol, "verify status")
    assert "waiting for the email code" in str(status.embeds[0])
    again = await cisip.discord.click(carol, status, label="Resend code")
    assert again.content == "A new code is on its way to c***@example.org."
    done = await enter_code(cisip, carol, status, mail.last_code("carol@example.org"))
    assert done.content.startswith("Thank you! Staff will review")


async def test_bad_input_and_duplicate_email_are_refused(cisip: BotHarness, mail: Inbox) -> None:
    server = await set_up(cisip)
    dan, welcome = await join(cisip, server, "dan")
    bad = await apply(cisip, dan, welcome, email="not-an-address")
    assert bad.content == "'not-an-address' is not a valid email address: check it and try again."
    assert await row_of(cisip, dan) is None

    sent = await apply(cisip, dan, welcome, email="dan@example.org")
    await enter_code(cisip, dan, sent, mail.last_code("dan@example.org"))

    erin, welcome2 = await join(cisip, server, "erin")
    dup = await apply(cisip, erin, welcome2, email="DAN@example.org")
    assert dup.content.startswith("This email address is already used by another member.")
    assert await row_of(cisip, erin) is None
    assert mail.to("DAN@example.org") == [] and len(mail.to("dan@example.org")) == 1


async def test_submitting_too_often_is_slowed_down(cisip: BotHarness, mail: Inbox) -> None:
    server = await set_up(cisip)
    fay, welcome = await join(cisip, server, "fay")
    for _ in range(3):
        await apply(cisip, fay, welcome, email="not-an-email")
    slowed = await apply(cisip, fay, welcome, email="not-an-email")
    assert slowed.content.startswith("Too many attempts: wait")


async def test_only_staff_can_approve_and_a_restart_keeps_the_buttons(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    gus, welcome = await join(cisip, server, "gus")
    sent = await apply(cisip, gus, welcome, email="gus@example.org")
    await cisip.restart()  # between the mail and the code: the Enter code button still works
    await enter_code(cisip, gus, sent, mail.last_code("gus@example.org"))
    [card] = queue_messages(cisip, server)
    assert await d.slash(gus, "verify status") is not None

    mallory = d.add_member("mallory")
    refused = await d.click(mallory, card, label="Approve")
    assert refused.ephemeral and refused.content.startswith("Only CISIP staff can do this")
    refused = await d.click(gus, card, label="Reject")
    assert refused.content.startswith("Only CISIP staff can do this")
    assert server.verified.id not in gus.role_ids

    await cisip.restart()

    asked = await d.click(server.staff, card, label="Ask for info")
    assert asked.modal is not None
    told = await d.submit_modal(server.staff, asked.modal, {"text": "Which department are you in?"})
    assert told.content == f"Question sent to <@{gus.id}>."
    question = d.dms_to(gus)[-1]
    assert "Which department are you in?" in question.content

    # The member answers by updating the application from the DM: the same card is refreshed.
    opened = await d.click(gus, question, label="Verify")
    assert opened.modal is not None and opened.modal.inputs["email"]["value"] == "gus@example.org"
    updated = await d.submit_modal(
        gus, opened.modal, {"organization": "ZGC Park, Department of Incubation", "member_type": "park"}
    )
    assert updated.content.startswith("Thank you! Staff will review")
    [card] = queue_messages(cisip, server)
    assert "ZGC Park, Department of Incubation" in str(card.embeds[0])

    approved = await d.click(server.staff, card, label="Approve")
    assert approved.content.startswith(f"<@{gus.id}> is now a verified member")
    assert server.verified.id in gus.role_ids


async def test_reject_with_a_reason(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    hal, welcome = await join(cisip, server, "hal")
    sent = await apply(cisip, hal, welcome, email="hal@example.org")
    await enter_code(cisip, hal, sent, mail.last_code("hal@example.org"))
    [card] = queue_messages(cisip, server)
    opened = await d.click(server.staff, card, label="Reject")
    done = await d.submit_modal(server.staff, opened.modal, {"text": "Not a science-industry organization."})
    assert done.content == "Application rejected; the member was told why."
    assert "Not a science-industry organization." in d.dms_to(hal)[-1].content
    assert server.verified.id not in hal.role_ids
    assert "members.reject" in await audit_actions(cisip)


async def test_without_manage_roles_staff_are_told_exactly_what_is_wrong(
    cisip: BotHarness, mail: Inbox
) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    ivy, welcome = await join(cisip, server, "ivy")
    sent = await apply(cisip, ivy, welcome, email="ivy@example.org")
    await enter_code(cisip, ivy, sent, mail.last_code("ivy@example.org"))
    d.edit_role(d.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    await asyncio.sleep(0.1)

    refused = await d.click(server.staff, queue_messages(cisip, server)[0], label="Approve")
    assert refused.ephemeral
    assert refused.content == (
        "I cannot give the verified role: the Manage Roles permission. Fix this and try again."
    )
    row = await row_of(cisip, ivy)
    assert row is not None and row.status == "pending"


async def test_reminders_expiry_renewal_and_rejoin(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    jo, welcome = await join(cisip, server, "jo")
    sent = await apply(cisip, jo, welcome, email="jo@example.org")
    await enter_code(cisip, jo, sent, mail.last_code("jo@example.org"))
    await d.click(server.staff, queue_messages(cisip, server)[0], label="Approve")
    row = await row_of(cisip, jo)
    assert row is not None and row.expires_at == START.replace(year=2028)

    # The sweep is idempotent: the rows exist once each.
    await cisip.bot.scheduler.schedule("membership.sweep", cisip.clock.now(), {"guild_id": d.guild.id})
    await cisip.bot.scheduler.run_due()
    async with cisip.bot.db.session() as session:
        keys = (
            await session.scalars(
                select(ScheduledJob.dedupe_key).where(
                    ScheduledJob.kind.not_in(("membership.sweep", "membership.welcome"))
                )
            )
        ).all()
    assert sorted(k.rsplit(":", 1)[1] for k in keys if k) == ["expire", "remind30", "remind7"]

    # 30 days before: a reminder with a Renew button, exactly once (even after a restart).
    cisip.clock.set(row.expires_at - timedelta(days=30))
    await cisip.bot.scheduler.run_due()
    await cisip.restart()
    await cisip.bot.scheduler.run_due()
    reminders = [m for m in d.dms_to(jo) if "ends" in m.content]
    assert len(reminders) == 1
    assert reminders[0].components[0]["components"][0]["label"] == "Renew"

    # 7 days before, then expiry after the grace: the role is removed and the member told.
    cisip.clock.set(row.expires_at - timedelta(days=7))
    await cisip.bot.scheduler.run_due()
    cisip.clock.set(row.expires_at + timedelta(days=7, minutes=1))
    await cisip.bot.scheduler.run_due()
    after = await row_of(cisip, jo)
    assert after is not None and after.status == "expired"
    dms = [m.content for m in d.dms_to(jo)]
    assert sum("ends" in c for c in dms) == 2
    assert any("has ended" in c for c in dms)


async def test_rejoin_gets_the_role_back_and_renewal_extends(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    kim, welcome = await join(cisip, server, "kim")
    sent = await apply(cisip, kim, welcome, email="kim@example.org")
    await enter_code(cisip, kim, sent, mail.last_code("kim@example.org"))
    await d.click(server.staff, queue_messages(cisip, server)[0], label="Approve")

    await rejoin(cisip, kim)
    await eventually(lambda: server.verified.id in kim.role_ids)
    await eventually(lambda: [m for m in d.dms_to(kim) if m.content.startswith("Welcome back")])

    # Renewal from the reminder: the same details, one more year.
    row = await row_of(cisip, kim)
    assert row is not None and row.expires_at is not None
    cisip.clock.set(row.expires_at - timedelta(days=30))
    await cisip.bot.scheduler.run_due()
    reminder = [m for m in d.dms_to(kim) if "ends" in m.content][-1]
    opened = await d.click(kim, reminder, label="Renew")
    assert opened.modal is not None
    assert opened.modal.inputs["email"]["value"] == "kim@example.org"
    renewed = await d.submit_modal(kim, opened.modal, {"member_type": "park"})
    assert renewed.content.startswith("Thank you! Your membership is renewed until")
    after = await row_of(cisip, kim)
    assert after is not None and after.expires_at == row.expires_at.replace(year=row.expires_at.year + 1)
    async with cisip.bot.db.session() as session:
        cancelled = await session.scalar(
            select(func.count()).select_from(ScheduledJob).where(ScheduledJob.status == "cancelled")
        )
    assert cancelled == 2  # the old year's 7-day reminder and expiry


async def test_staff_commands_export_revoke_and_forget(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    lu, welcome = await join(cisip, server, "lu")
    sent = await apply(cisip, lu, welcome, email="lu@example.org")
    await enter_code(cisip, lu, sent, mail.last_code("lu@example.org"))

    pending = await d.slash(server.staff, "members pending")
    assert f"<@{lu.id}>: Li Wei" in pending.embeds[0]["description"]
    info = await d.slash(server.staff, "members info", user=lu)
    assert info.ephemeral and "lu@example.org" in str(info.embeds[0])
    approved = await d.slash(server.staff, "members approve", user=lu)
    assert approved.content.startswith(f"<@{lu.id}> is now a verified member")
    twice = await d.slash(server.staff, "members approve", user=lu)
    assert twice.content.startswith(f"<@{lu.id}> is already a verified member until <t:")

    export = await d.slash(server.staff, "members export")
    assert export.ephemeral
    [(name, data)] = export.files
    assert name == "cisip-members.csv" and b"lu@example.org" in data

    revoked = await d.slash(server.staff, "members revoke", user=lu, reason="Left the organization")
    assert revoked.content.startswith(f"The membership of <@{lu.id}> is revoked")
    assert server.verified.id not in lu.role_ids

    forgot = await d.slash(server.staff, "members forget", user=lu)
    assert forgot.content.startswith("The personal data of membership #")
    assert await row_of(cisip, lu) is None
    async with cisip.bot.db.session() as session:
        summaries = (await session.scalars(select(AuditEntry.summary))).all()
    assert all(f"<@{lu.id}>" not in s for s in summaries)

    mallory = d.add_member("mallory")
    refused = await d.slash(mallory, "members pending")
    assert refused.content.startswith("Only CISIP staff can do this")


async def test_forget_me(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    mo, welcome = await join(cisip, server, "mo")
    sent = await apply(cisip, mo, welcome, email="mo@example.org")
    await enter_code(cisip, mo, sent, mail.last_code("mo@example.org"))
    assert len(queue_messages(cisip, server)) == 1
    asked = await d.slash(mo, "verify forget-me")
    done = await d.click(mo, asked, label="Erase my data")
    assert done.content.startswith("Your membership data is erased.")
    assert await row_of(cisip, mo) is None
    assert queue_messages(cisip, server) == []  # the staff card with the name is gone too
    again = await d.slash(mo, "verify forget-me")
    assert again.content == "The bot stores nothing about you here to erase."
    assert "members.forget-me" in await audit_actions(cisip)


async def test_member_type_role_and_nickname(
    fake_discord: FakeDiscord, tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    settings = dataclasses.replace(bot_settings(fake_discord, tmp_path), membership_nicknames=True)
    cisip = BotHarness(fake_discord, settings, MovableClock(START, ticking=False))
    await cisip.start()
    try:
        d = cisip.discord
        server = await set_up(cisip)
        parks = d.add_role("Science parks")
        high = d.add_role("Board", above_bot=True)
        refused = await d.slash(server.staff, "members type-role", member_type="park", role=high)
        assert refused.content.startswith(f"I cannot use <@&{high.id}>: my highest role")
        done = await d.slash(server.staff, "members type-role", member_type="park", role=parks)
        assert done.content == f"Approved members of type Science park now get <@&{parks.id}>."

        # Without SMTP there is no code: the application goes straight to the queue.
        nora, welcome = await join(cisip, server, "nora")
        queued = await apply(cisip, nora, welcome, full_name="Nora", organization="Tech Park")
        assert queued.content.startswith("Thank you! Staff will review")
        [card] = queue_messages(cisip, server)
        assert "(not verified)" in str(card.embeds[0])
        await d.click(server.staff, card, label="Approve")
        assert {server.verified.id, parks.id} <= set(nora.role_ids)
        assert nora.nick == "Nora · Tech Park"

        revoked = await d.slash(server.staff, "members revoke", user=nora)
        assert revoked.content.startswith(f"The membership of <@{nora.id}> is revoked")
        assert parks.id not in nora.role_ids and server.verified.id not in nora.role_ids
        assert server.unverified.id in nora.role_ids
    finally:
        await cisip.stop()


async def test_organizations_can_be_linked_to_a_park_and_removed(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    bad = await d.slash(
        server.staff, "members org add", name="Nowhere", domain="nowhere.example", park="Not a slug"
    )
    assert bad.content.startswith("No park matches 'Not a slug'. Closest: ")
    bad = await d.slash(server.staff, "members org add", name="Example", domain="localhost")
    assert bad.content.startswith("'localhost' is not an email domain")
    choices = await d.autocomplete(server.staff, "members org remove", "domain", "")
    assert choices == []
    await d.slash(server.staff, "members org add", name="Example Org", domain="example.org")
    choices = await d.autocomplete(server.staff, "members org remove", "domain", "exa")
    assert [c["value"] for c in choices] == ["example.org"]
    removed = await d.slash(server.staff, "members org remove", domain="example.org")
    assert removed.content == "Example Org (@example.org) is no longer a member organization."
    missing = await d.slash(server.staff, "members org remove", domain="example.org")
    assert missing.content == "No organization has the domain example.org."
    assert (await audit_actions(cisip)).count("members.org-add") == 1


async def test_each_server_sets_its_membership_year(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    shown = await d.slash(server.staff, "members settings")
    assert shown.content == ""
    assert [f["value"] for f in shown.embeds[0]["fields"]] == [
        "12 months",
        "30 days before, 7 days before",
        "7 days",
        "off",
    ]
    bad = await d.slash(server.staff, "members settings", reminders="30,soon")
    assert bad.content.startswith("Reminders: up to 5 day counts from 1 to 365")
    changed = await d.slash(server.staff, "members settings", months=6, reminders="14", grace_days=0)
    assert changed.content.startswith("Saved.")
    assert [f["value"] for f in changed.embeds[0]["fields"]][:3] == ["6 months", "14 days before", "0 days"]
    assert "members.settings" in await audit_actions(cisip)

    olga, welcome = await join(cisip, server, "olga")
    sent = await apply(cisip, olga, welcome, email="olga@example.org")
    await enter_code(cisip, olga, sent, mail.last_code("olga@example.org"))
    await d.slash(server.staff, "members approve", user=olga)
    row = await row_of(cisip, olga)
    assert row is not None and row.expires_at == START.replace(month=9)
    async with cisip.bot.db.session() as session:
        jobs = (
            await session.execute(
                select(ScheduledJob.dedupe_key, ScheduledJob.due_at).where(
                    ScheduledJob.kind != "membership.welcome"
                )
            )
        ).all()
    assert sorted((str(k).rsplit(":", 1)[1], due) for k, due in jobs) == [
        ("expire", row.expires_at),
        ("remind14", row.expires_at - timedelta(days=14)),
    ]
    # No grace: the role goes at the expiry itself.
    cisip.clock.set(row.expires_at)
    await cisip.bot.scheduler.run_due()
    assert server.verified.id not in olga.role_ids


async def test_a_chinese_member_sees_chinese(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    wang, welcome = await join(cisip, server, "wang", locale="zh-CN")
    opened = await d.click(wang, welcome, label="Verify")
    assert opened.modal is not None and opened.modal.title == "成为 CISIP 会员"
    sent = await d.submit_modal(wang, opened.modal, {**APPLICATION, "email": "wang@example.cn"})
    assert sent.content.startswith("我们已向 w***@example.cn 发送 6 位验证码。")
    assert [b["label"] for b in sent.buttons] == ["输入验证码", "重新发送"]
    opened = await d.click(wang, sent, label="输入验证码")
    assert opened.modal is not None and opened.modal.title == "输入验证码"
    wrong = await d.submit_modal(wang, opened.modal, {"code": "12"})
    assert wrong.content == "验证码错误：还可尝试 4 次。"


async def test_staff_commands_refuse_bad_targets_clearly(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    nobody = d.add_member("nobody")
    for command, options, expected in [
        ("members info", {"user": nobody}, "This member has not applied."),
        ("members approve", {"user": nobody}, "This member has not applied."),
        ("members reject", {"user": nobody, "reason": "no"}, "This member has not applied."),
        ("members revoke", {"user": nobody}, "This member has not applied."),
        ("members forget", {"user": nobody}, f"The bot stores nothing about <@{nobody.id}> here to erase."),
        (
            "members org remove",
            {"domain": "nowhere.example"},
            "No organization has the domain nowhere.example.",
        ),
        ("members pending", {}, "No applications are waiting."),
        ("members org list", {}, "No member organizations yet: add one with /members org add."),
    ]:
        reply = await d.slash(server.staff, command, **options)
        assert reply.ephemeral, command
        assert reply.content == expected, command

    pia, welcome = await join(cisip, server, "pia")
    sent = await apply(cisip, pia, welcome, email="pia@example.org")
    await enter_code(cisip, pia, sent, mail.last_code("pia@example.org"))
    assert (await d.slash(server.staff, "members revoke", user=pia)).content == (
        "Only a verified membership can be revoked."
    )
    await d.slash(server.staff, "members approve", user=pia)
    assert (await d.slash(server.staff, "members reject", user=pia, reason="late")).content == (
        "Only an application waiting for review can be rejected (this one is verified member)."
    )
    await d.slash(server.staff, "members org add", name="Example", domain="example.org")
    dup = await d.slash(server.staff, "members org add", name="Again", domain="EXAMPLE.org")
    assert dup.content == "The domain example.org is already registered."
    again = await d.click(pia, welcome, label="Verify")
    assert again.content.startswith("You are already a verified member until <t:")


# -- languages: replies in the reader's, DMs and mails in the member's, the queue in the server's --


def subject_of(message: EmailMessage) -> str:
    return str(make_header(decode_header(message["Subject"])))


def labels(message: Message | Reply) -> list[str]:
    return [b["label"] for row in message.components for b in row["components"]]


async def seen_in(cisip: BotHarness, member: Member, locale: str | None) -> None:
    async def remembered() -> bool:
        return await cisip.bot.services.user_locales.get(member.id) == locale

    await cisip.eventually(remembered)


async def test_dms_and_the_code_mail_follow_the_members_last_seen_language(
    cisip: BotHarness, mail: Inbox
) -> None:
    """The server speaks English; Wang's Discord is in Chinese."""
    d = cisip.discord
    server = await set_up(cisip)
    wang, welcome = await join(cisip, server, "wang", locale="zh-CN")
    # Before Wang ever used the bot, the welcome DM is in the server's language, like the post.
    [hello] = await eventually(lambda: d.dms_to(wang))  # sent just after the post
    assert hello.content.startswith("Welcome to") and labels(hello) == ["Verify"]

    sent = await apply(cisip, wang, welcome, email="wang@example.cn")
    [code_mail] = mail.to("wang@example.cn")
    code = mail.last_code("wang@example.cn")
    assert subject_of(code_mail) == f"CISIP 验证码：{code}"
    assert text_part(code_mail).startswith(f"您在 {d.guild.name} 的 CISIP 验证码是 {code} 。")
    assert "Your CISIP verification code" not in text_part(code_mail)
    await enter_code(cisip, wang, sent, code)
    await seen_in(cisip, wang, "zh-CN")

    # The staff queue stays in the server's language; what reaches Wang is in Chinese.
    [card] = queue_messages(cisip, server)
    assert card.embeds[0]["title"] == "Membership application"
    assert labels(card) == ["Approve", "Reject", "Ask for info"]
    opened = await d.click(server.staff, card, label="Ask for info")
    asked = await d.submit_modal(server.staff, opened.modal, {"text": "Which park do you run?"})
    assert asked.content == f"Question sent to <@{wang.id}>."
    question = d.dms_to(wang)[-1]
    assert question.content.startswith(f"{d.guild.name} 的 CISIP 工作人员需要您补充会员申请信息")
    assert labels(question) == ["认证"]

    approved = await d.click(server.staff, queue_messages(cisip, server)[0], label="Approve")
    assert approved.content.startswith(f"<@{wang.id}> is now a verified member")
    assert d.dms_to(wang)[-1].content.startswith("欢迎加入 CISIP！")
    assert "Approved by" in str(queue_messages(cisip, server)[0].embeds[0])

    await rejoin(cisip, wang)
    await eventually(lambda: [m for m in d.dms_to(wang) if m.content.startswith("欢迎回到")])

    row = await row_of(cisip, wang)
    assert row is not None and row.expires_at is not None
    cisip.clock.set(row.expires_at - timedelta(days=30))
    await cisip.bot.scheduler.run_due()
    reminder = d.dms_to(wang)[-1]
    assert reminder.content.startswith(f"您在 {d.guild.name} 的 CISIP 会员资格将于 <t:")
    assert labels(reminder) == ["续期"]
    cisip.clock.set(row.expires_at + timedelta(days=7, minutes=1))
    await cisip.bot.scheduler.run_due()
    ended = d.dms_to(wang)[-1]
    assert "会员资格已到期" in ended.content and labels(ended) == ["续期"]


async def test_a_member_never_seen_reads_the_servers_language(cisip: BotHarness, mail: Inbox) -> None:
    """The server speaks Chinese; Ann's Discord is in English."""
    d = cisip.discord
    server = await set_up(cisip)
    await cisip.bot.services.guild_settings.set_language(d.guild.id, "zh-CN")
    ann, welcome = await join(cisip, server, "ann")
    assert welcome.content.startswith("欢迎来到") and labels(welcome) == ["认证"]
    [hello] = await eventually(lambda: d.dms_to(ann))  # sent just after the post
    assert hello.content.startswith("欢迎来到") and labels(hello) == ["认证"]

    # Once Ann used the bot (in English), what is sent to her is in English.
    opened = await d.click(ann, welcome, label="认证")
    assert opened.modal is not None and opened.modal.title == "Become a CISIP member"
    sent = await d.submit_modal(ann, opened.modal, {**APPLICATION, "email": "ann@example.org"})
    assert sent.content.startswith("We sent a 6-digit code")
    assert subject_of(mail.to("ann@example.org")[0]).startswith("CISIP verification code: ")
    await enter_code(cisip, ann, sent, mail.last_code("ann@example.org"))
    await seen_in(cisip, ann, "en-US")

    [card] = queue_messages(cisip, server)
    assert card.embeds[0]["title"] == "会员申请" and labels(card) == ["批准", "拒绝", "补充信息"]
    rejected = await d.slash(server.staff, "members reject", user=ann, reason="Not a CISIP member")
    assert rejected.content == "Application rejected; the member was told why."
    told = d.dms_to(ann)[-1]
    assert told.content.startswith(f"Your CISIP membership application in {d.guild.name} was not approved")
    assert labels(told) == ["Verify"]
    assert "由 <@" in str(queue_messages(cisip, server)[0].embeds[0])


async def test_chinese_replies_numbers_and_labels(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    wei = d.add_member("wei", locale="zh-CN", roles=["CISIP Staff"])
    shown = await d.slash(wei, "members settings")
    assert shown.embeds[0]["title"] == "会员年度"
    assert [f["value"] for f in shown.embeds[0]["fields"]] == [
        "12 个月",
        "提前 30 天、提前 7 天",
        "7 天",
        "已关闭",
    ]

    # Many waiting: the count is written the reader's way and only the oldest 25 are listed.
    async with cisip.bot.db.transaction() as session:
        session.add_all(
            Membership(
                guild_id=d.guild.id,
                user_id=10**15 + n,
                status="pending",
                full_name=f"Applicant {n}",
                organization="Example Park",
                email=f"a{n}@example.org",
                country="China",
                member_type="park",
                applied_at=START + timedelta(minutes=n),
            )
            for n in range(1234)
        )
    pending = await d.slash(wei, "members pending")
    embed = pending.embeds[0]
    assert embed["title"] == "待处理的申请：1,234 份"
    assert embed["footer"]["text"] == "仅显示最早的 25 份。"
    assert embed["description"].startswith(f"• <@{10**15}>：Applicant 0，Example Park（等待工作人员审核，<t:")
    assert (await d.slash(server.staff, "members pending")).embeds[0][
        "title"
    ] == "Applications waiting: 1,234"

    info = await d.slash(wei, "members info", user=wei)
    assert info.content == "该成员尚未提交申请。"
    mine = await d.slash(wei, "verify status")
    assert mine.content.startswith("您尚未申请。") and labels(mine) == ["认证"]
    lo, welcome = await join(cisip, server, "lo", locale="zh-CN")
    opened = await d.click(lo, welcome, label="Verify")
    bad = await d.submit_modal(lo, opened.modal, {**APPLICATION, "organization": "<@1> and friends"})
    assert bad.content == "机构不能包含提及（@）。"
    sent = await d.submit_modal(lo, opened.modal, {**APPLICATION, "email": "lo@example.cn"})
    await enter_code(cisip, lo, sent, mail.last_code("lo@example.cn"))
    status = await d.slash(lo, "verify status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert status.embeds[0]["title"] == "您的 CISIP 会员资格"
    assert fields["状态"] == "等待工作人员审核" and fields["会员类型"] == "科技园区"
    await d.slash(wei, "members approve", user=lo)
    late = await d.slash(wei, "members reject", user=lo, reason="late")
    assert late.content == "只有待审核的申请才能被拒绝（该申请状态为：已认证会员）。"


async def test_forgetting_a_member_forgets_their_language(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    for name, erase in (("mei", "themselves"), ("jun", "staff")):
        member, welcome = await join(cisip, server, name, locale="zh-CN")
        sent = await apply(cisip, member, welcome, email=f"{name}@example.cn")
        await enter_code(cisip, member, sent, mail.last_code(f"{name}@example.cn"))
        await seen_in(cisip, member, "zh-CN")
        if erase == "themselves":
            asked = await d.slash(member, "verify forget-me")
            await seen_in(cisip, member, "zh-CN")
            done = await d.click(member, asked, label="删除我的数据")
            assert done.content.startswith("您的会员数据已删除。")
        else:
            await d.slash(server.staff, "members forget", user=member)
        await seen_in(cisip, member, None)
        bot = await cisip.restart()
        assert await bot.services.user_locales.get(member.id) is None
