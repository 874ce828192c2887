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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._home import MAX_SUBJECTS as MAX_ATTESTATION_SUBJECTS

if TYPE_CHECKING:
    from chainkit.backfill._plan import Home, Plan, PlannedRelease
    from chainkit.github import Release, WriteBudget, WritePacer

__all__ = [
    "Estimate",
    "RunLimits",
    "api_attestation_writes",
    "estimate",
    "parse_deadline",
    "recent_write_ages",
    "remaining",
    "writes_needed",
]

_DURATION_RE = re.compile(r"(?:([0-9]{1,3})h)?(?:([0-9]{1,4})m)?(?:([0-9]{1,6})s)?")


def writes_needed(
    planned: PlannedRelease, home: Home = "release-assets", *, create_home: bool = False
) -> int:
    """The writes a release normally takes in ``home``: on the release a bundle per asset
    (and the delete of each stale bundle it replaces) and the attestation; with the
    attestations API one attestation per 1024 assets; then the notes edit.
    ``create_home``: the bundle release it goes to is still to be created (one more)."""
    deletes = sum(
        a.action == "replace" and a.existing_bundle_id is not None for a in planned.to_sign
    )
    on_release = (
        len(planned.to_sign)
        + deletes
        + (planned.attestation.action == "sign")
        + (create_home and planned.destination.kind == "bundle-release")
    )
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
    interval: float = 0.0
    """The seconds between writes apply keeps too (``--write-interval``)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "writes": self.writes,
            "seconds": self.seconds,
            "write_budget": self.budget.spec,
            "write_interval": self.interval,
        }

    def __str__(self) -> str:
        from chainkit.github import format_duration

        least = f"at least {format_duration(self.seconds)}" if self.seconds else "no wait"
        gap = f", {self.interval:g} s between writes" if self.interval > 0 else ""
        return (
            f"{self.writes:,} writes: {least} at {self.budget}{gap} "
            f"(--write-budget {self.budget.spec})"
        )


def estimate(plan: Plan, budget: WriteBudget, *, interval: float = 0.0) -> Estimate:
    """How many writes ``plan`` needs and how long they take at ``budget`` with
    ``interval`` seconds between writes (as apply paces them), at least."""
    _tags, _assets, writes = remaining(plan.releases, plan.options.home, create_home=_creates(plan))
    return Estimate(
        writes, budget.with_interval(interval).minimum_seconds(writes), budget, interval
    )


def _creates(plan: Plan) -> bool:
    """Whether apply creates the bundle release (the plan says so, and names no id)."""
    home = plan.bundle_release
    return home is not None and home.create and home.id is None


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
        self,
        planned: PlannedRelease,
        pacer: WritePacer,
        home: Home = "release-assets",
        *,
        create_home: bool = False,
    ) -> str | None:
        """Why not to begin ``planned`` (written to ``home``) now (``None``: begin it);
        ``create_home``: the bundle release is still to be created."""
        from chainkit.github import format_duration

        most = writes_needed(planned, home, create_home=create_home)
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

    def never_fits(
        self,
        planned: PlannedRelease,
        budget: WriteBudget,
        home: Home = "release-assets",
        *,
        create_home: bool = False,
        started: float,
    ) -> str | None:
        """Why no run with these limits could ever do ``planned`` (``None``: one could).

        Asked when a run stops before its first release with no write done: the release
        alone needs more than ``--max-writes``, or more time at the write budget than the
        ``--deadline`` left when the run ``started`` (a reading of ``clock``). Continuing
        would stop there again, for ever.
        """
        from chainkit.github import format_duration

        most = writes_needed(planned, home, create_home=create_home)
        if self.max_writes is not None and most > self.max_writes:
            return (
                f"{planned.tag} alone needs {most} writes, more than --max-writes {self.max_writes}"
            )
        if self.deadline is not None:
            least, left = budget.minimum_seconds(most), self.deadline - started
            if 0 < left < least:
                return (
                    f"{planned.tag} alone needs {most} writes, at least "
                    f"{format_duration(least)} at {budget}: more than the "
                    f"{format_duration(left)} --deadline allows"
                )
        return None


def api_attestation_writes(plan: Plan) -> dict[int, int]:
    """Release id -> the attestation writes ``plan`` makes for it in the attestations API
    (one per 1024 assets signed; none in ``release-assets`` mode), for
    :func:`recent_write_ages`."""
    if plan.options.home == "release-assets":
        return {}
    return {
        r.id: -(-len(r.to_sign) // MAX_ATTESTATION_SUBJECTS) for r in plan.releases if r.to_sign
    }


def remaining(
    releases: Iterable[PlannedRelease],
    home: Home = "release-assets",
    *,
    create_home: bool = False,
) -> tuple[list[str], int, int]:
    """Tags, assets to sign and writes (to ``home``) of releases not yet begun;
    ``create_home``: the bundle release is still to be created (counted once)."""
    left = [r for r in releases if not r.is_idle]
    writes = sum(writes_needed(r, home) for r in left)
    if create_home and home != "attestations":
        writes += any(r.destination.kind == "bundle-release" for r in left)
    return ([r.tag for r in left], sum(len(r.to_sign) for r in left), writes)


def recent_write_ages(
    releases: Iterable[Release],
    *,
    now: datetime,
    window: float,
    api_writes: Mapping[int, int] | None = None,
) -> list[float]:
    """How long ago (seconds) each write visible on ``releases`` happened, within ``window``.

    A new run's pacer starts from these, so that a run started within the hour of an
    earlier one does not spend the budget that one spent. Approximate, and conservative:
    every bundle and attestation asset (its ``updated_at``: its upload) and each release's
    ``updated_at`` (a notes edit, or the last upload) count as one write each; GitHub
    stamps them to the second, so each is taken a second later than stamped.
    Attestations stored with the attestations API leave no trace of their own:
    ``api_writes`` (release id -> the attestation writes the plan makes for it) counts
    them at the release's ``updated_at`` too (the notes edit that follows them; later
    than they were, so counted longer). Not counted: such attestations of a release whose
    notes were not edited, and deletes.
    """
    from chainkit.attestation import is_attestation_name

    ages: list[float] = []
    for rel in releases:
        extra = (api_writes or {}).get(rel.id, 0)
        stamps = [rel.updated_at] * (1 + extra) + [
            a.updated_at
            for a in rel.assets
            if a.name.endswith(".sigstore.json") or is_attestation_name(a.name)
        ]
        for stamp in stamps:
            if stamp is None:
                continue
            age = (now - stamp).total_seconds() - 1
            if age < window:
                ages.append(max(0.0, age))
    return ages
