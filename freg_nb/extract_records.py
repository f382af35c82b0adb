"""The record of each extract in the private data folder: ``extracts/<name>/state.json``.

Names, the state file, the local guard against Freg's limit of 10 running jobs, and the
functions that list and discard recorded extracts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import warnings
from typing import TYPE_CHECKING, Any, Mapping

from ._connect import resolve_client
from .errors import InputError
from .messages import field, label, msg

if TYPE_CHECKING:
    import pandas as pd

    from .client import FregClient
    from .store import DataDir

__all__ = ["discard_extract", "list_extracts"]

STATE_VERSION = 1
MAX_RUNNING_JOBS = 10          # Freg: at most 10 extract jobs running per organisation
JOB_GUARD_HOURS = 24.0         # an unfinished job recorded locally counts as running this long
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
DONE = "done"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def age_hours(stamp: str | None) -> float:
    if not stamp:
        return float("inf")
    try:
        t = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return float("inf")
    return (dt.datetime.now(dt.timezone.utc) - t).total_seconds() / 3600


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith((".", "-")) or ".." in name:
        raise InputError(msg("extract.bad_name", field=field("name"), name=name))
    return name


def spec_key(spec: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]


def default_name(spec: Mapping[str, Any]) -> str:
    return f"{'tilpasset' if spec['kind'] == 'tailored' else 'komplett'}-{spec['role']}-{spec_key(spec)}"


def store_of(client: FregClient) -> DataDir:
    return client.data_dir


def state_rel(name: str) -> str:
    return f"extracts/{name}/state.json"


def all_states(store: Any) -> list[dict]:
    root = store.resolve("extracts")
    out = []
    if not root.is_dir():
        return out
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and (sub / "state.json").is_file():
            try:
                st = store.read_json(f"extracts/{sub.name}/state.json")
            except Exception:  # a damaged state file must not block every other extract
                continue
            if isinstance(st, dict):
                out.append(st)
    return out


def jobs_held(state: Mapping[str, Any]) -> int:
    """How many jobs Freg may still count as running for a recorded extract.

    Its job until the end (``{}``) was read, within ``JOB_GUARD_HOURS`` of ordering; plus every
    order that may have reached Freg without an answer (``uncertain_orders``) in that window.
    """
    n = 0
    if state.get("job_id") and not state.get("end_reached") and state.get("status") != DONE \
            and age_hours(state.get("ordered_at")) < JOB_GUARD_HOURS:
        n += 1
    n += sum(1 for s in state.get("uncertain_orders") or [] if age_hours(s) < JOB_GUARD_HOURS)
    return n


def limit_message(name: str) -> str:
    return msg("extract.limit", name=name, max=MAX_RUNNING_JOBS)


def describe_spec(spec: Mapping[str, Any]) -> str:
    """An extract's criteria in the words the form and notebook use (bokmål): «rolle analyse; Personstatus
    bosatt; Født fra og med år 2018 …»."""
    if spec.get("kind") == "complete":
        shown = [f"komplett uttrekk ved feedsekvensnr {spec.get('feedsekvensnr')}"]
    else:
        crit = dict(spec.get("criteria") or {})
        crit.update(crit.pop("kommunenummer", None) or {})
        shown = [f"{label(k)} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in crit.items()
                 if v not in (None, "", [])]
    parts = spec.get("parts")
    return "; ".join([f"rolle {spec.get('role')}", *shown] + ([f"deler {', '.join(parts)}"] if parts else []))


def list_extracts(client: "FregClient | None" = None) -> "pd.DataFrame":
    """The extracts recorded in the private data folder, one row each (newest first).

    Columns: ``navn``, ``type``, ``rolle``, ``status``, ``bestilt``, ``batcher``, ``identifikatorer``,
    ``rader``, ``feil``, ``kjorer`` (counts toward Freg's limit of 10 running jobs), ``parquet``.

    >>> freg_nb.list_extracts()                                  # doctest: +SKIP
    """
    import pandas as pd

    client = resolve_client(client)
    rows = []
    for st in all_states(store_of(client)):
        rows.append({
            "navn": st.get("name"), "type": "tilpasset" if st.get("kind") == "tailored" else "komplett",
            "rolle": st.get("role"), "status": st.get("status"), "bestilt": st.get("ordered_at"),
            "batcher": len(st.get("batches") or []), "identifikatorer": st.get("ids_total"),
            "rader": st.get("rows"), "feil": st.get("errors"), "kjorer": jobs_held(st) > 0,
            "parquet": st.get("parquet"),
        })
    cols = ["navn", "type", "rolle", "status", "bestilt", "batcher", "identifikatorer", "rader", "feil",
            "kjorer", "parquet"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values("bestilt", ascending=False, na_position="last", ignore_index=True)


def discard_extract(client: "FregClient | None" = None, name: str | None = None, /, **deprecated: Any) -> bool:
    """Delete a recorded extract (its state, batches, raw answers and Parquet) from the data folder.

    Use it to start an extract over, or to stop counting an abandoned job toward the local limit
    of 10 running jobs. Returns whether anything was deleted. The job itself cannot be cancelled
    at Freg; it expires there on its own. (The 0.1 shape ``discard_extract(name, client=fc)`` still
    works with a ``DeprecationWarning``.)
    """
    if isinstance(client, str):                       # the 0.1 shape: the name first, client= last
        warnings.warn("discard_extract(name, client=…) is deprecated: call discard_extract(client, name)",
                      DeprecationWarning, stacklevel=2)
        client, name = deprecated.pop("client", None), client
    if deprecated:
        raise TypeError(f"discard_extract() got unexpected keyword argument(s): {', '.join(sorted(deprecated))}")
    if name is None:
        raise InputError(msg("extract.discard_which"))
    client = resolve_client(client)
    folder = store_of(client).resolve(f"extracts/{check_name(name)}")
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


