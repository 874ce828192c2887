"""No silent waits: every retry says what it waits for and how long; a dead host fails fast."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed

WAIT = re.compile(r"retrying in (\d+(?:\.\d+)?) s")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: connecting is refused


def test_an_unreachable_api_fails_fast_with_a_clear_error(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    api = f"http://127.0.0.1:{_closed_port()}/api/v3"
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"),
        env=sb.env(token="read", GITHUB_API_URL=api),
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    err = result.stderr
    assert f"cannot reach {api}" in err
    assert "connection refused" in err
    # plan is read-only: nothing to resume, so the hint must not promise it
    assert "resum" not in err
    # every wait is announced, and together they stay within a few seconds
    waits = [float(w) for w in WAIT.findall(err)]
    assert sum(waits) <= 3
    assert not (tmp_path / "plan.json").exists()


def test_server_errors_are_retried_out_loud(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    fault = {"path": "/releases", "status": 502, "body": {"message": "Bad Gateway"}, "times": 2}
    assert sb.admin("POST", "faults", json=fault).status_code == 201
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"),
        "--json", env=sb.env(token="read"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "retrying in" in line]
    assert len(lines) == 2, result.stderr
    for line in lines:
        assert "GET /repos/acme/widgets/releases" in line
        assert "502" in line
        assert WAIT.search(line)


def test_a_rate_limit_wait_names_its_reason_and_length(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    fault = {
        "path": "/releases",
        "status": 429,
        "headers": {"retry-after": "1"},
        "body": {"message": "slow down"},
        "times": 1,
    }
    assert sb.admin("POST", "faults", json=fault).status_code == 201
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"),
        "--json", env=sb.env(token="read"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stderr.splitlines() if "retrying in" in line)
    assert "429" in line and "retrying in 1 s" in line


def _plan_after_a_503(
    sandbox_factory: Callable[..., FullSandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    retry_after: str,
    times: int,
) -> tuple[Any, list[float]]:
    """``backfill plan`` after the releases listing answers 503 with ``retry-after``
    (``times`` times); sleeps are recorded, never slept."""
    slept: list[float] = []
    monkeypatch.setattr("chainkit.github._client._sleep", slept.append)
    sb = sandbox_factory(seed(releases=[release("v1", assets=[asset("a.whl", b"a")])]))
    fault = {
        "path": "/releases",
        "status": 503,
        "headers": {"retry-after": retry_after},
        "body": {"message": "down for maintenance"},
        "times": times,
    }
    assert sb.admin("POST", "faults", json=fault).status_code == 201
    result = sb.chainkit(
        "backfill", "plan", "--repo", "acme/widgets", "-o", str(tmp_path / "plan.json"),
        "--json", env=sb.env(token="read"),
    )  # fmt: skip
    return result, slept


def test_a_retry_after_beyond_the_cap_fails_at_once_naming_the_wait(
    sandbox_factory: Callable[..., FullSandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, slept = _plan_after_a_503(
        sandbox_factory, tmp_path, monkeypatch, retry_after="3600", times=10
    )
    assert result.exit_code == 3, result.output
    assert slept == []  # never waited an hour
    assert "asked to wait 3600 s" in result.stderr
    assert "900 s" in result.stderr  # the cap it exceeds
    assert "internal error" not in result.stderr
    assert not (tmp_path / "plan.json").exists()


def test_a_retry_after_within_the_cap_is_waited_and_announced(
    sandbox_factory: Callable[..., FullSandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, slept = _plan_after_a_503(
        sandbox_factory, tmp_path, monkeypatch, retry_after="120", times=1
    )
    assert result.exit_code == 0, result.output
    assert slept == [120]
    assert "retrying in 120 s" in result.stderr
