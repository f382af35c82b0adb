"""The sandbox's synthetic population: numpy arrays of core attributes, documents made lazily.

``Population(seed, size, reference_date)`` draws everything with vectorised numpy in well under
a second for a million people (about 60 bytes per person); person documents are rendered on
demand by :mod:`freg_nb.sandbox.persondoc`. Same arguments → identical population.

Times: days are int32 days since 1970-01-01; a change is *registered* at a timestamp (int64
seconds, UTC) on the day it happened — that is its ``ajourholdstidspunkt`` and the moment a
new persondokument version starts. ``document_id`` / ``archived`` encode ``(index, moment)``
reversibly, so any version can be re-rendered as it was.

Only synthetic identifiers are minted (month + 80), see :mod:`freg_nb.ids`.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone

import numpy as np

from .. import ids
from ..kommuner import kommune_dict
from . import names, persondoc
from . import search as _search
from . import formerids
from .crowded import mint_crowded
from .formerids import owner_of
from .mixing import IdCodec, categorical, hash1, hash64
from .vocab import (
    AKTIV, BOSATT, CHANGE_KINDS, DOED, ELEMENTS, ENKE, FORSVUNNET, GIFT, IKKEBOSATT, INAKTIV, OPPHOERT,
    PART_GROUPS, PART_NAMES, SIVILSTAND, SKILT, STATUS, UGIFT, UOPPGITT, UTFLYTTET,
)

__all__ = ["Population", "STATUS", "SIVILSTAND", "PART_GROUPS", "PART_NAMES", "ELEMENTS"]

EPOCH = date(1970, 1, 1)
MIN_SIZE = 10
YEAR = 365.25
_W1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2], dtype=np.int64)
_W2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3], dtype=np.int64)


def _age_weights() -> np.ndarray:
    a = np.arange(106, dtype=float)
    w = np.where(a < 20, 0.95, 1.0) * np.where(a > 60, np.exp(-(((a - 60) / 19.0) ** 2)), 1.0)
    return w / w.sum()


def _radix_order(x: np.ndarray) -> np.ndarray:
    """Order of ``x`` rounded to whole units, by a stable radix sort when the range fits 16 bits."""
    if len(x) == 0:
        return np.zeros(0, np.intp)
    k = np.rint(x - x.min())
    if k.max() > 0xFFFF:
        return np.argsort(x, kind="stable")
    return np.argsort(k.astype(np.uint16), kind="stable")


class Population:
    """A synthetic Folkeregister. See the module docstring; the contract is in docs/ARCHITECTURE.md."""

    def __init__(self, seed: int = 1, size: int = 20_000, reference_date: date | None = None,
                 untidy: float = 0.0):
        if size < MIN_SIZE:
            raise ValueError(f"size must be at least {MIN_SIZE}")
        if not 0.0 <= untidy <= 1.0:
            raise ValueError("untidy must be a share between 0 and 1")
        self.seed = int(seed)
        self.untidy = float(untidy)  # share of persons whose documents deviate from the spec as real ones do
        self.shape_variants: dict = {}  # SandboxConfig.shapes: a shape report's variants (shapes.py), set by server
        self.size = n = int(size)
        self.reference_date = reference_date or datetime.now(timezone.utc).date()
        self.ref_day = ref = (self.reference_date - EPOCH).days
        self.ref_ts = ref * 86400  # the reference moment: midnight UTC starting reference_date
        self._doc_codec = IdCodec(self.seed, 1)
        self._kids_lock = threading.Lock()
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0xF5E6]))
        k = list(kommune_dict().values())
        self.kommune_numbers = np.array([x.kommunenummer for x in k])
        self.kommune_names = [x.kommunenavn for x in k]
        self.kommune_fylke = np.array([x.fylkesnummer for x in k])
        self.kommune_post = np.array([int(x.postnummer) for x in k], dtype=np.int32)
        weight = np.array([x.innbyggere for x in k], dtype=float)
        self.kommune_streets = np.clip(weight / 350, 6, 900).astype(np.int32)
        self.kommune_postcount = np.clip(weight / 9000, 1, 60).astype(np.int32)
        pk = weight / weight.sum()
        self._kommune_cum = np.cumsum(pk)
        with ThreadPoolExecutor(1, thread_name_prefix="freg-nb-population") as helper:
            self._draw(rng, n, ref, pk, helper).result()  # the identifiers, minted meanwhile

    # ------------------------------------------------------------------ construction
    def _draw(self, rng, n, ref, pk, helper):
        """Draw every array; returns the Future of the identifiers being minted on ``helper``."""
        idx = np.arange(n, dtype=np.int32)
        age = categorical(rng, _age_weights(), n).astype(np.int16)
        birth = (ref - (age + rng.random(n, dtype=np.float32)) * np.float32(YEAR)).astype(np.int32)
        birth = np.minimum(birth, ref - 1)
        male = rng.random(n, dtype=np.float32) < 0.5
        dnr = (rng.random(n, dtype=np.float32) < 0.05) & (age >= 18) & (age <= 70)
        # first day in the register: birth, immigration or the D-number's issue
        first = birth.copy()
        imm = (~dnr) & (rng.random(n, dtype=np.float32) < 0.16) & (age >= 1)
        lo = np.maximum(birth + 365, ref - int(45 * YEAR))
        imm &= lo < ref - 2
        immig = np.where(imm, lo + (rng.random(n, dtype=np.float32) ** 0.7) * (ref - 1 - lo), -1).astype(np.int32)
        first = np.where(imm, immig, first)
        dlo = np.maximum(birth + int(18 * YEAR), ref - int(12 * YEAR))
        dnr &= dlo < ref - 2
        first = np.where(dnr, (dlo + rng.random(n, dtype=np.float32) * (ref - 1 - dlo)).astype(np.int32), first)
        # Everyone by birth day, ties by D-number flag then index: two stable radix passes over small
        # integer keys (a day offset fits 16 bits), several times faster than one comparison sort.
        self.dmin = dmin = int(ref - 107 * YEAR)
        boff = (birth - dmin).astype(np.uint16)
        by_dnr = np.argsort(dnr, kind="stable")
        order = by_dnr[np.argsort(boff[by_dnr], kind="stable")].astype(np.int32)
        del by_dnr
        self._by_birth = order
        self._birth_ptr = np.concatenate([[0], np.cumsum(np.bincount(boff, minlength=ref - dmin + 1))]).astype(np.int32)
        del boff
        # identifiers need only birth days and D-number flags: mint them on a second core meanwhile
        minting = helper.submit(self._mint_identifiers, birth, dnr)
        traits = helper.submit(self._traits, imm, immig, dnr, pk)
        # deaths (kept in the register, mostly old people, during the last 15 years)
        a = np.arange(106)
        pdead = np.where(a > 60, 0.01 + 0.75 * ((a - 60) / 45.0) ** 2, 0.004).astype(np.float32)  # by age
        dead = (~dnr) & (rng.random(n, dtype=np.float32) < pdead[age]) & (first < ref - 2)
        span = np.minimum(15 * 365, ref - 1 - first)
        death = np.where(dead, ref - 1 - (rng.random(n, dtype=np.float32) * span).astype(np.int32), -1).astype(np.int32)
        end = np.where(dead, death, ref).astype(np.int32)  # last day alive (exclusive) or ref

        # couples: women and men of similar age, paired by rank of a noisy birth date
        adult = (~dnr) & (age >= 20)
        pc = np.where(a < 26, 0.3, np.where(a < 75, 0.68, 0.5)).astype(np.float32)  # by age
        cand = adult & (rng.random(n, dtype=np.float32) < pc[age])
        wi, mi = idx[cand & ~male], idx[cand & male]
        m = min(len(wi), len(mi))
        wi, mi = rng.permutation(wi)[:m], rng.permutation(mi)[:m]
        wi = wi[_radix_order(birth[wi] + rng.normal(0, 700, m))]
        mi = mi[_radix_order(birth[mi] - 700 + rng.normal(0, 900, m))]
        lo = np.maximum.reduce([first[wi], first[mi], birth[wi] + int(20 * YEAR), birth[mi] + int(20 * YEAR)])
        hi = np.minimum(end[wi], end[mi]) - 2
        ok = lo < hi
        wi, mi, lo, hi = wi[ok], mi[ok], lo[ok], hi[ok]
        uday = (lo + (rng.random(len(wi)) ** 0.8) * (hi - lo)).astype(np.int32)
        spouse = np.full(n, -1, np.int32)
        spouse[wi], spouse[mi] = mi, wi
        union = np.full(n, -1, np.int32)
        union[wi] = union[mi] = uday
        married = np.zeros(n, bool)
        mar = rng.random(len(wi)) < 0.72
        married[wi[mar]] = married[mi[mar]] = True
        # divorces among married couples both alive
        div = mar & (death[wi] < 0) & (death[mi] < 0) & (rng.random(len(wi)) < 0.14) & (uday < ref - 30)
        dday = (uday + 15 + rng.random(len(wi)) * (ref - 15 - uday)).astype(np.int32)
        divorce = np.full(n, -1, np.int32)
        divorce[wi[div]] = divorce[mi[div]] = np.minimum(dday[div], ref - 1)

        # children: a mother 17–45 years older; father = her partner at the time, or another man
        nd = order[~dnr[order]]  # non-D-number persons by birth day
        women, men = nd[~male[nd]], nd[male[nd]]
        del nd
        kid = (~dnr) & (age < 52) & (rng.random(n, dtype=np.float32) < 0.88) & ~(imm & (immig - birth > 16 * YEAR))
        kids = idx[kid]
        bmin = int(birth.min())
        wtab = np.searchsorted(birth[women], np.arange(bmin, ref + 1))  # first woman born on/after each day
        mtab = np.searchsorted(birth[men], np.arange(bmin, ref + 1))

        def pick(table, pool, target):
            t = np.clip(target.astype(np.int64) - bmin, 0, len(table) - 1)
            return pool[np.minimum(table[t], len(pool) - 1)]

        target = birth[kids] - (21 + 18 * rng.random(len(kids), dtype=np.float32) ** 1.3) * YEAR
        mo = pick(wtab, women, target)
        gap = birth[kids] - birth[mo]
        ok = (gap > 17 * YEAR) & (gap < 46 * YEAR) & ((death[mo] < 0) | (death[mo] > birth[kids])) \
            & (first[mo] <= first[kids])
        kids, mo = kids[ok], mo[ok]
        mother = np.full(n, -1, np.int32)
        mother[kids] = mo
        sp = spouse[mo]
        with_partner = (sp >= 0) & (union[mo] <= birth[kids] + 270) & ((divorce[mo] < 0) | (divorce[mo] > birth[kids])) \
            & ((death[np.maximum(sp, 0)] < 0) | (death[np.maximum(sp, 0)] > birth[kids] - 270))
        target = birth[kids] - (24 + 20 * rng.random(len(kids), dtype=np.float32)) * YEAR
        other = pick(mtab, men, target)
        ogap = birth[kids] - birth[other]
        ook = (rng.random(len(kids)) < 0.75) & (ogap > 18 * YEAR) & (ogap < 60 * YEAR) \
            & ((death[other] < 0) | (death[other] > birth[kids])) & (first[other] <= first[kids])
        fa = np.where(with_partner, sp, np.where(ook, other, -1)).astype(np.int32)
        father = np.full(n, -1, np.int32)
        father[kids] = fa

        # households at the reference date: couples together, minors with a living parent
        alive = death < 0
        head = idx.astype(np.int32)
        together = (spouse >= 0) & alive & (death[np.maximum(spouse, 0)] < 0) & (divorce < 0)
        head[together] = np.minimum(idx[together], spouse[together])
        minor = alive & (age < 18)
        par = np.where((mother >= 0) & (death[np.maximum(mother, 0)] < 0), mother,
                       np.where((father >= 0) & (death[np.maximum(father, 0)] < 0), father, -1))
        minor &= par >= 0
        head[minor] = head[par[minor]]
        member = alive & ~dnr
        hfirst = np.full(n, -1, np.int32)
        np.maximum.at(hfirst, head[member], first[member])
        hunion = np.full(n, -1, np.int32)
        np.maximum.at(hunion, head[member], np.where(together, union, -1)[member])
        is_head = (head == idx) & member
        # emigration per household
        elo = np.maximum(hfirst, hunion) + 30
        emig_h = is_head & (rng.random(n, dtype=np.float32) < 0.035) & (elo < ref - 2)
        emig_day_h = np.full(n, -1, np.int32)
        sel = np.flatnonzero(emig_h)
        emig_day_h[sel] = elo[sel] + rng.random(len(sel), dtype=np.float32) ** 0.8 * (ref - 1 - elo[sel])
        emig = np.where(member, emig_day_h[head], -1).astype(np.int32)
        status = np.full(n, BOSATT, np.int8)
        status[emig >= 0] = UTFLYTTET
        status[dead] = DOED
        hsize = np.bincount(head[member], minlength=n)
        single = is_head & (hsize == 1) & (emig < 0) & (age >= 18)
        r = rng.random(n, dtype=np.float32)
        status[single & (r < 0.001)] = OPPHOERT
        status[single & (r >= 0.001) & (r < 0.0014)] = FORSVUNNET
        status[single & (r >= 0.0014) & (r < 0.002)] = IKKEBOSATT
        inaktiv_day = np.full(n, -1, np.int32)
        dn_inakt = dnr & (rng.random(n, dtype=np.float32) < 0.45) & (first < ref - 60)
        status[dnr] = AKTIV
        status[dn_inakt] = INAKTIV
        inaktiv_day[dn_inakt] = (first[dn_inakt] + 30 + rng.random(dn_inakt.sum()) * (ref - 31 - first[dn_inakt]))

        # the household's address: municipality, street, number; when they moved in
        t = traits.result()
        kom = t["kommune"][head]
        hlo = np.maximum(first, np.where(together, union, -1))
        hend = np.where(emig >= 0, emig, end)
        hfrom = np.maximum(hlo, hend - 1 - (rng.standard_exponential(n, dtype=np.float32) * np.float32(7.5 * YEAR)).astype(np.int32))
        addr_from = np.maximum(hfrom[head], first).astype(np.int32)
        addr_from = np.where(alive, addr_from, np.maximum(first, hfrom)).astype(np.int32)
        addr_from = np.minimum(addr_from, np.maximum(hend - 1, first))
        street, husnr, bokstav = t["street"][head], t["husnr"][head], t["bokstav"][head]
        ukjent = (status == BOSATT) & single & (rng.random(n, dtype=np.float32) < 0.003)
        n_prev = np.where(addr_from > first, rng.integers(1, 4, n, dtype=np.int8), 0).astype(np.int8)

        # address protection per household (members inherit), registered when they moved in
        hp = t["prot"]
        for level in (2, 1):  # however small the population, it shows both grades (training needs them)
            if not np.any((hp[head] == level) & member & (status != OPPHOERT)):
                cand = np.flatnonzero(is_head & (status == BOSATT) & ~ukjent & (hp == 0))
                if len(cand):
                    hp[cand[rng.integers(len(cand))]] = level
        prot = np.where(member & (status != OPPHOERT), hp[head], 0).astype(np.int8)
        prot_day = np.where(prot > 0, np.minimum(addr_from + 3, ref - 1), -1).astype(np.int32)

        # names: adjective + noun; children take the mother's (or father's) surname; many married
        # women took the husband's surname; a few changed surname for other reasons
        nn = len(names.nouns())
        fornavn, mellom, own = t["fornavn"], t["mellom"], t["own"]
        took = married & ~male & (spouse >= 0) & (rng.random(n, dtype=np.float32) < 0.45)
        par2 = np.where(mother >= 0, mother, father)
        has_par = par2 >= 0
        birthname = own.copy()
        cur = own.copy()
        kid_i = np.flatnonzero(has_par)
        kid_p = par2[kid_i]
        took_i = np.flatnonzero(took)
        took_s = spouse[took_i]
        for _ in range(8):  # surnames flow down at most a few generations
            before = cur.copy()
            birthname[kid_i] = cur[kid_p]
            cur[kid_i] = birthname[kid_i]
            cur[took_i] = birthname[took_s]
            if np.array_equal(before, cur):
                break
        name_day = np.where(took, union, -1).astype(np.int32)
        other_change = (~took) & (rng.random(n, dtype=np.float32) < 0.01) & (first < end - 400)
        name_day[other_change] = (first[other_change] + 365 + rng.random(other_change.sum())
                                  * (end[other_change] - first[other_change] - 400)).astype(np.int32)
        cur[other_change] = rng.integers(0, nn, other_change.sum())
        prev_name = np.where(name_day >= 0, birthname, -1).astype(np.int16)
        prev_name[other_change] = birthname[other_change]

        foreign, cit, natur_day = t["foreign"], t["cit"], t["natur_day"]
        sivil = np.full(n, UGIFT, np.int8)
        sivil[dnr] = UOPPGITT
        sivil[married] = GIFT
        sivil[divorce >= 0] = SKILT
        widow = married & (spouse >= 0) & (death[np.maximum(spouse, 0)] >= 0) \
            & ((death < 0) | (death > death[np.maximum(spouse, 0)]))
        sivil[widow] = ENKE
        widow_day = np.where(widow, death[np.maximum(spouse, 0)], -1).astype(np.int32)
        lone = (spouse < 0) & (age >= 40) & ~dnr
        r2 = rng.random(n, dtype=np.float32)
        sivil[lone & (r2 < 0.14)] = SKILT
        sivil[lone & (age >= 70) & (r2 > 0.8)] = ENKE

        # guardianship (vergemål) for some old and some young adults
        verge = (~dnr) & (death < 0) & (((age >= 80) & (rng.random(n, dtype=np.float32) < 0.02)) | (rng.random(n, dtype=np.float32) < 0.0015)) & (age >= 18)

        self.age = age.astype(np.int8)
        self.birth, self.male, self.dnr, self.first = birth, male, dnr, first.astype(np.int32)
        self.immig, self.death, self.emig = immig, death, emig
        self.spouse, self.union, self.married, self.divorce = spouse, union, married, divorce
        self.mother, self.father, self.head = mother, father, head
        self.status, self.inaktiv_day = status, inaktiv_day
        self.kommune, self.street, self.husnr, self.bokstav = kom, street, husnr, bokstav
        self.addr_from, self.n_prev, self.ukjent = addr_from, n_prev, ukjent
        self.prot, self.prot_day = prot, prot_day
        self.fornavn, self.mellom, self.etternavn = fornavn, mellom, cur.astype(np.int16)
        self.prev_etternavn, self.name_day = prev_name, name_day
        self.foreign, self.cit, self.natur_day = foreign, cit, natur_day
        self.sivil, self.widow_day = sivil, widow_day
        self.verge = verge
        self._kids = None  # children of each parent, built on first use (kids_of)
        return minting

    def _traits(self, imm, immig, dnr, pk) -> dict:
        """Draws that need no family ties (own stream, on the helper thread): given names and a
        surname at birth, birth country and citizenship, and an address per would-be household."""
        n, ref = self.size, self.ref_day
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x7A17]))
        na, nn = len(names.adjectives()), len(names.nouns())
        t = {"fornavn": rng.integers(0, na, n, dtype=np.int16),
             "mellom": np.where(rng.random(n, dtype=np.float32) < 0.12, rng.integers(0, nn, n, dtype=np.int16),
                               -1).astype(np.int16),
             "own": rng.integers(0, nn, n, dtype=np.int16),
             "foreign": categorical(rng, names.foreign_weights(), n).astype(np.int16),
             "kommune": categorical(rng, pk, n).astype(np.int16)}
        born_abroad = imm | dnr
        t["cit"] = np.where(born_abroad & ((rng.random(n, dtype=np.float32) < 0.6) | dnr), t["foreign"], -1).astype(np.int16)
        # naturalisation 7-10 years after immigration, on a working day; not yet when that is after the
        # reference date (never clamped to it: that piled the feed's endringIStatsborgerskap onto one day)
        u = (hash64(np.arange(n, dtype=np.int64), self.seed * 31 + 7) >> np.uint64(11)).astype(np.float64) / 2.0**53
        natur_day = (immig + (7 + 3 * u) * YEAR).astype(np.int64)
        natur_day += -((natur_day + 3) % 7) + (natur_day * 7919 + self.seed) % 5  # a working day of that week
        natur_day = np.where(imm & (t["cit"] < 0) & (natur_day < ref), natur_day, -1).astype(np.int32)
        t["natur_day"] = natur_day
        # the address a household would have (used through its head): street, number, letter, protection
        t["street"] = (rng.random(n, dtype=np.float32) * self.kommune_streets[t["kommune"]]).astype(np.int16)
        t["husnr"] = (1 + rng.random(n, dtype=np.float32) ** 2.2 * 140).astype(np.int16)
        t["bokstav"] = np.where(rng.random(n, dtype=np.float32) < 0.12, rng.integers(1, 5, n, dtype=np.int8), 0).astype(np.int8)
        u = rng.random(n, dtype=np.float32)
        t["prot"] = np.where(u < 0.001, 2, np.where(u < 0.006, 1, 0)).astype(np.int8)
        return t

    def _mint_identifiers(self, birth: np.ndarray, dnr: np.ndarray) -> None:
        """Unique synthetic fødselsnumre (month + 80) and D-numbers, ~1.2 % under the 2032 rule.

        Works in birth order: everyone born the same day with the same D-number flag shares the
        six date digits (a group); member r takes slot r, then r + g, r + 2g, ... (g = group size)
        while its check digits are impossible, so numbers are unique by construction.
        """
        n, i32 = self.size, np.int32
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x1D5]))  # own stream: runs in a thread
        rule2032 = rng.random(n, dtype=np.float32) < 0.012
        rem_by_index = np.where(rule2032, rng.integers(1, 4, n, dtype=i32), 0).astype(i32)
        # per-day tables: the date digits (dd mm yy) of each day in the birth range, month + 80
        days = (np.arange(len(self._birth_ptr) - 1) + self.dmin).astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        y = months.astype("datetime64[Y]").astype(i32) + 1970
        dd = (days - months).astype(i32) + 1
        mm = months.astype(i32) % 12 + 81
        yy = y % 100
        century_t = (y >= 2000).astype(i32)  # 1900s: individual 000-499, 2000s: 500-999
        date6_t = dd * 10000 + mm * 100 + yy
        # weighted digit sums of the six date digits (k1 weights 3 7 6 1 8 9, k2 weights 5 4 3 2 7 6)
        s1_t = 3 * (dd // 10) + 7 * (dd % 10) + 6 * (mm // 10) + (mm % 10) + 8 * (yy // 10) + 9 * (yy % 10)
        s2_t = 5 * (dd // 10) + 4 * (dd % 10) + 3 * (mm // 10) + 2 * (mm % 10) + 7 * (yy // 10) + 6 * (yy % 10)
        # and of the three digits of each individual number
        i1, i2, i3 = np.arange(1000) // 100, np.arange(1000) // 10 % 10, np.arange(1000) % 10
        w1_t, w2_t = (4 * i1 + 5 * i2 + 2 * i3).astype(i32), (5 * i1 + 4 * i2 + 3 * i3).astype(i32)

        order = self._by_birth
        day = birth[order] - self.dmin
        d = dnr[order].astype(i32)  # a D-number adds 40 to the day of month
        century = century_t[day]
        date6 = date6_t[day] + 400_000 * d
        s1 = s1_t[day] + 12 * d
        s2 = s2_t[day] + 20 * d
        rem = rem_by_index[order]
        starts = np.flatnonzero(np.r_[True, (day[1:] != day[:-1]) | (d[1:] != d[:-1])]).astype(i32)
        del day, d
        sizes = np.diff(np.r_[starts, n]).astype(i32)
        rank = np.arange(n, dtype=i32) - np.repeat(starts, sizes)
        g = np.repeat(sizes, sizes)
        key = date6[starts].astype(np.int64) * 2 + century[starts]
        offset = np.repeat((hash64(key, self.seed) % np.uint64(500)).astype(i32), sizes)
        del starts, sizes, key
        first9 = np.zeros(n, np.int64)
        k12 = np.zeros(n, np.int8)
        step = np.zeros(n, i32)
        todo = np.arange(n, dtype=i32)
        crowded = []  # persons of a crowded day (a whole country): they take its free numbers below
        while len(todo):
            slot = rank[todo] + step[todo] * g[todo]
            crowded.append(todo[full := slot >= 500])
            todo, slot = todo[~full], slot[~full]
            indiv = 500 * century[todo] + (slot * 173 + offset[todo]) % 500
            k1 = (rem[todo] - s1[todo] - w1_t[indiv]) % 11
            k2 = (-(s2[todo] + w2_t[indiv] + 2 * k1)) % 11
            first9[todo] = date6[todo] * 1000 + indiv
            k12[todo] = k1 * 10 + k2
            bad = (k1 == 10) | (k2 == 10)
            step[todo[bad]] += 1
            todo = todo[bad]
        if len(crowded := np.concatenate(crowded)):  # (the first of each one's day: its position less its rank)
            mint_crowded(crowded, first9, k12, np.arange(n) - rank, g, century, offset, date6, s1, s2, rem, w1_t, w2_t)
        ident = np.empty(n, np.int64)
        ident[order] = first9 * 100 + k12
        self.ident, self.rule2032 = ident, rule2032
        # spot-check against the reference implementation
        for i in (0, n // 2, n - 1):
            s = f"{ident[i]:011d}"
            r = "2032" if rem_by_index[i] else "1964"
            assert ids.check_digits(s[:9], rule=r, k1_remainder=int(rem_by_index[i])) == s[9:], s

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return self.size

    def identifier(self, i: int) -> str:
        return f"{int(self.ident[i]):011d}"

    def identifiers(self, idx=None) -> list[str]:
        v = self.ident if idx is None else self.ident[np.asarray(idx)]
        return [f"{x:011d}" for x in v.tolist()]

    def index_of(self, ident: str, *, former: bool = True) -> int | None:
        """The person with this identifier, or None. Reads the birth date out of the number and
        looks among the few persons born that day (no index over all identifiers is needed).
        ``former``: also a ceased D-number (see ``formerids``)."""
        s = str(ident).strip()
        if len(s) != 11 or not s.isdigit():
            return None
        dd, mm, yy, indiv = int(s[0:2]) % 40, int(s[2:4]) - 80, int(s[4:6]), int(s[6:9])
        try:  # the sandbox mints individual numbers 000-499 for the 1900s and 500-999 for the 2000s
            day = (date((2000 if indiv >= 500 else 1900) + yy, mm, dd) - EPOCH).days - self.dmin
        except ValueError:
            return None
        if not 0 <= day < len(self._birth_ptr) - 1:
            return None
        near = self._by_birth[self._birth_ptr[day]:self._birth_ptr[day + 1]]
        hit = near[self.ident[near] == int(s)]
        if not len(hit) and former:  # hook: a ceased D-number finds its person (formerids)
            return owner_of(self, s)
        return int(hit[0]) if len(hit) else None

    def weighted_kommune(self, u: float) -> int:
        """A municipality index drawn by population weight from a uniform number in [0, 1)."""
        return int(min(np.searchsorted(self._kommune_cum, u, side="right"), len(self._kommune_cum) - 1))

    def kids_of(self, i: int) -> np.ndarray:
        """Indices of person i's children (by mother, then by father)."""
        kids = self._kids or self._build_kids()
        return kids[0][kids[1][i]:kids[1][i + 1]]

    def _build_kids(self):
        # CSR of children per parent, built once on first use (a start-up never waits for it)
        with self._kids_lock:
            if self._kids is None:
                idx = np.arange(self.size, dtype=np.int32)
                parent = np.concatenate([self.mother[self.mother >= 0], self.father[self.father >= 0]])
                child = np.concatenate([idx[self.mother >= 0], idx[self.father >= 0]])
                o = np.argsort(parent, kind="stable")
                ptr = np.concatenate([[0], np.cumsum(np.bincount(parent, minlength=self.size))]).astype(np.int32)
                self._kids = (child[o], ptr)
        return self._kids

    @staticmethod
    def allowed_part_names() -> frozenset[str]:
        return PART_NAMES

    # ------------------------------------------------------------------ versions and ids
    def reg_ts(self, i: int, day: int, salt: int) -> int:
        """Registration moment (UTC seconds) of a change on ``day``: office hours, same day."""
        return day * 86400 + 5 * 3600 + hash1(i * 64 + salt, self.seed) % (11 * 3600)

    def _reg_ts_many(self, idx: np.ndarray, day: np.ndarray, salt: int) -> np.ndarray:
        h = hash64(idx.astype(np.int64) * 64 + salt, self.seed) % np.uint64(11 * 3600)
        return day.astype(np.int64) * 86400 + 5 * 3600 + h.astype(np.int64)

    CHANGE_KINDS = CHANGE_KINDS  # change kind -> salt of its registration moment (vocab.py)

    def change_days(self, kind: str) -> np.ndarray:
        """Day of each person's change of this kind (-1 = none), vectorised."""
        if kind == "created":
            return self.first
        if kind == "moved":
            return np.where((self.addr_from > self.first) & ~self.dnr, self.addr_from, -1)
        if kind == "union":
            return np.where(self.married, self.union, -1)
        if kind == "divorce":
            return self.divorce
        if kind == "widowed":
            return self.widow_day
        if kind == "death":
            return self.death
        if kind == "emigrated":
            return self.emig
        if kind == "name":
            return self.name_day
        if kind == "protection":
            return self.prot_day
        if kind == "inaktiv":
            return self.inaktiv_day
        if kind == "naturalised":
            return self.natur_day
        if kind == "newident":
            return formerids.change_days(self)
        raise KeyError(kind)

    def change_times(self, i: int) -> list[int]:
        """Sorted registration moments of all of person i's versions (before the reference moment)."""
        return persondoc.version_starts(self, int(i))

    def document_id(self, i: int) -> str:
        """The current persondokument id (its newest version)."""
        times = self.change_times(i)
        return self._doc_codec.encode(int(i), int(times[-1]) if times else 0)

    def document_id_for(self, i: int, ts: int) -> str:
        """The id of the persondokument written by a change registered at ``ts`` (feed events)."""
        return self._doc_codec.encode(int(i), int(ts))

    def document_ids_for(self, idx: np.ndarray, ts: np.ndarray) -> list[str]:
        """``document_id_for`` for many (person, moment) pairs at once (feed pages)."""
        return self._doc_codec.encode_many(idx, ts).tolist()

    def document_id_at(self, i: int, ts: int) -> str:
        """The persondokument id of person i's version in force at moment ``ts``."""
        times = [t for t in self.change_times(i) if t <= ts]
        return self._doc_codec.encode(int(i), times[-1] if times else 0)

    def in_register_at(self, ts: int) -> np.ndarray:
        """Indices of everyone registered at moment ``ts`` (ascending), for complete extracts."""
        created = self._reg_ts_many(np.arange(self.size, dtype=np.int64), self.first, self.CHANGE_KINDS["created"])
        return np.flatnonzero(created <= ts)

    def decode_document_id(self, document_id: str) -> tuple[int, int] | None:
        d = self._doc_codec.decode(document_id)
        if d is None or d[0] >= self.size or d[1] > self.ref_ts:
            return None
        return d

    def archived(self, document_id: str, *, parts=None, med_hjemmel: bool = True, historikk: bool = False):
        """The person as they were in that document version, or None for an unknown id."""
        d = self.decode_document_id(document_id)
        if d is None:
            return None
        i, ts = d
        if ts < int(self.reg_ts(i, int(self.first[i]), 1)):
            return None
        return self.document(i, parts=parts, med_hjemmel=med_hjemmel, historikk=historikk, at_ts=ts)

    # ------------------------------------------------------------------ documents
    def expand_parts(self, parts) -> tuple[tuple[str, ...], bool]:
        """Part names → (element names in document order, historikk asked?). Raises on unknown parts."""
        if parts is None:
            return _BASIS_ORDERED, False
        if isinstance(parts, str):
            parts = [parts]
        parts = set(parts)
        unknown = parts - self.allowed_part_names()
        if unknown:
            raise ValueError(f"unknown part(s): {', '.join(sorted(unknown))}")
        hist = "historikk" in parts
        parts.discard("historikk")
        if not parts:
            parts = {"person-basis"}
        wanted: set[str] = set()
        for p in parts:
            wanted.update(PART_GROUPS.get(p, (p,)))
        return tuple(e for e in _DOC_ORDER if e in wanted), hist

    def document(self, i: int, *, parts=None, med_hjemmel: bool = True, historikk: bool = False,
                 at_ts: int | None = None) -> dict:
        """Person i's Folkeregisterperson limited to ``parts`` (None = person-basis)."""
        elements, hist = self.expand_parts(parts)
        return persondoc.render(self, int(i), elements, med_hjemmel=med_hjemmel, historikk=historikk or hist,
                      at_ts=self.ref_ts if at_ts is None else at_ts)

    # ------------------------------------------------------------------ search and select
    def search(self, **criteria) -> np.ndarray:
        return _search.search(self, **criteria)

    def select(self, criteria: dict) -> np.ndarray:
        return _search.select(self, criteria)


_DOC_ORDER = (
    "identifikasjonsnummer", "identitetsgrunnlag", "status", "kjoenn", "foedsel", "foedselINorge",
    "familierelasjon", "foreldreansvar", "sivilstand", "navn", "doedsfall", "bostedsadresse",
    "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet", "adressebeskyttelse",
    "innflytting", "utflytting", "statsborgerskap", "opphold", "kontaktinformasjonForDoedsbo",
    "vergemaalEllerFremtidsfullmakt", "utenlandskPersonidentifikasjon", "legitimasjonsdokument",
    "utlendingsmyndighetenesIdentifikasjonsnummer", "falskIdentitet", "bibehold", "brukAvSamiskSpraak",
    "forholdTilSametingetsValgmanntall", "oppholdPaaSvalbard", "preferertKontaktadresse",
)
assert set(_DOC_ORDER) == set(ELEMENTS)
_BASIS_ORDERED = tuple(e for e in _DOC_ORDER if e in PART_GROUPS["person-basis"])
