"""The audit's exit code: findings, clean, and nothing audited at all."""

from __future__ import annotations

import pytest

from chainkit.audit._model import AuditReport, Package, Skipped
from chainkit.audit._policy import Policy
from chainkit.errors import ExitCode


def report(*, packages: int, skipped: int) -> AuditReport:
    return AuditReport(
        inputs=(),
        service="osv",
        packages=tuple(Package(f"p{i}", "1.0") for i in range(packages)),
        skipped=tuple(
            Skipped(f"s{i}", "not found on the index", "req.txt") for i in range(skipped)
        ),
        findings=(),
        policy=Policy(),
    )


@pytest.mark.parametrize(
    ("packages", "skipped", "code"),
    [(2, 0, ExitCode.OK), (2, 1, ExitCode.OK), (0, 3, ExitCode.FAILURE), (0, 0, ExitCode.OK)],
)
def test_exit_code_without_findings(packages: int, skipped: int, code: ExitCode) -> None:
    assert report(packages=packages, skipped=skipped).exit_code == code
