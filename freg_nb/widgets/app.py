"""The four notebooks' forms in one page, for trainees who do not code: ``freg-nb app`` (or
``python3 dev.py app``) serves ``notebooks/app/skjemaer.ipynb`` with Voilà, code hidden. The kernel
connects like the notebooks do, so it uses the same shared sandbox (a scenario chosen in the first
tab applies to the others and to open notebooks).

The short Norwegian reminder about old data in the private folder (with a purge button) is shown by
``connect()`` inside a kernel, so the app shows it above the tabs as the notebooks do.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import ipywidgets as w

__all__ = ["forms", "cli_main", "APP_NOTEBOOK"]

APP_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "app" / "skjemaer.ipynb"


def forms(client: Any = None) -> w.Widget:
    """Tabs with the check and training scenarios (sandbox), the lookup, extract and events forms."""
    import freg_nb
    from freg_nb.widgets.events import EventForm
    from freg_nb.widgets.lookups import LookupForm
    from freg_nb.widgets.extracts import ExtractForm

    fc = client or freg_nb.connect()
    sandbox = fc.settings.env == "sandbox"
    tabs: list[tuple[str, w.Widget]] = []
    if sandbox:
        from freg_nb.widgets.scenario import scenario_picker

        tabs.append(("Kom i gang", scenario_picker()))
    example = freg_nb.example_ids(fc, 8) if sandbox else None
    role = "analyse" if "analyse" in fc.settings.roles else None  # the sandbox's role with everything
    tabs += [("Oppslag", LookupForm(fc, rolle=role, ids=example,
                                    formaal="Opplæring i sandkassen" if sandbox else None)),
             ("Uttrekk", ExtractForm(fc, rolle=role)), ("Hendelser per rolle", EventForm(fc))]
    tab = w.Tab(children=[t[1] for t in tabs])
    for i, (title, _child) in enumerate(tabs):
        tab.set_title(i, title)
    return tab


def cli_main(args: Any) -> int:
    """``freg-nb app``: Voilà on loopback with the forms' notebook, code hidden."""
    if shutil.which("voila") is None and not _has_voila():
        print("Voilà mangler: installer freg-nb på nytt (python3 dev.py app installerer det).", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "voila", str(APP_NOTEBOOK), f"--port={args.port}", "--no-browser",
           "--strip_sources=True", "--Voila.ip=127.0.0.1", "--theme=light"]
    print(f"freg-nb app: http://127.0.0.1:{args.port}/ (Ctrl+C stopper)")
    try:
        return subprocess.call(cmd, cwd=APP_NOTEBOOK.parent)
    except KeyboardInterrupt:
        return 0


def _has_voila() -> bool:
    try:
        import voila  # noqa: F401
    except ImportError:
        return False
    return True
