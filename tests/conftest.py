"""Shared fixtures: a running sandbox (session-wide) and a factory for sandboxes with their own config.

Both use one private data folder per test session, so the sandbox's PKI (test CA, business
certificate, keys) is generated once and reused. ``sandbox_client`` and ``FAST_RETRY`` are the one
client factory and the one fast retry policy the test files share (``from conftest import …``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from freg_nb import FregClient, RetryPolicy, Settings

REPO = Path(__file__).resolve().parents[1]
# The audit log's HMAC key lives in the user's config folder; tests keep theirs in a temporary one.
os.environ.setdefault("FREG_NB_AUDIT_KEY_DIR", tempfile.mkdtemp(prefix="freg-nb-audit-key-"))
SHARED_REFERENCE = REPO.parent / "shared" / "reference"

FAST_RETRY = RetryPolicy(max_attempts=4, max_total_s=10, backoff_base_s=0.001, backoff_cap_s=0.01,
                         retry_after_fallback_s=0.05, retry_after_cap_s=0.1)
"""Retries that give up quickly: tests inject faults and must not wait seconds for them."""


def sandbox_client(sb, data_dir: Path | None = None, *, cls=FregClient, key: str = "x5c",
                   concurrency: int | None = None, **kw) -> FregClient:
    """A client of sandbox ``sb`` (its own ``data_dir`` when given), fast retries, no progress bars.
    ``kw`` are FregClient options (``retry``, ``sleep``, ``transport`` …) or Settings overrides."""
    client_kw = {k: kw.pop(k) for k in ("retry", "sleep", "transport", "progress") if k in kw}
    client_kw.setdefault("retry", FAST_RETRY)
    client_kw.setdefault("progress", False)
    if data_dir is not None:
        kw["data_dir"] = data_dir
    if concurrency is not None:
        kw["concurrency"] = concurrency
    return cls(Settings.for_sandbox(sb, key=key, **kw), **client_kw)


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """The read-only reference folder (spec, examples); skips the test when it is absent."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"reference material not found at {SHARED_REFERENCE} (../shared/reference)")
    return SHARED_REFERENCE


@pytest.fixture(scope="session")
def sandbox_data_dir(tmp_path_factory) -> Path:
    """A private data folder for the session's sandboxes (its `sandbox/` holds the PKI)."""
    return tmp_path_factory.mktemp("freg-nb-data")


@pytest.fixture(scope="session")
def sandbox(sandbox_data_dir):
    """A sandbox with a small population, faults off, shared by the whole session.

    Do not change its faults in a test (use ``sandbox_factory``).
    """
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    sb = start_sandbox(SandboxConfig(seed=1, persons=2_000, events=5_000, extract_ready_after_s=0.2),
                       data_dir=sandbox_data_dir)
    yield sb
    sb.stop()


@pytest.fixture
def sandbox_factory(sandbox_data_dir):
    """Start sandboxes with their own config: ``sandbox_factory(persons=500, faults=Faults(...))``.

    Takes a ``SandboxConfig`` or its fields as keywords; every sandbox started is stopped at the end.
    """
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    started = []

    def make(config: "SandboxConfig | None" = None, **fields):
        if config is None:
            fields.setdefault("persons", 1_000)
            fields.setdefault("events", 2_000)
            fields.setdefault("extract_ready_after_s", 0.2)
            config = SandboxConfig(**fields)
        elif fields:
            raise TypeError("pass either a SandboxConfig or its fields, not both")
        sb = start_sandbox(config, data_dir=sandbox_data_dir)
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture(scope="session")
def validate(shared_reference):
    """Asserts that an answer validates against a schema of Skatteetaten's v1.5 spec (tests/sandbox)."""
    from _spec import validator  # tests/sandbox/_spec.py, on the path for the sandbox tests

    return validator(shared_reference)
