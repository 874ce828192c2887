"""Property tests (issue 9) for the scan inputs chainkit does not write itself: the baseline
file, gitleaks' JSON report and bandit's JSON report. Any JSON is parsed or refused with the
documented kind (a baseline: exit 2; a malformed tool report: exit 3), never another
exception, and a value that may be a secret never reaches an error message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chainkit.errors import ExitCode
from chainkit.findings import Severity
from chainkit.scan import BaselineError, ToolError
from chainkit.scan._bandit import to_findings as bandit_findings
from chainkit.scan._baseline import load_baseline, parse_baseline
from chainkit.scan._gitleaks import to_findings as gitleaks_findings

MARKER = "hunter2-MARKER-7f3a"
ROOT = Path("/nonexistent-scan-root")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def _json(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    )


json_values = _json(scalars)
secret_values = _json(scalars | st.just(MARKER) | st.just(f"x = '{MARKER}'"))
"""Values of the fields that can hold a secret (the marker stands for one)."""


def _fields(keys: list[str], secret_keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of ``keys``: the secret-bearing ones often the marker."""
    return st.fixed_dictionaries(
        {},
        optional={k: secret_values if k in secret_keys else json_values for k in keys},
    )


class _NoSources:
    """No source files: the reader falls back to the redacted match (no file is read)."""

    def lines(self, commit: str, path: str) -> list[bytes] | None:
        return None


class _SourcesWith:
    def __init__(self, text: str) -> None:
        self._lines = text.encode().split(b"\n")

    def lines(self, commit: str, path: str) -> list[bytes] | None:
        return self._lines


GITLEAKS_KEYS = [
    "RuleID", "File", "Commit", "StartLine", "EndLine", "StartColumn", "EndColumn",
    "Match", "Secret", "Entropy", "Tags", "Description",
]  # fmt: skip
GITLEAKS_SECRET_KEYS = ["Match", "Secret", "StartLine", "EndLine", "StartColumn", "EndColumn"]
BANDIT_SECRET_KEYS = ["code", "issue_text", "line_number", "line_range"]
BANDIT_KEYS = [
    "filename", "test_id", "test_name", "issue_severity", "issue_confidence", "issue_text",
    "issue_cwe", "more_info", "line_number", "line_range", "col_offset", "code",
]  # fmt: skip


def _assert_quiet(exc: BaseException) -> None:
    text = exc.render() if hasattr(exc, "render") else str(exc)
    assert MARKER not in text, text
    assert MARKER not in str(exc)


# -- baselines ---------------------------------------------------------------------------------

baseline_entries = st.fixed_dictionaries(
    {},
    optional={
        "fingerprint": st.sampled_from(["0" * 64, "a" * 64]) | json_values,
        "rule": json_values,
        "path": json_values,
        "reason": json_values,
    },
)
baselines = (
    st.fixed_dictionaries(
        {},
        optional={
            "format": st.just("chainkit-scan-baseline") | json_values,
            "version": st.just(1) | json_values,
            "scanner": st.sampled_from(["code", "secrets"]) | json_values,
            "entries": st.lists(baseline_entries, max_size=3) | json_values,
        },
    )
    | json_values
)


@given(data=baselines)
@example(data={"format": "chainkit-scan-baseline", "version": 1, "scanner": MARKER, "entries": []})
@example(data={"format": MARKER, "version": 1, "scanner": "code", "entries": []})
@example(
    data={
        "format": "chainkit-scan-baseline",
        "version": 1,
        "scanner": "code",
        "entries": [{"fingerprint": MARKER, "rule": "r", "path": "p"}],
    }
)
def test_a_baseline_is_parsed_or_refused_with_exit_2(data: Any) -> None:
    try:
        baseline = parse_baseline(data, source="b.json", scanner="code")
    except BaselineError as exc:
        # a baseline holds no secrets (chainkit writes it): the error may show the bad value
        assert exc.exit_code == ExitCode.USAGE
        return
    assert baseline.scanner == "code"
    assert len(baseline.fingerprints) == len(baseline.entries)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
@example(raw=b'{"format": "chainkit-scan-baseline", "format": 1}')
@example(raw=b'{"a": NaN}')
@example(raw=b"\xff\xfe")
def test_a_baseline_file_is_loaded_or_refused_with_exit_2(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "baseline.json"
    path.write_bytes(raw)
    try:
        load_baseline(path, scanner="secrets")
    except BaselineError as exc:
        assert exc.exit_code == ExitCode.USAGE


# -- gitleaks ----------------------------------------------------------------------------------


@given(
    report=st.lists(_fields(GITLEAKS_KEYS, GITLEAKS_SECRET_KEYS) | json_values, max_size=4)
    | json_values
)
@example(report=[{"StartLine": MARKER}])
@example(report=[{"StartLine": 1, "EndLine": MARKER}])
@example(report=[{"StartColumn": MARKER}])
@example(report=[{"Tags": 7}])
@example(report=[{"StartLine": [MARKER]}])
@example(report=[{"File": "a\x00b"}])
@example(report=[{"RuleID": "r\x00", "File": "a"}])
def test_a_gitleaks_report_is_read_or_refused_as_a_tool_failure(report: Any) -> None:
    try:
        findings, _ = gitleaks_findings(report, root=ROOT, mode="git", sources=_NoSources())
    except ToolError as exc:
        assert exc.exit_code == ExitCode.FAILURE
        _assert_quiet(exc)
        return
    for f in findings:
        assert MARKER not in f.fingerprint
        assert f.locations[0].region is not None and f.locations[0].region.start_line >= 1


@given(entry=_fields(GITLEAKS_KEYS, GITLEAKS_SECRET_KEYS))
@example(entry={"StartLine": 1, "StartColumn": MARKER, "Match": "REDACTED"})
@example(entry={"StartLine": 1, "EndLine": 1, "StartColumn": 1, "EndColumn": MARKER})
@example(entry={"StartLine": 1, "StartColumn": 2**70, "EndColumn": -(2**70)})
def test_a_gitleaks_entry_over_real_lines_never_fails_otherwise(entry: dict[str, Any]) -> None:
    sources = _SourcesWith(f"token = {MARKER}\nsecond line\n")
    try:
        findings, _ = gitleaks_findings([entry], root=ROOT, mode="dir", sources=sources)
    except ToolError as exc:
        _assert_quiet(exc)
        return
    for f in findings:
        assert MARKER not in f.message


# -- bandit ------------------------------------------------------------------------------------

bandit_reports = (
    st.fixed_dictionaries(
        {},
        optional={
            "results": st.lists(_fields(BANDIT_KEYS, BANDIT_SECRET_KEYS) | json_values, max_size=4)
            | json_values,
            "errors": st.lists(
                st.fixed_dictionaries({}, optional={"filename": json_values}), max_size=2
            )
            | json_values,
            "metrics": json_values,
        },
    )
    | json_values
)


@given(report=bandit_reports)
@example(report={"results": [{"line_number": MARKER}]})
@example(report={"results": [{"line_number": [1]}, {"line_number": 2}]})
@example(report={"results": [{"line_range": 3}]})
@example(report={"results": [], "errors": 5})
@example(report={"results": [{"filename": "a\x00.py"}]})
@example(report={"results": [{"test_id": "B\x00"}]})
@example(report={"results": [], "errors": [{"filename": "\x00"}]})
@example(report={"results": [{"col_offset": 2**70, "line_number": True}]})
def test_a_bandit_report_is_read_or_refused_as_a_tool_failure(report: Any) -> None:
    try:
        findings, below = bandit_findings(
            report, root=ROOT, severity=Severity.LOW, confidence=Severity.LOW
        )
    except ToolError as exc:
        assert exc.exit_code == ExitCode.FAILURE
        _assert_quiet(exc)
        return
    assert below >= 0
    for f in findings:
        assert f.locations[0].region is None or f.locations[0].region.start_line >= 1
