"""The demo run and the lab launcher: `freg-nb demo` and `freg-nb lab`.

``run_all()`` executes every notebook in ``notebooks/`` headless with papermill against the
built-in sandbox and writes, into a git-ignored ``reports/`` folder, the executed notebooks,
an HTML report per notebook (nbconvert) and a summary (notebook, seconds, ok/error)::

    >>> from freg_nb.demo import run_all                    # doctest: +SKIP
    >>> runs = run_all(out="reports")                       # doctest: +SKIP
    >>> [(r.notebook, r.ok) for r in runs]                  # doctest: +SKIP
    [('00_kom_i_gang', True), ('01_oppslag', True), ...]

The kernels always talk to the sandbox: settings that would point them at real Fiks
(``FREG_NB_ENV``, ``FIKS_BASE_URL``, credentials …) are blanked in the kernels' environment,
and each run gets its own private temporary data folder (``FREG_NB_DATA_DIR``), removed
afterwards unless the caller passes one.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from freg_nb import ids

__all__ = ["NotebookRun", "find_notebooks", "notebooks_dir", "run_all", "run_notebook",
           "sandbox_environment", "cli_main"]

@dataclass
class NotebookRun:
    """What happened to one notebook in a demo run."""

    notebook: str               # file stem, e.g. "00_kom_i_gang"
    seconds: float
    ok: bool
    error: str | None           # "ExceptionName: message" of the first failing cell, cleaned
    executed: Path              # the executed .ipynb
    html: Path | None           # the HTML report (None if conversion failed)

    def row(self) -> dict:
        d = asdict(self)
        d["executed"] = str(self.executed)
        d["html"] = str(self.html) if self.html else None
        d["seconds"] = round(self.seconds, 1)
        return d


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder (falls back to ``./notebooks``)."""
    here = Path(__file__).resolve().parents[1] / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def find_notebooks(names: Iterable[str] | None = None, *, folder: Path | None = None) -> list[Path]:
    """Every ``*.ipynb`` in the notebooks folder, sorted; or only those named (stem, file name or path)."""
    folder = folder or notebooks_dir()
    names = list(names or [])
    if not names:
        return sorted(folder.glob("*.ipynb"))
    found = []
    for name in names:
        p = Path(name)
        for cand in (p, folder / p.name, folder / f"{p.name}.ipynb"):
            if cand.is_file() and cand.suffix == ".ipynb":
                found.append(cand.resolve())
                break
        else:
            raise FileNotFoundError(f"no notebook {name!r} (looked in {folder})")
    return found


def sandbox_environment(data_dir: str | os.PathLike) -> dict[str, str]:
    """Environment overrides that make a kernel use the in-process sandbox and a private data folder."""
    from freg_nb.diagnose import sandbox_environment as forced

    return forced(data_dir)


@contextlib.contextmanager
def _environ(overrides: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration (kernels started inside inherit them)."""
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _error_text(ename: str, evalue: str) -> str:
    from freg_nb.errors import clean_text

    return clean_text(f"{ename}: {evalue}", limit=500)


def _error_of(exc: BaseException) -> str:
    return _error_text(getattr(exc, "ename", None) or type(exc).__name__,
                       getattr(exc, "evalue", None) or str(exc))


def _to_html(executed: Path) -> Path | None:
    import nbformat
    from nbconvert import HTMLExporter

    try:
        nb = nbformat.read(executed, as_version=4)
        body, _ = HTMLExporter().from_notebook_node(nb)
    except Exception:  # a report without HTML is still a report; the summary says ok/error
        return None
    html = executed.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def run_notebook(path: Path, out_dir: Path, *, parameters: Mapping[str, object] | None = None,
                 timeout: float = 900, cwd: Path | None = None) -> NotebookRun:
    """Execute one notebook with papermill into ``out_dir`` and convert it to HTML.

    The caller provides the kernel environment (see ``sandbox_environment``). Never raises for
    a failing notebook: the result says ``ok=False`` and why.
    """
    import papermill as pm

    path = Path(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    private = Path(tempfile.mkdtemp(prefix="freg-nb-run-"))  # 0700: the unmasked run stays here
    raw = private / path.name
    t0 = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(path), str(raw), parameters=dict(parameters or {}),
                            cwd=str(cwd or path.parent), kernel_name="python3",
                            execution_timeout=timeout, progress_bar=False, log_output=False,
                            # the kernel's own log would interleave with the summary in the terminal:
                            # start-up warnings ("TCP without encryption" on loopback) and, at random,
                            # "KeyboardInterrupt caught in kernel" from the interrupt jupyter_client
                            # always sends before a shutdown. Failures show as error outputs instead.
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except Exception as exc:  # PapermillExecutionError, timeouts, kernel death
        error = _error_of(exc)
    finally:
        if raw.exists():
            executed.write_text(mask_report(raw.read_text(encoding="utf-8")), encoding="utf-8")
        shutil.rmtree(private, ignore_errors=True)
    seconds = time.perf_counter() - t0
    if error is None:
        error = first_error_output(executed)
    return NotebookRun(path.stem, seconds, error is None, error, executed,
                       _to_html(executed) if executed.exists() else None)


def mask_report(text: str) -> str:
    """An executed notebook's text with every 11-digit run masked (``010190*****``): the
    injected-parameters cell, papermill's metadata (``-p ids …``) and every output."""
    return ids.mask_runs(text)


def first_error_output(executed: Path) -> str | None:
    """The first error output in an executed notebook, as "ename: evalue" (None when clean)."""
    if not executed.exists():
        return "the executed notebook was not written"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                return _error_text(out.get("ename", "Error"), str(out.get("evalue", "")))
    return None


def run_all(notebooks: Iterable[str | Path] | None = None, out: str | Path = "reports", *,
            data_dir: str | os.PathLike | None = None, timeout: float = 900,
            echo: bool = False, parameters: Mapping[str, object] | None = None) -> list[NotebookRun]:
    """Run the notebooks against the sandbox into ``out`` and write ``summary.md`` / ``summary.json``.

    ``parameters`` go to every notebook (papermill ``-p``); identifiers among them are masked in
    the reports (``mask_report``)."""
    paths = find_notebooks([str(n) for n in notebooks] if notebooks else None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = None
    if data_dir is None:
        tmp = tempfile.mkdtemp(prefix="freg-nb-demo-")  # 0700 by mkdtemp
        data_dir = tmp
    runs: list[NotebookRun] = []
    try:
        with _environ(sandbox_environment(data_dir)):
            for path in paths:
                if echo:
                    print(f"· {path.name} …", end=" ", flush=True)
                run = run_notebook(path, out, timeout=timeout, parameters=parameters)
                runs.append(run)
                if echo:
                    print(f"{'ok' if run.ok else 'FEIL'} ({run.seconds:.1f} s)"
                          + (f"\n    {run.error}" if run.error else ""), flush=True)
    finally:
        from freg_nb.sandbox import shared

        shared.stop(Path(data_dir))  # the notebooks' kernels shared one sandbox (freg_nb.sandbox.shared)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    write_summary(runs, out)
    return runs


def write_summary(runs: list[NotebookRun], out: Path) -> Path:
    """``summary.json`` (machine) and ``summary.md`` (people) in ``out``; returns the Markdown path."""
    (out / "summary.json").write_text(json.dumps([r.row() for r in runs], ensure_ascii=False, indent=2),
                                      encoding="utf-8")
    lines = ["# Demokjøring", "", "| notatbok | sekunder | resultat | rapport |", "|---|---:|---|---|"]
    for r in runs:
        result = "ok" if r.ok else f"feil: {r.error}".replace("|", "/")
        report = f"[{r.html.name}]({r.html.name})" if r.html else "–"
        lines.append(f"| {r.notebook} | {r.seconds:.1f} | {result} | {report} |")
    md = out / "summary.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return md


def _parse_value(text: str) -> object:
    """A ``-p`` value as papermill's CLI reads it: YAML (numbers, lists, None …), else text."""
    import yaml

    if re.fullmatch(r"\s*\d{11}\s*", text):  # an identifier stays text (YAML would make it a number)
        return text.strip()
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def lab_command(port: int = 8888, *, folder: Path | None = None) -> list[str]:
    """The JupyterLab command line: loopback only, token authentication left on (the default)."""
    return [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.root_dir={folder or notebooks_dir()}"]


def cli_main(args) -> int:
    if args.command == "lab":
        return subprocess.call(lab_command(args.port))
    try:
        paths = find_notebooks(args.notebooks or None)
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 2
    if not paths:
        print(f"Fant ingen notatbøker i {notebooks_dir()}", file=sys.stderr)
        return 2
    print(f"Kjører {len(paths)} notatbøker mot sandkassen → {args.out}/", flush=True)
    params = {name: _parse_value(value) for name, value in (getattr(args, "parameter", None) or [])}
    runs = run_all(paths, args.out, echo=True, parameters=params)
    failed = [r for r in runs if not r.ok]
    print(f"\n{len(runs) - len(failed)} av {len(runs)} ok. Sammendrag: {Path(args.out) / 'summary.md'}")
    return 1 if failed else 0
