"""Freg events (hendelser): feed pages with ETag/304, newest sequence number, event documents; and the
three XSD operations."""
from __future__ import annotations

import hashlib

from starlette.responses import Response

from freg_nb.sandbox.bodies import TEXT
from freg_nb.sandbox.fiks import Ctx
from freg_nb.sandbox.persons import BadInput, bulk_answer, read_id_list
from freg_nb.sandbox.responses import freg_error, freg_not_found, json_response

__all__ = ["feed_page", "latest_sequence", "get_event", "bulk_events", "xsd"]


async def feed_page(ctx: Ctx):
    raw = ctx.request.query_params.get("seq")
    if raw is None or not raw.isdigit():
        return freg_error(400, "FREG-400", "Parameteren seq er påkrevd og må være et ikke-negativt heltall")
    seq, hjemmel = int(raw), ctx.role.hjemmel
    page = ctx.state.feed_page(seq, med_hjemmel=hjemmel)
    last = page[-1]["sekvensnummer"] if page else 0
    tag = hashlib.sha256(f"{'med' if hjemmel else 'uten'}:{seq}:{len(page)}:{last}".encode()).hexdigest()[:32]
    etag = f'"{tag}"'
    inm = ctx.request.headers.get("if-none-match")
    if inm and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return json_response(page, headers={"ETag": etag})


async def latest_sequence(ctx: Ctx):
    latest = ctx.state.latest(med_hjemmel=ctx.role.hjemmel)
    if ctx.answer_type == TEXT:  # the spec and Skatteetaten's 2022 notice: a bare integer
        return Response(str(latest), media_type=TEXT)
    return json_response({"sekvensnummer": latest})


async def get_event(ctx: Ctx):
    doc = ctx.state.feed.event_document(ctx.request.path_params["hendelsesidentifikator"])
    if doc is None:
        return freg_not_found("Ukjent dokumentid", "FREG-HENDELSE-404")
    return json_response(doc)


async def bulk_events(ctx: Ctx):
    """Answer shape per ``SandboxConfig.bulk_events_shape`` (see persons.bulk_archived): "spec" (DokumentForHendelse;
    several ids: a list, unknown ids left out) or "wrapper" (one entry per asked id)."""
    try:
        ids = await read_id_list(ctx, "dokumentidentifikator")
    except BadInput as e:
        return freg_error(e.status, "FREG-400", str(e))
    feed = ctx.state.feed
    return bulk_answer(ctx.state.config.bulk_events_shape, [(i, feed.event_document(i)) for i in ids],
                       "dokumentForHendelse", "Ukjent hendelsesidentifikator")


_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="{ns}" targetNamespace="{ns}" elementFormDefault="qualified">
  <!-- freg-nb sandbox: a small stand-in for Skatteetaten's {what} contract -->
  <xs:element name="{root}" type="{root}Type"/>
  <xs:complexType name="{root}Type">
    <xs:sequence>
{fields}
    </xs:sequence>
  </xs:complexType>
</xs:schema>
"""
_KINDS = {
    "personer": ("folkeregisterperson", "person", ["identifikasjonsnummer", "navn", "foedsel", "kjoenn",
                                                  "status", "bostedsadresse", "postadresse", "doedsfall"]),
    "hendelser": ("dokumentForHendelse", "hendelse", ["dokumentidentifikator", "skjemaversjon", "hendelse"]),
    "feed": ("lagretHendelse", "feed", ["sekvensnummer", "hendelse"]),
}


def xsd(kind: str):
    root, what, names = _KINDS[kind]
    ns = f"folkeregisteret:tilgjengeliggjoering:{what}:v1"
    fields = "\n".join(f'      <xs:element name="{n}" type="xs:anyType" minOccurs="0" maxOccurs="unbounded"/>'
                       for n in names)
    body = _XSD.format(ns=ns, what=what, root=root, fields=fields).encode()

    async def handler(ctx: Ctx):
        return Response(body, media_type="application/xml")
    return handler
