"""The Fiks proxy layer: faults, authentication (token + integration), role, service, parts, Accept.

Every Freg operation is mounted at ``/folkeregister/api/v1/{rolleId}/v1/...`` through ``fiks_route``;
the Freg handler only runs once the call would pass Fiks. Messages are KS's own.
"""
from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass

from starlette.requests import Request
from starlette.routing import Route

from starlette.responses import Response

from freg_nb.sandbox.bodies import JSON, XML, negotiate, to_xml
from freg_nb.sandbox.responses import DroppedResponse, fiks_error, freg_error, kode_melding
from freg_nb.sandbox.roles import PartCheck, Role

__all__ = ["Ctx", "fiks_route", "PREFIX"]

PREFIX = "/folkeregister/api/v1/{rolleId}/"
TOKEN_MESSAGE = "Klarte ikke å validere access_token"


@dataclass
class Ctx:
    state: object
    request: Request
    role: Role
    org: str
    parts: PartCheck | None
    answer_type: str = JSON  # the negotiated answer media type (bodies.negotiate)


def _integration_failed(path: str, integration_id: str):
    return fiks_error(401, path, f"Autentisering feilet for integrasjon med id {integration_id}",
                      "AUTENTISERING_FEILET")


def authenticate(state, request: Request):
    """(org number) or an error Response for the token and integration checks."""
    path = request.url.path
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    claims = state.maskinporten.verify_access_token(token.strip()) if scheme.lower() == "bearer" else None
    if claims is None:
        return fiks_error(401, path, TOKEN_MESSAGE, "UGYLDIG_ACCESS_TOKEN")
    consumer = claims.get("consumer") or {}
    token_org = str(consumer.get("ID", "")).rpartition(":")[2]
    creds = state.pki.credentials
    given_id = request.headers.get("integrasjonid", "")
    given_pw = request.headers.get("integrasjonpassord", "")
    expected_pw = creds.integration_password + ("-rotert" if state.faults.integration_password_rotated else "")
    authorised_org = creds.other_org_number if state.faults.integration_org_mismatch else creds.org_number
    ok = (hmac.compare_digest(given_id.encode(), creds.integration_id.encode())
          & hmac.compare_digest(given_pw.encode(), expected_pw.encode())
          & (token_org == authorised_org))
    if not ok:
        return _integration_failed(path, given_id)
    return token_org


def fiks_route(state, path: str, handler, *, service: str | None, methods=("GET",), parts: bool = False,
               hjemmel_only: bool = False, offers: tuple[str, ...] = (JSON, XML), xml_root: str = "svar") -> Route:
    """A Route for the Freg operation at ``v1/...`` ``path`` behind the Fiks checks."""
    template = PREFIX + path

    async def endpoint(request: Request):
        counters = state.counters
        counters.add("route", f"{request.method} {path}")
        if not request.headers.get("accept"):
            counters.add("missing_header", "Accept")  # Freg then picks JSON or the body's type; a client should say
        if request.method == "POST" and not request.headers.get("content-type"):
            counters.add("missing_header", "Content-Type")  # the body is then read as XML
        counters.enter()
        try:
            response = await _serve(request)
        finally:
            counters.leave()
        role = getattr(request.state, "role_name", None)
        if role:
            counters.add("role", role)
        counters.add("status", str(response.status_code) if not isinstance(response, DroppedResponse) else "dropped")
        return response

    async def _serve(request: Request):
        delay, fault = state.plan.draw()
        if delay:
            await asyncio.sleep(delay)
        if fault:
            state.counters.add("faults", fault)
            if fault == "drop":
                return DroppedResponse()
            if fault == "429":
                ms = int(state.faults.retry_after_ms)
                return kode_melding(429, "FREG-429", "For mange kall er gjort på kort tid. Vent i minimum "
                                    f"{ms} ms før nytt kall.", {"Retry-After": str(ms)})
            return kode_melding(int(fault), "FREG-001", "Feil i tjenesten. Vennligst prøv igjen seinere.")
        org = authenticate(state, request)
        if not isinstance(org, str):
            return org
        rpath = request.url.path
        role = state.role_for(request.path_params["rolleId"])
        if role is None:
            return fiks_error(403, rpath, f"Integrasjon {state.pki.credentials.integration_id} har ikke tilgang "
                              f"til rolle {request.path_params['rolleId']}", "MANGLER_TILGANG_TIL_ROLLE")
        request.state.role_name = role.name
        if service and service not in role.services:
            return fiks_error(403, rpath, f"Rollen {role.id} har ikke tilgang til tjenesten {service}",
                              "MANGLER_TILGANG_TIL_TJENESTE")
        answer_type = negotiate(request.headers.get("accept"), offers,
                                request.headers.get("content-type") if request.method == "POST" else None)
        if answer_type is None:
            return kode_melding(406, "FREG-406", f"Kan ikke levere innhold av typen {request.headers.get('accept')}; "
                                f"tjenesten leverer {', '.join(offers)}")
        check = None
        if parts:
            requested = request.query_params.getlist("part")
            unknown = sorted(set(requested) - state.part_names)
            if unknown:
                return freg_error(400, "FREG-400", f"Ugyldig part: {', '.join(unknown)}")
            check = role.check_parts(requested)
            if check.refused:
                return fiks_error(403, rpath, f"Rollen {role.id} har ikke tilgang til følgende deler: "
                                  f"{', '.join(check.refused)}", "MANGLER_TILGANG_TIL_DEL")
        if hjemmel_only and not role.hjemmel:
            return freg_error(403, "FREG-403", "Tjenesten er bare tilgjengelig for rettighetspakker med hjemmel")
        await state.population_ready()
        response = await handler(Ctx(state, request, role, org, check, answer_type))
        if answer_type == XML and response.media_type == JSON and response.status_code == 200:
            import orjson
            return Response(to_xml(orjson.loads(response.body), xml_root), headers={
                k: v for k, v in response.headers.items() if k.lower() == "etag"}, media_type=XML)
        return response

    return Route(template, endpoint, methods=list(methods), name=path)
