"""``FregClient``: one client per environment, the role chosen per call, one method per operation.

    >>> import freg_nb
    >>> with freg_nb.connect() as fc:                       # sandbox unless .env says otherwise
    ...     doc = fc.person("skole", "03851598730", parts=["navn"])   # doctest: +SKIP

Each call goes to ``{FIKS_BASE_URL}/folkeregister/api/v1/{rolleId}/{Freg path}``. Input is checked
locally first (identifiers, bulk size, part names, search criteria, role). 429 waits the
``Retry-After`` milliseconds; 5xx and dropped connections are retried with exponential backoff
and full jitter, within a bound on attempts and total time; extract orders are never sent twice
once they may have reached the server. Logging on ``freg_nb`` names the request id, role name,
method, path *template*, status and duration — never an identifier or a secret.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar
from urllib.parse import quote

import httpx

from . import bulkshapes, logs
from .search_criteria import birth_date
from . import ids as _ids
from .auth import AssertionSigner, FiksAuth, TokenProvider
from .codes import PART_NAMES
from .messages import field as _field
from .messages import msg
from .progress import Progress
from .config import Settings, is_uuid, new_request_id, transport_problems
from .store import DataDir
from .errors import (
    ConfigError,
    ExtractError,
    ExtractOrderUncertain,
    FregNbError,
    InputError,
    RetriesExhausted,
    ServerError,
    Throttled,
    clean_text,
    error_from_response,
    retry_after_seconds,
)

__all__ = ["BULK_MAX", "FeedPage", "FregClient", "RetryPolicy", "ClientStats"]

log = logging.getLogger("freg_nb")
T = TypeVar("T")
R = TypeVar("R")

BULK_MAX = 1000
API_PREFIX = "folkeregister/api/v1"

SEARCH_CRITERIA = frozenset({
    "navn", "kjoenn", "foedselsdato", "foedselsaarFraOgMed", "foedselsaarTilOgMed", "adressenavn",
    "husnummer", "postnummer", "kommunenummer", "fylkesnummer", "inkluderOppholdsadresse",
    "soekFonetisk", "inkluderDoede", "opplysningsgrunnlag", "maksTreff",
})
UNIQUE_SEARCH_CRITERIA = frozenset({
    "identifikasjonsnummer", "utenlandskpersonidentifikasjon", "legitimasjonsdokument",
    "utlendingsmyndighetenesidentifikasjonsnummer", "foedselsdato", "navn", "postnummer",
    "adressenavn", "husnummer", "soekFonetisk", "opplysningsgrunnlag",
})
PERSON_STATUS_TYPES = frozenset({"aktiv", "bosatt", "utflyttet", "doed", "inaktiv"})
XSD_PATHS = {"personer": "v1/personer/xsd", "hendelser": "v1/hendelser/xsd", "feed": "v1/hendelser/feedxsd"}

# Transport errors raised before the request could reach the server: safe to repeat any request.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_TRANSPORT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries. Backoff: uniform(0, min(cap, base·2^(n-1))) — "full jitter"."""

    max_attempts: int = 5
    max_total_s: float = 60.0
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 8.0
    retry_after_fallback_s: float = 1.0
    retry_after_cap_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1)))

    def retry_after(self, headers: Mapping[str, str]) -> float:
        """Seconds to wait after a 429: ``Retry-After`` is in milliseconds (Freg's convention)."""
        seconds = retry_after_seconds(headers)
        return self.retry_after_fallback_s if seconds is None else min(seconds, self.retry_after_cap_s)


@dataclass
class FeedPage:
    """One page of the hendelser feed: parsed entries (or the raw body), its ETag, and 304."""

    entries: list[dict] | bytes
    etag: str | None
    not_modified: bool = False


@dataclass
class ClientStats:
    """What the client has done (thread-safe counters)."""

    calls: int = 0
    requests: int = 0
    retries: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    bytes_received: int = 0
    bytes_sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _add(self, **kw: Any) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def _status(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

    def _retry(self, cause: str) -> None:
        with self._lock:
            self.retries[cause] += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": self.calls, "requests": self.requests, "retries": dict(self.retries),
                    "statuses": dict(self.statuses), "bytes_received": self.bytes_received,
                    "bytes_sent": self.bytes_sent}


logs.install_httpx_filter()


def _pool_limits(concurrency: int) -> httpx.Limits:
    return httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4,
                        keepalive_expiry=30.0)


class FregClient:
    """Fiks folkeregister client. Thread-safe; use as a context manager or call ``close()``."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 concurrency: int | None = None, retry: RetryPolicy | None = None,
                 progress: bool = True, sleep: Callable[[float], None] = time.sleep) -> None:
        problems = []
        if not settings.fiks_base_url:
            problems.append("FIKS_BASE_URL: no Fiks host — set FREG_NB_ENV=test/prod or FIKS_BASE_URL")
        if not settings.roles:
            problems.append("FIKS_ROLLER: no roles — name at least one: FIKS_ROLLER=skole=<role uuid>")
        if not settings.integration_id or not settings.integration_password:
            problems.append("FIKS_INTEGRASJON_ID / FIKS_INTEGRASJON_PASSORD: missing")
        problems += transport_problems(settings)  # again: settings may have slipped past (object.__setattr__)
        if problems:
            raise ConfigError(problems)
        self.settings = settings
        self.concurrency = int(concurrency or settings.concurrency)
        if self.concurrency < 1:
            raise ConfigError(["concurrency: must be a positive integer"])
        self.retry = retry or RetryPolicy()
        self.progress = progress
        self._sleep = sleep
        self._rng = random.Random()
        self._base = f"{settings.fiks_base_url.rstrip('/')}/{API_PREFIX}"  # type: ignore[union-attr]
        self.tokens = TokenProvider(settings, AssertionSigner.from_settings(settings), transport=transport)
        self.auth = FiksAuth(settings, self.tokens)
        timeout = httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout))
        self._http = httpx.Client(transport=transport, auth=self.auth, timeout=timeout,
                                  limits=_pool_limits(self.concurrency), verify=settings.verify,
                                  trust_env=False, headers={"Accept": "application/json",
                                                            "User-Agent": "freg-nb"})
        self.stats = ClientStats()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._data_dir: DataDir | None = None

    def __repr__(self) -> str:
        return f"FregClient(env={self.settings.env!r}, roles={sorted(self.settings.roles)!r})"

    @property
    def roles(self) -> Mapping[str, str]:
        """The configured roles: name → role UUID."""
        return self.settings.roles

    @property
    def data_dir(self) -> DataDir:
        """The private data folder (``settings.data_dir``), created 0700 on first use."""
        if self._data_dir is None:
            self._data_dir = DataDir(self.settings.data_dir)
        return self._data_dir

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()
        self.tokens.close()

    def __enter__(self) -> "FregClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- local checks --------------------------------------------------------------------
    def resolve_role(self, role: str) -> tuple[str, str]:
        """``(role id, role name for logs)`` for a configured role name or a role UUID."""
        if not isinstance(role, str) or not role.strip():
            raise InputError(msg("events.no_role_of", roles=", ".join(sorted(self.settings.roles))))
        role = role.strip()
        if role in self.settings.roles:
            return self.settings.roles[role], role
        if is_uuid(role):
            return role.lower(), self.settings.role_name_for(role) or f"role-{role[:8].lower()}"
        known = ", ".join(sorted(self.settings.roles)) or msg("client.no_roles")
        raise InputError(msg("client.unknown_role", role=clean_text(role, limit=40), known=known))

    @staticmethod
    def _ident(ident: object) -> str:
        try:
            return _ids.validate(ident)  # type: ignore[arg-type]
        except _ids.InvalidIdentifier as e:
            raise InputError(msg("client.bad_id", masked=e.masked, reason=e.reason)) from None
        except AttributeError:
            raise InputError(msg("client.id_not_text")) from None

    def _idents(self, idents: Iterable[object]) -> list[str]:
        out, bad = [], []
        for x in idents:
            try:
                out.append(self._ident(x))
            except InputError:
                bad.append(_ids.mask(x))
        if bad:
            shown = ", ".join(bad[:10]) + (msg("ids_input.more", n=len(bad) - 10) if len(bad) > 10 else "")
            raise InputError(msg("client.bad_ids", n=len(bad), shown=shown))
        return out

    @staticmethod
    def _bulk(items: Sequence[Any], what: str) -> list[Any]:
        items = list(items)
        if not items:
            raise InputError(msg("client.bulk_empty", what=what))
        if len(items) > BULK_MAX:
            raise InputError(msg("client.bulk_max", n=len(items), what=what, max=BULK_MAX))
        return items

    @staticmethod
    def _parts(parts: Sequence[str] | str | None) -> list[str] | None:
        if parts is None:
            return None
        if isinstance(parts, str):
            parts = [parts]
        out = []
        for p in parts:
            if p not in PART_NAMES:
                raise InputError(msg("parts.unknown", part=clean_text(p, limit=40), hint="", field=_field("parts")))
            if p not in out:
                out.append(p)
        return out or None

    @staticmethod
    def _criteria(criteria: Mapping[str, Any], allowed: frozenset[str], op: str) -> dict[str, Any]:
        unknown = sorted(set(criteria) - allowed)
        if unknown:
            raise InputError(msg("client.criteria_unknown", op=op, unknown=", ".join(unknown),
                                 allowed=", ".join(sorted(allowed))))
        out: dict[str, Any] = {}
        for k, v in criteria.items():
            if v is None:
                continue
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, (list, tuple)):
                v = [str(x) for x in v]
            else:
                v = str(v)
            out[k] = v
        if not out:
            raise InputError(msg("client.criteria_none", op=op))
        return out

    # -- the one request path ------------------------------------------------------------
    def _call(self, role: str, method: str, template: str, *, path: Mapping[str, str] | None = None,
              params: Mapping[str, Any] | None = None, json: Any = None, accept: str = "application/json",
              headers: Mapping[str, str] | None = None, repeatable: bool = True,
              ok: frozenset[int] = frozenset()) -> httpx.Response:
        role_id, role_name = self.resolve_role(role)
        rel = template.format(**{k: quote(str(v), safe="") for k, v in (path or {}).items()})
        url = f"{self._base}/{role_id}/{rel}"
        rid = new_request_id()
        what = msg("client.what", method=method, template=template, role=role_name, rid=rid)
        hdrs = {"Accept": accept, "X-Request-ID": rid, **(headers or {})}
        if json is not None:  # explicit: Freg reads a POST body without Content-Type as XML
            hdrs.setdefault("Content-Type", "application/json")
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        self.stats._add(calls=1)
        while True:
            attempt += 1
            t0 = time.monotonic()
            renewals_before = self.auth.token_retries
            try:
                response = self._http.request(method, url, params=params, json=json, headers=hdrs)
            except httpx.TransportError as e:
                ms = (time.monotonic() - t0) * 1000
                self.stats._add(requests=1)
                log.info("req=%s role=%s %s %s -> %s after %.0f ms (attempt %d)", rid, role_name, method,
                         template, type(e).__name__, ms, attempt)
                reached = not isinstance(e, _NOT_SENT)
                if not isinstance(e, _RETRYABLE_TRANSPORT):
                    raise FregNbError(msg("client.request_failed", what=what, kind=type(e).__name__,
                                          detail=clean_text(e))) from None
                if not repeatable and reached:
                    raise ExtractOrderUncertain(msg("client.order_broken", what=what, kind=type(e).__name__),
                                                last_cause=e) from None
                cause, cause_kind, wait_s = e, "connection", policy.backoff(attempt, self._rng)
            else:
                ms = (time.monotonic() - t0) * 1000
                status = response.status_code
                self.stats._add(requests=1, bytes_received=len(response.content),
                                bytes_sent=len(response.request.content or b""))
                self.stats._status(status)
                if self.auth.token_retries > renewals_before:
                    self.stats._retry("token")
                log.debug("req=%s role=%s %s %s -> %d in %.0f ms (%d bytes)", rid, role_name, method,
                          template, status, ms, len(response.content))
                if status < 400 or status in ok:
                    return response
                err = error_from_response(status, response.content, response.headers, what=what)
                if status == 429:
                    cause, cause_kind, wait_s = err, "429", policy.retry_after(response.headers)
                elif status >= 500:
                    if not repeatable:
                        raise ExtractOrderUncertain(
                            msg("client.order_answered", what=what, status=status)
                            + (f" [errorId {err.error_id}]" if err.error_id else ""), last_cause=err)
                    cause, cause_kind, wait_s = err, f"{status // 100}xx", policy.backoff(attempt, self._rng)
                else:
                    log.info("req=%s role=%s %s %s -> %d", rid, role_name, method, template, status)
                    raise err
            elapsed = time.monotonic() - started
            if attempt >= policy.max_attempts or elapsed + wait_s > policy.max_total_s:
                raise RetriesExhausted(
                    msg("client.gave_up", what=what, attempts=attempt, seconds=round(elapsed), cause=_describe(cause)),
                    last_cause=cause, attempts=attempt)
            self.stats._retry(cause_kind)
            log.info("req=%s role=%s %s %s: retry %d in %.0f ms (%s)", rid, role_name, method, template,
                     attempt, wait_s * 1000, cause_kind)
            self._sleep(wait_s)

    @staticmethod
    def _body(response: httpx.Response, raw: bool) -> Any:
        if raw:
            return response.content
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise FregNbError(f"Expected JSON from {response.request.method} but got "
                              f"{response.headers.get('Content-Type', 'no content type')}.") from None

    # -- persons -------------------------------------------------------------------------
    def person(self, role: str, ident: str, *, parts: Sequence[str] | None = None, raw: bool = False) -> Any:
        """GET v1/personer/{personidentifikator}: the newest person document."""
        ident = self._ident(ident)
        r = self._call(role, "GET", "v1/personer/{personidentifikator}", path={"personidentifikator": ident},
                       params=_part_params(self._parts(parts)))
        return self._body(r, raw)

    def bulk_lookup(self, role: str, idents: Sequence[str], *, parts: Sequence[str] | None = None,
                    raw: bool = False, ordered: bool = False) -> Any:
        """POST v1/personer/bulkoppslag (≤ 1000 ids): ``{"oppslag": [...]}``."""
        idents = self._idents(self._bulk(idents, "fødselsnummer"))
        params = _part_params(self._parts(parts)) or {}
        if ordered:
            params["somBestilt"] = "true"
        r = self._call(role, "POST", "v1/personer/bulkoppslag", params=params or None,
                       json={"foedselsEllerDNummer": idents})
        return self._body(r, raw)

    def search(self, role: str, *, raw: bool = False, **criteria: Any) -> Any:
        """GET v1/personer/soek: identifiers matching the criteria (at most 10 000 hits). ``foedselsdato`` may be
        a date or text in a common form; it is sent as Freg's ``YYYYMMDD``."""
        params = self._criteria(_search_date(criteria), SEARCH_CRITERIA, "søk")
        return self._body(self._call(role, "GET", "v1/personer/soek", params=params), raw)

    def unique_search(self, role: str, *, parts: Sequence[str] | None = None, raw: bool = False,
                      **criteria: Any) -> Any:
        """GET v1/personer/entydigsoek: exactly one person (a qualifying combination is needed)."""
        params = self._criteria(_search_date(criteria), UNIQUE_SEARCH_CRITERIA, "entydig søk")
        if "identifikasjonsnummer" in params:
            params["identifikasjonsnummer"] = self._ident(params["identifikasjonsnummer"])
        params.update(_part_params(self._parts(parts)) or {})
        return self._body(self._call(role, "GET", "v1/personer/entydigsoek", params=params), raw)

    def archived_person(self, role: str, document_id: str, *, parts: Sequence[str] | None = None,
                        raw: bool = False) -> Any:
        """GET v1/personer/arkiv/{dokumentidentifikator} (med hjemmel only)."""
        doc = _nonempty(document_id, "dokumentidentifikator")
        r = self._call(role, "GET", "v1/personer/arkiv/{dokumentidentifikator}",
                       path={"dokumentidentifikator": doc}, params=_part_params(self._parts(parts)))
        return self._body(r, raw)

    def bulk_archived(self, role: str, document_ids: Sequence[str], *, parts: Sequence[str] | None = None,
                      raw: bool = False) -> Any:
        """POST v1/personer/bulkoppslag/arkiv (≤ 1000 document ids). Parsed: ``{"oppslag": [...]}`` with one
        entry per asked id, read from either answer shape (``bulkshapes.reconcile``)."""
        docs = [_nonempty(d, "dokumentidentifikator") for d in self._bulk(document_ids, "dokumentidentifikatorer")]
        return self._bulk_documents(role, "v1/personer/bulkoppslag/arkiv", docs, bulkshapes.PERSON, raw,
                                    params=_part_params(self._parts(parts)))

    def _bulk_documents(self, role: str, template: str, docs: list[str], key: str, raw: bool,
                        params: Mapping[str, Any] | None = None) -> Any:
        """POST a ``dokumentidentifikator`` list; parsed, one entry per asked id from either answer shape (a lone
        unknown id may be answered 404 in the spec's shape: reported as that id's error)."""
        r = self._call(role, "POST", template, params=params, json={"dokumentidentifikator": docs},
                       ok=frozenset({404}) if len(docs) == 1 and not raw else frozenset())
        if raw:
            return r.content
        return bulkshapes.reconcile(self._body(r, False) if r.status_code == 200 else None, docs, key)

    # -- extracts ------------------------------------------------------------------------
    def order_tailored_extract(self, role: str, criteria: Mapping[str, Any]) -> str:
        """POST v1/uttrekk/tilpasset → jobbId. Never sent twice once it may have reached Freg."""
        body = dict(criteria)
        statuses = body.get("personstatustyper")
        if not statuses or isinstance(statuses, str):
            raise InputError(msg("criteria.status_required", field=_field("personstatustyper"),
                                 choices=", ".join(sorted(PERSON_STATUS_TYPES))))
        bad = sorted(set(statuses) - PERSON_STATUS_TYPES)
        if bad:
            raise InputError(msg("criteria.status_bad", field=_field("personstatustyper"), value=", ".join(map(str, bad)),
                                 choices=", ".join(sorted(PERSON_STATUS_TYPES))))
        r = self._call(role, "POST", "v1/uttrekk/tilpasset", json=body, repeatable=False)
        return _job_id(self._body(r, False))

    def order_complete_extract(self, role: str, feedsekvensnr: int | None = None) -> str:
        """GET v1/uttrekk/komplett → jobbId (med hjemmel). Also creates a job: never repeated blindly."""
        params = {"feedsekvensnr": str(int(feedsekvensnr))} if feedsekvensnr is not None else None
        r = self._call(role, "GET", "v1/uttrekk/komplett", params=params, repeatable=False)
        return _job_id(self._body(r, False))

    def extract_batch(self, role: str, job_id: str, batch_no: int) -> list[str] | None:
        """GET v1/uttrekk/{jobbid}/batch/{batchnr}: ids; ``None`` = not ready (404); ``[]`` = the end."""
        if int(batch_no) < 0:
            raise InputError(msg("client.batch_no"))
        r = self._call(role, "GET", "v1/uttrekk/{jobbid}/batch/{batchnr}",
                       path={"jobbid": _nonempty(job_id, "jobbId"), "batchnr": str(int(batch_no))},
                       ok=frozenset({404}))
        if r.status_code == 404:
            return None
        body = self._body(r, False) or {}
        if not isinstance(body, dict):
            raise ExtractError("Unexpected extract batch answer (not a JSON object).")
        for key in ("foedselsEllerDNummer", "dokumentidentifikator"):
            if key in body:
                return list(body[key] or [])
        return []

    # -- events --------------------------------------------------------------------------
    def feed(self, role: str, seq: int, *, etag: str | None = None, raw: bool = False) -> FeedPage:
        """GET v1/hendelser/feed?seq=N: up to 1000 events from N (inclusive); 304 when nothing is new."""
        if int(seq) < 0:
            raise InputError(msg("events.not_seq", field="seq", value=seq))
        r = self._call(role, "GET", "v1/hendelser/feed", params={"seq": str(int(seq))},
                       headers={"If-None-Match": etag} if etag else None)
        new_etag = r.headers.get("ETag") or etag
        if r.status_code == 304:
            return FeedPage(b"" if raw else [], new_etag, not_modified=True)
        body = self._body(r, raw)
        return FeedPage(body if raw else list(body or []), new_etag)

    def latest_sequence(self, role: str) -> int:
        """GET v1/hendelser/siste/sekvensnummer."""
        body = self._body(self._call(role, "GET", "v1/hendelser/siste/sekvensnummer"), False)
        return int(body["sekvensnummer"])

    def event(self, role: str, event_id: str, *, raw: bool = False) -> Any:
        """GET v1/hendelser/{hendelsesidentifikator} (med hjemmel)."""
        r = self._call(role, "GET", "v1/hendelser/{hendelsesidentifikator}",
                       path={"hendelsesidentifikator": _nonempty(event_id, "hendelsesidentifikator")})
        return self._body(r, raw)

    def bulk_events(self, role: str, event_ids: Sequence[str], *, raw: bool = False) -> Any:
        """POST v1/hendelser/bulkoppslag (≤ 1000). Parsed: ``{"oppslag": [...]}`` with one entry per asked id,
        read from either answer shape (``bulkshapes.reconcile``)."""
        docs = [_nonempty(d, "hendelsesidentifikator") for d in self._bulk(event_ids, "hendelsesidentifikatorer")]
        return self._bulk_documents(role, "v1/hendelser/bulkoppslag", docs, bulkshapes.EVENT, raw)

    def xsd(self, kind: str, *, role: str | None = None) -> bytes:
        """The XSD for ``personer``, ``hendelser`` or ``feed`` (bytes of XML)."""
        if kind not in XSD_PATHS:
            raise InputError(f"Unknown XSD {kind!r}: use one of {', '.join(XSD_PATHS)}.")
        role = role or next(iter(self.settings.roles))
        return self._call(role, "GET", XSD_PATHS[kind], accept="application/xml").content

    # -- concurrency ---------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="freg-nb")
            return self._pool

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, desc: str | None = None,
            progress: bool | None = None, return_exceptions: bool = False) -> list[R]:
        """Run ``fn(item)`` for every item, at most ``concurrency`` at a time; results in input order.

        The first error stops the rest (not yet started items are cancelled) and is raised, unless
        ``return_exceptions=True`` puts the exceptions in the result list instead.
        """
        items = list(items)
        if not items:
            return []
        show = self.progress if progress is None else progress
        bar = Progress(show, desc, len(items), unit="kall")
        pool = self._executor()
        futures: list[Future] = [pool.submit(fn, x) for x in items]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                bar.add(len(done))
                if not return_exceptions:
                    for f in done:
                        if f.exception() is not None:
                            for p in pending:
                                p.cancel()
                            raise f.exception()  # type: ignore[misc]
            if return_exceptions:
                return [f.exception() if f.exception() is not None else f.result() for f in futures]
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        finally:
            bar.close()


def _describe(cause: BaseException) -> str:
    if isinstance(cause, httpx.TransportError):
        return msg("client.connection", kind=type(cause).__name__,
                   detail=clean_text(cause, limit=120) or msg("client.no_detail"))
    if isinstance(cause, (Throttled, ServerError)):
        s = f"HTTP {cause.status}"
        if cause.error_id:
            s += f", errorId {cause.error_id}"
        if cause.reference:
            s += f", feilreferanse {cause.reference}"
        return s
    return clean_text(cause, limit=200)


def _search_date(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """The criteria with ``foedselsdato`` as ``YYYYMMDD`` (soek/entydigsoek take no other form)."""
    out = dict(criteria)
    if out.get("foedselsdato") is not None:
        out["foedselsdato"] = birth_date(out["foedselsdato"])
    return out


def _part_params(parts: list[str] | None) -> dict[str, Any] | None:
    return {"part": parts} if parts else None


def _nonempty(value: object, what: str) -> str:
    s = "" if value is None else str(value).strip()
    if not s:
        raise InputError(msg("client.empty", what=what))
    return s


def _job_id(body: Any) -> str:
    if isinstance(body, dict) and body.get("jobbId"):
        return str(body["jobbId"])
    msg = body.get("feilmelding") if isinstance(body, dict) else None
    raise ExtractError("The extract order was answered without a jobbId"
                       + (f': "{clean_text(msg)}"' if msg else "") + ".")
