"""The course package (notebook 06): exercises with answer checks against the sandbox's own truth.

    >>> from freg_nb.course import Course                 # doctest: +SKIP
    >>> kurs = Course(fc)                                 # doctest: +SKIP
    >>> kurs.check("kommune", "0301").message             # doctest: +SKIP
"""
from .checks import Verdict
from .exercises import EXERCISES, Exercise
from .session import Course

__all__ = ["Course", "EXERCISES", "Exercise", "Verdict"]
