"""Settings from the environment and ``.env``; the ``Secret`` type; ``connect()``.

    >>> from freg_nb import load_settings
    >>> settings = load_settings()            # reads .env (real environment wins)
    >>> settings.describe()["FREG_NB_ENV"]
    'sandbox'

``load_settings`` checks everything it can locally — including opening the ``.p12`` with its
password and the certificate's validity period — and raises *one* ``ConfigError`` listing every
problem with what to do about it. Secrets are wrapped in ``Secret`` so they never print.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re
import threading
import uuid
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from .errors import ConfigError
from .net import is_loopback_host

__all__ = ["ENVIRONMENTS", "Secret", "Settings", "connect", "load_settings", "is_loopback_url"]

ENVIRONMENTS: dict[str, dict[str, str | None]] = {
    "sandbox": {"fiks": None, "maskinporten": None},
    "test": {"fiks": "https://api.fiks.test.ks.no", "maskinporten": "https://test.maskinporten.no/"},
    "prod": {"fiks": "https://api.fiks.ks.no", "maskinporten": "https://maskinporten.no/"},
}
DEFAULT_SCOPE = "ks:fiks"
DEFAULT_CONCURRENCY = 8
DEFAULT_SMALL_CELL = 5
_MASK = "********"


class Secret:
    """A secret value that never prints: ``repr``/``str`` give ``Secret('********')``.

    ``reveal()`` returns the value; use it only where the value is sent (a header, a form field,
    a signature), never to display it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, (str, bytes)):
            raise TypeError("Secret wraps str or bytes")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str | bytes:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        a, b = self._value, other._value
        if isinstance(a, str):
            a = a.encode()
        if isinstance(b, str):
            b = b.encode()
        return hmac.compare_digest(a, b)

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self):  # pickling would write the value somewhere: refuse
        raise TypeError("a Secret cannot be pickled")


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or ""
    root = Path(base).expanduser() if base and Path(base).expanduser().is_absolute() else Path.home() / ".local" / "share"
    return root / "freg-nb"


@dataclass(frozen=True)
class Settings:
    """Everything needed to talk to Fiks folkeregister in one environment.

    ``roles`` maps a role name (``skole``) to its role id (UUID). Secrets are ``Secret``.
    ``token_renew_seconds``: renew the Maskinporten token this long before it expires (never
    more than half its lifetime). ``verify``: TLS verification; only loopback hosts may turn it off.
    """

    env: str = "sandbox"
    fiks_base_url: str | None = None
    maskinporten_issuer: str | None = None
    client_id: str | None = None
    cert_file: Path | None = None
    cert_password: Secret | None = None
    key_file: Path | None = None
    kid: str | None = None
    private_key: Secret | None = None  # PEM bytes read from key_file
    scope: str = DEFAULT_SCOPE
    integration_id: str | None = None
    integration_password: Secret | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    data_dir: Path = field(default_factory=lambda: _default_data_dir(os.environ))
    concurrency: int = DEFAULT_CONCURRENCY
    small_cell: int = DEFAULT_SMALL_CELL
    org_number: str | None = None
    token_renew_seconds: float = 30.0
    timeout: float = 60.0
    verify: bool | str = True

    def __post_init__(self) -> None:
        # Transport rules live here, so every consumer of Settings (FregClient, TokenProvider,
        # the doctor) inherits them: TLS verification may only be off for loopback hosts, and
        # plain http (secrets in clear) is only allowed on loopback.
        problems = []
        for name, url in (("FIKS_BASE_URL", self.fiks_base_url), ("MASKINPORTEN_ISSUER", self.maskinporten_issuer)):
            if not url or is_loopback_url(url):
                continue
            if self.verify is False:
                problems.append(f"{name}: TLS verification can only be turned off for loopback "
                                "hosts (the sandbox) — remove verify=False")
            if urlsplit(url).scheme == "http":
                problems.append(f"{name}={url[:60]!r}: plain http is only allowed on loopback (the sandbox) "
                                "— use https")
        if problems:
            raise ConfigError(problems)

    # -- derived -------------------------------------------------------------------------
    @property
    def token_endpoint(self) -> str:
        issuer = self.maskinporten_issuer or ""
        return issuer + ("token" if issuer.endswith("/") else "/token")

    @property
    def key_type(self) -> str:
        return "x5c" if self.cert_file else "kid"

    def role_name_for(self, role_id: str) -> str | None:
        for name, rid in self.roles.items():
            if rid.lower() == role_id.lower():
                return name
        return None

    def with_overrides(self, **overrides: Any) -> "Settings":
        names = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(unknown)}")
        for k in ("integration_password", "cert_password", "private_key"):
            if k in overrides and overrides[k] is not None and not isinstance(overrides[k], Secret):
                overrides[k] = Secret(overrides[k])
        if "data_dir" in overrides and overrides["data_dir"] is not None:
            overrides["data_dir"] = Path(overrides["data_dir"])
        return replace(self, **overrides)

    def describe(self) -> dict[str, Any]:
        """A display-safe summary (for notebook 00): secrets only as "satt"/"mangler"."""

        def s(v: Secret | None) -> str:
            return "satt" if v else "mangler"

        return {
            "FREG_NB_ENV": self.env,
            "FIKS_BASE_URL": self.fiks_base_url,
            "MASKINPORTEN_ISSUER": self.maskinporten_issuer,
            "MASKINPORTEN_CLIENT_ID": self.client_id,
            "nøkkeltype": ("virksomhetssertifikat (x5c)" if self.cert_file
                           else "nøkkel + kid" if (self.key_file or self.private_key) else None),
            "MASKINPORTEN_CERT_FILE": str(self.cert_file) if self.cert_file else None,
            "MASKINPORTEN_CERT_PASSWORD": s(self.cert_password) if self.cert_file else None,
            "MASKINPORTEN_KEY_FILE": str(self.key_file) if self.key_file else None,
            "MASKINPORTEN_KID": self.kid,
            "MASKINPORTEN_SCOPE": self.scope,
            "FIKS_INTEGRASJON_ID": self.integration_id,
            "FIKS_INTEGRASJON_PASSORD": s(self.integration_password),
            "FIKS_ROLLER": dict(self.roles),
            "FREG_NB_DATA_DIR": str(self.data_dir),
            "FREG_NB_CONCURRENCY": self.concurrency,
            "FREG_NB_SMALL_CELL": self.small_cell,
        }

    # -- constructors --------------------------------------------------------------------
    @classmethod
    def for_sandbox(cls, handle: Any, *, key: str = "x5c", **overrides: Any) -> "Settings":
        """Settings for a running sandbox (``freg_nb.sandbox.start_sandbox()``'s handle).

        ``key="x5c"`` signs with the sandbox's business certificate (.p12), ``key="kid"`` with
        its PEM key + kid.
        """
        if key not in ("x5c", "kid"):
            raise ValueError('key must be "x5c" or "kid"')
        c = handle.credentials

        def cred(name: str) -> Any:
            return c[name] if isinstance(c, Mapping) else getattr(c, name)

        kw: dict[str, Any] = dict(
            env="sandbox",
            fiks_base_url=str(handle.fiks_base_url).rstrip("/"),
            maskinporten_issuer=str(handle.maskinporten_issuer),
            client_id=str(cred("client_id")),
            integration_id=str(cred("integration_id")),
            integration_password=Secret(str(_reveal(cred("integration_password")))),
            roles=dict(handle.roles),
            org_number=str(cred("org_number")) if cred("org_number") else None,
        )
        if key == "x5c":
            kw.update(cert_file=Path(cred("cert_file")), cert_password=Secret(str(_reveal(cred("cert_password")))))
        else:
            key_file = Path(cred("key_file"))
            kw.update(key_file=key_file, kid=str(cred("kid")), private_key=Secret(key_file.read_bytes()))
        settings = cls(**kw)
        return settings.with_overrides(**overrides) if overrides else settings


def _reveal(v: Any) -> Any:
    return v.reveal() if hasattr(v, "reveal") else v


# --------------------------------------------------------------------------------------------
# Loading and checking

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROLE_NAME_RE = re.compile(r"^[A-Za-z0-9_æøåÆØÅ][A-Za-z0-9_\-æøåÆØÅ]*$")


def is_uuid(s: str) -> bool:
    return bool(_UUID_RE.match(s or ""))


def _read_environment(env_file: str | os.PathLike | None, environ: Mapping[str, str] | None,
                      problems: list[str]) -> dict[str, str]:
    from dotenv import dotenv_values, find_dotenv

    values: dict[str, str] = {}
    path: str | None
    if env_file is not None:
        path = os.fspath(env_file)
        if not Path(path).is_file():
            problems.append(f"env_file {path!s}: file not found — give the path to your .env file "
                            "(copy .env.example to .env and fill it in)")
            path = None
    elif environ is None:
        path = find_dotenv(usecwd=True) or None
    else:
        path = None
    if path:
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return {k: v.strip() for k, v in values.items() if isinstance(v, str)}


def _parse_positive_int(env: Mapping[str, str], name: str, default: int, problems: list[str],
                        maximum: int | None = None) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        n = int(raw)
    except ValueError:
        problems.append(f"{name}={raw!r}: not a whole number — use a positive integer such as {default}")
        return default
    if n < 1:
        problems.append(f"{name}={raw!r}: must be at least 1 — use a positive integer such as {default}")
        return default
    if maximum is not None and n > maximum:
        problems.append(f"{name}={raw!r}: more than {maximum} — Fiks/Freg throttle; use at most {maximum}")
        return default
    return n


def _parse_roles(raw: str, problems: list[str]) -> dict[str, str]:
    roles: dict[str, str] = {}
    example = "FIKS_ROLLER=skole=<role uuid>,barnevern=<role uuid>"
    for item in [p.strip() for p in raw.split(",")]:
        if not item:
            continue
        if "=" not in item:
            problems.append(f"FIKS_ROLLER: {item[:40]!r} is not name=uuid — write {example}")
            continue
        name, rid = (x.strip() for x in item.split("=", 1))
        if not _ROLE_NAME_RE.match(name):
            problems.append(f"FIKS_ROLLER: role name {name[:40]!r} is not a simple name — use letters, digits, - or _")
            continue
        if not is_uuid(rid):
            problems.append(f"FIKS_ROLLER: role id for {name!r} is not a UUID — copy the role id "
                            "(8-4-4-4-12 hex digits) from Fiks forvaltning")
            continue
        if name in roles:
            problems.append(f"FIKS_ROLLER: role name {name!r} appears twice — give each role a unique name")
            continue
        roles[name] = rid.lower()
    return roles


def _check_url(name: str, url: str, problems: list[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"{name}={url[:60]!r}: not an http(s) URL — e.g. https://api.fiks.test.ks.no")
    elif parts.scheme == "http" and not is_loopback_url(url):
        problems.append(f"{name}={url[:60]!r}: plain http is only allowed on loopback (the sandbox) — use https")


def _check_certificate(path: Path, password: str | None, problems: list[str], now: dt.datetime) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    name = "MASKINPORTEN_CERT_FILE"
    if not path.is_file():
        problems.append(f"{name}={str(path)!r}: file not found — give the path of your business certificate (.p12)")
        return
    if password is None:
        problems.append("MASKINPORTEN_CERT_PASSWORD: missing — set the password of the .p12 file")
        return
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode() or None)
    except Exception:
        problems.append(f"{name}={str(path)!r}: the .p12 file could not be opened — the password "
                        "(MASKINPORTEN_CERT_PASSWORD) is wrong or the file is not a PKCS#12 certificate")
        return
    if key is None or cert is None:
        problems.append(f"{name}={str(path)!r}: the .p12 holds no private key and certificate — "
                        "export the business certificate with its private key")
        return
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(f"{name}={str(path)!r}: the key is not RSA — Maskinporten needs an RSA key (RS256)")
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    if not_after <= now:
        problems.append(f"{name}={str(path)!r}: the certificate expired on {not_after:%Y-%m-%d} — "
                        "order a new business certificate and register it with the Maskinporten client")
    elif not_before > now:
        problems.append(f"{name}={str(path)!r}: the certificate is not valid before {not_before:%Y-%m-%d %H:%M} UTC "
                        "— check the computer's clock or wait")


def _check_private_key(path: Path, problems: list[str]) -> bytes | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    name = "MASKINPORTEN_KEY_FILE"
    if not path.is_file():
        problems.append(f"{name}={str(path)!r}: file not found — give the path of the PEM private key")
        return None
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        problems.append(f"{name}={str(path)!r}: the PEM key is encrypted — export it without a password "
                        "(keep the file private: chmod 600)")
        return None
    except Exception:
        problems.append(f"{name}={str(path)!r}: not a PEM private key — give the file that begins with "
                        "'-----BEGIN PRIVATE KEY-----' (or RSA PRIVATE KEY)")
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(f"{name}={str(path)!r}: the key is not RSA — Maskinporten needs an RSA key (RS256)")
        return None
    return data


def load_settings(env_file: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None,
                  *, require_credentials: bool | None = None, now: dt.datetime | None = None) -> Settings:
    """Read and check the settings; raise one ``ConfigError`` listing every problem.

    ``environ`` replaces ``os.environ`` (and then no ``.env`` is searched unless ``env_file``
    is given). Credentials are required unless the environment is ``sandbox`` without
    ``FIKS_BASE_URL`` (the built-in sandbox brings its own).
    """
    problems: list[str] = []
    env = _read_environment(env_file, environ, problems)
    now = now or dt.datetime.now(dt.timezone.utc)

    kind = (env.get("FREG_NB_ENV") or "sandbox").lower()
    if kind not in ENVIRONMENTS:
        problems.append(f"FREG_NB_ENV={env.get('FREG_NB_ENV')!r}: unknown environment — use sandbox, test or prod")
        kind = "sandbox"
    hosts = ENVIRONMENTS[kind]
    fiks = env.get("FIKS_BASE_URL") or hosts["fiks"]
    issuer = env.get("MASKINPORTEN_ISSUER") or hosts["maskinporten"]
    if require_credentials is None:
        require_credentials = kind != "sandbox" or bool(env.get("FIKS_BASE_URL"))
    if fiks:
        fiks = fiks.rstrip("/")
        _check_url("FIKS_BASE_URL", fiks, problems)
    elif require_credentials:
        problems.append("FIKS_BASE_URL: missing — set it to the sandbox's URL, or choose FREG_NB_ENV=test/prod")
    if issuer:
        _check_url("MASKINPORTEN_ISSUER", issuer, problems)
    elif require_credentials:
        problems.append("MASKINPORTEN_ISSUER: missing — set it to the sandbox's issuer (its URL + /maskinporten/)")

    client_id = env.get("MASKINPORTEN_CLIENT_ID") or None
    cert_file = Path(env["MASKINPORTEN_CERT_FILE"]).expanduser() if env.get("MASKINPORTEN_CERT_FILE") else None
    cert_pw = env.get("MASKINPORTEN_CERT_PASSWORD")
    key_file = Path(env["MASKINPORTEN_KEY_FILE"]).expanduser() if env.get("MASKINPORTEN_KEY_FILE") else None
    kid = env.get("MASKINPORTEN_KID") or None
    scope = env.get("MASKINPORTEN_SCOPE") or DEFAULT_SCOPE
    integration_id = env.get("FIKS_INTEGRASJON_ID") or None
    integration_pw = env.get("FIKS_INTEGRASJON_PASSORD") or None
    private_key: bytes | None = None

    if require_credentials:
        if not client_id:
            problems.append("MASKINPORTEN_CLIENT_ID: missing — copy the client id of your Maskinporten "
                            "integration from Digdir's self-service (Samarbeidsportalen)")
        if cert_file and key_file:
            problems.append("MASKINPORTEN_CERT_FILE and MASKINPORTEN_KEY_FILE are both set — choose one: "
                            "a business certificate (.p12 + password) or a registered key (PEM + kid)")
        elif not cert_file and not key_file:
            problems.append("MASKINPORTEN_CERT_FILE / MASKINPORTEN_KEY_FILE: neither is set — give a business "
                            "certificate (.p12 + MASKINPORTEN_CERT_PASSWORD) or a PEM key + MASKINPORTEN_KID")
        elif cert_file:
            _check_certificate(cert_file, cert_pw, problems, now)
        else:
            assert key_file is not None
            private_key = _check_private_key(key_file, problems)
            if not kid:
                problems.append("MASKINPORTEN_KID: missing — with a PEM key, give the key id (kid) "
                                "registered on the Maskinporten client")
        if not integration_id:
            problems.append("FIKS_INTEGRASJON_ID: missing — copy the integration id (UUID) from Fiks forvaltning")
        elif not is_uuid(integration_id):
            problems.append("FIKS_INTEGRASJON_ID: not a UUID — copy the integration id (8-4-4-4-12 hex digits) "
                            "from Fiks forvaltning")
        if not integration_pw:
            problems.append("FIKS_INTEGRASJON_PASSORD: missing — set the integration's password from Fiks forvaltning")
        if DEFAULT_SCOPE not in scope.split():
            problems.append(f"MASKINPORTEN_SCOPE={scope!r}: Fiks needs the scope {DEFAULT_SCOPE} — "
                            f"set MASKINPORTEN_SCOPE={DEFAULT_SCOPE} (or leave it empty)")

    roles: dict[str, str] = {}
    raw_roles = env.get("FIKS_ROLLER", "")
    if raw_roles:
        roles = _parse_roles(raw_roles, problems)
    elif require_credentials:
        problems.append("FIKS_ROLLER: missing — name at least one role: FIKS_ROLLER=skole=<role uuid>")

    data_dir = _default_data_dir(env)
    raw_dir = env.get("FREG_NB_DATA_DIR", "")
    if raw_dir:
        p = Path(raw_dir).expanduser()
        if not p.is_absolute():
            problems.append(f"FREG_NB_DATA_DIR={raw_dir!r}: a relative path depends on where the notebook "
                            "runs — give an absolute path (or ~/...)")
        elif p.exists() and not p.is_dir():
            problems.append(f"FREG_NB_DATA_DIR={raw_dir!r}: exists and is not a folder — choose a folder path")
        elif p == Path(p.anchor) or p == Path.home():
            problems.append(f"FREG_NB_DATA_DIR={raw_dir!r}: not the root or your home folder — choose a "
                            "dedicated folder (freg-nb purge empties it)")
        else:
            data_dir = p
    concurrency = _parse_positive_int(env, "FREG_NB_CONCURRENCY", DEFAULT_CONCURRENCY, problems, maximum=64)
    small_cell = _parse_positive_int(env, "FREG_NB_SMALL_CELL", DEFAULT_SMALL_CELL, problems)

    if problems:
        raise ConfigError(problems)
    return Settings(
        env=kind,
        fiks_base_url=fiks,
        maskinporten_issuer=issuer,
        client_id=client_id,
        cert_file=cert_file,
        cert_password=Secret(cert_pw) if (cert_file and cert_pw is not None) else None,
        key_file=key_file if not cert_file else None,
        kid=kid if not cert_file else None,
        private_key=Secret(private_key) if private_key else None,
        scope=scope,
        integration_id=integration_id.lower() if integration_id else None,
        integration_password=Secret(integration_pw) if integration_pw else None,
        roles=roles,
        data_dir=data_dir,
        concurrency=concurrency,
        small_cell=small_cell,
    )


# --------------------------------------------------------------------------------------------
# connect()

_sandbox_lock = threading.Lock()
_sandbox_handle: Any = None


def _shared_sandbox(data_dir: Path) -> Any:
    """Start the in-process sandbox once per process (lazily imported: it is a separate server)."""
    global _sandbox_handle
    with _sandbox_lock:
        if _sandbox_handle is None:
            from freg_nb import sandbox

            from freg_nb.sandbox import shared  # one sandbox per user for every kernel (freg_nb.sandbox.shared)

            _sandbox_handle = (shared.get_or_start(data_dir) if shared.wanted()
                               else sandbox.start_sandbox(data_dir=data_dir))  # its PKI goes to data_dir/sandbox/
        return _sandbox_handle


_CLIENT_KW = {"transport", "retry", "progress"}


def connect(*, env_file: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None,
            **overrides: Any):
    """A ready ``FregClient``: Fiks test/prod when configured, else the built-in sandbox.

    Real settings are used when ``FREG_NB_ENV`` is test/prod or ``FIKS_BASE_URL`` is set;
    otherwise the in-process sandbox is started (once per process). ``overrides`` are
    ``Settings`` fields (e.g. ``concurrency=4``) or client options (``transport``, ``retry``).
    """
    from .client import FregClient
    from .store import DataDir

    client_kw = {k: overrides.pop(k) for k in list(overrides) if k in _CLIENT_KW}
    env = _read_environment(env_file, environ, [])
    real = (env.get("FREG_NB_ENV") or "sandbox").lower() != "sandbox" or bool(env.get("FIKS_BASE_URL"))
    if real:
        settings = load_settings(env_file, environ)
    else:
        base = load_settings(env_file, environ, require_credentials=False)
        DataDir(base.data_dir)  # create the private folder 0700 before the sandbox writes its PKI into it
        handle = _shared_sandbox(base.data_dir)
        settings = Settings.for_sandbox(handle, data_dir=base.data_dir, concurrency=base.concurrency,
                                        small_cell=base.small_cell)
    if overrides:
        settings = settings.with_overrides(**overrides)
    notice = DataDir(settings.data_dir).old_data_notice()
    if notice:  # personal data should not linger: remind at every connect
        warnings.warn(notice, OldDataWarning, stacklevel=2)
    return FregClient(settings, **client_kw)


class OldDataWarning(UserWarning):
    """The private data folder holds files older than the retention period (FREG_NB_RETENTION_DAYS)."""


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]
