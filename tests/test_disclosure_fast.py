"""The fast path for large tables (``disclosure.protect_grid``), judged by the LP audit.

On random two-way tables (dense and sparse, some cells absent) the hidden pattern is given to
the same linear-programming audit that ``disclosure.protect`` uses (every published total known,
hidden cells ≥ 1 where the table shows its zeros): no hidden cell may be pinned to one value,
every range must be at least as wide as the fast path proved, and at least the threshold
wherever the fast path says so.
"""
from __future__ import annotations

import numpy as np
import pytest

from freg_nb import disclosure as D

THR = 5


def _linked(values, rows, cols, hidden) -> D.LinkedSet:
    """The reader's knowledge of a long table: every cell shown or hidden, the row totals, the
    column totals and the grand total (as ``privacy.suppress`` with ``by=`` describes it)."""
    n = len(values)
    ls = D.LinkedSet(n)
    for k in range(n):
        ls.add(D.Cell((k,), int(values[k]), "t", hidden=bool(hidden[k])))
    for key in (rows, cols):
        for g in np.unique(key):
            members = tuple(int(k) for k in np.flatnonzero(key == g))
            ls.add(D.Cell(members, int(values[list(members)].sum()), "m", hideable=False))
    ls.add(D.Cell(tuple(range(n)), int(values.sum()), "N", hideable=False))
    return ls


def _lp_widths(values, rows, cols, hidden) -> dict[int, float]:
    ls = _linked(values, rows, cols, hidden)
    system = D._system(ls)
    out = {}
    for k in np.flatnonzero(hidden):
        lo, hi = D._range(ls, system, ls.cells[k])
        out[int(k)] = hi - lo
    return out


def _table(rng, n_rows, n_cols, mean, absent):
    grid = rng.poisson(mean, size=(n_rows, n_cols))
    rows, cols = np.indices(grid.shape)
    keep = rng.random(grid.shape) >= absent
    return grid[keep], rows[keep], cols[keep]


@pytest.mark.parametrize("seed", range(12))
def test_fast_path_hides_nothing_a_reader_can_pin_down(seed):
    rng = np.random.default_rng(seed)
    mean = [3, 6, 10][seed % 3]
    values, rows, cols = _table(rng, int(rng.integers(6, 14)), int(rng.integers(4, 10)), mean,
                                absent=0.1 * (seed % 2))
    got = D.protect_grid(values, rows, cols, THR)
    assert got.hidden[(values > 0) & (values < THR)].all(), "every small count is hidden"
    lp = _lp_widths(values, rows, cols, got.hidden)
    for k, w in lp.items():
        assert w >= got.width[k] - 1e-6, f"cell {k}: the fast path claimed {got.width[k]}, the LP finds {w}"
        if k not in set(got.narrow):
            assert w >= THR, f"cell {k} (value {values[k]}) can be narrowed to {w}"
    # tables of mostly small counts, or with holes, may leave a cell that cannot be protected
    # (one alone in its row); in full tables of larger counts every hidden cell is
    if mean > 3 and seed % 2 == 0:
        assert len(got.narrow) == 0
        assert min(lp.values(), default=THR) >= THR


def test_narrow_cells_are_not_pinned_down_when_a_rectangle_exists():
    rng = np.random.default_rng(99)
    values, rows, cols = _table(rng, 10, 6, 2, absent=0.0)  # mostly small counts: hard to protect
    got = D.protect_grid(values, rows, cols, THR)
    lp = _lp_widths(values, rows, cols, got.hidden)
    assert all(w > 0 for w in lp.values()), "no hidden cell can be derived exactly"


def test_one_way_table_with_a_known_total():
    values = np.array([3, 40, 12, 60, 0, 7])
    got = D.protect_grid(values, threshold=THR)
    assert got.hidden.tolist() == [True, False, False, False, False, True]
    lp = _lp_widths(values, np.zeros(len(values)), np.arange(len(values)), got.hidden)
    assert all(w >= THR for w in lp.values())


def test_forced_cells_are_protected_too():
    values, rows, cols = _table(np.random.default_rng(3), 8, 6, 10, absent=0.0)
    forced = np.zeros(len(values), dtype=bool)
    forced[7] = True
    got = D.protect_grid(values, rows, cols, THR, hidden=forced)
    assert got.hidden[7] and got.width[7] >= THR
    assert _lp_widths(values, rows, cols, got.hidden)[7] >= THR


def test_one_cell_per_row_and_column_pair():
    with pytest.raises(ValueError, match="one cell"):
        D.protect_grid([1, 2], ["a", "a"], ["x", "x"], THR)


@pytest.mark.parametrize("seed", range(4))
def test_flow_audit_equals_the_lp_audit(seed):
    rng = np.random.default_rng(100 + seed)
    values, rows, cols = _table(rng, 9, 7, [3, 6][seed % 2], absent=0.1)
    values[0] = 0   # a zero shown: the reader may take every hidden cell as ≥ 1, as the flow does
    got = D.protect_grid(values, rows, cols, THR)
    flow = D.audit_grid(values, rows, cols, got.hidden)
    lp = _lp_widths(values, rows, cols, got.hidden)
    assert lp and all(abs(flow[k] - w) < 1e-6 for k, w in lp.items()), [(flow[k], w) for k, w in lp.items()]
    assert (flow >= got.width - 1e-9).all()


def test_large_table_every_hidden_cell_is_protected_by_the_exact_audit():
    """A grunnkrets × age table of the size P7 asks about, audited exactly (max-flow)."""
    rng = np.random.default_rng(7)
    values, rows, cols = _table(rng, 120, 101, 9, absent=0.02)
    values[(cols > 95)] //= 4                     # the oldest ages are few
    got = D.protect_grid(values, rows, cols, THR)
    flow = D.audit_grid(values, rows, cols, got.hidden)
    assert got.hidden[(values > 0) & (values < THR)].all()
    hidden = np.flatnonzero(got.hidden)
    assert (flow[hidden] >= got.width[hidden]).all()
    assert flow[hidden].min() >= THR, np.sort(flow[hidden])[:10]


def test_large_mirror_tables_take_the_fast_path_with_the_mark_and_footnote():
    import pandas as pd

    from freg_nb.mirror.questions import _suppress
    from freg_nb.privacy import FAST_CELLS

    rng = np.random.default_rng(11)
    values, rows, cols = _table(rng, 40, 30, 8, absent=0.05)
    assert len(values) > FAST_CELLS
    df = pd.DataFrame({"grunnkrets": rows.astype(str), "alder": cols, "antall": values})
    out = _suppress(df, ["antall"], by=["grunnkrets"])
    hidden = (out["antall"] == D.MARK).to_numpy()
    assert hidden[(values > 0) & (values < THR)].all()
    shown = out["antall"][~hidden].astype(int).to_numpy()
    assert (shown == values[~hidden]).all() and not ((shown > 0) & (shown < THR)).any()
    assert out.fotnote == D.FOOTNOTE
    flow = D.audit_grid(values, rows, cols, hidden)
    assert flow[hidden].min() >= THR


def test_a_large_wide_table_through_privacy_suppress_is_protected_by_the_exact_audit():
    """``privacy.suppress`` on a wide table of more than ``FAST_CELLS`` counts (e.g. event types ×
    weeks) takes the fast path: small counts hidden, and no hidden cell narrower than the threshold
    given every row total, column total and the grand total."""
    import pandas as pd

    from freg_nb.privacy import FAST_CELLS, suppress

    rng = np.random.default_rng(21)
    grid = rng.poisson(7, size=(40, 12))
    assert grid.size > FAST_CELLS
    df = pd.DataFrame(grid, columns=[f"uke {w}" for w in range(1, 13)])
    mask = suppress(df, threshold=THR).mask.to_numpy()
    rows, cols = (a.ravel() for a in np.indices(grid.shape))
    values, hidden = grid.ravel(), mask.ravel()
    assert hidden[(values > 0) & (values < THR)].all()
    flow = D.audit_grid(values, rows, cols, hidden)
    assert flow[np.flatnonzero(hidden)].min() >= THR
