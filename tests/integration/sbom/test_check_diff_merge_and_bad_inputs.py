"""``chainkit sbom check|diff|merge`` end to end, and hostile or broken inputs (exit 2, a
clear message, never a traceback)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from integration.sbom.conftest import ASSETS, RunSbom, reference_errors

UV_LOCK = ASSETS / "httpx-uv" / "uv.lock"
PYLOCK = ASSETS / "httpx-pylock" / "pylock.toml"


def _doc(components: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": components,
        **extra,
    }


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


# A hand-made incomplete SBOM: 2 components x 5 elements + 2 document elements = 12.
# present: a(name, version, purl, supplier, deps) = 5; b(name) = 1; document: timestamp = 1.
INCOMPLETE = _doc(
    [
        {
            "type": "library",
            "bom-ref": "a",
            "name": "a",
            "version": "1.0",
            "purl": "pkg:pypi/a@1.0",
            "supplier": {"name": "A Corp"},
            "licenses": [{"license": {"id": "MIT"}}],
        },
        {
            "type": "library",
            "bom-ref": "b",
            "name": "b",
            "licenses": [{"expression": "GPL-3.0-only"}],
        },
    ],
    metadata={"timestamp": "2024-01-01T00:00:00Z"},
    dependencies=[{"ref": "a"}],
)


def test_check_scores_a_hand_made_incomplete_sbom_and_names_what_is_missing(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    path = _write(tmp_path / "incomplete.cdx.json", INCOMPLETE)
    assert reference_errors(path.read_text(), "1.6") == []
    run = sbom_cli("check", path, "--json")
    assert run.code == 0, run.err
    ntia = run.json()["ntia"]
    assert (ntia["present"], ntia["total"], ntia["score"]) == (7, 12, 58.3)
    assert ntia["documentMissing"] == ["author"]
    assert ntia["components"] == [
        {
            "name": "b",
            "version": None,
            "missing": ["supplier", "version", "unique identifier", "dependency relationships"],
        }
    ]
    low = sbom_cli("check", path, "--min-score", "60", "--json")
    assert low.code == 1
    assert [f["rule"] for f in low.json()["findings"]["findings"]] == ["NTIA-MIN-SCORE"]


def test_check_licence_policy_parses_spdx_expressions(sbom_cli: RunSbom, tmp_path: Path) -> None:
    path = _write(tmp_path / "incomplete.cdx.json", INCOMPLETE)
    run = sbom_cli("check", path, "--allow-licenses", "MIT,Apache-2.0", "--format", "sarif")
    assert run.code == 1
    results = json.loads(run.out)["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]["text"]) for r in results] == [
        ("LICENSE-NOT-ALLOWED", "b is licensed GPL-3.0-only, not allowed")
    ]
    ok = sbom_cli("check", path, "--allow-licenses", "MIT,GPL-3.0-only")
    assert ok.code == 0, ok.out
    bad = sbom_cli("check", path, "--allow-licenses", "MIT OR nonsense")
    assert bad.code == 2
    assert "not an SPDX licence id" in bad.err


def test_check_reports_unknown_licences_only_when_asked(sbom_cli: RunSbom, tmp_path: Path) -> None:
    doc = _doc([{"type": "library", "name": "c", "licenses": [{"license": {"name": "BSD"}}]}])
    path = _write(tmp_path / "c.json", doc)
    quiet = sbom_cli("check", path, "--allow-licenses", "MIT")
    assert quiet.code == 0
    assert "1 component(s) have a licence entry that is not SPDX (or none)" in quiet.err
    assert ": c;" in quiet.err
    run = sbom_cli("check", path, "--deny-unknown-licenses", "--json")
    assert run.code == 1
    ids = [f["rule"] for f in run.json()["findings"]["findings"]]
    assert ids == ["LICENSE-UNKNOWN"]


def test_environment_sbom_reaches_full_ntia_marks_where_metadata_exists(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    out = tmp_path / "env.json"
    assert sbom_cli("generate", "environment", sys.executable, "-o", out).code == 0
    run = sbom_cli("check", out, "--json")
    ntia = run.json()["ntia"]
    # only components whose metadata names no author or maintainer miss anything
    assert all(c["missing"] == ["supplier"] for c in ntia["components"])
    assert ntia["documentMissing"] == []


def test_diff_reports_added_removed_upgraded_and_licence_changes(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    old = _doc(
        [
            {"type": "library", "name": "a", "version": "1.0", "purl": "pkg:pypi/a@1.0"},
            {"type": "library", "name": "b", "version": "2.0", "purl": "pkg:pypi/b@2.0"},
            {
                "type": "library",
                "name": "c",
                "version": "1.0",
                "purl": "pkg:pypi/c@1.0",
                "licenses": [{"license": {"id": "MIT"}}],
            },
        ]
    )
    new = _doc(
        [
            {"type": "library", "name": "a", "version": "1.1", "purl": "pkg:pypi/a@1.1"},
            {"type": "library", "name": "b", "version": "1.9", "purl": "pkg:pypi/b@1.9"},
            {
                "type": "library",
                "name": "c",
                "version": "1.0",
                "purl": "pkg:pypi/c@1.0",
                "licenses": [{"expression": "GPL-3.0-only"}],
            },
            {"type": "library", "name": "d", "version": "0.1", "purl": "pkg:pypi/d@0.1"},
        ]
    )
    run = sbom_cli(
        "diff",
        _write(tmp_path / "old.json", old),
        _write(tmp_path / "new.json", new),
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    assert run.json()["changes"] == [
        {"name": "a", "kind": "upgraded", "old": "1.0", "new": "1.1"},
        {"name": "b", "kind": "downgraded", "old": "2.0", "new": "1.9"},
        {"name": "c", "kind": "license", "old": "MIT", "new": "GPL-3.0-only"},
        {"name": "d", "kind": "added", "old": None, "new": "0.1"},
    ]
    markdown = sbom_cli(
        "diff", tmp_path / "old.json", tmp_path / "new.json", "--format", "markdown"
    )
    assert "| upgraded | a | 1.0 | 1.1 |" in markdown.out


def test_diff_with_vulnerabilities_lists_introduced_and_fixed(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    def vuln(vid: str) -> dict[str, Any]:
        return {"id": vid, "affects": [{"ref": "a"}]}

    comp = [{"type": "library", "bom-ref": "a", "name": "a", "version": "1"}]
    old = _write(tmp_path / "o.json", _doc(comp, vulnerabilities=[vuln("PYSEC-1")]))
    new = _write(tmp_path / "n.json", _doc(comp, vulnerabilities=[vuln("PYSEC-2")]))
    run = sbom_cli("diff", old, new, "--with-vulnerabilities", "--format", "json")
    assert run.json()["vulnerabilities"] == {"introduced": ["PYSEC-2"], "fixed": ["PYSEC-1"]}
    plain = sbom_cli("diff", old, new, "--format", "json")
    assert plain.json()["vulnerabilities"] == {"introduced": [], "fixed": []}


def test_merge_deduplicates_by_purl_keeps_graphs_and_reports_conflicts(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    uv = tmp_path / "uv.json"
    pylock = tmp_path / "pylock.json"
    assert sbom_cli("generate", "lock", UV_LOCK, "-o", uv).code == 0
    assert sbom_cli("generate", "lock", PYLOCK, "-o", pylock).code == 0
    other = _write(
        tmp_path / "other.json",
        _doc(
            [
                {
                    "type": "library",
                    "bom-ref": "x",
                    "name": "idna",
                    "version": "2.0",
                    "purl": "pkg:pypi/idna@2.0",
                }
            ],
            dependencies=[{"ref": "x"}],
        ),
    )
    out = tmp_path / "merged.json"
    run = sbom_cli("merge", uv, pylock, other, "-o", out)
    assert run.code == 0, run.err
    merged = json.loads(out.read_text())
    assert reference_errors(out.read_text(), "1.6") == []
    purls = [c["purl"] for c in merged["components"]]
    assert len(purls) == len(set(purls))
    uv_doc = json.loads(uv.read_text())
    assert {c["purl"] for c in uv_doc["components"]} <= set(purls)
    graph = {(d["ref"], c) for d in merged["dependencies"] for c in d.get("dependsOn", [])}
    uv_graph = {(d["ref"], c) for d in uv_doc["dependencies"] for c in d.get("dependsOn", [])}
    assert uv_graph <= graph
    assert "conflicting versions of pkg:pypi/idna: 2.0, 3.10" in run.err


def test_merge_exits_1_when_one_purl_has_different_hashes(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    def one(content: str) -> dict[str, Any]:
        component = {
            "type": "library",
            "bom-ref": "a",
            "name": "a",
            "version": "1.0",
            "purl": "pkg:pypi/a@1.0",
            "hashes": [{"alg": "SHA-256", "content": content * 64}],
        }
        return _doc([component], dependencies=[{"ref": "a"}])

    first, second = _write(tmp_path / "1.json", one("a")), _write(tmp_path / "2.json", one("b"))
    out = tmp_path / "merged.json"
    run = sbom_cli("merge", first, second, "-o", out)
    assert run.code == 1, run.err
    assert "conflicting hashes for pkg:pypi/a@1.0" in run.err
    assert reference_errors(out.read_text(), "1.6") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b'{"bomFormat": "CycloneDX", "bomFormat": "x"}', "duplicate"),
        (b"[" * 5000 + b"]" * 5000, "recursion"),
        (b'{"bomFormat": "CycloneDX", "x": ' + b"[" * 100 + b"]" * 100 + b"}", "nested deeper"),
        (b'{"bomFormat": "SPDX"}', "not a CycloneDX JSON document"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.2"}', "spec version not supported"),
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {"a": 1}}',
            "not valid CycloneDX 1.6",
        ),
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": 7}]}',
            "not valid CycloneDX 1.6",
        ),
    ],
    ids=[
        "empty",
        "syntax",
        "duplicate-keys",
        "very-deep",
        "deeply-nested",
        "not-cyclonedx",
        "old-spec",
        "wrong-type",
        "wrong-field-type",
    ],
)
@pytest.mark.parametrize("command", ["check", "diff", "merge"])
def test_corrupt_sboms_are_exit_2_with_a_clear_message(
    sbom_cli: RunSbom, tmp_path: Path, content: bytes, message: str, command: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = tmp_path / "good.json"
    _write(good, _doc([]))
    args: list[str | Path] = {
        "check": [bad],
        "diff": [good, bad],
        "merge": [good, bad, "-o", tmp_path / "out.json"],
    }[command]
    run = sbom_cli(command, *args)
    assert run.code == 2
    assert message in run.err.lower() or message in run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "out.json").exists()


def test_an_sbom_larger_than_the_limit_is_refused(sbom_cli: RunSbom, tmp_path: Path) -> None:
    from chainkit.sbom import _read

    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(_read.MAX_SBOM_BYTES + 1)
    run = sbom_cli("check", huge)
    assert run.code == 2
    assert "larger than" in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lock", "missing/uv.lock"), "no lock file"),
        (("lock", "broken/uv.lock"), "could not be parsed"),
        (("lock", "broken/poetry.lock"), "lock file"),
        (("lock", "unknown.lock"), "not a lock file"),
        (("requirements", "missing.txt"), "missing.txt"),
        (("project", "empty"), "no pyproject.toml"),
        (("environment", "no-python"), "no interpreter"),
        (("lock",), "needs a FILE"),
    ],
)
def test_bad_generate_inputs_are_exit_2(
    sbom_cli: RunSbom,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "uv.lock").write_text('version = 1\n[[package]]\nname = "x"\n[[[')
    (tmp_path / "broken" / "poetry.lock").write_text("\0\1")
    (tmp_path / "unknown.lock").write_text("")
    (tmp_path / "empty").mkdir()
    run = sbom_cli("generate", *args)
    assert run.code == 2, run.err
    assert message in run.err
    assert "Traceback" not in run.err


HOSTILE = "evil\x1b[2J\x1b]0;owned\x07\u202ename"


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("check", ("--deny-unknown-licenses",)),
        ("check", ("--deny-unknown-licenses", "--format", "markdown")),
        ("diff", ()),
        ("diff", ("--format", "markdown")),
        ("merge", ()),
    ],
)
def test_no_terminal_control_characters_from_an_sbom_reach_the_terminal(
    sbom_cli: RunSbom, tmp_path: Path, command: str, extra: tuple[str, ...]
) -> None:
    def doc(version: str) -> dict[str, Any]:
        purl = f"pkg:pypi/x@{version}"
        comp = {"type": "library", "bom-ref": purl, "name": HOSTILE, "version": version}
        return _doc([{**comp, "purl": purl, "licenses": [{"license": {"name": HOSTILE}}]}])

    old = _write(tmp_path / "old.json", doc("1.0"))
    new = _write(tmp_path / "new.json", doc("2.0"))
    args: list[str | Path] = {
        "check": [old],
        "diff": [old, new],
        "merge": [old, new, "-o", tmp_path / "out.json"],
    }[command]
    run = sbom_cli(command, *args, *extra)
    assert run.code in (0, 1), run.err
    for stream in (run.out, run.err):
        assert "\x1b" not in stream
        assert "\x07" not in stream
        assert "\u202e" not in stream


def test_check_summary_goes_to_the_step_summary(sbom_cli: RunSbom, tmp_path: Path) -> None:
    path = _write(tmp_path / "incomplete.cdx.json", INCOMPLETE)
    summary = tmp_path / "summary.md"
    run = sbom_cli("check", path, "--summary", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert run.code == 0, run.err
    text = summary.read_text()
    assert text.startswith("## SBOM check")
    assert "NTIA minimum elements: 58.3%" in text
    assert "| b | \\- | supplier, version, unique identifier, dependency relationships |" in text


def test_a_lock_file_sbom_reaches_full_ntia_marks_where_the_metadata_exists(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    """A pylock.toml pinning what this environment has installed, with its graph: with
    --metadata-from the installed distributions supply the suppliers, and the score is 100."""
    from importlib.metadata import version

    names = ("requests", "urllib3", "idna", "certifi", "charset-normalizer")
    lines = ['lock-version = "1.0"', 'created-by = "test"', ""]
    for name in names:
        lines += ["[[packages]]", f'name = "{name}"', f'version = "{version(name)}"']
        if name == "requests":
            lines.append(f"dependencies = [{', '.join(f'{{name = {n!r}}}' for n in names[1:])}]")
        else:
            lines.append("dependencies = []")
        lines += [f'wheels = [{{name = "{name}.whl", hashes = {{sha256 = "{"0" * 64}"}}}}]', ""]
    lock = tmp_path / "pylock.toml"
    lock.write_text("\n".join(lines).replace("'", '"'))
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\nauthors = [{name = "Demo Team"}]\n'
        'dependencies = ["requests"]\n'
    )
    bare, enriched = tmp_path / "bare.json", tmp_path / "enriched.json"
    assert sbom_cli("generate", "lock", lock, "-o", bare).code == 0
    run = sbom_cli("generate", "lock", lock, "--metadata-from", sys.executable, "-o", enriched)
    assert run.code == 0, run.err
    assert reference_errors(enriched.read_text(), "1.6") == []
    bare_score = sbom_cli("check", bare, "--json").json()["ntia"]
    full = sbom_cli("check", enriched, "--json").json()["ntia"]
    assert bare_score["score"] < 100.0
    assert {c["name"] for c in bare_score["components"]} == set(names)
    assert (full["score"], full["components"], full["documentMissing"]) == (100.0, [], [])
    components = json.loads(enriched.read_text())["components"]
    assert all(c.get("licenses") for c in components)
