"""One bundle or one attestation, checked: the steps the release and file walks share;
and the attestations the artifact attestations API lists for an asset's sha256."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chainkit.attestation import PREDICATE_TYPE, parse_predicate, parse_statement
from chainkit.errors import Error
from chainkit.signing import BundleVerifier, IdentityPolicy, VerifiedBundle
from chainkit.verify._report import AttestationResult, BundleResult

__all__ = ["API_BUNDLE", "check_api_attestations", "check_attestation", "check_bundle"]

API_BUNDLE = "attestations API"
"""What a result names as its bundle when an API attestation verified (or failed) it."""


def _result(
    subject: str,
    bundle: str,
    release: str | None,
    sha256: str,
    *,
    reason: str = "",
    verified: VerifiedBundle | None = None,
) -> BundleResult:
    """A ``failed`` result (with ``reason``), or ``verified`` from the verifier's answer."""
    if verified is None:
        return BundleResult(
            subject=subject, bundle=bundle, release=release, sha256=sha256,
            ok=False, status="failed", reason=reason,
        )  # fmt: skip
    return BundleResult(
        subject=subject, bundle=bundle, release=release, sha256=sha256, ok=True,
        status="verified", identity=verified.identity,
        source_repository_uri=verified.source_repository_uri, log_index=verified.log_index,
    )  # fmt: skip


def check_bundle(
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    *,
    subject: str,
    bundle_name: str,
    release: str | None,
    sha256: str,
    bundle_json: bytes,
) -> BundleResult:
    """Verify ``bundle_json`` over ``sha256``; every failure becomes a ``failed`` result."""
    try:
        verified = verifier.verify_digest(sha256, bundle_json, policy, source=repr(bundle_name))
    except Error as exc:
        return _result(subject, bundle_name, release, sha256, reason=exc.message)
    return _result(subject, bundle_name, release, sha256, verified=verified)


def check_attestation(
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    *,
    tag: str,
    name: str,
    bundle_json: bytes,
    digest_of: Callable[[str], str | None],
) -> AttestationResult:
    """Verify the DSSE bundle, read the statement and its backfill predicate strictly,
    then compare each subject with the real sha256 of the release's asset of that name
    (``digest_of`` returns ``None`` for a name that is not an asset of the release)."""

    def fail(reason: str) -> AttestationResult:
        return AttestationResult(release=tag, name=name, ok=False, reason=reason)

    try:
        payload, _ = verifier.verify_statement(bundle_json, policy, source=repr(name))
        statement = parse_statement(payload, source="statement")
        if statement.predicate_type != PREDICATE_TYPE:
            return fail(f"unexpected predicateType {statement.predicate_type!r}")
        predicate = parse_predicate(statement.predicate, source="predicate")
    except Error as exc:
        return fail(exc.message)
    if predicate.release.tag != tag:
        return fail(f"attests release {predicate.release.tag!r}")
    if predicate.statement_subjects != statement.subjects:
        return fail("the predicate's subjects are not the statement's")
    for subject in statement.subjects:
        have = digest_of(subject.name)
        if have is None:
            return fail(f"subject {subject.name!r} is not an asset of the release")
        if have != subject.sha256:
            return fail(
                f"subject {subject.name!r}: attested sha256 {subject.sha256} "
                f"but the asset is {have}"
            )
    return AttestationResult(
        release=tag, name=name, ok=True, subjects=tuple(s.name for s in statement.subjects)
    )


def check_api_attestations(
    verifier: BundleVerifier,
    policy: IdentityPolicy,
    *,
    subject: str,
    release: str | None,
    sha256: str,
    bundles: Sequence[bytes],
    predicate_types: frozenset[str],
) -> BundleResult | None:
    """The first of ``bundles`` (listed by the attestations API for ``sha256``) that is a
    DSSE in-toto attestation of one of ``predicate_types``, verifies against ``policy`` and
    has a subject whose sha256 is ``sha256``: ``verified``. Else the first failure
    (``failed``), or ``None`` when no bundle of those predicate types was listed."""
    first: BundleResult | None = None
    for i, bundle_json in enumerate(bundles, 1):
        source = f"attestation {i} of sha256:{sha256[:12]}"
        try:
            payload, verified = verifier.verify_statement(bundle_json, policy, source=source)
            statement = parse_statement(payload, source="statement")
            if statement.predicate_type not in predicate_types:
                continue
            if statement.predicate_type == PREDICATE_TYPE:
                parse_predicate(statement.predicate, source="predicate")
        except Error as exc:
            first = first or _result(
                subject, API_BUNDLE, release, sha256, reason=f"{source}: {exc.message}"
            )
            continue
        if not any(s.sha256 == sha256 for s in statement.subjects):
            reason = f"{source} has no subject with the asset's sha256"
            first = first or _result(subject, API_BUNDLE, release, sha256, reason=reason)
            continue
        return _result(subject, API_BUNDLE, release, sha256, verified=verified)
    return first
