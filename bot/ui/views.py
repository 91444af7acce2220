"""Base views and modals whose errors go through the bot's one error handler."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, Generic, Self, TypeVar

import discord

from bot.fields import MAX_ID
from bot.ui.errors import handle_interaction_error
from bot.ui.replies import send_ephemeral
from bot.ui.text import translator_for


class BotView(discord.ui.View):
    """A view whose errors reach the one error handler; with ``owner_id`` only that user may use it."""

    def __init__(self, *, timeout: float | None = 180.0, owner_id: int | None = None) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        t = await translator_for(interaction)
        await send_ephemeral(
            interaction, t("These buttons belong to someone else: run the command yourself.")
        )
        return False

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await handle_interaction_error(interaction, error)


class BotModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await handle_interaction_error(interaction, error)


SelfT = TypeVar("SelfT")


def guarded(
    callback: Callable[[SelfT, discord.Interaction[Any]], Awaitable[None]],
) -> Callable[[SelfT, discord.Interaction[Any]], Coroutine[Any, Any, None]]:
    """Route a ``DynamicItem`` callback's errors to the bot's error handler.

    discord.py only logs what a dynamic item's callback raises; the member would see
    "This interaction failed". Decorate the callback with this instead.
    """

    @functools.wraps(callback)
    async def wrapper(self: SelfT, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:
            await handle_interaction_error(interaction, exc)

    return wrapper


KeyT = TypeVar("KeyT", int, str)


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], Generic[KeyT], template=r"(?!)"):
    """A button whose state is one key in its custom_id, ``<prefix>:<key>``, so it works after a restart.

    A subclass names its prefix, how to read the key (digits as an ``int`` unless told otherwise), its
    style, emoji and default label as class keywords, and does its work in ``pressed``::

        class LeaveButton(PersistentButton[int], prefix="workshop:leave", label=_("Leave")):
            async def pressed(self, interaction): ...

    Errors in ``pressed`` go to the bot's error handler, like ``guarded`` callbacks.
    """

    prefix: ClassVar[str]
    key_type: ClassVar[Callable[[str], Any]]
    style: ClassVar[discord.ButtonStyle]
    emoji: ClassVar[str | None]
    default_label: ClassVar[str]

    def __init_subclass__(
        cls,
        *,
        prefix: str,
        key: str = "[0-9]+",
        key_type: Callable[[str], Any] = int,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
        label: str,
    ) -> None:
        super().__init_subclass__(template=rf"{re.escape(prefix)}:(?P<key>{key})")
        cls.prefix, cls.key_type, cls.default_label = prefix, key_type, label
        cls.style, cls.emoji = style, emoji

    def __init__(self, key: KeyT, label: str | None = None) -> None:
        """``label`` is the default label translated for whoever will see it."""
        super().__init__(
            discord.ui.Button(
                label=self.default_label if label is None else label,
                style=self.style,
                custom_id=f"{self.prefix}:{key}",
                emoji=self.emoji,
            )
        )
        self.key: KeyT = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        key = cls.key_type(match["key"])
        if isinstance(key, int) and not 0 < key <= MAX_ID:
            key = 0  # a custom id no button of ours carries (a client can send any): nothing has id 0
        return cls(key)

    @guarded
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await self.pressed(interaction)

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


def persistent_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view of persistent items (their state is in their custom ids): no timeout."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
