"""The sandbox's own PKI and secrets, created once in ``<data_dir>/sandbox/`` and reused.

Folder 0700, every file 0600. Holds: a test CA; a business certificate ("virksomhetssertifikat")
as a password-protected ``.p12`` for a synthetic organisation; an expired certificate and one for
another organisation (training); a PEM client key registered under a ``kid``; the key that signs
access tokens; and ``state.json`` with the Maskinporten client id and the Fiks integration.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = ["Credentials", "Pki", "load_or_create", "ORG_NUMBER", "OTHER_ORG_NUMBER", "org_number_of"]

# Synthetic organisation numbers (mod-11 valid, in the 3xxxxxxxx range used for test organisations).
ORG_NUMBER = "311234560"
OTHER_ORG_NUMBER = "312345676"
_ORG_NAME = "SANDKASSE TESTKOMMUNE"
_OTHER_ORG_NAME = "ANNEN TESTVIRKSOMHET"
_ORG_ID_OID = x509.ObjectIdentifier("2.5.4.97")  # organizationIdentifier


@dataclass
class Credentials:
    """What a client needs to talk to this sandbox (secrets hidden from repr)."""

    client_id: str
    cert_file: Path
    cert_password: str = field(repr=False)
    key_file: Path
    kid: str
    integration_id: str
    integration_password: str = field(repr=False)
    org_number: str
    expired_cert_file: Path
    other_org_cert_file: Path
    other_org_number: str
    ca_cert_file: Path


@dataclass
class Pki:
    """Loaded material the server uses (private keys stay in memory, never in answers)."""

    credentials: Credentials
    ca_cert: x509.Certificate
    client_public_key: object        # registered under credentials.kid
    token_key: rsa.RSAPrivateKey     # signs access tokens
    token_kid: str


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(cn: str, org: str | None = None, orgnr: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if orgnr:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, orgnr))
        attrs.append(x509.NameAttribute(_ORG_ID_OID, f"NTRNO-{orgnr}"))
    return x509.Name(attrs)


def _issue(ca_key, ca_name: x509.Name, subject: x509.Name, key, not_before, not_after, *, ca: bool = False):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(ca_key, hashes.SHA256())


def org_number_of(cert: x509.Certificate) -> str | None:
    """The organisation number in a business certificate's subject (organizationIdentifier or serialNumber)."""
    for oid in (_ORG_ID_OID, NameOID.SERIAL_NUMBER):
        for attr in cert.subject.get_attributes_for_oid(oid):
            digits = "".join(ch for ch in str(attr.value) if ch.isdigit())
            if len(digits) == 9:
                return digits
    return None


def _create(folder: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ca_key = _key()
    ca_name = _name("Sandkasse Test-CA (freg-nb)", "FREG-NB SANDKASSE")
    ca_cert = _issue(ca_key, ca_name, ca_name, ca_key, now - dt.timedelta(days=1), now + dt.timedelta(days=3650), ca=True)
    _write(folder / "ca.cert.pem", ca_cert.public_bytes(serialization.Encoding.PEM))

    password = secrets.token_urlsafe(18)
    _write(folder / "business.p12.password", password.encode())
    enc = serialization.BestAvailableEncryption(password.encode())
    specs = [
        ("business.p12", ORG_NUMBER, _ORG_NAME, now - dt.timedelta(days=1), now + dt.timedelta(days=730)),
        ("expired.p12", ORG_NUMBER, _ORG_NAME, now - dt.timedelta(days=400), now - dt.timedelta(days=35)),
        ("other-org.p12", OTHER_ORG_NUMBER, _OTHER_ORG_NAME, now - dt.timedelta(days=1), now + dt.timedelta(days=730)),
    ]
    for filename, orgnr, org, nb, na in specs:
        key = _key()
        cert = _issue(ca_key, ca_name, _name(org, org, orgnr), key, nb, na)
        _write(folder / filename, pkcs12.serialize_key_and_certificates(
            filename.removesuffix(".p12").encode(), key, cert, [ca_cert], enc))

    client_key = _key()
    _write(folder / "client.key.pem", _pem(client_key))
    token_key = _key()
    _write(folder / "token-signing.key.pem", _pem(token_key))
    state = {
        "client_id": str(uuid.uuid4()),
        "kid": "freg-nb-sandkasse-" + secrets.token_hex(4),
        "token_kid": "sandkasse-" + secrets.token_hex(4),
        "integration_id": str(uuid.uuid4()),
        "integration_password": secrets.token_urlsafe(24),
        "org_number": ORG_NUMBER,
        "other_org_number": OTHER_ORG_NUMBER,
    }
    _write(folder / "state.json", json.dumps(state, indent=2).encode())


def load_or_create(data_dir: str | Path) -> Pki:
    """Load the sandbox PKI from ``<data_dir>/sandbox/``, creating it on first use."""
    folder = Path(data_dir).expanduser() / "sandbox"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    if not (folder / "state.json").exists():
        _create(folder)
    state = json.loads((folder / "state.json").read_text())
    password = (folder / "business.p12.password").read_text().strip()
    ca_cert = x509.load_pem_x509_certificate((folder / "ca.cert.pem").read_bytes())
    # Keys this module generated itself: skipping cryptography's RSA consistency check (~50 ms a key)
    # keeps the sandbox's start quick; it guards against malformed foreign keys, not our own.
    client_key = serialization.load_pem_private_key((folder / "client.key.pem").read_bytes(), None,
                                                    unsafe_skip_rsa_key_validation=True)
    token_key = serialization.load_pem_private_key((folder / "token-signing.key.pem").read_bytes(), None,
                                                   unsafe_skip_rsa_key_validation=True)
    creds = Credentials(
        client_id=state["client_id"], cert_file=folder / "business.p12", cert_password=password,
        key_file=folder / "client.key.pem", kid=state["kid"], integration_id=state["integration_id"],
        integration_password=state["integration_password"], org_number=state["org_number"],
        expired_cert_file=folder / "expired.p12", other_org_cert_file=folder / "other-org.p12",
        other_org_number=state["other_org_number"], ca_cert_file=folder / "ca.cert.pem")
    return Pki(credentials=creds, ca_cert=ca_cert, client_public_key=client_key.public_key(),
               token_key=token_key, token_kid=state["token_kid"])
