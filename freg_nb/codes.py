"""Freg's vocabulary, defined once: parts and part groups, code lists and protection levels.

Shared by the client, the analysis layers, ``diagnose`` and the sandbox, so it imports nothing but
the standard library (the sandbox is a separate "server" and may import only the light modules).

    >>> sorted(expand_parts(["relasjon-utvidet", "navn", "historikk"]))
    ['familierelasjon', 'foreldreansvar', 'navn', 'vergemaalEllerFremtidsfullmakt']
"""
from __future__ import annotations

from typing import Iterable

__all__ = [
    "ADDRESS_ELEMENTS", "ADRESSEGRADERING", "ELEMENTS", "EXTRACT_PERSONSTATUSTYPER", "FAMILIERELASJON",
    "HENDELSETYPER", "HISTORIKK", "KJOENN", "PART_GROUPS", "PART_NAMES", "PERSONSTATUS", "PERSON_BASIS",
    "PROTECTED_LEVELS", "SIVILSTANDSTYPER", "expand_parts",
    # avstemming categories
    "BESKYTTET", "CATEGORIES", "DOED", "FLYTTET_INNEN", "FLYTTET_UT", "IKKE_FUNNET", "NYTT_ID", "NYTT_NAVN",
    "UENDRET", "UGYLDIG", "UTVANDRET",
]

# The 32 top-level properties of Folkeregisterperson (v1.5).
ELEMENTS = (
    "adressebeskyttelse", "bibehold", "bostedsadresse", "brukAvSamiskSpraak", "deltBosted",
    "doedsfall", "falskIdentitet", "familierelasjon", "foedsel", "foedselINorge", "foreldreansvar",
    "forholdTilSametingetsValgmanntall", "identifikasjonsnummer", "identitetsgrunnlag", "innflytting",
    "kjoenn", "kontaktinformasjonForDoedsbo", "legitimasjonsdokument", "navn", "opphold",
    "oppholdPaaSvalbard", "oppholdsadresse", "postadresse", "postadresseIUtlandet",
    "preferertKontaktadresse", "sivilstand", "statsborgerskap", "status", "utenlandskPersonidentifikasjon",
    "utflytting", "utlendingsmyndighetenesIdentifikasjonsnummer", "vergemaalEllerFremtidsfullmakt",
)

PERSON_BASIS = frozenset({
    "identifikasjonsnummer", "identitetsgrunnlag", "status", "doedsfall", "sivilstand", "foedsel",
    "statsborgerskap", "kjoenn", "navn", "bostedsadresse", "oppholdsadresse", "deltBosted",
    "postadresse", "postadresseIUtlandet", "adressebeskyttelse", "kontaktinformasjonForDoedsbo"})
"""The elements behind ``person-basis`` (what Freg returns when no part is named)."""

PART_GROUPS: dict[str, frozenset[str]] = {
    "person-basis": PERSON_BASIS,
    "identitetsgrunnlag-utvidet": frozenset({"falskIdentitet", "legitimasjonsdokument",
                                             "utenlandskPersonidentifikasjon"}),
    "relasjon-utvidet": frozenset({"familierelasjon", "foreldreansvar", "vergemaalEllerFremtidsfullmakt"}),
}
"""Freg's part groups (API notes, "Data minimisation")."""

HISTORIKK = "historikk"
"""The part that asks for earlier versions too; not an element."""

PART_NAMES = frozenset(ELEMENTS) | frozenset(PART_GROUPS) | {HISTORIKK}
"""Every name ``part`` may take."""


def expand_parts(names: Iterable[str]) -> set[str]:
    """Element names behind part names (groups expanded; ``historikk`` is not an element)."""
    out: set[str] = set()
    for n in names:
        if n != HISTORIKK:
            out |= PART_GROUPS.get(n, {n})
    return out


ADDRESS_ELEMENTS = ("bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet")
"""The elements that carry an address (hidden for protected persons)."""

# Code lists, in the spec's case.
PERSONSTATUS = ("bosatt", "utflyttet", "forsvunnet", "doed", "opphoert", "foedselsregistrert",
                "midlertidig", "inaktiv", "ikkeBosatt", "aktiv")
"""Every ``status`` value of Folkeregisterperson."""

EXTRACT_PERSONSTATUSTYPER = ("aktiv", "bosatt", "utflyttet", "doed", "inaktiv")
"""The ``personstatustyper`` a tailored extract may ask for (TilpassetUttrekkJobbRequest)."""

KJOENN = ("kvinne", "mann")

SIVILSTANDSTYPER = ("uoppgitt", "ugift", "gift", "enkeEllerEnkemann", "skilt", "separert",
                    "registrertPartner", "separertPartner", "skiltPartner", "gjenlevendePartner")

FAMILIERELASJON = ("mor", "far", "medmor", "barn", "soesken", "ektefelleEllerPartner", "doedfoedtBarn")

ADRESSEGRADERING = ("ugradert", "klientadresse", "fortrolig", "strengtFortrolig")
"""``adressebeskyttelse.graderingsnivaa`` / ``adressegradering`` values."""

PROTECTED_LEVELS = frozenset({"fortrolig", "strengtfortrolig"})
"""Protected grading levels, lower case (compare case-insensitively: untidy answers shout)."""

# Every hendelsetype value of the v1.5 spec (Hendelse.hendelsestype), personErOppdatert included.
HENDELSETYPER = (
    "personErOpprettet", "personErReaktivert", "personErOppdatert", "personErOpphoert",
    "personErViderefoertSomGjeldendeVedSammenslaaing", "personErOpphoertSomDublett",
    "personErEndretVedSplitting", "personErGjenopprettetVedSplitting", "personErDoed", "personErBosatt",
    "personErUtflyttet", "endringIStatus", "endringIIdentitetsgrunnlag",
    "endringIUtenlandskPersonidentifikasjon", "endringIUtlendingsmyndighetenesIdentifikasjonsnummer",
    "endringILegitimasjonsdokument", "endringIIdentifikasjonsnummer", "endringIFalskIdentitet",
    "endringIKontaktopplysningerForDoedsbo", "endringIDeltBosted", "endringIFoedsel",
    "endringIFoedselINorge", "endringIKjoenn", "endringIFamilierelasjon", "endringISivilstand",
    "endringIDoedsfall", "endringINavn", "endringIAdressebeskyttelse", "endringIBostedsadresse",
    "endringIBostedsadresseUtenFlytting", "endringIOppholdsadresse", "endringIInnflytting",
    "endringIUtflytting", "endringIBrukAvSamiskSpraak", "endringISametingetsValgmanntall",
    "endringIKontaktinformasjon", "endringIForeldreansvar", "endringIStatsborgerskap", "endringIOpphold",
    "endringIOppholdPaaSvalbard", "endringIVergemaal", "endringIPerson",
)


# Avstemming (reconcile): the categories of a row of the analyst's own list, shared by
# ``freg_nb.reconcile`` and the sandbox's training lists (``sandbox/fagsystem.py``).
UENDRET, FLYTTET_INNEN, FLYTTET_UT = "uendret", "flyttet innen kommunen", "flyttet ut av kommunen"
UTVANDRET, DOED, NYTT_NAVN, NYTT_ID = "utvandret", "død", "nytt navn", "nytt identifikasjonsnummer"
BESKYTTET, IKKE_FUNNET, UGYLDIG = "adressebeskyttet nå", "ikke funnet", "ugyldig nummer"
CATEGORIES = (UGYLDIG, IKKE_FUNNET, DOED, UTVANDRET, BESKYTTET, FLYTTET_UT, FLYTTET_INNEN, NYTT_ID, NYTT_NAVN,
              UENDRET)
"""Every avstemming category, in priority order: a row's main ``kategori`` is the first that applies."""
