"""The sandbox ASGI app: shared state, the Fiks/Freg routes, Maskinporten and the admin endpoints."""
from __future__ import annotations

import asyncio
import dataclasses
import threading
from concurrent.futures import Future

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from freg_nb.sandbox import events, extracts, persons
from freg_nb.sandbox.bodies import JSON, TEXT, XML
from freg_nb.sandbox.counters import Counters
from freg_nb.sandbox.faults import SCENARIOS, FaultPlan, Faults, scenario_faults, scenario_of
from freg_nb.sandbox.fiks import fiks_route
from freg_nb.sandbox.maskinporten import Maskinporten
from freg_nb.sandbox.pki import Pki
from freg_nb.sandbox.population import PART_NAMES
from freg_nb.sandbox.responses import json_response, kode_melding
from freg_nb.sandbox.roles import Role, load_roles
from freg_nb.sandbox.settings import SandboxConfig

__all__ = ["SandboxState", "build_app"]

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class SandboxState:
    """Everything the routes share. The event feed is built lazily on first use; the population may
    still be in the making (a Future) while the server already answers tokens and admin calls."""

    def __init__(self, config: SandboxConfig, pki: Pki, population, feed_factory):
        self.config = config
        self.pki = pki
        self._population = population
        self._feed_factory = feed_factory
        self._feed = None
        self._feed_lock = threading.Lock()
        self.roles: dict[str, Role] = load_roles(config.roles_file)
        self.plan = FaultPlan(dataclasses.replace(config.faults))
        if config.scenario:
            self.plan.replace(scenario_faults(config.scenario))
        self.counters = Counters()
        self.jobs = extracts.Jobs()
        self.url = ""
        self.maskinporten = Maskinporten(self)
        self.part_names = set(PART_NAMES)

    json = staticmethod(json_response)

    @property
    def population(self):
        """The Population (waits for it while it is being built)."""
        if isinstance(self._population, Future):
            self._population = self._population.result()
        return self._population

    async def population_ready(self) -> None:
        """Wait, without blocking the event loop, until the population is built."""
        if isinstance(self._population, Future) and not self._population.done():
            await asyncio.wrap_future(self._population)

    @property
    def faults(self) -> Faults:
        return self.plan.faults

    @property
    def feed(self):
        if self._feed is None:
            with self._feed_lock:
                if self._feed is None:
                    self._feed = self._feed_factory(self.population)
        return self._feed

    def feed_page(self, seq: int, *, med_hjemmel: bool):
        return self.feed.page(seq, med_hjemmel=med_hjemmel, size=self.config.feed_page_size)

    def latest(self, *, med_hjemmel: bool) -> int:
        try:
            return int(self.feed.latest(med_hjemmel=med_hjemmel))
        except TypeError:
            return int(self.feed.latest())

    def role_for(self, role_id: str) -> Role | None:
        """The role with this id as the integration sees it (scenario flags applied), or None."""
        f = self.faults
        for role in self.roles.values():
            if role.id != role_id:
                continue
            if f.role_not_granted == role.name:
                return None
            for flag, kw in ((f.role_missing_part, "part"), (f.role_missing_service, "service")):
                if flag and flag.partition(":")[0] == role.name:
                    role = role.without(**{kw: flag.partition(":")[2]})
            return role
        return None

    def info(self) -> dict:
        c = self.pki.credentials
        return {"url": self.url, "fiks_base_url": self.url, "maskinporten_issuer": self.maskinporten.issuer,
                "roles": {n: r.id for n, r in self.roles.items()}, "client_id": c.client_id,
                # the roles as set up in "Fiks forvaltning" (before scenario flags): what doctor expects
                "role_setup": {n: {"services": sorted(r.services), "parts": sorted(r.parts), "hjemmel": r.hjemmel}
                               for n, r in self.roles.items()},
                "integration_id": c.integration_id, "org_number": c.org_number, "kid": c.kid,
                "persons": self.config.persons, "seed": self.config.seed,
                "scenarios": {n: s.beskrivelse for n, s in SCENARIOS.items()},
                "faults": self.faults.to_dict(), "scenario": scenario_of(self.faults)}


def _routes(s: SandboxState) -> list[Route]:
    P = persons
    return [
        fiks_route(s, "v1/personer/soek", P.search, service="soek"),
        fiks_route(s, "v1/personer/entydigsoek", P.unique_search, service="soek", parts=True,
                   xml_root="folkeregisterperson"),
        fiks_route(s, "v1/personer/xsd", events.xsd("personer"), service=None, offers=(XML,)),
        fiks_route(s, "v1/personer/bulkoppslag/arkiv", P.bulk_archived, service="oppslag", methods=("POST",),
                   parts=True, hjemmel_only=True),
        fiks_route(s, "v1/personer/bulkoppslag", P.bulk_persons, service="oppslag", methods=("POST",), parts=True),
        fiks_route(s, "v1/personer/arkiv/{dokumentidentifikator}", P.get_archived, service="oppslag", parts=True,
                   hjemmel_only=True),
        fiks_route(s, "v1/personer/{personidentifikator}", P.get_person, service="oppslag", parts=True,
                   xml_root="folkeregisterperson"),
        fiks_route(s, "v1/uttrekk/tilpasset", extracts.order_tailored, service="uttrekk", methods=("POST",)),
        fiks_route(s, "v1/uttrekk/komplett", extracts.order_complete, service="uttrekk", hjemmel_only=True),
        fiks_route(s, "v1/uttrekk/{jobbid}/batch/{batchnr}", extracts.get_batch, service="uttrekk"),
        fiks_route(s, "v1/hendelser/feed", events.feed_page, service="hendelser"),
        fiks_route(s, "v1/hendelser/siste/sekvensnummer", events.latest_sequence, service="hendelser",
                   offers=(JSON, XML, TEXT)),
        fiks_route(s, "v1/hendelser/xsd", events.xsd("hendelser"), service=None, offers=(XML,)),
        fiks_route(s, "v1/hendelser/feedxsd", events.xsd("feed"), service=None, offers=(XML,)),
        fiks_route(s, "v1/hendelser/bulkoppslag", events.bulk_events, service="hendelser", methods=("POST",),
                   hjemmel_only=True),
        fiks_route(s, "v1/hendelser/{hendelsesidentifikator}", events.get_event, service="hendelser",
                   hjemmel_only=True),
    ]


def _admin(s: SandboxState) -> list[Route]:
    def loopback_only(fn):
        async def endpoint(request: Request) -> Response:
            if request.client is None or request.client.host not in LOOPBACK:
                return json_response({"error": "admin endpoints answer loopback clients only"}, 403)
            return await fn(request)
        return endpoint

    async def info(request):
        return json_response(s.info())

    async def faults(request):
        if request.method == "POST":
            try:
                body = await request.json()
                new = dataclasses.replace(s.faults)
                new.update(**body)
            except (ValueError, TypeError) as e:
                return json_response({"error": str(e)}, 400)
            s.plan.replace(new)
        return json_response(s.faults.to_dict())

    async def scenario(request):
        try:
            s.plan.replace(scenario_faults(request.path_params["name"]))
        except ValueError as e:
            return json_response({"error": str(e)}, 404)
        return json_response(s.faults.to_dict())

    async def counters(request):
        return json_response(s.counters.snapshot())

    async def course(request):
        from freg_nb.sandbox.course_answers import answer

        try:
            body = await request.json() if request.method == "POST" else None
        except ValueError as e:
            return json_response({"error": str(e)}, 400)
        if request.path_params["question"] != "scenario":
            await s.population_ready()
        found, problem = await run_in_threadpool(answer, s, request.path_params["question"],
                                                 dict(request.query_params), body)
        return json_response(found if problem is None else {"error": problem}, 200 if problem is None else 404)

    async def reset(request):
        s.counters.reset()
        s.plan.replace(Faults())
        return json_response({"reset": True})

    return [
        Route("/_sandbox/info", loopback_only(info)),
        Route("/_sandbox/faults", loopback_only(faults), methods=["GET", "POST"]),
        Route("/_sandbox/scenario/{name}", loopback_only(scenario), methods=["POST"]),
        Route("/_sandbox/counters", loopback_only(counters)),
        Route("/_sandbox/reset", loopback_only(reset), methods=["POST"]),
        Route("/_sandbox/kurs/{question}", loopback_only(course), methods=["GET", "POST"]),
    ]


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected error answers in Freg's 5xx shape (the traceback goes to the server log, never out)."""
    return kode_melding(500, "FREG-001", "Feil i tjenesten. Vennligst prøv igjen seinere.")


def build_app(state: SandboxState) -> Starlette:
    return Starlette(routes=_routes(state) + state.maskinporten.routes() + _admin(state),
                     exception_handlers={Exception: _server_error})
