"""Maskinporten JWT-bearer grant, a thread-safe token cache, and ``FiksAuth`` (an ``httpx.Auth``).

    signer = AssertionSigner.from_settings(settings)       # x5c from the .p12, or kid + PEM key
    tokens = TokenProvider(settings, signer)                # one grant, reused until shortly before expiry
    client = httpx.Client(auth=FiksAuth(settings, tokens))  # Bearer + IntegrasjonId + IntegrasjonPassord

The assertion is signed RS256 with either ``x5c`` (the business certificate, base64 DER) or
``kid`` in its header; claims ``aud`` = issuer, ``iss`` = client id, ``scope``, ``iat``,
``exp`` (≤ 120 s later) and a unique ``jti``.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Generator

import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from .config import Secret, Settings, load_p12, reveal_bytes
from .errors import MaskinportenError, clean_text, error_from_response, TokenRejected
from .messages import msg

__all__ = ["AssertionSigner", "FiksAuth", "TokenProvider", "token_claims"]

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME_S = 120


class AssertionSigner:
    """Signs Maskinporten grant assertions. The private key never leaves this object."""

    __slots__ = ("_key", "_headers", "client_id", "issuer", "scope")

    def __init__(self, key: Any, headers: dict[str, Any], *, client_id: str, issuer: str, scope: str) -> None:
        self._key = key
        self._headers = headers
        self.client_id = client_id
        self.issuer = issuer
        self.scope = scope

    def __repr__(self) -> str:
        kind = "x5c" if "x5c" in self._headers else "kid"
        return f"AssertionSigner(client_id={self.client_id!r}, key={kind})"

    @classmethod
    def from_settings(cls, settings: Settings) -> "AssertionSigner":
        if not settings.client_id or not settings.maskinporten_issuer:
            raise MaskinportenError(msg("auth.not_configured"))
        if settings.cert_file:
            try:  # the password is revealed inside the loader's call: no local of ours holds it
                key, cert = load_p12(settings.cert_file.read_bytes(), settings.cert_password)
            except Exception:
                raise MaskinportenError(msg("auth.p12_open")) from None
            if key is None or cert is None:
                raise MaskinportenError(msg("auth.p12_empty"))
            x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
            headers: dict[str, Any] = {"x5c": [x5c]}
        else:
            if not settings.private_key or not settings.kid:
                raise MaskinportenError(msg("auth.no_key"))
            try:
                key = serialization.load_pem_private_key(reveal_bytes(settings.private_key), password=None)
            except Exception:
                raise MaskinportenError(msg("auth.bad_pem")) from None
            headers = {"kid": settings.kid}
        return cls(key, headers, client_id=settings.client_id, issuer=settings.maskinporten_issuer,
                   scope=settings.scope)

    def assertion(self, *, now: float | None = None, lifetime: int = ASSERTION_LIFETIME_S) -> str:
        """A freshly signed grant assertion (a JWT string — treat it as a secret)."""
        iat = int(now if now is not None else time.time())
        claims = {
            "aud": self.issuer,
            "iss": self.client_id,
            "scope": self.scope,
            "iat": iat,
            "exp": iat + min(lifetime, ASSERTION_LIFETIME_S),
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers=self._headers)


# --------------------------------------------------------------------------------------------
# Token cache

_MP_HINTS = ("invalid_client", "invalid_scope", "invalid_grant", "unauthorized_client", "invalid_request")
"""Maskinporten's error codes with their own advice in the message catalogue (``auth.mp.<code>``)."""


TOKEN_ATTEMPTS = 4       # token calls per grant (Maskinporten's 5xx/429/dropped connections are retried)
TOKEN_BACKOFF_S = 0.25   # first wait; doubled each retry, at most 2 s


@dataclass(frozen=True)
class _Token:
    value: Secret
    expires_at: float  # time.monotonic()
    renew_at: float


class TokenProvider:
    """Fetches and caches the Maskinporten access token; safe to share between threads.

    When many threads need a token at once, exactly one of them makes the grant; the others
    wait for it. The token is renewed ``renew_seconds`` before expiry (at most half its lifetime).
    """

    def __init__(self, settings: Settings, signer: AssertionSigner | None = None, *,
                 http: httpx.Client | None = None, transport: httpx.BaseTransport | None = None,
                 renew_seconds: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._signer = signer
        self._owns_http = http is None
        self._http = http or httpx.Client(transport=transport, timeout=httpx.Timeout(30.0),
                                          verify=settings.verify, trust_env=False)
        self._renew = settings.token_renew_seconds if renew_seconds is None else renew_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self.grants = 0  # grants made (for stats and tests)
        self.token_retries = 0  # token calls repeated after a dropped connection, 429 or 5xx

    def __repr__(self) -> str:
        return f"TokenProvider(client_id={self._settings.client_id!r}, grants={self.grants})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _valid(self, tok: _Token | None) -> bool:
        return tok is not None and self._clock() < tok.renew_at

    def token(self) -> Secret:
        """A valid access token (from cache or a new grant)."""
        tok = self._token
        if self._valid(tok):
            return tok.value  # type: ignore[union-attr]
        with self._lock:
            tok = self._token
            if self._valid(tok):
                return tok.value  # type: ignore[union-attr]
            self._token = self._fetch()
            return self._token.value

    def invalidate(self, rejected: Secret | None = None) -> None:
        """Forget the cached token (only if it is still ``rejected``, so N threads renew once)."""
        with self._lock:
            if self._token is not None and (rejected is None or self._token.value == rejected):
                self._token = None

    def _fetch(self) -> _Token:
        """One grant; a dropped connection, 429 or 5xx from Maskinporten is retried (each attempt signs a
        new assertion, so a grant is never reused) with a short exponential backoff."""
        if self._signer is None:
            self._signer = AssertionSigner.from_settings(self._settings)
        endpoint = self._settings.token_endpoint
        for attempt in range(TOKEN_ATTEMPTS):
            if attempt:
                self.token_retries += 1
                time.sleep(min(TOKEN_BACKOFF_S * 2 ** (attempt - 1), 2.0))
            try:
                response = self._http.post(endpoint, data={"grant_type": GRANT_TYPE,
                                                           "assertion": self._signer.assertion()},
                                           headers={"Accept": "application/json",
                                                    "Content-Type": "application/x-www-form-urlencoded"})
            except httpx.TransportError as e:
                if attempt + 1 < TOKEN_ATTEMPTS:
                    continue
                raise MaskinportenError(msg("auth.unreachable", endpoint=endpoint, kind=type(e).__name__)) from None
            if (response.status_code == 429 or response.status_code >= 500) and attempt + 1 < TOKEN_ATTEMPTS:
                continue
            break
        self.grants += 1
        if response.status_code != 200:
            raise _maskinporten_error(response)
        try:
            body = response.json()
            value = body["access_token"]
            expires_in = float(body.get("expires_in", 120))
        except Exception:
            raise MaskinportenError(msg("auth.no_token_in_200"),
                                    status=200) from None
        now = self._clock()
        margin = min(max(self._renew, 0.0), expires_in / 2)
        return _Token(Secret(value), expires_at=now + expires_in, renew_at=now + expires_in - margin)


def _maskinporten_error(response: httpx.Response) -> MaskinportenError:
    code = description = None
    try:
        body = response.json()
        if isinstance(body, dict):
            code = body.get("error")
            description = body.get("error_description")
    except Exception:
        pass
    hint = msg(f"auth.mp.{code}" if code in _MP_HINTS else "auth.mp.other")
    said = msg("auth.mp_said", text=clean_text(description)) if description else ""
    label = code or f"HTTP {response.status_code}"
    return MaskinportenError(msg("auth.no_token", label=label, said=said, hint=hint),
                             status=response.status_code, code=str(code) if code else None)


# --------------------------------------------------------------------------------------------
# httpx.Auth


class FiksAuth(httpx.Auth):
    """Adds ``Authorization: Bearer``, ``IntegrasjonId`` and ``IntegrasjonPassord``.

    When Fiks answers 401 "Klarte ikke å validere access_token", the token is renewed and the
    request sent once more (not for the integration 401, which a new token cannot fix).
    """

    requires_response_body = True  # the 401 body tells a token problem from an integration problem

    def __init__(self, settings: Settings, tokens: TokenProvider) -> None:
        if not settings.integration_id or not settings.integration_password:
            raise MaskinportenError(msg("auth.no_integration"))
        self._integration_id = settings.integration_id
        self._integration_password = settings.integration_password
        self.tokens = tokens
        self.token_retries = 0

    def __repr__(self) -> str:
        return f"FiksAuth(integration_id={self._integration_id!r})"

    def _apply(self, request: httpx.Request, token: Secret) -> None:
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        request.headers["IntegrasjonId"] = self._integration_id
        request.headers["IntegrasjonPassord"] = str(self._integration_password.reveal())  # type: ignore[union-attr]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.token()
        self._apply(request, token)
        response = yield request
        if response.status_code == 401:
            err = error_from_response(401, response.content, response.headers)
            if isinstance(err, TokenRejected):
                self.tokens.invalidate(token)
                self.token_retries += 1
                self._apply(request, self.tokens.token())
                yield request


# --------------------------------------------------------------------------------------------
# Troubleshooting


def token_claims(token: Secret | str) -> dict[str, Any]:
    """What an access token says (unverified): organisation, scope, client id, expiry.

    For troubleshooting "401 Autentisering feilet": the consumer organisation must be the one
    the Fiks integration belongs to. The token itself is never returned.
    """
    raw = token.reveal() if isinstance(token, Secret) else token
    if isinstance(raw, bytes):
        raw = raw.decode()
    try:
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise ValueError("not a JWT access token") from None
    consumer = claims.get("consumer") or {}
    org_id = consumer.get("ID") if isinstance(consumer, dict) else None
    org = org_id.split(":", 1)[1] if isinstance(org_id, str) and ":" in org_id else org_id
    exp = claims.get("exp")
    expires = dt.datetime.fromtimestamp(exp, dt.timezone.utc) if isinstance(exp, (int, float)) else None
    return {
        "consumer_org": org,
        "scope": claims.get("scope"),
        "client_id": claims.get("client_id"),
        "issuer": claims.get("iss"),
        "expires": expires,
        "expires_in_s": round(exp - time.time()) if isinstance(exp, (int, float)) else None,
    }
