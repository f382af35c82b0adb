"""Figures for event volumes (hendelser): stacked bars per period and type, lines per role, and a
heatmap of type × week.

All three take the tidy table from ``freg_nb.events.event_volumes`` (columns ``role``, ``period``,
``hendelsetype``, ``events``). Labels are in Norwegian bokmål.

    >>> from freg_nb.events import event_volumes
    >>> from freg_nb.plots.hendelser import stacked_bars, role_lines, type_week_heatmap
    >>> vol = event_volumes(client, roles=["analyse", "skole"], freq="day")   # doctest: +SKIP
    >>> fig = stacked_bars(vol, role="analyse")                                # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["stacked_bars", "role_lines", "type_week_heatmap", "OTHER"]

OTHER = "andre typer"
_NEEDED = ("role", "period", "hendelsetype", "events")


def _check(volumes: pd.DataFrame, what: str) -> pd.DataFrame:
    missing = [c for c in _NEEDED if c not in volumes.columns]
    if missing:
        raise ValueError(f"{what} needs the table from freg_nb.events.event_volumes "
                         f"(columns {', '.join(_NEEDED)}); missing {', '.join(missing)}.")
    v = volumes.copy()
    v["role"] = v["role"].astype(str)
    v["hendelsetype"] = v["hendelsetype"].astype(str)
    v["period"] = pd.to_datetime(v["period"])
    v["events"] = pd.to_numeric(v["events"]).astype("int64")
    return v


def _for_role(v: pd.DataFrame, role: str | None) -> pd.DataFrame:
    if role is None:
        return v
    if role not in set(v["role"]):
        raise ValueError(f"no events for role {role!r} in the table; roles: {sorted(set(v['role']))}")
    return v[v["role"] == role]


def _axes(ax: Any, figsize: tuple[float, float]):
    """(figure, axes): the given axes and its figure, or a new figure of ``figsize``."""
    return plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)


def _no_events(fig, ax):
    ax.text(0.5, 0.5, "Ingen hendelser i perioden", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _top(v: pd.DataFrame, top: int) -> pd.DataFrame:
    """Keep the ``top`` most frequent types; the rest become "andre typer"."""
    totals = v.groupby("hendelsetype")["events"].sum().sort_values(ascending=False)
    keep = set(totals.index[:top])
    v = v.assign(hendelsetype=v["hendelsetype"].where(v["hendelsetype"].isin(keep), OTHER))
    return v


def _period_labels(periods: pd.DatetimeIndex) -> list[str]:
    if len(periods) > 1:
        step = (periods[1:] - periods[:-1]).min()
        if step >= pd.Timedelta(days=28):
            return [p.strftime("%Y-%m") for p in periods]
        if step >= pd.Timedelta(days=7):
            return [f"{p.isocalendar().year}-U{p.isocalendar().week:02d}" for p in periods]
    return [p.strftime("%Y-%m-%d") for p in periods]


def stacked_bars(volumes: pd.DataFrame, *, role: str | None = None, top: int = 8, ax: Any = None,
                 title: str | None = None):
    """Stacked bars: events per period, one colour per hendelsetype (the ``top`` most frequent;
    the rest as "andre typer"). ``role``: one role (default: all roles summed). Returns the Figure.
    """
    v = _check(volumes, "stacked_bars")
    v = _for_role(v, role)
    fig, ax = _axes(ax, (10, 4.5))
    if v.empty:
        return _no_events(fig, ax)
    v = _top(v, top)
    wide = v.pivot_table(index="period", columns="hendelsetype", values="events", aggfunc="sum", fill_value=0)
    order = wide.sum().sort_values(ascending=False).index.tolist()
    if OTHER in order:
        order.remove(OTHER)
        order.append(OTHER)
    wide = wide[order]
    x = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    colours = plt.get_cmap("tab20").colors
    for i, col in enumerate(wide.columns):
        vals = wide[col].to_numpy(dtype=float)
        ax.bar(x, vals, bottom=bottom, label=col, color="#bbbbbb" if col == OTHER else colours[i % 20],
               width=0.85)
        bottom += vals
    labels = _period_labels(pd.DatetimeIndex(wide.index))
    step = max(1, len(labels) // 15)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right")
    ax.set_ylabel("Antall hendelser")
    ax.set_title(title or f"Hendelser per periode og type{f' – rolle {role}' if role else ''}")
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left", title="Hendelsetype")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def role_lines(volumes: pd.DataFrame, *, ax: Any = None, title: str | None = None):
    """One line per role: events per period (all types). Returns the Figure."""
    v = _check(volumes, "role_lines")
    fig, ax = _axes(ax, (10, 4))
    if v.empty:
        return _no_events(fig, ax)
    wide = v.pivot_table(index="period", columns="role", values="events", aggfunc="sum", fill_value=0)
    for role in wide.columns:
        ax.plot(wide.index, wide[role].to_numpy(), marker="o", markersize=3, label=role)
    ax.set_ylabel("Antall hendelser")
    ax.set_xlabel("Periode")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "Hendelser per rolle")
    ax.legend(title="Rolle")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def type_week_heatmap(volumes: pd.DataFrame, *, role: str | None = None, top: int = 20, ax: Any = None,
                      title: str | None = None, annotate: bool | None = None):
    """A heatmap of hendelsetype (rows, most frequent first) × ISO week (columns). Works from daily,
    weekly or monthly tables (days are summed into weeks; monthly tables are shown per month).
    ``role``: one role (default: all summed). Returns the Figure."""
    v = _check(volumes, "type_week_heatmap")
    v = _for_role(v, role)
    if v.empty:
        return _no_events(*_axes(ax, (6, 2)))
    periods = pd.DatetimeIndex(sorted(v["period"].unique()))
    monthly = len(periods) > 1 and (periods[1:] - periods[:-1]).min() >= pd.Timedelta(days=28)
    if not monthly:
        v = v.assign(period=v["period"] - pd.to_timedelta(v["period"].dt.day_of_week, unit="D"))
    v = _top(v, top)
    wide = v.pivot_table(index="hendelsetype", columns="period", values="events", aggfunc="sum", fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values(ascending=False).index]
    fig, ax = _axes(ax, (max(6, 0.55 * wide.shape[1] + 4), max(3, 0.3 * wide.shape[0] + 1.5)))
    data = wide.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="viridis")
    labels = _period_labels(pd.DatetimeIndex(wide.columns)) if monthly else \
        [f"{p.isocalendar().year}-U{p.isocalendar().week:02d}" for p in wide.columns]
    ax.set_xticks(np.arange(wide.shape[1]), labels, rotation=45, ha="right")
    ax.set_yticks(np.arange(wide.shape[0]), wide.index.tolist())
    if annotate is None:
        annotate = data.size <= 300
    if annotate:
        hi = data.max() if data.size else 0
        for (r, c), val in np.ndenumerate(data):
            ax.text(c, r, f"{int(val)}", ha="center", va="center", fontsize=7,
                    color="black" if hi and val > hi * 0.6 else "white")
    fig.colorbar(im, ax=ax, label="Antall hendelser")
    ax.set_title(title or f"Hendelsetype per {'måned' if monthly else 'uke'}{f' – rolle {role}' if role else ''}")
    fig.tight_layout()
    return fig
