"""freg_nb.search_criteria: birth dates to YYYYMMDD, search criteria and entydigsoek combinations checked locally,
with bokmål messages that say what is wrong and what to do."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from freg_nb.search_criteria import MAX_HITS, birth_date, search_criteria, unique_criteria
from freg_nb.errors import InputError

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("given", [date(1954, 11, 25), datetime(1954, 11, 25, 13, 5), "1954-11-25", "25.11.1954",
                                   "19541125", " 1954-11-25 ", "25.11.1954 "])
def test_birth_date_forms_become_yyyymmdd(given):
    assert birth_date(given) == "19541125"


def test_birth_date_single_digit_day_and_month():
    assert birth_date("5.1.2001") == "20010105"
    assert birth_date("2000-02-29") == "20000229"  # a leap day


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "1900-02-29", "31.04.1990", "19541325", "20230229"])
def test_impossible_dates_are_refused(bad):
    with pytest.raises(InputError, match="finnes ikke i kalenderen") as ei:
        birth_date(bad)
    assert "gyldig dato" in str(ei.value)


@pytest.mark.parametrize("bad", ["1954/11/25", "25-11-1954", "1954-11", "541125", "", "i går", 19541125, None])
def test_unknown_date_formats_are_refused_with_the_accepted_ones(bad):
    with pytest.raises(InputError, match="ukjent format") as ei:
        birth_date(bad)
    assert "1954-11-25, 25.11.1954, 19541125" in str(ei.value)


def test_search_criteria_normalised():
    got = search_criteria({"navn": "  Stadig   Kubbestol ", "foedselsdato": date(1927, 5, 16), "inkluderDoede": True,
                           "soekFonetisk": "False", "maksTreff": 50, "kommunenummer": "0301", "husnummer": "14 b",
                           "kjoenn": "Mann", "postnummer": None, "adressenavn": ""}, today=TODAY)
    assert got == {"navn": "Stadig Kubbestol", "foedselsdato": "19270516", "inkluderDoede": "true",
                   "soekFonetisk": "false", "maksTreff": "50", "kommunenummer": "0301", "husnummer": "14B",
                   "kjoenn": "mann"}


def test_at_least_one_criterion():
    for empty in ({}, {"inkluderDoede": True, "maksTreff": 10}, {"navn": None, "adressenavn": "  "}):
        with pytest.raises(InputError, match="minst ett søkekriterium"):
            search_criteria(empty, today=TODAY)


def test_unknown_names_get_a_close_match():
    with pytest.raises(InputError, match="'fodselsdato' \\(mente du 'foedselsdato'\\?\\)") as ei:
        search_criteria({"fodselsdato": "1954-11-25"}, today=TODAY)
    assert "Gyldige kriterier er navn" in str(ei.value)
    with pytest.raises(InputError, match="mente du 'kommunenummer'"):
        search_criteria({"Kommunenummer": "0301"}, today=TODAY)
    with pytest.raises(InputError, match="'skostoerrelse'") as ei:
        search_criteria({"skostoerrelse": "44"}, today=TODAY)
    assert "mente du" not in str(ei.value)


def test_year_ranges():
    assert search_criteria({"foedselsaarFraOgMed": 1990, "foedselsaarTilOgMed": "1991"}, today=TODAY) == {
        "foedselsaarFraOgMed": "1990", "foedselsaarTilOgMed": "1991"}
    with pytest.raises(InputError, match="Bytt om"):
        search_criteria({"foedselsaarFraOgMed": 2000, "foedselsaarTilOgMed": 1990}, today=TODAY)
    with pytest.raises(InputError, match="framtiden. Oppgi et år til og med 2026"):
        search_criteria({"foedselsaarTilOgMed": 2027}, today=TODAY)
    for bad in ("90", "1990.5", True, "nittenåtti"):
        with pytest.raises(InputError, match="fire sifre"):
            search_criteria({"foedselsaarFraOgMed": bad}, today=TODAY)


def test_max_hits():
    assert search_criteria({"navn": "A", "maksTreff": MAX_HITS}, today=TODAY)["maksTreff"] == "10000"
    for bad in (0, MAX_HITS + 1, "mange", -5, True):
        with pytest.raises(InputError, match="fra 1 til 10 000") as ei:
            search_criteria({"navn": "A", "maksTreff": bad}, today=TODAY)
        assert "avgrens søket" in str(ei.value)


@pytest.mark.parametrize("criteria,words", [
    ({"adressenavn": "Øs"}, "minst 3 tegn"),
    ({"husnummer": "14BB"}, "14 eller 14B"),
    ({"kommunenummer": "301"}, "nøyaktig 4 sifre"),
    ({"fylkesnummer": "3"}, "nøyaktig 2 sifre"),
    ({"postnummer": "01500"}, "Husk ledende null"),
    ({"kjoenn": "k"}, "«kvinne» eller «mann»"),
    ({"navn": "A", "inkluderDoede": "ja"}, "True eller False"),
    ({"navn": "A", "opplysningsgrunnlag": "alt"}, "«gjeldende» eller «historisk»"),
    ({"foedselsdato": "2026-02-30"}, "finnes ikke i kalenderen"),
])
def test_bad_values_say_what_to_do(criteria, words):
    with pytest.raises(InputError, match=words):
        search_criteria(criteria, today=TODAY)


@pytest.mark.parametrize("criteria", [
    {"identifikasjonsnummer": "09052400284", "navn": "Forståelsesfull Rulletrapp"},
    {"legitimasjonsdokument": "IRL-195509132386", "foedselsdato": "1955-09-13"},
    {"utenlandskpersonidentifikasjon": "AFG-1458-4555", "adressenavn": "Storgata"},
    {"utlendingsmyndighetenesidentifikasjonsnummer": "123456789012", "husnummer": "4"},
    {"navn": "Ola Nordmann", "foedselsdato": date(1955, 12, 28), "adressenavn": "Storgata", "husnummer": "14B"},
])
def test_qualifying_unique_combinations(criteria):
    out = unique_criteria(criteria, today=TODAY)
    assert set(out) == set(criteria)
    if "foedselsdato" in out:
        assert len(out["foedselsdato"]) == 8 and out["foedselsdato"].isdigit()


@pytest.mark.parametrize("criteria,todo", [
    ({"navn": "Ola Nordmann"}, "Legg til en identifiserende opplysning"),
    ({"navn": "Ola Nordmann", "foedselsdato": "1955-12-28"}, "eller alle disse: adressenavn, husnummer"),
    ({"navn": "Ola Nordmann", "postnummer": "0150"}, "alle disse: foedselsdato, adressenavn, husnummer"),
    ({"identifikasjonsnummer": "09052400284", "foedselsdato": "1924-05-09"},
     "foedselsdato teller ikke sammen med identifikasjonsnummer"),
    ({"legitimasjonsdokument": "IRL-1"}, "Legg til ett av foedselsdato, navn, adressenavn, husnummer"),
])
def test_non_qualifying_unique_combinations_are_refused_locally(criteria, todo):
    with pytest.raises(InputError, match="ikke nok til et entydig søk") as ei:
        unique_criteria(criteria, today=TODAY)
    assert todo in str(ei.value)


def test_unique_search_knows_its_own_names():
    with pytest.raises(InputError, match="mente du 'identifikasjonsnummer'"):
        unique_criteria({"identifikasjonsnr": "09052400284", "navn": "A B"}, today=TODAY)
    with pytest.raises(InputError, match="'kommunenummer'"):  # a soek criterion, not an entydigsoek one
        unique_criteria({"kommunenummer": "0301", "navn": "A B"}, today=TODAY)
