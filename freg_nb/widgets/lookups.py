"""The lookup (oppslag) form: role, ids (pasted or uploaded), parts, history — then the same
``lookup_persons`` call the notebook makes, with progress, the masked table, errors, one
person's history and export.

    >>> from freg_nb.widgets.lookups import LookupForm
    >>> form = LookupForm(fc, rolle="analyse", ids=["10927810072"])   # doctest: +SKIP
    >>> form                                                         # doctest: +SKIP

The form only builds keyword arguments (``form.kwargs()``); the work is done by
``freg_nb.lookups.lookup_persons`` — exactly what a papermill run with the same parameters does.
Identifiers given as parameters are kept inside the form (never put into a widget's value, so
they never end up in the notebook's saved widget state); pasted or uploaded ids replace them.
"""
from __future__ import annotations

from typing import Any, Sequence

import html
import re

import ipywidgets as w
from IPython.display import HTML, display

from freg_nb.codes import HISTORIKK, PART_NAMES
from freg_nb.display import number
from freg_nb.errors import FregNbError, InputError
from freg_nb.ids_input import validate_input
from freg_nb.lookups import LookupResult, lookup_persons, read_ids
from freg_nb.messages import msg
from freg_nb.parts import allowed_parts
from freg_nb.widgets.common import (BUTTON, STYLE, WIDE, RunPanel, download_links, error_html,
                                    role_dropdown, table)

__all__ = ["LookupForm", "HISTORY_ELEMENTS"]

HISTORY_ELEMENTS = ("bostedsadresse", "navn", "sivilstand", "status", "statsborgerskap", "oppholdsadresse",
                    "familierelasjon", "doedsfall", "adressebeskyttelse", "identifikasjonsnummer")
_GROUPS = ("person-basis", "relasjon-utvidet", "identitetsgrunnlag-utvidet")


def _part_options(parts: frozenset[str] | None) -> list[str]:
    names = set(PART_NAMES if parts is None else parts) - {HISTORIKK}
    return [g for g in _GROUPS if g in names] + sorted(names - set(_GROUPS), key=str.lower)


_INTERNAL = ("fil",)  # bookkeeping columns of the core's tables, not for the analyst


def _small(text: str) -> str:
    return f"<small>{html.escape(text)}</small>"


class LookupForm(w.VBox):
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
        self.ids = w.Textarea(value="", rows=5, layout=WIDE, style=STYLE, description="Fødselsnummer",
                              placeholder="Lim inn fødsels- eller D-nummer, ett per linje (eller skilt med komma).")
        self.fil = w.FileUpload(accept=".csv,.xlsx,.xls,.txt", multiple=False, description="Last opp fil",
                                layout=BUTTON)
        self.fjern_fil = w.Button(description="Fjern filen", icon="times", layout=BUTTON, disabled=True)
        self.kilde = w.HTML()  # which ids will be used: file, pasted text or parameters
        self.fil.observe(lambda _c: self._source_changed(), names="value")
        self.ids.observe(lambda _c: self._source_changed(), names="value")
        self.fjern_fil.on_click(lambda _b: self._clear_file())
        self.deler = w.SelectMultiple(options=[], rows=8, description="Deler (part)", style=STYLE, layout=WIDE)
        self.historikk = w.Checkbox(value=bool(historikk), description="Ta med historikk", indent=False)
        self.vis_id = w.Checkbox(value=bool(vis_fulle_id), description="Vis fulle fødselsnummer", indent=False)
        self.formaal = w.Text(value=formaal or "", placeholder="hvorfor (skrives i revisjonsloggen)",
                              description="Formål", style=STYLE, layout=WIDE)
        self.deler_info = w.HTML()
        self._wanted_parts = list(deler or [])
        self.rolle.observe(lambda _c: self._role_changed(), names="value")
        self._role_changed()
        self._source_changed()
        self.panel = RunPanel(self.run, label="Hent personer", icon="search", client=client, show_result=False)
        # after a run (controls above the tables): one person's history, export
        self._people: dict[str, int] = {}
        self.person = w.Combobox(options=[], placeholder="skriv for å søke blant personene", ensure_option=True,
                                 description="Person", style=STYLE, layout=WIDE)
        self.element = w.Dropdown(options=list(HISTORY_ELEMENTS), value="bostedsadresse",
                                  description="Opplysning", style={"description_width": "80px"})
        self.vis_historikk = w.Button(description="Vis historikk", icon="history", layout=BUTTON)
        self.historikk_ut = w.Output()
        self.vis_historikk.on_click(lambda _b: self.show_history())
        self.eksport = {fmt: w.Button(description=label, icon="download", layout=BUTTON)
                        for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"), ("parquet", "Parquet"))}
        for fmt, button in self.eksport.items():
            button.on_click(lambda _b, f=fmt: self.export([f]))
        self.eksport_ut = w.Output()
        self.etterpaa = w.VBox([
            w.HTML("<b>Historikk for én person</b>"), w.HBox([self.person, self.element, self.vis_historikk]),
            self.historikk_ut,
            w.HTML("<b>Last ned tabellene</b> (adresser til personer med adressebeskyttelse tas aldri med)"),
            w.HBox([w.Label("Lag fil:"), *self.eksport.values()]), self.eksport_ut,
        ], layout=w.Layout(display="none"))
        super().__init__([
            w.HTML("<b>Personoppslag</b>"),
            self.rolle, self.ids, w.HBox([self.fil, self.fjern_fil]), self.kilde, self.deler, self.deler_info,
            w.HBox([self.historikk, self.vis_id]), self.formaal, self.etterpaa, self.panel,
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
            self.deler_info.value = _small("Rollens deler er ukjente her; Fiks sier fra om en del ikke er "
                                           "tillatt. Ingen valgt = person-basis.")
            self.historikk.disabled = False
        else:
            self.deler_info.value = _small("Bare delene rollen har, vises. Ingen valgt = person-basis "
                                           "(eller det rollen har av den).")
            self.historikk.disabled = HISTORIKK not in allowed
            if self.historikk.disabled:
                self.historikk.value = False
        self._wanted_parts = []

    def _clear_file(self) -> None:
        self.fil.value = ()
        self._source_changed()

    def _source_changed(self) -> None:
        """Say which ids a run will use: the file wins over pasted text, which wins over the parameters."""
        self.fjern_fil.disabled = not self.fil.value
        try:
            uploaded = self._uploaded_ids()
        except InputError as e:
            self.kilde.value = _small(f"❌ Filen kan ikke leses: {e}")
            return
        if uploaded is not None:
            text = f"Bruker {number(len(uploaded))} id-er fra filen {self._file_name()}."
            if self.ids.value.strip():
                text += " Teksten i feltet over brukes ikke så lenge filen er valgt (trykk «Fjern filen»)."
        elif self.ids.value.strip():
            text = f"Bruker {number(len(_split(self.ids.value)))} innlimte id-er."
        elif self._param_ids:
            text = f"Feltet er tomt: bruker de {number(len(self._param_ids))} forhåndsvalgte id-ene (parameteren ids)."
        else:
            text = "Ingen id-er ennå: lim inn numre eller last opp en fil."
        self.kilde.value = _small(text)

    def _file_item(self):
        value = self.fil.value
        if not value:
            return None
        return value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))

    def _file_name(self) -> str:
        item = self._file_item()
        return "" if item is None else (item["name"] if isinstance(item, dict) else item.name)

    def _uploaded_ids(self) -> list[str] | None:
        item = self._file_item()
        if item is None:
            return None
        content = item["content"] if isinstance(item, dict) else item.content
        return read_ids(bytes(content), filename=self._file_name())

    def _source_rows(self, ids: list[str]) -> tuple[str, list[int]]:
        """Where each id stands as the user sees it: ("file", Excel/CSV rows with the header counted),
        ("text", lines of the field) or ("param", 1, 2, 3 …)."""
        item = self._file_item()
        if item is not None:
            content = bytes(item["content"] if isinstance(item, dict) else item.content)
            where, lines = "file", _file_lines(content, self._file_name())
        elif self.ids.value.strip():
            where, lines = "text", self.ids.value.splitlines()
        else:
            where, lines = "param", []
        rows = _rows_in(ids, lines) if lines else None
        return (where, rows) if rows else ("param", list(range(1, len(ids) + 1)))

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
        """Run the lookup (in the RunPanel's worker thread); shows the summary and the tables."""
        kw = self.kwargs()
        self.etterpaa.layout.display = "none"
        where, rows = self._source_rows(kw["ids"])
        _check_ids(kw["ids"], where=where, rows=rows)
        self.result = res = lookup_persons(self.client, kw.pop("ids"), progress=False, **kw)
        self._people = {}
        for label, pos in res.person_labels():
            self._people[label if label not in self._people else f"{label} (rad {pos + 1})"] = pos
        self.person.options = list(self._people)
        self.person.value = next(iter(self._people), "")
        self.historikk_ut.outputs = ()  # the trait, not clear_output(): this runs in the worker thread
        self.eksport_ut.outputs = ()
        self.etterpaa.layout.display = "flex" if len(res.persons) else "none"
        self.panel.show(_html_p(f"<b>{html.escape(res.summary())}</b>"))
        self.panel.show(res.persons.drop(columns=[c for c in _INTERNAL if c in res.persons.columns]))
        invalid = res.invalid.copy()
        if "linje" in invalid.columns:  # the n-th id read → the row/line the user sees in the file/field
            invalid["linje"] = [rows[i - 1] if 0 < i <= len(rows) else i for i in invalid["linje"]]
            invalid = invalid.rename(columns={"linje": msg(f"lookup.where.column.{where}")})
        for title, df in (("Numre Folkeregisteret ikke svarte på", res.errors),
                          ("Ugyldige numre (ikke sendt)", invalid)):
            if len(df):
                self.panel.show(_html_p(f"<b>{title}</b>"))
                self.panel.show(df.drop(columns=[c for c in _INTERNAL if c in df.columns]))
        return res

    def show_history(self) -> None:
        self.historikk_ut.clear_output()
        pos = self._people.get(self.person.value)
        with self.historikk_ut:
            if self.result is None or pos is None:
                print(msg("form.pick_person"))
                return
            try:
                df = self.result.history(self.element.value, person=pos)
            except FregNbError as e:
                display(HTML(error_html(e)))
                return
            if df.empty:
                print(msg("form.no_versions"))
            else:
                display(table(df))

    def export(self, formats: Sequence[str]) -> dict | None:
        self.eksport_ut.clear_output()
        with self.eksport_ut:
            if self.result is None:
                print(msg("form.run_first"))
                return None
            try:
                files = self.result.export(list(formats))
            except FregNbError as e:
                display(HTML(error_html(e)))
                return None
            display(download_links(files, name=f"oppslag-{self.rolle.value}"))
            return files


def _check_ids(ids: list[str], *, where: str = "param", rows: Sequence[int] | None = None) -> None:
    """Before anything is sent: no ids, or none valid, is said in the form's words, each bad one by
    the row/line where the user sees it (``where``: "file", "text" or "param")."""
    if not ids:
        raise InputError(msg("lookup.no_ids"))
    valid, invalid, _n = validate_input(ids)
    if not valid:
        rows = list(rows or range(1, len(ids) + 1))
        problems = "; ".join(msg("lookup.problem", where=msg(f"lookup.where.{where}"),
                                 pos=rows[r.linje - 1] if r.linje <= len(rows) else r.linje,
                                 masked=r.foedselsEllerDNummer, reason=r.grunn)
                             for r in invalid.head(5).itertuples())
        raise InputError(msg("lookup.none_valid", n=len(invalid), problems=problems + ("; …" if len(invalid) > 5 else "")))


def _file_lines(content: bytes, name: str) -> list[str]:
    """The rows of an uploaded file as text, numbered as Excel shows them (row 1 = the first row)."""
    import io

    import pandas as pd

    from freg_nb.ids_input import _decode  # the encodings Excel writes (the same reading as read_ids)

    try:
        if name.lower().endswith((".xlsx", ".xlsm", ".xls")) or content[:4] == b"PK\x03\x04":
            grid = pd.read_excel(io.BytesIO(content), dtype=object, header=None)
            return [" ".join(str(v) for v in row if v == v and v is not None) for row in grid.itertuples(index=False)]
        return _decode(content, name).splitlines()
    except (InputError, ValueError, OSError):
        return []


def _rows_in(ids: Sequence[str], lines: Sequence[str]) -> list[int] | None:
    """The 1-based line of each id, walking the lines in order (ids are read in file order; one line
    may hold several). None when an id cannot be placed (then plain positions are shown)."""
    squeezed = [re.sub(r"[\s.\-]", "", line) for line in lines]
    rows, i = [], 0
    for x in ids:
        while i < len(squeezed) and x not in squeezed[i]:
            i += 1
        if i == len(squeezed):
            return None
        rows.append(i + 1)
    return rows


def _split(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", text) if t]


def _html_p(text: str):
    return HTML(f"<p>{text}</p>")

