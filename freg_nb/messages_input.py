"""The catalogue entries for refused input, settings and access (bokmål, English): what the core
modules (lookups, ids_input, parts, criteria, kommuner, extracts, export, summaries, events, feed,
config, auth, client) say to the user. Merged into ``messages.CATALOGUE``; use them via ``messages.msg``.
"""
from __future__ import annotations

INPUT_MESSAGES: dict[str, tuple[str, str]] = {
    "kommune.format": ("«{field}» må være et kommunenummer med fire sifre som tekst, f.eks. «0301» for Oslo "
                       "(fikk {value!r}){hint}.",
                       "«{field}» must be a four-digit kommunenummer as text, e.g. '0301' for Oslo "
                       "(got {value!r}){hint}."),
    "kommune.leading_zero": (" – med ledende null: «{padded}»", " — with leading zeros: '{padded}'"),
    "kommune.unknown": ("«{field}» {value} er ikke nummeret til en kommune i dag, så ingen ville bli funnet.{close} "
                        "Se listen med freg_nb.kommuner(). Mener du et tidligere kommunenummer, skriv "
                        "historisk(\"{value}\") (fra freg_nb.kommuner).",
                        "«{field}» {value} is not a current municipality's number, so no one would be found.{close} "
                        "See the list with freg_nb.kommuner(). For a former municipality's number, write "
                        "historisk(\"{value}\") (from freg_nb.kommuner)."),
    "kommune.close": (" Mente du {hints}?", " Did you mean {hints}?"),
    'cfg.tls_off': ('{name}: TLS-kontroll kan bare slås av for adresser på egen maskin (sandkassen) – fjern verify=False',
                '{name}: TLS verification can only be turned off for loopback hosts (the sandbox) — remove verify=False'),
    'cfg.plain_http': ('{name}={url!r}: vanlig http er bare lov på egen maskin (sandkassen) – bruk https',
                '{name}={url!r}: plain http is only allowed on loopback (the sandbox) — use https'),
    'cfg.env_file': ('env_file {path}: fant ikke filen – oppgi stien til .env-filen din (kopier .env.example til .env og fyll den ut)',
                'env_file {path}: file not found — give the path to your .env file (copy .env.example to .env and fill it in)'),
    'cfg.int': ('{name}={raw!r}: er ikke et helt tall – bruk et positivt heltall, f.eks. {default}',
                '{name}={raw!r}: not a whole number — use a positive integer such as {default}'),
    'cfg.int_low': ('{name}={raw!r}: må være minst 1 – bruk et positivt heltall, f.eks. {default}',
                '{name}={raw!r}: must be at least 1 — use a positive integer such as {default}'),
    'cfg.int_high': ('{name}={raw!r}: mer enn {maximum} – Fiks og Folkeregisteret struper; bruk høyst {maximum}',
                '{name}={raw!r}: more than {maximum} — Fiks/Freg throttle; use at most {maximum}'),
    'cfg.roles_item': ('FIKS_ROLLER: {item!r} er ikke navn=uuid – skriv {example}',
                'FIKS_ROLLER: {item!r} is not name=uuid — write {example}'),
    'cfg.roles_name': ('FIKS_ROLLER: rollenavnet {name!r} er ikke et enkelt navn – bruk bokstaver, sifre, - eller _',
                'FIKS_ROLLER: role name {name!r} is not a simple name — use letters, digits, - or _'),
    'cfg.roles_uuid': ('FIKS_ROLLER: rolle-id-en for {name!r} er ikke en UUID – kopier rolle-id-en (8-4-4-4-12 heksadesimale sifre) fra Fiks forvaltning',
                'FIKS_ROLLER: role id for {name!r} is not a UUID — copy the role id (8-4-4-4-12 hex digits) from Fiks forvaltning'),
    'cfg.roles_twice': ('FIKS_ROLLER: rollenavnet {name!r} står to ganger – gi hver rolle et eget navn',
                'FIKS_ROLLER: role name {name!r} appears twice — give each role a unique name'),
    'cfg.not_url': ('{name}={url!r}: er ikke en http(s)-adresse – skriv f.eks. https://api.fiks.test.ks.no',
                '{name}={url!r}: not an http(s) URL — e.g. https://api.fiks.test.ks.no'),
    'cfg.cert_missing': ('{name}={path!r}: fant ikke filen – oppgi stien til virksomhetssertifikatet (.p12)',
                '{name}={path!r}: file not found — give the path of your business certificate (.p12)'),
    'cfg.cert_password': ('MASKINPORTEN_CERT_PASSWORD mangler – sett passordet til .p12-filen',
                'MASKINPORTEN_CERT_PASSWORD: missing — set the password of the .p12 file'),
    'cfg.cert_open': ('{name}={path!r}: .p12-filen kunne ikke åpnes – passordet (MASKINPORTEN_CERT_PASSWORD) er feil, eller filen er ikke et PKCS#12-sertifikat. Sjekk begge',
                '{name}={path!r}: the .p12 file could not be opened — the password (MASKINPORTEN_CERT_PASSWORD) is wrong or the file is not a PKCS#12 certificate'),
    'cfg.cert_empty': ('{name}={path!r}: .p12-filen har ikke både privatnøkkel og sertifikat – eksporter virksomhetssertifikatet med privatnøkkelen',
                '{name}={path!r}: the .p12 holds no private key and certificate — export the business certificate with its private key'),
    'cfg.not_rsa': ('{name}={path!r}: nøkkelen er ikke RSA – Maskinporten krever en RSA-nøkkel (RS256); bruk en slik',
                '{name}={path!r}: the key is not RSA — Maskinporten needs an RSA key (RS256)'),
    'cfg.cert_expired': ('{name}={path!r}: sertifikatet gikk ut {day} – bestill et nytt virksomhetssertifikat og registrer det på Maskinporten-klienten',
                '{name}={path!r}: the certificate expired on {day} — order a new business certificate and register it with the Maskinporten client'),
    'cfg.cert_future': ('{name}={path!r}: sertifikatet gjelder ikke før {when} UTC – sjekk klokken på maskinen eller vent',
                "{name}={path!r}: the certificate is not valid before {when} UTC — check the computer's clock or wait"),
    'cfg.key_missing': ('{name}={path!r}: fant ikke filen – oppgi stien til PEM-privatnøkkelen',
                '{name}={path!r}: file not found — give the path of the PEM private key'),
    'cfg.key_encrypted': ('{name}={path!r}: PEM-nøkkelen er kryptert – eksporter den uten passord (og hold filen privat: chmod 600)',
                '{name}={path!r}: the PEM key is encrypted — export it without a password (keep the file private: chmod 600)'),
    'cfg.key_not_pem': ('{name}={path!r}: er ikke en PEM-privatnøkkel – oppgi filen som begynner med «-----BEGIN PRIVATE KEY-----» (eller RSA PRIVATE KEY)',
                "{name}={path!r}: not a PEM private key — give the file that begins with '-----BEGIN PRIVATE KEY-----' (or RSA PRIVATE KEY)"),
    'cfg.env': ('FREG_NB_ENV={value!r}: ukjent miljø – bruk sandbox, test eller prod',
                'FREG_NB_ENV={value!r}: unknown environment — use sandbox, test or prod'),
    'cfg.no_base_url': ('FIKS_BASE_URL mangler – sett den til sandkassens adresse, eller velg FREG_NB_ENV=test/prod',
                "FIKS_BASE_URL: missing — set it to the sandbox's URL, or choose FREG_NB_ENV=test/prod"),
    'cfg.no_issuer': ('MASKINPORTEN_ISSUER mangler – sett den til sandkassens issuer (adressen + /maskinporten/)',
                "MASKINPORTEN_ISSUER: missing — set it to the sandbox's issuer (its URL + /maskinporten/)"),
    'cfg.no_client_id': ('MASKINPORTEN_CLIENT_ID mangler – kopier klient-id-en til Maskinporten-integrasjonen fra Digdirs selvbetjening (Samarbeidsportalen)',
                "MASKINPORTEN_CLIENT_ID: missing — copy the client id of your Maskinporten integration from Digdir's self-service (Samarbeidsportalen)"),
    'cfg.cert_and_key': ('MASKINPORTEN_CERT_FILE og MASKINPORTEN_KEY_FILE er begge satt – velg én: virksomhetssertifikat (.p12 + passord) eller registrert nøkkel (PEM + kid)',
                'MASKINPORTEN_CERT_FILE and MASKINPORTEN_KEY_FILE are both set — choose one: a business certificate (.p12 + password) or a registered key (PEM + kid)'),
    'cfg.no_cert_or_key': ('Verken MASKINPORTEN_CERT_FILE eller MASKINPORTEN_KEY_FILE er satt – oppgi et virksomhetssertifikat (.p12 + MASKINPORTEN_CERT_PASSWORD) eller en PEM-nøkkel + MASKINPORTEN_KID',
                'MASKINPORTEN_CERT_FILE / MASKINPORTEN_KEY_FILE: neither is set — give a business certificate (.p12 + MASKINPORTEN_CERT_PASSWORD) or a PEM key + MASKINPORTEN_KID'),
    'cfg.no_kid': ('MASKINPORTEN_KID mangler – med en PEM-nøkkel må du oppgi nøkkel-id-en (kid) som er registrert på Maskinporten-klienten',
                'MASKINPORTEN_KID: missing — with a PEM key, give the key id (kid) registered on the Maskinporten client'),
    'cfg.no_integration': ('FIKS_INTEGRASJON_ID mangler – kopier integrasjons-id-en (UUID) fra Fiks forvaltning',
                'FIKS_INTEGRASJON_ID: missing — copy the integration id (UUID) from Fiks forvaltning'),
    'cfg.integration_uuid': ('FIKS_INTEGRASJON_ID er ikke en UUID – kopier integrasjons-id-en (8-4-4-4-12 heksadesimale sifre) fra Fiks forvaltning',
                'FIKS_INTEGRASJON_ID: not a UUID — copy the integration id (8-4-4-4-12 hex digits) from Fiks forvaltning'),
    'cfg.no_integration_pw': ('FIKS_INTEGRASJON_PASSORD mangler – sett passordet til integrasjonen fra Fiks forvaltning',
                "FIKS_INTEGRASJON_PASSORD: missing — set the integration's password from Fiks forvaltning"),
    'cfg.scope': ('MASKINPORTEN_SCOPE={scope!r}: Fiks krever scopet {default} – sett MASKINPORTEN_SCOPE={default} (eller la den stå tom)',
                'MASKINPORTEN_SCOPE={scope!r}: Fiks needs the scope {default} — set MASKINPORTEN_SCOPE={default} (or leave it empty)'),
    'cfg.no_roles': ('FIKS_ROLLER mangler – oppgi minst én rolle: FIKS_ROLLER=skole=<rolle-uuid>',
                'FIKS_ROLLER: missing — name at least one role: FIKS_ROLLER=skole=<role uuid>'),
    'cfg.dir_relative': ('FREG_NB_DATA_DIR={value!r}: en relativ sti avhenger av hvor notatboken kjører – oppgi en absolutt sti (eller ~/...)',
                'FREG_NB_DATA_DIR={value!r}: a relative path depends on where the notebook runs — give an absolute path (or ~/...)'),
    'cfg.dir_not_folder': ('FREG_NB_DATA_DIR={value!r}: finnes og er ikke en mappe – velg en sti til en mappe',
                'FREG_NB_DATA_DIR={value!r}: exists and is not a folder — choose a folder path'),
    'cfg.dir_root': ('FREG_NB_DATA_DIR={value!r}: ikke rotmappen eller hjemmemappen din – velg en egen mappe (freg-nb purge tømmer den)',
                'FREG_NB_DATA_DIR={value!r}: not the root or your home folder — choose a dedicated folder (freg-nb purge empties it)'),
    "auth.not_configured": ("Maskinporten er ikke satt opp: sett MASKINPORTEN_CLIENT_ID og FREG_NB_ENV (eller "
                            "MASKINPORTEN_ISSUER).",
                            "Maskinporten is not configured: set MASKINPORTEN_CLIENT_ID and FREG_NB_ENV (or "
                            "MASKINPORTEN_ISSUER)."),
    "auth.p12_open": ("Virksomhetssertifikatet (.p12) kunne ikke åpnes: sjekk MASKINPORTEN_CERT_FILE og "
                      "MASKINPORTEN_CERT_PASSWORD.",
                      "The business certificate (.p12) could not be opened: check MASKINPORTEN_CERT_FILE and "
                      "MASKINPORTEN_CERT_PASSWORD."),
    "auth.p12_empty": (".p12-filen har ikke både privatnøkkel og sertifikat. Eksporter virksomhetssertifikatet med "
                       "privatnøkkelen.",
                       "The .p12 holds no private key and certificate. Export the certificate with its private key."),
    "auth.no_key": ("Ingen signeringsnøkkel: sett MASKINPORTEN_CERT_FILE (+ passord) eller MASKINPORTEN_KEY_FILE + "
                    "MASKINPORTEN_KID.",
                    "No signing key: set MASKINPORTEN_CERT_FILE (+ password) or MASKINPORTEN_KEY_FILE + MASKINPORTEN_KID."),
    "auth.bad_pem": ("MASKINPORTEN_KEY_FILE er ikke en brukbar PEM-privatnøkkel. Oppgi filen som begynner med "
                     "«-----BEGIN PRIVATE KEY-----».",
                     "MASKINPORTEN_KEY_FILE is not a usable PEM private key."),
    "auth.unreachable": ("Fikk ikke kontakt med Maskinporten på {endpoint} ({kind}). Sjekk nettverket/proxyen og "
                         "MASKINPORTEN_ISSUER.",
                         "Could not reach Maskinporten at {endpoint} ({kind}). Check the network/proxy and "
                         "MASKINPORTEN_ISSUER."),
    "auth.no_token_in_200": ("Maskinporten svarte 200 uten et brukbart tilgangstoken. Prøv igjen; skjer det igjen, "
                             "kontakt Digdir.",
                             "Maskinporten answered 200 without a usable access token."),
    "auth.no_token": ("Maskinporten ga ikke noe tilgangstoken ({label}).{said} {hint}",
                      "Maskinporten gave no access token ({label}).{said} {hint}"),
    "auth.mp_said": (" Maskinporten svarte: «{text}».", ' Maskinporten said: "{text}".'),
    "auth.mp.invalid_client": (
        "Maskinporten kjenner ikke igjen klienten eller nøkkelen: sjekk MASKINPORTEN_CLIENT_ID, og at "
        "virksomhetssertifikatet (x5c) eller nøkkel-id-en (kid) er registrert på den klienten i Digdirs "
        "selvbetjening, i samme miljø (test/prod).",
        "Maskinporten does not recognise the client or its key: check MASKINPORTEN_CLIENT_ID, and that the business "
        "certificate (x5c) or the key id (kid) is registered on that client in Digdir's self-service, in the same "
        "environment (test/prod)."),
    "auth.mp.invalid_scope": ("Scopet ks:fiks er ikke gitt til denne Maskinporten-klienten: be Digdir/KS gi klienten "
                              "tilgang til ks:fiks (i hvert miljø), og prøv igjen.",
                              "The scope ks:fiks is not granted to this Maskinporten client: ask Digdir/KS to give "
                              "the client access to ks:fiks (in each environment), then try again."),
    "auth.mp.invalid_grant": ("Maskinporten avviste forespørselen: sjekk klokken på maskinen (iat/exp), at "
                              "MASKINPORTEN_ISSUER passer til miljøet (aud), og at sertifikatet er gyldig.",
                              "Maskinporten refused the assertion: check the computer's clock (iat/exp), that "
                              "MASKINPORTEN_ISSUER matches the environment (aud), and that the certificate is valid."),
    "auth.mp.unauthorized_client": ("Klienten har ikke lov til denne typen forespørsel eller dette scopet: sjekk "
                                    "oppsettet hos Digdir.",
                                    "The client may not use this grant type or scope: check its setup at Digdir."),
    "auth.mp.invalid_request": ("Maskinporten mente token-forespørselen var feil formet; sjekk klient-id og "
                                "nøkkelinnstillinger.",
                                "Maskinporten found the token request malformed; check the client id and key settings."),
    "auth.mp.other": ("Sjekk Maskinporten-klienten, nøkkelen/sertifikatet og scopet ks:fiks hos Digdir.",
                      "Check the Maskinporten client, its key/certificate and the scope ks:fiks at Digdir."),
    "auth.no_integration": ("FIKS_INTEGRASJON_ID og FIKS_INTEGRASJON_PASSORD må være satt. Kopier dem fra Fiks "
                            "forvaltning.",
                            "FIKS_INTEGRASJON_ID and FIKS_INTEGRASJON_PASSORD must be set."),
    "lookup.one_invalid": ("Ikke et gyldig fødsels- eller D-nummer: {problems}. Rett nummeret og prøv igjen. "
                           "Ingenting er sendt.",
                           "Not a valid fødselsnummer/D-number: {problems}. Fix it and try again. Nothing was sent."),
    "lookup.exactly_one": ("Oppgi nøyaktig ett fødselsnummer her (bruk lookup_persons for flere). Ingenting er sendt.",
                           "Give exactly one identifier (use lookup_persons for many). Nothing was sent."),
    "lookup.no_row": ("Det finnes ingen person i rad {row}: tabellen har {n} rader (0 til {n} minus 1). Velg en rad "
                      "som finnes.",
                      "No person in row {row}: the table has {n} rows. Choose an existing row."),
    "lookup.which_person": ("Oppgi personen som radnummeret i result.persons eller som et fullt fødselsnummer fra "
                            "dette oppslaget.",
                            "Give the person as a row number of result.persons or a full identifier from this lookup."),
    "search.too_many": ("Søket traff for mange personer ({said}). Avgrens det med flere kriterier (fødselsår, "
                        "kommunenummer, postnummer …) eller sett maksTreff.",
                        "The search matched too many persons ({said}). Narrow it (birth years, kommunenummer, "
                        "postnummer …) or set maksTreff."),
    "search.no_match": ("ingen treff", "no match"),
    "search.unique_none": ("Entydig søk fant ikke én bestemt person ({said}). Sjekk stavemåten, legg til et "
                           "kriterium som skiller personen ut, eller bruk search_persons for en treffliste.",
                           "Unique search found no single person ({said}). Check the spelling, add a criterion "
                           "that singles the person out, or use search_persons for a list of hits."),
    "archive.ids": ("Oppgi én eller flere dokumentidentifikatorer (bokstaver, sifre og «-»){bad}. Ingenting er sendt.",
                    "Give one or more document ids (letters, digits, '-'){bad}. Nothing was sent."),
    "archive.bad": ("; {n} av dem ser feil ut – rett dem", "; {n} look wrong"),
    "examples.sandbox_only": ("Eksempelpersoner finnes bare i den innebygde sandkassen (syntetiske personer). Mot "
                              "Fiks test eller produksjon må du oppgi fødselsnumrene selv (ids=… eller id_fil=…).",
                              "example_ids only works against the built-in sandbox. Against Fiks, give the "
                              "identifiers yourself (ids=… or id_fil=…)."),
    "examples.n": ("Antallet må være et helt tall fra 1 til 1000. Velg et antall i det området.",
                   "n must be a whole number from 1 to 1000."),
    "examples.none": ("Fant ingen eksempelpersoner i sandkassen{why}. Start sandkassen på nytt og prøv igjen.",
                      "Found no example persons in the sandbox{why}. Restart the sandbox and try again."),
    "export.unknown_format": ("Ukjent eksportformat: {bad}. Velg blant {choices}.",
                              "Unknown export format(s): {bad}. Choose from {choices}."),
    "export.bad_name": ("Navnet på eksporten kan bare ha bokstaver (a–z), sifre, «.», «_» og «-». Velg et annet navn.",
                        "An export name may hold letters, digits, '.', '_' and '-' only."),
    "parts.did_you_mean": (" Mente du {name!r}?", " Did you mean {name!r}?"),
    "parts.unknown": ("Ukjent del {part!r} i «{field}».{hint} Velg person-basis, historikk, identitetsgrunnlag-utvidet, "
                      "relasjon-utvidet eller navnet på en opplysning i Folkeregisteret (f.eks. navn, bostedsadresse, "
                      "status). Ingenting er sendt.",
                      "Unknown part {part!r} in «{field}».{hint} Use person-basis, historikk, identitetsgrunnlag-utvidet, "
                      "relasjon-utvidet or an element name (e.g. navn, bostedsadresse, status). Nothing was sent."),
    "parts.no_basis": ("Rollen «{role}» har ingen av opplysningene i person-basis. Velg delene som skal hentes "
                       "({allowed}).",
                       "Role «{role}» has none of the person-basis elements: name the parts to fetch ({allowed})."),
    "parts.not_allowed": ("Rollen «{role}» har ikke lov til å hente {refused}. Den kan hente: {allowed}. Velg blant "
                          "dem, eller be Fiks-administratoren gi rollen delen i Fiks forvaltning. Ingenting er sendt.",
                          "Role «{role}» is not allowed the part(s) {refused}. It may fetch: {allowed}. Choose from "
                          "those, or ask the Fiks administrator to give the role the part. Nothing was sent."),
    "denied.parts": ("Rollen «{role}» har ikke lov til å hente {refused} (Fiks svarte 403). Be om andre deler, eller be "
                     "Fiks-administratoren gi rollen delen i Fiks forvaltning.",
                     "Role «{role}» is not allowed the part(s) {refused} (Fiks answered 403). Ask for other parts, or "
                     "ask the Fiks administrator to give the role that part."),
    "denied.hjemmel": ("Rollen «{role}» er «uten hjemmel», og dette er bare for roller «med hjemmel» (403: {server}). "
                       "Bruk en rolle med hjemmel.",
                       "Role «{role}» is 'uten hjemmel' and this is only for roles 'med hjemmel' (403: {server}). "
                       "Use a role with hjemmel."),
    "denied.service": ("Rollen «{role}» har ikke denne tjenesten (Fiks svarte 403: {server}). Bruk en rolle som har "
                       "den, eller be Fiks-administratoren legge den til.",
                       "Role «{role}» does not have this service (Fiks answered 403: {server}). Use a role with the "
                       "service, or ask the Fiks administrator to add it."),
    "denied.role": ("Integrasjonen har ikke tilgang til rollen «{role}» (403). Be Fiks-administratoren gi "
                    "integrasjonen rollen i Fiks forvaltning.",
                    "The integration has no access to role «{role}» (403). Ask the Fiks administrator to give it."),
    "denied.other": ("Rollen «{role}» ble avvist (403) da den ba om {asked}. {message}",
                     "Role «{role}» was refused (403) when asking for {asked}. {message}"),
    "summary.band": ("Aldersgruppene må være et helt antall år, minst 1 (fikk {value!r}). Velg f.eks. 5 eller 10.",
                     "age_band must be a whole number of years ≥ 1 (got {value!r}). Choose e.g. 5 or 10."),
    "summary.dims": ("Velg én eller to inndelinger å telle etter, f.eks. by=['aldersgruppe', 'kjoenn'].",
                     "Give one dimension or a pair, e.g. by=['aldersgruppe', 'kjoenn']."),
    "summary.no_age": ("Tabellen har ingen kolonne «alder» å lage aldersgrupper av. Hent uttrekket med delen foedsel, "
                       "eller tell etter noe annet.",
                       "The table has no 'alder' column to make age groups from. Fetch the part foedsel or count by "
                       "something else."),
    "summary.id_column": ("{column!r} er en kolonne med fødselsnummer; en opptelling viser aldri fødselsnummer. Tell "
                          "etter kommunenummer, aldersgruppe, kjoenn … i stedet.",
                          "{column!r} is an identifier column; an aggregate never shows identifiers. Count by "
                          "kommunenummer, aldersgruppe, kjoenn … instead."),
    "summary.no_column": ("Tabellen har ingen kolonne {column!r}. Velg blant {choices} eller en annen kolonne i "
                          "tabellen.",
                          "No column {column!r}; choose from {choices} or one of the table's columns."),
    "summary.pyramid_column": ("Alderspyramiden trenger kolonnen {column!r}, som tabellen ikke har. Bruk tabellen fra "
                               "read_tailored_extract.",
                               "age_pyramid_table needs the column {column!r}. Use the table read_tailored_extract gives."),
    "export.too_big": ("{rows} rader får ikke plass i ett Excel-ark. Eksporter som parquet eller csv i stedet.",
                       "{rows} rows do not fit in one Excel sheet; use parquet or csv."),
    "export.no_extract": ("Oppgi hvilket uttrekk som skal eksporteres: navnet, eller tabellen read_tailored_extract "
                          "ga deg.",
                          "Name the extract to export (or pass the DataFrame read_*_extract returned)."),
    "export.not_extract": ("Denne tabellen kommer ikke fra read_tailored_extract eller read_complete_extract. Oppgi "
                           "navnet på uttrekket i stedet.",
                           "This DataFrame does not come from read_tailored_extract / read_complete_extract; pass "
                           "the extract's name instead."),
    "export.not_finished": ("Uttrekket {name!r} er ikke ferdig i denne datamappen. Kjør det først; "
                            "freg_nb.list_extracts() viser uttrekkene som finnes.",
                            "Extract {name!r} is not finished in this data folder; run it first "
                            "(freg_nb.list_extracts() shows the recorded ones)."),
    "extract.bad_name": ("«{field}» {name!r} kan ikke brukes: bruk 1–80 bokstaver (a–z, A–Z), sifre, «.», «_» eller «-», "
                         "og begynn med en bokstav eller et siffer – f.eks. «femaaringer-0301».",
                         "«{field}» {name!r}: use 1–80 letters (a–z, A–Z), digits, '.', '_' or '-', starting with a "
                         "letter or digit — e.g. 'femaaringer-0301'."),
    "extract.discard_which": ("Oppgi navnet på uttrekket som skal slettes, f.eks. discard_extract(client, "
                              "\"femaaringer-0301\").",
                              "Name the extract to delete, e.g. discard_extract(client, \"femaaringer-0301\")."),
    "common.nothing_sent": ("Ingenting er sendt.", "Nothing was sent."),
    "extract.exists": ("Det finnes allerede et uttrekk som heter {name!r} i datamappen, med andre kriterier ({spec}). "
                       "Velg et annet navn, eller slett det gamle med freg_nb.discard_extract(client, {name!r}) for å "
                       "begynne på nytt.",
                       "An extract named {name!r} already exists in the data folder with other criteria ({spec}). "
                       "Choose another name, or remove the old one with freg_nb.discard_extract(client, {name!r})."),
    "extract.role_twice": ("Rollen er oppgitt to ganger. Skriv {function}(client, role=…).",
                           "The role is given twice. Call {function}(client, role=…)."),
    "extract.client_twice": ("Klienten er oppgitt to ganger. Skriv {function}(client, role=…).",
                             "The client is given twice. Call {function}(client, role=…)."),
    "extract.no_role": ("Velg en rolle, f.eks. {function}(client, role='analyse', …). Ingenting er sendt.",
                        "Name the role, e.g. {function}(client, role='analyse', …). Nothing was sent."),
    "extract.feedsekvensnr": ("feedsekvensnr må være et helt tall fra 0 og oppover (et sekvensnummer i hendelsesloggen), "
                              "ikke {value!r}. Rett tallet eller la det stå tomt (nyeste). Ingenting er sendt.",
                              "feedsekvensnr must be a whole number ≥ 0 (a sequence number of the feed), not "
                              "{value!r}. Nothing was sent."),
    "extract.seconds": ("{field} må være et positivt antall sekunder, ikke {value!r}. Velg f.eks. 600.",
                        "{field} must be a positive number of seconds, not {value!r}."),
    "criteria.head": ("{n} feil i kriteriene for uttrekket – rett dem og prøv igjen (ingenting er sendt):",
                      "{n} problem(s) with the extract criteria — fix them and try again (nothing was sent):"),
    "criteria.twice": ("«{field}» er oppgitt to ganger (også som det gamle navnet {old}). Fjern {old}=….",
                       "«{field}» is given twice (also as the old name {old}). Drop {old}=…."),
    "criteria.year_early": ("«{field}» er {value}, før {earliest}: Folkeregisteret har ingen født eller død da. "
                            "Velg et senere år.",
                            "«{field}» is {value}, before {earliest}: Freg has no one born or dead then. Choose a later year."),
    "criteria.status_required": ("«{field}» må ha minst én verdi: velg en eller flere av {choices}.",
                                 "«{field}» needs at least one value: choose one or more of {choices}."),
    "criteria.status_bad": ("«{field}»: {value!r} kan ikke brukes i et uttrekk. Velg blant {choices}.",
                            "«{field}»: {value!r} cannot be used in an extract. Choose from {choices}."),
    "criteria.both_kommuner": ("Oppgi enten «{bosted}» (der folk bor) eller «{opphold}» (der folk oppholder seg), "
                               "ikke begge: Folkeregisteret tar bare ett av dem. Tøm det ene feltet.",
                               "Give either «{bosted}» (where people live) or «{opphold}» (where people stay), "
                               "not both: Freg takes one of them. Clear one."),
    "criteria.death_before_birth": ("«{death}» ({d}) er før «{birth}» ({b}): ingen kan dø før de er født. "
                                    "Rett ett av årstallene.",
                                    "«{death}» ({d}) is before «{birth}» ({b}): no one dies before being born. "
                                    "Fix one of the years."),
    "criteria.kjoenn": ("«{field}» kan være «kvinne» eller «mann», ikke {value!r}. La feltet stå tomt for begge.",
                        "«{field}» can be 'kvinne' or 'mann', not {value!r}. Leave it empty for both."),
    "criteria.nor_hint": (" (Norge er «NOR», ikke «NO»)", " (Norway is 'NOR', not 'NO')"),
    "criteria.country_format": ("«{field}» må være en landkode med tre bokstaver (ISO 3166-1 alpha-3), f.eks. "
                                "«NOR», «SWE», «POL»{hint}; fikk {value!r}. Skriv landkoden.",
                                "«{field}» must be a three-letter country code (ISO 3166-1 alpha-3) such as "
                                "'NOR', 'SWE', 'POL'{hint}; got {value!r}."),
    "criteria.country_unknown": ("«{field}»: {value!r} er ikke en landkode i ISO 3166-1 alpha-3. Sjekk koden, "
                                 "f.eks. «NOR», «SWE», «POL».",
                                 "«{field}»: {value!r} is not an ISO 3166-1 alpha-3 country code. Check it."),
    "criteria.sivilstand": ("«{field}»: {value!r} er ikke en sivilstand i Folkeregisteret. Velg blant {choices}.",
                            "«{field}»: {value!r} is not a sivilstand in Freg. Choose from {choices}."),
    "criteria.death_not_dead": ("Dødsår er oppgitt, men «{status}» har ikke med «doed», så ingen ville passe. "
                                "Legg til «doed» i «{status}» eller fjern dødsårene.",
                                "Death years are given but «{status}» lacks 'doed', so no one would match. "
                                "Add 'doed' or drop the death years."),
    "history.no_element": ("Skriv hvilken opplysning du vil se historikken til, f.eks. «bostedsadresse» eller «navn».",
                           "Name the element to show the history of, e.g. 'bostedsadresse' or 'navn'."),
    "history.unknown": ("{element!r} er ikke en opplysning i Folkeregisteret, så det finnes ingen historikk for den."
                        "{close} Skriv navnet slik Folkeregisteret staver det (se freg_nb.codes.ELEMENTS).",
                        "{element!r} is not an element of Freg, so it has no history.{close} Spell it as Freg "
                        "does (see freg_nb.codes.ELEMENTS)."),
    "history.close": (" Mente du {names}?", " Did you mean {names}?"),
    "events.not_date": ("«{field}»: {value!r} er ikke en dato. Skriv den som ÅÅÅÅ-MM-DD, f.eks. 2024-03-04.",
                        "«{field}»: {value!r} is not a date. Write it as YYYY-MM-DD, e.g. 2024-03-04."),
    "events.not_seq": ("«{field}»: {value!r} er ikke et sekvensnummer. Oppgi et helt tall fra 1 og oppover.",
                       "«{field}»: {value!r} is not a sequence number. Give a whole number ≥ 1."),
    "events.no_role_of": ("Ingen rolle er valgt. Velg minst én av: {roles}.",
                          "No role chosen. Choose at least one of: {roles}."),
    "events.freq": ("Ukjent periode {value!r}. Velg «dag», «uke» eller «måned» (day/week/month).",
                    "Unknown period {value!r}. Choose day, week or month (dag/uke/måned)."),
    "events.dates_or_seq": ("Oppgi enten datoer (start/end) eller sekvensnumre (start_seq/end_seq), ikke begge. "
                            "Fjern det ene paret.",
                            "Give either dates (start/end) or sequence numbers (start_seq/end_seq), not both."),
    "events.future_start": ("«{field}» er {value}, som er etter i dag ({today}): hendelsesloggen har ingen "
                            "hendelser fra fremtiden. Velg en dato til og med i dag. Ingenting er hentet.",
                            "«{field}» is {value}, after today ({today}): the feed has no events from the future. "
                            "Choose a date up to today. Nothing was fetched."),
    "events.seq_order": ("end_seq ({s1}) er før start_seq ({s0}). Bytt om de to tallene.",
                         "end_seq ({s1}) is before start_seq ({s0}). Swap them."),
    "events.none_stored": ("Det finnes ingen lagrede hendelser for {roles} i datamappen ennå. Les dem først med "
                           "read_events(client, roles={example}, start=…) eller skjemaet i notatbok 03, og prøv "
                           "igjen.",
                           "No stored events for {roles} in the data folder yet. Read them first with "
                           "read_events(client, roles={example}, start=…) or notebook 03's form, then try again."),
    "events.types_list": ("«{field}» må være en liste med hendelsestyper, ikke én tekst. Skriv dem som en liste, "
                          "f.eks. ['personErDoed', 'endringINavn'].",
                          "«{field}» must be a list of event types, e.g. ['personErDoed', 'endringINavn']."),
    "events.types_bad": ("«{field}»: {bad!r} er ikke navn på hendelsestyper (bare bokstaver, f.eks. endringINavn). "
                         "Rett stavemåten.",
                         "«{field}»: {bad!r} are not event type names (letters only, e.g. endringINavn)."),
    "client.no_roles": ("ingen er satt opp", "none configured"),
    "client.unknown_role": ("Ukjent rolle {role!r}. Velg en av rollene i FIKS_ROLLER ({known}) eller oppgi rollens "
                            "id (UUID).",
                            "Unknown role {role!r}: use a role name from FIKS_ROLLER ({known}) or a role id (UUID)."),
    "ids_input.unreadable": ("{name} er ikke en tekstfil freg-nb kan lese (binær fil eller ukjent tegnkoding). "
                             "Lagre den fra Excel som «CSV UTF-8 (kommadelt)», «CSV (semikolonseparert)», "
                             "«Unicode-tekst» eller som .xlsx, og prøv igjen.",
                             "{name} is not a text file freg-nb can read (binary or an unknown encoding). Save it "
                             "from Excel as CSV UTF-8, CSV, Unicode text or .xlsx and try again."),
    "ids_input.the_file": ("Filen", "The file"),
    "ids_input.no_file": ("Fant ikke filen {path}. Sjekk stien (eller lim inn numrene som tekst).",
                          "Could not find the file {path}. Check the path (or paste the ids as text)."),
    "ids_input.kind": ("Gi fødselsnumrene som en liste, som tekst eller som stien til en CSV- eller Excel-fil.",
                       "Give the ids as a list, as text, or as a path to a CSV/Excel file."),
    "ids_input.excel": ("Klarte ikke å lese Excel-filen {name}: {error}. Lagre den som .xlsx eller CSV og prøv igjen.",
                        "Could not read the Excel file {name}: {error}. Save it as .xlsx or CSV and try again."),
    "ids_input.no_header": ("(ingen overskriftsrad)", "(no header row)"),
    "ids_input.no_column": ("Filen har ingen kolonne som heter {column!r}. Første rad har: {shown}. Skriv navnet "
                            "på kolonnen slik det står der.",
                            "No column named {column!r} in the file. Its first row has: {shown}."),
    "ids_input.no_id_column": ("Fant ingen kolonne med fødsels- eller D-nummer (11 sifre) i filen. Oppgi kolonnen "
                               "med column='…' (navnet i første rad).",
                               "Found no column of fødselsnummer/D-numbers (11 digits) in the file. Name it with "
                               "column='…'."),
    "ids_input.line": ("rad {line}: {masked} ({reason})", "line {line}: {masked} ({reason})"),
    "ids_input.more": (" og {n} til", " and {n} more"),
    "feed.via": (" Oppgi via=<en rolle med hjemmel> – sekvensnumrene er de samme i alle hendelseslogger.",
                 " Pass via=<a role med hjemmel> — sequence numbers are the same in every feed."),
    "feed.no_timestamps": ("Hendelsesloggen til rollen «{role}» har ikke ajourholdstidspunkt (bare fødselsnummer, som "
                           "for roller «uten hjemmel»), så datoer kan ikke finnes i den.{other}",
                           "The feed of role «{role}» carries no ajourholdstidspunkt (identifiers only, as in «uten "
                           "hjemmel»), so dates cannot be found in it.{other}"),
    "feed.order": ("Siden av hendelsesloggen fra sekvensnummer {start} er ikke i stigende rekkefølge, så den kan ikke "
                   "leses trygt. Meld fra om dette med tidspunktet for kallet.",
                   "The feed page from sequence {start} is not in ascending order; cannot read it safely. Report "
                   "this with the time of the call."),
    "feed.concurrency": ("Antall samtidige kall må være minst 1. Sett concurrency (eller FREG_NB_CONCURRENCY) til "
                         "f.eks. 8.",
                         "concurrency must be at least 1. Set concurrency (or FREG_NB_CONCURRENCY) to e.g. 8."),
    "events.no_timestamps": ("Hendelsesloggen til rollen «{role}» har ingen tidspunkter, og det har ingen av de andre "
                             "valgte rollene heller. Legg til en rolle med hjemmel i roles, eller oppgi "
                             "start_seq/end_seq.",
                             "The feed of role «{role}» has no timestamps, and no other chosen role's feed has them. "
                             "Add a role med hjemmel to roles, or give start_seq/end_seq."),
    "events.top_n": ("Antallet må være et helt tall fra 1 og oppover (fikk {value!r}). Velg f.eks. 10.",
                     "n must be a whole number ≥ 1 (got {value!r}). Choose e.g. 10."),
    "events.sample": ("Utvalget (sample) må være et helt tall fra 1 til 10 000 (fikk {value!r}). Velg f.eks. 400.",
                      "sample must be a whole number from 1 to 10 000 (got {value!r}). Choose e.g. 400."),
    "events.no_documents": ("De lagrede hendelsene til rollen «{role}» har ingen hendelsesdokument-id-er (en rolle "
                            "«uten hjemmel» får bare fødselsnummer). Velg en rolle med hjemmel.",
                            "The stored events of role «{role}» carry no hendelsesdokument ids (a role «uten "
                            "hjemmel» gets identifiers only). Choose a role med hjemmel."),
    "client.bad_id": ("Ugyldig fødsels- eller D-nummer {masked}: {reason}. Rett nummeret. Ingenting er sendt.",
                      "Invalid fødselsnummer/D-number {masked}: {reason}. Fix it. Nothing was sent."),
    "client.id_not_text": ("Et fødselsnummer må være en tekst med 11 sifre, f.eks. \"03851598730\". Ingenting er sendt.",
                           "An identifier must be a string of 11 digits. Nothing was sent."),
    "client.bad_ids": ("{n} ugyldige fødsels- eller D-nummer: {shown}. Rett eller fjern dem (freg_nb.ids.validate_many "
                       "skiller dem ut). Ingenting er sendt.",
                       "{n} invalid fødselsnummer/D-number(s): {shown}. Fix or remove them (freg_nb.ids.validate_many "
                       "splits a list). Nothing was sent."),
    "client.bulk_empty": ("Ingen {what} oppgitt. Oppgi minst én. Ingenting er sendt.",
                          "No {what} given. Nothing was sent."),
    "client.bulk_max": ("{n} {what} i ett bulkkall: Folkeregisteret tar høyst {max}. Del listen i biter på 1000 "
                        "(lookup_persons gjør det for deg).",
                        "{n} {what} in one bulk call: Freg takes at most {max}. Split the list into chunks of 1000 "
                        "(lookup_persons does this for you)."),
    "client.criteria_unknown": ("Ukjente kriterier for {op}: {unknown}. Bruk blant disse: {allowed}.",
                                "Unknown {op} criteria: {unknown}. Allowed: {allowed}."),
    "client.criteria_none": ("Ingen kriterier for {op}. Oppgi minst ett.", "No {op} criteria given."),
    "client.batch_no": ("Batchnumrene begynner på 0. Oppgi 0 eller mer.", "Batch numbers start at 0."),
    "client.empty": ("{what} er tom. Oppgi en verdi.", "Empty {what}."),
}
