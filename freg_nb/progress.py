"""The one progress helper: a ``tqdm.auto`` bar (a widget in Jupyter, text elsewhere) — or nothing.

Texts are what the analyst reads: bokmål, counts with Norwegian thousands separators (Babel's
``nb_NO``), "1 234 av 50 000 sekvensnumre [00:12, igjen 00:40, 98 sekvensnumre/s]" — never tqdm's
English-looking "1.23kseq/s". tqdm is imported only when a bar is shown.
"""
from __future__ import annotations

__all__ = ["Progress"]

# the core may not import freg_nb.display (a higher layer), so Babel directly, with its locale
_LOCALE = "nb_NO"
_WITH_TOTAL = "{desc}: {percentage:3.0f}%|{bar}| {antall} av {av} {unit} [{elapsed}, igjen {remaining}, {fart}]{postfix}"
_WITHOUT_TOTAL = "{desc}: {antall} {unit} [{elapsed}, {fart}]{postfix}"


def _count(value: float | None) -> str:
    from babel.numbers import format_decimal

    return "?" if value is None else format_decimal(round(value), locale=_LOCALE)


def _bar_class():
    from tqdm.auto import tqdm

    class NorwegianBar(tqdm):
        """tqdm with its counts and rate in bokmål (extra keys for ``bar_format``)."""

        @property
        def format_dict(self):
            d = super().format_dict
            rate = d.get("rate")
            d.update(antall=_count(d.get("n")), av=_count(d.get("total")),
                     fart=f"{_count(rate)} {d.get('unit')}/s" if rate else "…")
            return d

    return NorwegianBar


class Progress:
    """``Progress(show, desc, total, unit=…)``: ``add(n)``, ``status(text)``, ``close()``; all no-ops
    when ``show`` is false. ``unit`` is a bokmål plural ("kall", "sekvensnumre", "personer")."""

    def __init__(self, show: bool, desc: str | None, total: int | None, *, unit: str = "stk.") -> None:
        self._bar = None
        if show:
            self._bar = _bar_class()(total=total, desc=desc, unit=unit.strip(), initial=0,
                                     bar_format=_WITH_TOTAL if total else _WITHOUT_TOTAL)

    def status(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def add(self, n: int, total: int | None = None) -> None:
        if self._bar is not None:
            if total is not None:
                self._bar.total = total
                self._bar.bar_format = _WITH_TOTAL if total else _WITHOUT_TOTAL
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
