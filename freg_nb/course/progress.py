"""Which exercises a participant has solved: one JSON file in the private data folder.

``kurs/fremdrift.json`` (0600, written atomically by ``store.DataDir``): per exercise the time it was
first solved and the number of attempts, so a kernel restart — or the app in another tab — keeps it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..store import DataDir

__all__ = ["Progress", "PROGRESS_FILE"]

PROGRESS_FILE = "kurs/fremdrift.json"


class Progress:
    def __init__(self, data_dir: Any):
        self.store = data_dir if isinstance(data_dir, DataDir) else DataDir(data_dir)

    def _read(self) -> dict:
        data = self.store.read_json(PROGRESS_FILE, default=None) or {}
        return {"solved": dict(data.get("solved") or {}), "attempts": dict(data.get("attempts") or {})}

    def record(self, key: str, correct: bool) -> None:
        """One attempt at exercise ``key`` (read again first: another kernel may have written meanwhile)."""
        data = self._read()
        data["attempts"][key] = int(data["attempts"].get(key, 0)) + 1
        if correct:
            data["solved"].setdefault(key, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.store.write_json(PROGRESS_FILE, data)

    @property
    def solved(self) -> set[str]:
        return set(self._read()["solved"])

    def attempts(self, key: str) -> int:
        return int(self._read()["attempts"].get(key, 0))

    def reset(self) -> None:
        self.store.write_json(PROGRESS_FILE, {"solved": {}, "attempts": {}})
