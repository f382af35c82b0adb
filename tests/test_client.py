"""freg_nb.client: paths and parameters of the 16 operations, local checks, retries, map, logging.

Unit tests use ``httpx.MockTransport`` (a fake Maskinporten + Fiks in one handler); the tests at
the bottom run against the sandbox over real HTTP.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace

import httpx
import pytest

from freg_nb import (
    ConfigError, ExtractOrderUncertain, FregClient, InputError, NotFound, RetriesExhausted, RetryPolicy,
    ServerError, Settings, Throttled, errors,
)
from freg_nb.client import BULK_MAX
from freg_nb.config import Secret

ROLE = "5b1e5c0c-3a4f-4d55-9f0b-0d6f0e1a2b3c"
OTHER_ROLE = "7c2f6d1d-4b5a-4e66-8a1c-1e7a1f2b3c4d"
INTEGRATION = "0f2c5a4e-1111-2222-3333-444455556666"
PW = "canary-integration-pw-7781"
ID1, ID2 = "03851598730", "41819077906"  # Skatteetaten's synthetic test numbers
BASE = "https://fiks.example.test"
PREFIX = f"/folkeregister/api/v1/{ROLE}/"
from conftest import FAST_RETRY, sandbox_client  # noqa: E402

# The shared fast policy, with the production Retry-After fallback and cap (this file tests them).
FAST = replace(FAST_RETRY, retry_after_fallback_s=1.0, retry_after_cap_s=30.0)


@pytest.fixture(scope="module")
def key_settings(tmp_path_factory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return Settings(env="test", fiks_base_url=BASE, maskinporten_issuer="https://mp.example.test/",
                    client_id="client-1", kid="kid-1", private_key=Secret(pem), integration_id=INTEGRATION,
                    integration_password=Secret(PW), roles={"skole": ROLE, "barnevern": OTHER_ROLE},
                    concurrency=4)


class Fake:
    """A handler: Maskinporten's token endpoint plus scripted Fiks answers; records requests."""

    def __init__(self, answers=None):
        self.answers = list(answers or [])  # callables or (status, body, headers) consumed in order
        self.requests: list[httpx.Request] = []
        self.grants = 0
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            with self.lock:
                self.grants += 1
            return httpx.Response(200, json={"access_token": f"tok-{self.grants}", "expires_in": 120,
                                             "token_type": "Bearer", "scope": "ks:fiks"})
        with self.lock:
            self.requests.append(request)
            answer = self.answers.pop(0) if self.answers else (200, {}, {})
        if callable(answer):
            return answer(request)
        status, body, headers = answer
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers)

    @property
    def fiks(self):
        return [r for r in self.requests]


def make(settings, fake, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("progress", False)
    return FregClient(settings, transport=httpx.MockTransport(fake), **kw)


# --------------------------------------------------------------------------- the 16 operations
OPS = [
    # (call, method, path after the role, query, json body, answer)
    (lambda c: c.person("skole", ID1, parts=["navn", "status"]), "GET", f"v1/personer/{ID1}",
     "part=navn&part=status", None, {"navn": []}),
    (lambda c: c.bulk_lookup("skole", [ID1, ID2], parts=["navn"]), "POST", "v1/personer/bulkoppslag",
     "part=navn", {"foedselsEllerDNummer": [ID1, ID2]}, {"oppslag": []}),
    (lambda c: c.search("skole", navn="Ola", kommunenummer="0301", inkluderDoede=False), "GET",
     "v1/personer/soek", "navn=Ola&kommunenummer=0301&inkluderDoede=false", None, {"treff": []}),
    (lambda c: c.unique_search("skole", navn="Ola", foedselsdato="1990-01-01", parts=["navn"]), "GET",
     "v1/personer/entydigsoek", "navn=Ola&foedselsdato=19900101&part=navn", None, {}),
    (lambda c: c.archived_person("barnevern", "doc-1/x"), "GET", "v1/personer/arkiv/doc-1%2Fx", "", None, {}),
    (lambda c: c.bulk_archived("barnevern", ["d1", "d2"]), "POST", "v1/personer/bulkoppslag/arkiv", "",
     {"dokumentidentifikator": ["d1", "d2"]}, {"oppslag": []}),
    (lambda c: c.order_tailored_extract("skole", {"personstatustyper": ["bosatt"],
                                                   "kommunenummer": {"bostedskommunenummer": "0301"}}),
     "POST", "v1/uttrekk/tilpasset", "", {"personstatustyper": ["bosatt"],
                                         "kommunenummer": {"bostedskommunenummer": "0301"}}, {"jobbId": "j1"}),
    (lambda c: c.order_complete_extract("barnevern", feedsekvensnr=42), "GET", "v1/uttrekk/komplett",
     "feedsekvensnr=42", None, {"jobbId": "j2"}),
    (lambda c: c.extract_batch("skole", "j1", 3), "GET", "v1/uttrekk/j1/batch/3", "", None,
     {"foedselsEllerDNummer": [ID1]}),
    (lambda c: c.feed("barnevern", 1001), "GET", "v1/hendelser/feed", "seq=1001", None, [{"sekvensnummer": 1001}]),
    (lambda c: c.latest_sequence("barnevern"), "GET", "v1/hendelser/siste/sekvensnummer", "", None,
     {"sekvensnummer": 77}),
    (lambda c: c.event("barnevern", "h-1"), "GET", "v1/hendelser/h-1", "", None, {}),
    (lambda c: c.bulk_events("barnevern", ["h-1", "h-2"]), "POST", "v1/hendelser/bulkoppslag", "",
     {"dokumentidentifikator": ["h-1", "h-2"]}, []),
    (lambda c: c.xsd("personer"), "GET", "v1/personer/xsd", "", None, b"<xs:schema/>"),
    (lambda c: c.xsd("hendelser"), "GET", "v1/hendelser/xsd", "", None, b"<xs:schema/>"),
    (lambda c: c.xsd("feed"), "GET", "v1/hendelser/feedxsd", "", None, b"<xs:schema/>"),
]


@pytest.mark.parametrize("call, method, path, query, body, answer", OPS, ids=[o[2] for o in OPS])
def test_each_operation_path_headers_and_body(key_settings, call, method, path, query, body, answer):
    fake = Fake([(200, answer, {})])
    with make(key_settings, fake) as c:
        result = call(c)
    (req,) = fake.requests
    assert req.method == method
    assert req.url.host == "fiks.example.test"
    assert req.url.raw_path.decode().split("?")[0] in {f"/folkeregister/api/v1/{r}/{path}" for r in (ROLE, OTHER_ROLE)}
    assert req.url.query.decode() == query
    assert req.headers["Authorization"] == "Bearer tok-1"
    assert req.headers["IntegrasjonId"] == INTEGRATION and req.headers["IntegrasjonPassord"] == PW
    if body is not None:
        assert json.loads(req.content) == body and req.headers["Content-Type"] == "application/json"
    assert req.headers["Accept"] == ("application/xml" if "xsd" in path else "application/json")
    assert result is not None


def test_returns_parsed_values_and_raw_bytes(key_settings):
    doc = {"identifikasjonsnummer": [{"foedselsEllerDNummer": ID1}]}
    fake = Fake([(200, doc, {}), (200, doc, {}), (200, {"jobbId": "job-9"}, {}), (200, {}, {}),
                 (404, {"code": "x", "message": "ikke klar"}, {}), (200, {"sekvensnummer": 12}, {}),
                 (200, [{"sekvensnummer": 5}], {"ETag": '"e1"'}), (304, b"", {"ETag": '"e1"'})])
    with make(key_settings, fake) as c:
        assert c.person("skole", ID1) == doc
        assert json.loads(c.person("skole", ID1, raw=True)) == doc
        assert c.order_tailored_extract("skole", {"personstatustyper": ["bosatt"]}) == "job-9"
        assert c.extract_batch("skole", "job-9", 1) == []        # {} = the end
        assert c.extract_batch("skole", "job-9", 0) is None      # 404 = not ready
        assert c.latest_sequence("skole") == 12
        page = c.feed("skole", 5)
        assert page.entries == [{"sekvensnummer": 5}] and page.etag == '"e1"' and not page.not_modified
        again = c.feed("skole", 6, etag=page.etag)
        assert again.not_modified and again.entries == [] and fake.requests[-1].headers["If-None-Match"] == '"e1"'


def test_role_by_uuid_and_unknown_role(key_settings):
    fake = Fake([(200, {}, {})])
    with make(key_settings, fake) as c:
        c.person(OTHER_ROLE.upper(), ID1)
        assert f"/{OTHER_ROLE}/" in fake.requests[0].url.path
        with pytest.raises(InputError, match="Ukjent rolle 'rektor'.*barnevern, skole"):
            c.person("rektor", ID1)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("call, message", [
    (lambda c: c.person("skole", "03851598731"), "Ugyldig fødsels- eller D-nummer 038515\\*\\*\\*\\*\\*"),
    (lambda c: c.person("skole", 3851598730), "er ikke en tekst med sifre"),
    (lambda c: c.bulk_lookup("skole", [ID1] * (BULK_MAX + 1)), "høyst 1000"),
    (lambda c: c.bulk_lookup("skole", []), "Ingen fødselsnummer"),
    (lambda c: c.bulk_lookup("skole", [ID1, "12345678901", "x"]), "2 ugyldige"),
    (lambda c: c.bulk_archived("skole", ["d"] * 1001), "høyst 1000"),
    (lambda c: c.person("skole", ID1, parts=["navn", "skonummer"]), "Ukjent del 'skonummer'"),
    (lambda c: c.search("skole", fornavn="Ola"), "Ukjente kriterier for søk: fornavn"),
    (lambda c: c.search("skole"), "Ingen kriterier for søk"),
    (lambda c: c.unique_search("skole", identifikasjonsnummer="03851598731", navn="x"), "Ugyldig"),
    (lambda c: c.order_tailored_extract("skole", {"personstatustyper": ["levende"]}), "'levende' kan ikke brukes"),
    (lambda c: c.order_tailored_extract("skole", {}), "Personstatus \\(personstatustyper\\)» må ha minst én verdi"),
    (lambda c: c.xsd("person"), "Unknown XSD"),
])
def test_local_checks_send_nothing(key_settings, call, message):
    fake = Fake()
    with make(key_settings, fake) as c:
        with pytest.raises(InputError, match=message) as ei:
            call(c)
    assert fake.requests == [] and fake.grants == 0
    assert "03851598731" not in str(ei.value) and "12345678901" not in str(ei.value)


def test_verify_false_only_on_loopback(key_settings):
    with pytest.raises(ConfigError, match="TLS-kontroll kan bare slås av for adresser på egen maskin"):
        FregClient(key_settings.with_overrides(verify=False))
    loop = key_settings.with_overrides(verify=False, fiks_base_url="http://127.0.0.1:9",
                                       maskinporten_issuer="http://127.0.0.1:9/maskinporten/")
    FregClient(loop).close()


def test_pool_limits_cover_concurrency(key_settings):
    with make(key_settings, Fake(), concurrency=16) as c:
        pool = c._http._transport  # MockTransport has no pool; check the configured limits instead
        assert pool is not None
        from freg_nb.client import _pool_limits

        lim = _pool_limits(c.concurrency)
        assert lim.max_connections >= 16 and lim.max_keepalive_connections >= 16


# --------------------------------------------------------------------------- retries
def test_429_waits_retry_after_milliseconds(key_settings):
    fake = Fake([(429, {"kode": "FREG-429", "melding": "vent"}, {"Retry-After": "300"}), (200, {}, {})])
    with make(key_settings, fake) as c:
        t0 = time.monotonic()
        c.person("skole", ID1)
        waited = time.monotonic() - t0
    assert 0.3 <= waited < 1.0, waited  # milliseconds, not seconds
    assert c.stats.retries["429"] == 1 and c.stats.statuses[429] == 1 and c.stats.statuses[200] == 1


@pytest.mark.parametrize("header, expected", [(None, 1.0), ("soon", 1.0), ("-5", 1.0), ("nan", 1.0),
                                              ("250", 0.25), ("999999999", 30.0), ("0", 0.0)])
def test_retry_after_fallback_and_cap(key_settings, header, expected):
    waits = []
    headers = {"Retry-After": header} if header is not None else {}
    fake = Fake([(429, b"", headers), (200, {}, {})])
    with make(key_settings, fake, sleep=waits.append, retry=RetryPolicy(max_total_s=100)) as c:
        c.person("skole", ID1)
    assert waits == [expected]


def test_5xx_then_success_and_backoff_is_full_jitter(key_settings):
    waits = []
    fake = Fake([(503, b"", {}), (500, {"kode": "FREG-001", "melding": "feil"}, {}), (200, {"ok": 1}, {})])
    policy = RetryPolicy(max_attempts=5, backoff_base_s=0.5, backoff_cap_s=0.8, max_total_s=100)
    with make(key_settings, fake, sleep=waits.append, retry=policy) as c:
        assert c.person("skole", ID1) == {"ok": 1}
        assert c.stats.retries["5xx"] == 2
    assert len(waits) == 2 and 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 0.8


def test_5xx_gives_up_after_bound(key_settings):
    fake = Fake([(500, {"kode": "FREG-001", "melding": "Feil i tjenesten"}, {})] * 10)
    with make(key_settings, fake) as c:
        with pytest.raises(RetriesExhausted) as ei:
            c.person("skole", ID1)
    assert len(fake.requests) == FAST.max_attempts
    e = ei.value
    assert isinstance(e.last_cause, ServerError) and e.status == 500 and e.attempts == 4
    assert "ga opp etter 4 forsøk" in str(e) and "HTTP 500" in str(e)
    assert ID1 not in str(e) and "v1/personer/{personidentifikator}" in str(e)


def test_total_time_bound(key_settings):
    fake = Fake([(429, b"", {"Retry-After": "400"})] * 10)
    with make(key_settings, fake, retry=RetryPolicy(max_attempts=10, max_total_s=0.5)) as c:
        t0 = time.monotonic()
        with pytest.raises(RetriesExhausted) as ei:
            c.person("skole", ID1)
    assert time.monotonic() - t0 < 0.9 and len(fake.requests) == 2
    assert isinstance(ei.value.last_cause, Throttled)


def _raise(exc):
    def handler(request):
        raise exc("boom", request=request)
    return handler


@pytest.mark.parametrize("exc", [httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError,
                                 httpx.ReadTimeout])
def test_dropped_connection_is_retried(key_settings, exc):
    fake = Fake([_raise(exc), _raise(exc), (200, {"ok": 1}, {})])
    with make(key_settings, fake) as c:
        assert c.person("skole", ID1) == {"ok": 1}
        assert c.stats.retries["connection"] == 2


def test_dropped_connection_gives_up(key_settings):
    fake = Fake([_raise(httpx.RemoteProtocolError)] * 10)
    with make(key_settings, fake) as c:
        with pytest.raises(RetriesExhausted, match="forbindelsesproblem \\(RemoteProtocolError") as ei:
            c.bulk_lookup("skole", [ID1])
    assert isinstance(ei.value.last_cause, httpx.RemoteProtocolError) and len(fake.requests) == 4


@pytest.mark.parametrize("answer", [(500, b"", {}), (502, b"<html>", {}), _raise(httpx.RemoteProtocolError),
                                    _raise(httpx.ReadTimeout)])
def test_extract_order_is_never_sent_twice_once_it_may_have_arrived(key_settings, answer):
    fake = Fake([answer, (200, {"jobbId": "dup"}, {})])
    with make(key_settings, fake) as c:
        with pytest.raises(ExtractOrderUncertain, match="KAN være opprettet"):
            c.order_tailored_extract("skole", {"personstatustyper": ["bosatt"]})
    assert len(fake.requests) == 1


@pytest.mark.parametrize("answer", [(429, b"", {"Retry-After": "1"}), _raise(httpx.ConnectError)])
def test_extract_order_retried_when_it_provably_never_arrived(key_settings, answer):
    fake = Fake([answer, (200, {"jobbId": "j-1"}, {})])
    with make(key_settings, fake) as c:
        assert c.order_tailored_extract("skole", {"personstatustyper": ["bosatt"]}) == "j-1"
    assert len(fake.requests) == 2


def test_client_errors_are_not_retried(key_settings):
    body = {"code": "FREG-404", "message": f"Fant ikke {ID1}", "httpStatus": 404, "feilreferanse": "ref-1"}
    fake = Fake([(404, body, {})])
    with make(key_settings, fake) as c:
        with pytest.raises(NotFound) as ei:
            c.person("skole", ID1)
    assert len(fake.requests) == 1 and ei.value.reference == "ref-1" and ID1 not in str(ei.value)


# --------------------------------------------------------------------------- map, stats, logging
def test_map_is_bounded_ordered_and_raises(key_settings):
    active, peak, lock = [0], [0], threading.Lock()

    def slow(request):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[1]})

    ids_ = ["03851598730", "41819077906", "30908299902", "41819077302"] * 5
    fake = Fake([slow] * len(ids_))
    with make(key_settings, fake, concurrency=3) as c:
        out = c.map(lambda i: c.person("skole", i)["id"], ids_)
        assert out == ids_ and 1 < peak[0] <= 3
        assert c.stats.as_dict()["calls"] == len(ids_) and fake.grants == 1
        with pytest.raises(InputError):
            c.map(lambda i: c.person("skole", i), [ID1, "bad"])
        mixed = c.map(lambda i: c.person("skole", i), ["bad"], return_exceptions=True)
        assert isinstance(mixed[0], InputError)


def test_logging_has_template_role_status_not_ids_or_secrets(key_settings, caplog):
    fake = Fake([(200, {}, {}), (429, b"", {"Retry-After": "1"}), (200, {}, {})])
    caplog.set_level(logging.DEBUG)
    with make(key_settings, fake) as c:
        c.person("skole", ID1)
        c.bulk_lookup("barnevern", [ID1, ID2])
    text = caplog.text
    assert "role=skole GET v1/personer/{personidentifikator} -> 200" in text
    assert "role=barnevern POST v1/personer/bulkoppslag" in text and "retry 1" in text
    for secret in (ID1, ID2, PW, "tok-1"):
        assert secret not in text


def test_stats_count_bytes(key_settings):
    fake = Fake([(200, {"a": "x" * 100}, {})])
    with make(key_settings, fake) as c:
        c.person("skole", ID1)
        s = c.stats.as_dict()
    assert s["calls"] == 1 and s["requests"] == 1 and s["bytes_received"] > 100 and s["statuses"] == {200: 1}


def test_errors_module_used_for_http_errors(key_settings):
    fake = Fake([(403, {"timestamp": 1, "status": 403, "error": "Forbidden", "errorId": "e-1", "path": "/x",
                        "message": "Rollen har ikke tilgang til følgende deler: bostedsadresse",
                        "errorCode": "MANGLER_TILGANG_TIL_DEL"}, {})])
    with make(key_settings, fake) as c:
        with pytest.raises(errors.AccessDenied) as ei:
            c.person("skole", ID1, parts=["bostedsadresse"])
    assert ei.value.error_id == "e-1" and "rolle skole" in str(ei.value)


# --------------------------------------------------------------------------- against the sandbox
def test_sandbox_429_waits_milliseconds(sandbox_factory):
    sb = sandbox_factory()
    sb.set_faults(rate_429=0.5, retry_after_ms=150, seed=3)
    waits = []

    def sleep(s):
        waits.append(s)
        time.sleep(s)

    with sandbox_client(sb, sleep=sleep, retry=RetryPolicy(max_attempts=12, max_total_s=20)) as c:
        t0 = time.monotonic()
        for i in range(5):
            c.person("skole", sb.population.identifier(i), parts=["navn"])
        elapsed = time.monotonic() - t0
        n = c.stats.retries["429"]
    assert n >= 1 and waits == [0.15] * n  # 150 ms, not 150 s
    assert 0.15 * n <= elapsed < 0.15 * n + 3
    assert sb.counters()["faults"]["429"] == n


def test_sandbox_5xx_and_drops_are_retried(sandbox_factory):
    sb = sandbox_factory()
    sb.set_faults(rate_500=0.1, rate_503=0.1, rate_drop=0.1, seed=11)
    with sandbox_client(sb, retry=RetryPolicy(max_attempts=12, backoff_base_s=0.01, backoff_cap_s=0.05)) as c:
        got = c.map(lambda i: c.person("skole", sb.population.identifier(i), parts=["navn"]), range(30))
        assert len(got) == 30 and all("navn" in d for d in got)
        retries = c.stats.retries
    faults = sb.counters()["faults"]
    assert retries["5xx"] == faults.get("500", 0) + faults.get("503", 0) > 0
    assert retries["connection"] == faults.get("drop", 0) > 0


@pytest.mark.parametrize("fault, cause", [("rate_503", ServerError), ("rate_drop", httpx.RemoteProtocolError)])
def test_sandbox_gives_up_after_the_bound(sandbox_factory, fault, cause):
    sb = sandbox_factory()
    sb.set_faults(**{fault: 1.0})
    with sandbox_client(sb) as c, pytest.raises(RetriesExhausted) as ei:
        c.person("skole", sb.population.identifier(0))
    assert isinstance(ei.value.last_cause, cause) and ei.value.attempts == FAST.max_attempts
    assert "ga opp etter 4 forsøk" in str(ei.value)


def test_sandbox_error_shapes(sandbox_factory):
    sb = sandbox_factory()
    sb.scenario("rolle-mangler-del")
    with sandbox_client(sb) as c:
        with pytest.raises(errors.AccessDenied) as forbidden:  # Fiks body: errorId
            c.person("skole", sb.population.identifier(0), parts=["bostedsadresse"])
        assert forbidden.value.error_id and forbidden.value.status == 403 and "Fiks forvaltning" in str(forbidden.value)
        missing = next(n for n in ("30908299902", "03851598730", "41819077906")
                       if sb.population.index_of(n) is None)
        with pytest.raises(NotFound) as nf:  # ErrorMessageForExternalUsers: feilreferanse
            c.person("skole", missing, parts=["navn"])
        assert nf.value.reference and nf.value.status == 404 and missing not in str(nf.value)
        with pytest.raises(errors.AccessDenied) as svc:
            c.order_complete_extract("skole")  # uten hjemmel / no such service for the role
        assert svc.value.status == 403
    sb.scenario("normal")
    sb.set_faults(rate_500=1.0)
    with sandbox_client(sb) as c, pytest.raises(RetriesExhausted) as ei:  # {kode, melding}
        c.person("skole", sb.population.identifier(0), parts=["navn"])
    assert ei.value.last_cause.code == "FREG-001"
