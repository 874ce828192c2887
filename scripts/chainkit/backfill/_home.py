"""The attestations API as a home: one write per release (``--home attestations|both``).

Per release, the assets apply has downloaded and hashed in this run become the subjects
(``{name, digest: {sha256}}``, in plan order, names unique) of one in-toto Statement v1
with the backfill predicate (its own predicate type, never SLSA provenance), signed as a
DSSE bundle, verified locally against this run's identity, and stored with
``POST /repos/{o}/{r}/attestations``. GitHub takes at most 1024 subjects per attestation:
a release with more is split into parts of 1024 (each part its own statement, said in
the outcome).

Idempotent without the state directory: before signing a part, the attestations listed
for its first subject's digest (``predicate_type`` = the backfill type) are read; one
that verifies against this run's pinned identity (issuer, workflow, source repository),
carries the backfill predicate for this repository and release, and attests exactly the
part's names and sha256s means the part is done. So an apply killed after the POST and
run again with a fresh state directory creates nothing new. Without a pinnable identity
(a token that is not GitHub Actions') only this journal's own record is recognised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chainkit._internal.hashing import sha256_chunks
from chainkit.attestation import (
    PREDICATE_TYPE,
    WorkflowRun,
    parse_predicate,
    parse_statement,
    statement_bytes,
)
from chainkit.backfill._errors import AttestationUnconfirmedError, BackfillUsageError
from chainkit.backfill._journal import Journal
from chainkit.backfill._plan import PlannedAsset, PlannedRelease
from chainkit.backfill._predicate import build_statement
from chainkit.errors import Error
from chainkit.github import AttestationList, GitHubClient
from chainkit.signing import (
    BundleVerifier,
    CertificateFacts,
    IdentityPolicy,
    KeylessSigner,
    load_bundle,
)

__all__ = ["MAX_SUBJECTS", "ApiAttestation", "AttestationsHome", "parts"]

_log = logging.getLogger("chainkit.backfill")

MAX_SUBJECTS = 1024
"""GitHub's limit of subjects per attestation (actions/attest#164)."""

Pinned = tuple[IdentityPolicy, CertificateFacts]
Hashed = tuple[PlannedAsset, str]
"""An asset of the plan and the sha256 of its bytes, downloaded and hashed in this run."""


@dataclass(frozen=True)
class ApiAttestation:
    """One part of a release's attestation in the API: created now, or found."""

    part: int
    parts: int
    result: Literal["signed", "done"]
    attestation_id: int | None
    """The id GitHub answered (``None`` for one found by listing: the list has no ids)."""
    subjects: tuple[Hashed, ...]

    @property
    def label(self) -> str:
        return (
            "attestation (API)"
            if self.parts == 1
            else f"attestation (API) {self.part}/{self.parts}"
        )


def parts(hashed: Sequence[Hashed], size: int = MAX_SUBJECTS) -> list[tuple[Hashed, ...]]:
    """``hashed`` in plan order, cut into parts of at most ``size`` subjects."""
    return [tuple(hashed[i : i + size]) for i in range(0, len(hashed), size)]


class AttestationsHome:
    """Create (or recognise) the API attestations of one release."""

    def __init__(
        self,
        *,
        repository: str,
        plan_digest: str,
        client: GitHubClient,
        signer: KeylessSigner,
        verifier: BundleVerifier,
        journal: Journal,
        pinned: Pinned | None,
        self_check: Callable[[bytes], Pinned],
        now: Callable[[], datetime],
        failpoint: Callable[[str], None],
    ) -> None:
        self.repository = repository
        self.plan_digest = plan_digest
        self.client = client
        self.signer = signer
        self.verifier = verifier
        self.journal = journal
        self.pinned = pinned
        self.self_check = self_check
        self.now = now
        self.failpoint = failpoint
        self.identity: CertificateFacts | None = None
        """Who signed (or had signed) what this home found or created."""
        self._listed_ahead: dict[tuple[int, str], AttestationList] = {}
        """(release id, subject digest) -> its attestations, read ahead of the release's
        turn (:meth:`listed_ahead`); each used once, at most."""
        self._written: set[str] = set()
        """The subject digests of the attestations this home created in this run."""

    def listed_ahead(self, release_id: int, digest: str, listed: AttestationList) -> None:
        """Keep a list of ``digest``'s attestations read ahead of release ``release_id``'s
        turn (on another thread). The existence check takes it instead of reading again,
        unless this run has since created an attestation with that subject (then it reads
        afresh: a list read ahead never hides this run's own writes)."""
        self._listed_ahead[(release_id, digest)] = listed

    def _list(self, planned: PlannedRelease, digest: str) -> AttestationList:
        ahead = self._listed_ahead.pop((planned.id, digest), None)
        if ahead is not None and digest not in self._written:
            return ahead
        return self.client.list_attestations(
            self.repository, f"sha256:{digest}", predicate_type=PREDICATE_TYPE
        )

    def found(self, planned: PlannedRelease, hashed: Sequence[Hashed]) -> bool:
        """Whether every part of ``hashed`` is already attested by this run's identity (a
        repeated apply: then nothing needs downloading when GitHub's digests are the plan's)."""
        cut = parts(hashed)
        return bool(cut) and all(
            self._exists(planned, sorted((pa.name, sha256) for pa, sha256 in part), i)
            for i, part in enumerate(cut, 1)
        )

    def attest(
        self, planned: PlannedRelease, hashed: Sequence[Hashed], *, found: bool = False
    ) -> list[ApiAttestation]:
        """One attestation per part of ``hashed``: found (``done``) or created (``signed``).
        ``found``: :meth:`found` said so just now (no second listing)."""
        if not hashed:
            return []
        cut = parts(hashed)
        if found:
            return [ApiAttestation(i, len(cut), "done", None, p) for i, p in enumerate(cut, 1)]
        if len(cut) > 1:
            _log.info(
                "%s: %d assets are more than the %d subjects one attestation may have: "
                "%d attestations",
                planned.tag,
                len(hashed),
                MAX_SUBJECTS,
                len(cut),
            )
        return [self._part(planned, part, i, len(cut)) for i, part in enumerate(cut, 1)]

    def _part(
        self, planned: PlannedRelease, subjects: tuple[Hashed, ...], part: int, count: int
    ) -> ApiAttestation:
        wanted = sorted((pa.name, sha256) for pa, sha256 in subjects)
        if self._exists(planned, wanted, part):
            return ApiAttestation(part, count, "done", None, subjects)
        statement = build_statement(
            repository=self.repository,
            release=planned,
            signed={pa.id: sha256 for pa, sha256 in subjects},
            backfilled_at=self.now(),
            plan_digest=self.plan_digest,
            workflow_run=WorkflowRun.from_env(),
        )
        data = self.signer.sign_statement(statement_bytes(statement)).to_json().encode()
        policy, identity = self.self_check(data)
        # never stored unverified: the bundle verifies, and attests exactly these subjects
        if not self._matches(data, policy, planned, wanted, "the signed attestation"):
            raise BackfillUsageError(
                f"the attestation signed for {planned.tag!r} does not verify over its subjects"
            )
        self.identity = self.identity or identity
        self.failpoint("before-attestation-create")
        self._written.update(sha256 for _, sha256 in wanted)  # before: a failed create too
        ident = self.client.create_attestation(self.repository, data)
        self.journal.record(
            "attestation.created",
            release_id=planned.id,
            part=part,
            id=ident,
            subjects=_subjects_key(wanted),
        )
        self.failpoint("after-attestation-create")
        return ApiAttestation(part, count, "signed", ident, subjects)

    def _exists(self, planned: PlannedRelease, wanted: list[tuple[str, str]], part: int) -> bool:
        """Whether an attestation of exactly ``wanted`` by this run's identity is listed.

        Ours would be listed under every subject's digest, so one whole list (GitHub lists
        at most ``MAX_ATTESTATIONS`` per digest, and every item with its inline bundle)
        without it means there is none. While every list read is truncated or has items
        without a readable bundle, it cannot be ruled out: this journal's own record
        confirms it, else :class:`AttestationUnconfirmedError` - never a duplicate."""
        recorded = (
            self.journal.last(
                "attestation.created",
                release_id=planned.id,
                part=part,
                subjects=_subjects_key(wanted),
            )
            is not None
        )
        if self.pinned is None:
            # nothing to hold a listed bundle to: only our own journal's record counts
            return recorded
        digests = list(dict.fromkeys(sha256 for _, sha256 in wanted))
        read = unreadable = 0
        for digest in digests:
            listed = self._list(planned, digest)
            garbled = 0
            for i, item in enumerate(listed):
                try:
                    load_bundle(item.bundle, source=f"attestation {i}")
                except Error as exc:
                    # not a Sigstore bundle at all: unreadable, like one without its
                    # bundle - it could be ours, garbled on the way (never "none")
                    _log.debug("attestation %d cannot be read: %s", i, exc.message)
                    garbled += 1
                    continue
                if self._matches(item.bundle, self.pinned[0], planned, wanted, f"attestation {i}"):
                    self.identity = self.identity or self.pinned[1]
                    return True
            if listed.whole and not garbled:
                return False
            read, unreadable = len(listed) - garbled, listed.unreadable + garbled
        if recorded:
            self.identity = self.identity or self.pinned[1]
            return True
        remedy = (
            "delete the attestations of these digests that are not this backfill's, or plan "
            "this release again with `--home release-assets`"
        )
        if unreadable:
            remedy = (
                "re-run later (GitHub served attestations without a readable inline bundle), or "
                + remedy
            )
            listing = (
                f"GitHub lists {unreadable} attestation(s) of the backfill type without an "
                f"inline bundle chainkit can read (it does not read bundle_url; a bundle that "
                f"is not a Sigstore bundle counts the same) for the subject digests "
                f"of attestation part {part}, and none of the {read} it could read is this "
                "backfill's"
            )
        else:
            listing = (
                f"GitHub lists more than {read} attestations of the backfill type for each of "
                f"the {len(digests)} subject digest(s) of attestation part {part}, and none of "
                f"the first {read} is this backfill's"
            )
        raise AttestationUnconfirmedError(
            f"{planned.tag!r}: {listing}: chainkit cannot confirm that none exists, so it "
            f"creates none (it could be a duplicate); {remedy}",
            remediation=remedy,
        )

    def _matches(
        self,
        data: bytes,
        policy: IdentityPolicy,
        planned: PlannedRelease,
        wanted: list[tuple[str, str]],
        source: str,
    ) -> bool:
        """``data`` verifies against ``policy`` and is the backfill attestation of this
        repository's release over exactly ``wanted`` (names and sha256s)."""
        try:
            payload, _ = self.verifier.verify_statement(data, policy, source=source)
            statement = parse_statement(payload, source=source)
            if statement.predicate_type != PREDICATE_TYPE:
                return False
            predicate = parse_predicate(statement.predicate, source=source)
        except Error as exc:
            _log.debug("%s is not ours: %s", source, exc.message)
            return False
        return (
            predicate.repository.lower() == self.repository.lower()
            and predicate.release.id == planned.id
            and sorted((s.name, s.sha256) for s in statement.subjects) == wanted
        )


def _subjects_key(wanted: list[tuple[str, str]]) -> str:
    """A stable digest of a part's (name, sha256) list, for the journal."""
    return sha256_chunks(f"{name}\0{sha256}\n".encode() for name, sha256 in wanted)
