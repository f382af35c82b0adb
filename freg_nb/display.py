"""Numbers, times and codes as a Norwegian reader expects them (Babel's ``nb_NO`` locale).

* times are stored in UTC and shown in Europe/Oslo; a time at local midnight is a date and shown as one;
* numbers with thousands separators and decimal comma, shares as percentages;
* one missing-value mark (``MISSING``) for NaN, ``<NA>``, NaT and None;
* Freg's codes (sivilstand, status, kjønn, hendelsetype) shown with their Norwegian labels;
* ISO weeks as "uke 47".

``for_display(df)`` makes a table of strings for the screen; exports keep Freg's codes and get a
label column beside each coded one (``with_code_labels``) and go to Excel-Norway CSV with
``excel_csv`` (``;`` separated, UTF-8 with BOM, decimal comma).
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from freg_nb.messages import code_label, column

__all__ = ["LOCALE", "MISSING", "OSLO", "code_columns", "date_text", "excel_csv", "for_display", "number",
           "percent", "time_text", "week_label", "with_code_labels"]

LOCALE = "nb_NO"
OSLO = ZoneInfo("Europe/Oslo")
MISSING = "–"
# which code list a column holds, by the column names Freg's tables use
_CODE_COLUMNS = {"sivilstand": "sivilstand", "sivilstandstype": "sivilstand", "status": "status",
                 "personstatus": "status", "kjoenn": "kjoenn", "hendelsetype": "hendelsetype"}
_SHARE_COLUMNS = ("share", "seq_coverage", "andel")
# numbers that are names, not amounts: no thousands separator (years, municipality and sequence numbers)
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
_PLAIN = re.compile(r"aar$|år$|nummer|nr$|seq$|sekvens|kode|^year$")


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: object, *, decimals: int | None = None) -> str:
    """``11291`` → "11 291", ``0.5`` → "0,5" (``decimals``: fixed number of decimals)."""
    if _missing(value):
        return MISSING
    if isinstance(value, str):
        return value  # a suppressed cell ("<5", ":") stays as the privacy rules wrote it
    fmt = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=fmt, locale=LOCALE)


def percent(value: object, *, decimals: int = 1) -> str:
    """``0.234`` → "23,4 %"."""
    if _missing(value):
        return MISSING
    if isinstance(value, str):
        return value
    return format_percent(value, format="#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0%",
                          locale=LOCALE)


def time_text(value: object) -> str:
    """A time in Europe/Oslo ("30.11.2026 17:04"); a naive time counts as UTC; local midnight is a date."""
    if _missing(value):
        return MISSING
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    local = ts.tz_convert(OSLO)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return date_text(local.date())
    return format_datetime(local.to_pydatetime(), "dd.MM.y HH:mm", tzinfo=OSLO, locale=LOCALE)


def date_text(value: object) -> str:
    """A date as "06.07.2023"."""
    if _missing(value):
        return MISSING
    d = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else pd.Timestamp(value).date()
    return format_date(d, "dd.MM.y", locale=LOCALE)


def week_label(value: object, *, with_year: bool = False) -> str:
    """The ISO week of a date: "uke 47" (or "uke 47 2026")."""
    iso = pd.Timestamp(value).isocalendar()
    return f"uke {iso.week}" + (f" {iso.year}" if with_year else "")


def code_columns(df: pd.DataFrame) -> dict[str, str]:
    """``{column: code list}`` for the coded columns of a table."""
    return {c: _CODE_COLUMNS[str(c)] for c in df.columns if str(c) in _CODE_COLUMNS}


def _format_series(name: str, s: pd.Series) -> pd.Series:
    if str(name) in _CODE_COLUMNS:
        kind = _CODE_COLUMNS[str(name)]
        return s.map(lambda v: MISSING if _missing(v) else code_label(kind, v)).astype(object)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.map(_cell).astype(object)
    if pd.api.types.is_bool_dtype(s):
        return s.map(lambda v: MISSING if _missing(v) else ("ja" if v else "nei")).astype(object)
    if pd.api.types.is_numeric_dtype(s):
        if any(str(name).startswith(p) for p in _SHARE_COLUMNS) or str(name).startswith("with_"):
            return s.map(percent).astype(object)
        if _PLAIN.search(str(name)):
            return s.map(lambda v: MISSING if _missing(v) else str(int(v)) if float(v).is_integer() else str(v)).astype(object)
        whole = pd.api.types.is_integer_dtype(s) or bool((s.dropna() % 1 == 0).all())
        return s.map(lambda v: number(v, decimals=0 if whole else 2)).astype(object)
    return s.map(_cell).astype(object)


def _cell(v: object) -> object:
    """One cell of a column without a single type: times, dates and numbers formatted, text as is."""
    if _missing(v):
        return MISSING
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(v)
        return date_text(ts) if ts.tzinfo is None and ts == ts.normalize() else time_text(ts)
    if isinstance(v, dt.date):
        return date_text(v)
    if isinstance(v, float):
        return number(v, decimals=0 if v.is_integer() else 2)
    if isinstance(v, str) and _ISO_TIME.match(v):  # times stored as ISO text (state files)
        return time_text(v)
    return v


def for_display(df: pd.DataFrame, *, rename: bool = True) -> pd.DataFrame:
    """A copy of ``df`` with every cell as Norwegian text and the column names in bokmål."""
    out = pd.DataFrame({c: _format_series(c, df[c]) for c in df.columns}, index=df.index)
    if isinstance(out.index, pd.DatetimeIndex):
        out.index = [time_text(t) for t in out.index]
    if rename:
        out.columns = [column(c) for c in df.columns]
        if out.index.name:
            out.index.name = column(out.index.name)
    return out


def with_code_labels(df: pd.DataFrame) -> pd.DataFrame:
    """For exports: Freg's codes kept, a ``<column>_tekst`` column with the label beside each."""
    out = df.copy()
    for col, kind in reversed(list(code_columns(df).items())):
        labels = df[col].map(lambda v, k=kind: None if _missing(v) else code_label(k, v))
        out.insert(out.columns.get_loc(col) + 1, f"{col}_tekst", labels)
    return out


def excel_csv(df: pd.DataFrame) -> bytes:
    """CSV for Norwegian Excel: ``;`` between fields, decimal comma, UTF-8 with BOM, code labels beside codes."""
    data = with_code_labels(df)
    for c in data.columns:  # times in Oslo, without the offset Excel cannot read
        if getattr(data[c].dtype, "tz", None) is not None:
            data[c] = data[c].dt.tz_convert(OSLO).dt.tz_localize(None)
    return data.to_csv(sep=";", decimal=",", index=False).encode("utf-8-sig")


