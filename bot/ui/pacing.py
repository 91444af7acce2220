"""One pace for every request the bot makes to Discord, so that it never meets the global limit.

Discord allows a bot 50 requests a second across all its routes ("Global Rate Limit", topics/
rate-limits), and counts every 429 toward the invalid-request limit (10,000 in 10 minutes, past
which the address is banned for an hour). discord.py waits out a 429 after receiving it; this
keeps the bot from receiving one: each request takes a slot from one :class:`SteadyPacer` at
``GLOBAL_REQUESTS_PER_SECOND`` (at most 49 in any second, measured when the requests really
go, so a stalled event loop does not release a burst), whoever makes it (a report's DMs,
reminders, welcomes, a start-up's requests, a staff command's edits).

The interaction endpoints (the callback, and the follow-ups on the interaction's webhook) are
"not bound to the application's Global Rate Limit": they are never held, so a member's answer
never waits behind a fan-out.
"""

from __future__ import annotations

from typing import Any

from discord.http import HTTPClient, Route

from bot.services.delivery import SteadyPacer

GLOBAL_REQUESTS_PER_SECOND = 48.0
# Route templates (discord.py's Route.path) of the interaction endpoints.
UNPACED_PREFIXES = ("/interactions/", "/webhooks/{webhook_id}/{webhook_token}")


def is_paced(route: Route) -> bool:
    return not route.path.startswith(UNPACED_PREFIXES)


def pace_requests(http: HTTPClient, pacer: SteadyPacer | None = None) -> SteadyPacer:
    """Make every paced request of ``http`` wait for a slot first (discord.py has no hook for a
    request about to be sent, so its ``request`` is wrapped, on this client only). Returns the
    pacer, shared with whatever else should count against the same limit."""
    pacer = pacer or SteadyPacer(GLOBAL_REQUESTS_PER_SECOND)
    send = http.request

    async def paced_request(route: Route, **options: Any) -> Any:
        if is_paced(route):
            await pacer.acquire()
        return await send(route, **options)

    http.request = paced_request  # type: ignore[method-assign]
    return pacer
