"""The directory's statistics chart as PNG bytes (``/park stats`` and the web's ``/parks/stats.png``),
drawn with matplotlib's Agg backend (no display, safe in a worker thread).

A label is only as readable as the fonts installed: Chinese needs a CJK font (e.g. Noto Sans CJK),
which many servers lack. :func:`font_families` says which installed fonts draw a set of labels, or
that none do, so :func:`stats_chart` falls back to English rather than post a chart of empty boxes.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from functools import cache, partial

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from bot.i18n import DEFAULT_LANGUAGE, _, country_name, translate

TOP_COUNTRIES = 15
TITLE = _("CISIP park directory: {count:n} parks")
COUNTRIES = _("Parks per country (top {count:n})")
REGIONS = _("Parks per region")
DECADES = _("Parks per founding decade")
DECADE = _("{decade}s")
DEFAULT_FAMILY = "DejaVu Sans"  # matplotlib's own font: Latin, Greek, Cyrillic and more
_NOT_A_FONT = "Last Resort"  # matplotlib's fallback draws a box for every character


@cache
def installed_fonts() -> dict[str, frozenset[int]]:
    """Every installed upright regular font family with the characters it draws (read once)."""
    fonts: dict[str, frozenset[int]] = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.name in fonts or _NOT_A_FONT in entry.name or entry.style != "normal":
            continue
        if entry.weight not in (400, "normal", "regular", "book"):
            continue
        try:
            fonts[entry.name] = frozenset(FT2Font(entry.fname).get_charmap())
        except (OSError, RuntimeError):
            continue
    return fonts


def font_families(texts: Iterable[str]) -> list[str] | None:
    """Font families that between them draw every character of ``texts``, or None if none can."""
    fonts = installed_fonts()
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


def directory_chart(
    by_country: Counter[str],
    by_region: Counter[str],
    by_decade: Counter[int],
    *,
    title: str,
    labels: tuple[str, str, str],
    country_names: dict[str, str] | None = None,
    region_names: dict[str, str] | None = None,
    decade_names: dict[int, str] | None = None,
    fonts: list[str] | None = None,
) -> bytes:
    """Three bar charts side by side: parks per country (top 15), per region, per founding decade.

    ``*_names`` give each bar's label (the key itself when absent); ``fonts`` the families to draw
    text with, from :func:`font_families`.
    """
    families = fonts or [DEFAULT_FAMILY]
    font = FontProperties(family=families)
    figure = Figure(figsize=(15, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    countries = by_country.most_common(TOP_COUNTRIES)[::-1]
    regions = sorted(by_region.items(), key=lambda item: item[1])
    decades = sorted(by_decade.items())
    names = country_names or {}
    axes[0].barh(range(len(countries)), [n for _, n in countries], color="#c8102e")
    axes[0].set_yticks(
        range(len(countries)), labels=[names.get(c, c) for c, _ in countries], fontproperties=font
    )
    names = region_names or {}
    axes[1].barh(range(len(regions)), [n for _, n in regions], color="#1f4e79")
    axes[1].set_yticks(range(len(regions)), labels=[names.get(r, r) for r, _ in regions], fontproperties=font)
    decade_label = decade_names or {}
    axes[2].bar(range(len(decades)), [n for _, n in decades], color="#2e8b57")
    axes[2].set_xticks(
        range(len(decades)),
        labels=[decade_label.get(d, f"{d}s") for d, _ in decades],
        fontproperties=font,
        rotation=45,
    )
    for ax, label in zip(axes, labels, strict=True):
        ax.set_title(label, fontproperties=FontProperties(family=families, size="large"))
        ax.grid(axis="x" if ax is not axes[2] else "y", alpha=0.3)
    figure.suptitle(title, fontproperties=FontProperties(family=families, size=14))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def translate_to(language: str, text: str, /, **params: object) -> str:
    return translate(text, language, **params)


def stats_chart(
    by_country: Counter[str], by_region: Counter[str], by_decade: Counter[int], language: str
) -> bytes:
    """The directory chart labelled in ``language`` if the installed fonts can draw it, else in English."""
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        t = partial(translate_to, lang)
        title = t(TITLE, count=sum(by_country.values()))
        labels = (t(COUNTRIES, count=TOP_COUNTRIES), t(REGIONS), t(DECADES))
        countries = {code: country_name(code, lang) for code, _n in by_country.most_common(TOP_COUNTRIES)}
        regions = {region: t(region) for region in by_region}
        decades = {decade: t(DECADE, decade=decade) for decade in by_decade}
        fonts = font_families([title, *labels, *countries.values(), *regions.values(), *decades.values()])
        if fonts is not None or lang == DEFAULT_LANGUAGE:
            break
    return directory_chart(
        by_country,
        by_region,
        by_decade,
        title=title,
        labels=labels,
        country_names=countries,
        region_names=regions,
        decade_names=decades,
        fonts=fonts,
    )
