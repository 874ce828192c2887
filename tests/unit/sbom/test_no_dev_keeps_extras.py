"""``--no-dev`` drops dependency/dev groups only: extras stay (scope ``optional``), linked
from the root."""

from __future__ import annotations

import json
from pathlib import Path

from chainkit import deps
from chainkit.sbom._build import BuildOptions, build_document
from chainkit.sbom._inventory import LockSource, collect_inventory

UV_LOCK = """\
version = 1
revision = 2
requires-python = ">=3.8"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [ { name = "requests" } ]

[package.optional-dependencies]
socks = [ { name = "pysocks" } ]

[package.dev-dependencies]
dev = [ { name = "pytest" } ]

[[package]]
name = "requests"
version = "2.31.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }
dependencies = [ { name = "win-inet-pton" } ]

[[package]]
name = "win-inet-pton"
version = "1.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [ { name = "iniconfig" }, { name = "requests" } ]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
"""


def _lock(tmp_path: Path) -> Path:
    path = tmp_path / "uv.lock"
    path.write_text(UV_LOCK)
    return path


def test_deps_tells_extras_from_dependency_groups(tmp_path: Path) -> None:
    found = {d.canonical_name: d for d in deps.collect(deps.LockFile(_lock(tmp_path))).dependencies}
    assert (found["pysocks"].extras, found["pysocks"].dev_only) == (("socks",), False)
    assert (found["win-inet-pton"].extras, found["win-inet-pton"].dev_only) == (("socks",), False)
    assert (found["pytest"].extras, found["pytest"].dev_only) == ((), True)
    assert found["requests"].dev_only is False


def test_no_dev_keeps_extras_as_optional_and_links_them_from_the_root(tmp_path: Path) -> None:
    inventory = collect_inventory(LockSource(_lock(tmp_path)))
    document = json.loads(build_document(inventory, BuildOptions(no_dev=True)))
    scopes = {c["name"]: c.get("scope") for c in document["components"]}
    assert scopes == {"pysocks": "optional", "requests": "required", "win-inet-pton": "optional"}
    graph = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert graph["pkg:pypi/app@0.1.0"] == ["pkg:pypi/pysocks@1.7.1", "pkg:pypi/requests@2.31.0"]


def test_without_no_dev_the_dev_group_is_kept_but_not_linked_from_the_root(
    tmp_path: Path,
) -> None:
    inventory = collect_inventory(LockSource(_lock(tmp_path)))
    document = json.loads(build_document(inventory, BuildOptions()))
    assert {c["name"] for c in document["components"]} >= {"pytest", "iniconfig"}
    graph = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert "pkg:pypi/pytest@8.0.0" not in graph["pkg:pypi/app@0.1.0"]
