"""The backfill boundary's entry points: plan and apply, with every client injected.

:func:`plan_backfill` reads releases (and PyPI, when asked) and returns a sealed
:class:`~chainkit.backfill._plan.Plan`; :func:`apply_backfill` executes an approved
plan with its journal. Clients are keyword-only arguments; :func:`pypi_fetcher` builds the
real PyPI one (a :class:`chainkit.github.GitHubClient` is a :class:`ReleaseSource`);
tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chainkit.backfill._checksums import MAX_CHECKSUM_FILE_SIZE
from chainkit.backfill._filters import Filters
from chainkit.backfill._plan import Plan, PlanOptions
from chainkit.backfill._planner import ExistingBundleVerifier, build_plan
from chainkit.backfill._pypi import PyPIDigests, fetch_pypi_digests, redact_url

if TYPE_CHECKING:
    from chainkit.backfill._apply import ApplyReport, Outcome
    from chainkit.github import Asset, GitHubClient, Release
    from chainkit.signing import BundleVerifier, KeylessSigner

__all__ = [
    "PlanRequest",
    "PyPIFetcher",
    "ReleaseSource",
    "apply_backfill",
    "plan_backfill",
    "pypi_fetcher",
]


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


def apply_backfill(
    plan: Plan,
    *,
    client: GitHubClient,
    signer: KeylessSigner,
    verifier: BundleVerifier,
    state_dir: Path,
    identity_token: str | None = None,
    listener: Callable[[Outcome], None] | None = None,
) -> ApplyReport:
    """Execute ``plan`` (already loaded, checked for the repository and approved).

    The journal and work files live under ``state_dir``: re-running the same plan after
    an interruption finishes the work without signing or uploading twice.
    """
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
        )
