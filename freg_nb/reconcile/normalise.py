"""Vectorised normalisation of names, addresses, postnumre and identifiers (pandas string ops).

Every function takes and returns whole Series — never a Python loop per row — so a list of
100 000 rows is normalised in a few pandas passes. The keys are for comparison only; what an
analyst reads keeps the values as written.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["address_parts", "id_digits", "name_key", "postnummer", "street_key", "text"]

_S = pd.StringDtype("pyarrow")

# Norwegian letters spelled out as Folkeregisteret and fagsystems do when they lack them; other
# diacritics are stripped (é → e, ü → u) after an NFKD decomposition.
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "ä": "ae", "ö": "o", "ß": "ss"})
# Street-name endings written many ways: gata/gate/gt. → gt, veien/vegen/vei/veg/vn. → vn,
# plass/pl. → pl (word ends only, the same on both sides of the comparison).
_ENDINGS = [(r"(?:gata|gaten|gate|gt)\b", "gt"), (r"(?:veien|vegen|veg|vei|vn)\b", "vn"),
            (r"(?:plassen|plass|pl)\b", "pl"), (r"(?:alle|allee)\b", "alle")]


def text(s: pd.Series) -> pd.Series:
    """Strings with missing values as ``""`` and surrounding whitespace removed."""
    return s.astype(_S).fillna("").str.strip()


def _fold(s: pd.Series) -> pd.Series:
    """Lower case, æøå spelled out, diacritics removed, anything but letters and digits → space."""
    out = text(s).str.lower().astype(object).str.translate(_LETTERS).astype(_S)
    out = out.str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    return out.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def name_key(*parts: pd.Series) -> pd.Series:
    """A name folded for comparison (case, hyphens, diacritics gone; parts joined by spaces). The
    order of the given names is handled by the scorer (``rapidfuzz.fuzz.token_set_ratio`` sorts
    the tokens in C++), so ``"Kari-Anne NORDMANN"`` scores 100 against ``"Nordmann Anne Kari"``."""
    joined = _fold(parts[0])
    for p in parts[1:]:
        joined = (joined + " " + _fold(p)).str.strip()
    return joined.str.replace(r"\s+", " ", regex=True)


def street_key(s: pd.Series, *, endings: bool = True) -> pd.Series:
    """A street name for comparison: folded, common endings unified (unless ``endings=False``),
    spaces removed (``"Store gate"`` ≡ ``"Storegata"`` ≡ ``"STOREGT."``)."""
    out = _fold(s)
    for pattern, repl in _ENDINGS if endings else ():
        out = out.str.replace(pattern, repl, regex=True)
    return out.str.replace(" ", "", regex=False)


def address_parts(s: pd.Series) -> pd.DataFrame:
    """Split one address column (``"Storgata 5 B"``, ``"Storgt. 5b, 0182 Oslo"``) into
    ``gate``, ``husnummer`` and ``husbokstav`` (empty strings where absent)."""
    t = text(s).str.split(",", n=1).str[0].fillna("")
    parts = t.str.extract(r"^(?P<gate>.*?)\s*(?P<husnummer>\d+)?\s*(?P<husbokstav>[A-Za-z])?\s*$")
    return parts.fillna("").astype(_S)


def house_number(s: pd.Series) -> pd.Series:
    """House numbers as digits without leading zeros (``"05"`` → ``"5"``); letters go to husbokstav."""
    d = text(s).str.extract(r"(\d+)", expand=False).fillna("")
    return d.str.lstrip("0").where(d.str.lstrip("0") != "", d).astype(_S)


def letter(s: pd.Series) -> pd.Series:
    return text(s).str.lower().str.replace(r"[^a-z]", "", regex=True)


def postnummer(s: pd.Series) -> pd.Series:
    """Four-digit postnumre; a leading zero Excel dropped is put back (``582`` → ``0582``)."""
    d = text(s).str.replace(r"\.0+$", "", regex=True).str.replace(r"\D", "", regex=True)
    return d.where(d.str.len() >= 4, d.str.zfill(4)).where(d != "", "")


def id_digits(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers cleaned of spaces, dots, dashes and Excel's ``.0``; a 10-digit number gets its
    lost leading zero back. Returns (cleaned ids, True where a zero was put back)."""
    t = text(s).str.replace(r"\.0+$", "", regex=True)
    t = t.where(~t.str.fullmatch(r"[\d\s.\-]+").fillna(False), t.str.replace(r"[\s.\-]", "", regex=True))
    lost = t.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    return t.where(~lost, "0" + t), lost
