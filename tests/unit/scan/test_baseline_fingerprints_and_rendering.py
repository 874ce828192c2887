"""Units of ``chainkit.scan``: the baseline document, fingerprints of code and secrets,
locating a secret again from gitleaks' redacted report, and stale entries in every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainkit.findings import Finding, Location, Rule, Severity, Tool, fingerprint
from chainkit.scan import BaselineError, ScanInputError
from chainkit.scan._bandit import to_findings as bandit_findings
from chainkit.scan._baseline import (
    BaselineEntry,
    baseline_document,
    compare,
    load_baseline,
    parse_baseline,
)
from chainkit.scan._common import relative_posix, snippet_digest
from chainkit.scan._gitleaks import _locate_secret, secret_digest
from chainkit.scan._gitleaks import to_findings as gitleaks_findings
from chainkit.scan._proc import check_path_argument
from chainkit.scan._render import render
from chainkit.scan._service import _finish

RULE = Rule("B602", "subprocess_popen_with_shell_equals_true", "bandit", "shell=True")


def finding(fp_seed: str, path: str = "a.py") -> Finding:
    return Finding(RULE, "m", fingerprint(fp_seed), Severity.HIGH, (Location.file(path, 3),))


def doc(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "format": "chainkit-scan-baseline",
        "version": 1,
        "scanner": "code",
        "entries": [{"fingerprint": "a" * 64, "rule": "B602", "path": "a.py", "reason": "ok"}],
    }
    base.update(over)
    return base


def test_baseline_round_trip_keeps_reasons_and_sorts(tmp_path: Path) -> None:
    one, two = finding("1", "b.py"), finding("2", "a.py")
    previous = parse_baseline(
        json.loads(baseline_document([one], scanner="code")), source="x", scanner="code"
    )
    previous = type(previous)(
        "code", (BaselineEntry(one.fingerprint, "B602", "b.py", "reviewed"),), "x"
    )
    text = baseline_document([one, two], scanner="code", previous=previous)
    path = tmp_path / "b.json"
    path.write_text(text)
    loaded = load_baseline(path, scanner="code")
    assert [e.path for e in loaded.entries] == ["a.py", "b.py"]
    assert loaded.entries[1].reason == "reviewed"


@pytest.mark.parametrize(
    "data",
    [
        doc(version=2),
        doc(format="other"),
        doc(entries={}),
        doc(entries=[{"fingerprint": "A" * 64, "rule": "x", "path": "p"}]),
        doc(entries=[{"fingerprint": "a" * 64, "rule": "x"}]),
        doc(entries=[{"fingerprint": "a" * 64, "rule": "x", "path": "p", "match": "s"}]),
        doc(entries=[{"fingerprint": "a" * 64, "rule": "x", "path": "p", "reason": 3}]),
        doc(entries=[{"fingerprint": "a" * 64, "rule": "x", "path": "p"}] * 2),
        doc(scanner="secrets"),
        [],
    ],
)
def test_malformed_baselines_are_refused(data: Any) -> None:
    with pytest.raises(BaselineError):
        parse_baseline(data, source="b.json", scanner="code")


def test_unreadable_and_huge_baselines_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read"):
        load_baseline(tmp_path / "none.json", scanner="code")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (8 * 1024 * 1024 + 1))
    with pytest.raises(BaselineError, match="larger than"):
        load_baseline(big, scanner="code")
    dup = tmp_path / "dup.json"
    dup.write_text('{"format": "a", "format": "b"}')
    with pytest.raises(BaselineError):
        load_baseline(dup, scanner="code")


def test_compare_splits_new_accepted_and_stale() -> None:
    kept, new = finding("kept"), finding("new")
    gone = BaselineEntry(fingerprint("gone"), "B602", "a.py")
    baseline = parse_baseline(
        json.loads(baseline_document([kept], scanner="code")), source="b", scanner="code"
    )
    baseline = type(baseline)("code", (*baseline.entries, gone), "b")
    result = compare([kept, new], baseline)
    assert result.new == (new,) and result.accepted == (kept,) and result.stale == (gone,)


def test_stale_entries_are_listed_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    stale_fp = fingerprint("stale")
    path.write_text(
        json.dumps(
            doc(entries=[{"fingerprint": stale_fp, "rule": "B506", "path": "old.py", "reason": ""}])
        )
    )
    tool = Tool("bandit", "1", "https://bandit.readthedocs.io/", "chainkitScanCode/v1")
    outcome = _finish(
        "code",
        tool,
        (),
        baseline=load_baseline(path, scanner="code"),
        write_to=None,
        properties={},
        notes=(),
    )
    assert outcome.exit_code == 0
    for fmt in ("table", "json", "sarif", "markdown"):
        assert stale_fp[:16] in render(outcome, fmt), fmt
    assert json.loads(render(outcome, "json"))["properties"]["baseline"]["stale"][0]["path"] == (
        "old.py"
    )


def bandit_result(line: int, code_line: str, **over: Any) -> dict[str, Any]:
    result = {
        "code": f"{line - 1} def f():\n{line} {code_line}\n{line + 1} \n",
        "filename": "./pkg/a.py",
        "issue_confidence": "HIGH",
        "issue_severity": "HIGH",
        "issue_text": "shell=True",
        "line_number": line,
        "line_range": [line],
        "more_info": "https://bandit.readthedocs.io/en/latest/plugins/b602.html",
        "test_id": "B602",
        "test_name": "subprocess_popen_with_shell_equals_true",
        "col_offset": 4,
    }
    result.update(over)
    return result


def test_code_fingerprints_survive_shifts_and_count_identical_occurrences(
    tmp_path: Path,
) -> None:
    call = "    subprocess.call(cmd, shell=True)"
    data = {"results": [bandit_result(5, call), bandit_result(9, call)], "errors": []}
    found, below = bandit_findings(
        data, root=tmp_path, severity=Severity.LOW, confidence=Severity.LOW
    )
    assert below == 0 and len({f.fingerprint for f in found}) == 2
    shifted = {
        "results": [
            bandit_result(15, "  subprocess.call(cmd,  shell=True)  "),
            bandit_result(19, call),
        ],
        "errors": [],
    }
    again, _ = bandit_findings(
        shifted, root=tmp_path, severity=Severity.LOW, confidence=Severity.LOW
    )
    assert [f.fingerprint for f in again] == [f.fingerprint for f in found]
    assert found[0].locations[0].path == "pkg/a.py"
    assert (
        found[0].locations[0].region is not None and found[0].locations[0].region.start_column == 5
    )


def test_code_thresholds_and_scan_errors(tmp_path: Path) -> None:
    data = {
        "results": [bandit_result(3, "x", issue_severity="LOW", issue_confidence="HIGH")],
        "errors": [{"filename": "bad.py", "reason": "syntax error while parsing AST"}],
    }
    found, below = bandit_findings(
        data, root=tmp_path, severity=Severity.MEDIUM, confidence=Severity.LOW
    )
    assert below == 1
    assert [f.rule.id for f in found] == ["scan-error"]


def test_snippet_digest_ignores_whitespace_only() -> None:
    assert snippet_digest(["  a  =  1 "]) == snippet_digest(["a = 1"])
    assert snippet_digest(["a = 1"]) != snippet_digest(["a = 2"])


def test_paths_relative_to_the_root(tmp_path: Path) -> None:
    assert relative_posix("./pkg/../pkg/a.py", tmp_path) == "pkg/a.py"
    assert relative_posix(str(tmp_path / "x" / "y.py"), tmp_path) == "x/y.py"
    assert relative_posix("/elsewhere/z.py", tmp_path) == "/elsewhere/z.py"


def test_option_like_paths_are_refused() -> None:
    with pytest.raises(ScanInputError, match="looks like an option"):
        check_path_argument(Path("--config=x"), what="path")
    assert check_path_argument(Path("/srv/-x"), what="path") == Path("/srv/-x")


SECRET = "Zq" + "8Xv3Lp0Wn5Kd7Rb2Tm9Yc4Hf6Js1Ga"


def entropy_of(text: str) -> float:
    from chainkit.scan._gitleaks import _entropy

    return _entropy(text)


def test_a_secret_is_located_again_from_the_redacted_match() -> None:
    lines = [b"x = 1", f'api_token = "{SECRET}"'.encode()]
    entry = {
        "StartLine": 2,
        "EndLine": 2,
        "StartColumn": 2,
        "EndColumn": 47,
        "Match": 'api_token = "REDACTED"',
        "Entropy": entropy_of(SECRET),
    }
    assert _locate_secret(entry, lines) == SECRET
    whole = {
        "StartLine": 2,
        "EndLine": 2,
        "StartColumn": 14,
        "EndColumn": 13 + len(SECRET),
        "Match": "REDACTED",
        "Entropy": entropy_of(SECRET),
    }
    assert _locate_secret(whole, lines) == SECRET
    wrong_entropy = {**entry, "Entropy": 1.0}
    assert _locate_secret(wrong_entropy, lines) is None
    assert _locate_secret(entry, None) is None


def test_secret_digests_are_salted_and_never_contain_the_secret() -> None:
    one = secret_digest(SECRET, rule="generic-api-key", path="a.py")
    assert SECRET not in one and len(one) == 64
    assert one != secret_digest(SECRET, rule="generic-api-key", path="b.py")
    assert one == secret_digest(SECRET, rule="generic-api-key", path="a.py")


class FakeSources:
    def __init__(self, lines: list[str] | None) -> None:
        self._lines = lines

    def lines(self, commit: str, path: str) -> list[str] | None:
        return self._lines


def test_gitleaks_findings_fall_back_to_the_place_when_the_secret_is_gone(
    tmp_path: Path,
) -> None:
    entry = {
        "RuleID": "generic-api-key",
        "Description": "Generic API Key",
        "File": "a.py",
        "StartLine": 1,
        "EndLine": 1,
        "StartColumn": 1,
        "EndColumn": 46,
        "Match": 'api_token = "REDACTED"',
        "Secret": "REDACTED",
        "Entropy": entropy_of(SECRET),
        "Commit": "",
        "Tags": [],
    }
    found, fallback = gitleaks_findings(
        [entry, entry],
        root=tmp_path,
        mode="dir",
        sources=FakeSources(None),  # type: ignore[arg-type]
    )
    assert fallback == 2 and len({f.fingerprint for f in found}) == 2
    assert all(f.properties["fingerprint_basis"] == "place" for f in found)
    located, fallback = gitleaks_findings(
        [entry],
        root=tmp_path,
        mode="dir",
        sources=FakeSources([f'api_token = "{SECRET}"'.encode()]),  # type: ignore[arg-type]
    )
    assert fallback == 0
    assert located[0].fingerprint == fingerprint(
        "generic-api-key", "a.py", secret_digest(SECRET, rule="generic-api-key", path="a.py")
    )
    assert SECRET not in json.dumps([f.message for f in located] + [dict(located[0].properties)])


def test_a_scanner_that_hangs_is_given_up_with_what_was_awaited(tmp_path: Path) -> None:
    from chainkit.scan import ToolError
    from chainkit.scan._proc import run

    sleep = Path("/bin/sleep")
    with pytest.raises(ToolError, match=r"gave up after 0.2 s waiting for gitleaks over the files"):
        run([str(sleep), "5"], cwd=tmp_path, timeout=0.2, waiting_for="gitleaks over the files")
    with pytest.raises(ValueError, match="absolute"):
        run(["sleep", "0"], cwd=tmp_path, timeout=1, waiting_for="x")


def test_scanner_reports_go_to_a_private_file_that_is_removed() -> None:
    import stat

    from chainkit.scan._common import private_report_file

    with private_report_file("gitleaks.json") as report:
        assert stat.S_IMODE(report.stat().st_mode) == 0o600
        assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
        assert report.read_bytes() == b""
    assert not report.exists() and not report.parent.exists()


@pytest.mark.parametrize(
    ("comment", "reasonless"),
    [
        ("# nosec", True),
        ("# nosec B602", True),
        ("# nosec: B602, B603", True),
        ("# noqa: S602  # nosec B602", True),
        ("# fixed argument list  # nosec B603", False),
        ("# noqa: S506 - _Loader derives from SafeLoader  # nosec B506", False),
        ("# nosec B404  # the sandbox starts its own servers", False),
        ("# a plain comment", False),
    ],
)
def test_a_nosec_needs_a_reason(comment: str, reasonless: bool) -> None:
    from chainkit.scan._bandit import _reasonless_nosec

    assert _reasonless_nosec(comment) is reasonless


def test_a_multi_line_secret_is_located_by_its_columns() -> None:
    block = ["-----BEGIN KEY-----", SECRET[:16], "-----END KEY-----"]
    lines = [t.encode() for t in ["x = 1", 'KEY = """' + block[0], block[1], block[2] + '"""']]
    secret = "\n".join(block)
    entry = {  # gitleaks' columns for such a match are one further than the text
        "StartLine": 2,
        "EndLine": 4,
        "StartColumn": 11,
        "EndColumn": len(block[2]) + 1,
        "Match": "REDACTED",
        "Entropy": entropy_of(secret),
    }
    assert _locate_secret(entry, lines) == secret


def test_a_place_fingerprint_is_never_written_to_or_accepted_by_a_baseline(
    tmp_path: Path,
) -> None:
    from chainkit.scan._baseline import Baseline, BaselineEntry, baseline_document, compare

    entry = {
        "RuleID": "generic-api-key",
        "File": "a.py",
        "StartLine": 1,
        "EndLine": 1,
        "StartColumn": 1,
        "EndColumn": 46,
        "Match": 'api_token = "REDACTED"',
        "Entropy": entropy_of(SECRET),
        "Commit": "",
    }
    found, _ = gitleaks_findings(
        [entry],
        root=tmp_path,
        mode="dir",
        sources=FakeSources(None),  # type: ignore[arg-type]
    )
    assert json.loads(baseline_document(found, scanner="secrets"))["entries"] == []
    listed = Baseline(
        "secrets", (BaselineEntry(found[0].fingerprint, "generic-api-key", "a.py"),), "b"
    )
    compared = compare(found, listed)
    assert compared.new == tuple(found) and compared.accepted == ()


@pytest.mark.parametrize(
    ("lines", "entry", "secret"),
    [
        # unquoted at the end of the line: the secret is the rest of the reported span
        (
            [b"SERVICE_API_KEY=" + SECRET.encode()],
            {"StartColumn": 1, "EndColumn": 48, "Match": "SERVICE_API_KEY=REDACTED"},
            SECRET,
        ),
        # non-ASCII before the match: gitleaks' columns count bytes
        (
            [b"x", "name: \u00fc \u00fc api_key: ".encode() + SECRET.encode()],
            {
                "StartLine": 2,
                "EndLine": 2,
                "StartColumn": 14,
                "EndColumn": 54,
                "Match": "api_key: REDACTED",
            },
            SECRET,
        ),
    ],
)
def test_a_secret_is_the_whole_reported_span_in_bytes(
    lines: list[bytes], entry: dict[str, object], secret: str
) -> None:
    full = {"StartLine": 1, "EndLine": 1, **entry, "Entropy": entropy_of(secret)}
    assert _locate_secret(full, lines) == secret


def test_a_private_key_at_line_1_column_1_is_located() -> None:
    block = ["-----BEGIN KEY-----", SECRET, "-----END KEY-----"]
    entry = {  # the start is exact, the end one further: the corrections are independent
        "StartLine": 1,
        "EndLine": 3,
        "StartColumn": 1,
        "EndColumn": len(block[2]) + 1,
        "Match": "REDACTED",
        "Entropy": entropy_of("\n".join(block)),
    }
    assert _locate_secret(entry, [b.encode() for b in block]) == "\n".join(block)


def test_a_baseline_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    import os
    import threading

    from chainkit.scan import BaselineError, load_baseline

    fifo = tmp_path / "bl.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_baseline(fifo, scanner="code")
        except BaseException as exc:  # noqa: BLE001 - judged below
            outcome.append(exc)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    loader.join(5)
    if loader.is_alive():  # it blocked: release it, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("a FIFO baseline blocked the scan")
    assert len(outcome) == 1 and isinstance(outcome[0], BaselineError)
    assert "not a regular file" in str(outcome[0])


@pytest.mark.parametrize(
    ("line", "reasonless"),
    [
        ('token = "x"  # {m}', True),
        ('token = "x" // {m}', True),
        ("KEY=abc # {m}", True),
        ('token = "x"  # test fixture, not a key  # {m}', False),
        ("key: abc  # documented example from the vendor {m}", False),
        ('token = "# not a comment"  # {m}', True),
        ("mention `{m}` in prose, with words", False),
    ],
)
def test_an_inline_gitleaks_allow_needs_a_reason(line: str, reasonless: bool) -> None:
    from chainkit.scan._suppressions import MARKER, _reasonless

    assert _reasonless(line.format(m=MARKER)) is reasonless


@pytest.mark.parametrize("version", [True, 1.0])
def test_a_baseline_version_must_be_the_integer_1(version: object) -> None:
    from chainkit.scan import BaselineError
    from chainkit.scan._baseline import parse_baseline

    doc = {"format": "chainkit-scan-baseline", "version": version, "scanner": "code", "entries": []}
    with pytest.raises(BaselineError, match="version"):
        parse_baseline(doc, source="b.json", scanner="code")


def test_quoted_literals_in_any_bandit_message_are_redacted_and_rules_are_static() -> None:
    from chainkit.scan._bandit import to_findings

    def result(test_id: str, text: str, line: int) -> dict[str, object]:
        return {
            "test_id": test_id,
            "test_name": "some_test",
            "issue_text": text,
            "issue_severity": "MEDIUM",
            "issue_confidence": "HIGH",
            "filename": "a.py",
            "line_number": line,
            "line_range": [line],
            "code": f"{line} x = 'v'\n",
        }

    data = {
        "results": [
            result("B999", 'Call with \'top-secret-arg\' and "other\\"value" quoted', 1),
            result("B106", "Possible hardcoded password: 'hunter2hunter2'", 2),
        ],
        "errors": [],
    }
    found, _ = to_findings(data, root=Path(), severity=Severity.LOW, confidence=Severity.LOW)
    text = json.dumps([(f.message, f.rule.help_text, f.rule.short_description) for f in found])
    for value in ("top-secret-arg", "other", "q-lit", "hunter2hunter2"):
        assert value not in text
    assert found[0].message == "Call with '…' and '…' quoted"
