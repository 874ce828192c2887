"""``list_attestations`` against pages GitHub should never send: it always ends (a page
cap, no page read twice), never leaves the API host, refuses bodies that are not a list
of objects, and says when GitHub has more than it reads (``truncated``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from github import GithubException

from chainkit.errors import ExitCode
from chainkit.github import MAX_ATTESTATIONS, ForbiddenError, GitHubClient, GitHubServiceError
from chainkit.github._client import MAX_ATTESTATION_PAGES, PER_PAGE

API = "https://ghe.example.com/api/v3"
DIGEST = "sha256:" + "ab" * 32
FIRST = f"/repos/acme/widgets/attestations/{DIGEST}"
BUNDLE = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}

Page = Callable[[str, int], tuple[dict[str, Any], Any]]
"""(url, request number) -> (headers, data) of one page."""


class _Requester:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.urls: list[str] = []

    def requestJsonAndCheck(  # PyGithub's name
        self, method: str, url: str, parameters: Any = None, **_: Any
    ) -> tuple[dict[str, Any], Any]:
        assert method == "GET"
        self.urls.append(url)
        return self.page(url, len(self.urls))


class _Github:
    def __init__(self, page: Page) -> None:
        self.requester = _Requester(page)


def _client(page: Page) -> tuple[GitHubClient, _Requester]:
    github = _Github(page)
    return GitHubClient(github=github, api_url=API), github.requester  # type: ignore[arg-type]


def _next(url: str) -> dict[str, Any]:
    return {"link": f'<{url}>; rel="next", <{API}/x?page=99>; rel="last"'}


def _items(n: int) -> dict[str, Any]:
    return {"attestations": [{"bundle": BUNDLE, "repository_id": 1}] * n}


@pytest.mark.parametrize(
    "link",
    [f"{API}{FIRST}?per_page=100", f"{FIRST}?per_page=100", f"{FIRST}?after=x"],
)
@pytest.mark.parametrize("body", [{"attestations": []}, {"attestations": [{"bundle_url": "u"}]}])
def test_a_link_back_to_a_page_already_read_ends_the_list(link: str, body: Any) -> None:
    client, requester = _client(lambda url, n: (_next(link), body))
    with pytest.raises(GitHubServiceError, match="did not end") as caught:
        client.list_attestations("acme/widgets", DIGEST)
    assert caught.value.exit_code == ExitCode.FAILURE
    assert len(requester.urls) <= 3


def test_ever_new_links_end_after_the_page_cap() -> None:
    # empty pages (or pages of bundle_url items) that always link to a new page
    client, requester = _client(lambda url, n: (_next(f"{FIRST}?after={n}"), _items(0)))
    with pytest.raises(GitHubServiceError, match="did not end"):
        client.list_attestations("acme/widgets", DIGEST)
    assert len(requester.urls) == MAX_ATTESTATION_PAGES == MAX_ATTESTATIONS // PER_PAGE + 1


def test_more_than_the_cap_is_truncated_not_complete() -> None:
    client, requester = _client(lambda url, n: (_next(f"{FIRST}?after={n}"), _items(PER_PAGE)))
    listed = client.list_attestations("acme/widgets", DIGEST)
    assert listed.truncated
    assert len(listed) == MAX_ATTESTATIONS
    assert len(requester.urls) == MAX_ATTESTATIONS // PER_PAGE


def test_exactly_the_cap_without_a_next_page_is_complete() -> None:
    pages = MAX_ATTESTATIONS // PER_PAGE

    def page(url: str, n: int) -> tuple[dict[str, Any], Any]:
        return (_next(f"{API}{FIRST}?after={n}") if n < pages else {}), _items(PER_PAGE)

    listed = client_list(page)
    assert not listed.truncated and len(listed) == MAX_ATTESTATIONS


def client_list(page: Page) -> Any:
    client, _ = _client(page)
    return client.list_attestations("acme/widgets", DIGEST)


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.net/api/v3/repos/x",  # another host
        "http://ghe.example.com/api/v3/repos/x",  # another scheme
        "https://ghe.example.com:8443/api/v3/repos/x",  # another port
        "https://ghe.example.com/other/repos/x",  # off the API's path
        "//evil.example.net/api/v3/repos/x",  # scheme-relative
        "repos/x",  # relative to nothing
        "file:///etc/passwd",
    ],
)
def test_a_next_link_off_the_api_is_a_service_error(link: str) -> None:
    client, requester = _client(lambda url, n: (_next(link), _items(1)))
    with pytest.raises(GitHubServiceError, match="leaves") as caught:
        client.list_attestations("acme/widgets", DIGEST)
    assert "GITHUB_API_URL" in (caught.value.remediation or "")
    assert requester.urls == [FIRST]  # never followed


def test_a_next_link_on_the_api_is_followed() -> None:
    def page(url: str, n: int) -> tuple[dict[str, Any], Any]:
        return (_next(f"{API}/repositories/7/attestations/x?after=1") if n == 1 else {}), _items(1)

    client, requester = _client(page)
    assert len(client.list_attestations("acme/widgets", DIGEST)) == 2
    assert requester.urls[1] == f"{API}/repositories/7/attestations/x?after=1"


@pytest.mark.parametrize(
    "body",
    [
        {"attestations": 5},
        {"attestations": "abc"},
        {"attestations": {"bundle": BUNDLE}},
        {"attestations": [5, "x"]},
        {"attestations": [{"bundle": 3}]},
        {"attestations": [{"bundle": "text"}]},
        [1, 2],
        "attestations",
        None,
    ],
)
def test_a_body_that_is_not_a_list_of_objects_is_a_service_error(body: Any) -> None:
    client, _ = _client(lambda url, n: ({}, body))
    with pytest.raises(GitHubServiceError, match="cannot read") as caught:
        client.list_attestations("acme/widgets", DIGEST)
    assert caught.value.exit_code == ExitCode.FAILURE


def test_items_without_an_inline_bundle_are_left_out() -> None:
    body = {"attestations": [{"bundle_url": "u"}, {"bundle": BUNDLE}, {"bundle": None}]}
    listed = client_list(lambda url, n: ({}, body))
    assert len(listed) == 1 and not listed.truncated


def test_a_403_names_the_read_permission() -> None:
    def page(url: str, n: int) -> tuple[dict[str, Any], Any]:
        raise GithubException(403, {"message": "Resource not accessible by integration"}, {})

    client, _ = _client(page)
    with pytest.raises(ForbiddenError, match="403") as caught:
        client.list_attestations("acme/widgets", DIGEST)
    assert "attestations: read" in (caught.value.remediation or "")
    assert "contents: write" not in (caught.value.remediation or "")


def test_items_without_an_inline_bundle_are_counted_and_the_version_is_pinned() -> None:
    # review 9, break 2: items with only a bundle_url were dropped silently, and the list
    # was then taken as whole ("none exists")
    sent: list[Any] = []

    class _Pinned(_Requester):
        def requestJsonAndCheck(  # PyGithub's name
            self, method: str, url: str, parameters: Any = None, **kwargs: Any
        ) -> tuple[dict[str, Any], Any]:
            sent.append(kwargs.get("headers"))
            return super().requestJsonAndCheck(method, url, parameters)

    body = {"attestations": [{"bundle": BUNDLE}, {"bundle_url": "https://x/1.json.sn"}]}
    client, _ = _client(lambda url, n: ({}, body))
    client._requester = _Pinned(lambda url, n: ({}, body))
    listed = client.list_attestations("acme/widgets", DIGEST)
    assert (len(listed), listed.unreadable, listed.truncated, listed.whole) == (1, 1, False, False)
    assert sent == [{"X-GitHub-Api-Version": "2022-11-28"}]
    whole = _client(lambda url, n: ({}, _items(2)))[0].list_attestations("acme/widgets", DIGEST)
    assert (len(whole), whole.unreadable, whole.whole) == (2, 0, True)
