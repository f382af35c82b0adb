"""All benchmarks in one command: each figure beside its baseline, measured in the same run, on the sandbox.

    python3 dev.py bench                  # full sizes (medians of several runs), one benchmark at a time
    python3 dev.py bench --quick          # small sizes, one run each, two benchmarks at a time (~1 min)
    python3 dev.py bench --big            # also the persons table at 1 000 000 (P1, DuckDB only)
    .venv/bin/python benchmarks/run.py --only P2,P4 --json /tmp/b.json

  P1  persons table from stored bulk answers: DuckDB vs a dict per person (orjson) and json_normalize
  P2  bulk lookups with latency L and concurrency C: share of the C/L limit, calls vs one GET per person
  P3  feed ingest vs the C/L limit and vs page by page; event volumes over 10 000 000 stored events
  P4  every notebook headless with papermill vs an empty notebook (kernel start-up)
  P5  sandbox start-up with 1 000 000 persons / 10 000 000 events vs 20 000 / 200 000
  P5C the same with the whole country, 5 600 000 persons (full mode only)
  P6  bringing a population mirror up to date with one day of feed vs a fresh extract of the same population
  P7  population(at=…) by grunnkrets × one-year age over a mirror with five years of history vs pandas
  P8  avstemming: comparing 100 000 list rows with stored answers vs a row-by-row Python baseline

Each benchmark is its own script in ``benchmarks/``, run here in a subprocess with ``--json``; this
prints one table (benchmark, figure, value, baseline, ratio, target, met?) and writes everything
to ``reports/benchmarks.json`` (``--json``), with each script's own output in ``<json>-logs/``.

Targets are for the full mode on an otherwise idle machine; quick mode checks that the benchmarks
work (its sizes are too small for the targets to mean much, and two run side by side). Exit status:
2 when a benchmark produced no figures, 1 when a full-mode target was missed, else 0.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _report import machine  # noqa: E402

# id → (script, arguments in full mode, arguments in quick mode; None: full mode only)
BENCHMARKS: dict[str, tuple[str, list[str], list[str] | None]] = {
    "P1": ("persons_table.py", [], ["--quick"]),
    "P2": ("bulk_lookups.py", [], ["--quick"]),
    "P3": ("feed.py", [], ["--quick"]),
    "P4": ("notebooks.py", [], ["--quick"]),
    "P5": ("sandbox_start.py", ["--repeat", "3"], ["--persons", "100000", "--events", "200000"]),
    "P5C": ("sandbox_start.py", ["--country"], None),  # the whole country (5.6 M persons)
    "P6": ("mirror.py", ["--only", "p6"], ["--quick", "--only", "p6"]),
    "P7": ("mirror.py", ["--only", "p7"], ["--quick", "--only", "p7"]),
    "P8": ("reconcile.py", [], ["--quick"]),
}
LONGEST_FIRST = ["P4", "P2", "P3", "P6", "P1", "P8", "P7", "P5", "P5C"]  # so two lanes in quick mode end at about the same time


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the script's whole process group, then SIGKILL to what is left after 5 s."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        if wait is None:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)   # anyone left in the group?
            except ProcessLookupError:
                return
            proc.poll()
            time.sleep(0.1)


def run_script(key: str, script: str, args: list[str], json_path: Path, log: Path, timeout: float) -> dict:
    """One benchmark script in a subprocess; its report (or why there is none)."""
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(json_path)]
    t0 = time.perf_counter()
    # its own process group, so that a timeout ends the processes it started too (a sandbox,
    # a query in a fresh process, a notebook kernel), not just the script
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a process that left the group still holds the pipes
            out, err = "", ""
        rc = None
        err = (err or "") + f"\ntimed out after {timeout:.0f} s"
    seconds = time.perf_counter() - t0
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"$ {' '.join(cmd)}\n\n{out}\n--- stderr ---\n{err}", encoding="utf-8")
    report: dict = {"script": script, "args": args, "returncode": rc, "seconds": round(seconds, 1),
                    "log": str(log)}
    if json_path.exists():
        report.update(json.loads(json_path.read_text(encoding="utf-8")))
    else:
        report["error"] = (err.strip().splitlines() or [f"exit code {rc}"])[-1]
    report["output"] = out
    return report


def add_big(results: dict, tmp: Path, logs: Path, timeout: float) -> None:
    """P1 at 1 000 000 persons (DuckDB only); its baseline is the same figure at 100 000 from this run."""
    big = run_script("P1", "persons_table.py", ["--big"], tmp / "P1-big.json", logs / "P1-big.log", timeout)
    small = {f["name"].split(",")[0] + " " + f["unit"]: f for f in results.get("P1", {}).get("figures", [])}
    for f in big.get("figures", []):
        ref = small.get(f["name"].split(",")[0] + " " + f["unit"])
        if ref and ref["value"]:
            f["baseline"], f["ratio"] = ref["value"], f["value"] / ref["value"]
            f["baseline_label"] = "the same at " + ref["name"].split(", ")[-1]
            f["note"] = "×10 the persons: a ratio near 10 is linear"
    results["P1 1M"] = big


def fmt(v, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and abs(v) >= 100 or isinstance(v, int):
        s = f"{v:,.0f}"
    elif isinstance(v, float) and abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return f"{s} {unit}".strip()


def table(results: dict, quick: bool) -> list[str]:
    head = ("bench", "figure", "value", "baseline", "ratio", "target", "met?")
    rows = []
    for key, rep in results.items():
        if "error" in rep and not rep.get("figures"):
            rows.append((key, f"FAILED: {rep['error']}"[:90], "", "", "", "", "no"))
            continue
        for f in rep.get("figures", []):
            base = fmt(f["baseline"], f["unit"]) + (f" ({f['baseline_label']})" if f.get("baseline_label") else "")
            met = "-" if f["met"] is None else ("yes" if f["met"] else "NO")
            if quick and f["met"] is not None:
                met = met.lower() + " (quick)"
            rows.append((key, f["name"], fmt(f["value"], f["unit"]), base,
                         "-" if f["ratio"] is None else f"{f['ratio']:.2f}" if f["ratio"] >= 0.1 else f"{f['ratio']:.2g}", f["target"] or "-", met))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    right = {2, 4}  # value and ratio

    def line(r) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return [line(head), line(["-" * w for w in widths]), *[line(r) for r in rows]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each (about a minute)")
    ap.add_argument("--big", action="store_true", help="also P1 at 1 000 000 persons (DuckDB variants)")
    ap.add_argument("--only", default=None, help="comma-separated subset of " + ",".join(BENCHMARKS))
    ap.add_argument("--jobs", type=int, default=None,
                    help="benchmarks run side by side; default 1 (clean figures), quick 2")
    ap.add_argument("--json", type=Path, default=REPO / "reports" / "benchmarks.json", help="where the results go")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each script's own output")
    a = ap.parse_args(argv)
    keys = [k.strip().upper() for k in a.only.split(",")] if a.only else list(BENCHMARKS)
    if a.quick:
        keys = [k for k in keys if BENCHMARKS[k][2] is not None]
    unknown = [k for k in keys if k not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    jobs = a.jobs or (2 if a.quick else 1)
    timeout = 600 if a.quick else 7200
    logs = a.json.with_name(a.json.stem + "-logs")
    mode = "quick" if a.quick else "full"
    start_machine = machine()
    print(f"benchmarks ({mode} mode, {jobs} at a time): {', '.join(keys)} — {start_machine['nproc']} CPUs, "
          f"{start_machine['memory_mb']:,} MB, load average {start_machine['loadavg'][0]:.2f}", flush=True)

    t0 = time.perf_counter()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="freg-nb-bench-run-") as tmp_name:
        tmp = Path(tmp_name)

        def one(key: str) -> dict:
            script, full, quick = BENCHMARKS[key]
            rep = run_script(key, script, quick if a.quick else full, tmp / f"{key}.json", logs / f"{key}.log",
                             timeout)
            status = "FAILED" if "error" in rep else "done"
            print(f"· {key} {status} in {rep['seconds']:.0f} s (load average "
                  f"{os.getloadavg()[0]:.2f}; its output: {rep['log']})", flush=True)
            if a.verbose or "error" in rep:
                print(rep["output"], flush=True)
            return rep

        order = [k for k in LONGEST_FIRST if k in keys] if jobs > 1 else keys
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            done = dict(zip(order, pool.map(one, order)))
        results = {k: done[k] for k in keys}
        if a.big and "P1" in keys:
            add_big(results, tmp, logs, timeout)
            print(f"· P1 --big done in {results['P1 1M']['seconds']:.0f} s", flush=True)
    wall = time.perf_counter() - t0

    lines = table(results, a.quick)
    end_machine = machine()
    print()
    print("\n".join(lines))
    print(f"\n{mode} mode: {wall:.0f} s wall in all, {jobs} at a time; machine: {end_machine['nproc']} CPUs, "
          f"{end_machine['memory_mb']:,} MB; load average {start_machine['loadavg'][0]:.2f} at the start, "
          f"{end_machine['loadavg'][0]:.2f} at the end (other work inflates wall times)")
    if a.quick:
        print("quick mode: small sizes and two benchmarks side by side — the targets are for the full mode")

    for rep in results.values():
        rep.pop("output", None)
    doc = {"mode": mode, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "wall_seconds": round(wall, 1), "jobs": jobs, "machine": {"start": start_machine, "end": end_machine},
           "benchmarks": results,
           "figures": [{"benchmark": k.split()[0], **f} for k, r in results.items() for f in r.get("figures", [])],
           "table": lines}
    a.json.parent.mkdir(parents=True, exist_ok=True)
    tmp_json = a.json.with_name(a.json.name + ".part")
    tmp_json.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp_json, a.json)
    print(f"results: {a.json}")

    if any("error" in r and not r.get("figures") for r in results.values()):
        return 2
    missed = [f for f in doc["figures"] if f["met"] is False]
    return 1 if missed and not a.quick else 0


if __name__ == "__main__":
    sys.exit(main())
