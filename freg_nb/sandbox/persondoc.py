"""Render one synthetic person as a Folkeregisterperson document (v1.5 shapes), lazily.

Every element is built as a list of versions ``(start, end, body)`` where start/end are
registration moments (UTC seconds; end None = still valid). ``render`` then looks at the
register *as of* a moment: versions registered later are dropped, the one still valid gets
``erGjeldende: true``; without historikk only those are kept. The same code therefore serves
current documents, ``historikk`` and archived versions.

Untidiness copied from the real service: some versions miss metadata fields, ``kilde`` varies
(``KILDE_DSF``, ``Skatteetaten``, ``""``), ``coAdressenavn``/``bruksenhetsnummer`` can be empty
strings, a few postal addresses carry extra fields (``saksreferanse``). Beyond the spec, and only
for the share ``Population.untidy`` of persons, the deviations real documents show (``untidy.py``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from . import addresses as A
from . import names, shapes, untidy
from .formerids import former_dnumber
from .mixing import hash1
from .versions import EPOCH, FREG_START, Ctx, day_str, fmt_midnight, fmt_ts, full, reg, version
from .vocab import (
    ADDRESS_ELEMENTS, CHANGE_KINDS, CONFIDENTIAL, DOED, ENKE, INAKTIV, LETTERS, PROT, PUBLIC_STATUS, SIVILSTAND,
    SKILT, STATUS, UOPPGITT, UTFLYTTET,
)

if TYPE_CHECKING:
    from .population import Population

__all__ = ["render", "version_starts", "element_version_at", "fmt_ts"]


# ---------------------------------------------------------------- other elements
def _ident(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    body = {"status": "iBruk", "foedselsEllerDNummer": pop.identifier(i),
            "identifikatortype": "dNummer" if pop.dnr[i] else "foedselsnummer"}
    old = former_dnumber(pop, i)  # a D-number later replaced by a fødselsnummer (formerids)
    if old is not None:
        t = reg(ctx, old[1], "newident")
        ceased = {"status": "opphoert", "foedselsEllerDNummer": old[0], "identifikatortype": "dNummer"}
        return [version(ctx, reg(ctx, first, "created"), t, first, ceased, None, 1, old[1]),
                version(ctx, t, None, old[1], body, None, 12)]
    return [version(ctx, reg(ctx, first, "created"), None, first, body, None, 1)]


def _identitetsgrunnlag(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    if pop.dnr[i]:
        v = "kontrollert" if ctx.u(2) < 0.5 else "ikkeKontrollert"
    elif pop.immig[i] >= 0:
        v = "kontrollert"
    else:
        v = "ingenStatus"
    return [version(ctx, reg(ctx, first, "created"), None, first, {"identitetsgrunnlagstatus": v}, None, 2)]


def _status(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    s0 = reg(ctx, first, "created")
    st = int(pop.status[i])
    aarsak = "Innvandring" if pop.immig[i] >= 0 else ("Fødsel" if not pop.dnr[i] else None)
    if st == INAKTIV:
        d = int(pop.inaktiv_day[i])
        t = reg(ctx, d, "inaktiv")
        return [version(ctx, s0, t, first, {"status": "aktiv"}, None, 3, d),
                version(ctx, t, None, d, {"status": "inaktiv"}, None, 4)]
    if st in (DOED, UTFLYTTET):
        d = int(pop.death[i] if st == DOED else pop.emig[i])
        t = reg(ctx, d, "death" if st == DOED else "emigrated")
        return [version(ctx, s0, t, first, {"status": "bosatt"}, aarsak, 3, d),
                version(ctx, t, None, d, {"status": STATUS[st]}, None, 4)]
    return [version(ctx, s0, None, first, {"status": STATUS[st]}, aarsak, 3)]


def _kjoenn(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    return [version(ctx, reg(ctx, first, "created"), None, int(pop.birth[i]),
               {"kjoenn": "mann" if pop.male[i] else "kvinne"}, None, 5)]


def _foedsel(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    b, first = int(pop.birth[i]), int(pop.first[i])
    ds = day_str(b)
    body = {"foedselsdato": ds, "foedselsaar": ds[:4]}
    if pop.immig[i] >= 0 or pop.dnr[i]:
        land = names.COUNTRIES[int(pop.foreign[i])][0]
        body["foedested"] = names.COUNTRIES[int(pop.foreign[i])][2]
        body["foedeland"] = land
    else:
        kom = int(pop.kommune[i]) if ctx.u(6) < 0.55 else int(pop.weighted_kommune(ctx.u(7)))
        body["foedekommuneINorge"] = str(pop.kommune_numbers[kom])
        body["foedeland"] = "NOR"
    return [version(ctx, reg(ctx, first, "created"), None, b, body, None, 6)]


def _foedsel_i_norge(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    b = int(pop.birth[i])
    if pop.immig[i] >= 0 or pop.dnr[i] or b * 86400 < FREG_START:
        return []
    kom = int(pop.kommune[i])
    body = {"foedselsinstitusjonsnavn": f"{pop.kommune_names[kom].split(' - ')[0]} sykehus",
            "rekkefoelgenummer": 1 + (ctx.r(8, 40) == 0)}
    return [version(ctx, reg(ctx, b, "created"), None, b, body, "Fødsel", 9)]


def _familierelasjon(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    out = []
    mine = "mor" if not pop.male[i] else "far"
    for rel, role in ((int(pop.mother[i]), "mor"), (int(pop.father[i]), "far")):
        if rel >= 0:
            d = int(pop.first[i])
            out.append(version(ctx, reg(ctx, d, "created"), None, int(pop.birth[i]),
                          {"relatertPerson": pop.identifier(rel), "relatertPersonsRolle": role,
                           "minRolleForPerson": "barn"}, "Fødsel", 10 + len(out)))
    for c in pop.kids_of(i).tolist():
        d = int(pop.first[c])
        out.append(version(ctx, pop.reg_ts(c, d, 1), None, int(pop.birth[c]),
                      {"relatertPerson": pop.identifier(c), "relatertPersonsRolle": "barn",
                       "minRolleForPerson": mine}, "Fødsel", 10 + len(out)))
    sp = int(pop.spouse[i])
    if sp >= 0 and pop.married[i]:
        u = int(pop.union[i])
        end = reg(ctx, int(pop.divorce[i]), "divorce") if pop.divorce[i] >= 0 else None
        out.append(version(ctx, reg(ctx, u, "union"), end, u,
                      {"relatertPerson": pop.identifier(sp), "relatertPersonsRolle": "ektefelleEllerPartner",
                       "minRolleForPerson": "ektefelleEllerPartner"}, None, 30,
                      int(pop.divorce[i]) if end else None))
    return out


def _foreldreansvar(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    out = []

    def ansvar_for(child: int) -> tuple[str, list[int]]:
        mo, fa = int(pop.mother[child]), int(pop.father[child])
        if mo >= 0 and fa >= 0 and (pop.head[mo] == pop.head[fa] or hash1(child, 61) % 10 < 7):
            return "felles", [mo, fa]
        if mo >= 0:
            return "mor", [mo]
        return ("far", [fa]) if fa >= 0 else ("ukjent", [])

    if pop.age[i] < 18 and pop.death[i] < 0:
        ansvar, who = ansvar_for(i)
        d = int(pop.first[i])
        for p in who:
            out.append(version(ctx, reg(ctx, d, "created"), None, d,
                          {"ansvar": ansvar, "ansvarlig": pop.identifier(p)}, None, 40 + len(out)))
    for c in pop.kids_of(i).tolist():
        if pop.age[c] < 18 and pop.death[c] < 0:
            ansvar, who = ansvar_for(c)
            if i in who:
                d = int(pop.first[c])
                out.append(version(ctx, pop.reg_ts(c, d, 1), None, d,
                              {"ansvar": ansvar, "ansvarssubjekt": pop.identifier(c)}, None, 40 + len(out)))
    return out


def _sivilstand(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    s0 = reg(ctx, first, "created")
    cur = int(pop.sivil[i])
    if cur == UOPPGITT:
        return [version(ctx, s0, None, first, {"sivilstand": "uoppgitt"}, None, 50)]
    sp = int(pop.spouse[i])
    if pop.married[i] and sp >= 0:
        u = int(pop.union[i])
        tu = reg(ctx, u, "union")
        kom = int(pop.kommune[i])
        gift = {"sivilstand": "gift", "sivilstandsdato": day_str(u), "relatertVedSivilstand": pop.identifier(sp),
                "myndighet": "DEN_NORSKE_KIRKE" if ctx.u(51) < 0.4 else "NOTARIUS_PUBLICUS",
                "kommune": str(pop.kommune_numbers[kom])}
        if ctx.u(52) < 0.5:
            gift["sted"] = f"{pop.kommune_names[kom].split(' - ')[0]} kirke"
        out = [version(ctx, s0, tu, first, {"sivilstand": "ugift"}, None, 50, u)]
        end_day = int(pop.divorce[i]) if pop.divorce[i] >= 0 else (int(pop.widow_day[i]) if pop.widow_day[i] >= 0 else -1)
        if end_day < 0:
            out.append(version(ctx, tu, None, u, gift, None, 53))
        else:
            kind = "divorce" if pop.divorce[i] >= 0 else "widowed"
            te = reg(ctx, end_day, kind)
            out.append(version(ctx, tu, te, u, gift, None, 53, end_day))
            out.append(version(ctx, te, None, end_day,
                          {"sivilstand": "skilt" if kind == "divorce" else "enkeEllerEnkemann",
                           "sivilstandsdato": day_str(end_day), "relatertVedSivilstand": pop.identifier(sp)},
                          None, 54))
        return out
    if cur in (SKILT, ENKE):  # the earlier marriage is before the register's memory of the spouse
        d = max(first + 1, min(pop.ref_day - 1, first + int((pop.ref_day - first) * (0.3 + 0.6 * ctx.u(55)))))
        t = pop.reg_ts(i, d, 55)
        return [version(ctx, s0, t, first, {"sivilstand": "gift"}, None, 50, d),
                version(ctx, t, None, d, {"sivilstand": SIVILSTAND[cur], "sivilstandsdato": day_str(d)}, None, 56)]
    return [version(ctx, s0, None, first, {"sivilstand": "ugift"}, None, 50)]


def _navn(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    adj, nouns = names.adjectives(), names.nouns()
    first = int(pop.first[i])
    s0 = reg(ctx, first, "created")

    def body(etternavn: int) -> dict:
        b = {"fornavn": adj[int(pop.fornavn[i])]}
        if pop.mellom[i] >= 0:
            b["mellomnavn"] = nouns[int(pop.mellom[i])]
        b["etternavn"] = nouns[etternavn]
        return b

    nd = int(pop.name_day[i])
    if nd >= 0:
        t = reg(ctx, nd, "name")
        return [version(ctx, s0, t, first, body(int(pop.prev_etternavn[i])), None, 60, nd),
                version(ctx, t, None, nd, body(int(pop.etternavn[i])), "Navneendring", 61)]
    return [version(ctx, s0, None, first, body(int(pop.etternavn[i])), None, 60)]


def _doedsfall(ctx: Ctx):
    pop, i = ctx.pop, ctx.i
    d = int(pop.death[i])
    if d < 0:
        return []
    return [version(ctx, reg(ctx, d, "death"), None, d, {"doedsdato": day_str(d)}, None, 70)]


def _kontakt_doedsbo(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    d = int(pop.death[i])
    if d < 0 or ctx.u(80) > 0.7 or d + 40 >= pop.ref_day:
        return []
    a = d + 20 + ctx.r(81, 20)
    contact = int(pop.spouse[i]) if pop.spouse[i] >= 0 and pop.death[pop.spouse[i]] < 0 else -1
    if contact < 0:
        kids = [c for c in pop.kids_of(i).tolist() if pop.death[c] < 0]
        contact = kids[0] if kids else -1
    # never copy a protected contact's address into the estate's contact information
    kom, st, nr, bk, key = A.household_address(pop, contact if contact >= 0 and not pop.prot[contact] else i)
    vad = A.vegadresse(pop, kom, st, nr, bk, key)
    body = {"skifteform": "annet" if ctx.u(82) < 0.85 else "offentlig", "attestutstedelsesdato": day_str(a),
            "adresse": {"adresselinje": [f"{vad['adressenavn']} {nr}{LETTERS[bk]}"],
                        "postnummer": vad["poststed"]["postnummer"], "poststedsnavn": vad["poststed"]["poststedsnavn"]}}
    if contact >= 0:
        adj, nouns = names.adjectives(), names.nouns()
        body["person"] = {"foedselsEllerDNummer": pop.identifier(contact),
                          "personnavn": {"fornavn": adj[int(pop.fornavn[contact])],
                                         "etternavn": nouns[int(pop.etternavn[contact])]}}
    return [version(ctx, pop.reg_ts(i, a, 57), None, a, body, None, 83)]


def _adressebeskyttelse(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.prot[i]:
        return []
    d = int(pop.prot_day[i])
    return [version(ctx, reg(ctx, d, "protection"), None, d, {"graderingsnivaa": PROT[pop.prot[i]]}, None, 90)]


def _innflytting(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    d = int(pop.immig[i])
    if d < 0:
        return []
    c = names.COUNTRIES[int(pop.foreign[i])]
    body = {"fraflyttingsland": c[0]}
    if ctx.u(100) < 0.7:
        body["fraflyttingsstedIUtlandet"] = c[2]
    return [version(ctx, reg(ctx, d, "created"), None, d, body, "Innvandring", 101)]


def _utflytting(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    d = int(pop.emig[i])
    if d < 0:
        return []
    land = A.emigration_country(ctx)
    body = {"tilflyttingsland": land, "utflyttingsdato": day_str(d)}
    if ctx.u(102) < 0.5:
        body["tilflyttingsstedIUtlandet"] = A.city(land)
    return [version(ctx, reg(ctx, d, "emigrated"), None, d, body, None, 103)]


def _statsborgerskap(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    s0 = reg(ctx, first, "created")
    if pop.immig[i] < 0 and not pop.dnr[i]:
        b = int(pop.birth[i])
        return [version(ctx, s0, None, b, {"statsborgerskap": "NOR", "ervervsdato": day_str(b)}, "Fødsel", 110)]
    foreign = names.COUNTRIES[int(pop.foreign[i])][0]
    nd = int(pop.natur_day[i])
    if pop.cit[i] >= 0 or nd < 0:
        return [version(ctx, s0, None, first, {"statsborgerskap": foreign}, None, 110)]
    t = reg(ctx, nd, "naturalised")
    keeps = nd >= (date(2020, 1, 1) - EPOCH).days  # dual citizenship allowed since 2020
    return [version(ctx, s0, None if keeps else t, first, {"statsborgerskap": foreign}, None, 110, None if keeps else nd),
            version(ctx, t, None, nd, {"statsborgerskap": "NOR", "ervervsdato": day_str(nd)}, None, 111)]


def _opphold(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.cit[i] < 0 or pop.dnr[i] or pop.immig[i] < 0:
        return []
    d = int(pop.immig[i])
    perm = pop.ref_day - d > 3 * 365
    body = {"oppholdstillatelse": "permanent" if perm else "midlertidig", "oppholdFra": day_str(d)}
    if not perm:
        body["oppholdTil"] = day_str(d + 3 * 365)
    return [version(ctx, reg(ctx, d, "created"), None, d, body, None, 120)]


def _utenlandsk_id(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.dnr[i]:
        return []
    first = int(pop.first[i])
    body = {"identifikasjonsnummer": f"{ctx.r(130, 10**9):09d}", "identifikasjonsnummertype": "skatteidentifikasjonsnummer",
            "utstederland": names.COUNTRIES[int(pop.foreign[i])][0]}
    return [version(ctx, reg(ctx, first, "created"), None, first, body, None, 131)]


def _legitimasjon(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.dnr[i]:
        return []
    first = int(pop.first[i])
    land = names.COUNTRIES[int(pop.foreign[i])][0]
    body = {"identifikasjonsdokumenttype": "pass", "identifikasjonsdokumentnummer": f"P{ctx.r(132, 10**8):08d}",
            "utstederland": land, "gyldigFra": day_str(first - 400), "gyldigTil": day_str(first - 400 + 3652)}
    return [version(ctx, reg(ctx, first, "created"), None, first, body, None, 133)]


def _udi_id(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.immig[i] < 0 or pop.cit[i] < 0:
        return []
    d = int(pop.immig[i])
    body = {"identifikasjonsnummer": f"{ctx.r(134, 10**12):012d}", "identifikasjonsnummertype": "duf",
            "utstederland": "NOR"}
    return [version(ctx, reg(ctx, d, "created"), None, d, body, None, 135)]


def _verge(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.verge[i]:
        return []
    d = max(int(pop.first[i]) + 1, pop.ref_day - 1 - ctx.r(140, 3000))
    v = int(pop.spouse[i]) if pop.spouse[i] >= 0 and pop.death[pop.spouse[i]] < 0 else ctx.r(141, pop.size)
    if v == i:
        v = (i + 1) % pop.size
    adj, nouns = names.adjectives(), names.nouns()
    fylke = str(pop.kommune_fylke[pop.kommune[i]])
    body = {"embete": f"Statsforvalteren i {_FYLKE_NAMES.get(fylke, 'Oslo og Viken')}",
            "vergemaaltype": "stadfestetFremtidsfullmakt" if ctx.u(142) < 0.3 else "voksen",
            "verge": {"navn": {"fornavn": adj[int(pop.fornavn[v])], "etternavn": nouns[int(pop.etternavn[v])]},
                      "foedselsEllerDNummer": pop.identifier(v),
                      "omfang": "personligeOgOekonomiskeInteresser" if ctx.u(143) < 0.7 else "oekonomiskeInteresser",
                      "omfangetErInnenPersonligOmraade": ctx.u(144) < 0.5}}
    return [version(ctx, pop.reg_ts(i, d, 58), None, d, body, None, 145)]


def _samisk(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.dnr[i] or str(pop.kommune_fylke[pop.kommune[i]]) not in ("55", "56") or ctx.u(150) > 0.08:
        return []
    d = max(int(pop.first[i]), pop.ref_day - 2000)
    return [version(ctx, pop.reg_ts(i, d, 59), None, d, {"spraak": ["nordsamisk"]}, None, 151)]


def _valgmanntall(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not _samisk(ctx) or pop.age[i] < 18:
        return []
    d = max(int(pop.first[i]), pop.ref_day - 2000)
    return [version(ctx, pop.reg_ts(i, d, 59), None, d, {"forhold": "innmeldt", "vedtaksdato": day_str(d)}, None, 152)]


_FYLKE_NAMES = {"03": "Oslo og Viken", "31": "Østfold, Buskerud, Oslo og Akershus", "32": "Østfold, Buskerud, Oslo og Akershus",
                "33": "Østfold, Buskerud, Oslo og Akershus", "34": "Innlandet", "39": "Vestfold og Telemark",
                "40": "Vestfold og Telemark", "42": "Agder", "11": "Rogaland", "46": "Vestland", "15": "Møre og Romsdal",
                "50": "Trøndelag", "18": "Nordland", "55": "Troms og Finnmark", "56": "Troms og Finnmark"}

_BUILDERS = {
    "identifikasjonsnummer": _ident, "identitetsgrunnlag": _identitetsgrunnlag, "status": _status,
    "kjoenn": _kjoenn, "foedsel": _foedsel, "foedselINorge": _foedsel_i_norge,
    "familierelasjon": _familierelasjon, "foreldreansvar": _foreldreansvar, "sivilstand": _sivilstand,
    "navn": _navn, "doedsfall": _doedsfall, "bostedsadresse": A.bostedsadresse,
    "oppholdsadresse": A.oppholdsadresse, "deltBosted": A.delt_bosted, "postadresse": A.postadresse,
    "postadresseIUtlandet": A.postadresse_utland, "adressebeskyttelse": _adressebeskyttelse,
    "innflytting": _innflytting, "utflytting": _utflytting, "statsborgerskap": _statsborgerskap,
    "opphold": _opphold, "kontaktinformasjonForDoedsbo": _kontakt_doedsbo,
    "vergemaalEllerFremtidsfullmakt": _verge, "utenlandskPersonidentifikasjon": _utenlandsk_id,
    "legitimasjonsdokument": _legitimasjon, "utlendingsmyndighetenesIdentifikasjonsnummer": _udi_id,
    "brukAvSamiskSpraak": _samisk, "forholdTilSametingetsValgmanntall": _valgmanntall,
}
_SINGLE = frozenset({"doedsfall", "falskIdentitet"})  # objects, not lists, in the v1.5 schema


def _as_of(ctx, versions: list, at_ts: int, historikk: bool, med_hjemmel: bool, name: str) -> list:
    out = []
    for v in versions:
        start, end, endday = v[0], v[1], v[2]
        if start > at_ts:
            continue
        current = end is None or end > at_ts
        if not current and not historikk:
            continue
        d = full(ctx, v)
        if not med_hjemmel:
            if name == "status" and d.get("status") not in PUBLIC_STATUS:
                continue
            if d.get("adressegradering", "ugradert") != "ugradert":
                continue
        if current:
            out.append(d)
        else:
            d = dict(d)
            d["erGjeldende"] = False
            if endday is not None:
                d["opphoerstidspunkt"] = fmt_midnight(endday)
            out.append(d)
    if len(out) > 1:  # newest first, as Freg answers
        out.reverse()
    return out


def render(pop: Population, i: int, elements, *, med_hjemmel: bool, historikk: bool, at_ts: int) -> dict:
    ctx = Ctx(pop, i, history=historikk or at_ts < pop.ref_ts)
    doc: dict = {}
    protected = med_hjemmel is False and pop.prot[i] and pop.prot_day[i] >= 0 and \
        pop.reg_ts(i, int(pop.prot_day[i]), CHANGE_KINDS["protection"]) <= at_ts
    for name in elements:
        if not med_hjemmel and name in CONFIDENTIAL:
            continue
        if protected and name in ADDRESS_ELEMENTS:
            continue
        b = _BUILDERS.get(name)
        if b is None:
            continue
        vs = _as_of(ctx, b(ctx), at_ts, historikk, med_hjemmel, name)
        if not vs:
            continue
        doc[name] = vs[0] if name in _SINGLE else vs
    if pop.untidy and ctx.u(_UNTIDY_SALT) < pop.untidy:
        untidy.person_document(doc, lambda salt: ctx.u(_UNTIDY_SALT + salt))
        shapes.apply(doc, pop.shape_variants.get("person", ()))
    return doc


_UNTIDY_SALT = 990


def version_starts(pop: Population, i: int) -> list[int]:
    """Registration moments of every element version of person i (all elements, with history)."""
    ctx = Ctx(pop, i)
    out = set()
    for b in _BUILDERS.values():
        for v in b(ctx):
            out.add(v[0])
            if v[1] is not None:
                out.add(v[1])
    return sorted(t for t in out if t < pop.ref_ts)


def element_version_at(pop: Population, i: int, element: str, ts: int) -> dict | None:
    """The version of one element that started exactly at ``ts`` (else the one valid then), as an
    event's ``Registerdata`` content: without ``erGjeldende``."""
    b = _BUILDERS.get(element)
    if b is None:
        return None
    ctx = Ctx(pop, i)
    best = None
    for v in b(ctx):
        start, end = v[0], v[1]
        if start == ts:
            best = v
            break
        if start <= ts and (end is None or end > ts):
            best = v
    if best is None:
        return None
    out = {k: x for k, x in full(ctx, best).items() if k != "erGjeldende"}
    if "identitetsgrunnlagstatus" in out:  # the event schema (hendelse.v1) names it differently
        out["legitimasjonskontroll"] = out.pop("identitetsgrunnlagstatus")
    return out

