"""Disclosure control for counts of persons (statistical-office practice, SSB's symbols).

* **One mark**: a hidden count shows as ``:`` (SSB: "vises ikke av personvernhensyn"), with
  ``FOOTNOTE`` under the table. The mark never states or implies a value.
* **Primary suppression**: counts from 1 to ``threshold - 1`` are hidden. The threshold is
  ``FREG_NB_SMALL_CELL`` or 5 and never below ``MIN_THRESHOLD`` (3): lower values are refused.
* **Secondary suppression on a linked set**: every number published together (the cells, the
  one-way tables that are a crosstab's margins, the extract's size) is one system of linear
  equations. A reader who knows a hidden cell is ≥ 1 where a table shows zeros (and hides
  none) can bound
  each hidden cell by linear programming; each hidden cell's feasible range must be at least
  ``threshold`` wide. ``_range`` computes those ranges with ``scipy.optimize.linprog`` (HiGHS);
  ``_protect`` adds complementary cells (zeros too, where needed) until every range is wide
  enough — a greedy search, written here because no maintained Python library does cell
  suppression (τ-ARGUS and sdcTable are Java/R), with the LP audit as its judge.
* **Unsuppressed** tables exist only through ``privacy.unsuppressed_table`` — an explicit, audited choice
  marked "ikke for publisering".
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["FOOTNOTE", "MARK", "MIN_THRESHOLD", "UNSUPPRESSED_NOTE", "Cell", "LinkedSet",
           "DisclosureTable", "protect", "small_cell_threshold"]

MARK = ":"
FOOTNOTE = ": Vises ikke av personvernhensyn (for få personer, eller kan regnes ut fra andre tall)."
UNSUPPRESSED_NOTE = "IKKE FOR PUBLISERING – små tall er ikke skjult (uskjult tabell, loggført)."
MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5


def small_cell_threshold(threshold: int | None = None) -> int:
    """``threshold``, else ``FREG_NB_SMALL_CELL``, else 5 — never below 3 (refused with a message)."""
    from freg_nb.errors import InputError

    source = "threshold"
    if threshold is None:
        raw = os.environ.get("FREG_NB_SMALL_CELL", "").strip() or str(DEFAULT_THRESHOLD)
        source = "FREG_NB_SMALL_CELL"
        try:
            threshold = int(raw)
        except ValueError:
            raise InputError(f"FREG_NB_SMALL_CELL={raw!r} er ikke et heltall. Sett et heltall på minst "
                             f"{MIN_THRESHOLD} (standard {DEFAULT_THRESHOLD}), eller fjern innstillingen.") from None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise InputError(f"{source} må være et heltall på minst {MIN_THRESHOLD}, ikke {threshold!r}.")
    if threshold < MIN_THRESHOLD:
        raise InputError(
            f"{source}={threshold} er for lavt: grensen for små tall er minst {MIN_THRESHOLD} og kan ikke "
            f"senkes. Bruk {MIN_THRESHOLD} eller mer. Trenger du uskjulte tall til internt arbeid, be om en "
            "uskjult tabell (unsuppressed=True med formål) – den loggføres og er ikke for publisering.")
    return int(threshold)


class DisclosureTable(pd.DataFrame):
    """A DataFrame that shows its footnote under itself (in JupyterLab and as text)."""

    _metadata = ["fotnote"]

    @property
    def _constructor(self):
        return DisclosureTable

    def _repr_html_(self) -> str | None:
        html = super()._repr_html_()
        note = getattr(self, "fotnote", None)
        if html is None or not note:
            return html
        import html as _html

        return html + f'<p class="freg-nb-fotnote"><small>{_html.escape(note)}</small></p>'

    def __repr__(self) -> str:
        note = getattr(self, "fotnote", None)
        return super().__repr__() + (f"\n{note}" if note else "")


# ---- the linked set ----------------------------------------------------------------------
@dataclass
class Cell:
    """One published number: the sum of the interior unknowns ``vars``.

    ``table``: which published table it belongs to (a reader knows a hidden cell is ≥ 1 when
    that table shows its zeros). ``hideable``: may be chosen as a secondary cell. ``hidden``:
    starts hidden (primary, or fixed by a table published earlier)."""

    vars: tuple[int, ...]
    value: int
    table: str
    hideable: bool = True
    hidden: bool = False


@dataclass
class LinkedSet:
    """Interior unknowns (≥ 0) and the cells published over them; ``ub``: extra inequality rows
    ``(coefficients by var, bound)`` meaning ``sum(c * x) ≤ bound`` that a reader also knows."""

    n_vars: int
    cells: list[Cell] = field(default_factory=list)
    ub: list[tuple[dict[int, float], float]] = field(default_factory=list)

    def add(self, cell: Cell) -> int:
        if not cell.hideable and not cell.hidden and len(cell.vars) == 1 and any(
                c.vars == cell.vars for c in self.cells):
            return -1  # a "total" of one cell is the cell itself
        self.cells.append(cell)
        return len(self.cells) - 1


def _tables_known_positive(ls: LinkedSet) -> set[str]:
    """Tables whose hidden cells a reader may take as ≥ 1: they show zeros and hide none."""
    shown = {c.table for c in ls.cells if not c.hidden and c.value == 0}
    return shown - {c.table for c in ls.cells if c.hidden and c.value == 0}


@dataclass
class _System:
    """What a reader knows, over the unknown variables only: a variable that a visible
    one-variable cell shows is a constant and is substituted (sparse matrices; far fewer
    variables than cells when few are hidden)."""

    col: dict[int, int]            # var → column of the LP
    known: dict[int, float]        # var → its shown value
    a_eq: object
    b_eq: np.ndarray | None
    a_ub: object
    b_ub: np.ndarray | None


def _system(ls: LinkedSet) -> _System:
    from scipy.sparse import csr_matrix

    positive = _tables_known_positive(ls)
    known = {c.vars[0]: float(c.value) for c in ls.cells if not c.hidden and len(c.vars) == 1}
    col: dict[int, int] = {}
    for c in ls.cells:
        for v in c.vars:
            if v not in known and v not in col:
                col[v] = len(col)
    for coefs, _ in ls.ub:
        for v in coefs:
            if v not in known and v not in col:
                col[v] = len(col)

    def rows(items):
        data, ri, ci, rhs = [], [], [], []
        for coefs, bound in items:
            free = {col[v]: w for v, w in coefs.items() if v in col}
            if not free:
                continue
            for j, w in free.items():
                data.append(w)
                ri.append(len(rhs))
                ci.append(j)
            rhs.append(bound - sum(w * known[v] for v, w in coefs.items() if v in known))
        if not rhs:
            return None, None
        return csr_matrix((data, (ri, ci)), shape=(len(rhs), max(len(col), 1))), np.array(rhs)

    eq = [({v: 1.0 for v in c.vars}, float(c.value)) for c in ls.cells if not c.hidden]
    ub = [({v: -1.0 for v in c.vars}, -1.0) for c in ls.cells if c.hidden and c.table in positive]
    ub += [(dict(coefs), float(bound)) for coefs, bound in ls.ub]
    a_eq, b_eq = rows(eq)
    a_ub, b_ub = rows(ub)
    return _System(col, known, a_eq, b_eq, a_ub, b_ub)


def _range(ls: LinkedSet, system: _System, cell: Cell) -> tuple[float, float]:
    from scipy.optimize import linprog

    const = sum(system.known.get(v, 0.0) for v in cell.vars)
    free = [system.col[v] for v in cell.vars if v in system.col]
    if not free:
        return const, const
    obj = np.zeros(max(len(system.col), 1))
    obj[free] = 1.0
    out = []
    for sign in (1.0, -1.0):
        res = linprog(sign * obj, A_ub=system.a_ub, b_ub=system.b_ub, A_eq=system.a_eq, b_eq=system.b_eq,
                      bounds=(0, None), method="highs")
        if res.status == 3:  # unbounded: no upper limit
            out.append(np.inf if sign < 0 else -np.inf)
        elif res.status != 0:
            raise RuntimeError(f"disclosure audit: LP failed ({res.message})")
        else:
            out.append(sign * res.fun)
    return out[0] + const, out[1] + const


def _width(ls: LinkedSet, i: int) -> float:
    lo, hi = _range(ls, _system(ls), ls.cells[i])
    return hi - lo


def _candidates(ls: LinkedSet, i: int) -> list[int]:
    """Visible hideable cells disjoint from cell ``i`` that share a published total with it;
    per total, the smallest positive one and the first zero."""
    target = set(ls.cells[i].vars)
    picks: list[int] = []
    for r in ls.cells:
        rv = set(r.vars)
        if r is ls.cells[i] or not target <= rv:
            continue
        pos = zero = None
        for j, c in enumerate(ls.cells):
            if c.hidden or not c.hideable or not c.vars or target & set(c.vars) or not set(c.vars) <= rv:
                continue
            if c.value > 0 and (pos is None or c.value < ls.cells[pos].value):
                pos = j
            elif c.value == 0 and zero is None:
                zero = j
        picks += [j for j in (pos, zero) if j is not None and j not in picks]
    if not picks:  # no shared total: the cells linked to it by a known inequality
        linked = {k for coefs, _ in ls.ub if target & set(coefs) for k in coefs} - target
        picks = [j for j, c in enumerate(ls.cells)
                 if not c.hidden and c.hideable and c.vars and set(c.vars) <= linked]
    return picks


def protect(ls: LinkedSet, threshold: int) -> list[int]:
    """Hide more cells until every hidden cell's feasible range is at least ``threshold`` wide.

    Hiding more only widens ranges, so each hidden cell is fixed once: while it is too narrow,
    try each candidate complement and keep the cheapest that makes it wide enough (else the
    one that widens it most). A cell that cannot be protected (e.g. its total is all there
    is) stays hidden. Returns the cells still too narrow (none, normally)."""
    queue = [i for i, c in enumerate(ls.cells) if c.hidden]
    failed = []
    while queue:
        i = queue.pop(0)
        for _ in range(len(ls.cells)):
            if _width(ls, i) >= threshold:
                break
            best, best_key = None, None
            # cheapest first (zeros last: hiding one weakens what a reader may assume, but is
            # odd to see); the first that makes the cell wide enough is taken
            for j in sorted(_candidates(ls, i), key=lambda j: (ls.cells[j].value == 0, ls.cells[j].value)):
                ls.cells[j].hidden = True
                w = _width(ls, i)
                ls.cells[j].hidden = False
                key = (w < threshold, -w)
                if best_key is None or key < best_key:
                    best, best_key = j, key
                if w >= threshold:
                    break
            if best is None:
                failed.append(i)
                break
            ls.cells[best].hidden = True
            queue.append(best)
    return [i for i in failed if _width(ls, i) < threshold]


def display_counts(values: pd.Series, hidden: Sequence[bool] | np.ndarray) -> pd.Series:
    """Counts as text with ``MARK`` where hidden (missing counts stay missing)."""
    text = pd.Series(values, copy=False).astype("Int64").astype(pd.StringDtype("pyarrow"))
    return text.mask(pd.Series(np.asarray(hidden, dtype=bool), index=text.index), MARK)


def as_table(df: pd.DataFrame, note: str = FOOTNOTE) -> DisclosureTable:
    out = DisclosureTable(df)
    out.fotnote = note
    out.attrs["fotnote"] = note
    return out


# ---- the fast path for large two-way tables ------------------------------------------------
@dataclass
class GridProtection:
    """The result of ``protect_grid``: per cell (in the order given) whether it is hidden, and
    a proven lower bound of its feasible range's width (0 for visible cells)."""

    hidden: np.ndarray
    width: np.ndarray
    threshold: int

    @property
    def narrow(self) -> np.ndarray:
        """Positions of hidden cells whose proven range is narrower than the threshold."""
        return np.flatnonzero(self.hidden & (self.width < self.threshold))


def protect_grid(values, rows=None, cols=None, threshold: int = DEFAULT_THRESHOLD, *,
                 hidden=None) -> GridProtection:
    """Primary and secondary suppression for a (long) two-way table whose row totals, column
    totals and grand total a reader is assumed to know — in time near linear in the table's size.

    The hypercube method (Repsilber; τ-ARGUS's GHMITER, written here by hand for the same reason
    as ``protect``): every hidden cell gets a rectangle of four hidden cells (its row, its column,
    the opposite corner). Moving ``t`` persons round a rectangle keeps every total, so a reader
    cannot tell the table from the one shifted by any ``t`` between ``-d`` and ``u`` (``d``: the
    smallest slack of the corners on the cell's diagonal, ``u``: of the other two; a cell's slack
    is its value less what a reader may assume, 1 for a positive count). ``d + u`` is a proven
    lower bound of each corner's range; the rectangle chosen for a cell makes it at least
    ``threshold`` and adds the fewest persons' worth of new hidden cells. The LP audit
    (``_range``) confirms the bounds in the tests.

    ``values``: the counts; ``rows``/``cols``: each cell's row and column label (one cell per
    pair; ``cols=None``: a one-way table with a known total); ``hidden``: cells hidden anyway.
    Cells that cannot be protected (e.g. alone in their row) stay hidden and are listed by
    ``GridProtection.narrow``."""
    v = np.asarray(values, dtype=np.int64)
    n = len(v)
    thr = int(threshold)
    start = np.zeros(n, dtype=bool) if hidden is None else np.asarray(hidden, dtype=bool).copy()
    start |= (v > 0) & (v < thr)
    r = pd.factorize(pd.Series(rows if rows is not None else np.zeros(n)), use_na_sentinel=False)[0]
    c = pd.factorize(pd.Series(cols if cols is not None else np.arange(n)), use_na_sentinel=False)[0]
    n_r, n_c = (int(r.max()) + 1, int(c.max()) + 1) if n else (0, 0)
    if n and len(np.unique(r.astype(np.int64) * n_c + c)) != n:
        raise ValueError("protect_grid: each (row, column) pair must name one cell")
    if n_r == 1 or n_c == 1:
        width = _protect_line(v, start, thr)
        return GridProtection(start, width, thr)
    val = np.full((n_r, n_c), -1, dtype=np.int64)
    val[r, c] = v
    slack = val - np.minimum(val, 1)           # absent cells: -1, never usable
    usable = val >= 1                          # zeros are not hidden as complements
    hid = np.zeros((n_r, n_c), dtype=bool)
    hid[r, c] = start
    cost = np.where(usable, val, np.inf).astype(float)
    cost[hid & usable] = 0.0
    width = np.zeros((n_r, n_c))
    order = np.flatnonzero(start)
    order = order[np.argsort(slack[r[order], c[order]], kind="stable")]   # the hardest first
    for k in order:
        i, j = int(r[k]), int(c[k])
        if width[i, j] >= thr:
            continue
        pick = _rectangle(i, j, slack, usable, cost, thr)
        if pick is None:
            continue
        i2, j2, w = pick
        corners = (np.array([i, i, i2, i2]), np.array([j, j2, j, j2]))
        hid[corners] = True
        cost[corners] = 0.0
        width[corners] = np.maximum(width[corners], w)
    out = hid[r, c]
    return GridProtection(out, np.where(out, width[r, c], 0.0), thr)


_SHORTLIST = 12


def _cheapest(index: np.ndarray, cost: np.ndarray) -> np.ndarray:
    if index.size <= _SHORTLIST:
        return index
    return index[np.argpartition(cost, _SHORTLIST - 1)[:_SHORTLIST]]


def _rectangle(i: int, j: int, slack: np.ndarray, usable: np.ndarray, cost: np.ndarray,
               thr: int) -> tuple[int, int, float] | None:
    """The opposite corner ``(i2, j2)`` and proven width of the cheapest rectangle through
    ``(i, j)`` at least ``thr`` wide (else a widest one; None when there is none)."""
    sx = int(slack[i, j])
    cand_c = np.flatnonzero(usable[i])
    cand_c = cand_c[cand_c != j]
    cand_r = np.flatnonzero(usable[:, j])
    cand_r = cand_r[cand_r != i]
    if not cand_c.size or not cand_r.size:
        return None
    # wide enough: the corners beside the cell leave ≥ thr - sx each, the opposite one ≥ sx;
    # first among the cheapest few in the row and in the column, then among all of them
    need = thr - sx
    cc = cand_c[slack[i, cand_c] >= need]
    rr = cand_r[slack[cand_r, j] >= need]
    for short in (True, False):
        if not cc.size or not rr.size:
            break
        c2, r2 = (_cheapest(cc, cost[i, cc]), _cheapest(rr, cost[rr, j])) if short else (cc, rr)
        found = _best(i, j, r2, c2, slack, usable, cost, sx, thr)
        if found is not None and found[2] >= thr:
            return found
        if c2.size == cc.size and r2.size == rr.size:
            break
    # none wide enough: a widest one among the widest few beside the cell (best effort)
    c2 = cand_c[np.argsort(-slack[i, cand_c], kind="stable")[:_SHORTLIST]]
    r2 = cand_r[np.argsort(-slack[cand_r, j], kind="stable")[:_SHORTLIST]]
    return _best(i, j, r2, c2, slack, usable, cost, sx, thr)


def _best(i, j, rr, cc, slack, usable, cost, sx, thr) -> tuple[int, int, float] | None:
    """Among the rectangles through ``(i, j)`` with corners in rows ``rr`` and columns ``cc``:
    the cheapest at least ``thr`` wide, else the widest (then cheapest); None if none is > 0."""
    opp = np.ix_(rr, cc)
    w = np.minimum(sx, slack[opp]) + np.minimum(slack[i, cc][None, :], slack[rr, j][:, None])
    w = np.where(usable[opp], w, -1)
    top = w.max()
    if top <= 0:
        return None
    total = cost[rr, j][:, None] + cost[i, cc][None, :] + cost[opp]
    key = np.where(w >= min(thr, top), total, np.inf)
    best = np.unravel_index(np.argmin(key), key.shape)
    return int(rr[best[0]]), int(cc[best[1]]), float(w[best])


def _protect_line(v: np.ndarray, hidden: np.ndarray, thr: int) -> np.ndarray:
    """One line with a known total (modifies ``hidden``): with two or more hidden cells each
    ranges over the hidden cells' total slack; hide the smallest positive cells until it is at
    least ``thr``. Returns the proven widths."""
    slack = v - np.minimum(v, 1)
    if hidden.any():
        for k in np.argsort(np.where(hidden | (v < 1), np.iinfo(np.int64).max, v), kind="stable"):
            if hidden.sum() >= 2 and slack[hidden].sum() >= thr:
                break
            if hidden[k] or v[k] < 1:
                break
            hidden[k] = True
    ok = hidden.sum() >= 2
    return np.where(hidden, float(slack[hidden].sum()) if ok else 0.0, 0.0)


def audit_grid(values, rows, cols, hidden, cells=None) -> np.ndarray:
    """The exact width of each hidden cell's feasible range in a two-way table whose row and
    column totals are known (0 for visible cells), taking each hidden positive count as ≥ 1;
    ``cells``: only these positions (default: every hidden cell).

    For such a table the LP of ``_range`` is a network flow: changing the hidden cells while
    keeping every total is a circulation between rows and columns, so a cell can grow by the
    maximum flow from its column back to its row (a hidden cell on the way may grow without
    limit, or shrink by its slack) and shrink by the flow the other way, at most its own slack
    (``scipy.sparse.csgraph.maximum_flow``). Milliseconds per cell: for auditing large tables."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    v = np.asarray(values, dtype=np.int64)
    hid = np.asarray(hidden, dtype=bool)
    r = pd.factorize(pd.Series(rows), use_na_sentinel=False)[0]
    c = pd.factorize(pd.Series(cols), use_na_sentinel=False)[0]
    n_r = int(r.max()) + 1 if len(v) else 0
    n_nodes = n_r + (int(c.max()) + 1 if len(v) else 0)
    slack = v - np.minimum(v, 1)
    h = np.flatnonzero(hid)
    big = int(v.sum()) + 1
    # arcs row → column (the cell may grow) and column → row (it may shrink by its slack)
    src = np.concatenate([r[h], n_r + c[h]])
    dst = np.concatenate([n_r + c[h], r[h]])
    cap = np.concatenate([np.full(len(h), big), slack[h]])
    graph = csr_matrix((cap.astype(np.int32), (src, dst)), shape=(n_nodes, n_nodes))
    graph.sum_duplicates()
    graph.sort_indices()
    out = np.zeros(len(v))
    for k in (h if cells is None else np.intersect1d(h, cells)):
        i, j = int(r[k]), n_r + int(c[k])
        pos = [graph.indptr[i] + np.searchsorted(graph.indices[graph.indptr[i]:graph.indptr[i + 1]], j),
               graph.indptr[j] + np.searchsorted(graph.indices[graph.indptr[j]:graph.indptr[j + 1]], i)]
        kept = graph.data[pos].copy()
        graph.data[pos] = 0                     # the cell itself is not a way round
        up = maximum_flow(graph, j, i).flow_value
        down = min(int(slack[k]), maximum_flow(graph, i, j).flow_value)
        graph.data[pos] = kept
        out[k] = up + down
    return out
