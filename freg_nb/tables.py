"""Stored raw answers → tidy tables, flattened by DuckDB (never a Python dict per person).

Input (``source``): a folder (searched recursively for ``*.json``, ``*.ndjson``, ``*.jsonl``),
one file, or a list of files/folders. Each file may hold

* a bulk answer ``{"oppslag": [{"foedselsEllerDNummer", "folkeregisterperson" | "feilmelding"}]}``,
* one person document (a ``Folkeregisterperson``, as ``GET v1/personer/{id}`` returns it),
* NDJSON (one per line) or a JSON array of either.

Anything else (feeds, error bodies, event documents) is skipped.

How: DuckDB's ``read_json`` reads the files with an explicit schema that names only the
elements and fields used here, so unknown elements are ignored and type conflicts (a
``poststed`` that is a string instead of an object, a number where text was expected, a code in
upper case) never stop a read: the offending field becomes NULL or is kept as JSON and handled
in SQL. "Current" means the version with ``erGjeldende: true``; when no version says so, a
version without ``erGjeldende`` that has not ended (no ``opphoerstidspunkt``) counts as current
(so a single version without metadata is current). Codes are normalised to the spec's case.

Privacy: identifiers are masked (``010190*****``) unless ``show_ids=True``; persons with address
protection get no address values (see ``privacy.py``).
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence, Union

import duckdb
import pandas as pd
import pyarrow as pa

from freg_nb import codes, duck, privacy
from freg_nb.duck import connect
from freg_nb.store import DataDir

__all__ = [
    "ELEMENTS",
    "HISTORY_ELEMENTS",
    "connect",
    "errors_table",
    "history_table",
    "persons_table",
    "persons_sql",
    "relations_table",
    "source_files",
    "to_parquet",
]

Source = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]
_SUFFIXES = (".json", ".ndjson", ".jsonl")

# ---- schema -------------------------------------------------------------------------------
V = "VARCHAR"
# Only the version metadata needed to find the current version: every extra field read costs
# time on large inputs (measured: ~30 % of the read with the full metadata).
_META = {"erGjeldende": "BOOLEAN", "opphoerstidspunkt": V}
_POSTSTED = "JSON"  # an object {postnummer, poststedsnavn} or, in older answers, a string
_VEG = {"kommunenummer": V, "adressenavn": V, "adressenummer": {"husnummer": V, "husbokstav": V},
        "poststed": _POSTSTED, "postnummer": V}
_MATRIKKEL = {"matrikkelnummer": {"kommunenummer": V}, "poststed": _POSTSTED, "postnummer": V}
_ADDRESS = {"adressegradering": V, "vegadresse": _VEG, "matrikkeladresse": _MATRIKKEL,
            "grunnkrets": V}

ELEMENTS: dict[str, dict] = {
    "identifikasjonsnummer": {"foedselsEllerDNummer": V, "identifikatortype": V},
    "status": {"status": V},
    "kjoenn": {"kjoenn": V},
    "foedsel": {"foedselsdato": V, "foedselsaar": V},
    "doedsfall": {"doedsdato": V},
    "navn": {"fornavn": V, "mellomnavn": V, "etternavn": V},
    "sivilstand": {"sivilstand": V},
    "statsborgerskap": {"statsborgerskap": V},
    "adressebeskyttelse": {"graderingsnivaa": V},
    "bostedsadresse": {**_ADDRESS, "ukjentBosted": {"bostedskommune": V}},
    "oppholdsadresse": _ADDRESS,
}
"""The elements ``persons_table`` reads, with the fields it uses (besides erGjeldende and
opphoerstidspunkt). Everything else in a document is skipped by the reader."""

_RELATION_FIELDS = {"relatertPerson": V, "relatertPersonsRolle": V, "minRolleForPerson": V,
                    "gyldighetstidspunkt": V}

# Codes, in the spec's case (used to normalise 'UGRADERT' → 'ugradert', etc.).
_CODES = {
    "status": list(codes.PERSONSTATUS),
    "kjoenn": list(codes.KJOENN),
    "sivilstand": list(codes.SIVILSTANDSTYPER),
    "adressegradering": list(codes.ADRESSEGRADERING),
    "familierelasjon": list(codes.FAMILIERELASJON),
}
_CATEGORICAL = ("id_type", "status", "kjoenn", "sivilstand", "adressegradering",
                "adressebeskyttelse", "adressetype", "relatertPersonsRolle", "minRolleForPerson")


def _sql_type(spec) -> str:
    if isinstance(spec, str):
        return spec
    return "STRUCT(" + ", ".join(f'"{k}" {_sql_type(v)}' for k, v in spec.items()) + ")"


def _element_type(fields: dict) -> str:
    return _sql_type({**_META, **fields}) + "[]"


_PERSON_FIELDS = {name: _element_type(fields) for name, fields in ELEMENTS.items()}


# ---- sources ------------------------------------------------------------------------------
def source_files(source: Source) -> list[str]:
    """The files a ``source`` names, sorted (folders searched recursively; temp files skipped)."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    files: list[str] = []
    for item in items:
        p = Path(item).expanduser()
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*"))
                         if f.is_file() and f.suffix.lower() in _SUFFIXES and not f.name.startswith(".tmp-"))
        elif p.is_file():
            files.append(str(p))
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return files


def _read_json_sql(columns: dict[str, str]) -> str:
    """``read_json`` over the file list given as the query parameter ``$files`` (never quoted in here)."""
    cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
    return (f"read_json($files, format='auto', records=true, ignore_errors=true, "
            f"filename=true, columns={{{cols}}})")


def _entries_sql(elements: dict[str, str]) -> str:
    """One row per answer entry: (fil, oppslag_id, p (person struct or NULL), feilmelding JSON).

    Bulk answers are unnested; a top-level person document becomes one entry. One scan of the
    files in the query parameter ``$files``."""
    person_type = "STRUCT(" + ", ".join(f'"{k}" {t}' for k, t in elements.items()) + ")"
    oppslag_type = (f'STRUCT("foedselsEllerDNummer" VARCHAR, "folkeregisterperson" {person_type}, '
                    f'"feilmelding" JSON)[]')
    columns = {"oppslag": oppslag_type, **elements}
    pack = ", ".join(f'"{k}": "{k}"' for k in elements)
    any_element = " OR ".join(f'"{k}" IS NOT NULL' for k in elements)
    return f"""
    SELECT filename AS fil, e.foedselsEllerDNummer AS oppslag_id, e.folkeregisterperson AS p,
           e.feilmelding AS feilmelding
    FROM (
      SELECT filename, unnest(CASE
          WHEN oppslag IS NOT NULL THEN oppslag
          WHEN {any_element} THEN [{{'foedselsEllerDNummer': NULL::VARCHAR,
                                     'folkeregisterperson': {{{pack}}}::{person_type},
                                     'feilmelding': NULL::JSON}}]
          ELSE []::{oppslag_type} END) AS e
      FROM {_read_json_sql(columns)}
    )"""


# ---- SQL helpers --------------------------------------------------------------------------
def _current(expr: str) -> str:
    """The current version of an element list (see the module docstring)."""
    return (f"coalesce(list_filter({expr}, lambda x: x.erGjeldende)[1], "
            f"list_filter({expr}, lambda x: x.erGjeldende IS NULL AND x.opphoerstidspunkt IS NULL)[1])")


def _all_current(expr: str) -> str:
    return f"list_filter({expr}, lambda x: coalesce(x.erGjeldende, x.opphoerstidspunkt IS NULL))"


def _code(expr: str, values: Iterable[str]) -> str:
    """Normalise a code to the spec's case; unknown codes are kept as they are, blanks → NULL."""
    whens = " ".join(f"WHEN '{v.lower()}' THEN '{v}'" for v in values)
    return f"(CASE lower(trim({expr})) {whens} WHEN '' THEN NULL ELSE trim({expr}) END)"


def _nz(expr: str) -> str:
    return f"nullif(trim({expr}), '')"


def _poststed(adr: str) -> tuple[str, str]:
    """(postnummer, poststed) from a veg-/matrikkeladresse whose poststed may be a string."""
    ps = f"{adr}.poststed"
    nr = _nz(f"coalesce({ps}->>'$.postnummer', {adr}.postnummer)")
    navn = _nz(f"CASE json_type({ps}) WHEN 'OBJECT' THEN {ps}->>'$.poststedsnavn' "
               f"WHEN 'VARCHAR' THEN {ps}->>'$' END")
    return nr, navn


def _mask_sql(expr: str) -> str:
    """``ids.mask`` in SQL: the first six digits of an 11-digit number, else all stars."""
    return (f"CASE WHEN {expr} IS NULL THEN NULL "
            f"WHEN regexp_full_match({expr}, '[0-9]{{11}}') THEN left({expr}, 6) || '*****' "
            f"ELSE repeat('*', least(length({expr}), 11)) END")


def _protected_sql(expr: str) -> str:
    levels = ", ".join(f"'{v}'" for v in sorted(privacy.PROTECTED_LEVELS))
    return f"coalesce(lower(trim({expr})) IN ({levels}), false)"


def _kommuner_values() -> str:
    try:
        from freg_nb.kommuner import kommune_dict
        rows = [(k.kommunenummer, k.kommunenavn) for k in kommune_dict().values()]
    except Exception:  # the municipality list is optional for this table
        rows = []
    if not rows:
        return "SELECT NULL::VARCHAR AS knr, NULL::VARCHAR AS knavn WHERE false"
    vals = ", ".join("('{}', '{}')".format(a.replace("'", "''"), b.replace("'", "''")) for a, b in rows)
    return f"SELECT * FROM (VALUES {vals}) AS k(knr, knavn)"


_PERSON_COLUMNS = [
    "foedselsEllerDNummer", "id_type", "syntetisk", "status", "kjoenn", "foedselsdato",
    "foedselsaar", "alder", "fornavn", "mellomnavn", "etternavn", "doedsdato", "sivilstand",
    "statsborgerskap", "adressetype", "kommunenummer", "kommunenavn", "adressenavn",
    "husnummer", "husbokstav", "postnummer", "poststed", "grunnkretsnummer", "adressegradering",
    "ukjent_bosted", "adressebeskyttelse", "adressebeskyttet",
]


def persons_sql(*, show_ids: bool = False, reference_date: date | None = None) -> str:
    """The SQL for ``persons_table`` (also used by ``to_parquet`` and extracts); rows ordered by
    identifier. It reads the files given as the query parameter ``$files`` (a list of paths)."""
    ref = reference_date or date.today()
    ident = "coalesce(nullif(trim(oppslag_id), ''), trim(c_id.foedselsEllerDNummer))"
    status_codes = _CODES["status"]
    cur = {name: _current(f"p.{name}") for name in
           ("identifikasjonsnummer", "status", "kjoenn", "foedsel", "doedsfall", "navn",
            "sivilstand", "adressebeskyttelse", "bostedsadresse", "oppholdsadresse")}
    short = {"identifikasjonsnummer": "c_id", "status": "c_status", "kjoenn": "c_kjoenn",
             "foedsel": "c_foedsel", "doedsfall": "c_doed", "navn": "c_navn", "sivilstand": "c_siv",
             "adressebeskyttelse": "c_beskyttelse", "bostedsadresse": "c_bo", "oppholdsadresse": "c_opph"}
    cur_cols = ",\n       ".join(f"{cur[k]} AS {v}" for k, v in short.items())
    # the address used: the current bostedsadresse, else the current oppholdsadresse (D-numbers)
    a = "adr"
    veg, mat = f"{a}.vegadresse", f"{a}.matrikkeladresse"
    veg_nr, veg_sted = _poststed(veg)
    mat_nr, mat_sted = _poststed(mat)
    knr = _nz(f"coalesce({veg}.kommunenummer, {mat}.matrikkelnummer.kommunenummer, ukjent_kommune)")
    grunnkrets = (f"CASE WHEN try_cast({a}.grunnkrets AS BIGINT) IS NOT NULL AND {knr} IS NOT NULL "
                  f"THEN {knr} || lpad(CAST(try_cast({a}.grunnkrets AS BIGINT) AS VARCHAR), 4, '0') END")
    protected = (f"({_protected_sql('beskyttelse')} OR {_protected_sql(f'{a}.adressegradering')})")
    def hide(expr: str) -> str:
        return f"CASE WHEN {protected} THEN NULL ELSE {expr} END"
    ident_out = "ident" if show_ids else _mask_sql("ident")
    foedselsdato = "try_cast(c_foedsel.foedselsdato AS DATE)"
    doedsdato = "try_cast(c_doed.doedsdato AS DATE)"
    ref_sql = f"DATE '{ref.isoformat()}'"
    alder = (f"CASE WHEN {foedselsdato} IS NULL OR {foedselsdato} > {ref_sql} "
             f"OR coalesce({doedsdato} <= {ref_sql}, false) THEN NULL "
             f"ELSE CAST(year({ref_sql}) - year({foedselsdato}) - "
             f"CASE WHEN month({ref_sql}) * 100 + day({ref_sql}) < month({foedselsdato}) * 100 + day({foedselsdato}) "
             f"THEN 1 ELSE 0 END AS SMALLINT) END")
    id_type = ("CASE lower(c_id.identifikatortype) WHEN 'foedselsnummer' THEN 'fnr' WHEN 'dnummer' THEN 'dnr' "
               "ELSE CASE WHEN regexp_full_match(ident, '[0-9]{11}') THEN "
               "CASE WHEN left(ident, 1) IN ('4','5','6','7') THEN 'dnr' ELSE 'fnr' END END END")
    return f"""
WITH entries AS ({_entries_sql(_PERSON_FIELDS)}),
cur AS (
  SELECT oppslag_id,
       {cur_cols},
       list_transform({_all_current('p.statsborgerskap')}, lambda x: trim(x.statsborgerskap)) AS borgerskap
  FROM entries WHERE p IS NOT NULL
),
flat AS (
  SELECT *, {ident} AS ident,
         CASE WHEN c_bo IS NOT NULL THEN 'bostedsadresse' WHEN c_opph IS NOT NULL THEN 'oppholdsadresse' END AS adressetype,
         c_bo.ukjentBosted.bostedskommune AS ukjent_kommune,
         c_beskyttelse.graderingsnivaa AS beskyttelse
  FROM (SELECT *, {{'adressegradering': coalesce(c_bo.adressegradering, c_opph.adressegradering),
                   'vegadresse': coalesce(c_bo.vegadresse, c_opph.vegadresse),
                   'matrikkeladresse': coalesce(c_bo.matrikkeladresse, c_opph.matrikkeladresse),
                   'grunnkrets': coalesce(c_bo.grunnkrets, c_opph.grunnkrets)}} AS adr FROM cur)
)
SELECT
  {ident_out} AS foedselsEllerDNummer,
  {id_type} AS id_type,
  CASE WHEN regexp_full_match(ident, '[0-9]{{11}}') THEN substr(ident, 3, 1) IN ('8', '9') END AS syntetisk,
  {_code('c_status.status', status_codes)} AS status,
  {_code('c_kjoenn.kjoenn', _CODES['kjoenn'])} AS kjoenn,
  {foedselsdato} AS foedselsdato,
  CAST(coalesce(try_cast(c_foedsel.foedselsaar AS INTEGER), year({foedselsdato})) AS SMALLINT) AS foedselsaar,
  {alder} AS alder,
  {_nz('c_navn.fornavn')} AS fornavn,
  {_nz('c_navn.mellomnavn')} AS mellomnavn,
  {_nz('c_navn.etternavn')} AS etternavn,
  {doedsdato} AS doedsdato,
  {_code('c_siv.sivilstand', _CODES['sivilstand'])} AS sivilstand,
  nullif(array_to_string(list_filter(borgerskap, lambda x: x IS NOT NULL AND x <> ''), ','), '') AS statsborgerskap,
  {hide('adressetype')} AS adressetype,
  {hide(knr)} AS kommunenummer,
  {hide('k.knavn')} AS kommunenavn,
  {hide(_nz(f'{veg}.adressenavn'))} AS adressenavn,
  {hide(_nz(f'{veg}.adressenummer.husnummer'))} AS husnummer,
  {hide(_nz(f'{veg}.adressenummer.husbokstav'))} AS husbokstav,
  {hide(f'coalesce({veg_nr}, {mat_nr})')} AS postnummer,
  {hide(f'coalesce({veg_sted}, {mat_sted})')} AS poststed,
  {hide(grunnkrets)} AS grunnkretsnummer,
  {hide(_code(f'{a}.adressegradering', _CODES['adressegradering']))} AS adressegradering,
  (c_bo.ukjentBosted IS NOT NULL) AS ukjent_bosted,
  {_code('beskyttelse', _CODES['adressegradering'])} AS adressebeskyttelse,
  {protected} AS adressebeskyttet
FROM flat LEFT JOIN ({_kommuner_values()}) AS k ON k.knr = {knr}
ORDER BY ident  -- a stable order: the join and DuckDB's threads would otherwise shuffle rows between runs
"""


# ---- to pandas ----------------------------------------------------------------------------
def _types_mapper(t: pa.DataType):
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.StringDtype("pyarrow")
    if pa.types.is_date32(t):
        return pd.ArrowDtype(pa.date32())
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_int16(t):
        return pd.Int16Dtype()
    if pa.types.is_int32(t):
        return pd.Int32Dtype()
    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    return None


def _to_pandas(reader: pa.RecordBatchReader | pa.Table, categorical: Iterable[str] = _CATEGORICAL) -> pd.DataFrame:
    table = reader if isinstance(reader, pa.Table) else reader.read_all()
    cats = [c for c in categorical if c in table.column_names]
    for c in cats:
        i = table.column_names.index(c)
        table = table.set_column(i, c, table.column(c).dictionary_encode())
    df = table.to_pandas(types_mapper=_types_mapper, self_destruct=True, split_blocks=True)
    for c in cats:  # dictionary columns arrive as categoricals; give them plain string categories
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].cat.rename_categories(lambda v: v)
    return df


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=pd.StringDtype("pyarrow")) for c in columns})


def persons_table(source: Source, *, show_ids: bool = False, reference_date: date | None = None,
                  con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """One row per person in the stored answers, with the current values analysts use.

    Columns: ``foedselsEllerDNummer`` (masked unless ``show_ids``), ``id_type`` (fnr/dnr),
    ``syntetisk``, ``status``, ``kjoenn``, ``foedselsdato`` (date), ``foedselsaar``, ``alder`` (whole
    years at ``reference_date``, default today; NA when the birth date is unknown or the person
    died on or before it), ``fornavn``, ``mellomnavn``, ``etternavn``, ``doedsdato``,
    ``sivilstand``, ``statsborgerskap`` (every current one, joined with ","), the current address
    flattened — the bostedsadresse, else the oppholdsadresse (D-numbers; ``adressetype`` says
    which): ``kommunenummer``, ``kommunenavn``, ``adressenavn``, ``husnummer``, ``husbokstav``,
    ``postnummer``, ``poststed``, ``grunnkretsnummer`` (SSB's 8 digits: kommunenummer + the
    4-digit grunnkrets), ``adressegradering`` — then ``ukjent_bosted``, ``adressebeskyttelse``
    (the level) and ``adressebeskyttet``. A protected person (fortrolig/strengtFortrolig
    protection or address grading) has every address column blank, kommune included.

    Strings are Arrow-backed, dates are dates, codes are categoricals.

    >>> df = persons_table("raw/")  # doctest: +SKIP
    """
    files = source_files(source)
    if not files:
        return _empty(_PERSON_COLUMNS)
    own = con is None
    con = con or connect()
    try:
        return _to_pandas(con.sql(persons_sql(show_ids=show_ids, reference_date=reference_date),
                                   params={"files": files}).arrow())
    finally:
        if own:
            con.close()


def to_parquet(source: Source, path: str | os.PathLike, *, show_ids: bool = False,
               reference_date: date | None = None, con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write the persons table straight from DuckDB to Parquet (zstd), without pandas.

    Written atomically through ``DataDir`` (temporary file beside ``path``, then renamed) with
    mode 0600, in a folder kept 0700; use a path in the private data folder
    (``DataDir.parquet_path``). Returns the path.
    """
    files = source_files(source)
    target = Path(path).absolute()
    store = DataDir(target.parent)
    own = con is None
    con = con or connect()
    tmp = store.temp_path(target)
    try:
        if files:
            duck.copy_to_parquet(con, persons_sql(show_ids=show_ids, reference_date=reference_date), tmp,
                                 {"files": files})
        else:
            duck.copy_to_parquet(con, "SELECT " + ", ".join(f'NULL::VARCHAR AS "{c}"' for c in _PERSON_COLUMNS)
                                 + " WHERE false", tmp)
        store.commit_temp(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        if own:
            con.close()
    return target


# ---- history, relations, errors ---------------------------------------------------------
_ADDRESS_HISTORY = {
    "adressegradering": "adressegradering",
    "kommunenummer": "coalesce(v->>'$.vegadresse.kommunenummer', v->>'$.matrikkeladresse.matrikkelnummer.kommunenummer', v->>'$.ukjentBosted.bostedskommune')",
    "adressenavn": "v->>'$.vegadresse.adressenavn'",
    "husnummer": "v->>'$.vegadresse.adressenummer.husnummer'",
    "husbokstav": "v->>'$.vegadresse.adressenummer.husbokstav'",
    "postnummer": "coalesce(v->>'$.vegadresse.poststed.postnummer', v->>'$.vegadresse.postnummer', v->>'$.matrikkeladresse.poststed.postnummer', v->>'$.matrikkeladresse.postnummer')",
    "poststed": "coalesce(CASE json_type(v->'$.vegadresse.poststed') WHEN 'OBJECT' THEN v->>'$.vegadresse.poststed.poststedsnavn' WHEN 'VARCHAR' THEN v->>'$.vegadresse.poststed' END, CASE json_type(v->'$.matrikkeladresse.poststed') WHEN 'OBJECT' THEN v->>'$.matrikkeladresse.poststed.poststedsnavn' WHEN 'VARCHAR' THEN v->>'$.matrikkeladresse.poststed' END)",
    "grunnkrets": "v->>'$.grunnkrets'",
}
_HISTORY_FIELDS: dict[str, dict[str, str]] = {
    "identifikasjonsnummer": {"identifikator": "v->>'$.foedselsEllerDNummer'",
                              "identifikatortype": "v->>'$.identifikatortype'",
                              "identifikatorstatus": "v->>'$.status'"},
    "status": {"status": "v->>'$.status'"},
    "kjoenn": {"kjoenn": "v->>'$.kjoenn'"},
    "foedsel": {"foedselsdato": "v->>'$.foedselsdato'", "foedselsaar": "v->>'$.foedselsaar'",
                "foedeland": "v->>'$.foedeland'", "foedekommuneINorge": "v->>'$.foedekommuneINorge'"},
    "doedsfall": {"doedsdato": "v->>'$.doedsdato'"},
    "navn": {"fornavn": "v->>'$.fornavn'", "mellomnavn": "v->>'$.mellomnavn'", "etternavn": "v->>'$.etternavn'"},
    "sivilstand": {"sivilstand": "v->>'$.sivilstand'", "sivilstandsdato": "v->>'$.sivilstandsdato'",
                   "relatertVedSivilstand": "v->>'$.relatertVedSivilstand'"},
    "statsborgerskap": {"statsborgerskap": "v->>'$.statsborgerskap'", "ervervsdato": "v->>'$.ervervsdato'"},
    "adressebeskyttelse": {"graderingsnivaa": "v->>'$.graderingsnivaa'"},
    "bostedsadresse": {**{k: (f"v->>'$.{k}'" if k == v else v) for k, v in _ADDRESS_HISTORY.items()},
                       "flyttedato": "v->>'$.flyttedato'"},
    "oppholdsadresse": {k: (f"v->>'$.{k}'" if k == v else v) for k, v in _ADDRESS_HISTORY.items()},
    "familierelasjon": {"relatertPerson": "v->>'$.relatertPerson'",
                        "relatertPersonsRolle": "v->>'$.relatertPersonsRolle'",
                        "minRolleForPerson": "v->>'$.minRolleForPerson'"},
    "innflytting": {"fraflyttingsland": "v->>'$.fraflyttingsland'", "innflyttingsdato": "v->>'$.innflyttingsdato'"},
    "utflytting": {"tilflyttingsland": "v->>'$.tilflyttingsland'", "utflyttingsdato": "v->>'$.utflyttingsdato'"},
}
# Any address grading of fortrolig/strengtFortrolig anywhere in a version (any case, any nesting).
_GRADED_PROTECTED = '(?i)"adressegradering"\\s*:\\s*"\\s*(fortrolig|strengtfortrolig)\\s*"'
# Keys that carry an address or a small area, anywhere in a version.
_ADDRESS_KEYS = ('"(adresse|[a-zA-Z]*[aA]dresse[a-zA-Z]*|adresselinje|adressenavn|postnummer|poststed|'
                 'postboks|grunnkrets|bygning|byEllerStedsnavn|regionDistriktOmraade|matrikkelnummer)"\\s*:')
_ALIASES = {"utenlandskPersonidentifikasjon": ("annenIdentifikasjon",)}
"""Element names used by older schema versions, read as the current name."""
HISTORY_ELEMENTS = (*codes.ELEMENTS, *(old for names in _ALIASES.values() for old in names))  # all it knows
_META_COLS = ["erGjeldende", "gyldighetstidspunkt", "opphoerstidspunkt", "ajourholdstidspunkt", "kilde", "aarsak"]
_TIMESTAMPS = ("gyldighetstidspunkt", "opphoerstidspunkt", "ajourholdstidspunkt")


def history_table(source: Source, element: str, *, show_ids: bool = False,
                  con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Every version of one element, one row each (current and historical, as stored).

    Columns: ``foedselsEllerDNummer`` (masked unless ``show_ids``), ``versjon`` (1 = first in the
    document), ``erGjeldende``, ``gyldighetstidspunkt``, ``opphoerstidspunkt``,
    ``ajourholdstidspunkt`` (UTC timestamps), ``kilde``, ``aarsak``, then the element's main
    values (for elements without a known layout: ``verdi``, the version as JSON text).
    Address elements: versions of protected persons or with protected grading have their
    address values blanked; for elements shown as ``verdi`` (JSON), a version that holds an
    address graded fortrolig/strengtFortrolig anywhere (any case), or any address of a protected
    person (``privacy.ADDRESS_ELEMENTS``, or any element with address fields), is blanked whole.
    Older names are read too (``annenIdentifikasjon``).
    """
    if not element or not element.replace("_", "").isalnum():
        raise ValueError(f"not an element name: {element!r}")
    names = (element, *_ALIASES.get(element, ()))
    fields = _HISTORY_FIELDS.get(element, {"verdi": "CAST(v AS VARCHAR)"})
    files = source_files(source)
    cols = ["foedselsEllerDNummer", "versjon", *_META_COLS, *fields]
    if not files:
        return _empty(cols)
    elements = {"identifikasjonsnummer": _PERSON_FIELDS["identifikasjonsnummer"],
                "adressebeskyttelse": _PERSON_FIELDS["adressebeskyttelse"],
                **{n: "JSON[]" for n in names if n not in ("identifikasjonsnummer", "adressebeskyttelse")}}
    versions = " || ".join(f"coalesce(p.\"{n}\", [])" if elements[n] == "JSON[]" else
                           f"coalesce(list_transform(p.\"{n}\", lambda x: to_json(x)), [])" for n in names)
    ident = "coalesce(nullif(trim(oppslag_id), ''), trim(" + _current("p.identifikasjonsnummer") + ".foedselsEllerDNummer))"
    is_address = element in ("bostedsadresse", "oppholdsadresse")
    protected_person = _protected_sql(_current("p.adressebeskyttelse") + ".graderingsnivaa")
    select = []
    for name, expr in fields.items():
        e = _nz(expr) if name != "verdi" else expr
        if name == "verdi" and not show_ids:  # identifiers inside the version (a verge, …)
            e = f"regexp_replace({e}, '\"([0-9]{{6}})[0-9]{{5}}\"', '\"\\1*****\"', 'g')"
        if name in ("adressegradering", "graderingsnivaa", "status", "kjoenn", "sivilstand",
                    "relatertPersonsRolle", "minRolleForPerson"):
            key = {"graderingsnivaa": "adressegradering", "relatertPersonsRolle": "familierelasjon",
                   "minRolleForPerson": "familierelasjon"}.get(name, name)
            e = _code(e, _CODES[key])
        if name in ("identifikator", "relatertPerson", "relatertVedSivilstand") and not show_ids:
            e = _mask_sql(e)
        if is_address and name != "adressegradering":
            graded = _protected_sql("v->>'$.adressegradering'")
            e = f"CASE WHEN beskyttet OR {graded} THEN NULL ELSE {e} END"
        if name == "verdi":  # addresses inside a version: blank the whole version's value
            holds_address = "true" if element in privacy.ADDRESS_ELEMENTS else \
                f"regexp_matches(CAST(v AS VARCHAR), '{_ADDRESS_KEYS}')"
            e = (f"CASE WHEN regexp_matches(CAST(v AS VARCHAR), '{_GRADED_PROTECTED}') "
                 f"OR (beskyttet AND {holds_address}) THEN NULL ELSE {e} END")
        select.append(f"{e} AS \"{name}\"")
    ts = {c: f"try_cast(v->>'$.{c}' AS TIMESTAMPTZ)" for c in _TIMESTAMPS}
    sql = f"""
WITH entries AS ({_entries_sql(elements)}),
persons AS (
  SELECT {ident} AS ident, {protected_person} AS beskyttet, {versions} AS vs
  FROM entries WHERE p IS NOT NULL
),
versions AS (
  SELECT ident, beskyttet, unnest(vs) AS v, generate_subscripts(vs, 1) AS versjon FROM persons
)
SELECT {('ident' if show_ids else _mask_sql('ident'))} AS foedselsEllerDNummer,
       CAST(versjon AS INTEGER) AS versjon,
       CASE lower(v->>'$.erGjeldende') WHEN 'true' THEN true WHEN 'false' THEN false END AS erGjeldende,
       {ts['gyldighetstidspunkt']} AS gyldighetstidspunkt,
       {ts['opphoerstidspunkt']} AS opphoerstidspunkt,
       {ts['ajourholdstidspunkt']} AS ajourholdstidspunkt,
       {_nz("v->>'$.kilde'")} AS kilde,
       {_nz("v->>'$.aarsak'")} AS aarsak,
       {", ".join(select)}
FROM versions
"""
    own = con is None
    con = con or connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        return _to_pandas(con.sql(sql, params={"files": files}).arrow())
    finally:
        if own:
            con.close()


def relations_table(source: Source, *, show_ids: bool = False,
                    con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Family relations as given in each document (both directions appear when both persons'
    documents are stored): ``foedselsEllerDNummer``, ``relatert_person`` (both masked unless
    ``show_ids``; NA for a related person without an identifier), ``relatertPersonsRolle``,
    ``minRolleForPerson``, ``erGjeldende``, ``gyldighetstidspunkt`` (date part)."""
    files = source_files(source)
    cols = ["foedselsEllerDNummer", "relatert_person", "relatertPersonsRolle", "minRolleForPerson",
            "erGjeldende", "gyldighetstidspunkt"]
    if not files:
        return _empty(cols)
    elements = {"identifikasjonsnummer": _PERSON_FIELDS["identifikasjonsnummer"],
                "familierelasjon": _element_type(_RELATION_FIELDS)}
    ident = "coalesce(nullif(trim(oppslag_id), ''), trim(" + _current("p.identifikasjonsnummer") + ".foedselsEllerDNummer))"
    rel = _nz("r.relatertPerson")
    sql = f"""
WITH entries AS ({_entries_sql(elements)}),
rels AS (SELECT {ident} AS ident, unnest(p.familierelasjon) AS r FROM entries WHERE p IS NOT NULL)
SELECT {('ident' if show_ids else _mask_sql('ident'))} AS foedselsEllerDNummer,
       {(rel if show_ids else _mask_sql(rel))} AS relatert_person,
       {_code('r.relatertPersonsRolle', _CODES['familierelasjon'])} AS relatertPersonsRolle,
       {_code('r.minRolleForPerson', _CODES['familierelasjon'])} AS minRolleForPerson,
       r.erGjeldende AS erGjeldende,
       try_cast(left(r.gyldighetstidspunkt, 10) AS DATE) AS gyldighetstidspunkt
FROM rels WHERE r IS NOT NULL
"""
    own = con is None
    con = con or connect()
    try:
        return _to_pandas(con.sql(sql, params={"files": files}).arrow())
    finally:
        if own:
            con.close()


def errors_table(source: Source, *, show_ids: bool = False,
                 con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Every bulk-answer entry without a person — never dropped silently.

    Columns: ``foedselsEllerDNummer`` (masked unless ``show_ids``), ``feilmelding`` (the text;
    an object's ``feilmelding`` field or the string itself; NA when the entry had neither a
    person nor a message), ``fil`` (the file name, without folders)."""
    files = source_files(source)
    cols = ["foedselsEllerDNummer", "feilmelding", "fil"]
    if not files:
        return _empty(cols)
    elements = {"identifikasjonsnummer": _PERSON_FIELDS["identifikasjonsnummer"]}
    f = "feilmelding"
    text = (f"CASE json_type({f}) WHEN 'OBJECT' THEN coalesce({f}->>'$.feilmelding', {f}->>'$.melding', "
            f"{f}->>'$.message', CAST({f} AS VARCHAR)) WHEN 'VARCHAR' THEN {f}->>'$' "
            f"WHEN 'NULL' THEN NULL ELSE CAST({f} AS VARCHAR) END")
    ident = _nz("oppslag_id")
    sql = f"""
WITH entries AS ({_entries_sql(elements)})
SELECT {(ident if show_ids else _mask_sql(ident))} AS foedselsEllerDNummer,
       {text} AS feilmelding,
       regexp_extract(fil, '[^/\\\\]+$') AS fil
FROM entries WHERE p IS NULL
"""
    own = con is None
    con = con or connect()
    try:
        return _to_pandas(con.sql(sql, params={"files": files}).arrow(), categorical=())
    finally:
        if own:
            con.close()
