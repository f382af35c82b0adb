"""Benchmark P8: the avstemming comparison step — vectorised (pandas + rapidfuzz batch) vs row by row.

    python benchmarks/reconcile.py             # 100 000 list rows
    python benchmarks/reconcile.py --quick     # 2 000 rows, one run each (for tests)

The data is made once into a cache folder (``--cache``, default ``$XDG_CACHE_HOME/freg-nb-bench``):
a sandbox fagsystem list (``freg_nb.sandbox.fagsystem``: Oslo's persons two years back, with
drift and typos) and Freg's answers for it — the persons table and each asked id's current
identifier, flattened from bulk answers rendered by the sandbox's ``Population`` and stored as
Parquet (what ``lookup_persons`` leaves behind). Only synthetic people.

Timed: the comparison step after the answers are stored — ``compare.prepare`` (normalising the
list) + ``compare.compare`` (joins, fuzzy scores, categories, reasons). Each variant runs in its own
child process (its peak RSS is its own); the time is the median of ``--repeat`` runs.

Variants:
  vectorised   ``freg_nb.reconcile.compare`` (pandas string ops, rapidfuzz ``cpdist``)
  row-by-row   the same rules in a Python loop per row: ``re`` normalisation, a dict lookup and
               scalar ``rapidfuzz.fuzz`` calls per row (what a hand-written script would do)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("vectorised", "row-by-row")


# ---- data -------------------------------------------------------------------------------
def ensure_data(n: int, cache: Path, seed: int = 1) -> Path:
    """The list (CSV) and the stored answers (Parquet) for ``n`` rows, made once."""
    sys.path.insert(0, str(REPO))
    folder = cache / f"reconcile-{n}-seed{seed}"
    if (folder / "complete").exists():
        return folder
    import orjson

    from freg_nb import ids, tables
    from freg_nb.sandbox.fagsystem import fagsystem_list
    from freg_nb.sandbox.population import Population

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    pop = Population(seed=seed, size=max(30_000, n * 10))     # Oslo holds about 13 % of it
    fl = fagsystem_list(pop, n, kommune="0301", seed=seed)
    (folder / "liste.csv").write_bytes(fl.to_csv_bytes("cp1252"))
    fl.truth.to_parquet(folder / "truth.parquet")
    asked = sorted({s.zfill(11) for s in fl.data["Fødselsnummer"] if s and ids.is_valid(s.zfill(11))})
    raw = folder / "raw"
    raw.mkdir(exist_ok=True)
    for k in range(0, len(asked), 1000):                      # bulk answers as the sandbox writes them
        entries = []
        for s in asked[k:k + 1000]:
            i = pop.index_of(s)
            entries.append({"foedselsEllerDNummer": s, "folkeregisterperson": pop.document(i)} if i is not None
                           else {"foedselsEllerDNummer": s, "feilmelding": {"feilmelding": "Fant ikke person"}})
        (raw / f"bulk-{k // 1000:05d}.json").write_bytes(orjson.dumps({"oppslag": entries}))
    tables.persons_table(raw, show_ids=True).to_parquet(folder / "persons.parquet")
    hist = tables.history_table(raw, "identifikasjonsnummer", show_ids=True)
    hist[hist["erGjeldende"].fillna(False).astype(bool)][["foedselsEllerDNummer", "identifikator"]].to_parquet(
        folder / "current.parquet")
    (folder / "complete").write_text(str(n))
    print(f"made {n:,} list rows and their answers in {time.perf_counter() - t0:.0f} s into {folder}", file=sys.stderr)
    return folder


# ---- the row-by-row baseline ---------------------------------------------------------------
def baseline(table, persons, current) -> list[tuple[str, str]]:
    """The same rules as ``compare``, one row at a time (returns (kategorier, grunn) per row)."""
    import re
    import unicodedata

    from rapidfuzz import fuzz

    from freg_nb import ids
    from freg_nb.reconcile import compare as cmp

    fold_tr = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "ä": "ae", "ö": "o", "ß": "ss"})

    def fold(s):
        s = unicodedata.normalize("NFKD", (s or "").strip().lower().translate(fold_tr))
        s = "".join(c for c in s if not unicodedata.combining(c))
        return re.sub(r"[^a-z0-9]+", " ", s).strip()

    def street(s, endings=True):
        s = fold(s)
        if endings:
            for pat, rep in (("(?:gata|gaten|gate|gt)\\b", "gt"), ("(?:veien|vegen|veg|vei|vn)\\b", "vn"),
                             ("(?:plassen|plass|pl)\\b", "pl"), ("(?:alle|allee)\\b", "alle")):
                s = re.sub(pat, rep, s)
        return s.replace(" ", "")

    by_id = {r["foedselsEllerDNummer"]: r for r in persons.to_dict("records")}
    now = dict(zip(current["foedselsEllerDNummer"], current["identifikator"]))
    c = table.columns
    out, seen = [], set()
    for r in table.data.to_dict("records"):
        ident = re.sub(r"[\s.\-]", "", (r[c["id"]] or "").strip())
        if re.fullmatch(r"\d{10}", ident):
            ident = "0" + ident
        cats, why = [], []
        if not ids.is_valid(ident):
            out.append((cmp.UGYLDIG, "ugyldig"))
            continue
        dup = ident in seen
        seen.add(ident)
        p = by_id.get(ident)
        if p is None:
            out.append((cmp.IKKE_FUNNET, ""))
            continue
        status = (p["status"] or "").lower()
        if status == "doed" or p["doedsdato"] is not None:
            cats.append(cmp.DOED)
        if status == "utflyttet":
            cats.append(cmp.UTVANDRET)
        prot = bool(p["adressebeskyttet"]) or (not p["kommunenummer"] and status == "bosatt")
        if prot:
            cats.append(cmp.BESKYTTET)
        given = fold(r[c["fornavn"]])
        fgiven = fold(f"{p['fornavn'] or ''} {p['mellomnavn'] or ''}")
        gs = fuzz.token_set_ratio(given, fgiven)
        ss = fuzz.ratio(fold(r[c["etternavn"]]), fold(p["etternavn"]))
        m = re.match(r"^(.*?)\s*(\d+)?\s*([A-Za-z])?\s*$", (r[c["adresse"]] or "").split(",")[0].strip())
        gate, nr, bokstav = (m.group(1), m.group(2) or "", (m.group(3) or "").lower()) if m else ("", "", "")
        post = re.sub(r"\D", "", r[c["postnummer"]] or "")
        post = post.zfill(4) if post else ""
        moved = False
        if (gate or post) and not prot and status != "utflyttet" and p["kommunenummer"]:
            sc = max(fuzz.ratio(street(gate), street(p["adressenavn"])),
                     fuzz.ratio(street(gate, False), street(p["adressenavn"], False)))
            same = (sc >= cmp.STREET_THRESHOLD or (not gate and not p["adressenavn"])) \
                and nr.lstrip("0") == (p["husnummer"] or "").lstrip("0") \
                and bokstav in ("", (p["husbokstav"] or "").lower()) and post in ("", p["postnummer"] or "")
            moved = not same
            if moved:
                cats.append(cmp.FLYTTET_INNEN if p["kommunenummer"] == "0301" else cmp.FLYTTET_UT)
        if now.get(ident, ident) != ident:
            cats.append(cmp.NYTT_ID)
        if gs < cmp.NAME_THRESHOLD or ss < cmp.SURNAME_THRESHOLD:
            cats.append(cmp.NYTT_NAVN)
            why.append(f"navnet er endret (likhet {min(gs, ss):.0f})")
        if dup:
            why.append("duplikat")
        out.append((", ".join(x for x in cmp.CATEGORIES if x in cats) or cmp.UENDRET, "; ".join(why)))
    return out


# ---- one variant in a child process ---------------------------------------------------------
def child(variant: str, folder: Path) -> dict:
    sys.path.insert(0, str(REPO))
    import pandas as pd

    from freg_nb.reconcile import compare as cmp
    from freg_nb.reconcile import read_list

    table = read_list(folder / "liste.csv")
    persons = pd.read_parquet(folder / "persons.parquet")
    current = pd.read_parquet(folder / "current.parquet")
    truth = pd.read_parquet(folder / "truth.parquet")
    t0, c0 = time.perf_counter(), time.process_time()
    if variant == "vectorised":
        rows, _ = cmp.compare(cmp.prepare(table), persons, current, kommune="0301")
        got = rows["kategorier"].astype(str).to_numpy()
    elif variant == "row-by-row":
        got = [k for k, _ in baseline(table, persons, current)]
    else:
        raise SystemExit(f"unknown variant {variant}")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    right = float((pd.Series(got) == truth["kategorier"]).mean())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "rows": len(got), "seconds": seconds, "cpu": cpu, "peak_mb": peak, "right": right}


def run_variant(variant: str, folder: Path, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--child", variant, str(folder)], capture_output=True,
                              text=True, cwd=REPO)
        if proc.returncode:
            return {"variant": variant, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"variant": variant, "seconds": statistics.median(r["seconds"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs), "rows": runs[0]["rows"], "right": runs[0]["right"],
            "runs": len(runs)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 000 rows, one run each")
    p.add_argument("--rows", type=int, default=None, help="any other number of list rows")
    p.add_argument("--repeat", type=int, default=None, help="runs per variant (median); default 3, quick 1")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "freg-nb-bench"
    p.add_argument("--cache", type=Path, default=cache)
    p.add_argument("--json", type=Path, default=None, help="also write rows and target checks to this JSON file")
    p.add_argument("--child", nargs=2, metavar=("VARIANT", "FOLDER"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child[0], Path(a.child[1]))))
        return 0
    n = a.rows or (2_000 if a.quick else 100_000)
    repeat = a.repeat or (1 if a.quick else 3)
    folder = ensure_data(n, a.cache)
    print(f"avstemming: comparison step for {n:,} list rows (answers stored); {os.cpu_count()} CPUs; "
          f"median of {repeat}, peak RSS per child process")
    results = [run_variant(v, folder, repeat) for v in VARIANTS]
    ref = next((r for r in results if r["variant"] == "vectorised" and "error" not in r), None)
    print(f"{'variant':<14}{'rows':>10}{'time s':>9}{'cpu s':>8}{'peak MB':>9}{'right %':>9}{'time x':>8}")
    for r in results:
        if "error" in r:
            print(f"{r['variant']:<14}  failed: {r['error']}")
            continue
        tx = f"{r['seconds'] / ref['seconds']:.1f}" if ref else "-"
        print(f"{r['variant']:<14}{r['rows']:>10,}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{r['peak_mb']:>9.0f}"
              f"{100 * r['right']:>9.2f}{tx:>8}")
    print(f"load average now: {os.getloadavg()[0]:.1f} (other work on the machine inflates wall times)")
    if a.json:
        write_report(a.json, n, repeat, results)
    return 0 if all("error" not in r for r in results) else 1


def write_report(path: Path, n: int, repeat: int, results: list[dict]) -> None:
    from _report import figure, write_json

    ok = {r["variant"]: r for r in results if "error" not in r}
    figures = []
    if "vectorised" in ok:
        v, b = ok["vectorised"], ok.get("row-by-row")
        full = n >= 100_000
        figures.append(figure(f"comparison time, {n:,} rows", v["seconds"], "s",
                              baseline=b["seconds"] if b else None, baseline_label="row by row in Python",
                              target=("value", "<=", 2.0) if full else None))
        figures.append(figure(f"comparison peak RSS, {n:,} rows", v["peak_mb"], "MB",
                              baseline=b["peak_mb"] if b else None, baseline_label="row by row in Python",
                              target=("value", "<=", 1024.0) if full else None))
        figures.append(figure(f"comparison CPU time, {n:,} rows", v["cpu"], "s",
                              baseline=b["cpu"] if b else None, baseline_label="row by row in Python",
                              note="wall time on a busy machine overstates the work; CPU seconds do not"))
        figures.append(figure(f"rows in the right category, {n:,} rows", 100 * v["right"], "%",
                              baseline=100 * b["right"] if b else None, baseline_label="row by row in Python",
                              target=("value", ">=", 99.0)))
    write_json(path, "P8", "Avstemming: comparison step, vectorised vs row by row",
               params={"rows": n, "repeat": repeat}, rows=results, figures=figures)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
