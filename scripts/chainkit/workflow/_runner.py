"""The local runner: jobs in ``needs`` order, steps, composite actions, contexts."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import re
import secrets as _secrets
import selectors
import shlex
import shutil
import signal
import subprocess  # runs the workflow's own steps, as GitHub's runner does  # nosec B404
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit._internal.output import printable
from chainkit.workflow._bridge import Bridge
from chainkit.workflow._commands import Annotation, CommandReader, Masks, neutralise
from chainkit.workflow._errors import WorkflowUsageError
from chainkit.workflow._files import FileCommandError, parse_key_values, parse_paths
from chainkit.workflow._inputs import event_inputs, trigger_of
from chainkit.workflow._remote import (
    WORKFLOW_REPOSITORY,
    RemoteCall,
    StepFailure,
    chainkit_sha,
    chainkit_tree,
    resolve_remote,
)

__all__ = ["JobResult", "RunResult", "StepResult", "run_workflow"]

_MAX_FILE = 1 << 20
_WRITE_SCOPES = ("write", "write-all")


@dataclass(frozen=True)
class StepResult:
    id: str
    name: str
    outcome: str
    """success, failure or skipped (before continue-on-error)."""
    conclusion: str
    outputs: Mapping[str, str]


@dataclass(frozen=True)
class JobResult:
    name: str
    result: str
    """success, failure, skipped or cancelled."""
    outputs: Mapping[str, str]
    steps: tuple[StepResult, ...] = ()
    environment: str | None = None
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class RunResult:
    jobs: Mapping[str, JobResult]
    summaries: Mapping[str, str]
    """Job name -> the Markdown its steps wrote to ``$GITHUB_STEP_SUMMARY``."""
    outputs: Mapping[str, str] = field(default_factory=dict)
    """A ``workflow_call`` workflow's ``on.workflow_call.outputs``."""

    @property
    def ok(self) -> bool:
        return all(j.result in ("success", "skipped") for j in self.jobs.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "jobs": {
                name: {
                    "result": job.result,
                    "outputs": dict(job.outputs),
                    "environment": job.environment,
                    "steps": [
                        {
                            "id": s.id,
                            "name": s.name,
                            "outcome": s.outcome,
                            "conclusion": s.conclusion,
                            "outputs": dict(s.outputs),
                        }
                        for s in job.steps
                    ],
                    "annotations": [
                        {"level": a.level, "message": a.message} for a in job.annotations
                    ],
                }
                for name, job in self.jobs.items()
            },
            "outputs": dict(self.outputs),
            "summaries": dict(self.summaries),
        }


# -- logging ------------------------------------------------------------------------


class Log:
    """The runner's own log: one line per job and step, step output with a prefix, masked."""

    def __init__(self, stream: TextIO, masks: Masks, *, in_actions: bool) -> None:
        self.stream = stream
        self.masks = masks
        self.in_actions = in_actions
        self._lock = threading.Lock()

    def add_mask(self, value: str) -> None:
        """Inside Actions: ask the outer runner to mask ``value`` too (never shown)."""
        with self._lock:
            self.stream.write(f"::add-mask::{value}\n")
            self.stream.flush()

    def line(self, text: str) -> None:
        """A log line; inside Actions, never a command the outer runner would act on."""
        self._write(neutralise(text) if self.in_actions else text)

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(printable(self.masks.apply(text)) + "\n")
            self.stream.flush()

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.in_actions:
            self._write("::group::" + neutralise(title).replace("::", ": :"))
        try:
            yield
        finally:
            if self.in_actions:
                self._write("::endgroup::")


# -- the run ------------------------------------------------------------------------


@dataclass
class _Run:
    bridge: Bridge
    workflow_path: Path
    workspace: Path
    artifacts: Path
    environ: Mapping[str, str]
    oidc: str
    log: Log
    github: dict[str, Any]
    inputs: dict[str, Any]
    workflow_sha: str
    masks: Masks
    uploaded: set[str] = field(default_factory=set)
    """Artifact names uploaded in this run (a name from an earlier run is replaced)."""
    oidc_secret: str = ""
    """The sandbox's OIDC admin secret (``--oidc sandbox``): registers jobs; never a step's."""


@dataclass
class _Job:
    name: str
    env: dict[str, str]
    path: list[str]
    steps_ctx: dict[str, Any]
    status: str  # success | failure | cancelled
    temp: Path
    summary: list[str]
    annotations: list[Annotation]
    context: dict[str, Any]
    deadline: float | None
    defaults: Mapping[str, Any]
    results: list[StepResult]
    tracking_id: str = ""
    """``RUNNER_TRACKING_ID``: every process of the job carries it; killed at the job's end."""
    groups: list[int] = field(default_factory=list)
    """The process groups of the job's steps (killed at the job's end)."""


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """@actions/glob's dialect on a normalised absolute pattern: ``*`` and ``?`` within a path
    segment, ``**`` any number of segments, ``[...]``; a match also takes what is below it."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("/**/", i):
            out.append("(?:/.*)?/")
            i += 4
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            close = pattern.index("]", i + 2)
            body = pattern[i + 1 : close].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = close + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?", re.DOTALL)


def _hash_files(workspace: Path) -> Callable[[Sequence[str]], str]:
    """GitHub's hashFiles: patterns relative to (or absolute inside) the workspace; matches
    outside it are ignored; symlinked folders are not followed (no --follow-symbolic-links), a
    symlinked file is hashed by its target's content."""

    def absolute(pattern: str) -> str:
        path = Path(pattern)
        return os.path.normpath(path if path.is_absolute() else workspace / path)

    def hash_files(patterns: Sequence[str]) -> str:
        include = [_glob_regex(absolute(p)) for p in patterns if p and not p.startswith("!")]
        exclude = [_glob_regex(absolute(p[1:])) for p in patterns if p.startswith("!")]
        found: set[Path] = set()
        for start in _search_roots(workspace, [absolute(p) for p in patterns if p[:1] != "!"]):
            found.update(_walk_matches(start, include, exclude))
        if not found:
            return ""
        total = hashlib.sha256()
        for path in sorted(found):
            digest = hashlib.sha256()
            with path.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 16), b""):
                    digest.update(chunk)
            total.update(digest.digest())
        return total.hexdigest()

    return hash_files


def _search_roots(workspace: Path, patterns: list[str]) -> set[Path]:
    """Where to walk: each pattern's literal folder, inside the workspace, reached without a
    symlinked folder (GitHub does not follow them without --follow-symbolic-links)."""
    roots: set[Path] = set()
    for pattern in patterns:
        parts = Path(pattern).parts
        literal = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), None)
        root = Path(*parts[: len(parts) - 1 if literal is None else literal])
        if root != workspace and workspace not in root.parents:
            continue
        current, ok = workspace, True
        for part in root.relative_to(workspace).parts:
            current = current / part
            if current.is_symlink() or not current.is_dir():
                ok = False
                break
        if ok:
            roots.add(root)
    return roots


def _walk_matches(
    start: Path, include: list[re.Pattern[str]], exclude: list[re.Pattern[str]]
) -> set[Path]:
    found: set[Path] = set()
    for root, dirs, files in os.walk(start, followlinks=False):
        dirs.sort()
        links = [d for d in dirs if (Path(root) / d).is_symlink()]
        for name in sorted(files + links):
            path = Path(root) / name
            if not any(r.fullmatch(str(path)) for r in include):
                continue
            if any(r.fullmatch(str(path)) for r in exclude) or not path.is_file():
                continue  # a folder (or a link to one) is never hashed
            found.add(path)
    return found


_SUMMARY_LIMIT = 1 << 20  # GitHub's limit for one step's summary
_COMMAND_FILE_LIMIT = 16 << 20


def _command_file(path: Path, *, limit: int = _COMMAND_FILE_LIMIT) -> str:
    """A file command's file as the step left it: never through a symlink, bounded."""
    try:
        data = read_bounded(path, limit, follow_symlinks=False)
    except TooLargeError:
        raise FileCommandError(f"${path.name} is larger than {limit} bytes") from None
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise FileCommandError(f"cannot read {path.name}: {exc}") from None
    return data.decode("utf-8", "replace")


_DRAIN_SECONDS = 0.5
"""After a step's shell exits: how long to keep reading what its children still print."""
_CANCEL_GRACE = (7.5, 2.5)
"""A timed-out step, as GitHub's runner: SIGINT, 7.5 s, SIGTERM, 2.5 s, SIGKILL."""


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to the step's process group (GitHub's escalation)."""
    for sig, grace in zip((signal.SIGINT, signal.SIGTERM), _CANCEL_GRACE, strict=True):
        _signal_group(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _kill_job_processes(job: _Job) -> None:
    """At a job's end: kill what its steps left running (their groups, and any process that
    carries the job's ``RUNNER_TRACKING_ID``, as GitHub's runner does)."""
    proc_root = Path("/proc")
    if not proc_root.is_dir() or not job.tracking_id:
        # no /proc (macOS): the steps' process groups (a group id may have been reused
        # since, a small risk taken only here)
        for pgid in job.groups:
            _signal_group(pgid, signal.SIGKILL)
        return
    marker = f"RUNNER_TRACKING_ID={job.tracking_id}".encode()
    for entry in proc_root.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` (never through a symlink, never an existing file)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as out:
        out.write(text)


def _remove_path(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def _read_text(path: Path) -> str:
    try:
        if path.is_symlink() or not path.is_file():
            raise WorkflowUsageError(f"{path} is not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise WorkflowUsageError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > _MAX_FILE:
        raise WorkflowUsageError(f"{path} is larger than {_MAX_FILE} bytes")
    return data.decode("utf-8", "replace")


def _is_action_file(path: Path) -> bool:
    return path.name in ("action.yml", "action.yaml")


def _permissions(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        level = "write" if value == "write-all" else "read" if value == "read-all" else "none"
        return {"*": level}
    return {str(k): str(v) for k, v in dict(value).items()}


def _grants(perms: dict[str, str] | None, scope: str) -> bool:
    if perms is None:
        return False
    return perms.get(scope) == "write" or perms.get("*") == "write"


def _any_write(perms: dict[str, str] | None) -> bool:
    """Whether a job needs the repository-write token (``id-token: write`` alone does not)."""
    return perms is None or any(v in _WRITE_SCOPES for k, v in perms.items() if k != "id-token")


def _matrix(strategy: Any) -> list[dict[str, Any]]:
    matrix = (strategy or {}).get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return [{}]
    keys = [k for k in matrix if k not in ("include", "exclude")]
    combos: list[dict[str, Any]] = [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*[list(matrix[k]) for k in keys])
    ]
    if not keys:
        combos = []
    for ex in matrix.get("exclude") or []:
        combos = [c for c in combos if not all(c.get(k) == v for k, v in ex.items())]
    for inc in matrix.get("include") or []:
        merged = False
        for c in combos:
            if all(c.get(k) == v for k, v in inc.items() if k in keys):
                c.update({k: v for k, v in inc.items() if k not in keys})
                merged = True
        if not merged:
            combos.append(dict(inc))
    return combos or [{}]


def _ancestors(jobs: Mapping[str, Any], name: str) -> set[str]:
    """Every job ``name`` needs, directly or through other jobs."""
    found: set[str] = set()
    stack = [name]
    while stack:
        needs = (jobs.get(stack.pop()) or {}).get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs:
            if str(need) not in found:
                found.add(str(need))
                stack.append(str(need))
    return found


def _job_order(jobs: Mapping[str, Any], selected: Sequence[str] | None) -> list[str]:
    def needs_of(name: str) -> list[str]:
        needs = jobs[name].get("needs") or []
        return [needs] if isinstance(needs, str) else [str(n) for n in needs]

    wanted = set(jobs)
    if selected:
        unknown = [j for j in selected if j not in jobs]
        if unknown:
            raise WorkflowUsageError(
                f"no job named {', '.join(unknown)}",
                remediation=f"jobs in this workflow: {', '.join(jobs)}",
            )
        wanted = set()
        stack = list(selected)
        while stack:
            name = stack.pop()
            if name not in wanted:
                wanted.add(name)
                stack.extend(needs_of(name))
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(wanted):
        ready = [j for j in jobs if j in wanted and j not in done and set(needs_of(j)) <= done]
        if not ready:
            raise WorkflowUsageError("the jobs' needs form a cycle")
        order.append(ready[0])
        done.add(ready[0])
    return order


class _Engine:
    def __init__(self, run: _Run) -> None:
        self.run = run
        self._summaries: dict[str, str] = {}
        self._job_extra: dict[str, str] = {}

    # -- expressions -----------------------------------------------------------------
    def eval(self, template: Any, ctx: Mapping[str, Any], *, status: str = "success") -> Any:
        if not isinstance(template, str) or "${{" not in template:
            return template
        try:
            return self.run.bridge.evaluate(
                template, ctx, status=status, hash_files=_hash_files(self.run.workspace)
            )
        except ValueError as exc:
            raise StepFailure(f"expression {template!r}: {exc}") from None

    def eval_str(self, template: Any, ctx: Mapping[str, Any]) -> str:
        value = self.eval(template, ctx)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (dict, list)):
            # GitHub: "A mapping was not expected" / "A sequence was not expected"
            kind = "mapping" if isinstance(value, dict) else "sequence"
            raise StepFailure(f"{template!r}: a {kind} was not expected (use toJSON(...))")
        return str(value)

    def condition(self, expr: Any, ctx: Mapping[str, Any], status: str) -> bool:
        text = "success()" if expr is None or expr == "" else expr
        if isinstance(text, bool):
            text = "true" if text else "false"
        try:
            return bool(
                self.run.bridge.evaluate(
                    str(text),
                    ctx,
                    status=status,
                    condition=True,
                    hash_files=_hash_files(self.run.workspace),
                )
            )
        except ValueError as exc:
            raise StepFailure(f"if: {text!r}: {exc}") from None

    def eval_tree(self, value: Any, ctx: Mapping[str, Any]) -> Any:
        """``value`` with every string in it evaluated (a matrix built with ``fromJSON``)."""
        if isinstance(value, dict):
            return {k: self.eval_tree(v, ctx) for k, v in value.items()}
        if isinstance(value, list):
            return [self.eval_tree(v, ctx) for v in value]
        return self.eval(value, ctx)

    def eval_env(self, env: Any, ctx: dict[str, Any], into: dict[str, str]) -> None:
        """One pass against ``ctx`` (GitHub's EvaluateStepEnvironment): a value never sees a
        sibling of the same ``env:`` mapping."""
        values = {str(key): self.eval_str(value, ctx) for key, value in (env or {}).items()}
        into.update(values)

    # -- jobs -------------------------------------------------------------------------
    def run_workflow(
        self, document: dict[str, Any], selected: Sequence[str] | None
    ) -> tuple[dict[str, JobResult], dict[str, str]]:
        jobs: dict[str, Any] = document.get("jobs") or {}
        results: dict[str, JobResult] = {}
        summaries: dict[str, str] = {}
        workflow_perms = _permissions(document.get("permissions"))
        for name in _job_order(jobs, selected):
            spec = jobs[name]
            needs = spec.get("needs") or []
            needs = [needs] if isinstance(needs, str) else list(needs)
            needs_ctx = {
                n: {"result": results[n].result, "outputs": dict(results[n].outputs)} for n in needs
            }
            need_results = [results[n].result for n in needs]
            # failure(): "true if any ancestor job fails", not only a direct need
            ancestors = _ancestors(jobs, name)
            ancestor_results = [results[n].result for n in ancestors if n in results]
            if any(r in ("failure", "cancelled") for r in [*need_results, *ancestor_results]):
                status = "failure"
            elif all(r == "success" for r in need_results):
                status = "success"
            else:
                status = "skipped"
            base_ctx = self._base_context(needs_ctx)
            try:
                run_it = self.condition(spec.get("if"), base_ctx, status)
            except StepFailure as exc:
                self.run.log.line(f"job {name}: failure ({exc})")
                results[name] = JobResult(name, "failure", {})
                continue
            if not run_it:
                self.run.log.line(f"job {name}: skipped")
                results[name] = JobResult(name, "skipped", {})
                continue
            if "uses" in spec:
                results[name], called = self._run_reusable(name, spec, base_ctx)
                summaries.update(called)
                continue
            try:
                combos = _matrix(self.eval_tree(spec.get("strategy"), base_ctx))
            except StepFailure as exc:
                self.run.log.line(f"job {name}: failure (strategy: {exc})")
                results[name] = JobResult(name, "failure", {})
                continue
            job_results = []
            for job_index, combo in enumerate(combos):
                label = name if combo == {} else f"{name} ({', '.join(map(str, combo.values()))})"
                perms = _permissions(spec.get("permissions"))
                if perms is None:
                    perms = workflow_perms
                try:
                    job_results.append(
                        self._run_job(
                            name,
                            label,
                            spec,
                            document,
                            needs_ctx,
                            combo,
                            len(combos),
                            perms,
                            job_index,
                        )
                    )
                except (StepFailure, OSError, ValueError) as exc:
                    self.run.log.line(f"job {label}: failure ({exc})")
                    job_results.append(JobResult(name, "failure", {}))
            worst = next(
                (r for r in job_results if r.result in ("failure", "cancelled")), job_results[-1]
            )
            outputs: dict[str, str] = {}
            for r in job_results:
                outputs.update(r.outputs)
            results[name] = JobResult(
                name,
                worst.result,
                outputs,
                tuple(s for r in job_results for s in r.steps),
                worst.environment,
                tuple(a for r in job_results for a in r.annotations),
            )
            summaries[name] = "".join(
                self._summaries.pop(label, "") for label in list(self._summaries)
            )
        return results, summaries

    def _run_reusable(
        self, name: str, spec: Mapping[str, Any], ctx: dict[str, Any]
    ) -> tuple[JobResult, dict[str, str]]:
        """A job that calls a local reusable workflow (``uses: ./.github/workflows/x.yml``)."""
        uses = str(spec["uses"])
        rel = Path(uses)
        if not uses.startswith("./.github/workflows/") or ".." in rel.parts:
            raise WorkflowUsageError(
                f"job {name}: uses: {uses}: the local runner calls only reusable workflows of "
                "the workspace (./.github/workflows/NAME.yml)",
                remediation="run the other repository's workflow from its own checkout",
            )
        path = self.run.workspace / rel
        document = self.run.bridge.parse(str(path), _read_text(path), kind="workflow")
        if trigger_of(document) != "workflow_call":
            raise WorkflowUsageError(f"job {name}: {uses} has no on: workflow_call trigger")
        given = {str(k): self.eval_str(v, ctx) for k, v in (spec.get("with") or {}).items()}
        typed, _ = event_inputs(document, "workflow_call", given)
        sub = _Engine(dataclasses.replace(self.run, workflow_path=path, inputs=typed))
        self.run.log.line(f"job {name}: calls {uses}")
        results, summaries = sub.run_workflow(document, None)
        outputs = call_outputs(sub, document, results, typed)
        failed = any(r.result in ("failure", "cancelled") for r in results.values())
        result = "failure" if failed else "success"
        self.run.log.line(f"job {name}: {result}")
        job = JobResult(
            name,
            result,
            outputs,
            tuple(s for r in results.values() for s in r.steps),
            None,
            tuple(a for r in results.values() for a in r.annotations),
        )
        return job, {f"{name} / {k}": v for k, v in summaries.items()}

    def _base_context(self, needs_ctx: Mapping[str, Any]) -> dict[str, Any]:
        token = self.run.github.get("token", "")
        return {
            "github": self.run.github,
            "inputs": self.run.inputs,
            "needs": dict(needs_ctx),
            "vars": {},
            "secrets": {"GITHUB_TOKEN": token} if token else {},
            "env": {},
            "runner": self._runner_ctx(None),
            "job": {
                "status": "success",
                "workflow_repository": WORKFLOW_REPOSITORY,
                "workflow_sha": self.run.workflow_sha,
                "workflow_ref": self._workflow_ref(),
                "workflow_file_path": self._workflow_file_path(),
            },
            "matrix": {},
            "strategy": {},
            "steps": {},
        }

    def _workflow_file_path(self) -> str:
        tree = chainkit_tree()
        try:
            return self.run.workflow_path.resolve().relative_to(tree).as_posix()
        except ValueError:
            return self.run.workflow_path.name

    def _workflow_ref(self) -> str:
        return f"{WORKFLOW_REPOSITORY}/{self._workflow_file_path()}@{self.run.github['ref']}"

    @staticmethod
    def _runner_ctx(temp: Path | None) -> dict[str, Any]:
        machine = os.uname().machine if hasattr(os, "uname") else ""
        arch = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
            machine.lower(), machine.upper()
        )
        return {
            "os": "macOS" if sys.platform == "darwin" else "Linux",
            "arch": arch,
            "name": "chainkit-local",
            "environment": "self-hosted",
            "temp": str(temp) if temp else "",
            "tool_cache": str(temp / "_tool") if temp else "",
            "debug": "",
        }

    def _job_token(self, perms: dict[str, str] | None) -> str:
        read_token = self.run.environ.get("CHAINKIT_READ_TOKEN", "")
        if read_token and not _any_write(perms):
            return read_token
        return str(self.run.github.get("token", ""))

    def _oidc_env(self, perms: dict[str, str] | None, environment: str | None) -> dict[str, str]:
        """Register the job's claims with the sandbox; the steps get only the request token."""
        if self.run.oidc != "sandbox" or not _grants(perms, "id-token"):
            return {}
        claims = {
            "repository": self.run.github["repository"],
            "ref": self.run.github["ref"],
            "sha": self.run.github["sha"],
            "event_name": self.run.github["event_name"],
            "workflow_ref": self.run.github["workflow_ref"],
            "job_workflow_ref": self._workflow_ref(),
            "job_workflow_sha": self.run.workflow_sha,
        }
        if environment:
            claims["environment"] = environment
        base = f"{self.run.github['api_url']}/_sandbox/oidc"
        if not base.startswith(("http://", "https://")):
            self.run.log.line("warning: --oidc sandbox needs an http(s) GITHUB_API_URL")
            return {}
        if not self.run.oidc_secret:
            self.run.log.line(
                "warning: --oidc sandbox: no sandbox answering at GITHUB_API_URL was found "
                "(run in this process, or a `chainkit sandbox up` one in CHAINKIT_SANDBOX_DIR "
                "or .chainkit-sandbox): the job gets no OIDC token"
            )
            return {}
        request = urllib.request.Request(  # noqa: S310 - the sandbox's http(s) URL
            f"{base}/jobs",
            data=json.dumps(claims).encode(),
            method="POST",
            headers={
                # the sandbox's admin secret, never the job's token: a step holds that one
                "Authorization": f"bearer {self.run.oidc_secret}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - http(s) checked  # nosec B310 - http(s) checked
                request_token = str(json.load(answer)["request_token"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.run.log.line(f"warning: could not register the job with the sandbox OIDC: {exc}")
            return {}
        self.run.masks.add(request_token)
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{base}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token,
        }

    def _oidc_end(self, extra: Mapping[str, str]) -> None:
        request_token = extra.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        if not request_token:
            return
        request = urllib.request.Request(  # noqa: S310 - the sandbox's http(s) URL
            f"{self.run.github['api_url']}/_sandbox/oidc/jobs",
            method="DELETE",
            headers={"Authorization": f"bearer {request_token}"},
        )
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - http(s) checked  # nosec B310 - http(s) checked

    def _run_job(
        self,
        name: str,
        label: str,
        spec: dict[str, Any],
        document: dict[str, Any],
        needs_ctx: Mapping[str, Any],
        combo: dict[str, Any],
        total: int,
        perms: dict[str, str] | None,
        index: int = 0,
    ) -> JobResult:
        log = self.run.log
        temp = Path(tempfile.mkdtemp(prefix="chainkit-runner-")).resolve()
        started: list[_Job] = []
        try:
            ctx = self._base_context(needs_ctx)
            ctx["matrix"] = combo
            ctx["strategy"] = {
                "job-index": index,
                "job-total": total,
                "fail-fast": True,
                "max-parallel": total,
            }
            ctx["runner"] = self._runner_ctx(temp)
            token = self._job_token(perms)
            ctx["github"] = {**self.run.github, "token": token, "job": name}
            ctx["secrets"] = {"GITHUB_TOKEN": token} if token else {}
            if token:
                self.run.masks.add(token)
            environment_spec = spec.get("environment")
            environment: str | None = None
            if isinstance(environment_spec, dict):
                environment = self.eval_str(environment_spec.get("name"), ctx) or None
            elif environment_spec is not None:
                environment = self.eval_str(environment_spec, ctx) or None
            env: dict[str, str] = {}
            self.eval_env(document.get("env"), ctx, env)
            self.eval_env(spec.get("env"), ctx, env)
            defaults = {
                **((document.get("defaults") or {}).get("run") or {}),
                **((spec.get("defaults") or {}).get("run") or {}),
            }
            timeout = spec.get("timeout-minutes", 360)
            job = _Job(
                name=name,
                env=env,
                path=[],
                steps_ctx={},
                status="success",
                temp=temp,
                summary=[],
                annotations=[],
                context=ctx,
                deadline=time.monotonic() + float(self.eval(timeout, ctx)) * 60,
                defaults=defaults,
                results=[],
                tracking_id=_secrets.token_hex(16),
            )
            started.append(job)
            job.context["job"] = {**ctx["job"], "status": "success"}
            self._job_extra = self._oidc_env(perms, environment)
            log.line(
                f"job {label}: start"
                + (
                    f" (environment {environment}, approval not asked locally)"
                    if environment
                    else ""
                )
            )
            self._run_steps(job, spec.get("steps") or [], scope=job.steps_ctx)
            result = "success"
            if job.status == "failure" or job.status == "cancelled":
                result = "failure"
            outputs: dict[str, str] = {}
            out_ctx = {**job.context, "steps": job.steps_ctx, "env": dict(job.env)}
            for key, value in (spec.get("outputs") or {}).items():
                try:
                    text = self.eval_str(value, out_ctx)
                except StepFailure as exc:
                    log.line(f"job {label}: output {key}: {exc}")
                    result = "failure"
                    continue
                if self.run.masks.apply(text) != text:
                    # GitHub: "Skip output '…' since it may contain secret."
                    log.line(f"job {label}: warning: skip output {key!r}: it may contain a secret")
                    continue
                outputs[str(key)] = text
            log.line(f"job {label}: {result}")
            self._summaries[label] = "".join(job.summary)
            return JobResult(
                name, result, outputs, tuple(job.results), environment, tuple(job.annotations)
            )
        finally:
            for each in started:
                _kill_job_processes(each)
            self._oidc_end(self._job_extra)
            self._job_extra = {}
            shutil.rmtree(temp, ignore_errors=True)

    # -- steps ------------------------------------------------------------------------
    def _run_steps(
        self,
        job: _Job,
        steps: list[dict[str, Any]],
        *,
        scope: dict[str, Any],
        action: _ActionScope | None = None,
    ) -> str:
        """Run steps; return the status of this list (success/failure/cancelled)."""
        # a composite action's status starts at success (CompositeActionHandler), unless the
        # job is being cancelled
        status = "success" if action is not None and job.status != "cancelled" else job.status
        for index, step in enumerate(steps, start=1):
            step_id = str(step.get("id") or f"__{index}")
            title = str(
                step.get("name")
                or (f"Run {step['uses']}" if step.get("uses") else None)
                or "Run " + str(step.get("run", "")).strip().split("\n")[0]
            )
            prefix = f"{action.label} / " if action else ""
            ctx = self._step_context(job, scope, action)
            if (
                job.deadline is not None
                and time.monotonic() > job.deadline
                and status != "cancelled"
            ):
                status = "cancelled"
                job.status = "cancelled"
                self.run.log.line(f"  job {job.name} exceeded timeout-minutes: cancelled")
            step_env = dict(action.env) if action else {}
            try:
                # the step's env: joins the env context before its if: (GitHub's StepsRunner)
                self.eval_env(step.get("env"), ctx, step_env)
                ctx = {**ctx, "env": {**ctx["env"], **step_env}}
                wanted = self.condition(step.get("if"), ctx, status)
            except StepFailure as exc:
                self.run.log.line(f"  step {prefix}{title}: failure ({exc})")
                status = "failure" if status != "cancelled" else status
                if action is None:
                    job.status = status
                    job.results.append(StepResult(step_id, title, "failure", "failure", {}))
                if step.get("id"):  # GitHub: only steps with an id are in steps
                    scope[step_id] = {"outcome": "failure", "conclusion": "failure", "outputs": {}}
                continue
            if not wanted:
                self.run.log.line(f"  step {prefix}{title}: skipped")
                if step.get("id"):  # GitHub: only steps with an id are in steps
                    scope[step_id] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
                if action is None:
                    job.results.append(StepResult(step_id, title, "skipped", "skipped", {}))
                continue
            outcome, outputs = self._run_step(job, step, ctx, step_env, action, f"{prefix}{title}")
            conclusion = outcome
            if outcome == "failure":
                try:
                    tolerate = self.eval(step.get("continue-on-error", False), ctx)
                except StepFailure:
                    tolerate = False
                if tolerate is True or str(tolerate).lower() == "true":
                    conclusion = "success"
            if step.get("id"):  # GitHub: only steps with an id are in steps
                scope[step_id] = {"outcome": outcome, "conclusion": conclusion, "outputs": outputs}
            if action is None:
                job.results.append(StepResult(step_id, title, outcome, conclusion, dict(outputs)))
            self.run.log.line(
                f"  step {prefix}{title}: {outcome}"
                + (" (continue-on-error)" if conclusion != outcome else "")
            )
            if conclusion == "failure" and status == "success":
                status = "failure"
                if action is None:
                    job.status = "failure"
        return status

    def _step_context(
        self, job: _Job, scope: dict[str, Any], action: _ActionScope | None
    ) -> dict[str, Any]:
        ctx = dict(job.context)
        ctx["steps"] = scope
        ctx["env"] = {**job.env, **(action.env if action else {})}
        ctx["job"] = {**ctx["job"], "status": job.status}
        if action is not None:
            ctx["inputs"] = action.inputs
            ctx["github"] = {**ctx["github"], "action_path": str(action.path)}
        return ctx

    def _run_step(
        self,
        job: _Job,
        step: dict[str, Any],
        ctx: dict[str, Any],
        step_env: dict[str, str],
        action: _ActionScope | None,
        title: str,
    ) -> tuple[str, dict[str, str]]:
        try:
            timeout = step.get("timeout-minutes")
            limit = float(self.eval(timeout, ctx)) * 60 if timeout is not None else None
            if job.deadline is not None:
                left = max(job.deadline - time.monotonic(), 1.0)
                limit = left if limit is None else min(limit, left)
            if "run" in step:
                return self._run_script(job, step, ctx, step_env, action, limit, title)
            uses = str(step.get("uses", ""))
            with_ = {str(k): self.eval_str(v, ctx) for k, v in (step.get("with") or {}).items()}
            if uses.startswith("./"):
                return self._run_composite(job, uses, with_, step_env, ctx, title)
            if uses.startswith("docker://"):
                raise WorkflowUsageError(f"uses: {uses}: docker actions are not run locally")
            handler = resolve_remote(uses)
            call = RemoteCall(
                inputs=with_,
                workspace=self._working_dir(job, None, None),
                artifacts=self.run.artifacts,
                uploaded=self.run.uploaded,
                temp=job.temp,
                workflow_repository=WORKFLOW_REPOSITORY,
                workflow_sha=self.run.workflow_sha,
                repository=str(self.run.github["repository"]),
                log=lambda text: self.run.log.line(f"    | {text}"),
            )
            effects = handler(call)
            job.env.update(effects.env)
            job.path[:0] = effects.path
            return "success", effects.outputs
        except StepFailure as exc:
            self.run.log.line(f"    | Error: {exc}")
            job.annotations.append(Annotation("error", str(exc)))
            return "failure", {}
        except (OSError, ValueError) as exc:
            # A value the OS refuses (NUL byte, lone surrogate, an environment too large):
            # the step fails, the run goes on (always() steps, later jobs, --json).
            message = f"the step could not run: {type(exc).__name__}: {exc}"
            self.run.log.line(f"    | Error: {message}")
            job.annotations.append(Annotation("error", message))
            return "failure", {}

    def _working_dir(
        self, job: _Job, step: Mapping[str, Any] | None, ctx: Any, *, defaults: bool = True
    ) -> Path:
        workspace = self.run.workspace
        wd = (step or {}).get("working-directory") or (
            job.defaults.get("working-directory") if step is not None and defaults else None
        )
        if not wd:
            return workspace
        value = self.eval_str(wd, ctx)
        path = Path(value)
        return path if path.is_absolute() else workspace / path

    def _shell(
        self, step: Mapping[str, Any], job: _Job, script: Path, *, defaults: bool = True
    ) -> list[str]:
        shell = step.get("shell") or (job.defaults.get("shell") if defaults else None)
        if shell is None:
            # GitHub: looked up with the job's $GITHUB_PATH entries first
            search = os.pathsep.join([*job.path, self.run.environ.get("PATH", os.defpath)])
            bash = shutil.which("bash", path=search)
            return [bash, "-e", str(script)] if bash else ["sh", "-e", str(script)]
        shell = str(shell)
        if shell == "bash":
            return ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        if shell == "sh":
            return ["sh", "-e", str(script)]
        if shell == "python":
            return ["python", str(script)]
        if "{0}" in shell:
            try:
                parts = shlex.split(shell)
            except ValueError as exc:
                raise StepFailure(f"shell {shell!r}: {exc}") from None
            return [part.replace("{0}", str(script)) for part in parts]
        raise StepFailure(f"shell {shell!r} is not supported by the local runner")

    def _process_env(
        self,
        job: _Job,
        step_env: Mapping[str, str],
        files: Mapping[str, Path],
        action: _ActionScope | None,
    ) -> dict[str, str]:
        env = dict(self.run.environ)
        for drop in (
            "CHAINKIT_READ_TOKEN",
            "CHAINKIT_SANDBOX_DIR",  # where the sandbox's OIDC admin secret is
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        ):
            env.pop(drop, None)
        github = self.run.github
        runner_vars: dict[str, str] = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.run.workspace),
            "GITHUB_REPOSITORY": str(github["repository"]),
            "GITHUB_REPOSITORY_OWNER": str(github["repository_owner"]),
            "GITHUB_SHA": str(github["sha"]),
            "GITHUB_REF": str(github["ref"]),
            "GITHUB_REF_NAME": str(github["ref_name"]),
            "GITHUB_EVENT_NAME": str(github["event_name"]),
            "GITHUB_EVENT_PATH": str(job.temp / "_event.json"),
            "GITHUB_API_URL": str(github["api_url"]),
            "GITHUB_SERVER_URL": str(github["server_url"]),
            "GITHUB_GRAPHQL_URL": str(github["graphql_url"]),
            "GITHUB_RUN_ID": str(github["run_id"]),
            "GITHUB_RUN_NUMBER": "1",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_ACTOR": str(github["actor"]),
            "GITHUB_WORKFLOW": str(github["workflow"]),
            "GITHUB_WORKFLOW_REF": str(github["workflow_ref"]),
            "GITHUB_WORKFLOW_SHA": str(github["sha"]),
            "GITHUB_JOB": job.name,
            "RUNNER_TEMP": str(job.temp),
            "RUNNER_OS": job.context["runner"]["os"],
            "RUNNER_ARCH": job.context["runner"]["arch"],
            "RUNNER_NAME": "chainkit-local",
            "RUNNER_TRACKING_ID": job.tracking_id,
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_ENV": str(files["env"]),
            "GITHUB_PATH": str(files["path"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_STATE": str(files["state"]),
        }
        env.pop("GITHUB_TOKEN", None)  # as on GitHub: a step sees the token only through env:
        runner_vars.update(self._job_extra)
        if action is not None:
            runner_vars["GITHUB_ACTION_PATH"] = str(action.path)
        env.update(job.env)
        env.update(step_env)
        # As GitHub's ScriptHandler: the runner's own variables win over env: and $GITHUB_ENV
        env.update(runner_vars)
        if job.path:
            env["PATH"] = os.pathsep.join([*job.path, env.get("PATH", "")])
        return env

    def _run_script(
        self,
        job: _Job,
        step: Mapping[str, Any],
        ctx: dict[str, Any],
        step_env: dict[str, str],
        action: _ActionScope | None,
        limit: float | None,
        title: str,
    ) -> tuple[str, dict[str, str]]:
        ctx = {**ctx, "env": {**ctx["env"], **step_env}}
        body = self.eval_str(step["run"], ctx)
        # defaults.run applies to a job's own steps, never inside a composite action
        cwd = self._working_dir(job, step, ctx, defaults=action is None)
        if not cwd.is_dir():
            raise StepFailure(f"working-directory {cwd} does not exist")
        files_dir = Path(tempfile.mkdtemp(prefix="_runner_file_commands", dir=job.temp))
        names = {"output": "GITHUB_OUTPUT", "env": "GITHUB_ENV", "path": "GITHUB_PATH"}
        names |= {"summary": "GITHUB_STEP_SUMMARY", "state": "GITHUB_STATE"}
        files = {k: files_dir / name for k, name in names.items()}
        for f in files.values():
            f.touch(mode=0o600)
        event = job.temp / "_event.json"
        if event.is_symlink() or (event.exists() and not event.is_file()):
            _remove_path(event)  # a step planted a link (or a folder): never written through
        if not event.exists():
            _write_new(event, json.dumps(self.run.github.get("event", {})))
        script = job.temp / f"{_secrets.token_hex(8)}.sh"
        _write_new(script, body if body.endswith("\n") else body + "\n")
        argv = self._shell(step, job, script, defaults=action is None)
        env = self._process_env(job, step_env, files, action)
        reader = CommandReader(self.run.masks)
        with self.run.log.group(title):
            code = self._spawn(argv, cwd, env, reader, limit, job)
        for text in reader.warnings:
            self.run.log.line(f"    | Warning: {text}")
        job.annotations.extend(reader.annotations)
        outputs = dict(reader.outputs)
        failed = code != 0 or bool(reader.errors)
        for text in reader.errors:
            self.run.log.line(f"    | Error: {text}")
        try:
            outs = parse_key_values(_command_file(files["output"]), what="GITHUB_OUTPUT")
            outputs.update(outs.values)
            envs = parse_key_values(_command_file(files["env"]), what="GITHUB_ENV", env=True)
            for warning in envs.warnings:
                self.run.log.line(f"    | Warning: {warning}")
            job.env.update(envs.values)
            for entry in parse_paths(_command_file(files["path"])):
                # GitHub: a path added again moves to the front, never listed twice
                job.path[:] = [entry, *(p for p in job.path if p != entry)]
        except FileCommandError as exc:
            self.run.log.line(f"    | Error: {exc}")
            failed = True
        try:
            summary = _command_file(files["summary"], limit=_SUMMARY_LIMIT)
            if summary:
                job.summary.append(summary)
        except FileCommandError as exc:
            # GitHub: an error annotation; the step's result is not changed
            message = f"Failed to create step summary using 'GITHUB_STEP_SUMMARY': {exc}"
            self.run.log.line(f"    | Error: {message}")
            job.annotations.append(Annotation("error", message))
        if code is None:
            self.run.log.line(f"    | Error: the step exceeded its timeout ({limit:.0f}s)")
            failed = True
        elif code != 0:
            self.run.log.line(f"    | Error: Process completed with exit code {code}.")
        return ("failure" if failed else "success"), outputs

    def _spawn(
        self,
        argv: list[str],
        cwd: Path,
        env: dict[str, str],
        reader: CommandReader,
        limit: float | None,
        job: _Job | None = None,
    ) -> int | None:
        """Run a step; it ends when its shell exits (background children do not hold it)."""
        proc = subprocess.Popen(  # noqa: S603 - the step  # nosec B603 - the workflow's step
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if job is not None:
            job.groups.append(proc.pid)
        assert proc.stdout is not None
        stdout = proc.stdout
        exited = threading.Event()

        def emit(raw: bytes) -> None:
            text = reader.read(raw.decode("utf-8", "replace").rstrip("\n"))
            if text is not None:
                self.run.log.line(f"    | {text}")

        def pump() -> None:
            fd, pending, stop_at = stdout.fileno(), b"", None
            selector = selectors.DefaultSelector()  # no FD_SETSIZE limit, unlike select()
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if exited.is_set() and stop_at is None:
                    stop_at = time.monotonic() + _DRAIN_SECONDS
                if stop_at is not None and time.monotonic() > stop_at:
                    break
                if not selector.select(timeout=0.05):
                    if exited.is_set():
                        break  # the shell is gone and nothing more is waiting
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    emit(raw)
            selector.close()
            if pending:
                emit(pending)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        try:
            code: int | None = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            code = None
        except BaseException:
            _stop_group(proc)
            raise
        exited.set()
        thread.join()
        stdout.close()
        return code

    # -- composite actions ----------------------------------------------------------------
    def _run_composite(
        self,
        job: _Job,
        uses: str,
        with_: Mapping[str, str],
        step_env: Mapping[str, str],
        ctx: dict[str, Any],
        title: str,
    ) -> tuple[str, dict[str, str]]:
        rel = Path(uses)
        if ".." in rel.parts:
            raise WorkflowUsageError(f"uses: {uses}: a local action must stay inside the workspace")
        directory = self.run.workspace / rel
        action_file = next(
            (directory / n for n in ("action.yml", "action.yaml") if (directory / n).is_file()),
            None,
        )
        if action_file is None:
            raise WorkflowUsageError(
                f"uses: {uses}: no action.yml in {directory}",
                remediation="check out the action first (actions/checkout) or fix the path",
            )
        document = self.run.bridge.parse(str(action_file), _read_text(action_file), kind="action")
        return self.run_action_document(job, document, directory, with_, step_env, ctx, title)

    def run_action_document(
        self,
        job: _Job,
        document: dict[str, Any],
        directory: Path,
        with_: Mapping[str, str],
        step_env: Mapping[str, str],
        ctx: dict[str, Any],
        title: str,
    ) -> tuple[str, dict[str, str]]:
        runs = document.get("runs") or {}
        if runs.get("using") != "composite":
            raise WorkflowUsageError(
                f"{directory}: only composite actions run locally "
                f"(runs.using is {runs.get('using')!r})"
            )
        declared: dict[str, Any] = document.get("inputs") or {}
        unknown = sorted(set(with_) - set(declared))
        if unknown:
            self.run.log.line(f"    | Warning: Unexpected input(s) {', '.join(unknown)}")
        inputs: dict[str, str] = {}
        default_ctx = {**ctx, "inputs": {}}
        for key, spec in declared.items():
            spec = spec or {}
            if key in with_:
                inputs[key] = with_[key]
            elif "default" in spec:
                inputs[key] = self.eval_str(spec.get("default"), default_ctx)
            elif spec.get("required") is True:
                raise StepFailure(f"Input required and not supplied: {key}")
            else:
                inputs[key] = ""
        scope: dict[str, Any] = {}
        action = _ActionScope(path=directory, inputs=inputs, env=dict(step_env), label=title)
        status = self._run_steps(job, runs.get("steps") or [], scope=scope, action=action)
        out_ctx = {**self._step_context(job, scope, action)}
        outputs = {
            str(k): self.eval_str((v or {}).get("value", ""), out_ctx)
            for k, v in (document.get("outputs") or {}).items()
        }
        return ("success" if status == "success" else "failure"), outputs


@dataclass
class _ActionScope:
    path: Path
    inputs: dict[str, str]
    env: dict[str, str]
    label: str


def call_outputs(
    engine: _Engine, document: Mapping[str, Any], results: Mapping[str, JobResult], typed: Any
) -> dict[str, str]:
    """A ``workflow_call`` workflow's ``on.workflow_call.outputs``, from its jobs' results."""
    on = document.get("on")
    call = on.get("workflow_call") if isinstance(on, dict) else None
    outputs: dict[str, str] = {}
    if not isinstance(call, dict) or not isinstance(call.get("outputs"), dict):
        return outputs
    jobs_ctx = {n: {"result": r.result, "outputs": dict(r.outputs)} for n, r in results.items()}
    ctx = {"jobs": jobs_ctx, "github": engine.run.github, "inputs": typed, "vars": {}}
    for key, spec in call["outputs"].items():
        try:
            outputs[str(key)] = engine.eval_str((spec or {}).get("value", ""), ctx)
        except StepFailure as exc:
            engine.run.log.line(f"workflow output {key}: {exc}")
    return outputs


def _masked(result: RunResult, masks: Masks) -> RunResult:
    """``result`` with every secret the run knows (tokens, ``::add-mask::`` values) as ``***``:
    what leaves the runner (``--json``, text, step summaries) is scrubbed as on GitHub."""

    def m(values: Mapping[str, str]) -> dict[str, str]:
        return {k: masks.apply(v) for k, v in values.items()}

    jobs = {
        name: dataclasses.replace(
            job,
            outputs=m(job.outputs),
            steps=tuple(dataclasses.replace(s, outputs=m(s.outputs)) for s in job.steps),
            annotations=tuple(
                dataclasses.replace(
                    a,
                    message=masks.apply(a.message),
                    properties=tuple((k, masks.apply(v)) for k, v in a.properties),
                )
                for a in job.annotations
            ),
        )
        for name, job in result.jobs.items()
    }
    return RunResult(jobs, m(result.summaries), m(result.outputs))


def _github_context(
    environ: Mapping[str, str],
    workspace: Path,
    event_name: str,
    event: dict[str, Any],
    workflow: str,
    workflow_path: Path,
) -> dict[str, Any]:
    api_url = (environ.get("GITHUB_API_URL") or "").rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY") or ""
    if not api_url or not repository or "/" not in repository:
        raise WorkflowUsageError(
            "GITHUB_API_URL and GITHUB_REPOSITORY (OWNER/NAME) must be set for the github context",
            remediation="export them (and GITHUB_TOKEN), e.g. from `chainkit sandbox up`",
        )
    server_url = environ.get("GITHUB_SERVER_URL") or (
        "https://github.com" if api_url == "https://api.github.com" else api_url
    )
    ref = environ.get("GITHUB_REF") or "refs/heads/main"
    sha = environ.get("GITHUB_SHA") or chainkit_sha(workspace)
    owner = repository.split("/")[0]
    try:
        rel = workflow_path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        rel = f".github/workflows/{workflow_path.name}"
    run_id = str(int(time.time()))
    return {
        "repository": repository,
        "repository_owner": owner,
        "sha": sha,
        "ref": ref,
        "ref_name": ref.rsplit("/", 1)[-1],
        "ref_type": "tag" if ref.startswith("refs/tags/") else "branch",
        "event_name": event_name,
        "event": event,
        "workspace": str(workspace),
        "action_path": "",
        "server_url": server_url,
        "api_url": api_url,
        "graphql_url": f"{api_url}/graphql",
        "token": environ.get("GITHUB_TOKEN") or "",
        "run_id": run_id,
        "run_number": "1",
        "run_attempt": "1",
        "actor": environ.get("GITHUB_ACTOR") or owner,
        "triggering_actor": environ.get("GITHUB_ACTOR") or owner,
        "workflow": workflow,
        "workflow_ref": f"{repository}/{rel}@{ref}",
        "workflow_sha": sha,
        "job": "",
        "retention_days": "90",
        "secret_source": "Actions",  # a context field, not a secret  # nosec B105
    }


def run_workflow(
    path: Path,
    *,
    inputs: Mapping[str, str],
    jobs: Sequence[str] | None = None,
    workspace: Path,
    artifacts_dir: Path,
    environ: Mapping[str, str],
    oidc: str = "none",
    oidc_secret: Callable[[str], str] | None = None,
    log_stream: TextIO | None = None,
    bridge: Bridge | None = None,
) -> RunResult:
    """Run a workflow (or an ``action.yml`` as a one-step job) locally: docs/local-runner.md.

    ``oidc_secret`` finds the OIDC admin secret of the sandbox at an API URL (``""`` when
    there is none) for ``oidc="sandbox"``; the CLI wires the sandbox's own finder, so that
    this package never imports the stand-ins (tests/unit/test_architecture.py rule c)."""
    if oidc not in ("none", "sandbox"):
        raise WorkflowUsageError(f"--oidc must be none or sandbox, got {oidc!r}")
    workspace = workspace.resolve()
    if not workspace.is_dir():
        raise WorkflowUsageError(f"workspace {workspace} is not a directory")
    absolute = artifacts_dir.absolute()
    artifacts_dir = absolute.parent.resolve() / absolute.name  # the last part never resolved
    if artifacts_dir.is_symlink() or (artifacts_dir.exists() and not artifacts_dir.is_dir()):
        raise WorkflowUsageError(
            f"the artifacts folder {artifacts_dir} is a symlink or not a folder",
            remediation="remove it (a step may have planted it) or pass another --artifacts",
        )
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    text = _read_text(path)
    masks = Masks()
    log = Log(
        log_stream or sys.stderr,
        masks,
        in_actions=environ.get("GITHUB_ACTIONS", "").lower() == "true",
    )
    if log.in_actions:
        masks.listen(log.add_mask)
    own = bridge is None
    active = bridge or Bridge().start()
    try:
        action = _is_action_file(path)
        document = active.parse(str(path), text, kind="action" if action else "workflow")
        if action:
            declared = document.get("inputs") or {}
            unknown = sorted(set(inputs) - set(declared))
            if unknown:
                raise WorkflowUsageError(
                    f"unknown input(s) for {path}: {', '.join(unknown)}",
                    remediation=f"inputs of this action: {', '.join(declared) or 'none'}",
                )
            event_name, typed, event = "workflow_dispatch", dict(inputs), {"inputs": dict(inputs)}
        else:
            event_name = trigger_of(document)
            typed, event = event_inputs(document, event_name, inputs)
        github = _github_context(
            environ, workspace, event_name, event, str(document.get("name") or path.name), path
        )
        if github["token"]:
            masks.add(github["token"])
        if environ.get("CHAINKIT_READ_TOKEN"):
            masks.add(environ["CHAINKIT_READ_TOKEN"])
        admin_secret = (
            oidc_secret(str(github["api_url"]))
            if oidc == "sandbox" and oidc_secret is not None
            else ""
        )
        if admin_secret:
            masks.add(admin_secret)
        run = _Run(
            oidc_secret=admin_secret,
            bridge=active,
            workflow_path=path,
            workspace=workspace,
            artifacts=artifacts_dir,
            environ=environ,
            oidc=oidc,
            log=log,
            github=github,
            inputs=typed,
            workflow_sha=chainkit_sha(chainkit_tree()),
            masks=masks,
        )
        engine = _Engine(run)
        if action:
            rel = path.resolve().parent
            try:
                uses = "./" + rel.relative_to(workspace).as_posix()
            except ValueError:
                raise WorkflowUsageError(
                    f"{path} is outside the workspace {workspace}",
                    remediation="pass --workspace with a directory that contains the action",
                ) from None
            step = {"name": path.parent.name, "uses": uses, "with": dict(inputs)}
            document = {"jobs": {"action": {"runs-on": "local", "steps": [step]}}}
            typed = {}
        results, summaries = engine.run_workflow(document, jobs)
        outputs = call_outputs(engine, document, results, typed)
        return _masked(RunResult(results, summaries, outputs), masks)
    finally:
        if own:
            active.stop()
