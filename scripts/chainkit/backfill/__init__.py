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
4. :func:`apply_backfill` executes exactly that plan: signs, verifies, uploads bundles
   and attestations, edits release notes, journaling each step so it resumes.

Clients are injected as keyword-only arguments (:class:`ReleaseSource`,
:data:`PyPIFetcher`, signer and verifier); :func:`pypi_fetcher` builds the real PyPI
one. Every error is a :class:`BackfillError`; :class:`PlanError` is a plan that cannot
be used (exit 2).
"""

from __future__ import annotations

from chainkit.backfill._approval import require_approval
from chainkit.backfill._errors import BackfillError, PlanError
from chainkit.backfill._filters import Filters
from chainkit.backfill._plan import PLAN_SCHEMA, Plan, PlannedAsset, PlannedRelease, PlanOptions
from chainkit.backfill._planfile import check_plan_for, load_plan, parse_plan, write_plan
from chainkit.backfill._planner import ExistingBundleVerifier, build_plan
from chainkit.backfill._render import render_plan_markdown, render_plan_table
from chainkit.backfill._service import (
    PlanRequest,
    PyPIFetcher,
    ReleaseSource,
    apply_backfill,
    plan_backfill,
    pypi_fetcher,
)

# TODO(merge): not public API. Kept importable from here only for
# tests/unit/backfill/test_notes.py and test_predicate.py (owned by the arch-attest
# branch, which moves naming and the predicate to chainkit.attestation); delete this
# block when they import from their new homes.
# isort: split
from chainkit.backfill._errors import NotesError as NotesError
from chainkit.backfill._notes import BEGIN_MARKER as BEGIN_MARKER
from chainkit.backfill._notes import END_MARKER as END_MARKER
from chainkit.backfill._notes import MAX_BODY_CHARS as MAX_BODY_CHARS
from chainkit.backfill._notes import NotesBundle as NotesBundle
from chainkit.backfill._notes import VerifyIdentity as VerifyIdentity
from chainkit.backfill._notes import download_url as download_url
from chainkit.backfill._notes import outside_digest as outside_digest
from chainkit.backfill._notes import render_section as render_section
from chainkit.backfill._notes import section_budget as section_budget
from chainkit.backfill._notes import upsert_section as upsert_section
from chainkit.backfill._predicate import PREDICATE_TYPE as PREDICATE_TYPE
from chainkit.backfill._predicate import STATEMENT_TYPE as STATEMENT_TYPE
from chainkit.backfill._predicate import WorkflowRun as WorkflowRun
from chainkit.backfill._predicate import build_statement as build_statement
from chainkit.backfill._predicate import statement_bytes as statement_bytes

__all__ = [
    "PLAN_SCHEMA",
    "BackfillError",
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
    "apply_backfill",
    "build_plan",
    "check_plan_for",
    "load_plan",
    "parse_plan",
    "plan_backfill",
    "pypi_fetcher",
    "render_plan_markdown",
    "render_plan_table",
    "require_approval",
    "write_plan",
]
