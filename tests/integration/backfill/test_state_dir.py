"""The state directory is untrusted (it may come from a cache or an artifact).

Planted journal entries, bundles, attestations and symlinks in it must never make
apply sign bytes it did not download and hash in this run, upload anything it did not
verify against this run's identity, or write outside the state directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed
from chainkit.backfill._paths import local_name
from integration.backfill._flow import (
    apply,
    asset_bytes,
    attestation_subjects,
    bundle_sha256,
    make_plan,
    outcome,
    sha,
    upload,
)

EVIL = b"eee"  # the size of the real bytes, so only the digest differs


def unverified_seed() -> dict[str, Any]:
    """An asset without evidence (signed only with --allow-unverified): no sha256 to check."""
    return seed(releases=[release("v1.0.0", assets=[asset("d.whl", "ddd", digest=None)])])


def planted(tmp_path: Path, plan: dict[str, Any], *events: dict[str, Any]) -> tuple[Path, Path]:
    """A state directory whose journal for ``plan`` holds ``events``; (state dir, plan dir)."""
    state = tmp_path / "state"
    root = state / plan["plan_digest"][:16]
    for sub in ("work", "bundles", "attestations"):
        (root / sub).mkdir(parents=True, mode=0o700)
    lines = [{"step": "plan", "plan_digest": plan["plan_digest"]}, *events]
    (root / "journal.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    return state, root


def _plan(sb: FullSandbox, tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    path = tmp_path / "plan.json"
    plan = make_plan(sb, path, "--allow-unverified")
    (target,) = plan["releases"][0]["assets"]
    return path, plan, target


def assert_signed_true_bytes(sb: FullSandbox, plan: dict[str, Any]) -> None:
    assert bundle_sha256(asset_bytes(sb, "v1.0.0", "d.whl.sigstore.json")) == sha("ddd")
    name = plan["releases"][0]["attestation"]["name"]
    assert attestation_subjects(sb, "v1.0.0", name) == [("d.whl", sha("ddd"))]


def test_a_planted_download_does_not_choose_the_signed_bytes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(unverified_seed())
    path, plan, target = _plan(sb, tmp_path)
    event = {"step": "asset.downloaded", "asset_id": target["id"], "sha256": sha(EVIL)}
    state, root = planted(tmp_path, plan, event)
    (root / "work" / local_name(target["id"], target["name"])).write_bytes(EVIL)
    result = apply(sb, path, plan["plan_digest"], state)
    assert result.exit_code == 0, result.output
    assert_signed_true_bytes(sb, plan)


def test_a_planted_upload_record_does_not_choose_the_attested_digest(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(unverified_seed())
    path, plan, target = _plan(sb, tmp_path)
    event = {
        "step": "asset.uploaded",
        "asset_id": target["id"],
        "sha256": sha(EVIL),
        "bundle_name": target["bundle_name"],
    }
    state, _ = planted(tmp_path, plan, event)
    result = apply(sb, path, plan["plan_digest"], state)
    assert result.exit_code == 0, result.output
    assert_signed_true_bytes(sb, plan)


def test_a_planted_attestation_is_verified_before_upload(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(unverified_seed())
    path, plan, _ = _plan(sb, tmp_path)
    release_id = plan["releases"][0]["id"]
    state, root = planted(tmp_path, plan, {"step": "attestation.signed", "release_id": release_id})
    (root / "attestations" / f"{release_id}.sigstore.json").write_bytes(b'{"planted": true}')
    result = apply(sb, path, plan["plan_digest"], state)
    assert result.exit_code == 0, result.output
    assert_signed_true_bytes(sb, plan)


@pytest.mark.parametrize("where", ["journal.jsonl", "work", "bundles", "work-file"])
def test_symlinks_in_the_state_directory_never_write_outside(
    where: str, sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(unverified_seed())
    path, plan, target = _plan(sb, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_bytes(b"untouched")
    state, root = planted(tmp_path, plan)
    link = {
        "journal.jsonl": root / "journal.jsonl",
        "work": root / "work",
        "bundles": root / "bundles",
        "work-file": root / "work" / local_name(target["id"], target["name"]),
    }[where]
    if link.is_dir():
        link.rmdir()
    else:
        link.unlink(missing_ok=True)
    link.symlink_to(victim if where in {"journal.jsonl", "work-file"} else outside)

    result = apply(sb, path, plan["plan_digest"], state)
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert victim.read_bytes() == b"untouched"
    if where != "work-file":  # a symlinked directory or journal: refused before anything
        assert result.exit_code == 2, result.output
        assert "symlink" in result.stderr or "symbolic link" in result.stderr
        assert sb.tree_size() == 0


def immutable_seed() -> dict[str, Any]:
    """v2.0.0 (mutable, a bystander) and v1.0.0 (immutable: bundles go to a bundle release)."""
    return seed(
        releases=[
            release(
                "v2.0.0",
                published_at="2025-12-01T00:00:00Z",
                body="v2 notes",
                assets=[asset("w-2.whl", "two", digest="auto")],
            ),
            release(
                "v1.0.0",
                immutable=True,
                body="Immutable notes",
                published_at="2025-11-01T00:00:00Z",
                assets=[asset("w-1.0.0.whl", "one", digest="auto")],
            ),
        ]
    )


def _bundle_plan(sb: FullSandbox, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "plan.json"
    plan = make_plan(sb, path, "--bundle-release", "sigstore-bundles", "--tags", "v1.0.0")
    assert plan["bundle_release"]["create"] is True
    return path, plan


def test_a_planted_journal_never_chooses_the_bundle_release(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(immutable_seed())
    path, plan = _bundle_plan(sb, tmp_path)
    v2 = sb.releases()["v2.0.0"]
    event = {"step": "bundle-release.created", "release_id": v2.id}
    state, _ = planted(tmp_path, plan, event)
    result = apply(sb, path, plan["plan_digest"], state)
    assert result.exit_code == 0, result.output
    after = sb.releases()
    # the bundle release the plan names was created and holds the bundles, v2.0.0 nothing
    assert [a.name for a in after["v2.0.0"].get_assets()] == ["w-2.whl"]
    assert after["v2.0.0"].body == "v2 notes"
    home = {a.name for a in after["sigstore-bundles"].get_assets()}
    assert "v1.0.0--w-1.0.0.whl.sigstore.json" in home
    assert "releases/download/sigstore-bundles/" in after["v1.0.0"].body
    assert "releases/download/v2.0.0/" not in after["v1.0.0"].body


def test_a_planted_upload_record_with_a_copied_bundle_is_not_done(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v0.9.0",
                    published_at="2025-10-01T00:00:00Z",
                    assets=[asset("x.whl", "xxx", digest=None)],
                ),
                release(
                    "v1.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("d.whl", "ddd", digest=None)],
                ),
            ]
        )
    )
    p0 = tmp_path / "p0.json"
    plan0 = make_plan(sb, p0, "--allow-unverified", "--tags", "v0.9.0")
    assert apply(sb, p0, plan0["plan_digest"], tmp_path / "s0").exit_code == 0
    xbundle = asset_bytes(sb, "v0.9.0", "x.whl.sigstore.json")  # ours, over sha("xxx")
    path = tmp_path / "plan.json"
    plan = make_plan(sb, path, "--allow-unverified", "--tags", "v1.0.0")
    (target,) = plan["releases"][0]["assets"]
    upload(sb, plan["releases"][0]["id"], "d.whl.sigstore.json", xbundle)  # copied bundle
    event = {
        "step": "asset.uploaded",
        "asset_id": target["id"],
        "sha256": sha("xxx"),
        "bundle_name": "d.whl.sigstore.json",
    }
    state, _ = planted(tmp_path, plan, event)
    result = apply(sb, path, plan["plan_digest"], state)
    # no digest stated by the plan or GitHub: downloaded and hashed again, the copied
    # bundle does not verify over those bytes and is left as is (drift), never listed
    assert result.exit_code == 1, result.output
    assert outcome(result, "d.whl")["result"] == "drift"
    assert "d.whl.sigstore.json" not in (sb.releases()["v1.0.0"].body or "")


@pytest.mark.parametrize(
    "event",
    [
        {"step": "bundle-release.created", "release_id": "x"},
        {"step": "asset.blocked", "asset_id": 1, "sha256": "0" * 64},  # no detail
        {"step": "asset.uploaded", "asset_id": 1, "sha256": "0" * 64, "bundle_name": 3},
        {"step": "no.such.step"},
        ["not", "an", "object"],
    ],
    ids=["release-id-text", "blocked-no-detail", "bundle-name-int", "unknown-step", "list"],
)
def test_a_malformed_journal_is_refused_naming_the_state_directory(
    sandbox_factory: Any, tmp_path: Path, event: Any
) -> None:
    sb: FullSandbox = sandbox_factory(immutable_seed())
    path, plan = _bundle_plan(sb, tmp_path)
    state, root = planted(tmp_path, plan, event)
    result = apply(sb, path, plan["plan_digest"], state)
    assert result.exit_code == 2, result.output
    assert str(root) in result.stderr and "malformed journal" in result.stderr
    assert "sigstore-bundles" not in sb.releases()  # refused before anything was done


def test_a_torn_last_journal_line_is_tolerated(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(unverified_seed())
    path, plan, _ = _plan(sb, tmp_path)
    state, root = planted(tmp_path, plan)
    with (root / "journal.jsonl").open("a") as fh:
        fh.write('{"step": "asset.dow')  # killed mid-write
    assert apply(sb, path, plan["plan_digest"], state).exit_code == 0
    assert_signed_true_bytes(sb, plan)
    # the next record started a line of its own: the journal reads back
    assert apply(sb, path, plan["plan_digest"], state).exit_code == 0


def test_a_planted_block_does_not_block_an_asset(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(immutable_seed())
    path = tmp_path / "plan.json"
    plan = make_plan(sb, path, "--tags", "v2.0.0")
    (target,) = plan["releases"][0]["assets"]
    event = {
        "step": "asset.blocked",
        "asset_id": target["id"],
        "sha256": sha("evil"),
        "detail": "ok\n::error::forged\x1b[2J",
    }
    state, _ = planted(tmp_path, plan, event)
    result = apply(sb, path, plan["plan_digest"], state)
    # downloaded again: the bytes match the plan, so the asset is signed
    assert result.exit_code == 0, result.output
    assert outcome(result, "w-2.whl")["result"] == "signed"
    assert "forged" not in result.output and "\x1b" not in result.stderr
    assert bundle_sha256(asset_bytes(sb, "v2.0.0", "w-2.whl.sigstore.json")) == sha("two")
