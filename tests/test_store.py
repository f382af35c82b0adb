"""store: the private data folder (0700/0600, atomic writes, retention, purge)."""
from __future__ import annotations

import io
import os
import time
from argparse import Namespace
from pathlib import Path

import pytest

from freg_nb import store as store_mod
from freg_nb.store import DataDir


def _mode(p: Path) -> str:
    return oct(p.stat().st_mode & 0o777)


@pytest.fixture
def loose_umask():
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_modes_do_not_depend_on_umask(tmp_path, loose_umask):
    d = DataDir(tmp_path / "data")
    p = d.write_bytes("raw/run-1/b0.json", b"{}")
    assert _mode(d.path) == "0o700"
    assert _mode(d.path / "raw") == "0o700" and _mode(p.parent) == "0o700"
    assert _mode(p) == "0o600"
    assert _mode(d.write_json("x.json", {"a": 1})) == "0o600"
    assert _mode(d.parquet_path("extracts", "skole").parent) == "0o700"
    assert _mode(d.raw_dir("run-2")) == "0o700"


def test_default_location_order(tmp_path, monkeypatch):
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    assert store_mod.default_data_dir(env) == tmp_path / "xdg" / "freg-nb"
    env["FREG_NB_DATA_DIR"] = str(tmp_path / "explicit")
    assert store_mod.default_data_dir(env) == tmp_path / "explicit"
    assert store_mod.default_data_dir({"XDG_DATA_HOME": "relative"}) == Path.home() / ".local/share/freg-nb"
    monkeypatch.setenv("FREG_NB_DATA_DIR", str(tmp_path / "fromenv"))
    assert DataDir().path == tmp_path / "fromenv"


def test_atomic_write_leaves_old_content_on_failure(tmp_path, monkeypatch):
    d = DataDir(tmp_path / "data")
    d.write_json("feeds/skole/checkpoint.json", {"seq": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store_mod.os, "replace", boom)
    with pytest.raises(OSError):
        d.write_json("feeds/skole/checkpoint.json", {"seq": 2})
    monkeypatch.undo()
    assert d.read_json("feeds/skole/checkpoint.json") == {"seq": 1}
    assert [f.name for f in (d.path / "feeds/skole").iterdir()] == ["checkpoint.json"]  # no temp left


def test_paths_cannot_escape(tmp_path):
    d = DataDir(tmp_path / "data")
    for bad in ("../x.json", "/etc/passwd", "raw/../../x"):
        with pytest.raises(ValueError):
            d.write_bytes(bad, b"x")
    with pytest.raises(ValueError):
        d.raw_dir("../evil")
    with pytest.raises(ValueError):
        d.parquet_path("a/b")


def test_checkpoint_get_put_clear(tmp_path):
    cp = DataDir(tmp_path / "data").checkpoint("feeds/skole")
    assert cp.get() is None and cp.get(0) == 0
    cp.put({"seq": 1001, "etag": "abc"})
    assert cp.get() == {"seq": 1001, "etag": "abc"}
    assert cp.path.name == "checkpoint.json" and cp.path.parent.name == "skole"
    cp.clear()
    assert cp.get() is None


def _age(p: Path, days: float) -> None:
    t = time.time() - days * 86400
    os.utime(p, (t, t))


def _populated(tmp_path) -> DataDir:
    d = DataDir(tmp_path / "data")
    _age(d.write_bytes("raw/old/b0.json", b"x" * 100), 40)
    d.write_bytes("raw/new/b0.json", b"y" * 10)
    _age(d.write_bytes("sandbox/ca.pem", b"not a real key"), 90)
    from freg_nb import privacy
    privacy.audit(d, "oppslag", role="skole", n_persons=1)
    _age(d.audit_log_path, 90)
    return d


def test_old_files_and_notice(tmp_path, monkeypatch):
    d = _populated(tmp_path)
    assert [p.relative_to(d.path).as_posix() for p in d.old_files()] == ["raw/old/b0.json"]
    assert d.old_files(60) == []
    notice = d.old_data_notice()
    assert "1 file" in notice and "30 days" in notice and "freg-nb purge" in notice
    monkeypatch.setenv("FREG_NB_RETENTION_DAYS", "50")
    assert d.old_data_notice() is None


def test_purge_keeps_sandbox_and_audit(tmp_path):
    d = _populated(tmp_path)
    dry = d.purge(dry_run=True)
    assert {p.relative_to(d.path).as_posix() for p in dry} == {"raw/old/b0.json", "raw/new/b0.json"}
    assert all(p.exists() for p in dry)
    assert [p.name for p in d.purge(dry_run=False, older_than=30)] == ["b0.json"]
    assert (d.path / "raw/new/b0.json").exists() and not (d.path / "raw/old").exists()
    d.purge(dry_run=False)
    assert not (d.path / "raw").exists()
    assert (d.path / "sandbox/ca.pem").exists() and d.audit_log_path.exists()
    assert d.path.is_dir()
    d.purge(dry_run=False, include_sandbox=True)
    assert not (d.path / "sandbox").exists()


def test_cli_purge(tmp_path):
    d = _populated(tmp_path)
    args = Namespace(dry_run=True, yes=False, older_than=None, data_dir=d.path)
    out = io.StringIO()
    assert store_mod.cli_main(args, stdout=out) == 0
    text = out.getvalue()
    assert "raw/old/b0.json" in text and "Would delete 2 file(s)" in text and "110 bytes" in text
    assert (d.path / "raw/old/b0.json").exists()

    args.dry_run = False
    out = io.StringIO()
    assert store_mod.cli_main(args, stdin=io.StringIO("nei\n"), stdout=out) == 1
    assert "Nothing deleted" in out.getvalue() and (d.path / "raw/old/b0.json").exists()

    out = io.StringIO()
    assert store_mod.cli_main(args, stdin=io.StringIO("ja\n"), stdout=out) == 0
    assert "Deleted 2 file(s)" in out.getvalue() and "110 bytes" in out.getvalue()
    assert (d.path / "sandbox/ca.pem").exists()

    d.write_bytes("raw/x/b.json", b"z")
    args.yes = True
    out = io.StringIO()
    assert store_mod.cli_main(args, stdout=out) == 0 and "Deleted 1 file(s)" in out.getvalue()


def test_cli_entry_point_dispatches_to_store(tmp_path, monkeypatch):
    from freg_nb import cli

    monkeypatch.setenv("FREG_NB_DATA_DIR", str(tmp_path / "data"))
    DataDir().write_bytes("raw/r/b.json", b"abc")
    assert cli.main(["purge", "--dry-run"]) == 0
    assert (tmp_path / "data/raw/r/b.json").exists()
    assert cli.main(["purge", "--yes"]) == 0
    assert not (tmp_path / "data/raw").exists()
