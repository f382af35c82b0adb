"""The benchmark kit keeps working: ``benchmarks/run.py --quick`` runs every benchmark (P1–P8) and reports numeric figures
beside numeric baselines. It does not judge the targets: those are for the full mode on an idle machine."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from run import BENCHMARKS  # noqa: E402

QUICK = {k for k, (_script, _full, quick) in BENCHMARKS.items() if quick is not None}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@pytest.mark.slow
def test_quick_benchmarks_report_every_figure_beside_its_baseline(tmp_path):
    out = tmp_path / "benchmarks.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["mode"] == "quick"
    assert set(doc["benchmarks"]) == QUICK
    for key, rep in doc["benchmarks"].items():
        assert "error" not in rep, (key, rep.get("error"))
        figures = rep["figures"]
        assert figures, key
        for f in figures:
            assert _number(f["value"]) and _number(f["baseline"]) and _number(f["ratio"]), (key, f)
            assert f["met"] in (True, False, None) and (f["target"] is None) == (f["met"] is None), (key, f)
        assert any(f["target"] for f in figures), f"{key} checks no target"
    # the printed table names every benchmark, and the flat list matches the per-benchmark figures
    assert {line.split()[0] for line in doc["table"][2:]} == QUICK
    assert len(doc["figures"]) == sum(len(r["figures"]) for r in doc["benchmarks"].values())
    assert doc["machine"]["start"]["nproc"] >= 1
    # every notebook ran, and its kernel's memory was measured
    p4 = {r["notebook"]: r for r in doc["benchmarks"]["P4"]["rows"]}
    notebooks = {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}
    assert notebooks <= set(p4) and all(p4[n]["ok"] and p4[n]["kernel_peak_mb"] > 0 for n in notebooks)
