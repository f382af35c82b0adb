"""Hendelser feed sync: read the event feed of a role into Parquet parts, checkpointed and resumable.

The feed (``GET v1/hendelser/feed?seq=N``) answers up to 1000 events from sequence number N on.
Reading it well takes four ideas:

* **Date → sequence number.** ``sequence_for_date`` finds the first event of a day by searching the
  feed on ``ajourholdstidspunkt`` between sequence 1 and the newest sequence number: interpolation
  with a bisection safeguard, each probe one page of 1000 (typically 3–6 calls, never more than
  about ``2 + 2·log2(newest/1000)``). Feeds "uten hjemmel" may carry no timestamps; sequence numbers
  are global in Freg, so the date is then looked up in another role's feed that has them (``via=``).
* **Concurrent pages with gaps.** Page *k* starts at ``seq0 + 1000·k`` only when the feed has no
  gaps; "uten hjemmel" feeds skip the confidential event types, so a page of 1000 events spans
  *more* than 1000 sequence numbers. The reader requests pages at *speculative* starts, a stride
  ``S`` apart (``S`` ≥ 1000, adapted to the observed span of full pages), keeps ``concurrency``
  requests in flight, and commits the *contiguous covered prefix*: a full page starting at ``a``
  whose last event is ``b`` covers exactly ``[a, b]`` (every event of the role in that range is in
  it); a short or empty page covers ``[a, end]``. Events before the frontier are never taken
  twice (de-duplication by sequence number); a hole between two pages (a page spanning less than
  ``S``) is filled by a request at the frontier. Correct for any gap pattern, concurrent always.
* **Streaming to disk.** Page bodies are written as they arrive (never parsed into one dict per
  event) and flattened by DuckDB into Parquet parts; a checkpoint per role
  (``feeds/<role>/checkpoint.json``) lists the committed parts and the next sequence number, so an
  interrupted read (Ctrl-C, a killed kernel) resumes with no gap and no duplicate.
* **"Anything new?"** After a read up to the newest event, the ETag of the (empty) page after it is
  kept; the next read first asks with ``If-None-Match`` and a 304 ends it after one call.

Reading the stored events into a DataFrame and counting them is ``events``.

>>> import freg_nb                                                    # doctest: +SKIP
>>> client = freg_nb.connect()                                        # doctest: +SKIP
>>> sync_events(client, role="analyse")                               # doctest: +SKIP
"""
from __future__ import annotations

import logging
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pandas as pd

from freg_nb import duck
from freg_nb.progress import Progress
from freg_nb._compat import keywords_after_client
from freg_nb.errors import FregNbError, InputError
from freg_nb.messages import field, msg
from freg_nb.store import DataDir

if TYPE_CHECKING:
    import duckdb

    from freg_nb.client import FregClient

__all__ = ["EVENT_COLUMNS", "PAGE_SIZE", "FeedState", "FeedSync", "NoTimestamps", "has_new_events",
           "sequence_for_date", "sync_events"]

log = logging.getLogger("freg_nb")

PAGE_SIZE = 1000  # fixed by Freg
OSLO = ZoneInfo("Europe/Oslo")
CHECKPOINT_VERSION = 1
EVENT_COLUMNS = ("sekvensnummer", "role", "hendelsetype", "ajourholdstidspunkt", "dato",
                 "folkeregisteridentifikator", "hendelsesdokument", "persondokument")
_SEQ_RE = re.compile(rb'"sekvensnummer"\s*:\s*(\d+)')
_JSON_COLUMNS = ("{'sekvensnummer': 'BIGINT', 'hendelse': 'STRUCT(folkeregisteridentifikator VARCHAR, "
                 "hendelsetype VARCHAR, hendelsesdokument VARCHAR, persondokument VARCHAR, "
                 "ajourholdstidspunkt VARCHAR)'}")


class NoTimestamps(InputError):
    """The role's feed carries no ``ajourholdstidspunkt`` (typical "uten hjemmel"): dates cannot be
    looked up in it. Pass ``via=`` a role whose feed has timestamps."""


# ----------------------------------------------------------------------------------------------
# small helpers

def to_date(value: Any, what: str) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise InputError(msg("events.not_date", field=field(what), value=value))


def _day_start_utc(d: date) -> pd.Timestamp:
    """Midnight in Oslo at the start of ``d``, as a UTC timestamp (days are Norwegian days)."""
    return pd.Timestamp(datetime(d.year, d.month, d.day, tzinfo=OSLO)).tz_convert("UTC")


def seq_arg(value: Any, what: str) -> int | None:
    if value is None:
        return None
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise InputError(msg("events.not_seq", field=field(what), value=value)) from None
    if v < 0 or (isinstance(value, float) and value != v):
        raise InputError(msg("events.not_seq", field=field(what), value=value))
    return v


def roles_arg(client, roles: str | Sequence[str] | None) -> list[str]:
    if roles is None:
        return list(client.settings.roles)
    if isinstance(roles, str):
        roles = [roles]
    roles = [r for r in roles]
    if not roles:
        raise InputError(msg("events.no_role_of", roles=", ".join(client.settings.roles)))
    for r in roles:
        client.resolve_role(r)  # raises InputError naming the known roles
    return roles


def role_name(client, role: str) -> str:
    return client.resolve_role(role)[1]


def page_timestamps(entries: list[dict]) -> pd.Series:
    raw = [(e.get("hendelse") or {}).get("ajourholdstidspunkt") for e in entries]
    return pd.to_datetime(pd.Series(raw, dtype="object"), utc=True, errors="coerce", format="ISO8601")


def _page_seqs(entries: list[dict]) -> list[int]:
    return [int(e["sekvensnummer"]) for e in entries]


# ----------------------------------------------------------------------------------------------
# date -> sequence number

@keywords_after_client("role", "day")
def sequence_for_date(client: FregClient, *, role: str, day: Any, via: str | None = None,
                      latest: int | None = None, calls: list | None = None) -> int:
    """The first sequence number of events registered on ``day`` or later (Oslo time).

    Reading the feed from the returned number gives exactly the events whose
    ``ajourholdstidspunkt`` is at or after midnight starting ``day``; when no such event exists
    yet, the newest sequence number + 1. Searches the feed (interpolation on the timestamps, with
    bisection as a safeguard) — a handful of calls, each one page.

    ``via``: a role whose feed has timestamps, used when ``role``'s has none (sequence numbers are
    global in Freg, so any role's feed places the day). ``calls``: a list that gets one entry
    (the sequence number asked for) per feed call, for the curious.

    >>> sequence_for_date(client, role="analyse", day="2024-03-04")   # doctest: +SKIP
    182311
    """
    d = to_date(day, "day")
    if d is None:
        raise InputError(msg("events.not_date", field=field("day"), value=day))
    target = _day_start_utc(d)
    use = via or role
    calls = calls if calls is not None else []

    def probe(seq: int) -> tuple[list[int], pd.Series]:
        calls.append(seq)
        entries = client.feed(use, max(int(seq), 0)).entries
        seqs = _page_seqs(entries)
        ts = page_timestamps(entries)
        if len(ts) and ts.isna().all():
            other = msg("feed.via") if via is None else ""
            raise NoTimestamps(msg("feed.no_timestamps", role=role_name(client, use), other=other))
        if ts.isna().any():  # tolerate single missing stamps: carry the previous one forward
            ts = ts.ffill().bfill()
        return seqs, ts

    newest = int(latest) if latest is not None else client.latest_sequence(use)
    end = newest + 1  # "no such event yet"
    if newest <= 0:
        return end
    # lo: answer >= lo; (sa, ta) the last event known to be before the day
    # hi: answer is the first visible event at/after hi (hi_first), (sb, tb) its stamp
    lo, hi, hi_first = 0, end, None
    sa = ta = sb = tb = None

    def look(seq: int) -> int | None:
        """Probe at ``seq``; narrow [lo, hi]; return the answer when the page decides it."""
        nonlocal lo, hi, hi_first, sa, ta, sb, tb
        seqs, ts = probe(seq)
        if not seqs:  # nothing visible from seq on
            hi, hi_first = min(hi, seq), None
            return None
        after = (ts >= target).to_numpy()
        if after[0]:
            if seq <= lo:  # nothing visible between lo and seq: the first event is the answer
                return seqs[0]
            hi, hi_first, sb, tb = seq, seqs[0], seqs[0], ts.iloc[0]
            return None
        if after.any():  # the day starts inside this page
            return seqs[int(np.argmax(after))]
        if len(seqs) < PAGE_SIZE:  # the tail: everything is before the day
            return seqs[-1] + 1
        lo, sa, ta = seqs[-1] + 1, seqs[-1], ts.iloc[-1]
        return None

    # the two ends first, then interpolate between the known stamps
    found = look(0)
    if found is not None:
        return found
    if lo < hi:
        found = look(max(lo, newest - PAGE_SIZE + 1))
        if found is not None:
            return found
    bisect_next = False
    while lo < hi:
        width = hi - lo
        if not bisect_next and ta is not None and tb is not None and tb > ta:
            frac = (target - ta) / (tb - ta)
            guess = sa + frac * (sb - sa)
            mid = int(guess) - PAGE_SIZE // 2  # centre the page on the guess
        else:
            mid = (lo + hi) // 2
        mid = min(max(mid, lo), hi - 1)
        found = look(mid)
        if found is not None:
            return found
        bisect_next = (hi - lo) > width / 2  # interpolation did not halve the range: bisect once
    return hi_first if hi_first is not None else end


# ----------------------------------------------------------------------------------------------
# the concurrent, resumable feed reader

@dataclass
class _Page:
    start: int
    path: Path
    n: int
    seqs: np.ndarray
    etag: str | None

    @property
    def first(self) -> int | None:
        return int(self.seqs[0]) if len(self.seqs) else None

    @property
    def last(self) -> int | None:
        return int(self.seqs[-1]) if len(self.seqs) else None

    def covers_to(self, end: int) -> int:
        """The last sequence number this page vouches for (all of the role's events in
        ``[start, covers_to]`` are in it)."""
        if self.n >= PAGE_SIZE:
            return int(self.last)  # type: ignore[arg-type]
        return end  # a short/empty page is the tail: nothing else up to the end


@dataclass
class FeedSync:
    """What one ``sync_events`` did for one role."""

    role: str
    start_seq: int
    end_seq: int | None = None
    rows_added: int = 0
    pages: int = 0
    fill_requests: int = 0
    duplicates_dropped: int = 0
    not_modified: bool = False
    resumed_from: int | None = None
    seconds: float = 0.0
    stride: int = PAGE_SIZE

    def as_dict(self) -> dict:
        return asdict(self)


class FeedState:
    """The on-disk state of one role's feed: Parquet parts + checkpoint."""

    def __init__(self, store: DataDir, client, role: str):
        self.store = store
        self.role_id, self.name = client.resolve_role(role)
        self.folder = f"feeds/{self.name}"
        self.dir = store.subdir(self.folder)
        self.parts_dir = store.subdir(f"{self.folder}/parts")
        self.raw_dir = store.subdir(f"{self.folder}/raw")
        self.cp = store.checkpoint(self.folder)
        self.source = f"{client.settings.env}|{client.settings.fiks_base_url}|{self.role_id}"
        state = self.cp.get(None)
        if state and (state.get("version") != CHECKPOINT_VERSION or state.get("source") != self.source):
            log.info("feed %s: stored events came from another source; starting afresh", self.name)
            state = None
        self.state: dict | None = state
        self._tidy()

    def _tidy(self) -> None:
        """Remove what no checkpoint vouches for: raw pages, parts written after the last checkpoint."""
        for f in self.raw_dir.iterdir():
            f.unlink(missing_ok=True)
        keep = {p["file"] for p in (self.state or {}).get("parts", [])}
        for f in self.parts_dir.iterdir():
            if f.name not in keep:
                f.unlink(missing_ok=True)
        if self.state is None:
            self.cp.clear()

    def reset(self, start: int) -> None:
        self.state = {"version": CHECKPOINT_VERSION, "source": self.source, "role": self.name,
                      "start": int(start), "next": int(start), "parts": [], "etag": None,
                      "updated": datetime.now(timezone.utc).isoformat()}
        self._tidy()
        self.cp.put(self.state)

    def files(self) -> list[Path]:
        return [self.parts_dir / p["file"] for p in (self.state or {}).get("parts", [])]

    def commit(self, con: "duckdb.DuckDBPyConnection", pages: list[tuple[_Page, int, int]], upto: int) -> int:
        """Flatten ``pages`` (each with its assigned range [lo, hi]) into one Parquet part and move the
        checkpoint to ``upto + 1``. Returns the number of rows written."""
        assert self.state is not None
        lo = pages[0][1]
        name = f"part-{lo:012d}-{upto:012d}.parquet"
        target = self.parts_dir / name
        ranges = pd.DataFrame({"file": [p.path.as_posix() for p, _, _ in pages],
                               "lo": [a for _, a, _ in pages], "hi": [b for _, _, b in pages]})
        tmp = self.store.temp_path(target)
        con.register("ranges", ranges)
        rows = duck.copy_to_parquet(con, f"""
              SELECT j.sekvensnummer AS sekvensnummer,
                     $role AS role,
                     j.hendelse.hendelsetype AS hendelsetype,
                     try_cast(j.hendelse.ajourholdstidspunkt AS TIMESTAMPTZ) AS ajourholdstidspunkt,
                     CAST(timezone('Europe/Oslo', try_cast(j.hendelse.ajourholdstidspunkt AS TIMESTAMPTZ)) AS DATE) AS dato,
                     j.hendelse.folkeregisteridentifikator AS folkeregisteridentifikator,
                     j.hendelse.hendelsesdokument AS hendelsesdokument,
                     j.hendelse.persondokument AS persondokument
              FROM read_json($files, format='array', filename=true, columns={_JSON_COLUMNS}) j
              JOIN ranges r ON j.filename = r.file AND j.sekvensnummer BETWEEN r.lo AND r.hi
              ORDER BY j.sekvensnummer""", tmp, {"files": list(ranges["file"]), "role": self.name})
        con.unregister("ranges")
        self.store.commit_temp(tmp, target)
        self.state["parts"].append({"file": name, "from": int(lo), "to": int(upto), "rows": int(rows)})
        self.state["next"] = int(upto) + 1
        self.state["etag"] = None
        self.state["updated"] = datetime.now(timezone.utc).isoformat()
        self.cp.put(self.state)
        return int(rows)


def _fetch_page(client, role: str, start: int, raw_dir: Path) -> _Page:
    page = client.feed(role, start, raw=True)
    body = page.entries if isinstance(page.entries, (bytes, bytearray)) else orjson.dumps(page.entries)
    seqs = np.array(_SEQ_RE.findall(body), dtype=np.int64) if body else np.empty(0, np.int64)
    if len(seqs) and (seqs[0] < start or np.any(np.diff(seqs) <= 0)):
        raise FregNbError(msg("feed.order", start=start))
    path = raw_dir / f"page-{start:012d}-{time.monotonic_ns()}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(bytes(body) if body else b"[]")
    return _Page(start, path, len(seqs), seqs, page.etag)


@keywords_after_client("role")
def sync_events(client: FregClient, *, role: str, start_seq: int | None = None, end_seq: int | None = None,
                concurrency: int | None = None, progress: bool | None = None,
                flush_pages: int | None = None, flush_seconds: float = 2.0) -> FeedSync:
    """Bring the stored events of ``role`` up to ``end_seq`` (default: the newest), reading the feed
    concurrently and checkpointing as it goes; returns a ``FeedSync`` summary.

    Resumes where the checkpoint says (no gap, no duplicate) when the stored range contains
    ``start_seq``; otherwise starts afresh at ``start_seq`` (default 1). Use ``read_events`` for
    dates and a DataFrame; this is the engine underneath.

    >>> sync_events(client, role="analyse", start_seq=180_001)    # doctest: +SKIP
    FeedSync(role='analyse', start_seq=180001, end_seq=200000, rows_added=20000, pages=20, ...)
    """
    t0 = time.monotonic()
    start_seq = seq_arg(start_seq, "start_seq")
    end_seq = seq_arg(end_seq, "end_seq")
    if start_seq is None:
        start_seq = 1
    if end_seq is not None and end_seq < start_seq - 1:
        raise InputError(msg("events.seq_order", s0=start_seq, s1=end_seq))
    conc = int(concurrency or getattr(client, "concurrency", None) or client.settings.concurrency)
    if conc < 1:
        raise InputError(msg("feed.concurrency"))
    store = client.data_dir
    fs = FeedState(store, client, role)
    st = fs.state
    if st and st["start"] <= start_seq <= st["next"]:
        begin = st["next"]
        result = FeedSync(fs.name, start_seq, resumed_from=begin if begin > start_seq else None)
    else:
        fs.reset(start_seq)
        begin = start_seq
        result = FeedSync(fs.name, start_seq)
    st = fs.state
    assert st is not None
    open_ended = end_seq is None
    if end_seq is None:
        # "anything new?" — one conditional call when we have been here before
        etag = st.get("etag")
        if etag and st.get("etag_seq") == begin:
            page = client.feed(role, begin, etag=etag, raw=True)
            if page.not_modified:
                result.not_modified = True
                result.end_seq = begin - 1
                result.seconds = time.monotonic() - t0
                return result
        end_seq = client.latest_sequence(role)
    result.end_seq = end_seq
    if end_seq < begin:
        result.seconds = time.monotonic() - t0
        return result

    flush_every = int(flush_pages or max(8, 2 * conc))
    stride = PAGE_SIZE
    spans: list[int] = []
    frontier = begin
    next_start = begin
    inflight: dict[Future, int] = {}
    done: list[_Page] = []
    assigned: list[tuple[_Page, int, int]] = []
    last_flush = time.monotonic()
    show = getattr(client, "progress", True) if progress is None else progress
    bar = Progress(show, f"hendelser {fs.name}", end_seq - begin + 1, unit="sekvensnumre")
    con = duck.connect(temp_dir=store.subdir("tmp/duckdb"))
    pool = ThreadPoolExecutor(max_workers=conc, thread_name_prefix="freg-nb-feed")

    def submit(s: int) -> None:
        inflight[pool.submit(_fetch_page, client, role, s, fs.raw_dir)] = s

    committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="freg-nb-commit")
    commits: list[Future] = []

    def commit(batch: list[tuple[_Page, int, int]]) -> None:
        result.rows_added += fs.commit(con, batch, batch[-1][2])
        for p, _, _ in batch:
            p.path.unlink(missing_ok=True)

    def flush(*, wait_all: bool = False) -> None:
        """Hand the assigned pages to the committer thread (Parquet + checkpoint, in order), so
        flattening overlaps with fetching; re-raise a failed commit."""
        nonlocal assigned, last_flush
        if assigned:
            commits.append(committer.submit(commit, assigned))
            assigned = []
        last_flush = time.monotonic()
        for f in [f for f in commits if f.done() or wait_all]:
            f.result()
            commits.remove(f)

    try:
        submit(begin)
        next_start = begin + stride
        while frontier <= end_seq:
            # 1. extend the frontier with pages that cover it
            progressed = True
            while progressed and frontier <= end_seq:
                progressed = False
                best = None
                for p in done:
                    if p.start <= frontier and p.covers_to(end_seq) >= frontier:
                        if best is None or p.covers_to(end_seq) > best.covers_to(end_seq):
                            best = p
                if best is not None:
                    hi = min(best.covers_to(end_seq), end_seq)
                    # events of this page before the frontier were taken from an earlier page
                    result.duplicates_dropped += int(np.searchsorted(best.seqs, frontier))
                    assigned.append((best, frontier, hi))
                    done.remove(best)
                    bar.add(hi - frontier + 1)
                    frontier = hi + 1
                    progressed = True
            # pages left entirely behind the frontier are duplicates
            for p in [p for p in done if p.covers_to(end_seq) < frontier]:
                result.duplicates_dropped += p.n
                p.path.unlink(missing_ok=True)
                done.remove(p)
            if len(assigned) >= flush_every or (assigned and time.monotonic() - last_flush > flush_seconds):
                flush()
            if frontier > end_seq:
                break
            # 2. make sure someone will cover the frontier (a hole left by a narrow page)
            # (every page still in `done` starts after the frontier; an in-flight page starting at
            # s <= frontier <= s + 999 is bound to cover it: a full page spans >= 1000 numbers)
            covering = any(s <= frontier <= s + PAGE_SIZE - 1 for s in inflight.values())
            if not covering:
                submit(frontier)
                result.fill_requests += 1
                next_start = max(next_start, frontier + stride)
            # 3. keep `conc` speculative requests in flight
            next_start = max(next_start, frontier)
            ahead_limit = frontier + stride * (2 * conc + flush_every)  # bound pages held on disk
            while len(inflight) < conc and next_start <= end_seq and next_start <= ahead_limit:
                submit(next_start)
                next_start += stride
            # 4. wait for one answer
            finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in finished:
                inflight.pop(fut)
                page = fut.result()  # raises the fetch error (retries already spent)
                result.pages += 1
                done.append(page)
                if page.n >= PAGE_SIZE:
                    spans.append(page.last - page.start + 1)
                    spans = spans[-4 * conc:]
                    stride = max(PAGE_SIZE, min(spans))
        flush(wait_all=True)
        if open_ended:
            _remember_tail(client, role, fs, end_seq)
    except BaseException:
        for fut in inflight:
            fut.cancel()
        try:  # keep what is complete and contiguous (the checkpoint stays exact)
            flush(wait_all=True)
        except BaseException:
            log.warning("feed %s: could not save the last pages; they will be fetched again", fs.name)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        committer.shutdown(wait=True)
        con.close()
        bar.close()
        for p in done:
            p.path.unlink(missing_ok=True)
        for f in fs.raw_dir.iterdir():
            f.unlink(missing_ok=True)
    if result.rows_added:
        from freg_nb import privacy

        privacy.audit(store, "hendelser-feed", role=fs.name, n_persons=result.rows_added,
                      purpose=f"hendelser sekvens {begin}–{end_seq}")
    result.stride = stride
    result.seconds = time.monotonic() - t0
    return result


def _remember_tail(client, role: str, fs: FeedState, end_seq: int) -> None:
    """Keep the ETag of the page after ``end_seq`` when it is empty: the next read asks
    "anything new?" with If-None-Match and stops at a 304."""
    assert fs.state is not None
    page = client.feed(role, end_seq + 1, raw=True)
    body = page.entries if isinstance(page.entries, (bytes, bytearray)) else orjson.dumps(page.entries)
    if page.etag and not _SEQ_RE.search(body or b""):
        fs.state["etag"], fs.state["etag_seq"] = page.etag, end_seq + 1
        fs.cp.put(fs.state)


@keywords_after_client("role")
def has_new_events(client: FregClient, *, role: str) -> bool | None:
    """Whether the feed of ``role`` has events after the stored ones: one conditional call
    (``If-None-Match``; 304 = nothing new). ``None`` when nothing is stored yet.

    >>> has_new_events(client, role="analyse")   # doctest: +SKIP
    False
    """
    fs = FeedState(client.data_dir, client, role)
    st = fs.state
    if not st:
        return None
    seq = st["next"]
    page = client.feed(role, seq, etag=st.get("etag") if st.get("etag_seq") == seq else None, raw=True)
    if page.not_modified:
        return False
    body = page.entries if isinstance(page.entries, (bytes, bytearray)) else orjson.dumps(page.entries)
    return bool(_SEQ_RE.search(body or b""))


