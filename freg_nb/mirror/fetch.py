"""Fetch person documents in bulk (≤ 1000 a call, concurrently) and turn them into version rows."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping, Sequence

import orjson
import pyarrow as pa

from ..errors import FregNbError
from . import documents
from .core import Mirror

BULK = 1000
PARTS = ("person-basis", "historikk")  # every version of every element of the person-basis


def fetch_documents(mirror: Mirror, keys: Sequence[str], folder: Path, *, by: str,
                    parts: Sequence[str] = PARTS) -> list[Path]:
    """Fetch the documents for ``keys`` into ``folder`` as raw answers, one file per call.

    ``by="dokument"``: ``keys`` are persondokument ids (``bulkoppslag/arkiv``: the version named);
    ``by="ident"``: identifiers (``bulkoppslag``: the newest version). Files already there (from
    an interrupted run of the same page or batch) are reused. Asked and answered are reconciled:
    a document Freg did not return is an error, never dropped silently."""
    client, role = mirror.client, mirror.role
    store = mirror.store
    store.subdir(folder.relative_to(store.path))
    chunks = [list(keys[i:i + BULK]) for i in range(0, len(keys), BULK)]

    def one(item: tuple[int, list[str]]) -> Path:
        k, chunk = item
        target = folder / f"{k:05d}.json"
        if target.is_file():
            return target
        if by == "dokument":
            body = client.bulk_archived(role, chunk, parts=list(parts), raw=True)
        else:
            body = client.bulk_lookup(role, chunk, parts=list(parts), raw=True)
        answered = _answered(body, by)
        missing = set(chunk) - answered
        if missing:
            raise FregNbError(f"Freg svarte ikke for {len(missing)} av {len(chunk)} "
                              f"{'persondokumenter' if by == 'dokument' else 'personer'} i et bulkoppslag. "
                              "Ingenting ble lagt inn i speilet; prøv igjen senere.")
        return store.write_bytes(target.relative_to(store.path), body)

    return client.map(one, list(enumerate(chunks)), progress=False)


def _answered(body: bytes, by: str) -> set[str]:
    data = orjson.loads(body)
    out = set()
    for entry in (data.get("oppslag") or []) if isinstance(data, dict) else []:
        if not isinstance(entry, dict) or entry.get("folkeregisterperson") is None:
            continue  # an error entry (feilmelding); an empty person (no element asked for exists) is an answer
        if by == "dokument":
            out.add(entry.get("dokumentidentifikator"))
        else:
            out.add(entry.get("foedselsEllerDNummer"))
            for ident in entry["folkeregisterperson"].get("identifikasjonsnummer") or []:
                out.add(ident.get("foedselsEllerDNummer"))
    return out


def documents_with_address_in(files: Sequence[Path], kommuner: Sequence[str]) -> set[str]:
    """Document ids whose bostedsadresse history (``part=bostedsadresse``) touches ``kommuner``."""
    wanted, out = set(kommuner), set()
    for f in files:
        for entry in orjson.loads(Path(f).read_bytes()).get("oppslag") or []:
            for v in (entry.get("folkeregisterperson") or {}).get("bostedsadresse") or []:
                adr = v.get("vegadresse") or v.get("matrikkeladresse") or v.get("ukjentBosted") or {}
                k = adr.get("kommunenummer") or (adr.get("matrikkelnummer") or {}).get("kommunenummer") \
                    or adr.get("bostedskommune")
                if k in wanted:
                    out.add(entry.get("dokumentidentifikator"))
                    break
    return out


def ingest(mirror: Mirror, files: Sequence[Path], target: Path, *, seqs: Mapping[str, int] | int,
           members: set[str] | None) -> set[str]:
    """Version rows of the documents in ``files`` → ``target`` (Parquet, atomically).

    Kept: persons already in the mirror (``members``) and anyone whose documents show a
    bostedsadresse in one of the mirror's municipalities at any time. ``seqs``: the feed sequence
    number each document was taken at (by document id), or one number for all. Returns the
    identifiers kept."""
    con = mirror.connect()
    try:
        documents.read_answers(con, files)
        if isinstance(seqs, Mapping):
            con.register("seqs_in", pa.table({"dokument": list(seqs), "sekvensnummer": list(seqs.values())}))
            con.execute("CREATE TEMP TABLE seqs AS SELECT * FROM seqs_in")
        else:
            con.execute("CREATE TEMP TABLE seqs (dokument VARCHAR, sekvensnummer BIGINT)")
        con.execute(f"CREATE TEMP TABLE versions AS {documents.versions_sql()}")
        if not isinstance(seqs, Mapping):
            con.execute("UPDATE versions SET sekvensnummer = $s", {"s": int(seqs)})
        con.register("members_in", pa.table({"pid": sorted(members or ())}, schema=pa.schema([("pid", pa.string())])))
        con.execute("""
            CREATE TEMP TABLE keep AS
            SELECT DISTINCT pid FROM versions
            WHERE pid IN (SELECT pid FROM members_in)
               OR (element = 'bostedsadresse' AND kommunenummer IN (SELECT unnest($k::VARCHAR[])))
               OR (element = 'identifikasjonsnummer' AND verdi IN (SELECT pid FROM members_in))
            """, {"k": mirror.kommuner})
        mirror.write_parquet(con, "SELECT * FROM versions WHERE pid IN (SELECT pid FROM keep) "
                             "ORDER BY pid, element, pos", target)
        kept = {r[0] for r in con.execute("SELECT verdi FROM versions WHERE element = 'identifikasjonsnummer' "
                                          "AND pid IN (SELECT pid FROM keep)").fetchall()}
    finally:
        con.close()
    return kept


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def current_feed_day(client: Any, role: str, seq: int) -> str | None:
    """The day (ISO) of the event at ``seq`` (None when the feed has nothing there)."""
    if seq < 1:
        return None
    page = client.feed(role, seq)
    for e in page.entries or []:
        if int(e.get("sekvensnummer", -1)) == seq:
            stamp = (e.get("hendelse") or {}).get("ajourholdstidspunkt")
            return stamp[:10] if stamp else None
    return None
