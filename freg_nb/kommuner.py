"""Current (2024) Norwegian municipalities: number, name, county and an approximate population.

One small CSV (``freg_nb/data/kommuner.csv``) shared by the sandbox (to spread synthetic people
realistically) and the client (to check a kommunenummer before any request is sent).
Populations are rounded approximations, only meant as weights.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

__all__ = ["Kommune", "kommuner", "kommune_dict", "is_current", "kommunenavn", "fylker"]


class Kommune(NamedTuple):
    kommunenummer: str
    kommunenavn: str
    fylkesnummer: str
    fylkesnavn: str
    innbyggere: int  # approximate; a population weight
    postnummer: str  # a plausible first postnummer of the municipality (synthetic data only)


@lru_cache(maxsize=1)
def _rows() -> tuple[Kommune, ...]:
    text = resources.files("freg_nb").joinpath("data/kommuner.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    return tuple(
        Kommune(r["kommunenummer"], r["kommunenavn"], r["fylkesnummer"], r["fylkesnavn"],
                int(r["innbyggere"]), r["postnummer"])
        for r in reader
    )


def kommune_dict() -> dict[str, Kommune]:
    """``{kommunenummer: Kommune}`` in file order (by county, then number). No pandas needed."""
    return {k.kommunenummer: k for k in _rows()}


def kommuner():
    """All current municipalities as a DataFrame (one row each, numbers as 4-digit strings).

    >>> df = kommuner()
    >>> df.loc[df.kommunenummer == "0301", "kommunenavn"].item()
    'Oslo'
    """
    import pandas as pd

    df = pd.DataFrame(_rows(), columns=list(Kommune._fields))
    return df.astype({c: "string" for c in Kommune._fields if c != "innbyggere"})


def is_current(kommunenummer: object) -> bool:
    """True when the value is the number of a current (2024) municipality, e.g. ``"0301"``."""
    return isinstance(kommunenummer, str) and kommunenummer.strip() in kommune_dict()


def kommunenavn(kommunenummer: str) -> str | None:
    k = kommune_dict().get(str(kommunenummer).strip())
    return k.kommunenavn if k else None


def fylker() -> dict[str, str]:
    """``{fylkesnummer: fylkesnavn}`` of the current counties."""
    return {k.fylkesnummer: k.fylkesnavn for k in _rows()}
