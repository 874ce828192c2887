"""Audit inputs: pinned or resolved, what is skipped and why, where packages are declared,
and the pip-audit sources (run for real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainkit.audit import Location, lock_input, project_inputs, requirements_input
from chainkit.errors import ExitCode, UsageError

HASH = "--hash=sha256:" + "a" * 64

UV_LOCK = """\
version = 1
requires-python = ">=3.10"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "jinja2" }]

[[package]]
name = "Jinja2"
version = "3.1.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "1.0"
source = { git = "https://example.invalid/tool.git#abc" }
"""

POETRY_LOCK = """\
[[package]]
name = "requests"
version = "2.19.0"
description = "HTTP"
optional = false

[[package]]
name = "local-lib"
version = "0.0.1"
description = "path dependency"
optional = false

[package.source]
type = "directory"
url = "../local-lib"

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "x"
"""

PYLOCK = """\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "urllib3"
version = "1.26.4"

[[packages]]
name = "local"
directory = { path = "." }
"""


def pins(item) -> list[tuple[str, str]]:
    out = []
    for dep in item.make_source().collect():
        out.append((dep.name, str(dep.version)) if not dep.is_skipped() else (dep.name, "skipped"))
    return out


def test_requirements_with_includes_hashes_and_markers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.txt").write_text(f"Jinja2==3.1.2 \\\n    {HASH}\n")
    (tmp_path / "requirements.txt").write_text(
        f"# top\n-r base.txt\nrequests==2.19.0 {HASH}\n"
        f'pywin32==306 ; sys_platform == "win32" {HASH}\n'
    )
    item = requirements_input([Path("requirements.txt")])
    assert item.kind == "requirements" and not item.resolves
    assert "nothing installed" in item.mode
    assert item.label == "requirements.txt, base.txt"
    assert item.locate("jinja2") == (Location("base.txt", 1),)
    assert item.locate("Requests") == (Location("requirements.txt", 3),)
    assert item.locate("transitive") == (Location("requirements.txt", 1),)
    assert [s.name for s in item.skipped] == ["pywin32"]
    assert "environment marker" in item.skipped[0].reason
    assert sorted(pins(item)) == [("Jinja2", "3.1.2"), ("requests", "2.19.0")]


def test_unpinned_requirements_need_resolution(tmp_path: Path) -> None:
    req = tmp_path / "r.txt"
    req.write_text("flask>=2\nrequests==2.19.0\n")
    item = requirements_input([req])
    assert item.resolves
    for spec in ("flask==2.*", "flask===2.0", "flask>=2,<3"):
        req.write_text(spec + "\n")
        assert requirements_input([req]).resolves, spec
    assert "resolved by pip-audit" in item.mode
    hashed = tmp_path / "h.txt"
    hashed.write_text(f"flask>=2 {HASH}\n")
    with pytest.raises(UsageError, match="must all be pinned"):
        requirements_input([hashed])


def test_missing_and_invalid_requirements(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist") as info:
        requirements_input([tmp_path / "nope.txt"])
    assert info.value.exit_code == ExitCode.USAGE
    (tmp_path / "r.txt").write_text("-r missing.txt\n")
    with pytest.raises(UsageError, match=r"r\.txt:1: the included requirements file does not"):
        requirements_input([tmp_path / "r.txt"])
    (tmp_path / "bad.txt").write_text("ok==1.0\nthis is not ( a requirement\n")
    with pytest.raises(UsageError, match=r"bad.txt:2: not a valid requirement"):
        requirements_input([tmp_path / "bad.txt"])


def test_uv_lock(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    item = lock_input(tmp_path / "uv.lock")
    assert item.kind == "uv.lock" and not item.resolves
    assert pins(item) == [("Jinja2", "3.1.2")]
    assert {s.name: s.reason for s in item.skipped} == {
        "demo": "not from a package index (uv source: editable)",
        "tool": "not from a package index (uv source: git)",
    }
    assert item.locate("jinja2")[0].line == 11


def test_poetry_lock(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(POETRY_LOCK)
    item = lock_input(tmp_path / "poetry.lock")
    assert pins(item) == [("requests", "2.19.0")]
    assert [s.name for s in item.skipped] == ["local-lib"]
    assert item.locate("requests")[0].line == 2


def test_pylock_through_pip_audit(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    item = lock_input(tmp_path / "pylock.toml")
    assert item.kind == "pylock"
    assert pins(item) == [("urllib3", "1.26.4"), ("local", "skipped")]
    assert item.locate("urllib3")[0].line == 5


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
def test_unparsable_lock_files(tmp_path: Path, name: str, content: str, match: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(UsageError, match=match) as info:
        lock_input(tmp_path / name)
    assert info.value.exit_code == ExitCode.USAGE


def test_project_paths(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no pyproject\.toml"):
        project_inputs(tmp_path, locked=False)
    with pytest.raises(UsageError, match="no lock file"):
        project_inputs(tmp_path, locked=True)
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    with pytest.raises(UsageError) as info:
        project_inputs(tmp_path, locked=False)
    assert "--locked" in (info.value.remediation or "")
    (tmp_path / "poetry.lock").write_text(POETRY_LOCK)
    assert [i.kind for i in project_inputs(tmp_path, locked=True)] == ["uv.lock", "poetry.lock"]
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1"\ndependencies = [\n  "jinja2>=3",\n]\n'
    )
    (item,) = project_inputs(tmp_path, locked=False)
    assert item.kind == "pyproject" and item.resolves
    assert item.locate("Jinja2")[0].line == 5
    assert project_inputs(tmp_path / "uv.lock", locked=False)[0].kind == "uv.lock"
    with pytest.raises(UsageError, match="does not exist"):
        project_inputs(tmp_path / "missing", locked=False)
