"""A loopback Discord (REST v10 + gateway) that real discord.py clients connect to in tests.

Modules: ``state`` (entities, permissions, mentions), ``server`` (aiohttp app, request pipeline:
record, faults, auth, rate limits), ``rest`` (routes), ``messages``, ``interactions`` (callbacks,
follow-ups, deadlines), ``gateway`` (sessions, RESUME, zlib-stream), ``ratelimit`` (buckets,
faults), ``rules`` (payload validation), ``dsl`` (what tests call), ``harness`` (run a client).

Typical test::

    async def test_ping(fake_discord: FakeDiscord) -> None:
        alice = fake_discord.add_member("alice", roles=["Verified"])
        async with connected(make_bot(), fake_discord, sync_commands=True):
            reply = await fake_discord.slash(alice, "ping")
        assert reply.content == "pong"

Knobs on the emulator (``fake_discord.em``): ``interaction_timeout`` (3 s), ``token_lifetime``
(15 min), ``advance(seconds)``, ``ratelimits.enable(...)``, ``faults.fail(...)/hang(...)/lose_answer(...)``,
``gateway.drop()``, ``gateway.sessions`` (several clients on one token each get every dispatch of
their shard), ``requests`` / ``requests_to(method, route)``.
"""

from .dsl import FakeDiscord, Modal, Reply
from .harness import connected, sync_tree
from .server import Emulator
from .state import Perm

__all__ = ["Emulator", "FakeDiscord", "Modal", "Perm", "Reply", "connected", "sync_tree"]
