"""Current (2024) Norwegian municipalities: number, name, county and an approximate population.

One small CSV (``freg_nb/data/kommuner.csv``) shared by the sandbox (to spread synthetic people
realistically) and the client (to check a kommunenummer before any request is sent).
Populations are rounded approximations, only meant as weights.
"""

from __future__ import annotations

import csv
import difflib
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

__all__ = ["Kommune", "HistoriskKommunenummer", "kommuner", "kommune_dict", "is_current", "kommunenavn", "fylker",
           "historisk", "problem"]


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


class HistoriskKommunenummer(str):
    """A kommunenummer the caller has marked as historic (no longer current) on purpose."""


def historisk(kommunenummer: str) -> HistoriskKommunenummer:
    """Mark a former municipality's number as meant: ``bostedskommunenummer=historisk("1201")``.

    Search and extracts refuse numbers that are not current municipalities (a typo finds no one);
    a historic number is accepted only when it is marked like this.
    """
    return HistoriskKommunenummer(str(kommunenummer).strip())


def problem(value: object, label: str) -> str | None:
    """What is wrong with ``value`` as a kommunenummer (shown under ``label``), or None when it is a
    current municipality or marked ``historisk(...)``. Unknown numbers get close matches."""
    from .messages import msg

    s = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if s is None or not s.isdigit() or len(s) != 4:
        hint = msg("kommune.leading_zero", padded=s.zfill(4)) if s and s.isdigit() and len(s) < 4 else ""
        return msg("kommune.format", field=label, value=value, hint=hint)
    if isinstance(value, HistoriskKommunenummer) or is_current(s):
        return None
    known = kommune_dict()
    close = difflib.get_close_matches(s, list(known), n=3, cutoff=0.5)
    same_county = [k for k in known if k[:2] == s[:2]][:3]
    hints = ", ".join(f"{k} ({known[k].kommunenavn})" for k in (close or same_county))
    return msg("kommune.unknown", field=label, value=s,
               close=msg("kommune.close", hints=hints) if hints else "")
