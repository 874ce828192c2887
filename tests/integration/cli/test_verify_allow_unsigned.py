"""``verify --allow-unsigned`` never calls an unsigned asset ``ok`` nor says PASSED when
nothing was verified (against the sandbox, through the CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable

from _plugins.sandbox import FullSandbox, asset, release, seed

ISSUER = "https://token.actions.githubusercontent.com"


def _verify(sb: FullSandbox, *extra: str) -> list[str]:
    return [
        "verify", "--repo", "acme/widgets", "--cert-identity", sb.identity(),
        "--cert-oidc-issuer", ISSUER, *extra,
    ]  # fmt: skip


def test_unsigned_assets_are_unsigned_and_nothing_verified_is_not_passed(
    sandbox_factory: Callable[..., FullSandbox],
) -> None:
    names = [f"w-{i}.whl" for i in range(3)]
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset(n, n) for n in names])]))
    result = sb.chainkit(*_verify(sb, "--allow-unsigned"))
    assert result.exit_code == 0, result.output  # the opt-out decides the code
    # progress lines (stderr, not a terminal) say what each asset is
    progress = [line for line in result.stderr.splitlines() if any(n in line for n in names)]
    assert len(progress) == 3, result.stderr
    for line in progress:
        assert "unsigned" in line and " ok " not in f" {line} "
    assert "PASSED" not in result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary == "NOTHING VERIFIED: 0 verified, 0 failed, 3 unsigned, 0 attestations"
    as_json = sb.chainkit(*_verify(sb, "--allow-unsigned", "--json"))
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["summary"]["verified"] == 0
