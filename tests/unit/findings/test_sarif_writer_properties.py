"""Property tests (issue 9) for the SARIF writer: chainkit reads no SARIF, but writes it for
code scanning from findings whose text comes from outside (paths, messages, rule ids). For
hostile strings (controls, unicode, very long, ``..``, absolute and URL-special paths) the
output validates against the SARIF 2.1.0 schema, is UTF-8 and round-trips through
``json.loads``; artifact URIs are URI references that name the path; fingerprints are stable
and distinct for distinct (rule, path, snippet)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import jsonschema
from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.findings import (
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
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
RULE = Rule("r", "r", "t", "d")
TOOL = Tool("chainkit-scan", "0.0.0", "https://example.invalid/docs", "chainkitScan/v1", "scan/")
# RFC 3986: unreserved, reserved and percent-escapes, nothing else
URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}")

hostile = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        [
            "",
            "..",
            "../../etc/passwd",
            "/abs/path with space/x.py",
            "C:\\Users\\x\\a.py",
            "\\\\server\\share\\a.py",
            "a?b#c%20d&e=f.py",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "\x1b[2J\x07\r\n",
            "\u202eevil\u200b",
            "\U000e0041",
            "x" * 5000,
            "a:b",
            "//host/x",
        ]
    ),
)
no_nul = hostile.filter(lambda s: "\0" not in s)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    return Rule(
        id=draw(hostile),
        name=draw(hostile),
        tool="t",
        short_description=draw(hostile),
        help_text=draw(hostile),
        help_uri=draw(st.none() | st.sampled_from(["https://x.invalid/a?b=c#d", "https://x"])),
        default_severity=draw(st.none() | st.sampled_from(list(Severity))),
        score=draw(st.none() | st.floats(0, 10)),
        aliases=tuple(draw(st.lists(hostile, max_size=2))),
        tags=tuple(draw(st.lists(hostile, max_size=2))),
    )


@st.composite
def locations(draw: st.DrawFn) -> Location:
    region = draw(
        st.none()
        | st.builds(
            Region,
            st.integers(-5, 2**31),
            st.none() | st.integers(-5, 2**31),
            st.none() | st.integers(-5, 2**31),
            st.none() | st.integers(-5, 2**31),
        )
    )
    package = draw(
        st.none() | st.builds(PackageRef, hostile, st.none() | hostile, st.none() | hostile)
    )
    return Location(draw(st.none() | hostile), region, package)


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    suppression = draw(st.none() | st.builds(Suppression, hostile, hostile, st.none() | hostile))
    return Finding(
        rule=draw(rules()),
        message=draw(hostile),
        fingerprint=draw(hostile),
        severity=draw(st.none() | st.sampled_from(list(Severity))),
        locations=tuple(draw(st.lists(locations(), max_size=3))),
        suppression=suppression,
        blocking=draw(st.booleans()),
        properties=draw(st.dictionaries(hostile, hostile | st.integers(), max_size=2)),
    )


def _uris(sarif: dict) -> list[str]:
    return [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for result in run["results"]
        for loc in result["locations"]
        if "physicalLocation" in loc
    ]


@given(found=st.lists(findings(), max_size=4))
@example(found=[Finding(RULE, "m", "f", locations=(Location.file("\udcff.py"),))])
@example(found=[Finding(RULE, "m", "f", locations=(Location.file("C:\\\udcff"),))])
@example(found=[Finding(RULE, "\ud800", "f")])
@example(found=[Finding(Rule("r", "r", "t", "d", tags=("secret", "secret")), "m", "f")])
def test_sarif_of_hostile_findings_is_valid_utf8_json(found: list[Finding]) -> None:
    report = Report(TOOL, tuple(found))
    text = format(report, "sarif")
    text.encode("utf-8")  # written as UTF-8: no lone surrogate
    parsed = json.loads(text)
    VALIDATOR.validate(parsed)
    assert parsed == json.loads(json.dumps(sarif_dict(report)))
    results = parsed["runs"][0]["results"]
    assert [r["partialFingerprints"]["chainkitScan/v1"] for r in results] == [
        f.fingerprint for f in found
    ]
    for uri in _uris(parsed):
        assert URI_REFERENCE.sub("", uri) == "", uri


@given(path=hostile)
@example(path="a:b")
@example(path="%41")
@example(path="../a b/c#d")
def test_a_relative_path_is_a_uri_reference_that_names_it(path: str) -> None:
    if path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:[\\/]", path):
        return  # absolute: a file: URI
    finding = Finding(Rule("r", "r", "t", "d"), "m", "f", locations=(Location.file(path, 1),))
    (uri,) = _uris(sarif_dict(Report(TOOL, (finding,))))
    assert ":" not in uri.split("/", 1)[0] or uri.startswith("file:")  # never read as a scheme
    assert unquote(uri, errors="surrogateescape") == path


@given(rule=no_nul, path=no_nul, snippet=no_nul)
def test_fingerprints_are_stable(rule: str, path: str, snippet: str) -> None:
    assert fingerprint(rule, path, snippet) == fingerprint(rule, path, snippet)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(rule, path, snippet))


@given(a=st.tuples(no_nul, no_nul, no_nul), b=st.tuples(no_nul, no_nul, no_nul))
@example(a=("a", "b", "c"), b=("a\x01b", "", "c"))
@example(a=("ab", "c", ""), b=("a", "bc", ""))
def test_fingerprints_differ_for_different_rule_path_or_snippet(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    assert (fingerprint(*a) == fingerprint(*b)) == (a == b)
