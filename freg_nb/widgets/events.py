"""The hendelser form: roles, dates, period and types in; the same calls the notebook makes.

    >>> from freg_nb.widgets.events import EventForm
    >>> form = EventForm(fc, roller=["analyse", "skole"])   # doctest: +SKIP
    >>> form                                                 # doctest: +SKIP

The form only builds keyword arguments (``form.kwargs()``); ``form.run()`` calls
``freg_nb.events.read_events`` and ``event_volumes`` with them and shows the charts and the table —
exactly what a papermill run with the same parameters does. Bad input is shown as the
``InputError`` message (what to fix), before anything is sent.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Sequence

import html

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import HTML, display

from freg_nb.display import number
from freg_nb.errors import InputError
from freg_nb.events import EVENT_TYPES, event_volumes, read_events
from freg_nb.messages import code_label, msg
from freg_nb.plots.events import period_labels
from freg_nb.widgets.common import BUTTON, STYLE, WIDE, RunPanel, download_links, labelled, save_csv

__all__ = ["EventForm", "events_form"]

GRANULARITET = {"dag": "day", "uke": "week", "måned": "month"}


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None  # the date picker shows it empty; read_events explains if it matters


class EventForm(w.VBox):
    """Roles (multi-select), date range, granularity and a type filter; a run button; charts + table.

    The keyword arguments are the notebook's parameters (same names, same meaning). After a run,
    ``form.result`` is the volumes DataFrame and ``form.events`` the events read.
    """

    def __init__(self, client: Any, *, roller: Sequence[str] | None = None, fra_dato: Any = None,
                 til_dato: Any = None, granularitet: str = "dag", hendelsetyper: Sequence[str] | None = None,
                 vis_fulle_id: bool = False):
        self.client = client
        self.result = None
        self.events = None
        names = list(client.settings.roles)
        chosen = [r for r in (roller or names) if r in names]
        self.roller = w.SelectMultiple(options=names, value=tuple(chosen), description="Roller",
                                       rows=min(6, max(2, len(names))), style=STYLE, layout=WIDE)
        today = date.today()
        self.fra = w.DatePicker(value=_as_date(fra_dato) or today - timedelta(days=7),
                                description="Fra og med dato", style=STYLE)
        self.til = w.DatePicker(value=_as_date(til_dato), description="Til og med dato", style=STYLE)
        self.granularitet = w.ToggleButtons(options=list(GRANULARITET),
                                            value=granularitet if granularitet in GRANULARITET else "dag",
                                            style={"button_width": "auto"})
        self.typer = w.SelectMultiple(options=[(code_label("hendelsetype", t), t) for t in EVENT_TYPES],
                                      value=tuple(t for t in (hendelsetyper or ()) if t in EVENT_TYPES),
                                      description="Hendelsetyper", rows=8, style=STYLE, layout=WIDE)
        self.vis_id = w.Checkbox(value=bool(vis_fulle_id), description="Vis fulle fødselsnummer", indent=False)
        self.panel = RunPanel(self.run, label="Hent og tell hendelser", icon="bar-chart", client=client)
        self.eksport = w.Button(description="CSV", icon="download", layout=BUTTON)
        self.eksport.on_click(lambda _b: self.export())
        self.eksport_ut = w.Output()
        self.etterpaa = w.VBox([w.HBox([w.Label("Lag fil av tabellen:"), self.eksport]), self.eksport_ut],
                               layout=w.Layout(display="none"))
        super().__init__([
            w.HTML("<b>Hendelser per rolle</b> — tomt typefilter betyr alle typer; tom til-dato betyr til nå"),
            self.roller, w.HBox([self.fra, self.til]), labelled("Periode", self.granularitet), self.typer, self.vis_id,
            self.etterpaa, self.panel,
        ])

    def kwargs(self) -> dict[str, Any]:
        """The parameters as the notebook names them (nothing checked here)."""
        return {
            "roller": list(self.roller.value),
            "fra_dato": self.fra.value.isoformat() if self.fra.value else None,
            "til_dato": self.til.value.isoformat() if self.til.value else None,
            "granularitet": self.granularitet.value,
            "hendelsetyper": list(self.typer.value) or None,
            "vis_fulle_id": bool(self.vis_id.value),
        }

    def run(self):
        """Read the events, count them, show the charts (one set per role) and the table."""
        from freg_nb.plots.events import role_lines, stacked_bars, type_week_heatmap

        p = self.kwargs()
        self.etterpaa.layout.display = "none"
        if not p["roller"]:
            raise InputError(msg("events.no_role"))
        if p["fra_dato"] and p["til_dato"] and p["til_dato"] < p["fra_dato"]:
            raise InputError(msg("events.date_order"))
        freq = GRANULARITET[p["granularitet"]]
        self.events = read_events(self.client, roles=p["roller"], start=p["fra_dato"], end=p["til_dato"],
                                  event_types=p["hendelsetyper"], show_ids=p["vis_fulle_id"], progress=False)
        vol = event_volumes(self.client, roles=p["roller"], freq=freq, start=p["fra_dato"], end=p["til_dato"],
                            event_types=p["hendelsetyper"])
        self.result = vol
        span = {"start": p["fra_dato"], "end": p["til_dato"]}
        self.panel.show(HTML(f"<p>{number(len(self.events))} hendelser for rollene "
                             f"{html.escape(', '.join(p['roller']))}.</p>"))
        self.panel.show(role_lines(vol, **span))
        for role in sorted(set(vol["role"].astype(str))):  # each role its own charts: never summed silently
            self.panel.show(stacked_bars(vol, role=role, **span))
            self.panel.show(type_week_heatmap(vol, role=role, **span))
        plt.close("all")
        wide = vol.pivot_table(index="period", columns="role", values="events", aggfunc="sum",
                               fill_value=0, observed=True)
        wide.index = period_labels(wide.index, freq=freq, **span)
        wide.index.name = p["granularitet"]
        wide.columns = [str(c) for c in wide.columns]
        self.etterpaa.layout.display = "flex"
        return wide

    def export(self) -> dict | None:
        """The counts (no personal data) as Excel-Norway CSV in the private folder, with download."""
        self.eksport_ut.clear_output()
        with self.eksport_ut:
            if self.result is None:
                print(msg("form.run_first"))
                return None
            from freg_nb.store import DataDir

            folder = DataDir(self.client.settings.data_dir).path / "exports"
            files = {"csv": save_csv(self.result, folder, "hendelser-per-rolle")}
            display(download_links(files, name="hendelser-per-rolle", counts_only=True))
            return files


def events_form(client: Any, **params: Any) -> EventForm:
    """An ``EventForm`` preset with the notebook's parameters."""
    return EventForm(client, **params)
