"""The contracts ``backfill`` writes and ``verify`` reads, owned by neither.

- **Names** of the files on a release: ``<asset>.sigstore.json`` bundles and
  ``chainkit-backfill-attestation-<time>.sigstore.json`` attestations, as GitHub
  stores them (:func:`bundle_name`, :func:`attestation_name`, :func:`is_attestation_name`).
- **in-toto statements**, parsed in one place (:func:`parse_statement` ->
  :class:`Statement` with :class:`Subject` values), hostile input refused with
  :class:`StatementFormatError`.
- **The backfill predicate** (``https://chainkit.dev/attestations/backfill/v1``,
  schema ``docs/schemas/backfill-predicate-v1.schema.json``): built from
  :class:`BackfillPredicate` with :func:`backfill_statement`, read back with
  :func:`parse_predicate`. It is not build provenance (ADR 0004).

Nothing here signs, verifies or talks to a service.
"""

from __future__ import annotations

from chainkit.attestation._errors import AttestationError, StatementFormatError
from chainkit.attestation._names import (
    ATTESTATION_MARKER,
    BUNDLE_SUFFIX,
    attestation_name,
    bundle_name,
    bundle_release_prefix,
    github_asset_name,
    is_attestation_name,
)
from chainkit.attestation._predicate import (
    NOTICE,
    PREDICATE_TYPE,
    BackfillPredicate,
    EvidenceRecord,
    EvidenceSource,
    ReleaseInfo,
    SubjectRecord,
    WorkflowRun,
    backfill_statement,
    parse_predicate,
)
from chainkit.attestation._statement import (
    MAX_STATEMENT_BYTES,
    PAYLOAD_TYPE,
    STATEMENT_TYPE,
    Statement,
    Subject,
    parse_statement,
    statement_bytes,
)

__all__ = [
    "ATTESTATION_MARKER",
    "BUNDLE_SUFFIX",
    "MAX_STATEMENT_BYTES",
    "NOTICE",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "AttestationError",
    "BackfillPredicate",
    "EvidenceRecord",
    "EvidenceSource",
    "ReleaseInfo",
    "Statement",
    "StatementFormatError",
    "Subject",
    "SubjectRecord",
    "WorkflowRun",
    "attestation_name",
    "backfill_statement",
    "bundle_name",
    "bundle_release_prefix",
    "github_asset_name",
    "is_attestation_name",
    "parse_predicate",
    "parse_statement",
    "statement_bytes",
]
