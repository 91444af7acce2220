"""Errors the emulator answers with, shaped exactly like Discord's JSON error bodies.

Discord answers a refused request with ``{"code": int, "message": str}`` and, for form-body
errors (code 50035), an ``errors`` object that mirrors the payload's shape, with ``_errors`` lists
of ``{"code": "...", "message": "..."}`` at the offending keys.
"""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    """A refusal the emulator sends back as an HTTP response."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def field_error(path: list[str | int], code: str, message: str) -> dict[str, Any]:
    """Build the nested ``errors`` object for one problem at ``path`` in the payload."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {str(key): node}
    return node


def merge_errors(target: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Merge two nested ``errors`` objects (several problems in one payload)."""
    for key, value in extra.items():
        if key == "_errors":
            target.setdefault("_errors", []).extend(value)
        elif isinstance(value, dict):
            merge_errors(target.setdefault(key, {}), value)
    return target


def invalid_form_body(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors)


class FormErrors:
    """Collects every problem in a payload, then raises one 50035 like Discord does."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        merge_errors(self.errors, field_error(path, code, message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid_form_body(self.errors)


# Discord's JSON error codes used by the emulator (docs: topics/Opcodes_and_Status_Codes.md).
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_INTERACTION = 10062
UNKNOWN_APPLICATION_COMMAND = 10063
UNKNOWN_GUILD_SCHEDULED_EVENT = 10070
CANNOT_SEND_TO_USER = 50007
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
INTERACTION_ALREADY_ACKNOWLEDGED = 40060
REQUEST_ENTITY_TOO_LARGE = 40005
UNAUTHORIZED = 0
