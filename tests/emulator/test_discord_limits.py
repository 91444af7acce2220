"""Limits the emulator enforces the way Discord does, checked on the wire (status, JSON code and
the path in the ``errors`` body): command size, deferred-response flags, interaction rate-limit
buckets and guild scheduled events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
import pytest

from tests.emulator.form_errors import errors_at, refusal
from tests.emulator.test_discord_rules import call, callback_path, new_command_interaction
from tests.fakediscord import FakeDiscord, Perm, connected
from tests.fakediscord.rules import command_size, validate_commands, validate_deferred

from .plain_bot import make_bot

pytestmark = pytest.mark.e2e

TOO_LARGE = {"code": "APPLICATION_COMMAND_TOO_LARGE", "message": "Command exceeds maximum size (8000)"}


# -- application commands: 8000 characters per command ---------------------------------------------


def sized_command(extra: int = 0) -> dict[str, Any]:
    """A valid command of exactly ``8000 + extra`` counted characters."""
    big = [{"name": f"{i:02d}" + "n" * 98, "value": "v" * 100} for i in range(25)]  # 25 * 200
    rest = [{"name": f"{i:02d}" + "m" * 98, "value": "w" * 100} for i in range(13)]  # 13 * 200
    rest.append({"name": "x" * 45, "value": "y" * (50 + extra)})
    return {
        "name": "big",  # 3
        "description": "d" * 100,  # 100
        "type": 1,
        "options": [
            {"name": "a", "description": "a" * 100, "type": 3, "choices": big},  # 1 + 100 + 5000
            {"name": "b", "description": "b" * 100, "type": 3, "choices": rest},  # 1 + 100 + 2600 + 95
        ],
    }


def test_command_of_8000_characters_passes() -> None:
    command = sized_command()
    assert command_size(command) == 8000
    validate_commands([command])


def test_command_over_8000_characters_is_refused_at_its_index() -> None:
    command = sized_command(1)
    assert command_size(command) == 8001
    errors = refusal(validate_commands, [{"name": "ok", "description": "fine", "type": 1}, command])
    assert errors == {"1": {"_errors": [TOO_LARGE]}}


def test_only_the_longest_localization_of_a_field_counts() -> None:
    command = sized_command()
    # Many translations of the description, none longer than it: still 8000.
    command["description_localizations"] = {loc: "é" * 100 for loc in ("fr", "de", "ja", "ko")}
    validate_commands([command])
    # One option name translated one character longer than its default: 8001.
    command["options"][0]["name_localizations"] = {"fr": "aa"}
    assert command_size(command) == 8001
    assert errors_at(refusal(validate_commands, [command]), [0]) == [TOO_LARGE]


def test_subcommands_count_towards_their_root_command() -> None:
    leaf = sized_command()
    leaf["type"] = 1  # a sub-command holding the same options
    root = {"name": "root", "description": "r", "type": 1, "options": [leaf]}  # 4 + 1 more
    assert command_size(root) == 8005
    assert errors_at(refusal(validate_commands, [root]), [0]) == [TOO_LARGE]


async def test_bulk_overwrite_answers_command_too_large(fake_discord: FakeDiscord) -> None:
    path = f"/applications/{fake_discord.application_id}/commands"
    status, body, _ = await call(fake_discord, "PUT", path, [sized_command(1)])
    assert (status, body) == (
        400,
        {"message": "Invalid Form Body", "code": 50035, "errors": {"0": {"_errors": [TOO_LARGE]}}},
    )
    assert fake_discord.commands() == []


# -- deferred channel message (type 5): EPHEMERAL is the only flag ---------------------------------


@pytest.mark.parametrize("flags", [None, 0, 64])
def test_deferred_response_takes_ephemeral_only(flags: int | None) -> None:
    validate_deferred({"flags": flags})
    validate_deferred(None)


@pytest.mark.parametrize(
    "flags", [4, 4096, 64 | 4096, 32768, 64 | 32768], ids=["embeds", "silent", "eph+silent", "v2", "eph+v2"]
)
def test_deferred_response_refuses_other_flags(flags: int) -> None:
    errors = refusal(validate_deferred, {"flags": flags})
    assert errors_at(errors, ["data", "flags"])[0]["code"] == "MESSAGE_FLAGS_INVALID"


async def test_deferred_callback_with_other_flags_is_refused(fake_discord: FakeDiscord) -> None:
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    status, body, _ = await call(
        fake_discord, "POST", callback_path(inter), {"type": 5, "data": {"flags": 64 | 4096}}, auth=False
    )
    assert status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert body["errors"] == {
        "data": {
            "flags": {
                "_errors": [
                    {
                        "code": "MESSAGE_FLAGS_INVALID",
                        "message": "Only EPHEMERAL can be set when deferring a response",
                    }
                ]
            }
        }
    }
    assert not inter.acknowledged  # a refused callback does not count as the response
    ok = await call(
        fake_discord, "POST", callback_path(inter), {"type": 5, "data": {"flags": 64}}, auth=False
    )
    assert ok[0] == 204
    assert inter.original is not None and inter.original.ephemeral


async def test_update_message_needs_a_component_interaction(fake_discord: FakeDiscord) -> None:
    inter = new_command_interaction(fake_discord, fake_discord.add_member("alice"))
    for cb_type in (6, 7):
        status, body, _ = await call(
            fake_discord, "POST", callback_path(inter), {"type": cb_type}, auth=False
        )
        assert status == 400 and body["code"] == 50035
        assert errors_at(body["errors"], ["type"])[0]["code"] == "INTERACTION_RESPONSE_TYPE_INVALID"


# -- rate limits: interactions have their own buckets and no global limit ---------------------------


async def test_interaction_callbacks_are_per_interaction_and_not_global(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    fake_discord.ratelimits.enable(per_route=1, period=30.0, global_per_second=1)
    # The bot's one request this second uses up the global limit...
    assert (await call(fake_discord, "GET", "/users/@me"))[0] == 200
    status, body, headers = await call(fake_discord, "GET", "/users/@me")
    assert (status, body["global"], headers["X-RateLimit-Scope"]) == (429, True, "global")
    # ...yet every interaction still gets its callback through, each in its own bucket.
    for _ in range(3):
        inter = new_command_interaction(fake_discord, alice)
        reply = {"type": 4, "data": {"content": "hi"}}
        assert (await call(fake_discord, "POST", callback_path(inter), reply, auth=False))[0] == 204
    assert fake_discord.ratelimits.hits["POST /interactions/{interaction_id}/{token}/callback"] == 0


async def test_followups_are_bucketed_per_application_and_token(fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member("alice")
    first, second = (new_command_interaction(fake_discord, alice) for _ in range(2))
    for inter in (first, second):
        await call(fake_discord, "POST", callback_path(inter), {"type": 5}, auth=False)
    fake_discord.ratelimits.enable(per_route=1, period=30.0, global_per_second=1)
    app = fake_discord.application_id

    def followup(inter: Any, text: str) -> Any:
        return call(fake_discord, "POST", f"/webhooks/{app}/{inter.token}", {"content": text}, auth=False)

    assert (await followup(first, "one"))[0] == 200
    status, body, headers = await followup(first, "two")
    assert (status, body["global"], headers["X-RateLimit-Scope"]) == (429, False, "user")
    # Another token is another bucket, and the global limit (1/s, spent above) does not apply.
    assert (await followup(second, "one"))[0] == 200
    edit = f"/webhooks/{app}/{second.token}/messages/@original"
    assert (await call(fake_discord, "PATCH", edit, {"content": "edited"}, auth=False))[0] == 200


async def test_dm_sends_stay_per_channel_and_globally_limited(fake_discord: FakeDiscord) -> None:
    alice, bob = fake_discord.add_member("alice"), fake_discord.add_member("bob")
    to_alice, to_bob = fake_discord.dm_channel(alice), fake_discord.dm_channel(bob)
    fake_discord.ratelimits.enable(per_route=1, period=30.0, global_per_second=None)
    send = "/channels/{}/messages"
    assert (await call(fake_discord, "POST", send.format(to_alice.id), {"content": "a"}))[0] == 200
    status, body, _ = await call(fake_discord, "POST", send.format(to_alice.id), {"content": "a2"})
    assert (status, body["global"]) == (429, False)
    assert (await call(fake_discord, "POST", send.format(to_bob.id), {"content": "b"}))[0] == 200

    fake_discord.ratelimits.enable(per_route=50, period=30.0, global_per_second=1)
    carol = fake_discord.add_member("carol")
    to_carol = fake_discord.dm_channel(carol)
    assert (await call(fake_discord, "POST", send.format(to_carol.id), {"content": "c"}))[0] == 200
    status, body, headers = await call(fake_discord, "POST", send.format(to_carol.id), {"content": "c2"})
    assert (status, body["global"], headers["X-RateLimit-Global"]) == (429, True, "true")


# -- guild scheduled events -------------------------------------------------------------------------


def iso(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


def external(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Demo day",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "Hall A"},
        "scheduled_start_time": iso(dt.timedelta(days=1)),
        "scheduled_end_time": iso(dt.timedelta(days=1, hours=2)),
        **extra,
    }


def events_path(fake: FakeDiscord, event_id: Any = None) -> str:
    path = f"/guilds/{fake.guild.id}/scheduled-events"
    return path if event_id is None else f"{path}/{event_id}"


async def form_refusal(fake: FakeDiscord, method: str, path: str, body: Any) -> dict[str, Any]:
    status, answer, _ = await call(fake, method, path, body)
    assert (status, answer["code"], answer["message"]) == (400, 50035, "Invalid Form Body"), answer
    return answer["errors"]  # type: ignore[no-any-return]


AT = iso(dt.timedelta(days=3))


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        pytest.param(
            external(scheduled_start_time=iso(-dt.timedelta(minutes=1))),
            ["scheduled_start_time"],
            "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
            id="start-in-past",
        ),
        pytest.param(
            external(scheduled_end_time=iso(dt.timedelta(hours=23))),
            ["scheduled_end_time"],
            "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            id="end-before-start",
        ),
        pytest.param(
            external(scheduled_start_time=AT, scheduled_end_time=AT),
            ["scheduled_end_time"],
            "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            id="end-at-start",
        ),
        pytest.param(
            external(entity_metadata=None),
            ["entity_metadata", "location"],
            "BASE_TYPE_REQUIRED",
            id="no-location",
        ),
        pytest.param(
            external(entity_metadata={"location": "x" * 101}),
            ["entity_metadata", "location"],
            "BASE_TYPE_BAD_LENGTH",
            id="long-location",
        ),
        pytest.param(
            external(scheduled_end_time=None),
            ["scheduled_end_time"],
            "BASE_TYPE_REQUIRED",
            id="external-no-end",
        ),
        pytest.param(
            {k: v for k, v in external().items() if k != "privacy_level"},
            ["privacy_level"],
            "BASE_TYPE_REQUIRED",
            id="no-privacy-level",
        ),
        pytest.param(external(privacy_level=1), ["privacy_level"], "BASE_TYPE_CHOICES", id="public-privacy"),
        pytest.param(
            external(scheduled_start_time="tomorrow"),
            ["scheduled_start_time"],
            "DATE_TYPE_PARSE",
            id="bad-date",
        ),
        pytest.param(
            external(entity_type=2, channel_id=None),
            ["channel_id"],
            "BASE_TYPE_REQUIRED",
            id="voice-no-channel",
        ),
    ],
)
async def test_create_event_refusals(
    fake_discord: FakeDiscord, body: dict[str, Any], path: list[str], code: str
) -> None:
    errors = await form_refusal(fake_discord, "POST", events_path(fake_discord), body)
    assert errors_at(errors, path)[0]["code"] == code
    assert fake_discord.guild.scheduled_events == {}


async def test_body_cannot_set_id_guild_or_creator(fake_discord: FakeDiscord) -> None:
    forged = {"id": "1", "guild_id": "2", "creator_id": "3", "status": 2, "user_count": 99}
    status, event, _ = await call(fake_discord, "POST", events_path(fake_discord), external(**forged))
    assert status == 200
    assert event["id"] != "1" and event["guild_id"] == str(fake_discord.guild.id)
    assert event["creator_id"] == str(fake_discord.bot_user.id)
    assert (event["status"], event["user_count"]) == (1, 0)
    status, edited, _ = await call(
        fake_discord, "PATCH", events_path(fake_discord, event["id"]), {**forged, "status": 1, "name": "New"}
    )
    assert status == 200 and edited["name"] == "New"
    assert (edited["id"], edited["guild_id"], edited["creator_id"]) == (
        event["id"],
        event["guild_id"],
        event["creator_id"],
    )
    assert list(fake_discord.guild.scheduled_events) == [int(event["id"])]


async def test_status_transitions_and_finished_events(fake_discord: FakeDiscord) -> None:
    _, event, _ = await call(fake_discord, "POST", events_path(fake_discord), external())
    path = events_path(fake_discord, event["id"])
    # SCHEDULED cannot jump to COMPLETED.
    errors = await form_refusal(fake_discord, "PATCH", path, {"status": 3})
    assert errors_at(errors, ["status"])[0]["code"] == "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION"
    assert (await call(fake_discord, "PATCH", path, {"status": 2}))[1]["status"] == 2
    # ACTIVE cannot go back to SCHEDULED nor be cancelled.
    for status in (1, 4):
        errors = await form_refusal(fake_discord, "PATCH", path, {"status": status})
        assert "status" in errors
    assert (await call(fake_discord, "PATCH", path, {"status": 3}))[1]["status"] == 3
    # A COMPLETED event takes no update at all, but can be deleted.
    for body in ({"name": "Again"}, {"status": 2}, {"status": 3}):
        status, answer, _ = await call(fake_discord, "PATCH", path, body)
        assert (status, answer) == (400, {"message": "Cannot update a finished event", "code": 180000})
    assert (await call(fake_discord, "DELETE", path))[0] == 204

    _, other, _ = await call(fake_discord, "POST", events_path(fake_discord), external())
    other_path = events_path(fake_discord, other["id"])
    assert (await call(fake_discord, "PATCH", other_path, {"status": 4}))[1]["status"] == 4
    status, answer, _ = await call(fake_discord, "PATCH", other_path, {"description": "x"})
    assert (status, answer["code"]) == (400, 180000)


async def test_editing_checks_the_times_it_changes(fake_discord: FakeDiscord) -> None:
    _, event, _ = await call(fake_discord, "POST", events_path(fake_discord), external())
    path = events_path(fake_discord, event["id"])
    errors = await form_refusal(
        fake_discord, "PATCH", path, {"scheduled_start_time": iso(-dt.timedelta(hours=1))}
    )
    assert errors_at(errors, ["scheduled_start_time"])[0]["code"] == "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
    # A new start after the stored end.
    errors = await form_refusal(
        fake_discord, "PATCH", path, {"scheduled_start_time": iso(dt.timedelta(days=2))}
    )
    assert errors_at(errors, ["scheduled_end_time"])[0]["code"] == "GUILD_SCHEDULED_EVENT_END_BEFORE_START"
    # Switching a voice event to EXTERNAL needs a location and an end time.
    voice = fake_discord.add_channel("Lounge", type=2)
    fake_discord.set_permissions(voice, fake_discord.bot_role, allow=Perm.CONNECT)
    body = external(entity_type=2, channel_id=str(voice.id))
    del body["entity_metadata"], body["scheduled_end_time"]
    status, voice_event, _ = await call(fake_discord, "POST", events_path(fake_discord), body)
    assert status == 200, voice_event
    errors = await form_refusal(
        fake_discord,
        "PATCH",
        events_path(fake_discord, voice_event["id"]),
        {"entity_type": 3, "channel_id": None},
    )
    assert errors_at(errors, ["entity_metadata", "location"])[0]["code"] == "BASE_TYPE_REQUIRED"
    assert errors_at(errors, ["scheduled_end_time"])[0]["code"] == "BASE_TYPE_REQUIRED"


async def test_event_permissions_follow_discord(fake_discord: FakeDiscord) -> None:
    _, own, _ = await call(fake_discord, "POST", events_path(fake_discord), external())
    someone_elses = {**own, "id": str(fake_discord.em.ids.next()), "creator_id": str(fake_discord.owner.id)}
    fake_discord.guild.scheduled_events[int(someone_elses["id"])] = someone_elses
    missing = (403, {"message": "Missing Permissions", "code": 50013})

    # Create Events: create, and edit or delete the bot's own events only.
    fake_discord.edit_role(fake_discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.CREATE_EVENTS)
    assert (await call(fake_discord, "POST", events_path(fake_discord), external()))[0] == 200
    assert (await call(fake_discord, "PATCH", events_path(fake_discord, own["id"]), {"name": "Mine"}))[
        0
    ] == 200
    answer = await call(fake_discord, "PATCH", events_path(fake_discord, someone_elses["id"]), {"name": "No"})
    assert answer[:2] == missing
    assert (await call(fake_discord, "DELETE", events_path(fake_discord, someone_elses["id"])))[:2] == missing

    # Manage Events: edit or delete anyone's events, but not create.
    fake_discord.edit_role(fake_discord.bot_role, permissions=Perm.VIEW_CHANNEL | Perm.MANAGE_EVENTS)
    assert (await call(fake_discord, "POST", events_path(fake_discord), external()))[:2] == missing
    answer = await call(
        fake_discord, "PATCH", events_path(fake_discord, someone_elses["id"]), {"name": "Yes"}
    )
    assert answer[0] == 200
    assert (await call(fake_discord, "DELETE", events_path(fake_discord, someone_elses["id"])))[0] == 204


async def test_discord_py_sees_the_refusal(fake_discord: FakeDiscord) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    async with connected(make_bot(), fake_discord) as bot:
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None
        with pytest.raises(discord.HTTPException) as info:
            await guild.create_scheduled_event(
                name="Late",
                start_time=start,
                end_time=start + dt.timedelta(hours=2),
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location="Hall A",
            )
    assert (info.value.status, info.value.code) == (400, 50035)
    assert "scheduled_start_time" in info.value.text
