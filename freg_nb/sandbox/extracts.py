"""Freg extracts (uttrekk): order a tailored or complete job, then read its batches.

Batches are numbered from 0 and answer 404 until the job is ready; after the last batch comes
``{}``. A job counts as running (max ``config.max_jobs`` per organisation, 429 above) until its
last batch was read or it expires (``config.job_ttl_s``). Unknown or foreign jobs answer 410.
"""
from __future__ import annotations

import math
import re
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
import orjson

from freg_nb.codes import EXTRACT_PERSONSTATUSTYPER, KJOENN, SIVILSTANDSTYPER
from freg_nb.sandbox.fiks import Ctx
from freg_nb.sandbox.responses import freg_error, json_response

__all__ = ["Jobs", "order_tailored", "order_complete", "get_batch", "validate_tailored"]

STATUSES = frozenset(EXTRACT_PERSONSTATUSTYPER)
SIVILSTAND = frozenset(SIVILSTANDSTYPER)
YEARS = ("foedselsaarFraOgMed", "foedselsaarTilOgMed", "doedsaarFraOgMed", "doedsaarTilOgMed")
FIELDS = {"personstatustyper", "kommunenummer", "kjoenn", "statsborgerskap", "sivilstandstype", *YEARS}


@dataclass
class Job:
    id: str
    org: str
    kind: str            # "tilpasset" (identifiers) or "komplett" (document ids)
    indices: np.ndarray
    ready_at: float
    expires_at: float
    done: bool = False
    at_ts: int | None = None  # komplett at a feedsekvensnr: the moment whose document versions it lists

    @property
    def batches(self) -> int:
        return math.ceil(len(self.indices) / self.size) if len(self.indices) else 0

    size: int = 5000


class Jobs:
    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def running(self, org: str) -> int:
        now = time.monotonic()
        return sum(1 for j in self._jobs.values() if j.org == org and not j.done and now < j.expires_at)

    def add(self, state, org: str, kind: str, indices: np.ndarray, at_ts: int | None = None) -> Job | None:
        cfg, now = state.config, time.monotonic()
        ready = state.faults.extract_ready_after_s
        ready = cfg.extract_ready_after_s if ready is None else ready
        with self._lock:
            self._jobs = {k: j for k, j in self._jobs.items() if now < j.expires_at}
            if self.running(org) >= cfg.max_jobs:
                return None
            job = Job(str(uuid.uuid4()), org, kind, np.asarray(indices), now + ready, now + cfg.job_ttl_s,
                      size=cfg.batch_size, at_ts=at_ts)
            self._jobs[job.id] = job
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and time.monotonic() < job.expires_at else None


def lenient(body):
    """A tailored order as Freg's Java service reads it: ``null`` means absent, a year may be a JSON number."""
    if not isinstance(body, dict):
        return body
    out = {k: v for k, v in body.items() if v is not None}
    for y in YEARS:
        if isinstance(out.get(y), int) and not isinstance(out[y], bool):
            out[y] = f"{out[y]:04d}"
    if isinstance(out.get("kommunenummer"), dict):
        out["kommunenummer"] = {k: v for k, v in out["kommunenummer"].items() if v is not None}
    return out


def validate_tailored(body) -> list[str]:
    """Problems with a TilpassetUttrekkJobbRequest (empty when valid)."""
    if not isinstance(body, dict):
        return ["Forespørselen må være et JSON-objekt"]
    problems = [f"Ukjent felt: {k}" for k in sorted(set(body) - FIELDS)]
    st = body.get("personstatustyper")
    if not isinstance(st, list) or not st:
        problems.append("personstatustyper er påkrevd og må være en ikke-tom liste")
    elif not all(isinstance(s, str) and s in STATUSES for s in st):
        problems.append(f"Ugyldig personstatustype; gyldige verdier er {', '.join(sorted(STATUSES))}")
    if "kommunenummer" in body:
        k = body["kommunenummer"]
        if not isinstance(k, dict) or set(k) - {"bostedskommunenummer", "oppholdskommunenummer"} \
                or len([v for v in k.values() if v]) != 1:
            problems.append("kommunenummer må ha nøyaktig ett av bostedskommunenummer og oppholdskommunenummer")
        elif not all(isinstance(v, str) and re.fullmatch(r"\d{4}", v) for v in k.values() if v):
            problems.append("kommunenummer må ha fire sifre")
    for y in YEARS:
        if y in body and not (isinstance(body[y], str) and re.fullmatch(r"\d{4}", body[y])):
            problems.append(f"{y} må være et årstall med fire sifre")
    for lo, hi in (YEARS[:2], YEARS[2:]):
        if not problems and lo in body and hi in body and body[lo] > body[hi]:
            problems.append(f"{lo} kan ikke være etter {hi}")
    if "kjoenn" in body and body["kjoenn"] not in KJOENN:
        problems.append("kjoenn må være kvinne eller mann")
    if "statsborgerskap" in body and not (isinstance(body["statsborgerskap"], str)
                                          and re.fullmatch(r"[A-Z]{3}", body["statsborgerskap"])):
        problems.append("statsborgerskap må være en landkode med tre bokstaver (ISO 3166-1 alpha-3)")
    if "sivilstandstype" in body and body["sivilstandstype"] not in SIVILSTAND:
        problems.append("Ugyldig sivilstandstype")
    return problems


def _job_limit(state):
    """429 in the UttrekkJobbResponse shape, with ``Retry-After`` in milliseconds as every Freg 429."""
    ms = int(state.faults.retry_after_ms)
    return json_response({"feilmelding": f"Maks antall samtidige uttrekksjobber ({state.config.max_jobs}) for "
                                         "organisasjonen er nådd. Les ferdig eller vent på at en jobb utløper. "
                                         f"Vent i minimum {ms} ms før nytt kall."}, 429, {"Retry-After": str(ms)})


async def order_tailored(ctx: Ctx):
    try:
        body = orjson.loads(await ctx.request.body())
    except orjson.JSONDecodeError:
        body = None
    if not ctx.state.faults.strict_tailored:
        body = lenient(body)
    problems = validate_tailored(body)
    if problems:
        return freg_error(400, "FREG-UTTREKK-400", "; ".join(problems))
    if ctx.state.jobs.running(ctx.org) >= ctx.state.config.max_jobs:
        return _job_limit(ctx.state)
    try:
        indices = ctx.state.population.select(body)
    except (TypeError, ValueError) as e:
        return freg_error(400, "FREG-UTTREKK-400", str(e))
    job = ctx.state.jobs.add(ctx.state, ctx.org, "tilpasset", indices)
    return _job_limit(ctx.state) if job is None else json_response({"jobbId": job.id})


async def order_complete(ctx: Ctx):
    raw = ctx.request.query_params.get("feedsekvensnr")
    if raw is not None and not raw.isdigit():
        return freg_error(400, "FREG-UTTREKK-400", "feedsekvensnr må være et ikke-negativt heltall")
    if ctx.state.jobs.running(ctx.org) >= ctx.state.config.max_jobs:
        return _job_limit(ctx.state)
    pop, at_ts = ctx.state.population, None
    indices = np.arange(len(pop))
    if raw is not None:
        # "alle data i rettighetspakken opp til og med inngitt feedsekvensnummer", capped at the newest one:
        # the persons registered by then, each in the document version in force at that moment
        seq = min(int(raw), ctx.state.latest(med_hjemmel=True))
        feed = ctx.state.feed
        at_ts = feed.time_of(seq) if seq >= 1 else feed.start_ts - 1
        indices = pop.in_register_at(at_ts)
    job = ctx.state.jobs.add(ctx.state, ctx.org, "komplett", indices, at_ts)
    return _job_limit(ctx.state) if job is None else json_response({"jobbId": job.id})


async def get_batch(ctx: Ctx):
    p = ctx.request.path_params
    job_id, raw = p["jobbid"], p["batchnr"]
    if not re.fullmatch(r"\d{1,9}", raw):
        return freg_error(400, "FREG-UTTREKK-400", "batchnr må være et ikke-negativt heltall")
    n = int(raw)
    job = ctx.state.jobs.get(job_id)
    if job is None or job.org != ctx.org:
        return json_response({"feilmelding": f"Jobb med jobbid {job_id} eksisterer ikke"}, 410)
    if time.monotonic() < job.ready_at:  # the spec: UttrekkDataResponse with feilmelding
        return json_response({"feilmelding": f"Jobb med jobbid {job_id} er enda ikke ferdig, og batch {n} "
                                             "finnes ikke"}, 404)
    if n >= job.batches:
        job.done = True
        return json_response({})
    if n == job.batches - 1:
        job.done = True
    chunk = job.indices[n * job.size:(n + 1) * job.size]
    pop = ctx.state.population
    if job.kind == "komplett":
        if job.at_ts is None:
            return json_response({"dokumentidentifikator": [pop.document_id(int(i)) for i in chunk]})
        return json_response({"dokumentidentifikator": [pop.document_id_at(int(i), job.at_ts) for i in chunk]})
    return json_response({"foedselsEllerDNummer": [pop.identifier(int(i)) for i in chunk]})
