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
says what happened *and what to do* (in bokmål, from ``freg_nb.messages``). Server text is cleaned before it is shown: 11-digit
numbers are masked and anything that looks like a token is removed.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from freg_nb.ids import mask_runs
from freg_nb.messages import msg

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
        head = msg("err.config_head", n=len(self.problems))
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

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_MAX_TEXT = 300


def clean_text(text: object, *, limit: int = _MAX_TEXT) -> str:
    """Make server-provided text safe to show: mask 11-digit ids, drop tokens, shorten."""
    s = "" if text is None else str(text)
    s = _JWT.sub("[token]", s)
    s = _BEARER.sub(r"\1[token]", s)
    s = mask_runs(s)
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
# What to do (KS's troubleshooting table; the texts are in freg_nb.messages)

_HINT_KEYS = {400: "err.400", 404: "err.404", 406: "err.406", 410: "err.410", 429: "err.429"}


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
    said = msg("err.server_said", text=server) if server else ""
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
            cls, hint, what_happened = IntegrationRejected, msg("err.integration"), msg("what.integration")
        elif _is_token_problem(server) or _is_token_problem(www) or not server:
            cls, hint, what_happened = TokenRejected, msg("err.token"), msg("what.token")
        else:
            cls, hint, what_happened = AuthError, msg("err.token") + " " + msg("err.integration"), msg("what.auth")
    elif status == 403:
        cls, hint, what_happened = AccessDenied, msg("err.forbidden"), msg("what.403")
    elif status == 400:
        cls, hint, what_happened = BadRequest, msg("err.400"), msg("what.400")
    elif status == 404:
        cls, hint, what_happened = NotFound, msg("err.404"), msg("what.404")
    elif status == 429:
        cls, hint, what_happened = Throttled, msg("err.429"), msg("what.429")
    elif status >= 500:
        cls, hint, what_happened = ServerError, msg("err.5xx"), msg("what.5xx", status=status)
    else:
        key = _HINT_KEYS.get(status, "err.other")
        cls, hint, what_happened = ApiError, msg(key), msg("what.http", status=status)

    message = f"{prefix}{what_happened}.{said} {hint}{tail}"
    err = cls(message, status=status, code=info["code"], error_id=info["error_id"],
              reference=info["reference"], server_message=server or None)
    if isinstance(err, Throttled):
        err.retry_after = retry_after_seconds(headers)
    return err
