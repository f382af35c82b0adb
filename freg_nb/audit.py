"""The audit log: who looked up how many persons, when, as which role, and why.

One JSON line per operation in ``audit.log`` of the private data folder (0600, append-only):

* ``time`` (UTC), ``user`` (JupyterHub's ``JUPYTERHUB_USER``, else the OS user), ``role``,
  ``action`` (the operation), ``purpose`` (required outside the sandbox; runs of 11 digits are
  masked so a fødselsnummer typed into it is never stored), ``n_persons``;
* ``ids_hmac``: each identifier as HMAC-SHA256 under a secret key kept *apart* from the log —
  ``audit.key`` in the user's config folder (``FREG_NB_AUDIT_KEY_DIR``, else
  ``$XDG_CONFIG_HOME/freg-nb``, else ``~/.config/freg-nb``; 0700/0600), never in the data
  folder. Whoever holds the key can test whether a given person was looked up: the log is
  **pseudonymised, not anonymous**.

Retention: ``prune`` (run by ``freg-nb purge``) replaces records older than the retention period
by counts per day, action and role — no identifiers, no purpose.
"""
from __future__ import annotations

import getpass
import hashlib
import hmac
import operator
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import orjson

from freg_nb.ids import mask_runs

if TYPE_CHECKING:  # the data folder owns the log; this module only formats and appends records
    from freg_nb.store import DataDir

__all__ = ["audit", "hash_ids", "key_path", "prune", "current_user", "clean_purpose", "require_purpose"]



def key_path(environ: dict[str, str] | None = None) -> Path:
    """Where the audit key lives: ``FREG_NB_AUDIT_KEY_DIR``, ``$XDG_CONFIG_HOME/freg-nb`` or
    ``~/.config/freg-nb`` — the file ``audit.key``."""
    env = os.environ if environ is None else environ
    folder = env.get("FREG_NB_AUDIT_KEY_DIR") or ""
    if not folder:
        xdg = env.get("XDG_CONFIG_HOME") or ""
        folder = str(Path(xdg) / "freg-nb") if xdg and Path(xdg).is_absolute() else str(
            Path.home() / ".config" / "freg-nb")
    return Path(folder).expanduser().absolute() / "audit.key"


def _key(log_folder: Path) -> bytes:
    """The HMAC key (32 random bytes, 0600), created once, atomically; refused beside the log."""
    from freg_nb.errors import ConfigError

    path = key_path()
    if path.parent.resolve() == log_folder.resolve():
        raise ConfigError(f"Nøkkelen til revisjonsloggen kan ikke ligge i samme mappe som loggen ({path.parent}). "
                          "Sett FREG_NB_AUDIT_KEY_DIR til en annen mappe.")
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".tmp-key-{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, secrets.token_hex(32).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process won the race: use theirs
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return bytes.fromhex(path.read_text().strip())


def hash_ids(datadir, idents: Iterable[str]) -> list[str]:
    """HMAC-SHA256 (hex) of each identifier under the audit key (kept apart from ``datadir``)."""
    key = _key(Path(getattr(datadir, "path", datadir)))
    return [hmac.new(key, str(i).strip().encode(), hashlib.sha256).hexdigest() for i in idents]


def current_user() -> str:
    """JupyterHub's user when running under JupyterHub, else the OS user."""
    hub = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub:
        return hub
    try:
        return getpass.getuser()
    except Exception:  # no name for the uid (containers): the number identifies the account
        return f"uid-{os.getuid()}"


def clean_purpose(purpose: object) -> str | None:
    """The purpose text with 11-digit runs masked (``010190*****``); None when blank."""
    if purpose is None:
        return None
    text = " ".join(str(purpose).split())
    return mask_runs(text) or None


def _in_sandbox() -> bool:
    from freg_nb.config import _read_environment

    env = _read_environment(None, None, [])
    return (env.get("FREG_NB_ENV") or "sandbox").strip().lower() == "sandbox"


def require_purpose(purpose: object, *, sandbox: bool | None = None) -> str | None:
    """The cleaned purpose (``clean_purpose``); ``InputError`` when it is blank outside the
    sandbox (``sandbox`` default: ``FREG_NB_ENV``). Call it before the first request."""
    from freg_nb.errors import InputError

    why = clean_purpose(purpose)
    if why is None and not (_in_sandbox() if sandbox is None else sandbox):
        raise InputError("Oppgi formålet med oppslaget (purpose=/formaal=, f.eks. «saksnr. 2024/123, "
                         "skoleinntak»). Formålet skrives i revisjonsloggen og kreves utenfor sandkassen. "
                         "Ingenting ble sendt.")
    return why


def audit(datadir: "DataDir", action: str, *, role: str, n_persons: int, purpose: str | None = None,
          ids: Iterable[str] = (), sandbox: bool | None = None) -> dict:
    """Append one record to ``audit.log`` in the data folder; returns the record.

    ``purpose`` is required outside the sandbox (``sandbox`` default: ``FREG_NB_ENV``): without
    it, ``InputError`` — nothing is logged and the caller must not go on. Each record is written
    with one ``write`` to a file opened with ``O_APPEND``: lines are only ever added.
    """
    store = datadir
    try:
        n = -1 if isinstance(n_persons, bool) else operator.index(n_persons)
    except TypeError:
        n = -1
    if n < 0:
        raise ValueError("n_persons must be a non-negative whole number")
    why = require_purpose(purpose, sandbox=sandbox)
    record = {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user": current_user(),
        "role": str(role),
        "action": str(action),
        "purpose": why,
        "n_persons": n,
        "ids_hmac": hash_ids(store, ids),
    }
    _append(store.audit_log_path, orjson.dumps(record) + b"\n")
    return record


def _append(path: Path, line: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(datadir: "DataDir", days: int, *, dry_run: bool = False) -> int:
    """Replace records older than ``days`` by count records (per day, action and role: how many
    operations and persons — no user, purpose or identifiers). Returns how many records were
    (or, with ``dry_run``, would be) folded. The log is rewritten atomically."""
    store = datadir
    path = store.audit_log_path
    if not path.exists():
        return 0
    limit = datetime.now(timezone.utc) - timedelta(days=days)
    keep: list[bytes] = []
    counts: dict[tuple[str, str, str], list[int]] = {}
    folded = 0
    for line in path.read_bytes().splitlines():
        try:
            rec = orjson.loads(line)
            when = datetime.fromisoformat(str(rec.get("time", "")).replace("Z", "+00:00"))
        except (orjson.JSONDecodeError, ValueError, AttributeError):
            keep.append(line)
            continue
        if rec.get("type") == "antall" or when >= limit:
            keep.append(line)
            continue
        key = (when.date().isoformat(), str(rec.get("action")), str(rec.get("role")))
        c = counts.setdefault(key, [0, 0])
        c[0] += 1
        c[1] += int(rec.get("n_persons") or 0)
        folded += 1
    if dry_run or not folded:
        return folded
    summary = [orjson.dumps({"type": "antall", "time": f"{day}T00:00:00.000Z", "day": day, "action": action,
                             "role": role, "operations": ops, "n_persons": persons})
               for (day, action, role), (ops, persons) in sorted(counts.items())]
    store.write_bytes(path.name, b"".join(x + b"\n" for x in [*summary, *keep]))
    return folded
