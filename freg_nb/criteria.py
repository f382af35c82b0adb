"""Tailored-extract criteria (``TilpassetUttrekkJobbRequest``, Freg API v1.5): checked locally,
every problem listed at once, before anything is sent.

Criteria keywords are Freg's own names (camelCase), in extracts as in search (see
docs/ARCHITECTURE.md, "Naming"); the snake_case names of earlier versions are deprecated aliases.
"""
from __future__ import annotations

import datetime as dt
import re
import warnings
from typing import Any, Mapping, Sequence

from .codes import EXTRACT_PERSONSTATUSTYPER, KJOENN, SIVILSTANDSTYPER
from .errors import InputError

__all__ = ["CriteriaWarning", "KJOENN", "PERSONSTATUSTYPER", "SIVILSTANDSTYPER", "merge_renamed",
           "tailored_criteria"]

SNAKE_CRITERIA = {
    "foedselsaar_fra_og_med": "foedselsaarFraOgMed", "foedselsaar_til_og_med": "foedselsaarTilOgMed",
    "doedsaar_fra_og_med": "doedsaarFraOgMed", "doedsaar_til_og_med": "doedsaarTilOgMed",
}
"""The snake_case criteria keywords of freg-nb 0.1 → Freg's names (deprecated aliases)."""


def merge_renamed(given: dict[str, Any], old: Mapping[str, Any], function: str) -> dict[str, Any]:
    """``given`` (Freg's names) with the deprecated snake_case criteria in ``old`` filled in, each
    with a ``DeprecationWarning``. Any other unknown keyword is a ``TypeError`` (as Python gives),
    and a criterion given under both names an ``InputError``."""
    unknown = sorted(k for k in old if k not in SNAKE_CRITERIA)
    if unknown:
        raise TypeError(f"{function}() got unexpected keyword argument(s): {', '.join(unknown)}")
    out = dict(given)
    for name, value in old.items():
        new = SNAKE_CRITERIA[name]
        warnings.warn(f"{function}({name}=…) is deprecated: use Freg's name {new}=…", DeprecationWarning,
                      stacklevel=3)
        if out.get(new) is not None:
            raise InputError(f"{new} is given twice (also as {name}): drop the old name. Nothing was sent.")
        out[new] = value
    return out


PERSONSTATUSTYPER = EXTRACT_PERSONSTATUSTYPER
EARLIEST_YEAR = 1850

# ISO 3166-1 alpha-3 (249 officially assigned codes) plus the codes Freg uses beside them for
# Kosovo (XXK), stateless (XXX) and unknown (XUK).
_ISO3 = frozenset("""
AFG ALA ALB DZA ASM AND AGO AIA ATA ATG ARG ARM ABW AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN
BMU BTN BOL BES BIH BWA BVT BRA IOT BRN BGR BFA BDI CPV KHM CMR CAN CYM CAF TCD CHL CHN CXR CCK
COL COM COG COD COK CRI CIV HRV CUB CUW CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH
FLK FRO FJI FIN FRA GUF PYF ATF GAB GMB GEO DEU GHA GIB GRC GRL GRD GLP GUM GTM GGY GIN GNB GUY
HTI HMD VAT HND HKG HUN ISL IND IDN IRN IRQ IRL IMN ISR ITA JAM JPN JEY JOR KAZ KEN KIR PRK KOR
KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MAC MDG MWI MYS MDV MLI MLT MHL MTQ MRT MUS MYT MEX
FSM MDA MCO MNG MNE MSR MAR MOZ MMR NAM NRU NPL NLD NCL NZL NIC NER NGA NIU NFK MKD MNP NOR OMN
PAK PLW PSE PAN PNG PRY PER PHL PCN POL PRT PRI QAT REU ROU RUS RWA BLM SHN KNA LCA MAF SPM VCT
WSM SMR STP SAU SEN SRB SYC SLE SGP SXM SVK SVN SLB SOM ZAF SGS SSD ESP LKA SDN SUR SJM SWE CHE
SYR TWN TJK TZA THA TLS TGO TKL TON TTO TUN TUR TKM TCA TUV UGA UKR ARE GBR USA UMI URY UZB VUT
VEN VNM VGB VIR WLF ESH YEM ZMB ZWE
XXK XXX XUK
""".split())


class CriteriaWarning(UserWarning):
    """Criteria that are valid but probably not what was meant (e.g. an unknown municipality)."""


def _year(value: Any, label: str, problems: list[str], this_year: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(f"{label}: expected a year like 1955, got {value!r}.")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        year = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        year = int(value)
    else:
        problems.append(f"{label}: expected a four-digit year like 1955, got {value!r}.")
        return None
    if year < EARLIEST_YEAR:
        problems.append(f"{label}: {year} is before {EARLIEST_YEAR}; Folkeregisteret has no one born or dead then.")
        return None
    if year > this_year:
        problems.append(f"{label}: {year} is in the future (this year is {this_year}).")
        return None
    return year


def _range(lo_val: Any, hi_val: Any, what: str, problems: list[str], this_year: int) -> tuple[int | None, int | None]:
    lo = _year(lo_val, f"{what}FraOgMed", problems, this_year)
    hi = _year(hi_val, f"{what}TilOgMed", problems, this_year)
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"{what}FraOgMed ({lo}) is after {what}TilOgMed ({hi}): swap them.")
    return lo, hi


def _municipality(value: Any, label: str, problems: list[str], unknown: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    s = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if s is None or not re.fullmatch(r"\d{4}", s):
        hint = ""
        if s is not None and re.fullmatch(r"\d{1,3}", s):
            hint = f" (with leading zeros: '{s.zfill(4)}')"
        problems.append(f"{label}: a kommunenummer has four digits, as a string{hint}; got {value!r}.")
        return None
    if not _is_current_municipality(s):
        unknown.append(f"{label} {s} is not a current municipality (freg_nb/data/kommuner.csv); "
                       "Freg will find no one there unless the list is out of date.")
    return s


def _is_current_municipality(number: str) -> bool:
    from . import kommuner

    return kommuner.is_current(number)


def _statuses(value: Any, problems: list[str]) -> list[str]:
    if value is None:
        problems.append("personstatustyper is required: one or more of " + ", ".join(PERSONSTATUSTYPER) + ".")
        return []
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    if not items or all(isinstance(v, str) and not v for v in items):
        problems.append("personstatustyper is required: one or more of " + ", ".join(PERSONSTATUSTYPER) + ".")
        return []
    out: list[str] = []
    for v in items:
        key = str(v).strip().lower() if isinstance(v, str) else None
        if key not in PERSONSTATUSTYPER:
            problems.append(f"personstatustyper: {v!r} is not allowed in an extract; "
                            f"choose from {', '.join(PERSONSTATUSTYPER)}.")
        elif key not in out:
            out.append(key)
    return out


def tailored_criteria(
    *,
    personstatustyper: Sequence[str] | str | None = ("bosatt",),
    bostedskommunenummer: str | None = None,
    oppholdskommunenummer: str | None = None,
    foedselsaarFraOgMed: int | str | None = None,
    foedselsaarTilOgMed: int | str | None = None,
    doedsaarFraOgMed: int | str | None = None,
    doedsaarTilOgMed: int | str | None = None,
    kjoenn: str | None = None,
    statsborgerskap: str | None = None,
    sivilstandstype: str | None = None,
    today: dt.date | None = None,
    **deprecated: Any,
) -> dict[str, Any]:
    """Check extract criteria and return Freg's request body (``TilpassetUttrekkJobbRequest``).

    Every problem is collected and raised as one ``InputError`` listing them all, before any
    request is sent. A well-formed but unknown municipality number gives a ``CriteriaWarning``
    (the list of municipalities may be older than Freg), not a refusal.

    The keywords are Freg's own names (camelCase). The snake_case names of earlier versions
    (``foedselsaar_fra_og_med`` …) still work but give a ``DeprecationWarning``.

    >>> tailored_criteria(bostedskommunenummer="0301", foedselsaarFraOgMed=1950,
    ...                   foedselsaarTilOgMed=1960, kjoenn="Kvinne")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'personstatustyper': ['bosatt'], 'kommunenummer': {'bostedskommunenummer': '0301'},
     'foedselsaarFraOgMed': '1950', 'foedselsaarTilOgMed': '1960', 'kjoenn': 'kvinne'}
    """
    if deprecated:
        given = dict(foedselsaarFraOgMed=foedselsaarFraOgMed, foedselsaarTilOgMed=foedselsaarTilOgMed,
                     doedsaarFraOgMed=doedsaarFraOgMed, doedsaarTilOgMed=doedsaarTilOgMed)
        given = merge_renamed(given, deprecated, "tailored_criteria")
        foedselsaarFraOgMed, foedselsaarTilOgMed = given["foedselsaarFraOgMed"], given["foedselsaarTilOgMed"]
        doedsaarFraOgMed, doedsaarTilOgMed = given["doedsaarFraOgMed"], given["doedsaarTilOgMed"]
    problems: list[str] = []
    unknown: list[str] = []
    this_year = (today or dt.date.today()).year
    statuses = _statuses(personstatustyper, problems)

    bosted = _municipality(bostedskommunenummer, "bostedskommunenummer", problems, unknown)
    opphold = _municipality(oppholdskommunenummer, "oppholdskommunenummer", problems, unknown)
    if bosted and opphold:
        problems.append("give either bostedskommunenummer (where people live) or oppholdskommunenummer "
                        "(where people stay), not both: Freg accepts one of them.")

    f_lo, f_hi = _range(foedselsaarFraOgMed, foedselsaarTilOgMed, "foedselsaar", problems, this_year)
    d_lo, d_hi = _range(doedsaarFraOgMed, doedsaarTilOgMed, "doedsaar", problems, this_year)
    if d_hi is not None and f_lo is not None and d_hi < f_lo:
        problems.append(f"doedsaarTilOgMed ({d_hi}) is before foedselsaarFraOgMed ({f_lo}): "
                        "no one can die before they are born.")

    sex = None
    if kjoenn is not None and not (isinstance(kjoenn, str) and not kjoenn.strip()):
        sex = kjoenn.strip().lower() if isinstance(kjoenn, str) else None
        if sex not in KJOENN:
            problems.append(f"kjoenn: {kjoenn!r} is not valid; use 'kvinne' or 'mann' (or leave it out for both).")
            sex = None

    citizenship = None
    if statsborgerskap is not None and not (isinstance(statsborgerskap, str) and not statsborgerskap.strip()):
        s = statsborgerskap.strip().upper() if isinstance(statsborgerskap, str) else ""
        if not re.fullmatch(r"[A-Z]{3}", s):
            hint = " (Norway is 'NOR', not 'NO')" if s in ("NO", "NB", "NN") else ""
            problems.append(f"statsborgerskap: use an ISO 3166-1 alpha-3 country code like 'NOR', 'SWE', "
                            f"'POL'{hint}; got {statsborgerskap!r}.")
        elif s not in _ISO3:
            problems.append(f"statsborgerskap: {s!r} is not an ISO 3166-1 alpha-3 country code.")
        else:
            citizenship = s

    civil = None
    if sivilstandstype is not None and not (isinstance(sivilstandstype, str) and not sivilstandstype.strip()):
        by_lower = {v.lower(): v for v in SIVILSTANDSTYPER}
        civil = by_lower.get(sivilstandstype.strip().lower()) if isinstance(sivilstandstype, str) else None
        if civil is None:
            problems.append(f"sivilstandstype: {sivilstandstype!r} is not valid; choose from "
                            f"{', '.join(SIVILSTANDSTYPER)}.")

    if (d_lo is not None or d_hi is not None) and statuses and "doed" not in statuses:
        problems.append("doedsaar is given but personstatustyper does not include 'doed': no one would "
                        "match. Add 'doed' to personstatustyper or leave the death years out.")

    if problems:
        n = len(problems)
        raise InputError("\n".join([f"{n} problem{'s' if n != 1 else ''} with the extract criteria "
                                    "(nothing was sent to Freg):", *(f"  - {p}" for p in problems)]))
    for msg in unknown:
        warnings.warn(msg, CriteriaWarning, stacklevel=3)

    body: dict[str, Any] = {"personstatustyper": statuses}
    if bosted:
        body["kommunenummer"] = {"bostedskommunenummer": bosted}
    elif opphold:
        body["kommunenummer"] = {"oppholdskommunenummer": opphold}
    for key, val in (("foedselsaarFraOgMed", f_lo), ("foedselsaarTilOgMed", f_hi),
                     ("doedsaarFraOgMed", d_lo), ("doedsaarTilOgMed", d_hi)):
        if val is not None:
            body[key] = str(val)
    if sex:
        body["kjoenn"] = sex
    if citizenship:
        body["statsborgerskap"] = citizenship
    if civil:
        body["sivilstandstype"] = civil
    return body


