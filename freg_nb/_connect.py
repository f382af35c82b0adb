"""``connect()``: a ready ``FregClient`` — Fiks test/prod when configured, else the built-in sandbox.

Kept apart from ``config`` (settings only) so that ``config`` imports nothing above it: the client
imports ``config``, ``connect`` imports the client. ``resolve_client`` is the one rule for "no
client given" that every public function follows.
"""
from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .config import Settings, _read_environment, load_settings

if TYPE_CHECKING:
    from .client import FregClient

__all__ = ["OldDataWarning", "connect", "default_client", "resolve_client"]

_sandbox_lock = threading.Lock()
_sandbox_handle: Any = None


def _shared_sandbox(data_dir: Path) -> Any:
    """The sandbox once per process: the user's shared one inside a kernel, else in-process (lazily
    imported: it is a separate server)."""
    global _sandbox_handle
    with _sandbox_lock:
        if _sandbox_handle is None:
            from freg_nb import sandbox
            from freg_nb.sandbox import shared  # one sandbox per user for every kernel (freg_nb.sandbox.shared)

            _sandbox_handle = (shared.get_or_start(data_dir) if shared.wanted()
                               else sandbox.start_sandbox(sandbox.config_from_env(),  # FREG_NB_SANDBOX_SEED
                                                          data_dir=data_dir))  # its PKI goes to data_dir/sandbox/
        return _sandbox_handle


_CLIENT_KW = {"transport", "retry", "progress"}


def connect(*, env_file: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None,
            **overrides: Any) -> "FregClient":
    """A ready ``FregClient``: Fiks test/prod when configured, else the built-in sandbox.

    Real settings are used when ``FREG_NB_ENV`` is test/prod or ``FIKS_BASE_URL`` is set;
    otherwise the in-process sandbox is started (once per process). ``overrides`` are
    ``Settings`` fields (e.g. ``concurrency=4``) or client options (``transport``, ``retry``).
    """
    from .client import FregClient
    from .store import DataDir

    client_kw = {k: overrides.pop(k) for k in list(overrides) if k in _CLIENT_KW}
    env = _read_environment(env_file, environ, [])
    real = (env.get("FREG_NB_ENV") or "sandbox").lower() != "sandbox" or bool(env.get("FIKS_BASE_URL"))
    if real:
        settings = load_settings(env_file, environ)
    else:
        base = load_settings(env_file, environ, require_credentials=False)
        DataDir(base.data_dir)  # create the private folder 0700 before the sandbox writes its PKI into it
        handle = _shared_sandbox(base.data_dir)
        settings = Settings.for_sandbox(handle, data_dir=base.data_dir, concurrency=base.concurrency,
                                        small_cell=base.small_cell)
    if overrides:
        settings = settings.with_overrides(**overrides)
    store = DataDir(settings.data_dir)
    notice = store.old_data_notice()
    if notice:  # personal data should not linger: remind at every connect
        from freg_nb.sandbox.shared import in_kernel

        if in_kernel():
            _show_old_data_notice(store)  # a notebook: a short notice with a purge button
        else:
            warnings.warn(notice, OldDataWarning, stacklevel=2)
    return FregClient(settings, **client_kw)


def old_data_widget(store: Any) -> Any:
    """A short bokmål notice that the private folder holds data older than the retention period,
    with a button that deletes those files (the sandbox's keys and the audit log are kept); an
    empty widget when there is none. Built here with ipywidgets directly because connect() shows
    it and may not import the widget layer."""
    import html

    import ipywidgets as w

    from .messages import msg
    from .store import retention_days

    days = retention_days()
    if not store.old_files(days):
        return w.HTML()
    text = w.HTML(f"⚠ {html.escape(msg('notice.old_data', days=days))}")
    button = w.Button(description=msg("notice.purge"), icon="trash", button_style="warning",
                      layout=w.Layout(width="auto"))

    def purge(_b: Any) -> None:
        removed = store.purge(dry_run=False, older_than=days)
        text.value = html.escape(msg("notice.purged", n=len(removed)))
        button.layout.display = "none"

    button.on_click(purge)
    return w.HBox([text, button], layout=w.Layout(align_items="center", flex_flow="row wrap"))


def _show_old_data_notice(store: Any) -> None:
    from IPython.display import display

    display(old_data_widget(store))


class OldDataWarning(UserWarning):
    """The private data folder holds files older than the retention period (FREG_NB_RETENTION_DAYS)."""




_default_lock = threading.Lock()
_default: "FregClient | None" = None


def default_client() -> "FregClient":
    """The process-wide client that functions use when given ``client=None`` (``connect()`` once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = connect()
        return _default


def resolve_client(client: "FregClient | None") -> "FregClient":
    """The one rule for "no client given": ``None`` means ``default_client()``."""
    return default_client() if client is None else client
