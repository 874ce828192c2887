"""Local files against their bundles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from chainkit._internal.hashing import sha256_file
from chainkit.attestation import BUNDLE_SUFFIX
from chainkit.signing import MAX_BUNDLE_BYTES, BundleVerifier, IdentityPolicy
from chainkit.verify._checks import check_bundle
from chainkit.verify._report import BundleResult, VerifyReport

__all__ = ["verify_files"]


def _read_bundle(path: Path) -> bytes:
    """The bundle's bytes; at most one byte more than a bundle may have (the loader refuses)."""
    with path.open("rb") as fh:
        return fh.read(MAX_BUNDLE_BYTES + 1)


def verify_files(
    files: Sequence[Path],
    *,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    bundle: Path | None = None,
) -> VerifyReport:
    """Verify local files against ``<file>.sigstore.json`` (or one explicit ``bundle``):
    one row per file; a file that cannot be read, or whose bundle cannot, fails."""
    report = VerifyReport()
    for result in _results(files, verifier=verifier, policy=policy, bundle=bundle):
        report.add(result)
    return report


def _results(
    files: Sequence[Path],
    *,
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    bundle: Path | None,
) -> Iterator[BundleResult]:
    for path in files:
        bundle_path = bundle if bundle is not None else path.with_name(path.name + BUNDLE_SUFFIX)
        sha256: str | None = None
        try:
            sha256 = sha256_file(path)
            bundle_json = _read_bundle(bundle_path)
        except OSError as exc:
            what = "the file" if sha256 is None else "the bundle"
            yield BundleResult(
                subject=str(path),
                bundle=str(bundle_path),
                release=None,
                sha256=sha256,
                ok=False,
                status="failed",
                reason=f"cannot read {what}: {exc.strerror}",
            )
            continue
        yield check_bundle(
            verifier,
            policy,
            subject=str(path),
            bundle_name=str(bundle_path),
            release=None,
            sha256=sha256,
            bundle_json=bundle_json,
        )
