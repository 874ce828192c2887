"""The findings writers: SARIF valid against the official 2.1.0 schema (several locations,
none, package-only, suppressed), Markdown inert for hostile values, JSON and the table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.findings import (
    FORMATS,
    Finding,
    Location,
    PackageRef,
    Region,
    Report,
    Rule,
    Severity,
    Suppression,
    Tool,
    fingerprint,
    format,
    sarif_dict,
)

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "assets" / "audit" / "sarif-schema-2.1.0.json"
    ).read_text()
)
TOOL = Tool("chainkit-scan", "0.0.0", "https://example.invalid/docs", "chainkitScan/v1", "scan/")
HOSTILE = "a|b<img>"


def rule(rule_id: str = "B105", **kw) -> Rule:
    return Rule(rule_id, "hardcoded_password", "bandit", "Possible hardcoded password", **kw)


def findings() -> tuple[Finding, ...]:
    several = Finding(
        rule(help_uri="https://example.invalid/B105", default_severity=Severity.LOW),
        "Possible hardcoded password: 'token'",
        fingerprint("B105", "app/settings.py", "settings.TOKEN"),
        Severity.LOW,
        (
            Location("app/settings.py", Region(12, 5, 12, 30)),
            Location.file("app/other settings.py", 3),
            Location("/abs/path/file.py", None),
        ),
        blocking=True,
    )
    nowhere = Finding(rule("B999"), "no location at all", fingerprint("B999"), None)
    package = Finding(
        Rule("PYSEC-1", "VulnerableDependency", "audit", "x", score=9.8, aliases=("CVE-1",)),
        "vulnerable",
        fingerprint(HOSTILE, "1.0", "PYSEC-1"),
        Severity.CRITICAL,
        (Location(package=PackageRef(HOSTILE, "1.0", "pkg:pypi/a%7Cb%3Cimg%3E@1.0")),),
        fix="1.1",
        score=9.8,
        suppression=Suppression("not reachable | <b>really</b>", "CVE-1", HOSTILE, "2999-01-01"),
        properties={"package": HOSTILE},
    )
    return (several, nowhere, package)


def report() -> Report:
    return Report(
        TOOL,
        findings(),
        fail_on="low",
        expired_ignores=(Suppression("old", "GHSA-x", None, "2020-01-01"),),
        properties={"scanned": 3},
    )


def test_sarif_is_schema_valid_with_several_locations_none_and_a_package() -> None:
    sarif = json.loads(format(report(), "sarif"))
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "chainkit-scan"
    assert run["automationDetails"] == {"id": "scan/"}
    several, nowhere, package = run["results"]
    assert [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in several["locations"]] == [
        "app/settings.py",
        "app/other%20settings.py",
        "file:///abs/path/file.py",
    ]
    assert several["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12,
        "startColumn": 5,
        "endLine": 12,
        "endColumn": 30,
    }
    assert "region" not in several["locations"][2]["physicalLocation"]
    assert several["level"] == "error" and nowhere["level"] == "warning"
    assert nowhere["locations"] == []
    assert package["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
        "pkg:pypi/"
    )
    assert package["level"] == "note"
    assert package["suppressions"][0]["status"] == "accepted"
    assert package["partialFingerprints"] == {
        "chainkitScan/v1": fingerprint(HOSTILE, "1.0", "PYSEC-1")
    }
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["B105", "B999", "PYSEC-1"]  # each rule once
    assert [several["ruleIndex"], nowhere["ruleIndex"], package["ruleIndex"]] == [0, 1, 2]
    assert rules[0]["properties"]["security-severity"] == "2.0"  # from the default severity
    assert rules[2]["properties"]["security-severity"] == "9.8"  # from the score
    assert rules[2]["properties"]["aliases"] == ["CVE-1"]


def test_one_sarif_run_per_tool() -> None:
    audit = Report(Tool("chainkit-audit", "0", "https://e.invalid", "chainkitAudit/v1"), ())
    sarif = sarif_dict([report(), audit])
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert [r["tool"]["driver"]["name"] for r in sarif["runs"]] == [
        "chainkit-scan",
        "chainkit-audit",
    ]
    assert sarif["runs"][1]["results"] == []


def test_markdown_escapes_a_hostile_package_name() -> None:
    text = format(report(), "markdown", title="chainkit scan")
    assert HOSTILE not in text
    assert "a\\|b\\<img\\>" in text
    assert "<img>" not in text and "<b>" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == 5 for line in rows)  # six cells: no cell was split
    assert text.startswith("## chainkit scan\n\n:x: **1 finding at or above fail-on=low**")
    assert "GHSA-x until 2020-01-01: old" in text  # the expired ignore is listed


def test_json_report() -> None:
    data = json.loads(format(report(), "json"))
    assert data["summary"] == {"findings": 3, "blocking": 1, "ignored": 1}
    several, nowhere, package = data["findings"]
    assert several["locations"][0] == {"path": "app/settings.py", "line": 12, "column": 5}
    assert nowhere["severity"] == "unknown" and nowhere["locations"] == []
    assert package["ignored"] == {
        "id": "CVE-1",
        "package": HOSTILE,
        "reason": "not reachable | <b>really</b>",
        "expires": "2999-01-01",
    }
    assert package["locations"][0]["package"]["version"] == "1.0"


def test_table_replaces_control_characters() -> None:
    evil = Finding(
        rule(), "m", fingerprint("x"), Severity.HIGH, (Location.file("a\x1b[2Jb.py", 1),)
    )
    text = format(Report(TOOL, (evil,), fail_on="critical"), "table")
    assert "\x1b" not in text and "a\\x1b[2Jb.py:1" in text  # a visible escape
    assert text.splitlines()[0].split() == ["Where", "Rule", "Severity", "Fix", "Status"]
    assert "below critical" in text
    with pytest.raises(ValueError, match="unknown format"):
        format(report(), "xml")
    assert set(FORMATS) == {"sarif", "json", "markdown", "table"}


def test_fingerprints_are_stable_and_reveal_no_input() -> None:
    secret = "ghp_" + "s" * 36
    fp = fingerprint("gitleaks:github-pat", "config/.env", "7")
    assert fp == fingerprint("gitleaks:github-pat", "config/.env", "7")  # stable across calls
    assert fp == "08cddd28ecf99e07adb652ee339455df5b4a2bea882c942874c1881b39d4e054"  # pinned
    assert fingerprint("a", "bc") != fingerprint("ab", "c")  # parts are separated
    assert secret not in fingerprint("rule", secret)
    with pytest.raises(ValueError, match="NUL"):
        fingerprint("a\0b")
    # audit's scheme is unchanged: sha256 of "name\0version\0id"
    import hashlib

    assert (
        fingerprint("fastapi", "0.109.0", "PYSEC-2024-38")
        == hashlib.sha256(b"fastapi\x000.109.0\x00PYSEC-2024-38").hexdigest()
    )


_UNESCAPED_HTML = re.compile(r"(?<!\\)<(?!https?://)")  # a '<' that is not the link's own


@given(
    rule_id=st.text(min_size=1, max_size=30),
    uri=st.one_of(
        st.text(max_size=40).map(lambda t: "https://osv.dev/vulnerability/" + t),
        st.text(max_size=40),
    ),
)
@example(rule_id="X<img src=x>) [x](javascript:alert(1)", uri="https://a/X<img src=x>)")
@example(rule_id="X", uri="javascript:alert(1)")
@example(rule_id="X\n# heading", uri="https://a/b>\n<img src=x>")
def test_sarif_help_markdown_links_cannot_be_broken_out_of(rule_id: str, uri: str) -> None:
    r = Rule(rule_id, "VulnerableDependency", "audit", "x", help_uri=uri, help_text="text")
    f = Finding(r, "m", fingerprint("rule"), Severity.LOW, ())
    help_md = sarif_dict(Report(TOOL, (f,), fail_on="any"))["runs"][0]["tool"]["driver"]["rules"]
    text = help_md[0]["help"]["markdown"]
    assert not _UNESCAPED_HTML.search(text)
    assert "\n" not in text.split("\n\n", 1)[1]  # the "See ..." line stays one line
    if "](" in text:  # a link was made: only to http(s), destination without <, >, space
        destination = text.rsplit("](<", 1)[1].removesuffix(">).")
        assert destination.lower().startswith(("https://", "http://"))
        assert not any(ch in destination for ch in "<> \n\\`")
