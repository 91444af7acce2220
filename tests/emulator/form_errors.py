"""Reading the emulator's 400 / 50035 "Invalid Form Body" refusals in rule tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fakediscord.errors import DiscordError


def refusal(validate: Callable[..., None], payload: Any, **kwargs: Any) -> dict[str, Any]:
    """Assert ``validate`` refuses ``payload`` like Discord does; returns the ``errors`` body."""
    with pytest.raises(DiscordError) as info:
        validate(payload, **kwargs)
    error = info.value
    assert (error.status, error.code, error.message) == (400, 50035, "Invalid Form Body")
    assert error.errors is not None
    return error.errors


def errors_at(errors: dict[str, Any], path: list[str | int]) -> list[dict[str, str]]:
    """The ``_errors`` list at ``path`` in a nested errors body."""
    node = errors
    for key in path:
        node = node[str(key)]
    return node["_errors"]  # type: ignore[no-any-return]
