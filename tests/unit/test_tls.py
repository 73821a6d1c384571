"""The lab CA and the certificates it issues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from upkeep.tls import CertificateAuthority, lab_certificate


def test_issued_certificate_is_signed_by_the_ca_for_its_domain() -> None:
    ca = CertificateAuthority.create("test CA")
    leaf = ca.issue("staging.demo.lab", days=30)
    cert = leaf.certificate
    ca_cert = x509.load_pem_x509_certificate(ca.certificate_pem)
    public_key = ca_cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
    )  # type: ignore[arg-type]
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["staging.demo.lab"]
    assert cert.issuer == ca_cert.subject


def test_validity_can_be_chosen_to_test_expiry() -> None:
    ca = CertificateAuthority.create("test CA")
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    leaf = ca.issue("www.demo.lab", days=5, not_before=start)
    assert leaf.days_left(now=start + dt.timedelta(days=1)) == 4


def test_ca_is_kept_between_runs(tmp_path: Path) -> None:
    first = CertificateAuthority.load_or_create(tmp_path)
    again = CertificateAuthority.load_or_create(tmp_path)
    assert first == again
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0


def test_lab_certificates_are_kept_until_they_near_expiry(tmp_path: Path) -> None:
    first = lab_certificate("www.demo.lab", tmp_path)
    assert lab_certificate("www.demo.lab", tmp_path) == first  # provisioning twice: same bytes
    short = CertificateAuthority.load_or_create(tmp_path).issue("www.demo.lab", days=10)
    (tmp_path / "certs" / "www.demo.lab.crt").write_bytes(short.certificate_pem)
    renewed = lab_certificate("www.demo.lab", tmp_path)
    assert renewed.certificate_pem != short.certificate_pem and renewed.days_left() > 80
    assert (tmp_path / "certs" / "www.demo.lab.key").stat().st_mode & 0o077 == 0
