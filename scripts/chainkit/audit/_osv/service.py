"""A pip-audit ``VulnerabilityService`` over an :class:`AdvisoryDatabase`, in-process.

pip-audit's ``Auditor`` asks it exactly what it would ask ``OsvService``; the answer is built
the way ``OsvService`` builds it from an OSV ``/v1/query`` response (same id preference,
description, fix versions and publication date), so reports do not depend on which of the
two served the database. Imports pip-audit: load this module lazily.
"""

from __future__ import annotations

import logging
from typing import Any

from packaging.version import Version
from pip_audit._service.interface import (
    Dependency,
    ResolvedDependency,
    VulnerabilityResult,
    VulnerabilityService,
)

from chainkit.audit._osv.database import AdvisoryDatabase
from chainkit.audit._osv.match import ECOSYSTEM, Record

__all__ = ["DatabaseService"]

_log = logging.getLogger("chainkit.audit")


def _result(record: Record, canonical_name: str) -> VulnerabilityResult | None:
    """``OsvService.query``'s conversion of one OSV record (pip-audit 2.x)."""
    record_id = str(record["id"])
    if Version(str(record.get("schema_version", "1.0.0"))).major != 1:
        _log.warning("%s: unsupported OSV schema version", record_id)
        return None
    if record.get("withdrawn") is not None:
        return None
    description = record.get("summary")
    if description is None:
        description = record.get("details")
    text = "N/A" if description is None else str(description).replace("\n", " ")
    fix_versions: list[Version] = []
    for affected in record.get("affected") or []:
        pkg: Any = affected.get("package") or {}
        if pkg.get("name") == canonical_name and pkg.get("ecosystem") == ECOSYSTEM:
            for rng in affected.get("ranges") or []:
                if rng.get("type") == "ECOSYSTEM":
                    fix_versions = [Version(str(e["fixed"])) for e in rng["events"] if "fixed" in e]
                    break
    fix_versions.sort()
    return VulnerabilityResult.create(
        ids=[record_id, *map(str, record.get("aliases") or [])],
        description=text,
        fix_versions=fix_versions,
        published=VulnerabilityService._parse_rfc3339(record.get("published")),
    )


class DatabaseService(VulnerabilityService):  # type: ignore[misc]  # pip-audit is untyped
    """Answer pip-audit's queries from ``database`` without HTTP."""

    def __init__(self, database: AdvisoryDatabase) -> None:
        self.database = database

    def query(self, spec: Dependency) -> tuple[Dependency, list[VulnerabilityResult]]:
        if spec.is_skipped():
            return spec, []
        assert isinstance(spec, ResolvedDependency)
        name = spec.canonical_name
        results = [_result(r, name) for r in self.database.query(name, str(spec.version))]
        return spec, [r for r in results if r is not None]
