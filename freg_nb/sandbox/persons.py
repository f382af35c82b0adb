"""Freg person operations: oppslag, bulkoppslag, søk, entydig søk, arkiv (single and bulk)."""
from __future__ import annotations

import orjson

from freg_nb.ids import is_valid
from freg_nb.sandbox.fiks import Ctx
from freg_nb.sandbox.responses import freg_error, freg_not_found, json_response

__all__ = ["get_person", "bulk_persons", "search", "unique_search", "get_archived", "bulk_archived",
           "read_id_list", "parse_bool"]

SEARCH_CRITERIA = ("navn", "kjoenn", "foedselsdato", "foedselsaarFraOgMed", "foedselsaarTilOgMed", "adressenavn",
                   "husnummer", "postnummer", "kommunenummer", "fylkesnummer")
SEARCH_FLAGS = ("inkluderOppholdsadresse", "soekFonetisk", "inkluderDoede")
UNIQUE_IDS = ("utenlandskpersonidentifikasjon", "legitimasjonsdokument",
              "utlendingsmyndighetenesidentifikasjonsnummer")
UNIQUE_PARAMS = ("identifikasjonsnummer", *UNIQUE_IDS, "foedselsdato", "navn", "postnummer", "adressenavn",
                 "husnummer", "part", "soekFonetisk", "opplysningsgrunnlag")


class BadInput(ValueError):
    pass


def parse_bool(name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadInput(f"Ugyldig verdi for {name}: {value!r} (forventet true eller false)")


async def read_id_list(ctx: Ctx, field: str) -> list[str]:
    """The list under ``field`` in a JSON body, at most ``max_bulk`` long (BadInput otherwise)."""
    try:
        body = orjson.loads(await ctx.request.body())
    except orjson.JSONDecodeError:
        raise BadInput("Ugyldig JSON i forespørselen") from None
    ids = body.get(field) if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadInput(f"Forespørselen må ha feltet {field} med en liste av tekster")
    limit = ctx.state.config.max_bulk
    if len(ids) > limit:
        raise BadInput(f"For mange identifikatorer i forespørselen: {len(ids)}. Maks antall er {limit}")
    return ids


def _document(ctx: Ctx, i: int) -> dict:
    parts = ctx.parts
    return ctx.state.population.document(int(i), parts=parts.elements if parts else None,
                                         med_hjemmel=ctx.role.hjemmel, historikk=bool(parts and parts.historikk))


def _bad(e: Exception):
    return freg_error(400, "FREG-400", str(e))


async def get_person(ctx: Ctx):
    ident = ctx.request.path_params["personidentifikator"]
    if not is_valid(ident):
        return freg_error(400, "FREG-400", "Ugyldig personidentifikator")
    i = ctx.state.population.index_of(ident)
    if i is None:
        return freg_not_found("Ukjent person", "FREG-PERSON-404")
    return json_response(_document(ctx, i))


async def bulk_persons(ctx: Ctx):
    try:
        parse_bool("somBestilt", ctx.request.query_params.get("somBestilt"))
        ids = await read_id_list(ctx, "foedselsEllerDNummer")
    except BadInput as e:
        return _bad(e)
    pop, out = ctx.state.population, []
    for ident in ids:
        i = pop.index_of(ident) if is_valid(ident) else None
        if i is None:
            melding = "Fant ikke person" if is_valid(ident) else "Ugyldig fødsels- eller d-nummer"
            out.append({"foedselsEllerDNummer": ident, "feilmelding": {"feilmelding": melding}})
        else:
            out.append({"foedselsEllerDNummer": ident, "folkeregisterperson": _document(ctx, i)})
    return json_response({"oppslag": out})


async def search(ctx: Ctx):
    q = ctx.request.query_params
    unknown = sorted(set(q) - set(SEARCH_CRITERIA) - set(SEARCH_FLAGS) - {"opplysningsgrunnlag", "maksTreff"})
    try:
        if unknown:
            raise BadInput(f"Ukjent søkeparameter: {', '.join(unknown)}")
        criteria = {k: q[k] for k in SEARCH_CRITERIA if q.get(k)}
        if not criteria:
            raise BadInput("Minst ett søkekriterium må oppgis")
        for flag in SEARCH_FLAGS:
            value = parse_bool(flag, q.get(flag))
            if value is not None:
                criteria[flag] = value
        max_hits = None
        if q.get("maksTreff") is not None:
            if not q["maksTreff"].isdigit() or int(q["maksTreff"]) < 1:
                raise BadInput("maksTreff må være et positivt heltall")
            max_hits = int(q["maksTreff"])
        hits = ctx.state.population.search(**criteria)
    except (BadInput, TypeError, ValueError) as e:
        return _bad(e)
    limit = ctx.state.config.max_search_hits
    if len(hits) > limit:
        return freg_error(400, "FREG-SOEK-FOR-MANGE-TREFF",
                          f"Søket ga for mange treff ({len(hits)}). Maks antall treff er {limit}. Avgrens søket.",
                          antallTreff=str(len(hits)))
    if max_hits is not None:
        hits = hits[:max_hits]
    pop = ctx.state.population
    return json_response({"foedselsEllerDNummer": [pop.identifier(int(i)) for i in hits]})


def _qualifies(c: dict) -> bool:
    address = bool(c.get("adressenavn") and (c.get("husnummer") or c.get("postnummer")))
    with_name = any(c.get(k) for k in ("identifikasjonsnummer", "foedselsdato", *UNIQUE_IDS)) or address
    with_birth = any(c.get(k) for k in ("legitimasjonsdokument", "utenlandskpersonidentifikasjon"))
    return bool((c.get("navn") and with_name) or (c.get("foedselsdato") and with_birth))


async def unique_search(ctx: Ctx):
    q = ctx.request.query_params
    unknown = sorted(set(q) - set(UNIQUE_PARAMS))
    c = {k: q[k] for k in UNIQUE_PARAMS if k not in ("part", "soekFonetisk", "opplysningsgrunnlag") and q.get(k)}
    try:
        if unknown:
            raise BadInput(f"Ukjent søkeparameter: {', '.join(unknown)}")
        fonetisk = parse_bool("soekFonetisk", q.get("soekFonetisk"))
        if not _qualifies(c):
            raise BadInput("Søkekriteriene identifiserer ikke personen entydig. Oppgi minst en av kombinasjonene "
                           "navn + identifikasjonsnummer, navn + fødselsdato, navn + adressenavn og husnummer "
                           "eller postnummer, navn + utenlandsk/annen identifikasjon, fødselsdato + "
                           "legitimasjonsdokument eller utenlandsk personidentifikasjon")
        pop = ctx.state.population
        ident = c.pop("identifikasjonsnummer", None)
        criteria = dict(c, inkluderDoede=True)
        if fonetisk is not None:
            criteria["soekFonetisk"] = fonetisk
        hits = [int(i) for i in pop.search(**criteria)]
    except (BadInput, TypeError, ValueError) as e:
        return _bad(e)
    if ident is not None:
        i = pop.index_of(ident)
        hits = [h for h in hits if h == i]
    if not hits:
        return freg_not_found("Ukjent person", "FREG-PERSON-404")
    if len(hits) > 1:
        return freg_not_found("Ikke entydig treff: flere personer oppfyller søkekriteriene", "FREG-IKKE-ENTYDIG")
    return json_response(_document(ctx, hits[0]))


def _archived(ctx: Ctx, doc_id: str) -> dict | None:
    parts = ctx.parts
    return ctx.state.population.archived(doc_id, parts=parts.elements if parts else None,
                                         med_hjemmel=ctx.role.hjemmel, historikk=bool(parts and parts.historikk))


async def get_archived(ctx: Ctx):
    doc = _archived(ctx, ctx.request.path_params["dokumentidentifikator"])
    if doc is None:
        return freg_not_found("Ukjent dokumentid", "FREG-DOKUMENT-404")
    return json_response(doc)


async def bulk_archived(ctx: Ctx):
    try:
        ids = await read_id_list(ctx, "dokumentidentifikator")
    except BadInput as e:
        return _bad(e)
    out = []
    for d in ids:
        doc = _archived(ctx, d)
        out.append({"dokumentidentifikator": d, "folkeregisterperson": doc} if doc is not None
                   else {"dokumentidentifikator": d, "feilmelding": {"feilmelding": "Ukjent dokumentid"}})
    return json_response({"oppslag": out})
