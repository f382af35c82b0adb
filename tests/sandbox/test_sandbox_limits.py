"""Limits and protocols users rely on: extract readiness/end/job limit, feed paging and 304, bulk and
search limits, entydig søk rules."""
from __future__ import annotations

import time

import pytest

from _helpers import Fiks, unknown_ident


def test_extract_is_404_until_ready_then_batches_then_empty_object(sandbox_factory):
    sb = sandbox_factory(persons=1_200, events=300, batch_size=250, extract_ready_after_s=0.6)
    f = Fiks(sb)
    criteria = {"personstatustyper": ["bosatt", "utflyttet", "doed", "aktiv", "inaktiv"]}
    job = f.post("skole", "v1/uttrekk/tilpasset", json=criteria).json()["jobbId"]
    r = f.get("skole", f"v1/uttrekk/{job}/batch/0")
    assert r.status_code == 404 and "feilmelding" in r.json()
    time.sleep(0.7)
    got, n = [], 0
    while True:
        body = f.get("skole", f"v1/uttrekk/{job}/batch/{n}").json()
        if body == {}:
            break
        assert len(body["foedselsEllerDNummer"]) <= 250
        got += body["foedselsEllerDNummer"]
        n += 1
    expected = [sb.population.identifier(int(i)) for i in sb.population.select(criteria)]
    assert got == expected and n == -(-len(expected) // 250)
    assert f.get("skole", f"v1/uttrekk/{job}/batch/{n + 5}").json() == {}


def _read_all(f, role, job, field):
    got, n = [], 0
    while (body := f.get(role, f"v1/uttrekk/{job}/batch/{n}").json()) != {}:
        got += body[field]
        n += 1
    return got


def test_complete_extract_lists_the_document_versions_in_force_at_the_sequence_number(sandbox_factory):
    sb = sandbox_factory(persons=1_500, events=4_000, batch_size=400, extract_ready_after_s=0.0)
    f = Fiks(sb)
    seq = 1_500
    job = f.get("analyse", "v1/uttrekk/komplett", params={"feedsekvensnr": seq}).json()["jobbId"]
    then = _read_all(f, "analyse", job, "dokumentidentifikator")
    assert then == sb.feed.document_ids_at(seq)
    now = _read_all(f, "analyse", f.get("analyse", "v1/uttrekk/komplett").json()["jobbId"], "dokumentidentifikator")
    assert now == [sb.population.document_id(i) for i in range(len(sb.population))]
    # persons born or changed after that sequence number make the two differ, and an archived lookup of an
    # earlier version answers that version
    assert len(then) < len(now) and set(then) != set(now)
    r = f.post("analyse", "v1/personer/bulkoppslag/arkiv", json={"dokumentidentifikator": then[:50]}).json()
    assert all("folkeregisterperson" in o for o in r["oppslag"])


@pytest.mark.parametrize("body", [{}, {"personstatustyper": []}, {"personstatustyper": ["levende"]},
                                  {"personstatustyper": ["bosatt"], "kjoenn": "ukjent"},
                                  {"personstatustyper": ["bosatt"], "kommunenummer": {}},
                                  {"personstatustyper": ["bosatt"],
                                   "kommunenummer": {"bostedskommunenummer": "0301", "oppholdskommunenummer": "0301"}},
                                  {"personstatustyper": ["bosatt"], "statsborgerskap": "no"},
                                  {"personstatustyper": ["bosatt"], "foedselsaarFraOgMed": "2010",
                                   "foedselsaarTilOgMed": "2000"},
                                  {"personstatustyper": ["bosatt"], "alder": 6}])
def test_tailored_criteria_are_validated(sandbox, body):
    r = Fiks(sandbox).post("skole", "v1/uttrekk/tilpasset", json=body)
    assert r.status_code == 400, body


def test_eleventh_running_job_is_429_and_reading_to_the_end_frees_a_slot(sandbox_factory):
    sb = sandbox_factory(persons=300, events=300, extract_ready_after_s=0.0)
    f = Fiks(sb)
    crit = {"personstatustyper": ["bosatt"], "foedselsaarFraOgMed": "1900"}
    jobs = [f.post("skole", "v1/uttrekk/tilpasset", json=crit) for _ in range(10)]
    assert all(r.status_code == 200 for r in jobs)
    assert f.post("skole", "v1/uttrekk/tilpasset", json=crit).status_code == 429
    assert f.get("analyse", "v1/uttrekk/komplett").status_code == 429   # per organisation, not per role
    first = jobs[0].json()["jobbId"]
    n = 0
    while f.get("skole", f"v1/uttrekk/{first}/batch/{n}").json() != {}:
        n += 1
    assert f.post("skole", "v1/uttrekk/tilpasset", json=crit).status_code == 200
    assert f.get("skole", "v1/uttrekk/ukjent-jobb/batch/0").status_code == 410


def test_feed_pages_of_1000_and_304_when_nothing_is_new(sandbox):
    f = Fiks(sandbox)
    latest = f.get("barnevern", "v1/hendelser/siste/sekvensnummer").json()["sekvensnummer"]
    assert latest > 1000
    seq, pages = 1, 0
    while True:
        r = f.get("barnevern", "v1/hendelser/feed", params={"seq": seq})
        page = r.json()
        if not page:
            break
        assert len(page) == 1000 or page[-1]["sekvensnummer"] == latest
        assert page[0]["sekvensnummer"] >= seq
        seq, pages = page[-1]["sekvensnummer"] + 1, pages + 1
    assert pages == -(-latest // 1000)
    r = f.get("barnevern", "v1/hendelser/feed", params={"seq": seq})
    etag = r.headers["ETag"]
    again = f.get("barnevern", "v1/hendelser/feed", params={"seq": seq}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    first = f.get("barnevern", "v1/hendelser/feed", params={"seq": 1})
    assert first.headers["ETag"] != etag
    assert f.get("barnevern", "v1/hendelser/feed", params={"seq": 1},
                 headers={"If-None-Match": etag}).status_code == 200
    assert f.get("barnevern", "v1/hendelser/feed").status_code == 400


def test_bulk_above_1000_is_400(sandbox):
    f = Fiks(sandbox)
    ids = [sandbox.population.identifier(i % len(sandbox.population)) for i in range(1001)]
    assert f.post("barnevern", "v1/personer/bulkoppslag", json={"foedselsEllerDNummer": ids}).status_code == 400
    r = f.post("barnevern", "v1/personer/bulkoppslag", json={"foedselsEllerDNummer": ids[:1000]})
    assert r.status_code == 200 and len(r.json()["oppslag"]) == 1000
    assert f.post("barnevern", "v1/hendelser/bulkoppslag",
                  json={"dokumentidentifikator": ["x"] * 1001}).status_code == 400


def test_search_above_the_hit_limit_asks_to_narrow(sandbox_factory):
    sb = sandbox_factory(persons=600, events=300, max_search_hits=100)
    f = Fiks(sb)
    r = f.get("barnevern", "v1/personer/soek", params={"foedselsaarFraOgMed": "1900", "inkluderDoede": "true"})
    hits = len(sb.population.search(foedselsaarFraOgMed="1900", inkluderDoede=True))
    assert hits > 100
    assert r.status_code == 400 and "Avgrens søket" in r.json()["feilmelding"]
    assert f.get("barnevern", "v1/personer/soek").status_code == 400   # no criteria


def test_entydig_soek_rules(sandbox):
    """API-NOTES §6: one identifying parameter plus one non-identifying one (foedselsdato does not count beside
    identifikasjonsnummer), or all the non-identifying ones; more than one hit is "not unique" (404)."""
    f, pop = Fiks(sandbox), sandbox.population
    doc = pop.document(7, parts=None, med_hjemmel=True, historikk=False)
    navn = f"{doc['navn'][0]['fornavn']} {doc['navn'][0]['etternavn']}"
    ident = pop.identifier(7)
    born = doc["foedsel"][0]["foedselsdato"].replace("-", "")
    r = f.get("barnevern", "v1/personer/entydigsoek", params={"navn": navn, "identifikasjonsnummer": ident})
    assert r.status_code == 200
    assert r.json()["identifikasjonsnummer"][0]["foedselsEllerDNummer"] == ident
    for not_qualifying in [{"navn": navn}, {"navn": navn, "postnummer": "0150"}, {"foedselsdato": born},
                           {"navn": navn, "husnummer": "1"}, {"navn": navn, "foedselsdato": born},
                           {"identifikasjonsnummer": ident, "foedselsdato": born}]:
        r = f.get("barnevern", "v1/personer/entydigsoek", params=not_qualifying)
        assert r.status_code == 400 and "entydig" in r.json()["feilmelding"], not_qualifying
    r = f.get("barnevern", "v1/personer/entydigsoek", params={"navn": navn, "identifikasjonsnummer": unknown_ident(pop)})
    assert r.status_code == 404
    # all four non-identifying ones, the date as YYYYMMDD
    adr = doc["bostedsadresse"][0]["vegadresse"]
    nr = adr["adressenummer"]["husnummer"] + adr["adressenummer"].get("husbokstav", "")
    params = {"navn": navn, "foedselsdato": born, "adressenavn": adr["adressenavn"], "husnummer": nr}
    r = f.get("barnevern", "v1/personer/entydigsoek", params=params)
    assert r.status_code == 200 and r.json()["identifikasjonsnummer"][0]["foedselsEllerDNummer"] == ident
    r = f.get("barnevern", "v1/personer/entydigsoek", params=dict(params, foedselsdato=doc["foedsel"][0]["foedselsdato"]))
    assert r.status_code == 400 and "YYYYMMDD" in r.json()["feilmelding"]
