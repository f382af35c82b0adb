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

from . import kommuner
from .codes import EXTRACT_PERSONSTATUSTYPER, KJOENN, SIVILSTANDSTYPER
from .errors import InputError
from .messages import field as _label
from .messages import msg

__all__ = ["KJOENN", "PERSONSTATUSTYPER", "SIVILSTANDSTYPER", "merge_renamed",
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
            raise InputError(msg("criteria.twice", field=_label(new), new=new, old=name))
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


def _year(value: Any, label: str, problems: list[str], this_year: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(msg("extract.year", field=_label(label), value=value))
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        year = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        year = int(value)
    else:
        problems.append(msg("extract.year", field=_label(label), value=value))
        return None
    if year < EARLIEST_YEAR:
        problems.append(msg("criteria.year_early", field=_label(label), value=year, earliest=EARLIEST_YEAR))
        return None
    if year > this_year:
        problems.append(msg("extract.year_future", field=_label(label), value=year))
        return None
    return year


def _range(lo_val: Any, hi_val: Any, what: str, problems: list[str], this_year: int) -> tuple[int | None, int | None]:
    lo = _year(lo_val, f"{what}FraOgMed", problems, this_year)
    hi = _year(hi_val, f"{what}TilOgMed", problems, this_year)
    if lo is not None and hi is not None and lo > hi:
        problems.append(msg("extract.year_order", first=_label(f"{what}FraOgMed"), last=_label(f"{what}TilOgMed")))
    return lo, hi


def _municipality(value: Any, label: str, problems: list[str]) -> str | None:
    """The same rule as search (``kommuner.problem``): unknown numbers refused with close matches,
    a former municipality only when marked ``kommuner.historisk(...)``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    problem = kommuner.problem(value, _label(label))
    if problem:
        problems.append(problem)
        return None
    return str(value).strip()


def _statuses(value: Any, problems: list[str]) -> list[str]:
    required = msg("criteria.status_required", field=_label("personstatustyper"), choices=", ".join(PERSONSTATUSTYPER))
    if value is None:
        problems.append(required)
        return []
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    if not items or all(isinstance(v, str) and not v for v in items):
        problems.append(required)
        return []
    out: list[str] = []
    for v in items:
        key = str(v).strip().lower() if isinstance(v, str) else None
        if key not in PERSONSTATUSTYPER:
            problems.append(msg("criteria.status_bad", field=_label("personstatustyper"), value=v,
                                choices=", ".join(PERSONSTATUSTYPER)))
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
    request is sent. A municipality number must be a current one (close matches are suggested), as in
    search; a former municipality's number only when marked ``kommuner.historisk("1201")``.

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
    this_year = (today or dt.date.today()).year
    statuses = _statuses(personstatustyper, problems)

    bosted = _municipality(bostedskommunenummer, "bostedskommunenummer", problems)
    opphold = _municipality(oppholdskommunenummer, "oppholdskommunenummer", problems)
    if bosted and opphold:
        problems.append(msg("criteria.both_kommuner", bosted=_label("bostedskommunenummer"),
                            opphold=_label("oppholdskommunenummer")))

    f_lo, f_hi = _range(foedselsaarFraOgMed, foedselsaarTilOgMed, "foedselsaar", problems, this_year)
    d_lo, d_hi = _range(doedsaarFraOgMed, doedsaarTilOgMed, "doedsaar", problems, this_year)
    if d_hi is not None and f_lo is not None and d_hi < f_lo:
        problems.append(msg("criteria.death_before_birth", death=_label("doedsaarTilOgMed"), d=d_hi,
                            birth=_label("foedselsaarFraOgMed"), b=f_lo))

    sex = None
    if kjoenn is not None and not (isinstance(kjoenn, str) and not kjoenn.strip()):
        sex = kjoenn.strip().lower() if isinstance(kjoenn, str) else None
        if sex not in KJOENN:
            problems.append(msg("criteria.kjoenn", field=_label("kjoenn"), value=kjoenn))
            sex = None

    citizenship = None
    if statsborgerskap is not None and not (isinstance(statsborgerskap, str) and not statsborgerskap.strip()):
        s = statsborgerskap.strip().upper() if isinstance(statsborgerskap, str) else ""
        if not re.fullmatch(r"[A-Z]{3}", s):
            hint = msg("criteria.nor_hint") if s in ("NO", "NB", "NN") else ""
            problems.append(msg("criteria.country_format", field=_label("statsborgerskap"), value=statsborgerskap,
                                hint=hint))
        elif s not in _ISO3:
            problems.append(msg("criteria.country_unknown", field=_label("statsborgerskap"), value=s))
        else:
            citizenship = s

    civil = None
    if sivilstandstype is not None and not (isinstance(sivilstandstype, str) and not sivilstandstype.strip()):
        by_lower = {v.lower(): v for v in SIVILSTANDSTYPER}
        civil = by_lower.get(sivilstandstype.strip().lower()) if isinstance(sivilstandstype, str) else None
        if civil is None:
            problems.append(msg("criteria.sivilstand", field=_label("sivilstandstype"), value=sivilstandstype,
                                choices=", ".join(SIVILSTANDSTYPER)))

    if (d_lo is not None or d_hi is not None) and statuses and "doed" not in statuses:
        problems.append(msg("criteria.death_not_dead", status=_label("personstatustyper")))

    if problems:
        raise InputError("\n".join([msg("criteria.head", n=len(problems)), *(f"  - {p}" for p in problems)]))

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


