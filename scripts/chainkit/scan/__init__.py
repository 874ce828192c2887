"""``chainkit scan``: bandit (``scan code``) and gitleaks (``scan secrets``) with one
findings model, one set of writers and baselines.

Public API (everything else is internal)::

    outcome = scan_code(CodeScanRequest(paths=(Path("src"),), baseline=Path("b.json")))
    print(render(outcome, "sarif")); raise SystemExit(outcome.exit_code)

    outcome = scan_secrets(SecretScanRequest(source=Path("."), history=True))

- requests :class:`CodeScanRequest`, :class:`SecretScanRequest`; :func:`scan_code`,
  :func:`scan_secrets` → :class:`ScanOutcome` (a :class:`chainkit.findings.Report` of the
  findings not in the baseline, the accepted count, the stale baseline entries);
- baselines :class:`Baseline`, :class:`BaselineEntry`, :func:`load_baseline`;
- :func:`render` (``table``, ``json``, ``sarif``, ``markdown``), :func:`summary_line`;
- errors :class:`ScanError` (base), :class:`ScanInputError` and :class:`BaselineError`
  (exit 2), :class:`ToolError` and :class:`ToolMissingError` (exit 3).

Secret values never leave this package: see ``_gitleaks`` for how.
"""

from __future__ import annotations

from chainkit.scan._baseline import Baseline, BaselineEntry, load_baseline
from chainkit.scan._errors import (
    BaselineError,
    ScanError,
    ScanInputError,
    ToolError,
    ToolMissingError,
)
from chainkit.scan._gitleaks import ENV_VAR as GITLEAKS_ENV_VAR
from chainkit.scan._render import FORMATS, render, summary_line
from chainkit.scan._service import (
    CodeScanRequest,
    ScanOutcome,
    SecretScanRequest,
    scan_code,
    scan_secrets,
)

__all__ = [
    "FORMATS",
    "GITLEAKS_ENV_VAR",
    "Baseline",
    "BaselineEntry",
    "BaselineError",
    "CodeScanRequest",
    "ScanError",
    "ScanInputError",
    "ScanOutcome",
    "SecretScanRequest",
    "ToolError",
    "ToolMissingError",
    "load_baseline",
    "render",
    "scan_code",
    "scan_secrets",
    "summary_line",
]
