"""CLI conventions under stress: empty matches, Ctrl-C, a closed stdout (against the sandbox)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed
from chainkit.github import GitHubClient

SEED = seed(
    releases=[
        release("v1.0.0", assets=[asset("w-1.0.0.whl", b"one")]),
        release("v1.1.0", assets=[asset("w-1.1.0.whl", b"two")]),
    ]
)


def test_a_plan_that_matches_nothing_warns_and_names_the_filters(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(SEED)
    result = sb.plan(tmp_path / "plan.json", "--tags", "V1.*", "--exclude-tags", "v0*")
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "matched" in line)
    assert warning.startswith("WARNING: no release matched")
    assert "--tags V1.*" in warning and "--exclude-tags v0*" in warning


def test_a_plan_whose_asset_filter_matches_nothing_warns(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(SEED)
    result = sb.plan(tmp_path / "plan.json", "--assets", "*.tar.gz")
    assert result.exit_code == 0, result.output
    assert "WARNING: no asset matched" in result.stderr
    assert "--assets *.tar.gz" in result.stderr


@pytest.fixture
def interrupt_downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ctrl-C in the middle of the first asset download (after some bytes arrived)."""

    def stream(self: GitHubClient, asset: object) -> Iterator[bytes]:
        yield b"partial bytes"
        raise KeyboardInterrupt

    monkeypatch.setattr(GitHubClient, "stream_asset", stream)
    yield


def test_ctrl_c_during_apply_says_how_to_resume_and_leaves_no_partial_file(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path, interrupt_downloads: None
) -> None:
    import json

    sb = sandbox_factory(SEED)
    planned = sb.plan(tmp_path / "plan.json", "--allow-unverified")
    assert planned.exit_code == 0, planned.output
    digest = json.loads(planned.stdout)["plan_digest"]
    state = tmp_path / "state"
    result = sb.chainkit(*sb.apply_args(tmp_path / "plan.json", digest, state))
    assert result.exit_code == 130
    err = result.stderr
    assert "interrupted" in err
    assert "chainkit backfill apply --plan" in err and digest in err
    assert "resumes where it stopped" in err
    leftovers = [p.name for p in state.rglob("*") if p.is_file() and ".part" in p.name]
    assert leftovers == []


def test_ctrl_c_during_plan_leaves_no_plan_and_says_so(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_factory(SEED)

    def interrupted(self: GitHubClient, repository: str) -> Iterator[object]:
        raise KeyboardInterrupt
        yield  # pragma: no cover - a generator

    monkeypatch.setattr(GitHubClient, "iter_releases", interrupted)
    result = sb.plan(tmp_path / "plan.json")
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and "no plan was written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_closed_stdout_exits_quietly_with_the_commands_own_code(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    """``chainkit backfill plan --json | head -c0``: the reader is gone before any output."""
    sb = sandbox_factory(SEED)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader went away: every write to stdout is a broken pipe
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
    }
    env.update(sb.env(token="read"))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "chainkit", "backfill", "plan", "--repo", "acme/widgets",
             "-o", str(tmp_path / "plan.json"), "--json"],
            stdout=write_end, stderr=subprocess.PIPE, env=env, text=True, timeout=120,
            check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "BrokenPipe" not in proc.stderr and "internal error" not in proc.stderr
    assert (tmp_path / "plan.json").exists()


def _clean_env(sb: FullSandbox) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
    }
    env.update(sb.env(token="read"))
    return env


def test_no_stdout_at_all_is_quiet_with_the_commands_own_code(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    """``chainkit backfill plan --json >&-``: Python starts with ``sys.stdout`` None."""
    sb = sandbox_factory(SEED)
    proc = subprocess.run(
        ["sh", "-c", 'exec "$0" "$@" >&-', sys.executable, "-m", "chainkit", "backfill", "plan",
         "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"), "--json"],
        stderr=subprocess.PIPE, env=_clean_env(sb), text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "plan.json").exists()


def test_a_full_stdout_is_a_clear_service_error(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    """``chainkit backfill plan --json >/dev/full``: the output could not be written (exit 3)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    sb = sandbox_factory(SEED)
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "chainkit", "backfill", "plan", "--repo", "acme/widgets",
             "-o", str(tmp_path / "plan.json"), "--json"],
            stdout=full, stderr=subprocess.PIPE, env=_clean_env(sb), text=True, timeout=120,
            check=False,
        )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert "could not write the output to stdout" in proc.stderr
    assert "internal error" not in proc.stderr and "bug" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_into_a_closed_pipe_exit_0(option: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "chainkit", option],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["backfill", "plan", "--help"]])
def test_help_into_a_full_stdout_is_a_clear_service_error(args: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "chainkit", *args],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert "could not write the output to stdout" in proc.stderr
    assert "internal error" not in proc.stderr and "Exception ignored" not in proc.stderr
