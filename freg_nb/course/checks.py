"""The answer checks: each exercise's answer compared with what the sandbox knows.

Nothing here is a fixed number: the expected answer comes from the sandbox the participant uses
(``/_sandbox/kurs/…`` and ``/_sandbox/info`` on loopback, through ``net.sandbox_admin``) — its
population, its feed, its roles and the training scenario in force — so the checks are right for
any seed and population size. A wrong answer gets the exercise's own explanation, and for some
answers a sharper one (the full id where the masked one was asked for, a count one too small …).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from ..codes import expand_parts
from ..criteria import tailored_criteria
from ..errors import ConfigError
from ..ids import mask
from ..kommuner import kommune_dict, kommunenavn
from ..net import is_loopback_host, sandbox_admin
from .exercises import FIXES, Exercise

__all__ = ["SandboxTruth", "Verdict", "expected", "judge", "normalise", "role_without_hjemmel"]


@dataclass(frozen=True)
class Verdict:
    correct: bool
    message: str     # bokmål: "Riktig! …" or the exercise's explanation

    def __str__(self) -> str:
        return self.message


class SandboxTruth:
    """What the participant's sandbox knows, asked over its loopback admin endpoints (cached per question)."""

    def __init__(self, settings: Any):
        url = (getattr(settings, "fiks_base_url", None) or "").rstrip("/")
        if getattr(settings, "env", None) != "sandbox" or not url or not is_loopback_host(urlsplit(url).hostname or ""):
            raise ConfigError(["Kursoppgavene sjekkes mot sandkassen: bruk FREG_NB_ENV=sandbox (standard) "
                               "på denne maskinen."])
        self.url = url
        self._cache: dict[str, Any] = {}

    def ask(self, question: str, *, body: Any = None, cache: bool = True, **params: Any) -> dict:
        key = f"{question}?{sorted(params.items())}{body!r}"
        if cache and key in self._cache:
            return self._cache[key]
        action = question if not params else f"{question}?{urlencode(params)}"
        r = sandbox_admin(self.url, action if question == "info" else f"kurs/{action}",
                          method="POST" if body is not None else "GET", json=body, timeout=120)
        r.raise_for_status()
        self._cache[key] = out = r.json()
        return out

    def givens(self) -> dict:
        return self.ask("utvalg")

    def info(self) -> dict:
        return self.ask("info")


def normalise(text: Any) -> str:
    """Lower case, no accents or spaces, for comparing free text."""
    s = unicodedata.normalize("NFKD", str(text if text is not None else "")).strip().lower()
    return re.sub(r"\s+", "", "".join(c for c in s if not unicodedata.combining(c)))


def _number(answer: Any) -> int | None:
    s = normalise(answer).replace("\u00a0", "")
    if s in ("ingen", "null", "ingenting"):
        return 0
    return int(s) if re.fullmatch(r"-?\d+", s) else None


def _kommune(answer: Any) -> str | None:
    s = normalise(answer)
    if re.fullmatch(r"\d{3,4}", s):
        return s.zfill(4)
    return next((k for k, v in kommune_dict().items() if normalise(v.kommunenavn) == s), None)


def _rejected_roles(info: dict, part: str = "sivilstand", among=("skole", "analyse")) -> list[str]:
    setup = info.get("role_setup") or {}
    return [r for r in among if r in setup and part not in expand_parts(setup[r]["parts"])]


def role_without_hjemmel(info: dict) -> str:
    """A role without hjemmel that reads the feed (the sandbox's ``skole``), from the published set-up."""
    setup = info.get("role_setup") or {}
    return next((r for r, s in setup.items() if not s["hjemmel"] and "hendelser" in s["services"]), "skole")


# expected(exercise key) -> the answer the sandbox says is right (the form the check compares)
_EXPECT: dict[str, Callable[["SandboxTruth"], Any]] = {
    "kommune": lambda t: t.ask("person", ident=t.givens()["person"])["kommunenummer"],
    "maskert": lambda t: mask(t.givens()["person"]),
    "hele-id": lambda t: "b",
    "flyttinger": lambda t: t.ask("person", ident=t.givens()["flytter"])["bostedsadresser"],
    "avvist-rolle": lambda t: _rejected_roles(t.info()),
    "hvorfor-403": lambda t: ["tjeneste" if "oppslag" not in t.info()["role_setup"][r]["services"] else "del"
                                 for r in _rejected_roles(t.info())],
    "uttrekk": lambda t: t.ask("antall", body=tailored_criteria(
        bostedskommunenummer=t.givens()["kommune"], foedselsaarFraOgMed=t.givens()["aar"],
        foedselsaarTilOgMed=t.givens()["aar"]))["antall"],
    "prikking": lambda t: "smaa",
    "sekvensnummer": lambda t: t.ask("dag", dag=t.givens()["dag"])["sekvensnummer"],
    "uten-hjemmel": lambda t: len(t.ask("feed")["uten_hjemmel"]),
    "vanligste-type": lambda t: _most_common(t.ask("feed")["med_hjemmel"]),
    "diagnose": lambda t: t.ask("scenario", cache=False)["scenario"],
}


def _most_common(counts: dict[str, int]) -> list[str]:
    top = max(counts.values(), default=0)
    return sorted(k for k, v in counts.items() if v == top)


def expected(truth: SandboxTruth, ex: Exercise) -> Any:
    """The right answer to ``ex`` in this sandbox (a value, or a list of equally right ones)."""
    return _EXPECT[ex.key](truth)


def _choice(ex: Exercise, answer: Any, choices: list[tuple[str, str]]) -> str | None:
    s = normalise(answer)
    for key, label in choices:
        if s in (normalise(key), normalise(label)):
            return key
    return None


def judge(ex: Exercise, answer: Any, truth: SandboxTruth, texts: Callable[[str], str],
          choices: list[tuple[str, str]]) -> tuple[Verdict, Any]:
    """(Verdict, the expected answer) for ``answer`` to ``ex``. ``texts`` fills in the givens."""
    want = expected(truth, ex)
    wants = want if isinstance(want, list) else [want]
    if ex.key == "diagnose" and want is None:
        return Verdict(False, "Sandkassen er ikke i et navngitt treningsscenario (noen har stilt på knottene selv). "
                              "Be kursholderen velge et scenario, og prøv igjen."), want
    if ex.kind == "valg":
        got = _choice(ex, answer, choices)
        if got is None:
            return Verdict(False, "Velg ett av svaralternativene: " + "; ".join(f"{k}: {v}" for k, v in choices)
                           + "."), want
    elif ex.kind == "tall":
        got = _number(answer)
        if got is None:
            return Verdict(False, f"Svar med et helt tall (du skrev «{str(answer)[:40]}»)."), want
    elif ex.key == "kommune":
        got = _kommune(answer)
    else:
        got = str(answer or "").strip()
    if any(got == w or (isinstance(w, str) and normalise(got) == normalise(w)) for w in wants):
        fasit = _shown(ex, got)
        return Verdict(True, "Riktig! " + texts(ex.right).replace("{fasit}", fasit)), want
    return Verdict(False, "Ikke helt. " + _explain(ex, answer, got, wants, texts, truth)), want


def _shown(ex: Exercise, got: Any) -> str:
    return f"{got} {kommunenavn(got) or ''}".strip() if ex.key == "kommune" else str(got)


def _explain(ex: Exercise, answer: Any, got: Any, wants: list, texts: Callable[[str], str],
             truth: SandboxTruth) -> str:
    """The exercise's own explanation, sharpened where the answer shows the likely mistake."""
    base = texts(ex.why.get(str(got), ex.wrong)) if ex.kind == "valg" else texts(ex.wrong)
    w = wants[0] if wants else None
    extra = ""
    if ex.key == "maskert" and re.sub(r"\D", "", str(answer)) == truth.givens()["person"]:
        extra = " Du skrev hele fødselsnummeret – tabellen viser det maskert med mindre du ber om show_ids=True."
    elif ex.kind == "tall" and isinstance(w, int) and isinstance(got, int):
        if ex.key == "flyttinger" and got == 1:
            extra = " Du har bare telt den nåværende adressen: slå opp med history=True."
        elif ex.key == "sekvensnummer" and got == w - 1:
            extra = " Det er den siste hendelsen før dagen; svaret er den første på dagen."
        elif ex.key == "uttrekk" and got < w:
            extra = " Du har færre enn uttrekket: kanskje talte du en oppsummering der små tall er skjult?"
    elif ex.key == "vanligste-type":
        counts = truth.ask("feed")["med_hjemmel"]
        if got in counts:
            extra = f" «{got}» forekommer {counts[got]} ganger; den vanligste forekommer {counts[wants[0]]} ganger."
    elif ex.key == "diagnose" and got in FIXES and got != "normal":
        extra = " Det tiltaket hjelper i en annen situasjon enn den sandkassen er i nå."
    return base + extra
