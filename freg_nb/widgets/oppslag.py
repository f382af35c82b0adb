"""The lookup (oppslag) form: role, ids (pasted or uploaded), parts, history — then the same
``lookup_persons`` call the notebook makes, with progress, the masked table, errors, one
person's history and export.

    >>> from freg_nb.widgets.oppslag import OppslagForm
    >>> form = OppslagForm(fc, rolle="analyse", ids=["10927810072"])   # doctest: +SKIP
    >>> form                                                         # doctest: +SKIP

The form only builds keyword arguments (``form.kwargs()``); the work is done by
``freg_nb.lookups.lookup_persons`` — exactly what a papermill run with the same parameters does.
Identifiers given as parameters are kept inside the form (never put into a widget's value, so
they never end up in the notebook's saved widget state); pasted or uploaded ids replace them.
"""
from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as w
from IPython.display import HTML, display

from freg_nb.codes import HISTORIKK, PART_NAMES
from freg_nb.errors import FregNbError, InputError
from freg_nb.lookups import LookupResult, lookup_persons, read_ids
from freg_nb.parts import allowed_parts
from freg_nb.widgets.common import STYLE, WIDE, RunPanel, role_dropdown

__all__ = ["OppslagForm", "HISTORY_ELEMENTS"]

HISTORY_ELEMENTS = ("bostedsadresse", "navn", "sivilstand", "status", "statsborgerskap", "oppholdsadresse",
                    "familierelasjon", "doedsfall", "adressebeskyttelse", "identifikasjonsnummer")
_GROUPS = ("person-basis", "relasjon-utvidet", "identitetsgrunnlag-utvidet")


def _part_options(parts: frozenset[str] | None) -> list[str]:
    names = set(PART_NAMES if parts is None else parts) - {HISTORIKK}
    return [g for g in _GROUPS if g in names] + sorted(names - set(_GROUPS), key=str.lower)


class OppslagForm(w.VBox):
    """Lookup form. Keyword arguments are the notebook's parameters (same names, same meaning).

    After a run, ``form.result`` is the ``LookupResult``. The run button's description is
    "Hent personer".
    """

    def __init__(self, client: Any, *, rolle: str | None = None, ids: Sequence[str] | str | None = None,
                 id_fil: str | None = None, deler: Sequence[str] | None = None, historikk: bool = False,
                 vis_fulle_id: bool = False, formaal: str | None = None):
        self.client = client
        self.result: LookupResult | None = None
        self._param_ids: list[str] = read_ids(id_fil) if id_fil else (read_ids(ids) if ids else [])
        self.rolle = role_dropdown(client.settings.roles, rolle)
        n = len(self._param_ids)
        self.ids = w.Textarea(value="", rows=5, layout=WIDE, style=STYLE, description="Fødselsnummer",
                              placeholder=(f"Tomt = bruk de {n} id-ene fra parameterne. " if n else "")
                              + "Lim inn fødsels- eller D-nummer, ett per linje (eller skilt med komma).")
        self.fil = w.FileUpload(accept=".csv,.xlsx,.xls,.txt", multiple=False, description="Last opp fil")
        self.fil_info = w.HTML()
        self.fil.observe(self._file_chosen, names="value")
        self.deler = w.SelectMultiple(options=[], rows=8, description="Deler (part)", style=STYLE, layout=WIDE)
        self.historikk = w.Checkbox(value=bool(historikk), description="Ta med historikk", indent=False)
        self.vis_id = w.Checkbox(value=bool(vis_fulle_id), description="Vis fulle fødselsnummer", indent=False)
        self.formaal = w.Text(value=formaal or "", placeholder="hvorfor (skrives i revisjonsloggen)",
                              description="Formål", style=STYLE, layout=WIDE)
        self.deler_info = w.HTML()
        self._wanted_parts = list(deler or [])
        self.rolle.observe(lambda _c: self._role_changed(), names="value")
        self._role_changed()
        self.panel = RunPanel(self.run, label="Hent personer", icon="search")
        # after a run: one person's history, export
        self.person = w.Dropdown(options=[], description="Person", style=STYLE, layout=WIDE)
        self.element = w.Dropdown(options=list(HISTORY_ELEMENTS), value="bostedsadresse",
                                  description="Opplysning", style=STYLE)
        self.vis_historikk = w.Button(description="Vis historikk", icon="history")
        self.historikk_ut = w.Output()
        self.vis_historikk.on_click(lambda _b: self.show_history())
        self.eksport = {fmt: w.Button(description=label, icon="download")
                        for fmt, label in (("csv", "Lagre CSV"), ("xlsx", "Lagre Excel"), ("parquet", "Lagre Parquet"))}
        for fmt, button in self.eksport.items():
            button.on_click(lambda _b, f=fmt: self.export([f]))
        self.eksport_ut = w.Output()
        self.etterpaa = w.VBox([
            w.HTML("<b>Historikk for én person</b>"), w.HBox([self.person, self.element, self.vis_historikk]),
            self.historikk_ut,
            w.HTML("<b>Eksport til den private datamappen</b> (adresser til personer med adressebeskyttelse "
                   "tas aldri med)"),
            w.HBox(list(self.eksport.values())), self.eksport_ut,
        ], layout=w.Layout(display="none"))
        super().__init__([
            w.HTML("<b>Personoppslag</b>"),
            self.rolle, self.ids, w.HBox([self.fil, self.fil_info]), self.deler, self.deler_info,
            w.HBox([self.historikk, self.vis_id]), self.formaal, self.panel, self.etterpaa,
        ])

    # -- form state ---------------------------------------------------------------------
    def _role_changed(self) -> None:
        try:
            allowed = allowed_parts(self.client, self.rolle.value) if self.rolle.value else None
        except FregNbError:
            allowed = None
        keep = [p for p in (self._wanted_parts or list(self.deler.value))]
        options = _part_options(allowed)
        self.deler.options = options
        self.deler.value = tuple(p for p in keep if p in options)
        if allowed is None:
            self.deler_info.value = ("<small>Rollens deler er ukjente her; Fiks sier fra om en del ikke er "
                                     "tillatt. Ingen valgt = person-basis.</small>")
            self.historikk.disabled = False
        else:
            self.deler_info.value = ("<small>Bare delene rollen har, vises. Ingen valgt = person-basis "
                                     "(eller det rollen har av den).</small>")
            self.historikk.disabled = HISTORIKK not in allowed
            if self.historikk.disabled:
                self.historikk.value = False
        self._wanted_parts = []

    def _file_chosen(self, _change=None) -> None:
        try:
            got = self._uploaded_ids()
            self.fil_info.value = f"<small>{len(got)} id-er lest fra filen</small>" if got is not None else ""
        except InputError as e:
            self.fil_info.value = f"<small>❌ {e}</small>"

    def _uploaded_ids(self) -> list[str] | None:
        value = self.fil.value
        if not value:
            return None
        item = value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))
        content = item["content"] if isinstance(item, dict) else item.content
        name = item["name"] if isinstance(item, dict) else item.name
        return read_ids(bytes(content), filename=name)

    def chosen_ids(self) -> list[str]:
        """Uploaded file, else pasted text, else the ids given as parameters."""
        uploaded = self._uploaded_ids()
        if uploaded is not None:
            return uploaded
        if self.ids.value.strip():
            return read_ids(self.ids.value)
        return list(self._param_ids)

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments for ``freg_nb.lookups.lookup_persons`` (checked there, not here)."""
        return {
            "ids": self.chosen_ids(),
            "role": self.rolle.value,
            "parts": list(self.deler.value) or None,
            "history": bool(self.historikk.value),
            "show_ids": bool(self.vis_id.value),
            "purpose": self.formaal.value.strip() or None,
        }

    # -- actions ------------------------------------------------------------------------
    def run(self) -> LookupResult:
        """Run the lookup; the RunPanel shows its table (HTML) and any error message."""
        kw = self.kwargs()
        self.result = res = lookup_persons(self.client, kw.pop("ids"), **kw)
        self.person.options = res.person_labels()
        self.historikk_ut.clear_output()
        self.eksport_ut.clear_output()
        self.etterpaa.layout.display = "flex" if len(res.persons) else "none"
        return res

    def show_history(self) -> None:
        self.historikk_ut.clear_output()
        with self.historikk_ut:
            if self.result is None or self.person.value is None:
                print("Kjør oppslaget først og velg en person.")
                return
            try:
                df = self.result.history(self.element.value, person=self.person.value)
            except FregNbError as e:
                print(f"{type(e).__name__}: {e}")
                return
            if df.empty:
                print("Ingen versjoner av denne opplysningen for personen (er den hentet med denne rollen?).")
            else:
                display(df)

    def export(self, formats: Sequence[str]) -> dict | None:
        self.eksport_ut.clear_output()
        with self.eksport_ut:
            if self.result is None:
                print("Kjør oppslaget først.")
                return None
            files = self.result.export(list(formats))
            display(HTML("<br>".join(f"Lagret {fmt}: <code>{p}</code>" for fmt, p in files.items())))
            return files
