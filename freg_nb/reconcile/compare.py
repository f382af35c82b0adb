"""The comparison step: a fagsystem list against Folkeregisteret's answers, one result row per
input row, vectorised (pandas joins, rapidfuzz's batch scorers) — no Python loop per row.

``prepare`` turns a ``ListTable`` into normalised keys (and finds the ids to look up);
``compare`` takes those keys, the persons table of the lookup (full identifiers, protected
addresses already blank) and each asked id's current identifier, and returns the categories,
scores, old and new values and a short bokmål reason per difference.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from . import normalise as nz
from .reader import ListTable

__all__ = ["CATEGORIES", "FLAG_COLUMNS", "NAME_THRESHOLD", "STREET_THRESHOLD", "SURNAME_THRESHOLD", "compare",
           "prepare"]

from ..codes import (BESKYTTET, CATEGORIES, DOED, FLYTTET_INNEN, FLYTTET_UT, IKKE_FUNNET, NYTT_ID,  # noqa: E402
                     NYTT_NAVN, UENDRET, UGYLDIG, UTVANDRET)

NAME_THRESHOLD = 85.0
"""Given names (or a whole name in one column) scoring below this (``rapidfuzz.fuzz.token_set_ratio``,
0–100) count as a new name; above
it a difference is a spelling variant (the reason says so, the row stays unchanged)."""
SURNAME_THRESHOLD = 60.0
"""A surname (when the list has it in its own column) scoring below this (``fuzz.ratio``) is a new
surname: short surnames lose many points to one typo, a changed surname shares little."""
STREET_THRESHOLD = 85.0
"""Street names scoring at or above this (``fuzz.ratio`` on the normalised names) are the same street."""

_S = pd.StringDtype("pyarrow")
FLAG_COLUMNS = {c: "er_" + c.replace(" ", "_").replace("ø", "o").replace("å", "a") for c in CATEGORIES}
"""The boolean column per category in the internal result (``er_doed``, ``er_nytt_navn`` …)."""


def prepare(table: ListTable) -> pd.DataFrame:
    """Normalised keys for every input row (rows in = rows out), and which ids are valid."""
    d = table.data
    n = len(d)
    blank = pd.Series("", index=d.index, dtype=_S)

    def col(role: str) -> pd.Series:
        s = table.column(role)
        return nz.text(s) if s is not None else blank

    ident, zero_back = nz.id_digits(col("id"))
    empty_row = pd.concat([nz.text(d[c]) == "" for c in d.columns], axis=1).all(axis=1) if n else blank.eq("")
    well_formed = ident.str.fullmatch(r"\d{11}").fillna(False).astype(bool)
    valid = pd.Series(nz.id_valid(ident), index=d.index)
    reason = pd.Series(pd.NA, index=d.index, dtype=_S)
    reason = reason.mask(~valid & well_formed, "kontrollsifrene eller datoen stemmer ikke")
    reason = reason.mask(~well_formed, "må være 11 siffer (har " + ident.str.len().astype(str) + " tegn)")
    reason = reason.mask(~well_formed & ident.eq(""), "mangler fødselsnummer")
    reason = reason.mask(empty_row, "tom rad")
    # given names and surname apart when the list has them apart, else the whole name in one
    given = nz.name_key(col("fornavn"), col("mellomnavn"), col("navn"))
    surname = nz.name_key(col("etternavn"))
    name_shown = nz.join([col("fornavn"), col("mellomnavn"), col("etternavn"), col("navn")], " ", d.index)
    parts = nz.address_parts(col("adresse"))
    street_raw = col("adressenavn").where(col("adressenavn") != "", parts["gate"])
    number = nz.house_number(col("husnummer").where(col("husnummer") != "", parts["husnummer"]))
    letter = nz.letter(col("husbokstav").where(col("husbokstav") != "", parts["husbokstav"]))
    built = nz.join([street_raw, number + letter.str.upper()], " ", d.index)
    shown_address = col("adresse").where(col("adresse") != "", built)
    post = nz.postnummer(col("postnummer"))
    gate_key, gate_plain = nz.street_keys(street_raw)
    dup = valid & ident.duplicated(keep="first")
    return pd.DataFrame({
        "rad": np.arange(1, n + 1), "id": ident, "gyldig": valid, "ugyldig_grunn": reason,
        "null_satt_tilbake": zero_back & valid, "duplikat": dup, "tom_rad": empty_row,
        "navn_liste": name_shown, "fornavn_key": given, "etternavn_key": surname, "adresse_liste": shown_address,
        "gate_key": gate_key, "gate_plain": gate_plain, "husnr": number, "bokstav": letter,
        "postnummer_liste": post, "har_navn": (given != "") | (surname != ""),
        "har_adresse": (street_raw != "") | (post != ""),
    }, index=d.index)


def _scores(a: pd.Series, b: pd.Series, scorer) -> np.ndarray:
    """Pairwise scores a[i] vs b[i] in one batch call (rapidfuzz's C++ ``cpdist``)."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(a.fillna("").tolist(), b.fillna("").tolist(), scorer=scorer, workers=1,
                          dtype=np.float32)


def compare(prepared: pd.DataFrame, persons: pd.DataFrame, current_ids: pd.DataFrame, *,
            kommune: str | None = None, fields: tuple[str, ...] = ("navn", "adresse"),
            ) -> tuple[pd.DataFrame, str | None]:
    """Categories per input row. ``persons``: the lookup's persons table with FULL identifiers in
    ``foedselsEllerDNummer`` (the id asked for); ``current_ids``: columns ``foedselsEllerDNummer``
    (asked) and ``identifikator`` (the one in use now). ``kommune``: the list's municipality
    (kommunenummer); None = the one most persons on the list live in now.
    Returns (rows, kommune used). Full ids inside: mask before showing.
    """
    p = prepared
    cols = ["foedselsEllerDNummer", "status", "fornavn", "mellomnavn", "etternavn", "doedsdato", "kommunenummer",
            "adressenavn", "husnummer", "husbokstav", "postnummer", "poststed", "adressebeskyttet", "ukjent_bosted"]
    per = persons.reindex(columns=cols).drop_duplicates("foedselsEllerDNummer")
    per = per.set_axis([c if c == "foedselsEllerDNummer" else "f_" + c for c in cols], axis=1)
    cur = current_ids.drop_duplicates("foedselsEllerDNummer").rename(columns={"identifikator": "f_id_naa"})
    m = p.merge(per, how="left", left_on="id", right_on="foedselsEllerDNummer").merge(
        cur, how="left", on="foedselsEllerDNummer")
    m.index = p.index
    found = m["foedselsEllerDNummer"].notna().to_numpy() & p["gyldig"].to_numpy()
    status = nz.text(m["f_status"]).str.lower()
    doed = found & ((status == "doed") | m["f_doedsdato"].notna()).to_numpy()
    utvandret = found & (status == "utflyttet").to_numpy()
    kom = nz.text(m["f_kommunenummer"])
    no_address = (kom == "") & ~m["f_ukjent_bosted"].fillna(False).astype(bool)
    # a bosatt person without any address: the role cannot see it (protected, uten hjemmel) → remove ours
    beskyttet = found & (m["f_adressebeskyttet"].fillna(False).astype(bool) | (no_address & (status == "bosatt"))
                         ).to_numpy()
    ny_id = nz.text(m["f_id_naa"])
    nytt_id = found & ((ny_id != "") & (ny_id != p["id"])).to_numpy()

    f_given = nz.name_key(m["f_fornavn"], m["f_mellomnavn"])
    f_surname = nz.name_key(m["f_etternavn"])
    split = (p["etternavn_key"] != "").to_numpy()
    given_score = _scores(p["fornavn_key"], f_given.where(split, (f_given + " " + f_surname).str.strip()),
                          fuzz.token_set_ratio)
    surname_score = _scores(p["etternavn_key"], f_surname, fuzz.ratio)
    name_score = np.where(split, np.minimum(given_score, surname_score), given_score)
    has_name = found & p["har_navn"].to_numpy() & ("navn" in fields)
    nytt_navn = has_name & ((given_score < NAME_THRESHOLD) | (split & (surname_score < SURNAME_THRESHOLD)))

    f_street, f_street_plain = nz.street_keys(m["f_adressenavn"])
    # the better of: endings unified (gt./gata, vn./veien) and as written (a typo in the ending)
    street_score = np.maximum(_scores(p["gate_key"], f_street, fuzz.ratio),
                              _scores(p["gate_plain"], f_street_plain, fuzz.ratio))
    both_empty = ((p["gate_key"] == "") & (f_street == "")).to_numpy()
    street_ok = both_empty | (street_score >= STREET_THRESHOLD)
    f_nr, f_letter = nz.house_number(m["f_husnummer"]), nz.letter(m["f_husbokstav"])
    nr_ok = (p["husnr"] == f_nr).to_numpy()
    letter_ok = ((p["bokstav"] == f_letter) | (p["bokstav"] == "")).to_numpy()
    f_post = nz.postnummer(m["f_postnummer"])
    post_ok = ((p["postnummer_liste"] == "") | (p["postnummer_liste"] == f_post)).to_numpy()
    check_address = found & p["har_adresse"].to_numpy() & ~beskyttet & ~utvandret & (kom != "").to_numpy() \
        & ("adresse" in fields)
    moved = check_address & ~(street_ok & nr_ok & letter_ok & post_ok)
    if kommune is None:
        home = kom[check_address & ~moved]
        kommune = str(home.mode().iloc[0]) if len(home) else None
    in_kommune = (kom == (kommune or "")).to_numpy()
    flags = {
        UGYLDIG: ~p["gyldig"].to_numpy(), IKKE_FUNNET: p["gyldig"].to_numpy() & ~found, DOED: doed,
        UTVANDRET: utvandret, BESKYTTET: beskyttet, FLYTTET_UT: moved & ~in_kommune, FLYTTET_INNEN: moved & in_kommune,
        NYTT_ID: nytt_id, NYTT_NAVN: nytt_navn,
    }
    any_change = np.logical_or.reduce(list(flags.values()))
    flags[UENDRET] = ~any_change
    reasons = _reasons(p, flags, has_name=has_name, name_score=name_score, check_address=check_address,
                       street_score=street_score, street_ok=street_ok, nr_ok=nr_ok, letter_ok=letter_ok,
                       post_ok=post_ok, beskyttet=beskyttet)
    out = _assemble(p, m, flags, reasons, found=found, beskyttet=beskyttet, has_name=has_name,
                    name_score=name_score, check_address=check_address, street_score=street_score, f_post=f_post,
                    ny_id=ny_id, nytt_id=nytt_id, kom=kom)
    return out, kommune


def _assemble(p, m, flags, reasons, *, found, beskyttet, has_name, name_score, check_address, street_score,
              f_post, ny_id, nytt_id, kom) -> pd.DataFrame:
    """The result table: categories, old value beside the new, scores and reasons."""
    idx = p.index
    flag_frame = pd.DataFrame({FLAG_COLUMNS[c]: v for c, v in flags.items()}, index=idx)
    main = np.select([flags[c] for c in CATEGORIES], list(CATEGORIES), default=UENDRET)
    # all categories of a row, in priority order: one string concatenation per category (10 passes)
    joined = nz.join([nz.when(flags[c], c) for c in CATEGORIES], ", ", idx)
    freg_navn = nz.join([m["f_fornavn"], m["f_mellomnavn"], m["f_etternavn"]], " ", idx)
    freg_adr = nz.join([m["f_adressenavn"], nz.text(m["f_husnummer"]) + nz.text(m["f_husbokstav"])], " ", idx)
    moved = flags[FLYTTET_INNEN] | flags[FLYTTET_UT]
    show_new_address = moved & ~beskyttet
    out = pd.DataFrame({
        "rad": p["rad"].to_numpy(),
        "foedselsEllerDNummer": p["id"].where(p["id"] != "", pd.NA),
        "kategori": pd.Series(main, index=idx, dtype=_S),
        "kategorier": joined,
        "nytt_foedselsEllerDNummer": ny_id.where(pd.Series(nytt_id, index=idx), pd.NA),
        "navn_liste": p["navn_liste"],
        "navn_freg": freg_navn.where(pd.Series(found & flags[NYTT_NAVN], index=idx), pd.NA),
        "navn_likhet": pd.Series(np.where(has_name, np.round(name_score), np.nan), index=idx).astype("Int16"),
        # the list's own address is removed for a protected person: it may still be where they live
        "adresse_liste": p["adresse_liste"].where(pd.Series(~beskyttet, index=idx), pd.NA),
        "postnummer_liste": p["postnummer_liste"].where(pd.Series(~beskyttet, index=idx), pd.NA),
        "adresse_freg": freg_adr.where(pd.Series(show_new_address, index=idx), pd.NA),
        "postnummer_freg": f_post.where(pd.Series(show_new_address, index=idx), pd.NA),
        "kommunenummer_freg": kom.where(pd.Series(found & ~beskyttet & (kom != "").to_numpy(), index=idx), pd.NA),
        "adresse_likhet": pd.Series(np.where(check_address, np.round(street_score), np.nan), index=idx).astype("Int16"),
        "status_freg": nz.text(m["f_status"]).where(pd.Series(found, index=idx), pd.NA),
        "doedsdato": m["f_doedsdato"].where(pd.Series(found, index=idx)),
        "grunn": reasons,
        "duplikat": p["duplikat"].to_numpy(),
        "null_satt_tilbake": p["null_satt_tilbake"].to_numpy(),
    }, index=idx)
    return pd.concat([out, flag_frame], axis=1).reset_index(drop=True)


def _reasons(p, flags, *, has_name, name_score, check_address, street_score, street_ok, nr_ok, letter_ok,
             post_ok, beskyttet) -> pd.Series:
    """A short bokmål reason per difference, joined with "; " (vectorised: one column per reason)."""
    idx = p.index
    put = nz.when

    def scored(text: str, score: np.ndarray) -> pa.Array:   # "text (likhet 83)" for every row at once
        s = pa.scalar
        return pc.binary_join_element_wise(s(text + " (likhet ", pa.large_string()),
                                           pc.cast(pa.array(np.round(score).astype(np.int64)), pa.large_string()),
                                           s(")", pa.large_string()), s("", pa.large_string()))

    spelled = check_address & street_ok & (street_score < 99.5) & (p["gate_key"] != "").to_numpy()
    parts = [
        p["ugyldig_grunn"].fillna(""),
        put(flags[IKKE_FUNNET], "Folkeregisteret fant ingen person med dette nummeret"),
        put(flags[DOED], "død ifølge Folkeregisteret"),
        put(flags[UTVANDRET], "utvandret (status utflyttet)"),
        put(beskyttet, "adressebeskyttet nå: fjern adressen fra fagsystemet (den nye vises aldri)"),
        put(flags[NYTT_ID], "har fått nytt identifikasjonsnummer; det gamle er opphørt"),
        put(flags[NYTT_NAVN], scored("navnet er endret", name_score)),
        put(has_name & ~flags[NYTT_NAVN] & (name_score < 99.5),
            scored("skrivemåten av navnet avviker litt", name_score)),
        put(check_address & ~street_ok, scored("annen gate", street_score)),
        put(check_address & street_ok & ~nr_ok, "annet husnummer"),
        put(check_address & street_ok & nr_ok & ~letter_ok, "annen husbokstav"),
        put(check_address & ~post_ok, "annet postnummer"),
        put(spelled, scored("skrivemåten av gatenavnet avviker litt", street_score)),
        put(p["duplikat"].to_numpy(), "duplikat av en tidligere rad"),
        put(p["null_satt_tilbake"].to_numpy(), "ledende null satt tilbake (Excel)"),
    ]
    return nz.join(parts, "; ", idx)
