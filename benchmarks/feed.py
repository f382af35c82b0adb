"""Benchmark: hendelser feed ingest and event volumes.

1. **Ingest.** A sandbox in its own process (so its page generation does not share our GIL) answers
   with an injected latency L per call. The feed is read with concurrency C and, in the same run,
   one page at a time (C=1). Target: concurrent ingest ≥ 80 % of C/L pages per second.
2. **Volumes.** A 10 000 000-row events Parquet file is generated directly (vectorised, the same
   schema ``sync_events`` writes) and ``event_volumes`` is timed per day, week and month.
   Target: ≤ 3 s.

    .venv/bin/python benchmarks/feed.py            # full sizes
    .venv/bin/python benchmarks/feed.py --quick    # small sizes (L = 200 ms, 16 pages), a few seconds
    .venv/bin/python benchmarks/feed.py --json out.json   # also write figures and target checks as JSON
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from freg_nb import events as E  # noqa: E402
from freg_nb import connect  # noqa: E402
from freg_nb.net import sandbox_admin  # noqa: E402
from freg_nb.store import DataDir  # noqa: E402

# what --json writes: the measurements and the figures beside their baselines (see _report.py)
ROWS: list[dict] = []
FIGURES: list[dict] = []

_SERVER = """
import sys, time
from freg_nb.sandbox import SandboxConfig, start_sandbox
sb = start_sandbox(SandboxConfig(seed=1, persons={persons}, events={events}), data_dir={data!r})
sb.feed.page(1)  # build the feed before timing
print(sb.url, flush=True)
print(sb.env_snippet(), flush=True)
print("READY", flush=True)
sys.stdin.read()
sb.stop()
"""


def start_server(persons: int, events: int, data: Path):
    proc = subprocess.Popen([sys.executable, "-c", _SERVER.format(persons=persons, events=events, data=str(data))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    lines = []
    for line in proc.stdout:
        if line.strip() == "READY":
            break
        lines.append(line.rstrip("\n"))
    url = lines[0]
    env = [x for x in lines[1:] if "=" in x and not x.startswith("#")]
    return proc, url, "\n".join(env) + "\n"


def set_latency(url: str, ms: float) -> None:
    sandbox_admin(url, "faults", method="POST", json={"latency_ms": ms}).raise_for_status()


def ingest(env_file: Path, data: Path, role: str, conc: int, end_seq: int) -> E.FeedSync:
    os.environ["FREG_NB_DATA_DIR"] = str(data)
    with connect(env_file=env_file, concurrency=conc) as c:
        c.latest_sequence(role)  # token fetched before timing
        return E.sync_events(c, role=role, start_seq=1, end_seq=end_seq, concurrency=conc, progress=False)


def bench_ingest(quick: bool) -> bool:
    # C/L = 8 pages/s. The sandbox builds pages one at a time in its event loop (~25 ms each), so the
    # C answers that wake together queue there; a latency of 1 s keeps that queue a small share.
    latency_ms, conc = (200.0 if quick else 1000.0, 8)
    events = 16_000 if quick else 200_000
    seq_pages = 2 if quick else 10
    tmp = Path(tempfile.mkdtemp(prefix="freg-nb-bench-"))
    proc, url, env = start_server(2_000 if quick else 20_000, events, tmp / "server")
    env_file = tmp / "sandbox.env"
    env_file.write_text(env)
    ok = True
    try:
        set_latency(url, latency_ms)
        target = conc / (latency_ms / 1000)
        print(f"\n== feed ingest: latency {latency_ms:.0f} ms, concurrency {conc} → ideal {target:.0f} pages/s")
        for role in ("analyse", "skole"):
            r = ingest(env_file, tmp / f"c-{role}", role, conc, events)
            rate = r.pages / r.seconds
            s = ingest(env_file, tmp / f"s-{role}", role, 1, seq_pages * 1000)
            srate = s.pages / s.seconds
            good = rate >= 0.8 * target
            ok &= good
            print(f"  {role:8s} concurrent: {r.pages:4d} pages ({r.rows_added} events, {r.duplicates_dropped} "
                  f"overlap dropped) in {r.seconds:6.2f} s = {rate:6.1f} pages/s "
                  f"({rate / target:5.1%} of C/L) {'OK' if good else 'BELOW 80 %'}")
            print(f"  {role:8s} one by one: {s.pages:4d} pages in {s.seconds:6.2f} s = {srate:6.1f} pages/s "
                  f"→ speed-up ×{rate / srate:.1f}")
            ROWS.append({"part": "ingest", "role": role, "latency_ms": latency_ms, "concurrency": conc,
                         "pages": r.pages, "events": r.rows_added, "seconds": r.seconds,
                         "one_by_one_pages": s.pages, "one_by_one_seconds": s.seconds})
            FIGURES.append(_figure(f"feed ingest {role}, C={conc}, L={latency_ms:.0f} ms", rate, "pages/s",
                                   baseline=target, baseline_label="C/L limit", target=("ratio", ">=", 0.8)))
            FIGURES.append(_figure(f"feed ingest {role}, C={conc}, L={latency_ms:.0f} ms", rate, "pages/s",
                                   baseline=srate, baseline_label="one page at a time"))
    finally:
        proc.stdin.close()
        proc.wait(30)
    return ok


def make_events(path: Path, n: int, seed: int = 1) -> None:
    """``n`` events in the schema ``sync_events`` writes, generated with numpy/Arrow in chunks."""
    rng = np.random.default_rng(seed)
    types = np.array(E.EVENT_TYPES)
    weights = rng.random(len(types)) ** 3
    weights /= weights.sum()
    roles = np.array(["analyse", "barnevern", "skole"])
    start = np.datetime64("2024-01-01T00:00:00", "us")
    span_us = 730 * 86400 * 1_000_000
    writer = None
    chunk = 2_000_000
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        seq = np.arange(lo + 1, lo + m + 1, dtype=np.int64)
        ts = start + (seq.astype(np.float64) / n * span_us).astype("timedelta64[us]")
        dato = ts.astype("datetime64[D]")  # UTC day; fine for timing
        t = rng.choice(len(types), size=m, p=weights)
        r = rng.choice(len(roles), size=m)
        table = pa.table({
            "sekvensnummer": seq,
            "role": pa.DictionaryArray.from_arrays(pa.array(r.astype(np.int32)), pa.array(roles)),
            "hendelsetype": pa.DictionaryArray.from_arrays(pa.array(t.astype(np.int32)), pa.array(types)),
            "ajourholdstidspunkt": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "dato": pa.array(dato, pa.date32()),
            "folkeregisteridentifikator": pa.array(np.char.zfill((seq % 10**11).astype(str), 11)),
            "hendelsesdokument": pa.nulls(m, pa.string()),
            "persondokument": pa.nulls(m, pa.string()),
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    writer.close()


class _StoredEvents:
    """Generated events in a data folder, standing in for a client (``events.StoredEvents``)."""

    roles: dict[str, str] = {}

    def __init__(self, store: DataDir) -> None:
        self.data_dir = store

    def resolve_role(self, role: str) -> tuple[str, str]:
        return role, role


def bench_volumes(quick: bool) -> bool:
    n = 1_000_000 if quick else 10_000_000
    store = DataDir(Path(tempfile.mkdtemp(prefix="freg-nb-bench-vol-")))
    path = store.subdir("feeds/bench/parts") / "events.parquet"
    t0 = time.monotonic()
    make_events(path, n)
    store.checkpoint("feeds/bench").put({"parts": [{"file": path.name}]})
    stored = _StoredEvents(store)
    print(f"\n== volumes over {n:,} stored events (generated in {time.monotonic() - t0:.1f} s, "
          f"{path.stat().st_size / 1e6:.0f} MB)")
    ok = True
    for freq in ("day", "week", "month"):
        t0 = time.monotonic()
        vol = E.event_volumes(stored, freq=freq)
        took = time.monotonic() - t0
        assert int(vol["events"].sum()) == n
        good = took <= 3.0
        ok &= good
        t0 = time.monotonic()
        base = volumes_pandas(path, freq)
        base_took = time.monotonic() - t0
        assert int(base.sum()) == n
        print(f"  freq={freq:5s}: {len(vol):7,} rows in {took:5.2f} s {'OK' if good else 'ABOVE 3 s'}"
              f"   (pandas read_parquet + groupby: {base_took:5.2f} s)")
        ROWS.append({"part": "volumes", "events": n, "freq": freq, "rows": len(vol), "seconds": took,
                     "pandas_seconds": base_took})
        FIGURES.append(_figure(f"event_volumes freq={freq}, {n:,} events", took, "s", baseline=base_took,
                               baseline_label="pandas read_parquet + groupby", target=("value", "<=", 3.0)))
    t0 = time.monotonic()
    E.type_matrix(stored)
    print(f"  type_matrix: {time.monotonic() - t0:5.2f} s")
    path.unlink()
    return ok


def volumes_pandas(path: Path, freq: str):
    """The baseline for volumes: the same counts with pandas (read the columns, group in memory)."""
    import pandas as pd

    df = pd.read_parquet(path, columns=["role", "hendelsetype", "dato"])
    period = pd.to_datetime(df["dato"])
    if freq != "day":
        period = period.dt.to_period("W-SUN" if freq == "week" else "M").dt.start_time
    return df.assign(period=period).groupby(["role", "period", "hendelsetype"], observed=True).size()


def _figure(*args, **kw) -> dict:
    from _report import figure

    return figure(*args, **kw)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--only", choices=["ingest", "volumes"], help="run one part")
    ap.add_argument("--json", type=Path, default=None, help="also write figures and target checks to this JSON file")
    a = ap.parse_args(argv)
    ok = True
    if a.only in (None, "ingest"):
        ok &= bench_ingest(a.quick)
    if a.only in (None, "volumes"):
        ok &= bench_volumes(a.quick)
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    if a.json:
        from _report import write_json

        write_json(a.json, "P3", "feed ingest and event volumes", params={"quick": a.quick, "only": a.only},
                   rows=ROWS, figures=FIGURES)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
