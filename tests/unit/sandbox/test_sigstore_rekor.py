"""Rekor v1: canonical bodies, signature checks, checkpoints, SETs and persistence."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from sigstore._internal.rekor.checkpoint import SignedCheckpoint

from chainkit.sandbox import SandboxUsageError
from chainkit.sandbox._sigstore import SigstoreAuthority
from chainkit.sandbox._sigstore._common import Rejected
from chainkit.sandbox._sigstore._fulcio import Fulcio
from chainkit.sandbox._sigstore._rekor import RekorLog, canonical_json, pae

ORIGIN = "127.0.0.1:3000"


@pytest.fixture(scope="module")
def signer(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes]:
    """An authority, an ephemeral key and its Fulcio certificate (PEM)."""
    authority = SigstoreAuthority(tmp_path_factory.mktemp("rekor-keys"))
    key = ec.generate_private_key(ec.SECP256R1())
    claims = json.loads(base64.urlsafe_b64decode(authority.identity_token().split(".")[1] + "=="))
    cert = Fulcio(authority).issue(key.public_key(), claims)
    return authority, key, cert.public_bytes(serialization.Encoding.PEM)


def _fresh_log(authority: SigstoreAuthority, tmp_path: Path) -> RekorLog:
    return RekorLog(
        authority, origin=ORIGIN, path=tmp_path / "rekor-log.jsonl", clock=lambda: 1_700_000_000
    )


def _hashedrekord(key: ec.EllipticCurvePrivateKey, cert_pem: bytes, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).digest()
    signature = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
            "signature": {
                "content": base64.b64encode(signature).decode(),
                "publicKey": {"content": base64.b64encode(cert_pem).decode()},
            },
        },
    }


def _dsse(key: ec.EllipticCurvePrivateKey, cert_pem: bytes, payload: bytes) -> dict[str, Any]:
    kind = "application/vnd.in-toto+json"
    sig = key.sign(pae(kind, payload), ec.ECDSA(hashes.SHA256()))
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": kind,
        "signatures": [{"sig": base64.b64encode(sig).decode()}],
    }
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": json.dumps(envelope),
                "verifiers": [base64.b64encode(cert_pem).decode()],
            }
        },
    }


def _post(log: RekorLog, entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    response = log.create_entry(json.dumps(entry).encode())
    return next(iter(response.items()))


def test_hashedrekord_entry_is_canonical_with_set_and_checkpoint(
    signer: tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes], tmp_path: Path
) -> None:
    authority, key, cert_pem = signer
    log = _fresh_log(authority, tmp_path)
    proposed = _hashedrekord(key, cert_pem, b"data")
    uuid, entry = _post(log, proposed)
    body = base64.b64decode(entry["body"])
    assert body == canonical_json(proposed)
    assert uuid.endswith(hashlib.sha256(b"\x00" + body).hexdigest()) and len(uuid) == 80
    rekor_public = authority.key("rekor").public_key()
    log_id = hashlib.sha256(
        rekor_public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    assert entry["logID"] == log_id.hex()
    assert (entry["logIndex"], entry["integratedTime"]) == (0, 1_700_000_000)
    set_payload = canonical_json(
        {k: entry[k] for k in ("body", "integratedTime", "logID", "logIndex")}
    )
    rekor_public.verify(
        base64.b64decode(entry["verification"]["signedEntryTimestamp"]),
        set_payload,
        ec.ECDSA(hashes.SHA256()),
    )
    proof = entry["verification"]["inclusionProof"]
    assert (proof["treeSize"], proof["logIndex"], proof["hashes"]) == (1, 0, [])
    checkpoint = SignedCheckpoint.from_text(proof["checkpoint"])
    assert checkpoint.checkpoint.origin == ORIGIN
    assert checkpoint.checkpoint.log_size == 1
    assert checkpoint.checkpoint.log_hash == proof["rootHash"]
    [signature] = checkpoint.signed_note.signatures
    assert (signature.name, signature.sig_hash) == (ORIGIN, log_id[:4])
    rekor_public.verify(
        base64.b64decode(signature.signature),
        checkpoint.signed_note.note.encode(),
        ec.ECDSA(hashes.SHA256()),
    )


def test_dsse_entry_is_stored_in_rekor_canonical_form(
    signer: tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes], tmp_path: Path
) -> None:
    authority, key, cert_pem = signer
    log = _fresh_log(authority, tmp_path)
    proposed = _dsse(key, cert_pem, b'{"_type": "https://in-toto.io/Statement/v1"}')
    _, entry = _post(log, proposed)
    body = json.loads(base64.b64decode(entry["body"]))
    envelope = json.loads(proposed["spec"]["proposedContent"]["envelope"])
    assert body == {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(
                    proposed["spec"]["proposedContent"]["envelope"].encode()
                ).hexdigest(),
            },
            "payloadHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(
                    b'{"_type": "https://in-toto.io/Statement/v1"}'
                ).hexdigest(),
            },
            "signatures": [
                {
                    "signature": envelope["signatures"][0]["sig"],
                    "verifier": base64.b64encode(cert_pem).decode(),
                }
            ],
        },
    }


def test_invalid_signatures_and_unknown_kinds_are_rejected(
    signer: tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes], tmp_path: Path
) -> None:
    authority, _, cert_pem = signer
    log = _fresh_log(authority, tmp_path)
    other = ec.generate_private_key(ec.SECP256R1())
    bad_blob = _hashedrekord(other, cert_pem, b"data")
    bad_dsse = _dsse(other, cert_pem, b"{}")
    unknown = {"apiVersion": "0.0.1", "kind": "rekord", "spec": {}}
    for entry in (bad_blob, bad_dsse, unknown, []):
        with pytest.raises(Rejected) as caught:
            _post(log, entry)  # type: ignore[arg-type]
        assert caught.value.status == 400
    assert len(log) == 0


def test_duplicate_entry_is_a_conflict(
    signer: tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes], tmp_path: Path
) -> None:
    authority, key, cert_pem = signer
    log = _fresh_log(authority, tmp_path)
    entry = _hashedrekord(key, cert_pem, b"once")
    _post(log, entry)
    with pytest.raises(Rejected) as caught:
        _post(log, entry)
    assert caught.value.status == 409


def test_log_persists_and_continues(
    signer: tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes], tmp_path: Path
) -> None:
    authority, key, cert_pem = signer
    log = _fresh_log(authority, tmp_path)
    uuids = [_post(log, _hashedrekord(key, cert_pem, bytes([i])))[0] for i in range(5)]
    info = log.log_info()
    reloaded = _fresh_log(authority, tmp_path)
    assert len(reloaded) == 5
    assert reloaded.log_info()["rootHash"] == info["rootHash"]
    assert next(iter(reloaded.entry_by_index(3))) == uuids[3]
    assert reloaded.entry_by_uuid(uuids[2])[uuids[2]]["logIndex"] == 2
    assert reloaded.entry_by_uuid(uuids[2][16:])[uuids[2]]["logIndex"] == 2
    _, entry = _post(reloaded, _hashedrekord(key, cert_pem, b"next"))
    assert entry["logIndex"] == 5 and entry["verification"]["inclusionProof"]["treeSize"] == 6
    with pytest.raises(Rejected):
        reloaded.entry_by_index(6)


def test_corrupt_log_is_a_usage_error(
    signer: tuple[SigstoreAuthority, ec.EllipticCurvePrivateKey, bytes], tmp_path: Path
) -> None:
    authority, _, _ = signer
    (tmp_path / "rekor-log.jsonl").write_text('{"uuid": "x"}\n')
    with pytest.raises(SandboxUsageError, match="corrupt"):
        _fresh_log(authority, tmp_path)
