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

import difflib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import orjson
import pandas as pd

from . import codes, privacy
from ._connect import resolve_client
from .audit import require_purpose
from .bulk import BULK_SIZE, DONE_FILE, answer_files, fetch_bulk, prepare_run, run_key
from .errors import AccessDenied, BadRequest, InputError, NotFound, clean_text
from .ids_input import invalid_message, read_ids, validate_input
from .messages import msg
from .parts import check_parts, explain_denied
from .search_criteria import search_criteria, unique_criteria
from .store import DataDir

if TYPE_CHECKING:
    pass

__all__ = ["LookupResult", "example_ids", "find_person", "lookup_archived", "lookup_person", "lookup_persons",
           "read_ids", "search_persons"]


_RUN_PREFIX = "oppslag-"


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
            raise InputError(msg("history.no_element"))
        if element.strip() not in tables.HISTORY_ELEMENTS:
            close = difflib.get_close_matches(element.strip(), codes.ELEMENTS, n=3, cutoff=0.6)
            raise InputError(msg("history.unknown", element=clean_text(element, limit=60),
                                 close=msg("history.close", names=", ".join(close)) if close else ""))
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

        CSV (``;``, UTF-8 with BOM — the one dialect of every export) and Parquet hold the persons
        table (``<name>.csv``, ``<name>.parquet``); Excel holds
        the sheets ``personer``, ``feil`` and ``ugyldige``. Identifiers as displayed (masked unless
        ``show_ids``), protected addresses never included. Returns ``{format: path}``.
        """
        if isinstance(formats, str):
            formats = [formats]
        unknown = sorted(set(formats) - {"csv", "xlsx", "excel", "parquet"})
        if unknown:
            raise InputError(msg("export.unknown_format", bad=", ".join(unknown), choices="csv, xlsx, parquet"))
        name = name or f"oppslag-{self.raw_dir.name.removeprefix(_RUN_PREFIX)[:10]}-{time.strftime('%Y%m%d-%H%M%S')}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}", name):
            raise InputError(msg("export.bad_name"))
        from .export import export_tables

        store = data_dir if isinstance(data_dir, DataDir) else DataDir(data_dir or self._data_dir)
        persons = _protect(self.persons, None, show_ids=True)  # belt and braces: re-apply the rule
        fmts = list(dict.fromkeys("xlsx" if f == "excel" else f for f in formats))
        return export_tables(store, f"exports/{name}",
                             {"personer": persons, "feil": self.errors, "ugyldige": self.invalid}, fmts)

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
        return answer_files(self.raw_dir)

    def _ident_of(self, person: int | str | None) -> str | None:
        if person is None:
            return None
        if isinstance(person, (int,)) and not isinstance(person, bool):
            if not 0 <= person < len(self._full_ids):
                raise InputError(msg("lookup.no_row", row=person, n=len(self._full_ids)))
            return self._full_ids[person]
        s = str(person).strip()
        if s in self._full_ids:
            return s
        raise InputError(msg("lookup.which_person"))

    @property
    def _full_ids(self) -> list[str]:
        return self._row_ids


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

    files = answer_files(folder)
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
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, history)
    valid, invalid, n_in = validate_input(ids)
    if not valid:
        if len(invalid):
            raise InputError(msg("lookup.none_valid", n=n_in, problems=invalid_message(invalid)))
        raise InputError(msg("lookup.no_ids"))
    store = client.data_dir
    run_id = _RUN_PREFIX + run_key(role_id, part_list, valid)
    folder, reusable = prepare_run(store, run_id, resume=resume)
    _audit(store, "oppslag", role_name, valid, purpose)
    calls_before = client.stats.calls
    fetched = fetch_bulk(client, valid, role=role, parts=part_list, folder=folder, store=store,
                         progress=progress, reuse=reusable,
                         desc=f"Henter {len(valid)} personer ({BULK_SIZE} per kall)")
    store.write_json(Path("raw") / run_id / DONE_FILE, {"role": role_name, "parts": part_list, "ids": len(valid),
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
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, history)
    valid, invalid, _ = validate_input([ident] if isinstance(ident, str) or not isinstance(ident, Iterable) else ident)
    if len(valid) != 1 or len(invalid):
        if len(invalid):
            raise InputError(msg("lookup.one_invalid", problems=invalid_message(invalid)))
        raise InputError(msg("lookup.exactly_one"))
    store = client.data_dir
    run_id = _RUN_PREFIX + run_key(role_id, part_list, valid, kind="person")
    folder, _ = prepare_run(store, run_id, resume=False)
    _audit(store, "oppslag", role_name, valid, purpose)
    rel = Path("raw") / run_id
    try:
        body = client.person(role, valid[0], parts=part_list, raw=True)
        store.write_bytes(rel / "person.json", body)
    except NotFound as e:
        store.write_json(rel / "notfound.json", {"oppslag": [{"foedselsEllerDNummer": valid[0], "feilmelding": {
            "feilmelding": e.server_message or "Fant ikke person", "kode": e.code}}]})
    except AccessDenied as e:
        raise explain_denied(e, role_name, part_list) from None
    store.write_json(rel / DONE_FILE, {"role": role_name, "parts": part_list, "ids": 1})
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
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    role_id, role_name = client.resolve_role(role)
    _check_kommune(criteria)
    criteria = search_criteria(criteria)  # names, dates (YYYYMMDD), year ranges, maksTreff — before any request
    part_list = check_parts(client, role, parts, history) if fetch else None
    try:
        body = client.search(role, raw=True, **criteria)
    except AccessDenied as e:
        raise explain_denied(e, role_name, None) from None
    except BadRequest as e:
        if "treff" in (e.server_message or "").lower():
            raise InputError(msg("search.too_many", said=e.server_message)) from None
        raise
    hits = orjson.loads(body).get("foedselsEllerDNummer") or []
    store = client.data_dir
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


def _check_kommune(criteria: Mapping[str, Any]) -> None:
    """The same kommune rule as extracts (``kommuner.problem``), on the criteria as given (so a number
    marked ``historisk(...)`` keeps its mark)."""
    from . import kommuner

    k = criteria.get("kommunenummer")
    problem = None if k is None or (isinstance(k, str) and not k.strip()) else kommuner.problem(k, "kommunenummer")
    if problem:
        raise InputError(problem)


def find_person(client: Any, *, role: str, parts: Sequence[str] | str | None = None, history: bool = False,
                show_ids: bool = False, purpose: str | None = None, **criteria: Any) -> LookupResult:
    """Unique search (entydig søk): the one person matching a qualifying combination of criteria.

    Qualifying combinations (Skatteetaten's service page): one identifying criterion
    (``identifikasjonsnummer``, ``utenlandskpersonidentifikasjon``, ``legitimasjonsdokument``,
    ``utlendingsmyndighetenesIdentifikasjonsnummer``) plus one non-identifying one (``navn``,
    ``foedselsdato`` — not counted beside ``identifikasjonsnummer`` —, ``adressenavn``, ``husnummer``);
    or all four non-identifying ones. Other combinations are refused before sending, saying what to
    add. ``foedselsdato`` may be a ``date``, ``"2015-03-01"``, ``"01.03.2015"`` or ``"20150301"``.
    No match or more than one match raises ``NotFound`` with Freg's explanation.

    >>> res = find_person(None, role="barnevern", navn="Kari Nordmann", foedselsdato="2015-03-01",
    ...                   adressenavn="Storgata", husnummer="1")                          # doctest: +SKIP
    """
    t0 = time.monotonic()
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, history)
    criteria = unique_criteria(criteria)  # Freg's rule for a qualifying combination, checked before sending
    store = client.data_dir
    key_src = [f"{k}={criteria[k]}" for k in sorted(criteria)]
    run_id = _RUN_PREFIX + run_key(role_id, part_list, key_src, kind="entydig")
    folder, _ = prepare_run(store, run_id, resume=False)
    try:
        body = client.unique_search(role, parts=part_list, raw=True, **criteria)
    except AccessDenied as e:
        raise explain_denied(e, role_name, part_list) from None
    except NotFound as e:
        said = e.server_message or msg("search.no_match")
        raise NotFound(msg("search.unique_none", said=said),
                       status=404, code=e.code, error_id=e.error_id, reference=e.reference,
                       server_message=e.server_message) from None
    store.write_bytes(Path("raw") / run_id / "person.json", body)
    store.write_json(Path("raw") / run_id / DONE_FILE, {"role": role_name, "parts": part_list, "ids": 1})
    res = _build(store, folder, role_name=role_name, parts=part_list, order=[], invalid=validate_input([])[1],
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
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    role_id, role_name = client.resolve_role(role)
    part_list = check_parts(client, role, parts, False)
    docs = [document_ids] if isinstance(document_ids, str) else list(document_ids or [])
    docs = list(dict.fromkeys(str(d).strip() for d in docs if d is not None and str(d).strip()))
    bad = [d for d in docs if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", d)]
    if bad or not docs:
        raise InputError(msg("archive.ids", bad=msg("archive.bad", n=len(bad)) if bad else ""))
    store = client.data_dir
    run_id = _RUN_PREFIX + run_key(role_id, part_list, docs, kind="arkiv")
    folder, reusable = prepare_run(store, run_id, resume=True)
    fetched = fetch_bulk(client, docs, role=role, parts=part_list, folder=folder, store=store, progress=progress,
                         reuse=reusable, archived=True, desc="Henter arkiverte dokumenter")
    store.write_json(Path("raw") / run_id / DONE_FILE, {"role": role_name, "parts": part_list, "documents": len(docs)})
    res = _build(store, folder, role_name=role_name, parts=part_list, order=[], invalid=validate_input([])[1],
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
    client = resolve_client(client)
    if getattr(client.settings, "env", None) != "sandbox":
        raise InputError(msg("examples.sandbox_only"))
    if not isinstance(n, int) or not 1 <= n <= 1000:
        raise InputError(msg("examples.n"))
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
    raise InputError(msg("examples.none", why=f" ({last})" if last else ""))
