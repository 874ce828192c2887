"""A package that is not from PyPI never gets PyPI's purl; diff and merge see a change of
source (a swap to an attacker's fork)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainkit import deps
from chainkit.sbom._build import BuildOptions, build_document
from chainkit.sbom._diff import diff_sboms
from chainkit.sbom._inventory import LockSource, collect_inventory
from chainkit.sbom._merge import merge_sboms
from chainkit.sbom._read import parse_sbom

COMMIT = "0123456789abcdef0123456789abcdef01234567"

UV_LOCK = f"""\
version = 1
revision = 2
requires-python = ">=3.8"

[[package]]
name = "app"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [ {{ name = "requests" }}, {{ name = "idna" }}, {{ name = "local" }},
  {{ name = "mirror" }}, {{ name = "certifi" }} ]

[[package]]
name = "requests"
version = "2.31.0"
source = {{ git = "https://github.com/evil/requests?rev=main#{COMMIT}" }}

[[package]]
name = "idna"
version = "3.7"
source = {{ url = "https://files.example/idna-3.7.tar.gz" }}

[[package]]
name = "local"
version = "1.0"
source = {{ directory = "../local" }}

[[package]]
name = "mirror"
version = "1.0"
source = {{ registry = "https://mirror.example/simple" }}

[[package]]
name = "certifi"
version = "2024.2.2"
source = {{ registry = "https://pypi.org/simple" }}
"""

POETRY_LOCK = f"""\
[[package]]
name = "requests"
version = "2.31.0"
description = ""
optional = false
python-versions = ">=3.7"
groups = ["main"]
files = []

[package.source]
type = "git"
url = "https://github.com/evil/requests.git"
reference = "main"
resolved_reference = "{COMMIT}"

[[package]]
name = "mirror"
version = "1.0"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = []

[package.source]
type = "legacy"
url = "https://mirror.example/simple"
reference = "mirror"

[metadata]
lock-version = "2.1"
python-versions = ">=3.8"
content-hash = "0"
"""

PYLOCK = f"""\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "requests"
version = "2.31.0"
vcs = {{ type = "git", url = "https://github.com/evil/requests", commit-id = "{COMMIT}" }}

[[packages]]
name = "local"
directory = {{ path = "../local" }}

[[packages]]
name = "idna"
version = "3.7"
archive = {{ url = "https://files.example/idna-3.7.tar.gz", hashes = {{ sha256 = "{"a" * 64}" }} }}

[[packages]]
name = "mirror"
version = "1.0"
index = "https://mirror.example/simple"
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _sources(path: Path) -> dict[str, deps.PackageSource | None]:
    return {d.canonical_name: d.source for d in deps.collect(deps.LockFile(path)).dependencies}


def test_deps_records_where_uv_packages_come_from(tmp_path: Path) -> None:
    found = _sources(_write(tmp_path, "uv.lock", UV_LOCK))
    assert found["requests"] == deps.PackageSource(
        "vcs", "https://github.com/evil/requests", COMMIT, "git"
    )
    assert found["idna"] == deps.PackageSource("url", "https://files.example/idna-3.7.tar.gz")
    assert found["local"] == deps.PackageSource("directory", "../local")
    assert found["mirror"] == deps.PackageSource("registry", "https://mirror.example/simple")
    assert found["certifi"] is None


def test_deps_records_where_poetry_and_pylock_packages_come_from(tmp_path: Path) -> None:
    poetry = _sources(_write(tmp_path, "poetry.lock", POETRY_LOCK))
    assert poetry["requests"] == deps.PackageSource(
        "vcs", "https://github.com/evil/requests.git", COMMIT, "git"
    )
    assert poetry["mirror"] == deps.PackageSource("registry", "https://mirror.example/simple")
    pylock = _sources(_write(tmp_path, "pylock.toml", PYLOCK))
    assert pylock["requests"] == deps.PackageSource(
        "vcs", "https://github.com/evil/requests", COMMIT, "git"
    )
    assert pylock["local"] == deps.PackageSource("directory", "../local")
    assert pylock["idna"] == deps.PackageSource("url", "https://files.example/idna-3.7.tar.gz")
    assert pylock["mirror"] == deps.PackageSource("registry", "https://mirror.example/simple")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_non_pypi_packages_get_purls_that_do_not_claim_pypi(tmp_path: Path, fmt: str) -> None:
    inventory = collect_inventory(LockSource(_write(tmp_path, "uv.lock", UV_LOCK)))
    build_document(inventory, BuildOptions(fmt=fmt))  # valid in both formats
    document = json.loads(build_document(inventory, BuildOptions()))
    by_name = {c["name"]: c for c in document["components"]}
    assert by_name["requests"]["purl"] == (
        "pkg:pypi/requests@2.31.0?vcs_url=git%2Bhttps://github.com/evil/requests%40" + COMMIT
    )
    assert by_name["requests"]["externalReferences"] == [
        {"type": "vcs", "url": "https://github.com/evil/requests", "comment": f"commit {COMMIT}"}
    ]
    assert by_name["idna"]["purl"] == (
        "pkg:pypi/idna@3.7?download_url=https://files.example/idna-3.7.tar.gz"
    )
    assert {"type": "distribution", "url": "https://files.example/idna-3.7.tar.gz"} in by_name[
        "idna"
    ]["externalReferences"]
    assert by_name["local"]["purl"] == "pkg:generic/local@1.0"
    assert by_name["mirror"]["purl"] == (
        "pkg:pypi/mirror@1.0?repository_url=https://mirror.example/simple"
    )
    assert by_name["certifi"]["purl"] == "pkg:pypi/certifi@2024.2.2"


def _sbom(components: list[dict[str, Any]], **extra: Any) -> Any:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}
    return parse_sbom({**doc, **extra}, source="test")


def _component(purl: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "library",
        "bom-ref": purl,
        "name": "requests",
        "version": "2.31.0",
        "purl": purl,
        **extra,
    }


PYPI = "pkg:pypi/requests@2.31.0"
FORK = f"pkg:pypi/requests@2.31.0?vcs_url=git%2Bhttps://github.com/evil/requests%40{COMMIT}"


def test_diff_reports_a_move_from_pypi_to_a_fork() -> None:
    diff = diff_sboms(_sbom([_component(PYPI)]), _sbom([_component(FORK)]))
    assert [(c.kind, c.old, c.new) for c in diff.changes] == [
        ("source", "pypi", f"pypi?vcs_url=git+https://github.com/evil/requests@{COMMIT}")
    ]


def test_merge_reports_a_pypi_and_a_fork_copy_as_a_blocking_conflict_and_keeps_both() -> None:
    result = merge_sboms([_sbom([_component(PYPI)]), _sbom([_component(FORK)])])
    assert [(c.subject, c.kind) for c in result.conflicts] == [("requests@2.31.0", "source")]
    assert result.blocking
    purls = {c["purl"] for c in json.loads(result.document)["components"]}
    assert purls == {PYPI, FORK}


def test_requirements_direct_url_lines_are_listed_with_their_source_not_as_pypi(
    tmp_path: Path,
) -> None:
    from chainkit.sbom._inventory import RequirementsSource

    path = _write(
        tmp_path,
        "requirements.txt",
        f"requests @ git+https://github.com/evil/requests@{COMMIT}\n"
        "idna @ https://files.example/idna-3.7.tar.gz\n"
        "six==1.16.0\n",
    )
    collected = deps.collect(deps.Requirements((path,)))
    assert [d.name for d in collected.dependencies] == ["six"]  # what is audited is unchanged
    assert [(d.name, d.source) for d in collected.direct] == [
        ("requests", deps.PackageSource("vcs", "https://github.com/evil/requests", COMMIT, "git")),
        ("idna", deps.PackageSource("url", "https://files.example/idna-3.7.tar.gz")),
    ]
    document = json.loads(
        build_document(collect_inventory(RequirementsSource(path)), BuildOptions())
    )
    assert sorted(c["purl"] for c in document["components"]) == [
        "pkg:pypi/idna?download_url=https://files.example/idna-3.7.tar.gz",
        f"pkg:pypi/requests?vcs_url=git%2Bhttps://github.com/evil/requests%40{COMMIT}",
        "pkg:pypi/six@1.16.0",
    ]
