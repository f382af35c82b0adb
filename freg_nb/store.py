"""The private data folder: the one place freg-nb writes anything to disk.

Layout (under ``DataDir.path``)::

    raw/<run-id>/*.json          raw answers, exactly as received
    parquet/...                  tidy tables
    extracts/<name>/state.json   extract job state
    feeds/<role>/checkpoint.json feed checkpoints
    audit.log                    who looked up how many persons, and why (see freg_nb.audit; its
                                 HMAC key is kept apart, in the user's config folder)
    sandbox/                     the sandbox's own PKI and secrets (kept by purge by default)

Guarantees: the folder and every sub-folder are 0700, every file 0600 — set explicitly, so the
process umask does not matter. Every write is atomic (temporary file in the same folder, fsync,
``os.replace``), so a reader never sees a half-written file and an interrupted run leaves either
the old file or the new one.

The default location is ``FREG_NB_DATA_DIR``, else ``$XDG_DATA_HOME/freg-nb``, else
``~/.local/share/freg-nb`` — outside any repository, so personal data is never committed.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .paths import default_data_dir

__all__ = ["DataDir", "Checkpoint", "default_data_dir", "retention_days", "cli_main"]

DIR_MODE = 0o700
FILE_MODE = 0o600
DEFAULT_RETENTION_DAYS = 30
_KEEP_BY_DEFAULT = ("sandbox",)  # top-level entries purge leaves alone unless asked
_AUDIT_FILES = ("audit.log", "audit.salt")  # audit.salt: left by older versions (the key is no longer here)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def retention_days(environ: dict[str, str] | None = None) -> int:
    """Days after which stored data counts as old: ``FREG_NB_RETENTION_DAYS`` or 30."""
    env = os.environ if environ is None else environ
    raw = env.get("FREG_NB_RETENTION_DAYS", "")
    try:
        days = int(raw)
    except ValueError:
        return DEFAULT_RETENTION_DAYS
    return days if days > 0 else DEFAULT_RETENTION_DAYS


def _inside_git_worktree(path: Path) -> bool:
    for parent in [path, *path.parents]:
        if (parent / ".git").exists():
            return True
    return False


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class DataDir:
    """The private data folder (created 0700 on first use).

    >>> import tempfile, pathlib
    >>> d = DataDir(pathlib.Path(tempfile.mkdtemp()) / "data")
    >>> p = d.write_json("extracts/demo/state.json", {"batch": 3})
    >>> d.read_json("extracts/demo/state.json")
    {'batch': 3}
    >>> oct(p.stat().st_mode & 0o777)
    '0o600'
    """

    def __init__(self, path: str | os.PathLike[str] | None = None):
        chosen = Path(path).expanduser() if path is not None else default_data_dir()
        self.path = chosen.absolute()
        if path is None and _inside_git_worktree(self.path):
            warnings.warn(f"the private data folder {self.path} is inside a git working tree; "
                          "set FREG_NB_DATA_DIR to a folder outside the repository", stacklevel=2)
        self._mkdir(self.path)

    def __repr__(self) -> str:
        return f"DataDir({str(self.path)!r})"

    def __fspath__(self) -> str:
        return str(self.path)

    # ---- paths ---------------------------------------------------------------------------
    @staticmethod
    def _mkdir(path: Path) -> None:
        """Create ``path`` 0700 — and every missing folder above it too (``mkdir(parents=True)``
        would give those the process umask); folders that exist already are left as they are."""
        missing = [p for p in [path, *path.parents] if not p.exists()]
        for p in reversed(missing):
            try:
                p.mkdir(mode=DIR_MODE)
                os.chmod(p, DIR_MODE)
            except FileExistsError:  # made meanwhile by another process
                pass
        os.chmod(path, DIR_MODE)

    def _ensure_parents(self, target: Path) -> None:
        missing = []
        p = target.parent
        while p != self.path and not p.is_dir():
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            self._mkdir(d)

    def resolve(self, relpath: str | os.PathLike[str]) -> Path:
        """The absolute path of ``relpath`` inside the folder; refuses anything that escapes it."""
        rel = Path(relpath)
        if rel.is_absolute():
            raise ValueError(f"expected a path relative to the data folder, got {rel}")
        full = (self.path / rel).absolute()
        norm = Path(os.path.normpath(full))
        if norm != self.path and self.path not in norm.parents:
            raise ValueError(f"{relpath} points outside the data folder")
        return norm

    def subdir(self, relpath: str | os.PathLike[str]) -> Path:
        """A sub-folder (created 0700)."""
        p = self.resolve(relpath)
        self._ensure_parents(p / "x")
        return p

    def raw_dir(self, run_id: str) -> Path:
        """``raw/<run_id>/`` for one run's raw answers (created 0700)."""
        if not _SAFE_NAME.match(run_id or ""):
            raise ValueError("run_id must be letters, digits, '.', '_' or '-' (at most 128)")
        return self.subdir(Path("raw") / run_id)

    def parquet_path(self, *parts: str) -> Path:
        """``parquet/<parts...>.parquet`` (parent folders created 0700)."""
        if not parts:
            raise ValueError("give at least one name")
        for part in parts:
            if not _SAFE_NAME.match(part):
                raise ValueError(f"{part!r}: names must be letters, digits, '.', '_' or '-'")
        name = parts[-1] if parts[-1].endswith(".parquet") else parts[-1] + ".parquet"
        p = self.resolve(Path("parquet", *parts[:-1], name))
        self._ensure_parents(p)
        return p

    @property
    def audit_log_path(self) -> Path:
        return self.path / "audit.log"

    @property
    def sandbox_dir(self) -> Path:
        return self.path / "sandbox"

    # ---- atomic writes -------------------------------------------------------------------
    def write_bytes(self, relpath: str | os.PathLike[str], data: bytes) -> Path:
        """Write ``data`` atomically to ``relpath`` (0600); returns the absolute path."""
        target = self.resolve(relpath)
        self._ensure_parents(target)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        _fsync_dir(target.parent)
        return target

    def write_json(self, relpath: str | os.PathLike[str], obj: Any) -> Path:
        """Write ``obj`` as JSON atomically (orjson; dates and numpy values allowed)."""
        return self.write_bytes(relpath, orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY))

    def read_json(self, relpath: str | os.PathLike[str], default: Any = None) -> Any:
        """Parsed JSON at ``relpath``, or ``default`` when the file does not exist."""
        try:
            return orjson.loads(self.resolve(relpath).read_bytes())
        except FileNotFoundError:
            return default

    def temp_path(self, target: Path) -> Path:
        """A fresh temporary name beside ``target`` for writers that need a path (DuckDB COPY).

        Move it into place with ``commit_temp``.
        """
        self._ensure_parents(target)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        os.close(fd)
        os.chmod(tmp, FILE_MODE)
        return Path(tmp)

    @staticmethod
    def commit_temp(tmp: Path, target: Path) -> Path:
        """fsync + 0600 + ``os.replace`` a file written at a ``temp_path``."""
        os.chmod(tmp, FILE_MODE)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        return target

    # ---- checkpoints ---------------------------------------------------------------------
    def checkpoint(self, name: str) -> "Checkpoint":
        """The checkpoint ``<name>/checkpoint.json`` (e.g. ``feeds/skole``)."""
        return Checkpoint(self, Path(name) / "checkpoint.json")

    # ---- retention -----------------------------------------------------------------------
    def _files(self, *, include_sandbox: bool, include_audit: bool) -> list[Path]:
        out = []
        for root, dirs, files in os.walk(self.path):
            rootp = Path(root)
            if rootp == self.path and not include_sandbox:
                dirs[:] = [d for d in dirs if d not in _KEEP_BY_DEFAULT]
            for f in files:
                if rootp == self.path and f in _AUDIT_FILES and not include_audit:
                    continue
                out.append(rootp / f)
        return sorted(out)

    def old_files(self, days: int | None = None) -> list[Path]:
        """Data files (not the sandbox, not the audit log) last changed more than ``days`` ago.

        ``days`` defaults to ``FREG_NB_RETENTION_DAYS`` or 30.
        """
        limit = time.time() - (retention_days() if days is None else days) * 86400
        out = []
        for f in self._files(include_sandbox=False, include_audit=False):
            try:
                if f.stat().st_mtime < limit:
                    out.append(f)
            except FileNotFoundError:
                continue
        return out

    def old_data_notice(self, days: int | None = None) -> str | None:
        """A reminder to show when data older than ``days`` is stored, else None."""
        d = retention_days() if days is None else days
        old = self.old_files(d)
        if not old:
            return None
        size = sum(_size(f) for f in old)
        return (f"The private data folder {self.path} holds {len(old)} file(s) "
                f"({_human(size)}) older than {d} days. Delete what you no longer need: "
                f"`freg-nb purge --older-than {d}` (add --dry-run to see the list first).")

    def purge(self, dry_run: bool = True, *, older_than: int | None = None,
              include_sandbox: bool = False, include_audit: bool = False) -> list[Path]:
        """Delete stored data; returns the files removed (or that would be, with ``dry_run``).

        By default the sandbox's PKI (``sandbox/``) and the audit log (an accountability record)
        are kept — but the log's records older than ``older_than`` days (default: the retention
        period, ``FREG_NB_RETENTION_DAYS`` or 30) are folded into counts (``audit.prune``: no
        user, purpose or identifiers left). ``older_than`` limits the purge to files last
        changed more than that many days ago. Empty folders left behind are removed too.
        """
        if not dry_run and not include_audit:
            from freg_nb.audit import prune

            prune(self, retention_days() if older_than is None else older_than)
        if older_than is not None:
            limit = time.time() - older_than * 86400
        files = [f for f in self._files(include_sandbox=include_sandbox, include_audit=include_audit)
                 if older_than is None or _mtime(f) < limit]
        if dry_run:
            return files
        removed = []
        for f in files:
            try:
                f.unlink()
                removed.append(f)
            except FileNotFoundError:
                continue
        for root, dirs, _files in os.walk(self.path, topdown=False):
            rootp = Path(root)
            if rootp == self.path:
                continue
            if not include_sandbox and self.sandbox_dir in [rootp, *rootp.parents]:
                continue
            try:
                rootp.rmdir()  # only succeeds when empty
            except OSError:
                pass
        return removed


@dataclass
class Checkpoint:
    """One JSON checkpoint file: ``get(default)``, ``put(value)`` (atomic), ``clear()``."""

    store: DataDir
    relpath: Path

    @property
    def path(self) -> Path:
        return self.store.resolve(self.relpath)

    def get(self, default: Any = None) -> Any:
        return self.store.read_json(self.relpath, default)

    def put(self, value: Any) -> Path:
        return self.store.write_json(self.relpath, value)

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except FileNotFoundError:
        return 0


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def cli_main(args: Any, *, stdin=None, stdout=None) -> int:
    """``freg-nb purge [--dry-run] [--yes] [--older-than DAYS]``.

    The sandbox's PKI and the audit log are always kept (there is no ``--all`` yet).
    """
    out = stdout or sys.stdout
    inp = stdin or sys.stdin
    store = DataDir(getattr(args, "data_dir", None))
    older = getattr(args, "older_than", None)
    files = store.purge(dry_run=True, older_than=older)
    total = sum(_size(f) for f in files)
    scope = f" older than {older} days" if older is not None else ""
    print(f"Data folder: {store.path}", file=out)
    print("Beholdes: sandbox/ (sandkassens sertifikater og nøkler) og revisjonsloggen "
          "(poster eldre enn oppbevaringstiden slås sammen til antall).", file=out)
    if not files:
        if not getattr(args, "dry_run", False):
            store.purge(dry_run=False, older_than=older)  # still folds old audit records into counts
        print(f"Nothing to delete{scope}.", file=out)
        return 0
    if getattr(args, "dry_run", False):
        for f in files:
            print(f"  {f.relative_to(store.path)}  ({_human(_size(f))})", file=out)
        print(f"Would delete {len(files)} file(s){scope}, {_human(total)} ({total} bytes).", file=out)
        return 0
    if not getattr(args, "yes", False):
        print(f"Delete {len(files)} file(s){scope}, {_human(total)}? Type 'ja' or 'y' to confirm: ",
              end="", file=out, flush=True)
        answer = (inp.readline() or "").strip().lower()
        if answer not in ("ja", "j", "y", "yes"):
            print("Nothing deleted.", file=out)
            return 1
    sizes = {f: _size(f) for f in files}
    removed = store.purge(dry_run=False, older_than=older)
    freed = sum(sizes.get(f, 0) for f in removed)
    print(f"Deleted {len(removed)} file(s){scope}, {_human(freed)} ({freed} bytes).", file=out)
    return 0
