"""Issue 14: the sandbox answers as Skatteetaten's published contract and service pages say (API-NOTES §6-7),
over HTTP on loopback, with ``untidy=0`` so every answer also validates against the v1.5 spec."""
from __future__ import annotations

import pytest

from _helpers import Fiks
from _spec import H, P, R, U

FEIL = "ske.folkeregister.exception.javaxrs.FolkeregisterFeilmelding"


@pytest.fixture(scope="module")
def strict_sandbox(sandbox_data_dir):
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    sb = start_sandbox(SandboxConfig(seed=2, persons=1_500, events=3_000, extract_ready_after_s=0.1, untidy=0.0),
                       data_dir=sandbox_data_dir)
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def fiks(strict_sandbox):
    return Fiks(strict_sandbox)


@pytest.fixture(scope="module")
def person(strict_sandbox):
    """A living person with a street address and their current document."""
    pop = strict_sandbox.population
    for i in range(len(pop)):
        d = pop.document(i)
        if d["status"][0]["status"] == "bosatt" and "vegadresse" in (d.get("bostedsadresse") or [{}])[0]:
            return d
    raise AssertionError("no person with a street address")


def _ident(doc):
    return doc["identifikasjonsnummer"][0]["foedselsEllerDNummer"]


# ---------------------------------------------------------------- 1-3 search
def test_search_takes_birth_dates_as_yyyymmdd_and_refuses_other_formats(fiks, person, validate):
    iso = person["foedsel"][0]["foedselsdato"]
    r = fiks.get("barnevern", "v1/personer/soek", params={"foedselsdato": iso.replace("-", ""), "inkluderDoede": "true"})
    assert r.status_code == 200 and _ident(person) in r.json()["foedselsEllerDNummer"]
    validate(r.json(), P + "soek.response.PersonsoekResponse")
    for wrong in (iso, "25.11.1954", "19541325", "1954112"):
        r = fiks.get("barnevern", "v1/personer/soek", params={"foedselsdato": wrong})
        assert r.status_code == 400 and "foedselsdato" in r.json()["feilmelding"], wrong  # never zero hits silently
        validate(r.json(), FEIL)


def test_search_street_prefix_letter_and_oppholdsadresse_default(fiks, strict_sandbox, person):
    adr = person["bostedsadresse"][0]["vegadresse"]
    r = fiks.get("barnevern", "v1/personer/soek", params={"adressenavn": adr["adressenavn"][:3].lower()})
    assert r.status_code == 200 and _ident(person) in r.json()["foedselsEllerDNummer"]
    assert fiks.get("barnevern", "v1/personer/soek", params={"adressenavn": adr["adressenavn"][:2]}).status_code == 400
    nr = adr["adressenummer"]["husnummer"] + adr["adressenummer"].get("husbokstav", "")
    hits = fiks.get("barnevern", "v1/personer/soek", params={"adressenavn": adr["adressenavn"], "husnummer": nr}).json()
    assert _ident(person) in hits["foedselsEllerDNummer"]
    wrong_letter = adr["adressenummer"]["husnummer"] + ("B" if adr["adressenummer"].get("husbokstav") == "A" else "A")
    hits = fiks.get("barnevern", "v1/personer/soek", params={"adressenavn": adr["adressenavn"],
                                                             "husnummer": wrong_letter}).json()
    assert _ident(person) not in hits["foedselsEllerDNummer"]
    kommune = {"kommunenummer": adr["kommunenummer"], "maksTreff": "10000"}
    default = fiks.get("barnevern", "v1/personer/soek", params=kommune).json()["foedselsEllerDNummer"]
    explicit = fiks.get("barnevern", "v1/personer/soek", params={**kommune, "inkluderOppholdsadresse": "false"}).json()
    both = fiks.get("barnevern", "v1/personer/soek", params={**kommune, "inkluderOppholdsadresse": "true"}).json()
    assert default == explicit["foedselsEllerDNummer"]
    assert set(default) <= set(both["foedselsEllerDNummer"])
    pop = strict_sandbox.population
    dnr_there = [x for x in both["foedselsEllerDNummer"] if pop.dnr[pop.index_of(x)]]
    assert not any(pop.dnr[pop.index_of(x)] for x in default) and len(both["foedselsEllerDNummer"]) == len(default) + len(dnr_there)


def test_phonetic_search_finds_a_respelled_surname(fiks, person):
    navn = person["navn"][0]
    variant = navn["etternavn"].replace("K", "C", 1) if "K" in navn["etternavn"] else navn["etternavn"] + "H"
    q = {"navn": f"{navn['fornavn']} {variant}", "inkluderDoede": "true"}
    assert _ident(person) in fiks.get("barnevern", "v1/personer/soek", params={**q, "soekFonetisk": "true"}).json()[
        "foedselsEllerDNummer"]


# ---------------------------------------------------------------- 4 part answers
def test_part_answers_always_carry_identifikasjonsnummer(fiks, person, validate):
    ident = _ident(person)
    doc = fiks.get("barnevern", f"v1/personer/{ident}", params={"part": "status"}).json()
    assert set(doc) == {"identifikasjonsnummer", "status"}
    validate(doc, P + "Folkeregisterperson")
    bulk = fiks.post("barnevern", "v1/personer/bulkoppslag", params={"part": "status"},
                     json={"foedselsEllerDNummer": [ident]}).json()
    assert set(bulk["oppslag"][0]["folkeregisterperson"]) == {"identifikasjonsnummer", "status"}
    adr = person["bostedsadresse"][0]["vegadresse"]
    unique = fiks.get("barnevern", "v1/personer/entydigsoek", params={
        "identifikasjonsnummer": ident, "adressenavn": adr["adressenavn"], "part": "navn"}).json()
    assert set(unique) == {"identifikasjonsnummer", "navn"}


# ---------------------------------------------------------------- 5 Content-Type and Accept
def test_post_bodies_are_read_by_their_content_type_xml_by_default(fiks, person, strict_sandbox):
    ident = _ident(person)
    before = strict_sandbox.counters()["missing_header"].get("Content-Type", 0)
    json_body = b'{"foedselsEllerDNummer": ["%s"]}' % ident.encode()
    url = "v1/personer/bulkoppslag"
    r = fiks.post("barnevern", url, content=json_body, headers={"Content-Type": ""})
    assert r.status_code == 400 and "XML" in r.json()["feilmelding"]  # no Content-Type: read as XML
    assert strict_sandbox.counters()["missing_header"]["Content-Type"] == before + 1  # and counted
    r = fiks.post("barnevern", url, content=json_body, headers={"Content-Type": "application/xml"})
    assert r.status_code == 400
    xml = f"<bulkoppslag><foedselsEllerDNummer>{ident}</foedselsEllerDNummer></bulkoppslag>".encode()
    r = fiks.post("barnevern", url, content=xml, headers={"Content-Type": "application/xml"})  # Accept: JSON
    assert r.status_code == 200 and r.json()["oppslag"][0]["foedselsEllerDNummer"] == ident
    r = fiks.post("barnevern", url, content=xml, headers={"Content-Type": "application/xml", "Accept": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert f"<foedselsEllerDNummer>{ident}</foedselsEllerDNummer>" in r.text
    r = fiks.post("barnevern", url, content=json_body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and set(r.json()) == {"kode", "melding"}
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x><foedselsEllerDNummer>&b;</foedselsEllerDNummer></x>'
    assert fiks.post("barnevern", url, content=bomb, headers={"Content-Type": "application/xml"}).status_code == 400


def test_accept_chooses_json_or_xml_and_anything_else_is_406(fiks, person):
    ident = _ident(person)
    r = fiks.get("barnevern", f"v1/personer/{ident}", params={"part": "navn"}, headers={"Accept": "application/xml"})
    assert r.status_code == 200 and r.text.startswith("<?xml") and "<folkeregisterperson>" in r.text
    for bad in ("application/pdf", "text/html", "image/*"):
        r = fiks.get("barnevern", f"v1/personer/{ident}", headers={"Accept": bad})
        assert r.status_code == 406 and set(r.json()) == {"kode", "melding"}, bad


def test_latest_sequence_number_as_text_plain(fiks, validate):
    as_json = fiks.get("analyse", "v1/hendelser/siste/sekvensnummer").json()
    validate(as_json, R + "Sekvensnummer")
    r = fiks.get("analyse", "v1/hendelser/siste/sekvensnummer", headers={"Accept": "text/plain"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == str(as_json["sekvensnummer"])


# ---------------------------------------------------------------- 6 bulk answer shapes
@pytest.mark.parametrize("shape", ["wrapper", "spec"])
def test_bulk_archive_and_event_shapes(sandbox_factory, validate, shape):
    sb = sandbox_factory(persons=300, events=600, untidy=0.0, bulk_archived_shape=shape, bulk_events_shape=shape)
    f, pop = Fiks(sb), sb.population
    docs = [pop.document_id(i) for i in range(3)]
    unknown = "0" * 32
    events = [e["hendelse"]["hendelsesdokument"] for e in f.get("barnevern", "v1/hendelser/feed",
                                                                  params={"seq": 1}).json()[:3]]
    arkiv = f.post("barnevern", "v1/personer/bulkoppslag/arkiv", json={"dokumentidentifikator": docs + [unknown]})
    hend = f.post("barnevern", "v1/hendelser/bulkoppslag", json={"dokumentidentifikator": events + [unknown]})
    assert arkiv.status_code == hend.status_code == 200
    if shape == "wrapper":  # one entry per asked id, in order; the unknown one carries a feilmelding
        for body, asked, key, schema in ((arkiv.json(), docs, "folkeregisterperson", P + "Folkeregisterperson"),
                                         (hend.json(), events, "dokumentForHendelse", H + "DokumentForHendelse")):
            assert [e["dokumentidentifikator"] for e in body["oppslag"]] == asked + [unknown]
            assert "feilmelding" in body["oppslag"][-1] and key not in body["oppslag"][-1]
            for e in body["oppslag"][:-1]:
                validate(e[key], schema)
    else:  # the spec's documents: several ids give a list of them (the unknown one has no place)
        for d in arkiv.json():
            validate(d, P + "Folkeregisterperson")
        assert [d["dokumentidentifikator"] for d in hend.json()] == events
        for d in hend.json():
            validate(d, H + "DokumentForHendelse")
        one = f.post("barnevern", "v1/personer/bulkoppslag/arkiv", json={"dokumentidentifikator": docs[:1]})
        validate(one.json(), P + "Folkeregisterperson")  # a lone id: exactly the spec's single document
        assert f.post("barnevern", "v1/hendelser/bulkoppslag",
                      json={"dokumentidentifikator": [unknown]}).status_code == 404


def test_bad_bulk_shape_is_refused_at_start():
    from freg_nb.sandbox import SandboxConfig

    with pytest.raises(ValueError, match="bulk_events_shape"):
        SandboxConfig(bulk_events_shape="array")


# ---------------------------------------------------------------- 9 limits, 11 leniency
def test_extract_batches_up_to_100000_ids(sandbox_factory, validate):
    from freg_nb.sandbox import SandboxConfig

    with pytest.raises(ValueError, match="100000"):
        SandboxConfig(batch_size=100_001)
    sb = sandbox_factory(persons=1_000, events=100, batch_size=100_000, untidy=0.0)
    f = Fiks(sb)
    job = f.post("skole", "v1/uttrekk/tilpasset", json={"personstatustyper": ["bosatt", "utflyttet", "doed"]}).json()
    import time
    for _ in range(50):
        r = f.get("skole", f"v1/uttrekk/{job['jobbId']}/batch/0")
        if r.status_code == 200:
            break
        validate(r.json(), U + "UttrekkDataResponse")  # 404 while not ready, spec-shaped
        time.sleep(0.1)
    validate(r.json(), U + "UttrekkDataResponse")
    assert len(r.json()["foedselsEllerDNummer"]) > 900  # everyone in one batch
    assert f.get("skole", f"v1/uttrekk/{job['jobbId']}/batch/1").json() == {}


def test_job_limit_429_carries_retry_after(sandbox_factory):
    sb = sandbox_factory(persons=200, events=100, max_jobs=1)
    f = Fiks(sb)
    crit = {"personstatustyper": ["bosatt"]}
    assert f.post("skole", "v1/uttrekk/tilpasset", json=crit).status_code == 200
    r = f.post("skole", "v1/uttrekk/tilpasset", json=crit)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "feilmelding" in r.json()
    assert f.get("skole", "v1/uttrekk/finnes-ikke/batch/0").status_code == 410


def test_tailored_order_reads_null_as_absent_and_numeric_years(sandbox_factory):
    """A peer client sends absent criteria as null and years as numbers; Freg's Java service reads both."""
    sb = sandbox_factory(persons=300, events=100)
    f = Fiks(sb)
    order = {"personstatustyper": ["bosatt"], "foedselsaarFraOgMed": 1950, "foedselsaarTilOgMed": 2010,
             "kjoenn": None, "statsborgerskap": None, "sivilstandstype": None, "doedsaarFraOgMed": None,
             "kommunenummer": None}
    r = f.post("skole", "v1/uttrekk/tilpasset", json=order)
    assert r.status_code == 200 and r.json()["jobbId"]
    sb.set_faults(strict_tailored=True)  # strictness only as an opt-in fault
    r = f.post("skole", "v1/uttrekk/tilpasset", json=order)
    assert r.status_code == 400 and "foedselsaarFraOgMed" in r.json()["feilmelding"]
