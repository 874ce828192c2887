from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chainkit.audit import (
    FailOn,
    Ignore,
    Level,
    Policy,
    PolicyError,
    Severity,
    load_policy,
    parse_policy,
)
from chainkit.errors import ExitCode

TODAY = dt.date(2025, 6, 15)
HIGH = Severity(Level.HIGH, 7.5)
LOW = Severity(Level.LOW, 2.0)
UNKNOWN = Severity(None)


@pytest.mark.parametrize(
    ("fail_on", "severity", "fails"),
    [
        ("any", LOW, True),
        ("any", UNKNOWN, True),
        ("low", LOW, True),
        ("medium", LOW, False),
        ("high", HIGH, True),
        ("critical", HIGH, False),
        ("high", UNKNOWN, True),  # unknown counts as high by default
        ("critical", UNKNOWN, False),
    ],
)
def test_thresholds(fail_on: str, severity: Severity, fails: bool) -> None:
    policy = parse_policy({"fail-on": fail_on}, source="t")
    assert policy.reaches_threshold(severity) is fails


def test_unknown_severity_is_a_knob() -> None:
    assert parse_policy(
        {"fail-on": "critical", "unknown-severity": "critical"}, source="t"
    ).reaches_threshold(UNKNOWN)
    ignore_unknown = parse_policy({"fail-on": "low", "unknown-severity": "ignore"}, source="t")
    assert not ignore_unknown.reaches_threshold(UNKNOWN)
    assert ignore_unknown.reaches_threshold(LOW)
    # fail-on any means any finding, whatever its severity
    assert parse_policy({"unknown-severity": "ignore"}, source="t").reaches_threshold(UNKNOWN)


def test_ignores_with_and_without_package_scope_and_aliases() -> None:
    policy = parse_policy(
        {
            "ignore": [
                {"id": "CVE-2021-1", "reason": "not reachable"},
                {"id": "GHSA-xxxx", "package": "Demo_Pkg", "reason": "vendored copy unused"},
            ]
        },
        source="t",
    )
    ids = frozenset({"PYSEC-2021-9", "CVE-2021-1"})
    hit = policy.find_ignore("anything", ids, today=TODAY)
    assert hit is not None and hit.reason == "not reachable"  # an alias ignores the advisory
    ghsa = frozenset({"PYSEC-2", "GHSA-xxxx"})
    assert policy.find_ignore("demo-pkg", ghsa, today=TODAY) is not None
    assert policy.find_ignore("other-pkg", ghsa, today=TODAY) is None  # scoped to its package
    assert policy.find_ignore("demo-pkg", frozenset({"PYSEC-3"}), today=TODAY) is None


def test_expired_ignores_stop_ignoring() -> None:
    policy = parse_policy(
        {
            "ignore": [
                {"id": "A", "reason": "r", "expires": dt.date(2025, 6, 14)},
                {"id": "B", "reason": "r", "expires": "2025-06-15"},
            ]
        },
        source="t",
    )
    assert policy.find_ignore("p", frozenset({"A"}), today=TODAY) is None
    assert policy.ignores[0].expired(TODAY)
    assert policy.find_ignore("p", frozenset({"B"}), today=TODAY) is not None  # last valid day
    assert policy.ignores[1].expires == dt.date(2025, 6, 15)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"fail-on": "severe"}, "fail-on must be one of"),
        ({"unknown-severity": "maybe"}, "unknown-severity must be"),
        ({"failon": "high"}, "unknown key"),
        ({"ignore": {"id": "A"}}, "array of tables"),
        ({"ignore": [{"id": "A"}]}, "reason is required"),
        ({"ignore": [{"reason": "r"}]}, "id is required"),
        ({"ignore": [{"id": "A", "reason": "r", "expires": "someday"}]}, "expires must be a date"),
        ({"ignore": [{"id": "A", "reason": "r", "until": "2025-01-01"}]}, "unknown key"),
        ({"ignore": [{"id": "A", "reason": "r", "package": ""}]}, "package must be a name"),
    ],
)
def test_invalid_policies(table: dict, match: str) -> None:
    with pytest.raises(PolicyError, match=match) as info:
        parse_policy(table, source="policy.toml")
    assert info.value.exit_code == ExitCode.USAGE
    assert "docs/audit.md" in (info.value.remediation or "")


def test_load_from_pyproject_and_policy_files(tmp_path: Path) -> None:
    assert load_policy(None, project_dir=tmp_path) == Policy()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.chainkit.audit]\nfail-on = "high"\n'
        '[[tool.chainkit.audit.ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = 2030-01-01\n'
    )
    policy = load_policy(None, project_dir=tmp_path)
    assert policy.fail_on is FailOn.HIGH
    assert policy.ignores == (Ignore("PYSEC-1", "r", None, dt.date(2030, 1, 1)),)
    assert policy.source and "pyproject.toml" in policy.source
    standalone = tmp_path / "audit-policy.toml"
    standalone.write_text(
        'fail-on = "critical"\n[[ignore]]\nid = "X"\npackage = "A_B"\nreason = "r"\n'
    )
    policy = load_policy(standalone, project_dir=tmp_path)  # an explicit file wins
    assert policy.fail_on is FailOn.CRITICAL
    assert policy.ignores[0].package == "a-b"
    assert policy.with_fail_on(FailOn.LOW).fail_on is FailOn.LOW
    assert load_policy(tmp_path / "pyproject.toml").fail_on is FailOn.HIGH


def test_broken_and_missing_policy_files(tmp_path: Path) -> None:
    broken = tmp_path / "p.toml"
    broken.write_text("fail-on = \n")
    with pytest.raises(PolicyError, match="could not be read as TOML"):
        load_policy(broken)
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "missing.toml")
