"""The befolkningsspeil form: role, municipality, dates and grouping in; the same calls the notebook makes.

    >>> from freg_nb.widgets.population import population_form
    >>> form = population_form(fc, rolle="analyse", kommuner=["0301"])   # doctest: +SKIP
    >>> form                                                             # doctest: +SKIP

``form.run()`` builds the mirror (or opens it), brings it up to date from the feed — the Stopp
button stops between two feed pages, and the next run continues there — then shows the pyramid,
the accounts as a waterfall and the table per group for the chosen dates. Bad input is shown as
the ``InputError`` message (what to fix), before anything is sent.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Sequence

import html

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import HTML

from freg_nb import cancel
from freg_nb import mirror as speil
from freg_nb.display import excel_csv, number
from freg_nb.widgets.common import STYLE, WIDE, RunPanel, role_dropdown

__all__ = ["PopulationForm", "population_form", "download_link"]

INNDELINGER = {"kommune": "kommunenummer", "grunnkrets": "grunnkrets", "skolekrets": "skolekrets"}


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None  # the picker shows it empty; the question explains what to fix


class PopulationForm(w.VBox):
    """Role, municipalities, the mirror's name, a start and an end date, a grouping; run and Stopp.

    The keyword arguments are the notebook's parameters (same names). After a run, ``form.mirror``
    is the mirror and ``form.result`` the accounts table shown."""

    def __init__(self, client: Any, *, rolle: str | None = None, kommuner: Sequence[str] = ("0301",),
                 navn_paa_speilet: str | None = None, fra_dato: Any = None, til_dato: Any = None,
                 inndeling: str = "grunnkrets"):
        self.client = client
        self.mirror = None
        self.result = None
        self.rolle = role_dropdown(client.settings.roles, rolle)
        self.kommuner = w.Text(value=", ".join(kommuner), description="Kommunenummer", style=STYLE, layout=WIDE,
                               placeholder="f.eks. 0301, 4601")
        self.navn = w.Text(value=navn_paa_speilet or "", description="Navn på speilet", style=STYLE, layout=WIDE,
                           placeholder="tomt: lages av rolle og kommuner")
        self.fra = w.DatePicker(value=_as_date(fra_dato), description="Fra dato", style=STYLE)
        self.til = w.DatePicker(value=_as_date(til_dato), description="Til dato", style=STYLE)
        self.inndeling = w.ToggleButtons(options=list(INNDELINGER),
                                         value=inndeling if inndeling in INNDELINGER else "grunnkrets",
                                         description="Inndeling", style=STYLE)
        self.panel = RunPanel(self.run, label="Oppdater og vis befolkningen", icon="users", client=client)
        super().__init__([
            w.HTML("<b>Befolkningsspeil</b> — bygges første gang, oppdateres fra hendelsesloggen etterpå"),
            self.rolle, self.kommuner, self.navn, w.HBox([self.fra, self.til]), self.inndeling, self.panel,
        ])

    def kwargs(self) -> dict[str, Any]:
        """The parameters as the notebook names them (nothing checked here)."""
        return {
            "rolle": self.rolle.value,
            "kommuner": [k.strip() for k in self.kommuner.value.replace(";", ",").split(",") if k.strip()],
            "navn_paa_speilet": self.navn.value.strip() or None,
            "fra_dato": self.fra.value.isoformat() if self.fra.value else None,
            "til_dato": self.til.value.isoformat() if self.til.value else None,
            "inndeling": self.inndeling.value,
        }

    def run(self):
        """Build/open and update the mirror (in the panel's worker thread; its Stopp stops between two
        batches or feed pages), show pyramid and waterfall; returns the accounts table per area."""
        from freg_nb.plots.population import waterfall
        from freg_nb.plots.extracts import age_pyramid

        p = self.kwargs()
        show = self.panel.show
        m = speil.build_mirror(self.client, role=p["rolle"], kommuner=p["kommuner"], name=p["navn_paa_speilet"],
                               progress=False, cancel=_stopped)
        if m.state.get("status") != "klar":
            raise cancel.Cancelled()  # stopped while building: the panel says to press again to continue
        r = speil.update_mirror(m, progress=False, cancel=_stopped)
        if r.stoppet:
            raise cancel.Cancelled()
        self.mirror = m
        show(HTML(f"<p>Speilet «{html.escape(m.name)}» er oppdatert til sekvensnummer {r.til}: "
                  f"{number(r.hendelser)} nye hendelser, {number(r.dokumenter)} dokumenter hentet.</p>"))
        til = p["til_dato"] or speil.questions.feed_day(m)
        fra = p["fra_dato"] or speil.questions.a_year_before(til, m)
        show(age_pyramid(speil.pyramid_table(m, at=til), title=f"Bosatte {til}"))
        if fra >= til:
            show(HTML(f"<p>Speilet kjenner bare befolkningen fra {fra}; velg en senere til-dato for å se "
                      "endringene.</p>"))
            plt.close("all")
            return None
        total = speil.flows(m, fra, til)
        show(waterfall(total.iloc[0], title=f"Befolkningsregnskap {fra} – {til}"))
        plt.close("all")
        self.result = speil.flows(m, fra, til, by=INNDELINGER[p["inndeling"]])
        return self.result


def _stopped() -> bool:
    """The mirror's ``cancel`` question: has the running form's Stopp (or Kernel → Interrupt) been pressed?"""
    try:
        cancel.check()
    except cancel.Cancelled:
        return True
    return False


def download_link(table, filename: str, *, label: str | None = None) -> w.HTML:
    """A link that downloads ``table`` (an already suppressed table of counts) as CSV for Norwegian Excel
    (``;``, UTF-8 with BOM: ``display.excel_csv``) from the browser.

    The file is embedded in the link (base64), so it works wherever the notebook's server runs."""
    import base64

    data = base64.b64encode(excel_csv(table)).decode("ascii")
    name = html.escape(filename)
    return w.HTML(f'<a download="{name}" href="data:text/csv;base64,{data}">⬇ {html.escape(label or name)}</a>')


def population_form(client: Any, **params: Any) -> PopulationForm:
    """A ``PopulationForm`` preset with the notebook's parameters."""
    return PopulationForm(client, **params)
