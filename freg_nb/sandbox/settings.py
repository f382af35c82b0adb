"""The sandbox's configuration: one dataclass, every knob with a sensible default."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from freg_nb.sandbox import shapes as _shapes
from freg_nb.sandbox.faults import Faults

__all__ = ["SandboxConfig", "MAX_BATCH_SIZE", "BULK_SHAPES", "config_from_env"]

MAX_BATCH_SIZE = 100_000  # identifiers per extract batch (Skatteetaten's service page)
BULK_SHAPES = ("wrapper", "spec")


@dataclass
class SandboxConfig:
    """What the sandbox serves and how it behaves.

    >>> SandboxConfig(persons=1000).batch_size
    5000
    """

    seed: int = 1
    persons: int = 20_000
    events: int = 200_000
    span_days: int = 730
    reference_date: date | None = None
    untidy: float = 0.02                # share of persons (and event documents) that deviate from the spec the
    #                                     way the documents in examples/ do (see untidy.py)
    batch_size: int = 5000              # identifiers per extract batch (Freg's service page: up to 100 000)
    bulk_archived_shape: str = "wrapper"  # POST personer/bulkoppslag/arkiv: "wrapper" | "spec" (see persons.py)
    bulk_events_shape: str = "spec"       # POST hendelser/bulkoppslag: "spec" | "wrapper"
    extract_ready_after_s: float = 0.5  # a new extract job answers 404 until then
    job_ttl_s: float = 3600.0           # an unread job stops counting as running after this
    token_lifetime_s: int = 120         # Maskinporten access token lifetime
    max_jobs: int = 10                  # running extract jobs per organisation (429 above)
    max_bulk: int = 1000                # ids per bulk lookup (400 above)
    max_search_hits: int = 10_000       # hits per search (400 above)
    feed_page_size: int = 1000          # fixed by Freg
    roles_file: str | Path | None = None
    faults: Faults = field(default_factory=Faults)
    scenario: str | None = None         # a named training scenario applied at start
    shapes: str | Path | dict | None = None  # a shape report (freg-nb shape-report): what Fiks answered that the
    #                                          sandbox did not, served as extra untidy variants (see shapes.py)
    shape_variants: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE} (Freg's maximum per batch)")
        for name in ("bulk_archived_shape", "bulk_events_shape"):
            if getattr(self, name) not in BULK_SHAPES:
                raise ValueError(f"{name} must be one of {', '.join(BULK_SHAPES)}")
        if self.shapes is not None:
            self.shape_variants = _shapes.load(self.shapes)


def config_from_env(environ=None, *, seed: int | None = None) -> SandboxConfig:
    """The default config with the seed ``seed``, else ``FREG_NB_SANDBOX_SEED`` (a course sandbox: every
    participant sees the same persons), else 1.

    >>> config_from_env({"FREG_NB_SANDBOX_SEED": "7"}).seed, config_from_env({}, seed=3).seed
    (7, 3)
    """
    env = os.environ if environ is None else environ
    raw = (env.get("FREG_NB_SANDBOX_SEED") or "").strip()
    if seed is None and raw:
        try:
            seed = int(raw)
        except ValueError:
            raise ValueError(f"FREG_NB_SANDBOX_SEED må være et helt tall, ikke {raw[:20]!r}") from None
    return SandboxConfig() if seed is None else SandboxConfig(seed=seed)
