"""What a GitHub Actions log (not a terminal) shows: plain, unwrapped, control-free lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from _plugins.sandbox import FullSandbox, asset, release, seed

LONG = "widgets_enterprise_edition-1.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
TAG = "v1.0.0\x1b[2J\x1b]0;pwned\x07"


def test_plan_table_is_plain_lines_with_whole_names_and_visible_escapes(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release(TAG, assets=[asset(LONG, b"wheel")])]))
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"),
        "--allow-unverified", env=sb.env(token="read"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out
    lines = out.splitlines()
    assert lines[0] == "backfill plan for acme/widgets"
    assert lines[1].split() == [
        "release",
        "asset",
        "status",
        "action",
        "sha256",
        "evidence",
        "reason",
    ]
    row = next(line for line in lines if LONG in line)  # one line: never folded or cut
    assert row.startswith("v1.0.0\\x1b[2J\\x1b]0;pwned\\x07  ")
    assert row.split()[2:4] == ["sign", "sign"]
    assert "\x1b" not in result.stderr


def test_an_error_message_from_the_server_cannot_rewrite_the_log(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    forged = "nope\x1b[2J\r\n::error::all good\x9b31m\u202e"
    fault = {"path": "/releases", "status": 403, "body": {"message": forged}, "times": None}
    assert sb.admin("POST", "faults", json=fault).status_code == 201
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"),
        env=sb.env(token="read", GITHUB_ACTIONS="true"),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert not any(ch in err for ch in "\x1b\r\x9b\u202e")
    assert "nope\\x1b[2J\\x0d\\x0a::error::all good\\x9b31m\\u202e" in err
    # every line is chainkit's own: the forged "::error::" never starts a line
    assert not [line for line in err.splitlines() if line.startswith("::error::all good")]
