"""Charts as PNG bytes, drawn with matplotlib's Agg backend (no display, safe in a worker thread)."""

from __future__ import annotations

import io
from collections import Counter

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

TOP_COUNTRIES = 15


def directory_chart(
    by_country: Counter[str],
    by_region: Counter[str],
    by_decade: Counter[int],
    *,
    title: str,
    labels: tuple[str, str, str],
    country_names: dict[str, str] | None = None,
) -> bytes:
    """Three bar charts side by side: parks per country (top 15), per region, per founding decade."""
    figure = Figure(figsize=(15, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    names = country_names or {}
    countries = by_country.most_common(TOP_COUNTRIES)[::-1]
    axes[0].barh([names.get(c, c) for c, _ in countries], [n for _, n in countries], color="#c8102e")
    regions = sorted(by_region.items(), key=lambda item: item[1])
    axes[1].barh([r for r, _ in regions], [n for _, n in regions], color="#1f4e79")
    decades = sorted(by_decade.items())
    axes[2].bar([f"{d}s" for d, _ in decades], [n for _, n in decades], color="#2e8b57")
    axes[2].tick_params(axis="x", labelrotation=45)
    for ax, label in zip(axes, labels, strict=True):
        ax.set_title(label)
        ax.grid(axis="x" if ax is not axes[2] else "y", alpha=0.3)
    figure.suptitle(title, fontsize=14)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
