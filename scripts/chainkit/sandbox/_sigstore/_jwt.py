"""ES256 JSON Web Tokens: the identity tokens of the sandbox's GitHub Actions OIDC issuer."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = ["InvalidToken", "b64url", "decode", "encode"]


class InvalidToken(Exception):
    """The token is malformed or its signature does not verify (message is safe to show)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, *, kid: str) -> str:
    """Sign ``claims`` as a compact ES256 JWT."""
    header = {"alg": "ES256", "kid": kid, "typ": "JWT"}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def decode(token: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """Verify an ES256 JWT's signature with ``key``; return its claims (times not checked)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("the token is not a compact JWT (three dot-separated parts)")
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
        signature = _unb64url(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise InvalidToken("the token is not valid base64url JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise InvalidToken("unsupported signing algorithm (expected ES256)")
    if not isinstance(claims, dict):
        raise InvalidToken("the token's payload is not a JSON object")
    if len(signature) != 64:
        raise InvalidToken("malformed ES256 signature")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise InvalidToken("the token's signature does not verify with the issuer's key") from exc
    return claims
