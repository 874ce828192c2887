"""The one long-lived Node.js process that parses workflows and evaluates expressions.

``js/bridge.mjs`` loads GitHub's own ``@actions/workflow-parser`` and ``@actions/expressions``
(pinned in ``js/package-lock.json``) and answers JSON lines on stdin/stdout. While an
expression is evaluated, ``hashFiles(...)`` is called back into Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess  # runs node on chainkit's own bridge script, argument list only  # nosec B404
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from chainkit.workflow._errors import WorkflowToolError, WorkflowUsageError

__all__ = ["JS_DIR_ENV", "Bridge", "js_dir"]

JS_DIR_ENV = "CHAINKIT_JS_DIR"
_PACKAGES = ("@actions/workflow-parser", "@actions/expressions")
_REMEDIATION = "run `npm ci --prefix js` in chainkit's source tree (Node.js 20 or newer)"

HashFiles = Callable[[Sequence[str]], str]


def js_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``bridge.mjs`` and ``node_modules`` live: ``$CHAINKIT_JS_DIR`` or ``<source>/js``."""
    env = os.environ if environ is None else environ
    if env.get(JS_DIR_ENV):
        return Path(env[JS_DIR_ENV])
    return Path(__file__).resolve().parents[3] / "js"


class Bridge:
    """A context manager around one ``node bridge.mjs`` process."""

    def __init__(self, directory: Path | None = None, *, node: str | None = None) -> None:
        self.dir = directory or js_dir()
        self._node = node
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> Bridge:
        node = self._node or shutil.which("node")
        if node is None:
            raise WorkflowToolError(
                "Node.js (`node`) was not found on PATH; the local runner needs it for GitHub's "
                "workflow parser and expression engine",
                remediation="install Node.js 20 or newer, then " + _REMEDIATION,
            )
        script = self.dir / "bridge.mjs"
        missing = [
            p for p in _PACKAGES if not (self.dir / "node_modules" / p / "package.json").is_file()
        ]
        if not script.is_file() or missing:
            what = ", ".join(missing) if missing else str(script)
            raise WorkflowToolError(
                f"the local runner's JavaScript packages are not installed ({what} missing "
                f"under {self.dir})",
                remediation=_REMEDIATION,
            )
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        self._proc = subprocess.Popen(  # noqa: S603 - node, fixed args  # nosec B603 - node, fixed args
            [node, "--no-warnings", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=self.dir,
            env=env,
        )
        versions = self._ask({"op": "version"}).get("versions", {})
        self.versions: dict[str, str] = {str(k): str(v) for k, v in versions.items()}
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Bridge:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- protocol -------------------------------------------------------------------
    def _died(self) -> WorkflowToolError:
        detail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            detail = self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        return WorkflowToolError(
            "the Node.js bridge (js/bridge.mjs) stopped unexpectedly"
            + (f": {detail}" if detail else ""),
            remediation=_REMEDIATION,
        )

    def _send(self, message: Mapping[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise WorkflowToolError("the Node.js bridge is not running", remediation=_REMEDIATION)
        try:
            proc.stdin.write(json.dumps(message).encode() + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def _receive(self) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise self._died()
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise self._died()
        return answer

    def _ask(
        self, request: Mapping[str, Any], hash_files: HashFiles | None = None
    ) -> dict[str, Any]:
        self._send(request)
        while True:
            answer = self._receive()
            if "call" not in answer:
                return answer
            reply: dict[str, Any]
            try:
                if answer.get("call") != "hashFiles" or hash_files is None:
                    raise ValueError(f"{answer.get('call')} is not available here")
                reply = {"value": hash_files([str(a) for a in answer.get("args", [])])}
            except (OSError, ValueError) as exc:
                reply = {"error": f"hashFiles: {exc}"}
            self._send(reply)

    # -- API ------------------------------------------------------------------------
    def parse(self, name: str, content: str, *, kind: str) -> dict[str, Any]:
        """The document of a workflow (``kind='workflow'``) or action file GitHub accepts."""
        answer = self._ask({"op": f"parse-{kind}", "name": name, "content": content})
        if not answer.get("ok"):
            raise WorkflowToolError(f"the bridge could not parse {name}: {answer.get('error')}")
        errors = answer.get("errors") or []
        if errors:
            lines = "\n".join(f"  {e.get('message')}" for e in errors[:20])
            raise WorkflowUsageError(
                f"GitHub's {kind} parser rejects {name}:\n{lines}",
                remediation=f"fix the {kind} file; GitHub would refuse to run it",
            )
        document = answer.get("document")
        if not isinstance(document, dict):
            raise WorkflowUsageError(f"{name} is not a YAML mapping")
        return document

    def evaluate(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        status: str = "success",
        condition: bool = False,
        hash_files: HashFiles | None = None,
    ) -> Any:
        """Evaluate a ``${{ }}`` template (or an ``if:`` condition) with GitHub's engine.

        A value that is exactly one expression keeps its type (``fromJSON`` gives an object);
        anything else is a string. Raises ``ValueError`` with the engine's message.
        """
        answer = self._ask(
            {
                "op": "eval",
                "template": template,
                "context": context,
                "status": status,
                "condition": condition,
            },
            hash_files,
        )
        if not answer.get("ok"):
            raise ValueError(str(answer.get("error")))
        return answer.get("value")
