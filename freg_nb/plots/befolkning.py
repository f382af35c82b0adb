"""Deprecated alias of ``freg_nb.plots.population`` (the module's name before module names were English;
notebooks copied before the rename import it). Listed in CHANGELOG.md."""
from freg_nb._compat import moved_module
from freg_nb.plots.population import *  # noqa: F401,F403 — the whole public API, unchanged

moved_module(__name__, "freg_nb.plots.population")
