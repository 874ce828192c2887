"""The seed model: parsing, strict validation with key paths, deterministic asset bytes."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from chainkit.errors import ExitCode
from chainkit.sandbox import SandboxUsageError
from chainkit.sandbox._seed import (
    DEFAULT_READ_TOKEN,
    DEFAULT_WRITE_TOKEN,
    AssetSpec,
    Seed,
    asset_chunks,
    default_seed,
    load_seed,
    parse_seed,
)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "github"


def _doc(**release: Any) -> dict[str, Any]:
    rel = {"tag": "v1", "published_at": "2024-01-01T00:00:00Z", **release}
    return {"version": 1, "repos": [{"full_name": "acme/widgets", "releases": [rel]}]}


def _error(data: object) -> str:
    with pytest.raises(SandboxUsageError) as info:
        parse_seed(data, source="s.yaml")
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.remediation
    return info.value.message


def test_load_yaml_full_example() -> None:
    seed = load_seed(ASSETS / "seed-small.yaml")
    assert isinstance(seed, Seed)
    assert [t.permissions["contents"] for t in seed.tokens] == ["write", "read"]
    assert seed.tokens[0].can_write and not seed.tokens[1].can_write
    widgets, secret = seed.repos
    assert (widgets.owner, widgets.name, widgets.private) == ("acme", "widgets", False)
    assert secret.private is True
    env = widgets.environments[0]
    assert env.required_reviewers == ("release-team", "@octocat")
    assert widgets.environments[1].required_reviewers == ()
    v100 = widgets.releases[0]
    assert v100.published_at == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    assert [a.digest_mode for a in v100.assets] == ["auto", "null", "absent", "fixed"]
    assert v100.assets[0].size == 5000 and v100.assets[0].content is None
    assert v100.assets[1].content == b"hello\n" and v100.assets[1].content_type == "text/plain"
    assert widgets.releases[1].immutable is True
    assert widgets.releases[2].draft is True and widgets.releases[2].published_at is None
    assert isinstance(widgets.releases, tuple) and isinstance(v100.assets, tuple)


def test_load_json_and_default_tokens() -> None:
    seed = load_seed(ASSETS / "seed-small.json")
    assert [t.value for t in seed.tokens] == [DEFAULT_WRITE_TOKEN, DEFAULT_READ_TOKEN]
    assert seed.repos[0].releases[0].assets[0].content == b"x"


def test_token_value_is_not_in_repr() -> None:
    seed = parse_seed(
        {"version": 1, "tokens": [{"value": "s3cr3t-value", "permissions": {"contents": "write"}}]},
        source="t",
    )
    assert "s3cr3t-value" not in repr(seed)


def test_unknown_key_names_its_path() -> None:
    with pytest.raises(SandboxUsageError) as info:
        load_seed(ASSETS / "seed-unknown-key.yaml")
    assert "repos[0].releases[2].assets[1]: wrong keys (unknown 'szie')" in info.value.message
    assert "size" in (info.value.remediation or "")


def test_malformed_file() -> None:
    with pytest.raises(SandboxUsageError, match="not valid YAML/JSON"):
        load_seed(ASSETS / "seed-malformed.yaml")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("dup.yaml", "version: 1\nversion: 1\n", "duplicate key 'version'"),
        ("dup.json", '{"version": 1, "version": 1}', "duplicate key 'version'"),
        ("alias.yaml", "version: 1\nrepos: &r []\ntokens: *r\n", "aliases are not accepted"),
    ],
)
def test_duplicate_keys_and_aliases_are_refused(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(SandboxUsageError, match="not valid YAML/JSON") as info:
        load_seed(p)
    assert expected in info.value.message


def test_malformed_json(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text('{"version": 1,,}')
    with pytest.raises(SandboxUsageError, match="not valid YAML/JSON"):
        load_seed(p)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(SandboxUsageError, match="not found"):
        load_seed(tmp_path / "nope.yaml")
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SandboxUsageError):
        load_seed(p)


def test_release_with_1001_assets() -> None:
    assets = [{"name": f"a{i}.txt", "content": ""} for i in range(1001)]
    msg = _error(_doc(assets=assets))
    assert "repos[0].releases[0].assets: 1001 assets" in msg
    assert "1000" in msg


def test_release_with_1000_assets_is_fine() -> None:
    assets = [{"name": f"a{i}.txt", "content": ""} for i in range(1000)]
    seed = parse_seed(_doc(assets=assets), source="t")
    assert len(seed.repos[0].releases[0].assets) == 1000


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(version=2), "version: unsupported seed version 2"),
        (lambda d: d.pop("version"), "missing key 'version'"),
        (lambda d: d.update(extra=1), "wrong keys (unknown 'extra')"),
        (lambda d: d["repos"][0].update(full_name="nope"), "repos[0].full_name: not OWNER/NAME"),
        (lambda d: d["repos"][0].update(private="yes"), "repos[0].private: must be true or false"),
        (lambda d: d["repos"][0].update(releases={}), "repos[0].releases: must be a list"),
        (lambda d: d["repos"].append(copy.deepcopy(d["repos"][0])), "duplicate repository"),
        (
            lambda d: d["repos"][0]["releases"].append({"tag": "v1", "draft": True}),
            "duplicate tag 'v1'",
        ),
        (
            lambda d: d["repos"][0]["releases"][0].update(published_at="yesterday"),
            "not a date-time",
        ),
        (
            lambda d: d["repos"][0]["releases"][0].update(published_at=5),
            "published_at: must be an ISO 8601 date-time",
        ),
        (lambda d: d["repos"][0]["releases"][0].pop("published_at"), "published_at"),
        (
            lambda d: d["repos"][0]["releases"][0].update(draft=True),
            "a draft release has no published_at",
        ),
        (
            lambda d: d["repos"][0]["releases"][0].update(tag=3),
            "releases[0].tag: must be a string",
        ),
        (
            lambda d: d.update(tokens=[{"value": "x", "permissions": {"contents": "admin"}}]),
            "permissions.contents: must be one of read, write",
        ),
        (
            lambda d: d.update(tokens=[{"value": "x", "permissions": {"issues": "read"}}]),
            "tokens[0].permissions: wrong keys (unknown 'issues')",
        ),
        (lambda d: d.update(tokens=[{"value": "a b"}]), "no whitespace"),
        (lambda d: d.update(tokens=[{"value": "a"}, {"value": "a"}]), "duplicate token"),
        (
            lambda d: d["repos"][0].update(environments=[{"name": "e", "required_reviewers": "x"}]),
            "environments[0].required_reviewers: must be a list",
        ),
        (
            lambda d: d["repos"][0].update(environments=[{"name": "e"}, {"name": "E"}]),
            "duplicate environment",
        ),
    ],
)
def test_invalid_documents(mutate: Any, expected: str) -> None:
    doc = _doc()
    mutate(doc)
    assert expected in _error(doc)


@pytest.mark.parametrize(
    ("asset", "expected"),
    [
        ({"name": "a", "content": "x", "size": 1}, "exactly one of 'content' and 'size'"),
        ({"name": "a"}, "exactly one of 'content' and 'size'"),
        ({"content": "x"}, "wrong keys (missing 'name')"),
        ({"name": "a", "size": -1}, "size: must be an integer of at least 0"),
        ({"name": "a", "size": "10"}, "size: must be an integer"),
        ({"name": "a", "size": True}, "size: must be an integer"),
        ({"name": "a", "size": 2 * 1024**3}, "under 2 GiB"),
        ({"name": "a", "content": "x", "digest": "md5:abc"}, "assets[0].digest: bad digest"),
        ({"name": "a", "content": "x", "digest": "sha256:ABC"}, "bad digest"),
        ({"name": "a", "content": 5}, "content: must be a string"),
    ],
)
def test_invalid_assets(asset: dict[str, Any], expected: str) -> None:
    msg = _error(_doc(assets=[asset]))
    assert "repos[0].releases[0].assets[0]" in msg
    assert expected in msg


def test_duplicate_asset_names_after_sanitizing() -> None:
    msg = _error(
        _doc(assets=[{"name": "a b.txt", "content": ""}, {"name": "a.b.txt", "content": ""}])
    )
    assert "repos[0].releases[0].assets[1]: duplicate asset name" in msg


def test_error_names_the_source() -> None:
    assert _error({"version": 1, "repos": "x"}).startswith("s.yaml: invalid seed: repos:")


def test_top_level_must_be_mapping() -> None:
    assert "must be an object" in _error([1, 2])


def test_yaml_dates_and_naive_times_are_utc() -> None:
    seed = parse_seed(_doc(published_at=dt.datetime(2024, 1, 2, 3, 4, 5)), source="t")
    assert seed.repos[0].releases[0].published_at == dt.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc
    )
    seed = parse_seed(_doc(published_at="2024-01-02T05:04:05+02:00"), source="t")
    assert seed.repos[0].releases[0].published_at == dt.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc
    )


def test_pseudo_random_bytes_are_deterministic_and_chunked() -> None:
    asset = AssetSpec(name="big.bin", size=3 * 1024 * 1024 + 17)
    first = list(asset_chunks("acme/widgets", "v1", asset, chunk_size=256 * 1024))
    assert max(len(c) for c in first) == 256 * 1024
    data = b"".join(first)
    assert len(data) == asset.byte_size
    assert data == b"".join(asset_chunks("acme/widgets", "v1", asset))
    assert data != b"".join(asset_chunks("acme/widgets", "v2", asset))
    other = AssetSpec(name="other.bin", size=asset.byte_size)
    assert data != b"".join(asset_chunks("acme/widgets", "v1", other))
    # Stable across versions of chainkit: pin the first bytes.
    assert (
        hashlib.sha256(data[:64]).hexdigest()
        == hashlib.sha256(
            b"".join(asset_chunks("acme/widgets", "v1", AssetSpec(name="big.bin", size=64)))
        ).hexdigest()
    )


def test_empty_asset() -> None:
    assert list(asset_chunks("a/b", "v", AssetSpec(name="e", size=0))) == []
    assert list(asset_chunks("a/b", "v", AssetSpec(name="e", content=b""))) == []


def test_default_seed_is_a_realistic_demo() -> None:
    seed = default_seed()
    (repo,) = seed.repos
    assert repo.full_name == "acme/widgets"
    env = {e.name: e for e in repo.environments}
    assert env["sigstore-backfill"].required_reviewers
    assert len(repo.releases) == 3
    assert sum(r.draft for r in repo.releases) == 1
    names = [a.name for r in repo.releases for a in r.assets]
    assert any(n.endswith(".whl") for n in names) and any(n.endswith(".tar.gz") for n in names)
    assert "SHA256SUMS" in names
    assert sum(a.digest_mode == "null" for r in repo.releases for a in r.assets) == 1
    # SHA256SUMS lists the true digests of its siblings.
    rel = next(r for r in repo.releases if any(a.name == "SHA256SUMS" for a in r.assets))
    sums = next(a for a in rel.assets if a.name == "SHA256SUMS")
    assert sums.content is not None
    listed = dict(line.split("  ")[::-1] for line in sums.content.decode().splitlines())
    for a in rel.assets:
        if a.name != "SHA256SUMS":
            data = b"".join(asset_chunks(repo.full_name, rel.tag, a))
            assert listed[a.name] == hashlib.sha256(data).hexdigest()
    assert default_seed() == seed


def test_seed_round_trips_through_json(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps(_doc(assets=[{"name": "x", "content": "y"}])))
    assert load_seed(p).repos[0].releases[0].assets[0].name == "x"
