"""Per-asset decision: what do independent sources say about the bytes, and what to do.

Statuses and actions:

=================  =========================================================  =========
status             meaning                                                    action
=================  =========================================================  =========
``sign``           every piece of evidence states the same sha256              sign
``unverified``     no evidence at all                                          skip, or sign
                                                                               with
                                                                               ``allow_unverified``
``blocked``        evidence disagrees (all values are recorded)               skip, always
``already-signed`` ``<asset>.sigstore.json`` exists at the destination        skip
``replace``        it exists, but ``--verify-existing`` found it invalid     replace
``immutable``      the release rejects uploads                                sign into the
                                                                               bundle release,
                                                                               or skip
=================  =========================================================  =========

Precedence: blocked, then already-signed/replace, then unverified-without-permission,
then immutable, then sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACTIONS",
    "EVIDENCE_SOURCES",
    "STATUSES",
    "Action",
    "Classification",
    "Evidence",
    "EvidenceSource",
    "Status",
    "classify",
]

Status = Literal["sign", "unverified", "blocked", "already-signed", "replace", "immutable"]
Action = Literal["sign", "replace", "skip"]
EvidenceSource = Literal["github-digest", "checksum-file", "pypi"]

STATUSES: tuple[Status, ...] = (
    "sign",
    "unverified",
    "blocked",
    "already-signed",
    "replace",
    "immutable",
)
ACTIONS: tuple[Action, ...] = ("sign", "replace", "skip")
EVIDENCE_SOURCES: tuple[EvidenceSource, ...] = ("github-digest", "checksum-file", "pypi")


@dataclass(frozen=True)
class Evidence:
    """One independent statement of an asset's sha256."""

    source: EvidenceSource
    sha256: str
    """Lowercase hex."""
    detail: str
    """Where it comes from: ``digest field``, ``SHA256SUMS line 3``, a PyPI file URL."""


@dataclass(frozen=True)
class Classification:
    """The decision for one asset."""

    status: Status
    action: Action
    expected_sha256: str | None
    """The agreed sha256 (``None`` when there is no evidence or it disagrees)."""
    reason: str


def classify(
    evidence: Sequence[Evidence],
    *,
    bundle_exists: bool,
    bundle_valid: bool | None,
    immutable: bool,
    bundle_release: str | None,
    allow_unverified: bool,
) -> Classification:
    """Decide status and action for one asset.

    ``bundle_exists``: a bundle with the planned name is already at the destination.
    ``bundle_valid``: the verifier's verdict on it (``None``: not verified).
    ``immutable``: the asset's own release rejects uploads; ``bundle_release`` is
    the tag of the release that takes bundles instead (``None``: none configured).
    The destination of an immutable release's bundle is the bundle release, so
    ``bundle_exists`` is about that release then.
    """
    values = sorted({e.sha256 for e in evidence})
    if len(values) > 1:
        stated = "; ".join(f"{e.source} ({e.detail}) says {e.sha256}" for e in evidence)
        return Classification(
            "blocked",
            "skip",
            None,
            f"evidence disagrees, never signed: {stated}",
        )
    expected = values[0] if values else None
    sources = ", ".join(sorted({e.source for e in evidence}))
    redirected = immutable and bundle_release is not None
    where = f" in release {bundle_release!r}" if redirected else ""

    if bundle_exists:
        if bundle_valid is False:
            if immutable and not redirected:
                return Classification(
                    "immutable",
                    "skip",
                    expected,
                    "the existing bundle does not verify, but the release is immutable "
                    "and cannot take a replacement; plan with --home attestations, or "
                    "configure a bundle release (e.g. --bundle-release sigstore-backfill)",
                )
            if expected is None and not allow_unverified:
                return Classification(
                    "unverified",
                    "skip",
                    None,
                    "the existing bundle does not verify and there is no evidence for the "
                    "bytes; pass --allow-unverified to replace it anyway",
                )
            return Classification(
                "replace",
                "replace",
                expected,
                f"the existing bundle{where} does not verify: it will be replaced",
            )
        checked = " and verifies" if bundle_valid else ""
        return Classification(
            "already-signed", "skip", expected, f"a bundle exists{where}{checked}"
        )

    if expected is None and not allow_unverified:
        return Classification(
            "unverified",
            "skip",
            None,
            "no independent evidence of the bytes (no GitHub digest, checksum file or "
            "PyPI hash); pass --allow-unverified to sign them anyway",
        )
    unverified_note = (
        " with NO evidence of the bytes (--allow-unverified; the attestation says so)"
        if expected is None
        else f" (evidence: {sources})"
    )
    if immutable:
        if redirected:
            return Classification(
                "immutable",
                "sign",
                expected,
                f"the release is immutable: the bundle goes to release {bundle_release!r}"
                + unverified_note,
            )
        return Classification(
            "immutable",
            "skip",
            expected,
            "the release is immutable and rejects new assets: plan with --home attestations "
            "(GitHub's attestations API, nothing uploaded to the release), or configure a "
            "release for the bundles (e.g. --bundle-release sigstore-backfill)",
        )
    if expected is None:
        return Classification("unverified", "sign", None, "will be signed" + unverified_note)
    return Classification("sign", "sign", expected, "evidence agrees" + unverified_note)
