"""Where a command's report goes: stdout or ``-o FILE`` (never through a symlink), and
``--summary`` into ``$GITHUB_STEP_SUMMARY``. One place for audit, scan and sbom."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from chainkit.errors import UsageError

__all__ = ["deliver", "step_summary"]

_log = logging.getLogger("chainkit")


def deliver(output: Path | None, data: bytes | str, what: str = "report") -> None:
    """``data`` on stdout, or written to ``output`` (a usage error when it cannot be)."""
    from chainkit._internal.fs import write_output
    from chainkit._internal.output import emit_text

    if output is None:
        emit_text(data.decode("utf-8") if isinstance(data, bytes) else data)
        return
    try:
        write_output(output, data)
    except OSError as exc:
        raise UsageError(
            f"could not write the {what} to {output}: {exc.strerror or type(exc).__name__}",
            remediation="check that the directory exists and is writable",
        ) from exc
    _log.info("%s written to %s", what, output)


def step_summary(enabled: bool, markdown: Callable[[], str]) -> None:
    """With ``--summary``, append ``markdown()`` to the step summary (a warning outside
    Actions, where ``GITHUB_STEP_SUMMARY`` is not set)."""
    from chainkit._internal.ghenv import GitHubContext
    from chainkit._internal.output import append_step_summary

    if not enabled:
        return
    ctx = GitHubContext.from_env()
    if ctx.step_summary is None:
        _log.warning("--summary: GITHUB_STEP_SUMMARY is not set; no summary written")
    else:
        append_step_summary(markdown(), path=ctx.step_summary)
