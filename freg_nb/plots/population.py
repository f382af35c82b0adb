"""Figures for the population mirror: the population accounts as a waterfall.

Like the other figures, it takes a table that is already suppressed (``freg_nb.mirror.flows``):
a hidden cell gets no bar, only its label, so the figure tells no more than the table.

    >>> from freg_nb.plots.population import waterfall
    >>> fig = waterfall(freg_nb.mirror.flows(speil, "2024-01-01", "2025-01-01").iloc[0])  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

__all__ = ["waterfall", "STEPS"]

# (column, label, sign): the order of the accounts, start → changes → end
STEPS = (
    ("start", "Start", 0), ("foedte", "Fødte", 1), ("doede", "Døde", -1),
    ("innflyttet_fra_kommune", "Innflyttet fra\nannen kommune", 1), ("innvandret", "Innvandret", 1),
    ("utflyttet_til_kommune", "Utflyttet til\nannen kommune", -1), ("utvandret", "Utvandret", -1),
    ("flyttet_inn_internt", "Flyttet inn\n(internt)", 1), ("flyttet_ut_internt", "Flyttet ut\n(internt)", -1),
    ("slutt", "Slutt", 0),
)
UP, DOWN, TOTAL = "#4a7c59", "#c0392b", "#2e6da4"


def waterfall(row: pd.Series, *, title: str | None = None, ax: Any = None):
    """A waterfall from one row of ``flows``: start, each inflow up, each outflow down, end.

    Hidden (suppressed) cells are drawn as a label without a bar and the running level carries on
    as if they were zero; the end bar is always the published end count. Returns the ``Figure``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 4.2))
    else:
        fig = ax.figure
    level = 0.0
    hidden_any = False
    seen: list[float] = []  # every level the bars reach (to zoom in on the changes)
    for x, (col, label, sign) in enumerate(STEPS):
        raw = row.get(col)
        value = pd.to_numeric(pd.Series([raw], dtype="object"), errors="coerce").iloc[0]
        if pd.isna(value):
            hidden_any = True
            ax.text(x, level, str(raw), ha="center", va="bottom", fontsize=9, color="gray")
            continue
        value = float(value)
        if sign == 0:
            ax.bar(x, value, color=TOTAL)
            level = value
            seen.append(value)
            ax.text(x, value, f"{value:,.0f}".replace(",", " "), ha="center", va="bottom", fontsize=9)
            continue
        if value == 0:
            continue
        bottom = level if sign > 0 else level - value
        ax.bar(x, value, bottom=bottom, color=UP if sign > 0 else DOWN)
        ax.text(x, bottom + value, f"{'+' if sign > 0 else '−'}{value:,.0f}".replace(",", " "), ha="center",
                va="bottom", fontsize=9)
        level += sign * value
        seen += [bottom, bottom + value]
    ax.set_xticks(range(len(STEPS)), [s[1] for s in STEPS], fontsize=8)
    ax.set_ylabel("Antall bosatte")
    if seen:  # the axis starts a little below the lowest level reached, so the changes show
        lo, hi = min(seen), max(seen)
        pad = max((hi - lo) * 0.25, hi * 0.01, 1.0)
        ax.set_ylim(max(0.0, lo - pad), hi + pad)
    if hidden_any:
        ax.annotate("Små tall er skjult (vist som tekst, ikke som søyle).", xy=(0, -0.22), xycoords="axes fraction",
                    fontsize=8, color="gray")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
