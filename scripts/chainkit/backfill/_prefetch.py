"""Background threads that download the next assets while the main thread writes.

``backfill apply`` writes at GitHub's pace (the :class:`~chainkit.github.WritePacer`
may hold a write for many seconds). Meanwhile the :class:`Prefetcher`'s single daemon
thread downloads and hashes the next asset of the release; the main thread takes the
result in plan order and does everything else: every journal record, signing, every
write. At most ``depth`` results are ahead of the main thread, so a stop or a kill
loses at most that many downloads (files in the state directory, never a signature or
a journal entry).

With the attestations API as the home (one write per release) the pipeline reaches into
the next releases (``API_LOOKAHEAD`` in ``_apply``): all of their assets are handed over at
once and several threads download them (``API_DOWNLOAD_WORKERS``, each with its own HTTP
session), so that downloads keep up with one write per release.

``enabled=False`` (``--no-prefetch``): each step runs on the caller's thread when its
result is taken, exactly as without a pipeline.

Stopping (the end of the run, an error, Ctrl-C, SIGTERM): :meth:`Prefetcher.close` cancels
what is not taken and **joins** the threads for at most :data:`CLOSE_TIMEOUT` seconds. A
download in progress stops at its next chunk (``check``) and its temporary ``.part`` file is
removed on its own thread before the process exits; a daemon thread that is still running
at exit is frozen mid-step, and whatever cleanup it had pending never runs.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["CLOSE_TIMEOUT", "Cancelled", "Prefetcher", "Ticket"]

_log = logging.getLogger("chainkit.backfill")

T = TypeVar("T")

_Job = tuple[Callable[[], object], "Future[object]"]

CLOSE_TIMEOUT = 2.0
"""Seconds :meth:`Prefetcher.close` waits, in all, for its threads to end. A download
checks for cancellation after each chunk (1 MiB: milliseconds on a working connection);
the bound keeps a stalled connection from holding up a stop (GitHub Actions sends SIGKILL
2.5 s after SIGTERM)."""


class Cancelled(Exception):
    """Raised inside a step when the run stops (checked between downloaded chunks)."""


class Ticket(Generic[T]):
    """The result of one submitted step, taken once, in order, by the main thread."""

    def __init__(
        self, step: Callable[[], T], future: Future[T] | None, taken: Callable[[], None]
    ) -> None:
        self._step = step
        self._future = future
        self._taken = taken

    def result(self) -> T:
        """The step's result, or its exception (the same object, so the same type and
        exit code as if it had run here). Take it once."""
        self._taken()
        if self._future is None:
            return self._step()
        return self._future.result()

    def done(self) -> bool:
        """Whether :meth:`result` would return (or raise) without waiting: never for a
        step that runs when taken (``--no-prefetch``)."""
        return self._future is not None and self._future.done()


class Prefetcher:
    """Runs steps in submission order on ``workers`` daemon threads (one by default: one
    step at a time); results are taken in submission order whatever the threads' order.

    The thread only runs what it is given (downloads): it never writes to GitHub or to
    the journal. Use as a context manager: leaving it cancels whatever is not taken.
    """

    def __init__(self, *, enabled: bool, depth: int = 1, workers: int = 1) -> None:
        self.enabled = enabled
        self.depth = depth
        self.workers = max(1, workers)
        """Threads taking steps from the queue (results are still taken in order)."""
        self._cancelled = threading.Event()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._pending: list[Future[object]] = []
        """Submitted and not taken: at most ``depth``."""

    def __enter__(self) -> Prefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def inline(step: Callable[[], T]) -> Ticket[T]:
        """A ticket that runs ``step`` on the caller's thread when taken."""
        return Ticket(step, None, lambda: None)

    def submit(self, step: Callable[[], T]) -> Ticket[T]:
        """Queue ``step`` (run at once in the background, or when taken if disabled)."""
        if not self.enabled:
            return self.inline(step)
        if len(self._pending) >= self.depth:
            raise RuntimeError(f"more than {self.depth} step(s) ahead: take one first")
        future: Future[T] = Future()
        self._pending.append(future)  # type: ignore[arg-type]

        def taken() -> None:
            self._pending = [f for f in self._pending if f is not future]

        if not self._threads:
            for n in range(self.workers):
                thread = threading.Thread(
                    target=self._work, name=f"chainkit-prefetch-{n}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        self._jobs.put((step, future))  # type: ignore[arg-type]
        return Ticket(step, future, taken)

    def check(self) -> None:
        """Raise :class:`Cancelled` if the run stopped (steps call it between chunks)."""
        if self._cancelled.is_set():
            raise Cancelled("the run stopped")

    def close(self, timeout: float | None = None, *, wait: bool = True) -> bool:
        """Cancel what is not taken and wait, at most ``timeout`` seconds in all (by default
        :data:`CLOSE_TIMEOUT`), for the threads to end: an idle thread ends at once, a busy
        one at its next chunk, after its step's own cleanup (a download's ``.part`` file
        is removed). ``True`` when every thread ended; otherwise the rest are left to the
        exit (daemons never hold it up) and the caller removes what they may leave behind.
        ``wait=False`` (steps that leave nothing behind, such as reads into memory): cancel
        and return at once; the threads end after their current step."""
        self._cancelled.set()
        if self._pending:
            _log.info(
                "discarding %d download(s) made ahead of the writes (nothing signed or "
                "recorded for them)",
                len(self._pending),
            )
        for future in self._pending:
            future.cancel()
        self._pending = []
        threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        if not wait:
            return True
        timeout = CLOSE_TIMEOUT if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = sum(thread.is_alive() for thread in threads)
        if busy:
            _log.warning(
                "%d download thread(s) did not stop within %g s (a stalled connection?); "
                "their partial files are removed",
                busy,
                timeout,
            )
        return not busy

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            step, future = job
            if self._cancelled.is_set() or not future.set_running_or_notify_cancel():
                continue
            try:
                result = step()
            except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
                future.set_exception(exc)
            else:
                future.set_result(result)
