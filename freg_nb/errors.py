"""The exception hierarchy of freg_nb.

```
FregNbError
├── ConfigError                  settings missing/malformed (lists every problem)
├── InputError                   bad user input caught before any request (ids, criteria, parts)
│   └── PartNotAllowed           part not in the role's allowed parts
├── AuthError
│   ├── MaskinportenError        no token (client, key/cert, scope at Digdir)
│   ├── TokenRejected            Fiks 401 "Klarte ikke å validere access_token"
│   └── IntegrationRejected      Fiks 401 "Autentisering feilet for integrasjon med id …"
├── AccessDenied                 403 (role/service/part)
├── ApiError                     any other HTTP error; .status, .error_id (Fiks) / .reference (Freg), .code
│   ├── BadRequest (400)
│   ├── NotFound (404)
│   ├── Throttled (429)          .retry_after (seconds, parsed from milliseconds)
│   └── ServerError (5xx)
├── RetriesExhausted             gave up after the bound; .last_cause
└── ExtractError                 extract timed out / job limit / reconciliation failed
    └── ExtractOrderUncertain    the order may have reached Freg (5xx / dropped connection): a job may exist
```

Every error carries ``status``, ``code``, ``error_id`` (the Fiks ``errorId`` support asks for)
and ``reference`` (Freg's ``feilreferanse``) when the server gave them, and a message that
says what happened *and what to do*. Server text is cleaned before it is shown: 11-digit
numbers are masked and anything that looks like a token is removed.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

__all__ = [
    "AccessDenied",
    "ApiError",
    "AuthError",
    "BadRequest",
    "ConfigError",
    "ExtractError",
    "ExtractOrderUncertain",
    "FregNbError",
    "InputError",
    "IntegrationRejected",
    "MaskinportenError",
    "NotFound",
    "PartNotAllowed",
    "RetriesExhausted",
    "ServerError",
    "Throttled",
    "TokenRejected",
    "clean_text",
    "error_from_response",
    "parse_error_body",
]


class FregNbError(Exception):
    """Base class of every error raised by freg_nb."""

    status: int | None = None
    code: str | None = None
    error_id: str | None = None
    reference: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_id: str | None = None,
        reference: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error_id = error_id
        self.reference = reference
        self.server_message = server_message


class ConfigError(FregNbError):
    """Settings are missing or malformed. ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} with the freg-nb settings (environment / .env):"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class InputError(FregNbError, ValueError):
    """Bad input caught before any request was sent."""


class PartNotAllowed(InputError):
    """A part the role is not allowed to fetch."""


class AuthError(FregNbError):
    """Authentication failed (Maskinporten or Fiks)."""


class MaskinportenError(AuthError):
    """Maskinporten gave no access token."""


class TokenRejected(AuthError):
    """Fiks did not accept the Maskinporten access token."""


class IntegrationRejected(AuthError):
    """Fiks accepted the token but not the integration (id/password/organisation)."""


class AccessDenied(FregNbError):
    """403: the integration is authenticated but not allowed this role/service/part."""


class ApiError(FregNbError):
    """Any other HTTP error from Fiks or Freg."""


class BadRequest(ApiError):
    """400: Freg refused the input."""


class NotFound(ApiError):
    """404: wrong URI, unknown person/document/event, or an extract batch that is not ready."""


class Throttled(ApiError):
    """429: too many calls (or too many extract jobs). ``retry_after`` is in seconds."""

    retry_after: float | None = None


class ServerError(ApiError):
    """5xx: the service failed; usually worth trying again later."""


class RetriesExhausted(FregNbError):
    """The client gave up after its bound on attempts or total time. ``last_cause`` says why."""

    def __init__(self, message: str, *, last_cause: BaseException | None = None, attempts: int = 0) -> None:
        status = getattr(last_cause, "status", None)
        super().__init__(
            message,
            status=status,
            code=getattr(last_cause, "code", None),
            error_id=getattr(last_cause, "error_id", None),
            reference=getattr(last_cause, "reference", None),
        )
        self.last_cause = last_cause
        self.attempts = attempts


class ExtractError(FregNbError):
    """An extract (uttrekk) could not be completed."""


class ExtractOrderUncertain(ExtractError):
    """An extract order may have reached Freg although no answer came back."""

    def __init__(self, message: str, *, last_cause: BaseException | None = None) -> None:
        super().__init__(message, status=getattr(last_cause, "status", None))
        self.last_cause = last_cause


# --------------------------------------------------------------------------------------------
# Cleaning server text

_ID11 = re.compile(r"(?<!\d)(\d{6})\d{5}(?!\d)")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_MAX_TEXT = 300


def clean_text(text: object, *, limit: int = _MAX_TEXT) -> str:
    """Make server-provided text safe to show: mask 11-digit ids, drop tokens, shorten."""
    s = "" if text is None else str(text)
    s = _JWT.sub("[token]", s)
    s = _BEARER.sub(r"\1[token]", s)
    s = _ID11.sub(r"\1*****", s)
    s = " ".join(s.split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


# --------------------------------------------------------------------------------------------
# Error bodies


def _str(v: Any) -> str | None:
    if v is None or v == "":
        return None
    return str(v)


def parse_error_body(body: bytes | str | None) -> dict[str, Any]:
    """Normalise every known error shape to ``{shape, message, code, error_id, reference, status}``.

    Shapes: the Fiks body (``errorId``, ``message``, ``errorCode``), FolkeregisterFeilmelding
    (``feilkode``, ``feilmelding``, ``httpStatus``, ``alvorlighetsgrad``, ``tilleggsinformasjon``),
    ErrorMessageForExternalUsers (``code``, ``message``, ``httpStatus``, ``feilreferanse``),
    ``{kode, melding}``, and anything else (plain text, HTML, empty).
    """
    out: dict[str, Any] = {"shape": "empty", "message": None, "code": None, "error_id": None,
                           "reference": None, "status": None, "details": None}
    if body is None:
        return out
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    if not text.strip():
        return out
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, Mapping):
        out["shape"] = "text"
        out["message"] = clean_text(text, limit=200)
        return out
    if "errorId" in data or ("error" in data and "path" in data and "timestamp" in data):
        out.update(shape="fiks", message=_str(data.get("message")) or _str(data.get("error")),
                   code=_str(data.get("errorCode")), error_id=_str(data.get("errorId")),
                   status=data.get("status") if isinstance(data.get("status"), int) else None)
        # Fiks may wrap Freg's own error body in errorJson: take its reference/code when present.
        inner = data.get("errorJson")
        if isinstance(inner, Mapping):
            nested = parse_error_body(json.dumps(inner))
            if nested["shape"] not in ("text", "empty", "unknown"):
                out["reference"] = nested["reference"]
                out["code"] = out["code"] or nested["code"]
                if nested["message"] and nested["message"] != out["message"]:
                    out["details"] = nested["message"]
    elif "feilkode" in data or "feilmelding" in data:
        out.update(shape="freg", message=_str(data.get("feilmelding")), code=_str(data.get("feilkode")),
                   status=data.get("httpStatus") if isinstance(data.get("httpStatus"), int) else None)
        extra = data.get("tilleggsinformasjon")
        if isinstance(extra, Mapping) and extra:
            out["details"] = "; ".join(f"{k}: {v}" for k, v in extra.items())
        if data.get("alvorlighetsgrad"):
            out["severity"] = str(data["alvorlighetsgrad"])
    elif "feilreferanse" in data or ("code" in data and "message" in data):
        out.update(shape="freg-external", message=_str(data.get("message")), code=_str(data.get("code")),
                   reference=_str(data.get("feilreferanse")),
                   status=data.get("httpStatus") if isinstance(data.get("httpStatus"), int) else None)
    elif "kode" in data or "melding" in data:
        out.update(shape="kode-melding", message=_str(data.get("melding")), code=_str(data.get("kode")))
    else:
        out.update(shape="unknown", message=_str(data.get("message") or data.get("error")))
    if out["message"]:
        out["message"] = clean_text(out["message"])
    if out["details"]:
        out["details"] = clean_text(out["details"])
    return out


# --------------------------------------------------------------------------------------------
# What to do (KS's troubleshooting table, in English)

_TOKEN_HINT = (
    "Fiks could not validate the Maskinporten access token: it has expired, comes from the wrong "
    "Maskinporten environment (test vs. production), or lacks the scope ks:fiks. freg-nb fetches a "
    "fresh token and tries once more; if this persists, check MASKINPORTEN_ISSUER/FREG_NB_ENV and "
    "that Digdir has granted ks:fiks to the client."
)
_INTEGRATION_HINT = (
    "Fiks accepted the token but not the integration. Either the token's consumer organisation "
    "number is not the organisation the integration belongs to, FIKS_INTEGRASJON_PASSORD is wrong, "
    "or FIKS_INTEGRASJON_ID does not exist in this environment (Fiks does not say which). Check the "
    "integration in Fiks forvaltning and that the Maskinporten client belongs to the same organisation."
)
_FORBIDDEN_HINT = (
    "The integration is authenticated but not allowed this: the role is not given to the "
    "integration, the role lacks this service (oppslag, søk, uttrekk, hendelser), or it does not "
    "have the requested part(s). Ask the Fiks administrator to check the role in Fiks forvaltning, "
    "or choose a role/parts that allow it."
)
_HINTS: dict[int, str] = {
    400: "Freg refused the input. Check the identifiers, search criteria or parts in the call.",
    404: "Not found: the person/document/event does not exist for this role, or the path is wrong "
         "(an extract batch that is not ready yet also gives 404 — wait and try again).",
    406: "The service cannot answer in the requested format (Accept header).",
    410: "Gone: the extract job has expired. Order a new extract.",
    429: "Too many calls (or more than 10 extract jobs running for the organisation). Wait the "
         "time given in Retry-After (milliseconds) and lower FREG_NB_CONCURRENCY if it keeps happening.",
}
_SERVER_HINT = "The service failed (server error). Try again later; if it persists, contact Fiks support with the error id."


def _is_token_problem(text: str) -> bool:
    t = text.lower()
    return "access_token" in t or "access token" in t or "invalid_token" in t


def _is_integration_problem(text: str) -> bool:
    return "integrasjon" in text.lower() or "integration" in text.lower()


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header, which Freg gives in **milliseconds**; None when
    missing or garbage. The one parser (the client's retry policy uses it too)."""
    if not headers:
        return None
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if raw is None:
        return None
    try:
        ms = float(str(raw).strip())
    except ValueError:
        return None
    if ms != ms or ms < 0 or ms == float("inf"):  # NaN, negative, infinite
        return None
    return ms / 1000.0


def error_from_response(
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
    *,
    what: str | None = None,
) -> FregNbError:
    """The exception for an HTTP error answer. ``what`` names the call (role, method, path template)."""
    info = parse_error_body(body)
    server = info["message"] or ""
    www = (headers or {}).get("WWW-Authenticate") or (headers or {}).get("www-authenticate") or ""
    prefix = f"{what}: " if what else ""
    said = f' Server said: "{server}".' if server else ""
    if info.get("details"):
        said += f" ({info['details']})"
    ids = []
    if info["error_id"]:
        ids.append(f"errorId {info['error_id']}")
    if info["reference"]:
        ids.append(f"feilreferanse {info['reference']}")
    if info["code"]:
        ids.append(f"code {info['code']}")
    tail = f" [{', '.join(ids)}]" if ids else ""

    cls: type[FregNbError]
    if status == 401:
        if _is_integration_problem(server) and not _is_token_problem(server):
            cls, hint, what_happened = IntegrationRejected, _INTEGRATION_HINT, "integration rejected (401)"
        elif _is_token_problem(server) or _is_token_problem(www) or not server:
            cls, hint, what_happened = TokenRejected, _TOKEN_HINT, "access token rejected (401)"
        else:
            cls, hint, what_happened = AuthError, _TOKEN_HINT + " " + _INTEGRATION_HINT, "authentication failed (401)"
    elif status == 403:
        cls, hint, what_happened = AccessDenied, _FORBIDDEN_HINT, "access denied (403)"
    elif status == 400:
        cls, hint, what_happened = BadRequest, _HINTS[400], "bad request (400)"
    elif status == 404:
        cls, hint, what_happened = NotFound, _HINTS[404], "not found (404)"
    elif status == 429:
        cls, hint, what_happened = Throttled, _HINTS[429], "throttled (429)"
    elif status >= 500:
        cls, hint, what_happened = ServerError, _SERVER_HINT, f"server error ({status})"
    else:
        cls, hint, what_happened = ApiError, _HINTS.get(status, "Unexpected answer from Fiks/Freg."), f"HTTP {status}"

    message = f"{prefix}{what_happened}.{said} {hint}{tail}"
    err = cls(message, status=status, code=info["code"], error_id=info["error_id"],
              reference=info["reference"], server_message=server or None)
    if isinstance(err, Throttled):
        err.retry_after = retry_after_seconds(headers)
    return err
