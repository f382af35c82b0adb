"""The course's forms (notebook 06 and the app): one card per exercise — task, answer field,
**Sjekk svaret**, up to two hints — and a form that picks the exercise, for the app without code.

    >>> from freg_nb.course import Course
    >>> from freg_nb.widgets.course import ExerciseCard, CourseForm
    >>> kurs = Course(fc)                                   # doctest: +SKIP
    >>> ExerciseCard(kurs, "kommune")                       # doctest: +SKIP
    >>> CourseForm(fc)                                      # doctest: +SKIP
"""
from __future__ import annotations

import html
import re
from typing import Any

import ipywidgets as w

from freg_nb.course import Course
from freg_nb.errors import ConfigError, FregNbError
from freg_nb.widgets.common import BUTTON, STYLE, WIDE, error_html

__all__ = ["CourseForm", "ExerciseCard", "course_form"]

LEVELS = {1: "lett", 2: "middels lett", 3: "middels", 4: "krevende", 5: "mest krevende"}
NO_CHOICE = "— velg —"


def _md(text: str) -> str:
    """Escaped text with `code` shown as code (the exercises' only markup)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


class ExerciseCard(w.VBox):
    """One exercise: the task with this sandbox's givens, the answer, **Sjekk svaret** and the hints.
    ``answer`` fills the field in and checks it at once (a papermill run shows the verdict)."""

    def __init__(self, course: Course, key: str | int, *, answer: Any = None):
        self.course, self.ex = course, course.exercise(key)
        number = course.exercises.index(self.ex) + 1
        self.title = w.HTML()
        self._number = number
        self.task = w.HTML(f"<div style='max-width:60em'>{_md(course.task(self.ex.key))}</div>")
        if self.ex.kind == "valg":
            options = [(NO_CHOICE, None)] + [(label, k) for k, label in course.choices(self.ex.key)]
            self.answer: w.Widget = w.Dropdown(options=options, value=None, description="Svar", style=STYLE,
                                               layout=w.Layout(width="760px"))
        else:
            self.answer = w.Text(description="Svar", style=STYLE, layout=WIDE,
                                 placeholder="et helt tall" if self.ex.kind == "tall" else "skriv svaret ditt")
        self.check_button = w.Button(description="Sjekk svaret", icon="check", button_style="primary",
                                     layout=BUTTON)
        self.hint_button = w.Button(description="Vis hint", icon="lightbulb-o", layout=BUTTON,
                                    disabled=not self.ex.hints)
        self.hints = w.HTML()
        self.result = w.HTML()
        self._shown_hints = 0
        self.check_button.on_click(lambda _b: self.check())
        self.hint_button.on_click(lambda _b: self.show_hint())
        self._title()
        super().__init__([self.title, self.task, self.answer, w.HBox([self.check_button, self.hint_button]),
                          self.hints, self.result],
                         layout=w.Layout(border="1px solid #ddd", padding="6px 10px", margin="6px 0"))
        self.add_class("freg-nb-exercise")
        if answer is not None:
            self.set_answer(answer)
            self.check()

    def _title(self) -> None:
        done = " ✅" if self.ex.key in self.course.solved else ""
        self.title.value = (f"<b>Oppgave {self._number}: {html.escape(self.ex.title)}</b>{done} "
                            f"<small>({LEVELS.get(self.ex.level, '')})</small>")

    def set_answer(self, answer: Any) -> None:
        if isinstance(self.answer, w.Dropdown):
            keys = [k for _label, k in self.answer.options]
            self.answer.value = answer if answer in keys else None
        else:
            self.answer.value = "" if answer is None else str(answer)

    def check(self) -> bool:
        """Check what the field holds; the verdict (or what went wrong) shows under the buttons."""
        value = self.answer.value
        if value in (None, ""):
            self.result.value = "<div class='freg-nb-verdict'>✏️ Skriv eller velg et svar først.</div>"
            return False
        try:
            verdict = self.course.check(self.ex.key, value)
        except FregNbError as e:
            self.result.value = error_html(e)
            return False
        mark, colour = ("✅", "#1a7f37") if verdict.correct else ("❌", "#b42318")
        self.result.value = (f"<div class='freg-nb-verdict' style='color:{colour};max-width:60em'>{mark} "
                             f"{_md(verdict.message)}</div>")
        self._title()
        return verdict.correct

    def show_hint(self) -> None:
        """The next hint (at most two)."""
        hints = self.course.hints(self.ex.key)
        self._shown_hints = min(self._shown_hints + 1, len(hints))
        self.hints.value = "".join(f"<div>💡 Hint {k + 1}: {_md(h)}</div>" for k, h in enumerate(hints[:self._shown_hints]))
        self.hint_button.disabled = self._shown_hints >= len(hints)


class CourseForm(w.VBox):
    """All exercises in one form (the app): pick one, answer it, check it; progress at the top."""

    def __init__(self, client: Any = None, *, course: Course | None = None):
        self.course = course or Course(client)
        self.status = w.HTML()
        self.picker = w.Dropdown(description="Oppgave", style=STYLE, layout=w.Layout(width="560px"))
        self.holder = w.VBox()
        self._refreshing = False
        self.picker.observe(lambda _c: self._refreshing or self._show(), names="value")
        self._options()
        super().__init__([self.status, self.picker, self.holder])
        self.add_class("freg-nb-course")
        self._show()

    def _options(self) -> None:
        solved = self.course.solved
        current = self.picker.value
        self._refreshing = True  # new labels (✅), same exercise: keep the card and its verdict
        try:
            self.picker.options = [(f"{n}. {e.title}{' ✅' if e.key in solved else ''}", e.key)
                                   for n, e in enumerate(self.course.exercises, 1)]
            self.picker.value = current or self.course.exercises[0].key
        finally:
            self._refreshing = False
        self.status.value = (f"<b>{html.escape(self.course.status())}</b> <small>(sandkassen med frø "
                             f"{self.course.seed})</small>")

    def _show(self) -> None:
        self.card = ExerciseCard(self.course, self.picker.value)
        self.card.check_button.on_click(lambda _b: self._options())
        self.holder.children = [self.card]


def course_form(client: Any = None) -> w.Widget:
    """The course form for the app; against Fiks test/prod a note instead (the checks need the sandbox)."""
    try:
        return CourseForm(client)
    except ConfigError as e:
        return w.HTML(f"<i>{html.escape(str(e))}</i>")
