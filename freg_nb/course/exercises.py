"""The course's exercises (notebook 06): task, hints and explanations in bokmål, in rising difficulty.

Texts may name the course's givens in braces (``{person}``, ``{kommune}``, ``{aar}``, ``{dag}`` …),
filled in from the sandbox the participant uses (see ``checks.Givens``), so the same text is right
for every seed. An exercise is answered with text, a number or one of its choices; ``wrong`` is
the explanation a wrong answer gets (a choice may carry its own, in ``why``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EXERCISES", "FIXES", "Exercise", "by_key"]


@dataclass(frozen=True)
class Exercise:
    key: str
    title: str
    level: int                       # 1 (lett) … 5 (krevende)
    task: str                        # Markdown-ish text with {givens}
    kind: str                        # "tekst" | "tall" | "valg"
    wrong: str                       # the explanation a wrong answer gets
    hints: tuple[str, ...] = ()      # at most two
    choices: tuple[tuple[str, str], ...] = ()   # (key, label) for kind "valg"; empty: chosen at run time
    why: dict[str, str] = field(default_factory=dict)   # per wrong choice: its own explanation
    right: str = ""                  # said with "Riktig!" (may use {givens} and {fasit})

    def __post_init__(self):
        assert len(self.hints) <= 2 and self.kind in ("tekst", "tall", "valg"), self.key


# What to do about each training scenario of the sandbox (exercise "diagnose"); the key is the scenario.
FIXES: dict[str, str] = {
    "normal": "Ingenting – alt virker som det skal.",
    "feil-integrasjonspassord": "Hent det nye integrasjonspassordet i Fiks forvaltning og sett "
                                "FIKS_INTEGRASJON_PASSORD i .env.",
    "feil-organisasjon": "Bruk virksomhetssertifikatet (eller Maskinporten-klienten) til organisasjonen "
                         "integrasjonen er autorisert for.",
    "mangler-scope": "Be om scopet ks:fiks for Maskinporten-klienten hos Digdir (Samarbeidsportalen).",
    "utlopt-sertifikat": "Skaff et nytt virksomhetssertifikat og oppdater MASKINPORTEN_CERT_FILE og "
                         "MASKINPORTEN_CERT_PASSWORD.",
    "rolle-mangler-del": "Be Fiks-administratoren gi rollen skole opplysningen bostedsadresse igjen.",
    "rolle-mangler-tjeneste": "Be Fiks-administratoren gi rollen skole tjenesten søk igjen.",
    "ukjent-rolle": "Be Fiks-administratoren gi integrasjonen tilgang til rollen skole igjen.",
    "strupet": "Ingenting i oppsettet: Folkeregisteret struper – verktøyet venter Retry-After og prøver igjen; "
               "kjør færre kall om gangen.",
    "ustabil": "Ingenting i oppsettet: forbindelsen er ustabil – verktøyet prøver igjen selv; prøv senere "
               "om det gir opp.",
}

EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "kommune", "Slå opp en person", 1,
        "Slå opp personen i `kurs.person` ({person}) med rollen `analyse`, og finn kommunen personen bor i "
        "nå. Svar med kommunenummeret (fire sifre).",
        "tekst",
        "Det er ikke kommunen personen bor i nå. Les kolonnen `kommunenummer` i `res.persons` – den gjelder "
        "den gjeldende bostedsadressen. Svar med fire sifre, for eksempel 0301.",
        hints=('`res = freg_nb.lookup_person(fc, kurs.person, role="analyse", purpose="opplæring")`',
               "Kommunenummeret står i kolonnen `kommunenummer` i `res.persons`."),
        right="Personen bor i {fasit}."),
    Exercise(
        "maskert", "Maskert fødselsnummer", 1,
        "Se på kolonnen `foedselsEllerDNummer` i tabellen fra oppgave 1. Skriv av fødselsnummeret nøyaktig "
        "slik tabellen viser det.",
        "tekst",
        "Tabellen viser fødselsnummeret maskert: de seks første sifrene (fødselsdatoen) og fem stjerner. "
        "Skriv det av med stjernene, uten mellomrom.",
        hints=("Uten `show_ids=True` viser alle tabeller nummeret maskert.",
               "Formen er seks sifre og fem stjerner, for eksempel `010190*****`."),
        right="Tabeller, visninger og eksporter viser numrene maskert med mindre du ber om noe annet."),
    Exercise(
        "hele-id", "Når er hele fødselsnummeret lov?", 1,
        "Når er det riktig å be om hele fødselsnummeret (`show_ids=True`)?",
        "valg",
        "Hele nummeret er personopplysninger som identifiserer direkte; vis det bare der saksbehandlingen "
        "trenger det.",
        hints=("Tenk på hvem som ser resultatet.",
               "Tabeller med tall (aggregater) viser aldri fødselsnumre."),
        choices=(("a", "Når jeg publiserer en tabell i en rapport"),
                 ("b", "Når saksbehandlingen trenger det, for eksempel for å koble mot et fagsystem – og bare der"),
                 ("c", "Alltid ved eksport til Excel, fordi filen ligger i min private mappe"),
                 ("d", "Aldri – verktøyet kan ikke vise hele nummeret")),
        why={"a": "En publisert tabell skal aldri inneholde fødselsnumre; oppsummeringer nekter til og med "
                  "id-kolonner som dimensjon.",
             "c": "Eksporter maskerer også som standard; en fil kan deles videre, så be om hele nummeret bare "
                  "når mottakeren trenger det.",
             "d": "Verktøyet kan vise hele nummeret med `show_ids=True` – men bare når det trengs."},
        right="Hele nummeret bare når det trengs i saksbehandlingen; ellers maskert."),
    Exercise(
        "flyttinger", "Historikk: hvor mange adresser?", 2,
        "Slå opp personen i `kurs.flytter` ({flytter}) med historikk (`history=True`). Hvor mange "
        "bostedsadresser har personen hatt i Folkeregisteret, den nåværende medregnet?",
        "tall",
        "Tell alle versjonene av bostedsadresse i `res.history(\"bostedsadresse\")`, også den gjeldende. "
        "Uten `history=True` får du bare den nåværende.",
        hints=('`res = freg_nb.lookup_person(fc, kurs.flytter, role="analyse", history=True, purpose="opplæring")`',
               '`len(res.history("bostedsadresse"))`'),
        right="Personen har hatt {fasit} bostedsadresser."),
    Exercise(
        "avvist-rolle", "Roller og deler: hvem får nei?", 2,
        "Be om opplysningen `sivilstand` for `kurs.person` med rollene `skole` og `analyse` "
        "(`parts=[\"sivilstand\"]`). Én av dem får nei. Hvilken?",
        "valg",
        "Den rollen har `sivilstand` i oppsettet sitt i Fiks. Se tilgangsmatrisen i notatbok 00 "
        "(`freg_nb.diagnose.run().matrix`) og finn rollen som mangler delen.",
        hints=("Prøv begge rollene; feilmeldingen sier hvilken del som mangler.",
               "`sivilstand` hører til delgruppen person-basis."),
        right="Rollen {fasit} mangler delen sivilstand."),
    Exercise(
        "hvorfor-403", "Hvorfor får rollen nei?", 2,
        "Rollen fra forrige oppgave får nei (403 fra Fiks, eller stoppet før kallet). Hvorfor?",
        "valg",
        "Les feilmeldingen: den sier om det er en del (opplysning) eller en tjeneste rollen mangler.",
        hints=("Rollen kan slå opp personer – ellers hadde oppgave 1 feilet også med den.",
               "Hva rollen får se, settes opp per rolle i Fiks forvaltning."),
        choices=(("del", "Rollen mangler opplysningen (delen) i oppsettet i Fiks forvaltning"),
                 ("tjeneste", "Rollen mangler tjenesten oppslag"),
                 ("person", "Personen finnes ikke"),
                 ("passord", "Integrasjonspassordet er feil")),
        why={"person": "En ukjent person gir 404, ikke 403 – og den andre rollen fant personen.",
             "passord": "Feil integrasjonspassord gir 401 for alle roller, ikke 403 for én.",
             "del": "Rollen har alle opplysningene du ba om; det er en tjeneste den mangler.",
             "tjeneste": "Rollen har tjenesten oppslag (den slår opp andre opplysninger); det er delen som mangler."},
        right="Hver rolle har sine deler og tjenester i Fiks forvaltning; det du ber om må være med."),
    Exercise(
        "uttrekk", "Uttrekk: 5-åringene i en kommune", 3,
        "Bestill et tilpasset uttrekk med rollen `analyse` av barna som fyller 5 år i år (født {aar}) og bor "
        "i {kommune} {kommunenavn}: `bostedskommunenummer=\"{kommune}\"`, `foedselsaarFraOgMed={aar}`, "
        "`foedselsaarTilOgMed={aar}`. Hvor mange personer er med i uttrekket?",
        "tall",
        "Tell radene i hele uttrekket (`len(barn)`), ikke i en oppsummering: der er små celler skjult og "
        "personer med beskyttet adresse regnet som «uoppgitt».",
        hints=('`barn = freg_nb.read_tailored_extract(fc, role="analyse", bostedskommunenummer="{kommune}", '
               'foedselsaarFraOgMed={aar}, foedselsaarTilOgMed={aar}, name="kurs-5-aaringer", purpose="opplæring")`',
               "`len(barn)`"),
        right="Uttrekket har {fasit} barn."),
    Exercise(
        "prikking", "Telling per grunnkrets og prikking", 3,
        "Tell barna fra forrige oppgave per grunnkrets: "
        "`freg_nb.summarize_extract(barn, by=\"grunnkretsnummer\")`. Noen celler viser `:`. Hvorfor?",
        "valg",
        "Se fotnoten under tabellen: «Vises ikke av personvernhensyn».",
        hints=("Terskelen for små tall er {terskel}.",
               "Noen celler skjules i tillegg, så de små ikke kan regnes ut fra summen."),
        choices=(("smaa", "Tallet er mellom 1 og {terskel_minus} – eller skjult i tillegg så de små ikke kan "
                          "regnes ut av summene"),
                 ("mangler", "Tallet mangler i Folkeregisteret"),
                 ("rolle", "Rollen analyse får ikke se grunnkrets"),
                 ("null", "Tallet er null")),
        why={"mangler": "Folkeregisteret har tallet; det er tabellen som skjuler det.",
             "rolle": "Da hadde alle grunnkretsene vært «uoppgitt», ikke bare noen vist som `:`.",
             "null": "`:` sier ingenting om verdien – den kan være alt fra 0 og oppover, og derfor kan ingen "
                     "regne den ut."},
        right="Små tall (under {terskel}) skjules, og flere celler til så de ikke kan regnes ut."),
    Exercise(
        "sekvensnummer", "Hendelser: hvor starter en dag?", 3,
        "Finn sekvensnummeret der {dag} starter i hendelsesfeeden, med rollen `analyse`.",
        "tall",
        "Svaret er sekvensnummeret til den første hendelsen som er registrert {dag} eller senere "
        "(dagen starter ved midnatt norsk tid).",
        hints=('`freg_nb.sequence_for_date(fc, role="analyse", day="{dag}")`',
               "Dagen starter ved midnatt norsk tid, ikke UTC."),
        right="{dag} starter ved sekvensnummer {fasit}."),
    Exercise(
        "uten-hjemmel", "Hva ser en rolle uten hjemmel i feeden?", 4,
        "Les den første siden av feeden med rollen `{uten_hjemmel}`, som er uten hjemmel: "
        "`fc.feed(\"{uten_hjemmel}\", 1).entries`. Hvor mange ulike hendelsestyper (`hendelsetype`) ser du?",
        "tall",
        "Se på hva hver post inneholder: en rolle uten hjemmel får bare sekvensnummer og fødselsnummer, "
        "ikke hendelsestypen.",
        hints=('`{{e["hendelse"].get("hendelsetype") for e in fc.feed("{uten_hjemmel}", 1).entries}}`',
               "Sammenlign med det samme for rollen `analyse`."),
        right="En rolle uten hjemmel ser {fasit} hendelsestyper: bare at noe har skjedd med personen, ikke hva."),
    Exercise(
        "vanligste-type", "Den vanligste hendelsestypen", 4,
        "Les den første siden av feeden med rollen `analyse` (de første {side} hendelsene). Hvilken "
        "hendelsestype er vanligst der?",
        "tekst",
        "Tell verdiene av `hendelsetype` på den første siden med rollen `analyse`, og velg den som forekommer "
        "oftest. Skriv den som i feeden, for eksempel `endringIBostedsadresse`.",
        hints=('`pd.Series([e["hendelse"]["hendelsetype"] for e in fc.feed("analyse", 1).entries]).value_counts()`',
               "Typenavnene skrives som i Folkeregisteret, med stor bokstav midt i."),
        right="{fasit} er vanligst på den første siden."),
    Exercise(
        "diagnose", "Feilsøking: hva er galt i oppsettet?", 5,
        "Kursholderen har satt sandkassen i et scenario. Kjør sjekken (`from freg_nb import diagnose` og `diagnose.run()`, eller "
        "notatbok 00) og velg tiltaket som retter feilen.",
        "valg",
        "Sjekken din viser noe annet. Les trinnet som feiler (token, integrasjon eller en rolle) og meldingen "
        "fra Fiks eller Maskinporten.",
        hints=("Sjekken stopper ved det første trinnet som feiler: token (Maskinporten), integrasjon (Fiks) "
               "eller rolle.",
               "401 fra Fiks gjelder integrasjonen; 403 gjelder rollen; feil fra Maskinporten gjelder klient, "
               "scope eller sertifikat."),
        choices=tuple(FIXES.items()),
        right="Scenarioet var «{fasit}»."),
)


def by_key(key: str) -> Exercise:
    for ex in EXERCISES:
        if ex.key == key:
            return ex
    raise KeyError(key)
