"""The real sigstore-python client against the Sigstore stand-in (sign online, verify offline)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore import dsse
from sigstore.errors import VerificationError
from sigstore.models import Bundle
from sigstore.verify import policy

from _plugins.sigstore import SigstoreSandbox, workflow_identity
from chainkit.sandbox import SandboxUsageError
from chainkit.sandbox._sigstore import GITHUB_ISSUER, SigstoreAuthority, SigstoreStandIn


def _statement(name: str = "widgets-1.0.tar.gz", digest: str = "ab" * 32) -> dsse.Statement:
    return (
        dsse.StatementBuilder()
        .subjects([dsse.Subject(name=name, digest={"sha256": digest})])
        .predicate_type("https://slsa.dev/provenance/v1")
        .predicate({"buildDefinition": {"buildType": "https://example.com/build"}})
        .build()
    )


@pytest.fixture(scope="module")
def signed(sigstore_sandbox: SigstoreSandbox) -> tuple[Bundle, Bundle]:
    """A blob bundle (of b"artifact bytes") and a DSSE bundle, signed by one signer."""
    with sigstore_sandbox.signing_context().signer(sigstore_sandbox.identity()) as signer:
        return signer.sign_artifact(b"artifact bytes"), signer.sign_dsse(_statement())


def test_blob_bundle_verifies_offline_with_source_repository_policy(
    sigstore_sandbox: SigstoreSandbox, signed: tuple[Bundle, Bundle]
) -> None:
    blob, _ = signed
    verifier = sigstore_sandbox.verifier()
    verifier.verify_artifact(b"artifact bytes", blob, sigstore_sandbox.policy())
    # The same bundle survives a JSON round trip (what gets uploaded as a release asset).
    again = Bundle.from_json(blob.to_json())
    verifier.verify_artifact(
        b"artifact bytes",
        again,
        policy.AllOf(
            [
                policy.Identity(identity=workflow_identity(), issuer=GITHUB_ISSUER),
                policy.GitHubWorkflowRepository("acme/widgets"),
                policy.OIDCSourceRepositoryRef("refs/heads/main"),
                policy.OIDCBuildSignerURI(workflow_identity()),
                policy.OIDCRunnerEnvironment("github-hosted"),
            ]
        ),
    )
    timestamps = blob.verification_material.timestamp_verification_data
    assert timestamps is not None and len(timestamps.rfc3161_timestamps) == 1
    # The RFC 3161 timestamp itself verifies against the trusted root's TSA chain.
    [verified_time] = verifier._verify_timestamp_authority(blob)
    assert verified_time.time.microsecond == 0


def test_dsse_bundle_verifies_offline(
    sigstore_sandbox: SigstoreSandbox, signed: tuple[Bundle, Bundle]
) -> None:
    _, envelope = signed
    payload_type, payload = sigstore_sandbox.verifier().verify_dsse(
        envelope, sigstore_sandbox.policy()
    )
    assert payload_type == "application/vnd.in-toto+json"
    assert json.loads(payload)["subject"][0]["name"] == "widgets-1.0.tar.gz"
    assert envelope.log_entry._inner.kind_version.kind == "dsse"


@pytest.mark.parametrize(
    ("description", "bad_policy"),
    [
        (
            "wrong identity",
            SigstoreSandbox.policy(identity=workflow_identity("acme/widgets", "refs/heads/evil")),
        ),
        ("wrong source repository", SigstoreSandbox.policy("acme/gadgets")),
        (
            "wrong issuer",
            policy.Identity(identity=workflow_identity(), issuer="https://accounts.google.com"),
        ),
    ],
)
def test_policy_mismatch_is_rejected(
    sigstore_sandbox: SigstoreSandbox,
    signed: tuple[Bundle, Bundle],
    description: str,
    bad_policy: policy.VerificationPolicy,
) -> None:
    blob, envelope = signed
    verifier = sigstore_sandbox.verifier()
    with pytest.raises(VerificationError):
        verifier.verify_artifact(b"artifact bytes", blob, bad_policy)
    with pytest.raises(VerificationError):
        verifier.verify_dsse(envelope, bad_policy)


def test_tampered_artifact_is_rejected(
    sigstore_sandbox: SigstoreSandbox, signed: tuple[Bundle, Bundle]
) -> None:
    blob, _ = signed
    with pytest.raises(VerificationError, match="digest mismatch"):
        sigstore_sandbox.verifier().verify_artifact(
            b"artifact bytez", blob, sigstore_sandbox.policy()
        )


def test_tampered_dsse_payload_is_rejected(
    sigstore_sandbox: SigstoreSandbox, signed: tuple[Bundle, Bundle]
) -> None:
    _, envelope = signed
    doc = json.loads(envelope.to_json())
    statement = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    statement["subject"][0]["name"] = "evil.tar.gz"
    doc["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    with pytest.raises(VerificationError):
        sigstore_sandbox.verifier().verify_dsse(
            Bundle.from_json(json.dumps(doc)), sigstore_sandbox.policy()
        )


def test_one_signer_one_certificate_for_many_artifacts(sigstore_sandbox: SigstoreSandbox) -> None:
    before = sigstore_sandbox.stand_in.certificates_issued
    log_before = sigstore_sandbox.stand_in.log_size
    with sigstore_sandbox.signing_context().signer(sigstore_sandbox.identity()) as signer:
        bundles = [signer.sign_artifact(f"artifact {i}".encode()) for i in range(12)]
    assert sigstore_sandbox.stand_in.certificates_issued - before == 1
    assert sigstore_sandbox.stand_in.log_size - log_before == 12
    assert len({b.signing_certificate.serial_number for b in bundles}) == 1
    verifier = sigstore_sandbox.verifier()
    for i, bundle in enumerate(bundles):
        verifier.verify_artifact(f"artifact {i}".encode(), bundle, sigstore_sandbox.policy())


def test_environment_and_other_repository_reach_the_certificate(
    sigstore_sandbox: SigstoreSandbox,
) -> None:
    token = sigstore_sandbox.identity(
        repository="octo/tools", ref="refs/tags/v2.0.0", environment="release"
    )
    assert token.identity == "repo:octo/tools:environment:release"
    with sigstore_sandbox.signing_context().signer(token) as signer:
        bundle = signer.sign_artifact(b"tools")
    verifier = sigstore_sandbox.verifier()
    verifier.verify_artifact(
        b"tools",
        bundle,
        sigstore_sandbox.policy(
            "octo/tools", identity=workflow_identity("octo/tools", "refs/tags/v2.0.0")
        ),
    )
    with pytest.raises(VerificationError):
        verifier.verify_artifact(b"tools", bundle, sigstore_sandbox.policy())


def _post_cert(url: str, token: str) -> requests.Response:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )
    body = {
        "certificateSigningRequest": base64.b64encode(
            csr.public_bytes(serialization.Encoding.PEM)
        ).decode()
    }
    return requests.post(
        f"{url}/api/v2/signingCert",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_expired_token_gets_a_clear_error_from_fulcio(sigstore_sandbox: SigstoreSandbox) -> None:
    old = datetime.now(timezone.utc) - timedelta(hours=1)
    response = _post_cert(sigstore_sandbox.url, sigstore_sandbox.token(now=old, lifetime=600))
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_foreign_token_is_rejected_by_fulcio(
    sigstore_sandbox: SigstoreSandbox, tmp_path: Path
) -> None:
    foreign = SigstoreAuthority(tmp_path / "other").identity_token()
    response = _post_cert(sigstore_sandbox.url, foreign)
    assert response.status_code == 401
    assert "signature does not verify" in response.json()["message"]
    assert foreign not in response.text


def test_rekor_read_endpoints(
    sigstore_sandbox: SigstoreSandbox, signed: tuple[Bundle, Bundle]
) -> None:
    blob, _ = signed
    url = sigstore_sandbox.url
    info = requests.get(f"{url}/api/v1/log", timeout=10).json()
    assert info["treeSize"] >= 2
    assert info["signedTreeHead"].startswith(url.removeprefix("http://") + "\n")
    index = blob.log_entry._inner.log_index
    by_index = requests.get(f"{url}/api/v1/log/entries", params={"logIndex": index}, timeout=10)
    assert by_index.status_code == 200
    uuid, entry = next(iter(by_index.json().items()))
    assert entry["logIndex"] == index
    by_uuid = requests.get(f"{url}/api/v1/log/entries/{uuid}", timeout=10)
    assert by_uuid.json()[uuid]["body"] == entry["body"]
    missing = requests.get(f"{url}/api/v1/log/entries", params={"logIndex": 10**6}, timeout=10)
    assert missing.status_code == 404


def test_port_in_use_is_a_usage_error(sigstore_sandbox: SigstoreSandbox) -> None:
    port = int(sigstore_sandbox.url.rsplit(":", 1)[1])
    with pytest.raises(SandboxUsageError, match="is in use"):
        SigstoreStandIn(sigstore_sandbox.authority, port=port).start()


def test_restart_continues_the_log_and_old_bundles_verify(tmp_path: Path) -> None:
    state = tmp_path / "sigstore"
    first = SigstoreStandIn(SigstoreAuthority(state))
    first.start()
    try:
        port = int(first.url.rsplit(":", 1)[1])
        authority = SigstoreAuthority(state)
        sandbox = SigstoreSandbox(authority, first, *authority.write_trust_config(first.url))
        with sandbox.signing_context().signer(sandbox.identity()) as signer:
            old = [signer.sign_artifact(b"one"), signer.sign_artifact(b"two")]
    finally:
        first.stop()
    trusted_root_before = (state / "trusted_root.json").read_text()

    authority = SigstoreAuthority(state)  # a fresh load, as a new process would do
    second = SigstoreStandIn(authority, port=port)
    second.start()
    try:
        paths = authority.write_trust_config(second.url)
        assert paths[1].read_text() == trusted_root_before
        sandbox = SigstoreSandbox(authority, second, *paths)
        assert second.log_size == 2
        with sandbox.signing_context().signer(sandbox.identity()) as signer:
            new = signer.sign_artifact(b"three")
        assert new.log_entry._inner.log_index == 2
        verifier = sandbox.verifier()
        for data, bundle in [(b"one", old[0]), (b"two", old[1]), (b"three", new)]:
            verifier.verify_artifact(data, bundle, sandbox.policy())
    finally:
        second.stop()


def test_sigstore_cli_signs_and_verifies(sigstore_sandbox: SigstoreSandbox, tmp_path: Path) -> None:
    artifact = tmp_path / "widgets-1.0.tar.gz"
    artifact.write_bytes(b"release contents")
    config = str(sigstore_sandbox.trust_config_path)
    cli = [sys.executable, "-m", "sigstore", "--trust-config", config]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args], capture_output=True, text=True, timeout=120, check=False
        )

    signed = run("sign", "--identity-token", sigstore_sandbox.token(), str(artifact))
    assert signed.returncode == 0, signed.stderr
    assert (tmp_path / "widgets-1.0.tar.gz.sigstore.json").is_file()

    verified = run(
        "verify", "identity", "--cert-identity", workflow_identity(),
        "--cert-oidc-issuer", GITHUB_ISSUER,
        "--bundle", str(tmp_path / "widgets-1.0.tar.gz.sigstore.json"), str(artifact),
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stderr + verified.stdout
    github = run(
        "verify", "github", "--cert-identity", workflow_identity(),
        "--repository", "acme/gadgets",
        "--bundle", str(tmp_path / "widgets-1.0.tar.gz.sigstore.json"), str(artifact),
    )  # fmt: skip
    assert github.returncode != 0
    assert "FAIL" in github.stderr + github.stdout


def test_stop_closes_the_port_and_kept_alive_connections(tmp_path: Path) -> None:
    stand_in = SigstoreStandIn(SigstoreAuthority(tmp_path))
    stand_in.start()
    session = requests.Session()
    assert session.get(f"{stand_in.url}/api/v1/log", timeout=10).json()["treeSize"] == 0
    stand_in.stop()
    stand_in.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        session.get(f"{stand_in.url}/api/v1/log", timeout=10)
