"""Keep a mirror current from the hendelser feed, page by page.

For each page after the mirror's sequence number: the events that concern someone in the mirror,
or whose type may bring someone in (a birth or new person, a move, someone settling or being
reactivated, a new identifier), name the person's new document version (``persondokument``). The
newest named version of each such person is fetched in bulk (``bulkoppslag/arkiv``) and applied:
persons in the mirror get their new history (someone who moved away stays, with the end date);
others are taken in when their history shows an address in the mirror's municipalities.

Each page ends in ``delta/<last seq>.parquet`` and then the new sequence number in ``state.json``;
see :mod:`freg_nb.mirror.core` for why a kill anywhere is harmless and a page applied twice
changes nothing. ``cancel`` is asked between pages (the notebook's Stopp button).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import InputError
from . import fetch
from .core import Mirror

# Event types that can put someone in the mirror who was not there before.
BRING_IN = frozenset({
    "personErOpprettet", "endringIBostedsadresse", "personErBosatt", "personErReaktivert",
    "endringIIdentifikasjonsnummer", "endringIStatus", "personErViderefoertSomGjeldendeVedSammenslaaing",
    "personErGjenopprettetVedSplitting", "personErEndretVedSplitting", "endringIAdressebeskyttelse",
})


@dataclass
class UpdateResult:
    """What an update did: from/to sequence number, pages, events read, documents fetched,
    persons taken in, and whether it was stopped before the end."""

    fra: int
    til: int
    sider: int = 0
    hendelser: int = 0
    dokumenter: int = 0
    nye_personer: int = 0
    stoppet: bool = False


def relevant(entries: list[dict], members: set[str]) -> dict[str, tuple[int, str]]:
    """Person → (sequence number, persondokument) of their newest relevant event on the page."""
    out: dict[str, tuple[int, str]] = {}
    for e in entries:
        h = e.get("hendelse") or {}
        ident, doc = h.get("folkeregisteridentifikator"), h.get("persondokument")
        if not ident or not doc:
            continue
        if ident in members or h.get("hendelsetype") in BRING_IN:
            seq = int(e["sekvensnummer"])
            if ident not in out or out[ident][0] < seq:
                out[ident] = (seq, doc)
    return out


def apply_page(mirror: Mirror, start: int, *, members: set[str] | None = None, end_seq: int | None = None) -> int:
    """Apply the feed page starting at ``start`` (events ``start`` … ≤ ``end_seq``); returns the
    last sequence number applied (``start - 1`` when the page is empty). Moves the mirror's
    sequence number there. Applying the same page again writes the same rows."""
    members = mirror.members() if members is None else members
    page = mirror.client.feed(mirror.role, start)
    entries = [e for e in (page.entries or []) if int(e.get("sekvensnummer", 0)) >= start
               and (end_seq is None or int(e["sekvensnummer"]) <= end_seq)]
    if not entries:
        return start - 1
    last = max(int(e["sekvensnummer"]) for e in entries)
    wanted = relevant(entries, members)
    raw = mirror.folder / "svar" / f"side-{last:012d}"
    newcomers = sorted({doc for ident, (_, doc) in wanted.items() if ident not in members})
    if newcomers:  # first only their addresses (a small answer): most live elsewhere
        probe = fetch.fetch_documents(mirror, newcomers, raw / "adresser", by="dokument",
                                      parts=("bostedsadresse", "historikk"))
        hits = fetch.documents_with_address_in(probe, mirror.kommuner)
        wanted = {ident: v for ident, v in wanted.items() if ident in members or v[1] in hits}
    if wanted:
        docs = sorted({doc for _, doc in wanted.values()})
        files = fetch.fetch_documents(mirror, docs, raw, by="dokument")
        target = mirror.folder / "delta" / f"{last:012d}.parquet"
        mirror.store.subdir(target.parent.relative_to(mirror.store.path))
        kept = fetch.ingest(mirror, files, target, seqs={doc: seq for seq, doc in wanted.values()},
                            members=members & wanted.keys())  # only this page's persons can match
        members |= kept
        mirror.state["dokumenter"] = int(mirror.state.get("dokumenter") or 0) + len(docs)
    if last > mirror.sekvensnummer:
        mirror.state["sekvensnummer"] = last
    mirror.save()
    fetch.clear(raw)
    return last


def update_mirror(mirror: Mirror, *, end_seq: int | None = None, progress: bool = True,
                  cancel: Callable[[], bool] | None = None, compact: bool = True) -> UpdateResult:
    """Bring ``mirror`` up to ``end_seq`` (default: the newest event) from the feed.

    Resumable: run it again after a stop or a crash and it continues after the last applied page.
    ``cancel()`` is asked between pages; True stops cleanly (``UpdateResult.stoppet``).

    >>> r = freg_nb.mirror.update_mirror(speil)                   # doctest: +SKIP
    """
    if end_seq is not None and (isinstance(end_seq, bool) or not isinstance(end_seq, int) or end_seq < 0):
        raise InputError(f"end_seq må være et heltall ≥ 0 (et sekvensnummer), ikke {end_seq!r}.")
    from tqdm.auto import tqdm

    client, role = mirror.client, mirror.role
    target = client.latest_sequence(role) if end_seq is None else end_seq
    result = UpdateResult(fra=mirror.sekvensnummer, til=mirror.sekvensnummer)
    members = mirror.members()
    n_before = len(members)
    bar = tqdm(total=max(target - mirror.sekvensnummer, 0), desc=f"Oppdaterer befolkningsspeil {mirror.name}",
               unit=" hendelser", disable=not progress)
    docs_before = int(mirror.state.get("dokumenter") or 0)
    try:
        while mirror.sekvensnummer < target:
            if cancel is not None and cancel():
                result.stoppet = True
                break
            before = mirror.sekvensnummer
            last = apply_page(mirror, before + 1, members=members, end_seq=target)
            if last < before + 1:
                break
            result.sider += 1
            result.hendelser += last - before
            bar.update(last - before)
    finally:
        bar.close()
    result.til = mirror.sekvensnummer
    result.dokumenter = int(mirror.state.get("dokumenter") or 0) - docs_before
    result.nye_personer = len(members) - n_before
    if compact and not result.stoppet:
        mirror.compact()
    return result
