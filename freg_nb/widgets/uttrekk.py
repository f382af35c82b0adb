"""Deprecated alias of ``freg_nb.widgets.extracts`` (the module's name before module names were English;
notebooks copied before the rename import it). Listed in CHANGELOG.md."""
from freg_nb._compat import moved_module
from freg_nb.widgets.extracts import *  # noqa: F401,F403 — the whole public API, unchanged

moved_module(__name__, "freg_nb.widgets.extracts")
