"""The sandbox's shared vocabulary: status and civil-status codes, address gradings, the 32 elements of
Folkeregisterperson and the part groups, and the change kinds of the population's registrations.

One module that population, persondoc, search and feed all import (and that imports none of them), so
they form no import cycle. Official code lists shared with the client live in ``freg_nb.codes``.
"""

from __future__ import annotations

from ..codes import ADDRESS_ELEMENTS, ELEMENTS, PART_GROUPS, PART_NAMES, SIVILSTANDSTYPER

__all__ = ["STATUS", "SIVILSTAND", "PROT", "ELEMENTS", "PART_GROUPS", "PART_NAMES", "CONFIDENTIAL",
           "PUBLIC_STATUS", "CHANGE_KINDS", "LETTERS", "ADDRESS_ELEMENTS", "BOSATT", "UTFLYTTET", "DOED",
           "INAKTIV", "AKTIV", "OPPHOERT", "FORSVUNNET", "IKKEBOSATT", "UOPPGITT", "UGIFT", "GIFT", "ENKE", "SKILT"]

STATUS = ("bosatt", "utflyttet", "doed", "inaktiv", "aktiv", "opphoert", "forsvunnet", "ikkeBosatt")
BOSATT, UTFLYTTET, DOED, INAKTIV, AKTIV, OPPHOERT, FORSVUNNET, IKKEBOSATT = range(8)
SIVILSTAND = SIVILSTANDSTYPER
UOPPGITT, UGIFT, GIFT, ENKE, SKILT = range(5)
PROT = (None, "fortrolig", "strengtFortrolig")

# The 32 elements of Folkeregisterperson and the part groups come from the shared vocabulary.
# Confidential (taushetsbelagt) elements: never served "offentlig uten hjemmel".
CONFIDENTIAL = frozenset({
    "familierelasjon", "foreldreansvar", "falskIdentitet", "bibehold", "forholdTilSametingetsValgmanntall",
    "brukAvSamiskSpraak", "opphold", "utenlandskPersonidentifikasjon", "legitimasjonsdokument",
    "utlendingsmyndighetenesIdentifikasjonsnummer", "adressebeskyttelse",
})
PUBLIC_STATUS = frozenset({"bosatt", "utflyttet", "doed", "opphoert", "inaktiv"})

# change kinds: (salt, attribute with the day or -1)
CHANGE_KINDS = {
    "created": 1, "moved": 2, "union": 3, "divorce": 4, "widowed": 5, "death": 6,
    "emigrated": 7, "name": 8, "protection": 9, "inaktiv": 10, "naturalised": 11,
    "newident": 12,  # a D-number replaced by a fødselsnummer (formerids)
}
LETTERS = ("", "A", "B", "C", "D")  # husbokstav by its code (0 = none)
