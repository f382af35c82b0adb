"""Read the answers of ``POST personer/bulkoppslag/arkiv`` and ``POST hendelser/bulkoppslag`` in either shape.

The spec gives the 200 answer of both as ONE document (``Folkeregisterperson`` / ``DokumentForHendelse``);
no public example shows the real multi-document answer (API-NOTES §6). So both shapes are read:

* a wrapper ``{"oppslag": [{"dokumentidentifikator": …, <document> | "feilmelding": …}, …]}``;
* the spec's document, or a list of such documents.

Asked and answered ids are reconciled: the result has one entry per asked id, in the asked order, each
either with the document or with a ``feilmelding`` — an id Freg left out is reported, never dropped.
Event documents carry their ``dokumentidentifikator``; archived person documents do not, so a list of
them is matched by position only when it holds exactly as many documents as ids were asked (else every
id is reported, as nothing tells which one is missing). Pure functions, no I/O.
"""
from __future__ import annotations

from typing import Any, Sequence

__all__ = ["reconcile", "PERSON", "EVENT", "MISSING", "UNMATCHED"]

PERSON, EVENT = "folkeregisterperson", "dokumentForHendelse"
MISSING = "Freg svarte ikke for dette dokumentet (mangler i svaret)."
UNMATCHED = ("Freg svarte med {answered} dokumenter uten dokumentidentifikator for {asked} spurte; det går ikke "
             "an å avgjøre hvilket dokument som hører til hvilken id. Slå opp disse enkeltvis.")


def _entries(body: Any, key: str) -> list[dict] | None:
    """The wrapper's entries as ``{"dokumentidentifikator", key | "feilmelding"}``, or None if not a wrapper."""
    if not (isinstance(body, dict) and isinstance(body.get("oppslag"), list)):
        return None
    out = []
    for e in body["oppslag"]:
        if not isinstance(e, dict):
            continue
        doc = next((e[k] for k in (key, "folkeregisterperson", "dokumentForHendelse", "hendelse") if k in e), None)
        entry = {"dokumentidentifikator": e.get("dokumentidentifikator")}
        if isinstance(doc, dict):
            entry[key] = doc
        else:
            entry["feilmelding"] = e.get("feilmelding") or {"feilmelding": MISSING}
        out.append(entry)
    return out


def reconcile(body: Any, asked: Sequence[str], key: str = PERSON) -> dict:
    """``{"oppslag": [...]}`` with one entry per asked id (see the module docstring); ``key`` is
    ``PERSON`` (bulkoppslag/arkiv) or ``EVENT`` (hendelser/bulkoppslag)."""
    asked = list(asked)
    entries = _entries(body, key)
    if entries is None:
        docs = body if isinstance(body, list) else [body] if isinstance(body, dict) and body else []
        docs = [d for d in docs if isinstance(d, dict)]
        if key == EVENT or all("dokumentidentifikator" in d for d in docs):
            entries = [{"dokumentidentifikator": d.get("dokumentidentifikator"), key: d} for d in docs]
        elif len(docs) == len(asked):  # person documents carry no document id: by position, counts agree
            entries = [{"dokumentidentifikator": a, key: d} for a, d in zip(asked, docs)]
        else:
            message = UNMATCHED.format(answered=len(docs), asked=len(asked))
            return {"oppslag": [{"dokumentidentifikator": a, "feilmelding": {"feilmelding": message}} for a in asked]}
    by_id: dict[str, dict] = {}
    for e in entries:
        by_id.setdefault(str(e.get("dokumentidentifikator")), e)
    return {"oppslag": [by_id.get(a) or {"dokumentidentifikator": a, "feilmelding": {"feilmelding": MISSING}}
                        for a in asked]}
