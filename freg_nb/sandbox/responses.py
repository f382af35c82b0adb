"""Response bodies in the shapes the real services use (orjson, deterministic bytes).

* Fiks proxy errors: ``{"timestamp", "status", "error", "errorId", "path", "message", "errorCode", "errorJson"}``
* Freg ``FolkeregisterFeilmelding`` (401/403/400): ``{"feilkode", "feilmelding", "httpStatus", "alvorlighetsgrad", "tilleggsinformasjon"}``
* Freg ``ErrorMessageForExternalUsers`` (404): ``{"code", "message", "httpStatus", "feilreferanse"}``
* Freg ``{"kode", "melding"}`` (429/5xx, as in Skatteetaten's documented error example)
"""
from __future__ import annotations

import time
import uuid
from http import HTTPStatus

import orjson
from starlette.responses import Response

__all__ = ["json_response", "fiks_error", "freg_error", "freg_not_found", "kode_melding", "DroppedResponse"]

JSON = "application/json"


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(obj), status_code=status, headers=headers, media_type=JSON)


def fiks_error(status: int, path: str, message: str, code: str) -> Response:
    return json_response({
        "timestamp": int(time.time() * 1000), "status": status, "error": HTTPStatus(status).phrase,
        "errorId": str(uuid.uuid4()), "path": path, "message": message, "errorCode": code, "errorJson": None,
    }, status)


def freg_error(status: int, feilkode: str, feilmelding: str, **extra: str) -> Response:
    return json_response({"feilkode": feilkode, "feilmelding": feilmelding, "httpStatus": status,
                          "alvorlighetsgrad": "FEIL", "tilleggsinformasjon": dict(extra)}, status)


def freg_not_found(message: str, code: str = "FREG-404") -> Response:
    return json_response({"code": code, "message": message, "httpStatus": 404,
                          "feilreferanse": str(uuid.uuid4())}, 404)


def kode_melding(status: int, kode: str, melding: str, headers: dict | None = None) -> Response:
    return json_response({"kode": kode, "melding": melding}, status, headers)


class DroppedResponse(Response):
    """Starts a 200 answer, sends a few bytes, then returns: the server closes the connection and the
    client sees an incomplete message (httpx: RemoteProtocolError)."""

    def __init__(self):
        super().__init__(b"", status_code=200)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON.encode()), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"oppslag":[', "more_body": True})
