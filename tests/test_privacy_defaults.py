"""Privacy by default, checked through the public functions against the sandbox (issue 8).

One module-wide run (a lookup with protected persons, a tailored extract, an event feed read and
their exports) under a permissive umask; the tests then check what users rely on: masked ids by
default, small cells suppressed so they cannot be recomputed, protected addresses never shown or
exported, a 0700/0600 private folder that `freg-nb purge` empties, and the audit log.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

import freg_nb
from freg_nb import FregClient, Settings, audit as _audit, ids as _ids
from freg_nb.errors import InputError
from freg_nb.events import event_changes, read_events
from freg_nb.lookups import lookup_person, lookup_persons
from freg_nb.store import DataDir
from test_privacy_attack import _assert_protected, _publish

REPO = Path(__file__).resolve().parents[1]
MASKED = re.compile(r"^\d{6}\*{5}$")
ID11 = re.compile(r"(?<![0-9a-fA-F])\d{11}(?![0-9a-fA-F])")  # not digits inside a hex hash or document id
PURPOSE = "personvern-test"


def _full_ids_in(text: str) -> set[str]:
    return {m for m in ID11.findall(text) if _ids.is_valid(m)}


def _frame_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False) + df.to_html() + repr(df)


class Flows:
    pass


@pytest.fixture(scope="module")
def flows(sandbox, tmp_path_factory):
    """Real flows into a fresh private data folder, with umask 000 (modes must not depend on it)."""
    pop = sandbox.population
    f = Flows()
    f.data = tmp_path_factory.mktemp("privacy") / "data"
    f.protected = [pop.identifier(int(i)) for i in np.flatnonzero(pop.prot > 0)]
    f.fortrolig = [pop.identifier(int(i)) for i in np.flatnonzero(pop.prot == 1)]
    assert f.fortrolig and len(f.protected) > len(f.fortrolig), "the sandbox population needs both grades"
    f.plain = [pop.identifier(i) for i in range(12) if pop.prot[i] == 0][:8]
    f.lookup_ids = f.protected + f.plain
    old = os.umask(0)
    try:
        f.client = FregClient(Settings.for_sandbox(sandbox, data_dir=f.data), progress=False)
        fc = f.client
        f.lookup = lookup_persons(fc, f.lookup_ids, role="barnevern", purpose=PURPOSE, progress=False)
        f.lookup_full = lookup_persons(fc, f.lookup_ids, role="barnevern", purpose=PURPOSE, progress=False,
                                       show_ids=True)
        f.one = lookup_person(fc, f.fortrolig[0], role="barnevern", history=True, purpose=PURPOSE)
        f.lookup_exports = f.lookup.export(["csv", "xlsx", "parquet"], name="oppslag-test")
        f.audit_before_extract = len(DataDir(f.data).audit_log_path.read_text().splitlines())
        f.extract = freg_nb.read_tailored_extract(
            fc, role="analyse", foedselsaarFraOgMed=1975, foedselsaarTilOgMed=2015, progress=False,
            name="personvern", purpose=PURPOSE)
        f.extract_full = freg_nb.read_tailored_extract(
            fc, role="analyse", foedselsaarFraOgMed=1975, foedselsaarTilOgMed=2015, progress=False,
            name="personvern", show_ids=True)
        f.extract_exports = freg_nb.export_extract(fc, "personvern", formats=["parquet", "csv", "xlsx"])
        f.events = read_events(fc, roles="analyse", progress=False)
        f.events_full = read_events(fc, roles="analyse", progress=False, show_ids=True)
        f.changes = event_changes(fc, role="analyse", sample=400)
        f.changes_sample_size = 400
    finally:
        os.umask(old)
    yield f
    f.client.close()


# ---- 1. masking ------------------------------------------------------------------------------------
def test_lookup_tables_are_masked_by_default_and_full_only_on_request(flows):
    res = flows.lookup
    assert len(res.persons) == len(flows.lookup_ids)
    assert res.persons["foedselsEllerDNummer"].map(lambda s: bool(MASKED.match(s))).all()
    shown = [_frame_text(res.persons), _frame_text(res.relations), res._repr_html_(), repr(res),
             repr(res.person_labels()), _frame_text(flows.one.persons),
             _frame_text(flows.one.history("bostedsadresse")), flows.one._repr_html_()]
    for text in shown:
        assert not _full_ids_in(text)
    assert set(flows.lookup_full.persons["foedselsEllerDNummer"]) == set(flows.lookup_ids)


def test_extract_and_events_are_masked_by_default(flows):
    assert len(flows.extract) > 100
    assert flows.extract["foedselsEllerDNummer"].map(lambda s: bool(MASKED.match(s))).all()
    assert not _full_ids_in(_frame_text(flows.extract))
    full = flows.extract_full["foedselsEllerDNummer"]
    assert full.map(_ids.is_valid).all()
    assert [s[:6] + "*****" for s in sorted(full)] == sorted(flows.extract["foedselsEllerDNummer"])
    ev = flows.events["folkeregisteridentifikator"].dropna()
    assert len(ev) and ev.map(lambda s: bool(MASKED.match(s))).all()
    assert not _full_ids_in(_frame_text(flows.events))
    assert flows.events_full["folkeregisteridentifikator"].dropna().map(_ids.is_valid).all()


def test_default_exports_hold_masked_ids_only(flows):
    for path in [*flows.lookup_exports.values(), *flows.extract_exports.values()]:
        text = _readable(path)
        assert not _full_ids_in(text), path.name
        assert re.search(r"\d{6}\*{5}", text), path.name


def test_aggregates_never_carry_identifiers(flows):
    for by in ("foedselsEllerDNummer", ["kjoenn", "foedselsEllerDNummer"]):
        with pytest.raises(InputError, match="fødselsnummer"):
            freg_nb.summarize_extract(flows.extract_full, by=by)
    for by in ("kommunenummer", "aldersgruppe", ["kommunenummer", "kjoenn"]):
        assert not _full_ids_in(_frame_text(freg_nb.summarize_extract(flows.extract_full, by=by)))


# ---- 2. small cells --------------------------------------------------------------------------------
def _true_counts(df: pd.DataFrame, dims: list[str]) -> pd.Series:
    frame = pd.DataFrame({d: df[d].astype("object").where(df[d].notna(), "uoppgitt").astype(str) for d in dims})
    return frame.groupby(dims).size()


def test_extract_summary_by_kommune_suppresses_small_groups_and_totals_cannot_reveal_them(flows):
    df = flows.extract_full
    table = freg_nb.summarize_extract(df, by="kommunenummer")
    truth = _true_counts(df, ["kommunenummer"])
    got = table.set_index("kommunenummer")["antall"]
    small = truth[(truth > 0) & (truth < 5)]
    assert len(small) >= 2, "the extract should have tiny municipalities to test with"
    # tiny municipalities are not listed one by one (the list would reveal them): merged into "andre"
    assert not set(small.index) & set(got.index) and "andre" in got.index
    assert "vises ikke av personvernhensyn" in table._repr_html_().lower()
    visible = got[(got != ":") & ~got.index.isin(["andre", "uoppgitt"])].astype(int)
    assert (visible == truth[visible.index]).all()          # what is shown is true ...
    shown = got[got != ":"].astype(int)
    assert not ((shown > 0) & (shown < 5)).any()            # ... and never a small count
    _assert_protected(_publish(df, [["kommunenummer"]]), len(df))


def test_two_way_summary_is_safe_with_its_margins_and_the_size(flows):
    df = flows.extract_full
    table = freg_nb.summarize_extract(df, by=["kommunenummer", "kjoenn"])
    assert (table["antall"] == ":").any()
    _assert_protected(_publish(df, [["kommunenummer"], ["kjoenn"], ["kommunenummer", "kjoenn"]]), len(df))


def test_threshold_comes_from_FREG_NB_SMALL_CELL(flows, monkeypatch):
    monkeypatch.setenv("FREG_NB_SMALL_CELL", "10")
    table = freg_nb.summarize_extract(flows.extract_full, by="kommunenummer")
    assert (table["antall"] == ":").any() and not table["antall"].str.startswith("<").any()
    shown = table.loc[table["antall"] != ":", "antall"].astype(int)
    assert not ((shown > 0) & (shown < 10)).any()
    monkeypatch.setenv("FREG_NB_SMALL_CELL", "1")
    with pytest.raises(InputError, match="minst 3"):
        freg_nb.summarize_extract(flows.extract_full, by="kommunenummer")


def test_event_drill_down_goes_through_suppression(flows):
    from scipy.optimize import linprog

    wide = flows.changes
    assert len(wide) > 3 and "personvernhensyn" in wide.attrs["fotnote"]
    shown = wide.astype(str).to_numpy()
    assert (shown == ":").any()
    numbers = np.array([int(v) for v in shown.ravel() if v != ":"])
    assert not ((numbers > 0) & (numbers < 5)).any()
    # the attacker: visible cells, the sample's size, kind ≤ sample ≤ sum of kinds per row
    rows, cols = shown.shape
    s_col = list(wide.columns).index("sample")
    kinds = [c for c in range(cols) if c != s_col]
    n = rows * cols
    var = lambda r, c: r * cols + c  # noqa: E731
    hidden = shown == ":"
    eq, beq, ub, bub = [], [], [], []
    for r in range(rows):
        for c in range(cols):
            if not hidden[r, c]:
                eq.append(np.eye(n)[var(r, c)])
                beq.append(float(shown[r, c]))
        for c in kinds:
            row = np.zeros(n)
            row[var(r, c)], row[var(r, s_col)] = 1, -1
            ub.append(row)
            bub.append(0.0)
        row = np.zeros(n)
        row[var(r, s_col)] = 1
        row[[var(r, c) for c in kinds]] = -1
        ub.append(row)
        bub.append(0.0)
    total = np.zeros(n)
    total[[var(r, s_col) for r in range(rows)]] = 1
    eq.append(total)
    beq.append(float(flows.changes_sample_size))
    for r, c in zip(*np.nonzero(hidden)):
        obj = np.eye(n)[var(r, c)]
        lo = linprog(obj, A_ub=np.array(ub), b_ub=bub, A_eq=np.array(eq), b_eq=beq, method="highs")
        hi = linprog(-obj, A_ub=np.array(ub), b_ub=bub, A_eq=np.array(eq), b_eq=beq, method="highs")
        assert lo.status == 0 and hi.status in (0, 3)
        assert hi.status == 3 or -hi.fun - lo.fun >= 5 - 1e-9, (wide.index[r], wide.columns[c])


# ---- 3. address protection -------------------------------------------------------------------------
_SHOWN_ADDRESS = [c for c in ("kommunenummer", "kommunenavn", "adressenavn", "husnummer", "husbokstav",
                              "postnummer", "poststed", "grunnkretsnummer", "adressetype")]


def _protected_rows_are_blank(df: pd.DataFrame, n_expected: int | None = None) -> None:
    flag = df["adressebeskyttet"].astype("boolean").fillna(False).astype(bool)
    if n_expected is not None:
        assert flag.sum() == n_expected
    assert flag.any(), "no protected person in this table: the check would prove nothing"
    cols = [c for c in _SHOWN_ADDRESS if c in df.columns]
    assert "adressenavn" in cols and "postnummer" in cols
    blank = df.loc[flag, cols].replace("", pd.NA).isna().all()
    assert blank.all(), f"address values of protected persons shown: {list(blank[~blank].index)}"
    assert df.loc[~flag, "postnummer"].notna().any()  # the others do have addresses


def test_protected_persons_have_no_address_in_lookups_and_history(flows, sandbox):
    # the raw answer (private store) does hold the fortrolig person's street: the blanking is real work
    doc = sandbox.population.document(sandbox.population.index_of(flows.fortrolig[0]), parts=None,
                                      med_hjemmel=True, historikk=False)
    street = doc["bostedsadresse"][0]["vegadresse"]["adressenavn"]
    raw = b"".join(p.read_bytes() for p in flows.one.raw_dir.glob("*.json"))
    assert street.encode() in raw
    _protected_rows_are_blank(flows.lookup.persons, len(flows.protected))
    _protected_rows_are_blank(flows.lookup_full.persons, len(flows.protected))
    one = flows.one
    assert one.persons["adressebeskyttet"].all()
    assert street not in _frame_text(one.persons)
    hist = one.history("bostedsadresse")
    assert len(hist) and street not in _frame_text(hist)
    assert street not in one._repr_html_()


def test_protected_persons_have_no_address_in_extracts_exports_or_small_area_counts(flows):
    df = flows.extract_full
    _protected_rows_are_blank(df)
    flag = df["adressebeskyttet"].astype(bool)
    for by in ("postnummer", "grunnkretsnummer"):
        table = freg_nb.summarize_extract(df, by=by)
        truth = _true_counts(df, [by])
        # protected persons are only in the "uoppgitt" group, never in a small area
        assert truth.get("uoppgitt", 0) >= flag.sum()
        assert truth.drop("uoppgitt", errors="ignore").sum() == (~flag & df[by].notna()).sum()
        assert "uoppgitt" in set(table[by])
    for path in [*flows.lookup_exports.values(), *flows.extract_exports.values()]:
        _protected_rows_are_blank(_read_export(path))


# ---- 4. the private data folder --------------------------------------------------------------------
def test_every_folder_is_0700_and_every_file_0600_after_real_flows(flows):
    seen = {"dirs": 0, "files": 0}
    kinds = set()
    for root, dirs, files in os.walk(flows.data):
        for d in dirs:
            assert stat.S_IMODE(os.stat(Path(root, d)).st_mode) == 0o700, Path(root, d)
        for f in files:
            p = Path(root, f)
            assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
            kinds.add(p.suffix)
            seen["files"] += 1
        seen["dirs"] += 1
    assert stat.S_IMODE(os.stat(flows.data).st_mode) == 0o700
    # the walk covered raw answers, Parquet, checkpoints, exports and the audit log
    assert {".json", ".parquet", ".csv", ".xlsx", ".log"} <= kinds and seen["files"] > 10


def test_default_location_is_outside_the_repository(monkeypatch, tmp_path):
    from freg_nb.store import default_data_dir

    for var in ("FREG_NB_DATA_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(REPO)
    for path in (default_data_dir(), Settings().data_dir, freg_nb.load_settings(environ={}).data_dir):
        path = Path(path).absolute()
        assert REPO not in path.parents and path != REPO
        assert not (REPO / ".git").exists() or not str(path).startswith(str(REPO))


@pytest.fixture
def copy_of_data(flows, tmp_path):
    dst = tmp_path / "kopi"
    shutil.copytree(flows.data, dst)
    return dst


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_purge_dry_run_lists_and_confirmation_is_asked(copy_of_data, monkeypatch, capsys):
    from freg_nb.cli import main

    root = copy_of_data
    monkeypatch.setenv("FREG_NB_DATA_DIR", str(root))
    before = _files(root)
    assert main(["purge", "--dry-run"]) == 0
    listed = capsys.readouterr().out
    data_files = before - {"audit.log"}
    assert all(f in listed for f in data_files) and _files(root) == before   # listed, nothing deleted

    monkeypatch.setattr(sys, "stdin", io.StringIO("nei\n"))
    assert main(["purge"]) == 1
    out = capsys.readouterr().out
    assert "confirm" in out and "Nothing deleted" in out and _files(root) == before

    monkeypatch.setattr(sys, "stdin", io.StringIO("ja\n"))
    assert main(["purge"]) == 0
    assert _files(root) == {"audit.log"}  # personal data gone; the pseudonymised audit trail kept
    assert not any(p.is_dir() for p in root.iterdir())


def test_old_data_notice_names_the_files_and_the_purge_command(copy_of_data, sandbox, monkeypatch):
    from freg_nb import _connect

    store = DataDir(copy_of_data)
    assert store.old_data_notice(30) is None
    old = time.time() - 40 * 86400
    parquet = next(copy_of_data.rglob("*.parquet"))
    os.utime(parquet, (old, old))
    notice = store.old_data_notice(30)
    assert notice and "1 file(s)" in notice and "older than 30 days" in notice and "freg-nb purge" in notice
    # connect() shows it (a warning, which a notebook displays) — reuse the running sandbox
    monkeypatch.setattr(_connect, "_sandbox_handle", sandbox)
    env = {"FREG_NB_ENV": "sandbox", "FREG_NB_DATA_DIR": str(copy_of_data), "FREG_NB_RETENTION_DAYS": "30"}
    monkeypatch.setenv("FREG_NB_RETENTION_DAYS", "30")
    with pytest.warns(_connect.OldDataWarning, match="older than 30 days"):
        freg_nb.connect(environ=env).close()
    os.utime(parquet, None)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", _connect.OldDataWarning)
        freg_nb.connect(environ=env).close()


# ---- 5. the audit log ------------------------------------------------------------------------------
def _audit_lines(root: Path) -> list[dict]:
    return [orjson.loads(line) for line in (root / "audit.log").read_bytes().splitlines()]


def test_audit_records_lookups_and_extracts_without_identifiers(flows):
    lines = _audit_lines(flows.data)
    lookups = [r for r in lines if r["action"] == "oppslag"]
    assert [r["n_persons"] for r in lookups] == [len(flows.lookup_ids)] * 2 + [1]  # 2 bulk + 1 single
    lookups = lookups[:2]
    for r in lookups:
        assert r["role"] == "barnevern" and r["purpose"] == PURPOSE and r["n_persons"] == len(flows.lookup_ids)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"])
        assert len(r["ids_hmac"]) == len(flows.lookup_ids) and r["user"]
    extract_lines = lines[flows.audit_before_extract:]
    uttrekk = [r for r in extract_lines if r["action"] == "uttrekk"]
    assert uttrekk and all(r["role"] == "analyse" and r["purpose"] == PURPOSE for r in uttrekk)
    assert sum(r["n_persons"] for r in uttrekk) == len(flows.extract_full)  # the second read was reused
    text = (flows.data / "audit.log").read_text()
    assert not _full_ids_in(text)
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for r in lines for h in r.get("ids_hmac", []))
    assert not any(i in text for i in flows.lookup_ids + list(flows.extract_full["foedselsEllerDNummer"]))


def test_audit_hash_is_keyed_by_a_key_kept_apart_from_the_log(flows, tmp_path, monkeypatch):
    first = _audit_lines(flows.data)[0]
    again = _audit.hash_ids(flows.data, flows.lookup_ids)
    assert set(again) == set(first["ids_hmac"])
    assert not any(p.name in ("audit.key", "audit.salt") for p in flows.data.iterdir())
    assert _audit.key_path().parent != flows.data
    monkeypatch.setenv("FREG_NB_AUDIT_KEY_DIR", str(tmp_path / "annen-nøkkel"))
    other = _audit.hash_ids(DataDir(tmp_path / "annen"), flows.lookup_ids)
    assert not set(other) & set(again)  # without the key, the hashes cannot be reproduced


def test_a_lookup_adds_exactly_one_audit_line(flows):
    before = len(_audit_lines(flows.data))
    lookup_person(flows.client, flows.plain[0], role="skole", parts=["navn"], purpose="én linje")
    after = _audit_lines(flows.data)
    assert len(after) == before + 1
    assert after[-1]["purpose"] == "én linje" and after[-1]["role"] == "skole" and after[-1]["n_persons"] == 1
    assert after[-1]["ids_hmac"] == _audit.hash_ids(flows.data, flows.plain[:1])


# ---- helpers: read exports back --------------------------------------------------------------------
def _read_export(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, sep=";", encoding="utf-8-sig").assign(
            adressebeskyttet=lambda d: d["adressebeskyttet"].map({"True": True, "False": False}))
    if path.suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, dtype=str)
        df = sheets.get("personer", next(iter(sheets.values())))
        return df.assign(adressebeskyttet=df["adressebeskyttet"].map({"True": True, "False": False}))
    return pd.read_parquet(path)


def _readable(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    return path.read_text(encoding="utf-8-sig")
