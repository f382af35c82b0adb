"""Content negotiation as Freg does it: request bodies read by their Content-Type, answers by Accept.

* POST bodies: ``application/json`` or ``application/xml``; **XML is the default** — a body without a
  Content-Type is read as XML, so a JSON body sent without ``Content-Type: application/json`` is refused
  as invalid XML (API-NOTES §6). Any other Content-Type: 415.
* Answers: ``Accept`` chooses JSON (default) or XML; a POST with a Content-Type and no Accept answers in
  the Content-Type's format; an Accept that names neither gives 406. Some operations offer more
  (``siste/sekvensnummer``: ``text/plain``, a bare integer).

XML is parsed with defusedxml (the request body comes from outside). The sandbox's XML answers are a
plain element-per-field rendering of the JSON answer: enough for a client to see XML come back, not a
copy of Skatteetaten's XSD-bound marshalling.
"""
from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import defusedxml
import defusedxml.ElementTree as SafeET

__all__ = ["JSON", "XML", "TEXT", "negotiate", "body_type", "read_list", "to_xml", "BodyError"]

JSON, XML, TEXT = "application/json", "application/xml", "text/plain"
_XML_ALIASES = {"application/xml", "text/xml"}


class BodyError(ValueError):
    """A body Freg would refuse: ``status`` 400 (unreadable) or 415 (unsupported Content-Type)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _media(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def body_type(content_type: str | None) -> str | None:
    """JSON or XML for a request body's Content-Type (XML when absent), None when unsupported."""
    m = _media(content_type)
    if not m:
        return XML
    if m == JSON or m.endswith("+json"):
        return JSON
    if m in _XML_ALIASES or m.endswith("+xml"):
        return XML
    return None


def negotiate(accept: str | None, offers: tuple[str, ...], content_type: str | None = None) -> str | None:
    """The answer's media type among ``offers`` (server preference order), or None (→ 406)."""
    if not accept or not accept.strip():
        if content_type:
            wanted = body_type(content_type)
            if wanted in offers:
                return wanted
        return offers[0]
    best, best_q = None, 0.0
    for offer in offers:
        main = offer.split("/")[0]
        q_offer = 0.0
        for item in accept.split(","):
            media, *params = [p.strip() for p in item.split(";")]
            media = media.lower()
            if media == "text/xml":
                media = XML
            if media not in ("*/*", offer, f"{main}/*"):
                continue
            try:
                q = float(next((p.split("=", 1)[1] for p in params if p.startswith("q=")), "1"))
            except ValueError:
                continue
            q_offer = max(q_offer, q)
        if q_offer > best_q:
            best, best_q = offer, q_offer
    return best


def read_list(raw: bytes, content_type: str | None, field: str):
    """The list under ``field`` in a JSON or XML body (any element named ``field``, namespaces ignored)."""
    kind = body_type(content_type)
    if kind is None:
        raise BodyError(415, f"Innholdstypen {_media(content_type)} støttes ikke. Bruk application/json "
                             "eller application/xml")
    if kind == JSON:
        import orjson
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BodyError(400, "Ugyldig JSON i forespørselen") from None
        return body.get(field) if isinstance(body, dict) else None
    try:
        root = SafeET.fromstring(raw)
    except (ParseError, defusedxml.DefusedXmlException, ValueError):
        raise BodyError(400, "Ugyldig XML i forespørselen (uten Content-Type leses innholdet som XML)") from None
    return [(e.text or "").strip() for e in root.iter() if e.tag.rpartition("}")[2] == field]


def _fill(parent: Element, value) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            for item in v if isinstance(v, list) else [v]:
                _fill(SubElement(parent, k), item)
    elif value is not None:
        parent.text = str(value).lower() if isinstance(value, bool) else str(value)


def to_xml(obj, root: str = "svar") -> bytes:
    """A JSON answer as XML: objects → child elements, lists → repeated elements, a top-level list →
    repeated ``element`` children of ``root``."""
    top = Element(root)
    if isinstance(obj, list):
        for item in obj:
            _fill(SubElement(top, "element"), item)
    else:
        _fill(top, obj)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(top, encoding="utf-8")
