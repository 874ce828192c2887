"""The write budget and its pacer, on an injected clock (no test waits for real)."""

from __future__ import annotations

import logging

import pytest
import requests
from github import GithubException

from chainkit.errors import ExitCode
from chainkit.github._budget import (
    GITHUB_WRITE_BUDGET,
    BudgetSyntaxError,
    Window,
    WriteBudget,
    WritePacer,
    format_duration,
)
from chainkit.github._client import _download_limit_wait, _refusal_wait


class Clock:
    """A clock that moves only when the pacer sleeps or a test says so."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def pacer(spec: str, clock: Clock) -> WritePacer:
    return WritePacer(WriteBudget.parse(spec), clock=clock.now, sleep=clock.sleep)


def test_parse() -> None:
    budget = WriteBudget.parse("500/1h, 80/60s")
    assert budget == GITHUB_WRITE_BUDGET  # sorted by window
    assert budget.spec == "80/60s,500/3600s"
    assert str(budget) == "80 writes/60 s, 500 writes/3600 s"
    assert WriteBudget.parse("8/6s").windows == (Window(8, 6.0),)


@pytest.mark.parametrize(
    "text",
    ["", "80", "80/60", "0/60s", "80/0s", "-1/60s", "80/60s,", "80/60s,90/1m", "8.5/6s", "80/6d"],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(BudgetSyntaxError) as info:
        WriteBudget.parse(text)
    assert info.value.exit_code == ExitCode.USAGE
    assert "80/60s,500/3600s" in (info.value.remediation or "")


def test_writes_within_the_budget_do_not_wait() -> None:
    clock = Clock()
    p = pacer("3/10s", clock)
    for _ in range(3):
        with p.write("x"):
            pass
    assert clock.sleeps == []
    assert p.writes == 3


def test_the_next_write_waits_until_the_oldest_leaves_the_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    p = pacer("2/10s,3/100s", clock)
    starts = []
    caplog.set_level(logging.INFO)
    for i in range(5):
        with p.write(f"uploading 'a{i}'"):
            starts.append(clock.t)
            clock.t += 1  # each write takes a second; counted from its end
    # 2 per 10 s: the third starts 10 s after the first ended; 3 per 100 s: the fourth
    # starts 100 s after the first ended, the fifth 100 s after the second ended
    assert starts == [0, 1, 11, 101, 102]
    waits = [r.getMessage() for r in caplog.records if r.name == "chainkit.github"]
    assert waits[0] == "waiting 9 s for GitHub's write budget (2 writes/10 s) before uploading 'a2'"
    assert "(3 writes/100 s) before uploading 'a3'" in waits[1]


def test_interval_spaces_writes(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    p = WritePacer(WriteBudget.parse("80/60s").with_interval(1), clock=clock.now, sleep=clock.sleep)
    caplog.set_level(logging.INFO)
    for _ in range(3):
        with p.write("x"):
            pass
    assert clock.sleeps == [1, 1]
    assert "waiting 1 s for the 1 s between writes before x" in caplog.text


def test_a_refusal_blocks_every_write(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    p = pacer("80/60s", clock)
    p.block_for(60)
    with caplog.at_level(logging.INFO), p.write("editing the notes of 'v1'"):
        pass
    assert clock.sleeps == [60]
    assert "waiting 60 s for GitHub's secondary rate limit before editing" in caplog.text


@pytest.mark.parametrize(
    ("status", "headers", "named"),
    [
        (502, {}, "a retry after GitHub's failure (502: editing the notes of 'v1')"),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"},
            "for GitHub's primary rate limit before",
        ),
        (403, {"retry-after": "3"}, "for GitHub's secondary rate limit before"),
    ],
)
def test_a_blocked_write_names_its_cause(
    caplog: pytest.LogCaptureFixture, status: int, headers: dict[str, str], named: str
) -> None:
    # review 9, break 9: every block was logged as "GitHub's secondary rate limit", after a
    # 502 and after a primary-limit 403 too
    from chainkit.github._client import GitHubClient

    clock = Clock()
    p = pacer("80/60s", clock)
    client = GitHubClient(github=_NoGithub(), api_url="https://api.example", pacer=p)  # type: ignore[arg-type]
    message = "API rate limit exceeded" if "x-ratelimit-remaining" in headers else "You have "
    message += "exceeded a secondary rate limit. Please retry your request again later."
    answers: list[Exception | None] = [_refused(status, message, **headers), None]

    def send() -> tuple[dict[str, str], str]:
        failure = answers.pop(0)
        if failure is not None:
            raise failure
        return {}, "done"

    with caplog.at_level(logging.INFO):
        assert client._write("editing the notes of 'v1'", send) == "done"
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("waiting ")]
    assert len(waits) == 1 and named in waits[0], waits
    if status == 502:
        assert "secondary" not in waits[0]


class _NoGithub:
    requester = None


def test_a_failed_write_counts_too() -> None:
    clock = Clock()
    p = pacer("1/10s", clock)
    with pytest.raises(RuntimeError), p.write("x"):
        raise RuntimeError
    with p.write("y"):
        pass
    assert clock.sleeps == [10]


def test_minimum_seconds_is_the_pacers_schedule() -> None:
    # 2,100 writes at 80/min and 500/h: four full hours, then 100 writes take a minute
    assert GITHUB_WRITE_BUDGET.minimum_seconds(2100) == 4 * 3600 + 60
    assert GITHUB_WRITE_BUDGET.minimum_seconds(80) == 0
    assert GITHUB_WRITE_BUDGET.minimum_seconds(81) == 60
    assert format_duration(4 * 3600 + 60) == "4 h 1 min"
    assert format_duration(42) == "42 s"
    assert format_duration(360) == "6 min"


def _refused(status: int, message: str, **headers: str) -> GithubException:
    return GithubException(status, {"message": message}, headers)


def test_refusal_wait_follows_githubs_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chainkit.github._client.time.time", lambda: 1000.0)
    secondary = "You have exceeded a secondary rate limit. Please wait a few minutes."
    blocked = (
        "... temporarily blocked from content creation. Please retry your request again later."
    )
    # retry-after wins over the floor (5 s, doubling) when longer
    assert _refusal_wait(_refused(403, secondary, **{"Retry-After": "7"}), 0, 60) == 7
    assert _refusal_wait(_refused(403, secondary, **{"Retry-After": "7"}), 3, 60) == 40
    # no retry-after: at least a minute, doubling with each refusal, up to the cap
    assert [_refusal_wait(_refused(403, blocked), n, 60) for n in range(4)] == [60, 120, 240, 480]
    assert _refusal_wait(_refused(403, blocked), 9, 60, cap=900) == 900
    # a 429 is a rate limit whatever its body says
    assert _refusal_wait(_refused(429, "Too Many Requests"), 0, 60) == 60
    # the primary limit: until its reset
    primary = _refused(
        403,
        "API rate limit exceeded",
        **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"},
    )
    assert _refusal_wait(primary, 0, 60) == 11
    # a 403 that is a permission problem, and other statuses, are no rate limit
    assert _refusal_wait(_refused(403, "Resource not accessible by integration"), 0, 60) is None
    assert _refusal_wait(_refused(422, secondary), 0, 60) is None


def test_primary_reset_is_a_real_epoch_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """``x-ratelimit-reset`` is epoch seconds, ten digits today (a nine-digit cap once
    turned every primary limit on a write into the one-minute fallback)."""
    now = 1_796_018_088.0
    monkeypatch.setattr("chainkit.github._client.time.time", lambda: now)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 2)}
    primary = _refused(403, "API rate limit exceeded for installation ID 1.", **headers)
    assert _refusal_wait(primary, 0, 60, floor=0.5) == 3
    # a reset that is not ASCII digits is no reset: the fallback, never a crash
    odd = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e9"}
    assert _refusal_wait(_refused(403, "API rate limit exceeded", **odd), 0, 60) == 60


def test_download_limit_wait_reads_only_ascii_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_796_018_088.0
    monkeypatch.setattr("chainkit.github._client.time.time", lambda: now)

    def answer(status: int, **headers: str) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        return response

    reset = str(int(now) + 5)
    assert _download_limit_wait(answer(403, **{"x-ratelimit-remaining": "0",
                                               "x-ratelimit-reset": reset})) == 6  # fmt: skip
    assert _download_limit_wait(answer(429, **{"retry-after": "7"})) == 7
    # "\u00b2".isdigit() is True, float() of it raises: the fallback minute, no crash
    assert _download_limit_wait(answer(429, **{"retry-after": "\u00b2"})) == 60
    odd = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "inf"}
    assert _download_limit_wait(answer(403, **odd)) == 60


def test_hostile_retry_after_is_no_crash_and_no_hammering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chainkit.github._client.time.time", lambda: 1000.0)
    blocked = "You have exceeded a secondary rate limit. Please retry your request again later."
    # "²".isdigit() is True, but it is no number of seconds: as if none was sent
    assert _refusal_wait(_refused(403, blocked, **{"Retry-After": "\u00b2"}), 0, 60) == 60
    assert _refusal_wait(_refused(403, blocked, **{"Retry-After": "\u0665"}), 0, 60) == 60
    # "retry now" is not obeyed: the floor, doubling with each refusal
    zero = _refused(429, "Too Many Requests", **{"Retry-After": "0"})
    assert [_refusal_wait(zero, n, 60, floor=5) for n in range(3)] == [5, 10, 20]
    # a primary reset in the past (or not a number) waits the floor, not a second
    past = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "900"}
    assert _refusal_wait(_refused(403, "API rate limit exceeded", **past), 0, 60, floor=5) == 5
    odd = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e400"}
    assert _refusal_wait(_refused(403, "API rate limit exceeded", **odd), 0, 60, floor=5) == 60


def test_a_real_primary_reset_and_a_long_retry_after_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # review 9, break 1: x-ratelimit-reset is a 10-digit Unix time; it was never read, so a
    # refused write waited 60 s (doubling) instead of until the reset
    now = 1_800_000_000.0
    monkeypatch.setattr("chainkit.github._client.time.time", lambda: now)
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 3000)}
    primary = _refused(403, "API rate limit exceeded", **reset)
    assert [_refusal_wait(primary, n, 60) for n in range(4)] == [3001] * 4
    blocked = "You have exceeded a secondary rate limit. Please retry your request again later."
    for after in ("999999999", "1000000000", "99999999999999999999"):
        wait = _refusal_wait(_refused(403, blocked, **{"Retry-After": after}), 0, 60)
        assert wait is not None and wait >= 999_999_999  # refused by the caller: > max wait


@pytest.mark.parametrize("text", ["1/9999999h", "1/25h", "100001/1h", "1/86401s"])
def test_a_window_beyond_a_day_or_100000_writes_is_refused(text: str) -> None:
    with pytest.raises(BudgetSyntaxError) as info:
        WriteBudget.parse(text)
    assert info.value.exit_code == ExitCode.USAGE
    assert "at most 1 day" in (info.value.remediation or "")
    assert WriteBudget.parse("100000/24h").longest == 86400


def test_refused_and_unanswered_writes_are_not_counted_but_still_spaced() -> None:
    clock = Clock()
    p = pacer("1/10s", clock)
    with p.write("refused") as slot:
        slot.counted = False
    with p.write("done"):
        pass
    assert p.writes == 1
    assert clock.sleeps == [10]


def test_seeded_writes_of_an_earlier_run_are_waited_out() -> None:
    clock = Clock()
    clock.t = 1000.0
    p = pacer("2/60s,3/3600s", clock)
    # an earlier run wrote 10 s, 20 s and two hours ago: the last is out of every window
    assert p.seed([10.0, 20.0, 7200.0]) == 2
    assert p.writes == 0
    with p.write("x"):
        pass
    assert clock.sleeps == [40]  # until the write 20 s ago leaves the 60 s window
    assert p.seconds_until(1) == 3600 - 20 - 40  # the 3/3600 s window, from 20 s ago
