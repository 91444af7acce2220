"""Hostile values, as Hypothesis strategies, for every kind of option and form field.

Most values are shaped to pass Discord's own checks (cut to the declared length, inside the declared
bounds) so that they reach the bot's services; the rest are what only a broken or malicious client
sends (too long, out of bounds, of the wrong type, a role missing from the resolved data).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hypothesis import strategies as st

# Text that broke bots before: invisible, control and format characters, markup, mentions,
# template and format-string syntax, numbers no id can be, scripts and emoji sequences.
NASTY_TEXT = (
    "",
    " ",
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff" * 20,
    "\u3164\u3164",
    "\u2800",
    "\x00",
    "Park\x00Name",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "\ud800",
    "a\udfffb",
    "\n\n\n",
    "\t",
    "@everyone",
    "@here",
    "<@&1>",
    "<@1> <#1> <t:0:R>",
    "**bold** __u__ ~~s~~ ||spoiler|| `code`",
    "```",
    "{year} {edition} {date} {server}",
    "{0.__class__.__mro__}",
    "{",
    "%s %d %n",
    "' OR '1'='1' --",
    "Robert'); DROP TABLE parks;--",
    "../../etc/passwd",
    "https://",
    "javascript:alert(1)",
    "http://" + "a" * 490,
    "-1",
    "0",
    "1e400",
    "NaN",
    "9" * 30,
    str(2**63),
    str(2**63 - 1),
    str(2**64),
    "#1",
    "#0 x",
    "１２",
    "＃１",
    "中关村科技园区",
    "Zhōngguāncūn",
    "👨\u200d👩\u200d👧\u200d👦",
    "🇨🇳🇩🇪🇺🇸",
    "e\u0301" * 10,
    "\u0300\u0301\u0302",
    "x" * 101,
    "y" * 2001,
    "z" * 6000,
)

_ALL_CHARACTERS = st.characters(codec=None, categories=None)  # surrogates and controls included


# Words a rule accepts, to wrap in nasty text: what survives cleaning is valid, so the nasty part
# reaches the database unless the input layer removes it.
WORDS = ("Zhongguancun", "Science Park 2027", "中关村科技园区", "Tsinghua University", "Shanghai", "Kazan")
_NASTY_BITS = (
    "\x00",
    "\u200b",
    "\u202e",
    "\x1b[31m",
    "\ud800",
    "\ufeff",
    "\u3164",
    "\t",
    "\r\n",
    "e\u0301",
    "  ",
)


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def wrapped() -> st.SearchStrategy[str]:
    """A valid word with nasty characters before, inside and after it."""
    return st.builds(
        lambda before, word, inside, after: before + word[:3] + inside + word[3:] + after,
        st.sampled_from(_NASTY_BITS),
        st.sampled_from(WORDS),
        st.sampled_from(_NASTY_BITS),
        st.sampled_from(_NASTY_BITS),
    )


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def text(max_size: int = 300) -> st.SearchStrategy[str]:
    """Any text, weighted towards the nasty."""
    return st.one_of(
        wrapped(),
        st.sampled_from(NASTY_TEXT),
        wrapped(),
        st.sampled_from(NASTY_TEXT),
        st.text(_ALL_CHARACTERS, max_size=max_size),
        st.text(st.characters(categories=("Cc", "Cf", "Zs", "Mn")), min_size=1, max_size=40),
        st.builds(lambda char, count: char * count, st.sampled_from("a \u200b\x00é中"), st.integers(1, 6000)),
    )


@dataclass(frozen=True)
class Known:
    """A name or id that exists in the arena, picked when the value is used (strategies cannot
    see the world: what they draw must not depend on it)."""

    index: int
    padded: bool = False


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def typed(*, max_length: int | None, min_length: int = 0) -> st.SearchStrategy[object]:
    """What lands in a string option: mostly cut to what Discord lets through, sometimes not;
    sometimes a name or id that exists; rarely not a string at all."""
    fitted = text().map(lambda value: value[:max_length] if max_length is not None else value)
    choices: list[st.SearchStrategy[object]] = [fitted, fitted, fitted, text()]
    choices.append(st.builds(Known, st.integers(0, 2**16), st.booleans()))
    if min_length:
        choices.append(st.just("a" * min_length))
    choices.append(st.sampled_from([0, 1.5, True, None, [], {}]))
    return st.one_of(*choices)


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def number(low: int | None, high: int | None, *, whole: bool = True) -> st.SearchStrategy[object]:
    """Within the declared bounds mostly, the bounds themselves, and far outside them."""
    lo = -(2**53) if low is None else low
    hi = 2**53 if high is None else high
    inside = st.integers(lo, hi)
    edges = st.sampled_from([lo, hi, lo - 1, hi + 1, 0, -1, 2**31, 2**53, 2**63, 2**64, 10**30, -(10**30)])
    odd: list[object] = [1.5, -0.0, 1e308, "12", True, None]
    return st.one_of(inside, inside, edges, st.sampled_from(odd))


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def boolean() -> st.SearchStrategy[object]:
    return st.one_of(st.booleans(), st.booleans(), st.sampled_from(["true", 1, None]))


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def file_name() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            ["report.pdf", "../../x.pdf", "a" * 300 + ".pdf", "\u202efdp.exe", ".pdf", "中文.pdf"]
        ),
        text(80).map(lambda name: name + ".pdf"),
    )


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def file_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        st.binary(max_size=200),
        st.just(b""),
    )


# What a careful person would type, by option name or form field id: values that pass the
# structural rules (a date that parses, an address that is one), so that the hostile value of
# another field in the same command reaches its own rule.
PLAUSIBLE: dict[str, tuple[object, ...]] = {
    "starts": ("2027-09-20 09:00", "20 Sep 2027 9am"),
    "ends": ("2027-09-22 17:00", "22 Sep 2027 5pm"),
    "deadline": ("2027-09-01", "2027-09-01 12:00"),
    "time": ("09:00", "17:30"),
    "timezone": ("Europe/Berlin", "Asia/Shanghai", "UTC"),
    "zone": ("Asia/Shanghai", "UTC"),
    "reminders": ("1w,1d", "2h", "30,7"),
    "url": ("https://cisip.org/reports/2026.pdf",),
    "website": ("https://www.zgc.gov.cn",),
    "source": ("https://example.org/source",),
    "domain": ("example.org", "tuspark.example"),
    "email": ("someone@tuspark.example", "a@example.org"),
    "country": ("CN", "China", "中国", "DE"),
    "region": ("East Asia",),
    "focus": ("ICT", "Biotechnology; AI"),
    "established": (1988, 2001),
    "code": ("123456", "000000"),
    "park": ("zhongguancun", "tuspark"),
    "member_type": ("park", "company"),
}
# Fields whose whole point is free text: mostly hostile.
FREE_TEXT = frozenset(
    {
        "title",
        "name",
        "new_name",
        "location",
        "description",
        "summary",
        "reason",
        "message",
        "city",
        "aliases",
        "local_name",
        "query",
        "full_name",
        "organization",
        "text",
    }
)


@dataclass(frozen=True)
class Slot:
    """One form field's value, drawn before the form is seen: hostile text, whether to cut it to
    the field's length, and whether to type something plausible instead (when the field is one
    with a plausible value and is not free text)."""

    hostile: str
    cut: bool
    plausible: bool
    pick: int
    gentle: str  # a valid word wrapped in nasty characters: for forms meant to pass

    def value(self, field: str, max_length: int | None, *, benign: bool = False) -> str:
        """What is typed into the field: hostile text; or, for a ``benign`` form (one meant to be
        accepted, so that what it stores is checked), a plausible value where the field has one and
        the wrapped word in free text."""
        key = field.split(":")[-1]
        options = PLAUSIBLE.get(key)
        if options and (benign or self.plausible) and key not in FREE_TEXT:
            return str(options[self.pick % len(options)])
        if benign:
            return self.gentle[:max_length] if max_length is not None else self.gentle
        return self.hostile[:max_length] if self.cut and max_length is not None else self.hostile


@functools.cache  # one strategy per shape: Hypothesis validates each new one, slowly
def slots(count: int = 6) -> st.SearchStrategy[list[Slot]]:
    slot = st.builds(
        Slot,
        text(),
        st.integers(0, 6).map(bool),  # 1 in 7 is left longer than the field allows
        st.integers(0, 2).map(bool),
        st.integers(0, 2**16),
        wrapped(),
    )
    return st.lists(slot, min_size=count, max_size=count)
