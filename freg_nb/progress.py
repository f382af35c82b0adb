"""The one progress helper: a ``tqdm.auto`` bar (a widget in Jupyter, text elsewhere) — or nothing.

Texts are what the analyst reads (bokmål). tqdm is imported only when a bar is shown.
"""
from __future__ import annotations

__all__ = ["Progress"]


class Progress:
    """``Progress(show, desc, total, unit=…)``: ``add(n)``, ``status(text)``, ``close()``; all no-ops
    when ``show`` is false."""

    def __init__(self, show: bool, desc: str | None, total: int | None, *, unit: str = "it",
                 unit_scale: bool = False) -> None:
        self._bar = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=unit_scale, initial=0)

    def status(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def add(self, n: int, total: int | None = None) -> None:
        if self._bar is not None:
            if total is not None:
                self._bar.total = total
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
