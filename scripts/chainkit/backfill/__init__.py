"""Backfill: plan (and, in the lead's apply engine, execute) Sigstore bundles for old releases.

This package holds the pure planning core: evidence from checksum files, GitHub
digests and PyPI; per-asset decisions; the digest-sealed plan file; the release-notes
section; and the backfill attestation (in-toto Statement, predicate
``https://chainkit.dev/attestations/backfill/v1``). I/O is injected.
"""

from __future__ import annotations

from chainkit.attestation import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    WorkflowRun,
    attestation_name,
    bundle_name,
    github_asset_name,
    statement_bytes,
)
from chainkit.backfill._checksums import (
    MAX_CHECKSUM_FILE_SIZE,
    ChecksumEntry,
    ChecksumFile,
    checksum_kind,
    parse_checksum_file,
)
from chainkit.backfill._errors import (
    BackfillError,
    BackfillServiceError,
    BackfillUsageError,
    BackfillVerificationError,
    ChecksumFileError,
    NotesError,
    PlanError,
    PyPIError,
)
from chainkit.backfill._evidence import Classification, Evidence, classify
from chainkit.backfill._filters import SIGNATURE_SUFFIXES, Filters, is_signature_file
from chainkit.backfill._notes import (
    BEGIN_MARKER,
    END_MARKER,
    MAX_BODY_CHARS,
    NotesBundle,
    download_url,
    outside_digest,
    render_section,
    section_budget,
    upsert_section,
)
from chainkit.backfill._paths import local_name, within
from chainkit.backfill._plan import (
    PLAN_SCHEMA,
    BundleRelease,
    Plan,
    PlannedAsset,
    PlannedRelease,
    PlanOptions,
    check_plan_for,
    load_plan,
    parse_plan,
)
from chainkit.backfill._planner import build_plan
from chainkit.backfill._predicate import build_statement
from chainkit.backfill._pypi import PyPIDigests, PyPIFile, fetch_pypi_digests
from chainkit.backfill._render import render_markdown, render_table

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "MAX_BODY_CHARS",
    "MAX_CHECKSUM_FILE_SIZE",
    "PAYLOAD_TYPE",
    "PLAN_SCHEMA",
    "PREDICATE_TYPE",
    "SIGNATURE_SUFFIXES",
    "STATEMENT_TYPE",
    "BackfillError",
    "BackfillServiceError",
    "BackfillUsageError",
    "BackfillVerificationError",
    "BundleRelease",
    "ChecksumEntry",
    "ChecksumFile",
    "ChecksumFileError",
    "Classification",
    "Evidence",
    "Filters",
    "NotesBundle",
    "NotesError",
    "Plan",
    "PlanError",
    "PlanOptions",
    "PlannedAsset",
    "PlannedRelease",
    "PyPIDigests",
    "PyPIError",
    "PyPIFile",
    "WorkflowRun",
    "attestation_name",
    "build_plan",
    "build_statement",
    "bundle_name",
    "check_plan_for",
    "checksum_kind",
    "classify",
    "download_url",
    "fetch_pypi_digests",
    "github_asset_name",
    "is_signature_file",
    "load_plan",
    "local_name",
    "outside_digest",
    "parse_checksum_file",
    "parse_plan",
    "render_markdown",
    "render_section",
    "render_table",
    "section_budget",
    "statement_bytes",
    "upsert_section",
    "within",
]
