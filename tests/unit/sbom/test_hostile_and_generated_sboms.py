"""Property tests (issue 9) for SBOMs someone else wrote: any JSON, and CycloneDX documents
with a field mutated, are a parsed :class:`Sbom` or an input error (exit 2), never another
exception; on valid SBOMs ``check`` runs, ``diff(a, a)`` is empty, ``diff`` is symmetric and
``merge`` of one SBOM is idempotent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chainkit.errors import ExitCode
from chainkit.sbom import (
    CheckOptions,
    Sbom,
    SbomInputError,
    check_sbom,
    diff_sboms,
    load_sbom,
    merge_sboms,
    parse_sbom,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["CycloneDX", "1.5", "1.6", "pkg:pypi/a@1", "a"])
)
KEYS = st.text(max_size=10) | st.sampled_from(["name", "bom-ref", "ref", "purl", "licenses"])
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=16,
)


def _base() -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2024-01-01T00:00:00Z",
            "authors": [{"name": "a"}],
            "tools": {"components": [{"type": "application", "name": "t"}]},
            "component": {"type": "application", "bom-ref": "root", "name": "app"},
        },
        "components": [
            {
                "type": "library",
                "bom-ref": "a",
                "name": "a",
                "version": "1.0",
                "purl": "pkg:pypi/a@1.0",
                "supplier": {"name": "s"},
                "licenses": [{"license": {"id": "MIT"}}],
                "components": [{"type": "library", "bom-ref": "b", "name": "b"}],
            }
        ],
        "dependencies": [{"ref": "root", "dependsOn": ["a"]}, {"ref": "a"}],
        "vulnerabilities": [{"id": "CVE-1", "affects": [{"ref": "a"}]}],
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """The base document with one to three values replaced by any JSON, or removed."""
    document = _base()
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return document


def _parsed_or_refused(document: Any) -> Sbom | None:
    try:
        return parse_sbom(copy.deepcopy(document), source="in.json")
    except SbomInputError as exc:  # InvalidSbomError is one
        assert exc.exit_code == ExitCode.USAGE
        return None


@given(document=json_values)
@example(document={"bomFormat": "CycloneDX", "specVersion": ["1.6"]})
@example(document={"bomFormat": "CycloneDX", "specVersion": {"1.6": 1}})
def test_any_json_is_an_sbom_or_an_input_error(document: Any) -> None:
    _parsed_or_refused(document)


@given(document=mutated())
def test_a_mutated_cyclonedx_document_is_an_sbom_or_an_input_error(document: Any) -> None:
    sbom = _parsed_or_refused(document)
    if sbom is not None:
        strict = CheckOptions(allow_licenses=frozenset({"MIT"}), deny_unknown_licenses=True)
        check_sbom(sbom, strict)
        assert diff_sboms(sbom, sbom).changes == ()
        merge_sboms([sbom], source_date_epoch="1700000000")


def test_the_base_document_is_valid() -> None:
    assert _parsed_or_refused(_base()) is not None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=100) | json_values.map(lambda v: json.dumps(v).encode()))
@example(raw=b'{"bomFormat": "CycloneDX", "bomFormat": "CycloneDX"}')
@example(raw=b"[" * 100 + b"]" * 100)
@example(raw=b"\xef\xbb\xbf{}")
def test_a_file_is_an_sbom_or_an_input_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "in.cdx.json"
    path.write_bytes(raw)
    try:
        load_sbom(path)
    except SbomInputError as exc:
        assert exc.exit_code == ExitCode.USAGE


# -- valid SBOMs from a strategy of components ---------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "Django", "zope.interface", "my-pkg"])
VERSIONS = st.sampled_from(["1.0", "1.0.0", "2.0", "2.0rc1", "abc", "v1"]) | st.none()
LICENSES = st.lists(
    st.sampled_from(
        [
            {"license": {"id": "MIT"}},
            {"license": {"id": "Apache-2.0"}},
            {"license": {"name": "Custom"}},
            {"expression": "MIT OR GPL-3.0-only"},
        ]
    ),
    max_size=2,
    unique_by=lambda e: json.dumps(e, sort_keys=True),
)
SOURCES = st.sampled_from(["", "?vcs_url=git%2Bhttps://x/y", "?repository_url=https://mirror"])


@st.composite
def components(draw: st.DrawFn, index: int) -> dict[str, Any]:
    name = draw(NAMES)
    version = draw(VERSIONS)
    component: dict[str, Any] = {"type": "library", "bom-ref": f"c{index}", "name": name}
    if version is not None:
        component["version"] = version
    if draw(st.booleans()):
        at = f"@{version}" if version is not None else ""
        component["purl"] = f"pkg:pypi/{name.lower()}{at}{draw(SOURCES)}"
    licences = draw(LICENSES)
    if licences and not any("expression" in e for e in licences):
        component["licenses"] = licences
    elif licences:
        component["licenses"] = [next(e for e in licences if "expression" in e)]
    return component


@st.composite
def sboms(draw: st.DrawFn) -> Sbom:
    count = draw(st.integers(0, 5))
    members = [draw(components(i)) for i in range(count)]
    refs = [m["bom-ref"] for m in members]
    deps = [
        {"ref": r, "dependsOn": sorted(set(draw(st.lists(st.sampled_from(refs), max_size=2))))}
        for r in refs
    ]
    vulns = [
        {"id": v, "affects": [{"ref": draw(st.sampled_from(refs))}]}
        for v in (draw(st.lists(st.sampled_from(["CVE-1", "GHSA-2"]), unique=True)) if refs else [])
    ]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": draw(st.sampled_from(["1.5", "1.6"])),
        "version": 1,
        "metadata": {"timestamp": "2024-01-01T00:00:00Z"},
        "components": members,
        "dependencies": deps,
        "vulnerabilities": vulns,
    }
    return parse_sbom(document, source="gen.json")


@given(sbom=sboms())
def test_check_and_diff_with_itself(sbom: Sbom) -> None:
    result = check_sbom(sbom, CheckOptions(allow_licenses=frozenset({"MIT"})))
    assert 0.0 <= result.score <= 100.0
    same = diff_sboms(sbom, sbom)
    assert same.changes == ()
    assert same.vulnerabilities_introduced == () and same.vulnerabilities_fixed == ()


def _sides(changes: Any, kind: str) -> set[tuple[str, str | None]]:
    return {(c.name, c.new if kind == "added" else c.old) for c in changes if c.kind == kind}


@given(a=sboms(), b=sboms())
def test_diff_is_symmetric(a: Sbom, b: Sbom) -> None:
    forward, backward = diff_sboms(a, b), diff_sboms(b, a)
    assert _sides(forward.changes, "added") == _sides(backward.changes, "removed")
    assert _sides(forward.changes, "removed") == _sides(backward.changes, "added")
    up = {c.name for c in forward.changes if c.kind == "upgraded"}
    assert up == {c.name for c in backward.changes if c.kind == "downgraded"}
    assert forward.vulnerabilities_introduced == backward.vulnerabilities_fixed


@given(sbom=sboms())
def test_merging_one_sbom_is_idempotent(sbom: Sbom) -> None:
    once = merge_sboms([sbom], source_date_epoch="1700000000")
    reread = parse_sbom(json.loads(once.document), source="merged.json")
    twice = merge_sboms([reread], source_date_epoch="1700000000")
    assert twice.document == once.document
    assert twice.components == once.components
    assert diff_sboms(sbom, reread).changes == ()


def test_merging_a_merged_sbom_keeps_the_references_of_components_without_a_purl() -> None:
    """Found by the property above: merging a merge's output prefixed its references again
    (``sbom1:c0`` became ``sbom1:sbom1:c0``)."""
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"timestamp": "2024-01-01T00:00:00Z"},
        "components": [{"type": "library", "bom-ref": "c0", "name": "a", "version": "1.0"}],
        "dependencies": [{"ref": "c0", "dependsOn": []}],
    }
    once = merge_sboms([parse_sbom(document, source="a")], source_date_epoch="1700000000")
    merged = parse_sbom(json.loads(once.document), source="m")
    assert [c.bom_ref for c in merged.components] == ["sbom1:c0"]
    twice = merge_sboms([merged], source_date_epoch="1700000000")
    assert twice.document == once.document
    # with other inputs the position still tells purl-less components apart
    both = merge_sboms([merged, merged], source_date_epoch="1700000000")
    refs = [c["bom-ref"] for c in json.loads(both.document)["components"]]
    assert refs == ["sbom1:sbom1:c0", "sbom2:sbom1:c0"]


def test_diff_reads_the_first_copy_of_a_repeated_component_as_merge_keeps_it() -> None:
    """Found by the merge property: one SBOM listing ``pkg:pypi/a`` twice, first without a
    licence, then with MIT; merge keeps the first copy, diff compared the last, so an SBOM
    and its own merge differed by a licence change."""
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [
            {"type": "library", "bom-ref": "c0", "name": "a", "purl": "pkg:pypi/a"},
            {
                "type": "library",
                "bom-ref": "c1",
                "name": "a",
                "purl": "pkg:pypi/a",
                "licenses": [{"license": {"id": "MIT"}}],
            },
        ],
    }
    sbom = parse_sbom(document, source="a")
    merged = merge_sboms([sbom], source_date_epoch="1700000000")
    assert diff_sboms(sbom, parse_sbom(json.loads(merged.document), source="m")).changes == ()
