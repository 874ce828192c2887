"""Execute an approved plan: download, check, sign, verify, upload, edit notes.

Exactly the plan, nothing else. Per release with work:

1. re-read the release (one GET): drifted items (asset gone or changed, release now
   immutable, a foreign bundle appeared) are reported and skipped, never signed blindly;
2. per asset: stream the download while hashing, compare with the planned sha256,
   sign the digest (one certificate serves many assets), verify the bundle offline,
   save it, upload ``<asset>.sigstore.json``; ``already_exists`` with identical bytes
   is success;
3. one signed backfill attestation (DSSE, in-toto Statement v1) over the release's
   signed assets, verified and uploaded the same way;
4. re-read the body, refuse if the text outside the marked section changed since
   the plan, and write the section (one PATCH; drafts stay drafts).

With the plan's ``home`` ``attestations``, steps 2 and 3 are instead: download and hash
each asset, then one attestation with the artifact attestations API
(:mod:`chainkit.backfill._home`); ``both`` does that after step 3 too.

Every completed step goes to the :class:`~chainkit.backfill._journal.Journal` first,
so a re-run after a kill finishes the work without signing twice or uploading twice.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Literal

import chainkit._internal.markdown as md
from chainkit.attestation import (
    ATTESTATION_MARKER,
    PREDICATE_TYPE,
    WorkflowRun,
    bundle_release_prefix,
    is_attestation_name,
    parse_statement,
    statement_bytes,
)
from chainkit.backfill._budgeted import (
    RunLimits,
    api_attestation_writes,
    recent_write_ages,
    remaining,
)
from chainkit.backfill._checksums import MAX_CHECKSUM_FILE_SIZE, parse_checksum_file
from chainkit.backfill._debris import without_starter
from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._evidence import Evidence
from chainkit.backfill._home import MAX_SUBJECTS, ApiAttestation, AttestationsHome, Hashed
from chainkit.backfill._journal import Journal
from chainkit.backfill._notes import (
    NotesBundle,
    download_url,
    outside_digest,
    render_api_section,
    render_section,
    section_budget,
    upsert_section,
)
from chainkit.backfill._plan import (
    ChecksumFileRecord,
    Plan,
    PlannedAsset,
    PlannedRelease,
    format_time,
)
from chainkit.backfill._planner import _ChecksumIndex
from chainkit.backfill._predicate import build_statement
from chainkit.backfill._prefetch import Prefetcher, Ticket
from chainkit.backfill._pypi import INDEX_URL_ENV, PyPIDigests, index_url_from_env, redact_url
from chainkit.errors import Error, ServiceError
from chainkit.github import (
    Asset,
    AssetExistsError,
    AttestationList,
    GitHubClient,
    GitHubError,
    ImmutableReleaseError,
    NotFoundError,
    Release,
)
from chainkit.signing import (
    GITHUB_ISSUER,
    MAX_BUNDLE_BYTES,
    BundleVerifier,
    CertificateFacts,
    IdentityPolicy,
    KeylessSigner,
    SigningUsageError,
    bundle_facts,
    load_bundle,
    token_claims,
)

__all__ = ["ApplyReport", "Outcome", "apply_plan", "failpoint"]

_log = logging.getLogger("chainkit.backfill")

API_DOWNLOAD_WORKERS = 4
"""Download threads with the attestations API as the home (one write per release; the
release-assets home downloads one asset ahead on one thread). Reads only, each with its
own HTTP session and at most one open work file: at most this many downloads at once."""

API_LOOKAHEAD = 2
"""With the attestations API as the home, the releases read and handed to the download
threads ahead of the one being written (each hashed file is deleted at once, so what is
ahead costs no disk; a stop discards at most these releases' downloads)."""

API_READ_AHEAD = 2
"""With the attestations API as the home, the releases beyond :data:`API_LOOKAHEAD` whose
reads are made ahead on a reader thread (its own requester and HTTP session): the release
itself, the checksum files its evidence needs and the list of attestations of its first
subject digest. Reads only, nothing on disk; the decisions on what was read are made on
the main thread, in plan order, as without it."""

_BUNDLE_TYPE = "application/json"
_MAX_BUNDLE = MAX_BUNDLE_BYTES
_GITHUB = "https://github.com/"

Result = Literal["signed", "done", "skipped", "blocked", "drift", "conflict", "failed"]


def failpoint(name: str) -> None:
    """Test hook: ``CHAINKIT_FAILPOINT=<name>`` kills the process at that point.

    Used by the crash-and-resume tests (after-download, after-sign, after-upload,
    before-notes); documented in docs/backfill.md. Does nothing otherwise.
    """
    wanted = os.environ.get("CHAINKIT_FAILPOINT", "")
    if wanted and name in wanted.split(","):
        _log.warning("failpoint %s: exiting abruptly (test hook)", name)
        os._exit(86)


@dataclass(frozen=True)
class Outcome:
    """What happened to one planned item."""

    release: str
    item: str
    kind: Literal["asset", "attestation", "notes"]
    result: Result
    detail: str = ""
    bundle: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "item": self.item,
            "kind": self.kind,
            "result": self.result,
            "detail": self.detail,
            "bundle": self.bundle,
        }


@dataclass
class ApplyReport:
    plan_digest: str
    repository: str
    outcomes: list[Outcome] = field(default_factory=list)
    certificates: int = 0
    identity: CertificateFacts | None = None
    listener: Callable[[Outcome], None] | None = field(default=None, repr=False, compare=False)
    stopped: str | None = None
    """Why a budgeted run stopped before the end (``--max-writes``, ``--deadline``)."""
    remaining: list[str] = field(default_factory=list)
    """Tags of the releases a budgeted run left for the next run."""
    remaining_assets: int = 0
    remaining_writes: int = 0
    writes: int = 0
    """Writes made in this run."""

    def add(self, outcome: Outcome) -> None:
        if self.listener is not None:
            self.listener(outcome)
        level = logging.INFO if outcome.result in {"signed", "done", "skipped"} else logging.WARNING
        _log.log(
            level,
            "%-8s %s %s%s",
            outcome.result,
            outcome.release,
            outcome.item,
            f" ({outcome.detail})" if outcome.detail else "",
        )
        self.outcomes.append(outcome)

    def counts(self) -> dict[str, int]:
        keys: tuple[Result, ...] = (
            "signed",
            "done",
            "skipped",
            "blocked",
            "drift",
            "conflict",
            "failed",
        )
        return {k: sum(o.result == k for o in self.outcomes if o.kind == "asset") for k in keys}

    @property
    def ok(self) -> bool:
        """Nothing drifted, conflicted, failed or was refused at download (exit 0)."""
        return not any(
            o.result in {"blocked", "drift", "conflict", "failed"} for o in self.outcomes
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_digest": self.plan_digest,
            "repository": self.repository,
            "ok": self.ok,
            "summary": self.counts(),
            "certificates": self.certificates,
            "identity": None
            if self.identity is None
            else {
                "cert_identity": self.identity.identity or "",
                "cert_oidc_issuer": self.identity.issuer or "",
                "source_repository": self.identity.source_repository or "",
            },
            "outcomes": [o.to_json() for o in self.outcomes],
            "complete": self.stopped is None,
            "stopped": self.stopped,
            "writes": self.writes,
            "remaining": {
                "releases": len(self.remaining),
                "assets": self.remaining_assets,
                "writes": self.remaining_writes,
                "tags": list(self.remaining),
            },
        }

    def remaining_text(self) -> str:
        """What a budgeted run left, and how the next run continues ("" when complete)."""
        if self.stopped is None:
            return ""
        return (
            f"stopped before the end ({self.stopped}): {len(self.remaining)} release(s) with "
            f"{self.remaining_assets} asset(s) and about {self.remaining_writes} write(s) "
            "remain; apply the same plan again (a fresh state directory will do) to continue"
        )

    def to_markdown(self) -> str:
        c = self.counts()
        lines = [
            "## chainkit backfill apply",
            "",
            f"Plan `{self.plan_digest}` on {md.code(self.repository)}: **{c['signed']} signed**, "
            f"{c['done']} already done, {c['skipped']} skipped, {c['blocked']} blocked, "
            f"{c['drift']} drifted, {c['conflict']} conflicts, {c['failed']} failed.",
            "",
            md.table(
                ["release", "item", "result", "detail"],
                [(o.release, o.item, o.result, o.detail) for o in self.outcomes],
            ),
        ]
        if self.stopped is not None:
            lines += ["", f"**Not complete**: {md.escape(self.remaining_text())}."]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Settled:
    """An asset decided without downloading it (drift, done before, blocked)."""

    outcome: Outcome
    result: tuple[PlannedAsset, str, str] | None
    at_turn: Callable[[], None] | None = None
    """Journal records to make at the asset's turn (decisions record nothing)."""


@dataclass(frozen=True)
class _Ready:
    """An asset to download (``fetched``: its download, maybe under way), then sign."""

    asset: Asset
    remote: Asset | None
    """The bundle of this name at the destination when it was decided."""
    fetched: Ticket[tuple[str, int]]
    """sha256 and size of the bytes downloaded to the work file in this run."""


_Decided = _Settled | _Ready | Error


@dataclass(frozen=True)
class _Stated:
    """An asset whose GitHub digest is the plan's sha256: downloaded only if the release's
    attestation is not already there (a repeated apply downloads nothing for it)."""

    planned: PlannedAsset
    asset: Asset
    sha256: str


@dataclass(frozen=True)
class _ApiPrepared:
    """A release of ``--home attestations`` read and decided before its turn, its
    downloads handed to the prefetch thread (each one hashed, then its file deleted)."""

    current: Release
    drift: str | None
    steps: tuple[
        Outcome | Error | _Stated | tuple[PlannedAsset, Asset, Ticket[tuple[str, int]]], ...
    ]
    """Per asset to attest, in plan order: an outcome decided without downloading (drift,
    blocked), an error to raise at its turn, or its download (maybe under way)."""


@dataclass(frozen=True)
class _ApiRead:
    """``--home attestations``: what the reader thread read for a release ahead of its
    preparation (:meth:`_Applier._api_read`). Nothing is decided on that thread."""

    current: Release | Error
    """The release as read, or why it could not be read (raised at its preparation)."""
    checksums: Mapping[int, bytes | Error]
    """Checksum-file asset id -> its bytes (bounded), or why they could not be read."""
    listed: tuple[tuple[str, AttestationList], ...] = ()
    """(subject digest, its attestations): the existence check's first list, read ahead."""


"""What the main thread decided for an asset before its turn; an error is raised at
the asset's turn (after the writes of the assets before it)."""


def _policy_of_bundle(bundle_json: bytes) -> tuple[IdentityPolicy, CertificateFacts]:
    """A policy pinning exactly the identity in a bundle's certificate (self-check)."""
    facts = bundle_facts(load_bundle(bundle_json, source="the signed bundle"))
    return IdentityPolicy.pinning(facts), facts


def _fatal(exc: Error) -> bool:
    """Errors that would fail every release alike: stop instead of trying the next one.

    Service failures (exit 3), an unusable identity token or signer, and a token GitHub
    rejects (401) or that may not write (403).
    """
    if isinstance(exc, (ServiceError, SigningUsageError)):
        return True
    return isinstance(exc, GitHubError) and exc.is_auth_failure


class _Applier:
    def __init__(
        self,
        plan: Plan,
        *,
        client: GitHubClient,
        signer: KeylessSigner,
        verifier: BundleVerifier,
        journal: Journal,
        token_claims: Mapping[str, Any],
        now: Callable[[], datetime],
        pypi: Callable[[str, str | None], PyPIDigests] | None = None,
        pypi_index_url: str | None = None,
        limits: RunLimits | None = None,
        prefetch: bool = True,
    ) -> None:
        self.plan = plan
        api_home = plan.options.home == "attestations"
        widest = max((len(r.to_sign) for r in plan.releases), default=1)
        depth = widest * API_LOOKAHEAD if api_home else 1
        self._prefetch = Prefetcher(
            enabled=prefetch, depth=max(1, depth), workers=API_DOWNLOAD_WORKERS if api_home else 1
        )
        """Downloads the next asset of a release while the main thread writes (with the
        attestations API as the home: the next release's assets, hashed and deleted)."""
        self._reads = Prefetcher(
            enabled=prefetch and api_home, depth=API_LOOKAHEAD + API_READ_AHEAD, workers=1
        )
        """``--home attestations``: the reads of the releases beyond the lookahead."""
        self._read_tickets: dict[int, Ticket[_ApiRead]] = {}
        self._reader: GitHubClient | None = None
        """The reader thread's client (its own requester and session), made once."""
        self._checksums_ahead: dict[int, bytes | Error] = {}
        """The checksum files read ahead for the release being prepared (main thread)."""
        self._signed_ahead: dict[int, tuple[str, bytes]] = {}
        """Asset id -> (sha256, bundle) signed while the write before it waited."""
        self._home_api: AttestationsHome | None = None
        """The attestations API as the home (one for the run)."""
        self._api_ahead: dict[int, _ApiPrepared | Error] = {}
        """``--home attestations``: the next release, decided before this one's writes."""
        self._sessions = threading.local()
        """Per thread (prefetch threads, and the main thread's inline steps): its own
        download session (``client.downloader()``)."""
        self.limits = limits or RunLimits()
        self.pypi = pypi
        self.pypi_index_url = pypi_index_url
        self._pypi_digests: PyPIDigests | str | None = None
        """This run's answer of the package index (or why there is none), fetched once."""
        self._checksum_index: dict[int, _ChecksumIndex | str] = {}
        """Per checksum-file asset id: its entries as parsed in this run (or why not)."""
        self.client = client
        self.signer = signer
        self.verifier = verifier
        self.journal = journal
        self.claims = token_claims
        self.now = now
        self.report = ApplyReport(plan_digest=plan.plan_digest, repository=plan.repository)
        self._fresh: set[int] = set()
        """Ids of the assets downloaded and hashed in this run."""
        self._bundle_home: Release | None = None
        self._tag_commits: dict[str, str] = {}

    # -- destinations -----------------------------------------------------------------
    def _home(self, *, create: bool = True) -> Release | None:
        """The bundle release (for immutable releases), created once if the plan says so.

        Found only by the tag the plan names, never by an id from the state directory (the
        journal is not trusted); a planned id must name the release with that tag. It must
        accept uploads (not immutable). ``create=False``: ``None`` instead of creating it.
        """
        if self._bundle_home is not None:
            return self._bundle_home
        home = self.plan.bundle_release
        if home is None:
            raise BackfillUsageError("the plan sends bundles to a bundle release it does not name")
        found: Release | None
        if home.id is not None:
            found = self.client.get_release(self.plan.repository, home.id)
        else:
            try:
                found = self.client.get_release_by_tag(self.plan.repository, home.tag)
            except NotFoundError:
                found = None
        if found is None:
            if not create:
                return None
            if not home.create:
                raise BackfillUsageError(
                    f"the bundle release {home.tag!r} the plan names does not exist",
                    remediation="plan again",
                )
            found = self.client.create_release(
                self.plan.repository,
                tag=home.tag,
                name="Sigstore bundles (backfill)",
                body="Sigstore bundles for releases that are immutable and cannot take new "
                "assets. Each bundle is named `<tag>--<asset>.sigstore.json`.",
            )
            self.journal.record("bundle-release.created", release_id=found.id)
        if found.tag != home.tag:
            raise BackfillUsageError(
                f"release {found.id} is tagged {found.tag!r}, not the bundle release "
                f"{home.tag!r} the plan names: nothing uploaded to it",
                remediation="plan again",
            )
        if found.immutable:
            raise BackfillUsageError(
                f"the bundle release {home.tag!r} is immutable and cannot take bundles",
                remediation="plan again with another --bundle-release",
            )
        self._bundle_home = found
        return found

    # -- the run ----------------------------------------------------------------------
    def run(self) -> ApplyReport:
        if not self.plan.is_empty and self.client.can_write(self.plan.repository) is False:
            # Checked before anything is signed: a transparency-log entry is forever.
            raise BackfillUsageError(
                f"the token cannot write to {self.plan.repository}: nothing was signed",
                remediation="use a token with contents: write (in Actions: "
                "`permissions: contents: write`)",
            )
        if self.plan.bundle_release is not None and any(
            not r.is_idle and r.destination.kind == "bundle-release" for r in self.plan.releases
        ):
            # before anything is signed: the bundle release is the one the plan names
            self._home(create=False)
        if any(not r.is_idle for r in self.plan.releases):
            # one listing for the whole run (100 tags a page), not one request per release
            self._tag_commits = self.client.tag_commits(self.plan.repository)
            self._seed_budget()
        writes_before = self.client.pacer.writes
        try:
            with self._prefetch:  # nothing prefetched outlives the run (joined, bounded)
                try:
                    self._releases()
                finally:
                    # reads only, nothing on disk: cancelled, never waited for
                    self._reads.close(wait=False)
        finally:
            # a download thread that did not stop in time (or was interrupted while
            # joined) may have left its ``.part`` file: no download of ours runs now
            self.journal.remove_partial_downloads()
        self.report.certificates = self.signer.certificates
        self.report.writes = self.client.pacer.writes - writes_before
        return self.report

    def _releases(self) -> None:
        started = self.limits.clock()
        self.client.retry_deadline = self.limits.deadline
        home_kind = self.plan.options.home
        begun = False
        for index, planned in enumerate(self.plan.releases):
            if planned.is_idle:
                continue
            create_home = (
                self.plan.bundle_release is not None
                and self.plan.bundle_release.create
                and self._bundle_home is None
                and home_kind != "attestations"
            )
            stop = self.limits.stop_before(
                planned, self.client.pacer, home_kind, create_home=create_home
            )
            never = None
            if stop is not None and not begun:
                never = self.limits.never_fits(
                    planned,
                    self.client.pacer.budget,
                    home_kind,
                    create_home=create_home,
                    started=started,
                )
            if never is not None:  # no run with these limits would ever begin it
                raise BackfillUsageError(
                    f"{never}: nothing was signed",
                    remediation="raise --max-writes (or give a later --deadline) to at least "
                    "what the release needs; `chainkit backfill plan` shows the estimate",
                )
            if stop is not None:  # between releases only: each one is finished or not begun
                rest = remaining(self.plan.releases[index:], home_kind, create_home=create_home)
                self.report.stopped = stop
                self.report.remaining, self.report.remaining_assets = rest[0], rest[1]
                self.report.remaining_writes = rest[2]
                _log.warning("%s", self.report.remaining_text())
                break
            begun = True
            following = self._upcoming(index)
            try:
                self._release(planned, following)
            except Error as exc:
                if _fatal(exc):
                    raise  # stop: the journal lets a re-run resume
                self.report.add(Outcome(planned.tag, planned.tag, "notes", "failed", exc.message))

    def _upcoming(self, index: int) -> tuple[PlannedRelease, ...]:
        """The next releases with work after ``index``, as many as the pipeline reaches
        (:data:`API_LOOKAHEAD` with the attestations API as the home, else one)."""
        api_home = self.plan.options.home == "attestations"
        reach = API_LOOKAHEAD + API_READ_AHEAD if api_home else 1
        return tuple(
            itertools.islice((r for r in self.plan.releases[index + 1 :] if not r.is_idle), reach)
        )

    def _seed_budget(self) -> None:
        """Count the writes an earlier run made within the budget's longest window (seen
        on the plan's releases and the bundle release) before this run writes at all."""
        window = self.client.pacer.budget.longest
        if window <= 0:
            return
        ids = {r.id for r in self.plan.releases if not r.is_idle}
        home = self.plan.bundle_release
        seen = [
            rel
            for rel in self.client.iter_releases(self.plan.repository)
            if rel.id in ids or (home is not None and rel.tag == home.tag)
        ]
        ages = recent_write_ages(
            seen, now=self.now(), window=window, api_writes=api_attestation_writes(self.plan)
        )
        counted = self.client.pacer.seed(ages)
        if counted:
            _log.info("counting %d recent write(s) of an earlier run against the budget", counted)

    def _release(self, planned: PlannedRelease, following: tuple[PlannedRelease, ...] = ()) -> None:
        if self.plan.options.home == "attestations":
            api_ahead = (
                partial(self._api_ahead_of, following)
                if following and self._prefetch.enabled
                else None
            )
            prepared = self._api_ahead.pop(planned.id, None) or self._api_prepare(
                planned, self._taken_read(planned)
            )
            self._api_release(planned, prepared, api_ahead)
            return
        current = self.client.get_release(self.plan.repository, planned.id)
        to_bundle_home = planned.destination.kind == "bundle-release"
        drift = self._release_drift(planned, current, to_bundle_home=to_bundle_home)
        if drift is not None:
            for asset in planned.to_sign:
                self.report.add(Outcome(planned.tag, asset.name, "asset", "drift", drift))
            if not planned.to_sign:
                self.report.add(Outcome(planned.tag, "release notes", "notes", "drift", drift))
            return
        home = self._home() if to_bundle_home else None
        dest = home if home is not None else current
        existing = {a.name: a for a in dest.assets}
        current_assets = {a.id: a for a in current.assets}
        signed: list[tuple[PlannedAsset, str, str]] = []  # (asset, sha256, bundle name)
        failed = False
        # The pipeline: asset k+1 is decided (reads only) and its download handed to the
        # prefetch thread just before asset k's first write; everything else, journal
        # and writes included, happens here in plan order.
        items = [pa for pa in planned.assets if pa.action != "skip"]
        decided: dict[int, _Decided] = {}

        def decide(k: int) -> None:
            if k < len(items) and k not in decided:
                decided[k] = self._decide(planned, items[k], current_assets, existing)

        def decide_next(k: int) -> tuple[PlannedAsset, _Decided] | None:
            decide(k)
            return (items[k], decided[k]) if k in decided else None

        for k, planned_asset in enumerate(items):
            decide(k)
            ahead = partial(decide_next, k + 1) if self._prefetch.enabled else None
            try:
                result = self._asset(
                    planned, planned_asset, decided.pop(k), current_assets, dest, existing, ahead
                )
            except Error as exc:
                if _fatal(exc):
                    raise
                self.report.add(
                    Outcome(planned.tag, planned_asset.name, "asset", "failed", exc.message)
                )
                failed = True
                continue
            if result is not None:
                signed.append(result)
        if failed:
            # Written once, over every asset: a re-run signs the failed one, then writes both.
            self.report.add(
                Outcome(
                    planned.tag, "attestation and notes", "attestation", "skipped",
                    "deferred until every asset of the release is signed: re-run",
                )
            )  # fmt: skip
            return
        wants_notes = planned.notes.action == "update"
        earlier: list[tuple[PlannedAsset, str, str]] = []
        if wants_notes or (planned.attestation.action == "sign" and not signed):
            earlier = self._verified_existing(planned, current_assets, existing)
        # a release with nothing to sign (planned again after "plan again"): attest the
        # verified earlier bundles if the plan says its attestation is missing
        attested = signed if planned.to_sign else earlier
        attestation = None
        if attested and planned.attestation.action == "sign":
            attestation = self._attestation(planned, attested, dest, existing)
        if self.plan.options.home == "both" and attested and planned.attestation.action == "sign":
            fresh = self._rehash(planned, attested)
            if fresh is None:
                self.report.add(
                    Outcome(planned.tag, "attestation (API)", "attestation", "drift",
                            "an asset's bytes no longer match its bundle; not attested")
                )  # fmt: skip
            else:
                self._api_attest(planned, [(pa, sha256) for pa, sha256, _ in fresh])
        listed = signed + [e for e in earlier if e[0].id not in {s[0].id for s in signed}]
        if wants_notes and listed:
            if attestation is None:  # none made now: link the latest earlier one of ours
                attestation = self._latest_attestation(planned, dest)
            failpoint("before-notes")
            self._notes(planned, listed, dest, attestation)

    def _release_drift(
        self, planned: PlannedRelease, current: Release, *, to_bundle_home: bool
    ) -> str | None:
        """Why the release (as read now) is not the one the plan was made for, if it is not.

        The tag must still name it and point to the planned commit (chainkit never moves
        tags). ``updated_at`` changes with every edit and upload, chainkit's own included
        (a resumed run, or one after a lost state directory, sees its earlier uploads and
        notes): a changed ``updated_at`` is drift unless the fields chainkit never writes
        (name, draft, prerelease, published_at) are as planned; what chainkit does write,
        assets and the notes, is then checked item by item (asset ``updated_at``/size/digest,
        foreign bundles, the text outside the notes section).
        """
        if current.tag != planned.tag:
            return f"the release's tag is now {current.tag!r}; plan again"
        now = self._tag_commits.get(planned.tag)
        if planned.tag_commit is None:
            # the planner records the commit of every tag that exists: a null one is a tag
            # created since the plan (or a re-sealed plan switching this check off)
            if now is not None:
                return f"the tag {planned.tag!r} points to {now[:12]}, the plan records none"
        else:
            if now is None:
                return f"the tag {planned.tag!r} is gone; plan again"
            if now != planned.tag_commit:
                return (
                    f"the tag {planned.tag!r} moved to commit {now[:12]} "
                    f"(planned: {planned.tag_commit[:12]}); plan again"
                )
        if current.immutable and not to_bundle_home:
            return (
                "the release became immutable after the plan; plan again with "
                "--home attestations or --bundle-release"
            )
        # a null updated_at (a re-sealed plan) never switches the edit check off: the
        # release's fields are compared as if it changed
        if planned.updated_at is not None and format_time(current.updated_at) == format_time(
            planned.updated_at
        ):
            return None
        edited = [
            what
            for what, was, now_ in (
                ("name", planned.name, current.name),
                ("draft", planned.draft, current.draft),
                ("prerelease", planned.prerelease, current.prerelease),
                (
                    "published_at",
                    format_time(planned.published_at),
                    format_time(current.published_at),
                ),
            )
            if was != now_
        ]
        if edited:
            return (
                f"the release was edited since the plan ({', '.join(edited)}; updated_at "
                f"{format_time(current.updated_at)}, planned {format_time(planned.updated_at)});"
                " plan again"
            )
        return None

    # -- the attestations API as the home ----------------------------------------------
    def _api_ahead_of(self, following: tuple[PlannedRelease, ...]) -> None:
        """Decide the first :data:`API_LOOKAHEAD` of the ``following`` releases (those not
        decided yet, in plan order) and start their downloads (before this release's
        writes); hand the reads of the rest to the reader thread."""
        for release in following[:API_LOOKAHEAD]:
            if release.id not in self._api_ahead:
                self._api_ahead[release.id] = self._api_prepare(release, self._taken_read(release))
        self._read_ahead(following[API_LOOKAHEAD:])

    def _read_ahead(self, releases: tuple[PlannedRelease, ...]) -> None:
        """Start the reads of ``releases`` (in plan order) on the reader thread."""
        if not self._reads.enabled:
            return
        if self._reader is None:
            self._reader = self.client.reader()
            if self._reader is None:  # an injected client that cannot read elsewhere
                self._reads.enabled = False
                return
        for release in releases:
            if release.id in self._read_tickets or release.id in self._api_ahead:
                continue
            digest = self._first_subject_digest(release)
            self._read_tickets[release.id] = self._reads.submit(
                partial(self._api_read, self._reader, release, digest)
            )

    def _taken_read(self, planned: PlannedRelease) -> _ApiRead | None:
        """The reads made ahead for ``planned`` (``None``: none, read them now)."""
        ticket = self._read_tickets.pop(planned.id, None)
        return ticket.result() if ticket is not None else None

    def _first_subject_digest(self, planned: PlannedRelease) -> str | None:
        """The digest whose attestations the existence check lists first, if the release
        is attested as planned (one part, every asset hashed to the plan's sha256), and
        this run has an identity to hold a listed bundle to; else ``None``."""
        wanted = [(pa.name, pa.expected_sha256) for pa in planned.to_sign]
        if not wanted or len(wanted) > MAX_SUBJECTS or self._run_policy() is None:
            return None
        known = [(name, sha256) for name, sha256 in wanted if sha256 is not None]
        return sorted(known)[0][1] if len(known) == len(wanted) else None

    def _api_read(
        self, reader: GitHubClient, planned: PlannedRelease, digest: str | None
    ) -> _ApiRead:
        """The reader thread's step (reads only, through its own client; no decision, no
        journal, nothing on disk): the release, the checksum files its evidence would
        download, and the attestations of ``digest``. A read that fails is left to the
        main thread: the release's error is raised at its preparation, a checksum file's
        is handled there as if read then, a list's makes the turn read it again."""
        try:
            current = reader.get_release(self.plan.repository, planned.id)
        except Error as exc:
            return _ApiRead(exc, {})
        assets = {a.id: a for a in current.assets}
        checksums: dict[int, bytes | Error] = {}
        for record in _checksum_files_needed(planned, assets):
            asset = assets.get(record.asset_id)
            if (
                asset is None
                or asset.name != record.name
                or asset.state != "uploaded"
                or asset.size > MAX_CHECKSUM_FILE_SIZE
            ):
                continue  # refused at the preparation, unread
            try:
                checksums[record.asset_id] = reader.fetch_small(
                    asset, max_bytes=MAX_CHECKSUM_FILE_SIZE
                )
            except Error as exc:
                checksums[record.asset_id] = exc
        listed: tuple[tuple[str, AttestationList], ...] = ()
        if digest is not None:
            try:
                found = reader.list_attestations(
                    self.plan.repository, f"sha256:{digest}", predicate_type=PREDICATE_TYPE
                )
            except Error as exc:
                _log.debug("%s: the attestations read ahead: %s", planned.tag, exc.message)
            else:
                listed = ((digest, found),)
        return _ApiRead(current, checksums, listed)

    def _api_prepare(
        self, planned: PlannedRelease, read: _ApiRead | None = None
    ) -> _ApiPrepared | Error:
        """``--home attestations``: read the release (or take what the reader thread
        read), decide each asset to attest (drift, evidence) and hand its download to the
        prefetch thread. Reads only; no journal record, no outcome (they come at the
        release's turn, in plan order)."""
        try:
            if read is None:
                current = self.client.get_release(self.plan.repository, planned.id)
            elif isinstance(read.current, Error):
                raise read.current
            else:
                current = read.current
            # nothing is uploaded to the release in attestations mode: immutable is no drift
            drift = self._release_drift(planned, current, to_bundle_home=True)
        except Error as exc:
            return exc
        if drift is not None:
            return _ApiPrepared(current, drift, ())
        if read is not None:
            home = self._attestations_home()
            for digest, found in read.listed:
                home.listed_ahead(planned.id, digest, found)
        self._checksums_ahead = dict(read.checksums) if read is not None else {}
        try:
            return self._api_decide(planned, current)
        finally:
            self._checksums_ahead = {}

    def _api_decide(self, planned: PlannedRelease, current: Release) -> _ApiPrepared:
        current_assets = {a.id: a for a in current.assets}
        # A hint only (the state directory is not trusted; it never decides what is
        # attested): an earlier run of this state directory created this release's
        # attestation, so the assets whose GitHub digest is the plan's are not downloaded
        # ahead; their turn checks the API first and downloads them only if it must.
        expect_done = self.journal.last("attestation.created", release_id=planned.id) is not None
        steps: list[
            Outcome | Error | _Stated | tuple[PlannedAsset, Asset, Ticket[tuple[str, int]]]
        ] = []
        for pa in planned.to_sign:
            asset = current_assets.get(pa.id)
            changed = self._drifted(pa, asset)
            if changed is not None or asset is None:
                steps.append(Outcome(planned.tag, pa.name, "asset", "drift", changed or ""))
                continue
            try:
                unproven = self._evidence_unproven(planned, pa, current_assets)
            except Error as exc:
                steps.append(exc)
                continue
            if unproven is not None:
                detail = f"its evidence does not hold now ({unproven}): not attested"
                steps.append(Outcome(planned.tag, pa.name, "asset", "blocked", detail))
                continue
            stated = asset.sha256
            if expect_done and stated is not None and stated == pa.expected_sha256:
                steps.append(_Stated(pa, asset, stated))
                continue
            ticket = self._prefetch.submit(partial(self._fetch_hashed, pa, asset))
            steps.append((pa, asset, ticket))
        return _ApiPrepared(current, None, tuple(steps))

    def _fetch_hashed(self, pa: PlannedAsset, asset: Asset) -> tuple[str, int]:
        """:meth:`_fetch`, then delete the work file (the attestations API needs only the
        digest): a prefetched release holds no downloaded bytes on disk."""
        try:
            return self._fetch(pa, asset)
        finally:
            self.journal.work_file(pa.id, pa.name).unlink(missing_ok=True)

    def _defer_attestation(self, planned: PlannedRelease) -> None:
        """The attestation and notes wait for a run in which every asset can be attested."""
        self.report.add(
            Outcome(
                planned.tag, "attestation and notes", "attestation", "skipped",
                "deferred until every asset of the release can be attested: re-run "
                "(or plan again)",
            )
        )  # fmt: skip

    def _api_release(
        self,
        planned: PlannedRelease,
        prepared: _ApiPrepared | Error,
        ahead: Callable[[], None] | None = None,
    ) -> None:
        """``--home attestations``: every asset hashed in this run, then one attestation per
        release (per 1024 assets) with the API, then the notes. Nothing goes to the release
        but the notes edit. ``ahead`` (the pipeline) decides the next release and starts its
        downloads once this release's are taken, before its writes."""
        if isinstance(prepared, Error):
            raise prepared
        if prepared.drift is not None:
            for item in planned.to_sign:
                self.report.add(Outcome(planned.tag, item.name, "asset", "drift", prepared.drift))
            if not planned.to_sign:
                self.report.add(
                    Outcome(planned.tag, "release notes", "notes", "drift", prepared.drift)
                )
            return
        hashed: list[Hashed] = []
        stated: list[tuple[int, _Stated]] = []
        failed = False
        for step in prepared.steps:
            if isinstance(step, Outcome):
                self.report.add(step)
                failed = True
                continue
            if isinstance(step, _Stated):
                stated.append((len(hashed), step))
                hashed.append((step.planned, step.sha256))  # GitHub's digest, for now
                continue
            pa: PlannedAsset | None = None
            try:
                if isinstance(step, Error):
                    raise step
                pa, asset, ticket = step
                sha256 = self._download(planned, pa, asset, ticket)
            except Error as exc:
                if _fatal(exc):
                    raise
                name = pa.name if pa is not None else "an asset"
                self.report.add(Outcome(planned.tag, name, "asset", "failed", exc.message))
                sha256 = None
            if sha256 is None or pa is None:
                failed = True
            else:
                self._fresh.add(pa.id)
                hashed.append((pa, sha256))
        if ahead is not None:
            ahead()  # the next release downloads while this one signs and writes
        if failed or not hashed:
            self._defer_attestation(planned)
            return
        found = False
        if stated:
            # GitHub's own digest equals the plan's: if the release's attestation is
            # already there (ours, over exactly these digests), nothing is downloaded;
            # else every such asset is downloaded and hashed now, as any other
            found = self._attestations_home().found(planned, hashed)
            if not found and not self._hash_stated(planned, stated, hashed):
                self._defer_attestation(planned)
                return
        made = self._api_attest(planned, hashed, found=found)
        for m in made:
            for pa_, _ in m.subjects:
                detail = f"a subject of {m.label}"
                self.report.add(Outcome(planned.tag, pa_.name, "asset", m.result, detail))
        if planned.notes.action == "update" and made:
            failpoint("before-notes")
            self._notes(planned, [(p, sha, "") for p, sha in hashed], prepared.current, None)

    def _hash_stated(
        self, planned: PlannedRelease, stated: list[tuple[int, _Stated]], hashed: list[Hashed]
    ) -> bool:
        """Download and hash the ``stated`` assets now (their digests in ``hashed`` replaced
        by the bytes' own); ``False`` if one failed or differs (its outcome says why)."""
        ok = True
        for index, st in stated:
            fetched = Prefetcher.inline(partial(self._fetch_hashed, st.planned, st.asset))
            try:
                sha256 = self._download(planned, st.planned, st.asset, fetched)
            except Error as exc:
                if _fatal(exc):
                    raise
                self.report.add(
                    Outcome(planned.tag, st.planned.name, "asset", "failed", exc.message)
                )
                sha256 = None
            if sha256 is None:
                ok = False
                continue
            self._fresh.add(st.planned.id)
            hashed[index] = (st.planned, sha256)
        return ok

    def _api_attest(
        self, planned: PlannedRelease, hashed: list[Hashed], *, found: bool = False
    ) -> list[ApiAttestation]:
        """Create (or find) the release's API attestations; one outcome per part."""
        home = self._attestations_home()
        made = home.attest(planned, hashed, found=found)
        self.report.identity = self.report.identity or home.identity
        for m in made:
            detail = (
                f"attestation {m.attestation_id}, {len(m.subjects)} subject(s)"
                if m.result == "signed"
                else f"found ours over these {len(m.subjects)} subject(s)"
            )
            self.report.add(Outcome(planned.tag, m.label, "attestation", m.result, detail))
        return made

    def _attestations_home(self) -> AttestationsHome:
        if self._home_api is not None:
            return self._home_api
        self._home_api = AttestationsHome(
            repository=self.plan.repository,
            plan_digest=self.plan.plan_digest,
            client=self.client,
            signer=self.signer,
            verifier=self.verifier,
            journal=self.journal,
            pinned=self._run_policy(),
            self_check=self._self_check,
            now=self.now,
            failpoint=failpoint,
        )
        return self._home_api

    # -- one asset --------------------------------------------------------------------
    def _drifted(self, pa: PlannedAsset, asset: Asset | None) -> str | None:
        """Why ``asset`` (as listed now) is not the asset the plan was made for, if it is not."""
        if asset is None or asset.name != pa.name:
            return "the asset is gone or renamed"
        if (
            asset.size != pa.size
            or asset.digest != pa.digest
            or format_time(asset.updated_at) != format_time(pa.updated_at)
        ):
            return "the asset changed since the plan (size, digest or updated_at)"
        return None

    def _decide(
        self,
        planned: PlannedRelease,
        pa: PlannedAsset,
        current_assets: dict[int, Asset],
        existing: dict[str, Asset],
    ) -> _Decided:
        """Everything about ``pa`` that comes before its download (no journal record, no
        outcome; the one write is deleting a failed upload's ``starter`` asset under its
        bundle name, on this thread); a download goes to the prefetch thread."""
        # An earlier run's "asset.blocked" is not trusted (the state directory may be
        # planted): the download reproduces the mismatch, or signs the asset.
        asset = current_assets.get(pa.id)
        drift = self._drifted(pa, asset)
        if drift is not None or asset is None:
            return _Settled(Outcome(planned.tag, pa.name, "asset", "drift", drift or ""), None)
        try:
            remote = without_starter(self.client, existing, pa.bundle_name)
            done = self._done_before(pa, asset, remote)
            if done is not None:
                outcome = Outcome(planned.tag, pa.name, "asset", "done", bundle=done[2])
                return _Settled(outcome, done)
            found = self._ours_by_digest(pa, asset, remote)
            if found is not None:
                outcome = Outcome(
                    planned.tag, pa.name, "asset", "done", "found our valid bundle", found[0][2]
                )
                return _Settled(outcome, found[0], found[1])
            # The plan's evidence is not trusted (anyone can re-seal a plan): unless GitHub's
            # own digest (re-read with the release) vouches for the bytes, it is re-derived
            # in this run.
            unproven = self._evidence_unproven(planned, pa, current_assets)
        except Error as exc:
            return exc
        if unproven is not None:
            detail = f"its evidence does not hold now ({unproven}): not signed"
            return _Settled(Outcome(planned.tag, pa.name, "asset", "blocked", detail), None)
        fetched = self._prefetch.submit(partial(self._fetch, pa, asset))
        return _Ready(asset, remote, fetched)

    def _fetch(self, pa: PlannedAsset, asset: Asset) -> tuple[str, int]:
        """Download ``asset`` to its work file: its sha256 and size. The prefetch thread's
        step (or the main thread's with ``--no-prefetch``): no journal, no report."""
        work = self.journal.work_file(pa.id, pa.name)
        sha256 = self._download_to(asset, work, progress=lambda _: self._prefetch.check())
        return sha256, work.stat().st_size

    def _download_to(self, asset: Asset, work: Path, **kw: Any) -> str:
        """:meth:`GitHubClient.download` over this thread's own HTTP session (the client's
        own on the main thread without prefetch)."""
        if not self._prefetch.enabled:
            return self.client.download(asset, work, **kw)
        download = getattr(self._sessions, "download", None)
        if download is None:
            download = self._sessions.download = self.client.downloader()
        result: str = download(asset, work, **kw)
        return result

    def _asset(
        self,
        planned: PlannedRelease,
        pa: PlannedAsset,
        decided: _Decided,
        current_assets: dict[int, Asset],
        dest: Release,
        existing: dict[str, Asset],
        ahead: Callable[[], tuple[PlannedAsset, _Decided] | None] | None = None,
    ) -> tuple[PlannedAsset, str, str] | None:
        """``pa``'s turn, in plan order: journal, sign, upload. ``ahead`` (the pipeline)
        decides the next asset and starts its download once this one's bytes are taken;
        when the upload will wait for the budget and that download is done, the next
        asset is signed meanwhile (:meth:`_sign_ahead`)."""
        if isinstance(decided, Error):
            raise decided
        if isinstance(decided, _Settled):
            if decided.at_turn is not None:
                decided.at_turn()
            self.report.add(decided.outcome)
            return decided.result
        if existing.get(pa.bundle_name) is not decided.remote:
            # an upload since the decision gave this name to another bundle (GitHub may
            # store a name differently): decide again from what is there now
            decided.fetched.result()
            again = self._decide(planned, pa, current_assets, existing)
            return self._asset(planned, pa, again, current_assets, dest, existing, ahead)
        asset, remote = decided.asset, decided.remote
        # The digest signed is always that of bytes downloaded and hashed in this run: the
        # state directory is not trusted (a journal entry never chooses what is signed).
        sha256 = self._download(planned, pa, asset, decided.fetched)
        if sha256 is None:
            return None
        self._fresh.add(pa.id)
        if remote is not None and (
            pa.action == "sign" or self.journal.last("asset.replaced", asset_id=pa.id)
        ):
            return self._adopt(planned, pa, remote, sha256)
        # the next asset's download starts now, so that it may be done (and signed ahead)
        # by the time this upload waits for the budget
        following = ahead() if ahead is not None else None
        bundle_file = self.journal.bundle_file(pa.id, pa.name)
        signed_ahead = self._signed_ahead.pop(pa.id, None)
        bundle_json = signed_ahead[1] if signed_ahead and signed_ahead[0] == sha256 else None
        if bundle_json is None:
            bundle_json = self._saved_bundle(pa, sha256, bundle_file)
        if bundle_json is None:
            bundle_json = self._sign(pa, sha256)
            self.journal.write(bundle_file, bundle_json)
            self.journal.record("asset.signed", asset_id=pa.id, sha256=sha256)
            failpoint("after-sign")
        self.journal.work_file(pa.id, pa.name).unlink(missing_ok=True)
        if following is not None and self.client.pacer.seconds_until(1) > 0:
            self._sign_ahead(*following)
        stored = self._upload(
            planned, pa, dest, existing, bundle_json, replace=pa.action == "replace", sha256=sha256
        )
        if stored is None:
            return None
        self._record_once("asset.uploaded", asset_id=pa.id, sha256=sha256, bundle_name=stored)
        failpoint("after-upload")
        self.report.add(Outcome(planned.tag, pa.name, "asset", "signed", bundle=stored))
        return pa, sha256, stored

    def _sign_ahead(self, pa: PlannedAsset, decided: _Decided) -> None:
        """Sign the next asset while this one's upload waits for the write budget: at most
        one asset ahead, only one whose download is already complete (this never waits
        for it) and whose bytes, downloaded and hashed in this run, equal the plan's
        sha256 (and GitHub's digest and size, if stated), and only once (its turn uses
        this bundle). Journalled like any signature (bundle saved, ``asset.signed``): a
        kill before its upload costs at most this one extra transparency-log entry when
        the re-run has a fresh state directory (with the same one the bundle is reused).

        Best effort: any error here is logged and discarded (nothing is journalled for
        it), so this asset's upload always comes first; the next asset is then handled at
        its own turn as if nothing had been tried, and its own errors surface there."""
        if not isinstance(decided, _Ready) or decided.remote is not None:
            return  # nothing to sign, or a bundle to adopt at its turn
        if pa.id in self._signed_ahead or pa.expected_sha256 is None:
            return  # unverified assets (--allow-unverified) are signed at their turn only
        if not decided.fetched.done():
            return  # still downloading: never hold up this upload for it
        try:
            self._try_sign_ahead(pa, decided)
        except Exception as exc:  # noqa: BLE001 - discarded: the asset's own turn retries
            message = exc.message if isinstance(exc, Error) else f"{type(exc).__name__}: {exc}"
            _log.info(
                "signing %s ahead failed (%s); it is handled at its own turn", pa.name, message
            )
            _log.debug("signing %s ahead failed", pa.name, exc_info=True)

    def _try_sign_ahead(self, pa: PlannedAsset, decided: _Ready) -> None:
        try:
            sha256, size = decided.fetched.result()  # done: does not wait
        except Error:
            return  # raised again at its turn, after this upload
        asset = decided.asset
        if sha256 != pa.expected_sha256 or asset.sha256 not in {None, sha256}:
            return  # blocked at its turn
        if size != asset.size:
            return
        if self.journal.last("asset.signed", asset_id=pa.id, sha256=sha256) is not None:
            return  # an earlier run's saved bundle: checked and reused at its turn
        bundle_json = self._sign(pa, sha256)
        self.journal.write(self.journal.bundle_file(pa.id, pa.name), bundle_json)
        self.journal.record("asset.signed", asset_id=pa.id, sha256=sha256)
        self._signed_ahead[pa.id] = (sha256, bundle_json)
        _log.info("signed %s ahead, while the write before it waits for the budget", pa.name)
        failpoint("after-sign-ahead")

    def _evidence_unproven(
        self, planned: PlannedRelease, pa: PlannedAsset, current_assets: dict[int, Asset]
    ) -> str | None:
        """Why the evidence of an asset to sign as verified cannot be re-derived now
        (``None``: it can). GitHub's own digest is re-read with the release (drift and the
        download compare against it); a checksum file is downloaded (bounded) and parsed
        again with the planner's parser, PyPI's digests are fetched again from this run's
        index, which must be the one the plan names. An asset the plan marks unverified
        (no expected sha256, ``--allow-unverified``) has no evidence to re-derive."""
        if pa.expected_sha256 is None or pa.action == "skip":
            return None
        asset = current_assets.get(pa.id)
        digest = f"sha256:{pa.expected_sha256}"
        stated = asset is not None and (asset.digest or "").lower() == digest
        if stated and any(e.source == "github-digest" for e in pa.evidence):
            return None  # GitHub's own digest, re-read now, vouches for the bytes
        if not pa.evidence:
            return "no evidence"
        for e in pa.evidence:
            if e.source == "github-digest":
                if asset is None or asset.digest is None or asset.digest.lower() != digest:
                    return "GitHub no longer states this digest"
                continue
            found = (
                self._pypi_evidence(pa)
                if e.source == "pypi"
                else self._checksum_evidence(planned, pa, e, current_assets)
            )
            if isinstance(found, str):
                return found
            if e not in found or any(f.sha256 != pa.expected_sha256 for f in found):
                return f"{e.source} evidence ({e.detail}) is not what its source states now"
        return None

    def _pypi_evidence(self, pa: PlannedAsset) -> list[Evidence] | str:
        project = self.plan.options.pypi_project
        if project is None or self.pypi is None:
            return "pypi evidence, but this apply has no PyPI project or index to ask"
        asked = self.pypi_index_url or index_url_from_env()
        asked = redact_url(asked if asked.endswith("/") else asked + "/")
        if self._pypi_digests is None and asked != self.plan.options.pypi_index_url:
            self._pypi_digests = (
                f"the plan names PyPI index {self.plan.options.pypi_index_url!r}, this apply "
                f"asks {asked!r} (set {INDEX_URL_ENV} to the plan's index)"
            )
        if self._pypi_digests is None:
            try:
                digests = self.pypi(project, self.pypi_index_url)
            except Error as exc:
                if _fatal(exc):
                    raise
                self._pypi_digests = f"the package index cannot be read ({exc.message})"
            else:
                index = redact_url(digests.index_url)
                if index != self.plan.options.pypi_index_url:
                    self._pypi_digests = (
                        f"the plan names PyPI index {self.plan.options.pypi_index_url!r}, "
                        f"this apply asks {index!r}"
                    )
                else:
                    self._pypi_digests = digests
        if isinstance(self._pypi_digests, str):
            return self._pypi_digests
        return [Evidence("pypi", f.sha256, f.url) for f in self._pypi_digests.lookup(pa.name)]

    def _checksum_evidence(
        self,
        planned: PlannedRelease,
        pa: PlannedAsset,
        e: Evidence,
        current_assets: dict[int, Asset],
    ) -> list[Evidence] | str:
        record = next(
            (c for c in planned.checksum_files if e.detail.startswith(f"{c.name} line ")), None
        )
        if record is None:
            return f"checksum-file evidence {e.detail!r} names no checksum file of the plan"
        if record.asset_id not in self._checksum_index:
            self._checksum_index[record.asset_id] = self._parse_checksums(
                planned, record.asset_id, record.name, current_assets
            )
        index = self._checksum_index[record.asset_id]
        if isinstance(index, str):
            return index
        return index.lookup(pa.name)

    def _parse_checksums(
        self, planned: PlannedRelease, asset_id: int, name: str, current: dict[int, Asset]
    ) -> _ChecksumIndex | str:
        asset = current.get(asset_id)
        if asset is None or asset.name != name or asset.state != "uploaded":
            return f"the checksum file {name!r} (asset {asset_id}) is not on the release"
        if asset.size > MAX_CHECKSUM_FILE_SIZE:
            return f"the checksum file {name!r} is larger than {MAX_CHECKSUM_FILE_SIZE} bytes"
        try:
            ahead = self._checksums_ahead.pop(asset_id, None)  # read by the reader thread
            if isinstance(ahead, Error):
                raise ahead
            data = (
                ahead
                if ahead is not None
                else self.client.fetch_small(asset, max_bytes=MAX_CHECKSUM_FILE_SIZE)
            )
            parsed = parse_checksum_file(data, file_name=name, release_tag=planned.tag)
        except Error as exc:
            if _fatal(exc):
                raise
            return f"the checksum file {name!r} cannot be read ({exc.message})"
        index = _ChecksumIndex()
        if parsed.algorithm == "sha256":
            for entry in parsed.entries:
                index.add(entry.name, entry.sha256, f"{name} line {entry.line}")
        return index

    def _done_before(
        self, pa: PlannedAsset, asset: Asset, remote: Asset | None
    ) -> tuple[PlannedAsset, str, str] | None:
        """An upload this journal recorded, if the bundle at the destination proves it: it
        verifies against this run's pinned identity over the recorded sha256, which
        GitHub's own digest must state too (a digest only the journal or the plan states is
        never trusted: the asset is downloaded and hashed again). Its sha256 is not fresh:
        an attestation that still has to be signed downloads the asset again
        (:meth:`_rehash`)."""
        uploaded = self.journal.last("asset.uploaded", asset_id=pa.id)
        pinned = self._run_policy()
        if uploaded is None or remote is None or pinned is None:
            return None
        sha256 = uploaded.get("sha256")
        if remote.name != uploaded.get("bundle_name") or not isinstance(sha256, str):
            return None
        if pa.expected_sha256 not in {None, sha256} or asset.sha256 not in {None, sha256}:
            return None
        if asset.sha256 is None:
            # only the (untrusted) journal or plan states this digest: download and hash again
            return None
        try:
            data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
            self.verifier.verify_digest(sha256, data, pinned[0], source=repr(remote.name))
        except Error as exc:
            if _fatal(exc):
                raise
            return None
        self.report.identity = self.report.identity or pinned[1]
        return pa, sha256, remote.name

    def _ours_by_digest(
        self, pa: PlannedAsset, asset: Asset, remote: Asset | None
    ) -> tuple[tuple[PlannedAsset, str, str], Callable[[], None]] | None:
        """A bundle at the destination that makes the download needless (a repeated apply,
        or a continuation with a fresh state directory): GitHub's own digest of the asset
        equals the plan's sha256, and the bundle verifies over it against this run's pinned
        identity. Recorded like an adopted bundle; never for an asset whose plan action is
        ``replace`` (its bundle is the one to replace). Anything less: download and hash."""
        stated = asset.sha256
        pinned = self._run_policy()
        if remote is None or pinned is None or pa.action != "sign":
            return None
        if stated is None or pa.expected_sha256 is None or stated != pa.expected_sha256:
            return None
        try:
            data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
            self.verifier.verify_digest(stated, data, pinned[0], source=repr(remote.name))
        except Error as exc:
            if _fatal(exc):
                raise
            return None  # not ours, or not valid: the download decides (drift, adopt)
        self.report.identity = self.report.identity or pinned[1]
        name = remote.name

        def record() -> None:
            self.journal.write(self.journal.bundle_file(pa.id, pa.name), data)
            self._record_once(
                "asset.uploaded", asset_id=pa.id, sha256=stated, bundle_name=name, adopted=True
            )

        return (pa, stated, name), record

    def _rehash(
        self, planned: PlannedRelease, signed: list[tuple[PlannedAsset, str, str]]
    ) -> list[tuple[PlannedAsset, str, str]] | None:
        """``signed`` with every sha256 computed from bytes downloaded in this run (before
        it is attested); ``None`` when an asset's bytes no longer hash to its bundle's."""
        current = {
            a.id: a for a in self.client.get_release(self.plan.repository, planned.id).assets
        }
        out: list[tuple[PlannedAsset, str, str]] = []
        for pa, sha256, name in signed:
            asset = current.get(pa.id)
            if pa.id not in self._fresh:
                if asset is None or self._drifted(pa, asset) is not None:
                    return None
                work = self.journal.work_file(pa.id, pa.name)
                try:
                    fresh = self.client.download(asset, work)
                finally:
                    work.unlink(missing_ok=True)
                if fresh != sha256:
                    return None
                self._fresh.add(pa.id)
            out.append((pa, sha256, name))
        return out

    def _record_once(self, step: str, **fields: Any) -> None:
        """Record a step unless the journal holds exactly this one (re-runs add nothing)."""
        if self.journal.last(step, **fields) is None:
            self.journal.record(step, **fields)

    def _saved_bundle(self, pa: PlannedAsset, sha256: str, path: Path) -> bytes | None:
        """A bundle an earlier run saved for exactly these bytes, if it verifies against this
        run's pinned identity (the state directory is not trusted); ``None``: sign again."""
        if self.journal.last("asset.signed", asset_id=pa.id, sha256=sha256) is None:
            return None
        pinned = self._run_policy()
        if pinned is None or not path.exists():
            return None
        data = self.journal.read(path, max_bytes=_MAX_BUNDLE)
        try:
            self.verifier.verify_digest(sha256, data, pinned[0], source=path.name)
        except Error as exc:
            _log.warning("discarding the saved bundle %s: %s", path.name, exc.message)
            return None
        self.report.identity = self.report.identity or pinned[1]
        return data

    def _download(
        self,
        planned: PlannedRelease,
        pa: PlannedAsset,
        asset: Asset,
        fetched: Ticket[tuple[str, int]],
    ) -> str | None:
        """``asset`` downloaded and hashed in this run (``fetched``), recorded; ``None``
        when it is not the plan's."""
        work = self.journal.work_file(pa.id, pa.name)
        sha256, size = fetched.result()
        self._record_once("asset.downloaded", asset_id=pa.id, sha256=sha256)
        failpoint("after-download")
        stated = asset.sha256  # GitHub's digest now, if it states one
        mismatch = (
            (pa.expected_sha256 is not None and sha256 != pa.expected_sha256)
            or (stated is not None and sha256 != stated)
            or size != asset.size
        )
        if mismatch:
            work.unlink(missing_ok=True)
            detail = (
                f"downloaded sha256 {sha256} differs from the planned "
                f"{pa.expected_sha256 or stated}: not signed"
            )
            self.journal.record("asset.blocked", asset_id=pa.id, sha256=sha256, detail=detail)
            self.report.add(Outcome(planned.tag, pa.name, "asset", "blocked", detail))
            return None
        return sha256

    def _verified_existing(
        self,
        planned: PlannedRelease,
        current_assets: dict[int, Asset],
        existing: dict[str, Asset],
    ) -> list[tuple[PlannedAsset, str, str]]:
        """Earlier bundles (``already-signed``) that chainkit vouches for: they verify against
        this run's pinned identity over the asset's bytes, downloaded and hashed now. A bundle
        chainkit did not make or verify is never listed or attested under its identity."""
        pinned = self._run_policy()
        found: list[tuple[PlannedAsset, str, str]] = []
        if pinned is None:
            return found
        for pa in planned.assets:
            remote = existing.get(pa.bundle_name)
            asset = current_assets.get(pa.id)
            if pa.status != "already-signed" or remote is None or asset is None:
                continue
            if self._drifted(pa, asset) is not None:
                continue
            if asset.sha256 is not None and pa.expected_sha256 not in {None, asset.sha256}:
                continue
            # GitHub's own digest when it states one, else the bytes hashed now (never a
            # digest only the plan or journal states); an attestation over GitHub's digest
            # downloads and hashes the asset first (_rehash).
            work = self.journal.work_file(pa.id, pa.name)
            try:
                sha256 = asset.sha256
                if sha256 is None:
                    sha256 = self.client.download(asset, work)
                    self._fresh.add(pa.id)
                    if pa.expected_sha256 not in {None, sha256}:
                        _log.info("not listing %s: the asset's bytes changed", remote.name)
                        continue
                data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
                self.verifier.verify_digest(sha256, data, pinned[0], source=repr(remote.name))
            except Error as exc:
                if _fatal(exc):
                    raise
                _log.info("not listing %s: %s", remote.name, exc.message)
                continue
            finally:
                work.unlink(missing_ok=True)
            self.report.identity = self.report.identity or pinned[1]
            found.append((pa, sha256, remote.name))
        return found

    def _sign(self, pa: PlannedAsset, sha256: str) -> bytes:
        bundle = self.signer.sign_digest(sha256)
        bundle_json = bundle.to_json().encode()
        policy, identity = self._self_check(bundle_json)
        self.verifier.verify_digest(sha256, bundle_json, policy)  # never upload unverified
        self.report.identity = self.report.identity or identity
        return bundle_json

    def _adopt(
        self, planned: PlannedRelease, pa: PlannedAsset, remote: Asset, sha256: str
    ) -> tuple[PlannedAsset, str, str] | None:
        """A bundle appeared at the destination: ours from an earlier run, or foreign.

        Ours (same issuer and workflow identity as this run's token, valid over the
        asset's checked bytes) is adopted without signing again; anything else is
        reported as drift and left alone.
        """
        self.journal.work_file(pa.id, pa.name).unlink(missing_ok=True)
        data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
        try:
            pinned = self._run_policy()
            if pinned is None:
                raise BackfillUsageError("this run's identity cannot be pinned to compare")
            policy, identity = pinned
            self.verifier.verify_digest(sha256, data, policy, source=repr(remote.name))
        except Error as exc:
            self.report.add(
                Outcome(
                    planned.tag,
                    pa.name,
                    "asset",
                    "drift",
                    f"a bundle {remote.name!r} appeared since the plan ({exc.message}); left as is",
                )
            )
            return None
        self.journal.write(self.journal.bundle_file(pa.id, pa.name), data)
        self.journal.record(
            "asset.uploaded", asset_id=pa.id, sha256=sha256, bundle_name=remote.name, adopted=True
        )
        self.report.identity = self.report.identity or identity
        self.report.add(
            Outcome(planned.tag, pa.name, "asset", "done", "found our valid bundle", remote.name)
        )
        return pa, sha256, remote.name

    def _run_policy(self) -> tuple[IdentityPolicy, CertificateFacts] | None:
        """Who this run signs as, pinned from its identity token: issuer, workflow identity
        (the certificate's SAN) and source repository. ``None`` for tokens that are not
        GitHub Actions tokens (nothing is then adopted)."""
        issuer = self.claims.get("iss")
        workflow = self.claims.get("job_workflow_ref")
        repository = self.claims.get("repository")
        if issuer != GITHUB_ISSUER or not isinstance(workflow, str) or not workflow:
            return None
        if not isinstance(repository, str) or not repository:
            return None
        facts = CertificateFacts(
            identity=_GITHUB + workflow,
            issuer=GITHUB_ISSUER,
            source_repository_uri=_GITHUB + repository,
        )
        return IdentityPolicy.pinning(facts), facts

    def _self_check(self, bundle_json: bytes) -> tuple[IdentityPolicy, CertificateFacts]:
        """The policy a bundle made by this run must satisfy (run-pinned when possible)."""
        pinned = self._run_policy()
        if pinned is not None:
            return pinned
        policy, identity = _policy_of_bundle(bundle_json)
        if policy.issuer != self.claims.get("iss"):
            raise BackfillUsageError(
                f"the certificate's issuer {policy.issuer!r} is not the identity token's"
            )
        return policy, identity

    def _upload(
        self,
        planned: PlannedRelease,
        pa: PlannedAsset,
        dest: Release,
        existing: dict[str, Asset],
        data: bytes,
        *,
        replace: bool,
        sha256: str,
    ) -> str | None:
        if replace and pa.existing_bundle_id is not None:
            old = next((a for a in dest.assets if a.id == pa.existing_bundle_id), None)
            if old is not None and old.name != pa.bundle_name:
                # only ever delete the invalid bundle the plan names, never another asset
                self.report.add(
                    Outcome(
                        planned.tag,
                        pa.name,
                        "asset",
                        "conflict",
                        f"the plan would replace asset {old.name!r}, which is not "
                        f"{pa.bundle_name!r}; nothing deleted",
                    )
                )
                return None
            if old is not None and not self.journal.last("asset.replaced", asset_id=pa.id):
                if self._still_valid(old, sha256):
                    self.report.add(
                        Outcome(
                            planned.tag,
                            pa.name,
                            "asset",
                            "conflict",
                            f"the plan would replace {old.name!r}, but it verifies over the "
                            "asset's bytes downloaded now; nothing deleted",
                        )
                    )
                    return None
                self.client.delete_asset(old)
                self.journal.record("asset.replaced", asset_id=pa.id, deleted=old.id)
                existing.pop(old.name, None)
        try:
            stored = self.client.upload_bytes(
                dest, io.BytesIO(data), len(data), name=pa.bundle_name, content_type=_BUNDLE_TYPE
            )
        except AssetExistsError:
            return self._existing_matches(planned, pa.name, dest, pa.bundle_name, data)
        except ImmutableReleaseError as exc:
            self.report.add(Outcome(planned.tag, pa.name, "asset", "drift", exc.message))
            return None
        existing[stored.name] = stored
        if stored.name != pa.bundle_name:
            _log.warning("GitHub stored %r as %r", pa.bundle_name, stored.name)
        return stored.name

    def _still_valid(self, bundle: Asset, sha256: str) -> bool:
        """Whether an existing bundle verifies over ``sha256`` (hashed in this run), held to
        the identity in its own certificate: ``--verify-existing``'s rule. Only a bundle
        that does not verify at all may be replaced."""
        data = self.client.fetch_small(bundle, max_bytes=_MAX_BUNDLE)
        try:
            self.verifier.verify_as_its_signer(sha256, data, source=repr(bundle.name))
        except Error as exc:
            if _fatal(exc):
                raise
            _log.info("%s does not verify (%s): replacing it", bundle.name, exc.message)
            return False
        return True

    def _existing_matches(
        self, planned: PlannedRelease, item: str, dest: Release, name: str, data: bytes
    ) -> str | None:
        """``already_exists``: success if the stored bytes are ours, else a conflict."""
        fresh = self.client.get_release(self.plan.repository, dest.id)
        remote = next((a for a in fresh.assets if a.name == name), None)
        if remote is not None and self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE) == data:
            return remote.name
        self.report.add(
            Outcome(
                planned.tag,
                item,
                "asset",
                "conflict",
                f"{name!r} already exists with different content; not overwritten "
                "(plan with --verify-existing to replace invalid bundles)",
            )
        )
        return None

    # -- attestation ------------------------------------------------------------------
    def _attestation(
        self,
        planned: PlannedRelease,
        signed: list[tuple[PlannedAsset, str, str]],
        dest: Release,
        existing: dict[str, Asset],
    ) -> str | None:
        """Sign (or recognise) and upload the release's attestation; its stored name."""
        name = planned.attestation.name
        remote = without_starter(self.client, existing, name)
        if remote is not None:
            stored_name = self._adopt_attestation(planned, remote, signed)
            if stored_name is not None:
                if not self.journal.last("attestation.uploaded", release_id=planned.id):
                    self.journal.record(
                        "attestation.uploaded",
                        release_id=planned.id,
                        name=stored_name,
                        adopted=True,
                    )
                self.report.add(
                    Outcome(planned.tag, name, "attestation", "done", bundle=stored_name)
                )
                return stored_name
            self.report.add(
                Outcome(
                    planned.tag, name, "attestation", "conflict",
                    f"{remote.name!r} already exists and is not our attestation of these "
                    "assets; not signed, not overwritten",
                )
            )  # fmt: skip
            return None
        rehashed = self._rehash(planned, signed)
        if rehashed is None:
            self.report.add(
                Outcome(
                    planned.tag, name, "attestation", "drift",
                    "an asset's bytes no longer match its bundle; not attested (plan again)",
                )
            )  # fmt: skip
            return None
        signed = rehashed
        path = self.journal.attestation_file(planned.id)
        data = self._saved_attestation(path, signed)
        if data is None:
            statement = build_statement(
                repository=self.plan.repository,
                release=planned,
                signed={pa.id: sha256 for pa, sha256, _ in signed},
                backfilled_at=self.now(),
                plan_digest=self.plan.plan_digest,
                workflow_run=WorkflowRun.from_env(),
            )
            bundle = self.signer.sign_statement(statement_bytes(statement))
            data = bundle.to_json().encode()
            policy, _ = self._self_check(data)
            self.verifier.verify_statement(data, policy, source="the signed attestation")
            self.journal.write(path, data)
            self.journal.record("attestation.signed", release_id=planned.id)
        try:
            stored = self.client.upload_bytes(
                dest, io.BytesIO(data), len(data), name=name, content_type=_BUNDLE_TYPE
            )
            stored_name = stored.name
        except AssetExistsError:
            matched = self._existing_matches(planned, name, dest, name, data)
            if matched is None:
                return None
            stored_name = matched
        self._record_once("attestation.uploaded", release_id=planned.id, name=stored_name)
        self.report.add(Outcome(planned.tag, name, "attestation", "signed", bundle=stored_name))
        return stored_name

    def _ours(self, data: bytes, signed: list[tuple[PlannedAsset, str, str]], source: str) -> bool:
        """Whether ``data`` is a backfill attestation by this run's pinned identity over
        exactly the assets and sha256s of ``signed`` (computed in this run)."""
        pinned = self._run_policy()
        if pinned is None:
            return False
        try:
            payload, _ = self.verifier.verify_statement(data, pinned[0], source=source)
            statement = parse_statement(payload, source=source)
        except Error:
            return False
        if statement.predicate_type != PREDICATE_TYPE:
            return False
        wanted = sorted((pa.name, sha256) for pa, sha256, _ in signed)
        if sorted((s.name, s.sha256) for s in statement.subjects) != wanted:
            return False
        self.report.identity = self.report.identity or pinned[1]
        return True

    def _latest_attestation(self, planned: PlannedRelease, dest: Release) -> str | None:
        """The newest earlier backfill attestation of ``planned`` at its destination that is
        ours (this run's pinned identity, the backfill predicate), to link from the notes."""
        pinned = self._run_policy()
        if pinned is None:
            return None
        prefix = bundle_release_prefix(planned.tag) if dest.id != planned.id else ATTESTATION_MARKER
        candidates = sorted(
            (a for a in dest.assets if is_attestation_name(a.name) and a.name.startswith(prefix)),
            key=lambda a: a.name,
            reverse=True,
        )
        for remote in candidates:
            try:
                data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
                payload, _ = self.verifier.verify_statement(data, pinned[0], source=remote.name)
                if parse_statement(payload, source=remote.name).predicate_type == PREDICATE_TYPE:
                    return remote.name
            except Error as exc:
                if _fatal(exc):
                    raise
        return None

    def _saved_attestation(
        self, path: Path, signed: list[tuple[PlannedAsset, str, str]]
    ) -> bytes | None:
        """An attestation an earlier run saved, only if it is ours over exactly ``signed``
        (the state directory is not trusted); ``None``: sign again."""
        if not path.exists():
            return None
        data = self.journal.read(path, max_bytes=_MAX_BUNDLE)
        if self._ours(data, signed, path.name):
            return data
        _log.warning("discarding the saved attestation %s: not ours over these assets", path.name)
        return None

    def _adopt_attestation(
        self, planned: PlannedRelease, remote: Asset, signed: list[tuple[PlannedAsset, str, str]]
    ) -> str | None:
        """An attestation of this name exists: ours over exactly these subjects, or not.

        Ours (this run's identity, valid, and attesting exactly the assets and sha256s
        hashed now) is adopted without signing again, e.g. after a lost state directory;
        anything else is reported as a conflict. Without a pinnable identity (a token that
        is not GitHub Actions') only this journal's own upload is recognised.
        """
        if self._run_policy() is None:
            uploaded = self.journal.last("attestation.uploaded", release_id=planned.id)
            return remote.name if uploaded is not None else None
        data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
        return remote.name if self._ours(data, signed, repr(remote.name)) else None

    # -- notes ------------------------------------------------------------------------
    def _notes(
        self,
        planned: PlannedRelease,
        signed: list[tuple[PlannedAsset, str, str]],
        dest: Release,
        attestation_name: str | None,
    ) -> None:
        pinned = self._run_policy()
        identity = pinned[1] if pinned is not None else self.report.identity
        if identity is None:  # never read from the (untrusted) state directory
            self.report.add(
                Outcome(planned.tag, "release notes", "notes", "skipped", "no signer identity")
            )
            return
        current = self.client.get_release(self.plan.repository, planned.id)
        if planned.body_outside_sha256 is None or (
            outside_digest(current.body) != planned.body_outside_sha256
        ):
            self.report.add(
                Outcome(
                    planned.tag,
                    "release notes",
                    "notes",
                    "drift",
                    "the release notes changed since the plan; not edited (plan again)",
                )
            )
            return
        # ``signed``: this run's bundles and earlier ones verified against this run's
        # identity (already-signed in the plan), so a later backfill extends the list; a
        # bundle chainkit did not make or verify is never listed under its identity.
        listed = {pa.name: bundle for pa, _, bundle in signed}
        if self.plan.options.home == "attestations":
            section = render_api_section(
                repository=self.plan.repository,
                tag=planned.tag,
                assets=[pa.name for pa in planned.assets if pa.name in listed],
                identity=identity,
                max_chars=section_budget(current.body),
            )
        else:
            section = render_section(
                api=self.plan.options.home == "both",
                repository=self.plan.repository,
                tag=planned.tag,
                bundles=[
                    NotesBundle(
                        pa.name,
                        listed[pa.name],
                        download_url(dest.html_url, dest.tag, listed[pa.name]),
                    )
                    for pa in planned.assets
                    if pa.name in listed
                ],
                identity=identity,
                attestation=None
                if attestation_name is None
                else NotesBundle(
                    planned.tag,
                    attestation_name,
                    download_url(dest.html_url, dest.tag, attestation_name),
                ),
                max_chars=section_budget(current.body),
                bundle_release=dest.tag if dest.id != planned.id else None,
            )
        body = upsert_section(current.body, section)
        if body == current.body:
            self.report.add(Outcome(planned.tag, "release notes", "notes", "done", "up to date"))
        else:
            self.client.update_body(current, body)
            self.report.add(Outcome(planned.tag, "release notes", "notes", "signed", "updated"))
        self._record_once("notes.updated", release_id=planned.id)


def apply_plan(
    plan: Plan,
    *,
    client: GitHubClient,
    signer: KeylessSigner,
    verifier: BundleVerifier,
    journal: Journal,
    identity_token: str | None = None,
    now: Callable[[], datetime] | None = None,
    listener: Callable[[Outcome], None] | None = None,
    pypi: Callable[[str, str | None], PyPIDigests] | None = None,
    pypi_index_url: str | None = None,
    limits: RunLimits | None = None,
    prefetch: bool = True,
) -> ApplyReport:
    """Execute ``plan`` (already checked and approved) and report what happened.

    ``limits`` (``--max-writes``, ``--deadline``) stop the run between releases.
    ``prefetch``: download the next asset of a release while the main thread writes
    (``False``: one step after another, ``--no-prefetch``).

    ``listener`` sees every outcome as it happens (the CLI drives a progress bar).
    ``pypi`` re-fetches the digests of ``plan.options.pypi_project`` from
    ``pypi_index_url`` (``None``: the default index) to re-derive PyPI evidence.
    """
    claims = token_claims(identity_token) if identity_token else {}
    applier = _Applier(
        plan,
        client=client,
        signer=signer,
        verifier=verifier,
        journal=journal,
        token_claims=claims,
        now=now or (lambda: datetime.now(timezone.utc)),
        pypi=pypi,
        pypi_index_url=pypi_index_url,
        limits=limits,
        prefetch=prefetch,
    )
    applier.report.listener = listener
    return applier.run()


def _checksum_files_needed(
    planned: PlannedRelease, current_assets: Mapping[int, Asset]
) -> list[ChecksumFileRecord]:
    """The checksum files :meth:`_Applier._evidence_unproven` would download for
    ``planned`` as listed now (the reader thread reads them ahead): those named by the
    evidence of an asset to attest that GitHub's own digest does not vouch for."""
    needed: dict[int, ChecksumFileRecord] = {}
    for pa in planned.to_sign:
        if pa.expected_sha256 is None or pa.action == "skip":
            continue
        asset = current_assets.get(pa.id)
        stated = (
            asset is not None and (asset.digest or "").lower() == f"sha256:{pa.expected_sha256}"
        )
        if stated and any(e.source == "github-digest" for e in pa.evidence):
            continue
        for e in pa.evidence:
            if e.source in ("github-digest", "pypi"):
                continue
            for c in planned.checksum_files:
                if e.detail.startswith(f"{c.name} line "):
                    needed.setdefault(c.asset_id, c)
                    break
    return list(needed.values())
