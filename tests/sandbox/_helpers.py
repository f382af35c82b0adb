"""Test helpers: build Maskinporten assertions with PyJWT (as a client would), fetch tokens, call Fiks."""
from __future__ import annotations

import base64
import time
import uuid

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def load_p12(path, password: str):
    key, cert, _ = pkcs12.load_key_and_certificates(open(path, "rb").read(), password.encode())
    return key, cert


def x5c_of(cert) -> list[str]:
    return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]


def assertion(sb, *, key=None, cert=None, kid=None, claims=None, drop=(), lifetime=100, iat=None) -> str:
    """A signed assertion; defaults to the business certificate (x5c); ``kid=`` signs with the PEM key."""
    c = sb.credentials
    if kid is not None:
        key = key or serialization.load_pem_private_key(open(c.key_file, "rb").read(), None)
        headers = {"kid": kid}
    else:
        if key is None or cert is None:
            k, ce = load_p12(c.cert_file, c.cert_password)
            key, cert = key or k, cert or ce
        headers = {"x5c": x5c_of(cert)}
    now = int(time.time()) if iat is None else iat
    body = {"aud": sb.maskinporten_issuer, "iss": c.client_id, "scope": "ks:fiks", "iat": now,
            "exp": now + lifetime, "jti": str(uuid.uuid4())}
    body.update(claims or {})
    for name in drop:
        body.pop(name, None)
    return jwt.encode(body, key, algorithm="RS256", headers=headers)


def grant(sb, token_assertion: str) -> httpx.Response:
    return httpx.post(sb.maskinporten_issuer + "token", data={"grant_type": GRANT, "assertion": token_assertion})


def token(sb, **kw) -> str:
    r = grant(sb, assertion(sb, **kw))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def headers(sb, tok: str | None = None, **extra) -> dict:
    c = sb.credentials
    h = {"Authorization": f"Bearer {tok or token(sb)}", "IntegrasjonId": c.integration_id,
         "IntegrasjonPassord": c.integration_password, "Accept": "application/json"}
    h.update(extra)
    return h


class Fiks:
    """Calls one sandbox through the Fiks path with a fresh token: ``Fiks(sb).get("skole", "v1/personer/...")``."""

    def __init__(self, sb, tok: str | None = None):
        self.sb = sb
        self.h = headers(sb, tok)
        self.http = httpx.Client(timeout=30)

    def url(self, role: str, path: str) -> str:
        role_id = self.sb.roles.get(role, role)
        return f"{self.sb.fiks_base_url}/folkeregister/api/v1/{role_id}/{path}"

    def request(self, method: str, role: str, path: str, *, headers=None, **kw) -> httpx.Response:
        return self.http.request(method, self.url(role, path), headers={**self.h, **(headers or {})}, **kw)

    def get(self, role, path, **kw):
        return self.request("GET", role, path, **kw)

    def post(self, role, path, **kw):
        return self.request("POST", role, path, **kw)


def unknown_ident(pop) -> str:
    """A valid (synthetic) fødselsnummer that the population does not hold."""
    from freg_nb.ids import check_digits

    for n in range(1000):
        first9 = f"3112{(n // 900) % 100:02d}{100 + n % 900:03d}"
        for cand in (first9[:2] + str(int(first9[2]) + 8) + first9[3:], first9):  # synthetic month first
            cd = check_digits(cand)
            if cd and pop.index_of(cand + cd) is None:
                return cand + cd
    raise AssertionError("no unknown identifier found")
