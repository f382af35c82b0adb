"""Reports, logs, secrets, folders and the audit log (issue 15, points 3 and 4)."""
from __future__ import annotations

import logging
import os
import re
import stat
import traceback
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from freg_nb import audit as _audit, ids as _ids
from freg_nb.errors import InputError
from freg_nb.store import DataDir

ID11 = re.compile(r"(?<!\d)\d{11}(?!\d)")


def test_demo_report_with_ids_parameter_holds_no_full_id(sandbox, tmp_path):
    from freg_nb.cli import main

    pop = sandbox.population
    given = [pop.identifier(i) for i in range(3)]
    out = tmp_path / "reports"
    rc = main(["demo", "--out", str(out), "-p", "ids", " ".join(given), "01_oppslag"])
    assert rc == 0, (out / "summary.md").read_text()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".ipynb", ".html"}
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    assert given[0][:6] + "*****" in text  # the parameter is there, masked
    full = {m for m in ID11.findall(text) if _ids.is_valid(m)}
    assert not full & set(given) and not full, f"full ids in the report: {sorted(full)[:3]}"


def test_search_query_values_are_redacted_in_the_httpx_log(caplog):
    from freg_nb import client, logs  # noqa: F401 — importing the client installs the filter

    assert logs._httpx_filter in logging.getLogger("httpx").filters
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1/x/v1/soek?navn=Ola%20Nordmann'
                                        '&foedselsdato=1990-01-01&seq=5 "HTTP/1.1 200 OK"')
    line = caplog.records[-1].getMessage()
    assert "Nordmann" not in line and "1990-01-01" not in line
    assert "navn=***" in line and "seq=5" in line


def test_p12_password_is_in_no_frame_of_ours(sandbox, tmp_path):
    from freg_nb import Settings
    from freg_nb.auth import AssertionSigner

    settings = Settings.for_sandbox(sandbox, data_dir=tmp_path / "d", key="x5c")
    password = str(settings.cert_password.reveal())
    broken = settings.__class__(**{**settings.__dict__, "cert_file": tmp_path / "none.p12"})
    (tmp_path / "none.p12").write_bytes(b"not a p12")
    try:
        AssertionSigner.from_settings(broken)
    except Exception as exc:
        tb = traceback.TracebackException.from_exception(exc.__context__ or exc, capture_locals=True)
        text = "".join(tb.format())
        assert password not in text and repr(password.encode()) not in text
    else:
        pytest.fail("a broken .p12 must be refused")
    AssertionSigner.from_settings(settings)  # and the right one still opens


def test_data_dir_parents_are_created_0700(tmp_path):
    old = os.umask(0)
    try:
        DataDir(tmp_path / "a" / "b" / "data")
    finally:
        os.umask(old)
    for p in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "data"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p


@pytest.fixture
def keydir(tmp_path, monkeypatch):
    monkeypatch.setenv("FREG_NB_AUDIT_KEY_DIR", str(tmp_path / "nøkkel"))
    return tmp_path / "nøkkel"


def test_audit_record_has_user_role_purpose_and_keyed_hashes_kept_apart(tmp_path, keydir, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "analytiker1")
    store = DataDir(tmp_path / "data")
    rec = _audit.audit(store, "oppslag", role="skole", n_persons=1, purpose="sak 2024/1 gjelder 09052400284",
                       ids=["09052400284"])
    line = store.audit_log_path.read_text()
    assert rec["user"] == "analytiker1" and rec["role"] == "skole" and rec["action"] == "oppslag"
    assert "09052400284" not in line and "090524*****" in line
    key = keydir / "audit.key"
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not any("key" in p.name or "salt" in p.name for p in store.path.iterdir())
    import hashlib
    import hmac
    want = hmac.new(bytes.fromhex(key.read_text().strip()), b"09052400284", hashlib.sha256).hexdigest()
    assert rec["ids_hmac"] == [want]


def test_purpose_is_required_outside_the_sandbox(tmp_path, keydir):
    store = DataDir(tmp_path / "data")
    with pytest.raises(InputError, match="formålet"):
        _audit.audit(store, "oppslag", role="skole", n_persons=1, purpose="  ", sandbox=False)
    assert not store.audit_log_path.exists()


def test_purge_folds_old_audit_records_into_counts(tmp_path, keydir):
    store = DataDir(tmp_path / "data")
    for _ in range(3):
        _audit.audit(store, "oppslag", role="skole", n_persons=4, purpose="x", ids=["09052400284"])
    lines = store.audit_log_path.read_bytes().splitlines()
    old = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat().replace("+00:00", "Z")
    recs = [orjson.loads(x) for x in lines]
    recs[0]["time"] = recs[1]["time"] = old
    store.write_bytes("audit.log", b"".join(orjson.dumps(r) + b"\n" for r in recs))
    store.purge(dry_run=False)
    after = [orjson.loads(x) for x in store.audit_log_path.read_bytes().splitlines()]
    counts = [r for r in after if r.get("type") == "antall"]
    assert len(counts) == 1 and counts[0]["operations"] == 2 and counts[0]["n_persons"] == 8
    assert "ids_hmac" not in counts[0] and "purpose" not in counts[0]
    assert sum(1 for r in after if r.get("ids_hmac")) == 1
