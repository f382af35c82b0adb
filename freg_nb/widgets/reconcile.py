"""The avstemming form and its displays: the list (upload or path), role, municipality, what to
compare — then the same ``freg_nb.reconcile.reconcile`` call the notebook makes, the categories as
counts and a bar chart, the avviksliste as an interactive table, and downloads.

    >>> from freg_nb.widgets.reconcile import ReconcileForm
    >>> ReconcileForm(fc, rolle="analyse", liste_fil="elever.csv")   # doctest: +SKIP
"""
from __future__ import annotations

import base64
import html
from typing import Any, Sequence

import ipywidgets as w
import pandas as pd
from IPython.display import HTML

from freg_nb._compat import renamed
from freg_nb.errors import InputError
from freg_nb.reconcile import ReconcileResult, reconcile
from freg_nb.widgets.common import STYLE, TABLE_LANGUAGE, WIDE, RunPanel, role_dropdown

__all__ = ["ReconcileForm", "category_chart", "download_links", "interactive_table"]

_MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv;charset=utf-8"}


def category_chart(result: ReconcileResult):
    """A horizontal bar chart of the rows per category (matplotlib figure)."""
    import matplotlib.pyplot as plt

    counts = result.counts().iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.barh(counts["kategori"], counts["antall"], color="#2a6f97")
    ax.bar_label(bars, labels=[f"{v:,}".replace(",", "\u00a0") for v in counts["antall"]], padding=3, fontsize=8)
    ax.set_xlabel("Antall rader")
    ax.set_title(f"Avstemming av {result.source} (rolle {result.role})", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def interactive_table(df: pd.DataFrame, *, max_rows: int = 20_000):
    """The table as an interactive, searchable and sortable view (itables, works offline; texts in bokmål)."""
    from itables import to_html_datatable

    shown = df.head(max_rows).astype(object).where(df.head(max_rows).notna(), "")
    return HTML(to_html_datatable(shown, connected=False, lengthMenu=[10, 25, 100], pageLength=25,
                                  language=TABLE_LANGUAGE, classes="display compact"))


def download_links(result: ReconcileResult, *, name: str = "avviksliste") -> HTML:
    """Browser downloads of the Excel file (one sheet per category) and the CSV (Norwegian Excel:
    ``;`` and UTF-8 with BOM), as data-URI links — nothing leaves the machine."""
    links = []
    for fmt, label in (("xlsx", "Last ned Excel (ett ark per kategori)"), ("csv", "Last ned CSV (for norsk Excel)")):
        data = base64.b64encode(result.export_bytes(fmt)).decode("ascii")
        links.append(f'<a download="{html.escape(name)}.{fmt}" href="data:{_MIME[fmt]};base64,{data}">{label}</a>')
    return HTML(" &nbsp;·&nbsp; ".join(links))


class ReconcileForm(w.VBox):
    """Avstemming form; keyword arguments are the notebook's parameters. After a run,
    ``form.result`` is the ``ReconcileResult``; the button is «Avstem»."""

    def __init__(self, client: Any, *, rolle: str | None = None, liste: Any = None, liste_fil: str | None = None,
                 kommune: str | None = None, felt: Sequence[str] = ("navn", "adresse"), vis_fulle_id: bool = False,
                 formaal: str | None = None):
        self.client = client
        self.result: ReconcileResult | None = None
        self._param_list = liste
        self.rolle = role_dropdown(client.settings.roles, rolle)
        self.fil = w.FileUpload(accept=".csv,.xlsx,.xls,.txt", multiple=False, description="Last opp liste")
        self.sti = w.Text(value=liste_fil or "", placeholder="eller sti til filen (CSV eller Excel)",
                          description="Sti", style=STYLE, layout=WIDE)
        self.kommune = w.Text(value=kommune or "", placeholder="f.eks. 0301; tomt = der flest bor nå",
                              description="Kommunenummer", style=STYLE, layout=WIDE)
        self.felt = w.SelectMultiple(options=["navn", "adresse"], value=tuple(felt), rows=2,
                                     description="Sammenlign", style=STYLE)
        self.vis_id = w.Checkbox(value=bool(vis_fulle_id), description="Vis fulle fødselsnummer (logges)",
                                 indent=False)
        self.formaal = w.Text(value=formaal or "", placeholder="hvorfor (skrives i revisjonsloggen)",
                              description="Formål", style=STYLE, layout=WIDE)
        self.panel = RunPanel(self.run, label="Avstem", icon="balance-scale", client=client, show_result=False)
        super().__init__([w.HTML("<b>Avstemming mot Folkeregisteret</b>"), self.rolle, w.HBox([self.fil]), self.sti,
                          self.kommune, self.felt, self.vis_id, self.formaal, self.panel])

    def kwargs(self) -> dict[str, Any]:
        """The ``reconcile`` arguments the form stands for."""
        kw: dict[str, Any] = {"role": self.rolle.value, "kommune": self.kommune.value.strip() or None,
                              "fields": list(self.felt.value), "show_ids": self.vis_id.value,
                              "purpose": self.formaal.value.strip() or None}
        if not kw["fields"]:
            raise InputError("Velg minst én ting å sammenligne (navn og/eller adresse).")
        if self.fil.value:
            up = self.fil.value[0]
            kw["our_list"], kw["filename"] = bytes(up["content"]), up["name"]
        elif self.sti.value.strip():
            kw["our_list"] = self.sti.value.strip()
        elif self._param_list is not None:
            kw["our_list"] = self._param_list
        else:
            raise InputError("Last opp listen eller skriv stien til filen.")
        return kw

    def run(self) -> None:
        """Reconcile (in the panel's worker thread; the status line counts the calls), then show the
        summary, the counts and chart, the avviksliste and the downloads in the panel."""
        self.result = result = reconcile(self.client, progress=False, **self.kwargs())
        show = self.panel.show
        show(HTML(f"<b>{html.escape(result.summary())}</b>"))
        for note in result.notes:
            show(HTML(f"<small>ℹ️ {html.escape(note)}</small>"))
        show(result.counts())
        show(category_chart(result))
        rows = result.rows
        show(HTML("<b>Avviksliste</b> (rader som ikke er uendret)"))
        show(rows[rows["kategori"] != "uendret"])
        show(download_links(result))


def __getattr__(name: str):
    """``AvstemmingForm``, the class's name before class names were English (CHANGELOG.md)."""
    return renamed(__name__, name, {"AvstemmingForm": ReconcileForm})
