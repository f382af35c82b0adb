"""Former identifiers: immigrants who first had a D-number and later got a fødselsnummer.

A hook kept apart from ``population`` and ``persondoc`` (which call it in two places): some
adult immigrants (by a hash of their index, about 40 %) were registered with a D-number when
they arrived and got their fødselsnummer 2 months to 4 years later. The D-number is derived
from the fødselsnummer (day + 40, same individual digits, new check digits), so no table is
kept: ``former_dnumber`` gives it, ``owner_of`` finds the person from it (Freg answers a lookup
of a ceased number with the person), and ``identifikasjonsnummer`` gets two versions — the
D-number ``opphoert`` and the fødselsnummer ``iBruk`` from the day of the change.

The feed carries an ``endringIIdentifikasjonsnummer`` event at the change (change kind ``newident``).
"""
from __future__ import annotations

import numpy as np

from .. import ids
from .mixing import hash64

__all__ = ["change_days", "former_dnumber", "owner_of"]

_SALT = 0xD0F
_SHARE = 40          # per cent of adult immigrants
_YEAR = 365.25


def change_days(pop, idx=None) -> np.ndarray:
    """Day each person's D-number was replaced by a fødselsnummer (-1 = never), vectorised."""
    idx = np.arange(pop.size) if idx is None else np.asarray(idx)
    h = hash64(idx.astype(np.int64), pop.seed * 131 + _SALT)
    immig, birth = pop.immig[idx].astype(np.int64), pop.birth[idx].astype(np.int64)
    day = immig + 60 + ((h >> np.uint64(8)) % np.uint64(1400)).astype(np.int64)
    death, emig = pop.death[idx].astype(np.int64), pop.emig[idx].astype(np.int64)
    ok = (~pop.dnr[idx]) & (immig >= 0) & (immig - birth >= 18 * _YEAR) & (h % np.uint64(100) < _SHARE) \
        & (day < pop.ref_day - 1) & ((death < 0) | (day < death)) & ((emig < 0) | (day < emig))
    return np.where(ok, day, -1)


def former_dnumber(pop, i: int) -> tuple[str, int] | None:
    """(the ceased D-number, the day it was replaced) for person i, or None."""
    day = int(change_days(pop, [i])[0])
    if day < 0:
        return None
    s = pop.identifier(i)
    first9 = str(int(s[0]) + 4) + s[1:9]
    k = ids.check_digits(first9)
    if k is None or pop.index_of(first9 + k, former=False) is not None:  # no valid number, or someone has it
        return None
    return first9 + k, day


def owner_of(pop, ident: str) -> int | None:
    """The person whose ceased D-number ``ident`` is, or None."""
    if ident[0] not in "4567":
        return None
    first9 = str(int(ident[0]) - 4) + ident[1:9]
    for rule, rem in (("1964", 0), ("2032", 1), ("2032", 2), ("2032", 3)):
        k = ids.check_digits(first9, rule=rule, k1_remainder=rem)
        i = pop.index_of(first9 + k, former=False) if k else None
        if i is not None:
            old = former_dnumber(pop, i)
            return i if old is not None and old[0] == ident else None
    return None
