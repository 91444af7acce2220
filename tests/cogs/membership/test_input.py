"""Bad input to membership end to end: what a careless or hostile member or staff member can send
(invisible names, NUL, direction overrides, 6,000 characters, numbers of any size, users and roles
Discord did not resolve) gets a clear private answer, and nothing is stored half-way.

``cisip.discord.slash`` checks options against the registered declaration, as Discord does; to send
what Discord would refuse, the tests build the interaction themselves (``send_raw``)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db.models_members import MemberOrganization
from tests.cogs.conftest import BotHarness
from tests.cogs.membership.support import (
    Inbox,
    Server,
    apply,
    enter_code,
    eventually,
    join,
    queue_messages,
    row_of,
    set_up,
)
from tests.fakediscord.dsl import Reply
from tests.fakediscord.interactions import InteractionType
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

ZERO_WIDTH = "\u200b\u200c\u2060\ufeff"
HANGUL_FILLER = "\u3164\u3164"
BIDI = "\u202e"
HUGE = "9" * 40


def command_data(cisip: BotHarness, path: str, **values: Any) -> dict[str, Any]:
    """The interaction data ``/path`` would carry, to be tampered with before sending."""
    d = cisip.discord
    return d._command_data(path, d.channel("general"), values, focused=None)


def options_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    options = data["options"]
    while options and options[0]["type"] in (1, 2):
        options = options[0]["options"]
    return options  # the list itself: tests change what is sent


async def send_raw(cisip: BotHarness, who: Member, data: dict[str, Any]) -> Reply:
    d = cisip.discord
    inter = d.em.interactions.create(
        InteractionType.APPLICATION_COMMAND, data, who.user, d.channel("general")
    )
    return await d.wait_reply(inter)


def full_width(digits: str) -> str:
    return "".join(chr(ord(digit) + 0xFEE0) for digit in digits)


async def organizations(cisip: BotHarness) -> list[MemberOrganization]:
    return await cisip.bot.services.memberships.organizations(cisip.discord.guild.id)


async def applied(cisip: BotHarness, server: Server, mail: Inbox, name: str, **changes: str) -> Member:
    member, welcome = await join(cisip, server, name)
    email = f"{name}@example.org"
    sent = await apply(cisip, member, welcome, email=email, **changes)
    done = await enter_code(cisip, member, sent, mail.last_code(email))
    assert done.content.startswith("Thank you! Staff will review"), done.content
    return member


# -- users and roles Discord did not send -----------------------------------------------------------


async def test_a_user_or_role_missing_from_the_resolved_data_is_refused(
    cisip: BotHarness, mail: Inbox
) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    nobody = d.add_member("nobody")

    data = command_data(cisip, "members info", user=nobody)
    data.pop("resolved")
    refused = await send_raw(cisip, server.staff, data)
    assert refused.ephemeral
    assert refused.content == (
        "Discord did not send the user picked for `user` (was it just deleted?): pick it again."
    )

    parks = d.add_role("Science parks")
    data = command_data(cisip, "members type-role", member_type="park", role=parks)
    data["resolved"]["roles"] = {}
    refused = await send_raw(cisip, server.staff, data)
    assert refused.ephemeral
    assert refused.content == (
        "Discord did not send the role picked for `role` (was it just deleted?): pick it again."
    )
    # A role id Discord never made, and a user id of any size, are refused the same way.
    data = command_data(cisip, "members type-role", member_type="park", role=parks)
    options_of(data)[1]["value"] = str(2**63 + 5)
    refused = await send_raw(cisip, server.staff, data)
    assert refused.content.startswith("Discord did not send the role picked for `role`")
    data = command_data(cisip, "members info", user=nobody)
    options_of(data)[0]["value"] = "9" * 30
    refused = await send_raw(cisip, server.staff, data)
    assert refused.content == "The option `user` got a value of the wrong kind."
    assert await cisip.bot.services.memberships.type_roles(d.guild.id) == {}

    # With the data Discord sends, the same commands work.
    done = await d.slash(server.staff, "members type-role", member_type="park", role=parks)
    assert done.content == f"Approved members of type Science park now get <@&{parks.id}>."
    assert (
        await d.slash(server.staff, "members info", user=nobody)
    ).content == "This member has not applied."


# -- the Verify form and the code form --------------------------------------------------------------


async def test_the_verify_form_refuses_invisible_names_and_keeps_what_people_see(
    cisip: BotHarness, mail: Inbox
) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    ivy, welcome = await join(cisip, server, "ivy")
    for changes, message in [
        ({"full_name": ZERO_WIDTH}, "The name cannot be empty."),
        ({"organization": HANGUL_FILLER}, "The organization cannot be empty."),
        ({"country": "\u2800\u2800\u2800"}, "The country cannot be empty."),
        ({"full_name": "I" + ZERO_WIDTH}, "The name must be at least 2 characters long."),
        ({"email": ZERO_WIDTH + "@xy"}, "'@xy' is not a valid email address: check it and try again."),
    ]:
        cisip.clock.advance(minutes=1)  # a member may submit the form 3 times a minute
        refused = await apply(cisip, ivy, welcome, **{"email": "ivy@example.org", **changes})
        assert refused.ephemeral
        assert refused.content == message, changes
        assert await row_of(cisip, ivy) is None
    assert mail.to("ivy@example.org") == []

    cisip.clock.advance(minutes=1)
    sent = await apply(
        cisip,
        ivy,
        welcome,
        full_name=f"{BIDI}Ivy\x00 Chen{ZERO_WIDTH}",
        organization="Tech\u200b Park\u202c",
        email=" ivy@example.org\x00",
        country="\u2066Kenya\u2069",
    )
    assert sent.content.startswith("We sent a 6-digit code to i***@example.org.")
    row = await row_of(cisip, ivy)
    assert row is not None
    assert (row.full_name, row.organization, row.email, row.country) == (
        "Ivy Chen",
        "Tech Park",
        "ivy@example.org",
        "Kenya",
    )

    # The code form takes anything typed: nothing visible is refused (not counted as a try), a
    # Chinese keyboard's full-width digits with spaces are the code.
    blank = await enter_code(cisip, ivy, sent, ZERO_WIDTH)
    assert blank.ephemeral and blank.content == "The code cannot be empty."
    wrong = await enter_code(cisip, ivy, sent, "١٢٣٤٥٦\x00")
    assert wrong.content == "Wrong code: 4 tries left."
    code = mail.last_code("ivy@example.org")
    typed = full_width(code[:3]) + " " + full_width(code[3:])
    done = await enter_code(cisip, ivy, sent, typed)
    assert done.content.startswith("Thank you! Staff will review")

    # The queue card and the member's own status show the cleaned text.
    [card] = queue_messages(cisip, server)
    shown = str(card.embeds[0])
    assert "Ivy Chen" in shown and "\\u202e" not in shown and "\\x00" not in shown
    status = await d.slash(ivy, "verify status")
    assert "Ivy Chen" in str(status.embeds[0])

    # Renewing opens the form filled in with what is on record, which the form can hold.
    opened = await d.click(ivy, welcome, label="Verify")
    assert opened.modal is not None
    assert opened.modal.inputs["full_name"]["value"] == "Ivy Chen"


async def test_the_form_shows_an_old_record_cleaned_and_cut_to_fit(cisip: BotHarness, mail: Inbox) -> None:
    """Rows written before the fields were checked may hold text longer than the form takes."""
    d = cisip.discord
    server = await set_up(cisip)
    joe = await applied(cisip, server, mail, "joe")
    async with cisip.bot.db.transaction() as session:
        row = await row_of(cisip, joe)
        assert row is not None
        row = await session.merge(row)
        row.full_name = "J" * 100 + "\u200b" * 20
        row.organization = "O" * 150
        row.country = "K" * 60 + "\x00"
    welcome = await eventually(
        lambda: [m for m in d.messages_in(server.welcome) if f"<@{joe.id}>" in m.content]
    )
    opened = await d.click(joe, welcome[-1], label="Verify")
    assert opened.modal is not None
    inputs = opened.modal.inputs
    assert inputs["full_name"]["value"] == "J" * 100
    assert inputs["organization"]["value"] == "O" * 99 + "…"
    assert inputs["country"]["value"] == "K" * 60


# -- staff commands ------------------------------------------------------------------------------------


async def test_member_organizations_refuse_invisible_names_and_any_park_text(
    cisip: BotHarness, mail: Inbox
) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    member = d.add_member("member")

    # The park option is a staff option: its autocomplete suggests nothing to anyone else.
    assert await d.autocomplete(member, "members org add", "park", "zhong", name="XY", domain="xy.org") == []
    choices = await d.autocomplete(server.staff, "members org add", "park", "zhongguancun", name="XY")
    assert "zhongguancun" in [choice["value"] for choice in choices]
    assert all(len(choice["name"]) <= 100 for choice in choices)
    # What is typed into it is as long as the option takes: longer gets no choices, no error.
    data = command_data(cisip, "members org add", name="XY", domain="xy.org")
    options_of(data).append({"name": "park", "type": 3, "value": "z" * 6000, "focused": True})
    inter = d.em.interactions.create(
        InteractionType.AUTOCOMPLETE, data, server.staff.user, d.channel("general")
    )
    assert (await d.wait_reply(inter)).choices == []

    for options, message in [
        ({"name": ZERO_WIDTH, "domain": "example.org"}, "The organization cannot be empty."),
        ({"name": HANGUL_FILLER + " ", "domain": "example.org"}, "The organization cannot be empty."),
        ({"name": "Example", "domain": ZERO_WIDTH + "\x00"}, "The domain cannot be empty."),
        ({"name": "Example", "domain": "example.org", "park": HUGE}, f"No park matches '{HUGE}'."),
        ({"name": "Example", "domain": "example.org", "park": ZERO_WIDTH}, "The park cannot be empty."),
        ({"name": "Example", "domain": "example.org", "park": "\x00"}, "The park cannot be empty."),
    ]:
        refused = await d.slash(server.staff, "members org add", **options)
        assert refused.ephemeral, options
        assert refused.content == message, options
    for name, value, message in [
        ("park", "z" * 6000, "The option `park` takes at most 200 characters."),
        ("name", "n" * 6000, "The option `name` takes at most 100 characters."),
        ("domain", "d" * 6000, "The option `domain` takes at most 253 characters."),
    ]:
        data = command_data(
            cisip, "members org add", name="Example", domain="example.org", park="zhongguancun"
        )
        next(option for option in options_of(data) if option["name"] == name)["value"] = value
        refused = await send_raw(cisip, server.staff, data)
        assert refused.ephemeral and refused.content == message
    assert await organizations(cisip) == []

    # A park picked from the list, or its name typed in full; text made canonical.
    added = await d.slash(
        server.staff,
        "members org add",
        name=f"{BIDI}Zhongguancun\x00 Development Group",
        domain="@ZGC.example.CN\u200b",
        park="Zhongguancun Science Park",
    )
    assert added.content == (
        "Zhongguancun Development Group is registered: members with a verified @zgc.example.cn email are "
        "approved automatically. Its park in the directory: Zhongguancun Science Park."
    )
    picked = await d.slash(
        server.staff, "members org add", name="TusHoldings", domain="tus.example.cn", park="tuspark"
    )
    assert picked.content.startswith("TusHoldings is registered")
    listed = await d.slash(server.staff, "members org list")
    assert "(park: zhongguancun)" in listed.embeds[0]["description"]
    assert "(park: tuspark)" in listed.embeds[0]["description"]
    removed = await d.slash(server.staff, "members org remove", domain=f"{ZERO_WIDTH}@TUS.example.cn")
    assert removed.content == "TusHoldings (@tus.example.cn) is no longer a member organization."
    assert [org.domain for org in await organizations(cisip)] == ["zgc.example.cn"]


async def test_staff_reasons_are_cleaned_and_fit_where_they_are_echoed(
    cisip: BotHarness, mail: Inbox
) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    kim = await applied(cisip, server, mail, "kim")

    blank = await d.slash(server.staff, "members reject", user=kim, reason=ZERO_WIDTH)
    assert blank.ephemeral and blank.content == "The reason cannot be empty."
    data = command_data(cisip, "members reject", user=kim, reason="no")
    options_of(data)[1]["value"] = "r" * 6000
    refused = await send_raw(cisip, server.staff, data)
    assert refused.content == "The option `reason` takes at most 500 characters."
    row = await row_of(cisip, kim)
    assert row is not None and row.status == "pending" and row.reason is None

    # Ask for info: a long question, with NUL and a direction override, reaches the member.
    [card] = queue_messages(cisip, server)
    opened = await d.click(server.staff, card, label="Ask for info")
    question = f"{BIDI}Which park\x00 do you run?\n" + "Tell us more. " * 34
    asked = await d.submit_modal(server.staff, opened.modal, {"text": question[:500]})
    assert asked.content == f"Question sent to <@{kim.id}>."
    dm = d.dms_to(kim)[-1].content
    assert "> Which park do you run?\n> Tell us more." in dm and "\u202e" not in dm and "\x00" not in dm
    opened = await d.click(server.staff, card, label="Ask for info")
    blank = await d.submit_modal(server.staff, opened.modal, {"text": HANGUL_FILLER})
    assert blank.content == "The question cannot be empty."

    # Reject with the longest reason the form takes: the DM and the decided card fit.
    reason = ("Not a science-industry organization; " * 14)[:499] + "\x00"
    opened = await d.click(server.staff, card, label="Reject")
    done = await d.submit_modal(server.staff, opened.modal, {"text": reason})
    assert done.content == "Application rejected; the member was told why."
    assert "Not a science-industry organization; Not a" in d.dms_to(kim)[-1].content
    [card] = queue_messages(cisip, server)
    decision = next(field for field in card.embeds[0]["fields"] if field["name"] == "Decision")
    assert decision["value"].startswith(f"Rejected by <@{server.staff.id}>: Not a science-industry")
    row = await row_of(cisip, kim)
    assert row is not None and row.reason == reason[:499].strip() and "\x00" not in row.reason
    status = await d.slash(kim, "verify status")
    assert any(field["name"] == "Reason" for field in status.embeds[0]["fields"])


async def test_membership_settings_and_nicknames_stay_within_bounds(cisip: BotHarness, mail: Inbox) -> None:
    d = cisip.discord
    server = await set_up(cisip)
    blank = await d.slash(server.staff, "members settings", reminders=ZERO_WIDTH, months=6)
    assert blank.ephemeral and blank.content == "The reminders cannot be empty."
    for name, value, message in [
        ("months", 10**30, "The option `months` takes a number from 1 to 120."),
        ("grace_days", -1, "The option `grace_days` takes a number from 0 to 365."),
        ("reminders", "7," * 3000, "The option `reminders` takes at most 64 characters."),
    ]:
        data = command_data(cisip, "members settings", months=6, grace_days=3, reminders="14")
        next(option for option in options_of(data) if option["name"] == name)["value"] = value
        refused = await send_raw(cisip, server.staff, data)
        assert refused.ephemeral and refused.content == message
    shown = await d.slash(server.staff, "members settings")
    assert [field["value"] for field in shown.embeds[0]["fields"]][:3] == [
        "12 months",
        "30 days before, 7 days before",
        "7 days",
    ]
    saved = await d.slash(server.staff, "members settings", reminders=f"{BIDI}14，３\x00", nicknames=True)
    assert saved.content.startswith("Saved.")
    assert [field["value"] for field in saved.embeds[0]["fields"]][1] == "14 days before, 3 days before"

    # A nickname built from the longest name and organization fits Discord's 32 characters.
    long_name, long_org = "Maximilian " + "M" * 89, "International " + "O" * 86
    max_ = await applied(cisip, server, mail, "max", full_name=long_name, organization=long_org)
    approved = await d.slash(server.staff, "members approve", user=max_)
    assert approved.content.startswith(f"<@{max_.id}> is now a verified member")
    assert max_.nick is not None and len(max_.nick) == 32 and max_.nick.startswith("Maximilian MMM")
