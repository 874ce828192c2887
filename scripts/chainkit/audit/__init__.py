"""``chainkit audit``: pip-audit with a policy, severities, SARIF and an offline OSV database.

Public API (everything else is internal)::

    inputs = [requirements_input([Path("requirements.txt")])]
    policy = load_policy(None, project_dir=Path("."))
    report = run_audit(AuditRequest(tuple(inputs), advisory_db=Path("all.zip")), policy)
    print(render(report, "sarif")); raise SystemExit(report.exit_code)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainkit.audit._errors import (
        AdvisoryDatabaseError,
        AuditError,
        AuditFailedError,
        InputError,
    )
    from chainkit.audit._formats import FORMATS, render
    from chainkit.audit._formats._common import summary_line, verdict
    from chainkit.audit._inputs import (
        AuditInput,
        environment_input,
        lock_input,
        project_inputs,
        requirements_input,
    )
    from chainkit.audit._model import (
        Advisory,
        AuditFinding,
        AuditReport,
        Location,
        Package,
        Skipped,
    )
    from chainkit.audit._osv.database import AdvisoryDatabase, default_cache_dir, load_database
    from chainkit.audit._osv.server import LoopbackOSV
    from chainkit.audit._policy import FailOn, Ignore, Policy, load_policy, parse_policy
    from chainkit.audit._run import AuditRequest, run_audit
    from chainkit.audit._severity import Rating, rating_of
    from chainkit.findings import PolicyError

# Loaded on first use, so that ``chainkit --help`` imports only what it needs.
_EXPORTS: dict[str, str] = {
    "Advisory": "chainkit.audit._model",
    "AdvisoryDatabase": "chainkit.audit._osv.database",
    "AdvisoryDatabaseError": "chainkit.audit._errors",
    "AuditError": "chainkit.audit._errors",
    "AuditFailedError": "chainkit.audit._errors",
    "AuditInput": "chainkit.audit._inputs",
    "AuditReport": "chainkit.audit._model",
    "AuditRequest": "chainkit.audit._run",
    "FORMATS": "chainkit.audit._formats",
    "FailOn": "chainkit.audit._policy",
    "AuditFinding": "chainkit.audit._model",
    "Ignore": "chainkit.audit._policy",
    "InputError": "chainkit.audit._errors",
    "Location": "chainkit.audit._model",
    "LoopbackOSV": "chainkit.audit._osv.server",
    "Package": "chainkit.audit._model",
    "Policy": "chainkit.audit._policy",
    "PolicyError": "chainkit.findings",
    "Rating": "chainkit.audit._severity",
    "Skipped": "chainkit.audit._model",
    "default_cache_dir": "chainkit.audit._osv.database",
    "environment_input": "chainkit.audit._inputs",
    "load_database": "chainkit.audit._osv.database",
    "load_policy": "chainkit.audit._policy",
    "lock_input": "chainkit.audit._inputs",
    "parse_policy": "chainkit.audit._policy",
    "project_inputs": "chainkit.audit._inputs",
    "render": "chainkit.audit._formats",
    "requirements_input": "chainkit.audit._inputs",
    "run_audit": "chainkit.audit._run",
    "summary_line": "chainkit.audit._formats._common",
    "verdict": "chainkit.audit._formats._common",
    "rating_of": "chainkit.audit._severity",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chainkit.audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "FORMATS",
    "Advisory",
    "AdvisoryDatabase",
    "AdvisoryDatabaseError",
    "AuditError",
    "AuditFailedError",
    "AuditFinding",
    "AuditInput",
    "AuditReport",
    "AuditRequest",
    "FailOn",
    "Ignore",
    "InputError",
    "Location",
    "LoopbackOSV",
    "Package",
    "Policy",
    "PolicyError",
    "Rating",
    "Skipped",
    "default_cache_dir",
    "environment_input",
    "load_database",
    "load_policy",
    "lock_input",
    "parse_policy",
    "project_inputs",
    "rating_of",
    "render",
    "requirements_input",
    "run_audit",
    "summary_line",
    "verdict",
]
