"""Search criteria checked and put in Freg's form before any request is sent (pure functions, no I/O).

* ``birth_date(value)`` — a birth date given as ``date``, ``"1954-11-25"``, ``"25.11.1954"`` or ``"19541125"``
  → ``"19541125"``: ``soek`` and ``entydigsoek`` take ``foedselsdato`` as ``YYYYMMDD`` (spec; Skatteetaten's
  example ``entydigsoek?foedselsdato=19551228&…``). Dates in documents stay ISO.
* ``search_criteria(criteria, today=None)`` — the criteria of ``soek`` validated and normalised: known names
  (with a close-match suggestion), at least one criterion, year ranges ordered and not in the future,
  ``maksTreff`` 1–10 000, ``adressenavn`` at least 3 characters, ``husnummer`` a number with an optional letter.
* ``unique_criteria(criteria)`` — the same for ``entydigsoek`` plus its rule (API-NOTES §6): one identifying
  parameter plus one non-identifying one (``foedselsdato`` does not count beside ``identifikasjonsnummer``),
  or all the non-identifying ones together. A combination that cannot qualify is refused here, naming what
  to add.

Every refusal is an ``InputError`` in bokmål that says what is wrong and what to do. Booleans become
``"true"``/``"false"``, numbers text, ``None`` means "not given".
"""
from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Any, Mapping

from freg_nb.errors import InputError

__all__ = ["birth_date", "search_criteria", "unique_criteria", "SEARCH_NAMES", "UNIQUE_NAMES",
           "IDENTIFYING", "NON_IDENTIFYING", "MAX_HITS"]

MAX_HITS = 10_000
IDENTIFYING = ("identifikasjonsnummer", "utenlandskpersonidentifikasjon", "legitimasjonsdokument",
               "utlendingsmyndighetenesidentifikasjonsnummer")
NON_IDENTIFYING = ("foedselsdato", "navn", "adressenavn", "husnummer")
_FLAGS = ("inkluderOppholdsadresse", "soekFonetisk", "inkluderDoede")
SEARCH_NAMES = ("navn", "kjoenn", "foedselsdato", "foedselsaarFraOgMed", "foedselsaarTilOgMed", "adressenavn",
                "husnummer", "postnummer", "kommunenummer", "fylkesnummer", *_FLAGS, "opplysningsgrunnlag",
                "maksTreff")
UNIQUE_NAMES = (*IDENTIFYING, *NON_IDENTIFYING, "postnummer", "soekFonetisk", "opplysningsgrunnlag")
_NOT_CRITERIA = frozenset({*_FLAGS, "opplysningsgrunnlag", "maksTreff"})  # settings, not criteria
_DIGITS = {"postnummer": 4, "kommunenummer": 4, "fylkesnummer": 2}
_DATE_FORMATS = (("%Y-%m-%d", r"\d{4}-\d{2}-\d{2}"), ("%d.%m.%Y", r"\d{1,2}\.\d{1,2}\.\d{4}"), ("%Y%m%d", r"\d{8}"))


def birth_date(value: Any) -> str:
    """``value`` as Freg's search date ``YYYYMMDD``; InputError for anything that is not a real date."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    text = str(value).strip() if isinstance(value, str) else None
    for fmt, pattern in _DATE_FORMATS:
        if text is not None and re.fullmatch(pattern, text):
            try:
                return datetime.strptime(text, fmt).date().strftime("%Y%m%d")
            except ValueError:
                raise InputError(f"Fødselsdatoen {text!r} finnes ikke i kalenderen (sjekk dag og måned). "
                                 "Oppgi en gyldig dato, f.eks. 1954-11-25.") from None
    raise InputError(f"Fødselsdatoen {value!r} har et ukjent format. Oppgi den som 1954-11-25, 25.11.1954, "
                     "19541125 eller som en date.")


def _unknown(names: set[str], known: tuple[str, ...], what: str) -> None:
    if not names:
        return
    hints = []
    for name in sorted(names):
        close = difflib.get_close_matches(name, known, n=1) or difflib.get_close_matches(
            name.lower(), [k.lower() for k in known], n=1)
        match = next((k for k in known if close and k.lower() == close[0].lower()), None)
        hints.append(f"{name!r} (mente du {match!r}?)" if match else repr(name))
    raise InputError(f"Ukjent søkekriterium for {what}: {', '.join(hints)}. "
                     f"Gyldige kriterier er {', '.join(known)}.")


def _flag(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    raise InputError(f"{name} må være True eller False, ikke {value!r}.")


def _year(name: str, value: Any, this_year: int) -> int:
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{4}", text):
        raise InputError(f"{name} må være et årstall med fire sifre, f.eks. 1990 (fikk {value!r}).")
    year = int(text)
    if year > this_year:
        raise InputError(f"{name} ({year}) ligger i framtiden. Oppgi et år til og med {this_year}.")
    return year


def _normalise(criteria: Mapping[str, Any], known: tuple[str, ...], what: str, today: date | None) -> dict[str, str]:
    given = {k: v for k, v in criteria.items() if v is not None and not (isinstance(v, str) and not v.strip())}
    _unknown(set(given) - set(known), known, what)
    if not set(given) - _NOT_CRITERIA:
        raise InputError(f"Oppgi minst ett søkekriterium for {what}, f.eks. navn, foedselsdato eller "
                         "adressenavn.")
    this_year = (today or date.today()).year
    out: dict[str, str] = {}
    for name, value in given.items():
        if name in _FLAGS:
            out[name] = _flag(name, value)
        elif name == "foedselsdato":
            out[name] = birth_date(value)
        elif name in ("foedselsaarFraOgMed", "foedselsaarTilOgMed"):
            out[name] = str(_year(name, value, this_year))
        elif name == "maksTreff":
            if isinstance(value, bool) or not re.fullmatch(r"\d+", str(value).strip()) \
                    or not 1 <= int(str(value).strip()) <= MAX_HITS:
                raise InputError(f"maksTreff må være et heltall fra 1 til {MAX_HITS:,}".replace(",", " ")
                                 + f" (fikk {value!r}). Freg gir aldri flere treff enn det; avgrens søket.")
            out[name] = str(int(str(value).strip()))
        elif name == "kjoenn":
            if str(value).strip().lower() not in ("kvinne", "mann"):
                raise InputError(f"kjoenn må være «kvinne» eller «mann», ikke {value!r}.")
            out[name] = str(value).strip().lower()
        elif name == "opplysningsgrunnlag":
            if str(value).strip() not in ("gjeldende", "historisk"):
                raise InputError(f"opplysningsgrunnlag må være «gjeldende» eller «historisk», ikke {value!r}.")
            out[name] = str(value).strip()
        elif name in _DIGITS:
            text, n = str(value).strip(), _DIGITS[name]
            if not re.fullmatch(rf"\d{{{n}}}", text):
                raise InputError(f"{name} må ha nøyaktig {n} sifre, f.eks. {'0301' if n == 4 else '03'} "
                                 f"(fikk {value!r}). Husk ledende null.")
            out[name] = text
        elif name == "adressenavn":
            text = str(value).strip()
            if len(text) < 3:
                raise InputError(f"adressenavn må ha minst 3 tegn fra begynnelsen av gatenavnet (fikk {text!r}). "
                                 "Skriv mer av gatenavnet.")
            out[name] = text
        elif name == "husnummer":
            text = str(value).strip()
            if not re.fullmatch(r"\d{1,5}\s?[A-Za-zÆØÅæøå]?", text):
                raise InputError(f"husnummer må være et tall, eventuelt med én bokstav, f.eks. 14 eller 14B "
                                 f"(fikk {value!r}).")
            out[name] = text.replace(" ", "").upper()
        elif name == "navn":
            text = " ".join(str(value).split())
            if not text:
                raise InputError("navn er tomt. Oppgi ett eller flere hele ord fra personnavnet.")
            out[name] = text
        else:
            out[name] = str(value).strip()
    lo, hi = out.get("foedselsaarFraOgMed"), out.get("foedselsaarTilOgMed")
    if lo and hi and int(lo) > int(hi):
        raise InputError(f"foedselsaarFraOgMed ({lo}) er etter foedselsaarTilOgMed ({hi}). Bytt om de to årene.")
    return out


def search_criteria(criteria: Mapping[str, Any], *, today: date | None = None) -> dict[str, str]:
    """The criteria of ``soek`` as query parameters (see the module docstring); InputError when bad."""
    return _normalise(criteria, SEARCH_NAMES, "søk", today)


def unique_criteria(criteria: Mapping[str, Any], *, today: date | None = None) -> dict[str, str]:
    """The criteria of ``entydigsoek`` as query parameters, refused locally when the combination cannot
    identify one person (API-NOTES §6), with what to add."""
    out = _normalise(criteria, UNIQUE_NAMES, "entydig søk", today)
    ids = [k for k in IDENTIFYING if k in out]
    others = [k for k in NON_IDENTIFYING if k in out and not (k == "foedselsdato" and "identifikasjonsnummer" in out)]
    if (ids and others) or all(k in out for k in NON_IDENTIFYING):
        return out
    if ids:
        extra = " (foedselsdato teller ikke sammen med identifikasjonsnummer)" if "foedselsdato" in out else ""
        todo = f"Legg til ett av {', '.join(k for k in NON_IDENTIFYING if k not in others)}{extra}."
    else:
        missing = [k for k in NON_IDENTIFYING if k not in out]
        todo = (f"Legg til en identifiserende opplysning ({', '.join(IDENTIFYING)}), eller alle disse: "
                f"{', '.join(missing)}.")
    raise InputError("Kriteriene er ikke nok til et entydig søk: Freg krever én identifiserende opplysning "
                     "pluss én ikke-identifiserende (foedselsdato, navn, adressenavn, husnummer), eller alle de "
                     f"ikke-identifiserende sammen. {todo}")
