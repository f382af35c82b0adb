"""The sandbox's hendelser feed: ordering, paging, uten-hjemmel thinning, consistency with the population."""
from __future__ import annotations

import collections
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from freg_nb.sandbox.feed import CONFIDENTIAL_TYPES, TYPES, EventFeed
from freg_nb.sandbox.population import Population

REF = date(2025, 6, 1)
SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "freg-offentlig-med-hjemmel-1.5.openapi.yaml"


@pytest.fixture(scope="module")
def pop():
    return Population(seed=5, size=8000, reference_date=REF)


@pytest.fixture(scope="module")
def feed(pop):
    return EventFeed(pop, events=30_000, span_days=730)


def all_entries(feed, med_hjemmel):
    out, seq = [], 1
    while True:
        page = feed.page(seq, med_hjemmel=med_hjemmel)
        if not page:
            return out
        assert len(page) <= 1000
        out.extend(page)
        seq = page[-1]["sekvensnummer"] + 1


def test_sequence_numbers_times_and_paging(feed):
    entries = all_entries(feed, True)
    assert len(entries) == len(feed) == feed.latest() == 30_000
    assert [e["sekvensnummer"] for e in entries] == list(range(1, 30_001))
    times = [np.datetime64(e["hendelse"]["ajourholdstidspunkt"][:19]) - np.timedelta64(
        int(e["hendelse"]["ajourholdstidspunkt"][-5:-3]), "h") for e in entries]
    assert all(a <= b for a, b in zip(times, times[1:])), "ajourholdstidspunkt must not decrease"
    assert str(times[-1]) < "2025-06-01" and str(times[0]) >= "2023-06-01"
    page = feed.page(1234)
    assert len(page) == 1000 and page[0]["sekvensnummer"] == 1234
    assert feed.page(30_001) == []
    assert [e["sekvensnummer"] for e in feed.page(29_990)] == list(range(29_990, 30_001))
    h = entries[0]["hendelse"]
    assert set(h) == {"folkeregisteridentifikator", "hendelsetype", "hendelsesdokument", "persondokument",
                      "ajourholdstidspunkt"}
    assert all(e["hendelse"]["hendelsetype"] in TYPES for e in entries)
    assert len({e["hendelse"]["hendelsesdokument"] for e in entries}) == len(entries)
    assert feed.time_of(1) <= feed.time_of(30_000)
    assert feed.seq_at(feed.time_of(500)) >= 500


def test_uten_hjemmel_sees_only_identifiers_and_no_confidential_types(feed):
    med = {e["sekvensnummer"]: e["hendelse"] for e in all_entries(feed, True)}
    uten = all_entries(feed, False)
    assert uten and all(set(e["hendelse"]) == {"folkeregisteridentifikator"} for e in uten)
    seqs = [e["sekvensnummer"] for e in uten]
    hidden = set(med) - set(seqs)
    assert hidden, "confidential events must leave gaps"
    assert all(med[s]["hendelsetype"] in CONFIDENTIAL_TYPES for s in hidden)
    assert all(med[s]["hendelsetype"] not in CONFIDENTIAL_TYPES for s in seqs)
    assert all(med[e["sekvensnummer"]]["folkeregisteridentifikator"] == e["hendelse"]["folkeregisteridentifikator"]
               for e in uten)
    assert feed.latest(med_hjemmel=False) == seqs[-1]
    page = feed.page(seqs[5] + 1, med_hjemmel=False)
    assert page[0]["sekvensnummer"] == seqs[6]


def test_events_match_the_persons_documents(pop, feed):
    entries = all_entries(feed, True)
    by_type = collections.defaultdict(list)
    for e in entries:
        by_type[e["hendelse"]["hendelsetype"]].append(e["hendelse"])
    for t in ("personErOpprettet", "endringIBostedsadresse", "personErDoed", "endringISivilstand",
              "personErUtflyttet", "endringINavn", "endringIFamilierelasjon"):
        assert by_type[t], f"no {t} events"
    for h in by_type["endringIBostedsadresse"][:60]:
        i = pop.index_of(h["folkeregisteridentifikator"])
        doc = pop.archived(h["persondokument"], historikk=True)
        cur = [v for v in doc["bostedsadresse"] if v["erGjeldende"]][0]
        assert cur["flyttedato"] == h["ajourholdstidspunkt"][:10]  # the move the event reports
        assert sum(1 for v in doc["bostedsadresse"]) >= 2  # and an earlier address
        now = pop.document(i, historikk=True)["bostedsadresse"]
        assert any(v.get("flyttedato") == cur["flyttedato"] for v in now)
    for h in by_type["personErDoed"][:30]:
        doc = pop.document(pop.index_of(h["folkeregisteridentifikator"]))
        assert doc["doedsfall"]["doedsdato"] == h["ajourholdstidspunkt"][:10]
        before = pop.archived(pop.document_id_at(pop.index_of(h["folkeregisteridentifikator"]),
                                                 _ts(h["ajourholdstidspunkt"]) - 1))
        assert "doedsfall" not in before
    for h in by_type["personErOpprettet"][:30]:
        doc = pop.document(pop.index_of(h["folkeregisteridentifikator"]), parts={"foedsel", "innflytting",
                                                                               "identifikasjonsnummer"})
        day = h["ajourholdstidspunkt"][:10]
        assert day in (doc["foedsel"][0]["foedselsdato"], doc.get("innflytting", [{}])[0].get("gyldighetstidspunkt", "")[:10],
                       doc["identifikasjonsnummer"][0].get("gyldighetstidspunkt", day)[:10])
    for h in by_type["endringINavn"][:30]:
        doc = pop.document(pop.index_of(h["folkeregisteridentifikator"]), historikk=True, parts={"navn"})
        assert len(doc["navn"]) == 2
    # a person's newest event document is the current document when no later change exists
    i = pop.index_of(by_type["endringIBostedsadresse"][-1]["folkeregisteridentifikator"])
    assert pop.archived(pop.document_id(i)) == pop.document(i)


def _ts(s: str) -> int:
    from datetime import datetime
    return int(datetime.fromisoformat(s).timestamp())


def test_event_documents(pop, feed):
    entries = feed.page(1, size=300) + feed.page(15_000, size=300)
    kinds = collections.Counter()
    validator = _validator()
    for e in entries:
        h = e["hendelse"]
        doc = feed.event_document(h["hendelsesdokument"])
        assert doc["dokumentidentifikator"] == h["hendelsesdokument"]
        assert doc["hendelse"]["folkeregisteridentifikator"] == h["folkeregisteridentifikator"]
        assert doc["hendelse"]["hendelsestype"] == h["hendelsetype"]
        assert doc["hendelse"]["ajourholdstidspunkt"] == h["ajourholdstidspunkt"]
        for item in doc["hendelse"]["egenskapshendelse"]:
            kinds[item["entitetsendring"]] += 1
            if item["entitetsendring"] == "annullere":
                assert set(item) == {"entitet", "entitetsendring"}
        if validator is not None:
            errors = list(validator.iter_errors(doc))
            assert not errors, errors[0]
    assert kinds["registrereNy"] > kinds["korrigere"] > 0 and kinds["annullere"] > 0
    assert feed.event_document("0" * 32) is None
    assert feed.event_document(pop.document_id(0)) is None  # a persondokument id is not an event id


def _validator():
    try:
        import jsonschema
        import yaml
    except ImportError:  # pragma: no cover
        return None
    if not SPEC.exists():
        return None
    schemas = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(schemas[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        return [inline(v) for v in node] if isinstance(node, list) else node

    return jsonschema.Draft7Validator(inline(schemas["folkeregisteret.tilgjengeliggjoering.hendelse.v1.DokumentForHendelse"]))


def test_complete_extract_ids_at_a_sequence_number(pop, feed):
    moves = [e for e in feed.page(20_000) if e["hendelse"]["hendelsetype"] == "endringIBostedsadresse"]
    h = moves[0]["hendelse"]
    i = pop.index_of(h["folkeregisteridentifikator"])
    seq = moves[0]["sekvensnummer"]
    assert feed.document_ids_at(seq, [i]) == [h["persondokument"]]  # the move's own version
    before = feed.document_ids_at(seq - 1, [i])[0]
    assert before != h["persondokument"]
    assert pop.archived(before)["bostedsadresse"] != pop.archived(h["persondokument"])["bostedsadresse"]
    assert len(pop.in_register_at(feed.time_of(1))) < len(pop.in_register_at(feed.time_of(feed.latest())))


def test_volume_subset_and_determinism(pop):
    small = EventFeed(pop, events=500, span_days=730)
    assert small.latest() == 500 and small.own_events > 500  # a random subset of own changes
    a = EventFeed(pop, events=5000, span_days=365).page(1)
    b = EventFeed(pop, events=5000, span_days=365).page(1)
    assert a == b
    other = Population(seed=6, size=8000, reference_date=REF)
    assert EventFeed(other, events=5000, span_days=365).page(1) != a
    assert EventFeed(pop, events=0).latest() == 0 and EventFeed(pop, events=0).page(1) == []
