"""The directory's statistics chart for the web (``/parks/stats.png``), drawn with matplotlib's Agg
backend in a worker thread: parks per country (top 15), per region, per founding decade.

Labels are in the reader's language when an installed font draws them (Chinese needs a CJK font),
else in English, rather than boxes.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from functools import cache

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from bot.i18n import DEFAULT_LANGUAGE, country_name, translate
from bot.web.strings import CHART_COUNTRIES, CHART_DECADE, CHART_DECADES, CHART_REGIONS, CHART_TITLE

TOP = 15
DEFAULT_FAMILY = "DejaVu Sans"


@cache
def _fonts() -> dict[str, frozenset[int]]:
    fonts: dict[str, frozenset[int]] = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.name in fonts or "Last Resort" in entry.name or entry.style != "normal":
            continue
        try:
            fonts[entry.name] = frozenset(FT2Font(entry.fname).get_charmap())
        except (OSError, RuntimeError):
            continue
    return fonts


def families_for(texts: Iterable[str]) -> list[str] | None:
    """Font families that draw every character of ``texts`` between them, or None."""
    fonts = _fonts()
    missing = {ord(ch) for text in texts for ch in text if not ch.isspace()}
    families = [DEFAULT_FAMILY]
    missing -= fonts.get(DEFAULT_FAMILY, frozenset())
    while missing:
        best = max(fonts, key=lambda name: len(missing & fonts[name]), default=None)
        if best is None or not missing & fonts[best]:
            return None
        families.append(best)
        missing -= fonts[best]
    return families


def directory_png(
    by_country: Counter[str], by_region: Counter[str], by_decade: Counter[int], language: str
) -> bytes:
    families: list[str] | None = None
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        title = translate(CHART_TITLE, lang, count=sum(by_country.values()))
        headings = (
            translate(CHART_COUNTRIES, lang, count=TOP),
            translate(CHART_REGIONS, lang),
            translate(CHART_DECADES, lang),
        )
        countries = [(country_name(c, lang), n) for c, n in by_country.most_common(TOP)[::-1]]
        regions = [(translate(r, lang), n) for r, n in sorted(by_region.items(), key=lambda i: i[1])]
        decades = [(translate(CHART_DECADE, lang, decade=d), n) for d, n in sorted(by_decade.items())]
        families = families_for([title, *headings, *(name for name, _n in countries + regions + decades)])
        if families is not None:
            break
    font = FontProperties(family=families or [DEFAULT_FAMILY])
    figure = Figure(figsize=(15, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    for ax, bars, color, horizontal in (
        (axes[0], countries, "#c8102e", True),
        (axes[1], regions, "#1f4e79", True),
        (axes[2], decades, "#2e8b57", False),
    ):
        positions = range(len(bars))
        if horizontal:
            ax.barh(positions, [n for _name, n in bars], color=color)
            ax.set_yticks(positions, labels=[name for name, _n in bars], fontproperties=font)
            ax.grid(axis="x", alpha=0.3)
        else:
            ax.bar(positions, [n for _name, n in bars], color=color)
            ax.set_xticks(positions, labels=[name for name, _n in bars], fontproperties=font, rotation=45)
            ax.grid(axis="y", alpha=0.3)
    for ax, heading in zip(axes, headings, strict=True):
        ax.set_title(heading, fontproperties=font)
    figure.suptitle(title, fontproperties=font)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
