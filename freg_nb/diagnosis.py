"""The result of the connection check (``freg_nb.diagnose.run``): the steps (``Check``) and the whole
(``Diagnosis``) with its verdict, as text for the terminal and as HTML for a notebook. Titles,
details and advice are bokmål: analysts read them.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Check", "Diagnosis"]


@dataclass
class Check:
    """One step of the check. ``title``/``detail``/``advice`` are bokmål, for the analyst."""

    step: str       # "innstillinger", "token", "integrasjon", "rolle:<navn>", "stabilitet"
    ok: bool
    title: str
    detail: str = ""
    advice: str = ""
    warning: bool = False   # passed, but only after retries (throttling, a flaky line)

    @property
    def icon(self) -> str:
        return "❌" if not self.ok else ("⚠️" if self.warning else "✅")

    def as_text(self) -> str:
        lines = [f"{'✘' if not self.ok else ('!' if self.warning else '✔')} {self.title}"]
        lines += [f"    {line}" for line in self.detail.splitlines() if line.strip()]
        if self.advice:
            lines.append(f"    → {self.advice}")
        return "\n".join(lines)


@dataclass
class Diagnosis:
    """The whole check: steps in order, the settings (masked), the capability matrix."""

    checks: list[Check]
    settings: dict[str, Any] = field(default_factory=dict)
    matrix: Any = None                      # pandas DataFrame (roles × services/parts) or None
    expected: Any = None                    # the same shape with what the roles should have, or None
    scenario: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def verdict(self) -> tuple[str, str]:
        """("ok" | "warning" | "failed", the one-line verdict in bokmål) — the status line says the same."""
        if not self.ok:
            return "failed", f"{len(self.failed)} steg feilet"
        if any(c.warning for c in self.checks):
            return "warning", "Alt virker, men bare etter nye forsøk (se steget «stabilitet»)"
        return "ok", "Alt virker."

    def settings_frame(self):
        """The settings as a two-column table (secrets only "satt"/"mangler")."""
        import pandas as pd

        rows = [(k, _display_value(v)) for k, v in self.settings.items()]
        return pd.DataFrame(rows, columns=["innstilling", "verdi"]).set_index("innstilling")

    def as_text(self) -> str:
        head = f"Tilkoblingssjekk ({self.settings.get('FREG_NB_ENV', '?')}"
        head += f", treningsscenario «{self.scenario}»)" if self.scenario else ")"
        parts = [head, "", *[c.as_text() for c in self.checks]]
        if self.matrix is not None and len(self.matrix):
            parts += ["", "Hva hver rolle får bruke (ja/nei):", self.matrix.to_string()]
        parts += ["", self.verdict[1].rstrip(".") + "."]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        rows = []
        for c in self.checks:
            advice = f"<br><b>Hva du gjør:</b> {html.escape(c.advice)}" if c.advice else ""
            detail = html.escape(c.detail).replace("\n", "<br>")
            rows.append(f"<tr><td>{c.icon}</td><td style='text-align:left'>"
                        f"<b>{html.escape(c.title)}</b><br><small>{detail}</small>{advice}</td></tr>")
        state, text = self.verdict
        verdict = (f"<p>❌ <b>{text}</b> — se forklaringen ved hvert steg.</p>" if state == "failed"
                   else f"<p>{'⚠️' if state == 'warning' else '✅'} <b>{html.escape(text)}</b></p>")
        scen = (f"<p>Treningsscenario: <b>{html.escape(self.scenario)}</b></p>" if self.scenario else "")
        return (f"<div class='freg-nb-diagnose'>{scen}<table>{''.join(rows)}</table>{verdict}</div>")


def _display_value(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, Mapping):
        return ", ".join(f"{k}" for k in v) or "–"  # role names only; ids are shown by the matrix step
    return str(v)
