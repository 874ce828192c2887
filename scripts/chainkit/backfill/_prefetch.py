"""Background threads that download the next assets while the main thread writes.

``backfill apply`` writes at GitHub's pace (the :class:`~chainkit.github.WritePacer`
may hold a write for many seconds). Meanwhile the :class:`Prefetcher`'s single daemon
thread downloads and hashes the next asset of the release; the main thread takes the
result in plan order and does everything else: every journal record, signing, every
write. At most ``depth`` results are ahead of the main thread, so a stop or a kill
loses at most that many downloads (files in the state directory, never a signature or
a journal entry).

With the attestations API as the home (one write per release) the pipeline reaches into
the next release: all of its assets are handed over at once and two threads download them
(each with its own HTTP session), so that downloads keep up with one write per release.

``enabled=False`` (``--no-prefetch``): each step runs on the caller's thread when its
result is taken, exactly as without a pipeline.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["Cancelled", "Prefetcher", "Ticket"]

_log = logging.getLogger("chainkit.backfill")

T = TypeVar("T")

_Job = tuple[Callable[[], object], "Future[object]"]


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

    def close(self) -> None:
        """Cancel what is not taken and let the thread end. Not joined: an idle thread
        ends at once, a busy one at its next chunk, and as a daemon it never holds up
        the exit (Ctrl-C)."""
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
        for _ in self._threads:
            self._jobs.put(None)
        self._threads = []

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
