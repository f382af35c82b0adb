"""Benchmark P4: every notebook in ``notebooks/`` executed headless with papermill against the in-process
sandbox (the same ``freg_nb.demo.run_notebook`` that ``freg-nb demo`` uses), seconds each and in all,
beside a baseline: an empty notebook (one ``pass`` cell) — the kernel start-up and papermill's own
overhead — so the ratio shows what the notebooks themselves cost.

    .venv/bin/python benchmarks/notebooks.py                 # median of 3 runs per notebook
    .venv/bin/python benchmarks/notebooks.py --quick         # one run each
    .venv/bin/python benchmarks/notebooks.py --json out.json 01_oppslag

Each run is one child process (papermill + the kernel it starts), forked from this one after papermill
and nbconvert are imported (their ~4 s import is paid once, not per run), with a fresh private data
folder, so no run resumes an extract or a feed checkpoint of an earlier one; the sandbox's PKI is
created once beforehand and copied in (a one-time cost of the first start, not the notebooks'). Peak
memory is the kernel's (``ru_maxrss`` of the child's reaped children). Runs go round-robin over the notebooks, so a
busy moment on the machine does not land on one notebook only. Targets: ≤ 30 s each, ≤ 2 min in all.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EACH_S, ALL_S = 30.0, 120.0
BASELINE = "empty notebook"


def child(path: Path, out: Path, data_dir: Path) -> dict:
    """One papermill run in this process (the caller made it a fresh one)."""
    from freg_nb.demo import run_notebook, sandbox_environment

    os.environ.update(sandbox_environment(data_dir))
    run = run_notebook(path, out)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": run.seconds, "ok": run.ok, "error": run.error,
            "kernel_peak_mb": kids.ru_maxrss / 1024, "runner_peak_mb": me.ru_maxrss / 1024,
            "kernel_cpu": kids.ru_utime + kids.ru_stime}


def empty_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("pass")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "tom.ipynb"
    nbformat.write(nb, path)
    return path


def _forked(conn, path: Path, out: Path, data: Path) -> None:
    try:
        conn.send(child(path, out, data))
    except BaseException as exc:  # noqa: BLE001 - reported as a failed run
        conn.send({"seconds": None, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def run_once(path: Path, tmp: Path, template: Path, k: int) -> dict:
    data = tmp / f"data-{k}"
    shutil.copytree(template, data)  # copy2 keeps the 0700/0600 modes
    out = tmp / f"out-{k}"
    ctx = multiprocessing.get_context("fork")  # a fresh process that already has papermill imported
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_forked, args=(send, path, out, data))
    proc.start()
    send.close()
    try:
        result = recv.recv()
    except EOFError:
        result = {"seconds": None, "ok": False, "error": f"the run's process died (exit code {proc.exitcode})"}
    proc.join()
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="stems or paths; default every notebook in notebooks/")
    ap.add_argument("--quick", action="store_true", help="one run each")
    ap.add_argument("--repeat", type=int, default=None, help="runs per notebook (median); default 3, quick 1")
    ap.add_argument("--json", type=Path, default=None, help="also write rows and target checks to this JSON file")
    a = ap.parse_args(argv)

    import nbconvert  # noqa: F401  (imported once here; every forked run has them)
    import papermill  # noqa: F401

    from freg_nb.demo import find_notebooks
    from freg_nb.sandbox.pki import load_or_create

    repeat = a.repeat or (1 if a.quick else 3)
    paths = find_notebooks(a.notebooks or None)
    with tempfile.TemporaryDirectory(prefix="freg-nb-bench-nb-") as tmp_name:
        tmp = Path(tmp_name)
        template = tmp / "template"
        template.mkdir(mode=0o700)
        load_or_create(template)
        runs: dict[str, list[dict]] = {BASELINE: []} | {p.stem: [] for p in paths}
        todo = [(BASELINE, empty_notebook(tmp))] + [(p.stem, p) for p in paths]
        k = 0
        t0 = time.perf_counter()
        for _ in range(repeat):
            for name, path in todo:
                runs[name].append(run_once(path, tmp, template, k))
                k += 1
        wall = time.perf_counter() - t0

    rows = []
    for name, rs in runs.items():
        good = [r for r in rs if r.get("ok")]
        rows.append({"notebook": name, "runs": len(rs), "ok": len(good) == len(rs),
                     "error": next((r["error"] for r in rs if not r.get("ok")), None),
                     "seconds": statistics.median(r["seconds"] for r in good) if good else None,
                     "kernel_cpu": statistics.median(r["kernel_cpu"] for r in good) if good else None,
                     "kernel_peak_mb": max(r["kernel_peak_mb"] for r in good) if good else None,
                     "all_seconds": [r.get("seconds") for r in rs]})
    base = rows[0]
    print(f"notebooks executed headless with papermill against the sandbox; median of {repeat}, "
          f"{os.cpu_count()} CPUs, one child process and a fresh data folder per run")
    print(f"{'notebook':<26}{'time s':>8}{'kernel cpu s':>13}{'peak MB':>9}{'x empty':>9}  result")
    for r in rows:
        if r["seconds"] is None:
            print(f"{r['notebook']:<26}  failed: {r['error']}")
            continue
        x = f"{r['seconds'] / base['seconds']:.1f}" if base["seconds"] else "-"
        verdict = "baseline" if r is base else ("ok" if r["ok"] and r["seconds"] <= EACH_S else
                                                 "ABOVE 30 s" if r["ok"] else f"ERROR {r['error']}")
        print(f"{r['notebook']:<26}{r['seconds']:>8.1f}{r['kernel_cpu']:>13.1f}{r['kernel_peak_mb']:>9.0f}{x:>9}  {verdict}")
    nbs = rows[1:]
    total = sum(r["seconds"] for r in nbs) if all(r["seconds"] is not None for r in nbs) else None
    all_ok = all(r["ok"] for r in rows)
    if total is not None:
        print(f"{'all ' + str(len(nbs)) + ' notebooks':<26}{total:>8.1f}{'':>13}{'':>9}"
              f"{total / (base['seconds'] * len(nbs)) if base['seconds'] else 0:>9.1f}  "
              f"{'ok' if total <= ALL_S and all_ok else 'MISSED (≤ 120 s, all ok)'}")
    print(f"benchmark wall time {wall:.0f} s; load average now: {os.getloadavg()[0]:.1f}")

    if a.json:
        from _report import figure, write_json

        figures = []
        for r in nbs:
            f = figure(f"notebook {r['notebook']}", r["seconds"], "s", baseline=base["seconds"],
                       baseline_label=BASELINE, target=("value", "<=", EACH_S),
                       note=None if r["ok"] else f"failed: {r['error']}")
            f["met"] = bool(f["met"]) and r["ok"]
            figures.append(f)
            figures.append(figure(f"kernel peak RSS {r['notebook']}", r["kernel_peak_mb"], "MB",
                                  baseline=base["kernel_peak_mb"], baseline_label=BASELINE))
        f = figure(f"all {len(nbs)} notebooks", total, "s",
                   baseline=base["seconds"] * len(nbs) if base["seconds"] else None,
                   baseline_label=f"{len(nbs)} × {BASELINE}", target=("value", "<=", ALL_S))
        f["met"] = bool(f["met"]) and all_ok
        figures.append(f)
        write_json(a.json, "P4", "notebooks headless with papermill",
                   params={"repeat": repeat, "notebooks": [p.stem for p in paths]}, rows=rows, figures=figures)
    return 0 if all_ok and total is not None and total <= ALL_S and all(r["seconds"] <= EACH_S for r in nbs) else 1


if __name__ == "__main__":
    sys.exit(main())
