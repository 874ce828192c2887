"""``chainkit verify`` honours ``GITHUB_REPOSITORY`` like every command (issue #10, item 15).

Precedence: ``--repo``, then ``CHAINKIT_REPO``, then ``GITHUB_REPOSITORY``. With FILE arguments
the environment is not a ``--repo``: in Actions ``GITHUB_REPOSITORY`` is always set, and
``verify FILE`` must work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import ISSUER, FullSandbox, asset, release, repository, seed

SIGNED = "acme/widgets"
UNSIGNED = "acme/other"
WHEEL = "w-1.0.0-py3-none-any.whl"


@pytest.fixture
def sb(sandbox_factory: Any, tmp_path: Path) -> FullSandbox:
    """acme/widgets backfilled (its one asset signed); acme/other with an unsigned asset."""
    full: FullSandbox = sandbox_factory(
        seed(
            repos=[
                repository(
                    SIGNED,
                    releases=[
                        release(
                            "v1.0.0",
                            assets=[asset(WHEEL, "wheel", digest="auto")],
                            published_at="2025-11-01T00:00:00Z",
                        )
                    ],
                ),
                repository(UNSIGNED, releases=[release("v1.0.0", assets=[asset("o.whl", "o")])]),
            ]
        )
    )
    plan_file = tmp_path / "plan.json"
    planned = full.plan(plan_file)
    assert planned.exit_code == 0, planned.output
    digest = json.loads(plan_file.read_text())["plan_digest"]
    applied = full.chainkit(*full.apply_args(plan_file, digest, tmp_path / "state"))
    assert applied.exit_code == 0, applied.output
    return full


def run(sb: FullSandbox, *args: str, **env: str) -> Any:
    return sb.chainkit(
        "verify", *args, "--cert-identity", sb.identity(), "--cert-oidc-issuer", ISSUER, "--json",
        env=sb.env(**env),
    )  # fmt: skip


def subjects(result: Any) -> set[tuple[str, str]]:
    return {(b["subject"], b["status"]) for b in json.loads(result.stdout)["bundles"]}


def test_github_repository_is_the_default_repository(sb: FullSandbox) -> None:
    result = run(sb, GITHUB_REPOSITORY=SIGNED)
    assert result.exit_code == 0, result.output
    assert subjects(result) == {(WHEEL, "verified")}


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {"CHAINKIT_REPO": SIGNED, "GITHUB_REPOSITORY": UNSIGNED}, SIGNED),
        (("--repo", UNSIGNED), {"CHAINKIT_REPO": SIGNED, "GITHUB_REPOSITORY": SIGNED}, UNSIGNED),
        (("--repo", SIGNED), {"GITHUB_REPOSITORY": UNSIGNED}, SIGNED),
    ],
    ids=["chainkit-repo-over-github-repository", "repo-over-both", "repo-over-github"],
)
def test_precedence(
    sb: FullSandbox, args: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    result = run(sb, *args, **env)
    if expected == SIGNED:
        assert result.exit_code == 0, result.output
        assert subjects(result) == {(WHEEL, "verified")}
    else:
        assert result.exit_code == 1, result.output
        assert subjects(result) == {("o.whl", "unsigned")}


def test_files_are_verified_whatever_the_environment_says(sb: FullSandbox, tmp_path: Path) -> None:
    assets = {a.name: a for a in sb.releases()["v1.0.0"].get_assets()}
    for name in (WHEEL, WHEEL + ".sigstore.json"):
        assets[name].download_asset(str(tmp_path / name))
    result = run(
        sb,
        str(tmp_path / WHEEL),
        "--source-repository",
        SIGNED,
        GITHUB_REPOSITORY=UNSIGNED,
        CHAINKIT_REPO=UNSIGNED,
    )
    assert result.exit_code == 0, result.output
    assert subjects(result) == {(str(tmp_path / WHEEL), "verified")}
    # an explicit --repo with FILEs is still a usage error, as are release selectors
    for extra in (("--repo", SIGNED), ("--tag", "v1.0.0"), ("--assets", "*.whl")):
        both = run(sb, str(tmp_path / WHEEL), *extra)
        assert both.exit_code == 2, extra


def test_without_any_repository_or_file_it_is_a_usage_error(sb: FullSandbox) -> None:
    result = run(sb)
    assert result.exit_code == 2
    assert "--repo" in result.output
