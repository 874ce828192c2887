"""Rekor v1: a persistent RFC 6962 log of hashedrekord and dsse 0.0.1 entries.

Entries are stored in Rekor's canonical form (RFC 8785 JSON; dsse as envelopeHash, payloadHash
and signatures[{signature, verifier}]); each response carries a signed entry timestamp (SET)
and an inclusion proof with a signed-note checkpoint whose origin is the log's ``host:port``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._sigstore._authority import SigstoreAuthority, key_id
from chainkit.sandbox._sigstore._common import Rejected
from chainkit.sandbox._sigstore._merkle import MerkleTree, leaf_hash

__all__ = ["RekorLog", "canonical_json", "canonicalize", "pae"]

_HASHES: dict[str, tuple[hashes.HashAlgorithm, int]] = {
    "sha256": (hashes.SHA256(), 64),
    "sha384": (hashes.SHA384(), 96),
    "sha512": (hashes.SHA512(), 128),
}


def canonical_json(value: Any) -> bytes:
    """RFC 8785 for the values Rekor stores (ASCII strings, integers, objects, arrays)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _bad(message: str) -> Rejected:
    return Rejected(400, message, code=400)


def _b64decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise _bad(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(f"{what} is not valid base64") from exc


def _verifier_key(pem: bytes, what: str) -> tuple[Any, bytes]:
    """The public key in a PEM certificate or key, and the PEM as Rekor stores it."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        try:
            return serialization.load_pem_public_key(pem), pem
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise _bad(f"{what} is neither a PEM certificate nor a PEM public key") from exc
    return cert.public_key(), cert.public_bytes(serialization.Encoding.PEM)


def _verify(
    key: Any, signature: bytes, data: bytes, *, prehashed: hashes.HashAlgorithm | None
) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            algorithm = utils.Prehashed(prehashed) if prehashed else hashes.SHA256()
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            algorithm = utils.Prehashed(prehashed) if prehashed else hashes.SHA256()
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey) and prehashed is None:
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _hashedrekord(spec: dict[str, Any]) -> dict[str, Any]:
    try:
        digest = spec["data"]["hash"]
        algorithm, value = digest["algorithm"], digest["value"]
        signature = spec["signature"]
        content = signature["content"]
        public_key = signature["publicKey"]["content"]
    except (KeyError, TypeError) as exc:
        raise _bad("hashedrekord spec needs data.hash and signature.publicKey") from exc
    if algorithm not in _HASHES or not isinstance(value, str):
        raise _bad(f"unsupported hash algorithm {algorithm!r}")
    hash_alg, length = _HASHES[algorithm]
    try:
        digest_bytes = bytes.fromhex(value)
    except ValueError as exc:
        raise _bad("data.hash.value is not hex") from exc
    if len(value) != length:
        raise _bad(f"data.hash.value must be {length} hex characters for {algorithm}")
    sig = _b64decode(content, "signature.content")
    key, pem = _verifier_key(_b64decode(public_key, "signature.publicKey.content"), "publicKey")
    if not _verify(key, sig, digest_bytes, prehashed=hash_alg):
        raise _bad("verifying signature: invalid signature when validating ASN.1 encoded signature")
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": algorithm, "value": value.lower()}},
            "signature": {
                "content": base64.b64encode(sig).decode(),
                "publicKey": {"content": base64.b64encode(pem).decode()},
            },
        },
    }


def _dsse(spec: dict[str, Any]) -> dict[str, Any]:
    proposed = spec.get("proposedContent")
    if not isinstance(proposed, dict):
        raise _bad("dsse spec needs proposedContent (envelope, verifiers)")
    raw_envelope, verifiers = proposed.get("envelope"), proposed.get("verifiers")
    if not isinstance(raw_envelope, str) or not isinstance(verifiers, list) or not verifiers:
        raise _bad("proposedContent needs an envelope string and at least one verifier")
    try:
        envelope = json.loads(raw_envelope)
        payload = _b64decode(envelope["payload"], "envelope payload")
        payload_type = envelope["payloadType"]
        signatures = envelope["signatures"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad("envelope is not a DSSE envelope (payload, payloadType, signatures)") from exc
    if not isinstance(payload_type, str) or not isinstance(signatures, list) or not signatures:
        raise _bad("envelope needs a payloadType and at least one signature")
    keys = [_verifier_key(_b64decode(v, "verifier"), "verifier") for v in verifiers]
    message = pae(payload_type, payload)
    stored = []
    for entry in signatures:
        sig = _b64decode(entry.get("sig") if isinstance(entry, dict) else None, "signature sig")
        for key, pem in keys:
            if _verify(key, sig, message, prehashed=None):
                stored.append(
                    {
                        "signature": base64.b64encode(sig).decode(),
                        "verifier": base64.b64encode(pem).decode(),
                    }
                )
                break
        else:
            raise _bad("could not verify envelope signature with any of the verifiers")
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(raw_envelope.encode()).hexdigest(),
            },
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": stored,
        },
    }


def canonicalize(proposed: Any) -> bytes:
    """Validate a proposed entry, verify its signature, and return its canonical body."""
    if not isinstance(proposed, dict):
        raise _bad("the proposed entry must be a JSON object")
    kind, version, spec = proposed.get("kind"), proposed.get("apiVersion"), proposed.get("spec")
    if not isinstance(spec, dict):
        raise _bad("the proposed entry has no spec")
    if (kind, version) == ("hashedrekord", "0.0.1"):
        return canonical_json(_hashedrekord(spec))
    if (kind, version) == ("dsse", "0.0.1"):
        return canonical_json(_dsse(spec))
    raise _bad(f"unsupported entry type {kind}/{version} (use hashedrekord or dsse 0.0.1)")


class RekorLog:
    """The log: entries appended under a lock and persisted one JSON line each."""

    def __init__(
        self,
        authority: SigstoreAuthority,
        *,
        origin: str,
        path: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``origin`` names the log in checkpoints (``host:port``); ``path`` defaults to the
        authority's ``rekor-log.jsonl``."""
        self.origin = origin
        self._key = authority.key("rekor")
        self._key_id = key_id(self._key.public_key())
        self._log_id = self._key_id.hex()
        self.tree_id = int.from_bytes(self._key_id[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF
        self._path: Path = path or authority.rekor_log_path
        self._clock = clock
        self._lock = threading.Lock()
        self._tree = MerkleTree()
        self._entries: list[dict[str, Any]] = []
        self._by_uuid: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        if not self._path.exists():
            return
        try:
            for line in self._path.read_text().splitlines():
                if line.strip():
                    self._add(json.loads(line))
        except (ValueError, KeyError, binascii.Error) as exc:
            raise SandboxUsageError(
                f"the Rekor log {self._path} is corrupt ({exc})",
                remediation=f"delete {self._path} to start an empty log",
            ) from exc

    def _add(self, record: dict[str, Any]) -> None:
        body = base64.b64decode(record["body"])
        index = self._tree.append(leaf_hash(body))
        if index != record["logIndex"]:
            raise ValueError(f"entry {index} is stored with logIndex {record['logIndex']}")
        self._entries.append(record)
        self._by_uuid[record["uuid"]] = index

    def __len__(self) -> int:
        return len(self._entries)

    def _uuid(self, body: bytes) -> str:
        return f"{self.tree_id:016x}{leaf_hash(body).hex()}"

    def _sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def checkpoint(self, size: int) -> str:
        """The signed note for the tree of ``size`` leaves."""
        root = base64.b64encode(self._tree.root(size)).decode()
        note = f"{self.origin}\n{size}\n{root}\n"
        signature = base64.b64encode(self._key_id[:4] + self._sign(note.encode())).decode()
        return f"{note}\n\u2014 {self.origin} {signature}\n"

    # -- API ----------------------------------------------------------------------------------

    def create_entry(self, request_body: bytes) -> dict[str, Any]:
        """``POST /api/v1/log/entries``: the 201 response body."""
        try:
            proposed = json.loads(request_body)
        except ValueError as exc:
            raise _bad("request body is not JSON") from exc
        body = canonicalize(proposed)
        uuid = self._uuid(body)
        with self._lock:
            if uuid in self._by_uuid:
                raise Rejected(
                    409, "an equivalent entry already exists in the transparency log", code=409
                )
            integrated = int(self._clock())
            index = len(self._entries)
            encoded = base64.b64encode(body).decode()
            set_payload = canonical_json(
                {
                    "body": encoded,
                    "integratedTime": integrated,
                    "logID": self._log_id,
                    "logIndex": index,
                }
            )
            record = {
                "uuid": uuid,
                "body": encoded,
                "integratedTime": integrated,
                "logIndex": index,
                "signedEntryTimestamp": base64.b64encode(self._sign(set_payload)).decode(),
            }
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._add(record)
            return self._response(index)

    def _response(self, index: int) -> dict[str, Any]:
        record = self._entries[index]
        size = len(self._entries)
        return {
            record["uuid"]: {
                "body": record["body"],
                "integratedTime": record["integratedTime"],
                "logID": self._log_id,
                "logIndex": index,
                "verification": {
                    "inclusionProof": {
                        "checkpoint": self.checkpoint(size),
                        "hashes": [h.hex() for h in self._tree.inclusion_proof(index, size)],
                        "logIndex": index,
                        "rootHash": self._tree.root(size).hex(),
                        "treeSize": size,
                    },
                    "signedEntryTimestamp": record["signedEntryTimestamp"],
                },
            }
        }

    def entry_by_index(self, index: int) -> dict[str, Any]:
        with self._lock:
            if not 0 <= index < len(self._entries):
                raise Rejected(404, f"no entry with logIndex {index}", code=404)
            return self._response(index)

    def entry_by_uuid(self, uuid: str) -> dict[str, Any]:
        with self._lock:
            index = self._by_uuid.get(uuid.lower())
            if index is None:
                # Rekor also accepts the bare leaf hash (64 hex) without the tree ID.
                matches = [i for u, i in self._by_uuid.items() if u.endswith(uuid.lower())]
                if len(uuid) != 64 or len(matches) != 1:
                    raise Rejected(404, f"no entry with UUID {uuid}", code=404)
                index = matches[0]
            return self._response(index)

    def log_info(self) -> dict[str, Any]:
        """``GET /api/v1/log``."""
        with self._lock:
            size = len(self._entries)
            return {
                "rootHash": self._tree.root(size).hex(),
                "treeSize": size,
                "signedTreeHead": self.checkpoint(size),
                "treeID": str(self.tree_id),
                "inactiveShards": [],
            }
