"""Backfill: sign historical GitHub release assets through a sealed plan and an approval.

The flow, and the public API for each step (everything else is private):

1. :func:`plan_backfill` (read-only) turns a :class:`PlanRequest` into a :class:`Plan`:
   for every selected asset, the evidence of its sha256 (GitHub's digest, checksum
   files on the release, PyPI) and the decision (:class:`PlannedAsset`). The plan is
   sealed by ``plan_digest``, the sha256 of its RFC 8785 canonical JSON.
2. :func:`write_plan` writes it atomically; :func:`render_plan_markdown` and
   :func:`render_plan_table` show it to the approver.
3. :func:`load_plan` reads it back strictly (a hand-edited plan is refused, as is
   anything the schema ``docs/schemas/backfill-plan-v1.schema.json`` rejects);
   :func:`check_plan_for` refuses a plan for another repository or another digest
   than the approved one; :func:`require_approval` decides whether this apply is
   approved (a protected environment in Actions, a confirmation at a terminal).
4. :func:`run_apply` is the only way to execute a plan: an :class:`ApplyRequest` passes
   the whole gate first (repository and API, the approved digest, the identity token's
   expiry, the approval: the checks of step 3), then exactly that plan runs: signs,
   verifies, uploads bundles and attestations, edits release notes, journaling each step
   so it resumes; it returns an :class:`ApplyResult` (report and approval).

Clients are injected as keyword-only arguments (:class:`ReleaseSource`,
:data:`PyPIFetcher`, signer and verifier); :func:`pypi_fetcher` builds the real PyPI
one. Every error is a :class:`BackfillError`; :class:`PlanError` is a plan that cannot
be used (exit 2).
"""

from __future__ import annotations

from chainkit.backfill._approval import require_approval
from chainkit.backfill._budgeted import Estimate, RunLimits, estimate, parse_deadline
from chainkit.backfill._errors import BackfillError, PlanError
from chainkit.backfill._filters import Filters
from chainkit.backfill._plan import PLAN_SCHEMA, Plan, PlannedAsset, PlannedRelease, PlanOptions
from chainkit.backfill._planfile import check_plan_for, load_plan, parse_plan, write_plan
from chainkit.backfill._planner import ExistingBundleVerifier, build_plan
from chainkit.backfill._render import render_plan_markdown, render_plan_table
from chainkit.backfill._service import (
    ApplyRequest,
    ApplyResult,
    PlanRequest,
    PyPIFetcher,
    ReleaseSource,
    plan_backfill,
    pypi_fetcher,
    run_apply,
)

__all__ = [
    "PLAN_SCHEMA",
    "ApplyRequest",
    "ApplyResult",
    "BackfillError",
    "Estimate",
    "ExistingBundleVerifier",
    "Filters",
    "Plan",
    "PlanError",
    "PlanOptions",
    "PlanRequest",
    "PlannedAsset",
    "PlannedRelease",
    "PyPIFetcher",
    "ReleaseSource",
    "RunLimits",
    "build_plan",
    "check_plan_for",
    "estimate",
    "load_plan",
    "parse_deadline",
    "parse_plan",
    "plan_backfill",
    "pypi_fetcher",
    "render_plan_markdown",
    "render_plan_table",
    "require_approval",
    "run_apply",
    "write_plan",
]
