"""Running scanner processes: argument lists only, absolute binaries, timeouts that say
what they wait for, and path arguments that cannot be mistaken for options."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess  # nosec B404  # argument lists only, never a shell (see run())
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainkit.scan._errors import ScanInputError, ToolError

__all__ = ["Completed", "check_path_argument", "run", "which"]


@dataclass(frozen=True)
class Completed:
    """A finished process: its exit code and its output as bytes (never logged raw)."""

    returncode: int
    stdout: bytes
    stderr: bytes


def check_path_argument(path: Path, *, what: str) -> Path:
    """``path`` as given, refused when it would read as an option (``-x``, ``--x``)."""
    if str(path).startswith("-"):
        raise ScanInputError(
            f"{what} {str(path)!r} looks like an option",
            remediation="if it really is a file or directory, name it by its absolute path",
        )
    return path


def which(name: str) -> Path | None:
    """``name`` on ``PATH`` as an absolute, resolved path, or None. Relative ``PATH`` entries
    (``.``, an empty entry) are skipped: they would find a binary planted in the repository
    being scanned."""
    entries = [e for e in os.environ.get("PATH", "").split(os.pathsep) if Path(e).is_absolute()]
    found = shutil.which(name, path=os.pathsep.join(entries))
    return Path(found).resolve() if found else None


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    waiting_for: str,
    env: Mapping[str, str] | None = None,
) -> Completed:
    """Run ``argv`` (``argv[0]`` absolute) in ``cwd``; :class:`ToolError` on a timeout
    (naming ``waiting_for`` and the limit) or when it cannot be started."""
    if not Path(argv[0]).is_absolute():
        raise ValueError("the binary must be an absolute path")
    try:
        proc = subprocess.Popen(  # noqa: S603  # nosec B603  # absolute binary, list, no shell
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group: killed as a whole on the way out
        )
    except OSError as exc:
        raise ToolError(
            f"could not run {Path(argv[0]).name} for {waiting_for}: {exc.strerror or exc}",
            remediation="check that the tool is installed and executable",
        ) from exc
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        raise ToolError(
            f"gave up after {timeout:g} s waiting for {waiting_for}",
            remediation="re-run; for a very large repository scan a smaller path",
        ) from exc
    except BaseException:  # Ctrl-C, SIGTERM (the CLI raises it), anything: no orphans
        _kill_group(proc)
        raise
    return Completed(proc.returncode, stdout, stderr)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` and everything it started in its process group, and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=5)


def tool_env() -> dict[str, str]:
    """The environment for a scanner: ours, without colour."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    return env
