"""Options that name one thing (a report, a workshop, a park): one converter for all of them.

Autocomplete offers the things the reader may pick (nothing at all, for a staff-only option and a
reader who is not staff); the value it sends is an id. But a member can also type text and press
enter without picking, paste a number of any size, or keep an id of something since deleted. The
capability's service decides what the text names (an id, a ``#12 Title`` choice, an exact title)
and refuses everything else with one clear message ("No workshop matches '...'"); the command
receives the thing itself.

    WorkshopOption = app_commands.Transform[Workshop, Reference(WORKSHOP_REFERENCE, find, choices)]

    async def info(self, interaction, workshop: WorkshopOption) -> None: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType

from bot.fields import TextField
from bot.ui.checks import is_staff
from bot.ui.limits import CHOICE_NAME, fit

T = TypeVar("T")
ChoiceValue = int | float | str
# (interaction, what was typed, whether the reader is staff) -> the thing, or a DomainError.
Finder = Callable[[discord.Interaction[Any], str, bool], Awaitable[T]]
# (interaction, what is being typed, whether the reader is staff) -> (label, value) pairs.
Suggester = Callable[[discord.Interaction[Any], str, bool], Awaitable[list[tuple[str, str]]]]

MAX_CHOICES = 25


class Reference(app_commands.Transformer[Any], Generic[T]):
    """A string option naming one ``T``: checked and looked up before the command runs."""

    def __init__(
        self, field: TextField, find: Finder[T], suggest: Suggester, *, staff_only: bool = False
    ) -> None:
        super().__init__()
        self.field = field
        self.find = find
        self.suggest = suggest
        self.staff_only = staff_only

    @property
    def type(self) -> AppCommandOptionType:
        return AppCommandOptionType.string

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return self.field.max_length

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> T:
        # Staff-only commands check who asks before their options are converted (discord.py runs
        # checks first), so ``staff`` here only decides what a reader may see.
        return await self.find(interaction, str(value), await is_staff(interaction))

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: ChoiceValue, /
    ) -> list[app_commands.Choice[str]]:
        staff = await is_staff(interaction)
        if self.staff_only and not staff:
            return []  # a staff command suggests nothing to anyone else
        typed = str(value)[: self.field.max_length]
        return [
            app_commands.Choice(name=fit(label, CHOICE_NAME) or value, value=fit(value, CHOICE_NAME))
            for label, value in (await self.suggest(interaction, typed, staff))[:MAX_CHOICES]
        ]
