"""Fødselsnummer and D-number: validation, classification, check digits and masking.

Written by hand on purpose: python-stdnum's ``no.fodselsnummer`` knows only the 1964 rule.
From 1 January 2032 Skatteetaten may issue numbers whose first check digit leaves remainder
1, 2 or 3 (the "2032 rule"); the second check digit is unchanged. A validator must accept
both, as Skatteetaten's test vectors show.

New numbers are gender-neutral and do not tell the century, so this module never derives
sex or birth year for the caller: read ``kjoenn`` and ``foedsel`` from the person document.
It only uses the century rules of the 1964 scheme to decide whether the date part can be a
real date (29 February).
"""

from __future__ import annotations

import re

import calendar
from dataclasses import dataclass
from typing import Iterable, Literal

from freg_nb.messages import msg

__all__ = [
    "IdInfo",
    "InvalidIdentifier",
    "check_digits",
    "classify",
    "is_valid",
    "mask",
    "validate",
    "validate_many",
]

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

Rule = Literal["1964", "2032"]


class InvalidIdentifier(ValueError):
    """A string that is not a valid fødsels- or D-number. ``reason`` says why (``freg_nb.messages``)."""

    def __init__(self, masked: str, reason: str):
        super().__init__(f"{masked}: {reason}")
        self.masked = masked
        self.reason = reason


@dataclass(frozen=True)
class IdInfo:
    """What the number itself says (never sex or birth year: read those from Freg)."""

    kind: Literal["fnr", "dnr"]
    synthetic: bool
    rule: Rule  # "2032" when k1 used one of the remainders only allowed from 2032

    @property
    def label(self) -> str:
        return self.kind + ("-syntetisk" if self.synthetic else "")


_ID_RUN = re.compile(r"(?<!\d)(\d{6})\d{5}(?!\d)")


def mask_runs(text: str) -> str:
    """``text`` with every run of exactly 11 digits masked (``010190*****``): for free text that may
    hold an identifier (server messages, purposes, reports, log lines)."""
    return _ID_RUN.sub(r"\1*****", text)


def mask(ident: object, *, show: bool = False) -> str:
    """Mask an identifier for display: ``010190*****`` (birth date part kept).

    Anything that is not 11 digits is masked whole, so a typo never leaks either.
    """
    s = "" if ident is None else str(ident)
    if show:
        return s
    if len(s) == 11 and s.isdigit():
        return s[:6] + "*****"
    return "*" * min(len(s), 11)


def _mask_typed(s: str) -> str:
    """A 10-digit typo masked as the user typed it (first six digits kept, never zero-padded)."""
    return s[:6] + "*" * (len(s) - 6) if len(s) == 10 and s.isdigit() else mask(s)


def _k1_remainder(d: list[int]) -> int:
    return (sum(w * x for w, x in zip(_W1, d[:9])) + d[9]) % 11


def _k2_ok(d: list[int]) -> bool:
    return (sum(w * x for w, x in zip(_W2, d[:10])) + d[10]) % 11 == 0


def check_digits(first9: str, *, rule: Rule = "1964", k1_remainder: int = 0) -> str | None:
    """The two check digits for nine digits, or None when no valid pair exists.

    ``k1_remainder`` (0–3) chooses which remainder k1 leaves; 1–3 are only valid under the
    2032 rule. Used by the sandbox to mint synthetic numbers.
    """
    if len(first9) != 9 or not first9.isdigit():
        raise ValueError("first9 must be nine digits")
    if rule == "1964" and k1_remainder != 0:
        raise ValueError("the 1964 rule allows only remainder 0")
    if not 0 <= k1_remainder <= 3:
        raise ValueError("k1_remainder must be 0, 1, 2 or 3")
    d = [int(c) for c in first9]
    s1 = sum(w * x for w, x in zip(_W1, d))
    k1 = (k1_remainder - s1) % 11
    if k1 == 10:
        return None
    s2 = sum(w * x for w, x in zip(_W2, d + [k1]))
    k2 = (-s2) % 11
    if k2 == 10:
        return None
    return f"{k1}{k2}"


def _centuries(individual: int, yy: int) -> list[int]:
    """Candidate centuries after the 1964 scheme's individual-number ranges."""
    out = []
    if individual <= 499:
        out.append(1900)
    if 500 <= individual <= 749 and yy >= 54:
        out.append(1800)
    if individual >= 500 and yy <= 39:
        out.append(2000)
    if individual >= 900 and yy >= 40:
        out.append(1900)
    return out or [1800, 1900, 2000]


def _parse(s: str) -> IdInfo:
    if not isinstance(s, str):
        raise InvalidIdentifier(mask(s), msg("ids.not_string"))
    masked = mask(s)
    if not s.isdigit():
        raise InvalidIdentifier(masked, msg("ids.not_digits") if s else msg("ids.empty"))
    if len(s) != 11:
        raise InvalidIdentifier(masked, msg("ids.length", n=len(s)))
    d = [int(c) for c in s]
    r1 = _k1_remainder(d)
    if r1 > 3:
        raise InvalidIdentifier(masked, msg("ids.k1"))
    if not _k2_ok(d):
        raise InvalidIdentifier(masked, msg("ids.k2"))
    day, month, yy = int(s[0:2]), int(s[2:4]), int(s[4:6])
    kind: Literal["fnr", "dnr"] = "fnr"
    if day > 40:
        kind, day = "dnr", day - 40
    synthetic = False
    if month > 80:
        synthetic, month = True, month - 80
    if not 1 <= month <= 12:
        raise InvalidIdentifier(masked, msg("ids.month"))
    individual = int(s[6:9])
    if not any(1 <= day <= calendar.monthrange(c + yy, month)[1] for c in _centuries(individual, yy)):
        raise InvalidIdentifier(masked, msg("ids.date"))
    return IdInfo(kind=kind, synthetic=synthetic, rule="1964" if r1 == 0 else "2032")


def validate(ident: str) -> str:
    """Return the identifier (stripped of surrounding spaces) or raise InvalidIdentifier."""
    s = ident.strip() if isinstance(ident, str) else ident
    _parse(s)
    return s


def is_valid(ident: object) -> bool:
    try:
        validate(ident)  # type: ignore[arg-type]
    except InvalidIdentifier:
        return False
    return True


def classify(ident: str) -> IdInfo:
    """Kind (fnr/dnr), synthetic or not, and which check-digit rule it needs."""
    return _parse(ident.strip())


def validate_many(idents: Iterable[object]) -> tuple[list[str], list[tuple[str, str]]]:
    """Split input into (valid ids in first-seen order without duplicates, [(masked, reason)]).

    Empty strings are ignored. Use it before sending anything: invalid ids are listed, not sent.
    """
    valid: list[str] = []
    seen: set[str] = set()
    invalid: list[tuple[str, str]] = []
    for raw in idents:
        s = "" if raw is None else str(raw).strip()
        if not s:
            continue
        typed = s
        if len(s) == 10 and s.isdigit():  # a leading zero lost in Excel
            s = "0" + s
        try:
            _parse(s)
        except InvalidIdentifier as e:
            if typed != s:  # shown as typed, never padded: "027924*****" is not what the user wrote
                invalid.append((_mask_typed(typed), msg("ids.ten_digits", reason=e.reason)))
            else:
                invalid.append((e.masked, e.reason))
            continue
        if s not in seen:
            seen.add(s)
            valid.append(s)
    return valid, invalid
