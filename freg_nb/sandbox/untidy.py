"""Deviations from the spec that real Freg documents carry (API-NOTES §3 and §6, ``examples/``), served for the
share ``SandboxConfig.untidy`` of persons (and of their event documents) so every reader meets them.

Person documents (``person_document``), each kind on about half of the untidy persons, drawn per person:

* address grading codes in upper case (``UGRADERT``) and a free-form postal address whose ``poststed`` is
  text with an extra ``postnummer`` beside it, plus ``hendelsedataId`` on the version
  (skatteetaten-person-oppslag.json);
* an address version without ``adressegradering`` (tenor-synutopia-person-minimal-uten-hjemmel.json);
* older-schema elements: ``annenIdentifikasjon: []`` and ``dokumentgrunnlag: []`` in identitetsgrunnlag
  (skatteetaten-person-arkiv-eldre-skjema.json), and ``preferertKontaktadresse`` with ``valg: "POSTADRESSE"``
  and a ``kontaktadresseIFrittFormat`` (skatteetaten-person-oppslag.json).

Event documents (``event_document``): the old type ``endringIAnnenIdentifikasjon`` with an
``annenIdentifikasjon`` item, identitetsgrunnlag items without ``legitimasjonskontroll`` but with
``dokumentgrunnlag``, and annulments / ``korrigereHistorisk`` items with no element data
(skatteetaten-hendelsesdokument-*.json), schema version ``1.0``.
"""
from __future__ import annotations

from .vocab import ADDRESS_ELEMENTS

__all__ = ["person_document", "event_document", "event_type", "PERSON_KINDS", "OLD_TYPE", "OLD_TYPE_OF"]

OLD_TYPE = "endringIAnnenIdentifikasjon"  # an event type of older documents, no longer in the official list
# the official types that took its place: an untidy event of these shows the old type instead
OLD_TYPE_OF = frozenset({"endringIUtenlandskPersonidentifikasjon", "endringILegitimasjonsdokument"})

PERSON_KINDS = ("upper-case code", "poststed as text", "no adressegradering", "older schema")


def _versions(doc: dict, name: str) -> list[dict]:
    v = doc.get(name)
    return v if isinstance(v, list) else [v] if isinstance(v, dict) else []


def person_document(doc: dict, draw) -> None:
    """Make ``doc`` untidy in place; ``draw(salt)`` gives this person's uniform numbers in [0, 1)."""
    upper, no_grading, older = draw(1) < 0.7, draw(2) < 0.35, draw(3) < 0.5
    first_address = True
    for name in ADDRESS_ELEMENTS:
        for v in _versions(doc, name):
            if no_grading and first_address and "adressegradering" in v and v["adressegradering"] == "ugradert" \
                    and len(v) > 2:
                del v["adressegradering"]
                first_address = False
            elif upper and isinstance(v.get("adressegradering"), str):
                v["adressegradering"] = v["adressegradering"].upper()
            fritt = v.get("postadresseIFrittFormat")
            if fritt and isinstance(fritt.get("poststed"), dict):
                place = fritt["poststed"]
                v["postadresseIFrittFormat"] = dict(fritt, postnummer=place.get("postnummer", ""),
                                                    poststed=place.get("poststedsnavn", ""))
                v["hendelsedataId"] = f"{int(draw(4) * 2**32):08x}-8aa5-49c6-ad06-{int(draw(5) * 2**48):012x}"
    if not older:
        return
    if "identitetsgrunnlag" in doc:
        doc["annenIdentifikasjon"] = []
        for v in _versions(doc, "identitetsgrunnlag"):
            v["dokumentgrunnlag"] = []
    post = next((v for v in _versions(doc, "postadresse") if v.get("erGjeldende")), None)
    lines = _lines(post) if post else None
    if lines:
        doc["preferertKontaktadresse"] = [{"kilde": "", "saksreferanse": "", "erGjeldende": True,
                                           "valg": "POSTADRESSE", "adressegradering": "UGRADERT",
                                           "kontaktadresseIFrittFormat": {"adresselinje": lines}}]


def _lines(post: dict) -> list[str] | None:
    """A postal address as free-form lines (``GATE 22255``, ``9170 LONGYEARBYEN``)."""
    for key in ("postadresseIFrittFormat", "postboksadresse"):
        a = post.get(key)
        if not a:
            continue
        place = a.get("poststed")
        nr, town = (place.get("postnummer", ""), place.get("poststedsnavn", "")) if isinstance(place, dict) \
            else (a.get("postnummer", ""), place or "")
        first = list(a.get("adresselinje") or []) or [a.get("postboks", "")]
        return [*first, f"{nr} {town}".strip()]
    return None


def event_type(official: str) -> str:
    """The type an untidy event shows (feed and document alike): the old one for its successors."""
    return OLD_TYPE if official in OLD_TYPE_OF else official


def event_document(doc: dict, draw) -> None:
    """Make a DokumentForHendelse untidy in place, as older event documents are (see the module docstring)."""
    doc["skjemaversjon"] = "1.0"
    h = doc["hendelse"]
    items = h.get("egenskapshendelse") or []
    if event_type(h["hendelsestype"]) == OLD_TYPE:
        h["hendelsestype"] = OLD_TYPE
        change = items[0]["entitetsendring"] if items else "registrereNy"
        item = {"entitet": "annenIdentifikasjon", "entitetsendring": change}
        if change != "annullere":
            item["annenIdentifikasjon"] = {"kilde": "kilde", "aarsak": "kontroll", "identifikasjonsnummer":
                                           f"{int(draw(2) * 10**10):010d}",
                                           "identifikasjonsnummertype": "utenlandskIdentifikasjonsnummer",
                                           "utstederland": "SWE"}
        h["egenskapshendelse"] = [item]
        return
    for item in items:
        grunnlag = item.get("identitetsgrunnlag")
        if isinstance(grunnlag, dict):
            grunnlag.pop("legitimasjonskontroll", None)
            grunnlag["dokumentgrunnlag"] = []
    if items and draw(3) < 0.3:  # a historic correction: no element data at all
        h["egenskapshendelse"] = [{"entitet": i["entitet"], "entitetsendring": "korrigereHistorisk"} for i in items]
