"""The forms' run panel against the in-process sandbox over HTTP: failures as Norwegian messages (never a
traceback, never "Ferdig" beside a failure), Stopp ending a slow run within seconds, and a rerun that
continues; Norwegian numbers, times and codes; the Excel-Norway CSV."""
from __future__ import annotations

import re
import threading
import time

import pandas as pd
import pytest

from freg_nb import _connect, cancel, display
from freg_nb.diagnose import sandbox_environment
from freg_nb.messages import code_label, msg, set_language


@pytest.fixture()
def fc(tmp_path, monkeypatch):
    for k, v in sandbox_environment(tmp_path / "data").items():
        monkeypatch.setenv(k, v)
    import freg_nb

    client = freg_nb.connect(concurrency=1)
    yield client
    _connect._sandbox_handle.set_faults(latency_ms=0)
    client.close()


def _texts(panel) -> str:
    out = []
    for o in panel.output.outputs:
        out.extend(str(v) for v in (o.get("data") or {}).values())
        out.append(str(o.get("text", "")))
    return "\n".join(out)


def test_bad_ids_give_a_norwegian_message_not_a_traceback(fc):
    from freg_nb.widgets.lookups import LookupForm

    form = LookupForm(fc, rolle="analyse")
    form.ids.value = "123\nabc"
    form.panel.run()
    text = _texts(form.panel)
    assert "data-state='failed'" in form.panel.status.value and "❌" in form.panel.status.value
    assert "Ferdig" not in form.panel.status.value
    assert "Traceback" not in text and "❌" in text and "11 sifre" in text
    assert "<details>" in text and "InputError" in text  # the error type is folded under the message


def test_unexpected_exception_gets_short_message_and_folded_traceback(fc):
    from freg_nb.widgets.common import RunPanel

    panel = RunPanel(lambda: 1 / 0, client=fc)
    panel.run()
    text = _texts(panel)
    assert msg("run.failed") in panel.status.value
    assert "Noe uventet gikk galt" in text and "ZeroDivisionError" in text
    assert text.index("<details>") < text.index("Traceback")  # the traceback only inside the fold


def test_stopp_ends_a_slow_lookup_within_seconds_and_a_rerun_continues(fc):
    from freg_nb.widgets.lookups import LookupForm

    ids = _synthetic_ids(6000)  # 6 bulk calls, one at a time (unknown persons come back as errors)
    _connect._sandbox_handle.set_faults(latency_ms=1500)
    form = LookupForm(fc, rolle="analyse", ids=ids)
    form.panel.run(wait=False)
    time.sleep(2.0)
    t0 = time.monotonic()
    form.panel.stop()
    form.panel._thread.join(10)
    assert time.monotonic() - t0 < 5, "Stopp must end the run within 5 s"
    assert msg("run.stopped") in form.panel.status.value
    assert "trykk på knappen igjen" in _texts(form.panel)
    assert form.result is None and not cancel.active()
    _connect._sandbox_handle.set_faults(latency_ms=0)
    form.panel.run()
    assert "data-state='done'" in form.panel.status.value, _texts(form.panel)
    assert form.result.stats["calls_reused"] >= 1  # what was fetched before Stopp is reused
    assert len(form.result.persons) + len(form.result.errors) == len(ids)


def _synthetic_ids(n: int) -> list[str]:
    from freg_nb.ids import check_digits

    out = []
    for month in range(81, 93):  # month + 80: synthetic numbers
        for individual in range(100, 1000):
            for day in range(1, 29):
                first9 = f"{day:02d}{month}90{individual:03d}"
                k = check_digits(first9)
                if k:
                    out.append(first9 + k)
                    if len(out) == n:
                        return out
    raise AssertionError("not enough numbers")


def test_cancelled_check_and_sleep():
    token = cancel.CancelToken()
    with cancel.running(token):
        cancel.check()
        threading.Timer(0.2, token.cancel).start()
        t0 = time.monotonic()
        with pytest.raises(cancel.Cancelled):
            cancel.sleep(10)
        assert time.monotonic() - t0 < 1
    cancel.check()  # no longer running: nothing to stop


def test_norwegian_numbers_times_and_codes():
    assert display.number(11291) == "11\u00a0291"
    assert display.percent(0.234) == "23,4\u00a0%"
    assert display.time_text("2023-07-05 22:00:00+00:00") == "06.07.2023"  # Oslo midnight is a date
    assert display.time_text("2026-11-30T16:04:10+00:00") == "30.11.2026 17:04"
    assert display.week_label("2026-11-18") == "uke 47"
    assert code_label("sivilstand", "enkeEllerEnkemann") == "enke eller enkemann"
    assert code_label("hendelsetype", "endringIBostedsadresse") == "endring i bostedsadresse"
    assert code_label("hendelsetype", "personErViderefoertSomGjeldendeVedSammenslaaing") == \
        "person er videreført som gjeldende ved sammenslåing"  # Freg's "oe"/"aa" back to ø/å
    assert code_label("hendelsetype", "endringIOppholdPaaSvalbard") == "endring i opphold på Svalbard"
    df = pd.DataFrame({"role": ["a", "b"], "events": [11291, 3], "share": [0.5, None]})
    shown = display.for_display(df)
    assert list(shown.columns) == ["rolle", "hendelser", "andel"]
    assert shown["hendelser"].tolist() == ["11\u00a0291", "3"] and shown["andel"].tolist()[1] == display.MISSING


def test_excel_csv_has_bom_semicolons_and_labels_beside_codes():
    data = display.excel_csv(pd.DataFrame({"sivilstand": ["gift", "enkeEllerEnkemann"], "x": [0.5, 1.25]}))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "sivilstand;sivilstand_tekst;x"
    assert lines[2] == "enkeEllerEnkemann;enke eller enkemann;1,25"


def test_english_for_engineers_through_the_setting(monkeypatch):
    from freg_nb import ids

    monkeypatch.setenv("FREG_NB_LANGUAGE", "en")
    with pytest.raises(ids.InvalidIdentifier, match="must be exactly 11 digits"):
        ids.validate("123")
    monkeypatch.delenv("FREG_NB_LANGUAGE")
    set_language(None)
    with pytest.raises(ids.InvalidIdentifier, match="nøyaktig 11 sifre"):
        ids.validate("123")


_ENGLISH = re.compile(r"\b(the|is|must|was|not|Nothing was sent)\b")


def _mistakes():
    """User mistakes answered through the forms' checks, the id check and the HTTP error mapping."""
    from freg_nb import errors
    from freg_nb.widgets.lookups import _check_ids
    from freg_nb.widgets.extracts import _check_years

    def raises(fn, *a):
        try:
            fn(*a)
        except Exception as e:  # noqa: BLE001
            return str(e)
        raise AssertionError(f"{fn.__name__}{a} accepted a mistake")

    yield from (raises(_check_ids, ids) for ids in
                ([], ["123"], ["abc"], ["03851598731"], ["03851598720"], ["01139012345"], ["3202900000000"],
                 ["29020105729"]))
    yield from (raises(_check_years, kw) for kw in (
        {"foedselsaarFraOgMed": "neste år"}, {"foedselsaarTilOgMed": "19"}, {"doedsaarFraOgMed": "3000"},
        {"foedselsaarFraOgMed": "2000", "foedselsaarTilOgMed": "1990"},
        {"doedsaarFraOgMed": "2020", "doedsaarTilOgMed": "2010"}, {"doedsaarTilOgMed": "20x0"}))
    for status in (400, 401, 403, 404, 406, 410, 429, 500, 502, 503):
        yield str(errors.error_from_response(status, b""))
    yield str(errors.error_from_response(401, b'{"errorId": "e", "message": "Autentisering feilet for integrasjon"}'))
    yield str(errors.ConfigError(["FIKS_ROLLER: mangler — sett FIKS_ROLLER"]))


def test_user_mistakes_are_answered_in_bokmaal_with_what_to_do():
    answers = list(_mistakes())
    assert len(answers) >= 25
    for text in answers:
        assert not _ENGLISH.search(text.replace("«", "").replace("»", "")), text
        assert re.search(r"\b(og|ikke|er|må|Velg|Rett|Sjekk|Prøv|Vent|Bestill|Lim inn|sett)\b", text), text


def _tables_html(panel) -> str:
    """The HTML of the interactive tables the panel shows (widgets are referenced by model id)."""
    from ipywidgets.widgets.widget import _instances

    ids = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for o in panel.output.outputs
           if "application/vnd.jupyter.widget-view+json" in (o.get("data") or {})]
    args = [getattr(_instances[i], "_dt_args", {}) for i in ids if i in _instances]
    return "\n".join(f"{a.get('table_html', '')}\n{a.get('data_json', '')}" for a in args)


def test_lookup_form_names_rows_as_the_file_shows_them_and_the_source_it_uses(fc):
    """01's form: bad ids are named by the row Excel shows (header counted, blank rows too), pasted
    lines by their line; an upload wins over pasted text, visibly, and «Fjern filen» clears it."""
    import freg_nb
    from freg_nb.widgets.lookups import LookupForm

    good = freg_nb.example_ids(fc, 2)  # people the sandbox knows
    form = LookupForm(fc, rolle="analyse")
    form.ids.value = "\n".join(["123", "", "abc"])
    form.panel.run()
    text = _texts(form.panel)
    assert "linje 1:" in text and "linje 3:" in text, text  # lines of the field, the blank one counted
    csv = f"Navn;Fødselsnummer\nA;{good[0]}\nB;123\n\nC;{good[1]}\nD;abc\n".encode("utf-8-sig")
    form.fil.value = ({"name": "liste.csv", "type": "text/csv", "size": len(csv),
                       "last_modified": __import__("datetime").datetime(2026, 11, 30),
                       "content": memoryview(csv)},)
    assert "fra filen liste.csv" in form.kilde.value and "brukes ikke" in form.kilde.value
    assert not form.fjern_fil.disabled
    form.panel.run()
    assert "data-state='done'" in form.panel.status.value, _texts(form.panel)
    assert form.result.invalid["linje"].tolist() == [2, 4]  # the core counts the ids it read …
    tables = _tables_html(form.panel)
    last = tables[tables.index("rad i filen"):]
    assert re.search(r'\[\["?3"?,', last) and re.search(r'\["?6"?,', last), last  # … the form, file rows
    assert ">fil<" not in tables  # no internal columns
    assert form.person.options and form.person.value  # the searchable picker is filled after a run
    form.fjern_fil.click()
    assert not form.fil.value and "innlimte" in form.kilde.value


def test_old_data_reminder_is_a_short_notice_with_a_purge_button(tmp_path, monkeypatch):
    """In a notebook the reminder is one bokmål sentence and a button (no Python warning, no path, no
    command line); pressing it deletes the old files and keeps the rest."""
    import os

    from freg_nb._connect import old_data_widget
    from freg_nb.store import DataDir

    monkeypatch.setenv("FREG_NB_RETENTION_DAYS", "30")
    store = DataDir(tmp_path / "data")
    old, new = store.write_json("exports/gammel.json", {}), store.write_json("exports/ny.json", {})
    assert not hasattr(old_data_widget(store), "children")  # nothing old: an empty widget, no notice
    then = time.time() - 40 * 86400
    os.utime(old, (then, then))
    box = old_data_widget(store)
    text, button = box.children
    assert "eldre enn 30 dager" in text.value and str(store.path) not in text.value
    assert "purge" not in text.value and "Warning" not in text.value
    assert button.description == "Slett gamle data"
    button.click()
    assert not old.exists() and new.exists()
    assert "Slettet 1 gamle filer" in text.value and button.layout.display == "none"


def test_extract_form_two_criteria_sets_a_taken_name_offers_resume_or_new_and_exports_what_it_made(fc):
    """02's form: the name comes from the criteria (two sets in a row just work); a typed name that a
    stored extract with other criteria has is a choice, not a failure — continue that one (the form
    takes its criteria) or order a new one named from the form's; the export is the form's result."""
    from freg_nb.widgets.extracts import ExtractForm

    form = ExtractForm(fc, rolle="analyse", bostedskommunenummer="0301", foedselsaarFraOgMed=2018,
                       foedselsaarTilOgMed=2020, formaal="test")
    assert form.navn.value == "" and form.kwargs()["purpose"] == "test"
    names = []
    for year in ("2018", "2017"):
        form.foedt_fra.value = year
        form.panel.run()
        assert "data-state='done'" in form.panel.status.value, _texts(form.panel)
        names.append(form.result.attrs["uttrekk"]["navn"])
    assert names[0] != names[1]
    first = form.result
    # a typed name taken by other criteria
    form.navn.value, form.foedt_fra.value = "mitt-uttrekk", "2019"
    form.panel.run()
    form.navn.value, form.foedt_fra.value = "mitt-uttrekk", "2016"
    form.panel.run()
    status = form.panel.status.value
    assert "data-state='choice'" in status and "Ferdig" not in status and "❌" not in status, status
    assert form.valg.layout.display == "flex" and "Født fra og med år 2019" in form.valg_tekst.value
    assert "tailored" not in form.valg_tekst.value and "role" not in form.valg_tekst.value  # bokmål only
    form.fortsett.click()
    form.panel._thread.join(60)
    assert form.foedt_fra.value == "2019" and form.result.attrs["uttrekk"]["navn"] == "mitt-uttrekk"
    assert "data-state='done'" in form.panel.status.value
    form.foedt_fra.value, form.navn.value = "2016", "mitt-uttrekk"
    form.panel.run()
    form.nytt_navn.click()
    form.panel._thread.join(60)
    assert form.navn.value == "" and form.result.attrs["uttrekk"]["navn"] not in ("mitt-uttrekk", *names)
    assert "data-state='done'" in form.panel.status.value
    # the export is what the form produced (not the notebook's parameters' extract)
    files = form.export(["csv"])
    data = files["csv"].read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data.splitlines()[0]
    assert len(data.decode("utf-8-sig").splitlines()) == len(form.result) + 1 != len(first) + 1


def _stop_after(panel, seconds: float) -> float:
    """Press Stopp ``seconds`` into a run; returns how long the run took to end after the press."""
    time.sleep(seconds)
    t0 = time.monotonic()
    panel.stop()
    panel._thread.join(10)
    return time.monotonic() - t0


def test_stopp_ends_a_slow_extract_and_a_rerun_continues_the_same_job(fc):
    """02's form against a slow sandbox: Stopp ends the run within 5 s; pressing again continues the
    job ordered before the stop (no second order)."""
    from freg_nb.extract_records import all_states, store_of
    from freg_nb.widgets.extracts import ExtractForm

    _connect._sandbox_handle.set_faults(latency_ms=1500)
    form = ExtractForm(fc, rolle="analyse", personstatustyper=["bosatt"])
    form.panel.run(wait=False)
    assert _stop_after(form.panel, 5.0) < 5, "Stopp must end the run within 5 s"
    assert "data-state='stopped'" in form.panel.status.value and "trykk på knappen igjen" in _texts(form.panel)
    (state,) = [st for st in all_states(store_of(fc))]
    assert state.get("job_id"), state  # the order went out before the stop and is kept
    _connect._sandbox_handle.set_faults(latency_ms=0)
    form.panel.run()
    assert "data-state='done'" in form.panel.status.value, _texts(form.panel)
    assert form.result.attrs["uttrekk"]["jobbId"] == state["job_id"]


def test_stopp_ends_a_slow_event_read_and_a_rerun_continues(fc):
    """03's form against a slow sandbox: Stopp ends the run within 5 s, the pages read are kept
    (the feed's checkpoint moved), and pressing again finishes."""
    from datetime import date, timedelta

    from freg_nb.feed import FeedState
    from freg_nb.widgets.events import EventForm

    _connect._sandbox_handle.set_faults(latency_ms=700)
    form = EventForm(fc, roller=["analyse"], fra_dato=date.today() - timedelta(days=60))
    form.panel.run(wait=False)
    assert _stop_after(form.panel, 6.0) < 5, "Stopp must end the run within 5 s"
    assert "data-state='stopped'" in form.panel.status.value, _texts(form.panel)
    kept = FeedState(fc.data_dir, fc, "analyse").state
    assert kept and kept["next"] > kept["start"], kept  # what was read before the stop is stored
    _connect._sandbox_handle.set_faults(latency_ms=0)
    form.panel.run()
    assert "data-state='done'" in form.panel.status.value, _texts(form.panel)
    again = FeedState(fc.data_dir, fc, "analyse").state
    assert again["start"] == kept["start"] and again["next"] >= kept["next"]  # continued, not restarted
