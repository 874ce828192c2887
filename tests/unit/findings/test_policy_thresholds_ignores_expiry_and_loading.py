from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chainkit.errors import ExitCode
from chainkit.findings import (
    FailOn,
    Ignore,
    Policy,
    PolicyError,
    Severity,
    load_policy,
    parse_policy,
)

TODAY = dt.date(2025, 6, 15)
HIGH = Severity.HIGH
LOW = Severity.LOW
UNKNOWN = None


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
def test_thresholds(fail_on: str, severity: Severity | None, fails: bool) -> None:
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
        ({"failon": "high"}, "unknown 'failon'"),
        ({"ignore": {"id": "A"}}, "array of tables"),
        ({"ignore": [{"id": "A"}]}, "reason is required"),
        ({"ignore": [{"reason": "r"}]}, "id is required"),
        ({"ignore": [{"id": "A", "reason": "r", "expires": "someday"}]}, "expires must be a date"),
        ({"ignore": [{"id": "A", "reason": "r", "until": "2025-01-01"}]}, "unknown 'until'"),
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


def test_scan_section_is_read_from_its_own_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.chainkit.audit]\nfail-on = "high"\n[tool.chainkit.scan]\nfail-on = "low"\n'
    )
    assert load_policy(None, project_dir=tmp_path, section="scan").fail_on is FailOn.LOW
    assert load_policy(None, project_dir=tmp_path).fail_on is FailOn.HIGH
    with pytest.raises(PolicyError) as info:
        parse_policy({"ignore": [{"id": "B105"}]}, source="p", section="scan")
    assert "docs/scan.md" in (info.value.remediation or "")


def test_apply_sets_verdicts_and_reports_expired_and_unused_ignores() -> None:
    from chainkit.findings import Finding, Location, PackageRef, Rule, fingerprint

    def finding(rule_id: str, aliases: tuple[str, ...], package: str, sev: Severity | None):
        rule = Rule(rule_id, "VulnerableDependency", "t", rule_id, aliases=aliases)
        loc = Location("r.txt", None, PackageRef(package, "1.0"))
        return Finding(rule, "m", fingerprint(package, rule_id), sev, (loc,))

    policy = parse_policy(
        {
            "fail-on": "high",
            "ignore": [
                {"id": "cve-1", "package": "Demo_Pkg", "reason": "unused path"},
                {"id": "GHSA-old", "reason": "r", "expires": "2025-01-01"},
                {"id": "NEVER", "reason": "r"},
            ],
        },
        source="t",
    )
    applied = policy.apply(
        [
            finding("PYSEC-1", ("CVE-1",), "demo-pkg", Severity.CRITICAL),
            finding("PYSEC-2", ("GHSA-old",), "other", Severity.HIGH),
            finding("PYSEC-3", (), "other", Severity.MEDIUM),
            finding("PYSEC-4", (), "other", None),
        ],
        today=TODAY,
    )
    suppressed, expired, below, unknown = applied.findings
    assert suppressed.suppression is not None and not suppressed.blocking
    assert suppressed.suppression.describe() == "cve-1 for demo-pkg: unused path"
    assert expired.blocking and expired.suppression is None
    assert not below.blocking and unknown.blocking  # unknown counts as high
    assert [i.id for i in applied.expired] == ["GHSA-old"]
    assert [i.id for i in applied.unused] == ["NEVER"]
