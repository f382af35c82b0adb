"""Figures for event volumes (hendelser): stacked bars per period and type, lines per role, and a
heatmap of type × week.

All three take the tidy table from ``freg_nb.events.event_volumes`` (columns ``role``, ``period``,
``hendelsetype``, ``events``). Labels are in Norwegian bokmål.

    >>> from freg_nb.events import event_volumes
    >>> from freg_nb.plots.events import stacked_bars, role_lines, type_week_heatmap
    >>> vol = event_volumes(client, roles=["analyse", "skole"], freq="day")   # doctest: +SKIP
    >>> fig = stacked_bars(vol, role="analyse")                                # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import itertools

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from babel.dates import format_date

from freg_nb.display import LOCALE, number, week_label
from freg_nb.messages import code_label, msg

__all__ = ["stacked_bars", "role_lines", "type_week_heatmap", "period_labels", "OTHER"]

OTHER = "andre typer"
_NEEDED = ("role", "period", "hendelsetype", "events")


def _check(volumes: pd.DataFrame, what: str) -> pd.DataFrame:
    missing = [c for c in _NEEDED if c not in volumes.columns]
    if missing:
        raise ValueError(msg("plot.needs_columns", what=what, needed=", ".join(_NEEDED), missing=", ".join(missing)))
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
        raise ValueError(msg("plot.no_role", role=role, roles=", ".join(sorted(set(v["role"])))))
    return v[v["role"] == role]


def _axes(ax: Any, figsize: tuple[float, float]):
    """(figure, axes): the given axes and its figure, or a new figure of ``figsize``."""
    return plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)


def _no_events(fig, ax):
    ax.text(0.5, 0.5, msg("plot.no_events"), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _top(v: pd.DataFrame, top: int) -> pd.DataFrame:
    """Keep the ``top`` most frequent types; the rest become "andre typer"."""
    totals = v.groupby("hendelsetype")["events"].sum().sort_values(ascending=False)
    keep = set(totals.index[:top])
    v = v.assign(hendelsetype=v["hendelsetype"].where(v["hendelsetype"].isin(keep), OTHER))
    return v


def _step(periods: pd.DatetimeIndex) -> str:
    if len(periods) > 1:
        step = (periods[1:] - periods[:-1]).min()
        if step >= pd.Timedelta(days=28):
            return "month"
        if step >= pd.Timedelta(days=7):
            return "week"
    return "day"


def period_labels(periods: Any, *, start: Any = None, end: Any = None, freq: str | None = None) -> list[str]:
    """Norwegian labels for periods: "30.11", "uke 47", "nov. 2026". A period only partly inside
    ``start``–``end`` (dates, inclusive) gets a "*" (explained by ``msg("plot.partial")``)."""
    periods = pd.DatetimeIndex(pd.to_datetime(list(periods)))
    if periods.tz is not None:
        periods = periods.tz_localize(None)
    freq = freq or _step(periods)
    years = {p.isocalendar().year for p in periods}
    out = []
    for p in periods:
        if freq == "month":
            label, last = format_date(p.date(), "MMM y", locale=LOCALE), p + pd.offsets.MonthEnd(0)
        elif freq == "week":
            label, last = week_label(p, with_year=len(years) > 1), p + pd.Timedelta(days=6)
        else:
            label, last = format_date(p.date(), "dd.MM" if len(years) == 1 else "dd.MM.y", locale=LOCALE), p
        partial = (start is not None and p < pd.Timestamp(start)) or (end is not None and last > pd.Timestamp(end))
        out.append(label + ("*" if partial else ""))
    return out


def _footnote(fig, labels: list[str]) -> None:
    if any(lab.endswith("*") for lab in labels):
        fig.text(0.01, 0.005, msg("plot.partial"), fontsize=8, color="gray", ha="left", va="bottom")


def _labels(v: pd.DataFrame) -> pd.DataFrame:
    return v.assign(hendelsetype=v["hendelsetype"].map(lambda t: t if t == OTHER else code_label("hendelsetype", t)))


def _role_title(base: str, role: str | None, roles: set[str]) -> str:
    if role:
        return f"{base} – rolle {role}"
    return f"{base} – {'rolle ' + next(iter(roles)) if len(roles) == 1 else 'alle rollene summert'}"


def stacked_bars(volumes: pd.DataFrame, *, role: str | None = None, top: int = 8, ax: Any = None,
                 title: str | None = None, start: Any = None, end: Any = None):
    """Stacked bars: events per period, one colour per hendelsetype (the ``top`` most frequent;
    the rest as "andre typer"). ``role``: one role (default: all roles summed, said in the title).
    ``start``/``end`` mark partial periods. Returns the Figure.
    """
    v = _check(volumes, "stacked_bars")
    roles = set(v["role"])
    v = _for_role(v, role)
    fig, ax = _axes(ax, (10, 4.5))
    if v.empty:
        return _no_events(fig, ax)
    v = _labels(_top(v, top))
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
    labels = period_labels(wide.index, start=start, end=end)
    step = max(1, len(labels) // 15)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right")
    ax.set_ylabel("Antall hendelser")
    ax.yaxis.set_major_formatter(_NUMBER)
    ax.set_title(title or _role_title("Hendelser per periode og type", role, roles))
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left", title="Hendelsetype")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    _footnote(fig, labels)
    return fig


_NUMBER = matplotlib.ticker.FuncFormatter(lambda v, _p: number(v, decimals=0))


def role_lines(volumes: pd.DataFrame, *, ax: Any = None, title: str | None = None, start: Any = None,
               end: Any = None):
    """One line per role: events per period (all types). Each role has its own marker and line style,
    so roles with equal counts stay visible. Returns the Figure."""
    v = _check(volumes, "role_lines")
    fig, ax = _axes(ax, (10, 4))
    if v.empty:
        return _no_events(fig, ax)
    wide = v.pivot_table(index="period", columns="role", values="events", aggfunc="sum", fill_value=0)
    x = np.arange(len(wide))
    styles = itertools.cycle(zip(("o", "s", "^", "D", "v", "x"), ("-", "--", ":", "-.")))
    for i, role in enumerate(wide.columns):
        marker, line = next(styles)
        ax.plot(x + (i - (len(wide.columns) - 1) / 2) * 0.04, wide[role].to_numpy(), marker=marker,
                linestyle=line, markersize=5, linewidth=1.5, label=role, alpha=0.9)
    labels = period_labels(wide.index, start=start, end=end)
    step = max(1, len(labels) // 15)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right")
    ax.set_ylabel("Antall hendelser")
    ax.yaxis.set_major_formatter(_NUMBER)
    ax.set_xlabel("Periode")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "Hendelser per rolle (alle typer)")
    ax.legend(title="Rolle")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _footnote(fig, labels)
    return fig


def type_week_heatmap(volumes: pd.DataFrame, *, role: str | None = None, top: int = 20, ax: Any = None,
                      title: str | None = None, annotate: bool | None = None, start: Any = None, end: Any = None):
    """A heatmap of hendelsetype (rows, most frequent first) × ISO week (columns). Works from daily,
    weekly or monthly tables (days are summed into weeks; monthly tables are shown per month).
    ``role``: one role (default: all roles summed, said in the title). Returns the Figure."""
    v = _check(volumes, "type_week_heatmap")
    roles = set(v["role"])
    v = _for_role(v, role)
    if v.empty:
        return _no_events(*_axes(ax, (6, 2)))
    periods = pd.DatetimeIndex(sorted(v["period"].unique()))
    monthly = _step(periods) == "month"
    if not monthly:
        v = v.assign(period=v["period"] - pd.to_timedelta(v["period"].dt.day_of_week, unit="D"))
    v = _labels(_top(v, top))
    wide = v.pivot_table(index="hendelsetype", columns="period", values="events", aggfunc="sum", fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values(ascending=False).index]
    fig, ax = _axes(ax, (max(6, 0.55 * wide.shape[1] + 5), max(3, 0.3 * wide.shape[0] + 1.8)))
    data = wide.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="viridis")
    labels = period_labels(wide.columns, start=start, end=end, freq="month" if monthly else "week")
    ax.set_xticks(np.arange(wide.shape[1]), labels, rotation=45, ha="right")
    ax.set_yticks(np.arange(wide.shape[0]), wide.index.tolist())
    if annotate is None:
        annotate = data.size <= 300
    if annotate:
        hi = data.max() if data.size else 0
        for (r, c), val in np.ndenumerate(data):
            ax.text(c, r, number(int(val)), ha="center", va="center", fontsize=7,
                    color="black" if hi and val > hi * 0.6 else "white")
    fig.colorbar(im, ax=ax, label="Antall hendelser", format=_NUMBER)
    ax.set_title(title or _role_title(f"Hendelsetype per {'måned' if monthly else 'uke'}", role, roles))
    fig.tight_layout()
    _footnote(fig, labels)
    return fig
