"""Issue 14, client side: explicit Content-Type/Accept on every request (counted at the sandbox), both bulk
answer shapes read with asked and answered ids reconciled, and birth-date searches sent as YYYYMMDD."""
from __future__ import annotations

import pytest

from freg_nb import FregClient, RetryPolicy, Settings
from freg_nb.bulkshapes import EVENT, MISSING, PERSON, reconcile
from freg_nb.search_criteria import birth_date, unique_criteria

FAST = RetryPolicy(max_attempts=3, max_total_s=5, backoff_base_s=0.01, backoff_cap_s=0.02)


def client(sb) -> FregClient:
    return FregClient(Settings.for_sandbox(sb), retry=FAST, progress=False)


def test_every_operation_sends_explicit_accept_and_content_type(sandbox_factory):
    sb = sandbox_factory(persons=300, events=600, extract_ready_after_s=0.0)
    pop = sb.population
    ident, doc_id = pop.identifier(3), pop.document_id(3)
    with client(sb) as c:
        c.person("barnevern", ident, parts=["navn"])
        c.bulk_lookup("barnevern", [ident])
        c.search("barnevern", navn="x y")
        n = pop.document(3)["navn"][0]
        c.unique_search("barnevern", identifikasjonsnummer=ident, navn=f"{n['fornavn']} {n['etternavn']}")
        c.archived_person("barnevern", doc_id)
        c.bulk_archived("barnevern", [doc_id])
        job = c.order_tailored_extract("skole", {"personstatustyper": ["bosatt"]})
        c.extract_batch("skole", job, 0)
        page = c.feed("barnevern", 1).entries
        c.latest_sequence("barnevern")
        event_id = page[0]["hendelse"]["hendelsesdokument"]
        c.event("barnevern", event_id)
        c.bulk_events("barnevern", [event_id])
        c.xsd("personer", role="barnevern")
    counted = sb.counters()
    assert sum(counted["route"].values()) >= 13
    assert counted["missing_header"] == {}, counted["missing_header"]
    assert counted["status"].get("415", 0) == counted["status"].get("406", 0) == 0


@pytest.mark.parametrize("shape", ["wrapper", "spec"])
def test_both_bulk_shapes_are_read_and_missing_ids_reported(sandbox_factory, shape):
    sb = sandbox_factory(persons=300, events=600, bulk_archived_shape=shape, bulk_events_shape=shape)
    pop, unknown = sb.population, "f" * 32
    with client(sb) as c:
        docs = [pop.document_id(i) for i in range(3)]
        events = [e["hendelse"]["hendelsesdokument"] for e in c.feed("barnevern", 1).entries[:3]]
        arkiv = c.bulk_archived("barnevern", docs + [unknown])
        hend = c.bulk_events("barnevern", [unknown] + events)
        lone = c.bulk_archived("barnevern", [unknown])
        one = c.bulk_events("barnevern", events[:1])
    assert [e["dokumentidentifikator"] for e in arkiv["oppslag"]] == docs + [unknown]
    assert "feilmelding" in arkiv["oppslag"][-1] and PERSON not in arkiv["oppslag"][-1]
    if shape == "wrapper":
        for i, e in enumerate(arkiv["oppslag"][:3]):
            assert e[PERSON]["identifikasjonsnummer"][0]["foedselsEllerDNummer"] == pop.identifier(i)
    else:  # three documents for four ids and no document id inside: nothing says which one is missing
        assert all("feilmelding" in e for e in arkiv["oppslag"])
    assert [e["dokumentidentifikator"] for e in hend["oppslag"]] == [unknown] + events
    assert "feilmelding" in hend["oppslag"][0]
    assert [e[EVENT]["dokumentidentifikator"] for e in hend["oppslag"][1:]] == events
    assert lone["oppslag"][0]["dokumentidentifikator"] == unknown and "feilmelding" in lone["oppslag"][0]
    assert one["oppslag"][0][EVENT]["dokumentidentifikator"] == events[0]


def test_reconcile_shapes():
    p1, p2 = {"navn": [{"fornavn": "A"}]}, {"navn": [{"fornavn": "B"}]}
    wrapped = {"oppslag": [{"dokumentidentifikator": "b", "folkeregisterperson": p2},
                           {"dokumentidentifikator": "x", "feilmelding": {"feilmelding": "Ukjent dokumentid"}}]}
    got = reconcile(wrapped, ["a", "b", "x"], PERSON)["oppslag"]
    assert got[0] == {"dokumentidentifikator": "a", "feilmelding": {"feilmelding": MISSING}}
    assert got[1][PERSON] == p2 and got[2]["feilmelding"]["feilmelding"] == "Ukjent dokumentid"
    assert reconcile(p1, ["a"], PERSON)["oppslag"] == [{"dokumentidentifikator": "a", PERSON: p1}]
    assert [e[PERSON] for e in reconcile([p1, p2], ["a", "b"], PERSON)["oppslag"]] == [p1, p2]
    assert all("feilmelding" in e for e in reconcile([p1], ["a", "b"], PERSON)["oppslag"])
    assert reconcile(None, ["a"], PERSON)["oppslag"][0]["feilmelding"]["feilmelding"] == MISSING
    e1 = {"dokumentidentifikator": "e1", "hendelse": {}}
    got = reconcile([e1], ["e0", "e1"], EVENT)["oppslag"]
    assert "feilmelding" in got[0] and got[1][EVENT] == e1
    assert reconcile(e1, ["e1"], EVENT)["oppslag"][0][EVENT] == e1


def test_birth_date_and_unique_search_sent_as_yyyymmdd_find_the_person(sandbox):
    pop = sandbox.population
    with client(sandbox) as c:
        i = next(i for i in range(len(pop)) if pop.document(i)["status"][0]["status"] == "bosatt"
                 and "vegadresse" in (pop.document(i).get("bostedsadresse") or [{}])[0])
        doc, ident = pop.document(i), pop.identifier(i)
        iso = doc["foedsel"][0]["foedselsdato"]
        hits = c.search("barnevern", foedselsdato=birth_date(iso))["foedselsEllerDNummer"]
        assert ident in hits
        adr = doc["bostedsadresse"][0]["vegadresse"]
        n = doc["navn"][0]
        crit = unique_criteria({"navn": f"{n['fornavn']} {n['etternavn']}", "foedselsdato": iso,
                                "adressenavn": adr["adressenavn"],
                                "husnummer": adr["adressenummer"]["husnummer"] + adr["adressenummer"].get("husbokstav", "")})
        assert crit["foedselsdato"] == iso.replace("-", "")
        found = c.unique_search("barnevern", parts=["navn"], **crit)
        assert found["identifikasjonsnummer"][0]["foedselsEllerDNummer"] == ident and "navn" in found
