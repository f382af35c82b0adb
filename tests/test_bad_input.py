"""Bad input found by the review of issue 15 (point 5), each refused with a freg_nb.errors exception in
bokmål that says what is wrong and what to do — before any request reaches the sandbox, nothing written."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import freg_nb
from freg_nb import lookups
from freg_nb.errors import InputError
from freg_nb.ids_input import read_ids, validate_input
from freg_nb.kommuner import historisk
from freg_nb.summaries import summarize_extract

from conftest import sandbox_client  # noqa: E402


@pytest.fixture
def fc(sandbox, tmp_path):
    with sandbox_client(sandbox, tmp_path / "data") as c:
        yield c


def _refused(sb, fc, call, match: str) -> InputError:
    """``call`` raises InputError matching ``match``; no request reached the sandbox, no file was written."""
    before = sb.counters()
    files = sorted(p for p in fc.data_dir.path.rglob("*") if p.is_file()) if fc.data_dir.path.exists() else []
    with pytest.raises(InputError, match=match) as e:
        call()
    after = sb.counters()
    assert after["route"] == before["route"] and after["tokens_issued"] == before["tokens_issued"]
    now = sorted(p for p in fc.data_dir.path.rglob("*") if p.is_file()) if fc.data_dir.path.exists() else []
    assert now == files
    return e.value


def test_an_unknown_kommune_is_refused_like_search_with_close_matches(sandbox, fc):
    e = _refused(sandbox, fc, lambda: freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="9999",
                                                                     progress=False),
                 r"9999 er ikke nummeret til en kommune i dag")
    assert "Mente du" in str(e) and "historisk(" in str(e)
    e2 = _refused(sandbox, fc, lambda: lookups.search_persons(fc, role="skole", kommunenummer="9999", fetch=False),
                  r"9999 er ikke nummeret til en kommune i dag")
    assert str(e).split("»", 1)[1] == str(e2).split("»", 1)[1]      # one rule, one message (but the field)
    # a former municipality only explicitly: Bergen's number before 2020
    _refused(sandbox, fc, lambda: lookups.search_persons(fc, role="skole", kommunenummer="1201", fetch=False),
             "1201 er ikke nummeret")
    before = sandbox.counters()["route"].get("GET v1/personer/soek", 0)
    res = lookups.search_persons(fc, role="skole", kommunenummer=historisk("1201"), fetch=False)
    assert sandbox.counters()["route"]["GET v1/personer/soek"] == before + 1 and res.stats["search_hits"] == 0


def test_a_future_feed_start_is_refused_before_any_request(sandbox, fc):
    e = _refused(sandbox, fc, lambda: freg_nb.read_events(fc, roles="analyse", start="2999-01-01"),
                 "2999-01-01, som er etter i dag")
    assert "Velg en dato til og med i dag" in str(e)


def test_volumes_of_a_data_folder_without_events_say_how_to_read_them(sandbox, fc):
    _refused(sandbox, fc, lambda: freg_nb.event_volumes(fc, roles="analyse"),
             r"ingen lagrede hendelser for analyse.*read_events\(client, roles='analyse'")


ROWS = "fnr;navn\n03851598730;Åse Ærlig\n10927810072;Øyvind Sæther\n"


@pytest.mark.parametrize("encoding, text", [
    ("utf-8", ROWS), ("utf-8-sig", ROWS), ("cp1252", ROWS),
    ("utf-16", ROWS.replace(";", "\t")),          # Excel's "Unicode-tekst": UTF-16 with BOM, tab separated
])
def test_files_in_every_encoding_excel_writes_are_read(tmp_path, encoding, text):
    path = tmp_path / "liste.csv"
    path.write_bytes(text.encode(encoding))
    assert read_ids(path) == ["03851598730", "10927810072"]
    assert read_ids(text.encode(encoding), filename="opplastet.csv") == ["03851598730", "10927810072"]


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",                    # an image named .csv
    bytes(range(256)) * 4,                                                      # any binary
    "fnr\n03851598730\n".encode("utf-32"),                                      # an encoding Excel does not write
    "fnr;navn\n03851598730;Åse\n".encode("cp1252") + b"\x81\x8d",               # bytes cp1252 cannot decode
])
def test_anything_else_is_refused_clearly(tmp_path, data):
    path = tmp_path / "liste.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match="liste.csv er ikke en tekstfil.*Lagre den fra Excel som"):
        read_ids(path)


def test_history_of_an_unknown_element_is_refused_with_suggestions(sandbox, fc):
    res = lookups.lookup_persons(fc, sandbox.population.identifiers(np.arange(0, 3)), role="analyse")
    e = _refused(sandbox, fc, lambda: res.history("bostedsadrese"), "'bostedsadrese' er ikke en opplysning")
    assert "Mente du bostedsadresse" in str(e)
    assert len(res.history("bostedsadresse")) >= 3


def test_summary_threshold_below_the_minimum_is_a_bokmaal_input_error():
    df = pd.DataFrame({"kjoenn": ["mann"] * 8, "alder": [30] * 8})
    with pytest.raises(InputError, match="threshold=0 er for lavt.*Bruk 3 eller mer"):
        summarize_extract(df, "kjoenn", threshold=0)


def test_ids_are_shown_as_typed_masked_and_letters_are_named():
    _valid, invalid, _n = validate_input(["0385159873O", "2792412345"])
    rows = invalid.to_dict("records")
    assert rows[0]["linje"] == 1 and "inneholder tegn som ikke er sifre" in rows[0]["grunn"]
    assert rows[0]["foedselsEllerDNummer"] == "*" * 11
    assert rows[1]["linje"] == 2 and rows[1]["foedselsEllerDNummer"] == "279241****"
    assert "027924" not in invalid.to_csv()
