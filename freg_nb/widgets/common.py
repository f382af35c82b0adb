"""Building blocks shared by the notebook forms: role picker, the run panel (run, Stopp, status, output,
errors), the interactive table and the download links."""
from __future__ import annotations

import base64
import html
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping

import ipywidgets as w
import pandas as pd

from freg_nb import cancel
from freg_nb.display import excel_csv, for_display
from freg_nb.errors import FregNbError
from freg_nb.messages import msg

STYLE = {"description_width": "170px"}
WIDE = w.Layout(width="560px")
BUTTON = w.Layout(width="auto", min_width="150px")  # labels are never cut: the button grows with its text
# wide tables and long texts scroll inside their own box, never the page
_CSS = ("<style>.freg-nb-out{max-width:100%;overflow-x:auto}.freg-nb-msg{white-space:normal;max-width:60em}"
        ".freg-nb-msg details{margin-top:.4em;color:#555}.freg-nb-msg pre{white-space:pre-wrap;font-size:85%}"
        ".freg-nb-msg td{padding:0 .8em 0 0;vertical-align:top}</style>")

# DataTables' texts in bokmål (itables shows English by default)
TABLE_LANGUAGE = {
    "search": "Søk:", "lengthMenu": "Vis _MENU_ rader", "info": "Rad _START_–_END_ av _TOTAL_",
    "infoEmpty": "Ingen rader", "infoFiltered": "(av _MAX_ i alt)", "zeroRecords": "Ingen treff",
    "emptyTable": "Tabellen er tom", "thousands": "\u00a0", "decimal": ",", "entries": {"_": "rader", "1": "rad"},
    "paginate": {"first": "Første", "last": "Siste", "next": "Neste", "previous": "Forrige"},
}


def labelled(text: str, widget: w.Widget) -> w.HBox:
    """A widget with its label in the same column as the other fields' labels (for widgets whose own
    description ipywidgets puts above them, such as ToggleButtons)."""
    label = w.HTML(f"<div style='text-align:right;padding-right:8px'>{html.escape(text)}</div>",
                   layout=w.Layout(width=STYLE["description_width"], min_width=STYLE["description_width"]))
    return w.HBox([label, widget], layout=w.Layout(align_items="center"))


def role_dropdown(roles: dict[str, str] | list[str], value: str | None = None, *,
                  description: str = "Rolle") -> w.Dropdown:
    """A dropdown of the configured role names (names are what analysts know, not the role UUIDs)."""
    names = list(roles)
    return w.Dropdown(options=names, value=value if value in names else (names[0] if names else None),
                      description=description, style=STYLE, layout=WIDE)


def table(df: pd.DataFrame, *, page_length: int = 10) -> w.Widget:
    """An interactive table (itables' DataTables widget): paged, sortable, searchable, Norwegian texts
    and numbers; scrolls sideways inside its own box."""
    from itables.widget import ITable

    shown = for_display(df)
    return ITable(shown.reset_index(drop=not bool(shown.index.name)), pageLength=page_length,
                  lengthMenu=[10, 25, 100], scrollX=True, maxBytes=0, language=TABLE_LANGUAGE,
                  classes="display compact nowrap")


def error_html(e: BaseException) -> str:
    """❌, the message (what to do), and the technical details folded below."""
    if isinstance(e, FregNbError):
        text = str(e)
        rows = [(msg("run.detail.type"), type(e).__name__), (msg("run.detail.status"), e.status),
                (msg("run.detail.code"), e.code), (msg("run.detail.error_id"), e.error_id),
                (msg("run.detail.reference"), e.reference), (msg("run.detail.server"), e.server_message)]
        details = "".join(f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(str(v))}</code></td></tr>"
                          for k, v in rows if v not in (None, ""))
        folded = f"<table>{details}</table>"
    else:
        text = msg("run.unexpected", kind=type(e).__name__)
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        folded = f"<b>{html.escape(msg('run.detail.traceback'))}</b><pre>{html.escape(tb)}</pre>"
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    return (f"{_CSS}<div class='freg-nb-msg'>❌ {body}<details><summary>{html.escape(msg('run.details'))}"
            f"</summary>{folded}</details></div>")


def download_links(files: Mapping[str, Path], *, name: str, counts_only: bool = False) -> w.HTML:
    """Browser download links (data URIs) for exported files, each with its path in the private folder;
    ``counts_only``: a table of counts, whose note need not speak of addresses."""
    items = []
    for fmt, path in files.items():
        path = Path(path)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        mime = {"csv": "text/csv;charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet"}.get(fmt, "application/octet-stream")
        items.append(f"<a class='jupyter-button mod-primary freg-nb-download' style='padding:4px 10px;"
                     f"text-decoration:none;display:inline-block;margin:2px' download='{html.escape(name)}"
                     f"{path.suffix}' href='data:{mime};base64,{data}'>⬇ {html.escape(msg('export.button', fmt=fmt.upper()))}"
                     f"</a> <small>{html.escape(msg('export.saved', path=str(path)))}</small>")
    return w.HTML(_CSS + "<div class='freg-nb-msg'>" + "<br>".join(items)
                  + f"<br><small>{html.escape(msg('export.note_counts' if counts_only else 'export.note'))}</small></div>")


def save_csv(df: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write ``df`` as Excel-Norway CSV into the private data folder's ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    path.write_bytes(excel_csv(df))
    return path


class RunPanel(w.VBox):
    """A run button, a Stopp button, a status line and an output area.

    ``action()`` runs in a worker thread, so the kernel stays free for Stopp and for Kernel →
    Interrupt (both cancel the run's ``CancelToken``; the core stops at its next call, page, batch
    or poll and keeps what it has, so pressing the button again continues). What it returns is
    ``panel.result``, shown unless ``show_result=False``; it may also call ``panel.show(x)``. A ``FregNbError`` is shown as its
    message with the technical details folded; any other exception as a short message with the
    traceback folded. Never a traceback in the output area, never "Ferdig" beside a failure: an
    action whose result is not plainly a success (a check with a failed step, a choice to make) says
    so with ``panel.conclude(state, text)``, which replaces "Ferdig" in the status line.
    """

    def __init__(self, action: Callable[[], object], *, label: str = "Kjør", icon: str = "play",
                 client: Any = None, show_result: bool = True):
        self.button = w.Button(description=label, icon=icon, button_style="primary", layout=BUTTON)
        self.stop_button = w.Button(description=msg("run.stop"), icon="stop", button_style="danger",
                                    layout=w.Layout(width="auto", min_width="90px", display="none"))
        self.status = w.HTML()
        self.output = w.Output(layout=w.Layout(max_width="100%", overflow="auto"))
        self.output.add_class("freg-nb-out")
        self.client = client
        self._action = action
        self._show_result = show_result  # False: the action shows its own outputs (panel.show)
        self.result: object = None
        self.error: BaseException | None = None
        self._outcome: tuple[str, str] | None = None
        self._token: cancel.CancelToken | None = None
        self._thread: threading.Thread | None = None
        self.runs = 0  # shown as data-run on the status, so a test (or a screen reader) can tell runs apart
        self.button.on_click(lambda _b: self.run(wait=False))
        self.stop_button.on_click(lambda _b: self.stop())
        super().__init__([w.HBox([self.button, self.stop_button, self.status],
                                 layout=w.Layout(align_items="center", flex_flow="row wrap")), self.output])

    # -- from any thread ---------------------------------------------------------------
    def show(self, obj: object) -> None:
        """Add ``obj`` (HTML, a DataFrame, a figure, a widget) to the output area."""
        if isinstance(obj, pd.DataFrame):
            obj = table(obj)
        if isinstance(obj, w.Widget):
            self.output.outputs = self.output.outputs + ({
                "output_type": "display_data", "metadata": {},
                "data": {"text/plain": repr(obj), "application/vnd.jupyter.widget-view+json":
                         {"model_id": obj.model_id, "version_major": 2, "version_minor": 0}}},)
            return
        self.output.append_display_data(obj)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def conclude(self, state: str, text: str) -> None:
        """From the action: end this run with ``state`` ("failed", "warning", "choice") and ``text``
        in the status line instead of "Ferdig"."""
        self._outcome = state, text

    def stop(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self._status("stopping", msg("run.stopping"))

    def run(self, *, wait: bool = True) -> object:
        """Start the action. ``wait=False`` (the button): return at once; ``wait=True`` (code): block,
        and let Kernel → Interrupt stop the run."""
        if self.running:
            return None
        cancel.install_interrupt()
        if self.client is not None:
            cancel.attach(self.client)
        # through the trait, like show(): Output.clear_output() is a message the page may apply after
        # the worker's first outputs arrive, wiping them
        self.output.outputs = ()
        self.result, self.error, self._outcome = None, None, None
        self._token = token = cancel.CancelToken()
        self.runs += 1
        self.button.disabled = True
        self.stop_button.layout.display = "inline-flex"
        self._thread = threading.Thread(target=self._work, args=(token,), name="freg-nb-form", daemon=True)
        self._thread.start()
        if wait:
            try:
                while self._thread.is_alive():
                    self._thread.join(0.1)
            except KeyboardInterrupt:
                token.cancel()
                self._thread.join()
        return self.result

    def _work(self, token: cancel.CancelToken) -> None:
        t0 = time.monotonic()
        done = threading.Event()
        calls0 = self._calls()

        def tick() -> None:
            while not done.wait(1.0):
                if not token.cancelled:
                    self._status("working", msg("run.working", seconds=int(time.monotonic() - t0),
                                                calls=self._calls() - calls0))

        self._status("working", msg("run.working", seconds=0, calls=0))
        ticker = threading.Thread(target=tick, name="freg-nb-status", daemon=True)
        ticker.start()
        try:
            with cancel.running(token):
                result = self._action()
            self.result = result
            if result is not None and self._show_result:
                self.show(result)
            status = self._outcome or ("done", msg("run.done", seconds=int(round(time.monotonic() - t0))))
        except KeyboardInterrupt:  # Stopp, Kernel → Interrupt (cancel.Cancelled) or the core's own
            status = "stopped", msg("run.stopped")
            self.output.append_display_data(_html(f"⏹ {html.escape(msg('run.stopped_text'))}"))
        except Exception as e:  # noqa: BLE001 — shown as a message, never as a traceback in the page
            self.error = e
            status = "failed", msg("run.failed")
            self.output.append_display_data(_html(error_html(e)))
        finally:
            done.set()
            ticker.join()
            self.button.disabled = False
            self.stop_button.layout.display = "none"
        self._status(*status)

    def _status(self, state: str, text: str) -> None:
        self.status.value = (f"<span class='freg-nb-status' data-state='{state}' data-run='{self.runs}'>"
                             + (f"<i>{html.escape(text)}</i>" if state in ("working", "stopping") else html.escape(text))
                             + "</span>")

    def _calls(self) -> int:
        stats = getattr(self.client, "stats", None)
        return int(getattr(stats, "calls", 0) or 0)


def _html(text: str):
    from IPython.display import HTML

    return HTML(text)
