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

Every completed step goes to the :class:`~chainkit.backfill._journal.Journal` first,
so a re-run after a kill finishes the work without signing twice or uploading twice.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import chainkit._internal.markdown as md
from chainkit.attestation import PREDICATE_TYPE, WorkflowRun, parse_statement, statement_bytes
from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._journal import Journal
from chainkit.backfill._notes import (
    NotesBundle,
    download_url,
    outside_digest,
    render_section,
    section_budget,
    upsert_section,
)
from chainkit.backfill._plan import Plan, PlannedAsset, PlannedRelease
from chainkit.backfill._predicate import build_statement
from chainkit.errors import Error, ServiceError
from chainkit.github import (
    Asset,
    AssetExistsError,
    GitHubClient,
    GitHubError,
    ImmutableReleaseError,
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
        }

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
        return "\n".join(lines) + "\n"


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
    ) -> None:
        self.plan = plan
        self.client = client
        self.signer = signer
        self.verifier = verifier
        self.journal = journal
        self.claims = token_claims
        self.now = now
        self.report = ApplyReport(plan_digest=plan.plan_digest, repository=plan.repository)
        self._bundle_home: Release | None = None

    # -- destinations -----------------------------------------------------------------
    def _home(self) -> Release:
        """The bundle release (for immutable releases), created once if the plan says so."""
        if self._bundle_home is not None:
            return self._bundle_home
        home = self.plan.bundle_release
        if home is None:
            raise BackfillUsageError("the plan sends bundles to a bundle release it does not name")
        created = self.journal.last("bundle-release.created")
        if home.id is not None or created is not None:
            release_id = home.id if home.id is not None else int(created["release_id"])  # type: ignore[index]
            self._bundle_home = self.client.get_release(self.plan.repository, release_id)
        else:
            self._bundle_home = self.client.create_release(
                self.plan.repository,
                tag=home.tag,
                name="Sigstore bundles (backfill)",
                body="Sigstore bundles for releases that are immutable and cannot take new "
                "assets. Each bundle is named `<tag>--<asset>.sigstore.json`.",
            )
            self.journal.record("bundle-release.created", release_id=self._bundle_home.id)
        return self._bundle_home

    # -- the run ----------------------------------------------------------------------
    def run(self) -> ApplyReport:
        if not self.plan.is_empty and self.client.can_write(self.plan.repository) is False:
            # Checked before anything is signed: a transparency-log entry is forever.
            raise BackfillUsageError(
                f"the token cannot write to {self.plan.repository}: nothing was signed",
                remediation="use a token with contents: write (in Actions: "
                "`permissions: contents: write`)",
            )
        for planned in self.plan.releases:
            if not planned.to_sign and planned.notes.action == "skip":
                continue
            try:
                self._release(planned)
            except Error as exc:
                if _fatal(exc):
                    raise  # stop: the journal lets a re-run resume
                self.report.add(Outcome(planned.tag, planned.tag, "notes", "failed", exc.message))
        self.report.certificates = self.signer.certificates
        return self.report

    def _release(self, planned: PlannedRelease) -> None:
        current = self.client.get_release(self.plan.repository, planned.id)
        to_bundle_home = planned.destination.kind == "bundle-release"
        if current.immutable and not to_bundle_home:
            for asset in planned.to_sign:
                self.report.add(
                    Outcome(
                        planned.tag,
                        asset.name,
                        "asset",
                        "drift",
                        "the release became immutable after the plan; plan again "
                        "with --bundle-release",
                    )
                )
            return
        dest = self._home() if to_bundle_home else current
        existing = {a.name: a for a in dest.assets}
        current_assets = {a.id: a for a in current.assets}
        signed: list[tuple[PlannedAsset, str, str]] = []  # (asset, sha256, bundle name)
        for planned_asset in planned.assets:
            if planned_asset.action == "skip":
                continue
            try:
                result = self._asset(planned, planned_asset, current_assets, dest, existing)
            except Error as exc:
                if _fatal(exc):
                    raise
                self.report.add(
                    Outcome(planned.tag, planned_asset.name, "asset", "failed", exc.message)
                )
                continue
            if result is not None:
                signed.append(result)
        if signed and planned.attestation.action == "sign":
            self._attestation(planned, signed, dest, existing)
        if planned.notes.action == "update" and signed:
            failpoint("before-notes")
            self._notes(planned, signed, dest)

    # -- one asset --------------------------------------------------------------------
    def _asset(
        self,
        planned: PlannedRelease,
        pa: PlannedAsset,
        current_assets: dict[int, Asset],
        dest: Release,
        existing: dict[str, Asset],
    ) -> tuple[PlannedAsset, str, str] | None:
        refused = self.journal.last("asset.blocked", asset_id=pa.id)
        if refused is not None:  # decided in an earlier run: do not download again
            self.report.add(Outcome(planned.tag, pa.name, "asset", "blocked", refused["detail"]))
            return None
        uploaded = self.journal.last("asset.uploaded", asset_id=pa.id)
        if uploaded is not None:
            self.report.add(Outcome(planned.tag, pa.name, "asset", "done", bundle=pa.bundle_name))
            return pa, str(uploaded["sha256"]), str(uploaded["bundle_name"])
        asset = current_assets.get(pa.id)
        if asset is None or asset.name != pa.name:
            self.report.add(
                Outcome(planned.tag, pa.name, "asset", "drift", "the asset is gone or renamed")
            )
            return None
        if asset.size != pa.size or (pa.digest and asset.digest and asset.digest != pa.digest):
            self.report.add(
                Outcome(planned.tag, pa.name, "asset", "drift", "the asset changed since the plan")
            )
            return None
        bundle_file = self.journal.bundle_file(pa.id, pa.name)
        signed_event = self.journal.last("asset.signed", asset_id=pa.id)
        if signed_event is not None and bundle_file.exists():
            # A bundle saved by an earlier run: the state directory is not trusted, so it is
            # checked again (planned digest, run identity, signature) before it is uploaded.
            sha256 = str(signed_event["sha256"])
            bundle_json = self.journal.read(bundle_file, max_bytes=_MAX_BUNDLE)
            if pa.expected_sha256 is not None and sha256 != pa.expected_sha256:
                raise BackfillUsageError(
                    f"the journal's sha256 for {pa.name!r} is not the planned one",
                    remediation="delete the state directory and re-run",
                )
            self.verifier.verify_digest(
                sha256, bundle_json, self._self_check(bundle_json)[0], source=bundle_file.name
            )
        else:
            remote = existing.get(pa.bundle_name)
            downloaded = self._download(planned, pa, asset)
            if downloaded is None:
                return None
            sha256 = downloaded
            if remote is not None and pa.action == "sign":
                return self._adopt(planned, pa, remote, sha256)
            bundle_json = self._sign(pa, sha256)
            self.journal.write(bundle_file, bundle_json)
            self.journal.record("asset.signed", asset_id=pa.id, sha256=sha256)
            self.journal.work_file(pa.id, pa.name).unlink(missing_ok=True)
            failpoint("after-sign")
        stored = self._upload(
            planned, pa, dest, existing, bundle_json, replace=pa.action == "replace"
        )
        if stored is None:
            return None
        self.journal.record("asset.uploaded", asset_id=pa.id, sha256=sha256, bundle_name=stored)
        failpoint("after-upload")
        self.report.add(Outcome(planned.tag, pa.name, "asset", "signed", bundle=stored))
        return pa, sha256, stored

    def _download(self, planned: PlannedRelease, pa: PlannedAsset, asset: Asset) -> str | None:
        done = self.journal.last("asset.downloaded", asset_id=pa.id)
        work = self.journal.work_file(pa.id, pa.name)
        if done is not None and work.exists():
            sha256 = str(done["sha256"])
        else:
            sha256 = self.client.download(asset, work)
            self.journal.record("asset.downloaded", asset_id=pa.id, sha256=sha256)
            failpoint("after-download")
        stated = asset.sha256  # GitHub's digest now, if it states one
        mismatch = (
            (pa.expected_sha256 is not None and sha256 != pa.expected_sha256)
            or (stated is not None and sha256 != stated)
            or (work.exists() and work.stat().st_size != asset.size)
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
    ) -> None:
        name = planned.attestation.name
        if self.journal.last("attestation.uploaded", release_id=planned.id):
            self.report.add(Outcome(planned.tag, name, "attestation", "done", bundle=name))
            return
        path = self.journal.attestation_file(planned.id)
        signed_before = self.journal.last("attestation.signed", release_id=planned.id)
        remote = existing.get(name)
        if remote is not None and (signed_before is None or not path.exists()):
            stored_name = self._adopt_attestation(remote, signed)
            if stored_name is not None:
                self.journal.record(
                    "attestation.uploaded", release_id=planned.id, name=stored_name, adopted=True
                )
                self.report.add(
                    Outcome(
                        planned.tag, name, "attestation", "done", "found our valid attestation",
                        stored_name,
                    )
                )  # fmt: skip
                return
            self.report.add(
                Outcome(
                    planned.tag, name, "attestation", "conflict",
                    f"{remote.name!r} already exists and is not our attestation of these "
                    "assets; not signed, not overwritten",
                )
            )  # fmt: skip
            return
        if signed_before is None or not path.exists():
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
        data = self.journal.read(path, max_bytes=_MAX_BUNDLE)
        try:
            stored = self.client.upload_bytes(
                dest, io.BytesIO(data), len(data), name=name, content_type=_BUNDLE_TYPE
            )
            stored_name = stored.name
        except AssetExistsError:
            matched = self._existing_matches(planned, name, dest, name, data)
            if matched is None:
                return
            stored_name = matched
        self.journal.record("attestation.uploaded", release_id=planned.id, name=stored_name)
        self.report.add(Outcome(planned.tag, name, "attestation", "signed", bundle=stored_name))

    def _adopt_attestation(
        self, remote: Asset, signed: list[tuple[PlannedAsset, str, str]]
    ) -> str | None:
        """An attestation of this name exists: ours over exactly these subjects, or not.

        Ours (this run's identity, valid, and attesting exactly the assets and sha256s
        signed now) is adopted without signing again, e.g. after a lost state directory;
        anything else is left to the upload, which reports the conflict.
        """
        pinned = self._run_policy()
        if pinned is None:
            return None
        policy, identity = pinned
        try:
            data = self.client.fetch_small(remote, max_bytes=_MAX_BUNDLE)
            payload, _ = self.verifier.verify_statement(data, policy, source=repr(remote.name))
            statement = parse_statement(payload, source=remote.name)
        except Error:
            return None
        if statement.predicate_type != PREDICATE_TYPE:
            return None
        wanted = sorted((pa.name, sha256) for pa, sha256, _ in signed)
        found = sorted((s.name, s.sha256) for s in statement.subjects)
        if found != wanted:
            return None
        self.report.identity = self.report.identity or identity
        return remote.name

    # -- notes ------------------------------------------------------------------------
    def _notes(
        self, planned: PlannedRelease, signed: list[tuple[PlannedAsset, str, str]], dest: Release
    ) -> None:
        if self.journal.last("notes.updated", release_id=planned.id):
            self.report.add(Outcome(planned.tag, "release notes", "notes", "done"))
            return
        pinned = self._run_policy()
        identity = pinned[1] if pinned is not None else self.report.identity
        if identity is None:
            bundle_path = self.journal.bundle_file(signed[0][0].id, signed[0][0].name)
            if bundle_path.exists():
                _, identity = _policy_of_bundle(
                    self.journal.read(bundle_path, max_bytes=_MAX_BUNDLE)
                )
        if identity is None:
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
        attestation_name = (
            planned.attestation.name if planned.attestation.action == "sign" else None
        )
        # The section lists every bundle of the release, not only this run's: assets
        # signed by an earlier backfill (already-signed in the plan) stay listed.
        listed = {pa.name: bundle for pa, _, bundle in signed}
        present = {a.name for a in dest.assets}
        for pa in planned.assets:
            if pa.status == "already-signed" and pa.bundle_name in present:
                listed.setdefault(pa.name, pa.bundle_name)
        section = render_section(
            repository=self.plan.repository,
            tag=planned.tag,
            bundles=[
                NotesBundle(
                    pa.name, listed[pa.name], download_url(dest.html_url, dest.tag, listed[pa.name])
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
        )
        body = upsert_section(current.body, section)
        if body == current.body:
            self.report.add(Outcome(planned.tag, "release notes", "notes", "done", "up to date"))
        else:
            self.client.update_body(current, body)
            self.report.add(Outcome(planned.tag, "release notes", "notes", "signed", "updated"))
        self.journal.record("notes.updated", release_id=planned.id)


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
) -> ApplyReport:
    """Execute ``plan`` (already checked and approved) and report what happened.

    ``listener`` sees every outcome as it happens (the CLI drives a progress bar).
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
    )
    applier.report.listener = listener
    return applier.run()
