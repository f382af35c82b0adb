"""Where the private data folder lives by default — shared with the sandbox (standard library only)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

__all__ = ["default_data_dir"]


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``FREG_NB_DATA_DIR``, else ``$XDG_DATA_HOME/freg-nb`` (only when absolute, as the XDG spec
    says), else ``~/.local/share/freg-nb``."""
    env = os.environ if environ is None else environ
    explicit = env.get("FREG_NB_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_DATA_HOME") or ""
    if xdg and Path(xdg).expanduser().is_absolute():
        return Path(xdg).expanduser() / "freg-nb"
    return Path.home() / ".local" / "share" / "freg-nb"
