"""Befolkningsspeil: a local mirror of a municipality's residents, every version of every person,
kept current from the hendelser feed, answering "how many live here, where, at what age — on any
day, and how did it change?".

    >>> from freg_nb import mirror
    >>> speil = mirror.build_mirror(client, role="analyse", kommuner=["0301"], name="oslo")  # doctest: +SKIP
    >>> mirror.update_mirror(speil)                                                          # doctest: +SKIP
    >>> mirror.population(speil, at="2025-01-01", by=["grunnkrets", "aldersgruppe"])         # doctest: +SKIP
    >>> mirror.flows(speil, "2024-01-01", "2025-01-01", by="grunnkrets")                     # doctest: +SKIP
    >>> mirror.cohort(speil, at="2025-03-01")                                                # doctest: +SKIP

The data lives in the private data folder under ``speil/<name>/`` (Parquet); see
:mod:`freg_nb.mirror.core` for the layout and why a kill at any point is harmless.
"""
from .build import build_mirror
from .core import Mirror, list_mirrors, open_mirror
from .questions import (cohort, export_tables, flow_counts, flows, population, population_counts, pyramid_table,
                        school_year)
from .update import UpdateResult, apply_page, update_mirror

__all__ = [
    "Mirror", "UpdateResult", "apply_page", "build_mirror", "cohort", "export_tables", "flow_counts", "flows",
    "list_mirrors", "open_mirror", "population", "population_counts", "pyramid_table", "school_year",
    "update_mirror",
]
