"""One sandbox per user, shared by every notebook and kernel (training: a scenario chosen in 00 applies
in 01–03, an extract ordered in 02 exists for 03).

The first ``connect()`` starts the sandbox as a small background process of its own; it writes a
state file (``<data folder>/sandbox/shared.json``: process id, URL, start time — no secrets; the
sandbox's credentials are in its PKI folder beside it, as before) and later kernels find it there,
check that it answers, and use it. It stops with ``freg-nb sandbox stop``, or by itself after
``FREG_NB_SANDBOX_IDLE_MINUTES`` (default 240) without a Fiks/Freg call, or when its data folder
is gone.

    >>> from freg_nb.sandbox import shared
    >>> sb = shared.get_or_start(data_dir)         # doctest: +SKIP
    >>> shared.active_scenario(sb.url)              # doctest: +SKIP
    'normal'

A course sandbox (every participant sees the same persons): ``FREG_NB_SANDBOX_SEED`` in the
environment (e.g. set for everyone on a JupyterHub), or ``freg-nb sandbox start --seed 7``; the
default seed is 1 either way, so participants with default settings already share their persons.

``wanted()`` says whether ``connect()`` should use it: ``FREG_NB_SANDBOX=shared`` or ``process``;
unset, it is shared inside a Jupyter kernel and in-process elsewhere (scripts, tests).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from freg_nb.net import sandbox_admin
from freg_nb.sandbox.settings import config_from_env

__all__ = ["SharedSandbox", "active_scenario", "get_or_start", "stop", "wanted"]

STATE_NAME = "shared.json"
_IDLE_DEFAULT_MIN = 240


def _folder(data_dir: Path) -> Path:
    folder = Path(data_dir) / "sandbox"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def wanted(environ: Any = None) -> bool:
    """Share one sandbox between kernels? ``FREG_NB_SANDBOX`` decides; unset: only inside a kernel."""
    env = os.environ if environ is None else environ
    choice = (env.get("FREG_NB_SANDBOX") or "").strip().lower()
    if choice in ("shared", "process"):
        return choice == "shared"
    return in_kernel()


def in_kernel() -> bool:
    """True inside a running Jupyter kernel (not merely with ipykernel imported)."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


class SharedSandbox:
    """A handle on the shared sandbox with the attributes ``Settings.for_sandbox`` reads."""

    def __init__(self, data_dir: Path, state: dict, info: dict):
        from freg_nb.sandbox.pki import load_or_create

        self.data_dir, self.pid, self.url = Path(data_dir), int(state["pid"]), str(state["url"])
        self.fiks_base_url = self.url
        self.maskinporten_issuer = str(info["maskinporten_issuer"])
        self.roles = dict(info["roles"])
        self.credentials = load_or_create(self.data_dir).credentials

    def scenario(self, name: str) -> dict:
        r = sandbox_admin(self.url, f"scenario/{name}", method="POST")
        if r.status_code == 404:
            raise ValueError(r.json().get("error"))
        return r.json()

    def set_faults(self, **kw: Any) -> dict:
        r = sandbox_admin(self.url, "faults", method="POST", json=kw)
        if r.status_code == 400:
            raise ValueError(r.json().get("error"))
        return r.json()

    @property
    def faults(self) -> dict:
        return sandbox_admin(self.url, "faults").json()

    def stop(self) -> None:
        stop(self.data_dir)

    def __repr__(self) -> str:
        return f"SharedSandbox(url={self.url!r}, pid={self.pid})"


def _read_state(folder: Path) -> dict | None:
    try:
        return json.loads((folder / STATE_NAME).read_text())
    except (OSError, ValueError):
        return None


def _info(url: str, timeout: float = 2.0) -> dict | None:
    try:
        r = sandbox_admin(url, "info", timeout=timeout)
        return r.json() if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def _healthy(folder: Path) -> tuple[dict, dict] | None:
    state = _read_state(folder)
    if not state:
        return None
    info = _info(state["url"])
    return (state, info) if info else None


def get_or_start(data_dir: Path, *, seed: int | None = None, timeout: float = 120.0) -> SharedSandbox:
    """The user's shared sandbox: found through the state file and checked, or started now (with
    ``seed``, else ``FREG_NB_SANDBOX_SEED``, else seed 1). A running one keeps its own seed."""
    folder = _folder(Path(data_dir))
    lock_fd = os.open(folder / "shared.lock", os.O_WRONLY | os.O_CREAT, 0o600)  # private files are 0600
    with os.fdopen(lock_fd, "w") as lock:  # two kernels starting at once start one sandbox
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _healthy(folder)
        if found is None:
            (folder / STATE_NAME).unlink(missing_ok=True)
            log = os.fdopen(os.open(folder / "shared.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
            seed_args = [] if seed is None else ["--seed", str(int(seed))]
            subprocess.Popen([sys.executable, "-m", "freg_nb.sandbox.shared", "serve", "--data-dir", str(data_dir),
                              *seed_args],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                             close_fds=True)
            log.close()
            deadline = time.monotonic() + timeout
            while found is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the shared sandbox did not start within {timeout:.0f} s "
                                       f"(see {folder / 'shared.log'})")
                time.sleep(0.2)
                found = _healthy(folder)
    return SharedSandbox(Path(data_dir), *found)


def stop(data_dir: Path, *, timeout: float = 10.0) -> bool:
    """Stop the user's shared sandbox; False when none was running."""
    folder = Path(data_dir) / "sandbox"
    state = _read_state(folder)
    if not state:
        return False
    try:
        os.kill(int(state["pid"]), signal.SIGTERM)
    except ProcessLookupError:
        (folder / STATE_NAME).unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while _info(state["url"], timeout=0.5) and time.monotonic() < deadline:
        time.sleep(0.1)
    (folder / STATE_NAME).unlink(missing_ok=True)
    return True


def active_scenario(url: str) -> str | None:
    """The name of the training scenario the sandbox at ``url`` is in (None: knobs set by hand)."""
    return sandbox_admin(url, "info").json().get("scenario")


def _serve(data_dir: Path, seed: int | None = None) -> int:
    """The background process: run the sandbox, write the state file, stop when idle or told to."""
    from freg_nb.sandbox.server import start_sandbox

    folder = _folder(data_dir)
    sb = start_sandbox(config_from_env(seed=seed), data_dir=data_dir)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: done.set())
    signal.signal(signal.SIGINT, lambda *_a: done.set())
    tmp = folder / (STATE_NAME + ".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "url": sb.url, "started_at": time.time()}))
    os.chmod(tmp, 0o600)
    tmp.replace(folder / STATE_NAME)
    idle_s = 60 * float(os.environ.get("FREG_NB_SANDBOX_IDLE_MINUTES") or _IDLE_DEFAULT_MIN)
    last, last_change = None, time.monotonic()
    while not done.wait(min(30.0, idle_s / 4)):
        seen = json.dumps(sb.counters(), sort_keys=True, default=str)
        if seen != last:
            last, last_change = seen, time.monotonic()
        if time.monotonic() - last_change > idle_s or not folder.exists():
            break
    state = _read_state(folder)
    if state and state.get("pid") == os.getpid():
        (folder / STATE_NAME).unlink(missing_ok=True)
    sb.stop()
    return 0


def cli_main(args: argparse.Namespace, data_dir: Path) -> int:
    """``freg-nb sandbox stop | status | start``: the shared sandbox of the user's data folder."""
    if args.action == "stop":
        print("Sandkassen er stoppet." if stop(data_dir) else "Ingen delt sandkasse kjørte.")
        return 0
    found = _healthy(data_dir / "sandbox")
    if args.action == "start":
        if found and args.seed is not None and found[1].get("seed") != args.seed:
            print(f"Den delte sandkassen kjører allerede med frø {found[1].get('seed')}. Stopp den først "
                  "(freg-nb sandbox stop) og start den igjen med frøet du vil ha.", file=sys.stderr)
            return 1
        sb = get_or_start(data_dir, seed=args.seed)
        found = _healthy(data_dir / "sandbox")
        if not found:
            print(f"Sandkassen startet ikke; se {data_dir / 'sandbox' / 'shared.log'}", file=sys.stderr)
            return 1
        print(f"Delt sandkasse startet på {sb.url}.")
    if not found:
        print("Ingen delt sandkasse kjører.")
        return 1
    print(f"Delt sandkasse på {found[0]['url']} (prosess {found[0]['pid']}), frø {found[1].get('seed')}, "
          f"{found[1].get('persons')} personer, scenario: {active_scenario(found[0]['url']) or 'egne innstillinger'}")
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m freg_nb.sandbox.shared")
    p.add_argument("command", choices=["serve"])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--seed", type=int, default=None)
    a = p.parse_args()
    sys.exit(_serve(Path(a.data_dir), a.seed))
