"""What the sandbox knows that the course exercises (notebook 06) are checked against.

Served on the loopback admin endpoint ``/_sandbox/kurs/{question}`` so the checks work against the
in-process sandbox and the shared one alike, and are right for any seed and population size:

* ``utvalg`` — the exercises' givens, drawn from the seed: a person, a person who has moved at least
  twice, the municipality with the most children born in the year five years back, a day in the feed;
* ``person?ident=`` — that person's current bostedskommune and how many bostedsadresse versions their
  document has with history;
* ``antall`` (POST, a tailored order's criteria) — how many persons the extract holds;
* ``dag?dag=`` — the first sekvensnummer registered on or after midnight (Oslo) starting that day;
* ``feed?antall=`` — the hendelsetype values of the first page as roles with and without hjemmel see it;
* ``scenario`` — the training scenario in force (None: knobs set by hand).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .extracts import lenient
from .faults import SCENARIOS, scenario_faults
from .population import BOSATT, Population

__all__ = ["answer"]

OSLO = ZoneInfo("Europe/Oslo")


def _current_kommune(doc: dict) -> str | None:
    """The municipality of the current bostedsadresse version in a document (None: none given)."""
    versions = doc.get("bostedsadresse") or []
    for v in [v for v in versions if v.get("erGjeldende", True)] or versions[:1]:
        adr = v.get("vegadresse") or (v.get("matrikkeladresse") or {}).get("matrikkelnummer") or {}
        if adr.get("kommunenummer"):
            return str(adr["kommunenummer"])
    return None


def _eligible(pop: Population) -> np.ndarray:
    """Living residents with an ordinary, unprotected address: the persons an exercise may name."""
    return (pop.status == BOSATT) & ~pop.dnr & (pop.prot == 0) & ~pop.ukjent & (pop.age >= 18)


def _pick(pop: Population, mask: np.ndarray, salt: int) -> str | None:
    order = np.random.default_rng([pop.seed, 0xC0DE, salt]).permutation(len(pop))
    hits = order[mask[order]]
    for i in hits[:50].tolist():  # the first whose served document names a municipality
        if _current_kommune(pop.document(int(i), parts=["bostedsadresse"])):
            return pop.identifier(int(i))
    return None


def _birth_years(pop: Population) -> np.ndarray:
    return pop.birth.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970


def selection(pop: Population, span_days: int) -> dict:
    year = pop.reference_date.year - 5
    kids = (pop.status == BOSATT) & (_birth_years(pop) == year)
    counts = Counter(pop.kommune_numbers[pop.kommune[kids]].tolist())
    kommune = max(sorted(counts), key=lambda k: counts[k]) if counts else str(pop.kommune_numbers[0])
    first = datetime.fromtimestamp(pop.ref_ts - span_days * 86400, OSLO).date()  # the feed's first day
    day = max(first + timedelta(days=1), pop.reference_date - timedelta(days=30))
    return {"person": _pick(pop, _eligible(pop), 1),
            "flytter": _pick(pop, _eligible(pop) & (pop.n_prev >= 2), 2),
            "kommune": kommune, "aar": year, "dag": day.isoformat(), "seed": pop.seed, "persons": len(pop)}


def person(pop: Population, ident: str) -> dict | None:
    i = pop.index_of(ident)
    if i is None:
        return None
    doc = pop.document(int(i), parts=["bostedsadresse"], historikk=True)
    return {"kommunenummer": _current_kommune(doc), "bostedsadresser": len(doc.get("bostedsadresse") or [])}


def first_sequence_of(feed, day: date) -> int:
    """The first sekvensnummer registered at or after midnight (Oslo) starting ``day``."""
    ts = int(datetime(day.year, day.month, day.day, tzinfo=OSLO).timestamp())
    return min(feed.seq_at(ts - 1) + 1, feed.latest() + 1)


def feed_types(feed, n: int) -> dict:
    """hendelsetype counts of the first ``n`` events as a role with and without hjemmel reads them."""
    out = {}
    for key, med in (("med_hjemmel", True), ("uten_hjemmel", False)):
        page = feed.page(1, med_hjemmel=med, size=n)
        out[key] = dict(Counter(e["hendelse"]["hendelsetype"] for e in page if "hendelsetype" in e["hendelse"]))
    return out


def active_scenario(faults) -> str | None:
    now = faults.to_dict()
    return next((name for name in SCENARIOS if scenario_faults(name).to_dict() == now), None)


def answer(state, question: str, params: dict, body=None) -> tuple[dict | None, str | None]:
    """(answer, None) or (None, what was wrong with the question)."""
    if question == "scenario":
        return {"scenario": active_scenario(state.faults)}, None
    pop = state.population
    if question == "utvalg":
        return selection(pop, state.config.span_days), None
    if question == "person":
        found = person(pop, str(params.get("ident", "")))
        return (found, None) if found else (None, "ukjent person")
    if question == "antall":
        try:
            return {"antall": int(len(pop.select(lenient(body))))}, None
        except (TypeError, ValueError, AttributeError) as e:
            return None, str(e)
    if question == "dag":
        try:
            day = date.fromisoformat(str(params.get("dag")))
        except ValueError:
            return None, "dag må være ÅÅÅÅ-MM-DD"
        return {"sekvensnummer": first_sequence_of(state.feed, day)}, None
    if question == "feed":
        n = int(params.get("antall") or state.config.feed_page_size)
        return feed_types(state.feed, max(1, min(n, state.config.feed_page_size))), None
    return None, f"ukjent spørsmål {question!r}"
