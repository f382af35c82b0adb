"""Oppslag: person lookups into tidy DataFrames — one person, many persons, søk, entydig søk, arkiv.

    >>> import freg_nb
    >>> from freg_nb.lookups import lookup_persons, read_ids
    >>> res = lookup_persons(None, read_ids("saker.xlsx"), role="skole",        # doctest: +SKIP
    ...                      parts=["navn", "bostedsadresse", "status"], purpose="skoleinntak 2026")
    >>> res.persons.head()        # one row per person, identifiers masked (010190*****)   # doctest: +SKIP
    >>> res.errors                # not found / refused per person — never silently dropped # doctest: +SKIP
    >>> res.invalid               # ids refused locally (never sent)                        # doctest: +SKIP

How a bulk lookup runs (``lookup_persons``):

1. Everything is checked before any request is sent: the role, the part names (against the
   spec's vocabulary and, when known, the role's allowed parts → ``PartNotAllowed``) and every
   identifier (``ids.validate_many``; invalid ones are listed in ``result.invalid``, not sent).
2. The lookup is recorded in the audit log of the private data folder (role, purpose, count,
   identifiers only as salted hashes).
3. The valid ids are sorted and cut into bulk calls of at most 1000. Each call runs through the
   client's bounded concurrency (``FregClient.map``, a progress bar); its answer is written,
   as the raw bytes received, atomically to ``raw/oppslag-<key>/bulk-NNNNN.json`` in the data
   folder. ``<key>`` is a hash of (role, parts, sorted ids), so rerunning the same request after
   an interruption reuses the calls already stored and only fetches the rest: nothing is lost
   or duplicated. A finished run is fetched afresh next time (the register changes).
4. ``tables`` (DuckDB) flattens the stored answers: persons, per-person errors, history,
   relations. No person is ever held as a Python dict.

Displays and exports follow the privacy rules: identifiers masked unless ``show_ids=True``;
protected addresses (fortrolig / strengt fortrolig) are blanked and the person flagged
``adressebeskyttet``.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import orjson
import pandas as pd

from . import ids as _ids
from . import privacy
from .errors import AccessDenied, BadRequest, FregNbError, InputError, NotFound, PartNotAllowed, clean_text

__all__ = [
    "BULK_SIZE",
    "LookupResult",
    "PERSON_BASIS",
    "PART_GROUPS",
    "allowed_parts",
    "check_parts",
    "example_ids",
    "fetch_bulk",
    "find_person",
    "lookup_archived",
    "lookup_person",
    "lookup_persons",
    "read_ids",
    "run_key",
    "search_persons",
]

BULK_SIZE = 1000
"""Identifiers per bulk call (Freg's maximum)."""

PERSON_BASIS = frozenset({
    "identifikasjonsnummer", "identitetsgrunnlag", "status", "doedsfall", "sivilstand", "foedsel",
    "statsborgerskap", "kjoenn", "navn", "bostedsadresse", "oppholdsadresse", "deltBosted",
    "postadresse", "postadresseIUtlandet", "adressebeskyttelse", "kontaktinformasjonForDoedsbo"})
"""The elements behind ``person-basis`` (what Freg returns when no part is named)."""

PART_GROUPS: dict[str, frozenset[str]] = {
    "person-basis": PERSON_BASIS,
    "identitetsgrunnlag-utvidet": frozenset({"falskIdentitet", "legitimasjonsdokument",
                                             "utenlandskPersonidentifikasjon"}),
    "relasjon-utvidet": frozenset({"familierelasjon", "foreldreansvar", "vergemaalEllerFremtidsfullmakt"}),
}
HISTORIKK = "historikk"
STALE_RUN_S = 24 * 3600  # an unfinished run older than this is started again, not resumed
_RUN_PREFIX = "oppslag-"
_DONE = "done.json"


# =============================================================================================
# The result


@dataclass
class LookupResult:
    """What a lookup gives back. Tables are already masked (unless ``show_ids``) and never carry a
    protected person's address.

    * ``persons`` — one row per person found (input order), Freg's field names in snake case.
    * ``errors`` — one row per identifier Freg answered without a person (``feilmelding``, not found).
    * ``invalid`` — identifiers refused locally (never sent): ``linje`` (1-based position in the
      input), ``foedselsEllerDNummer`` (masked), ``grunn`` (what is wrong).
    * ``history(element)`` / ``relations`` — from the same stored answers.
    * ``raw_dir`` — the run folder in the private data folder; ``stats`` — calls, timings, counts.
    """

    persons: pd.DataFrame
    errors: pd.DataFrame
    invalid: pd.DataFrame
    raw_dir: Path
    stats: dict[str, Any]
    role: str
    parts: list[str] | None
    show_ids: bool = False
    ids: list[str] = field(default_factory=list, repr=False)   # the valid ids sent (full; never displayed)
    _data_dir: Any = field(default=None, repr=False)
    _row_ids: list[str] = field(default_factory=list, repr=False)  # full id of each persons row
    _protected: set[str] = field(default_factory=set, repr=False)  # full ids of protected persons

    def __repr__(self) -> str:
        return (f"LookupResult(role={self.role!r}, persons={len(self.persons)}, errors={len(self.errors)}, "
                f"invalid={len(self.invalid)}, calls={self.stats.get('calls')})")

    # -- more tables from the stored answers --------------------------------------------
    def history(self, element: str = "bostedsadresse", *, person: int | str | None = None) -> pd.DataFrame:
        """Every stored version of ``element`` (e.g. ``bostedsadresse``, ``navn``, ``sivilstand``).

        Fetch with ``history=True`` to get earlier versions, not just the current one.
        ``person`` limits it to one person: a row number of ``persons`` or an identifier.
        Protected persons' addresses are blanked.
        """
        from . import tables

        if not isinstance(element, str) or not element.strip():
            raise InputError("Name the element to show the history of, e.g. 'bostedsadresse' or 'navn'.")
        df = tables.history_table(self._paths(), element.strip(), show_ids=True)
        df = _filter_person(df, self._ident_of(person)) if person is not None else df
        if element.strip() in ("bostedsadresse", "oppholdsadresse", "postadresse", "deltBosted"):
            df = _protect(df, self._protected, show_ids=True)
        return privacy.mask_ids(df, show=self.show_ids)

    @property
    def relations(self) -> pd.DataFrame:
        """Family relations (familierelasjon) of the persons, both identifiers masked by default."""
        from . import tables

        return privacy.mask_ids(tables.relations_table(self._paths(), show_ids=True), show=self.show_ids)

    def person_labels(self) -> list[tuple[str, int]]:
        """``[(label, row number)]`` for a picker: masked identifier (+ name when present)."""
        col = _id_column(self.persons)
        out = []
        for pos, ident in enumerate(self.persons[col].tolist() if col else []):
            label = f"{ident}"
            for name_col in ("fornavn", "etternavn"):
                if name_col in self.persons.columns:
                    v = self.persons[name_col].iloc[pos]
                    if isinstance(v, str) and v:
                        label += f" {v}"
            out.append((label.strip(), pos))
        return out

    # -- export -------------------------------------------------------------------------
    def export(self, formats: Sequence[str] | str = ("csv", "xlsx", "parquet"), *, name: str | None = None,
               data_dir: Any = None) -> dict[str, Path]:
        """Write the tables to ``exports/`` in the private data folder (files 0600, atomic).

        CSV and Parquet hold the persons table (``<name>.csv``, ``<name>.parquet``); Excel holds
        the sheets ``personer``, ``feil`` and ``ugyldige``. Identifiers as displayed (masked unless
        ``show_ids``), protected addresses never included. Returns ``{format: path}``.
        """
        from .store import DataDir

        if isinstance(formats, str):
            formats = [formats]
        unknown = sorted(set(formats) - {"csv", "xlsx", "excel", "parquet"})
        if unknown:
            raise InputError(f"Unknown export format(s) {unknown}: use csv, xlsx or parquet.")
        name = name or f"oppslag-{self.raw_dir.name.removeprefix(_RUN_PREFIX)[:10]}-{time.strftime('%Y%m%d-%H%M%S')}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}", name):
            raise InputError("An export name may hold letters, digits, '.', '_' and '-' only.")
        store = data_dir if isinstance(data_dir, DataDir) else DataDir(data_dir or self._data_dir)
        persons = _protect(self.persons, None, show_ids=True)  # belt and braces: re-apply the rule
        out: dict[str, Path] = {}
        for fmt in dict.fromkeys("xlsx" if f == "excel" else f for f in formats):
            if fmt == "csv":
                data = persons.to_csv(index=False).encode("utf-8-sig")  # BOM: Excel reads æøå
            elif fmt == "parquet":
                buf = io.BytesIO()
                persons.to_parquet(buf, index=False)
                data = buf.getvalue()
            else:
                buf = io.BytesIO()
                with pd.ExcelWriter(buf, engine="openpyxl") as xw:
                    for sheet, df in (("personer", persons), ("feil", self.errors), ("ugyldige", self.invalid)):
                        _excel_ready(df).to_excel(xw, sheet_name=sheet, index=False)
                data = buf.getvalue()
            out[fmt] = store.write_bytes(f"exports/{name}.{fmt}", data)
        return out

    # -- display ------------------------------------------------------------------------
    def summary(self) -> str:
        s = self.stats
        parts = [f"{len(self.persons)} personer", f"{len(self.errors)} feil", f"{len(self.invalid)} ugyldige id-er"]
        if s.get("calls") is not None:
            parts.append(f"{s['calls']} kall ({s.get('calls_reused', 0)} gjenbrukt)")
        if s.get("seconds") is not None:
            parts.append(f"{s['seconds']:.1f} s")
        return f"Rolle {self.role}: " + ", ".join(parts)

    def _repr_html_(self) -> str:
        import html

        bits = [f"<p><b>{html.escape(self.summary())}</b></p>", self.persons.to_html(index=False, max_rows=200)]
        if len(self.errors):
            bits += ["<p><b>Feil</b></p>", self.errors.to_html(index=False, max_rows=50)]
        if len(self.invalid):
            bits += ["<p><b>Ugyldige id-er (ikke sendt)</b></p>", self.invalid.to_html(index=False, max_rows=50)]
        return "\n".join(bits)

    # -- helpers ------------------------------------------------------------------------
    def _paths(self) -> list[Path]:
        return _answer_files(self.raw_dir)

    def _ident_of(self, person: int | str | None) -> str | None:
        if person is None:
            return None
        if isinstance(person, (int,)) and not isinstance(person, bool):
            if not 0 <= person < len(self._full_ids):
                raise InputError(f"No person in row {person}: the table has {len(self._full_ids)} rows.")
            return self._full_ids[person]
        s = str(person).strip()
        if s in self._full_ids:
            return s
        raise InputError("Give the person as a row number of result.persons or a full identifier from this lookup.")

    @property
    def _full_ids(self) -> list[str]:
        return self._row_ids


# =============================================================================================
# Reading identifiers


_ID_HEADER = re.compile(r"(?i)^\s*(f(ø|oe|o)dsels(el+er)?d?-?nummer|foedselsellerdnummer|f(ø|oe|o)dselsnr|fnr|"
                        r"d-?nr|d-?nummer|personnummer|personnr|personidentifikator|"
                        r"folkeregisteridentifikator|ident|identifikator|id|pnr)\s*$")
_SPLIT = re.compile(r"[\s,;|]+")
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
            raise InputError(f"Could not find the file {path}. Check the path (or paste the ids as text).")
        return _ids_from_bytes(path.read_bytes(), path.name, column, sheet)
    if isinstance(source, str):
        return _ids_from_text(source, column)
    if isinstance(source, pd.DataFrame):
        return _ids_from_frame(source, column)
    if isinstance(source, Iterable):
        return [_clean_cell(x) for x in source if _clean_cell(x)]
    raise InputError("Give the ids as a list, as text, or as a path to a CSV/Excel file.")


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
            raise InputError(f"Could not read the Excel file {name or ''}: {clean_text(e, limit=120)}. "
                             "Save it as .xlsx or CSV and try again.") from None
        return _ids_from_grid(df, column)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    return _ids_from_text(text, column)


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
        return [t for t in (_clean_cell(t) for t in _SPLIT.split(text)) if t and not _ID_HEADER.match(t)]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    width = max(len(r) for r in rows)
    df = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    return _ids_from_grid(df, column)


def _all_tokens_are_ids(sample: str) -> bool:
    tokens = [t for t in _SPLIT.split(sample) if t]
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
            shown = ", ".join(c for c in first if c) or "(no header row)"
            raise InputError(f"No column named {column!r} in the file. Its first row has: {shown[:200]}.")
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
            raise InputError("Found no column of fødselsnummer/D-numbers (11 digits) in the file. "
                             "Name the column with column='…'.")
        col_idx = scores.index(max(scores))
        has_header = not _NUMERIC_ID.match(_clean_cell(df.iloc[0, col_idx]))
        body = df.iloc[1:] if has_header else df
    return [s for s in (_clean_cell(x) for x in body.iloc[:, col_idx].tolist()) if s]


def _split_input(ids: Any) -> list[Any]:
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
    raise InputError("Give the ids as a list, as text, or as a path to a CSV/Excel file.")


def _validate(ids: Any) -> tuple[list[str], pd.DataFrame, int]:
    """(valid ids in first-seen order without duplicates, invalid table, number of values read)."""
    cleaned = [_clean_cell(x) for x in _split_input(ids)]
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


def _invalid_message(invalid: pd.DataFrame) -> str:
    shown = "; ".join(f"line {r.linje}: {r.foedselsEllerDNummer} ({r.grunn})"
                      for r in invalid.head(5).itertuples())
    more = f" and {len(invalid) - 5} more" if len(invalid) > 5 else ""
    return f"{shown}{more}"


# =============================================================================================
# Roles and parts


_ROLE_PARTS: "weakref.WeakKeyDictionary[Any, dict[str, frozenset[str]] | None]" = weakref.WeakKeyDictionary()


def _expand(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        if n != HISTORIKK:
            out |= PART_GROUPS.get(n, {n})
    return out


def allowed_parts(client: Any, role: str) -> frozenset[str] | None:
    """The part names a role may fetch, as set up in Fiks forvaltning — or ``None`` when unknown.

    Fiks has no operation that tells a client its role's parts, so this is only known for the
    built-in sandbox (from its info endpoint). Elsewhere ``None``: the parts are then checked by
    Fiks, and a refusal is explained (``AccessDenied`` naming the part and the role).
    Group names (``person-basis``, ``relasjon-utvidet`` …) are expanded to element names;
    ``historikk`` is included when the role has it.
    """
    _, name = client.resolve_role(role)
    table = _ROLE_PARTS.get(client, ...)
    if table is ...:
        table = _sandbox_role_parts(client)
        try:
            _ROLE_PARTS[client] = table
        except TypeError:  # not weak-referenceable
            pass
    if not table or name not in table:
        return None
    return table[name]


def _sandbox_role_parts(client: Any) -> dict[str, frozenset[str]] | None:
    settings = getattr(client, "settings", None)
    if settings is None or getattr(settings, "env", None) != "sandbox":
        return None
    from .config import is_loopback_url

    base = str(settings.fiks_base_url or "").rstrip("/")
    if not base or not is_loopback_url(base):
        return None
    import httpx

    try:
        info = httpx.get(base + "/_sandbox/info", timeout=5.0, trust_env=False).json()
    except (httpx.HTTPError, ValueError):
        return None
    out = {}
    for name, setup in (info.get("role_setup") or {}).items():
        names = set(setup.get("parts") or [])
        parts = _expand(names) | ({HISTORIKK} if HISTORIKK in names else set())
        if PERSON_BASIS <= parts:
            parts.add("person-basis")
        for group, members in PART_GROUPS.items():
            if members <= parts:
                parts.add(group)
        out[name] = frozenset(parts)
    return out


def check_parts(client: Any, role: str, parts: Sequence[str] | str | None, history: bool = False) -> list[str] | None:
    """The part list to send (None = Freg's default person-basis), checked before anything is sent.

    Unknown part names → ``InputError``; parts the role lacks (when its parts are known, see
    ``allowed_parts``) → ``PartNotAllowed`` naming them, the role and what it may fetch. A role
    without the whole person-basis gets what it has of it instead of Freg's default.
    """
    from .client import KNOWN_PARTS

    if isinstance(parts, str):
        parts = [p for p in _SPLIT.split(parts) if p]
    wanted: list[str] = []
    for p in parts or []:
        if not isinstance(p, str) or p.strip() not in KNOWN_PARTS:
            close = [k for k in sorted(KNOWN_PARTS) if str(p).strip().lower() == k.lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(f"Unknown part {clean_text(p, limit=40)!r}.{hint} Use person-basis, historikk, "
                             "identitetsgrunnlag-utvidet, relasjon-utvidet or an element name of Folkeregisterperson "
                             "(e.g. navn, bostedsadresse, status). Nothing was sent.")
        if p.strip() not in wanted:
            wanted.append(p.strip())
    if history and HISTORIKK not in wanted:
        wanted.append(HISTORIKK)
    allowed = allowed_parts(client, role)
    _, name = client.resolve_role(role)
    if allowed is not None:
        elements = [p for p in wanted if p != HISTORIKK]
        if not elements and not (PERSON_BASIS <= allowed):
            # Freg's default is the whole person-basis: ask for what the role has of it instead
            default = sorted(PERSON_BASIS & allowed)
            if not default:
                raise PartNotAllowed(f"Role {name!r} has none of the person-basis elements: name the parts to "
                                     f"fetch ({', '.join(sorted(allowed - {HISTORIKK})) or 'none'}).")
            wanted = default + [p for p in wanted if p == HISTORIKK]
            elements = default
        refused = [p for p in wanted if p not in allowed and not (p != HISTORIKK and _expand([p]) <= allowed)]
        if refused:
            ok = sorted(p for p in allowed if p not in PART_GROUPS and p != HISTORIKK)
            extra = [g for g in (*PART_GROUPS, HISTORIKK) if g in allowed]
            raise PartNotAllowed(
                f"Role {name!r} is not allowed the part(s) {', '.join(refused)}. It may fetch: "
                f"{', '.join(extra + ok)}. Choose from those, or ask the Fiks administrator to give the role "
                "the part in Fiks forvaltning. Nothing was sent.")
    return wanted or None


_check_parts = check_parts  # the name extracts.py uses


def _explain_denied(e: AccessDenied, role_name: str, parts: list[str] | None) -> AccessDenied:
    """A 403 from Fiks/Freg reworded to name the role and the part(s) (or the service)."""
    server = e.server_message or ""
    m = re.search(r"(?i)deler:\s*(.+)$", server)
    if m:
        refused = m.group(1).strip()
        msg = (f"Role {role_name!r} is not allowed the part(s) {refused} (Fiks answered 403). Ask for other parts, "
               f"or ask the Fiks administrator to give the role that part in Fiks forvaltning.")
    elif "hjemmel" in server.lower():
        msg = (f"Role {role_name!r} is 'uten hjemmel' and this operation is only for roles 'med hjemmel' "
               f"(403: {server}). Use a role with hjemmel.")
    elif "tjenesten" in server.lower():
        msg = (f"Role {role_name!r} does not have this service (Fiks answered 403: {server}). Use a role with the "
               "service, or ask the Fiks administrator to add it.")
    elif "tilgang til rolle" in server.lower():
        msg = (f"The integration has no access to role {role_name!r} (403). Ask the Fiks administrator to give "
               "the integration the role in Fiks forvaltning.")
    else:
        asked = ", ".join(parts) if parts else "person-basis"
        msg = f"Role {role_name!r} was refused (403) when asking for {asked}. {e.message}"
    if e.error_id:
        msg += f" [errorId {e.error_id}]"
    out = AccessDenied(msg, status=e.status, code=e.code, error_id=e.error_id, reference=e.reference,
                       server_message=e.server_message)
    return out


# =============================================================================================
# Run folders


def run_key(role_id: str, parts: Sequence[str] | None, ids: Iterable[str], *, kind: str = "bulk") -> str:
    """The run folder key: a hash of (kind, role, parts, sorted ids) — same request, same folder."""
    h = hashlib.sha256()
    h.update(orjson.dumps([kind, role_id.lower(), sorted(parts or [])]))
    for i in sorted(ids):
        h.update(i.encode() + b"\n")
    return h.hexdigest()[:24]


def _store(client: Any):
    from .store import DataDir

    dd = getattr(client, "data_dir", None)
    if dd is not None and hasattr(dd, "write_bytes"):
        return dd
    return DataDir(client.settings.data_dir)


def _answer_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.json") if not p.name.startswith((".", "_")) and p.name != _DONE)


def _prepare_run(store: Any, run_id: str, *, resume: bool) -> tuple[Path, set[str]]:
    """The run folder and the answer files already there that may be reused."""
    folder = store.raw_dir(run_id)
    done = folder / _DONE
    existing = _answer_files(folder)
    stale = existing and (time.time() - min(p.stat().st_mtime for p in existing) > STALE_RUN_S)
    if done.exists() or not resume or stale:
        for p in existing:
            p.unlink()
        done.unlink(missing_ok=True)
        existing = []
    return folder, {p.name for p in existing}


def fetch_bulk(client: Any, ids: Sequence[str], *, role: str, parts: Sequence[str] | None, folder: Path | str,
               store: Any = None, desc: str = "Bulkoppslag", progress: bool | None = None,
               reuse: Iterable[str] = (), archived: bool = False) -> dict[str, Any]:
    """Fetch ``ids`` (already validated) with bulk calls of ≤ 1000 into ``folder`` as raw answers.

    ``archived=True``: the ids are document ids, fetched with bulkoppslag/arkiv (``arkiv-NNNNN.json``).

    The low-level step under ``lookup_persons`` (also used by extracts): ids are sorted and cut
    into chunks ``bulk-00000.json``, ``bulk-00001.json`` …; chunks named in ``reuse`` (or already
    present when ``reuse`` is None) are not fetched again. Calls run concurrently through
    ``client.map`` with a progress bar; each answer is written atomically as the bytes received.
    Returns ``{"calls": n fetched, "calls_reused": n reused, "chunks": n, "seconds": …}``.
    """
    store = store or _store(client)
    folder = Path(folder)
    rel = folder.relative_to(store.path)
    ordered = sorted(ids)
    chunks = [ordered[i:i + BULK_SIZE] for i in range(0, len(ordered), BULK_SIZE)]
    names = [f"{'arkiv' if archived else 'bulk'}-{n:05d}.json" for n in range(len(chunks))]
    call = client.bulk_archived if archived else client.bulk_lookup
    reuse = set(reuse)
    todo = [(name, chunk) for name, chunk in zip(names, chunks) if name not in reuse]
    _, role_name = client.resolve_role(role)
    part_list = list(parts) if parts else None

    def one(item: tuple[str, list[str]]) -> int:
        name, chunk = item
        body = call(role, chunk, parts=part_list, raw=True)
        store.write_bytes(rel / name, body)
        return len(body)

    t0 = time.monotonic()
    try:
        sizes = client.map(one, todo, desc=desc, progress=progress) if todo else []
    except AccessDenied as e:
        raise _explain_denied(e, role_name, part_list) from None
    except KeyboardInterrupt:
        done = len(_answer_files(folder))
        raise KeyboardInterrupt(f"Interrupted after {done} of {len(chunks)} bulk calls were stored. "
                                "Run the same lookup again to continue where it stopped.") from None
    except FregNbError as e:
        done = len(_answer_files(folder))
        e.args = (f"{e} ({done} of {len(chunks)} bulk calls are stored; run the same lookup again to continue "
                  "with the rest.)",)
        raise
    return {"calls": len(todo), "calls_reused": len(chunks) - len(todo), "chunks": len(chunks),
            "bytes": int(sum(sizes)), "seconds": time.monotonic() - t0}


# =============================================================================================
# Tables


def _id_column(df: pd.DataFrame) -> str | None:
    for c in ("foedselsEllerDNummer", "foedsels_eller_d_nummer", "folkeregisteridentifikator",
              "identifikasjonsnummer", "personidentifikator", "ident"):
        if c in df.columns:
            return c
    return None


def _filter_person(df: pd.DataFrame, ident: str | None) -> pd.DataFrame:
    col = _id_column(df)
    if ident is None or col is None:
        return df
    return df[df[col] == ident].reset_index(drop=True)


def _protect(df: pd.DataFrame, protected_ids: set[str] | None, *, show_ids: bool) -> pd.DataFrame:
    """Blank protected persons' addresses (by their own columns and, for tables without the
    grading, by the set of protected ids)."""
    out = privacy.drop_protected_addresses(df)
    col = _id_column(out)
    if protected_ids and col is not None:
        flag = out[col].isin(list(protected_ids)).fillna(False).astype(bool)
        if flag.any():
            for c in out.columns:
                if c in privacy.ADDRESS_COLUMNS or c in privacy.KOMMUNE_COLUMNS:
                    out[c] = out[c].mask(flag)
            out["adressebeskyttet"] = (out["adressebeskyttet"].fillna(False).astype(bool) | flag).astype("boolean")
    return out


def _build(store: Any, folder: Path, *, role_name: str, parts: list[str] | None, order: list[str],
           invalid: pd.DataFrame, show_ids: bool, stats: dict[str, Any], ids: list[str]) -> LookupResult:
    from . import tables

    files = _answer_files(folder)
    if files:
        persons = tables.persons_table(files, show_ids=True)
        errors = tables.errors_table(files, show_ids=True)
    else:
        persons, errors = pd.DataFrame(), pd.DataFrame()
    col = _id_column(persons)
    if col is not None and len(persons):
        rank = pd.Series(range(len(order)), index=pd.Index(order, dtype="string"))
        key = persons[col].map(rank)
        persons = (persons.assign(_ord=key.astype("Float64")).sort_values("_ord", kind="stable", na_position="last")
                   .drop(columns="_ord").reset_index(drop=True))
    persons = privacy.flag_unknown_protection(_protect(persons, None, show_ids=True), parts)
    protected = (persons.loc[persons["adressebeskyttet"].fillna(False).astype(bool), col].dropna().tolist()
                 if col is not None and "adressebeskyttet" in persons.columns else [])
    ecol = _id_column(errors)
    if ecol is not None and len(errors):
        rank = pd.Series(range(len(order)), index=pd.Index(order, dtype="string"))
        errors = (errors.assign(_ord=errors[ecol].map(rank).astype("Float64"))
                  .sort_values("_ord", kind="stable", na_position="last").drop(columns="_ord").reset_index(drop=True))
    stats = dict(stats, persons=len(persons), errors=len(errors), invalid=len(invalid))
    return LookupResult(
        persons=privacy.mask_ids(persons, show=show_ids),
        errors=privacy.mask_ids(errors, show=show_ids) if len(errors.columns) else errors,
        invalid=invalid, raw_dir=folder, stats=stats, role=role_name, parts=parts, show_ids=show_ids,
        ids=ids, _data_dir=store, _row_ids=persons[col].tolist() if col is not None else [],
        _protected=set(protected))


# =============================================================================================
# Public lookups


def _client(client: Any) -> Any:
    if client is not None:
        return client
    from .config import connect

    return connect()


def _audit(store: Any, action: str, role_name: str, ids: Sequence[str], purpose: str | None) -> None:
    privacy.audit(store, action, role=role_name, n_persons=len(ids), purpose=purpose, ids=ids)


def lookup_persons(client: Any, ids: Any, *, role: str, parts: Sequence[str] | str | None = None,
                   history: bool = False, show_ids: bool = False, purpose: str | None = None,
                   progress: bool | None = None, resume: bool = True) -> LookupResult:
    """Look up many persons (bulkoppslag): one row per person, errors and invalid ids apart.

    ``client``: a ``FregClient`` or None (``freg_nb.connect()``: the sandbox unless configured).
    ``ids``: a list/Series of identifiers, text (one per line, or separated by spaces, commas,
    semicolons) or a CSV/Excel path (see ``read_ids``). Invalid ids are listed in
    ``result.invalid`` and never sent; if none is valid an ``InputError`` says why.
    ``role``: a configured role name (``skole``, ``barnevern``, …) or a role UUID.
    ``parts``: part names (``navn``, ``bostedsadresse``, ``relasjon-utvidet`` …); None = the
    person-basis (or, for a role without all of it, what the role has of it when known).
    ``history``: also fetch earlier versions (part ``historikk``) — see ``result.history()``.
    ``show_ids``: full identifiers in the tables (default masked ``010190*****``).
    ``purpose``: why (recorded in the audit log). ``resume``: reuse the stored calls of an
    interrupted run of the same request (default); a finished run is always fetched afresh.

    >>> import freg_nb
    >>> res = freg_nb.lookup_persons(None, ["10927810072"], role="barnevern")   # doctest: +SKIP
    >>> res.persons[["foedselsEllerDNummer", "status", "kommunenummer"]]        # doctest: +SKIP
    """
    t0 = time.monotonic()
    client = _client(client)
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, history)
    valid, invalid, n_in = _validate(ids)
    if not valid:
        if len(invalid):
            raise InputError(f"None of the {n_in} identifier(s) is a valid fødselsnummer/D-number: "
                             f"{_invalid_message(invalid)}. Fix them and try again. Nothing was sent.")
        raise InputError("No identifiers given. Paste fødselsnummer/D-numbers or read them from a file "
                         "(freg_nb.read_ids). Nothing was sent.")
    store = _store(client)
    run_id = _RUN_PREFIX + run_key(role_id, part_list, valid)
    folder, reusable = _prepare_run(store, run_id, resume=resume)
    _audit(store, "oppslag", role_name, valid, purpose)
    calls_before = client.stats.calls
    fetched = fetch_bulk(client, valid, role=role, parts=part_list, folder=folder, store=store,
                         progress=progress, reuse=reusable,
                         desc=f"Henter {len(valid)} personer ({BULK_SIZE} per kall)")
    store.write_json(Path("raw") / run_id / _DONE, {"role": role_name, "parts": part_list, "ids": len(valid),
                                                   "chunks": fetched["chunks"]})
    stats = {"ids_in": n_in, "valid": len(valid), "calls": fetched["calls"],
             "calls_reused": fetched["calls_reused"], "requests": client.stats.calls - calls_before,
             "fetch_seconds": fetched["seconds"]}
    res = _build(store, folder, role_name=role_name, parts=part_list, order=valid, invalid=invalid,
                 show_ids=show_ids, stats=stats, ids=valid)
    res.stats["seconds"] = time.monotonic() - t0
    return res


def lookup_person(client: Any, ident: str, *, role: str, parts: Sequence[str] | str | None = None,
                  history: bool = False, show_ids: bool = False, purpose: str | None = None) -> LookupResult:
    """Look up one person (GET personer/{id}): ``result.persons`` has one row, or none and an error row.

    >>> res = lookup_person(None, "10927810072", role="barnevern", history=True)   # doctest: +SKIP
    >>> res.history("bostedsadresse")                                              # doctest: +SKIP
    """
    t0 = time.monotonic()
    client = _client(client)
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, history)
    valid, invalid, _ = _validate([ident] if isinstance(ident, str) or not isinstance(ident, Iterable) else ident)
    if len(valid) != 1 or len(invalid):
        if len(invalid):
            raise InputError(f"Not a valid fødselsnummer/D-number: {_invalid_message(invalid)}. Nothing was sent.")
        raise InputError("Give exactly one identifier (use lookup_persons for many). Nothing was sent.")
    store = _store(client)
    run_id = _RUN_PREFIX + run_key(role_id, part_list, valid, kind="person")
    folder, _ = _prepare_run(store, run_id, resume=False)
    _audit(store, "oppslag", role_name, valid, purpose)
    rel = Path("raw") / run_id
    try:
        body = client.person(role, valid[0], parts=part_list, raw=True)
        store.write_bytes(rel / "person.json", body)
    except NotFound as e:
        store.write_json(rel / "notfound.json", {"oppslag": [{"foedselsEllerDNummer": valid[0], "feilmelding": {
            "feilmelding": e.server_message or "Fant ikke person", "kode": e.code}}]})
    except AccessDenied as e:
        raise _explain_denied(e, role_name, part_list) from None
    store.write_json(rel / _DONE, {"role": role_name, "parts": part_list, "ids": 1})
    res = _build(store, folder, role_name=role_name, parts=part_list, order=valid, invalid=invalid,
                 show_ids=show_ids, stats={"ids_in": 1, "valid": 1, "calls": 1, "calls_reused": 0}, ids=valid)
    res.stats["seconds"] = time.monotonic() - t0
    return res


def search_persons(client: Any, *, role: str, fetch: bool = False, parts: Sequence[str] | str | None = None,
                   history: bool = False, show_ids: bool = False, purpose: str | None = None,
                   progress: bool | None = None, **criteria: Any) -> LookupResult:
    """Search (søk, treffliste): the identifiers matching Freg's criteria; ``fetch=True`` also
    looks the hits up (bulk) so ``persons`` has their data.

    Criteria are Freg's own names: ``navn``, ``kjoenn``, ``foedselsdato``,
    ``foedselsaarFraOgMed``, ``foedselsaarTilOgMed``, ``adressenavn``, ``husnummer``,
    ``postnummer``, ``kommunenummer``, ``fylkesnummer``, ``inkluderDoede``, ``soekFonetisk``,
    ``maksTreff`` … Freg refuses more than 10 000 hits: narrow the search.
    Without ``fetch``, ``persons`` holds the hit list only (column ``foedselsEllerDNummer``).

    >>> res = search_persons(None, role="skole", navn="Nordmann", foedselsaarFraOgMed=2015)   # doctest: +SKIP
    >>> res.ids[:3], len(res.persons)                                                          # doctest: +SKIP
    """
    t0 = time.monotonic()
    client = _client(client)
    role_id, role_name = client.resolve_role(role)
    _check_criteria(criteria)
    part_list = check_parts(client, role, parts, history) if fetch else None
    try:
        body = client.search(role, raw=True, **criteria)
    except AccessDenied as e:
        raise _explain_denied(e, role_name, None) from None
    except BadRequest as e:
        if "treff" in (e.server_message or "").lower():
            raise InputError(f"The search matched too many persons: {e.server_message} Narrow it (add "
                             "foedselsaarFraOgMed/TilOgMed, kommunenummer, postnummer …) or set maksTreff.") from None
        raise
    hits = orjson.loads(body).get("foedselsEllerDNummer") or []
    store = _store(client)
    if fetch and hits:
        res = lookup_persons(client, hits, role=role, parts=part_list, show_ids=show_ids,
                             purpose=purpose, progress=progress)
        res.stats.update(search_hits=len(hits), calls=res.stats["calls"] + 1)
        res.stats["seconds"] = time.monotonic() - t0
        return res
    _audit(store, "soek", role_name, hits, purpose)
    run_id = "soek-" + run_key(role_id, None, hits, kind="soek")
    folder = store.raw_dir(run_id)
    store.write_bytes(Path("raw") / run_id / "_treffliste.json", body)
    ids_df = pd.DataFrame({"foedselsEllerDNummer": pd.array(hits, dtype="string")})
    empty_invalid = pd.DataFrame({"linje": pd.array([], dtype="int64"),
                                  "foedselsEllerDNummer": pd.array([], dtype="string"),
                                  "grunn": pd.array([], dtype="string")})
    return LookupResult(persons=privacy.mask_ids(ids_df, show=show_ids), errors=pd.DataFrame(),
                        invalid=empty_invalid, raw_dir=folder,
                        stats={"search_hits": len(hits), "calls": 1, "calls_reused": 0,
                               "seconds": time.monotonic() - t0},
                        role=role_name, parts=None, show_ids=show_ids, ids=list(hits), _data_dir=store,
                        _row_ids=list(hits))


def _check_criteria(criteria: Mapping[str, Any]) -> None:
    from . import kommuner

    problems = []
    k = criteria.get("kommunenummer")
    if k is not None and not kommuner.is_current(str(k)):
        problems.append(f"kommunenummer {clean_text(k, limit=10)!r} is not a current municipality number "
                        "(4 digits, e.g. '0301' for Oslo)")
    for key in ("foedselsaarFraOgMed", "foedselsaarTilOgMed"):
        v = criteria.get(key)
        if v is not None and not re.fullmatch(r"\d{4}", str(v)):
            problems.append(f"{key} must be a year (4 digits), got {clean_text(v, limit=10)!r}")
    v = criteria.get("foedselsdato")
    if v is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(v)):
        problems.append(f"foedselsdato must be a date YYYY-MM-DD, got {clean_text(v, limit=12)!r}")
    if problems:
        raise InputError("Fix the search criteria: " + "; ".join(problems) + ". Nothing was sent.")


def find_person(client: Any, *, role: str, parts: Sequence[str] | str | None = None, history: bool = False,
                show_ids: bool = False, purpose: str | None = None, **criteria: Any) -> LookupResult:
    """Unique search (entydig søk): the one person matching a qualifying combination of criteria.

    Qualifying combinations (Freg's rule): ``navn`` + ``identifikasjonsnummer``, ``navn`` +
    ``foedselsdato``, ``navn`` + ``adressenavn`` + (``husnummer`` or ``postnummer``), ``navn`` + a
    foreign/other id, ``foedselsdato`` + ``legitimasjonsdokument`` … No match or more than one
    match raises ``NotFound`` with Freg's explanation.

    >>> res = find_person(None, role="barnevern", navn="Kari Nordmann", foedselsdato="2015-03-01")   # doctest: +SKIP
    """
    t0 = time.monotonic()
    client = _client(client)
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, history)
    if "foedselsdato" in criteria:
        _check_criteria({"foedselsdato": criteria["foedselsdato"]})
    if not criteria.get("navn") and not criteria.get("foedselsdato"):
        raise InputError("A unique search needs navn (or foedselsdato) plus something that singles the person "
                         "out: identifikasjonsnummer, foedselsdato, adressenavn + husnummer/postnummer. "
                         "Nothing was sent.")
    store = _store(client)
    key_src = [f"{k}={criteria[k]}" for k in sorted(criteria)]
    run_id = _RUN_PREFIX + run_key(role_id, part_list, key_src, kind="entydig")
    folder, _ = _prepare_run(store, run_id, resume=False)
    try:
        body = client.unique_search(role, parts=part_list, raw=True, **criteria)
    except AccessDenied as e:
        raise _explain_denied(e, role_name, part_list) from None
    except NotFound as e:
        said = e.server_message or "no match"
        raise NotFound(f"Unique search found no single person ({said}). Check the spelling, add a criterion "
                       "that singles the person out, or use search_persons for a list of hits.",
                       status=404, code=e.code, error_id=e.error_id, reference=e.reference,
                       server_message=e.server_message) from None
    store.write_bytes(Path("raw") / run_id / "person.json", body)
    store.write_json(Path("raw") / run_id / _DONE, {"role": role_name, "parts": part_list, "ids": 1})
    res = _build(store, folder, role_name=role_name, parts=part_list, order=[], invalid=_validate([])[1],
                 show_ids=show_ids, stats={"calls": 1, "calls_reused": 0}, ids=[])
    res.ids = list(res._row_ids)
    _audit(store, "entydig-soek", role_name, res.ids, purpose)
    res.stats["seconds"] = time.monotonic() - t0
    return res


def lookup_archived(client: Any, document_ids: Any, *, role: str, parts: Sequence[str] | str | None = None,
                    show_ids: bool = False, purpose: str | None = None,
                    progress: bool | None = None) -> LookupResult:
    """Archived person documents (arkiv): persons as they were in earlier document versions.

    ``document_ids``: one ``dokumentidentifikator`` or a list (from a complete extract or an
    event's ``persondokument``). Only for roles *med hjemmel*. Unknown document ids come back in
    ``errors``. Bulk calls of ≤ 1000, concurrently.

    >>> res = lookup_archived(None, ["41d1ac511938d1382b2f39e006adcef6"], role="barnevern")   # doctest: +SKIP
    """
    t0 = time.monotonic()
    client = _client(client)
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, False)
    docs = [document_ids] if isinstance(document_ids, str) else list(document_ids or [])
    docs = list(dict.fromkeys(str(d).strip() for d in docs if d is not None and str(d).strip()))
    bad = [d for d in docs if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", d)]
    if bad or not docs:
        raise InputError("Give one or more document ids (dokumentidentifikator: letters, digits, '-')"
                         + (f"; {len(bad)} look wrong" if bad else "") + ". Nothing was sent.")
    store = _store(client)
    run_id = _RUN_PREFIX + run_key(role_id, part_list, docs, kind="arkiv")
    folder, reusable = _prepare_run(store, run_id, resume=True)
    fetched = fetch_bulk(client, docs, role=role, parts=part_list, folder=folder, store=store, progress=progress,
                         reuse=reusable, archived=True, desc="Henter arkiverte dokumenter")
    store.write_json(Path("raw") / run_id / _DONE, {"role": role_name, "parts": part_list, "documents": len(docs)})
    res = _build(store, folder, role_name=role_name, parts=part_list, order=[], invalid=_validate([])[1],
                 show_ids=show_ids, stats={"documents": len(docs), "calls": fetched["calls"],
                                           "calls_reused": fetched["calls_reused"]}, ids=[])
    res.ids = list(res._row_ids)
    _audit(store, "arkiv", role_name, res.ids, purpose)
    res.stats["seconds"] = time.monotonic() - t0
    return res


def example_ids(client: Any = None, n: int = 5, *, role: str | None = None) -> list[str]:
    """A handful of synthetic identifiers from the built-in sandbox (for demos and training).

    Only works against the sandbox — with real Fiks it raises ``InputError``: give your own ids.
    Uses an ordinary search (søk) with a role that has it.

    >>> example_ids(None, 3)           # doctest: +SKIP
    ['10927810072', ...]
    """
    client = _client(client)
    if getattr(client.settings, "env", None) != "sandbox":
        raise InputError("example_ids only works against the built-in sandbox (synthetic persons). Against Fiks "
                         "test/production, give the identifiers yourself (ids=… or id_fil=…).")
    if not isinstance(n, int) or not 1 <= n <= 1000:
        raise InputError("n must be a whole number from 1 to 1000.")
    roles = [role] if role else list(client.settings.roles)
    years = list(range(1945, 2025, 7))                  # spread over ages: one search per birth year
    per_year = max(1, -(-n // len(years)))
    last: Exception | None = None
    for r in roles:
        found: list[str] = []
        try:
            for year in years:
                hits = client.search(r, foedselsaarFraOgMed=year, foedselsaarTilOgMed=year,
                                     maksTreff=per_year).get("foedselsEllerDNummer") or []
                found.extend(h for h in hits if h not in found)
        except (AccessDenied, BadRequest, NotFound) as e:   # this role has no search: try the next
            last = e
            continue
        if len(found) >= n:
            step = len(found) / n
            return [found[int(k * step)] for k in range(n)]
    raise InputError("Found no example persons in the sandbox" + (f" ({last})" if last else "") + ".")


def _excel_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Excel cannot hold time zones or Arrow-only types: convert them."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[c] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif isinstance(s.dtype, pd.ArrowDtype) or isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(object)
    return out
