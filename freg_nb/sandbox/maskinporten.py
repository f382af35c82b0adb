"""Imitation of Maskinporten: metadata, JWKS and the JWT-bearer grant under ``/maskinporten/``.

The assertion is verified as Digdir does: RS256 signature against the ``x5c`` business certificate
(which must chain to the sandbox's test CA and be valid now) or against the key registered under
``kid``; ``aud`` = issuer; ``iss`` = a known client id; ``scope`` granted to the client;
``exp - iat`` at most 120 s; not expired, ``iat`` not in the future; ``jti`` (recommended, not required)
not replayed; no claim beyond the registered JWT claims and the ones Digdir documents (Digdir: undocumented
claims make the grant fail; ``nbf`` is a registered claim and accepted). Errors: 400 ``{"error",
"error_description"}`` with Digdir's descriptions (API-NOTES §7). Access tokens are RS256 JWTs carrying
``consumer``. With ``Faults.include_maskinporten`` the random faults (429/5xx/dropped) hit the token endpoint too.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from freg_nb.sandbox.pki import org_number_of
from freg_nb.sandbox.responses import DroppedResponse

__all__ = ["Maskinporten", "GrantError", "SCOPE"]

SCOPE = "ks:fiks"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_LIFETIME_S = 120
SKEW_S = 10
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})  # RFC 7519 §4.1
DIGDIR_CLAIMS = frozenset({"scope", "resource", "iss_onbehalfof", "consumer_org", "authorization_details"})
INVALID_ASSERTION = "Invalid assertion. Client authentication failed."
INVALID_CERTIFICATE = "Invalid assertion. The JWT is signed with an invalid certificate."


class GrantError(Exception):
    def __init__(self, error: str, description: str, reason: str):
        super().__init__(description)
        self.error, self.description, self.reason = error, description, reason


@dataclass
class _Client:
    client_id: str
    org_number: str
    scopes: set[str]


class Maskinporten:
    """Holds clients, keys and used ``jti``s; ``state`` gives url, faults, counters, config."""

    def __init__(self, state):
        self.state = state
        pki = state.pki
        creds = pki.credentials
        self.clients = {creds.client_id: _Client(creds.client_id, creds.org_number, {SCOPE})}
        self.keys = {creds.kid: (creds.client_id, pki.client_public_key)}
        self._jti: dict[str, float] = {}
        self._lock = threading.Lock()
        self.token_public_key = pki.token_key.public_key()

    @property
    def issuer(self) -> str:
        return self.state.url + "/maskinporten/"

    # -- endpoints -----------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/maskinporten/.well-known/oauth-authorization-server", self.metadata),
            Route("/maskinporten/jwk", self.jwks),
            Route("/maskinporten/token", self.token, methods=["POST"]),
        ]

    async def metadata(self, request: Request) -> Response:
        return self.state.json({
            "issuer": self.issuer, "token_endpoint": self.issuer + "token",
            "jwks_uri": self.issuer + "jwk", "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "grant_types_supported": [GRANT_TYPE], "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        })

    async def jwks(self, request: Request) -> Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.token_public_key, as_dict=True)
        jwk.update(kid=self.state.pki.token_kid, alg="RS256", use="sig")
        return self.state.json({"keys": [jwk]})

    async def token(self, request: Request) -> Response:
        delay, fault = self.state.plan.draw(maskinporten=True)
        if delay:
            await asyncio.sleep(delay)
        if fault:
            self.state.counters.add("faults", f"maskinporten-{fault}")
            if fault == "drop":
                return DroppedResponse()
            headers = {"Retry-After": str(int(self.state.faults.retry_after_ms) // 1000 or 1)} if fault == "429" else None
            return self.state.json({"error": "temporarily_unavailable" if fault != "500" else "server_error",
                                    "error_description": "Maskinporten kunne ikke behandle forespørselen nå"},
                                   int(fault), headers)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        form = {}
        if ctype == "application/x-www-form-urlencoded":
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        try:
            body = self.grant(form.get("grant_type"), form.get("assertion"))
        except GrantError as e:
            self.state.counters.add("grants_rejected", e.reason)
            return self.state.json({"error": e.error, "error_description": e.description}, 400)
        self.state.counters.add("tokens_issued")
        return self.state.json(body, headers={"Cache-Control": "no-store"})

    # -- the grant -----------------------------------------------------------------------
    def grant(self, grant_type, assertion) -> dict:
        if grant_type != GRANT_TYPE:
            raise GrantError("unsupported_grant_type", f"Invalid grant_type: {grant_type}", "grant_type")
        if not assertion:
            raise GrantError("invalid_request", "Missing assertion", "assertion_missing")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise GrantError("invalid_grant", "Invalid assertion. Could not parse JWT", "malformed") from None
        if header.get("alg") != "RS256":
            raise GrantError("invalid_grant", "Invalid assertion. Unsupported signing algorithm", "algorithm")
        faults = self.state.faults
        if header.get("x5c"):
            key, org = self._certificate_key(header["x5c"], faults.certificate_expired)
            key_client, client_amr = None, "virksomhetssertifikat"
        elif header.get("kid"):
            found = self.keys.get(header["kid"])
            if found is None:
                raise GrantError("invalid_client", f"Client authentication failed. Unknown kid: {header['kid']}",
                                 "unknown_kid")
            key_client, key = found
            org, client_amr = None, "private_key_jwt"
        else:
            raise GrantError("invalid_grant", "Invalid assertion. Missing x5c or kid in JWT header", "no_key")
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=self.issuer, leeway=SKEW_S,
                                options={"require": ["aud", "iss", "exp", "iat"]})
        except jwt.InvalidSignatureError:
            raise GrantError("invalid_grant", "Invalid assertion. Signature could not be verified", "signature") from None
        except jwt.ExpiredSignatureError:
            raise GrantError("invalid_grant", "Invalid assertion. The jwt has expired", "expired") from None
        except jwt.InvalidAudienceError:
            raise GrantError("invalid_grant", "Invalid assertion. Invalid JWT claim aud", "audience") from None
        except jwt.ImmatureSignatureError:
            raise GrantError("invalid_grant", "Invalid assertion. iat is in the future", "iat_future") from None
        except jwt.MissingRequiredClaimError as e:
            raise GrantError("invalid_grant", f"Invalid assertion. Missing claim: {e.claim}", "missing_claim") from None
        except jwt.PyJWTError:
            raise GrantError("invalid_grant", "Invalid assertion. Could not verify JWT", "invalid") from None
        unknown = sorted(set(claims) - REGISTERED_CLAIMS - DIGDIR_CLAIMS)
        if unknown:
            raise GrantError("invalid_grant", f"Invalid assertion. Unknown JWT claim(s): {', '.join(unknown)}",
                             "unknown_claim")
        now = time.time()
        if claims["iat"] > now + SKEW_S:
            raise GrantError("invalid_grant", "Invalid assertion. iat is in the future", "iat_future")
        if claims["exp"] - claims["iat"] > MAX_ASSERTION_LIFETIME_S:
            raise GrantError("invalid_grant", "Invalid assertion. exp - iat must be at most 120 seconds", "lifetime")
        client = self.clients.get(str(claims["iss"]))
        if client is None or (key_client is not None and key_client != client.client_id):
            raise GrantError("invalid_client", INVALID_ASSERTION, "unknown_client")
        requested = str(claims.get("scope") or "").split()
        granted = set() if faults.scope_missing else client.scopes
        if not requested:
            raise GrantError("invalid_scope", "Missing scope in JWT", "scope_missing")
        if SCOPE not in requested or not set(requested) <= granted:
            missing = sorted(set(requested) - granted) or [SCOPE]
            raise GrantError("invalid_scope", "Token request contains invalid scopes for client: " + " ".join(missing),
                             "scope_not_granted")
        with self._lock:
            self._jti = {j: e for j, e in self._jti.items() if e > now - SKEW_S}
            jti = claims.get("jti")
            if jti is not None and jti in self._jti:
                raise GrantError("invalid_grant", "Invalid assertion. Grant is used before", "jti_replay")
            if jti is not None:
                self._jti[jti] = float(claims["exp"])
        return self._issue(client, org or client.org_number, " ".join(requested), client_amr)

    def _certificate_key(self, x5c, treat_as_expired: bool):
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(x5c[0]))
        except Exception:
            raise GrantError("invalid_grant", "Invalid assertion. Could not read certificate in x5c", "certificate") from None
        try:
            cert.verify_directly_issued_by(self.state.pki.ca_cert)
        except Exception:
            raise GrantError("invalid_grant", INVALID_CERTIFICATE, "untrusted_ca") from None
        now = dt.datetime.now(dt.timezone.utc)
        if treat_as_expired or not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise GrantError("invalid_grant", INVALID_CERTIFICATE, "certificate_expired")
        org = org_number_of(cert)
        if org is None:
            raise GrantError("invalid_grant", "Invalid assertion. No organization number in certificate",
                             "certificate")
        return cert.public_key(), org

    def _issue(self, client: _Client, org: str, scope: str, client_amr: str) -> dict:
        now = int(time.time())
        lifetime = self.state.faults.token_lifetime_s or self.state.config.token_lifetime_s
        claims = {
            "iss": self.issuer, "client_amr": client_amr, "token_type": "Bearer", "client_id": client.client_id,
            "scope": scope, "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org}"},
            "iat": now, "exp": now + int(lifetime), "jti": str(uuid.uuid4()),
        }
        token = jwt.encode(claims, self.state.pki.token_key, algorithm="RS256",
                           headers={"kid": self.state.pki.token_kid})
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime), "scope": scope}

    def verify_access_token(self, token: str) -> dict | None:
        """Claims of a valid, unexpired sandbox access token with scope ks:fiks, else None."""
        try:
            claims = jwt.decode(token, self.token_public_key, algorithms=["RS256"], issuer=self.issuer,
                                options={"require": ["exp", "iss", "scope"], "verify_aud": False})
        except jwt.PyJWTError:
            return None
        if SCOPE not in str(claims.get("scope", "")).split():
            return None
        return claims
