"""Questions to a mirror, answered with DuckDB over its spells: population, flows, cohorts.

Every count is suppressed through ``_suppress`` (one place, so the privacy rules can change
without touching the questions). Residents = persons with status ``bosatt`` whose bostedsadresse
that day lies in one of the mirror's municipalities. A ``strengtFortrolig`` address has no
municipality in Freg's answers, so those persons are not placed (as in every statistic made from
Folkeregisteret without the address).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import FregNbError, InputError
from .core import Mirror

UNKNOWN = "uoppgitt"
DIMENSIONS = {
    "kommunenummer": "kommunenummer",
    "grunnkrets": "grunnkrets",
    "skolekrets": "skolekrets",
    "kjoenn": "kjoenn",
    "statsborgerskap": "statsborgerskap",
    "foedselsaar": "year(foedselsdato)",
    "alder": "date_sub('year', foedselsdato, $at)",
    "aldersgruppe": "least(date_sub('year', foedselsdato, $at) // 5 * 5, 90)",
}
# dimensions a person keeps from one day to the next (flows cannot use age: everyone ages)
STABLE = ("kommunenummer", "grunnkrets", "skolekrets", "kjoenn", "statsborgerskap", "foedselsaar")
FLOW_COLUMNS = ("start", "foedte", "doede", "innflyttet_fra_kommune", "innvandret", "utflyttet_til_kommune",
                "utvandret", "flyttet_inn_internt", "flyttet_ut_internt", "slutt")


def _suppress(df: pd.DataFrame, count_cols: Sequence[str], *, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Small counts hidden with secondary suppression (``freg_nb.privacy.suppress``; a large table
    takes its fast path)."""
    from .. import privacy

    if df.empty:
        return df
    return privacy.suppress(df, list(count_cols), by=list(by) if by else None).table


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(f"{what}: skriv en dato som '2025-01-01' (år-måned-dag), ikke {value!r}.")


def _by(by: Any, allowed: Sequence[str]) -> list[str]:
    dims = [by] if isinstance(by, str) else list(by or [])
    bad = [d for d in dims if d not in allowed]
    if bad:
        hint = (" Alder endrer seg for alle fra dag til dag; bruk foedselsaar i flyttestrømmer."
                if any(d in ("alder", "aldersgruppe") for d in bad) else "")
        raise InputError(f"by: ukjent inndeling {', '.join(map(repr, bad))}; velg blant {', '.join(allowed)}.{hint}")
    if len(set(dims)) != len(dims):
        raise InputError("by: samme inndeling er nevnt to ganger.")
    return dims


def _check_day(mirror: Mirror, day: dt.date, what: str) -> None:
    first = mirror.history_from
    if first is not None and day < first:
        raise InputError(f"{what} {day} er før {first}, den første dagen speilet {mirror.name!r} kjenner alle "
                         "innbyggerne for (det ble bygget fra et tilpasset uttrekk av dem som bodde der da). "
                         "Velg en senere dato, eller bygg speilet fra et komplett uttrekk.")


def _query(mirror: Mirror, sql: str, params: dict) -> pd.DataFrame:
    """``sql`` with ``SPELLS`` standing for the mirror's spells (base and overlay, see ``Mirror.spells_sql``)."""
    spells, spell_params = mirror.spells_sql()
    con = mirror.connect()
    try:
        return con.execute(sql.replace("SPELLS", spells), {**spell_params, "k": mirror.kommuner, **params}).df()
    finally:
        con.close()


def _labels(df: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
    """Groups as text (``uoppgitt`` for unknown; age groups as ``0–4`` … ``90+``), sorted."""
    if dims:
        df = df.sort_values(dims, na_position="last", kind="stable").reset_index(drop=True)
    for d in dims:
        if d == "aldersgruppe":
            df[d] = df[d].map(lambda lo: f"{int(lo)}+" if lo >= 90 else f"{int(lo)}–{int(lo) + 4}")
        elif d != "alder":
            col = df[d]
            if pd.api.types.is_numeric_dtype(col):
                col = col.astype("Int64")
            df[d] = col.astype("string").fillna(UNKNOWN).astype(str)
    return df


def population_counts(mirror: Mirror, *, at: Any, by: Sequence[str] | str = ("kommunenummer",)) -> pd.DataFrame:
    """``population`` without suppression: for checks against a truth, never for display."""
    day = _date(at, "at")
    _check_day(mirror, day, "at")
    dims = _by(by, tuple(DIMENSIONS))
    cols = ", ".join(f"{DIMENSIONS[d]} AS {d}" for d in dims)
    sql = (f"SELECT {cols + ',' if cols else ''} count(*)::BIGINT AS antall FROM SPELLS "
           "WHERE fra <= $at AND (til IS NULL OR til > $at) AND list_contains($k::VARCHAR[], kommunenummer) "
           f"{'GROUP BY ALL' if dims else ''}")
    df = _query(mirror, sql, {"at": day})
    return _labels(df, dims).reset_index(drop=True)


def population(mirror: Mirror, *, at: Any, by: Sequence[str] | str = ("kommunenummer",)) -> pd.DataFrame:
    """Residents on the day ``at`` by ``by``: any of kommunenummer, grunnkrets, skolekrets, alder
    (one-year), aldersgruppe (five-year, 90+), kjoenn, statsborgerskap, foedselsaar. Counts below
    the small-cell threshold are hidden (column ``antall`` is text). Unknown values: ``uoppgitt``.

    >>> freg_nb.mirror.population(speil, at="2025-01-01", by=["grunnkrets", "aldersgruppe"])  # doctest: +SKIP
    """
    dims = _by(by, tuple(DIMENSIONS))
    df = population_counts(mirror, at=at, by=dims)
    df.attrs["speil"] = {"navn": mirror.name, "dato": str(_date(at, "at")), "sekvensnummer": mirror.sekvensnummer}
    return _suppress(df, ["antall"], by=dims[:1] if len(dims) > 1 else None)


def _flow_sql(dims: list[str]) -> str:
    key = "concat_ws('|', " + ", ".join(f"coalesce(CAST({DIMENSIONS[d]} AS VARCHAR), '∅')" for d in dims) + ")" if dims else "''"
    sel = ", ".join(f"{DIMENSIONS[d]} AS {d}" for d in dims)
    return f"""
WITH s AS (
    SELECT pid, fra, til, doedsdato, foedselsdato,
           list_contains($k::VARCHAR[], kommunenummer) AS inne, {key} AS gkey {', ' + sel if sel else ''}
    FROM SPELLS
),
grp AS (SELECT DISTINCT gkey {', ' + ', '.join(dims) if dims else ''} FROM s WHERE inne),
at_start AS (SELECT gkey, count(*) AS n FROM s WHERE inne AND fra <= $start AND (til IS NULL OR til > $start)
             GROUP BY gkey),
at_end AS (SELECT gkey, count(*) AS n FROM s WHERE inne AND fra <= $end AND (til IS NULL OR til > $end)
           GROUP BY gkey),
days AS (
    SELECT DISTINCT pid, x FROM (SELECT pid, fra AS x FROM s UNION ALL SELECT pid, til FROM s WHERE til IS NOT NULL)
    WHERE x > $start AND x <= $end
),
tr AS (
    SELECT d.pid, d.x, b.gkey AS g0, b.inne AS in0, a.gkey AS g1, a.inne AS in1,
           coalesce(b.doedsdato, a.doedsdato) AS doed, coalesce(a.foedselsdato, b.foedselsdato) AS foedt
    FROM days d
    LEFT JOIN s b ON b.pid = d.pid AND b.fra <= d.x - 1 AND (b.til IS NULL OR b.til > d.x - 1)
    LEFT JOIN s a ON a.pid = d.pid AND a.fra <= d.x AND (a.til IS NULL OR a.til > d.x)
),
moves AS (
    SELECT * FROM tr WHERE (coalesce(in0, false) AND (NOT coalesce(in1, false) OR g0 <> g1))
                        OR (coalesce(in1, false) AND (NOT coalesce(in0, false) OR g0 <> g1))
),
ins AS (
    SELECT g1 AS gkey,
           count(*) FILTER (WHERE in0 IS NULL AND x = foedt) AS foedte,
           count(*) FILTER (WHERE in0 IS NOT NULL AND NOT in0) AS innflyttet_fra_kommune,
           count(*) FILTER (WHERE in0 IS NULL AND x IS DISTINCT FROM foedt) AS innvandret,
           count(*) FILTER (WHERE in0) AS flyttet_inn_internt
    FROM moves WHERE coalesce(in1, false) GROUP BY g1
),
outs AS (
    SELECT g0 AS gkey,
           count(*) FILTER (WHERE in1 IS NULL AND x = doed) AS doede,
           count(*) FILTER (WHERE in1 IS NOT NULL AND NOT in1) AS utflyttet_til_kommune,
           count(*) FILTER (WHERE in1 IS NULL AND x IS DISTINCT FROM doed) AS utvandret,
           count(*) FILTER (WHERE in1) AS flyttet_ut_internt
    FROM moves WHERE coalesce(in0, false) GROUP BY g0
)
SELECT {', '.join(f'grp.{d}' for d in dims) + ',' if dims else ''}
       coalesce(at_start.n, 0)::BIGINT AS start, coalesce(ins.foedte, 0)::BIGINT AS foedte,
       coalesce(outs.doede, 0)::BIGINT AS doede,
       coalesce(ins.innflyttet_fra_kommune, 0)::BIGINT AS innflyttet_fra_kommune,
       coalesce(ins.innvandret, 0)::BIGINT AS innvandret,
       coalesce(outs.utflyttet_til_kommune, 0)::BIGINT AS utflyttet_til_kommune,
       coalesce(outs.utvandret, 0)::BIGINT AS utvandret,
       coalesce(ins.flyttet_inn_internt, 0)::BIGINT AS flyttet_inn_internt,
       coalesce(outs.flyttet_ut_internt, 0)::BIGINT AS flyttet_ut_internt,
       coalesce(at_end.n, 0)::BIGINT AS slutt
FROM grp LEFT JOIN at_start USING (gkey) LEFT JOIN at_end USING (gkey) LEFT JOIN ins USING (gkey)
     LEFT JOIN outs USING (gkey)
ORDER BY ALL
"""


def flow_counts(mirror: Mirror, start: Any, end: Any, *, by: Sequence[str] | str = ()) -> pd.DataFrame:
    """``flows`` without suppression, with the identity checked (for checks and the waterfall's sums)."""
    d0, d1 = _date(start, "start"), _date(end, "end")
    if d1 <= d0:
        raise InputError(f"end ({d1}) må være etter start ({d0}).")
    _check_day(mirror, d0, "start")
    dims = _by(by, STABLE)
    df = _query(mirror, _flow_sql(dims), {"start": d0, "end": d1})
    df = df[(df[list(FLOW_COLUMNS)] != 0).any(axis=1)].reset_index(drop=True)
    lhs = (df["start"] + df["foedte"] - df["doede"] + df["innflyttet_fra_kommune"] + df["innvandret"]
           - df["utflyttet_til_kommune"] - df["utvandret"] + df["flyttet_inn_internt"] - df["flyttet_ut_internt"])
    bad = df[lhs != df["slutt"]]
    if len(bad):
        raise FregNbError(f"Befolkningsregnskapet går ikke opp for {len(bad)} grupper (start + fødte − døde + inn − ut "
                          "≠ slutt). Det er en feil i speilet; meld fra om den.")
    df.attrs["speil"] = {"navn": mirror.name, "start": str(d0), "slutt": str(d1), "regnskap_stemmer": True}
    return _labels(df, dims)


def flows(mirror: Mirror, start: Any, end: Any, *, by: Sequence[str] | str = ()) -> pd.DataFrame:
    """Population accounts between the days ``start`` and ``end`` per group of ``by`` (kommunenummer,
    grunnkrets, skolekrets, kjoenn, statsborgerskap, foedselsaar): residents at start, births,
    deaths, moved in from another municipality / from abroad, moved out to another municipality /
    abroad, moved within (between the groups, e.g. grunnkretser), residents at end. The identity
    start + fødte − døde + inn − ut = slutt is checked for every group before anything is hidden.

    >>> freg_nb.mirror.flows(speil, "2024-01-01", "2025-01-01", by="grunnkrets")   # doctest: +SKIP
    """
    df = flow_counts(mirror, start, end, by=by)
    attrs = dict(df.attrs)
    out = _suppress(df, list(FLOW_COLUMNS))
    out.attrs.update(attrs)
    return out


def school_year(at: dt.date) -> int:
    """The August a child starts school in, seen from ``at``: this year's if before August, else next year's."""
    return at.year if at.month < 8 else at.year + 1


def cohort(mirror: Mirror, *, at: Any, skolestart: int | None = None,
           by: Sequence[str] | str = ("skolekrets",)) -> pd.DataFrame:
    """Children living in the mirror's area on ``at`` who start school in August ``skolestart``
    (default: the next August), i.e. born six years before, by ``by`` (default skolekrets).

    >>> freg_nb.mirror.cohort(speil, at="2025-03-01")                  # doctest: +SKIP
    """
    day = _date(at, "at")
    year = school_year(day) if skolestart is None else skolestart
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= day.year + 7:
        raise InputError(f"skolestart må være et årstall, f.eks. {school_year(day)}, ikke {skolestart!r}.")
    dims = _by(by, tuple(d for d in DIMENSIONS if d not in ("alder", "aldersgruppe", "foedselsaar")))
    cols = ", ".join(f"{DIMENSIONS[d]} AS {d}" for d in dims)
    sql = (f"SELECT {cols + ',' if cols else ''} count(*)::BIGINT AS antall FROM SPELLS "
           "WHERE fra <= $at AND (til IS NULL OR til > $at) AND list_contains($k::VARCHAR[], kommunenummer) "
           f"AND year(foedselsdato) = $born {'GROUP BY ALL' if dims else ''}")
    df = _labels(_query(mirror, sql, {"at": day, "born": year - 6}), dims)
    df.attrs["speil"] = {"navn": mirror.name, "dato": str(day), "skolestart": year, "foedselsaar": year - 6}
    attrs = dict(df.attrs)
    out = _suppress(df, ["antall"], by=dims[:1] if len(dims) > 1 else None)
    out.attrs.update(attrs)
    return out


def pyramid_table(mirror: Mirror, *, at: Any, kommunenummer: str | None = None,
                  grunnkrets: int | str | None = None, max_age: int = 90) -> pd.DataFrame:
    """Residents on ``at`` by five-year age group (rows, youngest first, ``max_age+`` last) and sex
    (columns ``kvinne``, ``mann``) for the whole area, one municipality or one grunnkrets —
    suppressed, ready for ``freg_nb.plots.extracts.age_pyramid``."""
    raw = population_counts(mirror, at=at, by=["kommunenummer", "grunnkrets", "alder", "kjoenn"])
    if kommunenummer is not None:
        raw = raw[raw["kommunenummer"] == str(kommunenummer)]
    if grunnkrets is not None:
        raw = raw[raw["grunnkrets"] == str(grunnkrets)]
    top = max_age // 5 * 5
    labels = [f"{lo}–{lo + 4}" for lo in range(0, top, 5)] + [f"{top}+"]
    group = (raw["alder"].clip(upper=top) // 5).astype(int)
    wide = (raw.assign(aldersgruppe=[labels[g] for g in group]).pivot_table(
        index="aldersgruppe", columns="kjoenn", values="antall", aggfunc="sum", fill_value=0)
        .reindex(index=labels, columns=["kvinne", "mann"], fill_value=0).astype("int64").reset_index())
    wide.columns.name = None
    return _suppress(wide, ["kvinne", "mann"])


EXPORT_FORMATS = ("csv", "xlsx", "parquet")


def export_tables(mirror: Mirror, tables: dict[str, pd.DataFrame], *,
                  formats: Sequence[str] | str = ("csv", "xlsx")) -> dict[str, Any]:
    """Write the (already suppressed) tables to ``speil/<name>/eksport/`` in the private data folder:
    one file per table for csv/parquet, one workbook with a sheet per table for xlsx. Returns
    ``{format: path or [paths]}``. Person-level data is never exported from here."""
    fmts = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fmts if f not in EXPORT_FORMATS]
    if bad or not fmts:
        raise InputError(f"Ukjent eksportformat {bad or fmts}; velg blant {', '.join(EXPORT_FORMATS)}.")
    for key, df in tables.items():
        if not isinstance(df, pd.DataFrame) or "pid" in df.columns:
            raise InputError(f"Tabellen {key!r} kan ikke eksporteres herfra: bare tabeller med tall "
                             "(population, flows, cohort, pyramid_table).")
    store = mirror.store
    out: dict[str, Any] = {}
    for fmt in fmts:
        if fmt == "xlsx":
            target = store.resolve(f"speil/{mirror.name}/eksport/{mirror.name}.xlsx")
            tmp = store.temp_path(target)
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                for key, df in tables.items():
                    df.astype("object").where(df.notna(), None).to_excel(xw, sheet_name=key[:31], index=False)
            out[fmt] = store.commit_temp(tmp, target)
            continue
        paths = []
        for key, df in tables.items():
            target = store.resolve(f"speil/{mirror.name}/eksport/{key}.{fmt}")
            tmp = store.temp_path(target)
            if fmt == "csv":
                df.to_csv(tmp, index=False, encoding="utf-8")
            else:
                df.astype({c: "string" for c in df.columns if df[c].dtype == object}).to_parquet(tmp, index=False)
            paths.append(store.commit_temp(tmp, target))
        out[fmt] = paths
    return out


def feed_day(mirror: Mirror) -> str:
    """The day of the event the mirror is valid at (ISO), or today when the feed says nothing."""
    from .fetch import current_feed_day

    return current_feed_day(mirror.client, mirror.role, mirror.sekvensnummer) or dt.date.today().isoformat()


def a_year_before(day: Any, mirror: Mirror) -> str:
    """One year before ``day``, but not before the first day the mirror knows everyone for."""
    d = _date(day, "dato")
    try:
        start = d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        start = d.replace(year=d.year - 1, day=28)
    first = mirror.history_from
    return str(max(start, first) if first else start)
