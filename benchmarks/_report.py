"""Machine-readable benchmark output, shared by the scripts in ``benchmarks/`` (``--json PATH``) and
read back by ``benchmarks/run.py``.

One file per script run::

    {"benchmark": "P2", "title": "...", "params": {...}, "machine": {...},
     "rows": [...the script's own measurements...],
     "figures": [{"name": ..., "value": 1.2, "unit": "s", "baseline": 9.8, "baseline_label": ...,
                  "ratio": 0.12, "target": "ratio ≤ 1", "met": true, "note": ...}, ...]}

``ratio`` is always value / baseline. A target is checked either on the value or on the ratio;
a figure without a target is informational (``met`` is null).
"""
from __future__ import annotations

import json
import operator
import os
import platform
import resource
import sys
from pathlib import Path

_OPS = {"<=": (operator.le, "≤"), ">=": (operator.ge, "≥")}


def figure(name: str, value: float | None, unit: str, *, baseline: float | None = None,
           baseline_label: str | None = None, target: tuple[str, str, float] | None = None,
           note: str | None = None) -> dict:
    """One figure beside its baseline. ``target`` = (``"value"`` | ``"ratio"``, ``"<="`` | ``">="``, bound)."""
    ratio = value / baseline if value is not None and baseline not in (None, 0) else None
    met = None
    text = None
    if target is not None:
        on, op, bound = target
        fn, sym = _OPS[op]
        subject = value if on == "value" else ratio
        met = bool(fn(subject, bound)) if subject is not None else False
        text = f"{sym} {bound:g} {unit}" if on == "value" else f"ratio {sym} {bound:g}"
    return {"name": name, "value": value, "unit": unit, "baseline": baseline,
            "baseline_label": baseline_label, "ratio": ratio, "target": text, "met": met, "note": note}


def machine() -> dict:
    """What the figures were measured on (the load average says how busy the machine was)."""
    mem_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "memory_mb": mem_mb, "loadavg": list(os.getloadavg()),
            "python": sys.version.split()[0], "platform": platform.platform()}


def cpu_seconds() -> dict:
    """CPU seconds of this process and of its waited-for children so far."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": round(me.ru_utime + me.ru_stime, 2), "children": round(kids.ru_utime + kids.ru_stime, 2)}


def write_json(path: str | os.PathLike, benchmark: str, title: str, *, params: dict, rows: list,
               figures: list[dict]) -> Path:
    """Write the report atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": benchmark, "title": title, "params": params, "machine": machine(),
           "cpu_seconds": cpu_seconds(), "rows": rows, "figures": figures}
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path
