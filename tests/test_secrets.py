"""Secrets (integration password, certificate password, private key, access token) never appear in
logs, reprs, describe() or exception text — checked with canary values and with the sandbox's own."""
from __future__ import annotations

import logging

import pytest

from freg_nb import (
    ConfigError, FregClient, IntegrationRejected, MaskinportenError, RetryPolicy, Settings, load_settings,
    token_claims,
)

CANARY_PW = "CANARY-integration-5f3e"
CANARY_CERT_PW = "CANARY-cert-91ab"


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s[:6] + "…" for s in secrets if s and s in text]


def test_config_error_with_canaries(tmp_path):
    p12 = tmp_path / "cert.p12"
    p12.write_bytes(b"not a p12")
    env = {"FREG_NB_ENV": "test", "MASKINPORTEN_CLIENT_ID": "c", "MASKINPORTEN_CERT_FILE": str(p12),
           "MASKINPORTEN_CERT_PASSWORD": CANARY_CERT_PW, "FIKS_INTEGRASJON_ID": "bad",
           "FIKS_INTEGRASJON_PASSORD": CANARY_PW, "FIKS_ROLLER": "x=y"}
    with pytest.raises(ConfigError) as ei:
        load_settings(environ=env)
    assert len(ei.value.problems) == 3
    text = str(ei.value) + repr(ei.value) + repr(ei.value.args)
    assert not _leaks(text, [CANARY_PW, CANARY_CERT_PW])


@pytest.fixture
def sandbox_secrets(sandbox):
    c = sandbox.credentials
    return [c.integration_password, c.cert_password, c.key_file.read_text().splitlines()[1]]


def test_everything_a_session_shows_is_clean(sandbox, sandbox_secrets, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, incl. httpx/httpcore
    settings = Settings.for_sandbox(sandbox, key="x5c")
    kid_settings = Settings.for_sandbox(sandbox, key="kid")
    with FregClient(settings, progress=False) as fc:
        ident = sandbox.population.identifier(0)
        fc.person("skole", ident, parts=["navn"])
        token = fc.tokens.token().reveal()
        shown = " ".join([
            repr(settings), str(settings), repr(kid_settings), repr(settings.describe()),
            repr(kid_settings.describe()), repr(fc), repr(fc.tokens), repr(fc.auth), repr(fc.stats.as_dict()),
            repr(token_claims(fc.tokens.token())), repr(fc.tokens.token()),
        ])
    secrets = sandbox_secrets + [token, token.split(".")[2]]
    assert not _leaks(shown, secrets)
    assert not _leaks(caplog.text, secrets)
    assert ident not in caplog.text  # nor the full identifier (httpx's request line is masked too)
    assert "HTTP Request: GET" in caplog.text and ident[:6] + "*****" in caplog.text


def test_error_texts_are_clean(sandbox_factory, sandbox_secrets, caplog):
    caplog.set_level(logging.DEBUG)
    sb = sandbox_factory()
    sb.scenario("feil-integrasjonspassord")
    settings = Settings.for_sandbox(sb)
    with FregClient(settings, progress=False, retry=RetryPolicy(max_attempts=1)) as fc:
        with pytest.raises(IntegrationRejected) as e1:
            fc.person("skole", sb.population.identifier(0))
        token = fc.tokens.token().reveal()
    sb.scenario("mangler-scope")
    with FregClient(settings, progress=False) as fc, pytest.raises(MaskinportenError) as e2:
        fc.person("skole", sb.population.identifier(0))
    bad_pw = settings.with_overrides(cert_password="CANARY-wrong-cert-pw")
    with pytest.raises(MaskinportenError) as e3:
        FregClient(bad_pw).tokens.token()
    texts = " ".join(str(e.value) + repr(e.value) for e in (e1, e2, e3))
    secrets = sandbox_secrets + [token, "CANARY-wrong-cert-pw"]
    assert not _leaks(texts, secrets)
    assert not _leaks(caplog.text, secrets)
    assert sb.population.identifier(0) not in texts
