"""The sandbox's hendelser feed: events consistent with the population's changes, topped up.

``EventFeed(pop, events=N, span_days=730)`` covers the ``span_days`` before the population's
reference moment. Its events are

* the population's own changes in the span — births/new persons (personErOpprettet, and
  endringIFamilierelasjon for each parent), moves (endringIBostedsadresse, at the moment the
  person's current bostedsadresse was registered), marriages/divorces/widowhood
  (endringISivilstand), name changes (endringINavn), deaths (personErDoed), emigration
  (personErUtflyttet), address protection (endringIAdressebeskyttelse), D-numbers becoming
  inactive (endringIStatus), naturalisation (endringIStatsborgerskap);
* topped up with other official hendelsetype values for random living persons until the feed
  holds N events (if the population has more own changes than N, a random subset is kept).

Arrays (person int32, time offset uint32, type uint8, visible-uten-hjemmel bool: 10 bytes per
event) are built on first use, sorted by time: ``sekvensnummer`` = position + 1. Event and
document ids are reversible (no tables).
"""

from __future__ import annotations

import threading

import numpy as np

from .mixing import IdCodec, hash1
from .persondoc import element_version_at, fmt_ts
from .population import Population

# Official hendelsetype values (Hendelsedokument v1.4 + spec enum + personErOppdatert).
TYPES = (
    "personErOpprettet", "personErReaktivert", "personErOppdatert", "personErOpphoert",
    "personErViderefoertSomGjeldendeVedSammenslaaing", "personErOpphoertSomDublett",
    "personErEndretVedSplitting", "personErGjenopprettetVedSplitting", "personErDoed", "personErBosatt",
    "personErUtflyttet", "endringIStatus", "endringIIdentitetsgrunnlag", "endringIUtenlandskPersonidentifikasjon",
    "endringIUtlendingsmyndighetenesIdentifikasjonsnummer", "endringILegitimasjonsdokument",
    "endringIIdentifikasjonsnummer", "endringIFalskIdentitet", "endringIKontaktopplysningerForDoedsbo",
    "endringIDeltBosted", "endringIFoedsel", "endringIFoedselINorge", "endringIKjoenn", "endringIFamilierelasjon",
    "endringISivilstand", "endringIDoedsfall", "endringINavn", "endringIAdressebeskyttelse",
    "endringIBostedsadresse", "endringIBostedsadresseUtenFlytting", "endringIOppholdsadresse",
    "endringIInnflytting", "endringIUtflytting", "endringIBrukAvSamiskSpraak", "endringISametingetsValgmanntall",
    "endringIKontaktinformasjon", "endringIForeldreansvar", "endringIStatsborgerskap", "endringIOpphold",
    "endringIOppholdPaaSvalbard", "endringIVergemaal",
)
T = {name: k for k, name in enumerate(TYPES)}

# Types about confidential information: not distributed "offentlig uten hjemmel".
CONFIDENTIAL_TYPES = frozenset({
    "personErOppdatert", "endringIFamilierelasjon", "endringIForeldreansvar", "endringIFalskIdentitet",
    "endringIAdressebeskyttelse", "endringIUtenlandskPersonidentifikasjon",
    "endringIUtlendingsmyndighetenesIdentifikasjonsnummer", "endringIBrukAvSamiskSpraak",
    "endringISametingetsValgmanntall", "endringIOpphold", "endringILegitimasjonsdokument",
})

# population change kind -> hendelsetype
KIND_TYPES = {
    "created": "personErOpprettet", "moved": "endringIBostedsadresse", "union": "endringISivilstand",
    "divorce": "endringISivilstand", "widowed": "endringISivilstand", "death": "personErDoed",
    "emigrated": "personErUtflyttet", "name": "endringINavn", "protection": "endringIAdressebeskyttelse",
    "inaktiv": "endringIStatus", "naturalised": "endringIStatsborgerskap",
}

# Filler types (changes the population does not model) and their relative frequency.
FILLER = {
    "personErOppdatert": 25, "endringIBostedsadresseUtenFlytting": 14, "endringIKontaktinformasjon": 8,
    "endringIIdentitetsgrunnlag": 8, "endringIOppholdsadresse": 6, "endringILegitimasjonsdokument": 5,
    "endringIStatsborgerskap": 3, "endringIForeldreansvar": 4, "endringIFamilierelasjon": 3,
    "endringIDeltBosted": 2, "endringIOpphold": 3, "endringIUtenlandskPersonidentifikasjon": 3,
    "endringIUtlendingsmyndighetenesIdentifikasjonsnummer": 2, "endringIVergemaal": 1, "endringIFoedsel": 1,
    "endringIFoedselINorge": 1, "endringIInnflytting": 1, "endringIUtflytting": 0.5,
    "endringIKontaktopplysningerForDoedsbo": 0.5, "endringIBrukAvSamiskSpraak": 0.3, "endringIStatus": 0.5,
    "endringIKjoenn": 0.1, "endringIIdentifikasjonsnummer": 0.2, "endringIFalskIdentitet": 0.05,
    "endringIDoedsfall": 0.2, "personErReaktivert": 0.1, "personErOpphoert": 0.1, "personErBosatt": 0.3,
    "personErViderefoertSomGjeldendeVedSammenslaaing": 0.05, "personErOpphoertSomDublett": 0.05,
    "personErEndretVedSplitting": 0.02, "personErGjenopprettetVedSplitting": 0.02,
    "endringISametingetsValgmanntall": 0.1, "endringIOppholdPaaSvalbard": 0.1,
}

# hendelsetype -> the entities (elements) its egenskapshendelse carries
ENTITIES = {
    "personErOpprettet": ("identifikasjonsnummer", "navn", "kjoenn", "foedsel", "status", "bostedsadresse"),
    "personErDoed": ("doedsfall", "status"), "personErUtflyttet": ("utflytting", "status"),
    "personErBosatt": ("status",), "personErReaktivert": ("status",), "personErOpphoert": ("status",),
    "personErOppdatert": ("navn",), "endringIStatus": ("status",),
    "endringIIdentitetsgrunnlag": ("identitetsgrunnlag",),
    "endringIUtenlandskPersonidentifikasjon": ("utenlandskPersonidentifikasjon",),
    "endringIUtlendingsmyndighetenesIdentifikasjonsnummer": ("utlendingsmyndighetenesIdentifikasjonsnummer",),
    "endringILegitimasjonsdokument": ("legitimasjonsdokument",),
    "endringIIdentifikasjonsnummer": ("identifikasjonsnummer",), "endringIFalskIdentitet": ("falskIdentitet",),
    "endringIKontaktopplysningerForDoedsbo": ("kontaktinformasjonForDoedsbo",), "endringIDeltBosted": ("deltBosted",),
    "endringIFoedsel": ("foedsel",), "endringIFoedselINorge": ("foedselINorge",), "endringIKjoenn": ("kjoenn",),
    "endringIFamilierelasjon": ("familierelasjon",), "endringISivilstand": ("sivilstand",),
    "endringIDoedsfall": ("doedsfall",), "endringINavn": ("navn",), "endringIAdressebeskyttelse": ("adressebeskyttelse",),
    "endringIBostedsadresse": ("bostedsadresse",), "endringIBostedsadresseUtenFlytting": ("bostedsadresse",),
    "endringIOppholdsadresse": ("oppholdsadresse",), "endringIInnflytting": ("innflytting",),
    "endringIUtflytting": ("utflytting",), "endringIBrukAvSamiskSpraak": ("brukAvSamiskSpraak",),
    "endringISametingetsValgmanntall": ("forholdTilSametingetsValgmanntall",),
    "endringIKontaktinformasjon": ("postadresse",), "endringIForeldreansvar": ("foreldreansvar",),
    "endringIStatsborgerskap": ("statsborgerskap",), "endringIOpphold": ("opphold",),
    "endringIOppholdPaaSvalbard": ("oppholdPaaSvalbard",), "endringIVergemaal": ("vergemaalEllerFremtidsfullmakt",),
}
_ENTITET_NAME = {"postadresse": "kontaktadresse", "postadresseIUtlandet": "kontaktadresseIUtlandet"}


class EventFeed:
    """Lazily built, deterministic event feed over a :class:`Population` (see module docstring)."""

    def __init__(self, pop: Population, events: int = 100_000, span_days: int = 730):
        if events < 0 or span_days < 1:
            raise ValueError("events must be >= 0 and span_days >= 1")
        self.pop = pop
        self.requested = int(events)
        self.span_days = int(span_days)
        self.end_ts = pop.ref_ts
        self.start_ts = pop.ref_ts - self.span_days * 86400
        self._codec = IdCodec(pop.seed, 2)
        self._lock = threading.Lock()
        self._built = False

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        if self._built:
            return
        with self._lock:
            if self._built:
                return
            self._do_build()
            self._built = True

    def _do_build(self) -> None:
        pop = self.pop
        rng = np.random.default_rng(np.random.SeedSequence([pop.seed, 0xFEED, self.requested, self.span_days]))
        idx = np.arange(pop.size, dtype=np.int64)
        persons, times, types = [], [], []
        for kind, tname in KIND_TYPES.items():
            d = pop.change_days(kind)
            sel = np.flatnonzero(d >= 0)
            ts = pop._reg_ts_many(idx[sel], d[sel], pop.CHANGE_KINDS[kind])
            ok = (ts >= self.start_ts) & (ts < self.end_ts)
            persons.append(sel[ok].astype(np.int32))
            times.append(ts[ok])
            types.append(np.full(ok.sum(), T[tname], np.uint8))
        # a birth or a new person also changes the parents' familierelasjon
        for parent in (pop.mother, pop.father):
            kids = np.flatnonzero(parent >= 0)
            ts = pop._reg_ts_many(kids, pop.first[kids], pop.CHANGE_KINDS["created"])
            ok = (ts >= self.start_ts) & (ts < self.end_ts)
            persons.append(parent[kids[ok]].astype(np.int32))
            times.append(ts[ok])
            types.append(np.full(ok.sum(), T["endringIFamilierelasjon"], np.uint8))
        p = np.concatenate(persons)
        t = np.concatenate(times)
        ty = np.concatenate(types)
        del persons, times, types
        self.own_events = len(p)
        n = self.requested
        if len(p) > n:  # keep a random subset of the population's own changes
            keep = np.sort(rng.choice(len(p), size=n, replace=False))
            p, t, ty = p[keep], t[keep], ty[keep]
        k = len(p)
        person = np.empty(n, np.int32)
        toff = np.empty(n, np.uint32)
        etype = np.empty(n, np.uint8)
        person[:k], toff[:k], etype[:k] = p, t - self.start_ts, ty
        del p, t, ty
        self._fillers(rng, person, toff, etype, k)
        order = np.argsort(toff, kind="stable")  # radix sort on uint32
        self._person = person[order]
        del person
        self._toff = toff[order]
        del toff
        self._type = etype[order]
        del etype, order
        conf = np.array([name in CONFIDENTIAL_TYPES for name in TYPES])
        self._visible = ~conf[self._type]
        self._visible_seq = np.flatnonzero(self._visible).astype(np.int32)  # positions visible uten hjemmel

    def _fillers(self, rng, person, toff, etype, k: int, chunk: int = 1 << 20) -> None:
        """Fill positions k.. with filler events (random living persons, random moments), in chunks."""
        pop = self.pop
        names_ = list(FILLER)
        w = np.array([FILLER[x] for x in names_], dtype=float)
        cum = np.cumsum(w / w.sum())
        codes = np.array([T[x] for x in names_], np.uint8)
        lo_all = np.maximum(pop.first.astype(np.int64) * 86400 + 86400, self.start_ts)
        hi_all = np.minimum(np.where(pop.death >= 0, pop.death.astype(np.int64) * 86400, self.end_ts), self.end_ts)
        eligible = np.flatnonzero(hi_all - lo_all > 3600).astype(np.int32)
        if len(eligible) == 0:
            eligible = np.arange(pop.size, dtype=np.int32)
            lo_all = np.full(pop.size, self.start_ts, np.int64)
            hi_all = np.full(pop.size, self.end_ts, np.int64)
        for s in range(k, len(person), chunk):
            e = min(s + chunk, len(person))
            m = e - s
            etype[s:e] = codes[np.minimum(np.searchsorted(cum, rng.random(m)), len(codes) - 1)]
            fp = eligible[rng.integers(0, len(eligible), m)]
            person[s:e] = fp
            lo = lo_all[fp]
            toff[s:e] = lo + (rng.random(m) * (hi_all[fp] - lo)).astype(np.int64) - self.start_ts

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        self._build()
        return len(self._person)

    def latest(self, *, med_hjemmel: bool = True) -> int:
        """The newest sekvensnummer (0 when the feed is empty); uten hjemmel: the newest visible one."""
        self._build()
        if med_hjemmel:
            return len(self._person)
        return int(self._visible_seq[-1]) + 1 if len(self._visible_seq) else 0

    def time_of(self, seq: int) -> int:
        """Registration moment (UTC seconds) of event ``seq``."""
        self._build()
        return int(self._toff[seq - 1]) + self.start_ts

    def seq_at(self, ts: int) -> int:
        """The newest sekvensnummer registered at or before moment ``ts`` (0 if none)."""
        self._build()
        if ts < self.start_ts:
            return 0
        return int(np.searchsorted(self._toff, min(ts - self.start_ts, 2**32 - 1), side="right"))

    def person_of(self, seq: int) -> int:
        self._build()
        return int(self._person[seq - 1])

    def type_of(self, seq: int) -> str:
        self._build()
        return TYPES[int(self._type[seq - 1])]

    def document_ids_at(self, seq: int, indices=None) -> list[str]:
        """Persondokument ids valid at feed sequence ``seq`` (a complete extract "at feedsekvensnr"):
        for ``indices`` (default: everyone registered by then), each person's version in force."""
        ts = self.time_of(seq) if seq >= 1 else self.start_ts - 1
        who = self.pop.in_register_at(ts) if indices is None else indices
        return [self.pop.document_id_at(int(i), ts) for i in who]

    def event_id(self, seq: int) -> str:
        return self._codec.encode(int(seq), 0)

    def page(self, seq: int, *, med_hjemmel: bool = True, size: int = 1000) -> list[dict]:
        """Up to ``size`` entries with sekvensnummer >= seq (LagretHendelseMedDokumentIdentifikatorer)."""
        self._build()
        start = max(int(seq), 1) - 1
        if med_hjemmel:
            rows = np.arange(start, min(start + size, len(self._person)))
        else:
            k = int(np.searchsorted(self._visible_seq, start))
            rows = self._visible_seq[k:k + size]
        pop, out = self.pop, []
        persons = self._person[rows].tolist()
        toffs = self._toff[rows].tolist()
        types = self._type[rows].tolist()
        for r, i, toff, ty in zip(rows.tolist(), persons, toffs, types):
            s = r + 1
            if not med_hjemmel:
                out.append({"sekvensnummer": s, "hendelse": {"folkeregisteridentifikator": pop.identifier(i)}})
                continue
            ts = toff + self.start_ts
            out.append({"sekvensnummer": s, "hendelse": {
                "folkeregisteridentifikator": pop.identifier(i),
                "hendelsetype": TYPES[ty],
                "hendelsesdokument": self._codec.encode(s, 0),
                "persondokument": pop.document_id_for(i, ts),
                "ajourholdstidspunkt": fmt_ts(ts),
            }})
        return out

    def event_document(self, event_id: str) -> dict | None:
        """The Hendelsedokument (DokumentForHendelse) for a hendelsesdokument id, or None."""
        d = self._codec.decode(event_id)
        if d is None:
            return None
        self._build()
        seq, zero = d
        if zero != 0 or not 1 <= seq <= len(self._person):
            return None
        i, ty = int(self._person[seq - 1]), TYPES[int(self._type[seq - 1])]
        ts = int(self._toff[seq - 1]) + self.start_ts
        h = hash1(seq, self.pop.seed * 5 + 1)
        change = "annullere" if h % 100 < 2 else ("korrigere" if h % 100 < 7 else "registrereNy")
        items = []
        for element in ENTITIES.get(ty, ()):
            item: dict = {}
            if change != "annullere":
                v = element_version_at(self.pop, i, element, ts)
                if v is not None:
                    if change == "korrigere":
                        v = dict(v, kilde="korrigert-gjeldende-kilde")
                    item[element] = v
            item["entitet"] = _ENTITET_NAME.get(element, element)
            item["entitetsendring"] = change
            items.append(item)
        return {
            "dokumentidentifikator": event_id,
            "skjemaversjon": "1.4",
            "hendelse": {
                "folkeregisteridentifikator": self.pop.identifier(i),
                "hendelsestype": ty,
                "ajourholdstidspunkt": fmt_ts(ts),
                "egenskapshendelse": items,
            },
        }
