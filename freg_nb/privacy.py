"""Privacy rules used by every display, aggregate and export — in one place.

* **Identifiers** are masked (``010190*****``, see ``ids.mask``) unless ``show=True``.
* **Small cells**: aggregate counts from 1 to ``threshold - 1`` are shown as ``<5``; secondary
  suppression stops a reader from recomputing them from totals (see ``suppress``).
* **Address protection**: persons with ``fortrolig`` or ``strengtFortrolig`` address protection
  (compared case-insensitively) never have address values shown, exported or plotted; they are
  flagged ``adressebeskyttet`` instead (see ``drop_protected_addresses``).
* **Audit**: every lookup of personal data can be recorded (``audit``) with identifiers only as
  salted SHA-256 hashes.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import orjson
import pandas as pd

from freg_nb import ids as _ids
from freg_nb.codes import PROTECTED_LEVELS

__all__ = [
    "ADDRESS_COLUMNS",
    "ID_COLUMNS",
    "KOMMUNE_COLUMNS",
    "PROTECTED_LEVELS",
    "Suppressed",
    "audit",
    "drop_protected_addresses",
    "is_protected",
    "mask_ids",
    "mask_series",
    "small_cell_threshold",
    "suppress",
]


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
    "nord", "oest", "adresselinje", "adresse",
)
"""Small-area and address columns blanked for protected persons."""

KOMMUNE_COLUMNS = ("kommunenummer", "kommunenavn", "bostedskommune", "oppholdskommune")
"""Large-area columns: blanked too unless ``keep_kommune=True`` (for per-kommune aggregates)."""

_SUPPRESSED_MARK = "<{threshold}"


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


# ---- small cells --------------------------------------------------------------------------
class Suppressed(NamedTuple):
    """``table``: the display table (counts as text, suppressed cells ``<5``);
    ``mask``: True where a count was suppressed (same index, the count columns)."""

    table: pd.DataFrame
    mask: pd.DataFrame


def small_cell_threshold(threshold: int | None = None) -> int:
    """``threshold``, else ``FREG_NB_SMALL_CELL``, else 5."""
    if threshold is None:
        raw = os.environ.get("FREG_NB_SMALL_CELL", "5")
        try:
            threshold = int(raw)
        except ValueError:
            raise ValueError(f"FREG_NB_SMALL_CELL must be a whole number, got {raw!r}") from None
    if threshold < 1:
        raise ValueError("the small-cell threshold must be at least 1")
    return int(threshold)


def _secondary(values: np.ndarray, supp: np.ndarray, lines: list[np.ndarray]) -> np.ndarray:
    """Add secondary suppressions until no line has exactly one suppressed cell that a
    published line total would reveal. ``lines``: for each dimension, a line id per cell."""
    supp = supp.copy()
    positive = np.nan_to_num(values, nan=0.0) > 0
    while True:
        changed = False
        for key in lines:
            n_supp = np.bincount(key, weights=supp.astype(float), minlength=key.max() + 1 if len(key) else 0)
            lonely = np.flatnonzero(n_supp == 1)
            if not len(lonely):
                continue
            cand = np.isin(key, lonely) & ~supp & positive
            if not cand.any():
                continue
            idx = np.flatnonzero(cand)
            frame = pd.DataFrame({"line": key[idx], "v": values[idx], "i": idx})
            pick = frame.sort_values(["v", "i"], kind="stable").drop_duplicates("line")["i"].to_numpy()
            supp[pick] = True
            changed = True
        if not changed:
            return supp


def _display(values: pd.Series, supp: pd.Series, label: str) -> pd.Series:
    text = values.astype("Int64").astype(pd.StringDtype("pyarrow"))
    return text.mask(supp.astype(bool), label)


def suppress(df: pd.DataFrame, count_cols: str | Sequence[str] | None = None, *,
             threshold: int | None = None, by: str | Sequence[str] | None = None) -> Suppressed:
    """Small-cell suppression for an aggregate table; returns ``Suppressed(table, mask)``.

    The rule:

    1. **Primary**: a count from 1 to ``threshold - 1`` is shown as ``"<threshold"`` (``<5``).
       A zero stays ``0``: an empty cell identifies nobody, and hiding it would only make the
       table harder to read.
    2. **Secondary**: within each *line* whose total a reader may know (a row or a column of a
       crosstab, a group of a long table), a single suppressed cell could be recomputed as
       total minus the visible cells. So wherever a line holds exactly one suppressed cell,
       the smallest other non-zero visible cell of that line is suppressed too; repeated until
       no line has a lone suppressed cell. (If a line's other cells are all zero, nothing can
       hide it: do not publish that line's total.)

    Two shapes:

    * **wide crosstab** (``by=None``): rows × ``count_cols`` (default: every integer column).
      Lines are each row (across the count columns) and each count column (down the rows).
    * **long table** (``by`` given): columns ``[*by, *category columns, count]`` with one count
      column. Lines are each ``by`` group and, across groups, each combination of the other
      (category) columns — the same two dimensions as the crosstab it would pivot to.

    The threshold defaults to ``FREG_NB_SMALL_CELL`` or 5. Missing counts are shown as ``""``.

    >>> t, m = suppress(pd.DataFrame({"kommune": ["A", "B", "C"], "n": [3, 40, 12]}), threshold=5)
    >>> t["n"].tolist()
    ['<5', '40', '<5']
    """
    thr = small_cell_threshold(threshold)
    label = _SUPPRESSED_MARK.format(threshold=thr)
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
        vals = pd.to_numeric(df[ccol]).to_numpy(dtype=float, na_value=np.nan)
        supp = (vals > 0) & (vals < thr)
        lines = [df.groupby(by, sort=False, dropna=False).ngroup().to_numpy()]
        if other:
            lines.append(df.groupby(other, sort=False, dropna=False).ngroup().to_numpy())
        supp = _secondary(vals, supp, lines)
        mask = pd.DataFrame({ccol: supp}, index=df.index)
        table = df.copy()
        table[ccol] = _display(df[ccol], mask[ccol], label)
        return Suppressed(table, mask)

    if count_cols is None:
        count_cols = [c for c in df.columns if pd.api.types.is_integer_dtype(df[c])
                      and not pd.api.types.is_bool_dtype(df[c])]
    count_cols = list(count_cols)
    if not count_cols:
        raise ValueError("no count columns found; name them with count_cols=")
    block = df[count_cols].apply(pd.to_numeric).to_numpy(dtype=float, na_value=np.nan)
    n_rows, n_cols = block.shape
    vals = block.ravel()  # row-major: cell (r, c) at r * n_cols + c
    supp = (vals > 0) & (vals < thr)
    lines = []
    if n_cols > 1:
        lines.append(np.repeat(np.arange(n_rows), n_cols))
    if n_rows > 1:
        lines.append(np.tile(np.arange(n_cols), n_rows))
    if lines and len(vals):
        supp = _secondary(vals, supp, lines)
    mask = pd.DataFrame(supp.reshape(n_rows, n_cols), index=df.index, columns=count_cols)
    table = df.copy()
    for c in count_cols:
        table[c] = _display(df[c], mask[c], label)
    return Suppressed(table, mask)


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
    boolean ``adressebeskyttet`` column.
    """
    out = df.copy()
    flag = protected_rows(df)
    cols = [c for c in df.columns if c in ADDRESS_COLUMNS or (not keep_kommune and c in KOMMUNE_COLUMNS)]
    for c in cols:
        if flag.any():
            out[c] = out[c].mask(flag)
    out["adressebeskyttet"] = flag.astype("boolean")
    return out


# ---- audit --------------------------------------------------------------------------------
def _salt(path: Path) -> bytes:
    """The per-data-folder salt (32 random bytes, 0600), created once, atomically."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".tmp-salt-{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, secrets.token_hex(32).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process won the race: use theirs
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return bytes.fromhex(path.read_text().strip())


def hash_ids(datadir, idents: Iterable[str]) -> list[str]:
    """Salted SHA-256 (hex) of each identifier, with the data folder's salt."""
    root = Path(getattr(datadir, "path", datadir))
    salt = _salt(root / "audit.salt")
    return [hashlib.sha256(salt + str(i).strip().encode()).hexdigest() for i in idents]


def audit(datadir, action: str, *, role: str, n_persons: int, purpose: str | None = None,
          ids: Iterable[str] = ()) -> dict:
    """Append one JSON line to ``audit.log`` in the data folder; returns the record.

    Fields: ``time`` (UTC, ISO 8601), ``action``, ``role`` (the role *name*), ``purpose``,
    ``n_persons``, ``ids_sha256`` (identifiers as salted SHA-256 hashes — never in clear; the
    salt is ``audit.salt``, 0600, one per data folder). The file is opened with ``O_APPEND``
    and each record is written with a single ``write``: lines are only ever added.
    """
    from freg_nb.store import DataDir

    store = datadir if isinstance(datadir, DataDir) else DataDir(datadir)
    if not isinstance(n_persons, (int, np.integer)) or n_persons < 0:
        raise ValueError("n_persons must be a non-negative whole number")
    record = {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "action": str(action),
        "role": str(role),
        "purpose": purpose,
        "n_persons": int(n_persons),
        "ids_sha256": hash_ids(store, ids),
    }
    line = orjson.dumps(record) + b"\n"
    fd = os.open(store.audit_log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return record
