"""Fault injection and named training scenarios.

``Faults`` is a mutable bag of knobs read on every request. Random faults (429, 5xx, dropped
connections) draw from one seeded RNG, so a run with the same seed and the same request order
injects the same faults. Scenario flags bend one piece of the sandbox's state (a rotated
integration password, a role that lost a part, ...) so a training session can see the real
error message for each common mistake.
"""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields

__all__ = ["Faults", "SCENARIOS", "FaultPlan", "scenario_faults"]


@dataclass
class Faults:
    latency_ms: float = 0.0           # fixed delay per Fiks/Freg request
    jitter_ms: float = 0.0            # plus uniform 0..jitter_ms
    rate_429: float = 0.0             # share of requests answered 429
    retry_after_ms: int = 1000        # Retry-After (milliseconds) on injected 429
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0            # share of requests whose connection is dropped mid-answer
    seed: int = 0                     # RNG seed for the shares above
    include_maskinporten: bool = False  # apply random faults to /maskinporten/ too
    token_lifetime_s: int | None = None         # overrides SandboxConfig.token_lifetime_s
    extract_ready_after_s: float | None = None  # overrides SandboxConfig.extract_ready_after_s
    strict_tailored: bool = False     # refuse null criteria and numeric years in tailored orders (Freg reads both)
    # scenario flags (state bent for training)
    integration_password_rotated: bool = False  # the client's configured password no longer matches
    integration_org_mismatch: bool = False      # the integration is authorised for another org
    scope_missing: bool = False                 # the Maskinporten client lacks ks:fiks
    certificate_expired: bool = False           # Maskinporten sees the business certificate as expired
    role_missing_part: str | None = None        # "<role name>:<part>" removed from the role
    role_missing_service: str | None = None     # "<role name>:<service>" removed from the role
    role_not_granted: str | None = None         # role name the integration lost access to

    def to_dict(self) -> dict:
        return asdict(self)

    def update(self, **kw) -> "Faults":
        names = {f.name for f in fields(self)}
        unknown = sorted(set(kw) - names)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        for k, v in kw.items():
            setattr(self, k, v)
        return self


@dataclass(frozen=True)
class Scenario:
    name: str
    beskrivelse: str  # bokmål, shown to training participants
    settings: dict = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("normal", "Alt virker som det skal: ingen feil, ingen forsinkelse."),
    Scenario("feil-integrasjonspassord",
             "Integrasjonspassordet er byttet i Fiks forvaltning, men ikke i .env. Fiks svarer 401 "
             "«Autentisering feilet for integrasjon med id …».",
             {"integration_password_rotated": True}),
    Scenario("feil-organisasjon",
             "Integrasjonen er autorisert for en annen organisasjon enn den som står i tokenet "
             "(virksomhetssertifikatet tilhører feil organisasjon). Fiks svarer 401 «Autentisering feilet …».",
             {"integration_org_mismatch": True}),
    Scenario("mangler-scope",
             "Maskinporten-klienten har ikke fått tilgang til scopet ks:fiks hos Digdir. "
             "Maskinporten gir ikke token (invalid_scope).",
             {"scope_missing": True}),
    Scenario("utlopt-sertifikat",
             "Virksomhetssertifikatet er utløpt. Maskinporten avviser grant-forespørselen (invalid_grant).",
             {"certificate_expired": True}),
    Scenario("rolle-mangler-del",
             "Rollen «skole» har mistet opplysningen bostedsadresse. Oppslag som ber om den gir 403.",
             {"role_missing_part": "skole:bostedsadresse"}),
    Scenario("rolle-mangler-tjeneste",
             "Rollen «skole» har ikke lenger tjenesten søk. Søk gir 403.",
             {"role_missing_service": "skole:soek"}),
    Scenario("ukjent-rolle",
             "Integrasjonen har ikke (lenger) tilgang til rollen «skole». Alle kall med den rollen gir 403.",
             {"role_not_granted": "skole"}),
    Scenario("strupet",
             "Folkeregisteret struper: halvparten av kallene får 429 med Retry-After i millisekunder.",
             {"rate_429": 0.5, "retry_after_ms": 200}),
    Scenario("ustabil",
             "Ustabil forbindelse: noen kall får 500/503, noen forbindelser brytes, og svarene er trege.",
             {"rate_500": 0.1, "rate_503": 0.1, "rate_drop": 0.1, "latency_ms": 50, "jitter_ms": 100}),
]}


def scenario_faults(name: str) -> Faults:
    """A fresh ``Faults`` for the named scenario (ValueError naming the known ones if unknown)."""
    try:
        sc = SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
    return Faults(**sc.settings)


def scenario_of(faults: Faults) -> str | None:
    """The name of the training scenario ``faults`` equals (None: knobs set by hand)."""
    now = faults.to_dict()
    return next((name for name in SCENARIOS if scenario_faults(name).to_dict() == now), None)


class FaultPlan:
    """Draws the fault (if any) for each request from a seeded RNG; thread-safe."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self._lock = threading.Lock()
        self._rng = random.Random(faults.seed)
        self._seed = faults.seed

    def replace(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self._seed = faults.seed

    def draw(self, *, maskinporten: bool = False) -> tuple[float, str | None]:
        """Return (delay in seconds, fault) with fault in {None, "429", "500", "503", "drop"}."""
        f = self.faults
        if maskinporten and not f.include_maskinporten:
            return 0.0, None
        with self._lock:
            if f.seed != self._seed:
                self._rng = random.Random(f.seed)
                self._seed = f.seed
            delay = (f.latency_ms + (self._rng.random() * f.jitter_ms if f.jitter_ms else 0.0)) / 1000
            r = self._rng.random()
        for kind, share in (("429", f.rate_429), ("500", f.rate_500), ("503", f.rate_503),
                            ("drop", f.rate_drop)):
            if r < share:
                return delay, kind
            r -= share
        return delay, None
