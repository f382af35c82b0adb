"""Vectorised normalisation of names, addresses, postnumre and identifiers.

Every function takes and returns whole Series and does its work in Arrow's compute kernels
(``pyarrow.compute``: lower case, Unicode NFKD, RE2 regular expressions) — never a Python loop
per row — so a list of 100 000 rows is normalised in a few passes. The keys are for comparison
only; what an analyst reads keeps the values as written.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["address_parts", "house_number", "id_digits", "id_valid", "join", "letter", "name_key", "postnummer",
           "street_keys", "text", "when"]

_S = pd.StringDtype("pyarrow")

# Norwegian letters spelled out as fagsystems do when they lack them; other diacritics are
# stripped (é → e, ü → u) after an NFKD decomposition.
_LETTERS = (("æ", "ae"), ("ø", "o"), ("å", "aa"), ("ä", "ae"), ("ö", "o"), ("ß", "ss"))
# Street-name endings written many ways: gata/gate/gt. → gt, veien/vegen/vei/veg/vn. → vn,
# plass/pl. → pl (word ends only, the same on both sides of the comparison).
_ENDINGS = [(r"(?:gata|gaten|gate|gt)\b", "gt"), (r"(?:veien|vegen|veg|vei|vn)\b", "vn"),
            (r"(?:plassen|plass|pl)\b", "pl"), (r"(?:allee|alle)\b", "alle")]


def _arrow(s) -> pa.Array:
    if isinstance(s, (pa.Array, pa.ChunkedArray)):
        a = s.cast(pa.large_string())
    else:
        a = pa.array(s.astype(_S), type=pa.large_string())
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return pc.fill_null(a, "")


def when(mask, value) -> pa.Array:
    """``value`` (text, or an array of texts) where ``mask`` is true, else ``""`` — one kernel call."""
    v = value if isinstance(value, str) else _arrow(value)
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), v, "").cast(pa.large_string())


def _series(a, index) -> pd.Series:
    chunked = a if isinstance(a, pa.ChunkedArray) else pa.chunked_array([a])
    return pd.Series(pd.arrays.ArrowStringArray(chunked.cast(pa.string())), index=index)


def text(s: pd.Series) -> pd.Series:
    """Strings with missing values as ``""`` and surrounding whitespace removed."""
    return _series(pc.utf8_trim_whitespace(_arrow(s)), s.index)


def join(parts: list, sep: str, index) -> pd.Series:
    """The non-empty values of each row joined with ``sep``: the parts are laid out row by row,
    empties dropped, and Arrow's ``binary_join`` joins each row's list (no Python loop per row)."""
    arrays = [pc.utf8_trim_whitespace(_arrow(p)) for p in parts]
    n, k = len(arrays[0]), len(arrays)
    order = (np.arange(n)[:, None] + np.arange(k)[None, :] * n).ravel()     # row-major over the parts
    values = pa.concat_arrays(arrays).take(pa.array(order))
    keep = pc.not_equal(values, "").to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(keep.reshape(n, k).sum(axis=1))]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values.filter(pa.array(keep)))
    return _series(pc.binary_join(lists, pa.scalar(sep, pa.large_string())), index)


def _fold(a: pa.Array) -> pa.Array:
    """Lower case, æøå spelled out, diacritics removed, anything but letters and digits → space."""
    a = pc.utf8_lower(a)
    for src, dst in _LETTERS:
        a = pc.replace_substring(a, src, dst)
    other = pc.invert(pc.string_is_ascii(a))
    if pc.any(other).as_py():  # NFKD and mark removal only on the few rows that need it
        fixed = pc.replace_substring_regex(pc.utf8_normalize(pc.filter(a, other), form="NFKD"),
                                           r"[\x{0300}-\x{036f}]", "")
        a = pc.replace_with_mask(a, other, fixed)
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"[^a-z0-9]+", " "))


def name_key(*parts: pd.Series) -> pd.Series:
    """A name folded for comparison (case, hyphens, diacritics gone; parts joined by spaces). The
    order of the given names is handled by the scorer (``rapidfuzz.fuzz.token_set_ratio`` sorts
    the tokens in C++), so ``"Kari-Anne NORDMANN"`` scores 100 against ``"Nordmann Anne Kari"``."""
    joined = pc.binary_join_element_wise(*[_arrow(p) for p in parts], pa.scalar(" ", pa.large_string()))
    return _series(pc.utf8_trim_whitespace(pc.replace_substring_regex(_fold(joined), r" +", " ")), parts[0].index)


def street_keys(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Street names for comparison, folded and without spaces: (common endings unified, as
    written). ``"Store gate"`` ≡ ``"Storegata"`` ≡ ``"STOREGT."`` in the first."""
    plain = _fold(_arrow(s))
    unified = plain
    for pattern, repl in _ENDINGS:
        unified = pc.replace_substring_regex(unified, pattern, repl)
    return (_series(pc.replace_substring(unified, " ", ""), s.index),
            _series(pc.replace_substring(plain, " ", ""), s.index))


def address_parts(s: pd.Series) -> pd.DataFrame:
    """Split one address column (``"Storgata 5 B"``, ``"Storgt. 5b, 0182 Oslo"``) into
    ``gate``, ``husnummer`` and ``husbokstav`` (empty strings where absent)."""
    a = pc.utf8_trim_whitespace(pc.replace_substring_regex(_arrow(s), r",.*$", ""))
    parts = pc.extract_regex(a, r"^(?P<gate>.*?)\s*(?:(?P<husnummer>\d+)\s*(?P<husbokstav>[A-Za-z])?)?\s*$")
    return pd.DataFrame({k: _series(pc.fill_null(parts.field(k), ""), s.index)
                         for k in ("gate", "husnummer", "husbokstav")})


def house_number(s: pd.Series) -> pd.Series:
    """House numbers as digits without leading zeros (``"05"`` → ``"5"``)."""
    digits = pc.replace_substring_regex(_arrow(s), r"^\D*?0*(\d+).*$|^\D*$", r"\1")
    return _series(digits, s.index)


def letter(s: pd.Series) -> pd.Series:
    return _series(pc.replace_substring_regex(pc.utf8_lower(_arrow(s)), r"[^a-z]", ""), s.index)


def postnummer(s: pd.Series) -> pd.Series:
    """Four-digit postnumre; a leading zero Excel dropped is put back (``582`` → ``0582``)."""
    d = pc.replace_substring_regex(pc.replace_substring_regex(_arrow(s), r"\.0+$", ""), r"\D", "")
    padded = pc.utf8_lpad(d, 4, "0")
    return _series(pc.if_else(pc.equal(d, ""), d, padded), s.index)


def id_digits(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers cleaned of spaces, dots, dashes and Excel's ``.0``; a 10-digit number gets its
    lost leading zero back. Returns (cleaned ids, True where a zero was put back)."""
    a = pc.utf8_trim_whitespace(pc.replace_substring_regex(_arrow(s), r"\.0+$", ""))
    numeric = pc.match_substring_regex(a, r"^[\d\s.\-]+$")
    a = pc.if_else(numeric, pc.replace_substring_regex(a, r"[\s.\-]", ""), a)
    lost = pc.match_substring_regex(a, r"^\d{10}$")
    a = pc.if_else(lost, pc.binary_join_element_wise(pa.scalar("0", pa.large_string()), a,
                                                 pa.scalar("", pa.large_string())), a)
    return _series(a, s.index), pd.Series(lost.to_numpy(zero_copy_only=False), index=s.index)


_W1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2])
_W2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def id_valid(ident: pd.Series) -> np.ndarray:
    """True where ``ident`` is a valid fødsels- or D-number — the rules of ``freg_nb.ids``
    (1964 and 2032 check digits, synthetic months + 80, a real date) on all rows at once with
    numpy; only 29 February, whose validity depends on the century, is left to ``ids.is_valid``."""
    from .. import ids

    s = ident.astype(_S).fillna("")
    ok = s.str.fullmatch(r"\d{11}").fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(s), dtype=bool)
    if not ok.any():
        return out
    d = np.frombuffer("".join(s[ok].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 11).astype(np.int64) - 48
    r1 = (d[:, :9] @ _W1 + d[:, 9]) % 11
    k2 = (d[:, :10] @ _W2 + d[:, 10]) % 11
    day, month = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3]
    day = np.where(day > 40, day - 40, day)
    month = np.where(month > 80, month - 80, month)
    good = (r1 <= 3) & (k2 == 0) & (month >= 1) & (month <= 12)
    good &= (day >= 1) & (day <= _MONTH_DAYS[np.clip(month, 0, 12)])
    leap = good & (day == 29) & (month == 2)
    if leap.any():
        good[leap] = [ids.is_valid(x) for x in s[ok][leap].tolist()]
    out[ok] = good
    return out
