"""Leak scans: with canary secrets and canary identifiers, run the flows and every notebook, then
scan everything a user or an incident could see — logs (DEBUG, freg_nb + httpx + httpcore),
exception texts, the private data folder (every file, Parquet and Excel decoded too), executed
notebooks and their HTML reports.

Rules checked: zero secrets anywhere (integration password, certificate password, private key
PEM body, access tokens — also any JWT-shaped string); identifiers only masked in logs, exception
texts and notebook outputs (the data folder may hold full ids: it is the private store).
"""
from __future__ import annotations

import json
import logging
import re
import traceback
import zipfile
from pathlib import Path

import pytest

from freg_nb import (
    FregClient, IntegrationRejected, MaskinportenError, RetryPolicy, Settings, TokenRejected, ids as _ids,
)
from freg_nb.config import Secret

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ID11 = re.compile(r"(?<![0-9a-fA-F])\d{11}(?![0-9a-fA-F])")  # not digits inside a hex hash or document id
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
CANARY_PW = "CANARY-integrasjonspassord-7f3a9c"
CANARY_CERT_PW = "CANARY-sertifikatpassord-51be02"


def _pem_secrets(pem: bytes | str) -> list[str]:
    """The body lines of a PEM private key (each one alone must never appear)."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    return [line for line in text.splitlines() if line and not line.startswith("-----")]


def _canary_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _leaked(text: str, secrets: list[str]) -> list[str]:
    found = [s[:5] + "…" for s in secrets if s and s in text]
    found += [f"JWT {m[:12]}…" for m in JWT.findall(text)]
    return found


def _full_ids(text: str) -> list[str]:
    return sorted({_ids.mask(m) for m in ID11.findall(text) if _ids.is_valid(m)})


def _decoded(path: Path) -> str:
    """A file's bytes as text, plus — for compressed formats — their decoded content."""
    data = path.read_bytes()
    parts = [data.decode("utf-8", "replace")]
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False))
        parts.append(json.dumps({k.decode(errors="replace"): v.decode(errors="replace")
                                 for k, v in (pq.read_metadata(path).metadata or {}).items()}))
    elif data[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    return "\n".join(parts)


def _scan_folder(root: Path, secrets: list[str], *, skip: tuple[str, ...] = ()) -> tuple[int, list[str]]:
    n, problems = 0, []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or (rel.parts and rel.parts[0] in skip):
            continue
        n += 1
        bad = _leaked(_decoded(p), secrets)
        if bad:
            problems.append(f"{rel}: {bad}")
    return n, problems


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))  # includes exc_info tracebacks

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(scope="module")
def captured_logs():
    """DEBUG logs of freg_nb, httpx and httpcore for the whole module (caplog is per test)."""
    handler = _Capture()
    saved = {}
    for name in ("freg_nb", "httpx", "httpcore"):
        lg = logging.getLogger(name)
        saved[name] = lg.level
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)
    yield handler
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).removeHandler(handler)


class Run:
    pass


def _record_tokens(fc: FregClient, issued: list[str]) -> None:
    """Capture every access token the client's token provider is issued."""
    original = fc.tokens._fetch

    def fetch():
        tok = original()
        issued.append(tok.value.reveal())
        return tok

    fc.tokens._fetch = fetch


@pytest.fixture(scope="module")
def flows(sandbox, tmp_path_factory, captured_logs):
    """Lookups, an extract, a feed read, the doctor and the error paths, with canaries configured."""
    import freg_nb
    from freg_nb import diagnose
    from freg_nb.events import event_changes, read_events
    from freg_nb.lookups import lookup_person, lookup_persons

    c = sandbox.credentials
    pop = sandbox.population
    r = Run()
    r.data = tmp_path_factory.mktemp("leaks") / "data"
    r.tokens: list[str] = []
    r.errors: list[BaseException] = []
    r.canary_key = _canary_key()
    r.ids = [pop.identifier(i) for i in range(0, 60, 3)]
    r.secrets = [c.integration_password, c.cert_password, CANARY_PW, CANARY_CERT_PW,
                 *_pem_secrets(c.key_file.read_bytes()), *_pem_secrets(r.canary_key)]
    settings = Settings.for_sandbox(sandbox, data_dir=r.data)
    kid_settings = Settings.for_sandbox(sandbox, key="kid", data_dir=r.data)

    with FregClient(settings, progress=False) as fc, FregClient(kid_settings, progress=False) as fk:
        _record_tokens(fc, r.tokens)
        _record_tokens(fk, r.tokens)
        r.lookup = lookup_persons(fc, r.ids, role="barnevern", purpose="leak-test", history=True, progress=False)
        r.single = lookup_person(fk, r.ids[0], role="eiendomsskatt", purpose="leak-test")
        r.lookup.export(["csv", "xlsx", "parquet"], name="leak")
        r.extract = freg_nb.read_tailored_extract(fc, role="analyse", foedselsaarFraOgMed=1990,
                                                  foedselsaarTilOgMed=2000, progress=False,
                                                  name="leak", purpose="leak-test")
        freg_nb.export_extract(fc, "leak", formats=["parquet", "csv", "xlsx"])
        r.events = read_events(fc, roles=["analyse", "skole"], progress=False)
        r.changes = event_changes(fc, role="analyse", sample=100)
        r.diagnosis = diagnose.run(settings=settings)
        r.shown = [repr(x) for x in (settings, kid_settings, settings.describe(), fc, fc.tokens, fc.auth,
                                     r.lookup, r.diagnosis)] + [r.diagnosis.as_text(), r.diagnosis._repr_html_()]
        # error paths: a person the role may not see parts of, an unknown person, invalid input
        for call in (lambda: fc.person("skole", r.ids[1], parts=["historikk"]),
                     lambda: fc.person("barnevern", "01018099992"),
                     lambda: lookup_persons(fc, [r.ids[2][:-1] + str((int(r.ids[2][-1]) + 1) % 10)],
                                            role="skole")):
            try:
                call()
            except Exception as e:  # noqa: BLE001 - every error text is scanned
                r.errors.append(e)

    # canary secrets configured: wrong integration password, wrong certificate password, a key
    # Maskinporten does not know
    wrong = [settings.with_overrides(integration_password=CANARY_PW),
             settings.with_overrides(cert_password=CANARY_CERT_PW),
             Settings.for_sandbox(sandbox, key="kid", data_dir=r.data).with_overrides(
                 private_key=Secret(r.canary_key))]
    for s, expected in zip(wrong, (IntegrationRejected, MaskinportenError, MaskinportenError)):
        with pytest.raises(expected) as ei:  # a bad .p12 password fails when the client is made
            with FregClient(s, progress=False, retry=RetryPolicy(max_attempts=1)) as bad:
                _record_tokens(bad, r.tokens)
                lookup_persons(bad, r.ids[:3], role="skole", progress=False)
        r.errors.append(ei.value)
        r.errors.append(diagnose.run(settings=s))  # the doctor explains the same failure
    # a token Fiks cannot validate (tampered signature): 401, renewed, still refused → TokenRejected
    with FregClient(settings, progress=False, retry=RetryPolicy(max_attempts=1)) as fc:
        _record_tokens(fc, r.tokens)
        real = fc.tokens.token().reveal()
        forged = real[:-6] + ("AAAAAA" if not real.endswith("AAAAAA") else "BBBBBB")
        r.tokens.append(forged)
        fc.tokens.token = lambda: Secret(forged)
        fc.tokens.invalidate = lambda *a, **k: None
        with pytest.raises(TokenRejected) as ei:
            fc.person("skole", r.ids[0])
        r.errors.append(ei.value)
    r.secrets += r.tokens
    r.log = captured_logs
    return r


def test_canaries_are_live(flows):
    # the scan below only means something if the canaries really were in play
    assert len(flows.tokens) >= 4 and all(JWT.fullmatch(t) for t in flows.tokens[:2])
    assert len(flows.lookup.persons) == len(flows.ids)
    assert len(flows.extract) > 20 and len(flows.events) > 20
    assert "HTTP Request: GET" in flows.log.text and "req=" in flows.log.text
    assert any(isinstance(e, IntegrationRejected) for e in flows.errors)
    assert any(isinstance(e, TokenRejected) for e in flows.errors)
    assert sum(isinstance(e, MaskinportenError) for e in flows.errors) == 2


def test_logs_hold_no_secret_and_only_masked_identifiers(flows):
    text = flows.log.text
    assert not _leaked(text, flows.secrets)
    assert not _full_ids(text), "full identifiers in the log"
    assert not any(i in text for i in flows.ids)
    assert flows.ids[0][:6] + "*****" in text


def test_exception_texts_hold_no_secret_and_no_full_identifier(flows):
    texts = []
    for e in flows.errors:
        if isinstance(e, BaseException):
            texts.append("".join(traceback.format_exception(e)) + repr(e) + repr(getattr(e, "args", "")))
        else:  # a Diagnosis
            texts.append(e.as_text() + e._repr_html_() + repr(e))
    text = "\n".join(texts)
    assert not _leaked(text, flows.secrets)
    assert not _full_ids(text)


def test_displays_hold_no_secret_and_no_full_identifier(flows):
    text = "\n".join(flows.shown) + flows.lookup._repr_html_() + flows.single._repr_html_()
    for df in (flows.lookup.persons, flows.lookup.history("navn"), flows.lookup.relations, flows.extract,
               flows.events, flows.changes):
        text += df.to_html() + df.to_csv()
    assert not _leaked(text, flows.secrets)
    assert not _full_ids(text)


def test_data_folder_holds_no_secret_anywhere(flows):
    n, problems = _scan_folder(flows.data, flows.secrets)
    assert n > 15 and not problems, problems
    # it is the private store: full ids are allowed there (and are there, e.g. the raw answers)
    raw = "".join(p.read_text(errors="replace") for p in flows.data.rglob("raw/**/*.json"))
    assert flows.ids[0] in raw


# ---- notebooks: every notebooks/*.ipynb, executed once against the sandbox -------------------------------
@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    from freg_nb.demo import run_all
    from freg_nb.sandbox.pki import load_or_create

    assert NOTEBOOKS, "no notebooks found"
    root = tmp_path_factory.mktemp("nb-leaks")
    out, data = root / "reports", root / "data"
    runs = run_all(NOTEBOOKS, out, data_dir=data, timeout=300)
    c = load_or_create(data).credentials  # the same PKI the kernels' sandbox used (data/sandbox/)
    secrets = [c.integration_password, c.cert_password, *_pem_secrets(c.key_file.read_bytes())]
    return runs, out, data, secrets


def _outputs(nb: dict) -> str:
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) or []:
            texts.append(json.dumps(out, ensure_ascii=False))
    return "\n".join(texts)


def _sources(nb: dict) -> str:
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"])


@pytest.mark.slow
def test_every_notebook_ran_and_its_outputs_and_report_are_clean(notebook_run):
    runs, out, data, secrets = notebook_run
    assert [r.notebook for r in runs] == [p.stem for p in NOTEBOOKS]  # notebooks added later are included
    assert (data / "sandbox" / "state.json").exists(), "the kernels did not use this data folder"
    problems = []
    for run in runs:
        assert run.ok, f"{run.notebook}: {run.error}"
        nb = json.loads(run.executed.read_text(encoding="utf-8"))
        outputs = _outputs(nb)
        assert outputs.strip(), f"{run.notebook}: no outputs — was it executed?"
        problems += [f"{run.notebook} outputs: {b}" for b in _leaked(outputs, secrets)]
        problems += [f"{run.notebook} outputs: full id {m}" for m in _full_ids(outputs)]
        # the HTML repeats the (committed, synthetic) source; any other full id came from an output
        html = run.html.read_text(encoding="utf-8")
        allowed = set(ID11.findall(_sources(nb)))
        problems += [f"{run.notebook}.html: {b}" for b in _leaked(html, secrets)]
        problems += [f"{run.notebook}.html: full id {_ids.mask(m)}" for m in set(ID11.findall(html)) - allowed
                     if _ids.is_valid(m)]
    for extra in ("summary.md", "summary.json"):
        problems += [f"{extra}: {b}" for b in _leaked((out / extra).read_text(encoding="utf-8"), secrets)]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_notebook_data_folder_holds_no_secret_outside_the_sandbox_pki(notebook_run):
    _runs, _out, data, secrets = notebook_run
    # data/sandbox/ is the sandbox's own PKI (its secrets live there by design); nothing else may
    _n, problems = _scan_folder(data, secrets, skip=("sandbox",))
    assert not problems, problems
    for p in data.rglob("*"):
        assert (p.stat().st_mode & 0o777) == (0o700 if p.is_dir() else 0o600), p
    assert (data.stat().st_mode & 0o777) == 0o700
