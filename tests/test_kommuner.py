"""The municipality list shared by the sandbox and the client."""
from __future__ import annotations

import re

from freg_nb.kommuner import fylker, is_current, kommune_dict, kommunenavn, kommuner


def test_all_current_municipalities_once():
    df = kommuner()
    assert len(df) == 357 and df.kommunenummer.is_unique
    assert all(re.fullmatch(r"\d{4}", k) for k in df.kommunenummer)
    assert (df.kommunenummer.str[:2] == df.fylkesnummer).all()
    assert len(fylker()) == 15 and fylker()["46"] == "Vestland"
    assert str(df.kommunenummer.dtype) == "string"
    assert (df.innbyggere > 0).all()
    assert 5_000_000 < df.innbyggere.sum() < 6_000_000
    big = df.nlargest(4, "innbyggere").kommunenavn.tolist()
    assert big == ["Oslo", "Bergen", "Trondheim", "Stavanger"]
    assert all(re.fullmatch(r"\d{4}", p) for p in df.postnummer)


def test_is_current_and_names():
    assert is_current("0301") and is_current(" 5001 ")
    assert not is_current("1201")  # Bergen's number before 2020
    assert not is_current("3001")  # Halden before the 2024 county split
    assert not is_current(301) and not is_current(None) and not is_current("")
    assert kommunenavn("1508") == "Ålesund" and kommunenavn("1580") == "Haram"  # the 2024 split
    assert kommunenavn("9999") is None
    assert kommune_dict()["5501"].fylkesnavn == "Troms"
