"""Transport safety: TLS verification cannot be switched off for real hosts, secrets never travel
over plain http outside loopback, and the sandbox refuses to listen anywhere but loopback unless
forced — refused before any socket is opened."""
from __future__ import annotations

import socket

import httpx
import pytest

from freg_nb import ConfigError, FregClient, Settings
from freg_nb.auth import TokenProvider
from freg_nb.config import Secret, is_loopback_url

ROLE = "3b1c2f4e-0d6a-4a8e-9f7b-1c2d3e4f5a6b"
INTEGRATION = "0f0e0d0c-0b0a-4909-8807-060504030201"


def _pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


PEM = _pem()


def _real(**kw) -> dict:
    base = dict(env="test", fiks_base_url="https://api.fiks.test.ks.no",
                maskinporten_issuer="https://test.maskinporten.no/", client_id="c", kid="k",
                private_key=Secret(PEM), integration_id=INTEGRATION,
                integration_password=Secret("pw-not-used"), roles={"skole": ROLE})
    base.update(kw)
    return base


@pytest.mark.parametrize("fiks, issuer", [
    ("https://api.fiks.test.ks.no", "https://test.maskinporten.no/"),   # both real
    ("https://api.fiks.ks.no", "http://127.0.0.1:9/maskinporten/"),    # only Fiks real
    ("http://127.0.0.1:9", "https://maskinporten.no/"),                 # only Maskinporten real
    ("https://127.0.0.1.example.org", "http://127.0.0.1:9/mp/"),        # looks loopback, is not
    ("https://localhost.example.org", "http://localhost:9/mp/"),
])
def test_verify_false_is_refused_for_any_non_loopback_host(fiks, issuer):
    # refused when the settings are made — so neither FregClient nor a bare TokenProvider
    # (used by the doctor) can ever be handed such settings
    with pytest.raises(ConfigError, match="TLS-kontroll kan bare slås av for adresser på egen maskin"):
        Settings(**_real(fiks_base_url=fiks, maskinporten_issuer=issuer, verify=False))
    ok = Settings(**_real(fiks_base_url=fiks, maskinporten_issuer=issuer))
    with pytest.raises(ConfigError, match="TLS-kontroll kan bare slås av for adresser på egen maskin"):
        ok.with_overrides(verify=False)
    # and a client built around settings that slipped past (object.__setattr__) still refuses
    sneaky = Settings(**_real(fiks_base_url=fiks, maskinporten_issuer=issuer))
    object.__setattr__(sneaky, "verify", False)
    with pytest.raises(ConfigError, match="TLS-kontroll kan bare slås av for adresser på egen maskin"):
        FregClient(sneaky)


def test_verified_real_settings_build_clients_that_verify():
    s = Settings(**_real())
    assert s.verify is True
    with FregClient(s, progress=False) as fc:
        # the TLS context of both HTTP clients checks certificates and host names
        for http in (fc._http, fc.tokens._http):
            ctx = http._transport._pool._ssl_context
            assert ctx.verify_mode.name == "CERT_REQUIRED" and ctx.check_hostname
    tp = TokenProvider(s)
    try:
        ctx = tp._http._transport._pool._ssl_context
        assert ctx.verify_mode.name == "CERT_REQUIRED"
    finally:
        tp.close()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://127.5.6.7:9"])
def test_verify_false_is_allowed_on_loopback_only(url):
    s = Settings(**_real(fiks_base_url=url, maskinporten_issuer=url + "/maskinporten/", verify=False))
    FregClient(s, progress=False).close()
    assert is_loopback_url(url)


@pytest.mark.parametrize("url", ["http://0.0.0.0:9", "http://10.0.0.5", "http://fiks.example.org",
                                 "http://127.0.0.1.nip.io", "http://[::]:9", "http://localhost.evil.test"])
def test_plain_http_is_refused_outside_loopback(url):
    assert not is_loopback_url(url)
    with pytest.raises(ConfigError, match="vanlig http er bare lov på egen maskin"):
        Settings(**_real(fiks_base_url=url))
    with pytest.raises(ConfigError, match="vanlig http er bare lov på egen maskin"):
        Settings(**_real(maskinporten_issuer=url + "/"))


def test_environment_cannot_switch_off_verification_nor_use_http(tmp_path):
    from freg_nb import load_settings

    env = {"FREG_NB_ENV": "test", "FIKS_BASE_URL": "http://fiks.example.org"}
    with pytest.raises(ConfigError, match="vanlig http er bare lov på egen maskin"):
        load_settings(environ=env, require_credentials=False)
    # there is no environment variable that turns verification off
    s = load_settings(environ={"FREG_NB_ENV": "test", "FREG_NB_VERIFY": "0", "SSL_VERIFY": "false",
                               "PYTHONHTTPSVERIFY": "0"}, require_credentials=False)
    assert s.verify is True


def test_proxy_environment_is_ignored(sandbox, monkeypatch):
    # a proxy from the environment would see every header (integration password, token)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:1")
    with FregClient(Settings.for_sandbox(sandbox), progress=False) as fc:
        assert fc.latest_sequence("analyse") > 0  # reached the sandbox directly, not the dead proxy


# ---- the sandbox stays on loopback --------------------------------------------------------------
class _NoSockets:
    """Fails the test if anything tries to create a socket or build the sandbox's state."""

    def __init__(self, monkeypatch):
        from freg_nb.sandbox import server

        self.calls: list[str] = []

        def refuse(name):
            def f(*a, **kw):
                self.calls.append(name)
                raise AssertionError(f"{name} was called: the refusal must come first")
            return f

        monkeypatch.setattr(server, "_bind", refuse("_bind"))
        monkeypatch.setattr(server, "_state", refuse("_state"))
        monkeypatch.setattr(server, "_uvicorn", refuse("_uvicorn"))
        monkeypatch.setattr(socket, "socket", refuse("socket.socket"))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "fiks.example.org", "10.1.2.3"])
def test_sandbox_cli_refuses_non_loopback_before_opening_a_socket(host, monkeypatch, capsys):
    from freg_nb.cli import main

    guard = _NoSockets(monkeypatch)
    rc = main(["sandbox", "--host", host, "--port", "0"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"Refusing to bind {host}" in err and "--force-non-loopback" in err
    assert guard.calls == []


def test_sandbox_cli_force_flag_is_the_only_way_past_the_refusal(monkeypatch, capsys):
    from freg_nb.cli import main

    guard = _NoSockets(monkeypatch)
    with pytest.raises(AssertionError, match="_state was called"):
        main(["sandbox", "--host", "0.0.0.0", "--port", "0", "--force-non-loopback"])
    assert guard.calls == ["_state"]  # it went on to build and bind: the flag really overrides
    assert "Refusing" not in capsys.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_sandbox_cli_accepts_loopback(host, monkeypatch):
    from freg_nb.cli import main

    guard = _NoSockets(monkeypatch)
    with pytest.raises(AssertionError):
        main(["sandbox", "--host", host, "--port", "0"])
    assert guard.calls == ["_state"]


def test_in_process_sandbox_listens_on_loopback_only(sandbox):
    assert is_loopback_url(sandbox.url) and sandbox.url.startswith("http://127.0.0.1:")
    port = int(sandbox.url.rsplit(":", 1)[1])
    # not reachable through another local address of this machine
    others = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            if not info[4][0].startswith("127."):
                others.add(info[4][0])
    except OSError:
        pass
    for addr in others:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://{addr}:{port}/_sandbox/info", timeout=1.0)
