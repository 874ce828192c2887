"""The adapter with a stand-in for the chainkit child: hostile inputs are refused with exit
2 before anything runs, arguments are a list, the token reaches only the child's
environment, outputs are written with delimiters no value can forge, and chainkit's exit
code is what the step returns."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainkit.ghactions import ACTIONS, run_action
from chainkit.ghactions._outputs import format_outputs, write_outputs
from chainkit.ghactions._run import Child
from unit.ghactions._github_output import parse_github_output


class FakeChainkit:
    """Records each call; answers with a fixed exit code and stdout."""

    def __init__(self, code: int = 0, stdout: str = "{}", error: str = "") -> None:
        self.code, self.stdout, self.error = code, stdout, error
        self.calls: list[tuple[list[str], dict[str, str], bool]] = []

    def __call__(self, argv: Sequence[str], env: Mapping[str, str], capture: bool) -> Child:
        self.calls.append((list(argv), dict(env), capture))
        return Child(self.code, self.stdout, self.error)


def _env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    env = {"GITHUB_OUTPUT": str(tmp_path / "output"), "PATH": os.environ.get("PATH", "")}
    (tmp_path / "output").write_text("")
    for name, value in inputs.items():
        env["INPUT_" + name.upper()] = value
    return env


HOSTILE = [
    ("scan", {"kind": "code", "path": "--help"}),
    ("scan", {"kind": "code", "path": "-rf"}),
    ("scan", {"kind": "code", "baseline": "b.json\n--format=json"}),
    ("scan", {"kind": "code", "path": "a\rb"}),
    ("scan", {"kind": "code", "path": "a\x1b[2Jb"}),
    ("scan", {"kind": "code", "path": "a\u202eb"}),
    ("scan", {"kind": "code", "path": "a\x00b"}),
    ("scan", {"kind": "--help"}),
    ("scan", {"kind": "docs"}),
    ("scan", {"kind": ""}),
    ("scan", {"kind": "secrets", "history": "True"}),
    ("scan", {"kind": "secrets", "history": "yes"}),
    ("scan", {"kind": "secrets", "history": "1"}),
    ("backfill", {"mode": "plan", "last": "0"}),
    ("backfill", {"mode": "plan", "last": "-1"}),
    ("backfill", {"mode": "plan", "last": "1e3"}),
    ("backfill", {"mode": "plan", "tags": "v1 --exclude-tags=*"}),
    ("backfill", {"mode": "plan", "home": "elsewhere"}),
    ("backfill", {"mode": "apply", "plan": "p.json"}),  # expect-digest is required
    ("backfill", {"mode": "plan", "plan": ""}),  # the plan path is required
    ("backfill", {"mode": "apply; rm -rf ~"}),
    ("audit", {"sarif": "a.sarif", "requirements": "r.txt\n-r other.txt"}),
    ("audit", {"sarif": "a.sarif", "fail-on": "never"}),
    ("verify", {"cert-oidc-issuer": "https://i", "files": "a.whl\n--offline"}),
    ("verify", {"cert-oidc-issuer": "https://i", "allow-unsigned": "false\ntrue"}),
    ("sbom", {"source": "project", "output": "-"}),
    ("sbom", {"source": "docker", "output": "s.json"}),
    ("verify", {"cert-oidc-issuer": "https://i", "api-url": "file:///etc/passwd"}),
    ("verify", {"cert-oidc-issuer": "https://i", "api-url": "https://u:p@api.example/"}),
    ("backfill", {"mode": "plan", "api-url": "https://api.example/?x=1"}),
    # the token would cross a network in cleartext
    ("backfill", {"mode": "plan", "api-url": "http://api.example/api/v3"}),
    ("verify", {"cert-oidc-issuer": "https://i", "api-url": "http://10.0.0.1:8080"}),
    ("verify", {"cert-oidc-issuer": "https://i", "api-url": "http://localhost.example"}),
    ("verify", {"cert-oidc-issuer": "https://i", "api-url": "http://127.0.0.1.nip.io/"}),
    ("verify", {"cert-oidc-issuer": "https://i", "api-url": "http://[::2]/"}),
    # one "word" that Python's str.split() would split and bash's [[:space:]] would not
    ("backfill", {"mode": "plan", "tags": "v1.2.0\u00a0v1.1.0"}),
    ("backfill", {"mode": "plan", "tags": "v1.2.0\u202fv1.1.0"}),
    ("backfill", {"mode": "plan", "tags": "v1.2.0\u2007v1.1.0"}),
    ("backfill", {"mode": "plan", "tags": "v1\u3000v2"}),
    ("backfill", {"mode": "plan", "tags": "v1\x85v2"}),
    ("backfill", {"mode": "plan", "tags": "v1\x0bv2"}),
    ("backfill", {"mode": "plan", "assets": "a.whl\u200bb.whl"}),
    ("backfill", {"mode": "plan", "assets": "a\u3164.whl"}),
    ("verify", {"cert-oidc-issuer": "https://i", "files": "a\u00a0b.whl"}),
    ("scan", {"kind": "code", "path": "src\u00a0"}),
    ("scan", {"kind": "code", "path": "a\udcffb"}),  # an undecodable byte
    # `tag`: one plain tag, never a list or a glob
    ("backfill", {"mode": "plan", "tag": "v1.2.0\u00a0v1.1.0"}),
    ("backfill", {"mode": "plan", "tag": "v1.2.0 v1.1.0"}),
    ("backfill", {"mode": "plan", "tag": "v1.*"}),
    ("backfill", {"mode": "plan", "tag": "v[12]"}),
    ("backfill", {"mode": "plan", "tag": "v1..2"}),
    ("backfill", {"mode": "plan", "tag": "-v1"}),
    ("backfill", {"mode": "plan", "tag": "v1", "tags": "v2"}),
    ("nonsense", {}),
]


@pytest.mark.parametrize(("action", "inputs"), HOSTILE, ids=[repr(h[1])[:60] for h in HOSTILE])
def test_hostile_inputs_are_refused_before_anything_runs(
    action: str,
    inputs: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = {"plan": "chainkit-plan.json"} if action == "backfill" else {}
    base |= {"output": "s.json", "source": "project"} if action == "sbom" else {}
    base |= {"cert-oidc-issuer": "https://i"} if action == "verify" else {}
    fake = FakeChainkit()
    env = _env(tmp_path, **{k.replace("-", "_"): v for k, v in (base | inputs).items()})
    assert run_action(action, env, runner=fake) == 2
    assert fake.calls == []
    err = capsys.readouterr().err
    assert re.search(r"^::error title=chainkit::\S", err, re.M), err
    assert "\x1b" not in err and "\x00" not in err
    # only the result: the exit code and the refusal (one line, no control character)
    outputs = parse_github_output((tmp_path / "output").read_text())
    assert set(outputs) == {"exit-code", "error"} and outputs["exit-code"] == "2"
    assert outputs["error"] and outputs["error"].isprintable()


def test_a_trailing_newline_from_a_yaml_block_scalar_is_not_a_second_line(
    tmp_path: Path,
) -> None:
    fake = FakeChainkit()
    env = _env(tmp_path, kind="code", path="src\n")
    run_action("scan", env, runner=fake)
    argv = fake.calls[0][0]
    assert argv[-2:] == ["--", "src"]


def test_lists_split_into_one_option_each_and_values_are_never_shell_text(
    tmp_path: Path,
) -> None:
    fake = FakeChainkit(stdout=json.dumps({"plan_digest": "d", "summary": {}, "estimate": {}}))
    env = _env(
        tmp_path,
        mode="plan",
        plan="my plan.json",
        tags="v1.*  v2.*\nv3 ",
        repository="acme/widgets",
        pypi_project="$(touch pwned)",
    )
    assert run_action("backfill", env, runner=fake) == 0
    argv, _, capture = fake.calls[0]
    assert capture is True
    assert argv[:2] == ["backfill", "plan"]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--tags"] == ["v1.*", "v2.*", "v3"]
    assert argv[argv.index("--output") + 1] == "my plan.json"
    assert argv[argv.index("--pypi-project") + 1] == "$(touch pwned)"
    assert "--json" in argv


def test_inputs_of_the_other_mode_are_ignored_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeChainkit(stdout=json.dumps({"summary": {}, "estimate": {}}))
    env = _env(tmp_path, mode="plan", plan="p.json", max_writes="10", allow_unverified="false")
    assert run_action("backfill", env, runner=fake) == 0
    assert "--max-writes" not in fake.calls[0][0]
    assert "--allow-unverified" not in fake.calls[0][0]
    assert "::warning title=chainkit::input 'max-writes' applies only" in capsys.readouterr().err


def test_the_token_reaches_only_the_childs_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "tok" + secrets.token_hex(20)
    report = {"summary": {"verified": 2, "failed": 0, "unsigned": 1}}
    fake = FakeChainkit(stdout=json.dumps(report))
    env = _env(tmp_path, cert_oidc_issuer="https://i", repository="acme/w", token=token)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    assert run_action("verify", env, runner=fake) == 0
    argv, child_env, _ = fake.calls[0]
    assert child_env["GITHUB_TOKEN"] == token
    assert not any(k.startswith("INPUT_") for k in child_env)
    assert all(token not in a for a in argv)
    captured = capsys.readouterr()
    written = (tmp_path / "output").read_text() + (tmp_path / "summary.md").read_text()
    assert token not in captured.out + captured.err + written
    assert parse_github_output((tmp_path / "output").read_text()) == {
        "exit-code": "0",
        "error": "",
        "verified": "2",
        "failed": "0",
        "unsigned": "1",
        "failures": "",
    }


@pytest.mark.parametrize("code", [0, 1, 2, 3, 130, 143])
def test_chainkit_exit_code_is_the_steps(code: int, tmp_path: Path) -> None:
    sarif = tmp_path / "s.sarif"
    sarif.write_text(json.dumps({"runs": [{"results": [{}, {"suppressions": [{}]}, {}]}]}))
    fake = FakeChainkit(code=code, stdout="")
    env = _env(tmp_path, kind="code", sarif=str(sarif))
    assert run_action("scan", env, runner=fake) == code
    outputs = parse_github_output((tmp_path / "output").read_text())
    result = {"exit-code": str(code), "error": ""}
    if code in (0, 1):
        assert outputs == {**result, "sarif-path": str(sarif), "findings": "2"}
    else:
        assert outputs == result


def test_a_signal_death_is_a_tool_failure(tmp_path: Path) -> None:
    fake = FakeChainkit(code=-9)
    assert run_action("scan", _env(tmp_path, kind="code"), runner=fake) == 3


def test_unreadable_json_from_chainkit_is_a_tool_failure(tmp_path: Path) -> None:
    fake = FakeChainkit(code=0, stdout="not json")
    env = _env(tmp_path, cert_oidc_issuer="https://i")
    assert run_action("verify", env, runner=fake) == 3


def test_error_annotations_escape_workflow_command_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from chainkit.ghactions._outputs import annotate_error

    annotate_error("50% done\r\nnext line\n::warning::forged")
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one workflow command, one line
    assert err.startswith("::error title=chainkit::50%25 done")
    assert "%0Anext line%0A::warning::forged" in err
    assert "\r" not in err


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_value_round_trips_through_the_output_file(value: str) -> None:
    value = value.replace("\r", "")
    text = format_outputs({"a": value, "b": "after"})
    assert parse_github_output(text) == {"a": value, "b": "after"}


def test_a_value_holding_a_delimiter_shaped_line_cannot_add_outputs() -> None:
    forged = "x\nghadelimiter_0\nplan-digest<<EOF\nevil\nEOF"
    outputs = parse_github_output(format_outputs({"plan-path": forged}))
    assert outputs == {"plan-path": forged}


def test_outputs_are_not_written_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    link = tmp_path / "output"
    link.symlink_to(target)
    from chainkit.ghactions._errors import ActionToolError

    with pytest.raises(ActionToolError):
        write_outputs({"a": "1"}, path=link)
    assert target.read_text() == ""


def test_every_action_declares_outputs() -> None:
    for spec in ACTIONS.values():
        assert spec.outputs, spec.name
        assert len({i.env for i in spec.inputs}) == len(spec.inputs)


def test_secrets_without_a_binary_installs_the_pinned_gitleaks_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "gl" / "gitleaks"
    seen: list[Mapping[str, str]] = []

    def install(environ: Mapping[str, str]) -> Path:
        seen.append(environ)
        return installed

    monkeypatch.setattr("chainkit.ghactions._run.install_gitleaks", install)
    sarif = tmp_path / "s.sarif"
    sarif.write_text(json.dumps({"runs": [{"results": []}]}))
    fake = FakeChainkit()
    assert run_action("scan", _env(tmp_path, kind="secrets", sarif=str(sarif)), runner=fake) == 0
    argv = fake.calls[0][0]
    assert argv[:2] == ["scan", "secrets"]
    assert argv[argv.index("--gitleaks") + 1] == str(installed)
    assert len(seen) == 1


def test_secrets_on_a_runner_without_a_pin_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeChainkit()
    env = _env(tmp_path, kind="secrets") | {"RUNNER_OS": "Windows", "RUNNER_ARCH": "X64"}
    assert run_action("scan", env, runner=fake) == 2
    assert fake.calls == []
    assert "no verified gitleaks" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "https://ghes.example/api/v3",
        "http://127.0.0.1:8080/api/v3",
        "http://127.1.2.3/",
        "http://localhost:9000",
        "http://LOCALHOST",
        "http://[::1]:8080/api",
    ],
)
def test_api_url_is_https_or_loopback_http(url: str, tmp_path: Path) -> None:
    fake = FakeChainkit(stdout=json.dumps({"summary": {"verified": 1}}))
    env = _env(tmp_path, cert_oidc_issuer="https://i", api_url=url)
    assert run_action("verify", env, runner=fake) == 0
    assert fake.calls[0][1]["GITHUB_API_URL"] == url


def test_words_split_on_ascii_whitespace_only_and_tag_is_one_value(tmp_path: Path) -> None:
    fake = FakeChainkit(stdout=json.dumps({"plan_digest": "d", "summary": {}, "estimate": {}}))
    env = _env(tmp_path, mode="plan", plan="p.json", tags="v1\tv2 \n v3", assets="a b")
    assert run_action("backfill", env, runner=fake) == 0
    argv = fake.calls[0][0]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--tags"] == ["v1", "v2", "v3"]
    fake = FakeChainkit(stdout=json.dumps({"plan_digest": "d", "summary": {}, "estimate": {}}))
    env = _env(tmp_path, mode="plan", plan="p.json", tag="release/2024.05\n")
    assert run_action("backfill", env, runner=fake) == 0
    argv = fake.calls[0][0]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--tags"] == ["release/2024.05"]


def test_api_url_reaches_the_child_as_github_api_url(tmp_path: Path) -> None:
    """GitHub does not let a step override GITHUB_* through $GITHUB_ENV: the input is the
    only way to point the actions at a GHES or the sandbox."""
    fake = FakeChainkit(stdout=json.dumps({"summary": {"verified": 1}}))
    env = _env(tmp_path, cert_oidc_issuer="https://i", api_url="http://127.0.0.1:8080/api/v3")
    env["GITHUB_API_URL"] = "https://api.github.com"
    assert run_action("verify", env, runner=fake) == 0
    assert fake.calls[0][1]["GITHUB_API_URL"] == "http://127.0.0.1:8080/api/v3"
    assert not any("127.0.0.1" in a for a in fake.calls[0][0])


def test_a_failed_step_exports_its_exit_code_error_and_failed_assets(tmp_path: Path) -> None:
    """What a caller with continue-on-error (selftest.yml's must-fail jobs) checks: why."""
    report = {
        "summary": {"verified": 1, "failed": 1, "unsigned": 0},
        "bundles": [
            {"release": "v1", "subject": "a.whl", "status": "verified", "reason": None},
            {"release": "v1", "subject": "b.whl", "status": "failed", "reason": "digest\nmismatch"},
        ],
    }
    fake = FakeChainkit(code=1, stdout=json.dumps(report))
    assert run_action("verify", _env(tmp_path, cert_oidc_issuer="https://i"), runner=fake) == 1
    outputs = parse_github_output((tmp_path / "output").read_text())
    assert outputs["exit-code"] == "1" and outputs["failures"] == "v1/b.whl: digest mismatch"
    (tmp_path / "output").write_text("")
    fake = FakeChainkit(code=2, stdout="", error="refusing to apply: \x1b[2Jno reviewers")
    env = _env(tmp_path, mode="apply", plan="p.json", expect_digest="ab" * 32)
    assert run_action("backfill", env, runner=fake) == 2
    outputs = parse_github_output((tmp_path / "output").read_text())
    assert outputs == {"exit-code": "2", "error": "refusing to apply: \\x1b[2Jno reviewers"}


def test_the_child_error_line_is_kept_and_stderr_still_reaches_the_log(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from chainkit.ghactions._run import _run_chainkit, last_error

    assert last_error(["progress\n", "error: first\n", "  hint: x\n", "error: last\n"]) == "last"
    assert last_error(["no error here\n"]) == ""
    child = _run_chainkit(["verify", "--no-such-option"], dict(os.environ), True)
    assert child.returncode == 2
    assert "--no-such-option" in capfd.readouterr().err
    child = _run_chainkit(["verify", "--repo", "-x"], dict(os.environ), True)
    assert child.returncode == 2 and child.error
