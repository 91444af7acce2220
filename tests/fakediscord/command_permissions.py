"""Application command permissions: the overwrites a server admin sets in Server Settings >
Integrations > the app > Manage, and the endpoints an app reads them with.

interactions/application-commands, "Application Command Permissions Object": one object per
command (``id`` = the command id) or for the whole app (``id`` = the application id), each with
overwrites ``{"id", "type", "permission"}`` for a role (1), a user (2) or a channel (3); the
``@everyone`` role's id is the guild id and "All Channels" is ``guild_id - 1``.

- ``GET /applications/{app}/guilds/{guild}/commands/permissions``: every object that has overwrites
  in the guild (an empty list when none does).
- ``GET /applications/{app}/guilds/{guild}/commands/{command}/permissions``: one object, or 404
  Unknown application command permissions (10066) when the command has no overwrites there.

Only the app reads them here: writing them takes a user's Bearer token, so tests set them with
``FakeDiscord.set_command_permission`` (as an admin would in the client), which also dispatches
APPLICATION_COMMAND_PERMISSIONS_UPDATE. ``refuse_command_permissions`` makes both endpoints answer
403 Missing Access, as Discord does to an app it does not let read them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import MISSING_ACCESS, UNKNOWN_APPLICATION_COMMAND, DiscordError

if TYPE_CHECKING:
    from .server import ApiRequest, Emulator

UNKNOWN_APPLICATION_COMMAND_PERMISSIONS = 10066

# Application command permission types.
ROLE, USER, CHANNEL = 1, 2, 3


class CommandPermissions:
    """Overwrites per guild, then per command id (or the application id for the whole app)."""

    def __init__(self, em: Emulator) -> None:
        self.em = em
        self.by_guild: dict[int, dict[int, dict[tuple[int, int], bool]]] = {}
        self.refused = False

    def set(self, guild_id: int, target_id: int, overwrite_id: int, kind: int, allowed: bool | None) -> None:
        """Allow (True), deny (False) or remove (None) one overwrite, then tell connected apps."""
        per_target = self.by_guild.setdefault(guild_id, {}).setdefault(target_id, {})
        if allowed is None:
            per_target.pop((overwrite_id, kind), None)
        else:
            per_target[(overwrite_id, kind)] = allowed
        self.em.gateway.dispatch("APPLICATION_COMMAND_PERMISSIONS_UPDATE", self.to_json(guild_id, target_id))

    def to_json(self, guild_id: int, target_id: int) -> dict[str, Any]:
        overwrites = self.by_guild.get(guild_id, {}).get(target_id, {})
        return {
            "id": str(target_id),
            "application_id": str(self.em.application_id),
            "guild_id": str(guild_id),
            "permissions": [
                {"id": str(overwrite_id), "type": kind, "permission": allowed}
                for (overwrite_id, kind), allowed in overwrites.items()
            ],
        }

    def in_guild(self, guild_id: int) -> list[dict[str, Any]]:
        return [
            self.to_json(guild_id, target_id)
            for target_id, overwrites in self.by_guild.get(guild_id, {}).items()
            if overwrites
        ]


def register_command_permission_routes(em: Emulator) -> None:
    """Register before ``.../commands/{command_id}``, which would otherwise take ``permissions``."""
    store = em.command_permissions
    route = em.route

    def guild_id_of(api: ApiRequest) -> int:
        if api.params["application_id"] != str(em.application_id) or store.refused:
            raise DiscordError(403, MISSING_ACCESS, "Missing Access")
        try:
            guild_id = int(api.params["guild_id"])
        except ValueError:
            guild_id = -1
        if guild_id not in em.world.guilds:
            raise DiscordError(403, MISSING_ACCESS, "Missing Access")
        return guild_id

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
    async def all_command_permissions(api: ApiRequest) -> Any:
        return store.in_guild(guild_id_of(api))

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}/permissions")
    async def command_permissions(api: ApiRequest) -> Any:
        guild_id = guild_id_of(api)
        command_id = api.params["command_id"]
        known = {c["id"] for scope in (None, guild_id) for c in em.commands.get(scope, [])}
        if command_id not in known and command_id != str(em.application_id):
            raise DiscordError(404, UNKNOWN_APPLICATION_COMMAND, "Unknown application command")
        found = store.to_json(guild_id, int(command_id))
        if not found["permissions"]:
            raise DiscordError(
                404, UNKNOWN_APPLICATION_COMMAND_PERMISSIONS, "Unknown application command permissions"
            )
        return found
