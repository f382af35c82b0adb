"""The fixed set of calls a shape report makes for one role, each answer reduced to its shape at once.

One side (Fiks, or the sandbox) at a time, one call after the other (gentle, and repeatable under the
sandbox's seeded faults). The answers go through the client's one request path (``FregClient._call``:
role path, token, retries, logging without identifiers) with 4xx answers accepted, so that the
documented mistakes are answered with their real status and body. Bodies are never kept: each is
shaped (``shape.observation``) and dropped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ExtractError

from .shape import empty, freeze, observation

__all__ = ["OPERATIONS", "MISTAKES", "Plan", "run_role"]

# operation → what was called (the report's plain statement of what was called)
OPERATIONS = {
    "soek": "GET personer/soek (ett søk, høyst 3 treff)",
    "oppslag": "GET personer/{id} (hver person i utvalget: oppgitte, søkets treff eller feedsidens)",
    "bulkoppslag": "POST personer/bulkoppslag (utvalget)",
    "siste_sekvensnummer": "GET hendelser/siste/sekvensnummer",
    "feed": "GET hendelser/feed (én side, de siste hendelsene)",
    "hendelse": "GET hendelser/{hendelsesdokument} (én hendelse)",
    "hendelser_bulk": "POST hendelser/bulkoppslag (to hendelser)",
    "arkiv_bulk": "POST personer/bulkoppslag/arkiv (to persondokumenter)",
    "uttrekk_bestilling": "POST uttrekk/tilpasset (ett lite uttrekk)",
    "uttrekk_batch": "GET uttrekk/{jobbid}/batch/{nr} (uttrekkets batcher til slutten)",
    "feil_ukjent_id": "GET personer/{id} med et gyldig, ukjent nummer",
    "feil_ugyldig_id": "GET personer/{id} med et ugyldig nummer",
    "feil_del_mangler": "GET personer/{id} med en del (part) rollen ikke har",
}
MISTAKES = ("feil_ukjent_id", "feil_ugyldig_id", "feil_del_mangler")

UNKNOWN_ID = "01810010068"   # a valid synthetic number (month + 80) of 1 January 1900: no one living has it
MALFORMED_ID = "12345"
SEARCH = {"foedselsaarFraOgMed": "1980", "foedselsaarTilOgMed": "1980", "maksTreff": "3"}
_ACCEPTED = frozenset(range(400, 500)) - {401, 429}   # answered, not raised: 401 and 429 stop the report


@dataclass
class Plan:
    """What one role is asked on one side."""

    ids: list[str] = field(default_factory=list)       # persons to look up (empty: the search's hits)
    parts: list[str] | None = None                     # parts of the lookups (None: Freg's default)
    lacking_part: str | None = None                    # a part the role lacks (None: that mistake is skipped)
    extract: dict[str, Any] | None = None              # tailored-extract criteria (None: no extract)
    skip: frozenset[str] = frozenset()                 # operations not to call (refused on the other side)
    extract_wait_s: float = 60.0


def _body(r) -> Any:
    if "json" not in r.headers.get("content-type", "") or not r.content:
        return None
    try:
        return r.json()
    except ValueError:
        return None


def _get(body: Any, key: str) -> Any:
    return body.get(key) if isinstance(body, dict) else None


def _find(obj: Any, key: str) -> list[str]:
    """Every string value of ``key`` in ``obj`` (depth first)."""
    if isinstance(obj, dict):
        return [v for k, v in obj.items() if k == key and isinstance(v, str)] + \
            [x for v in obj.values() for x in _find(v, key)]
    if isinstance(obj, list):
        return [x for v in obj for x in _find(v, key)]
    return []


class _Side:
    def __init__(self, client, role: str, plan: Plan):
        self.client, self.role, self.plan = client, role, plan
        self.shapes: dict[str, dict] = {}

    def call(self, op: str, method: str, template: str, **kw) -> Any:
        if op in self.plan.skip:
            return None
        r = self.client._call(self.role, method, template, ok=_ACCEPTED, **kw)  # the one request path
        body = _body(r)
        observation(r.status_code, r.headers.keys(), body, into=self.shapes.setdefault(op, empty()))
        return body if r.status_code < 400 else None


def run_role(client, role: str, plan: Plan, *,
             sleep: Callable[[float], None] = time.sleep) -> tuple[dict[str, dict], list[str]]:
    """Make the plan's calls for ``role``: the shape of each operation's answers (frozen) by operation, and the
    persons looked up (for the audit log; they go nowhere else)."""
    s = _Side(client, role, plan)
    # the answers are read defensively: their shape is what is being found out
    hits = _get(s.call("soek", "GET", "v1/personer/soek", params=SEARCH), "foedselsEllerDNummer")
    latest = _get(s.call("siste_sekvensnummer", "GET", "v1/hendelser/siste/sekvensnummer"), "sekvensnummer")
    page = s.call("feed", "GET", "v1/hendelser/feed", params={"seq": str(max(1, int(latest) - 2))}) \
        if isinstance(latest, int) else None
    # the persons: those given, else the search's hits, else (a role without search) the feed page's
    found = (hits if isinstance(hits, list) else None) or _find(page, "folkeregisteridentifikator")
    ids = list(plan.ids) or list(dict.fromkeys(i for i in found if isinstance(i, str)))[:3]
    parts = {"part": plan.parts} if plan.parts else None
    for ident in ids:
        s.call("oppslag", "GET", "v1/personer/{personidentifikator}", path={"personidentifikator": ident},
               params=parts)
    if ids:
        s.call("bulkoppslag", "POST", "v1/personer/bulkoppslag", json={"foedselsEllerDNummer": ids}, params=parts)
    events, documents = _find(page, "hendelsesdokument")[:2], _find(page, "persondokument")[:2]
    if events:
        s.call("hendelse", "GET", "v1/hendelser/{hendelsesidentifikator}", path={"hendelsesidentifikator": events[0]})
        s.call("hendelser_bulk", "POST", "v1/hendelser/bulkoppslag", json={"dokumentidentifikator": events})
    if documents:
        s.call("arkiv_bulk", "POST", "v1/personer/bulkoppslag/arkiv", json={"dokumentidentifikator": documents})
    if plan.extract is not None:
        _extract(s, plan, sleep)
    s.call("feil_ukjent_id", "GET", "v1/personer/{personidentifikator}", path={"personidentifikator": UNKNOWN_ID})
    s.call("feil_ugyldig_id", "GET", "v1/personer/{personidentifikator}", path={"personidentifikator": MALFORMED_ID})
    if plan.lacking_part and ids:
        s.call("feil_del_mangler", "GET", "v1/personer/{personidentifikator}", path={"personidentifikator": ids[0]},
               params={"part": plan.lacking_part})
    return {op: freeze(shape) for op, shape in s.shapes.items()}, ids


def _extract(s: _Side, plan: Plan, sleep: Callable[[float], None]) -> None:
    """One tiny tailored extract: order (never sent twice), read every batch to the end marker, keep nothing."""
    order = s.call("uttrekk_bestilling", "POST", "v1/uttrekk/tilpasset", json=plan.extract, repeatable=False)
    job = _get(order, "jobbId")
    if not isinstance(job, str):
        return
    deadline, batch, wait = time.monotonic() + plan.extract_wait_s, 0, 0.25
    while batch < 5:
        r = s.client._call(s.role, "GET", "v1/uttrekk/{jobbid}/batch/{batchnr}",
                           path={"jobbid": job, "batchnr": str(batch)}, ok=_ACCEPTED)
        if r.status_code == 404 and batch == 0:   # not ready yet
            if time.monotonic() > deadline:
                raise ExtractError("timeout")
            sleep(wait)
            wait = min(wait * 2, 5.0)   # a handful of polls, not one every moment
            continue
        body = _body(r)
        observation(r.status_code, r.headers.keys(), body, into=s.shapes.setdefault("uttrekk_batch", empty()))
        if r.status_code != 200 or not any(body.values() if isinstance(body, dict) else ()):
            return   # the end: ``{}`` (or an error)
        batch += 1
