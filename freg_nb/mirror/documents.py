"""Person documents → version rows, and version rows → residence spells (DuckDB SQL).

A *version row* is one version of one element of one person, with the day it became valid and
the day it stopped (``gyldig_til`` NULL = still valid). Only the elements the questions need are
kept: ``identifikasjonsnummer``, ``status``, ``bostedsadresse``, ``foedsel``, ``kjoenn``,
``doedsfall`` and ``statsborgerskap``.

Validity of a version:

* ``gyldig_fra`` = the date of ``gyldighetstidspunkt``, else of ``ajourholdstidspunkt``, else the
  end of the version before it (Freg lists versions newest first);
* ``gyldig_til`` for the exclusive elements (``status``, ``bostedsadresse``): the start of the
  next version, else ``opphoerstidspunkt`` of a version that is no longer current. An address
  holds until it is replaced, even when Freg's ``opphoerstidspunkt`` leaves a gap before the next.
  ``statsborgerskap`` may have several current versions at once, so it ends only at its own
  ``opphoerstidspunkt``.

Protected addresses (``fortrolig``, ``strengtFortrolig``) keep no grunnkrets or skolekrets; a
``strengtFortrolig`` address carries no municipality at all in Freg's answer either.

A *spell* is a stretch of days during which a person is ``bosatt`` with the same address,
citizenship, sex and birth date: the rows ``population``/``flows`` count.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

_META = ("ajourholdstidspunkt VARCHAR, erGjeldende BOOLEAN, gyldighetstidspunkt VARCHAR, "
         "opphoerstidspunkt VARCHAR")
_ADDRESS = (f"STRUCT({_META}, vegadresse STRUCT(kommunenummer VARCHAR), "
            "matrikkeladresse STRUCT(kommunenummer VARCHAR, matrikkelnummer STRUCT(kommunenummer VARCHAR)), "
            "ukjentBosted STRUCT(bostedskommune VARCHAR), adressegradering VARCHAR, flyttedato VARCHAR, "
            "grunnkrets INTEGER, skolekrets INTEGER)[]")
_PERSON = ("STRUCT("
           f"identifikasjonsnummer STRUCT({_META}, foedselsEllerDNummer VARCHAR)[], "
           f"status STRUCT({_META}, status VARCHAR)[], "
           f"bostedsadresse {_ADDRESS}, "
           f"foedsel STRUCT({_META}, foedselsdato VARCHAR)[], "
           f"kjoenn STRUCT({_META}, kjoenn VARCHAR)[], "
           f"doedsfall STRUCT({_META}, doedsdato VARCHAR), "
           f"statsborgerskap STRUCT({_META}, land VARCHAR)[])")
# A bulk answer (bulkoppslag, bulkoppslag/arkiv): {"oppslag": [{dokumentidentifikator?, folkeregisterperson}]}
ANSWER_COLUMNS = {"oppslag": f"STRUCT(dokumentidentifikator VARCHAR, foedselsEllerDNummer VARCHAR, "
                             f"folkeregisterperson {_PERSON})[]"}

VERSION_COLUMNS = ("pid", "element", "pos", "gyldig_fra", "gyldig_til", "gjeldende", "verdi",
                   "kommunenummer", "grunnkrets", "skolekrets", "gradering", "dokument", "sekvensnummer")
SPELL_COLUMNS = ("pid", "fra", "til", "kommunenummer", "grunnkrets", "skolekrets", "statsborgerskap",
                 "kjoenn", "foedselsdato", "doedsdato")


def _day(expr: str) -> str:
    """The calendar day of a Freg timestamp or date (its first ten characters, local time)."""
    return f"TRY_CAST(left({expr}, 10) AS DATE)"


def _element(name: str, verdi: str, *, address: bool = False) -> str:
    """Rows of one list element: meta, position (1 = newest) and the value."""
    addr = (", coalesce(v.vegadresse.kommunenummer, v.matrikkeladresse.kommunenummer, "
            "v.matrikkeladresse.matrikkelnummer.kommunenummer, v.ukjentBosted.bostedskommune) AS kommunenummer, "
            "v.grunnkrets AS grunnkrets, v.skolekrets AS skolekrets, lower(v.adressegradering) AS gradering, "
            "v.flyttedato AS flyttedato"
            if address else ", NULL::VARCHAR AS kommunenummer, NULL::INTEGER AS grunnkrets, NULL::INTEGER AS skolekrets, "
            "NULL::VARCHAR AS gradering, NULL::VARCHAR AS flyttedato")
    return (f"SELECT dokument, '{name}' AS element, pos, v.gyldighetstidspunkt AS g, v.ajourholdstidspunkt AS a, "
            f"v.opphoerstidspunkt AS o, coalesce(v.erGjeldende, true) AS gjeldende, {verdi} AS verdi{addr} "
            f"FROM (SELECT dokument, unnest(p.{name}) AS v, generate_subscripts(p.{name}, 1) AS pos FROM docs "
            f"WHERE p.{name} IS NOT NULL)")


def versions_sql(answers: str = "answers") -> str:
    """SQL for version rows from a relation ``answers`` with columns (oppslag) as read by
    ``read_json(..., columns=ANSWER_COLUMNS)`` and a relation ``seqs(dokument, sekvensnummer)``
    (the feed sequence number each document was taken at; missing = NULL)."""
    parts = [
        _element("identifikasjonsnummer", "v.foedselsEllerDNummer"),
        _element("status", "v.status"),
        _element("bostedsadresse", "NULL::VARCHAR", address=True),
        _element("foedsel", "v.foedselsdato"),
        _element("kjoenn", "v.kjoenn"),
        _element("statsborgerskap", "v.land"),
        "SELECT dokument, 'doedsfall', 1, p.doedsfall.gyldighetstidspunkt, p.doedsfall.ajourholdstidspunkt, "
        "NULL, true, p.doedsfall.doedsdato, NULL, NULL, NULL, NULL, NULL FROM docs WHERE p.doedsfall.doedsdato IS NOT NULL",
    ]
    union = "\nUNION ALL\n".join(parts)
    return f"""
WITH docs AS (
    SELECT coalesce(o.dokumentidentifikator, o.foedselsEllerDNummer) AS dokument, o.folkeregisterperson AS p,
           coalesce(list_filter(o.folkeregisterperson.identifikasjonsnummer, lambda x: coalesce(x.erGjeldende, true))[1]
                        .foedselsEllerDNummer,
                    o.folkeregisterperson.identifikasjonsnummer[1].foedselsEllerDNummer) AS pid
    FROM (SELECT unnest(oppslag) AS o FROM {answers})
    WHERE o.folkeregisterperson IS NOT NULL
),
raw AS ({union}),
dated AS (
    SELECT r.*, coalesce({_day('g')}, {_day('flyttedato')}, {_day('a')}) AS fra0, {_day('o')} AS opphoer,
           pos = max(pos) OVER (PARTITION BY dokument, element) AS oldest FROM raw r
),
first_day AS (  -- the day the person entered the register, from whichever first version carries a date
    SELECT dokument, min(fra0) AS entered FROM dated
    WHERE oldest AND element IN ('identifikasjonsnummer', 'status', 'bostedsadresse') GROUP BY dokument
),
started AS (
    SELECT d.*, coalesce(fra0, lead(opphoer) OVER (PARTITION BY d.dokument, element ORDER BY pos),
                         CASE WHEN oldest THEN f.entered END) AS fra1
    FROM dated d LEFT JOIN first_day f USING (dokument)
),
ordered AS (
    SELECT *, lag(fra1) OVER (PARTITION BY dokument, element ORDER BY pos) AS next_fra FROM started
)
SELECT d.pid, o.element, o.pos::INTEGER AS pos, o.fra1 AS gyldig_fra,
       CASE WHEN o.element IN ('status', 'bostedsadresse')
            THEN coalesce(o.next_fra, CASE WHEN NOT o.gjeldende THEN o.opphoer END)
            WHEN NOT o.gjeldende THEN o.opphoer END AS gyldig_til,
       o.gjeldende, o.verdi, o.kommunenummer,
       CASE WHEN coalesce(o.gradering, 'ugradert') = 'ugradert' THEN o.grunnkrets END AS grunnkrets,
       CASE WHEN coalesce(o.gradering, 'ugradert') = 'ugradert' THEN o.skolekrets END AS skolekrets,
       o.gradering, o.dokument, s.sekvensnummer::BIGINT AS sekvensnummer
FROM ordered o JOIN docs d USING (dokument) LEFT JOIN seqs s ON s.dokument = o.dokument
WHERE d.pid IS NOT NULL
"""


def read_answers(con, files: Sequence[Path | str]) -> None:
    """Register the raw bulk answers in ``files`` as the view ``answers`` (parameters, no quoting)."""
    con.execute("CREATE OR REPLACE TEMP TABLE answers AS SELECT oppslag FROM read_json($files, columns=$cols, "
                "format='auto', maximum_object_size=67108864)",
                {"files": [str(f) for f in files], "cols": ANSWER_COLUMNS})


SPELLS_SQL = """
WITH v AS (SELECT * FROM versions WHERE element IN ('status', 'bostedsadresse', 'statsborgerskap')
                                    AND gyldig_fra IS NOT NULL),
b AS (
    SELECT DISTINCT pid, d FROM (
        SELECT pid, gyldig_fra AS d FROM v UNION ALL SELECT pid, gyldig_til FROM v WHERE gyldig_til IS NOT NULL)
),
iv AS (SELECT pid, d AS fra, lead(d) OVER (PARTITION BY pid ORDER BY d) AS til FROM b),
st AS (
    SELECT iv.* FROM iv JOIN v ON v.pid = iv.pid AND v.element = 'status' AND v.gyldig_fra <= iv.fra
                             AND (v.gyldig_til IS NULL OR v.gyldig_til > iv.fra)
    WHERE v.verdi = 'bosatt'
),
adr AS (
    SELECT st.pid, st.fra, arg_max(v.kommunenummer, v.gyldig_fra) AS kommunenummer,
           arg_max(v.grunnkrets, v.gyldig_fra) AS grunnkrets, arg_max(v.skolekrets, v.gyldig_fra) AS skolekrets
    FROM st JOIN v ON v.pid = st.pid AND v.element = 'bostedsadresse' AND v.gyldig_fra <= st.fra
                   AND (v.gyldig_til IS NULL OR v.gyldig_til > st.fra)
    GROUP BY ALL
),
cit AS (
    SELECT st.pid, st.fra, CASE WHEN bool_or(v.verdi = 'NOR') THEN 'NOR' ELSE min(v.verdi) END AS statsborgerskap
    FROM st JOIN v ON v.pid = st.pid AND v.element = 'statsborgerskap' AND v.gyldig_fra <= st.fra
                   AND (v.gyldig_til IS NULL OR v.gyldig_til > st.fra)
    GROUP BY ALL
),
fixed AS (
    SELECT pid,
           arg_max(verdi, gjeldende::INT * 100000 - pos) FILTER (WHERE element = 'kjoenn') AS kjoenn,
           TRY_CAST(arg_max(verdi, gjeldende::INT * 100000 - pos) FILTER (WHERE element = 'foedsel') AS DATE)
               AS foedselsdato,
           TRY_CAST(max(verdi) FILTER (WHERE element = 'doedsfall') AS DATE) AS doedsdato
    FROM versions WHERE element IN ('kjoenn', 'foedsel', 'doedsfall') GROUP BY pid
)
SELECT st.pid, st.fra, st.til, adr.kommunenummer, adr.grunnkrets, adr.skolekrets, cit.statsborgerskap,
       fixed.kjoenn, fixed.foedselsdato, fixed.doedsdato
FROM st LEFT JOIN adr USING (pid, fra) LEFT JOIN cit USING (pid, fra) LEFT JOIN fixed USING (pid)
"""
