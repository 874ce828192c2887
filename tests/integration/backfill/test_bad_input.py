"""Hostile and broken input for ``chainkit backfill``: each a clear error or a safe result.

Asset names that try to leave the state directory, malformed checksum files, tags
full of shell metacharacters, hand-edited plans, plans for another repository,
expired identity tokens, bad and read-only tokens, and drift between plan and apply.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from pathlib import Path
from typing import Any

import pytest
import requests

from _plugins.sandbox import ISSUER, FullSandbox
from _plugins.sandbox import asset as sandbox_asset
from _plugins.sandbox import release as sandbox_release
from _plugins.sandbox import seed as sandbox_seed
from integration.backfill._flow import REVIEWED

BODY = "Before the section.\r\n\r\nAfter the section.\r\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed(releases: list[dict[str, Any]]) -> dict[str, Any]:
    return sandbox_seed(environments=[REVIEWED], releases=releases)


def release(tag: str, assets: dict[str, str], *, day: int = 1, **extra: Any) -> dict[str, Any]:
    return sandbox_release(
        tag,
        body=BODY,
        published_at=f"2020-01-{day:02d}T00:00:00Z",
        assets=[sandbox_asset(n, c, digest="auto") for n, c in assets.items()],
        **extra,
    )


def make_plan(sb: FullSandbox, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(path), "--json", *extra,
        env=sb.env(token="read"),
    )  # fmt: skip
    if result.exit_code not in (0, 1):
        return result.exit_code, {"stderr": result.stderr}
    return result.exit_code, json.loads(result.stdout)


def files_under(root: Path) -> set[Path]:
    return {Path(d, f) for d, _, names in os.walk(root) for f in names} | {
        Path(d) for d, _, _ in os.walk(root)
    }


# -- names that try to escape -------------------------------------------------------------

HOSTILE = [
    "../../../../escape-dotdot.whl",
    "nested/dir/../../escape-slash.whl",
    "/tmp/escape-absolute.whl",
    "ctl\x01\x1b[31m\x7f\tescape.whl",
    "é" * 150,  # 300 bytes of UTF-8
    "x" * 300,
]


def test_hostile_asset_names_stay_inside_the_state_directory(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    contents = {f"asset{i}.bin": f"content {i}" for i in range(len(HOSTILE))}
    sb: FullSandbox = sandbox_factory(seed([release("v1.0.0", contents)]))
    (rel,) = sb.releases().values()
    for asset, hostile in zip(sorted(rel.get_assets(), key=lambda a: a.name), HOSTILE, strict=True):
        answer = sb.admin(
            "PUT",
            f"repos/acme/widgets/releases/assets/{asset.id}/raw-name",
            json={"name": hostile},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == hostile

    deep = tmp_path / "a" / "b" / "c" / "d"
    plan_dir, state, cwd = deep / "plan", deep / "state", deep / "cwd"
    for d in (plan_dir, cwd):
        d.mkdir(parents=True)
    plan = plan_dir / "plan.json"
    before = files_under(tmp_path)
    code, out = make_plan(sb, plan)
    assert code == 0, out
    names = {a["name"] for r in json.loads(plan.read_text())["releases"] for a in r["assets"]}
    assert names == set(HOSTILE)

    result = sb.chainkit_process(*sb.apply_args(plan, out["plan_digest"], state), cwd=cwd)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["signed"] == len(HOSTILE)

    created = files_under(tmp_path) - before
    outside = {
        p for p in created if not (p.is_relative_to(state) or p.is_relative_to(plan_dir))
    } - {state}
    assert outside == set(), outside
    assert list(cwd.iterdir()) == []
    assert not list(tmp_path.parent.glob("**/escape-*"))
    assert not Path("/tmp/escape-absolute.whl.sigstore.json").exists()
    # local files are named by id and hash, never by the asset's name
    for path in created:
        if path.is_file():
            assert path.name.isascii() and len(path.name) < 100, path

    # the notes carry the names without breaking the section or the markers
    body = sb.releases()["v1.0.0"].body
    assert body.startswith(BODY)
    assert body.count("<!-- chainkit:backfill -->") == 1
    assert body.count("<!-- /chainkit:backfill -->") == 1
    assert "\x00" not in body and "\x1b" not in body


# -- malformed checksum files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("SHA256SUMS", f"{_sha(b'w')}  w.whl\nthis is not a checksum line\n", 2),
        ("checksums.txt", f"{_sha(b'w')}  w.whl\n\n{_sha(b'w')}\n", 3),
        ("w.whl.sha256", "not-hex-at-all\n", 1),
    ],
)
def test_malformed_checksum_file_is_a_usage_error(
    sandbox_factory: Any, tmp_path: Path, name: str, content: str, line: int
) -> None:
    sb: FullSandbox = sandbox_factory(seed([release("v1.0.0", {"w.whl": "w", name: content})]))
    code, out = make_plan(sb, tmp_path / "plan.json")
    assert code == 2, out
    assert name in out["stderr"] and f"line {line}" in out["stderr"], out["stderr"]
    assert not (tmp_path / "plan.json").exists()


# -- tags with shell metacharacters ----------------------------------------------------------

TAGS = ["v1.0;rm -rf", "$(x)", "`id`", "v 2 with spaces", "v3'\"&|<>"]


def test_tags_with_shell_metacharacters_round_trip(sandbox_factory: Any, tmp_path: Path) -> None:
    rels = [release(tag, {f"pkg{i}.whl": f"bytes {i}"}, day=i + 1) for i, tag in enumerate(TAGS)]
    sb: FullSandbox = sandbox_factory(seed(rels))
    plan = tmp_path / "plan.json"
    code, out = make_plan(sb, plan)
    assert code == 0, out
    assert {r["tag"] for r in json.loads(plan.read_text())["releases"]} == set(TAGS)
    result = sb.chainkit(*sb.apply_args(plan, out["plan_digest"], tmp_path / "state"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["signed"] == len(TAGS)

    published = sb.releases()
    for tag in TAGS:
        body = published[tag].body
        assert body.startswith(BODY)
        # the copy-paste command quotes the tag for a POSIX shell
        command = next(line for line in body.splitlines() if line.startswith("chainkit verify"))
        argv = shlex.split(command)
        assert argv[argv.index("--tag") + 1] == tag

    identity = sb.identity()
    for tag in TAGS:
        result = sb.chainkit(
            "verify", "--repo", "acme/widgets", "--tag", tag, "--cert-identity", identity,
            "--cert-oidc-issuer", ISSUER, "--json",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["summary"]["verified"] == 1


# -- plans that must be refused ----------------------------------------------------------------


def test_refused_plans_tokens_and_identity(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(seed([release("v1.0.0", {"w.whl": "w", "s.tar.gz": "s"})]))
    plan = tmp_path / "plan.json"
    code, out = make_plan(sb, plan)
    assert code == 0, out
    digest = out["plan_digest"]
    state = tmp_path / "state"
    original_body = sb.releases()["v1.0.0"].body
    sb.clear_requests()

    # a hand-edited plan: the recorded plan_digest no longer matches
    edited = json.loads(plan.read_text())
    edited["releases"][0]["assets"][0]["expected_sha256"] = "0" * 64
    hand = tmp_path / "hand-edited.json"
    hand.write_text(json.dumps(edited, indent=2))
    result = sb.chainkit(*sb.apply_args(hand, digest, state))
    assert result.exit_code == 2, result.output
    assert "digest" in result.stderr
    # the same, resealed by the editor: not the digest the approver saw
    result = sb.chainkit(*sb.apply_args(hand, "f" * 64, state))
    assert result.exit_code == 2, result.output

    # not a plan at all: truncated JSON, an unknown format version
    broken = tmp_path / "broken.json"
    broken.write_text(plan.read_text()[:200])
    result = sb.chainkit(*sb.apply_args(broken, digest, state))
    assert result.exit_code == 2, result.output
    assert str(broken) in result.stderr or "broken.json" in result.stderr
    future = json.loads(plan.read_text())
    future["schema"] = "chainkit.dev/backfill-plan/v99"
    broken.write_text(json.dumps(future))
    result = sb.chainkit(*sb.apply_args(broken, digest, state))
    assert result.exit_code == 2, result.output
    assert "v99" in result.stderr

    # a plan for another repository
    result = sb.chainkit(*sb.apply_args(plan, digest, state, "--repo", "acme/other"))
    assert result.exit_code == 2, result.output
    assert "acme/other" in result.stderr

    # an expired identity token: refused before anything is downloaded or signed
    args = sb.apply_args(plan, digest, state)
    expired = sb.identity_token(lifetime=60, now=_hours_ago(2))
    args[args.index("--identity-token") + 1] = expired
    result = sb.chainkit(*args)
    assert result.exit_code == 2, result.output
    assert "expired" in result.stderr
    assert expired not in result.output

    # nothing of this reached GitHub or the transparency log
    assert sb.writes() == []
    assert not any(r["kind"] in {"download", "storage"} for r in sb.requests_log())
    assert sb.tree_size() == 0

    # 401: a token GitHub does not know
    result = sb.chainkit(*sb.apply_args(plan, digest, state), env=sb.env(token="bogus-token"))
    assert result.exit_code == 2, result.output
    assert "401" in result.stderr and "bogus-token" not in result.output
    # a read-only token: refused before anything is downloaded or signed (a transparency
    # log entry is forever), from the permissions GitHub states for the token
    result = sb.chainkit(*sb.apply_args(plan, digest, state), env=sb.env(token="read"))
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.stderr and "contents: write" in result.stderr
    assert sb.writes() == []
    assert not any(r["kind"] in {"download", "storage"} for r in sb.requests_log())
    assert sb.tree_size() == 0
    # nothing half-written: the notes are unchanged, no asset was added
    after = sb.releases()["v1.0.0"]
    assert after.body == original_body
    assert sorted(a.name for a in after.get_assets()) == ["s.tar.gz", "w.whl"]

    # with the right token the same plan and state directory finish the work
    result = sb.chainkit(*sb.apply_args(plan, digest, state))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["signed"] == 2


def _hours_ago(hours: int) -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) - timedelta(hours=hours)


# -- drift between plan and apply --------------------------------------------------------------


def test_drift_between_plan_and_apply(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            [
                release("v1.0.0", {"same-size.whl": "AAAA", "resized.whl": "BBBB"}, day=1),
                release("v1.1.0", {"frozen.whl": "CCCC"}, day=2),
                release("v1.2.0", {"notes.whl": "DDDD"}, day=3),
                release("v1.3.0", {"foreign.whl": "FFFF"}, day=4),
            ]
        )
    )
    plan = tmp_path / "plan.json"
    code, out = make_plan(sb, plan)
    assert code == 0, out
    rels = sb.releases()
    ids = {a.name: a.id for r in rels.values() for a in r.get_assets()}

    # bytes replaced, digest left stale (same size) and recomputed (new size)
    for name, content, digest in (
        ("same-size.whl", b"EVIL", "keep"),
        ("resized.whl", b"EVIL!", "update"),
    ):
        answer = sb.admin(
            "PUT",
            f"repos/acme/widgets/releases/assets/{ids[name]}/content?digest={digest}",
            data=content,
        )
        assert answer.status_code == 200, answer.text
    # a release made immutable
    answer = sb.admin(
        "PATCH", f"repos/acme/widgets/releases/{rels['v1.1.0'].id}", json={"immutable": True}
    )
    assert answer.status_code == 200, answer.text
    # notes edited outside the section
    edited_body = BODY + "An edit made after the plan.\r\n"
    answer = requests.patch(
        f"{sb.api_url}/repos/acme/widgets/releases/{rels['v1.2.0'].id}",
        json={"body": edited_body},
        headers={"Authorization": f"token {sb.info.token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text

    # foreign files took the names of the attestation and of a bundle
    attestation = json.loads(plan.read_text())["releases"][0]["attestation"]["name"]
    for tag, name in (("v1.2.0", attestation), ("v1.3.0", "foreign.whl.sigstore.json")):
        answer = requests.post(
            f"{sb.api_url}/uploads/repos/acme/widgets/releases/{rels[tag].id}/assets",
            params={"name": name},
            data=b"{}",
            headers={"Authorization": f"token {sb.info.token}", "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text

    sb.clear_requests()
    result = sb.chainkit(*sb.apply_args(plan, out["plan_digest"], tmp_path / "state"))
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    by_item = {(o["release"], o["item"]): o for o in report["outcomes"]}
    # replaced bytes change the asset's updated_at: drift, found before downloading
    assert by_item[("v1.0.0", "same-size.whl")]["result"] == "drift"
    assert by_item[("v1.0.0", "resized.whl")]["result"] in {"drift", "blocked"}
    assert by_item[("v1.1.0", "frozen.whl")]["result"] == "drift"
    assert "immutable" in by_item[("v1.1.0", "frozen.whl")]["detail"]
    notes = by_item[("v1.2.0", "release notes")]
    assert notes["result"] == "drift" and "changed since the plan" in notes["detail"]
    foreign = by_item[("v1.2.0", attestation)]
    assert (foreign["kind"], foreign["result"]) == ("attestation", "conflict")
    foreign = by_item[("v1.3.0", "foreign.whl")]
    assert foreign["result"] == "drift" and "not a valid Sigstore bundle" in foreign["detail"]
    assert ("v1.3.0", "release notes") not in by_item  # nothing signed there: notes untouched

    after = sb.releases()
    # the changed assets were never signed or uploaded, the immutable release took nothing
    assert sb.tree_size() == 1  # notes.whl only: the attestation's name was taken
    assert not any(a.name.endswith(".sigstore.json") for a in after["v1.0.0"].get_assets())
    assert not any(a.name.endswith(".sigstore.json") for a in after["v1.1.0"].get_assets())
    # the edited notes were not overwritten
    assert after["v1.2.0"].body == edited_body
    assert after["v1.0.0"].body == BODY and after["v1.1.0"].body == BODY
    assert after["v1.3.0"].body == BODY
    assert [r["kind"] for r in sb.writes()] == ["upload"]
    assert len([a for a in after["v1.2.0"].get_assets() if a.name == attestation]) == 1
