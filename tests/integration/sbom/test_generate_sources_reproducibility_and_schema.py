"""``chainkit sbom generate`` end to end: real lock files (tests/assets/sbom/SOURCE.md), the
test environment against ``pip list``, reproducibility, and schema validity (1.5 and 1.6)
checked with cyclonedx-python-lib's own validator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from integration.sbom.conftest import ASSETS, RunSbom, reference_errors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

UV_LOCK = ASSETS / "httpx-uv" / "uv.lock"
PYLOCK = ASSETS / "httpx-pylock" / "pylock.toml"
POETRY_LOCK = ASSETS / "rich-poetry" / "poetry.lock"
EPOCH = "1700000000"


def _generate(sbom_cli: RunSbom, *args: str | Path, env: dict[str, str] | None = None) -> Any:
    run = sbom_cli("generate", *args, env=env)
    assert run.code == 0, run.err
    return run.json()


def _key(name: str, version: str | None) -> tuple[str, str | None]:
    return str(canonicalize_name(name)), version


def _components(doc: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {_key(c["name"], c.get("version")): c for c in doc.get("components", [])}


def _sha256s(component: dict[str, Any]) -> set[str]:
    return {h["content"] for h in component.get("hashes", []) if h["alg"] == "SHA-256"}


def _distributions(component: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (ref["url"], h["content"])
        for ref in component.get("externalReferences", [])
        if ref["type"] == "distribution"
        for h in ref.get("hashes", [])
    }


def _graph(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(d["ref"], child) for d in doc["dependencies"] for child in d.get("dependsOn", [])}


def test_environment_sbom_lists_every_installed_distribution_as_pip_list_does(
    sbom_cli: RunSbom,
) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        check=True,
        text=True,
    )
    expected = {_key(d["name"], d["version"]) for d in json.loads(listed.stdout)}
    doc = _generate(sbom_cli, "environment", sys.executable)
    got = _components(doc)
    assert set(got) == expected
    for (name, version), component in got.items():
        assert component["purl"] == f"pkg:pypi/{name}@{version}"
    assert reference_errors(json.dumps(doc), "1.6") == []


def test_environment_sbom_carries_licences_suppliers_and_the_requires_dist_graph(
    sbom_cli: RunSbom,
) -> None:
    doc = _generate(sbom_cli, "environment")
    comps = {c["name"].lower(): c for c in doc["components"]}
    # cyclonedx-python-lib declares its licence by classifier/License: Apache-2.0
    assert comps["cyclonedx-python-lib"]["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert comps["click"].get("supplier") or comps["click"].get("authors")
    graph = _graph(doc)
    requests = comps["requests"]["bom-ref"]
    assert (requests, comps["urllib3"]["bom-ref"]) in graph
    # the installed RECORD (a hash of every installed file) is pinned by its own SHA-256
    import hashlib
    from importlib.metadata import distribution

    record = distribution("requests").read_text("RECORD") or ""
    assert {
        "name": "chainkit:record:sha256",
        "value": hashlib.sha256(record.encode()).hexdigest(),
    } in comps["requests"]["properties"]
    # pytest's "colorama; sys_platform == 'win32'" is evaluated for this interpreter
    pytest_deps = {c for p, c in graph if p == comps["pytest"]["bom-ref"]}
    assert not any("colorama" in c for c in pytest_deps) or sys.platform == "win32"


def _lock_packages(path: Path, key: str) -> dict[tuple[str, str | None], dict[str, Any]]:
    data = tomllib.loads(path.read_text())
    return {_key(p["name"], p.get("version")): p for p in data[key]}


def test_uv_lock_sbom_lists_exactly_the_pinned_packages_with_hashes_and_graph(
    sbom_cli: RunSbom,
) -> None:
    locked = _lock_packages(UV_LOCK, "package")
    project = {k for k, p in locked.items() if "editable" in p.get("source", {})}
    doc = _generate(sbom_cli, "lock", UV_LOCK)
    got = _components(doc)
    assert set(got) == set(locked) - project
    for key, component in got.items():
        package = locked[key]
        files = [package.get("sdist", {}), *package.get("wheels", [])]
        expected = {f["hash"].removeprefix("sha256:") for f in files if "hash" in f}
        assert _sha256s(component) == expected
        # each sdist and wheel: its URL with its hash
        assert _distributions(component) == {
            (f["url"], f["hash"].removeprefix("sha256:")) for f in files if "url" in f
        }
    # the graph: every lock-file edge between pinned packages, from that version of the
    # parent, to the version uv names (when it holds several), else to every version
    by_name: dict[str, set[str]] = {}
    for (name, _), component in got.items():
        by_name.setdefault(name, set()).add(component["bom-ref"])

    def children(dep: dict[str, Any]) -> set[str]:
        name = str(canonicalize_name(dep["name"]))
        if "version" in dep:
            return {got[(name, dep["version"])]["bom-ref"]}
        return by_name[name]

    expected_edges = {
        (got[key]["bom-ref"], child_ref)
        for key, package in locked.items()
        if key not in project
        for dep in package.get("dependencies", [])
        for child_ref in children(dep)
    }
    assert ("pkg:pypi/h2@4.1.0", "pkg:pypi/hyperframe@6.0.1") in expected_edges
    assert ("pkg:pypi/h2@4.1.0", "pkg:pypi/hyperframe@6.1.0") not in expected_edges
    edges = {e for e in _graph(doc) if not e[0].startswith("pkg:pypi/httpx")}
    assert edges == expected_edges
    root = doc["metadata"]["component"]
    assert root["name"] == "httpx"
    root_deps = {c for p, c in _graph(doc) if p == root["bom-ref"]}
    scope = {c["bom-ref"]: c.get("scope") for c in got.values()}
    assert {r.split("@")[0] for r in root_deps if scope[r] == "required"} == {
        "pkg:pypi/anyio",
        "pkg:pypi/certifi",
        "pkg:pypi/httpcore",
        "pkg:pypi/idna",
    }
    # the extras' direct dependencies hang off the root too (scope optional)
    extras = {
        str(canonicalize_name(d["name"]))
        for p in locked.values()
        if "editable" in p.get("source", {})
        for entries in p.get("optional-dependencies", {}).values()
        for d in entries
    }
    assert {r.split("@")[0] for r in root_deps if scope[r] == "optional"} == {
        f"pkg:pypi/{name}" for name in extras
    }


def test_pylock_sbom_lists_exactly_the_pinned_packages_with_their_hashes(
    sbom_cli: RunSbom,
) -> None:
    locked = _lock_packages(PYLOCK, "packages")
    pinned = {k: p for k, p in locked.items() if k[1] is not None}
    doc = _generate(sbom_cli, "lock", PYLOCK)
    got = _components(doc)
    assert set(got) == set(pinned)
    for key, component in got.items():
        package = pinned[key]
        files = [package.get("sdist", {}), *package.get("wheels", [])]
        expected = {f["hashes"]["sha256"] for f in files if "hashes" in f}
        assert _sha256s(component) == expected
        assert _distributions(component) == {
            (f["url"], f["hashes"]["sha256"]) for f in files if "url" in f
        }


def test_poetry_lock_sbom_lists_exactly_the_pinned_packages_with_hashes_and_graph(
    sbom_cli: RunSbom,
) -> None:
    locked = _lock_packages(POETRY_LOCK, "package")
    doc = _generate(sbom_cli, "lock", POETRY_LOCK)
    got = _components(doc)
    assert set(got) == set(locked)
    for key, component in got.items():
        expected = {f["hash"].removeprefix("sha256:") for f in locked[key].get("files", [])}
        assert _sha256s(component) == expected
        assert expected
    by_name: dict[str, set[str]] = {}
    for (name, _), component in got.items():
        by_name.setdefault(name, set()).add(component["bom-ref"])
    expected_edges = {
        (got[key]["bom-ref"], child_ref)
        for key, package in locked.items()
        for child in package.get("dependencies", {})
        for child_ref in by_name.get(str(canonicalize_name(child)), ())
    }
    root = doc["metadata"]["component"]
    assert (root["name"], root["version"]) == ("rich", "13.9.4")
    assert {e for e in _graph(doc) if e[0] != root["bom-ref"]} == expected_edges
    root_deps = {c.split("@")[0] for p, c in _graph(doc) if p == root["bom-ref"]}
    assert root_deps == {
        "pkg:pypi/typing-extensions",
        "pkg:pypi/pygments",
        "pkg:pypi/markdown-it-py",
    }
    # poetry's dev group: marked optional, left out by --no-dev
    assert (
        got[("pytest", locked[next(k for k in locked if k[0] == "pytest")]["version"])]["scope"]
        == "optional"
    )
    runtime = _components(_generate(sbom_cli, "lock", POETRY_LOCK, "--no-dev"))
    assert {k[0] for k in runtime} >= {"pygments", "markdown-it-py", "mdurl"}
    assert "pytest" not in {k[0] for k in runtime}


@pytest.mark.parametrize("spec", ["1.5", "1.6"])
@pytest.mark.parametrize(
    "source",
    [
        ("lock", UV_LOCK),
        ("lock", PYLOCK),
        ("lock", POETRY_LOCK),
        ("project", ASSETS / "httpx-uv"),
        ("project", ASSETS / "rich-poetry"),
        ("environment",),
    ],
    ids=["uv.lock", "pylock", "poetry.lock", "project-uv", "project-poetry", "environment"],
)
def test_every_generated_sbom_passes_the_reference_validator(
    sbom_cli: RunSbom, spec: str, source: tuple[Any, ...]
) -> None:
    run = sbom_cli("generate", *source, "--sv", spec)
    assert run.code == 0, run.err
    assert run.json()["specVersion"] == spec
    assert reference_errors(run.out, spec) == []


def test_xml_output_is_valid_cyclonedx_xml(sbom_cli: RunSbom) -> None:
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from cyclonedx.validation import make_schemabased_validator

    run = sbom_cli("generate", "lock", UV_LOCK, "--format", "xml")
    assert run.code == 0, run.err
    validator = make_schemabased_validator(OutputFormat.XML, SchemaVersion.V1_6)
    assert validator.validate_str(run.out) is None
    assert "<bom " in run.out


def test_reproducible_runs_are_byte_identical_and_plain_runs_differ_only_in_time_and_serial(
    sbom_cli: RunSbom,
) -> None:
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    first = sbom_cli("generate", "lock", UV_LOCK, "--reproducible", env=env)
    second = sbom_cli("generate", "lock", UV_LOCK, "--reproducible", env=env)
    assert first.code == second.code == 0
    assert first.out == second.out
    assert json.loads(first.out)["metadata"]["timestamp"].startswith("2023-11-14T22:13:20")
    plain = [sbom_cli("generate", "lock", UV_LOCK).json() for _ in range(2)]
    assert plain[0]["serialNumber"] != plain[1]["serialNumber"]
    for doc in plain:
        doc.pop("serialNumber")
        doc["metadata"].pop("timestamp")
    reproducible = json.loads(first.out)
    reproducible.pop("serialNumber")
    reproducible["metadata"].pop("timestamp")
    assert plain[0] == plain[1] == reproducible


def test_reproducible_without_source_date_epoch_is_a_usage_error(sbom_cli: RunSbom) -> None:
    run = sbom_cli("generate", "lock", UV_LOCK, "--reproducible")
    assert run.code == 2
    assert "SOURCE_DATE_EPOCH" in run.err


def test_no_dev_keeps_extras_this_lock_has_no_dev_group(sbom_cli: RunSbom) -> None:
    full = _components(_generate(sbom_cli, "lock", UV_LOCK))
    runtime = _components(_generate(sbom_cli, "lock", UV_LOCK, "--no-dev"))
    optional = {k for k, c in full.items() if c.get("scope") == "optional"}
    assert ("brotli", "1.1.0") in optional  # httpx[brotli]
    assert set(runtime) == set(full)  # extras are runtime dependencies a user opts into
    assert runtime[("brotli", "1.1.0")]["scope"] == "optional"
    assert ("certifi", "2025.4.26") in runtime


def test_output_file_is_written_and_symlinks_are_replaced_not_followed(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    out = tmp_path / "sbom.json"
    out.symlink_to(victim)
    run = sbom_cli("generate", "lock", PYLOCK, "-o", out)
    assert run.code == 0, run.err
    assert victim.read_text() == "keep"
    assert not out.is_symlink()
    assert json.loads(out.read_text())["bomFormat"] == "CycloneDX"


def test_sources_without_a_graph_do_not_claim_packages_depend_on_nothing(
    sbom_cli: RunSbom, tmp_path: Path
) -> None:
    # uv's pylock.toml export records no per-package dependencies
    doc = _generate(sbom_cli, "lock", PYLOCK)
    assert [d["ref"] for d in doc["dependencies"]] == [doc["metadata"]["component"]["bom-ref"]]
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("idna==3.10\ncertifi==2025.4.26\n")
    doc = _generate(sbom_cli, "requirements", requirements)
    assert "dependencies" not in doc
    assert {c["purl"] for c in doc["components"]} == {
        "pkg:pypi/idna@3.10",
        "pkg:pypi/certifi@2025.4.26",
    }
    # a lock graph states leaves explicitly
    doc = _generate(sbom_cli, "lock", UV_LOCK)
    assert {"ref": "pkg:pypi/idna@3.10"} in doc["dependencies"]
