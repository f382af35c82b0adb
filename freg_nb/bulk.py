"""The one bulk fetch pipeline, shared by lookups and extracts.

Identifiers (already validated) are sorted and cut into calls of at most ``BULK_SIZE``; each
answer is written, as the raw bytes received, atomically into a run folder of the private data
folder. A run folder is keyed by what was asked (``run_key``), so an interrupted run resumes with
the calls already stored and nothing is lost or fetched twice.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import orjson

from .errors import AccessDenied, FregNbError
from .parts import explain_denied

if TYPE_CHECKING:
    pass

__all__ = ["BULK_SIZE", "DONE_FILE", "answer_files", "fetch_bulk", "prepare_run", "run_key"]

BULK_SIZE = 1000
"""Identifiers per bulk call (Freg's maximum)."""
STALE_RUN_S = 24 * 3600  # an unfinished run older than this is started again, not resumed
DONE_FILE = "done.json"


def run_key(role_id: str, parts: Sequence[str] | None, ids: Iterable[str], *, kind: str = "bulk") -> str:
    """The run folder key: a hash of (kind, role, parts, sorted ids) — same request, same folder."""
    h = hashlib.sha256()
    h.update(orjson.dumps([kind, role_id.lower(), sorted(parts or [])]))
    for i in sorted(ids):
        h.update(i.encode() + b"\n")
    return h.hexdigest()[:24]


def answer_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.json") if not p.name.startswith((".", "_")) and p.name != DONE_FILE)


def prepare_run(store: Any, run_id: str, *, resume: bool) -> tuple[Path, set[str]]:
    """The run folder and the answer files already there that may be reused."""
    folder = store.raw_dir(run_id)
    done = folder / DONE_FILE
    existing = answer_files(folder)
    stale = existing and (time.time() - min(p.stat().st_mtime for p in existing) > STALE_RUN_S)
    if done.exists() or not resume or stale:
        for p in existing:
            p.unlink()
        done.unlink(missing_ok=True)
        existing = []
    return folder, {p.name for p in existing}


def fetch_bulk(client: Any, ids: Sequence[str], *, role: str, parts: Sequence[str] | None, folder: Path | str,
               store: Any = None, desc: str = "Bulkoppslag", progress: bool | None = None,
               reuse: Iterable[str] = (), archived: bool = False) -> dict[str, Any]:
    """Fetch ``ids`` (already validated) with bulk calls of ≤ 1000 into ``folder`` as raw answers.

    ``archived=True``: the ids are document ids, fetched with bulkoppslag/arkiv (``arkiv-NNNNN.json``).

    The low-level step under ``lookup_persons`` (also used by extracts): ids are sorted and cut
    into chunks ``bulk-00000.json``, ``bulk-00001.json`` …; chunks named in ``reuse`` (or already
    present when ``reuse`` is None) are not fetched again. Calls run concurrently through
    ``client.map`` with a progress bar; each answer is written atomically as the bytes received.
    Returns ``{"calls": n fetched, "calls_reused": n reused, "chunks": n, "seconds": …}``.
    """
    store = store or client.data_dir
    folder = Path(folder)
    rel = folder.relative_to(store.path)
    ordered = sorted(ids)
    chunks = [ordered[i:i + BULK_SIZE] for i in range(0, len(ordered), BULK_SIZE)]
    names = [f"{'arkiv' if archived else 'bulk'}-{n:05d}.json" for n in range(len(chunks))]
    call = client.bulk_archived if archived else client.bulk_lookup
    reuse = set(reuse)
    todo = [(name, chunk) for name, chunk in zip(names, chunks) if name not in reuse]
    _, role_name = client.resolve_role(role)
    part_list = list(parts) if parts else None

    def one(item: tuple[str, list[str]]) -> int:
        name, chunk = item
        body = call(role, chunk, parts=part_list, raw=True)
        store.write_bytes(rel / name, body)
        return len(body)

    t0 = time.monotonic()
    try:
        sizes = client.map(one, todo, desc=desc, progress=progress) if todo else []
    except AccessDenied as e:
        raise explain_denied(e, role_name, part_list) from None
    except KeyboardInterrupt:
        done = len(answer_files(folder))
        raise KeyboardInterrupt(f"Interrupted after {done} of {len(chunks)} bulk calls were stored. "
                                "Run the same lookup again to continue where it stopped.") from None
    except FregNbError as e:
        done = len(answer_files(folder))
        e.args = (f"{e} ({done} of {len(chunks)} bulk calls are stored; run the same lookup again to continue "
                  "with the rest.)",)
        raise
    return {"calls": len(todo), "calls_reused": len(chunks) - len(todo), "chunks": len(chunks),
            "bytes": int(sum(sizes)), "seconds": time.monotonic() - t0}


