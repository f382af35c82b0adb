#!/usr/bin/env python3
"""Task runner: creates the virtual environment when it is missing, then runs a task.

    python3 dev.py demo     # the main job: every notebook run headless against the sandbox -> reports/
    python3 dev.py test     # the whole test suite (pytest, incl. notebooks and the browser test)
    python3 dev.py lab      # JupyterLab with the notebooks, against the sandbox unless .env says otherwise
    python3 dev.py app      # the notebooks' forms as a Voilà app (code hidden), same shared sandbox
    python3 dev.py bench    # benchmarks beside their baselines (add --quick for small sizes)
    python3 dev.py sandbox  # the sandbox server in the foreground

Only the standard library is used here, so it runs on a bare Python 3.11+.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".freg-nb-installed"


def _want() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    """Create .venv and install the project (editable, with dev extras) when needed."""
    if sys.version_info < (3, 11):
        sys.exit(f"freg-nb needs Python 3.11 or newer (this is {sys.version.split()[0]}).")
    if PY.exists() and STAMP.exists() and STAMP.read_text() == _want():
        return
    if not PY.exists():
        print("· creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("· installing freg-nb and its dependencies into .venv", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # uv installs the same versions several times faster; fall back to pip when it is unavailable.
    if subprocess.call(pip + ["uv"]) == 0:
        cmd = [str(BIN / "uv"), "pip", "install", "--python", str(PY), "-q", "-e", ".[dev]"]
    else:
        cmd = pip + ["-e", ".[dev]"]
    subprocess.check_call(cmd, cwd=ROOT)
    STAMP.write_text(_want())


def run(args: list[str]) -> int:
    return subprocess.call(args, cwd=ROOT)


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if task in ("help", "-h", "--help"):
        print(__doc__)
        return 0
    ensure_env()
    if task == "test":
        return run([str(PY), "-m", "pytest", *rest])
    if task == "demo":
        return run([str(BIN / "freg-nb"), "demo", *rest])
    if task == "lab":
        return run([str(BIN / "freg-nb"), "lab", *rest])
    if task == "app":
        return run([str(BIN / "freg-nb"), "app", *rest])
    if task == "sandbox":
        return run([str(BIN / "freg-nb"), "sandbox", *rest])
    if task == "bench":
        return run([str(PY), "benchmarks/run.py", *rest])
    if task == "doctor":
        return run([str(BIN / "freg-nb"), "doctor", *rest])
    print(f"unknown task {task!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
