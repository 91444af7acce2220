"""Message templates with ``{placeholders}``, checked when saved and filled in when sent.

Only the placeholders a feature offers are accepted; ``{{`` and ``}}`` write literal braces. Format
specs, conversions and attribute or index access (``{year:>10}``, ``{server!r}``, ``{year.real}``)
are refused, so a template can never reach anything but the values it is given.
"""

from __future__ import annotations

import string
from collections.abc import Collection
from datetime import datetime
from typing import Any

from bot.errors import DomainError
from bot.i18n import DEFAULT_LANGUAGE, Listing, _, render_moment

_FORMATTER = string.Formatter()


def placeholders_in(template: str) -> list[str]:
    """The placeholder names used in ``template``, or a DomainError when its braces are wrong."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        raise DomainError(
            _(
                "The message has an unmatched brace. Placeholders look like {example}; "
                "write {literal} for a literal brace."
            ),
            example="{year}",
            literal="{{ or }}",
        ) from None
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise DomainError(
                _("'{placeholder}' is not a placeholder: write a bare name such as {example}."),
                example="{year}",
                placeholder="{"
                + (name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else ""))[:40]
                + "}",
            )
        names.append(name)
    return names


def check_placeholders(template: str, allowed: Collection[str]) -> None:
    """A DomainError unless ``template`` uses only ``allowed`` placeholders, well written.

    The text itself (empty, too long, control characters) is the feature's field's to clean first.
    """
    unknown = sorted({name for name in placeholders_in(template) if name not in allowed})
    if unknown:
        raise DomainError(
            _("Unknown placeholder {placeholders}: you can use {allowed}."),
            placeholders=Listing.of(f"{{{name[:40]}}}" for name in unknown[:10]),
            allowed=Listing.of(f"{{{name}}}" for name in sorted(allowed)),
        )


def render(template: str, values: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    """Fill ``template`` in (it was checked when saved; unknown names are left as written).

    A moment (a datetime) is shown as a date, the way whoever shows the text renders moments."""
    out = []
    for literal, name, _spec, _conversion in _FORMATTER.parse(template):
        out.append(literal)
        if name is None:
            continue
        if name not in values:
            out.append(f"{{{name}}}")
        elif isinstance(values[name], datetime):
            out.append(render_moment(values[name], "D", language))
        else:
            out.append(str(values[name]))
    return "".join(out)
