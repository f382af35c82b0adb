"""The mirror's record in the private data folder: state, Parquet generations, compaction.

Layout of ``speil/<name>/``::

    state.json                 name, role, kommuner, sekvensnummer (valid at), generation, …
    versjoner-<gen>.parquet    every version of every element of every person (base generation)
    perioder-<gen>.parquet     residence spells derived from it (what the questions read)
    ider-<gen>.parquet         every identifier in the base generation (who is in the mirror)
    delta/<seq>.parquet        version rows of persons changed by one feed page (newest wins)
    overlegg-<seq>/            the deltas up to <seq> folded: perioder.parquet (the spells of the
                               persons they name) and borte.parquet (whose base spells they replace)
    svar/…                     raw answers of a page or batch being applied (removed when applied)
    tmp/                       DuckDB's spill folder (inside the private folder, never the cwd)

A feed page is applied by writing ``delta/<last seq of the page>.parquet`` and only then moving
``sekvensnummer`` in ``state.json`` (atomic writes). A kill between the two makes the resume fetch
and write the same page again: the same file with the same rows, so nothing changes twice.
Folding: for every identifier the rows of the newest file that names it win (a person whose
identifier changed is not kept twice). A delta holds a person's whole history, so the persons the
deltas name never keep a base row: an update folds only its deltas into an *overlay* (work in
proportion to the day's changes, not to the mirror), and the questions read the base spells less
the overlay's persons plus the overlay's spells. Compaction folds the deltas into a new base
generation, only when they have grown past ``OVERLAY_SHARE`` of the base (or for ``fingerprint``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .. import duck
from .._connect import resolve_client
from ..errors import InputError
from . import documents

ROOT = "speil"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
STATE_VERSION = 1
# an update compacts the mirror when its deltas hold more version rows than this share of the base's
OVERLAY_SHARE = 0.05
# the rows the newest file naming each identifier holds (reads the temp table `alle` with its `gen`)
_FOLD_SQL = """
WITH ids AS (SELECT verdi AS id, max(gen) AS gmax FROM alle WHERE element = 'identifikasjonsnummer' GROUP BY verdi),
     own AS (SELECT pid, max(gen) AS gmax FROM alle GROUP BY pid)
SELECT a.* EXCLUDE (filename, gen) FROM alle a JOIN own USING (pid)
LEFT JOIN ids ON ids.id = a.pid
WHERE a.gen = own.gmax AND (ids.gmax IS NULL OR ids.gmax <= a.gen)
"""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name or name.endswith((".", "-")):
        raise InputError(f"Navnet på speilet {name!r} kan ikke brukes: bruk 1–80 bokstaver (a–z), sifre, '.', "
                         "'_' eller '-', og begynn med en bokstav eller et siffer — f.eks. 'oslo-analyse'.")
    return name


def store_of(client: Any):
    store = getattr(client, "data_dir", None)
    if store is None:
        from ..store import DataDir

        store = DataDir(client.settings.data_dir)
    return store


def connect(folder: Path, *, threads: int | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """``duck.connect`` spilling to ``folder/tmp`` (inside the private data folder)."""
    tmp = folder / "tmp"
    tmp.mkdir(mode=0o700, exist_ok=True)
    return duck.connect(threads=threads, memory_limit=memory_limit, temp_dir=tmp)


@dataclass
class Mirror:
    """A local mirror of the residents of one or more municipalities (see the package docstring).

    Get one with ``build_mirror`` or ``open_mirror``; ask it with ``population``, ``flows`` and
    ``cohort`` (functions, or the methods of the same name)."""

    client: Any
    name: str
    state: dict = field(repr=False)

    # ------------------------------------------------------------------ paths and state
    @property
    def store(self):
        return store_of(self.client)

    @property
    def folder(self) -> Path:
        return self.store.subdir(f"{ROOT}/{self.name}")

    @property
    def role(self) -> str:
        return self.state["rolle"]

    @property
    def kommuner(self) -> list[str]:
        return list(self.state["kommuner"])

    @property
    def sekvensnummer(self) -> int:
        """The feed sequence number the mirror is valid at."""
        return int(self.state["sekvensnummer"])

    @property
    def history_from(self) -> dt.date | None:
        """The first day the mirror knows everyone for (None: as far back as the documents go)."""
        d = self.state.get("historikk_fra")
        return dt.date.fromisoformat(d) if d else None

    def save(self) -> None:
        self.state["oppdatert"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.store.write_json(f"{ROOT}/{self.name}/state.json", self.state)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return connect(self.folder)

    def path(self, kind: str, gen: int | None = None) -> Path:
        gen = self.state["generasjon"] if gen is None else gen
        return self.folder / f"{kind}-{int(gen):012d}.parquet"

    def delta_files(self) -> list[Path]:
        d = self.folder / "delta"
        if not d.is_dir():
            return []
        base = int(self.state.get("generasjon") or -1)
        return sorted(p for p in d.glob("*.parquet") if int(p.stem) > base)

    def __repr__(self) -> str:
        return (f"Mirror(name={self.name!r}, rolle={self.role!r}, kommuner={self.kommuner}, "
                f"sekvensnummer={self.sekvensnummer})")

    # ------------------------------------------------------------------ generations
    def write_parquet(self, con: duckdb.DuckDBPyConnection, sql: str, target: Path, params: Any = None) -> Path:
        """``COPY (sql) TO target`` through a temp file in the same folder, then an atomic rename."""
        tmp = self.store.temp_path(target)
        quoted = "'" + str(tmp).replace("'", "''") + "'"  # COPY takes no parameter for its target
        con.execute(f"COPY ({sql}) TO {quoted} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144)", params)
        return self.store.commit_temp(tmp, target)

    @staticmethod
    def _load(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
        """Temp table ``alle``: the version rows of ``files`` with the generation each came from."""
        con.execute("CREATE TEMP TABLE alle AS SELECT *, CAST(regexp_extract(filename, '(\\d+)\\.parquet$', 1) "
                    "AS BIGINT) AS gen FROM read_parquet($files, filename=true)", {"files": [str(p) for p in files]})

    def compact(self) -> bool:
        """Fold pending deltas into a new generation (versions, spells, identifiers). True if
        anything changed.

        Only the persons named in the deltas get their spells derived anew; everyone else's spells
        are copied from the previous generation."""
        deltas = self.delta_files()
        old_spells = self.path("perioder")
        if not deltas and old_spells.is_file():
            return False
        base_gen = self.state["generasjon"]
        gen = max([self.sekvensnummer, *(int(p.stem) for p in deltas)])
        con = self.connect()
        try:
            self._load(con, [self.path("versjoner"), *deltas])
            con.execute(f"CREATE TEMP TABLE versions AS {_FOLD_SQL}")
            self.write_parquet(con, "SELECT * FROM versions ORDER BY pid, element, pos", self.path("versjoner", gen))
            self._write_ids(con, "versions", gen)
            spells = f"SELECT * FROM ({documents.SPELLS_SQL})"
            params = None
            if old_spells.is_file():  # derive only the changed persons' spells (SPELLS_SQL reads `versions`)
                con.execute("CREATE TEMP TABLE gone AS SELECT DISTINCT pid FROM alle WHERE gen > $b UNION "
                            "(SELECT DISTINCT pid FROM alle EXCEPT SELECT DISTINCT pid FROM versions)", {"b": base_gen})
                con.execute("ALTER TABLE versions RENAME TO versions_all")
                con.execute("CREATE TEMP TABLE versions AS SELECT * FROM versions_all "
                            "WHERE pid IN (SELECT pid FROM gone)")
                spells = (f"SELECT * FROM read_parquet($old) WHERE pid NOT IN (SELECT pid FROM gone) "
                          f"UNION ALL {spells}")
                params = {"old": str(old_spells)}
            self.write_parquet(con, f"SELECT * FROM ({spells}) ORDER BY fra, pid", self.path("perioder", gen), params)
        finally:
            con.close()
        old = self.state.get("generasjon")
        self.state["generasjon"] = gen
        overlay = self.state.pop("overlegg", None)
        self.save()
        for p in (self.folder / "delta").glob("*.parquet"):  # folded in (or older than this generation)
            if int(p.stem) <= gen:
                p.unlink(missing_ok=True)
        if old is not None and old != gen:
            for kind in ("versjoner", "perioder", "ider"):
                self.path(kind, old).unlink(missing_ok=True)
        if overlay is not None:
            shutil.rmtree(self.folder / f"overlegg-{int(overlay):012d}", ignore_errors=True)
        return True

    def _write_ids(self, con: duckdb.DuckDBPyConnection, table: str, gen: int) -> Path:
        return self.write_parquet(con, f"SELECT DISTINCT verdi FROM {table} WHERE element = 'identifikasjonsnummer' "
                                       "ORDER BY verdi", self.path("ider", gen))

    def refresh(self) -> None:
        """Make the questions see every applied page: fold the pending deltas into the overlay
        (or compact, when they have grown past ``OVERLAY_SHARE`` of the base)."""
        deltas = self.delta_files()
        if not deltas or not self.path("perioder").is_file():
            self.compact()
            return
        top = int(deltas[-1].stem)
        if self.state.get("overlegg") == top:
            return
        import pyarrow.parquet as pq

        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in deltas)
        if rows > OVERLAY_SHARE * pq.ParquetFile(self.path("versjoner")).metadata.num_rows:
            self.compact()
            return
        folder = self.folder / f"overlegg-{top:012d}"
        self.store.subdir(folder.relative_to(self.store.path))
        con = self.connect()
        try:
            self._load(con, deltas)
            con.execute(f"CREATE TEMP TABLE versions AS {_FOLD_SQL}")
            self.write_parquet(con, "SELECT DISTINCT pid FROM alle UNION SELECT DISTINCT verdi FROM alle "
                                    "WHERE element = 'identifikasjonsnummer'", folder / "borte.parquet")
            self.write_parquet(con, f"SELECT * FROM ({documents.SPELLS_SQL}) ORDER BY fra, pid",
                               folder / "perioder.parquet")
        finally:
            con.close()
        old = self.state.get("overlegg")
        self.state["overlegg"] = top
        self.save()
        if old is not None:
            shutil.rmtree(self.folder / f"overlegg-{int(old):012d}", ignore_errors=True)

    def spells_sql(self) -> tuple[str, dict]:
        """A relation (SQL) of the spells as of every applied page, and its parameters: the base
        spells less the overlay's persons, plus the overlay's spells."""
        self.refresh()
        params = {"spells_base": str(self.path("perioder"))}
        top = self.state.get("overlegg")
        if top is None:
            return "read_parquet($spells_base)", params
        folder = self.folder / f"overlegg-{int(top):012d}"
        params.update(spells_gone=str(folder / "borte.parquet"), spells_new=str(folder / "perioder.parquet"))
        return ("(SELECT s.* FROM read_parquet($spells_base) s ANTI JOIN read_parquet($spells_gone) g ON s.pid = g.pid "
                "UNION ALL SELECT * FROM read_parquet($spells_new)) AS spells"), params

    def versions_file(self) -> Path:
        self.compact()
        return self.path("versjoner")

    def members(self, among=None) -> set[str]:
        """Identifiers of everyone in the mirror (base generation and pending deltas); with
        ``among``: those of them that are in it (reads no more than it must)."""
        ids = self.path("ider")
        if not ids.is_file():  # a base written before identifiers were kept beside it
            con = self.connect()
            try:
                con.execute("CREATE TEMP VIEW base AS SELECT * FROM read_parquet($f)", {"f": str(self.path("versjoner"))})
                self._write_ids(con, "base", self.state["generasjon"])
            finally:
                con.close()
        deltas = [str(p) for p in self.delta_files()]
        con = self.connect()
        try:
            params: dict = {"ids": str(ids)}
            where = ""
            if among is not None:
                con.register("among_in", pa.table({"id": sorted(set(among))}, schema=pa.schema([("id", pa.string())])))
                where = " AND verdi IN (SELECT id FROM among_in)"
            sql = f"SELECT verdi FROM read_parquet($ids) WHERE true{where}"
            if deltas:
                sql += (f" UNION SELECT verdi FROM read_parquet($deltas) WHERE element = 'identifikasjonsnummer'"
                        f"{where}")
                params["deltas"] = deltas
            rows = con.execute(sql, params).fetchall()
        finally:
            con.close()
        return {r[0] for r in rows}

    def fingerprint(self) -> str:
        """SHA-256 of every version row (sorted), without where each row came from (document id,
        sequence number): two mirrors of the same persons with the same history have the same."""
        con = self.connect()
        try:
            rows = con.execute("SELECT * EXCLUDE (dokument, sekvensnummer) FROM read_parquet($f) "
                               "ORDER BY ALL", {"f": str(self.versions_file())}).fetchall()
        finally:
            con.close()
        h = hashlib.sha256()
        for r in rows:
            h.update(repr(r).encode())
        return h.hexdigest()

    def copy(self, name: str) -> "Mirror":
        """A copy of this mirror under another name (e.g. to keep it as it is on a given day)."""
        name = check_name(name)
        target = self.store.resolve(f"{ROOT}/{name}")
        if target.exists():
            raise InputError(f"Det finnes allerede et speil som heter {name!r}; velg et annet navn.")
        shutil.copytree(self.folder, target, ignore=shutil.ignore_patterns("tmp", "svar"))
        state = dict(self.state, navn=name)
        other = Mirror(self.client, name, state)
        other.save()
        return other

    def discard(self) -> None:
        """Remove the mirror and everything it stored."""
        shutil.rmtree(self.folder, ignore_errors=True)


def state_path(name: str) -> str:
    return f"{ROOT}/{check_name(name)}/state.json"


def open_mirror(name: str, *, client: Any = None) -> Mirror:
    """The mirror called ``name`` in the private data folder (built earlier with ``build_mirror``).

    >>> speil = freg_nb.mirror.open_mirror("oslo")            # doctest: +SKIP
    """
    client = resolve_client(client)
    state = store_of(client).read_json(state_path(name))
    if not state:
        raise InputError(f"Fant ikke speilet {name!r} i den private datamappen. Bygg det først med "
                         "freg_nb.mirror.build_mirror(...), eller se list_mirrors() for dem som finnes.")
    if state.get("status") != "klar":
        raise InputError(f"Speilet {name!r} er ikke ferdig bygget (status {state.get('status')!r}). Kjør "
                         f"build_mirror(..., name={name!r}) igjen for å fortsette der det stoppet.")
    return Mirror(client, name, state)


def list_mirrors(*, client: Any = None) -> list[dict]:
    """The mirrors recorded in the private data folder: name, rolle, kommuner, sekvensnummer, status."""
    client = resolve_client(client)
    store = store_of(client)
    root = store.resolve(ROOT)
    out = []
    if root.is_dir():
        for sub in sorted(root.iterdir()):
            st = store.read_json(f"{ROOT}/{sub.name}/state.json") if (sub / "state.json").is_file() else None
            if isinstance(st, dict):
                out.append({k: st.get(k) for k in ("navn", "rolle", "kommuner", "sekvensnummer", "status",
                                                   "kilde", "historikk_fra", "oppdatert")})
    return out
