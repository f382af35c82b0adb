"""Uttrekk: tailored and complete extracts → batches → persons → Parquet and a DataFrame.

    >>> import freg_nb
    >>> df = freg_nb.read_tailored_extract(                       # doctest: +SKIP
    ...     "skole", bostedskommunenummer="0301", foedselsaar_fra_og_med=2020,
    ...     foedselsaar_til_og_med=2020, parts=["navn", "foedsel", "kjoenn", "bostedsadresse"])
    >>> freg_nb.summarize_extract(df, by="kjoenn")                 # doctest: +SKIP

How an extract runs (and why it can be interrupted at any point):

1. The criteria are checked locally (``tailored_criteria``); every problem is listed in one
   ``InputError`` before any request is sent.
2. The extract gets a folder ``extracts/<name>/`` in the private data folder with a
   ``state.json`` (written atomically). The job is ordered once and its ``jobbId`` recorded at
   once; a rerun with the same name and criteria resumes that job instead of ordering anew.
   Before ordering, a local guard counts the unfinished jobs recorded in the data folder
   (Freg allows at most 10 running extract jobs per organisation).
3. Batches are polled from 0 (404 = not ready: back off, up to ``wait_timeout`` seconds in all)
   until the empty ``{}`` answer. Each batch's identifiers are stored, then the persons of that
   batch are fetched with the lookup pipeline (``lookups``: bulk calls of ≤1000, concurrent), the
   raw answers streamed to ``extracts/<name>/persons/<batch>/``; only then is the batch marked
   done. A batch interrupted half-way is fetched again from scratch on resume, so no person is
   lost or counted twice.
4. At the end the raw answers are flattened by ``tables`` (DuckDB), counts are reconciled
   (identifiers in the batches = rows + per-person errors, no duplicates) and the table is
   written as ``extracts/<name>/persons.parquet``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import (
    AccessDenied,
    ApiError,
    ExtractError,
    ExtractOrderUncertain,
    InputError,
    RetriesExhausted,
    Throttled,
)

__all__ = [
    "CriteriaWarning",
    "ExtractProgress",
    "KJOENN",
    "PERSONSTATUSTYPER",
    "SIVILSTANDSTYPER",
    "age_pyramid_table",
    "discard_extract",
    "export_extract",
    "list_extracts",
    "read_complete_extract",
    "read_tailored_extract",
    "summarize_extract",
    "tailored_criteria",
]

# --------------------------------------------------------------------------------------------
# Criteria (TilpassetUttrekkJobbRequest, Freg API v1.5)

PERSONSTATUSTYPER = ("aktiv", "bosatt", "utflyttet", "doed", "inaktiv")
KJOENN = ("kvinne", "mann")
SIVILSTANDSTYPER = (
    "uoppgitt", "ugift", "gift", "enkeEllerEnkemann", "skilt", "separert", "registrertPartner",
    "separertPartner", "skiltPartner", "gjenlevendePartner",
)
EARLIEST_YEAR = 1850

# ISO 3166-1 alpha-3 (249 officially assigned codes) plus the codes Freg uses beside them for
# Kosovo (XXK), stateless (XXX) and unknown (XUK).
_ISO3 = frozenset("""
AFG ALA ALB DZA ASM AND AGO AIA ATA ATG ARG ARM ABW AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN
BMU BTN BOL BES BIH BWA BVT BRA IOT BRN BGR BFA BDI CPV KHM CMR CAN CYM CAF TCD CHL CHN CXR CCK
COL COM COG COD COK CRI CIV HRV CUB CUW CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH
FLK FRO FJI FIN FRA GUF PYF ATF GAB GMB GEO DEU GHA GIB GRC GRL GRD GLP GUM GTM GGY GIN GNB GUY
HTI HMD VAT HND HKG HUN ISL IND IDN IRN IRQ IRL IMN ISR ITA JAM JPN JEY JOR KAZ KEN KIR PRK KOR
KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MAC MDG MWI MYS MDV MLI MLT MHL MTQ MRT MUS MYT MEX
FSM MDA MCO MNG MNE MSR MAR MOZ MMR NAM NRU NPL NLD NCL NZL NIC NER NGA NIU NFK MKD MNP NOR OMN
PAK PLW PSE PAN PNG PRY PER PHL PCN POL PRT PRI QAT REU ROU RUS RWA BLM SHN KNA LCA MAF SPM VCT
WSM SMR STP SAU SEN SRB SYC SLE SGP SXM SVK SVN SLB SOM ZAF SGS SSD ESP LKA SDN SUR SJM SWE CHE
SYR TWN TJK TZA THA TLS TGO TKL TON TTO TUN TUR TKM TCA TUV UGA UKR ARE GBR USA UMI URY UZB VUT
VEN VNM VGB VIR WLF ESH YEM ZMB ZWE
XXK XXX XUK
""".split())


class CriteriaWarning(UserWarning):
    """Criteria that are valid but probably not what was meant (e.g. an unknown municipality)."""


def _year(value: Any, label: str, problems: list[str], this_year: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(f"{label}: expected a year like 1955, got {value!r}.")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        year = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        year = int(value)
    else:
        problems.append(f"{label}: expected a four-digit year like 1955, got {value!r}.")
        return None
    if year < EARLIEST_YEAR:
        problems.append(f"{label}: {year} is before {EARLIEST_YEAR}; Folkeregisteret has no one born or dead then.")
        return None
    if year > this_year:
        problems.append(f"{label}: {year} is in the future (this year is {this_year}).")
        return None
    return year


def _range(lo_val: Any, hi_val: Any, what: str, problems: list[str], this_year: int) -> tuple[int | None, int | None]:
    lo = _year(lo_val, f"{what}_fra_og_med", problems, this_year)
    hi = _year(hi_val, f"{what}_til_og_med", problems, this_year)
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"{what}_fra_og_med ({lo}) is after {what}_til_og_med ({hi}): swap them.")
    return lo, hi


def _municipality(value: Any, label: str, problems: list[str], unknown: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    s = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if s is None or not re.fullmatch(r"\d{4}", s):
        hint = ""
        if s is not None and re.fullmatch(r"\d{1,3}", s):
            hint = f" (with leading zeros: '{s.zfill(4)}')"
        problems.append(f"{label}: a kommunenummer has four digits, as a string{hint}; got {value!r}.")
        return None
    if not _is_current_municipality(s):
        unknown.append(f"{label} {s} is not a current municipality (freg_nb/data/kommuner.csv); "
                       "Freg will find no one there unless the list is out of date.")
    return s


def _is_current_municipality(number: str) -> bool:
    from . import kommuner

    return kommuner.is_current(number)


def _statuses(value: Any, problems: list[str]) -> list[str]:
    if value is None:
        problems.append("personstatustyper is required: one or more of " + ", ".join(PERSONSTATUSTYPER) + ".")
        return []
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    if not items or all(isinstance(v, str) and not v for v in items):
        problems.append("personstatustyper is required: one or more of " + ", ".join(PERSONSTATUSTYPER) + ".")
        return []
    out: list[str] = []
    for v in items:
        key = str(v).strip().lower() if isinstance(v, str) else None
        if key not in PERSONSTATUSTYPER:
            problems.append(f"personstatustyper: {v!r} is not allowed in an extract; "
                            f"choose from {', '.join(PERSONSTATUSTYPER)}.")
        elif key not in out:
            out.append(key)
    return out


def tailored_criteria(
    *,
    personstatustyper: Sequence[str] | str | None = ("bosatt",),
    bostedskommunenummer: str | None = None,
    oppholdskommunenummer: str | None = None,
    foedselsaar_fra_og_med: int | str | None = None,
    foedselsaar_til_og_med: int | str | None = None,
    doedsaar_fra_og_med: int | str | None = None,
    doedsaar_til_og_med: int | str | None = None,
    kjoenn: str | None = None,
    statsborgerskap: str | None = None,
    sivilstandstype: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Check extract criteria and return Freg's request body (``TilpassetUttrekkJobbRequest``).

    Every problem is collected and raised as one ``InputError`` listing them all, before any
    request is sent. A well-formed but unknown municipality number gives a ``CriteriaWarning``
    (the list of municipalities may be older than Freg), not a refusal.

    >>> tailored_criteria(bostedskommunenummer="0301", foedselsaar_fra_og_med=1950,
    ...                   foedselsaar_til_og_med=1960, kjoenn="Kvinne")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'personstatustyper': ['bosatt'], 'kommunenummer': {'bostedskommunenummer': '0301'},
     'foedselsaarFraOgMed': '1950', 'foedselsaarTilOgMed': '1960', 'kjoenn': 'kvinne'}
    """
    problems: list[str] = []
    unknown: list[str] = []
    this_year = (today or dt.date.today()).year
    statuses = _statuses(personstatustyper, problems)

    bosted = _municipality(bostedskommunenummer, "bostedskommunenummer", problems, unknown)
    opphold = _municipality(oppholdskommunenummer, "oppholdskommunenummer", problems, unknown)
    if bosted and opphold:
        problems.append("give either bostedskommunenummer (where people live) or oppholdskommunenummer "
                        "(where people stay), not both: Freg accepts one of them.")

    f_lo, f_hi = _range(foedselsaar_fra_og_med, foedselsaar_til_og_med, "foedselsaar", problems, this_year)
    d_lo, d_hi = _range(doedsaar_fra_og_med, doedsaar_til_og_med, "doedsaar", problems, this_year)
    if d_hi is not None and f_lo is not None and d_hi < f_lo:
        problems.append(f"doedsaar_til_og_med ({d_hi}) is before foedselsaar_fra_og_med ({f_lo}): "
                        "no one can die before they are born.")

    sex = None
    if kjoenn is not None and not (isinstance(kjoenn, str) and not kjoenn.strip()):
        sex = kjoenn.strip().lower() if isinstance(kjoenn, str) else None
        if sex not in KJOENN:
            problems.append(f"kjoenn: {kjoenn!r} is not valid; use 'kvinne' or 'mann' (or leave it out for both).")
            sex = None

    citizenship = None
    if statsborgerskap is not None and not (isinstance(statsborgerskap, str) and not statsborgerskap.strip()):
        s = statsborgerskap.strip().upper() if isinstance(statsborgerskap, str) else ""
        if not re.fullmatch(r"[A-Z]{3}", s):
            hint = " (Norway is 'NOR', not 'NO')" if s in ("NO", "NB", "NN") else ""
            problems.append(f"statsborgerskap: use an ISO 3166-1 alpha-3 country code like 'NOR', 'SWE', "
                            f"'POL'{hint}; got {statsborgerskap!r}.")
        elif s not in _ISO3:
            problems.append(f"statsborgerskap: {s!r} is not an ISO 3166-1 alpha-3 country code.")
        else:
            citizenship = s

    civil = None
    if sivilstandstype is not None and not (isinstance(sivilstandstype, str) and not sivilstandstype.strip()):
        by_lower = {v.lower(): v for v in SIVILSTANDSTYPER}
        civil = by_lower.get(sivilstandstype.strip().lower()) if isinstance(sivilstandstype, str) else None
        if civil is None:
            problems.append(f"sivilstandstype: {sivilstandstype!r} is not valid; choose from "
                            f"{', '.join(SIVILSTANDSTYPER)}.")

    if (d_lo is not None or d_hi is not None) and statuses and "doed" not in statuses:
        problems.append("doedsaar is given but personstatustyper does not include 'doed': no one would "
                        "match. Add 'doed' to personstatustyper or leave the death years out.")

    if problems:
        n = len(problems)
        raise InputError("\n".join([f"{n} problem{'s' if n != 1 else ''} with the extract criteria "
                                    "(nothing was sent to Freg):", *(f"  - {p}" for p in problems)]))
    for msg in unknown:
        warnings.warn(msg, CriteriaWarning, stacklevel=3)

    body: dict[str, Any] = {"personstatustyper": statuses}
    if bosted:
        body["kommunenummer"] = {"bostedskommunenummer": bosted}
    elif opphold:
        body["kommunenummer"] = {"oppholdskommunenummer": opphold}
    for key, val in (("foedselsaarFraOgMed", f_lo), ("foedselsaarTilOgMed", f_hi),
                     ("doedsaarFraOgMed", d_lo), ("doedsaarTilOgMed", d_hi)):
        if val is not None:
            body[key] = str(val)
    if sex:
        body["kjoenn"] = sex
    if citizenship:
        body["statsborgerskap"] = citizenship
    if civil:
        body["sivilstandstype"] = civil
    return body


# --------------------------------------------------------------------------------------------
# The extract's record in the private data folder

STATE_VERSION = 1
MAX_RUNNING_JOBS = 10          # Freg: at most 10 extract jobs running per organisation
JOB_GUARD_HOURS = 24.0         # an unfinished job recorded locally counts as running this long
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_DONE = "done"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _age_hours(stamp: str | None) -> float:
    if not stamp:
        return float("inf")
    try:
        t = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return float("inf")
    return (dt.datetime.now(dt.timezone.utc) - t).total_seconds() / 3600


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith((".", "-")) or ".." in name:
        raise InputError(f"Extract name {name!r}: use 1–80 letters (a–z, A–Z), digits, '.', '_' or '-', "
                         "starting with a letter or digit — e.g. 'femaaringer-0301'.")
    return name


def _spec_key(spec: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]


def _default_name(spec: Mapping[str, Any]) -> str:
    return f"{'tilpasset' if spec['kind'] == 'tailored' else 'komplett'}-{spec['role']}-{_spec_key(spec)}"


def _store_of(client: Any):
    store = getattr(client, "data_dir", None)
    if store is None:
        from .store import DataDir

        store = DataDir(client.settings.data_dir)
    return store


def _state_rel(name: str) -> str:
    return f"extracts/{name}/state.json"


def _all_states(store: Any) -> list[dict]:
    root = store.resolve("extracts")
    out = []
    if not root.is_dir():
        return out
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and (sub / "state.json").is_file():
            try:
                st = store.read_json(f"extracts/{sub.name}/state.json")
            except Exception:  # a damaged state file must not block every other extract
                continue
            if isinstance(st, dict):
                out.append(st)
    return out


def _jobs_held(state: Mapping[str, Any]) -> int:
    """How many jobs Freg may still count as running for a recorded extract.

    Its job until the end (``{}``) was read, within ``JOB_GUARD_HOURS`` of ordering; plus every
    order that may have reached Freg without an answer (``uncertain_orders``) in that window.
    """
    n = 0
    if state.get("job_id") and not state.get("end_reached") and state.get("status") != _DONE \
            and _age_hours(state.get("ordered_at")) < JOB_GUARD_HOURS:
        n += 1
    n += sum(1 for s in state.get("uncertain_orders") or [] if _age_hours(s) < JOB_GUARD_HOURS)
    return n


def _limit_message(name: str) -> str:
    return (f"Extract {name!r} could not be ordered: Freg answered 429 Too Many Requests to the order, also after "
            f"waiting the Retry-After time. Most likely your organisation already has {MAX_RUNNING_JOBS} extract "
            "jobs running (Freg's limit per organisation; jobs ordered by colleagues or other systems count "
            "too). Finish or wait for running extracts and try again later; freg_nb.list_extracts() shows "
            "those ordered from this data folder.")


def _describe_spec(spec: Mapping[str, Any]) -> str:
    if spec.get("kind") == "complete":
        what = f"complete extract at feedsekvensnr {spec.get('feedsekvensnr')}"
    else:
        what = f"tailored extract {json.dumps(spec.get('criteria'), ensure_ascii=False)}"
    parts = spec.get("parts")
    return f"{what}, role {spec.get('role')}" + (f", parts {parts}" if parts else "")


def list_extracts(*, client: Any = None) -> "pd.DataFrame":
    """The extracts recorded in the private data folder, one row each (newest first).

    Columns: ``navn``, ``type``, ``rolle``, ``status``, ``bestilt``, ``batcher``, ``identifikatorer``,
    ``rader``, ``feil``, ``kjorer`` (counts toward Freg's limit of 10 running jobs), ``parquet``.

    >>> freg_nb.list_extracts()                                  # doctest: +SKIP
    """
    import pandas as pd

    client = client or _default_client()
    rows = []
    for st in _all_states(_store_of(client)):
        rows.append({
            "navn": st.get("name"), "type": "tilpasset" if st.get("kind") == "tailored" else "komplett",
            "rolle": st.get("role"), "status": st.get("status"), "bestilt": st.get("ordered_at"),
            "batcher": len(st.get("batches") or []), "identifikatorer": st.get("ids_total"),
            "rader": st.get("rows"), "feil": st.get("errors"), "kjorer": _jobs_held(st) > 0,
            "parquet": st.get("parquet"),
        })
    cols = ["navn", "type", "rolle", "status", "bestilt", "batcher", "identifikatorer", "rader", "feil",
            "kjorer", "parquet"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values("bestilt", ascending=False, na_position="last", ignore_index=True)


def discard_extract(name: str, *, client: Any = None) -> bool:
    """Delete a recorded extract (its state, batches, raw answers and Parquet) from the data folder.

    Use it to start an extract over, or to stop counting an abandoned job toward the local limit
    of 10 running jobs. Returns whether anything was deleted. The job itself cannot be cancelled
    at Freg; it expires there on its own.
    """
    client = client or _default_client()
    folder = _store_of(client).resolve(f"extracts/{_check_name(name)}")
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


def _default_client():
    from .config import connect

    global _CLIENT
    if _CLIENT is None:
        _CLIENT = connect()
    return _CLIENT


_CLIENT = None



# --------------------------------------------------------------------------------------------
# Running an extract


@dataclass(frozen=True)
class ExtractProgress:
    """What ``on_batch`` receives after each completed batch (ids stored, persons fetched)."""

    name: str
    job_id: str
    batch: int          # the batch just completed (from 0)
    batches_done: int   # batches completed so far (this run and earlier ones)
    ids_total: int      # identifiers in the completed batches (their persons are stored)


class _Waiter:
    """Backoff while a batch is not ready (404), within one total time limit for the whole run."""

    def __init__(self, first: float, maximum: float, timeout: float):
        self.first, self.maximum, self.timeout = first, maximum, timeout
        self.waited = 0.0
        self.not_ready = 0
        self._next = first

    def reset(self) -> None:
        self._next = self.first

    def wait(self) -> float:
        left = self.timeout - self.waited
        if left <= 0:
            raise TimeoutError
        d = min(self._next, left)
        time.sleep(d)
        self.waited += d
        self.not_ready += 1
        self._next = min(self._next * 1.6, self.maximum)
        return d


class _Bar:
    """One tqdm.auto bar for the whole extract (persons), with a status text; or nothing."""

    def __init__(self, show: bool, name: str, total: int | None):
        self._bar = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=f"Uttrekk {name}", unit=" personer", initial=0)

    def status(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def add(self, n: int, total: int | None = None) -> None:
        if self._bar is not None:
            if total is not None:
                self._bar.total = total
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Run:
    """One run of one extract: order or resume, read batches, fetch persons, finish."""

    def __init__(self, client: Any, spec: dict, name: str | None, *, parts: list[str] | None,
                 wait_timeout: float, poll_interval: float, progress: bool,
                 on_batch: Callable[[ExtractProgress], None] | None, purpose: str | None = None):
        self.client = client
        self.spec = spec
        self.kind = spec["kind"]
        self.role = spec["role"]
        self.name = _check_name(name) if name is not None else _default_name(spec)
        self.parts = parts
        self.store = _store_of(client)
        self.rel = _state_rel(self.name)
        self.folder = self.store.resolve(f"extracts/{self.name}")
        self.waiter = _Waiter(poll_interval, max(poll_interval, 15.0), wait_timeout)
        self.progress = progress
        self.on_batch = on_batch
        self.purpose = purpose
        self.state: dict = {}

    # -- state ----------------------------------------------------------------------------
    def _save(self) -> None:
        self.state["updated_at"] = _now()
        self.store.write_json(self.rel, self.state)

    def _load_or_create(self) -> dict:
        st = self.store.read_json(self.rel)
        if st is not None:
            if st.get("spec") != self.spec:
                raise InputError(
                    f"An extract named {self.name!r} already exists in the data folder with other criteria "
                    f"({_describe_spec(st.get('spec') or {})}). Choose another name, or remove the old one "
                    f"with freg_nb.discard_extract({self.name!r}) to start over.")
            return st
        st = {"version": STATE_VERSION, "name": self.name, "kind": self.kind, "role": self.role,
              "spec": self.spec, "status": "new", "created_at": _now(), "job_id": None,
              "ordered_at": None, "uncertain_orders": [], "orders": 0, "batches": [],
              "end_reached": False, "ids_total": 0, "rows": None, "errors": None, "parquet": None}
        return st

    # -- ordering -------------------------------------------------------------------------
    def _guard(self) -> None:
        held = []
        for st in _all_states(self.store):
            if st.get("name") == self.name:
                n = sum(1 for s in st.get("uncertain_orders") or [] if _age_hours(s) < JOB_GUARD_HOURS)
            else:
                n = _jobs_held(st)
            if n:
                held.append((st.get("name"), n))
        total = sum(n for _, n in held)
        if total >= MAX_RUNNING_JOBS:
            names = ", ".join(f"{n!r}" + (f" (×{k})" if k > 1 else "") for n, k in held)
            raise ExtractError(
                f"{total} extract jobs ordered from this data folder are not finished: {names}. Freg allows at "
                f"most {MAX_RUNNING_JOBS} running extract jobs per organisation, so no new job was ordered "
                "(nothing was sent). Finish one by running it again with the same name (reading it to the end "
                "releases the job), or remove abandoned ones with freg_nb.discard_extract(name); "
                "freg_nb.list_extracts() shows them all.")

    def _order(self) -> None:
        self._guard()
        c = self.client
        self._bar.status("bestiller uttrekk …")
        try:
            if self.kind == "tailored":
                job = c.order_tailored_extract(self.role, self.spec["criteria"])
            else:
                job = c.order_complete_extract(self.role, self.spec.get("feedsekvensnr"))
        except ExtractOrderUncertain as e:
            self.state.setdefault("uncertain_orders", []).append(_now())
            self.state["status"] = "order-uncertain"
            self._save()
            raise ExtractOrderUncertain(
                f"Extract {self.name!r}: {e} It is recorded as a possibly running job (it counts toward the "
                "limit of 10 for a day). Run the same call again to order anew.", last_cause=e) from None
        except Throttled as e:
            raise ExtractError(_limit_message(self.name), status=429, error_id=e.error_id) from None
        except RetriesExhausted as e:
            if isinstance(e.last_cause, Throttled):
                raise ExtractError(_limit_message(self.name), status=429,
                                   error_id=getattr(e.last_cause, "error_id", None)) from None
            raise
        except AccessDenied as e:
            if self.kind == "complete":
                raise AccessDenied(
                    f"Role {self.role!r} may not order a complete extract. Complete extracts (uttrekk/komplett) "
                    "and archived lookups are only for roles «med hjemmel» (with a legal basis) that include the "
                    "extract service. Choose such a role, or use a tailored extract (read_tailored_extract). "
                    f"[{e}]", status=e.status, error_id=e.error_id) from None
            raise
        self.state.update(job_id=job, ordered_at=_now(), status="ordered", end_reached=False,
                          orders=int(self.state.get("orders") or 0) + 1)
        self._save()

    # -- batches --------------------------------------------------------------------------
    def _batch_rel(self, nr: int) -> str:
        return f"extracts/{self.name}/batches/{nr:06d}.json"

    def _persons_dir(self, nr: int) -> Path:
        return self.folder / "persons" / f"{nr:06d}"

    def _poll(self, nr: int) -> list[str] | None:
        """The ids of batch ``nr`` ([] at the end); None when the job has expired (410)."""
        self.waiter.reset()
        while True:
            try:
                got = self.client.extract_batch(self.role, self.state["job_id"], nr)
            except ApiError as e:
                if e.status == 410:
                    return None
                raise
            if got is not None:
                return got
            self._bar.status(f"batch {nr}: venter på Freg ({self.waiter.waited:.0f} s)")
            try:
                self.waiter.wait()
            except TimeoutError:
                raise ExtractError(
                    f"Extract {self.name!r}: batch {nr} was still not ready after waiting "
                    f"{self.waiter.waited:.0f} s in all (wait_timeout). The job is kept: run the same call again "
                    "later to go on waiting — nothing fetched so far is lost.") from None

    def _restart_expired(self) -> None:
        if self.state.get("restarted_this_run"):
            raise ExtractError(f"Extract {self.name!r}: the new job expired too (410). Try again later.")
        done = len(self.state["batches"])
        warnings.warn(f"Extract {self.name!r}: the job has expired at Freg (410 Gone) after {done} batch(es). "
                      "A new job is ordered and the extract starts over, so that the result is one "
                      "consistent snapshot.", stacklevel=4)
        for sub in ("batches", "persons"):
            shutil.rmtree(self.folder / sub, ignore_errors=True)
        self.state.update(job_id=None, batches=[], ids_total=0, end_reached=False, status="new",
                          restarted_this_run=True)
        self._save()
        self._order()

    def _fetch(self, nr: int, ids: list[str]) -> int:
        """Fetch the persons of one batch into ``persons/<nr>/`` with the lookup pipeline.

        ``lookups.fetch_bulk`` cuts the ids into bulk calls of ≤1000 (sorted, so the chunks of a
        batch are always the same) and runs them concurrently; chunks already stored by an
        interrupted run are reused, so a batch is never fetched twice in part or whole.
        Returns the number of bulk calls made.
        """
        from .lookups import fetch_bulk
        from .privacy import audit

        target = self.store.subdir(Path("extracts") / self.name / "persons" / f"{nr:06d}")
        stored = {p.name for p in target.glob("*.json") if not p.name.startswith(".")}
        if not stored:
            audit(self.store, "uttrekk" if self.kind == "tailored" else "uttrekk-komplett", role=self.role,
                  n_persons=len(ids), purpose=self.purpose, ids=ids if self.kind == "tailored" else ())
        got = fetch_bulk(self.client, ids, role=self.role, parts=self.parts, folder=target, store=self.store,
                         progress=False, reuse=stored, archived=self.kind == "complete")
        return int(got["calls"])

    # -- the run --------------------------------------------------------------------------
    def run(self):
        self.state = self._load_or_create()
        if self.state.get("status") == _DONE and self.state.get("parquet") and \
                self.store.resolve(self.state["parquet"]).is_file():
            return self.state, False
        self.state.pop("restarted_this_run", None)
        started = time.monotonic()
        before = self.client.stats.as_dict()
        self._bar = _Bar(self.progress, self.name, None)
        self._bar.add(sum(b["ids"] for b in self.state["batches"]))
        try:
            if not self.state.get("job_id"):
                self._order()
            nr = len(self.state["batches"])
            while not self.state["end_reached"]:
                stored = self.store.read_json(self._batch_rel(nr))
                ids = stored if isinstance(stored, list) else self._poll(nr)
                if ids is None:
                    self._restart_expired()
                    nr = 0
                    continue
                if not ids:
                    self.state.update(end_reached=True, status="fetched")
                    self._save()
                    break
                if stored is None:
                    self.store.write_json(self._batch_rel(nr), ids)
                self._bar.status(f"batch {nr}: henter {len(ids)} personer")
                calls = self._fetch(nr, ids)
                self.state["batches"].append({"nr": nr, "ids": len(ids), "calls": calls})
                self.state["ids_total"] = sum(b["ids"] for b in self.state["batches"])
                self.state["status"] = "fetching"
                self._save()
                self._bar.add(len(ids))
                if self.on_batch is not None:
                    self.on_batch(ExtractProgress(self.name, self.state["job_id"], nr, len(self.state["batches"]),
                                                  self.state["ids_total"]))
                nr += 1
            self._bar.status("lager tabell …")
            _finish(self)
            self._bar.status("ferdig")
        finally:
            self._bar.close()
            after = self.client.stats.as_dict()
            run_stats = {
                "seconds": round(time.monotonic() - started, 2),
                "calls": after["calls"] - before["calls"],
                "requests": after["requests"] - before["requests"],
                "retries": {k: v - before["retries"].get(k, 0) for k, v in after["retries"].items()
                            if v - before["retries"].get(k, 0)},
                "not_ready_polls": self.waiter.not_ready,
                "waited_s": round(self.waiter.waited, 2),
            }
            self.state.setdefault("runs", []).append({"at": _now(), **run_stats})
            self.state["last_run"] = run_stats
            if self.state.get("status") not in (_DONE, "failed", "order-uncertain") and self.state.get("job_id"):
                self.state["status"] = "interrupted"
            self._save()
        return self.state, True


# --------------------------------------------------------------------------------------------
# Public entry points


def _parts_of(client: Any, role: str, parts: Sequence[str] | str | None) -> list[str] | None:
    """The parts to fetch, checked before anything is sent (the lookup pipeline's rules: known
    names; the role's allowed parts when known; a role without the whole person-basis gets what
    it has of it)."""
    from .lookups import _check_parts

    checked = _check_parts(client, role, parts, False)
    return sorted(checked) if checked else None


def _result(run: _Run, state: dict, *, show_ids: bool) -> "pd.DataFrame":
    import pandas as pd

    from .privacy import flag_unknown_protection, mask_ids

    df = flag_unknown_protection(pd.read_parquet(run.store.resolve(state["parquet"])), run.parts)
    if not show_ids:
        df = mask_ids(df)
    df.attrs["uttrekk"] = {
        "navn": state["name"], "type": "tilpasset" if state["kind"] == "tailored" else "komplett",
        "rolle": state["role"], "jobbId": state["job_id"], "batcher": len(state["batches"]),
        "identifikatorer": state["ids_total"], "rader": state["rows"], "feil": state["errors"],
        "parquet": str(run.store.resolve(state["parquet"])), "kjoering": state.get("last_run"),
    }
    return df


def read_tailored_extract(
    role: str,
    *,
    personstatustyper: Sequence[str] | str = ("bosatt",),
    bostedskommunenummer: str | None = None,
    oppholdskommunenummer: str | None = None,
    foedselsaar_fra_og_med: int | str | None = None,
    foedselsaar_til_og_med: int | str | None = None,
    doedsaar_fra_og_med: int | str | None = None,
    doedsaar_til_og_med: int | str | None = None,
    kjoenn: str | None = None,
    statsborgerskap: str | None = None,
    sivilstandstype: str | None = None,
    name: str | None = None,
    parts: Sequence[str] | str | None = None,
    show_ids: bool = False,
    client: Any = None,
    wait_timeout: float = 1800.0,
    poll_interval: float = 1.0,
    progress: bool = True,
    on_batch: Callable[[ExtractProgress], None] | None = None,
    purpose: str | None = None,
) -> "pd.DataFrame":
    """Order a tailored extract (uttrekk/tilpasset) and return its persons as a DataFrame.

    The criteria are Freg's (``TilpassetUttrekkJobbRequest``) and are checked before anything is
    sent (see ``tailored_criteria``). The extract is recorded under ``name`` in the private data
    folder (default: derived from role, criteria and parts): calling again with the same name and
    criteria resumes an interrupted run from its last completed batch, or reads the finished result
    without any request. The persons are also written to ``extracts/<name>/persons.parquet``.

    ``parts`` limits what is fetched per person (default: person-basis; a role without the whole
    person-basis must name parts it has). Identifiers are masked unless ``show_ids=True``; persons
    with protected addresses (fortrolig / strengt fortrolig) have their addresses blanked and are
    flagged ``adressebeskyttet``. ``wait_timeout`` bounds the total time spent waiting for batches
    that are not ready (404). ``on_batch(ExtractProgress)`` is called after each completed batch.
    ``purpose`` is recorded in the audit log of the data folder with each batch fetched.
    ``df.attrs["uttrekk"]`` holds the job id, counts and the figures of the run.

    >>> import freg_nb
    >>> fem = freg_nb.read_tailored_extract(                               # doctest: +SKIP
    ...     "analyse", bostedskommunenummer="0301",
    ...     foedselsaar_fra_og_med=2020, foedselsaar_til_og_med=2020, name="femaaringer-0301")
    >>> freg_nb.summarize_extract(fem, by="kjoenn")                          # doctest: +SKIP
    """
    criteria = tailored_criteria(
        personstatustyper=personstatustyper, bostedskommunenummer=bostedskommunenummer,
        oppholdskommunenummer=oppholdskommunenummer, foedselsaar_fra_og_med=foedselsaar_fra_og_med,
        foedselsaar_til_og_med=foedselsaar_til_og_med, doedsaar_fra_og_med=doedsaar_fra_og_med,
        doedsaar_til_og_med=doedsaar_til_og_med, kjoenn=kjoenn, statsborgerskap=statsborgerskap,
        sivilstandstype=sivilstandstype)
    client = client or _default_client()
    _, role_name = client.resolve_role(role)
    spec = {"kind": "tailored", "role": role_name, "criteria": criteria, "parts": _parts_of(client, role, parts)}
    _check_run_options(wait_timeout, poll_interval)
    run = _Run(client, spec, name, parts=spec["parts"], wait_timeout=wait_timeout, poll_interval=poll_interval,
               progress=progress, on_batch=on_batch, purpose=purpose)
    state, _fresh = run.run()
    return _result(run, state, show_ids=show_ids)


def read_complete_extract(
    role: str,
    *,
    feedsekvensnr: int | None = None,
    name: str | None = None,
    parts: Sequence[str] | str | None = None,
    show_ids: bool = False,
    client: Any = None,
    wait_timeout: float = 3600.0,
    poll_interval: float = 1.0,
    progress: bool = True,
    on_batch: Callable[[ExtractProgress], None] | None = None,
    purpose: str | None = None,
) -> "pd.DataFrame":
    """Order a complete extract (uttrekk/komplett) valid at ``feedsekvensnr`` and return its persons.

    Only for roles «med hjemmel». Freg's batches hold document ids (``dokumentidentifikator``);
    the persons are fetched as those documents (bulkoppslag/arkiv), ≤1000 per call, concurrently.
    ``feedsekvensnr=None`` asks for the newest state. Resuming, naming, masking, protected
    addresses and ``on_batch`` work as in ``read_tailored_extract``.

    >>> import freg_nb
    >>> alle = freg_nb.read_complete_extract("analyse", feedsekvensnr=120_000)   # doctest: +SKIP
    """
    if feedsekvensnr is not None:
        if isinstance(feedsekvensnr, bool) or not (isinstance(feedsekvensnr, int) or
                                                   (isinstance(feedsekvensnr, str) and feedsekvensnr.isdigit())):
            raise InputError(f"feedsekvensnr must be a non-negative whole number (a sequence number of the "
                             f"hendelser feed), got {feedsekvensnr!r}. Nothing was sent.")
        feedsekvensnr = int(feedsekvensnr)
        if feedsekvensnr < 0:
            raise InputError("feedsekvensnr must not be negative. Nothing was sent.")
    client = client or _default_client()
    _, role_name = client.resolve_role(role)
    spec = {"kind": "complete", "role": role_name, "feedsekvensnr": feedsekvensnr,
            "parts": _parts_of(client, role, parts)}
    _check_run_options(wait_timeout, poll_interval)
    run = _Run(client, spec, name, parts=spec["parts"], wait_timeout=wait_timeout, poll_interval=poll_interval,
               progress=progress, on_batch=on_batch, purpose=purpose)
    state, _fresh = run.run()
    return _result(run, state, show_ids=show_ids)


def _check_run_options(wait_timeout: float, poll_interval: float) -> None:
    problems = []
    if not isinstance(wait_timeout, (int, float)) or wait_timeout <= 0:
        problems.append(f"wait_timeout must be a positive number of seconds, got {wait_timeout!r}")
    if not isinstance(poll_interval, (int, float)) or poll_interval <= 0:
        problems.append(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
    if problems:
        raise InputError("; ".join(problems) + ". Nothing was sent.")


# --------------------------------------------------------------------------------------------
# Finishing: flatten, reconcile, Parquet


def _finish(run: _Run) -> None:
    """Flatten the stored answers with DuckDB, reconcile the counts, write the Parquet (sorted by id)."""
    from . import tables

    st = run.state
    folder = run.folder / "persons"
    files = tables.source_files(folder) if folder.is_dir() else []
    ids_total = sum(b["ids"] for b in st["batches"])
    target = run.folder / "persons.parquet"
    con = tables.connect()
    try:
        if files:
            con.execute(f"CREATE TEMP TABLE persons AS {tables.persons_sql(files, show_ids=True)}")
            n_err = len(tables.errors_table(files, con=con))
        else:  # an extract that matched no one: an empty table with the usual columns
            con.register("empty_persons", tables.persons_table([]))
            con.execute("CREATE TEMP TABLE persons AS SELECT * FROM empty_persons")
            n_err = 0
        rows, distinct, no_id = con.execute(
            "SELECT count(*), count(DISTINCT foedselsEllerDNummer), count(*) - count(foedselsEllerDNummer) "
            "FROM persons").fetchone()
        if rows + n_err != ids_total:
            st["status"] = "failed"
            raise ExtractError(
                f"Extract {run.name!r} does not add up: the batches held {ids_total} identifiers, but the stored "
                f"answers hold {rows} persons and {n_err} per-person errors ({rows + n_err}). Nothing was "
                f"written as the result. Remove it with freg_nb.discard_extract({run.name!r}) and order it again; "
                "if it happens again, report it (it means answers were lost or repeated).")
        if distinct + no_id != rows:
            st["status"] = "failed"
            raise ExtractError(
                f"Extract {run.name!r}: {rows - distinct - no_id} person(s) appear more than once in the answers "
                "(Freg returned an identifier in more than one batch). Nothing was written as the result; "
                f"remove it with freg_nb.discard_extract({run.name!r}) and order it again.")
        tmp = run.store.temp_path(target)
        escaped = str(tmp).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM persons ORDER BY foedselsEllerDNummer) TO '{escaped}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        run.store.commit_temp(tmp, target)
    finally:
        con.close()
    st.update(status=_DONE, rows=int(rows), errors=int(n_err), ids_total=ids_total,
              parquet=str(target.relative_to(run.store.path)), finished_at=_now())
    run._save()


# --------------------------------------------------------------------------------------------
# Summaries (suppressed) and export

SUMMARY_DIMENSIONS = ("kommunenummer", "aldersgruppe", "kjoenn", "status", "statsborgerskap", "sivilstand",
                      "foedselsaar")
UNKNOWN = "uoppgitt"


def _age_band(alder: "pd.Series", band: int, max_age: int) -> "pd.Series":
    import numpy as np
    import pandas as pd

    if not isinstance(band, int) or isinstance(band, bool) or band < 1:
        raise InputError(f"age_band must be a whole number of years ≥ 1, got {band!r}.")
    labels = _band_labels(band, max_age)
    a = pd.to_numeric(alder, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    idx = np.where(np.isnan(a), -1, np.minimum(np.floor(np.nan_to_num(a) / band), len(labels) - 1)).astype(int)
    cat = pd.Categorical.from_codes(idx, categories=labels)
    return pd.Series(cat, index=alder.index, name="aldersgruppe")


def _band_labels(band: int, max_age: int) -> list[str]:
    top = (max_age // band) * band
    labels = [f"{lo}–{lo + band - 1}" if band > 1 else str(lo) for lo in range(0, top, band)]
    return labels + [f"{top}+"]


def summarize_extract(df: "pd.DataFrame", by: str | Sequence[str] = "kommunenummer", *,
                      threshold: int | None = None, age_band: int = 10, max_age: int = 90) -> "pd.DataFrame":
    """Counts of persons in an extract by one or two dimensions, with small cells suppressed.

    ``by``: ``kommunenummer`` (with ``kommunenavn``), ``aldersgruppe`` (bands of ``age_band``
    years, the last one ``max_age+``), ``kjoenn``, ``status``, ``statsborgerskap`` (a person with
    several citizenships is counted once for each), ``sivilstand``, ``foedselsaar`` or any other
    column; or a pair of them for a two-way table (long form). Missing values are counted as
    ``uoppgitt`` — this includes persons whose address is protected, whose municipality is never
    shown. Counts from 1 to ``threshold - 1`` (default ``FREG_NB_SMALL_CELL`` or 5, never below 3)
    are shown as ``:`` with a footnote, with secondary suppression so that no hidden count can be
    narrowed down from what is published together (``privacy.count_table``). The ``antall``
    column therefore holds text.

    >>> freg_nb.summarize_extract(df, by="kjoenn")                        # doctest: +SKIP
      kjoenn antall
    0 kvinne     41
    1   mann     38
    """
    import pandas as pd

    from . import privacy

    dims = [by] if isinstance(by, str) else list(by)
    if not 1 <= len(dims) <= 2:
        raise InputError("summarize_extract: give one dimension or a pair, e.g. by=['aldersgruppe', 'kjoenn'].")
    cols = {}
    for d in dims:
        if d == "aldersgruppe":
            if "alder" not in df.columns:
                raise InputError("summarize_extract: the table has no 'alder' column to make age groups from.")
            cols[d] = _age_band(df["alder"], age_band, max_age)
        elif d.lower() in privacy.ID_COLUMNS or d.lower().endswith("foedselsellerdnummer"):
            raise InputError(f"summarize_extract: {d!r} is an identifier column; an aggregate never shows "
                             "identifiers. Count by kommunenummer, aldersgruppe, kjoenn, … instead.")
        elif d in df.columns:
            s = df[d].astype("object")
            cols[d] = s.where(s.notna() & (s.astype(str).str.strip() != ""), UNKNOWN)
        else:
            raise InputError(f"summarize_extract: no column {d!r}; choose from {', '.join(SUMMARY_DIMENSIONS)} "
                             f"or one of the table's columns.")
    frame = pd.DataFrame(cols, index=df.index)
    frame["_beskyttet"] = privacy.protected_or_unknown(df)
    if "statsborgerskap" in dims:
        frame["statsborgerskap"] = frame["statsborgerskap"].astype(str).str.split(",")
        frame = frame.explode("statsborgerskap")
    table = privacy.count_table(frame, dims, threshold=threshold, protected=frame["_beskyttet"])
    if dims == ["kommunenummer"]:
        from .kommuner import kommunenavn

        table.insert(1, "kommunenavn", [kommunenavn(k) or "" for k in table["kommunenummer"].astype(str)])
    return table.reset_index(drop=True)


def age_pyramid_table(df: "pd.DataFrame", *, band: int = 5, max_age: int = 90,
                      threshold: int | None = None) -> "pd.DataFrame":
    """Persons by age group (rows, youngest first) and sex (columns ``kvinne``, ``mann``), suppressed.

    Every age group from 0 to ``max_age+`` is present. Small cells show as ``:`` (with secondary
    suppression across both rows and columns). Feed it to ``freg_nb.plots.uttrekk.age_pyramid``.
    Persons without a known age or sex are left out.

    >>> t = freg_nb.age_pyramid_table(df, band=10)                        # doctest: +SKIP
    """
    import pandas as pd

    from . import privacy

    for col in ("alder", "kjoenn"):
        if col not in df.columns:
            raise InputError(f"age_pyramid_table: the table has no {col!r} column.")
    groups = _age_band(df["alder"], band, max_age)
    frame = pd.DataFrame({"aldersgruppe": groups, "kjoenn": df["kjoenn"].astype("object")}, index=df.index)
    long = privacy.count_table(frame, ["aldersgruppe", "kjoenn"], threshold=threshold)
    wide = long.pivot(index="aldersgruppe", columns="kjoenn", values="antall")
    wide = wide.reindex(index=_band_labels(band, max_age), columns=list(KJOENN)).reset_index()
    wide.columns = ["aldersgruppe", *KJOENN]
    return privacy.with_footnote(wide)


EXPORT_FORMATS = ("parquet", "csv", "xlsx")
EXCEL_MAX_ROWS = 1_048_575


def export_extract(extract: "str | pd.DataFrame", *, formats: Sequence[str] | str = ("parquet", "csv"),
                   show_ids: bool = False, client: Any = None) -> dict[str, Path]:
    """Export a finished extract to files in the private data folder: ``extracts/<name>/eksport/``.

    ``extract`` is the extract's name or the DataFrame ``read_*_extract`` returned. The export is
    made from the stored Parquet; identifiers are masked unless ``show_ids=True``, and persons
    with protected addresses have every address value — municipality included — blanked
    (``privacy.drop_protected_addresses``). ``formats``: any of ``parquet``, ``csv``, ``xlsx``.
    Returns ``{format: path}``.

    >>> paths = freg_nb.export_extract("femaaringer-0301", formats=["csv", "xlsx"])  # doctest: +SKIP
    """
    import pandas as pd

    from . import privacy

    if isinstance(extract, pd.DataFrame):
        info = extract.attrs.get("uttrekk") or {}
        name = info.get("navn")
        if not name:
            raise InputError("export_extract: this DataFrame does not come from read_tailored_extract / "
                             "read_complete_extract; pass the extract's name instead.")
    else:
        name = _check_name(extract)
    fmts = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fmts if f not in EXPORT_FORMATS]
    if bad or not fmts:
        raise InputError(f"export_extract: unknown format(s) {bad or fmts}; choose from {', '.join(EXPORT_FORMATS)}.")
    client = client or _default_client()
    store = _store_of(client)
    st = store.read_json(_state_rel(name))
    if not st or st.get("status") != _DONE or not st.get("parquet"):
        raise InputError(f"export_extract: extract {name!r} is not finished in this data folder; run it first "
                         "(freg_nb.list_extracts() shows the recorded ones).")
    df = pd.read_parquet(store.resolve(st["parquet"]))
    df = privacy.drop_protected_addresses(df)
    df = privacy.mask_ids(df, show=show_ids)
    out: dict[str, Path] = {}
    for fmt in fmts:
        target = store.resolve(f"extracts/{name}/eksport/{name}.{fmt}")
        tmp = store.temp_path(target)
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        elif fmt == "csv":
            df.to_csv(tmp, index=False, encoding="utf-8")
        else:
            if len(df) > EXCEL_MAX_ROWS:
                tmp.unlink()
                raise InputError(f"export_extract: {len(df)} rows do not fit in one Excel sheet; use parquet or csv.")
            plain = df.copy()
            for c in plain.columns:
                if not pd.api.types.is_numeric_dtype(plain[c]) or pd.api.types.is_bool_dtype(plain[c]):
                    plain[c] = plain[c].astype("object").where(plain[c].notna(), None)
            plain.to_excel(tmp, index=False, engine="openpyxl", sheet_name="uttrekk")
        out[fmt] = store.commit_temp(tmp, target)
    return out
