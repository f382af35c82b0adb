"""The sandbox population's own answer to "who lived where on day d" — the truth a mirror is checked against.

Read from the population's arrays: a person is *bosatt* on day d when they are not a D-number
holder, their status is bosatt, doed or utflyttet (the last two were bosatt until then), they
entered the register on or before d (``first``) and neither died nor emigrated on or before d.
Their municipality that day is the current address's (``kommune``) from the day they moved there
(``addr_from``); before that, the earlier address they had moved to last (its ``flyttedato``, read
from the person's document with history, only for those few). A ``strengtFortrolig`` address
has no municipality in Freg's answers, so it counts as unknown here too.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .population import BOSATT, DOED, EPOCH, UTFLYTTET, Population

__all__ = ["residents_at", "population_at"]


def _day(d: date) -> int:
    return (d - EPOCH).days


def _earlier_kommune(pop: Population, i: int, day: int) -> str | None:
    """Municipality of person i's address on ``day`` (before the current one), from the history."""
    doc = pop.document(int(i), parts=["bostedsadresse"], historikk=True)
    best, best_day = None, None
    for v in doc.get("bostedsadresse") or []:
        moved = v.get("flyttedato")
        if not moved:
            continue
        d = _day(date.fromisoformat(moved))
        adr = v.get("vegadresse") or v.get("matrikkeladresse", {}).get("matrikkelnummer") or v.get("ukjentBosted") or {}
        k = adr.get("kommunenummer") or adr.get("bostedskommune")
        if d <= day and (best_day is None or d > best_day):
            best, best_day = k, d
    return best


def residents_at(pop: Population, d: date) -> pd.DataFrame:
    """Everyone bosatt on day ``d``: index, kommunenummer (None when unknown), alder, kjoenn."""
    day = _day(d)
    end = np.where(pop.status == DOED, pop.death, np.where(pop.status == UTFLYTTET, pop.emig, np.iinfo(np.int32).max))
    ok = (~pop.dnr) & np.isin(pop.status, (BOSATT, DOED, UTFLYTTET)) & (pop.first <= day) & (day < end)
    idx = np.flatnonzero(ok)
    kom = pop.kommune_numbers[pop.kommune[idx]].astype(object)
    kom[(pop.prot[idx] == 2) & ~pop.ukjent[idx]] = None  # strengtFortrolig: the address (and its municipality) is never given
    earlier = (pop.n_prev[idx] > 0) & (day < pop.addr_from[idx])
    for k in np.flatnonzero(earlier):
        kom[k] = _earlier_kommune(pop, int(idx[k]), day)
    birth = pop.birth[idx].astype("datetime64[D]")
    by = birth.astype("datetime64[Y]").astype(int) + 1970
    bm = (birth - birth.astype("datetime64[M]")).astype(int) + 100 * (birth.astype("datetime64[M]").astype(int) % 12)
    age = d.year - by - ((d.month - 1) * 100 + d.day - 1 < bm)
    return pd.DataFrame({"index": idx, "kommunenummer": kom, "alder": age.astype(int),
                         "kjoenn": np.where(pop.male[idx], "mann", "kvinne")})


def population_at(pop: Population, d: date, kommuner=None) -> pd.DataFrame:
    """Residents on day ``d`` by kommunenummer × alder × kjoenn (``antall``), optionally only ``kommuner``."""
    r = residents_at(pop, d)
    r = r[r["kommunenummer"].notna()]
    if kommuner is not None:
        r = r[r["kommunenummer"].isin(list(kommuner))]
    out = r.groupby(["kommunenummer", "alder", "kjoenn"]).size().rename("antall").reset_index()
    return out.sort_values(["kommunenummer", "alder", "kjoenn"]).reset_index(drop=True)
