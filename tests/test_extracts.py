"""Extracts (uttrekk) against the sandbox over real HTTP: ordering, not-ready polling, the ``{}`` end,
resume after interruption, the job limit (local guard and Freg's 429), criteria validation,
complete extracts, summaries with suppression, the age pyramid and export."""
from __future__ import annotations

import datetime as dt
import json
import time
import warnings

import pandas as pd
import pytest

import freg_nb
from freg_nb import ExtractError, FregClient, InputError
from freg_nb.criteria import tailored_criteria
from freg_nb.kommuner import historisk

from conftest import sandbox_client  # noqa: E402
OSLO = {"personstatustyper": ["bosatt"], "kommunenummer": {"bostedskommunenummer": "0301"}}


class Stop(Exception):
    """Raised from a progress callback to interrupt an extract midway."""


SMALL = dict(seed=3, persons=3_000, events=1_000, batch_size=100, extract_ready_after_s=0.3)


@pytest.fixture(scope="module")
def sb(sandbox_data_dir):
    """One sandbox for the tests that leave no job running (small batches: several per extract)."""
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    s = start_sandbox(SandboxConfig(**SMALL), data_dir=sandbox_data_dir)
    yield s
    s.stop()


@pytest.fixture
def own_sb(sandbox_factory):
    """A sandbox of its own, for tests that fill the job limit or change the batch size."""
    return sandbox_factory(**SMALL)


def make_client(sb, tmp_path, **kw) -> FregClient:
    return sandbox_client(sb, tmp_path / "data", **kw)


@pytest.fixture
def fc(sb, tmp_path):
    with make_client(sb, tmp_path) as c:
        yield c


def freg_calls(sb) -> dict:
    """Requests the sandbox served per route (Maskinporten excluded)."""
    return dict(sb.counters()["route"])


def delta(after: dict, before: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def expected_ids(sb, criteria: dict) -> list[str]:
    pop = sb.population
    return sorted(pop.identifier(int(i)) for i in pop.select(criteria))


def ids_of(df: pd.DataFrame) -> list[str]:
    return df["foedselsEllerDNummer"].astype(str).tolist()


ORDER = "POST v1/uttrekk/tilpasset"
BATCH = "GET v1/uttrekk/{jobbid}/batch/{batchnr}"
BULK = "POST v1/personer/bulkoppslag"


# ---- ordering, polling, the end ------------------------------------------------------------

def test_tailored_extract_orders_polls_until_ready_and_stops_at_the_empty_end(sb, fc):
    want = expected_ids(sb, OSLO)
    assert len(want) > 200  # several batches of 100
    before_status = dict(sb.counters()["status"])
    before = freg_calls(sb)
    seen = []
    df = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                       show_ids=True, poll_interval=0.05, on_batch=seen.append)
    calls = delta(freg_calls(sb), before)
    not_ready = sb.counters()["status"].get("404", 0) - before_status.get("404", 0)

    assert ids_of(df) == want                                  # every person, once, sorted
    n_batches = -(-len(want) // 100)
    assert [p.batch for p in seen] == list(range(n_batches))
    assert seen[-1].ids_total == len(want)
    assert calls[ORDER] == 1                                   # one job
    assert not_ready >= 1                                      # it was polled while not ready …
    assert calls[BATCH] == n_batches + 1 + not_ready           # … then every batch, then the {} end
    assert calls[BULK] == n_batches                            # ≤1000 per call: one per batch of 100
    info = df.attrs["uttrekk"]
    assert (info["rader"], info["feil"], info["batcher"]) == (len(want), 0, n_batches)
    assert info["kjoering"]["not_ready_polls"] == not_ready


def test_finished_extract_is_read_back_without_any_request_and_masked_by_default(sb, fc):
    first = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                          poll_interval=0.05)
    before = sb.counters()
    again = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo")
    assert sb.counters()["route"] == before["route"]
    pd.testing.assert_frame_equal(first, again)
    assert first["foedselsEllerDNummer"].str.fullmatch(r"\d{6}\*{5}").all()


def test_state_and_parquet_are_private_and_recorded(sb, fc, tmp_path):
    freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo", poll_interval=0.05)
    folder = tmp_path / "data" / "extracts" / "oslo"
    state = json.loads((folder / "state.json").read_text())
    assert state["status"] == "done" and state["job_id"] and state["end_reached"]
    assert state["spec"]["criteria"] == OSLO
    assert state["rows"] == state["ids_total"] == sum(b["ids"] for b in state["batches"])
    for p in folder.rglob("*"):
        assert (p.stat().st_mode & 0o777) == (0o700 if p.is_dir() else 0o600), p
    listed = freg_nb.list_extracts(fc)
    assert listed.loc[0, "navn"] == "oslo" and listed.loc[0, "status"] == "done" and not listed.loc[0, "kjorer"]


# ---- resume ------------------------------------------------------------------------------

def test_interrupted_extract_resumes_from_the_last_completed_batch_without_a_new_job(sb, fc):
    want = expected_ids(sb, OSLO)

    def stop_after_two(p):
        if p.batch == 1:
            raise Stop

    before = freg_calls(sb)
    with pytest.raises(Stop):
        freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                      poll_interval=0.05, on_batch=stop_after_two)
    first = delta(freg_calls(sb), before)
    assert first[ORDER] == 1 and first[BULK] == 2

    mid = freg_calls(sb)
    df = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                       poll_interval=0.05, show_ids=True)
    second = delta(freg_calls(sb), mid)
    n_batches = -(-len(want) // 100)
    assert ORDER not in second                                  # the old job was used
    assert second[BULK] == n_batches - 2                        # only the rest was fetched
    assert ids_of(df) == want                                   # same rows, no duplicates
    assert df["foedselsEllerDNummer"].is_unique


def test_crash_in_the_middle_of_a_batch_loses_and_repeats_no_one(own_sb, tmp_path, monkeypatch):
    """A batch of 2 500 ids needs three bulk calls; the connection dies for good on the second.

    (One call at a time, so that what was stored before the crash is certain.)"""
    sb = own_sb
    fc = make_client(sb, tmp_path, concurrency=1)
    sb2_want = expected_ids(sb, {"personstatustyper": ["bosatt", "utflyttet", "doed"]})
    assert len(sb2_want) > 2_000
    real = fc.bulk_lookup
    n = {"calls": 0}

    def dying(*a, **kw):
        n["calls"] += 1
        if n["calls"] == 2:
            raise freg_nb.RetriesExhausted("simulated: the network is gone")
        return real(*a, **kw)

    sb.config.batch_size = 2_500  # one big batch, fetched in three bulk calls
    monkeypatch.setattr(fc, "bulk_lookup", dying)
    with pytest.raises(freg_nb.RetriesExhausted):
        freg_nb.read_tailored_extract(fc, role="analyse", personstatustyper=["bosatt", "utflyttet", "doed"],
                                      name="alle",
                                      progress=False, poll_interval=0.05)
    monkeypatch.setattr(fc, "bulk_lookup", real)
    before = freg_calls(sb)
    df = freg_nb.read_tailored_extract(fc, role="analyse", personstatustyper=["bosatt", "utflyttet", "doed"],
                                       name="alle",
                                       progress=False, poll_interval=0.05, show_ids=True)
    again = delta(freg_calls(sb), before)
    assert ids_of(df) == sb2_want
    total_chunks = sum(-(-min(2_500, len(sb2_want) - i) // 1000) for i in range(0, len(sb2_want), 2_500))
    assert again[BULK] < total_chunks                           # stored chunks were reused
    assert ORDER not in again


def test_same_name_with_other_criteria_is_refused_before_any_request(sb, fc):
    freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo", poll_interval=0.05)
    before = freg_calls(sb)
    with pytest.raises(InputError, match="finnes allerede et uttrekk.*discard_extract"):
        freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="1103", name="oslo")
    assert freg_calls(sb) == before
    assert freg_nb.discard_extract(fc, "oslo")
    freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="1103", name="oslo", poll_interval=0.05)


def test_expired_job_is_ordered_again_and_the_result_is_one_consistent_snapshot(sandbox_factory, tmp_path):
    sb = sandbox_factory(seed=3, persons=3_000, events=1_000, batch_size=100, extract_ready_after_s=0.05,
                         job_ttl_s=1.0)
    with make_client(sb, tmp_path) as fc:
        with pytest.raises(Stop):
            freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                          poll_interval=0.05, on_batch=lambda p: (_ for _ in ()).throw(Stop()))
        time.sleep(1.2)
        before = freg_calls(sb)
        with pytest.warns(UserWarning, match="utløpt"):
            df = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                               poll_interval=0.05, show_ids=True)
        assert delta(freg_calls(sb), before)[ORDER] == 1
        assert ids_of(df) == expected_ids(sb, OSLO)


def test_waiting_is_bounded_and_a_rerun_goes_on_waiting_for_the_same_job(sandbox_factory, tmp_path):
    sb = sandbox_factory(seed=3, persons=1_000, events=500, batch_size=100, extract_ready_after_s=2.0)
    with make_client(sb, tmp_path) as fc:
        t0 = time.monotonic()
        with pytest.raises(ExtractError, match="ikke klar etter .* kjør det samme kallet igjen"):
            freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="vent",
                                          poll_interval=0.1, wait_timeout=0.5)
        assert time.monotonic() - t0 < 2.0
        df = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="vent",
                                           poll_interval=0.1, wait_timeout=10)
        assert freg_calls(sb)[ORDER] == 1
        assert len(df) == len(expected_ids(sb, OSLO))


# ---- the job limit -----------------------------------------------------------------------

def test_local_guard_refuses_an_11th_job_before_sending_anything(own_sb, tmp_path):
    sb, fc = own_sb, make_client(own_sb, tmp_path)
    for k in range(10):  # ten extracts left unfinished: their jobs are still running at Freg
        with pytest.raises(Stop):
            freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301",
                                          foedselsaarFraOgMed=1940 + k,
                                          name=f"del-{k}", progress=False, poll_interval=0.05,
                                          on_batch=lambda p: (_ for _ in ()).throw(Stop()))
    assert freg_nb.list_extracts(fc)["kjorer"].sum() == 10
    before = freg_calls(sb)
    with pytest.raises(ExtractError, match="10 extract jobs .* not finished.*nothing was sent"):
        freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="1103", name="nummer-11")
    assert freg_calls(sb) == before
    # finishing one releases its job, locally and at Freg: now the 11th goes through
    freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", foedselsaarFraOgMed=1940,
                                  name="del-0", progress=False, poll_interval=0.05)
    df = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="1103", name="nummer-11",
                                       poll_interval=0.05, show_ids=True)
    assert ids_of(df) == expected_ids(sb, {"personstatustyper": ["bosatt"],
                                           "kommunenummer": {"bostedskommunenummer": "1103"}})


def test_freg_429_for_the_11th_job_gives_a_clear_error(own_sb, tmp_path):
    sb, fc = own_sb, make_client(own_sb, tmp_path)
    for _ in range(10):  # jobs ordered elsewhere in the organisation (not recorded in this data folder)
        fc.order_tailored_extract("analyse", OSLO)
    with pytest.raises(ExtractError, match=r"429.*10 uttrekksjobber i gang") as e:
        freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="for-mange")
    assert e.value.status == 429
    state = json.loads((fc.settings.data_dir / "extracts" / "for-mange" / "state.json").read_text())
    assert state["job_id"] is None  # nothing was ordered, nothing counts as running
    assert not freg_nb.list_extracts(fc)["kjorer"].any()


# ---- criteria validation -----------------------------------------------------------------

THIS_YEAR = dt.date.today().year
BAD = [
    ({"personstatustyper": []}, "personstatustyper.*må ha minst én verdi"),
    ({"personstatustyper": None}, "personstatustyper.*må ha minst én verdi"),
    ({"personstatustyper": ["bosatt", "forsvunnet"]}, "'forsvunnet' kan ikke brukes"),
    ({"bostedskommunenummer": "301"}, "fire sifre.*«0301»"),
    ({"bostedskommunenummer": "03011"}, "fire sifre"),
    ({"bostedskommunenummer": "Oslo"}, "fire sifre"),
    ({"bostedskommunenummer": "9999"}, "9999 er ikke nummeret til en kommune i dag.*Mente du"),
    ({"bostedskommunenummer": "0301", "oppholdskommunenummer": "1103"}, "ikke begge"),
    ({"foedselsaarFraOgMed": 1960, "foedselsaarTilOgMed": 1950}, "foedselsaarFraOgMed.*er etter"),
    ({"foedselsaarFraOgMed": THIS_YEAR + 1}, "i fremtiden"),
    ({"foedselsaarTilOgMed": 1799}, "før 1850"),
    ({"foedselsaarFraOgMed": "nitten-femti"}, "årstall med fire sifre"),
    ({"doedsaarFraOgMed": 2000, "personstatustyper": ["bosatt"]}, "har ikke med «doed»"),
    ({"personstatustyper": ["doed"], "foedselsaarFraOgMed": 1990, "doedsaarTilOgMed": 1980},
     "ingen kan dø før de er født"),
    ({"kjoenn": "k"}, "«kvinne» eller «mann»"),
    ({"statsborgerskap": "NO"}, "alpha-3.*«NOR», ikke «NO»"),
    ({"statsborgerskap": "XYZ"}, "ikke en landkode i ISO 3166-1 alpha-3"),
    ({"sivilstandstype": "samboer"}, "sivilstandstype"),
]


@pytest.mark.parametrize("kw,message", BAD, ids=[m for _, m in BAD])
def test_bad_criteria_are_refused_before_any_request(sb, fc, kw, message):
    before = sb.counters()
    with pytest.raises(InputError, match=message):
        freg_nb.read_tailored_extract(fc, role="analyse", progress=False, **kw)
    after = sb.counters()
    assert after["route"] == before["route"] and after["tokens_issued"] == before["tokens_issued"]


def test_every_problem_is_listed_in_one_error(sb, fc):
    with pytest.raises(InputError) as e:
        freg_nb.read_tailored_extract(fc, role="analyse", progress=False, personstatustyper=["levende"],
                                      bostedskommunenummer="12", foedselsaarFraOgMed=2001,
                                      foedselsaarTilOgMed=1999, kjoenn="ukjent", statsborgerskap="norsk")
    text = str(e.value)
    assert text.startswith("5 feil i kriteriene for uttrekket") and "ingenting er sendt" in text
    for word in ("personstatustyper", "bostedskommunenummer", "foedselsaar", "kjoenn", "statsborgerskap"):
        assert word in text


def test_other_bad_input_is_refused_before_any_request(sb, fc):
    before = sb.counters()["route"]
    for call in (
        lambda: freg_nb.read_tailored_extract(fc, role="rektor"),                          # unknown role
        lambda: freg_nb.read_tailored_extract(fc, role="analyse", name="../../etc"),
        lambda: freg_nb.read_tailored_extract(fc, role="analyse", parts=["skonummer"]),
        lambda: freg_nb.read_tailored_extract(fc, role="analyse", wait_timeout=0),
        lambda: freg_nb.read_complete_extract(fc, role="analyse", feedsekvensnr=-1),
        lambda: freg_nb.read_complete_extract(fc, role="analyse", feedsekvensnr="siste"),
    ):
        with pytest.raises(InputError):
            call()
    assert sb.counters()["route"] == before


def test_the_0_1_call_shape_still_works_with_a_deprecation_warning(sb, fc):
    """Notebooks in the wild call ``read_tailored_extract("rolle", client=fc, foedselsaar_fra_og_med=…)``."""
    new = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                        foedselsaarFraOgMed=1950, poll_interval=0.05, progress=False)
    with pytest.warns(DeprecationWarning) as seen:
        old = freg_nb.read_tailored_extract("analyse", bostedskommunenummer="0301", name="oslo",
                                            foedselsaar_fra_og_med=1950, client=fc, progress=False)
    messages = " ".join(str(w.message) for w in seen)
    assert "role='analyse'" in messages and "foedselsaarFraOgMed" in messages
    assert old.attrs["uttrekk"]["jobbId"] == new.attrs["uttrekk"]["jobbId"]      # the same extract, resumed
    with pytest.warns(DeprecationWarning, match="doedsaarTilOgMed"):
        body = tailored_criteria(personstatustyper=["doed"], doedsaar_til_og_med=2000)
    assert body["doedsaarTilOgMed"] == "2000"
    before = sb.counters()["route"]
    with pytest.warns(DeprecationWarning), pytest.raises(InputError, match="oppgitt to ganger"):
        freg_nb.read_tailored_extract(fc, role="analyse", foedselsaarFraOgMed=1950, foedselsaar_fra_og_med=1950)
    with pytest.raises(TypeError, match="foedselsaar_fra"):
        freg_nb.read_tailored_extract(fc, role="analyse", foedselsaar_fra=1950)
    with pytest.raises(InputError, match="Velg en rolle"):
        freg_nb.read_tailored_extract(fc)
    assert sb.counters()["route"] == before


def test_criteria_are_normalised_and_a_historic_municipality_only_when_marked():
    body = tailored_criteria(personstatustyper="Bosatt, utflyttet", oppholdskommunenummer="0301",
                             foedselsaarFraOgMed="1950", foedselsaarTilOgMed=1960, kjoenn="KVINNE",
                             statsborgerskap="swe", sivilstandstype="enkeellerenkemann")
    assert body == {"personstatustyper": ["bosatt", "utflyttet"],
                    "kommunenummer": {"oppholdskommunenummer": "0301"},
                    "foedselsaarFraOgMed": "1950", "foedselsaarTilOgMed": "1960", "kjoenn": "kvinne",
                    "statsborgerskap": "SWE", "sivilstandstype": "enkeEllerEnkemann"}
    with pytest.raises(InputError, match=r"1201 er ikke nummeret til en kommune i dag.*historisk\("):
        tailored_criteria(bostedskommunenummer="1201")          # Bergen before 2020
    body = tailored_criteria(bostedskommunenummer=historisk("1201"))
    assert body["kommunenummer"] == {"bostedskommunenummer": "1201"} and type(body["kommunenummer"]["bostedskommunenummer"]) is str
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tailored_criteria(bostedskommunenummer="1103")


# ---- complete extracts -------------------------------------------------------------------

def test_complete_extract_fetches_every_person_by_document_id(sb, fc):
    before = freg_calls(sb)
    df = freg_nb.read_complete_extract(fc, role="analyse", name="alle", progress=False, poll_interval=0.05,
                                       show_ids=True)
    calls = delta(freg_calls(sb), before)
    pop = sb.population
    assert sorted(ids_of(df)) == sorted(pop.identifier(i) for i in range(len(pop)))
    assert calls["GET v1/uttrekk/komplett"] == 1
    assert calls["POST v1/personer/bulkoppslag/arkiv"] == -(-len(pop) // 100)
    assert df.attrs["uttrekk"]["type"] == "komplett"


def test_complete_extract_is_refused_for_a_role_without_hjemmel(sb, fc):
    with pytest.raises(freg_nb.AccessDenied, match="med hjemmel") as e:
        freg_nb.read_complete_extract(fc, role="skole", name="skole-alle")
    assert "Role 'skole'" in str(e.value)


# ---- summaries, plot, export -------------------------------------------------------------

def test_summaries_suppress_small_cells_and_show_the_rest_exactly(sb, fc):
    df = freg_nb.read_tailored_extract(fc, role="analyse", personstatustyper=["bosatt", "utflyttet", "doed"],
                                       name="alle", progress=False, poll_interval=0.05)
    for by in ("kommunenummer", "kjoenn", "status", "statsborgerskap", "aldersgruppe"):
        t = freg_nb.summarize_extract(df, by=by)
        truth = (df.assign(statsborgerskap=df["statsborgerskap"].astype(str).str.split(","))
                 .explode("statsborgerskap") if by == "statsborgerskap" else df)
        if by == "aldersgruppe":
            assert t["aldersgruppe"].tolist()[0] == "0–9" and t["aldersgruppe"].tolist()[-1] == "90+"
            continue
        true_counts = truth[by].astype(object).fillna("uoppgitt").astype(str).value_counts()
        shown = dict(zip(t[by].astype(str), t["antall"]))
        assert not any(v.isdigit() and 0 < int(v) < 5 for v in shown.values()), by
        for key, n in true_counts.items():
            if 1 <= n < 5:  # hidden (':'), or not listed at all: merged into "andre"
                assert shown.get(key, ":") == ":", (by, key)
            elif key in shown and shown[key] != ":" and key not in ("andre", "uoppgitt"):
                assert shown[key] == str(n), (by, key)


def test_age_pyramid_never_draws_a_suppressed_cell(sb, fc):
    import matplotlib

    matplotlib.use("Agg")
    from freg_nb.plots.extracts import age_pyramid

    df = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="0301", name="oslo",
                                       poll_interval=0.05)
    table = freg_nb.age_pyramid_table(df, band=5)
    assert table["aldersgruppe"].tolist()[0] == "0–4" and table["aldersgruppe"].tolist()[-1] == "90+"
    suppressed = (table[["kvinne", "mann"]] == ":")
    assert suppressed.to_numpy().any()  # a small municipality sample has small cells
    fig = age_pyramid(table)
    ax = fig.axes[0]
    widths = [abs(p.get_width()) for p in ax.patches]
    women, men = widths[:len(table)], widths[len(table):]
    for i in range(len(table)):
        if suppressed.iloc[i]["kvinne"]:
            assert women[i] == 0
        else:
            assert women[i] == float(table.iloc[i]["kvinne"])
        if suppressed.iloc[i]["mann"]:
            assert men[i] == 0
    labels = [t.get_text() for t in ax.texts]
    assert labels.count(":") == int(suppressed.to_numpy().sum())


def test_export_blanks_protected_addresses_and_masks_ids(sb, fc):
    df = freg_nb.read_tailored_extract(fc, role="analyse", personstatustyper=["bosatt", "utflyttet", "doed"],
                                       name="alle", progress=False, poll_interval=0.05, show_ids=True)
    protected = set(df.loc[df["adressebeskyttet"].fillna(False).astype(bool), "foedselsEllerDNummer"])
    assert protected, "the sandbox population has persons with address protection"
    paths = freg_nb.export_extract(fc, df, formats=["csv", "xlsx", "parquet"])
    for fmt, path in paths.items():
        assert (path.stat().st_mode & 0o777) == 0o600
        out = {"csv": lambda p: pd.read_csv(p, dtype=str, sep=";", encoding="utf-8-sig"),
               "xlsx": lambda p: pd.read_excel(p, dtype=str),
               "parquet": pd.read_parquet}[fmt](path)
        assert len(out) == len(df)
        assert out["foedselsEllerDNummer"].astype(str).str.fullmatch(r"\d{6}\*{5}").all(), fmt
        flagged = out["adressebeskyttet"].astype(str).str.lower().isin(["true", "1"])
        assert flagged.sum() == len(protected), fmt
        for col in ("adressenavn", "husnummer", "postnummer", "poststed", "grunnkretsnummer", "kommunenummer"):
            assert out.loc[flagged, col].isna().all(), (fmt, col)
