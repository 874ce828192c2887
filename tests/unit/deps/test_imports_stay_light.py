"""``chainkit.findings`` and ``chainkit.deps`` load without pip-audit (``chainkit --help``
stays fast; pip-audit is imported only when an audit runs)."""

from __future__ import annotations

import subprocess
import sys


def test_findings_and_deps_do_not_import_pip_audit() -> None:
    code = (
        "import sys, chainkit.findings, chainkit.deps, chainkit.audit, chainkit.cli; "
        "heavy = ('pip_audit', 'pip_requirements_parser', 'yaml'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
