"""An RFC 3161 time-stamping authority (``POST /api/v1/timestamp``).

Replies keep the request's nonce bytes exactly, honour ``certReq`` (the TSA certificate is
embedded only when asked), and write ``genTime`` in whole seconds (sigstore-js accepts exactly
three fractional digits or none).
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chainkit.sandbox._sigstore import _der
from chainkit.sandbox._sigstore._authority import SigstoreAuthority
from chainkit.sandbox._sigstore._common import Rejected

__all__ = ["TimestampAuthority", "TimestampQuery", "parse_query"]

POLICY = "1.3.6.1.4.1.57264.2"
_SIGNED_DATA = "1.2.840.113549.1.7.2"
_TST_INFO = "1.2.840.113549.1.9.16.1.4"
_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
_SHA256 = "2.16.840.1.101.3.4.2.1"
_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
_DIGEST_SIZES = {
    _SHA256: 32,
    "2.16.840.1.101.3.4.2.2": 48,
    "2.16.840.1.101.3.4.2.3": 64,
}


@dataclass(frozen=True)
class TimestampQuery:
    """The parts of a TimeStampReq a reply copies (raw DER, copied byte for byte)."""

    message_imprint: bytes
    hash_oid: bytes
    policy: bytes | None
    nonce: bytes | None
    cert_req: bool


def _bad(message: str) -> Rejected:
    return Rejected(400, f"invalid timestamp query: {message}")


def parse_query(data: bytes) -> TimestampQuery:
    """Parse a DER TimeStampReq (RFC 3161 section 2.4.1)."""
    try:
        request, end = _der.parse(data)
        if request.tag != 0x30 or end != len(data):
            raise _bad("not a single DER SEQUENCE")
        fields = request.children()
        if len(fields) < 2 or fields[0].tag != 0x02 or fields[0].content != b"\x01":
            raise _bad("version must be 1")
        imprint = fields[1]
        parts = imprint.children()
        if imprint.tag != 0x30 or len(parts) != 2 or parts[1].tag != 0x04:
            raise _bad("malformed messageImprint")
        algorithm = parts[0].children()
        if not algorithm or algorithm[0].tag != 0x06:
            raise _bad("malformed hash AlgorithmIdentifier")
        policy = nonce = None
        cert_req = False
        for item in fields[2:]:
            if item.tag == 0x06:
                policy = item.raw
            elif item.tag == 0x02:
                nonce = item.raw
            elif item.tag == 0x01:
                cert_req = item.content != b"\x00"
            elif item.tag == 0xA0:
                raise _bad("request extensions are not supported")
            else:
                raise _bad(f"unexpected field with tag 0x{item.tag:02x}")
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    expected = _DIGEST_SIZES.get(_oid_text(algorithm[0].content))
    if expected is None:
        raise _bad("unsupported hash algorithm (SHA-256, SHA-384 or SHA-512)")
    if len(parts[1].content) != expected:
        raise _bad("the message digest length does not match its algorithm")
    return TimestampQuery(imprint.raw, algorithm[0].raw, policy, nonce, cert_req)


def _oid_text(content: bytes) -> str:
    arcs = [content[0] // 40, content[0] % 40] if content else []
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(a) for a in arcs)


def _attribute(oid: str, value: bytes) -> bytes:
    return _der.sequence(_der.oid(oid), _der.set_of(value))


class TimestampAuthority:
    """Sign time-stamp tokens with the sandbox TSA key."""

    def __init__(
        self, authority: SigstoreAuthority, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = authority.key("tsa")
        self._cert = authority.cert("tsa")
        self._cert_der = self._cert.public_bytes(serialization.Encoding.DER)
        self._chain_pem = "".join(
            authority.cert(n).public_bytes(serialization.Encoding.PEM).decode()
            for n in ("tsa", "tsa-root")
        )
        self._clock = clock
        self._serials = itertools.count(1)

    def cert_chain_pem(self) -> str:
        """``GET /api/v1/timestamp/certchain``: TSA certificate then root, PEM."""
        return self._chain_pem

    def respond(self, query_der: bytes) -> bytes:
        """A DER TimeStampResp granting a token for the query."""
        query = parse_query(query_der)
        gen_time = datetime.fromtimestamp(int(self._clock()), tz=timezone.utc)
        serial = (secrets.randbits(63) << 16) | (next(self._serials) & 0xFFFF)
        tst_info = _der.sequence(
            _der.integer(1),
            query.policy or _der.oid(POLICY),
            query.message_imprint,
            _der.integer(serial),
            _der.generalized_time(gen_time),
            _der.sequence(_der.integer(1)),
            query.nonce or b"",
        )
        sha256 = _der.sequence(_der.oid(_SHA256))
        signed_attrs = _der.set_of(
            _attribute(_CONTENT_TYPE, _der.oid(_TST_INFO)),
            _attribute(_MESSAGE_DIGEST, _der.octet_string(hashlib.sha256(tst_info).digest())),
            _attribute(
                _SIGNING_CERT_V2,
                _der.sequence(
                    _der.sequence(
                        _der.sequence(_der.octet_string(hashlib.sha256(self._cert_der).digest()))
                    )
                ),
            ),
        )
        signature = self._key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))
        signer_info = _der.sequence(
            _der.integer(1),
            _der.sequence(self._cert.issuer.public_bytes(), _der.integer(self._cert.serial_number)),
            sha256,
            b"\xa0" + signed_attrs[1:],  # [0] IMPLICIT SET OF Attribute
            _der.sequence(_der.oid(_ECDSA_SHA256)),
            _der.octet_string(signature),
        )
        signed_data = _der.sequence(
            _der.integer(3),
            _der.set_of(sha256),
            _der.sequence(_der.oid(_TST_INFO), _der.context(0, _der.octet_string(tst_info))),
            _der.context(0, self._cert_der) if query.cert_req else b"",
            _der.set_of(signer_info),
        )
        token = _der.sequence(_der.oid(_SIGNED_DATA), _der.context(0, signed_data))
        return _der.sequence(_der.sequence(_der.integer(0)), token)
