"""The whitelist of enumerated code fields whose VALUES a shape report may show, and nothing else.

Every other string in an answer is reduced to its JSON type. The fields are those with an ``enum`` in
Skatteetaten's OpenAPI spec (freg-offentlig-med-hjemmel 1.5) plus the error bodies' code fields; the
value lists come from ``freg_nb.codes`` where that module has them, else from the spec. A value is
shown only when it is one of the listed values compared case-insensitively (so ``UGRADERT`` shows, as
real answers shout) — anything else in a code field is reported as ``OTHER_VALUE``, never as itself.
"""
from __future__ import annotations

import re

from ..codes import (ADRESSEGRADERING, EXTRACT_PERSONSTATUSTYPER, FAMILIERELASJON, HENDELSETYPER, KJOENN,
                     PERSONSTATUS, SIVILSTANDSTYPER)

__all__ = ["CODE_FIELDS", "OTHER_VALUE", "code_value"]

OTHER_VALUE = "<annen verdi>"
"""What a code field shows when its value is not one of the field's listed values."""

_SPEC_ONLY: dict[str, tuple[str, ...]] = {  # enums of the spec that freg_nb.codes does not hold
    "ansvar": ("andre", "far", "felles", "medmor", "mor", "ukjent"),
    "antattOppholdsvarighet": ("overSeksMaaneder", "overTolvMaaneder", "ukjent", "underSeksMaaneder"),
    "bibeholdstatus": ("harBibehold", "harIkkeLengerBibehold", "norskStatsborgerTrengerIkkeBibehold"),
    "bruksenhetstype": ("annetEnnBolig", "bolig", "fritidsbolig", "ikkeGodkjentBolig", "unummerertBruksenhet"),
    "entitetsendring": ("annullere", "korrigere", "korrigereHistorisk", "registrereNy"),
    "forhold": ("aldriInnmeldt", "innmeldt", "utmeldt"),
    "identifikatortype": ("dNummer", "foedselsnummer"),
    "identitetsgrunnlagstatus": ("ikkeKontrollert", "ingenStatus", "kontrollert"),
    "legitimasjonskontroll": ("ikkeKontrollert", "ingenStatus", "kontrollert"),
    "omfang": ("oekonomiskeInteresser", "personligeInteresser", "personligeOgOekonomiskeInteresser",
               "utlendingssakerPersonligeOgOekonomiskeInteresser"),
    "oppholdAnnetSted": ("militaer", "paaSvalbard", "pendler", "utenriks"),
    "oppholdstillatelse": ("midlertidig", "opplysningMangler", "permanent"),
    "skifteform": ("annet", "offentlig"),
    "spraak": ("lulesamisk", "nordsamisk", "soersamisk"),
    "valg": ("bostedsadresse", "oppholdsadresse", "postadresse", "postadresseIUtlandet"),
    "vergemaaltype": ("ensligMindreaarigAsylsoeker", "ensligMindreaarigFlyktning", "forvaltningUtenforVergemaal",
                      "midlertidigForMindreaarig", "midlertidigForVoksen", "mindreaarig",
                      "stadfestetFremtidsfullmakt", "voksen"),
}
_ENTITIES = ("adressebeskyttelse", "bibehold", "bostedsadresse", "brukAvSamiskSpraak", "deltBosted", "doedsfall",
             "falskIdentitet", "familierelasjon", "foedsel", "foedselINorge", "foreldreansvar",
             "forholdTilSametingetsValgmanntall", "identifikasjonsnummer", "identitetsgrunnlag", "innflytting",
             "kjoenn", "kontaktadresse", "kontaktadresseIUtlandet", "kontaktinformasjonForDoedsbo",
             "legitimasjonsdokument", "navn", "opphold", "oppholdsadresse", "sivilstand", "statsborgerskap",
             "status", "utenlandskPersonidentifikasjon", "utflytting",
             "utlendingsmyndighetenesIdentifikasjonsnummer", "vergemaalEllerFremtidsfullmakt")

CODE_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(v.lower() for v in values) for name, values in {
        **_SPEC_ONLY,
        "adressegradering": ADRESSEGRADERING, "graderingsnivaa": ADRESSEGRADERING,
        "entitet": _ENTITIES,
        "hendelsestype": HENDELSETYPER, "hendelsetype": HENDELSETYPER,
        "kjoenn": KJOENN,
        "minRolleForPerson": FAMILIERELASJON, "relatertPersonsRolle": FAMILIERELASJON,
        "personstatustyper": EXTRACT_PERSONSTATUSTYPER,
        "sivilstand": SIVILSTANDSTYPER, "sivilstandstype": SIVILSTANDSTYPER,
        "status": (*PERSONSTATUS, "iBruk", "opphoert"),
    }.items()
}
"""Field name → its allowed values (lower case): the only fields whose values a report shows."""

# Error bodies: Fiks's errorCode (MANGLER_TILGANG_TIL_ROLLE), Freg's feilkode / kode (FREG-403). Shown when the value
# has the form of such a code: upper-case words joined by "_" or "-" with a digit or at least two joints.
_ERROR_CODE_FIELDS = frozenset({"errorCode", "feilkode", "kode"})
_ERROR_CODE = re.compile(r"[A-Z]{2,12}(?:[-_][A-Z0-9]{1,12}){1,5}")


def _is_error_code(field: str, value: str) -> bool:
    return field in _ERROR_CODE_FIELDS and bool(_ERROR_CODE.fullmatch(value)) and \
        (any(c.isdigit() for c in value) or value.count("_") + value.count("-") >= 2)


def code_value(field: str, value: str) -> str | None:
    """The value to show for ``field`` (None: not a code field, show only the type)."""
    if field in _ERROR_CODE_FIELDS:
        return value if _is_error_code(field, value) else OTHER_VALUE
    allowed = CODE_FIELDS.get(field)
    if allowed is None:
        return None
    return value if value.lower() in allowed else OTHER_VALUE
