"""``sbom attach``: put an SBOM (and, with ``sign``, its Sigstore bundle) on a GitHub release.

Uploads go through :class:`chainkit.github.GitHubClient` (the backfill's client and upload
call), bundles are made by :class:`chainkit.signing.KeylessSigner` and named by
:func:`chainkit.attestation.bundle_name`. Attaching is idempotent: an asset of that name with
the same bytes, or a bundle that verifies over the SBOM *and was signed by the identity this
run signs as* (issuer and certificate identity, from the identity token's claims), is left as
it is; anything else of that name is an error, never overwritten. A foreign bundle (another
signer's, even if valid) is refused: reporting it as "already attached" would let a later
``chainkit verify`` pinned to this run's identity fail.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit.errors import Error
from chainkit.sbom._errors import SbomInputError
from chainkit.sbom._read import MAX_SBOM_BYTES, parse_sbom

if TYPE_CHECKING:
    from chainkit.github import GitHubClient, Release
    from chainkit.signing import BundleVerifier, CertificateFacts, KeylessSigner

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


def run_identity(claims: Mapping[str, Any]) -> CertificateFacts | None:
    """Who a signer with these (unverified) identity-token claims signs as, as Fulcio writes
    it into the certificate: a GitHub Actions token's workflow (``https://github.com/`` +
    ``job_workflow_ref``), else the token's ``email``, else its ``sub``; the issuer is
    ``iss``. ``None`` when the claims do not say."""
    from chainkit.signing import GITHUB_ISSUER, CertificateFacts

    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        return None
    if issuer == GITHUB_ISSUER:
        workflow = claims.get("job_workflow_ref")
        if isinstance(workflow, str) and workflow:
            return CertificateFacts(identity=f"https://github.com/{workflow}", issuer=issuer)
        return None
    for claim in ("email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return CertificateFacts(identity=value, issuer=issuer)
    return None


def _check_name(stored_name: str) -> None:
    """An SBOM asset is never named like a bundle or an attestation (a verifier would take it
    for one, and its own bundle would be ``….sigstore.json.sigstore.json``)."""
    from chainkit.attestation import BUNDLE_SUFFIX, is_attestation_name

    if stored_name.lower().endswith(BUNDLE_SUFFIX) or is_attestation_name(stored_name):
        raise SbomInputError(
            f"--name {stored_name!r} is named like a Sigstore bundle or attestation",
            remediation="name the SBOM asset NAME.cdx.json",
        )


def _foreign(bundle: str, tag: str, theirs: tuple[str | None, str | None], ours: str) -> Error:
    identity, issuer = theirs
    return SbomInputError(
        f"{bundle} on {tag!r} was signed by {identity or '(no identity)'} "
        f"(issuer {issuer or '(none)'}), not by this run's identity {ours}",
        remediation="review that bundle; if it is not wanted, delete the asset and attach again "
        "with --sign (chainkit never replaces another signer's bundle)",
    )


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
    claims: Callable[[], Mapping[str, Any]] | None = None,
) -> AttachResult:
    """Upload the SBOM (and its bundle with ``request.sign``; then ``signer``, ``verifier``
    and ``claims``, the identity token's claims, are required) to the release
    ``request.tag``."""
    from chainkit._internal.output import printable
    from chainkit.attestation import bundle_name, github_asset_name

    data = _read(request.path)
    name = request.name or _default_name(data, request.path)
    stored_name = github_asset_name(name) or "sbom.cdx.json"
    _check_name(stored_name)
    if request.sign and (signer is None or verifier is None or claims is None):
        raise ValueError("sign=True needs a signer, a verifier and the token's claims")
    release = client.get_release_by_tag(request.repository, request.tag)
    existing = {a.name: a for a in release.assets}
    current = existing.get(stored_name)
    if current is not None and client.fetch_small(current, max_bytes=MAX_SBOM_BYTES) != data:
        raise SbomInputError(
            f"{stored_name} on {request.tag!r} holds a different SBOM",
            remediation="delete that asset first, or attach under another --name",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    bundle = bundle_name(stored_name)
    have = existing.get(bundle) if request.sign else None
    if have is not None and verifier is not None and claims is not None:
        # checked before anything is uploaded: a refusal leaves the release as it was
        try:
            verified = verifier.verify_as_its_signer(
                sha256, client.fetch_small(have, max_bytes=_MAX_BUNDLE), source=repr(bundle)
            )
        except Error:
            raise SbomInputError(
                f"{bundle} on {request.tag!r} does not verify over this SBOM",
                remediation="delete that bundle asset and attach again with --sign",
            ) from None
        ours = run_identity(claims())
        theirs = (verified.identity, verified.issuer)
        if ours is None or (ours.identity, ours.issuer) != theirs:
            shown = (
                f"{printable(ours.identity)} (issuer {printable(ours.issuer)})"
                if ours is not None
                else "(not stated by the identity token)"
            )
            raise _foreign(
                bundle,
                request.tag,
                (
                    printable(theirs[0]) if theirs[0] else None,
                    printable(theirs[1]) if theirs[1] else None,
                ),
                shown,
            )
    uploaded: list[str] = []
    if current is None:
        uploaded.append(_upload(client, release, stored_name, data, SBOM_CONTENT_TYPE))
    if not request.sign or signer is None or verifier is None:
        return AttachResult(stored_name, None, tuple(uploaded))
    if have is not None:
        return AttachResult(stored_name, bundle, tuple(uploaded))
    bundle_json = signer().sign_digest(sha256).to_json().encode("utf-8")
    verifier.verify_as_its_signer(sha256, bundle_json, source="the new bundle")
    uploaded.append(_upload(client, release, bundle, bundle_json, _BUNDLE_TYPE))
    return AttachResult(stored_name, bundle, tuple(uploaded))
