"""A release or asset the client cannot read is a service error (exit 3), never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from chainkit.errors import ExitCode
from chainkit.github import GitHubServiceError
from chainkit.github._client import asset_from_json, release_from_json


def _release(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": 1,
        "tag_name": "v1.0.0",
        "name": "v1.0.0",
        "body": "",
        "url": "http://127.0.0.1:1/repos/a/b/releases/1",
        "upload_url": "http://127.0.0.1:1/uploads{?name,label}",
        "assets": [
            {"id": 2, "name": "a.whl", "url": "http://127.0.0.1:1/repos/a/b/releases/assets/2"}
        ],
    }
    data.update(changes)
    return data


def test_a_well_formed_release_reads() -> None:
    release = release_from_json(_release())
    assert (release.tag, release.assets[0].name) == ("v1.0.0", "a.whl")


@pytest.mark.parametrize(
    "changes",
    [
        {"tag_name": "v1\ud800"},  # a lone surrogate: valid JSON, not a name GitHub stores
        {"assets": [{"id": 2, "name": "\udfff.whl", "url": "u"}]},
        {"tag_name": 7},
        {"id": "not a number"},
        {"published_at": "yesterday"},
        {"assets": [{"name": "no id", "url": "u"}]},
    ],
)
def test_a_malformed_release_is_a_service_error(changes: dict[str, Any]) -> None:
    with pytest.raises(GitHubServiceError) as caught:
        release_from_json(_release(**changes))
    assert caught.value.exit_code == ExitCode.FAILURE
    assert "cannot read" in caught.value.message


def test_a_malformed_asset_is_a_service_error() -> None:
    with pytest.raises(GitHubServiceError):
        asset_from_json({"id": 1, "name": None, "url": "u"})


API = "http://127.0.0.1:1"
ELSEWHERE = "http://attacker.example/repos/a/b/releases/assets/2"


@pytest.mark.parametrize(
    "changes",
    [
        {"assets": [{"id": 2, "name": "a.whl", "state": "starter", "url": ELSEWHERE}]},
        {"assets": [{"id": 2, "name": "a.whl", "url": "https://127.0.0.1:1/repos/a/b/x"}]},
        {"url": "http://127.0.0.1:2/repos/a/b/releases/1"},
        {"url": "/repos/a/b/releases/1"},
    ],
)
def test_a_url_off_the_api_is_a_service_error(changes: dict[str, Any]) -> None:
    # review 9, break 8: an asset listed with a URL on another host crashed the starter
    # clean-up (PyGithub asserts the host: an internal error)
    release_from_json(_release(**changes))  # without an API to hold it to: read
    with pytest.raises(GitHubServiceError) as caught:
        release_from_json(_release(**changes), API)
    assert caught.value.exit_code == ExitCode.FAILURE
    assert "not on" in caught.value.message


def test_an_asset_off_the_api_is_never_deleted() -> None:
    from chainkit.github import GitHubClient

    class _Refuse:
        def requestJsonAndCheck(self, *args: Any, **kwargs: Any) -> Any:  # PyGithub's name
            raise AssertionError("no request may be sent")

    class _Github:
        requester = _Refuse()

    client = GitHubClient(github=_Github(), api_url=API)  # type: ignore[arg-type]
    starter = asset_from_json({"id": 2, "name": "a.whl", "state": "starter", "url": ELSEWHERE})
    with pytest.raises(GitHubServiceError, match="not on"):
        client.delete_asset(starter)
    assert release_from_json(_release(), API).assets[0].url.startswith(API)
