"""Lock files, pyproject.toml and the environment through chainkit.deps: versions, hashes,
non-index origins, group membership, the dependency graph, and discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainkit.deps import (
    MAIN_GROUP,
    Edge,
    Environment,
    InputError,
    LockFile,
    PyProject,
    Requirements,
    collect,
    discover,
)
from chainkit.errors import ExitCode

SHA = "sha256:" + "c" * 64

UV_LOCK = f"""\
version = 1
requires-python = ">=3.10"

[[package]]
name = "demo"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "jinja2" }}]

[package.optional-dependencies]
speed = [{{ name = "ujson" }}]

[package.dev-dependencies]
dev = [{{ name = "pytest" }}]

[[package]]
name = "Jinja2"
version = "3.1.2"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [{{ name = "markupsafe" }}]
sdist = {{ url = "https://files.invalid/jinja2-3.1.2.tar.gz", hash = "{SHA}", size = 1 }}
wheels = [{{ url = "https://files.invalid/jinja2-3.1.2-py3-none-any.whl", hash = "{SHA}" }}]

[[package]]
name = "markupsafe"
version = "2.1.5"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "ujson"
version = "5.10.0"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "pytest"
version = "8.3.0"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [{{ name = "colorama", marker = "sys_platform == 'win32'" }}]

[[package]]
name = "colorama"
version = "0.4.6"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "tool"
version = "1.0"
source = {{ git = "https://example.invalid/tool.git#abc" }}
"""

POETRY_LOCK = f"""\
[[package]]
name = "requests"
version = "2.19.0"
optional = false
groups = ["main"]
files = [{{file = "requests-2.19.0-py2.py3-none-any.whl", hash = "{SHA}"}}]

[package.dependencies]
idna = ">=2.5"
urllib3 = {{version = ">=1.21.1", markers = "python_version >= '3'"}}

[[package]]
name = "pytest"
version = "8.0.0"
optional = false
groups = ["dev"]
files = []

[[package]]
name = "local-lib"
version = "0.0.1"
optional = false

[package.source]
type = "directory"
url = "../local-lib"

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "x"
"""

POETRY_1_LOCK = f"""\
[[package]]
name = "six"
version = "1.16.0"
category = "dev"
optional = false

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "x"

[metadata.files]
six = [{{file = "six-1.16.0.tar.gz", hash = "{SHA}"}}]
"""

PYLOCK = f"""\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "urllib3"
version = "1.26.4"
marker = "python_version >= '3.8'"
dependencies = [{{name = "certifi"}}]
wheels = [{{name = "urllib3-1.26.4-py2.py3-none-any.whl", hashes = {{sha256 = "{"d" * 64}"}}}}]

[[packages]]
name = "certifi"
version = "2024.8.30"
sdist = {{name = "certifi-2024.8.30.tar.gz", hashes = {{sha256 = "{"e" * 64}"}}}}

[[packages]]
name = "local"
directory = {{ path = "." }}
"""


def by_name(collected) -> dict:
    return {d.canonical_name: d for d in collected.dependencies}


def test_uv_lock_hashes_origins_groups_and_graph(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    got = collect(LockFile(tmp_path / "uv.lock"))
    deps = by_name(got)
    assert got.kind == "uv.lock"
    assert deps["jinja2"].version == "3.1.2" and deps["jinja2"].hashes == (SHA, SHA)
    assert deps["demo"].origin == "uv source: editable"
    assert deps["tool"].origin == "uv source: git"
    assert deps["jinja2"].groups == (MAIN_GROUP,) and not deps["jinja2"].dev
    assert deps["markupsafe"].groups == (MAIN_GROUP,)  # transitively, through jinja2
    assert deps["ujson"].groups == ("speed",)
    assert deps["pytest"].groups == ("dev",) and deps["pytest"].dev
    assert deps["colorama"].groups == ("dev",)
    assert Edge("jinja2", "markupsafe", parent_version="3.1.2") in got.edges
    assert Edge("demo", "pytest", "dev", parent_version="0.1.0") in got.edges
    assert Edge("pytest", "colorama", None, "sys_platform == 'win32'", "8.3.0") in got.edges
    assert got.locate("Jinja2")[0].line == 17


def test_poetry_lock_groups_files_sources_and_graph(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(POETRY_LOCK)
    got = collect(LockFile(tmp_path / "poetry.lock"))
    deps = by_name(got)
    assert deps["requests"].hashes == (SHA,) and deps["requests"].groups == ("main",)
    assert deps["pytest"].dev
    assert deps["local-lib"].origin == "poetry source: directory"
    assert set(got.edges) == {
        Edge("requests", "idna", parent_version="2.19.0"),
        Edge("requests", "urllib3", None, "python_version >= '3'", "2.19.0"),
    }
    assert got.locate("requests")[0].line == 2
    (tmp_path / "old" / "poetry.lock").parent.mkdir()
    (tmp_path / "old" / "poetry.lock").write_text(POETRY_1_LOCK)
    (six,) = collect(LockFile(tmp_path / "old" / "poetry.lock")).dependencies
    assert six.groups == ("dev",) and six.hashes == (SHA,)  # lock format 1.x


def test_pylock_hashes_markers_origins_and_graph(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    got = collect(LockFile(tmp_path / "pylock.toml"))
    deps = by_name(got)
    assert got.kind == "pylock"
    assert deps["urllib3"].hashes == ("sha256:" + "d" * 64,)
    assert deps["urllib3"].marker == "python_version >= '3.8'"
    assert deps["certifi"].hashes == ("sha256:" + "e" * 64,)
    assert deps["local"].version is None and deps["local"].origin == "pylock: directory"
    assert got.edges == (Edge("urllib3", "certifi", parent_version="1.26.4"),)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("uv.lock", "version = 1\n[[package]\nname = 'x'\n", "could not be parsed"),
        ("uv.lock", "[[package]]\nname = 'x'\n", "not a valid lock file"),
        ("poetry.lock", "package = 'nope'\n", "not a valid lock file"),
        ("poetry.lock", "[[package]]\nversion = '1'\n", "without a name"),
        ("pylock.toml", "[[packages]]\nname = 'x'\n", "PEP 751"),
        ("Pipfile.lock", "{}", "not a lock file chainkit reads"),
    ],
)
def test_unreadable_lock_files(tmp_path: Path, name: str, content: str, match: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=match) as info:
        collect(LockFile(tmp_path / name))
    assert info.value.exit_code == ExitCode.USAGE


def test_pyproject_groups_and_invalid_entries(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "demo"\nversion = "1"\ndependencies = [\n  "jinja2>=3",\n'
        '  "attrs==23.1.0",\n]\n[project.optional-dependencies]\ncli = ["click>=8"]\n'
        '[dependency-groups]\ntest = ["pytest", {include-group = "cli"}]\n'
    )
    deps = by_name(collect(PyProject(path)))
    assert deps["jinja2"].groups == (MAIN_GROUP,) and deps["jinja2"].declared[0].line == 5
    assert deps["attrs"].version == "23.1.0"
    assert deps["click"].groups == ("cli",) and deps["pytest"].dev
    path.write_text('[project]\nname = "d"\ndependencies = ["tok3n-value ( x"]\n')
    with pytest.raises(InputError) as info:
        collect(PyProject(path))
    assert "[project].dependencies[0]" in info.value.message
    assert "tok3n-value" not in info.value.render()


def test_environment_lists_installed_distributions_with_edges() -> None:
    got = collect(Environment())
    deps = by_name(got)
    assert {"click", "packaging", "pip-audit"} <= set(deps)
    assert any(e.parent == "pip-audit" and e.child == "packaging" for e in got.edges)


def test_discover(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no pyproject\.toml"):
        discover(tmp_path, locked=False)
    with pytest.raises(InputError, match="no lock file"):
        discover(tmp_path, locked=True)
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    (tmp_path / "pylock.dev.toml").write_text(PYLOCK)
    assert discover(tmp_path, locked=True) == [
        LockFile(tmp_path / "pylock.dev.toml"),
        LockFile(tmp_path / "uv.lock"),
    ]
    (tmp_path / "r.in").write_text("x==1\n")
    assert discover(tmp_path / "r.in", locked=False) == [Requirements((tmp_path / "r.in",))]
