"""privacy: masking, small-cell suppression (primary + secondary), address protection, audit."""
from __future__ import annotations

import hashlib
import hmac
import itertools

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freg_nb import ids, privacy
from freg_nb.errors import ConfigError, InputError
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
def _ranges(vals: np.ndarray, hidden: np.ndarray, totals: list[np.ndarray]):
    """Independent LP: (min, max) of each hidden cell given the visible cells and ``totals``
    (boolean masks over the cells whose sums a reader knows); hidden ≥ 1 when zeros are shown."""
    from scipy.optimize import linprog

    n = len(vals)
    eq = [np.eye(n)[k] for k in range(n) if not hidden[k]] + [t.astype(float) for t in totals]
    beq = [float(vals[k]) for k in range(n) if not hidden[k]] + [float(vals[t].sum()) for t in totals]
    positive = (~hidden & (vals == 0)).any() and not (hidden & (vals == 0)).any()
    lb = [(1 if positive and hidden[k] else 0, None) for k in range(n)]
    out = {}
    for k in np.flatnonzero(hidden):
        c = np.eye(n)[k]
        lo = linprog(c, A_eq=np.array(eq), b_eq=beq, bounds=lb, method="highs").fun
        hi = -linprog(-c, A_eq=np.array(eq), b_eq=beq, bounds=lb, method="highs").fun
        out[int(k)] = (lo, hi)
    return out


def _wide_totals(rows, cols):
    cells = np.arange(rows * cols).reshape(rows, cols)
    lines = [np.isin(np.arange(rows * cols), cells[r]) for r in range(rows)]
    lines += [np.isin(np.arange(rows * cols), cells[:, c]) for c in range(cols)]
    return [t for t in lines if t.sum() > 1] + [np.ones(rows * cols, dtype=bool)]


def test_primary_and_secondary_in_one_column():
    df = pd.DataFrame({"kommune": list("ABCD"), "n": [3, 40, 12, 0]})
    table, mask = privacy.suppress(df, threshold=5)
    # 3 is primary; the total would reveal it, so the cheapest cell that widens its range to ≥ 5
    # goes too (12: hiding the zero would leave 3 in 0…3); the mark claims no value
    assert table.n.tolist() == [":", "40", ":", "0"]
    assert mask.n.tolist() == [True, False, True, False]
    assert "personvernhensyn" in table.attrs["fotnote"]


def test_crosstab_hidden_cells_cannot_be_narrowed():
    ct = pd.DataFrame({"kvinne": [2, 30, 25], "mann": [20, 31, 40]}, index=["0-5", "6-15", "16-"])
    table, mask = privacy.suppress(ct, threshold=5)
    assert table.loc["0-5", "kvinne"] == ":"
    vals, hid = ct.to_numpy().ravel(), mask.to_numpy().ravel()
    for lo, hi in _ranges(vals, hid, _wide_totals(3, 2)).values():
        assert hi - lo >= 5


def test_env_threshold_and_floor(monkeypatch):
    monkeypatch.setenv("FREG_NB_SMALL_CELL", "10")
    table, _ = privacy.suppress(pd.DataFrame({"n": [9, 50, 60]}))
    assert table.n.tolist() == [":", ":", "60"]
    for bad in ("x", "2", "1"):
        monkeypatch.setenv("FREG_NB_SMALL_CELL", bad)
        with pytest.raises(InputError, match="FREG_NB_SMALL_CELL"):
            privacy.suppress(pd.DataFrame({"n": [1]}))


def test_long_table_groups_and_categories():
    long = pd.DataFrame({"kommune": ["A", "A", "A", "B", "B", "B"],
                         "kjoenn": ["k", "m", "u", "k", "m", "u"],
                         "antall": [100, 2, 50, 80, 70, 60]})
    table, mask = privacy.suppress(long, "antall", by="kommune", threshold=5)
    assert table.antall.tolist()[1] == ":"
    totals = [long.kommune.eq(k).to_numpy() for k in "AB"] + [long.kjoenn.eq(c).to_numpy() for c in "kmu"]
    for lo, hi in _ranges(long.antall.to_numpy(), mask.antall.to_numpy(), totals).values():
        assert hi - lo >= 5
    assert table.kommune.tolist() == long.kommune.tolist()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.data())
def test_suppression_rule_properties(rows, cols, data):
    values = data.draw(st.lists(st.integers(0, 30), min_size=rows * cols, max_size=rows * cols))
    df = pd.DataFrame(np.array(values).reshape(rows, cols), columns=[f"c{i}" for i in range(cols)])
    table, mask = privacy.suppress(df, threshold=5)
    arr, m = df.to_numpy(), mask.to_numpy()
    assert (m[(arr > 0) & (arr < 5)]).all()          # every small cell is hidden
    shown = table.to_numpy()
    assert all(shown[i, j] == (":" if m[i, j] else str(arr[i, j]))
               for i, j in itertools.product(range(rows), range(cols)))
    ranges = _ranges(arr.ravel(), m.ravel(), _wide_totals(rows, cols))
    narrow = [k for k, (lo, hi) in ranges.items() if hi - lo < 5 - 1e-9]
    # a cell stays narrow only when nothing more could be hidden (e.g. a 1×1 table of 2)
    assert not narrow or m.all(), (arr, m, narrow)


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
def test_audit_appends_keyed_hashes_with_the_key_kept_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("FREG_NB_AUDIT_KEY_DIR", str(tmp_path / "key"))
    store = DataDir(tmp_path / "d")
    ident = "01859012325"
    r1 = privacy.audit(store, "bulkoppslag", role="skole", n_persons=2, purpose="test", ids=[ident, "02859012445"])
    privacy.audit(store.path, "oppslag", role="skole", n_persons=1, ids=[ident], sandbox=True)
    lines = store.audit_log_path.read_bytes().splitlines()
    assert len(lines) == 2
    recs = [orjson.loads(x) for x in lines]
    assert recs[0] == r1 and recs[0]["n_persons"] == 2 and recs[0]["role"] == "skole" and recs[0]["user"]
    assert recs[0]["time"].endswith("Z") and recs[1]["purpose"] is None
    assert ident not in store.audit_log_path.read_text()
    assert recs[0]["ids_hmac"][0] == recs[1]["ids_hmac"][0]  # one key → linkable (pseudonymised)
    key = bytes.fromhex((tmp_path / "key" / "audit.key").read_text())
    assert recs[1]["ids_hmac"][0] == hmac.new(key, ident.encode(), hashlib.sha256).hexdigest()
    assert oct(store.audit_log_path.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "key" / "audit.key").stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in store.path.iterdir()) == ["audit.log"]  # no key beside the log
    with pytest.raises(ValueError):
        privacy.audit(store, "x", role="skole", n_persons=-1)
    monkeypatch.setenv("FREG_NB_AUDIT_KEY_DIR", str(store.path))
    with pytest.raises(ConfigError):
        privacy.audit(store, "x", role="skole", n_persons=1, ids=[ident])
