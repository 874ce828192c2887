"""Running one action: inputs -> argument list -> chainkit child -> outputs."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess  # chainkit runs as a child (argument lists, no shell)  # nosec B404
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal import markdown
from chainkit._internal.fs import read_bounded
from chainkit._internal.output import append_step_summary, printable
from chainkit.errors import Error, ExitCode
from chainkit.ghactions._errors import ActionInputError, ActionToolError
from chainkit.ghactions._gitleaks import install_gitleaks
from chainkit.ghactions._inputs import Inputs, read_inputs
from chainkit.ghactions._outputs import annotate_error, annotate_warning, write_outputs
from chainkit.ghactions._spec import ACTIONS, ActionSpec

__all__ = ["Child", "build_argv", "main", "run_action"]

_MAX_REPORT = 256 * 1024 * 1024
_MAX_ERROR = 500
_USAGE = "usage: python -I -m chainkit.ghactions {" + ",".join(ACTIONS) + "}"


@dataclass(frozen=True)
class Child:
    """What the chainkit child process did."""

    returncode: int
    stdout: str
    error: str = ""
    """The message of chainkit's last ``error: ...`` line on stderr (empty: none)."""


Runner = Callable[[Sequence[str], Mapping[str, str], bool], Child]
"""``runner(argv, env, capture_stdout)``: run chainkit with ``argv``."""


def last_error(lines: Sequence[str]) -> str:
    """The message of the last ``error: MESSAGE`` line (chainkit's one-line error report;
    ``Error: `` from a usage error), cut to a bounded length; empty when there is none."""
    for line in reversed(lines):
        if line.startswith(("error: ", "Error: ")):
            return line[len("error: ") :].rstrip("\r\n")[:_MAX_ERROR]
    return ""


def _run_chainkit(argv: Sequence[str], env: Mapping[str, str], capture: bool) -> Child:
    command = [sys.executable, "-I", "-m", "chainkit", *argv]
    errors: list[str] = []

    def tee(stream: Any) -> None:  # stderr goes to the log as it comes; error lines are kept
        for line in stream:
            sys.stderr.write(line)
            sys.stderr.flush()
            if line.startswith(("error: ", "Error: ")):
                errors[:] = [line[: _MAX_ERROR + 16]]

    with subprocess.Popen(  # noqa: S603 - validated argument list, no shell  # nosec B603
        command,
        env=dict(env),
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as process:
        reader = threading.Thread(target=tee, args=(process.stderr,), daemon=True)
        reader.start()
        stdout = process.stdout.read() if process.stdout is not None else ""
        returncode = process.wait()
        reader.join()
    return Child(returncode, stdout or "", last_error(errors))


def _options(action: ActionSpec, inputs: Inputs) -> list[str]:
    args: list[str] = []
    for spec in action.inputs:
        option = spec.option_for(inputs.variant)
        if option is None or spec.secret:
            continue
        if spec.kind in {"words", "lines"}:
            for item in inputs.items(spec.name):
                args += [option, item]
        elif spec.kind == "bool":
            flag = inputs.flag(spec.name)
            if flag is True:
                args.append(option)
            elif flag is False and spec.option_false:
                args.append(spec.option_false)
        elif (value := inputs.get(spec.name)) is not None:
            args += [option, value]
    return args


def _default_outputs(action: ActionSpec, inputs: Inputs) -> Inputs:
    """Fill the defaults that depend on other inputs (scan's SARIF path)."""
    if action.name == "scan" and inputs.get("sarif") is None:
        values = dict(inputs.values)
        values["sarif"] = f"chainkit-{inputs.variant}.sarif"
        return Inputs(inputs.variant, values, inputs.lists, inputs.ignored)
    return inputs


def build_argv(action: ActionSpec, inputs: Inputs) -> list[str]:
    """The chainkit argument list for ``action`` with ``inputs`` (validated already)."""
    inputs = _default_outputs(action, inputs)
    argv = [*action.commands[inputs.variant], *_options(action, inputs)]
    argv += list(action.fixed.get(inputs.variant, ()))
    positional: list[str] = []
    if action.name == "verify":
        positional = list(inputs.items("files"))
    elif action.name == "audit" and (locked := inputs.get("locked")) is not None:
        argv.append("--locked")
        positional = [locked]
    elif action.name == "sbom":
        positional = [inputs.get("source") or "project"]
        if (target := inputs.get("path")) is not None:
            positional.append(target)
    elif action.name == "scan" and (target := inputs.get("path")) is not None:
        positional = [target]
    if positional:
        argv += ["--", *positional]
    return argv


def _child_env(environ: Mapping[str, str], inputs: Inputs) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith("INPUT_")}
    token = inputs.get("token")
    if token is not None:
        env["GITHUB_TOKEN"] = token
    api_url = inputs.get("api-url")
    if api_url is not None:
        env["GITHUB_API_URL"] = api_url
    return env


def _json(child: Child) -> dict[str, Any]:
    try:
        data = json.loads(child.stdout)
    except ValueError as exc:
        raise ActionToolError("chainkit's --json report could not be read") from exc
    if not isinstance(data, dict):
        raise ActionToolError("chainkit's --json report is not an object")
    return data


def _read_json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(read_bounded(path, _MAX_REPORT, follow_symlinks=False))
    except (OSError, ValueError) as exc:
        raise ActionToolError(f"the {what} {path} could not be read: {exc}") from exc


def _sarif_findings(path: Path) -> int:
    """Results of the SARIF log that no policy or baseline accepted."""
    data = _read_json_file(path, "SARIF report")
    runs = data.get("runs", []) if isinstance(data, dict) else []
    return sum(
        1
        for run in runs
        if isinstance(run, dict)
        for result in run.get("results", [])
        if isinstance(result, dict) and not result.get("suppressions")
    )


def _count(data: Mapping[str, Any], *keys: str) -> int:
    value: Any = data
    for key in keys:
        value = value.get(key, 0) if isinstance(value, Mapping) else 0
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _backfill_outputs(inputs: Inputs, data: Mapping[str, Any]) -> dict[str, str]:
    plan = inputs.get("plan") or ""
    if inputs.variant == "plan":
        to_sign = _count(data, "summary", "actions", "sign") + _count(
            data, "summary", "actions", "replace"
        )
        estimate = data.get("estimate") if isinstance(data.get("estimate"), Mapping) else {}
        assert isinstance(estimate, Mapping)
        budget = estimate.get("write_budget", "")
        return {
            "plan-path": str(data.get("plan_file") or plan),
            "plan-digest": str(data.get("plan_digest", "")),
            "to-sign": str(to_sign),
            "blocked": str(_count(data, "summary", "statuses", "blocked")),
            "complete": "true" if to_sign == 0 else "false",
            "remaining": str(to_sign),
            "estimate": f"{_count(estimate, 'writes')} writes, at least "
            f"{_count(estimate, 'seconds')}s at {budget}",
        }
    complete = data.get("complete") is True
    return {
        "plan-path": plan,
        "plan-digest": str(data.get("plan_digest", "")),
        "signed": str(_count(data, "summary", "signed")),
        "blocked": str(_count(data, "summary", "blocked")),
        "complete": "true" if complete else "false",
        "remaining": "0" if complete else str(_count(data, "remaining", "assets")),
    }


def _summary_path(environ: Mapping[str, str]) -> Path | None:
    value = environ.get("GITHUB_STEP_SUMMARY")
    return Path(value) if value else None


def _outputs(
    action: ActionSpec, inputs: Inputs, child: Child, environ: Mapping[str, str]
) -> dict[str, str]:
    if action.name == "backfill":
        return _backfill_outputs(inputs, _json(child))
    if action.name == "verify":
        summary = _json(child).get("summary", {})
        counts = {k: _count(summary, k) for k in ("verified", "failed", "unsigned")}
        append_step_summary(
            "### chainkit verify\n\n"
            + markdown.table(["verified", "failed", "unsigned"], [list(counts.values())]),
            path=_summary_path(environ),
        )
        failures = [
            f"{b.get('release') or ''}/{b.get('subject') or ''}: {b.get('reason') or ''}"
            for b in _json(child).get("bundles", [])
            if isinstance(b, Mapping) and b.get("status") == "failed"
        ]
        # one line per failed asset (values from the report: a newline cannot add lines)
        lines = [" ".join(line.split())[:_MAX_ERROR] for line in failures]
        return {**{k: str(v) for k, v in counts.items()}, "failures": "\n".join(lines)}
    if action.name in {"audit", "scan"}:
        sarif = inputs.get("sarif") or ""
        return {"sarif-path": sarif, "findings": str(_sarif_findings(Path(sarif)))}
    if action.name == "sbom":
        output = inputs.get("output") or ""
        document = _read_json_file(Path(output), "SBOM")
        components = document.get("components", []) if isinstance(document, dict) else []
        count = len(components) if isinstance(components, list) else 0
        append_step_summary(
            f"### chainkit sbom\n\n{markdown.code(output)}: {count} component(s).\n",
            path=_summary_path(environ),
        )
        return {"sbom-path": output, "components": str(count)}
    raise AssertionError(action.name)  # pragma: no cover - every action is handled above


def run_action(name: str, environ: Mapping[str, str], *, runner: Runner = _run_chainkit) -> int:
    """Run action ``name`` with the ``INPUT_*`` variables of ``environ``; the exit code
    (chainkit's own, or 2 for a refused input, 3 for a failure of the adapter)."""
    try:
        action = ACTIONS.get(name)
        if action is None:
            raise ActionInputError(f"unknown action {name!r}", remediation=_USAGE)
        inputs = read_inputs(action, environ)
        for warning in inputs.ignored:
            annotate_warning(warning)
        inputs = _default_outputs(action, inputs)
        if (
            action.name == "scan"
            and inputs.variant == "secrets"
            and not inputs.get("gitleaks-path")
        ):
            binary = install_gitleaks(environ)
            values = {**inputs.values, "gitleaks-path": str(binary)}
            inputs = Inputs(inputs.variant, values, inputs.lists, inputs.ignored)
        argv = build_argv(action, inputs)
        capture = "--json" in action.fixed.get(inputs.variant, ())
        child = runner(argv, _child_env(environ, inputs), capture)
        code = child.returncode
        step_code = int(ExitCode.FAILURE) if code < 0 else code
        outputs = {"exit-code": str(step_code), "error": child.error}
        if code in (ExitCode.OK, ExitCode.FINDINGS):
            outputs |= _outputs(action, inputs, child, environ)
        _write(outputs, environ)
        if code == ExitCode.FINDINGS:
            annotate_error(
                f"chainkit {' '.join(action.commands[inputs.variant])}: "
                "findings or failed checks (exit 1); see the step summary"
            )
        elif code < 0 or code > 3:
            annotate_error(f"chainkit stopped with exit code {code}")
            return int(ExitCode.FAILURE) if code < 0 else code
        return code
    except Error as exc:
        text = exc.message + (f" (hint: {exc.remediation})" if exc.remediation else "")
        annotate_error(text)
        with contextlib.suppress(Error):  # GITHUB_OUTPUT itself may be what failed
            _write(
                {"exit-code": str(int(exc.exit_code)), "error": exc.message[:_MAX_ERROR]}, environ
            )
        return int(exc.exit_code)


def _write(outputs: Mapping[str, str], environ: Mapping[str, str]) -> None:
    clean = {k: printable(v)[:_MAX_ERROR] if k == "error" else v for k, v in outputs.items()}
    output_file = environ.get("GITHUB_OUTPUT")
    write_outputs(clean, path=Path(output_file) if output_file else None)


def main(argv: Sequence[str]) -> int:
    """``python -I -m chainkit.ghactions ACTION``: run ACTION with this environment."""
    if len(argv) != 1:
        annotate_error(_USAGE)
        return int(ExitCode.USAGE)
    return run_action(argv[0], os.environ)
