"""/park against careless and hostile input, end to end: every option declares its bounds and the
bot checks them again; the park option names a park or answers "No park matches" privately (any
number, any text); its autocomplete answers any text, and the staff commands' only to staff;
invisible names are refused with the field's message and nothing is stored; the longest park
anyone can save still fits every message and form that shows it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services.parks import FOCUS_VOCABULARY, ParkDraft, ParkRecord
from tests.cogs.conftest import BotHarness
from tests.cogs.parks.test_parks import audit_actions, field, park_count, staff
from tests.fakediscord.dsl import Reply
from tests.fakediscord.interactions import InteractionType
from tests.fakediscord.state import Member

pytestmark = pytest.mark.e2e

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
HANGUL_FILLER = "\u3164\u3164\u3164"
BIDI = "\u202e\u2066"
PARK_COMMANDS = ("park info", "park-admin edit", "park-admin remove")
STAFF_COMMANDS = PARK_COMMANDS[1:]


async def unchecked(
    cisip: BotHarness, who: Member, command: str, values: dict[str, Any], sent: dict[str, Any]
) -> Reply:
    """``/command`` with ``values``, but the ``sent`` values instead: what Discord itself would
    refuse (too long, out of bounds). A client can send it anyway."""
    discord = cisip.discord
    channel = discord.channel("general")
    data = discord._command_data(command, channel, values, focused=None)
    for option in data["options"][0]["options"]:
        option["value"] = sent.get(option["name"], option["value"])
    inter = discord.em.interactions.create(InteractionType.APPLICATION_COMMAND, data, who.user, channel)
    return await discord.wait_reply(inter, f"/{command}")


async def test_every_park_option_declares_its_bounds(cisip: BotHarness) -> None:
    groups = [c for c in cisip.discord.commands() if c["name"] in ("park", "park-admin")]
    declared = {
        (sub["name"], option["name"]): option
        for group in groups
        for sub in group["options"]
        for option in sub.get("options", [])
    }
    for (sub, name), option in declared.items():
        if option["type"] == 3 and not option.get("choices"):
            assert option.get("max_length"), (sub, name)
            assert option.get("min_length", 0) >= 1, (sub, name)
        if option["type"] == 4:
            assert (option.get("min_value"), option.get("max_value")) == (1900, 2100), (sub, name)
    lengths = {key: option.get("max_length") for key, option in declared.items()}
    assert lengths[("search", "query")] == 100
    assert lengths[("search", "country")] == lengths[("add", "country")] == 60
    assert lengths[("search", "focus")] == 100
    assert lengths[("add", "city")] == lengths[("edit", "city")] == 100
    assert lengths[("add", "website")] == lengths[("edit", "source")] == 500
    for sub in ("info", "edit", "remove"):
        assert lengths[(sub, "name")] == 200
        assert declared[(sub, "name")]["autocomplete"] is True


async def test_a_park_option_names_a_park_or_answers_privately(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam, mallory = staff(cisip), discord.add_member("mallory")
    for who, commands in ((sam, PARK_COMMANDS), (mallory, ("park info",))):
        for command in commands:
            for typed in ("99999999999999999999", str(2**64), "#12 Hsinchu", "hogwarts", "１２"):
                reply = await discord.slash(who, command, name=typed)
                assert reply.ephemeral, (command, typed)
                assert reply.content.startswith(f"No park matches '{typed}'."), (command, typed)
                assert reply.modal is None and reply.embeds == []
            huge = await discord.slash(who, command, name="9" * 200)
            assert huge.ephemeral and huge.content.startswith("No park matches '9999")
            assert len(huge.content) < 150  # what was typed is quoted cut
            for invisible in (ZERO_WIDTH, HANGUL_FILLER, "\x00" * 10):
                reply = await discord.slash(who, command, name=invisible)
                assert reply.ephemeral and reply.content == "The park cannot be empty.", (command, invisible)
            too_long = await unchecked(cisip, who, command, {"name": "x"}, {"name": "9" * 6000})
            assert too_long.ephemeral
            assert too_long.content == "The option `name` takes at most 200 characters."

    # A name typed in full (any case, invisible characters and all) without picking is the park.
    card = await discord.slash(mallory, "park info", name=f"hsinchu{ZERO_WIDTH} SCIENCE park")
    assert card.embeds[0]["title"] == "🇹🇼 Hsinchu Science Park"
    assert (
        (await discord.slash(mallory, "park info", name="中关村科技园区"))
        .embeds[0]["title"]
        .endswith("Zhongguancun Science Park")
    )
    edit = await discord.slash(sam, "park-admin edit", name="Hsinchu Science Park")
    assert edit.modal is not None
    assert edit.modal.inputs["park:name"]["value"] == "Hsinchu Science Park"
    ask = await discord.slash(sam, "park-admin remove", name="skolkovo innovation centre")
    assert ask.content.startswith("Remove Skolkovo")
    # A member is refused a staff command before the park is even looked up.
    for command in STAFF_COMMANDS:
        for typed in ("hogwarts", "hsinchu-science-park"):
            reply = await discord.slash(mallory, command, name=typed)
            assert reply.content.startswith("Only CISIP staff can do this")
    assert await park_count(cisip) == 166
    assert await audit_actions(cisip) == []


async def test_the_park_autocomplete_answers_any_text_and_staff_suggestions_are_for_staff(
    cisip: BotHarness,
) -> None:
    discord = cisip.discord
    sam, mallory = staff(cisip), discord.add_member("mallory")
    for typed, first in (
        ("x" * 6000, None),  # longer than the option takes: no choices, at once
        ("9" * 6000, None),
        ("\x00" * 10, "any"),  # nothing visible typed yet: the first parks
        (ZERO_WIDTH, "any"),
        (f"hsin{ZERO_WIDTH}chu\x00", "hsinchu-science-park"),
        (BIDI + "skolkovo", "skolkovo"),
        (str(2**64), "none"),
    ):
        for who, command in ((mallory, "park info"), (sam, "park-admin edit"), (sam, "park-admin remove")):
            choices = await discord.autocomplete(who, command, "name", typed)
            if first is None:
                assert choices == [], (command, typed)
            elif first == "any":
                assert len(choices) == 25, (command, typed)
            elif first == "none":
                assert all(len(c["name"]) <= 100 for c in choices)
            else:
                assert choices[0]["value"] == first, (command, typed)
    for command in STAFF_COMMANDS:
        for typed in ("", "hsinchu", ZERO_WIDTH, "x" * 6000):
            assert await discord.autocomplete(mallory, command, "name", typed) == []
    for option, typed in (("country", "\x00" * 60), ("country", "k" * 6000), ("focus", ZERO_WIDTH * 20)):
        assert isinstance(await discord.autocomplete(mallory, "park search", option, typed, query="x"), list)


async def test_hostile_options_are_refused_with_a_clear_message(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam, alice = staff(cisip), discord.add_member("alice")
    too_long = "The option `country` takes at most 60 characters."
    for command, values, sent, message in (
        (
            "park search",
            {"query": "x"},
            {"query": "x" * 6000},
            "The option `query` takes at most 100 characters.",
        ),
        ("park search", {"query": "x", "country": "CN"}, {"country": "c" * 61}, too_long),
        ("park list", {"country": "CN"}, {"country": "c" * 6000}, too_long),
    ):
        reply = await unchecked(cisip, alice, command, values, sent)
        assert reply.ephemeral and reply.content == message
    add: dict[str, Any] = {
        "country": "KE",
        "region": "Africa",
        "city": "x",
        "website": "https://x.example",
        "established": 2000,
    }
    hostile: tuple[tuple[dict[str, Any], str], ...] = (
        ({"city": "c" * 6000}, "The option `city` takes at most 100 characters."),
        ({"website": "h" * 6000}, "The option `website` takes at most 500 characters."),
        ({"established": 10**30}, "The option `established` takes a number from 1900 to 2100."),
        ({"established": 2**64}, "The option `established` takes a number from 1900 to 2100."),
        ({"established": 1899}, "The option `established` takes a number from 1900 to 2100."),
    )
    for sent, message in hostile:
        reply = await unchecked(cisip, sam, "park-admin add", add, sent)
        assert reply.ephemeral and reply.modal is None
        assert reply.content == message
    for options, message in (
        ({"query": "\x00\x00"}, "The search cannot be empty."),
        ({"query": "park", "country": ZERO_WIDTH}, "The country cannot be empty."),
        ({"query": "park", "country": "c" * 60}, "Unknown country '" + "c" * 60),
    ):
        reply = await discord.slash(alice, "park search", options=options)
        assert reply.ephemeral and reply.content.startswith(message), options
    # An option given with nothing visible in it is refused; it never clears a field.
    for command, values in (("park-admin add", {}), ("park-admin edit", {"name": "konza-technopolis"})):
        for option in ("city", "website", "source", "country"):
            given = {"country": "KE", "region": "Africa", **values, option: HANGUL_FILLER}
            reply = await discord.slash(sam, command, options=given)
            assert reply.modal is None
            assert reply.content == f"The {option} cannot be empty."
    konza = await discord.slash(sam, "park info", name="konza-technopolis")
    assert field(konza.embeds[0], "City") != "—"
    assert await park_count(cisip) == 166


async def test_an_invisible_name_is_refused_in_the_form_and_nothing_is_stored(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam = staff(cisip)
    for name in (ZERO_WIDTH, HANGUL_FILLER, BIDI, "\x00\x00"):
        opened = await discord.slash(sam, "park-admin add", country="KE", region="Africa")
        assert opened.modal is not None
        refused = await discord.submit_modal(sam, opened.modal, {"park:name": name})
        assert refused.ephemeral
        assert refused.content == "This park cannot be saved:\n• The park name cannot be empty."
    edit = await discord.slash(sam, "park-admin edit", name="konza-technopolis")
    refused = await discord.submit_modal(sam, edit.modal, {"park:name": ZERO_WIDTH, "park:aliases": "\u3164"})
    assert refused.content == (
        "This park cannot be saved:\n• The park name cannot be empty.\n• The aliases cannot be empty."
    )
    assert await park_count(cisip) == 166
    assert await audit_actions(cisip) == []
    konza = await discord.slash(sam, "park info", name="konza-technopolis")
    assert konza.embeds[0]["title"] == "🇰🇪 Konza Technopolis"

    # Invisible and control characters inside a name are dropped, not stored.
    opened = await discord.slash(
        sam, "park-admin add", country="KE", region="Africa", city=f"Nai\x00robi{BIDI}"
    )
    added = await discord.submit_modal(
        sam,
        opened.modal,
        {"park:name": f"Nul\x00 Test{ZERO_WIDTH} Park\u202e", "park:aliases": f"NTP; {ZERO_WIDTH}"},
    )
    assert added.content == "Nul Test Park was added to the directory."
    card = added.embeds[0]
    assert card["title"] == "🇰🇪 Nul Test Park"
    assert field(card, "City") == "Nairobi"
    assert field(card, "Also known as") == "NTP"


def longest(n: int, country: str = "IS", region: str = "Western Europe") -> ParkRecord:
    """A park with every text as long as its field allows."""
    return ParkRecord(
        slug=f"longest-{n}",
        name=f"Longest {n} " + "Ą" * (200 - len(f"Longest {n} ")),
        local_name="最" * 200,
        aliases=tuple(f"alias {n} {i} " + "a" * 30 for i in range(9)),
        country=country,
        region=region,
        city="Ć" * 100,
        established=1999,
        focus=tuple(FOCUS_VOCABULARY),
        website="https://" + "w" * 480 + ".example",
        source="https://" + "s" * 480 + ".example",
        description=("Word " * 200)[:1000].strip(),
    )


async def test_the_longest_park_fits_every_message_and_form(cisip: BotHarness) -> None:
    discord = cisip.discord
    sam, li = staff(cisip), discord.add_member("li", locale="zh-CN")
    parks = cisip.bot.services.parks
    # Long text as staff can type it: every field at its limit goes through the form's rules.
    draft = ParkDraft.of(longest(0))
    draft.focus = "; ".join(FOCUS_VOCABULARY[:12])
    draft.aliases = "; ".join(f"alias {i} " + "a" * 30 for i in range(9))
    assert len(draft.aliases) <= 400
    assert parks.validate(draft).name == longest(0).name
    await parks.import_records([longest(n) for n in range(20)])

    for who in (sam, li):
        info = await discord.slash(who, "park info", name="longest-1")
        assert info.ephemeral and info.embeds[0]["title"].startswith("🇮🇸 Longest 1 ")
        shared = await discord.click(who, info, label="Share" if who is sam else "分享")
        assert not shared.ephemeral and shared.embeds
        listed = await discord.slash(who, "park list", country="IS")
        assert listed.embeds and len(listed.embeds[0]["description"]) <= 4096
        found = await discord.slash(who, "park search", query="longest 1 " + "ą" * 90)
        assert found.embeds
    edit = await discord.slash(sam, "park-admin edit", name="longest-2")
    assert edit.modal is not None
    inputs = edit.modal.inputs
    for custom_id, limit in (
        ("park:name", 200),
        ("park:local_name", 200),
        ("park:aliases", 400),
        ("park:focus", 400),
        ("park:description", 1000),
    ):
        assert inputs[custom_id]["max_length"] == limit
        assert len(inputs[custom_id].get("value") or "") <= limit
    saved = await discord.submit_modal(sam, edit.modal, {})  # the form as it opened saves unchanged
    assert saved.content == f"{longest(2).name} was updated."
    assert parks.get("longest-2") == longest(2)
