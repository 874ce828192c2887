"""The apply pipeline's one background thread: order, errors, depth, cancellation.

Synchronised with events, never with sleeps; a wait's timeout only bounds a broken run.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError

import pytest

from chainkit.backfill._prefetch import Cancelled, Prefetcher
from chainkit.github import GitHubServiceError

BOUND = 30.0


def test_steps_run_on_one_background_thread_and_come_back_in_order() -> None:
    threads: list[threading.Thread] = []

    def step(value: int) -> int:
        threads.append(threading.current_thread())
        return value * 2

    with Prefetcher(enabled=True) as pre:
        assert [pre.submit(lambda v=v: step(v)).result() for v in range(3)] == [0, 2, 4]
    assert len(set(threads)) == 1
    assert threads[0] is not threading.main_thread() and threads[0].daemon


def test_a_steps_error_is_raised_where_it_is_taken_as_the_same_object() -> None:
    error = GitHubServiceError("downloading 'b.whl': GitHub failed (502)")

    def fails() -> int:
        raise error

    with Prefetcher(enabled=True) as pre:
        ticket = pre.submit(fails)
        with pytest.raises(GitHubServiceError) as raised:
            ticket.result()
    assert raised.value is error


def test_at_most_depth_steps_are_ahead() -> None:
    with Prefetcher(enabled=True, depth=1) as pre:
        first = pre.submit(lambda: 1)
        with pytest.raises(RuntimeError, match="take one first"):
            pre.submit(lambda: 2)
        assert first.result() == 1
        assert pre.submit(lambda: 3).result() == 3


def test_disabled_runs_each_step_on_the_caller_when_taken() -> None:
    ran: list[str] = []
    with Prefetcher(enabled=False) as pre:
        ticket = pre.submit(lambda: ran.append(threading.current_thread().name) or 7)
        assert ran == []  # nothing runs ahead
        assert ticket.result() == 7
    assert ran == [threading.main_thread().name]


def test_close_cancels_a_running_step_at_its_next_check_and_joins_its_cleanup() -> None:
    """close() returns only once the step stopped at its next check and its own cleanup
    (a download's temporary file) ran: a daemon thread still running at exit is frozen,
    and that cleanup would never happen."""
    started = threading.Event()
    worker: list[threading.Thread] = []
    cleaned: list[str] = []
    pre = Prefetcher(enabled=True)

    def download() -> str:
        worker.append(threading.current_thread())
        started.set()
        try:
            for _ in range(int(BOUND * 1000)):  # chunks, a check between each
                pre.check()
                time.sleep(0.001)
            return "never"
        finally:
            cleaned.append("part file removed")

    ticket = pre.submit(download)
    assert started.wait(BOUND)
    assert pre.close() is True  # as a stop, an error, Ctrl-C or SIGTERM leaves the run
    assert not worker[0].is_alive()
    assert cleaned == ["part file removed"]
    with pytest.raises(Cancelled):
        ticket.result()


def test_close_waits_a_bounded_time_for_a_step_that_does_not_check() -> None:
    """A stalled connection (no chunk, so no check) does not hold up a stop: close() gives
    up after its timeout and says so; the caller removes what the thread may leave."""
    started, go = threading.Event(), threading.Event()
    pre = Prefetcher(enabled=True)

    def stalled() -> None:
        started.set()
        go.wait(BOUND)

    pre.submit(stalled)
    assert started.wait(BOUND)
    try:
        assert pre.close(timeout=0.05) is False
    finally:
        go.set()


def test_close_of_an_idle_prefetcher_ends_its_threads() -> None:
    before = set(threading.enumerate())
    pre = Prefetcher(enabled=True, depth=2, workers=2)
    assert pre.submit(lambda: 1).result() == 1
    threads = set(threading.enumerate()) - before
    assert len(threads) == 2
    assert pre.close() is True
    assert not any(t.is_alive() for t in threads)


def test_a_step_not_started_never_starts_after_close() -> None:
    ran: list[int] = []
    blocker, go = threading.Event(), threading.Event()
    pre = Prefetcher(enabled=True, depth=2)

    def first() -> None:
        blocker.set()
        go.wait(BOUND)

    pre.submit(first)
    second = pre.submit(lambda: ran.append(2))
    assert blocker.wait(BOUND)
    pre.close()
    go.set()
    with pytest.raises(CancelledError):
        second.result()
    assert ran == []


def test_two_workers_overlap_and_results_stay_in_submission_order() -> None:
    first_may_end = threading.Event()
    second_ran = threading.Event()

    def first() -> str:
        # ends only once the second step ran on the other thread (bounded wait)
        first_may_end.wait(timeout=10)
        return "first"

    def second() -> str:
        second_ran.set()
        first_may_end.set()
        return "second"

    with Prefetcher(enabled=True, depth=2, workers=2) as pre:
        tickets = [pre.submit(first), pre.submit(second)]
        assert second_ran.wait(timeout=10)  # ran while the first still waited
        assert [t.result() for t in tickets] == ["first", "second"]
