"""Oppslag against the sandbox over real HTTP: bulk splitting, local refusals, role/part refusals,
search, entydig søk, archive, resume after an interruption, masking and address protection."""
from __future__ import annotations

import re

import httpx
import numpy as np
import pandas as pd
import pytest

from freg_nb import ids as fnr
from freg_nb import lookups
from freg_nb.client import FregClient
from freg_nb.errors import AccessDenied, InputError, NotFound, PartNotAllowed

from conftest import sandbox_client  # noqa: E402

BULK = "POST v1/personer/bulkoppslag"
ELEVEN = re.compile(r"(?<![0-9a-fA-F])\d{11}(?![0-9a-fA-F])")  # not digits inside a hex hash or document id
ADDRESS_COLS = ["kommunenummer", "adressenavn", "husnummer", "postnummer", "poststed", "grunnkretsnummer"]


def _client(sb, data_dir, **kw) -> FregClient:
    return sandbox_client(sb, data_dir, retry=kw.pop("retry", None), **kw)


@pytest.fixture
def client(sandbox, tmp_path):
    with _client(sandbox, tmp_path / "data") as fc:
        yield fc


def _routes(sb) -> dict:
    return dict(sb.counters()["route"])


def _unknown_valid_ids(pop, n: int) -> list[str]:
    """Valid synthetic fødselsnummer that are not in the population (minted here, not by the sandbox)."""
    out: list[str] = []
    for day in range(1, 29):
        for indiv in range(100, 500):
            first9 = f"{day:02d}8{(day % 9) + 1}55{indiv:03d}"
            k = fnr.check_digits(first9)
            if k and pop.index_of(first9 + k) is None:
                out.append(first9 + k)
                if len(out) == n:
                    return out
    raise AssertionError("could not mint enough unknown ids")


# ---- bulk -----------------------------------------------------------------------------------
def test_bulk_of_2500_ids_makes_three_calls_and_accounts_for_every_id(sandbox, client):
    pop = sandbox.population
    known = pop.identifiers(np.arange(2000))
    unknown = _unknown_valid_ids(pop, 500)
    ids = known[:1000] + unknown + known[1000:]
    before = _routes(sandbox).get(BULK, 0)

    res = lookups.lookup_persons(client, ids, role="barnevern", show_ids=True)

    assert _routes(sandbox).get(BULK, 0) - before == 3          # ⌈2500 / 1000⌉, not 2500 GETs
    assert res.stats["calls"] == 3
    assert len(res.persons) == 2000 and len(res.errors) == 500
    assert set(res.persons["foedselsEllerDNummer"]) == set(known)
    assert set(res.errors["foedselsEllerDNummer"]) == set(unknown)
    assert res.errors["feilmelding"].notna().all()
    assert not res.persons["foedselsEllerDNummer"].duplicated().any()
    # rows come back in the order the ids were given
    assert res.persons["foedselsEllerDNummer"].tolist() == known
    assert res.invalid.empty
    # the sandbox's deliberately untidy answers (about 2 %: "UGRADERT" and the like) come out tidy
    assert set(res.persons["adressegradering"].dropna()) <= {"ugradert", "klientadresse", "fortrolig",
                                                             "strengtFortrolig"}


def test_invalid_ids_are_refused_before_any_request(sandbox, client):
    before = _routes(sandbox)
    with pytest.raises(InputError) as e:
        lookups.lookup_persons(client, ["12345678901", "0101", "abcdefghijk"], role="skole")
    assert "Ingenting er sendt" in str(e.value)
    assert "12345678901" not in str(e.value)                    # the message masks what it lists
    assert _routes(sandbox) == before

    good = sandbox.population.identifier(7)
    res = lookups.lookup_persons(client, f"{good}\n12345678901\n", role="skole")
    assert len(res.persons) == 1
    assert res.invalid[["linje", "foedselsEllerDNummer"]].values.tolist() == [[2, "123456*****"]]
    assert "k1" in res.invalid["grunn"].iloc[0]


def test_a_part_the_role_lacks_is_refused_locally_with_the_part_and_role_named(sandbox, client):
    ident = sandbox.population.identifier(3)
    before = _routes(sandbox)
    with pytest.raises(PartNotAllowed) as e:
        lookups.lookup_persons(client, [ident], role="skole", parts=["navn", "familierelasjon"])
    msg = str(e.value)
    assert "familierelasjon" in msg and "«skole»" in msg and "navn" in msg.split("kan hente:")[1]
    with pytest.raises(PartNotAllowed, match="historikk"):
        lookups.lookup_persons(client, [ident], role="skole", history=True)
    with pytest.raises(InputError, match="Ukjent del 'bostedsadresser'.*Mente du 'bostedsadresse'"):
        lookups.lookup_persons(client, [ident], role="barnevern", parts="bostedsadresser")
    with pytest.raises(InputError, match="Ukjent rolle"):
        lookups.lookup_persons(client, [ident], role="skolen")
    assert _routes(sandbox) == before


def test_role_without_person_basis_gets_its_own_parts_by_default(sandbox, client):
    ident = sandbox.population.identifier(11)
    res = lookups.lookup_persons(client, [ident], role="skole")   # Fiks would refuse plain person-basis
    assert "sivilstand" not in res.parts and "navn" in res.parts
    assert len(res.persons) == 1 and res.persons["etternavn"].notna().all()


def test_a_403_from_fiks_is_explained_naming_part_and_role(sandbox_factory, tmp_path):
    sb = sandbox_factory(persons=200, scenario="rolle-mangler-del")   # skole lost bostedsadresse in Fiks
    with _client(sb, tmp_path / "d") as fc:
        with pytest.raises(AccessDenied) as e:
            lookups.lookup_persons(fc, [sb.population.identifier(0)], role="skole",
                                   parts=["navn", "bostedsadresse"])
    msg = str(e.value)
    assert "«skole»" in msg and "bostedsadresse" in msg and "errorId" in msg


# ---- single, search, entydig, archive --------------------------------------------------------
def test_single_lookup_and_not_found(sandbox, client):
    pop = sandbox.population
    res = lookups.lookup_person(client, pop.identifier(5), role="barnevern", show_ids=True)
    assert res.persons["foedselsEllerDNummer"].tolist() == [pop.identifier(5)]
    missing = _unknown_valid_ids(pop, 1)[0]
    res = lookups.lookup_person(client, missing, role="barnevern")
    assert res.persons.empty and len(res.errors) == 1
    assert res.errors["foedselsEllerDNummer"].iloc[0] == missing[:6] + "*****"


def test_search_returns_the_hits_and_can_fetch_them(sandbox, client):
    pop = sandbox.population
    crit = dict(foedselsaarFraOgMed=2012, foedselsaarTilOgMed=2013)
    expected = set(pop.identifiers(pop.search(**crit)))
    assert 0 < len(expected) < 1000
    hits = lookups.search_persons(client, role="skole", show_ids=True, **crit)
    assert set(hits.ids) == expected and len(hits.persons) == len(expected)
    fetched = lookups.search_persons(client, role="skole", fetch=True, show_ids=True, **crit)
    assert set(fetched.persons["foedselsEllerDNummer"]) == expected
    assert fetched.persons["foedselsaar"].between(2012, 2013).all()
    with pytest.raises(InputError, match="kommunenummer"):
        lookups.search_persons(client, role="skole", kommunenummer="9999")


def test_unique_search_finds_one_person_or_explains(sandbox, client):
    pop = sandbox.population
    ident = pop.identifier(42)
    one = lookups.lookup_person(client, ident, role="barnevern", show_ids=True).persons.iloc[0]
    name = f"{one['fornavn']} {one['etternavn']}"
    # API-NOTES §6: without an identifying parameter, all of navn, foedselsdato, adressenavn and husnummer
    husnummer = f"{one['husnummer']}{'' if pd.isna(one['husbokstav']) else one['husbokstav']}"
    res = lookups.find_person(client, role="barnevern", navn=name, foedselsdato=str(one["foedselsdato"]),
                              adressenavn=one["adressenavn"], husnummer=husnummer, show_ids=True)
    assert res.ids == [ident] and len(res.persons) == 1
    with pytest.raises(NotFound, match="fant ikke én bestemt person"):
        lookups.find_person(client, role="barnevern", navn="Finnes Ikke Noensinne", foedselsdato="1901-01-01",
                            adressenavn="Ingensteds", husnummer="1")
    with pytest.raises(InputError):
        lookups.find_person(client, role="barnevern", postnummer="0370")


def test_archived_versions_by_document_id(sandbox, client):
    pop = sandbox.population
    doc_ids = [pop.document_id(i) for i in (1, 2)]
    res = lookups.lookup_archived(client, doc_ids + ["ffffffffffffffffffffffffffffffff"], role="barnevern",
                                  show_ids=True)
    assert set(res.persons["foedselsEllerDNummer"]) == {pop.identifier(1), pop.identifier(2)}
    assert len(res.errors) == 1
    with pytest.raises(AccessDenied, match="«skole» er «uten hjemmel»"):
        lookups.lookup_archived(client, doc_ids, role="skole", parts=["navn"])
    with pytest.raises(AccessDenied, match="«analyse» har ikke denne tjenesten"):
        lookups.search_persons(client, role="analyse", foedselsaarFraOgMed=2012)


# ---- resume -----------------------------------------------------------------------------------
class _InterruptAfter(httpx.BaseTransport):
    """A real HTTP transport that raises KeyboardInterrupt (as Ctrl-C would) at the n-th bulk call."""

    def __init__(self, n: int):
        self.inner = httpx.HTTPTransport()
        self.n = n
        self.seen = 0

    def handle_request(self, request):
        if request.url.path.endswith("/v1/personer/bulkoppslag"):
            self.seen += 1
            if self.seen == self.n:
                raise KeyboardInterrupt
        return self.inner.handle_request(request)

    def close(self):
        self.inner.close()


def test_interrupted_lookup_resumes_without_losing_or_duplicating_rows(sandbox, tmp_path):
    pop = sandbox.population
    ids = pop.identifiers(np.arange(1500, 2000)) + _unknown_valid_ids(pop, 500) + pop.identifiers(np.arange(1500))
    data = tmp_path / "data"
    with _client(sandbox, data, transport=_InterruptAfter(3), concurrency=1) as fc:
        with pytest.raises(KeyboardInterrupt, match="2 of 3"):
            lookups.lookup_persons(fc, ids, role="analyse")
    before = _routes(sandbox).get(BULK, 0)
    with _client(sandbox, data) as fc:
        resumed = lookups.lookup_persons(fc, list(reversed(ids)), role="analyse", show_ids=True)
    assert _routes(sandbox).get(BULK, 0) - before == 1                  # only the missing call
    assert resumed.stats["calls"] == 1 and resumed.stats["calls_reused"] == 2
    assert len(resumed.persons) == 2000 and not resumed.persons["foedselsEllerDNummer"].duplicated().any()
    assert len(resumed.errors) == 500
    with _client(sandbox, tmp_path / "fresh") as fc:
        fresh = lookups.lookup_persons(fc, list(reversed(ids)), role="analyse", show_ids=True)
    pd.testing.assert_frame_equal(resumed.persons, fresh.persons, check_categorical=False)
    pd.testing.assert_frame_equal(resumed.errors.drop(columns="fil"), fresh.errors.drop(columns="fil"))
    # a finished run is fetched afresh next time, not served from the old answers
    before = _routes(sandbox).get(BULK, 0)
    with _client(sandbox, data) as fc:
        again = lookups.lookup_persons(fc, ids, role="analyse")
    assert _routes(sandbox).get(BULK, 0) - before == 3 and again.stats["calls_reused"] == 0


# ---- privacy -------------------------------------------------------------------------------
def test_identifiers_are_masked_by_default_everywhere_shown(sandbox, client):
    pop = sandbox.population
    ids = pop.identifiers(np.arange(0, 60)) + _unknown_valid_ids(pop, 2) + ["12345678901"]
    res = lookups.lookup_persons(client, ids, role="barnevern", parts=["person-basis", "relasjon-utvidet"],
                                 history=True)
    assert len(res.relations) > 0
    shown = [res.persons, res.errors, res.invalid, res.relations, res.history("sivilstand")]
    for df in shown:
        assert not ELEVEN.search(df.to_csv()), df.columns.tolist()
    assert not ELEVEN.search(res._repr_html_()) and not ELEVEN.search(repr(res))
    assert res.persons["foedselsEllerDNummer"].str.fullmatch(r"\d{6}\*{5}").all()
    full = lookups.lookup_persons(client, ids, role="barnevern", parts=["person-basis", "relasjon-utvidet"],
                                  history=True, show_ids=True)
    assert set(full.persons["foedselsEllerDNummer"]) == set(ids[:60])


def test_protected_persons_are_never_shown_or_exported_with_an_address(sandbox, client):
    pop = sandbox.population
    protected = np.flatnonzero(np.asarray(pop.prot) > 0)[:10]
    assert len(protected), "the sandbox population should hold protected persons"
    ids = pop.identifiers(protected) + pop.identifiers(np.arange(0, 40))
    res = lookups.lookup_persons(client, ids, role="barnevern", history=True, show_ids=True)
    flagged = res.persons[res.persons["adressebeskyttet"].fillna(False).astype(bool)]
    assert set(pop.identifiers(protected)) <= set(flagged["foedselsEllerDNummer"])
    assert flagged[ADDRESS_COLS].isna().all().all()
    # the raw answers do hold (fortrolig) streets; none of them may reach an export or the history
    raw = b"".join(p.read_bytes() for p in res.raw_dir.glob("bulk-*.json")).decode()
    streets = set()
    for i in protected:
        doc = pop.document(int(i), med_hjemmel=True, historikk=True)
        for v in doc.get("bostedsadresse", []):
            name = (v.get("vegadresse") or {}).get("adressenavn")
            if name and name in raw:
                streets.add(name)
    assert streets, "some protected (fortrolig) addresses are in the raw answers"
    hist = res.history("bostedsadresse")
    prot_hist = hist[hist["foedselsEllerDNummer"].isin(pop.identifiers(protected))]
    assert prot_hist["adressenavn"].isna().all()
    files = res.export(["csv", "xlsx", "parquet"], name="vern-test")
    csv_text = files["csv"].read_text(encoding="utf-8-sig")
    others = res.persons.loc[~res.persons["adressebeskyttet"].fillna(False).astype(bool), "adressenavn"]
    hidden = streets - set(others.dropna())
    assert hidden
    for street in hidden:
        assert street not in csv_text
    back = pd.read_parquet(files["parquet"])
    assert back.loc[back["adressebeskyttet"].astype(bool), ADDRESS_COLS].isna().all().all()
    for f in files.values():
        assert f.stat().st_mode & 0o777 == 0o600 and "exports" in f.parts


def test_every_lookup_is_audited_without_clear_identifiers(sandbox, client):
    ids = sandbox.population.identifiers(np.arange(100, 110))
    lookups.lookup_persons(client, ids, role="skole", purpose="elevliste 1A")
    log = (client.settings.data_dir / "audit.log").read_text()
    assert "elevliste 1A" in log and '"role":"skole"' in log and '"n_persons":10' in log
    assert not any(i in log for i in ids)


# ---- reading ids ---------------------------------------------------------------------------
def test_read_ids_finds_the_column_and_restores_excel_zeros(sandbox, tmp_path):
    pop = sandbox.population
    zeros = [pop.identifier(i) for i in range(len(pop)) if pop.identifier(i).startswith("0")][:3]
    others = pop.identifiers(np.arange(3))
    csv_path = tmp_path / "saker.csv"
    csv_path.write_text("Saksnr;Navn;Fødselsnummer\n" + "\n".join(
        f"2026/{n};Navn {n};{i}" for n, i in enumerate(others + zeros)), encoding="cp1252")
    assert lookups.read_ids(csv_path) == others + zeros
    xlsx = tmp_path / "saker.xlsx"
    pd.DataFrame({"sak": [1, 2, 3], "fnr": [int(i) for i in zeros]}).to_excel(xlsx, index=False)
    got = lookups.read_ids(xlsx)
    assert [len(x) for x in got] == [10, 10, 10]                  # Excel dropped the zero …
    assert fnr.validate_many(got)[0] == zeros                      # … validation restores it
    assert lookups.read_ids(xlsx.read_bytes(), filename="opplastet.xlsx") == got
    assert lookups.read_ids(f" {others[0]}, {others[1]};{others[2]} ") == others
    with pytest.raises(InputError, match="ingen kolonne som heter 'personnr'"):
        lookups.read_ids(csv_path, column="personnr")


def test_example_ids_only_against_the_sandbox(sandbox, client):
    ex = lookups.example_ids(client, 4)
    assert len(ex) == 4 and all(sandbox.population.index_of(i) is not None for i in ex)
    real = FregClient(client.settings.with_overrides(env="test"), progress=False)
    try:
        with pytest.raises(InputError, match="bare i den innebygde sandkassen"):
            lookups.example_ids(real, 4)
    finally:
        real.close()


# ---- the form ------------------------------------------------------------------------------
def test_form_offers_only_the_roles_parts_and_runs_the_same_lookup(sandbox, client, capsys):
    from freg_nb.widgets.lookups import LookupForm

    pop = sandbox.population
    ids = pop.identifiers(np.arange(20, 26))
    form = LookupForm(client, rolle="skole", ids=ids, deler=["navn", "familierelasjon"], historikk=True,
                      formaal="test")
    assert "Hent" in form.panel.button.description
    assert "familierelasjon" not in form.deler.options and "navn" in form.deler.options
    assert form.deler.value == ("navn",)                       # a part skole lacks is not preselected
    assert form.historikk.disabled and form.historikk.value is False
    assert form.ids.value == ""                                # parameter ids never go into widget state
    form.rolle.value = "barnevern"
    assert "familierelasjon" in form.deler.options and not form.historikk.disabled

    form.rolle.value = "skole"
    form.deler.value = ("navn", "bostedsadresse")
    res = form.panel.run()
    assert form.result is res and len(res.persons) == 6 and res.parts == ["navn", "bostedsadresse"]
    assert form.etterpaa.layout.display != "none"
    assert all(re.fullmatch(r"\d{6}\*{5}.*", label) for label in form.person.options)  # a searchable picker
    form.ids.value = f"{ids[0]}\n12345678901"                  # pasted ids replace the parameters
    res = form.panel.run()
    assert len(res.persons) == 1 and len(res.invalid) == 1
    form.person.value = form.person.options[0]
    form.element.value = "navn"
    form.show_history()
    files = form.export(["csv"])
    assert files["csv"].is_file()
    assert not ELEVEN.search(capsys.readouterr().out)
