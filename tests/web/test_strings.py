"""Every text a template shows goes through the bot's catalogs: each ``t("...")`` of a template is a
source string of bot/web/strings.py (which the catalog checks of tests/bot/test_i18n.py see), and
each string listed there is used by a template."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import catalog
from bot.web.strings import TEMPLATE_STRINGS

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "web" / "templates"
_CALL = re.compile(r"""\bt\((["'])(.*?)\1""")


def template_texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.glob("*.html")):
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), path.name)
    return found


def test_every_template_text_is_a_marked_source_string() -> None:
    texts = template_texts()
    assert len(texts) > 40
    unmarked = {text: where for text, where in texts.items() if text not in TEMPLATE_STRINGS}
    assert not unmarked, f"add these to bot/web/strings.py: {unmarked}"
    unused = set(TEMPLATE_STRINGS) - set(texts)
    assert not unused, f"no template uses: {unused}"


def test_templates_write_no_text_outside_t() -> None:
    """Between tags, only placeholders and punctuation: a sentence typed into a template would not be
    translated."""
    for path in sorted(TEMPLATES.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        html = re.sub(r"\{[{%#].*?[}%#]\}", "", html, flags=re.DOTALL)  # Jinja
        html = re.sub(r"<[^>]*>", "\n", html)  # tags
        words = {word for word in re.findall(r"[A-Za-z]{3,}", html)}
        assert words <= {"CISIP", "API"}, (path.name, words)  # names, the same in every language


def test_the_chinese_catalog_translates_every_template_text() -> None:
    chinese = catalog("zh-CN")
    assert all(text in chinese for text in TEMPLATE_STRINGS)
