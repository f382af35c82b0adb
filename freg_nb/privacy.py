"""Privacy rules used by every display, aggregate and export — in one place.

* **Identifiers** are masked (``010190*****``, see ``ids.mask``) unless ``show=True``.
* **Small cells**: counts are published through ``suppress`` / ``count_table`` (disclosure
  control on the linked set of tables published together; SSB's mark ``:`` and a footnote —
  see ``freg_nb.disclosure``), or, for internal work only, through the audited ``unsuppressed_table``.
* **Address protection**: persons with ``fortrolig`` or ``strengtFortrolig`` address protection
  (compared case-insensitively), and every address version graded so, never have address values
  shown, exported or plotted; they are flagged ``adressebeskyttet`` instead
  (``drop_protected_addresses``). A role that may not see ``adressebeskyttelse`` gets the flag
  *unknown* (``<NA>``), and aggregates treat those persons' addresses as protected.
* **Audit**: see ``freg_nb.audit`` (re-exported here as ``audit``).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from freg_nb import audit as _audit
from freg_nb import disclosure as _dc
from freg_nb import codes
from freg_nb.codes import PROTECTED_LEVELS
from freg_nb.disclosure import FOOTNOTE, MARK, MIN_THRESHOLD, small_cell_threshold
from freg_nb.store import DataDir

__all__ = [
    "ADDRESS_COLUMNS",
    "ADDRESS_ELEMENTS",
    "AREA_COLUMNS",
    "FOOTNOTE",
    "ID_COLUMNS",
    "KOMMUNE_COLUMNS",
    "MARK",
    "MIN_THRESHOLD",
    "PROTECTED_LEVELS",
    "Suppressed",
    "audit",
    "count_table",
    "drop_protected_addresses",
    "flag_unknown_protection",
    "is_protected",
    "mask_ids",
    "mask_series",
    "protected_or_unknown",
    "protection_known",
    "small_cell_threshold",
    "suppress",
    "unsuppressed_table",
    "with_footnote",
]


def audit(datadir: "DataDir | str", action: str, **kw) -> dict:
    """``freg_nb.audit.audit`` for a data folder given as a ``DataDir`` or a path."""
    return _audit.audit(datadir if isinstance(datadir, DataDir) else DataDir(datadir), action, **kw)


ID_COLUMNS = frozenset(name.lower() for name in (
    "foedselsEllerDNummer", "folkeregisteridentifikator", "ident", "id", "identifikator",
    "personidentifikator", "relatert_person", "relatertPerson", "relatertVedSivilstand",
    "relatert_ved_sivilstand", "fnr", "dnr", "foedselsnummer", "dNummer",
))
"""Column names (case-insensitive) that ``mask_ids`` masks when no columns are given."""

ADDRESS_COLUMNS = (
    "adressenavn", "husnummer", "husbokstav", "adressekode", "adressetilleggsnavn",
    "bruksenhetsnummer", "bruksenhetstype", "coAdressenavn", "co_adressenavn",
    "postnummer", "poststed", "poststedsnavn", "grunnkrets", "grunnkretsnummer",
    "stemmekrets", "skolekrets", "kirkekrets", "matrikkelnummer", "gaardsnummer",
    "bruksnummer", "festenummer", "undernummer", "adresseIdentifikatorFraMatrikkelen",
    "adresse_identifikator", "koordinater", "x", "y", "lat", "lon", "latitude", "longitude",
    "nord", "oest", "adresselinje", "adresse", "landkode", "byEllerStedsnavn", "regionDistriktOmraade",
    "postboks", "postkode", "bygning", "etasjenummer", "boenhet", "distriktsnavn",
)
"""Small-area and address columns blanked for protected persons."""

KOMMUNE_COLUMNS = ("kommunenummer", "kommunenavn", "bostedskommune", "oppholdskommune")
"""Large-area columns: blanked too unless ``keep_kommune=True`` (for per-kommune aggregates)."""

ADDRESS_ELEMENTS = frozenset({
    "bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet",
    "kontaktadresse", "kontaktadresseIUtlandet", "preferertKontaktadresse",
    "kontaktinformasjonForDoedsbo", "oppholdPaaSvalbard",
})
"""Person-document elements that carry addresses (blanked for protected persons and versions)."""

AREA_COLUMNS = frozenset({*ADDRESS_COLUMNS, "grunnkretsnummer", "kommunenummer", "kommunenavn",
                          "bostedskommune", "oppholdskommune", "postnummer", "poststed"})
"""Columns that place a person: aggregates put protected (or unknown-protection) persons in
``uoppgitt`` for these, and never in a cell of their own."""


# ---- identifiers --------------------------------------------------------------------------
def mask_series(s: pd.Series, *, show: bool = False) -> pd.Series:
    """Vectorised ``ids.mask`` over a Series: ``010190*****``; anything else masked whole.

    Missing values stay missing. Returns Arrow-backed strings.
    """
    out = s.astype(pd.StringDtype("pyarrow"))
    if show:
        return out
    eleven = out.str.fullmatch(r"[0-9]{11}").fillna(False).astype(bool)
    result = out.str.slice(0, 6) + "*****"
    odd = (~eleven & out.notna().to_numpy()).to_numpy()
    if odd.any():  # rare: anything that is not 11 digits is masked whole
        lengths = out[odd].str.len().clip(upper=11)
        result[odd] = ["*" * int(n) for n in lengths]
    return result.where(out.notna(), pd.NA).astype(pd.StringDtype("pyarrow"))


def mask_ids(df: pd.DataFrame, columns: Sequence[str] | None = None, *,
             show: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with identifier columns masked (``010190*****``).

    ``columns`` default: every column whose name is in ``ID_COLUMNS`` (case-insensitive) or ends
    with ``foedselsEllerDNummer``. Full identifiers only with ``show=True`` — an explicit choice.

    >>> mask_ids(pd.DataFrame({"foedselsEllerDNummer": ["09052400284"], "n": [1]}))
      foedselsEllerDNummer  n
    0          090524*****  1
    """
    if columns is None:
        columns = [c for c in df.columns if isinstance(c, str) and (
            c.lower() in ID_COLUMNS or c.lower().endswith("foedselsellerdnummer"))]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"no such column(s): {missing}")
    out = df.copy()
    for c in columns:
        out[c] = mask_series(df[c], show=show)
    return out


# ---- address protection -------------------------------------------------------------------
def is_protected(series: pd.Series) -> pd.Series:
    """True where a grading level is ``fortrolig`` or ``strengtFortrolig`` (any case)."""
    s = series.astype(pd.StringDtype("pyarrow")).str.strip().str.lower()
    return s.isin(PROTECTED_LEVELS).fillna(False).astype(bool)


def protected_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose person or address is protected: ``adressebeskyttelse`` or
    ``adressegradering`` protected, or an existing ``adressebeskyttet`` flag set."""
    flag = pd.Series(False, index=df.index)
    for col in ("adressebeskyttelse", "graderingsnivaa", "adressegradering"):
        if col in df.columns:
            flag |= is_protected(df[col])
    if "adressebeskyttet" in df.columns:
        flag |= df["adressebeskyttet"].fillna(False).astype(bool)
    return flag


def drop_protected_addresses(df: pd.DataFrame, *, keep_kommune: bool = False) -> pd.DataFrame:
    """A copy of ``df`` where protected persons have every address value blanked (NA).

    Blanked: every column in ``ADDRESS_COLUMNS`` (street, number, letter, postnummer, poststed,
    grunnkrets, unit, coordinates, …) and, unless ``keep_kommune=True``, the kommune columns.
    A kommune is a large area, so per-kommune counts may keep protected persons
    (``keep_kommune=True``); small-area breakdowns (grunnkrets, postnummer) never include them,
    because those values are blank (pandas drops NA groups by default). Adds/updates the
    boolean ``adressebeskyttet`` column; an unknown flag (``<NA>``: the role may not see
    ``adressebeskyttelse``) stays unknown unless the row is found protected.
    """
    out = df.copy()
    flag = protected_rows(df)
    cols = [c for c in df.columns if c in ADDRESS_COLUMNS or (not keep_kommune and c in KOMMUNE_COLUMNS)]
    for c in cols:
        if flag.any():
            out[c] = out[c].mask(flag)
    new = flag.astype("boolean")
    if "adressebeskyttet" in df.columns:
        new = new.mask(~flag & df["adressebeskyttet"].astype("boolean").isna().to_numpy(), pd.NA)
    out["adressebeskyttet"] = new
    return out


def protection_known(parts: Sequence[str] | None) -> bool:
    """Whether answers fetched with ``parts`` (None = person-basis) include ``adressebeskyttelse``:
    without it, a protected person looks like anyone else."""
    named = [p for p in (parts or []) if p != "historikk"]
    return not named or bool({"person-basis", "adressebeskyttelse"} & set(named))


def flag_unknown_protection(df: pd.DataFrame, parts: Sequence[str] | None) -> pd.DataFrame:
    """``adressebeskyttet`` set to ``<NA>`` (unknown) where answers fetched with ``parts`` could
    not show the protection and nothing else (a graded address) shows it."""
    if protection_known(parts) or "adressebeskyttet" not in df.columns:
        return df
    out = df.copy()
    flag = out["adressebeskyttet"].astype("boolean")
    out["adressebeskyttet"] = flag.mask(~flag.fillna(False).astype(bool), pd.NA)
    return out


def protected_or_unknown(df: pd.DataFrame) -> pd.Series:
    """True where a person's address is protected or its protection unknown (aggregates)."""
    if "adressebeskyttet" not in df.columns:
        return protected_rows(df) | True  # no protection information at all: unknown for everyone
    flag = df["adressebeskyttet"].astype("boolean")
    return flag.fillna(True).astype(bool) | protected_rows(df)


# ---- small cells --------------------------------------------------------------------------
class Suppressed(NamedTuple):
    """``table``: the display table (counts as text, hidden cells ``:``, footnote under it);
    ``mask``: True where a count is hidden (same index, the count columns)."""

    table: pd.DataFrame
    mask: pd.DataFrame


UNKNOWN = "uoppgitt"
OTHER = "andre"


_CODE_LISTS = {"kjoenn": codes.KJOENN, "status": codes.PERSONSTATUS, "sivilstand": codes.SIVILSTANDSTYPER}
"""Dimensions whose categories come from Freg's code lists, never from the data."""


def _categories(s: pd.Series, name: str, thr: int) -> tuple[pd.Series, list[str]]:
    """(values as text, category list): code lists where there is one, the categorical's own
    categories, else the data's categories with the rare ones (< ``thr``) merged into ``andre``
    — so that the list itself reveals no small group."""
    known = _CODE_LISTS.get(name)
    cats = list(known) if known is not None else None
    if cats is None and isinstance(s.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in s.cat.categories]
    text = s.astype("object").where(s.notna(), None)
    text = pd.Series([UNKNOWN if v is None or str(v).strip() in ("", "nan", "<NA>") else str(v)
                      for v in text], index=s.index, dtype="object")
    if cats is None:
        freq = text[text != UNKNOWN].value_counts()
        rare = set(freq.index[freq < thr])
        if rare:
            text = text.where(~text.isin(rare), OTHER)
        cats = sorted(set(text) - {UNKNOWN, OTHER}, key=_natural)
        if rare:
            cats.append(OTHER)
    else:
        text = text.where(text.isin(cats) | (text == UNKNOWN), OTHER)
        if (text == OTHER).any():
            cats = [*cats, OTHER]
    if (text == UNKNOWN).any():
        cats = [*cats, UNKNOWN]
    return text, cats


def _natural(v: str):
    return (0, int(v), v) if v.isdigit() else (1, 0, v)


def _one_way(counts: np.ndarray, forced: np.ndarray, thr: int) -> np.ndarray:
    ls = _dc.LinkedSet(len(counts))
    for k, v in enumerate(counts):
        ls.add(_dc.Cell((k,), int(v), "a", hidden=bool(0 < v < thr or forced[k])))
    ls.add(_dc.Cell(tuple(range(len(counts))), int(counts.sum()), "N", hideable=False))
    _dc.protect(ls, thr)
    return np.array([c.hidden for c in ls.cells[:len(counts)]])


def count_table(frame: pd.DataFrame, dims: Sequence[str], *, threshold: int | None = None,
                protected: pd.Series | None = None, unsuppressed: bool = False,
                purpose: str | None = None, store=None) -> pd.DataFrame:
    """Counts of the rows of ``frame`` by one or two ``dims`` (long form: ``[*dims, "antall"]``),
    with disclosure control on the linked set published together.

    * Categories: the code list for ``kjoenn``/``status``/``sivilstand`` and for categorical
      columns (age bands); otherwise the data's, with categories under the threshold merged into
      ``andre`` first. Missing values are ``uoppgitt``.
    * ``protected`` (True/``<NA>`` = protected or unknown, aligned with ``frame``): for area
      columns (``AREA_COLUMNS``) those persons count as ``uoppgitt``, and a ``uoppgitt`` cell that
      holds them (but not everyone) is always hidden — no cell is made of protected persons.
    * Counts from 1 to ``threshold - 1`` are hidden; more cells are hidden until, given the
      one-way tables of each dimension, the crosstab and the total (all published together),
      no hidden cell can be narrowed to a range under ``threshold`` (``disclosure.protect``).
      A two-way table keeps the one-way tables' pattern as its margins, so the one-way tables
      and the crosstab of the same ``frame`` are safe together.

    ``antall`` holds text: the count, or ``:`` (see ``FOOTNOTE`` under the table).
    ``unsuppressed=True`` skips all of it (see ``unsuppressed_table``).
    """
    dims = list(dims)
    thr = small_cell_threshold(threshold)
    texts, cats, forced = {}, {}, {}
    prot = None
    if protected is not None:
        prot = pd.Series(protected).astype("boolean").fillna(True).astype(bool)
        prot = prot.reindex(frame.index).fillna(True).to_numpy(dtype=bool)
    for d in dims:
        s = frame[d]
        if prot is not None and d in AREA_COLUMNS:
            s = s.astype("object").where(~prot, None)
        texts[d], cats[d] = _categories(s, d, thr)
        unknown = (texts[d] == UNKNOWN).to_numpy()
        forced[d] = bool(prot is not None and d in AREA_COLUMNS and (unknown & prot).any()
                         and unknown.sum() < len(frame))
    codes = [pd.Categorical(texts[d], categories=cats[d]).codes for d in dims]
    shape = [len(cats[d]) for d in dims]
    flat = np.ravel_multi_index(codes, shape) if len(frame) else np.array([], dtype=int)
    grid = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape)
    index = pd.MultiIndex.from_product([cats[d] for d in dims], names=dims)
    out = index.to_frame(index=False)
    out["antall"] = grid.ravel().astype("int64")
    if unsuppressed:
        return unsuppressed_table(out, purpose=purpose, store=store)
    one = {d: _one_way(grid.sum(axis=tuple(k for k in range(len(dims)) if dims[k] != d)),
                       np.array([forced[d] and c == UNKNOWN for c in cats[d]]), thr) for d in dims}
    if len(dims) == 1:
        hidden = one[dims[0]]
    else:
        hidden = _two_way(grid, one[dims[0]], one[dims[1]],
                          [forced[dims[0]] and c == UNKNOWN for c in cats[dims[0]]],
                          [forced[dims[1]] and c == UNKNOWN for c in cats[dims[1]]], thr)
    out["antall"] = _dc.display_counts(out["antall"], hidden.ravel())
    return _dc.as_table(out)


def _two_way(grid: np.ndarray, hid_a: np.ndarray, hid_b: np.ndarray, force_a, force_b, thr: int) -> np.ndarray:
    na, nb = grid.shape
    ls = _dc.LinkedSet(na * nb)
    for i in range(na):
        for j in range(nb):
            v = int(grid[i, j])
            ls.add(_dc.Cell((i * nb + j,), v, "ab", hidden=bool(0 < v < thr or force_a[i] or force_b[j])))
    for i in range(na):
        ls.add(_dc.Cell(tuple(i * nb + j for j in range(nb)), int(grid[i].sum()), "a", False, bool(hid_a[i])))
    for j in range(nb):
        ls.add(_dc.Cell(tuple(i * nb + j for i in range(na)), int(grid[:, j].sum()), "b", False, bool(hid_b[j])))
    ls.add(_dc.Cell(tuple(range(na * nb)), int(grid.sum()), "N", hideable=False))
    narrow = _dc.protect(ls, thr)
    # The greedy search adds one cell at a time; a hidden margin can need several at once.
    # Then hide the rows and columns of the hidden margins whole, and if even that is not
    # enough, the whole crosstab (which then adds nothing to the one-way tables).
    for widen in (lambda i, j: bool(hid_a[i] or hid_b[j]), lambda i, j: True):
        if not narrow:
            break
        for i in range(na):
            for j in range(nb):
                if widen(i, j):
                    ls.cells[i * nb + j].hidden = True
        narrow = _dc.protect(ls, thr)
    return np.array([c.hidden for c in ls.cells[:na * nb]]).reshape(na, nb)


# Above this many counts a table takes the hypercube method (``disclosure.protect_grid``, near
# linear time) instead of the LP search (``disclosure.protect``: seconds to minutes on big crosstabs).
FAST_CELLS = 400


def suppress(df: pd.DataFrame, count_cols: str | Sequence[str] | None = None, *,
             threshold: int | None = None, by: str | Sequence[str] | None = None,
             within_row: dict[str, Sequence[str]] | None = None) -> Suppressed:
    """Disclosure control for a table of counts already made; returns ``Suppressed(table, mask)``.

    * **wide** (``by=None``): rows × ``count_cols`` (default: every integer column). A reader is
      assumed to know every row total, every column total and the grand total.
    * **long** (``by`` given): ``[*by, *category columns, count]``; the totals of each ``by``
      group, of each category combination and the grand total are assumed known.
    * ``within_row={"sample": [...]}``: in a wide table, the column ``sample`` is a per-row count
      of which each of the listed columns is a part (``cell ≤ sample ≤ sum of the parts``),
      instead of an ordinary column; the ``sample`` column's total is assumed known.

    Counts from 1 to ``threshold - 1`` are hidden (``:``), then complementary cells until every
    hidden cell's feasible range (linear programming, hidden ≥ 1 where zeros are shown) is at
    least ``threshold`` wide. Missing counts are shown as missing. A table of more than
    ``FAST_CELLS`` counts (without ``within_row``) is protected by ``disclosure.protect_grid``
    instead, whose proven ranges the LP audit confirms in the tests.

    >>> t, m = suppress(pd.DataFrame({"kommune": ["A", "B", "C"], "n": [3, 40, 12]}), threshold=5)
    >>> t["n"].tolist()
    [':', '40', ':']
    """
    thr = small_cell_threshold(threshold)
    if isinstance(count_cols, str):
        count_cols = [count_cols]
    if by is not None:
        by = [by] if isinstance(by, str) else list(by)
        if count_cols is None:
            count_cols = [c for c in df.columns if c not in by and pd.api.types.is_integer_dtype(df[c])]
        if len(count_cols) != 1:
            raise ValueError(f"a long table needs exactly one count column, found {list(count_cols)}")
        ccol = count_cols[0]
        other = [c for c in df.columns if c not in by and c != ccol]
        vals = pd.to_numeric(df[ccol]).fillna(0).astype("int64").to_numpy()
        groups = [df.groupby(by, sort=False, dropna=False).ngroup().to_numpy()]
        if other:
            groups.append(df.groupby(other, sort=False, dropna=False).ngroup().to_numpy())
        if len(vals) > FAST_CELLS:   # by groups × the other columns' groups (no other: the place in the group)
            cols_ = groups[1] if other else pd.Series(groups[0]).groupby(groups[0]).cumcount().to_numpy()
            hidden = _dc.protect_grid(vals, groups[0], cols_, thr).hidden.reshape(-1, 1)
        else:
            hidden = _lines(vals, groups, thr).reshape(-1, 1)
        cols = [ccol]
    else:
        if count_cols is None:
            count_cols = [c for c in df.columns if pd.api.types.is_integer_dtype(df[c])
                          and not pd.api.types.is_bool_dtype(df[c])]
        cols = list(count_cols)
        if not cols:
            raise ValueError("no count columns found; name them with count_cols=")
        block = df[cols].apply(pd.to_numeric).fillna(0).astype("int64").to_numpy()
        if block.size > FAST_CELLS and not within_row:
            rows, columns = np.divmod(np.arange(block.size), block.shape[1])
            if block.shape[1] == 1:
                rows, columns = columns, rows   # one column: one line whose total is known
            hidden = _dc.protect_grid(block.ravel(), rows, columns, thr).hidden.reshape(block.shape)
        else:
            hidden = _wide(block, cols, within_row or {}, thr)
    mask = pd.DataFrame(hidden, index=df.index, columns=cols)
    table = df.copy()
    for k, c in enumerate(cols):
        table[c] = _dc.display_counts(df[c], hidden[:, k])
    return Suppressed(_dc.as_table(table), mask)


def _lines(vals: np.ndarray, groups: list[np.ndarray], thr: int) -> np.ndarray:
    ls = _dc.LinkedSet(len(vals))
    for k, v in enumerate(vals):
        ls.add(_dc.Cell((k,), int(v), "t", hidden=bool(0 < v < thr)))
    for key in groups:
        for g in np.unique(key):
            members = tuple(int(k) for k in np.flatnonzero(key == g))
            ls.add(_dc.Cell(members, int(vals[list(members)].sum()), "m", hideable=False))
    ls.add(_dc.Cell(tuple(range(len(vals))), int(vals.sum()), "N", hideable=False))
    _dc.protect(ls, thr)
    return np.array([c.hidden for c in ls.cells[:len(vals)]], dtype=bool)


def _wide(block: np.ndarray, cols: list[str], within: dict[str, Sequence[str]], thr: int) -> np.ndarray:
    n_rows, n_cols = block.shape
    var = lambda r, c: r * n_cols + c  # noqa: E731
    ls = _dc.LinkedSet(n_rows * n_cols)
    for r in range(n_rows):
        for c in range(n_cols):
            v = int(block[r, c])
            ls.add(_dc.Cell((var(r, c),), v, "t", hidden=bool(0 < v < thr)))
    special = {cols.index(k): [cols.index(p) for p in parts] for k, parts in within.items()}
    plain = [c for c in range(n_cols) if c not in special]
    for c in (special or range(n_cols)):  # with a per-row count, only its total is known (the sample)
        ls.add(_dc.Cell(tuple(var(r, c) for r in range(n_rows)), int(block[:, c].sum()), "m", hideable=False))
    if not special:
        for r in range(n_rows):
            ls.add(_dc.Cell(tuple(var(r, c) for c in plain), int(block[r, plain].sum()), "m", hideable=False))
        ls.add(_dc.Cell(tuple(range(n_rows * n_cols)), int(block.sum()), "N", hideable=False))
    for s, parts in special.items():
        for r in range(n_rows):
            for p in parts:  # a part ≤ the row's count
                ls.ub.append(({var(r, p): 1.0, var(r, s): -1.0}, 0.0))
            ls.ub.append(({var(r, s): 1.0, **{var(r, p): -1.0 for p in parts}}, 0.0))  # count ≤ sum of parts
    _dc.protect(ls, thr)
    return np.array([c.hidden for c in ls.cells[:n_rows * n_cols]], dtype=bool).reshape(n_rows, n_cols)


def with_footnote(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (made from ``count_table``/``suppress`` output) with the footnote under it."""
    return _dc.as_table(df)


def unsuppressed_table(df: pd.DataFrame, *, purpose: str | None, store=None, role: str = "-",
                 count_cols: Sequence[str] | None = None) -> pd.DataFrame:
    """The counts as they are, for internal work only — never for publication.

    An explicit choice: it is written to the audit log (operation ``uskjult-tabell``, the
    ``purpose``, the number of persons counted) and the table carries the note
    ``UNSUPPRESSED_NOTE`` ("IKKE FOR PUBLISERING …") under it.
    """
    cols = list(count_cols) if count_cols else [c for c in df.columns if pd.api.types.is_integer_dtype(df[c])]
    n = int(sum(pd.to_numeric(df[c]).fillna(0).sum() for c in cols)) if cols else 0
    audit(store, "uskjult-tabell", role=role, n_persons=n, purpose=purpose)
    return _dc.as_table(df, _dc.UNSUPPRESSED_NOTE)


