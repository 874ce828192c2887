"""``chainkit sbom``: CycloneDX SBOMs that a release can carry and anyone can check.

Public API (everything else is internal)::

    document = generate(LockSource(Path("uv.lock")), BuildOptions(spec="1.6", reproducible=True,
                        source_date_epoch="1700000000"))
    result = check_sbom(load_sbom(Path("app.cdx.json")), CheckOptions(allow_licenses=("MIT",)))
    changes = diff_sboms(load_sbom(old), load_sbom(new))
    merged = merge_sboms([load_sbom(a), load_sbom(b)], BuildOptions())

- ``generate(..., vulnerabilities=AuditOptions(...))`` adds the audit engine's advisories;
- sources: :class:`EnvironmentSource`, :class:`RequirementsSource`, :class:`LockSource`,
  :class:`ProjectSource`; :func:`generate` (collect, build, validate) and :class:`BuildOptions`;
- reading: :func:`load_sbom` (bounded, strict JSON, schema-validated) → :class:`Sbom`;
- :func:`check_sbom` (NTIA minimum elements and licence policy, as ``findings``),
  :func:`diff_sboms`, :func:`merge_sboms`;
- :func:`attach_sbom` (:class:`AttachRequest`): upload to a release through
  ``chainkit.github``, signed with ``chainkit.signing``, idempotent;
- :func:`validate_document` (the fast schema validator), :data:`SPEC_VERSIONS`;
- errors: :class:`SbomError`, :class:`SbomInputError` and :class:`InvalidSbomError` (exit 2),
  :class:`SbomToolError` (exit 3).
"""

from __future__ import annotations

from chainkit.sbom._attach import AttachRequest, AttachResult, attach_sbom
from chainkit.sbom._build import BuildOptions, build_document
from chainkit.sbom._check import CheckOptions, CheckResult, check_sbom, render_check
from chainkit.sbom._diff import SbomDiff, diff_sboms, render_diff
from chainkit.sbom._errors import InvalidSbomError, SbomError, SbomInputError, SbomToolError
from chainkit.sbom._inventory import (
    EnvironmentSource,
    LockSource,
    ProjectSource,
    RequirementsSource,
    SbomSource,
    collect_inventory,
)
from chainkit.sbom._licenses import parse_allow_list
from chainkit.sbom._merge import Conflict, MergeResult, merge_sboms
from chainkit.sbom._read import Sbom, SbomComponent, load_sbom, parse_sbom
from chainkit.sbom._validate import SPEC_VERSIONS, validate_json
from chainkit.sbom._vulns import AuditOptions, audit_vulnerabilities

__all__ = [
    "SPEC_VERSIONS",
    "AttachRequest",
    "AttachResult",
    "AuditOptions",
    "BuildOptions",
    "CheckOptions",
    "CheckResult",
    "Conflict",
    "EnvironmentSource",
    "InvalidSbomError",
    "LockSource",
    "MergeResult",
    "ProjectSource",
    "RequirementsSource",
    "Sbom",
    "SbomComponent",
    "SbomDiff",
    "SbomError",
    "SbomInputError",
    "SbomSource",
    "SbomToolError",
    "attach_sbom",
    "check_sbom",
    "diff_sboms",
    "generate",
    "load_sbom",
    "merge_sboms",
    "parse_allow_list",
    "parse_sbom",
    "render_check",
    "render_diff",
    "validate_document",
]


def generate(
    source: SbomSource, options: BuildOptions, *, vulnerabilities: AuditOptions | None = None
) -> bytes:
    """The SBOM of ``source``, validated against the schema of ``options.spec``; with
    ``vulnerabilities``, the audit engine's advisories as CycloneDX vulnerabilities.

    :class:`SbomInputError` (or :class:`chainkit.deps.InputError`) for unreadable inputs."""
    inventory = collect_inventory(source)
    vulns = audit_vulnerabilities(source, vulnerabilities) if vulnerabilities else ()
    return build_document(inventory, options, vulns)


def validate_document(document: object, spec: str) -> None:
    """:class:`InvalidSbomError` unless ``document`` (parsed JSON) is valid CycloneDX ``spec``."""
    validate_json(document, spec, what="the SBOM")
