"""Deterministic hashing and reversible 128-bit ids for the synthetic world.

* ``hash64(x, salt)`` — splitmix64 over numpy uint64 arrays (vectorised) and ``hash1`` for one
  Python int: the same numbers, so lazily computed details agree with vectorised ones.
* ``IdCodec`` — a keyed 4-round Feistel permutation of 128 bits: encodes ``(a, b)`` (a < 2**32,
  b < 2**40) into 32 hex characters and back, rejecting ids it did not make (56-bit tag).
  No table is needed to decode a document or event id.
"""

from __future__ import annotations

import numpy as np

M64 = (1 << 64) - 1
_C1, _C2, _GOLD = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x9E3779B97F4A7C15


def hash64(x, salt: int = 0) -> np.ndarray:
    """splitmix64 of ``x + salt*golden`` for an array; returns uint64."""
    z = np.asarray(x).astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += np.uint64((salt * _GOLD) & M64)
        z += np.uint64(_GOLD)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_C1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_C2)
        z ^= z >> np.uint64(31)
    return z


def hash1(x: int, salt: int = 0) -> int:
    """``hash64`` for one Python int (identical result)."""
    z = (x + salt * _GOLD + _GOLD) & M64
    z = ((z ^ (z >> 30)) * _C1) & M64
    z = ((z ^ (z >> 27)) * _C2) & M64
    return z ^ (z >> 31)


def unit(x, salt: int = 0) -> np.ndarray:
    """Uniform floats in [0, 1) from ``hash64``."""
    return (hash64(x, salt) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def categorical(rng: np.random.Generator, p, size: int) -> np.ndarray:
    """``size`` draws of category indices with probabilities ``p`` (Walker/Vose alias method).

    Written by hand because numpy has no alias sampler: ``Generator.choice(p=...)`` does a binary
    search per draw, about five times slower for a million draws over hundreds of categories.
    """
    p = np.asarray(p, dtype=float)
    k = len(p)
    scaled = p * (k / p.sum())
    prob, alias = np.ones(k), np.arange(k)
    small = [i for i in range(k) if scaled[i] < 1.0]
    large = [i for i in range(k) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    col = rng.integers(0, k, size, dtype=np.int32)
    return np.where(rng.random(size, dtype=np.float32) < prob.astype(np.float32)[col], col, alias.astype(np.int32)[col])


def unit1(x: int, salt: int = 0) -> float:
    return (hash1(x, salt) >> 11) * (1.0 / (1 << 53))


_B_MASK = (1 << 40) - 1


class IdCodec:
    """Reversible, keyed mapping ``(a, b, kind) <-> 32 lowercase hex chars``."""

    def __init__(self, seed: int, kind: int):
        self._keys = [hash1(seed, 1000 + r) for r in range(4)]
        self._tag = hash1(seed, 77 + kind) & ((1 << 56) - 1)

    def _f(self, x, r):
        return hash64(x, self._keys[r])

    def encode_many(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.asarray(a).astype(np.uint64)
        b = np.asarray(b).astype(np.int64).astype(np.uint64) & np.uint64(_B_MASK)  # 40 bits, two's complement
        left = (a << np.uint64(32)) | (b >> np.uint64(8))
        right = ((b & np.uint64(0xFF)) << np.uint64(56)) | np.uint64(self._tag)
        for r in range(4):
            left, right = right, left ^ self._f(right, r)
        return np.char.add(np.char.zfill(np.char.mod("%x", left), 16), np.char.zfill(np.char.mod("%x", right), 16)) \
            if len(left) else np.array([], dtype="<U32")

    def encode(self, a: int, b: int) -> str:
        b &= _B_MASK  # moments before 1970 are negative: kept as 40-bit two's complement
        left = ((a & 0xFFFFFFFF) << 32) | (b >> 8)
        right = ((b & 0xFF) << 56) | self._tag
        for r in range(4):
            left, right = right, left ^ hash1(right, self._keys[r])
        return f"{left:016x}{right:016x}"

    def decode(self, ident: str) -> tuple[int, int] | None:
        if not isinstance(ident, str) or len(ident) != 32:
            return None
        try:
            left, right = int(ident[:16], 16), int(ident[16:], 16)
        except ValueError:
            return None
        for r in reversed(range(4)):
            left, right = right ^ hash1(left, self._keys[r]), left
        if right & ((1 << 56) - 1) != self._tag:
            return None
        b = ((left & 0xFFFFFFFF) << 8) | (right >> 56)
        return left >> 32, b - (1 << 40) if b >> 39 else b
