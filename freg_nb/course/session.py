"""``Course``: the exercises of notebook 06 bound to a client — their givens, the checks and the progress.

    >>> kurs = Course(fc)                     # doctest: +SKIP
    >>> kurs.person                           # doctest: +SKIP
    >>> print(kurs.task("kommune"))           # doctest: +SKIP
    >>> kurs.check("kommune", "0301")         # doctest: +SKIP
    Verdict(correct=True, message='Riktig! Personen bor i 0301 Oslo.')
    >>> kurs.solved                           # doctest: +SKIP
    {'kommune'}

``kurs.person`` is the person exercise 1 asks about; ``task`` fills in this sandbox's givens; the
verdict's message is «Riktig! …» or why not; what is solved is kept in the private data folder.
"""
from __future__ import annotations

from typing import Any

from .._connect import resolve_client
from ..ids import mask
from ..kommuner import kommunenavn
from .checks import SandboxTruth, Verdict, expected, judge, role_without_hjemmel
from .exercises import EXERCISES, FIXES, Exercise, by_key
from .progress import Progress

__all__ = ["Course"]


class Course:
    """The course for one participant: ``client=None`` means ``freg_nb.connect()``'s client."""

    def __init__(self, client: Any = None):
        self.client = resolve_client(client)
        self.truth = SandboxTruth(self.client.settings)
        self.progress = Progress(self.client.data_dir)
        self.exercises: tuple[Exercise, ...] = EXERCISES
        g = self.truth.givens()
        self.person: str = g["person"]
        self.mover: str = g["flytter"]
        self.kommune: str = g["kommune"]
        self.year: int = int(g["aar"])
        self.day: str = g["dag"]
        self.seed: int = int(g["seed"])

    # ------------------------------------------------------------------ texts
    def _fields(self) -> dict[str, Any]:
        threshold = int(self.client.settings.small_cell)
        return {"person": mask(self.person), "flytter": mask(self.mover), "kommune": self.kommune,
                "kommunenavn": kommunenavn(self.kommune) or "", "aar": self.year, "dag": self.day,
                "terskel": threshold, "terskel_minus": threshold - 1,
                "uten_hjemmel": role_without_hjemmel(self.truth.info()), "side": 1000}

    def text(self, template: str) -> str:
        """``template`` with this course's givens filled in (``{fasit}`` is left for the verdict)."""
        return template.format_map({**self._fields(), "fasit": "{fasit}"})

    def exercise(self, key: str | int) -> Exercise:
        """By key (``"kommune"``) or by number (1 = the first)."""
        return self.exercises[key - 1] if isinstance(key, int) else by_key(key)

    def task(self, key: str | int) -> str:
        return self.text(self.exercise(key).task)

    def hints(self, key: str | int) -> list[str]:
        return [self.text(h) for h in self.exercise(key).hints]

    def choices(self, key: str | int) -> list[tuple[str, str]]:
        """The answer choices of a choice exercise (the roles and the scenarios' fixes come from the sandbox)."""
        ex = self.exercise(key)
        if ex.key == "avvist-rolle":
            return [(r, r) for r in self.client.settings.roles]
        if ex.key == "diagnose":
            known = self.truth.info().get("scenarios") or {}
            return [(k, v) for k, v in FIXES.items() if k in known]
        return [(k, self.text(v)) for k, v in ex.choices]

    # ------------------------------------------------------------------ checks
    def check(self, key: str | int, answer: Any) -> Verdict:
        """Check ``answer`` against the sandbox; the attempt (and a solution) goes to the progress file."""
        ex = self.exercise(key)
        verdict, _want = judge(ex, answer, self.truth, self.text, self.choices(ex.key))
        self.progress.record(ex.key, verdict.correct)
        return verdict

    def answer_key(self) -> dict[str, Any]:
        """The right answers in this sandbox, for the trainer (they depend on the seed and, for
        "diagnose", on the scenario in force); a list where several answers are equally right."""
        return {ex.key: expected(self.truth, ex) for ex in self.exercises}

    @property
    def solved(self) -> set[str]:
        return self.progress.solved

    def status(self) -> str:
        """«3 av 12 oppgaver løst»."""
        return f"{len(self.solved & {e.key for e in self.exercises})} av {len(self.exercises)} oppgaver løst"
