"""Independent check: sigstore-js (@sigstore/verify 4.x) verifies the stand-in's bundles."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigstore import dsse

from _plugins.sigstore import JsVerify, SigstoreSandbox, workflow_identity
from chainkit.sandbox._sigstore import SigstoreAuthority

pytestmark = pytest.mark.node

SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12"
LEGACY_REPOSITORY = "1.3.6.1.4.1.57264.1.5"


@pytest.fixture(scope="module")
def bundles(sigstore_sandbox: SigstoreSandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with artifact.txt, blob.sigstore.json and dsse.sigstore.json."""
    directory = tmp_path_factory.mktemp("js-bundles")
    (directory / "artifact.txt").write_bytes(b"cross-checked artifact\n")
    (directory / "tampered.txt").write_bytes(b"cross-checked artifacT\n")
    statement = (
        dsse.StatementBuilder()
        .subjects([dsse.Subject(name="artifact.txt", digest={"sha256": "cd" * 32})])
        .predicate_type("https://slsa.dev/provenance/v1")
        .predicate({"buildDefinition": {"buildType": "https://example.com/build"}})
        .build()
    )
    with sigstore_sandbox.signing_context().signer(sigstore_sandbox.identity()) as signer:
        blob = signer.sign_artifact(b"cross-checked artifact\n")
        envelope = signer.sign_dsse(statement)
    (directory / "blob.sigstore.json").write_text(blob.to_json())
    (directory / "dsse.sigstore.json").write_text(envelope.to_json())
    return directory


@pytest.mark.parametrize("kind", ["blob", "dsse"])
def test_sigstore_js_accepts(
    sigstore_js_verify: JsVerify, sigstore_sandbox: SigstoreSandbox, bundles: Path, kind: str
) -> None:
    result = sigstore_js_verify(
        bundles / f"{kind}.sigstore.json",
        bundles / "artifact.txt" if kind == "blob" else None,
        sigstore_sandbox.trusted_root_path,
        workflow_identity(),
        extensions={
            SOURCE_REPOSITORY_URI: "https://github.com/acme/widgets",
            LEGACY_REPOSITORY: "acme/widgets",
        },
    )
    assert result["ok"] is True, result
    assert result["subjectAlternativeName"] == workflow_identity()


@pytest.mark.parametrize("kind", ["blob", "dsse"])
def test_sigstore_js_rejects_wrong_identity(
    sigstore_js_verify: JsVerify, sigstore_sandbox: SigstoreSandbox, bundles: Path, kind: str
) -> None:
    result = sigstore_js_verify(
        bundles / f"{kind}.sigstore.json",
        bundles / "artifact.txt" if kind == "blob" else None,
        sigstore_sandbox.trusted_root_path,
        workflow_identity("acme/widgets", "refs/heads/evil"),
    )
    assert (result["returncode"], result["error"]["code"]) == (1, "UNTRUSTED_SIGNER_ERROR")


@pytest.mark.parametrize("kind", ["blob", "dsse"])
def test_sigstore_js_rejects_wrong_source_repository(
    sigstore_js_verify: JsVerify, sigstore_sandbox: SigstoreSandbox, bundles: Path, kind: str
) -> None:
    result = sigstore_js_verify(
        bundles / f"{kind}.sigstore.json",
        bundles / "artifact.txt" if kind == "blob" else None,
        sigstore_sandbox.trusted_root_path,
        workflow_identity(),
        extensions={SOURCE_REPOSITORY_URI: "https://github.com/acme/gadgets"},
    )
    assert result["returncode"] == 1
    assert SOURCE_REPOSITORY_URI in result["error"]["message"]


def test_sigstore_js_rejects_tampered_artifact(
    sigstore_js_verify: JsVerify, sigstore_sandbox: SigstoreSandbox, bundles: Path
) -> None:
    result = sigstore_js_verify(
        bundles / "blob.sigstore.json",
        bundles / "tampered.txt",
        sigstore_sandbox.trusted_root_path,
        workflow_identity(),
    )
    assert (result["returncode"], result["error"]["code"]) == (1, "SIGNATURE_ERROR")


def test_sigstore_js_rejects_a_foreign_trusted_root(
    sigstore_js_verify: JsVerify, bundles: Path, tmp_path: Path
) -> None:
    other = SigstoreAuthority(tmp_path / "other")
    _, foreign_root = other.write_trust_config("http://127.0.0.1:9")
    result = sigstore_js_verify(
        bundles / "blob.sigstore.json", bundles / "artifact.txt", foreign_root, workflow_identity()
    )
    assert result["returncode"] == 1
