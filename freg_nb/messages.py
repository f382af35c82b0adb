"""The message catalogue: every sentence an analyst reads, in bokmål (default) or English.

Each entry is ``key: (bokmål, English)``; ``msg(key, **fields)`` picks the language and fills in
the ``{fields}``. Engineers who want English set ``FREG_NB_LANGUAGE=en`` (or call
``set_language("en")``); everyone else reads bokmål.

Messages name what the user sees — a form's label or a notebook parameter — never a Python
parameter: ``label("foedselsaarFraOgMed")`` gives "Født fra og med år". Moving a module's
messages here is mechanical: replace ``raise InputError(f"... {x} ...")`` by
``raise InputError(msg("area.what", x=x))`` and add the key below with both texts.

Displayed column names (``COLUMNS``) live here too; code labels for Freg's values (sivilstand,
status, kjønn, hendelsetype) are in ``CODES``.
"""
from __future__ import annotations

import os
import re

from .messages_input import INPUT_MESSAGES

__all__ = ["CATALOGUE", "CODES", "COLUMNS", "LABELS", "code_label", "column", "field", "label", "language", "msg",
           "set_language"]

_language: str | None = None


def language() -> str:
    """"nb" (default) or "en" (``FREG_NB_LANGUAGE=en`` or ``set_language("en")``)."""
    lang = _language or os.environ.get("FREG_NB_LANGUAGE", "nb")
    return "en" if lang.strip().lower().startswith("en") else "nb"


def set_language(lang: str | None) -> None:
    """Choose "nb" or "en" for this process (None: back to the setting)."""
    global _language
    if lang is not None and lang not in ("nb", "en"):
        raise ValueError(msg("lang.unknown", lang=lang))
    _language = lang


def msg(key: str, **fields: object) -> str:
    """The message ``key`` in the chosen language with ``fields`` filled in."""
    nb, en = CATALOGUE[key]
    return (en if language() == "en" else nb).format(**fields)


# Form labels and notebook parameters, by Freg's criteria names and the notebooks' parameter names.
LABELS: dict[str, str] = {
    "rolle": "Rolle", "role": "Rolle", "roller": "Roller", "roles": "Roller",
    "ids": "Fødselsnummer", "id_fil": "Last opp fil", "deler": "Deler (part)", "parts": "Deler (part)",
    "historikk": "Ta med historikk", "formaal": "Formål", "purpose": "Formål",
    "personstatustyper": "Personstatus",
    "bostedskommunenummer": "Kommunenummer (bostedskommune)",
    "oppholdskommunenummer": "Kommunenummer (oppholdskommune)",
    "foedselsaarFraOgMed": "Født fra og med år", "foedselsaar_fra_og_med": "Født fra og med år",
    "foedselsaarTilOgMed": "Født til og med år", "foedselsaar_til_og_med": "Født til og med år",
    "doedsaarFraOgMed": "Død fra og med år", "doedsaar_fra_og_med": "Død fra og med år",
    "doedsaarTilOgMed": "Død til og med år", "doedsaar_til_og_med": "Død til og med år",
    "kjoenn": "Kjønn", "statsborgerskap": "Statsborgerskap", "sivilstandstype": "Sivilstand",
    "navn_paa_uttrekket": "Navn på uttrekket", "name": "Navn på uttrekket",
    "fra_dato": "Fra og med dato", "start": "Fra og med dato", "til_dato": "Til og med dato",
    "end": "Til og med dato", "day": "Dato", "granularitet": "Periode", "hendelsetyper": "Hendelsetyper",
    "event_types": "Hendelsetyper", "vis_fulle_id": "Vis fulle fødselsnummer",
}


def label(name: str) -> str:
    """The label the user sees for a criterion or parameter (the name itself when unknown)."""
    return LABELS.get(name, name)


def field(name: str) -> str:
    """A criterion or parameter as messages name it: the form's label with the notebook/API name
    beside it (``Født fra og med år (foedselsaarFraOgMed)``), so form and notebook users both find it."""
    shown = label(name)
    return shown if shown == name else f"{shown} ({name})"


# Column names as shown in tables (exports keep the original names).
COLUMNS: dict[str, str] = {
    "role": "rolle", "period": "periode", "events": "hendelser", "event_types": "hendelsetyper",
    "seq_coverage": "andel av sekvensnumrene", "thin": "bare fødselsnummer", "rank": "plass",
    "share": "andel", "hendelsetype": "hendelsetype", "count": "antall", "kjorer": "kjører",
    "status": "status", "name": "navn", "created": "opprettet", "rows": "rader", "errors": "feil",
    "line": "rad i filen", "reason": "hva er galt", "input": "fødselsnummer",
    "first_seq": "første sekvensnummer", "last_seq": "siste sekvensnummer",
}
_WITH = {"identifier": "fødselsnummer", "type": "hendelsetype", "timestamp": "tidspunkt"}


def column(name: object) -> str:
    s = str(name)
    if s.startswith("with_"):
        return f"andel med {_WITH.get(s[5:], s[5:])}"
    return COLUMNS.get(s, s)


CODES: dict[str, dict[str, str]] = {
    "sivilstand": {
        "ugift": "ugift", "gift": "gift", "enkeEllerEnkemann": "enke eller enkemann", "skilt": "skilt",
        "separert": "separert", "registrertPartner": "registrert partner",
        "separertPartner": "separert partner", "skiltPartner": "skilt partner",
        "gjenlevendePartner": "gjenlevende partner", "uoppgitt": "uoppgitt",
    },
    "status": {
        "bosatt": "bosatt", "utflyttet": "utflyttet", "doed": "død", "forsvunnet": "forsvunnet",
        "opphoert": "opphørt", "foedselsregistrert": "fødselsregistrert", "ikkeBosatt": "ikke bosatt",
        "midlertidig": "midlertidig", "inaktiv": "inaktiv", "aktiv": "aktiv",
        # an extract's state (freg_nb.list_extracts)
        "new": "ny", "ordered": "bestilt", "fetching": "henter", "done": "ferdig", "failed": "feilet",
    },
    "kjoenn": {"kvinne": "kvinne", "mann": "mann"},
    "hendelsetype": {
        "personErDoed": "person er død", "foedsel": "fødsel", "flytting": "flytting",
        "innflytting": "innflytting", "utflytting": "utflytting",
    },
}

_CAMEL = re.compile(r"(?<=[a-zæøå])(?=[A-ZÆØÅ])|(?<=[A-ZÆØÅ])(?=[A-ZÆØÅ][a-zæøå])")


def code_label(kind: str, code: object) -> str:
    """The Norwegian label of one of Freg's codes (``code_label("sivilstand", "enkeEllerEnkemann")``).

    Freg's camelCase codes are Norwegian words run together, so an unlisted code is split into
    words (``endringIBostedsadresse`` → "endring i bostedsadresse").
    """
    s = "" if code is None else str(code)
    known = CODES.get(kind, {})
    if s in known:
        return known[s]
    words = (part.lower() for part in _CAMEL.split(s))
    return " ".join(_PROPER.get(w, _LETTERS.sub(lambda m: _NORWEGIAN[m.group()], w)) for w in words)


# Freg's codes spell ø and å as "oe" and "aa" (opphoert, sammenslaaing, vergemaal, paa): no Norwegian
# word in the code lists has either pair for itself, so a label may put the letters back.
_NORWEGIAN = {"oe": "ø", "aa": "å"}
_LETTERS = re.compile("oe|aa")
_PROPER = {"norge": "Norge", "svalbard": "Svalbard", "sametingets": "Sametingets"}


CATALOGUE: dict[str, tuple[str, str]] = {
    **INPUT_MESSAGES,
    "lang.unknown": ("Ukjent språk {lang!r}: velg «nb» eller «en».", "Unknown language {lang!r}: use 'nb' or 'en'."),
    # --- identifiers (freg_nb.ids)
    "ids.not_string": ("er ikke en tekst med sifre", "not a string of digits"),
    "ids.length": ("har {n} sifre, men et fødselsnummer har nøyaktig 11 sifre – sjekk at hele nummeret er med",
                   "must be exactly 11 digits (got {n}) — check that the whole number is there"),
    "ids.not_digits": ("inneholder tegn som ikke er sifre – et fødselsnummer er 11 sifre uten bokstaver, "
                       "mellomrom eller bindestrek; skriv det av på nytt",
                       "contains characters that are not digits — a fødselsnummer is 11 digits without letters, "
                       "spaces or hyphens; type it again"),
    "ids.empty": ("er tomt – skriv inn 11 sifre", "is empty — type 11 digits"),
    "ids.ten_digits": ("har 10 sifre; heller ikke med en ledende null foran (som Excel kan ha fjernet) er det et "
                       "gyldig nummer ({reason}) – sjekk nummeret i kilden",
                       "has 10 digits; not valid with a leading zero either ({reason}) — check the number "
                       "at its source"),
    "ids.k1": ("første kontrollsiffer (k1) stemmer ikke – sjekk at nummeret er skrevet av riktig",
               "first check digit (k1) is wrong"),
    "ids.k2": ("andre kontrollsiffer (k2) stemmer ikke – sjekk at nummeret er skrevet av riktig",
               "second check digit (k2) is wrong"),
    "ids.month": ("månedsdelen er ikke en måned (syntetiske numre legger til 80)",
                  "month part is not a month (synthetic numbers add 80)"),
    "ids.date": ("datodelen er ikke en gyldig dato", "date part is not a real date"),
    # --- settings and HTTP errors (freg_nb.errors)
    "err.config_head": ("{n} feil i innstillingene for freg-nb (miljøvariabler / .env) – rett dem og prøv igjen:",
                        "{n} problem(s) with the freg-nb settings (environment / .env):"),
    "err.server_said": (" Tjenesten svarte: «{text}».", ' Server said: "{text}".'),
    "err.token": (
        "Fiks kunne ikke godta tokenet fra Maskinporten: det er utløpt, kommer fra feil Maskinporten-miljø "
        "(test eller produksjon) eller mangler scope ks:fiks. freg-nb henter et nytt token og prøver én gang "
        "til; skjer det igjen, sjekk MASKINPORTEN_ISSUER/FREG_NB_ENV og at Digdir har gitt klienten ks:fiks.",
        "Fiks could not validate the Maskinporten access token: it has expired, comes from the wrong "
        "Maskinporten environment (test vs. production), or lacks the scope ks:fiks. freg-nb fetches a "
        "fresh token and tries once more; if this persists, check MASKINPORTEN_ISSUER/FREG_NB_ENV and "
        "that Digdir has granted ks:fiks to the client."),
    "err.integration": (
        "Fiks godtok tokenet, men ikke integrasjonen. Enten er organisasjonsnummeret i tokenet ikke "
        "organisasjonen integrasjonen hører til, FIKS_INTEGRASJON_PASSORD er feil, eller FIKS_INTEGRASJON_ID "
        "finnes ikke i dette miljøet (Fiks sier ikke hvilket). Sjekk integrasjonen i Fiks forvaltning og at "
        "Maskinporten-klienten hører til samme organisasjon.",
        "Fiks accepted the token but not the integration. Either the token's consumer organisation "
        "number is not the organisation the integration belongs to, FIKS_INTEGRASJON_PASSORD is wrong, "
        "or FIKS_INTEGRASJON_ID does not exist in this environment (Fiks does not say which). Check the "
        "integration in Fiks forvaltning and that the Maskinporten client belongs to the same organisation."),
    "err.forbidden": (
        "Integrasjonen er logget inn, men har ikke lov til dette: rollen er ikke gitt til integrasjonen, "
        "rollen mangler tjenesten (oppslag, søk, uttrekk, hendelser), eller den har ikke delene du ba om. "
        "Be Fiks-administratoren sjekke rollen i Fiks forvaltning, eller velg en rolle eller deler som har det.",
        "The integration is authenticated but not allowed this: the role is not given to the "
        "integration, the role lacks this service (oppslag, søk, uttrekk, hendelser), or it does not "
        "have the requested part(s). Ask the Fiks administrator to check the role in Fiks forvaltning, "
        "or choose a role/parts that allow it."),
    "err.400": ("Folkeregisteret avviste det som ble sendt. Sjekk fødselsnumrene, søkekriteriene eller delene.",
                "Freg refused the input. Check the identifiers, search criteria or parts in the call."),
    "err.404": ("Ikke funnet: personen, dokumentet eller hendelsen finnes ikke for denne rollen, eller adressen "
                "er feil (en uttrekksbatch som ikke er klar ennå gir også 404 – vent og prøv igjen).",
                "Not found: the person/document/event does not exist for this role, or the path is wrong "
                "(an extract batch that is not ready yet also gives 404 — wait and try again)."),
    "err.406": ("Tjenesten kan ikke svare i formatet som ble bedt om (Accept).",
                "The service cannot answer in the requested format (Accept header)."),
    "err.410": ("Uttrekksjobben er utløpt. Bestill et nytt uttrekk.", "Gone: the extract job has expired. Order a new extract."),
    "err.429": ("Tjenesten struper: for mange kall (eller mer enn 10 uttrekksjobber i gang for organisasjonen). "
                "Vent tiden i Retry-After og sett ned FREG_NB_CONCURRENCY hvis det skjer ofte.",
                "Too many calls (or more than 10 extract jobs running for the organisation). Wait the "
                "time given in Retry-After (milliseconds) and lower FREG_NB_CONCURRENCY if it keeps happening."),
    "err.5xx": ("Tjenesten feilet (serverfeil). Prøv igjen senere; vedvarer det, kontakt Fiks-support med feil-id-en.",
                "The service failed (server error). Try again later; if it persists, contact Fiks support with the error id."),
    "err.other": ("Uventet svar fra Fiks/Folkeregisteret.", "Unexpected answer from Fiks/Freg."),
    "what.integration": ("integrasjonen ble avvist (401)", "integration rejected (401)"),
    "what.token": ("tokenet ble avvist (401)", "access token rejected (401)"),
    "what.auth": ("innloggingen feilet (401)", "authentication failed (401)"),
    "what.403": ("ingen tilgang (403)", "access denied (403)"),
    "what.400": ("ugyldig forespørsel (400)", "bad request (400)"),
    "what.404": ("ikke funnet (404)", "not found (404)"),
    "what.429": ("strupet (429)", "throttled (429)"),
    "what.5xx": ("serverfeil ({status})", "server error ({status})"),
    "what.http": ("HTTP {status}", "HTTP {status}"),
    # --- forms (freg_nb.widgets)
    "run.working": ("Arbeider … {seconds} s, {calls} kall", "Working … {seconds} s, {calls} calls"),
    "run.done": ("✅ Ferdig på {seconds} s", "✅ Done in {seconds} s"),
    "run.failed": ("❌ Feilet", "❌ Failed"),
    "run.stopping": ("Stopper …", "Stopping …"),
    "run.stopped": ("⏹ Stoppet", "⏹ Stopped"),
    "run.stopped_text": ("Kjøringen ble stoppet. Det som allerede er hentet, er lagret: trykk på knappen igjen "
                         "for å fortsette der den stoppet.",
                         "The run was stopped. What was fetched is stored: press the button again to continue."),
    "run.stop": ("Stopp", "Stop"),
    "run.details": ("Tekniske detaljer (for support)", "Technical details (for support)"),
    "run.unexpected": ("Noe uventet gikk galt i freg-nb ({kind}). Prøv igjen; skjer det igjen, send de tekniske "
                       "detaljene under til den som drifter freg-nb.",
                       "Something unexpected went wrong in freg-nb ({kind}). Try again; if it happens again, send "
                       "the technical details below to whoever maintains freg-nb."),
    "run.detail.type": ("Feiltype", "Error type"),
    "run.detail.status": ("HTTP-status", "HTTP status"),
    "run.detail.code": ("Feilkode", "Error code"),
    "run.detail.error_id": ("errorId (Fiks)", "errorId (Fiks)"),
    "run.detail.reference": ("feilreferanse (Folkeregisteret)", "feilreferanse (Freg)"),
    "run.detail.server": ("Tjenestens tekst", "Server text"),
    "run.detail.traceback": ("Sporing (traceback)", "Traceback"),
    "form.run_first": ("Kjør skjemaet først.", "Run the form first."),
    "form.pick_person": ("Kjør oppslaget først og velg en person.", "Run the lookup first and choose a person."),
    "form.no_versions": ("Ingen versjoner av denne opplysningen for personen (er den hentet med denne rollen?).",
                         "No versions of this element for the person (was it fetched with this role?)."),
    "lookup.no_ids": ("Ingen fødselsnummer å slå opp. Lim inn numre i «Fødselsnummer» eller last opp en fil. "
                      "Ingenting er sendt.",
                      "No identifiers given. Paste them into «Fødselsnummer» or upload a file. Nothing was sent."),
    "lookup.none_valid": ("Ingen av de {n} numrene er gyldige fødsels- eller D-nummer: {problems}. Rett dem i "
                          "«Fødselsnummer» (eller i filen) og prøv igjen. Ingenting er sendt.",
                          "None of the {n} identifiers is a valid fødselsnummer/D-number: {problems}. Fix them "
                          "and try again. Nothing was sent."),
    "lookup.problem": ("{where} {pos}: {masked} ({reason})", "{where} {pos}: {masked} ({reason})"),
    "extract.clash": ("Navnet «{name}» er allerede brukt av et lagret uttrekk med andre kriterier ({stored}). "
                      "Vil du fortsette det lagrede uttrekket (skjemaet får kriteriene dets), eller bestille et nytt "
                      "med kriteriene i skjemaet (navnet lages da av kriteriene)? Ingenting er sendt.",
                      "The name «{name}» is taken by a stored extract with other criteria ({stored}). Continue "
                      "the stored extract (the form takes its criteria), or order a new one with the form's "
                      "criteria (named from the criteria)? Nothing was sent."),
    "extract.clash_status": ("⏸ Velg: fortsette det lagrede uttrekket eller bestille et nytt",
                             "⏸ Choose: continue the stored extract or order a new one"),
    "extract.resume": ("Fortsett det lagrede uttrekket", "Continue the stored extract"),
    "extract.new": ("Bestill et nytt med navn fra kriteriene", "Order a new one named from the criteria"),
    # the client's transport: what a run says when Fiks cannot be reached or keeps refusing
    "client.what": ("{method} {template} (rolle {role}, forespørsel {rid})",
                    "{method} {template} (role {role}, request {rid})"),
    "client.request_failed": ("{what}: forespørselen feilet ({kind}: {detail}). Sjekk FIKS_BASE_URL.",
                              "{what}: the request failed ({kind}: {detail}). Check FIKS_BASE_URL."),
    "client.order_broken": ("{what}: forbindelsen brøt etter at bestillingen var sendt ({kind}). En uttrekksjobb KAN "
                            "være opprettet. Den ble ikke sendt på nytt, for å unngå en jobb til: vent noen minutter "
                            "(en jobb som kjører, teller med i grensen på 10) før du bestiller igjen.",
                            "{what}: the connection broke after the order was sent ({kind}). An extract job MAY have "
                            "been created. It was not sent again, to avoid a second job: wait a few minutes (a "
                            "running job counts toward the limit of 10) before ordering again."),
    "client.order_answered": ("{what}: Folkeregisteret svarte {status} på bestillingen. En uttrekksjobb KAN være "
                              "opprettet likevel. Den ble ikke sendt på nytt, for å unngå en jobb til: vent noen "
                              "minutter før du bestiller igjen.",
                              "{what}: Freg answered {status} to the order. An extract job MAY have been created "
                              "anyway. It was not sent again, to avoid a second job: wait a few minutes before "
                              "ordering again."),
    "client.gave_up": ("{what}: ga opp etter {attempts} forsøk på {seconds} s. Siste årsak: {cause}. Prøv igjen "
                       "senere, eller senk FREG_NB_CONCURRENCY.",
                       "{what}: gave up after {attempts} attempt(s) in {seconds} s. Last cause: {cause}. Try again "
                       "later or lower FREG_NB_CONCURRENCY."),
    "client.connection": ("forbindelsesproblem ({kind}: {detail})", "connection problem ({kind}: {detail})"),
    "client.no_detail": ("ingen detaljer", "no detail"),
    "extract.limit": ("Uttrekket {name!r} kunne ikke bestilles: Folkeregisteret svarte 429 (for mange forespørsler) "
                      "på bestillingen, også etter ventetiden Retry-After. Mest sannsynlig har organisasjonen allerede "
                      "{max} uttrekksjobber i gang (grensen per organisasjon; jobber bestilt av kolleger eller andre "
                      "systemer teller også). Vent til jobber er ferdige og prøv igjen senere; "
                      "freg_nb.list_extracts() viser dem som er bestilt fra denne datamappen.",
                      "Extract {name!r} could not be ordered: Freg answered 429 Too Many Requests to the order, also "
                      "after waiting the Retry-After time. Most likely your organisation already has {max} extract "
                      "jobs running (Freg's limit per organisation; jobs ordered by colleagues or other systems "
                      "count too). Finish or wait for running extracts and try again later; freg_nb.list_extracts() "
                      "shows those ordered from this data folder."),
    "extract.uncertain": ("Uttrekket {name!r}: {error} Det er notert som en jobb som kanskje kjører (den teller med "
                          "i grensen på 10 i et døgn). Kjør det samme kallet igjen for å bestille på nytt.",
                          "Extract {name!r}: {error} It is recorded as a possibly running job (it counts toward the "
                          "limit of 10 for a day). Run the same call again to order anew."),
    "extract.not_ready": ("Uttrekket {name!r}: batch {nr} var fortsatt ikke klar etter {seconds} s venting i alt "
                          "(wait_timeout). Jobben beholdes: kjør det samme kallet igjen senere for å vente videre — "
                          "ingenting som er hentet, går tapt.",
                          "Extract {name!r}: batch {nr} was still not ready after waiting {seconds} s in all "
                          "(wait_timeout). The job is kept: run the same call again later to go on waiting — "
                          "nothing fetched so far is lost."),
    "extract.expired_again": ("Uttrekket {name!r}: også den nye jobben er utløpt (410). Prøv igjen senere.",
                              "Extract {name!r}: the new job expired too (410). Try again later."),
    "extract.expired": ("Uttrekket {name!r}: jobben er utløpt hos Folkeregisteret (410) etter {done} batch(er). En ny "
                        "jobb bestilles og uttrekket begynner på nytt, slik at resultatet er ett sammenhengende "
                        "øyeblikksbilde.",
                        "Extract {name!r}: the job has expired at Freg (410 Gone) after {done} batch(es). A new job "
                        "is ordered and the extract starts over, so that the result is one consistent snapshot."),
    "extract.mismatch": ("Uttrekket {name!r} går ikke opp: batchene hadde {ids} identifikatorer, men de lagrede svarene "
                         "har {rows} personer og {errors} feil per person ({total}). Ingenting er skrevet som resultat. "
                         "Fjern det med freg_nb.discard_extract(client, {name!r}) og bestill det på nytt; skjer det "
                         "igjen, meld fra (det betyr at svar er mistet eller gjentatt).",
                         "Extract {name!r} does not add up: the batches held {ids} identifiers, but the stored answers "
                         "hold {rows} persons and {errors} per-person errors ({total}). Nothing was written as the "
                         "result. Remove it with freg_nb.discard_extract(client, {name!r}) and order it again; if it "
                         "happens again, report it (it means answers were lost or repeated)."),
    "extract.duplicates": ("Uttrekket {name!r}: {n} person(er) står mer enn én gang i svarene (Folkeregisteret ga en "
                           "identifikator i mer enn én batch). Ingenting er skrevet som resultat; fjern det med "
                           "freg_nb.discard_extract(client, {name!r}) og bestill det på nytt.",
                           "Extract {name!r}: {n} person(s) appear more than once in the answers (Freg returned an "
                           "identifier in more than one batch). Nothing was written as the result; remove it with "
                           "freg_nb.discard_extract(client, {name!r}) and order it again."),
    "lookup.where.file": ("rad", "row"),            # a row as Excel shows it (the header counted)
    "lookup.where.text": ("linje", "line"),         # a line in the «Fødselsnummer» field
    "lookup.where.param": ("nummer", "number"),     # the n-th id given as a parameter
    "lookup.where.column.file": ("rad i filen", "row in the file"),
    "lookup.where.column.text": ("linje i feltet", "line in the field"),
    "lookup.where.column.param": ("nummer", "number"),
    "extract.problems": ("Kriteriene for uttrekket må rettes før noe sendes (ingenting er sendt):",
                         "The extract criteria must be fixed first (nothing was sent):"),
    "extract.year": ("«{field}» må være et årstall med fire sifre, f.eks. 1955 (ikke «{value}»).",
                     "«{field}» must be a four-digit year such as 1955 (not «{value}»)."),
    "extract.year_future": ("«{field}» er {value}, som er i fremtiden. Velg et år som har vært.",
                            "«{field}» is {value}, which is in the future."),
    "extract.year_order": ("«{first}» er etter «{last}». Bytt om eller rett ett av årstallene.",
                           "«{first}» is after «{last}». Swap or fix one of the years."),
    "events.no_role": ("Velg minst én rolle i «Roller».", "Choose at least one role in «Roller»."),
    "events.date_order": ("«Til og med dato» er før «Fra og med dato». Velg en til-dato som er samme dag eller "
                          "senere, eller la den stå tom (til nå).",
                          "«Til og med dato» is before «Fra og med dato». Choose a later to-date or leave it empty."),
    "export.title": ("Last ned", "Download"),
    "export.saved": ("Lagret i den private datamappen: {path}", "Saved in the private data folder: {path}"),
    "export.button": ("Last ned {fmt}", "Download {fmt}"),
    "export.note": ("CSV-filene er for norsk Excel (semikolon, UTF-8). Adresser til personer med "
                    "adressebeskyttelse er aldri med.",
                    "CSV files are for Norwegian Excel (semicolon, UTF-8). Protected addresses are never included."),
    "export.note_counts": ("CSV-filene er for norsk Excel (semikolon, UTF-8).",
                           "CSV files are for Norwegian Excel (semicolon, UTF-8)."),
    "table.rows": ("{rows} rader – søk, sorter og bla i tabellen", "{rows} rows – search, sort and page the table"),
    "plot.no_events": ("Ingen hendelser i perioden", "No events in the period"),
    "plot.needs_columns": ("{what} trenger tabellen fra freg_nb.event_volumes (kolonnene {needed}); mangler {missing}.",
                           "{what} needs the table from freg_nb.events.event_volumes (columns {needed}); missing {missing}."),
    "plot.no_role": ("Ingen hendelser for rollen «{role}» i tabellen; rollene er {roles}.",
                     "No events for role {role!r} in the table; roles: {roles}."),
    "plot.partial": ("* ufullstendig periode (bare deler av den er med)", "* partial period (only part of it is included)"),
    "plot.pyramid_columns": ("Alderspyramiden trenger kolonnene {cols} (som freg_nb.age_pyramid_table lager); mangler {missing}.",
                             "age_pyramid needs the columns {cols} (as made by freg_nb.age_pyramid_table); missing {missing}."),
    "plot.count_column": ("Søylediagrammet trenger kolonnen {col} (som freg_nb.summarize_extract lager).",
                          "count_bars needs a {col} column (as made by freg_nb.summarize_extract)."),
    "plot.small_hidden": ("Små tall er skjult (vist som tekst, ikke som søyle).",
                          "Small counts are hidden (shown as text, not as a bar)."),
    "notice.old_data": ("Den private datamappen har filer som er eldre enn {days} dager. Persondata bør ikke bli "
                        "liggende: slett det du ikke trenger.",
                        "The private data folder holds files older than {days} days. Delete what you no longer need."),
    "notice.purge": ("Slett gamle data", "Delete old data"),
    "notice.purged": ("Slettet {n} gamle filer.", "Deleted {n} old files."),
    # --- shape report (freg_nb.shape)
    "shape.prod_flag": ("FREG_NB_ENV=prod: en formrapport mot produksjon krever at du ber om det uttrykkelig – "
                        "bruk --production (production=True) og oppgi formålet. Ingenting ble sendt.",
                        "FREG_NB_ENV=prod: a shape report against production must be asked for explicitly — use "
                        "--production (production=True) and give a purpose. Nothing was sent."),
    "shape.bad_ids": ("Ugyldige fødselsnummer: {shown}. Rett dem eller la dem være ute. Ingenting ble sendt.",
                      "Invalid identifiers: {shown}. Correct or leave them out. Nothing was sent."),
    "shape.no_roles": ("Ingen roller å sammenligne: oppgi minst én rolle fra FIKS_ROLLER.",
                       "No roles to compare: give at least one role from FIKS_ROLLER."),
    "shape.no_sandbox_role": ("Sandkassen har ingen rolle som heter {roles}. Velg en av {known} med --sandbox-role "
                              "ROLLE=SANDKASSEROLLE. Ingenting ble sendt.",
                              "The sandbox has no role named {roles}. Pick one of {known} with --sandbox-role "
                              "ROLE=SANDBOXROLE. Nothing was sent."),
    "shape.bad_pair": ("--sandbox-role {item!r}: skriv ROLLE=SANDKASSEROLLE, f.eks. skole=analyse.",
                       "--sandbox-role {item!r}: write ROLE=SANDBOXROLE, e.g. skole=analyse."),
    "shape.role_no_access": ("Rollen «{role}» fikk avslag (403) på alle kall: integrasjonen har ikke tilgang til "
                             "rollen eller tjenestene. Sjekk rollen i Fiks forvaltning, eller velg en annen med "
                             "--role. Ingen rapport ble skrevet.",
                             "Role «{role}» was refused (403) on every call: the integration has no access to the role "
                             "or its services. Check the role in Fiks forvaltning or pick another with --role. No "
                             "report was written."),
    "shape.throttled": ("Folkeregisteret struper (429) og ga seg ikke innen grensen for nye forsøk. Prøv igjen om "
                        "litt, når færre kall går mot Fiks. Ingen rapport ble skrevet.",
                        "Freg throttles (429) and did not give way within the retry bound. Try again in a while, "
                        "when fewer calls go to Fiks. No report was written."),
    "shape.unstable": ("Fiks svarte ikke stabilt (feil 5xx eller brutte forbindelser) innen grensen for nye forsøk. "
                       "Prøv igjen senere, og kjør «freg-nb doctor» om det varer. Ingen rapport ble skrevet.",
                       "Fiks did not answer steadily (5xx errors or dropped connections) within the retry bound. "
                       "Try again later and run 'freg-nb doctor' if it lasts. No report was written."),
    "shape.extract_timeout": ("Det lille uttrekket ble ikke klart i tide. Prøv igjen senere, eller kjør uten uttrekk "
                              "(--no-extract). Ingen rapport ble skrevet.",
                              "The tiny extract was not ready in time. Try again later or run without it "
                              "(--no-extract). No report was written."),
    "shape.failed": ("Formrapporten ble ikke laget: {reason}", "The shape report was not made: {reason}"),
    "shape.self_compare": ("Miljøet er sandkassen (FREG_NB_ENV=sandbox): rapporten sammenligner sandkasse med "
                           "sandkasse, og ingenting sendes til Fiks. Sett FREG_NB_ENV=test i .env for å sammenligne "
                           "med Fiks.",
                           "The environment is the sandbox (FREG_NB_ENV=sandbox): the report compares sandbox with "
                           "sandbox and nothing goes to Fiks. Set FREG_NB_ENV=test in .env to compare with Fiks."),
    "shape.sandbox_only": ("Alle kall gikk til den innebygde sandkassen; ingenting ble sendt til Fiks.",
                           "Every call went to the built-in sandbox; nothing was sent to Fiks."),
    "shape.logged": ("Kallene over ble gjort mot Fiks ({env}) og mot sandkassen. Hvert kall mot Folkeregisteret "
                     "logges hos Skatteetaten, slik hvert oppslag gjør, og står i revisjonsloggen din. Rapporten "
                     "holder bare struktur: stier, typer, antall i intervaller, kodeverdier, statuskoder og "
                     "navn på headere – ingen verdi som kan identifisere en person.",
                     "The calls above went to Fiks ({env}) and to the sandbox. Every call to Freg is logged by "
                     "Skatteetaten, as every lookup is, and is in your audit log. The report holds structure only: "
                     "paths, types, bucketed counts, code values, status codes and header names — no value that "
                     "could identify a person."),
    "shape.title": ("Formrapport: Fiks sammenlignet med sandkassen", "Shape report: Fiks compared with the sandbox"),
    "shape.format": ("Miljø: {env}. Laget: {created}.", "Environment: {env}. Made: {created}."),
    "shape.calls": ("Hva som ble kalt (per rolle, på begge sider)", "What was called (per role, on both sides)"),
    "shape.role": ("Rolle {role} (sandkassens rolle {sandbox_role})", "Role {role} (the sandbox's role {sandbox_role})"),
    "shape.refused": ("Ikke tillatt for rollen (403 hos Fiks, ikke sammenlignet): {ops}.",
                      "Not allowed for the role (403 at Fiks, not compared): {ops}."),
    "shape.no_differences": ("Ingen forskjeller.", "No differences."),
    "shape.only_real": ("Fiks har, sandkassen mangler:", "Fiks has, the sandbox lacks:"),
    "shape.only_sandbox": ("Sandkassen har, Fiks mangler:", "The sandbox has, Fiks lacks:"),
    "shape.summary_head": ("Formrapport: {n_roles} rolle(r), {n_calls} slags kall sammenlignet.",
                           "Shape report: {n_roles} role(s), {n_calls} kinds of call compared."),
    "shape.summary_same": ("Rolle {role}: ingen forskjeller.", "Role {role}: no differences."),
    "shape.summary_op": ("Rolle {role}, {op}: {real} ting bare hos Fiks, {sandbox} bare i sandkassen.",
                         "Role {role}, {op}: {real} only at Fiks, {sandbox} only in the sandbox."),
    "shape.written": ("Rapporten (uten personopplysninger) er lagret i {path} – legg den gjerne ved en feilmelding.",
                      "The report (no personal data) is saved in {path} — attach it to a bug report as it is."),
}
