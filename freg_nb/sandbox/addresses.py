"""The address elements of a synthetic person: bostedsadresse (with earlier addresses), oppholdsadresse,
deltBosted, postadresse and postadresseIUtlandet. A household shares its address; a strengt fortrolig
address is never shown (only its grading)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import names
from .mixing import hash1
from .versions import Ctx, day_str, reg, version
from .vocab import LETTERS, PROT

if TYPE_CHECKING:
    from .population import Population

__all__ = ["bostedsadresse", "oppholdsadresse", "delt_bosted", "postadresse", "postadresse_utland",
           "vegadresse", "household_address", "emigration_country", "city"]


def vegadresse(pop: Population, kom: int, street: int, husnr: int, bokstav: int, key: int) -> dict:
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
        nr["husbokstav"] = LETTERS[bokstav]
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
        body["vegadresse"] = vegadresse(pop, kom, street, husnr, bokstav, key)
    body["adresseIdentifikatorFraMatrikkelen"] = str(100_000_000 + key % 900_000_000)
    body["adressegradering"] = gradering
    if flyttedato is not None:
        body["flyttedato"] = day_str(flyttedato)
    body["grunnkrets"] = 101 + street % 40 + 100 * (key % 5 == 0)
    if key % 4:
        body["stemmekrets"] = 1 + street % 9
        body["skolekrets"] = 1 + street % 7
        body["kirkekrets"] = 1 + street % 5
    return body


def household_address(pop: Population, i: int):
    h = int(pop.head[i])
    return int(pop.kommune[i]), int(pop.street[i]), int(pop.husnr[i]), int(pop.bokstav[i]), \
        hash1(h, pop.seed * 3 + 1) & 0xFFFFFFFF


def _earlier_address(pop: Population, ctx: Ctx, j: int):
    cur_kom = int(pop.kommune[ctx.i])
    if ctx.u(200 + j) < 0.6:
        kom = cur_kom
    else:
        kom = int(pop.weighted_kommune(ctx.u(210 + j)))
    street = ctx.r(220 + j, int(pop.kommune_streets[kom]))
    husnr = 1 + int((ctx.u(230 + j) ** 2.2) * 140)
    return kom, street, husnr, (0 if ctx.u(240 + j) > 0.1 else 1 + ctx.r(250 + j, 4)), ctx.r(260 + j, 1 << 30)


def bostedsadresse(ctx: Ctx) -> list:
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
        s = reg(ctx, d0, "created") if j == 0 else ctx.pop.reg_ts(i, d0, 40 + j)
        e = ctx.pop.reg_ts(i, d1, 40 + j + 1) if j + 1 < n_prev else reg(ctx, af, "moved")
        body = _address_body(pop, kom, st, nr, bk, key, d0, "ugradert")
        out.append(version(ctx, s, e, d0, body, "Flytting innenlands" if j else None, 300 + j, d1))
    start = reg(ctx, af, "moved") if n_prev else reg(ctx, first, "created")
    end = reg(ctx, int(pop.emig[i]), "emigrated") if pop.emig[i] >= 0 else None
    grad = PROT[pop.prot[i]] or "ugradert"
    if pop.ukjent[i]:
        body = {"ukjentBosted": {"bostedskommune": str(pop.kommune_numbers[pop.kommune[i]])}, "adressegradering": grad}
    else:
        kom, st, nr, bk, key = household_address(pop, i)
        body = _address_body(pop, kom, st, nr, bk, key, af, grad)
    aarsak = "Flytting innenlands" if n_prev else ("Innvandring" if pop.immig[i] >= 0 else "Fødsel")
    out.append(version(ctx, start, end, af, body, aarsak, 310, int(pop.emig[i]) if end else None))
    return out  # earlier (unprotected) addresses stay as they were; only a protected one is graded


def oppholdsadresse(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if not pop.dnr[i]:
        return []
    kom, st, nr, bk, key = household_address(pop, i)
    first = int(pop.first[i])
    body = _address_body(pop, kom, st, nr, bk, key, None, "ugradert")
    body.pop("flyttedato", None)
    for k in ("grunnkrets", "stemmekrets", "skolekrets", "kirkekrets"):
        body.pop(k, None)
    body["oppholdsadressedato"] = day_str(first)
    end = reg(ctx, int(pop.inaktiv_day[i]), "inaktiv") if pop.inaktiv_day[i] >= 0 else None
    return [version(ctx, reg(ctx, first, "created"), end, first, body, None, 320,
               int(pop.inaktiv_day[i]) if end else None)]


def delt_bosted(ctx: Ctx) -> list:
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
    kom, st, nr, bk, key = household_address(pop, other)
    grad = PROT[pop.prot[other]] or "ugradert"
    body = _address_body(pop, kom, st, nr, bk, key, None, grad)
    body.pop("flyttedato", None)
    body["startdatoForKontrakt"] = day_str(start_day)
    return [version(ctx, pop.reg_ts(i, start_day, 50), None, start_day, body, None, 331)]


def postadresse(ctx: Ctx) -> list:
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
    return [version(ctx, pop.reg_ts(i, day, 51), None, day, body, None, 345)]


def postadresse_utland(ctx: Ctx) -> list:
    pop, i = ctx.pop, ctx.i
    if pop.emig[i] < 0:
        return []
    land = emigration_country(ctx)
    day = int(pop.emig[i])
    if ctx.u(350) < 0.6:
        body = {"utenlandskAdresse": {"adressenavn": f"{names.street_name(ctx.r(351, 1500))} {1 + ctx.r(352, 90)}",
                                      "byEllerStedsnavn": "", "landkode": land, "postkode": str(10000 + ctx.r(353, 89999))}}
        body["utenlandskAdresse"]["byEllerStedsnavn"] = city(land)
    else:
        body = {"utenlandskAdresseIFrittFormat": {"adresselinje": [f"{1 + ctx.r(354, 300)} MAIN STREET"],
                                                  "byEllerStedsnavn": city(land).upper(), "landkode": land}}
    body["adressegradering"] = PROT[pop.prot[i]] or "ugradert"
    if body["adressegradering"] == "strengtFortrolig":
        body = {"adressegradering": "strengtFortrolig"}
    return [version(ctx, reg(ctx, day, "emigrated"), None, day, body, "Utflytting", 355)]


def emigration_country(ctx: Ctx) -> str:
    opts = names.EMIGRATION
    tot = sum(w for _, w in opts)
    x = ctx.u(360) * tot
    for c, w in opts:
        x -= w
        if x < 0:
            return c
    return opts[-1][0]


def city(alpha3: str) -> str:
    for c, _, city in names.COUNTRIES:
        if c == alpha3:
            return city
    return {"AUS": "Sydney", "CHE": "Zürich"}.get(alpha3, "Ukjent")

