"""Issue 16, point 2: user mistakes through the public API, each answered in bokmål from the message
catalogue — saying what is wrong and what to do — and refused before any request reaches the sandbox."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import freg_nb
from freg_nb import lookups
from freg_nb.errors import FregNbError
from freg_nb.messages import set_language

from conftest import sandbox_client  # noqa: E402

ENGLISH = (" the ", " is ", " must ", "Nothing was sent")
BOKMAAL = re.compile(r"(?i)\b(er|ikke|må|og|eller|som|til|med|har|kan|finnes|velg|oppgi)\b|[æøå]")
TO_DO = re.compile(r"(?i)\b(velg|oppgi|rett|skriv|bruk|legg til|lagre|sjekk|bytt|les|fjern|tøm|kjør|be |prøv|"
                   r"avgrens|mente du|la |tell|sett|hent|gi |lim inn|last opp)")


@pytest.fixture(scope="module")
def fc(sandbox, tmp_path_factory):
    set_language(None)
    with sandbox_client(sandbox, tmp_path_factory.mktemp("data")) as c:
        yield c


@pytest.fixture(scope="module")
def looked_up(sandbox, fc):
    return lookups.lookup_persons(fc, sandbox.population.identifiers(np.arange(0, 3)), role="analyse")


def _binary(tmp):
    path = tmp / "bilde.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


def _csv(tmp):
    path = tmp / "liste.csv"
    path.write_text("fnr;navn\n03851598730;Kari\n", encoding="utf-8")
    return path


MISTAKES = {
    # identifiers
    "ids none valid": lambda fc, r, t: lookups.lookup_persons(fc, ["12345678901", "abc"], role="skole"),
    "ids none given": lambda fc, r, t: lookups.lookup_persons(fc, [], role="skole"),
    "id with a letter": lambda fc, r, t: lookups.lookup_person(fc, "0385159873O", role="skole"),
    "one id expected": lambda fc, r, t: lookups.lookup_person(fc, ["03851598730", "10927810072"], role="skole"),
    "archive ids": lambda fc, r, t: lookups.lookup_archived(fc, ["../etc/passwd"], role="barnevern"),
    # roles
    "unknown role": lambda fc, r, t: lookups.lookup_persons(fc, ["03851598730"], role="rektor"),
    "no role in events": lambda fc, r, t: freg_nb.read_events(fc, roles=[]),
    "extract without role": lambda fc, r, t: freg_nb.read_tailored_extract(fc),
    # parts
    "unknown part": lambda fc, r, t: lookups.lookup_persons(fc, ["03851598730"], role="skole", parts="bostedsadresser"),
    "part not allowed": lambda fc, r, t: lookups.lookup_persons(fc, ["03851598730"], role="skole",
                                                                parts=["navn", "familierelasjon"]),
    "history not allowed": lambda fc, r, t: lookups.lookup_persons(fc, ["03851598730"], role="skole", history=True),
    # search criteria
    "search years reversed": lambda fc, r, t: lookups.search_persons(fc, role="skole", foedselsaarFraOgMed=2010,
                                                                     foedselsaarTilOgMed=2000),
    "search maksTreff": lambda fc, r, t: lookups.search_persons(fc, role="skole", navn="Kari", maksTreff=1_000_000),
    "search impossible date": lambda fc, r, t: lookups.search_persons(fc, role="skole", foedselsdato="2016-02-30"),
    "search unknown kommune": lambda fc, r, t: lookups.search_persons(fc, role="skole", kommunenummer="9999"),
    "search unknown criterion": lambda fc, r, t: lookups.search_persons(fc, role="skole", fodselsdato="2016-02-03"),
    "unique search name only": lambda fc, r, t: lookups.find_person(fc, role="barnevern", navn="Kari Nordmann"),
    # extract criteria
    "extract unknown kommune": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse",
                                                                              bostedskommunenummer="9999"),
    "extract kommune without zero": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse",
                                                                                   bostedskommunenummer="301"),
    "extract kjoenn": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse", kjoenn="k"),
    "extract country": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse", statsborgerskap="NO"),
    "extract no status": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse", personstatustyper=[]),
    "extract future year": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse",
                                                                          foedselsaarFraOgMed=2999),
    "extract both kommuner": lambda fc, r, t: freg_nb.read_tailored_extract(
        fc, role="analyse", bostedskommunenummer="0301", oppholdskommunenummer="1103"),
    "extract bad name": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse", name="../x"),
    "complete extract sequence": lambda fc, r, t: freg_nb.read_complete_extract(fc, role="analyse", feedsekvensnr=-1),
    "extract wait": lambda fc, r, t: freg_nb.read_tailored_extract(fc, role="analyse", wait_timeout=0),
    # dates and events
    "event date format": lambda fc, r, t: freg_nb.read_events(fc, roles="analyse", start="10.03.2024"),
    "event future start": lambda fc, r, t: freg_nb.read_events(fc, roles="analyse", start="2999-01-01"),
    "event end before start": lambda fc, r, t: freg_nb.read_events(fc, roles="analyse", start="2024-03-10",
                                                                   end="2024-03-01"),
    "event dates and sequence": lambda fc, r, t: freg_nb.read_events(fc, roles="analyse", start="2024-03-01",
                                                                     start_seq=5),
    "event types as text": lambda fc, r, t: freg_nb.read_events(fc, roles="analyse", event_types="endringINavn"),
    "volume period": lambda fc, r, t: freg_nb.event_volumes(fc, freq="time"),
    "volumes without events": lambda fc, r, t: freg_nb.event_volumes(fc, roles="analyse"),
    # files
    "file missing": lambda fc, r, t: freg_nb.read_ids(t / "finnes-ikke.csv"),
    "binary file": lambda fc, r, t: freg_nb.read_ids(_binary(t)),
    "column missing": lambda fc, r, t: freg_nb.read_ids(_csv(t), column="personnr"),
    # results, summaries, exports
    "history element": lambda fc, r, t: r.history("bostedsadrese"),
    "history row": lambda fc, r, t: r.history("navn", person=99),
    "export format": lambda fc, r, t: r.export("docx"),
    "summary threshold": lambda fc, r, t: freg_nb.summarize_extract(pd.DataFrame({"kjoenn": ["mann"]}), "kjoenn",
                                                                    threshold=0),
    "summary dimensions": lambda fc, r, t: freg_nb.summarize_extract(pd.DataFrame({"kjoenn": ["mann"]}),
                                                                     ["kjoenn", "status", "alder"]),
    "summary id column": lambda fc, r, t: freg_nb.summarize_extract(
        pd.DataFrame({"foedselsEllerDNummer": ["03851598730"]}), "foedselsEllerDNummer"),
    "export unknown extract": lambda fc, r, t: freg_nb.export_extract(fc, "finnes-ikke"),
    "discard without name": lambda fc, r, t: freg_nb.discard_extract(fc, None),
    # settings
    "unknown environment": lambda fc, r, t: freg_nb.load_settings(environ={"FREG_NB_ENV": "staging"}),
    "concurrency not a number": lambda fc, r, t: freg_nb.load_settings(environ={"FREG_NB_CONCURRENCY": "mange"}),
    "roles without uuid": lambda fc, r, t: freg_nb.load_settings(environ={"FREG_NB_ENV": "test",
                                                                          "FIKS_ROLLER": "skole"}),
    "data folder relative": lambda fc, r, t: freg_nb.load_settings(environ={"FREG_NB_DATA_DIR": "data"}),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_each_mistake_is_answered_in_bokmaal_with_what_to_do(sandbox, fc, looked_up, tmp_path, case):
    before = sandbox.counters()
    with pytest.raises(FregNbError) as e:
        MISTAKES[case](fc, looked_up, tmp_path)
    text = str(e.value)
    assert not [w for w in ENGLISH if w in f" {text} "], text
    assert BOKMAAL.search(text), text
    assert TO_DO.search(text), f"says what is wrong but not what to do: {text}"
    after = sandbox.counters()
    assert after["route"] == before["route"] and after["tokens_issued"] == before["tokens_issued"]


def test_the_catalogue_covers_at_least_30_mistakes():
    assert len(MISTAKES) >= 30


def test_progress_texts_are_bokmaal_with_norwegian_counts(sandbox, tmp_path, capsys):
    """The feed's progress bar (what 03 shows while it reads) speaks bokmål: "3 000 av 3 000
    sekvensnumre", never tqdm's "3.00k/3.00k [… kseq/s]"; so does a bar without a known total."""
    import io

    from freg_nb.feed import sync_events
    from freg_nb.progress import Progress

    with sandbox_client(sandbox, tmp_path / "data") as client:
        sync_events(client, role="analyse", start_seq=1, end_seq=3000, progress=True)
    shown = capsys.readouterr().err.split("\r")[-1]  # tqdm outside Jupyter: the last redraw on stderr
    assert "3\u00a0000 av 3\u00a0000 sekvensnumre" in shown, shown
    assert not re.search(r"\d[kM]|seq/s|it/s", shown), shown
    unknown = Progress(True, "Uttrekk x", None, unit="personer")
    unknown._bar.fp = io.StringIO()
    unknown.add(11_291)
    assert "11\u00a0291 personer" in str(unknown._bar)
    unknown.close()
