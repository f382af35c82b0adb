"""Benchmark: bulk lookups of many persons through the lookup pipeline, against a sandbox with
injected latency — concurrent bulk calls vs one call at a time vs one GET per person.

    python benchmarks/bulk_lookups.py                 # 100 000 persons
    python benchmarks/bulk_lookups.py --quick         # 5 000 persons, L = 200 ms, GETs sampled on 8
    python benchmarks/bulk_lookups.py --latency-ms 100 --concurrency 8 --parts person-basis

The sandbox runs in its own process (``freg-nb sandbox``), as the real service would be remote:
the client's work (threads, writing raw bytes, DuckDB) does not share a GIL with the server's.
Every Fiks/Freg request gets ``--latency-ms`` of injected delay (the sandbox's fault settings).

What it prints, all from one run:

* **calls**: bulk calls made, read from the sandbox's own counters, next to the number of GETs
  one call per person would need;
* **concurrent** (``lookup_persons`` with ``--concurrency`` C): time, persons/s, calls/s and the
  share of the C/L limit — C calls in flight, each taking at least L, so N calls need at least
  ⌈N/C⌉·L seconds (C/L calls per second) — the target is ≥ 80 %;
* **baseline** (the same lookup, one call at a time) for comparison, and the GET-per-person cost
  extrapolated from a small measured sample;
* the time of the tables step (DuckDB over the stored raw answers) inside the lookup.

The sandbox server is one Python process that builds 1000 person documents per bulk call:
~0.15 s of its time per call for ``navn,status`` and ~0.4–0.6 s for the whole person-basis on a
small machine, serially — so it serves at most ~5 calls/s whatever C is (the run measures and
prints this "server time" first). The defaults (L = 2000 ms — a plausible latency for a real bulk
call of 1000 persons — C = 4, parts ``navn,status``) keep the C/L limit (2 calls/s) well below
that capacity, so the share of the limit measures the client pipeline. With e.g.
``--latency-ms 100 --concurrency 8`` the C/L limit (80 calls/s) is far beyond what the one
server process can build; the run then shows the server-bound throughput instead.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def start_external_sandbox(persons: int, data_dir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """``freg-nb sandbox`` in a child process on a free port; returns (process, its .env settings)."""
    env = dict(os.environ, FREG_NB_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from freg_nb.cli import main; sys.exit(main())",
         "sandbox", "--port", "0", "--persons", str(persons), "--events", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    settings: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the sandbox did not start: {err[-2000:]}")
        line = line.strip()
        if "=" in line and not line.startswith("#") and line.split("=", 1)[0].isupper():
            k, v = line.split("=", 1)
            settings[k] = v
            if k == "FIKS_ROLLER":
                return proc, settings
    proc.kill()
    raise RuntimeError("the sandbox did not print its settings in time")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="5 000 persons, L = 200 ms")
    ap.add_argument("--latency-ms", type=float, default=None, help="default 2000, quick 200")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--parts", default="navn,status", help="comma separated; 'person-basis' for all of it")
    ap.add_argument("--role", default="analyse")
    ap.add_argument("--no-baseline", action="store_true", help="skip the one-call-at-a-time run")
    ap.add_argument("--get-sample", type=int, default=None, help="GETs measured to extrapolate one-per-person "
                    "(default 16, quick 8)")
    ap.add_argument("--json", type=Path, default=None, help="also write figures and target checks to this JSON file")
    args = ap.parse_args(argv)
    if args.latency_ms is None:
        args.latency_ms = 200.0 if args.quick else 2000.0
    if args.get_sample is None:
        args.get_sample = 8 if args.quick else 16
    n = 5_000 if args.quick else args.persons
    parts = [p.strip() for p in args.parts.split(",") if p.strip()] or None

    from freg_nb import lookups
    from freg_nb.client import FregClient
    from freg_nb.config import load_settings
    from freg_nb.net import sandbox_admin

    with tempfile.TemporaryDirectory(prefix="freg-nb-bench-") as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        proc, env = start_external_sandbox(n, tmp_path / "sandbox-data")
        try:
            url = env["FIKS_BASE_URL"]
            print(f"sandbox: {n} synthetic persons at {url} (own process, started in "
                  f"{time.perf_counter() - t0:.1f} s)")

            def latency(ms: float) -> None:
                sandbox_admin(url, "faults", method="POST", json={"latency_ms": ms}, timeout=30).raise_for_status()

            def bulk_calls() -> int:
                counters = sandbox_admin(url, "counters", timeout=30).json()
                return int(counters["route"].get("POST v1/personer/bulkoppslag", 0))

            latency(args.latency_ms)

            def client(concurrency: int, data: str) -> FregClient:
                settings = load_settings(environ={**env, "FREG_NB_DATA_DIR": str(tmp_path / data)})
                return FregClient(settings, concurrency=concurrency, progress=sys.stderr.isatty())

            # the ids: every person of the sandbox, found by search (as a user would have them in a file)
            with client(args.concurrency, "ids") as fc:
                latency(0)
                ids: list[str] = []
                for year in range(1900, 2031):
                    ids += fc.search("barnevern", foedselsaarFraOgMed=year, foedselsaarTilOgMed=year,
                                     inkluderDoede=True).get("foedselsEllerDNummer") or []
                # the server's own time per bulk call (no injected latency, one at a time)
                fc.tokens.token()
                t = time.perf_counter()
                for k in range(3):
                    fc.bulk_lookup(args.role, ids[k * 1000:(k + 1) * 1000], parts=parts, raw=True)
                server_s = (time.perf_counter() - t) / 3
                latency(args.latency_ms)
            ids = ids[:n]
            print(f"server time per bulk call of 1000 (no latency, one at a time): {server_s * 1000:.0f} ms "
                  f"→ the sandbox serves at most ~{1 / server_s:.1f} calls/s whatever C is")
            print(f"ids: {len(ids)}; parts: {','.join(parts) if parts else 'person-basis'}; "
                  f"injected latency L = {args.latency_ms:.0f} ms; concurrency C = {args.concurrency}")
            L = args.latency_ms / 1000

            def run(concurrency: int, label: str):
                before = bulk_calls()
                with client(concurrency, label) as fc:
                    fc.tokens.token()   # warm up: the Maskinporten grant is not part of the lookup
                    t = time.perf_counter()
                    res = lookups.lookup_persons(fc, ids, role=args.role, parts=parts, progress=None)
                    secs = time.perf_counter() - t
                calls = bulk_calls() - before
                fetch = res.stats["fetch_seconds"]
                limit = concurrency / L if L > 0 else float("inf")
                ideal = -(-calls // concurrency) * L           # ⌈N/C⌉ rounds of L
                rate = calls / fetch
                print(f"\n[{label}] C = {concurrency}")
                print(f"  rows: {len(res.persons)} persons + {len(res.errors)} errors = "
                      f"{len(res.persons) + len(res.errors)} (ids sent: {len(ids)})")
                print(f"  calls: {calls} bulk calls (one GET per person would be {len(ids)})")
                print(f"  time: {secs:.2f} s in all — fetching {fetch:.2f} s, local work (validation, audit, "
                      f"DuckDB tables) {secs - fetch:.2f} s")
                share = ideal / fetch if fetch > 0 else 0.0
                print(f"  throughput: {len(ids) / secs:,.0f} persons/s overall; {rate:.2f} calls/s while fetching; "
                      f"C/L limit {limit:.1f} calls/s → at least {ideal:.2f} s for {calls} calls: "
                      f"{100 * share:.0f} % of the limit")
                return res, secs, fetch, calls, share

            res, secs, fetch, calls, share = run(args.concurrency, "concurrent")
            assert len(res.persons) + len(res.errors) == len(ids), "rows lost"
            b_secs = b_fetch = None
            if not args.no_baseline:
                _, b_secs, b_fetch, _, _ = run(1, "baseline-one-at-a-time")
                print(f"\nspeed-up of the concurrent run over one call at a time: {b_fetch / fetch:.1f}× "
                      f"(fetching), {b_secs / secs:.1f}× (in all)")
            sample = ids[: max(1, min(args.get_sample, len(ids)))]
            with client(args.concurrency, "gets") as fc:
                t = time.perf_counter()
                fc.map(lambda i: fc.person(args.role, i, parts=parts, raw=True), sample, progress=False)
                per_get = (time.perf_counter() - t) / len(sample)
            print(f"one GET per person (measured on {len(sample)}, C = {args.concurrency}): "
                  f"{per_get * 1000:.1f} ms per person → {per_get * len(ids):,.0f} s for {len(ids)} "
                  f"(vs {secs:.1f} s with bulk calls)")
            verdict = "OK" if share >= 0.8 else "BELOW TARGET"
            print(f"\nresult: {calls} calls for {len(ids)} persons in {secs:.1f} s; "
                  f"{100 * share:.0f} % of the C/L limit (target ≥ 80 %): {verdict}")
            if args.json:
                write_report(args, n, server_s, secs, fetch, calls, share, b_secs, b_fetch, per_get)
            return 0 if share >= 0.8 else 1
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def write_report(args, n, server_s, secs, fetch, calls, share, b_secs, b_fetch, per_get) -> None:
    """The machine-readable output (``--json``)."""
    from _report import figure, write_json

    L, C = args.latency_ms / 1000, args.concurrency
    figures = [
        figure(f"fetch time, {calls} bulk calls, C={C}, L={args.latency_ms:.0f} ms", fetch, "s",
               baseline=-(-calls // C) * L, baseline_label="C/L limit: ⌈N/C⌉·L", target=("ratio", "<=", 1.25),
               note=f"{100 * share:.0f} % of the C/L limit (target ≥ 80 %)"),
        figure(f"bulk calls for {n:,} persons", calls, "calls", baseline=n, baseline_label="one GET per person",
               target=("value", "<=", -(-n // 1000))),
        figure(f"lookup of {n:,} persons, bulk, C={C}", secs, "s", baseline=per_get * n,
               baseline_label="one GET per person, extrapolated"),
    ]
    if b_secs is not None:
        figures.append(figure(f"lookup of {n:,} persons, bulk, C={C}", secs, "s", baseline=b_secs,
                              baseline_label="bulk, one call at a time"))
    rows = [{"persons": n, "calls": calls, "seconds": secs, "fetch_seconds": fetch, "share_of_limit": share,
             "baseline_seconds": b_secs, "baseline_fetch_seconds": b_fetch, "seconds_per_get": per_get,
             "server_seconds_per_call": server_s}]
    write_json(args.json, "P2", "bulk lookups against a sandbox in its own process",
               params={"persons": n, "latency_ms": args.latency_ms, "concurrency": C, "parts": args.parts,
                       "role": args.role}, rows=rows, figures=figures)


if __name__ == "__main__":
    sys.exit(main())
