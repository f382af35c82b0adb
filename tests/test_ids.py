"""freg_nb.ids: Skatteetaten's test vectors, property tests for check digits and masking."""
from __future__ import annotations

import csv
import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from freg_nb import ids
from freg_nb.messages import msg


# --------------------------------------------------------------------------- test vectors
def _vectors(shared_reference):
    path = shared_reference / "skatteetaten-foedselsnummer-testvektorer.csv"
    if not path.is_file():
        pytest.skip(f"test vectors not found at {path}")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_all_skatteetaten_vectors(shared_reference):
    rows = _vectors(shared_reference)
    assert len(rows) == 10
    for row in rows:
        nr, valid = row["fødselsnummer"], row["erGyldig"] == "true"
        assert ids.is_valid(nr) is valid, row["beskrivelse"]
        if valid:
            info = ids.classify(nr)
            assert info.synthetic is (row["erSyntetisk"] == "true"), row["beskrivelse"]
            assert info.kind == ("dnr" if "D-nummer" in row["beskrivelse"] else "fnr"), row["beskrivelse"]
            assert info.rule == ("2032" if "2032" in row["beskrivelse"] else "1964"), row["beskrivelse"]
        else:
            with pytest.raises(ids.InvalidIdentifier) as ei:
                ids.validate(nr)
            assert nr not in str(ei.value)  # the message shows the masked number only


def test_leap_day_rule():
    assert ids.is_valid("29020073150")       # 29 Feb 2000
    assert not ids.is_valid("29020105729")   # 29 Feb 2001 does not exist
    with pytest.raises(ids.InvalidIdentifier, match="dato"):
        ids.validate("29020105729")


@pytest.mark.parametrize("bad, reason", [
    ("", "11 sifre"), ("0385159873", "11 sifre"), ("038515987301", "11 sifre"),
    ("0385159873a", "inneholder tegn som ikke er sifre"), ("03851598731", "kontrollsiffer"), ("03851598720", "kontrollsiffer"),
])
def test_reasons(bad, reason):
    with pytest.raises(ids.InvalidIdentifier, match=reason):
        ids.validate(bad)


def test_letters_are_named_and_a_ten_digit_typo_is_shown_as_typed():
    with pytest.raises(ids.InvalidIdentifier, match="inneholder tegn som ikke er sifre") as e:
        ids.validate("0385159873O")        # letter O for a zero: 11 characters, not 11 digits
    assert "11 tegn" not in str(e.value) and "***********" in str(e.value)
    valid, invalid = ids.validate_many(["2792412345"])   # 10 digits; "0" + it is not valid either
    assert valid == []
    (masked, reason), = invalid
    assert masked == "279241****"                        # as typed, masked — never "027924*****"
    assert "10 sifre" in reason and "ledende null" in reason


def test_validate_strips_spaces_and_validate_many_splits():
    assert ids.validate(" 03851598730 ") == "03851598730"
    valid, invalid = ids.validate_many(["03851598730", "3851598730", "", None, "03851598731", "03851598730"])
    assert valid == ["03851598730"]  # leading zero restored, duplicate dropped
    assert invalid == [("038515*****", msg("ids.k2"))]


def test_check_digits_arguments():
    with pytest.raises(ValueError):
        ids.check_digits("12345678")
    with pytest.raises(ValueError):
        ids.check_digits("123456789", rule="1964", k1_remainder=1)


# --------------------------------------------------------------------------- properties
@st.composite
def first_nine(draw, synthetic=st.booleans(), dnr=st.booleans()):
    day = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2039, 12, 31)))
    d, m = day.day, day.month
    if draw(dnr):
        d += 40
    if draw(synthetic):
        m += 80
    yy = day.year % 100
    # individual digits consistent with the century (1964 scheme)
    if day.year < 2000:
        ind = draw(st.integers(0, 499))
    else:
        ind = draw(st.integers(500, 999))
    return f"{d:02d}{m:02d}{yy:02d}{ind:03d}"


@settings(max_examples=300, deadline=None)
@given(first_nine(), st.integers(0, 3))
def test_minted_numbers_validate(nine, remainder):
    rule = "1964" if remainder == 0 else "2032"
    k = ids.check_digits(nine, rule=rule, k1_remainder=remainder)
    assume(k is not None)
    nr = nine + k
    assert ids.is_valid(nr)
    info = ids.classify(nr)
    assert info.rule == rule
    assert info.synthetic == (int(nine[2:4]) > 80)
    assert info.kind == ("dnr" if int(nine[0:2]) > 40 else "fnr")


@settings(max_examples=300, deadline=None)
@given(first_nine(), st.integers(0, 10), st.integers(1, 9))
def test_any_single_digit_change_is_caught(nine, pos, delta):
    k = ids.check_digits(nine)
    assume(k is not None)
    nr = nine + k
    changed = nr[:pos] + str((int(nr[pos]) + delta) % 10) + nr[pos + 1:]
    # k2's weights reach every position with a weight that is a unit mod 11, so any single change
    # breaks the sum; a change may still leave k1 inside the 2032 remainders, but never k2.
    assert not ids.is_valid(changed)


@settings(max_examples=200, deadline=None)
@given(first_nine(), st.integers(0, 3))
def test_mask_never_shows_individual_digits(nine, remainder):
    k = ids.check_digits(nine, rule="1964" if remainder == 0 else "2032", k1_remainder=remainder)
    assume(k is not None)
    nr = nine + k
    m = ids.mask(nr)
    assert m == nr[:6] + "*****"
    assert len(m) == 11   # the individual digits are all '*' (they may recur by chance in the date part)
    assert ids.mask(nr, show=True) == nr


@given(st.text(max_size=30))
def test_mask_of_anything_else_shows_nothing(s):
    m = ids.mask(s)
    if not (len(s) == 11 and s.isdigit()):
        assert set(m) <= {"*"}
