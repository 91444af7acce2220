"""`cisip-bot invite`: the link for the configured application, with the permissions of one list."""

from __future__ import annotations

from functools import reduce
from operator import or_

import pytest

from bot.ui.invite import application_id_from_token
from bot.ui.permissions import SERVER_PERMISSIONS, invite_permissions
from tests.bot.cli_harness import run
from tests.fakediscord import Perm

pytestmark = pytest.mark.usefixtures("clean_environment")

# A bot token's first part is the application id in base64: MTIzNDU2Nzg5MDEyMzQ1Njc4 = 123456789012345678.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"
PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_NICKNAMES
    | Perm.MANAGE_EVENTS
    | Perm.MENTION_EVERYONE
)


def test_the_invite_number_is_every_listed_permission_and_no_other() -> None:
    bits = reduce(or_, (getattr(Perm, need.attribute.upper()) for need in SERVER_PERMISSIONS))
    assert invite_permissions().value == bits == PERMISSIONS == 8992771072
    assert [need.attribute for need in SERVER_PERMISSIONS if not need.required] == ["mention_everyone"]


def test_invite_prints_the_link_of_the_tokens_application(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, err = run(capsys, "invite")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "https://discord.com/oauth2/authorize?client_id=123456789012345678"
        f"&scope=bot+applications.commands&permissions={PERMISSIONS}&integration_type=0"
    )
    assert f"Permissions ({PERMISSIONS}):" in out
    assert "  Manage Roles: give and take the verified, unverified and member-type roles" in lines
    assert any(
        line.startswith("  Mention @everyone, @here and All Roles (optional): ping a role that is not")
        for line in lines
    )
    assert "above the verified, unverified and member-type roles" in out
    assert TOKEN not in out


def test_invite_without_a_token_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "invite")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("cisip-bot: DISCORD_TOKEN is not set: ")


def test_invite_with_a_token_that_carries_no_id_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hello_world = "aGVsbG8gd29ybGQ"  # base64 of "hello world", not of an id
    monkeypatch.setenv("DISCORD_TOKEN", f"{hello_world}.GaBcDe.abcdefghijklmnopqrstuvwxyz012345")
    code, out, err = run(capsys, "invite")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "DISCORD_TOKEN does not carry an application id" in err
    assert "aGVsbG8" not in err


@pytest.mark.parametrize("first", ["", "!!!!", "MTIz", "aGVsbG8"])
def test_a_token_without_an_application_id_is_refused(first: str) -> None:
    with pytest.raises(ValueError):
        application_id_from_token(f"{first}.GaBcDe.abc")
