"""Hendelser: the stored events of one or more roles as a DataFrame, and counts per role, type and period.

``read_events`` brings each role's stored events up to date with the feed (``feed.sync_events``:
concurrent, checkpointed, resumable) and reads the asked range from the Parquet parts. Volumes
(``event_volumes``, ``compare_roles``, ``type_matrix``, ``top_event_types``) are DuckDB queries
over those parts: 10 million events take well under 3 seconds. ``event_changes`` samples event
documents to tell what kind of change the events are.

>>> import freg_nb                                                    # doctest: +SKIP
>>> client = freg_nb.connect()                                        # doctest: +SKIP
>>> ev = read_events(client, roles=["analyse", "skole"], start="2024-03-04", end="2024-03-10")  # doctest: +SKIP
>>> event_volumes(client, roles=["analyse", "skole"], freq="day")    # doctest: +SKIP
"""
from __future__ import annotations

import logging
import re
import time
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence

import orjson
import pandas as pd

from freg_nb import bulkshapes, duck
from freg_nb._compat import keywords_after_client
from freg_nb.codes import HENDELSETYPER
from freg_nb.errors import AccessDenied, InputError
from freg_nb.messages import field, msg
from freg_nb.feed import (
    EVENT_COLUMNS,
    OSLO,
    FeedState,
    FeedSync,
    NoTimestamps,
    has_new_events,
    page_timestamps,
    role_name,
    roles_arg,
    seq_arg,
    sequence_for_date,
    sync_events,
    to_date,
)
from freg_nb.store import DataDir

if TYPE_CHECKING:
    from freg_nb.client import FregClient

__all__ = [
    "EVENT_COLUMNS", "EVENT_TYPES", "FeedSync", "MissingDocuments", "NoTimestamps", "StoredEvents", "compare_roles", "event_changes",
    "event_files", "event_volumes", "has_new_events", "read_events", "sequence_for_date", "sync_events",
    "top_event_types", "type_matrix",
]

log = logging.getLogger("freg_nb")

EVENT_TYPES = HENDELSETYPER  # the official hendelsetype values; for pickers, not for checking


class MissingDocuments(UserWarning):
    """``event_changes``: Freg answered without some of the sampled event documents (they are not counted;
    their ids are in the result's ``attrs["mangler"]``)."""

    def __init__(self, missing: int, asked: int):
        super().__init__(f"Freg svarte ikke med {missing} av de {asked} hendelsesdokumentene i utvalget; de er ikke "
                         "talt med (kolonnen «sample» teller bare dokumentene som kom). Id-ene står i "
                         "resultatets attrs['mangler'].")


class StoredEvents(Protocol):
    """What the analysis over stored events needs of a client: its data folder and its roles."""

    @property
    def data_dir(self) -> DataDir: ...

    @property
    def roles(self) -> Mapping[str, str]: ...

    def resolve_role(self, role: str) -> tuple[str, str]: ...


_FREQ = {"day": "day", "dag": "day", "d": "day", "week": "week", "uke": "week", "w": "week",
         "month": "month", "måned": "month", "maaned": "month", "mnd": "month", "m": "month"}

def _freq(freq: str) -> str:
    key = str(freq or "").strip().lower()
    if key not in _FREQ:
        raise InputError(msg("events.freq", value=freq))
    return _FREQ[key]



# ----------------------------------------------------------------------------------------------
# reading into a DataFrame

def _range_for_dates(client, role: str, start: date | None, end: date | None, via: str | None,
                     cache: dict) -> tuple[int | None, int | None]:
    def seq_for(d: date) -> int:
        if d not in cache:
            cache[d] = sequence_for_date(client, role=role, day=d, via=via)
        return cache[d]

    lo = seq_for(start) if start else None
    hi = seq_for(end + timedelta(days=1)) - 1 if end else None
    return lo, hi


@keywords_after_client("roles")
def read_events(client: FregClient, *, roles: str | Sequence[str] | None = None, start: Any = None, end: Any = None,
                start_seq: int | None = None, end_seq: int | None = None,
                event_types: Sequence[str] | None = None, show_ids: bool = False,
                concurrency: int | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Events of one or more roles as a DataFrame, read from the feed (resumably) and stored as Parquet.

    ``start``/``end``: dates (inclusive, Oslo days; ``end`` default: up to the newest event), or
    ``start_seq``/``end_seq``: sequence numbers. Without either, ``start`` is 7 days ago.
    A role whose feed has no timestamps ("uten hjemmel" may carry identifiers only) is placed by
    the sequence numbers found in another chosen role's feed. Identifiers are masked unless
    ``show_ids=True``.

    Columns: sekvensnummer, role, hendelsetype, ajourholdstidspunkt (Oslo time), dato,
    folkeregisteridentifikator, hendelsesdokument, persondokument.

    >>> ev = read_events(client, roles=["analyse", "skole"], start="2024-03-04", end="2024-03-10")  # doctest: +SKIP
    >>> ev.groupby(["role", "hendelsetype"]).size()                                           # doctest: +SKIP
    """
    names = roles_arg(client, roles)
    d0, d1 = to_date(start, "start"), to_date(end, "end")
    s0, s1 = seq_arg(start_seq, "start_seq"), seq_arg(end_seq, "end_seq")
    if (d0 or d1) and (s0 is not None or s1 is not None):
        raise InputError(msg("events.dates_or_seq"))
    _check_dates(d0, d1)
    today = datetime.now(OSLO).date()
    if d0 and d0 > today:  # the feed holds nothing after today: refused before any request
        raise InputError(msg("events.future_start", field=field("start"), value=d0, today=today))
    if s0 is not None and s1 is not None and s1 < s0:
        raise InputError(msg("events.seq_order", s0=s0, s1=s1))
    if d0 is None and s0 is None:
        d0 = today - timedelta(days=7)
    _check_types(event_types)
    store = client.data_dir
    ranges: dict[str, tuple[int, int | None]] = {}
    cache: dict = {}
    via: str | None = None
    extra: list[str] = []  # roles read only to give thin roles their days and types
    for name in names:
        if d0 is not None or d1 is not None:
            try:
                lo, hi = _range_for_dates(client, name, d0, d1, via, cache)
            except NoTimestamps:
                via = _timestamped_role(client, names, exclude=name)
                if via is None:
                    raise NoTimestamps(msg("events.no_timestamps", role=name)) from None
                lo, hi = _range_for_dates(client, name, d0, d1, via, cache)
                if via not in names:
                    log.info("role %s has no timestamps: also reading role %s to place its events in time",
                             name, via)
                    extra.append(via)
        else:
            lo, hi = s0, s1
        ranges[name] = (lo if lo is not None else 1, hi)
    sync_ranges = dict(ranges)
    for name in extra:
        sync_ranges.setdefault(role_name(client, name), ranges[next(iter(ranges))])
    for name, (lo, hi) in sync_ranges.items():
        if hi is not None and hi < lo:
            continue  # nothing in the range (e.g. a day with no events)
        sync_events(client, role=name, start_seq=lo, end_seq=hi, concurrency=concurrency, progress=progress)
    frames = []
    for name, (lo, hi) in ranges.items():
        fs = FeedState(store, client, name)
        files = fs.files()
        if not files:
            continue
        df = _query(files, f"SELECT * FROM events WHERE sekvensnummer >= {int(lo)}"
                           + (f" AND sekvensnummer <= {int(hi)}" if hi is not None else "")
                           + _types_clause(event_types, "AND") + " ORDER BY sekvensnummer")
        frames.append(df)
    out = pd.concat(frames, ignore_index=True) if frames else _empty_events()
    return _present(out, show_ids=show_ids)


def _timestamped_role(client, names: Sequence[str], exclude: str) -> str | None:
    """A role (the chosen ones first, then the other configured ones) whose feed has timestamps."""
    others = list(names) + [r for r in client.settings.roles if r not in names]
    for other in others:
        if other == exclude:
            continue
        try:
            entries = client.feed(other, max(client.latest_sequence(other) - 10, 0)).entries
        except AccessDenied:
            continue
        if page_timestamps(entries).notna().any():
            return other
    return None


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in EVENT_COLUMNS})


def _present(df: pd.DataFrame, *, show_ids: bool) -> pd.DataFrame:
    from freg_nb.privacy import mask_series

    df = df.copy()
    if "ajourholdstidspunkt" in df and len(df):
        ts = pd.to_datetime(df["ajourholdstidspunkt"], utc=True)
        df["ajourholdstidspunkt"] = ts.dt.tz_convert(OSLO)
    for c in ("role", "hendelsetype"):
        if c in df:
            df[c] = df[c].astype("category")
    if "sekvensnummer" in df:
        df["sekvensnummer"] = df["sekvensnummer"].astype("int64")
    if "folkeregisteridentifikator" in df:
        df["folkeregisteridentifikator"] = mask_series(df["folkeregisteridentifikator"], show=show_ids)
    return df.reset_index(drop=True)


def _check_types(event_types: Sequence[str] | None) -> None:
    if event_types is None:
        return
    if isinstance(event_types, str):
        raise InputError(msg("events.types_list", field=field("event_types")))
    bad = [t for t in event_types if not isinstance(t, str) or not re.fullmatch(r"[A-Za-z]+", t)]
    if bad:
        raise InputError(msg("events.types_bad", field=field("event_types"), bad=bad))


def _types_clause(event_types: Sequence[str] | None, joiner: str) -> str:
    if not event_types:
        return ""
    quoted = ", ".join("'" + t + "'" for t in event_types)  # validated: letters only
    return f" {joiner} hendelsetype IN ({quoted})"


# ----------------------------------------------------------------------------------------------
# volumes

def event_files(client: StoredEvents, roles: str | Sequence[str] | None = None) -> list[Path]:
    """The Parquet files holding the stored events of ``roles`` (all roles when None), in the
    client's data folder."""
    names = None if roles is None else [role_name(client, r) for r in ([roles] if isinstance(roles, str) else roles)]
    feeds = client.data_dir.path / "feeds"
    if not feeds.is_dir():
        return []
    out: list[Path] = []
    for folder in sorted(feeds.iterdir()):
        if names is not None and folder.name not in names:
            continue
        state = orjson.loads((folder / "checkpoint.json").read_bytes()) if (folder / "checkpoint.json").exists() else None
        for p in (state or {}).get("parts", []):
            out.append(folder / "parts" / p["file"])
    return out


_EMPTY_EVENTS = ("SELECT NULL::BIGINT AS sekvensnummer, NULL::VARCHAR AS role, NULL::VARCHAR AS hendelsetype, "
                 "NULL::TIMESTAMPTZ AS ajourholdstidspunkt, NULL::DATE AS dato, "
                 "NULL::VARCHAR AS folkeregisteridentifikator, NULL::VARCHAR AS hendelsesdokument, "
                 "NULL::VARCHAR AS persondokument WHERE FALSE")


def _query(files: Sequence[Path], sql: str, params: dict | None = None) -> pd.DataFrame:
    con = duck.connect()
    try:
        duck.parquet_view(con, "events", files, empty_sql=_EMPTY_EVENTS)
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


def _filters(roles, start, end, event_types, start_seq=None, end_seq=None) -> tuple[str, dict]:
    where, params = ["TRUE"], {}
    if roles is not None:
        roles = [roles] if isinstance(roles, str) else list(roles)
        where.append("role IN (SELECT unnest($roles))")
        params["roles"] = roles
    d0, d1 = to_date(start, "start"), to_date(end, "end")
    _check_dates(d0, d1)
    if d0:
        where.append("dato >= $d0")
        params["d0"] = d0
    if d1:
        where.append("dato <= $d1")
        params["d1"] = d1
    if start_seq is not None:
        where.append("sekvensnummer >= $s0")
        params["s0"] = int(start_seq)
    if end_seq is not None:
        where.append("sekvensnummer <= $s1")
        params["s1"] = int(end_seq)
    _check_types(event_types)
    if event_types:
        where.append("hendelsetype IN (SELECT unnest($types))")
        params["types"] = list(event_types)
    return " AND ".join(where), params


def _check_dates(d0: date | None, d1: date | None) -> None:
    if d0 and d1 and d1 < d0:
        raise InputError(msg("events.date_order"))


def _resolve_source(client: StoredEvents, roles):
    """All stored event files (other roles' timestamps may place undated events) + role names.
    Chosen roles whose events were never read are an InputError saying how to read them first
    (a read that found no events in its period gives an empty table, not this)."""
    if roles is not None:
        roles = [role_name(client, r) for r in ([roles] if isinstance(roles, str) else roles)]
    files = event_files(client, None)
    feeds = client.data_dir.path / "feeds"   # a role's folder is made by its first read_events, even if empty
    read = [f.name for f in feeds.iterdir() if f.is_dir()] if feeds.is_dir() else []
    if not (set(read) & set(roles) if roles is not None else read):
        chosen = roles if roles is not None else list(client.roles)
        raise InputError(msg("events.none_stored", roles=", ".join(chosen) or "–",
                             example=repr(chosen[0] if chosen else "analyse")))
    return files, roles


UNKNOWN_TYPE = "(ukjent)"


def _enriched_sql(where: str) -> str:
    """The stored events with thin rows filled in from other roles' events.

    "Uten hjemmel" feeds carry identifiers only: no hendelsetype, no ajourholdstidspunkt. Sequence
    numbers are global in Freg, so a thin event takes its type and day from the same sequence
    number in a role med hjemmel when that is stored (exact), and otherwise its day from the
    nearest earlier stored event (the feed is in time order). What cannot be placed stays NULL.
    """
    return f"""
        WITH base AS (SELECT * FROM events),
        ref AS (SELECT sekvensnummer AS s, any_value(hendelsetype) AS t, any_value(dato) AS d
                FROM base WHERE hendelsetype IS NOT NULL AND dato IS NOT NULL GROUP BY sekvensnummer),
        filled AS (
            SELECT b.* REPLACE (coalesce(b.hendelsetype, r.t) AS hendelsetype, coalesce(b.dato, r.d) AS dato),
                   b.hendelsetype IS NOT NULL AS own_type
            FROM base b LEFT JOIN ref r ON b.sekvensnummer = r.s
        ),
        placed AS (
            SELECT f.* REPLACE (coalesce(f.dato, CASE WHEN f.sekvensnummer <= (SELECT max(s) FROM ref)
                                                      THEN st.d END) AS dato)
            FROM filled f ASOF LEFT JOIN (SELECT s, d FROM ref) st ON f.sekvensnummer >= st.s
        )
        SELECT * FROM placed WHERE {where}
    """


def event_volumes(client: StoredEvents, *, roles: str | Sequence[str] | None = None, freq: str = "day",
                  start: Any = None, end: Any = None, event_types: Sequence[str] | None = None,
                  start_seq: int | None = None, end_seq: int | None = None) -> pd.DataFrame:
    """Events per role × period × hendelsetype, from the stored events (a DuckDB query over Parquet).

    ``client``: a ``FregClient`` (the stored events of its data folder).
    ``freq``: ``"day"``, ``"week"`` (ISO, from Monday) or ``"month"`` (also ``dag``/``uke``/``måned``);
    days are Oslo days. Columns: ``role``, ``period`` (first day of the period), ``hendelsetype``,
    ``events``. Counts are of register events for the whole feed, not of persons in a small group,
    so they are not suppressed; break them down by municipality only through ``privacy.suppress``.

    >>> event_volumes(client, roles=["analyse", "skole"], freq="week")   # doctest: +SKIP
         role      period         hendelsetype  events
    0  analyse  2024-03-04  endringIBostedsadresse     812
    """
    unit = _freq(freq)
    files, roles = _resolve_source(client, roles)
    where, params = _filters(roles, start, end, event_types, start_seq, end_seq)
    if not files:
        return pd.DataFrame({"role": pd.Series([], dtype="category"), "period": pd.Series([], dtype="object"),
                             "hendelsetype": pd.Series([], dtype="category"),
                             "events": pd.Series([], dtype="int64")})
    period = "dato" if unit == "day" else f"CAST(date_trunc('{unit}', dato) AS DATE)"
    rows = f"({_enriched_sql(where)})" if _has_thin(files) else f"(SELECT * FROM events WHERE {where})"
    sql = f"""SELECT role, {period} AS period, coalesce(hendelsetype, '{UNKNOWN_TYPE}') AS hendelsetype,
                     count(*)::BIGINT AS events
              FROM {rows} GROUP BY ALL ORDER BY role, period, hendelsetype"""
    df = _query(files, sql, params)
    df["role"] = df["role"].astype("category")
    df["hendelsetype"] = df["hendelsetype"].astype("category")
    df["period"] = pd.to_datetime(df["period"])
    return df


def _has_thin(files: Sequence[Path]) -> bool:
    """Whether any file holds events without a date or a type (cheap: Parquet statistics)."""
    import pyarrow.parquet as pq

    for f in files:
        md = pq.ParquetFile(f).metadata
        names = md.schema.names
        for col in ("dato", "hendelsetype"):
            if col not in names:
                return True
            i = names.index(col)
            for rg in range(md.num_row_groups):
                stats = md.row_group(rg).column(i).statistics
                if stats is None or stats.null_count is None or stats.null_count > 0:
                    return True
    return False


def compare_roles(client: StoredEvents, *, roles: str | Sequence[str] | None = None, start: Any = None, end: Any = None,
                  start_seq: int | None = None, end_seq: int | None = None) -> pd.DataFrame:
    """One row per role: how many events, how many types, and how *thin* they are.

    Columns: ``events``, ``event_types`` (distinct types; for a thin role, known through the same
    sequence numbers in a stored role med hjemmel), ``first_seq``, ``last_seq``, ``seq_coverage``
    (share of the sequence numbers in that range that the role sees — below 1 where the feed skips
    events, as "uten hjemmel" feeds skip confidential types), and the share of events carrying each
    field in the role's own feed: ``with_identifier``, ``with_type``, ``with_timestamp``,
    ``with_hendelsesdokument``, ``with_persondokument``. ``thin`` is True for a role whose events
    carry no document ids (identifiers only).

    >>> compare_roles(client, roles=["analyse", "skole"])   # doctest: +SKIP
    """
    cols = ["events", "event_types", "first_seq", "last_seq", "seq_coverage", "with_identifier", "with_type",
            "with_timestamp", "with_hendelsesdokument", "with_persondokument", "thin"]
    files, roles = _resolve_source(client, roles)
    if not files:
        return pd.DataFrame(columns=cols)
    where, params = _filters(roles, start, end, None, start_seq, end_seq)
    df = _query(files, f"""
        SELECT role, count(*)::BIGINT AS events, count(DISTINCT hendelsetype)::BIGINT AS event_types,
               min(sekvensnummer) AS first_seq, max(sekvensnummer) AS last_seq,
               count(*) / (max(sekvensnummer) - min(sekvensnummer) + 1)::DOUBLE AS seq_coverage,
               avg((folkeregisteridentifikator IS NOT NULL)::INT) AS with_identifier,
               avg(own_type::INT) AS with_type,
               avg((ajourholdstidspunkt IS NOT NULL)::INT) AS with_timestamp,
               avg((hendelsesdokument IS NOT NULL)::INT) AS with_hendelsesdokument,
               avg((persondokument IS NOT NULL)::INT) AS with_persondokument
        FROM ({_enriched_sql(where)}) GROUP BY role ORDER BY role
    """, params)
    df["thin"] = (df["with_hendelsesdokument"] == 0) & (df["with_persondokument"] == 0)
    return df.set_index("role")[cols]


def type_matrix(client: StoredEvents, *, roles: str | Sequence[str] | None = None, start: Any = None, end: Any = None,
                start_seq: int | None = None, end_seq: int | None = None) -> pd.DataFrame:
    """Events per hendelsetype (rows) and role (columns); 0 where a role does not see a type.

    Compare roles over the same sequence range (``start_seq``/``end_seq``) or the same days.

    >>> type_matrix(client, roles=["analyse", "skole"], start="2024-03-04")   # doctest: +SKIP
    """
    vol = event_volumes(client, roles=roles, freq="day", start=start, end=end,
                        start_seq=start_seq, end_seq=end_seq)
    if not len(vol):
        return pd.DataFrame()
    m = vol.pivot_table(index="hendelsetype", columns="role", values="events", aggfunc="sum",
                        fill_value=0, observed=True)
    m = m.astype("int64")
    m.columns = m.columns.astype(str)
    m.columns.name = "role"
    m.index = m.index.astype(str)
    return m.loc[m.sum(axis=1).sort_values(ascending=False).index]


def top_event_types(client: StoredEvents, *, n: int = 10, roles: str | Sequence[str] | None = None, start: Any = None,
                    end: Any = None) -> pd.DataFrame:
    """The ``n`` most frequent event types per role, with their share of the role's events.

    >>> top_event_types(client, n=5)   # doctest: +SKIP
    """
    if not isinstance(n, int) or n < 1:
        raise InputError(msg("events.top_n", value=n))
    vol = event_volumes(client, roles=roles, freq="month", start=start, end=end)
    if not len(vol):
        return pd.DataFrame(columns=["role", "rank", "hendelsetype", "events", "share"])
    t = vol.groupby(["role", "hendelsetype"], observed=True)["events"].sum().reset_index()
    t["share"] = t["events"] / t.groupby("role", observed=True)["events"].transform("sum")
    t = t.sort_values(["role", "events", "hendelsetype"], ascending=[True, False, True])
    t["rank"] = t.groupby("role", observed=True).cumcount() + 1
    t = t[t["rank"] <= n]
    return t[["role", "rank", "hendelsetype", "events", "share"]].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# drill-down: what kind of change are they?

@keywords_after_client("role")
def event_changes(client: FregClient, *, role: str, start: Any = None, end: Any = None,
                  event_types: Sequence[str] | None = None, sample: int = 1000, seed: int = 0,
                  suppress: bool = True, threshold: int | None = None) -> pd.DataFrame:
    """What kind of change the events of ``role`` are: fetches the event documents of a random
    sample of the stored events (``POST v1/hendelser/bulkoppslag``, med hjemmel only) and counts,
    per hendelsetype (rows), the documents by ``entitetsendring`` (columns: registrereNy,
    korrigere, annullere, korrigereHistorisk, … — a document with several changes counts once for
    each kind it has). Small cells are hidden (``:``, with secondary suppression) unless
    ``suppress=False``. The column ``sample`` is the number of sampled documents of the type.
    Documents Freg leaves out of its answer are not counted: a ``MissingDocuments`` warning says how
    many, and their ids are in ``result.attrs["mangler"]``.

    Read the events first (``read_events``). The same ``seed`` picks the same sample.

    >>> event_changes(client, role="analyse", sample=500)   # doctest: +SKIP
    """
    from freg_nb import privacy

    if not isinstance(sample, int) or not 1 <= sample <= 10_000:
        raise InputError(msg("events.sample", value=sample))
    name = role_name(client, role)
    files = event_files(client, [name])
    if not files:
        raise InputError(msg("events.none_stored", roles=name, example=repr(name)))
    where, params = _filters([name], start, end, event_types)
    ids = _query(files, f"""
        SELECT hendelsesdokument FROM events WHERE {where} AND hendelsesdokument IS NOT NULL
        ORDER BY hash(sekvensnummer + $seed), sekvensnummer LIMIT $n
    """, {**params, "seed": int(seed), "n": int(sample)})["hendelsesdokument"].tolist()
    if not ids:
        raise InputError(msg("events.no_documents", role=name))
    store = client.data_dir
    run = store.raw_dir(f"hendelser-{name}-{int(time.time() * 1000)}")
    chunks = [ids[i:i + 1000] for i in range(0, len(ids), 1000)]

    def fetch(args):
        i, chunk = args
        # parsed: one entry per asked id from either answer shape (a lone document, a list, the wrapper)
        entries = client.bulk_events(role, chunk)["oppslag"]
        docs = [e[bulkshapes.EVENT] for e in entries if bulkshapes.EVENT in e]
        missing = [str(e["dokumentidentifikator"]) for e in entries if bulkshapes.EVENT not in e]
        return store.write_bytes(run.relative_to(store.path) / f"bulk-{i:05d}.json", orjson.dumps(docs)), missing

    fetched = client.map(fetch, list(enumerate(chunks)), desc="hendelsesdokumenter", progress=False)
    paths = [p for p, _ in fetched]
    missing = [m for _, ms in fetched for m in ms]
    privacy.audit(store, "hendelser-bulkoppslag", role=name, n_persons=len(ids),
                  purpose="hendelser: hva slags endring (utvalg)")
    if missing:
        warnings.warn(MissingDocuments(len(missing), len(ids)), stacklevel=2)
    con = duck.connect(temp_dir=store.subdir("tmp/duckdb"))
    files = {"files": [Path(p).as_posix() for p in paths]}
    try:
        long = con.execute("""
            WITH docs AS (
                SELECT j.dokumentidentifikator AS doc,
                       coalesce(j.hendelse.hendelsestype, j.hendelse.hendelsetype) AS hendelsetype,
                       j.hendelse.egenskapshendelse AS items
                FROM read_json($files, format='array',
                     columns={'dokumentidentifikator': 'VARCHAR',
                               'hendelse': 'STRUCT(hendelsestype VARCHAR, hendelsetype VARCHAR, egenskapshendelse STRUCT(entitet VARCHAR, entitetsendring VARCHAR)[])'}) j
            ),
            kinds AS (
                SELECT DISTINCT doc, hendelsetype, coalesce(e.entitetsendring, '(ingen)') AS entitetsendring
                FROM (SELECT doc, hendelsetype, unnest(items) AS e FROM docs WHERE len(items) > 0)
                UNION ALL
                SELECT doc, hendelsetype, '(ingen)' FROM docs WHERE items IS NULL OR len(items) = 0
            )
            SELECT hendelsetype, entitetsendring, count(*)::BIGINT AS n FROM kinds GROUP BY ALL
        """, files).df()
        per_type = con.execute("""
            SELECT coalesce(j.hendelse.hendelsestype, j.hendelse.hendelsetype) AS hendelsetype,
                   count(*)::BIGINT AS sample
            FROM read_json($files, format='array',
                 columns={'dokumentidentifikator': 'VARCHAR', 'hendelse': 'STRUCT(hendelsestype VARCHAR, hendelsetype VARCHAR)'}) j
            GROUP BY ALL
        """, files).df()
    finally:
        con.close()
        for p in paths:
            Path(p).unlink(missing_ok=True)
        try:
            run.rmdir()
        except OSError:
            pass
    order = [k for k in ("registrereNy", "korrigere", "korrigereHistorisk", "annullere")
             if k in set(long["entitetsendring"])]
    order += sorted(set(long["entitetsendring"]) - set(order))
    wide = long.pivot_table(index="hendelsetype", columns="entitetsendring", values="n", aggfunc="sum",
                            fill_value=0).reindex(columns=order, fill_value=0).astype("int64")
    wide = per_type.set_index("hendelsetype")[["sample"]].astype("int64").join(wide, how="left")
    wide = wide.fillna(0).astype("int64")[[*order, "sample"]]
    wide = wide.sort_values("sample", ascending=False)
    wide.columns.name = None
    if not suppress:
        wide = privacy.unsuppressed_table(wide, purpose="hendelser: hva slags endring (uskjult, ikke for publisering)",
                                          store=store, role=name)
    elif len(wide):
        wide = privacy.suppress(wide, list(wide.columns), threshold=threshold, within_row={"sample": order}).table
    wide.attrs["mangler"] = missing
    return wide
