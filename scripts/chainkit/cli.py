"""The ``chainkit`` command line: parsing and wiring only.

Subcommands live in :mod:`chainkit._cli` (one module each) and are imported lazily,
so ``chainkit --help`` does not pay for sigstore or pip-audit. Errors are caught
exactly once, here, in :meth:`ChainkitGroup.main`:

- :class:`chainkit.errors.Error` -> its message and remediation on stderr (and an
  ``::error::`` annotation in GitHub Actions), exit code from the error's kind;
- click usage errors -> exit 2;
- a closed stdout (a broken pipe, even under ``--help``/``--version``) -> quiet, the
  command's own exit code (0 for help and version); a stdout that cannot take the data
  (disk full) -> :class:`~chainkit._internal.output.OutputError`, exit 3;
- anything else is a bug -> a one-line report, the traceback with ``-v``, exit 3.

SIGTERM (a CI job cancelled) is turned into an exception once, here, for every command, so
that it unwinds like Ctrl-C: context managers run (temporary files are removed, child
processes killed) and the command exits 143.

Commands return an :class:`~chainkit.errors.ExitCode` (or ``None`` for 0).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

import click

from chainkit import __version__
from chainkit._cli._options import verbose_option
from chainkit._internal.output import (
    actions_annotation,
    configure_logging,
    discard_stdout,
    interrupt_hint,
    printable,
    reset_stdout_closed,
    set_interrupt_hint,
    stdout_failed,
    stdout_gone,
)
from chainkit.errors import Error, ExitCode

__all__ = ["cli", "main"]

_log = logging.getLogger("chainkit")

# name -> "module:attribute" of the click command, imported on first use.
_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": ("chainkit._cli.sandbox:sandbox", "Run local stand-ins for GitHub and Sigstore."),
    "backfill": ("chainkit._cli.backfill:backfill", "Sign historical releases: plan, then apply."),
    "verify": ("chainkit._cli.verify:verify", "Verify Sigstore bundles on releases or files."),
    "audit": ("chainkit._cli.audit:audit", "Audit dependencies for known vulnerabilities."),
    "sbom": ("chainkit._cli.sbom:sbom", "Generate and sign CycloneDX SBOMs."),
    "scan": ("chainkit._cli.scan:scan", "Scan code and history for issues and secrets."),
    "workflow": ("chainkit._cli.workflow:workflow", "Run GitHub Actions workflows locally."),
}


def _in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS", "").lower() == "true"


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that everything unwinds (a
    ``BaseException``, like ``KeyboardInterrupt``, so no ``except Exception`` swallows it)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the command runs (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (an embedding application): leave it alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _StdoutGoneError(Exception):
    """Click's own writes (help, version) met a closed stdout; not an OSError, so that
    click's ``main`` does not turn it into ``sys.exit(1)``."""


class _PipeError(Exception):
    """A broken pipe that is not stdout (a subprocess, a socket): a failure. Not an
    OSError, so that click's ``main`` does not turn it into a quiet ``sys.exit(1)``."""


def _echo_to_stdout_failed(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by ``click.echo`` writing to stdout (help, version)."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is click.utils.echo.__code__ and not frame.f_locals.get("err"):
            file = frame.f_locals.get("file")
            return file is None or file is sys.stdout
        tb = tb.tb_next
    return False


@contextlib.contextmanager
def _stdout_errors() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        # Only click's own writes to stdout (help, version) are judged here; chainkit's
        # data goes through _internal.output, which handles a closed stdout itself. A
        # broken pipe anywhere else (a subprocess, a socket) is a failure, never exit 0.
        if not _echo_to_stdout_failed(exc):
            if stdout_gone(exc):
                raise _PipeError(exc) from exc
            raise
        if stdout_gone(exc):
            raise _StdoutGoneError from exc
        raise stdout_failed(exc) from exc


class ChainkitGroup(click.Group):
    """Root group: lazy subcommands and the single error boundary."""

    verbose: bool = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_SUBCOMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = _SUBCOMMANDS.get(cmd_name)
        if spec is None:
            return super().get_command(ctx, cmd_name)  # added with add_command()
        module_name, _, attr = spec[0].partition(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help without importing every subcommand module.
        rows = [(name, help_) for name, (_, help_) in sorted(_SUBCOMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _stdout_errors():  # the root's --help and --version print here
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _stdout_errors():  # subcommands' help, and anything they echo
            return super().invoke(ctx)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = self._run(args, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> int:
        set_interrupt_hint(None)
        reset_stdout_closed()
        try:
            with _sigterm_raises():
                rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Terminated:
            hint = interrupt_hint()
            text = "terminated (SIGTERM)" + (f"\n  hint: {printable(hint)}" if hint else "")
            click.echo(text, err=True)
            return 143
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C (click: Abort)
            hint = interrupt_hint()
            text = "interrupted" + (f"\n  hint: {printable(hint)}" if hint else "")
            click.echo(text, err=True)
            return 130
        except Error as exc:
            self._report(exc)
            return exc.exit_code
        except _StdoutGoneError:  # stdout's reader went away under click's own writes
            discard_stdout()  # (help, version): nothing to say, and their code is 0
            return ExitCode.OK
        except Exception as exc:  # noqa: BLE001 - a bug: say so, traceback with -v
            if isinstance(exc, _PipeError) and exc.__cause__ is not None:
                exc = exc.__cause__  # type: ignore[assignment]
            if self.verbose:
                traceback.print_exc()
            click.echo(
                f"error: internal error ({type(exc).__name__}): {printable(exc)}\n"
                "  hint: this is a bug in chainkit; re-run with -v for the traceback and report it",
                err=True,
            )
            return ExitCode.FAILURE
        if rv is None:
            return ExitCode.OK
        return int(rv)

    def _report(self, exc: Error) -> None:
        if self.verbose:
            traceback.print_exc()
        # message and hint are one line each: text quoted from a server cannot add lines
        message = printable(exc.message)
        hint = printable(exc.remediation) if exc.remediation else None
        click.echo(f"error: {message}" + (f"\n  hint: {hint}" if hint else ""), err=True)
        if _in_actions():
            text = message if not hint else f"{message} ({hint})"
            actions_annotation("error", text, title="chainkit")


@click.group(cls=ChainkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="chainkit")
@verbose_option()
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Supply-chain security for Python projects on GitHub.

    Data goes to stdout (--json where the output is data); logs and progress go
    to stderr. Exit codes: 0 ok, 1 findings or failed verification, 2 usage
    error, 3 tool/network/service failure.
    """
    root = ctx.command
    if isinstance(root, ChainkitGroup):
        root.verbose = verbose
    configure_logging(verbose=verbose)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="chainkit")
