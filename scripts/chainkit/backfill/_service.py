"""The backfill boundary's entry points: plan and apply, with every client injected.

:func:`plan_backfill` reads releases (and PyPI, when asked) and returns a sealed
:class:`~chainkit.backfill._plan.Plan`; :func:`run_apply` is the only way to execute
one: it holds the whole gate (repository and API, the approved digest, the identity
token's expiry, the approval) before anything is signed, then runs the plan with its
journal. Clients are keyword-only arguments; :func:`pypi_fetcher` builds the
real PyPI one (a :class:`chainkit.github.GitHubClient` is a :class:`ReleaseSource`);
tests pass fakes.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chainkit.backfill._approval import require_approval
from chainkit.backfill._budgeted import RunLimits
from chainkit.backfill._checksums import MAX_CHECKSUM_FILE_SIZE
from chainkit.backfill._filters import Filters
from chainkit.backfill._plan import Home, Plan, PlanOptions
from chainkit.backfill._planfile import check_plan_for
from chainkit.backfill._planner import ExistingBundleVerifier, build_plan
from chainkit.backfill._pypi import PyPIDigests, fetch_pypi_digests, redact_url

if TYPE_CHECKING:
    from sigstore.models import ClientTrustConfig

    from chainkit.backfill._apply import ApplyReport, Outcome
    from chainkit.github import Asset, GitHubClient, Release
    from chainkit.signing import BundleVerifier, KeylessSigner

__all__ = [
    "ApplyRequest",
    "ApplyResult",
    "PlanRequest",
    "PyPIFetcher",
    "ReleaseSource",
    "plan_backfill",
    "pypi_fetcher",
    "run_apply",
]

_log = logging.getLogger("chainkit.backfill")


class ReleaseSource(Protocol):
    """What planning reads from GitHub (:class:`chainkit.github.GitHubClient` is one)."""

    def iter_releases(self, repository: str) -> Iterator[Release]: ...

    def get_release_by_tag(self, repository: str, tag: str) -> Release: ...

    def tag_commits(self, repository: str) -> dict[str, str]: ...

    def fetch_small(self, asset: Asset, *, max_bytes: int) -> bytes: ...


PyPIFetcher = Callable[[str, str | None], PyPIDigests]
"""``(project, index_url or None for the default) -> digests``: one index request."""


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: the repository, the selection and the options that change decisions."""

    repository: str
    api_url: str
    filters: Filters = field(default_factory=Filters)
    allow_unverified: bool = False
    verify_existing: bool = False
    bundle_release: str | None = None
    """Tag of the release that takes the bundles of immutable releases."""
    pypi_project: str | None = None
    pypi_index_url: str | None = None
    """As given (it may carry credentials); the plan records it without them."""
    home: Home = "release-assets"
    """Where apply publishes: bundles on the release, the attestations API, or both."""


def pypi_fetcher() -> PyPIFetcher:
    """The real PyPI fetcher: the JSON Simple API over HTTPS (one session per call)."""

    def fetch(project: str, index_url: str | None) -> PyPIDigests:
        import requests

        with requests.Session() as session:
            return fetch_pypi_digests(project, session=session, index_url=index_url)

    return fetch


def plan_backfill(
    request: PlanRequest,
    *,
    client: ReleaseSource,
    pypi: PyPIFetcher | None = None,
    verify_existing: ExistingBundleVerifier | None = None,
    now: datetime | None = None,
) -> Plan:
    """Make the sealed, read-only plan for ``request``.

    Downloads only checksum files (at most ``MAX_CHECKSUM_FILE_SIZE`` bytes each) and,
    with ``request.pypi_project``, one index answer through ``pypi`` (required then).
    ``verify_existing`` checks existing bundles; it is required exactly when
    ``request.verify_existing`` is set. The tags are listed once (their commits are
    recorded, so apply sees a moved tag). Nothing is written anywhere.
    """
    from chainkit.github import NotFoundError

    index_url: str | None = None
    digests: PyPIDigests | None = None
    if request.pypi_project:
        if pypi is None:
            raise ValueError("request.pypi_project needs a pypi fetcher")
        digests = pypi(request.pypi_project, request.pypi_index_url)
        index_url = redact_url(digests.index_url)
    options = PlanOptions(
        allow_unverified=request.allow_unverified,
        verify_existing=request.verify_existing,
        bundle_release=request.bundle_release,
        pypi_project=request.pypi_project,
        pypi_index_url=index_url,
        home=request.home,
    )
    bundle_home = None
    if request.bundle_release:
        try:
            bundle_home = client.get_release_by_tag(request.repository, request.bundle_release)
        except NotFoundError:
            bundle_home = None
    releases = client.iter_releases(request.repository)
    return build_plan(
        releases,
        repository=request.repository,
        api_url=request.api_url,
        filters=request.filters,
        options=options,
        fetch_small=lambda asset: client.fetch_small(asset, max_bytes=MAX_CHECKSUM_FILE_SIZE),
        pypi=digests,
        verify_existing=verify_existing,
        now=now or datetime.now(timezone.utc),
        bundle_home=bundle_home,
        tag_commits=client.tag_commits(request.repository),
    )


@dataclass(frozen=True)
class ApplyRequest:
    """What to apply, and the facts the approval gate decides on."""

    plan: Plan
    """As :func:`~chainkit.backfill.load_plan` read it (strictly, digest checked)."""
    state_dir: Path
    api_url: str
    """The API the client talks to (the plan must have been made against it)."""
    repository: str | None = None
    """Default: the plan's."""
    expect_digest: str | None = None
    """The digest the approver saw; required when ``in_actions``."""
    in_actions: bool = field(
        default_factory=lambda: os.environ.get("GITHUB_ACTIONS", "").lower() == "true"
    )
    """Default: whether ``GITHUB_ACTIONS`` says so, so that a library caller inside Actions
    cannot skip the environment-reviewer check with ``yes``."""
    yes: bool = False
    """Outside Actions: do not ask for confirmation."""
    allow_unprotected: bool = False
    """In Actions: apply even without an environment with required reviewers."""
    interactive: bool = False
    """Whether ``confirm`` can ask someone (stdin is a terminal)."""
    limits: RunLimits = field(default_factory=RunLimits)
    """When to stop between releases (``--max-writes``, ``--deadline``); none by default."""
    pypi_index_url: str | None = None
    """The index PyPI evidence is re-derived from (``None``: ``CHAINKIT_PYPI_INDEX_URL`` or
    PyPI); it must be the index the plan names, never one the plan chooses."""
    prefetch: bool = True
    """Download the next asset of a release while a write waits (``--no-prefetch``)."""


@dataclass(frozen=True)
class ApplyResult:
    report: ApplyReport
    approval: str
    """How the apply was approved (environment and reviewers, or a confirmation)."""


def run_apply(
    request: ApplyRequest,
    *,
    client: GitHubClient,
    trust_config: ClientTrustConfig,
    token_provider: Callable[[], str],
    confirm: Callable[[], bool],
    progress: Callable[[], AbstractContextManager[Callable[[Outcome], None] | None]] | None = None,
    pypi: PyPIFetcher | None = None,
) -> ApplyResult:
    """Check that ``request.plan`` may run here and is approved, then execute it.

    The gate, in order, before anything is signed: the repository name is valid;
    in Actions the approved digest is required; the plan is for this repository and
    API and has that digest (:func:`check_plan_for`); the identity token (the first
    ``token_provider()`` answer, unless the plan is empty) is unexpired; the apply is
    approved (:func:`require_approval`: a protected environment in Actions, ``confirm``
    or ``yes`` elsewhere). Then the plan is executed with its journal under
    ``request.state_dir``: re-running it after an interruption finishes the work without
    signing or uploading twice. ``pypi`` (default :func:`pypi_fetcher`) re-fetches PyPI
    evidence from ``request.pypi_index_url``. ``progress``, entered once approved (never around the
    confirmation), yields a listener that sees every outcome. Raises
    :class:`~chainkit.backfill.PlanError` or another exit-2 error when the gate refuses.
    """
    from chainkit._internal.ghenv import parse_repository
    from chainkit.errors import UsageError
    from chainkit.signing import BundleVerifier, KeylessSigner, require_unexpired, token_claims

    plan = request.plan
    repository = request.repository or plan.repository
    parse_repository(repository)
    if request.in_actions and request.expect_digest is None:
        raise UsageError(
            "--expect-digest is required in GitHub Actions",
            remediation="pass the plan_digest printed by the plan job and shown to the approver",
        )
    check_plan_for(plan, repository, request.expect_digest, api_url=request.api_url)
    if plan.is_empty:
        _log.info("the plan has nothing to do")
    # in Actions the token is fetched even for an empty plan: its `environment` claim is what
    # the approval gate checks, and a job that found nothing to sign may still go on to sign
    # something else under the same approval (release-sign.yml's SBOM)
    first_token = token_provider() if not plan.is_empty or request.in_actions else None
    claims = token_claims(first_token) if first_token else {}
    require_unexpired(claims)
    approval = require_approval(
        in_actions=request.in_actions,
        client=client,
        token_claims=claims,
        workflow_repository=repository,
        yes=request.yes or plan.is_empty,
        allow_unprotected=request.allow_unprotected,
        interactive=request.interactive,
        confirm=confirm,
    )
    _log.info("approved: %s", approval)
    tokens = iter([first_token] if first_token else [])

    def token_source() -> str:
        return next(tokens, None) or token_provider()

    with (progress or contextlib.nullcontext)() as listener:
        report = _apply_backfill(
            plan,
            client=client,
            signer=KeylessSigner(trust_config=trust_config, token_provider=token_source),
            verifier=BundleVerifier.from_trust_config(trust_config),
            state_dir=request.state_dir,
            identity_token=first_token,
            listener=listener,
            pypi=pypi or pypi_fetcher(),
            pypi_index_url=request.pypi_index_url,
            limits=request.limits,
            prefetch=request.prefetch,
        )
    return ApplyResult(report=report, approval=approval)


def _apply_backfill(
    plan: Plan,
    *,
    client: GitHubClient,
    signer: KeylessSigner,
    verifier: BundleVerifier,
    state_dir: Path,
    identity_token: str | None = None,
    listener: Callable[[Outcome], None] | None = None,
    pypi: PyPIFetcher | None = None,
    pypi_index_url: str | None = None,
    limits: RunLimits | None = None,
    prefetch: bool = True,
) -> ApplyReport:
    """Execute ``plan`` (only after :func:`run_apply`'s gate)."""
    from chainkit.backfill._apply import apply_plan
    from chainkit.backfill._journal import Journal

    with Journal(state_dir, plan.plan_digest) as journal:
        return apply_plan(
            plan,
            client=client,
            signer=signer,
            verifier=verifier,
            journal=journal,
            identity_token=identity_token,
            listener=listener,
            pypi=pypi,
            pypi_index_url=pypi_index_url,
            limits=limits,
            prefetch=prefetch,
        )
