"""Keep a mirror current from the hendelser feed, page by page.

For each page after the mirror's sequence number: the events that concern someone in the mirror,
or whose type may bring someone in (a birth or new person, a move, someone settling or being
reactivated, a new identifier), name the person's new document version (``persondokument``). The
newest named version of each such person is fetched in bulk (``bulkoppslag/arkiv``) and applied:
persons in the mirror get their new history (someone who moved away stays, with the end date);
others are taken in when their history shows an address in the mirror's municipalities.

Each page ends in ``delta/<last seq>.parquet`` and then the new sequence number in ``state.json``;
see :mod:`freg_nb.mirror.core` for why a kill anywhere is harmless and a page applied twice
changes nothing, and how the questions see the new pages without rewriting the mirror.
``cancel`` is asked between pages (the notebook's Stopp button).
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
    """Person → (sequence number, persondokument) of their newest event in ``entries``, for the
    persons in the mirror and those with an event that may bring them in (any later event of
    theirs counts too: once in, every change matters)."""
    newest: dict[str, tuple[int, str]] = {}
    concerned: set[str] = set()
    for e in entries:
        h = e.get("hendelse") or {}
        ident, doc = h.get("folkeregisteridentifikator"), h.get("persondokument")
        if not ident or not doc:
            continue
        seq = int(e["sekvensnummer"])
        if ident not in newest or newest[ident][0] < seq:
            newest[ident] = (seq, doc)
        if ident in members or h.get("hendelsetype") in BRING_IN:
            concerned.add(ident)
    return {ident: newest[ident] for ident in concerned}


PAGE = 1000  # events per feed page (fixed by Freg)


def _read_pages(mirror: Mirror, start: int, n_pages: int, end_seq: int | None) -> list[dict]:
    """Up to ``n_pages`` consecutive feed pages from ``start``, fetched concurrently; only the
    entries that follow each other without a hole (a page that ends short of the next one's start
    ends the run), none after ``end_seq``."""
    starts = [start + k * PAGE for k in range(n_pages) if end_seq is None or start + k * PAGE <= end_seq]
    pages = mirror.client.map(lambda s: mirror.client.feed(mirror.role, s).entries or [], starts, progress=False)
    out: list[dict] = []
    for k, entries in enumerate(pages):
        entries = [e for e in entries if int(e.get("sekvensnummer", 0)) >= starts[k]
                   and (end_seq is None or int(e["sekvensnummer"]) <= end_seq)]
        out += entries
        nxt = starts[k + 1] if k + 1 < len(starts) else None
        if nxt is None or not entries or max(int(e["sekvensnummer"]) for e in entries) < nxt - 1:
            break
    return out


def apply_page(mirror: Mirror, start: int, *, members: set[str] | None = None, end_seq: int | None = None,
               pages: int = 1) -> int:
    """Apply ``pages`` feed pages from ``start`` (events ``start`` … ≤ ``end_seq``) as one step;
    returns the last sequence number applied (``start - 1`` when there is nothing). Moves the
    mirror's sequence number there. Applying the same pages again writes the same rows.
    ``members``: the identifiers in the mirror (kept up to date here); default: looked up for
    the persons the pages name."""
    entries = _read_pages(mirror, start, pages, end_seq)
    if not entries:
        return start - 1
    if members is None:  # only those the pages name: the mirror may hold many
        members = mirror.members(among={(e.get("hendelse") or {}).get("folkeregisteridentifikator") for e in entries}
                                 - {None})
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
        new = {ident for ident in wanted if ident not in members} & kept
        mirror.state["nye_personer"] = int(mirror.state.get("nye_personer") or 0) + len(new)
        members |= kept
        mirror.state["dokumenter"] = int(mirror.state.get("dokumenter") or 0) + len(docs)
    if last > mirror.sekvensnummer:
        mirror.state["sekvensnummer"] = last
    mirror.save()
    fetch.clear(raw)
    return last


def update_mirror(mirror: Mirror, *, end_seq: int | None = None, progress: bool = True,
                  cancel: Callable[[], bool] | None = None, compact: bool = True,
                  pages_per_step: int = 8) -> UpdateResult:
    """Bring ``mirror`` up to ``end_seq`` (default: the newest event) from the feed.

    Resumable: run it again after a stop or a crash and it continues after the last applied page.
    Pages are read ``pages_per_step`` at a time (concurrently) and applied as one step; ``cancel()``
    is asked between steps (``pages_per_step=1``: between pages); True stops cleanly
    (``UpdateResult.stoppet``). ``compact``: at the end, fold the new pages for the questions
    (an overlay in proportion to the changes; a full compaction only now and then, see
    ``Mirror.refresh``).

    >>> r = freg_nb.mirror.update_mirror(speil)                   # doctest: +SKIP
    """
    if end_seq is not None and (isinstance(end_seq, bool) or not isinstance(end_seq, int) or end_seq < 0):
        raise InputError(f"end_seq må være et heltall ≥ 0 (et sekvensnummer), ikke {end_seq!r}.")
    if isinstance(pages_per_step, bool) or not isinstance(pages_per_step, int) or not 1 <= pages_per_step <= 100:
        raise InputError(f"pages_per_step må være et heltall fra 1 til 100, ikke {pages_per_step!r}.")
    from tqdm.auto import tqdm

    client, role = mirror.client, mirror.role
    target = client.latest_sequence(role) if end_seq is None else end_seq
    result = UpdateResult(fra=mirror.sekvensnummer, til=mirror.sekvensnummer)
    new_before = int(mirror.state.get("nye_personer") or 0)
    bar = tqdm(total=max(target - mirror.sekvensnummer, 0), desc=f"Oppdaterer befolkningsspeil {mirror.name}",
               unit=" hendelser", disable=not progress)
    docs_before = int(mirror.state.get("dokumenter") or 0)
    try:
        while mirror.sekvensnummer < target:
            if cancel is not None and cancel():
                result.stoppet = True
                break
            before = mirror.sekvensnummer
            last = apply_page(mirror, before + 1, end_seq=target, pages=pages_per_step)
            if last < before + 1:
                break
            result.sider += -(-(last - before) // PAGE)
            result.hendelser += last - before
            bar.update(last - before)
    finally:
        bar.close()
    result.til = mirror.sekvensnummer
    result.dokumenter = int(mirror.state.get("dokumenter") or 0) - docs_before
    result.nye_personer = int(mirror.state.get("nye_personer") or 0) - new_before
    if compact and not result.stoppet:
        mirror.refresh()
    return result
