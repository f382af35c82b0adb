"""Building blocks shared by the notebook forms: role picker, run button with output and error display."""
from __future__ import annotations

from typing import Callable

import ipywidgets as w
from IPython.display import display

from freg_nb.errors import FregNbError

STYLE = {"description_width": "150px"}
WIDE = w.Layout(width="520px")


def role_dropdown(roles: dict[str, str] | list[str], value: str | None = None, *,
                  description: str = "Rolle") -> w.Dropdown:
    """A dropdown of the configured role names (never shows the role UUIDs' secrets: they are not secret,
    but names are what analysts know)."""
    names = list(roles)
    return w.Dropdown(options=names, value=value if value in names else (names[0] if names else None),
                      description=description, style=STYLE, layout=WIDE)


class RunPanel(w.VBox):
    """A run button, a status line and an output area.

    ``action()`` runs when the button is pressed; its return value is displayed. A ``FregNbError`` is
    shown as a plain message (it already says what to do), never as a traceback with internals.
    """

    def __init__(self, action: Callable[[], object], *, label: str = "Kjør", icon: str = "play"):
        self.button = w.Button(description=label, icon=icon, button_style="primary")
        self.status = w.HTML()
        self.output = w.Output()
        self._action = action
        self.result: object = None
        self.button.on_click(lambda _b: self.run())
        super().__init__([w.HBox([self.button, self.status]), self.output])

    def run(self) -> object:
        self.button.disabled = True
        self.status.value = "<i>Arbeider …</i>"
        self.output.clear_output()
        try:
            with self.output:
                self.result = self._action()
                if self.result is not None:
                    display(self.result)
            self.status.value = "✅ Ferdig"
        except FregNbError as e:
            self.status.value = "❌ Feil"
            with self.output:
                print(f"{type(e).__name__}: {e}")
        finally:
            self.button.disabled = False
        return self.result
