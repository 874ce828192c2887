"""Artifact attestations on the GitHub stand-in: create, list by subject digest, bundle URLs."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from _plugins.github import GitHubSandbox, http
from _plugins.sandbox import repository, seed, token
from _plugins.sigstore import SigstoreSandbox
from chainkit.sandbox._github import GitHubStandIn
from chainkit.sandbox._seed import parse_seed

WHEEL = hashlib.sha256(b"wheel").hexdigest()
SDIST = hashlib.sha256(b"sdist").hexdigest()
OTHER = hashlib.sha256(b"other").hexdigest()
SLSA = "https://slsa.dev/provenance/v1"
ACTIONS_BUILD = {
    "buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"}
}
CUSTOM = "https://example.com/predicate/v1"


def snappy_decompress(data: bytes) -> bytes:
    """A general Snappy block decoder (literals and copies), independent of the encoder."""
    length, shift, pos = 0, 0, 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            n += 1
            out += data[pos : pos + n]
            pos += n
            continue
        if kind == 1:
            n, offset = 4 + ((tag >> 2) & 7), ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            size = 2 if kind == 2 else 4
            n, offset = (tag >> 2) + 1, int.from_bytes(data[pos : pos + size], "little")
            pos += size
        for _ in range(n):
            out.append(out[-offset])
    assert len(out) == length
    return bytes(out)


@pytest.fixture(scope="module")
def bundles(sigstore_sandbox: SigstoreSandbox) -> dict[str, dict[str, Any]]:
    """Bundles signed by the Sigstore stand-in, for acme/widgets unless named otherwise."""
    sign = sigstore_sandbox.attestation_bundle
    return {
        "release": sign({"w.whl": WHEEL, "w.tar.gz": SDIST}),
        "provenance": sign({"w.whl": WHEEL}, predicate_type=SLSA, predicate=ACTIONS_BUILD),
        "bad-provenance": sign(
            {"w.whl": WHEEL},
            predicate_type=SLSA,
            predicate={"buildDefinition": {"buildType": "https://example.com/b"}},
        ),
        "duplicate": sign({"w.whl": WHEEL}),
        "other-repo": sign({"w.whl": WHEEL}, repository="acme/other"),
        "secret": sign({"s.whl": OTHER}, repository="acme/secret"),
    }


SEED = seed(
    repos=[repository("acme/widgets"), repository("acme/secret", private=True)],
    tokens=[
        token("sandbox-write", contents="write"),
        token("sandbox-read", contents="read"),
        token("attest-only", contents="read", attestations="write"),
        token("no-attest", contents="write", attestations="read"),
    ],
)


@pytest.fixture
def sb(github_sandbox_factory: Callable[..., GitHubSandbox]) -> GitHubSandbox:
    return github_sandbox_factory(SEED)


def _create(
    sb: GitHubSandbox, bundle: Any, repo: str = "acme/widgets", tok: str | None = "write"
) -> requests.Response:
    return http(sb, "POST", f"/repos/{repo}/attestations", tok, json={"bundle": bundle})


def _list(sb: GitHubSandbox, path: str, tok: str | None = "write") -> requests.Response:
    return http(sb, "GET", path, tok)


def _with_statement(bundle: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> Any:
    """A copy of ``bundle`` whose in-toto statement was changed (signature now stale)."""
    out = copy.deepcopy(bundle)
    envelope = out["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    change(statement)
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    return out


def test_created_attestation_is_listed_under_each_subject_digest(
    sb: GitHubSandbox, bundles: dict[str, dict[str, Any]]
) -> None:
    first = _create(sb, bundles["release"])
    again = _create(sb, bundles["release"])
    assert first.status_code == again.status_code == 201
    assert set(first.json()) == {"id"}
    assert again.json()["id"] != first.json()["id"]  # every POST stores a new one
    repo_id = http(sb, "GET", "/repos/acme/widgets").json()["id"]
    for digest in (WHEEL, SDIST):
        listed = _list(sb, f"/repos/acme/widgets/attestations/sha256:{digest}")
        assert listed.status_code == 200
        items = listed.json()["attestations"]
        assert [i["bundle"] for i in items] == [bundles["release"], bundles["release"]]
        assert {i["repository_id"] for i in items} == {repo_id}
        assert {i["initiator"] for i in items} == {"user"}
    # bundle_url: the same bundle, snappy-compressed, fetched without a token.
    item = _list(sb, f"/repos/acme/widgets/attestations/sha256:{WHEEL}").json()["attestations"][0]
    blob = requests.get(item["bundle_url"], timeout=30)
    assert blob.status_code == 200
    assert "x-ratelimit-limit" not in blob.headers
    assert json.loads(snappy_decompress(blob.content)) == bundles["release"]
    forged = requests.get(item["bundle_url"].replace("sig=", "sig=0"), timeout=30)
    assert forged.status_code == 403


def test_permissions(sb: GitHubSandbox, bundles: dict[str, dict[str, Any]]) -> None:
    read = _create(sb, bundles["release"], tok="read")
    assert read.status_code == 403
    assert read.json()["message"] == "Resource not accessible by integration"
    anonymous = _create(sb, bundles["release"], tok=None)
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "Requires authentication"
    assert _create(sb, bundles["release"], tok="bad-token").status_code == 401
    # The attestations permission decides, not contents.
    assert _create(sb, bundles["release"], tok="no-attest").status_code == 403
    assert _create(sb, bundles["release"], tok="attest-only").status_code == 201
    assert _create(sb, bundles["secret"], repo="acme/secret").status_code == 201
    path = f"/repos/acme/widgets/attestations/sha256:{WHEEL}"
    assert _list(sb, path, "read").status_code == 200
    assert _list(sb, path, None).status_code == 200  # public repository, no token
    secret = f"/repos/acme/secret/attestations/sha256:{OTHER}"
    assert _list(sb, secret, "read").status_code == 200
    assert _list(sb, secret, None).status_code == 404
    assert _create(sb, bundles["secret"], repo="acme/secret", tok=None).status_code == 404


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no-bundle", '"bundle" wasn\'t supplied'),
        ("message-signature", "DSSE envelope"),
        ("old-media-type", "mediaType"),
        ("other-repo", "values do not match: https://github.com/acme/other != "),
        ("bad-provenance", "buildType"),
        ("duplicate-subject", "duplicate subject in statement"),
        ("not-in-toto", "_type"),
        ("too-many-subjects", "at most 1024 subjects"),
        ("bad-digest", "invalid sha256 digest"),
        ("no-certificate", "no signing certificate"),
    ],
)
def test_invalid_bundles_are_422(
    sb: GitHubSandbox, bundles: dict[str, dict[str, Any]], case: str, message: str
) -> None:
    good = bundles["duplicate"]
    body: Any
    if case == "no-bundle":
        r = http(sb, "POST", "/repos/acme/widgets/attestations", json={"bundel": good})
    else:
        if case == "message-signature":
            body = {k: v for k, v in good.items() if k != "dsseEnvelope"}
            body["messageSignature"] = {"messageDigest": {}, "signature": "AA=="}
        elif case == "old-media-type":
            body = {**good, "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1"}
        elif case == "other-repo":
            body = bundles["other-repo"]
        elif case == "bad-provenance":
            body = bundles["bad-provenance"]
        elif case == "duplicate-subject":
            body = _with_statement(good, lambda s: s["subject"].append(s["subject"][0]))
        elif case == "not-in-toto":
            body = _with_statement(
                good, lambda s: s.update(_type="https://in-toto.io/Statement/v0.1")
            )
        elif case == "too-many-subjects":
            body = _with_statement(
                good,
                lambda s: s.update(
                    subject=[{"name": f"f{i}", "digest": {"sha256": WHEEL}} for i in range(1025)]
                ),
            )
        elif case == "bad-digest":
            body = _with_statement(good, lambda s: s["subject"][0]["digest"].update(sha256="XY"))
        else:
            body = copy.deepcopy(good)
            del body["verificationMaterial"]["certificate"]
        r = _create(sb, body)
    assert r.status_code == 422, r.text
    assert message in r.json()["message"]
    assert _list(sb, f"/repos/acme/widgets/attestations/sha256:{WHEEL}").status_code == 404


def test_no_match_is_404_and_predicate_type_filters(
    sb: GitHubSandbox, bundles: dict[str, dict[str, Any]]
) -> None:
    base = f"/repos/acme/widgets/attestations/sha256:{WHEEL}"
    assert _list(sb, base).status_code == 404
    assert _list(sb, base).json()["message"] == "Not Found"
    provenance = _create(sb, bundles["provenance"]).json()["id"]
    custom = _create(sb, bundles["duplicate"]).json()["id"]

    def ids(query: str) -> list[int] | int:
        r = _list(sb, base + query)
        if r.status_code != 200:
            return r.status_code
        return [ids_of(i) for i in r.json()["attestations"]]

    def ids_of(item: dict[str, Any]) -> int:
        return provenance if item["bundle"] == bundles["provenance"] else custom

    assert ids("") == [custom, provenance]  # newest first
    assert ids("?predicate_type=provenance") == [provenance]
    assert ids(f"?predicate_type={SLSA}") == [provenance]
    assert ids(f"?predicate_type={CUSTOM}") == [custom]
    assert ids("?predicate_type=sbom") == 404
    assert _list(sb, "/repos/acme/widgets/attestations/sha256:" + "0" * 64).status_code == 404
    assert _list(sb, "/repos/acme/widgets/attestations/not-a-digest").status_code == 404
    assert _list(sb, f"/repos/acme/nope/attestations/sha256:{WHEEL}").status_code == 404


def test_cursor_pagination_follows_link_headers(
    sb: GitHubSandbox, bundles: dict[str, dict[str, Any]]
) -> None:
    created = [_create(sb, bundles["duplicate"]).json()["id"] for _ in range(5)]
    url: str | None = f"{sb.url}/repos/acme/widgets/attestations/sha256:{WHEEL}?per_page=2"
    pages: list[int] = []
    seen_urls: list[str] = []
    headers = {"Authorization": f"token {sb.write_token}"}
    while url:
        seen_urls.append(url)
        r = requests.get(url, headers=headers, timeout=30)
        assert r.status_code == 200
        pages.append(len(r.json()["attestations"]))
        url = r.links.get("next", {}).get("url")
    assert pages == [2, 2, 1]
    assert all("after=" in u for u in seen_urls[1:])
    last = requests.get(seen_urls[-1], headers=headers, timeout=30)
    prev = requests.get(last.links["prev"]["url"], headers=headers, timeout=30)
    assert len(prev.json()["attestations"]) == 2
    assert "prev" not in requests.get(seen_urls[0], headers=headers, timeout=30).links
    assert len(created) == len(set(created)) == 5
    bad = _list(sb, f"/repos/acme/widgets/attestations/sha256:{WHEEL}?after=bogus")
    assert bad.status_code == 400


def test_owner_lists_cover_their_repositories(
    sb: GitHubSandbox, bundles: dict[str, dict[str, Any]]
) -> None:
    _create(sb, bundles["duplicate"])
    _create(sb, bundles["secret"], repo="acme/secret")
    for scope in ("orgs", "users"):
        listed = _list(sb, f"/{scope}/acme/attestations/sha256:{WHEEL}")
        assert listed.status_code == 200
        assert len(listed.json()["attestations"]) == 1
        assert _list(sb, f"/{scope}/acme/attestations/sha256:{OTHER}").status_code == 200
        # Anonymous callers cannot read the private repository's attestations.
        assert _list(sb, f"/{scope}/acme/attestations/sha256:{OTHER}", None).status_code == 404
        assert _list(sb, f"/{scope}/nobody/attestations/sha256:{WHEEL}").status_code == 404


def test_attestations_survive_a_restart(tmp_path: Any, bundles: dict[str, dict[str, Any]]) -> None:
    first = GitHubStandIn(tmp_path)
    first.seed(parse_seed(SEED, source="<test>"))
    first.start()
    try:
        r = requests.post(
            f"{first.url}/repos/acme/widgets/attestations",
            json={"bundle": bundles["duplicate"]},
            headers={"Authorization": "token sandbox-write"},
            timeout=30,
        )
        assert r.status_code == 201
    finally:
        first.stop()
    second = GitHubStandIn(tmp_path)
    second.start()
    try:
        listed = requests.get(
            f"{second.url}/repos/acme/widgets/attestations/sha256:{WHEEL}", timeout=30
        )
        assert listed.status_code == 200
        assert [i["bundle"] for i in listed.json()["attestations"]] == [bundles["duplicate"]]
        again = requests.post(
            f"{second.url}/repos/acme/widgets/attestations",
            json={"bundle": bundles["duplicate"]},
            headers={"Authorization": "token sandbox-write"},
            timeout=30,
        )
        assert again.json()["id"] > r.json()["id"]
    finally:
        second.stop()


@pytest.mark.parametrize("size", [0, 1, 60, 61, 65536, 65537, 300_000])
def test_bundle_url_compression_decodes_with_a_general_snappy_decoder(size: int) -> None:
    from chainkit.sandbox._github._attestations import snappy_compress

    data = hashlib.shake_256(str(size).encode()).digest(size)
    assert snappy_decompress(snappy_compress(data)) == data
