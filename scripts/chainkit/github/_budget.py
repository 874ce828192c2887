"""The write budget: GitHub's content-creation limits, spent at the limit and never over it.

GitHub allows at most 80 content-generating requests a minute and 500 an hour
(BEHAVIOR.md section 11); no header reports how much is left. So the client keeps its
own count: a :class:`WriteBudget` is a set of :class:`Window` s (``80/60s,500/3600s``),
and a :class:`WritePacer` holds every write until each window has room. A write is
counted from its *end* (its response received), never its start: GitHub counts it at
some moment between the two, so a window measured from the end can only be longer than
GitHub's, never shorter.

The clock and the sleep are injectable (keyword-only), so tests need no real waiting.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from chainkit.errors import UsageError

__all__ = [
    "GITHUB_WRITE_BUDGET",
    "MAX_WINDOW_SECONDS",
    "BudgetSyntaxError",
    "Window",
    "WriteBudget",
    "WritePacer",
    "WriteSlot",
    "format_duration",
]

_log = logging.getLogger("chainkit.github")

_WINDOW_RE = re.compile(r"([1-9][0-9]{0,6})/([1-9][0-9]{0,6})(s|m|h)")
_UNIT = {"s": 1, "m": 60, "h": 3600}
_SYNTAX = (
    "write N/Ts windows separated by commas, e.g. 80/60s,500/3600s (units s, m, h); "
    "a window is at most 1 day and at most 100,000 writes"
)
MAX_WINDOW_SECONDS = 86_400.0
"""The longest window a budget may have (GitHub's longest is an hour)."""
MAX_WINDOW_WRITES = 100_000
"""The most writes a window may allow (GitHub allows 500 an hour)."""


class BudgetSyntaxError(UsageError):
    """A ``--write-budget`` / ``CHAINKIT_WRITE_BUDGET`` value that does not parse (exit 2)."""


@dataclass(frozen=True)
class Window:
    """At most ``writes`` writes in any ``seconds`` seconds."""

    writes: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.writes} write{'s' if self.writes != 1 else ''}/{self.seconds:g} s"

    @property
    def spec(self) -> str:
        return f"{self.writes}/{self.seconds:g}s"


@dataclass(frozen=True)
class WriteBudget:
    """The windows every write must fit (all of them at once)."""

    windows: tuple[Window, ...]

    @classmethod
    def parse(cls, text: str) -> WriteBudget:
        """``80/60s,500/3600s`` (also ``80/1m,500/1h``): strict, or :class:`BudgetSyntaxError`."""
        windows: list[Window] = []
        parts = text.split(",")
        for part in parts:
            match = _WINDOW_RE.fullmatch(part.strip())
            if match is None:
                raise BudgetSyntaxError(
                    f"not a write budget: {text!r} ({part.strip()!r} is not N/Ts)",
                    remediation=_SYNTAX,
                )
            window = Window(int(match[1]), float(int(match[2]) * _UNIT[match[3]]))
            if window.seconds > MAX_WINDOW_SECONDS or window.writes > MAX_WINDOW_WRITES:
                raise BudgetSyntaxError(
                    f"not a write budget: {text!r} ({part.strip()!r} is out of range)",
                    remediation=_SYNTAX,
                )
            if any(w.seconds == window.seconds for w in windows):
                raise BudgetSyntaxError(
                    f"not a write budget: {text!r} (two windows of {window.seconds:g} s)",
                    remediation=_SYNTAX,
                )
            windows.append(window)
        return cls(tuple(sorted(windows, key=lambda w: w.seconds)))

    def __str__(self) -> str:
        return ", ".join(map(str, self.windows))

    @property
    def spec(self) -> str:
        """The ``--write-budget`` syntax of this budget."""
        return ",".join(w.spec for w in self.windows)

    @property
    def longest(self) -> float:
        """The longest window, in seconds (0 for no window)."""
        return max((w.seconds for w in self.windows), default=0.0)

    def with_interval(self, seconds: float) -> WriteBudget:
        """This budget and a gap of ``seconds`` between writes (one write per ``seconds``)."""
        if seconds <= 0:
            return self
        return WriteBudget((Window(1, seconds), *self.windows))

    def minimum_seconds(self, writes: int) -> float:
        """The least time ``writes`` writes take under this budget (writes taking no time).

        The pacer's own schedule on a clock that only moves when it sleeps: the estimate
        is what ``apply`` does, plus the time the writes themselves take.
        """
        clock = _FakeClock()
        pacer = WritePacer(self, clock=clock.now, sleep=clock.sleep, announce=False)
        for _ in range(writes):
            with pacer.write(""):
                pass
        return clock.t


GITHUB_WRITE_BUDGET = WriteBudget((Window(80, 60.0), Window(500, 3600.0)))
"""github.com's documented content-creation limits."""


class _FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def format_duration(seconds: float) -> str:
    """``4 h 1 min``, ``6 min``, ``90 s``: a human duration, rounded up."""
    seconds = math.ceil(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


_sleep: Callable[[float], None] = time.sleep
"""How a pacer built without ``sleep`` waits (tests may watch it)."""


def _default_sleep(seconds: float) -> None:
    _sleep(seconds)


class WriteSlot:
    """One write's turn: the caller marks it not counted when it was refused or unanswered."""

    def __init__(self) -> None:
        self.counted = True


class WritePacer:
    """Spends a :class:`WriteBudget`: :meth:`write` waits until every window has room.

    Thread-safe; one per client, so that every write of the client shares it.
    ``announce=False`` keeps the waits out of the log (for estimates).
    """

    def __init__(
        self,
        budget: WriteBudget,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        announce: bool = True,
    ) -> None:
        self.budget = budget
        self._clock = clock
        self._sleep = sleep if sleep is not None else _default_sleep
        self._announce = announce
        self._lock = threading.Lock()
        self._ends: deque[float] = deque()
        self._blocked_until = 0.0
        self._blocked_why = ""
        self.writes = 0
        """Writes done through this pacer and answered (refusals and lost requests are not)."""
        self.waited = 0.0
        """Seconds spent waiting for the budget."""

    def _wait(self, now: float) -> tuple[float, str]:
        """How long until the next write may start, and for what."""
        wait, why = 0.0, ""
        if self._blocked_until > now:
            wait, why = self._blocked_until - now, self._blocked_why
        ends = self._ends
        for window in self.budget.windows:
            if len(ends) >= window.writes:
                free_at = ends[-window.writes] + window.seconds
                if free_at - now > wait:
                    wait, why = (
                        free_at - now,
                        (
                            f"the {window.seconds:g} s between writes"
                            if window.writes == 1
                            else f"GitHub's write budget ({window})"
                        ),
                    )
        return wait, why

    @contextmanager
    def write(self, what: str) -> Iterator[WriteSlot]:
        """Hold the caller until the budget has room; count the write when it ends.

        ``what`` completes the log line: ``waiting 42 s for GitHub's write budget
        (80 writes/60 s) before uploading 'x'``.
        """
        with self._lock:  # one write at a time: the budget is spent serially
            while True:
                wait, why = self._wait(self._clock())
                if wait <= 0:
                    break
                if self._announce:
                    _log.log(
                        logging.WARNING if wait >= 30 else logging.INFO,
                        "waiting %s for %s before %s",
                        format_duration(wait),
                        why,
                        what,
                    )
                self.waited += wait
                self._sleep(wait)
            slot = WriteSlot()
            try:
                yield slot
            finally:
                # every attempt takes its place in the windows (conservative); only the
                # answered, not refused ones are the writes a report counts
                self._record(self._clock())
                if slot.counted:
                    self.writes += 1

    def _record(self, end: float) -> None:
        ends = self._ends
        if ends and end < ends[-1]:
            ends = deque(sorted([*ends, end]))
            self._ends = ends
        else:
            ends.append(end)
        longest = max((w.writes for w in self.budget.windows), default=0)
        while len(ends) > longest:
            ends.popleft()

    def now(self) -> float:
        """A reading of this pacer's clock."""
        return self._clock()

    def seed(self, ages: list[float]) -> int:
        """Count writes made ``ages`` seconds ago (by an earlier run) against the budget.

        Ages beyond the longest window do not matter and are dropped; returns how many
        were counted. They are not this run's writes (:attr:`writes` stays).
        """
        longest = self.budget.longest
        with self._lock:
            now = self._clock()
            recent = sorted(now - max(0.0, age) for age in ages if age < longest)
            for end in recent:
                self._record(end)
        return len(recent)

    def seconds_until(self, writes: int) -> float:
        """How long from now until ``writes`` more writes (taking no time) have all started."""
        with self._lock:
            clock = _FakeClock()
            clock.t = self._clock()
            start = clock.t
            trial = WritePacer(self.budget, clock=clock.now, sleep=clock.sleep, announce=False)
            trial._ends = deque(self._ends)
            trial._blocked_until = self._blocked_until
            trial._blocked_why = self._blocked_why
        for _ in range(writes):
            with trial.write(""):
                pass
        return clock.t - start

    def block_for(self, seconds: float, reason: str = "GitHub's secondary rate limit") -> None:
        """Hold every write for ``seconds`` from now (GitHub refused or failed one);
        ``reason`` names the cause in the wait's log line (the longest block's wins)."""
        until = self._clock() + seconds
        if until >= self._blocked_until:
            self._blocked_until, self._blocked_why = until, reason
