"""A stopped apply leaves no partial download behind (README: "partial downloads are removed").

SIGTERM (a cancelled CI job) or Ctrl-C while the prefetch thread downloads: the thread is
cancelled at its next chunk and joined (bounded) before the process exits, so its ``.part``
file is removed. A thread that does not stop in time, or a process killed outright, leaves
one that the next apply removes when it opens the state directory.

The downloads are slowed by the test, in the sandbox that runs in this process (its storage
answers in 64 KiB pieces with a pause between them), so a ``.part`` file exists for a while
without large assets.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from _plugins.sandbox import FullSandbox, asset, release, seed
from chainkit._internal.fs import atomic_writer
from chainkit.backfill._prefetch import Ticket
from chainkit.github import GitHubClient
from chainkit.sandbox._github import _exchange
from integration.backfill._flow import apply, make_plan

SIZE = 4 * 1024 * 1024
PIECE = 64 * 1024
BOUND = 60.0
"""Bounds a broken run; never a timing the test asserts."""


def two_big(n: int = 2) -> dict[str, Any]:
    return seed(
        releases=[
            release(
                "v1.0.0",
                published_at="2025-11-01T00:00:00Z",
                assets=[asset(f"big-{i}.bin", size=SIZE, digest="auto") for i in range(n)],
            )
        ]
    )


class Trickle:
    """The sandbox's storage answers in ``PIECE`` bytes with ``pause`` seconds between."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pause = 0.01
        send = _exchange.Exchange.send
        monkeypatch.setattr(_exchange, "CHUNK", PIECE)
        trickle = self

        class Slow:
            def __init__(self, raw: Any) -> None:
                self.raw = raw

            def write(self, data: bytes) -> Any:
                time.sleep(trickle.pause)
                return self.raw.write(data)

        def slow_send(handler: Any, resp: Any) -> bytes | None:
            if resp.file is None or not trickle.pause:
                return send(handler, resp)
            raw = handler.wfile
            handler.wfile = Slow(raw)
            try:
                return send(handler, resp)
            finally:
                handler.wfile = raw

        monkeypatch.setattr(_exchange.Exchange, "send", slow_send)


def parts(state: Path) -> list[Path]:
    return sorted(p for p in state.rglob("*.part") if p.is_file()) if state.exists() else []


def popen_apply(sb: FullSandbox, args: list[str]) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
    }
    env.update(sb.env())
    return subprocess.Popen(
        [sys.executable, "-m", "chainkit", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("how", "home", "code"),
    [
        (signal.SIGTERM, "release-assets", 143),
        (signal.SIGINT, "attestations", 130),
    ],
    ids=["sigterm-release-assets", "sigint-attestations"],
)
def test_a_signal_during_a_prefetched_download_leaves_no_part_file(
    how: signal.Signals,
    home: str,
    code: int,
    sandbox_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb: FullSandbox = sandbox_factory(two_big())
    trickle = Trickle(monkeypatch)
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan, "--home", home)["plan_digest"]
    state = tmp_path / "state"
    args = sb.apply_args(plan, digest, state)
    proc = popen_apply(sb, args)
    try:
        deadline = time.monotonic() + BOUND
        while not parts(state):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no download started"
            time.sleep(0.005)
        proc.send_signal(how)
        out, err = proc.communicate(timeout=BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert "partial" not in out
    left = parts(state)
    assert left == [], f"partial downloads left: {[(p.name, p.stat().st_size) for p in left]}"
    # the run resumes and finishes (the downloads at full speed now)
    trickle.pause = 0
    resumed = apply(sb, plan, digest, state)
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["complete"] is True
    assert parts(state) == []


def _planted_part(state: Path, digest: str, name: str, size: int) -> Path:
    work = state / digest[:16] / "work"
    work.mkdir(parents=True, mode=0o700, exist_ok=True)
    part = work / name
    part.write_bytes(b"\0" * size)
    return part


def test_a_resumed_apply_removes_what_a_killed_one_left(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """SIGKILL (or a thread frozen at exit) leaves a ``.part`` file: the next apply of the
    plan removes it when it opens the state directory; nothing else there is touched."""
    sb: FullSandbox = sandbox_factory(two_big(1))
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan)["plan_digest"]
    state = tmp_path / "state"
    stale = _planted_part(state, digest, ".7-0123456789abcdef.fedcba9876543210.part", 4096)
    other = stale.with_name("notes.part")  # not a name chainkit gives a download
    other.write_bytes(b"kept")
    result = apply(sb, plan, digest, state)
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert other.read_bytes() == b"kept"
    assert parts(state) == [other]


def test_a_download_thread_that_does_not_stop_in_time_leaves_no_part_file(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join is bounded (a stalled connection must not hold up a stop); what the thread
    still holds is removed by the main thread before apply ends."""
    sb: FullSandbox = sandbox_factory(two_big(1))
    plan = tmp_path / "plan.json"
    digest = make_plan(sb, plan)["plan_digest"]
    monkeypatch.setattr("chainkit.backfill._prefetch.CLOSE_TIMEOUT", 0.2)
    started, stalled_until = threading.Event(), threading.Event()

    def stalled(client: GitHubClient, a: Any, dest: Path, **kw: Any) -> str:
        with atomic_writer(dest, suffix=".part") as fh:
            fh.write(b"first bytes")
            fh.flush()
            started.set()
            stalled_until.wait(BOUND)  # a read that never returns; no cancellation check
        return "0" * 64

    result_of = Ticket.result

    def interrupted(ticket: Ticket[Any]) -> Any:
        if threading.current_thread() is threading.main_thread():
            assert started.wait(BOUND)
            raise KeyboardInterrupt  # Ctrl-C while the main thread waits for the download
        return result_of(ticket)

    monkeypatch.setattr(GitHubClient, "download", stalled)
    monkeypatch.setattr(Ticket, "result", interrupted)
    state = tmp_path / "state"
    try:
        result = apply(sb, plan, digest, state)
        assert result.exit_code == 130, result.output
        assert "did not stop within 0.2 s" in result.output
        assert parts(state) == []
    finally:
        stalled_until.set()
