"""Render one synthetic person as a Folkeregisterperson document (v1.5 shapes), lazily.

Every element is built as a list of versions ``(start, end, body)`` where start/end are
registration moments (UTC seconds; end None = still valid). ``render`` then looks at the
register *as of* a moment: versions registered later are dropped, the one still valid gets
``erGjeldende: true``; without historikk only those are kept. The same code therefore serves
current documents, ``historikk`` and archived versions.

Untidiness copied from the real service: some versions miss metadata fields, ``kilde`` varies
(``KILDE_DSF``, ``Skatteetaten``, ``""``), ``coAdressenavn``/``bruksenhetsnummer`` can be empty
strings, a few postal addresses carry extra fields (``saksreferanse``). Beyond the spec, and only
for the share ``Population.untidy`` of persons: codes in upper case and ``poststed`` as a string,
as in Skatteetaten's own example answers (``_untidy``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from . import names
from .mixing import hash1
from .population import (
    CONFIDENTIAL, DOED, ENKE, INAKTIV, PROT, PUBLIC_STATUS, SIVILSTAND, SKILT, STATUS, UOPPGITT, UTFLYTTET,
    Population,
)

_EPOCH = date(1970, 1, 1)
_FREG_START = (date(2017, 10, 31) - _EPOCH).days * 86400
_ADDRESS_ELEMENTS = ("bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet")
_LETTERS = ("", "A", "B", "C", "D")


@lru_cache(maxsize=200_000)
def _day_str(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat()


@lru_cache(maxsize=300)
def _dst(year: int) -> tuple[int, int]:
    """Europe/Oslo summer time in UTC seconds: last Sunday of March/October at 01:00 UTC."""
    def last_sunday(month: int) -> int:
        d = date(year, month, 31)
        return (d - _EPOCH).days - (d.weekday() + 1) % 7
    return last_sunday(3) * 86400 + 3600, last_sunday(10) * 86400 + 3600


@lru_cache(maxsize=200_000)
def _day_dst(day: int) -> tuple[int, int]:
    return _dst(int(_day_str(day)[:4]))


def _offset(ts: int) -> int:
    a, b = _day_dst(ts // 86400)
    return 2 if a <= ts < b else 1


def fmt_ts(ts: int, frac: int = -1) -> str:
    """RFC 3339 date-time in Norwegian local time (``2019-06-05T09:33:23.689+02:00``)."""
    off = _offset(ts)
    loc = ts + off * 3600
    d, s = divmod(loc, 86400)
    f = "" if frac < 0 else f".{frac:03d}"
    return f"{_day_str(d)}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{f}+0{off}:00"


def fmt_midnight(day: int) -> str:
    return f"{_day_str(day)}T00:00:00+0{_offset(day * 86400)}:00"


class _Ctx:
    __slots__ = ("pop", "i", "h", "seed", "history")

    def __init__(self, pop: Population, i: int, history: bool = True):
        self.pop, self.i, self.seed = pop, i, pop.seed
        self.h = hash1(i, pop.seed * 7 + 3)
        self.history = history  # False: versions that ended before the reference moment may be skipped

    def u(self, salt: int) -> float:
        return (hash1(self.h, salt) >> 11) * (1.0 / (1 << 53))

    def r(self, salt: int, m: int) -> int:
        return hash1(self.h, salt) % m


def _meta(ctx: _Ctx, start: int, gday: int, aarsak: str | None, salt: int) -> dict:
    h = hash1(ctx.h, salt + 1000)
    m: dict = {}
    if h % 23:
        m["ajourholdstidspunkt"] = fmt_ts(start, (h >> 8) % 1000 if h % 3 else -1)
    m["erGjeldende"] = True
    if start < _FREG_START:
        m["kilde"] = "KILDE_DSF" if h % 4 else "dsf-folkeregister-synkronisering"
    else:
        m["kilde"] = "" if h % 41 == 0 else ("Skatteetaten" if h % 5 else "Folkeregisteret")
    if aarsak and h % 5:
        m["aarsak"] = aarsak
    if h % 17 and gday is not None:
        m["gyldighetstidspunkt"] = fmt_midnight(gday)
    return m


def _v(ctx, start, end, gday, body, aarsak=None, salt=0, endday=None):
    """One version: (start, end, endday, gday, body, aarsak, salt); metadata is added by ``_full``
    only for the versions that are kept."""
    return (start, end, endday, gday, body, aarsak, salt)


def _full(ctx, v) -> dict:
    d = _meta(ctx, v[0], v[3], v[5], v[6])
    d.update(v[4])
    return d


def _ts(ctx: _Ctx, day: int, kind: str) -> int:
    return ctx.pop.reg_ts(ctx.i, day, Population.CHANGE_KINDS[kind])


# ---------------------------------------------------------------- addresses
def _vegadresse(pop: Population, kom: int, street: int, husnr: int, bokstav: int, key: int) -> dict:
    code = int(names.street_codes_one(kom, street))
    pc = pop.kommune_postcount[kom]
    postnr = int(pop.kommune_post[kom]) + (hash1(kom * 4096 + street, 5) % int(pc)) * (1 if pc < 20 else 5)
    postnr = min(postnr, 9991)
    adr = {"kommunenummer": str(pop.kommune_numbers[kom])}
    if key % 7:
        adr["bruksenhetsnummer"] = f"H0{1 + key % 4}0{1 + (key >> 3) % 4}" if key % 3 else ""
        adr["bruksenhetstype"] = "bolig"
    adr["adressenavn"] = names.street_name(code)
    nr = {"husnummer": str(husnr)}
    if bokstav:
        nr["husbokstav"] = _LETTERS[bokstav]
    adr["adressenummer"] = nr
    adr["adressekode"] = str(1000 + street)
    adr["poststed"] = {"poststedsnavn": pop.kommune_names[kom].split(" - ")[0].upper(), "postnummer": f"{postnr:04d}"}
    if key % 13 == 0:
        adr["coAdressenavn"] = ""
    return adr


def _address_body(pop, kom, street, husnr, bokstav, key, flyttedato, gradering) -> dict:
    body = {}
    if gradering == "strengtFortrolig":  # never shown: only the grading and metadata
        body["adressegradering"] = gradering
        return body
    if key % 50 == 0 and pop.kommune_streets[kom] < 40:  # rural: a cadastre address
        body["matrikkeladresse"] = {
            "bruksenhetsnummer": "",
            "matrikkelnummer": {"kommunenummer": str(pop.kommune_numbers[kom]), "gaardsnummer": 1 + key % 180,
                                "bruksnummer": 1 + (key >> 8) % 60, "festenummer": 0},
            "undernummer": 0,
            "poststed": {"poststedsnavn": pop.kommune_names[kom].split(" - ")[0].upper(),
                         "postnummer": f"{int(pop.kommune_post[kom]):04d}"},
            "coAdressenavn": "",
        }
    else:
        body["vegadresse"] = _vegadresse(pop, kom, street, husnr, bokstav, key)
    body["adresseIdentifikatorFraMatrikkelen"] = str(100_000_000 + key % 900_000_000)
    body["adressegradering"] = gradering
    if flyttedato is not None:
        body["flyttedato"] = _day_str(flyttedato)
    body["grunnkrets"] = 101 + street % 40 + 100 * (key % 5 == 0)
    if key % 4:
        body["stemmekrets"] = 1 + street % 9
        body["skolekrets"] = 1 + street % 7
        body["kirkekrets"] = 1 + street % 5
    return body


def _household_address(pop: Population, i: int):
    h = int(pop.head[i])
    return int(pop.kommune[i]), int(pop.street[i]), int(pop.husnr[i]), int(pop.bokstav[i]), \
        hash1(h, pop.seed * 3 + 1) & 0xFFFFFFFF


def _earlier_address(pop: Population, ctx: _Ctx, j: int):
    cur_kom = int(pop.kommune[ctx.i])
    if ctx.u(200 + j) < 0.6:
        kom = cur_kom
    else:
        kom = int(pop.weighted_kommune(ctx.u(210 + j)))
    street = ctx.r(220 + j, int(pop.kommune_streets[kom]))
    husnr = 1 + int((ctx.u(230 + j) ** 2.2) * 140)
    return kom, street, husnr, (0 if ctx.u(240 + j) > 0.1 else 1 + ctx.r(250 + j, 4)), ctx.r(260 + j, 1 << 30)


def _bostedsadresse(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.dnr[i]:
        return []
    out = []
    first, af = int(pop.first[i]), int(pop.addr_from[i])
    n_prev = int(pop.n_prev[i])
    # earlier addresses split the time between the first day and the current address
    bounds = [first] + [first + (af - first) * (k + 1) // (n_prev + 1) for k in range(n_prev)] + [af]
    if n_prev:
        bounds[1:-1] = sorted(max(first + 1, b - ctx.r(270 + k, 200)) for k, b in enumerate(bounds[1:-1]))
    for j in range(n_prev if ctx.history else 0):
        d0, d1 = bounds[j], bounds[j + 1]
        kom, st, nr, bk, key = _earlier_address(pop, ctx, j)
        s = _ts(ctx, d0, "created") if j == 0 else ctx.pop.reg_ts(i, d0, 40 + j)
        e = ctx.pop.reg_ts(i, d1, 40 + j + 1) if j + 1 < n_prev else _ts(ctx, af, "moved")
        body = _address_body(pop, kom, st, nr, bk, key, d0, "ugradert")
        out.append(_v(ctx, s, e, d0, body, "Flytting innenlands" if j else None, 300 + j, d1))
    start = _ts(ctx, af, "moved") if n_prev else _ts(ctx, first, "created")
    end = _ts(ctx, int(pop.emig[i]), "emigrated") if pop.emig[i] >= 0 else None
    grad = PROT[pop.prot[i]] or "ugradert"
    if pop.ukjent[i]:
        body = {"ukjentBosted": {"bostedskommune": str(pop.kommune_numbers[pop.kommune[i]])}, "adressegradering": grad}
    else:
        kom, st, nr, bk, key = _household_address(pop, i)
        body = _address_body(pop, kom, st, nr, bk, key, af, grad)
    aarsak = "Flytting innenlands" if n_prev else ("Innvandring" if pop.immig[i] >= 0 else "Fødsel")
    out.append(_v(ctx, start, end, af, body, aarsak, 310, int(pop.emig[i]) if end else None))
    return out  # earlier (unprotected) addresses stay as they were; only a protected one is graded


def _oppholdsadresse(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.dnr[i]:
        return []
    kom, st, nr, bk, key = _household_address(pop, i)
    first = int(pop.first[i])
    body = _address_body(pop, kom, st, nr, bk, key, None, "ugradert")
    body.pop("flyttedato", None)
    for k in ("grunnkrets", "stemmekrets", "skolekrets", "kirkekrets"):
        body.pop(k, None)
    body["oppholdsadressedato"] = _day_str(first)
    end = _ts(ctx, int(pop.inaktiv_day[i]), "inaktiv") if pop.inaktiv_day[i] >= 0 else None
    return [_v(ctx, _ts(ctx, first, "created"), end, first, body, None, 320,
               int(pop.inaktiv_day[i]) if end else None)]


def _delt_bosted(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    mo, fa = int(pop.mother[i]), int(pop.father[i])
    if pop.age[i] >= 18 or mo < 0 or fa < 0 or pop.death[i] >= 0 or pop.status[i] != 0:
        return []
    if pop.head[mo] == pop.head[fa] or pop.status[mo] != 0 or pop.status[fa] != 0 or ctx.u(330) > 0.35:
        return []
    other = fa if pop.head[i] == pop.head[mo] else mo
    if pop.ukjent[other]:
        return []
    start_day = max(int(pop.addr_from[other]), int(pop.first[i])) + 10
    if start_day >= pop.ref_day:
        return []
    kom, st, nr, bk, key = _household_address(pop, other)
    grad = PROT[pop.prot[other]] or "ugradert"
    body = _address_body(pop, kom, st, nr, bk, key, None, grad)
    body.pop("flyttedato", None)
    body["startdatoForKontrakt"] = _day_str(start_day)
    return [_v(ctx, pop.reg_ts(i, start_day, 50), None, start_day, body, None, 331)]


def _postadresse(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.status[i] != 0 or pop.age[i] < 18 or ctx.u(340) > 0.06 or pop.prot[i]:
        return []
    kom = int(pop.kommune[i])
    day = max(int(pop.addr_from[i]), int(pop.first[i]))
    place = {"poststedsnavn": pop.kommune_names[kom].split(" - ")[0].upper(),
             "postnummer": f"{int(pop.kommune_post[kom]):04d}"}
    if ctx.u(341) < 0.5:
        body = {"postboksadresse": {"postboks": f"Postboks {1 + ctx.r(342, 4000)}", "poststed": place},
                "adressegradering": "ugradert"}
    else:
        body = {"postadresseIFrittFormat": {"adresselinje": [f"GATE {1 + ctx.r(343, 30000)}"], "poststed": place},
                "adressegradering": "ugradert"}
    if ctx.u(344) < 0.3:  # extra fields seen in real answers
        body["saksreferanse"] = ""
    return [_v(ctx, pop.reg_ts(i, day, 51), None, day, body, None, 345)]


def _postadresse_utland(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.emig[i] < 0:
        return []
    land = _emigration_country(ctx)
    day = int(pop.emig[i])
    if ctx.u(350) < 0.6:
        body = {"utenlandskAdresse": {"adressenavn": f"{names.street_name(ctx.r(351, 1500))} {1 + ctx.r(352, 90)}",
                                      "byEllerStedsnavn": "", "landkode": land, "postkode": str(10000 + ctx.r(353, 89999))}}
        body["utenlandskAdresse"]["byEllerStedsnavn"] = _city(land)
    else:
        body = {"utenlandskAdresseIFrittFormat": {"adresselinje": [f"{1 + ctx.r(354, 300)} MAIN STREET"],
                                                  "byEllerStedsnavn": _city(land).upper(), "landkode": land}}
    body["adressegradering"] = PROT[pop.prot[i]] or "ugradert"
    if body["adressegradering"] == "strengtFortrolig":
        body = {"adressegradering": "strengtFortrolig"}
    return [_v(ctx, _ts(ctx, day, "emigrated"), None, day, body, "Utflytting", 355)]


def _emigration_country(ctx: _Ctx) -> str:
    opts = names.EMIGRATION
    tot = sum(w for _, w in opts)
    x = ctx.u(360) * tot
    for c, w in opts:
        x -= w
        if x < 0:
            return c
    return opts[-1][0]


def _city(alpha3: str) -> str:
    for c, _, city in names.COUNTRIES:
        if c == alpha3:
            return city
    return {"AUS": "Sydney", "CHE": "Zürich"}.get(alpha3, "Ukjent")


# ---------------------------------------------------------------- other elements
def _ident(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    body = {"status": "iBruk", "foedselsEllerDNummer": pop.identifier(i),
            "identifikatortype": "dNummer" if pop.dnr[i] else "foedselsnummer"}
    from .formerids import former_dnumber  # hook: a D-number later replaced by a fødselsnummer
    old = former_dnumber(pop, i)
    if old is not None:
        t = pop.reg_ts(i, old[1], 12)
        ceased = {"status": "opphoert", "foedselsEllerDNummer": old[0], "identifikatortype": "dNummer"}
        return [_v(ctx, _ts(ctx, first, "created"), t, first, ceased, None, 1, old[1]),
                _v(ctx, t, None, old[1], body, None, 12)]
    return [_v(ctx, _ts(ctx, first, "created"), None, first, body, None, 1)]


def _identitetsgrunnlag(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    if pop.dnr[i]:
        v = "kontrollert" if ctx.u(2) < 0.5 else "ikkeKontrollert"
    elif pop.immig[i] >= 0:
        v = "kontrollert"
    else:
        v = "ingenStatus"
    return [_v(ctx, _ts(ctx, first, "created"), None, first, {"identitetsgrunnlagstatus": v}, None, 2)]


def _status(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    s0 = _ts(ctx, first, "created")
    st = int(pop.status[i])
    aarsak = "Innvandring" if pop.immig[i] >= 0 else ("Fødsel" if not pop.dnr[i] else None)
    if st == INAKTIV:
        d = int(pop.inaktiv_day[i])
        t = _ts(ctx, d, "inaktiv")
        return [_v(ctx, s0, t, first, {"status": "aktiv"}, None, 3, d),
                _v(ctx, t, None, d, {"status": "inaktiv"}, None, 4)]
    if st in (DOED, UTFLYTTET):
        d = int(pop.death[i] if st == DOED else pop.emig[i])
        t = _ts(ctx, d, "death" if st == DOED else "emigrated")
        return [_v(ctx, s0, t, first, {"status": "bosatt"}, aarsak, 3, d),
                _v(ctx, t, None, d, {"status": STATUS[st]}, None, 4)]
    return [_v(ctx, s0, None, first, {"status": STATUS[st]}, aarsak, 3)]


def _kjoenn(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    return [_v(ctx, _ts(ctx, first, "created"), None, int(pop.birth[i]),
               {"kjoenn": "mann" if pop.male[i] else "kvinne"}, None, 5)]


def _foedsel(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    b, first = int(pop.birth[i]), int(pop.first[i])
    ds = _day_str(b)
    body = {"foedselsdato": ds, "foedselsaar": ds[:4]}
    if pop.immig[i] >= 0 or pop.dnr[i]:
        land = names.COUNTRIES[int(pop.foreign[i])][0]
        body["foedested"] = names.COUNTRIES[int(pop.foreign[i])][2]
        body["foedeland"] = land
    else:
        kom = int(pop.kommune[i]) if ctx.u(6) < 0.55 else int(pop.weighted_kommune(ctx.u(7)))
        body["foedekommuneINorge"] = str(pop.kommune_numbers[kom])
        body["foedeland"] = "NOR"
    return [_v(ctx, _ts(ctx, first, "created"), None, b, body, None, 6)]


def _foedsel_i_norge(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    b = int(pop.birth[i])
    if pop.immig[i] >= 0 or pop.dnr[i] or b * 86400 < _FREG_START:
        return []
    kom = int(pop.kommune[i])
    body = {"foedselsinstitusjonsnavn": f"{pop.kommune_names[kom].split(' - ')[0]} sykehus",
            "rekkefoelgenummer": 1 + (ctx.r(8, 40) == 0)}
    return [_v(ctx, _ts(ctx, b, "created"), None, b, body, "Fødsel", 9)]


def _familierelasjon(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    out = []
    mine = "mor" if not pop.male[i] else "far"
    for rel, role in ((int(pop.mother[i]), "mor"), (int(pop.father[i]), "far")):
        if rel >= 0:
            d = int(pop.first[i])
            out.append(_v(ctx, _ts(ctx, d, "created"), None, int(pop.birth[i]),
                          {"relatertPerson": pop.identifier(rel), "relatertPersonsRolle": role,
                           "minRolleForPerson": "barn"}, "Fødsel", 10 + len(out)))
    for c in pop.kids_of(i).tolist():
        d = int(pop.first[c])
        out.append(_v(ctx, pop.reg_ts(c, d, 1), None, int(pop.birth[c]),
                      {"relatertPerson": pop.identifier(c), "relatertPersonsRolle": "barn",
                       "minRolleForPerson": mine}, "Fødsel", 10 + len(out)))
    sp = int(pop.spouse[i])
    if sp >= 0 and pop.married[i]:
        u = int(pop.union[i])
        end = _ts(ctx, int(pop.divorce[i]), "divorce") if pop.divorce[i] >= 0 else None
        out.append(_v(ctx, _ts(ctx, u, "union"), end, u,
                      {"relatertPerson": pop.identifier(sp), "relatertPersonsRolle": "ektefelleEllerPartner",
                       "minRolleForPerson": "ektefelleEllerPartner"}, None, 30,
                      int(pop.divorce[i]) if end else None))
    return out


def _foreldreansvar(ctx: _Ctx) -> list:
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
            out.append(_v(ctx, _ts(ctx, d, "created"), None, d,
                          {"ansvar": ansvar, "ansvarlig": pop.identifier(p)}, None, 40 + len(out)))
    for c in pop.kids_of(i).tolist():
        if pop.age[c] < 18 and pop.death[c] < 0:
            ansvar, who = ansvar_for(c)
            if i in who:
                d = int(pop.first[c])
                out.append(_v(ctx, pop.reg_ts(c, d, 1), None, d,
                              {"ansvar": ansvar, "ansvarssubjekt": pop.identifier(c)}, None, 40 + len(out)))
    return out


def _sivilstand(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    s0 = _ts(ctx, first, "created")
    cur = int(pop.sivil[i])
    if cur == UOPPGITT:
        return [_v(ctx, s0, None, first, {"sivilstand": "uoppgitt"}, None, 50)]
    sp = int(pop.spouse[i])
    if pop.married[i] and sp >= 0:
        u = int(pop.union[i])
        tu = _ts(ctx, u, "union")
        kom = int(pop.kommune[i])
        gift = {"sivilstand": "gift", "sivilstandsdato": _day_str(u), "relatertVedSivilstand": pop.identifier(sp),
                "myndighet": "DEN_NORSKE_KIRKE" if ctx.u(51) < 0.4 else "NOTARIUS_PUBLICUS",
                "kommune": str(pop.kommune_numbers[kom])}
        if ctx.u(52) < 0.5:
            gift["sted"] = f"{pop.kommune_names[kom].split(' - ')[0]} kirke"
        out = [_v(ctx, s0, tu, first, {"sivilstand": "ugift"}, None, 50, u)]
        end_day = int(pop.divorce[i]) if pop.divorce[i] >= 0 else (int(pop.widow_day[i]) if pop.widow_day[i] >= 0 else -1)
        if end_day < 0:
            out.append(_v(ctx, tu, None, u, gift, None, 53))
        else:
            kind = "divorce" if pop.divorce[i] >= 0 else "widowed"
            te = _ts(ctx, end_day, kind)
            out.append(_v(ctx, tu, te, u, gift, None, 53, end_day))
            out.append(_v(ctx, te, None, end_day,
                          {"sivilstand": "skilt" if kind == "divorce" else "enkeEllerEnkemann",
                           "sivilstandsdato": _day_str(end_day), "relatertVedSivilstand": pop.identifier(sp)},
                          None, 54))
        return out
    if cur in (SKILT, ENKE):  # the earlier marriage is before the register's memory of the spouse
        d = max(first + 1, min(pop.ref_day - 1, first + int((pop.ref_day - first) * (0.3 + 0.6 * ctx.u(55)))))
        t = pop.reg_ts(i, d, 55)
        return [_v(ctx, s0, t, first, {"sivilstand": "gift"}, None, 50, d),
                _v(ctx, t, None, d, {"sivilstand": SIVILSTAND[cur], "sivilstandsdato": _day_str(d)}, None, 56)]
    return [_v(ctx, s0, None, first, {"sivilstand": "ugift"}, None, 50)]


def _navn(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    adj, nouns = names.adjectives(), names.nouns()
    first = int(pop.first[i])
    s0 = _ts(ctx, first, "created")

    def body(etternavn: int) -> dict:
        b = {"fornavn": adj[int(pop.fornavn[i])]}
        if pop.mellom[i] >= 0:
            b["mellomnavn"] = nouns[int(pop.mellom[i])]
        b["etternavn"] = nouns[etternavn]
        return b

    nd = int(pop.name_day[i])
    if nd >= 0:
        t = _ts(ctx, nd, "name")
        return [_v(ctx, s0, t, first, body(int(pop.prev_etternavn[i])), None, 60, nd),
                _v(ctx, t, None, nd, body(int(pop.etternavn[i])), "Navneendring", 61)]
    return [_v(ctx, s0, None, first, body(int(pop.etternavn[i])), None, 60)]


def _doedsfall(ctx: _Ctx):
    pop, i = ctx.pop, ctx.i
    d = int(pop.death[i])
    if d < 0:
        return []
    return [_v(ctx, _ts(ctx, d, "death"), None, d, {"doedsdato": _day_str(d)}, None, 70)]


def _kontakt_doedsbo(ctx: _Ctx) -> list:
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
    kom, st, nr, bk, key = _household_address(pop, contact if contact >= 0 and not pop.prot[contact] else i)
    vad = _vegadresse(pop, kom, st, nr, bk, key)
    body = {"skifteform": "annet" if ctx.u(82) < 0.85 else "offentlig", "attestutstedelsesdato": _day_str(a),
            "adresse": {"adresselinje": [f"{vad['adressenavn']} {nr}{_LETTERS[bk]}"],
                        "postnummer": vad["poststed"]["postnummer"], "poststedsnavn": vad["poststed"]["poststedsnavn"]}}
    if contact >= 0:
        adj, nouns = names.adjectives(), names.nouns()
        body["person"] = {"foedselsEllerDNummer": pop.identifier(contact),
                          "personnavn": {"fornavn": adj[int(pop.fornavn[contact])],
                                         "etternavn": nouns[int(pop.etternavn[contact])]}}
    return [_v(ctx, pop.reg_ts(i, a, 57), None, a, body, None, 83)]


def _adressebeskyttelse(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.prot[i]:
        return []
    d = int(pop.prot_day[i])
    return [_v(ctx, _ts(ctx, d, "protection"), None, d, {"graderingsnivaa": PROT[pop.prot[i]]}, None, 90)]


def _innflytting(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    d = int(pop.immig[i])
    if d < 0:
        return []
    c = names.COUNTRIES[int(pop.foreign[i])]
    body = {"fraflyttingsland": c[0]}
    if ctx.u(100) < 0.7:
        body["fraflyttingsstedIUtlandet"] = c[2]
    return [_v(ctx, _ts(ctx, d, "created"), None, d, body, "Innvandring", 101)]


def _utflytting(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    d = int(pop.emig[i])
    if d < 0:
        return []
    land = _emigration_country(ctx)
    body = {"tilflyttingsland": land, "utflyttingsdato": _day_str(d)}
    if ctx.u(102) < 0.5:
        body["tilflyttingsstedIUtlandet"] = _city(land)
    return [_v(ctx, _ts(ctx, d, "emigrated"), None, d, body, None, 103)]


def _statsborgerskap(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    first = int(pop.first[i])
    s0 = _ts(ctx, first, "created")
    if pop.immig[i] < 0 and not pop.dnr[i]:
        b = int(pop.birth[i])
        return [_v(ctx, s0, None, b, {"statsborgerskap": "NOR", "ervervsdato": _day_str(b)}, "Fødsel", 110)]
    foreign = names.COUNTRIES[int(pop.foreign[i])][0]
    nd = int(pop.natur_day[i])
    if pop.cit[i] >= 0 or nd < 0:
        return [_v(ctx, s0, None, first, {"statsborgerskap": foreign}, None, 110)]
    t = _ts(ctx, nd, "naturalised")
    keeps = nd >= (date(2020, 1, 1) - _EPOCH).days  # dual citizenship allowed since 2020
    return [_v(ctx, s0, None if keeps else t, first, {"statsborgerskap": foreign}, None, 110, None if keeps else nd),
            _v(ctx, t, None, nd, {"statsborgerskap": "NOR", "ervervsdato": _day_str(nd)}, None, 111)]


def _opphold(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.cit[i] < 0 or pop.dnr[i] or pop.immig[i] < 0:
        return []
    d = int(pop.immig[i])
    perm = pop.ref_day - d > 3 * 365
    body = {"oppholdstillatelse": "permanent" if perm else "midlertidig", "oppholdFra": _day_str(d)}
    if not perm:
        body["oppholdTil"] = _day_str(d + 3 * 365)
    return [_v(ctx, _ts(ctx, d, "created"), None, d, body, None, 120)]


def _utenlandsk_id(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.dnr[i]:
        return []
    first = int(pop.first[i])
    body = {"identifikasjonsnummer": f"{ctx.r(130, 10**9):09d}", "identifikasjonsnummertype": "skatteidentifikasjonsnummer",
            "utstederland": names.COUNTRIES[int(pop.foreign[i])][0]}
    return [_v(ctx, _ts(ctx, first, "created"), None, first, body, None, 131)]


def _legitimasjon(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.dnr[i]:
        return []
    first = int(pop.first[i])
    land = names.COUNTRIES[int(pop.foreign[i])][0]
    body = {"identifikasjonsdokumenttype": "pass", "identifikasjonsdokumentnummer": f"P{ctx.r(132, 10**8):08d}",
            "utstederland": land, "gyldigFra": _day_str(first - 400), "gyldigTil": _day_str(first - 400 + 3652)}
    return [_v(ctx, _ts(ctx, first, "created"), None, first, body, None, 133)]


def _udi_id(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.immig[i] < 0 or pop.cit[i] < 0:
        return []
    d = int(pop.immig[i])
    body = {"identifikasjonsnummer": f"{ctx.r(134, 10**12):012d}", "identifikasjonsnummertype": "duf",
            "utstederland": "NOR"}
    return [_v(ctx, _ts(ctx, d, "created"), None, d, body, None, 135)]


def _verge(ctx: _Ctx) -> list:
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
    return [_v(ctx, pop.reg_ts(i, d, 58), None, d, body, None, 145)]


def _samisk(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.dnr[i] or str(pop.kommune_fylke[pop.kommune[i]]) not in ("55", "56") or ctx.u(150) > 0.08:
        return []
    d = max(int(pop.first[i]), pop.ref_day - 2000)
    return [_v(ctx, pop.reg_ts(i, d, 59), None, d, {"spraak": ["nordsamisk"]}, None, 151)]


def _valgmanntall(ctx: _Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not _samisk(ctx) or pop.age[i] < 18:
        return []
    d = max(int(pop.first[i]), pop.ref_day - 2000)
    return [_v(ctx, pop.reg_ts(i, d, 59), None, d, {"forhold": "innmeldt", "vedtaksdato": _day_str(d)}, None, 152)]


_FYLKE_NAMES = {"03": "Oslo og Viken", "31": "Østfold, Buskerud, Oslo og Akershus", "32": "Østfold, Buskerud, Oslo og Akershus",
                "33": "Østfold, Buskerud, Oslo og Akershus", "34": "Innlandet", "39": "Vestfold og Telemark",
                "40": "Vestfold og Telemark", "42": "Agder", "11": "Rogaland", "46": "Vestland", "15": "Møre og Romsdal",
                "50": "Trøndelag", "18": "Nordland", "55": "Troms og Finnmark", "56": "Troms og Finnmark"}

_BUILDERS = {
    "identifikasjonsnummer": _ident, "identitetsgrunnlag": _identitetsgrunnlag, "status": _status,
    "kjoenn": _kjoenn, "foedsel": _foedsel, "foedselINorge": _foedsel_i_norge,
    "familierelasjon": _familierelasjon, "foreldreansvar": _foreldreansvar, "sivilstand": _sivilstand,
    "navn": _navn, "doedsfall": _doedsfall, "bostedsadresse": _bostedsadresse,
    "oppholdsadresse": _oppholdsadresse, "deltBosted": _delt_bosted, "postadresse": _postadresse,
    "postadresseIUtlandet": _postadresse_utland, "adressebeskyttelse": _adressebeskyttelse,
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
        d = _full(ctx, v)
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
    ctx = _Ctx(pop, i, history=historikk or at_ts < pop.ref_ts)
    doc: dict = {}
    protected = med_hjemmel is False and pop.prot[i] and pop.prot_day[i] >= 0 and \
        pop.reg_ts(i, int(pop.prot_day[i]), Population.CHANGE_KINDS["protection"]) <= at_ts
    for name in elements:
        if not med_hjemmel and name in CONFIDENTIAL:
            continue
        if protected and name in _ADDRESS_ELEMENTS:
            continue
        b = _BUILDERS.get(name)
        if b is None:
            continue
        vs = _as_of(ctx, b(ctx), at_ts, historikk, med_hjemmel, name)
        if not vs:
            continue
        doc[name] = vs[0] if name in _SINGLE else vs
    if pop.untidy and ctx.u(_UNTIDY_SALT) < pop.untidy:
        _untidy(doc)
    return doc


_UNTIDY_SALT = 990


def _untidy(doc: dict) -> None:
    """Deviations from the spec that Skatteetaten's own answers show (the reference example
    skatteetaten-person-oppslag.json): address grading codes in upper case (``UGRADERT``) and a
    ``postadresseIFrittFormat`` whose ``poststed`` is a bare string instead of a Poststed object."""
    for name in _ADDRESS_ELEMENTS:
        versions = doc.get(name)
        for v in versions if isinstance(versions, list) else [versions] if versions else []:
            if isinstance(v.get("adressegradering"), str):
                v["adressegradering"] = v["adressegradering"].upper()
            fritt = v.get("postadresseIFrittFormat")
            if fritt and isinstance(fritt.get("poststed"), dict):
                v["postadresseIFrittFormat"] = dict(fritt, poststed=fritt["poststed"].get("poststedsnavn", ""))


def version_starts(pop: Population, i: int) -> list[int]:
    """Registration moments of every element version of person i (all elements, with history)."""
    ctx = _Ctx(pop, i)
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
    ctx = _Ctx(pop, i)
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
    out = {k: x for k, x in _full(ctx, best).items() if k != "erGjeldende"}
    if "identitetsgrunnlagstatus" in out:  # the event schema (hendelse.v1) names it differently
        out["legitimasjonskontroll"] = out.pop("identitetsgrunnlagstatus")
    return out
