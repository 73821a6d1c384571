"""Certificates for the lab: a lab CA, and server certificates it issues.

Real domains use ACME (see the README); the lab has no public DNS, so the lab
CA signs each environment's certificate and the lab's clients trust the CA.

    >>> ca = CertificateAuthority.create("upkeep lab CA")
    >>> leaf = ca.issue("staging.demo.lab", days=90)
    >>> leaf.days_left(now=leaf.not_before) >= 89
    True
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class IssuedCertificate:
    certificate_pem: bytes
    key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem)

    @property
    def not_before(self) -> dt.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    def days_left(self, now: dt.datetime | None = None) -> float:
        return (self.not_after - (now or _now())).total_seconds() / 86400


@dataclass(frozen=True)
class CertificateAuthority:
    certificate_pem: bytes
    key_pem: bytes

    @classmethod
    def create(cls, name: str, days: int = 3650) -> CertificateAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(certificate.public_bytes(serialization.Encoding.PEM), _pem_key(key))

    @classmethod
    def load_or_create(cls, directory: Path, name: str = "upkeep lab CA") -> CertificateAuthority:
        cert_path, key_path = directory / "ca.crt", directory / "ca.key"
        if cert_path.exists() and key_path.exists():
            return cls(cert_path.read_bytes(), key_path.read_bytes())
        ca = cls.create(name)
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(ca.key_pem)
        cert_path.write_bytes(ca.certificate_pem)
        return ca

    def issue(
        self, domain: str, days: int = 90, *, not_before: dt.datetime | None = None
    ) -> IssuedCertificate:
        """A server certificate for ``domain`` valid ``days`` from ``not_before`` (now)."""
        ca_cert = x509.load_pem_x509_certificate(self.certificate_pem)
        ca_key = serialization.load_pem_private_key(self.key_pem, password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        start = not_before or _now() - dt.timedelta(minutes=5)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return IssuedCertificate(
            certificate.public_bytes(serialization.Encoding.PEM), _pem_key(key)
        )


RENEW_BEFORE_DAYS = 30


def lab_certificate(domain: str, directory: Path) -> IssuedCertificate:
    """The lab CA's certificate for ``domain``, kept in ``directory`` and reused until
    it nears expiry (so provisioning twice uploads nothing new)."""
    certs = directory / "certs"
    crt, key = certs / f"{domain}.crt", certs / f"{domain}.key"
    if crt.exists() and key.exists():
        kept = IssuedCertificate(crt.read_bytes(), key.read_bytes())
        if kept.days_left() > RENEW_BEFORE_DAYS:
            return kept
    issued = CertificateAuthority.load_or_create(directory).issue(domain)
    certs.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(issued.key_pem)
    crt.write_bytes(issued.certificate_pem)
    return issued
