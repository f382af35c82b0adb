"""The Maskinporten imitation: metadata, good grants (x5c and kid), and every rejection."""
from __future__ import annotations

import datetime as dt
import time

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from _helpers import assertion, grant, load_p12


def _rejected(r: httpx.Response, error: str) -> str:
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"error", "error_description"} and body["error"] == error, body
    return body["error_description"]


def test_metadata_names_issuer_token_endpoint_and_keys(sandbox):
    meta = httpx.get(sandbox.maskinporten_issuer + ".well-known/oauth-authorization-server").json()
    assert meta["issuer"] == sandbox.url + "/maskinporten/" == sandbox.maskinporten_issuer
    assert meta["token_endpoint"] == meta["issuer"] + "token"
    jwks = httpx.get(meta["jwks_uri"]).json()
    assert jwks["keys"][0]["kty"] == "RSA" and "d" not in jwks["keys"][0]


@pytest.mark.parametrize("how", ["x5c", "kid"])
def test_grant_issues_a_signed_token_for_the_certificate_or_key_org(sandbox, how):
    c = sandbox.credentials
    a = assertion(sandbox, kid=c.kid) if how == "kid" else assertion(sandbox)
    r = grant(sandbox, a)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "ks:fiks"
    assert body["expires_in"] == sandbox.config.token_lifetime_s
    jwk = httpx.get(sandbox.maskinporten_issuer + "jwk").json()["keys"][0]
    claims = jwt.decode(body["access_token"], jwt.PyJWK(jwk).key, algorithms=["RS256"],
                        issuer=sandbox.maskinporten_issuer, options={"verify_aud": False})
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{c.org_number}"}
    assert claims["client_id"] == c.client_id and claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["jti"]


def test_other_org_certificate_gives_that_org_as_consumer(sandbox):
    c = sandbox.credentials
    key, cert = load_p12(c.other_org_cert_file, c.cert_password)
    r = grant(sandbox, assertion(sandbox, key=key, cert=cert))
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["consumer"]["ID"] == f"0192:{c.other_org_number}" != f"0192:{c.org_number}"


def _foreign_ca_cert(orgnr: str):
    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ukjent CA")])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "X"), x509.NameAttribute(NameOID.SERIAL_NUMBER, orgnr)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def test_rejections(sandbox):
    c = sandbox.credentials
    key, cert = load_p12(c.cert_file, c.cert_password)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign_key, foreign_cert = _foreign_ca_cert(c.org_number)
    now = int(time.time())
    cases = {
        "bad signature": (assertion(sandbox, key=other_key, cert=cert), "invalid_grant", "Signature"),
        "unknown CA": (assertion(sandbox, key=foreign_key, cert=foreign_cert), "invalid_grant",
                       "The JWT is signed with an invalid certificate."),
        "wrong audience": (assertion(sandbox, claims={"aud": "https://test.maskinporten.no/"}), "invalid_grant",
                           "Invalid assertion. Invalid JWT claim aud"),
        "expired": (assertion(sandbox, iat=now - 300, lifetime=100), "invalid_grant", "expired"),
        "exp - iat > 120": (assertion(sandbox, lifetime=121), "invalid_grant", "120"),
        "iat in the future": (assertion(sandbox, iat=now + 300, lifetime=100), "invalid_grant", "future"),
        "missing scope": (assertion(sandbox, drop=["scope"]), "invalid_scope", "scope"),
        "scope not granted": (assertion(sandbox, claims={"scope": "ks:fiks skatteetaten:annet"}), "invalid_scope",
                              "Token request contains invalid scopes for client"),
        "unknown kid": (assertion(sandbox, kid="ukjent-kid"), "invalid_client", "kid"),
        "unknown client": (assertion(sandbox, claims={"iss": "ukjent-klient"}), "invalid_client",
                           "Invalid assertion. Client authentication failed."),
        # Digdir: claims it does not document make the grant fail
        "undocumented claim": (assertion(sandbox, claims={"client_secret": "x"}), "invalid_grant", "client_secret"),
    }
    for name, (a, error, words) in cases.items():
        desc = _rejected(grant(sandbox, a), error)
        assert words.lower() in desc.lower(), (name, desc)
    expired_key, expired_cert = load_p12(c.expired_cert_file, c.cert_password)
    assert "invalid certificate" in _rejected(grant(sandbox, assertion(sandbox, key=expired_key, cert=expired_cert)),
                                              "invalid_grant")
    r = httpx.post(sandbox.maskinporten_issuer + "token", data={"grant_type": "client_credentials", "assertion": "x"})
    assert _rejected(r, "unsupported_grant_type")


def test_replayed_jti_is_rejected(sandbox):
    a = assertion(sandbox)
    assert grant(sandbox, a).status_code == 200
    assert "Grant is used before" in _rejected(grant(sandbox, a), "invalid_grant")


def test_nbf_and_a_grant_without_jti_are_accepted(sandbox):
    """A public PHP client sends nbf and works against the real Maskinporten; jti is only recommended."""
    now = int(time.time())
    assert grant(sandbox, assertion(sandbox, claims={"nbf": now})).status_code == 200
    a = assertion(sandbox, drop=["jti"])
    assert grant(sandbox, a).status_code == 200
    assert grant(sandbox, assertion(sandbox, claims={"resource": "https://x.example/"})).status_code == 200


def test_include_maskinporten_puts_faults_on_the_token_endpoint(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    sb.set_faults(rate_500=1.0)
    assert grant(sb, assertion(sb)).status_code == 200           # off by default: only Fiks/Freg calls
    sb.set_faults(rate_500=1.0, include_maskinporten=True)
    r = grant(sb, assertion(sb))
    assert r.status_code == 500 and r.json()["error"] == "server_error"
    assert sb.counters()["faults"]["maskinporten-500"] == 1
    sb.set_faults(rate_500=0.0, include_maskinporten=True)
    assert grant(sb, assertion(sb)).status_code == 200


def test_rejections_are_counted_by_reason(sandbox):
    before = sandbox.counters()["grants_rejected"].get("lifetime", 0)
    grant(sandbox, assertion(sandbox, lifetime=500))
    assert sandbox.counters()["grants_rejected"]["lifetime"] == before + 1


def test_scenarios_missing_scope_and_expired_certificate(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    sb.scenario("mangler-scope")
    _rejected(grant(sb, assertion(sb)), "invalid_scope")
    sb.scenario("utlopt-sertifikat")
    assert "invalid certificate" in _rejected(grant(sb, assertion(sb)), "invalid_grant")
    sb.scenario("normal")
    assert grant(sb, assertion(sb)).status_code == 200
