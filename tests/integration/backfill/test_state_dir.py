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
    sha,
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
