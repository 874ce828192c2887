"""Pytest fixtures for the sandbox's Sigstore stand-in (register as ``_plugins.sigstore``).

- ``sigstore_sandbox`` (session): one running stand-in per test process, with helpers to mint
  identity tokens, load the trust config, sign and verify with the real sigstore-python, and
  make attestation bundles (``attestation_bundle``) for the GitHub stand-in.
- ``sigstore_js_verify`` (session): run tests/js/verify.mjs (@sigstore/verify 4.x); tests that
  use it should be marked ``@pytest.mark.node``; it skips when tests/js/node_modules is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sigstore import dsse
from sigstore.models import ClientTrustConfig, TrustedRoot
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext
from sigstore.verify import Verifier, policy

from chainkit.sandbox._sigstore import GITHUB_ISSUER, SigstoreAuthority, SigstoreStandIn

JS_DIR = Path(__file__).resolve().parents[1] / "js"
DEFAULT_REPOSITORY = "acme/widgets"


def workflow_identity(repository: str = DEFAULT_REPOSITORY, ref: str = "refs/heads/main") -> str:
    """The certificate SAN Fulcio writes for the default workflow of ``repository``."""
    return f"https://github.com/{repository}/.github/workflows/release.yml@{ref}"


@dataclass(frozen=True)
class SigstoreSandbox:
    """A running Sigstore stand-in and the files a client needs to use it."""

    authority: SigstoreAuthority
    stand_in: SigstoreStandIn
    trust_config_path: Path
    trusted_root_path: Path

    @property
    def url(self) -> str:
        return self.stand_in.url

    def token(self, **claims: Any) -> str:
        """A fresh identity token (keywords as ``SigstoreAuthority.identity_token``)."""
        return self.authority.identity_token(**claims)

    def identity(self, **claims: Any) -> IdentityToken:
        return IdentityToken(self.token(**claims))

    def client_trust_config(self) -> ClientTrustConfig:
        return ClientTrustConfig.from_json(self.trust_config_path.read_text())

    def signing_context(self) -> SigningContext:
        return SigningContext.from_trust_config(self.client_trust_config())

    def trusted_root(self) -> TrustedRoot:
        return TrustedRoot.from_file(str(self.trusted_root_path))

    def verifier(self) -> Verifier:
        """An offline verifier trusting only this sandbox."""
        return Verifier(trusted_root=self.trusted_root())

    def attestation_bundle(
        self,
        subjects: Mapping[str, str],
        *,
        predicate_type: str = "https://example.com/predicate/v1",
        predicate: Mapping[str, Any] | None = None,
        repository: str = DEFAULT_REPOSITORY,
    ) -> dict[str, Any]:
        """A DSSE in-toto bundle (JSON) signed for ``repository``, as actions/attest makes.

        ``subjects`` maps names to sha256 hex digests.
        """
        statement = (
            dsse.StatementBuilder()
            .subjects([dsse.Subject(name=n, digest={"sha256": d}) for n, d in subjects.items()])
            .predicate_type(predicate_type)
            .predicate(dict(predicate or {}))
            .build()
        )
        identity = self.identity(repository=repository)
        with self.signing_context().signer(identity) as signer:
            bundle: dict[str, Any] = json.loads(signer.sign_dsse(statement).to_json())
        return bundle

    @staticmethod
    def policy(
        repository: str = DEFAULT_REPOSITORY, *, identity: str | None = None
    ) -> policy.VerificationPolicy:
        """SAN + issuer + source repository URI (extension 1.3.6.1.4.1.57264.1.12)."""
        return policy.AllOf(
            [
                policy.Identity(
                    identity=identity or workflow_identity(repository), issuer=GITHUB_ISSUER
                ),
                policy.OIDCSourceRepositoryURI(f"https://github.com/{repository}"),
            ]
        )


@pytest.fixture(scope="session")
def sigstore_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigstoreSandbox]:
    state = tmp_path_factory.mktemp("sigstore-sandbox")
    authority = SigstoreAuthority(state)
    stand_in = SigstoreStandIn(authority)
    stand_in.start()
    try:
        trust_config, trusted_root = authority.write_trust_config(stand_in.url)
        yield SigstoreSandbox(authority, stand_in, trust_config, trusted_root)
    finally:
        stand_in.stop()


JsVerify = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def sigstore_js_verify() -> JsVerify:
    """``verify(bundle, artifact|None, trusted_root, san, issuer, extensions=None) -> dict``.

    The dict is verify.mjs's JSON output plus ``returncode`` (0 verified, 1 rejected).
    """
    node = shutil.which("node")
    if not (JS_DIR / "node_modules" / "@sigstore" / "verify").is_dir():
        pytest.skip("tests/js/node_modules is missing: run `npm ci --prefix tests/js`")
    if node is None:
        pytest.skip("node is not installed (needed for the @sigstore/verify cross-check)")

    def verify(
        bundle: Path,
        artifact: Path | None,
        trusted_root: Path,
        san: str,
        issuer: str = GITHUB_ISSUER,
        extensions: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        argv = [
            node,
            str(JS_DIR / "verify.mjs"),
            str(bundle),
            str(artifact) if artifact else "-",
            str(trusted_root),
            san,
            issuer,
        ]
        if extensions:
            argv.append(json.dumps(extensions))
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode not in (0, 1):
            raise AssertionError(f"verify.mjs failed ({proc.returncode}): {proc.stderr}")
        result: dict[str, Any] = json.loads(proc.stdout)
        result["returncode"] = proc.returncode
        return result

    return verify
