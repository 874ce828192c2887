"""``sbom attach``: put an SBOM (and, with ``sign``, its Sigstore bundle) on a GitHub release.

Uploads go through :class:`chainkit.github.GitHubClient` (the backfill's client and upload
call), bundles are made by :class:`chainkit.signing.KeylessSigner` and named by
:func:`chainkit.attestation.bundle_name`. Attaching is idempotent: an asset of that name with
the same bytes, or a bundle that verifies over the SBOM, is left as it is; anything else of
that name is an error, never overwritten.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit.errors import Error
from chainkit.sbom._errors import SbomInputError
from chainkit.sbom._read import MAX_SBOM_BYTES, parse_sbom

if TYPE_CHECKING:
    from chainkit.github import GitHubClient, Release
    from chainkit.signing import BundleVerifier, KeylessSigner

__all__ = ["AttachRequest", "AttachResult", "attach_sbom"]

SBOM_CONTENT_TYPE = "application/vnd.cyclonedx+json"
_BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
_MAX_BUNDLE = 1024 * 1024


@dataclass(frozen=True)
class AttachRequest:
    repository: str
    tag: str
    path: Path
    name: str | None = None
    sign: bool = False


@dataclass(frozen=True)
class AttachResult:
    asset: str
    bundle: str | None
    uploaded: tuple[str, ...]
    """What this run uploaded; empty when everything was already there."""


def _immutable(tag: str) -> SbomInputError:
    return SbomInputError(
        f"release {tag!r} is immutable: it accepts no new assets",
        remediation="attach the SBOM while the release is a draft (assets freeze when it is "
        "published), attach it to another, mutable release (--tag), or publish it as an "
        "attestation (actions/attest-sbom) instead of a release asset",
    )


def _read(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_SBOM_BYTES)
    except TooLargeError:
        raise SbomInputError(f"{path} is larger than {MAX_SBOM_BYTES} bytes") from None
    except OSError as exc:
        raise SbomInputError(
            f"cannot read {path}: {exc.strerror or type(exc).__name__}",
            remediation="check the path",
        ) from None


def _default_name(document: bytes, path: Path) -> str:
    from chainkit._internal.strict import DocumentError, load_json

    try:
        sbom = parse_sbom(load_json(document, source=str(path)), source=str(path))
    except DocumentError as exc:
        raise SbomInputError(str(exc), remediation="pass a CycloneDX JSON SBOM") from None
    root = sbom.root
    if root is None or not root.version:
        raise SbomInputError(
            f"{path} names no root component with a version to name the asset after",
            remediation="pass --name NAME.cdx.json",
        )
    return f"{root.name}-{root.version}.cdx.json"


def _upload(
    client: GitHubClient, release: Release, name: str, data: bytes, content_type: str
) -> str:
    from chainkit.github import ImmutableReleaseError

    if release.immutable:
        raise _immutable(release.tag)
    try:
        stored = client.upload_bytes(
            release, io.BytesIO(data), len(data), name=name, content_type=content_type
        )
    except ImmutableReleaseError:
        raise _immutable(release.tag) from None
    return stored.name


def attach_sbom(
    request: AttachRequest,
    *,
    client: GitHubClient,
    signer: Callable[[], KeylessSigner] | None = None,
    verifier: BundleVerifier | None = None,
) -> AttachResult:
    """Upload the SBOM (and its bundle with ``request.sign``; then ``signer`` and
    ``verifier`` are required) to the release ``request.tag``."""
    from chainkit.attestation import bundle_name, github_asset_name

    data = _read(request.path)
    name = request.name or _default_name(data, request.path)
    stored_name = github_asset_name(name) or "sbom.cdx.json"
    release = client.get_release_by_tag(request.repository, request.tag)
    existing = {a.name: a for a in release.assets}
    uploaded: list[str] = []
    current = existing.get(stored_name)
    if current is None:
        uploaded.append(_upload(client, release, stored_name, data, SBOM_CONTENT_TYPE))
    elif client.fetch_small(current, max_bytes=MAX_SBOM_BYTES) != data:
        raise SbomInputError(
            f"{stored_name} on {request.tag!r} holds a different SBOM",
            remediation="delete that asset first, or attach under another --name",
        )
    if not request.sign:
        return AttachResult(stored_name, None, tuple(uploaded))
    if signer is None or verifier is None:
        raise ValueError("sign=True needs a signer and a verifier")
    sha256 = hashlib.sha256(data).hexdigest()
    bundle = bundle_name(stored_name)
    have = existing.get(bundle)
    if have is not None:
        try:
            verifier.verify_as_its_signer(
                sha256, client.fetch_small(have, max_bytes=_MAX_BUNDLE), source=repr(bundle)
            )
        except Error:
            raise SbomInputError(
                f"{bundle} on {request.tag!r} does not verify over this SBOM",
                remediation="delete that bundle asset and attach again with --sign",
            ) from None
        return AttachResult(stored_name, bundle, tuple(uploaded))
    bundle_json = signer().sign_digest(sha256).to_json().encode("utf-8")
    verifier.verify_as_its_signer(sha256, bundle_json, source="the new bundle")
    uploaded.append(_upload(client, release, bundle, bundle_json, _BUNDLE_TYPE))
    return AttachResult(stored_name, bundle, tuple(uploaded))
