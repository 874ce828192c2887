"""Names that cannot go into an HTTP header: the stand-in answers, never breaks the connection.

A raw name (seeded, or sent to the upload endpoint) is stored as GitHub stores it
(sanitized), and the storage answer's ``Content-Disposition`` is RFC 6266 with an
RFC 8187 ``filename*``, so no name can add a header line or a non-ASCII byte.
"""

from __future__ import annotations

import urllib.parse

import pytest
import requests

from _plugins.github import GitHubSandbox
from _plugins.sandbox import asset, release, seed
from chainkit.sandbox._github import sanitize_asset_name

RAW_NAMES = ["a\r\nX-Injected: 1.whl", "nul\x00.whl", "bell\x07esc\x1b[31m.whl", "façade é.whl"]


@pytest.mark.parametrize("name", RAW_NAMES)
def test_a_seeded_raw_name_is_stored_sanitized_and_served_as_github_does(
    github_sandbox_factory: object, name: str
) -> None:
    sb: GitHubSandbox = github_sandbox_factory(  # type: ignore[operator]
        seed(releases=[release("v1", assets=[asset(name, b"payload")])])
    )
    data = requests.get(
        f"{sb.url}/repos/acme/widgets/releases/tags/v1",
        headers={"Authorization": f"token {sb.write_token}"},
        timeout=30,
    ).json()
    url = data["assets"][0]["url"]
    response = requests.get(
        url,
        headers={"Authorization": f"token {sb.write_token}", "Accept": "application/octet-stream"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.content == b"payload"
    assert "x-injected" not in response.headers
    disposition = response.headers["content-disposition"]
    assert disposition.isascii()
    assert not any(ord(c) < 32 or ord(c) == 127 for c in disposition)
    assert disposition == f"attachment; filename={data['assets'][0]['name']}"  # as GitHub's
    assert data["assets"][0]["name"] == sanitize_asset_name(name)


@pytest.mark.parametrize(
    ("name", "stored"), [("a\r\nb.whl", "a.b.whl"), ("nul\x00.whl", "nul.whl")]
)
def test_upload_of_a_raw_name_is_sanitized_as_github_does(
    github_sandbox: GitHubSandbox, name: str, stored: str
) -> None:
    auth = {"Authorization": f"token {github_sandbox.write_token}"}
    data = requests.get(
        f"{github_sandbox.url}/repos/acme/widgets/releases/tags/v1.2.0", headers=auth, timeout=30
    ).json()
    target = data["upload_url"].split("{?", 1)[0]
    response = requests.post(
        target,
        params={"name": name},
        data=b"x",
        headers={**auth, "Content-Type": "application/octet-stream"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == stored


@pytest.mark.parametrize(
    "raw", ["evil\r\nX-Injected: 1.whl", "nul\x00name.whl", "tab\tdel\x7f.whl"]
)
def test_a_raw_admin_name_downloads_through_the_real_clients(
    github_sandbox: GitHubSandbox, raw: str
) -> None:
    auth = {"Authorization": f"token {github_sandbox.write_token}"}
    rel = requests.get(
        f"{github_sandbox.url}/repos/acme/widgets/releases/tags/v1.2.0", headers=auth, timeout=30
    ).json()
    target = rel["assets"][0]
    renamed = github_sandbox.admin(
        "PUT",
        f"repos/acme/widgets/releases/assets/{target['id']}/raw-name",
        json={"name": raw},
    )
    assert renamed.status_code == 200, renamed.text
    gh_asset = github_sandbox.client().get_repo("acme/widgets").get_release_asset(target["id"])
    assert gh_asset.name == raw
    status, headers, chunks = gh_asset.download_asset()
    assert status == 200
    assert len(b"".join(chunks)) == target["size"]
    assert "x-injected" not in {k.lower() for k in headers}
    disposition = headers["content-disposition"]
    assert disposition.isascii() and not any(ord(c) < 32 or ord(c) == 127 for c in disposition)
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert urllib.parse.unquote(encoded, errors="strict") == raw
