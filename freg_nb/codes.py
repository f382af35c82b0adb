"""Official code lists that the client and the sandbox share (no third-party imports: the sandbox uses it)."""
from __future__ import annotations

__all__ = ["HENDELSETYPER"]

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
