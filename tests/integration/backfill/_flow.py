"""The backfill flow as the integration tests drive it: plan, craft, apply, inspect.

Everything goes through the CLI (``FullSandbox.chainkit``) against the sandbox; the
inspection helpers read what GitHub serves with the real PyGithub client or plain HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import requests
from click.testing import Result

from _plugins.sandbox import FullSandbox, asset, release, seed
from chainkit.backfill._plan import compute_digest

__all__ = [
    "REVIEWED",
    "apply",
    "asset_bytes",
    "attestation_subjects",
    "bundle_sha256",
    "make_plan",
    "outcome",
    "reseal",
    "sha",
    "two_wheels",
    "upload",
]

REVIEWED = {"name": "sigstore-backfill", "required_reviewers": ["release-team"]}
"""The protected environment a reviewed apply runs in."""


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def two_wheels(**fields: Any) -> dict[str, Any]:
    """acme/widgets with release v1.0.0 holding a.whl and b.whl, both with GitHub digests."""
    return seed(
        releases=[
            release(
                "v1.0.0",
                published_at="2025-11-01T00:00:00Z",
                assets=[asset("a.whl", "aaa", digest="auto"), asset("b.whl", "bbb", digest="auto")],
                **fields,
            )
        ]
    )


def make_plan(sb: FullSandbox, path: Path, *args: str, exit_code: int = 0) -> dict[str, Any]:
    """``backfill plan`` into ``path``; the plan's JSON (exit 1: something is blocked)."""
    result = sb.plan(path, *args)
    assert result.exit_code == exit_code, result.output
    plan: dict[str, Any] = json.loads(path.read_text())
    return plan


def reseal(plan: dict[str, Any], path: Path) -> str:
    """Seal a crafted plan with the plan module's own helper, as an attacker could."""
    plan["plan_digest"] = compute_digest(plan)
    path.write_text(json.dumps(plan), encoding="utf-8")
    digest: str = plan["plan_digest"]
    return digest


def apply(sb: FullSandbox, plan: Path, digest: str, state: Path, *extra: str) -> Result:
    return sb.chainkit(*sb.apply_args(plan, digest, state, *extra))


def apply_crafted(
    sb: FullSandbox, plan: dict[str, Any], tmp_path: Path, state: Path, *extra: str
) -> Result:
    """Re-seal a crafted plan as ``tmp_path/crafted.json`` and apply it under its new digest
    (what an attacker who can re-seal plans gets a reviewer to approve)."""
    crafted = tmp_path / "crafted.json"
    return apply(sb, crafted, reseal(plan, crafted), state, *extra)


def outcome(result: Result, item: str) -> dict[str, Any]:
    report = json.loads(result.stdout)
    found: dict[str, Any] = next(o for o in report["outcomes"] if o["item"] == item)
    return found


def asset_bytes(sb: FullSandbox, tag: str, name: str) -> bytes:
    release = sb.releases()[tag]
    asset = next(a for a in release.get_assets() if a.name == name)
    answer = requests.get(asset.browser_download_url, timeout=30)
    answer.raise_for_status()
    return answer.content


def bundle_sha256(bundle: bytes) -> str:
    """The digest a (message-signature) Sigstore bundle signs, as hex."""
    data = json.loads(bundle)
    digest = data["messageSignature"]["messageDigest"]["digest"]
    return base64.b64decode(digest).hex()


def attestation_subjects(sb: FullSandbox, tag: str, name: str) -> list[tuple[str, str]]:
    """``(subject name, sha256)`` of the backfill attestation ``name`` on release ``tag``."""
    envelope = json.loads(asset_bytes(sb, tag, name))["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    return sorted((s["name"], s["digest"]["sha256"]) for s in statement["subject"])


def upload(sb: FullSandbox, release_id: int, name: str, data: bytes) -> None:
    """Upload an asset with the write token, as another maintainer (or an attacker) could."""
    answer = requests.post(
        f"{sb.api_url}/uploads/repos/acme/widgets/releases/{release_id}/assets",
        params={"name": name},
        data=data,
        headers={"Authorization": f"token {sb.info.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
