"""Domain errors: a service refuses with a message a user can act on.

The message is an English source string marked with ``_`` and its placeholders are kept apart, so
the one error handler can translate it into the reader's language.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import translate


class DomainError(Exception):
    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(translate(message, None, **params))  # English, for logs
        self.message = message
        self.params = params


class NotFound(DomainError):
    """Something the user named does not exist."""
