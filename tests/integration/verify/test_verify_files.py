"""``chainkit verify FILE...``: local files against their bundles, sandbox trust root."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from _plugins.sigstore import workflow_identity
from chainkit.cli import cli

ISSUER = "https://token.actions.githubusercontent.com"


def run(sigstore_sandbox: Any, *args: str) -> Any:
    return CliRunner().invoke(
        cli,
        [
            "verify", *args, "--cert-identity", workflow_identity(), "--cert-oidc-issuer", ISSUER,
            "--source-repository", "acme/widgets", "--trust-config",
            str(sigstore_sandbox.trust_config_path), "--json",
        ],
    )  # fmt: skip


def test_signed_file_verifies_and_unreadable_inputs_fail(
    sigstore_sandbox: Any, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.txt"
    signed.write_bytes(b"payload")
    with sigstore_sandbox.signing_context().signer(sigstore_sandbox.identity()) as signer:
        bundle = signer.sign_artifact(b"payload")
    (tmp_path / "signed.txt.sigstore.json").write_text(bundle.to_json())
    unsigned = tmp_path / "unsigned.txt"
    unsigned.write_bytes(b"no bundle")

    ok = run(sigstore_sandbox, str(signed))
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["bundles"][0]["status"] == "verified"

    bad = run(sigstore_sandbox, str(signed), str(unsigned), str(tmp_path / "missing.txt"))
    assert bad.exit_code == 1
    reasons = [b["reason"] for b in json.loads(bad.stdout)["bundles"]]
    assert reasons[0] is None
    assert reasons[1].startswith("cannot read the bundle")
    assert reasons[2].startswith("cannot read the file")
