"""Figures for extracts (uttrekk): an age pyramid and bar charts of suppressed counts.

The figures take tables that are already suppressed (``freg_nb.summarize_extract`` /
``freg_nb.age_pyramid_table``): a suppressed cell (``":"``) is never drawn as a bar of some
exact length — it gets no bar, only its label, so the figure tells no more than the table.

    >>> import freg_nb
    >>> from freg_nb.plots.extracts import age_pyramid
    >>> table = freg_nb.age_pyramid_table(df)                    # doctest: +SKIP
    >>> fig = age_pyramid(table, title="Bosatte i 0301")          # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd

from freg_nb.display import number
from freg_nb.messages import msg

__all__ = ["age_pyramid", "count_bars"]

WOMEN_COLOUR = "#c0392b"
MEN_COLOUR = "#2e6da4"
BAR_COLOUR = "#4a7c59"


def _split(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numeric values with suppressed cells as 0, labels of the suppressed cells or "")."""
    numeric = pd.to_numeric(values.astype("object"), errors="coerce")
    suppressed = numeric.isna() & values.notna()
    labels = values.astype("object").where(suppressed, "").astype(str)
    return numeric.fillna(0).astype(float), labels


def age_pyramid(table: pd.DataFrame, *, title: str | None = None, ax: Any = None,
                band_col: str = "aldersgruppe", women: str = "kvinne", men: str = "mann"):
    """An age pyramid from a suppressed table with one row per age band and a column per sex.

    Women to the right, men to the left, youngest at the bottom. Suppressed cells (strings such as
    ``":"``) get no bar, only their label beside the axis. Returns the matplotlib ``Figure``.
    """
    for col in (band_col, women, men):
        if col not in table.columns:
            raise ValueError(msg("plot.pyramid_columns", cols=f"{band_col}, {women}, {men}", missing=col))
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, max(3.0, 0.32 * len(table) + 1.2)))
    else:
        fig = ax.figure
    bands = table[band_col].astype(str).tolist()
    y = list(range(len(bands)))
    w_val, w_lab = _split(table[women])
    m_val, m_lab = _split(table[men])
    ax.barh(y, w_val, color=WOMEN_COLOUR, label="Kvinner")
    ax.barh(y, -m_val, color=MEN_COLOUR, label="Menn")
    biggest = max(float(w_val.max() if len(w_val) else 0), float(m_val.max() if len(m_val) else 0), 1.0)
    pad = biggest * 0.02
    for yi, lab in zip(y, w_lab):
        if lab:
            ax.text(pad, yi, lab, va="center", ha="left", fontsize=8, color=WOMEN_COLOUR)
    for yi, lab in zip(y, m_lab):
        if lab:
            ax.text(-pad, yi, lab, va="center", ha="right", fontsize=8, color=MEN_COLOUR)
    ax.set_yticks(y, bands)
    ax.set_xlim(-biggest * 1.15, biggest * 1.15)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: number(abs(v), decimals=0)))
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("Antall personer")
    ax.set_ylabel("Aldersgruppe")
    ax.legend(loc="upper right", frameon=False)
    if (w_lab != "").any() or (m_lab != "").any():
        ax.annotate(msg("plot.small_hidden"), xy=(0, -0.12),
                    xycoords="axes fraction", fontsize=8, color="gray")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def count_bars(table: pd.DataFrame, *, by: str | None = None, count_col: str = "antall",
               title: str | None = None, ax: Any = None, top: int = 20):
    """A horizontal bar chart of a suppressed count table (``freg_nb.summarize_extract``).

    ``by`` is the category column (default: the first column that is not ``count_col``); at
    most ``top`` categories, largest first. Suppressed cells get no bar, only their label.
    """
    if count_col not in table.columns:
        raise ValueError(msg("plot.count_column", col=count_col))
    by = by or next(c for c in table.columns if c != count_col)
    values, labels = _split(table[count_col])
    order = values.sort_values(ascending=False, kind="stable").index[:top]
    cats = table.loc[order, by].astype(str).tolist()[::-1]
    vals = values.loc[order].tolist()[::-1]
    labs = labels.loc[order].tolist()[::-1]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(cats) + 1.2)))
    else:
        fig = ax.figure
    y = list(range(len(cats)))
    ax.barh(y, vals, color=BAR_COLOUR)
    biggest = max(vals + [1.0])
    for yi, lab in zip(y, labs):
        if lab:
            ax.text(biggest * 0.01, yi, lab, va="center", ha="left", fontsize=8, color="gray")
    ax.set_yticks(y, cats)
    ax.set_xlabel("Antall personer")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
