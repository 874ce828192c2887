"""Every GitHub failure becomes one chainkit.github error with the right kind, status and
``is_auth_failure`` (no caller inspects PyGithub's exceptions)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chainkit.errors import ExitCode, ServiceError, UsageError
from chainkit.github import (
    AssetExistsError,
    AuthError,
    ForbiddenError,
    GitHubError,
    GitHubServiceError,
    GitHubUsageError,
    ImmutableReleaseError,
    NotFoundError,
    RateLimitedError,
)
from integration.github.test_client import client_for, seed


@pytest.mark.parametrize(
    ("cls", "kind", "auth_failure"),
    [
        (AuthError, UsageError, True),
        (ForbiddenError, UsageError, True),
        (NotFoundError, UsageError, False),
        (AssetExistsError, UsageError, False),
        (ImmutableReleaseError, UsageError, False),
        (GitHubUsageError, UsageError, False),
        (RateLimitedError, ServiceError, False),
        (GitHubServiceError, ServiceError, False),
    ],
)
def test_each_error_has_its_kind_and_auth_flag(
    cls: type[GitHubError], kind: type[Exception], auth_failure: bool
) -> None:
    error = cls("x", status=418)
    assert isinstance(error, GitHubError) and isinstance(error, kind)
    assert error.is_auth_failure is auth_failure
    assert error.status == 418
    assert cls("x").status is None
    assert not issubclass(cls, PermissionError)  # the builtin is not shadowed or subclassed


def test_rejected_token_is_an_auth_failure_with_401(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    release = next(client_for(sb, sb.read_token).iter_releases("acme/widgets"))
    with pytest.raises(AuthError) as exc:
        client_for(sb, "not-a-token").update_body(release, "x")
    assert exc.value.status == 401 and exc.value.is_auth_failure
    assert exc.value.exit_code == ExitCode.USAGE


def test_read_token_writing_is_forbidden_with_403(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token)
    release = next(client.iter_releases("acme/widgets"))
    with pytest.raises(ForbiddenError) as exc:
        client.update_body(release, "x")
    assert exc.value.status == 403 and exc.value.is_auth_failure


def test_missing_release_is_not_found_and_not_an_auth_failure(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    with pytest.raises(NotFoundError) as exc:
        client_for(sb, sb.read_token).get_release_by_tag("acme/widgets", "v404")
    assert exc.value.status == 404 and not exc.value.is_auth_failure


def test_duplicate_upload_is_asset_exists_with_422(github_sandbox_factory: Any) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.write_token)
    release = next(client.iter_releases("acme/widgets"))
    client.upload_bytes(release, io.BytesIO(b"a"), 1, name="dup.txt")
    with pytest.raises(AssetExistsError) as exc:
        client.upload_bytes(release, io.BytesIO(b"b"), 1, name="dup.txt")
    assert exc.value.status == 422 and not exc.value.is_auth_failure


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthError), (403, ForbiddenError), (404, NotFoundError)],
)
def test_download_refusals_map_like_api_refusals(
    github_sandbox_factory: Any, status: int, cls: type[GitHubError]
) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token)
    asset = next(client.iter_releases("acme/widgets")).assets[0]
    sb.add_fault(method="GET", path=r"/releases/assets/\d+$", status=status, times=1)
    with pytest.raises(cls) as exc:
        client.fetch_small(asset, max_bytes=1 << 20)
    assert exc.value.status == status
    assert exc.value.exit_code == ExitCode.USAGE


def test_persistent_5xx_is_a_service_error_not_an_auth_failure(
    github_sandbox_factory: Any,
) -> None:
    sb = github_sandbox_factory(seed(1))
    client = client_for(sb, sb.read_token)
    sb.add_fault(method="GET", path=r"/releases$", status=503, times=10)
    with pytest.raises(GitHubServiceError) as exc:
        list(client.iter_releases("acme/widgets"))
    assert not exc.value.is_auth_failure and exc.value.exit_code == ExitCode.FAILURE
