"""``list_attestations`` against pages GitHub should never send: it always ends (a page
cap, no page read twice), never leaves the API host, refuses bodies that are not a list
of objects, and says when GitHub has more than it reads (``truncated``)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from chainkit.errors import ExitCode
from chainkit.github import MAX_ATTESTATIONS, ForbiddenError, GitHubClient, GitHubServiceError
from chainkit.github._client import MAX_ATTESTATION_PAGES, PER_PAGE

API = "https://ghe.example.com/api/v3"
DIGEST = "sha256:" + "ab" * 32
FIRST = f"/repos/acme/widgets/attestations/{DIGEST}"
BUNDLE = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}

Page = Callable[[str, int], tuple[dict[str, Any], Any]]
"""(url, request number) -> (headers, data) of one page (data a :class:`_Status` for an
error answer, or ``bytes`` sent as they are)."""


@dataclass(frozen=True)
class _Status:
    code: int
    body: Any


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def read(self, n: int = -1, decode_content: bool = False) -> bytes:
        return self._body.read(n)


class _Response:
    def __init__(self, status: int, headers: dict[str, Any], body: bytes) -> None:
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers)
        self.raw = _Raw(body)
        self._body = body

    def iter_content(self, size: int) -> Iterator[bytes]:
        for i in range(0, len(self._body), size):
            yield self._body[i : i + size]

    def close(self) -> None:
        pass

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Session:
    """The downloads session the client lists attestations through."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.urls: list[str] = []
        self.sent: list[dict[str, str]] = []

    def get(self, url: str, *, headers: dict[str, str], **_: Any) -> _Response:
        self.urls.append(url)
        self.sent.append(headers)
        head, data = self.page(url, len(self.urls))
        if isinstance(data, _Status):
            return _Response(data.code, head, json.dumps(data.body).encode())
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        return _Response(200, head, body)


class _Github:
    requester = None


def _client(page: Page) -> tuple[GitHubClient, _Session]:
    session = _Session(page)
    client = GitHubClient(github=_Github(), api_url=API, downloads=session)  # type: ignore[arg-type]
    return client, session


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
        "/repos/x?page=2&next=https://evil.example.net/x",  # a path that holds a URL
    ],
)
def test_a_next_link_off_the_api_is_a_service_error(link: str) -> None:
    client, requester = _client(lambda url, n: (_next(link), _items(1)))
    with pytest.raises(GitHubServiceError, match="leaves") as caught:
        client.list_attestations("acme/widgets", DIGEST)
    assert "GITHUB_API_URL" in (caught.value.remediation or "")
    assert requester.urls == [API + FIRST]  # never followed


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


def test_a_page_nested_deeper_than_python_parses_is_a_service_error() -> None:
    deep = 100_000  # well under the page limit, far over the interpreter's recursion limit
    body = b'{"attestations":[{"bundle":' + b"[" * deep + b"]" * deep + b"}]}"
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
        return {}, _Status(403, {"message": "Resource not accessible by integration"})

    client, _ = _client(page)
    with pytest.raises(ForbiddenError, match="403") as caught:
        client.list_attestations("acme/widgets", DIGEST)
    assert "attestations: read" in (caught.value.remediation or "")
    assert "contents: write" not in (caught.value.remediation or "")


def test_a_404_is_an_empty_list() -> None:
    listed = client_list(lambda url, n: ({}, _Status(404, {"message": "Not Found"})))
    assert len(listed) == 0 and listed.whole


def test_items_without_an_inline_bundle_are_counted_and_the_version_is_pinned() -> None:
    # review 9, break 2: items with only a bundle_url were dropped silently, and the list
    # was then taken as whole ("none exists")
    body = {"attestations": [{"bundle": BUNDLE}, {"bundle_url": "https://x/1.json.sn"}]}
    client, session = _client(lambda url, n: ({}, body))
    listed = client.list_attestations("acme/widgets", DIGEST)
    assert (len(listed), listed.unreadable, listed.truncated, listed.whole) == (1, 1, False, False)
    assert [h.get("X-GitHub-Api-Version") for h in session.sent] == ["2022-11-28"]
    whole = _client(lambda url, n: ({}, _items(2)))[0].list_attestations("acme/widgets", DIGEST)
    assert (len(whole), whole.unreadable, whole.whole) == (2, 0, True)


def test_a_huge_page_is_never_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # review 9, break 7: one 200 MB page of 200,000 items was read and parsed whole (661 MB)
    monkeypatch.setattr("chainkit.github._client.MAX_ATTESTATIONS_PAGE_BYTES", 4096)
    streamed: list[int] = []
    client, _ = _client(lambda url, n: ({}, b""))
    client._downloads = _EndlessSession(streamed)  # type: ignore[assignment]
    listed = client.list_attestations("acme/widgets", DIGEST)
    assert listed.truncated and not listed.whole and len(listed) == 0
    assert sum(streamed) <= 4096 + (1 << 20)  # stopped after the chunk that passed the cap


class _EndlessSession:
    """A 200 OK whose body never ends: ``{"attestations":[{...},{...},...``."""

    def __init__(self, streamed: list[int]) -> None:
        self.streamed = streamed

    def get(self, url: str, **_: Any) -> _Response:
        streamed = self.streamed

        class _Forever(_Response):
            def iter_content(self, size: int) -> Iterator[bytes]:
                item = json.dumps({"bundle": BUNDLE}).encode() + b","
                yield b'{"attestations":['
                while True:
                    streamed.append(size)
                    yield item * (size // len(item))

        return _Forever(200, {}, b"")


@pytest.mark.parametrize("count", [PER_PAGE + 1, 5 * PER_PAGE])
def test_a_page_of_more_items_than_asked_for_is_refused(count: int) -> None:
    client, _ = _client(lambda url, n: ({}, _items(count)))
    with pytest.raises(GitHubServiceError, match="more than the 100 asked for"):
        client.list_attestations("acme/widgets", DIGEST)
