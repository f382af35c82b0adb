"""Word lists for synthetic people and places (Tenor style: fornavn an adjective, etternavn a noun).

Street names are built from a stem and an ending ("Bjørkeveien", "Henrik Ibsens gate"), each
municipality having its own deterministic set. Countries are ISO 3166-1 alpha-3 with weights
for citizenship/birth abroad. ``phonetic`` is the key used by ``soekFonetisk``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np

from .mixing import hash1, hash64


def _words(name: str) -> tuple[str, ...]:
    text = resources.files("freg_nb.sandbox").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return tuple(dict.fromkeys(w.strip() for w in text.splitlines() if w.strip()))


@lru_cache(maxsize=None)
def adjectives() -> tuple[str, ...]:
    return _words("adjektiv.txt")


@lru_cache(maxsize=None)
def nouns() -> tuple[str, ...]:
    return _words("substantiv.txt")


@lru_cache(maxsize=None)
def _stems() -> tuple[str, ...]:
    return _words("gatestammer.txt")


@lru_cache(maxsize=None)
def _endings() -> tuple[str, ...]:
    return _words("gateledd.txt")


def street_name(code: int) -> str:
    """The street name for a street code (any non-negative int; deterministic)."""
    stems, ends = _stems(), _endings()
    stem = stems[code % len(stems)]
    if " " in stem:  # a person's name: "Henrik Ibsens gate"
        return f"{stem} {('gate', 'vei', 'plass')[(code // len(stems)) % 3]}"
    return stem + ends[(code // len(stems)) % len(ends)]


def street_codes(kommune_index: np.ndarray, street_no: np.ndarray) -> np.ndarray:
    """Street code for (municipality, street number within it): a deterministic hash."""
    key = kommune_index.astype(np.uint64) * np.uint64(4096) + street_no.astype(np.uint64)
    return (hash64(key, 31) % np.uint64(len(_stems()) * len(_endings()))).astype(np.int32)


def street_codes_one(kommune_index: int, street_no: int) -> int:
    """``street_codes`` for one street (same numbers, no numpy overhead)."""
    return hash1(kommune_index * 4096 + street_no, 31) % (len(_stems()) * len(_endings()))


def n_street_codes() -> int:
    return len(_stems()) * len(_endings())


# (alpha-3, weight among foreign citizenships/birth countries, Norwegian name of a city there)
COUNTRIES: tuple[tuple[str, float, str], ...] = (
    ("POL", 12, "Gdańsk"), ("LTU", 6, "Kaunas"), ("SWE", 6, "Göteborg"), ("SYR", 5, "Aleppo"),
    ("UKR", 7, "Kyiv"), ("SOM", 3, "Mogadishu"), ("DEU", 3, "Hamburg"), ("ERI", 3, "Asmara"),
    ("PHL", 3, "Manila"), ("THA", 2, "Bangkok"), ("IRQ", 2, "Bagdad"), ("AFG", 2, "Kabul"),
    ("GBR", 2, "London"), ("USA", 2, "Minneapolis"), ("ROU", 3, "Cluj"), ("LVA", 2, "Riga"),
    ("PAK", 2, "Lahore"), ("IND", 2, "Pune"), ("VNM", 2, "Hanoi"), ("IRN", 2, "Teheran"),
    ("ESP", 1.5, "Málaga"), ("DNK", 2, "Aarhus"), ("ISL", 1, "Reykjavík"), ("FIN", 1, "Oulu"),
    ("RUS", 1.5, "Murmansk"), ("NLD", 1, "Utrecht"), ("ITA", 1, "Bologna"), ("BRA", 1, "Recife"),
    ("CHN", 1, "Chengdu"), ("ETH", 1, "Addis Abeba"), ("BIH", 1, "Sarajevo"), ("TUR", 1, "Izmir"),
    ("LKA", 1, "Jaffna"), ("FRA", 1, "Lyon"), ("CAN", 0.5, "Toronto"), ("ESP", 0.5, "Alicante"),
)
# countries people emigrate to (alpha-3, weight)
EMIGRATION = (("SWE", 30), ("DNK", 12), ("GBR", 8), ("USA", 8), ("ESP", 8), ("DEU", 5),
              ("POL", 6), ("LTU", 3), ("AUS", 2), ("FRA", 2), ("NLD", 2), ("CHE", 2))


def foreign_codes() -> tuple[str, ...]:
    return tuple(c for c, _, _ in COUNTRIES)


def foreign_weights() -> np.ndarray:
    w = np.array([w for _, w, _ in COUNTRIES], dtype=float)
    return w / w.sum()


_PHON = [(re.compile(p), r) for p, r in (
    (r"[^A-ZÆØÅ]", ""), (r"AA", "Å"), (r"(?<=.)[AEIOUYÆØÅ]+", ""), (r"CK|C", "K"), (r"PH", "F"),
    (r"W", "V"), (r"Z", "S"), (r"TH", "T"), (r"DT", "T"), (r"(.)\1+", r"\1"),
)]


def phonetic(word: str) -> str:
    """A crude Norwegian phonetic key: upper case, vowels after the first letter dropped,
    common spelling variants merged, doubled letters collapsed ("KUBBESTOL" ~ "KUBESTOHL")."""
    # Written by hand: PyPI has no maintained Norwegian phonetic algorithm (jellyfish/phonetics give English
    # Soundex/Metaphone, fonetika's Swedish Soundex does not merge Norwegian spellings such as AA/Å, KJ/SJ, TH/T).
    w = word.upper()
    w = w.replace("H", "") if len(w) > 1 and not w.startswith("H") else w
    for pat, rep in _PHON:
        w = pat.sub(rep, w)
    return w
