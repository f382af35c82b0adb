"""Avstemming against the sandbox over real HTTP: a sandbox-made fagsystem list with known truth
(every category, typos, D-number → fødselsnummer, newly protected persons), bad input refused or
tolerated before anything is sent, masking and the audit of full ids, and notebook 05 headless."""
from __future__ import annotations

import io
import re
from pathlib import Path

import orjson
import pandas as pd
import pytest

from freg_nb import ids
from freg_nb.client import FregClient
from freg_nb.config import Settings
from freg_nb.errors import InputError
from freg_nb.reconcile import CATEGORIES, read_list, reconcile
from freg_nb.reconcile.compare import FLAG_COLUMNS
from freg_nb.sandbox.fagsystem import fagsystem_list

BULK = "POST v1/personer/bulkoppslag"
ELEVEN = re.compile(r"(?<!\d)\d{11}(?!\d)")
REPO = Path(__file__).resolve().parents[1]


def _client(sb, data_dir) -> FregClient:
    return FregClient(Settings.for_sandbox(sb, data_dir=data_dir), progress=False)


def _bulk_calls(sb) -> int:
    return dict(sb.counters()["route"]).get(BULK, 0)


def _audit(data_dir: Path) -> list[dict]:
    log = data_dir / "audit.log"
    return [orjson.loads(line) for line in log.read_bytes().splitlines()] if log.exists() else []


@pytest.fixture(scope="module")
def big(sandbox_data_dir):
    """A sandbox of 200 000 persons and a list of 20 000 of Oslo's persons as they were two years ago."""
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    sb = start_sandbox(SandboxConfig(seed=3, persons=200_000, events=1_000), data_dir=sandbox_data_dir)
    try:
        yield sb, fagsystem_list(sb.population, 20_000, kommune="0301", seed=7)
    finally:
        sb.stop()


def _protected_values(row: pd.Series, pop, listed: pd.Series) -> list[str]:
    """What must never be shown for a protected person: the list's address and the current one."""
    vals = [listed["Adresse"]] if listed["Adresse"] else []
    i = pop.index_of(ids.validate(listed["Fødselsnummer"].zfill(11)))
    for v in pop.document(i, parts=["bostedsadresse"]).get("bostedsadresse", []):
        veg = v.get("vegadresse") or {}
        if veg.get("adressenavn"):
            vals += [veg["adressenavn"], veg["poststed"]["postnummer"]]
    return [v for v in vals if v]


@pytest.mark.slow
def test_a_20000_row_list_with_known_truth_is_reconciled_correctly(big, tmp_path):
    sb, fl = big
    truth = fl.truth
    assert all(truth[c].any() for c in CATEGORIES), truth[list(CATEGORIES)].sum()   # every category present
    data_dir = tmp_path / "data"
    with _client(sb, data_dir) as fc:
        before = _bulk_calls(sb)
        res = reconcile(fc, fl.to_csv_bytes("cp1252"), filename="elever.csv", role="analyse", kommune="0301")
        calls = _bulk_calls(sb) - before
    rows = res._rows
    # every input row accounted for, in order
    assert len(rows) == len(fl.data) and rows["rad"].tolist() == list(range(1, len(fl.data) + 1))
    right = rows["kategorier"].astype(str).to_numpy() == truth["kategorier"].to_numpy()
    assert right.mean() >= 0.99, rows[~right][["rad", "kategorier", "grunn"]].head(20)
    for c in CATEGORIES:  # each category is found, not just the common ones
        flag = rows[FLAG_COLUMNS[c]].to_numpy()
        assert (flag & truth[c].to_numpy()).sum() >= 0.9 * truth[c].sum(), c
    # only distinct valid ids were sent: 1000 per call
    sent = {ids.validate(s.zfill(11)) for s in fl.data["Fødselsnummer"] if s and ids.is_valid(s.zfill(11))}
    assert res.stats["looked_up"] == len(sent) and calls == -(-len(sent) // 1000)
    assert _audit(data_dir)[-1]["n_persons"] == len(sent)
    # duplicates listed
    valid_ids = fl.data["Fødselsnummer"].str.zfill(11)
    dup = valid_ids.duplicated() & valid_ids.map(ids.is_valid)
    assert res.rows["duplikat"].sum() == dup.sum() > 0
    # the D-number rows point to the new number (masked by default)
    nytt = res.category("nytt identifikasjonsnummer")
    assert len(nytt) and nytt["nytt_foedselsEllerDNummer"].str.fullmatch(r"\d{6}\*{5}").all()
    # no protected address anywhere: not in the result, not in any sheet of the Excel file, not in the CSV
    shown = res.rows
    exports = res.export(["xlsx", "csv"], name="avstemming-test")
    sheets = pd.read_excel(exports["xlsx"], sheet_name=None, dtype=str)
    csv = pd.read_csv(exports["csv"], sep=";", dtype=str, encoding="utf-8-sig")
    assert exports["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert set(sheets) >= {"alle", "adressebeskyttet nå", "død", "uendret"}
    prot = truth.index[truth["adressebeskyttet nå"]]
    assert len(prot)
    for k in prot:
        rad = k + 1
        bad = _protected_values(shown.iloc[k], sb.population, fl.data.iloc[k])
        tables = [shown[shown["rad"] == rad], csv[csv["rad"] == str(rad)]] + \
            [s[s["rad"] == str(rad)] for s in sheets.values()]
        for t in tables:
            cells = " | ".join(map(str, t.to_numpy().ravel().tolist()))
            assert not any(v in cells for v in bad), f"row {rad} shows a protected address"
        assert pd.isna(shown.iloc[k]["adresse_liste"]) and pd.isna(shown.iloc[k]["adresse_freg"])
    # masked by default: no full identifier in any display or export
    for text in (shown.to_csv(), exports["csv"].read_text(encoding="utf-8-sig")):
        assert not [m for m in ELEVEN.findall(text) if ids.is_valid(m)]


def _small_list(sandbox, n_people=30):
    pop = sandbox.population
    idents = [pop.identifier(i) for i in range(n_people)]
    return pop, idents


def test_a_list_without_an_id_column_is_refused_before_anything_is_sent(sandbox, tmp_path):
    with _client(sandbox, tmp_path / "d") as fc:
        before = _bulk_calls(sandbox)
        with pytest.raises(InputError, match="Fant ingen kolonne med fødselsnummer.*Ingenting er sendt"):
            reconcile(fc, "Navn;Adresse\nKari;Storgata 1\nOla;Lia 2\n".encode(), filename="x.csv", role="analyse")
        with pytest.raises(InputError, match="Ingen gyldige fødselsnummer"):
            reconcile(fc, "fnr;Navn\n12345678901;Kari\n1234;Ola\n".encode(), filename="x.csv", role="analyse")
        assert _bulk_calls(sandbox) == before


def test_every_encoding_excel_writes_reads_the_same_rows(sandbox):
    _, idents = _small_list(sandbox, 3)
    text = "Fødselsnummer;Fornavn;Etternavn;Adresse;Postnr\n" + "".join(
        f"{s};Åse;Ørnø;Bjørkeveien {k + 1};0{k}82\n" for k, s in enumerate(idents))
    frames = [read_list(text.encode(enc), filename="l.csv").data for enc in ("utf-8", "utf-8-sig", "utf-16", "cp1252")]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(f, frames[0])
    assert frames[0]["Etternavn"].tolist() == ["Ørnø"] * 3
    # a file whose lines mix UTF-8 and cp1252 (one system appended to another's export)
    lines = text.splitlines(keepends=True)
    mixed = b"".join(line.encode("utf-8" if k % 2 else "cp1252") for k, line in enumerate(lines))
    t = read_list(mixed, filename="blandet.csv")
    assert t.data["Fornavn"].tolist() == ["Åse"] * 3 and t.columns["id"] == "Fødselsnummer"
    assert any("blander tegnkodinger" in n for n in t.notes)


def test_lost_zeros_duplicates_and_empty_rows_are_kept_and_explained(sandbox, tmp_path):
    pop = sandbox.population
    zero = [pop.identifier(i) for i in range(pop.size) if pop.identifier(i).startswith("0")][:3]
    other = [pop.identifier(i) for i in range(40, 43)]
    df = pd.DataFrame({"fnr": [zero[0], zero[1], "", other[0], other[0], zero[2], "1234", other[1]],
                       "Navn": ["A", "B", "", "C", "C", "D", "E", "F"]})
    buf = io.BytesIO()
    out = df.copy()
    out["fnr"] = pd.to_numeric(out["fnr"], errors="coerce").astype(object).where(out["fnr"] != "", None)
    out.to_excel(buf, index=False)                       # numbers: Excel drops the leading zeros
    with _client(sandbox, tmp_path / "d") as fc:
        res = reconcile(fc, buf.getvalue(), filename="liste.xlsx", role="analyse", fields=["adresse"])
    rows = res.rows
    assert len(rows) == len(df) and rows["rad"].tolist() == list(range(1, 9))
    assert rows.loc[[0, 1, 5], "null_satt_tilbake"].all()
    assert not rows.loc[[0, 1, 5], "kategori"].isin(["ugyldig nummer", "ikke funnet"]).any()
    assert rows.loc[2, "kategori"] == "ugyldig nummer" and "tom rad" in rows.loc[2, "grunn"]
    assert rows.loc[6, "kategori"] == "ugyldig nummer" and "11 siffer" in rows.loc[6, "grunn"]
    assert rows["duplikat"].tolist() == [False, False, False, False, True, False, False, False]
    assert res.stats["looked_up"] == 5                   # distinct valid ids only


def test_full_ids_only_on_request_and_then_audited(sandbox, tmp_path):
    _, idents = _small_list(sandbox, 5)
    listed = "fnr\n" + "\n".join(idents)
    data_dir = tmp_path / "d"
    with _client(sandbox, data_dir) as fc:
        masked = reconcile(fc, listed, role="analyse")
        assert not ELEVEN.search(masked.rows.to_csv())
        assert not ELEVEN.search(masked.export_bytes("csv").decode("utf-8-sig"))
        assert not any(r["action"] == "avstemming-vis-fulle-id" for r in _audit(data_dir))
        full = reconcile(fc, listed, role="analyse", show_ids=True, purpose="kontroll av elevregister")
    assert set(full.rows["foedselsEllerDNummer"]) == set(idents)
    rec = [r for r in _audit(data_dir) if r["action"] == "avstemming-vis-fulle-id"]
    assert len(rec) == 1 and rec[0]["n_persons"] == 5 and rec[0]["purpose"] == "kontroll av elevregister"
    assert not any(s in orjson.dumps(rec[0]).decode() for s in idents)       # hashed, never in clear


def test_a_role_uten_hjemmel_never_sees_or_shows_a_protected_address(sandbox, tmp_path):
    pop = sandbox.population
    prot = [i for i in range(pop.size) if pop.prot[i] and pop.status[i] == 0][:3]
    assert prot
    listed = pd.DataFrame({"fnr": [pop.identifier(i) for i in prot], "Adresse": ["Hemmeligveien 1"] * len(prot)})
    with _client(sandbox, tmp_path / "d") as fc:
        res = reconcile(fc, listed, role="skole")
    assert (res.rows["kategori"] == "adressebeskyttet nå").all()
    assert "Hemmeligveien" not in res.rows.to_csv()
    assert "Hemmeligveien" not in res.export_bytes("csv").decode("utf-8-sig")


@pytest.mark.slow
def test_notebook_05_runs_headless(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("nbtests", REPO / "tests" / "test_notebooks.py")
    nbtests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nbtests)
    executed = nbtests.execute(REPO / "notebooks" / "05_avstemming.ipynb", tmp_path, monkeypatch, antall_rader=300)
    text = "\n".join(nbtests.output_texts(executed))
    for c in ("uendret", "flyttet innen kommunen", "nytt navn"):
        assert c in text
    assert "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," in text
    assert "data:text/csv;charset=utf-8;base64," in text


def test_a_ceased_d_number_is_matched_to_the_current_fodselsnummer(sandbox, tmp_path):
    from freg_nb.sandbox import formerids

    pop = sandbox.population
    changed = [i for i in range(pop.size) if formerids.former_dnumber(pop, i)][:2]
    assert changed, "the sandbox population should hold persons whose D-number was replaced"
    old = [formerids.former_dnumber(pop, i)[0] for i in changed]
    listed = pd.DataFrame({"D-nummer": old, "Fornavn": [pop.document(i)["navn"][0]["fornavn"] for i in changed]})
    with _client(sandbox, tmp_path / "d") as fc:
        res = reconcile(fc, listed, role="analyse", show_ids=True, columns={"id": "D-nummer"})
    rows = res.rows
    assert rows["kategori"].tolist() == ["nytt identifikasjonsnummer"] * len(changed)
    assert rows["nytt_foedselsEllerDNummer"].tolist() == [pop.identifier(i) for i in changed]
    assert rows["foedselsEllerDNummer"].tolist() == old
