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

from ..codes import HENDELSETYPER
from . import shapes, untidy
from .memory import release_free_memory
from .mixing import IdCodec, categorical, hash1, unit
from .persondoc import element_version_at, fmt_ts
from .population import Population

TYPES = HENDELSETYPER  # the official values; a feed stores an event's type as its index here
T = {name: k for k, name in enumerate(TYPES)}

# Types about confidential information: not distributed "offentlig uten hjemmel".
CONFIDENTIAL_TYPES = frozenset({
    "personErOppdatert", "endringIFamilierelasjon", "endringIForeldreansvar", "endringIFalskIdentitet",
    "endringIAdressebeskyttelse", "endringIUtenlandskPersonidentifikasjon",
    "endringIUtlendingsmyndighetenesIdentifikasjonsnummer", "endringIBrukAvSamiskSpraak",
    "endringISametingetsValgmanntall", "endringIOpphold", "endringILegitimasjonsdokument",
    untidy.OLD_TYPE,  # annenIdentifikasjon: foreign identification, like its successors
})

# population change kind -> hendelsetype
KIND_TYPES = {
    "created": "personErOpprettet", "moved": "endringIBostedsadresse", "union": "endringISivilstand",
    "divorce": "endringISivilstand", "widowed": "endringISivilstand", "death": "personErDoed",
    "emigrated": "personErUtflyttet", "name": "endringINavn", "protection": "endringIAdressebeskyttelse",
    "inaktiv": "endringIStatus", "naturalised": "endringIStatsborgerskap",
    "newident": "endringIIdentifikasjonsnummer",
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
    # v1.5's Registerdata.entitet enum has no value for Svalbard stays, so the sandbox sends the event
    # without egenskapshendelse rather than an entitet the spec forbids.
    "endringIOppholdPaaSvalbard": (), "endringIVergemaal": ("vergemaalEllerFremtidsfullmakt",),
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
            release_free_memory()

    def _own_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The population's own changes inside the span: (person, moment, type), in no particular order."""
        pop = self.pop
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
        return np.concatenate(persons), np.concatenate(times), np.concatenate(types)

    def _do_build(self, chunk: int = 1 << 20) -> None:
        """Fill the three arrays in time order, about ``chunk`` events at a time: the own changes of
        those days merged with filler events drawn for the same days. No sort over the whole feed,
        so the memory beyond the result stays at a few chunk-sized buffers."""
        rng = np.random.default_rng(np.random.SeedSequence([self.pop.seed, 0xFEED, self.requested, self.span_days]))
        p, t, ty = self._own_events()
        self.own_events = n_own = len(p)
        n = self.requested
        if n_own > n:  # keep a random subset of the population's own changes
            keep = np.sort(rng.choice(n_own, size=n, replace=False))
            p, t, ty = p[keep], t[keep], ty[keep]
        o = np.argsort(t, kind="stable")
        p, ty, t = p[o], ty[o], (t[o] - self.start_ts).astype(np.uint32)
        del o
        # fillers per day: registrations happen mostly on working days (the span starts at midnight UTC)
        weekday = (np.arange(self.span_days) + (self.start_ts // 86400 + 3)) % 7  # 0 = Monday
        weight = np.where(weekday < 5, 1.0, 0.15)
        fill_per_day = rng.multinomial(n - len(p), weight / weight.sum())
        own_per_day = np.bincount(t // 86400, minlength=self.span_days)
        # chunk boundaries (in days) of about ``chunk`` events each
        cum = np.cumsum(fill_per_day + own_per_day)
        cuts = np.unique(np.r_[0, np.searchsorted(cum, np.arange(chunk, cum[-1], chunk)), self.span_days])
        person = np.empty(n, np.int32)
        toff = np.empty(n, np.uint32)
        etype = np.empty(n, np.uint8)
        pick = _FillerPicker(self, rng)
        hidden = np.array([name in CONFIDENTIAL_TYPES for name in TYPES])
        visible = []  # positions visible uten hjemmel, per chunk
        at = 0
        for d0, d1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
            days = np.repeat(np.arange(d0, d1, dtype=np.uint32), fill_per_day[d0:d1])
            ft = days * np.uint32(86400) + np.uint32(5 * 3600) + (rng.random(len(days), dtype=np.float32)
                                                                   * (11 * 3600 - 1)).astype(np.uint32)
            fp, fty = pick(ft)
            lo, hi = np.searchsorted(t, [d0 * 86400, d1 * 86400])
            ct = np.concatenate([t[lo:hi], ft])
            o = np.argsort(ct, kind="stable")  # own changes first among equal moments
            m = len(o)
            toff[at:at + m] = ct[o]
            person[at:at + m] = np.concatenate([p[lo:hi], fp])[o]
            etype[at:at + m] = np.concatenate([ty[lo:hi], fty])[o]
            visible.append((np.flatnonzero(~hidden[etype[at:at + m]]) + at).astype(np.int32))
            at += m
        assert at == n, (at, n)
        self._person, self._toff, self._type = person, toff, etype
        self._visible_seq = np.concatenate(visible)

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
        """The event's hendelsetype as the feed shows it (an untidy event of a newer type: the old one)."""
        self._build()
        ty = TYPES[int(self._type[seq - 1])]
        if self.pop.untidy and self._untidy_draw([seq], 0)[0] < self.pop.untidy:
            return untidy.event_type(ty)
        return ty

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
        pop = self.pop
        persons = self._person[rows]
        idents = pop.identifiers(persons)
        if not med_hjemmel:
            return [{"sekvensnummer": s, "hendelse": {"folkeregisteridentifikator": ident}}
                    for s, ident in zip((rows + 1).tolist(), idents)]
        ts = self._toff[rows].astype(np.int64) + self.start_ts
        # the page's document ids in one vectorised pass (the same ids as encode() one by one)
        event_docs = self._codec.encode_many(rows + 1, np.zeros(len(rows), np.int64)).tolist()
        person_docs = pop.document_ids_for(persons, ts)
        names = [TYPES[ty] for ty in self._type[rows].tolist()]
        if pop.untidy:  # an old event document's type shows in the feed too (skatteetaten-hendelser-feed.json)
            for k in np.flatnonzero(self._untidy_draw(rows + 1, 0) < pop.untidy).tolist():
                names[k] = untidy.event_type(names[k])
        return [{"sekvensnummer": s, "hendelse": {
                    "folkeregisteridentifikator": ident, "hendelsetype": ty, "hendelsesdokument": e,
                    "persondokument": d, "ajourholdstidspunkt": fmt_ts(t)}}
                for s, ident, ty, e, d, t in zip((rows + 1).tolist(), idents, names, event_docs, person_docs,
                                                 ts.tolist())]

    def _untidy_draw(self, seqs: np.ndarray, salt: int) -> np.ndarray:
        """Uniform numbers per event (sequence number) for its untidiness; salt 0 decides whether it is untidy."""
        return unit(np.asarray(seqs, np.int64), self.pop.seed * 5 + 2 + salt)

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
        doc = {
            "dokumentidentifikator": event_id,
            "skjemaversjon": "1.4",
            "hendelse": {
                "folkeregisteridentifikator": self.pop.identifier(i),
                "hendelsestype": ty,
                "ajourholdstidspunkt": fmt_ts(ts),
                "egenskapshendelse": items,
            },
        }
        if self.pop.untidy and self._untidy_draw([seq], 0)[0] < self.pop.untidy:
            untidy.event_document(doc, lambda salt: float(self._untidy_draw([seq], salt)[0]))
            shapes.apply(doc, self.pop.shape_variants.get("event", ()))
        return doc


class _FillerPicker:
    """Draws filler events for given moments: a type by FILLER's weights and a person who is in the
    register and alive at that moment (uniform among them, by rejection)."""

    def __init__(self, feed: EventFeed, rng: np.random.Generator):
        pop = feed.pop
        self.rng, self.start = rng, feed.start_ts
        names_ = list(FILLER)
        self.weights = np.array([FILLER[x] for x in names_], dtype=float)
        self.codes = np.array([T[x] for x in names_], np.uint8)
        # each person's window, in seconds from the span's start: registered (the next day) until death
        lo = np.maximum(pop.first.astype(np.int64) * 86400 + 86400, feed.start_ts) - feed.start_ts
        hi = np.minimum(np.where(pop.death >= 0, pop.death.astype(np.int64) * 86400, feed.end_ts), feed.end_ts) \
            - feed.start_ts
        self.pool = np.flatnonzero(hi - lo > 3600).astype(np.int32)
        self.lo = np.clip(lo, 0, 2**32 - 1).astype(np.uint32)
        self.hi = np.clip(hi, 0, 2**32 - 1).astype(np.uint32)

    def __call__(self, moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m, rng = len(moments), self.rng
        types = self.codes[categorical(rng, self.weights, m)]
        persons = np.empty(m, np.int32)
        todo = np.arange(m)
        for _ in range(100):
            if not len(todo) or not len(self.pool):
                break
            cand = self.pool[rng.integers(0, len(self.pool), len(todo))]
            tm = moments[todo]
            ok = (self.lo[cand] <= tm) & (tm < self.hi[cand])
            persons[todo[ok]] = cand[ok]
            todo = todo[~ok]
        if len(todo):
            raise RuntimeError("the sandbox population has nobody in the register at some moments of the "
                               "event span: use more persons or a shorter span")
        return persons, types
