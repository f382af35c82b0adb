"""Build a mirror from an extract: complete (at a feed sequence number) or tailored (bosatt now).

* ``kilde="komplett"``: a complete extract valid at ``feedsekvensnr``; every person's documents are
  fetched as that version (``bulkoppslag/arkiv``) and everyone whose history shows an address in
  the municipalities is kept — so the mirror knows the residents of any day back in time.
* ``kilde="tilpasset"``: one tailored extract per municipality (``personstatustyper=["bosatt"]``);
  the newest documents are fetched by identifier. Those who had left before the extract are not
  in it, so the mirror answers for days from the extract's day on (``history_from``); and an
  extract by bostedskommune may leave out residents without a known address (``ukjentBosted``).

The job id is recorded the moment Freg gives it and every batch is marked done only after its
rows are written, so a build interrupted anywhere continues where it stopped when run again with
the same name.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any, Callable, Sequence

from .._connect import resolve_client
from ..errors import ExtractError, InputError
from . import documents, fetch
from .core import STATE_VERSION, Mirror, check_name, connect, state_path, store_of

SOURCES = ("komplett", "tilpasset")


def _check_kommuner(kommuner: Any) -> list[str]:
    from ..kommuner import is_current

    items = [kommuner] if isinstance(kommuner, str) else list(kommuner or [])
    problems = []
    out: list[str] = []
    for k in items:
        s = str(k).strip() if isinstance(k, (str, int)) and not isinstance(k, bool) else ""
        if not re.fullmatch(r"\d{4}", s):
            hint = f" (med innledende null: '{s.zfill(4)}')" if re.fullmatch(r"\d{1,3}", s) else ""
            problems.append(f"{k!r} er ikke et kommunenummer; bruk fire sifre som tekst{hint}")
        elif not is_current(s):
            problems.append(f"{s} er ikke en gjeldende kommune (freg_nb/data/kommuner.csv)")
        elif s not in out:
            out.append(s)
    if not items:
        problems.append("oppgi minst én kommune, f.eks. kommuner=['0301']")
    if problems:
        raise InputError("Speilet kan ikke bygges (ingenting ble sendt):\n" + "\n".join(f"  - {p}" for p in problems))
    return out


def _check_role(client: Any, role: str) -> str:
    from ..parts import allowed_parts

    _, role_name = client.resolve_role(role)
    allowed = allowed_parts(client, role)
    if allowed is not None and "historikk" not in allowed:
        raise InputError(f"Rollen {role_name!r} har ikke tilgang til historikk, som speilet trenger for å kjenne "
                         "hver persons tidligere adresser og status. Velg en rolle med hjemmel og historikk "
                         "(i sandkassen: 'analyse' eller 'barnevern'). Ingenting ble sendt.")
    return role_name


def build_mirror(client: Any = None, *, role: str, kommuner: str | Sequence[str], name: str | None = None,
                 kilde: str = "komplett", feedsekvensnr: int | None = None, progress: bool = True,
                 cancel: Callable[[], bool] | None = None, wait_timeout: float = 3600.0,
                 poll_interval: float = 1.0) -> Mirror:
    """Build (or continue building) the mirror ``name`` of the residents of ``kommuner``.

    ``kilde``: ``"komplett"`` (a complete extract at ``feedsekvensnr``, default the newest) or
    ``"tilpasset"``. Needs a role med hjemmel with ``historikk``. Returns the ``Mirror``; keep it
    current with ``update_mirror``. ``cancel``: called between batches; True stops cleanly (run
    again to continue).

    >>> speil = freg_nb.mirror.build_mirror(client, role="analyse", kommuner=["0301"],
    ...                                     name="oslo")                       # doctest: +SKIP
    """
    client = resolve_client(client)
    kommuner = _check_kommuner(kommuner)
    if kilde not in SOURCES:
        raise InputError(f"kilde={kilde!r}: velg 'komplett' (komplett uttrekk ved et sekvensnummer) eller "
                         "'tilpasset' (tilpasset uttrekk av bosatte i dag).")
    if feedsekvensnr is not None and (isinstance(feedsekvensnr, bool) or not isinstance(feedsekvensnr, int)
                                      or feedsekvensnr < 0):
        raise InputError(f"feedsekvensnr må være et heltall ≥ 0 (et sekvensnummer i hendelsesloggen), "
                         f"ikke {feedsekvensnr!r}.")
    if kilde == "tilpasset" and feedsekvensnr is not None:
        raise InputError("Et tilpasset uttrekk gjelder i dag; feedsekvensnr kan bare brukes med kilde='komplett'.")
    role_name = _check_role(client, role)
    name = check_name(name or f"speil-{role_name}-{'-'.join(kommuner)}")
    store = store_of(client)
    state = store.read_json(state_path(name))
    if state:
        if state.get("status") == "klar":
            return Mirror(client, name, state)
        if state.get("rolle") != role_name or state.get("kommuner") != kommuner or state.get("kilde") != kilde:
            raise InputError(f"Speilet {name!r} er påbegynt med andre valg (rolle {state.get('rolle')!r}, kommuner "
                             f"{state.get('kommuner')}, kilde {state.get('kilde')!r}). Bruk et annet navn, eller "
                             f"fjern det med freg_nb.mirror.open_mirror / discard.")
    else:
        state = {"versjon": STATE_VERSION, "navn": name, "rolle": role_name, "kommuner": kommuner, "kilde": kilde,
                 "status": "bygger", "generasjon": None, "jobber": [],
                 "bygget": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        if kilde == "komplett":
            seq = client.latest_sequence(role) if feedsekvensnr is None else int(feedsekvensnr)
            state["sekvensnummer"] = seq
            state["historikk_fra"] = None
        else:
            seq = client.latest_sequence(role)
            state["sekvensnummer"] = seq
            state["historikk_fra"] = fetch.current_feed_day(client, role, seq) or dt.date.today().isoformat()
    mirror = Mirror(client, name, state)
    mirror.save()
    _run_jobs(mirror, role, progress=progress, cancel=cancel, wait_timeout=wait_timeout, poll_interval=poll_interval)
    if state["status"] == "bygger" and all(j.get("ferdig") for j in state["jobber"]):
        _finish(mirror)
    return mirror


def _jobs_wanted(mirror: Mirror) -> list[dict]:
    if mirror.state["kilde"] == "komplett":
        return [{"kommune": None}]
    return [{"kommune": k} for k in mirror.kommuner]


def _run_jobs(mirror: Mirror, role: str, *, progress: bool, cancel, wait_timeout: float, poll_interval: float) -> None:
    from tqdm.auto import tqdm

    state, client = mirror.state, mirror.client
    if not state["jobber"]:
        state["jobber"] = _jobs_wanted(mirror)
        mirror.save()
    bar = tqdm(desc=f"Bygger befolkningsspeil {mirror.name}", unit=" personer", disable=not progress)
    try:
        for job in state["jobber"]:
            if job.get("ferdig"):
                continue
            if not job.get("jobb"):
                if job.get("bestilt"):
                    raise ExtractError(f"Uttrekket for speilet {mirror.name!r} kan være bestilt uten at jobbId ble "
                                       "lagret. Fjern speilet (discard) og bygg det på nytt.")
                job["bestilt"] = True
                mirror.save()
                if job["kommune"] is None:
                    job["jobb"] = client.order_complete_extract(role, state["sekvensnummer"])
                else:
                    job["jobb"] = client.order_tailored_extract(role, {
                        "personstatustyper": ["bosatt"], "kommunenummer": {"bostedskommunenummer": job["kommune"]}})
                job["batcher"] = 0
                mirror.save()
            waited = 0.0
            while not job.get("ferdig"):
                if cancel is not None and cancel():
                    return
                ids = client.extract_batch(role, job["jobb"], job["batcher"])
                if ids is None:
                    if waited >= wait_timeout:
                        raise ExtractError(f"Uttrekket til speilet {mirror.name!r} ble ikke klart på {wait_timeout:.0f} "
                                           "sekunder. Kjør build_mirror igjen senere for å fortsette.")
                    time.sleep(poll_interval)
                    waited += poll_interval
                    continue
                waited = 0.0
                if not ids:
                    job["ferdig"] = True
                    mirror.save()
                    break
                _batch(mirror, job, ids)
                bar.update(len(ids))
    finally:
        bar.close()


def _batch(mirror: Mirror, job: dict, ids: list[str]) -> None:
    tag = f"{job['kommune'] or 'alle'}-{job['batcher']:06d}"
    raw = mirror.folder / "svar" / f"bygg-{tag}"
    files = fetch.fetch_documents(mirror, ids, raw, by="dokument" if job["kommune"] is None else "ident")
    target = mirror.folder / "bygg" / f"{tag}.parquet"
    mirror.store.subdir(target.parent.relative_to(mirror.store.path))
    fetch.ingest(mirror, files, target, seqs=mirror.sekvensnummer, members=None)
    job["batcher"] += 1
    mirror.save()
    fetch.clear(raw)


def _finish(mirror: Mirror) -> None:
    """All batches in: one base generation (versions + spells) at the extract's sequence number."""
    parts = sorted((mirror.folder / "bygg").glob("*.parquet"))
    state = mirror.state
    con = connect(mirror.folder)
    try:
        if parts:
            sql = "SELECT DISTINCT * FROM read_parquet($files) ORDER BY pid, element, pos"
            params = {"files": [str(p) for p in parts]}
        else:  # nobody lives there: an empty table with the right columns
            con.execute("CREATE TEMP TABLE answers (oppslag " + documents.ANSWER_COLUMNS["oppslag"] + ")")
            con.execute("CREATE TEMP TABLE seqs (dokument VARCHAR, sekvensnummer BIGINT)")
            sql, params = documents.versions_sql(), None
        mirror.write_parquet(con, sql, mirror.path("versjoner", mirror.sekvensnummer), params)
    finally:
        con.close()
    state["status"] = "klar"
    # the base is written at the extract's sequence number; compact() derives the spells
    state["generasjon"] = mirror.sekvensnummer
    mirror.save()
    mirror.path("perioder").unlink(missing_ok=True)
    mirror.compact()
    fetch.clear(mirror.folder / "bygg")
    fetch.clear(mirror.folder / "svar")


__all__ = ["build_mirror", "SOURCES"]
