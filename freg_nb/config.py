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
import uuid
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from .errors import ConfigError
from .messages import msg
from .net import is_loopback_host
from .paths import default_data_dir

__all__ = ["ENVIRONMENTS", "Secret", "Settings", "load_settings", "is_loopback_url"]

ENVIRONMENTS: dict[str, dict[str, str | None]] = {
    "sandbox": {"fiks": None, "maskinporten": None},
    "test": {"fiks": "https://api.fiks.test.ks.no", "maskinporten": "https://test.maskinporten.no/"},
    "prod": {"fiks": "https://api.fiks.ks.no", "maskinporten": "https://maskinporten.no/"},
}
DEFAULT_SCOPE = "ks:fiks"
DEFAULT_CONCURRENCY = 8
DEFAULT_SMALL_CELL = 5
_MASK = "********"


def _secret(env: Mapping[str, str], name: str) -> "Secret | None":
    value = env.get(name)
    return None if value is None else Secret(value)


def reveal_bytes(secret: "Secret | None") -> bytes | None:
    """The secret's bytes for the one call that needs them (None when unset or empty). Use it
    inside that call's arguments, so that no frame outliving the call holds the plain value."""
    if secret is None:
        return None
    value = secret.reveal()
    return (value if isinstance(value, bytes) else value.encode()) or None


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


def transport_problems(settings: "Settings") -> list[str]:
    """The one TLS rule: verification may only be off, and plain http only used, for loopback hosts
    (the sandbox). Checked by ``Settings`` and again by ``FregClient``."""
    problems = []
    for name, url in (("FIKS_BASE_URL", settings.fiks_base_url), ("MASKINPORTEN_ISSUER", settings.maskinporten_issuer)):
        if not url or is_loopback_url(url):
            continue
        if settings.verify is False:
            problems.append(msg("cfg.tls_off", name=name))
        if urlsplit(url).scheme == "http":
            problems.append(msg("cfg.plain_http", name=name, url=url[:60]))
    return problems


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
    data_dir: Path = field(default_factory=default_data_dir)
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
        problems = transport_problems(self)
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
            problems.append(msg("cfg.env_file", path=path))
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
        problems.append(msg("cfg.int", name=name, raw=raw, default=default))
        return default
    if n < 1:
        problems.append(msg("cfg.int_low", name=name, raw=raw, default=default))
        return default
    if maximum is not None and n > maximum:
        problems.append(msg("cfg.int_high", name=name, raw=raw, maximum=maximum))
        return default
    return n


def _parse_roles(raw: str, problems: list[str]) -> dict[str, str]:
    roles: dict[str, str] = {}
    example = "FIKS_ROLLER=skole=<role uuid>,barnevern=<role uuid>"
    for item in [p.strip() for p in raw.split(",")]:
        if not item:
            continue
        if "=" not in item:
            problems.append(msg("cfg.roles_item", item=item[:40], example=example))
            continue
        name, rid = (x.strip() for x in item.split("=", 1))
        if not _ROLE_NAME_RE.match(name):
            problems.append(msg("cfg.roles_name", name=name[:40]))
            continue
        if not is_uuid(rid):
            problems.append(msg("cfg.roles_uuid", name=name))
            continue
        if name in roles:
            problems.append(msg("cfg.roles_twice", name=name))
            continue
        roles[name] = rid.lower()
    return roles


def _check_url(name: str, url: str, problems: list[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(msg("cfg.not_url", name=name, url=url[:60]))
    elif parts.scheme == "http" and not is_loopback_url(url):
        problems.append(msg("cfg.plain_http", name=name, url=url[:60]))


def load_p12(data: bytes, password: "Secret | None") -> tuple[Any, Any]:
    """The one ``.p12`` loader: ``(private key, certificate)`` of a PKCS#12 file (either may be None).
    The password stays a ``Secret`` until the library call, so no frame's locals hold it in plain.
    Raises when the file cannot be opened (wrong password, not PKCS#12)."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, _chain = pkcs12.load_key_and_certificates(data, reveal_bytes(password))
    return key, cert


def _check_certificate(path: Path, password: Secret | None, problems: list[str], now: dt.datetime) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    name = "MASKINPORTEN_CERT_FILE"
    if not path.is_file():
        problems.append(msg("cfg.cert_missing", name=name, path=str(path)))
        return
    if password is None:
        problems.append(msg("cfg.cert_password"))
        return
    try:
        key, cert = load_p12(path.read_bytes(), password)
    except Exception:
        problems.append(msg("cfg.cert_open", name=name, path=str(path)))
        return
    if key is None or cert is None:
        problems.append(msg("cfg.cert_empty", name=name, path=str(path)))
        return
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(msg("cfg.not_rsa", name=name, path=str(path)))
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    if not_after <= now:
        problems.append(msg("cfg.cert_expired", name=name, path=str(path), day=f"{not_after:%Y-%m-%d}"))
    elif not_before > now:
        problems.append(msg("cfg.cert_future", name=name, path=str(path), when=f"{not_before:%Y-%m-%d %H:%M}"))


def _check_private_key(path: Path, problems: list[str]) -> Secret | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    name = "MASKINPORTEN_KEY_FILE"
    if not path.is_file():
        problems.append(msg("cfg.key_missing", name=name, path=str(path)))
        return None
    data = Secret(path.read_bytes())
    try:
        key = serialization.load_pem_private_key(reveal_bytes(data), password=None)
    except TypeError:
        problems.append(msg("cfg.key_encrypted", name=name, path=str(path)))
        return None
    except Exception:
        problems.append(msg("cfg.key_not_pem", name=name, path=str(path)))
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(msg("cfg.not_rsa", name=name, path=str(path)))
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
        problems.append(msg("cfg.env", value=env.get('FREG_NB_ENV')))
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
        problems.append(msg("cfg.no_base_url"))
    if issuer:
        _check_url("MASKINPORTEN_ISSUER", issuer, problems)
    elif require_credentials:
        problems.append(msg("cfg.no_issuer"))

    client_id = env.get("MASKINPORTEN_CLIENT_ID") or None
    cert_file = Path(env["MASKINPORTEN_CERT_FILE"]).expanduser() if env.get("MASKINPORTEN_CERT_FILE") else None
    cert_pw = _secret(env, "MASKINPORTEN_CERT_PASSWORD")  # wrapped at once: no plain local
    key_file = Path(env["MASKINPORTEN_KEY_FILE"]).expanduser() if env.get("MASKINPORTEN_KEY_FILE") else None
    kid = env.get("MASKINPORTEN_KID") or None
    scope = env.get("MASKINPORTEN_SCOPE") or DEFAULT_SCOPE
    integration_id = env.get("FIKS_INTEGRASJON_ID") or None
    integration_pw = _secret(env, "FIKS_INTEGRASJON_PASSORD") or None
    private_key: Secret | None = None

    if require_credentials:
        if not client_id:
            problems.append(msg("cfg.no_client_id"))
        if cert_file and key_file:
            problems.append(msg("cfg.cert_and_key"))
        elif not cert_file and not key_file:
            problems.append(msg("cfg.no_cert_or_key"))
        elif cert_file:
            _check_certificate(cert_file, cert_pw, problems, now)
        else:
            assert key_file is not None
            private_key = _check_private_key(key_file, problems)
            if not kid:
                problems.append(msg("cfg.no_kid"))
        if not integration_id:
            problems.append(msg("cfg.no_integration"))
        elif not is_uuid(integration_id):
            problems.append(msg("cfg.integration_uuid"))
        if not integration_pw:
            problems.append(msg("cfg.no_integration_pw"))
        if DEFAULT_SCOPE not in scope.split():
            problems.append(msg("cfg.scope", scope=scope, default=DEFAULT_SCOPE))

    roles: dict[str, str] = {}
    raw_roles = env.get("FIKS_ROLLER", "")
    if raw_roles:
        roles = _parse_roles(raw_roles, problems)
    elif require_credentials:
        problems.append(msg("cfg.no_roles"))

    data_dir = default_data_dir(env)
    raw_dir = env.get("FREG_NB_DATA_DIR", "")
    if raw_dir:
        p = Path(raw_dir).expanduser()
        if not p.is_absolute():
            problems.append(msg("cfg.dir_relative", value=raw_dir))
        elif p.exists() and not p.is_dir():
            problems.append(msg("cfg.dir_not_folder", value=raw_dir))
        elif p == Path(p.anchor) or p == Path.home():
            problems.append(msg("cfg.dir_root", value=raw_dir))
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
        cert_password=cert_pw if (cert_file and cert_pw is not None) else None,
        key_file=key_file if not cert_file else None,
        kid=kid if not cert_file else None,
        private_key=private_key,
        scope=scope,
        integration_id=integration_id.lower() if integration_id else None,
        integration_password=integration_pw,
        roles=roles,
        data_dir=data_dir,
        concurrency=concurrency,
        small_cell=small_cell,
    )


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]
