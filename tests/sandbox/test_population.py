"""The sandbox's synthetic population: identifiers, families, protection, documents, search, versions."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from freg_nb import ids
from freg_nb.sandbox.population import Population
from freg_nb.sandbox.vocab import CONFIDENTIAL, ELEMENTS, PART_GROUPS

REF = date(2025, 6, 1)
SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "freg-offentlig-med-hjemmel-1.5.openapi.yaml"
P = "folkeregisteret.tilgjengeliggjoering.person.v1."


@pytest.fixture(scope="module")
def pop():
    return Population(seed=7, size=4000, reference_date=REF)


@pytest.fixture(scope="module")
def big():
    return Population(seed=3, size=50_000, reference_date=REF)


def full(pop, i, **kw):
    return pop.document(i, parts=set(ELEMENTS), med_hjemmel=True, **kw)


def current(versions):
    cur = [v for v in versions if v.get("erGjeldende")]
    assert len(cur) <= 1 or all("statsborgerskap" in v for v in cur)
    return cur[0] if cur else None


# ---------------------------------------------------------------- identifiers
def test_identifiers_valid_unique_synthetic_with_dnumbers_and_2032_rule(pop):
    idents = pop.identifiers()
    assert len(set(idents)) == len(pop)
    kinds = {"fnr": 0, "dnr": 0}
    rules = {"1964": 0, "2032": 0}
    for s in idents:
        info = ids.classify(s)  # raises on a bad number
        assert info.synthetic, "only synthetic (month + 80) numbers may be minted"
        kinds[info.kind] += 1
        rules[info.rule] += 1
        r = int(info.rule == "2032")
        rem = next(k for k in ((0,) if not r else (1, 2, 3))
                   if ids.check_digits(s[:9], rule=info.rule, k1_remainder=k) == s[9:])
        assert rem is not None
    assert 0.02 < kinds["dnr"] / len(pop) < 0.06
    assert 0.003 < rules["2032"] / len(pop) < 0.03


def test_crowded_birth_days_of_a_whole_country_still_get_unique_valid_numbers():
    """With millions of persons some days hold more than the striding of slots can place (the
    5.6 M sandbox raised here); those persons take their day's free numbers."""
    p = Population(seed=5, size=4000, reference_date=REF)
    n = len(p)
    born = (p.ref_day - 40 * 365 + np.arange(n) % 12).astype(np.int32)   # 333 or 334 persons a day
    dnr = np.zeros(n, dtype=bool)
    off = (born - p.dmin).astype(np.uint16)
    p._by_birth = np.argsort(off, kind="stable").astype(np.int32)
    p._birth_ptr = np.concatenate([[0], np.cumsum(np.bincount(off, minlength=len(p._birth_ptr) - 1))]).astype(np.int32)
    p._mint_identifiers(born, dnr)
    idents = [f"{x:011d}" for x in p.ident]
    assert len(set(idents)) == n
    for i, s in enumerate(idents):
        info = ids.classify(s)
        assert info.synthetic and info.kind == "fnr"
        day = date(1970, 1, 1) + timedelta(days=int(born[i]))
        assert s[:6] == f"{day.day:02d}{day.month + 80:02d}{day.year % 100:02d}"
        rules = (0,) if info.rule == "1964" else (1, 2, 3)
        assert any(ids.check_digits(s[:9], rule=info.rule, k1_remainder=k) == s[9:] for k in rules)


def test_identifier_date_part_matches_birth_date_and_kind(pop):
    for i in range(0, len(pop), 97):
        doc = pop.document(i)
        s = doc["identifikasjonsnummer"][0]["foedselsEllerDNummer"]
        born = doc["foedsel"][0]["foedselsdato"]
        dd, mm = int(s[:2]), int(s[2:4]) - 80
        kind = doc["identifikasjonsnummer"][0]["identifikatortype"]
        assert (kind == "dNummer") == (dd > 40)
        assert f"{s[4:6]}-{mm:02d}-{dd - 40 * (dd > 40):02d}" == born[2:]


def test_index_of_round_trips_and_rejects_unknown(pop):
    for i in [0, 1, len(pop) // 3, len(pop) - 1]:
        assert pop.index_of(pop.identifier(i)) == i
    assert pop.index_of("12345678901") is None
    assert pop.index_of("abc") is None


# ---------------------------------------------------------------- families
def test_family_relations_are_consistent_both_ways(pop):
    checked = 0
    for i in range(0, len(pop), 7):
        doc = full(pop, i)
        me = pop.identifier(i)
        for rel in doc.get("familierelasjon", []):
            j = pop.index_of(rel["relatertPerson"])
            assert j is not None
            back = [r for r in full(pop, j).get("familierelasjon", []) if r["relatertPerson"] == me]
            assert back, "relation missing on the other side"
            assert back[0]["relatertPersonsRolle"] == rel["minRolleForPerson"]
            assert back[0]["minRolleForPerson"] == rel["relatertPersonsRolle"]
            checked += 1
        for fa in doc.get("foreldreansvar", []):
            if "ansvarlig" in fa:
                other = full(pop, pop.index_of(fa["ansvarlig"]))
                assert any(x.get("ansvarssubjekt") == me for x in other["foreldreansvar"])
    assert checked > 300


def test_spouses_are_married_to_each_other(pop):
    gifte = np.flatnonzero(pop.married & (pop.divorce < 0) & (pop.status == 0))[:80]
    assert len(gifte) > 20
    for i in gifte.tolist():
        s = current(pop.document(i)["sivilstand"])
        j = pop.index_of(s["relatertVedSivilstand"])
        assert s["sivilstand"] in ("gift", "enkeEllerEnkemann")
        if s["sivilstand"] == "gift":
            other = current(pop.document(j)["sivilstand"])
            assert other["sivilstand"] == "gift" and other["relatertVedSivilstand"] == pop.identifier(i)
            # married couples alive share the address
            a, b = (current(pop.document(k)["bostedsadresse"]) for k in (i, j))
            assert a.get("vegadresse") == b.get("vegadresse")


def test_parents_are_older_and_minors_live_with_a_parent(pop):
    kids = np.flatnonzero(pop.mother >= 0)
    gap = (pop.birth[kids] - pop.birth[pop.mother[kids]]) / 365.25
    assert gap.min() > 16 and gap.max() < 47
    minors = np.flatnonzero((pop.age < 18) & (pop.mother >= 0) & (pop.status == 0) & (pop.status[np.maximum(pop.mother, 0)] == 0))
    for i in minors[:40].tolist():
        a = current(pop.document(i)["bostedsadresse"])
        b = current(pop.document(int(pop.mother[i]))["bostedsadresse"])
        assert a.get("vegadresse", a.get("matrikkeladresse")) == b.get("vegadresse", b.get("matrikkeladresse"))


# ---------------------------------------------------------------- population shape
def test_protection_shares_and_spread(big):
    n = len(big)
    fortrolig = (big.prot == 1).sum() / n
    strengt = (big.prot == 2).sum() / n
    assert 0.003 < fortrolig < 0.008, fortrolig
    assert 0.0004 < strengt < 0.0025, strengt
    kommuner = big.kommune_numbers[big.kommune[big.status == 0]]
    assert len(set(kommuner)) > 280
    oslo = (kommuner == "0301").mean()
    assert 0.09 < oslo < 0.17
    assert big.age.min() == 0 and big.age.max() >= 100
    assert (big.age < 10).sum() > (big.age >= 90).sum() * 5
    for status in ("bosatt", "utflyttet", "doed", "aktiv", "inaktiv"):
        assert (big.status == ("bosatt utflyttet doed inaktiv aktiv".split().index(status))).sum() > 50


def test_strengt_fortrolig_address_is_not_shown_and_uten_hjemmel_hides_protection(big):
    for i in np.flatnonzero((big.prot == 2) & (big.status == 0))[:10].tolist():
        doc = big.document(i)
        assert doc["adressebeskyttelse"][0]["graderingsnivaa"] == "strengtFortrolig"
        b = current(doc["bostedsadresse"])
        assert b["adressegradering"] == "strengtFortrolig"
        assert not {"vegadresse", "matrikkeladresse", "ukjentBosted", "adresseIdentifikatorFraMatrikkelen"} & set(b)
    for i in np.flatnonzero(big.prot > 0)[:10].tolist():
        doc = big.document(i, med_hjemmel=False, historikk=True)
        assert not {"adressebeskyttelse", "bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse"} & set(doc)
    i = int(np.flatnonzero(big.prot == 1)[0])
    assert current(big.document(i)["bostedsadresse"])["adressegradering"] == "fortrolig"


def test_status_specific_elements(big):
    def first(mask):
        return int(np.flatnonzero(mask)[0])

    dead = big.document(first(big.status == 2), parts={"person-basis"})
    assert current(dead["status"])["status"] == "doed" and "doedsdato" in dead["doedsfall"]
    emig = big.document(first(big.status == 1), parts={"person-basis", "utflytting"})
    assert current(emig["status"])["status"] == "utflyttet"
    assert emig["utflytting"][0]["tilflyttingsland"] != "NOR"
    assert "postadresseIUtlandet" in emig and "bostedsadresse" not in emig  # ended at emigration
    dn = big.document(first(big.dnr & (big.status == 4)), parts={"person-basis"})
    assert dn["identifikasjonsnummer"][0]["identifikatortype"] == "dNummer"
    assert "oppholdsadresse" in dn and "bostedsadresse" not in dn
    imm = big.document(first(big.immig >= 0), parts={"innflytting", "foedsel"})
    assert imm["innflytting"][0]["fraflyttingsland"] == imm["foedsel"][0]["foedeland"] != "NOR"
    uk = big.document(first(big.ukjent))
    assert "ukjentBosted" in current(uk["bostedsadresse"])
    verge = big.document(first(big.verge), parts={"vergemaalEllerFremtidsfullmakt"})
    assert big.index_of(verge["vergemaalEllerFremtidsfullmakt"][0]["verge"]["foedselsEllerDNummer"]) is not None
    names = [big.document(i)["navn"][0] for i in range(200)]
    assert all(re.fullmatch(r"[A-ZÆØÅ]+", n["fornavn"]) and n["etternavn"].isupper() for n in names)
    assert any("mellomnavn" in n for n in names)


# ---------------------------------------------------------------- parts, hjemmel, history
def test_parts_limit_the_document(pop):
    basis = set(PART_GROUPS["person-basis"])
    for i in range(40):
        assert set(pop.document(i)) <= basis
        assert set(pop.document(i, parts={"navn"})) == {"navn"}
        assert set(pop.document(i, parts={"relasjon-utvidet"})) <= set(PART_GROUPS["relasjon-utvidet"])
    with pytest.raises(ValueError, match="unknown part"):
        pop.document(0, parts={"skonummer"})
    assert pop.allowed_part_names() == set(ELEMENTS) | set(PART_GROUPS) | {"historikk"}
    assert len(ELEMENTS) == 32


def test_historikk_and_current_versions(pop):
    more = 0
    for i in range(300):
        now = full(pop, i)
        hist = full(pop, i, historikk=True)
        for name, vs in now.items():
            if isinstance(vs, list):
                assert all(v["erGjeldende"] for v in vs)
                assert len(hist[name]) >= len(vs)
                more += len(hist[name]) > len(vs)
                assert all("opphoerstidspunkt" in v for v in hist[name] if not v["erGjeldende"])
    assert more > 50


def test_uten_hjemmel_never_returns_confidential_information(pop):
    for i in range(0, len(pop), 11):
        doc = pop.document(i, parts=set(ELEMENTS), med_hjemmel=False, historikk=True)
        assert not CONFIDENTIAL & set(doc)
        for v in doc.get("status", []):
            assert v["status"] in {"bosatt", "utflyttet", "doed", "opphoert", "inaktiv"}


# ---------------------------------------------------------------- versions
def test_archived_versions(pop):
    i = int(np.flatnonzero((pop.n_prev > 0) & (pop.status == 0) & (pop.prot == 0) & ~pop.ukjent)[0])
    assert pop.archived(pop.document_id(i)) == pop.document(i)
    times = pop.change_times(i)
    moved = pop.reg_ts(i, int(pop.addr_from[i]), pop.CHANGE_KINDS["moved"])
    assert moved in times and times.index(moved) > 0
    before = times[times.index(moved) - 1]
    old = pop.archived(pop.document_id_at(i, before))
    now = pop.document(i)
    assert current(old["bostedsadresse"]) != current(now["bostedsadresse"])
    assert re.fullmatch(r"[0-9a-f]{32}", pop.document_id(i))
    assert pop.archived("0" * 32) is None
    assert pop.archived("not an id") is None
    other = Population(seed=8, size=200, reference_date=REF)
    assert pop.archived(other.document_id(0)) is None


# ---------------------------------------------------------------- search and select
def _addr(doc, opphold=False):
    b = doc.get("bostedsadresse") or (doc.get("oppholdsadresse") if opphold else None) or []
    cur = current(b) if b else None
    return (cur or {}).get("vegadresse") or {}


@pytest.fixture(scope="module")
def docs(pop):
    return [pop.document(i) for i in range(len(pop))]


def brute(docs, pred):
    return [i for i, d in enumerate(docs) if pred(d)]


def test_search_matches_brute_force(pop, docs):
    alive = lambda d: current(d["status"])["status"] != "doed"  # noqa: E731
    some = docs[17]
    nv = current(some["navn"])
    name = f"{nv['fornavn']} {nv['etternavn']}"
    hits = pop.search(navn=name).tolist()
    assert 17 in hits or not alive(some)
    assert hits == brute(docs, lambda d: alive(d) and {nv["fornavn"], nv["etternavn"]} <= {
        *current(d["navn"]).values()})
    surname = nv["etternavn"]
    assert pop.search(navn=surname.lower(), inkluderDoede=True).tolist() == brute(
        docs, lambda d: surname in (current(d["navn"])["etternavn"], current(d["navn"]).get("mellomnavn")))
    born = current(some["foedsel"])["foedselsdato"]
    assert pop.search(foedselsdato=born.replace("-", ""), inkluderDoede=True).tolist() == brute(
        docs, lambda d: d["foedsel"][0]["foedselsdato"] == born)
    for wrong in (born, born[8:] + "." + born[5:7] + "." + born[:4], "19541325", "1954-11"):  # YYYYMMDD only
        with pytest.raises(ValueError, match="foedselsdato"):
            pop.search(foedselsdato=wrong)
    assert pop.search(foedselsaarFraOgMed="1990", foedselsaarTilOgMed="1991", kjoenn="kvinne").tolist() == brute(
        docs, lambda d: alive(d) and d["foedsel"][0]["foedselsaar"] in ("1990", "1991")
        and d["kjoenn"][0]["kjoenn"] == "kvinne")
    shown = lambda d: not d.get("adressebeskyttelse") or d["adressebeskyttelse"][0]["graderingsnivaa"] != "strengtFortrolig"  # noqa
    for kommune in ("0301", "4601", "5001"):
        assert pop.search(kommunenummer=kommune).tolist() == brute(
            docs, lambda d: alive(d) and shown(d) and _addr(d).get("kommunenummer") == kommune)
        # inkluderOppholdsadresse (default false) adds the D-numbers staying there
        assert pop.search(kommunenummer=kommune, inkluderOppholdsadresse=True).tolist() == brute(
            docs, lambda d: alive(d) and shown(d) and _addr(d, True).get("kommunenummer") == kommune)
    a = next(_addr(d) for d in docs[100:] if _addr(d))
    got = pop.search(adressenavn=a["adressenavn"], husnummer=a["adressenummer"]["husnummer"]).tolist()
    want = brute(docs, lambda d: alive(d) and shown(d) and _addr(d).get("adressenavn", "").startswith(a["adressenavn"])
                 and _addr(d).get("adressenummer", {}).get("husnummer") == a["adressenummer"]["husnummer"])
    assert got == want and want
    # adressenavn matches from the start of the street name, at least 3 characters
    prefix = a["adressenavn"][:4]
    assert pop.search(adressenavn=prefix.lower(), inkluderDoede=True).tolist() == brute(
        docs, lambda d: shown(d) and _addr(d).get("adressenavn", "").lower().startswith(prefix.lower()))
    with pytest.raises(ValueError, match="3 tegn"):
        pop.search(adressenavn=prefix[:2])
    # husnummer with a letter matches number and letter
    b = next(_addr(d) for d in docs if _addr(d).get("adressenummer", {}).get("husbokstav"))
    nr = b["adressenummer"]["husnummer"] + b["adressenummer"]["husbokstav"]
    assert pop.search(adressenavn=b["adressenavn"], husnummer=nr, inkluderDoede=True).tolist() == brute(
        docs, lambda d: shown(d) and _addr(d).get("adressenavn", "").startswith(b["adressenavn"])
        and _addr(d).get("adressenummer", {}).get("husnummer", "") + _addr(d).get("adressenummer", {}).get(
            "husbokstav", "") == nr)
    pn = a["poststed"]["postnummer"]
    assert pop.search(postnummer=pn).tolist() == brute(
        docs, lambda d: alive(d) and shown(d) and _addr(d).get("poststed", {}).get("postnummer") == pn)
    with pytest.raises(ValueError):
        pop.search(skonummer="44")


def test_phonetic_search_finds_spelling_variants(pop):
    n = current(pop.document(5)["navn"])
    variant = n["etternavn"].replace("K", "C", 1) if "K" in n["etternavn"] else n["etternavn"] + "H"
    exact = set(pop.search(navn=n["etternavn"], inkluderDoede=True).tolist())
    fon = set(pop.search(navn=variant, soekFonetisk=True, inkluderDoede=True).tolist())
    assert exact <= fon


def test_select_matches_brute_force(pop, docs):
    def st(d):
        return current(d["status"])["status"] if d.get("status") else None

    got = pop.select({"personstatustyper": ["bosatt"], "kommunenummer": {"bostedskommunenummer": "0301"},
                      "foedselsaarFraOgMed": "1950", "foedselsaarTilOgMed": "2000", "kjoenn": "mann"}).tolist()
    want = brute(docs, lambda d: st(d) == "bosatt" and _addr(d).get("kommunenummer") == "0301"
                 and "1950" <= d["foedsel"][0]["foedselsaar"] <= "2000" and d["kjoenn"][0]["kjoenn"] == "mann"
                 and "ukjentBosted" not in (current(d["bostedsadresse"]) or {}))
    # strengtFortrolig persons are in the extract even though their address is not shown
    hidden = [i for i in got if pop.prot[i] == 2]
    assert sorted(set(want) | set(hidden)) == got and got
    got = pop.select({"personstatustyper": ["doed"], "doedsaarFraOgMed": "2020"}).tolist()
    assert got == brute(docs, lambda d: st(d) == "doed" and d["doedsfall"]["doedsdato"] >= "2020")
    got = pop.select({"personstatustyper": ["bosatt", "utflyttet"], "statsborgerskap": "POL"}).tolist()
    assert got == brute(docs, lambda d: st(d) in ("bosatt", "utflyttet")
                        and any(v["statsborgerskap"] == "POL" for v in d["statsborgerskap"]))
    got = pop.select({"personstatustyper": ["bosatt"], "sivilstandstype": "gift"}).tolist()
    assert got == brute(docs, lambda d: st(d) == "bosatt" and current(d["sivilstand"])["sivilstand"] == "gift")
    with pytest.raises(ValueError):
        pop.select({"personstatustyper": ["levende"]})


# ---------------------------------------------------------------- determinism and the spec
def test_same_arguments_same_population_other_seed_differs():
    a = Population(seed=11, size=800, reference_date=REF)
    b = Population(seed=11, size=800, reference_date=REF)
    c = Population(seed=12, size=800, reference_date=REF)
    assert a.identifiers() == b.identifiers() != c.identifiers()
    assert [a.document(i, historikk=True) for i in range(50)] == [b.document(i, historikk=True) for i in range(50)]
    assert a.document_id(3) == b.document_id(3) != c.document_id(3)
    assert [a.document(i) for i in range(20)] != [c.document(i) for i in range(20)]


def _validator(name):
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    if not SPEC.exists():
        pytest.skip(f"Skatteetaten's spec is not available at {SPEC} (../shared/reference is not mounted)")
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker()

    @checker.checks("date", raises=ValueError)
    def _date(v):
        return not isinstance(v, str) or bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) and date.fromisoformat(v))

    @checker.checks("date-time", raises=ValueError)
    def _dt(v):
        from datetime import datetime
        ok = re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", v)
        return not isinstance(v, str) or bool(ok and datetime.fromisoformat(v.replace("Z", "+00:00")))

    schemas = spec["components"]["schemas"]

    def inline(node, depth=0):  # resolve $refs once: validation is then fast
        if isinstance(node, dict):
            if "$ref" in node and depth < 30:
                return inline(schemas[node["$ref"].rsplit("/", 1)[-1]], depth + 1)
            return {k: inline(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, depth) for v in node]
        return node

    return jsonschema.Draft7Validator(inline(schemas[name]), format_checker=checker)


def test_documents_validate_against_the_spec(big):
    v = _validator(P + "Folkeregisterperson")
    rng = np.random.default_rng(0)
    sample = np.concatenate([rng.choice(len(big), 180, replace=False), np.flatnonzero(big.prot > 0)[:15],
                             np.flatnonzero(big.dnr)[:15], np.flatnonzero(big.status == 1)[:15],
                             np.flatnonzero(big.status == 2)[:15], np.flatnonzero(big.verge)[:10]])
    for i in sample.tolist():
        for hj in (True, False):
            doc = big.document(i, parts=set(ELEMENTS), med_hjemmel=hj, historikk=True)
            errors = sorted(v.iter_errors(doc), key=str)
            assert not errors, f"{i}: {errors[0].message} at {list(errors[0].absolute_path)}"
