"""Avstemming: compare a fagsystem list with Folkeregisteret and list what has changed.

    >>> from freg_nb.reconcile import reconcile
    >>> res = reconcile(None, "elever.csv", role="analyse", kommune="0301")   # doctest: +SKIP
    >>> res.counts(); res.rows; res.export(["xlsx", "csv"])                   # doctest: +SKIP

Modules: ``reader`` (files in any encoding, columns by name or content), ``normalise``
(vectorised keys for names, addresses, postnumre, ids), ``compare`` (the vectorised comparison
and the categories), ``result`` (``reconcile`` and ``ReconcileResult``).
"""
from .compare import CATEGORIES
from .reader import ListTable, read_list
from .result import ReconcileResult, reconcile

__all__ = ["CATEGORIES", "ListTable", "ReconcileResult", "read_list", "reconcile"]
