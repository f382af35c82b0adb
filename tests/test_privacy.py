"""privacy: masking, small-cell suppression (primary + secondary), address protection, audit."""
from __future__ import annotations

import hashlib
import itertools

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freg_nb import ids, privacy
from freg_nb.store import DataDir


# ---- masking ------------------------------------------------------------------------------
def test_mask_ids_autodetects_identifier_columns():
    df = pd.DataFrame({"foedselsEllerDNummer": ["01859012325", None], "relatert_person": ["02859012445", "x"],
                       "fornavn": ["KARI", "OLA"], "antall": [1, 2]})
    out = privacy.mask_ids(df)
    assert out.foedselsEllerDNummer.tolist()[0] == "018590*****" and pd.isna(out.foedselsEllerDNummer[1])
    assert out.relatert_person.tolist() == ["028590*****", "*"]
    assert out.fornavn.tolist() == ["KARI", "OLA"]
    assert df.foedselsEllerDNummer[0] == "01859012325"  # the input is not changed
    assert privacy.mask_ids(df, show=True).foedselsEllerDNummer[0] == "01859012325"
    with pytest.raises(KeyError):
        privacy.mask_ids(df, ["nope"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=14), st.from_regex(r"[0-9]{11}", fullmatch=True),
                          st.from_regex(r"[0-9]{10,12}", fullmatch=True)), max_size=20))
def test_mask_series_equals_ids_mask(values):
    got = privacy.mask_series(pd.Series(values, dtype=object)).tolist()
    assert got == [ids.mask(v) for v in values]


# ---- small cells --------------------------------------------------------------------------
def test_primary_and_secondary_in_one_column():
    df = pd.DataFrame({"kommune": list("ABCD"), "n": [3, 40, 12, 0]})
    table, mask = privacy.suppress(df, threshold=5)
    # 3 is primary; the column total would reveal it, so the next smallest (12) goes too; 0 stays
    assert table.n.tolist() == ["<5", "40", "<5", "0"]
    assert mask.n.tolist() == [True, False, True, False]


def test_crosstab_no_line_has_a_lone_suppressed_cell():
    ct = pd.DataFrame({"kvinne": [2, 30, 25], "mann": [20, 31, 40]}, index=["0-5", "6-15", "16-"])
    table, mask = privacy.suppress(ct, threshold=5)
    assert table.loc["0-5", "kvinne"] == "<5"
    for axis in (0, 1):
        counts = mask.sum(axis=axis)
        assert not (counts == 1).any(), mask
    # the smallest other cells were chosen: row 0-5 → mann 20; column kvinne → 25
    assert mask.loc["0-5", "mann"] and mask.loc["16-", "kvinne"]


def test_env_threshold_and_label(monkeypatch):
    monkeypatch.setenv("FREG_NB_SMALL_CELL", "10")
    table, _ = privacy.suppress(pd.DataFrame({"n": [9, 50, 60]}))
    assert table.n.tolist() == ["<10", "<10", "60"]
    monkeypatch.setenv("FREG_NB_SMALL_CELL", "x")
    with pytest.raises(ValueError):
        privacy.suppress(pd.DataFrame({"n": [1]}))


def test_long_table_groups_and_categories():
    long = pd.DataFrame({"kommune": ["A", "A", "A", "B", "B", "B"],
                         "kjoenn": ["k", "m", "u", "k", "m", "u"],
                         "antall": [100, 2, 50, 80, 70, 60]})
    table, mask = privacy.suppress(long, "antall", by="kommune", threshold=5)
    assert table.antall.tolist()[1] == "<5"
    wide = mask.assign(k=long.kommune, c=long.kjoenn)
    assert not (wide.groupby("k").antall.sum() == 1).any()
    assert not (wide.groupby("c").antall.sum() == 1).any()
    assert table.kommune.tolist() == long.kommune.tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_suppression_rule_properties(rows, cols, data):
    values = data.draw(st.lists(st.integers(0, 30), min_size=rows * cols, max_size=rows * cols))
    df = pd.DataFrame(np.array(values).reshape(rows, cols), columns=[f"c{i}" for i in range(cols)])
    table, mask = privacy.suppress(df, threshold=5)
    arr, m = df.to_numpy(), mask.to_numpy()
    assert (m[(arr > 0) & (arr < 5)]).all()          # every small cell is hidden
    assert not m[arr == 0].any()                      # zeros are never hidden
    shown = table.to_numpy()
    assert all(shown[i, j] == ("<5" if m[i, j] else str(arr[i, j]))
               for i, j in itertools.product(range(rows), range(cols)))
    # no line has exactly one hidden cell while it still has another visible non-zero cell
    for line_vals, line_mask in [*zip(arr, m), *zip(arr.T, m.T)]:
        if line_mask.sum() == 1 and len(line_vals) > 1:
            assert not ((line_vals > 0) & ~line_mask).any()


# ---- address protection -------------------------------------------------------------------
def test_is_protected_ignores_case():
    s = pd.Series(["fortrolig", "STRENGTFORTROLIG", "strengtFortrolig", "ugradert", "klientadresse", None])
    assert privacy.is_protected(s).tolist() == [True, True, True, False, False, False]


def test_drop_protected_addresses():
    df = pd.DataFrame({
        "fornavn": ["A", "B", "C"], "adressebeskyttelse": [None, "Fortrolig", None],
        "adressegradering": ["ugradert", "fortrolig", "STRENGTFORTROLIG"],
        "kommunenummer": ["0301", "0301", "4601"], "adressenavn": ["Gata", "Skjult", "Skjult"],
        "postnummer": ["0150", "0151", "5003"], "grunnkretsnummer": ["03010101", "03010102", "46010101"],
    }).astype("string")
    out = privacy.drop_protected_addresses(df)
    assert out.adressebeskyttet.tolist() == [False, True, True]
    assert out.adressenavn.tolist()[0] == "Gata" and out.adressenavn[1:].isna().all()
    assert out.kommunenummer[1:].isna().all() and out.grunnkretsnummer[1:].isna().all()
    assert out.fornavn.tolist() == ["A", "B", "C"]
    keep = privacy.drop_protected_addresses(df, keep_kommune=True)
    assert keep.kommunenummer.tolist() == ["0301", "0301", "4601"] and keep.postnummer[1:].isna().all()
    # a small-area breakdown never counts them
    assert keep.groupby("postnummer").size().sum() == 1


# ---- audit --------------------------------------------------------------------------------
def test_audit_appends_hashed_lines(tmp_path):
    store = DataDir(tmp_path / "d")
    ident = "01859012325"
    r1 = privacy.audit(store, "bulkoppslag", role="skole", n_persons=2, purpose="test", ids=[ident, "02859012445"])
    privacy.audit(store.path, "oppslag", role="skole", n_persons=1, ids=[ident])
    lines = store.audit_log_path.read_bytes().splitlines()
    assert len(lines) == 2
    recs = [orjson.loads(x) for x in lines]
    assert recs[0] == r1 and recs[0]["n_persons"] == 2 and recs[0]["role"] == "skole"
    assert recs[0]["time"].endswith("Z") and recs[1]["purpose"] is None
    assert ident not in store.audit_log_path.read_text()
    assert recs[0]["ids_sha256"][0] == recs[1]["ids_sha256"][0]  # same salt → linkable within a folder
    salt = bytes.fromhex((store.path / "audit.salt").read_text())
    assert recs[1]["ids_sha256"][0] == hashlib.sha256(salt + ident.encode()).hexdigest()
    for f in ("audit.log", "audit.salt"):
        assert oct((store.path / f).stat().st_mode & 0o777) == "0o600"
    other = DataDir(tmp_path / "other")
    assert privacy.hash_ids(other, [ident]) != recs[1]["ids_sha256"]  # per-folder salt
    with pytest.raises(ValueError):
        privacy.audit(store, "x", role="skole", n_persons=-1)
