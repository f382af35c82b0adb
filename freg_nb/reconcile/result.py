"""``reconcile``: a fagsystem list against Folkeregisteret → an avviksliste, one row per input row.

    >>> import freg_nb
    >>> from freg_nb.reconcile import reconcile
    >>> res = reconcile(None, "elever.xlsx", role="analyse", kommune="0301")   # doctest: +SKIP
    >>> res.counts()                       # how many rows per category                  # doctest: +SKIP
    >>> res.rows                           # the avviksliste, identifiers masked          # doctest: +SKIP
    >>> res.export(["xlsx", "csv"])        # one sheet per category; CSV for Norwegian Excel   # doctest: +SKIP

Steps: the list is read and normalised (``reader``, ``normalise``); only valid, distinct
identifiers are looked up, in bulk (``freg_nb.lookup_persons``: calls of 1000, stored answers,
resumable; invalid rows are never sent); the comparison (``compare``) is vectorised. Identifiers
are masked unless ``show_ids=True``, which is written to the audit log. A person with address
protection has no address in the result at all — neither the list's nor Folkeregisteret's.
"""
from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .. import privacy
from ..errors import InputError
from . import compare as cmp
from .reader import ListTable, read_list

__all__ = ["ReconcileResult", "reconcile"]

_ID_COLS = ["foedselsEllerDNummer", "nytt_foedselsEllerDNummer"]
_FIELDS = ("navn", "adresse")


@dataclass
class ReconcileResult:
    """What ``reconcile`` gives back.

    * ``rows`` — the avviksliste: one row per input row (``rad`` = its place in the list), the
      main ``kategori`` and all ``kategorier``, old values beside the new ones, likhet scores
      (0–100) and ``grunn``; identifiers masked unless ``show_ids``.
    * ``counts()`` — rows per category (a row with several categories counts in each).
    * ``export(...)`` — Excel with one sheet per category, CSV for Norwegian Excel.
    * ``notes`` — what was tolerated while reading (bokmål); ``kommune`` — the municipality used.
    """

    role: str
    kommune: str | None
    notes: list[str]
    stats: dict[str, Any]
    show_ids: bool = False
    source: str = "listen"
    _rows: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)   # full ids: never shown as is
    _store: Any = field(default=None, repr=False)

    @property
    def rows(self) -> pd.DataFrame:
        shown = self._rows.drop(columns=[c for c in self._rows.columns if c.startswith("er_")])
        return privacy.mask_ids(shown, columns=_ID_COLS, show=self.show_ids)

    def category(self, name: str) -> pd.DataFrame:
        """The rows that have category ``name`` (e.g. ``"død"``)."""
        if name not in cmp.CATEGORIES:
            raise InputError(f"Ukjent kategori {name!r}. Velg en av: {', '.join(cmp.CATEGORIES)}.")
        flag = self._rows[cmp.FLAG_COLUMNS[name]].to_numpy()
        return self.rows[flag].reset_index(drop=True)

    def counts(self) -> pd.DataFrame:
        """Rows per category (``kategori``, ``antall``), every category listed, in priority order.
        The list is the analyst's own case list, so the counts are exact (not suppressed)."""
        n = [int(self._rows[cmp.FLAG_COLUMNS[c]].sum()) for c in cmp.CATEGORIES]
        return pd.DataFrame({"kategori": list(cmp.CATEGORIES), "antall": n})

    def summary(self) -> str:
        c = self.counts().set_index("kategori")["antall"]
        changed = int((self._rows["kategori"] != cmp.UENDRET).sum())
        return (f"{len(self._rows)} rader i {self.source}: {int(c[cmp.UENDRET])} uendret, {changed} med avvik "
                f"(rolle {self.role}, kommune {self.kommune or 'ukjent'})")

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(self.summary())}</b></p>" + self.counts().to_html(index=False)

    # -- export -------------------------------------------------------------------------
    def export_bytes(self, fmt: str) -> bytes:
        """The export as bytes: ``xlsx`` (sheet «alle» + one per category) or ``csv`` (``;``,
        decimal comma, UTF-8 with BOM — what Norwegian Excel opens directly)."""
        rows = self.rows
        if fmt == "csv":
            return rows.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
        if fmt in ("xlsx", "excel"):
            buf = io.BytesIO()
            with pd.ExcelWriter(buf, engine="openpyxl") as xw:
                _excel(rows).to_excel(xw, sheet_name="alle", index=False)
                for c in cmp.CATEGORIES:
                    part = rows[self._rows[cmp.FLAG_COLUMNS[c]].to_numpy()]
                    if len(part):
                        _excel(part).to_excel(xw, sheet_name=_sheet_name(c), index=False)
            return buf.getvalue()
        raise InputError(f"Ukjent eksportformat {fmt!r}: bruk «xlsx» eller «csv».")

    def export(self, formats: Sequence[str] | str = ("xlsx", "csv"), *, name: str | None = None) -> dict[str, Path]:
        """Write the avviksliste to ``exports/`` in the private data folder (0600, atomic).
        Returns ``{format: path}``."""
        if isinstance(formats, str):
            formats = [formats]
        name = name or f"avstemming-{time.strftime('%Y%m%d-%H%M%S')}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}", name):
            raise InputError("Et eksportnavn kan bare ha bokstaver a–z, sifre, «.», «_» og «-».")
        out = {}
        for fmt in dict.fromkeys("xlsx" if f == "excel" else f for f in formats):
            data = self.export_bytes(fmt)
            out[fmt] = self._store.write_bytes(f"exports/{name}.{fmt}", data)
        return out


def _sheet_name(category: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "", category)[:31]


def _excel(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, (pd.ArrowDtype, pd.StringDtype)):
            out[c] = out[c].astype(object)
    return out


def _data_dir(client: Any):
    from ..store import DataDir

    dd = getattr(client, "data_dir", None)
    return dd if dd is not None and hasattr(dd, "write_bytes") else DataDir(client.settings.data_dir)


def reconcile(client: Any, our_list: Any, *, role: str, kommune: str | None = None,
              fields: Sequence[str] = _FIELDS, columns: dict[str, str] | None = None,
              filename: str | None = None, sheet: str | int = 0, show_ids: bool = False,
              purpose: str | None = None, progress: bool | None = None) -> ReconcileResult:
    """Compare ``our_list`` (a fagsystem list) with Folkeregisteret: one result row per input row.

    ``client``: a ``FregClient`` or None (``freg_nb.connect()``). ``our_list``: a path, uploaded
    bytes (with ``filename``), pasted text, a DataFrame or a ``ListTable`` (see ``read_list``).
    ``role``: the role to look up with; a role *med hjemmel* sees address protection itself,
    a role without it sees that the address is missing (the row is then «adressebeskyttet nå»
    too: remove the list's address). ``kommune``: the list's municipality (4 digits) for
    «flyttet innen/ut av kommunen»; None = where most persons on the list live now.
    ``fields``: what to compare besides status and identifier (``"navn"``, ``"adresse"``).
    ``columns``: which column holds what when the names are unusual (``{"id": "Kundenr"}``).
    ``show_ids``: full identifiers in the result — recorded in the audit log.
    """
    from .. import lookup_persons

    t0 = time.monotonic()
    unknown = sorted(set(fields) - set(_FIELDS))
    if unknown:
        raise InputError(f"Ukjent felt å sammenligne: {', '.join(unknown)}. Velg blant «navn» og «adresse».")
    if kommune is not None and not re.fullmatch(r"\d{4}", str(kommune).strip()):
        raise InputError(f"Kommunenummeret må ha fire sifre (f.eks. «0301» for Oslo), ikke {str(kommune)[:10]!r}.")
    table = our_list if isinstance(our_list, ListTable) else read_list(our_list, filename=filename, sheet=sheet,
                                                                          columns=columns)
    prepared = cmp.prepare(table)
    valid = pd.unique(prepared.loc[prepared["gyldig"], "id"].to_numpy()).tolist()
    if not valid:
        raise InputError(f"Ingen gyldige fødselsnummer i {table.source} ({len(prepared)} rader). Sjekk kolonnen "
                         f"«{table.columns['id']}» – eller velg riktig kolonne med columns={{'id': '…'}}. "
                         "Ingenting er sendt.")
    if client is None:
        from .. import connect

        client = connect()
    t_read = time.monotonic()
    res = lookup_persons(client, valid, role=role, show_ids=True, purpose=purpose or "avstemming", progress=progress)
    t_lookup = time.monotonic()
    persons = res.persons
    hist = res.history("identifikasjonsnummer")
    current = hist.loc[hist["erGjeldende"].fillna(False).astype(bool), ["foedselsEllerDNummer", "identifikator"]]
    rows, used_kommune = cmp.compare(prepared, persons, current, kommune=kommune and str(kommune).strip(),
                                     fields=tuple(fields))
    store = _data_dir(client)
    if show_ids:
        privacy.audit(store, "avstemming-vis-fulle-id", role=res.role, n_persons=len(valid),
                      purpose=purpose or "avstemming", ids=valid)
    stats = {"rows": len(rows), "looked_up": len(valid), "read_seconds": t_read - t0,
             "lookup_seconds": t_lookup - t_read, "compare_seconds": time.monotonic() - t_lookup,
             "calls": res.stats.get("calls")}
    return ReconcileResult(role=res.role, kommune=used_kommune, notes=list(table.notes), stats=stats,
                           show_ids=show_ids, source=table.source, _rows=rows, _store=store)
