"""Thread-safe counters of what the sandbox served (readable in-process and via /_sandbox/counters)."""
from __future__ import annotations

import threading
from collections import Counter

__all__ = ["Counters"]

_KINDS = ("route", "status", "role", "tokens_issued", "grants_rejected", "faults", "missing_header")


class Counters:
    def __init__(self):
        self._lock = threading.Lock()
        self._c = {k: Counter() for k in _KINDS}
        self._in_flight = self._max_in_flight = 0

    def add(self, kind: str, key: str = "total", n: int = 1) -> None:
        with self._lock:
            self._c[kind][key] += n

    def enter(self) -> None:
        """A Fiks call starts being served (``max_in_flight`` shows how many a client kept open at once)."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def snapshot(self) -> dict:
        with self._lock:
            out = {k: dict(sorted(v.items())) for k, v in self._c.items()}
            out["max_in_flight"] = self._max_in_flight
        out["tokens_issued"] = out["tokens_issued"].get("total", 0)
        return out

    def reset(self) -> None:
        with self._lock:
            for v in self._c.values():
                v.clear()
            self._max_in_flight = self._in_flight
