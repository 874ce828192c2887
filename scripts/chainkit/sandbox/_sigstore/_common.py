"""What the three services share: a rejection carrying an HTTP status and a message."""

from __future__ import annotations

from cryptography import x509

__all__ = ["Rejected"]


class Rejected(Exception):
    """A request the service refuses; ``message`` goes to the client as is (never a secret)."""

    def __init__(self, status: int, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def key_usage(*, ca: bool) -> x509.KeyUsage:
    """KeyUsage of a CA (keyCertSign, cRLSign) or of a signing leaf (digitalSignature)."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
