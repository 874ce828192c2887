"""The release walk through the CLI against the sandbox: drafts, orphan bundles, selection
errors, and hostile asset names in the table and the step summary."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from _plugins.sandbox import ISSUER, FullSandbox, asset, release, seed

HOSTILE = "[/]x[bold red]PASSED[/] | <img src=x> `y`\n| injected |"


def run(sb: FullSandbox, *args: str, **env: str) -> Any:
    return sb.chainkit(
        "verify", "--repo", "acme/widgets", *args, "--cert-identity", sb.identity(),
        "--cert-oidc-issuer", ISSUER, env=sb.env(**env),
    )  # fmt: skip


def test_drafts_are_checked_only_with_include_drafts(sandbox_factory: Any) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release("v1", assets=[asset("a.whl", "a")]),
                release("v2", draft=True, assets=[asset("d.whl", "d")]),
            ]
        )
    )
    published = run(sb, "--json", "--allow-unsigned")
    assert published.exit_code == 0, published.output
    assert [b["subject"] for b in json.loads(published.stdout)["bundles"]] == ["a.whl"]
    drafts = run(sb, "--json", "--allow-unsigned", "--include-drafts")
    assert sorted(b["subject"] for b in json.loads(drafts.stdout)["bundles"]) == [
        "a.whl",
        "d.whl",
    ]


def test_a_bundle_without_its_asset_fails(sandbox_factory: Any) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(releases=[release("v1", assets=[asset("gone.whl.sigstore.json", "{}")])])
    )
    result = run(sb, "--json")
    assert result.exit_code == 1, result.output
    (row,) = json.loads(result.stdout)["bundles"]
    assert row["status"] == "failed" and "missing" in row["reason"]


def test_selecting_nothing_is_a_usage_error(sandbox_factory: Any) -> None:
    sb: FullSandbox = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", "a")])]))
    no_tag = run(sb, "--tag", "v9*")
    assert no_tag.exit_code == 2
    assert "no release of acme/widgets matches --tag v9*" in no_tag.stderr
    no_asset = run(sb, "--assets", "*.tar.gz")
    assert no_asset.exit_code == 2
    assert "no assets matching --assets *.tar.gz" in no_asset.stderr


def test_hostile_asset_names_stay_text(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", "a")])]))
    (handle,) = sb.releases()["v1"].get_assets()
    renamed = sb.admin(
        "PUT", f"repos/acme/widgets/releases/assets/{handle.id}/raw-name", json={"name": HOSTILE}
    )
    assert renamed.status_code in (200, 204), renamed.text
    summary = tmp_path / "summary.md"
    result = run(sb, GITHUB_STEP_SUMMARY=str(summary))
    # no Rich markup is read from the name: the run reports it, unsigned, and fails
    assert result.exit_code == 1, result.output
    assert "[bold red]PASSED[/]" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("FAILED: 0 verified")
    # the step summary: one table row for the asset, four cells, no raw HTML
    rows = [line for line in summary.read_text().splitlines() if line.startswith("| v1 ")]
    assert len(rows) == 1
    assert len(re.findall(r"(?<!\\)\|", rows[0])) == 5
    assert not re.search(r"(?<!\\)<", summary.read_text())
