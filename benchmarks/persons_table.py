"""Benchmark: the persons table from stored bulk answers — DuckDB engine vs Python baselines.

    python benchmarks/persons_table.py            # 100 000 persons (100 files of 1000)
    python benchmarks/persons_table.py --big      # 1 000 000 persons (baselines skipped unless --baselines)
    python benchmarks/persons_table.py --quick    # 2 000 persons, one run each (for tests)

The synthetic bulk answers are generated once with the sandbox's ``Population`` into a cache
folder (``--cache``, default ``$XDG_CACHE_HOME/freg-nb-bench``); they hold only synthetic people.
Each variant runs in its own child process, so peak memory (``ru_maxrss``) is its own; the
time is the median of ``--repeat`` runs (default 3) and the memory the highest peak seen.

Variants:
  duckdb           ``tables.persons_table`` → pandas DataFrame
  duckdb-parquet   ``tables.to_parquet`` → Parquet file, no pandas
  orjson-dicts     orjson.loads each file, one Python dict per person, DataFrame at the end
  json_normalize   orjson.loads + ``pandas.json_normalize`` + picking current values per row
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATE = date(2025, 1, 1)
PER_FILE = 1000
VARIANTS = ("duckdb", "duckdb-parquet", "orjson-dicts", "json_normalize")


# ---- data -------------------------------------------------------------------------------
CHUNK = 100_000  # one Population per 100 000 persons (it mints unique ids per birth date)


def ensure_data(n: int, cache: Path, seed: int = 1) -> Path:
    """``n`` persons as bulk answers of 1000, generated once (a ``complete`` marker says so).

    Above 100 000, the persons come from several populations (seeds ``seed``, ``seed + 1``, …);
    the first 100 000 are the same persons as the 100 000 data set (hard-linked when present).
    """
    import orjson

    sys.path.insert(0, str(REPO))
    from freg_nb.sandbox.population import Population

    folder = cache / f"persons-{n}-seed{seed}"
    marker = folder / "complete"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for chunk_start in range(0, n, CHUNK):
        size = min(CHUNK, n - chunk_start)
        pop = None
        for start in range(0, size, PER_FILE):
            target = folder / f"bulk-{(chunk_start + start) // PER_FILE:05d}.json"
            if target.exists():
                continue
            same = cache / f"persons-{CHUNK}-seed{seed}" / target.name
            if n > CHUNK and chunk_start == 0 and (same.parent / "complete").exists():
                os.link(same, target)
                continue
            if pop is None:
                pop = Population(seed=seed + chunk_start // CHUNK, size=size, reference_date=REFERENCE_DATE)
            oppslag = [{"foedselsEllerDNummer": pop.identifier(i),
                        "folkeregisterperson": pop.document(i, parts=None, med_hjemmel=True, historikk=False)}
                       for i in range(start, min(start + PER_FILE, size))]
            tmp = target.with_suffix(".part")
            tmp.write_bytes(orjson.dumps({"oppslag": oppslag}))
            os.replace(tmp, target)
    marker.write_text(str(n))
    print(f"generated {n} persons in {time.perf_counter() - t0:.0f} s into {folder}", file=sys.stderr)
    return folder


# ---- baselines (a dict per person, on purpose) ------------------------------------------
def _current(versions):
    if not isinstance(versions, list):
        return None
    for v in versions:
        if v.get("erGjeldende"):
            return v
    for v in versions:
        if v.get("erGjeldende") is None and not v.get("opphoerstidspunkt"):
            return v
    return None


def _row(ident: str, doc: dict) -> dict:
    g = lambda el: _current(doc.get(el)) or {}  # noqa: E731
    adr = g("bostedsadresse") or g("oppholdsadresse")
    veg = adr.get("vegadresse") or {}
    mat = adr.get("matrikkeladresse") or {}
    ps = veg.get("poststed") or mat.get("poststed") or {}
    return {
        "foedselsEllerDNummer": ident[:6] + "*****", "status": g("status").get("status"),
        "kjoenn": g("kjoenn").get("kjoenn"), "foedselsdato": g("foedsel").get("foedselsdato"),
        "fornavn": g("navn").get("fornavn"), "etternavn": g("navn").get("etternavn"),
        "sivilstand": g("sivilstand").get("sivilstand"),
        "kommunenummer": veg.get("kommunenummer") or (mat.get("matrikkelnummer") or {}).get("kommunenummer"),
        "adressenavn": veg.get("adressenavn"),
        "postnummer": ps.get("postnummer") if isinstance(ps, dict) else None,
        "poststed": ps.get("poststedsnavn") if isinstance(ps, dict) else ps,
        "adressebeskyttelse": g("adressebeskyttelse").get("graderingsnivaa"),
    }


def baseline_orjson(folder: Path):
    import orjson
    import pandas as pd

    rows = []
    for f in sorted(folder.glob("*.json")):
        for e in orjson.loads(f.read_bytes()).get("oppslag", []):
            if "folkeregisterperson" in e:
                rows.append(_row(e["foedselsEllerDNummer"], e["folkeregisterperson"]))
    return pd.DataFrame(rows)


def baseline_json_normalize(folder: Path):
    import orjson
    import pandas as pd

    entries = []
    for f in sorted(folder.glob("*.json")):
        entries.extend(orjson.loads(f.read_bytes()).get("oppslag", []))
    flat = pd.json_normalize(entries)  # element lists stay as list cells
    out = pd.DataFrame({"foedselsEllerDNummer": flat["foedselsEllerDNummer"].str.slice(0, 6) + "*****"})
    for element, field in (("status", "status"), ("kjoenn", "kjoenn"), ("foedsel", "foedselsdato"),
                           ("navn", "fornavn"), ("navn", "etternavn"), ("sivilstand", "sivilstand"),
                           ("adressebeskyttelse", "graderingsnivaa")):
        col = f"folkeregisterperson.{element}"
        if col in flat:
            out[field] = flat[col].map(lambda vs, f=field: (_current(vs) or {}).get(f))
    if "folkeregisterperson.bostedsadresse" in flat:
        adr = pd.json_normalize(flat["folkeregisterperson.bostedsadresse"].map(lambda vs: _current(vs) or {}).tolist())
        for c in ("vegadresse.kommunenummer", "vegadresse.adressenavn", "vegadresse.poststed.postnummer"):
            if c in adr:
                out[c.split(".")[-1]] = adr[c].to_numpy()
    return out


# ---- child process ----------------------------------------------------------------------
def child(variant: str, folder: Path) -> dict:
    sys.path.insert(0, str(REPO))
    import pandas  # noqa: F401  (imported before timing in every variant alike)

    from freg_nb import tables

    start = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = start.ru_utime + start.ru_stime
    t0 = time.perf_counter()
    if variant == "duckdb":
        rows = len(tables.persons_table(folder, reference_date=REFERENCE_DATE))
    elif variant == "duckdb-parquet":
        with tempfile.TemporaryDirectory() as tmp:
            out = tables.to_parquet(folder, Path(tmp) / "p.parquet", reference_date=REFERENCE_DATE)
            import pyarrow.parquet as pq
            rows = pq.ParquetFile(out).metadata.num_rows
    elif variant == "orjson-dicts":
        rows = len(baseline_orjson(folder))
    elif variant == "json_normalize":
        rows = len(baseline_json_normalize(folder))
    else:
        raise SystemExit(f"unknown variant {variant}")
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    peak_mb = usage.ru_maxrss / 1024  # KB on Linux
    return {"variant": variant, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "rows": rows}


def run_variant(variant: str, folder: Path, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--child", variant, str(folder)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return {"variant": variant, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"variant": variant, "seconds": statistics.median(r["seconds"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs), "rows": runs[0]["rows"], "runs": len(runs)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="2 000 persons, one run each")
    size.add_argument("--big", action="store_true", help="1 000 000 persons")
    p.add_argument("--persons", type=int, default=None, help="any other number of persons")
    p.add_argument("--repeat", type=int, default=None, help="runs per variant (median); default 3, quick 1")
    p.add_argument("--baselines", action="store_true", help="run the Python baselines with --big too")
    p.add_argument("--variants", default=None, help="comma-separated subset of " + ",".join(VARIANTS))
    p.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "freg-nb-bench")
    p.add_argument("--json", type=Path, default=None, help="also write rows and target checks to this JSON file")
    p.add_argument("--child", nargs=2, metavar=("VARIANT", "FOLDER"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child[0], Path(a.child[1]))))
        return 0

    n = a.persons or (2_000 if a.quick else 1_000_000 if a.big else 100_000)
    repeat = a.repeat or (1 if a.quick else 3)
    variants = a.variants.split(",") if a.variants else list(VARIANTS)
    if a.big and not a.baselines:
        variants = [v for v in variants if v.startswith("duckdb")]
    folder = ensure_data(n, a.cache)
    size_mb = sum(f.stat().st_size for f in folder.glob("*.json")) / 2**20
    print(f"persons table from {n:,} stored persons ({len(list(folder.glob('*.json')))} files, "
          f"{size_mb:,.0f} MB JSON); {os.cpu_count()} CPUs; median of {repeat}, peak RSS per child process")
    results = [run_variant(v, folder, repeat) for v in variants]
    ref = next((r for r in results if r["variant"] == "duckdb" and "error" not in r), None)
    print(f"{'variant':<16}{'rows':>10}{'time s':>9}{'cpu s':>8}{'peak MB':>9}{'time x':>8}{'mem x':>7}")
    for r in results:
        if "error" in r:
            print(f"{r['variant']:<16}  failed: {r['error']}")
            continue
        tx = f"{r['seconds'] / ref['seconds']:.1f}" if ref else "-"
        mx = f"{r['peak_mb'] / ref['peak_mb']:.1f}" if ref else "-"
        print(f"{r['variant']:<16}{r['rows']:>10,}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{r['peak_mb']:>9.0f}{tx:>8}{mx:>7}")
    print(f"load average now: {os.getloadavg()[0]:.1f} (other work on the machine inflates wall times)")
    if a.big and not a.baselines:
        print("(Python baselines skipped at 1 000 000: they need tens of GB; add --baselines to try)")
    if a.json:
        write_report(a.json, n, repeat, results)
    return 0 if all("error" not in r for r in results) else 1


def write_report(path: Path, n: int, repeat: int, results: list[dict]) -> None:
    """The machine-readable output (``--json``): DuckDB beside each Python baseline, time and peak RSS."""
    from _report import figure, write_json

    ok = {r["variant"]: r for r in results if "error" not in r}
    figures = []
    for engine in ("duckdb", "duckdb-parquet"):
        if engine not in ok:
            continue
        e = ok[engine]
        # DuckDB to pandas beside both baselines; DuckDB to Parquet beside the dict-per-person one
        base = [b for b in (("orjson-dicts", "json_normalize") if engine == "duckdb" else ("orjson-dicts",))
                if b in ok]
        for b in base:  # the engine must beat a dict per person on both counts
            figures.append(figure(f"{engine} time, {n:,} persons", e["seconds"], "s", baseline=ok[b]["seconds"],
                                  baseline_label=b, target=("ratio", "<=", 1.0)))
            figures.append(figure(f"{engine} peak RSS, {n:,} persons", e["peak_mb"], "MB",
                                  baseline=ok[b]["peak_mb"], baseline_label=b, target=("ratio", "<=", 1.0)))
        # the absolute targets: ≤ 2 s and ≤ 1 GB at 100 000; ≤ 1.5 GB at 1 000 000
        if n >= 1_000_000:
            figures.append(figure(f"{engine} time, {n:,} persons", e["seconds"], "s"))
            figures.append(figure(f"{engine} peak RSS, {n:,} persons", e["peak_mb"], "MB",
                                  target=("value", "<=", 1536.0)))
        elif n >= 100_000:
            figures.append(figure(f"{engine} time, {n:,} persons", e["seconds"], "s", target=("value", "<=", 2.0)))
            figures.append(figure(f"{engine} peak RSS, {n:,} persons", e["peak_mb"], "MB",
                                  target=("value", "<=", 1024.0)))
    write_json(path, "P1", "persons table from stored bulk answers",
               params={"persons": n, "repeat": repeat}, rows=results, figures=figures)


if __name__ == "__main__":
    sys.exit(main())
