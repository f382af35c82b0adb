"""Summaries of an extract's persons: counts by dimension and the age pyramid, small cells suppressed.

Analysis over a DataFrame already fetched (``read_tailored_extract`` / ``read_complete_extract``):
nothing here talks to Freg. Suppression is ``privacy.suppress`` (SSB's rules).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from . import privacy
from .codes import KJOENN
from .errors import InputError
from .kommuner import kommunenavn
from .messages import msg

__all__ = ["SUMMARY_DIMENSIONS", "age_pyramid_table", "summarize_extract"]

SUMMARY_DIMENSIONS = ("kommunenummer", "aldersgruppe", "kjoenn", "status", "statsborgerskap", "sivilstand",
                      "foedselsaar")
UNKNOWN = "uoppgitt"


def _age_band(alder: "pd.Series", band: int, max_age: int) -> "pd.Series":
    if not isinstance(band, int) or isinstance(band, bool) or band < 1:
        raise InputError(msg("summary.band", value=band))
    labels = _band_labels(band, max_age)
    a = pd.to_numeric(alder, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    idx = np.where(np.isnan(a), -1, np.minimum(np.floor(np.nan_to_num(a) / band), len(labels) - 1)).astype(int)
    cat = pd.Categorical.from_codes(idx, categories=labels)
    return pd.Series(cat, index=alder.index, name="aldersgruppe")


def _band_labels(band: int, max_age: int) -> list[str]:
    top = (max_age // band) * band
    labels = [f"{lo}–{lo + band - 1}" if band > 1 else str(lo) for lo in range(0, top, band)]
    return labels + [f"{top}+"]


def summarize_extract(df: "pd.DataFrame", by: str | Sequence[str] = "kommunenummer", *,
                      threshold: int | None = None, age_band: int = 10, max_age: int = 90) -> "pd.DataFrame":
    """Counts of persons in an extract by one or two dimensions, with small cells suppressed.

    ``by``: ``kommunenummer`` (with ``kommunenavn``), ``aldersgruppe`` (bands of ``age_band``
    years, the last one ``max_age+``), ``kjoenn``, ``status``, ``statsborgerskap`` (a person with
    several citizenships is counted once for each), ``sivilstand``, ``foedselsaar`` or any other
    column; or a pair of them for a two-way table (long form). Missing values are counted as
    ``uoppgitt`` — this includes persons whose address is protected, whose municipality is never
    shown. Counts from 1 to ``threshold - 1`` (default ``FREG_NB_SMALL_CELL`` or 5, never below 3)
    are shown as ``:`` with a footnote, with secondary suppression so that no hidden count can be
    narrowed down from what is published together (``privacy.count_table``). The ``antall``
    column therefore holds text.

    >>> freg_nb.summarize_extract(df, by="kjoenn")                        # doctest: +SKIP
      kjoenn antall
    0 kvinne     41
    1   mann     38
    """
    dims = [by] if isinstance(by, str) else list(by)
    if not 1 <= len(dims) <= 2:
        raise InputError(msg("summary.dims"))
    cols = {}
    for d in dims:
        if d == "aldersgruppe":
            if "alder" not in df.columns:
                raise InputError(msg("summary.no_age"))
            cols[d] = _age_band(df["alder"], age_band, max_age)
        elif d.lower() in privacy.ID_COLUMNS or d.lower().endswith("foedselsellerdnummer"):
            raise InputError(msg("summary.id_column", column=d))
        elif d in df.columns:
            s = df[d].astype("object")
            cols[d] = s.where(s.notna() & (s.astype(str).str.strip() != ""), UNKNOWN)
        else:
            raise InputError(msg("summary.no_column", column=d, choices=", ".join(SUMMARY_DIMENSIONS)))
    frame = pd.DataFrame(cols, index=df.index)
    frame["_beskyttet"] = privacy.protected_or_unknown(df)
    if "statsborgerskap" in dims:
        frame["statsborgerskap"] = frame["statsborgerskap"].astype(str).str.split(",")
        frame = frame.explode("statsborgerskap")
    table = privacy.count_table(frame, dims, threshold=threshold, protected=frame["_beskyttet"])
    if dims == ["kommunenummer"]:
        table.insert(1, "kommunenavn", [kommunenavn(k) or "" for k in table["kommunenummer"].astype(str)])
    return table.reset_index(drop=True)


def age_pyramid_table(df: "pd.DataFrame", *, band: int = 5, max_age: int = 90,
                      threshold: int | None = None) -> "pd.DataFrame":
    """Persons by age group (rows, youngest first) and sex (columns ``kvinne``, ``mann``), suppressed.

    Every age group from 0 to ``max_age+`` is present. Small cells show as ``:`` (with secondary
    suppression across both rows and columns). Feed it to ``freg_nb.plots.extracts.age_pyramid``.
    Persons without a known age or sex are left out.

    >>> t = freg_nb.age_pyramid_table(df, band=10)                        # doctest: +SKIP
    """
    for col in ("alder", "kjoenn"):
        if col not in df.columns:
            raise InputError(msg("summary.pyramid_column", column=col))
    groups = _age_band(df["alder"], band, max_age)
    frame = pd.DataFrame({"aldersgruppe": groups, "kjoenn": df["kjoenn"].astype("object")}, index=df.index)
    long = privacy.count_table(frame, ["aldersgruppe", "kjoenn"], threshold=threshold)
    wide = long.pivot(index="aldersgruppe", columns="kjoenn", values="antall")
    wide = wide.reindex(index=_band_labels(band, max_age), columns=list(KJOENN)).reset_index()
    wide.columns = ["aldersgruppe", *KJOENN]
    return privacy.with_footnote(wide)


