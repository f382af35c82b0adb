"""Freg person operations: oppslag, bulkoppslag, søk, entydig søk, arkiv (single and bulk)."""
from __future__ import annotations

from freg_nb.ids import is_valid
from freg_nb.sandbox.bodies import BodyError, read_list
from freg_nb.sandbox.fiks import Ctx
from freg_nb.sandbox.responses import freg_error, freg_not_found, json_response, kode_melding

__all__ = ["get_person", "bulk_persons", "search", "unique_search", "get_archived", "bulk_archived",
           "read_id_list", "parse_bool", "bulk_answer"]

SEARCH_CRITERIA = ("navn", "kjoenn", "foedselsdato", "foedselsaarFraOgMed", "foedselsaarTilOgMed", "adressenavn",
                   "husnummer", "postnummer", "kommunenummer", "fylkesnummer")
SEARCH_FLAGS = ("inkluderOppholdsadresse", "soekFonetisk", "inkluderDoede")
# entydigsoek (API-NOTES §6): identifying and non-identifying parameters
UNIQUE_IDS = ("identifikasjonsnummer", "utenlandskpersonidentifikasjon", "legitimasjonsdokument",
              "utlendingsmyndighetenesidentifikasjonsnummer")
UNIQUE_OTHERS = ("foedselsdato", "navn", "adressenavn", "husnummer")
UNIQUE_PARAMS = (*UNIQUE_IDS, *UNIQUE_OTHERS, "postnummer", "part", "soekFonetisk", "opplysningsgrunnlag")


class BadInput(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_bool(name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadInput(f"Ugyldig verdi for {name}: {value!r} (forventet true eller false)")


async def read_id_list(ctx: Ctx, field: str) -> list[str]:
    """The list under ``field`` in a JSON or XML body (read by its Content-Type, XML by default), at most
    ``max_bulk`` long (BadInput otherwise)."""
    try:
        ids = read_list(await ctx.request.body(), ctx.request.headers.get("content-type"), field)
    except BodyError as e:
        raise BadInput(str(e), e.status) from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadInput(f"Forespørselen må ha feltet {field} med en liste av tekster")
    limit = ctx.state.config.max_bulk
    if len(ids) > limit:
        raise BadInput(f"For mange identifikatorer i forespørselen: {len(ids)}. Maks antall er {limit}")
    return ids


def _elements(ctx: Ctx):
    """The asked elements; a part answer always carries identifikasjonsnummer beside them (every
    data-minimised example of Skatteetaten and KS does)."""
    parts = ctx.parts
    return parts.elements | {"identifikasjonsnummer"} if parts and parts.elements is not None else None


def _document(ctx: Ctx, i: int) -> dict:
    parts = ctx.parts
    return ctx.state.population.document(int(i), parts=_elements(ctx), med_hjemmel=ctx.role.hjemmel,
                                         historikk=bool(parts and parts.historikk))


def _bad(e: Exception):
    status = getattr(e, "status", 400)
    if status == 415:
        return kode_melding(415, "FREG-415", str(e))
    return freg_error(status, "FREG-400", str(e))


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


def _qualifies(c: dict) -> str | None:
    """None when the combination qualifies (API-NOTES §6), else the bokmål reason: at least one identifying
    parameter plus one non-identifying one (foedselsdato does not count beside identifikasjonsnummer),
    or all the non-identifying ones together."""
    ids = [k for k in UNIQUE_IDS if c.get(k)]
    others = [k for k in UNIQUE_OTHERS if c.get(k) and not (k == "foedselsdato" and c.get("identifikasjonsnummer"))]
    if (ids and others) or all(c.get(k) for k in UNIQUE_OTHERS):
        return None
    return ("Søkekriteriene identifiserer ikke personen entydig. Oppgi minst én identifiserende parameter ("
            + ", ".join(UNIQUE_IDS) + ") og én ikke-identifiserende (" + ", ".join(UNIQUE_OTHERS)
            + "; foedselsdato teller ikke sammen med identifikasjonsnummer), eller alle de ikke-identifiserende")


async def unique_search(ctx: Ctx):
    q = ctx.request.query_params
    unknown = sorted(set(q) - set(UNIQUE_PARAMS))
    c = {k: q[k] for k in UNIQUE_PARAMS if k not in ("part", "soekFonetisk", "opplysningsgrunnlag") and q.get(k)}
    try:
        if unknown:
            raise BadInput(f"Ukjent søkeparameter: {', '.join(unknown)}")
        fonetisk = parse_bool("soekFonetisk", q.get("soekFonetisk"))
        reason = _qualifies(c)
        if reason:
            raise BadInput(reason)
        pop = ctx.state.population
        ident = c.pop("identifikasjonsnummer", None)
        for k in UNIQUE_IDS[1:]:  # the sandbox matches these against the person's own documents below
            c.pop(k, None)
        criteria = dict(c, inkluderDoede=True, inkluderOppholdsadresse=True)
        if c.get("husnummer") and c["husnummer"].strip().isdigit():
            criteria["husbokstav"] = ""  # "Bokstav eller fravær av den må stemme med personens adresse"
        if fonetisk is not None:
            criteria["soekFonetisk"] = fonetisk
        hits = [int(i) for i in pop.search(**criteria)]  # a qualifying combination has a non-identifying one
    except (BadInput, TypeError, ValueError) as e:
        return _bad(e)
    if ident is not None:
        hits = [h for h in hits if h == pop.index_of(ident)]
    hits = [h for h in hits if _matches_ids(ctx, h, q)]
    if not hits:
        return freg_not_found("Ukjent person", "FREG-PERSON-404")
    if len(hits) > 1:
        return freg_not_found("Ikke entydig treff: søket er ikke entydig, flere personer oppfyller søkekriteriene",
                              "FREG-IKKE-ENTYDIG")
    return json_response(_document(ctx, hits[0]))


_ID_ELEMENTS = {"utenlandskpersonidentifikasjon": ("utenlandskPersonidentifikasjon", "identifikasjonsnummer"),
                "legitimasjonsdokument": ("legitimasjonsdokument", "identifikasjonsdokumentnummer"),
                "utlendingsmyndighetenesidentifikasjonsnummer": ("utlendingsmyndighetenesIdentifikasjonsnummer",
                                                                 "identifikasjonsnummer")}


def _matches_ids(ctx: Ctx, i: int, q) -> bool:
    """Whether person i carries the foreign/document/DUF ids asked for (``LAND-nummer`` or the bare number)."""
    wanted = {k: q[k] for k in _ID_ELEMENTS if q.get(k)}
    if not wanted:
        return True
    doc = ctx.state.population.document(i, parts=[e for e, _ in _ID_ELEMENTS.values()], med_hjemmel=True)
    for k, value in wanted.items():
        element, field = _ID_ELEMENTS[k]
        have = {str(v.get(field)) for v in doc.get(element, [])} | {
            f"{v.get('utstederland')}-{v.get(field)}" for v in doc.get(element, [])}
        if value.strip() not in have:
            return False
    return True


def _archived(ctx: Ctx, doc_id: str) -> dict | None:
    parts = ctx.parts
    return ctx.state.population.archived(doc_id, parts=_elements(ctx),
                                         med_hjemmel=ctx.role.hjemmel, historikk=bool(parts and parts.historikk))


async def get_archived(ctx: Ctx):
    doc = _archived(ctx, ctx.request.path_params["dokumentidentifikator"])
    if doc is None:
        return freg_not_found("Ukjent dokumentid", "FREG-DOKUMENT-404")
    return json_response(doc)


async def bulk_archived(ctx: Ctx):
    """Answer shape per ``SandboxConfig.bulk_archived_shape``: "wrapper" (one entry per asked id, unknown ones
    with a ``feilmelding``) or "spec" (the spec's Folkeregisterperson: a lone id gets one document, several a
    list of documents; unknown ids are left out, as the spec has no place for them)."""
    try:
        ids = await read_id_list(ctx, "dokumentidentifikator")
    except BadInput as e:
        return _bad(e)
    docs = [(d, _archived(ctx, d)) for d in ids]
    return bulk_answer(ctx.state.config.bulk_archived_shape, docs, "folkeregisterperson", "Ukjent dokumentid")


def bulk_answer(shape: str, docs: list[tuple[str, dict | None]], key: str, unknown: str):
    """A bulk answer of (asked id, document or None) pairs in the configured shape (see bulk_archived)."""
    if shape == "spec":
        found = [doc for _, doc in docs if doc is not None]
        if len(docs) == 1:
            return json_response(found[0]) if found else freg_not_found(unknown, "FREG-DOKUMENT-404")
        return json_response(found)
    return json_response({"oppslag": [{"dokumentidentifikator": d, key: doc} if doc is not None else
                                      {"dokumentidentifikator": d, "feilmelding": {"feilmelding": unknown}}
                                      for d, doc in docs]})
