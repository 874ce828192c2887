"""ExistingBundleCheck (``backfill plan --verify-existing``): a bundle already on a release
is valid when it verifies over the asset's bytes under its own signer's identity; a
bundle over other bytes, or one that is not a bundle, is invalid (and may be replaced)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from chainkit.github import Asset, Release
from chainkit.signing import BundleVerifier, KeylessSigner, load_trust_config
from chainkit.verify import ExistingBundleCheck


def _asset(asset_id: int, name: str) -> Asset:
    return Asset(
        id=asset_id,
        name=name,
        size=5,
        content_type="application/octet-stream",
        state="uploaded",
        digest=None,
        url=f"http://127.0.0.1:1/assets/{asset_id}",
        browser_download_url=f"http://127.0.0.1:1/download/{name}",
    )


ASSET = _asset(1, "w.whl")
BUNDLE = _asset(2, "w.whl.sigstore.json")


class FakeClient:
    """Serves an asset's bytes and a bundle's bytes, as GitHubClient would."""

    def __init__(self, asset: bytes, bundle: bytes) -> None:
        self.data = {ASSET.id: asset, BUNDLE.id: bundle}

    def stream_asset(self, asset: Asset) -> Iterator[bytes]:
        yield self.data[asset.id]

    def fetch_small(self, asset: Asset, *, max_bytes: int) -> bytes:
        return self.data[asset.id][:max_bytes]


@pytest.fixture(scope="module")
def tools(sigstore_sandbox: Any) -> tuple[KeylessSigner, BundleVerifier]:
    trust = load_trust_config(sigstore_sandbox.trust_config_path)
    signer = KeylessSigner(
        trust_config=trust,
        token_provider=lambda: sigstore_sandbox.token(repository="someone/else"),
    )
    return signer, BundleVerifier.from_trust_config(trust)


def check(tools: Any, asset: bytes, bundle: bytes, release: Release) -> bool:
    _, verifier = tools
    client: Any = FakeClient(asset, bundle)
    return ExistingBundleCheck(client=client, verifier=verifier)(release, ASSET, BUNDLE)


@pytest.fixture
def release() -> Any:
    class _Release:
        tag = "v1"

    return _Release()


def test_a_valid_bundle_by_another_signer_is_kept(tools: Any, release: Release) -> None:
    signer, _ = tools
    bundle = signer.sign_digest(hashlib.sha256(b"bytes").hexdigest()).to_json().encode()
    assert check(tools, b"bytes", bundle, release) is True


def test_a_bundle_over_other_bytes_is_invalid(tools: Any, release: Release) -> None:
    signer, _ = tools
    bundle = signer.sign_digest(hashlib.sha256(b"other").hexdigest()).to_json().encode()
    assert check(tools, b"bytes", bundle, release) is False


@pytest.mark.parametrize("bundle", [b"", b"{not json", b"[]", b"\xff" * 64])
def test_something_that_is_not_a_bundle_is_invalid(
    tools: Any, release: Release, bundle: bytes
) -> None:
    assert check(tools, b"bytes", bundle, release) is False
