"""Connection check and role capability matrix — notebook 00 and ``freg-nb doctor``.

    >>> from freg_nb import diagnose
    >>> result = diagnose.run()                  # the sandbox unless .env configures Fiks test/prod
    >>> result.ok, [c.step for c in result.checks][:3]          # doctest: +SKIP
    (True, ['innstillinger', 'token', 'integrasjon'])
    >>> result.matrix                            # roles × services/parts, "ja"/"nei"   # doctest: +SKIP

The check goes step by step and stops at the first step that makes the rest meaningless:

1. ``innstillinger`` — the settings are present and valid (secrets shown only as "satt"/"mangler");
2. ``token`` — Maskinporten gives an access token; its claims (consumer organisation, scope,
   expiry) are shown, never the token;
3. ``integrasjon`` — Fiks accepts token + integration (one call, no personal data);
4. ``rolle:<navn>`` — per configured role: which services and parts it may use (the capability
   matrix), compared with what the role should have when that is known (the sandbox publishes
   its role set-up; a caller may pass ``expected=``);
5. ``stabilitet`` — throttling (429), server errors and dropped connections seen on the way.

Each failure is explained in bokmål following KS's 401/403 troubleshooting table, with what to
do next. Titles and advice are bokmål because analysts read them; code stays English.

Training scenarios (sandbox only) are switched through the sandbox's loopback admin endpoint,
so this module never imports the sandbox (it is a separate server): ``select_scenario(name)``,
and ``scenarios()``; the dropdown for notebook 00 is ``widgets.scenario.scenario_picker``.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import httpx

from .auth import TokenProvider, token_claims
from ._connect import connect
from .config import Settings, is_loopback_url
from .errors import (
    AccessDenied,
    ApiError,
    AuthError,
    ConfigError,
    FregNbError,
    IntegrationRejected,
    MaskinportenError,
    RetriesExhausted,
    TokenRejected,
    clean_text,
)
from .codes import PART_GROUPS, expand_parts
from .diagnosis import Check, Diagnosis
from .ids import check_digits
from .net import sandbox_admin

__all__ = ["Check", "Diagnosis", "SERVICES", "PROBE_PARTS", "capability_matrix", "expected_capabilities",
           "run", "sandbox_info", "scenarios", "select_scenario", "settings_for", "sandbox_environment", "cli_main"]

# Services as Fiks names them (role set-up) → column labels in the matrix.
SERVICES: dict[str, str] = {"oppslag": "oppslag", "soek": "søk", "uttrekk": "uttrekk", "hendelser": "hendelser"}

# The parts probed, one lookup each: the three groups, a few elements analysts use daily, and
# historikk (probed together with an element the role has, see _probe_role). Bounded on purpose:
# 3 service probes + 8 part probes = at most 11 calls per role.
PROBE_PARTS: tuple[str, ...] = ("person-basis", "relasjon-utvidet", "identitetsgrunnlag-utvidet",
                                "navn", "foedsel", "bostedsadresse", "status", "historikk")

# A valid synthetic fødselsnummer (Tenor style: month + 80) for 1 January 1900 that nobody has.
# Probing with a person that does not exist means no real person's lookup is logged at
# Skatteetaten; Fiks checks role, service and part *before* Freg looks for the person, so the
# answer is 403 when the role may not, and 404 (or 200) when it may.
_PROBE_FIRST9 = "010180000"
PROBE_PERSON = _PROBE_FIRST9 + (check_digits(_PROBE_FIRST9) or "")

# The uttrekk probe: reading batch 0 of a job id that does not exist. Ordering an extract would
# create a job — it takes one of the organisation's 10 running-job slots and makes Freg do the
# work — so we never order one to probe. A batch read passes Fiks's role/service check first:
# 403 when the role lacks uttrekk, otherwise Freg's 404/410 for the unknown job.
PROBE_JOB_ID = "00000000-0000-0000-0000-000000000000"

# The søk probe: a criterion that matches nobody, at most one hit asked for.
PROBE_SEARCH = {"navn": "Diagnose Sjekkesen", "foedselsdato": "19000101", "maksTreff": 1}  # Freg: YYYYMMDD

YES, NO, UNKNOWN = "ja", "nei", "ukjent"

# Settings that would point a client at real Fiks/Maskinporten (docs/ARCHITECTURE.md).
_REAL_SETTINGS = (
    "FIKS_BASE_URL", "MASKINPORTEN_ISSUER", "MASKINPORTEN_CLIENT_ID", "MASKINPORTEN_CERT_FILE",
    "MASKINPORTEN_CERT_PASSWORD", "MASKINPORTEN_KEY_FILE", "MASKINPORTEN_KID", "MASKINPORTEN_SCOPE",
    "FIKS_INTEGRASJON_ID", "FIKS_INTEGRASJON_PASSORD", "FIKS_ROLLER",
)


def sandbox_environment(data_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Environment overrides that force the in-process sandbox (and, if given, a data folder).

    Real settings are set to empty strings rather than removed so a ``.env`` file cannot fill
    them in again (python-dotenv never overrides a variable that is set).
    """
    env = {name: "" for name in _REAL_SETTINGS}
    env["FREG_NB_ENV"] = "sandbox"
    if data_dir is not None:
        env["FREG_NB_DATA_DIR"] = str(data_dir)
    return env


# --------------------------------------------------------------------------------------------
# Explaining failures (KS's 401/403 table, in bokmål)


def _server_said(err: FregNbError) -> str:
    bits = []
    if err.server_message:
        bits.append(f"Tjenesten svarte: «{clean_text(err.server_message)}»")
    if err.error_id:
        bits.append(f"errorId {err.error_id} (oppgi den til Fiks-support)")
    if err.reference:
        bits.append(f"feilreferanse {err.reference}")
    return "\n".join(bits)


def explain_token_failure(err: FregNbError) -> Check:
    """Maskinporten gave no token: which of client, key/certificate or scope is wrong."""
    code = (err.code or "").lower()
    detail = _server_said(err) or f"Teknisk melding: {clean_text(err)}"
    if code == "invalid_scope":
        return Check("token", False, "Maskinporten gir ikke token: klienten mangler scopet ks:fiks", detail,
                     "Be Digdir/KS om at Maskinporten-klienten får tilgang til scopet ks:fiks (i både test og "
                     "produksjon), og kontroller at MASKINPORTEN_SCOPE er ks:fiks.")
    if code == "invalid_grant":
        return Check("token", False, "Maskinporten avviste forespørselen om token (invalid_grant)", detail,
                     "Vanlige årsaker: virksomhetssertifikatet er utløpt eller ikke gyldig, datamaskinens klokke "
                     "går feil, eller MASKINPORTEN_ISSUER/FREG_NB_ENV peker på feil miljø. Bestill nytt "
                     "sertifikat og registrer det på Maskinporten-klienten om det er utløpt.")
    if code in ("invalid_client", "unauthorized_client"):
        return Check("token", False, "Maskinporten kjenner ikke igjen klienten eller nøkkelen", detail,
                     "Kontroller MASKINPORTEN_CLIENT_ID, og at virksomhetssertifikatet (x5c) eller nøkkel-id-en "
                     "(kid) er registrert på klienten i Digdirs selvbetjening, i samme miljø (test/prod).")
    return Check("token", False, "Maskinporten gir ikke token", clean_text(err),
                 "Kontroller Maskinporten-klienten hos Digdir: klient-id, nøkkel eller sertifikat, og scopet "
                 "ks:fiks. Sjekk også nettverk/proxy og MASKINPORTEN_ISSUER.")


def explain_auth_failure(err: FregNbError) -> Check:
    """Fiks answered 401: the token (TokenRejected) or the integration (IntegrationRejected)."""
    said = _server_said(err)
    if isinstance(err, TokenRejected):
        return Check("integrasjon", False, "Fiks godtar ikke tokenet fra Maskinporten (401)", said,
                     "Tokenet er utløpt, kommer fra feil Maskinporten-miljø (test/produksjon) eller mangler "
                     "scopet ks:fiks. Hent et nytt token rett før kallet, og sjekk at FREG_NB_ENV/"
                     "MASKINPORTEN_ISSUER og FIKS_BASE_URL hører til samme miljø.")
    if isinstance(err, IntegrationRejected):
        return Check("integrasjon", False, "Fiks godtar tokenet, men ikke integrasjonen (401)", said,
                     "Fiks sier ikke hvilken av disse det er: (1) integrasjonspassordet er feil eller byttet — "
                     "hent det på nytt i Fiks forvaltning og oppdater FIKS_INTEGRASJON_PASSORD; "
                     "(2) organisasjonen i tokenet (se token-steget) er ikke organisasjonen integrasjonen er "
                     "autorisert for — bruk virksomhetssertifikatet/Maskinporten-klienten til riktig "
                     "organisasjon; (3) FIKS_INTEGRASJON_ID finnes ikke i dette miljøet.")
    return Check("integrasjon", False, "Fiks avviste autentiseringen (401)", said or clean_text(err),
                 "Sjekk både tokenet (miljø, scope ks:fiks) og integrasjonen (id, passord, organisasjon) i "
                 "Fiks forvaltning.")


# --------------------------------------------------------------------------------------------
# Probing


@dataclass
class _Probe:
    answer: str                  # YES / NO / UNKNOWN
    denied: AccessDenied | None = None
    error: FregNbError | None = None


def _probe(call: Callable[[], Any]) -> _Probe:
    """Run one probing call: past Fiks's checks → ja; 403 → nei; anything else → ukjent."""
    try:
        call()
    except AccessDenied as e:
        return _Probe(NO, denied=e)
    except AuthError:
        raise  # 401 is not about the role: the caller explains it once
    except RetriesExhausted as e:
        return _Probe(UNKNOWN, error=e)
    except ApiError as e:
        # 400/404/410 come from Freg, i.e. after Fiks let the call through: the role may use it.
        if e.status in (400, 404, 410):
            return _Probe(YES)
        return _Probe(UNKNOWN, error=e)
    return _Probe(YES)


def _probe_role(client, role: str) -> dict[str, _Probe]:
    """At most 11 calls: 3 services + 7 parts, then historikk together with an allowed element."""
    calls: dict[str, Callable[[], Any]] = {
        "soek": lambda: client.search(role, **PROBE_SEARCH),
        "uttrekk": lambda: client.extract_batch(role, PROBE_JOB_ID, 0),
        "hendelser": lambda: client.latest_sequence(role),
    }
    for part in PROBE_PARTS:
        if part != "historikk":
            calls[part] = (lambda p=part: client.person(role, PROBE_PERSON, parts=[p]))
    # One after the other, not concurrently: a check should be gentle, and a sequential order
    # keeps the sandbox's seeded fault injection (training scenarios "strupet"/"ustabil") repeatable.
    results = {name: _probe(call) for name, call in calls.items()}
    # historikk is a modifier, not an element: ask for the history of an element the role has.
    element = next((p for p in PROBE_PARTS if p not in PART_GROUPS and p != "historikk"
                    and results[p].answer == YES), None)
    if element is None:
        results["historikk"] = _Probe(NO if all(results[p].answer == NO for p in PROBE_PARTS if p in results)
                                      else UNKNOWN)
    else:
        results["historikk"] = _probe(lambda: client.person(role, PROBE_PERSON, parts=[element, "historikk"]))
    # oppslag is usable when any part probe got through
    part_answers = [results[p].answer for p in PROBE_PARTS]
    results["oppslag"] = _Probe(YES if YES in part_answers else (NO if set(part_answers) == {NO} else UNKNOWN),
                                denied=next((results[p].denied for p in PROBE_PARTS if results[p].denied), None))
    return results


def _columns() -> list[str]:
    return list(SERVICES.values()) + list(PROBE_PARTS)


def _row(results: Mapping[str, _Probe]) -> dict[str, str]:
    row = {label: results[key].answer for key, label in SERVICES.items()}
    row.update({p: results[p].answer for p in PROBE_PARTS})
    return row


def _matrix(results: Mapping[str, Mapping[str, _Probe]]):
    import pandas as pd

    return pd.DataFrame.from_dict({n: _row(r) for n, r in results.items()}, orient="index",
                                  columns=_columns()).rename_axis("rolle")


def capability_matrix(client, roles: Iterable[str] | None = None):
    """Roles × services/parts as "ja"/"nei" ("ukjent" if the service kept failing), by minimal probes.

    At most 11 calls per role, none of which orders an extract or looks up a real person.
    """
    names = list(roles) if roles is not None else list(client.settings.roles)
    return _matrix({name: _probe_role(client, name) for name in names})


def expected_capabilities(setup: Mapping[str, Mapping[str, Any]]):
    """What a role set-up (``{role: {"services": [...], "parts": [...]}}``, as in Fiks forvaltning)
    implies for the matrix's columns, as a DataFrame of "ja"/"nei"."""
    import pandas as pd

    rows = {}
    for name, s in setup.items():
        services = set(s.get("services", ()))
        parts = set(s.get("parts", ()))
        elements = expand_parts(parts)
        lookup = "oppslag" in services
        row = {label: YES if key in services else NO for key, label in SERVICES.items()}
        for p in PROBE_PARTS:
            if p == "historikk":
                ok = lookup and "historikk" in parts and bool(elements & set(PROBE_PARTS))
            else:
                ok = lookup and PART_GROUPS.get(p, {p}) <= elements
            row[p] = YES if ok else NO
        row["oppslag"] = YES if lookup and any(row[p] == YES for p in PROBE_PARTS) else NO
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index", columns=_columns()).rename_axis("rolle")


# --------------------------------------------------------------------------------------------
# The sandbox's admin endpoint (training scenarios, role set-up)


def _sandbox_url(settings: Settings) -> str:
    if settings.env != "sandbox" or not settings.fiks_base_url or not is_loopback_url(settings.fiks_base_url):
        raise ConfigError(["Treningsscenarier finnes bare i sandkassen (FREG_NB_ENV=sandbox på denne maskinen)."])
    return settings.fiks_base_url.rstrip("/")


def sandbox_info(settings: Settings) -> dict | None:
    """The sandbox's /_sandbox/info, or None when not talking to a local sandbox."""
    try:
        url = _sandbox_url(settings)
        r = sandbox_admin(url, "info")
        r.raise_for_status()
        return r.json()
    except (ConfigError, httpx.HTTPError, ValueError):
        return None


def settings_for(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    with connect(progress=False) as client:  # starts the in-process sandbox when nothing is configured
        return client.settings


def scenarios(settings: Settings | None = None) -> dict[str, str]:
    """The sandbox's training scenarios: name → description (bokmål)."""
    info = sandbox_info(settings_for(settings))
    if info is None:
        raise ConfigError(["Treningsscenarier finnes bare i sandkassen (FREG_NB_ENV=sandbox på denne maskinen)."])
    return dict(info.get("scenarios") or {})


def select_scenario(name: str, settings: Settings | None = None) -> str:
    """Put the local sandbox into a training scenario; returns its description."""
    settings = settings_for(settings)
    known = scenarios(settings)
    if name not in known:
        raise ConfigError([f"Ukjent treningsscenario {clean_text(name, limit=40)!r}. Velg ett av: "
                           f"{', '.join(known)}."])
    sandbox_admin(_sandbox_url(settings), f"scenario/{name}", method="POST").raise_for_status()
    return known[name]


# --------------------------------------------------------------------------------------------
# The check


def _settings_check(settings: Settings) -> Check:
    d = settings.describe()
    lines = [f"Miljø: {settings.env}" + (f" ({settings.fiks_base_url})" if settings.fiks_base_url else "")]
    lines.append(f"Maskinporten-klient: {d['MASKINPORTEN_CLIENT_ID'] or 'mangler'}, nøkkel: {d['nøkkeltype'] or 'mangler'}")
    if settings.cert_file:
        lines.append(f"Sertifikatpassord: {d['MASKINPORTEN_CERT_PASSWORD']}")
    lines.append(f"Fiks-integrasjon: {settings.integration_id or 'mangler'}, passord: {d['FIKS_INTEGRASJON_PASSORD']}")
    lines.append(f"Roller: {', '.join(settings.roles) or 'ingen'}")
    return Check("innstillinger", True, "Innstillingene er på plass", "\n".join(lines))


def _token_check(settings: Settings, transport=None) -> tuple[Check, dict | None]:
    tokens = TokenProvider(settings, transport=transport)
    try:
        claims = token_claims(tokens.token())
    except MaskinportenError as e:
        return explain_token_failure(e), None
    finally:
        tokens.close()
    from .display import number, time_text

    expires = claims.get("expires")
    when = (f"{time_text(expires)} norsk tid, om {number(claims.get('expires_in_s'))} s"
            if isinstance(expires, dt.datetime) else "ukjent")
    detail = (f"Organisasjon i tokenet (consumer): {claims.get('consumer_org') or 'ukjent'}\n"
              f"Scope: {claims.get('scope') or 'ukjent'}\nUtløper: {when}")
    scopes = str(claims.get("scope") or "").split()
    if "ks:fiks" not in scopes:
        return Check("token", False, "Tokenet mangler scopet ks:fiks", detail,
                     "Be Digdir/KS om at Maskinporten-klienten får scopet ks:fiks, og sett MASKINPORTEN_SCOPE=ks:fiks."), claims
    if settings.org_number and claims.get("consumer_org") and claims["consumer_org"] != settings.org_number:
        return Check("token", False, "Tokenet tilhører en annen organisasjon enn forventet", detail,
                     f"Forventet organisasjon {settings.org_number}. Bruk virksomhetssertifikatet/Maskinporten-"
                     "klienten til riktig organisasjon."), claims
    return Check("token", True, "Maskinporten gir token", detail), claims


def _integration_check(client, role: str) -> Check:
    """One call that needs no service and no personal data (the XSD): only 401 means trouble."""
    try:
        client.xsd("personer", role=role)
    except AuthError as e:
        return explain_auth_failure(e)
    except RetriesExhausted as e:
        if e.status == 429:  # throttling, named as such
            return Check("integrasjon", False, "Folkeregisteret struper kallene (429), også etter mange nye forsøk",
                         clean_text(e), "Vent noen minutter og senk FREG_NB_CONCURRENCY (f.eks. til 2) før du "
                         "prøver igjen.")
        return Check("integrasjon", False, "Fiks svarer ikke stabilt", clean_text(e),
                     "Prøv igjen om litt. Vedvarer det, kontakt Fiks-support med errorId.")
    except FregNbError:
        pass  # 403/404/…: Fiks authenticated token and integration before answering that
    return Check("integrasjon", True, "Fiks godtar token og integrasjon",
                 f"Integrasjon {client.settings.integration_id} er autentisert.")


def _role_check(name: str, role_id: str, results: Mapping[str, _Probe], expected: Mapping[str, str] | None,
                retried: int = 0) -> Check:
    row = _row(results)
    services = [label for label in SERVICES.values() if row[label] == YES]
    parts = [p for p in PROBE_PARTS if row[p] == YES]
    detail = [f"Rolle-id {role_id}",
              f"Tjenester: {', '.join(services) or 'ingen'}",
              f"Deler (av de som ble prøvd): {', '.join(parts) or 'ingen'}"]
    unknown = [k for k, v in row.items() if v == UNKNOWN]
    denied = [r.denied for r in results.values() if r.denied is not None]
    if all(v == NO for v in row.values()):
        said = _server_said(denied[0]) if denied else ""
        return Check(f"rolle:{name}", False, f"Rollen «{name}» kan ikke brukes: alle kall gir 403",
                     "\n".join(detail + ([said] if said else [])),
                     "Integrasjonen har ikke (lenger) tilgang til rollen, eller rolle-id-en er feil. Sjekk rolle-id-en "
                     "i FIKS_ROLLER, og be Fiks-administratoren gi integrasjonen tilgang til rollen i Fiks forvaltning.")
    missing = [k for k, v in (expected or {}).items() if v == YES and row.get(k) == NO]
    extra = [k for k, v in (expected or {}).items() if v == NO and row.get(k) == YES]
    if missing:
        svc = [m for m in missing if m in SERVICES.values()]
        prt = [m for m in missing if m not in SERVICES.values()]
        said = [_server_said(r.denied) for k, r in results.items()
                if r.denied is not None and (SERVICES.get(k, k) in missing)]
        what = "; ".join(filter(None, [f"tjenesten {', '.join(svc)}" if svc else "",
                                       f"delen {', '.join(prt)}" if prt else ""]))
        return Check(f"rolle:{name}", False, f"Rollen «{name}» mangler {what} (403)",
                     "\n".join(detail + said[:2]),
                     "Integrasjonen er autentisert, men rollen gir ikke lenger tilgang til dette. Be Fiks-"
                     "administratoren legge det til i rollen i Fiks forvaltning — eller bruk en rolle som har det "
                     "(se tabellen over rollenes tilganger).")
    if unknown:
        errs = [clean_text(r.error) for r in results.values() if r.error is not None]
        return Check(f"rolle:{name}", False, f"Rollen «{name}»: fikk ikke svar på alt ({', '.join(unknown)})",
                     "\n".join(detail + errs[:1]),
                     "Tjenesten svarte med feil eller ble strupet for lenge. Prøv igjen om litt; vedvarer det, "
                     "kontakt Fiks-support med errorId.")
    note = f"\nMer enn forventet: {', '.join(extra)}" if extra else ""
    if retried:  # it worked, but only because the client tried again: say so
        return Check(f"rolle:{name}", True, f"Rollen «{name}» virker, men bare etter {retried} nye forsøk",
                     "\n".join(detail) + note, warning=True)
    return Check(f"rolle:{name}", True, f"Rollen «{name}» virker", "\n".join(detail) + note)


_RETRY_CAUSES = {"429": "struping (429)", "5xx": "serverfeil (5xx)", "connection": "brutte forbindelser"}


def _retried(client) -> int:
    """Retries so far, token calls not counted."""
    return sum(v for k, v in client.stats.as_dict()["retries"].items() if k != "token")


def _stability_check(stats: Mapping[str, Any]) -> Check | None:
    """Throttling named as throttling, a flaky line as a flaky line; passed, but flagged."""
    retries = {k: v for k, v in (stats.get("retries") or {}).items() if k != "token" and v}
    n = sum(retries.values())
    if not n:
        return None
    throttled = retries.get("429", 0)
    if throttled == n:
        title = f"Folkeregisteret struper: {n} kall fikk 429 og måtte prøves på nytt"
    elif throttled:
        title = f"Struping og ustabil forbindelse: {n} kall måtte prøves på nytt"
    else:
        title = f"Tjenesten var ustabil: {n} kall måtte prøves på nytt"
    kinds = ", ".join(f"{_RETRY_CAUSES.get(k, k)}: {v}" for k, v in sorted(retries.items()))
    advice = []
    if throttled:
        advice.append("Struping betyr for mange kall på kort tid: senk FREG_NB_CONCURRENCY (f.eks. til 2).")
    if throttled < n:
        advice.append("Ved serverfeil eller brutte forbindelser: prøv igjen senere; vedvarer det, kontakt Fiks-support.")
    return Check("stabilitet", True, title,
                 f"Nye forsøk etter {kinds} (av {stats.get('calls')} kall). Stegene over virket til slutt, "
                 "men bare fordi kallene ble prøvd på nytt.", " ".join(advice), warning=True)


def run(*, scenario: str | None = None, roles: Iterable[str] | None = None,
        expected: Mapping[str, Mapping[str, Any]] | None = None, env_file: str | os.PathLike | None = None,
        environ: Mapping[str, str] | None = None, settings: Settings | None = None,
        transport: httpx.BaseTransport | None = None) -> Diagnosis:
    """Check the connection step by step and build the role capability matrix.

    ``scenario`` switches the local sandbox into a training scenario first. ``roles`` limits the
    roles checked (default: all configured). ``expected`` is a role set-up
    (``{role: {"services": [...], "parts": [...]}}``) to compare with; against the sandbox it is
    taken from the sandbox's published set-up. ``settings`` skips loading (tests, custom set-ups).
    """
    checks: list[Check] = []
    if settings is None:
        try:
            if environ is None and env_file is None:
                settings = settings_for(None)
            else:
                with connect(env_file=env_file, environ=environ, progress=False) as c:
                    settings = c.settings
        except ConfigError as e:
            checks.append(Check("innstillinger", False, "Innstillingene mangler eller er ugyldige",
                                "\n".join(e.problems),
                                "Rett opp punktene over i .env (se .env.example) eller i miljøvariablene, og kjør "
                                "sjekken på nytt."))
            return Diagnosis(checks, scenario=scenario)
    if scenario:
        select_scenario(scenario, settings)
    info = sandbox_info(settings)  # None outside the local sandbox
    # the scenario the sandbox is in now (also when another notebook chose it)
    diag = Diagnosis(checks, settings=settings.describe(), scenario=(info or {}).get("scenario") or scenario)
    checks.append(_settings_check(settings))

    token, _claims = _token_check(settings, transport)
    checks.append(token)
    if not token.ok:
        return diag

    from .client import FregClient, RetryPolicy

    names = list(roles) if roles is not None else list(settings.roles)
    unknown = [n for n in names if n not in settings.roles]
    if unknown or not names:
        checks.append(Check("roller", False, "Ukjente roller: " + (", ".join(unknown) or "ingen valgt"),
                            f"Konfigurerte roller: {', '.join(settings.roles) or 'ingen'}",
                            "Velg roller som står i FIKS_ROLLER."))
        return diag
    # patient retries: throttling or a flaky line should show up as a stability note, not as "ukjent"
    retry = RetryPolicy(max_attempts=10, max_total_s=60.0)
    with FregClient(settings, transport=transport, progress=False, retry=retry) as client:
        integration = _integration_check(client, names[0])
        if integration.ok and _retried(client):
            integration.title += f", men bare etter {_retried(client)} nye forsøk"
            integration.warning = True
        checks.append(integration)
        if not integration.ok:
            return diag
        if expected is None:
            expected = (info or {}).get("role_setup")
        exp = expected_capabilities({n: expected[n] for n in names if n in expected}) if expected else None
        results, retried = {}, {}
        try:
            for name in names:
                before = _retried(client)
                results[name] = _probe_role(client, name)
                retried[name] = _retried(client) - before
        except AuthError as e:  # the integration was accepted a moment ago; explain anyway
            checks.append(explain_auth_failure(e))
            return diag
        diag.matrix = _matrix(results)
        diag.expected = exp
        for name in names:
            row_expected = exp.loc[name].to_dict() if exp is not None and name in exp.index else None
            checks.append(_role_check(name, settings.roles[name], results[name], row_expected, retried[name]))
        stability = _stability_check(client.stats.as_dict())
        if stability:
            checks.append(stability)
    return diag


# --------------------------------------------------------------------------------------------
# Command line


def cli_main(args) -> int:
    """``freg-nb doctor [--scenario NAME] [--env-file PATH]``: exit 0 only when everything works."""
    environ = None
    if getattr(args, "scenario", None):
        environ = {**os.environ, **sandbox_environment()}
    try:
        diag = run(scenario=args.scenario, env_file=getattr(args, "env_file", None), environ=environ)
    except ConfigError as e:  # e.g. an unknown scenario
        print("\n".join(e.problems), file=sys.stderr)
        return 2
    print(diag.as_text())
    return 0 if diag.ok else 1
