"""Budgeted runs: how many writes a plan needs, how long that takes, and when to stop.

GitHub allows 500 content-generating requests an hour (BEHAVIOR.md section 11), so a
large backfill takes hours and may outlast one job. ``apply --max-writes N`` and
``--deadline`` stop cleanly *between releases*, before one that could not be finished
within the limit; the next run (a new job, a fresh state directory, the same approval)
continues from what is on the releases. ``plan`` prints the estimate.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._home import MAX_SUBJECTS as MAX_ATTESTATION_SUBJECTS

if TYPE_CHECKING:
    from chainkit.backfill._plan import Home, Plan, PlannedRelease
    from chainkit.github import WriteBudget, WritePacer

__all__ = [
    "Estimate",
    "RunLimits",
    "estimate",
    "parse_deadline",
    "remaining",
    "writes_needed",
]

_DURATION_RE = re.compile(r"(?:([0-9]{1,3})h)?(?:([0-9]{1,4})m)?(?:([0-9]{1,6})s)?")


def writes_needed(planned: PlannedRelease, home: Home = "release-assets") -> int:
    """The writes a release normally takes in ``home``: on the release a bundle per asset
    and the attestation; with the attestations API one attestation per 1024 assets; then
    the notes edit."""
    on_release = len(planned.to_sign) + (planned.attestation.action == "sign")
    signed = len(planned.to_sign)
    in_api = -(-signed // MAX_ATTESTATION_SUBJECTS) if signed else 0
    writes = {"release-assets": on_release, "attestations": in_api, "both": on_release + in_api}
    return writes[home] + (planned.notes.action == "update")


@dataclass(frozen=True)
class Estimate:
    """The writes a plan needs and the least time they take under a budget."""

    writes: int
    seconds: float
    budget: WriteBudget

    def to_json(self) -> dict[str, Any]:
        return {"writes": self.writes, "seconds": self.seconds, "write_budget": self.budget.spec}

    def __str__(self) -> str:
        from chainkit.github import format_duration

        least = f"at least {format_duration(self.seconds)}" if self.seconds else "no wait"
        return (
            f"{self.writes:,} writes: {least} at {self.budget} (--write-budget {self.budget.spec})"
        )


def estimate(plan: Plan, budget: WriteBudget) -> Estimate:
    """How many writes ``plan`` needs and how long they take at ``budget``, at least."""
    writes = sum(writes_needed(r, plan.options.home) for r in plan.releases if not r.is_idle)
    home = plan.bundle_release
    if home is not None and home.create and home.id is None:
        writes += 1
    return Estimate(writes, budget.minimum_seconds(writes), budget)


def parse_deadline(
    text: str,
    *,
    wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """``5h30m`` (from now) or an ISO 8601 time with a zone, as a ``clock`` reading."""
    value = text.strip()
    match = _DURATION_RE.fullmatch(value)
    if value and match is not None and any(match.groups()):
        h, m, s = (int(g or 0) for g in match.groups())
        return clock() + h * 3600 + m * 60 + s
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BackfillUsageError(
            f"not a deadline: {text!r}",
            remediation="give a duration from now (5h30m, 45m, 90s) or an ISO 8601 time with "
            "a zone (2026-01-31T18:00:00Z)",
        )
    return clock() + (when - wall()).total_seconds()


@dataclass(frozen=True)
class RunLimits:
    """When ``apply`` stops between releases (``None``: no limit).

    A release is begun only if the writes it usually takes (:func:`writes_needed`; a
    stale bundle replaced costs one delete more) fit in ``max_writes`` and can all start
    before ``deadline`` (a reading of ``clock``) at the write budget's pace.
    """

    max_writes: int | None = None
    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic

    def stop_before(
        self, planned: PlannedRelease, pacer: WritePacer, home: Home = "release-assets"
    ) -> str | None:
        """Why not to begin ``planned`` (written to ``home``) now (``None``: begin it)."""
        from chainkit.github import format_duration

        most = writes_needed(planned, home)
        if self.max_writes is not None and pacer.writes + most > self.max_writes:
            return (
                f"--max-writes {self.max_writes}: {pacer.writes} done, and "
                f"{planned.tag} may need {most} more"
            )
        if self.deadline is not None:
            now = self.clock()
            if now + pacer.seconds_until(most) > self.deadline:
                left = format_duration(max(0.0, self.deadline - now))
                return (
                    f"--deadline: {planned.tag} may need {most} writes, which the write "
                    f"budget does not allow in the {left} left"
                )
        return None


def remaining(
    releases: Iterable[PlannedRelease], home: Home = "release-assets"
) -> tuple[list[str], int, int]:
    """Tags, assets to sign and writes (to ``home``) of releases not yet begun."""
    left = [r for r in releases if not r.is_idle]
    return (
        [r.tag for r in left],
        sum(len(r.to_sign) for r in left),
        sum(writes_needed(r, home) for r in left),
    )
