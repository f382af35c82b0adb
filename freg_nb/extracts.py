"""Uttrekk: tailored and complete extracts → batches → persons → Parquet and a DataFrame.

    >>> import freg_nb
    >>> fc = freg_nb.connect()                                    # doctest: +SKIP
    >>> df = freg_nb.read_tailored_extract(                       # doctest: +SKIP
    ...     fc, role="skole", bostedskommunenummer="0301", foedselsaarFraOgMed=2020,
    ...     foedselsaarTilOgMed=2020, parts=["navn", "foedsel", "kjoenn", "bostedsadresse"])
    >>> freg_nb.summarize_extract(df, by="kjoenn")                 # doctest: +SKIP

How an extract runs (and why it can be interrupted at any point):

1. The criteria are checked locally (``criteria.tailored_criteria``); every problem is listed in one
   ``InputError`` before any request is sent.
2. The extract gets a folder ``extracts/<name>/`` in the private data folder with a
   ``state.json`` (written atomically). The job is ordered once and its ``jobbId`` recorded at
   once; a rerun with the same name and criteria resumes that job instead of ordering anew.
   Before ordering, a local guard counts the unfinished jobs recorded in the data folder
   (Freg allows at most 10 running extract jobs per organisation).
3. Batches are polled from 0 (404 = not ready: back off, up to ``wait_timeout`` seconds in all)
   until the empty ``{}`` answer. Each batch's identifiers are stored, then the persons of that
   batch are fetched with the lookup pipeline (``lookups``: bulk calls of ≤1000, concurrent), the
   raw answers streamed to ``extracts/<name>/persons/<batch>/``; only then is the batch marked
   done. A batch interrupted half-way is fetched again from scratch on resume, so no person is
   lost or counted twice.
4. At the end the raw answers are flattened by ``tables`` (DuckDB), counts are reconciled
   (identifiers in the batches = rows + per-person errors, no duplicates) and the table is
   written as ``extracts/<name>/persons.parquet``.

The record in the data folder lives in ``extract_records``; summaries in ``summaries``; export
in ``export``.
"""
from __future__ import annotations

import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from . import duck
from .progress import Progress
from ._connect import resolve_client
from .audit import require_purpose
from .bulk import fetch_bulk
from .criteria import merge_renamed, tailored_criteria
from .errors import (
    AccessDenied,
    ApiError,
    ExtractError,
    ExtractOrderUncertain,
    InputError,
    RetriesExhausted,
    Throttled,
)
from .extract_records import (
    DONE,
    JOB_GUARD_HOURS,
    MAX_RUNNING_JOBS,
    STATE_VERSION,
    age_hours,
    all_states,
    check_name,
    default_name,
    describe_spec,
    jobs_held,
    limit_message,
    now_iso,
    state_rel,
    store_of,
)
from .messages import msg
from .parts import check_parts

if TYPE_CHECKING:
    import pandas as pd

    from .client import FregClient

__all__ = ["ExtractProgress", "read_complete_extract", "read_tailored_extract"]

# --------------------------------------------------------------------------------------------
# Running an extract


@dataclass(frozen=True)
class ExtractProgress:
    """What ``on_batch`` receives after each completed batch (ids stored, persons fetched)."""

    name: str
    job_id: str
    batch: int          # the batch just completed (from 0)
    batches_done: int   # batches completed so far (this run and earlier ones)
    ids_total: int      # identifiers in the completed batches (their persons are stored)


class _Waiter:
    """Backoff while a batch is not ready (404), within one total time limit for the whole run."""

    def __init__(self, first: float, maximum: float, timeout: float):
        self.first, self.maximum, self.timeout = first, maximum, timeout
        self.waited = 0.0
        self.not_ready = 0
        self._next = first

    def reset(self) -> None:
        self._next = self.first

    def wait(self) -> float:
        left = self.timeout - self.waited
        if left <= 0:
            raise TimeoutError
        d = min(self._next, left)
        time.sleep(d)
        self.waited += d
        self.not_ready += 1
        self._next = min(self._next * 1.6, self.maximum)
        return d


class _Run:
    """One run of one extract: order or resume, read batches, fetch persons, finish."""

    def __init__(self, client: Any, spec: dict, name: str | None, *, parts: list[str] | None,
                 wait_timeout: float, poll_interval: float, progress: bool,
                 on_batch: Callable[[ExtractProgress], None] | None, purpose: str | None = None):
        self.client = client
        self.spec = spec
        self.kind = spec["kind"]
        self.role = spec["role"]
        self.name = check_name(name) if name is not None else default_name(spec)
        self.parts = parts
        self.store = store_of(client)
        self.rel = state_rel(self.name)
        self.folder = self.store.resolve(f"extracts/{self.name}")
        self.waiter = _Waiter(poll_interval, max(poll_interval, 15.0), wait_timeout)
        self.progress = progress
        self.on_batch = on_batch
        self.purpose = purpose
        self.state: dict = {}

    # -- state ----------------------------------------------------------------------------
    def _save(self) -> None:
        self.state["updated_at"] = now_iso()
        self.store.write_json(self.rel, self.state)

    def _load_or_create(self) -> dict:
        st = self.store.read_json(self.rel)
        if st is not None:
            if st.get("spec") != self.spec:
                raise InputError(msg("extract.exists", name=self.name, spec=describe_spec(st.get("spec") or {})))
            return st
        st = {"version": STATE_VERSION, "name": self.name, "kind": self.kind, "role": self.role,
              "spec": self.spec, "status": "new", "created_at": now_iso(), "job_id": None,
              "ordered_at": None, "uncertain_orders": [], "orders": 0, "batches": [],
              "end_reached": False, "ids_total": 0, "rows": None, "errors": None, "parquet": None}
        return st

    # -- ordering -------------------------------------------------------------------------
    def _guard(self) -> None:
        held = []
        for st in all_states(self.store):
            if st.get("name") == self.name:
                n = sum(1 for s in st.get("uncertain_orders") or [] if age_hours(s) < JOB_GUARD_HOURS)
            else:
                n = jobs_held(st)
            if n:
                held.append((st.get("name"), n))
        total = sum(n for _, n in held)
        if total >= MAX_RUNNING_JOBS:
            names = ", ".join(f"{n!r}" + (f" (×{k})" if k > 1 else "") for n, k in held)
            raise ExtractError(
                f"{total} extract jobs ordered from this data folder are not finished: {names}. Freg allows at "
                f"most {MAX_RUNNING_JOBS} running extract jobs per organisation, so no new job was ordered "
                "(nothing was sent). Finish one by running it again with the same name (reading it to the end "
                "releases the job), or remove abandoned ones with freg_nb.discard_extract(client, name); "
                "freg_nb.list_extracts() shows them all.")

    def _order(self) -> None:
        self._guard()
        c = self.client
        self._bar.status("bestiller uttrekk …")
        try:
            if self.kind == "tailored":
                job = c.order_tailored_extract(self.role, self.spec["criteria"])
            else:
                job = c.order_complete_extract(self.role, self.spec.get("feedsekvensnr"))
        except ExtractOrderUncertain as e:
            self.state.setdefault("uncertain_orders", []).append(now_iso())
            self.state["status"] = "order-uncertain"
            self._save()
            raise ExtractOrderUncertain(msg("extract.uncertain", name=self.name, error=e), last_cause=e) from None
        except Throttled as e:
            raise ExtractError(limit_message(self.name), status=429, error_id=e.error_id) from None
        except RetriesExhausted as e:
            if isinstance(e.last_cause, Throttled):
                raise ExtractError(limit_message(self.name), status=429,
                                   error_id=getattr(e.last_cause, "error_id", None)) from None
            raise
        except AccessDenied as e:
            if self.kind == "complete":
                raise AccessDenied(
                    f"Role {self.role!r} may not order a complete extract. Complete extracts (uttrekk/komplett) "
                    "and archived lookups are only for roles «med hjemmel» (with a legal basis) that include the "
                    "extract service. Choose such a role, or use a tailored extract (read_tailored_extract). "
                    f"[{e}]", status=e.status, error_id=e.error_id) from None
            raise
        self.state.update(job_id=job, ordered_at=now_iso(), status="ordered", end_reached=False,
                          orders=int(self.state.get("orders") or 0) + 1)
        self._save()

    # -- batches --------------------------------------------------------------------------
    def _batch_rel(self, nr: int) -> str:
        return f"extracts/{self.name}/batches/{nr:06d}.json"

    def _persons_dir(self, nr: int) -> Path:
        return self.folder / "persons" / f"{nr:06d}"

    def _poll(self, nr: int) -> list[str] | None:
        """The ids of batch ``nr`` ([] at the end); None when the job has expired (410)."""
        self.waiter.reset()
        while True:
            try:
                got = self.client.extract_batch(self.role, self.state["job_id"], nr)
            except ApiError as e:
                if e.status == 410:
                    return None
                raise
            if got is not None:
                return got
            self._bar.status(f"batch {nr}: venter på Freg ({self.waiter.waited:.0f} s)")
            try:
                self.waiter.wait()
            except TimeoutError:
                raise ExtractError(msg("extract.not_ready", name=self.name, nr=nr,
                                       seconds=round(self.waiter.waited))) from None

    def _restart_expired(self) -> None:
        if self.state.get("restarted_this_run"):
            raise ExtractError(msg("extract.expired_again", name=self.name))
        done = len(self.state["batches"])
        warnings.warn(msg("extract.expired", name=self.name, done=done), stacklevel=4)
        for sub in ("batches", "persons"):
            shutil.rmtree(self.folder / sub, ignore_errors=True)
        self.state.update(job_id=None, batches=[], ids_total=0, end_reached=False, status="new",
                          restarted_this_run=True)
        self._save()
        self._order()

    def _fetch(self, nr: int, ids: list[str]) -> int:
        """Fetch the persons of one batch into ``persons/<nr>/`` with the lookup pipeline.

        ``bulk.fetch_bulk`` cuts the ids into bulk calls of ≤1000 (sorted, so the chunks of a
        batch are always the same) and runs them concurrently; chunks already stored by an
        interrupted run are reused, so a batch is never fetched twice in part or whole.
        Returns the number of bulk calls made.
        """
        from .privacy import audit

        target = self.store.subdir(Path("extracts") / self.name / "persons" / f"{nr:06d}")
        stored = {p.name for p in target.glob("*.json") if not p.name.startswith(".")}
        if not stored:
            audit(self.store, "uttrekk" if self.kind == "tailored" else "uttrekk-komplett", role=self.role,
                  n_persons=len(ids), purpose=self.purpose, ids=ids if self.kind == "tailored" else ())
        got = fetch_bulk(self.client, ids, role=self.role, parts=self.parts, folder=target, store=self.store,
                         progress=False, reuse=stored, archived=self.kind == "complete")
        return int(got["calls"])

    # -- the run --------------------------------------------------------------------------
    def run(self):
        self.state = self._load_or_create()
        if self.state.get("status") == DONE and self.state.get("parquet") and \
                self.store.resolve(self.state["parquet"]).is_file():
            return self.state, False
        self.state.pop("restarted_this_run", None)
        started = time.monotonic()
        before = self.client.stats.as_dict()
        self._bar = Progress(self.progress, f"Uttrekk {self.name}", None, unit="personer")
        self._bar.add(sum(b["ids"] for b in self.state["batches"]))
        try:
            if not self.state.get("job_id"):
                self._order()
            nr = len(self.state["batches"])
            while not self.state["end_reached"]:
                stored = self.store.read_json(self._batch_rel(nr))
                ids = stored if isinstance(stored, list) else self._poll(nr)
                if ids is None:
                    self._restart_expired()
                    nr = 0
                    continue
                if not ids:
                    self.state.update(end_reached=True, status="fetched")
                    self._save()
                    break
                if stored is None:
                    self.store.write_json(self._batch_rel(nr), ids)
                self._bar.status(f"batch {nr}: henter {len(ids)} personer")
                calls = self._fetch(nr, ids)
                self.state["batches"].append({"nr": nr, "ids": len(ids), "calls": calls})
                self.state["ids_total"] = sum(b["ids"] for b in self.state["batches"])
                self.state["status"] = "fetching"
                self._save()
                self._bar.add(len(ids))
                if self.on_batch is not None:
                    self.on_batch(ExtractProgress(self.name, self.state["job_id"], nr, len(self.state["batches"]),
                                                  self.state["ids_total"]))
                nr += 1
            self._bar.status("lager tabell …")
            _finish(self)
            self._bar.status("ferdig")
        finally:
            self._bar.close()
            after = self.client.stats.as_dict()
            run_stats = {
                "seconds": round(time.monotonic() - started, 2),
                "calls": after["calls"] - before["calls"],
                "requests": after["requests"] - before["requests"],
                "retries": {k: v - before["retries"].get(k, 0) for k, v in after["retries"].items()
                            if v - before["retries"].get(k, 0)},
                "not_ready_polls": self.waiter.not_ready,
                "waited_s": round(self.waiter.waited, 2),
            }
            self.state.setdefault("runs", []).append({"at": now_iso(), **run_stats})
            self.state["last_run"] = run_stats
            if self.state.get("status") not in (DONE, "failed", "order-uncertain") and self.state.get("job_id"):
                self.state["status"] = "interrupted"
            self._save()
        return self.state, True


# --------------------------------------------------------------------------------------------
# Public entry points


def _parts_of(client: Any, role: str, parts: Sequence[str] | str | None) -> list[str] | None:
    """The parts to fetch, checked before anything is sent (the lookup pipeline's rules: known
    names; the role's allowed parts when known; a role without the whole person-basis gets what
    it has of it)."""
    checked = check_parts(client, role, parts, False)
    return sorted(checked) if checked else None


def _result(run: _Run, state: dict, *, show_ids: bool) -> "pd.DataFrame":
    import pandas as pd

    from .privacy import flag_unknown_protection, mask_ids

    df = flag_unknown_protection(pd.read_parquet(run.store.resolve(state["parquet"])), run.parts)
    if not show_ids:
        df = mask_ids(df)
    df.attrs["uttrekk"] = {
        "navn": state["name"], "type": "tilpasset" if state["kind"] == "tailored" else "komplett",
        "rolle": state["role"], "jobbId": state["job_id"], "batcher": len(state["batches"]),
        "identifikatorer": state["ids_total"], "rader": state["rows"], "feil": state["errors"],
        "parquet": str(run.store.resolve(state["parquet"])), "kjoering": state.get("last_run"),
    }
    return df


def _old_call_shape(function: str, client: Any, role: str | None, legacy: dict[str, Any]) -> tuple[Any, str]:
    """Accept the call shape of freg-nb 0.1 — ``f("rolle", client=fc, …)`` — with a DeprecationWarning.

    The current shape is ``f(client, role="rolle", …)`` (client first, role as a keyword).
    """
    if isinstance(client, str):            # the role given first, as in 0.1
        warnings.warn(f"{function}({client!r}, client=…) is deprecated: call {function}(client, role={client!r}, …)",
                      DeprecationWarning, stacklevel=3)
        if role is not None:
            raise InputError(msg("extract.role_twice", function=function))
        client, role = legacy.pop("client", None), client
    elif "client" in legacy:
        warnings.warn(f"{function}(client=…) is deprecated: give the client first, {function}(client, role=…)",
                      DeprecationWarning, stacklevel=3)
        if client is not None:
            raise InputError(msg("extract.client_twice", function=function))
        client = legacy.pop("client")
    if role is None:
        raise InputError(msg("extract.no_role", function=function))
    return client, role


def read_tailored_extract(
    client: "FregClient | None" = None,
    /,
    *,
    role: str | None = None,
    personstatustyper: Sequence[str] | str = ("bosatt",),
    bostedskommunenummer: str | None = None,
    oppholdskommunenummer: str | None = None,
    foedselsaarFraOgMed: int | str | None = None,
    foedselsaarTilOgMed: int | str | None = None,
    doedsaarFraOgMed: int | str | None = None,
    doedsaarTilOgMed: int | str | None = None,
    kjoenn: str | None = None,
    statsborgerskap: str | None = None,
    sivilstandstype: str | None = None,
    name: str | None = None,
    parts: Sequence[str] | str | None = None,
    show_ids: bool = False,
    wait_timeout: float = 1800.0,
    poll_interval: float = 1.0,
    progress: bool = True,
    on_batch: Callable[[ExtractProgress], None] | None = None,
    purpose: str | None = None,
    **deprecated: Any,
) -> "pd.DataFrame":
    """Order a tailored extract (uttrekk/tilpasset) and return its persons as a DataFrame.

    ``client``: a ``FregClient`` (None: ``freg_nb.connect()``'s). ``role``: a configured role name
    or UUID. The criteria are Freg's (``TilpassetUttrekkJobbRequest``), under Freg's names, and
    are checked before anything is sent (see ``tailored_criteria``). The extract is recorded under
    ``name`` in the private data folder (default: derived from role, criteria and parts): calling
    again with the same name and criteria resumes an interrupted run from its last completed batch,
    or reads the finished result without any request. The persons are also written to
    ``extracts/<name>/persons.parquet``.

    ``parts`` limits what is fetched per person (default: person-basis; a role without the whole
    person-basis must name parts it has). Identifiers are masked unless ``show_ids=True``; persons
    with protected addresses (fortrolig / strengt fortrolig) have their addresses blanked and are
    flagged ``adressebeskyttet``. ``wait_timeout`` bounds the total time spent waiting for batches
    that are not ready (404). ``on_batch(ExtractProgress)`` is called after each completed batch.
    ``purpose`` is recorded in the audit log of the data folder with each batch fetched.
    ``df.attrs["uttrekk"]`` holds the job id, counts and the figures of the run.

    Deprecated (freg-nb 0.1): the role first and ``client=`` last, and the snake_case year
    criteria (``foedselsaar_fra_og_med`` …); both still work with a ``DeprecationWarning``.

    >>> import freg_nb
    >>> fem = freg_nb.read_tailored_extract(                               # doctest: +SKIP
    ...     fc, role="analyse", bostedskommunenummer="0301",
    ...     foedselsaarFraOgMed=2020, foedselsaarTilOgMed=2020, name="femaaringer-0301")
    >>> freg_nb.summarize_extract(fem, by="kjoenn")                          # doctest: +SKIP
    """
    client, role = _old_call_shape("read_tailored_extract", client, role, deprecated)
    years = merge_renamed(dict(foedselsaarFraOgMed=foedselsaarFraOgMed, foedselsaarTilOgMed=foedselsaarTilOgMed,
                               doedsaarFraOgMed=doedsaarFraOgMed, doedsaarTilOgMed=doedsaarTilOgMed),
                          deprecated, "read_tailored_extract")
    criteria = tailored_criteria(
        personstatustyper=personstatustyper, bostedskommunenummer=bostedskommunenummer,
        oppholdskommunenummer=oppholdskommunenummer, kjoenn=kjoenn, statsborgerskap=statsborgerskap,
        sivilstandstype=sivilstandstype, **years)
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    _, role_name = client.resolve_role(role)
    spec = {"kind": "tailored", "role": role_name, "criteria": criteria, "parts": _parts_of(client, role, parts)}
    _check_run_options(wait_timeout, poll_interval)
    run = _Run(client, spec, name, parts=spec["parts"], wait_timeout=wait_timeout, poll_interval=poll_interval,
               progress=progress, on_batch=on_batch, purpose=purpose)
    state, _fresh = run.run()
    return _result(run, state, show_ids=show_ids)


def read_complete_extract(
    client: "FregClient | None" = None,
    /,
    *,
    role: str | None = None,
    feedsekvensnr: int | None = None,
    name: str | None = None,
    parts: Sequence[str] | str | None = None,
    show_ids: bool = False,
    wait_timeout: float = 3600.0,
    poll_interval: float = 1.0,
    progress: bool = True,
    on_batch: Callable[[ExtractProgress], None] | None = None,
    purpose: str | None = None,
    **deprecated: Any,
) -> "pd.DataFrame":
    """Order a complete extract (uttrekk/komplett) valid at ``feedsekvensnr`` and return its persons.

    Only for roles «med hjemmel». Freg's batches hold document ids (``dokumentidentifikator``);
    the persons are fetched as those documents (bulkoppslag/arkiv), ≤1000 per call, concurrently.
    ``feedsekvensnr=None`` asks for the newest state. Resuming, naming, masking, protected
    addresses and ``on_batch`` work as in ``read_tailored_extract`` (also the deprecated 0.1 call
    shape ``read_complete_extract("analyse", client=fc)``).

    >>> import freg_nb
    >>> alle = freg_nb.read_complete_extract(fc, role="analyse", feedsekvensnr=120_000)   # doctest: +SKIP
    """
    client, role = _old_call_shape("read_complete_extract", client, role, deprecated)
    if deprecated:
        raise TypeError(f"read_complete_extract() got unexpected keyword argument(s): {', '.join(sorted(deprecated))}")
    if feedsekvensnr is not None:
        if isinstance(feedsekvensnr, bool) or not (isinstance(feedsekvensnr, int) or
                                                   (isinstance(feedsekvensnr, str) and feedsekvensnr.isdigit())):
            raise InputError(msg("extract.feedsekvensnr", value=feedsekvensnr))
        feedsekvensnr = int(feedsekvensnr)
        if feedsekvensnr < 0:
            raise InputError(msg("extract.feedsekvensnr", value=feedsekvensnr))
    client = resolve_client(client)
    require_purpose(purpose)  # before the first request: outside the sandbox a purpose is required
    _, role_name = client.resolve_role(role)
    spec = {"kind": "complete", "role": role_name, "feedsekvensnr": feedsekvensnr,
            "parts": _parts_of(client, role, parts)}
    _check_run_options(wait_timeout, poll_interval)
    run = _Run(client, spec, name, parts=spec["parts"], wait_timeout=wait_timeout, poll_interval=poll_interval,
               progress=progress, on_batch=on_batch, purpose=purpose)
    state, _fresh = run.run()
    return _result(run, state, show_ids=show_ids)


def _check_run_options(wait_timeout: float, poll_interval: float) -> None:
    problems = []
    if not isinstance(wait_timeout, (int, float)) or wait_timeout <= 0:
        problems.append(msg("extract.seconds", field="wait_timeout", value=wait_timeout))
    if not isinstance(poll_interval, (int, float)) or poll_interval <= 0:
        problems.append(msg("extract.seconds", field="poll_interval", value=poll_interval))
    if problems:
        raise InputError(" ".join(problems) + " " + msg("common.nothing_sent"))


# --------------------------------------------------------------------------------------------
# Finishing: flatten, reconcile, Parquet


def _finish(run: _Run) -> None:
    """Flatten the stored answers with DuckDB, reconcile the counts, write the Parquet (sorted by id)."""
    from . import tables

    st = run.state
    folder = run.folder / "persons"
    files = tables.source_files(folder) if folder.is_dir() else []
    ids_total = sum(b["ids"] for b in st["batches"])
    target = run.folder / "persons.parquet"
    con = duck.connect()
    try:
        if files:
            con.execute(f"CREATE TEMP TABLE persons AS {tables.persons_sql(show_ids=True)}", {"files": files})
            n_err = len(tables.errors_table(files, con=con))
        else:  # an extract that matched no one: an empty table with the usual columns
            con.register("empty_persons", tables.persons_table([]))
            con.execute("CREATE TEMP TABLE persons AS SELECT * FROM empty_persons")
            n_err = 0
        rows, distinct, no_id = con.execute(
            "SELECT count(*), count(DISTINCT foedselsEllerDNummer), count(*) - count(foedselsEllerDNummer) "
            "FROM persons").fetchone()
        if rows + n_err != ids_total:
            st["status"] = "failed"
            raise ExtractError(msg("extract.mismatch", name=run.name, ids=ids_total, rows=rows, errors=n_err,
                                   total=rows + n_err))
        if distinct + no_id != rows:
            st["status"] = "failed"
            raise ExtractError(msg("extract.duplicates", name=run.name, n=rows - distinct - no_id))
        tmp = run.store.temp_path(target)
        duck.copy_to_parquet(con, "SELECT * FROM persons ORDER BY foedselsEllerDNummer", tmp)
        run.store.commit_temp(tmp, target)
    finally:
        con.close()
    st.update(status=DONE, rows=int(rows), errors=int(n_err), ids_total=ids_total,
              parquet=str(target.relative_to(run.store.path)), finished_at=now_iso())
    run._save()


