"""``actions/setup/setup.sh`` for real: a private venv under a temporary ``RUNNER_TEMP``,
every dependency installed from the hash-pinned files (pip's cache makes it quick where the
project was installed before), chainkit itself from this checkout; reused within the same
job, never trusted otherwise.

The real install runs once per session (a session fixture); its time is printed
(``pytest -s``) and written to the fixture's directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.ghactions.conftest import REPO
from unit.ghactions._github_output import parse_github_output

SETUP = REPO / "actions" / "setup" / "setup.sh"
KEY = REPO / "actions" / "setup" / "key.py"

pytestmark = pytest.mark.slow


def _python311() -> str:
    """Python 3.11 (the pins' version) when there is one; else this interpreter if setup.sh
    takes it (3.12 and 3.13, with a warning)."""
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if found is None and sys.version_info[:2] < (3, 11):
        pytest.skip("actions/setup needs Python 3.11 (or 3.12, 3.13); none here")
    return found or sys.executable


@dataclass
class Setup:
    code: int
    stderr: str
    outputs: dict[str, str]
    seconds: float


def _run_setup(temp: Path, *, job: str = "1", **extra: str) -> Setup:
    temp.mkdir(parents=True, exist_ok=True)
    output = temp / "github-output"
    output.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "CHAINKIT_", "INPUT_", "VIRTUAL_ENV"))
    }
    env.update(
        RUNNER_OS="Linux",
        RUNNER_ARCH="X64",
        RUNNER_TEMP=str(temp),
        GITHUB_OUTPUT=str(output),
        GITHUB_RUN_ID=job,
        GITHUB_RUN_ATTEMPT="1",
        GITHUB_JOB="test",
        CHAINKIT_SETUP_PYTHON=_python311(),
    )
    env.update(extra)
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    return Setup(
        result.returncode,
        result.stderr,
        parse_github_output(output.read_text()),
        time.monotonic() - started,
    )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Setup]:
    temp = tmp_path_factory.mktemp("runner-temp")
    setup = _run_setup(temp)
    assert setup.code == 0, setup.stderr
    (temp / "install-seconds").write_text(f"{setup.seconds:.1f}\n")
    print(f"\nactions/setup real install: {setup.seconds:.1f}s", file=sys.stderr)
    return temp, setup


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    text = (REPO / "actions" / "setup" / "requirements.txt").read_text()
    text += (REPO / "actions" / "setup" / "bootstrap.txt").read_text()
    return {
        _canonical(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", text, re.M)
    }


def test_installs_chainkit_and_only_pinned_versions(installed: tuple[Path, Setup]) -> None:
    temp, setup = installed
    python, chainkit = Path(setup.outputs["python"]), Path(setup.outputs["chainkit"])
    assert set(setup.outputs) == {"python", "chainkit"}
    assert python.parent == chainkit.parent and python.parent.parent.parent == temp
    version = subprocess.run(
        [str(chainkit), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("chainkit, version")
    where = subprocess.run(
        [str(python), "-I", "-c", "import chainkit, sys; print(chainkit.__file__)"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(python.parent.parent), where.stdout
    frozen = subprocess.run(
        [str(python), "-I", "-m", "pip", "list", "--format", "freeze"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pins = _pins()
    installed_versions = {
        _canonical(name): version
        for name, _, version in (line.partition("==") for line in frozen.split())
        if version
    }
    installed_versions.pop("chainkit")
    unpinned = {k: v for k, v in installed_versions.items() if pins.get(k) != v}
    assert unpinned == {}, "installed but not pinned (or another version)"
    adapter = subprocess.run(
        [str(python), "-I", "-m", "chainkit.ghactions", "nonsense"], capture_output=True, text=True
    )
    assert adapter.returncode == 2 and "::error title=chainkit::" in adapter.stderr


def test_the_same_job_reuses_the_venv(installed: tuple[Path, Setup]) -> None:
    temp, first = installed
    again = _run_setup(temp)
    assert again.code == 0, again.stderr
    assert again.outputs == first.outputs
    assert "reusing" in again.stderr


def test_a_venv_of_another_job_is_not_trusted(
    installed: tuple[Path, Setup], tmp_path: Path
) -> None:
    _, first = installed
    venv = Path(first.outputs["python"]).parent.parent
    temp = tmp_path / "temp"
    fake = temp / venv.name
    (fake / "bin").mkdir(parents=True)
    marker = tmp_path / "ran"
    (fake / "bin" / "python").write_text(f"#!/bin/sh\ntouch '{marker}'\n")
    (fake / "bin" / "python").chmod(0o755)
    shutil.copy(venv / ".chainkit-setup-key", fake / ".chainkit-setup-key")  # job "1"
    # another job; and an interpreter that cannot make a venv, so that the rebuild stops at
    # once (pip runs --isolated: PIP_* variables cannot stop it)
    python = tmp_path / "python-without-venv"
    python.write_text(
        '#!/bin/sh\nif [ "$1 $2 $3" = "-I -m venv" ]; then exit 1; fi\n'
        f"exec '{_python311()}' \"$@\"\n"
    )
    python.chmod(0o755)
    setup = _run_setup(temp, job="2", CHAINKIT_SETUP_PYTHON=str(python))
    assert setup.code == 3
    assert "was not made by this job's setup" in setup.stderr
    assert not marker.exists()
    assert not (fake / ".chainkit-setup-key").exists()
    assert setup.outputs == {}


def test_a_symlinked_venv_is_refused(installed: tuple[Path, Setup], tmp_path: Path) -> None:
    _, first = installed
    venv = Path(first.outputs["python"]).parent.parent
    temp = tmp_path / "temp"
    temp.mkdir()
    (temp / venv.name).symlink_to(venv, target_is_directory=True)
    setup = _run_setup(temp)
    assert setup.code == 3
    assert "::error title=chainkit setup::" in setup.stderr and "symlink" in setup.stderr
    assert setup.outputs == {}


@pytest.mark.parametrize(("variable", "value"), [("RUNNER_OS", "Windows"), ("RUNNER_ARCH", "ARM")])
def test_other_runners_get_a_clear_error(tmp_path: Path, variable: str, value: str) -> None:
    setup = _run_setup(tmp_path / "temp", **{variable: value})
    assert setup.code == 2
    assert setup.stderr.startswith("::error title=chainkit setup::")
    assert "Linux and macOS" in setup.stderr or "X64 or ARM64" in setup.stderr
    assert [p.name for p in (tmp_path / "temp").iterdir()] == ["github-output"]


def test_the_key_covers_requirements_and_source(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(REPO / "actions" / "setup", root / "actions" / "setup")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "scripts" / "chainkit").mkdir(parents=True)
    (root / "scripts" / "chainkit" / "__init__.py").write_text("x = 1\n")

    def key() -> str:
        return subprocess.run(
            [sys.executable, "-I", str(KEY), str(root)], capture_output=True, text=True, check=True
        ).stdout.strip()

    first = key()
    (root / "scripts" / "chainkit" / "__init__.py").write_text("x = 2\n")
    second = key()
    with (root / "actions" / "setup" / "requirements.txt").open("a") as fh:
        fh.write("# changed\n")
    third = key()
    assert len({first, second, third}) == 3
    (root / "scripts" / "chainkit" / "link.py").symlink_to(root / "pyproject.toml")
    refused = subprocess.run(
        [sys.executable, "-I", str(KEY), str(root)], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "symlink" in refused.stderr


def test_a_python_the_pins_cannot_serve_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "python3.10"
    fake.write_text("#!/bin/sh\necho 3.10\n")
    fake.chmod(0o755)
    setup = _run_setup(tmp_path / "temp", CHAINKIT_SETUP_PYTHON=str(fake))
    assert setup.code == 2
    assert "needs Python 3.11" in setup.stderr and "got 3.10" in setup.stderr
    assert setup.outputs == {}
