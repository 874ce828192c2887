"""``chainkit verify`` never says PASSED over an unsigned asset (issue #10, item 4).

A release is backfilled through the CLI against the sandbox; then someone with write
access swaps, replaces or adds an asset without a bundle (the sandbox's admin endpoint
and the real PyGithub client), and the exact ``chainkit verify`` command that apply wrote
into the release notes is run again: it must fail, and name the asset as unsigned.
"""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed

TAG = "v1.0.0"
WHEEL = "w-1.0.0-py3-none-any.whl"
SDIST = "w-1.0.0.tar.gz"


def backfilled(sandbox_factory: Any, tmp_path: Path) -> tuple[FullSandbox, list[str]]:
    """A release signed by ``backfill apply``, and the verify command from its notes."""
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    TAG,
                    assets=[
                        asset(WHEEL, "wheel bytes", digest="auto"),
                        asset(SDIST, "sdist bytes", digest="auto"),
                    ],
                    published_at="2025-11-01T00:00:00Z",
                )
            ]
        )
    )
    plan_file = tmp_path / "plan.json"
    planned = sb.plan(plan_file)
    assert planned.exit_code == 0, planned.output
    digest = json.loads(plan_file.read_text())["plan_digest"]
    applied = sb.chainkit(*sb.apply_args(plan_file, digest, tmp_path / "state"))
    assert applied.exit_code == 0, applied.output
    body = sb.releases()[TAG].body
    command = next(line for line in body.splitlines() if line.startswith("chainkit verify"))
    argv = shlex.split(command)
    assert argv[:2] == ["chainkit", "verify"]
    return sb, argv[1:]


def _assets(sb: FullSandbox) -> dict[str, Any]:
    return {a.name: a for a in sb.releases()[TAG].get_assets()}


def swap_and_delete_bundle(sb: FullSandbox) -> str:
    """New bytes under the old name (GitHub's digest updated), the bundle deleted."""
    assets = _assets(sb)
    swapped = sb.admin(
        "PUT",
        f"repos/acme/widgets/releases/assets/{assets[WHEEL].id}/content",
        params={"digest": "update"},
        data=b"evil wheel",
    )
    assert swapped.status_code in (200, 204), swapped.text
    assets[WHEEL + ".sigstore.json"].delete_asset()
    return WHEEL


def replace_asset_and_delete_bundle(sb: FullSandbox) -> str:
    """The asset and its bundle deleted, another file uploaded under the same name."""
    assets = _assets(sb)
    assets[WHEEL].delete_asset()
    assets[WHEEL + ".sigstore.json"].delete_asset()
    sb.releases()[TAG].upload_asset_from_memory(io.BytesIO(b"evil"), 4, name=WHEEL)
    return WHEEL


def add_unsigned_asset(sb: FullSandbox) -> str:
    """A new asset, uploaded after the backfill without a bundle."""
    sb.releases()[TAG].upload_asset_from_memory(io.BytesIO(b"late"), 4, name="extra.whl")
    return "extra.whl"


def swap_and_delete_bundle_and_attestation(sb: FullSandbox) -> str:
    """As :func:`swap_and_delete_bundle`, and the backfill attestation deleted too."""
    name = swap_and_delete_bundle(sb)
    for found, handle in _assets(sb).items():
        if "chainkit-backfill-attestation" in found:
            handle.delete_asset()
    return name


ATTACKS: list[Callable[[FullSandbox], str]] = [
    swap_and_delete_bundle,
    replace_asset_and_delete_bundle,
    add_unsigned_asset,
    swap_and_delete_bundle_and_attestation,
]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda f: f.__name__)
def test_the_notes_command_fails_once_an_asset_has_no_bundle(
    sandbox_factory: Any, tmp_path: Path, attack: Callable[[FullSandbox], str]
) -> None:
    sb, command = backfilled(sandbox_factory, tmp_path)
    assert sb.chainkit(*command).exit_code == 0  # the command passes right after apply

    unsigned = attack(sb)
    result = sb.chainkit(*command)
    assert result.exit_code == 1, result.output
    assert "PASSED" not in result.stdout and "FAILED" in result.stdout
    as_json = sb.chainkit(*command, "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    rows = {b["subject"]: b for b in report["bundles"]}
    assert rows[unsigned]["status"] == "unsigned" and rows[unsigned]["ok"] is False
    assert rows[SDIST]["status"] == "verified"
    # each asset is counted once: unsigned, not also failed
    assert report["summary"]["unsigned"] == 1
    assert report["summary"]["verified"] == len(rows) - 1  # every other asset still verifies
    assert report["summary"]["failed"] == sum(not a["ok"] for a in report["attestations"])


def test_allow_unsigned_reports_but_does_not_fail(sandbox_factory: Any, tmp_path: Path) -> None:
    sb, command = backfilled(sandbox_factory, tmp_path)
    add_unsigned_asset(sb)
    result = sb.chainkit(*command, "--allow-unsigned", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"] == {"verified": 2, "failed": 0, "unsigned": 1, "attestations": 1}
    (row,) = [b for b in report["bundles"] if b["status"] == "unsigned"]
    assert row["subject"] == "extra.whl" and row["ok"] is True
    # the table says so too, on stdout
    table = sb.chainkit(*command, "--allow-unsigned")
    assert table.exit_code == 0
    assert "PASSED" in table.stdout and "1 unsigned" in table.stdout


def test_a_release_without_any_bundle_fails(sandbox_factory: Any) -> None:
    sb: FullSandbox = sandbox_factory(seed(releases=[release(TAG, assets=[asset(WHEEL, "w")])]))
    result = sb.chainkit(
        "verify", "--repo", "acme/widgets", "--cert-identity", sb.identity(),
        "--cert-oidc-issuer", "https://token.actions.githubusercontent.com", "--json",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["summary"] == {"verified": 0, "failed": 0, "unsigned": 1, "attestations": 0}
