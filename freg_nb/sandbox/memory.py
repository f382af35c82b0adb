"""Giving freed memory back to the operating system after a big build (glibc only)."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["release_free_memory"]


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows): nothing to do
        return None


def release_free_memory() -> None:
    """Ask glibc to hand freed heap pages back (``malloc_trim``). Building the population or the
    event feed frees hundreds of MB of numpy temporaries that glibc would otherwise keep in the
    process (fragmented heaps and per-thread arenas), so the sandbox's resident memory would stay
    near its build peak. A no-op where glibc is absent."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
