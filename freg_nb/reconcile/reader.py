"""Reading a fagsystem list: any encoding Excel writes, any common column names, untidy rows.

``read_list`` gives every row of the file as text (rows in = rows out: empty rows are kept and
reported, never silently dropped), the columns it recognised and notes for the analyst. The
messages are bokmål and say what to do.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError

__all__ = ["COLUMN_ROLES", "ListTable", "read_list"]

# Column names as fagsystems write them, folded (lower case, æøå spelled out, no punctuation).
COLUMN_ROLES: dict[str, tuple[str, ...]] = {
    "id": ("fnr", "fodselsnummer", "foedselsnummer", "fodselsnr", "foedselsnr", "fnummer", "personnr",
           "personnummer", "fodselselderdnummer", "foedselsellerdnummer", "fodselsellerdnummer", "dnr",
           "dnummer", "ident", "identifikator", "personidentifikator", "folkeregisteridentifikator",
           "fnrdnr", "pnr", "id", "identifikasjonsnummer"),
    "fornavn": ("fornavn", "firstname", "fornavnmellomnavn", "givenname"),
    "mellomnavn": ("mellomnavn", "middlename"),
    "etternavn": ("etternavn", "slektsnavn", "lastname", "surname", "familienavn"),
    "navn": ("navn", "fulltnavn", "name", "personnavn", "fullname"),
    "adresse": ("adresse", "bostedsadresse", "gateadresse", "adresselinje", "adresselinje1", "adresse1",
                "address", "boadresse"),
    "adressenavn": ("adressenavn", "gatenavn", "vegnavn", "veinavn", "gate"),
    "husnummer": ("husnummer", "husnr", "nr", "nummer"),
    "husbokstav": ("husbokstav", "bokstav"),
    "postnummer": ("postnr", "postnummer", "postkode", "zip", "postnrsted"),
    "poststed": ("poststed", "sted", "poststedsnavn"),
    "kommunenummer": ("kommunenr", "kommunenummer", "knr", "kommune"),
}
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "aa"})
_ID_LIKE = re.compile(r"^\s*\d[\d .\-]{8,13}\d\s*$|^\s*\d{10,11}(\.0+)?\s*$")


@dataclass
class ListTable:
    """A list as read: ``data`` (every row, all text), ``columns`` (role → column name),
    ``notes`` (what was tolerated, bokmål), ``source`` (file name or a description)."""

    data: pd.DataFrame
    columns: dict[str, str]
    notes: list[str] = field(default_factory=list)
    source: str = "listen"

    def column(self, role: str) -> pd.Series | None:
        name = self.columns.get(role)
        return self.data[name] if name is not None else None


def _fold_header(h: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(h).strip().lower().translate(_FOLD))


def read_list(source: Any, *, filename: str | None = None, sheet: str | int = 0,
              columns: dict[str, str] | None = None) -> ListTable:
    """Read a fagsystem list from a path (``.csv``/``.txt``/``.xlsx``), uploaded bytes (give
    ``filename``), pasted text or a DataFrame.

    Encodings: UTF-8 with or without BOM, UTF-16 (with BOM, as Excel's «Unicode-tekst»), cp1252
    (Excel's «CSV (semikolondelt)» on Windows) — and a file whose lines mix UTF-8 and cp1252
    is read line by line. Separators ``;``, ``,``, tab or ``|``. Column names are recognised in
    many spellings (``fnr``, ``Fødselsnummer``, ``personnr``, ``Adresse``, ``Postnr`` …; see
    ``COLUMN_ROLES``); without a recognisable id column the one holding 11-digit numbers is used.
    ``columns`` overrides: ``{"id": "Kundenr", "adresse": "Gate"}``.
    """
    notes: list[str] = []
    if isinstance(source, pd.DataFrame):
        body = source.astype(object).set_axis(range(source.shape[1]), axis=1)
        grid = pd.concat([pd.DataFrame([[str(c) for c in source.columns]]), body], ignore_index=True)
        name = filename or "tabellen"
    elif isinstance(source, (bytes, bytearray)):
        name = filename or "filen"
        grid = _grid_from_bytes(bytes(source), name, sheet, notes)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise InputError(f"Fant ikke filen {path}. Sjekk stien, eller last opp filen.")
        name = path.name
        grid = _grid_from_bytes(path.read_bytes(), name, sheet, notes)
    elif isinstance(source, str):
        name = "teksten"
        grid = _grid_from_text(source)
    else:
        raise InputError("Gi listen som en sti til en CSV- eller Excel-fil, som opplastede bytes eller som "
                         "en tabell (DataFrame).")
    return _table(grid, name, columns, notes)


def _looks_like_path(s: str) -> bool:
    s = s.strip()
    return bool(s) and "\n" not in s and len(s) < 4096 and (
        bool(re.search(r"(?i)\.(csv|txt|tsv|xlsx|xlsm|xls)$", s)) or os.sep in s)


def _grid_from_bytes(data: bytes, name: str, sheet: str | int, notes: list[str]) -> pd.DataFrame:
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")) or data[:4] == b"PK\x03\x04":
        try:
            grid = pd.read_excel(io.BytesIO(data), sheet_name=sheet, header=None, dtype=object)
        except Exception as e:  # openpyxl raises many kinds
            raise InputError(f"Klarte ikke å lese Excel-filen {name}: {str(e)[:120]}. Lagre den på nytt som .xlsx "
                             "eller som CSV, og prøv igjen.") from None
        return grid
    return _grid_from_text(_decode(data, name, notes))


def _decode(data: bytes, name: str, notes: list[str]) -> str:
    """Text from the bytes of a CSV file in any encoding Excel writes (see ``read_list``)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{name} ser ut som UTF-16, men kan ikke leses som det. Lagre den som «CSV UTF-8» "
                             "i Excel og prøv igjen.") from None
    elif len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        return data.decode("utf-16-le", errors="replace")   # UTF-16 without BOM
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines, n_utf8, n_1252 = [], 0, 0
    for raw in data.split(b"\n"):                # by line: some systems append to a file in another encoding
        try:
            line = raw.decode("utf-8")
            n_utf8 += any(b > 127 for b in raw)
        except UnicodeDecodeError:
            line = raw.decode("cp1252", errors="replace")
            n_1252 += 1
        lines.append(line)
    if n_utf8 and n_1252:
        notes.append(f"{name} blander tegnkodinger (UTF-8 og Windows-1252); hver linje er lest for seg. Lagre "
                     "filen som «CSV UTF-8» neste gang.")
    return "\n".join(lines)


def _grid_from_text(text: str) -> pd.DataFrame:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():       # trailing blank lines are the file's end, not rows
        lines.pop()
    if not lines:
        return pd.DataFrame()
    sample = "\n".join(lines[:50])
    try:
        delim = csv.Sniffer().sniff(sample, delimiters=";\t,|").delimiter
    except csv.Error:
        delim = next((d for d in ";\t,|" if d in sample), ";")
    rows = list(csv.reader(lines, delimiter=delim))
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _table(grid: pd.DataFrame, name: str, explicit: dict[str, str] | None, notes: list[str]) -> ListTable:
    if grid.empty or grid.shape[1] == 0:
        raise InputError(f"{name} er tom. Velg filen med listen (én rad per person, med en kolonne fødselsnummer).")
    grid = grid.where(grid.notna(), "").astype(str).astype(pd.StringDtype("pyarrow"))
    grid = grid.apply(lambda col: col.str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True))  # Excel's 123.0
    # the header: the first non-empty row, if it names at least one known column
    filled = (grid != "").any(axis=1)
    first = int(filled.to_numpy().argmax())
    header = grid.iloc[first].tolist()
    roles = _roles_by_name(header)
    if roles:
        names = _unique_names(header)
        data = grid.iloc[first + 1:].reset_index(drop=True)
        data.columns = names
        roles = {r: names[i] for r, i in roles.items()}
    else:
        names = [f"kolonne {k + 1}" for k in range(grid.shape[1])]
        data = grid.iloc[first:].reset_index(drop=True)
        data.columns = names
        notes.append(f"{name} har ingen kjent overskriftsrad; kolonnene er funnet ut fra innholdet.")
    for role, col in (explicit or {}).items():
        if role not in COLUMN_ROLES:
            raise InputError(f"Ukjent kolonnerolle {role!r}: bruk {', '.join(COLUMN_ROLES)}.")
        if col not in data.columns:
            raise InputError(f"{name} har ingen kolonne {col!r}. Kolonnene er: {', '.join(map(str, data.columns))}.")
        roles[role] = col
    if "id" not in roles:
        col = _id_column_by_content(data)
        if col is None:
            shown = ", ".join(str(c) for c in data.columns if str(c))[:200] or "(ingen)"
            raise InputError(f"Fant ingen kolonne med fødselsnummer eller D-nummer i {name} (kolonner: {shown}). "
                             "Gi kolonnen et navn som «fnr» eller «Fødselsnummer», eller velg den med "
                             "columns={'id': 'kolonnenavn'}. Ingenting er sendt.")
        roles["id"] = col
        notes.append(f"Kolonnen «{col}» er brukt som fødselsnummer (flest 11-sifrede tall).")
    return ListTable(data=data, columns=roles, notes=notes, source=name)


def _roles_by_name(header: list[str]) -> dict[str, int]:
    folded = [_fold_header(h) for h in header]
    out: dict[str, int] = {}
    for role, names in COLUMN_ROLES.items():
        for i, f in enumerate(folded):
            if f in names and i not in out.values():
                out[role] = i
                break
    return out


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for k, h in enumerate(header):
        h = h or f"kolonne {k + 1}"
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


def _id_column_by_content(data: pd.DataFrame) -> str | None:
    best, best_share = None, 0.0
    for c in data.columns:
        s = data[c]
        nonempty = s[s != ""]
        if nonempty.empty:
            continue
        share = float(nonempty.str.match(_ID_LIKE.pattern).fillna(False).mean())
        if share > best_share:
            best, best_share = c, share
    return best if best_share >= 0.5 else None
