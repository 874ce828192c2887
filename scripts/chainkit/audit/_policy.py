"""The audit's policy: :mod:`chainkit.findings`' policy, read from ``[tool.chainkit.audit]``.

See :mod:`chainkit.findings._policy` for the keys; ``--policy FILE`` holds the same keys at
its top level or under ``[tool.chainkit.audit]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chainkit.findings import FailOn, Ignore, Policy
from chainkit.findings import load_policy as _load_policy
from chainkit.findings import parse_policy as _parse_policy

__all__ = ["SECTION", "FailOn", "Ignore", "Policy", "load_policy", "parse_policy"]

SECTION = "audit"


def parse_policy(table: Mapping[str, Any], *, source: str) -> Policy:
    """Validate a ``[tool.chainkit.audit]``-shaped mapping; unknown keys are errors."""
    return _parse_policy(table, source=source, section=SECTION)


def load_policy(policy_file: Path | None, *, project_dir: Path | None = None) -> Policy:
    """The policy from ``policy_file``, else ``project_dir/pyproject.toml``, else the default."""
    return _load_policy(policy_file, project_dir=project_dir, section=SECTION)
