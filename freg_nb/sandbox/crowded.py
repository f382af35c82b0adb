"""Identifiers for the crowded birth days of a whole country (the 5.6 M sandbox).

``Population._mint_identifiers`` gives member ``r`` of a birth day's group the slots ``r``,
``r + g``, ``r + 2g`` … (``g``: the group's size) until its check digits are possible, which keeps
numbers unique by construction; with millions of persons a day can hold more than that striding
places under 500. Those persons take their day's free individual numbers here.
"""
from __future__ import annotations

import numpy as np

__all__ = ["mint_crowded"]


def mint_crowded(todo, first9, k12, first_of_group, g, century, offset, date6, s1, s2, rem, w1_t, w2_t) -> None:
    """Numbers for the persons of a crowded birth day that the striding of ``_mint_identifiers``
    found no slot for (``todo``: positions in birth order): each takes the first individual number
    of its day, in slot order, whose check digits are possible and that nobody of the day holds —
    by day at once under the usual rule, in a loop for the few under the 2032 rule (their check
    digits differ person by person)."""
    waiting = np.zeros(len(first9), dtype=bool)
    waiting[todo] = True
    plain = todo[rem[todo] == 0]  # the usual check digits: all of a day at once
    if len(plain):
        _mint_crowded_plain(np.sort(plain), waiting, first9, k12, first_of_group, g, century, offset, date6,
                            s1, s2, w1_t, w2_t)
    for t in todo[rem[todo] != 0].tolist():
        lo = int(first_of_group[t])
        members = slice(lo, lo + int(g[t]))
        used = set(first9[members][~waiting[members]].tolist())
        for slot in range(500):
            indiv = 500 * int(century[t]) + (slot * 173 + int(offset[t])) % 500
            k1 = (int(rem[t]) - int(s1[t]) - int(w1_t[indiv])) % 11
            k2 = (-(int(s2[t]) + int(w2_t[indiv]) + 2 * k1)) % 11
            number = int(date6[t]) * 1000 + indiv
            if k1 < 10 and k2 < 10 and number not in used:
                first9[t], k12[t] = number, k1 * 10 + k2
                waiting[t] = False
                break
        else:
            raise RuntimeError("too many persons per birth date to mint unique identifiers")


def _mint_crowded_plain(todo, waiting, first9, k12, first_of_group, g, century, offset, date6, s1, s2,
                        w1_t, w2_t) -> None:
    """``mint_crowded`` for persons under the usual check-digit rule, vectorised by day: the j-th
    such person of a day takes the day's j-th free individual number (slot order) with possible
    check digits."""
    days, day_of = np.unique(first_of_group[todo], return_inverse=True)
    rep = todo[np.searchsorted(first_of_group[todo], days)]          # one person of each day
    slot = np.arange(500, dtype=np.int32)
    indiv = 500 * century[rep][:, None] + (slot[None, :] * 173 + offset[rep][:, None]) % 500
    k1 = (-s1[rep][:, None] - w1_t[indiv]) % 11
    k2 = (-(s2[rep][:, None] + w2_t[indiv] + 2 * k1)) % 11
    free = (k1 < 10) & (k2 < 10)
    # the slots the day's other persons hold (slot = (indiv - offset) / 173 mod 500)
    sizes = g[rep]
    members = np.repeat(days, sizes) + (np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    holder = ~waiting[members]
    members, row = members[holder], np.repeat(np.arange(len(days)), sizes)[holder]
    held = ((first9[members] % 1000 - 500 * century[members] - offset[members]) * pow(173, -1, 500)) % 500
    free[row, held] = False
    rank = np.arange(len(todo)) - np.searchsorted(day_of, day_of)   # todo is sorted, so by day
    counts = free.sum(axis=1)
    if (rank >= counts[day_of]).any():
        raise RuntimeError("too many persons per birth date to mint unique identifiers")
    fr, fs = np.nonzero(free)                                         # by day, then slot
    pick = (np.cumsum(counts) - counts)[day_of] + rank
    r, sl = fr[pick], fs[pick]
    first9[todo] = date6[todo].astype(np.int64) * 1000 + indiv[r, sl]
    k12[todo] = (k1[r, sl] * 10 + k2[r, sl]).astype(np.int8)
    waiting[todo] = False
