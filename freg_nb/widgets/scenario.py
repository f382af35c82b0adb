"""The sandbox's training scenarios as a dropdown (notebook 00): pick one, switch, check again.

    >>> from freg_nb.widgets.scenario import scenario_picker
    >>> scenario_picker(roles=["skole"])                          # doctest: +SKIP
"""
from __future__ import annotations

import html
from typing import Iterable

import ipywidgets as w

from freg_nb import diagnose
from freg_nb.config import Settings
from freg_nb.widgets.common import STYLE, WIDE, RunPanel

__all__ = ["scenario_picker"]


def scenario_picker(settings: Settings | None = None, *, roles: Iterable[str] | None = None):
    """A dropdown of the sandbox's training scenarios (with their descriptions) and a button that
    switches the sandbox into the chosen scenario and runs the check again."""
    settings = diagnose.settings_for(settings)
    info = diagnose.sandbox_info(settings)
    if info is None:
        return w.HTML("<i>Treningsscenarier finnes bare i den innebygde sandkassen; denne notatboken bruker "
                      f"miljøet «{html.escape(settings.env)}».</i>")
    known = dict(info.get("scenarios") or {})
    active = info.get("scenario")  # what the (shared) sandbox is in now, whichever notebook chose it
    dropdown = w.Dropdown(options=list(known), value=active if active in known else None,
                          description="Treningsscenario", style=STYLE, layout=WIDE)
    description = w.HTML()

    def show(_change=None):
        text = known.get(dropdown.value) or "Sandkassen er satt opp for hånd (ikke et av scenariene)."
        description.value = f"<i>{html.escape(text)}</i>"

    dropdown.observe(show, names="value")
    show()

    def check() -> diagnose.Diagnosis:
        diag = diagnose.run(scenario=dropdown.value, settings=settings, roles=roles)
        state, text = diag.verdict
        if state != "ok":  # the status line says what the check says, never "Ferdig" beside a failed step
            panel.conclude(state, ("❌ " if state == "failed" else "⚠️ ") + text)
        return diag

    panel = RunPanel(check, label="Bytt og sjekk", icon="stethoscope")
    box = w.VBox([dropdown, description, panel])
    box.dropdown, box.panel = dropdown, panel  # for tests and the curious
    return box
