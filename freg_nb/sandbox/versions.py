"""Element versions and their metadata, and Freg's date-time formats (Norwegian local time).

A version is a tuple ``(start, end, endday, gday, body, aarsak, salt)``: registered at ``start`` (UTC
seconds), ended at ``end`` (None = still valid); its metadata (``ajourholdstidspunkt``, ``kilde``, ``aarsak``,
``gyldighetstidspunkt``) is drawn per person and version by ``full`` only for the versions a document keeps.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from .mixing import hash1
from .vocab import CHANGE_KINDS

if TYPE_CHECKING:
    from .population import Population

__all__ = ["Ctx", "version", "full", "reg", "day_str", "fmt_ts", "fmt_midnight", "EPOCH", "FREG_START"]

EPOCH = date(1970, 1, 1)
FREG_START = (date(2017, 10, 31) - EPOCH).days * 86400


@lru_cache(maxsize=200_000)
def day_str(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


@lru_cache(maxsize=300)
def _dst(year: int) -> tuple[int, int]:
    """Europe/Oslo summer time in UTC seconds: last Sunday of March/October at 01:00 UTC."""
    def last_sunday(month: int) -> int:
        d = date(year, month, 31)
        return (d - EPOCH).days - (d.weekday() + 1) % 7
    return last_sunday(3) * 86400 + 3600, last_sunday(10) * 86400 + 3600


@lru_cache(maxsize=200_000)
def _day_dst(day: int) -> tuple[int, int]:
    return _dst(int(day_str(day)[:4]))


def _offset(ts: int) -> int:
    a, b = _day_dst(ts // 86400)
    return 2 if a <= ts < b else 1


def fmt_ts(ts: int, frac: int = -1) -> str:
    """RFC 3339 date-time in Norwegian local time (``2019-06-05T09:33:23.689+02:00``)."""
    off = _offset(ts)
    loc = ts + off * 3600
    d, s = divmod(loc, 86400)
    f = "" if frac < 0 else f".{frac:03d}"
    return f"{day_str(d)}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{f}+0{off}:00"


def fmt_midnight(day: int) -> str:
    return f"{day_str(day)}T00:00:00+0{_offset(day * 86400)}:00"


class Ctx:
    __slots__ = ("pop", "i", "h", "seed", "history")

    def __init__(self, pop: Population, i: int, history: bool = True):
        self.pop, self.i, self.seed = pop, i, pop.seed
        self.h = hash1(i, pop.seed * 7 + 3)
        self.history = history  # False: versions that ended before the reference moment may be skipped

    def u(self, salt: int) -> float:
        return (hash1(self.h, salt) >> 11) * (1.0 / (1 << 53))

    def r(self, salt: int, m: int) -> int:
        return hash1(self.h, salt) % m


def meta(ctx: Ctx, start: int, gday: int, aarsak: str | None, salt: int) -> dict:
    h = hash1(ctx.h, salt + 1000)
    m: dict = {}
    if h % 23:
        m["ajourholdstidspunkt"] = fmt_ts(start, (h >> 8) % 1000 if h % 3 else -1)
    m["erGjeldende"] = True
    if start < FREG_START:
        m["kilde"] = "KILDE_DSF" if h % 4 else "dsf-folkeregister-synkronisering"
    else:
        m["kilde"] = "" if h % 41 == 0 else ("Skatteetaten" if h % 5 else "Folkeregisteret")
    if aarsak and h % 5:
        m["aarsak"] = aarsak
    if h % 17 and gday is not None:
        m["gyldighetstidspunkt"] = fmt_midnight(gday)
    return m


def version(ctx, start, end, gday, body, aarsak=None, salt=0, endday=None):
    """One version: (start, end, endday, gday, body, aarsak, salt); metadata is added by ``_full``
    only for the versions that are kept."""
    return (start, end, endday, gday, body, aarsak, salt)


def full(ctx, v) -> dict:
    d = meta(ctx, v[0], v[3], v[5], v[6])
    d.update(v[4])
    return d


def reg(ctx: Ctx, day: int, kind: str) -> int:
    return ctx.pop.reg_ts(ctx.i, day, CHANGE_KINDS[kind])

