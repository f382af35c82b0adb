"""Reading identifiers from what analysts have: CSV/Excel files, pasted text, uploads, lists.

``read_ids`` finds the id column and undoes Excel's number formatting; ``validate_input`` checks
every value (``ids.validate_many``) and lists the refused ones with their line numbers. Nothing
here sends anything.
"""
from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from . import ids as _ids
from .errors import InputError, clean_text
from .messages import msg

__all__ = ["ID_SEPARATORS", "invalid_message", "read_ids", "split_input", "validate_input"]

_ID_HEADER = re.compile(r"(?i)^\s*(f(ø|oe|o)dsels(el+er)?d?-?nummer|foedselsellerdnummer|f(ø|oe|o)dselsnr|fnr|"
                        r"d-?nr|d-?nummer|personnummer|personnr|personidentifikator|"
                        r"folkeregisteridentifikator|ident|identifikator|id|pnr)\s*$")
ID_SEPARATORS = re.compile(r"[\s,;|]+")
_NUMERIC_ID = re.compile(r"^\d{10,11}(\.0+)?$")


def read_ids(source: str | os.PathLike | bytes | Iterable[Any], *, column: str | None = None,
             filename: str | None = None, sheet: str | int = 0) -> list[str]:
    """Identifiers from a CSV/Excel/text file, pasted text, uploaded bytes or a list — as strings.

    Tolerant of what case systems export: finds the id column by its name (``fnr``,
    ``fødselsnummer``, ``foedselsEllerDNummer``, ``personnummer``, ``ident``…) or else by its
    content; reads ``;``/``,``/tab separated files with or without a header; undoes Excel's
    number formatting (``1019012345.0``) — a leading zero Excel dropped is restored when the ids
    are validated. Nothing is validated or sent here; ``lookup_persons`` does that.

    ``source``: a path (``.csv``, ``.txt``, ``.xlsx``, ``.xls``), text with ids separated by new
    lines, spaces, commas or semicolons, bytes of an uploaded file (give ``filename=`` so the
    format is known), or any iterable of values. ``column`` names the id column explicitly.

    >>> read_ids("10927810072\\n 0903851598730, ")
    ['10927810072', '0903851598730']
    """
    if isinstance(source, (bytes, bytearray)):
        return _ids_from_bytes(bytes(source), filename or "", column, sheet)
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise InputError(msg("ids_input.no_file", path=path))
        return _ids_from_bytes(path.read_bytes(), path.name, column, sheet)
    if isinstance(source, str):
        return _ids_from_text(source, column)
    if isinstance(source, pd.DataFrame):
        return _ids_from_frame(source, column)
    if isinstance(source, Iterable):
        return [_clean_cell(x) for x in source if _clean_cell(x)]
    raise InputError(msg("ids_input.kind"))


def _looks_like_path(s: str) -> bool:
    s = s.strip()
    if not s or "\n" in s or len(s) > 4096:
        return False
    return bool(re.search(r"(?i)\.(csv|txt|tsv|xlsx|xlsm|xls)$", s)) or os.sep in s


def _clean_cell(x: Any) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return ""
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    s = str(x).strip().strip('"').strip("'").strip()
    if _NUMERIC_ID.match(s):
        s = s.split(".")[0]
    return s.replace(" ", "") if re.fullmatch(r"\d{6} \d{5}", s) else s


def _ids_from_bytes(data: bytes, name: str, column: str | None, sheet: str | int) -> list[str]:
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm", ".xls")) or data[:4] == b"PK\x03\x04":
        try:
            df = pd.read_excel(io.BytesIO(data), sheet_name=sheet, dtype=object, header=None)
        except Exception as e:  # openpyxl raises many kinds
            raise InputError(msg("ids_input.excel", name=name or "", error=clean_text(e, limit=120))) from None
        return _ids_from_grid(df, column)
    return _ids_from_text(_decode(data, name), column)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode(data: bytes, name: str) -> str:
    """Text of a file in an encoding Excel writes: UTF-8 with or without BOM, UTF-16 ("Unicode
    text", with BOM) or cp1252 (older "CSV (semikolonseparert)"). Written by hand because the set
    is small and known: a guessing library (charset-normalizer) would also "read" binary files.
    Anything else — a binary file, another encoding — is an InputError saying how to save it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    elif data.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":
        candidates = ("utf-16-le",)   # UTF-16 without BOM: every other byte of ASCII text is zero
    else:
        candidates = ("utf-8", "cp1252")
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return text
    raise InputError(msg("ids_input.unreadable", name=clean_text(name or "", limit=80) or msg("ids_input.the_file")))


def _ids_from_text(text: str, column: str | None) -> list[str]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    sample = "\n".join(lines[:50])
    delim = None
    if any(d in sample for d in (";", "\t", ",")) and (column or not _all_tokens_are_ids(sample)):
        try:
            delim = csv.Sniffer().sniff(sample, delimiters=";\t,").delimiter
        except csv.Error:
            delim = None
    if delim is None:
        return [t for t in (_clean_cell(t) for t in ID_SEPARATORS.split(text)) if t and not _ID_HEADER.match(t)]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    width = max(len(r) for r in rows)
    df = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    return _ids_from_grid(df, column)


def _all_tokens_are_ids(sample: str) -> bool:
    tokens = [t for t in ID_SEPARATORS.split(sample) if t]
    return bool(tokens) and all(_NUMERIC_ID.match(_clean_cell(t)) or _ID_HEADER.match(t) for t in tokens)


def _ids_from_frame(df: pd.DataFrame, column: str | None) -> list[str]:
    header = pd.DataFrame([list(df.columns)], dtype=object)
    return _ids_from_grid(pd.concat([header, df.astype(object)], ignore_index=True).set_axis(
        range(df.shape[1]), axis=1), column)


def _ids_from_grid(df: pd.DataFrame, column: str | None) -> list[str]:
    """``df``: raw cells, no header applied. Find the header row/id column and return its cells."""
    if df.empty:
        return []
    df = df.dropna(how="all").reset_index(drop=True)
    first = [str(c).strip() if c is not None and c == c else "" for c in df.iloc[0].tolist()]
    col_idx = None
    has_header = False
    if column is not None:
        wanted = column.strip().lower()
        for i, c in enumerate(first):
            if c.lower() == wanted:
                col_idx, has_header = i, True
                break
        if col_idx is None:
            shown = ", ".join(c for c in first if c) or msg("ids_input.no_header")
            raise InputError(msg("ids_input.no_column", column=column, shown=shown[:200]))
    else:
        for i, c in enumerate(first):
            if _ID_HEADER.match(c):
                col_idx, has_header = i, True
                break
    body = df.iloc[1:] if has_header else df
    if col_idx is None:
        # no recognisable header: the column where most cells look like 10-11 digit numbers
        scores = [sum(bool(_NUMERIC_ID.match(_clean_cell(x))) for x in df[c].tolist()) for c in df.columns]
        if not scores or max(scores) == 0:
            raise InputError(msg("ids_input.no_id_column"))
        col_idx = scores.index(max(scores))
        has_header = not _NUMERIC_ID.match(_clean_cell(df.iloc[0, col_idx]))
        body = df.iloc[1:] if has_header else df
    return [s for s in (_clean_cell(x) for x in body.iloc[:, col_idx].tolist()) if s]


def split_input(ids: Any) -> list[Any]:
    if ids is None:
        return []
    if isinstance(ids, (str, bytes, os.PathLike)):
        return read_ids(ids)
    if isinstance(ids, pd.DataFrame):
        return read_ids(ids)
    if isinstance(ids, pd.Series):
        return ids.tolist()
    if isinstance(ids, Iterable):
        return list(ids)
    raise InputError(msg("ids_input.kind"))


def validate_input(ids: Any) -> tuple[list[str], pd.DataFrame, int]:
    """(valid ids in first-seen order without duplicates, invalid table, number of values read)."""
    cleaned = [_clean_cell(x) for x in split_input(ids)]
    valid, bad = _ids.validate_many(cleaned)        # one pass; restores a zero Excel dropped
    bad_rows: list[tuple[int, str, str]] = []
    if bad:                                          # give each refused value its line number
        ok = set(valid)
        reasons = iter(bad)
        for pos, s in enumerate(cleaned, start=1):
            if not s:
                continue
            norm = "0" + s if len(s) == 10 and s.isdigit() else s
            if norm not in ok:
                masked, reason = next(reasons)
                bad_rows.append((pos, masked, reason))
    invalid = pd.DataFrame(bad_rows, columns=["linje", "foedselsEllerDNummer", "grunn"]).astype(
        {"linje": "int64", "foedselsEllerDNummer": "string", "grunn": "string"})
    return valid, invalid, sum(1 for s in cleaned if s)


def invalid_message(invalid: pd.DataFrame) -> str:
    shown = "; ".join(msg("ids_input.line", line=r.linje, masked=r.foedselsEllerDNummer, reason=r.grunn)
                      for r in invalid.head(5).itertuples())
    more = msg("ids_input.more", n=len(invalid) - 5) if len(invalid) > 5 else ""
    return f"{shown}{more}"


