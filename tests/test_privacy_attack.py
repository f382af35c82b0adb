"""Disclosure attack on the tables published together (issue 15, point 2).

For each set a notebook or form shows together, an attacker takes every published number
(one-way tables, crosstabs, the extract's size), writes them as linear equations over the
persons' joint cross-classification, and bounds each hidden cell with linear programming
(scipy/HiGHS) — hidden cells ≥ 1 in every table that shows zeros (unless it hides a true zero:
the oracle attacker knows that). Every range must be at least ``threshold`` wide, and no published
count may lie between 1 and threshold − 1. The LP here is written independently of
``freg_nb.disclosure``.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

import freg_nb
from freg_nb import privacy
from freg_nb.errors import InputError
from freg_nb.summaries import age_pyramid_table, summarize_extract

THR = 5


def _long(table: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    if "antall" in table.columns:
        return table[[*dims, "antall"]].rename(columns={"antall": "v"})
    return table.melt(id_vars=dims[:1], value_vars=["kvinne", "mann"], var_name=dims[1], value_name="v")


def attack(published: list[tuple[list[str], pd.DataFrame]], n_total: int, thr: int):
    """[(dims, long table with column v as text)] → list of (table, labels, value, lo, hi) per hidden cell."""
    dims = sorted({d for ds, _ in published for d in ds})
    labels = {d: sorted({str(x) for ds, t in published if d in ds for x in t[d]}) for d in dims}
    joint = list(itertools.product(*[labels[d] for d in dims]))
    pos = {d: k for k, d in enumerate(dims)}
    a_eq, b_eq, a_ub, b_ub, hidden = [], [], [], [], []
    all_row = np.ones(len(joint))
    a_eq.append(all_row)
    b_eq.append(float(n_total))
    for t_no, (ds, t) in enumerate(published):
        shown = t["v"].astype(str)
        hides_zero = False
        rows = []
        for (_, rec), v in zip(t.iterrows(), shown):
            row = np.array([all(j[pos[d]] == str(rec[d]) for d in ds) for j in joint], dtype=float)
            rows.append((row, v, {d: rec[d] for d in ds}))
        for row, v, lab in rows:
            if v == ":":
                hidden.append((t_no, lab, row))
            else:
                n = int(v)
                assert not 0 < n < thr, f"a count between 1 and {thr - 1} is shown: {lab} = {n}"
                a_eq.append(row)
                b_eq.append(float(n))
        hides_zero = t.attrs.get("hides_zero", False)
        if not hides_zero:
            for row, v, lab in rows:
                if v == ":":
                    a_ub.append(-row)
                    b_ub.append(-1.0)
    out = []
    for t_no, lab, row in hidden:
        res_min = linprog(row, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                          A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        res_max = linprog(-row, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                          A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        assert res_min.status == 0 and res_max.status == 0, "published numbers must be consistent"
        out.append((t_no, lab, res_min.fun, -res_max.fun))
    return out


def _mark_zero_hiding(table: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """The attacker takes hidden cells as ≥ 1 where the table shows zeros — unless (the oracle
    knows) it hides a true zero, where that assumption would be false."""
    shown = table["v"].astype(str)
    hides_zero = bool(((shown == ":") & (truth.to_numpy() == 0)).any())
    table.attrs["hides_zero"] = hides_zero or not (shown == "0").any()
    return table


def _publish(df: pd.DataFrame, sets: list[list[str]], **kw) -> list[tuple[list[str], pd.DataFrame]]:
    out = []
    for dims in sets:
        table = summarize_extract(df, by=dims if len(dims) > 1 else dims[0], threshold=THR, **kw)
        long = _long(table, dims)
        truth = _truth(df, dims, long, **kw)
        out.append((dims, _mark_zero_hiding(long, truth)))
    return out


def _truth(df, dims, long, age_band=10, max_age=90):
    """True counts in the order of the published table (categories as published)."""
    frame = {}
    for d in dims:
        if d == "aldersgruppe":
            frame[d] = freg_nb.summaries._age_band(df["alder"], age_band, max_age).astype(str)
        else:
            frame[d] = df[d].astype(str)
    frame = pd.DataFrame(frame)
    prot = privacy.protected_or_unknown(df)
    for d in dims:
        if d in privacy.AREA_COLUMNS:
            frame.loc[prot.to_numpy(), d] = "uoppgitt"
        labels = set(long[d].astype(str))
        frame[d] = frame[d].where(frame[d].isin(labels), "andre")
    counts = frame.groupby(dims).size()
    keys = [tuple(str(r[d]) for d in dims) for _, r in long.iterrows()]
    return pd.Series([int(counts.get(k if len(dims) > 1 else k[0], 0)) for k in keys])


def _assert_protected(published, n):
    ranges = attack(published, n, THR)
    narrow = [(published[t][0], lab, lo, hi) for t, lab, lo, hi in ranges if hi - lo < THR - 1e-6]
    assert not narrow, f"hidden cells pinned down: {narrow[:5]}"
    return ranges


def _persons(n, rng, *, kommuner=("0301",), gk=12, protected=0):
    return pd.DataFrame({
        "alder": rng.integers(0, 95, n),
        "kjoenn": rng.choice(["kvinne", "mann"], n),
        "kommunenummer": rng.choice(list(kommuner), n),
        "grunnkretsnummer": [f"0301{int(g):04d}" for g in rng.integers(0, gk, n)],
        "foedselsaar": rng.integers(1930, 2024, n),
        "status": rng.choice(["bosatt", "bosatt", "bosatt", "utflyttet", "doed"], n),
        "adressebeskyttet": pd.array([True] * protected + [False] * (n - protected), dtype="boolean"),
    })


def test_kommune_of_eleven_by_birth_year_reveals_nothing():
    rng = np.random.default_rng(1)
    df = _persons(11, rng)
    df["foedselsaar"] = np.arange(1950, 1961)
    pub = _publish(df, [["foedselsaar"], ["kjoenn"]])
    _assert_protected(pub, len(df))
    assert "andre" in set(pub[0][1]["foedselsaar"])  # rare years merged, not listed one by one


def test_one_way_age_and_grunnkrets_by_age_are_safe_together():
    rng = np.random.default_rng(2)
    df = _persons(90, rng, gk=15, protected=3)
    # the case: six persons aged 30–39, each in its own grunnkrets
    df.loc[:5, "alder"] = 35
    df.loc[:5, "grunnkretsnummer"] = [f"0301{k:04d}" for k in range(6)]
    df.loc[6:, "alder"] = df.loc[6:, "alder"].where(~df.loc[6:, "alder"].between(30, 39), 45)
    pub = _publish(df, [["aldersgruppe"], ["grunnkretsnummer"], ["grunnkretsnummer", "aldersgruppe"]])
    _assert_protected(pub, len(df))


@pytest.mark.parametrize("seed", [3, 4])
def test_notebook_02_set_kommune_age_sex_grunnkrets_and_crosstabs(seed):
    rng = np.random.default_rng(seed)
    df = _persons(70, rng, kommuner=("0301", "1103", "4601"), gk=8, protected=2)
    pub = _publish(df, [["kjoenn"], ["aldersgruppe"], ["status"], ["kommunenummer"], ["grunnkretsnummer"],
                        ["aldersgruppe", "kjoenn"]])
    _assert_protected(pub, len(df))
    pub2 = _publish(df, [["aldersgruppe"], ["kommunenummer"], ["kommunenummer", "aldersgruppe"]])
    _assert_protected(pub2, len(df))


def test_age_pyramid_with_one_way_tables():
    rng = np.random.default_rng(5)
    df = _persons(40, rng)
    pyr = age_pyramid_table(df, band=10, threshold=THR)
    long = _long(pyr, ["aldersgruppe", "kjoenn"])
    truth = _truth(df, ["aldersgruppe", "kjoenn"], long)
    pub = [(["aldersgruppe", "kjoenn"], _mark_zero_hiding(long, truth)),
           *_publish(df, [["aldersgruppe"], ["kjoenn"]])]
    _assert_protected(pub, len(df))


def test_protected_persons_never_form_a_visible_cell_of_their_own():
    rng = np.random.default_rng(6)
    df = _persons(80, rng, protected=4)
    df.loc[df["adressebeskyttet"].astype(bool), "kommunenummer"] = None  # blanked, as the persons table does
    for by in (["kommunenummer"], ["kommunenummer", "aldersgruppe"]):
        t = summarize_extract(df, by=by if len(by) > 1 else by[0], threshold=THR)
        assert (t.loc[t["kommunenummer"] == "uoppgitt", "antall"] == ":").all()


def test_unknown_protection_counts_as_protected_in_area_tables():
    rng = np.random.default_rng(7)
    df = _persons(60, rng)
    df.loc[:9, "adressebeskyttet"] = pd.NA
    t = summarize_extract(df, by="grunnkretsnummer", threshold=THR)
    assert "uoppgitt" in set(t["grunnkretsnummer"])


def test_mark_is_colon_with_footnote_and_never_a_value_claim():
    df = pd.DataFrame({"kommune": list("ABCD"), "n": [3, 40, 12, 0]})
    table, mask = privacy.suppress(df, threshold=5)
    assert table["n"].tolist()[0] == ":" and "<" not in "".join(table["n"])
    assert "vises ikke av personvernhensyn" in table._repr_html_().lower()
    assert "vises ikke av personvernhensyn" in repr(table).lower()


@pytest.mark.parametrize("bad", [1, 2, 0])
def test_threshold_below_three_is_refused(bad, monkeypatch):
    with pytest.raises(InputError, match="minst 3"):
        privacy.small_cell_threshold(bad)
    monkeypatch.setenv("FREG_NB_SMALL_CELL", str(bad))
    with pytest.raises(InputError, match="FREG_NB_SMALL_CELL"):
        privacy.small_cell_threshold()
    with pytest.raises(InputError):
        summarize_extract(_persons(20, np.random.default_rng(0)), by="kjoenn")


def test_unsuppressed_table_is_marked_and_audited(tmp_path, monkeypatch):
    monkeypatch.setenv("FREG_NB_AUDIT_KEY_DIR", str(tmp_path / "key"))
    df = pd.DataFrame({"kommune": ["A", "B"], "n": [2, 40]})
    t = privacy.unsuppressed_table(df, purpose="kvalitetskontroll", store=tmp_path / "data")
    assert t["n"].tolist() == [2, 40] and "IKKE FOR PUBLISERING" in repr(t)
    log = (tmp_path / "data" / "audit.log").read_text()
    assert "uskjult-tabell" in log and '"n_persons":42' in log
