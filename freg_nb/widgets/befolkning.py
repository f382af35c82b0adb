"""Deprecated alias of ``freg_nb.widgets.population`` (the module's name before module names were English;
notebooks copied before the rename import it). Listed in CHANGELOG.md."""
from freg_nb._compat import moved_module
from freg_nb.widgets.population import *  # noqa: F401,F403 — the whole public API, unchanged
from freg_nb.widgets.population import PopulationForm, population_form  # noqa: F401 — old class names below

moved_module(__name__, "freg_nb.widgets.population")
BefolkningForm = PopulationForm
befolkning_form = population_form
