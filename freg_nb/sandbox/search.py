"""Vectorised person search (soek / entydigsoek criteria) and tailored-extract selection.

Both return numpy arrays of person indices in ascending order (a stable order).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from . import names
from .vocab import AKTIV, BOSATT, DOED, INAKTIV, LETTERS, SIVILSTAND, UTFLYTTET

if TYPE_CHECKING:
    from .population import Population

SEARCH_KEYS = frozenset({
    "navn", "foedselsdato", "kjoenn", "foedselsaarFraOgMed", "foedselsaarTilOgMed", "adressenavn", "husnummer",
    "husbokstav", "postnummer", "kommunenummer", "fylkesnummer", "inkluderDoede", "inkluderOppholdsadresse",
    "soekFonetisk", "opplysningsgrunnlag", "maksTreff", "med_hjemmel",
})
TAILORED_STATUS = {"bosatt": (BOSATT,), "utflyttet": (UTFLYTTET,), "doed": (DOED,), "aktiv": (AKTIV,),
                   "inaktiv": (INAKTIV,)}


def search_date(s: str) -> int:
    """A search ``foedselsdato`` (``YYYYMMDD``, as the spec and Skatteetaten's examples have it) as a day
    number; anything else is refused (Freg: 400 "Ugyldig parameter"), never read as zero hits."""
    from datetime import date

    if not re.fullmatch(r"\d{8}", s.strip()):
        raise ValueError(f"Ugyldig parameter foedselsdato: {s!r}. Forventet format er YYYYMMDD")
    try:
        d = date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        raise ValueError(f"Ugyldig parameter foedselsdato: {s!r} er ingen gyldig dato") from None
    return (d - date(1970, 1, 1)).days


def _truthy(v) -> bool:
    if isinstance(v, str):
        if v.lower() not in ("true", "false"):
            raise ValueError(f"not a boolean: {v!r}")
        return v.lower() == "true"
    return bool(v)


def _year(v, name: str) -> int:
    s = str(v).strip()
    if not re.fullmatch(r"\d{4}", s):
        raise ValueError(f"{name} must be a year (YYYY), got {v!r}")
    return int(s)


@lru_cache(maxsize=8)
def _word_index(kind: str, fonetisk: bool) -> dict[str, list[int]]:
    words = names.adjectives() if kind == "adj" else names.nouns()
    out: dict[str, list[int]] = {}
    for j, w in enumerate(words):
        out.setdefault(names.phonetic(w) if fonetisk else w.upper(), []).append(j)
    return out


def _name_mask(pop: Population, navn: str, fonetisk: bool) -> np.ndarray:
    tokens = [t for t in re.split(r"[\s,]+", navn.strip().upper()) if t]
    if not tokens:
        raise ValueError("navn is empty")
    mask = np.ones(pop.size, bool)
    for t in tokens:
        key = names.phonetic(t) if fonetisk else t
        adj = _word_index("adj", fonetisk).get(key, [])
        nou = _word_index("noun", fonetisk).get(key, [])
        m = np.isin(pop.fornavn, adj) | np.isin(pop.etternavn, nou) | np.isin(pop.mellom, nou)
        mask &= m
    return mask


def _street_code_array(pop: Population) -> np.ndarray:
    codes = getattr(pop, "_street_code_cache", None)
    if codes is None:
        codes = names.street_codes(pop.kommune.astype(np.int64), pop.street.astype(np.int64))
        pop._street_code_cache = codes
    return codes


def postnummer_array(pop: Population) -> np.ndarray:
    """Current postnummer (int) of each person's household address (same rule as the documents)."""
    from .mixing import hash64

    kom = pop.kommune.astype(np.int64)
    pc = pop.kommune_postcount[kom].astype(np.int64)
    off = (hash64(kom * 4096 + pop.street.astype(np.int64), 5) % pc.astype(np.uint64)).astype(np.int64)
    return np.minimum(pop.kommune_post[kom] + off * np.where(pc < 20, 1, 5), 9991)


def search(pop: Population, **criteria) -> np.ndarray:
    unknown = set(criteria) - SEARCH_KEYS
    if unknown:
        raise ValueError(f"unknown search criteria: {', '.join(sorted(unknown))}")
    c = {k: v for k, v in criteria.items() if v is not None and (v != "" or k == "husbokstav")}
    fonetisk = _truthy(c.get("soekFonetisk", False))
    med_hjemmel = _truthy(c.get("med_hjemmel", True))
    mask = np.ones(pop.size, bool)
    if not _truthy(c.get("inkluderDoede", False)):
        mask &= pop.status != DOED
    if "navn" in c:
        mask &= _name_mask(pop, str(c["navn"]), fonetisk)
    if "foedselsdato" in c:
        mask &= pop.birth == search_date(str(c["foedselsdato"]))
    if "kjoenn" in c:
        k = str(c["kjoenn"]).lower()
        if k not in ("kvinne", "mann"):
            raise ValueError("kjoenn must be kvinne or mann")
        mask &= pop.male == (k == "mann")
    year = None
    for key, op in (("foedselsaarFraOgMed", np.greater_equal), ("foedselsaarTilOgMed", np.less_equal)):
        if key in c:
            if year is None:
                year = pop.birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
            mask &= op(year, _year(c[key], key))
    address_keys = ("adressenavn", "husnummer", "husbokstav", "postnummer", "kommunenummer", "fylkesnummer")
    if any(k in c for k in address_keys):
        # whoever shows a current bostedsadresse (or, D-numbers, oppholdsadresse) in the document
        has_addr = ((~pop.dnr & (pop.status != UTFLYTTET)) | (pop.dnr & (pop.status == AKTIV))) & ~pop.ukjent
        if not _truthy(c.get("inkluderOppholdsadresse", False)):  # spec: "Default: false"
            has_addr &= ~pop.dnr
        has_addr &= pop.prot == 0 if not med_hjemmel else pop.prot < 2
        m = has_addr
        if "adressenavn" in c:  # "minst 3 tegn fra begynnelsen av gatenavn"
            want = str(c["adressenavn"]).strip().lower()
            if len(want) < 3:
                raise ValueError("Ugyldig parameter adressenavn: oppgi minst 3 tegn fra begynnelsen av gatenavnet")
            codes = [j for j in range(names.n_street_codes()) if names.street_name(j).lower().startswith(want)]
            m &= np.isin(_street_code_array(pop), codes)
        if "husnummer" in c:  # "med eller uten bokstav" (80A)
            found = re.fullmatch(r"(\d{1,5})\s*([A-Za-zÆØÅæøå]?)", str(c["husnummer"]).strip())
            if found is None:
                raise ValueError("Ugyldig parameter husnummer: forventet et tall, eventuelt med bokstav (f.eks. 14B)")
            m &= pop.husnr == int(found.group(1))
            if found.group(2):
                c.setdefault("husbokstav", found.group(2))
        if "husbokstav" in c:  # "" = the address has no letter (entydigsoek: absence must match too)
            letter = str(c["husbokstav"]).strip().upper()
            m &= pop.bokstav == (LETTERS.index(letter) if letter in LETTERS else -1)
        if "postnummer" in c:
            s = str(c["postnummer"]).strip()
            m &= postnummer_array(pop) == int(s) if s.isdigit() else False
        if "kommunenummer" in c:
            m &= pop.kommune_numbers[pop.kommune] == str(c["kommunenummer"]).strip()
        if "fylkesnummer" in c:
            m &= pop.kommune_fylke[pop.kommune] == str(c["fylkesnummer"]).strip()
        mask &= m
    return np.flatnonzero(mask)


def select(pop: Population, criteria: dict) -> np.ndarray:
    """Indices for a tailored extract (TilpassetUttrekkJobbRequest), ascending."""
    if not isinstance(criteria, dict):
        raise ValueError("criteria must be an object")
    st = criteria.get("personstatustyper")
    if not st or not isinstance(st, list) or any(s not in TAILORED_STATUS for s in st):
        raise ValueError("personstatustyper must list some of: " + ", ".join(TAILORED_STATUS))
    mask = np.isin(pop.status, [c for s in st for c in TAILORED_STATUS[s]])
    kn = criteria.get("kommunenummer")
    if kn:
        if not isinstance(kn, dict) or len([k for k in kn if kn[k]]) != 1:
            raise ValueError("kommunenummer needs exactly one of bostedskommunenummer, oppholdskommunenummer")
        if kn.get("bostedskommunenummer"):
            mask &= ~pop.dnr & ~pop.ukjent & (pop.kommune_numbers[pop.kommune] == str(kn["bostedskommunenummer"]))
            mask &= pop.status != UTFLYTTET
        elif kn.get("oppholdskommunenummer"):
            mask &= pop.dnr & (pop.kommune_numbers[pop.kommune] == str(kn["oppholdskommunenummer"]))
        else:
            raise ValueError("kommunenummer needs bostedskommunenummer or oppholdskommunenummer")
    year = pop.birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    if criteria.get("foedselsaarFraOgMed"):
        mask &= year >= _year(criteria["foedselsaarFraOgMed"], "foedselsaarFraOgMed")
    if criteria.get("foedselsaarTilOgMed"):
        mask &= year <= _year(criteria["foedselsaarTilOgMed"], "foedselsaarTilOgMed")
    if criteria.get("doedsaarFraOgMed") or criteria.get("doedsaarTilOgMed"):
        dy = np.where(pop.death >= 0, pop.death.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970, -1)
        mask &= pop.death >= 0
        if criteria.get("doedsaarFraOgMed"):
            mask &= dy >= _year(criteria["doedsaarFraOgMed"], "doedsaarFraOgMed")
        if criteria.get("doedsaarTilOgMed"):
            mask &= dy <= _year(criteria["doedsaarTilOgMed"], "doedsaarTilOgMed")
    if criteria.get("kjoenn"):
        if criteria["kjoenn"] not in ("kvinne", "mann"):
            raise ValueError("kjoenn must be kvinne or mann")
        mask &= pop.male == (criteria["kjoenn"] == "mann")
    if criteria.get("statsborgerskap"):
        code = str(criteria["statsborgerskap"]).upper()
        mask &= citizenship_mask(pop, code)
    if criteria.get("sivilstandstype"):
        s = criteria["sivilstandstype"]
        if s not in SIVILSTAND:
            raise ValueError(f"unknown sivilstandstype {s!r}")
        mask &= pop.sivil == SIVILSTAND.index(s)
    return np.flatnonzero(mask)


def citizenship_mask(pop: Population, code: str) -> np.ndarray:
    """Who holds this citizenship now (same rules as the statsborgerskap element)."""
    from datetime import date

    dual_from = (date(2020, 1, 1) - date(1970, 1, 1)).days
    foreign_codes = np.array(names.foreign_codes())
    born_abroad = (pop.immig >= 0) | pop.dnr
    norwegian = (~born_abroad) | ((pop.cit < 0) & (pop.natur_day >= 0))
    foreign_now = born_abroad & ((pop.cit >= 0) | (pop.natur_day < 0) | (pop.natur_day >= dual_from))
    if code == "NOR":
        return norwegian
    return foreign_now & (foreign_codes[pop.foreign] == code)


__all__ = ["search", "select", "SEARCH_KEYS", "postnummer_array", "citizenship_mask"]
