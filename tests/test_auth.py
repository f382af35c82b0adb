"""freg_nb.auth: the Maskinporten grant (x5c and kid), the token cache, FiksAuth's 401 renewal.

Against the sandbox over real HTTP; tokens are counted at the sandbox (``tokens_issued``).
"""
from __future__ import annotations

import base64
import threading
import time

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from freg_nb import (
    AssertionSigner, FregClient, IntegrationRejected, MaskinportenError, Settings, TokenProvider,
    TokenRejected, token_claims,
)

from conftest import FAST_RETRY as FAST, sandbox_client as client  # noqa: E402


def issued(sb) -> int:
    return sb.counters()["tokens_issued"]


def a_person(sb) -> str:
    return sb.population.identifier(0)


# --------------------------------------------------------------------------- the assertion
def test_x5c_assertion_claims_and_header(sandbox):
    s = Settings.for_sandbox(sandbox, key="x5c")
    signer = AssertionSigner.from_settings(s)
    t0 = time.time()
    a1, a2 = signer.assertion(), signer.assertion()
    header = jwt.get_unverified_header(a1)
    assert header["alg"] == "RS256" and "kid" not in header
    cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    _, p12_cert, _ = pkcs12.load_key_and_certificates(s.cert_file.read_bytes(), s.cert_password.reveal().encode())
    assert cert == p12_cert  # the business certificate itself, base64 DER
    claims = jwt.decode(a1, cert.public_key(), algorithms=["RS256"], audience=sandbox.maskinporten_issuer)
    assert claims["aud"] == sandbox.maskinporten_issuer and claims["iss"] == s.client_id
    assert claims["scope"] == "ks:fiks"
    assert abs(claims["iat"] - t0) <= 2 and 0 < claims["exp"] - claims["iat"] <= 120
    assert claims["jti"] != jwt.decode(a2, options={"verify_signature": False})["jti"]
    assert "BEGIN" not in repr(signer) and s.cert_password.reveal() not in repr(signer)


def test_kid_assertion_header(sandbox):
    s = Settings.for_sandbox(sandbox, key="kid")
    a = AssertionSigner.from_settings(s).assertion()
    header = jwt.get_unverified_header(a)
    assert header["kid"] == sandbox.credentials.kid and "x5c" not in header
    pub = serialization.load_pem_private_key(s.private_key.reveal(), None).public_key()
    assert jwt.decode(a, pub, algorithms=["RS256"], audience=s.maskinporten_issuer)["iss"] == s.client_id


# --------------------------------------------------------------------------- grants at the sandbox
@pytest.mark.parametrize("key", ["x5c", "kid"])
def test_both_key_types_get_a_token_and_a_person(sandbox, key):
    with client(sandbox, key=key) as fc:
        doc = fc.person("skole", a_person(sandbox), parts=["navn"])
        assert "navn" in doc
        claims = token_claims(fc.tokens.token())
    assert claims["consumer_org"] == sandbox.credentials.org_number
    assert claims["scope"] == "ks:fiks" and claims["client_id"] == sandbox.credentials.client_id
    assert 0 < claims["expires_in_s"] <= 120


def test_one_grant_for_many_calls(sandbox):
    before = issued(sandbox)
    with client(sandbox) as fc:
        for i in range(12):
            fc.person("skole", sandbox.population.identifier(i), parts=["navn"])
        assert fc.tokens.grants == 1
    assert issued(sandbox) - before == 1


def test_one_grant_when_many_threads_need_a_token_at_once(sandbox):
    before = issued(sandbox)
    with client(sandbox, concurrency=16) as fc:
        barrier = threading.Barrier(16)
        tokens = []

        def work():
            barrier.wait()
            tokens.append(fc.tokens.token())

        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(t.reveal() for t in tokens)) == 1
        fc.map(lambda i: fc.person("skole", sandbox.population.identifier(i), parts=["navn"]), range(32))
    assert issued(sandbox) - before == 1


def test_token_renewed_before_expiry(sandbox_factory):
    sb = sandbox_factory()
    sb.set_faults(token_lifetime_s=2)
    with client(sb, token_renew_seconds=1.0) as fc:
        fc.person("skole", a_person(sb), parts=["navn"])
        fc.person("skole", a_person(sb), parts=["navn"])
        assert fc.tokens.grants == 1
        time.sleep(1.1)  # inside the renewal margin: the next call fetches a new token first
        fc.person("skole", a_person(sb), parts=["navn"])
        assert fc.tokens.grants == 2
        assert fc.auth.token_retries == 0  # renewed in time, never rejected
    assert sb.counters()["tokens_issued"] == 2


def test_token_expired_server_side_is_renewed_once_and_the_call_succeeds(sandbox_factory):
    """A laptop that slept: the monotonic clock stood still, so the cache believes the token is fresh."""
    sb = sandbox_factory()
    sb.set_faults(token_lifetime_s=1)
    with client(sb, token_renew_seconds=0) as fc:
        fc.tokens._clock = lambda: 0.0  # frozen clock
        fc.person("skole", a_person(sb), parts=["navn"])
        time.sleep(1.3)  # the sandbox now refuses the cached token
        doc = fc.person("skole", a_person(sb), parts=["navn"])
        assert "navn" in doc
        assert fc.auth.token_retries == 1 and fc.tokens.grants == 2
        assert fc.stats.retries["token"] == 1 and fc.stats.statuses == {200: 2}
    counts = sb.counters()
    assert counts["tokens_issued"] == 2 and counts["status"].get("401") == 1


def test_integration_401_is_not_retried(sandbox_factory):
    sb = sandbox_factory()
    sb.scenario("feil-integrasjonspassord")
    with client(sb) as fc:
        with pytest.raises(IntegrationRejected) as ei:
            fc.person("skole", a_person(sb))
        assert fc.auth.token_retries == 0 and fc.stats.requests == 1
    e = ei.value
    assert e.status == 401 and e.error_id and "FIKS_INTEGRASJON_PASSORD" in str(e)
    assert sb.counters()["tokens_issued"] == 1


def test_bad_token_rejected_twice_gives_token_rejected(sandbox):
    s = Settings.for_sandbox(sandbox)

    class Forged(TokenProvider):
        def _fetch(self):
            tok = super()._fetch()
            from freg_nb.auth import _Token
            from freg_nb.config import Secret
            return _Token(Secret(tok.value.reveal()[:-4] + "AAAA"), tok.expires_at, tok.renew_at)

    fc = FregClient(s, retry=FAST, progress=False)
    fc.tokens = fc.auth.tokens = Forged(s)
    with fc, pytest.raises(TokenRejected, match="henter et nytt token") as ei:
        fc.person("skole", a_person(sandbox))
    assert fc.auth.token_retries == 1 and fc.tokens.grants == 2 and ei.value.status == 401


# --------------------------------------------------------------------------- Maskinporten errors
@pytest.mark.parametrize("scenario, code, hint", [
    ("mangler-scope", "invalid_scope", "ks:fiks er ikke gitt"),
    ("utlopt-sertifikat", "invalid_grant", "klokken"),
])
def test_maskinporten_scenarios(sandbox_factory, scenario, code, hint):
    sb = sandbox_factory()
    sb.scenario(scenario)
    with client(sb) as fc, pytest.raises(MaskinportenError) as ei:
        fc.person("skole", a_person(sb))
    assert ei.value.code == code and hint in str(ei.value) and ei.value.status == 400


@pytest.mark.parametrize("overrides, key, code, hint", [
    ({"kid": "unknown-kid"}, "kid", "invalid_client", "registrert på den klienten"),
    ({"client_id": "not-a-client"}, "x5c", "invalid_client", "MASKINPORTEN_CLIENT_ID"),
])
def test_maskinporten_client_errors(sandbox, overrides, key, code, hint):
    with client(sandbox, key=key, **overrides) as fc, pytest.raises(MaskinportenError) as ei:
        fc.person("skole", a_person(sandbox))
    assert ei.value.code == code and hint in str(ei.value)


def test_wrong_issuer_is_invalid_grant(sandbox):
    # aud must be the issuer: send the grant to the right endpoint with a wrong aud
    s = Settings.for_sandbox(sandbox)
    signer = AssertionSigner.from_settings(s.with_overrides(maskinporten_issuer="https://maskinporten.no/"))
    tp = TokenProvider(s, signer)
    with pytest.raises(MaskinportenError, match="invalid_grant") as ei:
        tp.token()
    assert "MASKINPORTEN_ISSUER" in str(ei.value)
    tp.close()


def test_expired_certificate_from_disk_is_refused(sandbox):
    s = Settings.for_sandbox(sandbox, cert_file=sandbox.credentials.expired_cert_file)
    tp = TokenProvider(s)
    with pytest.raises(MaskinportenError, match="invalid_grant"):
        tp.token()
    tp.close()


def test_maskinporten_unreachable():
    s = Settings(env="sandbox", fiks_base_url="http://127.0.0.1:9", maskinporten_issuer="http://127.0.0.1:9/mp/",
                 client_id="c", kid="k", private_key=None)

    class NoSigner:
        def assertion(self):
            return "x"

    with pytest.raises(MaskinportenError, match="Fikk ikke kontakt med Maskinporten"):
        TokenProvider(s, NoSigner()).token()  # type: ignore[arg-type]


def test_maskinporten_error_on_mock_non_json():
    s = Settings(maskinporten_issuer="https://mp.example.test/", client_id="c")

    class NoSigner:
        def assertion(self):
            return "x"

    t = httpx.MockTransport(lambda r: httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(MaskinportenError, match="HTTP 502"):
        TokenProvider(s, NoSigner(), transport=t).token()  # type: ignore[arg-type]


def test_token_claims_needs_a_jwt():
    with pytest.raises(ValueError, match="not a JWT"):
        token_claims("opaque-token")
