"""Release and tag lists follow ``Link`` only on the API and never loop.

A hostile or broken proxy that answers with a next-page link to another host, or back to
a page already read, is a service error (exit 3) - never a request to that host, never a
hang, never an internal error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from _plugins.sandbox import seed
from chainkit.github import GitHubClient, GitHubServiceError
from integration.github.test_client import client_for

SEED = seed()

LISTS: dict[str, Callable[[GitHubClient], object]] = {
    "releases": lambda c: list(c.iter_releases("acme/widgets")),
    "tags": lambda c: c.tag_commits("acme/widgets"),
}


def _fault(sb: Any, collection: str, **fault: Any) -> None:
    fault = {"method": "GET", "path": f"/repos/acme/widgets/{collection}", "status": 200, **fault}
    requests.post(f"{sb.url}/_sandbox/faults", json=fault, timeout=30).raise_for_status()


def _requests_to(sb: Any, collection: str) -> int:
    log = requests.get(f"{sb.url}/_sandbox/requests", timeout=30).json()
    return sum(1 for r in log if r["path"].startswith(f"/repos/acme/widgets/{collection}"))


@pytest.mark.parametrize("collection", sorted(LISTS))
def test_a_next_link_to_another_host_is_refused(
    github_sandbox_factory: Any, collection: str
) -> None:
    sb = github_sandbox_factory(SEED)
    _fault(sb, collection, times=1, body=[],
           headers={"link": '<https://evil.example.net/steal?page=2>; rel="next"'})  # fmt: skip
    with pytest.raises(GitHubServiceError, match="leaves"):
        LISTS[collection](client_for(sb, sb.write_token))
    assert _requests_to(sb, collection) == 1


@pytest.mark.parametrize("collection", sorted(LISTS))
def test_a_list_that_links_to_itself_ends(github_sandbox_factory: Any, collection: str) -> None:
    sb = github_sandbox_factory(SEED)
    again = f"/repos/acme/widgets/{collection}?page=2"
    _fault(sb, collection, times=None, body=[], headers={"link": f'<{again}>; rel="next"'})
    with pytest.raises(GitHubServiceError, match="did not end"):
        LISTS[collection](client_for(sb, sb.write_token))
    assert _requests_to(sb, collection) == 2


@pytest.mark.parametrize("collection", sorted(LISTS))
def test_a_page_that_is_not_a_list_is_a_service_error(
    github_sandbox_factory: Any, collection: str
) -> None:
    sb = github_sandbox_factory(SEED)
    _fault(sb, collection, times=1, body={"releases": []})
    with pytest.raises(GitHubServiceError, match="cannot read"):
        LISTS[collection](client_for(sb, sb.write_token))
