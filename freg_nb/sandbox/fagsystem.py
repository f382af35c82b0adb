"""Training data for avstemming: a "fagsystem list" of persons as they were on an earlier date.

``fagsystem_list(pop, n)`` picks ``n`` persons who lived in one municipality on ``as_of`` (by
default two years before the population's reference date) and writes them as a case system
would have them: identifier, name and address *then*, with the drift and typos real lists have —
names in other case, given names in another order or hyphenated, small typos, æøå spelled out,
«gt.»/«vn.» for gata/veien, «5 b» for 5B, postnumre and identifiers that lost their leading zero
in Excel, duplicate rows, empty rows, invalid and unknown numbers. ``truth`` says, per row, which
avstemming categories apply (``freg_nb.reconcile.CATEGORIES``), computed from the population's
documents then and now — for courses and for the tests.

Persons are read through ``Population``'s own methods (``document(..., at_ts=...)``,
``identifier``, ``index_of``); ceased D-numbers come from ``formerids``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .. import ids
from ..codes import (BESKYTTET, CATEGORIES, DOED, FLYTTET_INNEN, FLYTTET_UT, IKKE_FUNNET, NYTT_ID,
                                 NYTT_NAVN, UENDRET, UGYLDIG, UTVANDRET)
from . import formerids
from .population import EPOCH, Population

__all__ = ["FagsystemList", "example_list", "fagsystem_list"]

_PARTS = ["identifikasjonsnummer", "navn", "status", "doedsfall", "adressebeskyttelse", "bostedsadresse",
          "oppholdsadresse"]
COLUMNS = ["Fødselsnummer", "Fornavn", "Etternavn", "Adresse", "Postnr", "Poststed"]


@dataclass
class FagsystemList:
    """``data``: the list as a fagsystem exports it (all text, columns ``COLUMNS``); ``truth``:
    per row (``rad`` 1-based, as ``data``'s order) ``kategorier`` and one bool column per category."""

    data: pd.DataFrame
    truth: pd.DataFrame
    kommune: str
    as_of: date

    def to_csv_bytes(self, encoding: str = "utf-8-sig", sep: str = ";") -> bytes:
        """The list as a CSV file in the given encoding (``cp1252``, ``utf-16``, ``utf-8-sig`` …)."""
        return self.data.to_csv(index=False, sep=sep).encode(encoding, errors="replace")

    def to_excel_bytes(self) -> bytes:
        """The list as .xlsx with the identifiers and postnumre stored as numbers, the way Excel keeps
        them after opening a CSV (their leading zeros gone)."""
        df = self.data.copy()
        for c in ("Fødselsnummer", "Postnr"):
            num = pd.to_numeric(df[c], errors="coerce")
            df[c] = num.astype(object).where(num.notna(), df[c])
        buf = io.BytesIO()
        df.to_excel(buf, index=False)
        return buf.getvalue()


def _current(versions) -> dict:
    if isinstance(versions, dict):
        return versions
    for v in versions or []:
        if v.get("erGjeldende"):
            return v
    return {}


def _state(doc: dict) -> dict:
    """The values a fagsystem holds (and the truth compares), from a rendered document."""
    navn = _current(doc.get("navn"))
    adr = _current(doc.get("bostedsadresse")) or _current(doc.get("oppholdsadresse"))
    veg = adr.get("vegadresse") or {}
    mat = adr.get("matrikkeladresse") or {}
    place = veg.get("poststed") or mat.get("poststed") or {}
    place = place if isinstance(place, dict) else {"poststedsnavn": place}   # an untidy document: a bare string
    nr = veg.get("adressenummer") or {}
    kom = veg.get("kommunenummer") or (mat.get("matrikkelnummer") or {}).get("kommunenummer") \
        or (adr.get("ukjentBosted") or {}).get("bostedskommune") or ""
    return {"id": _current(doc.get("identifikasjonsnummer")).get("foedselsEllerDNummer", ""),
            "fornavn": navn.get("fornavn", ""), "mellomnavn": navn.get("mellomnavn", ""),
            "etternavn": navn.get("etternavn", ""), "status": _current(doc.get("status")).get("status", ""),
            "doed": bool(doc.get("doedsfall")), "beskyttet": bool(doc.get("adressebeskyttelse")),
            "kommune": kom, "gate": veg.get("adressenavn", ""), "husnr": nr.get("husnummer", ""),
            "bokstav": nr.get("husbokstav", ""), "postnr": place.get("postnummer", ""),
            "poststed": place.get("poststedsnavn", "")}


def _truth(then: dict, now: dict, kommune: str) -> set[str]:
    cats = set()
    if now["doed"]:
        cats.add(DOED)
    if now["status"] == "utflyttet":
        cats.add(UTVANDRET)
    if now["beskyttet"]:
        cats.add(BESKYTTET)
    if now["id"] != then["id"]:
        cats.add(NYTT_ID)
    name = ("fornavn", "mellomnavn", "etternavn")
    if tuple(then[k] for k in name) != tuple(now[k] for k in name):
        cats.add(NYTT_NAVN)
    key = ("kommune", "gate", "husnr", "bokstav", "postnr")
    listed = then["gate"] or then["postnr"]
    if listed and now["kommune"] and not cats & {BESKYTTET, UTVANDRET} \
            and tuple(then[k] for k in key) != tuple(now[k] for k in key):
        cats.add(FLYTTET_INNEN if now["kommune"] == kommune else FLYTTET_UT)
    return cats or {UENDRET}


def fagsystem_list(pop: Population, n: int, *, kommune: str | None = None, years_back: float = 2.0, seed: int = 1,
                   typos: float = 0.08, duplicates: float = 0.01, empty: float = 0.003, invalid: float = 0.005,
                   unknown: float = 0.005, lost_zero: float = 0.5) -> FagsystemList:
    """``n`` persons of ``kommune`` (default: the largest) as a fagsystem had them ``years_back``
    years before the reference date, with drift (see the module docstring). ``n`` counts the
    persons; duplicate, empty, invalid and unknown rows come on top. Every person whose D-number
    was replaced after that date is included (so the list shows that case), the rest at random."""
    rng = np.random.default_rng([seed, 0xFA65])
    as_day = pop.ref_day - int(years_back * 365.25)
    as_ts = as_day * 86400
    kidx = int(np.bincount(pop.kommune).argmax()) if kommune is None else \
        int(np.flatnonzero(pop.kommune_numbers == kommune)[0])
    kommune = str(pop.kommune_numbers[kidx])
    alive = (pop.first < as_day) & ((pop.death < 0) | (pop.death > as_day)) & ((pop.emig < 0) | (pop.emig > as_day)) \
        & ~(pop.dnr & (pop.inaktiv_day >= 0) & (pop.inaktiv_day <= as_day))
    maybe_here = alive & ((pop.kommune == kidx) | (pop.addr_from > as_day))
    changed = formerids.change_days(pop) > as_day
    pool = np.concatenate([rng.permutation(np.flatnonzero(maybe_here & changed)),
                           rng.permutation(np.flatnonzero(maybe_here & ~changed))])
    picked, thens, nows = [], [], []
    for i in pool.tolist():
        then = _state(pop.document(i, parts=_PARTS, at_ts=as_ts))
        if then["kommune"] != kommune or not then["id"]:
            continue
        picked.append(i)
        thens.append(then)
        nows.append(_state(pop.document(i, parts=_PARTS)))
        if len(picked) == n:
            break
    if len(picked) < n:
        raise ValueError(f"only {len(picked)} persons lived in {kommune} then: use a larger population or a smaller n")
    rows = pd.DataFrame(thens)
    truth = [_truth(t, w, kommune) for t, w in zip(thens, nows)]
    data = _drift(rows, rng, typos=typos, lost_zero=lost_zero)
    data, truth = _untidy_rows(pop, data, truth, rng, duplicates=duplicates, empty=empty, invalid=invalid,
                               unknown=unknown)
    flags = pd.DataFrame({c: [c in t for t in truth] for c in CATEGORIES})
    truth_df = pd.concat([pd.DataFrame({"rad": np.arange(1, len(data) + 1),
                                        "kategorier": [", ".join(c for c in CATEGORIES if c in t) for t in truth]}),
                          flags], axis=1)
    return FagsystemList(data=data.reset_index(drop=True), truth=truth_df, kommune=kommune,
                         as_of=EPOCH + timedelta(days=as_day))


_ABBREV = [("gata", "gt."), ("gate", "gt."), ("veien", "vn."), ("vegen", "vn.")]
_SPELL_OUT = str.maketrans({"Æ": "AE", "Ø": "O", "Å": "AA", "æ": "ae", "ø": "o", "å": "aa"})


def _typo(word: str, r: float) -> str:
    """One small typo in the first half of the longest part of ``word`` (so endings such as
    «-veien» stay readable): a letter dropped, or two letters swapped in long words."""
    parts = word.replace("-", " ").split(" ")
    longest = max(parts, key=len)
    if len(longest) < 6:
        return word
    k = 1 + int(r * (len(longest) // 2 - 1))
    changed = longest[:k] + longest[k + 1:] if r < 0.6 or len(longest) < 8 else \
        longest[:k] + longest[k + 1] + longest[k] + longest[k + 2:]
    return word.replace(longest, changed, 1)


def _drift(rows: pd.DataFrame, rng, *, typos: float, lost_zero: float) -> pd.DataFrame:
    """The list as the fagsystem shows it: title case, and drift per row (data generation, not
    the timed comparison, so a plain loop is fine here)."""
    out = []
    u = rng.random((len(rows), 10))
    for k, r in enumerate(rows.itertuples(index=False)):
        x = u[k]
        given = [w for w in (r.fornavn.title(), r.mellomnavn.title()) if w]
        if len(given) == 2 and x[0] < typos:
            given = given[::-1]                               # given names in another order
        elif len(given) == 2 and x[0] < 2 * typos:
            given = ["-".join(given)]                        # hyphenated
        fornavn, etternavn = " ".join(given), r.etternavn.title()
        if x[1] < typos:
            etternavn = _typo(etternavn, x[9])
        if x[2] < typos:
            fornavn = _typo(fornavn, x[9])
        if x[3] < typos:
            fornavn, etternavn = fornavn.upper(), etternavn.upper()
        gate = r.gate
        if x[4] < 2 * typos:
            for long, short in _ABBREV:
                if gate.endswith(long):
                    gate = gate[: -len(long)] + short
                    break
        elif x[4] < 3 * typos and len(gate) >= 8:
            gate = _typo(gate, x[9])
        if x[5] < typos:
            fornavn, etternavn, gate = (s.translate(_SPELL_OUT) for s in (fornavn, etternavn, gate))
        nr = f"{r.husnr} {r.bokstav.lower()}" if r.bokstav and x[6] < 2 * typos else f"{r.husnr}{r.bokstav}"
        adresse = f"{gate} {nr}".strip() if gate else ""
        postnr = r.postnr.lstrip("0") if r.postnr.startswith("0") and x[7] < lost_zero else r.postnr
        ident = r.id.lstrip("0") if r.id.startswith("0") and x[8] < lost_zero * 0.5 else r.id
        out.append((ident, fornavn, etternavn, adresse, postnr, r.poststed.title()))
    return pd.DataFrame(out, columns=COLUMNS)


def _untidy_rows(pop, data: pd.DataFrame, truth: list, rng, *, duplicates, empty, invalid, unknown):
    """Add duplicate, empty, invalid-number and unknown-number rows at random places."""
    n = len(data)
    extra_rows, extra_truth = [], []
    for k in rng.choice(n, int(round(n * duplicates)), replace=False).tolist():
        extra_rows.append(data.iloc[k].tolist())
        extra_truth.append(set(truth[k]))
    for k in rng.choice(n, int(round(n * invalid)), replace=False).tolist():
        row = data.iloc[k].tolist()
        s = row[0]
        row[0] = s[:-1] + str((int(s[-1]) + 1 + int(rng.integers(8))) % 10) if s[-1:].isdigit() else s + "9"
        if ids.is_valid(row[0].zfill(11)):
            row[0] = row[0][:-2]                              # one digit short
        extra_rows.append(row)
        extra_truth.append({UGYLDIG})
    made = 0
    while made < int(round(n * unknown)):
        i = int(rng.integers(pop.size))
        s = pop.identifier(i)
        first9 = s[:6] + f"{(int(s[6:9]) + 1 + int(rng.integers(400))) % 1000:03d}"
        k = ids.check_digits(first9)
        if k and pop.index_of(first9 + k) is None:
            extra_rows.append([first9 + k, "Ukjent", "Person", "", "", ""])
            extra_truth.append({IKKE_FUNNET})
            made += 1
    for _ in range(int(round(n * empty))):
        extra_rows.append([""] * len(COLUMNS))
        extra_truth.append({UGYLDIG})
    rows = data.values.tolist() + extra_rows
    truths = truth + extra_truth
    order = rng.permutation(len(rows))
    return (pd.DataFrame([rows[k] for k in order], columns=COLUMNS), [truths[k] for k in order])


def example_list(client, n: int = 500, **options) -> FagsystemList:
    """A fagsystem list from the population of the sandbox ``client`` talks to (for the notebook and
    courses): the same seed and size as the running sandbox. Only against the sandbox."""
    from ..errors import InputError
    from ..net import sandbox_admin
    from .settings import SandboxConfig

    settings = client.settings
    if getattr(settings, "env", None) != "sandbox":
        raise InputError("Eksempellister finnes bare i sandkassen. Mot Fiks test/produksjon: bruk din egen liste.")
    info = sandbox_admin(str(settings.fiks_base_url), "info").json()
    cfg = SandboxConfig()
    pop = Population(seed=cfg.seed, size=int(info["persons"]), reference_date=cfg.reference_date, untidy=cfg.untidy)
    return fagsystem_list(pop, n, **options)
